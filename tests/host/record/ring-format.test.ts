// host/record/ring-format.ts against native/collector/xpuscope_ring.h: a C program compiled with `cc`
// prints the offset of every field the reader uses and the constants, which must match the reader's.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HEADER,
  OP_FLAG,
  QUEUE_KIND,
  RING_ENGINE_KINDS,
  REC,
  RECORD,
  RING_HEADER_BYTES,
  RING_MAGIC,
  RING_VERSION,
  STATE,
  decodeRecords,
} from '../../../host/record/ring-format.js';
import { OP_KINDS } from '../../../protocol/timeline.js';
import { ROOT } from '../helpers.js';

const haveCc = spawnSync('cc', ['--version']).status === 0;

const STRUCTS: Record<string, string> = {
  process: 'xr_process_t',
  device: 'xr_device_t',
  queue: 'xr_queue_t',
  string: 'xr_string_t',
  op: 'xr_op_t',
  exit: 'xr_exit_t',
  host: 'xr_host_t',
};

describe.skipIf(!haveCc)('the ring reader matches xpuscope_ring.h', () => {
  it('every offset, size and constant', () => {
    const lines = [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include "xpuscope_ring.h"',
      'int main(void) {',
    ];
    const expected: string[] = [];
    for (const [field, off] of Object.entries(HEADER)) {
      lines.push(`  printf("header.${field} %zu\\n", offsetof(xr_header_t, ${field}));`);
      expected.push(`header.${field} ${off}`);
    }
    for (const [kind, fields] of Object.entries(RECORD)) {
      if (kind === 'hdr') continue;
      const st = STRUCTS[kind]!;
      for (const [field, off] of Object.entries(fields)) {
        if (field === 'size') {
          lines.push(`  printf("${kind}.size %zu\\n", sizeof(${st}));`);
          expected.push(`${kind}.size ${off}`);
        } else if (field === 'deps' || field === 'text') {
          lines.push(`  printf("${kind}.${field} %zu\\n", sizeof(${st}));`);
          expected.push(`${kind}.${field} ${off}`);
        } else {
          lines.push(`  printf("${kind}.${field} %zu\\n", offsetof(${st}, ${field}));`);
          expected.push(`${kind}.${field} ${off}`);
        }
      }
    }
    const consts: [string, number][] = [
      ['XR_MAGIC', RING_MAGIC],
      ['XR_VERSION', RING_VERSION],
      ['XR_HEADER_BYTES', RING_HEADER_BYTES],
      ['XR_STATE_LOADED', STATE.LOADED],
      ['XR_STATE_ATTACHED', STATE.ATTACHED],
      ['XR_STATE_UNTRACED', STATE.UNTRACED],
      ['XR_STATE_EXITED', STATE.EXITED],
      ['XR_STATE_EXECED', STATE.EXECED],
      ['XR_PAD', REC.PAD],
      ['XR_PROCESS', REC.PROCESS],
      ['XR_DEVICE', REC.DEVICE],
      ['XR_QUEUE', REC.QUEUE],
      ['XR_STRING', REC.STRING],
      ['XR_OP', REC.OP],
      ['XR_EXIT', REC.EXIT],
      ['XR_HOST', REC.HOST],
      ['XR_OP_UNTIMED', OP_FLAG.UNTIMED],
      ['XR_OP_REGULAR', OP_FLAG.REGULAR],
      ['XR_OP_FAILED', OP_FLAG.FAILED],
      ['XR_OP_LOST', OP_FLAG.LOST],
      ['XR_QUEUE_IMMEDIATE', QUEUE_KIND.IMMEDIATE],
      ['XR_QUEUE_COMMAND_QUEUE', QUEUE_KIND.COMMAND_QUEUE],
    ];
    RING_ENGINE_KINDS.forEach((k, i) => consts.push([`XR_ENGINE_${k.toUpperCase()}`, i]));
    // The collector's op kinds are the protocol's OP_KINDS codes.
    const kinds = ['KERNEL', 'COPY', 'FILL', 'BARRIER', 'SIGNAL', 'WAIT', 'RESET', 'TIMESTAMP'];
    kinds.forEach((k, i) => consts.push([`XR_OP_${k}`, i]));
    // …all but 'host-call', which host records (xr_host_t) carry on lanes of their own.
    expect(kinds.length).toBe(OP_KINDS.indexOf('host-call'));
    for (const [name, v] of consts) {
      lines.push(`  printf("${name} %llu\\n", (unsigned long long)${name});`);
      expected.push(`${name} ${v}`);
    }
    lines.push('  return 0;', '}');
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-ring-'));
    writeFileSync(join(dir, 'r.c'), lines.join('\n'));
    execFileSync('cc', ['-I', join(ROOT, 'native', 'collector'), '-o', join(dir, 'r'), join(dir, 'r.c')]);
    const got = execFileSync(join(dir, 'r'), { encoding: 'utf8' }).trim().split('\n');
    expect(got).toEqual(expected);
  });
});

describe('decodeRecords', () => {
  const rec = (type: number, size: number, fill: (b: Buffer) => void): Buffer => {
    const b = Buffer.alloc(size);
    b.writeUInt32LE(size, 0);
    b.writeUInt16LE(type, 4);
    fill(b);
    return b;
  };
  it('reads a string and an op with its dependencies, and skips padding', () => {
    const s = rec(REC.STRING, 24, (b) => {
      b.writeUInt32LE(7, RECORD.string.id);
      b.writeUInt32LE(4, RECORD.string.length);
      b.write('busy', RECORD.string.text);
    });
    const pad = rec(REC.PAD, 16, () => {});
    const op = rec(REC.OP, RECORD.op.deps + 16, (b) => {
      b.writeBigUInt64LE(42n, RECORD.op.id);
      b.writeUInt32LE(3, RECORD.op.queue);
      b.writeUInt32LE(7, RECORD.op.name);
      b.writeUInt8(0, RECORD.op.kind);
      b.writeUInt16LE(2, RECORD.op.ndeps);
      b.writeBigInt64LE(1000n, RECORD.op.submit_ns);
      b.writeBigInt64LE(1500n, RECORD.op.start_ns);
      b.writeBigInt64LE(2500n, RECORD.op.end_ns);
      b.writeBigUInt64LE(40n, RECORD.op.deps);
      b.writeBigUInt64LE(41n, RECORD.op.deps + 8);
    });
    const r = decodeRecords(Buffer.concat([s, pad, op]));
    expect(r.corrupt).toBeUndefined();
    expect(r.records).toEqual([
      { type: 'string', id: 7, text: 'busy' },
      {
        type: 'op',
        op: expect.objectContaining({
          id: 42,
          queue: 3,
          name: 7,
          submitNs: 1000,
          startNs: 1500,
          endNs: 2500,
          deps: [40, 41],
        }),
      },
    ]);
  });
  it('stops at a bad record size and says where, without throwing', () => {
    const bad = Buffer.alloc(32);
    bad.writeUInt32LE(12, 0); // not a multiple of 8
    const r = decodeRecords(bad);
    expect(r.records).toEqual([]);
    expect(r.corrupt).toMatch(/12 bytes at offset 0/);
  });
  it('an incomplete record at the end of a read is not corruption when more data follows', () => {
    const op = rec(REC.OP, RECORD.op.deps, () => {});
    const r = decodeRecords(op, 40, false);
    expect(r.corrupt).toBeUndefined();
    expect(r.used).toBe(0);
    expect(decodeRecords(op, 40, true).corrupt).toMatch(/at offset 0/);
  });
});
