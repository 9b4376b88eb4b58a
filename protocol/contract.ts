// The one typed contract between the renderer and the service, whatever carries it (Electron
// IPC + MessagePort, or WebSocket from `xpuscope serve`). Like GitHub Desktop's ipc-shared.ts: a
// method map gives each request its params and result types. This module is free of zod (the
// renderer imports it as values too); the schemas that validate what arrives are in schemas.ts.
import type { DeviceList } from './devices.js';
import type {
  CaptureList,
  CaptureState,
  CounterSample,
  DevicePropertiesView,
  DiagProgress,
  DiagReport,
  RecordOutput,
  RecordPush,
  RecordRequest,
  RecordState,
  ScenarioInfo,
  ScenarioResult,
  TraceImportSummary,
} from './views.js';

/** Request/response methods: name → params and result. */
export interface Methods {
  /** Enumerate drivers and devices (never throws for "no GPU"; see DeviceList.problem). */
  'devices.list': { params: Record<string, never>; result: DeviceList };
  /** Service identity, for the About box and the transport handshake. */
  'service.hello': { params: Record<string, never>; result: ServiceHello };
  /** All properties of one device, grouped, each with its Level Zero source. */
  'devices.properties': { params: { device: number }; result: DevicePropertiesView };
  /** The concurrency scenarios users can run, with their parameters. */
  'scenario.list': { params: Record<string, never>; result: ScenarioInfo[] };
  /** Run a scenario on a device; its operations stream into the live timeline while it runs. */
  'scenario.run': {
    params: { name: string; device: number; params: Record<string, number | string> };
    result: ScenarioResult;
  };
  /** The state of the capture this client views. */
  'capture.state': { params: Record<string, never>; result: CaptureState };
  /** Every capture the service keeps (each run, import and recording is its own), and this client's view. */
  'captures.list': { params: Record<string, never>; result: CaptureList };
  /**
   * Show one capture to this client only (other clients keep theirs): `{id}` pins it, `{follow:true}`
   * follows the newest live capture. The client gets `timeline.reset {reason:'select'}`, then batches.
   */
  'captures.select': { params: { id?: string; follow?: boolean }; result: CaptureList };
  /** Forget a capture (BUSY while it is still live); clients viewing it follow the newest again. */
  'captures.close': { params: { id: string }; result: CaptureList };
  'capture.control': { params: { action: 'pause' | 'resume' | 'clear' }; result: CaptureState };
  /** Driver-install diagnostics (level 1 software, 2 functional, 3 performance). */
  'diag.run': { params: { level: 1 | 2 | 3; device?: number }; result: DiagReport };
  /**
   * Write the capture as Chrome Trace JSON. Electron passes the path the user chose; the server
   * omits it and gets a one-time download URL instead.
   */
  'trace.export': {
    params: { path?: string; capture?: string };
    result: { path?: string; download?: string; spans: number; bytes: number };
  };
  /**
   * Open a trace file as a new capture, shown to the calling client only (a path in Electron, an
   * uploaded id with serve); live capture goes on. A file with no operations is refused (TRACE_INVALID).
   */
  'trace.import': { params: { path?: string; upload?: string; name?: string }; result: TraceImportSummary };
  /**
   * Launch a program with the collector and show its GPU work live in the timeline (its own capture).
   * Refused (FORBIDDEN) unless the host allows launching: the desktop app does, `xpuscope serve` only
   * with --allow-launch. One recording at a time (BUSY).
   */
  'record.start': { params: RecordRequest; result: RecordState };
  /** Stop the recorded program (SIGINT, then SIGKILL after a grace period); the recording is kept. */
  'record.stop': { params: Record<string, never>; result: RecordState };
  'record.state': { params: Record<string, never>; result: RecordState };
  /**
   * A recording made by `xpuscope record --to URL` (the program runs on the sender's side; nothing is
   * launched here): `record.attach` begins it (BUSY while another one runs), `record.push` streams it.
   */
  'record.attach': { params: { command: string[]; simulated: boolean }; result: RecordState };
  'record.push': { params: RecordPush; result: { ops: number } };
}

export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Methods[M]['params'];
export type ResultOf<M extends MethodName> = Methods[M]['result'];

export interface ServiceHello {
  name: 'xpuscope';
  version: string;
  protocol: number;
}

export const PROTOCOL_VERSION = 1;

/** Server → client pushes on the subscription channel. */
export interface Events {
  /** The service (re)started or its driver set changed: clients should re-query devices. */
  'service.state': { state: 'starting' | 'ready' | 'restarted' | 'failed'; message?: string };
  /** Timeline operations since the last batch, encoded by protocol/timeline-batch.ts (binary frame). */
  'timeline.batch': ArrayBuffer;
  /**
   * What this client views was cleared or it now views another capture: drop what you hold; batches
   * of the capture now shown follow. Sent only to the clients concerned.
   */
  'timeline.reset': { reason: 'clear' | 'import' | 'restart' | 'record' | 'select' | 'capture' };
  /** The captures list changed (a run began or ended, an import, a close), at most ~1 Hz otherwise. */
  captures: CaptureList;
  'capture.state': CaptureState;
  /** Live counters, ~4 Hz. */
  counters: CounterSample;
  'diag.progress': DiagProgress;
  'scenario.progress': { name: string; submitted: number; total: number };
  /** The recording's state changed (processes appeared or ended, the program exited, analysis ready). */
  'record.state': RecordState;
  /** Output of the recorded program, as it prints it (coalesced, bounded). */
  'record.output': RecordOutput;
}
export type EventName = keyof Events;

/** What every transport implements; the renderer depends on nothing else. */
export interface InspectorApi {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  /** Returns an unsubscribe function. */
  on<E extends EventName>(event: E, handler: (data: Events[E]) => void): () => void;
  /** Which transport this is, for diagnostics ("electron" | "websocket"). */
  readonly transport: string;
}

// ---- Wire format (validated on arrival on both ends: schemas.ts) ----

/** Largest message handled (UTF-8 bytes of its JSON); larger ones get a TOO_LARGE error reply. */
export const MAX_MESSAGE_BYTES = 1 << 20;

/** A request as it travels: `{ id, method, params? }` (checked by `requestSchema` in schemas.ts). */
export interface Request {
  id: number;
  method: string;
  params?: unknown;
}

export interface ErrorPayload {
  code: string;
  message: string;
  hint?: string;
}

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
  /** Answered by an older service for a method it does not know (clients tolerate it). */
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  /** The method is already running (e.g. a second `diag.run`); try again when it finished. */
  BUSY: 'BUSY',
  /** The request named a device that does not exist. */
  NO_DEVICE: 'NO_DEVICE',
  /** A named thing (scenario, upload id, file) does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** The request is not allowed over this transport (e.g. a file path sent by a browser client). */
  FORBIDDEN: 'FORBIDDEN',
  /** A trace file could not be read or parsed. */
  TRACE_INVALID: 'TRACE_INVALID',
  /** A file could not be written or read (permissions, disk full…). */
  IO_ERROR: 'IO_ERROR',
  /** A feature this method needs is not available in this build (e.g. diagnostics not installed). */
  UNAVAILABLE: 'UNAVAILABLE',
  /** The request was in flight when the service process died (`xpuscope serve`); retry it. */
  SERVICE_RESTARTED: 'SERVICE_RESTARTED',
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

/** A push on the subscription channel: the envelope of every event, on every transport. */
export interface EventMessage<E extends EventName = EventName> {
  event: E;
  data: Events[E];
}

export type Response =
  { id: number; result: unknown } | { id: number; error: ErrorPayload } | { event: string; data: unknown };

// ---- The request id of a raw message (for error replies made before or without validation) ----

interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}
// TextDecoder is a global in Node and every browser; this folder compiles without DOM or Node types.
const utf8: Utf8Decoder = new (
  globalThis as unknown as { TextDecoder: new (label: string, options: { fatal: boolean }) => Utf8Decoder }
).TextDecoder('utf-8', { fatal: true });

/** The id of a message when it leads the text (`{"id": 12, …`): how an oversized message is matched. */
const LEADING_ID = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]/;
/** How much of an oversized message is looked at for its leading id. */
const PEEK_CHARS = 64;

function idField(value: unknown): number {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const id = (value as { id?: unknown }).id;
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  }
  return UNKNOWN_ID;
}

function leadingId(head: string): number {
  const m = LEADING_ID.exec(head);
  return m?.[1] === undefined ? UNKNOWN_ID : Number(m[1]);
}

/** UTF-8 length of a string, counted only as far as `limit` + 1 (enough to tell "over the limit"). */
export function utf8Length(text: string, limit = Infinity): number {
  let bytes = 0;
  for (let i = 0; i < text.length && bytes <= limit; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Whether a string's UTF-8 encoding is longer than MAX_MESSAGE_BYTES (cheap bounds first). */
export function isOversizedText(text: string): boolean {
  // UTF-8 needs at least one byte per UTF-16 code unit, at most three.
  if (text.length > MAX_MESSAGE_BYTES) return true;
  if (text.length * 3 <= MAX_MESSAGE_BYTES) return false;
  return utf8Length(text, MAX_MESSAGE_BYTES) > MAX_MESSAGE_BYTES;
}

function bytesOf(raw: unknown): Uint8Array | undefined {
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  if (ArrayBuffer.isView(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (Array.isArray(raw) && raw.length > 0 && raw.every((c) => c instanceof Uint8Array)) {
    // Fragments (ws `binaryType: 'fragments'`): one message in several chunks.
    const chunks = raw as Uint8Array[];
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.byteLength;
    }
    return all;
  }
  return undefined;
}

/**
 * The request id of a message as it arrived — a JSON string, UTF-8 bytes (ArrayBuffer, a typed array
 * or Buffer, or an array of fragments) or an already-parsed object — or UNKNOWN_ID when it cannot be
 * read: not JSON, not an object, no non-negative safe-integer `id`. A message over MAX_MESSAGE_BYTES is
 * not parsed: its id is read only when it leads the text (`{"id": 12, …`). Never throws. Every side
 * that answers a message it could not (or will not) run uses this, so their error replies agree.
 */
export function requestIdOf(raw: unknown): number {
  if (typeof raw === 'string') {
    if (isOversizedText(raw)) return leadingId(raw.slice(0, PEEK_CHARS));
    return parsedId(raw);
  }
  const bytes = bytesOf(raw);
  if (bytes !== undefined) {
    if (bytes.byteLength > MAX_MESSAGE_BYTES) {
      // Latin-1 of the first bytes: the id and the JSON around it are ASCII.
      return leadingId(String.fromCharCode(...bytes.subarray(0, PEEK_CHARS)));
    }
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return UNKNOWN_ID;
    }
    return parsedId(text);
  }
  return idField(raw);
}

function parsedId(text: string): number {
  try {
    return idField(JSON.parse(text));
  } catch {
    return UNKNOWN_ID;
  }
}
