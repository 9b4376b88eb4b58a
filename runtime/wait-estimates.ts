// Wait estimates for the 'auto' wait strategy (runtime/README.md, "Waiting"): when the work pending on
// a stream is expected to be done, from the service times the recorder's kernel timestamps measured.
// Kept per device and op name; only while a recorder is attached (records carry the times) and the
// strategy is 'auto' (Stream.deliverRecord feeds them).
import { lastGlobalHostNs, PerDevice, readGlobalTimestamps, type DeviceRuntime } from './device-runtime.js';

/** The last 8 service times (ns) measured for ops of one name. */
export class ServiceTimes {
  private readonly xs = new Float64Array(8);
  private n = 0;
  add(ns: number): void {
    this.xs[this.n++ & 7] = ns;
  }
  /** The shortest of those kept (undefined before the first). */
  low(): number | undefined {
    if (this.n === 0) return undefined;
    let m = Infinity;
    for (let i = Math.min(this.n, 8) - 1; i >= 0; i--) m = Math.min(m, this.xs[i] as number);
    return m;
  }
}

/** Op name → its recent service times, for one device. */
export type OpEstimates = Map<string, ServiceTimes>;

const perDevice = new PerDevice<OpEstimates>(() => new Map());

/** The device's op-duration history (streams cache it). */
export function opEstimates(dr: DeviceRuntime): OpEstimates {
  return perDevice.get(dr);
}

/**
 * Add a measured service time: end − max(submit, the end of the previous op on the stream), so that
 * queueing behind earlier work is not counted.
 */
export function addServiceTime(est: OpEstimates, name: string, ns: number): void {
  let times = est.get(name);
  if (!times) est.set(name, (times = new ServiceTimes()));
  times.add(ns);
}

/** What an estimate needs of a pending op (Stream's Pending). */
export interface EstimatedOp {
  /** Recorder op id; 0 when the op is not recorded (no submit time, no estimate). */
  readonly recId: number;
  readonly name: string;
  /** Submit time, host ns. */
  readonly submitHost: number;
}

/**
 * When the ops `ops[head ..]` pending on a stream are expected to be complete, as a performance.now()
 * time: each pending op ends one "service time" (the shortest of the last 8 measured for an op of that
 * name on this device) after the later of its submit time and the previous op's expected end,
 * starting from `lastEndNs` (the end of the last op retired on the stream). The shortest, because
 * arriving early costs a bounded block while arriving late costs the slow wake-up. Undefined when an
 * op is unrecorded (no recorder or timer) or its name has no history yet.
 */
export function expectedEndMs(
  dr: DeviceRuntime,
  est: OpEstimates | undefined,
  ops: readonly (EstimatedOp | undefined)[],
  head: number,
  lastEndNs: number,
): number | undefined {
  if (!est || !dr.timer) return undefined;
  let end = lastEndNs;
  for (let i = head; i < ops.length; i++) {
    const p = ops[i] as EstimatedOp;
    if (p.recId === 0) return undefined;
    const service = est.get(p.name)?.low();
    if (service === undefined) return undefined;
    end = Math.max(end, p.submitHost) + service;
  }
  try {
    readGlobalTimestamps(dr); // host now, on the clock submit times use
  } catch {
    return undefined;
  }
  return performance.now() + (end - lastGlobalHostNs()) / 1e6;
}
