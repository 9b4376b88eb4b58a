// Per-device runtime state created on first use: engines, event pools, timer conversion.
import { contextOf, runtime, type DeviceRecord, type Runtime } from './core.js';
import { checkRange } from './device-arg.js';
import { XpuError, ZeError, check } from './errors.js';
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
  private waiter: Promise<void> | undefined;
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
  /** Non-blocking: true when signalled. */
  done(): boolean {
    const r = this.owner.ze.fn.zeEventQueryStatus(this.handle) as number;
    if (r === 0) return true;
    if (r === 1) return false;
    throw new ZeError('zeEventQueryStatus', r);
  }
  /** Resolves when signalled, without blocking the event loop (one shared wait per event). */
  wait(): Promise<void> {
    if (this.done()) return Promise.resolve();
    if (!this.waiter) {
      this.ref();
      this.waiter = waitEvent(this.owner.ze, this.handle).finally(() => {
        this.waiter = undefined;
        this.unref();
      });
    }
    return this.waiter;
  }
  /** Blocking wait (used by calls torch defines as synchronous, e.g. emptyCache). */
  waitBlocking(): void {
    check(
      'zeEventHostSynchronize',
      this.owner.ze.fn.zeEventHostSynchronize(this.handle, UINT64_MAX) as number,
    );
  }
  /** Kernel timestamps (ticks): global start/end. */
  kernelTimestamp(): { start: bigint; end: bigint } {
    const ts = struct(L.ze_kernel_timestamp_result_t);
    check(
      'zeEventQueryKernelTimestamp',
      this.owner.ze.fn.zeEventQueryKernelTimestamp(this.handle, ts.buf) as number,
    );
    return { start: ts.big('global.kernelStart'), end: ts.big('global.kernelEnd') };
  }
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

const SLICE_NS = 250_000_000n; // 250 ms per worker-thread wait

async function waitEvent(ze: ZeLib, h: bigint): Promise<void> {
  if (strategy === 'async') {
    for (;;) {
      const r = await callAsync(ze.fn.zeEventHostSynchronize, h, SLICE_NS);
      if (r === 0) return;
      if (r !== 1) throw new ZeError('zeEventHostSynchronize', r);
    }
  }
  let delay = 0;
  for (;;) {
    const r = ze.fn.zeEventQueryStatus(h) as number;
    if (r === 0) return;
    if (r !== 1) throw new ZeError('zeEventQueryStatus', r);
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
  recycle(ev: NativeEvent): void {
    check('zeEventHostReset', this.ze.fn.zeEventHostReset(ev.handle) as number);
    (ev.timestamp ? this.free.timestamp : this.free.plain).push(ev);
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
    const list = timestamp ? this.free.timestamp : this.free.plain;
    for (let i = EVENT_POOL_SIZE - 1; i >= 0; i--) {
      const ed = struct(L.ze_event_desc_t, { index: i, signal: SCOPE_HOST, wait: SCOPE_HOST });
      const eh = new BigUint64Array(1);
      check('zeEventCreate', this.ze.fn.zeEventCreate(pool, ed.buf, eh) as number);
      this.events.push(eh[0] ?? 0n);
      list.push(new NativeEvent(eh[0] ?? 0n, timestamp, this));
    }
  }
  get poolCount(): number {
    return this.pools.length;
  }
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

/** zeDeviceGetGlobalTimestamps: [host ns (CLOCK_MONOTONIC_RAW), device ticks]. */
export function globalTimestamps(dr: DeviceRuntime): [bigint, bigint] {
  const host = new BigUint64Array(1);
  const dev = new BigUint64Array(1);
  check(
    'zeDeviceGetGlobalTimestamps',
    dr.ze.fn.zeDeviceGetGlobalTimestamps(dr.rec.handle, host, dev) as number,
  );
  return [host[0] ?? 0n, dev[0] ?? 0n];
}
