// `xpuscope devices --driver system` on a machine without an Intel GPU driver: exit 1 and an
// explanation. Its own file (process) because the loader's driver settings are fixed per process.
import { describe, expect, it } from 'vitest';
import type { DeviceList } from '../../protocol/devices.js';
import { EXIT, main } from '../../host/cli.js';
import { findIntelGpuDriver } from '../../runtime/driver.js';
import { captureIo } from './helpers.js';

const REAL_DRIVER = findIntelGpuDriver();
if (REAL_DRIVER) console.warn(`[tests/host] skipping "no driver" checks: this machine has ${REAL_DRIVER}`);

describe.skipIf(REAL_DRIVER !== undefined)('devices --driver system without a GPU driver', () => {
  it('exits 1 and says "No Level Zero driver found" with a hint', async () => {
    const c = captureIo();
    expect(await main(['devices', '--driver', 'system'], c.io)).toBe(EXIT.FAILURE);
    expect(c.out()).toMatch(/^Driver: system Level Zero/);
    expect(c.err()).toContain('No devices: No Level Zero driver found');
    expect(c.err()).toContain('Hint: ');
  });

  it('--json still prints the DeviceList (with the problem) and exits 1', async () => {
    const c = captureIo();
    expect(await main(['devices', '--json', '--driver', 'system'], c.io)).toBe(EXIT.FAILURE);
    const list = JSON.parse(c.out()) as DeviceList;
    expect(list).toMatchObject({
      schema: 'xpuscope.devices/1',
      devices: [],
      driver: { mode: 'system', simulated: false },
    });
    expect(list.problem).toMatchObject({ code: 'NO_DRIVER', title: 'No Level Zero driver found' });
  });

  it('asking for another driver in the same process is refused, not silently ignored', async () => {
    const c = captureIo();
    expect(await main(['devices', '--driver', 'sim'], c.io)).toBe(EXIT.USAGE);
    expect(c.err()).toContain('Cannot switch the Level Zero driver');
  });
});
