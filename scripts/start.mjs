#!/usr/bin/env node
// `npm start`: build, then open the desktop app when the Electron binary and a display are present;
// otherwise say why and run `xpuscope serve` instead, so it does its job on a headless GPU server too.
// Extra arguments go to the app / server, e.g. `npm start -- --driver sim --port 8080`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const passthrough = process.argv.slice(2);

const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('[start] the build failed (see above); fix it and run `npm start` again.');
  process.exit(1);
}

/** Absolute path of the Electron binary, or why there is none. */
function electronBinary() {
  const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      why: 'the Electron binary is not installed (npm ci ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1 or could not download it)',
    };
  }
  const exe = join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? { exe } : { why: `the Electron binary ${exe} is missing` };
}

const electron = electronBinary();
const hasDisplay =
  process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
let child;
if (electron.exe && hasDisplay) {
  console.log('[start] opening the xpuscope desktop app');
  child = spawn(electron.exe, [join(root, 'dist', 'electron', 'main.cjs'), ...passthrough], {
    cwd: root,
    stdio: 'inherit',
  });
} else {
  const why = electron.exe ? 'there is no display (DISPLAY / WAYLAND_DISPLAY unset)' : electron.why;
  console.log(`[start] not opening the desktop window: ${why}.`);
  console.log('[start] serving the same UI over HTTP instead — open the URL below in a browser.');
  child = spawn(process.execPath, [join(root, 'bin', 'xpuscope.js'), 'serve', ...passthrough], {
    cwd: root,
    stdio: 'inherit',
  });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
