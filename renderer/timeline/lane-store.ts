// The renderer's span storage: one columnar store per lane (typed arrays, grown by doubling up to a
// cap, then the oldest half is dropped), sorted by start time, fed by decoded timeline batches.
// Spans never enter React state. Zoomed-out views read pre-merged coarser levels (a mipmap built
// lazily per lane and extended as spans arrive), so a query costs O(pixels), not O(spans). Level 1 is
// folded from the raw spans, level k from level k-1's rects (the same rects as folding the raw spans at
// bucket k — see extendChained), so extending all levels costs about two passes over new spans, not one
// pass per level. A level that would merge almost nothing (more than SKIP_RATIO of its source's rects:
// spans longer than its bucket) is skipped — it holds nothing and queries read the level below — which
// saves its memory (page faults of fresh typed arrays were the largest ingest cost) and its fold.
import { engineLabel } from '../../protocol/format.js';
import type { BatchLane, TimelineBatch } from '../../protocol/timeline-batch.js';

/** Kind code for a rectangle of unknown kind (not produced by the store; drawn neutral). */
export const MIXED_KIND = 255;

/** Bucket width of mipmap level k (k ≥ 1), ns: 256 ns × 4^(k-1). Level 0 is the raw spans. */
export function levelBucketNs(level: number): number {
  return 256 * 4 ** (level - 1);
}
export const MAX_LEVEL = 16;

/** Pre-merged rectangles of one lane at one level. */
interface Level {
  bucketNs: number;
  n: number;
  start: Float64Array;
  end: Float64Array;
  /** Kind of the longest span merged into the rect (its colour), and that span's duration. */
  kind: Uint8Array;
  dom: Float64Array;
  count: Uint32Array;
  /** Longest rect, for the binary search's look-back. */
  maxDur: number;
  /** Source items [0, builtUpTo) are folded in for good (source: raw spans for level 1, else level-1). */
  builtUpTo: number;
  /** The lane's raw span count when this level was last brought up to date. */
  rawN: number;
  /**
   * Level k ≥ 2 also folds its source's last rect, which may still grow: `tentative` then holds the
   * state before that fold (n, the last rect, maxDur), restored before the next extension.
   */
  tentative: boolean;
  savedN: number;
  savedStart: number;
  savedEnd: number;
  savedKind: number;
  savedDom: number;
  savedCount: number;
  savedMaxDur: number;
  /** Skipped: holds nothing; read (and fold the next level from) the nearest kept level below. */
  skip: boolean;
  /** Whether skip has been decided (once the source had SKIP_MIN items). */
  decided: boolean;
}

/** A level keeping more than this fraction of its source's items is skipped … */
const SKIP_RATIO = 0.75;
/** … decided once the source has this many items. */
const SKIP_MIN = 2048;

function growF64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
function growU32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
function growU8(a: Uint8Array, n: number): Uint8Array {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}

/**
 * Folds source items [from, to) into level `lv`: merge into the last rect when an item starts in the same
 * bucket, or before that rect ends plus one bucket (gaps narrower than a bucket are invisible at this
 * level anyway). Raw spans: D/C null (dom = duration, count 1); level rects: their dom and count.
 */
function foldInto(
  lv: Level,
  S: Float64Array,
  E: Float64Array,
  K: Uint8Array,
  D: Float64Array | null,
  C: Uint32Array | null,
  from: number,
  to: number,
): void {
  const B = lv.bucketNs;
  let k = lv.n;
  for (let i = from; i < to; i++) {
    const s = S[i]!,
      e = E[i]!,
      kd = K[i]!;
    const d = D ? D[i]! : e - s;
    const c = C ? C[i]! : 1;
    if (k > 0 && s <= lv.end[k - 1]! + B && Math.floor(s / B) <= Math.floor(lv.end[k - 1]! / B) + 1) {
      if (e > lv.end[k - 1]!) lv.end[k - 1] = e;
      if (d > lv.dom[k - 1]!) {
        lv.dom[k - 1] = d;
        lv.kind[k - 1] = kd;
      }
      lv.count[k - 1]! += c;
      const w = lv.end[k - 1]! - lv.start[k - 1]!;
      if (w > lv.maxDur) lv.maxDur = w;
      continue;
    }
    if (k === lv.start.length) {
      const size = lv.start.length * 2;
      lv.start = growF64(lv.start, size);
      lv.end = growF64(lv.end, size);
      lv.kind = growU8(lv.kind, size);
      lv.dom = growF64(lv.dom, size);
      lv.count = growU32(lv.count, size);
    }
    lv.start[k] = s;
    lv.end[k] = e;
    lv.kind[k] = kd;
    lv.dom[k] = d;
    lv.count[k] = c;
    if (e - s > lv.maxDur) lv.maxDur = e - s;
    k++;
  }
  lv.n = k;
}

/** Undoes extendChained's fold of its source's last rect. */
function restoreTentative(lv: Level): void {
  lv.n = lv.savedN;
  lv.maxDur = lv.savedMaxDur;
  if (lv.n > 0) {
    const j = lv.n - 1;
    lv.start[j] = lv.savedStart;
    lv.end[j] = lv.savedEnd;
    lv.kind[j] = lv.savedKind;
    lv.dom[j] = lv.savedDom;
    lv.count[j] = lv.savedCount;
  }
  lv.tentative = false;
}

/** First index i in a[0..n) with a[i] >= x (a sorted ascending). */
export function lowerBound(a: Float64Array, n: number, x: number): number {
  let lo = 0,
    hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
/** First index i in a[0..n) with a[i] > x. */
export function upperBound(a: Float64Array, n: number, x: number): number {
  let lo = 0,
    hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

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
  private levels: (Level | undefined)[] = [];

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
    this.levels = [];
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
      // A level folded from the raw spans is cut when it covers index i; a level folded from a lower
      // level, when that one was cut (skipped levels hold nothing).
      let src: Level | null = null;
      let srcCut = false;
      for (let k = 1; k < this.levels.length; k++) {
        const lv = this.levels[k];
        if (!lv || lv.skip) continue;
        if (src === null ? lv.builtUpTo > i : srcCut) {
          this.truncateLevel(lv, start, src);
          srcCut = true;
        } else srcCut = false;
        src = lv;
      }
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

  /**
   * An out-of-order span at `t` arrived: drop the level's rects from the last one starting at or
   * before `t`, so they are rebuilt from the source (raw spans, or `src` — the level below, already
   * cut — whose prefix before that rect is unchanged).
   */
  private truncateLevel(lv: Level, t: number, src: Level | null): void {
    if (lv.tentative) restoreTentative(lv);
    const k = Math.max(0, upperBound(lv.start, lv.n, t) - 1);
    lv.builtUpTo =
      k === 0
        ? 0
        : src
          ? lowerBound(src.start, src.n, lv.start[k]!)
          : lowerBound(this.start, this.n, lv.start[k]!);
    lv.n = k;
    lv.rawN = -1;
  }

  /** Mipmap level `level` (≥ 1), built or extended to cover every raw span. */
  level(level: number): Level {
    let lv = this.levels[level];
    if (lv !== undefined && (lv.rawN === this.n || lv.skip)) {
      lv.rawN = this.n;
      return lv;
    }
    // The source first: deciding to skip a level below drops every level above it (this one too).
    const src = this.sourceOf(level);
    lv = this.levels[level];
    if (!lv) {
      const cap = 64;
      lv = {
        bucketNs: levelBucketNs(level),
        n: 0,
        start: new Float64Array(cap),
        end: new Float64Array(cap),
        kind: new Uint8Array(cap),
        dom: new Float64Array(cap),
        count: new Uint32Array(cap),
        maxDur: 0,
        builtUpTo: 0,
        rawN: -1,
        tentative: false,
        savedN: 0,
        savedStart: 0,
        savedEnd: 0,
        savedKind: 0,
        savedDom: 0,
        savedCount: 0,
        savedMaxDur: 0,
        skip: false,
        decided: false,
      };
      this.levels[level] = lv;
    }
    if (lv.rawN !== this.n) {
      if (!lv.skip) {
        if (src === null) {
          foldInto(lv, this.start, this.end, this.kind, null, null, lv.builtUpTo, this.n);
          lv.builtUpTo = this.n;
        } else this.extendChained(lv, src);
        const srcN = src === null ? this.n : src.n;
        if (!lv.decided && srcN >= SKIP_MIN) {
          lv.decided = true;
          if (lv.n > SKIP_RATIO * srcN) {
            lv.skip = true;
            lv.n = 0;
            lv.start = lv.end = lv.dom = new Float64Array(0);
            lv.kind = new Uint8Array(0);
            lv.count = new Uint32Array(0);
            // Levels above were folded from this one: rebuild them from the new source.
            this.levels.length = level + 1;
          }
        }
      }
      lv.rawN = this.n;
    }
    return lv;
  }

  /** The nearest kept level below `level`, up to date, or null for the raw spans. */
  private sourceOf(level: number): Level | null {
    for (let j = level - 1; j >= 1; j--) {
      const lv = this.level(j);
      if (!lv.skip) return lv;
    }
    return null;
  }

  /**
   * Extends level k from level k-1's rects. Folding level k-1's rects at bucket B gives exactly the rects
   * of folding the raw spans at B: spans merged at B/4 (gap < B/4 and at most one B/4 bucket apart, so
   * less than B/2 past the rect's end) also pass the coarser test against a rect end at least as far,
   * and dom/kind/count combine as max/first-longest/sum. The source's last rect can still grow as spans
   * arrive, so it is folded tentatively and undone before the next extension.
   */
  private extendChained(lv: Level, src: Level): void {
    if (lv.tentative) restoreTentative(lv);
    const last = src.n - 1;
    if (last < 0) return;
    if (lv.builtUpTo < last) {
      foldInto(lv, src.start, src.end, src.kind, src.dom, src.count, lv.builtUpTo, last);
      lv.builtUpTo = last;
    }
    lv.tentative = true;
    lv.savedN = lv.n;
    lv.savedMaxDur = lv.maxDur;
    if (lv.n > 0) {
      const j = lv.n - 1;
      lv.savedStart = lv.start[j]!;
      lv.savedEnd = lv.end[j]!;
      lv.savedKind = lv.kind[j]!;
      lv.savedDom = lv.dom[j]!;
      lv.savedCount = lv.count[j]!;
    }
    foldInto(lv, src.start, src.end, src.kind, src.dom, src.count, last, last + 1);
  }

  /** Whether level `level` exists and covers every raw span. */
  levelUpToDate(level: number): boolean {
    const lv = this.levels[level];
    return lv !== undefined && lv.rawN === this.n;
  }

  /** Level count currently cached (for tests). */
  levelSize(level: number): number {
    return this.levels[level]?.n ?? 0;
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

/** Ops indexed by id for dependency arrows (beyond this, arrows are drawn only for what is indexed). */
export const OP_INDEX_CAP = 262_144;

export interface StoreOptions {
  /** Spans kept per lane before the oldest half is dropped. */
  laneCapacity?: number;
  /** Dependency edges kept. */
  edgeCapacity?: number;
}

export interface LaneGroup {
  device: number;
  engineKey: string;
  engineLabel: string;
  /** The group header: "GPU 0 · compute 0.0", or for a recorded program's lanes its process and device. */
  label: string;
  /** The recorded process, for lanes of a recorded program. */
  pid?: number;
  lanes: LaneColumns[];
}

/** Selected/hovered span, resolved to plain data for the details panel. */
export interface SpanInfo {
  lane: number;
  laneLabel: string;
  id: number;
  kind: number;
  name: string;
  /** The op's details (launch dimensions, regular-list execution…), when it has any. */
  detail?: string;
  bytes: number;
  submitNs: number;
  startNs: number;
  endNs: number;
  deps: { id: number; name: string }[];
  dependents: { id: number; name: string }[];
}

export { engineLabel };

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

/** All lanes of the capture, the string table and the dependency edges. */
export class TimelineStore {
  readonly lanes = new Map<number, LaneColumns>();
  readonly strings: string[] = [];
  edgeFrom: Float64Array;
  edgeTo: Float64Array;
  edgeCount = 0;
  /** Spans the service said we missed (ring overrun) plus those we dropped ourselves. */
  droppedByService = 0;
  /** Bumped on every change: the canvas redraws when it differs from what it drew. */
  version = 0;
  minStart = Infinity;
  maxEnd = -Infinity;
  private total = 0;
  /** id → slot in opLocData (lane id, start, end), for the first OP_INDEX_CAP ops: dependency arrows. */
  private readonly opLoc = new Map<number, number>();
  private opLocData: Float64Array = new Float64Array(3 * 1024);
  private ordered: LaneColumns[] | null = null;
  private groupsCache: LaneGroup[] | null = null;
  private readonly laneCapacity: number;
  private readonly edgeCapacity: number;
  private readonly listeners = new Set<() => void>();

  constructor(options: StoreOptions = {}) {
    this.laneCapacity = options.laneCapacity ?? 4_000_000;
    this.edgeCapacity = options.edgeCapacity ?? 1_000_000;
    this.edgeFrom = new Float64Array(1024);
    this.edgeTo = new Float64Array(1024);
  }

  /** Spans held now. */
  get spanCount(): number {
    let n = 0;
    for (const l of this.lanes.values()) n += l.n;
    return n;
  }
  /** Spans ever ingested since the last reset. */
  get ingested(): number {
    return this.total;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  private changed(): void {
    this.version++;
    for (const l of [...this.listeners]) l();
  }

  reset(): void {
    this.lanes.clear();
    this.strings.length = 0;
    this.edgeCount = 0;
    this.droppedByService = 0;
    this.minStart = Infinity;
    this.maxEnd = -Infinity;
    this.total = 0;
    this.opLoc.clear();
    this.ordered = null;
    this.changed();
  }

  /** Folds one decoded batch in. Throws RangeError on a batch that refers to unknown lanes/strings. */
  ingest(b: TimelineBatch): void {
    for (const l of b.lanes) {
      if (!this.lanes.has(l.id)) {
        this.lanes.set(l.id, new LaneColumns(l, this.laneCapacity));
        this.ordered = null;
      }
    }
    if (b.stringBase > this.strings.length)
      throw new RangeError(`timeline batch: missed strings ${this.strings.length}…${b.stringBase - 1}`);
    for (let i = 0; i < b.strings.length; i++) this.strings[b.stringBase + i] = b.strings[i]!;
    this.droppedByService += b.dropped;
    // Rows come as runs of one lane (Timeline.batchSince is lane-major): each run is appended in bulk
    // when it can be (LaneColumns.appendRun), else span by span.
    const L = b.lane,
      S = b.start,
      E = b.end;
    let minStart = this.minStart,
      maxEnd = this.maxEnd;
    for (let i = 0; i < b.count;) {
      const laneId = L[i]!;
      const lane = this.lanes.get(laneId);
      if (!lane) throw new RangeError(`timeline batch: row ${i} names unknown lane ${laneId}`);
      let to = i + 1;
      while (to < b.count && L[to] === laneId) to++;
      if (!lane.appendRun(b, i, to))
        for (let k = i; k < to; k++)
          lane.push(b.id[k]!, b.kind[k]!, b.name[k]!, b.bytes[k]!, b.submit[k]!, S[k]!, E[k]!, b.detail[k]!);
      for (let k = i; k < to; k++) {
        const s = S[k]!,
          e = E[k]!;
        if (s < minStart) minStart = s;
        if (e > maxEnd) maxEnd = e;
      }
      for (let k = i; k < to && this.opLoc.size < OP_INDEX_CAP; k++)
        this.indexOp(b.id[k]!, laneId, S[k]!, E[k]!);
      i = to;
    }
    this.minStart = minStart;
    this.maxEnd = maxEnd;
    this.total += b.count;
    for (let j = 0; j < b.edgeFrom.length; j++) this.pushEdge(b.edgeFrom[j]!, b.edgeTo[j]!);
    if (b.count > 0 || b.lanes.length > 0 || b.edgeFrom.length > 0) this.changed();
  }

  private pushEdge(from: number, to: number): void {
    if (this.edgeCount === this.edgeFrom.length) {
      if (this.edgeCount < this.edgeCapacity) {
        const size = Math.min(this.edgeCapacity, this.edgeCount * 2);
        this.edgeFrom = growF64(this.edgeFrom, size);
        this.edgeTo = growF64(this.edgeTo, size);
      } else {
        const keep = this.edgeCount >> 1;
        this.edgeFrom.copyWithin(0, this.edgeCount - keep, this.edgeCount);
        this.edgeTo.copyWithin(0, this.edgeCount - keep, this.edgeCount);
        this.edgeCount = keep;
      }
    }
    this.edgeFrom[this.edgeCount] = from;
    this.edgeTo[this.edgeCount] = to;
    this.edgeCount++;
  }

  /** Lanes in display order (see compareLanes). */
  orderedLanes(): LaneColumns[] {
    if (!this.ordered) this.ordered = [...this.lanes.values()].sort((a, b) => compareLanes(a.info, b.info));
    return this.ordered;
  }

  /** Lanes grouped by device and engine (and process, for a recorded program), in display order. */
  groups(): LaneGroup[] {
    // Every frame asks (layout, content height): rebuilt only when the lanes changed (ordered reset).
    if (this.ordered && this.groupsCache) return this.groupsCache;
    const out: LaneGroup[] = [];
    for (const lane of this.orderedLanes()) {
      const info = lane.info;
      const key = `${info.source ? `pid ${info.source.pid}/` : ''}${info.device}/${info.engine.kind}/${info.engine.ordinal}.${info.engine.index}`;
      const g = out[out.length - 1];
      if (g && g.engineKey === key) g.lanes.push(lane);
      else {
        const group: LaneGroup = {
          device: info.device,
          engineKey: key,
          engineLabel: engineLabel(info.engine),
          label: groupLabel(info, this.strings),
          lanes: [lane],
        };
        if (info.source) group.pid = info.source.pid;
        out.push(group);
      }
    }
    this.groupsCache = out;
    return out;
  }

  /** A lane's label in the gutter ("stream 3", "immediate list 3"). */
  laneName(lane: LaneColumns): string {
    return laneLabel(lane.info, this.strings);
  }

  /**
   * Builds or extends the mipmap levels zoomed-out views will need, for at most `budgetMs`; returns
   * true when everything is up to date (call again later otherwise). Run when idle, so the first
   * zoom into a level does not pay for building it.
   */
  prebuildLevels(budgetMs = 8, now: () => number = () => performance.now()): boolean {
    const until = now() + budgetMs;
    for (const lane of this.lanes.values()) {
      if (lane.n < 2) continue;
      const range = lane.end[lane.n - 1]! - lane.start[0]!;
      for (let k = 1; k <= MAX_LEVEL && levelBucketNs(k) <= range / 4; k++) {
        if (!lane.levelUpToDate(k)) {
          lane.level(k);
          if (now() > until) return false;
        }
      }
    }
    return true;
  }

  nameOf(nameId: number): string {
    return this.strings[nameId] ?? `#${nameId}`;
  }

  /** Finds an op by id across lanes (linear; for selection and dependency lists). */
  private indexOp(id: number, lane: number, start: number, end: number): void {
    let slot = this.opLoc.get(id);
    if (slot === undefined) {
      slot = this.opLoc.size;
      if (3 * slot + 3 > this.opLocData.length)
        this.opLocData = growF64(this.opLocData, this.opLocData.length * 2);
      this.opLoc.set(id, slot);
    }
    this.opLocData[3 * slot] = lane;
    this.opLocData[3 * slot + 1] = start;
    this.opLocData[3 * slot + 2] = end;
  }

  /** Where op `id` is (lane id, start, end), when it is among the first OP_INDEX_CAP ops; else null. */
  locate(id: number): { lane: number; start: number; end: number } | null {
    const slot = this.opLoc.get(id);
    if (slot === undefined) return null;
    const lane = this.opLocData[3 * slot]!;
    if (!this.lanes.has(lane)) return null;
    return { lane, start: this.opLocData[3 * slot + 1]!, end: this.opLocData[3 * slot + 2]! };
  }

  findOp(id: number): { lane: LaneColumns; index: number } | null {
    for (const lane of this.lanes.values()) {
      const index = lane.indexOfId(id);
      if (index >= 0) return { lane, index };
    }
    return null;
  }

  /** The span at lane/index as plain data, with its dependencies resolved to names. */
  spanInfo(laneId: number, index: number): SpanInfo | null {
    const lane = this.lanes.get(laneId);
    if (!lane || index < 0 || index >= lane.n) return null;
    const id = lane.id[index]!;
    const deps: { id: number; name: string }[] = [];
    const dependents: { id: number; name: string }[] = [];
    const label = (opId: number) => {
      const f = this.findOp(opId);
      return f ? this.nameOf(f.lane.name[f.index]!) : '(not in the capture)';
    };
    for (let j = 0; j < this.edgeCount && deps.length + dependents.length < 64; j++) {
      if (this.edgeTo[j] === id) deps.push({ id: this.edgeFrom[j]!, name: label(this.edgeFrom[j]!) });
      else if (this.edgeFrom[j] === id)
        dependents.push({ id: this.edgeTo[j]!, name: label(this.edgeTo[j]!) });
    }
    const info: SpanInfo = {
      lane: laneId,
      laneLabel: laneTitle(lane.info, this.strings),
      id,
      kind: lane.kind[index]!,
      name: this.nameOf(lane.name[index]!),
      bytes: lane.bytes[index]!,
      submitNs: lane.submit[index]!,
      startNs: lane.start[index]!,
      endNs: lane.end[index]!,
      deps,
      dependents,
    };
    const d = lane.detail[index]!;
    if (d > 0) info.detail = this.nameOf(d - 1);
    return info;
  }
}
