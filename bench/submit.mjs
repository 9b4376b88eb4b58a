// bench/submit.mjs — `submit`: cost per operation submitted through a Stream.
//   measured: µs per op for a loop of `stream.fill(buf, 0, 64)` with a recorder attached (so every op is
//             an append + a KERNEL_TIMESTAMP event + zeDeviceGetGlobalTimestamps), through the shipped JS
//             (dist/runtime) → koffi → libze_loader → libze_xpusim (profile arc-a770). Submission loop
//             time only (the final synchronize is not counted).
//   baseline: bench/ze_bench.c `submit N` — the same Level Zero call sequence from C, same loader and
//             driver, in a fresh process per run.
//   target:   ratio JS / C ≤ 1.25. Median of 5 runs (3 in --quick), C and JS runs interleaved.
import { pathToFileURL } from 'node:url';
import { lastJson, median, requireDist, runChild, simEnv, zeBench } from './lib.mjs';

export const meta = { id: 'submit', profile: 'arc-a770' };

export async function run({ quick, log }) {
  const ops = quick ? 2_000 : 10_000;
  const reps = quick ? 3 : 5;
  const bin = zeBench();
  const env = simEnv(meta.profile);
  Object.assign(process.env, { XPUSIM_PROFILE: meta.profile });
  const { xpu, configureDriver } = await import(pathToFileURL(requireDist('runtime/index.js')).href);
  configureDriver({ driver: 'sim', profile: meta.profile });
  const s = new xpu.Stream({ device: 0 });
  const buf = xpu.alloc(4096, { kind: 'device' });
  let delivered = 0;
  xpu.setRecorder(() => delivered++);
  // warm-up: pools, command list, JIT
  for (let i = 0; i < 500; i++) s.fill(buf, 0, 64);
  await s.synchronize();

  const js = [];
  const c = [];
  for (let r = 0; r < reps; r++) {
    const res = await runChild(bin, ['submit', String(ops)], { env });
    const cj = lastJson(res, 'ze_bench submit');
    c.push(cj.submitNs / ops / 1000);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) s.fill(buf, 0, 64);
    const t1 = process.hrtime.bigint();
    await s.synchronize();
    js.push(Number(t1 - t0) / ops / 1000);
    log(`  run ${r + 1}: js ${js[r].toFixed(2)} µs/op, C ${c[r].toFixed(2)} µs/op`);
  }
  // let the recorder sweep deliver the last records
  await new Promise((res) => setTimeout(res, 50));
  xpu.setRecorder(null);
  buf.free();
  const m = median(js);
  const b = median(c);
  return {
    rows: [
      {
        name: 'submit µs/op (JS vs C)',
        measured: m,
        baseline: b,
        ratio: m / b,
        target: '≤ 1.25',
        pass: m / b <= 1.25,
        unit: 'µs',
      },
    ],
    notes: [
      `${ops} fills × ${reps} runs, recorder attached (${delivered} records delivered), profile ${meta.profile}`,
    ],
    raw: { jsUsPerOp: js, cUsPerOp: c },
  };
}
