// bench/record.mjs — `record`: throughput cost of the profiling recorder.
//   measured: operations per second for a batch of `stream.fill(buf, 0, 64)` on 4 streams followed by
//             `await xpu.synchronize()` (submit + completion + record delivery) with a recorder attached
//             (a function receiving every OpRecord) — through the shipped JS and the simulated driver.
//   baseline: the same batch with the recorder detached (plain pooled events, no clock reads), same
//             process, runs interleaved (detached, attached, detached, …).
//   target:   attached / detached ≥ 0.90. Median of 5 runs each (3 in --quick).
import { pathToFileURL } from 'node:url';
import { median, requireDist } from './lib.mjs';

export const meta = { id: 'record', profile: 'max-1550' };

export async function run({ quick, log }) {
  const ops = quick ? 2_000 : 10_000;
  const reps = quick ? 3 : 5;
  const { xpu, configureDriver } = await import(pathToFileURL(requireDist('runtime/index.js')).href);
  configureDriver({ driver: 'sim', profile: meta.profile });
  const streams = [0, 1, 2, 3].map(() => new xpu.Stream({ device: 0 }));
  const buf = xpu.alloc(4096, { kind: 'device' });
  let records = 0;
  const recorder = () => records++;
  async function batch(attached) {
    xpu.setRecorder(attached ? recorder : null);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) streams[i & 3].fill(buf, 0, 64);
    await xpu.synchronize(0);
    const t1 = process.hrtime.bigint();
    xpu.setRecorder(null);
    return ops / (Number(t1 - t0) / 1e9);
  }
  await batch(false);
  await batch(true);
  const on = [];
  const off = [];
  records = 0;
  for (let r = 0; r < reps; r++) {
    off.push(await batch(false));
    on.push(await batch(true));
    log(`  run ${r + 1}: detached ${off[r].toFixed(0)} ops/s, attached ${on[r].toFixed(0)} ops/s`);
  }
  buf.free();
  const m = median(on);
  const b = median(off);
  return {
    rows: [
      {
        name: 'ops/s recorder attached',
        measured: m,
        baseline: b,
        ratio: m / b,
        target: '≥ 0.90',
        pass: m / b >= 0.9,
        unit: 'ops/s',
      },
    ],
    notes: [
      `${ops} fills on 4 streams × ${reps} runs each, profile ${meta.profile} tile 0; ${records} records delivered (expected ${ops * reps})`,
    ],
    raw: { attached: on, detached: off, records },
  };
}
