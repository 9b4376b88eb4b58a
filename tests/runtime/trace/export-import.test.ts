import { describe, expect, it } from 'vitest';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineRef, OpRecord } from '../../../protocol/index.js';
import {
  ChromeTraceWriter,
  TraceParseError,
  formatUs,
  importTrace,
  usTextToNs,
  writeChromeTrace,
} from '../../../runtime/trace/index.js';
import { tempDir, type ChromeEvent } from './helpers.js';

const dir = tempDir();
const C0: EngineRef = { ordinal: 0, index: 0, kind: 'compute' };
const C1: EngineRef = { ordinal: 0, index: 1, kind: 'compute' };
const CP: EngineRef = { ordinal: 1, index: 2, kind: 'copy' };

/** A capture: 3 streams on 2 devices, event-record → wait edges across streams, some copies. */
function capture(n: number, base = 1_700_000_000_000_000_000): OpRecord[] {
  const out: OpRecord[] = [];
  const clock = [base, base, base, base];
  const lanes: Array<[number, number, EngineRef]> = [
    [0, 1, C0],
    [0, 2, C1],
    [0, 3, CP],
    [1, 1, C0],
  ];
  for (let i = 0; i < n; i++) {
    const l = i % 4;
    const [device, stream, engine] = lanes[l]!;
    const start = clock[l]! + 1024 * ((i * 7) % 5);
    const dur = 2048 * (1 + ((i * 13) % 17));
    const kind = engine.kind === 'copy' ? 'copy' : i % 10 === 9 ? 'event-wait' : 'kernel';
    out.push({
      id: 1000 + i,
      device,
      stream,
      engine,
      kind,
      name: kind === 'copy' ? 'copy H2D' : `kernel_${i % 3} "q" ✓`,
      bytes: kind === 'copy' ? 4096 * i : 0,
      submitNs: start - 4096,
      startNs: start,
      endNs: start + dur,
      deps: i >= 5 && i % 5 === 0 ? [1000 + i - 3, 1000 + i - 1] : [],
    });
    clock[l] = start + dur;
  }
  return out;
}

const byId = (a: OpRecord, b: OpRecord): number => a.id - b.id;

function checkChromeRules(text: string): ChromeEvent[] {
  const doc = JSON.parse(text) as {
    displayTimeUnit: string;
    traceEvents: ChromeEvent[];
    otherData: { xpuscope: { version: string; baseNs: number } };
  };
  expect(doc.displayTimeUnit).toBe('ns');
  expect(typeof doc.otherData.xpuscope.version).toBe('string');
  const evs = doc.traceEvents;
  const procNames = new Set<number>();
  const threadNames = new Set<string>();
  for (const e of evs) {
    expect(Number.isInteger(e.pid)).toBe(true);
    if (e.ph !== 'M' || e.name?.startsWith('thread'))
      if (e.ph !== 'C') expect(Number.isInteger(e.tid)).toBe(true);
    if (e.ph === 'M' && e.name === 'process_name') procNames.add(e.pid!);
    if (e.ph === 'M' && e.name === 'thread_name') threadNames.add(`${e.pid}/${e.tid}`);
  }
  // Every X event's process and thread are named; per tid, X events never partially overlap.
  const perTid = new Map<string, ChromeEvent[]>();
  for (const e of evs.filter((x) => x.ph === 'X')) {
    expect(procNames.has(e.pid!)).toBe(true);
    expect(threadNames.has(`${e.pid}/${e.tid}`)).toBe(true);
    const k = `${e.pid}/${e.tid}`;
    perTid.set(k, [...(perTid.get(k) ?? []), e]);
  }
  for (const list of perTid.values()) {
    const sorted = list
      .map((e) => [usTextToNs(String(e.ts)), usTextToNs(String(e.ts)) + usTextToNs(String(e.dur))] as const)
      .sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const stack: number[] = [];
    for (const [s, e] of sorted) {
      while (stack.length && stack[stack.length - 1]! <= s) stack.pop();
      if (stack.length) expect(e).toBeLessThanOrEqual(stack[stack.length - 1]!); // strictly nested
      stack.push(e);
    }
  }
  // Times are written with exactly 3 decimals.
  for (const m of text.matchAll(/"(ts|dur)":(-?[\d.]+)/g)) expect(m[2]).toMatch(/^-?\d+\.\d{3}$/);
  // Flows pair up: s then f with bp "e", same id/cat/name.
  const starts = new Map(evs.filter((e) => e.ph === 's').map((e) => [e.id, e]));
  for (const f of evs.filter((e) => e.ph === 'f')) {
    expect(f.bp).toBe('e');
    const s = starts.get(f.id);
    expect(s).toBeDefined();
    expect([s!.cat, s!.name]).toEqual([f.cat, f.name]);
  }
  return evs;
}

describe('Chrome trace export', () => {
  it('writes Perfetto-ready JSON: M names, integer pid/tid, nested lanes, flows, counters', () => {
    const path = join(dir, 'rules.json');
    const recs = capture(200);
    const stats = writeChromeTrace(path, recs, {
      deviceNames: { 0: 'GPU0 Intel(R) Arc(TM) A770 Graphics 0000:03:00.0' },
      counterIntervalNs: 100_000,
    });
    const evs = checkChromeRules(readFileSync(path, 'utf8'));
    expect(evs.filter((e) => e.ph === 'X')).toHaveLength(200);
    expect(evs.find((e) => e.ph === 'M' && e.name === 'process_name' && e.pid === 1)!.args!.name).toBe(
      'GPU0 Intel(R) Arc(TM) A770 Graphics 0000:03:00.0',
    );
    expect(evs.find((e) => e.ph === 'M' && e.name === 'process_name' && e.pid === 2)!.args!.name).toBe(
      'GPU 1',
    );
    const names = evs.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
    expect(names).toContain('stream 1 · compute 0.0');
    expect(names).toContain('stream 3 · copy 1.2');
    expect(evs.filter((e) => e.ph === 'M' && e.name === 'thread_sort_index')).toHaveLength(names.length);
    const edges = recs.reduce((n, r) => n + r.deps.length, 0);
    expect(stats.flows).toBe(edges);
    expect(evs.filter((e) => e.ph === 's')).toHaveLength(edges);
    const counters = evs.filter((e) => e.ph === 'C');
    expect(counters.length).toBeGreaterThan(0);
    for (const c of counters)
      for (const v of Object.values(c.args!)) expect(v as number).toBeGreaterThanOrEqual(0);
    expect(Math.max(...counters.flatMap((c) => Object.values(c.args!) as number[]))).toBeLessThanOrEqual(100);
  });

  it('moves overlapping work on one stream to extra lanes', async () => {
    const path = join(dir, 'overlap.json');
    const recs: OpRecord[] = [0, 1, 2, 3].map((i) => ({
      id: i,
      device: 0,
      stream: 7,
      engine: C0,
      kind: 'kernel',
      name: 'k',
      bytes: 0,
      submitNs: 0,
      startNs: 1000 * i,
      endNs: 1000 * i + 2500,
      deps: [],
    }));
    const stats = writeChromeTrace(path, recs, { baseNs: 0 });
    const evs = checkChromeRules(readFileSync(path, 'utf8'));
    expect(new Set(evs.filter((e) => e.ph === 'X').map((e) => e.tid)).size).toBe(3);
    expect(stats.overlapLanes).toBe(2);
    expect(evs.filter((e) => e.name === 'thread_name').map((e) => e.args!.name)).toEqual([
      'stream 7 · compute 0.0',
      'stream 7 · compute 0.0 · overlap 1',
      'stream 7 · compute 0.0 · overlap 2',
    ]);
    const back = await importTrace(path);
    expect(back.records.sort(byId)).toEqual(recs); // extra lanes fold back onto the stream
  });

  it('utilization counters: a 1-hour op costs a few samples and reads 100 % throughout', () => {
    const path = join(dir, 'long.json');
    const ms = 1_000_000;
    const recs: OpRecord[] = [
      {
        id: 1,
        device: 0,
        stream: 1,
        engine: C0,
        kind: 'event-wait',
        name: 'wait',
        bytes: 0,
        submitNs: 0,
        startNs: ms / 2,
        endNs: 3600_000 * ms + ms / 4,
        deps: [],
      },
      {
        id: 2,
        device: 0,
        stream: 2,
        engine: CP,
        kind: 'copy',
        name: 'copy',
        bytes: 1,
        submitNs: 0,
        startNs: 10 * ms,
        endNs: 10.5 * ms,
        deps: [],
      },
    ];
    const w = ChromeTraceWriter.open(path, { baseNs: 0, counterIntervalNs: ms, counterLatenessNs: 0 });
    w.write(recs);
    w.flush();
    w.close();
    const c = checkChromeRules(readFileSync(path, 'utf8')).filter((e) => e.ph === 'C');
    expect(c.length).toBeLessThan(10);
    const at = (tsMs: number): Record<string, unknown> =>
      [...c].reverse().find((e) => e.ts! <= tsMs * 1000)!.args!;
    expect(at(0)).toEqual({ 'compute 0.0': 50, 'copy 1.2': 0 });
    expect(at(5)).toEqual({ 'compute 0.0': 100, 'copy 1.2': 0 });
    expect(at(10)).toEqual({ 'compute 0.0': 100, 'copy 1.2': 50 });
    expect(at(2_000_000)).toEqual({ 'compute 0.0': 100, 'copy 1.2': 0 });
    expect(at(3_600_000)).toEqual({ 'compute 0.0': 25, 'copy 1.2': 0 });
    expect(at(3_600_001)).toEqual({ 'compute 0.0': 0, 'copy 1.2': 0 });
  });

  it('formats ns as µs with exactly 3 decimals', () => {
    expect(formatUs(0)).toBe('0.000');
    expect(formatUs(12345)).toBe('12.345');
    expect(formatUs(5)).toBe('0.005');
    expect(formatUs(-1500)).toBe('-1.500');
    // Midpoints are fractional ns: round to the nearest ns, never "1.1000" for 1999.5.
    expect(formatUs(1999.5)).toBe('2.000');
    expect(formatUs(12_999.6)).toBe('13.000');
    expect(formatUs(-0.4)).toBe('0.000');
    // Always valid JSON, whatever the magnitude (within a double's precision beyond 2^53 ns).
    expect(formatUs(2 ** 53 - 1)).toBe('9007199254740.991');
    for (const big of [2 ** 53 + 2, 2 ** 60, -(2 ** 60), 1.7e18 + 242_700, 1e23, 1e25]) {
      const text = formatUs(big);
      expect(JSON.parse(text), text).toBeCloseTo(big / 1000, -3);
    }
    expect(formatUs(Number.NaN)).toBe('null');
    expect(formatUs(Infinity)).toBe('null');
    expect(usTextToNs('-1.500')).toBe(-1500);
    expect(usTextToNs('1700000000123456.789', 1700000000000000)).toBe(123456789);
    expect(usTextToNs('1.2345')).toBe(1235);
  });

  it('the file is valid, importable JSON after every flush (a crash leaves a closed file)', async () => {
    const path = join(dir, 'live.json');
    const recs = capture(400);
    const w = ChromeTraceWriter.open(path, {
      deviceNames: { 0: 'GPU0', 1: 'GPU1' },
      counterIntervalNs: 50_000,
      counterLatenessNs: 100_000,
    });
    let written = 0;
    for (let i = 0; i < recs.length; i += 37) {
      const batch = recs.slice(i, i + 37);
      w.write(batch);
      written += batch.length;
      w.flush();
      // "Crash": read the file as it is now, without close().
      const text = readFileSync(path, 'utf8');
      const evs = checkChromeRules(text);
      expect(evs.filter((e) => e.ph === 'X')).toHaveLength(written);
      const imp = await importTrace(path);
      expect(imp.summary.truncated).toBe(false);
      expect(imp.records.sort(byId)).toEqual(recs.slice(0, written).sort(byId));
    }
    w.close();
    checkChromeRules(readFileSync(path, 'utf8'));
    expect(() => w.write(recs)).toThrow(/after close/);
  });

  it('flushIntervalMs flushes on a timer while the capture runs', async () => {
    const path = join(dir, 'timer.json');
    const w = ChromeTraceWriter.open(path, { flushIntervalMs: 10 });
    w.write(capture(20));
    await new Promise((r) => setTimeout(r, 60));
    expect(
      JSON.parse(readFileSync(path, 'utf8')).traceEvents.filter((e: ChromeEvent) => e.ph === 'X'),
    ).toHaveLength(20);
    w.close();
  });

  it('small chunkBytes flushes from write() and keeps the file valid', () => {
    const path = join(dir, 'chunks.json');
    const w = ChromeTraceWriter.open(path, { chunkBytes: 512 });
    const recs = capture(100);
    for (const r of recs) {
      w.write([r]);
      JSON.parse(readFileSync(path, 'utf8'));
    }
    expect(w.stats.flushes).toBeGreaterThan(10);
    w.close();
  });

  it('flowMemory: flows reach ops placed within the last flowMemory ops, older sources are dropped', () => {
    const path = join(dir, 'flowmem.json');
    // Ops 1..8 back to back on one stream (1 µs each); op 6 depends on op 1 (5 placements back, forgotten
    // with flowMemory 4), op 7 on op 4 (still remembered) and on op 2 (forgotten).
    const recs: OpRecord[] = [];
    for (let i = 1; i <= 8; i++)
      recs.push({
        id: i,
        device: 0,
        stream: 1,
        engine: C0,
        kind: 'kernel',
        name: `k${i}`,
        bytes: 0,
        submitNs: i * 1000,
        startNs: i * 1000,
        endNs: i * 1000 + 1000,
        deps: i === 6 ? [1] : i === 7 ? [4, 2] : [],
      });
    const w = ChromeTraceWriter.open(path, { baseNs: 0, flowMemory: 4, counterIntervalNs: 0 });
    w.write(recs);
    w.close();
    expect(w.stats.flows).toBe(1);
    expect(w.stats.flowsDropped).toBe(2);
    const ev = (JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: ChromeEvent[] }).traceEvents;
    const s = ev.filter((e) => e.ph === 's');
    const f = ev.filter((e) => e.ph === 'f');
    expect(s.map((e) => [e.tid, e.ts])).toEqual([[1, 4.5]]);
    expect(f.map((e) => [e.tid, e.ts])).toEqual([[1, 7.5]]);
    // Every edge is still in args.deps.
    expect(ev.filter((e) => e.ph === 'X').map((e) => (e.args as { deps: number[] }).deps)).toEqual(
      recs.map((r) => r.deps),
    );
  });
});

describe('round trip export → import', () => {
  it('preserves every span and edge exactly (epoch-ns times, unicode names, flows, extra lanes)', async () => {
    const path = join(dir, 'roundtrip.json');
    const recs = capture(500);
    // Out-of-order completion, a fractional-ns op and ops before the base still round-trip.
    recs.push({
      id: 1,
      device: 0,
      stream: 9,
      engine: C1,
      kind: 'fill',
      name: 'fill',
      bytes: 12,
      submitNs: 10.25,
      startNs: 20.5,
      endNs: 31.75,
      deps: [1000],
      detail: 'groups 4×1×1 · group size "64"×1×1',
    });
    // A recorded program's lane keeps its process, device and queue names.
    recs.push({
      id: 5000,
      device: 2,
      stream: 0,
      engine: C1,
      kind: 'kernel',
      name: 'busy',
      bytes: 0,
      submitNs: 100,
      startNs: 200,
      endNs: 300,
      deps: [],
      source: {
        pid: 4242,
        process: 'multi_engine --lists 4',
        device: 'Intel(R) Arc(TM) A770 Graphics',
        queue: 'immediate list 1',
      },
      detail: 'execution 2',
    });
    const w = ChromeTraceWriter.open(path, { deviceNames: { 0: 'A', 1: 'B' } });
    w.write(recs.slice(250).reverse());
    w.flush();
    w.write(recs.slice(0, 250));
    w.close();
    // Every edge got a flow, including those whose source op was written after its dependent.
    expect(w.stats.flows).toBe(recs.reduce((n, r) => n + r.deps.length, 0));
    expect(w.stats.flowsDropped).toBe(0);
    const back = await importTrace(path);
    expect(back.summary.format).toBe('xpuscope');
    expect(back.summary.spans).toBe(recs.length);
    expect(back.summary.edges).toBe(recs.reduce((n, r) => n + r.deps.length, 0));
    expect(back.summary.truncated).toBe(false);
    expect(back.devices).toEqual([
      { device: 0, name: 'A' },
      { device: 1, name: 'B' },
      { device: 2, name: 'multi_engine --lists 4 (pid 4242) · Intel(R) Arc(TM) A770 Graphics' },
    ]);
    expect(back.records.sort(byId)).toEqual([...recs].sort(byId));
    expect(back.summary.skipped.counter).toBeGreaterThan(0);
  });

  it('streams records out with onRecords', async () => {
    const path = join(dir, 'stream.json');
    const recs = capture(300);
    writeChromeTrace(path, recs);
    const got: OpRecord[] = [];
    let calls = 0;
    const r = await importTrace(path, {
      onRecords: (b) => (got.push(...b), calls++),
      batchSize: 64,
      chunkSize: 4096,
    });
    expect(r.records).toEqual([]);
    expect(calls).toBeGreaterThan(3);
    expect(got.sort(byId)).toEqual(recs.sort(byId));
  });

  it('a truncated export imports every complete event and says where it stopped', async () => {
    const path = join(dir, 'full.json');
    const recs = capture(120);
    writeChromeTrace(path, recs, { counterIntervalNs: 0 });
    const bytes = readFileSync(path);
    const ids = new Set(recs.map((r) => r.id));
    for (const cut of [bytes.length - 4, Math.floor(bytes.length * 0.7) + 3, Math.floor(bytes.length / 3)]) {
      const p = join(dir, `cut${cut}.json`);
      writeFileSync(p, bytes.subarray(0, cut));
      const r = await importTrace(p);
      expect(r.summary.truncated).toBe(true);
      expect(r.summary.truncatedAt).toBeLessThanOrEqual(cut);
      expect(r.records.length).toBeGreaterThan(0);
      for (const rec of r.records) {
        expect(ids.has(rec.id)).toBe(true);
        expect(rec).toEqual(recs.find((x) => x.id === rec.id));
      }
      // Everything before truncatedAt was delivered: the text before it holds exactly that many X events.
      const before = bytes.subarray(0, r.summary.truncatedAt).toString('utf8');
      expect((before.match(/"ph":"X"/g) ?? []).length).toBe(r.records.length);
    }
  });

  it('malformed files fail with the byte offset and line', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"traceEvents":[\n{"ph":"X","pid":1},\n{"ph":"X" "pid":2}\n]}');
    const err = await importTrace(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceParseError);
    expect((err as TraceParseError).line).toBe(3);
    expect((err as TraceParseError).offset).toBe(47);
    expect(String(err)).toMatch(/byte 47 \(line 3, column 11\): expected ',' or '}'/);
  });

  it('writes a valid file for an empty capture', () => {
    const path = join(dir, 'empty.json');
    const fd = openSync(path, 'w');
    const w = new ChromeTraceWriter(fd);
    w.flush();
    w.close();
    closeSync(fd);
    expect(JSON.parse(readFileSync(path, 'utf8')).traceEvents).toEqual([]);
  });
});

describe('randomized round trip', () => {
  it('random captures (overlaps, out-of-order writes, odd names) survive export → chunked import exactly', async () => {
    let seed = 12345;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const names = [
      'k',
      'gemm<float, 4>',
      'a "quoted" \\ name',
      'ünï ✓ 😀',
      '{"json":[1]}',
      'tab\tand\nnewline',
    ];
    const engines: EngineRef[] = [
      C0,
      C1,
      CP,
      { ordinal: 2, index: 0, kind: 'render' },
      { ordinal: 3, index: 1, kind: 'other' },
    ];
    const kinds = ['kernel', 'copy', 'fill', 'barrier', 'event-record', 'event-wait'] as const;
    for (let round = 0; round < 4; round++) {
      const recs: OpRecord[] = [];
      const base = round % 2 ? 1.7e18 : 123_456;
      for (let i = 0; i < 300; i++) {
        const start = base + Math.floor(rand() * 1e6) * 256;
        const deps = i > 3 && rand() < 0.3 ? [recs[Math.floor(rand() * i)]!.id] : [];
        recs.push({
          id: 5 + i * 3,
          device: Math.floor(rand() * 3),
          stream: Math.floor(rand() * 4),
          engine: engines[Math.floor(rand() * engines.length)]!,
          kind: kinds[Math.floor(rand() * kinds.length)]!,
          name: names[Math.floor(rand() * names.length)]!,
          bytes: rand() < 0.5 ? 0 : Math.floor(rand() * 2 ** 40),
          submitNs: start - Math.floor(rand() * 1e5),
          startNs: start,
          endNs: start + (rand() < 0.1 ? 0 : Math.floor(rand() * 1e5) * 256),
          deps,
        });
      }
      const path = join(dir, `random${round}.json`);
      const w = ChromeTraceWriter.open(path, {
        chunkBytes: 4096,
        counterIntervalNs: round === 3 ? 0 : 50_000,
      });
      const shuffled = [...recs].sort(() => rand() - 0.5);
      for (let i = 0; i < shuffled.length; i += 50) w.write(shuffled.slice(i, i + 50));
      w.close();
      checkChromeRules(readFileSync(path, 'utf8'));
      const bytes = readFileSync(path);
      const chunks: Uint8Array[] = [];
      for (let o = 0; o < bytes.length;) {
        const n = 1 + Math.floor(rand() * 3000);
        chunks.push(bytes.subarray(o, o + n));
        o += n;
      }
      const back = await importTrace(chunks);
      expect(back.records.sort(byId)).toEqual([...recs].sort(byId));
      expect(back.summary.edges).toBe(recs.reduce((n, r) => n + r.deps.length, 0));
    }
  });
});
