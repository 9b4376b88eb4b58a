// The xpuscope service: one transport-independent object that answers requests and pushes events.
// `xpuscope serve` hosts it behind a WebSocket (host/serve.ts); the Electron utility process hosts it
// behind a MessagePort. Nothing here knows about HTTP, WebSocket or Electron (the download/upload
// files are `Transfers`; `xpuscope serve` passes its host/transfers.ts registry).
//
// Every message is validated against protocol/contract.ts before dispatch. Bad input of any kind
// (non-JSON, wrong shape, unknown method, bad params, oversized) yields an error reply
// `{ id, error: { code, message, hint? } }` — `handle()` never throws and the service keeps answering.
import {
  ErrorCodes,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  UNKNOWN_ID,
  isOversizedText,
  requestIdOf,
  type ErrorPayload,
  type EventMessage,
  type EventName,
  type Events,
  type MethodName,
  type ParamsOf,
  type ReplyMessage,
  type ResultOf,
  type ServiceHello,
} from '../protocol/contract.js';
import { isMethodName, paramSchemas, requestSchema } from '../protocol/schemas.js';
import type { DeviceList, DriverRequest } from '../protocol/devices.js';
import type {
  CaptureList,
  CaptureState,
  RecordState,
  ScenarioInfo,
  ScenarioResult,
  TraceImportSummary,
} from '../protocol/views.js';
import { promises as fsp, statSync } from 'node:fs';
import { basename, dirname, isAbsolute } from 'node:path';
import {
  Capture,
  CaptureLiveError,
  CaptureNotFoundError,
  DEFAULT_CLIENT,
  type CaptureSubscriber,
  type ClientKey,
} from './capture.js';
import { packageVersion } from './paths.js';

export {
  ErrorCodes,
  UNKNOWN_ID,
  type ErrorCode,
  type ErrorMessage,
  type ErrorPayload,
  type EventMessage,
  type EventName,
  type Events,
  type MethodName,
  type ReplyMessage,
  type ResultMessage,
} from '../protocol/contract.js';
export { DEFAULT_CLIENT, type ClientKey } from './capture.js';

export type EventListener = (message: EventMessage) => void;

/** How a transport subscribes (see Service.on). */
export interface SubscribeOptions {
  /**
   * Backpressure: return false while the transport is backed up. Live `timeline.batch` data for this
   * listener then coalesces into its next batch (with `dropped` counts if the ring evicted ops
   * meanwhile) and `counters` samples are skipped for it. Other events are always delivered.
   */
  ready?: () => boolean;
  /**
   * False: this listener receives no `timeline.batch` events (saves encoding a batch stream nobody
   * reads, e.g. a JSON-only channel beside a separate batch port). Default true.
   */
  batches?: boolean;
  /**
   * The client this subscription belongs to: its captures view (captures.select) applies to every
   * subscription and request with the same key. Hosts give one key per connection (a WebSocket, the
   * desktop window). Default DEFAULT_CLIENT.
   */
  client?: ClientKey;
}

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
  /** Capture settings: a Chrome-trace file streamed while the service runs, push intervals. */
  capture?: {
    traceFile?: string;
    batchIntervalMs?: number;
    countersIntervalMs?: number;
    laneCapacity?: number;
  };
  /**
   * One-time download/upload files (xpuscope serve): with it, `trace.export` without a path returns a
   * `/download/<id>` URL and `trace.import` accepts `upload` ids. Without it (Electron) a path is required.
   */
  transfers?: Transfers;
  /** Refuse scenario parameter sets estimated to run longer than this (default 120 000 ms). */
  maxScenarioMs?: number;
  /**
   * Allow `record.start` to launch programs (default false). A client that may launch programs can run
   * any command as this user: the desktop app allows it, `xpuscope serve` only with --allow-launch.
   */
  allowLaunch?: boolean;
}

/**
 * What the service needs of the download/upload files: `TransferRegistry` (host/transfers.ts)
 * in-process; in the service child process of `xpuscope serve` (host/service-child.ts) a proxy that
 * tells the parent about offers.
 */
export interface Transfers {
  newFile(suffix?: string): { id: string; path: string };
  offerDownload(id: string, filename: string, path?: string): void;
  takeUpload(id: string): string | undefined;
}

export interface Service {
  /**
   * Handle one incoming message: a JSON string, UTF-8 bytes (Buffer/Uint8Array/ArrayBuffer) or an
   * already-parsed object (structured clone over a MessagePort). Always resolves, never rejects.
   */
  handle(raw: unknown, ctx?: CallContext): Promise<ReplyMessage>;
  /** Typed direct call (for in-process hosts and tests); rejects with ServiceError on failure. */
  call<M extends MethodName>(method: M, params: ParamsOf<M>, ctx?: CallContext): Promise<ResultOf<M>>;
  /**
   * Subscribe to pushes. The current `service.state` is delivered to a new listener right away
   * (asynchronously), so a freshly connected client always learns the state. Returns an unsubscribe.
   * `timeline.batch` events carry an ArrayBuffer (protocol/timeline-batch.ts encoding; send it as a
   * binary frame); each listener gets its own batches (its own cursor), starting with everything
   * the live timeline holds.
   */
  on(listener: EventListener, options?: SubscribeOptions): () => void;
  /** Push an event to every listener (hosts use it, e.g. to announce `restarted`). */
  publish<E extends EventName>(event: E, data: Events[E]): void;
  /** The current service state. */
  readonly state: ServiceState;
  /** The live capture (timeline, counters). */
  readonly capture: Capture;
  /**
   * The Prometheus exposition text (`GET /metrics`; host/metrics.ts): devices, Sysman telemetry, the
   * live capture's rates, the last diagnostics. Read at most every 500 ms; never rejects.
   */
  metricsText(): Promise<string>;
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

/** One handler per protocol method: the compiler refuses a service that misses one. */
type Handlers = { [M in MethodName]: (params: ParamsOf<M>, ctx: CallContext) => Promise<ResultOf<M>> };

/** Who made a request: methods about "my view" (captures.select, capture.state, trace.export…) use it. */
export interface CallContext {
  /** The client (see SubscribeOptions.client); default DEFAULT_CLIENT. */
  client?: ClientKey;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function createService(options: ServiceOptions = {}): Service {
  const listeners = new Set<EventListener>();
  let closed = false;
  let state: ServiceState = { state: 'starting' };
  let runtime: Promise<RuntimeModule> | undefined;
  const captureOptions: ConstructorParameters<typeof Capture>[0] = { publish: (e, d) => publish(e, d) };
  if (options.capture?.traceFile !== undefined) captureOptions.traceFile = options.capture.traceFile;
  if (options.capture?.batchIntervalMs !== undefined)
    captureOptions.batchIntervalMs = options.capture.batchIntervalMs;
  if (options.capture?.countersIntervalMs !== undefined)
    captureOptions.countersIntervalMs = options.capture.countersIntervalMs;
  if (options.capture?.laneCapacity !== undefined) captureOptions.laneCapacity = options.capture.laneCapacity;
  const capture = new Capture(captureOptions);

  function loadRuntime(): Promise<RuntimeModule> {
    if (runtime === undefined) {
      const loading = import('../runtime/index.js').then(async (rt) => {
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
        if (!closed) {
          // The capture is an extra: if it cannot start, the service still answers everything else.
          await capture.start(rt).catch(() => {});
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
  /** The newest diagnostics report (for the exporter's xpuscope_diagnostic_result). */
  let lastDiag: import('../protocol/views.js').DiagReport | undefined;
  let exporter: import('./metrics.js').MetricsExporter | undefined;
  let scenarioRunning: string | undefined;
  let recordSession: import('./record/session.js').RecordSession | undefined;

  async function recorder(): Promise<import('./record/session.js').RecordSession> {
    if (recordSession) return recordSession;
    const { RecordSession } = await import('./record/session.js');
    const driverMod = await import('../runtime/driver.js');
    const { analyzeTimeline } = await import('../runtime/timeline/index.js');
    const resolveDriver = (driver?: DriverRequest, profile?: string) => {
      const opts: { driver?: DriverRequest; profile?: string } = {};
      if (driver !== undefined) opts.driver = driver;
      if (profile !== undefined) opts.profile = profile;
      return driverMod.resolveDriverChoice(opts);
    };
    recordSession = new RecordSession({
      capture,
      publishState: (st) => publish('record.state', st),
      publishOutput: (o) => publish('record.output', o),
      defaultDriver: () => resolveDriver(options.driver, options.profile),
      resolveDriver,
      analyze: (tl) => analyzeTimeline(tl),
    });
    return recordSession;
  }

  /**
   * With transfers (xpuscope serve) the clients are browser pages, possibly on another machine: they
   * must not make the service read or write arbitrary files, so only downloads and uploads are allowed.
   * Paths are for the Electron app, whose main process gets them from the user's file dialog.
   */
  const refuseServerPath = (path: string | undefined, what: 'export' | 'import'): void => {
    if (path === undefined || options.transfers === undefined) return;
    throw new ServiceError(
      ErrorCodes.FORBIDDEN,
      `trace.${what} with a file path is not accepted over xpuscope serve: a browser client may not read or write files on the server.`,
      what === 'export'
        ? 'Call trace.export without a path and download the returned URL.'
        : 'POST the file to /upload and pass the returned id as { "upload": id }.',
    );
  };

  const coreHandlers = {
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
      if (diagRunning)
        throw new ServiceError(
          ErrorCodes.BUSY,
          'Diagnostics are already running.',
          'Wait for them to finish.',
        );
      if (scenarioRunning !== undefined) {
        throw new ServiceError(
          ErrorCodes.BUSY,
          `A scenario is running ("${scenarioRunning}"); diagnostics would disturb its measurements.`,
          'Wait for the scenario to finish, then run the diagnostics.',
        );
      }
      await runtimeOrThrow();
      diagRunning = true;
      // Diagnostics' own operations are their own capture: they never mix into a scenario's timeline.
      const diagCapture = capture.begin('diagnostics', `Diagnostics level ${level}`, device);
      try {
        let diag: typeof import('./diag/index.js');
        try {
          diag = await import('./diag/index.js');
        } catch (err) {
          throw new ServiceError(
            ErrorCodes.UNAVAILABLE,
            `Diagnostics are not available in this build: ${errorText(err)}`,
            'Rebuild xpuscope (npm run build); host/diag is missing or failed to load.',
          );
        }
        const { runDiagnostics } = diag;
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
        lastDiag = report;
        return report;
      } finally {
        diagRunning = false;
        capture.end(diagCapture);
      }
    },
  } satisfies Partial<Handlers>;

  const recordHandlers = {
    'record.start': async (req): Promise<RecordState> => {
      if (!options.allowLaunch) {
        throw new ServiceError(
          ErrorCodes.FORBIDDEN,
          'Launching programs is turned off in this xpuscope server.',
          'Start it with `xpuscope serve --allow-launch` (anyone who can use the page can then run commands as this user), or record from the command line: `xpuscope record --to URL -- COMMAND`.',
        );
      }
      if (scenarioRunning !== undefined || diagRunning) {
        throw new ServiceError(
          ErrorCodes.BUSY,
          `A ${scenarioRunning !== undefined ? `scenario ("${scenarioRunning}")` : 'diagnostics run'} is running.`,
          'Wait for it to finish, then start the recording.',
        );
      }
      const session = await recorder();
      const { RecordBusyError, LaunchError, LAUNCH_EXIT } = await import('./record/session.js');
      try {
        return session.start(req);
      } catch (err) {
        if (err instanceof RecordBusyError)
          throw new ServiceError(
            ErrorCodes.BUSY,
            'A program is already being recorded.',
            'Stop it (record.stop) or wait for it to end.',
          );
        if (err instanceof LaunchError) {
          const code =
            err.exitCode === LAUNCH_EXIT.NOT_FOUND
              ? ErrorCodes.NOT_FOUND
              : err.exitCode === LAUNCH_EXIT.NOT_EXECUTABLE
                ? ErrorCodes.FORBIDDEN
                : ErrorCodes.UNAVAILABLE;
          throw new ServiceError(code, `Cannot record: ${err.message}.`);
        }
        throw err;
      }
    },
    'record.attach': async ({ command, simulated }): Promise<RecordState> => {
      if (scenarioRunning !== undefined || diagRunning)
        throw new ServiceError(
          ErrorCodes.BUSY,
          'A scenario or diagnostics run is running.',
          'Try again when it finished.',
        );
      const session = await recorder();
      const { RecordBusyError } = await import('./record/session.js');
      try {
        return session.attachRemote(command, simulated);
      } catch (err) {
        if (err instanceof RecordBusyError)
          throw new ServiceError(
            ErrorCodes.BUSY,
            'A program is already being recorded here.',
            'Wait for it to end.',
          );
        throw err;
      }
    },
    'record.push': async (push): Promise<{ ops: number }> => {
      const session = await recorder();
      try {
        return { ops: session.push(push) };
      } catch (err) {
        if (err instanceof RangeError) throw new ServiceError(ErrorCodes.INVALID_PARAMS, err.message);
        throw err;
      }
    },
    'record.stop': async (): Promise<RecordState> => (await recorder()).stop(),
    'record.state': async (): Promise<RecordState> => (await recorder()).state(),
  } satisfies Partial<Handlers>;

  const handlers: Handlers = {
    ...coreHandlers,
    ...recordHandlers,
    'scenario.list': async (): Promise<ScenarioInfo[]> => {
      const sc = await import('../runtime/scenarios/index.js');
      return sc.listScenarios();
    },
    'scenario.run': async ({ name, device, params }: ParamsOf<'scenario.run'>): Promise<ScenarioResult> => {
      if (scenarioRunning !== undefined) {
        throw new ServiceError(
          ErrorCodes.BUSY,
          `Cannot run "${name}": a scenario is already running ("${scenarioRunning}").`,
          'Wait for it to finish (scenario.progress events show how far it is), then run this one.',
        );
      }
      if (diagRunning) {
        throw new ServiceError(
          ErrorCodes.BUSY,
          `Cannot run "${name}" while diagnostics are running: they would disturb its measurements.`,
          'Wait for the diagnostics to finish (diag.progress events show how far they are).',
        );
      }
      scenarioRunning = name;
      try {
        const rt = await runtimeOrThrow();
        const sc = await import('../runtime/scenarios/index.js');
        try {
          sc.checkScenario(name, params, options.maxScenarioMs);
        } catch (err) {
          throw scenarioError(err);
        }
        const count = rt.xpu.deviceCount();
        if (device >= count) {
          const list = rt.xpu.listDevices();
          throw new ServiceError(
            ErrorCodes.NO_DEVICE,
            `Device ${device} does not exist (${count} device(s)).`,
            list.problem?.hint ?? (count > 0 ? `Use a device index 0…${count - 1}.` : undefined),
          );
        }
        const runCapture = capture.begin('scenario', name, device);
        const runOptions: import('../runtime/scenarios/index.js').RunScenarioOptions = {
          device,
          params,
          onProgress: (p) => publish('scenario.progress', p),
        };
        if (options.maxScenarioMs !== undefined) runOptions.maxEstimatedMs = options.maxScenarioMs;
        try {
          const run = await sc.runScenario(name, runOptions);
          return run.result;
        } catch (err) {
          throw scenarioError(err);
        } finally {
          capture.end(runCapture);
        }
      } finally {
        scenarioRunning = undefined;
      }
    },
    'capture.state': async (_p, ctx): Promise<CaptureState> => capture.state(clientOf(ctx)),
    'capture.control': async ({ action }, ctx): Promise<CaptureState> => {
      if (action === 'pause') return capture.pause(clientOf(ctx));
      if (action === 'resume') {
        // recording needs the runtime: load it (and attach the recorder) if nothing did yet
        await runtimeOrThrow();
        return capture.resume(clientOf(ctx));
      }
      return capture.clear(clientOf(ctx));
    },
    'captures.list': async (_p, ctx): Promise<CaptureList> => capture.list(clientOf(ctx)),
    'captures.select': async ({ id }, ctx): Promise<CaptureList> =>
      captureCall(() => capture.select(clientOf(ctx), id)),
    'captures.close': async ({ id }, ctx): Promise<CaptureList> =>
      captureCall(() => capture.closeCapture(id, clientOf(ctx))),
    'trace.export': async ({ path, capture: which }, ctx): Promise<ResultOf<'trace.export'>> => {
      refuseServerPath(path, 'export');
      const { writeChromeTrace } = await import('../runtime/trace/index.js');
      let target: string;
      let downloadId: string | undefined;
      if (path !== undefined) {
        target = await checkWritablePath(path);
      } else if (options.transfers) {
        ({ id: downloadId, path: target } = options.transfers.newFile('trace.json'));
      } else {
        throw new ServiceError(
          ErrorCodes.INVALID_PARAMS,
          'trace.export needs a path here.',
          'Pass { "path": "/absolute/path/trace.json" } (downloads exist only with xpuscope serve).',
        );
      }
      capture.flushBatches();
      const records = captureCall(() => capture.records(clientOf(ctx), which));
      const deviceNames: Record<number, string> = {};
      if (runtime !== undefined) {
        try {
          const rt = await runtime;
          // Recorded programs' operations carry their own device names (OpSource): the exporter uses those.
          for (const d of rt.xpu.listDevices().devices) deviceNames[d.index] = `GPU${d.index} ${d.name}`;
        } catch {
          // names are optional
        }
      }
      let stats;
      try {
        stats = writeChromeTrace(target, records, { deviceNames });
      } catch (err) {
        throw new ServiceError(
          ErrorCodes.IO_ERROR,
          `Could not write the trace to ${path ?? 'a temporary file'}: ${errorText(err)}`,
          'Choose a writable location with free space.',
        );
      }
      const bytes = statSync(target).size;
      if (downloadId !== undefined && options.transfers) {
        const filename = `xpuscope-trace-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
        options.transfers.offerDownload(downloadId, filename, target);
        return { download: `/download/${downloadId}`, spans: stats.records, bytes };
      }
      return { path: target, spans: stats.records, bytes };
    },
    'trace.import': async ({ path, upload, name }, ctx): Promise<TraceImportSummary> => {
      refuseServerPath(path, 'import');
      if ((path === undefined) === (upload === undefined)) {
        throw new ServiceError(
          ErrorCodes.INVALID_PARAMS,
          'trace.import needs exactly one of "path" and "upload".',
          "Electron passes the chosen file's path; with xpuscope serve, POST the file to /upload and pass the returned id.",
        );
      }
      let file: string;
      let uploaded = false;
      if (upload !== undefined) {
        const found = options.transfers?.takeUpload(upload);
        if (found === undefined) {
          throw new ServiceError(
            ErrorCodes.NOT_FOUND,
            `Upload ${upload} is unknown, expired or already imported.`,
            'Upload the file again (POST /upload), then import the id it returns.',
          );
        }
        file = found;
        uploaded = true;
      } else {
        file = await checkReadableFile(path!);
      }
      try {
        const { importTrace, TraceLimitError } = await import('../runtime/trace/index.js');
        const { Timeline } = await import('../runtime/timeline/index.js');
        // Capacities are maxima: lanes grow with what they hold, and importTrace refuses more than
        // DEFAULT_MAX_LANES lanes (TraceLimitError), so memory follows the file's content.
        const tl = new Timeline({ laneCapacity: 1 << 20, edgeCapacity: 1 << 22 });
        let result;
        try {
          result = await importTrace(file, { onRecords: (r) => tl.append(r) });
        } catch (err) {
          throw new ServiceError(
            ErrorCodes.TRACE_INVALID,
            `Could not import ${upload !== undefined ? 'the uploaded file' : path}: ${errorText(err)}`,
            err instanceof TraceLimitError
              ? `xpuscope shows at most ${err.max} lanes (GPU queues: device, stream and engine) per trace; nothing was imported. Split the trace, or keep fewer threads or streams in it.`
              : 'xpuscope reads Chrome trace JSON written by xpuscope, Intel unitrace or the PyTorch profiler (Kineto).',
          );
        }
        const sum = result.summary;
        if (tl.size === 0) {
          // Nothing to show: refuse it, and leave every capture as it was.
          throw new ServiceError(
            ErrorCodes.TRACE_INVALID,
            `${upload !== undefined ? (name ?? 'The uploaded file') : path} has no operations xpuscope can show (${sum.eventsRead} trace event(s) read, ${sum.spans} GPU span(s)).`,
            'Import a Chrome trace with GPU work: written by xpuscope, Intel unitrace or the PyTorch profiler (Kineto).',
          );
        }
        const id = capture.open(
          tl,
          name ?? (path !== undefined ? basename(path) : 'uploaded trace'),
          clientOf(ctx),
        );
        return {
          capture: id,
          format: sum.format,
          events: sum.eventsRead,
          spans: sum.spans,
          flows: sum.flows,
          skipped: sum.skipped,
          truncated: sum.truncated,
          devices: result.devices.map((d) => d.name),
        };
      } finally {
        if (uploaded) await fsp.rm(file, { force: true }).catch(() => {});
      }
    },
  };

  async function dispatch<M extends MethodName>(
    method: M,
    params: ParamsOf<M>,
    ctx: CallContext,
  ): Promise<ResultOf<M>> {
    const handler = handlers[method] as (p: ParamsOf<M>, c: CallContext) => Promise<ResultOf<M>>;
    try {
      return await handler(params, ctx);
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      throw toServiceError(err);
    }
  }

  async function handle(raw: unknown, ctx: CallContext = {}): Promise<ReplyMessage> {
    let id = UNKNOWN_ID;
    try {
      const parsed = decode(raw);
      if ('error' in parsed) return { id: requestIdOf(parsed.value), error: parsed.error };
      const message = parsed.value;
      id = requestIdOf(message);
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
      const result: unknown = await dispatch(method, params.data as never, ctx);
      return { id, result } as ReplyMessage;
    } catch (err) {
      const e = err instanceof ServiceError ? err : toServiceError(err);
      return { id, error: e.toPayload() };
    }
  }

  const service: Service = {
    handle,
    async call(method, params, ctx = {}) {
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
      return dispatch(method, checked.data as typeof params, ctx);
    },
    on(listener, subscribeOptions) {
      listeners.add(listener);
      const sub: CaptureSubscriber = { send: listener };
      if (subscribeOptions?.ready) sub.ready = subscribeOptions.ready;
      if (subscribeOptions?.batches === false) sub.batches = false;
      if (subscribeOptions?.client !== undefined) sub.client = subscribeOptions.client;
      const leaveCapture = capture.subscribe(sub);
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
        leaveCapture();
      };
    },
    publish,
    get state() {
      return state;
    },
    capture,
    async metricsText() {
      if (!exporter) {
        const { MetricsExporter } = await import('./metrics.js');
        exporter ??= new MetricsExporter({
          runtime: loadRuntime,
          captureRates: () => capture.captureRates(),
          lastDiagnostics: () => lastDiag,
        });
      }
      try {
        return await exporter.text();
      } catch (err) {
        // the exporter is an extra: say why in the text itself rather than failing the scrape
        return `# xpuscope: metrics could not be read: ${errorText(err).replace(/\n/g, ' ')}\n`;
      }
    },
    close() {
      closed = true;
      listeners.clear();
      recordSession?.close();
      capture.close();
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

function clientOf(ctx: CallContext | undefined): ClientKey {
  return ctx?.client ?? DEFAULT_CLIENT;
}

/** Capture registry errors in the protocol's words. */
function captureCall<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof CaptureNotFoundError)
      throw new ServiceError(
        ErrorCodes.NOT_FOUND,
        `No such capture: ${err.message}.`,
        'Call captures.list for the captures kept now.',
      );
    if (err instanceof CaptureLiveError)
      throw new ServiceError(
        ErrorCodes.BUSY,
        `Cannot close it: ${err.message}.`,
        'Wait for the run or recording to end (or stop it), then close it.',
      );
    throw err;
  }
}

type Decoded = { value: unknown } | { value: unknown; error: ErrorPayload };

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
    if (isOversizedText(raw)) {
      const size = raw.length > MAX_MESSAGE_BYTES ? raw.length : Buffer.byteLength(raw, 'utf8');
      return { value: { id: requestIdOf(raw) }, error: tooLarge(size) };
    }
    return parseText(raw);
  }
  if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
    const view =
      raw instanceof ArrayBuffer
        ? new Uint8Array(raw)
        : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    if (view.byteLength > MAX_MESSAGE_BYTES)
      return { value: { id: requestIdOf(view) }, error: tooLarge(view.byteLength) };
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

function scenarioError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; hint?: unknown };
    const hint = typeof e.hint === 'string' ? e.hint : undefined;
    if (e.name === 'ScenarioParamError') return new ServiceError(ErrorCodes.INVALID_PARAMS, e.message, hint);
    if (e.name === 'ScenarioError') {
      const code =
        e.code === 'UNKNOWN_SCENARIO'
          ? ErrorCodes.NOT_FOUND
          : typeof e.code === 'string'
            ? e.code
            : ErrorCodes.INTERNAL;
      return new ServiceError(code, e.message, hint);
    }
  }
  return toServiceError(err);
}

/** A path the user chose for writing: absolute, its directory exists, not a directory itself. */
async function checkWritablePath(path: string): Promise<string> {
  if (!isAbsolute(path) || path.includes('\0')) {
    throw new ServiceError(
      ErrorCodes.INVALID_PARAMS,
      `"${path}" is not an absolute path.`,
      'Pass an absolute file path.',
    );
  }
  const dir = await fsp.stat(dirname(path)).catch(() => undefined);
  if (!dir?.isDirectory()) {
    throw new ServiceError(
      ErrorCodes.NOT_FOUND,
      `The folder ${dirname(path)} does not exist.`,
      'Choose an existing folder.',
    );
  }
  const st = await fsp.stat(path).catch(() => undefined);
  if (st?.isDirectory()) {
    throw new ServiceError(
      ErrorCodes.INVALID_PARAMS,
      `${path} is a folder.`,
      'Choose a file name inside it.',
    );
  }
  return path;
}

/** A path the user chose for reading: absolute and a regular file. */
async function checkReadableFile(path: string): Promise<string> {
  if (!isAbsolute(path) || path.includes('\0')) {
    throw new ServiceError(
      ErrorCodes.INVALID_PARAMS,
      `"${path}" is not an absolute path.`,
      'Pass an absolute file path.',
    );
  }
  const st = await fsp.stat(path).catch(() => undefined);
  if (!st) throw new ServiceError(ErrorCodes.NOT_FOUND, `${path} does not exist.`, 'Check the file name.');
  if (!st.isFile()) throw new ServiceError(ErrorCodes.INVALID_PARAMS, `${path} is not a regular file.`);
  return path;
}
