// Starting a program under the collector: finding the command as a shell would, saying clearly why it
// cannot be started or traced, and the environment that injects the collector (LD_PRELOAD appended to
// the user's, ZE_ENABLE_TRACING_LAYER=1, the ring directory, and the driver choice for --driver sim).
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { DriverChoice } from '../../protocol/devices.js';
import { packageRoot } from '../../runtime/driver.js';

/** Exit codes of xpuscope's own failures, as env(1) and timeout(1) use them. */
export const LAUNCH_EXIT = {
  /** xpuscope itself failed: could not inject, collector missing, bad option. */
  FAILED: 125,
  /** The command exists but cannot be executed. */
  NOT_EXECUTABLE: 126,
  /** The command was not found. */
  NOT_FOUND: 127,
} as const;

export class LaunchError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The collector library (`XPUSCOPE_COLLECTOR` overrides, for packaged apps). */
export function collectorPath(env: Record<string, string | undefined> = process.env): string {
  const o = env.XPUSCOPE_COLLECTOR;
  if (o) return isAbsolute(o) ? o : resolve(o);
  return join(packageRoot(), 'native', 'build', 'libxpuscope_collector.so');
}

/** Resolves `command` like execvp: a path when it contains '/', else the first match on PATH. */
export function resolveCommand(
  command: string,
  env: Record<string, string | undefined>,
  cwd: string,
): string {
  if (command === '') throw new LaunchError('no command given', LAUNCH_EXIT.NOT_FOUND);
  const check = (p: string): string => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new LaunchError(`${command}: no such file`, LAUNCH_EXIT.NOT_FOUND);
    }
    if (st.isDirectory()) throw new LaunchError(`${command}: is a directory`, LAUNCH_EXIT.NOT_EXECUTABLE);
    try {
      accessSync(p, constants.X_OK);
    } catch {
      throw new LaunchError(`${command}: permission denied (not executable)`, LAUNCH_EXIT.NOT_EXECUTABLE);
    }
    return p;
  };
  if (command.includes('/')) return check(resolve(cwd, command));
  let denied: LaunchError | undefined;
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const p = resolve(cwd, dir || '.', command);
    if (!existsSync(p)) continue;
    try {
      return check(p);
    } catch (err) {
      if (err instanceof LaunchError && err.exitCode === LAUNCH_EXIT.NOT_EXECUTABLE) denied ??= err;
    }
  }
  if (denied) throw denied;
  throw new LaunchError(`${command}: command not found`, LAUNCH_EXIT.NOT_FOUND);
}

/**
 * What the dynamic linker would do with `path`: 'dynamic' (LD_PRELOAD works), 'static' (an ELF without
 * an interpreter: LD_PRELOAD is ignored), 'setuid' (the loader drops LD_PRELOAD), or 'other' (a
 * script: its interpreter is looked at when it runs).
 */
export function executableKind(path: string): 'dynamic' | 'static' | 'setuid' | 'other' {
  const st = statSync(path);
  if (st.mode & 0o6000) return 'setuid';
  const fd = openSync(path, 'r');
  try {
    const h = Buffer.alloc(64);
    if (readSync(fd, h, 0, 64, 0) < 64 || h.readUInt32BE(0) !== 0x7f454c46) return 'other';
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    const rd16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const rd32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? h.readBigUInt64LE(32) : h.readBigUInt64BE(32)) : rd32(h, 28);
    const phentsize = rd16(h, is64 ? 54 : 42);
    const phnum = rd16(h, is64 ? 56 : 44);
    if (phnum === 0 || phentsize === 0 || phnum > 4096) return 'static';
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (rd32(ph, i * phentsize) === 3) return 'dynamic'; // PT_INTERP
    }
    return 'static';
  } finally {
    closeSync(fd);
  }
}

export interface LaunchSpec {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** The environment the program gets (before the collector's additions); default process.env. */
  env?: Record<string, string | undefined>;
  /** Extra variables for the program (the app's "extra environment"). */
  extraEnv?: Record<string, string>;
  /** Which driver the program is pointed at (a sim choice sets ZE_ENABLE_ALT_DRIVERS). */
  driver: DriverChoice;
  /** stdio of the program: 'inherit' (the CLI) or 'pipe' (the app shows its output). */
  stdio: 'inherit' | 'pipe';
  /** Record the program's Level Zero calls as host spans too. */
  hostCalls?: boolean;
}

export interface Launched {
  child: ChildProcess;
  dir: string;
}

/** The program's environment: its own, plus what injects the collector. */
export function recordEnv(
  spec: Pick<LaunchSpec, 'env' | 'extraEnv' | 'driver' | 'hostCalls'>,
  dir: string,
  collector: string,
): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env ?? process.env)) if (v !== undefined) base[k] = v;
  Object.assign(base, spec.extraEnv ?? {});
  // Appended: the user's own preloads keep their place (and their interposition) before ours.
  base.LD_PRELOAD = base.LD_PRELOAD ? `${base.LD_PRELOAD}:${collector}` : collector;
  base.ZE_ENABLE_TRACING_LAYER = '1';
  base.XPUSCOPE_RECORD_DIR = dir;
  if (spec.hostCalls) base.XPUSCOPE_HOST_CALLS = '1';
  else delete base.XPUSCOPE_HOST_CALLS;
  // xpuscope's own marker of its driver choice must not leak into the program (it names our pid).
  delete base.XPUSCOPE_ZE_APPLIED;
  if (spec.driver.mode === 'sim' && spec.driver.simDriverPath) {
    base.ZE_ENABLE_ALT_DRIVERS = spec.driver.simDriverPath;
    // A profile the user gave the program in its extra environment wins over the default choice.
    if (spec.driver.profiles && spec.extraEnv?.XPUSIM_PROFILE === undefined)
      base.XPUSIM_PROFILE = spec.driver.profiles.join(',');
  }
  return base;
}

/** Checks the command and the collector, makes the ring directory, starts the program. */
export function launch(spec: LaunchSpec): Launched {
  const cwd = spec.cwd ?? process.cwd();
  const env = spec.env ?? process.env;
  const collector = collectorPath(env);
  if (!existsSync(collector))
    throw new LaunchError(
      `the collector library is not built (${collector} is missing); run npm run build:native`,
      LAUNCH_EXIT.FAILED,
    );
  if (spec.driver.mode === 'sim' && spec.driver.simDriverPath && !existsSync(spec.driver.simDriverPath))
    throw new LaunchError(
      `the simulated driver is not built (${spec.driver.simDriverPath} is missing); run npm run build:native`,
      LAUNCH_EXIT.FAILED,
    );
  const path = resolveCommand(spec.command, env, cwd);
  const kind = executableKind(path);
  if (kind === 'static')
    throw new LaunchError(
      `${spec.command} is a statically linked executable: the collector cannot be injected into it ` +
        '(LD_PRELOAD needs the dynamic linker), so it cannot be recorded',
      LAUNCH_EXIT.FAILED,
    );
  if (kind === 'setuid')
    throw new LaunchError(
      `${spec.command} is setuid/setgid: the dynamic linker ignores LD_PRELOAD for it, so it cannot be recorded`,
      LAUNCH_EXIT.FAILED,
    );
  const dir = mkdtempSync(join(tmpdir(), 'xpuscope-record-'));
  const child = spawn(path, [...spec.args], {
    cwd,
    env: recordEnv(spec, dir, collector),
    // The app has no terminal to give the program: its stdin is closed, its output is shown.
    stdio: spec.stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    argv0: spec.command,
  });
  return { child, dir };
}
