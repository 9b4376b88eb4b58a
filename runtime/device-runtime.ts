// Per-device runtime state created on first use: engines, event pools, timer conversion.
import { contextOf, runtime, type DeviceRecord, type Runtime } from './core.js';
import { checkRange } from './device-arg.js';
import { XpuError, XpuTimeoutError, ZeError, check } from './errors.js';
import { queryProperties, type EngineGroup } from './properties.js';
import { L, struct } from './ze/layouts.js';
import { callAsync, type ZeLib } from './ze/lib.js';

const EVENT_POOL_SIZE = 64;
const HOST_VISIBLE = 1;
const KERNEL_TIMESTAMP = 4;
const SCOPE_HOST = 4;
export const UINT64_MAX = 0xffffffffffffffffn;

/** A Level Zero event from a pooled slot, reference counted; back to its pool (reset) at 0. */
export class NativeEvent {
  refs = 1;
  private waiter: Promise<boolean> | undefined;
  /**
   * Latest deadline (Date.now() ms) any current waiter asked for; the shared wait stops there.
   * Starts as -Infinity, a double like every deadline: a small-integer start made the first deadline
   * change the object's shape and deoptimize the hot paths that touch events (--trace-deopt).
   */
  private deadline = -Infinity;
  /** Op id of the recorded operation that signals this event (recorder), 0 when none. */
  opId = 0;
  constructor(
    readonly handle: bigint,
    readonly timestamp: boolean,
    private readonly owner: EventPools,
  ) {}
  ref(): this {
    this.refs++;
    return this;
  }
  unref(): void {
    if (--this.refs === 0) this.owner.recycle(this);
  }
  private live(): void {
    if (this.owner.closed) throw closedError('this event');
  }
  /** Non-blocking: true when signalled. */
  done(): boolean {
    this.live();
    const r = this.owner.ze.fn.zeEventQueryStatus(this.handle) as number;
    if (r === 0) return true;
    if (r === 1) return false;
    throw new ZeError('zeEventQueryStatus', r);
  }
  /**
   * The 'auto' strategy's wait near an expected end (waitNearEnd): `expectedEndMs` is the
   * performance.now() time at which the signalling work should complete. true at once when already
   * signalled; else a promise of true when signalled, false when it was not within the spin budget
   * (the caller goes on with wait(), for the time left); it rejects as wait() does when `timeoutMs`
   * passes or shutdown begins. One promise, no further hand-off after the spin: a caller that
   * continues right after it (Stream.synchronize) is the short path the wake-up latency is measured on.
   */
  waitNear(timeoutMs: number, expectedEndMs: number): true | Promise<boolean> {
    if (this.done()) return true;
    const deadline = Date.now() + timeoutMs;
    const owner = this.owner;
    return waitNearEnd(
      owner.ze,
      this.handle,
      () => (owner.closing ? 0 : deadline),
      expectedEndMs,
      () =>
        owner.closing
          ? closedError('this event')
          : new XpuTimeoutError(`event did not complete within ${timeoutMs} ms`, timeoutMs),
    );
  }
  /**
   * Resolves when signalled (one shared wait per event). Rejects with an XpuTimeoutError (generic
   * message; callers add where) after `timeoutMs`.
   */
  wait(timeoutMs: number = waitTimeoutMs): Promise<void> {
    if (this.done()) return Promise.resolve();
    const deadline = Date.now() + timeoutMs;
    if (deadline > this.deadline) this.deadline = deadline;
    if (!this.waiter) {
      this.ref();
      const owner = this.owner;
      const until = (): number => (owner.closing ? 0 : this.deadline);
      const w = waitEvent(owner.ze, this.handle, until).finally(() => {
        this.waiter = undefined;
        this.deadline = 0;
        activeWaits.delete(w);
        this.unref();
      });
      activeWaits.add(w);
      this.waiter = w;
    }
    const waiter = this.waiter;
    const timeout = (): XpuError =>
      this.owner.closing
        ? closedError('this event')
        : new XpuTimeoutError(`event did not complete within ${timeoutMs} ms`, timeoutMs);
    if (!Number.isFinite(timeoutMs))
      return waiter.then((ok) => {
        if (!ok) throw timeout();
      });
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(timeout()), timeoutMs);
      waiter.then(
        (ok) => {
          clearTimeout(t);
          if (ok) resolve();
          else reject(timeout());
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }
  /** Blocking wait (used by calls torch defines as synchronous, e.g. emptyCache), with the timeout. */
  waitBlocking(timeoutMs: number = waitTimeoutMs): void {
    this.live();
    const ns = Number.isFinite(timeoutMs) ? BigInt(Math.ceil(timeoutMs * 1e6)) : UINT64_MAX;
    const r = this.owner.ze.fn.zeEventHostSynchronize(this.handle, ns) as number;
    if (r === 1) throw new XpuTimeoutError(`event did not complete within ${timeoutMs} ms`, timeoutMs);
    check('zeEventHostSynchronize', r);
  }
  /** Kernel timestamps (ticks): global start/end. */
  kernelTimestamp(): { start: bigint; end: bigint } {
    this.readKernelTimestamp();
    return { start: KERNEL_TS[0] as bigint, end: KERNEL_TS[1] as bigint };
  }
  /**
   * @internal Hot path (recorder delivery): reads the kernel timestamps into the shared KERNEL_TS
   * (global start at [0], global end at [1]) without allocating; valid until the next read.
   */
  readKernelTimestamp(): void {
    this.live();
    check(
      'zeEventQueryKernelTimestamp',
      this.owner.ze.fn.zeEventQueryKernelTimestamp(this.handle, KERNEL_TS) as number,
    );
  }
}

/**
 * Out-parameters reused by the hot paths (one JS thread; koffi calls never re-enter JS here), so that
 * reading a timestamp allocates nothing. ze_kernel_timestamp_result_t is 4 × u64: global start/end,
 * context start/end (layouts.ts: offsets 0, 8, 16, 24).
 */
export const KERNEL_TS = new BigUint64Array(L.ze_kernel_timestamp_result_t.size / 8);
/**
 * The same bytes as 32-bit words (little-endian): [0] global start low word, [2] global end low word.
 * Reading a word is a plain Number; reading KERNEL_TS allocates a BigInt.
 */
export const KERNEL_TS_U32 = new Uint32Array(KERNEL_TS.buffer);
/** zeDeviceGetGlobalTimestamps out-parameters: [0] host ns, [1] device ticks (and their 32-bit words). */
const GTS = new BigUint64Array(2);
const GTS_HOST = GTS.subarray(0, 1);
const GTS_DEV = GTS.subarray(1, 2);
const GTS_U32 = new Uint32Array(GTS.buffer);

/** The error for objects used after xpu.shutdown() destroyed their Level Zero handles. */
export function closedError(what: string): XpuError {
  return new XpuError(
    `${what} belongs to an XPU runtime that was shut down (xpu.shutdown()); create a new one — the runtime re-initialises on next use.`,
  );
}

/** Shared waits in progress (a worker-thread slice may be inside the driver). */
const activeWaits = new Set<Promise<boolean>>();

/**
 * xpu.shutdown(): stop every shared wait at its next slice (≤ 250 ms) and resolve when none is inside
 * the driver any more, so that no event is destroyed while a worker thread waits on it.
 */
export async function drainWaits(pools: EventPools[]): Promise<void> {
  for (const p of pools) p.closing = true;
  while (activeWaits.size > 0) await Promise.allSettled([...activeWaits]);
}

export type WaitStrategy = 'auto' | 'async' | 'poll';

export interface WaitStrategyOptions {
  /**
   * 'auto' only: the most the event loop may be blocked by one wait, in µs (0 turns blocking off:
   * 'auto' then behaves as 'async'). Default 300 (`XPUSCOPE_WAIT_BLOCK_US`), at most 5000.
   */
  blockUs?: number;
}

/**
 * How waits for the GPU treat the event loop (runtime/README.md, "Waiting", has the measurements).
 * 'auto' (default; like CUDA's cudaDeviceScheduleAuto between spin and blocking sync): when the caller
 * can estimate when the work ends (stream and device synchronize with a recorder attached), wait on a
 * worker thread until shortly before then and spin on zeEventQueryStatus on the event loop's thread
 * for the rest, bounded by the block budget (≤ blockUs per wait, ≤ a quarter of wall time); without an
 * estimate, or when the budget runs out, it is 'async'. 'async': zeEventHostSynchronize on a koffi
 * worker thread, in bounded slices so a lost event cannot pin a worker forever; the event loop is never
 * blocked, and a wake-up costs two thread hand-offs. 'poll': zeEventQueryStatus from timers with
 * back-off.
 */
/** The strategy without XPUSCOPE_WAIT or setWaitStrategy. */
export const DEFAULT_WAIT_STRATEGY: WaitStrategy = 'auto';
function strategyFromEnv(v: string | undefined): WaitStrategy {
  return v === 'poll' || v === 'async' || v === 'auto' ? v : DEFAULT_WAIT_STRATEGY;
}
let strategy: WaitStrategy = strategyFromEnv(process.env.XPUSCOPE_WAIT);

export const DEFAULT_WAIT_BLOCK_US = 300;
const MAX_WAIT_BLOCK_US = 5000;
function blockUsFromEnv(v: string | undefined): number {
  if (v === undefined || v.trim() === '') return DEFAULT_WAIT_BLOCK_US;
  const n = Number(v);
  return n >= 0 ? Math.min(n, MAX_WAIT_BLOCK_US) : DEFAULT_WAIT_BLOCK_US;
}
let blockUs = blockUsFromEnv(process.env.XPUSCOPE_WAIT_BLOCK_US);

export function setWaitStrategy(s: WaitStrategy, opts: WaitStrategyOptions = {}): void {
  if (s !== 'auto' && s !== 'async' && s !== 'poll')
    throw new XpuError(`Invalid wait strategy: ${String(s)} (expected 'auto', 'async' or 'poll').`);
  if (opts.blockUs !== undefined) {
    if (typeof opts.blockUs !== 'number' || !(opts.blockUs >= 0) || opts.blockUs > MAX_WAIT_BLOCK_US)
      throw new XpuError(
        `Invalid blockUs: ${String(opts.blockUs)} (0 to ${MAX_WAIT_BLOCK_US} µs of event-loop blocking per wait).`,
      );
    blockUs = opts.blockUs;
    blockCredit = Math.min(blockCredit, blockUs);
  }
  strategy = s;
}
export function waitStrategy(): WaitStrategy {
  return strategy;
}
/** The 'auto' strategy's block budget per wait, in µs. */
export function waitBlockUs(): number {
  return blockUs;
}

/**
 * The event-loop time 'auto' may spend blocked, as a token bucket: at most `blockUs` in one wait, and
 * refilled at BLOCK_SHARE of elapsed time, so back-to-back waits (a loop of short kernels, many
 * streams finishing together) keep the event loop blocked at most a quarter of the time.
 */
const BLOCK_SHARE = 0.25;
let blockCredit = blockUs;
let blockCreditAt = 0;
function blockAllowanceUs(now: number): number {
  blockCredit = Math.min(blockUs, blockCredit + (now - blockCreditAt) * 1000 * BLOCK_SHARE);
  blockCreditAt = now;
  return blockCredit;
}
/**
 * Aim to reach the spin this far ahead of the expected end (half the block budget): the estimate is
 * biased early (Stream.expectedEndMs) but the worker's wake-up is not exact either, so the spin starts
 * with half the budget before the estimate and half after it.
 */
const LEAD_SHARE = 1 / 2;
/** Below this, a spin is not worth starting (µs). */
const MIN_BLOCK_US = 20;
/** Synchronous waits (spins) done and event-loop time spent in them (for tests and the benchmark). */
export const blockingWaitStats = { waits: 0, woken: 0, blockedUs: 0, maxBlockedUs: 0 };
/**
 * How late a timed-out worker-thread wait gets back to the event loop, ms (moving average): the
 * driver's timed wait oversleeps (timer slack: 60–120 µs on the 2-core VM) and the hand-off to the
 * event loop adds its own delay. The worker wait is cut short by this much, so the spin starts before
 * the work ends rather than after it.
 */
let sliceLateMs = 0.15;
const SLICE_LATE_MAX_MS = 2;

export const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
function timeoutFromEnv(): number {
  const v = process.env.XPUSCOPE_WAIT_TIMEOUT_MS;
  if (v === undefined || v.trim() === '') return DEFAULT_WAIT_TIMEOUT_MS;
  const n = Number(v);
  return n > 0 ? n : DEFAULT_WAIT_TIMEOUT_MS;
}
let waitTimeoutMs = timeoutFromEnv();

/**
 * Timeout of every wait (stream/event/device synchronize, emptyCache, shutdown), in ms: a positive
 * number, or Infinity for none. Default 30 000 (`XPUSCOPE_WAIT_TIMEOUT_MS` overrides).
 */
export function setWaitTimeout(ms: number): void {
  if (typeof ms !== 'number' || !(ms > 0))
    throw new XpuError(
      `Invalid wait timeout: ${String(ms)} (a positive number of milliseconds, or Infinity).`,
    );
  waitTimeoutMs = ms;
}
export function waitTimeout(): number {
  return waitTimeoutMs;
}
/** A per-call timeout option, validated (undefined → the global one). */
export function resolveTimeout(ms: number | undefined): number {
  if (ms === undefined) return waitTimeoutMs;
  if (typeof ms !== 'number' || !(ms > 0))
    throw new XpuError(`Invalid timeoutMs: ${String(ms)} (a positive number of milliseconds, or Infinity).`);
  return ms;
}

const SLICE_NS = 250_000_000; // 250 ms per worker-thread wait

/** koffi queues at most 256 async calls; beyond this many concurrent worker waits, poll instead. */
const MAX_ASYNC_WAITS = 32;
let asyncWaits = 0;

/**
 * 'auto' near an expected end: wait on a worker thread until about `LEAD_SHARE × blockUs` before
 * `endMs` (performance.now() ms), then spin on zeEventQueryStatus on this thread for at most the block
 * allowance (and never past the deadline). Spinning, not a blocking driver wait: the thread that sees
 * the event is the one that resolves the promise, already running, so the wake-up costs no thread
 * hand-off at all (a blocking wait still costs the driver's condition-variable wake-up, ~9 µs here,
 * and a cold thread). true: signalled; false: not signalled within the budget (or no budget/worker
 * left) — the caller continues asynchronously; throws onDeadline() once the deadline has passed.
 */
async function waitNearEnd(
  ze: ZeLib,
  h: bigint,
  deadline: () => number,
  endMs: number,
  onDeadline: () => Error,
): Promise<boolean> {
  const leadMs = (blockUs * LEAD_SHARE) / 1000;
  for (;;) {
    const left = deadline() - Date.now();
    if (left <= 0) throw onDeadline();
    const now = performance.now();
    const rem = endMs - now - leadMs - sliceLateMs;
    if (rem <= 0) break;
    if (asyncWaits >= MAX_ASYNC_WAITS) return false;
    asyncWaits++;
    let r: number;
    const want = Math.min(rem, left, SLICE_NS / 1e6);
    try {
      r = await callAsync(ze.fn.zeEventHostSynchronize, h, BigInt(Math.ceil(want * 1e6)));
    } finally {
      asyncWaits--;
    }
    if (r === 0) return true;
    if (r !== 1) throw new ZeError('zeEventHostSynchronize', r);
    const late = performance.now() - (now + want);
    sliceLateMs = Math.min(SLICE_LATE_MAX_MS, Math.max(0, sliceLateMs + (late - sliceLateMs) * 0.25));
  }
  const left = deadline() - Date.now();
  if (left <= 0) throw onDeadline();
  const t0 = performance.now();
  const us = Math.min(blockAllowanceUs(t0), left * 1000);
  if (us < MIN_BLOCK_US) return false;
  const query = ze.fn.zeEventQueryStatus;
  const until = t0 + us / 1000;
  let r: number;
  do r = query(h) as number;
  while (r === 1 && performance.now() < until);
  const took = (performance.now() - t0) * 1000;
  blockCredit -= took;
  blockingWaitStats.waits++;
  blockingWaitStats.blockedUs += took;
  if (took > blockingWaitStats.maxBlockedUs) blockingWaitStats.maxBlockedUs = took;
  if (r === 0) {
    blockingWaitStats.woken++;
    return true;
  }
  if (r !== 1) throw new ZeError('zeEventQueryStatus', r);
  return false;
}

/** Wait until signalled (true) or until `deadline()` (Date.now() ms) has passed (false). */
async function waitEvent(ze: ZeLib, h: bigint, deadline: () => number): Promise<boolean> {
  if (strategy !== 'poll' && asyncWaits < MAX_ASYNC_WAITS) {
    asyncWaits++;
    try {
      for (;;) {
        const left = deadline() - Date.now();
        if (left <= 0) return false;
        const ns = Math.max(1_000_000, Math.min(SLICE_NS, Math.ceil(left * 1e6)));
        const r = await callAsync(ze.fn.zeEventHostSynchronize, h, BigInt(ns));
        if (r === 0) return true;
        if (r !== 1) throw new ZeError('zeEventHostSynchronize', r);
      }
    } finally {
      asyncWaits--;
    }
  }
  let delay = 0;
  for (;;) {
    const r = ze.fn.zeEventQueryStatus(h) as number;
    if (r === 0) return true;
    if (r !== 1) throw new ZeError('zeEventQueryStatus', r);
    if (Date.now() >= deadline()) return false;
    await new Promise<void>((res) => (delay === 0 ? setImmediate(res) : setTimeout(res, delay)));
    delay = delay === 0 ? 0.05 : Math.min(delay * 2, 2);
  }
}

/** Pools of 64 HOST_VISIBLE events (+KERNEL_TIMESTAMP for `timestamp` ones), reused. */
export class EventPools {
  private readonly free: { plain: NativeEvent[]; timestamp: NativeEvent[] } = { plain: [], timestamp: [] };
  private readonly pools: bigint[] = [];
  private readonly events: bigint[] = [];
  constructor(
    readonly ze: ZeLib,
    readonly context: bigint,
  ) {}
  acquire(timestamp: boolean): NativeEvent {
    if (this.closed) throw closedError('this event pool');
    const list = timestamp ? this.free.timestamp : this.free.plain;
    let ev = list.pop();
    // Reset on the way out, not on the way back (recycle): retiring an op (and with it the wake-up
    // of synchronize) then makes no zeEventHostReset call, which takes the driver's event lock right
    // when the engine that just signalled may hold it. An event that cannot be reset (device lost)
    // is not reused.
    while (ev && (this.ze.fn.zeEventHostReset(ev.handle) as number) !== 0) ev = list.pop();
    if (!ev) {
      this.grow(timestamp);
      ev = list.pop() as NativeEvent;
    }
    ev.refs = 1;
    ev.opId = 0;
    return ev;
  }
  /** Set by destroy() (xpu.shutdown): every handle of these pools is gone. */
  closed = false;
  /** Set by xpu.shutdown() before destroy(): shared waits stop at their next slice. */
  closing = false;
  /** Back to the free list, still signalled: acquire() resets it before handing it out again. */
  recycle(ev: NativeEvent): void {
    if (this.closed) return;
    (ev.timestamp ? this.free.timestamp : this.free.plain).push(ev);
  }
  /** Destroy every event and pool (xpu.shutdown). Returns the number of failed destroy calls. */
  destroy(): number {
    if (this.closed) return 0;
    this.closed = true;
    let failed = 0;
    for (const e of this.events) if ((this.ze.fn.zeEventDestroy(e) as number) !== 0) failed++;
    for (const p of this.pools) if ((this.ze.fn.zeEventPoolDestroy(p) as number) !== 0) failed++;
    this.events.length = 0;
    this.pools.length = 0;
    this.free.plain.length = 0;
    this.free.timestamp.length = 0;
    return failed;
  }
  private grow(timestamp: boolean): void {
    const desc = struct(L.ze_event_pool_desc_t, {
      flags: HOST_VISIBLE | (timestamp ? KERNEL_TIMESTAMP : 0),
      count: EVENT_POOL_SIZE,
    });
    const out = new BigUint64Array(1);
    check('zeEventPoolCreate', this.ze.fn.zeEventPoolCreate(this.context, desc.buf, 0, null, out) as number);
    const pool = out[0] ?? 0n;
    this.pools.push(pool);
    if (timestamp) this.timestampPools++;
    const list = timestamp ? this.free.timestamp : this.free.plain;
    const ed = struct(L.ze_event_desc_t, { index: 0, signal: SCOPE_HOST, wait: SCOPE_HOST });
    const eh = new BigUint64Array(1);
    for (let i = EVENT_POOL_SIZE - 1; i >= 0; i--) {
      ed.set('index', i);
      check('zeEventCreate', this.ze.fn.zeEventCreate(pool, ed.buf, eh) as number);
      const h = eh[0] ?? 0n;
      this.events.push(h);
      list.push(new NativeEvent(h, timestamp, this));
    }
  }
  /** Level Zero event pools created so far (all kinds). */
  get poolCount(): number {
    return this.pools.length;
  }
  /** Of those, KERNEL_TIMESTAMP pools (only created for timing events or while a recorder is attached). */
  timestampPools = 0;
}

/** Device timer: ticks → host ns (level-zero.md §4, as unitrace). */
export interface Timer {
  /** Ticks per second. */
  frequency: number;
  kernelMask: bigint;
  globalMask: bigint;
  /**
   * kernelMask as a Number when the kernel timestamp counter is at most 32 bits wide (Intel GPUs:
   * 32), so that converting a timestamp needs no BigInt arithmetic; undefined for wider counters.
   */
  kernelMask32?: number;
}

export interface DeviceRuntime {
  rt: Runtime;
  rec: DeviceRecord;
  index: number;
  ze: ZeLib;
  context: bigint;
  engines: EngineGroup[];
  /** First group with COMPUTE that is not the render engine (else the first with COMPUTE). */
  compute: EngineGroup;
  /** First copy-only group, if any. */
  copy: EngineGroup | undefined;
  events: EventPools;
  timer: Timer | undefined;
  /** Set by xpu.shutdown(): the handles above are destroyed; objects holding this runtime are stale. */
  closed?: boolean;
}

/**
 * State a module keeps per device runtime (stream pools, the caching allocator, kernels, wait
 * estimates), created on first use. Keyed weakly by the DeviceRuntime, so it is forgotten with the
 * runtime after xpu.shutdown(), and typed, so no module casts another's state.
 */
export class PerDevice<T> {
  private readonly byRuntime = new WeakMap<DeviceRuntime, T>();
  /** `create` makes the state on first get(); without it, the state exists only once set(). */
  constructor(private readonly create?: (dr: DeviceRuntime) => T) {}
  /** The device's state, created on first use. */
  get(dr: DeviceRuntime): T {
    let v = this.byRuntime.get(dr);
    if (v === undefined) {
      if (!this.create) throw new XpuError(`no state for device ${dr.index} yet`);
      v = this.create(dr);
      this.byRuntime.set(dr, v);
    }
    return v;
  }
  /** Set the device's state (for state built by a call that may fail, such as a kernel module). */
  set(dr: DeviceRuntime, v: T): void {
    this.byRuntime.set(dr, v);
  }
  /** The device's state if it was created (and not dropped); never creates it. */
  peek(dr: DeviceRuntime): T | undefined {
    return this.byRuntime.get(dr);
  }
  /** Forget the device's state (the next get() creates it afresh). */
  drop(dr: DeviceRuntime): void {
    this.byRuntime.delete(dr);
  }
}

const perDevice = new Map<number, DeviceRuntime>();

export function deviceRuntime(index: number): DeviceRuntime {
  const hit = perDevice.get(index);
  if (hit) return hit;
  const rt = runtime();
  checkRange(index, rt.devices.length);
  const rec = rt.devices[index] as DeviceRecord;
  const props = queryProperties(rt.ze, rec);
  const compute = props.engines.find((g) => g.kind === 'compute') ?? props.engines.find((g) => g.flags & 1);
  if (!compute) throw new XpuError(`device ${index} (${rec.name}) has no compute engine`);
  const context = contextOf(rt, rec);
  const kernelBits = props.kernelTimestampValidBits || 64;
  const timer: Timer | undefined = props.timerFrequency
    ? {
        frequency: props.timerFrequency,
        kernelMask: (1n << BigInt(kernelBits)) - 1n,
        globalMask: (1n << BigInt(props.timestampValidBits || 64)) - 1n,
        ...(kernelBits <= 32 ? { kernelMask32: 2 ** kernelBits - 1 } : {}),
      }
    : undefined;
  const dr: DeviceRuntime = {
    rt,
    rec,
    index,
    ze: rt.ze,
    context,
    engines: props.engines,
    compute,
    copy: props.engines.find((g) => g.kind === 'copy'),
    events: new EventPools(rt.ze, context),
    timer,
  };
  perDevice.set(index, dr);
  return dr;
}

export function existingDeviceRuntimes(): DeviceRuntime[] {
  return [...perDevice.values()];
}

/** xpu.shutdown(): mark every device runtime closed and forget them (the next use creates new ones). */
export function forgetDeviceRuntimes(): void {
  for (const dr of perDevice.values()) dr.closed = true;
  perDevice.clear();
}

/**
 * ticksToHost (recorder.ts) in Numbers, for kernel timestamp counters of at most 32 bits
 * (`Timer.kernelMask32`): the host ns of device tick `ticksLo`, anchored at the submit-time pair
 * (`submitHostNs`, low word of the submit tick count). Only the low 32-bit words are needed, and
 * `(a - b) & mask >>> 0` is the same masked distance as the BigInt version; the float operations are
 * the same too, so the result is identical (tests/runtime/recorder.test.ts compares them).
 */
export function ticksToHost32(
  mask: number,
  nsPerTick: number,
  submitHostNs: number,
  submitTicksLo: number,
  ticksLo: number,
): number {
  let toStart = ((ticksLo - submitTicksLo) & mask) >>> 0;
  // A start "before" submit (more than half the range away) is a small negative distance, not a wrap.
  if (toStart > mask >>> 1) toStart -= mask + 1;
  return submitHostNs + toStart * nsPerTick;
}
/** Masked tick distance from `aLo` to `bLo` (low words) for a counter of at most 32 bits. */
export function tickSpan32(mask: number, aLo: number, bLo: number): number {
  return ((bLo - aLo) & mask) >>> 0;
}

/** zeDeviceGetGlobalTimestamps: [host ns (CLOCK_MONOTONIC_RAW), device ticks]. */
export function globalTimestamps(dr: DeviceRuntime): [bigint, bigint] {
  readGlobalTimestamps(dr);
  return [GTS_HOST[0] ?? 0n, GTS_DEV[0] ?? 0n];
}

/**
 * @internal Hot path (Stream submission): zeDeviceGetGlobalTimestamps into reused out-buffers; read
 * the result with lastGlobalHost()/lastGlobalTicks() before the next call.
 */
export function readGlobalTimestamps(dr: DeviceRuntime): void {
  const r = dr.ze.fn.zeDeviceGetGlobalTimestamps(dr.rec.handle, GTS_HOST, GTS_DEV) as number;
  if (r !== 0) check('zeDeviceGetGlobalTimestamps', r);
}
export function lastGlobalHost(): bigint {
  return GTS_HOST[0] as bigint;
}
export function lastGlobalTicks(): bigint {
  return GTS_DEV[0] as bigint;
}
/**
 * The last host timestamp as a Number of ns (no BigInt allocation): rounded exactly as
 * Number(lastGlobalHost()) is (the one rounding happens in the final addition).
 */
export function lastGlobalHostNs(): number {
  return (GTS_U32[1] as number) * 4294967296 + (GTS_U32[0] as number);
}
/** Low and high 32-bit words of the last device tick count (Numbers, no BigInt allocation). */
export function lastGlobalTicksLo(): number {
  return GTS_U32[2] as number;
}
export function lastGlobalTicksHi(): number {
  return GTS_U32[3] as number;
}
