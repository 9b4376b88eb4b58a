// Bundles the Electron side with esbuild into dist/electron/:
//   main.cjs     main process (package.json "main")
//   utility.cjs  the service in a utilityProcess (host/service.ts + runtime/, koffi stays external)
//   preload.cjs  the sandboxed preload: ONE CommonJS file (a sandboxed preload cannot be ESM and can
//                only require electron/events/timers/url)
// The sources are ESM TypeScript that locate files with import.meta.url (host/paths.ts,
// runtime/driver.ts walk up to package.json); in the CJS bundles import.meta.url is defined as the
// bundle's own file URL, so those walks start in dist/electron/ and still find the package root.
// main also hands the utility process XPUSCOPE_SIM_DRIVER (absolute path) for packaged layouts.
import { build, context } from 'esbuild';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'electron');

/** esbuild options for the three bundles (exported for tests/electron/bundle.test.ts). */
export function electronBuilds() {
  const importMetaUrl = {
    banner: { js: "const __xpuscope_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__xpuscope_import_meta_url' },
  };

  /** @type {import('esbuild').BuildOptions} */
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    sourcemap: 'linked',
    logLevel: 'warning',
    absWorkingDir: root,
    outExtension: { '.js': '.cjs' },
    outdir,
    // electron is provided by the runtime; koffi finds its native package relative to its own file;
    // ws has optional native add-ons. None may be bundled.
    external: ['electron', 'koffi', 'ws', 'bufferutil', 'utf-8-validate'],
  };

  /** @type {import('esbuild').BuildOptions[]} */
  return [
    {
      ...common,
      ...importMetaUrl,
      entryPoints: { main: 'electron/main.ts', utility: 'electron/utility.ts' },
    },
    {
      ...common,
      entryPoints: { preload: 'electron/preload.ts' },
      // The sandboxed preload's require() knows only a few modules: nothing but electron stays external.
      external: ['electron'],
      platform: 'browser',
      mainFields: ['browser', 'module', 'main'],
    },
  ];
}

async function main() {
  const watch = process.argv.includes('--watch');
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  if (watch) {
    for (const options of electronBuilds()) await (await context(options)).watch();
    console.log('build-electron: watching');
  } else {
    await Promise.all(electronBuilds().map((options) => build(options)));
    console.log(
      `build-electron: wrote ${['main.cjs', 'utility.cjs', 'preload.cjs'].map((f) => join('dist/electron', f)).join(', ')}`,
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
