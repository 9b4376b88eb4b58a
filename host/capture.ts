// The captures of the service and their delivery. Every scenario run, diagnostics run, imported file
// and recorded program is its own capture (its own Timeline); operations the service submits outside
// any run go into a `session` capture. Each client views one capture at a time: by default it follows
// the newest live one (switching when a run begins), or it pins one (`captures.select`). A client's
// selection never moves another client. Older captures are kept within a budget (count and operations)
// and evicted oldest first, never the live ones.
//
// Recording policy: the recorder is attached (through runtime/recorder-hub.ts) from `start()` — the
// service calls it once the runtime has loaded — for as long as the capture is not paused. Everything
// the service process submits goes to the current run's capture (or the session). While paused, the hub
// subscription is dropped, so the runtime takes its plain (no timestamp) path unless a scenario is
// running (scenarios subscribe themselves to compute their results).
//
// Delivery: a timer every `batchIntervalMs` (16 ms) looks for new data (ops, lanes, edges); only then
// does it build, per subscriber that is `ready()`, one batch since that subscriber's cursor in the
// capture it views (`Timeline.batchSince`, at most `maxBatchOps` rows each; while the subscriber stays
// ready, further capped batches follow in the same tick, up to MAX_BATCHES_PER_FLUSH / FLUSH_BUDGET_MS,
// the rest on the next tick). A subscriber that is not ready (its transport is backed up) is skipped:
// its cursor stays, so its next batch coalesces everything it missed, and if the ring evicted ops
// meanwhile the batch's `dropped` says how many — nothing is dropped silently. Counters (of the newest
// live capture) are simply skipped for a subscriber that is not ready. A client whose view changes gets
// `timeline.reset` and `capture.state` on all its subscriptions (a host may subscribe one client twice:
// the Electron utility process has a JSON port and a batch port), then batches from a fresh cursor.
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { EventMessage } from './service.js';
import type { Events } from '../protocol/contract.js';
import type { OpRecord } from '../protocol/timeline.js';
import type {
  CaptureInfo,
  CaptureKind,
  CaptureList,
  CaptureState,
  CounterSample,
} from '../protocol/views.js';
import {
  START_CURSOR,
  Timeline,
  encodeBatch,
  engineKey,
  sweepIntervals,
  type TimelineCursor,
} from '../runtime/timeline/index.js';
import { ChromeTraceWriter } from '../runtime/trace/index.js';
import { RecentOps } from './recent-ops.js';

type RuntimeModule = typeof import('../runtime/index.js');
type HubModule = typeof import('../runtime/recorder-hub.js');
type ClockModule = typeof import('../runtime/record-clock.js');

/** Who a subscription and a request belong to (one WebSocket, the desktop app's window…). */
export type ClientKey = string | number;
/** The client of subscriptions and calls that name none (in-process hosts, tests). */
export const DEFAULT_CLIENT: ClientKey = '';

export interface CaptureSubscriber {
  /** Deliver one event (binary `timeline.batch` data is an ArrayBuffer). */
  send(message: EventMessage): void;
  /** False while the transport is backed up: batches coalesce, counters are skipped. Default: always ready. */
  ready?(): boolean;
  /** False: this subscriber wants no `timeline.batch` events (only counters). Default true. */
  batches?: boolean;
  /** The client this subscription belongs to (its view of the captures). Default DEFAULT_CLIENT. */
  client?: ClientKey;
}

export interface CaptureOptions {
  /** Publish an event to every subscriber of the service (kept for hosts; the capture sends per client). */
  publish<E extends keyof Events>(event: E, data: Events[E]): void;
  batchIntervalMs?: number;
  countersIntervalMs?: number;
  /** Ops kept per lane of a live capture (default 65 536); imports and recordings keep up to 1 Mi. */
  laneCapacity?: number;
  maxBatchOps?: number;
  /** Stream the live and recorded operations to this Chrome-trace JSON file (flushed about once a second). */
  traceFile?: string;
  /** Keep at most this many captures (default 32) … */
  maxCaptures?: number;
  /** … holding at most this many operations together (default 4 Mi); the oldest ended ones go first. */
  maxTotalOps?: number;
}

/** One capture: a run, an import, a recording, or the session's own work between runs. */
interface Entry {
  id: string;
  kind: CaptureKind;
  name: string;
  device?: number;
  startedAt: number;
  timeline: Timeline;
  ended: boolean;
  /** Devices of its operations (counters are sampled for these). */
  devices: Set<number>;
  /** The recorded operations' clock (recordings), for the counters. */
  clock?: () => number;
}

interface Sub {
  sub: CaptureSubscriber;
  client: ClientKey;
  /** The capture the cursor belongs to. */
  entry: Entry;
  cursor: TimelineCursor;
  /** The next batch starts afresh (flag `reset`), sent even when the capture is empty. */
  resetPending: boolean;
}

/** Counter inputs (recent ops) are kept this long, ns, and at most RECENT_MAX of them (the newest). */
const RECENT_KEEP_NS = 5e9;
const RECENT_MAX = 100_000;
/** flushBatches sends at most this many capped batches per subscriber per tick, for at most this long. */
const MAX_BATCHES_PER_FLUSH = 16;
const FLUSH_BUDGET_MS = 8;
/** The captures list is re-sent at most this often while only op counts change. */
const LIST_INTERVAL_MS = 1000;
const BIG_LANES = 1 << 20;

/** Thrown for a capture id the service does not have (any more). */
export class CaptureNotFoundError extends Error {
  override readonly name = 'CaptureNotFoundError';
}
/** Thrown when closing a capture that still receives operations. */
export class CaptureLiveError extends Error {
  override readonly name = 'CaptureLiveError';
}

export class Capture {
  private readonly entries: Entry[] = [];
  /** Receives the runtime's own operations (the running scenario or diagnostics, else the session). */
  private hubTarget: Entry;
  /** What following clients view: the newest live capture. */
  private newest: Entry;
  /** Clients that pinned a capture (the others follow `newest`). */
  private readonly pinned = new Map<ClientKey, Entry>();
  private readonly subs = new Set<Sub>();
  private readonly boot = randomBytes(4).toString('hex');
  private nextId = 1;
  private evicted = 0;
  private paused = false;
  private started = false;
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private hub: HubModule | undefined;
  private runtime: RuntimeModule | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private countersTimer: NodeJS.Timeout | undefined;
  private version = 0;
  private sentVersion = 0;
  private listVersion = 0;
  private sentListVersion = 0;
  private listSentAt = 0;
  /** Counter inputs of the newest capture. */
  private readonly recent = new RecentOps(RECENT_MAX);
  private startedAt = performance.now();
  private clock: InstanceType<ClockModule['RecordClock']> | undefined;
  private writer: ChromeTraceWriter | undefined;
  private traceFile: string | undefined;
  private traceError: string | undefined;
  private pendingTrace: OpRecord[] = [];
  private traceTimer: NodeJS.Timeout | undefined;
  private readonly opts: Required<Omit<CaptureOptions, 'traceFile' | 'publish'>>;

  constructor(options: CaptureOptions) {
    this.opts = {
      batchIntervalMs: options.batchIntervalMs ?? 16,
      countersIntervalMs: options.countersIntervalMs ?? 250,
      laneCapacity: options.laneCapacity ?? 65_536,
      maxBatchOps: options.maxBatchOps ?? 32_768,
      maxCaptures: Math.max(2, options.maxCaptures ?? 32),
      maxTotalOps: options.maxTotalOps ?? 4 << 20,
    };
    this.hubTarget = this.newest = this.addEntry('session', 'Session');
    if (options.traceFile !== undefined) this.openTrace(options.traceFile);
  }

  private newTimeline(capacity = this.opts.laneCapacity): Timeline {
    return new Timeline({ laneCapacity: capacity, edgeCapacity: Math.max(capacity * 4, 262_144) });
  }

  private addEntry(kind: CaptureKind, name: string, timeline?: Timeline): Entry {
    const big = kind === 'import' || kind === 'recording';
    const e: Entry = {
      id: `${this.boot}-${this.nextId++}`,
      kind,
      name,
      startedAt: Date.now(),
      timeline: timeline ?? this.newTimeline(big ? Math.max(this.opts.laneCapacity, BIG_LANES) : undefined),
      ended: kind === 'import',
      devices: new Set(),
    };
    this.entries.push(e);
    this.listVersion++;
    return e;
  }

  /** Attach to the runtime (the service calls this once the runtime has loaded). Idempotent. */
  async start(rt: RuntimeModule): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    this.runtime = rt;
    this.hub = await import('../runtime/recorder-hub.js');
    this.clock = new (await import('../runtime/record-clock.js')).RecordClock();
    if (!this.paused) this.attach();
    this.ensureTimers();
  }

  private attach(): void {
    if (this.unsubscribe || !this.hub || this.closed) return;
    this.unsubscribe = this.hub.subscribeOps((op) => {
      if (!this.paused) this.appendOne(this.hubTarget, op);
    });
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  // ---- captures ----

  /**
   * A scenario or diagnostics run begins: its own capture receives the runtime's operations from now
   * on, and following clients switch to it. Returns its id; call `end(id)` when the run is over.
   */
  begin(kind: 'scenario' | 'diagnostics', name: string, device?: number): string {
    const e = this.addEntry(kind, name);
    if (device !== undefined) {
      e.device = device;
      e.devices.add(device);
    }
    // The session (or a run that never said end) stops receiving: the new run does.
    this.hubTarget.ended = true;
    this.dropIfEmptySession(this.hubTarget);
    this.hubTarget = e;
    this.makeNewest(e, 'capture');
    return e.id;
  }

  /**
   * The run of `begin` (or the recording of `beginExternal`) is over: its capture stays (late
   * completions still land in it) but is no longer live.
   */
  end(id: string): void {
    const e = this.entries.find((x) => x.id === id);
    if (!e || e.ended) return;
    e.ended = true;
    this.listVersion++;
    this.publishList();
  }

  /**
   * A recorded program begins: its own capture (fed through ingestExternal), which following clients
   * switch to; `now` gives the time on the recorded operations' clock, for the counters.
   */
  beginExternal(name: string, now: () => number): string {
    const e = this.addEntry('recording', name);
    e.clock = now;
    this.makeNewest(e, 'record');
    return e.id;
  }

  /** Operations of the recorded program of `beginExternal` (ignored once it ended or was closed). */
  ingestExternal(id: string, ops: readonly OpRecord[]): void {
    const e = this.newest.id === id ? this.newest : this.entries.find((x) => x.id === id);
    if (e && !e.ended) this.append(e, ops, true);
  }

  /** Opens an imported file as a capture shown to `client` only; live capture goes on. */
  open(timeline: Timeline, name: string, client: ClientKey = DEFAULT_CLIENT): string {
    const e = this.addEntry('import', name, timeline);
    for (const l of timeline.lanes()) e.devices.add(l.device);
    this.evict();
    this.pinned.set(client, e);
    this.rewindClient(client, 'import');
    this.publishList();
    return e.id;
  }

  /** Which capture `client` views: `id`, or `undefined` to follow the newest live one. */
  select(client: ClientKey, id: string | undefined): CaptureList {
    if (id === undefined) this.pinned.delete(client);
    else this.pinned.set(client, this.entryById(id));
    this.rewindClient(client, 'select');
    this.sendList(client);
    return this.list(client);
  }

  /** Forgets a capture that no longer receives operations; its viewers follow the newest again. */
  closeCapture(id: string, client: ClientKey = DEFAULT_CLIENT): CaptureList {
    const e = this.entryById(id);
    if (this.isLive(e)) throw new CaptureLiveError(`capture ${id} (${e.name}) is still receiving operations`);
    this.remove(e);
    this.publishList();
    return this.list(client);
  }

  /** The timeline of a capture (analysis, export). */
  timelineOf(id: string): Timeline {
    return this.entryById(id).timeline;
  }

  private entryById(id: string): Entry {
    const e = this.entries.find((x) => x.id === id);
    if (!e) throw new CaptureNotFoundError(`no capture ${id} (it was closed, or the service restarted)`);
    return e;
  }

  /** Still receiving operations: a run or recording not yet ended, or the session between runs. */
  private isLive(e: Entry): boolean {
    return !e.ended;
  }

  private makeNewest(e: Entry, reason: 'capture' | 'record'): void {
    this.newest = e;
    this.recent.clear();
    this.startedAt = performance.now();
    this.evict();
    for (const s of this.subs) if (!this.pinned.has(s.client)) this.rewind(s, e, reason);
    this.sendStates((client) => !this.pinned.has(client));
    this.publishList();
  }

  /** A session capture nobody looks at and nothing went into is replaced rather than listed. */
  private dropIfEmptySession(e: Entry): void {
    if (e.kind !== 'session' || e.timeline.totalAppended > 0) return;
    for (const v of this.pinned.values()) if (v === e) return;
    const i = this.entries.indexOf(e);
    if (i >= 0) this.entries.splice(i, 1);
  }

  private remove(e: Entry): void {
    const i = this.entries.indexOf(e);
    if (i >= 0) this.entries.splice(i, 1);
    this.listVersion++;
    if (e === this.hubTarget) this.hubTarget = this.addEntry('session', 'Session');
    if (e === this.newest) {
      const live = [...this.entries].reverse().find((x) => x.kind !== 'import') ?? this.hubTarget;
      this.newest = live;
      this.recent.clear();
    }
    for (const [client, v] of [...this.pinned]) if (v === e) this.pinned.delete(client);
    const moved = new Set<ClientKey>();
    for (const s of this.subs) {
      if (s.entry !== e) continue;
      this.rewind(s, this.viewOf(s.client), 'select');
      moved.add(s.client);
    }
    this.sendStates((client) => moved.has(client));
  }

  /** Keeps the captures within the budget: the oldest that are neither live nor newest go first. */
  private evict(): void {
    const total = (): number => this.entries.reduce((n, e) => n + e.timeline.size, 0);
    while (this.entries.length > this.opts.maxCaptures || total() > this.opts.maxTotalOps) {
      const victim = this.entries.find((e) => e !== this.newest && !this.isLive(e));
      if (!victim) return;
      this.remove(victim);
      this.evicted++;
    }
  }

  private viewOf(client: ClientKey): Entry {
    return this.pinned.get(client) ?? this.newest;
  }

  private rewind(s: Sub, e: Entry, reason: Events['timeline.reset']['reason']): void {
    s.entry = e;
    s.cursor = START_CURSOR;
    s.resetPending = true;
    this.version++;
    this.sendTo(s, 'timeline.reset', { reason });
  }

  private rewindClient(client: ClientKey, reason: Events['timeline.reset']['reason']): void {
    const e = this.viewOf(client);
    for (const s of this.subs) {
      if (s.client !== client || (reason === 'select' && s.entry === e)) continue;
      this.rewind(s, e, reason);
    }
    this.sendStates((c) => c === client);
  }

  private info(e: Entry): CaptureInfo {
    const range = e.timeline.timeRange();
    const info: CaptureInfo = {
      id: e.id,
      kind: e.kind,
      name: e.name,
      startedAt: e.startedAt,
      durationNs: range ? Math.max(0, range.endNs - range.startNs) : 0,
      ops: e.timeline.size,
      dropped: e.timeline.dropped,
      live: this.isLive(e),
    };
    if (e.device !== undefined) info.device = e.device;
    return info;
  }

  /** The captures (oldest first) and `client`'s view of them. */
  list(client: ClientKey = DEFAULT_CLIENT): CaptureList {
    const view = this.viewOf(client);
    return {
      captures: this.entries.map((e) => this.info(e)),
      viewing: view.id,
      following: !this.pinned.has(client),
      newest: this.newest.id,
      evicted: this.evicted,
    };
  }

  private clients(): Set<ClientKey> {
    const out = new Set<ClientKey>();
    for (const s of this.subs) out.add(s.client);
    return out;
  }

  private sendList(client: ClientKey): void {
    const l = this.list(client);
    for (const s of this.subs) if (s.client === client) this.sendTo(s, 'captures', l);
  }

  /** Sends every client its list (structural changes at once; op counts at most ~1 Hz, from flush). */
  private publishList(): void {
    this.sentListVersion = this.listVersion;
    this.listSentAt = performance.now();
    for (const client of this.clients()) this.sendList(client);
  }

  // ---- operations in ----

  /** Add operations from elsewhere to the runtime's current capture (tests and other feeders). */
  ingest(ops: readonly OpRecord[]): void {
    if (!this.paused) this.append(this.hubTarget, ops, true);
  }

  /** Operations into a capture, the counters (newest only) and the trace file. */
  private append(e: Entry, ops: readonly OpRecord[], trace: boolean): void {
    if (ops.length === 1) return this.appendOne(e, ops[0]!);
    if (this.closed || ops.length === 0) return;
    // Bulk: one Timeline.append for the whole run, then the counter inputs.
    e.timeline.append(ops);
    this.version++;
    this.listVersion++;
    const counted = e === this.newest;
    // Engine key ids cached per engine object (producers reuse one per stream), checked by device.
    const keyOf = new Map<OpRecord['engine'], { device: number; id: number }>();
    let lastDevice = -1;
    for (const op of ops) {
      if (op.device !== lastDevice) {
        e.devices.add(op.device);
        lastDevice = op.device;
      }
      if (!counted) continue;
      let k = keyOf.get(op.engine);
      if (k === undefined || k.device !== op.device) {
        k = { device: op.device, id: this.recent.keyId(engineKey(op.device, op.engine)) };
        keyOf.set(op.engine, k);
      }
      this.recent.push(op.device, k.id, op.submitNs, op.startNs, op.endNs);
    }
    if (this.writer && trace) {
      for (const op of ops) this.pendingTrace.push(op);
      if (this.pendingTrace.length >= 4096) this.writeTrace();
    }
  }

  private appendOne(e: Entry, op: OpRecord): void {
    if (this.closed) return;
    e.timeline.append([op]);
    this.version++;
    this.listVersion++;
    e.devices.add(op.device);
    if (e === this.newest)
      this.recent.push(
        op.device,
        this.recent.keyId(engineKey(op.device, op.engine)),
        op.submitNs,
        op.startNs,
        op.endNs,
      );
    if (this.writer) {
      this.pendingTrace.push(op);
      if (this.pendingTrace.length >= 4096) this.writeTrace();
    }
  }

  private writeTrace(): void {
    if (!this.pendingTrace.length || !this.writer) return;
    try {
      this.writer.write(this.pendingTrace);
    } catch (err) {
      const first = this.traceError === undefined;
      this.traceError = `writing ${this.traceFile ?? 'the trace file'} failed: ${err instanceof Error ? err.message : String(err)}`;
      if (first) this.sendStates(); // the clients show it
    }
    this.pendingTrace = [];
  }

  private openTrace(path: string): void {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.writer = ChromeTraceWriter.open(path, { flushIntervalMs: 1000 });
      this.traceFile = path;
      // Hand pending records to the writer even when nobody subscribes (its own timer flushes the file).
      this.traceTimer = setInterval(() => this.writeTrace(), 250);
      this.traceTimer.unref();
    } catch (err) {
      this.traceError = `${path} could not be opened: ${err instanceof Error ? err.message : String(err)}`;
      this.traceFile = undefined;
    }
  }

  /** Why the trace file could not be opened, if it could not. */
  get traceFileError(): string | undefined {
    return this.traceError;
  }

  /** Note that a device is in use by the runtime's current capture (counters are sampled for it). */
  noteDevice(device: number): void {
    this.hubTarget.devices.add(device);
  }

  // ---- delivery ----

  subscribe(sub: CaptureSubscriber): () => void {
    const client = sub.client ?? DEFAULT_CLIENT;
    const entry: Sub = {
      sub,
      client,
      entry: this.viewOf(client),
      cursor: START_CURSOR,
      resetPending: false,
    };
    this.subs.add(entry);
    this.ensureTimers();
    // A new subscriber catches up with what its capture holds on the next tick.
    if (entry.entry.timeline.totalAppended > 0) this.version++;
    return () => {
      this.subs.delete(entry);
      if (![...this.subs].some((s) => s.client === client)) this.pinned.delete(client);
      if (this.subs.size === 0) this.stopTimers();
    };
  }

  private sendTo<E extends keyof Events>(s: Sub, event: E, data: Events[E]): void {
    try {
      s.sub.send({ event, data } as EventMessage);
    } catch {
      // a failing transport must not break the capture
    }
  }

  private ensureTimers(): void {
    if (this.closed || this.subs.size === 0) return;
    if (!this.batchTimer) {
      this.batchTimer = setInterval(() => this.flushBatches(), this.opts.batchIntervalMs);
      this.batchTimer.unref();
    }
    if (!this.countersTimer) {
      this.countersTimer = setInterval(() => this.sampleCounters(), this.opts.countersIntervalMs);
      this.countersTimer.unref();
    }
  }

  private stopTimers(): void {
    if (this.batchTimer) clearInterval(this.batchTimer);
    if (this.countersTimer) clearInterval(this.countersTimer);
    this.batchTimer = this.countersTimer = undefined;
  }

  /** Push pending batches now (the timer calls this; tests and export may too). */
  flushBatches(): void {
    this.writeTrace();
    if (this.listVersion !== this.sentListVersion && performance.now() - this.listSentAt >= LIST_INTERVAL_MS)
      this.publishList();
    if (this.version === this.sentVersion && !this.anyBehind()) return;
    this.sentVersion = this.version;
    // Several capped batches per tick while the subscriber keeps up (its transport is ready), within a
    // time budget, so delivery is sized by time and backpressure rather than one fixed batch per tick.
    const until = performance.now() + FLUSH_BUDGET_MS;
    for (const s of this.subs) {
      if (s.sub.batches === false) continue;
      for (let i = 0; i < MAX_BATCHES_PER_FLUSH; i++) {
        if (s.sub.ready && !s.sub.ready()) break; // coalesced into its next batch
        if (!this.sendBatch(s) || performance.now() > until) break;
      }
    }
  }

  /** Whether some subscriber has not yet received everything (skipped while not ready, or a capped batch). */
  private anyBehind(): boolean {
    for (const s of this.subs) {
      if (s.sub.batches === false) continue;
      const tl = s.entry.timeline;
      let seen = 0;
      for (const n of s.cursor.lanes) seen += n;
      if (s.resetPending) return true;
      if (seen < tl.totalAppended || s.cursor.edges < tl.edgeCount + tl.droppedEdges) return true;
    }
    return false;
  }

  /** Sends one batch since the subscriber's cursor; true when it was capped (more is waiting). */
  private sendBatch(s: Sub): boolean {
    const tl = s.entry.timeline;
    let res;
    try {
      res = tl.batchSince(s.cursor, this.opts.maxBatchOps);
    } catch {
      // cursor from a replaced timeline (should not happen: a reset rewinds cursors): start over
      res = tl.batchSince(START_CURSOR, this.opts.maxBatchOps);
    }
    const b = res.batch;
    s.cursor = res.cursor;
    if (s.resetPending) {
      b.reset = true;
      s.resetPending = false;
    }
    if (
      !b.reset &&
      b.count === 0 &&
      b.lanes.length === 0 &&
      b.edgeFrom.length === 0 &&
      b.dropped === 0 &&
      b.droppedEdges === 0
    )
      return false;
    try {
      s.sub.send({ event: 'timeline.batch', data: encodeBatch(b) });
    } catch {
      // a failing transport must not break the capture
      return false;
    }
    return b.count >= this.opts.maxBatchOps;
  }

  /** Counters of the newest live capture (utilization, ops/s, latency), for every ready subscriber. */
  private sampleCounters(): void {
    const e = this.newest;
    const external = e.clock;
    if (this.subs.size === 0 || (!this.runtime && !external)) return;
    const devices = [...e.devices].sort((a, b) => a - b);
    if (devices.length === 0) return;
    const windowNs = this.opts.countersIntervalMs * 1e6;
    const t = Math.round(performance.now() - this.startedAt);
    for (const device of devices) {
      let now: number;
      try {
        now = external ? external() : this.clock!.now(device);
      } catch {
        continue;
      }
      this.recent.prune(now - RECENT_KEEP_NS);
      const from = now - windowNs;
      const perEngine = new Map<string, { s: number[]; e: number[] }>();
      for (const l of e.timeline.lanes()) {
        if (l.device === device) perEngine.set(engineKey(device, l.engine), { s: [], e: [] });
      }
      let started = 0;
      const lat: number[] = [];
      this.recent.forEach((rDevice, key, submit, start, end) => {
        if (rDevice !== device || end <= from || start >= now) return;
        const g = perEngine.get(key) ?? { s: [], e: [] };
        perEngine.set(key, g);
        g.s.push(Math.max(start, from));
        g.e.push(Math.min(end, now));
        if (start >= from) {
          started++;
          lat.push(start - submit);
        }
      });
      const engines: Record<string, number> = {};
      for (const [key, g] of perEngine) {
        engines[key] = Math.min(100, Math.round((sweepIntervals(g.s, g.e).busyNs / windowNs) * 1000) / 10);
      }
      const sample: CounterSample = {
        t,
        device,
        engines,
        memoryUsedBytes: 0,
        opsPerSec: Math.round(started / (windowNs / 1e9)),
      };
      try {
        if (!this.runtime || external) throw new Error('not a device of this process');
        const [free, total] = this.runtime.xpu.memGetInfo(device);
        sample.memoryUsedBytes = total - free;
        sample.memoryTotalBytes = total;
      } catch {
        // device gone or runtime not usable: leave memory at 0
      }
      if (lat.length) {
        lat.sort((a, b) => a - b);
        sample.submitToStartP50Ns = Math.round(lat[Math.ceil(lat.length / 2) - 1]!);
      }
      if (this.runtime && !external) this.addTelemetry(device, sample);
      for (const s of this.subs) {
        if (s.sub.ready && !s.sub.ready()) continue;
        this.sendTo(s, 'counters', sample);
      }
    }
  }

  /**
   * Rates of the newest live capture over the last second (the exporter's): operations started per
   * second and their median submit→start latency; `recording` while it receives operations.
   */
  captureRates(): { recording: boolean; opsPerSec?: number; submitToStartP50Ns?: number } {
    const e = this.newest;
    const recording = this.started && !this.paused && !this.closed && this.isLive(e);
    const external = e.clock;
    if (!this.runtime && !external) return { recording };
    let started = 0;
    const lat: number[] = [];
    for (const device of e.devices) {
      let now: number;
      try {
        now = external ? external() : this.clock!.now(device);
      } catch {
        continue;
      }
      const from = now - 1e9;
      this.recent.forEach((rDevice, _key, submit, start) => {
        if (rDevice !== device || start < from || start >= now) return;
        started++;
        lat.push(start - submit);
      });
    }
    const out: { recording: boolean; opsPerSec?: number; submitToStartP50Ns?: number } = {
      recording,
      opsPerSec: started,
    };
    if (lat.length) {
      lat.sort((a, b) => a - b);
      out.submitToStartP50Ns = lat[Math.ceil(lat.length / 2) - 1]!;
    }
    return out;
  }

  /** Latest sampled power and utilization per device, and whether a sampling is under way. */
  private readonly sampled = new Map<number, { powerW?: number; utilPct?: number; busy: boolean }>();

  /**
   * Sysman telemetry into a counters sample, through the runtime's torch.xpu functions: temperature
   * and clock read now; power and device utilization need two reads apart (their Promise), so the
   * sample carries the latest finished ones and the next sampling starts. What the device does not
   * report stays absent.
   */
  private addTelemetry(device: number, sample: CounterSample): void {
    const xpu = this.runtime!.xpu;
    try {
      sample.temperatureC = xpu.temperature(device);
    } catch {
      // not reported
    }
    try {
      sample.clockMHz = xpu.clockRate(device);
    } catch {
      // not reported
    }
    let s = this.sampled.get(device);
    if (!s) this.sampled.set(device, (s = { busy: false }));
    if (s.powerW !== undefined) sample.powerW = Math.round(s.powerW * 10) / 10;
    if (s.utilPct !== undefined) sample.gpuUtilizationPct = Math.round(s.utilPct * 10) / 10;
    if (s.busy) return;
    s.busy = true;
    const entry = s;
    const sampleMs = Math.max(50, this.opts.countersIntervalMs - 50);
    void Promise.allSettled([
      xpu.powerDraw(device, { sampleMs }),
      xpu.utilization(device, { sampleMs }),
    ]).then(([p, u]) => {
      entry.busy = false;
      entry.powerW = p.status === 'fulfilled' ? p.value : undefined;
      entry.utilPct = u.status === 'fulfilled' ? Math.min(100, Math.max(0, u.value)) : undefined;
    });
  }

  // ---- state and control ----

  /** The state of the capture `client` views. */
  state(client: ClientKey = DEFAULT_CLIENT): CaptureState {
    const e = this.viewOf(client);
    const st: CaptureState = {
      recording: this.started && !this.paused && !this.closed,
      paused: this.paused,
      ops: e.timeline.size,
      dropped: e.timeline.dropped,
      lanes: e.timeline.lanes().length,
      source: e.kind === 'import' ? 'import' : e.kind === 'recording' ? 'recording' : 'live',
      capture: e.id,
      kind: e.kind,
      following: !this.pinned.has(client),
    };
    if (e.kind !== 'session') st.sourceName = e.name;
    if (this.traceFile !== undefined && this.writer) st.traceFile = this.traceFile;
    if (this.traceError !== undefined) st.traceError = this.traceError;
    const lost = this.runtime?.xpu.recorderErrors?.() ?? 0;
    if (lost > 0) st.recorderErrors = lost;
    return st;
  }

  /** Sends `capture.state` to the clients `which` selects (each its own view). */
  private sendStates(which: (client: ClientKey) => boolean = () => true): void {
    const states = new Map<ClientKey, CaptureState>();
    for (const s of this.subs) {
      if (!which(s.client)) continue;
      let st = states.get(s.client);
      if (!st) states.set(s.client, (st = this.state(s.client)));
      this.sendTo(s, 'capture.state', st);
    }
  }

  pause(client: ClientKey = DEFAULT_CLIENT): CaptureState {
    this.paused = true;
    this.detach();
    this.sendStates();
    return this.state(client);
  }

  /**
   * Records the runtime's operations again, and `client` follows the live capture. After a recording
   * or a file, that is a fresh session capture (never mixed with what was shown).
   */
  resume(client: ClientKey = DEFAULT_CLIENT): CaptureState {
    this.paused = false;
    if (this.started) this.attach();
    const wasPinned = this.pinned.delete(client);
    if (this.newest !== this.hubTarget) {
      this.hubTarget.ended = true;
      this.hubTarget = this.addEntry('session', 'Session');
      this.makeNewest(this.hubTarget, 'capture');
    } else if (wasPinned) this.rewindClient(client, 'select');
    this.sendStates();
    return this.state(client);
  }

  /** Empties the runtime's current capture: its viewers get `timeline.reset {reason:'clear'}`. */
  clear(client: ClientKey = DEFAULT_CLIENT): CaptureState {
    const e = this.hubTarget;
    this.writeTrace();
    e.timeline = this.newTimeline();
    if (e === this.newest) this.recent.clear();
    this.listVersion++;
    const moved = new Set<ClientKey>();
    for (const s of this.subs) {
      if (s.entry !== e) continue;
      this.rewind(s, e, 'clear');
      moved.add(s.client);
    }
    this.sendStates((c) => moved.has(c));
    return this.state(client);
  }

  /** The records `client` views (or capture `id`), oldest first by id (for export). */
  records(client: ClientKey = DEFAULT_CLIENT, id?: string): OpRecord[] {
    const e = id !== undefined ? this.entryById(id) : this.viewOf(client);
    return e.timeline.records().sort((a, b) => a.id - b.id);
  }

  /** The timeline the default client views (tests, in-process hosts). */
  get current(): Timeline {
    return this.viewOf(DEFAULT_CLIENT).timeline;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    this.stopTimers();
    this.subs.clear();
    if (this.traceTimer) clearInterval(this.traceTimer);
    if (this.writer) {
      try {
        if (this.pendingTrace.length) this.writer.write(this.pendingTrace);
        this.writer.close();
      } catch {
        // best effort
      }
      this.writer = undefined;
    }
  }
}
