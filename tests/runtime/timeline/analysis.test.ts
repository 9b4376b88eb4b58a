import { describe, expect, it } from 'vitest';
import {
  Timeline,
  analyzeTimeline,
  computeMetrics,
  formatNs,
  type AnalysisFinding,
  type CaptureAnalysis,
} from '../../../runtime/timeline/index.js';
import type { EngineRef, OpRecord, OpSource } from '../../../protocol/index.js';
import { COMPUTE0, COMPUTE1, COPY0, op } from './helpers.js';

const MS = 1_000_000;
const US = 1_000;

/** An op submitted 1 µs before time 0 (queued ahead of everything), unless `submitNs` says otherwise. */
function q(
  id: number,
  stream: number,
  engine: EngineRef,
  startNs: number,
  endNs: number,
  more: Partial<OpRecord> = {},
): OpRecord {
  return op({ id, stream, engine, startNs, endNs, submitNs: -US, ...more });
}

/** `count` back-to-back 1 ms kernels on one lane from `fromMs`, ids from `firstId`. */
function run(firstId: number, stream: number, engine: EngineRef, fromMs: number, count: number): OpRecord[] {
  return Array.from({ length: count }, (_, i) =>
    q(firstId + i, stream, engine, (fromMs + i) * MS, (fromMs + i + 1) * MS),
  );
}

function analyze(records: OpRecord[], opts: Parameters<typeof analyzeTimeline>[1] = {}): CaptureAnalysis {
  return analyzeTimeline(Timeline.fromRecords(records), opts);
}

function only(a: CaptureAnalysis, kind: AnalysisFinding['kind']): AnalysisFinding[] {
  return a.findings.filter((f) => f.kind === kind);
}

function one(a: CaptureAnalysis, kind: AnalysisFinding['kind']): AnalysisFinding {
  const fs = only(a, kind);
  expect(fs, `${kind} findings in ${JSON.stringify(a.findings.map((f) => f.title))}`).toHaveLength(1);
  return fs[0]!;
}

/** Structural checks every analysis must pass: plain JSON, ids and lanes that exist. */
function checkShape(a: CaptureAnalysis, records: OpRecord[], laneCount: number): void {
  expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  const ids = new Set(records.map((r) => r.id));
  for (const f of a.findings) {
    for (const id of f.ops) expect(ids.has(id), `op ${id} of "${f.title}"`).toBe(true);
    for (const l of f.lanes) expect(l).toBeLessThan(laneCount);
    expect(f.ops.length).toBeLessThanOrEqual(50);
    expect(Number.isFinite(f.impactNs)).toBe(true);
  }
}

describe('analyzeTimeline: shared engine', () => {
  it('finds two queues serialized on one engine, with the serialized time and the ops', () => {
    // stream 1 runs 4 back-to-back 1 ms kernels; stream 2's kernels were submitted at the same time but
    // ran only afterwards, on the same engine.
    const recs = [...run(1, 1, COMPUTE0, 0, 4), ...run(11, 2, COMPUTE0, 4, 4)];
    const a = analyze(recs);
    checkShape(a, recs, 2);
    const f = one(a, 'shared-engine');
    expect(f.severity).toBe('warn');
    expect(f.title).toBe('2 queues share compute 0.0');
    expect(f.lanes).toEqual([0, 1]);
    expect(f.values.serializedNs).toBe(4 * MS); // stream 2's first kernel waited [0, 4 ms) while stream 1 ran
    expect(f.values.overlapNs).toBe(0);
    expect(f.values.ops).toBe(8);
    expect(f.values.concurrency).toBeCloseTo(1, 12);
    expect(f.impactNs).toBe(4 * MS);
    // the waiting op first, then the ops that ran meanwhile
    expect(f.ops).toEqual([11, 1, 2, 3, 4]);
    expect(f.detail).toContain('8 ops (8.00 ms of work)');
    expect(f.detail).toContain('for 4.00 ms one queue');
    expect(a.concurrency).toBeCloseTo(1, 12);
    expect(only(a, 'overlap')).toHaveLength(0);
    expect(only(a, 'serialized')).toHaveLength(0);
    expect(a.summary).toContain('2 queues, concurrency 1.00 of a possible 2 (peak 1)');
    expect(a.summary).toContain('all 2 queues are on compute 0.0');
  });

  it('measures alternating queues on one engine (minus the device launch-latency floor)', () => {
    // A0 B0 A1 B1, 1 ms each, all submitted at −1 µs: every op waits for the other queue's op. The
    // smallest start − ready on the device (A0: 1 µs) is launch latency every op pays, so pending time
    // starts 1 µs after ready.
    const recs = [
      q(1, 1, COMPUTE0, 0, MS),
      q(2, 2, COMPUTE0, MS, 2 * MS),
      q(3, 1, COMPUTE0, 2 * MS, 3 * MS),
      q(4, 2, COMPUTE0, 3 * MS, 4 * MS),
    ];
    const a = analyze(recs);
    const f = one(a, 'shared-engine');
    // B0 pending [0, 1 ms) (ready −1 µs + 1 µs), A1 pending [1 ms + 1 µs, 2 ms), B1 [2 ms + 1 µs, 3 ms)
    expect(f.values.serializedNs).toBe(3 * MS - 2 * US);
  });

  it('clips the serialized time to the window', () => {
    const recs = [...run(1, 1, COMPUTE0, 0, 4), ...run(11, 2, COMPUTE0, 4, 4)];
    const f = one(analyze(recs, { startNs: 2 * MS, endNs: 8 * MS }), 'shared-engine');
    expect(f.values.serializedNs).toBe(2 * MS);
  });

  it('names all queues when every queue is on the one engine', () => {
    const recs = [1, 2, 3, 4].flatMap((s) => run(s * 100, s, COMPUTE0, (s - 1) * 4, 4));
    const a = analyze(recs);
    const f = one(a, 'shared-engine');
    expect(f.title).toBe('4 queues share compute 0.0');
    expect(f.lanes).toEqual([0, 1, 2, 3]);
    // streams 2–4 waited from 0 until 4, 8, 12 ms: someone waited during all of [0, 12 ms)
    expect(f.values.serializedNs).toBe(12 * MS);
    expect(f.detail).toContain('stream 4 12.0 ms');
    expect(a.summary).toMatch(
      /^4 queues, concurrency 1\.00 of a possible 4 \(peak 1\): all 4 queues are on compute 0\.0/,
    );
  });

  it('does not fire for queues on different engines that overlapped', () => {
    const recs = [...run(1, 1, COMPUTE0, 0, 4), ...run(11, 2, COMPUTE1, 0, 4)];
    const a = analyze(recs);
    checkShape(a, recs, 2);
    expect(only(a, 'shared-engine')).toHaveLength(0);
    expect(only(a, 'serialized')).toHaveLength(0);
    const o = one(a, 'overlap');
    expect(o.severity).toBe('info');
    expect(o.values.overlapNs).toBe(4 * MS);
    expect(o.values.pctOfBusy).toBeCloseTo(100, 9);
    expect(o.title).toBe('compute 0.0 and compute 0.1 overlapped for 4.00 ms');
    expect(a.concurrency).toBeCloseTo(2, 12);
    expect(a.peakConcurrency).toBe(2);
  });

  it('does not fire when the second queue got its work only after the first finished', () => {
    const recs = [
      ...run(1, 1, COMPUTE0, 0, 4),
      ...[0, 1, 2, 3].map((i) =>
        op({ id: 11 + i, stream: 2, startNs: (4 + i) * MS + 10 * US, endNs: (5 + i) * MS, submitNs: 4 * MS }),
      ),
    ];
    const a = analyze(recs);
    expect(only(a, 'shared-engine')).toHaveLength(0);
  });

  it('does not fire when queues on one engine ran at the same time', () => {
    const recs = [...run(1, 1, COMPUTE0, 0, 4), ...run(11, 2, COMPUTE0, 0, 4)];
    const a = analyze(recs);
    expect(only(a, 'shared-engine')).toHaveLength(0);
    const o = one(a, 'overlap');
    expect(o.values.overlapNs).toBe(0);
    expect(o.values.sameEngineOverlapNs).toBe(4 * MS);
    expect(o.title).toBe('Queues on compute 0.0 overlapped for 4.00 ms');
  });
});

describe('analyzeTimeline: cross-queue waits', () => {
  // Producer stream 1 (compute 0.0): 2 ms kernels back to back. Consumer stream 2 (compute 0.1): each
  // kernel depends on one producer kernel, all submitted up front, starting 5 µs after it ends.
  const chain = (): OpRecord[] => {
    const recs: OpRecord[] = [];
    for (let i = 0; i < 4; i++) {
      recs.push(q(1 + i, 1, COMPUTE0, 2 * i * MS, (2 * i + 2) * MS));
      const s = (2 * i + 2) * MS + 5 * US;
      recs.push(q(11 + i, 2, COMPUTE1, s, s + MS, { deps: [1 + i] }));
    }
    return recs;
  };

  it('sums the waits per producer → consumer pair', () => {
    const recs = chain();
    const a = analyze(recs);
    checkShape(a, recs, 2);
    const f = one(a, 'cross-queue-wait');
    // the first waits from the window start to 2 ms; each next one from its queue's previous end
    // (2i + 1 ms + 5 µs) to its dependency's end (2i + 2 ms)
    expect(f.values.waitNs).toBe(2 * MS + 3 * (MS - 5 * US));
    expect(f.values.count).toBe(4);
    expect(f.values.maxWaitNs).toBe(2 * MS);
    expect(f.values.producerLane).toBe(0);
    expect(f.values.consumerLane).toBe(1);
    expect(f.lanes).toEqual([0, 1]);
    expect(f.title).toBe('stream 2 waited for stream 1');
    expect(f.ops.slice(0, 2)).toEqual([1, 11]); // the largest wait, both ends
    expect(f.timeNs).toEqual({ startNs: 0, endNs: 2 * MS });
    expect(only(a, 'shared-engine')).toHaveLength(0);
    expect(only(a, 'serialized')).toHaveLength(0);
    expect(a.summary).toContain('stream 2 spent 4.99 ms waiting for stream 1 (4 dependencies)');
  });

  it('does not fire when the dependencies had finished before the op was submitted', () => {
    const recs: OpRecord[] = [];
    for (let i = 0; i < 4; i++) recs.push(q(1 + i, 1, COMPUTE0, 2 * i * MS, (2 * i + 2) * MS));
    for (let i = 0; i < 4; i++)
      recs.push(
        op({
          id: 11 + i,
          stream: 2,
          engine: COMPUTE1,
          submitNs: 9 * MS,
          startNs: (9 + i) * MS + 10 * US,
          endNs: (10 + i) * MS,
          deps: [1 + i],
        }),
      );
    const a = analyze(recs);
    expect(only(a, 'cross-queue-wait')).toHaveLength(0);
  });

  it.each([
    ['timed after the wait', 2 * MS + 3 * US, 2 * MS + 3 * US],
    ['timing the wait itself', 0, 2 * MS + 3 * US],
  ])('counts event record → event wait markers (%s) and shows the work around them', (_, wStart, wEnd) => {
    const recs = [
      q(1, 1, COMPUTE0, 0, 2 * MS, { name: 'producer' }),
      q(2, 1, COMPUTE0, 2 * MS, 2 * MS, { kind: 'event-record', name: 'record event' }),
      q(3, 2, COMPUTE1, wStart, wEnd, { kind: 'event-wait', name: 'wait event', deps: [2] }),
      q(4, 2, COMPUTE1, 2 * MS + 5 * US, 3 * MS, { name: 'consumer' }),
    ];
    const a = analyze(recs);
    const f = one(a, 'cross-queue-wait');
    expect(f.values.waitNs).toBe(2 * MS);
    expect(f.ops).toEqual([1, 2, 3, 4]);
  });
});

describe('analyzeTimeline: host synchronizations', () => {
  // 1 ms kernels every 2 ms, each submitted 20 µs before it starts: after the previous one had ended.
  const synced = (): OpRecord[] =>
    [0, 1, 2, 3].map((i) =>
      op({ id: 1 + i, startNs: 2 * i * MS, endNs: (2 * i + 1) * MS, submitNs: 2 * i * MS - 20 * US }),
    );

  it('counts the gaps where the next op was submitted only after the previous ended', () => {
    const recs = synced();
    // a fifth op queued while the fourth still ran: not a host gap
    recs.push(op({ id: 5, startNs: 7 * MS + 50 * US, endNs: 8 * MS, submitNs: 7 * MS - 100 * US }));
    const a = analyze(recs);
    checkShape(a, recs, 1);
    const f = one(a, 'host-sync');
    expect(f.values.count).toBe(3);
    expect(f.values.idleNs).toBe(3 * MS);
    // 20 µs submit → start is the device's smallest latency, so the engine idled the whole gaps
    expect(f.values.engineIdleNs).toBe(3 * MS);
    expect(f.severity).toBe('warn');
    expect(f.ranges).toEqual([
      { startNs: MS, endNs: 2 * MS },
      { startNs: 3 * MS, endNs: 4 * MS },
      { startNs: 5 * MS, endNs: 6 * MS },
    ]);
    expect(f.ops).toEqual([1, 2, 2, 3, 3, 4].filter((v, i, s) => s.indexOf(v) === i));
    expect(f.title).toBe('stream 1: 3 ops submitted only after the previous one finished');
    const idle = one(a, 'idle-gap');
    expect(idle.values.count).toBe(4);
    expect(idle.values.hostLateGaps).toBe(3);
    expect(a.summary).toMatch(/^1 queue, busy /);
  });

  it('does not fire when the ops were queued ahead (even with gaps between them)', () => {
    const recs = synced().map((r) => ({ ...r, submitNs: -US }));
    const a = analyze(recs);
    expect(only(a, 'host-sync')).toHaveLength(0);
    const idle = one(a, 'idle-gap');
    expect(idle.values.count).toBe(3);
    expect(idle.values.hostLateGaps).toBe(0);
  });

  it('skips ops without a submit time and says so', () => {
    const recs = synced().map((r) => ({ ...r, submitNs: r.startNs }));
    const a = analyze(recs);
    expect(only(a, 'host-sync')).toHaveLength(0);
    expect(a.notes.join(' ')).toContain('4 ops have no submit time');
  });
});

describe('analyzeTimeline: idle gaps', () => {
  // union busy: [0,1] [3,5] [9,10] ms → gaps [1,3] and [5,9]
  const gappy = (): OpRecord[] => [
    q(1, 1, COMPUTE0, 0, MS),
    q(2, 1, COMPUTE0, 4 * MS, 5 * MS),
    q(3, 2, COPY0, 3 * MS, 4 * MS),
    q(4, 2, COPY0, 9 * MS, 10 * MS),
  ];

  it('reports the exact gap ranges, largest first', () => {
    const recs = gappy();
    const a = analyze(recs);
    checkShape(a, recs, 2);
    const f = one(a, 'idle-gap');
    expect(f.ranges).toEqual([
      { startNs: 5 * MS, endNs: 9 * MS },
      { startNs: MS, endNs: 3 * MS },
    ]);
    expect(f.timeNs).toEqual({ startNs: 5 * MS, endNs: 9 * MS });
    expect(f.values.idleNs).toBe(6 * MS);
    expect(f.values.idlePct).toBeCloseTo(60, 9);
    expect(f.title).toBe('Device 0 idle 60.0% of the window');
    expect(f.ops).toEqual([2, 4, 1, 3]); // around [5,9]: op 2 ended, op 4 started; around [1,3]: 1, 3
  });

  it('includes leading and trailing idle time of an explicit window', () => {
    const f = one(analyze(gappy(), { startNs: -MS, endNs: 11 * MS }), 'idle-gap');
    expect(f.ranges).toEqual([
      { startNs: 5 * MS, endNs: 9 * MS },
      { startNs: MS, endNs: 3 * MS },
      { startNs: -MS, endNs: 0 },
      { startNs: 10 * MS, endNs: 11 * MS },
    ]);
    expect(f.values.idleNs).toBe(8 * MS);
  });

  it('keeps devices apart and honours the device filter', () => {
    // device 1 is busy exactly when device 0 is idle
    const recs = [
      ...gappy(),
      op({ id: 20, device: 1, startNs: MS, endNs: 3 * MS, submitNs: 0 }),
      op({ id: 21, device: 1, startNs: 5 * MS, endNs: 9 * MS, submitNs: 0 }),
    ];
    const all = analyze(recs);
    const idle = only(all, 'idle-gap');
    expect(idle.map((f) => [f.device, f.values.idleNs])).toEqual([
      [0, 6 * MS],
      [1, 4 * MS], // [0,1] [3,5] [9,10]
    ]);
    const d1 = analyze(recs, { device: 1 });
    expect(d1.lanes.map((l) => l.device)).toEqual([1]);
    expect(only(d1, 'idle-gap').map((f) => f.values.idleNs)).toEqual([2 * MS]); // [3,5] inside [1,9]
    expect(d1.ops).toBe(2);
  });

  it('does not fire on a device that is never idle', () => {
    const a = analyze(run(1, 1, COMPUTE0, 0, 10));
    expect(only(a, 'idle-gap')).toHaveLength(0);
    expect(a.findings).toEqual([]);
    expect(a.summary).toContain('1 queue, busy 100.0% of the window. No shared-engine contention');
  });
});

describe('analyzeTimeline: serialized and overlap', () => {
  it('flags ready work that waited although its own engine was idle', () => {
    // copy stream 2 had both copies ready from the start but ran only after compute stream 1
    const recs = [
      ...run(1, 1, COMPUTE0, 0, 4),
      q(11, 2, COPY0, 4 * MS, 5 * MS),
      q(12, 2, COPY0, 5 * MS, 6 * MS),
    ];
    const a = analyze(recs);
    checkShape(a, recs, 2);
    const f = one(a, 'serialized');
    expect(f.values.stalledNs).toBe(4 * MS);
    expect(f.ops).toEqual([11, 1, 2, 3, 4]);
    expect(f.lanes).toEqual([1, 0]);
    expect(f.title).toBe('stream 2 waited while copy 1.0 was idle');
    expect(only(a, 'shared-engine')).toHaveLength(0);
    expect(only(a, 'cross-queue-wait')).toHaveLength(0);
  });

  it('does not call a dependency wait on a shared engine serialization', () => {
    // stream 2's kernel shares compute 0.0 but depends on stream 1's last kernel: it waited for the
    // dependency, not for the engine
    const recs = [...run(1, 1, COMPUTE0, 0, 4), q(11, 2, COMPUTE0, 4 * MS, 5 * MS, { deps: [4] })];
    const a = analyze(recs);
    expect(only(a, 'shared-engine')).toHaveLength(0);
    const f = one(a, 'cross-queue-wait');
    expect(f.values.waitNs).toBe(4 * MS);
    expect(f.ops).toEqual([4, 11]);
  });

  it('attributes the same wait to a recorded dependency instead', () => {
    const recs = [
      ...run(1, 1, COMPUTE0, 0, 4),
      q(11, 2, COPY0, 4 * MS, 5 * MS, { deps: [4] }),
      q(12, 2, COPY0, 5 * MS, 6 * MS),
    ];
    const a = analyze(recs);
    expect(only(a, 'serialized')).toHaveLength(0);
    expect(one(a, 'cross-queue-wait').values.waitNs).toBe(4 * MS);
  });

  it('reports partial overlap across engines and agrees with computeMetrics', () => {
    const recs = [
      q(1, 1, COMPUTE0, 0, 4 * MS),
      q(2, 2, COPY0, 2 * MS, 6 * MS, { submitNs: 2 * MS - 10 * US }),
    ];
    const a = analyze(recs);
    const o = one(a, 'overlap');
    expect(o.values.overlapNs).toBe(2 * MS);
    expect(o.values.pctOfBusy).toBeCloseTo((100 * 2) / 6, 9);
    expect(o.ops.sort()).toEqual([1, 2]);
    expect(a.concurrency).toBeCloseTo(8 / 6, 12);
    expect(a.summary).toContain(
      '2 queues, concurrency 1.33 of a possible 2 (peak 2): compute 0.0 and copy 1.0 overlapped for 2.00 ms',
    );
  });
});

describe('analyzeTimeline: totals, labels, edge cases', () => {
  it('matches computeMetrics on a random capture, whole and windowed', () => {
    let seed = 12345;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const engines = [COMPUTE0, COMPUTE1, COPY0];
    const recs: OpRecord[] = [];
    let id = 1;
    for (let lane = 0; lane < 6; lane++) {
      let t = rand() * MS;
      for (let i = 0; i < 200; i++) {
        t += rand() < 0.3 ? rand() * 200 * US : 0;
        const d = rand() < 0.1 ? 0 : 10 * US + rand() * 300 * US;
        recs.push(
          op({
            id: id++,
            stream: lane + 1,
            engine: engines[lane % 3]!,
            startNs: t,
            endNs: t + d,
            submitNs: t - rand() * 100 * US,
            deps: id > 3 && rand() < 0.2 ? [Math.floor(rand() * (id - 2)) + 1] : [],
          }),
        );
        t += lane === 5 ? d / 2 : d; // lane 6's ops overlap each other
      }
    }
    // appended out of order, as an importer may: the analysis sorts each lane by start
    for (let i = recs.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [recs[i], recs[j]] = [recs[j]!, recs[i]!];
    }
    const tl = Timeline.fromRecords(recs);
    for (const w of [{}, { startNs: 5 * MS, endNs: 20 * MS }]) {
      const a = analyzeTimeline(tl, w);
      const m = computeMetrics(tl, w);
      checkShape(a, recs, 6);
      expect(a.ops).toBe(m.ops);
      expect(a.windowStartNs).toBe(m.windowStartNs);
      expect(a.windowEndNs).toBe(m.windowEndNs);
      expect(a.serialNs).toBeCloseTo(m.serialNs, 3);
      expect(a.busyNs).toBeCloseTo(m.busyNs, 3);
      expect(a.concurrency).toBeCloseTo(m.concurrency, 9);
      expect(a.peakConcurrency).toBe(m.peakConcurrency);
      for (const e of m.engines) {
        const ae = a.engines.find(
          (x) => x.label === `${e.engine.kind} ${e.engine.ordinal}.${e.engine.index}`,
        )!;
        expect(ae.busyPct).toBeCloseTo(e.busyPct, 6);
        expect(ae.concurrency).toBeCloseTo(e.concurrency, 9);
        expect(ae.ops).toBe(e.ops);
      }
      for (const s of m.streams)
        expect(a.lanes.find((l) => l.lane === s.lane.id)!.busyPct).toBeCloseTo(s.busyPct, 6);
    }
  });

  it("labels a recorded program's lanes with its queue names", () => {
    const src = (queue: string): OpSource => ({ pid: 42, process: 'app --train', device: 'Arc A770', queue });
    const a0 = src('immediate list 3'),
      a1 = src('immediate list 4');
    const recs = [
      ...run(1, 1, COMPUTE0, 0, 4).map((r) => ({ ...r, source: a0 })),
      ...run(11, 2, COMPUTE0, 4, 4).map((r) => ({ ...r, source: a1 })),
    ];
    const a = analyze(recs);
    expect(a.lanes.map((l) => l.label)).toEqual(['immediate list 3', 'immediate list 4']);
    expect(one(a, 'shared-engine').detail).toContain('immediate list 4 4.00 ms');
  });

  it('disambiguates equal lane labels', () => {
    const recs = [q(1, 1, COMPUTE0, 0, MS), { ...q(2, 1, COMPUTE0, 0, MS), device: 1 }];
    expect(analyze(recs).lanes.map((l) => l.label)).toEqual([
      'stream 1 (device 0, compute 0.0)',
      'stream 1 (device 1, compute 0.0)',
    ]);
  });

  it('gives a sane empty analysis for an empty timeline', () => {
    const a = analyzeTimeline(new Timeline());
    expect(a).toEqual({
      windowStartNs: 0,
      windowEndNs: 0,
      windowNs: 0,
      ops: 0,
      lanes: [],
      engines: [],
      serialNs: 0,
      busyNs: 0,
      concurrency: 0,
      peakConcurrency: 0,
      findings: [],
      summary: 'No operations in the window.',
      notes: [],
    });
    expect(() => analyzeTimeline(new Timeline(), { startNs: 5, endNs: 1 })).toThrow(RangeError);
  });

  it('notes dropped ops and dependencies on ops that are not retained', () => {
    const t = new Timeline({ laneCapacity: 2 });
    t.append(run(1, 1, COMPUTE0, 0, 4));
    t.append([q(9, 2, COMPUTE1, 0, MS, { deps: [1] })]);
    const a = analyzeTimeline(t);
    expect(a.notes).toEqual([
      "2 older ops were dropped by the timeline's lane rings; the analysis covers the 3 retained.",
      '1 dependency edge refers to ops that are not retained; waits on them are not counted.',
    ]);
  });

  it('formats durations with three significant digits', () => {
    expect([formatNs(12), formatNs(1234), formatNs(31_234_567), formatNs(850_000), formatNs(2.5e9)]).toEqual([
      '12 ns',
      '1.23 µs',
      '31.2 ms',
      '850 µs',
      '2.50 s',
    ]);
  });

  it('analyses a 1 M-op timeline', () => {
    // 8 lanes, two per engine; each odd lane's ops depend on the op before them on the even lane
    const recs: OpRecord[] = new Array(1_000_000);
    const engs: EngineRef[] = [0, 1, 2, 3].map((index) => ({ ordinal: 0, index, kind: 'compute' as const }));
    for (let i = 0; i < 1_000_000; i++) {
      const lane = i % 8,
        k = Math.floor(i / 8);
      const s = k * 10 * US + (lane & 1) * 5 * US;
      recs[i] = {
        id: i + 1,
        device: 0,
        stream: lane + 1,
        engine: engs[lane >> 1]!,
        kind: 'kernel',
        name: 'k',
        bytes: 0,
        submitNs: s - (lane & 1 ? 7 * US : 2 * US),
        startNs: s,
        endNs: s + 4 * US,
        deps: lane & 1 ? [i] : [],
      };
    }
    const tl = Timeline.fromRecords(recs);
    const a = analyzeTimeline(tl);
    expect(a.ops).toBe(1_000_000);
    expect(a.lanes).toHaveLength(8);
    expect(a.concurrency).toBeCloseTo(4, 6);
    const waits = only(a, 'cross-queue-wait');
    expect(waits).toHaveLength(4);
    for (const w of waits) expect(w.values.count).toBe(125_000);
  }, 60_000);
});

describe("host lanes (a recorded program's Level Zero calls, --host-calls)", () => {
  const HOST: EngineRef = { ordinal: 0, index: 0, kind: 'host' };
  it('take part in no GPU figure, and an append → operation edge is no dependency', () => {
    // Two queues on two engines overlapping; every kernel depends on the host call that appended it,
    // and a host synchronize blocks for the whole second kernel.
    const gpu = [...run(1, 1, COMPUTE0, 0, 2), ...run(11, 2, COMPUTE1, 0, 2)];
    const host: OpRecord[] = [];
    for (const k of gpu) {
      const call = op({
        id: 100 + k.id,
        device: 9,
        stream: 4242,
        engine: HOST,
        kind: 'host-call',
        name: 'zeCommandListAppendLaunchKernel',
        startNs: k.submitNs - 2 * US,
        endNs: k.submitNs,
      });
      host.push(call);
      k.deps = [call.id];
    }
    host.push(
      op({
        id: 200,
        device: 9,
        stream: 4242,
        engine: HOST,
        kind: 'host-call',
        name: 'zeEventHostSynchronize',
        startNs: 0,
        endNs: 2 * MS,
      }),
    );
    const withHost = analyze([...gpu, ...host]);
    const without = analyze(gpu.map((k) => ({ ...k, deps: [] })));
    expect(withHost.ops).toBe(without.ops);
    expect(withHost.concurrency).toBeCloseTo(without.concurrency, 9);
    expect(withHost.engines.map((e) => e.label)).toEqual(without.engines.map((e) => e.label));
    expect(withHost.lanes.length).toBe(2);
    expect(only(withHost, 'cross-queue-wait')).toEqual([]);
    expect(withHost.notes.join(' ')).not.toMatch(/not retained/);
    const m = computeMetrics(Timeline.fromRecords([...gpu, ...host]));
    expect(m.ops).toBe(4);
    expect(m.engines.every((e) => e.engine.kind !== 'host')).toBe(true);
  });
});
