// The renderer's columnar lane store: batch ingest, sorting, binary search, LOD merging, hit tests.
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../protocol/timeline-batch.js';
import { TimelineController } from '../../renderer/timeline/controller.js';
import {
  compareLanes,
  groupLabel,
  LaneColumns,
  laneLabel,
  laneTitle,
  TimelineStore,
} from '../../renderer/timeline/lane-store.js';
import { layoutRows } from '../../renderer/timeline/track-layout.js';
import { lowerBound, upperBound } from '../../renderer/timeline/typed-arrays.js';
import { lane, makeBatch, rng, type SpanSpec } from './timeline-helpers.js';

function collect(l: LaneColumns, t0: number, t1: number, width: number) {
  const rects: { x0: number; x1: number; kind: number; count: number; index: number }[] = [];
  l.query(t0, t1, width, (x0, x1, kind, count, index) => rects.push({ x0, x1, kind, count, index }));
  return rects;
}

function randomLane(n: number, seed = 1): LaneColumns {
  const r = rng(seed);
  const l = new LaneColumns(lane(0), 10_000_000);
  let t = 1_000;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * 2_000);
    const d = 50 + Math.floor(r() * 5_000);
    l.push(i, Math.floor(r() * 3), 0, 0, t - 100, t, t + d);
  }
  return l;
}

describe('binary search', () => {
  it('lowerBound/upperBound agree with a linear scan', () => {
    const r = rng(7);
    const a = new Float64Array(500);
    let v = 0;
    for (let i = 0; i < a.length; i++) a[i] = v += Math.floor(r() * 3);
    for (let x = -2; x < v + 3; x += 0.5) {
      let lo = 0;
      while (lo < a.length && a[lo]! < x) lo++;
      let up = 0;
      while (up < a.length && a[up]! <= x) up++;
      expect(lowerBound(a, a.length, x)).toBe(lo);
      expect(upperBound(a, a.length, x)).toBe(up);
    }
  });
});

describe('LaneColumns', () => {
  it('keeps spans sorted by start when they arrive out of order, and grows', () => {
    const l = new LaneColumns(lane(0), 1_000, 4);
    const starts = [50, 10, 30, 20, 40, 5, 60, 55];
    starts.forEach((s, i) => l.push(i, 0, 0, 0, s, s, s + 3));
    expect(l.n).toBe(8);
    expect([...l.start.subarray(0, l.n)]).toEqual([...starts].sort((a, b) => a - b));
    expect(l.id[0]).toBe(5);
  });

  it('drops the oldest half when full', () => {
    const l = new LaneColumns(lane(0), 8, 2);
    for (let i = 0; i < 9; i++) l.push(i, 0, 0, 0, i * 10, i * 10, i * 10 + 5);
    expect(l.n).toBe(5);
    expect(l.dropped).toBe(4);
    expect(l.start[0]).toBe(40);
  });

  it('emits at most one rect per pixel column, disjoint and in order, at every zoom', () => {
    const l = randomLane(100_000);
    const t0 = l.start[0]!,
      t1 = l.end[l.n - 1]!;
    for (const frac of [1, 0.3, 0.01, 0.0005]) {
      for (const width of [1, 100, 1280]) {
        const a = t0 + (t1 - t0) * 0.2;
        const rects = collect(l, a, a + (t1 - t0) * frac, width);
        expect(rects.length).toBeLessThanOrEqual(width);
        for (let i = 0; i < rects.length; i++) {
          const r = rects[i]!;
          expect(r.x1).toBeGreaterThan(r.x0);
          expect(r.x0).toBeGreaterThanOrEqual(0);
          expect(r.x1).toBeLessThanOrEqual(width);
          if (i > 0) expect(r.x0).toBeGreaterThanOrEqual(rects[i - 1]!.x1);
        }
      }
    }
  });

  it('zoomed out, the merged rects cover exactly the pixels the raw spans cover (up to one bucket)', () => {
    const l = randomLane(20_000, 3);
    const t0 = l.start[0]!,
      t1 = l.end[l.n - 1]!;
    const width = 800;
    const covered = new Uint8Array(width);
    const nsPerPx = (t1 - t0) / width;
    for (let i = 0; i < l.n; i++) {
      const a = Math.max(0, Math.floor((l.start[i]! - t0) / nsPerPx));
      const b = Math.min(width, Math.max(a + 1, Math.ceil((l.end[i]! - t0) / nsPerPx)));
      for (let x = a; x < b; x++) covered[x] = 1;
    }
    const drawn = new Uint8Array(width);
    let total = 0;
    for (const r of collect(l, t0, t1, width)) {
      total += r.count;
      for (let x = r.x0; x < r.x1; x++) drawn[x] = 1;
    }
    expect(total).toBe(l.n); // every span is accounted for in exactly one rect
    for (let x = 0; x < width; x++) if (covered[x]) expect(drawn[x]).toBe(1);
    expect(
      l.levelSize(1) + l.levelSize(2) + l.levelSize(3) + l.levelSize(4) + l.levelSize(5) + l.levelSize(6),
    ).toBeGreaterThan(0);
  });

  it('finds spans that start before the window but end inside it', () => {
    const l = new LaneColumns(lane(0), 100);
    l.push(1, 0, 0, 0, 0, 0, 10_000);
    l.push(2, 1, 0, 0, 20_000, 20_000, 20_010);
    const rects = collect(l, 5_000, 15_000, 100);
    expect(rects).toHaveLength(1);
    expect(rects[0]).toMatchObject({ x0: 0, x1: 50, index: 0, count: 1 });
  });

  it('keeps back-to-back wide spans apart (an in-order queue), merging them only when narrow', () => {
    const l = new LaneColumns(lane(0), 100);
    // 10 kernels of 1 003 ns, each starting where the previous ended: boundaries fall inside pixels
    for (let i = 0; i < 10; i++) l.push(i, 0, 0, 0, i * 1003, i * 1003, (i + 1) * 1003);
    const wide = collect(l, 0, 10_030, 100); // ~10 px each
    expect(wide).toHaveLength(10);
    expect(wide.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 1; i < wide.length; i++) expect(wide[i]!.x0).toBe(wide[i - 1]!.x1);
    expect(wide[9]!.x1).toBe(100);
    // more spans than pixels: read from the levels, which merge them into one bar
    for (let i = 10; i < 100; i++) l.push(i, 0, 0, 0, i * 1003, i * 1003, (i + 1) * 1003);
    expect(collect(l, 0, 100_300, 20)).toEqual([{ x0: 0, x1: 20, kind: 0, count: 100, index: -1 }]);
  });

  it('colours a merged rect by the kind of its longest span', () => {
    const l = new LaneColumns(lane(0), 100);
    l.push(1, 4, 0, 0, 0, 0, 0); // an event record (no duration)
    l.push(2, 1, 0, 0, 20, 20, 300); // a copy
    l.push(3, 0, 0, 0, 400, 400, 450); // a short kernel
    expect(collect(l, 0, 1_000_000, 10)).toEqual([{ x0: 0, x1: 1, kind: 1, count: 3, index: -1 }]);
    // At raw level (fine zoom) the same rule applies to rects merged within one pixel.
    expect(collect(l, 0, 100_000, 1000)[0]).toMatchObject({ kind: 1, count: 2 });
    expect(collect(l, 0, 1000, 1000).map((r) => r.kind)).toEqual([4, 1, 0]);
  });

  it('stays correct when late spans arrive after levels were built', () => {
    const l = randomLane(5_000, 9);
    const t0 = l.start[0]!,
      t1 = l.end[l.n - 1]!;
    const before = collect(l, t0, t1, 200).reduce((n, r) => n + r.count, 0);
    expect(before).toBe(5_000);
    l.push(99_999, 2, 0, 0, t0 + 10, t0 + 10, t0 + 20); // out of order, into built levels
    l.push(99_998, 2, 0, 0, (t0 + t1) / 2, (t0 + t1) / 2, (t0 + t1) / 2 + 5);
    const after = collect(l, t0, t1, 200).reduce((n, r) => n + r.count, 0);
    expect(after).toBe(5_002);
  });

  it('builds level k from level k-1 exactly as from the raw spans, also when extended piecewise and out of order', () => {
    // Reference: fold the raw spans at bucket B directly (the pre-chaining algorithm).
    const rawFold = (l: LaneColumns, B: number) => {
      const out: number[][] = [];
      for (let i = 0; i < l.n; i++) {
        const s = l.start[i]!,
          e = l.end[i]!;
        const r = out[out.length - 1];
        if (r && s <= r[1]! + B && Math.floor(s / B) <= Math.floor(r[1]! / B) + 1) {
          if (e > r[1]!) r[1] = e;
          if (e - s > r[3]!) {
            r[3] = e - s;
            r[2] = l.kind[i]!;
          }
          r[4]!++;
        } else out.push([s, e, l.kind[i]!, e - s, 1]);
      }
      return out;
    };
    const r = rng(21);
    const piecewise = new LaneColumns(lane(0), 10_000_000);
    const spans: [number, number, number][] = [];
    let t = 1_000;
    for (let i = 0; i < 30_000; i++) {
      // back-to-back 100 ns–20 µs spans with 0–3 µs gaps (overlapping every 16th), a few arriving late
      const d = 100 + Math.floor(r() * 20_000);
      const late = i % 997 === 5 ? -Math.floor(r() * 200_000) : 0;
      const s = Math.max(0, t + late);
      spans.push([s, s + d, Math.floor(r() * 3)]);
      t += (i % 16 === 0 ? d >> 1 : d) + Math.floor(r() * 3_000);
    }
    spans.forEach(([s, e, k], i) => {
      piecewise.push(i, k, 0, 0, s, s, e);
      if (i % 1_234 === 0) for (let lv = 1; lv <= 10; lv++) piecewise.level(lv); // extend in pieces
    });
    const oneShot = new LaneColumns(lane(0), 10_000_000);
    [...spans].sort((a, b) => a[0] - b[0]).forEach(([s, e, k], i) => oneShot.push(i, k, 0, 0, s, s, e));
    for (const l of [piecewise, oneShot]) {
      let skipped = 0;
      for (let lv = 1; lv <= 10; lv++) {
        const got = l.level(lv);
        const want = rawFold(l, 256 * 4 ** (lv - 1));
        if (got.skip) {
          // Skipped: it would keep most of its source's rects; queries read the level below.
          skipped++;
          expect(got.n).toBe(0);
          expect(want.length).toBeGreaterThan(0.5 * l.n);
          continue;
        }
        expect(got.n).toBe(want.length);
        for (let j = 0; j < want.length; j++) {
          const w = want[j]!;
          expect([got.start[j], got.end[j], got.kind[j], got.dom[j], got.count[j]]).toEqual(w);
        }
      }
      expect(skipped).toBeGreaterThan(0); // 100 ns–20 µs spans: the 256 ns level merges next to nothing
      expect(skipped).toBeLessThan(10);
    }
  });

  it('hit-tests the span under a time', () => {
    const l = new LaneColumns(lane(0), 100);
    l.push(1, 0, 0, 0, 0, 0, 100);
    l.push(2, 0, 0, 0, 200, 200, 300);
    expect(l.hitTest(50, 0)).toBe(0);
    expect(l.hitTest(250, 0)).toBe(1);
    expect(l.hitTest(150, 10)).toBe(-1);
    expect(l.hitTest(195, 10)).toBe(1);
  });
});

describe('TimelineStore', () => {
  it('ingests decoded batches, string deltas, edges and resolves span details', () => {
    const store = new TimelineStore();
    store.ingest(
      makeBatch(
        [
          { lane: 0, id: 1, start: 100, end: 200, name: 0 },
          { lane: 1, id: 2, start: 150, end: 400, name: 1, kind: 1, bytes: 4096 },
        ],
        { lanes: [lane(0), lane(1, 7, 'copy')], strings: ['gemm', 'copy H2D'] },
      ),
    );
    store.ingest(
      makeBatch([{ lane: 0, id: 3, start: 500, end: 600, name: 2 }], {
        stringBase: 2,
        strings: ['relu'],
        edges: [[2, 3]],
      }),
    );
    expect(store.spanCount).toBe(3);
    expect(store.minStart).toBe(100);
    expect(store.maxEnd).toBe(600);
    expect(store.groups().map((g) => g.engineLabel)).toEqual(['compute 0.0', 'copy 1.0']);
    const info = store.spanInfo(0, 1)!;
    expect(info.name).toBe('relu');
    expect(info.deps).toEqual([{ id: 2, name: 'copy H2D' }]);
    expect(store.spanInfo(1, 0)!.dependents).toEqual([{ id: 3, name: 'relu' }]);
    expect(store.locate(2)).toEqual({ lane: 1, start: 150, end: 400 });
    expect(store.locate(99)).toBeNull();
    expect(() => store.ingest(makeBatch([{ lane: 9, id: 4, start: 0, end: 1 }]))).toThrow(/unknown lane/);
    expect(() => store.ingest(makeBatch([], { stringBase: 10, strings: ['x'] }))).toThrow(/missed strings/);
    store.reset();
    expect(store.spanCount).toBe(0);
    expect(store.locate(2)).toBeNull();
  });

  it('the controller decodes binary batches, fits the first data and follows live', () => {
    const c = new TimelineController();
    const spans: SpanSpec[] = [];
    for (let i = 0; i < 100; i++) spans.push({ lane: 0, id: i, start: i * 1000, end: i * 1000 + 500 });
    c.ingestBinary(encodeBatch(makeBatch(spans, { lanes: [lane(0)], strings: ['k'] })));
    expect(c.hook.batches).toBe(1);
    expect(c.store.spanCount).toBe(100);
    expect(c.view.t0).toBeLessThanOrEqual(0);
    expect(c.view.t1).toBeGreaterThanOrEqual(99_500);
    c.zoom(0.5, 0.1); // user zoom turns follow off
    expect(c.follow).toBe(false);
    c.setFollow(true);
    c.ingest(makeBatch([{ lane: 0, id: 1000, start: 1e6, end: 1e6 + 10 }]));
    expect(c.view.t1).toBeGreaterThan(1e6);
    c.ingestBinary(new Uint8Array(8).buffer);
    expect(c.error).toMatch(/could not be read/);
    c.reset();
    expect(c.store.spanCount).toBe(0);
  });
});

describe('level prebuild', () => {
  it('builds the levels zoomed-out views need, in slices', () => {
    const store = new TimelineStore();
    const spans: SpanSpec[] = [];
    for (let i = 0; i < 20_000; i++) spans.push({ lane: i % 2, id: i, start: i * 1000, end: i * 1000 + 600 });
    store.ingest(makeBatch(spans, { lanes: [lane(0), lane(1)] }));
    let t = 0;
    const clock = () => (t += 5); // every call "takes" 5 ms
    let rounds = 0;
    while (!store.prebuildLevels(8, clock)) rounds++;
    expect(rounds).toBeGreaterThan(0);
    const l0 = store.lanes.get(0)!;
    expect(l0.levelUpToDate(1)).toBe(true);
    expect(store.prebuildLevels(8, clock)).toBe(true);
  });
});

describe('bulk ingest of per-lane runs', () => {
  // TimelineStore.ingest appends a lane's run with typed-array copies (LaneColumns.appendRun) when it is
  // in order and fits, and falls back to push per span otherwise: both must leave identical lanes.
  it('matches pushing every span, through out-of-order runs, end < start, growth and the capacity cap', () => {
    const r = rng(11);
    const capacity = 3_000;
    const store = new TimelineStore({ laneCapacity: capacity });
    const ref = new Map<number, LaneColumns>();
    const nLanes = 3;
    const t = [1_000, 1_000, 1_000];
    let id = 1;
    let minStart = Infinity,
      maxEnd = -Infinity;
    for (let batch = 0; batch < 40; batch++) {
      const spans: SpanSpec[] = [];
      for (let l = 0; l < nLanes; l++) {
        const run = Math.floor(r() * 300);
        // about one run in five has one span that starts before the lane's last one or ends before it starts
        const bad = r() < 0.2 ? Math.floor(r() * run) : -1;
        const badKind = r();
        for (let j = 0; j < run; j++) {
          const u = j === bad ? badKind : 0.5;
          const start = u < 0.5 ? t[l]! - Math.floor(r() * 5_000) : (t[l]! += Math.floor(r() * 2_000));
          const end = u > 0.5 ? start - 10 : start + 50 + Math.floor(r() * 4_000);
          spans.push({
            lane: l,
            id: id++,
            start,
            end,
            kind: id % 3,
            name: 0,
            bytes: id * 8,
            submit: start - 7,
          });
        }
      }
      const b = makeBatch(spans, {
        lanes: batch === 0 ? [lane(0), lane(1), lane(2)] : [],
        strings: batch === 0 ? ['k'] : [],
      });
      store.ingest(b);
      for (const s of spans) {
        minStart = Math.min(minStart, s.start);
        maxEnd = Math.max(maxEnd, s.end);
        let c = ref.get(s.lane);
        if (!c) ref.set(s.lane, (c = new LaneColumns(lane(s.lane), capacity)));
        c.push(s.id, s.kind!, s.name!, s.bytes!, s.submit!, s.start, s.end);
      }
      // levels exist while spans stream in, as in the page (prebuildLevels after each batch)
      store.prebuildLevels(Infinity);
      for (const c of ref.values()) for (let k = 1; k <= 4; k++) c.level(k);
    }
    for (const [laneId, c] of ref) {
      const got = store.lanes.get(laneId)!;
      expect(got.n).toBe(c.n);
      expect(got.dropped).toBe(c.dropped);
      expect(got.maxDur).toBe(c.maxDur);
      for (const col of ['start', 'end', 'submit', 'bytes', 'id', 'name', 'kind', 'endMax'] as const)
        expect(Array.from(got[col].subarray(0, got.n)), col).toEqual(Array.from(c[col].subarray(0, c.n)));
      const t0 = c.start[0]!,
        t1 = c.endMax[c.n - 1]!;
      for (const width of [50, 400, 3_000])
        expect(collect(got, t0, t1, width)).toEqual(collect(c, t0, t1, width));
    }
    expect(store.minStart).toBe(minStart);
    expect(store.maxEnd).toBe(maxEnd);
    expect(store.ingested).toBe(id - 1);
    // the cap was reached (oldest halves dropped) and out-of-order spans took the fallback
    expect([...store.lanes.values()].some((l) => l.dropped > 0)).toBe(true);
  });
});

describe('recorded lanes (xpuscope record)', () => {
  // A recorded program's lanes carry their pid and string ids of the process, device and queue names
  // (protocol/timeline-batch.ts BatchLane.source); the store resolves them through its string table.
  const DEVICE = 'Intel(R) Data Center GPU Max 1550';
  const recorded = (
    id: number,
    pid: number,
    device: number,
    engineIndex: number,
    stream: number,
    names: { process: number; device: number; queue: number },
  ) => ({
    id,
    device,
    stream,
    engine: { ordinal: 0, index: engineIndex, kind: 'compute' as const },
    source: { pid, ...names },
  });

  /** Two batches over the binary encoding: lanes of batch 2 use strings that came in batch 1. */
  function recordedController(): TimelineController {
    const c = new TimelineController();
    // strings: 0 'busy', 1 process of pid 4242, 2 device, 3–6 queue names, 7 process of pid 17
    const strings1 = [
      'busy',
      'multi_engine --lists 4',
      DEVICE,
      'immediate list 1',
      'immediate list 2',
      'immediate list 3',
      'immediate list 4',
    ];
    const first = makeBatch(
      [
        { lane: 10, id: 1, start: 100, end: 900 },
        { lane: 11, id: 2, start: 120, end: 950 },
        { lane: 3, id: 3, start: 50, end: 60 },
      ],
      {
        strings: strings1,
        lanes: [
          // Arrive out of display order on purpose: engine 1 before engine 0, pid 4242 before pid 17.
          recorded(10, 4242, 5, 1, 8, { process: 1, device: 2, queue: 4 }),
          recorded(11, 4242, 5, 0, 7, { process: 1, device: 2, queue: 3 }),
          lane(3, 2), // xpuscope's own stream 2 (no source)
        ],
      },
    );
    const second = makeBatch(
      [
        { lane: 12, id: 4, start: 130, end: 990 },
        { lane: 13, id: 5, start: 200, end: 300 },
        { lane: 14, id: 6, start: 140, end: 970 },
      ],
      {
        stringBase: strings1.length,
        strings: ['fork_child --child'],
        lanes: [
          recorded(12, 4242, 5, 0, 9, { process: 1, device: 2, queue: 5 }),
          recorded(13, 17, 6, 0, 1, { process: 7, device: 2, queue: 3 }),
          recorded(14, 4242, 5, 2, 10, { process: 1, device: 2, queue: 6 }),
        ],
      },
    );
    c.ingestBinary(encodeBatch(first));
    c.ingestBinary(encodeBatch(second));
    expect(c.error).toBeNull();
    return c;
  }

  it('names lanes by their queue and groups by process and device, one process together', () => {
    const s = recordedController().store;
    expect(s.lanes.get(10)!.info.source).toEqual({ pid: 4242, process: 1, device: 2, queue: 4 });
    const groups = s.groups();
    expect(groups.map((g) => g.label)).toEqual([
      'GPU 0 · compute 0.0',
      'pid 17 · fork_child --child — Intel(R) Data Center GPU Max 1550 · compute 0.0',
      `pid 4242 · multi_engine --lists 4 — ${DEVICE} · compute 0.0`,
      `pid 4242 · multi_engine --lists 4 — ${DEVICE} · compute 0.1`,
      `pid 4242 · multi_engine --lists 4 — ${DEVICE} · compute 0.2`,
    ]);
    expect(groups.map((g) => g.pid)).toEqual([undefined, 17, 4242, 4242, 4242]);
    expect(groups.map((g) => g.lanes.map((l) => s.laneName(l)))).toEqual([
      ['stream 2'],
      ['immediate list 1'],
      ['immediate list 1', 'immediate list 3'], // engine 0 of pid 4242: by lane (stream 7, then 9)
      ['immediate list 2'],
      ['immediate list 4'],
    ]);
    // The rows the canvas draws carry the same names.
    const rows = layoutRows(s);
    expect(rows.filter((r) => r.track.kind === 'lane').map((r) => r.track.title)).toEqual([
      'stream 2',
      'immediate list 1',
      'immediate list 1',
      'immediate list 3',
      'immediate list 2',
      'immediate list 4',
    ]);
    expect(rows.find((r) => r.track.kind === 'group' && r.track.title.startsWith('pid 17'))).toBeDefined();
  });

  it('names the lane in the details panel the same way', () => {
    const s = recordedController().store;
    expect(s.spanInfo(10, 0)!.laneLabel).toBe(
      `pid 4242 · multi_engine --lists 4 — ${DEVICE} · compute 0.1 · immediate list 2`,
    );
    // Lanes without source look exactly as before.
    expect(s.spanInfo(3, 0)!.laneLabel).toBe('device 0 · compute 0.0 · stream 2');
  });

  it('labels helpers: laneLabel / groupLabel / laneTitle, with and without source', () => {
    const strings = ['p', 'dev', 'queue 1 (in-order)'];
    const l = recorded(0, 9, 3, 1, 4, { process: 0, device: 1, queue: 2 });
    expect(laneLabel(l, strings)).toBe('queue 1 (in-order)');
    expect(groupLabel(l, strings)).toBe('pid 9 · p — dev · compute 0.1');
    expect(laneTitle(l, strings)).toBe('pid 9 · p — dev · compute 0.1 · queue 1 (in-order)');
    expect(laneLabel(lane(1, 5))).toBe('stream 5');
    expect(groupLabel(lane(1, 5, 'copy', 2))).toBe('GPU 2 · copy 1.0');
    // A recorded lane whose names are not (yet) in the table still gets a label.
    expect(laneLabel(l, [])).toBe('queue #2');
  });

  it('orders recorded lanes after own lanes, by pid, device, engine and lane', () => {
    const a = recorded(1, 5, 0, 0, 2, { process: 0, device: 0, queue: 0 });
    const b = recorded(2, 5, 0, 0, 1, { process: 0, device: 0, queue: 0 });
    const c = recorded(3, 4, 9, 3, 9, { process: 0, device: 0, queue: 0 });
    const d = { ...recorded(4, 5, 1, 0, 0, { process: 0, device: 0, queue: 0 }) };
    const own = lane(5, 99, 'copy', 7);
    const sorted = [a, b, c, d, own].sort(compareLanes).map((l) => l.id);
    expect(sorted).toEqual([5, 3, 2, 1, 4]);
  });
});

describe('focusOps (an analysis finding)', () => {
  it('outlines the ops, zooms to their extent, selects the first and stops following', () => {
    const c = new TimelineController();
    c.ingest(
      makeBatch(
        [
          { lane: 0, id: 1, start: 0, end: 1_000 },
          { lane: 0, id: 2, start: 50_000, end: 60_000 },
          { lane: 1, id: 3, start: 55_000, end: 58_000 },
          { lane: 1, id: 4, start: 900_000, end: 1_000_000 },
        ],
        { lanes: [lane(0), lane(1)], strings: ['k'] },
      ),
    );
    expect(c.follow).toBe(true);
    expect(c.focusOps([3, 2])).toBe(2);
    expect(c.highlight).toEqual([3, 2]);
    expect(c.hook.highlighted).toBe(2);
    expect(c.selected).toMatchObject({ lane: 1, id: 3 });
    expect(c.follow).toBe(false);
    expect(c.view.t0).toBeLessThan(50_000);
    expect(c.view.t0).toBeGreaterThan(40_000);
    expect(c.view.t1).toBeGreaterThan(60_000);
    expect(c.view.t1).toBeLessThan(70_000);
    // Ops no longer in the capture: the finding's time range is shown instead.
    expect(c.focusOps([99], { startNs: 200_000, endNs: 300_000 })).toBe(0);
    expect(c.view.t0).toBeLessThan(200_000);
    expect(c.view.t1).toBeGreaterThan(300_000);
    c.clearSelection();
    expect(c.highlight).toEqual([]);
  });
});
