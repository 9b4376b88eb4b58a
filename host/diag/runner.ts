// Runs the registered checks: `runDiagnostics(opts, onProgress)` → DiagReport. Used by `xpuscope diag`
// and, later, by the service (method `diag.run`). Never throws for a failing check; resolves with
// exitCode 2 (and `error`) when the diagnostics themselves could not run.
import { arch, platform, release } from 'node:os';
import type { DeviceList } from '../../protocol/devices.js';
import { packageVersion } from '../paths.js';
import { CHECKS, hintFor } from './checks.js';
import type { CheckContext, CheckDef } from './registry.js';
import {
  DIAG_SCHEMA,
  type CheckResult,
  type DiagLevel,
  type DiagOptions,
  type DiagProgress,
  type DiagReport,
  type DiagSummary,
} from './types.js';

export { CHECKS };

class TimeoutError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function isDeviceLost(r: CheckResult): boolean {
  return /DEVICE_LOST|REQUIRES_RESET|device lost|may be hung/i.test(`${r.measured} ${r.message ?? ''}`);
}

export function summarize(checks: readonly CheckResult[]): DiagSummary {
  const s: DiagSummary = { total: checks.length, pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) s[c.status]++;
  return s;
}

function baseReport(level: DiagLevel, startedAt: Date, opts: DiagOptions): DiagReport {
  const r: DiagReport = {
    schema: DIAG_SCHEMA,
    xpuscopeVersion: packageVersion(),
    startedAt: startedAt.toISOString(),
    durationMs: 0,
    level,
    host: { platform: platform(), arch: arch(), release: release(), node: process.versions.node },
    devices: [],
    checks: [],
    summary: summarize([]),
    exitCode: 0,
  };
  if (opts.device !== undefined) r.deviceFilter = opts.device;
  return r;
}

/** The checks a run of `level` would execute (for progress totals and `diag --help`). */
export function checksForLevel(level: DiagLevel, only?: readonly string[]): CheckDef[] {
  return CHECKS.filter((c) => c.level <= level && (only === undefined || only.includes(c.id)));
}

/**
 * Run the diagnostics of levels 1..opts.level. `onProgress` gets a `start` and an `end` per check
 * (exceptions it throws are ignored). Resolves with the report; never rejects.
 */
export async function runDiagnostics(
  opts: DiagOptions = {},
  onProgress?: (p: DiagProgress) => void,
): Promise<DiagReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const level: DiagLevel = opts.level ?? 1;
  const env = { ...(opts.env ?? process.env) };
  const report = baseReport(level, startedAt, opts);
  const finish = (): DiagReport => {
    report.summary = summarize(report.checks);
    report.durationMs = Math.round(performance.now() - t0);
    if (report.error || report.cancelled) report.exitCode = 2;
    else report.exitCode = report.summary.fail > 0 ? 1 : 0;
    return report;
  };
  const notify = (p: DiagProgress): void => {
    try {
      onProgress?.(p);
    } catch {
      // a broken progress callback must not break the run
    }
  };

  let rt: typeof import('../../runtime/index.js');
  try {
    rt = await import('../../runtime/index.js');
    if (opts.driver !== undefined || opts.profile !== undefined) {
      const o: { driver?: typeof opts.driver; profile?: string } = {};
      if (opts.driver !== undefined) o.driver = opts.driver;
      if (opts.profile !== undefined) o.profile = opts.profile;
      rt.configureDriver(o);
    }
  } catch (err) {
    report.error = {
      message: `the xpuscope runtime could not be set up: ${err instanceof Error ? err.message : String(err)}`,
      hint: 'Reinstall and rebuild xpuscope (npm ci && npm run build); a driver already chosen in this process cannot be changed — start a new process.',
    };
    return finish();
  }

  let list: DeviceList;
  try {
    list = rt.xpu.listDevices();
  } catch (err) {
    report.error = {
      message: `device enumeration crashed: ${err instanceof Error ? err.message : String(err)}`,
    };
    return finish();
  }
  report.driver = list.driver;
  report.devices = list.devices.map((d) => ({ index: d.index, name: d.name, simulated: d.simulated }));
  if (
    opts.device !== undefined &&
    list.devices.length > 0 &&
    !list.devices.some((d) => d.index === opts.device)
  ) {
    report.error = {
      message: `device ${opts.device} does not exist (${list.devices.length} device(s): 0…${list.devices.length - 1})`,
      hint: 'List the devices with `xpuscope devices`.',
    };
    return finish();
  }

  const defs = checksForLevel(level, opts.only);
  const targets = opts.device !== undefined ? [opts.device] : list.devices.map((d) => d.index);
  const plan: { def: CheckDef; device?: number }[] = [];
  for (const def of defs) {
    if (def.scope === 'system') plan.push({ def });
    else if (targets.length === 0) plan.push({ def, device: -1 });
    else for (const d of targets) plan.push({ def, device: d });
  }

  /** Device → the check that lost it: later checks of that device are skipped, not failed again. */
  const lost = new Map<number, string>();
  for (const [i, step] of plan.entries()) {
    const { def } = step;
    const device = step.device !== undefined && step.device >= 0 ? step.device : undefined;
    notify({
      type: 'start',
      id: def.id,
      title: def.title,
      level: def.level,
      ...(device !== undefined ? { device } : {}),
      index: i,
      total: plan.length,
    });
    const c0 = performance.now();
    let result: CheckResult;
    const base = {
      id: def.id,
      title: def.title,
      level: def.level,
      ...(device !== undefined ? { device } : {}),
    };
    if (def.scope === 'device' && device === undefined) {
      result = {
        ...base,
        status: 'skip',
        measured: '-',
        expected: '-',
        expectedSource: '-',
        durationMs: 0,
        message: 'no device to test',
        hint: 'Fix the level-1 checks (l1.drivers) first.',
      };
    } else if (opts.signal?.aborted) {
      report.cancelled = true;
      result = {
        ...base,
        status: 'skip',
        measured: '-',
        expected: '-',
        expectedSource: '-',
        durationMs: 0,
        message: 'cancelled',
        hint: 'The run was cancelled before this check started; run the diagnostics again.',
      };
    } else if (device !== undefined && lost.has(device)) {
      result = {
        ...base,
        status: 'skip',
        measured: '-',
        expected: '-',
        expectedSource: '-',
        durationMs: 0,
        message: `device ${device} was lost during ${lost.get(device)}`,
        hint: 'Fix the device-lost failure first (see that check), then run the diagnostics again.',
      };
    } else {
      const ctx: CheckContext = { env, list, device: device ?? -1, results: report.checks };
      const timeout = opts.checkTimeoutMs ?? (def.level === 3 ? 60_000 : 30_000);
      try {
        const o = await withTimeout(
          Promise.resolve().then(() => def.run(ctx)),
          timeout,
        );
        result = { ...base, ...o, durationMs: 0 };
        if (result.status !== 'pass' && result.hint === undefined) result.hint = 'See the message above.';
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        result = {
          ...base,
          status: 'fail',
          measured: err instanceof TimeoutError ? `no answer within ${timeout} ms` : `error: ${message}`,
          expected: 'completes',
          expectedSource: '-',
          durationMs: 0,
          message: err instanceof TimeoutError ? `the check ${message}: the GPU may be hung` : message,
          hint:
            err instanceof TimeoutError
              ? 'The GPU stopped answering: check `sudo dmesg` for GPU hang/reset messages; reboot before testing again.'
              : hintFor(err, 'Unexpected error: report it with the output of `xpuscope diag --json`.'),
        };
      }
    }
    if (device !== undefined && result.status === 'fail' && isDeviceLost(result)) lost.set(device, def.id);
    result.durationMs = Math.round((performance.now() - c0) * 10) / 10;
    report.checks.push(result);
    notify({ type: 'end', result, index: i, total: plan.length });
  }
  return finish();
}
