// Run a snippet in a fresh node process (its own Level Zero loader state and environment).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const RUNTIME = join(ROOT, 'runtime', 'index.ts');
export const SIM_DRIVER = join(ROOT, 'native', 'build', 'libze_xpusim.so');
export const simBuilt = (): boolean => existsSync(SIM_DRIVER);

/** Environment without any driver selection inherited from the test runner. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [
    'ZE_ENABLE_ALT_DRIVERS',
    'XPUSIM_PROFILE',
    'XPUSCOPE_DRIVER',
    'XPUSCOPE_ZE_LOADER',
    'XPUSCOPE_SIM_DRIVER',
    'XPUSCOPE_ZE_APPLIED',
  ]) {
    delete env[k];
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * Runs `body` (an async function body; `xpu`, `rt` (the whole module) are in scope) in a child node
 * process and returns what it passes to `done(value)` (JSON).
 */
export function runChild<T = unknown>(
  body: string,
  env: NodeJS.ProcessEnv = cleanEnv(),
  timeoutMs = 60_000,
): T {
  const script = `
    const rt = await import(${JSON.stringify(RUNTIME)});
    const { xpu } = rt;
    const done = (v) => { process.stdout.write('\\n@@RESULT@@' + JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x.toString() : x) + '\\n'); };
    try { await (async () => { ${body} })(); }
    catch (e) { done({ thrown: { name: e?.name, message: e?.message, stack: e?.stack } }); }
  `;
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      join(dirname(fileURLToPath(import.meta.url)), 'register-ts.mjs'),
      '--input-type=module',
      '-e',
      script,
    ],
    {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: timeoutMs,
    },
  );
  const m = /@@RESULT@@(.*)\n/.exec(r.stdout ?? '');
  if (!m || m[1] === undefined) {
    throw new Error(
      `child produced no result (status ${String(r.status)}, signal ${String(r.signal)})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
  return JSON.parse(m[1]) as T;
}

/** Untyped JSON coming back from a child process. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
