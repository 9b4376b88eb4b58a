// Metrics over a time window (or the whole capture) of a Timeline. Definitions (all times in ns):
//
//   window          [startNs, endNs): the caller's, else [earliest start, latest end] of the retained ops.
//   ops in window   operations with start < window end and end > window start (a zero-length op counts when
//                   window start ≤ start < window end).
//   serialNs        Σ durations of the ops, each clipped to the window: the time a single in-order queue
//                   would need to run them one after another.
//   busyNs          length of the union of the clipped intervals: wall time during which ≥ 1 op ran.
//   spanNs          last clipped end − first clipped start: elapsed time from the first op to the last.
//   concurrency     serialNs / busyNs: the time-weighted mean number of operations running, taken over
//                   the time when at least one runs (idle gaps do not dilute it). 4 fully overlapped ops
//                   of 1 ms → 4; the same ops back to back → 1.
//   speedup         serialNs / spanNs: how much faster than running everything serially the capture was,
//                   idle gaps included. Equals concurrency when there are no gaps.
//   peakConcurrency the largest number of ops running at one instant (back-to-back ops do not overlap).
//   busyPct         busyNs / window length × 100, per stream (lane) and per engine (union over the
//                   engine's streams), and for the whole selection.
//   submitLatency   start − submit over ops that start inside the window (min/mean/p50/p95/max).
//   names           per op name: count, total/mean/p50/p95 of the full (unclipped) durations of the ops
//                   in the window; sorted by total descending.
// Percentiles are nearest-rank over the exact values.
import type { EngineRef } from '../../protocol/timeline.js';
import { engineKey, type LaneInfo, type Timeline } from './timeline.js';

export interface MetricsOptions {
  startNs?: number;
  endNs?: number;
  /** Restrict to one device. */
  device?: number;
}

export interface DistributionStats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export interface NameStats {
  name: string;
  count: number;
  totalNs: number;
  meanNs: number;
  p50Ns: number;
  p95Ns: number;
}

export interface StreamMetrics {
  lane: LaneInfo;
  ops: number;
  busyNs: number;
  busyPct: number;
}

export interface EngineMetrics {
  device: number;
  engine: EngineRef;
  /** Lane ids of the streams on this engine. */
  lanes: number[];
  ops: number;
  busyNs: number;
  busyPct: number;
  /** serialNs / busyNs over this engine's streams. */
  concurrency: number;
}

export interface TimelineMetrics {
  windowStartNs: number;
  windowEndNs: number;
  windowNs: number;
  ops: number;
  serialNs: number;
  busyNs: number;
  busyPct: number;
  spanNs: number;
  concurrency: number;
  peakConcurrency: number;
  speedup: number;
  streams: StreamMetrics[];
  engines: EngineMetrics[];
  submitLatency: DistributionStats;
  names: NameStats[];
}

interface Sweep {
  busyNs: number;
  serialNs: number;
  peak: number;
  firstNs: number;
  lastNs: number;
}

/** Union length, Σ lengths and peak overlap of intervals [s[i], e[i]) (zero-length ones ignored). */
export function sweepIntervals(starts: ArrayLike<number>, ends: ArrayLike<number>): Sweep {
  const n = starts.length;
  const s = new Float64Array(n),
    e = new Float64Array(n);
  let m = 0,
    serialNs = 0;
  for (let i = 0; i < n; i++) {
    const a = starts[i]!,
      b = ends[i]!;
    if (b > a) {
      s[m] = a;
      e[m] = b;
      m++;
      serialNs += b - a;
    }
  }
  const ss = s.subarray(0, m).sort(),
    es = e.subarray(0, m).sort();
  let i = 0,
    j = 0,
    running = 0,
    peak = 0,
    busyNs = 0,
    segStart = 0;
  while (i < m) {
    if (ss[i]! < es[j]!) {
      if (running === 0) segStart = ss[i]!;
      running++;
      if (running > peak) peak = running;
      i++;
    } else {
      running--;
      if (running === 0) busyNs += es[j]! - segStart;
      j++;
    }
  }
  if (running > 0) busyNs += es[m - 1]! - segStart;
  return { busyNs, serialNs, peak, firstNs: m ? ss[0]! : 0, lastNs: m ? es[m - 1]! : 0 };
}

function percentileSorted(a: Float64Array, p: number): number {
  if (a.length === 0) return 0;
  const k = Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1));
  return a[k]!;
}

export function distribution(values: ArrayLike<number>): DistributionStats {
  const a = Float64Array.from(values as ArrayLike<number>).sort();
  if (a.length === 0) return { count: 0, min: 0, mean: 0, p50: 0, p95: 0, max: 0 };
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]!;
  return {
    count: a.length,
    min: a[0]!,
    mean: sum / a.length,
    p50: percentileSorted(a, 50),
    p95: percentileSorted(a, 95),
    max: a[a.length - 1]!,
  };
}

export function computeMetrics(timeline: Timeline, options: MetricsOptions = {}): TimelineMetrics {
  // Host lanes (a recorded program's Level Zero calls) are not GPU work: no GPU metric counts them.
  const lanes = timeline
    .lanes()
    .filter((l) => l.engine.kind !== 'host' && (options.device === undefined || l.device === options.device));
  const cols = lanes.map((l) => timeline.laneColumns(l.id));
  let ws = options.startNs,
    we = options.endNs;
  if (ws === undefined || we === undefined) {
    let lo = Infinity,
      hi = -Infinity;
    for (const c of cols)
      for (let i = 0; i < c.count; i++) {
        if (c.start[i]! < lo) lo = c.start[i]!;
        if (c.end[i]! > hi) hi = c.end[i]!;
      }
    if (lo > hi) lo = hi = 0;
    ws ??= lo;
    we ??= hi;
  }
  if (!(we >= ws)) throw new RangeError(`metrics window end ${we} is before its start ${ws}`);
  const windowNs = we - ws;
  const allS: number[] = [],
    allE: number[] = [],
    latency: number[] = [];
  const byName = new Map<number, number[]>();
  const streams: StreamMetrics[] = [];
  const engines = new Map<
    string,
    { device: number; engine: EngineRef; lanes: number[]; s: number[]; e: number[]; ops: number }
  >();
  let ops = 0;
  lanes.forEach((lane, li) => {
    const c = cols[li]!;
    const ls: number[] = [],
      le: number[] = [];
    for (let i = 0; i < c.count; i++) {
      const a = c.start[i]!,
        b = c.end[i]!;
      const inside = b > a ? a < we && b > ws : a >= ws && a < we;
      if (!inside) continue;
      ops++;
      const ca = Math.max(a, ws),
        cb = Math.min(b, we);
      ls.push(ca);
      le.push(cb);
      if (a >= ws && a < we) latency.push(a - c.submit[i]!);
      let d = byName.get(c.name[i]!);
      if (!d) byName.set(c.name[i]!, (d = []));
      d.push(b - a);
    }
    const sw = sweepIntervals(ls, le);
    streams.push({
      lane,
      ops: ls.length,
      busyNs: sw.busyNs,
      busyPct: windowNs > 0 ? (100 * sw.busyNs) / windowNs : 0,
    });
    const k = engineKey(lane.device, lane.engine);
    let g = engines.get(k);
    if (!g)
      engines.set(k, (g = { device: lane.device, engine: lane.engine, lanes: [], s: [], e: [], ops: 0 }));
    g.lanes.push(lane.id);
    g.ops += ls.length;
    for (let i = 0; i < ls.length; i++) {
      g.s.push(ls[i]!);
      g.e.push(le[i]!);
      allS.push(ls[i]!);
      allE.push(le[i]!);
    }
  });
  const all = sweepIntervals(allS, allE);
  const spanNs = all.lastNs - all.firstNs;
  const names: NameStats[] = [...byName.entries()].map(([id, d]) => {
    const st = distribution(d);
    return {
      name: timeline.strings.get(id),
      count: st.count,
      totalNs: st.mean * st.count,
      meanNs: st.mean,
      p50Ns: st.p50,
      p95Ns: st.p95,
    };
  });
  names.sort((a, b) => b.totalNs - a.totalNs || a.name.localeCompare(b.name));
  return {
    windowStartNs: ws,
    windowEndNs: we,
    windowNs,
    ops,
    serialNs: all.serialNs,
    busyNs: all.busyNs,
    busyPct: windowNs > 0 ? (100 * all.busyNs) / windowNs : 0,
    spanNs,
    concurrency: all.busyNs > 0 ? all.serialNs / all.busyNs : 0,
    peakConcurrency: all.peak,
    speedup: spanNs > 0 ? all.serialNs / spanNs : 0,
    streams,
    engines: [...engines.values()].map((g) => {
      const sw = sweepIntervals(g.s, g.e);
      return {
        device: g.device,
        engine: g.engine,
        lanes: g.lanes,
        ops: g.ops,
        busyNs: sw.busyNs,
        busyPct: windowNs > 0 ? (100 * sw.busyNs) / windowNs : 0,
        concurrency: sw.busyNs > 0 ? sw.serialNs / sw.busyNs : 0,
      };
    }),
    submitLatency: distribution(latency),
    names,
  };
}
