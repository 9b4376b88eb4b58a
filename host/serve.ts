// `xpuscope serve`: the built renderer over HTTP plus the service over a WebSocket at `/ws`, for GPU
// servers and headless machines (open the printed URL in any browser, e.g. through an SSH tunnel).
//
// Security model (a local web server is reachable by every page the user's browser opens):
// - binds 127.0.0.1 by default; a non-loopback `host` requires a random token (`?token=…` in the URL,
//   presented by the WebSocket as the `token` query parameter of `/ws`);
// - `Host` must name a loopback address/name and our port (defeats DNS rebinding), unless a
//   non-loopback `host` was given (then the token protects us);
// - a WebSocket `Origin`, when present, must be the origin we serve (defeats drive-by pages); clients
//   that are not browsers send no Origin and are accepted;
// - static files only from the renderer directory (no `..`, no symlinks out of it), GET/HEAD only,
//   CSP + nosniff on every response, no CORS headers;
// - messages are bounded (MAX_MESSAGE_BYTES gets an error reply, twice that closes the socket);
// - `GET /download/<32 hex>` serves a file `trace.export` prepared, once (the id is a 128-bit secret,
//   forgotten when first used); `POST /upload` takes a trace file for `trace.import`, size-limited and
//   checked like the WebSocket (Host, Origin, token).
//
// Process model: by default the service (runtime, koffi, the GPU driver) runs in a child process
// (host/service-process.ts + service-child.ts, like the Electron app's utility process), restarted when
// it dies; this process only does HTTP, WebSocket and the transfer files. `inProcess: true` (or a
// `service` passed in) keeps everything in this process.
//
// Events: JSON events go out as text frames; `timeline.batch` goes out as a binary frame holding the
// encoded batch as-is (protocol/timeline-batch.ts) — clients treat every binary frame as a batch.
// Backpressure: while a socket has more than BACKPRESSURE_BYTES queued, the capture skips counters for
// it and coalesces its batches (nothing is lost: its next batch carries everything since its cursor, and
// `dropped` counts what the ring evicted meanwhile). A client that does not drain — backed up for
// STALLED_MS on end, or more than MAX_BUFFERED_BYTES queued (replies are not coalesced) — is disconnected
// with close code 1013 (try again later), so one stuck browser tab cannot hold server memory.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { STATUS_CODES, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { MAX_MESSAGE_BYTES } from '../protocol/contract.js';
import type { DriverRequest } from '../protocol/devices.js';
import { defaultStaticDir } from './paths.js';
import { ServiceProcess, type HostedService, type ServiceProcessOptions } from './service-process.js';
import {
  TransferRegistry,
  createService,
  type EventMessage,
  type ReplyMessage,
  type ServiceOptions,
} from './service.js';

export interface ServeOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind (default 127.0.0.1). A non-loopback address turns on the access token. */
  host?: string;
  /** Directory of the built renderer (default: the package's dist/renderer). */
  staticDir?: string;
  /** Driver selection handed to the service (see ServiceOptions). */
  driver?: DriverRequest;
  profile?: string;
  /**
   * Let pages launch programs to record (record.start). Off by default: a page that can start processes
   * is a remote shell for anyone who can reach it (SECURITY.md).
   */
  allowLaunch?: boolean;
  /** Use this service instead of creating one (it is then not closed by `close()`). */
  service?: HostedService;
  /**
   * Run the service in this process instead of a child process (default false: a child process that
   * is restarted when the driver crashes it). For tests and tools that need direct access.
   */
  inProcess?: boolean;
  /** Restart policy and child settings of the service process (ignored in-process). */
  serviceProcess?: Pick<
    ServiceProcessOptions,
    'maxRestarts' | 'restartWindowMs' | 'restartDelayMs' | 'modulePath' | 'execArgv' | 'env' | 'hangTimeoutMs'
  >;
  /** Log sink for one-line messages (default: none). */
  log?: (line: string) => void;
  /** Largest accepted `POST /upload` body (default 512 MiB). */
  maxUploadBytes?: number;
  /**
   * Per-connection request rate limit (token bucket): `perSecond` sustained, `burst` at once. Requests
   * over it get a RATE_LIMITED error reply; a client that keeps flooding (10 refusals in a row) is
   * disconnected (1008). Default 200/s, burst 400 — far above what the UI sends.
   */
  rateLimit?: { perSecond: number; burst: number };
  /** Capture settings for the service we create (e.g. a streamed trace file). */
  capture?: ServiceOptions['capture'];
  /** Download/upload registry shared with a service passed in `service` (created otherwise). */
  transfers?: TransferRegistry;
  /**
   * Slow-client limits (defaults: backed up above 4 MiB queued, disconnected with 1013 after 15 s backed
   * up or above 64 MiB queued). Tests shorten them.
   */
  slowClient?: { backpressureBytes?: number; stalledMs?: number; maxBufferedBytes?: number };
  /**
   * Serve only `GET /metrics` (Prometheus text; host/metrics.ts): no UI, no WebSocket — for headless
   * GPU servers (`xpuscope serve --metrics-only`).
   */
  metricsOnly?: boolean;
  /** Re-run diagnostics levels 1–2 this often (ms), so `xpuscope_diagnostic_result` stays current. */
  diagEveryMs?: number;
}

export interface RunningServer {
  /** URL to open, e.g. `http://127.0.0.1:34567/` (with `?token=…` when a token is required). */
  url: string;
  /** The Prometheus endpoint, e.g. `http://127.0.0.1:34567/metrics` (with `?token=…` when required). */
  metricsUrl: string;
  /** WebSocket URL of the API, e.g. `ws://127.0.0.1:34567/ws` (with `?token=…` when required). */
  wsUrl: string;
  port: number;
  /** The address actually bound. */
  host: string;
  /** The access token, when the server is bound to a non-loopback address. */
  token: string | undefined;
  service: HostedService;
  /** The service's child process (pid, restarts) unless it runs in this process. */
  serviceProcess: ServiceProcess | undefined;
  /** Stop listening, close every connection, close the service if we created it. */
  close(): Promise<void>;
}

/** WebSocket path of the API. */
export const WS_PATH = '/ws';

const DEFAULT_RATE_LIMIT = { perSecond: 200, burst: 400 };
const RATE_LIMIT_DISCONNECT_AFTER = 10;

/** A token bucket per connection: refills `perSecond`, holds at most `burst`. */
class RateLimiter {
  private tokens: number;
  private last = performance.now();
  refusedInARow = 0;
  constructor(private readonly limit: { perSecond: number; burst: number }) {
    this.tokens = limit.burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusedInARow = 0;
      return true;
    }
    this.refusedInARow++;
    return false;
  }
}

/** The request id of a raw frame, for an error reply without parsing it in full (-1 when unreadable). */
function requestIdOf(data: RawData): number {
  const text = Buffer.isBuffer(data) ? data.subarray(0, 256).toString('utf8') : '';
  const m = /"id"\s*:\s*(\d{1,15})/.exec(text);
  return m ? Number(m[1]) : -1;
}

/** Frames up to this size reach the service (which answers TOO_LARGE above MAX_MESSAGE_BYTES); larger ones close the socket (1009). */
const WS_MAX_PAYLOAD = 2 * MAX_MESSAGE_BYTES;
/** Close a client that does not read its pushes: this much queued (replies are never coalesced)… */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** …or backed up (above BACKPRESSURE_BYTES) this long without draining below it. */
const STALLED_MS = 15_000;
const HEARTBEAT_MS = 30_000;
/** Above this much queued output a socket counts as backed up (batches coalesce, counters skipped). */
export const BACKPRESSURE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
const DOWNLOAD_RE = /^\/download\/([a-f0-9]{32})$/;
export const UPLOAD_PATH = '/upload';
export const METRICS_PATH = '/metrics';

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

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1'
  );
}

function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '';
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A host name to print for a wildcard bind: the first external IPv4 address, else the host name. */
function externalHostName(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (!info.internal && info.family === 'IPv4') return info.address;
    }
  }
  return osHostname();
}

/** Split a Host header (`name:port`, `[v6]:port`, `name`) into lower-case name and port. */
function parseHostHeader(value: string): { name: string; port: number | null } | null {
  if (!/^[A-Za-z0-9.\-:[\]]{1,255}$/.test(value)) return null;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m || m[1] === undefined) return null;
  return { name: m[1].toLowerCase(), port: m[2] === undefined ? null : Number(m[2]) };
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Why a request is refused, or null when it may proceed. */
interface Refusal {
  status: number;
  message: string;
}

export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const bindHost = options.host ?? '127.0.0.1';
  const loopbackOnly = isLoopbackHost(bindHost);
  const token = loopbackOnly ? undefined : randomBytes(24).toString('base64url');
  const staticDir = resolve(options.staticDir ?? defaultStaticDir());
  const log = options.log ?? (() => {});
  const ownService = options.service === undefined;
  const ownTransfers = options.transfers === undefined;
  const transfers = options.transfers ?? new TransferRegistry();
  const maxUpload = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const serviceOptions: ServiceOptions = { transfers };
  if (options.driver !== undefined) serviceOptions.driver = options.driver;
  if (options.profile !== undefined) serviceOptions.profile = options.profile;
  if (options.capture !== undefined) serviceOptions.capture = options.capture;
  if (options.allowLaunch !== undefined) serviceOptions.allowLaunch = options.allowLaunch;
  let serviceProcess: ServiceProcess | undefined;
  // The service process is started once the port is ours (no driver loaded for a port in use);
  // nothing reaches `service` before that.
  let service: HostedService | undefined =
    options.service ?? (options.inProcess === true ? createService(serviceOptions) : undefined);
  const startServiceProcess = (): HostedService => {
    const processOptions: ServiceProcessOptions = { ...options.serviceProcess, transfers, log };
    if (options.driver !== undefined) processOptions.driver = options.driver;
    if (options.profile !== undefined) processOptions.profile = options.profile;
    if (options.capture !== undefined) processOptions.capture = options.capture;
    if (options.allowLaunch !== undefined) processOptions.allowLaunch = options.allowLaunch;
    serviceProcess = new ServiceProcess(processOptions);
    return serviceProcess;
  };
  let port = 0;

  async function closeService(): Promise<void> {
    if (serviceProcess) await serviceProcess.close();
    else service?.close();
  }

  /** Host header check (DNS rebinding): loopback names with our port, unless bound to a non-loopback host. */
  function checkHost(req: IncomingMessage): Refusal | null {
    const value = req.headers.host;
    if (value === undefined) return { status: 400, message: 'Missing Host header.' };
    const parsed = parseHostHeader(value);
    if (!parsed) return { status: 400, message: 'Malformed Host header.' };
    if (!loopbackOnly) return null; // the token protects non-loopback binds
    if (!isLoopbackHost(parsed.name) || (parsed.port ?? 80) !== port) {
      return {
        status: 403,
        message: `Host "${value}" is not this server (expected 127.0.0.1:${port} or localhost:${port}).`,
      };
    }
    return null;
  }

  /** Origin check (drive-by pages): absent, or exactly the origin we serve this request as. */
  function checkOrigin(req: IncomingMessage): Refusal | null {
    const origin = req.headers.origin;
    if (origin === undefined) return null;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return { status: 403, message: 'Malformed Origin header.' };
    }
    let expected: string;
    try {
      expected = new URL(`http://${(req.headers.host ?? '').toLowerCase()}`).origin;
    } catch {
      return { status: 400, message: 'Malformed Host header.' };
    }
    if (parsed.protocol !== 'http:' || parsed.origin !== expected) {
      return { status: 403, message: `Origin "${origin}" may not use this server.` };
    }
    return null;
  }

  function checkToken(url: URL): Refusal | null {
    if (token === undefined) return null;
    const given = url.searchParams.get('token');
    if (given === null || !safeEqual(given, token)) {
      return {
        status: 401,
        message: 'Missing or wrong access token (open the URL that xpuscope serve printed).',
      };
    }
    return null;
  }

  function securityHeaders(req: IncomingMessage): Record<string, string> {
    const host = req.headers.host ?? `${urlHost(bindHost)}:${port}`;
    return {
      'Content-Security-Policy': `default-src 'self'; connect-src 'self' ws://${host}; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'`,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Resource-Policy': 'same-origin',
      // Browsers honour COOP only on trustworthy origins (loopback or https) and log an error elsewhere.
      ...(loopbackOnly ? { 'Cross-Origin-Opener-Policy': 'same-origin' } : {}),
    };
  }

  function sendText(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: string,
    type = 'text/plain; charset=utf-8',
  ): void {
    const buf = Buffer.from(body, 'utf8');
    res.writeHead(status, {
      ...securityHeaders(req),
      'Content-Type': type,
      'Content-Length': String(buf.length),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : buf);
  }

  const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xpuscope — renderer not built</title></head>
<body>
<h1>xpuscope is running, but its user interface has not been built</h1>
<p>The server found no <code>index.html</code> in <code>${escapeHtml(staticDir)}</code>.</p>
<p>The renderer has not been built: run npm run build (or npm run build:renderer), then reload this page.</p>
<p>The WebSocket API at <code>${WS_PATH}</code> works regardless.</p>
</body></html>
`;

  async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const rawPath = rawUrl.split('?', 1)[0] ?? '/';
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return sendText(req, res, 400, 'Bad request path.\n');
    }
    if (
      !decoded.startsWith('/') ||
      decoded.includes('\0') ||
      decoded.includes('\\') ||
      decoded.split('/').some((segment) => segment === '..' || segment === '.')
    ) {
      return sendText(req, res, 400, 'Bad request path.\n');
    }
    if (decoded === WS_PATH)
      return sendText(req, res, 426, 'This is the WebSocket endpoint: connect with a WebSocket client.\n');

    const relativePath = decoded === '/' ? 'index.html' : decoded.slice(1);
    const file = resolve(staticDir, relativePath);
    const rel = relative(staticDir, file);
    if (rel.startsWith('..') || isAbsolute(rel)) return sendText(req, res, 400, 'Bad request path.\n');

    let real: string;
    let size: number;
    try {
      real = await fsp.realpath(file);
      const realRoot = await fsp.realpath(staticDir);
      if (real !== realRoot && !real.startsWith(realRoot + sep))
        return sendText(req, res, 404, 'Not found.\n');
      const stat = await fsp.stat(real);
      if (!stat.isFile()) return sendText(req, res, 404, 'Not found.\n');
      size = stat.size;
    } catch {
      if (relativePath === 'index.html')
        return sendText(req, res, 503, notBuiltPage, 'text/html; charset=utf-8');
      return sendText(req, res, 404, 'Not found.\n');
    }

    const type = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
    const immutable = relativePath.startsWith('assets/');
    res.writeHead(200, {
      ...securityHeaders(req),
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

  function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    sendText(req, res, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8');
  }

  /** GET /download/<id>: the file once, as an attachment; then it is deleted. */
  async function serveDownload(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    // No token check: the id itself is a one-time 128-bit secret handed out over the (checked) WebSocket,
    // so a plain link/navigation from the page works in token mode too.
    if (req.method === 'HEAD') return sendText(req, res, 405, 'Use GET: a download can be fetched once.\n');
    const entry = transfers.takeDownload(id);
    if (!entry) return sendText(req, res, 404, 'This download is unknown, expired or already fetched.\n');
    let size: number;
    try {
      size = (await fsp.stat(entry.path)).size;
    } catch {
      return sendText(req, res, 404, 'This download is no longer available.\n');
    }
    const safeName = entry.filename.replace(/[^A-Za-z0-9._-]/g, '_');
    res.writeHead(200, {
      ...securityHeaders(req),
      'Content-Type': 'application/json',
      'Content-Length': String(size),
      'Content-Disposition': `attachment; filename="${safeName}"`,
      'Cache-Control': 'no-store',
    });
    const stream = createReadStream(entry.path);
    const cleanup = (): void => {
      fsp.rm(entry.path, { force: true }).catch(() => {});
    };
    stream.on('error', () => {
      cleanup();
      res.destroy();
    });
    res.on('close', cleanup);
    stream.pipe(res);
    log(`download ${id.slice(0, 8)}… (${size} bytes)`);
  }

  /** POST /upload: store the body (≤ maxUpload bytes) and answer `{ upload: <id>, bytes }`. */
  function serveUpload(req: IncomingMessage, res: ServerResponse): void {
    const refused = checkOrigin(req) ?? checkToken(new URL(req.url ?? '/', 'http://localhost'));
    if (refused) {
      log(`refused upload from ${req.socket.remoteAddress ?? '?'}: ${refused.message}`);
      req.resume();
      return sendJson(req, res, refused.status, { error: { code: 'FORBIDDEN', message: refused.message } });
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    const tooLarge = (): void => {
      res.setHeader('Connection', 'close');
      sendJson(req, res, 413, {
        error: {
          code: 'TOO_LARGE',
          message: `Upload exceeds the limit of ${maxUpload} bytes.`,
          hint: 'Import the file with the desktop app or `xpuscope trace import FILE` instead.',
        },
      });
    };
    if (Number.isFinite(declared) && declared > maxUpload) {
      req.resume();
      return tooLarge();
    }
    const { id, path } = transfers.newFile('upload.json');
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    let bytes = 0;
    let failed = false;
    const fail = (status: number, message: string): void => {
      if (failed) return;
      failed = true;
      out.destroy();
      fsp.rm(path, { force: true }).catch(() => {});
      if (status === 413) tooLarge();
      else if (!res.headersSent) sendJson(req, res, status, { error: { code: 'UPLOAD_FAILED', message } });
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      bytes += chunk.length;
      if (bytes > maxUpload) {
        req.unpipe(out);
        fail(413, 'too large');
        req.resume();
      }
    });
    req.on('aborted', () => fail(400, 'The upload was interrupted.'));
    out.on('error', (err) => fail(500, `Could not store the upload: ${err.message}`));
    out.on('finish', () => {
      if (failed) return;
      transfers.registerUpload(id, path);
      log(`upload ${id.slice(0, 8)}… (${bytes} bytes)`);
      sendJson(req, res, 201, { upload: id, bytes });
    });
    req.pipe(out);
  }

  /**
   * `GET /metrics`: Host checked as for everything; with a token (non-loopback bind) Prometheus presents
   * it as `Authorization: Bearer <token>` (its `authorization` scrape setting), or `?token=`; compared in
   * constant time. The text comes from the service (cached ≤ 500 ms there, bounded wait here).
   */
  async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (token !== undefined) {
      const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const given = auth ?? new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
      if (given === null || given === undefined || !safeEqual(given, token)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="xpuscope"');
        return sendText(req, res, 401, 'Missing or wrong access token (Authorization: Bearer <token>).\n');
      }
    }
    const svc = service;
    const text = svc ? await svc.metricsText() : '# xpuscope: starting\n';
    res.writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  const server = createServer((req, res) => {
    const refused = checkHost(req);
    if (refused) {
      log(`refused HTTP ${req.method ?? '?'} ${req.url ?? ''}: ${refused.message}`);
      return sendText(req, res, refused.status, `${refused.message}\n`);
    }
    const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (pathname === METRICS_PATH) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return sendText(req, res, 405, 'Method not allowed.\n');
      }
      serveMetrics(req, res).catch(() => {
        if (!res.headersSent) sendText(req, res, 500, 'Internal error.\n');
        else res.destroy();
      });
      return;
    }
    if (options.metricsOnly) {
      return sendText(req, res, 404, 'This server only serves /metrics (xpuscope serve --metrics-only).\n');
    }
    if (pathname === UPLOAD_PATH) {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return sendText(req, res, 405, 'Method not allowed.\n');
      }
      return serveUpload(req, res);
    }
    const download = DOWNLOAD_RE.exec(pathname);
    if (download?.[1] !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      serveDownload(req, res, download[1]).catch(() => {
        if (!res.headersSent) sendText(req, res, 500, 'Internal error.\n');
        else res.destroy();
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(req, res, 405, 'Method not allowed.\n');
    }
    serveStatic(req, res).catch(() => {
      if (!res.headersSent) sendText(req, res, 500, 'Internal error.\n');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false });

  function rejectUpgrade(socket: Duplex, refusal: Refusal): void {
    const body = `${refusal.message}\n`;
    socket.end(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}\r\n` +
        'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return rejectUpgrade(socket, { status: 400, message: 'Bad request path.' });
    }
    const refusal =
      (options.metricsOnly
        ? { status: 404, message: 'This server only serves /metrics (xpuscope serve --metrics-only).' }
        : null) ??
      (url.pathname === WS_PATH
        ? null
        : { status: 404, message: `No WebSocket endpoint here; use ${WS_PATH}.` }) ??
      checkHost(req) ??
      checkOrigin(req) ??
      checkToken(url);
    if (refusal) {
      log(
        `refused WebSocket from ${req.socket.remoteAddress ?? '?'} (origin ${req.headers.origin ?? 'none'}): ${refusal.message}`,
      );
      return rejectUpgrade(socket, refusal);
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const alive = new WeakMap<WebSocket, boolean>();

  const backpressureBytes = options.slowClient?.backpressureBytes ?? BACKPRESSURE_BYTES;
  const stalledMs = options.slowClient?.stalledMs ?? STALLED_MS;
  const maxBufferedBytes = options.slowClient?.maxBufferedBytes ?? MAX_BUFFERED_BYTES;

  let nextClient = 1;
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    log(`client connected: ${peer}`);
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));

    // 1013 "try again later": the close frame queues behind what the client has not read, and ws
    // destroys the socket if the closing handshake does not finish (30 s), so its memory is freed.
    const tooSlow = (why: string): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      log(`client ${peer} disconnected: too slow (${why})`);
      ws.close(1013, 'client too slow');
    };

    const send = (message: ReplyMessage | EventMessage): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > maxBufferedBytes) {
        tooSlow(`more than ${maxBufferedBytes} bytes queued`);
        return;
      }
      if ('event' in message && message.event === 'timeline.batch') {
        const data = message.data as ArrayBuffer;
        ws.send(Buffer.from(data, 0, data.byteLength), { binary: true });
        return;
      }
      ws.send(JSON.stringify(message));
    };
    const svc = service;
    if (!svc) {
      ws.close(1013, 'starting');
      return;
    }
    // `?batches=0`: a client that reads no timeline (xpuscope record --to) is not sent one.
    const wantsBatches = new URL(req.url ?? '/', 'http://localhost').searchParams.get('batches') !== '0';
    // Each connection is its own client: its captures view (captures.select, imports) is its own.
    const client = nextClient++;
    const unsubscribe = svc.on(send, {
      ready: () => ws.readyState === WebSocket.OPEN && ws.bufferedAmount < backpressureBytes,
      client,
      ...(wantsBatches ? {} : { batches: false }),
    });
    // Backed up = more than backpressureBytes queued; the capture then stops pushing to it, so a client
    // that reads at all drains below that quickly. One that stays backed up for stalledMs is not reading.
    let backedUpSince: number | undefined;
    const stallCheck = setInterval(
      () => {
        if (ws.bufferedAmount < backpressureBytes) backedUpSince = undefined;
        else if (backedUpSince === undefined) backedUpSince = performance.now();
        else if (performance.now() - backedUpSince >= stalledMs)
          tooSlow(`${ws.bufferedAmount} bytes unread for ${stalledMs} ms`);
      },
      Math.max(10, Math.min(1000, stalledMs / 4)),
    );
    stallCheck.unref();

    const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
    ws.on('message', (data: RawData) => {
      if (!limiter.take()) {
        if (limiter.refusedInARow >= RATE_LIMIT_DISCONNECT_AFTER) {
          log(`client ${peer} disconnected: request flood`);
          ws.close(1008, 'rate limit exceeded');
          return;
        }
        send({
          id: requestIdOf(data),
          error: {
            code: 'RATE_LIMITED',
            message: 'Too many requests on this connection; this one was not run.',
            hint: 'Slow down and retry; the UI never sends this many requests.',
          },
        });
        return;
      }
      svc.handle(data, { client }).then(send, () => {});
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      clearInterval(stallCheck);
      unsubscribe();
      log(`client disconnected: ${peer}`);
    });
  });

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolveListen, rejectListen) => {
    const onError = (err: Error): void => rejectListen(err);
    server.once('error', onError);
    server.listen(options.port ?? 0, bindHost, () => {
      server.off('error', onError);
      resolveListen();
    });
  }).catch(async (err: unknown) => {
    clearInterval(heartbeat);
    if (ownService) await closeService();
    if (ownTransfers) transfers.close();
    throw err;
  });

  service ??= startServiceProcess();
  const hosted = service;
  const address = server.address() as AddressInfo;
  port = address.port;
  const shownHost = isWildcardHost(bindHost) ? externalHostName() : bindHost;
  const base = `http://${urlHost(shownHost)}:${port}`;
  const query = token === undefined ? '' : `?token=${token}`;

  // `--diag-every`: diagnostics levels 1–2 now and then periodically, for xpuscope_diagnostic_result.
  let diagTimer: NodeJS.Timeout | undefined;
  if (options.diagEveryMs !== undefined && options.diagEveryMs > 0) {
    const runDiag = (): void => {
      hosted.call('diag.run', { level: 2 }).then(
        (r) => log(`diagnostics level 2: ${r.summary.fail} failed, ${r.summary.warn} warnings`),
        (err: unknown) => log(`diagnostics did not run: ${err instanceof Error ? err.message : String(err)}`),
      );
    };
    runDiag();
    diagTimer = setInterval(runDiag, options.diagEveryMs);
    diagTimer.unref();
  }

  let closing: Promise<void> | undefined;
  return {
    url: `${base}/${query}`,
    metricsUrl: `${base}${METRICS_PATH}${query}`,
    wsUrl: `ws://${urlHost(shownHost)}:${port}${WS_PATH}${query}`,
    port,
    host: address.address,
    token,
    service: hosted,
    serviceProcess,
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        if (diagTimer) clearInterval(diagTimer);
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        const closed = new Promise<void>((done) => server.close(() => done()));
        server.closeAllConnections();
        // The service first (the child flushes the trace file), then the transfer folder it wrote into.
        if (ownService) await closeService();
        if (ownTransfers) transfers.close();
        await closed;
      })();
      return closing;
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
