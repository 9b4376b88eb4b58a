// Painting helpers the tracks and the frame share: joining touching rects into runs, and fitting a
// label to a width.

/**
 * Joins rects of one kind whose painted extents [x0, end) touch or overlap into runs, and hands each
 * run to `emit` (kind, x0, x1). Rects are whole pixels, so a run covers exactly the pixels its rects
 * would: a dense lane zoomed out is one 1–3 px rect per pixel column (LaneColumns.query), and in
 * software raster every canvas call has a fixed cost.
 */
export class Runs {
  private kind = -1;
  private x0 = 0;
  private x1 = 0;
  constructor(private readonly emit: (kind: number, x0: number, x1: number) => void) {}
  add(kind: number, x0: number, end: number): void {
    if (kind === this.kind && x0 <= this.x1) {
      if (end > this.x1) this.x1 = end;
      return;
    }
    this.flush();
    this.kind = kind;
    this.x0 = x0;
    this.x1 = end;
  }
  flush(): void {
    if (this.kind >= 0) this.emit(this.kind, this.x0, this.x1);
    this.kind = -1;
  }
}

/** A context that may measure text (the tests' stand-in does not). */
export interface Measurer {
  measureText?: (text: string) => { width: number };
}

/** Width of a label in the gutter fonts, px: measured when the context can, else estimated. */
export function textWidth(ctx: Measurer, text: string, bold: boolean): number {
  if (typeof ctx.measureText === 'function') {
    const w = ctx.measureText(text).width;
    if (Number.isFinite(w)) return w;
  }
  return text.length * (bold ? 6.6 : 6.1);
}

/**
 * `text` shortened with an ellipsis to fit `maxPx` (a recorded program's queue names can be longer than
 * the gutter).
 */
export function fitLabel(ctx: Measurer, text: string, maxPx: number, bold = false): string {
  if (textWidth(ctx, text, bold) <= maxPx) return text;
  let lo = 0,
    hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (textWidth(ctx, `${text.slice(0, mid)}…`, bold) <= maxPx) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}
