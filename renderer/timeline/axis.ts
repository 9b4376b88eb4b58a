// Time axis and viewport maths for the timeline (pure; unit-tested).

export interface Tick {
  /** Absolute time, ns. */
  t: number;
  label: string;
}

const UNITS: { ns: number; suffix: string }[] = [
  { ns: 1, suffix: 'ns' },
  { ns: 1e3, suffix: 'µs' },
  { ns: 1e6, suffix: 'ms' },
  { ns: 1e9, suffix: 's' },
];

/** The unit a step of `stepNs` is best labelled in. */
export function unitFor(stepNs: number): { ns: number; suffix: string } {
  let u = UNITS[0]!;
  for (const candidate of UNITS) if (stepNs >= candidate.ns) u = candidate;
  return u;
}

/** A "nice" step (1, 2 or 5 × 10^k ns) of at least `minStepNs`. */
export function niceStep(minStepNs: number): number {
  if (!(minStepNs > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(minStepNs));
  for (const m of [1, 2, 5, 10]) if (m * p >= minStepNs) return m * p;
  return 10 * p;
}

/**
 * Ticks for the window [t0, t1] drawn `width` px wide, at least `minPx` apart. Labels are relative to
 * `origin` (the capture's first span) in the step's unit: "0", "250 µs", "1.5 ms", ….
 */
export function axisTicks(
  t0: number,
  t1: number,
  width: number,
  origin = 0,
  minPx = 90,
): { step: number; unit: string; ticks: Tick[] } {
  if (!(t1 > t0) || width <= 0) return { step: 0, unit: 'ns', ticks: [] };
  const step = niceStep(((t1 - t0) / width) * minPx);
  const unit = unitFor(step);
  const first = Math.ceil((t0 - origin) / step) * step + origin;
  const ticks: Tick[] = [];
  const decimals = Math.max(0, Math.ceil(-Math.log10(step / unit.ns) - 1e-9));
  for (let t = first; t <= t1 + 1e-9 && ticks.length < 1000; t += step) {
    const rel = (t - origin) / unit.ns;
    const label = Math.abs(rel) < 1e-12 ? '0' : `${rel.toFixed(decimals)} ${unit.suffix}`;
    ticks.push({ t, label });
  }
  return { step, unit: unit.suffix, ticks };
}

/** A duration for people: "850 ns", "12.3 µs", "4.56 ms", "1.23 s". */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

/** Bandwidth for `bytes` moved in `ns`: "12.4 GB/s" (decimal units, as bandwidth usually is). */
export function formatBandwidth(bytes: number, ns: number): string {
  if (!(bytes > 0) || !(ns > 0)) return '—';
  const bps = (bytes / ns) * 1e9;
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'];
  let v = bps,
    u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toPrecision(3)} ${units[u]}`;
}

// ---- viewport ----

export interface Viewport {
  /** Visible window, absolute ns. */
  t0: number;
  t1: number;
}

/** Narrowest window allowed (ns): below this there is nothing more to see. */
export const MIN_SPAN_NS = 10;

/** Zooms by `factor` (< 1 zooms in) keeping the time under `fx` (0..1 across the view) fixed. */
export function zoomAround(v: Viewport, fx: number, factor: number): Viewport {
  const w = v.t1 - v.t0;
  const nw = Math.max(MIN_SPAN_NS, w * factor);
  const anchor = v.t0 + w * fx;
  return { t0: anchor - nw * fx, t1: anchor - nw * fx + nw };
}

/** Pans by a fraction of the window (positive: later). */
export function panBy(v: Viewport, fraction: number): Viewport {
  const d = (v.t1 - v.t0) * fraction;
  return { t0: v.t0 + d, t1: v.t1 + d };
}

/** The window showing [min, max] with a small margin. */
export function fitAll(min: number, max: number): Viewport {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) {
    const c = Number.isFinite(min) ? min : 0;
    return { t0: c - 500, t1: c + 1_000_000 };
  }
  const pad = (max - min) * 0.02;
  return { t0: min - pad, t1: max + pad };
}

/** Follow-live: keep the window's width, end it at `max`. */
export function followLive(v: Viewport, max: number): Viewport {
  const w = v.t1 - v.t0;
  const pad = w * 0.02;
  return { t0: max + pad - w, t1: max + pad };
}
