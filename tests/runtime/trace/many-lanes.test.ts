// Issue 21, finding 1: a trace of many tiny lanes (one thread per event) must not make the reader hold
// lanes × capacity. A lane's storage grows with what it holds, and the import refuses more than
// maxLanes (4096 by default) lanes with TraceLimitError — memory proportional to the file either way.
import { openSync, closeSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../../runtime/timeline/index.js';
import {
  DEFAULT_MAX_LANES,
  TraceLimitError,
  generateSyntheticTrace,
  importTrace,
} from '../../../runtime/trace/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** A Kineto-style (or unitrace-style) trace with `lanes` distinct threads, `perLane` kernels each. */
function manyLanes(
  path: string,
  lanes: number,
  perLane = 1,
  format: 'kineto' | 'unitrace' = 'kineto',
): number {
  const fd = openSync(path, 'w');
  let buf = format === 'kineto' ? '{"schemaVersion":1,"traceEvents":[\n' : '{"traceEvents":[\n';
  let ts = 1000,
    first = true;
  for (let e = 0; e < perLane; e++)
    for (let t = 1; t <= lanes; t++) {
      const ev =
        format === 'kineto'
          ? `{"ph":"X","cat":"kernel","name":"k${t % 7}","pid":0,"tid":${t},"ts":${ts}.125,"dur":3.5,"args":{"device":0,"stream":${t}}}`
          : `{"ph":"X","cat":"gpu_op","name":"k${t % 7}","pid":1,"tid":${t},"ts":${ts}.125,"dur":3.5,"args":{"id":${ts}}}`;
      buf += (first ? '' : ',\n') + ev;
      first = false;
      ts++;
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
      }
    }
  writeSync(fd, buf + '\n]}\n');
  closeSync(fd);
  return statSync(path).size;
}

/** Imports as the service does (into a Timeline of its capacities), sampling memory per batch. */
async function importLikeTheService(path: string, maxLanes?: number) {
  gc();
  const base = process.memoryUsage();
  let peakRss = 0;
  const tl = new Timeline({ laneCapacity: 1 << 20, edgeCapacity: 1 << 22 });
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss - base.rss);
  };
  let error: unknown;
  try {
    await importTrace(path, {
      ...(maxLanes !== undefined ? { maxLanes } : {}),
      onRecords: (b) => {
        tl.append(b);
        sample();
      },
    });
  } catch (e) {
    error = e;
  }
  sample();
  gc();
  const now = process.memoryUsage();
  const retained = now.heapUsed + now.arrayBuffers - (base.heapUsed + base.arrayBuffers);
  return { tl, error, peakRss, retained };
}

describe('traces with many lanes', () => {
  it('50 000 distinct threads: refused past 4096 lanes with the limit in the message, memory bounded', async () => {
    for (const format of ['kineto', 'unitrace'] as const) {
      const path = join(dir, `lanes-${format}.json`);
      const size = manyLanes(path, 50_000, 1, format);
      const r = await importLikeTheService(path);
      expect(r.error, format).toBeInstanceOf(TraceLimitError);
      expect((r.error as Error).message).toMatch(
        /more than 4096 lanes \(distinct device, stream and engine\): lane 4097 \(device \d+, stream 4097\)/,
      );
      expect(r.tl.lanes().length).toBeLessThanOrEqual(DEFAULT_MAX_LANES);
      // a memory bound, not a timing: the process grew by less than 20× the file (was ~150×)
      expect(r.peakRss, `${format}: peak RSS delta for a ${size}-byte file`).toBeLessThan(20 * size);
      expect(r.retained, `${format}: retained heap + array buffers`).toBeLessThan(20 * size);
      console.log(
        `${format}, 50 000 lanes, ${(size / 1e6).toFixed(1)} MB: refused; peak RSS delta ${(r.peakRss / 1e6).toFixed(1)} MB`,
      );
    }
  }, 60_000);

  it('a lane holds storage for what it holds, not its capacity', () => {
    const tl = new Timeline({ laneCapacity: 1 << 20, edgeCapacity: 1 << 22 });
    const engine = { ordinal: 0, index: 0, kind: 'compute' as const };
    for (let s = 0; s < 50_000; s++)
      tl.push({
        id: s + 1,
        device: 0,
        stream: s,
        engine,
        kind: 'kernel',
        name: 'k',
        bytes: 0,
        submitNs: s,
        startNs: s,
        endNs: s + 1,
        deps: [],
      });
    expect(tl.lanes()).toHaveLength(50_000);
    // 4 slots × 49 bytes per one-op lane (was 256 slots: 12.5 KB per lane, 627 MB here).
    expect(tl.storageBytes).toBeLessThan(50_000 * 256);
    // a lane still grows to its capacity and then drops the oldest
    const small = new Timeline({ laneCapacity: 100 });
    const one = tl.laneColumns(0);
    expect(one.count).toBe(1);
    for (let i = 0; i < 250; i++)
      small.push({
        id: i + 1,
        device: 0,
        stream: 0,
        engine,
        kind: 'kernel',
        name: 'k',
        bytes: 0,
        submitNs: i,
        startNs: i,
        endNs: i + 1,
        deps: [],
      });
    expect(small.size).toBe(100);
    expect(small.dropped).toBe(150);
    expect(Array.from(small.laneColumns(0).id.slice(0, 3))).toEqual([151, 152, 153]);
    expect(small.storageBytes).toBeLessThanOrEqual(128 * 49 + 4 * 16);
  });

  it('with the limit lifted the same file imports, memory proportional to its content', async () => {
    const path = join(dir, 'lanes-unlimited.json');
    const size = manyLanes(path, 50_000);
    const r = await importLikeTheService(path, Infinity);
    expect(r.error).toBeUndefined();
    expect(r.tl.lanes()).toHaveLength(50_000);
    expect(r.tl.size).toBe(50_000);
    expect(r.tl.storageBytes).toBeLessThan(50_000 * 256 + (1 << 20));
    expect(r.retained, `retained heap + array buffers for a ${size}-byte file`).toBeLessThan(20 * size);
    console.log(
      `50 000 lanes unlimited, ${(size / 1e6).toFixed(1)} MB: retained ${(r.retained / 1e6).toFixed(1)} MB, peak RSS delta ${(r.peakRss / 1e6).toFixed(1)} MB`,
    );
  }, 60_000);

  it('exactly maxLanes lanes import; one more is refused; maxLanes is an option', async () => {
    const at = join(dir, 'lanes-4096.json');
    manyLanes(at, DEFAULT_MAX_LANES, 2);
    const ok = await importTrace(at);
    expect(ok.summary.spans).toBe(2 * DEFAULT_MAX_LANES);
    expect(new Set(ok.records.map((r) => r.stream)).size).toBe(DEFAULT_MAX_LANES);
    const over = join(dir, 'lanes-4097.json');
    manyLanes(over, DEFAULT_MAX_LANES + 1);
    await expect(importTrace(over)).rejects.toThrow(TraceLimitError);
    await expect(importTrace(at, { maxLanes: 10 })).rejects.toThrow(/more than 10 lanes/);
    await expect(importTrace(at, { maxLanes: 0 })).rejects.toThrow(RangeError);
  });

  it('normal imports are unchanged (a synthetic xpuscope and unitrace trace, every record)', async () => {
    for (const format of ['xpuscope', 'unitrace'] as const) {
      const path = join(dir, `normal-${format}.json`);
      const g = generateSyntheticTrace(path, 2_000_000, { format, writer: { counterIntervalNs: 0 } });
      const tl = new Timeline({ laneCapacity: 1 << 20, edgeCapacity: 1 << 22 });
      const r = await importTrace(path, { onRecords: (b) => tl.append(b) });
      expect(r.summary.spans, format).toBe(g.records);
      expect(tl.size).toBe(g.records);
      expect(tl.dropped).toBe(0);
      if (format === 'xpuscope') expect(tl.edgeCount).toBe(g.edges);
    }
  });
});
