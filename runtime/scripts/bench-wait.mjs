#!/usr/bin/env node
// Compares the two ways runtime waits leave the event loop free: koffi `.async`
// zeEventHostSynchronize on a worker thread vs zeEventQueryStatus polling from timers.
// Usage: npx tsc -b runtime && node runtime/scripts/bench-wait.mjs   (uses the simulated driver)
import { performance } from 'node:perf_hooks';

const { xpu, configureDriver } = await import('../../dist/runtime/index.js');
configureDriver({ driver: 'sim', profile: 'arc-a770' });
const k = xpu.kernels(0);
const N = 64 * 4096;
const buf = xpu.alloc(N * 4);

async function measure(strategy, iterations, kernelIters) {
  xpu.setWaitStrategy(strategy);
  const s = new xpu.Stream({ device: 0 });
  let lag = 0;
  let ticks = 0;
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last - 1);
    last = now;
    ticks++;
  }, 1);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let overshoot = 0;
  for (let i = 0; i < iterations; i++) {
    const e0 = new xpu.Event({ enableTiming: true });
    const e1 = new xpu.Event({ enableTiming: true });
    e0.record(s);
    s.launch(k.busy, { groups: N / 64, groupSize: 64, args: [buf, kernelIters] });
    e1.record(s);
    const w0 = performance.now();
    await s.synchronize();
    overshoot += performance.now() - w0 - Math.max(0, e0.elapsedTime(e1));
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(t);
  return {
    strategy,
    kernelIters,
    iterations,
    wallMs: +wall.toFixed(1),
    cpuMs: +((cpu.user + cpu.system) / 1000).toFixed(1),
    meanWakeLatencyMs: +(overshoot / iterations).toFixed(3),
    maxTimerLagMs: +lag.toFixed(2),
    timerTicks: ticks,
  };
}

const rows = [];
for (const kernelIters of [10_000, 2_000_000]) {
  for (const strategy of ['async', 'poll'])
    rows.push(await measure(strategy, kernelIters > 100_000 ? 10 : 200, kernelIters));
}
console.table(rows);
buf.free();
