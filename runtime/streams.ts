// Streams (torch.xpu.Stream): each stream is one in-order immediate command list (ASYNCHRONOUS mode)
// on an engine of its device, and each operation signals a pooled event so that query(), synchronize()
// and the recorder know when it completed. The pools that hand streams out are in stream-pools.ts,
// the current stream in current-stream.ts, events in event.ts, the 'auto' wait's estimates in
// wait-estimates.ts.
import type { EngineRef, OpKind } from '../protocol/timeline.js';
import { busy, scheduleDelivery } from './busy-streams.js';
import { runtime } from './core.js';
import { checkRange, deviceIndex, type DeviceLike } from './device-arg.js';
import {
  closedError,
  deviceRuntime,
  KERNEL_TS,
  KERNEL_TS_U32,
  lastGlobalHostNs,
  lastGlobalTicksHi,
  lastGlobalTicksLo,
  readGlobalTimestamps,
  resolveTimeout,
  waitBlockUs,
  waitStrategy,
  tickSpan32,
  ticksToHost32,
  type DeviceRuntime,
  type NativeEvent,
} from './device-runtime.js';
import { XpuError, XpuTimeoutError, ZeError, check, isDeviceLost } from './errors.js';
import { Event } from './event.js';
import { countRecorderError, deliver, recorder, takeOpId, ticksToHost, type Recorder } from './recorder.js';
import {
  nextPoolStream,
  noteDeviceLost,
  priorityType,
  replaceInPool,
  streamFromId,
  STREAM_TYPE,
} from './stream-pools.js';
import { addServiceTime, expectedEndMs, opEstimates, type OpEstimates } from './wait-estimates.js';
import { L, struct } from './ze/layouts.js';

/** Anything with a device address: xpu buffers (memory.ts) implement it. */
export interface MemoryRef {
  readonly ptr: bigint;
  readonly bytes: number;
  /** Keep alive while a submitted operation uses it. */
  retain?(): void;
  release?(): void;
}

/** A kernel ready to launch (kernels.ts implements it). */
export interface LaunchableKernel {
  readonly name: string;
  readonly deviceIndex: number;
  /** Sets group size and arguments on the native kernel; returns its handle. */
  prepare(
    groupSize: [number, number, number],
    args: readonly unknown[],
  ): { handle: bigint; keep: MemoryRef[] };
}

export interface LaunchOptions {
  groups: number | [number, number?, number?];
  groupSize: number | [number, number?, number?];
  args?: readonly unknown[];
}

export interface SyncOptions {
  /** Give up after this many ms (default: xpu.setWaitTimeout, 30 000); Infinity waits forever. */
  timeoutMs?: number;
}

export interface StreamOptions {
  device?: DeviceLike | null;
  /** Lower is higher priority; clamped to [-1, 1] (torch priority_range() = [1, -1]). */
  priority?: number;
  engine?: 'compute' | 'copy';
  /**
   * With `deviceIndex`: the existing stream of that id (torch `Stream(stream_id=, device_index=,
   * device_type=)`), not a new pool stream; `priority`, `engine` and `device` are then ignored.
   */
  streamId?: number;
  deviceIndex?: number;
  /** torch's device_type (XPU is 12 in c10::DeviceType); accepted for parity, must be xpu if given. */
  deviceType?: number | 'xpu';
}

/** c10::DeviceType::XPU, what torch's stream_id/device_index/device_type triple carries. */
const XPU_DEVICE_TYPE = 12;

const NO_EVENTS: readonly NativeEvent[] = Object.freeze([]);
const NO_BUFFERS: readonly MemoryRef[] = Object.freeze([]);

/**
 * One submitted operation not yet retired. Fixed shape, and reused: retired ones go back to a free list
 * (PENDING_FREE), so a steady stream of submissions allocates nothing per op until records are made.
 * Up to tens of thousands are in flight, long enough to survive young-generation collections, which then
 * copy and promote fresh ones. (Measured: no speed-up beyond the noise in the submit benchmark —
 * bench/NOTES.md; kept for the garbage it avoids.)
 */
class Pending {
  ev!: NativeEvent;
  kind!: OpKind;
  name!: string;
  bytes = 0;
  deps: readonly number[] | undefined = undefined;
  holds: readonly NativeEvent[] = NO_EVENTS;
  /** Memory the op uses (kept alive until it retires): up to two inline, more in `buffers`. */
  buf0: MemoryRef | undefined = undefined;
  buf1: MemoryRef | undefined = undefined;
  buffers: readonly MemoryRef[] = NO_BUFFERS;
  /** The xpu.Event an event-record op records: told when the op retires, so it can let go of its slot. */
  event: WeakRef<Event> | undefined = undefined;
  /** Recorder op id; 0 when the op is not recorded (the fields below are then unused). */
  recId = 0;
  /**
   * Submit time: host ns (Number, as the record carries it) and the device tick count's 32-bit words.
   * NaN until set: the fields start as doubles, which the values are (host ns > 2^31, tick words up
   * to 2^32). Starting at 0 (a small integer), the first large value changed the object's shape,
   * which deoptimized every function that touches a Pending (--trace-deopt: "lost precision", then
   * "wrong map"), once the low tick word passed 2^31, in the middle of a burst.
   */
  submitHost = NaN;
  submitTicksLo = NaN;
  submitTicksHi = NaN;

  static take(
    ev: NativeEvent,
    kind: OpKind,
    name: string,
    bytes: number,
    deps: readonly number[] | undefined,
  ): Pending {
    const p = PENDING_FREE.pop() ?? new Pending();
    p.ev = ev;
    p.kind = kind;
    p.name = name;
    p.bytes = bytes;
    p.deps = deps;
    return p;
  }

  retain(): void {
    this.buf0?.retain?.();
    this.buf1?.retain?.();
    for (const b of this.buffers) b.retain?.();
  }

  /** Let go of what the op held (its memory and waited events); not its own event. */
  releaseHeld(): void {
    for (const h of this.holds) h.unref();
    this.buf0?.release?.();
    this.buf1?.release?.();
    for (const b of this.buffers) b.release?.();
  }

  /** Back to the free list, with no references left to what the op used. */
  free(): void {
    this.ev = undefined as unknown as NativeEvent;
    this.deps = undefined;
    this.holds = NO_EVENTS;
    this.buf0 = undefined;
    this.buf1 = undefined;
    this.buffers = NO_BUFFERS;
    this.event = undefined;
    this.recId = 0;
    if (PENDING_FREE.length < PENDING_FREE_MAX) PENDING_FREE.push(this);
  }
}
const PENDING_FREE: Pending[] = [];
/** Enough for the bursts the benchmarks submit (10 000 in flight); ~1.5 MB when full. */
const PENDING_FREE_MAX = 16_384;

/** Single-byte fill patterns, shared (the driver reads the pattern during the append call). */
const BYTE_PATTERNS: Buffer[] = [];
function bytePattern(v: number): Buffer {
  const b = v & 0xff;
  return (BYTE_PATTERNS[b] ??= Buffer.from([b]));
}

const ZE_PRIORITY = [1, 0, 2]; // by priority type: LOW → PRIORITY_LOW, NORMAL → NORMAL, HIGH → PRIORITY_HIGH

function triple(v: number | [number, number?, number?], what: string): [number, number, number] {
  const t: [number, number, number] = typeof v === 'number' ? [v, 1, 1] : [v[0], v[1] ?? 1, v[2] ?? 1];
  for (const x of t) {
    if (!Number.isInteger(x) || x < 1 || x > 0xffffffff)
      throw new XpuError(`Invalid ${what}: ${JSON.stringify(v)} (positive integers expected).`);
  }
  return t;
}

export class Stream {
  /** { type: 'xpu', index } */
  readonly device!: { readonly type: 'xpu'; readonly index: number };
  readonly deviceIndex!: number;
  readonly priority!: number;
  readonly streamId!: number;
  /** Engine this stream's command list runs on. */
  readonly engine!: EngineRef;
  /** True for streams wrapped with xpu.externalStream. */
  readonly external!: boolean;
  private dr!: DeviceRuntime;
  private list = 0n;
  /**
   * Submitted, not yet retired, in submission order: pending[head .. length). A queue with a head
   * index, because Array.prototype.shift() moves every element (O(n) per retired op: ~6 µs at 10 000
   * ops in flight). Retired slots are cleared; the array is compacted when mostly retired.
   */
  private pending: (Pending | undefined)[] = [];
  private head = 0;
  /** End (host ns) of the last recorded op retired on this stream; 0 before one. */
  private lastEndNs = 0;
  /** The device's op-duration history (opEstimates), cached. */
  private est: OpEstimates | undefined;
  private brokenBy: XpuTimeoutError | ZeError | undefined;

  /** torch.xpu.Stream(device, priority): the next pool stream of the device (round-robin). */
  constructor(opts: StreamOptions = {}) {
    if (opts.streamId !== undefined && opts.deviceIndex !== undefined) {
      if (opts.deviceType !== undefined && opts.deviceType !== 'xpu' && opts.deviceType !== XPU_DEVICE_TYPE)
        throw new XpuError(`Expected a xpu device type, but got: ${String(opts.deviceType)}`);
      checkRange(opts.deviceIndex, runtime().devices.length);
      return streamFromId(deviceRuntime(opts.deviceIndex), opts.streamId);
    }
    const idx = deviceIndex(opts.device, true);
    checkRange(idx, runtime().devices.length);
    const engine = opts.engine ?? 'compute';
    if (engine !== 'compute' && engine !== 'copy')
      throw new XpuError(`Invalid engine '${String(engine)}': expected 'compute' or 'copy'.`);
    return nextPoolStream(deviceRuntime(idx), priorityType(opts.priority ?? 0), engine);
  }

  /** (1, -1): lowest and highest priority, as torch.xpu.Stream.priority_range(). */
  static priorityRange(): [number, number] {
    return [1, -1];
  }

  /** @internal */
  static make(
    dr: DeviceRuntime,
    streamId: number,
    priority: number,
    engine: EngineRef,
    list: bigint,
    external: boolean,
  ): Stream {
    const s = Object.create(Stream.prototype) as Stream;
    const w = s as unknown as Record<string, unknown>;
    w.device = Object.freeze({ type: 'xpu' as const, index: dr.index, toString: () => `xpu:${dr.index}` });
    w.deviceIndex = dr.index;
    w.priority = priority;
    w.streamId = streamId;
    w.engine = Object.freeze(engine);
    w.external = external;
    w.dr = dr;
    w.list = list;
    w.pending = [];
    w.head = 0;
    w.lastEndNs = 0;
    w.est = undefined;
    w.brokenBy = undefined;
    return s;
  }

  /**
   * True after a wait on this stream timed out or its device was lost: its earlier work never
   * finished; it takes no more work.
   */
  get broken(): boolean {
    return this.brokenBy !== undefined;
  }
  /** What broke this stream, if anything: the timeout, or the DEVICE_LOST error naming this stream. */
  get brokenReason(): XpuTimeoutError | ZeError | undefined {
    return this.brokenBy;
  }
  /** @internal true once xpu.shutdown() destroyed this stream's runtime. */
  get isClosed(): boolean {
    return this.dr.closed === true;
  }

  private label(): string {
    return `stream ${this.streamId} (0x${this.streamId.toString(16)}) on device ${this.deviceIndex}`;
  }

  /** Throws when this stream cannot take work: its runtime was shut down, or it is broken. */
  private usable(): void {
    if (this.dr.closed) throw closedError(`xpu.Stream ${this.streamId} on device ${this.deviceIndex}`);
    if (this.brokenBy instanceof ZeError) throw this.brokenBy;
    if (this.brokenBy) {
      throw new XpuError(
        `${this.label()} is broken: an earlier wait on it timed out after ${this.brokenBy.timeoutMs} ms, ` +
          'so work already submitted to it never finished and it accepts no more work. Use another ' +
          'stream (new xpu.Stream() skips broken ones); if the GPU is hung, restart the program.',
      );
    }
  }

  /** @internal mark broken after a timed-out wait; the pool hands out a fresh stream in its place. */
  markBroken(timeoutMs: number): XpuTimeoutError | ZeError {
    if (!this.brokenBy) {
      this.brokenBy = new XpuTimeoutError(
        `${this.label()} did not finish within ${timeoutMs} ms — the GPU may be hung (a kernel that ` +
          'never ends, or work waiting on an event nobody signals). The stream is now marked broken and ' +
          'takes no more work; other streams and devices keep working. Raise the limit with ' +
          'xpu.setWaitTimeout(ms) or { timeoutMs } if the work is just long.',
        timeoutMs,
        { deviceIndex: this.deviceIndex, streamId: this.streamId },
      );
      busy.delete(this);
      if (!this.external) replaceInPool(this.dr, this);
    }
    return this.brokenBy;
  }

  /**
   * @internal mark broken after the driver reported DEVICE_LOST for this stream's work (a GPU can be
   * lost alone: other devices keep working). The error names the stream; the device's synchronize()
   * keeps reporting it. Other errors pass through unchanged.
   */
  failed(e: unknown): unknown {
    if (!isDeviceLost(e)) return e;
    if (!this.brokenBy) {
      this.brokenBy = new ZeError(
        e.call,
        e.result,
        `${this.label()}: its work did not complete. The stream is now marked broken and takes no ` +
          'more work; streams of other devices keep working',
      );
      busy.delete(this);
      noteDeviceLost(this.dr, this.brokenBy);
      if (!this.external) replaceInPool(this.dr, this);
    }
    return this.brokenBy;
  }

  /** torch's device_type: c10::DeviceType::XPU (12), for `new Stream({ streamId, deviceIndex, deviceType })`. */
  get deviceType(): number {
    return XPU_DEVICE_TYPE;
  }

  /** The immediate command list handle (created on first use). */
  get nativeHandle(): bigint {
    return this.cmdList();
  }

  private cmdList(): bigint {
    if (this.list !== 0n) return this.list;
    const t = (this.streamId >> 1) & 7;
    const ptype = t >= STREAM_TYPE.COPY_LOW ? t - STREAM_TYPE.COPY_LOW : t;
    const create = (flags: number): [number, bigint] => {
      const desc = struct(L.ze_command_queue_desc_t, {
        ordinal: this.engine.ordinal,
        index: this.engine.index,
        flags,
        mode: 2, // ASYNCHRONOUS
        priority: ZE_PRIORITY[ptype] ?? 0,
      });
      const out = new BigUint64Array(1);
      const r = this.dr.ze.fn.zeCommandListCreateImmediate(
        this.dr.context,
        this.dr.rec.handle,
        desc.buf,
        out,
      ) as number;
      return [r, out[0] ?? 0n];
    };
    let [r, h] = create(2); // IN_ORDER (spec 1.7; older headers lack the bit, the loader passes it through)
    if (r !== 0) [r, h] = create(0);
    check(
      'zeCommandListCreateImmediate',
      r,
      `device ${this.deviceIndex}, ordinal ${this.engine.ordinal}, index ${this.engine.index}`,
    );
    this.list = h;
    return h;
  }

  /**
   * torch's equality is (device, stream id), under which an id always names the same queue. Here each
   * stream is one object (the pool hands out the same object for an id, `new Stream({ streamId,
   * deviceIndex })` and currentStream return it), while one id can name two streams: a broken pool
   * stream and its replacement, or streams of runtimes before and after xpu.shutdown(). So a stream
   * equals only itself: two different streams are never equal.
   */
  equals(other: unknown): boolean {
    return other === this;
  }

  /** torch's repr `xpu.Stream(device=xpu:0 nativeQueue=0x…)` (torch: `sycl_queue=0x…`), plus id and priority. */
  toString(): string {
    let q = this.list;
    if (q === 0n && !this.dr.closed) {
      try {
        q = this.cmdList();
      } catch {
        /* not creatable (device lost): shown as 0x0 */
      }
    }
    return `xpu.Stream(device=xpu:${this.deviceIndex} nativeQueue=0x${q.toString(16)} streamId=${this.streamId} priority=${this.priority})`;
  }

  /** True when all submitted work has completed. */
  query(): boolean {
    if (this.dr.closed) throw closedError(`xpu.Stream ${this.streamId} on device ${this.deviceIndex}`);
    this.sweep();
    return this.pendingCount === 0;
  }

  /**
   * Resolves when all work submitted so far has completed. Rejects with an XpuTimeoutError after the
   * wait timeout (xpu.setWaitTimeout, default 30 s) and marks the stream broken; a broken stream
   * rejects at once. The event loop is blocked at most for the 'auto' wait strategy's bounded
   * synchronous wait near the expected end (xpu.setWaitStrategy, runtime/README.md "Waiting").
   */
  async synchronize(opts: SyncOptions = {}): Promise<void> {
    const timeoutMs = resolveTimeout(opts.timeoutMs);
    if (this.dr.closed) throw closedError(`xpu.Stream ${this.streamId} on device ${this.deviceIndex}`);
    if (this.brokenBy) throw this.brokenBy;
    const last = this.lastPending();
    if (!last) return;
    const ev = last.ev.ref();
    try {
      // 'auto': wait on a worker thread until shortly before the expected end, then spin to it on this
      // thread; when that sees the work done, the op is retired (record delivered) and this promise
      // resolves right here. Otherwise, and without an estimate, the plain shared wait.
      const end = waitStrategy() === 'auto' && waitBlockUs() > 0 ? this.expectedEndMs() : undefined;
      const t0 = Date.now();
      let done = false;
      if (end !== undefined) {
        const near = ev.waitNear(timeoutMs, end);
        done = near === true || (await near);
      }
      if (!done) await ev.wait(end === undefined ? timeoutMs : Math.max(1, timeoutMs - (Date.now() - t0)));
    } catch (e) {
      if (e instanceof XpuTimeoutError) throw this.markBroken(timeoutMs);
      throw this.failed(e);
    } finally {
      ev.unref();
    }
    this.sweep();
  }

  /** Blocking variant for synchronous callers (emptyCache), with the wait timeout. */
  synchronizeBlocking(timeoutMs?: number): void {
    const t = resolveTimeout(timeoutMs);
    if (this.brokenBy) throw this.brokenBy;
    const last = this.lastPending();
    if (last) {
      try {
        last.ev.waitBlocking(t);
      } catch (e) {
        if (e instanceof XpuTimeoutError) throw this.markBroken(t);
        throw this.failed(e);
      }
    }
    this.sweep();
  }

  /** Make future work on this stream wait for `event` (no-op if it was never recorded). */
  waitEvent(event: Event): void {
    const nat = event.native;
    if (!nat) return;
    const deps = nat.opId ? [nat.opId] : [];
    const waits = new BigUint64Array([nat.handle]);
    const p = this.begin('event-wait', 'wait event', 0, undefined, deps);
    p.holds = [nat.ref()];
    this.commit(
      p,
      'zeCommandListAppendBarrier',
      this.dr.ze.fn.zeCommandListAppendBarrier(this.list, p.ev.handle, 1, waits) as number,
    );
  }

  /** Make future work on this stream wait for all work submitted so far to `other`. */
  waitStream(other: Stream): void {
    this.waitEvent(other.recordEvent());
  }

  /** Record `event` (a new one when omitted) on this stream and return it. */
  recordEvent(event?: Event): Event {
    const e = event ?? new Event();
    e.record(this);
    return e;
  }

  /** @internal record an event: a barrier signalling its native event. */
  recordNative(nat: NativeEvent, event?: Event): void {
    const p = this.begin('event-record', 'record event', 0, nat, undefined);
    if (event) p.event = new WeakRef(event);
    this.commit(
      p,
      'zeCommandListAppendBarrier',
      this.dr.ze.fn.zeCommandListAppendBarrier(this.list, p.ev.handle, 0, null) as number,
    );
  }

  /** Copy `bytes` (default: min of both sizes) from src to dst. */
  copy(dst: MemoryRef, src: MemoryRef, bytes?: number): void {
    const n = bytes ?? Math.min(dst.bytes, src.bytes);
    if (!Number.isInteger(n) || n < 0 || n > dst.bytes || n > src.bytes) {
      throw new XpuError(
        `Invalid copy size ${String(bytes)}: dst has ${dst.bytes} bytes, src has ${src.bytes}.`,
      );
    }
    const name = `copy ${kindLetter(src)}2${kindLetter(dst)}`;
    const p = this.begin('copy', name, n, undefined, undefined);
    p.buf0 = dst;
    p.buf1 = src;
    this.commit(
      p,
      'zeCommandListAppendMemoryCopy',
      this.dr.ze.fn.zeCommandListAppendMemoryCopy(
        this.list,
        dst.ptr,
        src.ptr,
        n,
        p.ev.handle,
        0,
        null,
      ) as number,
    );
  }

  /** Fill dst (or its first `bytes`) with a byte value or a repeated pattern. */
  fill(dst: MemoryRef, pattern: number | Uint8Array, bytes?: number): void {
    const pat = typeof pattern === 'number' ? bytePattern(pattern) : Buffer.from(pattern);
    const n = bytes ?? dst.bytes;
    if (pat.length === 0 || (pat.length & (pat.length - 1)) !== 0)
      throw new XpuError(`Fill pattern size must be a power of two, got ${pat.length}.`);
    if (!Number.isInteger(n) || n < 0 || n > dst.bytes || n % pat.length !== 0) {
      throw new XpuError(
        `Invalid fill size ${n}: must be a multiple of the pattern size (${pat.length}) within ${dst.bytes} bytes.`,
      );
    }
    const group = this.dr.engines[this.engine.ordinal];
    if (group && pat.length > group.maxMemoryFillPatternSize) {
      throw new XpuError(
        `Fill pattern of ${pat.length} bytes exceeds this engine's maximum (${group.maxMemoryFillPatternSize}).`,
      );
    }
    const p = this.begin('fill', 'fill', n, undefined, undefined);
    p.buf0 = dst;
    this.commit(
      p,
      'zeCommandListAppendMemoryFill',
      this.dr.ze.fn.zeCommandListAppendMemoryFill(
        this.list,
        dst.ptr,
        pat,
        pat.length,
        n,
        p.ev.handle,
        0,
        null,
      ) as number,
    );
  }

  /** Launch a kernel: `groups` work-groups of `groupSize` work-items each. */
  launch(kernel: LaunchableKernel, opts: LaunchOptions): void {
    if (kernel.deviceIndex !== this.deviceIndex) {
      throw new XpuError(
        `Kernel '${kernel.name}' was built for device ${kernel.deviceIndex}, not this stream's device ${this.deviceIndex}.`,
      );
    }
    if (this.engine.kind === 'copy') throw new XpuError('Cannot launch a kernel on a copy-engine stream.');
    const groups = triple(opts.groups, 'groups');
    const size = triple(opts.groupSize, 'groupSize');
    const { handle, keep } = kernel.prepare(size, opts.args ?? []);
    const gc = struct(L.ze_group_count_t, {
      groupCountX: groups[0],
      groupCountY: groups[1],
      groupCountZ: groups[2],
    });
    const p = this.begin('kernel', kernel.name, 0, undefined, undefined);
    p.buffers = keep;
    this.commit(
      p,
      'zeCommandListAppendLaunchKernel',
      this.dr.ze.fn.zeCommandListAppendLaunchKernel(
        this.list,
        handle,
        gc.buf,
        p.ev.handle,
        0,
        null,
      ) as number,
    );
  }

  /** A barrier: later work on this stream starts after earlier work (implied by in-order; recorded). */
  barrier(): void {
    const p = this.begin('barrier', 'barrier', 0, undefined, undefined);
    this.commit(
      p,
      'zeCommandListAppendBarrier',
      this.dr.ze.fn.zeCommandListAppendBarrier(this.list, p.ev.handle, 0, null) as number,
    );
  }

  /**
   * First half of a submission: checks the stream, retires completed work (so that its events are
   * reused before a new one is taken), takes the op's signal event (`signal`, or a pooled one) and,
   * with a recorder attached, reads the submit-time clocks. The caller sets holds/buffers/event on the
   * returned Pending, makes the append call with `p.ev.handle` on `this.list`, and passes its result
   * to commit(). No closure or options object per op.
   */
  private begin(
    kind: OpKind,
    name: string,
    bytes: number,
    signal: NativeEvent | undefined,
    deps: readonly number[] | undefined,
  ): Pending {
    this.usable();
    this.cmdList();
    if (this.pending.length > this.head) {
      try {
        this.sweep();
      } catch (e) {
        throw this.failed(e);
      }
    }
    const rec = recorder();
    const dr = this.dr;
    const ev = signal ? signal.ref() : dr.events.acquire(rec !== null && dr.timer !== undefined);
    const p = Pending.take(ev, kind, name, bytes, deps);
    if (rec && dr.timer && ev.timestamp) {
      try {
        readGlobalTimestamps(dr);
      } catch (e) {
        ev.unref();
        throw e;
      }
      p.submitHost = lastGlobalHostNs();
      p.submitTicksLo = lastGlobalTicksLo();
      p.submitTicksHi = lastGlobalTicksHi();
      p.recId = takeOpId();
      ev.opId = p.recId;
    }
    return p;
  }

  /** Second half of a submission: the append call's result; queue the op or undo begin() and throw. */
  private commit(p: Pending, call: string, r: number): void {
    if (r !== 0) {
      p.ev.unref();
      for (const h of p.holds) h.unref();
      p.free();
      throw this.failed(new ZeError(call, r));
    }
    p.retain();
    this.pending.push(p);
    busy.add(this);
    if (p.recId !== 0) scheduleDelivery();
  }

  /** Retire completed work from the front (in-order: completion is in submission order). */
  sweep(): void {
    const rec = recorder();
    const q = this.pending;
    while (this.head < q.length) {
      const p = q[this.head] as Pending;
      if (!p.ev.done()) break;
      q[this.head++] = undefined;
      if (p.recId !== 0 && rec) this.deliverRecord(p, rec);
      p.event?.deref()?.retire(p.ev);
      p.releaseHeld();
      p.ev.unref();
      p.free();
    }
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
      busy.delete(this);
    } else if (this.head >= 1024 && this.head * 2 >= q.length) {
      this.pending = q.slice(this.head);
      this.head = 0;
    }
  }

  /** When the pending work is expected to be complete (wait-estimates.ts), for the 'auto' wait. */
  private expectedEndMs(): number | undefined {
    return expectedEndMs(this.dr, this.est, this.pending, this.head, this.lastEndNs);
  }

  /** The most recently submitted operation not yet retired. */
  private lastPending(): Pending | undefined {
    return this.pending.length > this.head ? this.pending[this.pending.length - 1] : undefined;
  }

  /** Convert and hand a completed recorded op to the recorder (timestamp read failures are counted, not thrown). */
  private deliverRecord(p: Pending, rec: Recorder): void {
    const timer = this.dr.timer;
    if (!timer) return;
    try {
      p.ev.readKernelTimestamp();
    } catch {
      countRecorderError();
      return;
    }
    const mask = timer.kernelMask32;
    let startNs: number;
    let endNs: number;
    if (mask !== undefined) {
      // No BigInt allocation: with a counter of at most 32 bits only the low words matter.
      const nsPerTick = 1e9 / timer.frequency;
      const start = KERNEL_TS_U32[0] as number;
      startNs = ticksToHost32(mask, nsPerTick, p.submitHost, p.submitTicksLo, start);
      endNs = startNs + tickSpan32(mask, start, KERNEL_TS_U32[2] as number) * nsPerTick;
    } else {
      const ticks = (BigInt(p.submitTicksHi) << 32n) | BigInt(p.submitTicksLo);
      const t = ticksToHost(
        timer,
        BigInt(p.submitHost),
        ticks,
        KERNEL_TS[0] as bigint,
        KERNEL_TS[1] as bigint,
      );
      startNs = t.startNs;
      endNs = t.endNs;
    }
    // duration history for expectedEndMs(), kept only while the 'auto' wait strategy can use it
    if (waitStrategy() === 'auto')
      addServiceTime(
        (this.est ??= opEstimates(this.dr)),
        p.name,
        endNs - Math.max(p.submitHost, this.lastEndNs),
      );
    this.lastEndNs = endNs;
    deliver(rec, {
      id: p.recId,
      device: this.deviceIndex,
      stream: this.streamId,
      engine: this.engine,
      kind: p.kind,
      name: p.name,
      bytes: p.bytes,
      submitNs: p.submitHost,
      startNs,
      endNs,
      deps: p.deps ? [...p.deps] : [],
    });
  }

  /** @internal number of operations not yet retired. */
  get pendingCount(): number {
    return this.pending.length - this.head;
  }

  /** @internal the last submitted operation has neither completed nor failed (device lost). */
  stillRunning(): boolean {
    const last = this.lastPending();
    if (!last) return false;
    try {
      return !last.ev.done();
    } catch {
      return false; // DEVICE_LOST and the like: the driver dropped the work
    }
  }

  /**
   * @internal xpu.shutdown(): drop what is still pending (releasing its events and buffers) and
   * destroy the command list (not for external streams: the caller owns those). Returns the number
   * of failed destroy calls.
   */
  close(): number {
    const q = this.pending.slice(this.head) as Pending[];
    this.pending = [];
    this.head = 0;
    for (const p of q) {
      p.releaseHeld();
      p.ev.unref();
      p.free();
    }
    busy.delete(this);
    let failed = 0;
    if (this.list !== 0n && !this.external) {
      if ((this.dr.ze.fn.zeCommandListDestroy(this.list) as number) !== 0) failed++;
    }
    this.list = 0n;
    return failed;
  }
}

function kindLetter(m: MemoryRef): string {
  const k = (m as { kind?: string }).kind;
  return k === 'device' ? 'D' : k === 'host' ? 'H' : k === 'shared' ? 'S' : 'M';
}
