// xpuscope runtime: torch.xpu's runtime API over Level Zero (see runtime/README.md).
// Importing this module loads nothing: koffi and the Level Zero loader are loaded on first need.
export { xpu } from './api.js';
export type { DeviceLike } from './device-arg.js';
export { configureDriver, type DriverOptions } from './driver.js';
export { XpuError, XpuTimeoutError, ZeError, zeResultName } from './errors.js';
export type { DeviceCapability, DeviceProperties, EngineGroup, EngineKind } from './properties.js';
export type { DeviceScope } from './devices.js';
export {
  Stream,
  type LaunchOptions,
  type MemoryRef,
  type StreamOptions,
  type SyncOptions,
} from './streams.js';
export { Event, type EventOptions } from './event.js';
export type { StreamScope } from './current-stream.js';
export type {
  AllocOptions,
  MemoryKind,
  MemoryStat,
  NestedMemoryStats,
  SnapshotBlock,
  SnapshotSegment,
  XpuBuffer,
} from './memory.js';
export type { DeviceTelemetry, EngineActivity, MemoryModule, SampleOptions } from './telemetry.js';
export type { Kernel, KernelArg, ParamType, ScalarType } from './kernels.js';
export type { OpRecord, Recorder } from './recorder.js';
export type { WaitStrategy } from './device-runtime.js';
export type { ShutdownOptions, ShutdownReport } from './shutdown.js';
export type { LiveObjects } from './sim-objects.js';
/** Below the torch.xpu API, for diagnostics: loader, drivers, engine queues, the device timer. */
export * as probe from './probe.js';
export type { DriverInfo, EngineQueueProbe, LoaderStatus } from './probe.js';
export type { DeviceList, DriverChoice, DriverRequest, Problem } from '../protocol/index.js';
