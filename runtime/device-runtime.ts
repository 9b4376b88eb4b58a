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
  /** Latest deadline (Date.now() ms) any current waiter asked for; the shared wait stops there. */
  private deadline = 0;
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
   * Resolves when signalled, without blocking the event loop (one shared wait per event). Rejects
   * with an XpuTimeoutError (generic message; callers add where) after `timeoutMs`.
   */
  wait(timeoutMs: number = waitTimeoutMs): Promise<void> {
    if (this.done()) return Promise.resolve();
    const deadline = Date.now() + timeoutMs;
    if (deadline > this.deadline) this.deadline = deadline;
    if (!this.waiter) {
      this.ref();
      const owner = this.owner;
      const w = waitEvent(owner.ze, this.handle, () => (owner.closing ? 0 : this.deadline)).finally(() => {
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
const GTS_HOST = new BigUint64Array(1);
const GTS_DEV = new BigUint64Array(1);

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

export type WaitStrategy = 'async' | 'poll';

/**
 * How blocking waits stay off the event loop. 'async' (default): zeEventHostSynchronize on a koffi
 * worker thread, in bounded slices so a lost event cannot pin a worker forever. 'poll':
 * zeEventQueryStatus from timers with back-off. See runtime/README.md ("Waiting") for measurements.
 */
let strategy: WaitStrategy = process.env.XPUSCOPE_WAIT === 'poll' ? 'poll' : 'async';
export function setWaitStrategy(s: WaitStrategy): void {
  strategy = s;
}
export function waitStrategy(): WaitStrategy {
  return strategy;
}

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

/** Wait until signalled (true) or until `deadline()` (Date.now() ms) has passed (false). */
async function waitEvent(ze: ZeLib, h: bigint, deadline: () => number): Promise<boolean> {
  if (strategy === 'async' && asyncWaits < MAX_ASYNC_WAITS) {
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
  recycle(ev: NativeEvent): void {
    if (this.closed) return;
    // An event that cannot be reset (device lost) is not reused.
    if ((this.ze.fn.zeEventHostReset(ev.handle) as number) !== 0) return;
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
  /** Lazily attached by streams/memory modules. */
  ext: Map<string, unknown>;
  /** Set by xpu.shutdown(): the handles above are destroyed; objects holding this runtime are stale. */
  closed?: boolean;
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
  const timer: Timer | undefined = props.timerFrequency
    ? {
        frequency: props.timerFrequency,
        kernelMask: (1n << BigInt(props.kernelTimestampValidBits || 64)) - 1n,
        globalMask: (1n << BigInt(props.timestampValidBits || 64)) - 1n,
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
    ext: new Map(),
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
