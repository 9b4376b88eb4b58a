// View state in one zustand store, created per transport (so tests, both hosts and each server the
// window connects to — renderer/Root.tsx — build their own). It holds what the views render:
// connection status, devices, the selected view, scenario/diagnostics/trace/record slices, the captures
// list and the capture state — never bulk profiling data: spans live in the timeline controller's typed
// arrays (renderer/timeline/), which batches reach without passing through React state.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ErrorPayload } from '../../protocol/contract.js';
import type { DeviceList } from '../../protocol/devices.js';
import type {
  CaptureList,
  CaptureState,
  CheckResult,
  CounterSample,
  DevicePropertiesView,
  DiagProgress,
  DiagReport,
  RecordOutput,
  RecordRequest,
  RecordState,
  ScenarioInfo,
  ScenarioResult,
  TraceImportSummary,
} from '../../protocol/views.js';
import { TimelineController } from '../timeline/controller.js';
import { toErrorPayload, type ConnectionStatus, type RendererTransport } from '../transports/index.js';
import type { Platform } from '../platform.js';

export type ViewId =
  'devices' | 'properties' | 'timeline' | 'scenarios' | 'counters' | 'diagnostics' | 'traces' | 'record';
export const VIEW_IDS: readonly ViewId[] = [
  'devices',
  'properties',
  'timeline',
  'scenarios',
  'counters',
  'diagnostics',
  'traces',
  'record',
];

/** A request's life as data. */
export type Async<T> =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; value: T }
  | { status: 'error'; error: ErrorPayload };

export type ScenarioRunState =
  | { status: 'idle' }
  | { status: 'running'; name: string; submitted: number; total: number }
  | { status: 'done'; result: ScenarioResult }
  | { status: 'error'; error: ErrorPayload };

export type DiagState =
  | { status: 'idle' }
  | { status: 'running'; level: 1 | 2 | 3; progress: DiagProgress | null; results: CheckResult[] }
  | { status: 'done'; report: DiagReport }
  | { status: 'error'; error: ErrorPayload };

export type TraceState =
  | { status: 'idle' }
  | { status: 'busy'; action: 'export' | 'import' }
  | { status: 'exported'; spans: number; bytes: number; path?: string }
  | { status: 'imported'; summary: TraceImportSummary }
  | { status: 'cancelled' }
  | { status: 'error'; error: ErrorPayload };

/** A request of the Record view in flight, or how the last one failed. */
export type RecordRequestState =
  | { status: 'idle' }
  | { status: 'starting' }
  | { status: 'stopping' }
  | { status: 'error'; action: 'start' | 'stop' | 'state'; error: ErrorPayload };

/** What the Record view's form holds (kept here so it survives switching views). */
export interface RecordForm {
  command: string;
  /** The argument line, split like a shell (renderer/argv.ts). */
  args: string;
  cwd: string;
  /** KEY=VALUE per line. */
  env: string;
  driver: 'default' | 'auto' | 'system' | 'sim';
  /** Simulated device profiles (driver sim), e.g. "max-1550". */
  profile: string;
  /** Also record the program's Level Zero calls per host thread. */
  hostCalls: boolean;
}

export const EMPTY_RECORD_FORM: RecordForm = {
  command: '',
  args: '',
  cwd: '',
  env: '',
  driver: 'default',
  profile: '',
  hostCalls: false,
};

/** The recorded program's output as the view shows it: chunks in arrival order, bounded. */
export interface RecordOutputState {
  chunks: RecordOutput[];
  /** Characters held (Σ chunk lengths). */
  chars: number;
  /** Characters dropped from the front to stay under RECORD_OUTPUT_CHARS. */
  droppedChars: number;
}

/** The recorded program's output kept in the page (the oldest is dropped beyond it): ~1 MB. */
export const RECORD_OUTPUT_CHARS = 1 << 20;
/** Consecutive output of one stream is joined into chunks up to this long (fewer DOM nodes). */
const RECORD_CHUNK_CHARS = 16 << 10;

const EMPTY_OUTPUT: RecordOutputState = { chunks: [], chars: 0, droppedChars: 0 };

/** Terminal control sequences (colours, cursor moves): the page shows plain text. */
// eslint-disable-next-line no-control-regex -- matching ESC sequences is the point
const ANSI_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

/**
 * `out` with `piece` appended (joined to the last chunk of its stream, terminal control sequences
 * removed), trimmed to `limit` chars.
 */
export function appendOutput(
  out: RecordOutputState,
  piece: RecordOutput,
  limit = RECORD_OUTPUT_CHARS,
): RecordOutputState {
  if (piece.text.includes('\u001b'))
    piece = { stream: piece.stream, text: piece.text.replace(ANSI_SEQUENCE, '') };
  if (piece.text.length === 0) return out;
  const chunks = out.chunks.slice();
  const last = chunks[chunks.length - 1];
  if (last && last.stream === piece.stream && last.text.length + piece.text.length <= RECORD_CHUNK_CHARS)
    chunks[chunks.length - 1] = { stream: last.stream, text: last.text + piece.text };
  else chunks.push({ stream: piece.stream, text: piece.text });
  let chars = out.chars + piece.text.length;
  let droppedChars = out.droppedChars;
  while (chars > limit && chunks.length > 0) {
    const first = chunks[0]!;
    const over = chars - limit;
    if (first.text.length <= over) {
      chunks.shift();
      chars -= first.text.length;
      droppedChars += first.text.length;
    } else {
      chunks[0] = { stream: first.stream, text: first.text.slice(over) };
      chars -= over;
      droppedChars += over;
    }
  }
  return { chunks, chars, droppedChars };
}

/** A counter sample as the page keeps it: with the wall-clock time (ms) it arrived. */
export type ReceivedCounterSample = CounterSample & { wallMs?: number };

/** Counter samples kept for the charts (the last N; older ones are dropped). */
export const COUNTER_POINTS = 240;

export type DevicesState =
  | { status: 'idle' }
  | { status: 'loading'; previous?: DeviceList }
  | { status: 'ready'; list: DeviceList }
  | { status: 'error'; error: ErrorPayload; previous?: DeviceList };

export interface AppState {
  transport: string;
  connection: ConnectionStatus;
  view: ViewId;
  devices: DevicesState;
  /** A one-line notice about the service (e.g. "service restarted"), shown until dismissed. */
  notice: string | null;
  /** The live timeline (spans live in typed arrays inside; the reference never changes). */
  timeline: TimelineController;
  platform: Platform | null;
  /** Device index → its properties. */
  properties: Record<number, Async<DevicePropertiesView>>;
  scenarios: Async<ScenarioInfo[]>;
  scenarioRun: ScenarioRunState;
  capture: CaptureState | null;
  captureError: ErrorPayload | null;
  /** Every capture the service keeps and which one this page views (captures.list / its pushes). */
  captures: CaptureList | null;
  /** The last COUNTER_POINTS samples, each with the wall-clock time it arrived (the charts' x-axis). */
  counters: ReceivedCounterSample[];
  /** The device the Counters view shows (kept across view switches). */
  countersDevice: number;
  diag: DiagState;
  trace: TraceState;
  /** The service's recording (record.state / its pushes); null until asked. */
  record: RecordState | null;
  recordRequest: RecordRequestState;
  recordOutput: RecordOutputState;
  recordForm: RecordForm;
}

export interface AppActions {
  setView(view: ViewId): void;
  loadDevices(): Promise<void>;
  retryConnection(): void;
  dismissNotice(): void;
  loadProperties(device: number): Promise<void>;
  loadScenarios(): Promise<void>;
  runScenario(name: string, device: number, params: Record<string, number | string>): Promise<void>;
  loadCapture(): Promise<void>;
  controlCapture(action: 'pause' | 'resume' | 'clear'): Promise<void>;
  loadCaptures(): Promise<void>;
  setCountersDevice(device: number): void;
  /** Show capture `id` on this page only, or (null) follow the newest live capture. */
  selectCapture(id: string | null): Promise<void>;
  closeCapture(id: string): Promise<void>;
  runDiag(level: 1 | 2 | 3): Promise<void>;
  exportTrace(): Promise<void>;
  /** Web: the file the user picked; Electron: omitted (main shows the open dialog). */
  importTrace(file?: Blob): Promise<void>;
  setRecordForm(patch: Partial<RecordForm>): void;
  loadRecord(): Promise<void>;
  startRecord(request: RecordRequest): Promise<void>;
  stopRecord(): Promise<void>;
}

export type AppStore = StoreApi<AppState & AppActions>;

export interface AppStoreHandle {
  store: AppStore;
  /** Stops listening to the transport (does not close it). */
  dispose(): void;
}

/** Order of recording states within one recording: an answer never undoes a later push. */
const RECORD_PHASE = { idle: 0, running: 1, finished: 2, failed: 2 } as const;

/** Whether `a` (what the store has) is a later state of the same recording than `b`. */
function isNewer(a: RecordState | null, b: RecordState): boolean {
  if (!a || a.startedAt !== b.startedAt) return false;
  return RECORD_PHASE[a.state] > RECORD_PHASE[b.state] || (a.state === b.state && a.ops > b.ops);
}

export function createAppStore(
  api: RendererTransport,
  options: { platform?: Platform; timeline?: TimelineController } = {},
): AppStoreHandle {
  let loadSeq = 0;
  const timeline = options.timeline ?? new TimelineController();

  const store = createStore<AppState & AppActions>()((set, get) => ({
    transport: api.transport,
    connection: api.status(),
    view: 'devices',
    devices: { status: 'idle' },
    notice: null,
    timeline,
    platform: options.platform ?? null,
    properties: {},
    scenarios: { status: 'idle' },
    scenarioRun: { status: 'idle' },
    capture: null,
    captureError: null,
    captures: null,
    counters: [],
    countersDevice: 0,
    diag: { status: 'idle' },
    trace: { status: 'idle' },
    record: null,
    recordRequest: { status: 'idle' },
    recordOutput: EMPTY_OUTPUT,
    recordForm: EMPTY_RECORD_FORM,

    setView: (view) => set({ view }),

    loadDevices: async () => {
      const seq = ++loadSeq;
      const before = get().devices;
      const previous =
        before.status === 'ready' ? before.list : 'previous' in before ? before.previous : undefined;
      set({ devices: previous ? { status: 'loading', previous } : { status: 'loading' } });
      try {
        const list = await api.call('devices.list', {});
        if (seq === loadSeq) set({ devices: { status: 'ready', list } });
      } catch (error) {
        if (seq !== loadSeq) return;
        const payload = toErrorPayload(error);
        set({
          devices: previous
            ? { status: 'error', error: payload, previous }
            : { status: 'error', error: payload },
        });
      }
    },

    retryConnection: () => api.retryNow(),
    dismissNotice: () => set({ notice: null }),

    loadProperties: async (device) => {
      set({ properties: { ...get().properties, [device]: { status: 'loading' } } });
      try {
        const value = await api.call('devices.properties', { device });
        set({ properties: { ...get().properties, [device]: { status: 'ready', value } } });
      } catch (error) {
        set({
          properties: { ...get().properties, [device]: { status: 'error', error: toErrorPayload(error) } },
        });
      }
    },

    loadScenarios: async () => {
      set({ scenarios: { status: 'loading' } });
      try {
        set({ scenarios: { status: 'ready', value: await api.call('scenario.list', {}) } });
      } catch (error) {
        set({ scenarios: { status: 'error', error: toErrorPayload(error) } });
      }
    },

    runScenario: async (name, device, params) => {
      if (get().scenarioRun.status === 'running') return;
      set({ scenarioRun: { status: 'running', name, submitted: 0, total: 0 } });
      try {
        const result = await api.call('scenario.run', { name, device, params });
        set({ scenarioRun: { status: 'done', result } });
      } catch (error) {
        set({ scenarioRun: { status: 'error', error: toErrorPayload(error) } });
      }
    },

    loadCapture: async () => {
      try {
        set({ capture: await api.call('capture.state', {}), captureError: null });
      } catch (error) {
        set({ captureError: toErrorPayload(error) });
      }
    },

    controlCapture: async (action) => {
      try {
        // The viewers of what was cleared (maybe not this page) get a batch flagged `reset`.
        const capture = await api.call('capture.control', { action });
        set({ capture, captureError: null });
      } catch (error) {
        set({ captureError: toErrorPayload(error) });
      }
    },

    setCountersDevice: (device) => set({ countersDevice: device }),

    loadCaptures: async () => {
      try {
        set({ captures: await api.call('captures.list', {}) });
      } catch (error) {
        set({ captureError: toErrorPayload(error) });
      }
    },

    selectCapture: async (id) => {
      try {
        const captures = await api.call('captures.select', id === null ? { follow: true } : { id });
        set({ captures, captureError: null });
      } catch (error) {
        set({ captureError: toErrorPayload(error) });
        void get().loadCaptures(); // it may have gone (evicted, closed elsewhere, service restarted)
      }
    },

    closeCapture: async (id) => {
      try {
        set({ captures: await api.call('captures.close', { id }), captureError: null });
      } catch (error) {
        set({ captureError: toErrorPayload(error) });
      }
    },

    runDiag: async (level) => {
      if (get().diag.status === 'running') return;
      set({ diag: { status: 'running', level, progress: null, results: [] } });
      try {
        set({ diag: { status: 'done', report: await api.call('diag.run', { level }) } });
      } catch (error) {
        set({ diag: { status: 'error', error: toErrorPayload(error) } });
      }
    },

    exportTrace: async () => {
      const platform = get().platform;
      if (!platform) return;
      set({ trace: { status: 'busy', action: 'export' } });
      try {
        const r = await platform.exportTrace(api);
        set({
          trace: r
            ? {
                status: 'exported',
                spans: r.spans,
                bytes: r.bytes,
                ...(r.path !== undefined ? { path: r.path } : {}),
              }
            : { status: 'cancelled' },
        });
      } catch (error) {
        set({ trace: { status: 'error', error: toErrorPayload(error) } });
      }
    },

    importTrace: async (file) => {
      const platform = get().platform;
      if (!platform) return;
      set({ trace: { status: 'busy', action: 'import' } });
      try {
        const summary = await platform.importTrace(api, file);
        set({ trace: summary ? { status: 'imported', summary } : { status: 'cancelled' } });
      } catch (error) {
        set({ trace: { status: 'error', error: toErrorPayload(error) } });
      }
    },

    setRecordForm: (patch) => set({ recordForm: { ...get().recordForm, ...patch } }),

    loadRecord: async () => {
      try {
        const record = await api.call('record.state', {});
        const out = get().recordOutput;
        // A recording started elsewhere (or before this page loaded): its output so far is the tail.
        const seeded =
          out.chars === 0 && record.outputTail
            ? appendOutput(EMPTY_OUTPUT, { stream: 'stdout', text: record.outputTail })
            : out;
        set({ record, recordOutput: seeded });
        if (get().recordRequest.status === 'error') set({ recordRequest: { status: 'idle' } });
      } catch (error) {
        set({ recordRequest: { status: 'error', action: 'state', error: toErrorPayload(error) } });
      }
    },

    startRecord: async (request) => {
      const busy = get().recordRequest.status;
      if (busy === 'starting' || get().record?.state === 'running') return;
      set({ recordRequest: { status: 'starting' }, recordOutput: EMPTY_OUTPUT });
      try {
        const record = await api.call('record.start', request);
        // record.state pushes may have overtaken the answer: keep the newer one.
        if (!isNewer(get().record, record)) set({ record });
        set({ recordRequest: { status: 'idle' } });
      } catch (error) {
        set({ recordRequest: { status: 'error', action: 'start', error: toErrorPayload(error) } });
      }
    },

    stopRecord: async () => {
      set({ recordRequest: { status: 'stopping' } });
      try {
        const record = await api.call('record.stop', {});
        if (!isNewer(get().record, record)) set({ record });
        // Stopping is asked for; the end arrives as a record.state push.
        if (get().recordRequest.status === 'stopping') set({ recordRequest: { status: 'idle' } });
      } catch (error) {
        set({ recordRequest: { status: 'error', action: 'stop', error: toErrorPayload(error) } });
      }
    },
  }));

  const unsubscribers = [
    api.onStatus((connection) => {
      const was = store.getState().connection.state;
      store.setState({ connection });
      // (Re)connected: whatever we showed may be stale. The service replays its whole timeline to a
      // new subscriber, so drop what we hold instead of doubling it.
      if (connection.state === 'open' && was !== 'open') {
        timeline.reset();
        void store.getState().loadDevices();
        void store.getState().loadCaptures();
        if (store.getState().record) void store.getState().loadRecord();
      }
    }),
    api.on('service.state', (data) => {
      if (data.state === 'restarted') {
        // Keep what is shown: the server renumbers the new process's batches after what we hold, and
        // the next run arrives as a new capture. Only the list is the new process's own.
        store.setState({ notice: data.message ?? 'The xpuscope service restarted; devices were re-read.' });
        void store.getState().loadDevices();
        void store.getState().loadCaptures();
      } else if (data.state === 'ready') {
        // Every client hears 'ready' when it subscribes; only a failed load needs another try.
        if (store.getState().devices.status === 'error') void store.getState().loadDevices();
      } else if (data.state === 'failed') {
        store.setState({ notice: data.message ?? 'The xpuscope service stopped unexpectedly.' });
      }
    }),
  ];

  unsubscribers.push(
    api.on('timeline.batch', (data) => timeline.ingestBinary(data)),
    // No `timeline.reset` handler: a batch flagged `reset` says it, in order with the batches (the
    // Electron app's JSON events and batches take different ports; the event could come late).
    api.on('capture.state', (capture) => store.setState({ capture })),
    api.on('captures', (captures) => store.setState({ captures })),
    api.on('counters', (sample) => {
      const counters = store.getState().counters;
      const next =
        counters.length >= COUNTER_POINTS
          ? counters.slice(counters.length - COUNTER_POINTS + 1)
          : counters.slice();
      next.push({ ...sample, wallMs: Date.now() });
      store.setState({ counters: next });
    }),
    api.on('diag.progress', (progress) => {
      const diag = store.getState().diag;
      if (diag.status !== 'running') return;
      // Finished checks arrive with their result: rows fill in while the run goes on.
      const results = progress.result ? [...diag.results, progress.result] : diag.results;
      store.setState({ diag: { ...diag, progress, results } });
    }),
    api.on('record.state', (record) => {
      const before = store.getState().record;
      // A new recording (from this page, another one, or the CLI with --to): its output starts empty.
      const fresh = record.state === 'running' && before?.startedAt !== record.startedAt;
      store.setState(fresh ? { record, recordOutput: EMPTY_OUTPUT } : { record });
    }),
    api.on('record.output', (piece) => {
      store.setState({ recordOutput: appendOutput(store.getState().recordOutput, piece) });
    }),
    api.on('scenario.progress', (p) => {
      const run = store.getState().scenarioRun;
      if (run.status === 'running')
        store.setState({ scenarioRun: { ...run, submitted: p.submitted, total: p.total } });
    }),
  );

  // A transport that is open from the start (Electron) never reports the transition: load now.
  if (api.status().state === 'open') void store.getState().loadDevices();

  return {
    store,
    dispose: () => {
      for (const off of unsubscribers) off();
    },
  };
}
