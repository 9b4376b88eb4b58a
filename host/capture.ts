// The capture session of the service: one live Timeline fed by the runtime recorder, pushed to every
// subscriber as binary `timeline.batch` events (each subscriber has its own cursor), plus `counters` at
// ~4 Hz, pause/resume/clear, import (replace) and an optional streamed Chrome-trace file.
//
// Recording policy: the recorder is attached (through runtime/recorder-hub.ts) from `start()` — the
// service calls it once the runtime has loaded — for as long as the capture is not paused. Everything
// the service process submits (scenarios, diagnostics) is therefore recorded. While paused, the hub
// subscription is dropped, so the runtime takes its plain (no timestamp) path unless a scenario is
// running (scenarios subscribe themselves to compute their results).
//
// Delivery: a timer every `batchIntervalMs` (16 ms) looks for new data (ops, lanes, edges); only then
// does it build, per subscriber that is `ready()`, one batch since that subscriber's cursor
// (`Timeline.batchSince`, at most `maxBatchOps` rows each; while the subscriber stays ready, further capped
// batches follow in the same tick, up to MAX_BATCHES_PER_FLUSH / FLUSH_BUDGET_MS, the rest on the next tick). A subscriber
// that is not ready (its transport is backed up) is skipped: its cursor stays, so its next batch
// coalesces everything it missed, and if the ring evicted ops meanwhile the batch's `dropped` says how
// many — nothing is dropped silently. Counters are simply skipped for a subscriber that is not ready.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventMessage } from './service.js';
import type { Events } from '../protocol/contract.js';
import type { OpRecord } from '../protocol/timeline.js';
import type { CaptureState, CounterSample } from '../protocol/views.js';
import {
  START_CURSOR,
  Timeline,
  encodeBatch,
  engineKey,
  sweepIntervals,
  type TimelineCursor,
} from '../runtime/timeline/index.js';
import { ChromeTraceWriter } from '../runtime/trace/export.js';
import { RecentOps } from './recent-ops.js';

type RuntimeModule = typeof import('../runtime/index.js');
type HubModule = typeof import('../runtime/recorder-hub.js');
type ClockModule = typeof import('../runtime/record-clock.js');

export interface CaptureSubscriber {
  /** Deliver one event (binary `timeline.batch` data is an ArrayBuffer). */
  send(message: EventMessage): void;
  /** False while the transport is backed up: batches coalesce, counters are skipped. Default: always ready. */
  ready?(): boolean;
  /** False: this subscriber wants no `timeline.batch` events (only counters). Default true. */
  batches?: boolean;
}

export interface CaptureOptions {
  /** Publish an event to every subscriber of the service (for timeline.reset and capture.state). */
  publish<E extends keyof Events>(event: E, data: Events[E]): void;
  batchIntervalMs?: number;
  countersIntervalMs?: number;
  /** Ops kept per lane of the live timeline (default 65 536). */
  laneCapacity?: number;
  maxBatchOps?: number;
  /** Stream the capture to this Chrome-trace JSON file while it runs (flushed about once a second). */
  traceFile?: string;
}

interface Sub {
  sub: CaptureSubscriber;
  cursor: TimelineCursor;
}

/** Counter inputs (recent ops) are kept this long, ns, and at most RECENT_MAX of them (the newest). */
const RECENT_KEEP_NS = 5e9;
const RECENT_MAX = 100_000;
/** flushBatches sends at most this many capped batches per subscriber per tick, for at most this long. */
const MAX_BATCHES_PER_FLUSH = 16;
const FLUSH_BUDGET_MS = 8;

export class Capture {
  private timeline: Timeline;
  private readonly subs = new Set<Sub>();
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
  private readonly recent = new RecentOps(RECENT_MAX);
  private readonly devices = new Set<number>();
  private startedAt = performance.now();
  /**
   * What the timeline shows: the runtime's own operations (live), an imported file, or a recorded
   * program (fed through ingestExternal, with its own clock for the counters).
   */
  private shown: { kind: 'live' | 'import' | 'recording'; name?: string } = { kind: 'live' };
  private externalClock: (() => number) | undefined;
  private clock: InstanceType<ClockModule['RecordClock']> | undefined;
  private writer: ChromeTraceWriter | undefined;
  private traceFile: string | undefined;
  private traceError: string | undefined;
  private pendingTrace: OpRecord[] = [];
  private traceTimer: NodeJS.Timeout | undefined;
  private readonly opts: Required<Omit<CaptureOptions, 'traceFile' | 'publish'>> &
    Pick<CaptureOptions, 'publish'>;

  constructor(options: CaptureOptions) {
    this.opts = {
      publish: options.publish,
      batchIntervalMs: options.batchIntervalMs ?? 16,
      countersIntervalMs: options.countersIntervalMs ?? 250,
      laneCapacity: options.laneCapacity ?? 65_536,
      maxBatchOps: options.maxBatchOps ?? 32_768,
    };
    this.timeline = this.newTimeline();
    if (options.traceFile !== undefined) this.openTrace(options.traceFile);
  }

  private newTimeline(capacity = this.opts.laneCapacity): Timeline {
    return new Timeline({ laneCapacity: capacity, edgeCapacity: Math.max(capacity * 4, 262_144) });
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
    this.unsubscribe = this.hub.subscribeOps((op) => this.onOp(op));
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Add operations from elsewhere (the recorder hub calls this per op; tests and other feeders may too). */
  ingest(ops: readonly OpRecord[]): void {
    if (!this.paused) this.append(ops);
  }

  /** Operations into the timeline, the counters and the trace file (paused or not: the callers decide). */
  private append(ops: readonly OpRecord[]): void {
    if (ops.length === 1) return this.appendOne(ops[0]!);
    if (this.closed || ops.length === 0) return;
    // Bulk: one Timeline.append for the whole run, then the counter inputs.
    this.timeline.append(ops);
    this.version++;
    // Engine key ids cached per engine object (producers reuse one per stream), checked by device.
    const keyOf = new Map<OpRecord['engine'], { device: number; id: number }>();
    let lastDevice = -1;
    for (const op of ops) {
      if (op.device !== lastDevice) {
        this.devices.add(op.device);
        lastDevice = op.device;
      }
      let k = keyOf.get(op.engine);
      if (k === undefined || k.device !== op.device) {
        k = { device: op.device, id: this.recent.keyId(engineKey(op.device, op.engine)) };
        keyOf.set(op.engine, k);
      }
      this.recent.push(op.device, k.id, op.submitNs, op.startNs, op.endNs);
    }
    if (this.writer) {
      for (const op of ops) this.pendingTrace.push(op);
      if (this.pendingTrace.length >= 4096) this.writeTrace();
    }
  }

  /**
   * Starts showing a recorded program: a fresh timeline (clients get `timeline.reset {reason:'record'}`),
   * the runtime's own operations are no longer recorded, and `now` tells the counters the time on the
   * recorded operations' clock.
   */
  beginExternal(name: string, now: () => number): CaptureState {
    this.paused = true;
    this.detach();
    this.replaceTimeline(this.newTimeline(Math.max(this.opts.laneCapacity, 1 << 20)), 'record');
    this.shown = { kind: 'recording', name };
    this.externalClock = now;
    this.startedAt = performance.now();
    return this.publishState();
  }

  /** Operations of the recorded program (see beginExternal); ignored when no recording is shown. */
  ingestExternal(ops: readonly OpRecord[]): void {
    if (this.shown.kind === 'recording') this.append(ops);
  }

  private onOp(op: OpRecord): void {
    if (!this.paused) this.appendOne(op);
  }

  private appendOne(op: OpRecord): void {
    if (this.closed) return;
    this.timeline.append([op]);
    this.version++;
    this.devices.add(op.device);
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
      this.traceError = err instanceof Error ? err.message : String(err);
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
      this.traceError = err instanceof Error ? err.message : String(err);
      this.traceFile = undefined;
    }
  }

  /** Why the trace file could not be opened, if it could not. */
  get traceFileError(): string | undefined {
    return this.traceError;
  }

  /** Note that a device is in use (counters are sampled for devices in use). */
  noteDevice(device: number): void {
    this.devices.add(device);
  }

  subscribe(sub: CaptureSubscriber): () => void {
    const entry: Sub = { sub, cursor: START_CURSOR };
    this.subs.add(entry);
    this.ensureTimers();
    // A new subscriber catches up with what the timeline holds on the next tick.
    if (this.timeline.totalAppended > 0) this.version++;
    return () => {
      this.subs.delete(entry);
      if (this.subs.size === 0) this.stopTimers();
    };
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
    const total = this.timeline.totalAppended;
    for (const s of this.subs) {
      if (s.sub.batches === false) continue;
      let seen = 0;
      for (const n of s.cursor.lanes) seen += n;
      if (seen < total || s.cursor.edges < this.timeline.edgeCount + this.timeline.droppedEdges) return true;
    }
    return false;
  }

  /** Sends one batch since the subscriber's cursor; true when it was capped (more is waiting). */
  private sendBatch(s: Sub): boolean {
    let res;
    try {
      res = this.timeline.batchSince(s.cursor, this.opts.maxBatchOps);
    } catch {
      // cursor from a replaced timeline (should not happen: reset rewinds cursors): start over
      res = this.timeline.batchSince(START_CURSOR, this.opts.maxBatchOps);
    }
    const b = res.batch;
    s.cursor = res.cursor;
    if (
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

  private sampleCounters(): void {
    if (this.subs.size === 0 || (!this.runtime && !this.externalClock)) return;
    const devices = [...this.devices].sort((a, b) => a - b);
    if (devices.length === 0) return;
    const windowNs = this.opts.countersIntervalMs * 1e6;
    const t = Math.round(performance.now() - this.startedAt);
    for (const device of devices) {
      let now: number;
      try {
        now = this.externalClock ? this.externalClock() : this.clock!.now(device);
      } catch {
        continue;
      }
      this.recent.prune(now - RECENT_KEEP_NS);
      const from = now - windowNs;
      const perEngine = new Map<string, { s: number[]; e: number[] }>();
      for (const l of this.timeline.lanes()) {
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
        if (!this.runtime || this.externalClock) throw new Error('not a device of this process');
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
      for (const s of this.subs) {
        if (s.sub.ready && !s.sub.ready()) continue;
        try {
          s.sub.send({ event: 'counters', data: sample });
        } catch {
          // ignore
        }
      }
    }
  }

  state(): CaptureState {
    const st: CaptureState = {
      recording: this.started && !this.paused && !this.closed,
      paused: this.paused,
      ops: this.timeline.size,
      dropped: this.timeline.dropped,
      lanes: this.timeline.lanes().length,
      source: this.shown.kind,
    };
    if (this.shown.name !== undefined) st.sourceName = this.shown.name;
    if (this.traceFile !== undefined && this.writer) st.traceFile = this.traceFile;
    return st;
  }

  private publishState(): CaptureState {
    const st = this.state();
    this.opts.publish('capture.state', st);
    return st;
  }

  pause(): CaptureState {
    this.paused = true;
    this.detach();
    return this.publishState();
  }

  resume(): CaptureState {
    // Back to live after a file or a recording: start a fresh timeline, never mix the two.
    if (this.shown.kind !== 'live') this.showLive();
    this.paused = false;
    if (this.started) this.attach();
    return this.publishState();
  }

  private showLive(): void {
    this.shown = { kind: 'live' };
    this.externalClock = undefined;
    this.startedAt = performance.now();
    this.replaceTimeline(this.newTimeline(), 'clear');
  }

  /** Drop everything: subscribers get `timeline.reset {reason:'clear'}`, then only new batches. */
  clear(): CaptureState {
    this.replaceTimeline(this.newTimeline(), 'clear');
    return this.publishState();
  }

  /** Replace the timeline (trace import). The capture pauses so live work does not mix with the file. */
  replace(timeline: Timeline, reason: 'import' | 'restart'): CaptureState {
    this.paused = true;
    this.detach();
    if (reason === 'import') {
      this.shown = { kind: 'import' };
      this.externalClock = undefined;
    }
    // Imported devices are not added to the counters' devices: counters describe live devices only.
    this.replaceTimeline(timeline, reason);
    return this.publishState();
  }

  private replaceTimeline(timeline: Timeline, reason: 'clear' | 'import' | 'restart' | 'record'): void {
    this.timeline = timeline;
    this.recent.clear();
    this.pendingTrace = [];
    for (const s of this.subs) s.cursor = START_CURSOR;
    this.opts.publish('timeline.reset', { reason });
    this.version++;
  }

  /** The records held now (for export), oldest first by id. */
  records(): OpRecord[] {
    return this.timeline.records().sort((a, b) => a.id - b.id);
  }

  get current(): Timeline {
    return this.timeline;
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
