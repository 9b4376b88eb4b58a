// The `xpuscope` command line: `devices` for QA scripts and quick checks, `serve` for the browser UI.
// Kept cheap to start: the runtime (koffi + Level Zero) and the server are imported only by the
// commands that need them.
import { parseArgs } from 'node:util';
import type { DeviceList, DeviceSummary, DriverChoice, DriverRequest } from '../protocol/devices.js';
import { formatBytes } from '../protocol/format.js';
import { packageVersion } from './paths.js';

/** Where the CLI writes and what it reads; tests pass their own. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Stops `serve` when aborted (in addition to SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Called by `serve` once it listens (tests use it to learn the URL). */
  onServing?: (server: { url: string; wsUrl: string; port: number; close(): Promise<void> }) => void;
}

/** Exit codes (also in `--help` and host/README.md). */
export const EXIT = {
  OK: 0,
  /** The command ran but found a failure: `devices` found no device, `serve` could not start. */
  FAILURE: 1,
  /** Usage error: unknown command or option, bad option value. */
  USAGE: 2,
} as const;

export const USAGE = `Usage: xpuscope [global options] <command> [options]

Inspect Intel GPUs through Level Zero, or serve the xpuscope UI to a browser.

Commands:
  devices [--json] [--telemetry]  List the Level Zero devices (index, name, type, memory, driver)
  info [DEVICE] [--json]          Every property of one device (default 0), grouped, with its Level Zero query
  diag [--level 1|2|3] [--json] [--junit FILE] [--device N]
                                  Check the driver install: 1 software, 2 functional, 3 performance
  run <scenario> [options]        Run a concurrency scenario and explain the result (run --list;
                                  run <scenario> --help for its parameters)
  record [--trace FILE] [--json FILE] [--] COMMAND [ARGS...]
                                  Run COMMAND and record its GPU work through Level Zero (any program:
                                  SYCL, PyTorch XPU, plain Level Zero); exits with the program's code
  trace import FILE [--json]      Summarise a Chrome/unitrace/PyTorch trace file
  serve [--port N] [--host H]     Serve the UI and its WebSocket API, by default on
                                  http://127.0.0.1:<free port>/ (stop with Ctrl-C)
  help [command]                  Show this help, or a command's

Global options:
  --driver auto|system|sim        Which Level Zero driver to use (default: env XPUSCOPE_DRIVER, else auto)
                                    auto:   the system's Intel GPU driver if present, else the simulator
                                    system: only what the Level Zero loader finds
                                    sim:    only the bundled simulated driver (not real GPUs)
  --profile NAMES                 Simulated device profiles, comma-separated (default: env XPUSIM_PROFILE)
  -h, --help                      Show help (also: xpuscope <command> --help)
  -v, --version                   Print the version

Exit codes:
  0  success (diag: every check passed; warnings and skips allowed)
  1  the command ran but found a failure (devices/info: no device found; diag: a check failed;
     serve: could not start)
  2  usage error (unknown command or option, bad option value); diag: the diagnostics could not run
`;

const COMMAND_HELP: Record<string, string> = {
  devices: `Usage: xpuscope devices [--json] [--telemetry] [--driver auto|system|sim] [--profile NAMES]

List the Level Zero devices: index, name, type, memory and driver version, under a header that says
which driver is in use (and loudly when it is the simulator). When there is no device it explains why
(what failed, why, what to do).

Options:
  --json       Print the device list as JSON (schema "xpuscope.devices/1") instead of a table
  --telemetry  Also read each device's telemetry from Sysman, as torch.xpu does (temperature, GPU
               clock, power draw and busy time over 150 ms, device memory in use); with --json a
               "telemetry" array. What a device does not report says why instead of a number.

Exit codes: 0 at least one device; 1 no device found (also with --json); 2 usage error.
`,
  info: `Usage: xpuscope info [DEVICE] [--json] [--driver auto|system|sim] [--profile NAMES]

Print every property of one device (DEVICE: an index or xpu:N, default 0), grouped as identity,
compute, memory, engines, timestamps and features. Each value names the Level Zero query it comes
from; values the driver does not report are shown as "unavailable" (never guessed).

Options:
  --json     Print the DevicePropertiesView (schema "xpuscope.properties/1", protocol/views.ts):
             { device, name, simulated, groups: [{ name, entries: [{ key, label, value, unit?,
             source, available }] }], raw } instead of the table

Exit codes: 0 printed; 1 no device found or the driver failed; 2 usage error (bad DEVICE, no such device).
`,
  diag: `Usage: xpuscope diag [--level 1|2|3] [--json] [--junit FILE] [--device N]
                     [--driver auto|system|sim] [--profile NAMES]

Diagnose a Level Zero install for QA. Every check reports pass/warn/fail/skip, the measured value,
the expected value or threshold and where it comes from, its duration, and a hint when not passing.

Levels (each includes the ones below it):
  1  software (seconds): loader and its version, driver libraries, discovery environment
     (ZE_ENABLE_ALT_DRIVERS, ZE_AFFINITY_MASK, ZE_FLAT_DEVICE_HIERARCHY…), /dev/dri/renderD* access
     (render group), zeInit and devices, API version and extensions per driver
  2  functional, per device: properties sane, context + immediate command list on every engine,
     device/host/shared allocation, copy H→D→D→H checksums, kernel module build, saxpy result,
     timestamps monotonic and tracking the host clock, streams overlapping as the engine count predicts
  3  performance, per device: copy bandwidth per engine and direction, kernel launch latency — compared
     with expectations derived from the device's own properties (shortfalls warn, with the numbers)

Options:
  --level N      1, 2 or 3 (default 1)
  --device N     Run the device checks on device N only (default: every device)
  --json         Print the report as JSON (schema "xpuscope.diag/1") instead of the table
  --junit FILE   Also write the results as JUnit XML to FILE (one testsuite per level)

With --driver auto (the default) on a machine without an Intel GPU driver, auto falls back to the
simulator and l1.driver-libs fails; pass --driver sim to diagnose the simulator on purpose.

Exit codes: 0 every check passed (warnings and skips allowed); 1 a check failed;
            2 the diagnostics could not run (bad option, no such device, runtime unusable).
`,
  serve: `Usage: xpuscope serve [--port N] [--host H] [--static DIR] [--allow-launch]
                      [--metrics-only] [--diag-every DURATION]
                      [--max-connections N] [--transfer-quota SIZE]
                      [--driver auto|system|sim] [--profile NAMES]

Serve the xpuscope UI (the built renderer) over HTTP and its API over a WebSocket at /ws.
The first line on stdout is exactly "xpuscope serving <url>"; logs follow on stderr.

Options:
  --port N       TCP port (default 0: a free port)
  --host H       Address to bind (default 127.0.0.1). A non-loopback address (e.g. 0.0.0.0) turns on
                 a random access token, printed in the URL as ?token=...; anyone who can reach the
                 port and has the token can use the GPU inspector. Prefer an SSH tunnel.
  --static DIR   Directory of the built renderer (default: dist/renderer in the package)
  --allow-launch Let the page start programs to record (the Record view). Off by default: whoever
                 can use the page can then run any command as you. With --host, anyone with the token.
  --metrics-only Serve only GET /metrics (Prometheus text format): no UI, no WebSocket. For headless
                 GPU servers scraped by Prometheus; with --host, scrapes need the token as
                 "Authorization: Bearer <token>" (Prometheus: authorization: {credentials: ...}).
  --diag-every DURATION
                 Re-run diagnostics levels 1-2 now and every DURATION (e.g. 10m, 1h; at least 10s),
                 so xpuscope_diagnostic_result on /metrics stays current. Off by default.
  --max-connections N
                 WebSocket connections at once (default 64; one per browser tab); more are refused
                 with HTTP 503.
  --transfer-quota SIZE
                 Disk all uploads and exports not yet used may take together (default 1G; e.g.
                 512M, 4G, or bytes). Uploads beyond it get 507, exports an error.

GET /metrics is served in every mode (see host/README.md, "Metrics" for the metric names).

Stops cleanly on SIGINT (Ctrl-C) or SIGTERM. Exit codes: 0 stopped; 1 could not start; 2 usage error.
`,
};

const OPTIONS = {
  driver: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  telemetry: { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
  static: { type: 'string' },
  'allow-launch': { type: 'boolean' },
  'metrics-only': { type: 'boolean' },
  'diag-every': { type: 'string' },
  'max-connections': { type: 'string' },
  'transfer-quota': { type: 'string' },
  level: { type: 'string' },
  junit: { type: 'string' },
  device: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

type OptionName = keyof typeof OPTIONS;
const GLOBAL_OPTIONS: readonly OptionName[] = ['driver', 'profile', 'help', 'version'];
const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  devices: ['json', 'telemetry'],
  info: ['json'],
  diag: ['json', 'level', 'junit', 'device'],
  serve: [
    'port',
    'host',
    'static',
    'allow-launch',
    'metrics-only',
    'diag-every',
    'max-connections',
    'transfer-quota',
  ],
  help: [],
};

class UsageError extends Error {}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Run the CLI with `argv` (without node and script). Resolves to the exit code; never calls process.exit. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`xpuscope: ${err.message}\n\n${USAGE}`);
      return EXIT.USAGE;
    }
    io.stderr.write(
      `xpuscope: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT.FAILURE;
  }
}

/** Global options that take a value, so the command word can be found behind them. */
const VALUE_OPTIONS = new Set(['--driver', '--profile']);

/**
 * Index of the command word in argv (the first positional), skipping global options and their values.
 * `run` and `trace` parse their own options (scenario parameters vary), so they are dispatched on it
 * before the strict parse below.
 */
function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return i;
  }
  return -1;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const at = commandIndex(argv);
  const word = at >= 0 ? argv[at] : undefined;
  if (word === 'record') {
    // Everything after the command word is record's (its options, then the program's command line);
    // global options before it still apply.
    const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
    return (await import('./commands/record.js')).recordCommand(rest, io);
  }
  if (word === 'run' || word === 'trace') {
    const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
    if (word === 'run') return (await import('./commands/run.js')).runCommand(rest, io);
    return (await import('./commands/trace.js')).traceCommand(rest, io);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;

  if (values.version) {
    io.stdout.write(`xpuscope ${packageVersion()}\n`);
    return EXIT.OK;
  }

  const command = positionals[0];
  if (command === undefined) {
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT.OK;
    }
    throw new UsageError('missing command');
  }
  if (!(command in COMMAND_OPTIONS)) throw new UsageError(`unknown command '${command}'`);

  if (command === 'help') {
    const topic = positionals[1];
    if (positionals.length > 2) throw new UsageError(`unexpected argument '${positionals[2]}'`);
    if (topic === undefined) io.stdout.write(USAGE);
    else if (topic === 'record') io.stdout.write((await import('./commands/record.js')).RECORD_USAGE);
    else if (topic === 'run') io.stdout.write(await (await import('./commands/run.js')).runUsage());
    else if (topic === 'trace') io.stdout.write((await import('./commands/trace.js')).TRACE_USAGE);
    else if (COMMAND_HELP[topic] !== undefined) io.stdout.write(COMMAND_HELP[topic]);
    else throw new UsageError(`unknown command '${topic}'`);
    return EXIT.OK;
  }
  if (values.help) {
    io.stdout.write(COMMAND_HELP[command] ?? USAGE);
    return EXIT.OK;
  }
  const maxPositionals = command === 'info' ? 2 : 1;
  if (positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${positionals[maxPositionals]}'`);
  }

  const allowed = new Set<OptionName>([...GLOBAL_OPTIONS, ...(COMMAND_OPTIONS[command] ?? [])]);
  for (const name of Object.keys(values) as OptionName[]) {
    if (values[name] !== undefined && !allowed.has(name)) {
      throw new UsageError(`option '--${name}' is not valid for '${command}'`);
    }
  }

  const driver = parseDriver(values.driver, io.env);
  const profile = values.profile ?? emptyToUndefined(io.env.XPUSIM_PROFILE);
  if (values.profile !== undefined && values.profile.trim() === '')
    throw new UsageError("option '--profile' needs at least one profile name");

  if (command === 'devices')
    return devicesCommand(
      { json: values.json === true, telemetry: values.telemetry === true, driver, profile },
      io,
    );
  if (command === 'info') {
    return infoCommand(
      { json: values.json === true, driver, profile, device: parseDeviceArg(positionals[1]) },
      io,
    );
  }
  if (command === 'diag') {
    return diagCommand(
      {
        json: values.json === true,
        driver,
        profile,
        level: parseLevel(values.level),
        junit: parseJunit(values.junit),
        device: values.device === undefined ? undefined : parseDeviceArg(values.device, '--device'),
      },
      io,
    );
  }
  return serveCommand(
    {
      port: parsePort(values.port),
      host: parseHost(values.host),
      staticDir: values.static,
      driver,
      profile,
      allowLaunch: values['allow-launch'] === true,
      metricsOnly: values['metrics-only'] === true,
      diagEveryMs:
        values['diag-every'] === undefined ? undefined : parseDuration(values['diag-every'], '--diag-every'),
      maxConnections:
        values['max-connections'] === undefined
          ? undefined
          : parseCount(values['max-connections'], '--max-connections'),
      transferQuotaBytes:
        values['transfer-quota'] === undefined
          ? undefined
          : parseSize(values['transfer-quota'], '--transfer-quota'),
    },
    io,
  );
}

/** "90s", "10m", "1h", "500ms" or plain seconds → ms; at least 10 s (a level-2 run takes seconds). */
function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m?.[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = m ? Number(m[1]) * unit : NaN;
  if (!Number.isFinite(ms) || ms < 10_000)
    throw new UsageError(`${what} needs a duration of at least 10s, like 30s, 10m or 1h (got "${text}")`);
  return ms;
}

/** A whole number from 1 to 1,000,000 (decimal digits only). */
function parseCount(text: string, what: string): number {
  const n = /^\d{1,7}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new UsageError(`${what} needs a whole number from 1 to 1000000 (got "${text}")`);
  return n;
}

/** "512M", "1G", "64K" (powers of 1024) or plain bytes; at least 1 MiB. */
function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT])?i?B?$/i.exec(text.trim());
  const unit = m?.[2] === undefined ? 1 : 1024 ** ('KMGT'.indexOf(m[2].toUpperCase()) + 1);
  const bytes = m ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isFinite(bytes) || bytes < 1024 * 1024)
    throw new UsageError(`${what} needs a size of at least 1M, like 512M or 4G (got "${text}")`);
  return bytes;
}

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

function parseDriver(flag: string | undefined, env: Record<string, string | undefined>): DriverRequest {
  const check = (v: string, from: string): DriverRequest => {
    const d = v.trim().toLowerCase();
    if (d === 'auto' || d === 'system' || d === 'sim') return d;
    throw new UsageError(`invalid driver '${v}' (from ${from}): expected auto, system or sim`);
  };
  if (flag !== undefined) return check(flag, '--driver');
  const fromEnv = emptyToUndefined(env.XPUSCOPE_DRIVER);
  return fromEnv === undefined ? 'auto' : check(fromEnv, 'XPUSCOPE_DRIVER');
}

function parseLevel(value: string | undefined): 1 | 2 | 3 {
  if (value === undefined) return 1;
  if (value === '1' || value === '2' || value === '3') return Number(value) as 1 | 2 | 3;
  throw new UsageError(`invalid level '${value}': expected 1, 2 or 3`);
}

function parseJunit(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError("option '--junit' needs a file name");
  return value;
}

/** A device index: N or xpu:N. */
function parseDeviceArg(value: string | undefined, what = 'device'): number {
  if (value === undefined) return 0;
  const m = /^(?:xpu:)?(\d{1,4})$/.exec(value.trim());
  if (!m) throw new UsageError(`invalid ${what} '${value}': expected an index such as 0 or xpu:0`);
  return Number(m[1]);
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`invalid port '${value}': expected an integer from 0 to 65535`);
  }
  return Number(value);
}

function parseHost(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9.\-:[\]%]{1,253}$/.test(value)) throw new UsageError(`invalid host '${value}'`);
  return value.replace(/^\[(.*)\]$/, '$1');
}

// ---- devices ----

interface DevicesArgs {
  json: boolean;
  telemetry?: boolean;
  driver: DriverRequest;
  profile: string | undefined;
}

async function devicesCommand(args: DevicesArgs, io: CliIo): Promise<number> {
  const { configureDriver, xpu } = await import('../runtime/index.js');
  try {
    const opts: { driver: DriverRequest; profile?: string } = { driver: args.driver };
    if (args.profile !== undefined) opts.profile = args.profile;
    configureDriver(opts);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const list = xpu.listDevices();
  const telemetry = args.telemetry ? await readTelemetry(xpu, list.devices) : undefined;
  if (args.json) {
    io.stdout.write(`${JSON.stringify(telemetry ? { ...list, telemetry } : list, null, 2)}\n`);
  } else {
    io.stdout.write(formatDeviceList(list, { color: colorEnabled(io) }));
    if (telemetry) io.stdout.write(formatTelemetry(telemetry));
    if (list.problem) io.stderr.write(formatProblem(list));
  }
  return list.devices.length > 0 ? EXIT.OK : EXIT.FAILURE;
}

/** One device's telemetry: each value, or why it is missing (the runtime's XpuError message). */
export interface DeviceTelemetryReading {
  device: number;
  temperatureC: number | { missing: string };
  clockMHz: number | { missing: string };
  powerW: number | { missing: string };
  utilizationPct: number | { missing: string };
  memoryUsedBytes: number | { missing: string };
}

/** Reads every device through the runtime's torch.xpu telemetry functions (the Counters view's too). */
async function readTelemetry(
  xpu: typeof import('../runtime/index.js').xpu,
  devices: readonly DeviceSummary[],
): Promise<DeviceTelemetryReading[]> {
  const get = async <T>(f: () => T | Promise<T>): Promise<T | { missing: string }> => {
    try {
      return await f();
    } catch (err) {
      return { missing: err instanceof Error ? err.message : String(err) };
    }
  };
  const out: DeviceTelemetryReading[] = [];
  for (const d of devices) {
    out.push({
      device: d.index,
      temperatureC: await get(() => xpu.temperature(d.index)),
      clockMHz: await get(() => xpu.clockRate(d.index)),
      powerW: await get(() => xpu.powerDraw(d.index)),
      utilizationPct: await get(() => xpu.utilization(d.index)),
      memoryUsedBytes: await get(() => xpu.deviceMemoryUsed(d.index)),
    });
  }
  return out;
}

export function formatTelemetry(readings: readonly DeviceTelemetryReading[]): string {
  const show = (v: number | { missing: string }, f: (n: number) => string): string =>
    typeof v === 'number' ? f(v) : 'not reported';
  let out = '\nTELEMETRY (Sysman)\n';
  for (const r of readings) {
    out += `  ${r.device}: ${show(r.temperatureC, (n) => `${n.toFixed(0)} °C`)} · ${show(r.clockMHz, (n) => `${n.toFixed(0)} MHz`)} · ${show(r.powerW, (n) => `${n.toFixed(1)} W`)} · ${show(r.utilizationPct, (n) => `${n.toFixed(0)} % busy`)} · ${show(r.memoryUsedBytes, (n) => `${formatBytes(n)} in use`)}\n`;
    const why = [r.temperatureC, r.clockMHz, r.powerW, r.utilizationPct, r.memoryUsedBytes].find(
      (v): v is { missing: string } => typeof v !== 'number',
    );
    if (why) out += `     not reported: ${why.missing}\n`;
  }
  return out;
}

function colorEnabled(io: CliIo): boolean {
  return io.stdout.isTTY === true && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}

/** One line naming the driver in use; loud when simulated. */
export function driverLine(driver: DriverChoice, loader?: DeviceList['loader']): string {
  if (driver.simulated || driver.mode === 'sim') {
    const profiles = driver.profiles ?? [];
    const which =
      profiles.length === 0
        ? 'default profile'
        : `${profiles.length === 1 ? 'profile' : 'profiles'} ${profiles.join(', ')}`;
    return `Driver: SIMULATED (xpusim, ${which}) — these are not real GPUs`;
  }
  const lib = loader
    ? `, loader ${loader.library}${loader.version ? ` ${loader.version}` : ''}${loader.loaded ? '' : ' (not loaded)'}`
    : '';
  return `Driver: system Level Zero (${driver.requested === 'auto' ? 'auto' : 'requested'}${lib})`;
}

export function formatMemory(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes) ? '-' : formatBytes(bytes);
}

/** The human-readable device table (header line, reason, then aligned columns). */
export function formatDeviceList(list: DeviceList, opts: { color?: boolean } = {}): string {
  const bold = (s: string): string => (opts.color ? `\u001b[1;33m${s}\u001b[0m` : s);
  let out = '';
  const header = driverLine(list.driver, list.loader);
  out += `${list.driver.simulated ? bold(header) : header}\n`;
  out += `  ${list.driver.reason}\n`;
  if (list.devices.length === 0) return out;
  const rows: string[][] = [['#', 'NAME', 'TYPE', 'MEMORY', 'DRIVER VERSION']];
  for (const d of list.devices) rows.push(deviceRow(d));
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  out += '\n';
  for (const row of rows) {
    out += `${row
      .map((cell, col) =>
        col === 0 ? cell.padStart(widths[col]!) : col === row.length - 1 ? cell : cell.padEnd(widths[col]!),
      )
      .join('  ')}\n`;
  }
  return out;
}

function deviceRow(d: DeviceSummary): string[] {
  return [String(d.index), d.name, d.type, formatMemory(d.totalMemory), d.driverVersion ?? '-'];
}

export function formatProblem(list: DeviceList): string {
  const p = list.problem;
  if (!p) return '';
  const lead = list.devices.length === 0 ? 'No devices' : 'Warning';
  return `\n${lead}: ${p.title}\n  ${p.detail}\n  Hint: ${p.hint}\n`;
}

// ---- serve ----

interface ServeArgs {
  port: number;
  host: string | undefined;
  staticDir: string | undefined;
  driver: DriverRequest;
  profile: string | undefined;
  allowLaunch: boolean;
  metricsOnly: boolean;
  diagEveryMs: number | undefined;
  maxConnections: number | undefined;
  transferQuotaBytes: number | undefined;
}

async function serveCommand(args: ServeArgs, io: CliIo): Promise<number> {
  const { startServer } = await import('./serve.js');
  const log = (line: string): void => {
    io.stderr.write(`[${new Date().toISOString()}] ${line}\n`);
  };
  const options: import('./serve.js').ServeOptions = { port: args.port, driver: args.driver, log };
  if (args.allowLaunch) {
    options.allowLaunch = true;
    io.stderr.write(
      'xpuscope serve: --allow-launch: pages served here may start programs as this user (the Record view).\n',
    );
  }
  if (args.host !== undefined) options.host = args.host;
  if (args.staticDir !== undefined) options.staticDir = args.staticDir;
  if (args.metricsOnly) options.metricsOnly = true;
  if (args.diagEveryMs !== undefined) options.diagEveryMs = args.diagEveryMs;
  if (args.maxConnections !== undefined) options.maxConnections = args.maxConnections;
  if (args.transferQuotaBytes !== undefined) options.transferQuotaBytes = args.transferQuotaBytes;
  if (args.profile !== undefined) options.profile = args.profile;

  let server: import('./serve.js').RunningServer;
  try {
    server = await startServer(options);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint =
      e.code === 'EADDRINUSE'
        ? ' (the port is in use: pick another with --port, or --port 0 for a free one)'
        : e.code === 'EADDRNOTAVAIL'
          ? ' (that address is not on this machine)'
          : e.code === 'EACCES'
            ? ' (ports below 1024 need privileges)'
            : '';
    io.stderr.write(
      `xpuscope: cannot serve on ${args.host ?? '127.0.0.1'}:${args.port}: ${e.message}${hint}\n`,
    );
    return EXIT.FAILURE;
  }

  // Exactly one first line on stdout: scripts (e2e, npm start) parse it.
  io.stdout.write(`xpuscope serving ${args.metricsOnly ? server.metricsUrl : server.url}\n`);
  io.onServing?.(server);
  if (server.token !== undefined) {
    log(
      `bound to ${server.host}: the access token in the URL is required; share it only with people who may use this GPU`,
    );
  }
  void server.service.call('devices.list', {}).then(
    (list) => {
      log(
        `${driverLine(list.driver, list.loader)}; ${list.devices.length} device(s)${list.problem ? ` — ${list.problem.title}` : ''}`,
      );
    },
    (err: unknown) => log(`device enumeration failed: ${err instanceof Error ? err.message : String(err)}`),
  );

  await new Promise<void>((resolveStop) => {
    const stop = (why: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      io.signal?.removeEventListener('abort', onAbort);
      log(`stopping (${why})`);
      resolveStop();
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    const onAbort = (): void => stop('aborted');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (io.signal?.aborted) stop('aborted');
    else io.signal?.addEventListener('abort', onAbort, { once: true });
  });
  await server.close();
  return EXIT.OK;
}

// ---- info ----

interface InfoArgs {
  json: boolean;
  driver: DriverRequest;
  profile: string | undefined;
  device: number;
}

async function setupRuntime(args: {
  driver: DriverRequest;
  profile: string | undefined;
}): Promise<typeof import('../runtime/index.js')> {
  const rt = await import('../runtime/index.js');
  try {
    const opts: { driver: DriverRequest; profile?: string } = { driver: args.driver };
    if (args.profile !== undefined) opts.profile = args.profile;
    rt.configureDriver(opts);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  return rt;
}

async function infoCommand(args: InfoArgs, io: CliIo): Promise<number> {
  const rt = await setupRuntime(args);
  const { deviceInfo, formatInfo } = await import('./info.js');
  const list = rt.xpu.listDevices();
  if (list.devices.length === 0) {
    io.stderr.write(`${driverLine(list.driver, list.loader)}\n${formatProblem(list)}`);
    return EXIT.FAILURE;
  }
  const summary = list.devices.find((d) => d.index === args.device);
  if (!summary) {
    io.stderr.write(
      `xpuscope: device ${args.device} does not exist (${list.devices.length} device(s): 0…${list.devices.length - 1}; see xpuscope devices)\n`,
    );
    return EXIT.USAGE;
  }
  let props;
  try {
    props = rt.xpu.getDeviceProperties(args.device);
  } catch (err) {
    io.stderr.write(
      `xpuscope: cannot read the properties of device ${args.device}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return EXIT.FAILURE;
  }
  const info = deviceInfo(args.device, summary.name, props, summary.simulated);
  if (args.json) {
    io.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
  } else {
    const header = `${driverLine(list.driver, list.loader)}\nDevice ${args.device}: ${summary.name}`;
    io.stdout.write(formatInfo(info, header));
  }
  return EXIT.OK;
}

// ---- diag ----

interface DiagArgs {
  json: boolean;
  driver: DriverRequest;
  profile: string | undefined;
  level: 1 | 2 | 3;
  junit: string | undefined;
  device: number | undefined;
}

async function diagCommand(args: DiagArgs, io: CliIo): Promise<number> {
  const { runDiagnostics, formatReport, toJUnit, ttyProgress } = await import('./diag/index.js');
  const progress = io.stderr.isTTY === true ? ttyProgress(io.stderr) : undefined;
  const opts: import('./diag/index.js').DiagOptions = { level: args.level, driver: args.driver, env: io.env };
  if (args.profile !== undefined) opts.profile = args.profile;
  if (args.device !== undefined) opts.device = args.device;
  let report;
  try {
    report = await runDiagnostics(opts, progress?.onProgress);
  } finally {
    progress?.stop();
  }
  if (args.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const line = report.driver ? driverLine(report.driver) : undefined;
    io.stdout.write(formatReport(report, { color: colorEnabled(io), ...(line ? { driverLine: line } : {}) }));
  }
  if (args.junit !== undefined) {
    const { writeFileSync } = await import('node:fs');
    try {
      writeFileSync(args.junit, toJUnit(report));
    } catch (err) {
      io.stderr.write(
        `xpuscope: cannot write ${args.junit}: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return EXIT.USAGE;
    }
  }
  return report.exitCode;
}
