// Memory: xpu.alloc and torch.xpu.memory's caching allocator and statistics.
//
// Device allocations go through a per-device caching allocator shaped like PyTorch's: requests are
// rounded to 512 bytes; requests up to 1 MiB come from the small pool (2 MiB segments), larger ones
// from the large pool (20 MiB segments below 10 MiB, else rounded up to 2 MiB); blocks are split and
// merged inside their segment; free() returns a block to its pool once work in flight that uses it
// has completed; emptyCache() returns wholly free segments to the driver (zeMemFree).
// Host and shared allocations are not cached (zeMemAllocHost/Shared and zeMemFree directly) and are
// not part of torch's statistics.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { formatBytes } from '../protocol/format.js';
import { runtime } from './core.js';
import { checkRange, deviceIndex, type DeviceLike } from './device-arg.js';
import {
  closedError,
  deviceRuntime,
  existingDeviceRuntimes,
  PerDevice,
  type DeviceRuntime,
} from './device-runtime.js';
import { XpuError, ZeError } from './errors.js';
import { queryProperties } from './properties.js';
import { busyStreams } from './busy-streams.js';
import type { MemoryRef } from './streams.js';
import { L, struct } from './ze/layouts.js';

export type MemoryKind = 'device' | 'host' | 'shared';

export interface AllocOptions {
  kind?: MemoryKind;
  device?: DeviceLike | null;
}

const MIN_BLOCK = 512;
const SMALL_SIZE = 1 << 20; // 1 MiB
const SMALL_BUFFER = 2 << 20; // 2 MiB
const LARGE_BUFFER = 20 << 20; // 20 MiB
const MIN_LARGE_ALLOC = 10 << 20; // 10 MiB
const ROUND_LARGE = 2 << 20; // 2 MiB
const ALIGNMENT = 64;

type PoolName = 'small_pool' | 'large_pool';
const STAT_NAMES = [
  'allocation',
  'segment',
  'active',
  'inactive_split',
  'allocated_bytes',
  'reserved_bytes',
  'active_bytes',
  'inactive_split_bytes',
  'requested_bytes',
] as const;
type StatName = (typeof STAT_NAMES)[number];

interface Stat {
  current: number;
  peak: number;
  allocated: number;
  freed: number;
}
const newStat = (): Stat => ({ current: 0, peak: 0, allocated: 0, freed: 0 });

interface Segment {
  ptr: bigint;
  size: number;
  pool: PoolName;
  /** The block at offset 0 (splits keep the lower block, merges keep the lower one): the block list's head. */
  first: Block | undefined;
}

interface Block {
  seg: Segment;
  offset: number;
  size: number;
  requested: number;
  allocated: boolean;
  prev: Block | undefined;
  next: Block | undefined;
}

class CachingAllocator {
  readonly stats: Record<StatName, Record<PoolName | 'all', Stat>>;
  numAllocRetries = 0;
  numOoms = 0;
  /** setPerProcessMemoryFraction limit in bytes (reserved memory may not exceed it). */
  limit = Infinity;
  /** The fraction that limit came from (torch's default 1.0: no cap beyond the device's memory). */
  fraction = 1;
  private readonly free: Record<PoolName, Set<Block>> = { small_pool: new Set(), large_pool: new Set() };
  private readonly segments = new Set<Segment>();
  constructor(private readonly dr: DeviceRuntime) {
    this.stats = Object.fromEntries(
      STAT_NAMES.map((n) => [n, { all: newStat(), small_pool: newStat(), large_pool: newStat() }]),
    ) as Record<StatName, Record<PoolName | 'all', Stat>>;
  }

  private upd(name: StatName, pool: PoolName, delta: number): void {
    for (const key of ['all', pool] as const) {
      const s = this.stats[name][key];
      s.current += delta;
      if (delta > 0) s.allocated += delta;
      else s.freed -= delta;
      if (s.current > s.peak) s.peak = s.current;
    }
  }

  malloc(requested: number): Block {
    const size = Math.max(MIN_BLOCK, Math.ceil(requested / MIN_BLOCK) * MIN_BLOCK);
    const pool: PoolName = size <= SMALL_SIZE ? 'small_pool' : 'large_pool';
    let block = this.bestFit(pool, size);
    if (!block) {
      const segSize =
        pool === 'small_pool'
          ? SMALL_BUFFER
          : size < MIN_LARGE_ALLOC
            ? LARGE_BUFFER
            : Math.ceil(size / ROUND_LARGE) * ROUND_LARGE;
      let seg: Segment;
      try {
        seg = this.newSegment(segSize, pool);
      } catch (e) {
        if (
          !(e instanceof ZeError) ||
          (e.result !== 0x70000003 && e.result !== 0x78000009 && e.result !== 0x70000002)
        )
          throw e;
        this.numAllocRetries++;
        this.releaseCached();
        try {
          seg = this.newSegment(segSize, pool);
        } catch (e2) {
          this.numOoms++;
          const props = queryProperties(this.dr.ze, this.dr.rec);
          const total = props.totalMemory;
          const a = this.stats.allocated_bytes.all.current;
          const r = this.stats.reserved_bytes.all.current;
          throw new XpuError(
            `XPU out of memory. Tried to allocate ${fmt(size)} (GPU ${this.dr.index}; ${total !== undefined ? `${fmt(total)} total capacity; ` : ''}` +
              `${fmt(a)} already allocated by this process; ${fmt(r)} reserved in total by this process). ${(e2 as Error).message}`,
            { cause: e2 },
          );
        }
      }
      block = {
        seg,
        offset: 0,
        size: segSize,
        requested: 0,
        allocated: false,
        prev: undefined,
        next: undefined,
      };
      seg.first = block;
      this.upd('segment', pool, 1);
      this.upd('reserved_bytes', pool, segSize);
    } else {
      this.free[pool].delete(block);
      if (block.prev || block.next) {
        // It was an inactive split.
        this.upd('inactive_split', pool, -1);
        this.upd('inactive_split_bytes', pool, -block.size);
      }
    }
    const remaining = block.size - size;
    if (remaining >= (pool === 'small_pool' ? MIN_BLOCK : SMALL_SIZE + 1)) {
      const rest: Block = {
        seg: block.seg,
        offset: block.offset + size,
        size: remaining,
        requested: 0,
        allocated: false,
        prev: block,
        next: block.next,
      };
      if (block.next) block.next.prev = rest;
      block.next = rest;
      block.size = size;
      this.free[pool].add(rest);
      this.upd('inactive_split', pool, 1);
      this.upd('inactive_split_bytes', pool, remaining);
    }
    block.allocated = true;
    block.requested = requested;
    this.upd('allocation', pool, 1);
    this.upd('active', pool, 1);
    this.upd('allocated_bytes', pool, block.size);
    this.upd('active_bytes', pool, block.size);
    this.upd('requested_bytes', pool, requested);
    return block;
  }

  release(block: Block): void {
    const pool = block.seg.pool;
    block.allocated = false;
    this.upd('allocation', pool, -1);
    this.upd('active', pool, -1);
    this.upd('allocated_bytes', pool, -block.size);
    this.upd('active_bytes', pool, -block.size);
    this.upd('requested_bytes', pool, -block.requested);
    block.requested = 0;
    let b = block;
    for (const nb of [b.prev, b.next]) {
      if (!nb || nb.allocated) continue;
      this.free[pool].delete(nb);
      this.upd('inactive_split', pool, -1);
      this.upd('inactive_split_bytes', pool, -nb.size);
      if (nb === b.prev) {
        nb.size += b.size;
        nb.next = b.next;
        if (b.next) b.next.prev = nb;
        b = nb;
      } else {
        b.size += nb.size;
        b.next = nb.next;
        if (nb.next) nb.next.prev = b;
      }
    }
    this.free[pool].add(b);
    if (b.prev || b.next) {
      this.upd('inactive_split', pool, 1);
      this.upd('inactive_split_bytes', pool, b.size);
    }
  }

  private bestFit(pool: PoolName, size: number): Block | undefined {
    let best: Block | undefined;
    for (const b of this.free[pool]) {
      if (
        b.size >= size &&
        (!best ||
          b.size < best.size ||
          (b.size === best.size && b.seg.ptr + BigInt(b.offset) < best.seg.ptr + BigInt(best.offset)))
      )
        best = b;
    }
    // torch does not hand out oversize large-pool blocks for small requests; keep large blocks for large requests.
    return best;
  }

  private newSegment(size: number, pool: PoolName): Segment {
    if (this.stats.reserved_bytes.all.current + size > this.limit) {
      throw new ZeError(
        'zeMemAllocDevice',
        0x70000003,
        `per-process memory fraction limit of ${fmt(this.limit)} reached`,
      );
    }
    const desc = struct(L.ze_device_mem_alloc_desc_t);
    const out = new BigUint64Array(1);
    const r = this.dr.ze.fn.zeMemAllocDevice(
      this.dr.context,
      desc.buf,
      size,
      ALIGNMENT,
      this.dr.rec.handle,
      out,
    ) as number;
    if (r !== 0) throw new ZeError('zeMemAllocDevice', r, `${size} bytes on device ${this.dr.index}`);
    const seg: Segment = { ptr: out[0] ?? 0n, size, pool, first: undefined };
    this.segments.add(seg);
    return seg;
  }

  /** Free every wholly unused segment. */
  releaseCached(): void {
    for (const pool of ['small_pool', 'large_pool'] as const) {
      for (const b of [...this.free[pool]]) {
        if (b.prev || b.next || b.offset !== 0 || b.size !== b.seg.size) continue;
        this.free[pool].delete(b);
        this.segments.delete(b.seg);
        const r = this.dr.ze.fn.zeMemFree(this.dr.context, b.seg.ptr) as number;
        if (r !== 0) throw new ZeError('zeMemFree', r);
        this.upd('segment', pool, -1);
        this.upd('reserved_bytes', pool, -b.seg.size);
      }
    }
  }

  /** xpu.shutdown(): zeMemFree every segment, in use or cached. Returns the number of failed frees. */
  destroy(): number {
    let failed = 0;
    for (const seg of this.segments)
      if ((this.dr.ze.fn.zeMemFree(this.dr.context, seg.ptr) as number) !== 0) failed++;
    this.segments.clear();
    this.free.small_pool.clear();
    this.free.large_pool.clear();
    return failed;
  }

  /** Every segment with its blocks in address order (memorySnapshot). */
  snapshot(device: number): SnapshotSegment[] {
    const out: SnapshotSegment[] = [];
    const segs = [...this.segments].sort((a, b) => (a.ptr < b.ptr ? -1 : a.ptr > b.ptr ? 1 : 0));
    for (const seg of segs) {
      const blocks: SnapshotBlock[] = [];
      let allocated = 0;
      let requested = 0;
      for (let b = seg.first; b; b = b.next) {
        blocks.push({
          address: seg.ptr + BigInt(b.offset),
          size: b.size,
          requested_size: b.allocated ? b.requested : 0,
          state: b.allocated ? 'active_allocated' : 'inactive',
          frames: [],
        });
        if (b.allocated) {
          allocated += b.size;
          requested += b.requested;
        }
      }
      out.push({
        device,
        address: seg.ptr,
        total_size: seg.size,
        allocated_size: allocated,
        // A block is active from malloc until its memory may be reused: xpuscope releases a freed block
        // only once the work using it completed (XpuBuffer.free), so active and allocated coincide.
        active_size: allocated,
        requested_size: requested,
        stream: 0,
        segment_type: seg.pool === 'small_pool' ? 'small' : 'large',
        segment_pool_id: [0, 0],
        is_expandable: false,
        frames: [],
        blocks,
      });
    }
    return out;
  }

  resetPeaks(): void {
    for (const n of STAT_NAMES)
      for (const k of ['all', 'small_pool', 'large_pool'] as const)
        this.stats[n][k].peak = this.stats[n][k].current;
  }

  resetAccumulated(): void {
    for (const n of STAT_NAMES)
      for (const k of ['all', 'small_pool', 'large_pool'] as const) {
        this.stats[n][k].allocated = 0;
        this.stats[n][k].freed = 0;
      }
    this.numAllocRetries = 0;
    this.numOoms = 0;
  }
}

/** Sizes in torch's out-of-memory message: "64.00 MiB", "512 bytes". */
function fmt(bytes: number): string {
  return bytes >= 1024 ? formatBytes(bytes, 2) : `${bytes} bytes`;
}

/** The caching allocator of each device runtime (created on first allocation). */
const allocators = new PerDevice((dr) => new CachingAllocator(dr));

// ---- host memcpy (koffi.view is unavailable in Electron; libc memcpy works everywhere) ----
type Memcpy = (dst: unknown, src: unknown, n: number) => unknown;
let memcpy: Memcpy | undefined;
function hostCopy(dst: unknown, src: unknown, n: number): void {
  if (!memcpy) {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    memcpy = koffi
      .load('libc.so.6')
      .func('void *memcpy(void *dst, void *src, size_t n)') as unknown as Memcpy;
  }
  memcpy(dst, src, n);
}

/** Memory returned by xpu.alloc. Free it with free() or `using`. */
export class XpuBuffer implements MemoryRef, Disposable {
  private inflight = 0;
  private freed = false;
  private released = false;
  /** @internal */
  constructor(
    readonly kind: MemoryKind,
    readonly deviceIndex: number,
    readonly ptr: bigint,
    readonly bytes: number,
    private readonly dr: DeviceRuntime,
    private readonly block: Block | undefined,
  ) {
    liveBuffers.get(dr).add(this);
  }

  get device(): { type: 'xpu'; index: number } {
    return { type: 'xpu', index: this.deviceIndex };
  }
  get isFreed(): boolean {
    return this.freed;
  }

  /** @internal stream operations keep the buffer alive until they complete. */
  retain(): void {
    this.inflight++;
  }
  /** @internal */
  release(): void {
    if (--this.inflight === 0 && this.freed) this.doRelease();
  }

  /** Release the memory (deferred until in-flight operations that use it have completed). */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.inflight === 0) this.doRelease();
  }
  [Symbol.dispose](): void {
    this.free();
  }

  private doRelease(): void {
    if (this.released) return;
    this.released = true;
    liveBuffers.get(this.dr).delete(this);
    if (this.dr.closed) return; // xpu.shutdown() already returned the memory
    if (this.block) allocators.get(this.dr).release(this.block);
    else {
      const r = this.dr.ze.fn.zeMemFree(this.dr.context, this.ptr) as number;
      if (r !== 0) throw new ZeError('zeMemFree', r);
    }
  }

  /** @internal xpu.shutdown(): the memory is gone; free host/shared memory here (segments go with the allocator). */
  closeForShutdown(): number {
    this.freed = true;
    if (this.released) return 0;
    this.released = true;
    if (this.block) return 0;
    return (this.dr.ze.fn.zeMemFree(this.dr.context, this.ptr) as number) !== 0 ? 1 : 0;
  }

  private hostCheck(offset: number, length: number): void {
    if (this.dr.closed) throw closedError(`this ${this.kind} buffer`);
    if (this.freed) throw new XpuError('Buffer was freed.');
    if (this.kind === 'device') {
      throw new XpuError(
        'Device memory is not host-accessible: copy it to a host or shared buffer with stream.copy().',
      );
    }
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.bytes
    ) {
      throw new XpuError(`Range ${offset}+${length} is outside the buffer (${this.bytes} bytes).`);
    }
  }

  /** Copy bytes out of a host/shared buffer (synchronise the stream that wrote it first). */
  read(offset = 0, length = this.bytes - offset): Buffer {
    this.hostCheck(offset, length);
    const out = Buffer.alloc(length);
    if (length > 0) hostCopy(out, this.ptr + BigInt(offset), length);
    return out;
  }

  /** Copy bytes into a host/shared buffer. */
  write(data: ArrayBufferView, offset = 0): void {
    const src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.hostCheck(offset, src.length);
    if (src.length > 0) hostCopy(this.ptr + BigInt(offset), src, src.length);
  }

  toString(): string {
    return `xpu.Buffer(${this.kind}, ${this.bytes} bytes, device=xpu:${this.deviceIndex})`;
  }
}

export function alloc(bytes: number, opts: AllocOptions = {}): XpuBuffer {
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new XpuError(`Invalid allocation size: ${String(bytes)} (a positive integer number of bytes).`);
  const kind = opts.kind ?? 'device';
  if (kind !== 'device' && kind !== 'host' && kind !== 'shared')
    throw new XpuError(`Invalid memory kind '${String(kind)}': expected device, host or shared.`);
  const idx = deviceIndex(opts.device, true);
  checkRange(idx, runtime().devices.length);
  const dr = deviceRuntime(idx);
  if (kind === 'device') {
    const block = allocators.get(dr).malloc(bytes);
    return new XpuBuffer('device', idx, block.seg.ptr + BigInt(block.offset), bytes, dr, block);
  }
  const out = new BigUint64Array(1);
  const host = struct(L.ze_host_mem_alloc_desc_t);
  let r: number;
  if (kind === 'host') {
    r = dr.ze.fn.zeMemAllocHost(dr.context, host.buf, bytes, ALIGNMENT, out) as number;
  } else {
    const dev = struct(L.ze_device_mem_alloc_desc_t);
    r = dr.ze.fn.zeMemAllocShared(
      dr.context,
      dev.buf,
      host.buf,
      bytes,
      ALIGNMENT,
      dr.rec.handle,
      out,
    ) as number;
  }
  if (r !== 0)
    throw new ZeError(kind === 'host' ? 'zeMemAllocHost' : 'zeMemAllocShared', r, `${bytes} bytes`);
  return new XpuBuffer(kind, idx, out[0] ?? 0n, bytes, dr, undefined);
}

/** Buffers not yet released, per device runtime (so that shutdown can free them). */
const liveBuffers = new PerDevice<Set<XpuBuffer>>(() => new Set());

/**
 * @internal xpu.shutdown(): free every live buffer (host/shared directly) and every segment of the
 * caching allocator, cached or in use. Buffers still referenced become unusable. Returns failures.
 */
export function closeMemory(dr: DeviceRuntime): number {
  let failed = 0;
  const set = liveBuffers.peek(dr);
  for (const b of set ?? []) failed += b.closeForShutdown();
  set?.clear();
  const a = allocators.peek(dr);
  if (a) failed += a.destroy();
  allocators.drop(dr);
  return failed;
}

function allocatorFor(d?: DeviceLike | null): CachingAllocator {
  const idx = deviceIndex(d, true);
  checkRange(idx, runtime().devices.length);
  return allocators.get(deviceRuntime(idx));
}

export function memoryAllocated(d?: DeviceLike | null): number {
  return allocatorFor(d).stats.allocated_bytes.all.current;
}
export function maxMemoryAllocated(d?: DeviceLike | null): number {
  return allocatorFor(d).stats.allocated_bytes.all.peak;
}
export function memoryReserved(d?: DeviceLike | null): number {
  return allocatorFor(d).stats.reserved_bytes.all.current;
}
export function maxMemoryReserved(d?: DeviceLike | null): number {
  return allocatorFor(d).stats.reserved_bytes.all.peak;
}
export function resetPeakMemoryStats(d?: DeviceLike | null): void {
  allocatorFor(d).resetPeaks();
}
export function resetAccumulatedMemoryStats(d?: DeviceLike | null): void {
  allocatorFor(d).resetAccumulated();
}

/** One statistic of the caching allocator: `current`, `peak`, and the historical `allocated`/`freed`. */
export type MemoryStat = { current: number; peak: number; allocated: number; freed: number };
/** torch memory_stats_as_nested_dict: `{stat: {all|small_pool|large_pool: MemoryStat}}` + two counters. */
export type NestedMemoryStats = Record<StatName, Record<PoolName | 'all', MemoryStat>> & {
  num_alloc_retries: number;
  num_ooms: number;
};

/** torch memory_stats_as_nested_dict: the statistics as a nested object (copies, not live values). */
export function memoryStatsAsNestedDict(d?: DeviceLike | null): NestedMemoryStats {
  const a = allocatorFor(d);
  const out = {} as Record<string, unknown>;
  for (const n of STAT_NAMES) {
    const per: Record<string, MemoryStat> = {};
    for (const k of ['all', 'small_pool', 'large_pool'] as const) per[k] = { ...a.stats[n][k] };
    out[n] = per;
  }
  out.num_alloc_retries = a.numAllocRetries;
  out.num_ooms = a.numOoms;
  return out as NestedMemoryStats;
}

/**
 * torch memory_stats: memoryStatsAsNestedDict flattened to dotted keys
 * (`{stat}.{all|small_pool|large_pool}.{current|peak|allocated|freed}`, `num_ooms`…), sorted.
 */
export function memoryStats(d?: DeviceLike | null): Record<string, number> {
  const out: [string, number][] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    } else out.push([prefix, v as number]);
  };
  walk('', memoryStatsAsNestedDict(d));
  out.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return Object.fromEntries(out);
}

/** A block of a segment in memorySnapshot (torch's keys; `frames` is always empty: no stack traces). */
export interface SnapshotBlock {
  address: bigint;
  size: number;
  requested_size: number;
  state: 'active_allocated' | 'active_pending_free' | 'inactive';
  frames: never[];
}
/** A segment of the caching allocator in memorySnapshot (torch's keys). */
export interface SnapshotSegment {
  device: number;
  address: bigint;
  total_size: number;
  allocated_size: number;
  active_size: number;
  requested_size: number;
  /** torch: the allocating stream; xpuscope's allocator is not stream-ordered (always 0). */
  stream: number;
  segment_type: 'small' | 'large';
  segment_pool_id: [number, number];
  is_expandable: boolean;
  frames: never[];
  blocks: SnapshotBlock[];
}

/**
 * torch memory_snapshot: every segment of the caching allocator of every device that has one, with
 * its blocks, consistent with memoryStats (segment/allocated/reserved/active/requested sums agree).
 * Creates no runtime: before any allocation it is empty.
 */
export function memorySnapshot(): SnapshotSegment[] {
  const out: SnapshotSegment[] = [];
  for (const dr of existingDeviceRuntimes().sort((x, y) => x.index - y.index)) {
    const a = allocators.peek(dr);
    if (a) out.push(...a.snapshot(dr.index));
  }
  return out;
}

/** Sysman free/size summed over the device's memory modules, or undefined when Sysman is off. */
function sysmanMemory(dr: DeviceRuntime): [number, number] | undefined {
  const en = dr.ze.optional.zesDeviceEnumMemoryModules;
  const get = dr.ze.optional.zesMemoryGetState;
  if (!en || !get) return undefined;
  const n = new Uint32Array(1);
  if ((en(dr.rec.handle, n, null) as number) !== 0 || !n[0]) return undefined;
  const hs = new BigUint64Array(n[0]);
  if ((en(dr.rec.handle, n, hs) as number) !== 0) return undefined;
  let free = 0;
  let size = 0;
  for (const h of hs.subarray(0, n[0])) {
    const st = struct(L.zes_mem_state_t);
    if ((get(h, st.buf) as number) !== 0) return undefined;
    free += st.num('free');
    size += st.num('size');
  }
  return size > 0 ? [free, size] : undefined;
}

/**
 * [free, total] bytes. Like torch, free memory comes from Sysman (zesMemoryGetState; the runtime
 * sets ZES_ENABLE_SYSMAN=1 before zeInit unless the user set it). Without Sysman, free is the
 * zeDeviceGetMemoryProperties total minus what this process has reserved.
 */
export function memGetInfo(d?: DeviceLike | null): [number, number] {
  const idx = deviceIndex(d, true);
  checkRange(idx, runtime().devices.length);
  const dr = deviceRuntime(idx);
  const sm = sysmanMemory(dr);
  if (sm) return sm;
  const total = queryProperties(dr.ze, dr.rec).totalMemory;
  if (total === undefined) throw new XpuError(`Device ${idx} does not report its memory size.`);
  return [Math.max(0, total - allocators.get(dr).stats.reserved_bytes.all.current), total];
}

/** torch set_per_process_memory_fraction: cap this process's reserved memory at fraction × total. */
export function setPerProcessMemoryFraction(fraction: number, d?: DeviceLike | null): void {
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
    throw new XpuError(`invalid fraction:${String(fraction)}. Please set within [0, 1].`);
  }
  const idx = deviceIndex(d, true);
  checkRange(idx, runtime().devices.length);
  const dr = deviceRuntime(idx);
  const total = queryProperties(dr.ze, dr.rec).totalMemory;
  if (total === undefined) throw new XpuError(`Device ${idx} does not report its memory size.`);
  const a = allocators.get(dr);
  a.limit = fraction * total;
  a.fraction = fraction;
}

/** torch get_per_process_memory_fraction: the fraction set for the device (1.0 when never set). */
export function getPerProcessMemoryFraction(d?: DeviceLike | null): number {
  return allocatorFor(d).fraction;
}

/** Return cached, unused device memory to the driver (waits for in-flight work, like torch). */
export function emptyCache(): void {
  for (const dr of existingDeviceRuntimes()) {
    const a = allocators.peek(dr);
    if (!a) continue;
    for (const s of busyStreams(dr.index)) s.synchronizeBlocking();
    a.releaseCached();
  }
}
