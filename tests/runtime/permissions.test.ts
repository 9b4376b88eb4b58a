// Issue 8: "/dev/dri not permitted" → NO_PERMISSION. The render-node directory can be overridden
// (XPUSCOPE_DRI_DIR) and accessibility is decided from the mode bits against the process's uid and
// groups (uid 0 always may open a node: CAP_DAC_OVERRIDE), so it is testable without a GPU.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modeAllowsReadWrite, renderNodes } from '../../runtime/driver.js';
import { cleanEnv, ROOT, RUNTIME, runChild, type Json } from './helpers/child.js';

/** runChild as another user (helpers/child.ts has no uid option). */
function runAs(uid: number, gid: number, body: string, env: NodeJS.ProcessEnv): Json {
  const script = `const { xpu } = await import(${JSON.stringify(RUNTIME)}); ${body}`;
  const hooks = join(dirname(fileURLToPath(import.meta.url)), 'helpers', 'register-ts.mjs');
  const r = spawnSync(process.execPath, ['--import', hooks, '--input-type=module', '-e', script], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
    uid,
    gid,
  });
  const m = /@@RESULT@@(.*)\n/.exec(r.stdout ?? '');
  if (!m?.[1]) throw new Error(`child produced no result: ${r.stdout} ${r.stderr}`);
  return JSON.parse(m[1]) as Json;
}

/**
 * Whether an unprivileged user can reach the checkout (every ancestor directory searchable by
 * "other"). A checkout under a private directory (e.g. `mktemp -d`, mode 0700) cannot be loaded by
 * uid 65534, so the end-to-end check is skipped there; the permission logic is still covered above.
 */
function checkoutReachableByOthers(): boolean {
  for (let dir = ROOT; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dirname(dir) === dir) return true;
  }
}

function fakeDri(mode: number, gid = 0): string {
  const dir = mkdtempSync(join(tmpdir(), 'xpuscope-dri-'));
  chmodSync(dir, 0o755);
  const node = join(dir, 'renderD128');
  writeFileSync(node, '');
  chmodSync(node, mode);
  if (process.getuid?.() === 0) chownSync(node, 0, gid);
  return dir;
}

describe('render node permissions', () => {
  it('modeAllowsReadWrite follows owner, then group, then other; root always may', () => {
    const node = { mode: 0o020660, uid: 0, gid: 109 }; // crw-rw---- root:render
    expect(modeAllowsReadWrite(node, { uid: 1000, gids: [1000] })).toBe(false);
    expect(modeAllowsReadWrite(node, { uid: 1000, gids: [1000, 109] })).toBe(true);
    expect(modeAllowsReadWrite(node, { uid: 0, gids: [0] })).toBe(true);
    expect(modeAllowsReadWrite({ mode: 0o666, uid: 0, gid: 0 }, { uid: 1000, gids: [] })).toBe(true);
    expect(modeAllowsReadWrite({ mode: 0o640, uid: 0, gid: 109 }, { uid: 1000, gids: [109] })).toBe(false);
    // the owner class decides for the owner even when "other" would allow more
    expect(modeAllowsReadWrite({ mode: 0o066, uid: 1000, gid: 5 }, { uid: 1000, gids: [5] })).toBe(false);
    expect(modeAllowsReadWrite({ mode: 0o000, uid: 1000, gid: 5 }, { uid: 0, gids: [] })).toBe(true);
  });

  it('renderNodes reads XPUSCOPE_DRI_DIR and judges each node for the given credentials', () => {
    const dir = fakeDri(0o660, 109);
    const prev = process.env.XPUSCOPE_DRI_DIR;
    process.env.XPUSCOPE_DRI_DIR = dir;
    try {
      expect(renderNodes({ uid: 1000, gids: [1000] })).toEqual([
        { path: join(dir, 'renderD128'), accessible: false },
      ]);
      if (process.getuid?.() === 0) expect(renderNodes({ uid: 1000, gids: [109] })[0]?.accessible).toBe(true);
      expect(renderNodes()[0]?.accessible).toBe(process.getuid?.() === 0);
    } finally {
      if (prev === undefined) delete process.env.XPUSCOPE_DRI_DIR;
      else process.env.XPUSCOPE_DRI_DIR = prev;
    }
  });

  it.skipIf(process.getuid?.() !== 0 || !checkoutReachableByOthers())(
    'a non-root user facing mode-000 render nodes with the Intel driver installed gets NO_PERMISSION',
    () => {
      const dir = fakeDri(0o000);
      const lib = mkdtempSync(join(tmpdir(), 'xpuscope-lib-'));
      chmodSync(lib, 0o755);
      writeFileSync(join(lib, 'libze_intel_gpu.so.1'), ''); // "installed" (never loadable)
      const r = runAs(
        65534,
        65534,
        `process.stdout.write('\\n@@RESULT@@' + JSON.stringify({ uid: process.getuid(), list: xpu.listDevices() }) + '\\n');`,
        cleanEnv({ XPUSCOPE_DRIVER: 'system', XPUSCOPE_DRI_DIR: dir, LD_LIBRARY_PATH: lib, HOME: '/tmp' }),
      );
      expect(r.uid).toBe(65534);
      expect(r.list.devices).toEqual([]);
      expect(r.list.problem.code).toBe('NO_PERMISSION');
      expect(r.list.problem.detail).toContain(join(dir, 'renderD128'));
      expect(r.list.problem.hint).toMatch(/usermod -aG render/);
      // The same setup as root is not a permission problem.
      const root = runChild<Json>(
        `done(xpu.listDevices().problem);`,
        cleanEnv({ XPUSCOPE_DRIVER: 'system', XPUSCOPE_DRI_DIR: dir, LD_LIBRARY_PATH: lib }),
      );
      expect(root.code).toBe('NO_DRIVER');
    },
  );
});
