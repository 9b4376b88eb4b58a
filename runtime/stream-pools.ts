// The stream pools of each device (torch's): per engine class and priority, 32 streams handed out
// round-robin; ids as torch's (index << 4 | type << 1 | 1); the default current stream NORMAL #31; a
// broken pool stream replaced by a fresh one; external streams (wrapped command lists) kept by handle.
// Also what works on all of a device's streams: device synchronize, shutdown's close and hang check.
import type { EngineRef } from '../protocol/timeline.js';
import { runtime } from './core.js';
import { checkRange, deviceIndex, type DeviceLike } from './device-arg.js';
import { deviceRuntime, PerDevice, resolveTimeout, type DeviceRuntime } from './device-runtime.js';
import { stopDeliveryWhenIdle } from './busy-streams.js';
import { XpuError, type ZeError } from './errors.js';
import type { EngineGroup } from './properties.js';
import { Stream, type SyncOptions } from './streams.js';

export const POOL_SIZE = 32;
/** torch StreamIdType: LOW 0, NORMAL 1, HIGH 2, EXT 7. Copy-engine pools (xpuscope) use 3, 4, 5. */
export const STREAM_TYPE = {
  LOW: 0,
  NORMAL: 1,
  HIGH: 2,
  COPY_LOW: 3,
  COPY_NORMAL: 4,
  COPY_HIGH: 5,
  EXT: 7,
} as const;
const DEFAULT_INDEX = POOL_SIZE - 1; // torch: the default current stream is NORMAL #31

/** A stream priority (lower is higher; clamped to [-1, 1]) → its pool type LOW, NORMAL or HIGH. */
export function priorityType(priority: number): 0 | 1 | 2 {
  const p = Math.trunc(priority);
  if (p >= 1) return STREAM_TYPE.LOW;
  if (p <= -1) return STREAM_TYPE.HIGH;
  return STREAM_TYPE.NORMAL;
}
const PRIORITY_OF = [1, 0, -1];

interface Pools {
  streams: Map<number, Stream[]>; // key: stream type (0..5)
  counters: number[];
  external: Map<bigint, Stream>;
  nextExternal: number;
  /** Pool streams replaced after they broke (closed at shutdown). */
  broken: Stream[];
  /** The first DEVICE_LOST a stream of this device reported (device synchronize rejects with it). */
  lost?: ZeError;
}

const pools = new PerDevice<Pools>(() => ({
  streams: new Map(),
  counters: [0, 0, 0, 0, 0, 0],
  external: new Map(),
  nextExternal: 0,
  broken: [],
}));

function poolOf(dr: DeviceRuntime, type: number): Stream[] {
  const p = pools.get(dr);
  let list = p.streams.get(type);
  if (list) return list;
  const copy = type >= STREAM_TYPE.COPY_LOW;
  const group: EngineGroup | undefined = copy ? dr.copy : dr.compute;
  if (!group) throw new XpuError(`Device ${dr.index} (${dr.rec.name}) has no copy-only engine.`);
  const ptype = copy ? type - STREAM_TYPE.COPY_LOW : type;
  list = [];
  for (let i = 0; i < POOL_SIZE; i++) {
    const engine: EngineRef = {
      ordinal: group.ordinal,
      index: i % Math.max(group.numQueues, 1),
      kind: group.kind,
    };
    list.push(Stream.make(dr, (i << 4) | (type << 1) | 1, PRIORITY_OF[ptype] ?? 0, engine, 0n, false));
  }
  p.streams.set(type, list);
  return list;
}

/** new xpu.Stream(): the next stream of the device's pool for this priority type and engine class. */
export function nextPoolStream(dr: DeviceRuntime, ptype: 0 | 1 | 2, engine: 'compute' | 'copy'): Stream {
  const type = engine === 'copy' ? ptype + STREAM_TYPE.COPY_LOW : ptype;
  const list = poolOf(dr, type);
  const p = pools.get(dr);
  const i = (p.counters[type] ?? 0) % POOL_SIZE;
  p.counters[type] = (p.counters[type] ?? 0) + 1;
  return list[i] as Stream;
}

/**
 * torch `Stream(stream_id=, device_index=)` (XPUStream::unpack3): the stream an id names on the device
 * — the pool stream (its current one, if a broken one was replaced) or a wrapped external stream.
 */
export function streamFromId(dr: DeviceRuntime, streamId: number): Stream {
  if (!Number.isSafeInteger(streamId) || streamId < 0 || (streamId & 1) !== 1) {
    throw new XpuError(`invalid StreamId: ${String(streamId)}`);
  }
  const type = (streamId >> 1) & 7;
  const index = streamId >> 4;
  if (type === STREAM_TYPE.EXT) {
    for (const s of pools.get(dr).external.values()) if (s.streamId === streamId) return s;
    throw new XpuError(
      `invalid StreamId: ${streamId} (no external stream with this id on device ${dr.index}: wrap the queue with xpu.externalStream first)`,
    );
  }
  if (type > STREAM_TYPE.COPY_HIGH || index >= POOL_SIZE) throw new XpuError(`invalid StreamId: ${streamId}`);
  return poolOf(dr, type)[index] as Stream;
}

/** A broken pool stream is replaced by a fresh one (same id and engine, new command list). */
export function replaceInPool(dr: DeviceRuntime, s: Stream): void {
  const p = pools.peek(dr);
  if (!p) return;
  for (const list of p.streams.values()) {
    const i = list.indexOf(s);
    if (i < 0) continue;
    list[i] = Stream.make(dr, s.streamId, s.priority, { ...s.engine }, 0n, false);
    // The broken one stays reachable for close() at shutdown.
    p.broken.push(s);
  }
}

/** A stream of the device met DEVICE_LOST: the first such error is what device synchronize reports. */
export function noteDeviceLost(dr: DeviceRuntime, err: ZeError): void {
  const p = pools.get(dr);
  p.lost ??= err;
}

/**
 * @internal Broken streams of the device whose work is still executing (not completed, device not
 * lost): the device still references their command lists, events and memory, so none may be destroyed.
 */
export function hungStreams(dr: DeviceRuntime): Stream[] {
  const p = pools.peek(dr);
  if (!p) return [];
  const all = [...p.broken, ...[...p.streams.values()].flat(), ...p.external.values()];
  return all.filter((s) => s.broken && s.stillRunning());
}

/** @internal xpu.shutdown(): close every stream of the device (pool, replaced broken, external). */
export function closeStreams(dr: DeviceRuntime): number {
  const p = pools.peek(dr);
  if (!p) return 0;
  let failed = 0;
  for (const list of p.streams.values()) for (const s of list) failed += s.close();
  for (const s of p.broken) failed += s.close();
  for (const s of p.external.values()) failed += s.close();
  pools.drop(dr);
  stopDeliveryWhenIdle();
  return failed;
}

/** The default current stream of a device (torch: NORMAL #31). */
export function defaultStream(index: number): Stream {
  return poolOf(deviceRuntime(index), STREAM_TYPE.NORMAL)[DEFAULT_INDEX] as Stream;
}

/**
 * Wait for all pool streams of the device (torch: not external ones), with the wait timeout (a stream
 * that does not finish in time is marked broken and the call rejects). Streams already broken are
 * skipped: their work is abandoned.
 */
export async function synchronize(d?: DeviceLike | null, opts: SyncOptions = {}): Promise<void> {
  const idx = deviceIndex(d, true);
  checkRange(idx, runtime().devices.length);
  const timeoutMs = resolveTimeout(opts.timeoutMs);
  const dr = deviceRuntime(idx);
  const p = pools.get(dr);
  const all: Promise<void>[] = [];
  for (const list of p.streams.values())
    for (const s of list) if (s.pendingCount > 0 && !s.broken) all.push(s.synchronize({ timeoutMs }));
  const results = await Promise.allSettled(all);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  // A lost device stays lost: its broken streams are skipped above, so report the loss itself.
  if (p.lost) throw p.lost;
}

/** Wrap an existing immediate command list (torch get_stream_from_external). */
export function externalStream(nativeHandle: bigint | number, d?: DeviceLike | null): Stream {
  const h = BigInt(nativeHandle);
  if (h === 0n) throw new XpuError('External stream handle must not be null.');
  const idx = deviceIndex(d, true);
  checkRange(idx, runtime().devices.length);
  const dr = deviceRuntime(idx);
  const ze = dr.ze;
  const imm = ze.optional.zeCommandListIsImmediate;
  if (imm) {
    const v = new Uint8Array(1);
    if ((imm(h, v) as number) === 0 && v[0] === 0)
      throw new XpuError('External stream must be an immediate command list.');
  }
  const getDev = ze.optional.zeCommandListGetDeviceHandle;
  if (getDev) {
    const out = new BigUint64Array(1);
    if ((getDev(h, out) as number) === 0 && out[0] !== dr.rec.handle) {
      throw new XpuError(`External stream belongs to another device than xpu:${idx}.`);
    }
  }
  const p = pools.get(dr);
  const known = p.external.get(h);
  if (known) return known;
  const s = Stream.make(
    dr,
    (p.nextExternal++ << 4) | (STREAM_TYPE.EXT << 1) | 1,
    0,
    { ordinal: dr.compute.ordinal, index: 0, kind: dr.compute.kind },
    h,
    true,
  );
  p.external.set(h, s);
  return s;
}
