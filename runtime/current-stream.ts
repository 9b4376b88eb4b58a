// The current stream (torch current_stream / set_stream / StreamContext): per device, in the async
// context's state (state.ts), falling back to the device's default pool stream.
import { runtime } from './core.js';
import { checkRange, deviceIndex, type DeviceLike } from './device-arg.js';
import { XpuError } from './errors.js';
import { runScoped, state } from './state.js';
import { defaultStream } from './stream-pools.js';
import { Stream } from './streams.js';

export function currentStream(d?: DeviceLike | null): Stream {
  const idx = deviceIndex(d, true);
  checkRange(idx, runtime().devices.length);
  const s = state().streams.get(idx);
  // A stream of a runtime that xpu.shutdown() closed is forgotten: the device's default stream again.
  return s && !s.isClosed ? s : defaultStream(idx);
}

/** torch set_stream: null is a no-op; also makes the stream's device current. */
export function setStream(s: Stream | null | undefined): void {
  if (s === null || s === undefined) return;
  if (!(s instanceof Stream)) throw new XpuError(`Expected a xpu.Stream, but got: ${String(s)}`);
  const st = state();
  st.device = s.deviceIndex;
  st.streams.set(s.deviceIndex, s);
}

/** torch StreamContext: `using _ = xpu.stream(s)`; restores the previous streams and device. */
export class StreamScope implements Disposable {
  private srcPrev: Stream | undefined;
  private dstPrev: Stream | undefined;
  private entered = false;
  constructor(readonly stream: Stream | null | undefined) {
    if (!stream) return;
    this.srcPrev = currentStream();
    if (this.srcPrev.deviceIndex !== stream.deviceIndex) this.dstPrev = currentStream(stream.deviceIndex);
    setStream(stream);
    this.entered = true;
  }
  exit(): void {
    if (!this.entered || !this.stream) return;
    this.entered = false;
    if (this.dstPrev) setStream(this.dstPrev);
    setStream(this.srcPrev);
  }
  [Symbol.dispose](): void {
    this.exit();
  }
}

export function stream(s: Stream | null | undefined): StreamScope {
  return new StreamScope(s);
}

/** Run fn with `s` as the current stream (and its device current), isolated from concurrent tasks. */
export function withStream<T>(s: Stream | null | undefined, fn: () => T): T {
  return runScoped(() => {
    if (s) setStream(s);
    return fn();
  });
}
