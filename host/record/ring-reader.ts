// Reads one collector ring file (ring-format.ts) while its process runs and after it is gone: what the
// collector published since the last read, then tells the collector how far it has read (read_pos),
// which frees that space in the ring.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import {
  HEADER,
  RING_HEADER_BYTES,
  RingFormatError,
  decodeRecords,
  parseHeader,
  type RingHeader,
  type RingRecord,
} from './ring-format.js';

/** At most this much is read per call (a burst is spread over a few calls rather than one long one). */
const CHUNK = 1 << 20;

export class RingReader {
  private readonly fd: number;
  private readonly headerBuf = Buffer.alloc(RING_HEADER_BYTES);
  private data: Buffer = Buffer.alloc(0);
  private readonly posBuf = Buffer.alloc(8);
  private pos: number;
  readonly capacity: number;
  /** Set once a record could not be decoded: the ring is not read further. */
  corrupt: string | undefined;
  private closed = false;

  private constructor(
    readonly path: string,
    fd: number,
    first: RingHeader,
  ) {
    this.fd = fd;
    this.capacity = first.capacity;
    this.pos = first.readPos;
  }

  /** Opens a ring; throws RingFormatError (or a file error) when it is not one. */
  static open(path: string): RingReader {
    const fd = openSync(path, 'r+');
    try {
      const b = Buffer.alloc(RING_HEADER_BYTES);
      const n = readSync(fd, b, 0, RING_HEADER_BYTES, 0);
      if (n < RING_HEADER_BYTES) throw new RingFormatError(`${path}: ${n} bytes, shorter than a ring header`);
      return new RingReader(path, fd, parseHeader(b));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  header(): RingHeader {
    readSync(this.fd, this.headerBuf, 0, RING_HEADER_BYTES, 0);
    return parseHeader(this.headerBuf);
  }

  /** Records published since the last call (up to about `budget` bytes), in order. */
  read(budget = 8 * CHUNK): { records: RingRecord[]; header: RingHeader } {
    const header = this.header();
    const records: RingRecord[] = [];
    if (this.corrupt || this.closed) return { records, header };
    let done = 0;
    while (this.pos < header.writePos && done < budget) {
      const off = this.pos % this.capacity;
      const regionEnd = Math.min(header.writePos - this.pos, this.capacity - off);
      const want = Math.min(regionEnd, CHUNK);
      if (this.data.length < want) this.data = Buffer.alloc(Math.max(want, 64 << 10));
      const got = readSync(this.fd, this.data, 0, want, RING_HEADER_BYTES + off);
      const r = decodeRecords(this.data, got, got === regionEnd);
      for (const rec of r.records) records.push(rec);
      if (r.corrupt) {
        this.corrupt = `${r.corrupt} (ring position ${this.pos + r.used})`;
        break;
      }
      if (r.used === 0) break; // nothing complete yet
      this.pos += r.used;
      done += r.used;
    }
    if (done > 0) {
      this.posBuf.writeBigUInt64LE(BigInt(this.pos));
      writeSync(this.fd, this.posBuf, 0, 8, HEADER.read_pos);
    }
    return { records, header };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
