// `xpuscope record`: run a program with the collector injected and record its Level Zero work.
//
// Usage: xpuscope record [--trace FILE] [--json FILE] [--driver auto|system|sim] [--profile NAMES]
//                        [--] COMMAND [ARGS…]
//
// The program's stdin, stdout and stderr are its own (inherited); xpuscope writes only to stderr, after
// the program ends: what was recorded (operations by kind, per-engine busy, concurrency) and the
// analysis. `--trace FILE` streams the recording to a Chrome trace (valid JSON after every flush, so a
// killed xpuscope still leaves a readable file); `--json FILE` writes the summary as JSON.
//
// Exit code: the program's own (128+N when a signal ended it); 125 xpuscope itself failed (bad
// option, collector missing, cannot inject), 126 the command cannot be executed, 127 not found.
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OP_KINDS, type OpRecord } from '../../protocol/timeline.js';
import type { DriverChoice } from '../../protocol/devices.js';
import {
  Timeline,
  analyzeTimeline,
  computeMetrics,
  type TimelineMetrics,
} from '../../runtime/timeline/index.js';
import { engineLabel } from '../../protocol/format.js';
import type { CaptureAnalysis } from '../../protocol/analysis.js';
import { ChromeTraceWriter } from '../../runtime/trace/index.js';
import { LAUNCH_EXIT, LaunchError, launch } from '../record/launch.js';
import {
  Recording,
  childExit,
  describeEnd,
  processView,
  type ChildExit,
  type RecordedProcess,
} from '../record/recording.js';
import { RemoteRecording } from '../record/remote.js';
import { driverFrom, type CommandIo } from './run.js';

export const RECORD_USAGE = `Usage: xpuscope record [--trace FILE] [--json FILE] [--host-calls] [--to URL [--token T]]
                       [--driver auto|system|sim] [--profile NAMES] [--] COMMAND [ARGS...]

Run COMMAND with xpuscope's collector injected and record every GPU operation it submits through
Level Zero (kernels, copies, fills, barriers, event signals/waits/resets, timestamps), with device
start/end times, the engine and queue it ran on, and the dependencies between operations. Child
processes are recorded too, each as its own process. Works with any dynamically linked program that
uses the Level Zero loader: SYCL/oneAPI, PyTorch on XPU, plain Level Zero.

The program's input and output are its own; afterwards xpuscope prints to stderr what it recorded:
operations by kind, how busy each engine was, the achieved concurrency and an analysis of why work
did or did not overlap.

Options:
  --trace FILE     Stream the recording to FILE as Chrome trace JSON (open in ui.perfetto.dev);
                   the file is valid JSON at every flush, so it survives the program crashing
  --json FILE      Write the summary as JSON (schema "xpuscope.record/1") to FILE
  --host-calls     Also record the program's Level Zero calls per host thread (host lanes: appends,
                   and the time blocked in zeEventHostSynchronize, zeFenceHostSynchronize,
                   zeCommandQueueSynchronize), with an arrow from each append to the operation it submitted
  --to URL         Also stream the recording, live, into a running \`xpuscope serve\` at URL (the
                   address it printed): its Record view and timeline show the program as it runs
  --token T        The server's access token (when it was started with --host; or put ?token= in URL)
  --driver D       auto|system|sim: which Level Zero driver the program gets. sim points it at the
                   bundled simulated driver, so a program can be profiled without an Intel GPU
  --profile NAMES  Simulated device profiles (with --driver sim), e.g. arc-a770,max-1550

Exit codes: the program's own exit code (128+N when signal N ended it); 125 xpuscope could not
record (bad option, collector not built, the program cannot be injected); 126 COMMAND is not
executable; 127 COMMAND was not found.
`;

const OPTIONS = {
  trace: { type: 'string' },
  json: { type: 'string' },
  driver: { type: 'string' },
  profile: { type: 'string' },
  to: { type: 'string' },
  'host-calls': { type: 'boolean' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How often the rings are read while the program runs, and the recording is pushed with --to. */
const DRAIN_MS = 5;
const REMOTE_PUSH_MS = 20;

function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (Math.abs(ns) >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (Math.abs(ns) >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (Math.abs(ns) >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export interface RecordSummary {
  schema: 'xpuscope.record/1';
  command: string[];
  driver: { mode: string; simulated: boolean };
  exit: { code: number; signal?: string };
  wallMs: number;
  processes: RecordedProcess[];
  ops: {
    total: number;
    byKind: Record<string, number>;
    dropped: number;
    untimed: number;
    lost: number;
    inFlightAtEnd: number;
  };
  /** --host-calls: the program's Level Zero calls, per host thread. */
  hostCalls?: { total: number; threads: number; byName: Record<string, { count: number; totalNs: number }> };
  metrics?: Pick<TimelineMetrics, 'concurrency' | 'peakConcurrency' | 'busyPct' | 'spanNs' | 'serialNs'> & {
    engines: { device: number; label: string; busyPct: number; ops: number }[];
  };
  /** Why work did or did not overlap (runtime/timeline/analysis.ts). */
  analysis?: CaptureAnalysis;
  trace?: string;
}

export function summarize(
  tl: Timeline,
  processes: RecordedProcess[],
  extra: {
    command: string[];
    driver: DriverChoice;
    exit: { code: number; signal?: string };
    wallMs: number;
    trace?: string;
  },
): RecordSummary {
  const byKind: Record<string, number> = {};
  let gpuOps = 0;
  const host = { total: 0, threads: 0, byName: {} as Record<string, { count: number; totalNs: number }> };
  for (const l of tl.lanes()) {
    const c = tl.laneColumns(l.id);
    if (l.engine.kind === 'host') {
      // The program's own Level Zero calls (--host-calls), not GPU work.
      host.threads++;
      for (let i = 0; i < c.count; i++) {
        const n = (host.byName[tl.strings.get(c.name[i]!)] ??= { count: 0, totalNs: 0 });
        n.count++;
        n.totalNs += c.end[i]! - c.start[i]!;
        host.total++;
      }
      continue;
    }
    gpuOps += c.count;
    for (let i = 0; i < c.count; i++) {
      const k = OP_KINDS[c.kind[i]!] ?? '?';
      byKind[k] = (byKind[k] ?? 0) + 1;
    }
  }
  const sum = (f: (p: RecordedProcess) => number): number => processes.reduce((n, p) => n + f(p), 0);
  const out: RecordSummary = {
    schema: 'xpuscope.record/1',
    command: extra.command,
    driver: { mode: extra.driver.mode, simulated: extra.driver.simulated },
    exit: extra.exit,
    wallMs: Math.round(extra.wallMs),
    processes,
    ops: {
      total: gpuOps,
      byKind,
      dropped: sum((p) => p.dropped),
      untimed: sum((p) => p.untimed),
      lost: sum((p) => p.lost),
      inFlightAtEnd: sum((p) => p.inFlight),
    },
  };
  if (host.total > 0) out.hostCalls = host;
  if (gpuOps > 0) {
    const m = computeMetrics(tl);
    out.metrics = {
      concurrency: m.concurrency,
      peakConcurrency: m.peakConcurrency,
      busyPct: m.busyPct,
      spanNs: m.spanNs,
      serialNs: m.serialNs,
      engines: m.engines.map((e) => {
        const lane = tl.lanes().find((l) => l.device === e.device && e.lanes.includes(l.id));
        const dev = lane?.source ? `${lane.source.device} (pid ${lane.source.pid})` : `device ${e.device}`;
        return {
          device: e.device,
          label: `${dev} · ${engineLabel(e.engine)}`,
          busyPct: e.busyPct,
          ops: e.ops,
        };
      }),
    };
    out.analysis = analyzeTimeline(tl);
  }
  if (extra.trace) out.trace = extra.trace;
  return out;
}

export function formatSummary(s: RecordSummary): string {
  const lines: string[] = [];
  const cmd = s.command.join(' ');
  const how =
    s.exit.signal !== undefined
      ? `was killed by ${s.exit.signal} (exit status ${s.exit.code})`
      : `exited with code ${s.exit.code}`;
  lines.push(
    `xpuscope record: ${cmd} ${how} after ${(s.wallMs / 1000).toFixed(2)} s${s.driver.simulated ? ' (SIMULATED driver)' : ''}`,
  );
  const traced = s.processes.filter((p) => p.traced);
  for (const p of s.processes) {
    if (!p.traced && !p.untraced && p.ops === 0) continue; // never used Level Zero (a shell, a launcher)
    const state = p.traced ? `${p.ops} operations` : `not traced: ${p.untraced}`;
    const flight = p.inFlight > 0 ? `, ${p.inFlight} still in flight` : '';
    lines.push(`  process ${p.pid} ${shortCmd(p.command)}: ${describeEnd(p.end)}; ${state}${flight}`);
    if (p.error) lines.push(`    ${p.error}`);
  }
  if (traced.length === 0) {
    const untraced = s.processes.find((p) => p.untraced);
    lines.push(
      untraced
        ? `  nothing recorded: ${untraced.untraced}`
        : '  nothing recorded: the program made no Level Zero calls (it never initialized Level Zero through the loader).\n' +
            '  If it does use the GPU, something between xpuscope and it dropped LD_PRELOAD (a launcher or sandbox that\n' +
            '  resets the environment): run the GPU program itself under `xpuscope record`.',
    );
    return `${lines.join('\n')}\n`;
  }
  const kinds = Object.entries(s.ops.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  lines.push(`  operations: ${s.ops.total}${kinds ? ` (${kinds})` : ''}`);
  const notes: string[] = [];
  if (s.ops.dropped)
    notes.push(`${s.ops.dropped} records dropped (the program produced them faster than xpuscope read them)`);
  if (s.ops.untimed) notes.push(`${s.ops.untimed} without device timestamps`);
  if (s.ops.lost) notes.push(`${s.ops.lost} whose timestamps were reset before they could be read`);
  if (s.ops.inFlightAtEnd)
    notes.push(`${s.ops.inFlightAtEnd} still in flight when the program ended (not recorded)`);
  if (notes.length) lines.push(`  note: ${notes.join('; ')}`);
  if (s.hostCalls) {
    const top = Object.entries(s.hostCalls.byName)
      .sort((a, b) => b[1].totalNs - a[1].totalNs)
      .slice(0, 4)
      .map(([name, v]) => `${name} ×${v.count} ${fmtNs(v.totalNs)}`)
      .join(', ');
    lines.push(`  host calls: ${s.hostCalls.total} on ${s.hostCalls.threads} thread(s); most time in ${top}`);
  }
  if (s.metrics) {
    lines.push(
      `  device time: ${fmtNs(s.metrics.spanNs)} from first to last operation; concurrency ${s.metrics.concurrency.toFixed(2)} (peak ${s.metrics.peakConcurrency})`,
    );
    for (const e of s.metrics.engines)
      lines.push(`    ${e.label}: busy ${e.busyPct.toFixed(1)} %, ${e.ops} ops`);
  }
  if (s.analysis) {
    lines.push(`  analysis: ${s.analysis.summary}`);
    for (const f of s.analysis.findings.slice(0, 6)) {
      lines.push(`    ${f.severity === 'warn' ? '!' : '·'} ${f.title}: ${f.detail}`);
    }
    if (s.analysis.findings.length > 6) lines.push(`    … ${s.analysis.findings.length - 6} more in --json`);
  }
  if (s.trace) lines.push(`  trace: ${s.trace} (Chrome trace JSON: ui.perfetto.dev, xpuscope trace import)`);
  return `${lines.join('\n')}\n`;
}

function shortCmd(c: string): string {
  return c.length > 60 ? `${c.slice(0, 59)}…` : c;
}

class RecordUsageError extends Error {}

export async function recordCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    return await record(argv, io);
  } catch (err) {
    if (err instanceof RecordUsageError) {
      io.stderr.write(`xpuscope record: ${err.message}\n\n${RECORD_USAGE}`);
      return LAUNCH_EXIT.FAILED;
    }
    if (err instanceof LaunchError) {
      io.stderr.write(`xpuscope record: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`xpuscope record: ${err instanceof Error ? err.message : String(err)}\n`);
    return LAUNCH_EXIT.FAILED;
  }
}

async function record(argv: readonly string[], io: CommandIo): Promise<number> {
  // Options end at "--" or at the first word that is not an option (the command).
  const dd = argv.indexOf('--');
  let ownArgs: string[];
  let command: string[];
  if (dd >= 0) {
    ownArgs = argv.slice(0, dd);
    command = argv.slice(dd + 1);
  } else {
    let i = 0;
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (!a.startsWith('-')) break;
      const name = a.replace(/^-+/, '').split('=')[0]!;
      const opt = (OPTIONS as Record<string, { type: string }>)[name];
      if (!a.includes('=') && opt?.type === 'string') i++; // its value is the next word
    }
    ownArgs = argv.slice(0, i);
    command = argv.slice(i);
  }
  let values;
  try {
    ({ values } = parseArgs({ args: ownArgs, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new RecordUsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    io.stdout.write(RECORD_USAGE);
    return 0;
  }
  if (command.length === 0)
    throw new RecordUsageError('no command to record (xpuscope record -- COMMAND [ARGS...])');
  let driver: DriverChoice;
  try {
    const { configureDriver } = await import('../../runtime/driver.js');
    const request = driverFrom(values.driver, io.env);
    const opts: { driver: typeof request; profile?: string } = { driver: request };
    if (values.profile !== undefined) {
      if (values.profile.trim() === '')
        throw new RecordUsageError("option '--profile' needs at least one profile name");
      opts.profile = values.profile;
    }
    driver = configureDriver(opts);
  } catch (err) {
    throw new RecordUsageError(err instanceof Error ? err.message : String(err));
  }

  const tl = new Timeline({ laneCapacity: 1 << 20, edgeCapacity: 1 << 22 });
  let writer: ChromeTraceWriter | undefined;
  let traceError: string | undefined;
  if (values.trace) {
    try {
      writer = ChromeTraceWriter.open(values.trace, { flushIntervalMs: 500 });
    } catch (err) {
      throw new RecordUsageError(
        `cannot write the trace file ${values.trace}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  let remote: RemoteRecording | undefined;
  if (values.to !== undefined) {
    try {
      remote = await RemoteRecording.connect(values.to, command, driver.simulated, values.token);
    } catch (err) {
      if (writer) {
        writer.close();
        rmSync(values.trace!, { force: true });
      }
      throw new LaunchError(err instanceof Error ? err.message : String(err), LAUNCH_EXIT.FAILED);
    }
  }
  const onOps = (ops: OpRecord[]): void => {
    tl.append(ops);
    remote?.add(ops);
    if (writer && !traceError) {
      try {
        writer.write(ops);
      } catch (err) {
        traceError = err instanceof Error ? err.message : String(err);
      }
    }
  };

  const t0 = performance.now();
  let launched;
  try {
    launched = launch({
      command: command[0]!,
      args: command.slice(1),
      env: io.env,
      driver,
      stdio: 'inherit',
      hostCalls: values['host-calls'] === true,
    });
  } catch (err) {
    if (writer) {
      writer.close();
      rmSync(values.trace!, { force: true });
    }
    throw err;
  }
  const rec = new Recording(launched.dir, { onOps, rootPid: launched.child.pid });
  const timer = setInterval(() => rec.poll(), DRAIN_MS);
  const pushTimer = remote
    ? setInterval(() => {
        const h = rec.lastHarvest();
        const extra: Parameters<RemoteRecording['flush']>[0] = {
          processes: rec.processes().map(processView),
        };
        if (h) extra.nowNs = h.ns + (performance.now() - h.readAt) * 1e6;
        remote!.flush(extra);
      }, REMOTE_PUSH_MS)
    : undefined;
  // Ctrl-C reaches the whole foreground process group: the program decides what it does with it,
  // and xpuscope stays to collect what it leaves. A signal meant for xpuscope alone is passed on.
  const forward = (sig: NodeJS.Signals) => () => {
    if (sig !== 'SIGINT') launched.child.kill(sig);
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  let ended: ChildExit;
  try {
    ended = await new Promise<ChildExit>((resolve, reject) => {
      launched.child.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          new LaunchError(
            `${command[0]}: cannot start it (${err.code ?? err.message})`,
            err.code === 'ENOENT' ? LAUNCH_EXIT.NOT_FOUND : LAUNCH_EXIT.NOT_EXECUTABLE,
          ),
        );
      });
      launched.child.once('exit', (code, signal) => resolve(childExit(code, signal)));
    });
  } finally {
    clearInterval(timer);
    if (pushTimer) clearInterval(pushTimer);
    for (const [s, h] of handlers) process.off(s, h);
  }
  const wallMs = performance.now() - t0;
  const exit = ended.exit;
  rec.finish({ pid: launched.child.pid, end: ended.end });
  rmSync(launched.dir, { recursive: true, force: true });
  if (writer) {
    try {
      writer.close();
    } catch (err) {
      traceError ??= err instanceof Error ? err.message : String(err);
    }
  }
  if (remote) {
    await remote.finish(rec.processes().map(processView), exit, wallMs);
    if (remote.error) io.stderr.write(`xpuscope record: streaming to ${values.to} failed: ${remote.error}\n`);
    else if (remote.dropped)
      io.stderr.write(
        `xpuscope record: ${remote.dropped} operations were not sent to ${values.to} (the server fell behind); the local recording has them\n`,
      );
  }
  const extra: Parameters<typeof summarize>[2] = { command, driver, exit, wallMs };
  if (values.trace && !traceError) extra.trace = values.trace;
  const summary = summarize(tl, rec.processes(), extra);
  io.stderr.write(formatSummary(summary));
  if (traceError)
    io.stderr.write(`xpuscope record: writing the trace file ${values.trace} failed: ${traceError}\n`);
  if (values.json) {
    try {
      writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`);
    } catch (err) {
      io.stderr.write(
        `xpuscope record: cannot write ${values.json}: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    }
  }
  return exit.code;
}
