// Level 3 diagnostics: performance, per device, against expectations derived from the device's own
// properties — an unknown SKU gets a warning with numbers, never a blind failure.
import { xpu, type DeviceProperties, type Stream, type XpuBuffer } from '../../runtime/index.js';
import { Buffers, engineStreams, failed, fmtGBs, gbps, MiB, props } from './check-helpers.js';
import { outcome, type CheckDef } from './registry.js';

/** Peak memory bandwidth from the device's memory properties, assuming double data rate (a lower bound). */
function memoryPeakGBs(p: DeviceProperties): number | undefined {
  if (!p.memoryClockRate || !p.memoryBusWidth) return undefined;
  return (p.memoryClockRate * 1e6 * (p.memoryBusWidth / 8) * 2) / 1e9;
}

const LINK_FLOOR_GBS = 1;

async function timedCopy(
  s: Stream,
  dst: XpuBuffer,
  src: XpuBuffer,
  bytes: number,
  reps: number,
): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const e0 = new xpu.Event({ enableTiming: true });
    const e1 = new xpu.Event({ enableTiming: true });
    e0.record(s);
    s.copy(dst, src, bytes);
    e1.record(s);
    await s.synchronize();
    best = Math.min(best, e0.elapsedTime(e1));
  }
  return best;
}

const bandwidth: CheckDef = {
  id: 'l3.copy-bandwidth',
  title: 'Copy bandwidth per engine',
  level: 3,
  scope: 'device',
  measures:
    'H→D, D→H and D→D bandwidth of 64 MiB copies on the compute and copy engines (best of 3, event timing) against the memory peak from the device properties',
  async run(ctx) {
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const bytes = Math.min(64 * MiB, Math.floor(p.maxMemAllocSize / 4) || 64 * MiB);
      const peak = memoryPeakGBs(p);
      const d2dMin = peak !== undefined ? peak * 0.25 : undefined;
      const linkMin = p.isIntegratedGpu && d2dMin !== undefined ? d2dMin : LINK_FLOOR_GBS;
      const h = bufs.alloc(bytes, 'host', ctx.device);
      const d1 = bufs.alloc(bytes, 'device', ctx.device);
      const d2 = bufs.alloc(bytes, 'device', ctx.device);
      const results: Record<string, Record<string, number>> = {};
      const low: string[] = [];
      for (const { name, stream } of engineStreams(p, ctx.device)) {
        await timedCopy(stream, d1, h, bytes, 1); // warm-up
        const r = {
          h2d: gbps(bytes, await timedCopy(stream, d1, h, bytes, 3)),
          d2h: gbps(bytes, await timedCopy(stream, h, d1, bytes, 3)),
          d2d: gbps(bytes, await timedCopy(stream, d2, d1, bytes, 3)),
        };
        results[name] = r;
        if (r.h2d < linkMin) low.push(`${name} H→D ${fmtGBs(r.h2d)}`);
        if (r.d2h < linkMin) low.push(`${name} D→H ${fmtGBs(r.d2h)}`);
        if (d2dMin !== undefined && r.d2d < d2dMin) low.push(`${name} D→D ${fmtGBs(r.d2d)}`);
      }
      const measured = Object.entries(results)
        .map(
          ([e, r]) => `${e}: H→D ${fmtGBs(r.h2d ?? 0)}, D→H ${fmtGBs(r.d2h ?? 0)}, D→D ${fmtGBs(r.d2d ?? 0)}`,
        )
        .join('; ');
      const expected = `D→D ≥ ${d2dMin !== undefined ? fmtGBs(d2dMin) : '? (no memory clock/bus width)'}; H→D, D→H ≥ ${fmtGBs(linkMin)}`;
      const expectedSource =
        (peak !== undefined
          ? `25 % of ${fmtGBs(peak)} = memoryClockRate ${p.memoryClockRate} MHz × memoryBusWidth ${p.memoryBusWidth} bit × 2 (double data rate; conservative for GDDR/HBM)`
          : 'the device reports no memory clock/bus width (zeDeviceGetMemoryProperties)') +
        (p.isIntegratedGpu
          ? '; integrated GPU: host copies go through the same memory'
          : `; host link floor ${LINK_FLOOR_GBS} GB/s ≈ PCIe 3.0 x1 (Level Zero core does not report the link speed)`);
      const best = Math.max(...Object.values(results).map((r) => r.d2d ?? 0));
      const details = { bytes, results, peakGBs: peak ?? null, simulated: ctx.list.driver.simulated };
      if (low.length > 0 || d2dMin === undefined) {
        return outcome('warn', measured, expected, expectedSource, {
          value: best,
          unit: 'GB/s',
          details,
          message:
            (low.length > 0
              ? `below expectation: ${low.join(', ')}`
              : 'no expectation can be derived for D→D') +
            (ctx.list.driver.simulated ? ' (simulated device: copies run at this host’s memcpy speed)' : ''),
          hint: 'Check the PCIe link (lspci -vv: LnkSta), that no other process uses the GPU, power/thermal limits, and the driver version.',
        });
      }
      return outcome('pass', measured, expected, expectedSource, { value: best, unit: 'GB/s', details });
    } catch (err) {
      return failed(
        err,
        'copies complete',
        '-',
        'Copies fail: run level 2 (xpuscope diag --level 2) to narrow it down.',
      );
    } finally {
      bufs.free();
    }
  },
};

const LATENCY_BUDGET_US = 200;

const launchLatency: CheckDef = {
  id: 'l3.launch-latency',
  title: 'Kernel launch latency',
  level: 3,
  scope: 'device',
  measures:
    'median round trip of an empty kernel (launch → completion seen by the host) and the per-launch cost of 200 back-to-back launches',
  async run(ctx) {
    const expected = `round trip median ≤ ${LATENCY_BUDGET_US} µs`;
    const source =
      'budget: immediate command lists submit in single-digit to tens of µs (Intel oneAPI GPU optimization guide); the rest allows for the host wait path';
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const k = xpu.kernels(ctx.device).busy;
      if (!k)
        return outcome('fail', 'busy kernel missing', expected, source, {
          hint: 'Rebuild the kernels: npm run build:native.',
        });
      const s = new xpu.Stream({ device: ctx.device });
      const out = bufs.alloc(64, 'device', ctx.device);
      const launch = (): void => s.launch(k, { groups: 1, groupSize: 1, args: [out, { u32: 0 }] });
      for (let i = 0; i < 10; i++) launch();
      await s.synchronize();
      const samples: number[] = [];
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        launch();
        await s.synchronize();
        samples.push((performance.now() - t0) * 1000);
      }
      samples.sort((a, b) => a - b);
      const median = samples[Math.floor(samples.length / 2)] ?? 0;
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) launch();
      await s.synchronize();
      const perLaunch = ((performance.now() - t0) * 1000) / 200;
      const measured = `round trip median ${median.toFixed(1)} µs (p10 ${(samples[5] ?? 0).toFixed(1)}, p90 ${(samples[45] ?? 0).toFixed(1)}); ${perLaunch.toFixed(1)} µs per back-to-back launch`;
      const details = {
        roundTripUs: { median, p10: samples[5], p90: samples[45] },
        backToBackUs: perLaunch,
        device: p.name,
      };
      if (median > LATENCY_BUDGET_US) {
        return outcome('warn', measured, expected, source, {
          value: median,
          unit: 'µs',
          details,
          message: 'launches are slower than expected',
          hint: 'Check CPU frequency scaling and load on the host, the GPU power state, and the driver version.',
        });
      }
      return outcome('pass', measured, expected, source, { value: median, unit: 'µs', details });
    } catch (err) {
      return failed(err, expected, source, 'Launches fail: run level 2 to narrow it down.');
    } finally {
      bufs.free();
    }
  },
};

/** Level 3, in run order. */
export const L3_CHECKS: readonly CheckDef[] = [bandwidth, launchLatency];
