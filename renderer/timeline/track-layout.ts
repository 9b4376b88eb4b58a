// Where the tracks go on the canvas: under the axis, a header track per device/engine group, then a
// span track per lane, top to bottom; the gutter on the left holds their titles. Rebuilt only when the
// store's lanes change (every frame asks). Hit tests go through the track under the pointer.
import { GroupHeaderTrack } from './group-track.js';
import type { LaneColumns } from './lane-columns.js';
import { SpanLaneTrack } from './span-track.js';
import type { TimelineStore } from './timeline-store.js';
import type { Track, TrackHit } from './track.js';
import type { Viewport } from './axis.js';

export const AXIS_H = 24;
export const GUTTER_W = 170;

/** A track placed on the canvas. */
export interface Row {
  readonly track: Track;
  /** Top (canvas px, before scrolling) and height. */
  readonly y: number;
  readonly h: number;
  /** Painted with the alternate lane background (every other lane of a group, from its second). */
  readonly banded: boolean;
}

export interface TrackLayout {
  /** Top to bottom. */
  readonly rows: readonly Row[];
  /** Height the rows need (axis included), px. */
  readonly height: number;
  /** The row of each span lane, by lane id. */
  readonly laneRows: ReadonlyMap<number, Row>;
}

/** layoutTracks' last answer per store, valid while the store's groups are the same array. */
const LAYOUTS = new WeakMap<TimelineStore, { groups: unknown; layout: TrackLayout }>();
/** A lane's track, kept across layouts (it remembers its last frame's rect count). */
const LANE_TRACKS = new WeakMap<LaneColumns, SpanLaneTrack>();

/** The track that shows a lane (a new kind of lane gets its own track class here). */
function laneTrack(store: TimelineStore, lane: LaneColumns): Track {
  const title = store.laneName(lane);
  let t = LANE_TRACKS.get(lane);
  if (!t) LANE_TRACKS.set(lane, (t = new SpanLaneTrack(lane, title)));
  else t.title = title;
  return t;
}

/** The layout of the store's lanes; the same object while the lanes do not change (do not modify it). */
export function layoutTracks(store: TimelineStore): TrackLayout {
  const groups = store.groups();
  const cached = LAYOUTS.get(store);
  if (cached && cached.groups === groups) return cached.layout;
  const rows: Row[] = [];
  const laneRows = new Map<number, Row>();
  let y = AXIS_H;
  const place = (track: Track, banded: boolean): Row => {
    const row: Row = { track, y, h: track.getHeight(), banded };
    rows.push(row);
    y += row.h;
    return row;
  };
  for (const g of groups) {
    place(new GroupHeaderTrack(g), false);
    g.lanes.forEach((lane, i) => laneRows.set(lane.info.id, place(laneTrack(store, lane), i % 2 === 1)));
  }
  const layout: TrackLayout = { rows, height: y + 4, laneRows };
  LAYOUTS.set(store, { groups, layout });
  return layout;
}

/** The rows of layoutTracks. */
export function layoutRows(store: TimelineStore): readonly Row[] {
  return layoutTracks(store).rows;
}

/** Height the lanes need (axis included), px. */
export function contentHeight(store: TimelineStore): number {
  return layoutTracks(store).height;
}

/**
 * What is at canvas point (x, y) (CSS px, y before scrolling) in a plot `plotW` wide showing `view`:
 * asks the track under y; nothing over the gutter.
 */
export function hitTestTracks(
  layout: TrackLayout,
  store: TimelineStore,
  view: Viewport,
  plotW: number,
  x: number,
  y: number,
): TrackHit | null {
  if (x - GUTTER_W < 0) return null;
  const row = layout.rows.find((r) => y >= r.y && y < r.y + r.h);
  return row ? row.track.hitTest(x - GUTTER_W, y - row.y, { store, view, plotW }) : null;
}
