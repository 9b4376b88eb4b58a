// Shared naming and number formatting of xpuscope's Chrome Trace Event JSON files.
import { engineLabel } from '../../protocol/format.js';
import type { EngineRef } from '../../protocol/timeline.js';

export { engineLabel };

/** Written to otherData.xpuscope.version (override with the writer's `version` option). */
export const XPUSCOPE_VERSION = '0.1.0';
/** Version of the xpuscope trace layout (otherData.xpuscope.format). */
export const TRACE_FORMAT_VERSION = 1;

/** Thread name of a lane: "stream 1 · compute 0.0" (+ " · overlap N" for extra lanes). */
export function laneName(stream: number, engine: EngineRef, level: number): string {
  return `stream ${stream} · ${engineLabel(engine)}${level > 0 ? ` · overlap ${level}` : ''}`;
}

/**
 * Nanoseconds → microseconds with exactly 3 decimals, e.g. 12345 → "12.345", -5 → "-0.005"; a fractional
 * ns (a flow arrow's midpoint) is rounded to the nearest ns first, so 1999.5 → "2.000". Always valid JSON:
 * beyond 2^53 ns the split into µs and ns can come out one step off (the product int × 1000 rounds), which
 * is carried instead of printed as "…00-128"; past 10^24 ns the plain number is written; a non-finite
 * time — never produced by the runtime — becomes `null` rather than breaking the file.
 */
export function formatUs(ns: number): string {
  if (!Number.isFinite(ns)) return 'null';
  const a = Math.round(Math.abs(ns));
  if (a >= 1e24) return String(ns / 1000);
  let int = Math.floor(a / 1000);
  let frac = Math.round(a - int * 1000);
  if (frac < 0) {
    int -= 1;
    frac += 1000;
  } else if (frac >= 1000) {
    int += 1;
    frac -= 1000;
  }
  const f = frac < 10 ? `00${frac}` : frac < 100 ? `0${frac}` : `${frac}`;
  return `${ns < 0 && a !== 0 ? '-' : ''}${int}.${f}`;
}

/**
 * Microseconds as written in a trace (the number's source text, or a number) → integer ns relative to
 * `originUs` (an integer), exactly when the text has ≤ 3 decimals and the integer part fits in 2^53.
 */
export function usTextToNs(text: string | number, originUs = 0): number {
  if (typeof text === 'number') return Math.round((text - originUs) * 1000);
  // -?\d+(\.\d+)? by hand (this runs per imported timestamp); anything else goes through Number().
  const n = text.length;
  const neg = n > 0 && text.charCodeAt(0) === 0x2d;
  let i = neg ? 1 : 0;
  const intStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  const intEnd = i;
  let fracNs = 0;
  let ok = intEnd > intStart;
  if (ok && i < n) {
    const fracStart = ++i;
    ok = text.charCodeAt(intEnd) === 0x2e;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    ok = ok && i === n && i > fracStart;
    if (ok) {
      const fracDigits = text.slice(fracStart);
      // Nanoseconds from the fraction, rounded to an integer (digits past the third are sub-ns).
      fracNs =
        fracDigits.length <= 3
          ? Number(fracDigits.padEnd(3, '0'))
          : Math.round(Number(`${fracDigits.slice(0, 3)}.${fracDigits.slice(3)}`));
      if (!Number.isFinite(fracNs)) fracNs = 0;
    }
  }
  if (!ok) return Math.round((Number(text) - originUs) * 1000);
  return usPartsToNs(neg, Number(text.slice(intStart, intEnd)), fracNs, originUs);
}

/**
 * usTextToNs of a number already split into sign, integer microseconds and the fraction's ns (0…1000):
 * the importer's direct decoder reads these from the bytes without making the text.
 */
export function usPartsToNs(neg: boolean, intUs: number, fracNs: number, originUs: number): number {
  const abs = (intUs - (neg ? -originUs : originUs)) * 1000 + fracNs;
  return neg ? -abs : abs;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
