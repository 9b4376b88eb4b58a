// The check registry: every diagnostic check with its level, scope and what it measures. The runner
// (runner.ts) runs them in this order; host/README.md documents the same table.
import type { DeviceList } from '../../protocol/devices.js';
import type { CheckResult, CheckStatus, DiagLevel } from './types.js';

/** What a check returns; the runner adds id, title, level, device and duration. */
export type Outcome = Omit<CheckResult, 'id' | 'title' | 'level' | 'device' | 'durationMs'>;

export interface CheckContext {
  /** Environment snapshot taken when the run started (before the runtime touched it). */
  env: Record<string, string | undefined>;
  /** The device list (never throws to get it: `problem` explains an empty list). */
  list: DeviceList;
  /** The device for per-device checks. */
  device: number;
  /** Results so far (a check may look at an earlier one). */
  results: readonly CheckResult[];
}

export interface CheckDef {
  id: string;
  title: string;
  level: DiagLevel;
  /** `system`: runs once; `device`: once per device. */
  scope: 'system' | 'device';
  /** One line for the README table and `diag --help`. */
  measures: string;
  run(ctx: CheckContext): Promise<Outcome> | Outcome;
}

export function outcome(
  status: CheckStatus,
  measured: string,
  expected: string,
  expectedSource: string,
  extra: Partial<Outcome> = {},
): Outcome {
  return { status, measured, expected, expectedSource, ...extra };
}
