import { describe, expect, it } from 'vitest';
import {
  START_CURSOR,
  Timeline,
  computeMetrics,
  decodeBatch,
  encodeBatch,
  BatchReader,
  batchTransferables,
  BatchDecodeError,
  sweepIntervals,
} from '../../../runtime/timeline/index.js';
import type { OpRecord } from '../../../protocol/index.js';
import { COMPUTE0, COMPUTE1, COPY0, op } from './helpers.js';

const MS = 1_000_000;

describe('Timeline storage', () => {
  it('keeps a bounded ring per lane and counts what it dropped', () => {
    const t = new Timeline({ laneCapacity: 4, edgeCapacity: 3 });
    const recs: OpRecord[] = [];
    for (let i = 0; i < 10; i++)
      recs.push(op({ id: i, startNs: i * 10, endNs: i * 10 + 5, deps: i > 0 ? [i - 1] : [] }));
    t.append(recs);
    expect(t.totalAppended).toBe(10);
    expect(t.size).toBe(4);
    expect(t.dropped).toBe(6);
    expect(t.edgeCount).toBe(3);
    expect(t.droppedEdges).toBe(6);
    const kept = t.records();
    expect(kept.map((r) => r.id)).toEqual([6, 7, 8, 9]);
    expect(kept[3]!.deps).toEqual([8]);
    expect(kept[0]!.deps).toEqual([]); // edge 5→6 was dropped (edges 6..8 kept: 6→7, 7→8, 8→9)
    const c = t.laneColumns(0);
    expect(Array.from(c.start)).toEqual([60, 70, 80, 90]);
  });

  it('resolves lanes through the engine-object cache exactly like the string key (shared and mutated engines)', () => {
    const t = new Timeline();
    const shared = { ordinal: 0, index: 0, kind: 'compute' as const };
    t.append([
      op({ startNs: 0, endNs: 1, device: 0, stream: 1, engine: shared }),
      op({ startNs: 0, endNs: 1, device: 1, stream: 1, engine: shared }), // same object, other device
      op({ startNs: 0, endNs: 1, device: 0, stream: 2, engine: shared }), // same object, other stream
      op({ startNs: 1, endNs: 2, device: 0, stream: 1, engine: { ...shared } }), // equal copy: same lane
    ]);
    expect(t.lanes().map((l) => [l.device, l.stream])).toEqual([
      [0, 1],
      [1, 1],
      [0, 2],
    ]);
    expect(t.laneColumns(0).count).toBe(2);
    shared.index = 3; // a producer reusing (mutating) its engine object must not land in the old lane
    t.append([op({ startNs: 2, endNs: 3, device: 0, stream: 1, engine: shared })]);
    expect(t.lanes()).toHaveLength(4);
    expect(t.lanes()[3]!.engine).toEqual({ ordinal: 0, index: 3, kind: 'compute' });
    expect(t.laneColumns(0).count).toBe(2);
    expect(() => t.append([op({ startNs: 0, endNs: 1, kind: 'bogus' as never })])).toThrow(/unknown op kind/);
  });

  it('grows lazily past the initial allocation and wraps correctly', () => {
    const t = new Timeline({ laneCapacity: 1000 });
    for (let i = 0; i < 2500; i++) t.append([op({ id: i, startNs: i, endNs: i + 1 })]);
    const c = t.laneColumns(0);
    expect(c.count).toBe(1000);
    expect(c.id[0]).toBe(1500);
    expect(c.id[999]).toBe(2499);
    for (let i = 1; i < c.count; i++) expect(c.id[i]! - c.id[i - 1]!).toBe(1);
  });

  it('laneWindow returns the ops overlapping a time window', () => {
    const t = Timeline.fromRecords(
      [0, 10, 20, 30]
        .map((s, i) => op({ id: i, startNs: s, endNs: s + 10 }))
        .concat(op({ id: 9, startNs: 25, endNs: 25 })),
    );
    const w = t.laneWindow(0, 15, 26);
    expect(Array.from(w.id)).toEqual([1, 2, 9]);
    expect(w.count).toBe(3);
    expect(t.laneWindow(0, -100, 100).count).toBe(5);
  });

  it('groups lanes device → engine → stream and round-trips records', () => {
    const recs = [
      op({
        device: 1,
        stream: 5,
        engine: COPY0,
        kind: 'copy',
        name: 'copy H2D',
        bytes: 4096,
        startNs: 0,
        endNs: 10,
      }),
      op({ device: 0, stream: 3, engine: COMPUTE1, startNs: 0, endNs: 10 }),
      op({ device: 0, stream: 2, engine: COMPUTE0, startNs: 0, endNs: 10 }),
      op({ device: 0, stream: 1, engine: COMPUTE0, startNs: 0, endNs: 10 }),
      op({ device: 0, stream: 1, engine: COMPUTE0, startNs: 20, endNs: 30, name: 'k2' }),
    ];
    const t = Timeline.fromRecords(recs);
    expect(t.lanes()).toHaveLength(4);
    const g = t.groups();
    expect(g.map((d) => d.device)).toEqual([0, 1]);
    expect(g[0]!.engines.map((e) => e.engine.index)).toEqual([0, 1]);
    expect(g[0]!.engines[0]!.lanes.map((l) => l.stream)).toEqual([1, 2]);
    expect(g[1]!.engines[0]!.engine.kind).toBe('copy');
    const back = t.records().sort((a, b) => a.id - b.id);
    expect(back).toEqual([...recs].sort((a, b) => a.id - b.id));
    expect(t.strings.size).toBe(3);
  });
});

describe('metrics', () => {
  const four = (overlapped: boolean): OpRecord[] =>
    [0, 1, 2, 3].map((i) =>
      op({
        stream: i + 1,
        engine: i < 2 ? COMPUTE0 : COMPUTE1,
        startNs: overlapped ? 0 : i * MS,
        endNs: overlapped ? MS : (i + 1) * MS,
        submitNs: 0,
      }),
    );

  it('4 fully overlapped 1 ms ops → concurrency 4, speed-up 4', () => {
    const m = computeMetrics(Timeline.fromRecords(four(true)));
    expect(m.ops).toBe(4);
    expect(m.serialNs).toBe(4 * MS);
    expect(m.busyNs).toBe(MS);
    expect(m.concurrency).toBe(4);
    expect(m.speedup).toBe(4);
    expect(m.peakConcurrency).toBe(4);
    expect(m.busyPct).toBe(100);
    expect(m.engines.map((e) => e.concurrency)).toEqual([2, 2]);
  });

  it('serialized ops → concurrency 1, speed-up 1, per-stream busy 25 %', () => {
    const m = computeMetrics(Timeline.fromRecords(four(false)));
    expect(m.concurrency).toBe(1);
    expect(m.speedup).toBe(1);
    expect(m.peakConcurrency).toBe(1);
    expect(m.streams.map((s) => s.busyPct)).toEqual([25, 25, 25, 25]);
    expect(m.engines.map((e) => e.busyPct)).toEqual([50, 50]);
    expect(m.submitLatency.count).toBe(4);
    expect(m.submitLatency.min).toBe(0);
    expect(m.submitLatency.max).toBe(3 * MS);
    expect(m.submitLatency.p50).toBe(MS);
  });

  it('gaps: concurrency ignores idle time, speed-up does not; windows clip', () => {
    // [0,2) and [1,3) overlap; then [5,6) alone. serial = 2+2+1 = 5, union = 3+1 = 4, span = 6.
    const recs = [
      op({ startNs: 0, endNs: 2, stream: 1 }),
      op({ startNs: 1, endNs: 3, stream: 2 }),
      op({ startNs: 5, endNs: 6, stream: 1 }),
    ];
    const t = Timeline.fromRecords(recs);
    const m = computeMetrics(t);
    expect(m.serialNs).toBe(5);
    expect(m.busyNs).toBe(4);
    expect(m.concurrency).toBe(1.25);
    expect(m.speedup).toBeCloseTo(5 / 6);
    const w = computeMetrics(t, { startNs: 1, endNs: 2 });
    expect(w.ops).toBe(2);
    expect(w.serialNs).toBe(2);
    expect(w.busyNs).toBe(1);
    expect(w.concurrency).toBe(2);
    expect(w.busyPct).toBe(100);
  });

  it('restricts to one device', () => {
    const recs = [
      op({ device: 0, startNs: 0, endNs: 10 }),
      op({ device: 1, startNs: 0, endNs: 10 }),
      op({ device: 1, startNs: 0, endNs: 10, stream: 2 }),
    ];
    const m = computeMetrics(Timeline.fromRecords(recs), { device: 1 });
    expect(m.ops).toBe(2);
    expect(m.concurrency).toBe(2);
    expect(m.streams.every((s) => s.lane.device === 1)).toBe(true);
    expect(() => computeMetrics(Timeline.fromRecords(recs), { startNs: 5, endNs: 1 })).toThrow(RangeError);
  });

  it('per-name stats with p50/p95', () => {
    const recs: OpRecord[] = [];
    for (let i = 1; i <= 20; i++) recs.push(op({ name: 'gemm', startNs: i * 100, endNs: i * 100 + i }));
    recs.push(op({ name: 'copy', kind: 'copy', startNs: 5000, endNs: 5500, stream: 2 }));
    const m = computeMetrics(Timeline.fromRecords(recs));
    const gemm = m.names.find((n) => n.name === 'gemm')!;
    expect(gemm.count).toBe(20);
    expect(gemm.totalNs).toBe(210);
    expect(gemm.meanNs).toBe(10.5);
    expect(gemm.p50Ns).toBe(10);
    expect(gemm.p95Ns).toBe(19);
    expect(m.names[0]!.name).toBe('copy');
  });

  it('back-to-back intervals do not count as concurrent', () => {
    expect(sweepIntervals([0, 1, 2], [1, 2, 3])).toMatchObject({ busyNs: 3, serialNs: 3, peak: 1 });
    expect(sweepIntervals([0, 0, 5], [10, 0, 6])).toMatchObject({ busyNs: 10, serialNs: 11, peak: 2 });
  });
});

describe('batches', () => {
  it('a consumer sees every op once, incrementally, with string and lane deltas', () => {
    const t = new Timeline();
    const reader = new BatchReader();
    let cur = START_CURSOR;
    const seen: OpRecord[] = [];
    t.append([
      op({ id: 1, startNs: 0, endNs: 1, name: 'a' }),
      op({ id: 2, startNs: 0, endNs: 1, stream: 2, name: 'b', deps: [1] }),
    ]);
    let r = t.batchSince(cur);
    expect(r.batch.count).toBe(2);
    expect(r.batch.lanes).toHaveLength(2);
    expect(r.batch.strings).toEqual(['a', 'b']);
    seen.push(...reader.apply(r.batch));
    cur = r.cursor;
    r = t.batchSince(cur);
    expect(r.batch.count).toBe(0);
    expect(r.batch.lanes).toHaveLength(0);
    t.append([
      op({ id: 3, startNs: 2, endNs: 3, name: 'a' }),
      op({ id: 4, startNs: 2, endNs: 3, name: 'c', engine: COPY0, deps: [2, 3] }),
    ]);
    r = t.batchSince(cur);
    expect(r.batch.count).toBe(2);
    expect(r.batch.stringBase).toBe(2);
    expect(r.batch.strings).toEqual(['c']);
    expect(r.batch.lanes.map((l) => l.id)).toEqual([2]);
    seen.push(...reader.apply(decodeBatch(encodeBatch(r.batch))));
    expect(seen.map((s) => s.id).sort()).toEqual([1, 2, 3, 4]);
    expect(seen.find((s) => s.id === 4)!.deps).toEqual([2, 3]);
    expect(seen.find((s) => s.id === 4)!.engine).toEqual(COPY0);
    expect(batchTransferables(r.batch).length).toBeGreaterThanOrEqual(8);
  });

  it('a slow consumer gets what is left plus a dropped count; the producer is not blocked', () => {
    const t = new Timeline({ laneCapacity: 8, edgeCapacity: 4 });
    const fast = new BatchReader();
    let fastCur = START_CURSOR;
    const slowCur = t.cursor();
    let fastSeen = 0;
    for (let i = 0; i < 50; i++) {
      t.append([op({ id: i, startNs: i, endNs: i + 1, deps: i ? [i - 1] : [] })]);
      const r = t.batchSince(fastCur);
      fastSeen += fast.apply(r.batch).length;
      fastCur = r.cursor;
      expect(r.batch.dropped).toBe(0);
    }
    expect(fastSeen).toBe(50);
    const r = t.batchSince(slowCur);
    expect(r.batch.count).toBe(8);
    expect(r.batch.dropped).toBe(42);
    expect(r.batch.droppedEdges).toBe(45);
    expect(Array.from(r.batch.id)).toEqual([42, 43, 44, 45, 46, 47, 48, 49]);
    expect(t.batchSince(r.cursor).batch.count).toBe(0);
  });

  it('maxOps splits a batch and the rest follows', () => {
    const t = new Timeline();
    for (let i = 0; i < 10; i++) t.append([op({ id: i, stream: i % 3, startNs: i, endNs: i + 1 })]);
    const a = t.batchSince(START_CURSOR, 4);
    expect(a.batch.count).toBe(4);
    const b = t.batchSince(a.cursor);
    expect(b.batch.count).toBe(6);
    expect([...a.batch.id, ...b.batch.id].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('binary encode/decode round-trips exactly, also from an unaligned view', () => {
    const t = new Timeline();
    t.append([
      op({
        id: 2 ** 40 + 1,
        startNs: 1.7e18,
        endNs: 1.7e18 + 512,
        submitNs: 1.7e18 - 1024,
        name: 'ünï ✓ kernel',
        bytes: 2 ** 33,
        kind: 'copy',
        engine: COPY0,
        stream: 2 ** 35,
      }),
      op({ id: 7, startNs: 1, endNs: 2, name: 'x', kind: 'event-wait', deps: [2 ** 40 + 1] }),
      { ...op({ id: 8, startNs: 3, endNs: 4, name: 'busy' }), detail: 'groups 4×1×1 · group size 64×1×1' },
      {
        ...op({ id: 9, startNs: 3, endNs: 5, name: 'busy', stream: 77 }),
        source: {
          pid: 4242,
          process: 'prog --x',
          device: 'Intel(R) Arc(TM) A770 Graphics',
          queue: 'immediate list 2',
        },
        detail: 'execution 3',
      },
    ]);
    const { batch } = t.batchSince(START_CURSOR);
    const buf = encodeBatch(batch);
    expect(buf.byteLength % 8).toBe(0);
    const d = decodeBatch(buf);
    expect(d.count).toBe(4);
    for (const k of [
      'lane',
      'id',
      'kind',
      'name',
      'detail',
      'bytes',
      'submit',
      'start',
      'end',
      'edgeFrom',
      'edgeTo',
    ] as const)
      expect(Array.from(d[k])).toEqual(Array.from(batch[k]));
    expect(d.strings).toEqual(batch.strings);
    expect(d.lanes).toEqual(batch.lanes);
    const shifted = new Uint8Array(buf.byteLength + 3);
    shifted.set(new Uint8Array(buf), 3);
    const d2 = decodeBatch(shifted.subarray(3));
    expect(new BatchReader().apply(d2)).toEqual(t.records());
    expect(d.reset).toBeUndefined();
  });

  it('the reset flag travels in the header, and a reader that sees it starts over', () => {
    const a = new Timeline();
    a.append([op({ id: 1, startNs: 0, endNs: 1, name: 'first' })]);
    const reader = new BatchReader();
    reader.apply(decodeBatch(encodeBatch(a.batchSince(START_CURSOR).batch)));
    // another capture: its ids and strings start at 0 again
    const b = new Timeline();
    b.append([op({ id: 1, startNs: 5, endNs: 6, name: 'second', stream: 9 })]);
    const next = { ...b.batchSince(START_CURSOR).batch, reset: true };
    const decoded = decodeBatch(encodeBatch(next));
    expect(decoded.reset).toBe(true);
    expect(reader.apply(decoded).map((o) => [o.name, o.stream])).toEqual([['second', 9]]);
    expect(reader.strings).toEqual(['second']);
    expect([...reader.lanes.values()].map((l) => l.stream)).toEqual([9]);
  });

  it('decode rejects bad magic, versions and truncation', () => {
    const t = new Timeline();
    t.append([op({ startNs: 0, endNs: 1 })]);
    const buf = encodeBatch(t.batchSince(START_CURSOR).batch);
    expect(() => decodeBatch(buf.slice(0, 100))).toThrow(BatchDecodeError);
    const bad = buf.slice(0);
    new DataView(bad).setUint16(4, 99, true);
    expect(() => decodeBatch(bad)).toThrow(/version 99/);
    new DataView(bad).setUint32(0, 1, true);
    expect(() => decodeBatch(bad)).toThrow(/magic/);
  });
});
