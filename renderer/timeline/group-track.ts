// A group header as a track: the band over a device/engine group's lanes (or a recorded program's
// process and device). Its title is the gutter's (bold, running on over this span-free row when longer
// than the gutter); it holds nothing to hit.
import type { LaneGroup } from './timeline-store.js';
import type { Track, TrackHit, TrackRenderContext } from './track.js';

export const GROUP_H = 18;

export class GroupHeaderTrack implements Track {
  readonly kind = 'group';
  readonly title: string;

  constructor(readonly group: LaneGroup) {
    this.title = group.label;
  }

  getHeight(): number {
    return GROUP_H;
  }

  render(rc: TrackRenderContext, top: number): void {
    rc.ctx.fillStyle = rc.theme.grid;
    rc.ctx.fillRect(0, top, rc.width, this.getHeight());
  }

  hitTest(): TrackHit | null {
    return null;
  }
}
