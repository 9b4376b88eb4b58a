// Streams with work in flight, on every device: device synchronize and shutdown wait for them,
// emptyCache and memory release look at them, and while a recorder is attached a 2 ms background
// sweep retires their completed ops so that records arrive without anyone waiting.
import { recorder, setOnAttach } from './recorder.js';
import type { Stream } from './streams.js';

/** Streams with work submitted and not yet retired (Stream adds and removes itself). */
export const busy = new Set<Stream>();

/** Every stream with work in flight, on every device or one (for memory release and tests). */
export function busyStreams(deviceIdx?: number): Stream[] {
  return [...busy].filter((s) => deviceIdx === undefined || s.deviceIndex === deviceIdx);
}

let deliveryTimer: NodeJS.Timeout | undefined;

/** Sweep the busy streams in 2 ms (again while records are pending and a recorder is attached). */
export function scheduleDelivery(): void {
  if (deliveryTimer) return;
  deliveryTimer = setTimeout(() => {
    deliveryTimer = undefined;
    let again = false;
    for (const s of [...busy]) {
      try {
        s.sweep();
      } catch (e) {
        // surfaced by the stream's own calls; a lost device marks it broken (and out of `busy`) now
        s.failed(e);
      }
      if (s.pendingCount > 0) again = true;
    }
    if (again && recorder()) scheduleDelivery();
  }, 2);
}
setOnAttach(() => {
  if (busy.size > 0) scheduleDelivery();
});

/** xpu.shutdown(): no sweep left pending once no stream is busy. */
export function stopDeliveryWhenIdle(): void {
  if (busy.size === 0 && deliveryTimer) {
    clearTimeout(deliveryTimer);
    deliveryTimer = undefined;
  }
}
