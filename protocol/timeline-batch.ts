// Columnar batches for live consumers, and their binary encoding (one ArrayBuffer: WebSocket binary
// frames, Electron MessagePorts). Pure TypeScript with no Node imports, so a browser-side consumer can use
// the same code (it only needs TextEncoder/TextDecoder).
import { ENGINE_KINDS, OP_KINDS, type EngineKind, type OpRecord, type OpSource } from './timeline.js';

/** Lane descriptor as carried in a batch (Timeline's LaneInfo, with the names as string-table ids). */
export interface BatchLane {
  id: number;
  device: number;
  stream: number;
  engine: { ordinal: number; index: number; kind: EngineKind };
  /** A recorded program's lane: its pid, and string ids of its process, device and lane names. */
  source?: { pid: number; process: number; device: number; queue: number };
}

/**
 * Operations appended since a cursor, column-wise. Row i is one operation: lane[i] (a lane id; the
 * descriptor came in this or an earlier batch), id[i], kind[i] (index into OP_KINDS), name[i] (id into the
 * string table: strings[name[i] - stringBase] when new in this batch), bytes/submit/start/end[i] (ns).
 * Each typed array owns its own ArrayBuffer (transferable) when it comes from Timeline.batchSince;
 * decodeBatch returns views into the decoded buffer instead.
 */
export interface TimelineBatch {
  /**
   * Drop everything held before applying this batch (its ids start afresh): the consumer now views
   * another capture, or the one it views was cleared. Carried in the batch itself so that it is
   * ordered with the batches on every transport (the Electron app's batches take their own port).
   */
  reset?: boolean;
  /** Operations this consumer will never see: evicted from the ring before it asked. */
  dropped: number;
  droppedEdges: number;
  /** Lanes new since the cursor. */
  lanes: BatchLane[];
  /** Id of strings[0] in the interned string table; strings is the table's delta since the cursor. */
  stringBase: number;
  strings: string[];
  count: number;
  lane: Uint32Array;
  id: Float64Array;
  kind: Uint8Array;
  name: Uint32Array;
  /** String id + 1 of the op's detail (OpRecord.detail); 0 when it has none. */
  detail: Uint32Array;
  bytes: Float64Array;
  submit: Float64Array;
  start: Float64Array;
  end: Float64Array;
  /** Dependency edges since the cursor: edgeFrom[j] → edgeTo[j] (op ids). */
  edgeFrom: Float64Array;
  edgeTo: Float64Array;
}

// TextEncoder/TextDecoder exist in browsers and Node alike, but protocol/ compiles without DOM or Node
// type libraries, so describe the two members we use.
interface TextCodecs {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string, opts: { fatal: boolean }) => { decode(b: Uint8Array): string };
}
const codecs = globalThis as unknown as TextCodecs;

export const BATCH_MAGIC = 0x42545058; // "XPTB" read as little-endian u32
/**
 * 2: lanes grew to 48 bytes to name a recorded program's process, device and queue.
 * 3: a u32 `detail` column (string id + 1, 0 = none) after `name`.
 */
export const BATCH_VERSION = 3;
const HEADER_BYTES = 64;
/** Header flags (u16 at offset 6). */
const FLAG_RESET = 1;
const LANE_BYTES = 48;
/** A lane's name field when it has none. */
const NO_STRING = 0xffffffff;
/** u32 columns per row: lane, name, detail. */
const U32_COLUMNS = 3;
/** Engine kind codes are positions in ENGINE_KINDS, as op kind codes are in OP_KINDS (append only). */
const ENGINE_KIND_CODES: readonly EngineKind[] = ENGINE_KINDS;

export class BatchDecodeError extends Error {
  constructor(message: string) {
    super(`timeline batch: ${message}`);
    this.name = 'BatchDecodeError';
  }
}

/** The ArrayBuffers of a batch's columns, for postMessage(…, transfer). */
export function batchTransferables(b: TimelineBatch): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const a of [
    b.lane,
    b.id,
    b.kind,
    b.name,
    b.detail,
    b.bytes,
    b.submit,
    b.start,
    b.end,
    b.edgeFrom,
    b.edgeTo,
  ]) {
    if (a.buffer instanceof ArrayBuffer) set.add(a.buffer);
  }
  return [...set];
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** Where each section starts (and the bytes they take) for `n` rows, `nLanes` lanes, `stringBytes` of strings, `ne` edges. */
function sections(n: number, nLanes: number, stringBytes: number, ne: number) {
  const oLanes = HEADER_BYTES;
  const oStrings = oLanes + nLanes * LANE_BYTES;
  const oF64 = pad8(oStrings + stringBytes);
  const oU32 = oF64 + (5 * n + 2 * ne) * 8;
  const oU8 = pad8(oU32 + U32_COLUMNS * n * 4);
  return { oLanes, oStrings, oF64, oU32, oU8, total: oU8 + n };
}
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encodes a batch into one ArrayBuffer. Layout (little-endian, every section 8-byte aligned):
 * 64-byte header [magic u32, version u16, flags u16 (bit 0: reset), count u32, laneCount u32, stringBase u32,
 * stringCount u32, edgeCount u32, reserved u32, dropped f64, droppedEdges f64, stringBytes u32, 0…];
 * lanes (48 bytes each: id, device, ordinal, index u32, engine kind u8 + 7 reserved, stream f64, pid u32,
 * process, device and queue name string ids u32 — 0xFFFFFFFF when the lane is not a recorded one);
 * strings (u32 UTF-8 length + bytes, each); f64 columns id, bytes, submit, start, end, edgeFrom, edgeTo;
 * u32 columns lane, name, detail; u8 column kind.
 */
export function encodeBatch(b: TimelineBatch): ArrayBuffer {
  const enc = new codecs.TextEncoder();
  const strBytes = b.strings.map((s) => enc.encode(s));
  const stringBytes = strBytes.reduce((n, s) => n + 4 + s.length, 0);
  const n = b.count,
    ne = b.edgeFrom.length;
  if (b.edgeTo.length !== ne) throw new RangeError('edgeFrom and edgeTo differ in length');
  for (const a of [b.lane, b.id, b.kind, b.name, b.detail, b.bytes, b.submit, b.start, b.end]) {
    if (a.length !== n) throw new RangeError(`batch column length ${a.length} != count ${n}`);
  }
  const { oLanes, oStrings, oF64, oU8, total } = sections(n, b.lanes.length, stringBytes, ne);
  const buf = new ArrayBuffer(pad8(total));
  const dv = new DataView(buf);
  const u8 = new Uint8Array(buf);
  dv.setUint32(0, BATCH_MAGIC, true);
  dv.setUint16(4, BATCH_VERSION, true);
  dv.setUint16(6, b.reset ? FLAG_RESET : 0, true);
  dv.setUint32(8, n, true);
  dv.setUint32(12, b.lanes.length, true);
  dv.setUint32(16, b.stringBase, true);
  dv.setUint32(20, b.strings.length, true);
  dv.setUint32(24, ne, true);
  dv.setFloat64(32, b.dropped, true);
  dv.setFloat64(40, b.droppedEdges, true);
  dv.setUint32(48, stringBytes, true);
  let o = oLanes;
  for (const l of b.lanes) {
    dv.setUint32(o, l.id, true);
    dv.setUint32(o + 4, l.device, true);
    dv.setUint32(o + 8, l.engine.ordinal, true);
    dv.setUint32(o + 12, l.engine.index, true);
    const k = ENGINE_KIND_CODES.indexOf(l.engine.kind);
    dv.setUint8(o + 16, k < 0 ? 3 : k);
    dv.setFloat64(o + 24, l.stream, true);
    dv.setUint32(o + 32, l.source?.pid ?? 0, true);
    dv.setUint32(o + 36, l.source?.process ?? NO_STRING, true);
    dv.setUint32(o + 40, l.source?.device ?? NO_STRING, true);
    dv.setUint32(o + 44, l.source?.queue ?? NO_STRING, true);
    o += LANE_BYTES;
  }
  o = oStrings;
  for (const s of strBytes) {
    dv.setUint32(o, s.length, true);
    u8.set(s, o + 4);
    o += 4 + s.length;
  }
  o = oF64;
  const putF64 = (a: Float64Array): void => {
    if (LITTLE_ENDIAN) new Float64Array(buf, o, a.length).set(a);
    else for (let i = 0; i < a.length; i++) dv.setFloat64(o + 8 * i, a[i]!, true);
    o += a.length * 8;
  };
  for (const a of [b.id, b.bytes, b.submit, b.start, b.end, b.edgeFrom, b.edgeTo]) putF64(a);
  const putU32 = (a: Uint32Array): void => {
    if (LITTLE_ENDIAN) new Uint32Array(buf, o, a.length).set(a);
    else for (let i = 0; i < a.length; i++) dv.setUint32(o + 4 * i, a[i]!, true);
    o += a.length * 4;
  };
  putU32(b.lane);
  putU32(b.name);
  putU32(b.detail);
  u8.set(b.kind, oU8);
  return buf;
}

/** Decodes encodeBatch's output. Columns are views into `data` when it is suitably aligned (no copy). */
export function decodeBatch(data: ArrayBuffer | ArrayBufferView): TimelineBatch {
  let buf: ArrayBuffer, base: number, len: number;
  if (data instanceof ArrayBuffer) {
    buf = data;
    base = 0;
    len = data.byteLength;
  } else {
    if (!(data.buffer instanceof ArrayBuffer))
      throw new BatchDecodeError('SharedArrayBuffer input is not supported');
    buf = data.buffer;
    base = data.byteOffset;
    len = data.byteLength;
  }
  if (base % 8 !== 0) {
    // Copy to an aligned buffer so the column views below are legal.
    const copy = new Uint8Array(len);
    copy.set(new Uint8Array(buf, base, len));
    buf = copy.buffer;
    base = 0;
  }
  if (len < HEADER_BYTES)
    throw new BatchDecodeError(`${len} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  const dv = new DataView(buf, base, len);
  const magic = dv.getUint32(0, true);
  if (magic !== BATCH_MAGIC)
    throw new BatchDecodeError(`bad magic 0x${magic.toString(16)} (expected 0x${BATCH_MAGIC.toString(16)})`);
  const version = dv.getUint16(4, true);
  if (version !== BATCH_VERSION)
    throw new BatchDecodeError(`unsupported version ${version} (this build reads ${BATCH_VERSION})`);
  const flags = dv.getUint16(6, true);
  const n = dv.getUint32(8, true);
  const nLanes = dv.getUint32(12, true);
  const stringBase = dv.getUint32(16, true);
  const nStrings = dv.getUint32(20, true);
  const ne = dv.getUint32(24, true);
  const dropped = dv.getFloat64(32, true);
  const droppedEdges = dv.getFloat64(40, true);
  const stringBytes = dv.getUint32(48, true);
  const { oLanes, oStrings, oF64, oU8, total } = sections(n, nLanes, stringBytes, ne);
  if (total > len) throw new BatchDecodeError(`truncated: header describes ${total} bytes, got ${len}`);
  const lanes: BatchLane[] = [];
  for (let i = 0, o = oLanes; i < nLanes; i++, o += LANE_BYTES) {
    const k = dv.getUint8(o + 16);
    const lane: BatchLane = {
      id: dv.getUint32(o, true),
      device: dv.getUint32(o + 4, true),
      stream: dv.getFloat64(o + 24, true),
      engine: {
        ordinal: dv.getUint32(o + 8, true),
        index: dv.getUint32(o + 12, true),
        kind: ENGINE_KIND_CODES[k] ?? 'other',
      },
    };
    const process = dv.getUint32(o + 36, true);
    if (process !== NO_STRING) {
      const names = {
        pid: dv.getUint32(o + 32, true),
        process,
        device: dv.getUint32(o + 40, true),
        queue: dv.getUint32(o + 44, true),
      };
      if (names.device === NO_STRING || names.queue === NO_STRING)
        throw new BatchDecodeError(`lane ${lane.id}: a recorded lane needs its device and queue names`);
      if (Math.max(names.process, names.device, names.queue) >= stringBase + nStrings)
        throw new BatchDecodeError(`lane ${lane.id}: name string id beyond the string table`);
      lane.source = names;
    }
    lanes.push(lane);
  }
  const dec = new codecs.TextDecoder('utf-8', { fatal: true });
  const strings: string[] = [];
  for (let i = 0, o = oStrings; i < nStrings; i++) {
    if (o + 4 > oStrings + stringBytes)
      throw new BatchDecodeError(`string table overruns its ${stringBytes} bytes`);
    const sl = dv.getUint32(o, true);
    if (o + 4 + sl > oStrings + stringBytes)
      throw new BatchDecodeError(`string ${i} overruns the string table`);
    strings.push(dec.decode(new Uint8Array(buf, base + o + 4, sl)));
    o += 4 + sl;
  }
  let o = oF64;
  const f64 = (count: number): Float64Array => {
    let a: Float64Array;
    if (LITTLE_ENDIAN) a = new Float64Array(buf, base + o, count);
    else {
      a = new Float64Array(count);
      for (let i = 0; i < count; i++) a[i] = dv.getFloat64(o + 8 * i, true);
    }
    o += 8 * count;
    return a;
  };
  const id = f64(n),
    bytes = f64(n),
    submit = f64(n),
    start = f64(n),
    end = f64(n),
    edgeFrom = f64(ne),
    edgeTo = f64(ne);
  const u32 = (count: number): Uint32Array => {
    let a: Uint32Array;
    if (LITTLE_ENDIAN) a = new Uint32Array(buf, base + o, count);
    else {
      a = new Uint32Array(count);
      for (let i = 0; i < count; i++) a[i] = dv.getUint32(o + 4 * i, true);
    }
    o += 4 * count;
    return a;
  };
  const lane = u32(n),
    name = u32(n),
    detail = u32(n);
  const kind = new Uint8Array(buf, base + oU8, n);
  for (let i = 0; i < n; i++)
    if (kind[i]! >= OP_KINDS.length)
      throw new BatchDecodeError(`row ${i}: op kind code ${kind[i]} out of range`);
  const strEnd = stringBase + nStrings;
  for (let i = 0; i < n; i++)
    if (detail[i]! > strEnd)
      throw new BatchDecodeError(`row ${i}: detail string id ${detail[i]! - 1} beyond the string table`);
  const batch: TimelineBatch = {
    dropped,
    droppedEdges,
    lanes,
    stringBase,
    strings,
    count: n,
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
  if (flags & FLAG_RESET) batch.reset = true;
  return batch;
}

/**
 * Where a batch's numbering ends, read from its header and lane and id columns without decoding the
 * rest: one past the largest lane id, string id and op id it carries. Undefined when `data` is not a
 * batch of this version (bad magic, version, or sizes).
 */
export function batchExtent(data: ArrayBuffer): { lanes: number; strings: number; ops: number } | undefined {
  if (data.byteLength < HEADER_BYTES) return undefined;
  const dv = new DataView(data);
  if (dv.getUint32(0, true) !== BATCH_MAGIC || dv.getUint16(4, true) !== BATCH_VERSION) return undefined;
  const n = dv.getUint32(8, true);
  const nLanes = dv.getUint32(12, true);
  const stringBase = dv.getUint32(16, true);
  const nStrings = dv.getUint32(20, true);
  const ne = dv.getUint32(24, true);
  const stringBytes = dv.getUint32(48, true);
  const { oLanes, oF64, oU32 } = sections(n, nLanes, stringBytes, ne);
  if (oU32 > data.byteLength) return undefined;
  let lanes = 0;
  for (let i = 0, o = oLanes; i < nLanes; i++, o += LANE_BYTES)
    lanes = Math.max(lanes, dv.getUint32(o, true) + 1);
  let ops = 0;
  for (let i = 0, o = oF64; i < n; i++, o += 8) ops = Math.max(ops, dv.getFloat64(o, true) + 1);
  return { lanes, strings: nStrings > 0 ? stringBase + nStrings : 0, ops };
}

/**
 * Consumer-side state: feed it batches in order and it keeps the lane descriptors and string table,
 * turning rows back into OpRecords (deps from the batch's edges where both arrived together).
 */
export class BatchReader {
  readonly lanes = new Map<number, BatchLane>();
  readonly strings: string[] = [];
  /** dropped/droppedEdges add up across resets (what this reader was never shown). */
  private readonly sources = new Map<number, OpSource>();
  dropped = 0;
  droppedEdges = 0;

  apply(b: TimelineBatch): OpRecord[] {
    if (b.reset) {
      this.lanes.clear();
      this.strings.length = 0;
      this.sources.clear();
    }
    if (b.stringBase > this.strings.length)
      throw new RangeError(
        `missed strings ${this.strings.length}…${b.stringBase - 1} (batches out of order?)`,
      );
    for (let i = 0; i < b.strings.length; i++) this.strings[b.stringBase + i] = b.strings[i]!;
    for (const l of b.lanes) {
      this.lanes.set(l.id, l);
      if (l.source)
        this.sources.set(l.id, {
          pid: l.source.pid,
          process: this.strings[l.source.process] ?? '',
          device: this.strings[l.source.device] ?? '',
          queue: this.strings[l.source.queue] ?? '',
        });
    }
    this.dropped += b.dropped;
    this.droppedEdges += b.droppedEdges;
    const deps = new Map<number, number[]>();
    for (let j = 0; j < b.edgeTo.length; j++) {
      const to = b.edgeTo[j]!;
      let d = deps.get(to);
      if (!d) deps.set(to, (d = []));
      d.push(b.edgeFrom[j]!);
    }
    const out: OpRecord[] = [];
    for (let i = 0; i < b.count; i++) {
      const lane = this.lanes.get(b.lane[i]!);
      if (!lane) throw new RangeError(`row ${i}: unknown lane ${b.lane[i]}`);
      const name = this.strings[b.name[i]!];
      if (name === undefined) throw new RangeError(`row ${i}: unknown string id ${b.name[i]}`);
      const id = b.id[i]!;
      const rec: OpRecord = {
        id,
        device: lane.device,
        stream: lane.stream,
        engine: { ...lane.engine },
        kind: OP_KINDS[b.kind[i]!] ?? 'kernel',
        name,
        bytes: b.bytes[i]!,
        submitNs: b.submit[i]!,
        startNs: b.start[i]!,
        endNs: b.end[i]!,
        deps: deps.get(id) ?? [],
      };
      const source = this.sources.get(lane.id);
      if (source) rec.source = source;
      const d = b.detail[i]!;
      if (d > 0) {
        const detail = this.strings[d - 1];
        if (detail === undefined) throw new RangeError(`row ${i}: unknown detail string id ${d - 1}`);
        rec.detail = detail;
      }
      out.push(rec);
    }
    return out;
  }
}
