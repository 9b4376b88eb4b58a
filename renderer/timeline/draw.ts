// Canvas drawing of the timeline: axis, lane labels grouped by device and engine, spans with level of
// detail (at most one merged rect per pixel per lane, see LaneColumns.query), labels on wide spans,
// dependency arrows when few spans are visible, the selection, and the overview strip.
import { OP_KINDS } from '../../protocol/timeline.js';
import { axisTicks } from './axis.js';
import { MIXED_KIND, type LaneColumns, type TimelineStore } from './lane-store.js';
import type { Viewport } from './axis.js';

export const AXIS_H = 24;
export const GUTTER_W = 170;
export const LANE_H = 22;
export const GROUP_H = 18;

export interface Theme {
  bg: string;
  laneAlt: string;
  text: string;
  muted: string;
  grid: string;
  selection: string;
  arrow: string;
  kinds: string[];
  mixed: string;
}

export const DARK_THEME: Theme = {
  bg: '#101215',
  laneAlt: '#15181d',
  text: '#e6e8eb',
  muted: '#a2a9b4',
  grid: '#2a2f38',
  selection: '#ffbf47',
  arrow: '#ff7ab6',
  // OP_KINDS order: kernel, copy, fill, barrier, event-record, event-wait, event-reset, timestamp.
  kinds: ['#5aa9ff', '#4cc38a', '#e0a341', '#8b93a1', '#b98cff', '#ff7ab6', '#3ec7c7', '#d7dbe0', '#c9a0dc'],
  mixed: '#7c8799',
};
export const LIGHT_THEME: Theme = {
  bg: '#ffffff',
  laneAlt: '#f3f5f8',
  text: '#1b1f24',
  muted: '#59616d',
  grid: '#dde1e7',
  selection: '#b35c00',
  arrow: '#c2185b',
  kinds: ['#1f6fd1', '#1f8a55', '#b7791f', '#6b7280', '#7c4dff', '#c2185b', '#0e8585', '#3b4350', '#8e5aa8'],
  mixed: '#8a94a6',
};

export function kindName(code: number): string {
  return code === MIXED_KIND ? 'several' : (OP_KINDS[code] ?? 'kernel');
}

function kindColour(theme: Theme, kind: number): string {
  return kind === MIXED_KIND ? theme.mixed : (theme.kinds[kind] ?? theme.mixed);
}

/**
 * Joins rects of one kind whose painted extents [x0, end) touch or overlap into runs, and hands each
 * run to `emit` (kind, x0, x1). Rects are whole pixels, so a run covers exactly the pixels its rects
 * would: a dense lane zoomed out is one 1–3 px rect per pixel column (LaneColumns.query), and in
 * software raster every canvas call has a fixed cost.
 */
class Runs {
  private kind = -1;
  private x0 = 0;
  private x1 = 0;
  constructor(private readonly emit: (kind: number, x0: number, x1: number) => void) {}
  add(kind: number, x0: number, end: number): void {
    if (kind === this.kind && x0 <= this.x1) {
      if (end > this.x1) this.x1 = end;
      return;
    }
    this.flush();
    this.kind = kind;
    this.x0 = x0;
    this.x1 = end;
  }
  flush(): void {
    if (this.kind >= 0) this.emit(this.kind, this.x0, this.x1);
    this.kind = -1;
  }
}

export interface Row {
  kind: 'group' | 'lane';
  y: number;
  h: number;
  label: string;
  lane?: LaneColumns;
}

/** Width of a label in the gutter fonts, px: measured when the context can, else estimated. */
/** A context that may measure text (the tests' stand-in does not). */
interface Measurer {
  measureText?: (text: string) => { width: number };
}

function textWidth(ctx: Measurer, text: string, bold: boolean): number {
  if (typeof ctx.measureText === 'function') {
    const w = ctx.measureText(text).width;
    if (Number.isFinite(w)) return w;
  }
  return text.length * (bold ? 6.6 : 6.1);
}

/**
 * `text` shortened with an ellipsis to fit `maxPx` (a recorded program's queue names can be longer than
 * the gutter).
 */
export function fitLabel(ctx: Measurer, text: string, maxPx: number, bold = false): string {
  if (textWidth(ctx, text, bold) <= maxPx) return text;
  let lo = 0,
    hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (textWidth(ctx, `${text.slice(0, mid)}…`, bold) <= maxPx) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

/** Room for a lane label in the gutter (it starts at x = 14), px. */
const LANE_LABEL_W = GUTTER_W - 20;
/** Room for a group header in the gutter (it starts at x = 6); longer ones run on over the plot. */
const GROUP_LABEL_W = GUTTER_W - 12;

/** layoutRows' last answer per store, valid while the store's groups are the same array. */
const ROWS = new WeakMap<TimelineStore, { groups: unknown; rows: Row[] }>();

/**
 * Rows top to bottom under the axis: a header per device/engine group, then its stream lanes. The
 * same array while the lanes do not change (every frame asks; do not modify it).
 */
export function layoutRows(store: TimelineStore): Row[] {
  const groups = store.groups();
  const cached = ROWS.get(store);
  if (cached && cached.groups === groups) return cached.rows;
  const rows: Row[] = [];
  ROWS.set(store, { groups, rows });
  let y = AXIS_H;
  for (const g of groups) {
    rows.push({ kind: 'group', y, h: GROUP_H, label: g.label });
    y += GROUP_H;
    for (const lane of g.lanes) {
      rows.push({ kind: 'lane', y, h: LANE_H, label: store.laneName(lane), lane });
      y += LANE_H;
    }
  }
  return rows;
}

/** Height the lanes need (axis included), px. */
export function contentHeight(store: TimelineStore): number {
  let h = AXIS_H + 4;
  for (const g of store.groups()) h += GROUP_H + g.lanes.length * LANE_H;
  return h;
}

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
}

/**
 * Lanes with many separate runs (a zoomed-in lane is a hundred spans or more, each with its 1 px gap)
 * are written as one row of pixels each into an ImageData, put once per frame into this canvas, and
 * each row is stretched over its lane with one nearest-neighbour drawImage. In Chromium's software
 * canvas a rect costs ~0.1 µs to record, so 7 000 of them were about half of a deep-zoom frame; 64 rows
 * cost ~0.45 ms against ~0.7 ms as paths (bench/NOTES.md, session 4). Runs are whole pixels and the
 * colours opaque, so at an integer pixel ratio the pixels are the ones the rects would paint
 * (tests/renderer/timeline-draw.test.ts compares them); at a fractional ratio rects are used.
 */
export interface StripLayer {
  canvas: HTMLCanvasElement | OffscreenCanvas;
  /** The rows' pixels (plot width × lane count), reallocated when either changes. */
  img?: ImageData;
  u32?: Uint32Array;
}

/**
 * A lane whose last frame had at least this many rects is drawn as a strip row (fewer: rects, which
 * cost less then). The last frame's count decides because the rects are painted into the row as the
 * query emits them; both ways paint the same pixels, so a wrong guess costs time only.
 */
export const STRIP_MIN_RECTS = 48;
const LAST_RECTS = new WeakMap<LaneColumns, number>();

/** '#rrggbb' → the pixel's 32-bit value (RGBA bytes, little-endian); undefined for other forms. */
export function pixelOf(colour: string): number | undefined {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (!m) return undefined;
  return (0xff000000 | (parseInt(m[3]!, 16) << 16) | (parseInt(m[2]!, 16) << 8) | parseInt(m[1]!, 16)) >>> 0;
}

/**
 * Per theme: each kind's pixel value (index: kind, 0–255; kinds without a colour of their own are the
 * mixed colour), or null when a colour has no pixel form (then no strips).
 */
const PIXEL_TABLES = new WeakMap<Theme, Uint32Array | null>();
function pixelTable(theme: Theme): Uint32Array | null {
  let t = PIXEL_TABLES.get(theme);
  if (t === undefined) {
    t = new Uint32Array(256);
    for (let k = 0; k < 256; k++) {
      const v = pixelOf(kindColour(theme, k));
      if (v === undefined) {
        t = null;
        break;
      }
      t[k] = v;
    }
    PIXEL_TABLES.set(theme, t);
  }
  return t;
}

/**
 * The gutter's lane and group labels, drawn once into a transparent canvas and copied onto every frame
 * with one drawImage. fillText cost ~7 µs a call in Chromium (software raster): the ~45 labels of a
 * 64-lane capture were a third of a zoom/pan frame's own time at 10 M spans (bench/NOTES.md). Redrawn
 * when the rows, theme or pixel ratio change.
 */
export interface LabelLayer {
  canvas: HTMLCanvasElement | OffscreenCanvas;
  key: string;
  /** The rows it was drawn for (layoutRows returns the same array while the lanes do not change). */
  rows?: Row[];
  /**
   * Group headers too long for the gutter (a recorded program's process and device): the layer is then
   * as wide as the canvas and these rows' bands are copied across the plot too (header rows hold no
   * spans). Empty for xpuscope's own lanes, whose layer is the gutter only.
   */
  wideRows?: Row[];
}

const GROUP_FONT = 'bold 11px system-ui, sans-serif';
const LANE_FONT = '11px system-ui, sans-serif';

function paintLabels(layer: LabelLayer, key: string, rows: Row[], o: DrawOptions, height: number): void {
  const dpr = o.dpr ?? 1;
  const c = layer.canvas;
  let lctx = c.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!lctx) return;
  lctx.font = GROUP_FONT;
  const measure = lctx;
  const wideRows = rows.filter(
    (r) => r.kind === 'group' && textWidth(measure, r.label, true) > GROUP_LABEL_W,
  );
  const w = wideRows.length > 0 ? Math.max(GUTTER_W, o.width) : GUTTER_W;
  c.width = Math.max(1, Math.ceil(w * dpr));
  c.height = Math.max(1, Math.ceil(height * dpr));
  lctx = c.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!lctx) return;
  lctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  lctx.clearRect(0, 0, w, height);
  lctx.textBaseline = 'middle';
  for (const row of rows) {
    const y = row.y - o.scrollY + row.h / 2;
    if (row.kind === 'group') {
      lctx.fillStyle = o.theme.text;
      lctx.font = GROUP_FONT;
      lctx.fillText(fitLabel(lctx, row.label, w - 12, true), 6, y);
    } else {
      lctx.fillStyle = o.theme.muted;
      lctx.font = LANE_FONT;
      lctx.fillText(fitLabel(lctx, row.label, LANE_LABEL_W), 14, y);
    }
  }
  layer.key = key;
  layer.rows = rows;
  layer.wideRows = wideRows;
}

export interface DrawStats {
  drawnRects: number;
  /** Dependency arrows drawn. */
  arrows: number;
  rows: Row[];
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
  const rows = layoutRows(store);
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

  let drawnRects = 0;
  let selRect: { x0: number; x1: number; y: number } | null = null;

  ctx.save();
  ctx.beginPath();
  ctx.rect(0, AXIS_H, width, height - AXIS_H);
  ctx.clip();
  const layer = o.labels;
  if (layer) {
    // The width matters only to a layer with wide group headers.
    const key = `${o.dpr ?? 1}|${o.scrollY}|${height}|${theme.text}|${theme.muted}|${layer.wideRows?.length ? width : ''}`;
    if (layer.key !== key || layer.rows !== rows) paintLabels(layer, key, rows, o, height);
  }
  // Group headers longer than the gutter (a recorded program's): drawn on over their row.
  ctx.font = GROUP_FONT;
  const wideRows = layer
    ? (layer.wideRows ?? [])
    : rows.filter((r) => r.kind === 'group' && textWidth(ctx, r.label, true) > GROUP_LABEL_W);
  let alt = false;
  // Strip rows (see StripLayer): at an integer pixel ratio, with a 2D context for the layer.
  const dpr = o.dpr ?? 1;
  let strip: {
    layer: StripLayer;
    u32: Uint32Array;
    sctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
  } | null = null;
  if (o.strips && Number.isInteger(dpr)) {
    const sl = o.strips;
    const sctx = sl.canvas.getContext('2d') as
      CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    const need = Math.max(1, rows.length);
    if (sctx) {
      if (!sl.img || !sl.u32 || sl.img.width !== plotW || sl.img.height < need) {
        sl.canvas.width = plotW;
        sl.canvas.height = need;
        sl.img = sctx.createImageData(plotW, need);
        sl.u32 = new Uint32Array(sl.img.data.buffer, sl.img.data.byteOffset, plotW * need);
      }
      strip = { layer: sl, u32: sl.u32, sctx };
    }
  }
  const px = strip ? pixelTable(theme) : null;
  /** Lanes drawn as strip rows: top and height per row (drawn after the loop). */
  const stripLanes: number[] = [];
  /** Span labels of strip lanes, drawn over the strips after them. */
  const stripLabels: {
    lane: LaneColumns;
    labels: { x: number; w: number; index: number }[];
    y: number;
    h: number;
  }[] = [];
  for (const row of rows) {
    const y = row.y - o.scrollY;
    if (y + row.h < visTop + AXIS_H || y > visBot) {
      // Off screen: not drawn, but the lane striping keeps its parity.
      alt = row.kind === 'group' ? false : !alt;
      continue;
    }
    if (row.kind === 'group') {
      ctx.fillStyle = theme.grid;
      ctx.fillRect(0, y, width, row.h);
      if (!layer) {
        ctx.fillStyle = theme.text;
        ctx.font = GROUP_FONT;
        ctx.fillText(fitLabel(ctx, row.label, width - 12, true), 6, y + row.h / 2);
      }
      alt = false;
      continue;
    }
    const lane = row.lane!;
    if (alt) {
      ctx.fillStyle = theme.laneAlt;
      ctx.fillRect(0, y, width, row.h);
    }
    alt = !alt;
    if (!layer) {
      ctx.fillStyle = theme.muted;
      ctx.font = LANE_FONT;
      ctx.fillText(fitLabel(ctx, row.label, LANE_LABEL_W), 14, y + row.h / 2);
    }

    const top = y + 3,
      h = row.h - 6;
    const labels: { x: number; w: number; index: number }[] = [];
    // Strip row (u32 from rowBase) or rects: runs (see Runs) go into one path, filled when the colour
    // changes and at the end of the lane (in the page ctx.rect() recorded cheaper than fillRect():
    // deep-zoom frames 1.3 vs 1.5 ms median, NOTES.md).
    const u32 = strip && px && (LAST_RECTS.get(lane) ?? 0) >= STRIP_MIN_RECTS ? strip.u32 : null;
    const rowBase = (stripLanes.length / 2) * plotW;
    if (u32) u32.fill(0, rowBase, rowBase + plotW);
    let pathKind = -1;
    const fillPath = (): void => {
      if (pathKind < 0) return;
      ctx.fillStyle = kindColour(theme, pathKind);
      ctx.fill();
      pathKind = -1;
    };
    const runs = new Runs((kind, x0, x1) => {
      if (kind !== pathKind) {
        fillPath();
        ctx.beginPath();
        pathKind = kind;
      }
      ctx.rect(GUTTER_W + x0, top, x1 - x0, h);
    });
    const n = lane.query(view.t0, view.t1, plotW, (x0, x1, kind, _count, index) => {
      const w = x1 - x0;
      const end = x0 + (w > 1 ? w - (w > 3 ? 1 : 0) : 1); // wide spans keep a 1 px gap after them
      if (u32) {
        // Painted in the query's order, as the rects would be: a later rect wins a shared pixel.
        const v = (px as Uint32Array)[kind]!;
        const a = rowBase + x0,
          b = rowBase + (end < plotW ? end : plotW);
        // Most rects are a few pixels: a plain loop; TypedArray.fill's call cost pays off on long ones.
        if (b - a > 32) u32.fill(v, a, b);
        else for (let x = a; x < b; x++) u32[x] = v;
      } else runs.add(kind, x0, end);
      if (index >= 0) {
        if (w > 40) labels.push({ x: GUTTER_W + x0, w, index });
        if (o.selected && o.selected.lane === lane.info.id && o.selected.index === index)
          selRect = { x0: GUTTER_W + x0, x1: GUTTER_W + x1, y };
      }
    });
    drawnRects += n;
    LAST_RECTS.set(lane, n);
    if (u32) {
      stripLanes.push(top, h);
      if (labels.length > 0) stripLabels.push({ lane, labels, y, h: row.h });
    } else {
      runs.flush();
      fillPath();
      if (labels.length > 0) drawSpanLabels(ctx, store, lane, labels, y, row.h);
    }
    // The selected span may be merged into a wider rect at this zoom: outline its true extent.
    if (o.selected && o.selected.lane === lane.info.id && !selRect && o.selected.index < lane.n) {
      const s = lane.start[o.selected.index]!,
        e = lane.end[o.selected.index]!;
      selRect = {
        x0: GUTTER_W + (s - view.t0) / nsPerPx,
        x1: GUTTER_W + Math.max((e - view.t0) / nsPerPx, (s - view.t0) / nsPerPx + 1),
        y,
      };
    }
  }

  if (strip && stripLanes.length > 0) {
    const n = stripLanes.length / 2;
    strip.sctx.putImageData(strip.layer.img as ImageData, 0, 0, 0, 0, plotW, n);
    const smooth = ctx.imageSmoothingEnabled;
    ctx.imageSmoothingEnabled = false;
    for (let r = 0; r < n; r++) {
      ctx.drawImage(
        strip.layer.canvas,
        0,
        r,
        plotW,
        1,
        GUTTER_W,
        stripLanes[r * 2]!,
        plotW,
        stripLanes[r * 2 + 1]!,
      );
    }
    ctx.imageSmoothingEnabled = smooth;
    for (const l of stripLabels) drawSpanLabels(ctx, store, l.lane, l.labels, l.y, l.h);
  }

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
    const laneRow = new Map<number, number>();
    for (const row of rows) if (row.lane) laneRow.set(row.lane.info.id, row.y - o.scrollY);
    ctx.strokeStyle = theme.selection;
    ctx.lineWidth = 1.5;
    ctx.setLineDash?.([4, 2]);
    for (const id of o.highlight) {
      const loc = store.locate(id);
      if (!loc || loc.end < view.t0 || loc.start > view.t1) continue;
      const y = laneRow.get(loc.lane);
      if (y === undefined || y + LANE_H < visTop || y > visBot) continue;
      const x0 = Math.max(GUTTER_W, GUTTER_W + (loc.start - view.t0) / nsPerPx);
      const x1 = Math.min(
        width,
        GUTTER_W + Math.max((loc.end - view.t0) / nsPerPx, (loc.start - view.t0) / nsPerPx + 2),
      );
      ctx.strokeRect(x0 - 0.5, y + 1.5, Math.max(2, x1 - x0) + 1, LANE_H - 3);
    }
    ctx.setLineDash?.([]);
  }

  // Dependency arrows (event record → wait edges) whose ends are both in lanes on screen and at least
  // one end inside the window; the selected span's edges are drawn emphasised.
  let arrows = 0;
  if (store.edgeCount > 0 && store.edgeCount <= 50_000) {
    const laneY = new Map<number, number>();
    for (const row of rows) if (row.lane) laneY.set(row.lane.info.id, row.y - o.scrollY + row.h / 2);
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
      const ya = laneY.get(a.lane),
        yb = laneY.get(b.lane);
      if (ya === undefined || yb === undefined) continue;
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

  if (selRect) {
    const r = selRect as { x0: number; x1: number; y: number };
    ctx.strokeStyle = theme.selection;
    ctx.lineWidth = 2;
    ctx.strokeRect(
      Math.max(GUTTER_W, r.x0) - 1,
      r.y + 2,
      Math.max(2, r.x1 - Math.max(GUTTER_W, r.x0)) + 2,
      LANE_H - 4,
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
  return { drawnRects, arrows, rows };
}

/** Names on spans wide enough to hold three characters or more. */
function drawSpanLabels(
  ctx: CanvasRenderingContext2D,
  store: TimelineStore,
  lane: LaneColumns,
  labels: { x: number; w: number; index: number }[],
  y: number,
  rowH: number,
): void {
  ctx.fillStyle = '#0b0d10';
  ctx.font = '11px system-ui, sans-serif';
  for (const l of labels) {
    const name = store.nameOf(lane.name[l.index]!);
    const maxChars = Math.floor((l.w - 8) / 6.5);
    if (maxChars < 3) continue;
    const text = name.length > maxChars ? `${name.slice(0, maxChars - 1)}…` : name;
    ctx.fillText(text, Math.max(l.x, GUTTER_W) + 4, y + rowH / 2);
  }
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

/** The overview strip: every lane's content over the whole capture, and the visible window. */
export function drawOverview(
  ctx: CanvasRenderingContext2D,
  store: TimelineStore,
  view: Viewport,
  width: number,
  height: number,
  theme: Theme,
): void {
  drawOverviewContent(ctx, store, width, height, theme);
  drawOverviewWindow(ctx, store, view, width, height, theme);
}

/** The overview's lanes (depends on the data, size and theme only: cacheable across view changes). */
export function drawOverviewContent(
  ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  store: TimelineStore,
  width: number,
  height: number,
  theme: Theme,
): void {
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  const lanes = store.orderedLanes();
  if (lanes.length === 0 || !(store.maxEnd > store.minStart)) return;
  const t0 = store.minStart,
    t1 = store.maxEnd;
  const rowH = Math.max(1, Math.min(6, (height - 4) / lanes.length));
  lanes.forEach((lane, i) => {
    const y = 2 + i * rowH;
    const rh = Math.max(1, rowH - 1);
    let lastKind = -1;
    const runs = new Runs((kind, x0, x1) => {
      // Setting fillStyle parses the colour: only when the kind changes.
      if (kind !== lastKind) {
        ctx.fillStyle = kindColour(theme, kind);
        lastKind = kind;
      }
      ctx.fillRect(x0, y, x1 - x0, rh);
    });
    lane.query(t0, t1, width, (x0, x1, kind) => runs.add(kind, x0, x0 + Math.max(1, x1 - x0)));
    runs.flush();
  });
}

/** The overview's visible-window box, drawn over its content. */
export function drawOverviewWindow(
  ctx: CanvasRenderingContext2D,
  store: TimelineStore,
  view: Viewport,
  width: number,
  height: number,
  theme: Theme,
): void {
  if (store.lanes.size === 0 || !(store.maxEnd > store.minStart)) return;
  const t0 = store.minStart,
    t1 = store.maxEnd;
  const nsPerPx = (t1 - t0) / width;
  const vx0 = (view.t0 - t0) / nsPerPx,
    vx1 = (view.t1 - t0) / nsPerPx;
  ctx.fillStyle = 'rgba(128,128,128,0.25)';
  ctx.fillRect(vx0, 0, Math.max(2, vx1 - vx0), height);
  ctx.strokeStyle = theme.selection;
  ctx.lineWidth = 1;
  ctx.strokeRect(vx0 + 0.5, 0.5, Math.max(2, vx1 - vx0) - 1, height - 1);
}
