// Driver choice shared by the CLI and the app: which Level Zero driver set the loader is pointed at.
// The loader reads ZE_ENABLE_ALT_DRIVERS once, at the first zeInit of the process, so the choice is
// applied to process.env before that and is frozen afterwards.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverChoice, DriverRequest } from '../protocol/index.js';
import { XpuError } from './errors.js';

export interface DriverOptions {
  driver?: DriverRequest;
  profile?: string;
}

export const INTEL_GPU_DRIVER_LIB = 'libze_intel_gpu.so.1';
const SIM_DRIVER_REL = join('native', 'build', 'libze_xpusim.so');
const STANDARD_LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/usr/lib64',
  '/lib64',
  '/usr/lib',
  '/lib',
  '/usr/local/lib',
];

let choice: DriverChoice | undefined;
let frozen = false;

/**
 * The loader is per process but this module is per thread: the first thread to run zeInit leaves
 * its choice in the environment (tagged with the pid, so child processes, which get a fresh loader,
 * ignore it) and worker threads started later adopt it as frozen.
 */
const APPLIED_ENV = 'XPUSCOPE_ZE_APPLIED';
function adoptProcessChoice(): void {
  if (frozen) return;
  const v = process.env[APPLIED_ENV];
  const sp = v?.indexOf(' ') ?? -1;
  if (!v || sp < 0 || v.slice(0, sp) !== String(process.pid)) return;
  try {
    choice = JSON.parse(v.slice(sp + 1)) as DriverChoice;
    frozen = true;
  } catch {
    /* ignore a malformed marker */
  }
}

/** The package root: the nearest ancestor of this module with xpuscope's package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'xpuscope') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '..');
    dir = up;
  }
}

/** Absolute path of the simulated driver (`XPUSCOPE_SIM_DRIVER` overrides, for packaged apps). */
export function simDriverPath(): string {
  const override = process.env.XPUSCOPE_SIM_DRIVER;
  if (override) return isAbsolute(override) ? override : resolve(override);
  return join(packageRoot(), SIM_DRIVER_REL);
}

/** Where `libze_intel_gpu.so.1` resolves (ld.so cache, LD_LIBRARY_PATH, standard dirs), or undefined. */
export function findIntelGpuDriver(): string | undefined {
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) {
    const p = join(dir, INTEL_GPU_DRIVER_LIB);
    if (existsSync(p)) return p;
  }
  try {
    const out = execFileSync('ldconfig', ['-p'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    for (const line of out.split('\n')) {
      const m = /^\s*(\S+)\s.*=>\s*(\S+)\s*$/.exec(line);
      if (m && m[1] === INTEL_GPU_DRIVER_LIB && m[2]) return m[2];
    }
  } catch {
    /* no ldconfig (or not on PATH): fall through to the standard directories */
  }
  for (const dir of ['/sbin', '/usr/sbin']) {
    try {
      const out = execFileSync(join(dir, 'ldconfig'), ['-p'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
      });
      for (const line of out.split('\n')) {
        const m = /^\s*(\S+)\s.*=>\s*(\S+)\s*$/.exec(line);
        if (m && m[1] === INTEL_GPU_DRIVER_LIB && m[2]) return m[2];
      }
      break;
    } catch {
      /* try the next */
    }
  }
  for (const dir of STANDARD_LIB_DIRS) {
    const p = join(dir, INTEL_GPU_DRIVER_LIB);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The render-node directory: `/dev/dri`, or `XPUSCOPE_DRI_DIR` (tests, containers with a moved /dev). */
export function driDir(): string {
  return process.env.XPUSCOPE_DRI_DIR || '/dev/dri';
}

/** Who is asking: uid and every group id (primary and supplementary). */
export interface Credentials {
  uid: number;
  gids: number[];
}

function processCredentials(): Credentials | undefined {
  if (typeof process.getuid !== 'function') return undefined;
  const gids = new Set<number>([process.getgid?.() ?? -1, process.getegid?.() ?? -1]);
  for (const g of process.getgroups?.() ?? []) gids.add(g);
  gids.delete(-1);
  return { uid: process.geteuid?.() ?? process.getuid(), gids: [...gids] };
}

/**
 * Whether a file with this mode/owner may be opened read-write by `who`, by the permission bits
 * (owner, then group, then other — the first class that matches decides, as the kernel does). uid 0
 * always may (CAP_DAC_OVERRIDE); ACLs and LSMs are not considered.
 */
export function modeAllowsReadWrite(
  st: { mode: number; uid: number; gid: number },
  who: Credentials,
): boolean {
  if (who.uid === 0) return true;
  const bits =
    who.uid === st.uid ? (st.mode >> 6) & 7 : who.gids.includes(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & 6) === 6;
}

/**
 * `/dev/dri/renderD*` nodes (`XPUSCOPE_DRI_DIR` overrides the directory), with whether this process
 * may open them read-write: the permission bits against the process's uid and groups, and access(2)
 * (which also sees ACLs). `who` overrides the credentials (tests); with it only the bits decide.
 */
export function renderNodes(who?: Credentials): { path: string; accessible: boolean }[] {
  const dir = driDir();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith('renderD'));
  } catch {
    return [];
  }
  const creds = who ?? processCredentials();
  return names.sort().map((n) => {
    const path = join(dir, n);
    let accessible = true;
    try {
      if (creds) {
        const st = statSync(path);
        accessible = modeAllowsReadWrite({ mode: st.mode, uid: st.uid, gid: st.gid }, creds);
      }
      if (accessible && !who) accessSync(path, constants.R_OK | constants.W_OK);
    } catch {
      accessible = false;
    }
    return { path, accessible };
  });
}

function parseRequest(value: string | undefined, from: string): DriverRequest {
  const v = (value ?? 'auto').trim().toLowerCase() || 'auto';
  if (v === 'auto' || v === 'system' || v === 'sim') return v;
  throw new XpuError(`Invalid driver '${value}' (from ${from}): expected auto, system or sim.`);
}

/**
 * What `configureDriver(opts)` would choose, without choosing it: for a program xpuscope starts (its
 * own loader reads its own environment), never this process's.
 */
export function resolveDriverChoice(opts: DriverOptions = {}): DriverChoice {
  return decide(opts);
}

function decide(opts: DriverOptions): DriverChoice {
  const requested = opts.driver ?? parseRequest(process.env.XPUSCOPE_DRIVER, 'XPUSCOPE_DRIVER');
  if (opts.driver !== undefined) parseRequest(opts.driver, '--driver');
  const profileText = opts.profile ?? process.env.XPUSIM_PROFILE;
  const profiles = profileText
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const sim = (reason: string): DriverChoice => {
    const c: DriverChoice = {
      requested,
      mode: 'sim',
      simulated: true,
      reason,
      simDriverPath: simDriverPath(),
    };
    if (profiles && profiles.length > 0) c.profiles = profiles;
    return c;
  };
  if (requested === 'system') {
    return {
      requested,
      mode: 'system',
      simulated: false,
      reason: 'system: using the drivers the Level Zero loader finds.',
    };
  }
  if (requested === 'sim') return sim('sim: the simulated Level Zero driver was requested.');
  const lib = findIntelGpuDriver();
  const nodes = renderNodes();
  if (lib && nodes.length > 0) {
    return {
      requested,
      mode: 'system',
      simulated: false,
      reason: `auto: found ${INTEL_GPU_DRIVER_LIB} (${lib}) and ${nodes.length} render node(s), using the system driver.`,
    };
  }
  const why = !lib
    ? `no Intel GPU driver (${INTEL_GPU_DRIVER_LIB}) found`
    : `no GPU render node (${driDir()}/renderD*) found`;
  return sim(`auto: ${why}, using the simulator.`);
}

function sameChoice(a: DriverChoice, b: DriverChoice): boolean {
  return (
    a.mode === b.mode &&
    (a.profiles ?? []).join(',') === (b.profiles ?? []).join(',') &&
    (a.simDriverPath ?? '') === (b.simDriverPath ?? '')
  );
}

/**
 * Pick the driver set (defaults: env XPUSCOPE_DRIVER = auto|system|sim, XPUSIM_PROFILE). Before the
 * first zeInit it may be called again to change the choice; afterwards only the same choice is
 * accepted (the loader has already read its environment).
 */
export function configureDriver(opts: DriverOptions = {}): DriverChoice {
  adoptProcessChoice();
  const next = decide(opts);
  if (frozen && choice) {
    if (!sameChoice(choice, next)) {
      throw new XpuError(
        `Cannot switch the Level Zero driver to '${next.mode}'${next.profiles ? ` (${next.profiles.join(',')})` : ''} after initialization: ` +
          `this process already uses '${choice.mode}'${choice.profiles ? ` (${choice.profiles.join(',')})` : ''}. ` +
          'The loader reads its driver settings once per process; start a new process instead.',
      );
    }
    return { ...choice };
  }
  choice = next;
  return { ...choice };
}

/** The current choice (configuring with defaults if nobody did). */
export function currentDriverChoice(): DriverChoice {
  adoptProcessChoice();
  return choice ? { ...choice } : configureDriver();
}

/** Apply the choice to process.env right before the first zeInit, and freeze it. */
export function applyDriverChoice(): DriverChoice {
  const c = currentDriverChoice();
  // Sysman (free memory, engine activity) needs this at zeInit; an explicit user setting wins.
  if (!frozen && process.env.ZES_ENABLE_SYSMAN === undefined) process.env.ZES_ENABLE_SYSMAN = '1';
  if (!frozen && c.mode === 'sim' && c.simDriverPath) {
    process.env.ZE_ENABLE_ALT_DRIVERS = c.simDriverPath;
    if (c.profiles) process.env.XPUSIM_PROFILE = c.profiles.join(',');
  }
  frozen = true;
  process.env[APPLIED_ENV] = `${process.pid} ${JSON.stringify(c)}`;
  return c;
}
