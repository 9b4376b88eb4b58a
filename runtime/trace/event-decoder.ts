// Direct decoder for the common shape of one Chrome trace event, straight from the file's bytes: no
// per-event string of the whole event, no JSON.parse, no regex, no object for the event or its args.
// It reads the fields the importer uses (ph, cat, name, pid, tid, id, ts, dur and args.{id, kind, bytes,
// submitNs, startNs, endNs, deps, correlation, device, stream}) into its own reused fields, validates
// everything else strictly and skips it.
//
// It is only a fast path: whenever it meets something it does not handle exactly as JSON.parse + the
// importer would — a known field of an unexpected type, a duplicate known key, an escaped key, an
// exponent or > 15 digits where the value is needed, deep nesting, the end of the chunk, anything that
// is not valid JSON — it declines (decode() returns -1) and the event goes through JSON.parse (and, if
// that fails, the byte-level parser that says where it is broken). Declining has no side effects.

import { EVENT_BYTES_MAX_DEPTH } from './json-stream.js';

// Deepest nesting followed inside an event (the event object is level 1): EVENT_BYTES_MAX_DEPTH.
const TOP_KEYS = ['ph', 'cat', 'name', 'pid', 'tid', 'ts', 'dur', 'id', 'args'] as const;
const ARG_KEYS = [
  'id',
  'kind',
  'bytes',
  'submitNs',
  'startNs',
  'endNs',
  'deps',
  'correlation',
  'device',
  'stream',
  'detail',
] as const;
// Key ids: index in the list + 1 (0 = a key the decoder does not read).
const K_PH = 1,
  K_CAT = 2,
  K_NAME = 3,
  K_PID = 4,
  K_TID = 5,
  K_TS = 6,
  K_DUR = 7,
  K_ID = 8,
  K_ARGS = 9;
const A_ID = 1,
  A_KIND = 2,
  A_BYTES = 3,
  A_SUBMIT = 4,
  A_START = 5,
  A_END = 6,
  A_DEPS = 7,
  A_CORR = 8,
  A_DEVICE = 9,
  A_STREAM = 10,
  A_DETAIL = 11;

/** Keys grouped by byte length: table[len] = [[bytes, id], …]. */
function keyTable(keys: readonly string[]): [Uint8Array, number][][] {
  const t: [Uint8Array, number][][] = [];
  keys.forEach((k, i) => (t[k.length] ??= []).push([Buffer.from(k, 'latin1'), i + 1]));
  return t;
}
const TOP_TABLE = keyTable(TOP_KEYS);
const ARG_TABLE = keyTable(ARG_KEYS);

function matchKey(table: [Uint8Array, number][][], buf: Uint8Array, a: number, b: number): number {
  const list = table[b - a];
  if (list === undefined) return 0;
  for (let k = 0; k < list.length; k++) {
    const [bytes, id] = list[k]!;
    let j = 0;
    while (j < bytes.length && bytes[j] === buf[a + j]) j++;
    if (j === bytes.length) return id;
  }
  return 0;
}

/** Integers with more digits than this may not be exact as doubles: declined where the value is used. */
const MAX_EXACT_DIGITS = 15;
/** Fraction digits of ts/dur handled directly (more: declined, usTextToNs rounds them). */
const MAX_TIME_FRACTION_DIGITS = 9;

const CACHE_SIZE = 1024; // power of two
const CACHE_MAX_BYTES = 64;

/** The deps of every record without dependencies (frozen: records are read-only). */
export const EMPTY_DEPS: number[] = Object.freeze([]) as unknown as number[];

/** Newlines seen inside the last decoded event (the stream parser keeps line numbers with them). */
export interface LineCount {
  count: number;
  /** Index in the chunk of the last newline. */
  last: number;
}

export class EventDecoder {
  // ---- results of the last successful decode() ------------------------------------------------
  /** Char code of a one-character "ph" (0: absent). */
  ph = 0;
  cat: string | undefined = undefined;
  name: string | undefined = undefined;
  pid: number | undefined = undefined;
  tid: number | undefined = undefined;
  /** Top-level "id" (flows). */
  id: number | undefined = undefined;
  /** ts / dur as sign, integer µs and ns of the fraction (0…1000, rounded like usTextToNs). */
  hasTs = false;
  tsNeg = false;
  tsInt = 0;
  tsFracNs = 0;
  /** The ts number had a fraction: as JSON text it is delivered as text (see the importer's preciseKeys). */
  tsDot = false;
  /** Byte range of ts's source text in the chunk. */
  tsA = 0;
  tsB = 0;
  hasDur = false;
  durNeg = false;
  durInt = 0;
  durFracNs = 0;
  durDot = false;
  /** args present (always an object when decode() succeeds). */
  hasArgs = false;
  aId: number | undefined = undefined;
  aKind: string | undefined = undefined;
  /** args.detail (xpuscope files: OpRecord.detail). */
  aDetail: string | undefined = undefined;
  aBytes: number | undefined = undefined;
  aSubmitNs: number | undefined = undefined;
  aStartNs: number | undefined = undefined;
  aEndNs: number | undefined = undefined;
  /** args.deps (integers); a shared empty array when empty. */
  aDeps: number[] | undefined = undefined;
  aCorrelation: number | undefined = undefined;
  aDevice: number | undefined = undefined;
  aStream: number | undefined = undefined;

  // ---- scanner state ---------------------------------------------------------------------------
  private lines: LineCount = { count: 0, last: -1 };
  // Last string: content bytes [sA, sB), had a backslash, all ASCII, FNV-1a hash.
  private sA = 0;
  private sB = 0;
  private sEsc = false;
  private sAscii = true;
  private sHash = 0;
  // Last number: sign, integer part (exact when nIntDigits ≤ 15), fraction, exponent.
  private nNeg = false;
  private nInt = 0;
  private nIntDigits = 0;
  private nDot = false;
  private nFracDigits = 0;
  private nFracNs = 0;
  private nExp = false;
  private seen = 0;
  private argSeen = 0;
  // Interned strings: direct-mapped by hash; the bytes are compared on a hit.
  private readonly cacheBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(CACHE_SIZE);
  private readonly cacheStr: string[] = new Array<string>(CACHE_SIZE).fill('');

  constructor(
    private readonly maxStringBytes = 16 * 1024 * 1024,
    private readonly maxNumberLength = 64,
  ) {}

  /**
   * Decodes the event object whose '{' is at buf[start], reading no further than `end`. Returns the index
   * just past its '}', or -1 to decline (then the results are meaningless). `lines` gets the newlines
   * inside the event.
   */
  decode(buf: Uint8Array, start: number, end: number, lines: LineCount): number {
    this.ph = 0;
    this.cat = this.name = undefined;
    this.pid = this.tid = this.id = undefined;
    this.hasTs = this.hasDur = this.hasArgs = false;
    this.aId = this.aBytes = this.aSubmitNs = this.aStartNs = this.aEndNs = undefined;
    this.aCorrelation = this.aDevice = this.aStream = undefined;
    this.aKind = undefined;
    this.aDetail = undefined;
    this.aDeps = undefined;
    this.seen = this.argSeen = 0;
    this.lines = lines;
    lines.count = 0;
    let i = this.ws(buf, start + 1, end);
    if (i >= end) return -1;
    if (buf[i] === 0x7d) return i + 1;
    for (;;) {
      if (buf[i] !== 0x22) return -1;
      i = this.str(buf, i, end);
      if (i < 0 || this.sEsc) return -1; // an escaped key could spell a known one: JSON.parse decides
      const key = matchKey(TOP_TABLE, buf, this.sA, this.sB);
      i = this.colon(buf, i, end);
      if (i < 0) return -1;
      if (key !== 0) {
        const bit = 1 << key;
        if (this.seen & bit) return -1; // duplicate: JSON.parse keeps the last one
        this.seen |= bit;
      }
      const c = buf[i]!;
      switch (key) {
        case K_PH:
          if (c !== 0x22) return -1;
          i = this.str(buf, i, end);
          if (i < 0 || this.sEsc || this.sB - this.sA !== 1 || buf[this.sA]! >= 0x80) return -1;
          this.ph = buf[this.sA]!;
          break;
        case K_CAT:
        case K_NAME: {
          if (c !== 0x22) return -1;
          i = this.str(buf, i, end);
          if (i < 0) return -1;
          const s = this.text(buf);
          if (s === undefined) return -1;
          if (key === K_CAT) this.cat = s;
          else this.name = s;
          break;
        }
        case K_PID:
        case K_TID:
        case K_ID: {
          i = this.int(buf, i, end);
          if (i < 0) return -1;
          const v = this.nNeg ? -this.nInt : this.nInt;
          if (key === K_PID) this.pid = v;
          else if (key === K_TID) this.tid = v;
          else this.id = v;
          break;
        }
        case K_TS:
        case K_DUR: {
          const a = i;
          i = this.num(buf, i, end);
          if (
            i < 0 ||
            this.nExp ||
            this.nIntDigits > MAX_EXACT_DIGITS ||
            this.nFracDigits > MAX_TIME_FRACTION_DIGITS
          )
            return -1;
          if (key === K_TS) {
            this.hasTs = true;
            this.tsNeg = this.nNeg;
            this.tsInt = this.nInt;
            this.tsFracNs = this.nFracNs;
            this.tsDot = this.nDot;
            this.tsA = a;
            this.tsB = i;
          } else {
            this.hasDur = true;
            this.durNeg = this.nNeg;
            this.durInt = this.nInt;
            this.durFracNs = this.nFracNs;
            this.durDot = this.nDot;
          }
          break;
        }
        case K_ARGS:
          if (c !== 0x7b) return -1;
          this.hasArgs = true;
          i = this.args(buf, i, end);
          break;
        default:
          i = this.skip(buf, i, end, 1);
      }
      if (i < 0) return -1;
      i = this.ws(buf, i, end);
      if (i >= end) return -1;
      const d = buf[i]!;
      if (d === 0x7d) return i + 1;
      if (d !== 0x2c) return -1;
      i = this.ws(buf, i + 1, end);
    }
  }

  private args(buf: Uint8Array, i: number, end: number): number {
    i = this.ws(buf, i + 1, end);
    if (i >= end) return -1;
    if (buf[i] === 0x7d) return i + 1;
    for (;;) {
      if (buf[i] !== 0x22) return -1;
      i = this.str(buf, i, end);
      if (i < 0 || this.sEsc) return -1;
      const key = matchKey(ARG_TABLE, buf, this.sA, this.sB);
      i = this.colon(buf, i, end);
      if (i < 0) return -1;
      if (key !== 0) {
        const bit = 1 << key;
        if (this.argSeen & bit) return -1;
        this.argSeen |= bit;
      }
      switch (key) {
        case 0:
          i = this.skip(buf, i, end, 2);
          break;
        case A_KIND:
          if (buf[i] !== 0x22) return -1;
          i = this.str(buf, i, end);
          if (i < 0) return -1;
          this.aKind = this.text(buf);
          if (this.aKind === undefined) return -1;
          break;
        case A_DEPS:
          i = this.deps(buf, i, end);
          break;
        case A_DETAIL:
          if (buf[i] !== 0x22) return -1;
          i = this.str(buf, i, end);
          if (i < 0) return -1;
          this.aDetail = this.text(buf);
          if (this.aDetail === undefined) return -1;
          break;
        default: {
          i = this.int(buf, i, end);
          if (i < 0) return -1;
          const v = this.nNeg ? -this.nInt : this.nInt;
          if (key === A_ID) this.aId = v;
          else if (key === A_BYTES) this.aBytes = v;
          else if (key === A_SUBMIT) this.aSubmitNs = v;
          else if (key === A_START) this.aStartNs = v;
          else if (key === A_END) this.aEndNs = v;
          else if (key === A_CORR) this.aCorrelation = v;
          else if (key === A_DEVICE) this.aDevice = v;
          else if (key === A_STREAM) this.aStream = v;
        }
      }
      if (i < 0) return -1;
      i = this.ws(buf, i, end);
      if (i >= end) return -1;
      const d = buf[i]!;
      if (d === 0x7d) return i + 1;
      if (d !== 0x2c) return -1;
      i = this.ws(buf, i + 1, end);
    }
  }

  /** args.deps: an array of integers (anything else: declined). */
  private deps(buf: Uint8Array, i: number, end: number): number {
    if (buf[i] !== 0x5b) return -1;
    i = this.ws(buf, i + 1, end);
    if (i >= end) return -1;
    if (buf[i] === 0x5d) {
      this.aDeps = EMPTY_DEPS;
      return i + 1;
    }
    const out: number[] = [];
    for (;;) {
      i = this.int(buf, i, end);
      if (i < 0) return -1;
      out.push(this.nNeg ? -this.nInt : this.nInt);
      i = this.ws(buf, i, end);
      if (i >= end) return -1;
      const d = buf[i]!;
      if (d === 0x5d) {
        this.aDeps = out;
        return i + 1;
      }
      if (d !== 0x2c) return -1;
      i = this.ws(buf, i + 1, end);
    }
  }

  /** Validates any JSON value and steps over it. */
  private skip(buf: Uint8Array, i: number, end: number, depth: number): number {
    if (i >= end) return -1;
    const c = buf[i]!;
    if (c === 0x22) {
      i = this.str(buf, i, end);
      return i < 0 || (this.sEsc && this.escaped(buf) === undefined) ? -1 : i;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.num(buf, i, end);
    if (c === 0x74) return this.literal(buf, i, end, 0x72, 0x75, 0x65, -1); // true
    if (c === 0x6e) return this.literal(buf, i, end, 0x75, 0x6c, 0x6c, -1); // null
    if (c === 0x66) return this.literal(buf, i, end, 0x61, 0x6c, 0x73, 0x65); // false
    if (c !== 0x7b && c !== 0x5b) return -1;
    if (depth + 1 > EVENT_BYTES_MAX_DEPTH) return -1;
    const isObj = c === 0x7b;
    const close = isObj ? 0x7d : 0x5d;
    i = this.ws(buf, i + 1, end);
    if (i >= end) return -1;
    if (buf[i] === close) return i + 1;
    for (;;) {
      if (isObj) {
        if (buf[i] !== 0x22) return -1;
        i = this.str(buf, i, end);
        if (i < 0 || (this.sEsc && this.escaped(buf) === undefined)) return -1;
        i = this.colon(buf, i, end);
        if (i < 0) return -1;
      }
      i = this.skip(buf, i, end, depth + 1);
      if (i < 0) return -1;
      i = this.ws(buf, i, end);
      if (i >= end) return -1;
      const d = buf[i]!;
      if (d === close) return i + 1;
      if (d !== 0x2c) return -1;
      i = this.ws(buf, i + 1, end);
    }
  }

  private literal(
    buf: Uint8Array,
    i: number,
    end: number,
    b1: number,
    b2: number,
    b3: number,
    b4: number,
  ): number {
    const n = b4 < 0 ? 4 : 5;
    if (i + n > end) return -1;
    if (buf[i + 1] !== b1 || buf[i + 2] !== b2 || buf[i + 3] !== b3 || (b4 >= 0 && buf[i + 4] !== b4))
      return -1;
    return i + n;
  }

  /** Whitespace; counts newlines. */
  private ws(buf: Uint8Array, i: number, end: number): number {
    while (i < end) {
      const c = buf[i]!;
      if (c === 0x20 || c === 0x09 || c === 0x0d) i++;
      else if (c === 0x0a) {
        this.lines.count++;
        this.lines.last = i;
        i++;
      } else break;
    }
    return i;
  }

  /** After a key: whitespace, ':', whitespace; returns the index of the value. */
  private colon(buf: Uint8Array, i: number, end: number): number {
    i = this.ws(buf, i, end);
    if (i >= end || buf[i] !== 0x3a) return -1;
    i = this.ws(buf, i + 1, end);
    return i >= end ? -1 : i;
  }

  /** A string at buf[i] === '"': sets sA/sB/sEsc/sAscii/sHash, returns the index past the closing quote. */
  private str(buf: Uint8Array, i: number, end: number): number {
    let j = i + 1;
    let h = 0x811c9dc5 | 0;
    let esc = false,
      ascii = true;
    for (;;) {
      if (j >= end) return -1;
      const c = buf[j]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        esc = true;
        j += 2;
        continue;
      }
      if (c < 0x20) return -1;
      if (c >= 0x80) ascii = false;
      h = Math.imul(h ^ c, 16777619);
      j++;
    }
    if (j - i - 1 > this.maxStringBytes) return -1;
    this.sA = i + 1;
    this.sB = j;
    this.sEsc = esc;
    this.sAscii = ascii;
    this.sHash = h;
    return j + 1;
  }

  /** The last string's value (undefined: a bad escape). Short unescaped strings are interned. */
  private text(buf: Uint8Array): string | undefined {
    if (this.sEsc) return this.escaped(buf);
    const a = this.sA,
      b = this.sB,
      n = b - a;
    if (n > CACHE_MAX_BYTES)
      return Buffer.prototype.toString.call(buf, this.sAscii ? 'latin1' : 'utf8', a, b);
    const slot = this.sHash & (CACHE_SIZE - 1);
    const hit = this.cacheBytes[slot];
    if (hit !== undefined && hit.length === n) {
      let j = 0;
      while (j < n && hit[j] === buf[a + j]) j++;
      if (j === n) return this.cacheStr[slot];
    }
    const s = Buffer.prototype.toString.call(buf, this.sAscii ? 'latin1' : 'utf8', a, b) as string;
    this.cacheBytes[slot] = Uint8Array.prototype.slice.call(buf, a, b);
    this.cacheStr[slot] = s;
    return s;
  }

  /** A string with escapes, decoded (and validated) by JSON.parse. */
  private escaped(buf: Uint8Array): string | undefined {
    try {
      return JSON.parse(
        Buffer.prototype.toString.call(buf, 'utf8', this.sA - 1, this.sB + 1) as string,
      ) as string;
    } catch {
      return undefined;
    }
  }

  /** An integer with ≤ 15 digits (no fraction, no exponent). */
  private int(buf: Uint8Array, i: number, end: number): number {
    i = this.num(buf, i, end);
    return i < 0 || this.nDot || this.nExp || this.nIntDigits > MAX_EXACT_DIGITS ? -1 : i;
  }

  /**
   * A JSON number (strict grammar), returns the index past it. Sets nNeg, nInt (the integer part, exact
   * up to 15 digits), nDot, nFracDigits, nFracNs (the first three fraction digits as ns, + 1 when the
   * fourth is ≥ 5 — what usTextToNs's rounding gives for ≤ 9 fraction digits), nExp.
   */
  private num(buf: Uint8Array, i: number, end: number): number {
    const start = i;
    let neg = false;
    if (buf[i] === 0x2d) {
      neg = true;
      i++;
    }
    if (i >= end) return -1;
    let c = buf[i]!;
    let int = 0,
      digits = 0;
    if (c === 0x30) {
      i++;
      digits = 1;
    } else if (c >= 0x31 && c <= 0x39) {
      while (i < end && (c = buf[i]!) >= 0x30 && c <= 0x39) {
        int = int * 10 + (c - 0x30);
        digits++;
        i++;
      }
    } else return -1;
    let dot = false,
      fracDigits = 0,
      frac = 0;
    if (i < end && buf[i] === 0x2e) {
      dot = true;
      i++;
      while (i < end && (c = buf[i]!) >= 0x30 && c <= 0x39) {
        if (fracDigits < 3) frac = frac * 10 + (c - 0x30);
        else if (fracDigits === 3 && c >= 0x35) frac++;
        fracDigits++;
        i++;
      }
      if (fracDigits === 0) return -1;
      if (fracDigits === 1) frac *= 100;
      else if (fracDigits === 2) frac *= 10;
    }
    let exp = false;
    if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
      exp = true;
      i++;
      if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
      const e0 = i;
      while (i < end && (c = buf[i]!) >= 0x30 && c <= 0x39) i++;
      if (i === e0) return -1;
    }
    // The number must be followed by something in this chunk (it could go on in the next one).
    if (i >= end || i - start > this.maxNumberLength) return -1;
    this.nNeg = neg;
    this.nInt = int;
    this.nIntDigits = digits;
    this.nDot = dot;
    this.nFracDigits = fracDigits;
    this.nFracNs = frac;
    this.nExp = exp;
    return i;
  }
}
