#!/usr/bin/env node
// One-step set-up behind `npm start` and `npm test`: OS prerequisites (installed with apt-get when we
// are root on Debian/Ubuntu, otherwise we stop with the exact command), then npm dependencies
// (`npm ci` when node_modules is missing or older than package-lock.json). Plain Node only.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingFor, hasCommand } from './prereqs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const purpose = args.includes('--for') ? args[args.indexOf('--for') + 1] : 'start';
const quiet = args.includes('--quiet');
const log = (msg) => {
  if (!quiet) console.log(`[setup] ${msg}`);
};

function ensureOsPackages() {
  const missing = missingFor(purpose === 'test' ? 'test' : 'start');
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  for (const m of missing)
    console.log(`[setup] missing: ${m.name} — ${m.why} (Debian/Ubuntu package ${m.pkg})`);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && hasCommand('apt-get')) {
    console.log(`[setup] installing with apt-get: ${pkgs.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install =
      update.status === 0 &&
      spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env });
    const still = missingFor(purpose === 'test' ? 'test' : 'start');
    if (install && install.status === 0 && still.length === 0) return;
    console.error(`[setup] apt-get could not install everything: ${still.map((m) => m.pkg).join(' ')}`);
    if (still.every((m) => m.optional)) return warnOptional(still);
  } else if (missing.every((m) => m.optional)) return warnOptional(missing);
  console.error('[setup] xpuscope needs these OS packages. Install them and run the command again:');
  console.error(`    sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`);
  process.exit(1);
}

/** Optional prerequisites (a test suite that needs them skips, saying why): go on without them. */
function warnOptional(missing) {
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  console.warn(
    `[setup] going on without ${pkgs.join(' ')}: the tests that need it are skipped, with the reason`,
  );
  console.warn(`    to run them: sudo apt-get install -y ${pkgs.join(' ')}`);
}

function lockHash() {
  return createHash('sha256')
    .update(readFileSync(join(root, 'package-lock.json')))
    .digest('hex');
}

function ensureNodeModules() {
  const stamp = join(root, 'node_modules', '.xpuscope-lock-hash');
  const want = lockHash();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  log('installing npm dependencies (npm ci)…');
  const env = { ...process.env };
  let r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0 && !env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    // The usual cause on build machines: Electron's postinstall cannot download its binary.
    console.log(
      '[setup] npm ci failed; retrying without the Electron binary (ELECTRON_SKIP_BINARY_DOWNLOAD=1).',
    );
    console.log('[setup] The desktop window will be unavailable; `npm start` then serves the UI over HTTP.');
    r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
    });
  }
  if (r.status !== 0) {
    console.error(
      '[setup] npm ci failed (see above). Check network access to the npm registry, then run it again.',
    );
    process.exit(1);
  }
  writeFileSync(stamp, want);
}

ensureOsPackages();
ensureNodeModules();
log('prerequisites present');
