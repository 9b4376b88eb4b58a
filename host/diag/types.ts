// Plain data of a diagnostics run (`xpuscope diag`, `runDiagnostics`): what `--json` prints under the
// schema "xpuscope.diag/1". No runtime imports: the service and the UI can share these types.
import type { DriverRequest } from '../../protocol/devices.js';

export {
  DIAG_SCHEMA,
  type CheckResult,
  type CheckStatus,
  type DiagDeviceInfo,
  type DiagLevel,
  type DiagReport,
  type DiagSummary,
} from '../../protocol/views.js';
import type { CheckResult, DiagLevel } from '../../protocol/views.js';

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
  /** Cancels the run: checks not yet started are reported as skipped ("cancelled"). */
  signal?: AbortSignal;
  /** Environment snapshot to report (default: process.env at the call). */
  env?: Record<string, string | undefined>;
}

/** Progress callbacks: `start` before a check runs, `end` with its result. */
export type DiagProgress =
  | {
      type: 'start';
      id: string;
      title: string;
      level: DiagLevel;
      device?: number;
      index: number;
      total: number;
    }
  | { type: 'end'; result: CheckResult; index: number; total: number };
