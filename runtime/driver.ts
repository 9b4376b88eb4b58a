// Driver choice shared by the CLI and the app: which Level Zero driver set the loader is pointed at.
// The loader reads ZE_ENABLE_ALT_DRIVERS once, at the first zeInit of the process, so the choice is
// applied to process.env before that and is frozen afterwards.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** `/dev/dri/renderD*` nodes, with whether this process may open them read-write. */
export function renderNodes(): { path: string; accessible: boolean }[] {
  let names: string[];
  try {
    names = readdirSync('/dev/dri').filter((n) => n.startsWith('renderD'));
  } catch {
    return [];
  }
  return names.sort().map((n) => {
    const path = join('/dev/dri', n);
    let accessible = true;
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
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
    : 'no GPU render node (/dev/dri/renderD*) found';
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
  return choice ? { ...choice } : configureDriver();
}

/** Apply the choice to process.env right before the first zeInit, and freeze it. */
export function applyDriverChoice(): DriverChoice {
  const c = currentDriverChoice();
  if (!frozen && c.mode === 'sim' && c.simDriverPath) {
    process.env.ZE_ENABLE_ALT_DRIVERS = c.simDriverPath;
    if (c.profiles) process.env.XPUSIM_PROFILE = c.profiles.join(',');
  }
  frozen = true;
  return c;
}

export function isDriverFrozen(): boolean {
  return frozen;
}
