// The overview strip as a track: every lane's content over the whole capture (one thin row per lane),
// cached in a canvas of its own and redrawn when the size or theme changes or — while spans stream in
// — at most every OVERVIEW_REFRESH_MS, with the visible window's box on top. Its hit test answers the
// time under the pointer (a click moves the view there).
import { Runs } from './paint.js';
import { kindColour, type Theme } from './theme.js';
import type { TimelineStore } from './timeline-store.js';
import type { Track, TrackHit, TrackHitContext, TrackRenderContext } from './track.js';

export const OVERVIEW_H = 40;
/** While spans stream in, the overview's content is redrawn at most this often. */
export const OVERVIEW_REFRESH_MS = 250;

type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export class OverviewTrack implements Track {
  readonly kind = 'overview';
  readonly title = 'overview';
  /** What the cached content was drawn for: size and theme, the store's version, when. */
  private drawnFor = '';
  private drawnVersion = -1;
  private drawnAt = -Infinity;

  /**
   * `cache`: where the content is kept between frames (device pixels of the strip); without one the
   * content is drawn on every render.
   */
  constructor(private readonly cache: HTMLCanvasElement | OffscreenCanvas | null = null) {}

  getHeight(): number {
    return OVERVIEW_H;
  }

  /**
   * Whether new spans are not shown yet and a refresh is due: a frame must then be drawn even when
   * nothing else changed. (A refresh skipped for OVERVIEW_REFRESH_MS is due in a later frame.)
   */
  refreshDue(store: TimelineStore, now: number): boolean {
    return this.drawnVersion !== store.version && now - this.drawnAt >= OVERVIEW_REFRESH_MS;
  }

  /** Draws the strip on a canvas of its own at `top`; rc.ctx is that canvas's, in CSS px (dpr applied). */
  render(rc: TrackRenderContext, top: number): void {
    const { ctx, store, theme, width, dpr } = rc;
    const h = this.getHeight();
    const cache = this.cache;
    if (!cache) {
      drawContent(ctx, store, width, h, theme, top);
      drawWindow(ctx, store, rc.view, width, h, theme, top);
      return;
    }
    const key = `${width}/${dpr}/${theme.bg}`;
    if (key !== this.drawnFor || this.refreshDue(store, rc.now)) {
      this.drawnAt = rc.now;
      cache.width = Math.floor(width * dpr);
      cache.height = Math.floor(h * dpr);
      const cctx = cache.getContext('2d', { alpha: false }) as Ctx2D | null;
      if (cctx) {
        cctx.setTransform(dpr, 0, 0, dpr, 0, 0);
        drawContent(cctx, store, width, h, theme, 0);
        this.drawnFor = key;
        this.drawnVersion = store.version;
      }
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(cache, 0, Math.round(top * dpr));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawWindow(ctx, store, rc.view, width, h, theme, top);
  }

  /** The time under x (px from the strip's left; plotW: the strip's width), or null while empty. */
  hitTest(x: number, _y: number, hc: TrackHitContext): TrackHit | null {
    const fx = x / Math.max(1, hc.plotW);
    const min = hc.store.minStart,
      max = hc.store.maxEnd;
    if (!(max > min)) return null;
    return { kind: 'time', t: min + fx * (max - min) };
  }
}

/** The lanes over the whole capture (depends on the data, size and theme only). */
function drawContent(
  ctx: Ctx2D,
  store: TimelineStore,
  width: number,
  height: number,
  theme: Theme,
  top: number,
): void {
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, top, width, height);
  const lanes = store.orderedLanes();
  if (lanes.length === 0 || !(store.maxEnd > store.minStart)) return;
  const t0 = store.minStart,
    t1 = store.maxEnd;
  const rowH = Math.max(1, Math.min(6, (height - 4) / lanes.length));
  lanes.forEach((lane, i) => {
    const y = top + 2 + i * rowH;
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

/** The visible window's box, over the content. */
function drawWindow(
  ctx: Ctx2D,
  store: TimelineStore,
  view: { t0: number; t1: number },
  width: number,
  height: number,
  theme: Theme,
  top: number,
): void {
  if (store.lanes.size === 0 || !(store.maxEnd > store.minStart)) return;
  const t0 = store.minStart,
    t1 = store.maxEnd;
  const nsPerPx = (t1 - t0) / width;
  const vx0 = (view.t0 - t0) / nsPerPx,
    vx1 = (view.t1 - t0) / nsPerPx;
  ctx.fillStyle = 'rgba(128,128,128,0.25)';
  ctx.fillRect(vx0, top, Math.max(2, vx1 - vx0), height);
  ctx.strokeStyle = theme.selection;
  ctx.lineWidth = 1;
  ctx.strokeRect(vx0 + 0.5, top + 0.5, Math.max(2, vx1 - vx0) - 1, height - 1);
}
