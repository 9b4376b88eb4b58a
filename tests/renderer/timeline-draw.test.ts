// The timeline's frame drawing (renderer/timeline/draw.ts) on a rasterising stand-in for the canvas:
// span runs drawn as one path per colour cover exactly the pixels the per-rect drawing covered, and the
// gutter labels come from the cached label layer.
import { describe, expect, it } from 'vitest';
import { drawTimeline, type LabelLayer } from '../../renderer/timeline/draw.js';
import { MIXED_KIND, TimelineStore } from '../../renderer/timeline/lane-store.js';
import { fitLabel } from '../../renderer/timeline/paint.js';
import { STRIP_MIN_RECTS, type StripLayer } from '../../renderer/timeline/span-track.js';
import { DARK_THEME, pixelOf } from '../../renderer/timeline/theme.js';
import { GUTTER_W, layoutRows } from '../../renderer/timeline/track-layout.js';
import { lane, makeBatch, rng, type SpanSpec } from './timeline-helpers.js';

const W = 900;
const H = 200;

/**
 * A 2D context that rasterises axis-aligned fills of the span colours into a grid (other colours and
 * strokes are ignored) and counts the calls the tests look at.
 */
function rasterCtx(colours: Set<string>) {
  const px = new Array<string>(W * H).fill('');
  let path: [number, number, number, number][] = [];
  const calls = { fillText: 0, drawImage: 0, fillRect: 0, rect: 0, stripRows: 0 };
  const paint = (x: number, y: number, w: number, h: number, c: string) => {
    if (!colours.has(c)) return;
    for (let yy = Math.max(0, y); yy < Math.min(H, y + h); yy++)
      for (let xx = Math.max(0, x); xx < Math.min(W, x + w); xx++) px[yy * W + xx] = c;
  };
  const ctx = {
    fillStyle: '',
    strokeStyle: '',
    font: '',
    textBaseline: '',
    lineWidth: 1,
    globalAlpha: 1,
    fillRect(x: number, y: number, w: number, h: number) {
      calls.fillRect++;
      paint(x, y, w, h, ctx.fillStyle as string);
    },
    beginPath() {
      path = [];
    },
    rect(x: number, y: number, w: number, h: number) {
      calls.rect++;
      path.push([x, y, w, h]);
    },
    fill() {
      for (const r of path) paint(r[0], r[1], r[2], r[3], ctx.fillStyle as string);
    },
    fillText() {
      calls.fillText++;
    },
    drawImage(src: unknown, ...a: number[]) {
      calls.drawImage++;
      // a strip row (fakeStrips) stretched over its lane: [sx, sy, sw, sh, dx, dy, dw, dh]
      const strip = src as Partial<FakeStripCanvas>;
      if (!strip.pixels || a.length !== 8) return;
      calls.stripRows++;
      const [sx, sy, sw, , dx, dy, dw, dh] = a as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      if (dw !== sw) throw new Error('strip rows are not scaled horizontally at pixel ratio 1');
      for (let i = 0; i < sw; i++) {
        const v = strip.pixels[sy * (strip.width as number) + sx + i]!;
        if (v !== 0) paint(dx + i, dy, 1, dh, COLOUR_OF.get(v) ?? `pixel ${v}`);
      }
    },
    clip() {
      path = [];
    },
  } as Record<string, unknown>;
  const noop = () => {};
  for (const m of [
    'save',
    'restore',
    'moveTo',
    'lineTo',
    'stroke',
    'setTransform',
    'clearRect',
    'strokeRect',
  ])
    ctx[m] = noop;
  ctx.bezierCurveTo = noop;
  ctx.imageSmoothingEnabled = true;
  ctx.closePath = noop;
  return { ctx: ctx as unknown as CanvasRenderingContext2D, px, calls };
}

/** The span colours by their pixel value (strip rows hold pixels). */
const COLOUR_OF = new Map([...DARK_THEME.kinds, DARK_THEME.mixed].map((c) => [pixelOf(c)!, c]));

interface FakeStripCanvas {
  width: number;
  height: number;
  pixels: Uint32Array;
  puts: number;
  getContext(): unknown;
}
/** A strip layer whose canvas keeps what is put into it (the raster ctx's drawImage reads it). */
function fakeStrips(): { layer: StripLayer; canvas: FakeStripCanvas } {
  const canvas: FakeStripCanvas = {
    width: 0,
    height: 0,
    pixels: new Uint32Array(0),
    puts: 0,
    getContext: () => sctx,
  };
  const sctx = {
    createImageData: (w: number, h: number) => ({
      width: w,
      height: h,
      data: new Uint8ClampedArray(w * h * 4),
    }),
    putImageData(
      img: { width: number; data: Uint8ClampedArray },
      dx: number,
      dy: number,
      x: number,
      y: number,
      w: number,
      h: number,
    ) {
      canvas.puts++;
      if (canvas.pixels.length !== canvas.width * canvas.height)
        canvas.pixels = new Uint32Array(canvas.width * canvas.height);
      const src = new Uint32Array(img.data.buffer);
      for (let r = y; r < y + h; r++)
        for (let c = x; c < x + w; c++)
          canvas.pixels[(dy + r) * canvas.width + dx + c] = src[r * img.width + c]!;
    },
  };
  return { layer: { canvas: canvas as unknown as HTMLCanvasElement }, canvas };
}

function store(): TimelineStore {
  const r = rng(7);
  const spans: SpanSpec[] = [];
  let id = 1;
  for (let l = 0; l < 4; l++) {
    let t = 0;
    for (let i = 0; i < 3000; i++) {
      // lane 0: back-to-back spans of one kind; lane 1: mixed kinds; lanes 2–3: with gaps
      t += l < 2 ? Math.floor(r() * 3) : Math.floor(r() * 400);
      const d = 20 + Math.floor(r() * (l === 3 ? 3000 : 900));
      spans.push({ lane: l, id: id++, start: t, end: t + d, kind: l === 1 ? Math.floor(r() * 3) : l & 1 });
      t += d;
    }
  }
  spans.sort((a, b) => a.start - b.start);
  const s = new TimelineStore();
  s.ingest(makeBatch(spans, { lanes: [lane(0), lane(1), lane(2, 2, 'copy'), lane(3)], strings: ['k'] }));
  return s;
}

/** The pixels the spans covered when every query rect was filled on its own (the drawing before runs). */
function reference(s: TimelineStore, t0: number, t1: number): string[] {
  const colours = new Set([...DARK_THEME.kinds, DARK_THEME.mixed]);
  const { ctx, px } = rasterCtx(colours);
  const plotW = W - GUTTER_W;
  for (const row of layoutRows(s)) {
    const l = row.track.lane;
    if (!l) continue;
    const top = row.y + 3,
      h = row.h - 6;
    l.query(t0, t1, plotW, (x0, x1, kind) => {
      ctx.fillStyle = kind === MIXED_KIND ? DARK_THEME.mixed : (DARK_THEME.kinds[kind] ?? DARK_THEME.mixed);
      const w = x1 - x0;
      ctx.fillRect(GUTTER_W + x0, top, w > 1 ? w - (w > 3 ? 1 : 0) : 1, h);
    });
  }
  return px;
}

describe('drawTimeline', () => {
  const s = store();
  /** One frame of `s` over [t0, t1] at W×H, dark theme, nothing selected. */
  const draw = (
    ctx: CanvasRenderingContext2D,
    t0: number,
    t1: number,
    extra: { labels?: LabelLayer; dpr?: number; strips?: StripLayer } = {},
  ) =>
    drawTimeline(
      ctx,
      s,
      { t0, t1 },
      {
        width: W,
        height: H,
        theme: DARK_THEME,
        origin: s.minStart,
        selected: null,
        scrollY: 0,
        ...extra,
      },
    );
  const views: [string, number, number][] = [
    ['all', s.minStart, s.maxEnd],
    ['1–3 px spans', 300_000, 600_000],
    ['a tenth', 300_000, 440_000],
    ['a few spans', 500_000, 520_000],
    ['one span wide', 700_000, 700_300],
  ];

  it.each(views)('covers exactly the pixels of the per-rect drawing (%s)', (_name, t0, t1) => {
    const ref = reference(s, t0, t1);
    const { ctx, px, calls } = rasterCtx(new Set([...DARK_THEME.kinds, DARK_THEME.mixed]));
    const stats = draw(ctx, t0, t1);
    expect(stats.drawnRects).toBeGreaterThan(0);
    const diff = px.reduce((n, c, i) => n + (c === ref[i] ? 0 : 1), 0);
    expect(diff).toBe(0);
    // runs: never more path rects than query rects, and far fewer where spans touch
    expect(calls.rect).toBeLessThanOrEqual(stats.drawnRects + 1); // + the clip rect
    expect(px.some((c) => c !== '')).toBe(true);
  });

  it('merges touching rects of one colour into runs but keeps the 1 px gap after wide spans', () => {
    const { ctx, calls } = rasterCtx(new Set(DARK_THEME.kinds));
    const [, t0, t1] = views[1]!;
    const stats = draw(ctx, t0, t1);
    expect(calls.rect - 1).toBeLessThan(stats.drawnRects * 0.8); // 119 of 164 here; without runs, all
  });

  it('draws lanes of many rects as strip rows with the same pixels, at integer pixel ratios only', () => {
    const strips = fakeStrips();
    let stripRows = 0;
    for (const [, t0, t1] of views) {
      const ref = reference(s, t0, t1);
      // The first frame of a view counts each lane's rects; the second draws the busy lanes as strips.
      draw(rasterCtx(new Set()).ctx, t0, t1, { strips: strips.layer });
      const { ctx, px, calls } = rasterCtx(new Set([...DARK_THEME.kinds, DARK_THEME.mixed]));
      const stats = draw(ctx, t0, t1, { strips: strips.layer });
      expect(px.reduce((n, c, i) => n + (c === ref[i] ? 0 : 1), 0)).toBe(0);
      if (calls.stripRows > 0) expect(stats.drawnRects).toBeGreaterThanOrEqual(STRIP_MIN_RECTS);
      stripRows += calls.stripRows;
    }
    expect(stripRows).toBeGreaterThan(0);
    expect(strips.canvas.puts).toBeGreaterThan(0);
    // at 1.5 device pixels per CSS pixel a stretched row would not match the rects' edges: rects
    const [, t0, t1] = views[1]!;
    draw(rasterCtx(new Set()).ctx, t0, t1, { strips: strips.layer, dpr: 1.5 });
    const frac = rasterCtx(new Set());
    draw(frac.ctx, t0, t1, { strips: strips.layer, dpr: 1.5 });
    expect(frac.calls.stripRows).toBe(0);
  });

  it('draws the gutter labels once into the label layer and copies it onto each frame', () => {
    const layerCalls = rasterCtx(new Set());
    const layer: LabelLayer = {
      canvas: { width: 0, height: 0, getContext: () => layerCalls.ctx } as unknown as HTMLCanvasElement,
      key: '',
    };
    const frame = () => {
      const r = rasterCtx(new Set());
      draw(r.ctx, s.minStart, s.maxEnd, { labels: layer, dpr: 2 });
      return r.calls;
    };
    const withoutLayer = rasterCtx(new Set());
    draw(withoutLayer.ctx, s.minStart, s.maxEnd);
    const rows = layoutRows(s).length;
    const first = frame();
    expect(layerCalls.calls.fillText).toBe(rows);
    expect((layer.canvas as { width: number }).width).toBe(GUTTER_W * 2);
    expect(first.drawImage).toBe(1);
    expect(first.fillText).toBe(withoutLayer.calls.fillText - rows); // only the axis labels are left
    frame();
    expect(layerCalls.calls.fillText).toBe(rows); // unchanged rows: not redrawn
    // a new lane: new rows, so the labels are drawn again (all of them, the new one included)
    s.ingest(makeBatch([{ lane: 9, id: 1e6, start: 10, end: 20 }], { lanes: [lane(9, 99)] }));
    frame();
    expect(layoutRows(s).length).toBe(rows + 1);
    expect(layerCalls.calls.fillText).toBe(rows + rows + 1);
  });
});

describe('recorded lanes in the gutter', () => {
  const DEVICE = 'Intel(R) Data Center GPU Max 1550';
  function recordedStore(): TimelineStore {
    const s = new TimelineStore();
    s.ingest(
      makeBatch(
        [
          { lane: 0, id: 1, start: 0, end: 500 },
          { lane: 1, id: 2, start: 600, end: 900 },
        ],
        {
          strings: [
            'k',
            'multi_engine --lists 4 --kernels 40',
            DEVICE,
            'immediate list 1',
            'immediate list 12 (in-order)',
          ],
          lanes: [
            { ...lane(0), source: { pid: 4242, process: 1, device: 2, queue: 3 } },
            { ...lane(1), source: { pid: 4242, process: 1, device: 2, queue: 4 } },
          ],
          edges: [[1, 2]],
        },
      ),
    );
    return s;
  }

  it('runs a long group header on over its header row, from a label layer as wide as the canvas', () => {
    const s = recordedStore();
    const rows = layoutRows(s);
    expect(rows.map((r) => r.track.title)).toEqual([
      `pid 4242 · multi_engine --lists 4 --kernels 40 — ${DEVICE} · compute 0.0`,
      'immediate list 1',
      'immediate list 12 (in-order)',
    ]);
    const layerCalls = rasterCtx(new Set());
    const texts: string[] = [];
    (layerCalls.ctx as unknown as { fillText: (t: string) => void }).fillText = (t: string) => {
      texts.push(t);
    };
    const layer: LabelLayer = {
      canvas: { width: 0, height: 0, getContext: () => layerCalls.ctx } as unknown as HTMLCanvasElement,
      key: '',
    };
    const r = rasterCtx(new Set());
    const stats = drawTimeline(
      r.ctx,
      s,
      { t0: 0, t1: 1000 },
      {
        width: W,
        height: H,
        theme: DARK_THEME,
        origin: 0,
        selected: null,
        scrollY: 0,
        labels: layer,
        dpr: 1,
      },
    );
    expect((layer.canvas as { width: number }).width).toBe(W);
    expect(layer.wideRows).toHaveLength(1);
    // the gutter, then the one wide header row's band across the plot
    expect(r.calls.drawImage).toBe(2);
    // the header fits in the canvas; the long lane name is shortened to the gutter
    expect(texts[0]).toBe(rows[0]!.track.title);
    expect(texts[1]).toBe('immediate list 1');
    expect(texts[2]).toMatch(/^immediate list 12.*…$/);
    expect(texts[2]!.length).toBeLessThan(rows[2]!.track.title.length);
    expect(stats.arrows).toBe(1);
  });

  it('fitLabel shortens with an ellipsis only when needed', () => {
    const ctx = { measureText: (t: string) => ({ width: t.length * 10 }) };
    expect(fitLabel(ctx, 'abcdef', 60)).toBe('abcdef');
    expect(fitLabel(ctx, 'abcdefgh', 60)).toBe('abcde…');
    expect(fitLabel({}, 'x'.repeat(100), 61)).toBe(`${'x'.repeat(9)}…`); // estimated at 6.1 px a char
  });
});
