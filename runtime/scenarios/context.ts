// What a scenario body gets: the device, its checked parameters, the calibrated busy kernel, helpers to
// create streams/buffers that are cleaned up afterwards, progress reporting, and the operations recorded
// so far.
import type { OpRecord } from '../../protocol/timeline.js';
import type { ScenarioInfo } from '../../protocol/views.js';
import type { EngineGroup } from '../properties.js';
import type { Kernel } from '../kernels.js';
import type { XpuBuffer } from '../memory.js';
import type { Stream } from '../streams.js';
import type { Calibration } from './calibrate.js';
import type { ParamValues } from './params.js';

export type Details = Record<string, number | string>;

export interface ScenarioContext {
  device: number;
  deviceName: string;
  params: ParamValues;
  calibration: Calibration;
  busy: Kernel;
  /** A small device buffer that busy kernels write to. */
  out: XpuBuffer;
  engines: EngineGroup[];
  /** Launch one busy kernel of about `ms` milliseconds on `s`. */
  launchBusy(s: Stream, ms: number): void;
  /** Count one submitted unit of work (drives the progress callback). */
  submitted(n?: number): void;
  /** Allocate a buffer freed when the scenario ends. */
  alloc(bytes: number, kind?: 'device' | 'host' | 'shared'): XpuBuffer;
  /** Operations delivered so far in this run (completion order). */
  ops(): readonly OpRecord[];
  /**
   * Forget the operations recorded so far (warm-up work: first-touch of fresh buffers etc.); the result
   * covers only what follows. Call after synchronizing the warm-up work.
   */
  markStart(): void;
  /** Host time now, ns, on the clock of the records (the driver's host clock). */
  hostNowNs(): number;
}

/** What a scenario reports besides the common metrics. */
export interface ScenarioOutcome {
  details: Details;
}

export interface ExplainInput {
  ctx: ScenarioContext;
  details: Details;
  speedup: number;
  concurrency: number;
  wallNs: number;
  serialNs: number;
  submitToStartP50Ns: number | undefined;
  /** Compute engines (queues of the compute group) and copy engines (queues of the first copy-only group). */
  computeEngines: number;
  copyEngines: number;
  /** Distinct engines the scenario's work ran on, by kind. */
  usedComputeEngines: number;
  usedCopyEngines: number;
}

export interface ScenarioDef {
  info: ScenarioInfo;
  /** Units of work `submitted()` will count up to. */
  total(params: ParamValues): number;
  /** Rough serial run time, ms (to refuse parameter sets that would run for minutes). */
  estimateMs(params: ParamValues): number;
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
  explain(input: ExplainInput): string;
}
