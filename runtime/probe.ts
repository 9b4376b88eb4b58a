// Probes for diagnostics (`xpuscope diag`, host/diag/): what the loader, the drivers and a device
// report, below the torch.xpu API — loader library and versions, driver API versions and extensions,
// an immediate command list on every engine queue, the device timer — without reaching into the
// binding layer. Public as `probe` from runtime/index.ts. Every call loads what it needs on first use.
import { enumerate } from './core.js';
import { deviceRuntime, globalTimestamps as readGlobalTimestampPair } from './device-runtime.js';
import { ZeError } from './errors.js';
import type { EngineKind } from './properties.js';
import { L, struct } from './ze/layouts.js';
import { loadZe, loaderLibraryName, loaderVersions, type ZeLib } from './ze/lib.js';

export { INTEL_GPU_DRIVER_LIB, findIntelGpuDriver, renderNodes, simDriverPath } from './driver.js';
export { kernelsPath } from './kernels.js';

/** The Level Zero loader library, loaded (or why not). */
export type LoaderStatus =
  | {
      loaded: true;
      /** The library loaded (XPUSCOPE_ZE_LOADER or libze_loader.so.1). */
      library: string;
      /** zelLoaderGetVersions: component name → "major.minor.patch" (empty when unavailable). */
      versions: Record<string, string>;
      /** Optional entry points this loader lacks. */
      missingOptional: string[];
      /** The loader exports zelLoaderGetVersions. */
      hasVersionQuery: boolean;
    }
  | { loaded: false; library: string; error: unknown };

/** Load the loader (once) and report it. Never throws. */
export function loaderStatus(): LoaderStatus {
  let ze: ZeLib;
  try {
    ze = loadZe();
  } catch (error) {
    return { loaded: false, library: loaderLibraryName(), error };
  }
  return {
    loaded: true,
    library: ze.library,
    versions: loaderVersions(ze),
    missingOptional: ze.missing,
    hasVersionQuery: ze.optional.zelLoaderGetVersions !== undefined,
  };
}

export interface DriverInfo {
  /** zeDriverGetApiVersion as "major.minor". */
  apiVersion: string;
  /** zeDriverGetExtensionProperties; undefined when the call is unavailable or fails. */
  extensions: { name: string; version: string }[] | undefined;
}

/** How many drivers the loader initialised (zeInit). Throws the XpuError of a failed enumeration. */
export function driverCount(): number {
  return enumerate().drivers.length;
}

/** The drivers the loader initialised (zeInit), in order. Throws the XpuError of a failed enumeration. */
export function drivers(): DriverInfo[] {
  const en = enumerate();
  return en.drivers.map((d) => ({ apiVersion: d.apiVersion, extensions: driverExtensions(en.ze, d.handle) }));
}

export interface EngineQueueProbe {
  ordinal: number;
  kind: EngineKind;
  numQueues: number;
  /** zeCommandListCreateImmediate's result per queue index (0: created, and destroyed again). */
  results: number[];
}

/**
 * In a new context of the device's driver, an immediate command list on every queue of every engine
 * group (created and destroyed at once). Throws the runtime's error when the device cannot be opened,
 * a ZeError when zeContextCreate fails.
 */
export function engineQueues(device: number): EngineQueueProbe[] {
  const dr = deviceRuntime(device);
  const ze = dr.ze;
  const out = new BigUint64Array(1);
  const r = ze.fn.zeContextCreate(dr.rec.driver.handle, struct(L.ze_context_desc_t).buf, out) as number;
  if (r !== 0) throw new ZeError('zeContextCreate', r);
  const context = out[0] ?? 0n;
  const groups: EngineQueueProbe[] = [];
  try {
    for (const g of dr.engines) {
      const results: number[] = [];
      for (let index = 0; index < g.numQueues; index++) {
        const desc = struct(L.ze_command_queue_desc_t, { ordinal: g.ordinal, index, mode: 2 });
        const list = new BigUint64Array(1);
        const rc = ze.fn.zeCommandListCreateImmediate(context, dr.rec.handle, desc.buf, list) as number;
        results.push(rc);
        if (rc === 0) ze.fn.zeCommandListDestroy(list[0] ?? 0n);
      }
      groups.push({ ordinal: g.ordinal, kind: g.kind, numQueues: g.numQueues, results });
    }
  } finally {
    ze.fn.zeContextDestroy(context);
  }
  return groups;
}

/** The device timer (DEVICE_PROPERTIES_1_2): ticks per second and the global timestamp mask. */
export function deviceTimer(device: number): { frequency: number; globalMask: bigint } | undefined {
  const t = deviceRuntime(device).timer;
  return t ? { frequency: t.frequency, globalMask: t.globalMask } : undefined;
}

/** zeDeviceGetGlobalTimestamps: [host ns (CLOCK_MONOTONIC_RAW), device ticks]. */
export function globalTimestamps(device: number): [bigint, bigint] {
  return readGlobalTimestampPair(deviceRuntime(device));
}

// zeDriverGetExtensionProperties is not bound by ze/lib.ts (yet): loaded through koffi from the same
// loader library (a second dlopen of an already loaded library only bumps its reference count).
type ExtFn = (driver: bigint, pCount: Uint32Array, props: Buffer | null) => number;
let extFn: ExtFn | null | undefined;

/** ze_driver_extension_properties_t: char name[ZE_MAX_EXTENSION_NAME = 256]; uint32_t version. */
const EXT_SIZE = 260;

/** The driver's extensions ({ name, version "major.minor" }), or undefined when the call is unavailable or fails. */
function driverExtensions(ze: ZeLib, driver: bigint): { name: string; version: string }[] | undefined {
  if (extFn === undefined) {
    try {
      const lib = ze.koffi.load(ze.library);
      extFn = lib.func(
        'int32_t zeDriverGetExtensionProperties(void *hDriver, void *pCount, void *pProps)',
      ) as unknown as ExtFn;
    } catch {
      extFn = null;
    }
  }
  if (extFn === null) return undefined;
  const n = new Uint32Array(1);
  if (extFn(driver, n, null) !== 0) return undefined;
  const count = Math.min(n[0] ?? 0, 4096);
  if (count === 0) return [];
  const buf = Buffer.alloc(EXT_SIZE * count);
  n[0] = count;
  if (extFn(driver, n, buf) !== 0) return undefined;
  const out: { name: string; version: string }[] = [];
  for (let i = 0; i < Math.min(n[0] ?? 0, count); i++) {
    const raw = buf.subarray(i * EXT_SIZE, i * EXT_SIZE + 256);
    const nul = raw.indexOf(0);
    const v = buf.readUInt32LE(i * EXT_SIZE + 256);
    out.push({
      name: raw.subarray(0, nul < 0 ? 256 : nul).toString('utf8'),
      version: `${v >>> 16}.${v & 0xffff}`,
    });
  }
  return out;
}
