// Per-"thread" runtime state. torch keeps the current device and the per-device current stream in
// thread-local storage; in Node the unit of concurrency is the async context, so the state lives in an
// AsyncLocalStorage store: withDevice/withStream run their callback in a copy of the caller's state,
// so concurrent tasks never see each other's changes. Outside any such scope the module-level root
// state is used (one per worker thread, since every worker loads its own copy of this module).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Stream } from './streams.js';

export interface XpuState {
  device: number;
  /** Current stream per device index (absent → the device's default stream). */
  streams: Map<number, Stream>;
}

const root: XpuState = { device: 0, streams: new Map() };
const als = new AsyncLocalStorage<XpuState>();

export function state(): XpuState {
  return als.getStore() ?? root;
}

/** Run fn in a copy of the current state (changes inside do not leak out, and vice versa). */
export function runScoped<T>(fn: (s: XpuState) => T): T {
  const cur = state();
  const copy: XpuState = { device: cur.device, streams: new Map(cur.streams) };
  return als.run(copy, () => fn(copy));
}
