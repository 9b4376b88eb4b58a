// A lane of spans (one stream or queue) as a track: its rects from LaneColumns.query (level of detail:
// at most one merged rect per pixel column), joined into runs of one colour, or — for a lane that had
// many rects in the last frame — painted into a pixel row of the frame's strip layer; names on wide
// spans; the selected span's extent; the hit test (the span under the pointer, the shortest first).
import type { LaneColumns } from './lane-columns.js';
import { Runs } from './paint.js';
import { kindColour, pixelTable, type Theme } from './theme.js';
import type { TimelineStore } from './timeline-store.js';
import type { Track, TrackHit, TrackHitContext, TrackRenderContext } from './track.js';

export const LANE_H = 22;

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

type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** A span label: the rect's left edge and width (px), and the span's index in its lane. */
interface SpanLabel {
  x: number;
  w: number;
  index: number;
}

/**
 * One frame's use of the strip layer: span lanes take pixel rows top to bottom, and the frame puts them
 * all at once and stretches each over its lane (flush), then draws those lanes' span labels on top.
 */
export class StripFrame {
  /** Top and height of each row's lane (canvas px), in row order. */
  private readonly rows: number[] = [];
  /** Span labels of strip lanes, drawn over the strips. */
  private readonly labels: { track: SpanLaneTrack; labels: SpanLabel[]; y: number }[] = [];

  private constructor(
    private readonly layer: StripLayer,
    private readonly sctx: Ctx2D,
    readonly u32: Uint32Array,
    /** Each kind's pixel value. */
    readonly pixels: Uint32Array | null,
    readonly plotW: number,
  ) {}

  /**
   * The frame's strips over a plot `plotW` wide with room for `rowCount` rows, or null where strips are
   * not used: at a fractional pixel ratio, or without a 2D context for the layer.
   */
  static begin(
    layer: StripLayer | undefined,
    plotW: number,
    rowCount: number,
    theme: Theme,
    dpr: number,
  ): StripFrame | null {
    if (!layer || !Number.isInteger(dpr)) return null;
    const sctx = layer.canvas.getContext('2d') as Ctx2D | null;
    if (!sctx) return null;
    const need = Math.max(1, rowCount);
    if (!layer.img || !layer.u32 || layer.img.width !== plotW || layer.img.height < need) {
      layer.canvas.width = plotW;
      layer.canvas.height = need;
      layer.img = sctx.createImageData(plotW, need);
      layer.u32 = new Uint32Array(layer.img.data.buffer, layer.img.data.byteOffset, plotW * need);
    }
    return new StripFrame(layer, sctx, layer.u32, pixelTable(theme), plotW);
  }

  /** Where the next row starts in u32. */
  get nextRowBase(): number {
    return (this.rows.length / 2) * this.plotW;
  }

  /** The row at nextRowBase is taken, for a lane drawn at `top`, `h` high. */
  addRow(top: number, h: number, track: SpanLaneTrack, labels: SpanLabel[], y: number): void {
    this.rows.push(top, h);
    if (labels.length > 0) this.labels.push({ track, labels, y });
  }

  /** Puts the rows into the layer, stretches each over its lane at plotX, then draws their labels. */
  flush(ctx: CanvasRenderingContext2D, store: TimelineStore, plotX: number): void {
    const rows = this.rows;
    if (rows.length === 0) return;
    const n = rows.length / 2,
      plotW = this.plotW;
    this.sctx.putImageData(this.layer.img as ImageData, 0, 0, 0, 0, plotW, n);
    const smooth = ctx.imageSmoothingEnabled;
    ctx.imageSmoothingEnabled = false;
    for (let r = 0; r < n; r++)
      ctx.drawImage(this.layer.canvas, 0, r, plotW, 1, plotX, rows[r * 2]!, plotW, rows[r * 2 + 1]!);
    ctx.imageSmoothingEnabled = smooth;
    for (const l of this.labels) l.track.drawLabels(ctx, store, l.labels, l.y, plotX);
  }
}

export class SpanLaneTrack implements Track {
  readonly kind = 'lane';
  /** Rects the last frame drew (decides between a strip row and rects, see STRIP_MIN_RECTS). */
  lastRects = 0;

  constructor(
    readonly lane: LaneColumns,
    /** The gutter label ("stream 3", "immediate list 3"); set again when the layout is rebuilt. */
    public title: string,
  ) {}

  getHeight(): number {
    return LANE_H;
  }

  render(rc: TrackRenderContext, y: number): void {
    const { ctx, theme, view, plotX, plotW, nsPerPx, selected, out } = rc;
    const lane = this.lane;
    const rowH = this.getHeight();
    const top = y + 3,
      h = rowH - 6;
    const labels: SpanLabel[] = [];
    // Strip row (u32 from rowBase) or rects: runs (see Runs) go into one path, filled when the colour
    // changes and at the end of the lane (in the page ctx.rect() recorded cheaper than fillRect():
    // deep-zoom frames 1.3 vs 1.5 ms median, NOTES.md).
    const strip = rc.strips;
    const px = strip ? strip.pixels : null;
    const u32 = strip && px && this.lastRects >= STRIP_MIN_RECTS ? strip.u32 : null;
    const rowBase = strip ? strip.nextRowBase : 0;
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
      ctx.rect(plotX + x0, top, x1 - x0, h);
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
        if (w > 40) labels.push({ x: plotX + x0, w, index });
        if (selected && selected.lane === lane.info.id && selected.index === index)
          out.selection = { x0: plotX + x0, x1: plotX + x1, y, h: rowH };
      }
    });
    out.drawnRects += n;
    this.lastRects = n;
    if (u32) (strip as StripFrame).addRow(top, h, this, labels, y);
    else {
      runs.flush();
      fillPath();
      if (labels.length > 0) this.drawLabels(ctx, rc.store, labels, y, plotX);
    }
    // The selected span may be merged into a wider rect at this zoom: outline its true extent.
    if (selected && selected.lane === lane.info.id && !out.selection && selected.index < lane.n) {
      const s = lane.start[selected.index]!,
        e = lane.end[selected.index]!;
      out.selection = {
        x0: plotX + (s - view.t0) / nsPerPx,
        x1: plotX + Math.max((e - view.t0) / nsPerPx, (s - view.t0) / nsPerPx + 1),
        y,
        h: rowH,
      };
    }
  }

  /** Names on spans wide enough to hold three characters or more. */
  drawLabels(
    ctx: CanvasRenderingContext2D,
    store: TimelineStore,
    labels: SpanLabel[],
    y: number,
    plotX: number,
  ): void {
    ctx.fillStyle = '#0b0d10';
    ctx.font = '11px system-ui, sans-serif';
    const rowH = this.getHeight();
    for (const l of labels) {
      const name = store.nameOf(this.lane.name[l.index]!);
      const maxChars = Math.floor((l.w - 8) / 6.5);
      if (maxChars < 3) continue;
      const text = name.length > maxChars ? `${name.slice(0, maxChars - 1)}…` : name;
      ctx.fillText(text, Math.max(l.x, plotX) + 4, y + rowH / 2);
    }
  }

  /** The span under x (within 3 px), preferring the shortest. */
  hitTest(x: number, _y: number, hc: TrackHitContext): TrackHit | null {
    const span = hc.view.t1 - hc.view.t0;
    const tol = (span / hc.plotW) * 3;
    const index = this.lane.hitTest(hc.view.t0 + (x / hc.plotW) * span, tol);
    return index >= 0 ? { kind: 'span', lane: this.lane.info.id, index } : null;
  }
}
