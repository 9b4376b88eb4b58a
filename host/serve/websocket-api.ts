// The WebSocket API at /ws: the upgrade (path, Host, Origin and token checked before the handshake),
// then per connection: its own client key (its captures view), a subscription to the service's
// pushes (JSON events as text frames, `timeline.batch` as binary frames holding the encoded batch
// as-is), requests handed to the service under a rate limit, and the slow-client rules; a heartbeat
// ping closes dead connections.
//
// Backpressure: while a socket has more than `backpressureBytes` queued, the capture skips counters for
// it and coalesces its batches (nothing is lost: its next batch carries everything since its cursor, and
// `dropped` counts what the ring evicted meanwhile). A client that does not drain — backed up for
// `stalledMs` on end, or more than `maxBufferedBytes` queued (replies are not coalesced) — is
// disconnected with close code 1013 (try again later), so one stuck browser tab cannot hold server memory.
//
// Bounds on what clients send (issue 21): at most `maxConnections` connections at once (more are
// refused before the handshake with HTTP 503 and a message); per connection a request rate and a byte
// rate (token buckets; over either → RATE_LIMITED, a flood is disconnected with 1008); across all
// connections at most `maxQueuedBytes` of requests handed to the service and not yet answered — a
// request beyond that is answered BUSY at once and dropped, so a slow or hung service never makes this
// process buffer without bound.
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { MAX_MESSAGE_BYTES, requestIdOf } from '../../protocol/contract.js';
import type { HostedService } from '../service-process.js';
import type { EventMessage, ReplyMessage } from '../service.js';
import type { AccessChecks, Refusal } from './access-checks.js';
import { RateLimiter } from './rate-limiter.js';
import { WS_PATH } from './static-files.js';

/** Frames up to this size reach the service (which answers TOO_LARGE above MAX_MESSAGE_BYTES); larger ones close the socket (1009). */
const WS_MAX_PAYLOAD = 2 * MAX_MESSAGE_BYTES;
/** Close a client that does not read its pushes: this much queued (replies are never coalesced)… */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** …or backed up (above BACKPRESSURE_BYTES) this long without draining below it. */
export const STALLED_MS = 15_000;
const HEARTBEAT_MS = 30_000;
/** Above this much queued output a socket counts as backed up (batches coalesce, counters skipped). */
export const BACKPRESSURE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_RATE_LIMIT = { perSecond: 200, burst: 400 };
/** Per-connection bytes of requests: 8 MiB/s sustained, 16 MiB at once (16 of the largest messages). */
export const DEFAULT_BYTE_RATE = { perSecond: 8 * MAX_MESSAGE_BYTES, burst: 16 * MAX_MESSAGE_BYTES };
/** Bytes of requests (all connections together) handed to the service and not yet answered. */
export const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** Connections at once (each browser tab is one). */
export const DEFAULT_MAX_CONNECTIONS = 64;
const RATE_LIMIT_DISCONNECT_AFTER = 10;

export interface WebSocketApiOptions {
  /** The service (undefined until it is started: connections then close with 1013). */
  service: () => HostedService | undefined;
  checks: AccessChecks;
  log: (line: string) => void;
  rateLimit: { perSecond: number; burst: number };
  /** Per-connection byte rate of requests (token bucket over message lengths). */
  byteRate: { perSecond: number; burst: number };
  /** Requests' bytes in the service not yet answered, all connections together; beyond → BUSY. */
  maxQueuedBytes: number;
  /** Connections at once; more are refused with HTTP 503. */
  maxConnections: number;
  backpressureBytes: number;
  stalledMs: number;
  maxBufferedBytes: number;
  /** Refuse every upgrade with 404 and this message (`serve --metrics-only`). */
  refuseAll?: string;
}

export interface WebSocketApi {
  /** Stop the heartbeat, terminate every connection, close the WebSocket server. */
  close(): void;
  /** Open connections (handshakes in progress included) and request bytes waiting for the service. */
  stats(): { connections: number; queuedBytes: number };
}

function rejectUpgrade(socket: Duplex, refusal: Refusal): void {
  const body = `${refusal.message}\n`;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Serves the WebSocket API on `server`'s upgrades. */
export function attachWebSocketApi(server: Server, options: WebSocketApiOptions): WebSocketApi {
  const { checks, log } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false });
  // Sockets past the checks, counted until the TCP socket closes (handshakes that fail included).
  let connections = 0;
  const queue: QueuedBytes = { bytes: 0 };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return rejectUpgrade(socket, { status: 400, message: 'Bad request path.' });
    }
    const refusal =
      (options.refuseAll !== undefined ? { status: 404, message: options.refuseAll } : null) ??
      (url.pathname === WS_PATH
        ? null
        : { status: 404, message: `No WebSocket endpoint here; use ${WS_PATH}.` }) ??
      checks.checkHost(req) ??
      checks.checkOriginOrToken(req, url) ??
      (connections >= options.maxConnections
        ? {
            status: 503,
            message: `Too many connections: this server takes at most ${options.maxConnections} at once. Close another xpuscope tab or client and retry, or restart xpuscope serve with a larger --max-connections.`,
          }
        : null);
    if (refusal) {
      log(
        `refused WebSocket from ${req.socket.remoteAddress ?? '?'} (origin ${req.headers.origin ?? 'none'}): ${refusal.message}`,
      );
      return rejectUpgrade(socket, refusal);
    }
    connections++;
    socket.once('close', () => connections--);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const alive = new WeakMap<WebSocket, boolean>();
  let nextClient = 1;
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    serveConnection(ws, req, nextClient++, options, queue);
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

  return {
    close() {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
    stats: () => ({ connections, queuedBytes: queue.bytes }),
  };
}

/** Request bytes handed to the service and not yet answered, shared by every connection. */
interface QueuedBytes {
  bytes: number;
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, c) => n + c.length, 0);
  return data.byteLength;
}

/** One WebSocket connection, client `client` (its captures view is its own): pushes out, requests in. */
function serveConnection(
  ws: WebSocket,
  req: IncomingMessage,
  client: number,
  {
    service,
    log,
    rateLimit,
    byteRate,
    maxQueuedBytes,
    backpressureBytes,
    stalledMs,
    maxBufferedBytes,
  }: WebSocketApiOptions,
  queue: QueuedBytes,
): void {
  const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
  log(`client connected: ${peer}`);

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
  const svc = service();
  if (!svc) {
    ws.close(1013, 'starting');
    return;
  }
  // `?batches=0`: a client that reads no timeline (xpuscope record --to) is not sent one.
  const wantsBatches = new URL(req.url ?? '/', 'http://localhost').searchParams.get('batches') !== '0';
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

  const limiter = new RateLimiter(rateLimit);
  const bytesLimiter = new RateLimiter(byteRate);
  let refusedInARow = 0;
  ws.on('message', (data: RawData) => {
    const size = byteLength(data);
    if (!limiter.take() || !bytesLimiter.take(size)) {
      if (++refusedInARow >= RATE_LIMIT_DISCONNECT_AFTER) {
        log(`client ${peer} disconnected: request flood`);
        ws.close(1008, 'rate limit exceeded');
        return;
      }
      send({
        id: requestIdOf(data),
        error: {
          code: 'RATE_LIMITED',
          message: `Too many requests or bytes on this connection (limits: ${rateLimit.perSecond} requests/s, ${byteRate.perSecond} bytes/s); this one was not run.`,
          hint: 'Slow down and retry; the UI never sends this much.',
        },
      });
      return;
    }
    refusedInARow = 0;
    if (queue.bytes + size > maxQueuedBytes) {
      send({
        id: requestIdOf(data),
        error: {
          code: 'BUSY',
          message: `The GPU service has ${queue.bytes} bytes of requests still to answer (limit ${maxQueuedBytes}, all clients together); this one was not run.`,
          hint: 'Retry in a moment, once earlier requests are answered.',
        },
      });
      return;
    }
    queue.bytes += size;
    const done = (): void => {
      queue.bytes -= size;
    };
    svc.handle(data, { client }).then((reply) => {
      done();
      send(reply);
    }, done);
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    clearInterval(stallCheck);
    unsubscribe();
    log(`client disconnected: ${peer}`);
  });
}
