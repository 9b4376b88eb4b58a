// Streaming JSON reader for trace files: a byte-level tokenizer fed chunk by chunk that hands each element
// of the trace's event array to a callback, without ever holding the file as one string. Handles the
// `{"traceEvents":[…], …}` object form (other top-level values are passed to onTopLevel, within a size
// budget) and the bare-array form, tokens split across chunk boundaries, files past V8's string limit,
// and truncated files (missing closing brackets, a half-written last event): everything complete is
// delivered and end() reports where the file stopped. Malformed input throws TraceParseError with the
// byte offset, line and column. Memory stays bounded: nesting depth, string, number and event sizes are
// capped.
import { createReadStream } from 'node:fs';

export interface JsonStreamOptions {
  /** Deepest nesting of arrays/objects accepted (default 64). */
  maxDepth?: number;
  /** Longest string accepted, in UTF-8 bytes (default 16 MiB). */
  maxStringBytes?: number;
  /** Longest number token accepted, in characters (default 64). */
  maxNumberLength?: number;
  /** Most values (nodes) in one event; more is an error (default 1 000 000). */
  maxEventNodes?: number;
  /** Budget for each other top-level value (otherData, deviceProperties …); larger ones are skipped (default 1 000 000 nodes). */
  maxTopLevelNodes?: number;
  /** Largest single event, in bytes (default 64 MiB). */
  maxEventBytes?: number;
  /**
   * Fast path (default true): each object element of the event array is delimited by a byte scan and
   * decoded with JSON.parse; only an element JSON.parse rejects goes through the byte-level parser, to say
   * exactly where it is broken. false: everything goes through the byte-level parser.
   */
  fastElements?: boolean;
  /** Inside events, numbers under these keys are delivered as their source text (exact: e.g. "ts", "dur"). */
  preciseKeys?: ReadonlySet<string>;
}

export interface JsonStreamSink {
  /** One element of the event array (usually an object); `offset` is the byte offset of its first byte. */
  onEvent(event: unknown, offset: number): void;
  /** A top-level key's value (object form only, keys other than traceEvents), once complete. */
  onTopLevel?(key: string, value: unknown): void;
  /**
   * Optional direct decoder (fast path only): called with the chunk and the index of an event object's
   * '{' (byte offset `offset` in the input). It may handle the event itself and return the index just
   * past its '}' (the event then counts as delivered; onEvent is not called), or return -1 to decline
   * without side effects — e.g. the event goes on past `end` (the chunk or maxEventBytes) or is anything
   * it does not decode exactly like JSON.parse — and the event takes the normal path. Must not throw on
   * malformed input (declining lets the normal path say where it is broken). `lines` gets the newlines
   * inside the event.
   */
  onEventBytes?(
    buf: Buffer,
    start: number,
    end: number,
    offset: number,
    lines: { count: number; last: number },
  ): number;
}

/** Deepest nesting a sink's onEventBytes may follow inside an event (the parser checks maxDepth with it). */
export const EVENT_BYTES_MAX_DEPTH = 8;

export interface JsonStreamResult {
  /** Bytes consumed. */
  bytes: number;
  /** Elements delivered to onEvent. */
  events: number;
  /** 'object': {"traceEvents": […]}; 'array': a bare array of events. */
  form: 'object' | 'array';
  /** Whether the object form had a traceEvents array. */
  sawTraceEvents: boolean;
  /** The input ended before the JSON was complete. */
  truncated: boolean;
  /** When truncated: byte offset of the first event not delivered (the half-written one), or the end of input. */
  truncatedAt?: number;
  /** Top-level keys whose values were over maxTopLevelNodes and skipped. */
  skippedTopLevel: string[];
}

export class TraceParseError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(`invalid trace JSON at byte ${offset} (line ${line}, column ${column}): ${reason}`);
    this.name = 'TraceParseError';
  }
}

// Parser states.
const S_START = 0, // before the top-level value
  S_VALUE = 1, // expecting a value
  S_ARR_FIRST = 2, // after '[': a value or ']'
  S_OBJ_FIRST = 3, // after '{': a key or '}'
  S_OBJ_KEY = 4, // after ',' in an object: a key
  S_COLON = 5,
  S_AFTER = 6, // after a value: ',' or a closing bracket
  S_DONE = 7,
  S_STRING = 8,
  S_NUMBER = 9,
  S_LITERAL = 10,
  S_ELEMENT = 11; // inside an event object on the fast path

// Frame roles.
const R_PLAIN = 0,
  R_TOP = 1, // the top-level object
  R_EVENTS = 2; // the event array

interface Frame {
  isObj: boolean;
  role: number;
  /** The value being built, or null when skipped/not materialized. */
  value: Record<string, unknown> | unknown[] | null;
  key: string | null;
}

const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;
const NUM = new Uint8Array(256);
for (const c of '0123456789+-.eE') NUM[c.charCodeAt(0)] = 1;
const BOM = [0xef, 0xbb, 0xbf];
const NUMBER_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function setKey(obj: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[key] = v;
}

export class TraceJsonParser {
  private readonly maxDepth: number;
  private readonly maxStringBytes: number;
  private readonly maxNumberLength: number;
  private readonly maxEventNodes: number;
  private readonly maxTopLevelNodes: number;
  private readonly preciseKeys: ReadonlySet<string> | undefined;
  private readonly preciseRe: RegExp | undefined;
  private readonly maxEventBytes: number;
  private readonly fast: boolean;
  private readonly options: JsonStreamOptions;
  // Fast-path element scan.
  private elDepth = 0;
  private elInString = false;
  private elEsc = false;
  private elParts: Uint8Array[] = [];
  private elBytes = 0;
  private elLine = 1;
  private elCol = 1;
  private readonly lineCount = { count: 0, last: -1 };
  private readonly direct: boolean;

  private state = S_START;
  private readonly stack: Frame[] = [];
  private pos = 0; // absolute offset of the current chunk's first byte
  private line = 1;
  private lineStart = 0;
  private form: 'object' | 'array' | undefined;
  private sawTraceEvents = false;
  private events = 0;
  private readonly skippedTopLevel: string[] = [];

  // Token in progress.
  private strIsKey = false;
  private strEsc = false; // a backslash ended the previous chunk
  private strHasEsc = false;
  private strParts: Uint8Array[] = [];
  private strLen = 0;
  private strSkip = false; // value not materialized: don't decode
  private tokText = ''; // number/literal text carried across chunks
  private tokStart = 0;

  // The event (element of the event array) being built.
  private eventStart = -1;
  private eventNodes = 0;
  // Top-level value being built (object form, key other than traceEvents).
  private topNodes = 0;
  private topSkipping = false;

  constructor(
    private readonly sink: JsonStreamSink,
    options: JsonStreamOptions = {},
  ) {
    this.maxDepth = options.maxDepth ?? 64;
    this.maxStringBytes = options.maxStringBytes ?? 16 * 1024 * 1024;
    this.maxNumberLength = options.maxNumberLength ?? 64;
    this.maxEventNodes = options.maxEventNodes ?? 1_000_000;
    this.maxTopLevelNodes = options.maxTopLevelNodes ?? 1_000_000;
    this.preciseKeys = options.preciseKeys;
    this.maxEventBytes = options.maxEventBytes ?? 64 * 1024 * 1024;
    this.fast = options.fastElements ?? true;
    this.direct = this.fast && sink.onEventBytes !== undefined;
    this.options = options;
    const keys = [...(options.preciseKeys ?? [])].filter((k) => /^[A-Za-z0-9_]+$/.test(k));
    // Quotes the fractional numbers of precise keys so that JSON.parse keeps their text.
    this.preciseRe = keys.length
      ? new RegExp(`"(${keys.join('|')})"(\\s*):(\\s*)(-?\\d+\\.\\d+(?:[eE][-+]?\\d+)?)`, 'g')
      : undefined;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  private fail(reason: string, at: number): never {
    const line = this.line;
    const column = Math.max(1, at - this.lineStart + 1);
    throw new TraceParseError(reason, at, line, column);
  }

  private describe(c: number): string {
    return c >= 0x20 && c < 0x7f
      ? `'${String.fromCharCode(c)}'`
      : `byte 0x${c.toString(16).padStart(2, '0')}`;
  }

  feed(input: Uint8Array): void {
    const buf = Buffer.isBuffer(input)
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const len = buf.length;
    let i = 0;
    while (i < len) {
      const st = this.state;
      if (st === S_STRING) {
        i = this.scanString(buf, i, len);
        continue;
      }
      if (st === S_ELEMENT) {
        i = this.scanElement(buf, i, len);
        continue;
      }
      if (st === S_NUMBER || st === S_LITERAL) {
        i = this.scanToken(buf, i, len);
        continue;
      }
      const c = buf[i]!;
      if (WS[c]) {
        if (c === 0x0a) {
          this.line++;
          this.lineStart = this.pos + i + 1;
        }
        i++;
        continue;
      }
      const at = this.pos + i;
      switch (st) {
        case S_START:
          if (at < 3 && c === BOM[at]) {
            i++; // UTF-8 byte-order mark
            break;
          }
          if (c === 0x7b) {
            this.form = 'object';
            this.stack.push({ isObj: true, role: R_TOP, value: null, key: null });
            this.state = S_OBJ_FIRST;
          } else if (c === 0x5b) {
            this.form = 'array';
            this.sawTraceEvents = true;
            this.stack.push({ isObj: false, role: R_EVENTS, value: null, key: null });
            this.state = S_ARR_FIRST;
          } else this.fail(`a trace must start with '{' or '[', found ${this.describe(c)}`, at);
          i++;
          break;
        case S_VALUE:
        case S_ARR_FIRST:
          if (c === 0x5d && st === S_ARR_FIRST) {
            i++;
            this.closeContainer(false, at);
            break;
          }
          if (c === 0x7b && this.fast && this.stack[this.stack.length - 1]!.role === R_EVENTS) {
            if (this.stack.length >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`, at);
            if (this.direct && this.stack.length + EVENT_BYTES_MAX_DEPTH <= this.maxDepth) {
              const lines = this.lineCount;
              const e = this.sink.onEventBytes!(buf, i, Math.min(len, i + this.maxEventBytes), at, lines);
              if (e > 0) {
                if (lines.count > 0) {
                  this.line += lines.count;
                  this.lineStart = this.pos + lines.last + 1;
                }
                this.events++;
                this.state = S_AFTER;
                i = e;
                break;
              }
            }
            this.eventStart = at;
            this.elLine = this.line;
            this.elCol = at - this.lineStart + 1;
            this.elDepth = 1;
            this.elInString = false;
            this.elEsc = false;
            this.elParts = [];
            this.elBytes = 0;
            this.state = S_ELEMENT;
            i = this.scanElement(buf, i + 1, len);
            break;
          }
          i = this.beginValue(buf, i, len, c, at);
          break;
        case S_OBJ_FIRST:
        case S_OBJ_KEY:
          if (c === 0x22) {
            this.beginString(true);
            i++;
          } else if (c === 0x7d && st === S_OBJ_FIRST) {
            i++;
            this.closeContainer(true, at);
          } else
            this.fail(
              `expected a string key${st === S_OBJ_FIRST ? " or '}'" : ''}, found ${this.describe(c)}`,
              at,
            );
          break;
        case S_COLON:
          if (c !== 0x3a) this.fail(`expected ':' after an object key, found ${this.describe(c)}`, at);
          this.state = S_VALUE;
          i++;
          break;
        case S_AFTER: {
          const top = this.stack[this.stack.length - 1]!;
          if (c === 0x2c) this.state = top.isObj ? S_OBJ_KEY : S_VALUE;
          else if (c === 0x7d && top.isObj) this.closeContainer(true, at);
          else if (c === 0x5d && !top.isObj) this.closeContainer(false, at);
          else this.fail(`expected ',' or '${top.isObj ? '}' : ']'}', found ${this.describe(c)}`, at);
          i++;
          break;
        }
        case S_DONE:
          this.fail(`unexpected ${this.describe(c)} after the end of the trace`, at);
      }
    }
    // Unfinished tokens (string bytes, number text, an event's bytes) were saved by their scanners.
    this.pos += len;
  }

  /** Call once the input is exhausted. */
  end(): JsonStreamResult {
    if (this.form === undefined) this.fail('empty input: no JSON value', this.pos);
    const complete = this.state === S_DONE;
    let truncatedAt: number | undefined;
    if (!complete) truncatedAt = this.eventStart >= 0 ? this.eventStart : this.pos;
    return {
      bytes: this.pos,
      events: this.events,
      form: this.form,
      sawTraceEvents: this.sawTraceEvents,
      truncated: !complete,
      ...(truncatedAt !== undefined ? { truncatedAt } : {}),
      skippedTopLevel: this.skippedTopLevel,
    };
  }

  // ---- fast path: one event object, delimited by a byte scan, decoded by JSON.parse --------------

  private scanElement(buf: Buffer, i: number, len: number): number {
    let j = i;
    let d = this.elDepth;
    const startInChunk = this.eventStart - this.pos;
    const from = startInChunk >= 0 ? startInChunk : i; // the element's '{' when it is in this chunk
    while (j < len) {
      if (this.elInString) {
        if (this.elEsc) {
          this.elEsc = false;
          j++;
          continue;
        }
        const q = buf.indexOf(0x22, j);
        if (q < 0) {
          let k = len - 1,
            bs = 0;
          while (k >= j && buf[k] === 0x5c) {
            bs++;
            k--;
          }
          this.elEsc = (bs & 1) === 1;
          break;
        }
        let k = q - 1,
          bs = 0;
        while (k >= j && buf[k] === 0x5c) {
          bs++;
          k--;
        }
        j = q + 1;
        if ((bs & 1) === 0) this.elInString = false;
        continue;
      }
      const c = buf[j]!;
      if (c === 0x22) this.elInString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (++d + this.stack.length > this.maxDepth) {
          this.elDepth = d;
          this.fail(`nesting deeper than ${this.maxDepth}`, this.pos + j);
        }
      } else if (c === 0x7d || c === 0x5d) {
        if (--d === 0) {
          this.elDepth = 0;
          this.finishElement(buf, from, j + 1);
          return j + 1;
        }
      } else if (c === 0x0a) {
        this.line++;
        this.lineStart = this.pos + j + 1;
      }
      j++;
    }
    this.elDepth = d;
    const n = len - from;
    this.elBytes += n;
    if (this.elBytes > this.maxEventBytes)
      this.fail(
        `event starting at byte ${this.eventStart} is larger than ${this.maxEventBytes} bytes`,
        this.pos + len,
      );
    if (n > 0) this.elParts.push(Uint8Array.prototype.slice.call(buf, from, len));
    return len;
  }

  private finishElement(buf: Buffer, from: number, to: number): void {
    let text: string;
    if (this.elParts.length === 0) text = buf.toString('utf8', from, to);
    else {
      this.elParts.push(buf.subarray(from, to));
      const all = Buffer.concat(this.elParts);
      this.elParts = [];
      text = all.toString('utf8');
    }
    const total = this.elBytes + (to - from);
    this.elBytes = 0;
    if (total > this.maxEventBytes)
      this.fail(
        `event starting at byte ${this.eventStart} is larger than ${this.maxEventBytes} bytes`,
        this.pos + to,
      );
    if (this.preciseRe) text = text.replace(this.preciseRe, '"$1"$2:$3"$4"');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.locateElementError(text, (e as Error).message);
    }
    this.completeValue(value);
  }

  /** Re-reads a bad element with the byte-level parser to say exactly where it is broken. */
  private locateElementError(text: string, message: string): never {
    const sub = new TraceJsonParser(
      { onEvent: () => {} },
      { ...this.options, fastElements: false, preciseKeys: new Set() },
    );
    try {
      sub.feed(Buffer.from('['));
      sub.feed(Buffer.from(text, 'utf8'));
      sub.feed(Buffer.from(']'));
      sub.end();
    } catch (err) {
      if (err instanceof TraceParseError) {
        const rel = err.offset - 1;
        const line = this.elLine + err.line - 1;
        const column = err.line === 1 ? this.elCol + err.column - 2 : err.column;
        throw new TraceParseError(err.reason, this.eventStart + rel, line, column);
      }
      throw err;
    }
    throw new TraceParseError(`invalid event (${message})`, this.eventStart, this.elLine, this.elCol);
  }

  // ---- values -------------------------------------------------------------------------------------

  /** Whether a value starting now is materialized. */
  private materializing(): boolean {
    const top = this.stack[this.stack.length - 1];
    if (!top) return false;
    if (top.role === R_EVENTS) return true;
    if (top.role === R_TOP) return !this.topSkipping;
    return top.value !== null;
  }

  private countNode(at: number): void {
    const top = this.stack[this.stack.length - 1]!;
    if (this.eventStart >= 0) {
      if (++this.eventNodes > this.maxEventNodes)
        this.fail(`event starting at byte ${this.eventStart} has more than ${this.maxEventNodes} values`, at);
    } else if (top.role === R_TOP || this.stack.length > 1) {
      if (!this.topSkipping && ++this.topNodes > this.maxTopLevelNodes) {
        this.topSkipping = true;
        for (let k = 1; k < this.stack.length; k++) this.stack[k]!.value = null;
      }
    }
  }

  private beginValue(buf: Buffer, i: number, len: number, c: number, at: number): number {
    const parent = this.stack[this.stack.length - 1]!;
    if (parent.role === R_EVENTS) {
      this.eventStart = at;
      this.eventNodes = 0;
    } else if (parent.role === R_TOP) {
      this.topNodes = 0;
      this.topSkipping = false;
    }
    if (c === 0x7b || c === 0x5b) {
      const isObj = c === 0x7b;
      if (this.stack.length >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`, at);
      if (parent.role === R_TOP && parent.key === 'traceEvents' && !isObj) {
        this.sawTraceEvents = true;
        this.stack.push({ isObj: false, role: R_EVENTS, value: null, key: null });
        this.state = S_ARR_FIRST;
        return i + 1;
      }
      const mat = this.materializing();
      this.countNode(at);
      const value = mat && !this.topSkipping ? (isObj ? ({} as Record<string, unknown>) : []) : null;
      this.stack.push({
        isObj,
        role: R_PLAIN,
        value: this.eventStart >= 0 ? (value ?? (isObj ? {} : [])) : value,
        key: null,
      });
      this.state = isObj ? S_OBJ_FIRST : S_ARR_FIRST;
      return i + 1;
    }
    if (c === 0x22) {
      this.beginString(false);
      return i + 1;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      this.state = S_NUMBER;
      this.tokText = '';
      this.tokStart = at;
      return i;
    }
    if (c >= 0x61 && c <= 0x7a) {
      this.state = S_LITERAL;
      this.tokText = '';
      this.tokStart = at;
      return i;
    }
    this.fail(`expected a value, found ${this.describe(c)}`, at);
  }

  /** A scalar or a closed container's value is complete. */
  private completeValue(v: unknown): void {
    const top = this.stack[this.stack.length - 1];
    this.state = S_AFTER;
    if (!top) {
      this.state = S_DONE;
      return;
    }
    if (top.role === R_EVENTS) {
      this.events++;
      const start = this.eventStart;
      this.eventStart = -1;
      this.sink.onEvent(v, start);
      return;
    }
    if (top.role === R_TOP) {
      const key = top.key!;
      if (this.topSkipping) this.skippedTopLevel.push(key);
      else this.sink.onTopLevel?.(key, v);
      this.topSkipping = false;
      return;
    }
    if (top.value === null) return;
    if (top.isObj) setKey(top.value as Record<string, unknown>, top.key!, v);
    else (top.value as unknown[]).push(v);
  }

  private closeContainer(isObj: boolean, at: number): void {
    const f = this.stack.pop()!;
    if (f.isObj !== isObj) this.fail('mismatched bracket', at);
    if (f.role === R_EVENTS) {
      if (this.stack.length === 0) this.state = S_DONE;
      else this.state = S_AFTER;
      return;
    }
    if (f.role === R_TOP) {
      this.state = S_DONE;
      return;
    }
    this.completeValue(f.value);
  }

  // ---- strings ------------------------------------------------------------------------------------

  private beginString(isKey: boolean): void {
    this.state = S_STRING;
    this.strIsKey = isKey;
    this.strEsc = false;
    this.strHasEsc = false;
    this.strParts = [];
    this.strLen = 0;
    const top = this.stack[this.stack.length - 1]!;
    // Keys of the top-level object are always decoded; other strings only when their value is kept.
    this.strSkip = isKey
      ? top.role !== R_TOP && top.value === null && top.role !== R_EVENTS
      : !this.materializing();
    if (!isKey) this.countNode(this.pos);
  }

  private scanString(buf: Buffer, i: number, len: number): number {
    let j = i;
    if (this.strEsc) {
      this.strEsc = false;
      j++;
    }
    const segStart = i;
    for (;;) {
      if (j >= len) {
        this.stringPart(buf, segStart, len);
        return len;
      }
      let q = buf.indexOf(0x22, j);
      if (q < 0) q = len;
      let k = j;
      while (k < q && buf[k]! >= 0x20 && buf[k] !== 0x5c) k++;
      if (k < q && buf[k]! < 0x20)
        this.fail(
          `unescaped control character 0x${buf[k]!.toString(16).padStart(2, '0')} in a string`,
          this.pos + k,
        );
      if (k < q) {
        // A backslash before the quote: skip the escaped byte and keep looking.
        this.strHasEsc = true;
        j = k + 2;
        if (j > len) {
          this.stringPart(buf, segStart, len);
          this.strEsc = true;
          return len;
        }
        continue;
      }
      if (q === len) {
        this.stringPart(buf, segStart, len);
        return len;
      }
      // String ends at q.
      this.finishString(buf, segStart, q);
      return q + 1;
    }
  }

  private stringPart(buf: Buffer, a: number, b: number): void {
    this.strLen += b - a;
    if (this.strLen > this.maxStringBytes)
      this.fail(`string longer than ${this.maxStringBytes} bytes`, this.pos + b);
    if (!this.strSkip && b > a) this.strParts.push(Uint8Array.prototype.slice.call(buf, a, b));
  }

  private finishString(buf: Buffer, a: number, b: number): void {
    this.strLen += b - a;
    if (this.strLen > this.maxStringBytes)
      this.fail(`string longer than ${this.maxStringBytes} bytes`, this.pos + b);
    let s = '';
    if (!this.strSkip) {
      let raw: string;
      if (this.strParts.length === 0) raw = buf.toString('utf8', a, b);
      else {
        this.strParts.push(buf.subarray(a, b));
        raw = Buffer.concat(this.strParts).toString('utf8');
        this.strParts = [];
      }
      if (this.strHasEsc) {
        try {
          s = JSON.parse(`"${raw}"`) as string;
        } catch (e) {
          this.fail(`bad string escape or control character (${(e as Error).message})`, this.pos + a);
        }
      } else s = raw;
    }
    this.strParts = [];
    if (this.strIsKey) {
      const top = this.stack[this.stack.length - 1]!;
      top.key = s;
      this.state = S_COLON;
    } else this.completeValue(s);
  }

  // ---- numbers and literals -----------------------------------------------------------------------

  private scanToken(buf: Buffer, i: number, len: number): number {
    const isNum = this.state === S_NUMBER;
    let j = i;
    if (isNum) while (j < len && NUM[buf[j]!]) j++;
    else
      while (j < len) {
        const c = buf[j]!;
        if (c < 0x61 || c > 0x7a) break;
        j++;
      }
    this.tokText += buf.toString('latin1', i, j);
    if (this.tokText.length > (isNum ? this.maxNumberLength : 5))
      this.fail(
        isNum
          ? `number longer than ${this.maxNumberLength} characters`
          : `unknown literal '${this.tokText.slice(0, 8)}…'`,
        this.tokStart,
      );
    if (j === len) return len; // may continue in the next chunk
    const t = this.tokText;
    this.tokText = '';
    if (isNum) {
      if (!NUMBER_RE.test(t)) this.fail(`invalid number '${t}'`, this.tokStart);
      const top = this.stack[this.stack.length - 1]!;
      const precise =
        this.eventStart >= 0 && this.preciseKeys !== undefined && top.isObj && this.preciseKeys.has(top.key!);
      this.countNode(this.tokStart);
      this.completeValue(precise ? t : Number(t));
    } else {
      let v: boolean | null;
      if (t === 'true') v = true;
      else if (t === 'false') v = false;
      else if (t === 'null') v = null;
      else this.fail(`unknown literal '${t}'`, this.tokStart);
      this.countNode(this.tokStart);
      this.completeValue(v);
    }
    return j;
  }
}

export type ByteSource = string | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Chunks of a path (read with fs.createReadStream), a byte array, or an (async) iterable of chunks. */
export async function* byteChunks(source: ByteSource, chunkSize = 1 << 20): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') {
    for await (const chunk of createReadStream(source, { highWaterMark: chunkSize })) yield chunk as Buffer;
  } else if (source instanceof Uint8Array) {
    for (let o = 0; o < source.length; o += chunkSize) yield source.subarray(o, o + chunkSize);
  } else yield* source as AsyncIterable<Uint8Array>;
}

/** Parses a whole source, delivering events to the sink. */
export async function parseTraceJson(
  source: ByteSource,
  sink: JsonStreamSink,
  options: JsonStreamOptions & { chunkSize?: number } = {},
): Promise<JsonStreamResult> {
  const p = new TraceJsonParser(sink, options);
  for await (const chunk of byteChunks(source, options.chunkSize)) p.feed(chunk);
  return p.end();
}
