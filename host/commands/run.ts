// `xpuscope run`: run one of the concurrency scenarios (runtime/scenarios) and explain the result.
//
// Usage: xpuscope run <scenario> [scenario options] [--device N] [--trace FILE] [--json]
//                     [--driver auto|system|sim] [--profile NAMES]
//        xpuscope run --list [--json]
//
// Scenario options are the scenario's parameters in kebab-case (`--streams 4 --kernels 8
// --duration-ms 2`); `xpuscope run --list` shows them all with defaults and ranges. The human output
// is an aligned summary, per-stream and per-engine busy tables and the explanation sentence; on a TTY a
// progress bar appears on stderr for runs longer than a second. `--json` prints the ScenarioResult
// (schema "xpuscope.scenario/1", protocol/views.ts, plus `details` and `calibration`). `--trace FILE`
// also writes the run's operations as Chrome trace JSON (Perfetto, chrome://tracing, `xpuscope trace
// import`).
//
// Exit codes: 0 the scenario ran; 1 it could not run (no device, runtime or driver failure);
//             2 usage error (unknown scenario or option, parameter out of range).
import { parseArgs } from 'node:util';
import type { DriverRequest } from '../../protocol/devices.js';
import type { ScenarioInfo, ScenarioResult } from '../../protocol/views.js';

export interface CommandIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
}

export const RUN_EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** Parameter name → option name: durationMs → duration-ms, sizeMB → size-mb. */
export function optionName(param: string): string {
  return param.replace(/([a-z0-9])([A-Z]+)/g, '$1-$2').toLowerCase();
}

export class CommandUsageError extends Error {}

/** Driver request from --driver / XPUSCOPE_DRIVER (as the main CLI does). */
export function driverFrom(flag: string | undefined, env: Record<string, string | undefined>): DriverRequest {
  const v = flag ?? (env.XPUSCOPE_DRIVER?.trim() ? env.XPUSCOPE_DRIVER : 'auto')!;
  const d = v.trim().toLowerCase();
  if (d === 'auto' || d === 'system' || d === 'sim') return d;
  throw new CommandUsageError(
    `invalid driver '${v}' (from ${flag !== undefined ? '--driver' : 'XPUSCOPE_DRIVER'}): expected auto, system or sim`,
  );
}

export async function configure(
  driverFlag: string | undefined,
  profileFlag: string | undefined,
  env: Record<string, string | undefined>,
): Promise<typeof import('../../runtime/index.js')> {
  const rt = await import('../../runtime/index.js');
  const driver = driverFrom(driverFlag, env);
  if (profileFlag !== undefined && profileFlag.trim() === '')
    throw new CommandUsageError("option '--profile' needs at least one profile name");
  const profile = profileFlag ?? (env.XPUSIM_PROFILE?.trim() ? env.XPUSIM_PROFILE : undefined);
  const opts: { driver: DriverRequest; profile?: string } = { driver };
  if (profile !== undefined) opts.profile = profile;
  try {
    rt.configureDriver(opts);
  } catch (err) {
    throw new CommandUsageError(err instanceof Error ? err.message : String(err));
  }
  return rt;
}

function paramHelp(info: ScenarioInfo): string {
  return info.params
    .map((p) => {
      const range =
        p.type === 'enum'
          ? (p.options ?? []).join('|')
          : `${p.min ?? ''}…${p.max ?? ''}${p.unit ? ` ${p.unit}` : ''}`;
      return `    --${optionName(p.name).padEnd(14)} ${p.label} (${range}; default ${p.default})`;
    })
    .join('\n');
}

export async function runUsage(): Promise<string> {
  const { listScenarios } = await import('../../runtime/scenarios/index.js');
  const list = listScenarios();
  return `Usage: xpuscope run <scenario> [scenario options] [--device N] [--trace FILE] [--json]
                    [--driver auto|system|sim] [--profile NAMES]
       xpuscope run --list [--json]

Run a scenario that shows how work on several streams runs on the GPU, measured with device
timestamps, and explain the result (speed-up, concurrency, per-stream and per-engine busy time).
Kernel durations are calibrated per device on first use, so 2 ms means 2 ms on real hardware too.

Scenarios and their options:
${list.map((s) => `  ${s.name} — ${s.title}\n${paramHelp(s)}`).join('\n')}

Options:
  --device N     Device index (default 0)
  --trace FILE   Also write the run's operations as Chrome trace JSON (open in ui.perfetto.dev)
  --json         Print the result as JSON (schema "xpuscope.scenario/1")
  --list         List the scenarios (with --json: their ScenarioInfo)

Exit codes: 0 ran; 1 could not run (no device, driver failure); 2 usage error.
`;
}

function fmtNs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return 'n/a';
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

function wrap(text: string, width: number, indent = ''): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

function table(headers: string[], rows: string[][], alignRight: boolean[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((c, i) => (alignRight[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}

/** The human-readable rendering of a scenario result. */
export function formatScenarioResult(r: ScenarioResult, header?: string): string {
  const out: string[] = [];
  if (header) out.push(header);
  out.push(`Scenario ${r.name} on device ${r.device}: ${r.deviceName}`);
  out.push(
    `Parameters: ${Object.entries(r.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  out.push('');
  const summary: Array<[string, string]> = [
    ['wall time (first start → last end)', fmtNs(r.wallNs)],
    ['serial sum of operation times', fmtNs(r.serialNs)],
    ['speed-up (serial / wall)', `${r.speedup.toFixed(2)}×`],
    ['concurrency (mean ops running)', r.concurrency.toFixed(2)],
    ['submit→start p50', fmtNs(r.submitToStartP50Ns)],
    ['operations recorded', String(r.opCount)],
  ];
  const w = Math.max(...summary.map(([k]) => k.length));
  for (const [k, v] of summary) out.push(`  ${k.padEnd(w)}  ${v}`);
  out.push('');
  out.push(
    table(
      ['STREAM', 'BUSY'],
      r.streams.map((s) => [s.label, `${s.busyPct.toFixed(1)}%`]),
      [false, true],
    ),
  );
  out.push('');
  out.push(
    table(
      ['ENGINE', 'BUSY'],
      r.engines.map((e) => [e.label, `${e.busyPct.toFixed(1)}%`]),
      [false, true],
    ),
  );
  out.push('');
  out.push(wrap(r.explanation, 100));
  return `${out.join('\n')}\n`;
}

/** A one-line progress bar on a TTY, shown only once the run has taken more than `afterMs`. */
export function progressBar(
  stream: CommandIo['stderr'],
  afterMs = 1000,
): { update(done: number, total: number): void; stop(): void } {
  const t0 = performance.now();
  let shown = false;
  let last = { done: 0, total: 0 };
  const draw = (): void => {
    const width = 30;
    const frac = last.total > 0 ? Math.min(1, last.done / last.total) : 0;
    const filled = Math.round(frac * width);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    stream.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${last.done}/${last.total} submitted, ${secs} s`,
    );
    shown = true;
  };
  const timer = setInterval(() => {
    if (performance.now() - t0 >= afterMs) draw();
  }, 200);
  timer.unref();
  return {
    update(done, total) {
      last = { done, total };
      if (performance.now() - t0 >= afterMs) draw();
    },
    stop() {
      clearInterval(timer);
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}

/**
 * `--streams -1` → `--streams=-1` for the options that take a number, so that a negative value gets the
 * same range message as any other bad number instead of parseArgs' "argument is ambiguous".
 */
export function joinNegativeValues(argv: readonly string[], valued: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--') && valued.has(a.slice(2)) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export async function runCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    return await runMain(argv, io);
  } catch (err) {
    if (err instanceof CommandUsageError) {
      io.stderr.write(`xpuscope run: ${err.message}\n(see: xpuscope run --help)\n`);
      return RUN_EXIT.USAGE;
    }
    io.stderr.write(`xpuscope run: ${err instanceof Error ? err.message : String(err)}\n`);
    return RUN_EXIT.FAILURE;
  }
}

async function runMain(argv: readonly string[], io: CommandIo): Promise<number> {
  const sc = await import('../../runtime/scenarios/index.js');
  const infos = sc.listScenarios();
  const paramOptions: Record<string, { type: 'string' }> = {};
  const optionToParam = new Map<string, string>();
  for (const s of infos) {
    for (const p of s.params) {
      paramOptions[optionName(p.name)] = { type: 'string' };
      optionToParam.set(optionName(p.name), p.name);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, new Set([...Object.keys(paramOptions), 'device'])),
      strict: true,
      allowPositionals: true,
      options: {
        ...paramOptions,
        device: { type: 'string' },
        trace: { type: 'string' },
        json: { type: 'boolean' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        driver: { type: 'string' },
        profile: { type: 'string' },
      },
    });
  } catch (err) {
    throw new CommandUsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) {
    io.stdout.write(await runUsage());
    return RUN_EXIT.OK;
  }
  if (v.list) {
    if (positionals.length > 0) throw new CommandUsageError(`unexpected argument '${positionals[0]}'`);
    if (v.json) io.stdout.write(`${JSON.stringify(infos, null, 2)}\n`);
    else {
      for (const s of infos) {
        io.stdout.write(`${s.name} — ${s.title}\n${wrap(s.summary, 96, '  ')}\n${paramHelp(s)}\n\n`);
      }
    }
    return RUN_EXIT.OK;
  }
  const name = positionals[0];
  if (name === undefined)
    throw new CommandUsageError('missing scenario name (xpuscope run --list shows them)');
  if (positionals.length > 1) throw new CommandUsageError(`unexpected argument '${positionals[1]}'`);
  const info = infos.find((s) => s.name === name);
  if (!info) {
    throw new CommandUsageError(
      `unknown scenario '${name}' (scenarios: ${infos.map((s) => s.name).join(', ')})`,
    );
  }
  const own = new Set(info.params.map((p) => optionName(p.name)));
  const params: Record<string, string> = {};
  for (const [opt, param] of optionToParam) {
    const value = v[opt];
    if (value === undefined) continue;
    if (!own.has(opt)) throw new CommandUsageError(`option '--${opt}' is not a parameter of '${name}'`);
    params[param] = String(value);
  }
  let device = 0;
  if (v.device !== undefined) {
    const m = /^(?:xpu:)?(\d{1,4})$/.exec(String(v.device).trim());
    if (!m)
      throw new CommandUsageError(
        `device must be an integer from 0 to 9999 (or xpu:N), got ${JSON.stringify(String(v.device))}.`,
      );
    device = Number(m[1]);
  }
  const trace = v.trace === undefined ? undefined : String(v.trace);
  if (trace !== undefined && trace.trim() === '')
    throw new CommandUsageError("option '--trace' needs a file name");
  try {
    sc.checkScenario(name, params);
  } catch (err) {
    const e = err as Error & { hint?: string };
    throw new CommandUsageError(`${e.message}${e.hint ? ` (${e.hint})` : ''}`);
  }

  const rt = await configure(
    v.driver === undefined ? undefined : String(v.driver),
    v.profile === undefined ? undefined : String(v.profile),
    io.env,
  );
  const list = rt.xpu.listDevices();
  if (list.devices.length === 0) {
    io.stderr.write(
      `xpuscope run: no device: ${list.problem ? `${list.problem.title}\n  ${list.problem.detail}` : 'no Level Zero device found'}\n${list.problem?.hint ? `  Hint: ${list.problem.hint}\n` : ''}`,
    );
    return RUN_EXIT.FAILURE;
  }
  if (device >= list.devices.length) {
    throw new CommandUsageError(
      `device ${device} does not exist (${list.devices.length} device(s): 0…${list.devices.length - 1})`,
    );
  }
  const bar = io.stderr.isTTY === true && !v.json ? progressBar(io.stderr) : undefined;
  let run;
  try {
    run = await sc.runScenario(name, {
      device,
      params,
      ...(bar
        ? { onProgress: (p: { submitted: number; total: number }) => bar.update(p.submitted, p.total) }
        : {}),
    });
  } catch (err) {
    const e = err as Error & { hint?: string; code?: string };
    if (e.name === 'ScenarioParamError') throw new CommandUsageError(e.message);
    io.stderr.write(`xpuscope run: ${name} failed: ${e.message}\n${e.hint ? `  Hint: ${e.hint}\n` : ''}`);
    return RUN_EXIT.FAILURE;
  } finally {
    bar?.stop();
  }
  if (trace !== undefined) {
    const { writeChromeTrace } = await import('../../runtime/trace/index.js');
    try {
      const d = list.devices[device]!;
      writeChromeTrace(trace, run.records, { deviceNames: { [device]: `GPU${device} ${d.name}` } });
    } catch (err) {
      io.stderr.write(
        `xpuscope run: cannot write ${trace}: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return RUN_EXIT.FAILURE;
    }
  }
  if (v.json) {
    io.stdout.write(`${JSON.stringify(run.result, null, 2)}\n`);
  } else {
    const sim = list.driver.simulated || list.driver.mode === 'sim';
    const header = sim ? 'Driver: SIMULATED (xpusim) — these are not real GPUs' : undefined;
    io.stdout.write(formatScenarioResult(run.result, header));
    if (trace !== undefined)
      io.stdout.write(`Trace written to ${trace} (${run.records.length} operations)\n`);
  }
  return RUN_EXIT.OK;
}
