// One frame of the timeline on its canvas: the background and grid, the tracks (track-layout.ts places
// them; each renders itself — span lanes with level of detail, group headers), the strip rows of busy
// span lanes, the gutter titles (from a cached label layer), outlines of a finding's ops, dependency
// arrows when few spans are visible, the selection outline, and the sticky axis.
import { axisTicks } from './axis.js';
import type { Viewport } from './axis.js';
import { fitLabel, textWidth } from './paint.js';
import { StripFrame, type StripLayer } from './span-track.js';
import { AXIS_H, GUTTER_W, layoutTracks, type Row, type TrackLayout } from './track-layout.js';
import type { Theme } from './theme.js';
import type { TimelineStore } from './timeline-store.js';
import type { TrackRenderContext } from './track.js';

// views/TimelineView.tsx names op kinds through this module.
export { kindName } from './theme.js';

export interface DrawOptions {
  width: number;
  height: number;
  theme: Theme;
  /** Time the axis counts from (the capture's first span). */
  origin: number;
  selected: { lane: number; index: number } | null;
  scrollY: number;
  /** Where the visible part of the canvas starts (its scroll offset): the axis sticks there. */
  axisTop?: number;
  /** Height of the visible part of the canvas (from axisTop): rows outside it are not drawn. Default: all. */
  viewHeight?: number;
  /**
   * Where the lane and group labels are cached (see LabelLayer); without it they are drawn with
   * fillText every frame.
   */
  labels?: LabelLayer;
  /** Device pixels per CSS pixel, for the label layer's resolution. Default 1. */
  dpr?: number;
  /**
   * Where lanes with many runs are rasterised as one pixel row each (see StripLayer); without it
   * every run is a rect.
   */
  strips?: StripLayer;
  /** Op ids outlined as a group (a finding's operations), besides the selection. */
  highlight?: readonly number[];
  /** The tracks' layout (default: layoutTracks(store)). */
  layout?: TrackLayout;
  /** The frame's time (performance.now(), ms), for the tracks. Default: now. */
  now?: number;
}

/** Room for a lane label in the gutter (it starts at x = 14), px. */
const LANE_LABEL_W = GUTTER_W - 20;
/** Room for a group header in the gutter (it starts at x = 6); longer ones run on over the plot. */
const GROUP_LABEL_W = GUTTER_W - 12;

/**
 * The gutter's lane and group labels, drawn once into a transparent canvas and copied onto every frame
 * with one drawImage. fillText cost ~7 µs a call in Chromium (software raster): the ~45 labels of a
 * 64-lane capture were a third of a zoom/pan frame's own time at 10 M spans (bench/NOTES.md). Redrawn
 * when the rows, theme or pixel ratio change.
 */
export interface LabelLayer {
  canvas: HTMLCanvasElement | OffscreenCanvas;
  key: string;
  /** The rows it was drawn for (layoutTracks returns the same array while the lanes do not change). */
  rows?: readonly Row[];
  /**
   * Group headers too long for the gutter (a recorded program's process and device): the layer is then
   * as wide as the canvas and these rows' bands are copied across the plot too (header rows hold no
   * spans). Empty for xpuscope's own lanes, whose layer is the gutter only.
   */
  wideRows?: Row[];
}

const GROUP_FONT = 'bold 11px system-ui, sans-serif';
const LANE_FONT = '11px system-ui, sans-serif';

type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** A row's title in the gutter: a header's bold (fitted to `headerW`), a lane's muted. */
function drawTitle(ctx: Ctx2D, row: Row, y: number, headerW: number, theme: Theme): void {
  if (row.track.kind === 'group') {
    ctx.fillStyle = theme.text;
    ctx.font = GROUP_FONT;
    ctx.fillText(fitLabel(ctx, row.track.title, headerW, true), 6, y);
  } else {
    ctx.fillStyle = theme.muted;
    ctx.font = LANE_FONT;
    ctx.fillText(fitLabel(ctx, row.track.title, LANE_LABEL_W), 14, y);
  }
}

/** Header rows whose title is longer than the gutter (measured in ctx's GROUP_FONT). */
function wideHeaders(ctx: Ctx2D, rows: readonly Row[]): Row[] {
  return rows.filter((r) => r.track.kind === 'group' && textWidth(ctx, r.track.title, true) > GROUP_LABEL_W);
}

function paintLabels(
  layer: LabelLayer,
  key: string,
  rows: readonly Row[],
  o: DrawOptions,
  height: number,
): void {
  const dpr = o.dpr ?? 1;
  const c = layer.canvas;
  let lctx = c.getContext('2d') as Ctx2D | null;
  if (!lctx) return;
  lctx.font = GROUP_FONT;
  const wideRows = wideHeaders(lctx, rows);
  const w = wideRows.length > 0 ? Math.max(GUTTER_W, o.width) : GUTTER_W;
  c.width = Math.max(1, Math.ceil(w * dpr));
  c.height = Math.max(1, Math.ceil(height * dpr));
  lctx = c.getContext('2d') as Ctx2D | null;
  if (!lctx) return;
  lctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  lctx.clearRect(0, 0, w, height);
  lctx.textBaseline = 'middle';
  for (const row of rows) drawTitle(lctx, row, row.y - o.scrollY + row.h / 2, w - 12, o.theme);
  layer.key = key;
  layer.rows = rows;
  layer.wideRows = wideRows;
}

export interface DrawStats {
  drawnRects: number;
  /** Dependency arrows drawn. */
  arrows: number;
  /** The layout drawn (what a hit test should go by until the next frame). */
  layout: TrackLayout;
}

/** Draws one frame; returns how many span rectangles were drawn. */
export function drawTimeline(
  ctx: CanvasRenderingContext2D,
  store: TimelineStore,
  view: Viewport,
  o: DrawOptions,
): DrawStats {
  const { width, height, theme } = o;
  // Only the visible band of the (scrolling) canvas is drawn; a scroll forces a redraw.
  const visTop = Math.max(0, Math.min(height, o.axisTop ?? 0));
  const visBot = Math.min(height, visTop + (o.viewHeight ?? height));
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, visTop, width, visBot - visTop);
  const plotW = Math.max(1, width - GUTTER_W);
  const layout = o.layout ?? layoutTracks(store);
  const rows = layout.rows;
  const nsPerPx = (view.t1 - view.t0) / plotW;

  // Grid + axis.
  const { ticks } = axisTicks(view.t0, view.t1, plotW, o.origin);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const t of ticks) {
    const x = Math.round(GUTTER_W + (t.t - view.t0) / nsPerPx) + 0.5;
    ctx.moveTo(x, Math.max(AXIS_H - 6, visTop));
    ctx.lineTo(x, visBot);
  }
  ctx.stroke();

  ctx.save();
  ctx.beginPath();
  ctx.rect(0, AXIS_H, width, height - AXIS_H);
  ctx.clip();
  const layer = o.labels;
  const dpr = o.dpr ?? 1;
  if (layer) {
    // The width matters only to a layer with wide group headers.
    const key = `${dpr}|${o.scrollY}|${height}|${theme.text}|${theme.muted}|${layer.wideRows?.length ? width : ''}`;
    if (layer.key !== key || layer.rows !== rows) paintLabels(layer, key, rows, o, height);
  }
  // Group headers longer than the gutter (a recorded program's): drawn on over their row.
  ctx.font = GROUP_FONT;
  const wideRows = layer ? (layer.wideRows ?? []) : wideHeaders(ctx, rows);
  const rc: TrackRenderContext = {
    ctx,
    store,
    view,
    theme,
    width,
    plotX: GUTTER_W,
    plotW,
    nsPerPx,
    dpr,
    now: o.now ?? performance.now(),
    selected: o.selected,
    // Strip rows (see StripLayer): at an integer pixel ratio, with a 2D context for the layer.
    strips: StripFrame.begin(o.strips, plotW, rows.length, theme, dpr),
    out: { drawnRects: 0, selection: null },
  };
  for (const row of rows) {
    const y = row.y - o.scrollY;
    if (y + row.h < visTop + AXIS_H || y > visBot) continue;
    if (row.banded) {
      ctx.fillStyle = theme.laneAlt;
      ctx.fillRect(0, y, width, row.h);
    }
    row.track.render(rc, y);
    if (!layer) drawTitle(ctx, row, y + row.h / 2, width - 12, theme);
  }
  rc.strips?.flush(ctx, store, GUTTER_W);

  // The cached labels over the gutter (spans are drawn right of it, so the order does not matter).
  if (layer && layer.canvas.width > 1) {
    const wide = wideRows;
    if (wide.length === 0) ctx.drawImage(layer.canvas, 0, 0, GUTTER_W, height);
    else {
      const s = layer.canvas.width / Math.max(GUTTER_W, width);
      ctx.drawImage(layer.canvas, 0, 0, GUTTER_W * s, height * s, 0, 0, GUTTER_W, height);
      // Long group headers run on over their (span-free) header rows.
      for (const row of wide) {
        const y = row.y - o.scrollY;
        if (y + row.h < visTop || y > visBot) continue;
        const w = width - GUTTER_W;
        ctx.drawImage(layer.canvas, GUTTER_W * s, y * s, w * s, row.h * s, GUTTER_W, y, w, row.h);
      }
    }
  }

  // Operations of a finding: outlined where their lanes are on screen.
  if (o.highlight && o.highlight.length > 0) {
    ctx.strokeStyle = theme.selection;
    ctx.lineWidth = 1.5;
    ctx.setLineDash?.([4, 2]);
    for (const id of o.highlight) {
      const loc = store.locate(id);
      if (!loc || loc.end < view.t0 || loc.start > view.t1) continue;
      const row = layout.laneRows.get(loc.lane);
      if (!row) continue;
      const y = row.y - o.scrollY;
      if (y + row.h < visTop || y > visBot) continue;
      const x0 = Math.max(GUTTER_W, GUTTER_W + (loc.start - view.t0) / nsPerPx);
      const x1 = Math.min(
        width,
        GUTTER_W + Math.max((loc.end - view.t0) / nsPerPx, (loc.start - view.t0) / nsPerPx + 2),
      );
      ctx.strokeRect(x0 - 0.5, y + 1.5, Math.max(2, x1 - x0) + 1, row.h - 3);
    }
    ctx.setLineDash?.([]);
  }

  // Dependency arrows (event record → wait edges) whose ends are both in lanes on screen and at least
  // one end inside the window; the selected span's edges are drawn emphasised.
  let arrows = 0;
  if (store.edgeCount > 0 && store.edgeCount <= 50_000) {
    const selId = o.selected ? (store.lanes.get(o.selected.lane)?.id[o.selected.index] ?? null) : null;
    ctx.strokeStyle = theme.arrow;
    ctx.fillStyle = theme.arrow;
    for (let j = 0; j < store.edgeCount && arrows < 2000; j++) {
      const from = store.edgeFrom[j]!,
        to = store.edgeTo[j]!;
      const a = store.locate(from),
        b = store.locate(to);
      if (!a || !b) continue;
      if ((a.end < view.t0 && b.start < view.t0) || (a.end > view.t1 && b.start > view.t1)) continue;
      const ra = layout.laneRows.get(a.lane),
        rb = layout.laneRows.get(b.lane);
      if (ra === undefined || rb === undefined) continue;
      const ya = ra.y - o.scrollY + ra.h / 2,
        yb = rb.y - o.scrollY + rb.h / 2;
      const xa = GUTTER_W + (a.end - view.t0) / nsPerPx,
        xb = GUTTER_W + (b.start - view.t0) / nsPerPx;
      const emphasised = selId !== null && (from === selId || to === selId);
      ctx.lineWidth = emphasised ? 2.5 : 1.25;
      ctx.globalAlpha = emphasised || selId === null ? 1 : 0.45;
      drawArrow(ctx, xa, ya, xb, yb);
      arrows++;
    }
    ctx.globalAlpha = 1;
  }

  const sel = rc.out.selection;
  if (sel) {
    ctx.strokeStyle = theme.selection;
    ctx.lineWidth = 2;
    ctx.strokeRect(
      Math.max(GUTTER_W, sel.x0) - 1,
      sel.y + 2,
      Math.max(2, sel.x1 - Math.max(GUTTER_W, sel.x0)) + 2,
      sel.h - 4,
    );
  }
  ctx.restore();

  // The axis, sticky at the top of the visible part of the canvas.
  const top = o.axisTop ?? 0;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, top, width, AXIS_H);
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const t of ticks) {
    const x = Math.round(GUTTER_W + (t.t - view.t0) / nsPerPx) + 0.5;
    ctx.moveTo(x, top + AXIS_H - 6);
    ctx.lineTo(x, top + AXIS_H);
  }
  ctx.moveTo(0, top + AXIS_H - 0.5);
  ctx.lineTo(width, top + AXIS_H - 0.5);
  ctx.stroke();
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = theme.muted;
  for (const t of ticks) {
    const x = GUTTER_W + (t.t - view.t0) / nsPerPx;
    ctx.fillText(t.label, x + 3, top + AXIS_H / 2 - 2);
  }

  // Gutter divider, interrupted where a long group header runs on over the plot.
  ctx.strokeStyle = theme.grid;
  ctx.beginPath();
  let from = 0;
  for (const row of wideRows) {
    const y = row.y - o.scrollY;
    if (y > from) {
      ctx.moveTo(GUTTER_W - 0.5, from);
      ctx.lineTo(GUTTER_W - 0.5, y);
    }
    from = Math.max(from, y + row.h);
  }
  ctx.moveTo(GUTTER_W - 0.5, from);
  ctx.lineTo(GUTTER_W - 0.5, height);
  ctx.stroke();
  return { drawnRects: rc.out.drawnRects, arrows, layout };
}

function drawArrow(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  const mx = (x0 + x1) / 2;
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.bezierCurveTo(mx, y0, mx, y1, x1, y1);
  ctx.stroke();
  const angle = Math.atan2(y1 - y0, x1 - mx);
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.lineTo(x1 - 6 * Math.cos(angle - 0.45), y1 - 6 * Math.sin(angle - 0.45));
  ctx.lineTo(x1 - 6 * Math.cos(angle + 0.45), y1 - 6 * Math.sin(angle + 0.45));
  ctx.closePath();
  ctx.fill();
}
