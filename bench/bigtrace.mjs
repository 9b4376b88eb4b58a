// bench/bigtrace.mjs — `bigtrace`: import of a 1 GB Chrome JSON trace.
//   measured: `importTrace(file, { onRecords })` (dist/runtime/trace, streaming) of a file made by
//             `generateSyntheticTrace(file, 1 GiB)` (xpuscope format, deterministic), in a fresh child
//             process: it must complete with every generated span and edge accounted for; wall time, MB/s and
//             the child's peak RSS (VmHWM / maxRSS).
//   baseline: none (a whole-file `JSON.parse` cannot run: the file is larger than V8's string limit —
//             checked in the same run: `readFileSync(file, 'utf8')` in a child must fail with
//             ERR_STRING_TOO_LONG).
//   target:   completes, peak RSS ≤ 2 GB.
//   The generated file is kept in bench/results/ (git-ignored) and reused while its size matches.
//   --quick: a 128 MiB file and no string-limit check.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { requireDist, resultsDir, runChild, runNodeJson } from './lib.mjs';

export const meta = { id: 'bigtrace' };
const self = fileURLToPath(import.meta.url);

async function importChild(file) {
  const { importTrace } = await import(pathToFileURL(requireDist('runtime/trace/import.js')).href);
  const t0 = process.hrtime.bigint();
  let spans = 0;
  let edges = 0;
  const r = await importTrace(file, {
    onRecords: (batch) => {
      spans += batch.length;
      for (const op of batch) edges += op.deps.length;
    },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    JSON.stringify({
      ms,
      spans,
      edges,
      truncated: r.summary.truncated,
      maxRssKiB: process.resourceUsage().maxRSS,
    }),
  );
}

export async function run({ quick, log }) {
  const target = quick ? 128 * 1048576 : 1024 * 1048576;
  const { generateSyntheticTrace } = await import(
    pathToFileURL(requireDist('runtime/trace/synthetic.js')).href
  );
  const file = join(resultsDir, `bigtrace-${target / 1048576}MiB.json`);
  const metaFile = file + '.meta.json';
  let gen;
  if (existsSync(file) && existsSync(metaFile)) {
    gen = JSON.parse(readFileSync(metaFile, 'utf8'));
    if (statSync(file).size !== gen.bytes) gen = undefined;
  }
  if (!gen) {
    const t0 = Date.now();
    gen = generateSyntheticTrace(file, target, { format: 'xpuscope' });
    writeFileSync(metaFile, JSON.stringify(gen));
    log(
      `  generated ${(gen.bytes / 1048576).toFixed(0)} MiB (${gen.records} spans, ${gen.edges} edges) in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  } else log(`  reusing ${file} (${gen.records} spans)`);
  const notes = [];
  if (!quick) {
    const s = await runChild(process.execPath, [
      '-e',
      `try { require('fs').readFileSync(${JSON.stringify(file)}, 'utf8'); console.log('ok') } catch (e) { console.log(e.code || e.message) }`,
    ]);
    notes.push(
      `whole-file readFileSync(utf8) of the same file: ${s.stdout.trim() || s.stderr.trim().slice(-200)}`,
    );
  }
  const a = await runNodeJson(self, ['--import-child', file], { timeoutMs: 15 * 60_000 });
  const ok = a.spans === gen.records && a.edges === gen.edges && !a.truncated;
  const peak = a.maxRssKiB * 1024;
  log(
    `  import ${(a.ms / 1000).toFixed(1)} s, ${a.spans} spans, ${a.edges} edges, peak ${(peak / 1048576).toFixed(0)} MiB`,
  );
  notes.unshift(
    `${(gen.bytes / 1048576).toFixed(0)} MiB file, ${gen.records} spans / ${gen.edges} edges generated, ${a.spans} / ${a.edges} imported${a.truncated ? ' (TRUNCATED)' : ''}; ${(a.ms / 1000).toFixed(1)} s = ${(gen.bytes / 1048576 / (a.ms / 1000)).toFixed(1)} MiB/s`,
  );
  return {
    rows: [
      {
        name: `import ${(gen.bytes / 1048576).toFixed(0)} MiB: completes, every span`,
        measured: a.ms / 1000,
        baseline: null,
        ratio: null,
        target: 'completes',
        pass: ok,
        unit: 's',
      },
      {
        name: 'import peak RSS',
        measured: peak / 1048576,
        baseline: null,
        ratio: null,
        target: '≤ 2048 MiB',
        pass: peak <= 2 * 1024 ** 3,
        unit: 'MiB',
      },
    ],
    notes,
  };
}

if (process.argv[2] === '--import-child') await importChild(process.argv[3]);
