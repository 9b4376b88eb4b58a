// Sysman telemetry (runtime/telemetry.ts) through the real loader and the simulated driver: engine
// groups with accumulated active time that grows while a kernel runs, frequency, temperature, energy
// and memory; absent lists, not zeros, for what is not reported.
import { describe, expect, it } from 'vitest';
import { xpu } from '../../runtime/index.js';
import { haveSim, useSim } from './helpers/sim.js';

useSim();

describe.skipIf(!haveSim)('telemetry', () => {
  it('reports engine groups, clocks, temperature, energy and memory', () => {
    const t = xpu.getTelemetry(0);
    expect(t.device).toBe(0);
    expect(t.sysman).toBe(true);
    const groups = t.engines.map((e) => `${e.group}${e.single ? '' : '/all'}`);
    expect(groups).toEqual(expect.arrayContaining(['compute', 'copy', 'all/all', 'compute/all']));
    for (const e of t.engines) {
      expect(e.activeUs).toBeGreaterThanOrEqual(0);
      expect(e.timestampUs).toBeGreaterThan(0);
    }
    expect(t.frequencies[0]).toMatchObject({ domain: 'gpu' });
    expect(t.frequencies[0]!.actualMHz).toBeGreaterThan(0);
    expect(t.temperatures[0]!.celsius).toBeGreaterThan(0);
    expect(t.energy[0]!.energyUj).toBeGreaterThan(0);
    expect(t.memory!.totalBytes).toBeGreaterThan(t.memory!.freeBytes - 1);
    expect(() => xpu.getTelemetry(99)).toThrow(/out of range/);
  });

  it('a compute engine accumulates active time while a kernel runs', async () => {
    const computeActive = (): number =>
      xpu.getTelemetry(0).engines.find((e) => e.group === 'compute' && e.single && e.index === 0)!.activeUs;
    const before = computeActive();
    const s = new xpu.Stream({ device: 0 });
    const k = xpu.kernels(0).busy!;
    using out = xpu.alloc(4096);
    // ~20 ms of busy work (4 cycles per iteration at the simulated clock)
    const iterations = Math.round((20e-3 * xpu.getDeviceProperties(0).coreClockRate * 1e6) / 4);
    s.launch(k, { groups: 1, groupSize: 64, args: [out, iterations] });
    await s.synchronize();
    const after = computeActive();
    expect(after - before).toBeGreaterThan(10_000); // µs
  });
});
