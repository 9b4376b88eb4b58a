// Synthetic trace generator for benchmarks and memory tests: writes a plausible multi-stream capture of
// (at least) the requested size, in xpuscope's own format (through ChromeTraceWriter) or unitrace's.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { EngineRef, OpRecord } from '../../protocol/timeline.js';
import { ChromeTraceWriter, type ChromeTraceWriterOptions } from './export.js';
import { formatUs } from './format.js';

export interface SyntheticTraceOptions {
  format?: 'xpuscope' | 'unitrace';
  /** Streams per device (default 4); devices (default 2). */
  streams?: number;
  devices?: number;
  /** Seed of the deterministic pseudo-random durations (default 1). */
  seed?: number;
  /** xpuscope format: extra ChromeTraceWriter options (e.g. counterIntervalNs: 0 for a faster write). */
  writer?: ChromeTraceWriterOptions;
}

export interface SyntheticTraceResult {
  bytes: number;
  records: number;
  edges: number;
}

const KERNELS = [
  'gemm_kernel<float, 128, 64>',
  'softmax_fwd',
  'layer_norm_fwd',
  'elementwise_add',
  'reduce_sum<half>',
  'attention_fwd_flash',
];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** Generates ops in completion batches: stream s of device d runs back to back, every 8th op waits on the previous op of another stream. */
function* synthRecords(opts: SyntheticTraceOptions): Generator<OpRecord[]> {
  const nDev = opts.devices ?? 2,
    nStr = opts.streams ?? 4;
  const rand = rng(opts.seed ?? 1);
  const clock: number[] = new Array<number>(nDev * nStr).fill(1_000_000);
  const lastId: number[] = new Array<number>(nDev * nStr).fill(0);
  let id = 1;
  for (;;) {
    const batch: OpRecord[] = [];
    for (let k = 0; k < 256; k++) {
      const lane = Math.floor(rand() * nDev * nStr);
      const device = Math.floor(lane / nStr),
        stream = (lane % nStr) + 1;
      const copy = stream === nStr;
      const engine: EngineRef = copy
        ? { ordinal: 1, index: 0, kind: 'copy' }
        : { ordinal: 0, index: stream % 2, kind: 'compute' };
      const dur = 1000 + Math.floor(rand() * 200_000);
      const start = clock[lane]! + Math.floor(rand() * 5000);
      const deps: number[] = [];
      if (id % 8 === 0) {
        const other = lastId[(lane + 1) % (nDev * nStr)]!;
        if (other) deps.push(other);
      }
      const bytes = copy ? 4096 * (1 + Math.floor(rand() * 1024)) : 0;
      batch.push({
        id,
        device,
        stream,
        engine,
        kind: copy ? 'copy' : 'kernel',
        name: copy ? 'copy H2D' : KERNELS[Math.floor(rand() * KERNELS.length)]!,
        bytes,
        submitNs: start - 2000 - Math.floor(rand() * 20_000),
        startNs: start,
        endNs: start + dur,
        deps,
      });
      lastId[lane] = id++;
      clock[lane] = start + dur;
    }
    yield batch;
  }
}

/** Writes a synthetic trace of at least `bytes` bytes to `path`. Memory stays bounded at any size. */
export function generateSyntheticTrace(
  path: string,
  bytes: number,
  opts: SyntheticTraceOptions = {},
): SyntheticTraceResult {
  let records = 0,
    edges = 0;
  if ((opts.format ?? 'xpuscope') === 'xpuscope') {
    const w = ChromeTraceWriter.open(path, {
      baseNs: 0,
      deviceNames: { 0: 'GPU0 Synthetic Arc A770', 1: 'GPU1 Synthetic Max 1550' },
      flowMemory: 4096,
      chunkBytes: 1 << 20,
      ...opts.writer,
    });
    for (const batch of synthRecords(opts)) {
      w.write(batch);
      records += batch.length;
      for (const r of batch) edges += r.deps.length;
      if (w.stats.bytes >= bytes) break;
    }
    w.close();
    return { bytes: w.stats.bytes, records, edges };
  }
  // unitrace layout: `{ "traceEvents":[` then ",\n"-separated events, metadata at the end.
  const fd = openSync(path, 'w');
  let pos = 0;
  const put = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    let o = 0;
    while (o < b.length) o += writeSync(fd, b, o, b.length - o, pos + o);
    pos += b.length;
  };
  try {
    put('{ "traceEvents":[');
    let first = true;
    const baseUs = 1_700_000_000_000_000;
    const tids = new Set<string>();
    outer: for (const batch of synthRecords(opts)) {
      const parts: string[] = [];
      for (const r of batch) {
        const pid = 0xffffffff - r.device;
        const tid = r.stream;
        tids.add(
          `${pid}/${tid}/${r.engine.kind === 'copy' ? 'Copy' : 'Compute'}/${r.engine.ordinal}/${r.engine.index}`,
        );
        const name =
          r.kind === 'copy'
            ? `zeCommandListAppendMemoryCopy(M2D)[${r.bytes}]`
            : `${r.name}[SIMD32 {256; 1; 1} {64; 1; 1}]`;
        const ts = `${baseUs + Math.floor(r.startNs / 1000)}.${String(r.startNs % 1000).padStart(3, '0')}`;
        parts.push(
          `${first ? '\n' : ',\n'}{"ph": "X", "tid": ${tid}, "pid": ${pid}, "name": ${JSON.stringify(name)}, "cat": "gpu_op", "ts": ${ts}, "dur": ${formatUs(r.endNs - r.startNs)}, "args": {"id": "${r.id}"}}`,
        );
        first = false;
        records++;
      }
      put(parts.join(''));
      if (pos >= bytes) break outer;
    }
    const meta: string[] = [];
    for (let d = 0; d < (opts.devices ?? 2); d++)
      meta.push(
        `,\n{"ph": "M", "name": "process_name", "pid": ${0xffffffff - d}, "ts": 0, "args": {"name": "DEVICEsynth[Intel(R) Synthetic GPU ${d}] 0000:0${d}:00.0 #${d}"}}`,
      );
    for (const t of tids) {
      const [pid, tid, kind, ord, idx] = t.split('/');
      meta.push(
        `,\n{"ph": "M", "name": "thread_name", "pid": ${pid}, "tid": ${tid}, "args": {"name": "Thread ${tid} L0 ${kind} Engine<${ord},${idx}>"}}`,
      );
    }
    put(`${meta.join('')}\n]\n}\n`);
  } finally {
    closeSync(fd);
  }
  return { bytes: pos, records, edges: 0 };
}
