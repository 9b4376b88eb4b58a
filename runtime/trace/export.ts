// Streaming Chrome Trace Event JSON writer (Perfetto / chrome://tracing), crash-safe: after every flush
// the file on disk is a complete, valid JSON document. The writer keeps the byte position where the
// trailer (`\n]}\n`) starts; each flush writes the new events followed by the trailer at that position in
// one positional write, so a crash leaves either the previous valid file or a file whose last event is
// cut short (which the importer reads as truncated).
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { OpRecord } from '../../protocol/timeline.js';
import { TRACE_FORMAT_VERSION, XPUSCOPE_VERSION, engineLabel, formatUs, laneName } from './format.js';

export interface ChromeTraceWriterOptions {
  /**
   * Time origin in ns (same clock as the records). Default: the earliest submit/start of the first
   * records written. Pass the capture's start so that no later record lands before it.
   */
  baseNs?: number;
  /** Device names for the process_name metadata (e.g. "GPU0 Intel(R) Arc(TM) A770 Graphics 0000:03:00.0"). */
  deviceNames?: ReadonlyMap<number, string> | Readonly<Record<number, string>>;
  /** otherData.xpuscope.version (default XPUSCOPE_VERSION). */
  version?: string;
  /** Pending output that triggers a flush from write() (default 1 MiB). */
  chunkBytes?: number;
  /** Utilization counter bin width in ns (default 1 ms); 0 disables the counters. */
  counterIntervalNs?: number;
  /** Counter bins this long before the latest end seen are final and written (default 100 ms). */
  counterLatenessNs?: number;
  /** Write flow events for dependency edges (default true). */
  flows?: boolean;
  /** Operations remembered to draw flows to later dependents, and pending edges waiting for their source (default 65 536). */
  flowMemory?: number;
  /** fsync after each flush (default false). */
  fsync?: boolean;
  /** Also flush on a timer every this many ms while open (default: off; the timer does not keep Node alive). */
  flushIntervalMs?: number;
}

export interface ChromeTraceWriterStats {
  records: number;
  /** Trace events written (X, M, C, s, f). */
  events: number;
  flows: number;
  /** Dependency edges drawn no flow for (the other op was forgotten or never came). */
  flowsDropped: number;
  /** Extra lanes opened for overlapping work on one stream. */
  overlapLanes: number;
  bytes: number;
  flushes: number;
}

interface LaneState {
  pid: number;
  device: number;
  stream: number;
  tids: number[];
  /** Per level, the index of its (pid, tid) in the writer's `wheres`. */
  whereIx: number[];
  lastEnd: number[];
  sortBase: number;
  engine: OpRecord['engine'];
  source: OpRecord['source'];
  /** The device's counter state and this lane's engine column in it. */
  ctr: DeviceCounters;
  col: number;
}

/** Utilization counter state of one device: per bin, busy ns per engine column. */
interface DeviceCounters {
  pid: number;
  labels: string[];
  cols: Map<string, number>;
  bins: Map<number, number[]>;
  /** Runs of whole bins [from, to] fully covered by one op of engine column `col`. */
  cover: Array<{ col: number; from: number; to: number }>;
  /** Last bin written. */
  last: number | undefined;
}

/** Where an op was drawn (pid, tid, middle time): the end of a flow arrow. */
interface Placed {
  pid: number;
  tid: number;
  mid: number;
}

/** What ends every file the writer leaves: the events array and the document closed. */
export const TRAILER = '\n]}\n';
/** A valid trace with no events (what `sealTraceFile` makes of an empty file). */
export const EMPTY_TRACE = '{"traceEvents":[]}\n';
const TRAILER_BYTES = Buffer.from(TRAILER, 'latin1');
/** Worst case UTF-8 bytes per UTF-16 code unit (a lone surrogate or a BMP char ≥ U+0800). */
const MAX_UTF8_PER_UNIT = 3;

/** A number as JSON (shortest round-trip text; non-finite → null). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

function toMap(m: ChromeTraceWriterOptions['deviceNames']): Map<number, string> {
  if (!m) return new Map();
  if (m instanceof Map) return new Map(m);
  return new Map(Object.entries(m).map(([k, v]) => [Number(k), v as string]));
}

export class ChromeTraceWriter {
  private base: number | undefined;
  private readonly names: Map<number, string>;
  private readonly version: string;
  private readonly chunkBytes: number;
  private readonly counterInterval: number;
  private readonly counterLateness: number;
  private readonly flowsOn: boolean;
  private readonly flowMemory: number;
  private readonly doFsync: boolean;

  /**
   * Pending output, encoded as it is emitted into one reused buffer (no per-flush join + copy of all the
   * pieces). `pendingLen` counts UTF-16 units as before, so the flush points (and with them the counter
   * output) are the same as when pieces were kept as strings.
   */
  private out: Buffer = Buffer.allocUnsafe(0);
  private outLen = 0;
  private pendingLen = 0;
  private headerWritten = false;
  private position = 0; // where the trailer starts in the file
  private eventsInFile = 0;
  private closed = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  private readonly devices = new Set<number>();
  /** Lanes by device, then stream, then engine (numeric keys: looked up for every record, no key string). */
  private readonly lanes = new Map<number, Map<number, LaneState[]>>();
  private readonly nextTid = new Map<number, number>();
  private readonly engineStreams = new Map<string, number>();
  /**
   * The last flowMemory ops placed, as a ring of columns (id, lane level, middle) indexed by placement
   * sequence % flowMemory, and an open-addressing table op id → ring slot (`placedIndex`, -1 = empty;
   * the key of an entry is its slot's id). No object or Map entry per op: most ops are never a
   * dependency, and a Placed is only built when a flow is drawn.
   */
  private readonly placedIndex: Int32Array;
  private readonly placedMask: number;
  /** (pid, tid) of each lane level, by the index the ring stores. */
  private readonly wheres: Placed[] = [];
  private readonly placedWhere: Int32Array;
  private readonly waiting = new Map<number, Placed[]>();
  private waitingCount = 0;
  private flowId = 1;
  private readonly nameJson = new Map<string, { json: string; bytes: Buffer }>();
  private placedSeq = 0;
  private readonly placedRing: Float64Array;
  private readonly placedMid: Float64Array;

  // Utilization counters.
  private readonly counters = new Map<number, DeviceCounters>();
  private maxEndRel = -Infinity;
  private counterLate = 0;
  private curLane: LaneState | undefined;
  private curWhere = 0;

  readonly stats: ChromeTraceWriterStats = {
    records: 0,
    events: 0,
    flows: 0,
    flowsDropped: 0,
    overlapLanes: 0,
    bytes: 0,
    flushes: 0,
  };

  /** Opens (creates/truncates) `path` and writes to it; close() closes it. */
  static open(path: string, options: ChromeTraceWriterOptions = {}): ChromeTraceWriter {
    return new ChromeTraceWriter(openSync(path, 'w'), options, true);
  }

  constructor(
    private readonly fd: number,
    options: ChromeTraceWriterOptions = {},
    private readonly ownsFd = false,
  ) {
    this.base = options.baseNs;
    this.names = toMap(options.deviceNames);
    this.version = options.version ?? XPUSCOPE_VERSION;
    this.chunkBytes = options.chunkBytes ?? 1 << 20;
    this.counterInterval = options.counterIntervalNs ?? 1_000_000;
    this.counterLateness = options.counterLatenessNs ?? 100_000_000;
    this.flowsOn = options.flows ?? true;
    this.flowMemory = Math.min(1 << 24, Math.max(1, Math.floor(options.flowMemory ?? 1 << 16)));
    this.placedRing = new Float64Array(this.flowMemory);
    this.placedWhere = new Int32Array(this.flowMemory);
    this.placedMid = new Float64Array(this.flowMemory);
    let size = 16;
    while (size < 2 * this.flowMemory) size *= 2;
    this.placedIndex = new Int32Array(size).fill(-1);
    this.placedMask = size - 1;
    this.doFsync = options.fsync ?? false;
    if (options.flushIntervalMs !== undefined && options.flushIntervalMs > 0) {
      this.timer = setInterval(() => this.flush(), options.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** The time origin (ns), once known. */
  get baseNs(): number | undefined {
    return this.base;
  }

  setDeviceName(device: number, name: string): void {
    this.names.set(device, name);
    if (this.devices.has(device))
      this.emit(
        `{"ph":"M","name":"process_name","pid":${device + 1},"args":{"name":${JSON.stringify(name)},"xpuscope":{"device":${device}}}}`,
      );
  }

  /** Queues records (any order; each call's records are placed in start order). Flushes when chunkBytes is exceeded. */
  write(records: Iterable<OpRecord>): void {
    if (this.closed) throw new Error('ChromeTraceWriter: write after close');
    const list = inStartOrder(records);
    if (list.length === 0) return;
    if (this.base === undefined) {
      let b = Infinity;
      for (const r of list) b = Math.min(b, r.submitNs > 0 ? Math.min(r.submitNs, r.startNs) : r.startNs);
      this.base = b;
    }
    for (const r of list) {
      this.writeOne(r);
      if (this.pendingLen >= this.chunkBytes) this.flush();
    }
  }

  private emit(s: string): void {
    if (!this.headerWritten) this.header();
    this.reserve(s.length * MAX_UTF8_PER_UNIT + 2);
    const out = this.out;
    if (this.eventsInFile !== 0) {
      out[this.outLen++] = 0x2c; // ,
      out[this.outLen++] = 0x0a; // \n
      this.pendingLen += 2;
    }
    this.outLen += out.write(s, this.outLen);
    this.pendingLen += s.length;
    this.eventsInFile++;
    this.stats.events++;
  }

  /** Makes room for `bytes` more bytes of pending output. */
  private reserve(bytes: number): void {
    if (this.outLen + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(64 * 1024, this.out.length * 2, this.outLen + bytes));
    this.out.copy(grown, 0, 0, this.outLen);
    this.out = grown;
  }

  /** Queues the file header (first thing in the file; needs the time origin). */
  private header(): void {
    const other = JSON.stringify({
      xpuscope: {
        version: this.version,
        format: TRACE_FORMAT_VERSION,
        baseNs: this.base,
        clock: 'host ns',
      },
    });
    const header = `{"displayTimeUnit":"ns","otherData":${other},"traceEvents":[\n`;
    this.headerWritten = true;
    // Not counted in pendingLen (as before: it does not move the flush points).
    this.reserve(header.length * MAX_UTF8_PER_UNIT);
    this.outLen += this.out.write(header, this.outLen);
  }

  private device(d: number, source: OpRecord['source']): number {
    const pid = d + 1;
    if (!this.devices.has(d)) {
      this.devices.add(d);
      // A recorded program's device is one trace process per (process, device): named by both, whatever
      // the caller's device names (those name this process's own devices).
      const name = source
        ? `${source.process} (pid ${source.pid}) · ${source.device}`
        : (this.names.get(d) ?? `GPU ${d}`);
      this.emit(
        `{"ph":"M","name":"process_name","pid":${pid},"args":{"name":${JSON.stringify(name)},"xpuscope":{"device":${d}}}}`,
      );
      this.emit(`{"ph":"M","name":"process_sort_index","pid":${pid},"args":{"sort_index":${d}}}`);
    }
    return pid;
  }

  private laneTid(r: OpRecord, rel0: number, rel1: number): number {
    let byStream = this.lanes.get(r.device);
    if (byStream === undefined) this.lanes.set(r.device, (byStream = new Map()));
    let list = byStream.get(r.stream);
    if (list === undefined) byStream.set(r.stream, (list = []));
    const e = r.engine;
    let lane: LaneState | undefined;
    for (let i = 0; i < list.length; i++) {
      const l = list[i]!;
      if (l.engine.kind === e.kind && l.engine.ordinal === e.ordinal && l.engine.index === e.index) {
        lane = l;
        break;
      }
    }
    if (!lane) {
      const pid = this.device(r.device, r.source);
      const ek = `${r.device}/${engineLabel(r.engine)}`;
      const nth = this.engineStreams.get(ek) ?? 0;
      this.engineStreams.set(ek, nth + 1);
      const sortBase = r.engine.ordinal * 1_000_000 + r.engine.index * 10_000 + Math.min(nth, 999) * 10;
      lane = {
        pid,
        device: r.device,
        stream: r.stream,
        engine: { ...r.engine },
        source: r.source,
        tids: [],
        whereIx: [],
        lastEnd: [],
        sortBase,
        ...this.counterColumn(r, pid),
      };
      list.push(lane);
    }
    // First level whose last op ended at or before this start (conservative: never overlaps on a tid).
    let level = 0;
    while (level < lane.lastEnd.length && rel0 < lane.lastEnd[level]!) level++;
    if (level === lane.tids.length) {
      const tid = this.nextTid.get(lane.pid) ?? 1;
      this.nextTid.set(lane.pid, tid + 1);
      lane.tids.push(tid);
      lane.whereIx.push(this.wheres.length);
      this.wheres.push({ pid: lane.pid, tid, mid: 0 });
      lane.lastEnd.push(-Infinity);
      if (level > 0) this.stats.overlapLanes++;
      const src = lane.source;
      const meta = `"device":${lane.device},"stream":${lane.stream},"engine":${JSON.stringify(lane.engine)},"level":${level}${src ? `,"source":${JSON.stringify(src)}` : ''}`;
      // A recorded program's lane is named as the program knows it ("immediate list 2 · compute
      // 0.1"); its host threads (--host-calls) by the thread alone.
      const name = src
        ? `${src.queue}${lane.engine.kind === 'host' ? '' : ` · ${engineLabel(lane.engine)}`}${level > 0 ? ` · overlap ${level}` : ''}`
        : laneName(lane.stream, lane.engine, level);
      this.emit(
        `{"ph":"M","name":"thread_name","pid":${lane.pid},"tid":${tid},"args":{"name":${JSON.stringify(name)},"xpuscope":{${meta}}}}`,
      );
      this.emit(
        `{"ph":"M","name":"thread_sort_index","pid":${lane.pid},"tid":${tid},"args":{"sort_index":${lane.sortBase + Math.min(level, 9)}}}`,
      );
    }
    lane.lastEnd[level] = Math.max(lane.lastEnd[level]!, rel1);
    this.curLane = lane;
    this.curWhere = lane.whereIx[level]!;
    return lane.tids[level]!;
  }

  private counterColumn(r: OpRecord, pid: number): { ctr: DeviceCounters; col: number } {
    let ctr = this.counters.get(r.device);
    if (!ctr) {
      ctr = { pid, labels: [], cols: new Map(), bins: new Map(), cover: [], last: undefined };
      this.counters.set(r.device, ctr);
    }
    const label = engineLabel(r.engine);
    let col = ctr.cols.get(label);
    if (col === undefined) {
      col = ctr.labels.length;
      ctr.labels.push(label);
      ctr.cols.set(label, col);
    }
    return { ctr, col };
  }

  private writeOne(r: OpRecord): void {
    const base = this.base!;
    const rel0 = Math.round(r.startNs - base);
    const durNs = Math.max(0, Math.round(r.endNs - base) - rel0);
    const rel1 = rel0 + durNs;
    const tid = this.laneTid(r, rel0, rel1);
    const pid = r.device + 1;
    this.emitX(r, pid, tid, rel0, durNs, base + rel0 !== r.startNs || base + rel1 !== r.endNs);
    this.stats.records++;
    if (this.flowsOn) this.flows(r, pid, tid, this.curWhere, rel0 + Math.floor(durNs / 2));
    if (this.counterInterval > 0) this.count(this.curLane!, rel0, rel1);
  }

  /**
   * The X event of an op, encoded straight into the output buffer (no per-op string: this runs once per
   * op). Byte for byte what
   * `{"ph":"X","cat":<kind>,"name":<name>,"pid":…,"tid":…,"ts":<formatUs>,"dur":<formatUs>,"args":{"id":…,
   * "kind":<kind>,"bytes":…,"submitNs":…,"deps":[…](,"startNs":…,"endNs":…)}}` would encode to.
   */
  private emitX(r: OpRecord, pid: number, tid: number, rel0: number, durNs: number, exact: boolean): void {
    if (!this.headerWritten) this.header();
    const kind = this.jsonText(r.kind),
      name = this.jsonText(r.name);
    const detail = r.detail === undefined ? undefined : this.jsonText(r.detail);
    this.reserve(
      512 +
        name.bytes.length +
        2 * kind.bytes.length +
        25 * r.deps.length +
        (detail ? 12 + detail.bytes.length : 0),
    );
    const start = this.outLen;
    if (this.eventsInFile !== 0) this.ascii(',\n');
    this.ascii('{"ph":"X","cat":');
    this.bytes(kind.bytes);
    this.ascii(',"name":');
    this.bytes(name.bytes);
    this.ascii(',"pid":');
    this.number(pid);
    this.ascii(',"tid":');
    this.number(tid);
    this.ascii(',"ts":');
    this.us(rel0);
    this.ascii(',"dur":');
    this.us(durNs);
    this.ascii(',"args":{"id":');
    this.number(r.id);
    this.ascii(',"kind":');
    this.bytes(kind.bytes);
    this.ascii(',"bytes":');
    this.number(r.bytes);
    this.ascii(',"submitNs":');
    this.number(r.submitNs);
    this.ascii(',"deps":[');
    for (let i = 0; i < r.deps.length; i++) {
      if (i) this.out[this.outLen++] = 0x2c;
      this.number(r.deps[i]!);
    }
    this.out[this.outLen++] = 0x5d; // ]
    if (detail) {
      this.ascii(',"detail":');
      this.bytes(detail.bytes);
    }
    if (exact) {
      this.ascii(',"startNs":');
      this.number(r.startNs);
      this.ascii(',"endNs":');
      this.number(r.endNs);
    }
    this.ascii('}}');
    // pendingLen counts UTF-16 units (see `out`): the names' byte counts differ from their lengths.
    this.pendingLen +=
      this.outLen -
      start -
      (name.bytes.length - name.json.length) -
      2 * (kind.bytes.length - kind.json.length) -
      (detail ? detail.bytes.length - detail.json.length : 0);
    this.eventsInFile++;
    this.stats.events++;
  }

  /** Appends an ASCII string (capacity reserved by the caller). */
  private ascii(s: string): void {
    const out = this.out;
    let o = this.outLen;
    for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
    this.outLen = o;
  }

  private bytes(b: Buffer): void {
    const out = this.out;
    let o = this.outLen;
    for (let i = 0; i < b.length; i++) out[o++] = b[i]!;
    this.outLen = o;
  }

  /** Appends `num(n)`: digits for safe integers, else the number's JSON text. */
  private number(n: number): void {
    if (!Number.isSafeInteger(n)) return this.ascii(num(n));
    if (n < 0) {
      this.out[this.outLen++] = 0x2d;
      n = -n;
    }
    this.digits(n);
  }

  /** Appends a non-negative safe integer in decimal. */
  private digits(n: number): void {
    const out = this.out;
    let len = 1;
    for (let p = 10; p <= n; p *= 10) len++;
    let o = this.outLen + len;
    this.outLen = o;
    do {
      const q = Math.floor(n / 10);
      out[--o] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** Appends `formatUs(ns)` (integer ns as µs with 3 decimals). */
  private us(ns: number): void {
    if (!Number.isSafeInteger(ns)) return this.ascii(formatUs(ns));
    if (ns < 0) {
      this.out[this.outLen++] = 0x2d;
      ns = -ns;
    }
    const int = Math.floor(ns / 1000);
    const frac = ns - int * 1000;
    this.digits(int);
    const out = this.out;
    out[this.outLen] = 0x2e; // .
    out[this.outLen + 1] = 0x30 + Math.floor(frac / 100);
    out[this.outLen + 2] = 0x30 + (Math.floor(frac / 10) % 10);
    out[this.outLen + 3] = 0x30 + (frac % 10);
    this.outLen += 4;
  }

  /** JSON text of an op name or kind and its UTF-8 bytes, cached (names repeat). */
  private jsonText(name: string): { json: string; bytes: Buffer } {
    let j = this.nameJson.get(name);
    if (j === undefined) {
      const json = JSON.stringify(name);
      j = { json, bytes: Buffer.from(json, 'utf8') };
      if (this.nameJson.size < 65_536) this.nameJson.set(name, j);
    }
    return j;
  }

  private flows(r: OpRecord, pid: number, tid: number, where: number, mid: number): void {
    let here: Placed | undefined;
    for (let i = 0; i < r.deps.length; i++) {
      const dep = r.deps[i]!;
      const at = this.findPlaced(dep);
      if (at >= 0) {
        const s = this.placedIndex[at]!;
        const from = this.wheres[this.placedWhere[s]!]!;
        here ??= { pid, tid, mid };
        this.flow({ pid: from.pid, tid: from.tid, mid: this.placedMid[s]! }, here);
      } else if (this.waitingCount < this.flowMemory) {
        let w = this.waiting.get(dep);
        if (!w) this.waiting.set(dep, (w = []));
        w.push((here ??= { pid, tid, mid }));
        this.waitingCount++;
      } else this.stats.flowsDropped++;
    }
    if (this.waitingCount > 0) {
      const w = this.waiting.get(r.id);
      if (w) {
        this.waiting.delete(r.id);
        this.waitingCount -= w.length;
        here ??= { pid, tid, mid };
        for (const to of w) this.flow(here, to);
      }
    }
    // Remember where this op is; forget the op placed flowMemory ops ago (a ring of ids, no Map iteration).
    const seq = this.placedSeq++;
    const slot = seq % this.flowMemory;
    if (seq >= this.flowMemory) {
      const at = this.findPlaced(this.placedRing[slot]!);
      // Only if the id was not placed again since (then the entry points to the newer placement).
      if (at >= 0 && this.placedIndex[at] === slot) this.unplace(at);
    }
    this.placedRing[slot] = r.id;
    this.placedWhere[slot] = where;
    this.placedMid[slot] = mid;
    const at = this.findPlaced(r.id);
    this.placedIndex[at >= 0 ? at : this.freeSlot(r.id)] = slot;
  }

  private home(id: number): number {
    const h = Math.imul((id | 0) ^ ((id / 4294967296) | 0), 0x9e3779b1);
    return (h ^ (h >>> 16)) & this.placedMask;
  }

  /** Table slot of op `id` among the remembered placements, or -1. Ids compare as Map keys do (NaN = NaN). */
  private findPlaced(id: number): number {
    const idx = this.placedIndex,
      mask = this.placedMask;
    for (let i = this.home(id); ; i = (i + 1) & mask) {
      const slot = idx[i]!;
      if (slot < 0) return -1;
      const k = this.placedRing[slot]!;
      if (k === id || (k !== k && id !== id)) return i;
    }
  }

  /** The empty table slot where `id` (not in the table) goes. */
  private freeSlot(id: number): number {
    let i = this.home(id);
    while (this.placedIndex[i]! >= 0) i = (i + 1) & this.placedMask;
    return i;
  }

  /** Removes table slot `i` (linear probing: later entries of the cluster move back over the hole). */
  private unplace(i: number): void {
    const idx = this.placedIndex,
      mask = this.placedMask;
    for (let j = (i + 1) & mask; idx[j]! >= 0; j = (j + 1) & mask) {
      const h = this.home(this.placedRing[idx[j]!]!);
      // Move j's entry to the hole unless its home lies cyclically in (i, j].
      if (i <= j ? i < h && h <= j : i < h || h <= j) continue;
      idx[i] = idx[j]!;
      i = j;
    }
    idx[i] = -1;
  }

  private flow(from: Placed, to: Placed): void {
    const id = this.flowId++;
    this.emit(
      `{"ph":"s","id":${id},"cat":"dep","name":"dep","pid":${from.pid},"tid":${from.tid},"ts":${formatUs(from.mid)}}`,
    );
    this.emit(
      `{"ph":"f","bp":"e","id":${id},"cat":"dep","name":"dep","pid":${to.pid},"tid":${to.tid},"ts":${formatUs(to.mid)}}`,
    );
    this.stats.flows++;
  }

  private count(lane: LaneState, rel0: number, rel1: number): void {
    if (rel1 > this.maxEndRel) this.maxEndRel = rel1;
    if (rel1 <= rel0) return;
    const w = this.counterInterval;
    const { ctr, col } = lane;
    const last = ctr.last ?? -Infinity;
    const add = (b: number, ns: number): void => {
      if (b <= last) {
        this.counterLate++;
        return;
      }
      let m = ctr.bins.get(b);
      if (!m) ctr.bins.set(b, (m = []));
      m[col] = (m[col] ?? 0) + ns;
    };
    const b0 = Math.floor(rel0 / w),
      bLast = Math.ceil(rel1 / w) - 1;
    if (bLast - b0 <= 2) {
      for (let b = b0; b <= bLast; b++) add(b, Math.min(rel1, (b + 1) * w) - Math.max(rel0, b * w));
      return;
    }
    // A long op: partial first and last bins, and one coverage record for the full bins between (so a
    // 1-hour op costs O(1), not one entry per bin). Its first full bin is made a breakpoint.
    add(b0, (b0 + 1) * w - rel0);
    add(bLast, rel1 - bLast * w);
    const from = Math.max(b0 + 1, last + 1),
      to = bLast - 1;
    if (b0 + 1 <= last) this.counterLate += Math.min(last, to) - b0;
    if (from <= to) {
      add(from, 0);
      ctr.cover.push({ col, from, to });
    }
  }

  private emitCounters(all: boolean): void {
    if (this.counterInterval <= 0) return;
    const w = this.counterInterval;
    const limit = all ? Infinity : Math.floor((this.maxEndRel - this.counterLateness) / w);
    for (const ctr of this.counters.values()) {
      const ready = [...ctr.bins.keys()].filter((b) => b < limit).sort((a, b) => a - b);
      if (ready.length === 0) continue;
      const order = ctr.labels.map((l, i) => [l, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      const keys = order.map(([l]) => JSON.stringify(l));
      let last = ctr.last;
      // Between two bins that have entries the value is constant (coverage starts are breakpoints and
      // each coverage ends just before its op's last, partial, bin), so one sample per entry suffices.
      const sample = (b: number, m: number[] | undefined): void => {
        const busy: number[] = [];
        for (const c of ctr.cover) if (c.from <= b && b <= c.to) busy[c.col] = (busy[c.col] ?? 0) + w;
        let args = '';
        for (let k = 0; k < order.length; k++) {
          const i = order[k]![1];
          const ns = (m?.[i] ?? 0) + (busy[i] ?? 0);
          args += `${k ? ',' : ''}${keys[k]}:${Math.round(Math.min(100, (ns / w) * 100) * 10) / 10}`;
        }
        this.emit(
          `{"ph":"C","name":"engine busy %","pid":${ctr.pid},"ts":${formatUs(b * w)},"args":{${args}}}`,
        );
      };
      for (const b of ready) {
        if (last !== undefined && b > last + 1) sample(last + 1, undefined);
        sample(b, ctr.bins.get(b));
        ctr.bins.delete(b);
        last = b;
      }
      if (all && last !== undefined) {
        sample(last + 1, undefined);
        last++;
      }
      ctr.last = last;
      if (last !== undefined) {
        const done = last;
        ctr.cover = ctr.cover.filter((c) => c.to > done);
      }
    }
  }

  /** Writes everything queued, then the trailer, so the file is complete JSON. */
  flush(): void {
    if (this.closed) return;
    this.emitCounters(false);
    this.writeOut();
  }

  private writeOut(): void {
    if (!this.headerWritten) {
      if (this.base === undefined) return; // nothing to write yet
      this.header();
    }
    this.reserve(TRAILER_BYTES.length);
    const eventsLen = this.outLen;
    const body = this.out;
    const end = eventsLen + TRAILER_BYTES.copy(body, eventsLen);
    let off = 0;
    while (off < end) off += writeSync(this.fd, body, off, end - off, this.position + off);
    this.outLen = 0;
    this.pendingLen = 0;
    // A burst (e.g. counters at close) may have grown the buffer far past a chunk; don't keep that.
    if (body.length > 4 * Math.max(this.chunkBytes, 64 * 1024)) this.out = Buffer.allocUnsafe(0);
    this.position += eventsLen;
    this.stats.bytes = this.position + TRAILER_BYTES.length;
    this.stats.flushes++;
    if (this.doFsync) fsyncSync(this.fd);
  }

  /** Flushes everything (all counter bins included) and closes the file if this writer opened it. */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.stats.flowsDropped += this.waitingCount;
    this.waiting.clear();
    this.waitingCount = 0;
    this.base ??= 0;
    this.emitCounters(true);
    this.writeOut();
    this.closed = true;
    if (this.ownsFd) closeSync(this.fd);
  }

  /** Counter samples skipped because their bin had already been written. */
  get lateCounterSamples(): number {
    return this.counterLate;
  }
}

/** The records sorted by start (stable); an array already in start order is used as it is, not copied. */
function inStartOrder(records: Iterable<OpRecord>): readonly OpRecord[] {
  if (Array.isArray(records)) {
    const a = records as readonly OpRecord[];
    let i = 1;
    while (i < a.length && a[i - 1]!.startNs <= a[i]!.startNs) i++;
    if (i >= a.length) return a;
  }
  return [...records].sort((a, b) => a.startNs - b.startNs);
}

/** Writes records to `path` in one go (a convenience over ChromeTraceWriter). */
export function writeChromeTrace(
  path: string,
  records: Iterable<OpRecord>,
  options: ChromeTraceWriterOptions = {},
): ChromeTraceWriterStats {
  const w = ChromeTraceWriter.open(path, options);
  try {
    w.write(records);
  } finally {
    w.close();
  }
  return w.stats;
}

/**
 * Makes a streamed trace file a valid Chrome trace after its writer died (a killed process): a file
 * that already ends with the writer's trailer is left alone; an empty one gets `{"traceEvents":[]}`;
 * one cut in the middle of a flush is truncated after its last complete event and closed. Returns
 * what it did. Relies on the writer's layout: the header ends with `"traceEvents":[\n`, events are
 * separated by `,\n`, the trailer is TRAILER.
 */
export function sealTraceFile(path: string): 'ok' | 'empty' | 'repaired' | 'missing' {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    return 'missing';
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) {
      writeSync(fd, EMPTY_TRACE, 0);
      return 'empty';
    }
    const tail = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const text = tail.toString('latin1');
    if (text.endsWith(TRAILER)) return 'ok';
    // Events are one per line, separated by ",\n": cut after the last complete one.
    const cut = text.lastIndexOf(',\n');
    const headerEnd = text.lastIndexOf('"traceEvents":[\n');
    if (cut >= 0 && cut > headerEnd) {
      const at = size - tail.length + cut;
      ftruncateSync(fd, at);
      writeSync(fd, TRAILER, at);
    } else if (headerEnd >= 0 && size === tail.length) {
      const at = headerEnd + '"traceEvents":['.length;
      ftruncateSync(fd, at);
      writeSync(fd, ']}\n', at);
    } else {
      ftruncateSync(fd, 0);
      writeSync(fd, EMPTY_TRACE, 0);
    }
    return 'repaired';
  } finally {
    closeSync(fd);
  }
}
