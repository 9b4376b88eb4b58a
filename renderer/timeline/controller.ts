// The live timeline outside React: the span store, the visible window, selection and follow-live.
// Batches go straight from the transport into the store; the canvas redraws in requestAnimationFrame
// when `dirty`; React only hears about the few things it renders (selection, follow, counts) through
// subscribe()/snapshot(), at most a few times a second.
import { decodeBatch } from '../../protocol/timeline-batch.js';
import type { TimelineBatch } from '../../protocol/timeline-batch.js';
import { fitAll, followLive, panBy, zoomAround, type Viewport } from './axis.js';
import { TimelineStore, type SpanInfo, type StoreOptions } from './timeline-store.js';
import { hitTestTracks, layoutTracks, type TrackLayout } from './track-layout.js';
import type { TrackHit } from './track.js';

/** Follow-live shows the whole capture up to this long, then slides a window this wide. */
export const FOLLOW_MAX_NS = 10e9;

/** The window follow-live shows for a capture spanning [min, max]. */
export function followWindow(min: number, max: number): Viewport {
  return max - min <= FOLLOW_MAX_NS ? fitAll(min, max) : followLive({ t0: 0, t1: FOLLOW_MAX_NS }, max);
}

export interface TimelineSnapshot {
  spanCount: number;
  lanes: number;
  follow: boolean;
  selected: SpanInfo | null;
  /** Last batch decode/ingest failure, shown in the view. */
  error: string | null;
}

export interface TimelineHook {
  spanCount: number;
  /** The latest end (records' host ns) among the spans the last frame was drawn from (bench record-live). */
  maxEndNs: number;
  /** When the last frame was drawn (ms since the epoch, the page's clock). */
  frameAtMs: number;
  lanes: number;
  visibleRange: [number, number];
  drawnRects: number;
  frames: number;
  lastFrameMs: number;
  batches: number;
  selectedId: number | null;
  /** Dependency arrows in the last frame. */
  arrows: number;
  /** Op ids outlined as a group (focusOps), how many. */
  highlighted: number;
}

export class TimelineController {
  readonly store: TimelineStore;
  view: Viewport = { t0: 0, t1: 1_000_000 };
  follow = true;
  selected: { lane: number; index: number; id: number } | null = null;
  selectedInfo: SpanInfo | null = null;
  dirty = true;
  error: string | null = null;
  /** Statistics for the e2e/benchmark hook. */
  readonly hook: TimelineHook = {
    spanCount: 0,
    maxEndNs: 0,
    frameAtMs: 0,
    lanes: 0,
    visibleRange: [0, 0],
    drawnRects: 0,
    frames: 0,
    lastFrameMs: 0,
    batches: 0,
    selectedId: null,
    arrows: 0,
    highlighted: 0,
  };
  /** Op ids outlined together (a finding's operations; see focusOps). */
  highlight: readonly number[] = [];
  private fitted = false;
  private readonly listeners = new Set<() => void>();
  private snap: TimelineSnapshot;
  private notifyTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: StoreOptions = {}) {
    this.store = new TimelineStore(options);
    this.snap = this.makeSnapshot();
  }

  // ---- data ----

  /** Decodes and ingests one binary batch (WebSocket binary frame / MessagePort message). */
  ingestBinary(data: ArrayBuffer | ArrayBufferView): void {
    try {
      this.ingest(decodeBatch(data));
    } catch (error) {
      this.error = `A timeline batch could not be read: ${error instanceof Error ? error.message : String(error)}`;
      this.notifySoon();
    }
  }

  ingest(batch: TimelineBatch): void {
    // The batch starts another capture (or the cleared one afresh): drop what is shown first.
    if (batch.reset) this.reset();
    this.store.ingest(batch);
    // Extend the mipmap levels at ingest (incremental: only the new spans are folded in), so no frame
    // — in particular the first zoom-out — pays for building them on the draw path.
    if (batch.count > 0) this.store.prebuildLevels(Infinity);
    this.hook.batches++;
    if (batch.count > 0) {
      if (!this.fitted) {
        this.view = fitAll(this.store.minStart, this.store.maxEnd);
        this.fitted = true;
      } else if (this.follow) {
        this.view = followWindow(this.store.minStart, this.store.maxEnd);
      }
    }
    this.dirty = true;
    // The first spans after an empty timeline (a new capture, a switch) are told at once: the empty-
    // state text must not stay over drawn spans for the 250 ms of notifySoon.
    if (this.snap.spanCount === 0 && this.store.spanCount > 0) this.notifyNow();
    else this.notifySoon();
  }

  reset(): void {
    this.store.reset();
    this.selected = null;
    this.selectedInfo = null;
    this.highlight = [];
    this.hook.highlighted = 0;
    this.fitted = false;
    this.error = null;
    this.follow = true;
    this.view = { t0: 0, t1: 1_000_000 };
    this.dirty = true;
    this.notifyNow();
  }

  // ---- view ----

  setView(v: Viewport, byUser = true): void {
    if (!(v.t1 > v.t0) || !Number.isFinite(v.t0) || !Number.isFinite(v.t1)) return;
    this.view = v;
    if (byUser && this.follow) {
      this.follow = false;
      this.notifyNow();
    }
    this.dirty = true;
  }
  zoom(fx: number, factor: number): void {
    this.setView(zoomAround(this.view, fx, factor));
  }
  pan(fraction: number): void {
    this.setView(panBy(this.view, fraction));
  }
  fit(): void {
    this.setView(fitAll(this.store.minStart, this.store.maxEnd));
  }
  /** Moves the view, keeping its width, so that it is centred on `t`. */
  centerOn(t: number): void {
    const w = this.view.t1 - this.view.t0;
    this.setView({ t0: t - w / 2, t1: t + w / 2 });
  }

  // ---- tracks ----

  /** Where the tracks go (the same object while the lanes do not change). */
  layout(): TrackLayout {
    return layoutTracks(this.store);
  }
  /**
   * What is at canvas point (x, y) (CSS px, y before scrolling) of a plot `plotW` wide, through the
   * track there; `layout`: the one drawn last (default: the current one).
   */
  hitTest(x: number, y: number, plotW: number, layout: TrackLayout = this.layout()): TrackHit | null {
    return hitTestTracks(layout, this.store, this.view, plotW, x, y);
  }
  setFollow(on: boolean): void {
    this.follow = on;
    if (on && this.store.spanCount > 0) this.view = followWindow(this.store.minStart, this.store.maxEnd);
    this.dirty = true;
    this.notifyNow();
  }

  select(lane: number, index: number): void {
    const info = this.store.spanInfo(lane, index);
    this.selected = info ? { lane, index, id: info.id } : null;
    this.selectedInfo = info;
    this.hook.selectedId = info ? info.id : null;
    this.dirty = true;
    this.notifyNow();
  }
  clearSelection(): void {
    this.highlight = [];
    this.hook.highlighted = 0;
    this.selected = null;
    this.selectedInfo = null;
    this.hook.selectedId = null;
    this.dirty = true;
    this.notifyNow();
  }
  /** Selects an op by id (dependency links in the details panel) and brings it into view. */
  selectById(id: number): boolean {
    const found = this.store.findOp(id);
    if (!found) return false;
    const s = found.lane.start[found.index]!,
      e = found.lane.end[found.index]!;
    if (s < this.view.t0 || e > this.view.t1) {
      this.centerOn((s + e) / 2);
    }
    this.select(found.lane.info.id, found.index);
    return true;
  }

  /**
   * Shows a group of operations (an analysis finding's): outlines them all, zooms to their extent (or to
   * `range` when none of them is in the capture any more), selects the first one found and stops
   * following live. Returns how many of the ops were found.
   */
  focusOps(ids: readonly number[], range?: { startNs: number; endNs: number }): number {
    let t0 = Infinity,
      t1 = -Infinity,
      found = 0;
    let first: { lane: number; index: number } | null = null;
    for (const id of ids) {
      // The index of op locations first (cheap); a scan of the lanes for ops beyond it, or to select.
      let loc: { start: number; end: number } | null = this.store.locate(id);
      if (!loc || !first) {
        const f = this.store.findOp(id);
        if (f) {
          loc ??= { start: f.lane.start[f.index]!, end: f.lane.end[f.index]! };
          first ??= { lane: f.lane.info.id, index: f.index };
        }
      }
      if (!loc) continue;
      found++;
      if (loc.start < t0) t0 = loc.start;
      if (loc.end > t1) t1 = loc.end;
    }
    if (found === 0 && range && range.endNs >= range.startNs) {
      t0 = range.startNs;
      t1 = range.endNs;
    }
    this.highlight = [...ids];
    this.hook.highlighted = found;
    if (t1 >= t0) {
      // A margin on each side so the outlines are not on the edge; a minimum width for a single point.
      const w = Math.max(t1 - t0, 1_000);
      const mid = (t0 + t1) / 2;
      this.setView({ t0: mid - w * 0.58, t1: mid + w * 0.58 });
    }
    if (first) this.select(first.lane, first.index);
    else {
      this.dirty = true;
      this.notifyNow();
    }
    return found;
  }

  clearHighlight(): void {
    if (this.highlight.length === 0) return;
    this.highlight = [];
    this.hook.highlighted = 0;
    this.dirty = true;
  }

  // ---- React side ----

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  snapshot = (): TimelineSnapshot => this.snap;

  private makeSnapshot(): TimelineSnapshot {
    return {
      spanCount: this.store.spanCount,
      lanes: this.store.lanes.size,
      follow: this.follow,
      selected: this.selectedInfo,
      error: this.error,
    };
  }
  /** React hears about data changes at most ~4 times a second. */
  private notifySoon(): void {
    if (this.notifyTimer !== null) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      this.notifyNow();
    }, 250);
  }
  private notifyNow(): void {
    if (this.notifyTimer !== null) {
      clearTimeout(this.notifyTimer);
      this.notifyTimer = null;
    }
    this.snap = this.makeSnapshot();
    for (const l of [...this.listeners]) l();
  }
}
