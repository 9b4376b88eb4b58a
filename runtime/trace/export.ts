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
  /** Operations remembered to draw flows to later dependents (default 1 M). */
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
}

interface Placed {
  pid: number;
  tid: number;
  mid: number;
}

const TRAILER = '\n]}\n';

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
  private readonly lanes = new Map<string, LaneState>();
  private readonly nextTid = new Map<number, number>();
  private readonly engineStreams = new Map<string, number>();
  private readonly placed = new Map<number, Placed>();
  private readonly waiting = new Map<number, Placed[]>();
  private waitingCount = 0;
  private flowId = 1;

  // Utilization counters: per device, bin → engine label → busy ns.
  private readonly bins = new Map<number, Map<number, Map<string, number>>>();
  private readonly deviceEngines = new Map<number, Set<string>>();
  private readonly lastBin = new Map<number, number>();
  private maxEndRel = -Infinity;
  private counterLate = 0;

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
    this.flowMemory = options.flowMemory ?? 1 << 20;
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
    const key = `${r.device}/${r.stream}/${r.engine.kind}/${r.engine.ordinal}/${r.engine.index}`;
    let lane = this.lanes.get(key);
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
      };
      this.lanes.set(key, lane);
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
    return lane.tids[level]!;
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
      extra = `,"startNs":${JSON.stringify(r.startNs)},"endNs":${JSON.stringify(r.endNs)}`;
    const deps = r.deps.length ? r.deps.map((d) => JSON.stringify(d)).join(',') : '';
    this.emit(
      `{"ph":"X","cat":${JSON.stringify(r.kind)},"name":${JSON.stringify(r.name)},"pid":${pid},"tid":${tid},"ts":${formatUs(rel0)},"dur":${formatUs(durNs)},"args":{"id":${JSON.stringify(r.id)},"kind":${JSON.stringify(r.kind)},"bytes":${JSON.stringify(r.bytes)},"submitNs":${JSON.stringify(r.submitNs)},"deps":[${deps}]${extra}}}`,
    );
    this.stats.records++;
    if (this.flowsOn) this.flows(r, { pid, tid, mid: rel0 + Math.floor(durNs / 2) });
    if (this.counterInterval > 0) this.count(r, rel0, rel1);
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
    this.placed.set(r.id, here);
    if (this.placed.size > this.flowMemory) this.placed.delete(this.placed.keys().next().value!);
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

  private count(r: OpRecord, rel0: number, rel1: number): void {
    const label = engineLabel(r.engine);
    let engines = this.deviceEngines.get(r.device);
    if (!engines) this.deviceEngines.set(r.device, (engines = new Set()));
    engines.add(label);
    if (rel1 > this.maxEndRel) this.maxEndRel = rel1;
    if (rel1 <= rel0) return;
    const w = this.counterInterval;
    let bins = this.bins.get(r.device);
    if (!bins) this.bins.set(r.device, (bins = new Map()));
    const last = this.lastBin.get(r.device) ?? -Infinity;
    for (let b = Math.floor(rel0 / w); b * w < rel1; b++) {
      if (b <= last) {
        this.counterLate++;
        continue;
      }
      const overlap = Math.min(rel1, (b + 1) * w) - Math.max(rel0, b * w);
      let m = bins.get(b);
      if (!m) bins.set(b, (m = new Map()));
      m.set(label, (m.get(label) ?? 0) + overlap);
    }
  }

  private emitCounters(all: boolean): void {
    if (this.counterInterval <= 0) return;
    const w = this.counterInterval;
    const limit = all ? Infinity : Math.floor((this.maxEndRel - this.counterLateness) / w);
    for (const [device, bins] of this.bins) {
      const engines = [...(this.deviceEngines.get(device) ?? [])].sort();
      const ready = [...bins.keys()].filter((b) => b < limit).sort((a, b) => a - b);
      let last = this.lastBin.get(device);
      const sample = (b: number, m: Map<string, number> | undefined): void => {
        const args = engines
          .map(
            (e) =>
              `${JSON.stringify(e)}:${Math.round(Math.min(100, ((m?.get(e) ?? 0) / w) * 100) * 10) / 10}`,
          )
          .join(',');
        this.emit(
          `{"ph":"C","name":"engine busy %","pid":${device + 1},"ts":${formatUs(b * w)},"args":{${args}}}`,
        );
      };
      for (const b of ready) {
        if (last !== undefined && b > last + 1) sample(last + 1, undefined);
        sample(b, bins.get(b));
        bins.delete(b);
        last = b;
      }
      if (all && last !== undefined) {
        sample(last + 1, undefined);
        last++;
      }
      if (last !== undefined) this.lastBin.set(device, last);
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
