// Where the package lives on disk, found from this file's own location so that it works both from the
// TypeScript sources (host/, under vitest) and from the build (dist/host/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | null | undefined;

/** The directory holding xpuscope's package.json, or null when it cannot be found (e.g. in a bundle). */
export function packageRoot(): string | null {
  if (cachedRoot !== undefined) return cachedRoot;
  cachedRoot = null;
  let dir: string;
  try {
    // In a CommonJS bundle import.meta.url may be undefined: then we simply do not know.
    const url = import.meta.url as string | undefined;
    if (!url) return cachedRoot;
    dir = dirname(fileURLToPath(url));
  } catch {
    return cachedRoot;
  }
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown };
        if (pkg.name === 'xpuscope') {
          cachedRoot = dir;
          return cachedRoot;
        }
      } catch {
        // not ours; keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return cachedRoot;
}

let cachedVersion: string | undefined;

/** xpuscope's version from package.json ("0.0.0-unknown" when package.json cannot be read). */
export function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  cachedVersion = '0.0.0-unknown';
  const root = packageRoot();
  if (root) {
    try {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') cachedVersion = pkg.version;
    } catch {
      // keep the fallback
    }
  }
  return cachedVersion;
}

/** Default directory of the built renderer (`dist/renderer` in the package). */
export function defaultStaticDir(): string {
  const root = packageRoot();
  return root ? join(root, 'dist', 'renderer') : join(process.cwd(), 'dist', 'renderer');
}
