// The capture session on its own (no GPU needed): per-subscriber cursors, coalescing for backed-up
// subscribers with honest `dropped` counts, reset on clear/replace, and the streamed trace file.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchReader, decodeBatch } from '../../protocol/timeline-batch.js';
import type { OpRecord } from '../../protocol/timeline.js';
import { Capture } from '../../host/capture.js';
import type { EventMessage } from '../../host/service.js';
import { Timeline } from '../../runtime/timeline/index.js';

function op(id: number, stream = 1, deps: number[] = []): OpRecord {
  return {
    id,
    device: 0,
    stream,
    engine: { ordinal: 0, index: stream % 2, kind: 'compute' },
    kind: deps.length ? 'event-wait' : 'kernel',
    name: deps.length ? 'wait event' : 'busy',
    bytes: 0,
    submitNs: id * 1000,
    startNs: id * 1000 + 10,
    endNs: id * 1000 + 500,
    deps,
  };
}

const published: Array<{ event: string; data: unknown }> = [];
let capture: Capture | undefined;
afterEach(() => {
  capture?.close();
  published.length = 0;
});

function make(opts: Partial<ConstructorParameters<typeof Capture>[0]> = {}): Capture {
  capture = new Capture({
    publish: (event, data) => published.push({ event, data }),
    batchIntervalMs: 1e6,
    ...opts,
  });
  return capture;
}

function sink(ready: () => boolean = () => true) {
  const reader = new BatchReader();
  const got: { batches: number; dropped: number; ops: OpRecord[] } = { batches: 0, dropped: 0, ops: [] };
  return {
    got,
    sub: {
      ready,
      send(m: EventMessage) {
        if (m.event !== 'timeline.batch') return;
        const b = decodeBatch(m.data as ArrayBuffer);
        got.batches++;
        got.dropped += b.dropped;
        got.ops.push(...reader.apply(b));
      },
    },
  };
}

describe('Capture', () => {
  it('sends each subscriber only what is new, and nothing when nothing changed', () => {
    const c = make();
    const a = sink();
    c.subscribe(a.sub);
    c.ingest([op(1), op(2, 2), op(3, 2, [1])]);
    c.flushBatches();
    c.flushBatches();
    expect(a.got.batches).toBe(1);
    expect(a.got.ops.map((o) => o.id).sort()).toEqual([1, 2, 3]);
    expect(a.got.ops.find((o) => o.id === 3)!.deps).toEqual([1]);
    c.ingest([op(4)]);
    c.flushBatches();
    expect(a.got.batches).toBe(2);
    expect(a.got.ops).toHaveLength(4);
    // a second subscriber starts from everything retained
    const b = sink();
    c.subscribe(b.sub);
    c.flushBatches();
    expect(b.got.ops).toHaveLength(4);
    expect(a.got.batches).toBe(2);
    expect(c.state()).toMatchObject({ ops: 4, lanes: 2, dropped: 0, paused: false });
  });

  it('a backed-up subscriber gets one coalesced batch later, with the evicted ops counted as dropped', () => {
    const c = make({ laneCapacity: 4 });
    let ready = false;
    const slow = sink(() => ready);
    const fast = sink();
    c.subscribe(slow.sub);
    c.subscribe(fast.sub);
    for (let i = 1; i <= 10; i++) {
      c.ingest([op(i)]);
      c.flushBatches();
    }
    expect(slow.got.batches).toBe(0);
    expect(fast.got.ops).toHaveLength(10);
    ready = true;
    c.flushBatches();
    expect(slow.got.batches).toBe(1);
    expect(slow.got.ops.map((o) => o.id)).toEqual([7, 8, 9, 10]);
    expect(slow.got.dropped).toBe(6);
    expect(c.state().dropped).toBe(6);
  });

  it('a subscriber that opts out of batches gets none', () => {
    const c = make();
    const a = sink();
    c.subscribe({ ...a.sub, batches: false });
    c.ingest([op(1)]);
    c.flushBatches();
    expect(a.got.batches).toBe(0);
  });

  it('splits big catch-ups into batches of maxBatchOps', () => {
    const c = make({ maxBatchOps: 3 });
    const a = sink();
    c.subscribe(a.sub);
    c.ingest(Array.from({ length: 8 }, (_, i) => op(i + 1)));
    c.flushBatches();
    c.flushBatches();
    c.flushBatches();
    c.flushBatches();
    expect(a.got.batches).toBe(3);
    expect(a.got.ops).toHaveLength(8);
  });

  it('pause drops new ops, clear and replace reset every subscriber', () => {
    const c = make();
    const a = sink();
    c.subscribe(a.sub);
    c.ingest([op(1)]);
    c.flushBatches();
    expect(c.pause()).toMatchObject({ paused: true, recording: false });
    c.ingest([op(2)]);
    expect(c.state().ops).toBe(1);
    c.resume();
    expect(c.clear().ops).toBe(0);
    expect(published.filter((p) => p.event === 'timeline.reset')).toEqual([
      { event: 'timeline.reset', data: { reason: 'clear' } },
    ]);
    expect(published.filter((p) => p.event === 'capture.state').length).toBe(3);
    c.ingest([op(5)]);
    c.flushBatches();
    expect(a.got.ops.at(-1)!.id).toBe(5);
    const imported = Timeline.fromRecords([op(100), op(101, 3)]);
    expect(c.replace(imported, 'import')).toMatchObject({ ops: 2, paused: true });
    expect(published.at(-2)).toEqual({ event: 'timeline.reset', data: { reason: 'import' } });
    const b = sink();
    c.subscribe(b.sub);
    c.flushBatches();
    expect(b.got.ops.map((o) => o.id).sort()).toEqual([100, 101]);
    expect(c.records().map((o) => o.id)).toEqual([100, 101]);
  });

  it('streams a Chrome trace file while it runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-capture-'));
    const file = join(dir, 'sub', 'live.json');
    const c = make({ traceFile: file });
    expect(c.state().traceFile).toBe(file);
    c.subscribe(sink().sub);
    c.ingest([op(1), op(2, 2, [1])]);
    c.flushBatches();
    c.close();
    const trace = JSON.parse(readFileSync(file, 'utf8')) as {
      traceEvents: Array<{ ph: string; name: string }>;
    };
    expect(trace.traceEvents.filter((e) => e.ph === 'X')).toHaveLength(2);
  });
});
