// Level of detail for one lane: mipmap levels of pre-merged rectangles, so a zoomed-out query costs
// O(pixels), not O(spans). Built lazily and extended as spans arrive. Level 1 is folded from the raw
// spans, level k from level k-1's rects (the same rects as folding the raw spans at bucket k — see
// extendChained), so extending all levels costs about two passes over new spans, not one pass per level.
// A level that would merge almost nothing (more than SKIP_RATIO of its source's rects: spans longer
// than its bucket) is skipped — it holds nothing and queries read the level below — which saves its
// memory (page faults of fresh typed arrays were the largest ingest cost) and its fold.
import { growF64, growU32, growU8, lowerBound, upperBound } from './typed-arrays.js';

/** Bucket width of mipmap level k (k ≥ 1), ns: 256 ns × 4^(k-1). Level 0 is the raw spans. */
export function levelBucketNs(level: number): number {
  return 256 * 4 ** (level - 1);
}
export const MAX_LEVEL = 16;

/** Pre-merged rectangles of one lane at one level. */
export interface Level {
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

/** The raw spans of a lane, sorted by start: what level 1 is folded from (read live: columns grow). */
export interface RawSpans {
  readonly n: number;
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly kind: Uint8Array;
}

/** One lane's mipmap levels 1…MAX_LEVEL over its raw spans. */
export class LodLevels {
  private levels: (Level | undefined)[] = [];

  constructor(private readonly raw: RawSpans) {}

  /** Drops every level (the raw spans were moved: the lane dropped its oldest half); rebuilt on demand. */
  clear(): void {
    this.levels = [];
  }

  /**
   * A span starting at `t` is being inserted at raw index `i` (out of order: the raw columns' tail from
   * `i` was just shifted up, `n` not yet counted): cut every level whose rects cover it.
   */
  inserted(i: number, t: number): void {
    // A level folded from the raw spans is cut when it covers index i; a level folded from a lower
    // level, when that one was cut (skipped levels hold nothing).
    let src: Level | null = null;
    let srcCut = false;
    for (let k = 1; k < this.levels.length; k++) {
      const lv = this.levels[k];
      if (!lv || lv.skip) continue;
      if (src === null ? lv.builtUpTo > i : srcCut) {
        this.truncate(lv, t, src);
        srcCut = true;
      } else srcCut = false;
      src = lv;
    }
  }

  /**
   * An out-of-order span at `t` arrived: drop the level's rects from the last one starting at or
   * before `t`, so they are rebuilt from the source (raw spans, or `src` — the level below, already
   * cut — whose prefix before that rect is unchanged).
   */
  private truncate(lv: Level, t: number, src: Level | null): void {
    if (lv.tentative) restoreTentative(lv);
    const k = Math.max(0, upperBound(lv.start, lv.n, t) - 1);
    lv.builtUpTo =
      k === 0
        ? 0
        : src
          ? lowerBound(src.start, src.n, lv.start[k]!)
          : lowerBound(this.raw.start, this.raw.n, lv.start[k]!);
    lv.n = k;
    lv.rawN = -1;
  }

  /** Mipmap level `level` (≥ 1), built or extended to cover every raw span. */
  level(level: number): Level {
    let lv = this.levels[level];
    if (lv !== undefined && (lv.rawN === this.raw.n || lv.skip)) {
      lv.rawN = this.raw.n;
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
    if (lv.rawN !== this.raw.n) {
      if (!lv.skip) {
        if (src === null) {
          foldInto(lv, this.raw.start, this.raw.end, this.raw.kind, null, null, lv.builtUpTo, this.raw.n);
          lv.builtUpTo = this.raw.n;
        } else this.extendChained(lv, src);
        const srcN = src === null ? this.raw.n : src.n;
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
      lv.rawN = this.raw.n;
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
  upToDate(level: number): boolean {
    const lv = this.levels[level];
    return lv !== undefined && lv.rawN === this.raw.n;
  }

  /** Level count currently cached (for tests). */
  size(level: number): number {
    return this.levels[level]?.n ?? 0;
  }
}
