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
//   checked like the WebSocket (Host, Origin, token), with a trace Content-Type (else 415), within a
//   disk quota for all transfer files (else 507); every transfer file expires;
// - bounded load (SECURITY.md lists each limit and its test): connections at once, request and byte
//   rate per connection, request bytes waiting for the service across all connections (BUSY beyond).
//
// The pieces, each its own module under host/serve/: access-checks.ts (Host, Origin, token),
// http-responses.ts (security headers on every response), static-files.ts (the renderer),
// transfer-routes.ts (/download, /upload; the files are host/transfers.ts's), websocket-api.ts (/ws:
// upgrade checks, one client per connection, rate limit, backpressure and slow clients, heartbeat).
//
// Process model: by default the service (runtime, koffi, the GPU driver) runs in a child process
// (host/service-process.ts + service-child.ts, like the Electron app's utility process), restarted when
// it dies; this process only does HTTP, WebSocket and the transfer files. `inProcess: true` (or a
// `service` passed in) keeps everything in this process.
//
// Events: JSON events go out as text frames; `timeline.batch` goes out as a binary frame holding the
// encoded batch as-is (protocol/timeline-batch.ts) — clients treat every binary frame as a batch.
// Slow clients are closed with 1013 (see host/serve/websocket-api.ts).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { DriverRequest } from '../protocol/devices.js';
import { defaultStaticDir } from './paths.js';
import {
  createAccessChecks,
  externalHostName,
  isLoopbackHost,
  isWildcardHost,
  urlHost,
} from './serve/access-checks.js';
import { HttpResponder } from './serve/http-responses.js';
import { METRICS_ONLY_MESSAGE, METRICS_PATH, routeMetrics } from './serve/metrics-route.js';
import { WS_PATH, serveStaticFile } from './serve/static-files.js';
import { DEFAULT_MAX_UPLOAD_BYTES, routeTransfer } from './serve/transfer-routes.js';
import {
  BACKPRESSURE_BYTES,
  DEFAULT_BYTE_RATE,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_RATE_LIMIT,
  MAX_BUFFERED_BYTES,
  STALLED_MS,
  attachWebSocketApi,
} from './serve/websocket-api.js';
import { ServiceProcess, type HostedService, type ServiceProcessOptions } from './service-process.js';
import { createService, type ServiceOptions } from './service.js';
import { TransferRegistry } from './transfers.js';

export { isLoopbackHost } from './serve/access-checks.js';
export { WS_PATH } from './serve/static-files.js';
export { DEFAULT_MAX_UPLOAD_BYTES, UPLOAD_PATH } from './serve/transfer-routes.js';
export {
  BACKPRESSURE_BYTES,
  DEFAULT_BYTE_RATE,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_QUEUED_BYTES,
} from './serve/websocket-api.js';
export { DEFAULT_TRANSFER_QUOTA_BYTES } from './transfers.js';
export { METRICS_PATH } from './serve/metrics-route.js';

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
  /**
   * Per-connection byte rate of requests (token bucket over message lengths; default 8 MiB/s, burst
   * 16 MiB). Over it: RATE_LIMITED, like the request rate.
   */
  byteRate?: { perSecond: number; burst: number };
  /**
   * Bytes of requests from all connections together handed to the service and not yet answered
   * (default 32 MiB); a request beyond it is answered BUSY at once.
   */
  maxQueuedBytes?: number;
  /** WebSocket connections at once (default 64); more are refused with HTTP 503 and a message. */
  maxConnections?: number;
  /**
   * Bytes all transfer files (uploads and exports not yet used) may take on disk (default 1 GiB):
   * uploads beyond it get 507, exports an IO_ERROR. Ignored when `transfers` is passed.
   */
  transferQuotaBytes?: number;
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
  /** WebSocket connections open now and request bytes waiting for the service (all connections). */
  load(): { connections: number; queuedBytes: number };
  /** Stop listening, close every connection, close the service if we created it. */
  close(): Promise<void>;
}

export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const bindHost = options.host ?? '127.0.0.1';
  const loopbackOnly = isLoopbackHost(bindHost);
  const token = loopbackOnly ? undefined : randomBytes(24).toString('base64url');
  const staticDir = resolve(options.staticDir ?? defaultStaticDir());
  const log = options.log ?? (() => {});
  const ownService = options.service === undefined;
  const ownTransfers = options.transfers === undefined;
  const transfers =
    options.transfers ??
    new TransferRegistry(
      options.transferQuotaBytes !== undefined ? { quotaBytes: options.transferQuotaBytes } : {},
    );
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

  const checks = createAccessChecks({ loopbackOnly, token, port: () => port });
  // Token mode: the CSP names the address we were configured with (never the request's Host header).
  const cspHost = isWildcardHost(bindHost) ? externalHostName() : bindHost;
  const http = new HttpResponder({ loopbackOnly, fallbackHost: () => `${urlHost(cspHost)}:${port}` });
  const transferRoutes = {
    transfers,
    checks,
    http,
    maxUploadBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    log,
  };

  const server = createServer((req, res) => {
    const refused = checks.checkHost(req);
    if (refused) {
      log(`refused HTTP ${req.method ?? '?'} ${req.url ?? ''}: ${refused.message}`);
      return http.sendText(req, res, refused.status, `${refused.message}\n`);
    }
    const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (routeMetrics(req, res, pathname, { service: () => service, checks, http })) return;
    if (options.metricsOnly) return http.sendText(req, res, 404, `${METRICS_ONLY_MESSAGE}\n`);
    if (routeTransfer(req, res, pathname, transferRoutes)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return http.sendText(req, res, 405, 'Method not allowed.\n');
    }
    serveStaticFile(req, res, staticDir, http).catch(() => {
      if (!res.headersSent) http.sendText(req, res, 500, 'Internal error.\n');
      else res.destroy();
    });
  });

  const webSocketApi = attachWebSocketApi(server, {
    service: () => service,
    checks,
    log,
    rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
    byteRate: options.byteRate ?? DEFAULT_BYTE_RATE,
    maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    backpressureBytes: options.slowClient?.backpressureBytes ?? BACKPRESSURE_BYTES,
    stalledMs: options.slowClient?.stalledMs ?? STALLED_MS,
    maxBufferedBytes: options.slowClient?.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
    ...(options.metricsOnly ? { refuseAll: METRICS_ONLY_MESSAGE } : {}),
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    const onError = (err: Error): void => rejectListen(err);
    server.once('error', onError);
    server.listen(options.port ?? 0, bindHost, () => {
      server.off('error', onError);
      resolveListen();
    });
  }).catch(async (err: unknown) => {
    webSocketApi.close();
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
    load: () => webSocketApi.stats(),
    close() {
      closing ??= (async () => {
        if (diagTimer) clearInterval(diagTimer);
        webSocketApi.close();
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
