// Capture analysis: why work did or did not overlap (types: protocol/analysis.ts).
//
// Every claim is computed from the recorded times and dependency edges; nothing is guessed from names.
// Definitions (all times ns, window [ws, we) as in metrics.ts: the caller's, else first start → last end
// of the selected lanes' ops; every measured interval is clipped to the window):
//
//   lane order      a lane's ops sorted by start (an in-order queue: already so).
//   known submit    an op whose submitNs differs from its startNs. Importers write submit = start when a
//                   trace has no launch time; such ops take part in no rule that needs a submit time.
//   free            the end of the lane's previous ops (max end so far): when the queue could take it.
//   base            max(submit, free): the op was submitted and its queue had nothing else to do.
//   depEnd          latest end among the op's retained dependencies.
//   ready           max(base, depEnd): it could have started if its engine had been free.
//   latency floor   per device, the smallest start − ready over its ops (≥ 0): launch latency that any
//                   op pays; an op counts as *pending* only from ready + floor until its start.
//
// Lane states for the sweep: RUNNING (≥ 1 op between start and end; zero-length ops never run),
// PENDING (see above), HOSTWAIT (from the queue's previous end until a late submit — one made only after
// that end — plus the latency floor; until the submit itself when a dependency then held the op), IDLE.
// One sweep over all selected lanes (a k-way merge of the lanes' state changes in time order; each lane's
// changes are produced op by op as the merge needs them, so memory stays O(lanes) beyond the columns)
// measures:
//
//   shared-engine     per engine with ≥ 2 lanes: serializedNs = time some lane of the engine runs while
//                     another lane of it is pending. Reported when serializedNs is significant and the
//                     engine's lanes ran at the same time (≥ 2 running) for at most 10 % of serializedNs.
//   cross-queue-wait  an op with known submit whose latest dependency on *another* lane ended after its
//                     base waited min(depEnd, start) − base (kernel/copy/fill), or min(depEnd, end) − base
//                     (markers: an event wait may time the wait inside its own span). Summed per
//                     (producer lane → consumer lane); on one in-order consumer lane the waits are disjoint,
//                     so the sum is wall time.
//   host-sync         an op with known submit ≥ free and start > free (not the lane's first): the queue
//                     went idle and the host submitted only afterwards. Per lane: count of such gaps whose
//                     idle time (start − free, minus any cross-queue wait inside it) is ≥ minNs, their
//                     idle time, and (the impact) the part of the HOSTWAIT time its engine ran nothing.
//   idle-gap          per device: maximal intervals with no op running, ≥ minNs, leading/trailing ones of an
//                     explicit window included; for each, whether the op that ended it was submitted after
//                     the gap began (the host was late) or before.
//   serialized        pending time of a lane while its own engine ran nothing and another engine of the
//                     device ran: not explained by the engine, the recorded dependencies or the host.
//   overlap           per device: time ≥ 2 engines ran (and time ≥ 2 lanes of one engine ran).
//
// A finding is reported when its impact ≥ max(minNs, minFraction × window) (overlap: when ≥ minNs);
// 'warn' when the impact ≥ warnFraction × window (overlap is always 'info').
import { engineLabel } from '../../protocol/format.js';
import { OP_KINDS, type EngineRef } from '../../protocol/timeline.js';
import type {
  AnalysisEngine,
  AnalysisFinding,
  AnalysisLane,
  AnalysisTimeRange,
  CaptureAnalysis,
} from '../../protocol/analysis.js';
import { engineKey, pickColumns, type LaneColumns, type LaneInfo, type Timeline } from './timeline.js';

export type {
  AnalysisEngine,
  AnalysisFinding,
  AnalysisFindingKind,
  AnalysisLane,
  AnalysisSeverity,
  AnalysisTimeRange,
  CaptureAnalysis,
} from '../../protocol/analysis.js';

export interface AnalysisOptions {
  startNs?: number;
  endNs?: number;
  /** Restrict to one device. */
  device?: number;
  /** Gaps and waits shorter than this are noise and not counted (default 1000 ns). */
  minNs?: number;
  /** A finding needs an impact of at least this fraction of the window (default 0.005). */
  minFraction?: number;
  /** A finding is a warning from this fraction of the window on (default 0.05). */
  warnFraction?: number;
  /** Op ids per finding (default 50). */
  maxOps?: number;
  /** Time ranges per finding (default 10). */
  maxRanges?: number;
}

const IDLE = 0,
  HOSTWAIT = 1,
  PENDING = 2,
  RUNNING = 3;

const WORK_KIND = new Uint8Array(OP_KINDS.length);
for (const k of ['kernel', 'copy', 'fill'] as const) WORK_KIND[OP_KINDS.indexOf(k)] = 1;

/** 1234567 → "1.23 ms" (3 significant digits). */
export function formatNs(ns: number): string {
  const a = Math.abs(ns);
  const f = (v: number, unit: string): string =>
    `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${unit}`;
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return f(ns / 1e3, 'µs');
  if (a < 1e9) return f(ns / 1e6, 'ms');
  return f(ns / 1e9, 's');
}

function pct(v: number): string {
  return `${v.toFixed(1)}%`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function listWords(items: string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Keeps the k items with the largest values (ties: first come). */
class TopK<T> {
  readonly vals: number[] = [];
  readonly items: T[] = [];
  constructor(private readonly k: number) {}
  /** Whether `v` would be kept (cheap pre-check before building an item). */
  wants(v: number): boolean {
    return this.k > 0 && (this.vals.length < this.k || v > this.vals[this.vals.length - 1]!);
  }
  add(v: number, item: T): void {
    if (!this.wants(v)) return;
    let i = this.vals.length;
    while (i > 0 && this.vals[i - 1]! < v) i--;
    this.vals.splice(i, 0, v);
    this.items.splice(i, 0, item);
    if (this.vals.length > this.k) {
      this.vals.pop();
      this.items.pop();
    }
  }
}

interface PairAgg {
  producer: number;
  consumer: number;
  count: number;
  waitNs: number;
  maxNs: number;
  /** [from global index, to global index, base, waitEnd] */
  top: TopK<[number, number, number, number]>;
}

/** A selected lane: its columns, its cursor through the state changes, and what it accumulates. */
interface LaneCtx {
  info: LaneInfo;
  /** Position in the selected-lane list. */
  sel: number;
  c: LaneColumns;
  off: number;
  n: number;
  engine: number;
  device: number;
  label: string;
  /** Latency floor of its device. */
  floor: number;
  /** Whether its ops overlap each other (then RUNNING carries an op count). */
  overlaps: boolean;
  // cursor: next op, queue-free time, running ops, and a small buffer of state changes not yet swept
  next: number;
  free: number;
  freeOp: number;
  cnt: number;
  actEnd: number[];
  actOp: number[];
  bt: Float64Array;
  bs: Uint8Array;
  bo: Int32Array;
  bc: Int32Array;
  head: number;
  tail: number;
  // accumulated
  opsInWindow: number;
  serialNs: number;
  busyNs: number;
  hostCount: number;
  hostIdleNs: number;
  hostImpactNs: number;
  /** [gap start, gap end, previous op (global), op after the gap (global)], by idle time */
  hostTop: TopK<[number, number, number, number]>;
  blockedNs: number;
  blockingNs: number;
  stalledNs: number;
}

interface EngineCtx {
  device: number;
  /** Index into the device list. */
  dev: number;
  engine: EngineRef;
  label: string;
  lanes: LaneCtx[];
  nRun: number;
  nPend: number;
  busyNs: number;
  serialNs: number;
  serializedNs: number;
  sameOverlapNs: number;
  overlapOthersNs: number;
  ops: number;
  /** Position in the running-engine list, or −1. */
  runPos: number;
}

interface DeviceCtx {
  device: number;
  nRun: number;
  runEngines: number;
  busyNs: number;
  crossOverlapNs: number;
  multiLaneNs: number;
  idleSince: number;
  lastEndOp: number;
  idleNs: number;
  idleCount: number;
  hostLateGaps: number;
  stalled: number;
  /** [start, end, op before (global, −1), op after (global, −1)] */
  gaps: TopK<[number, number, number, number]>;
}

/** The lane's columns in start order (the same object when they already are). */
const EMPTY_COLUMNS: LaneColumns = {
  count: 0,
  id: new Float64Array(0),
  kind: new Uint8Array(0),
  name: new Uint32Array(0),
  detail: new Uint32Array(0),
  bytes: new Float64Array(0),
  submit: new Float64Array(0),
  start: new Float64Array(0),
  end: new Float64Array(0),
};

function inStartOrder(c: LaneColumns): LaneColumns {
  let sorted = true;
  for (let i = 1; i < c.count; i++)
    if (c.start[i]! < c.start[i - 1]!) {
      sorted = false;
      break;
    }
  if (sorted) return c;
  const order = Array.from({ length: c.count }, (_, i) => i).sort(
    (a, b) => c.start[a]! - c.start[b]! || c.submit[a]! - c.submit[b]! || a - b,
  );
  return pickColumns(c, order);
}

interface SweepParams {
  device: number | undefined;
  startNs: number | undefined;
  endNs: number | undefined;
  minNs: number;
  maxOps: number;
  maxRanges: number;
}

/**
 * The data and the sweep. Hot loops live in methods of this class (stable call targets, fields of
 * stable types) rather than in closures of analyzeTimeline, which V8 would re-specialize per call.
 */
class Sweep {
  readonly cols: LaneColumns[];
  readonly laneOff: Int32Array;
  readonly gLane: Int32Array;
  readonly N: number;
  readonly L: number;
  private table: Int32Array | null = null;
  private map: Map<number, number> | null = null;
  private idMin = 0;
  private idMax = -1;
  readonly depEnd: Float64Array;
  readonly xDep: Int32Array;
  dangling = 0;
  /** Ids of host calls (host lanes), whose edges to GPU operations are launch flows. */
  private readonly hostIds = new Set<number>();
  unknownSubmit = 0;
  readonly W0: number;
  readonly W1: number;
  readonly minNs: number;
  readonly maxOps: number;
  readonly lanes: LaneCtx[] = [];
  readonly engines: EngineCtx[] = [];
  readonly devices: DeviceCtx[] = [];
  readonly pairs = new Map<number, PairAgg>();
  // sweep state
  private laneState = new Uint8Array(0);
  private laneOp = new Int32Array(0);
  private laneCnt = new Int32Array(0);
  private activeLanes: number[] = [];
  private activePos = new Int32Array(0);
  private runEng: number[] = [];
  private totalRunLanes = 0;
  private totalOps = 0;
  busyNs = 0;
  peak = 0;
  /** per-op times, only to rank the ops shown with a finding (single precision is enough) */
  readonly blocked: Float32Array;
  readonly blocking: Float32Array;
  readonly stalled: Float32Array;
  readonly held: Float32Array;
  readonly overlapOp: Float32Array;
  /** stalled ns per (pending lane, running engine) */
  stalledBy = new Float64Array(0);
  private heap = new Int32Array(0);
  private key = new Float64Array(0);
  private hn = 0;

  constructor(tl: Timeline, p: SweepParams) {
    this.minNs = p.minNs;
    this.maxOps = p.maxOps;
    // ---- 1. every retained op, lane by lane in start order; a global index g = laneOff[lane] + i ----
    const infos = tl.lanes();
    const L = (this.L = infos.length);
    // Host lanes (a recorded program's Level Zero calls) are not GPU work: they take part in nothing,
    // and the edges from a host call to the operation it submitted are no dependency.
    this.cols = infos.map((l) => {
      const c = tl.laneColumns(l.id);
      if (l.engine.kind !== 'host') return inStartOrder(c);
      for (let i = 0; i < c.count; i++) this.hostIds.add(c.id[i]!);
      return EMPTY_COLUMNS;
    });
    this.laneOff = new Int32Array(L + 1);
    for (let l = 0; l < L; l++) this.laneOff[l + 1] = this.laneOff[l]! + this.cols[l]!.count;
    const N = (this.N = this.laneOff[L]!);
    this.gLane = new Int32Array(N);
    for (let l = 0; l < L; l++) this.gLane.fill(l, this.laneOff[l]!, this.laneOff[l + 1]!);
    // ---- 2. op id → global index ----
    this.buildIndex();
    // ---- 3. dependency edges: latest dependency end, and the latest-ending one on another lane ----
    this.depEnd = new Float64Array(N).fill(-Infinity);
    this.xDep = new Int32Array(N).fill(-1);
    this.applyEdges(tl.edges());
    // ---- 4. selection and window ----
    const sel = infos.filter(
      (l) => l.engine.kind !== 'host' && (p.device === undefined || l.device === p.device),
    );
    let ws = p.startNs,
      we = p.endNs;
    if (ws === undefined || we === undefined) {
      let lo = Infinity,
        hi = -Infinity;
      for (const l of sel) {
        const r = spanOf(this.cols[l.id]!);
        if (r[0] < lo) lo = r[0];
        if (r[1] > hi) hi = r[1];
      }
      if (lo > hi) lo = hi = 0;
      ws ??= lo;
      we ??= hi;
    }
    if (!(we >= ws)) throw new RangeError(`analysis window end ${we} is before its start ${ws}`);
    this.W0 = ws;
    this.W1 = we;
    // ---- 5. pass 1 and the lane/engine/device tables ----
    this.setup(sel, p.maxRanges);
    this.blocked = new Float32Array(N);
    this.blocking = new Float32Array(N);
    this.stalled = new Float32Array(N);
    this.held = new Float32Array(N);
    this.overlapOp = new Float32Array(N);
  }

  private buildIndex(): void {
    let idMin = Infinity,
      idMax = -Infinity,
      integer = true;
    for (const c of this.cols) {
      const ids = c.id;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (id < idMin) idMin = id;
        if (id > idMax) idMax = id;
        if (!Number.isInteger(id)) integer = false;
      }
    }
    if (this.N > 0 && integer && idMax - idMin <= 4 * this.N + 1024) {
      const table = new Int32Array(idMax - idMin + 1).fill(-1);
      for (let l = 0; l < this.L; l++) {
        const ids = this.cols[l]!.id;
        const off = this.laneOff[l]!;
        for (let i = 0; i < ids.length; i++) table[ids[i]! - idMin] = off + i;
      }
      this.table = table;
      this.idMin = idMin;
      this.idMax = idMax;
    } else {
      const map = new Map<number, number>();
      for (let l = 0; l < this.L; l++) {
        const ids = this.cols[l]!.id;
        const off = this.laneOff[l]!;
        for (let i = 0; i < ids.length; i++) map.set(ids[i]!, off + i);
      }
      this.map = map;
    }
  }

  /** Global index of op `id`, or −1. */
  indexOf(id: number): number {
    if (this.table !== null)
      return Number.isInteger(id) && id >= this.idMin && id <= this.idMax ? this.table[id - this.idMin]! : -1;
    return this.map!.get(id) ?? -1;
  }

  private applyEdges(edges: { from: Float64Array; to: Float64Array }): void {
    const { depEnd, xDep, gLane } = this;
    for (let k = 0; k < edges.to.length; k++) {
      if (this.hostIds.has(edges.from[k]!)) continue; // a launch flow, not a dependency
      const gf = this.indexOf(edges.from[k]!),
        gt = this.indexOf(edges.to[k]!);
      if (gf < 0 || gt < 0) {
        this.dangling++;
        continue;
      }
      const e = this.endOf(gf);
      if (e > depEnd[gt]!) depEnd[gt] = e;
      if (gLane[gf] !== gLane[gt] && (xDep[gt]! < 0 || e > this.endOf(xDep[gt]!))) xDep[gt] = gf;
    }
  }

  idOf(g: number): number {
    const l = this.gLane[g]!;
    return this.cols[l]!.id[g - this.laneOff[l]!]!;
  }
  startOf(g: number): number {
    const l = this.gLane[g]!;
    return this.cols[l]!.start[g - this.laneOff[l]!]!;
  }
  endOf(g: number): number {
    const l = this.gLane[g]!;
    return this.cols[l]!.end[g - this.laneOff[l]!]!;
  }
  kindOf(g: number): number {
    const l = this.gLane[g]!;
    return this.cols[l]!.kind[g - this.laneOff[l]!]!;
  }
  submitOf(g: number): number {
    const l = this.gLane[g]!;
    return this.cols[l]!.submit[g - this.laneOff[l]!]!;
  }

  clipLen(a: number, b: number): number {
    const x = a > this.W0 ? a : this.W0,
      y = b < this.W1 ? b : this.W1;
    return y > x ? y - x : 0;
  }

  /** Pass 1 (latency floor per device, ops in window, serial time) and the lane/engine/device tables. */
  private setup(sel: LaneInfo[], maxRanges: number): void {
    const { W0, W1 } = this;
    const floorByDevice = new Map<number, number>();
    const stats = new Map<number, { ops: number; serial: number; overlaps: boolean }>();
    for (const l of sel) {
      const c = this.cols[l.id]!;
      const r = pass1(c, this.depEnd, this.laneOff[l.id]!, W0, W1, floorByDevice.get(l.device) ?? Infinity);
      this.unknownSubmit += r.unknown;
      floorByDevice.set(l.device, r.floor);
      stats.set(l.id, r);
    }
    const active = sel.filter((l) => stats.get(l.id)!.ops > 0);
    const devIndex = new Map<number, number>();
    const engIndex = new Map<string, number>();
    const baseLabel = (l: LaneInfo): string => l.source?.queue ?? `stream ${l.stream}`;
    const labelCount = new Map<string, number>();
    for (const l of active) labelCount.set(baseLabel(l), (labelCount.get(baseLabel(l)) ?? 0) + 1);
    for (const l of active) {
      let d = devIndex.get(l.device);
      if (d === undefined) {
        devIndex.set(l.device, (d = this.devices.length));
        this.devices.push({
          device: l.device,
          nRun: 0,
          runEngines: 0,
          busyNs: 0,
          crossOverlapNs: 0,
          multiLaneNs: 0,
          idleSince: W0,
          lastEndOp: -1,
          idleNs: 0,
          idleCount: 0,
          hostLateGaps: 0,
          stalled: 0,
          gaps: new TopK(maxRanges),
        });
      }
      const key = engineKey(l.device, l.engine);
      let e = engIndex.get(key);
      if (e === undefined) {
        engIndex.set(key, (e = this.engines.length));
        this.engines.push({
          device: l.device,
          dev: d,
          engine: { ...l.engine },
          label: engineLabel(l.engine),
          lanes: [],
          nRun: 0,
          nPend: 0,
          busyNs: 0,
          serialNs: 0,
          serializedNs: 0,
          sameOverlapNs: 0,
          overlapOthersNs: 0,
          ops: 0,
          runPos: -1,
        });
      }
      let label = baseLabel(l);
      if ((labelCount.get(label) ?? 0) > 1)
        label += l.source
          ? ` (pid ${l.source.pid}, device ${l.device}, ${engineLabel(l.engine)})`
          : ` (device ${l.device}, ${engineLabel(l.engine)})`;
      const st = stats.get(l.id)!;
      const floor = floorByDevice.get(l.device)!;
      const lc: LaneCtx = {
        info: l,
        sel: this.lanes.length,
        c: this.cols[l.id]!,
        off: this.laneOff[l.id]!,
        n: this.cols[l.id]!.count,
        engine: e,
        device: d,
        label,
        floor: Number.isFinite(floor) ? floor : 0,
        overlaps: st.overlaps,
        next: 0,
        free: -Infinity,
        freeOp: -1,
        cnt: 0,
        actEnd: [],
        actOp: [],
        bt: new Float64Array(8),
        bs: new Uint8Array(8),
        bo: new Int32Array(8),
        bc: new Int32Array(8),
        head: 0,
        tail: 0,
        opsInWindow: st.ops,
        serialNs: st.serial,
        busyNs: 0,
        hostCount: 0,
        hostIdleNs: 0,
        hostImpactNs: 0,
        hostTop: new TopK(maxRanges),
        blockedNs: 0,
        blockingNs: 0,
        stalledNs: 0,
      };
      this.lanes.push(lc);
      this.engines[e]!.lanes.push(lc);
      this.engines[e]!.ops += st.ops;
      this.engines[e]!.serialNs += st.serial;
    }
  }

  // ---- 6. lane cursors: each lane's state changes, produced op by op as the sweep needs them, with the
  // per-op rules (host gaps, cross-queue waits) applied on the way ----

  private push(lc: LaneCtx, t: number, st: number, op: number, cnt: number): void {
    let m = lc.tail;
    if (m > lc.head && lc.bt[m - 1] === t) m--;
    if (m === lc.bt.length) grow(lc);
    lc.bt[m] = t;
    lc.bs[m] = st;
    lc.bo[m] = op;
    lc.bc[m] = cnt;
    lc.tail = m + 1;
  }

  /** Ends the lane's running ops that end by `t`, in end order. */
  private retireUpTo(lc: LaneCtx, t: number): void {
    const actEnd = lc.actEnd,
      actOp = lc.actOp;
    if (actEnd.length === 1) {
      // in-order lane: one op at a time
      if (actEnd[0]! > t) return;
      const end = actEnd.pop()!;
      actOp.pop();
      lc.cnt = 0;
      this.push(lc, end, IDLE, -1, 0);
      return;
    }
    while (actEnd.length > 0) {
      let k = 0;
      for (let j = 1; j < actEnd.length; j++) if (actEnd[j]! < actEnd[k]!) k = j;
      const end = actEnd[k]!;
      if (end > t) break;
      actEnd.splice(k, 1);
      actOp.splice(k, 1);
      lc.cnt--;
      if (lc.cnt > 0) this.push(lc, end, RUNNING, actOp[actOp.length - 1]!, lc.cnt);
      else this.push(lc, end, IDLE, -1, 0);
    }
  }

  private addWait(from: number, g: number, lc: LaneCtx, waited: number, base: number, waitEnd: number): void {
    const pl = this.gLane[from]!;
    const pairKey = pl * this.L + lc.info.id;
    let p = this.pairs.get(pairKey);
    if (!p)
      this.pairs.set(
        pairKey,
        (p = {
          producer: pl,
          consumer: lc.info.id,
          count: 0,
          waitNs: 0,
          maxNs: 0,
          top: new TopK(Math.max(1, Math.ceil(this.maxOps / 4))),
        }),
      );
    p.count++;
    p.waitNs += waited;
    if (waited > p.maxNs) p.maxNs = waited;
    if (p.top.wants(waited)) p.top.add(waited, [from, g, base, waitEnd]);
  }

  /** One op of the lane: its state changes, host gap and cross-queue wait. */
  private step(lc: LaneCtx): void {
    const c = lc.c;
    const i = lc.next++;
    const g = lc.off + i;
    const s = c.start[i]!,
      e = c.end[i]!,
      sub = c.submit[i]!;
    this.retireUpTo(lc, s);
    const isKnown = sub !== s;
    const free = lc.free;
    const base = isKnown ? (sub > free ? sub : free) : free;
    // cross-queue wait: the latest dependency on another lane ended after the op's base
    let waited = 0;
    const from = this.xDep[g]!;
    if (isKnown && from >= 0) {
      const fromEnd = this.endOf(from);
      const waitEnd = Math.min(fromEnd, WORK_KIND[c.kind[i]!] ? s : e);
      if (waitEnd > base) {
        waited = this.clipLen(base, waitEnd);
        if (waited >= this.minNs) this.addWait(from, g, lc, waited, base, waitEnd);
      }
    }
    if (lc.cnt === 0) {
      const dep = this.depEnd[g]!;
      const ready = base > dep ? base : dep;
      if (isKnown && free > -Infinity && sub >= free && s > free) {
        // host gap: the queue was free at `free`, the host submitted at `sub`
        const idle = this.clipLen(free, s) - waited;
        if (idle >= this.minNs) {
          lc.hostCount++;
          lc.hostIdleNs += idle;
          if (lc.hostTop.wants(idle)) lc.hostTop.add(idle, [free, s, lc.freeOp, g]);
        }
        this.push(lc, free, HOSTWAIT, g, 0);
        const hwEnd = dep > sub ? sub : Math.min(s, sub + lc.floor);
        if (hwEnd < s) this.push(lc, hwEnd, IDLE, -1, 0);
      }
      if (isKnown && ready + lc.floor < s) this.push(lc, ready + lc.floor, PENDING, g, 0);
    }
    if (e > s) {
      lc.cnt++;
      lc.actEnd.push(e);
      lc.actOp.push(g);
      this.push(lc, s, RUNNING, g, lc.cnt);
    } else if (lc.cnt === 0) this.push(lc, s, IDLE, -1, 0);
    if (e >= free) {
      lc.free = e;
      lc.freeOp = g;
    }
  }

  /** Refills an empty buffer; false when the lane has no state changes left. */
  private refill(lc: LaneCtx): boolean {
    lc.head = lc.tail = 0;
    while (lc.tail === 0) {
      if (lc.next < lc.n) this.step(lc);
      else if (lc.actEnd.length > 0) this.retireUpTo(lc, Infinity);
      else return false;
    }
    return true;
  }

  // ---- 7. the sweep: k-way merge of the lanes' state changes in time order ----

  run(): void {
    const nSel = this.lanes.length;
    this.laneState = new Uint8Array(nSel);
    this.laneOp = new Int32Array(nSel).fill(-1);
    this.laneCnt = new Int32Array(nSel);
    this.activePos = new Int32Array(nSel).fill(-1);
    this.stalledBy = new Float64Array(nSel * this.engines.length);
    this.heap = new Int32Array(nSel);
    this.key = new Float64Array(nSel);
    const { heap, key, lanes } = this;
    this.hn = 0;
    for (let i = 0; i < nSel; i++)
      if (this.refill(lanes[i]!)) {
        key[i] = lanes[i]!.bt[0]!;
        heap[this.hn++] = i;
      }
    for (let i = (this.hn >> 1) - 1; i >= 0; i--) this.siftDown(i);
    while (this.hn > 0) {
      const t = key[heap[0]!]!;
      do {
        const i = heap[0]!;
        const lc = lanes[i]!;
        this.apply(i, t);
        if (lc.head < lc.tail || this.refill(lc)) key[i] = lc.bt[lc.head]!;
        else heap[0] = heap[--this.hn]!;
        if (this.hn > 0) this.siftDown(0);
      } while (this.hn > 0 && key[heap[0]!] === t);
      this.accumulate(t, this.hn > 0 ? key[heap[0]!]! : Infinity);
    }
    for (const d of this.devices) if (d.nRun === 0) this.closeGap(d, this.W1, -1);
  }

  private siftDown(i: number): void {
    const { heap, key } = this;
    const hn = this.hn;
    const x = heap[i]!;
    const kx = key[x]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= hn) break;
      if (c + 1 < hn && key[heap[c + 1]!]! < key[heap[c]!]!) c++;
      if (key[heap[c]!]! >= kx) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = x;
  }

  private closeGap(d: DeviceCtx, t: number, after: number): void {
    const a = Math.max(d.idleSince, this.W0),
      b = Math.min(t, this.W1);
    if (b - a >= this.minNs && b > a) {
      d.idleNs += b - a;
      d.idleCount++;
      if (after >= 0) {
        const sub = this.submitOf(after);
        if (sub !== this.startOf(after) && sub > d.idleSince) d.hostLateGaps++;
      }
      if (d.gaps.wants(b - a)) d.gaps.add(b - a, [a, b, d.lastEndOp, after]);
    }
  }

  /** Applies lane i's next buffered state change, at time t. */
  private apply(i: number, t: number): void {
    const lc = this.lanes[i]!;
    const k = lc.head++;
    const ns = lc.bs[k]!,
      op = lc.bo[k]!,
      cnt = lc.overlaps ? lc.bc[k]! : ns === RUNNING ? 1 : 0;
    const old = this.laneState[i]!;
    const eng = this.engines[lc.engine]!;
    const dev = this.devices[lc.device]!;
    if (old === RUNNING && ns !== RUNNING) {
      eng.nRun--;
      if (eng.nRun === 0) {
        dev.runEngines--;
        const p = eng.runPos;
        const last = this.runEng.pop()!;
        if (last !== lc.engine) {
          this.runEng[p] = last;
          this.engines[last]!.runPos = p;
        }
        eng.runPos = -1;
      }
      dev.nRun--;
      this.totalRunLanes--;
      if (dev.nRun === 0) {
        dev.idleSince = t;
        dev.lastEndOp = this.laneOp[i]!;
      }
    } else if (old === PENDING) eng.nPend--;
    if (ns === RUNNING && old !== RUNNING) {
      if (eng.nRun === 0) {
        dev.runEngines++;
        eng.runPos = this.runEng.length;
        this.runEng.push(lc.engine);
      }
      eng.nRun++;
      if (dev.nRun === 0) this.closeGap(dev, t, op);
      dev.nRun++;
      this.totalRunLanes++;
    } else if (ns === PENDING) eng.nPend++;
    this.totalOps += cnt - this.laneCnt[i]!;
    this.laneState[i] = ns;
    this.laneOp[i] = op;
    this.laneCnt[i] = cnt;
    const activePos = this.activePos;
    if (ns !== IDLE && activePos[i]! < 0) {
      activePos[i] = this.activeLanes.length;
      this.activeLanes.push(i);
    } else if (ns === IDLE && activePos[i]! >= 0) {
      const p = activePos[i]!;
      const last = this.activeLanes.pop()!;
      if (last !== i) {
        this.activeLanes[p] = last;
        activePos[last] = p;
      }
      activePos[i] = -1;
    }
  }

  /** Accounts the interval [t0, t1) (clipped to the window), in which no lane changes state. */
  private accumulate(t0: number, t1: number): void {
    const a = t0 > this.W0 ? t0 : this.W0,
      b = t1 < this.W1 ? t1 : this.W1;
    if (!(b > a)) return;
    const dt = b - a;
    const { lanes, engines, devices, activeLanes, runEng, laneState, laneOp } = this;
    if (this.totalRunLanes > 0) {
      this.busyNs += dt;
      if (this.totalOps > this.peak) this.peak = this.totalOps;
    }
    for (let di = 0; di < devices.length; di++) {
      const d = devices[di]!;
      d.stalled = 0;
      if (d.nRun > 0) {
        d.busyNs += dt;
        if (d.runEngines >= 2) d.crossOverlapNs += dt;
        if (d.nRun >= 2) d.multiLaneNs += dt;
      }
    }
    for (let j = 0; j < activeLanes.length; j++) {
      const i = activeLanes[j]!;
      const lc = lanes[i]!;
      if (laneState[i] === PENDING && engines[lc.engine]!.nRun === 0 && devices[lc.device]!.nRun > 0)
        devices[lc.device]!.stalled++;
    }
    for (let j = 0; j < runEng.length; j++) {
      const eng = engines[runEng[j]!]!;
      eng.busyNs += dt;
      if (eng.nPend > 0) eng.serializedNs += dt;
      if (eng.nRun >= 2) eng.sameOverlapNs += dt;
      if (devices[eng.dev]!.runEngines >= 2) eng.overlapOthersNs += dt;
    }
    const E = engines.length;
    for (let j = 0; j < activeLanes.length; j++) {
      const i = activeLanes[j]!;
      const lc = lanes[i]!;
      const eng = engines[lc.engine]!;
      const dev = devices[lc.device]!;
      const op = laneOp[i]!;
      const st = laneState[i];
      if (st === RUNNING) {
        lc.busyNs += dt;
        if (eng.nPend > 0) {
          this.blocking[op]! += dt;
          lc.blockingNs += dt;
        }
        if (dev.runEngines >= 2) this.overlapOp[op]! += dt;
        if (dev.stalled > 0) this.held[op]! += dt;
      } else if (st === PENDING) {
        if (eng.nRun > 0) {
          this.blocked[op]! += dt;
          lc.blockedNs += dt;
        } else if (dev.nRun > 0) {
          this.stalled[op]! += dt;
          lc.stalledNs += dt;
          for (let r = 0; r < runEng.length; r++) {
            const e = runEng[r]!;
            if (engines[e]!.dev === lc.device) this.stalledBy[i * E + e]! += dt;
          }
        }
      } else if (st === HOSTWAIT && eng.nRun === 0) lc.hostImpactNs += dt;
    }
  }
}

/** Doubles a lane's state-change buffer. */
function grow(lc: LaneCtx): void {
  const m = lc.bt.length;
  const bt = new Float64Array(2 * m),
    bs = new Uint8Array(2 * m),
    bo = new Int32Array(2 * m),
    bc = new Int32Array(2 * m);
  bt.set(lc.bt);
  bs.set(lc.bs);
  bo.set(lc.bo);
  bc.set(lc.bc);
  lc.bt = bt;
  lc.bs = bs;
  lc.bo = bo;
  lc.bc = bc;
}

/** [first start, last end] of a lane's ops ([Infinity, −Infinity] when empty). */
function spanOf(c: LaneColumns): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < c.count; i++) {
    if (c.start[i]! < lo) lo = c.start[i]!;
    if (c.end[i]! > hi) hi = c.end[i]!;
  }
  return [lo, hi];
}

/** Pass 1 over one lane: its latency floor (min with `floor`), ops in the window, serial time. */
function pass1(
  c: LaneColumns,
  depEnd: Float64Array,
  off: number,
  W0: number,
  W1: number,
  floor: number,
): { ops: number; serial: number; overlaps: boolean; floor: number; unknown: number } {
  let free = -Infinity,
    ops = 0,
    serial = 0,
    overlaps = false,
    unknown = 0;
  for (let i = 0; i < c.count; i++) {
    const s = c.start[i]!,
      e = c.end[i]!,
      sub = c.submit[i]!;
    if (s < free && e > s) overlaps = true;
    if (sub !== s) {
      const ready = Math.max(sub, free, depEnd[off + i]!);
      if (s >= ready && s - ready < floor) floor = s - ready;
    } else unknown++;
    if (e > s ? s < W1 && e > W0 : s >= W0 && s < W1) {
      ops++;
      const x = s > W0 ? s : W0,
        y = e < W1 ? e : W1;
      if (y > x) serial += y - x;
    }
    if (e > free) free = e;
  }
  return { ops, serial, overlaps, floor, unknown };
}

export function analyzeTimeline(tl: Timeline, opts: AnalysisOptions = {}): CaptureAnalysis {
  const minNs = opts.minNs ?? 1000;
  const minFraction = opts.minFraction ?? 0.005;
  const warnFraction = opts.warnFraction ?? 0.05;
  const maxOps = Math.max(0, opts.maxOps ?? 50);
  const maxRanges = Math.max(1, opts.maxRanges ?? 10);
  const notes: string[] = [];
  const sw = new Sweep(tl, {
    device: opts.device,
    startNs: opts.startNs,
    endNs: opts.endNs,
    minNs,
    maxOps,
    maxRanges,
  });
  sw.run();
  const { W0, W1, lanes, engines, devices, pairs, laneOff, gLane } = sw;
  const { blocked, blocking, stalled, held, overlapOp, stalledBy } = sw;
  const windowNs = W1 - W0;
  const infos = tl.lanes();
  const E = engines.length;
  const idOf = (g: number): number => sw.idOf(g);
  const startOf = (g: number): number => sw.startOf(g);
  const endOf = (g: number): number => sw.endOf(g);
  const kindOf = (g: number): number => sw.kindOf(g);
  const busyAll = sw.busyNs,
    peak = sw.peak;
  const dangling = sw.dangling,
    unknownSubmit = sw.unknownSubmit;
  const multiDevice = devices.length > 1;
  const engName = (e: EngineCtx): string => (multiDevice ? `${e.label} of device ${e.device}` : e.label);

  // ---- 8. findings ----
  const minImpact = Math.max(minNs, minFraction * windowNs);
  const severity = (impact: number): 'warn' | 'info' =>
    windowNs > 0 && impact >= warnFraction * windowNs ? 'warn' : 'info';
  const findings: AnalysisFinding[] = [];
  const ids = (gs: Iterable<number>): number[] => {
    const out: number[] = [];
    const seen = new Set<number>();
    for (const g of gs) {
      if (g < 0 || seen.has(g)) continue;
      seen.add(g);
      out.push(idOf(g));
      if (out.length >= maxOps) break;
    }
    return out;
  };
  /** Global op indices of `lcs` with the largest acc[g] (> 0), largest first. */
  const topOps = (lcs: LaneCtx[], acc: Float32Array, k: number): number[] => {
    const top = new TopK<number>(k);
    for (const lc of lcs)
      for (let g = lc.off; g < lc.off + lc.n; g++) {
        const v = acc[g]!;
        if (v > 0 && top.wants(v)) top.add(v, g);
      }
    return top.items;
  };
  const interleave = (a: number[], b: number[]): number[] => {
    const out: number[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i < a.length) out.push(a[i]!);
      if (i < b.length) out.push(b[i]!);
    }
    return out;
  };
  const laneById = new Map(lanes.map((lc) => [lc.info.id, lc]));
  const rel = (t: number): string => `+${formatNs(t - W0)}`;

  /** The main reason a finding stands for, as a clause for the summary. */
  const reasons = new Map<AnalysisFinding, string>();
  const add = (f: AnalysisFinding, why: string): void => {
    findings.push(f);
    reasons.set(f, why);
  };

  // shared engine
  for (const eng of engines) {
    if (eng.lanes.length < 2) continue;
    if (eng.serializedNs < minImpact || eng.sameOverlapNs > 0.1 * eng.serializedNs) continue;
    const waiting = eng.lanes.filter((lc) => lc.blockedNs > 0);
    const waitOps = topOps(eng.lanes, blocked, Math.ceil(maxOps / 2));
    const runOps = topOps(eng.lanes, blocking, Math.ceil(maxOps / 2));
    const c = eng.busyNs > 0 ? eng.serialNs / eng.busyNs : 0;
    const n = eng.lanes.length;
    let first = Infinity,
      last = -Infinity;
    for (const g of waitOps.concat(runOps)) {
      first = Math.min(first, startOf(g));
      last = Math.max(last, endOf(g));
    }
    const names = eng.lanes.map((lc) => lc.label);
    add(
      {
        kind: 'shared-engine',
        severity: severity(eng.serializedNs),
        title: `${n} queues share ${engName(eng)}`,
        detail:
          `Their ${plural(eng.ops, 'op')} (${formatNs(eng.serialNs)} of work) ran one at a time (engine concurrency ${c.toFixed(2)}): ` +
          `for ${formatNs(eng.serializedNs)} one queue's op ran while another queue had an op ready (submitted, its queue free, its recorded dependencies done)` +
          (eng.sameOverlapNs > 0
            ? `; they ran at the same time for only ${formatNs(eng.sameOverlapNs)}.`
            : '.') +
          ` Waited: ${listWords(waiting.map((lc) => `${lc.label} ${formatNs(lc.blockedNs)}`))}.`,
        device: eng.device,
        ops: ids(interleave(waitOps, runOps)),
        lanes: eng.lanes.map((lc) => lc.info.id),
        ...(first < last ? { timeNs: { startNs: Math.max(first, W0), endNs: Math.min(last, W1) } } : {}),
        impactNs: eng.serializedNs,
        values: {
          queues: n,
          ops: eng.ops,
          workNs: eng.serialNs,
          busyNs: eng.busyNs,
          serializedNs: eng.serializedNs,
          overlapNs: eng.sameOverlapNs,
          concurrency: c,
        },
      },
      n === lanes.length
        ? `all ${n} queues are on ${engName(eng)}, so their ops ran one at a time (${formatNs(eng.serializedNs)} with work waiting)`
        : `${listWords(names)} share ${engName(eng)}, so their ops ran one at a time (${formatNs(eng.serializedNs)} with work waiting)`,
    );
  }

  // cross-queue waits
  for (const p of pairs.values()) {
    if (p.waitNs < minImpact) continue;
    const prod = laneById.get(p.producer);
    const cons = laneById.get(p.consumer)!;
    const prodInfo = infos[p.producer]!;
    const prodLabel = prod ? prod.label : (prodInfo.source?.queue ?? `stream ${prodInfo.stream}`);
    const prodEng = engineLabel(prodInfo.engine);
    const gs: number[] = [];
    for (const [from, to] of p.top.items) {
      // a marker's neighbour shows the work: the op before a producer marker, the op after a consumer one
      if (!WORK_KIND[kindOf(from)] && from > laneOff[gLane[from]!]!) gs.push(from - 1);
      gs.push(from, to);
      if (!WORK_KIND[kindOf(to)] && to + 1 < laneOff[gLane[to]! + 1]!) gs.push(to + 1);
    }
    const [, , bBase, bEnd] = p.top.items[0]!;
    add(
      {
        kind: 'cross-queue-wait',
        severity: severity(p.waitNs),
        title: `${cons.label} waited for ${prodLabel}`,
        detail:
          `${plural(p.count, 'op')} on ${cons.label} (${engName(engines[cons.engine]!)}) had been submitted and had their queue free, but waited ` +
          `${formatNs(p.waitNs)} in all (longest ${formatNs(p.maxNs)}) for dependencies on ${prodLabel} (${prodEng}) to finish.`,
        device: cons.info.device,
        ops: ids(gs),
        lanes: [p.producer, p.consumer],
        timeNs: { startNs: Math.max(bBase, W0), endNs: Math.min(bEnd, W1) },
        impactNs: p.waitNs,
        values: {
          count: p.count,
          waitNs: p.waitNs,
          maxWaitNs: p.maxNs,
          producerLane: p.producer,
          consumerLane: p.consumer,
        },
      },
      `${cons.label} spent ${formatNs(p.waitNs)} waiting for ${prodLabel} (${plural(p.count, 'dependency', 'dependencies')})`,
    );
  }

  // host synchronizations
  for (const lc of lanes) {
    if (lc.hostCount === 0 || lc.hostImpactNs < minImpact) continue;
    const items = lc.hostTop.items;
    const eng = engines[lc.engine]!;
    const times = lc.hostCount === 1 ? 'once' : `${lc.hostCount} times`;
    add(
      {
        kind: 'host-sync',
        severity: severity(lc.hostImpactNs),
        title: `${lc.label}: ${plural(lc.hostCount, 'op')} submitted only after the previous one finished`,
        detail:
          `${capitalize(times)} the next op on ${lc.label} was submitted only after the queue's previous op had ended ` +
          `(a synchronize between submissions, or a host slower than the GPU), leaving the queue idle ${formatNs(lc.hostIdleNs)}; ` +
          `for ${formatNs(lc.hostImpactNs)} of it, nothing else ran on ${engName(eng)} either.`,
        device: lc.info.device,
        ops: ids(items.flatMap(([, , prev, op]) => [prev, op])),
        lanes: [lc.info.id],
        timeNs: { startNs: Math.max(items[0]![0], W0), endNs: Math.min(items[0]![1], W1) },
        ranges: items.map(([a, b]) => ({ startNs: Math.max(a, W0), endNs: Math.min(b, W1) })),
        impactNs: lc.hostImpactNs,
        values: { count: lc.hostCount, idleNs: lc.hostIdleNs, engineIdleNs: lc.hostImpactNs },
      },
      `the next op on ${lc.label} was submitted only after the previous one had finished, ${times} (${formatNs(lc.hostIdleNs)} idle)`,
    );
  }

  // idle gaps
  for (const d of devices) {
    if (d.idleCount === 0 || d.idleNs < minImpact) continue;
    const items = d.gaps.items;
    const [a0, b0] = items[0]!;
    const ranges: AnalysisTimeRange[] = items.map(([a, b]) => ({ startNs: a, endNs: b }));
    const idlePct = windowNs > 0 ? (100 * d.idleNs) / windowNs : 0;
    add(
      {
        kind: 'idle-gap',
        severity: severity(d.idleNs),
        title: `Device ${d.device} idle ${pct(idlePct)} of the window`,
        detail:
          `No op ran on device ${d.device} for ${formatNs(d.idleNs)} in ${plural(d.idleCount, 'gap')}; the largest lasted ${formatNs(b0 - a0)} at ${rel(a0)}. ` +
          `In ${d.hostLateGaps} of the ${plural(d.idleCount, 'gap')} the op that ended it was submitted only after the device had gone idle.`,
        device: d.device,
        ops: ids(items.flatMap(([, , before, after]) => [before, after])),
        lanes: lanes.filter((lc) => lc.info.device === d.device).map((lc) => lc.info.id),
        timeNs: { startNs: a0, endNs: b0 },
        ranges,
        impactNs: d.idleNs,
        values: {
          count: d.idleCount,
          idleNs: d.idleNs,
          idlePct,
          largestNs: b0 - a0,
          hostLateGaps: d.hostLateGaps,
        },
      },
      `device ${d.device} ran nothing for ${pct(idlePct)} of the window (${plural(d.idleCount, 'gap')}` +
        (d.hostLateGaps > 0
          ? `, ${d.hostLateGaps === d.idleCount ? (d.idleCount === 1 ? 'ended' : 'each ended') : `${d.hostLateGaps} of them ended`} by an op submitted only after the device had gone idle)`
          : ')'),
    );
  }

  // serialized by something the capture does not show
  for (const lc of lanes) {
    if (lc.stalledNs < minImpact) continue;
    const byEngine: Array<[number, number]> = [];
    for (let e = 0; e < E; e++) {
      const v = stalledBy[lc.sel * E + e]!;
      if (v > 0) byEngine.push([e, v]);
    }
    byEngine.sort((x, y) => y[1] - x[1]);
    const others = byEngine.map(([e]) => engines[e]!);
    const otherLanes = others.flatMap((e) => e.lanes).filter((o) => o !== lc);
    const waitOps = topOps([lc], stalled, Math.ceil(maxOps / 2));
    const runOps = topOps(otherLanes, held, Math.ceil(maxOps / 2));
    const g0 = waitOps[0]!;
    const own = engName(engines[lc.engine]!);
    add(
      {
        kind: 'serialized',
        severity: severity(lc.stalledNs),
        title: `${lc.label} waited while ${own} was idle`,
        detail:
          `${capitalize(lc.label)}'s ops were ready (submitted, queue free, recorded dependencies done) for ${formatNs(lc.stalledNs)} while ${own} ran nothing ` +
          `and ${listWords(others.map(engName))} ran: something the capture does not show serialized them (the driver, an implicit barrier, or an unrecorded dependency).`,
        device: lc.info.device,
        ops: ids(interleave(waitOps, runOps)),
        lanes: [lc.info.id, ...new Set(otherLanes.map((o) => o.info.id))],
        // from the first op that ran meanwhile to the start of the last op that waited
        timeNs: {
          startNs: Math.max(Math.min(startOf(g0), ...runOps.map(startOf)), W0),
          endNs: Math.min(Math.max(...waitOps.map(startOf)), W1),
        },
        impactNs: lc.stalledNs,
        values: { stalledNs: lc.stalledNs },
      },
      `${lc.label} had ops ready for ${formatNs(lc.stalledNs)} while ${own} was idle and ${listWords(others.map(engName))} ran`,
    );
  }

  // overlap achieved
  for (const d of devices) {
    if (d.multiLaneNs < minNs) continue;
    const devEngines = engines.filter((e) => e.device === d.device);
    const same = devEngines.filter((e) => e.sameOverlapNs > 0);
    const overlapped = devEngines.filter((e) => e.overlapOthersNs > 0);
    const involved = lanes.filter(
      (lc) =>
        lc.info.device === d.device &&
        (overlapped.includes(engines[lc.engine]!) || same.includes(engines[lc.engine]!)),
    );
    const opsShown = topOps(involved, overlapOp, maxOps);
    const busyPctOf = d.busyNs > 0 ? (100 * d.crossOverlapNs) / d.busyNs : 0;
    const sameNs = same.reduce((s, e) => s + e.sameOverlapNs, 0);
    const parts: string[] = [];
    if (d.crossOverlapNs > 0)
      parts.push(
        `Work on ${plural(overlapped.length, 'engine')} of device ${d.device} ran at the same time for ${formatNs(d.crossOverlapNs)} ` +
          `(${pct(busyPctOf)} of the time the device was busy; per engine: ` +
          `${overlapped.map((e) => `${e.label} ${formatNs(e.overlapOthersNs)}`).join(', ')}).`,
      );
    if (same.length > 0)
      parts.push(
        `Queues sharing an engine ran at the same time on ${same.map((e) => `${e.label} (${formatNs(e.sameOverlapNs)})`).join(', ')}.`,
      );
    const title =
      d.crossOverlapNs > 0
        ? `${listWords(overlapped.map(engName))} overlapped for ${formatNs(d.crossOverlapNs)}`
        : `Queues on ${listWords(same.map(engName))} overlapped for ${formatNs(d.multiLaneNs)}`;
    add(
      {
        kind: 'overlap',
        severity: 'info',
        title,
        detail: parts.join(' '),
        device: d.device,
        ops: ids(opsShown),
        lanes: involved.map((lc) => lc.info.id),
        impactNs: d.multiLaneNs,
        values: {
          overlapNs: d.crossOverlapNs,
          multiLaneNs: d.multiLaneNs,
          sameEngineOverlapNs: sameNs,
          pctOfBusy: busyPctOf,
        },
      },
      d.crossOverlapNs > 0 ? `${title} (${pct(busyPctOf)} of the busy time)` : title,
    );
  }

  findings.sort(
    (x, y) =>
      (x.severity === 'warn' ? 0 : 1) - (y.severity === 'warn' ? 0 : 1) ||
      (x.kind === 'overlap' ? 1 : 0) - (y.kind === 'overlap' ? 1 : 0) ||
      y.impactNs - x.impactNs,
  );

  // ---- 9. totals, lanes, engines, notes, summary ----
  let serialNs = 0,
    opsTotal = 0;
  for (const lc of lanes) {
    serialNs += lc.serialNs;
    opsTotal += lc.opsInWindow;
  }
  const concurrency = busyAll > 0 ? serialNs / busyAll : 0;
  const pctOf = (v: number): number => (windowNs > 0 ? (100 * v) / windowNs : 0);
  const laneOut: AnalysisLane[] = lanes.map((lc) => ({
    lane: lc.info.id,
    device: lc.info.device,
    stream: lc.info.stream,
    label: lc.label,
    engine: engineLabel(lc.info.engine),
    ops: lc.opsInWindow,
    busyNs: lc.busyNs,
    busyPct: pctOf(lc.busyNs),
  }));
  const engineOut: AnalysisEngine[] = engines.map((e) => ({
    device: e.device,
    engine: e.engine,
    label: e.label,
    ops: e.ops,
    lanes: e.lanes.map((lc) => lc.info.id),
    busyNs: e.busyNs,
    busyPct: pctOf(e.busyNs),
    concurrency: e.busyNs > 0 ? e.serialNs / e.busyNs : 0,
  }));

  if (tl.dropped > 0)
    notes.push(
      `${plural(tl.dropped, 'older op')} ${tl.dropped === 1 ? 'was' : 'were'} dropped by the timeline's lane rings; the analysis covers the ${tl.size} retained.`,
    );
  if (tl.droppedEdges > 0)
    notes.push(
      `${plural(tl.droppedEdges, 'older dependency edge')} ${tl.droppedEdges === 1 ? 'was' : 'were'} dropped; waits on them are not counted.`,
    );
  if (dangling > 0)
    notes.push(
      `${plural(dangling, 'dependency edge')} ${dangling === 1 ? 'refers' : 'refer'} to ops that are not retained; waits on them are not counted.`,
    );
  if (unknownSubmit > 0)
    notes.push(
      `${plural(unknownSubmit, 'op')} ${unknownSubmit === 1 ? 'has' : 'have'} no submit time (submit = start, as traces without launch times are imported); ` +
        `the host-sync, cross-queue-wait and queueing rules skip them.`,
    );

  return {
    windowStartNs: W0,
    windowEndNs: W1,
    windowNs,
    ops: opsTotal,
    lanes: laneOut,
    engines: engineOut,
    serialNs,
    busyNs: busyAll,
    concurrency,
    peakConcurrency: peak,
    findings,
    summary: summarize(),
    notes,
  };

  function summarize(): string {
    const n = lanes.length;
    if (opsTotal === 0) return 'No operations in the window.';
    const why = (f: AnalysisFinding): string => reasons.get(f)!;
    const head =
      n === 1
        ? `1 queue, busy ${pct(pctOf(busyAll))} of the window`
        : `${n} queues, concurrency ${concurrency.toFixed(2)} of a possible ${n} (peak ${peak})`;
    const warns = findings.filter((f) => f.severity === 'warn');
    const overlap = findings.find((f) => f.kind === 'overlap');
    const sentences: string[] = [];
    if (warns.length > 0) {
      sentences.push(`${head}: ${why(warns[0]!)}.`);
      if (warns.length > 1) sentences.push(`Also, ${why(warns[1]!)}.`);
      if (overlap) sentences.push(`${capitalize(why(overlap))}.`);
    } else if (overlap) {
      sentences.push(`${head}: ${why(overlap)}.`);
      const minor = findings.find((f) => f.kind !== 'overlap');
      if (minor) sentences.push(`Minor: ${why(minor)}.`);
    } else if (findings.length > 0) {
      sentences.push(`${head}: ${why(findings[0]!)}.`);
    } else {
      sentences.push(
        `${head}. No shared-engine contention, cross-queue waits, host submission gaps or idle time of ${formatNs(minImpact)} or more show in the data.`,
      );
    }
    return sentences.join(' ');
  }
}

function capitalize(s: string): string {
  return s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s;
}
