// What the timeline draws is a column of tracks: each knows its height, renders itself into a frame and
// answers hit tests. The frame (draw.ts) places them (track-layout.ts), paints the gutter titles, the
// axis, arrows and the selection outline around them; the canvas and the controller hit-test through
// them. Implemented by span lanes (span-track.ts), group headers (group-track.ts) and the overview strip
// (overview-track.ts); a new kind (host threads, counters, processes) implements Track and is placed by
// layoutTracks. (The model is Perfetto UI's track interface — render, getHeight, mouse events — kept to
// what this timeline needs, and synchronous: the spans are already in the page.)
import type { Viewport } from './axis.js';
import type { LaneColumns } from './lane-columns.js';
import type { StripFrame } from './span-track.js';
import type { Theme } from './theme.js';
import type { TimelineStore } from './timeline-store.js';

/** 'group': a header (bold title, no content of its own, may run on over the plot); 'lane': spans. */
export type TrackKind = 'group' | 'lane' | 'overview';

/** One frame, as a track renders into it. */
export interface TrackRenderContext {
  readonly ctx: CanvasRenderingContext2D;
  readonly store: TimelineStore;
  /** The visible window. */
  readonly view: Viewport;
  readonly theme: Theme;
  /** Width of the canvas (CSS px): a track spans it, its content from plotX on. */
  readonly width: number;
  /** Where the time axis starts (px) and how wide the plot is; nsPerPx = (view.t1 - view.t0) / plotW. */
  readonly plotX: number;
  readonly plotW: number;
  readonly nsPerPx: number;
  /** Device pixels per CSS pixel. */
  readonly dpr: number;
  /** The frame's time (performance.now(), ms). */
  readonly now: number;
  readonly selected: { readonly lane: number; readonly index: number } | null;
  /** Where span lanes with many rects paint their pixel rows this frame (see StripLayer), or null. */
  readonly strips: StripFrame | null;
  /** What the tracks tell the frame. */
  readonly out: TrackFrameOutput;
}

export interface TrackFrameOutput {
  /** Span rectangles drawn. */
  drawnRects: number;
  /** The selected span's extent (px), for the outline the frame draws over everything. */
  selection: { x0: number; x1: number; y: number; h: number } | null;
}

/** A hit test, in the track's terms. */
export interface TrackHitContext {
  readonly store: TimelineStore;
  readonly view: Viewport;
  readonly plotW: number;
}

/** What is under the pointer: a span (lane id, index in the lane), or a time (the overview's). */
export type TrackHit =
  | { readonly kind: 'span'; readonly lane: number; readonly index: number }
  | { readonly kind: 'time'; readonly t: number };

export interface Track {
  readonly kind: TrackKind;
  /** Its name in the gutter. */
  readonly title: string;
  /** The span lane it shows, when it shows one: arrows, outlines and the selection find its row by it. */
  readonly lane?: LaneColumns;
  /** Height, CSS px. */
  getHeight(): number;
  /** Draws the track's content with its top at `top` (canvas px; the frame has clipped and painted the
   * row's band). */
  render(rc: TrackRenderContext, top: number): void;
  /** What is at (x, y): x from the plot's left, y from the track's top (px); null for nothing. */
  hitTest(x: number, y: number, hc: TrackHitContext): TrackHit | null;
}
