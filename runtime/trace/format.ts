// Shared naming and number formatting of xpuscope's Chrome Trace Event JSON files.
import type { EngineRef } from '../../protocol/timeline.js';

/** Written to otherData.xpuscope.version (override with the writer's `version` option). */
export const XPUSCOPE_VERSION = '0.1.0';
/** Version of the xpuscope trace layout (otherData.xpuscope.format). */
export const TRACE_FORMAT_VERSION = 1;

export function engineLabel(e: EngineRef): string {
  return `${e.kind} ord${e.ordinal}/idx${e.index}`;
}

/** Thread name of a lane: "stream 1 · compute ord0/idx0" (+ " · overlap N" for extra lanes). */
export function laneName(stream: number, engine: EngineRef, level: number): string {
  return `stream ${stream} · ${engineLabel(engine)}${level > 0 ? ` · overlap ${level}` : ''}`;
}

/** Integer nanoseconds → microseconds with exactly 3 decimals, e.g. 12345 → "12.345", -5 → "-0.005". */
export function formatUs(ns: number): string {
  const neg = ns < 0;
  const a = Math.abs(ns);
  const int = Math.floor(a / 1000);
  const frac = Math.round(a - int * 1000);
  const f = frac < 10 ? `00${frac}` : frac < 100 ? `0${frac}` : `${frac}`;
  return `${neg ? '-' : ''}${int}.${f}`;
}

/**
 * Microseconds as written in a trace (the number's source text, or a number) → integer ns relative to
 * `originUs` (an integer), exactly when the text has ≤ 3 decimals and the integer part fits in 2^53.
 */
export function usTextToNs(text: string | number, originUs = 0): number {
  if (typeof text === 'number') return Math.round((text - originUs) * 1000);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return Math.round((Number(text) - originUs) * 1000);
  const neg = m[1] === '-';
  const intUs = Number(m[2]);
  const fracDigits = m[3] ?? '';
  // Nanoseconds from the fraction, rounded to an integer (digits past the third are sub-ns).
  let fracNs =
    fracDigits.length <= 3
      ? Number(fracDigits.padEnd(3, '0'))
      : Math.round(Number(`${fracDigits.slice(0, 3)}.${fracDigits.slice(3)}`));
  if (!Number.isFinite(fracNs)) fracNs = 0;
  const abs = (intUs - (neg ? -originUs : originUs)) * 1000 + fracNs;
  return neg ? -abs : abs;
}
