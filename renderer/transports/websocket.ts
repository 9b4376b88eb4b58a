// InspectorApi over a WebSocket to `xpuscope serve` (same origin, path /ws). Request ids match
// responses to calls; pushes ({event, data}) go to `on` listeners. The socket reconnects with
// exponential backoff; calls made while it is down wait (up to the request timeout) and are sent on
// reconnect, calls in flight when it drops fail with DISCONNECTED.
import {
  MAX_MESSAGE_BYTES,
  type EventName,
  type Events,
  type MethodName,
  type ParamsOf,
  type ResultOf,
} from '../../protocol/contract.js';
import {
  ApiError,
  isErrorPayload,
  Listeners,
  type ConnectionStatus,
  type RendererTransport,
} from './types.js';

/** Longer text messages are ignored (the service's own limit, counted in characters here). */
const MAX_MESSAGE_CHARS = MAX_MESSAGE_BYTES;

/** The part of the browser WebSocket API we use (the `ws` package's client implements it too). */
export interface WebSocketLike {
  readonly readyState: number;
  /** Browsers and `ws` both accept 'arraybuffer': binary frames (timeline batches) then arrive as ArrayBuffers. */
  binaryType?: string;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WebSocketTransportOptions {
  /** ws:// or wss:// URL of the service socket; see serviceSocketUrl(). */
  url: string;
  /** Defaults to the global WebSocket (browsers); tests pass the `ws` package's. */
  WebSocket?: WebSocketConstructor;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: ApiError): void;
  timer: ReturnType<typeof setTimeout>;
  frame: string;
  sent: boolean;
}

const OPEN = 1;

/** The service socket for a page served by `xpuscope serve`: same origin, /ws, with the page's token. */
export function serviceSocketUrl(pageUrl: string): string {
  const page = new URL(pageUrl);
  const url = new URL('/ws', page);
  url.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  const token = page.searchParams.get('token');
  if (token) url.searchParams.set('token', token);
  return url.href;
}

export class WebSocketTransport implements RendererTransport {
  readonly transport = 'websocket';

  private readonly url: string;
  private readonly Ctor: WebSocketConstructor;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly requestTimeoutMs: number;

  private socket: WebSocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly events = new Map<string, Listeners<unknown>>();
  private readonly statusListeners = new Listeners<ConnectionStatus>();
  private current: ConnectionStatus = { state: 'connecting', attempt: 0 };
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private everOpened = false;
  private closed = false;

  constructor(options: WebSocketTransportOptions) {
    this.url = options.url;
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new Error('No WebSocket implementation available');
    this.Ctor = Ctor;
    this.initialBackoffMs = options.initialBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.connect();
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.closed) {
      return Promise.reject(new ApiError({ code: 'CLOSED', message: 'The connection was closed' }));
    }
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new ApiError({
            code: 'TIMEOUT',
            message: `No answer to ${method} within ${Math.round(this.requestTimeoutMs / 1000)} s`,
            hint: 'Check that `xpuscope serve` is still running.',
          }),
        );
      }, this.requestTimeoutMs);
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
        frame: JSON.stringify({ id, method, params }),
        sent: false,
      });
      this.flush();
    });
  }

  on<E extends EventName>(event: E, handler: (data: Events[E]) => void): () => void {
    let set = this.events.get(event);
    if (!set) {
      set = new Listeners<unknown>();
      this.events.set(event, set);
    }
    return set.add(handler as (data: unknown) => void);
  }

  status(): ConnectionStatus {
    return this.current;
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.statusListeners.add(listener);
  }

  retryNow(): void {
    if (this.closed || this.socket) return;
    this.connect();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearRetry();
    const socket = this.socket;
    this.socket = null;
    if (socket) detach(socket);
    socket?.close(1000, 'client closed');
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(new ApiError({ code: 'CLOSED', message: 'The connection was closed' }));
      this.pending.delete(id);
    }
    this.setStatus({ state: 'closed', attempt: 0 });
  }

  // ---- internals ----

  private connect(): void {
    this.clearRetry();
    const previousError = this.current.error;
    this.setStatus({
      state: this.everOpened ? 'reconnecting' : 'connecting',
      attempt: this.current.attempt,
      ...(previousError !== undefined ? { error: previousError } : {}),
    });
    let socket: WebSocketLike;
    try {
      socket = new this.Ctor(this.url);
    } catch (error) {
      this.scheduleReconnect(
        `Cannot open ${this.url}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    this.socket = socket;
    if ('binaryType' in socket) socket.binaryType = 'arraybuffer';
    let lastError: string | undefined;

    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.everOpened = true;
      this.setStatus({ state: 'open', attempt: 0 });
      this.flush();
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      this.receive(event.data);
    };
    socket.onerror = (event) => {
      const message = (event as { message?: unknown } | null)?.message;
      lastError = typeof message === 'string' && message ? message : undefined;
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      detach(socket);
      const wasOpen = this.current.state === 'open';
      const reason = describeClose(this.url, event, lastError, wasOpen);
      // Requests already on the wire will never be answered by this socket.
      for (const [id, entry] of this.pending) {
        if (!entry.sent) continue;
        clearTimeout(entry.timer);
        this.pending.delete(id);
        entry.reject(new ApiError({ code: 'DISCONNECTED', message: reason }));
      }
      if (this.closed) return;
      this.scheduleReconnect(reason);
    };
  }

  private scheduleReconnect(error: string): void {
    const attempt = this.current.state === 'open' ? 1 : this.current.attempt + 1;
    const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (attempt - 1));
    this.setStatus({ state: 'reconnecting', attempt, error, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.connect();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private flush(): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN || this.current.state !== 'open') return;
    for (const entry of this.pending.values()) {
      if (entry.sent) continue;
      entry.sent = true;
      socket.send(entry.frame);
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') {
      // Binary frames carry timeline batches (protocol/timeline-batch.ts encodeBatch).
      if (data instanceof ArrayBuffer) this.events.get('timeline.batch')?.emit(data);
      else if (ArrayBuffer.isView(data)) {
        const copy = new Uint8Array(data.byteLength);
        copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        this.events.get('timeline.batch')?.emit(copy.buffer);
      } else console.warn('xpuscope: ignoring a binary WebSocket message of an unknown type');
      return;
    }
    if (data.length > MAX_MESSAGE_CHARS) {
      console.warn(`xpuscope: ignoring an oversized message (${data.length} characters)`);
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      console.warn('xpuscope: ignoring a message that is not JSON');
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    if (typeof m.id === 'number') {
      const entry = this.pending.get(m.id);
      if (!entry) return; // timed out or unknown: nothing waits for it
      this.pending.delete(m.id);
      clearTimeout(entry.timer);
      if ('error' in m) {
        entry.reject(
          new ApiError(
            isErrorPayload(m.error)
              ? m.error
              : { code: 'PROTOCOL', message: 'The service sent a malformed error' },
          ),
        );
      } else if ('result' in m) {
        entry.resolve(m.result);
      } else {
        entry.reject(
          new ApiError({ code: 'PROTOCOL', message: 'The service sent a response without a result' }),
        );
      }
      return;
    }
    if (typeof m.event === 'string') {
      this.events.get(m.event)?.emit(m.data);
    }
  }

  private setStatus(status: ConnectionStatus): void {
    this.current = status;
    this.statusListeners.emit(status);
  }
}

/** Stops listening to a socket we are done with (no-op handlers, not null: some implementations,
 * like the `ws` package, throw on an 'error' event nobody listens to). */
function detach(socket: WebSocketLike): void {
  const ignore = () => {};
  socket.onopen = ignore;
  socket.onmessage = ignore;
  socket.onerror = ignore;
  socket.onclose = ignore;
}

function describeClose(
  url: string,
  event: { code: number; reason: string },
  lastError: string | undefined,
  wasOpen: boolean,
): string {
  const where = url.replace(/\?.*$/, '');
  if (event.reason) return `The service closed the connection: ${event.reason} (code ${event.code})`;
  if (!wasOpen) return `Cannot reach the xpuscope service at ${where}${lastError ? `: ${lastError}` : ''}`;
  return `Lost the connection to the xpuscope service at ${where} (code ${event.code})`;
}
