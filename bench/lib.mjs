// bench/lib.mjs — shared helpers of the benchmark suite (statistics, paths, the C baseline program,
// child processes with peak-RSS, a CLOCK_MONOTONIC_RAW clock for JS, Chromium options).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const root = dirname(benchDir);
export const resultsDir = join(benchDir, 'results');
export const dist = join(root, 'dist');
export const simDriver = join(root, 'native', 'build', 'libze_xpusim.so');
export const spv = join(root, 'native', 'kernels', 'xpuscope.spv');

/** A benchmark that cannot run: the runner prints `not runnable: <reason>` for it (exit code 1). */
export class NotRunnable extends Error {}

export function median(xs) {
  return percentile(xs, 50);
}
/** Nearest-rank percentile (p in 0..100) of a list of numbers. */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const k = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[k];
}

export function requireFile(path, hint) {
  if (!existsSync(path)) throw new NotRunnable(`${path.replace(root + '/', '')} is missing (${hint})`);
}
export function requireDist(rel) {
  requireFile(join(dist, rel), 'build it: npx tsc -b runtime host (or npm run build:ts)');
  return join(dist, rel);
}

/** Environment selecting the simulated driver for a child process (C baseline or node). */
export function simEnv(profile, extra = {}) {
  requireFile(simDriver, 'npm run build:native');
  return {
    ...process.env,
    ZE_ENABLE_ALT_DRIVERS: simDriver,
    XPUSIM_PROFILE: profile,
    XPUSCOPE_DRIVER: 'sim',
    ...extra,
  };
}

/** Compile bench/ze_bench.c (once per source change) and return the binary's path. */
export function zeBench() {
  const src = join(benchDir, 'ze_bench.c');
  const bin = join(resultsDir, 'ze_bench');
  mkdirSync(resultsDir, { recursive: true });
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    requireFile('/usr/include/level_zero/ze_api.h', 'apt-get install libze-dev');
    try {
      execFileSync('cc', ['-O2', '-Wall', '-o', bin, src, '-lze_loader'], { stdio: 'pipe' });
    } catch (e) {
      throw new NotRunnable(
        `cc bench/ze_bench.c failed: ${String(e.stderr ?? e.message)
          .trim()
          .slice(0, 400)}`,
      );
    }
  }
  return bin;
}

/** Run a command; resolve {stdout, stderr, code, wallMs, peakRssKiB} (peak from /proc VmHWM polling and wait4 rusage). */
export function runChild(cmd, args, { env = process.env, cwd = root, timeoutMs = 600_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readStatus(child.pid));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 20);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        stdout,
        stderr,
        code: code ?? (signal ? 128 : 1),
        signal,
        wallMs: Number(process.hrtime.bigint() - t0) / 1e6,
        peakRssKiB: hwm,
      });
    });
  });
}
import { readFileSync } from 'node:fs';
function readStatus(pid) {
  return readFileSync(`/proc/${pid}/status`, 'utf8');
}

/** Last line of stdout parsed as JSON (children print their result as the last line). */
export function lastJson(res, what) {
  const lines = res.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]);
  } catch {
    throw new Error(`${what} exited ${res.code}: ${(res.stderr || res.stdout).trim().slice(-600)}`);
  }
}

/** Run a node script (a bench "child" file) with args; its last stdout line is its JSON result. */
export async function runNodeJson(script, args, opts = {}) {
  const res = await runChild(process.execPath, [script, ...args], opts);
  if (res.code !== 0)
    throw new Error(
      `${script.replace(root + '/', '')} exited ${res.code}: ${(res.stderr || res.stdout).trim().slice(-800)}`,
    );
  return { ...lastJson(res, script), peakRssKiB: res.peakRssKiB, wallMs: res.wallMs };
}

let rawClock;
/** CLOCK_MONOTONIC_RAW in ns (the clock the runtime's OpRecord times are on), through koffi. */
export async function rawNowFn() {
  if (rawClock) return rawClock;
  const koffi = (await import('koffi')).default;
  const libc = koffi.load('libc.so.6');
  const clock_gettime = libc.func('int clock_gettime(int, _Out_ int64_t *ts)');
  const ts = new BigInt64Array(2);
  rawClock = () => {
    clock_gettime(4 /* CLOCK_MONOTONIC_RAW */, ts);
    return Number(ts[0]) * 1e9 + Number(ts[1]);
  };
  return rawClock;
}

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const chromiumPath = '/usr/bin/chromium';

export function fmt(x, digits = 3) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x); // counts stay exact
  if (Math.abs(x) >= 1e6) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
