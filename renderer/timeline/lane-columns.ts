// One lane's spans as typed columns (grown by doubling up to a cap, then the oldest half is dropped),
// sorted by start time, fed by decoded timeline batches; its level-of-detail levels (lod-levels.ts);
// the pixel query the canvas draws from (at most one merged rect per pixel column) and the hit test.
// Spans never enter React state.
import type { BatchLane, TimelineBatch } from '../../protocol/timeline-batch.js';
import { LodLevels, MAX_LEVEL, levelBucketNs, type Level } from './lod-levels.js';
import { growF64, growU32, growU8, lowerBound, upperBound } from './typed-arrays.js';

/** Kind code for a rectangle of unknown kind (not produced by the store; drawn neutral). */
export const MIXED_KIND = 255;

/** Rects at least this wide (px) on both sides of a shared boundary pixel are not merged (see query). */
export const MIN_SPLIT_PX = 4;

/** One merged rectangle in pixel space, as drawn. */
export interface RectSink {
  (x0: number, x1: number, kind: number, count: number, index: number): void;
}

export class LaneColumns {
  n = 0;
  start: Float64Array;
  end: Float64Array;
  submit: Float64Array;
  bytes: Float64Array;
  id: Float64Array;
  name: Uint32Array;
  /** String id + 1 of each span's detail (OpRecord.detail), 0 = none. */
  detail: Uint32Array;
  kind: Uint8Array;
  /** Running maximum of `end` (monotonic): binary-searching it finds the first span ending after t. */
  endMax: Float64Array;
  maxDur = 0;
  /** Spans dropped from the front because the lane was full. */
  dropped = 0;
  /** The level-of-detail levels over these spans. */
  private readonly lod = new LodLevels(this);

  constructor(
    readonly info: BatchLane,
    readonly capacity: number,
    initial = 256,
  ) {
    const n = Math.min(initial, capacity);
    this.start = new Float64Array(n);
    this.end = new Float64Array(n);
    this.submit = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.id = new Float64Array(n);
    this.name = new Uint32Array(n);
    this.detail = new Uint32Array(n);
    this.kind = new Uint8Array(n);
    this.endMax = new Float64Array(n);
  }

  /** Reallocates every column to `size` rows, keeping the first `n`. */
  private grow(size: number): void {
    this.start = growF64(this.start, size);
    this.end = growF64(this.end, size);
    this.submit = growF64(this.submit, size);
    this.bytes = growF64(this.bytes, size);
    this.id = growF64(this.id, size);
    this.name = growU32(this.name, size);
    this.detail = growU32(this.detail, size);
    this.kind = growU8(this.kind, size);
    this.endMax = growF64(this.endMax, size);
  }

  /** The per-span columns (endMax is derived from `end`), for moving spans within the arrays. */
  private spanColumns(): (Float64Array | Uint32Array | Uint8Array)[] {
    return [this.start, this.end, this.submit, this.bytes, this.id, this.name, this.detail, this.kind];
  }

  private ensureRoom(): void {
    if (this.n < this.start.length) return;
    if (this.start.length < this.capacity) {
      const size = Math.min(this.capacity, this.start.length * 2);
      this.grow(size);
      return;
    }
    // Full: drop the oldest half (amortised O(1) per span); levels are rebuilt on demand.
    const keep = this.n >> 1;
    const from = this.n - keep;
    for (const a of this.spanColumns()) a.copyWithin(0, from, this.n);
    this.dropped += from;
    this.n = keep;
    this.lod.clear();
    let maxDur = 0;
    for (let i = 0; i < keep; i++) maxDur = Math.max(maxDur, this.end[i]! - this.start[i]!);
    this.maxDur = maxDur;
    this.fixEndMax(0);
  }

  /** Recomputes the running maximum of `end` from index `from` on. */
  private fixEndMax(from: number): void {
    let m = from > 0 ? this.endMax[from - 1]! : -Infinity;
    for (let i = from; i < this.n; i++) {
      const e = this.end[i]!;
      if (e > m) m = e;
      this.endMax[i] = m;
    }
  }

  /**
   * Appends batch rows [from, to) — all of this lane — in bulk (typed-array copies instead of one push
   * per span: batches arrive as per-lane runs). Only for the common case: the run is in start order
   * after the lane's last span, every end ≥ its start, and it fits without dropping spans; returns false
   * having changed nothing otherwise, and the caller pushes the rows one by one. Same result as pushing.
   */
  appendRun(b: TimelineBatch, from: number, to: number): boolean {
    const S = b.start,
      E = b.end;
    let prev = this.n > 0 ? this.start[this.n - 1]! : -Infinity;
    for (let i = from; i < to; i++) {
      const s = S[i]!;
      // Negated comparisons so NaN falls back to push too.
      if (!(s >= prev) || !(E[i]! >= s)) return false;
      prev = s;
    }
    const len = to - from,
      n = this.n,
      need = n + len;
    if (need > this.start.length) {
      let size = this.start.length;
      while (size < need) size *= 2;
      size = Math.min(this.capacity, size);
      if (size < need) return false;
      this.grow(size);
    }
    this.start.set(S.subarray(from, to), n);
    this.end.set(E.subarray(from, to), n);
    this.submit.set(b.submit.subarray(from, to), n);
    this.bytes.set(b.bytes.subarray(from, to), n);
    this.id.set(b.id.subarray(from, to), n);
    this.name.set(b.name.subarray(from, to), n);
    this.detail.set(b.detail.subarray(from, to), n);
    this.kind.set(b.kind.subarray(from, to), n);
    const endMax = this.endMax;
    let m = n > 0 ? endMax[n - 1]! : -Infinity,
      maxDur = this.maxDur;
    for (let i = from, j = n; i < to; i++, j++) {
      const e = E[i]!,
        d = e - S[i]!;
      if (e > m) m = e;
      endMax[j] = m;
      if (d > maxDur) maxDur = d;
    }
    this.maxDur = maxDur;
    this.n = need;
    return true;
  }

  /** Inserts one span keeping the columns sorted by start (appends when in order, the usual case). */
  push(
    id: number,
    kind: number,
    name: number,
    bytes: number,
    submit: number,
    start: number,
    end: number,
    detail = 0,
  ): void {
    this.ensureRoom();
    let i = this.n;
    if (i > 0 && this.start[i - 1]! > start) {
      // Out of order: shift the tail (short in practice) and invalidate levels past the slot.
      i = upperBound(this.start, this.n, start);
      for (const a of this.spanColumns()) a.copyWithin(i + 1, i, this.n);
      this.lod.inserted(i, start);
    }
    this.start[i] = start;
    this.end[i] = end < start ? start : end;
    this.submit[i] = submit;
    this.bytes[i] = bytes;
    this.id[i] = id;
    this.name[i] = name;
    this.detail[i] = detail;
    this.kind[i] = kind;
    this.n++;
    const d = this.end[i]! - start;
    if (d > this.maxDur) this.maxDur = d;
    if (i === this.n - 1)
      this.endMax[i] = i > 0 && this.endMax[i - 1]! > this.end[i]! ? this.endMax[i - 1]! : this.end[i]!;
    else this.fixEndMax(i);
  }

  /** Mipmap level `level` (≥ 1), built or extended to cover every raw span. */
  level(level: number): Level {
    return this.lod.level(level);
  }

  /** Whether level `level` exists and covers every raw span. */
  levelUpToDate(level: number): boolean {
    return this.lod.upToDate(level);
  }

  /** Level count currently cached (for tests). */
  levelSize(level: number): number {
    return this.lod.size(level);
  }

  /**
   * Emits the lane's content in [t0, t1] as pixel rectangles for a view of `width` pixels: at most
   * one rectangle per pixel column (rects touching the same pixel are merged, except that two wide
   * back-to-back rects leave their shared pixel to the first), read from the coarsest mipmap level
   * whose bucket is narrower than a pixel, or from the raw spans when the window holds at most
   * `width / MIN_SPLIT_PX` of them. Returns the number emitted.
   * `index` is the raw span index when the rect is exactly one raw span, else -1.
   */
  query(t0: number, t1: number, width: number, sink: RectSink): number {
    if (this.n === 0 || width <= 0 || !(t1 > t0)) return 0;
    const nsPerPx = (t1 - t0) / width;
    let lvIndex = 0;
    while (lvIndex < MAX_LEVEL && levelBucketNs(lvIndex + 1) <= nsPerPx) lvIndex++;
    // Few raw spans in the window (each MIN_SPLIT_PX wide on average, so at most width / MIN_SPLIT_PX to
    // read): the raw spans themselves, so back-to-back wide spans stay apart (levels merge spans whose
    // gap is under a bucket). With more, most spans are too narrow to split and the level is cheaper.
    if (
      lvIndex > 0 &&
      upperBound(this.start, this.n, t1) - lowerBound(this.endMax, this.n, t0) <= width / MIN_SPLIT_PX
    )
      lvIndex = 0;
    // A skipped level is read from the nearest kept level below it (or the raw spans).
    let lv: Level | null = lvIndex > 0 ? this.level(lvIndex) : null;
    while (lv !== null && lv.skip) lv = --lvIndex > 0 ? this.level(lvIndex) : null;
    let S: Float64Array,
      E: Float64Array,
      K: Uint8Array,
      C: Uint32Array | null,
      D: Float64Array | null,
      n: number;
    if (lv === null) {
      S = this.start;
      E = this.end;
      K = this.kind;
      C = null;
      D = null;
      n = this.n;
    } else {
      S = lv.start;
      E = lv.end;
      K = lv.kind;
      C = lv.count;
      D = lv.dom;
      n = lv.n;
    }
    // First candidate: raw spans via the running max of end; level rects are disjoint, so their
    // ends are sorted and searchable directly.
    let i = lvIndex === 0 ? lowerBound(this.endMax, n, t0) : lowerBound(E, n, t0);
    let emitted = 0;
    let px0 = -1,
      px1 = -1,
      kind = 0,
      count = 0,
      index = -1,
      dom = 0;
    const scale = 1 / nsPerPx;
    for (; i < n; i++) {
      const s = S[i]!;
      if (s > t1) break;
      const e = E[i]!;
      if (e < t0) continue;
      let a = Math.floor((s - t0) * scale);
      let b = Math.ceil((e - t0) * scale);
      if (a < 0) a = 0;
      if (b > width) b = width;
      if (b <= a) b = a + 1;
      if (a >= width) continue;
      const c = C ? C[i]! : 1;
      const d = D ? D[i]! : e - s;
      // Back-to-back spans (an in-order queue's kernels) share only the pixel where one ends and the
      // next starts: when both are wide, that pixel stays the first one's and the second starts after
      // it, so each keeps its own rect (its gap, its label) instead of the lane becoming one bar.
      if (px1 === a + 1 && px1 - px0 >= MIN_SPLIT_PX && b - px1 >= MIN_SPLIT_PX) a = px1;
      if (px1 > a) {
        // Touches the pixel the previous rect ends in: merge (coloured by the longest span in it).
        if (b > px1) px1 = b;
        if (d > dom) {
          dom = d;
          kind = K[i]!;
        }
        count += c;
        index = -1;
        continue;
      }
      if (px1 >= 0) {
        sink(px0, px1, kind, count, index);
        emitted++;
      }
      px0 = a;
      px1 = b;
      kind = K[i]!;
      dom = d;
      count = c;
      index = C ? -1 : i;
    }
    if (px1 >= 0) {
      sink(px0, px1, kind, count, index);
      emitted++;
    }
    return emitted;
  }

  /** Index of the span under time t (within tolerance), preferring the shortest; -1 if none. */
  hitTest(t: number, tolNs: number): number {
    if (this.n === 0) return -1;
    const first = lowerBound(this.endMax, this.n, t - tolNs);
    let i = upperBound(this.start, this.n, t + tolNs) - 1;
    let best = -1;
    let bestDist = Infinity;
    for (; i >= first; i--) {
      const s = this.start[i]!;
      const e = this.end[i]!;
      const dist = t < s ? s - t : t > e ? t - e : 0;
      if (
        dist <= tolNs &&
        (dist < bestDist || (dist === bestDist && best >= 0 && e - s < this.end[best]! - this.start[best]!))
      ) {
        best = i;
        bestDist = dist;
      }
    }
    return best;
  }

  /** Index of the span with this op id, or -1 (linear scan from the newest: used on selection only). */
  indexOfId(id: number): number {
    for (let i = this.n - 1; i >= 0; i--) if (this.id[i] === id) return i;
    return -1;
  }
}
