// Events (torch.xpu.Event): a pooled native event recorded on a stream (a barrier that signals it),
// waited on by other streams or the host, and timed from its kernel timestamps. Once the recording
// stream retires the record, the event keeps its timestamps and hands its pool slot back.
import { currentStream } from './current-stream.js';
import { deviceRuntime, resolveTimeout, type NativeEvent } from './device-runtime.js';
import { XpuError, XpuTimeoutError } from './errors.js';
import { recorder } from './recorder.js';
import type { Stream, SyncOptions } from './streams.js';

export interface EventOptions {
  enableTiming?: boolean;
}

/**
 * An xpu.Event holds one reference to its pooled native event; when the Event is garbage-collected
 * without being re-recorded, that reference is returned here (else every dropped Event would keep a
 * pool slot forever and the pools would grow without bound).
 */
const eventFinalizer = new FinalizationRegistry<NativeEvent>((nat) => {
  try {
    nat.unref();
  } catch {
    /* its runtime was shut down */
  }
});

/**
 * Event ids: one per record, from a process-wide counter, never reused. The native event behind a
 * record is pooled and goes back to the pool once the record completed, so a later record may get
 * the same native handle while this Event still lives; an id taken from the handle would then be
 * shared by two live events (torch's test_generic_stream_event expects them to differ).
 */
let lastEventId = 0n;

export class Event {
  readonly enableTiming: boolean;
  /** @internal */
  native: NativeEvent | undefined;
  private dev = -1;
  private recordedOn: Stream | undefined;
  /**
   * Set once the recorded work is known complete (its op retired on the stream): the pooled native
   * event has been handed back, keeping its kernel timestamps for elapsedTime.
   */
  private completed: { handle: bigint; ts: { start: bigint; end: bigint } | undefined } | undefined;
  /** This record's id (0 before the first record); a re-record takes a new one. */
  private id = 0n;

  constructor(opts: EventOptions = {}) {
    this.enableTiming = opts.enableTiming === true;
  }

  /** Device index fixed by the first recording stream; undefined before. */
  get deviceIndex(): number | undefined {
    return this.dev < 0 ? undefined : this.dev;
  }
  get device(): { type: 'xpu'; index: number } | undefined {
    return this.dev < 0 ? undefined : { type: 'xpu', index: this.dev };
  }
  /**
   * Unique among live events (never reused in the process): a new id per record, 0 before the first
   * one (torch event_id). Not the native handle: see lastEventId.
   */
  get eventId(): bigint {
    return this.id;
  }
  /**
   * The Level Zero event of the latest record (torch sycl_event), 0 before the first one. Pooled: once
   * this record completed, a later record (of any Event) may be given the same native event.
   */
  get nativeHandle(): bigint {
    return this.native?.handle ?? this.completed?.handle ?? 0n;
  }

  /** Record on `s` (default: the current stream). Re-recording replaces the native event. */
  record(s?: Stream): void {
    const st = s ?? currentStream();
    if (this.dev >= 0 && this.dev !== st.deviceIndex) {
      throw new XpuError(
        `Event device ${this.dev} does not match recording stream's device ${st.deviceIndex}.`,
      );
    }
    this.dev = st.deviceIndex;
    const dr = deviceRuntime(st.deviceIndex);
    const nat = dr.events.acquire(this.enableTiming || recorder() !== null);
    try {
      st.recordNative(nat, this);
    } catch (e) {
      nat.unref();
      throw e;
    }
    if (this.native) {
      eventFinalizer.unregister(this);
      this.native.unref();
    }
    this.completed = undefined;
    this.native = nat;
    this.id = ++lastEventId;
    eventFinalizer.register(this, nat, this);
    this.recordedOn = st;
  }

  /**
   * @internal the stream retired the op that recorded `nat`: keep the timestamps, release the slot
   * (a completed event needs no native event: waits on it are no-ops, queries are true).
   */
  retire(nat: NativeEvent): void {
    if (this.native !== nat) return;
    let ts: { start: bigint; end: bigint } | undefined;
    if (this.enableTiming) {
      try {
        ts = nat.kernelTimestamp();
      } catch {
        return; // keep the native event; elapsedTime will report the failure
      }
    }
    eventFinalizer.unregister(this);
    this.native = undefined;
    this.completed = { handle: nat.handle, ts };
    nat.unref();
  }

  /** Make future work on `s` (default: the current stream) wait for this event. */
  wait(s?: Stream): void {
    if (!this.native) return;
    (s ?? currentStream()).waitEvent(this);
  }

  /** True when the recorded work has completed (or it was never recorded). */
  query(): boolean {
    return this.native ? this.native.done() : true;
  }

  private timestamps(): { start: bigint; end: bigint } | undefined {
    return this.native ? this.native.kernelTimestamp() : this.completed?.ts;
  }

  /**
   * Resolves when the recorded work has completed (immediately if never recorded). After the wait
   * timeout it rejects with an XpuTimeoutError and marks the recording stream broken.
   */
  async synchronize(opts: SyncOptions = {}): Promise<void> {
    const timeoutMs = resolveTimeout(opts.timeoutMs);
    if (!this.native) return;
    try {
      await this.native.wait(timeoutMs);
    } catch (e) {
      if (e instanceof XpuTimeoutError && this.recordedOn) throw this.recordedOn.markBroken(timeoutMs);
      throw this.recordedOn ? this.recordedOn.failed(e) : e;
    }
  }

  /** Milliseconds between this event and `end` (both recorded with enableTiming and completed). */
  elapsedTime(end: Event): number {
    // torch's order (c10/xpu/XPUEvent.h elapsed_time): recorded, then completed, then timing enabled.
    if ((!this.native && !this.completed) || (!end.native && !end.completed))
      throw new XpuError('Both events must be recorded before calculating elapsed time.');
    if (!this.query() || !end.query())
      throw new XpuError('Both events must be completed before calculating elapsed time.');
    if (!this.enableTiming || !end.enableTiming) {
      throw new XpuError("Both events must be created with argument 'enable_timing=True'.");
    }
    const dr = deviceRuntime(this.dev);
    if (!dr.timer) throw new XpuError(`Device ${this.dev} does not report a timer frequency.`);
    const ta = this.timestamps();
    const tb = end.timestamps();
    if (!ta || !tb) throw new XpuError('Both events must be recorded before calculating elapsed time.');
    const a = ta.end;
    const b = tb.end;
    const mask = dr.timer.kernelMask;
    let ticks = (b - a) & mask;
    if (ticks > mask >> 1n) ticks -= mask + 1n;
    return (Number(ticks) * 1000) / dr.timer.frequency;
  }

  /**
   * torch's repr: `xpu.Event(uninitialized)` before the first record, then
   * `xpu.Event(nativeEvent=0x…)` (torch: `sycl_event=0x…`), with the id, timing flag and device.
   */
  toString(): string {
    const h = this.nativeHandle;
    if (this.id === 0n) return 'xpu.Event(uninitialized)';
    return `xpu.Event(nativeEvent=0x${h.toString(16)} eventId=${this.id} enableTiming=${this.enableTiming} device=xpu:${this.dev})`;
  }
}
