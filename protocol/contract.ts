// The one typed contract between the renderer and the service, whatever carries it (Electron
// IPC + MessagePort, or WebSocket from `xpuscope serve`). Like GitHub Desktop's ipc-shared.ts: a
// method map gives each request its params and result types; schemas validate what arrives.
import { z } from 'zod';
import type { DeviceList } from './devices.js';
import { ENGINE_KINDS } from './timeline.js';
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

// ---- Wire format (validated on arrival on both ends) ----

export const MAX_MESSAGE_BYTES = 1 << 20;

const emptyParams = z.object({}).strict() as z.ZodType<Record<string, never>>;
const deviceIndex = z.number().int().min(0).max(1023);
/** A file path chosen by the user (Electron dialog); the service checks it further before use. */
const filePath = z.string().min(1).max(4096);

/** A capture id as the service makes them (`<boot>-<n>`). */
const captureId = z.string().regex(/^[a-z0-9]{1,16}-[0-9]{1,12}$/);

/** Environment variable names as a shell accepts them. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/);

const engineKind = z.enum(ENGINE_KINDS);
const shortText = z.string().max(4096);
const recordProcessSchema = z
  .object({
    pid: z.number().int().nonnegative(),
    ppid: z.number().int().nonnegative(),
    command: shortText,
    traced: z.boolean(),
    untraced: shortText.optional(),
    end: shortText,
    ops: z.number().int().nonnegative(),
    dropped: z.number().int().nonnegative(),
    untimed: z.number().int().nonnegative(),
    lost: z.number().int().nonnegative(),
    inFlight: z.number().int().nonnegative(),
    error: shortText.optional(),
  })
  .strict();

/** 8 fixed columns, then up to 64 dependency ids; every value a finite number. */
const pushedOp = z.array(z.number().finite()).min(8).max(72);

export const recordPushSchema = z
  .object({
    lanes: z
      .array(
        z
          .object({
            lane: z
              .number()
              .int()
              .min(0)
              .max(1 << 20),
            device: z
              .number()
              .int()
              .min(0)
              .max(1 << 20),
            stream: z.number().finite(),
            engine: z
              .object({
                ordinal: z
                  .number()
                  .int()
                  .min(0)
                  .max(1 << 16),
                index: z
                  .number()
                  .int()
                  .min(0)
                  .max(1 << 16),
                kind: engineKind,
              })
              .strict(),
            source: z
              .object({
                pid: z.number().int().nonnegative(),
                process: shortText,
                device: shortText,
                queue: shortText,
              })
              .strict(),
          })
          .strict(),
      )
      .max(1024)
      .optional(),
    strings: z.array(shortText).max(4096).optional(),
    ops: z.array(pushedOp).max(20_000).optional(),
    processes: z.array(recordProcessSchema).max(256).optional(),
    nowNs: z.number().finite().optional(),
    done: z
      .object({
        exit: z.object({ code: z.number().int(), signal: z.string().max(32).optional() }).strict(),
        wallMs: z.number().finite().nonnegative(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const recordRequestSchema = z
  .object({
    command: z.string().min(1).max(4096),
    args: z.array(z.string().max(32_768)).max(1024),
    cwd: filePath.optional(),
    env: z
      .record(envName, z.string().max(32_768))
      .refine((e) => Object.keys(e).length <= 256, 'at most 256 variables')
      .optional(),
    driver: z.enum(['auto', 'system', 'sim']).optional(),
    profile: z.string().min(1).max(256).optional(),
    hostCalls: z.boolean().optional(),
  })
  .strict();

/** Params schema per method: unknown methods and wrong params are rejected before dispatch. */
export const paramSchemas: { [M in MethodName]: z.ZodType<ParamsOf<M>> } = {
  'devices.list': emptyParams,
  'service.hello': emptyParams,
  'devices.properties': z.object({ device: deviceIndex }).strict(),
  'scenario.list': emptyParams,
  'scenario.run': z
    .object({
      name: z.string().min(1).max(64),
      device: deviceIndex,
      params: z.record(z.string().max(64), z.union([z.number().finite(), z.string().max(256)])),
    })
    .strict(),
  'capture.state': emptyParams,
  'capture.control': z.object({ action: z.enum(['pause', 'resume', 'clear']) }).strict(),
  'diag.run': z
    .object({ level: z.union([z.literal(1), z.literal(2), z.literal(3)]), device: deviceIndex.optional() })
    .strict(),
  'captures.list': emptyParams,
  'captures.select': z
    .object({ id: captureId.optional(), follow: z.literal(true).optional() })
    .strict()
    .refine((p) => (p.id === undefined) !== (p.follow === undefined), 'give either id or follow: true'),
  'captures.close': z.object({ id: captureId }).strict(),
  'trace.export': z.object({ path: filePath.optional(), capture: captureId.optional() }).strict(),
  'trace.import': z
    .object({
      path: filePath.optional(),
      upload: z
        .string()
        .regex(/^[a-f0-9]{32}$/)
        .optional(),
      /** The file's name as the user chose it (uploads have none), shown in the captures list. */
      name: z.string().min(1).max(256).optional(),
    })
    .strict(),
  'record.start': recordRequestSchema,
  'record.stop': emptyParams,
  'record.state': emptyParams,
  'record.attach': z
    .object({ command: z.array(shortText).min(1).max(1024), simulated: z.boolean() })
    .strict(),
  'record.push': recordPushSchema,
};

export const requestSchema = z
  .object({
    id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    method: z.string().min(1).max(64),
    params: z.unknown().optional(),
  })
  .strict();
export type Request = z.infer<typeof requestSchema>;

export interface ErrorPayload {
  code: string;
  message: string;
  hint?: string;
}

export type Response =
  { id: number; result: unknown } | { id: number; error: ErrorPayload } | { event: string; data: unknown };

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(paramSchemas, name);
}
