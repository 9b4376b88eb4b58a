// bench/export.mjs — `export`: Chrome-trace JSON export and import of 1,000,000 spans.
//   measured: (a) export: `ChromeTraceWriter` (dist/runtime/trace) writing 1 M synthetic OpRecords
//             (16 streams on 2 devices, kernels/copies, ~1 dependency edge per 8 ops) to a file, in
//             batches of 10 000 as a live capture does; spans/s.
//             (b) import: what the product does with a trace file (host/service.ts `trace.import`, and
//             `xpuscope trace`): `importTrace(file, { onRecords })` streaming batches into a `Timeline`
//             (columnar, the service's capacities), in a fresh child process; spans/s and the child's
//             peak RSS (VmHWM). Checked: the Timeline holds every span and edge. For reference (notes
//             only, first run): `importTrace(file)` returning all 1 M records as objects, a path no
//             product code uses.
//   baseline: (a) `JSON.stringify` of the same trace (the parsed file's object) + writeFileSync;
//             (b) readFileSync + `JSON.parse` of the same file, in a fresh child process.
//   target:   export ≥ 1× and import ≥ 1× the baseline's throughput; import peak RSS ≤ 2× file size.
//   Median of 3 runs (1 in --quick; --quick uses 200 000 spans).
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, requireDist, resultsDir, runNodeJson } from './lib.mjs';

export const meta = { id: 'export' };
const self = fileURLToPath(import.meta.url);

/** Deterministic synthetic OpRecords: 16 streams × 2 devices, back-to-back per stream. */
export function makeRecords(n) {
  const recs = new Array(n);
  const lanes = 16;
  const t = new Float64Array(lanes).fill(1_000_000_000);
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const names = ['gemm_kernel', 'softmax', 'layernorm', 'copy H2D', 'copy D2H', 'fill'];
  for (let i = 0; i < n; i++) {
    const l = i % lanes;
    const copy = l >= 12;
    const dur = Math.round(1_000 + rnd() * 19_000);
    const start = t[l] + Math.round(rnd() * 2_000);
    const nameIx = copy ? 3 + (i % 3) : i % 3;
    recs[i] = {
      id: i + 1,
      device: l & 1,
      stream: 17 + 16 * (l >> 1),
      engine: copy ? { ordinal: 1, index: 0, kind: 'copy' } : { ordinal: 0, index: l % 4, kind: 'compute' },
      kind: copy ? (nameIx === 5 ? 'fill' : 'copy') : 'kernel',
      name: names[nameIx],
      bytes: copy ? 1 << 20 : 0,
      submitNs: start - 500,
      startNs: start,
      endNs: start + dur,
      deps: i % 8 === 0 && i > lanes ? [i - lanes + 1] : [],
    };
    t[l] = start + dur;
  }
  return recs;
}

async function importChild(file, mode) {
  const t0 = process.hrtime.bigint();
  let spans;
  if (mode === 'xpuscope') {
    // Exactly the service's import (host/service.ts, trace.import).
    const { importTrace } = await import(pathToFileURL(requireDist('runtime/trace/import.js')).href);
    const { Timeline } = await import(pathToFileURL(requireDist('runtime/timeline/index.js')).href);
    const tl = new Timeline({ laneCapacity: 1 << 20, edgeCapacity: 1 << 22 });
    const r = await importTrace(file, { onRecords: (batch) => tl.append(batch) });
    spans = r.summary.spans;
    if (tl.size !== spans || tl.dropped !== 0 || tl.edgeCount !== r.summary.edges)
      throw new Error(
        `timeline holds ${tl.size} ops / ${tl.edgeCount} edges of ${spans} / ${r.summary.edges}`,
      );
  } else if (mode === 'records') {
    const { importTrace } = await import(pathToFileURL(requireDist('runtime/trace/import.js')).href);
    const r = await importTrace(file);
    spans = r.records.length;
  } else {
    const obj = JSON.parse(readFileSync(file, 'utf8'));
    spans = obj.traceEvents.filter((e) => e.ph === 'X').length;
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(JSON.stringify({ ms, spans, maxRssKiB: process.resourceUsage().maxRSS }));
}

export async function run({ quick, log }) {
  const n = quick ? 200_000 : 1_000_000;
  const reps = quick ? 1 : 3;
  const { ChromeTraceWriter } = await import(pathToFileURL(requireDist('runtime/trace/export.js')).href);
  const file = join(resultsDir, 'export-bench.json');
  const baseFile = join(resultsDir, 'export-bench-stringify.json');
  const records = makeRecords(n);
  const ex = [],
    exB = [],
    im = [],
    imB = [];
  let size = 0,
    peak = 0,
    peakB = 0,
    held;
  try {
    for (let r = 0; r < reps; r++) {
      let t0 = process.hrtime.bigint();
      const w = ChromeTraceWriter.open(file, {
        baseNs: 1_000_000_000,
        deviceNames: { 0: 'GPU0 bench', 1: 'GPU1 bench' },
      });
      for (let i = 0; i < n; i += 10_000) w.write(records.slice(i, i + 10_000));
      w.close();
      const exMs = Number(process.hrtime.bigint() - t0) / 1e6;
      size = statSync(file).size;
      // baseline: the same trace as a JS object, stringified and written
      const obj = JSON.parse(readFileSync(file, 'utf8'));
      t0 = process.hrtime.bigint();
      writeFileSync(baseFile, JSON.stringify(obj));
      const exBMs = Number(process.hrtime.bigint() - t0) / 1e6;
      ex.push(n / (exMs / 1000));
      exB.push(n / (exBMs / 1000));
      const a = await runNodeJson(self, ['--import-child', file, 'xpuscope']);
      const b = await runNodeJson(self, ['--import-child', file, 'json']);
      if (r === 0) held = await runNodeJson(self, ['--import-child', file, 'records']);
      if (a.spans !== n) throw new Error(`import returned ${a.spans} spans, expected ${n}`);
      if (b.spans !== n) throw new Error(`JSON.parse found ${b.spans} X events, expected ${n}`);
      im.push(n / (a.ms / 1000));
      imB.push(n / (b.ms / 1000));
      peak = Math.max(peak, a.maxRssKiB * 1024);
      peakB = Math.max(peakB, b.maxRssKiB * 1024);
      log(
        `  run ${r + 1}: export ${exMs.toFixed(0)} ms vs stringify ${exBMs.toFixed(0)} ms; import ${a.ms.toFixed(0)} ms vs parse ${b.ms.toFixed(0)} ms; import peak ${(a.maxRssKiB / 1024).toFixed(0)} MiB, file ${(size / 1048576).toFixed(0)} MiB`,
      );
    }
  } finally {
    rmSync(file, { force: true });
    rmSync(baseFile, { force: true });
  }
  const e = median(ex),
    eb = median(exB),
    i = median(im),
    ib = median(imB);
  return {
    rows: [
      {
        name: 'export spans/s (vs JSON.stringify)',
        measured: e,
        baseline: eb,
        ratio: e / eb,
        target: '≥ 1',
        pass: e / eb >= 1,
        unit: 'spans/s',
      },
      {
        name: 'import spans/s (vs JSON.parse)',
        measured: i,
        baseline: ib,
        ratio: i / ib,
        target: '≥ 1',
        pass: i / ib >= 1,
        unit: 'spans/s',
      },
      {
        name: 'import peak RSS / file size',
        measured: peak / 1048576,
        baseline: size / 1048576,
        ratio: peak / size,
        target: '≤ 2',
        pass: peak / size <= 2,
        unit: 'MiB',
      },
    ],
    notes: [
      `${n} spans, file ${(size / 1048576).toFixed(1)} MiB; JSON.parse child peak RSS ${(peakB / 1048576).toFixed(0)} MiB; import = importTrace(file, {onRecords}) into a Timeline, as host/service.ts does`,
      `reference, not a product path: importTrace(file) returning all ${held.spans} records: ${(n / (held.ms / 1000)).toFixed(0)} spans/s, peak RSS ${(held.maxRssKiB / 1024).toFixed(0)} MiB (${((held.maxRssKiB * 1024) / size).toFixed(2)}× the file)`,
    ],
  };
}

if (process.argv[2] === '--import-child') await importChild(process.argv[3], process.argv[4]);
