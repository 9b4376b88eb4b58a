// Profiling hook. With a recorder attached, every operation a Stream submits signals a
// KERNEL_TIMESTAMP event from the device's reused event pools; when it completes, its device ticks are
// converted to host ns and the recorder receives an OpRecord (protocol/timeline.ts). Without one,
// submission takes the plain path (no timestamp events, no clock reads, no records).
import type { OpRecord } from '../protocol/timeline.js';
import type { Timer } from './device-runtime.js';

export type { OpRecord };

export interface Recorder {
  /** Called on the JS thread once per completed operation, per stream in completion order. */
  onOp(op: OpRecord): void;
}

let active: Recorder | null = null;
let nextId = 1;
let errors = 0;

export function setRecorder(r: Recorder | ((op: OpRecord) => void) | null): void {
  active = r === null ? null : typeof r === 'function' ? { onOp: r } : r;
  nextId = 1;
  errors = 0;
  if (active) onAttach?.();
}

export function recorder(): Recorder | null {
  return active;
}

export function takeOpId(): number {
  return nextId++;
}

/** Recorder exceptions are counted, never thrown into the runtime. */
export function deliver(r: Recorder, op: OpRecord): void {
  try {
    r.onOp(op);
  } catch {
    errors++;
  }
}

export function countRecorderError(): void {
  errors++;
}

export function recorderErrors(): number {
  return errors;
}

let onAttach: (() => void) | undefined;
export function setOnAttach(f: () => void): void {
  onAttach = f;
}

/**
 * Device ticks → host ns, anchored at the submit-time (host ns, ticks) pair from
 * zeDeviceGetGlobalTimestamps (unitrace's method, level-zero.md §4): the masked tick distance from
 * submit to start is added to the submit host time; end = start + masked (end − start). Masking
 * handles one wrap of the kernelTimestampValidBits counter in each step.
 */
export function ticksToHost(
  timer: Timer,
  submitHostNs: bigint,
  submitTicks: bigint,
  start: bigint,
  end: bigint,
): { startNs: number; endNs: number } {
  const mask = timer.kernelMask;
  const nsPerTick = 1e9 / timer.frequency;
  let toStart = (start - (submitTicks & mask)) & mask;
  // A start "before" submit (more than half the range away) is a small negative distance, not a wrap.
  if (toStart > mask >> 1n) toStart -= mask + 1n;
  const dur = (end - start) & mask;
  const startNs = Number(submitHostNs) + Number(toStart) * nsPerTick;
  return { startNs, endNs: startNs + Number(dur) * nsPerTick };
}
