// Running a scenario: check the parameters, calibrate the busy kernel (first use per device), subscribe
// to the recorder hub, run the body, then compute the common result from a Timeline of the run's
// operations (device timestamps, not wall clock).
import type { OpRecord } from '../../protocol/timeline.js';
import type { LaneShare, ScenarioInfo, ScenarioResult } from '../../protocol/views.js';
import { xpu } from '../api.js';
import { hostClockNs } from '../record-clock.js';
import type { XpuBuffer } from '../memory.js';
import { computeMetrics } from '../timeline/metrics.js';
import { Timeline, engineKey } from '../timeline/timeline.js';
import { engineLabel } from '../trace/format.js';
import { BUSY_SHAPE, busyOutput, calibrate, iterationsFor, type Calibration } from './calibrate.js';
import type { Details, ScenarioContext } from './context.js';
import { SCENARIOS, scenarioDef } from './definitions.js';
import { subscribeOps } from '../recorder-hub.js';
import { ScenarioParamError, resolveParams, type ParamValues } from './params.js';

export interface ScenarioProgress {
  name: string;
  submitted: number;
  total: number;
}

export interface RunScenarioOptions {
  device?: number;
  params?: ParamValues;
  onProgress?: (p: ScenarioProgress) => void;
  /** Refuse parameter sets whose serial run time is estimated above this (default 120 000 ms). */
  maxEstimatedMs?: number;
}

/** ScenarioResult plus scenario-specific numbers (`details`) and the calibration used. */
export interface ScenarioRunResult extends ScenarioResult {
  details: Details;
  calibration: { nsPerIteration: number; fixedNs: number };
}

export interface ScenarioRun {
  result: ScenarioRunResult;
  /** Every operation of the run (all kinds), for traces and the UI. */
  timeline: Timeline;
  records: OpRecord[];
}

export function listScenarios(): ScenarioInfo[] {
  return SCENARIOS.map((s) => structuredClone(s.info));
}

export class ScenarioError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'ScenarioError';
    this.code = code;
    this.hint = hint;
  }
}

let running: string | undefined;

/** The scenario running in this process, if any. */
export function runningScenario(): string | undefined {
  return running;
}

/** Checks a scenario name and parameters without running anything (throws ScenarioParamError / ScenarioError). */
export function checkScenario(name: string, params: ParamValues = {}, maxEstimatedMs = 120_000): ParamValues {
  const def = scenarioDef(name);
  if (!def) {
    throw new ScenarioError(
      'UNKNOWN_SCENARIO',
      `There is no scenario "${name}".`,
      `Scenarios: ${SCENARIOS.map((s) => s.info.name).join(', ')}.`,
    );
  }
  const resolved = resolveParams(def.info, params);
  const est = def.estimateMs(resolved);
  if (est > maxEstimatedMs) {
    throw new ScenarioParamError(
      `${name}: these parameters would keep the GPU busy for about ${Math.round(est / 1000)} s (limit ${Math.round(maxEstimatedMs / 1000)} s).`,
      'Use fewer kernels or streams, or shorter durations.',
    );
  }
  return resolved;
}

export async function runScenario(name: string, options: RunScenarioOptions = {}): Promise<ScenarioRun> {
  const def = scenarioDef(name);
  const params = checkScenario(name, options.params ?? {}, options.maxEstimatedMs);
  if (!def) throw new ScenarioError('UNKNOWN_SCENARIO', `There is no scenario "${name}".`);
  if (running !== undefined) {
    throw new ScenarioError(
      'BUSY',
      `A scenario is already running ("${running}").`,
      'Wait for it to finish, then run this one.',
    );
  }
  running = name;
  const device = options.device ?? 0;
  const buffers: XpuBuffer[] = [];
  let unsubscribe: (() => void) | undefined;
  try {
    const count = xpu.deviceCount();
    if (!Number.isInteger(device) || device < 0 || device >= count) {
      throw new ScenarioError(
        'NO_DEVICE',
        `Device ${device} does not exist (${count} device(s)).`,
        count === 0
          ? 'No Level Zero device was found; try --driver sim.'
          : `Use a device index 0…${count - 1}.`,
      );
    }
    const deviceName = xpu.getDeviceName(device);
    const props = xpu.getDeviceProperties(device);
    const calibration: Calibration = await calibrate(device);
    const busy = xpu.kernels(device).busy;
    if (!busy) throw new ScenarioError('INTERNAL', 'The bundled kernels have no `busy` kernel.');
    const out = busyOutput(device);
    buffers.push(out);

    const ops: OpRecord[] = [];
    unsubscribe = subscribeOps((op) => {
      if (op.device === device) ops.push(op);
    });

    const total = def.total(params);
    let submitted = 0;
    let lastProgress = 0;
    const progress = (force = false): void => {
      if (!options.onProgress) return;
      const now = performance.now();
      if (!force && now - lastProgress < 50 && submitted < total) return;
      lastProgress = now;
      try {
        options.onProgress({ name, submitted, total });
      } catch {
        // a failing progress callback must not break the run
      }
    };
    progress(true);
    const itersCache = new Map<number, number>();
    const ctx: ScenarioContext = {
      device,
      deviceName,
      params,
      calibration,
      busy,
      out,
      engines: props.engines,
      launchBusy(s, ms) {
        let it = itersCache.get(ms);
        if (it === undefined) itersCache.set(ms, (it = iterationsFor(calibration, ms * 1e6)));
        s.launch(busy, { ...BUSY_SHAPE, args: [out, it] });
      },
      submitted(n = 1) {
        submitted += n;
        progress(submitted >= total);
      },
      alloc(bytes, kind = 'device') {
        const b = xpu.alloc(bytes, { device, kind });
        buffers.push(b);
        return b;
      },
      ops: () => ops,
      markStart() {
        ops.length = 0;
      },
      hostNowNs: () => hostClockNs(device),
    };
    const outcome = await def.run(ctx);
    await xpu.synchronize(device);
    unsubscribe();
    unsubscribe = undefined;

    // ---- metrics from device timestamps ----
    const timeline = new Timeline();
    const sorted = [...ops].sort((a, b) => a.id - b.id);
    timeline.append(sorted);
    const work = new Timeline();
    work.append(sorted.filter((o) => o.kind === 'kernel' || o.kind === 'copy' || o.kind === 'fill'));
    const m = computeMetrics(work, { device });
    const computeGroup = props.engines.find((e) => e.kind === 'compute');
    const copyGroup = props.engines.find((e) => e.kind === 'copy');
    const usedCompute = new Set(
      m.engines.filter((e) => e.engine.kind === 'compute').map((e) => engineKey(device, e.engine)),
    );
    const usedCopy = new Set(
      m.engines.filter((e) => e.engine.kind === 'copy').map((e) => engineKey(device, e.engine)),
    );
    const streams: LaneShare[] = m.streams.map((s) => ({
      key: String(s.lane.stream),
      label: `stream ${s.lane.stream} · ${engineLabel(s.lane.engine)}`,
      busyPct: round(s.busyPct, 2),
    }));
    const engines: LaneShare[] = m.engines.map((e) => ({
      key: engineKey(e.device, e.engine),
      label: engineLabel(e.engine),
      busyPct: round(e.busyPct, 2),
    }));
    const p50 = m.submitLatency.count > 0 ? m.submitLatency.p50 : undefined;
    const explanation = def.explain({
      ctx,
      details: outcome.details,
      speedup: m.speedup,
      concurrency: m.concurrency,
      wallNs: m.spanNs,
      serialNs: m.serialNs,
      submitToStartP50Ns: p50,
      computeEngines: computeGroup?.numQueues ?? 0,
      copyEngines: copyGroup?.numQueues ?? 0,
      usedComputeEngines: usedCompute.size,
      usedCopyEngines: usedCopy.size,
    });
    const result: ScenarioRunResult = {
      schema: 'xpuscope.scenario/1',
      name,
      device,
      deviceName,
      params,
      opCount: ops.length,
      wallNs: m.spanNs,
      serialNs: m.serialNs,
      speedup: round(m.speedup, 3),
      concurrency: round(m.concurrency, 3),
      streams,
      engines,
      explanation,
      details: roundDetails(outcome.details),
      calibration: { nsPerIteration: calibration.nsPerIteration, fixedNs: Math.round(calibration.fixedNs) },
    };
    if (p50 !== undefined) result.submitToStartP50Ns = Math.round(p50);
    progress(true);
    return { result, timeline, records: sorted };
  } finally {
    unsubscribe?.();
    for (const b of buffers) {
      try {
        b.free();
      } catch {
        // freed already / device lost: nothing more to do
      }
    }
    running = undefined;
  }
}

function round(v: number, digits: number): number {
  if (!Number.isFinite(v)) return 0;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function roundDetails(d: Details): Details {
  const out: Details = {};
  for (const [k, v] of Object.entries(d)) out[k] = typeof v === 'number' ? round(v, 3) : v;
  return out;
}
