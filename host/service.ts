// The xpuscope service: one transport-independent object that answers requests and pushes events.
// `xpuscope serve` hosts it behind a WebSocket (host/serve.ts); the Electron utility process hosts it
// behind a MessagePort. Nothing here knows about HTTP, WebSocket or Electron.
//
// Every message is validated against protocol/contract.ts before dispatch. Bad input of any kind
// (non-JSON, wrong shape, unknown method, bad params, oversized) yields an error reply
// `{ id, error: { code, message, hint? } }` — `handle()` never throws and the service keeps answering.
import {
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  isMethodName,
  paramSchemas,
  requestSchema,
  type ErrorPayload,
  type EventName,
  type Events,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type ServiceHello,
} from '../protocol/contract.js';
import type { DeviceList, DriverRequest } from '../protocol/devices.js';
import { packageVersion } from './paths.js';

export type { ErrorPayload, EventName, Events, MethodName } from '../protocol/contract.js';

/** Error codes of error replies (`error.code`). */
export const ErrorCodes = {
  /** The message was not valid JSON (or not valid UTF-8 text). */
  PARSE_ERROR: 'PARSE_ERROR',
  /** The message was JSON but not `{ id, method, params? }`. */
  INVALID_REQUEST: 'INVALID_REQUEST',
  /** `method` is not one of the methods in protocol/contract.ts. */
  UNKNOWN_METHOD: 'UNKNOWN_METHOD',
  /** `params` does not match the method's schema. */
  INVALID_PARAMS: 'INVALID_PARAMS',
  /** The message is larger than MAX_MESSAGE_BYTES. */
  TOO_LARGE: 'TOO_LARGE',
  /** The requested driver could not be configured (e.g. another driver is already in use in this process). */
  DRIVER_CONFIG: 'DRIVER_CONFIG',
  /** The method is in the protocol but this service does not implement it yet. */
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  /** The method is already running (e.g. a second `diag.run`); try again when it finished. */
  BUSY: 'BUSY',
  /** The request named a device that does not exist. */
  NO_DEVICE: 'NO_DEVICE',
  /** The service was closed. */
  CLOSED: 'CLOSED',
  /** The method failed unexpectedly (a bug, or the runtime could not be loaded). */
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** `id` used in error replies when the request's own id could not be read. */
export const UNKNOWN_ID = -1;

export interface ResultMessage<M extends MethodName = MethodName> {
  id: number;
  result: ResultOf<M>;
}
export interface ErrorMessage {
  id: number;
  error: ErrorPayload;
}
export type ReplyMessage = ResultMessage | ErrorMessage;

/** A push on the subscription channel. */
export interface EventMessage<E extends EventName = EventName> {
  event: E;
  data: Events[E];
}
export type EventListener = (message: EventMessage) => void;

export type ServiceState = Events['service.state'];

export interface ServiceOptions {
  /**
   * Driver selection, applied with the runtime's `configureDriver` before the runtime is first used.
   * When both `driver` and `profile` are omitted the service does not call `configureDriver` (the
   * runtime then uses XPUSCOPE_DRIVER / XPUSIM_PROFILE, or whatever the host configured itself).
   */
  driver?: DriverRequest;
  /** Simulated profiles (comma-separated), for `driver: 'sim'` or `'auto'`. */
  profile?: string;
  /** Version reported by `service.hello` (default: package.json's version). */
  version?: string;
  /** Load the runtime right away (default true) so that load failures show up as state `failed` early. */
  eager?: boolean;
}

export interface Service {
  /**
   * Handle one incoming message: a JSON string, UTF-8 bytes (Buffer/Uint8Array/ArrayBuffer) or an
   * already-parsed object (structured clone over a MessagePort). Always resolves, never rejects.
   */
  handle(raw: unknown): Promise<ReplyMessage>;
  /** Typed direct call (for in-process hosts and tests); rejects with ServiceError on failure. */
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  /**
   * Subscribe to pushes. The current `service.state` is delivered to a new listener right away
   * (asynchronously), so a freshly connected client always learns the state. Returns an unsubscribe.
   */
  on(listener: EventListener): () => void;
  /** Push an event to every listener (hosts use it, e.g. to announce `restarted`). */
  publish<E extends EventName>(event: E, data: Events[E]): void;
  /** The current service state. */
  readonly state: ServiceState;
  /** Stop answering (later requests get `CLOSED`) and drop all listeners. */
  close(): void;
}

/** A failure with an error payload: what `call` rejects with and what handlers throw. */
export class ServiceError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.hint = hint;
  }
  toPayload(): ErrorPayload {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

type RuntimeModule = typeof import('../runtime/index.js');

/** Methods of the protocol this service implements; the others answer NOT_IMPLEMENTED. */
type Handlers = { [M in MethodName]?: (params: ParamsOf<M>) => Promise<ResultOf<M>> };

const decoder = new TextDecoder('utf-8', { fatal: true });

export function createService(options: ServiceOptions = {}): Service {
  const listeners = new Set<EventListener>();
  let closed = false;
  let state: ServiceState = { state: 'starting' };
  let runtime: Promise<RuntimeModule> | undefined;

  function loadRuntime(): Promise<RuntimeModule> {
    if (runtime === undefined) {
      const loading = import('../runtime/index.js').then((rt) => {
        if (options.driver !== undefined || options.profile !== undefined) {
          const opts: { driver?: DriverRequest; profile?: string } = {};
          if (options.driver !== undefined) opts.driver = options.driver;
          if (options.profile !== undefined) opts.profile = options.profile;
          try {
            rt.configureDriver(opts);
          } catch (err) {
            throw new ServiceError(ErrorCodes.DRIVER_CONFIG, errorText(err));
          }
        }
        return rt;
      });
      runtime = loading;
      // A failure is not cached: the next request tries again.
      loading.catch(() => {
        if (runtime === loading) runtime = undefined;
      });
    }
    return runtime;
  }

  function setState(next: ServiceState): void {
    publish('service.state', next);
  }

  function publish<E extends EventName>(event: E, data: Events[E]): void {
    if (closed) return;
    if (event === 'service.state') state = data as ServiceState; // late subscribers learn it too
    const message = { event, data } as EventMessage;
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch {
        // a failing listener must not break the service or the other listeners
      }
    }
  }

  async function runtimeOrThrow(): Promise<RuntimeModule> {
    try {
      const rt = await loadRuntime();
      if (state.state !== 'ready' && !closed) setState({ state: 'ready' });
      return rt;
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      throw new ServiceError(
        ErrorCodes.INTERNAL,
        `The xpuscope runtime could not be loaded: ${errorText(err)}`,
        'Reinstall xpuscope (npm ci) and rebuild it (npm run build).',
      );
    }
  }

  let diagRunning = false;

  const handlers: Handlers = {
    'service.hello': async (): Promise<ServiceHello> => ({
      name: 'xpuscope',
      version: options.version ?? packageVersion(),
      protocol: PROTOCOL_VERSION,
    }),
    'devices.list': async (): Promise<DeviceList> => {
      let rt: RuntimeModule;
      try {
        rt = await loadRuntime();
      } catch (err) {
        if (err instanceof ServiceError) throw err;
        throw new ServiceError(
          ErrorCodes.INTERNAL,
          `The xpuscope runtime could not be loaded: ${errorText(err)}`,
          'Reinstall xpuscope (npm ci) and rebuild it (npm run build).',
        );
      }
      if (state.state !== 'ready' && !closed) setState({ state: 'ready' });
      return rt.xpu.listDevices();
    },
    'devices.properties': async ({ device }) => {
      const rt = await runtimeOrThrow();
      const list = rt.xpu.listDevices();
      const summary = list.devices.find((d) => d.index === device);
      if (!summary) {
        throw new ServiceError(
          ErrorCodes.NO_DEVICE,
          `Device ${device} does not exist (${list.devices.length} device(s)).`,
          list.problem?.hint,
        );
      }
      const { deviceInfo } = await import('./info.js');
      return deviceInfo(device, summary.name, rt.xpu.getDeviceProperties(device), summary.simulated);
    },
    'diag.run': async ({ level, device }) => {
      if (diagRunning) throw new ServiceError(ErrorCodes.BUSY, 'Diagnostics are already running.', 'Wait for them to finish.');
      await runtimeOrThrow();
      diagRunning = true;
      try {
        const { runDiagnostics } = await import('./diag/index.js');
        const opts: import('./diag/index.js').DiagOptions = { level };
        if (device !== undefined) opts.device = device;
        const report = await runDiagnostics(opts, (p) => {
          if (p.type === 'start') {
            publish('diag.progress', {
              done: p.index,
              total: p.total,
              current: `${p.id}${p.device !== undefined ? ` [${p.device}]` : ''} ${p.title}`,
            });
          } else if (p.index + 1 === p.total) publish('diag.progress', { done: p.total, total: p.total });
        });
        return report;
      } finally {
        diagRunning = false;
      }
    },
  };

  async function dispatch<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const handler = handlers[method] as ((p: ParamsOf<M>) => Promise<ResultOf<M>>) | undefined;
    if (handler === undefined) {
      throw new ServiceError(
        ErrorCodes.NOT_IMPLEMENTED,
        `Method "${method}" is not implemented by this xpuscope service yet.`,
        `Implemented: ${Object.keys(handlers).join(', ')}.`,
      );
    }
    try {
      return await handler(params);
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      throw toServiceError(err);
    }
  }

  async function handle(raw: unknown): Promise<ReplyMessage> {
    let id = UNKNOWN_ID;
    try {
      const parsed = decode(raw);
      if ('error' in parsed) return { id: idOf(parsed.value), error: parsed.error };
      const message = parsed.value;
      id = idOf(message);
      if (closed)
        return { id, error: { code: ErrorCodes.CLOSED, message: 'The xpuscope service is closed.' } };

      const request = requestSchema.safeParse(message);
      if (!request.success) {
        return {
          id,
          error: {
            code: ErrorCodes.INVALID_REQUEST,
            message: `Invalid request: ${describeIssues(request.error.issues)}`,
            hint: 'Send a JSON object { "id": <non-negative integer>, "method": "<name>", "params": { … } }.',
          },
        };
      }
      id = request.data.id;
      const { method } = request.data;
      if (!isMethodName(method)) {
        return {
          id,
          error: {
            code: ErrorCodes.UNKNOWN_METHOD,
            message: `Unknown method "${method.slice(0, 64)}".`,
            hint: `Known methods: ${Object.keys(paramSchemas).join(', ')}.`,
          },
        };
      }
      const params = paramSchemas[method].safeParse(
        request.data.params === undefined ? {} : request.data.params,
      );
      if (!params.success) {
        return {
          id,
          error: {
            code: ErrorCodes.INVALID_PARAMS,
            message: `Invalid params for ${method}: ${describeIssues(params.error.issues)}`,
          },
        };
      }
      const result: unknown = await dispatch(method, params.data as never);
      return { id, result } as ReplyMessage;
    } catch (err) {
      const e = err instanceof ServiceError ? err : toServiceError(err);
      return { id, error: e.toPayload() };
    }
  }

  const service: Service = {
    handle,
    async call(method, params) {
      if (closed) throw new ServiceError(ErrorCodes.CLOSED, 'The xpuscope service is closed.');
      if (!isMethodName(method))
        throw new ServiceError(ErrorCodes.UNKNOWN_METHOD, `Unknown method "${String(method)}".`);
      const checked = paramSchemas[method].safeParse(params ?? {});
      if (!checked.success) {
        throw new ServiceError(
          ErrorCodes.INVALID_PARAMS,
          `Invalid params for ${method}: ${describeIssues(checked.error.issues)}`,
        );
      }
      return dispatch(method, checked.data as typeof params);
    },
    on(listener) {
      listeners.add(listener);
      queueMicrotask(() => {
        if (!closed && listeners.has(listener)) {
          try {
            listener({ event: 'service.state', data: state });
          } catch {
            // ignore
          }
        }
      });
      return () => {
        listeners.delete(listener);
      };
    },
    publish,
    get state() {
      return state;
    },
    close() {
      closed = true;
      listeners.clear();
    },
  };

  if (options.eager ?? true) {
    loadRuntime().then(
      () => {
        if (!closed) setState({ state: 'ready' });
      },
      (err: unknown) => {
        if (closed) return;
        const message =
          err instanceof ServiceError
            ? err.message
            : `The xpuscope runtime could not be loaded: ${errorText(err)}`;
        setState({ state: 'failed', message });
      },
    );
  } else {
    state = { state: 'ready' };
  }

  return service;
}

// ---- helpers ----

type Decoded = { value: unknown } | { value: unknown; error: ErrorPayload };

/** The id of an oversized message when it leads the text (`{"id": 12, …`), so the client can match the error. */
function peekId(head: string): number | undefined {
  const m = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(head);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function tooLarge(bytes: number): ErrorPayload {
  return {
    code: ErrorCodes.TOO_LARGE,
    message: `Message of ${bytes} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes.`,
  };
}

function parseText(text: string): Decoded {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return {
      value: undefined,
      error: { code: ErrorCodes.PARSE_ERROR, message: `Message is not valid JSON: ${errorText(err)}` },
    };
  }
}

function decode(raw: unknown): Decoded {
  if (typeof raw === 'string') {
    // Cheap bound first: UTF-8 needs at least one byte per UTF-16 code unit, at most three.
    if (raw.length > MAX_MESSAGE_BYTES)
      return { value: { id: peekId(raw.slice(0, 64)) }, error: tooLarge(raw.length) };
    if (raw.length * 3 > MAX_MESSAGE_BYTES) {
      const bytes = Buffer.byteLength(raw, 'utf8');
      if (bytes > MAX_MESSAGE_BYTES)
        return { value: { id: peekId(raw.slice(0, 64)) }, error: tooLarge(bytes) };
    }
    return parseText(raw);
  }
  if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
    const view =
      raw instanceof ArrayBuffer
        ? new Uint8Array(raw)
        : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    if (view.byteLength > MAX_MESSAGE_BYTES) {
      const head = Buffer.from(view.buffer, view.byteOffset, Math.min(64, view.byteLength)).toString(
        'latin1',
      );
      return { value: { id: peekId(head) }, error: tooLarge(view.byteLength) };
    }
    let text: string;
    try {
      text = decoder.decode(view);
    } catch {
      return {
        value: undefined,
        error: { code: ErrorCodes.PARSE_ERROR, message: 'Message is not valid UTF-8 text.' },
      };
    }
    return parseText(text);
  }
  if (Array.isArray(raw) && raw.every((c) => Buffer.isBuffer(c))) {
    // ws delivers fragmented messages as Buffer[] when binaryType is 'fragments'
    return decode(Buffer.concat(raw as Buffer[]));
  }
  if (raw !== null && typeof raw === 'object') {
    // Already parsed (structured clone): bound its size by its JSON encoding.
    let json: string | undefined;
    try {
      json = JSON.stringify(raw);
    } catch (err) {
      return {
        value: raw,
        error: {
          code: ErrorCodes.INVALID_REQUEST,
          message: `Message cannot be encoded as JSON: ${errorText(err)}`,
        },
      };
    }
    const bytes = json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_MESSAGE_BYTES) return { value: raw, error: tooLarge(bytes) };
    return { value: raw };
  }
  return {
    value: raw,
    error: {
      code: ErrorCodes.INVALID_REQUEST,
      message: `Message must be a JSON object, got ${raw === null ? 'null' : typeof raw}.`,
    },
  };
}

/** The request's id when it is readable and valid, else UNKNOWN_ID. */
function idOf(message: unknown): number {
  if (message !== null && typeof message === 'object' && !Array.isArray(message)) {
    const id = (message as { id?: unknown }).id;
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  }
  return UNKNOWN_ID;
}

interface IssueLike {
  path: PropertyKey[];
  message: string;
}

function describeIssues(issues: readonly IssueLike[]): string {
  const parts = issues.slice(0, 5).map((issue) => {
    const where = issue.path.length ? issue.path.map((p) => String(p)).join('.') : '(message)';
    return `${where}: ${issue.message}`;
  });
  if (issues.length > 5) parts.push(`…and ${issues.length - 5} more`);
  return parts.join('; ');
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; hint?: unknown };
    const code = typeof e.code === 'string' ? e.code : ErrorCodes.INTERNAL;
    const hint = typeof e.hint === 'string' ? e.hint : undefined;
    return new ServiceError(code, err.message || err.name, hint);
  }
  return new ServiceError(ErrorCodes.INTERNAL, String(err));
}
