// Capture analysis: why work in a capture did or did not overlap, from the numbers, with the operations
// that show each finding (runtime/timeline/analysis.ts computes it; the UI selects `ops` in the
// timeline, the CLI prints `title` / `detail`). Plain JSON-able data.
import type { EngineRef } from './timeline.js';

export type AnalysisFindingKind =
  /** Two or more queues on one engine: one queue's op ran while another queue had an op ready. */
  | 'shared-engine'
  /** Ops held back by a dependency on an op of another queue (producer lane → consumer lane). */
  | 'cross-queue-wait'
  /** A queue went idle because its next op was submitted only after the previous one had finished. */
  | 'host-sync'
  /** Time inside the window when a device ran nothing at all. */
  | 'idle-gap'
  /**
   * Ops that were ready (submitted, queue free, recorded dependencies done) while their own engine was
   * idle and other engines ran: serialized by something the capture does not show.
   */
  | 'serialized'
  /** Work on different engines (or queues) that did run at the same time. */
  | 'overlap';

export type AnalysisSeverity = 'info' | 'warn';

export interface AnalysisTimeRange {
  startNs: number;
  endNs: number;
}

export interface AnalysisFinding {
  kind: AnalysisFindingKind;
  severity: AnalysisSeverity;
  /** One line, e.g. "2 queues share compute 0.0". */
  title: string;
  /** One or two sentences with the numbers. */
  detail: string;
  /** Device the finding is about. */
  device: number;
  /** Op ids that show it (at most `maxOps`, the most telling first), for selection in the timeline. */
  ops: number[];
  /** Lane ids involved (Timeline lane ids). */
  lanes: number[];
  /** Where to look (the largest instance). */
  timeNs?: AnalysisTimeRange;
  /** Further instances, largest first (idle gaps, host gaps). */
  ranges?: AnalysisTimeRange[];
  /** How much time it plausibly cost, ns (what findings are sorted by); for 'overlap', the time overlapped. */
  impactNs: number;
  /** The numbers behind the text, by name (e.g. serializedNs, waitNs, count), for --json and tests. */
  values: Record<string, number>;
}

export interface AnalysisLane {
  /** Timeline lane id. */
  lane: number;
  device: number;
  stream: number;
  /** "stream 3", or a recorded program's queue name ("immediate list 2"). */
  label: string;
  /** The lane's engine label, "compute 0.1". */
  engine: string;
  /** Ops overlapping the window. */
  ops: number;
  busyNs: number;
  busyPct: number;
}

export interface AnalysisEngine {
  device: number;
  engine: EngineRef;
  /** "compute 0.1": kind, ordinal.index. */
  label: string;
  /** Ops overlapping the window on this engine's lanes. */
  ops: number;
  /** Lane ids on this engine (with ops in the window). */
  lanes: number[];
  busyNs: number;
  busyPct: number;
  /** Σ clipped durations / busy time over this engine's lanes (metrics.ts definition). */
  concurrency: number;
}

export interface CaptureAnalysis {
  windowStartNs: number;
  windowEndNs: number;
  windowNs: number;
  /** Ops overlapping the window (metrics.ts rule). */
  ops: number;
  lanes: AnalysisLane[];
  engines: AnalysisEngine[];
  /** Σ clipped op durations. */
  serialNs: number;
  /** Time at least one op ran. */
  busyNs: number;
  /** serialNs / busyNs, as computeMetrics defines it. */
  concurrency: number;
  /** Most ops running at one instant. */
  peakConcurrency: number;
  /** Most impactful first: warnings by impact, then information by impact. */
  findings: AnalysisFinding[];
  /** 1–3 sentences computed from the numbers. */
  summary: string;
  /** Caveats about the data (dropped ops, missing submit times, dangling dependencies). */
  notes: string[];
}
