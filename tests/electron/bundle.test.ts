// The esbuild bundles (scripts/build-electron.mjs), built in memory: the preload is one CommonJS file
// that requires nothing but electron; main and utility keep electron/koffi/ws external and carry no
// bare import.meta (undefined in CommonJS).
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const script = pathToFileURL(join(import.meta.dirname, '..', '..', 'scripts', 'build-electron.mjs')).href;
const outputs = new Map<string, string>();

function requires(code: string): string[] {
  return [...new Set([...code.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]!))].sort();
}

beforeAll(async () => {
  const { electronBuilds } = (await import(script)) as { electronBuilds: () => BuildOptions[] };
  for (const options of electronBuilds()) {
    const result = await build({ ...options, write: false, sourcemap: false, logLevel: 'silent' });
    for (const file of result.outputFiles) outputs.set(file.path.split('/').pop()!, file.text);
  }
}, 60_000);

describe('electron bundles', () => {
  it('writes main.cjs (package.json "main"), utility.cjs and preload.cjs', () => {
    expect([...outputs.keys()].sort()).toEqual(['main.cjs', 'preload.cjs', 'utility.cjs']);
  });

  it('bundles the preload into one CommonJS file that requires only electron', () => {
    const preload = outputs.get('preload.cjs')!;
    expect(requires(preload)).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    expect(preload).toContain('exposeInMainWorld');
  });

  it('keeps electron, koffi and ws out of main and utility and defines import.meta.url', () => {
    for (const name of ['main.cjs', 'utility.cjs']) {
      const code = outputs.get(name)!;
      expect(code, name).not.toMatch(/\bimport\.meta\b/);
      expect(code, name).toContain('__xpuscope_import_meta_url');
      // Only Node built-ins (bundled libraries such as prom-client name some without node:) and the
      // packages that must stay external.
      for (const id of requires(code))
        expect(isBuiltin(id) || ['electron', 'koffi', 'ws'].includes(id), `${name}: ${id}`).toBe(true);
    }
    expect(requires(outputs.get('main.cjs')!)).toContain('electron');
    expect(outputs.get('main.cjs')).toContain('utility.cjs');
    expect(outputs.get('main.cjs')).toContain('preload.cjs');
    expect(outputs.get('utility.cjs')).not.toContain('node_modules/ws/');
  });
});
