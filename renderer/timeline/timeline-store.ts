// All lanes of a capture as the renderer holds them: one LaneColumns per lane, the string table, the
// dependency edges (a ring) and an index of op locations, fed by decoded timeline batches; the lanes
// grouped for display (device → engine → stream, a recorded program's by process), and the selected
// span resolved to plain data for the details panel.
import { engineLabel } from '../../protocol/format.js';
import type { TimelineBatch } from '../../protocol/timeline-batch.js';
import { LaneColumns } from './lane-columns.js';
import { compareLanes, groupLabel, laneLabel, laneTitle } from './lane-labels.js';
import { levelBucketNs, MAX_LEVEL } from './lod-levels.js';
import { growF64 } from './typed-arrays.js';

/** Ops indexed by id for dependency arrows (beyond this, arrows are drawn only for what is indexed). */
export const OP_INDEX_CAP = 262_144;

export interface StoreOptions {
  /** Spans kept per lane before the oldest half is dropped. */
  laneCapacity?: number;
  /** Dependency edges kept. */
  edgeCapacity?: number;
}

export interface LaneGroup {
  device: number;
  engineKey: string;
  engineLabel: string;
  /** The group header: "GPU 0 · compute 0.0", or for a recorded program's lanes its process and device. */
  label: string;
  /** The recorded process, for lanes of a recorded program. */
  pid?: number;
  lanes: LaneColumns[];
}

/** Selected/hovered span, resolved to plain data for the details panel. */
export interface SpanInfo {
  lane: number;
  laneLabel: string;
  id: number;
  kind: number;
  name: string;
  /** The op's details (launch dimensions, regular-list execution…), when it has any. */
  detail?: string;
  bytes: number;
  submitNs: number;
  startNs: number;
  endNs: number;
  deps: { id: number; name: string }[];
  dependents: { id: number; name: string }[];
}

/** All lanes of the capture, the string table and the dependency edges. */
export class TimelineStore {
  readonly lanes = new Map<number, LaneColumns>();
  readonly strings: string[] = [];
  edgeFrom: Float64Array;
  edgeTo: Float64Array;
  edgeCount = 0;
  /** Spans the service said we missed (ring overrun) plus those we dropped ourselves. */
  droppedByService = 0;
  /** Bumped on every change: the canvas redraws when it differs from what it drew. */
  version = 0;
  minStart = Infinity;
  maxEnd = -Infinity;
  private total = 0;
  /** id → slot in opLocData (lane id, start, end), for the first OP_INDEX_CAP ops: dependency arrows. */
  private readonly opLoc = new Map<number, number>();
  private opLocData: Float64Array = new Float64Array(3 * 1024);
  private ordered: LaneColumns[] | null = null;
  private groupsCache: LaneGroup[] | null = null;
  private readonly laneCapacity: number;
  private readonly edgeCapacity: number;
  private readonly listeners = new Set<() => void>();

  constructor(options: StoreOptions = {}) {
    this.laneCapacity = options.laneCapacity ?? 4_000_000;
    this.edgeCapacity = options.edgeCapacity ?? 1_000_000;
    this.edgeFrom = new Float64Array(1024);
    this.edgeTo = new Float64Array(1024);
  }

  /** Spans held now. */
  get spanCount(): number {
    let n = 0;
    for (const l of this.lanes.values()) n += l.n;
    return n;
  }
  /** Spans ever ingested since the last reset. */
  get ingested(): number {
    return this.total;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  private changed(): void {
    this.version++;
    for (const l of [...this.listeners]) l();
  }

  reset(): void {
    this.lanes.clear();
    this.strings.length = 0;
    this.edgeCount = 0;
    this.droppedByService = 0;
    this.minStart = Infinity;
    this.maxEnd = -Infinity;
    this.total = 0;
    this.opLoc.clear();
    this.ordered = null;
    this.changed();
  }

  /** Folds one decoded batch in. Throws RangeError on a batch that refers to unknown lanes/strings. */
  ingest(b: TimelineBatch): void {
    for (const l of b.lanes) {
      if (!this.lanes.has(l.id)) {
        this.lanes.set(l.id, new LaneColumns(l, this.laneCapacity));
        this.ordered = null;
      }
    }
    if (b.stringBase > this.strings.length)
      throw new RangeError(`timeline batch: missed strings ${this.strings.length}…${b.stringBase - 1}`);
    for (let i = 0; i < b.strings.length; i++) this.strings[b.stringBase + i] = b.strings[i]!;
    this.droppedByService += b.dropped;
    // Rows come as runs of one lane (Timeline.batchSince is lane-major): each run is appended in bulk
    // when it can be (LaneColumns.appendRun), else span by span.
    const L = b.lane,
      S = b.start,
      E = b.end;
    let minStart = this.minStart,
      maxEnd = this.maxEnd;
    for (let i = 0; i < b.count;) {
      const laneId = L[i]!;
      const lane = this.lanes.get(laneId);
      if (!lane) throw new RangeError(`timeline batch: row ${i} names unknown lane ${laneId}`);
      let to = i + 1;
      while (to < b.count && L[to] === laneId) to++;
      if (!lane.appendRun(b, i, to))
        for (let k = i; k < to; k++)
          lane.push(b.id[k]!, b.kind[k]!, b.name[k]!, b.bytes[k]!, b.submit[k]!, S[k]!, E[k]!, b.detail[k]!);
      for (let k = i; k < to; k++) {
        const s = S[k]!,
          e = E[k]!;
        if (s < minStart) minStart = s;
        if (e > maxEnd) maxEnd = e;
      }
      for (let k = i; k < to && this.opLoc.size < OP_INDEX_CAP; k++)
        this.indexOp(b.id[k]!, laneId, S[k]!, E[k]!);
      i = to;
    }
    this.minStart = minStart;
    this.maxEnd = maxEnd;
    this.total += b.count;
    for (let j = 0; j < b.edgeFrom.length; j++) this.pushEdge(b.edgeFrom[j]!, b.edgeTo[j]!);
    if (b.count > 0 || b.lanes.length > 0 || b.edgeFrom.length > 0) this.changed();
  }

  private pushEdge(from: number, to: number): void {
    if (this.edgeCount === this.edgeFrom.length) {
      if (this.edgeCount < this.edgeCapacity) {
        const size = Math.min(this.edgeCapacity, this.edgeCount * 2);
        this.edgeFrom = growF64(this.edgeFrom, size);
        this.edgeTo = growF64(this.edgeTo, size);
      } else {
        const keep = this.edgeCount >> 1;
        this.edgeFrom.copyWithin(0, this.edgeCount - keep, this.edgeCount);
        this.edgeTo.copyWithin(0, this.edgeCount - keep, this.edgeCount);
        this.edgeCount = keep;
      }
    }
    this.edgeFrom[this.edgeCount] = from;
    this.edgeTo[this.edgeCount] = to;
    this.edgeCount++;
  }

  /** Lanes in display order (see compareLanes). */
  orderedLanes(): LaneColumns[] {
    if (!this.ordered) this.ordered = [...this.lanes.values()].sort((a, b) => compareLanes(a.info, b.info));
    return this.ordered;
  }

  /** Lanes grouped by device and engine (and process, for a recorded program), in display order. */
  groups(): LaneGroup[] {
    // Every frame asks (layout, content height): rebuilt only when the lanes changed (ordered reset).
    if (this.ordered && this.groupsCache) return this.groupsCache;
    const out: LaneGroup[] = [];
    for (const lane of this.orderedLanes()) {
      const info = lane.info;
      const key = `${info.source ? `pid ${info.source.pid}/` : ''}${info.device}/${info.engine.kind}/${info.engine.ordinal}.${info.engine.index}`;
      const g = out[out.length - 1];
      if (g && g.engineKey === key) g.lanes.push(lane);
      else {
        const group: LaneGroup = {
          device: info.device,
          engineKey: key,
          engineLabel: engineLabel(info.engine),
          label: groupLabel(info, this.strings),
          lanes: [lane],
        };
        if (info.source) group.pid = info.source.pid;
        out.push(group);
      }
    }
    this.groupsCache = out;
    return out;
  }

  /** A lane's label in the gutter ("stream 3", "immediate list 3"). */
  laneName(lane: LaneColumns): string {
    return laneLabel(lane.info, this.strings);
  }

  /**
   * Builds or extends the mipmap levels zoomed-out views will need, for at most `budgetMs`; returns
   * true when everything is up to date (call again later otherwise). Run when idle, so the first
   * zoom into a level does not pay for building it.
   */
  prebuildLevels(budgetMs = 8, now: () => number = () => performance.now()): boolean {
    const until = now() + budgetMs;
    for (const lane of this.lanes.values()) {
      if (lane.n < 2) continue;
      const range = lane.end[lane.n - 1]! - lane.start[0]!;
      for (let k = 1; k <= MAX_LEVEL && levelBucketNs(k) <= range / 4; k++) {
        if (!lane.levelUpToDate(k)) {
          lane.level(k);
          if (now() > until) return false;
        }
      }
    }
    return true;
  }

  nameOf(nameId: number): string {
    return this.strings[nameId] ?? `#${nameId}`;
  }

  /** Finds an op by id across lanes (linear; for selection and dependency lists). */
  private indexOp(id: number, lane: number, start: number, end: number): void {
    let slot = this.opLoc.get(id);
    if (slot === undefined) {
      slot = this.opLoc.size;
      if (3 * slot + 3 > this.opLocData.length)
        this.opLocData = growF64(this.opLocData, this.opLocData.length * 2);
      this.opLoc.set(id, slot);
    }
    this.opLocData[3 * slot] = lane;
    this.opLocData[3 * slot + 1] = start;
    this.opLocData[3 * slot + 2] = end;
  }

  /** Where op `id` is (lane id, start, end), when it is among the first OP_INDEX_CAP ops; else null. */
  locate(id: number): { lane: number; start: number; end: number } | null {
    const slot = this.opLoc.get(id);
    if (slot === undefined) return null;
    const lane = this.opLocData[3 * slot]!;
    if (!this.lanes.has(lane)) return null;
    return { lane, start: this.opLocData[3 * slot + 1]!, end: this.opLocData[3 * slot + 2]! };
  }

  findOp(id: number): { lane: LaneColumns; index: number } | null {
    for (const lane of this.lanes.values()) {
      const index = lane.indexOfId(id);
      if (index >= 0) return { lane, index };
    }
    return null;
  }

  /** The span at lane/index as plain data, with its dependencies resolved to names. */
  spanInfo(laneId: number, index: number): SpanInfo | null {
    const lane = this.lanes.get(laneId);
    if (!lane || index < 0 || index >= lane.n) return null;
    const id = lane.id[index]!;
    const deps: { id: number; name: string }[] = [];
    const dependents: { id: number; name: string }[] = [];
    const label = (opId: number) => {
      const f = this.findOp(opId);
      return f ? this.nameOf(f.lane.name[f.index]!) : '(not in the capture)';
    };
    for (let j = 0; j < this.edgeCount && deps.length + dependents.length < 64; j++) {
      if (this.edgeTo[j] === id) deps.push({ id: this.edgeFrom[j]!, name: label(this.edgeFrom[j]!) });
      else if (this.edgeFrom[j] === id)
        dependents.push({ id: this.edgeTo[j]!, name: label(this.edgeTo[j]!) });
    }
    const info: SpanInfo = {
      lane: laneId,
      laneLabel: laneTitle(lane.info, this.strings),
      id,
      kind: lane.kind[index]!,
      name: this.nameOf(lane.name[index]!),
      bytes: lane.bytes[index]!,
      submitNs: lane.submit[index]!,
      startNs: lane.start[index]!,
      endNs: lane.end[index]!,
      deps,
      dependents,
    };
    const d = lane.detail[index]!;
    if (d > 0) info.detail = this.nameOf(d - 1);
    return info;
  }
}
