// The record ring written by the collector inside a recorded program (native/collector/xpuscope_ring.h
// is the definition; this is its reader's copy of the layout, checked against the header by
// tests/host/record-ring-format.test.ts, which compiles a C program printing every offset).
//
// Every field is little-endian at a fixed offset. Decoding never throws on bad bytes: a record that
// does not parse ends the batch with a `corrupt` note instead.
import type { EngineKind } from '../../protocol/timeline.js';

export const RING_MAGIC = 0x52535058; // "XPSR"
export const RING_VERSION = 1;
export const RING_HEADER_BYTES = 4096;

/** Byte offsets of xr_header_t. */
export const HEADER = {
  magic: 0,
  version: 4,
  header_bytes: 8,
  capacity: 12,
  pid: 16,
  ppid: 20,
  start_ticks: 24,
  write_pos: 32,
  read_pos: 40,
  dropped_records: 48,
  dropped_bytes: 56,
  state: 64,
  in_flight: 68,
  ops_recorded: 72,
  ops_untimed: 80,
  ops_lost: 88,
  exit_code: 96,
  generation: 100,
  last_harvest_ns: 104,
  ops_submitted: 112,
  message: 128,
  command: 640,
} as const;
export const MESSAGE_BYTES = 512;
export const COMMAND_BYTES = 1024;

export const STATE = { LOADED: 0, ATTACHED: 1, UNTRACED: 2, EXITED: 3, EXECED: 4 } as const;
export const REC = { PAD: 0, PROCESS: 1, DEVICE: 2, QUEUE: 3, STRING: 4, OP: 5, EXIT: 6, HOST: 7 } as const;

/**
 * Byte offsets inside each record type (from the record's start; the 8-byte xr_rec_hdr_t first), and
 * `size`: the record's fixed size (sizeof the C struct).
 */
export const RECORD = {
  hdr: { size: 0, type: 4 },
  process: { pid: 8, ppid: 12, host_ns: 16, loader_version: 24, flags: 28, size: 32 },
  device: {
    id: 8,
    parent: 12,
    driver_index: 16,
    device_index: 20,
    timer_hz: 24,
    kernel_ts_bits: 32,
    flags: 36,
    uuid: 40,
    pci_domain: 56,
    pci_bus: 60,
    pci_device: 64,
    pci_function: 68,
    name: 72,
    size: 328,
  },
  queue: {
    id: 8,
    device: 12,
    ordinal: 16,
    index: 20,
    engine: 24,
    kind: 25,
    in_order: 26,
    handle: 32,
    number: 40,
    size: 48,
  },
  string: { id: 8, length: 12, text: 16, size: 16 },
  op: {
    id: 8,
    queue: 16,
    name: 20,
    kind: 24,
    flags: 25,
    ndeps: 26,
    exec: 28,
    bytes: 32,
    submit_ns: 40,
    start_ns: 48,
    end_ns: 56,
    groups: 64,
    group_size: 76,
    deps: 88,
    size: 88,
  },
  exit: { code: 8, in_flight: 12, host_ns: 16, size: 24 },
  host: { id: 8, tid: 16, name: 20, start_ns: 24, end_ns: 32, result: 40, size: 48 },
} as const;

/** xr_op_t.flags */
export const OP_FLAG = { UNTIMED: 1, REGULAR: 2, FAILED: 4, LOST: 8 } as const;
/** xr_queue_t.kind */
export const QUEUE_KIND = { IMMEDIATE: 1, COMMAND_QUEUE: 2 } as const;
/** xr_device_t.flags */
export const DEVICE_FLAG = { INTEGRATED: 1, SUBDEVICE: 2 } as const;

export interface RingHeader {
  pid: number;
  ppid: number;
  startTicks: number;
  capacity: number;
  writePos: number;
  readPos: number;
  droppedRecords: number;
  droppedBytes: number;
  state: number;
  inFlight: number;
  opsRecorded: number;
  opsUntimed: number;
  opsLost: number;
  opsSubmitted: number;
  exitCode: number;
  generation: number;
  lastHarvestNs: number;
  message: string;
  command: string;
}

export class RingFormatError extends Error {}

const u64 = (b: Buffer, o: number): number => Number(b.readBigUInt64LE(o));
const i64 = (b: Buffer, o: number): number => Number(b.readBigInt64LE(o));

function cString(b: Buffer, at: number, max: number): string {
  const end = b.indexOf(0, at);
  const stop = end < 0 || end > at + max ? at + max : end;
  return b.toString('utf8', at, stop);
}

/** Parses the header (the first RING_HEADER_BYTES of the file, or at least up to `command`'s end). */
export function parseHeader(b: Buffer): RingHeader {
  if (b.length < HEADER.command + COMMAND_BYTES)
    throw new RingFormatError(`header is ${b.length} bytes, expected ${RING_HEADER_BYTES}`);
  const magic = b.readUInt32LE(HEADER.magic);
  if (magic !== RING_MAGIC) throw new RingFormatError(`bad magic 0x${magic.toString(16)}`);
  const version = b.readUInt32LE(HEADER.version);
  if (version !== RING_VERSION)
    throw new RingFormatError(`ring version ${version}; this xpuscope reads version ${RING_VERSION}`);
  const capacity = b.readUInt32LE(HEADER.capacity);
  if (capacity < 4096 || (capacity & (capacity - 1)) !== 0)
    throw new RingFormatError(`bad capacity ${capacity}`);
  return {
    pid: b.readUInt32LE(HEADER.pid),
    ppid: b.readUInt32LE(HEADER.ppid),
    startTicks: u64(b, HEADER.start_ticks),
    capacity,
    writePos: u64(b, HEADER.write_pos),
    readPos: u64(b, HEADER.read_pos),
    droppedRecords: u64(b, HEADER.dropped_records),
    droppedBytes: u64(b, HEADER.dropped_bytes),
    state: b.readUInt32LE(HEADER.state),
    inFlight: b.readUInt32LE(HEADER.in_flight),
    opsRecorded: u64(b, HEADER.ops_recorded),
    opsUntimed: u64(b, HEADER.ops_untimed),
    opsLost: u64(b, HEADER.ops_lost),
    opsSubmitted: u64(b, HEADER.ops_submitted),
    exitCode: b.readInt32LE(HEADER.exit_code),
    generation: b.readUInt32LE(HEADER.generation),
    lastHarvestNs: i64(b, HEADER.last_harvest_ns),
    message: cString(b, HEADER.message, MESSAGE_BYTES),
    command: cString(b, HEADER.command, COMMAND_BYTES),
  };
}

export interface RingDevice {
  id: number;
  parent: number;
  driverIndex: number;
  deviceIndex: number;
  timerHz: number;
  kernelTimestampBits: number;
  integrated: boolean;
  subdevice: boolean;
  uuid: string;
  /** "dddd:bb:dd.f", or undefined when the driver did not report it. */
  pci?: string;
  name: string;
}

/** The engine kind of each XR_ENGINE_* code (RingQueue.engine). */
export const RING_ENGINE_KINDS: readonly EngineKind[] = ['compute', 'copy', 'render', 'other'];

export interface RingQueue {
  id: number;
  device: number;
  ordinal: number;
  index: number;
  /** XR_ENGINE_*: 0 compute, 1 copy, 2 render, 3 other (RING_ENGINE_KINDS). */
  engine: number;
  kind: number;
  inOrder: boolean;
  handle: bigint;
  number: number;
}

export interface RingOp {
  id: number;
  queue: number;
  name: number;
  kind: number;
  flags: number;
  exec: number;
  bytes: number;
  submitNs: number;
  startNs: number;
  endNs: number;
  groups: [number, number, number];
  groupSize: [number, number, number];
  deps: number[];
}

/** What one read of a ring produced, in order. */
export type RingRecord =
  | { type: 'process'; pid: number; ppid: number; hostNs: number; flags: number }
  | { type: 'device'; device: RingDevice }
  | { type: 'queue'; queue: RingQueue }
  | { type: 'string'; id: number; text: string }
  | { type: 'op'; op: RingOp }
  | { type: 'exit'; code: number; inFlight: number; hostNs: number }
  | { type: 'host'; id: number; tid: number; name: number; startNs: number; endNs: number; result: number };

const hex = (b: Buffer, at: number, n: number): string => b.toString('hex', at, at + n);

/**
 * Decodes the records in `b[0, length)`. With `final`, those bytes are everything the collector
 * published up to the end of a region, so a record running past them is corruption; without it the
 * buffer was just shorter than the data and decoding stops before the incomplete record. Returns the
 * records and how many bytes they used; `corrupt` says why decoding stopped early, if it did.
 */
export function decodeRecords(
  b: Buffer,
  length = b.length,
  final = true,
): { records: RingRecord[]; used: number; corrupt?: string } {
  const out: RingRecord[] = [];
  let o = 0;
  while (o + 8 <= length) {
    const size = b.readUInt32LE(o);
    const type = b.readUInt16LE(o + 4);
    if (size >= 8 && size % 8 === 0 && o + size > length && !final) break;
    if (size < 8 || size % 8 !== 0 || o + size > length)
      return { records: out, used: o, corrupt: `record of ${size} bytes at offset ${o}` };
    switch (type) {
      case REC.PAD:
        break;
      case REC.PROCESS:
        if (size < RECORD.process.size) return { records: out, used: o, corrupt: 'short process record' };
        out.push({
          type: 'process',
          pid: b.readUInt32LE(o + RECORD.process.pid),
          ppid: b.readUInt32LE(o + RECORD.process.ppid),
          hostNs: i64(b, o + RECORD.process.host_ns),
          flags: b.readUInt32LE(o + RECORD.process.flags),
        });
        break;
      case REC.DEVICE: {
        const D = RECORD.device;
        if (size < D.size) return { records: out, used: o, corrupt: 'short device record' };
        const flags = b.readUInt32LE(o + D.flags);
        const dom = b.readUInt32LE(o + D.pci_domain);
        const device: RingDevice = {
          id: b.readUInt32LE(o + D.id),
          parent: b.readInt32LE(o + D.parent),
          driverIndex: b.readUInt32LE(o + D.driver_index),
          deviceIndex: b.readUInt32LE(o + D.device_index),
          timerHz: b.readDoubleLE(o + D.timer_hz),
          kernelTimestampBits: b.readUInt32LE(o + D.kernel_ts_bits),
          integrated: (flags & DEVICE_FLAG.INTEGRATED) !== 0,
          subdevice: (flags & DEVICE_FLAG.SUBDEVICE) !== 0,
          uuid: hex(b, o + D.uuid, 16),
          name: cString(b, o + D.name, 256),
        };
        if (dom !== 0xffffffff) {
          const h = (v: number, w: number): string => v.toString(16).padStart(w, '0');
          device.pci = `${h(dom, 4)}:${h(b.readUInt32LE(o + D.pci_bus), 2)}:${h(b.readUInt32LE(o + D.pci_device), 2)}.${b.readUInt32LE(o + D.pci_function)}`;
        }
        out.push({ type: 'device', device });
        break;
      }
      case REC.QUEUE: {
        const Q = RECORD.queue;
        if (size < Q.size) return { records: out, used: o, corrupt: 'short queue record' };
        out.push({
          type: 'queue',
          queue: {
            id: b.readUInt32LE(o + Q.id),
            device: b.readUInt32LE(o + Q.device),
            ordinal: b.readUInt32LE(o + Q.ordinal),
            index: b.readUInt32LE(o + Q.index),
            engine: b.readUInt8(o + Q.engine),
            kind: b.readUInt8(o + Q.kind),
            inOrder: b.readUInt8(o + Q.in_order) !== 0,
            handle: b.readBigUInt64LE(o + Q.handle),
            number: b.readUInt32LE(o + Q.number),
          },
        });
        break;
      }
      case REC.STRING: {
        const S = RECORD.string;
        const len = b.readUInt32LE(o + S.length);
        if (S.text + len > size) return { records: out, used: o, corrupt: 'string overruns its record' };
        out.push({
          type: 'string',
          id: b.readUInt32LE(o + S.id),
          text: b.toString('utf8', o + S.text, o + S.text + len),
        });
        break;
      }
      case REC.OP: {
        const P = RECORD.op;
        const ndeps = b.readUInt16LE(o + P.ndeps);
        if (P.deps + 8 * ndeps > size) return { records: out, used: o, corrupt: 'op record overruns' };
        const deps: number[] = [];
        for (let i = 0; i < ndeps; i++) deps.push(u64(b, o + P.deps + 8 * i));
        out.push({
          type: 'op',
          op: {
            id: u64(b, o + P.id),
            queue: b.readUInt32LE(o + P.queue),
            name: b.readUInt32LE(o + P.name),
            kind: b.readUInt8(o + P.kind),
            flags: b.readUInt8(o + P.flags),
            exec: b.readUInt32LE(o + P.exec),
            bytes: u64(b, o + P.bytes),
            submitNs: i64(b, o + P.submit_ns),
            startNs: i64(b, o + P.start_ns),
            endNs: i64(b, o + P.end_ns),
            groups: [
              b.readUInt32LE(o + P.groups),
              b.readUInt32LE(o + P.groups + 4),
              b.readUInt32LE(o + P.groups + 8),
            ],
            groupSize: [
              b.readUInt32LE(o + P.group_size),
              b.readUInt32LE(o + P.group_size + 4),
              b.readUInt32LE(o + P.group_size + 8),
            ],
            deps,
          },
        });
        break;
      }
      case REC.EXIT:
        if (size < RECORD.exit.size) return { records: out, used: o, corrupt: 'short exit record' };
        out.push({
          type: 'exit',
          code: b.readInt32LE(o + RECORD.exit.code),
          inFlight: b.readUInt32LE(o + RECORD.exit.in_flight),
          hostNs: i64(b, o + RECORD.exit.host_ns),
        });
        break;
      case REC.HOST: {
        const H = RECORD.host;
        if (size < H.size) return { records: out, used: o, corrupt: 'short host record' };
        out.push({
          type: 'host',
          id: u64(b, o + H.id),
          tid: b.readUInt32LE(o + H.tid),
          name: b.readUInt32LE(o + H.name),
          startNs: i64(b, o + H.start_ns),
          endNs: i64(b, o + H.end_ns),
          result: b.readInt32LE(o + H.result),
        });
        break;
      }
      default:
        break; // a newer collector's record type: skipped, as its size says how far
    }
    o += size;
  }
  return { records: out, used: o };
}
