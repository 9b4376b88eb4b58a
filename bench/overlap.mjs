// bench/overlap.mjs — `overlap`: do N streams really run concurrently on N compute engines?
//   measured: N streams (N = 4 on a max-1550 tile, 4 CCS; N = 8 on `bench-8ccs`, a bench-only profile
//             added with XPUSIM_CONFIG=bench/xpusim-bench-profiles.json: a Max 1550 tile with 8 CCS —
//             not a real SKU), each on its own CCS, each running K back-to-back `busy` kernels
//             (1 work-item, ~100 ms modelled). Times from the recorder's OpRecords (device timestamps).
//   baseline: the serial sum of the same kernels' durations (Σ end − start).
//   achieved concurrency = serial sum / makespan (first start → last end); target ≥ 0.95·N.
//   Median of 3 runs (1 in --quick).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDir, median, requireDist } from './lib.mjs';

export const meta = { id: 'overlap' };
const ITER = 40_000_000; // 4 cycles each at 1.6 GHz ≈ 100 ms (long, so that submit skew on a loaded host matters little)

export async function run({ quick, log }) {
  const reps = quick ? 1 : 3;
  const K = 2;
  process.env.XPUSIM_CONFIG = join(benchDir, 'xpusim-bench-profiles.json');
  const { xpu, configureDriver } = await import(pathToFileURL(requireDist('runtime/index.js')).href);
  configureDriver({ driver: 'sim', profile: 'max-1550,bench-8ccs' });
  const list = xpu.listDevices();
  const devIdx = (re) => list.devices.findIndex((d) => re.test(d.name));
  const benchDev = devIdx(/bench device/);
  if (benchDev < 0)
    throw new Error(`bench-8ccs profile not found among ${list.devices.map((d) => d.name).join('; ')}`);
  const cases = [
    { n: 4, device: 0, label: 'max-1550 tile 0 (4 CCS)' },
    { n: 8, device: benchDev, label: 'bench-8ccs (8 CCS, XPUSIM_CONFIG)' },
  ];
  const rows = [];
  const notes = [];
  for (const c of cases) {
    const ccs = xpu
      .getDeviceProperties(c.device)
      .engines.filter((g) => g.kind === 'compute')
      .reduce((a, g) => a + g.numQueues, 0);
    const streams = Array.from({ length: c.n }, () => new xpu.Stream({ device: c.device }));
    const engines = new Set(streams.map((s) => `${s.engine.ordinal}/${s.engine.index}`));
    const kern = xpu.kernels(c.device).busy;
    const out = xpu.alloc(4096, { kind: 'device', device: c.device });
    // warm-up: each stream's command list is created at its first use (≈10 ms here), kernel args prepared
    // and the recorder's timestamp event pools at the first recorded op
    xpu.setRecorder(() => {});
    for (const s of streams) s.launch(kern, { groups: 1, groupSize: 1, args: [out, { u32: 1000 }] });
    await xpu.synchronize(c.device);
    xpu.setRecorder(null);
    const conc = [];
    let serial = 0;
    let span = 0;
    for (let r = 0; r < reps; r++) {
      const ops = [];
      xpu.setRecorder((op) => {
        if (op.kind === 'kernel') ops.push(op);
      });
      for (let k = 0; k < K; k++)
        for (const s of streams) s.launch(kern, { groups: 1, groupSize: 1, args: [out, { u32: ITER }] });
      await xpu.synchronize(c.device);
      await new Promise((res) => setTimeout(res, 20));
      xpu.setRecorder(null);
      if (ops.length !== K * c.n) throw new Error(`expected ${K * c.n} kernel records, got ${ops.length}`);
      const sum = ops.reduce((a, o) => a + (o.endNs - o.startNs), 0);
      const mk = Math.max(...ops.map((o) => o.endNs)) - Math.min(...ops.map((o) => o.startNs));
      conc.push({ c: sum / mk, sum, mk });
      serial += sum / reps;
      span += mk / reps;
      const skew = Math.max(...ops.map((o) => o.submitNs)) - Math.min(...ops.map((o) => o.submitNs));
      log(
        `  N=${c.n} run ${r + 1}: serial ${(sum / 1e6).toFixed(1)} ms, makespan ${(mk / 1e6).toFixed(1)} ms, concurrency ${(sum / mk).toFixed(2)}, submit spread ${(skew / 1e6).toFixed(2)} ms`,
      );
    }
    out.free();
    const mc = median(conc.map((x) => x.c));
    const run = conc.find((x) => x.c === mc);
    rows.push({
      name: `N=${c.n} makespan vs serial sum (ratio = concurrency)`,
      measured: run.mk / 1e6,
      baseline: run.sum / 1e6,
      ratio: mc,
      target: `≥ ${(0.95 * c.n).toFixed(2)} (0.95·N)`,
      pass: mc >= 0.95 * c.n,
      unit: 'ms',
    });
    notes.push(
      `N=${c.n} on ${c.label}: ${ccs} compute queues, streams on ${engines.size} distinct engines; ${K} kernels/stream; mean serial sum ${(serial / 1e6).toFixed(1)} ms vs makespan ${(span / 1e6).toFixed(1)} ms`,
    );
  }
  return { rows, notes };
}
