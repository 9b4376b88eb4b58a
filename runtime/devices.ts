// Device management: current device (per async context), device scopes, properties.
import { runtime } from './core.js';
import { checkRange, deviceIndex, type DeviceLike } from './device-arg.js';
import { XpuError } from './errors.js';
import {
  canAccessPeer,
  capabilityOf,
  queryProperties,
  type DeviceCapability,
  type DeviceProperties,
} from './properties.js';
import { runScoped, state } from './state.js';
import { deviceRecord, xpuCore } from './xpu.js';

export function currentDevice(): number {
  runtime();
  return state().device;
}

/** torch set_device: a negative index is a silent no-op. */
export function setDevice(d: DeviceLike): void {
  const i = deviceIndex(d, false);
  if (i < 0) return;
  const r = runtime();
  checkRange(i, r.devices.length);
  state().device = i;
}

/** torch exchange_device: set `i` (unless negative) and return the previous device. */
function exchangeDevice(i: number): number {
  if (i < 0) return -1;
  const r = runtime();
  checkRange(i, r.devices.length);
  const s = state();
  const prev = s.device;
  s.device = i;
  return prev;
}

/** A device scope: `using _ = xpu.device(1)` (or call `.exit()`); restores the previous device. */
export class DeviceScope implements Disposable {
  readonly idx: number;
  private prevIdx = -1;
  private entered = false;
  constructor(d: DeviceLike | null | undefined) {
    this.idx = d === null || d === undefined ? -1 : deviceIndex(d, true);
    this.enter();
  }
  private enter(): void {
    if (this.entered) return;
    this.entered = true;
    this.prevIdx = exchangeDevice(this.idx);
  }
  exit(): void {
    if (!this.entered) return;
    this.entered = false;
    if (this.prevIdx >= 0) state().device = this.prevIdx;
  }
  [Symbol.dispose](): void {
    this.exit();
  }
}

export function device(d: DeviceLike | null | undefined): DeviceScope {
  return new DeviceScope(d);
}

/** Run fn with `d` as the current device, isolated from concurrent tasks; returns fn's result. */
export function withDevice<T>(d: DeviceLike | null | undefined, fn: () => T): T {
  const idx = d === null || d === undefined ? -1 : deviceIndex(d, true);
  return runScoped((s) => {
    if (idx >= 0) {
      checkRange(idx, runtime().devices.length);
      s.device = idx;
    }
    return fn();
  });
}

/** torch device_of: a scope on the device of an object that has one (stream, event, buffer…). */
export function deviceOf(obj: unknown): DeviceScope {
  if (obj !== null && typeof obj === 'object' && 'deviceIndex' in obj) {
    const i = (obj as { deviceIndex: unknown }).deviceIndex;
    if (typeof i === 'number') return new DeviceScope(i);
  }
  if (obj !== null && typeof obj === 'object' && 'device' in obj) {
    const dv = (obj as { device: unknown }).device;
    if (typeof dv === 'number' || typeof dv === 'string' || (typeof dv === 'object' && dv !== null)) {
      return new DeviceScope(dv as DeviceLike);
    }
  }
  return new DeviceScope(-1);
}

export function getDeviceProperties(d?: DeviceLike | null): DeviceProperties {
  const rec = deviceRecord(d);
  return queryProperties(runtime().ze, rec);
}

export function getDeviceCapability(d?: DeviceLike | null): DeviceCapability {
  return capabilityOf(getDeviceProperties(d));
}

/**
 * torch.xpu.is_bf16_supported(including_emulation=True): true when emulation counts, else whether the
 * current device reports bfloat16 conversions (never invented: an unreported field counts as no).
 */
export function isBf16Supported(includingEmulation = true): boolean {
  return includingEmulation || getDeviceProperties().hasBfloat16Conversions === true;
}

/**
 * torch.xpu.is_tf32_supported(): false without a device, else whether the current device has subgroup
 * matrix multiply-accumulate (DPAS, which accelerates tf32 on Xe and newer; torch's rule since it
 * stopped asking for the tf32 matrix combination). An unreported field counts as no.
 */
export function isTf32Supported(): boolean {
  if (!xpuCore.isAvailable()) return false;
  return getDeviceProperties().hasSubgroupMatrixMultiplyAccumulate === true;
}

export function canDeviceAccessPeer(a: DeviceLike, b: DeviceLike): boolean {
  const da = deviceRecord(a, false);
  const db = deviceRecord(b, false);
  return canAccessPeer(da, db);
}

export { XpuError };
