// bench/cli.mjs — `cli`: cold start of `xpuscope devices --json`.
//   measured: wall time of a fresh `node bin/xpuscope.js devices --json` (shipped dist/host/cli.js,
//             simulated driver via XPUSCOPE_DRIVER=sim, default profile arc-a770) until it exits; its
//             output must parse as the `xpuscope.devices/1` JSON with ≥ 1 device.
//   baseline: wall time of `node -e 0` (bare node start-up), runs interleaved.
//   target:   ratio ≤ 3. Median of 7 runs (3 in --quick).
import { join } from 'node:path';
import { median, requireDist, root, runChild, simEnv } from './lib.mjs';

export const meta = { id: 'cli' };

export async function run({ quick, log }) {
  const reps = quick ? 3 : 7;
  requireDist('host/cli.js');
  const env = simEnv('arc-a770');
  const cli = [];
  const base = [];
  let devices = 0;
  for (let r = 0; r < reps + 1; r++) {
    const b = await runChild(process.execPath, ['-e', '0'], { env });
    const c = await runChild(process.execPath, [join(root, 'bin', 'xpuscope.js'), 'devices', '--json'], {
      env,
    });
    if (c.code !== 0) throw new Error(`xpuscope devices --json exited ${c.code}: ${c.stderr.slice(-400)}`);
    const j = JSON.parse(c.stdout);
    if (j.schema !== 'xpuscope.devices/1') throw new Error(`unexpected schema ${j.schema}`);
    devices = j.devices.length;
    if (r === 0) continue; // warm the page cache once
    base.push(b.wallMs);
    cli.push(c.wallMs);
    log(`  run ${r}: node -e 0 ${b.wallMs.toFixed(0)} ms, devices --json ${c.wallMs.toFixed(0)} ms`);
  }
  const m = median(cli);
  const b = median(base);
  return {
    rows: [
      {
        name: 'devices --json cold start',
        measured: m,
        baseline: b,
        ratio: m / b,
        target: '≤ 3',
        pass: m / b <= 3,
        unit: 'ms',
      },
    ],
    notes: [`${reps} runs each after one unmeasured warm-up pair; ${devices} simulated device(s) listed`],
    raw: { cliMs: cli, nodeMs: base },
  };
}
