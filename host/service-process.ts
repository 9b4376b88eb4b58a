// The parent side of `xpuscope serve`'s process model: runs the xpuscope service in a child process
// (host/service-child.ts) so that a driver crash (SIGSEGV, kill -9, abort) or a hung driver call takes
// down only that process, never the HTTP/WebSocket server. `ServiceProcess` has the shape the
// transports use from `createService` (`handle`, `call`, `on`, `publish`, `state`, `close`).
//
// Crashes: when the child dies (any exit we did not ask for), every request it had not answered gets
// `SERVICE_RESTARTED` (retry it), clients see `service.state {state:'starting', message}` at once and
// `service.state {state:'restarted', message}` once the new child's runtime is ready; then requests
// work again. Subscriptions are re-made in the new child: its timeline starts EMPTY and no
// `timeline.reset` is sent — clients keep what they hold and append what follows (see host/README.md).
// More than `maxRestarts` restarts within `restartWindowMs` → `service.state {state:'failed'}` and no
// more restarts (requests then get UNAVAILABLE).
//
// Hangs: a driver call that never returns blocks the child's event loop and nothing would notice. The
// parent pings the child every second (`ping` → `pong`, answered from the child's event loop); when no
// message came from it for `hangTimeoutMs` (default 15 s, env XPUSCOPE_SERVICE_HANG_TIMEOUT_MS), it
// kills the child (SIGKILL) and restarts it as after a crash, telling clients why ("the runtime host
// stopped responding for 15 s (a driver call hung?) — restarted it").
//
// The streamed trace file (`capture.traceFile`): generation 1 writes the path as given, generation N
// (after N−1 restarts) writes `<name>.partN.json` beside it; after a child dies the parent checks that
// its part ends like a closed trace and repairs it if the kill interrupted a flush (cut back to the
// last complete event, trailer appended), so every part is valid Chrome-trace JSON.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ErrorCodes,
  requestIdOf,
  type EventName,
  type Events,
  type MethodName,
  type ParamsOf,
  type ResultOf,
} from '../protocol/contract.js';
import { batchExtent, decodeBatch, encodeBatch } from '../protocol/timeline-batch.js';
import type { DriverRequest } from '../protocol/devices.js';
import type { RecordState } from '../protocol/views.js';
import { sealTraceFile } from '../runtime/trace/index.js';
import type { ChildMessage, ChildServiceOptions, ParentMessage } from './service-child.js';
import {
  ServiceError,
  type CallContext,
  type EventListener,
  type EventMessage,
  type ReplyMessage,
  type ServiceOptions,
  type ServiceState,
  type SubscribeOptions,
} from './service.js';
import type { TransferRegistry } from './transfers.js';

/** What a transport needs of a service: `createService`'s object and `ServiceProcess` both have it. */
export interface HostedService {
  handle(raw: unknown, ctx?: CallContext): Promise<ReplyMessage>;
  call<M extends MethodName>(method: M, params: ParamsOf<M>, ctx?: CallContext): Promise<ResultOf<M>>;
  on(listener: EventListener, options?: SubscribeOptions): () => void;
  publish<E extends EventName>(event: E, data: Events[E]): void;
  /** Prometheus text (GET /metrics); resolves within a bound even when the service is busy or gone. */
  metricsText(): Promise<string>;
  readonly state: ServiceState;
  close(): void;
}

export interface ServiceProcessOptions {
  driver?: DriverRequest;
  profile?: string;
  version?: string;
  capture?: ServiceOptions['capture'];
  maxScenarioMs?: number;
  /** Let clients launch programs to record (record.start); see ServiceOptions.allowLaunch. */
  allowLaunch?: boolean;
  /** Downloads/uploads: the child writes export files into its folder, the parent serves them. */
  transfers?: TransferRegistry;
  /** Give up after this many restarts within `restartWindowMs` (default 5 in 60 s). */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** Delay before a restart (default 250 ms), doubled for each recent restart, up to 8×. */
  restartDelayMs?: number;
  /** The child entry (default: service-child.js beside this module, or .ts when running from source). */
  modulePath?: string;
  /** Node options for the child (default none; from source: a TypeScript loader). */
  execArgv?: string[];
  /** Environment of the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** One-line log sink (the child's stderr lines come here too, prefixed "service: "). */
  log?: (line: string) => void;
  /**
   * Kill and restart a child that answered nothing (not even a ping) for this long: its event loop is
   * stuck, e.g. in a driver call that hung. Default 15 000 ms, or XPUSCOPE_SERVICE_HANG_TIMEOUT_MS.
   */
  hangTimeoutMs?: number;
}

export const DEFAULT_HANG_TIMEOUT_MS = 15_000;

function hangTimeoutFrom(options: ServiceProcessOptions): number {
  if (options.hangTimeoutMs !== undefined && options.hangTimeoutMs > 0) return options.hangTimeoutMs;
  const env = Number(process.env.XPUSCOPE_SERVICE_HANG_TIMEOUT_MS);
  return env > 0 ? env : DEFAULT_HANG_TIMEOUT_MS;
}

interface Pending {
  raw: unknown;
  resolve(reply: ReplyMessage): void;
}

interface Sub {
  listener: EventListener;
  ready: (() => boolean) | undefined;
  batches: boolean;
  client: CallContext['client'];
  /** What the child was last told about this subscriber's readiness. */
  remoteReady: boolean;
  /** Strings this subscriber's reader holds (client numbering), and the offset for the current child. */
  strings: number;
  stringOffset: number;
}

/** Lane ids and op ids clients have seen (one past the largest), in client numbering. */
interface IdSpace {
  lanes: number;
  ops: number;
}

/** How often subscribers reported as backed up are checked again. */
const READY_POLL_MS = 50;
/** A scrape waits at most this long for the service process, then gets the last text it sent. */
const METRICS_WAIT_MS = 1500;
/** Requests queued while the child (re)starts: at most this many, holding at most this many bytes. */
const MAX_QUEUED = 1000;
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

/** The child entry and node options to run it: the built .js, or the .ts through the tests' loader. */
function defaultEntry(): { modulePath: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    // Running from source (vitest): node 20 cannot run .ts itself; use the repository's esbuild hooks.
    const loader = resolve(dirname(here), '..', 'tests', 'runtime', 'helpers', 'register-ts.mjs');
    if (!existsSync(loader)) {
      throw new Error(
        `xpuscope: cannot start the service process from source (${loader} is missing); build with npm run build:ts or use inProcess.`,
      );
    }
    return { modulePath: join(dirname(here), 'service-child.ts'), execArgv: ['--import', loader] };
  }
  return { modulePath: join(dirname(here), 'service-child.js'), execArgv: [] };
}

/** `trace.json` → `trace.part2.json` (generation 1 keeps the name as given). */
export function tracePartPath(path: string, generation: number): string {
  if (generation <= 1) return path;
  const ext = extname(path);
  const stem = ext ? basename(path, ext) : basename(path);
  return join(dirname(path), `${stem}.part${generation}${ext || '.json'}`);
}

function subscribeMessage(sub: number, s: Sub): ParentMessage {
  return s.client !== undefined
    ? { type: 'subscribe', sub, batches: s.batches, client: s.client }
    : { type: 'subscribe', sub, batches: s.batches };
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
}

/** What the IPC channel carries for a WebSocket message: strings and bytes as they are. */
function toCloneable(raw: unknown): unknown {
  if (Array.isArray(raw) && raw.every((c) => Buffer.isBuffer(c))) return Buffer.concat(raw as Buffer[]);
  return raw;
}

/** Bytes a request takes in memory (what the queue bound counts). */
function sizeOf(raw: unknown): number {
  if (typeof raw === 'string') return Buffer.byteLength(raw);
  if (raw instanceof Uint8Array) return raw.byteLength;
  if (raw instanceof ArrayBuffer) return raw.byteLength;
  try {
    return Buffer.byteLength(JSON.stringify(raw) ?? '');
  } catch {
    return 0;
  }
}

/** A `trace.export` without a path (a download, which the transfer quota bounds), without parsing every message. */
function isDownloadExport(raw: unknown): boolean {
  let value: unknown = raw;
  if (typeof raw === 'string' || raw instanceof Uint8Array) {
    const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
    if (!text.includes('trace.export') || text.length > 1 << 20) return false;
    try {
      value = JSON.parse(text);
    } catch {
      return false;
    }
  }
  if (value === null || typeof value !== 'object') return false;
  const m = value as { method?: unknown; params?: { path?: unknown } };
  return m.method === 'trace.export' && m.params?.path === undefined;
}

/** `trace.import {upload}` in a request, without parsing every message. */
function uploadIdOf(raw: unknown): string | undefined {
  let value: unknown = raw;
  if (typeof raw === 'string' || raw instanceof Uint8Array) {
    const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
    if (!text.includes('trace.import') || text.length > 1 << 20) return undefined;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object') return undefined;
  const m = value as { method?: unknown; params?: { upload?: unknown } };
  if (m.method !== 'trace.import') return undefined;
  const upload = m.params?.upload;
  return typeof upload === 'string' && /^[a-f0-9]{32}$/.test(upload) ? upload : undefined;
}

/**
 * A recording's analysis names op and lane ids; after a restart they are renumbered like the batches'
 * (see remapBatch), so a click on a finding selects the right operations.
 */
export function shiftAnalysis(data: unknown, offset: IdSpace): unknown {
  const st = data as Partial<RecordState> | null;
  const a = st?.analysis;
  if (!a || (offset.ops === 0 && offset.lanes === 0)) return data;
  const lanes = (ids: number[]): number[] => ids.map((l) => l + offset.lanes);
  return {
    ...st,
    analysis: {
      ...a,
      lanes: a.lanes.map((l) => ({ ...l, lane: l.lane + offset.lanes })),
      engines: a.engines.map((e) => ({ ...e, lanes: lanes(e.lanes) })),
      findings: a.findings.map((f) => ({
        ...f,
        ops: f.ops.map((o) => o + offset.ops),
        lanes: lanes(f.lanes),
      })),
    },
  };
}

export class ServiceProcess implements HostedService {
  private child: ChildProcess | null = null;
  /** True once the current child said hello (it has a service and takes requests). */
  private up = false;
  private closed = false;
  private gaveUp = false;
  private generation = 0;
  private nextTag = 1;
  private nextSub = 1;
  private readonly pending = new Map<number, Pending>();
  private queue: ParentMessage[] = [];
  private queuedBytes = 0;
  private readonly subs = new Map<number, Sub>();
  private readonly listeners = new Set<EventListener>();
  private current: ServiceState = { state: 'starting' };
  /** Set after a crash until the new child is ready: the `restarted` notice to publish then. */
  private restartNotice: string | undefined;
  private restarts: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private readyTimer: NodeJS.Timeout | undefined;
  private exitWaiters: Array<() => void> = [];
  private readonly entry: { modulePath: string; execArgv: string[] };
  private readonly log: (line: string) => void;
  private currentTraceFile: string | undefined;
  /** `init` for the current child, sent when it says `boot`. */
  private pendingInit: ChildServiceOptions = {};
  /** Lane/op ids relayed so far (client numbering), and the offsets applied to the current child's. */
  private readonly seen: IdSpace = { lanes: 0, ops: 0 };
  private offset: IdSpace = { lanes: 0, ops: 0 };
  /** Whether the capture was paused (from capture.state events): a restarted child is paused again. */
  private capturePaused = false;
  /** Watchdog: pings the current child; when it last heard from it; why it killed it (if it did). */
  private watchdog: NodeJS.Timeout | undefined;
  private lastHeard = 0;
  private hungFor: string | undefined;
  private readonly hangTimeoutMs: number;
  /** Scrapes waiting for the child's text, and the last text it sent (served when it is slow or gone). */
  private readonly metricsWaiters = new Map<number, (text: string) => void>();
  private lastMetrics: string | undefined;

  constructor(private readonly options: ServiceProcessOptions = {}) {
    this.log = options.log ?? (() => {});
    this.hangTimeoutMs = hangTimeoutFrom(options);
    const def = options.modulePath === undefined ? defaultEntry() : undefined;
    this.entry = {
      modulePath: options.modulePath ?? def!.modulePath,
      execArgv: options.execArgv ?? def?.execArgv ?? [],
    };
    this.start();
  }

  /** The child's process id (undefined while it is being restarted or after close). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many times a child was started (1, then 2 after the first restart, …). */
  get starts(): number {
    return this.generation;
  }

  get state(): ServiceState {
    return this.current;
  }

  /** The streamed trace file the current child writes (its part), if any. */
  get traceFile(): string | undefined {
    return this.currentTraceFile;
  }

  /** Resolves once a child is up and its runtime is ready (or failed). For tests and hosts. */
  whenReady(timeoutMs = 30_000): Promise<ServiceState> {
    return new Promise((done, fail) => {
      const settled = (): boolean =>
        this.up && this.restartNotice === undefined && this.current.state !== 'starting';
      if (settled() || this.gaveUp) return done(this.current);
      const timer = setTimeout(() => {
        off();
        fail(new Error(`the service process was not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener: EventListener = (m) => {
        if (m.event !== 'service.state') return;
        if (settled() || this.gaveUp) {
          clearTimeout(timer);
          off();
          done(this.current);
        }
      };
      this.listeners.add(listener);
      const off = (): void => {
        this.listeners.delete(listener);
      };
    });
  }

  private start(): void {
    if (this.closed || this.child) return;
    this.generation++;
    const generation = this.generation;
    const init: ChildServiceOptions = {};
    const o = this.options;
    if (o.driver !== undefined) init.driver = o.driver;
    if (o.profile !== undefined) init.profile = o.profile;
    if (o.version !== undefined) init.version = o.version;
    if (o.maxScenarioMs !== undefined) init.maxScenarioMs = o.maxScenarioMs;
    if (o.allowLaunch !== undefined) init.allowLaunch = o.allowLaunch;
    if (o.transfers) init.transfersDir = o.transfers.dir;
    if (o.capture !== undefined) {
      init.capture = { ...o.capture };
      if (o.capture.traceFile !== undefined) {
        init.capture.traceFile = tracePartPath(o.capture.traceFile, generation);
        this.currentTraceFile = init.capture.traceFile;
      }
    }
    const child = fork(this.entry.modulePath, [], {
      execArgv: this.entry.execArgv,
      env: { ...(o.env ?? process.env), XPUSCOPE_SERVICE_CHILD: '1' },
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.up = false;
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim()) this.log(`service: ${line}`);
        }
        if (buffered.length > 64 * 1024) buffered = '';
      });
    }
    child.on('message', (m: ChildMessage) => this.receive(child, m));
    this.hungFor = undefined;
    this.stopWatchdog(); // armed at 'boot': loading the child's modules may take a while on a busy machine
    child.once('error', (err) => {
      this.log(`service process error: ${err.message}`);
      // 'exit' may not follow when the spawn itself failed
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined)
        this.onExit(child, 1, null);
    });
    // After 'exit', wait for the IPC channel to close too: it delivers everything the child sent before
    // dying first ('close' is not emitted when we disconnected the channel ourselves).
    child.once('exit', (code, signal) => {
      if (!child.connected) return this.onExit(child, code, signal);
      const timer = setTimeout(() => this.onExit(child, code, signal), 2000);
      child.once('disconnect', () => {
        clearTimeout(timer);
        this.onExit(child, code, signal);
      });
    });
    this.pendingInit = init;
    this.log(`service process started (pid ${String(child.pid)}, generation ${generation})`);
  }

  private sendTo(child: ChildProcess, message: ParentMessage): boolean {
    if (!child.connected) return false;
    try {
      child.send(message);
      return true;
    } catch {
      return false;
    }
  }

  /** Send to the current child when it is up; queue otherwise (requests and uploads only). */
  private post(message: ParentMessage): void {
    if (this.child && this.up && this.sendTo(this.child, message)) return;
    if (message.type === 'request' || message.type === 'upload') {
      this.queue.push(message);
      if (message.type === 'request') this.queuedBytes += sizeOf(message.raw);
    }
  }

  /**
   * Pings `child` about every second; when nothing came from it for hangTimeoutMs its event loop is
   * stuck (a driver call that never returns): kill it, and onExit restarts it with the reason.
   */
  private startWatchdog(child: ChildProcess): void {
    this.stopWatchdog();
    this.lastHeard = performance.now();
    let seq = 0;
    const every = Math.max(10, Math.min(1000, this.hangTimeoutMs / 4));
    this.watchdog = setInterval(() => {
      if (child !== this.child) return this.stopWatchdog();
      const silent = performance.now() - this.lastHeard;
      if (silent < this.hangTimeoutMs) {
        this.sendTo(child, { type: 'ping', seq: ++seq });
        return;
      }
      this.stopWatchdog();
      const secs = Math.round(this.hangTimeoutMs / 100) / 10;
      this.hungFor = `${secs} s`;
      this.log(
        `service process ${String(child.pid)} did not answer for ${secs} s (a driver call hung?): killing it`,
      );
      child.kill('SIGKILL');
    }, every);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private receive(child: ChildProcess, m: ChildMessage): void {
    if (child !== this.child || m === null || typeof m !== 'object') return;
    this.lastHeard = performance.now(); // any message shows its event loop runs
    switch (m.type) {
      case 'pong':
        return;
      case 'boot':
        this.startWatchdog(child);
        this.sendTo(child, { type: 'init', options: this.pendingInit });
        return;
      case 'hello': {
        this.up = true;
        // The new child numbers lanes, strings and ops from 0 again; clients keep what they hold, so its
        // batches are renumbered after everything relayed before (see remapBatch).
        if (this.generation > 1) this.offset = { ...this.seen };
        for (const [sub, s] of this.subs) {
          s.stringOffset = this.generation > 1 ? s.strings : 0;
          s.remoteReady = true;
          this.sendTo(child, subscribeMessage(sub, s));
        }
        if (this.generation > 1 && this.capturePaused) {
          // Pausing lived in the dead process; the reply (to a tag nobody waits for) is dropped.
          this.sendTo(child, {
            type: 'request',
            tag: this.nextTag++,
            raw: { id: 0, method: 'capture.control', params: { action: 'pause' } },
          });
        }
        const queued = this.queue;
        this.queue = [];
        this.queuedBytes = 0;
        for (const q of queued) this.sendTo(child, q);
        return;
      }
      case 'state':
        this.onChildState(m.data);
        return;
      case 'reply': {
        const p = this.pending.get(m.tag);
        if (!p) return;
        this.pending.delete(m.tag);
        const reply = m.reply;
        if ('result' in reply && (reply.result as { analysis?: unknown } | null)?.analysis !== undefined)
          p.resolve({ ...reply, result: shiftAnalysis(reply.result, this.offset) as RecordState });
        else p.resolve(reply);
        return;
      }
      case 'event': {
        const s = this.subs.get(m.sub);
        if (!s) return;
        let message = m.message;
        if (message.event === 'timeline.batch') message = this.remapBatch(s, message);
        else if (message.event === 'record.state')
          message = { event: 'record.state', data: shiftAnalysis(message.data, this.offset) as RecordState };
        else if (message.event === 'capture.state')
          this.capturePaused = (message.data as { paused?: boolean }).paused === true;
        else if (message.event === 'timeline.reset') {
          // The client drops everything; the child's next batches start a fresh string table.
          s.strings = 0;
          s.stringOffset = 0;
        }
        try {
          s.listener(message);
        } catch {
          // a failing transport must not break the others
        }
        this.checkReady(m.sub, s);
        return;
      }
      case 'metrics': {
        this.lastMetrics = m.text;
        this.metricsWaiters.get(m.tag)?.(m.text);
        this.metricsWaiters.delete(m.tag);
        return;
      }
      case 'download': {
        const t = this.options.transfers;
        // Only files inside the registry's own folder are ever served.
        if (t && resolve(m.path).startsWith(resolve(t.dir) + sep)) t.offerDownload(m.id, m.filename, m.path);
        return;
      }
    }
  }

  /**
   * Renumbers a batch from a restarted child into the numbering its client already uses: lane ids and
   * op ids (and edges) continue after the largest relayed before the restart, string ids after the
   * strings this subscriber holds. Batches of the first child pass through untouched (only scanned).
   */
  private remapBatch(s: Sub, message: EventMessage): EventMessage {
    const data = message.data as ArrayBuffer;
    if (!(data instanceof ArrayBuffer)) return message;
    let out = data;
    if (this.offset.lanes !== 0 || this.offset.ops !== 0 || s.stringOffset !== 0) {
      try {
        const b = decodeBatch(data);
        const { lanes, ops } = this.offset;
        const so = s.stringOffset;
        for (const l of b.lanes) {
          l.id += lanes;
          if (l.source) {
            l.source.process += so;
            l.source.device += so;
            l.source.queue += so;
          }
        }
        for (let i = 0; i < b.count; i++) {
          b.lane[i] = b.lane[i]! + lanes;
          b.id[i] = b.id[i]! + ops;
          b.name[i] = b.name[i]! + so;
          if (b.detail[i]! > 0) b.detail[i] = b.detail[i]! + so;
        }
        for (let j = 0; j < b.edgeFrom.length; j++) {
          b.edgeFrom[j] = b.edgeFrom[j]! + ops;
          b.edgeTo[j] = b.edgeTo[j]! + ops;
        }
        b.stringBase += so;
        out = encodeBatch(b);
      } catch {
        return message; // not a batch we can read: pass it on as it is
      }
    }
    const extent = batchExtent(out);
    if (extent) {
      this.seen.lanes = Math.max(this.seen.lanes, extent.lanes);
      this.seen.ops = Math.max(this.seen.ops, extent.ops);
      s.strings = Math.max(s.strings, extent.strings);
    }
    return out === data ? message : { event: 'timeline.batch', data: out };
  }

  private onChildState(data: ServiceState): void {
    if (this.restartNotice !== undefined) {
      if (data.state === 'starting') return; // still restarting: clients already know
      const notice = this.restartNotice;
      this.restartNotice = undefined;
      if (data.state === 'ready') {
        this.publish('service.state', { state: 'restarted', message: notice });
        // Clients connecting from now on hear 'ready' (the notice is for those who saw the crash).
        this.current = data;
        return;
      }
      this.publish('service.state', {
        state: 'failed',
        message: `The GPU service process was restarted after it stopped unexpectedly, but ${data.message ?? 'it failed'}`,
      });
      return;
    }
    if (data.state === this.current.state && data.message === this.current.message) return;
    this.publish('service.state', data);
  }

  /** Tell the child when a subscriber's transport backs up, and again when it drained. */
  private checkReady(sub: number, s: Sub): void {
    if (!s.ready || !this.child || !this.up) return;
    const ready = s.ready();
    if (ready === s.remoteReady) return;
    s.remoteReady = ready;
    this.sendTo(this.child, { type: 'ready', sub, ready });
    if (!ready && !this.readyTimer) {
      this.readyTimer = setInterval(() => {
        let waiting = false;
        for (const [id, entry] of this.subs) {
          if (!entry.remoteReady) {
            this.checkReady(id, entry);
            if (!entry.remoteReady) waiting = true;
          }
        }
        if (!waiting && this.readyTimer) {
          clearInterval(this.readyTimer);
          this.readyTimer = undefined;
        }
      }, READY_POLL_MS);
      this.readyTimer.unref();
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = null;
    this.up = false;
    this.stopWatchdog();
    const hungFor = this.hungFor;
    this.hungFor = undefined;
    const how = describeExit(code, signal);
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    // Partial exports it was writing and uploads it had been handed belong to no one now.
    const orphans = this.options.transfers?.removeOrphans() ?? 0;
    if (orphans > 0) this.log(`removed ${orphans} transfer file(s) the stopped service process left`);
    if (this.currentTraceFile !== undefined) {
      const sealed = sealTraceFile(this.currentTraceFile);
      if (sealed === 'repaired' || sealed === 'empty')
        this.log(`trace file ${this.currentTraceFile}: ${sealed} after the service process stopped`);
    }
    if (this.closed) return;

    // What happened, in the words clients see: a crash, or a hang the watchdog ended.
    const what =
      hungFor !== undefined
        ? `the runtime host stopped responding for ${hungFor} (a driver call hung?)`
        : `the GPU service process stopped unexpectedly (${how})`;
    if (hungFor === undefined) this.log(`service process ${String(child.pid)} stopped unexpectedly (${how})`);
    this.failPending({
      code: ErrorCodes.SERVICE_RESTARTED,
      message:
        hungFor !== undefined
          ? `The runtime host stopped responding for ${hungFor} (a driver call hung?) before answering; it was killed and is being restarted.`
          : `The GPU service process stopped unexpectedly (${how}) before answering; it is being restarted.`,
      hint:
        hungFor !== undefined
          ? 'Retry the request once the service is back (service.state "restarted"). If it keeps happening, the GPU driver may be hanging: run `xpuscope diag --level 2` and check `dmesg`.'
          : 'Retry the request once the service is back (service.state "restarted"). If it keeps happening, the driver may be crashing: run `xpuscope diag --level 2`.',
    });

    const now = Date.now();
    const windowMs = this.options.restartWindowMs ?? 60_000;
    const max = this.options.maxRestarts ?? 5;
    this.restarts = this.restarts.filter((t) => now - t < windowMs);
    if (this.restarts.length >= max) {
      this.gaveUp = true;
      this.restartNotice = undefined;
      this.failQueued();
      const message =
        `The GPU service process stopped unexpectedly ${this.restarts.length + 1} times within ${Math.round(windowMs / 1000)} s ` +
        `(last: ${hungFor !== undefined ? what : how}) and was not restarted again. Restart xpuscope serve; to find out why, run ` +
        '`xpuscope devices` and `xpuscope diag --level 2` in a terminal (the GPU driver may be crashing).';
      this.log(message);
      this.publish('service.state', { state: 'failed', message });
      return;
    }
    this.restarts.push(now);
    const delay = (this.options.restartDelayMs ?? 250) * Math.min(8, 2 ** (this.restarts.length - 1));
    this.restartNotice =
      hungFor !== undefined
        ? `${what} — restarted it; the timeline so far is kept`
        : `${what} and was restarted; the timeline so far is kept`;
    this.publish('service.state', { state: 'starting', message: `${what}; restarting it…` });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
    }, delay);
  }

  private failPending(error: { code: string; message: string; hint?: string }): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.resolve({ id: requestIdOf(p.raw), error });
  }

  /** Requests waiting for a child that will not come: answer them. */
  private failQueued(): void {
    this.queue = [];
    this.queuedBytes = 0;
    this.failPending({
      code: ErrorCodes.UNAVAILABLE,
      message: 'The GPU service process keeps stopping and was not restarted.',
      hint: 'Restart xpuscope serve; run `xpuscope diag --level 2` in a terminal to see why.',
    });
  }

  handle(raw: unknown, ctx: CallContext = {}): Promise<ReplyMessage> {
    if (this.closed) {
      return Promise.resolve({
        id: requestIdOf(raw),
        error: { code: ErrorCodes.CLOSED, message: 'The xpuscope service is closed.' },
      });
    }
    if (this.gaveUp) {
      return Promise.resolve({
        id: requestIdOf(raw),
        error: {
          code: ErrorCodes.UNAVAILABLE,
          message: 'The GPU service process keeps stopping and was not restarted.',
          hint: 'Restart xpuscope serve; run `xpuscope diag --level 2` in a terminal to see why.',
        },
      });
    }
    const value = toCloneable(raw);
    const waiting = !(this.child && this.up);
    if (waiting && (this.queue.length >= MAX_QUEUED || this.queuedBytes + sizeOf(value) > MAX_QUEUED_BYTES)) {
      return Promise.resolve({
        id: requestIdOf(value),
        error: {
          code: ErrorCodes.BUSY,
          message: 'The GPU service process is restarting and too many requests are waiting.',
          hint: 'Try again in a moment.',
        },
      });
    }
    // The child writes exports into the transfer folder: refuse them here while it is over its quota.
    const quota =
      this.options.transfers && isDownloadExport(value) ? this.options.transfers.quotaRefusal() : undefined;
    if (quota !== undefined) {
      return Promise.resolve({
        id: requestIdOf(value),
        error: {
          code: ErrorCodes.IO_ERROR,
          message: quota,
          hint: 'Download or drop earlier exports and uploads, retry after they expire, or restart xpuscope serve with a larger --transfer-quota.',
        },
      });
    }
    // An upload id belongs to the parent's registry: hand its file to the child before the request.
    const t = this.options.transfers;
    if (t) {
      const upload = uploadIdOf(value);
      const path = upload !== undefined ? t.takeUpload(upload) : undefined;
      if (upload !== undefined && path !== undefined) this.post({ type: 'upload', id: upload, path });
    }
    const tag = this.nextTag++;
    return new Promise<ReplyMessage>((resolveReply) => {
      this.pending.set(tag, { raw: value, resolve: resolveReply });
      this.post(
        ctx.client !== undefined
          ? { type: 'request', tag, raw: value, client: ctx.client }
          : { type: 'request', tag, raw: value },
      );
    });
  }

  async call<M extends MethodName>(method: M, params: ParamsOf<M>, ctx?: CallContext): Promise<ResultOf<M>> {
    const reply = await this.handle({ id: 0, method, params: params ?? {} }, ctx);
    if ('error' in reply) throw new ServiceError(reply.error.code, reply.error.message, reply.error.hint);
    return reply.result as ResultOf<M>;
  }

  on(listener: EventListener, options?: SubscribeOptions): () => void {
    const sub = this.nextSub++;
    const s: Sub = {
      listener,
      ready: options?.ready,
      batches: options?.batches ?? true,
      client: options?.client,
      remoteReady: true,
      strings: 0,
      stringOffset: 0,
    };
    this.subs.set(sub, s);
    this.listeners.add(listener);
    if (this.child && this.up) this.sendTo(this.child, subscribeMessage(sub, s));
    queueMicrotask(() => {
      if (!this.closed && this.listeners.has(listener)) {
        try {
          listener({ event: 'service.state', data: this.current });
        } catch {
          // ignore
        }
      }
    });
    return () => {
      this.subs.delete(sub);
      this.listeners.delete(listener);
      if (this.child && this.up) this.sendTo(this.child, { type: 'unsubscribe', sub });
    };
  }

  /**
   * The service process's metrics text; when it does not answer within METRICS_WAIT_MS (busy in a long
   * driver call, restarting, gone), the last text it sent with a comment saying so — a scrape is never
   * held up, and `xpuscope_up` goes 0 when no text ever came.
   */
  metricsText(): Promise<string> {
    const stale = (why: string): string =>
      this.lastMetrics !== undefined
        ? `# xpuscope: ${why}; these are the values it last reported\n${this.lastMetrics}`
        : `# xpuscope: ${why}\n# TYPE xpuscope_up gauge\nxpuscope_up 0\n`;
    if (this.closed) return Promise.resolve(stale('the service is closed'));
    if (!this.child || !this.up) return Promise.resolve(stale('the GPU service process is (re)starting'));
    const tag = this.nextTag++;
    const child = this.child;
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.metricsWaiters.delete(tag);
        done(stale(`the GPU service process did not answer within ${METRICS_WAIT_MS} ms`));
      }, METRICS_WAIT_MS);
      timer.unref();
      this.metricsWaiters.set(tag, (text) => {
        clearTimeout(timer);
        done(text);
      });
      if (!this.sendTo(child, { type: 'metrics', tag })) {
        clearTimeout(timer);
        this.metricsWaiters.delete(tag);
        done(stale('the GPU service process is not reachable'));
      }
    });
  }

  publish<E extends EventName>(event: E, data: Events[E]): void {
    if (this.closed) return;
    if (event === 'service.state') this.current = data as ServiceState;
    const message = { event, data } as EventMessage;
    for (const listener of [...this.listeners]) {
      try {
        listener(message);
      } catch {
        // ignore
      }
    }
  }

  /** Stops the child (it closes its service, so the trace file is complete) and waits for it to exit. */
  close(): Promise<void> {
    if (this.closed) return this.exited();
    this.closed = true;
    this.stopWatchdog();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.readyTimer) clearInterval(this.readyTimer);
    this.restartTimer = this.readyTimer = undefined;
    this.failPending({ code: ErrorCodes.CLOSED, message: 'The xpuscope service is closed.' });
    this.queue = [];
    this.queuedBytes = 0;
    this.listeners.clear();
    this.subs.clear();
    const child = this.child;
    const done = this.exited();
    if (child) {
      // Disconnecting makes the child close its service and exit; kill it if it does not.
      try {
        child.disconnect();
      } catch {
        // already gone
      }
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      killer.unref();
      void done.then(() => clearTimeout(killer));
    }
    return done;
  }

  private exited(): Promise<void> {
    if (!this.child) return Promise.resolve();
    return new Promise((done) => this.exitWaiters.push(done));
  }
}
