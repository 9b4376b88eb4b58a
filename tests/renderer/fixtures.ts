// Sample device lists shaped like the service's answers (protocol/devices.ts).
import type { DeviceList } from '../../protocol/devices.js';

export const simulatedList: DeviceList = {
  schema: 'xpuscope.devices/1',
  driver: {
    requested: 'sim',
    mode: 'sim',
    simulated: true,
    reason: '--driver sim: using the simulated driver',
    profiles: ['arc-a770'],
    simDriverPath: '/opt/xpuscope/native/build/libze_xpusim.so',
  },
  loader: { library: 'libze_loader.so.1', loaded: true, version: '1.21.9' },
  devices: [
    {
      index: 0,
      name: 'Intel(R) Arc(TM) A770 Graphics',
      type: 'gpu',
      vendorId: 0x8086,
      deviceId: 0x56a0,
      integrated: false,
      simulated: true,
      totalMemory: 16 * 1024 ** 3,
      driverVersion: '1.3.29735',
    },
  ],
};

export const noDriverList: DeviceList = {
  schema: 'xpuscope.devices/1',
  driver: { requested: 'system', mode: 'system', simulated: false, reason: '--driver system' },
  loader: { library: 'libze_loader.so.1', loaded: true, version: '1.21.9' },
  devices: [],
  problem: {
    code: 'NO_DRIVER',
    title: 'No Level Zero driver found',
    detail: 'zeInit returned ZE_RESULT_ERROR_UNINITIALIZED: the loader found no driver.',
    hint: 'Install the Intel GPU driver (intel-level-zero-gpu), or run with --driver sim.',
  },
};
