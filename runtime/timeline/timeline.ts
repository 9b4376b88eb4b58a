// Columnar, bounded timeline of completed GPU operations (see README.md).
//
// Storage: one lane per (device, engine, stream); each lane is a ring buffer of typed-array columns
// (id, kind, name id, bytes, submit, start, end). When a lane is full the oldest operation is dropped and
// counted. Dependency edges (from op id → op id) live in one bounded ring of their own. Operation names
// are interned in a StringTable that is never trimmed.
//
// Live consumers hold a TimelineCursor (a plain, JSON-able object) and call batchSince(cursor): they get
// everything appended since, as typed arrays, and a new cursor. A consumer that fell behind the ring gets
// what is left plus a `dropped` count; the producer never waits for anyone.
import {
  ENGINE_KINDS,
  OP_KINDS,
  type EngineKind,
  type EngineRef,
  type OpKind,
  type OpRecord,
  type OpSource,
} from '../../protocol/timeline.js';
import { StringTable } from './strings.js';
import type { BatchLane, TimelineBatch } from './batch.js';

export interface LaneInfo {
  /** Dense lane id (0, 1, 2 … in order of first appearance). */
  id: number;
  device: number;
  stream: number;
  engine: EngineRef;
  /** A recorded program's lane: its process and names (from the lane's first operation). */
  source?: OpSource;
}

export interface LaneEngineGroup {
  engine: EngineRef;
  lanes: LaneInfo[];
}

export interface LaneDeviceGroup {
  device: number;
  engines: LaneEngineGroup[];
}

export interface TimelineOptions {
  /** Operations kept per lane before the oldest are dropped (default 65 536). */
  laneCapacity?: number;
  /** Dependency edges kept before the oldest are dropped (default 262 144). */
  edgeCapacity?: number;
}

/** Where a consumer is: per lane how many ops it has seen, plus string-table and edge positions. */
export interface TimelineCursor {
  readonly lanes: readonly number[];
  readonly strings: number;
  readonly edges: number;
}

export const START_CURSOR: TimelineCursor = Object.freeze({
  lanes: Object.freeze([]) as readonly number[],
  strings: 0,
  edges: 0,
});

/** One lane's retained operations, oldest first (copies, safe to keep). */
export interface LaneColumns {
  count: number;
  id: Float64Array;
  kind: Uint8Array;
  name: Uint32Array;
  /** String id + 1 of the op's detail, 0 = none. */
  detail: Uint32Array;
  bytes: Float64Array;
  submit: Float64Array;
  start: Float64Array;
  end: Float64Array;
}

const KIND_CODE = new Map<string, number>(OP_KINDS.map((k, i) => [k, i]));

/** The rows `order` of a lane's columns, in that order (copies). */
export function pickColumns(c: LaneColumns, order: ArrayLike<number>): LaneColumns {
  const n = order.length;
  const pick = <T extends Float64Array | Uint32Array | Uint8Array>(src: T, out: T): T => {
    for (let k = 0; k < n; k++) out[k] = src[order[k]!]!;
    return out;
  };
  return {
    count: n,
    id: pick(c.id, new Float64Array(n)),
    kind: pick(c.kind, new Uint8Array(n)),
    name: pick(c.name, new Uint32Array(n)),
    detail: pick(c.detail, new Uint32Array(n)),
    bytes: pick(c.bytes, new Float64Array(n)),
    submit: pick(c.submit, new Float64Array(n)),
    start: pick(c.start, new Float64Array(n)),
    end: pick(c.end, new Float64Array(n)),
  };
}

export function opKindCode(kind: OpKind): number {
  const code = KIND_CODE.get(kind);
  if (code === undefined) throw new RangeError(`unknown op kind ${JSON.stringify(kind)}`);
  return code;
}

export function opKindOf(code: number): OpKind {
  const kind = OP_KINDS[code];
  if (kind === undefined) throw new RangeError(`unknown op kind code ${code}`);
  return kind;
}

export function engineKey(device: number, engine: EngineRef): string {
  return `${device}/${engine.kind}/${engine.ordinal}/${engine.index}`;
}

function checkCapacity(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 30)
    throw new RangeError(`${name} must be an integer in [1, 2^30], got ${n}`);
  return n;
}

/**
 * Slots a ring starts with: a lane holds what it was given, not its capacity (an import with many
 * small lanes must not cost lanes × capacity). Arrays double from here up to the capacity.
 */
const INITIAL_ALLOC = 4;

type Column = Float64Array | Uint32Array | Uint8Array;

/**
 * A growable-then-fixed ring of parallel columns. Sequence numbers are 0, 1, 2 … All columns live in
 * one ArrayBuffer, packed by type: `f` holds the f64 columns one after another (column c at c × alloc),
 * then `u` the u32 columns, then `b` the u8 columns — one allocation and three views per ring, so a
 * lane with a handful of operations costs a few hundred bytes.
 */
class Ring {
  /** Total appended (sequence number of the next item). */
  total = 0;
  /** Slots per column now (≤ capacity); column c of a type starts at c × alloc. */
  alloc: number;
  f!: Float64Array;
  u!: Uint32Array;
  b!: Uint8Array;

  constructor(
    readonly capacity: number,
    private readonly nf64: number,
    private readonly nu32: number,
    private readonly nu8: number,
  ) {
    this.alloc = Math.min(capacity, INITIAL_ALLOC);
    this.layout(this.alloc);
  }

  private layout(n: number): void {
    const fBytes = 8 * this.nf64 * n,
      uBytes = 4 * this.nu32 * n;
    const buf = new ArrayBuffer(fBytes + uBytes + this.nu8 * n);
    this.f = new Float64Array(buf, 0, this.nf64 * n);
    this.u = new Uint32Array(buf, fBytes, this.nu32 * n);
    this.b = new Uint8Array(buf, fBytes + uBytes, this.nu8 * n);
  }

  /** Oldest retained sequence number. */
  get first(): number {
    return Math.max(0, this.total - this.capacity);
  }

  get size(): number {
    return this.total - this.first;
  }

  /** Bytes of column storage held now. */
  get bytes(): number {
    return this.f.byteLength + this.u.byteLength + this.b.byteLength;
  }

  /** Physical slot for the next item (grows the arrays while below capacity). */
  push(): number {
    if (this.total === this.alloc && this.alloc < this.capacity) this.grow();
    const slot = this.total % this.capacity;
    this.total++;
    return slot;
  }

  slot(seq: number): number {
    return seq % this.capacity;
  }

  private grow(): void {
    // Below capacity nothing was overwritten yet: slots 0 … alloc-1 hold sequence numbers 0 … alloc-1.
    const old = this.alloc;
    const n = Math.min(this.capacity, old * 2);
    const { f, u, b } = this;
    this.layout(n);
    for (let c = 0; c < this.nf64; c++) this.f.set(f.subarray(c * old, (c + 1) * old), c * n);
    for (let c = 0; c < this.nu32; c++) this.u.set(u.subarray(c * old, (c + 1) * old), c * n);
    for (let c = 0; c < this.nu8; c++) this.b.set(b.subarray(c * old, (c + 1) * old), c * n);
    this.alloc = n;
  }

  /** Copies items with sequence numbers [from, to) of column `col` of `a` (this.f, .u or .b) into `out` at `at`. */
  copy<T extends Column>(a: T, col: number, from: number, to: number, out: T, at: number): void {
    if (to <= from) return;
    const base = col * this.alloc;
    const s0 = this.slot(from);
    const n = to - from;
    const firstPart = Math.min(n, this.capacity - s0);
    out.set(a.subarray(base + s0, base + s0 + firstPart) as never, at);
    if (firstPart < n) out.set(a.subarray(base, base + n - firstPart) as never, at + firstPart);
  }
}

// Column indices inside a lane ring.
const F_ID = 0,
  F_BYTES = 1,
  F_SUBMIT = 2,
  F_START = 3,
  F_END = 4;
const U_NAME = 0,
  U_DETAIL = 1;
const B_KIND = 0;

export class Timeline {
  readonly strings = new StringTable();
  readonly laneCapacity: number;
  readonly edgeCapacity: number;
  private readonly laneInfo: LaneInfo[] = [];
  /** String ids of each recorded lane's names, for batches (lanes of the runtime's own have none). */
  private readonly laneNames: (BatchLane['source'] | undefined)[] = [];
  private readonly laneRing: Ring[] = [];
  private readonly laneIndex = new Map<string, number>();
  /**
   * Lane cache by engine object: producers reuse one EngineRef per stream (the runtime's streams, the
   * importers), so append() resolves a record's lane with a WeakMap + Map lookup instead of building
   * the string key per record. Entries are checked against the record's fields, so a mutated or
   * shared engine object still lands in the right lane.
   */
  private readonly laneByEngine = new WeakMap<EngineRef, Map<number, LaneInfo>>();
  private readonly edgeRing: Ring;
  private appended = 0;

  constructor(options: TimelineOptions = {}) {
    this.laneCapacity = checkCapacity('laneCapacity', options.laneCapacity ?? 65_536);
    this.edgeCapacity = checkCapacity('edgeCapacity', options.edgeCapacity ?? 262_144);
    this.edgeRing = new Ring(this.edgeCapacity, 2, 0, 0);
  }

  static fromRecords(records: Iterable<OpRecord>, options: TimelineOptions = {}): Timeline {
    const list = Array.isArray(records) ? (records as OpRecord[]) : [...records];
    const t = new Timeline({
      laneCapacity: Math.max(1, list.length),
      edgeCapacity: Math.max(
        1,
        list.reduce((n, r) => n + r.deps.length, 0),
      ),
      ...options,
    });
    t.append(list);
    return t;
  }

  /** The lane of (device, stream, engine), created on first use (`source` names a recorded lane). */
  lane(device: number, stream: number, engine: EngineRef, source?: OpSource): LaneInfo {
    const key = `${device}/${stream}/${engine.kind}/${engine.ordinal}/${engine.index}`;
    let id = this.laneIndex.get(key);
    if (id === undefined) {
      id = this.laneInfo.length;
      this.laneIndex.set(key, id);
      const info: LaneInfo = {
        id,
        device,
        stream,
        engine: { ordinal: engine.ordinal, index: engine.index, kind: engine.kind },
      };
      if (source) {
        info.source = {
          pid: source.pid,
          process: source.process,
          device: source.device,
          queue: source.queue,
        };
        this.laneNames[id] = {
          pid: source.pid,
          process: this.strings.intern(source.process),
          device: this.strings.intern(source.device),
          queue: this.strings.intern(source.queue),
        };
      }
      this.laneInfo.push(info);
      this.laneRing.push(new Ring(this.laneCapacity, 5, 2, 1));
    }
    return this.laneInfo[id]!;
  }

  /** Appends one completed operation (Recorder.onOp can call this directly). */
  push(record: OpRecord): void {
    this.append([record]);
  }

  /** lane() through the per-engine-object cache (see laneByEngine). */
  private laneOf(device: number, stream: number, engine: EngineRef, source?: OpSource): LaneInfo {
    let byStream = this.laneByEngine.get(engine);
    if (byStream === undefined) this.laneByEngine.set(engine, (byStream = new Map()));
    const hit = byStream.get(stream);
    if (
      hit !== undefined &&
      hit.device === device &&
      hit.engine.kind === engine.kind &&
      hit.engine.ordinal === engine.ordinal &&
      hit.engine.index === engine.index
    )
      return hit;
    const lane = this.lane(device, stream, engine, source);
    byStream.set(stream, lane);
    return lane;
  }

  /** Appends completed operations; returns how many. Oldest operations of a full lane are dropped. */
  append(records: Iterable<OpRecord>): number {
    let n = 0;
    let lastKind = '';
    let lastKindCode = 0;
    for (const r of records) {
      // validate before touching the rings
      const kind = r.kind === lastKind ? lastKindCode : (lastKindCode = opKindCode((lastKind = r.kind)));
      const lane = this.laneOf(r.device, r.stream, r.engine, r.source);
      const ring = this.laneRing[lane.id]!;
      const s = ring.push();
      const a = ring.alloc,
        f = ring.f,
        u = ring.u;
      f[F_ID * a + s] = r.id;
      f[F_BYTES * a + s] = r.bytes;
      f[F_SUBMIT * a + s] = r.submitNs;
      f[F_START * a + s] = r.startNs;
      f[F_END * a + s] = r.endNs;
      u[U_NAME * a + s] = this.strings.intern(r.name);
      u[U_DETAIL * a + s] = r.detail === undefined ? 0 : this.strings.intern(r.detail) + 1;
      ring.b[B_KIND * a + s] = kind;
      for (const dep of r.deps) {
        const er = this.edgeRing;
        const e = er.push();
        er.f[e] = dep;
        er.f[er.alloc + e] = r.id;
      }
      n++;
    }
    this.appended += n;
    return n;
  }

  lanes(): readonly LaneInfo[] {
    return this.laneInfo;
  }

  /** Lanes grouped device → engine → stream, each level sorted (devices, engines by kind/ordinal/index, streams). */
  groups(): LaneDeviceGroup[] {
    const devices = new Map<number, Map<string, LaneEngineGroup>>();
    for (const l of this.laneInfo) {
      let engines = devices.get(l.device);
      if (!engines) devices.set(l.device, (engines = new Map()));
      const k = engineKey(l.device, l.engine);
      let g = engines.get(k);
      if (!g) engines.set(k, (g = { engine: l.engine, lanes: [] }));
      g.lanes.push(l);
    }
    const kindOrder = (k: EngineKind): number => ENGINE_KINDS.indexOf(k);
    return [...devices.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([device, engines]) => ({
        device,
        engines: [...engines.values()]
          .sort(
            (a, b) =>
              a.engine.ordinal - b.engine.ordinal ||
              a.engine.index - b.engine.index ||
              kindOrder(a.engine.kind) - kindOrder(b.engine.kind),
          )
          .map((g) => ({ engine: g.engine, lanes: g.lanes.sort((a, b) => a.stream - b.stream) })),
      }));
  }

  /** Operations ever appended. */
  get totalAppended(): number {
    return this.appended;
  }

  /** Operations currently retained. */
  get size(): number {
    let n = 0;
    for (const r of this.laneRing) n += r.size;
    return n;
  }

  /** Bytes of column storage the lanes and the edge ring hold now (grows with what they hold). */
  get storageBytes(): number {
    let n = this.edgeRing.bytes;
    for (const r of this.laneRing) n += r.bytes;
    return n;
  }

  /** Operations dropped because their lane was full. */
  get dropped(): number {
    return this.appended - this.size;
  }

  get edgeCount(): number {
    return this.edgeRing.size;
  }

  get droppedEdges(): number {
    return this.edgeRing.first;
  }

  /** One lane's retained operations, oldest first. */
  laneColumns(laneId: number): LaneColumns {
    const ring = this.laneRing[laneId];
    if (!ring) throw new RangeError(`no lane ${laneId}`);
    const from = ring.first,
      to = ring.total,
      n = to - from;
    const f = (col: number): Float64Array => {
      const out = new Float64Array(n);
      ring.copy(ring.f, col, from, to, out, 0);
      return out;
    };
    const name = new Uint32Array(n);
    ring.copy(ring.u, U_NAME, from, to, name, 0);
    const detail = new Uint32Array(n);
    ring.copy(ring.u, U_DETAIL, from, to, detail, 0);
    const kind = new Uint8Array(n);
    ring.copy(ring.b, B_KIND, from, to, kind, 0);
    return {
      count: n,
      id: f(F_ID),
      kind,
      name,
      detail,
      bytes: f(F_BYTES),
      submit: f(F_SUBMIT),
      start: f(F_START),
      end: f(F_END),
    };
  }

  /**
   * One lane's retained operations that overlap [startNs, endNs) (a zero-length op counts when it lies
   * inside), oldest first: what a viewport needs to draw.
   */
  laneWindow(laneId: number, startNs: number, endNs: number): LaneColumns {
    const c = this.laneColumns(laneId);
    const keep: number[] = [];
    for (let i = 0; i < c.count; i++) {
      const a = c.start[i]!,
        b = c.end[i]!;
      if (b > a ? a < endNs && b > startNs : a >= startNs && a < endNs) keep.push(i);
    }
    return keep.length === c.count ? c : pickColumns(c, keep);
  }

  /** Retained dependency edges, oldest first. */
  edges(): { from: Float64Array; to: Float64Array } {
    const r = this.edgeRing;
    const from = new Float64Array(r.size),
      to = new Float64Array(r.size);
    r.copy(r.f, 0, r.first, r.total, from, 0);
    r.copy(r.f, 1, r.first, r.total, to, 0);
    return { from, to };
  }

  /** [min start, max end] over retained operations, or undefined when empty. */
  timeRange(): { startNs: number; endNs: number } | undefined {
    let lo = Infinity,
      hi = -Infinity;
    for (let l = 0; l < this.laneRing.length; l++) {
      const c = this.laneColumns(l);
      for (let i = 0; i < c.count; i++) {
        if (c.start[i]! < lo) lo = c.start[i]!;
        if (c.end[i]! > hi) hi = c.end[i]!;
      }
    }
    return lo <= hi ? { startNs: lo, endNs: hi } : undefined;
  }

  /** Rebuilds the retained operations as OpRecords (lane by lane, oldest first; deps from retained edges). */
  records(): OpRecord[] {
    const e = this.edges();
    const deps = new Map<number, number[]>();
    for (let i = 0; i < e.to.length; i++) {
      const to = e.to[i]!;
      let d = deps.get(to);
      if (!d) deps.set(to, (d = []));
      d.push(e.from[i]!);
    }
    const out: OpRecord[] = [];
    for (const lane of this.laneInfo) {
      const c = this.laneColumns(lane.id);
      for (let i = 0; i < c.count; i++) {
        const id = c.id[i]!;
        const rec: OpRecord = {
          id,
          device: lane.device,
          stream: lane.stream,
          engine: { ...lane.engine },
          kind: opKindOf(c.kind[i]!),
          name: this.strings.get(c.name[i]!),
          bytes: c.bytes[i]!,
          submitNs: c.submit[i]!,
          startNs: c.start[i]!,
          endNs: c.end[i]!,
          deps: deps.get(id) ?? [],
        };
        if (lane.source) rec.source = lane.source;
        if (c.detail[i]! > 0) rec.detail = this.strings.get(c.detail[i]! - 1);
        out.push(rec);
      }
    }
    return out;
  }

  /** A cursor at the current end (a consumer starting now sees only what comes next). */
  cursor(): TimelineCursor {
    return {
      lanes: this.laneRing.map((r) => r.total),
      strings: this.strings.size,
      edges: this.edgeRing.total,
    };
  }

  /**
   * Everything appended since `cursor` (START_CURSOR for everything retained) as one columnar batch, and
   * the cursor to pass next time. `maxOps` bounds the batch; the rest comes with the next call.
   */
  batchSince(cursor: TimelineCursor, maxOps = Infinity): { batch: TimelineBatch; cursor: TimelineCursor } {
    const nLanes = this.laneRing.length;
    if (cursor.lanes.length > nLanes)
      throw new RangeError('cursor is from another timeline (more lanes than exist)');
    let dropped = 0;
    const ranges: Array<[number, number, number]> = [];
    let count = 0;
    const nextLanes: number[] = [];
    for (let l = 0; l < nLanes; l++) {
      const ring = this.laneRing[l]!;
      let from = cursor.lanes[l] ?? 0;
      if (from > ring.total) throw new RangeError('cursor is ahead of the timeline');
      if (from < ring.first) {
        dropped += ring.first - from;
        from = ring.first;
      }
      const take = Math.max(0, Math.min(ring.total - from, maxOps - count));
      if (take > 0) ranges.push([l, from, from + take]);
      count += take;
      nextLanes.push(from + take);
    }
    const lane = new Uint32Array(count),
      id = new Float64Array(count),
      kind = new Uint8Array(count),
      name = new Uint32Array(count),
      detail = new Uint32Array(count),
      bytes = new Float64Array(count),
      submit = new Float64Array(count),
      start = new Float64Array(count),
      end = new Float64Array(count);
    let at = 0;
    for (const [l, from, to] of ranges) {
      const ring = this.laneRing[l]!;
      lane.fill(l, at, at + to - from);
      ring.copy(ring.f, F_ID, from, to, id, at);
      ring.copy(ring.f, F_BYTES, from, to, bytes, at);
      ring.copy(ring.f, F_SUBMIT, from, to, submit, at);
      ring.copy(ring.f, F_START, from, to, start, at);
      ring.copy(ring.f, F_END, from, to, end, at);
      ring.copy(ring.u, U_NAME, from, to, name, at);
      ring.copy(ring.u, U_DETAIL, from, to, detail, at);
      ring.copy(ring.b, B_KIND, from, to, kind, at);
      at += to - from;
    }
    // Edges: all since the cursor (edges are small; not bounded by maxOps).
    const er = this.edgeRing;
    let eFrom = cursor.edges;
    if (eFrom > er.total) throw new RangeError('cursor is ahead of the timeline (edges)');
    let droppedEdges = 0;
    if (eFrom < er.first) {
      droppedEdges = er.first - eFrom;
      eFrom = er.first;
    }
    const edgeFrom = new Float64Array(er.total - eFrom),
      edgeTo = new Float64Array(er.total - eFrom);
    er.copy(er.f, 0, eFrom, er.total, edgeFrom, 0);
    er.copy(er.f, 1, eFrom, er.total, edgeTo, 0);
    const batch: TimelineBatch = {
      dropped,
      droppedEdges,
      lanes: this.laneInfo.slice(cursor.lanes.length).map((l) => {
        const b: BatchLane = { id: l.id, device: l.device, stream: l.stream, engine: { ...l.engine } };
        const names = this.laneNames[l.id];
        if (names) b.source = { ...names };
        return b;
      }),
      stringBase: cursor.strings,
      strings: this.strings.since(cursor.strings),
      count,
      lane,
      id,
      kind,
      name,
      detail,
      bytes,
      submit,
      start,
      end,
      edgeFrom,
      edgeTo,
    };
    return { batch, cursor: { lanes: nextLanes, strings: this.strings.size, edges: er.total } };
  }
}
