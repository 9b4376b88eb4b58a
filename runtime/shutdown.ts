// xpu.shutdown(): release every Level Zero object the runtime created, so that a long-running host
// (the service, the Electron utility process, tests) can prove it leaks nothing and can start over.
// Order: wait for work (with the timeout), then per device command lists (dropping what is still
// pending), kernels and modules, memory (live buffers and the caching allocator's segments), events
// and event pools; finally the contexts. The runtime re-initialises on its next use.
import { closeRuntime, isInitialized, type DriverRecord } from './core.js';
import {
  drainWaits,
  existingDeviceRuntimes,
  forgetDeviceRuntimes,
  resolveTimeout,
} from './device-runtime.js';
import { closeKernels } from './kernels.js';
import { closeMemory } from './memory.js';
import { busyStreams } from './busy-streams.js';
import { closeStreams, hungStreams } from './stream-pools.js';

export interface ShutdownOptions {
  /** How long to wait for submitted work before destroying it anyway (default: the wait timeout). */
  timeoutMs?: number;
}

export interface ShutdownReport {
  /** Streams whose work did not finish in time (or failed, e.g. device lost); their work was dropped. */
  abandonedStreams: number;
  /** Destroy/free calls that failed (e.g. on a lost device); the objects are forgotten regardless. */
  failedCalls: number;
  /**
   * Devices whose objects were deliberately NOT destroyed: a broken stream's work is still executing
   * (a hung kernel that neither completed nor lost the device), so the GPU still references that
   * device's command lists, events and memory, and its driver's context. They stay allocated until
   * the process exits (or the device is reset and a later shutdown runs on the new runtime — the
   * leaked objects are forgotten by then).
   */
  leakedDevices: number[];
}

let closing: Promise<ShutdownReport> | undefined;

/**
 * Synchronise (with the timeout), then destroy every command list, kernel, module, allocation
 * (including the caching allocator's cache), event, event pool and context. Objects created before
 * (streams, events, buffers, kernels) become unusable and throw an XpuError saying so; the next
 * runtime call initialises afresh. Never rejects for a hung or lost device: the report counts it.
 */
export function shutdown(opts: ShutdownOptions = {}): Promise<ShutdownReport> {
  const timeoutMs = resolveTimeout(opts.timeoutMs);
  closing ??= run(timeoutMs).finally(() => {
    closing = undefined;
  });
  return closing;
}

async function run(timeoutMs: number): Promise<ShutdownReport> {
  const report: ShutdownReport = { abandonedStreams: 0, failedCalls: 0, leakedDevices: [] };
  if (!isInitialized()) return report;
  const waits = await Promise.allSettled(
    busyStreams()
      .filter((s) => !s.broken)
      .map((s) => s.synchronize({ timeoutMs })),
  );
  report.abandonedStreams = waits.filter((w) => w.status === 'rejected').length;
  const devices = existingDeviceRuntimes();
  // No event may be destroyed while a worker thread is inside zeEventHostSynchronize on it.
  await drainWaits(devices.map((dr) => dr.events));
  const keepContexts = new Set<DriverRecord>();
  for (const dr of devices) {
    if (hungStreams(dr).length > 0) {
      report.leakedDevices.push(dr.index);
      keepContexts.add(dr.rec.driver);
      continue;
    }
    report.failedCalls += closeStreams(dr);
    report.failedCalls += closeKernels(dr);
    report.failedCalls += closeMemory(dr);
    report.failedCalls += dr.events.destroy();
  }
  forgetDeviceRuntimes();
  report.failedCalls += closeRuntime(keepContexts);
  return report;
}
