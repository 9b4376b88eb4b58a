#!/usr/bin/env node
// `npm run bench [-- [--quick] [--update-readme] [--json] [name ...]]`: xpuscope's benchmark suite
// (issue 7). Each benchmark is a module in bench/ (submit, sync, record, render, ingest, export,
// bigtrace, cli, overlap) that measures its own baseline in the same run, repeats and reports medians.
// Every benchmark runs in its own child process (the Level Zero loader reads its environment once per
// process). Prints a table, writes bench/results/latest.json, and with --update-readme rewrites the
// table between <!-- bench:start --> and <!-- bench:end --> in README.md (only that text).
// Exit code: 0 when every benchmark ran (targets missed or not: this is a report), 1 when one could not
// run, 2 on a usage error.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDir, fmt, NotRunnable, resultsDir, root, runChild } from './lib.mjs';
import { updateReadme } from './readme.mjs';

export const BENCHMARKS = [
  'submit',
  'sync',
  'record',
  'render',
  'ingest',
  'export',
  'bigtrace',
  'cli',
  'overlap',
  'record-app',
  'record-live',
];
/**
 * The order a full run uses: `submit` last. Its minute of thousands of sleeps and wake-ups per second
 * (12 s of system time in 54 s) was followed by minutes in which `sync` and `ingest` measured far worse
 * than on their own, even 30 s later (bench/NOTES.md, 20:43–20:56); the table keeps BENCHMARKS' order.
 */
const RUN_ORDER = [...BENCHMARKS.filter((b) => b !== 'submit'), 'submit'];

async function childMain(id, quick) {
  const mod = await import(pathToFileURL(join(benchDir, `${id}.mjs`)).href);
  const log = (line) => process.stderr.write(line + '\n');
  let out;
  try {
    out = await mod.run({ quick, log });
  } catch (e) {
    out = { error: e instanceof NotRunnable ? `not runnable: ${e.message}` : `failed: ${e?.stack ?? e}` };
  }
  process.stdout.write('\n' + JSON.stringify(out) + '\n');
  // runtime worker threads / sockets must not keep the child alive
  process.exit(0);
}

function usage(msg) {
  if (msg) console.error(msg);
  console.error(
    `usage: npm run bench -- [--quick] [--update-readme] [--json] [--settle S] [${BENCHMARKS.join('|')} ...]`,
  );
  process.exit(2);
}

function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function formatTable(results) {
  const head = ['benchmark', 'measured', 'baseline', 'ratio', 'target', 'result'];
  const rows = [];
  for (const r of results) {
    if (r.error) {
      rows.push([r.id, '—', '—', '—', '—', r.error.split('\n')[0]]);
      continue;
    }
    for (const x of r.rows) {
      const unit = x.unit ? ` ${x.unit}` : '';
      rows.push([
        `${r.id}: ${x.name}`,
        x.measured === null || x.measured === undefined ? '—' : `${fmt(x.measured)}${unit}`,
        x.baseline === null || x.baseline === undefined ? '—' : `${fmt(x.baseline)}${unit}`,
        x.ratio === null || x.ratio === undefined ? '—' : fmt(x.ratio),
        x.target,
        x.pass === null || x.pass === undefined ? 'n/a' : x.pass ? 'PASS' : 'FAIL',
      ]);
    }
  }
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => pad(c, w[i]))
      .join('  ')
      .trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  const ci = argv.indexOf('--child');
  if (ci >= 0) return childMain(argv[ci + 1], argv.includes('--quick'));
  const quick = argv.includes('--quick');
  const updateReadmeFlag = argv.includes('--update-readme');
  const jsonOut = argv.includes('--json');
  // --settle S: seconds of idle between benchmarks (default 30; 0 = none). On the 2-CPU VM a minute of
  // both CPUs busy (submit) was followed by ~30 s in which the VM got less CPU from its host, with
  // nothing running inside it: `ingest` right after `submit` stalled (212 000 spans/s, delivery stuck),
  // 30 s later it passed (539 000) — bench/NOTES.md, 20:43–20:45. One benchmark's load must not be
  // measured by the next.
  const si = argv.indexOf('--settle');
  const settle = si >= 0 ? Number(argv[si + 1]) : 30;
  if (!(settle >= 0)) usage('--settle needs a number of seconds');
  const names = argv.filter((a, i) => !a.startsWith('--') && !(si >= 0 && i === si + 1));
  for (const a of argv)
    if (a.startsWith('--') && !['--quick', '--update-readme', '--json', '--settle'].includes(a))
      usage(`unknown option ${a}`);
  for (const n of names) if (!BENCHMARKS.includes(n)) usage(`unknown benchmark ${n}`);
  const ids = names.length ? names : RUN_ORDER;

  const started = new Date();
  const load0 = loadavg();
  console.log(
    `xpuscope benchmarks${quick ? ' (--quick)' : ''}: ${ids.join(', ')} — ${cpus().length} CPUs, load ${load0.map((x) => x.toFixed(1)).join(' ')}, node ${process.version}, ${settle} s idle between benchmarks`,
  );
  const results = [];
  for (const id of ids) {
    if (results.length > 0 && settle > 0) await new Promise((r) => setTimeout(r, settle * 1000));
    const t0 = Date.now();
    process.stdout.write(`▶ ${id} … `);
    const res = await runChild(
      process.execPath,
      [join(benchDir, 'run.mjs'), '--child', id, ...(quick ? ['--quick'] : [])],
      {
        timeoutMs: 20 * 60_000,
        cwd: root,
      },
    );
    let out;
    try {
      const lines = res.stdout.trim().split('\n');
      out = JSON.parse(lines[lines.length - 1]);
    } catch {
      out = {
        error: `failed: child exited ${res.code}${res.signal ? ` (${res.signal})` : ''}: ${res.stderr.trim().slice(-500)}`,
      };
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(out.error ? `${out.error.split('\n')[0]} (${secs} s)` : `done (${secs} s)`);
    if ((process.env.BENCH_VERBOSE || out.error?.startsWith('failed')) && res.stderr.trim())
      console.log(res.stderr.trimEnd().replace(/^/gm, '    '));
    for (const n of out.notes ?? []) console.log(`    note: ${n}`);
    results.push({ id, ...out, seconds: Number(secs) });
  }
  results.sort((a, b) => BENCHMARKS.indexOf(a.id) - BENCHMARKS.indexOf(b.id));
  const table = formatTable(results);
  console.log('\n' + table);
  const load1 = loadavg();
  console.log(
    `\nload average at the end: ${load1.map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`,
  );

  mkdirSync(resultsDir, { recursive: true });
  const report = {
    schema: 'xpuscope.bench/1',
    date: started.toISOString(),
    quick,
    node: process.version,
    cpus: cpus().length,
    settleSeconds: settle,
    loadavg: { start: load0, end: load1 },
    results,
  };
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`wrote bench/results/latest.json`);
  if (jsonOut) console.log(JSON.stringify(report));
  if (updateReadmeFlag) console.log(updateReadme(join(root, 'README.md'), results, report));
  const broken = results.filter((r) => r.error);
  process.exit(broken.length ? 1 : 0);
}

await main();
