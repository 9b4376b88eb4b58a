// Builds timeline batches for renderer tests.
import type { BatchLane, TimelineBatch } from '../../protocol/timeline-batch.js';
import { mulberry32 } from '../../runtime/prng.js';

export interface SpanSpec {
  lane: number;
  id: number;
  start: number;
  end: number;
  kind?: number;
  name?: number;
  bytes?: number;
  submit?: number;
}

export function lane(
  id: number,
  stream = id,
  kind: BatchLane['engine']['kind'] = 'compute',
  device = 0,
): BatchLane {
  return { id, device, stream, engine: { ordinal: kind === 'copy' ? 1 : 0, index: 0, kind } };
}

export function makeBatch(
  spans: SpanSpec[],
  opts: {
    lanes?: BatchLane[];
    strings?: string[];
    stringBase?: number;
    edges?: [number, number][];
    dropped?: number;
  } = {},
): TimelineBatch {
  const n = spans.length;
  const b: TimelineBatch = {
    dropped: opts.dropped ?? 0,
    droppedEdges: 0,
    lanes: opts.lanes ?? [],
    stringBase: opts.stringBase ?? 0,
    strings: opts.strings ?? [],
    count: n,
    lane: new Uint32Array(n),
    id: new Float64Array(n),
    kind: new Uint8Array(n),
    name: new Uint32Array(n),
    detail: new Uint32Array(n),
    bytes: new Float64Array(n),
    submit: new Float64Array(n),
    start: new Float64Array(n),
    end: new Float64Array(n),
    edgeFrom: new Float64Array((opts.edges ?? []).map((e) => e[0])),
    edgeTo: new Float64Array((opts.edges ?? []).map((e) => e[1])),
  };
  spans.forEach((s, i) => {
    b.lane[i] = s.lane;
    b.id[i] = s.id;
    b.kind[i] = s.kind ?? 0;
    b.name[i] = s.name ?? 0;
    b.bytes[i] = s.bytes ?? 0;
    b.submit[i] = s.submit ?? s.start;
    b.start[i] = s.start;
    b.end[i] = s.end;
  });
  return b;
}

/** A deterministic pseudo-random generator (mulberry32). */
export const rng = mulberry32;
