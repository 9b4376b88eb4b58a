// The capture session on its own (no GPU needed): per-subscriber cursors, coalescing for backed-up
// subscribers with honest `dropped` counts, every run its own capture with a view per client (follow or
// pinned), imports shown to their client only, the budget, and the streamed trace file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchReader, decodeBatch } from '../../protocol/timeline-batch.js';
import type { OpRecord } from '../../protocol/timeline.js';
import { Capture, DEFAULT_CLIENT } from '../../host/capture.js';
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
  let reader = new BatchReader();
  const got: { batches: number; dropped: number; ops: OpRecord[] } = { batches: 0, dropped: 0, ops: [] };
  const events: Array<{ event: string; data: unknown }> = [];
  return {
    got,
    events,
    sub: {
      ready,
      send(m: EventMessage) {
        if (m.event === 'timeline.reset') reader = new BatchReader();
        if (m.event !== 'timeline.batch') return void events.push({ event: m.event, data: m.data });
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

  it('pause drops new ops; clear resets the viewers of the live capture only', () => {
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
    expect(a.events.filter((e) => e.event === 'timeline.reset')).toEqual([
      { event: 'timeline.reset', data: { reason: 'clear' } },
    ]);
    expect(a.events.filter((e) => e.event === 'capture.state').length).toBe(3);
    c.ingest([op(5)]);
    c.flushBatches();
    expect(a.got.ops.at(-1)!.id).toBe(5);
  });

  it('an import is its own capture, shown to the importing client only; live capture goes on', () => {
    const c = make();
    const mine = sink();
    const other = sink();
    c.subscribe({ ...mine.sub, client: 'me' });
    c.subscribe({ ...other.sub, client: 'other' });
    c.ingest([op(1)]);
    c.flushBatches();
    const id = c.open(Timeline.fromRecords([op(100), op(101, 3)]), 'file.json', 'me');
    expect(mine.events.filter((e) => e.event === 'timeline.reset')).toEqual([
      { event: 'timeline.reset', data: { reason: 'import' } },
    ]);
    expect(other.events.some((e) => e.event === 'timeline.reset')).toBe(false);
    expect(c.state('me')).toMatchObject({
      source: 'import',
      sourceName: 'file.json',
      capture: id,
      paused: false,
    });
    expect(c.state('other')).toMatchObject({ source: 'live', following: true });
    c.ingest([op(2)]); // live work still recorded, into the live capture
    c.flushBatches();
    expect(mine.got.ops.map((o) => o.id)).toEqual([1, 100, 101]);
    expect(other.got.ops.map((o) => o.id)).toEqual([1, 2]);
    expect(c.records('me').map((o) => o.id)).toEqual([100, 101]);
    // back to following: a reset, then the live capture from the start
    const list = c.select('me', undefined);
    expect(list).toMatchObject({ following: true, viewing: list.newest });
    c.flushBatches();
    expect(mine.got.ops.map((o) => o.id).slice(-2)).toEqual([1, 2]);
    expect(list.captures.map((x) => x.kind)).toEqual(['session', 'import']);
  });

  it('each run is its own capture; followers switch to it, a pinned client stays', () => {
    const c = make();
    const follower = sink();
    const pinned = sink();
    c.subscribe({ ...follower.sub, client: 1 });
    c.subscribe({ ...pinned.sub, client: 2 });
    c.ingest([op(1)]);
    const session = c.list(1).viewing;
    c.select(2, session);
    const run = c.begin('scenario', 'multi-stream', 0);
    c.ingest([op(2), op(3, 2)]);
    c.end(run);
    c.flushBatches();
    expect(follower.got.ops.map((o) => o.id)).toEqual([2, 3]);
    expect(pinned.got.ops.map((o) => o.id)).toEqual([1]);
    const diag = c.begin('diagnostics', 'Diagnostics level 2');
    c.ingest([op(4)]);
    c.flushBatches();
    expect(c.records(1).map((o) => o.id)).toEqual([4]); // never mixed into the scenario
    expect(c.records(1, run).map((o) => o.id)).toEqual([2, 3]);
    const l = c.list(1);
    expect(l.captures.map((x) => [x.kind, x.name, x.live])).toEqual([
      ['session', 'Session', false],
      ['scenario', 'multi-stream', false],
      ['diagnostics', 'Diagnostics level 2', true],
    ]);
    expect(l.captures[1]).toMatchObject({ device: 0, ops: 2, durationNs: 1490 });
    expect(l.newest).toBe(diag);
    // the list reached both clients when the runs began
    expect(pinned.events.filter((e) => e.event === 'captures').length).toBeGreaterThanOrEqual(2);
    expect(() => c.closeCapture(diag)).toThrow(/still receiving/);
    expect(() => c.select(1, 'nope-1')).toThrow(/no capture/);
    c.closeCapture(run);
    expect(c.list(1).captures.map((x) => x.id)).not.toContain(run);
  });

  it('the first batch after a switch is flagged reset, even when the capture shown is empty', () => {
    const c = make();
    const flags: boolean[] = [];
    c.subscribe({
      send(m: EventMessage) {
        if (m.event === 'timeline.batch') flags.push(decodeBatch(m.data as ArrayBuffer).reset === true);
      },
    });
    c.ingest([op(1)]);
    c.flushBatches();
    c.begin('scenario', 'empty so far');
    c.flushBatches();
    c.ingest([op(2)]);
    c.flushBatches();
    expect(flags).toEqual([false, true, false]);
  });

  it('an empty session is replaced by the first run instead of listed', () => {
    const c = make();
    c.begin('scenario', 'a');
    expect(c.list().captures.map((x) => x.kind)).toEqual(['scenario']);
  });

  it('a recording is its own capture and ends; closing a pinned capture moves its viewer back', () => {
    const c = make();
    const a = sink();
    c.subscribe(a.sub);
    const rec = c.beginExternal('prog --x', () => 0);
    c.ingestExternal(rec, [op(7), op(8, 2, [7])]);
    c.flushBatches();
    expect(a.got.ops.map((o) => o.id)).toEqual([7, 8]);
    expect(c.state()).toMatchObject({ source: 'recording', sourceName: 'prog --x', capture: rec });
    c.end(rec);
    c.ingestExternal(rec, [op(9)]); // after the end: ignored
    expect(c.timelineOf(rec).size).toBe(2);
    c.select(DEFAULT_CLIENT, rec); // already shown: no reset
    c.closeCapture(rec);
    expect(c.state().source).toBe('live');
    expect(a.events.filter((e) => e.event === 'timeline.reset').map((e) => e.data)).toEqual([
      { reason: 'record' },
      { reason: 'select' },
    ]);
  });

  it('keeps the captures within the budget, evicting the oldest ended ones', () => {
    const c = make({ maxCaptures: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = c.begin('scenario', `run ${i}`);
      c.ingest([op(i + 1)]);
      c.end(id);
      ids.push(id);
    }
    const l = c.list();
    expect(l.captures.map((x) => x.id)).toEqual(ids.slice(2));
    expect(l.evicted).toBe(2);
  });

  it('says why the streamed trace file cannot be written (the capture goes on)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-capture-'));
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const c = make({ traceFile: join(blocker, 'live.json') });
    const st = c.state();
    expect(st.traceFile).toBeUndefined();
    expect(st.traceError).toMatch(/live\.json could not be opened/);
    c.ingest([op(1)]);
    expect(c.state().ops).toBe(1);
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
