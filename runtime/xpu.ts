// The `xpu` namespace object: torch.xpu's runtime API in TypeScript.
import type { DeviceList } from '../protocol/index.js';
import { enumerate, isInitialized, listDevices, runtime, type DeviceRecord } from './core.js';
import { checkRange, deviceIndex, type DeviceLike } from './device-arg.js';
import { XpuError } from './errors.js';
import { loadZe } from './ze/lib.js';

/** The device record for a device argument, initialising the runtime (torch lazy init). */
export function deviceRecord(d?: DeviceLike | null, optional = true): DeviceRecord {
  const r = runtime();
  const i = deviceIndex(d, optional);
  checkRange(i, r.devices.length);
  return r.devices[i] as DeviceRecord;
}

function isCompiled(): boolean {
  try {
    loadZe();
    return true;
  } catch {
    return false;
  }
}

function deviceCount(): number {
  try {
    return enumerate().devices.length;
  } catch {
    return 0;
  }
}

export const xpuCore = {
  /** The Level Zero loader library can be loaded (torch: built with XPU support). Never throws. */
  isCompiled,
  /** At least one device is usable. Never throws; creates no context. */
  isAvailable(): boolean {
    return deviceCount() > 0;
  },
  /** Number of GPU devices (0 when there is no loader or driver). Never throws; creates no context. */
  deviceCount,
  /** True once a call that needs the runtime (or init()) has succeeded. */
  isInitialized,
  /** Initialise now (contexts for every driver). Throws an XpuError naming what failed; retried next call. */
  init(): void {
    runtime();
  },
  /** Drivers, loader and devices, with `problem` explaining an empty list. Never throws. */
  listDevices(): DeviceList {
    return listDevices();
  },
  getDeviceName(d?: DeviceLike | null): string {
    return deviceRecord(d).name;
  },
};

export { XpuError };
