import { expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { generateSyntheticTrace, importTrace } from '../../../runtime/trace/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

it('imports a ~20 MB trace with bounded memory (live heap far below the file size)', async () => {
  const path = join(dir, 'big.json');
  const g = generateSyntheticTrace(path, 20_000_000, { writer: { counterIntervalNs: 0 } });
  const size = statSync(path).size;
  expect(size).toBeGreaterThanOrEqual(20_000_000);
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0,
    n = 0,
    calls = 0;
  const r = await importTrace(path, {
    chunkSize: 256 * 1024,
    onRecords: (b) => {
      n += b.length;
      if (++calls % 5 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    },
  });
  expect(n).toBe(g.records);
  expect(r.summary.spans).toBe(g.records);
  expect(r.summary.edges).toBe(g.edges);
  expect(calls).toBeGreaterThan(10);
  // Live memory while importing: the parser's chunk, one batch of records and the writer-side maps.
  expect(peak).toBeLessThan(size / 4);
  console.log(
    `20 MB import: file ${(size / 1e6).toFixed(1)} MB, ${n} records, peak live heap delta ${(peak / 1e6).toFixed(2)} MB`,
  );
}, 30_000);
