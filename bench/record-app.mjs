// bench/record-app.mjs — `record-app`: what recording costs a launch-bound program.
//   measured: native/samples/launch_bound (4 immediate lists × N tiny kernels, a sync every 1000 ops —
//             the cost per launch dominates) run under `node bin/xpuscope.js record --driver sim`: the
//             collector injected, its tracer callbacks, harvester thread and ring, and xpuscope reading
//             the ring every 2 ms. Operations per second as the program itself measures them (first
//             append to last completion), and its process CPU time per operation (all threads).
//   baseline: the same program, same driver environment, not recorded; runs interleaved.
//   target:   recorded / not recorded ≥ 0.90 (ops/s); the added host CPU per operation is reported.
//             Median of 5 runs each (3 in --quick).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { median, NotRunnable, requireDist, root, simDriver } from './lib.mjs';

export const meta = { id: 'record-app' };

const SAMPLE = join(root, 'native', 'build', 'samples', 'launch_bound');
const COLLECTOR = join(root, 'native', 'build', 'libxpuscope_collector.so');

function parse(out, what) {
  const ops = /ops_per_sec=([\d.]+)/.exec(out);
  const cpu = /cpu_ns_per_op=([\d.]+)/.exec(out);
  if (!ops || !cpu) throw new Error(`${what}: launch_bound printed no ops_per_sec/cpu_ns_per_op:\n${out}`);
  return { opsPerSec: Number(ops[1]), cpuNsPerOp: Number(cpu[1]) };
}

export async function run({ quick, log }) {
  for (const f of [SAMPLE, COLLECTOR, simDriver])
    if (!existsSync(f)) throw new NotRunnable(`${f} is missing (make -C native)`);
  const bin = join(root, 'bin', 'xpuscope.js');
  requireDist('host/commands/record.js');
  const args = ['--lists', '4', '--ops', quick ? '5000' : '20000', '--sync-every', '1000'];
  const env = {
    ...process.env,
    ZE_ENABLE_ALT_DRIVERS: simDriver,
    XPUSIM_PROFILE: 'arc-a770',
    XPUSCOPE_DRIVER: '',
  };
  const reps = quick ? 3 : 5;
  const plain = () => {
    const r = spawnSync(SAMPLE, args, { encoding: 'utf8', env, timeout: 120_000 });
    if (r.status !== 0) throw new Error(`launch_bound failed (${r.status}): ${r.stderr}`);
    return parse(r.stdout, 'plain');
  };
  const recorded = () => {
    const r = spawnSync(
      process.execPath,
      [bin, 'record', '--driver', 'sim', '--profile', 'arc-a770', '--', SAMPLE, ...args],
      {
        encoding: 'utf8',
        env,
        timeout: 120_000,
      },
    );
    if (r.status !== 0) throw new Error(`xpuscope record launch_bound failed (${r.status}): ${r.stderr}`);
    const dropped = /(\d+) records dropped/.exec(r.stderr);
    return { ...parse(r.stdout, 'recorded'), dropped: dropped ? Number(dropped[1]) : 0, summary: r.stderr };
  };
  plain();
  recorded();
  const off = [];
  const on = [];
  for (let i = 0; i < reps; i++) {
    off.push(plain());
    on.push(recorded());
    log(
      `  run ${i + 1}: not recorded ${off[i].opsPerSec.toFixed(0)} ops/s (${off[i].cpuNsPerOp.toFixed(0)} ns CPU/op), recorded ${on[i].opsPerSec.toFixed(0)} ops/s (${on[i].cpuNsPerOp.toFixed(0)} ns CPU/op)`,
    );
  }
  const m = median(on.map((x) => x.opsPerSec));
  const b = median(off.map((x) => x.opsPerSec));
  const cpuOn = median(on.map((x) => x.cpuNsPerOp));
  const cpuOff = median(off.map((x) => x.cpuNsPerOp));
  const dropped = on.reduce((n, x) => n + x.dropped, 0);
  return {
    rows: [
      {
        name: 'ops/s recorded vs not (launch-bound program)',
        measured: m,
        baseline: b,
        ratio: m / b,
        target: '≥ 0.90',
        pass: m / b >= 0.9,
        unit: 'ops/s',
      },
      {
        name: 'added host CPU per operation',
        measured: cpuOn - cpuOff,
        baseline: cpuOff,
        ratio: cpuOn / cpuOff,
        target: '(report)',
        pass: null,
        unit: 'ns',
      },
    ],
    notes: [
      `launch_bound ${args.join(' ')} on the simulated arc-a770 (one compute engine: the four lists share it), ${reps} interleaved runs each; CPU is the program process's (every thread, the simulated driver's engine thread included: it spins for short waits), measured by the program over its own timed window; records dropped over the recorded runs: ${dropped}`,
    ],
    raw: { recorded: on.map(({ summary: _s, ...x }) => x), plain: off },
  };
}
