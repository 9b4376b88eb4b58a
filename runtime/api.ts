// Assembles the `xpu` namespace object from the runtime modules.
import { setWaitStrategy, setWaitTimeout, waitBlockUs, waitStrategy, waitTimeout } from './device-runtime.js';
import {
  canDeviceAccessPeer,
  currentDevice,
  device,
  deviceOf,
  getDeviceCapability,
  getDeviceProperties,
  isBf16Supported,
  isTf32Supported,
  setDevice,
  withDevice,
} from './devices.js';
import { kernels } from './kernels.js';
import {
  alloc,
  emptyCache,
  maxMemoryAllocated,
  maxMemoryReserved,
  memGetInfo,
  memoryAllocated,
  memoryReserved,
  memorySnapshot,
  memoryStats,
  memoryStatsAsNestedDict,
  getPerProcessMemoryFraction,
  resetAccumulatedMemoryStats,
  resetPeakMemoryStats,
  setPerProcessMemoryFraction,
} from './memory.js';
import { recorderErrors, setRecorder } from './recorder.js';
import { shutdown } from './shutdown.js';
import { simLiveObjects } from './sim-objects.js';
import { currentStream, setStream, stream, withStream } from './current-stream.js';
import { Event } from './event.js';
import { externalStream, synchronize } from './stream-pools.js';
import { Stream } from './streams.js';
import {
  clockRate,
  deviceMemoryUsed,
  getTelemetry,
  memoryUsage,
  powerDraw,
  temperature,
  utilization,
} from './telemetry.js';
import { xpuCore } from './xpu.js';

export const xpu = {
  ...xpuCore,
  // devices
  currentDevice,
  setDevice,
  device,
  withDevice,
  deviceOf,
  getDeviceProperties,
  getDeviceCapability,
  canDeviceAccessPeer,
  isBf16Supported,
  isTf32Supported,
  // streams and events
  Stream,
  Event,
  currentStream,
  setStream,
  stream,
  withStream,
  synchronize,
  externalStream,
  // memory
  alloc,
  memoryAllocated,
  maxMemoryAllocated,
  memoryReserved,
  maxMemoryReserved,
  memoryStats,
  memoryStatsAsNestedDict,
  memorySnapshot,
  resetPeakMemoryStats,
  resetAccumulatedMemoryStats,
  memGetInfo,
  emptyCache,
  setPerProcessMemoryFraction,
  getPerProcessMemoryFraction,
  // telemetry (Sysman; what a driver does not report is absent)
  getTelemetry,
  /** torch.xpu.temperature: GPU temperature, °C. */
  temperature,
  /** torch.xpu.power_draw: power draw, W, over a 150 ms sample (a Promise). */
  powerDraw,
  /** torch.xpu.utilization: percent of time the engines were active, over a 150 ms sample (a Promise). */
  utilization,
  /** torch.xpu.clock_rate: actual GPU clock, MHz. */
  clockRate,
  /** torch.xpu.memory_usage: memory bandwidth use, percent of peak, over a 150 ms sample (a Promise). */
  memoryUsage,
  /** torch.xpu.device_memory_used: device memory in use (by anyone), bytes. */
  deviceMemoryUsed,
  // kernels
  kernels,
  // profiling
  setRecorder,
  /** Operations the recorder could not deliver (a recorder that threw, a timestamp that could not be read). */
  recorderErrors,
  /**
   * How waits for the GPU treat the event loop: 'auto' (default: a bounded spin near the estimated end,
   * else as 'async'), 'async' (koffi worker thread) or 'poll'; runtime/README.md, "Waiting".
   */
  setWaitStrategy,
  waitStrategy,
  waitBlockUs,
  /** Timeout of every wait in ms (default 30 000, `XPUSCOPE_WAIT_TIMEOUT_MS`); Infinity for none. */
  setWaitTimeout,
  waitTimeout,
  // lifetime
  /** Wait (with the timeout), then destroy every Level Zero object; the next call re-initialises. */
  shutdown,
  /** Simulated driver only: its live Level Zero objects (leak checks); undefined on other drivers. */
  simLiveObjects,
};
