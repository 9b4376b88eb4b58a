// Time axis ticks (adaptive units), duration/bandwidth formatting and viewport maths.
import { describe, expect, it } from 'vitest';
import {
  axisTicks,
  fitAll,
  followLive,
  formatBandwidth,
  formatDuration,
  MIN_SPAN_NS,
  niceStep,
  panBy,
  unitFor,
  zoomAround,
} from '../../renderer/timeline/axis.js';

describe('axis ticks', () => {
  it('steps are 1, 2 or 5 × 10^k and at least the minimum', () => {
    for (const min of [0.3, 1, 3, 7, 12, 450, 999, 1001, 2.5e6, 7.7e9]) {
      const s = niceStep(min);
      expect(s).toBeGreaterThanOrEqual(min);
      const m = s / 10 ** Math.floor(Math.log10(s) + 1e-9);
      expect([1, 2, 5]).toContain(Math.round(m));
      expect(s).toBeLessThan(min * 5.01);
    }
  });

  it('labels in the unit of the step: ns, µs, ms, s', () => {
    expect(unitFor(500).suffix).toBe('ns');
    expect(unitFor(2_000).suffix).toBe('µs');
    expect(unitFor(5e6).suffix).toBe('ms');
    expect(unitFor(2e9).suffix).toBe('s');
    expect(axisTicks(0, 1_000, 1000).unit).toBe('ns');
    expect(axisTicks(0, 1e6, 1000).unit).toBe('µs');
    expect(axisTicks(0, 1e8, 1000).unit).toBe('ms');
    expect(axisTicks(0, 1e11, 1000).unit).toBe('s');
  });

  it('ticks are at least minPx apart, inside the window, relative to the origin', () => {
    const origin = 1_700_000_000_000;
    const t0 = origin + 12_345,
      t1 = t0 + 3_000_000;
    const { ticks, step } = axisTicks(t0, t1, 1200, origin, 90);
    expect(ticks.length).toBeGreaterThan(3);
    expect((step / (t1 - t0)) * 1200).toBeGreaterThanOrEqual(90);
    for (const t of ticks) {
      expect(t.t).toBeGreaterThanOrEqual(t0);
      expect(t.t).toBeLessThanOrEqual(t1);
      expect(Math.abs(((t.t - origin) / step) % 1)).toBeLessThan(1e-6);
    }
    expect(ticks.map((t) => t.label)).toContain('500 µs');
    expect(axisTicks(origin, origin + 1e6, 1000, origin).ticks[0]!.label).toBe('0');
  });

  it('uses decimals when the step is a fraction of the unit', () => {
    const { ticks } = axisTicks(0, 2_000, 1000, 0, 100); // step 200 ns
    expect(ticks[1]!.label).toBe('200 ns');
    const us = axisTicks(0, 10_000, 1000, 0, 80); // step 1 µs? 800 ns → 1000
    expect(us.ticks[1]!.label).toMatch(/µs$/);
    const frac = axisTicks(0, 5_000_000, 1000, 0, 40); // step 200 µs
    expect(
      frac.ticks.some((t) => t.label === '1000 µs' || t.label === '1.0 ms' || t.label === '200 µs'),
    ).toBe(true);
  });

  it('empty or inverted windows have no ticks', () => {
    expect(axisTicks(10, 10, 100).ticks).toEqual([]);
    expect(axisTicks(0, 100, 0).ticks).toEqual([]);
  });
});

describe('formatting', () => {
  it('durations', () => {
    expect(formatDuration(850)).toBe('850 ns');
    expect(formatDuration(12_340)).toBe('12.3 µs');
    expect(formatDuration(4_560_000)).toBe('4.56 ms');
    expect(formatDuration(1.234e9)).toBe('1.23 s');
  });
  it('bandwidth', () => {
    expect(formatBandwidth(1e9, 1e9)).toBe('1.00 GB/s');
    expect(formatBandwidth(4096, 1000)).toBe('4.10 GB/s');
    expect(formatBandwidth(0, 10)).toBe('—');
  });
});

describe('viewport', () => {
  it('zooms around the anchor', () => {
    const v = zoomAround({ t0: 0, t1: 1000 }, 0.25, 0.5);
    expect(v.t1 - v.t0).toBe(500);
    expect(v.t0 + (v.t1 - v.t0) * 0.25).toBe(250);
    const tiny = zoomAround({ t0: 0, t1: 20 }, 0.5, 0.01);
    expect(tiny.t1 - tiny.t0).toBe(MIN_SPAN_NS);
  });
  it('pans, fits and follows', () => {
    expect(panBy({ t0: 0, t1: 100 }, 0.5)).toEqual({ t0: 50, t1: 150 });
    const f = fitAll(1000, 2000);
    expect(f.t0).toBeLessThan(1000);
    expect(f.t1).toBeGreaterThan(2000);
    const l = followLive({ t0: 0, t1: 100 }, 5000);
    expect(l.t1 - l.t0).toBe(100);
    expect(l.t1).toBeGreaterThan(5000);
    expect(fitAll(Infinity, -Infinity).t1).toBeGreaterThan(fitAll(Infinity, -Infinity).t0);
  });
});
