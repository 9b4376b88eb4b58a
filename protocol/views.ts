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
  /** Present when a streamed trace file is being written. */
  traceFile?: string;
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
}

// ---- Diagnostics ----
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  level: 1 | 2 | 3;
  title: string;
  device?: number;
  status: CheckStatus;
  measured?: string;
  expected?: string;
  /** Where the expectation came from (spec, device property, …). */
  expectedSource?: string;
  durationMs: number;
  hint?: string;
}

export interface DiagReport {
  schema: 'xpuscope.diag/1';
  level: 1 | 2 | 3;
  startedAt: string;
  durationMs: number;
  summary: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export interface DiagProgress {
  done: number;
  total: number;
  current?: string;
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
}
