// The built renderer as static files: only from its directory (no `..`/`.` segments raw or
// percent-encoded, no backslash or NUL, no symlink leading out of it), with a content type per
// extension, long caching for the hashed `assets/`, and a page that says "build it" when index.html
// is missing.
import { createReadStream, promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { HttpResponder } from './http-responses.js';

/** WebSocket path of the API (a plain GET there gets 426). */
export const WS_PATH = '/ws';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function notBuiltPage(staticDir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xpuscope — renderer not built</title></head>
<body>
<h1>xpuscope is running, but its user interface has not been built</h1>
<p>The server found no <code>index.html</code> in <code>${escapeHtml(staticDir)}</code>.</p>
<p>The renderer has not been built: run npm run build (or npm run build:renderer), then reload this page.</p>
<p>The WebSocket API at <code>${WS_PATH}</code> works regardless.</p>
</body></html>
`;
}

/** GET/HEAD of a file under `staticDir` (the caller has checked Host and the method). */
export async function serveStaticFile(
  req: IncomingMessage,
  res: ServerResponse,
  staticDir: string,
  http: HttpResponder,
): Promise<void> {
  const rawUrl = req.url ?? '/';
  const rawPath = rawUrl.split('?', 1)[0] ?? '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return http.sendText(req, res, 400, 'Bad request path.\n');
  }
  if (
    !decoded.startsWith('/') ||
    decoded.includes('\0') ||
    decoded.includes('\\') ||
    decoded.split('/').some((segment) => segment === '..' || segment === '.')
  ) {
    return http.sendText(req, res, 400, 'Bad request path.\n');
  }
  if (decoded === WS_PATH)
    return http.sendText(req, res, 426, 'This is the WebSocket endpoint: connect with a WebSocket client.\n');

  const relativePath = decoded === '/' ? 'index.html' : decoded.slice(1);
  const file = resolve(staticDir, relativePath);
  const rel = relative(staticDir, file);
  if (rel.startsWith('..') || isAbsolute(rel)) return http.sendText(req, res, 400, 'Bad request path.\n');

  let real: string;
  let size: number;
  try {
    real = await fsp.realpath(file);
    const realRoot = await fsp.realpath(staticDir);
    if (real !== realRoot && !real.startsWith(realRoot + sep))
      return http.sendText(req, res, 404, 'Not found.\n');
    const stat = await fsp.stat(real);
    if (!stat.isFile()) return http.sendText(req, res, 404, 'Not found.\n');
    size = stat.size;
  } catch {
    if (relativePath === 'index.html')
      return http.sendText(req, res, 503, notBuiltPage(staticDir), 'text/html; charset=utf-8');
    return http.sendText(req, res, 404, 'Not found.\n');
  }

  const type = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
  const immutable = relativePath.startsWith('assets/');
  res.writeHead(200, {
    ...http.securityHeaders(req),
    'Content-Type': type,
    'Content-Length': String(size),
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(real);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
