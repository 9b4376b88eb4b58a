import type { DriverChoice } from './devices.js';
import type { CaptureAnalysis } from './analysis.js';
import type { EngineRef, OpSource } from './timeline.js';

// Plain data for the app's views beyond the device list: properties, scenarios, captures, counters,
// diagnostics and traces. The service produces them; the renderer and the CLI's --json consume them.

// ---- Properties ----
export type PropertyValue = string | number | boolean | null | string[] | number[];

export interface PropertyEntry {
  /** Stable key (camelCase field name), e.g. "maxComputeUnits". */
  key: string;
  label: string;
  /** null when the driver does not report it (never invented). */
  value: PropertyValue;
  unit?: string;
  /** The Level Zero query it came from, e.g. "zeDeviceGetComputeProperties.maxTotalGroupSize". */
  source: string;
  available: boolean;
}

export type PropertyGroupName = 'identity' | 'compute' | 'memory' | 'engines' | 'timestamps' | 'features';

export interface PropertyGroup {
  name: PropertyGroupName;
  entries: PropertyEntry[];
}

export interface DevicePropertiesView {
  schema: 'xpuscope.properties/1';
  device: number;
  name: string;
  simulated: boolean;
  groups: PropertyGroup[];
  /** The raw properties object as the runtime returns it (for "copy as JSON"). */
  raw: Record<string, unknown>;
}

// ---- Scenarios ----
export interface ScenarioParam {
  name: string;
  label: string;
  type: 'int' | 'number' | 'enum';
  default: number | string;
  min?: number;
  max?: number;
  options?: string[];
  unit?: string;
  help?: string;
}

export interface ScenarioInfo {
  name: string;
  title: string;
  /** A plain explanation of what the scenario shows. */
  summary: string;
  params: ScenarioParam[];
}

export interface LaneShare {
  /** Stream id (or engine key for engine rows). */
  key: string;
  label: string;
  busyPct: number;
}

export interface ScenarioResult {
  schema: 'xpuscope.scenario/1';
  name: string;
  device: number;
  deviceName: string;
  params: Record<string, number | string>;
  opCount: number;
  /** Wall time from the first start to the last end on the device, ns. */
  wallNs: number;
  /** Sum of all operation durations, ns. */
  serialNs: number;
  /** serialNs / wallNs. */
  speedup: number;
  /** Time-weighted mean number of running operations. */
  concurrency: number;
  streams: LaneShare[];
  engines: LaneShare[];
  submitToStartP50Ns?: number;
  /** A sentence on what the result shows (e.g. why 4 streams do not overlap on one compute engine). */
  explanation: string;
}

// ---- Capture (the live timeline) ----
export interface CaptureState {
  recording: boolean;
  paused: boolean;
  ops: number;
  dropped: number;
  lanes: number;
  /** What the timeline shows: xpuscope's own work (live), an imported file, or a recorded program. */
  source?: 'live' | 'import' | 'recording';
  /** The capture's name: the recorded command line, the file name, the scenario (none for the session). */
  sourceName?: string;
  /** Present when a streamed trace file is being written. */
  traceFile?: string;
  /** Why the streamed trace file could not be opened or written (the capture goes on without it). */
  traceError?: string;
  /**
   * Operations of this service's runtime that could not be recorded (a timestamp that could not be
   * read, a recorder that failed): the timeline misses them. Absent when none.
   */
  recorderErrors?: number;
  /** The capture this client views (an id of CaptureList.captures), and what made it. */
  capture?: string;
  kind?: CaptureKind;
  /** True while this client follows the newest live capture (switching with each new run). */
  following?: boolean;
}

// ---- Captures (every run its own timeline) ----
/**
 * What made a capture: the service's own work outside any run (`session`), one scenario run, one
 * diagnostics run, an imported file, or a recorded program.
 */
export type CaptureKind = 'session' | 'scenario' | 'diagnostics' | 'import' | 'recording';
export const CAPTURE_KINDS: readonly CaptureKind[] = [
  'session',
  'scenario',
  'diagnostics',
  'import',
  'recording',
];

export interface CaptureInfo {
  /** Unique within one service process (`<boot>-<n>`); a restarted service starts a new list. */
  id: string;
  kind: CaptureKind;
  /** Scenario name, "Diagnostics level N", file name, or the recorded command line. */
  name: string;
  /** The device a scenario or diagnostics run used, when it named one. */
  device?: number;
  /** Unix time (ms) the capture began. */
  startedAt: number;
  /** First operation start to last operation end (ns), 0 when it holds none. */
  durationNs: number;
  ops: number;
  /** Operations the capture's lanes evicted (ring capacity), never silently. */
  dropped: number;
  /** Still receiving operations: the running scenario/diagnostics/recording, or the session. */
  live: boolean;
}

/** The captures the service keeps (oldest first) and which one this client views. */
export interface CaptureList {
  captures: CaptureInfo[];
  /** The capture this client views. */
  viewing: string;
  /** True when this client follows the newest live capture. */
  following: boolean;
  /** The newest live capture (what followers view). */
  newest: string;
  /** Captures closed to stay within the memory budget since the service started. */
  evicted: number;
}

/** Sampled at ~4 Hz while the service runs. */
export interface CounterSample {
  /** Host time, ms since the capture started. */
  t: number;
  device: number;
  /** Engine key → utilization 0..100. */
  engines: Record<string, number>;
  memoryUsedBytes: number;
  memoryTotalBytes?: number;
  opsPerSec: number;
  submitToStartP50Ns?: number;
  /**
   * Device telemetry from Sysman, through the runtime's torch.xpu functions (temperature, clockRate,
   * powerDraw, utilization); absent when the device or driver does not report it — never 0 instead.
   * Devices of this service only (not a recorded program's).
   */
  temperatureC?: number;
  clockMHz?: number;
  powerW?: number;
  /** All engines of the device busy, % (Sysman), whoever submitted the work. */
  gpuUtilizationPct?: number;
}

// ---- Diagnostics (`xpuscope diag`, the Diagnostics view; --json prints DiagReport) ----
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
  /** 0 all passed (warn/skip allowed), 1 a check failed, 2 diagnostics could not run (or were cancelled). */
  exitCode: 0 | 1 | 2;
  /** True when `signal` cancelled the run before every check ran. */
  cancelled?: boolean;
  /** Present when the diagnostics could not run (exitCode 2). */
  error?: { message: string; hint?: string };
}

/** Progress of a running diagnostics run (`diag.progress` events). */
export interface DiagProgress {
  done: number;
  total: number;
  /** The check that just started or finished. */
  current?: string;
  /** The finished check's result, so views can fill rows as they complete. */
  result?: CheckResult;
}

// ---- Traces ----
export interface TraceImportSummary {
  format: 'xpuscope' | 'unitrace' | 'kineto' | 'chrome';
  events: number;
  spans: number;
  flows: number;
  skipped: Record<string, number>;
  truncated: boolean;
  devices: string[];
  /** The capture the file was opened as (now shown to the client that imported it). */
  capture?: string;
}

// ---- Recording another program (xpuscope record; the app's Record view) ----

/** What to launch and record. */
export interface RecordRequest {
  /** The program: a path, or a name looked up on PATH. */
  command: string;
  args: string[];
  /** Working directory (default: the service's). */
  cwd?: string;
  /** Extra environment variables for the program. */
  env?: Record<string, string>;
  /** Which Level Zero driver the program gets (default: the service's choice). */
  driver?: 'auto' | 'system' | 'sim';
  /** Simulated device profiles, with driver sim. */
  profile?: string;
  /** Also record the program's Level Zero calls per host thread (as `xpuscope record --host-calls`). */
  hostCalls?: boolean;
}

/** One process of a recording (the program, or a child it started). */
export interface RecordProcessView {
  pid: number;
  ppid: number;
  command: string;
  /** False: it made no Level Zero calls, or could not be traced (`untraced` says why). */
  traced: boolean;
  untraced?: string;
  /** How it ended, in words ("exited with code 0", "is still running", …). */
  end: string;
  ops: number;
  dropped: number;
  untimed: number;
  lost: number;
  inFlight: number;
  error?: string;
}

export interface RecordState {
  state: 'idle' | 'running' | 'finished' | 'failed';
  command?: string[];
  cwd?: string;
  /** ms since the epoch. */
  startedAt?: number;
  wallMs?: number;
  /** The capture holding this recording's operations (captures.list). */
  capture?: string;
  pid?: number;
  simulated?: boolean;
  exit?: { code: number; signal?: string };
  processes: RecordProcessView[];
  ops: number;
  /** Host calls recorded (with hostCalls). */
  hostCalls?: number;
  dropped: number;
  untimed: number;
  lost: number;
  inFlight: number;
  /** Why the program could not be started or recorded (state 'failed'). */
  error?: { message: string; hint?: string };
  /** The last part of the program's output (stdout and stderr interleaved as they arrived). */
  outputTail?: string;
  /** Computed when the program has ended. */
  analysis?: CaptureAnalysis;
}

/**
 * A recording made elsewhere (`xpuscope record --to URL`) streamed into this service: lane
 * descriptors and strings once, then operations as compact rows.
 */
export interface RecordPush {
  /** Lanes new since the last push (ids chosen by the sender, dense from 0). */
  lanes?: RecordPushLane[];
  /** Strings appended to this recording's string table (ids continue from the last push). */
  strings?: string[];
  /**
   * Operations: [lane, id, kind (OP_KINDS index), name (string id), bytes, submitNs, startNs, endNs,
   * ...ids of the operations it waited on].
   */
  ops?: number[][];
  /** The processes as the sender sees them now. */
  processes?: RecordProcessView[];
  /** The recording's clock now (host ns), for the live counters. */
  nowNs?: number;
  /** The program ended: how, and the wall time of the recording. */
  done?: { exit: { code: number; signal?: string }; wallMs: number };
}

export interface RecordPushLane {
  lane: number;
  device: number;
  stream: number;
  engine: EngineRef;
  source: OpSource;
}

/** A piece of the recorded program's output (`record.output` events). */
export interface RecordOutput {
  stream: 'stdout' | 'stderr';
  text: string;
}
