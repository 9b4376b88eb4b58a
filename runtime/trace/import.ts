// Trace import: reads Chrome Trace Event JSON with the streaming parser and maps device work onto
// OpRecords. The Importer here reads the file (both decoding paths, metadata, flows, the time origin,
// records held back until the end); one adapter per source format turns its spans into records:
// xpuscope's own exports (lossless, import-xpuscope.ts), Intel unitrace output (import-unitrace.ts)
// and PyTorch profiler (Kineto) traces of XPU work (import-kineto.ts). Other Chrome traces import
// nothing but are summarized (format 'chrome').
import type { EngineRef, OpRecord } from '../../protocol/timeline.js';
import { type ByteSource, type JsonStreamOptions, TraceJsonParser, byteChunks } from './json-stream.js';
import { usPartsToNs, usTextToNs } from './format.js';
import { EMPTY_DEPS, EventDecoder } from './event-decoder.js';
import {
  isObj,
  num,
  type FormatAdapter,
  type Held,
  type Hold,
  type ImportContext,
  type Span,
} from './import-adapter.js';
import { KinetoAdapter } from './import-kineto.js';
import { UnitraceAdapter } from './import-unitrace.js';
import { XpuscopeAdapter } from './import-xpuscope.js';

export { parseUnitraceEngine, parseUnitraceName } from './import-unitrace.js';

export type TraceFormat = 'xpuscope' | 'unitrace' | 'kineto' | 'chrome';

/** Lanes (distinct device, stream and engine) an import accepts by default (`ImportOptions.maxLanes`). */
export const DEFAULT_MAX_LANES = 4096;

/**
 * The trace exceeds a limit of the import (`maxLanes`): nothing more is read and nothing is returned.
 * Its message says which limit, the value reached and how far the file was read.
 */
export class TraceLimitError extends Error {
  constructor(
    readonly limit: 'maxLanes',
    readonly max: number,
    message: string,
  ) {
    super(message);
    this.name = 'TraceLimitError';
  }
}

export interface ImportOptions extends Omit<JsonStreamOptions, 'preciseKeys'> {
  /** Read size for paths (default 1 MiB). */
  chunkSize?: number;
  /**
   * Streams records out in batches instead of collecting them (result.records stays empty). xpuscope
   * files stream as they are read; other formats are resolved at the end (their metadata can come last).
   */
  onRecords?: (records: OpRecord[]) => void;
  /** Records per onRecords call (default 4096). */
  batchSize?: number;
  /**
   * Decode the common event shape straight from the bytes (default true); false: every event goes
   * through JSON.parse (same results, slower — kept for comparison tests).
   */
  directDecode?: boolean;
  /**
   * Most lanes (distinct device, stream and engine of the records) accepted (default DEFAULT_MAX_LANES,
   * 4096): the record that would open one more throws TraceLimitError, so a file of many tiny threads
   * cannot make its reader hold per-lane state without bound. Infinity turns the check off.
   */
  maxLanes?: number;
}

export interface ImportSummary {
  format: TraceFormat;
  /** Bytes read. */
  bytes: number;
  /** Elements of the event array read. */
  eventsRead: number;
  /** Device operations produced. */
  spans: number;
  /** Flow events (s/t/f) read. */
  flows: number;
  /** Dependency edges produced (sum of deps). */
  edges: number;
  /** Events not imported, by reason. */
  skipped: Record<string, number>;
  /** The file ended early (e.g. the tracer crashed); everything complete before truncatedAt was imported. */
  truncated: boolean;
  truncatedAt?: number;
  /** Top-level values too large to keep (otherData etc.). */
  skippedTopLevel: string[];
}

export interface ImportResult {
  records: OpRecord[];
  devices: { device: number; name: string }[];
  /**
   * xpuscope files: 0, records carry the original host ns. Other formats: records are ns relative to this
   * origin (epoch ns for unitrace; baseTimeNanoseconds + first timestamp for Kineto), which as a double
   * is only accurate to ~256 ns; originUs holds the integer microsecond part exactly.
   */
  timeOriginNs: number;
  originUs: number;
  /** otherData.xpuscope of an xpuscope file (version, baseNs …). */
  xpuscope?: Record<string, unknown>;
  summary: ImportSummary;
}

class Importer implements ImportContext {
  format: TraceFormat = 'chrome';
  private readonly xpuscope = new XpuscopeAdapter();
  /** In claim order: the first that claims an X event builds it; the first that saw its format names the file's. */
  private readonly adapters: readonly FormatAdapter[];
  /** Some adapter's times are absolute (an xpuscope file): no foreign time origin is taken. */
  private absolute = false;
  readonly processNames = new Map<number, string>();
  /** thread_name names by pid, then tid (numeric keys: looked up per span). */
  private readonly threadNames = new Map<number, Map<number, string>>();
  private readonly held: Held[] = [];
  private readonly names = new Map<string, string>();
  originUs: number | undefined;
  private nextOpId = 1;
  private readonly dec: EventDecoder;
  private readonly hold: Hold = { hold: false, key: undefined };
  private readonly sp: Span = {
    pid: 0,
    tid: 0,
    name: '',
    cat: '',
    tsNs: 0,
    durNs: 0,
    id: undefined,
    kind: undefined,
    detail: undefined,
    bytes: undefined,
    submitNs: undefined,
    startNs: undefined,
    endNs: undefined,
    deps: EMPTY_DEPS,
    correlation: undefined,
    device: undefined,
    stream: undefined,
  };
  readonly records: OpRecord[] = [];
  private batch: OpRecord[] = [];
  readonly summary = { eventsRead: 0, spans: 0, flows: 0, edges: 0, skipped: {} as Record<string, number> };
  /** Lanes seen among the records out so far: device → stream → engines (usually one), for maxLanes. */
  private readonly laneSeen = new Map<number, Map<number, EngineRef[]>>();
  private laneCount = 0;
  private readonly maxLanes: number;
  // The last record's lane (records of a lane often come in runs): skips the lookups.
  private lastEngine: EngineRef | undefined;
  private lastDevice = NaN;
  private lastStream = NaN;

  constructor(private readonly opts: ImportOptions) {
    const max = opts.maxLanes ?? DEFAULT_MAX_LANES;
    if (!(max >= 1)) throw new RangeError(`maxLanes must be at least 1, got ${max}`);
    this.maxLanes = max;
    this.dec = new EventDecoder(opts.maxStringBytes, opts.maxNumberLength);
    this.adapters = [this.xpuscope, new UnitraceAdapter(this), new KinetoAdapter(this)];
  }

  skip(reason: string): void {
    this.summary.skipped[reason] = (this.summary.skipped[reason] ?? 0) + 1;
  }

  threadName(pid: number, tid: number): string | undefined {
    return this.threadNames.get(pid)?.get(tid);
  }

  nextId(): number {
    return this.nextOpId++;
  }

  intern(s: string): string {
    const hit = this.names.get(s);
    if (hit !== undefined) return hit;
    if (this.names.size < 100_000) this.names.set(s, s);
    return s;
  }

  onTopLevel(key: string, v: unknown): void {
    for (const a of this.adapters) a.topLevel(key, v);
    this.absolute = this.adapters.some((a) => a.absoluteClock);
  }

  onEvent(ev: unknown): void {
    this.summary.eventsRead++;
    if (!isObj(ev)) return this.skip('not an object');
    const ph = ev.ph;
    if (
      this.originUs === undefined &&
      !this.absolute &&
      (ph === 'X' || ph === 's' || ph === 't' || ph === 'f')
    ) {
      // Foreign formats: times become ns relative to the first timed event's whole microsecond.
      const ts = ev.ts;
      const whole =
        typeof ts === 'number'
          ? Math.floor(ts)
          : typeof ts === 'string'
            ? Number(/^-?\d+/.exec(ts)?.[0] ?? NaN)
            : NaN;
      if (Number.isFinite(whole)) this.originUs = whole;
    }
    if (ph === 'X') return this.span(ev);
    if (ph === 'M') return this.meta(ev);
    if (ph === 's' || ph === 't' || ph === 'f') {
      this.summary.flows++;
      const a = ph === 's' && typeof ev.cat === 'string' ? this.flowAdapter(ev.cat) : undefined;
      if (a) {
        // Kineto launch → kernel (id = correlation); unitrace append → device op (id = the op's args.id).
        const id = num(ev.id);
        if (id !== undefined && (typeof ev.ts === 'string' || typeof ev.ts === 'number'))
          a.launched(id, ev.ts);
      }
      return;
    }
    if (ph === 'C') return this.skip('counter');
    if (ph === 'B' || ph === 'E') return this.skip('B/E event (not imported)');
    if (ph === 'i' || ph === 'I' || ph === 'n') return this.skip('instant event');
    this.skip(typeof ph === 'string' ? `unsupported ph "${ph.slice(0, 8)}"` : 'no ph');
  }

  /** The adapter whose ops a flow of this category links (its start gives their submit time). */
  private flowAdapter(cat: string): FormatAdapter | undefined {
    for (const a of this.adapters) if (a.linksFlow(cat)) return a;
    return undefined;
  }

  private meta(ev: Record<string, unknown>): void {
    const pid = num(ev.pid);
    const args = isObj(ev.args) ? ev.args : {};
    if (pid === undefined) return this.skip('metadata without pid');
    if (ev.name === 'process_name' && typeof args.name === 'string') {
      this.processNames.set(pid, args.name);
      for (const a of this.adapters) a.processName(pid, args.name, args);
    } else if (ev.name === 'thread_name') {
      const tid = num(ev.tid);
      if (tid === undefined) return this.skip('metadata without tid');
      let byTid = this.threadNames.get(pid);
      if (typeof args.name === 'string') {
        if (byTid === undefined) this.threadNames.set(pid, (byTid = new Map()));
        byTid.set(tid, args.name);
      } else byTid?.delete(tid);
      for (const a of this.adapters) a.threadName(pid, tid, args);
    }
  }

  /**
   * The direct path: the decoder read the event from the bytes; this does what onEvent would do with the
   * JSON.parse'd object. Returns the index past the event, or -1 (declined, no side effects).
   */
  onEventBytes(buf: Buffer, start: number, end: number, lines: { count: number; last: number }): number {
    const d = this.dec;
    const e = d.decode(buf, start, end, lines);
    if (e < 0) return -1;
    const ph = d.ph;
    if (ph === 0x4d) return -1; // metadata (a few per lane): JSON.parse, meta()
    this.summary.eventsRead++;
    const flow = ph === 0x73 || ph === 0x74 || ph === 0x66; // s t f
    if (this.originUs === undefined && !this.absolute && (ph === 0x58 || flow) && d.hasTs)
      this.originUs = d.tsNeg ? -d.tsInt : d.tsInt; // floor of an integer, or the text's integer part
    if (ph === 0x58) this.spanDecoded(d);
    else if (flow) {
      this.summary.flows++;
      const cat = d.cat;
      const a = ph === 0x73 && cat !== undefined ? this.flowAdapter(cat) : undefined;
      if (a && d.id !== undefined && d.hasTs) {
        // As the JSON.parse path sees ts: its source text when it has a fraction, else the number.
        a.launched(d.id, d.tsDot ? buf.toString('latin1', d.tsA, d.tsB) : d.tsNeg ? -d.tsInt : d.tsInt);
      }
    } else if (ph === 0x43) this.skip('counter');
    else if (ph === 0x42 || ph === 0x45) this.skip('B/E event (not imported)');
    else if (ph === 0x69 || ph === 0x49 || ph === 0x6e) this.skip('instant event');
    else this.skip(ph === 0 ? 'no ph' : `unsupported ph "${String.fromCharCode(ph)}"`);
    return e;
  }

  /** The adapter whose device op an X event is, or undefined (counted as skipped). */
  private claim(cat: string, kind: unknown, id: number | undefined): FormatAdapter | undefined {
    for (const a of this.adapters) if (a.claims(cat, kind, id)) return a;
    const c = cat === '' ? 'no cat' : cat.length > 24 ? `${cat.slice(0, 24)}…` : cat;
    this.skip(Object.keys(this.summary.skipped).length < 40 ? `non-device span (${c})` : 'non-device span');
    return undefined;
  }

  private spanDecoded(d: EventDecoder): void {
    const pid = d.pid,
      tid = d.tid;
    const cat = d.cat ?? '';
    if (pid === undefined || tid === undefined) return this.skip('span without numeric pid/tid');
    if (!d.hasTs || !d.hasDur) return this.skip('span without ts/dur');
    const a = this.claim(cat, d.aKind, d.aId);
    if (a === undefined) return;
    const sp = this.sp;
    const origin = a.absoluteClock ? 0 : (this.originUs ?? 0);
    sp.pid = pid;
    sp.tid = tid;
    sp.name = this.intern(d.name ?? '');
    sp.cat = cat;
    // As usTextToNs of what the JSON.parse path sees: the text of a number with a fraction, else the number.
    sp.tsNs = d.tsDot
      ? usPartsToNs(d.tsNeg, d.tsInt, d.tsFracNs, origin)
      : Math.round(((d.tsNeg ? -d.tsInt : d.tsInt) - origin) * 1000);
    sp.durNs = d.durDot
      ? usPartsToNs(d.durNeg, d.durInt, d.durFracNs, 0)
      : Math.round((d.durNeg ? -d.durInt : d.durInt) * 1000);
    sp.id = d.aId;
    sp.kind = d.aKind;
    sp.detail = d.aDetail;
    sp.bytes = d.aBytes;
    sp.submitNs = d.aSubmitNs;
    sp.startNs = d.aStartNs;
    sp.endNs = d.aEndNs;
    sp.deps = d.aDeps !== undefined ? d.aDeps : EMPTY_DEPS;
    sp.correlation = d.aCorrelation;
    sp.device = d.aDevice;
    sp.stream = d.aStream;
    this.emit(sp, a);
  }

  private span(ev: Record<string, unknown>): void {
    const pid = num(ev.pid),
      tid = num(ev.tid);
    const cat = typeof ev.cat === 'string' ? ev.cat : '';
    const args = isObj(ev.args) ? ev.args : {};
    const ts = ev.ts,
      dur = ev.dur;
    if (pid === undefined || tid === undefined) return this.skip('span without numeric pid/tid');
    if (
      !(typeof ts === 'string' || typeof ts === 'number') ||
      !(typeof dur === 'string' || typeof dur === 'number')
    )
      return this.skip('span without ts/dur');
    const a = this.claim(cat, args.kind, num(args.id));
    if (a === undefined) return;
    const sp = this.sp;
    const origin = a.absoluteClock ? 0 : (this.originUs ?? 0);
    sp.pid = pid;
    sp.tid = tid;
    sp.name = this.intern(typeof ev.name === 'string' ? ev.name : '');
    sp.cat = cat;
    sp.tsNs = usTextToNs(ts, origin);
    sp.durNs = usTextToNs(dur, 0);
    sp.id = num(args.id);
    sp.kind = typeof args.kind === 'string' ? args.kind : undefined;
    sp.detail = typeof args.detail === 'string' ? args.detail : undefined;
    sp.bytes = num(args.bytes);
    sp.submitNs = num(args.submitNs);
    sp.startNs = num(args.startNs);
    sp.endNs = num(args.endNs);
    let deps = EMPTY_DEPS;
    if (Array.isArray(args.deps)) {
      const ds = args.deps.map(num).filter((x): x is number => x !== undefined);
      if (ds.length) deps = ds;
    }
    sp.deps = deps;
    sp.correlation = num(args.correlation);
    sp.device = num(args.device);
    sp.stream = num(args.stream);
    this.emit(sp, a);
  }

  /** The adapter's record of a span, out now or held back until finish() (`hold`). */
  private emit(sp: Span, a: FormatAdapter): void {
    const h = this.hold;
    h.hold = false;
    h.key = undefined;
    const rec = a.build(sp, h);
    if (h.hold) this.held.push({ rec, pid: sp.pid, tid: sp.tid, key: h.key, adapter: a });
    else this.out(rec);
  }

  /** Counts r's lane if it is new; throws TraceLimitError past maxLanes. */
  private countLane(r: OpRecord): void {
    const e = r.engine;
    if (e === this.lastEngine && r.device === this.lastDevice && r.stream === this.lastStream) return;
    let byStream = this.laneSeen.get(r.device);
    if (byStream === undefined) this.laneSeen.set(r.device, (byStream = new Map()));
    let engines = byStream.get(r.stream);
    if (engines === undefined) byStream.set(r.stream, (engines = []));
    let known = false;
    for (const x of engines)
      if (x === e || (x.kind === e.kind && x.ordinal === e.ordinal && x.index === e.index)) {
        known = true;
        break;
      }
    if (!known) {
      if (this.laneCount >= this.maxLanes) {
        throw new TraceLimitError(
          'maxLanes',
          this.maxLanes,
          `the trace has more than ${this.maxLanes} lanes (distinct device, stream and engine): lane ${this.laneCount + 1} (device ${r.device}, stream ${r.stream}) appeared after ${this.summary.eventsRead} events, ${this.summary.spans} operations — xpuscope imports at most ${this.maxLanes} lanes`,
        );
      }
      this.laneCount++;
      engines.push({ ordinal: e.ordinal, index: e.index, kind: e.kind });
    }
    this.lastEngine = e;
    this.lastDevice = r.device;
    this.lastStream = r.stream;
  }

  private out(r: OpRecord): void {
    this.countLane(r);
    this.summary.spans++;
    this.summary.edges += r.deps.length;
    if (this.opts.onRecords) {
      this.batch.push(r);
      if (this.batch.length >= (this.opts.batchSize ?? 4096)) {
        const b = this.batch;
        this.batch = [];
        this.opts.onRecords(b);
      }
    } else this.records.push(r);
  }

  async finish(): Promise<{
    devices: { device: number; name: string }[];
    timeOriginNs: number;
    originUs: number;
  }> {
    const fileFormat = this.adapters.find((a) => a.seen);
    this.format = fileFormat?.format ?? 'chrome';
    // Held records go out batch by batch, yielding between batches: a file whose records were all held
    // (metadata at the end) must not keep the caller's event loop for the whole hand-over.
    const held = this.held;
    const slice = this.opts.onRecords ? (this.opts.batchSize ?? 4096) : Infinity;
    for (let i = 0; i < held.length;) {
      const end = Math.min(held.length, i + slice);
      for (; i < end; i++) {
        this.out(held[i]!.adapter.complete(held[i]!));
        held[i] = undefined as never; // let the completed hold go
      }
      if (i < held.length) await new Promise<void>((r) => setImmediate(r));
    }
    held.length = 0;
    if (this.opts.onRecords && this.batch.length) {
      const b = this.batch;
      this.batch = [];
      this.opts.onRecords(b);
    }
    const devices = new Map<number, string>();
    fileFormat?.devices(devices);
    const absolute = fileFormat?.absoluteClock === true;
    const originUs = absolute ? 0 : (this.originUs ?? 0);
    let epochNs: number | undefined;
    for (const a of this.adapters) epochNs ??= a.epochNs();
    const timeOriginNs = absolute ? 0 : (epochNs ?? 0) + originUs * 1000;
    return {
      devices: [...devices.entries()].sort((a, b) => a[0] - b[0]).map(([device, name]) => ({ device, name })),
      timeOriginNs,
      originUs,
    };
  }

  get otherData(): Record<string, unknown> | undefined {
    return this.xpuscope.otherData;
  }
}

/** Imports a trace file (path), byte array or stream of chunks. */
export async function importTrace(source: ByteSource, options: ImportOptions = {}): Promise<ImportResult> {
  const imp = new Importer(options);
  const parser = new TraceJsonParser(
    {
      onEvent: (ev) => imp.onEvent(ev),
      onTopLevel: (k, v) => imp.onTopLevel(k, v),
      ...(options.directDecode !== false
        ? { onEventBytes: (buf, start, end, _offset, lines) => imp.onEventBytes(buf, start, end, lines) }
        : {}),
    },
    { ...options, preciseKeys: new Set(['ts', 'dur']) },
  );
  for await (const chunk of byteChunks(source, options.chunkSize)) parser.feed(chunk);
  const end = parser.end();
  const fin = await imp.finish();
  const summary: ImportSummary = {
    format: imp.format,
    bytes: end.bytes,
    ...imp.summary,
    truncated: end.truncated,
    ...(end.truncatedAt !== undefined ? { truncatedAt: end.truncatedAt } : {}),
    skippedTopLevel: end.skippedTopLevel,
  };
  const xp = imp.otherData;
  return {
    records: imp.records,
    devices: fin.devices,
    timeOriginNs: fin.timeOriginNs,
    originUs: fin.originUs,
    ...(xp ? { xpuscope: xp } : {}),
    summary,
  };
}
