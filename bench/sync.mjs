// bench/sync.mjs — `sync`: wake-up latency of `await stream.synchronize()`.
//   measured: for each of K busy kernels (1 work-item, ~1.9 ms modelled on arc-a770) launched on a Stream
//             with a recorder attached: CLOCK_MONOTONIC_RAW read (koffi → clock_gettime) right after
//             `await stream.synchronize()` resolves, minus the kernel's end time (the recorder's endNs, the
//             kernel end timestamp converted to host ns). p50 and p99 over K (first one = warm-up, dropped).
//   baseline: bench/ze_bench.c `sync` — the same launch and timestamp event, zeEventHostSynchronize, the
//             same clock and conversion, in C (same loader and driver).
//   target:   p50 ratio ≤ 2 (p99 is reported, no target).
import { pathToFileURL } from 'node:url';
import { lastJson, percentile, rawNowFn, requireDist, runChild, simEnv, spv, zeBench } from './lib.mjs';

export const meta = { id: 'sync', profile: 'arc-a770' };
const ITER = 1_000_000; // busy iterations: 4 cycles each at 2.1 GHz ≈ 1.9 ms modelled (host cost is tiny)

export async function run({ quick, log }) {
  const k = quick ? 30 : 200;
  const iter = ITER;
  const bin = zeBench();
  const env = simEnv(meta.profile);
  const res = await runChild(bin, ['sync', String(k + 1), String(iter), spv], { env });
  const c = lastJson(res, 'ze_bench sync')
    .latNs.slice(1)
    .map((x) => x / 1000);

  const now = await rawNowFn();
  const { xpu, configureDriver } = await import(pathToFileURL(requireDist('runtime/index.js')).href);
  const { blockingWaitStats: blocking } = await import(
    pathToFileURL(requireDist('runtime/device-runtime.js')).href
  );
  configureDriver({ driver: 'sim', profile: meta.profile });
  const s = new xpu.Stream({ device: 0 });
  const kern = xpu.kernels(0).busy;
  const out = xpu.alloc(4096, { kind: 'device' });
  let last;
  xpu.setRecorder((op) => {
    if (op.kind === 'kernel') last = op;
  });
  const js = [];
  for (let i = 0; i <= k; i++) {
    last = null;
    s.launch(kern, { groups: 1, groupSize: 1, args: [out, { u32: iter }] });
    await s.synchronize();
    const woke = now();
    if (!last)
      throw new Error('the recorder did not deliver the kernel record by the time synchronize() resolved');
    if (i > 0) js.push((woke - last.endNs) / 1000);
  }
  xpu.setRecorder(null);
  out.free();
  const p = (xs, q) => percentile(xs, q);
  log(
    `  js p50 ${p(js, 50).toFixed(1)} µs p99 ${p(js, 99).toFixed(1)}; C p50 ${p(c, 50).toFixed(1)} p99 ${p(c, 99).toFixed(1)}`,
  );
  return {
    rows: [
      {
        name: 'wake-up p50',
        measured: p(js, 50),
        baseline: p(c, 50),
        ratio: p(js, 50) / p(c, 50),
        target: '≤ 2',
        pass: p(js, 50) / p(c, 50) <= 2,
        unit: 'µs',
      },
      {
        name: 'wake-up p99',
        measured: p(js, 99),
        baseline: p(c, 99),
        ratio: p(js, 99) / p(c, 99),
        target: '(report)',
        pass: null,
        unit: 'µs',
      },
    ],
    notes: [
      `${k} busy kernels each (C and JS), profile ${meta.profile}, wait strategy ${xpu.waitStrategy()}` +
        (xpu.waitStrategy() === 'auto' ? ` (block budget ${xpu.waitBlockUs?.() ?? '?'} µs)` : ''),
      // the event-loop cost of 'auto': synchronous waits on the JS thread (blockingWaitStats)
      blocking
        ? `event loop blocked by waits: ${blocking.waits} times (${blocking.woken} woke on completion), ` +
          `mean ${(blocking.blockedUs / Math.max(1, blocking.waits)).toFixed(0)} µs, max ${blocking.maxBlockedUs.toFixed(0)} µs`
        : 'event loop never blocked (runtime without blocking waits)',
    ],
    raw: { jsUs: js, cUs: c },
  };
}
