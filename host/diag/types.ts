// Plain data of a diagnostics run (`xpuscope diag`, `runDiagnostics`): what `--json` prints under the
// schema "xpuscope.diag/1". No runtime imports: the service and the UI can share these types.
import type { DriverChoice, DriverRequest } from '../../protocol/devices.js';

export const DIAG_SCHEMA = 'xpuscope.diag/1' as const;

export type DiagLevel = 1 | 2 | 3;
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One check's result (a device check yields one result per device). */
export interface CheckResult {
  /** Stable id, e.g. "l1.loader", "l2.copy" (with `device` for per-device checks). */
  id: string;
  title: string;
  level: DiagLevel;
  /** Device index for per-device checks; absent for system checks. */
  device?: number;
  status: CheckStatus;
  /** The measured value, human-readable ("1.8.12", "12.3 GB/s", "3 render nodes, all accessible"). */
  measured: string;
  /** The measured value as a number, when there is one (`unit` says what it is). */
  value?: number;
  unit?: string;
  /** The expected value or threshold ("≥ 1.2", "≥ 25.6 GB/s", "checksums equal"). */
  expected: string;
  /** Where that expectation comes from (spec, the device's own properties, a documented floor). */
  expectedSource: string;
  durationMs: number;
  /** Why it did not pass (or a note when it did). */
  message?: string;
  /** What to do about it; present whenever the status is not `pass`. */
  hint?: string;
  /** Extra machine-readable measurements (per engine, per driver…). */
  details?: Record<string, unknown>;
}

export interface DiagSummary {
  total: number;
  pass: number;
  warn: number;
  fail: number;
  skip: number;
}

export interface DiagDeviceInfo {
  index: number;
  name: string;
  simulated: boolean;
}

export interface DiagReport {
  schema: typeof DIAG_SCHEMA;
  xpuscopeVersion: string;
  /** ISO 8601 start time. */
  startedAt: string;
  durationMs: number;
  level: DiagLevel;
  /** The device selected with `--device`, when one was. */
  deviceFilter?: number;
  driver?: DriverChoice;
  host: { platform: string; arch: string; release: string; node: string };
  devices: DiagDeviceInfo[];
  checks: CheckResult[];
  summary: DiagSummary;
  /** 0 all passed (warn/skip allowed), 1 a check failed, 2 diagnostics could not run. */
  exitCode: 0 | 1 | 2;
  /** Present when the diagnostics could not run (exitCode 2). */
  error?: { message: string; hint?: string };
}

export interface DiagOptions {
  /** Run checks of levels 1..level (default 1). */
  level?: DiagLevel;
  /** Only this device for device checks (default: every device). */
  device?: number;
  /** Applied with configureDriver before the runtime is used; omit when the host configured it. */
  driver?: DriverRequest;
  profile?: string;
  /** Only checks whose id is listed (tests, `diag --check` later). */
  only?: readonly string[];
  /** Per-check time limit in ms (default: 30 s for levels 1–2, 60 s for level 3). */
  checkTimeoutMs?: number;
  /** Environment snapshot to report (default: process.env at the call). */
  env?: Record<string, string | undefined>;
}

/** Progress callbacks: `start` before a check runs, `end` with its result. */
export type DiagProgress =
  | { type: 'start'; id: string; title: string; level: DiagLevel; device?: number; index: number; total: number }
  | { type: 'end'; result: CheckResult; index: number; total: number };
