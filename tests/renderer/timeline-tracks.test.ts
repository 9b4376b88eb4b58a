// The timeline's tracks (renderer/timeline/track.ts): the layout places group headers and span lanes,
// hit tests go through the track under the pointer (the controller's too), the overview strip is a
// track with its own cache, and a track of another kind plugs into the frame through the interface.
import { describe, expect, it } from 'vitest';
import { TimelineController } from '../../renderer/timeline/controller.js';
import { drawTimeline } from '../../renderer/timeline/draw.js';
import { GROUP_H } from '../../renderer/timeline/group-track.js';
import { OVERVIEW_H, OVERVIEW_REFRESH_MS, OverviewTrack } from '../../renderer/timeline/overview-track.js';
import { LANE_H, SpanLaneTrack } from '../../renderer/timeline/span-track.js';
import { DARK_THEME } from '../../renderer/timeline/theme.js';
import { TimelineStore } from '../../renderer/timeline/timeline-store.js';
import {
  AXIS_H,
  GUTTER_W,
  hitTestTracks,
  layoutTracks,
  type Row,
  type TrackLayout,
} from '../../renderer/timeline/track-layout.js';
import type { Track, TrackHit, TrackRenderContext } from '../../renderer/timeline/track.js';
import { lane, makeBatch } from './timeline-helpers.js';

const W = 1170; // a 1000 px plot

/** A 2D context that records the calls (by name) and does nothing. */
function stubCtx() {
  const calls: string[] = [];
  const ctx: Record<string, unknown> = {
    fillStyle: '',
    strokeStyle: '',
    font: '',
    textBaseline: '',
    lineWidth: 1,
    globalAlpha: 1,
    imageSmoothingEnabled: true,
  };
  for (const m of [
    'save',
    'restore',
    'beginPath',
    'closePath',
    'moveTo',
    'lineTo',
    'bezierCurveTo',
    'rect',
    'clip',
    'fill',
    'stroke',
    'fillRect',
    'strokeRect',
    'clearRect',
    'fillText',
    'drawImage',
    'setTransform',
    'setLineDash',
  ])
    ctx[m] = () => calls.push(m);
  return { ctx: ctx as unknown as CanvasRenderingContext2D, calls };
}

/** Two groups: compute 0.0 with lanes 0, 1, 2 (spans 0–1000, 2000–3000, …); copy 1.0 with lane 3. */
function store(): TimelineStore {
  const s = new TimelineStore();
  s.ingest(
    makeBatch(
      [0, 1, 2, 3].flatMap((l) => [
        { lane: l, id: 10 * l + 1, start: 0, end: 1000 },
        { lane: l, id: 10 * l + 2, start: 2000, end: 3000 },
      ]),
      { lanes: [lane(0), lane(1), lane(2), lane(3, 3, 'copy')], strings: ['k'] },
    ),
  );
  return s;
}

describe('layoutTracks', () => {
  it('places a header per group, then its span lanes, every other lane banded', () => {
    const s = store();
    const layout = layoutTracks(s);
    expect(layout.rows.map((r) => [r.track.kind, r.track.title, r.y, r.h, r.banded])).toEqual([
      ['group', 'GPU 0 · compute 0.0', AXIS_H, GROUP_H, false],
      ['lane', 'stream 0', AXIS_H + GROUP_H, LANE_H, false],
      ['lane', 'stream 1', AXIS_H + GROUP_H + LANE_H, LANE_H, true],
      ['lane', 'stream 2', AXIS_H + GROUP_H + 2 * LANE_H, LANE_H, false],
      ['group', 'GPU 0 · copy 1.0', AXIS_H + GROUP_H + 3 * LANE_H, GROUP_H, false],
      ['lane', 'stream 3', AXIS_H + 2 * GROUP_H + 3 * LANE_H, LANE_H, false],
    ]);
    expect(layout.height).toBe(AXIS_H + 4 + 2 * GROUP_H + 4 * LANE_H);
    expect([...layout.laneRows.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect(layout.laneRows.get(3)!.track.lane!.info.id).toBe(3);
    // the same object while the lanes do not change; a new lane lays out again, keeping lane tracks
    expect(layoutTracks(s)).toBe(layout);
    const t0 = layout.rows[1]!.track as SpanLaneTrack;
    t0.lastRects = 99;
    s.ingest(makeBatch([{ lane: 4, id: 99, start: 0, end: 10 }], { lanes: [lane(4)] }));
    const next = layoutTracks(s);
    expect(next).not.toBe(layout);
    expect(next.rows).toHaveLength(7);
    expect(next.rows[1]!.track).toBe(t0);
    expect(t0.lastRects).toBe(99);
  });
});

describe('hit tests through the tracks', () => {
  it('finds the span under a point, nothing over a header or the gutter', () => {
    const s = store();
    const layout = layoutTracks(s);
    const view = { t0: 0, t1: 10_000 }; // 10 ns per px over a 1000 px plot
    const at = (x: number, y: number) => hitTestTracks(layout, s, view, 1000, x, y);
    const lane1 = layout.laneRows.get(1)!;
    expect(at(GUTTER_W + 50, lane1.y + 5)).toEqual({ kind: 'span', lane: 1, index: 0 });
    expect(at(GUTTER_W + 250, lane1.y + 5)).toEqual({ kind: 'span', lane: 1, index: 1 });
    expect(at(GUTTER_W + 150, lane1.y + 5)).toBeNull(); // between the spans
    expect(at(GUTTER_W + 50, AXIS_H + 2)).toBeNull(); // the group header
    expect(at(GUTTER_W - 1, lane1.y + 5)).toBeNull(); // the gutter
    expect(at(GUTTER_W + 50, layout.height + 50)).toBeNull(); // below the rows
  });

  it('the controller hit-tests through its layout (or the one drawn last)', () => {
    const c = new TimelineController();
    c.ingest(
      makeBatch(
        [
          { lane: 0, id: 1, start: 0, end: 1000 },
          { lane: 1, id: 2, start: 5000, end: 6000 },
        ],
        { lanes: [lane(0), lane(1)], strings: ['k'] },
      ),
    );
    c.setView({ t0: 0, t1: 10_000 });
    const layout = c.layout();
    expect(layout).toBe(layoutTracks(c.store));
    const y = (id: number) => layout.laneRows.get(id)!.y + 5;
    expect(c.hitTest(GUTTER_W + 50, y(0), 1000)).toEqual({ kind: 'span', lane: 0, index: 0 });
    expect(c.hitTest(GUTTER_W + 550, y(1), 1000)).toEqual({ kind: 'span', lane: 1, index: 0 });
    expect(c.hitTest(GUTTER_W + 550, y(0), 1000)).toBeNull();
    // a layout passed in is the one asked: a track there answers for its row
    const probe: Track = {
      kind: 'lane',
      title: 'probe',
      getHeight: () => 30,
      render: () => {},
      hitTest: (x, yy) => ({ kind: 'time', t: x * 1000 + yy }),
    };
    const custom: TrackLayout = {
      rows: [{ track: probe, y: 100, h: 30, banded: false }],
      height: 134,
      laneRows: new Map(),
    };
    expect(c.hitTest(GUTTER_W + 7, 112, 1000, custom)).toEqual({ kind: 'time', t: 7012 });
  });
});

describe('OverviewTrack', () => {
  it('answers the time under x, nothing while empty', () => {
    const o = new OverviewTrack();
    expect(o.getHeight()).toBe(OVERVIEW_H);
    const s = store(); // 0 … 3000 ns
    expect(o.hitTest(250, 5, { store: s, view: { t0: 0, t1: 1 }, plotW: 1000 })).toEqual({
      kind: 'time',
      t: 750,
    });
    expect(o.hitTest(250, 5, { store: new TimelineStore(), view: { t0: 0, t1: 1 }, plotW: 1000 })).toBeNull();
  });

  it('redraws its cached content when the size changes or, while spans arrive, every OVERVIEW_REFRESH_MS', () => {
    const s = store();
    const content = stubCtx();
    let redraws = 0;
    const cache = {
      width: 0,
      height: 0,
      getContext: () => {
        redraws++;
        return content.ctx;
      },
    } as unknown as HTMLCanvasElement;
    const o = new OverviewTrack(cache);
    const frame = (now: number, width = 800) => {
      const { ctx, calls } = stubCtx();
      o.render(
        {
          ctx,
          store: s,
          view: { t0: 0, t1: 1500 },
          theme: DARK_THEME,
          width,
          plotX: 0,
          plotW: width,
          nsPerPx: 1500 / width,
          dpr: 2,
          now,
          selected: null,
          strips: null,
          out: { drawnRects: 0, selection: null },
        },
        0,
      );
      return calls;
    };
    const first = frame(1000);
    expect(redraws).toBe(1);
    expect((cache as unknown as { width: number }).width).toBe(1600);
    expect(first.filter((m) => m === 'drawImage')).toHaveLength(1); // the cache, then the window box
    expect(first).toContain('strokeRect');
    expect(o.refreshDue(s, 5000)).toBe(false); // nothing new
    frame(1010);
    expect(redraws).toBe(1);
    s.ingest(makeBatch([{ lane: 0, id: 500, start: 4000, end: 4500 }]));
    expect(o.refreshDue(s, 1000 + OVERVIEW_REFRESH_MS - 1)).toBe(false);
    expect(o.refreshDue(s, 1000 + OVERVIEW_REFRESH_MS)).toBe(true);
    frame(1100);
    expect(redraws).toBe(1); // not due yet: the old content
    frame(1000 + OVERVIEW_REFRESH_MS);
    expect(redraws).toBe(2);
    frame(1000 + OVERVIEW_REFRESH_MS + 1, 900); // a new size: at once
    expect(redraws).toBe(3);
  });
});

describe('a track of another kind', () => {
  it('plugs into the frame: placed by the layout, rendered with the frame context, titled in the gutter', () => {
    const s = store();
    const rendered: { top: number; rc: TrackRenderContext }[] = [];
    class CounterTrack implements Track {
      readonly kind = 'lane';
      readonly title = 'memory';
      getHeight() {
        return 40;
      }
      render(rc: TrackRenderContext, top: number) {
        rendered.push({ top, rc });
        rc.ctx.fillRect(rc.plotX, top, rc.plotW, 40);
      }
      hitTest(): TrackHit | null {
        return null;
      }
    }
    const base = layoutTracks(s);
    const counter = new CounterTrack();
    const last = base.rows[base.rows.length - 1]!;
    const row: Row = { track: counter, y: last.y + last.h, h: 40, banded: true };
    const layout: TrackLayout = { ...base, rows: [...base.rows, row], height: base.height + 40 };
    const { ctx, calls } = stubCtx();
    const texts: string[] = [];
    (ctx as unknown as { fillText: (t: string) => void }).fillText = (t) => texts.push(t);
    const stats = drawTimeline(
      ctx,
      s,
      { t0: 0, t1: 3000 },
      {
        width: W,
        height: 400,
        theme: DARK_THEME,
        origin: 0,
        selected: null,
        scrollY: 10,
        layout,
      },
    );
    expect(stats.layout).toBe(layout);
    expect(rendered).toHaveLength(1);
    expect(rendered[0]!.top).toBe(row.y - 10);
    expect(rendered[0]!.rc.plotX).toBe(GUTTER_W);
    expect(rendered[0]!.rc.plotW).toBe(W - GUTTER_W);
    expect(rendered[0]!.rc.nsPerPx).toBeCloseTo(3000 / (W - GUTTER_W));
    expect(texts).toContain('memory');
    expect(calls.length).toBeGreaterThan(0);
    // the span lanes drew as before
    expect(stats.drawnRects).toBe(8);
  });
});
