// `xpuscope trace`: work with trace files.
//
// Usage: xpuscope trace import FILE [--json] [--top N]
//
// `trace import` reads a Chrome trace JSON file — written by xpuscope (`run --trace`, the app's export),
// Intel unitrace, or the PyTorch profiler (Kineto) — with the streaming importer (files larger than
// memory are fine; a file cut short by a crash is imported up to the cut and reported as truncated) and
// prints a summary: format, events read, GPU operations (spans), flows, dependency edges, what was
// skipped and why, and per device the operations, time span, busy %, concurrency, per-engine busy %
// and the operations that took the most time.
//
// `--json` prints `{ "schema": "xpuscope.trace-summary/1", "file", "bytes", "summary":
// TraceImportSummary (protocol/views.ts), "edges", "truncatedAt"?, "devices": [{ device, name, ops,
// spanNs, busyPct, concurrency, speedup, engines: [{ engine, busyPct, ops }], top: [{ name, count,
// totalNs, meanNs, p50Ns, p95Ns }] }] }`.
//
// Exit codes: 0 imported (also when truncated: a warning goes to stderr); 1 the file could not be read
//             or is not a trace; 2 usage error.
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { OpRecord } from '../../protocol/timeline.js';
import type { TraceImportSummary } from '../../protocol/views.js';
import type { CommandIo } from './run.js';

export const TRACE_USAGE = `Usage: xpuscope trace import FILE [--json] [--top N]

Import a Chrome trace JSON file (from xpuscope, Intel unitrace or the PyTorch profiler) and summarize
it: format, events, GPU operations, dependency edges, what was skipped, and per device the busy time,
concurrency, per-engine busy % and the operations that took the most time. Large files stream;
a file cut short is imported up to the cut (reported as truncated).

Options:
  --json     Print the summary as JSON (schema "xpuscope.trace-summary/1")
  --top N    How many operation names to list per device (default 10)

Exit codes: 0 imported (truncated files too, with a warning); 1 unreadable or not a trace; 2 usage error.
`;

export interface TraceDeviceSummary {
  device: number;
  name: string;
  ops: number;
  spanNs: number;
  busyPct: number;
  concurrency: number;
  speedup: number;
  engines: Array<{ engine: string; busyPct: number; ops: number }>;
  top: Array<{ name: string; count: number; totalNs: number; meanNs: number; p50Ns: number; p95Ns: number }>;
}

export interface TraceSummaryJson {
  schema: 'xpuscope.trace-summary/1';
  file: string;
  bytes: number;
  summary: TraceImportSummary;
  edges: number;
  truncatedAt?: number;
  devices: TraceDeviceSummary[];
}

class Usage extends Error {}

function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${Math.round(ns)} ns`;
}

export async function traceCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, top: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    return usage(io, err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(TRACE_USAGE);
    return 0;
  }
  try {
    const sub = positionals[0];
    if (sub === undefined) throw new Usage('missing subcommand (import)');
    if (sub !== 'import') throw new Usage(`unknown subcommand '${sub}' (expected: import)`);
    const file = positionals[1];
    if (file === undefined || file.trim() === '') throw new Usage('missing FILE');
    if (positionals.length > 2) throw new Usage(`unexpected argument '${positionals[2]}'`);
    let top = 10;
    if (values.top !== undefined) {
      if (!/^\d{1,4}$/.test(values.top))
        throw new Usage(`invalid --top '${values.top}': expected an integer`);
      top = Number(values.top);
    }
    return await importCommand(file, values.json === true, top, io);
  } catch (err) {
    if (err instanceof Usage) return usage(io, err.message);
    throw err;
  }
}

function usage(io: CommandIo, message: string): number {
  io.stderr.write(`xpuscope trace: ${message}\n\n${TRACE_USAGE}`);
  return 2;
}

/** A file that cannot be imported, with the reason people read (`cannot import FILE: <message>`). */
export class TraceInputError extends Error {
  readonly code = 'BAD_TRACE';
}

/**
 * Largest time magnitude accepted, in ns (about 31.7 years): beyond it a trace's times are not a
 * program's run (`"ts": 1e308` µs, or `1e400` read as Infinity) and the summary would print
 * `Infinity s; busy NaN%`.
 */
export const MAX_TRACE_TIME_NS = 1e18;

/**
 * Refuses a path that is not a regular file: a named pipe (FIFO) with no writer blocks the read for
 * ever, and a device such as /dev/zero never ends.
 */
async function checkRegularFile(file: string): Promise<void> {
  const st = await stat(file); // ENOENT / EACCES are reported by the caller
  if (st.isFile() || st.isDirectory()) return; // a directory fails on open with EISDIR
  const kind = st.isFIFO()
    ? 'a named pipe (FIFO)'
    : st.isSocket()
      ? 'a socket'
      : st.isCharacterDevice()
        ? 'a character device'
        : st.isBlockDevice()
          ? 'a block device'
          : 'not a regular file';
  throw new TraceInputError(
    `it is ${kind}, not a regular file; xpuscope imports trace files only (save the trace to a file first)`,
  );
}

/**
 * Checks the times of imported records: every submit/start/end must be a finite number within
 * ±MAX_TRACE_TIME_NS. The importer (runtime/trace/import*.ts) passes
 * such times through, so the CLI checks them here; operations are numbered in the order they came.
 */
function checkRecordTimes(recs: readonly OpRecord[], first: number): void {
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    for (const [field, v] of [
      ['submit', r.submitNs],
      ['start', r.startNs],
      ['end', r.endNs],
    ] as const) {
      if (!Number.isFinite(v) || Math.abs(v) > MAX_TRACE_TIME_NS) {
        throw new TraceInputError(
          `GPU operation ${first + i + 1} ("${r.name}") has its ${field} time out of range: ${String(v)} ns ` +
            `(times must be finite and within ±1e18 ns, about 31 years, of the trace's origin)`,
        );
      }
    }
  }
}

/** Import `file` and summarize it (also used by tests and, if wanted, the service). */
export async function summarizeTrace(file: string, top = 10): Promise<TraceSummaryJson> {
  await checkRegularFile(file);
  const { engineLabel, importTrace } = await import('../../runtime/trace/index.js');
  const { Timeline, computeMetrics } = await import('../../runtime/timeline/index.js');
  const tl = new Timeline({ laneCapacity: 1 << 22, edgeCapacity: 1 << 24 });
  let seen = 0;
  const r = await importTrace(file, {
    onRecords: (recs) => {
      checkRecordTimes(recs, seen);
      seen += recs.length;
      tl.append(recs);
    },
  });
  if (!Number.isFinite(r.timeOriginNs))
    throw new TraceInputError(`its time origin is out of range (${String(r.timeOriginNs)} ns)`);
  const names = new Map(r.devices.map((d) => [d.device, d.name]));
  const deviceIds = [...new Set(tl.lanes().map((l) => l.device))].sort((a, b) => a - b);
  const devices: TraceDeviceSummary[] = deviceIds.map((device) => {
    const m = computeMetrics(tl, { device });
    return {
      device,
      name: names.get(device) ?? `device ${device}`,
      ops: m.ops,
      spanNs: m.spanNs,
      busyPct: Math.round(m.busyPct * 10) / 10,
      concurrency: Math.round(m.concurrency * 100) / 100,
      speedup: Math.round(m.speedup * 100) / 100,
      engines: m.engines.map((e) => ({
        engine: engineLabel(e.engine),
        busyPct: Math.round(e.busyPct * 10) / 10,
        ops: e.ops,
      })),
      top: m.names.slice(0, top).map((n) => ({
        name: n.name,
        count: n.count,
        totalNs: n.totalNs,
        meanNs: n.meanNs,
        p50Ns: n.p50Ns,
        p95Ns: n.p95Ns,
      })),
    };
  });
  const s = r.summary;
  const out: TraceSummaryJson = {
    schema: 'xpuscope.trace-summary/1',
    file,
    bytes: s.bytes,
    summary: {
      format: s.format,
      events: s.eventsRead,
      spans: s.spans,
      flows: s.flows,
      skipped: s.skipped,
      truncated: s.truncated,
      devices: r.devices.map((d) => d.name),
    },
    edges: s.edges,
    devices,
  };
  if (s.truncatedAt !== undefined) out.truncatedAt = s.truncatedAt;
  return out;
}

async function importCommand(file: string, json: boolean, top: number, io: CommandIo): Promise<number> {
  let sum: TraceSummaryJson;
  try {
    sum = await summarizeTrace(file, top);
  } catch (err) {
    const e = err as Error & { code?: string };
    const why =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EACCES'
          ? 'permission denied'
          : e.code === 'EISDIR'
            ? 'it is a directory'
            : e.message;
    io.stderr.write(
      `xpuscope trace: cannot import ${file}: ${why}\n  Hint: xpuscope reads Chrome trace JSON from xpuscope, Intel unitrace and the PyTorch profiler (Kineto).\n`,
    );
    return 1;
  }
  if (sum.summary.truncated) {
    io.stderr.write(
      `xpuscope trace: warning: ${file} ends early${sum.truncatedAt !== undefined ? ` (at byte ${sum.truncatedAt})` : ''}; everything before that was imported.\n`,
    );
  }
  // A file with no GPU operations is not a trace of GPU work: say so, and fail (a script checking a
  // profiler's output must not pass on an empty one).
  const empty = sum.summary.spans === 0;
  if (empty) {
    io.stderr.write(
      `xpuscope trace: warning: ${file} has no GPU operations (${sum.summary.events} trace event(s) read)` +
        `${sum.summary.events === 0 ? ': it is empty' : ''}.\n  Hint: xpuscope reads GPU work from xpuscope, Intel unitrace and PyTorch profiler (Kineto) traces; was the program's GPU work recorded?\n`,
    );
  }
  const code = empty ? 1 : 0;
  if (json) {
    io.stdout.write(`${JSON.stringify(sum, null, 2)}\n`);
    return code;
  }
  const s = sum.summary;
  const lines: string[] = [];
  lines.push(`${file}: ${s.format} trace, ${sum.bytes} bytes${s.truncated ? ' (TRUNCATED)' : ''}`);
  lines.push(`  events read       ${s.events}`);
  lines.push(`  GPU operations    ${s.spans}`);
  lines.push(`  flows             ${s.flows}`);
  lines.push(`  dependency edges  ${sum.edges}`);
  const skipped = Object.entries(s.skipped);
  if (skipped.length) {
    lines.push('  skipped:');
    for (const [why, n] of skipped.sort((a, b) => b[1] - a[1]))
      lines.push(`    ${String(n).padStart(8)}  ${why}`);
  }
  for (const d of sum.devices) {
    lines.push('');
    lines.push(`Device ${d.device}: ${d.name}`);
    lines.push(
      `  ${d.ops} operations over ${fmtNs(d.spanNs)}; busy ${d.busyPct}%, concurrency ${d.concurrency}, speed-up ${d.speedup}×`,
    );
    const ew = Math.max(6, ...d.engines.map((e) => e.engine.length));
    lines.push(`  ${'ENGINE'.padEnd(ew)}  ${'BUSY'.padStart(6)}  ${'OPS'.padStart(8)}`);
    for (const e of d.engines)
      lines.push(`  ${e.engine.padEnd(ew)}  ${`${e.busyPct}%`.padStart(6)}  ${String(e.ops).padStart(8)}`);
    if (d.top.length) {
      const nw = Math.min(48, Math.max(4, ...d.top.map((n) => n.name.length)));
      lines.push(
        `  ${'NAME'.padEnd(nw)}  ${'COUNT'.padStart(7)}  ${'TOTAL'.padStart(12)}  ${'MEAN'.padStart(12)}  ${'P95'.padStart(12)}`,
      );
      for (const n of d.top) {
        const name = n.name.length > nw ? `${n.name.slice(0, nw - 1)}…` : n.name;
        lines.push(
          `  ${name.padEnd(nw)}  ${String(n.count).padStart(7)}  ${fmtNs(n.totalNs).padStart(12)}  ${fmtNs(n.meanNs).padStart(12)}  ${fmtNs(n.p95Ns).padStart(12)}`,
        );
      }
    }
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return code;
}
