// The host clock the recorder's OpRecords use (the driver's host timestamp from
// zeDeviceGetGlobalTimestamps: CLOCK_MONOTONIC_RAW on Linux), for comparing "now" with record times.
import { deviceRuntime, globalTimestamps } from './device-runtime.js';

/** Host ns now on the records' clock, read through `device` (which must exist). */
export function hostClockNs(device: number): number {
  return Number(globalTimestamps(deviceRuntime(device))[0]);
}

/**
 * A cheap estimate of the records' clock from process.hrtime (CLOCK_MONOTONIC), re-anchored with one
 * driver call per `refreshMs`. The two clocks differ by an offset that drifts slowly (NTP slewing).
 */
export class RecordClock {
  private offset: number | undefined;
  private anchoredAt = 0;
  constructor(private readonly refreshMs = 1000) {}
  now(device: number): number {
    const mono = Number(process.hrtime.bigint());
    if (this.offset === undefined || mono - this.anchoredAt > this.refreshMs * 1e6) {
      try {
        this.offset = hostClockNs(device) - Number(process.hrtime.bigint());
        this.anchoredAt = mono;
      } catch {
        this.offset ??= 0;
      }
    }
    return mono + this.offset;
  }
}
