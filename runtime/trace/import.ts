// Trace import: reads Chrome Trace Event JSON with the streaming parser and maps device work onto
// OpRecords. Understands xpuscope's own exports (lossless), Intel unitrace output and PyTorch
// profiler (Kineto) traces of XPU work; other Chrome traces import nothing but are summarized.
import {
  ENGINE_KINDS,
  OP_KINDS,
  type EngineKind,
  type EngineRef,
  type OpKind,
  type OpRecord,
  type OpSource,
} from '../../protocol/timeline.js';
import { type ByteSource, type JsonStreamOptions, TraceJsonParser, byteChunks } from './json-stream.js';
import { usPartsToNs, usTextToNs } from './format.js';
import { EMPTY_DEPS, EventDecoder } from './event-decoder.js';

export type TraceFormat = 'xpuscope' | 'unitrace' | 'kineto' | 'chrome';

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

type SpanFormat = 'xpuscope' | 'unitrace' | 'kineto';

/** What build() needs of an X event, filled by either decoding path (one reused object per import). */
interface Span {
  pid: number;
  tid: number;
  fmt: SpanFormat;
  name: string;
  cat: string;
  /** ts in ns relative to the format's origin (0 for xpuscope files, originUs for foreign ones). */
  tsNs: number;
  durNs: number;
  // args, as num() reads them
  id: number | undefined;
  kind: string | undefined;
  bytes: number | undefined;
  /** xpuscope files: args.detail. */
  detail: string | undefined;
  submitNs: number | undefined;
  startNs: number | undefined;
  endNs: number | undefined;
  /** xpuscope files only (foreign formats have none). */
  deps: number[];
  correlation: number | undefined;
  device: number | undefined;
  stream: number | undefined;
}

interface Pending {
  rec: OpRecord;
  pid: number;
  tid: number;
  /** Kineto correlation id / unitrace kernel id whose launch (submit) time was not seen yet. */
  corr: number | undefined;
  fmt: SpanFormat;
}

// Engine objects are shared by all records of a lane (records are read-only), so they are frozen.
const OTHER_ENGINE: EngineRef = Object.freeze({ ordinal: 0, index: 0, kind: 'other' as const });
const KINETO_ENGINE: EngineRef = Object.freeze({ ordinal: 0, index: 0, kind: 'compute' as const });

interface ThreadMeta {
  name?: string;
  xpuscope?: { device: number; stream: number; engine: EngineRef; source?: OpSource };
}

const KINETO_CATS: Record<string, OpKind> = { kernel: 'kernel', gpu_memcpy: 'copy', gpu_memset: 'fill' };
const ENGINE_KIND_SET = new Set<EngineKind>(ENGINE_KINDS);
const KIND_SET = new Set<string>(OP_KINDS);

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : undefined;

/** unitrace device op name → kind, clean name, bytes. */
export function parseUnitraceName(raw: string): { kind: OpKind; name: string; bytes: number } {
  const name = raw.replace(/^Tile #\d+:\s*/, '');
  let m =
    /^zeCommandListAppend(MemoryCopy|MemoryCopyRegion|ImageCopy\w*|MemoryCopyFromContext)(?:\(([^)]*)\))?(?:\[(\d+)\])?/.exec(
      name,
    );
  if (m) return { kind: 'copy', name: `copy${m[2] ? ` ${m[2]}` : ''}`, bytes: m[3] ? Number(m[3]) : 0 };
  m = /^zeCommandListAppendMemoryFill(?:\(([^)]*)\))?(?:\[(\d+)\])?/.exec(name);
  if (m) return { kind: 'fill', name: 'fill', bytes: m[2] ? Number(m[2]) : 0 };
  if (/^zeCommandListAppend(Barrier|MemoryRangesBarrier)/.test(name))
    return { kind: 'barrier', name: 'barrier', bytes: 0 };
  if (/^zeCommandListAppendSignalEvent/.test(name))
    return { kind: 'event-record', name: 'event record', bytes: 0 };
  if (/^zeCommandListAppendWaitOnEvents/.test(name))
    return { kind: 'event-wait', name: 'event wait', bytes: 0 };
  // Kernel: strip the " [SIMD32 {gx; gy; gz} {lx; ly; lz}]" launch configuration.
  return { kind: 'kernel', name: name.replace(/\s*\[SIMD\d*[^\]]*\]\s*$/, ''), bytes: 0 };
}

/** "Thread 1234 L0 Compute Engine<0,1>" → engine. */
export function parseUnitraceEngine(threadName: string | undefined): EngineRef {
  const m = threadName
    ? /(Compute|Copy|Render|Media)?\s*Engine\s*<\s*(\d+)\s*,\s*(\d+)\s*>/i.exec(threadName)
    : null;
  if (!m) return { ordinal: 0, index: 0, kind: 'other' };
  const k = (m[1] ?? '').toLowerCase();
  const kind: EngineKind =
    k === 'compute' ? 'compute' : k === 'copy' ? 'copy' : k === 'render' ? 'render' : 'other';
  return { ordinal: Number(m[2]), index: Number(m[3]), kind };
}

class Importer {
  format: TraceFormat = 'chrome';
  private ours: Record<string, unknown> | undefined;
  private baseNs = 0;
  private readonly processNames = new Map<number, string>();
  /** Thread metadata by pid, then tid (numeric keys: looked up per span). */
  private readonly threads = new Map<number, Map<number, ThreadMeta>>();
  private readonly pending: Pending[] = [];
  private readonly names = new Map<string, string>();
  private readonly engines = new Map<number, Map<number, EngineRef>>();
  private readonly submitByCorrelation = new Map<number, string | number>();
  private readonly appendByKernelId = new Map<number, string | number>();
  private kinetoBaseNs: number | undefined;
  private deviceProps = new Map<number, string>();
  private originUs: number | undefined;
  private nextId = 1;
  private readonly unitraceNames = new Map<string, { kind: OpKind; name: string; bytes: number }>();
  private readonly dec: EventDecoder;
  private fix = false;
  private fixCorr: number | undefined;
  private readonly sp: Span = {
    pid: 0,
    tid: 0,
    fmt: 'xpuscope',
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
  private sawUnitrace = false;
  private sawKineto = false;
  readonly records: OpRecord[] = [];
  private batch: OpRecord[] = [];
  readonly summary = { eventsRead: 0, spans: 0, flows: 0, edges: 0, skipped: {} as Record<string, number> };
  private readonly ourDevices = new Map<number, string>();

  constructor(private readonly opts: ImportOptions) {
    this.dec = new EventDecoder(opts.maxStringBytes, opts.maxNumberLength);
  }

  skip(reason: string): void {
    this.summary.skipped[reason] = (this.summary.skipped[reason] ?? 0) + 1;
  }

  onTopLevel(key: string, v: unknown): void {
    if (key === 'otherData' && isObj(v) && isObj(v.xpuscope)) {
      this.ours = v.xpuscope;
      this.baseNs = num(v.xpuscope.baseNs) ?? 0;
      this.format = 'xpuscope';
    } else if (key === 'baseTimeNanoseconds') {
      this.kinetoBaseNs = num(v);
      this.sawKineto = true;
    } else if (key === 'deviceProperties' && Array.isArray(v)) {
      this.sawKineto = true;
      for (const d of v)
        if (isObj(d) && num(d.id) !== undefined && typeof d.name === 'string')
          this.deviceProps.set(num(d.id)!, d.name);
    } else if (key === 'schemaVersion' || key === 'distributedInfo') this.sawKineto = true;
  }

  onEvent(ev: unknown): void {
    this.summary.eventsRead++;
    if (!isObj(ev)) return this.skip('not an object');
    const ph = ev.ph;
    if (this.originUs === undefined && !this.ours && (ph === 'X' || ph === 's' || ph === 't' || ph === 'f')) {
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
      if (
        ph === 's' &&
        (ev.cat === 'ac2g' || (typeof ev.cat === 'string' && ev.cat.startsWith('Flow_H2D_')))
      ) {
        // Kineto launch → kernel (id = correlation); unitrace append → device op (id = the op's args.id).
        const id = num(ev.id);
        if (id !== undefined && (typeof ev.ts === 'string' || typeof ev.ts === 'number'))
          (ev.cat === 'ac2g' ? this.submitByCorrelation : this.appendByKernelId).set(id, ev.ts);
      }
      return;
    }
    if (ph === 'C') return this.skip('counter');
    if (ph === 'B' || ph === 'E') return this.skip('B/E event (not imported)');
    if (ph === 'i' || ph === 'I' || ph === 'n') return this.skip('instant event');
    this.skip(typeof ph === 'string' ? `unsupported ph "${ph.slice(0, 8)}"` : 'no ph');
  }

  private meta(ev: Record<string, unknown>): void {
    const pid = num(ev.pid);
    const args = isObj(ev.args) ? ev.args : {};
    if (pid === undefined) return this.skip('metadata without pid');
    if (ev.name === 'process_name' && typeof args.name === 'string') {
      this.processNames.set(pid, args.name);
      if (args.name.startsWith('DEVICE')) this.sawUnitrace = true;
      if (isObj(args.xpuscope) && num(args.xpuscope.device) !== undefined)
        this.ourDevices.set(num(args.xpuscope.device)!, args.name);
    } else if (ev.name === 'thread_name') {
      const tid = num(ev.tid);
      if (tid === undefined) return this.skip('metadata without tid');
      const m: ThreadMeta = {};
      if (typeof args.name === 'string') m.name = args.name;
      const x = args.xpuscope;
      if (isObj(x) && isObj(x.engine)) {
        const kind = String(x.engine.kind) as EngineKind;
        m.xpuscope = {
          device: num(x.device) ?? pid - 1,
          stream: num(x.stream) ?? tid,
          engine: Object.freeze({
            ordinal: num(x.engine.ordinal) ?? 0,
            index: num(x.engine.index) ?? 0,
            kind: ENGINE_KIND_SET.has(kind) ? kind : 'other',
          }),
        };
        const src = x.source;
        if (
          isObj(src) &&
          num(src.pid) !== undefined &&
          typeof src.process === 'string' &&
          typeof src.device === 'string' &&
          typeof src.queue === 'string'
        )
          m.xpuscope.source = Object.freeze({
            pid: num(src.pid)!,
            process: src.process,
            device: src.device,
            queue: src.queue,
          });
      }
      let byTid = this.threads.get(pid);
      if (byTid === undefined) this.threads.set(pid, (byTid = new Map()));
      byTid.set(tid, m);
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
    if (this.originUs === undefined && !this.ours && (ph === 0x58 || flow) && d.hasTs)
      this.originUs = d.tsNeg ? -d.tsInt : d.tsInt; // floor of an integer, or the text's integer part
    if (ph === 0x58) this.spanDecoded(d);
    else if (flow) {
      this.summary.flows++;
      const cat = d.cat;
      if (ph === 0x73 && cat !== undefined && (cat === 'ac2g' || cat.startsWith('Flow_H2D_'))) {
        if (d.id !== undefined && d.hasTs) {
          // As the JSON.parse path sees ts: its source text when it has a fraction, else the number.
          const ts = d.tsDot ? buf.toString('latin1', d.tsA, d.tsB) : d.tsNeg ? -d.tsInt : d.tsInt;
          (cat === 'ac2g' ? this.submitByCorrelation : this.appendByKernelId).set(d.id, ts);
        }
      }
    } else if (ph === 0x43) this.skip('counter');
    else if (ph === 0x42 || ph === 0x45) this.skip('B/E event (not imported)');
    else if (ph === 0x69 || ph === 0x49 || ph === 0x6e) this.skip('instant event');
    else this.skip(ph === 0 ? 'no ph' : `unsupported ph "${String.fromCharCode(ph)}"`);
    return e;
  }

  /** Which format an X event belongs to, or undefined (counted as skipped). */
  private spanFormat(cat: string, kind: unknown, id: number | undefined): SpanFormat | undefined {
    if (this.ours && typeof kind === 'string' && KIND_SET.has(kind) && id !== undefined) return 'xpuscope';
    if (cat === 'gpu_op') {
      this.sawUnitrace = true;
      return 'unitrace';
    }
    if (cat in KINETO_CATS) {
      this.sawKineto = true;
      return 'kineto';
    }
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
    const fmt = this.spanFormat(cat, d.aKind, d.aId);
    if (fmt === undefined) return;
    const sp = this.sp;
    const origin = fmt === 'xpuscope' ? 0 : (this.originUs ?? 0);
    sp.pid = pid;
    sp.tid = tid;
    sp.fmt = fmt;
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
    sp.deps = fmt === 'xpuscope' && d.aDeps !== undefined ? d.aDeps : EMPTY_DEPS;
    sp.correlation = d.aCorrelation;
    sp.device = d.aDevice;
    sp.stream = d.aStream;
    this.emit(sp);
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
    const fmt = this.spanFormat(cat, args.kind, num(args.id));
    if (fmt === undefined) return;
    const sp = this.sp;
    const origin = fmt === 'xpuscope' ? 0 : (this.originUs ?? 0);
    sp.pid = pid;
    sp.tid = tid;
    sp.fmt = fmt;
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
    if (fmt === 'xpuscope' && Array.isArray(args.deps)) {
      const ds = args.deps.map(num).filter((x): x is number => x !== undefined);
      if (ds.length) deps = ds;
    }
    sp.deps = deps;
    sp.correlation = num(args.correlation);
    sp.device = num(args.device);
    sp.stream = num(args.stream);
    this.emit(sp);
  }

  private emit(sp: Span): void {
    const rec = this.build(sp);
    if (this.fix) this.pending.push({ rec, pid: sp.pid, tid: sp.tid, corr: this.fixCorr, fmt: sp.fmt });
    else this.out(rec);
  }

  private intern(s: string): string {
    const hit = this.names.get(s);
    if (hit !== undefined) return hit;
    if (this.names.size < 100_000) this.names.set(s, s);
    return s;
  }

  private out(r: OpRecord): void {
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

  private unitraceDevice(pid: number): { device: number; known: boolean } {
    const pname = this.processNames.get(pid);
    const hash = pname ? /#\s*(\d+)\s*$/.exec(pname) : null;
    return {
      device: hash ? Number(hash[1]) : pid >= 0xffff0000 ? 0xffffffff - pid : pid,
      known: pname !== undefined,
    };
  }

  private unitraceEngine(pid: number, tid: number): { engine: EngineRef; known: boolean } {
    const cached = this.engines.get(pid)?.get(tid);
    if (cached) return { engine: cached, known: true };
    const name = this.threads.get(pid)?.get(tid)?.name;
    const engine = parseUnitraceEngine(name);
    if (name !== undefined) {
      let byTid = this.engines.get(pid);
      if (byTid === undefined) this.engines.set(pid, (byTid = new Map()));
      byTid.set(tid, Object.freeze(engine));
    }
    return { engine, known: name !== undefined };
  }

  /**
   * The OpRecord of a span. Sets `fix`: lane metadata (or a Kineto launch time) is not known yet; the
   * record is held back and completed in finish() (`fixCorr`: the id whose launch/append time is missing).
   */
  private build(sp: Span): OpRecord {
    this.fixCorr = undefined;
    const origin = this.originUs ?? 0;
    if (sp.fmt === 'xpuscope') {
      const meta = this.threads.get(sp.pid)?.get(sp.tid)?.xpuscope;
      const rel0 = sp.tsNs,
        d = sp.durNs;
      const startNs = sp.startNs ?? this.baseNs + rel0;
      const endNs = sp.endNs ?? this.baseNs + (rel0 + d);
      const rec: OpRecord = {
        id: sp.id!,
        device: meta?.device ?? sp.pid - 1,
        stream: meta?.stream ?? sp.tid,
        engine: meta ? meta.engine : OTHER_ENGINE,
        kind: sp.kind as OpKind,
        name: sp.name,
        bytes: sp.bytes ?? 0,
        submitNs: sp.submitNs ?? startNs,
        startNs,
        endNs,
        deps: sp.deps,
      };
      if (meta?.source) rec.source = meta.source;
      if (sp.detail !== undefined) rec.detail = sp.detail;
      this.fix = meta === undefined;
      return rec;
    }
    const startNs = sp.tsNs;
    const endNs = startNs + Math.max(0, sp.durNs);
    if (sp.fmt === 'unitrace') {
      const { kind, name, bytes } = this.unitraceName(sp.name);
      const dev = this.unitraceDevice(sp.pid);
      const eng = this.unitraceEngine(sp.pid, sp.tid);
      const kid = sp.id;
      const appended = kid !== undefined ? this.appendByKernelId.get(kid) : undefined;
      const rec: OpRecord = {
        id: this.nextId++,
        device: dev.device,
        stream: sp.tid,
        engine: eng.engine,
        kind,
        name,
        bytes,
        submitNs: appended !== undefined ? usTextToNs(appended, origin) : startNs,
        startNs,
        endNs,
        deps: EMPTY_DEPS,
      };
      const waitSubmit = kid !== undefined && appended === undefined;
      this.fix = !dev.known || !eng.known || waitSubmit;
      if (waitSubmit) this.fixCorr = kid;
      return rec;
    }
    // Kineto.
    const corr = sp.correlation;
    const launched = corr !== undefined ? this.submitByCorrelation.get(corr) : undefined;
    const submitNs = launched !== undefined ? usTextToNs(launched, origin) : startNs;
    const rec: OpRecord = {
      id: this.nextId++,
      device: sp.device ?? sp.pid,
      stream: sp.stream ?? sp.tid,
      engine: KINETO_ENGINE,
      kind: KINETO_CATS[sp.cat] ?? 'kernel',
      name: sp.name,
      bytes: sp.bytes ?? 0,
      submitNs,
      startNs,
      endNs,
      deps: EMPTY_DEPS,
    };
    this.fix = corr !== undefined && launched === undefined;
    if (this.fix) this.fixCorr = corr;
    return rec;
  }

  /** parseUnitraceName, cached (a trace has few distinct names); names are interned. */
  private unitraceName(raw: string): { kind: OpKind; name: string; bytes: number } {
    let hit = this.unitraceNames.get(raw);
    if (hit === undefined) {
      const p = parseUnitraceName(raw);
      hit = { kind: p.kind, name: this.intern(p.name), bytes: p.bytes };
      if (this.unitraceNames.size < 100_000) this.unitraceNames.set(raw, hit);
    }
    return hit;
  }

  /** Completes a held-back record with what is known at the end. */
  private fixup(p: Pending): OpRecord {
    const r = p.rec;
    const origin = this.originUs ?? 0;
    if (p.fmt === 'xpuscope') {
      const meta = this.threads.get(p.pid)?.get(p.tid)?.xpuscope;
      if (meta) {
        r.device = meta.device;
        r.stream = meta.stream;
        r.engine = meta.engine;
        if (meta.source) r.source = meta.source;
      }
    } else if (p.fmt === 'kineto') {
      const launched = p.corr !== undefined ? this.submitByCorrelation.get(p.corr) : undefined;
      if (launched !== undefined) r.submitNs = usTextToNs(launched, origin);
    } else {
      r.device = this.unitraceDevice(p.pid).device;
      r.engine = this.unitraceEngine(p.pid, p.tid).engine;
      const appended = p.corr !== undefined ? this.appendByKernelId.get(p.corr) : undefined;
      if (appended !== undefined) r.submitNs = usTextToNs(appended, origin);
    }
    return r;
  }

  finish(): { devices: { device: number; name: string }[]; timeOriginNs: number; originUs: number } {
    if (!this.ours) this.format = this.sawUnitrace ? 'unitrace' : this.sawKineto ? 'kineto' : 'chrome';
    for (const p of this.pending) this.out(this.fixup(p));
    this.pending.length = 0;
    if (this.opts.onRecords && this.batch.length) {
      const b = this.batch;
      this.batch = [];
      this.opts.onRecords(b);
    }
    const devices = new Map<number, string>();
    if (this.format === 'xpuscope') for (const [d, n] of this.ourDevices) devices.set(d, n);
    else if (this.format === 'unitrace') {
      for (const [pid, pname] of this.processNames) {
        if (!pname.startsWith('DEVICE')) continue;
        const hash = /#\s*(\d+)\s*$/.exec(pname);
        const device = hash ? Number(hash[1]) : pid >= 0xffff0000 ? 0xffffffff - pid : pid;
        const m = /^DEVICE.*?\[(.*)\]\s*(\S+)?/.exec(pname);
        devices.set(device, m ? `${m[1]}${m[2] && !m[2].startsWith('#') ? ` ${m[2]}` : ''}` : pname);
      }
    } else if (this.format === 'kineto') {
      for (const [d, n] of this.deviceProps) devices.set(d, n);
      for (const r of this.records)
        if (!devices.has(r.device))
          devices.set(r.device, this.processNames.get(r.device) ?? `XPU ${r.device}`);
    }
    const originUs = this.format === 'xpuscope' ? 0 : (this.originUs ?? 0);
    const timeOriginNs = this.format === 'xpuscope' ? 0 : (this.kinetoBaseNs ?? 0) + originUs * 1000;
    return {
      devices: [...devices.entries()].sort((a, b) => a[0] - b[0]).map(([device, name]) => ({ device, name })),
      timeOriginNs,
      originUs,
    };
  }

  get otherData(): Record<string, unknown> | undefined {
    return this.ours;
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
  const fin = imp.finish();
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
