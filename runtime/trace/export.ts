// Streaming Chrome Trace Event JSON writer (Perfetto / chrome://tracing), crash-safe: after every flush
// the file on disk is a complete, valid JSON document. The writer keeps the byte position where the
// trailer (`\n]}\n`) starts; each flush writes the new events followed by the trailer at that position in
// one positional write, so a crash leaves either the previous valid file or a file whose last event is
// cut short (which the importer reads as truncated).
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
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
  lastEnd: number[];
  sortBase: number;
  engine: OpRecord['engine'];
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

interface Placed {
  pid: number;
  tid: number;
  mid: number;
  /** Placement sequence number (for eviction). */
  seq: number;
}

const TRAILER = '\n]}\n';

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

  private pending: string[] = [];
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
  private readonly placed = new Map<number, Placed>();
  private readonly waiting = new Map<number, Placed[]>();
  private waitingCount = 0;
  private flowId = 1;
  private readonly nameJson = new Map<string, string>();
  private placedSeq = 0;
  private placedRing: Float64Array;

  // Utilization counters.
  private readonly counters = new Map<number, DeviceCounters>();
  private maxEndRel = -Infinity;
  private counterLate = 0;
  private curLane: LaneState | undefined;

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
    const list = [...records].sort((a, b) => a.startNs - b.startNs);
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
    const piece = this.eventsInFile === 0 ? s : `,\n${s}`;
    this.eventsInFile++;
    this.stats.events++;
    this.pending.push(piece);
    this.pendingLen += piece.length;
  }

  private device(d: number): number {
    const pid = d + 1;
    if (!this.devices.has(d)) {
      this.devices.add(d);
      const name = this.names.get(d) ?? `GPU ${d}`;
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
      const pid = this.device(r.device);
      const ek = `${r.device}/${engineLabel(r.engine)}`;
      const nth = this.engineStreams.get(ek) ?? 0;
      this.engineStreams.set(ek, nth + 1);
      const sortBase = r.engine.ordinal * 1_000_000 + r.engine.index * 10_000 + Math.min(nth, 999) * 10;
      lane = {
        pid,
        device: r.device,
        stream: r.stream,
        engine: { ...r.engine },
        tids: [],
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
      lane.lastEnd.push(-Infinity);
      if (level > 0) this.stats.overlapLanes++;
      const meta = `"device":${lane.device},"stream":${lane.stream},"engine":${JSON.stringify(lane.engine)},"level":${level}`;
      this.emit(
        `{"ph":"M","name":"thread_name","pid":${lane.pid},"tid":${tid},"args":{"name":${JSON.stringify(laneName(lane.stream, lane.engine, level))},"xpuscope":{${meta}}}}`,
      );
      this.emit(
        `{"ph":"M","name":"thread_sort_index","pid":${lane.pid},"tid":${tid},"args":{"sort_index":${lane.sortBase + Math.min(level, 9)}}}`,
      );
    }
    lane.lastEnd[level] = Math.max(lane.lastEnd[level]!, rel1);
    this.curLane = lane;
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
    let extra = '';
    if (base + rel0 !== r.startNs || base + rel1 !== r.endNs)
      extra = `,"startNs":${num(r.startNs)},"endNs":${num(r.endNs)}`;
    let deps = '';
    for (let i = 0; i < r.deps.length; i++) deps += i ? `,${num(r.deps[i]!)}` : num(r.deps[i]!);
    const kind = JSON.stringify(r.kind);
    this.emit(
      `{"ph":"X","cat":${kind},"name":${this.jsonName(r.name)},"pid":${pid},"tid":${tid},"ts":${formatUs(rel0)},"dur":${formatUs(durNs)},"args":{"id":${num(r.id)},"kind":${kind},"bytes":${num(r.bytes)},"submitNs":${num(r.submitNs)},"deps":[${deps}]${extra}}}`,
    );
    this.stats.records++;
    if (this.flowsOn) this.flows(r, { pid, tid, mid: rel0 + Math.floor(durNs / 2), seq: 0 });
    if (this.counterInterval > 0) this.count(this.curLane!, rel0, rel1);
  }

  /** JSON text of an op name, cached (names repeat). */
  private jsonName(name: string): string {
    let j = this.nameJson.get(name);
    if (j === undefined) {
      j = JSON.stringify(name);
      if (this.nameJson.size < 65_536) this.nameJson.set(name, j);
    }
    return j;
  }

  private flows(r: OpRecord, here: Placed): void {
    for (const dep of r.deps) {
      const from = this.placed.get(dep);
      if (from) this.flow(from, here);
      else if (this.waitingCount < this.flowMemory) {
        let w = this.waiting.get(dep);
        if (!w) this.waiting.set(dep, (w = []));
        w.push(here);
        this.waitingCount++;
      } else this.stats.flowsDropped++;
    }
    const w = this.waiting.get(r.id);
    if (w) {
      this.waiting.delete(r.id);
      this.waitingCount -= w.length;
      for (const to of w) this.flow(here, to);
    }
    // Remember where this op is; forget the op placed flowMemory ops ago (a ring of ids, no Map iteration).
    const slot = this.placedSeq++ % this.flowMemory;
    if (this.placedSeq > this.flowMemory) {
      const old = this.placedRing[slot]!;
      if (this.placed.get(old)?.seq === this.placedSeq - 1 - this.flowMemory) this.placed.delete(old);
    }
    this.placedRing[slot] = r.id;
    here.seq = this.placedSeq - 1;
    this.placed.set(r.id, here);
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
      const other = JSON.stringify({
        xpuscope: {
          version: this.version,
          format: TRACE_FORMAT_VERSION,
          baseNs: this.base,
          clock: 'host ns',
        },
      });
      const header = `{"displayTimeUnit":"ns","otherData":${other},"traceEvents":[\n`;
      this.pending.unshift(header);
      this.headerWritten = true;
    }
    const body = Buffer.from(this.pending.join('') + TRAILER, 'utf8');
    this.pending = [];
    this.pendingLen = 0;
    let off = 0;
    while (off < body.length) off += writeSync(this.fd, body, off, body.length - off, this.position + off);
    const trailerBytes = Buffer.byteLength(TRAILER);
    this.position += body.length - trailerBytes;
    this.stats.bytes = this.position + trailerBytes;
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
