// A recording started from the app (the Record view; `record.start`): launches the program with its
// output piped, feeds its operations into the service's capture as they arrive (live in the timeline),
// reports its processes, output and end as events, and analyses the capture when the program ends.
import { OP_KINDS, type EngineRef, type OpRecord, type OpSource } from '../../protocol/timeline.js';
import type {
  RecordOutput,
  RecordProcessView,
  RecordPush,
  RecordRequest,
  RecordState,
} from '../../protocol/views.js';
import type { DriverChoice } from '../../protocol/devices.js';
import { rmSync } from 'node:fs';
import type { Capture } from '../capture.js';
import type { Timeline } from '../../runtime/timeline/index.js';
import { LAUNCH_EXIT, LaunchError, launch, type Launched } from './launch.js';
import { Recording, childExit, processView, shortCommand, type RecordedProcess } from './recording.js';

/** How often the rings are read while the program runs. */
const DRAIN_MS = 2;
/** Output is sent at most this often, and at most this much per event; the tail kept for late joiners. */
const OUTPUT_FLUSH_MS = 50;
const OUTPUT_EVENT_BYTES = 64 << 10;
const OUTPUT_TAIL_BYTES = 32 << 10;
/** Output beyond this rate (bytes per second) is counted, not sent. */
const OUTPUT_MAX_RATE = 1 << 20;
/** After record.stop's SIGINT, the program gets this long before SIGKILL. */
const STOP_GRACE_MS = 3000;
/** A remote recording (record.push) silent for this long is given up (its sender is gone). */
const REMOTE_SILENT_MS = 30_000;

export interface RecordSessionOptions {
  capture: Capture;
  publishState(state: RecordState): void;
  publishOutput(out: RecordOutput): void;
  /** The driver the program gets when the request names none (the service's own choice). */
  defaultDriver(): DriverChoice;
  /** The driver for an explicit request (never changes the service's own). */
  resolveDriver(driver: RecordRequest['driver'], profile: string | undefined): DriverChoice;
  /** Analysis of the capture when the program has ended (optional: absent when not available). */
  analyze?(timeline: Timeline): RecordState['analysis'];
}

export class RecordBusyError extends Error {}

function stateOf(state: RecordState['state'], more: Partial<RecordState> = {}): RecordState {
  return { state, processes: [], ops: 0, dropped: 0, untimed: 0, lost: 0, inFlight: 0, ...more };
}

export class RecordSession {
  private st: RecordState = stateOf('idle');
  /** The capture of the current (or last) recording. */
  private captureId: string | undefined;
  private launched: Launched | undefined;
  private recording: Recording | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private outTimer: NodeJS.Timeout | undefined;
  private stopTimer: NodeJS.Timeout | undefined;
  private pending: RecordOutput[] = [];
  private tail = '';
  private rateWindow = { at: 0, bytes: 0, suppressed: 0 };
  /** records' clock − performance.now() (ns), from the collector's last harvest time. */
  private clockOffset: number | undefined;
  private lastOp = 0;
  private t0 = 0;
  /** When record.state was last published for a mere op-count change (at most 4×/s). */
  private lastPublish = 0;
  /** A recording streamed by `xpuscope record --to` (no child here). */
  private remote:
    | {
        lanes: Map<number, { device: number; stream: number; engine: EngineRef; source: OpSource }>;
        strings: string[];
        last: number;
      }
    | undefined;

  constructor(private readonly o: RecordSessionOptions) {}

  state(): RecordState {
    if (this.recording) this.copyCounters(this.recording);
    const s: RecordState = { ...this.st, processes: this.st.processes.map((p) => ({ ...p })) };
    if (this.tail) s.outputTail = this.tail;
    return s;
  }

  /** Starts the program; throws RecordBusyError while one runs, LaunchError when it cannot start. */
  start(req: RecordRequest): RecordState {
    if (this.st.state === 'running') throw new RecordBusyError('a program is already being recorded');
    const driver =
      req.driver !== undefined || req.profile !== undefined
        ? this.o.resolveDriver(req.driver, req.profile)
        : this.o.defaultDriver();
    const spec: Parameters<typeof launch>[0] = {
      command: req.command,
      args: req.args,
      driver,
      stdio: 'pipe',
    };
    if (req.cwd !== undefined) spec.cwd = req.cwd;
    if (req.env !== undefined) spec.extraEnv = req.env;
    if (req.hostCalls) spec.hostCalls = true;
    this.tail = '';
    try {
      this.launched = launch(spec);
    } catch (err) {
      this.st = stateOf('failed', {
        command: [req.command, ...req.args],
        error: { message: err instanceof Error ? err.message : String(err) },
      });
      this.o.publishState(this.state());
      throw err;
    }
    const child = this.launched.child;
    this.t0 = performance.now();
    this.clockOffset = undefined;
    this.st = stateOf('running', {
      command: [req.command, ...req.args],
      startedAt: Date.now(),
      simulated: driver.simulated,
    });
    if (req.cwd !== undefined) this.st.cwd = req.cwd;
    if (child.pid !== undefined) this.st.pid = child.pid;
    this.beginCapture(shortCommand([req.command, ...req.args].join(' ')));
    const opts: ConstructorParameters<typeof Recording>[1] = {
      onOps: (ops) => this.onOps(ops),
      onProcess: () => this.refresh(true),
    };
    if (child.pid !== undefined) opts.rootPid = child.pid;
    this.recording = new Recording(this.launched.dir, opts);
    child.stdout?.on('data', (b: Buffer) => this.output('stdout', b));
    child.stderr?.on('data', (b: Buffer) => this.output('stderr', b));
    child.once('error', (err) => this.fail(err));
    child.once('exit', (code, signal) => this.ended(code, signal));
    this.drainTimer = setInterval(() => {
      this.recording?.poll();
      this.refresh(false);
    }, DRAIN_MS);
    this.o.publishState(this.state());
    return this.state();
  }

  /** Begins a recording whose program runs elsewhere (`xpuscope record --to`). */
  attachRemote(command: string[], simulated: boolean): RecordState {
    if (this.st.state === 'running') {
      const stale = this.remote !== undefined && performance.now() - this.remote.last > REMOTE_SILENT_MS;
      if (!stale) throw new RecordBusyError('a program is already being recorded');
    }
    this.cleanup();
    this.tail = '';
    this.t0 = performance.now();
    this.clockOffset = undefined;
    this.remote = { lanes: new Map(), strings: [], last: performance.now() };
    this.st = stateOf('running', { command, startedAt: Date.now(), simulated });
    this.beginCapture(shortCommand(command.join(' ')));
    this.o.publishState(this.state());
    return this.state();
  }

  /** One push of a remote recording; throws RangeError when it does not fit the recording it joins. */
  push(p: RecordPush): number {
    const r = this.remote;
    if (!r || this.st.state !== 'running')
      throw new RangeError('no recording is being streamed (call record.attach first)');
    r.last = performance.now();
    for (const l of p.lanes ?? []) {
      r.lanes.set(l.lane, {
        device: l.device,
        stream: l.stream,
        engine: Object.freeze({ ...l.engine }),
        source: Object.freeze({ ...l.source }),
      });
    }
    for (const str of p.strings ?? []) r.strings.push(str);
    const ops: OpRecord[] = [];
    for (const row of p.ops ?? []) {
      const lane = r.lanes.get(row[0]!);
      const kind = OP_KINDS[row[2]!];
      const name = r.strings[row[3]!];
      if (!lane || kind === undefined || name === undefined)
        throw new RangeError(`operation ${row[1]} names an unknown lane, kind or string`);
      ops.push({
        id: row[1]!,
        device: lane.device,
        stream: lane.stream,
        engine: lane.engine,
        kind,
        name,
        bytes: row[4]!,
        submitNs: row[5]!,
        startNs: row[6]!,
        endNs: row[7]!,
        deps: row.slice(8),
        source: lane.source,
      });
    }
    if (ops.length) this.onOps(ops);
    this.st.ops += ops.length;
    if (p.nowNs !== undefined) this.clockOffset = p.nowNs - performance.now() * 1e6;
    if (p.processes) {
      this.st.processes = p.processes;
      const sum = (f: (v: RecordProcessView) => number): number => p.processes!.reduce((n, v) => n + f(v), 0);
      this.st.dropped = sum((v) => v.dropped);
      this.st.untimed = sum((v) => v.untimed);
      this.st.lost = sum((v) => v.lost);
      this.st.inFlight = sum((v) => v.inFlight);
    }
    if (p.done) {
      this.st.exit = p.done.exit;
      this.st.wallMs = Math.round(p.done.wallMs);
      this.finishAnalysis();
      this.remote = undefined;
    } else if (p.processes) {
      const now = performance.now();
      if (now - this.lastPublish > 250) {
        this.lastPublish = now;
        this.o.publishState(this.state());
      }
    }
    return ops.length;
  }

  stop(): RecordState {
    const child = this.launched?.child;
    if (this.st.state !== 'running' || !child) return this.state();
    child.kill('SIGINT');
    this.stopTimer ??= setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    this.stopTimer.unref();
    return this.state();
  }

  /** Stops everything (the service closes): the program is killed. */
  close(): void {
    if (this.st.state === 'running') this.launched?.child.kill('SIGKILL');
    this.cleanup();
  }

  /** The recording's own capture (following clients switch to it); its id goes into the state. */
  private beginCapture(name: string): void {
    this.captureId = this.o.capture.beginExternal(name, () => this.recordsNow());
    this.st.capture = this.captureId;
  }

  /** The records' clock now, for the counters (the collector stamps its last harvest on that clock). */
  private recordsNow(): number {
    if (this.clockOffset !== undefined) return performance.now() * 1e6 + this.clockOffset;
    return this.lastOp;
  }

  private onOps(ops: OpRecord[]): void {
    if (this.captureId !== undefined) this.o.capture.ingestExternal(this.captureId, ops);
    for (const op of ops) if (op.endNs > this.lastOp) this.lastOp = op.endNs;
  }

  /** Copies the recording's processes and counters into the state (when it is read or published). */
  private copyCounters(rec: Recording): void {
    const procs = rec.processes();
    const sum = (f: (p: RecordedProcess) => number): number => procs.reduce((n, p) => n + f(p), 0);
    this.st.processes = procs.filter((p) => p.traced || p.untraced || p.ops > 0).map(processView);
    this.st.ops = rec.opCount;
    if (rec.hostCalls > 0) this.st.hostCalls = rec.hostCalls;
    this.st.dropped = sum((p) => p.dropped);
    this.st.untimed = sum((p) => p.untimed);
    this.st.lost = sum((p) => p.lost);
    this.st.inFlight = sum((p) => p.inFlight);
  }

  /**
   * After each read of the rings (every DRAIN_MS): the clock offset for the counters, and record.state
   * when a process changed (`force`) or — at most 4 times a second — when the op count did (the
   * timeline shows the operations themselves). The state itself is built only when published or read.
   */
  private refresh(force: boolean): void {
    const rec = this.recording;
    if (!rec) return;
    const harvest = rec.lastHarvest();
    if (harvest) this.clockOffset = harvest.ns - harvest.readAt * 1e6;
    const now = performance.now();
    if (force || (rec.opCount !== this.st.ops && now - this.lastPublish > 250)) {
      this.lastPublish = now;
      this.o.publishState(this.state());
    }
  }

  private output(stream: 'stdout' | 'stderr', b: Buffer): void {
    const now = performance.now();
    if (now - this.rateWindow.at > 1000) {
      if (this.rateWindow.suppressed > 0)
        this.queue('stderr', `\n[xpuscope: ${this.rateWindow.suppressed} bytes of output not shown]\n`);
      this.rateWindow = { at: now, bytes: 0, suppressed: 0 };
    }
    if (this.rateWindow.bytes + b.length > OUTPUT_MAX_RATE) {
      this.rateWindow.suppressed += b.length;
      return;
    }
    this.rateWindow.bytes += b.length;
    this.queue(stream, b.toString('utf8'));
  }

  private queue(stream: 'stdout' | 'stderr', text: string): void {
    const last = this.pending[this.pending.length - 1];
    if (last && last.stream === stream && last.text.length < OUTPUT_EVENT_BYTES) last.text += text;
    else this.pending.push({ stream, text });
    this.tail = (this.tail + text).slice(-OUTPUT_TAIL_BYTES);
    this.outTimer ??= setTimeout(() => this.flushOutput(), OUTPUT_FLUSH_MS);
  }

  private flushOutput(): void {
    this.outTimer = undefined;
    const list = this.pending;
    this.pending = [];
    for (const o of list) {
      for (let i = 0; i < o.text.length; i += OUTPUT_EVENT_BYTES)
        this.o.publishOutput({ stream: o.stream, text: o.text.slice(i, i + OUTPUT_EVENT_BYTES) });
    }
  }

  private fail(err: Error & { code?: string }): void {
    if (this.st.state !== 'running') return;
    this.cleanup();
    this.st.state = 'failed';
    this.st.error = {
      message: `${this.st.command?.[0] ?? 'the program'}: cannot start it (${err.code ?? err.message})`,
    };
    this.o.publishState(this.state());
  }

  private ended(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.st.state !== 'running') return;
    const { exit, end } = childExit(code, signal);
    const rec = this.recording;
    rec?.finish({ pid: this.launched?.child.pid, end });
    if (rec) this.copyCounters(rec);
    this.st.exit = exit;
    this.st.wallMs = Math.round(performance.now() - this.t0);
    this.flushOutput();
    this.cleanup();
    this.finishAnalysis();
  }

  /** The program has ended: analyse what was recorded, and say so. */
  private finishAnalysis(): void {
    this.st.state = 'finished';
    if (this.captureId !== undefined) this.o.capture.end(this.captureId);
    this.o.capture.flushBatches();
    try {
      const a =
        this.captureId !== undefined
          ? this.o.analyze?.(this.o.capture.timelineOf(this.captureId))
          : undefined;
      if (a) this.st.analysis = a;
    } catch {
      // the analysis is an extra: the recording stands without it
    }
    this.o.publishState(this.state());
  }

  private cleanup(): void {
    if (this.captureId !== undefined) this.o.capture.end(this.captureId);
    if (this.drainTimer) clearInterval(this.drainTimer);
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.drainTimer = this.stopTimer = undefined;
    if (this.launched) rmSync(this.launched.dir, { recursive: true, force: true });
    this.launched = undefined;
    this.recording = undefined;
  }
}

export { LAUNCH_EXIT, LaunchError };
