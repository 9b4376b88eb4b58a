// How lanes are named and ordered on screen: a lane's label in the gutter, its group's header, its
// title in the details panel, and the display order (xpuscope's own lanes, then a recorded program's).
import { engineLabel } from '../../protocol/format.js';
import type { BatchLane } from '../../protocol/timeline-batch.js';

/**
 * A lane's own name: "stream 3" for xpuscope's streams; a recorded program's queue as it named it
 * ("immediate list 3"), its string id resolved through `strings` (the store's string table).
 */
export function laneLabel(l: BatchLane, strings: readonly string[] = []): string {
  if (l.source) return strings[l.source.queue] ?? `queue #${l.source.queue}`;
  return `stream ${l.stream}`;
}

/**
 * The header of a lane's device/engine group: "GPU 0 · compute 0.0", or for a recorded program
 * "pid 4242 · multi_engine --lists 4 — Intel(R) Data Center GPU Max 1550 · compute 0.1".
 */
export function groupLabel(l: BatchLane, strings: readonly string[] = []): string {
  if (!l.source) return `GPU ${l.device} · ${engineLabel(l.engine)}`;
  const process = strings[l.source.process] ?? '?';
  // A recorded program's host threads (--host-calls): one group, "pid 4242 · cmd — host threads".
  if (l.engine.kind === 'host') return `pid ${l.source.pid} · ${process} — host threads`;
  const device = strings[l.source.device] ?? `device ${l.device}`;
  return `pid ${l.source.pid} · ${process} — ${device} · ${engineLabel(l.engine)}`;
}

/** The lane as the details panel names it: device, engine and lane. */
export function laneTitle(l: BatchLane, strings: readonly string[] = []): string {
  if (!l.source) return `device ${l.device} · ${engineLabel(l.engine)} · ${laneLabel(l)}`;
  return `${groupLabel(l, strings)} · ${laneLabel(l, strings)}`;
}

const KIND_RANK = { host: -1, compute: 0, copy: 1, render: 2, other: 3 } as const;

/**
 * Display order: xpuscope's own lanes by device, engine (kind, ordinal, index), stream; then a recorded
 * program's lanes by pid (a process's groups stay together), device, engine, lane.
 */
export function compareLanes(x: BatchLane, y: BatchLane): number {
  const rx = x.source ? 1 : 0,
    ry = y.source ? 1 : 0;
  return (
    rx - ry ||
    (x.source && y.source ? x.source.pid - y.source.pid : 0) ||
    // a process's host threads (--host-calls) above its devices
    (x.engine.kind === 'host' ? 0 : 1) - (y.engine.kind === 'host' ? 0 : 1) ||
    x.device - y.device ||
    KIND_RANK[x.engine.kind] - KIND_RANK[y.engine.kind] ||
    x.engine.ordinal - y.engine.ordinal ||
    x.engine.index - y.engine.index ||
    x.stream - y.stream ||
    x.id - y.id
  );
}
