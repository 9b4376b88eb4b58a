// OS prerequisites shared by `npm start`, `npm test` and `.ci/run`: what each needs, how to detect
// it, and which Debian/Ubuntu package provides it. Plain Node, no dependencies: it runs before
// `npm ci` has installed anything.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Is `name` a shared library the dynamic linker can find? */
export function hasSharedLibrary(name) {
  try {
    const cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (cache.split('\n').some((line) => line.trim().startsWith(name + ' '))) return true;
  } catch {
    // ldconfig missing (non-glibc): fall through to the usual directories.
  }
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  return dirs.some((dir) => existsSync(`${dir}/${name}`));
}

export function hasCommand(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every prerequisite: `why` is printed when it is missing; `for` says which commands need it. */
export const prerequisites = [
  {
    name: 'Level Zero loader (libze_loader.so.1)',
    pkg: 'libze1',
    why: 'xpuscope talks to GPUs through the Level Zero loader',
    for: ['start', 'test'],
    present: () => hasSharedLibrary('libze_loader.so.1'),
  },
  {
    name: 'Level Zero headers (level_zero/ze_api.h)',
    pkg: 'libze-dev',
    why: 'the simulated driver in native/ is compiled against them',
    for: ['start', 'test'],
    present: () =>
      existsSync('/usr/include/level_zero/ze_api.h') && existsSync('/usr/include/level_zero/zes_ddi.h'),
  },
  {
    name: 'C compiler (cc)',
    pkg: 'gcc',
    why: 'builds the simulated driver native/build/libze_xpusim.so',
    for: ['start', 'test'],
    present: () => hasCommand('cc'),
  },
  {
    name: 'make',
    pkg: 'make',
    why: 'drives the native build',
    for: ['start', 'test'],
    present: () => hasCommand('make'),
  },
  {
    name: 'valgrind',
    pkg: 'valgrind',
    why: "the test suite runs the simulated driver's C tests under valgrind's leak checker",
    for: ['test'],
    present: () => hasCommand('valgrind'),
  },
  {
    name: 'Prometheus (/usr/bin/prometheus)',
    pkg: 'prometheus',
    why: "the exporter's tests scrape `xpuscope serve` with a real Prometheus and query its API",
    for: ['test'],
    /** Where it cannot be installed, that suite is skipped with the reason (never counted as passed). */
    optional: true,
    present: () => existsSync('/usr/bin/prometheus'),
  },
  {
    name: 'Chromium (/usr/bin/chromium)',
    pkg: 'chromium',
    why: "the end-to-end tests drive the UI in Debian's Chromium",
    for: ['test'],
    present: () => existsSync('/usr/bin/chromium'),
  },
];

export function missingFor(purpose) {
  return prerequisites.filter((p) => p.for.includes(purpose) && !p.present());
}
