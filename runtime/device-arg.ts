// Device arguments as torch accepts them: number | 'xpu' | 'xpu:N' | { type: 'xpu', index?: N }.
import { XpuError } from './errors.js';
import { state } from './state.js';

export type DeviceLike = number | string | { type: string; index?: number | null | undefined };

function show(d: unknown): string {
  if (typeof d === 'object' && d !== null && 'type' in d) {
    const o = d as { type: unknown; index?: unknown };
    return o.index === undefined || o.index === null
      ? String(o.type)
      : `${String(o.type)}:${String(o.index)}`;
  }
  return String(d);
}

/**
 * torch `_get_device_index(device, optional)`: the index, or the current device when `d` is
 * undefined/null or has no index and `optional` is true. No range check here.
 */
export function deviceIndex(d: DeviceLike | null | undefined, optional = true): number {
  if (d === undefined || d === null) {
    if (optional) return state().device;
    throw new XpuError(`Expected a torch.device with a specified index or an integer, but got:${String(d)}`);
  }
  if (typeof d === 'number') {
    if (!Number.isInteger(d)) throw new XpuError(`Invalid device index: ${d} (expected an integer).`);
    return d;
  }
  let type: string;
  let index: number | undefined;
  if (typeof d === 'string') {
    const m = /^([a-zA-Z_]+)(?::(-?\d+))?$/.exec(d.trim());
    if (!m || !m[1]) throw new XpuError(`Invalid device string: '${d}'`);
    type = m[1];
    index = m[2] === undefined ? undefined : Number(m[2]);
  } else if (typeof d === 'object' && typeof d.type === 'string') {
    type = d.type;
    if (d.index !== undefined && d.index !== null) {
      if (!Number.isInteger(d.index))
        throw new XpuError(`Invalid device index: ${String(d.index)} (expected an integer).`);
      index = d.index;
    }
  } else {
    throw new XpuError(`Expected a torch.device with a specified index or an integer, but got:${show(d)}`);
  }
  if (type !== 'xpu') throw new XpuError(`Expected a xpu device, but got: ${show(d)}`);
  if (index === undefined) {
    if (optional) return state().device;
    throw new XpuError(`Expected a torch.device with a specified index or an integer, but got:${show(d)}`);
  }
  return index;
}

/** torch c10::xpu::check_device_index (c10/xpu/XPUFunctions.h): the index must be in [0, count). */
export function checkRange(index: number, count: number): void {
  if (index < 0 || index >= count) {
    throw new XpuError(`The device index is out of range. It must be in [0, ${count}), but got ${index}.`);
  }
}
