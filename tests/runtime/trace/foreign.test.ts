import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateSyntheticTrace,
  importTrace,
  parseUnitraceEngine,
  parseUnitraceName,
} from '../../../runtime/trace/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();

// unitrace (pti-gpu chromelogger) layout: `{ "traceEvents":[`, ",\n"-separated events, epoch µs times,
// device pids counting down from 0xFFFFFFFF, metadata written at the end.
const UNITRACE_EVENTS = [
  `{"ph": "X", "tid": 51234, "pid": 51234, "name": "zeCommandListAppendLaunchKernel", "cat": "cpu_op", "ts": 1700000000000010.250, "dur": 3.125, "args": {"id": "1"}}`,
  `{"ph": "s", "tid": 51234, "pid": 51234, "name": "dep", "cat": "Flow_H2D_1_0", "id": 1, "ts": 1700000000000011.000}`,
  `{"ph": "X", "tid": 1, "pid": 4294967295, "name": "gemm_kernel[SIMD32 {4; 1; 1} {64; 1; 1}]", "cat": "gpu_op", "ts": 1700000000000020.125, "dur": 50.000, "args": {"id": "1"}}`,
  `{"ph": "t", "tid": 1, "pid": 4294967295, "name": "dep", "cat": "Flow_H2D_1_0", "id": 1, "ts": 1700000000000020.125}`,
  `{"ph": "X", "tid": 2, "pid": 4294967295, "name": "zeCommandListAppendMemoryCopy(M2D)[4096]", "cat": "gpu_op", "ts": 1700000000000030.001, "dur": 2.5, "args": {"id": "2"}}`,
  `{"ph": "X", "tid": 3, "pid": 4294967295, "name": "Tile #1: softmax_fwd[SIMD16 {128; 1; 1} {256; 1; 1}]", "cat": "gpu_op", "ts": 1700000000000040.000, "dur": 60.000, "args": {"id": "3"}}`,
  `{"ph": "X", "tid": 1, "pid": 4294967294, "name": "zeCommandListAppendBarrier", "cat": "gpu_op", "ts": 1700000000000100.999, "dur": 0.001, "args": {"id": "4"}}`,
  `{"ph": "X", "tid": 2, "pid": 4294967294, "name": "zeCommandListAppendMemoryFill[65536]", "cat": "gpu_op", "ts": 1700000000000200.000, "dur": 1.000, "args": {"id": "5"}}`,
];
const UNITRACE_META = [
  `{"ph": "M", "name": "process_name", "pid": 51234, "ts": 1700000000000000, "args": {"name": "HOSTmyhost"}}`,
  `{"ph": "M", "name": "process_name", "pid": 4294967295, "ts": 1700000000000000, "args": {"name": "DEVICEmyhost[Intel(R) Data Center GPU Max 1550] 0000:3a:00.0 #0"}}`,
  `{"ph": "M", "name": "process_name", "pid": 4294967294, "ts": 1700000000000000, "args": {"name": "DEVICEmyhost[Intel(R) Arc(TM) A770 Graphics] 0000:03:00.0 #1"}}`,
  `{"ph": "M", "name": "thread_name", "pid": 4294967295, "tid": 1, "args": {"name": "Thread 51234 L0 Compute Engine<0,0>"}}`,
  `{"ph": "M", "name": "thread_name", "pid": 4294967295, "tid": 2, "args": {"name": "Thread 51234 L0 Copy Engine<1,0>"}}`,
  `{"ph": "M", "name": "thread_name", "pid": 4294967295, "tid": 3, "args": {"name": "Thread 51234 L0 Compute Engine<0,0>"}}`,
  `{"ph": "M", "name": "thread_name", "pid": 4294967294, "tid": 1, "args": {"name": "Thread 51234 L0"}}`,
];

describe('unitrace import', () => {
  it('maps devices, engines, op kinds, bytes and exact ns times', async () => {
    const path = join(dir, 'app.51234.json');
    writeFileSync(path, `{ "traceEvents":[\n${[...UNITRACE_EVENTS, ...UNITRACE_META].join(',\n')}\n]\n}\n`);
    const r = await importTrace(path);
    expect(r.summary).toMatchObject({ format: 'unitrace', spans: 5, flows: 2, truncated: false });
    expect(r.summary.skipped).toEqual({ 'non-device span (cpu_op)': 1 });
    expect(r.originUs).toBe(1700000000000010);
    expect(r.timeOriginNs).toBe(1700000000000010 * 1000);
    expect(r.devices).toEqual([
      { device: 0, name: 'Intel(R) Data Center GPU Max 1550 0000:3a:00.0' },
      { device: 1, name: 'Intel(R) Arc(TM) A770 Graphics 0000:03:00.0' },
    ]);
    const [gemm, copy, softmax, barrier, fill] = r.records;
    expect(gemm).toMatchObject({
      device: 0,
      stream: 1,
      engine: { ordinal: 0, index: 0, kind: 'compute' },
      kind: 'kernel',
      name: 'gemm_kernel',
      submitNs: 1000,
      startNs: 10125,
      endNs: 60125,
    });
    expect(copy).toMatchObject({
      device: 0,
      engine: { ordinal: 1, index: 0, kind: 'copy' },
      kind: 'copy',
      name: 'copy M2D',
      bytes: 4096,
      startNs: 20001,
      endNs: 22501,
    });
    expect(softmax).toMatchObject({
      stream: 3,
      kind: 'kernel',
      name: 'softmax_fwd',
      submitNs: 30000,
      startNs: 30000,
      endNs: 90000,
    });
    expect(barrier).toMatchObject({
      device: 1,
      engine: { kind: 'other' },
      kind: 'barrier',
      startNs: 90999,
      endNs: 91000,
    });
    expect(fill).toMatchObject({ device: 1, kind: 'fill', bytes: 65536 });
    expect(new Set(r.records.map((x) => x.id)).size).toBe(5);
  });

  it('imports a unitrace file cut off by a crash (half-written last event, no closing brackets)', async () => {
    const path = join(dir, 'crashed.json');
    const text = `{ "traceEvents":[\n${UNITRACE_EVENTS.join(',\n')},\n{"ph": "X", "tid": 1, "pid": 42949`;
    writeFileSync(path, text);
    const r = await importTrace(path);
    expect(r.summary).toMatchObject({
      format: 'unitrace',
      spans: 5,
      truncated: true,
      truncatedAt: text.lastIndexOf('{'),
    });
    // No thread metadata: engines unknown, devices from the pids.
    expect(r.records.map((x) => x.device)).toEqual([0, 0, 0, 1, 1]);
  });

  it('parses names and engine thread names', () => {
    expect(parseUnitraceName('zeCommandListAppendMemoryCopy(D2M)[1048576]')).toEqual({
      kind: 'copy',
      name: 'copy D2M',
      bytes: 1048576,
    });
    expect(parseUnitraceName('zeCommandListAppendWaitOnEvents')).toMatchObject({ kind: 'event-wait' });
    expect(parseUnitraceName('zeCommandListAppendSignalEvent')).toMatchObject({ kind: 'event-record' });
    expect(parseUnitraceName('k<float>[SIMD32 {1; 2; 3} {4; 5; 6}]')).toEqual({
      kind: 'kernel',
      name: 'k<float>',
      bytes: 0,
    });
    expect(parseUnitraceEngine('Thread 7 L0 Copy Engine<2,3>')).toEqual({
      ordinal: 2,
      index: 3,
      kind: 'copy',
    });
    expect(parseUnitraceEngine('Thread 7 L0')).toEqual({ ordinal: 0, index: 0, kind: 'other' });
  });

  it('reads a synthetic unitrace file (metadata at the end) written by generateSyntheticTrace', async () => {
    const path = join(dir, 'synth-unitrace.json');
    const g = generateSyntheticTrace(path, 200_000, { format: 'unitrace' });
    JSON.parse(readFileSync(path, 'utf8'));
    const r = await importTrace(path);
    expect(r.summary.format).toBe('unitrace');
    expect(r.summary.spans).toBe(g.records);
    expect(r.records.some((x) => x.engine.kind === 'copy' && x.kind === 'copy' && x.bytes > 0)).toBe(true);
    expect(r.records.every((x) => x.engine.kind !== 'other')).toBe(true);
  });
});

describe('PyTorch profiler (Kineto) import', () => {
  const kineto = {
    schemaVersion: 1,
    deviceProperties: [{ id: 0, name: 'Intel(R) Data Center GPU Max 1550', totalGlobalMem: 68719476736 }],
    traceEvents: [
      {
        ph: 'X',
        cat: 'python_function',
        name: 'nn.Module: Linear',
        pid: 4321,
        tid: 4321,
        ts: 100.0,
        dur: 500,
      },
      {
        ph: 'X',
        cat: 'cpu_op',
        name: 'aten::mm',
        pid: 4321,
        tid: 4321,
        ts: 105.0,
        dur: 50,
        args: { 'External id': 3 },
      },
      {
        ph: 'X',
        cat: 'xpu_runtime',
        name: 'urEnqueueKernelLaunch',
        pid: 4321,
        tid: 4321,
        ts: 110.5,
        dur: 5,
        args: { correlation: 7, 'External id': 3 },
      },
      { ph: 's', id: 7, pid: 4321, tid: 4321, ts: 110.5, cat: 'ac2g', name: 'ac2g' },
      {
        ph: 'X',
        cat: 'kernel',
        name: 'gemm_kernel',
        pid: 0,
        tid: 3,
        ts: 120.25,
        dur: 40.5,
        args: { queued: 0, device: 0, correlation: 7, stream: 3 },
      },
      { ph: 'f', id: 7, pid: 0, tid: 3, ts: 120.25, cat: 'ac2g', name: 'ac2g', bp: 'e' },
      {
        ph: 'X',
        cat: 'gpu_memcpy',
        name: 'Memcpy M2D (Device -> Device)',
        pid: 0,
        tid: 5,
        ts: 130,
        dur: 10,
        args: { device: 0, stream: 5, correlation: 8, bytes: 4096 },
      },
      {
        ph: 'X',
        cat: 'gpu_memset',
        name: 'Memset (Device)',
        pid: 0,
        tid: 5,
        ts: 141,
        dur: 1,
        args: { device: 0, stream: 5, correlation: 9, bytes: 256 },
      },
      { ph: 'i', cat: 'cpu_instant_event', name: 'mark', pid: 4321, tid: 4321, ts: 200, s: 't' },
      { name: 'process_name', ph: 'M', ts: 100, pid: 0, tid: 0, args: { name: 'python3' } },
      { name: 'thread_name', ph: 'M', ts: 100, pid: 0, tid: 3, args: { name: 'stream 3' } },
      { name: 'thread_name', ph: 'M', ts: 100, pid: 0, tid: 5, args: { name: 'stream 5' } },
    ],
    traceName: 'rank0.pt.trace.json',
    displayTimeUnit: 'ms',
    baseTimeNanoseconds: 1700000000000000000,
  };

  it('maps GPU kernels/copies/fills per device and stream, with launch times from ac2g flows', async () => {
    const path = join(dir, 'kineto.json');
    writeFileSync(path, JSON.stringify(kineto, null, 1));
    const r = await importTrace(path);
    expect(r.summary).toMatchObject({ format: 'kineto', spans: 3, flows: 2, truncated: false });
    expect(r.summary.skipped).toMatchObject({
      'non-device span (python_function)': 1,
      'non-device span (cpu_op)': 1,
      'non-device span (xpu_runtime)': 1,
      'instant event': 1,
    });
    expect(r.devices).toEqual([{ device: 0, name: 'Intel(R) Data Center GPU Max 1550' }]);
    expect(r.originUs).toBe(100);
    expect(r.timeOriginNs).toBe(1700000000000000000 + 100_000);
    const [k, cp, fill] = r.records;
    expect(k).toMatchObject({
      device: 0,
      stream: 3,
      kind: 'kernel',
      name: 'gemm_kernel',
      submitNs: 10500,
      startNs: 20250,
      endNs: 60750,
      engine: { kind: 'compute' },
    });
    expect(cp).toMatchObject({
      stream: 5,
      kind: 'copy',
      bytes: 4096,
      startNs: 30000,
      endNs: 40000,
      submitNs: 30000,
    });
    expect(fill).toMatchObject({ kind: 'fill', bytes: 256 });
  });
});
