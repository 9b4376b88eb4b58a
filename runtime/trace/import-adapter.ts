// What the trace importer (import.ts) and its per-format adapters (import-xpuscope.ts,
// import-unitrace.ts, import-kineto.ts) share: the span an X event decodes to, a record held back
// until the end, the importer state an adapter may read, and the adapter interface itself.
import type { OpRecord } from '../../protocol/timeline.js';

export type SpanFormat = 'xpuscope' | 'unitrace' | 'kineto';

/** What an adapter's build() needs of an X event, filled by either decoding path (one reused object per import). */
export interface Span {
  pid: number;
  tid: number;
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
  /** args.deps (only xpuscope files have them; other adapters ignore them). */
  deps: number[];
  correlation: number | undefined;
  device: number | undefined;
  stream: number | undefined;
}

/** A record held back by build() until the end, when its lane metadata or submit time may be known. */
export interface Held {
  rec: OpRecord;
  pid: number;
  tid: number;
  /** The id (Kineto correlation, unitrace kernel id) whose launch/append time was not seen yet. */
  key: number | undefined;
  adapter: FormatAdapter;
}

/** build()'s second result, in one reused object: hold the record back (and for which key). */
export interface Hold {
  hold: boolean;
  key: number | undefined;
}

/** What an adapter may read of the importer. */
export interface ImportContext {
  /** The first timed event's whole microsecond (foreign formats' time origin); undefined before. */
  readonly originUs: number | undefined;
  /** process_name metadata by pid. */
  readonly processNames: ReadonlyMap<number, string>;
  /** Records collected so far (empty when streaming with onRecords). */
  readonly records: readonly OpRecord[];
  /** thread_name metadata's name, if any. */
  threadName(pid: number, tid: number): string | undefined;
  /** The next op id for formats whose ops have none of their own (shared by all of them). */
  nextId(): number;
  /** The same string for equal names (a trace has few distinct names). */
  intern(s: string): string;
}

/**
 * One source format. The importer reads the file once, hands each adapter the top-level keys and
 * metadata, asks the adapters in order (xpuscope, unitrace, Kineto) which one claims an X event, and
 * lets the claiming one build the OpRecord; at the end, the first adapter (in that order) that saw its
 * format decides the summary's format and the device names ('chrome' when none did).
 */
export interface FormatAdapter {
  readonly format: SpanFormat;
  /** Evidence of this format was seen (a top-level key, metadata or a claimed span). */
  readonly seen: boolean;
  /** Its span times are absolute host ns (xpuscope files), not relative to the import's origin. */
  readonly absoluteClock: boolean;
  /** A top-level value of the file (otherData, baseTimeNanoseconds …). */
  topLevel(key: string, v: unknown): void;
  /** process_name metadata (args.name a string). */
  processName(pid: number, name: string, args: Record<string, unknown>): void;
  /** thread_name metadata (a new one for the lane replaces the earlier). */
  threadName(pid: number, tid: number, args: Record<string, unknown>): void;
  /** An X event of this format's device work? (`kind`, `id`: args.kind, args.id). Marks the format seen. */
  claims(cat: string, kind: unknown, id: number | undefined): boolean;
  /** A flow start (ph "s") of this category links this format's ops: launched() gets its id and ts. */
  linksFlow(cat: string): boolean;
  launched(id: number, ts: string | number): void;
  /** The OpRecord of a claimed span; `hold` says whether it must wait for complete(). */
  build(sp: Span, hold: Hold): OpRecord;
  /** Completes a held-back record with what is known at the end. */
  complete(h: Held): OpRecord;
  /** Device names, when this is the file's format. */
  devices(out: Map<number, string>): void;
  /** The epoch ns of the format's time zero, when the file says (Kineto's baseTimeNanoseconds). */
  epochNs(): number | undefined;
}

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : undefined;
