// Plain data that crosses every boundary (service ↔ Electron IPC ↔ WebSocket ↔ renderer ↔ CLI JSON).
// Nothing here may import Node, DOM or runtime code: the renderer compiles against this folder alone.

/** How the user asked us to pick a Level Zero driver (`--driver`, `XPUSCOPE_DRIVER`). */
export type DriverRequest = 'auto' | 'system' | 'sim';

/** Which driver set the loader was actually pointed at, and why. */
export interface DriverChoice {
  requested: DriverRequest;
  /** `system`: whatever the loader finds; `sim`: the bundled simulated driver. */
  mode: 'system' | 'sim';
  /** True when the devices shown are simulated — every UI must say so. */
  simulated: boolean;
  /** One sentence: why this mode was chosen (e.g. "auto: no Intel GPU driver found, using the simulator"). */
  reason: string;
  /** Simulated profiles in use (`--profile`, `XPUSIM_PROFILE`), when mode is `sim`. */
  profiles?: string[];
  /** Absolute path of the simulated driver library, when mode is `sim`. */
  simDriverPath?: string;
}

/** Why there is nothing to show: what failed, why, what to do. */
export interface Problem {
  code: ProblemCode;
  /** What failed, e.g. "Level Zero loader not found". */
  title: string;
  /** Why, with the underlying error (dlopen message, ze_result_t name). */
  detail: string;
  /** What to do, e.g. "install libze1: sudo apt-get install libze1". */
  hint: string;
}

export type ProblemCode =
  | 'NO_LOADER'
  | 'NO_DRIVER'
  | 'NO_DEVICE'
  | 'NO_PERMISSION'
  | 'INIT_FAILED'
  | 'SIM_DRIVER_MISSING'
  | 'INTERNAL';

export interface DeviceSummary {
  index: number;
  name: string;
  /** 'gpu' | 'cpu' | 'fpga' | 'mca' | 'vpu' */
  type: string;
  vendorId: number;
  deviceId: number;
  integrated: boolean;
  simulated: boolean;
  /** Total device memory in bytes, when the driver reports it. */
  totalMemory?: number;
  /** Level Zero driver version as the driver encodes it, e.g. "1.3.27642". */
  driverVersion?: string;
  /** The Level Zero API version its driver supports (zeDriverGetApiVersion), "major.minor". */
  apiVersion?: string;
  uuid?: string;
}

export interface LoaderInfo {
  /** The loader library name or path that was loaded (or tried). */
  library: string;
  loaded: boolean;
  version?: string;
}

export const DEVICES_SCHEMA = 'xpuscope.devices/1' as const;

/** The answer to "which GPUs are there", shared by `xpuscope devices --json` and the UI. */
export interface DeviceList {
  schema: typeof DEVICES_SCHEMA;
  driver: DriverChoice;
  loader: LoaderInfo;
  devices: DeviceSummary[];
  /** Present when `devices` is empty (or partial) for a reason the user can act on. */
  problem?: Problem;
}
