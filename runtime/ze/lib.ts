// The Level Zero loader bound through koffi. Loaded lazily on first need (importing this module loads
// nothing). Every handle and struct pointer is declared `void *`: handles travel as bigint, structs as
// Buffers (layouts.ts), out-parameters as typed arrays. Entry points newer than loader 1.8.12 are
// optional and detected at load (`optional.*` is undefined when the loader lacks them).
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

export type KFn = Koffi.KoffiFunc<(...args: any[]) => any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const REQUIRED = {
  zeInit: 'int32_t zeInit(uint32_t flags)',
  zeDriverGet: 'int32_t zeDriverGet(void *pCount, void *phDrivers)',
  zeDriverGetApiVersion: 'int32_t zeDriverGetApiVersion(void *hDriver, void *version)',
  zeDriverGetProperties: 'int32_t zeDriverGetProperties(void *hDriver, void *pProps)',
  zeDeviceGet: 'int32_t zeDeviceGet(void *hDriver, void *pCount, void *phDevices)',
  zeDeviceGetSubDevices: 'int32_t zeDeviceGetSubDevices(void *hDevice, void *pCount, void *phSubdevices)',
  zeDeviceGetProperties: 'int32_t zeDeviceGetProperties(void *hDevice, void *pProps)',
  zeDeviceGetComputeProperties: 'int32_t zeDeviceGetComputeProperties(void *hDevice, void *pProps)',
  zeDeviceGetModuleProperties: 'int32_t zeDeviceGetModuleProperties(void *hDevice, void *pProps)',
  zeDeviceGetMemoryProperties:
    'int32_t zeDeviceGetMemoryProperties(void *hDevice, void *pCount, void *pProps)',
  zeDeviceGetCacheProperties: 'int32_t zeDeviceGetCacheProperties(void *hDevice, void *pCount, void *pProps)',
  zeDeviceGetCommandQueueGroupProperties:
    'int32_t zeDeviceGetCommandQueueGroupProperties(void *hDevice, void *pCount, void *pProps)',
  zeDeviceCanAccessPeer: 'int32_t zeDeviceCanAccessPeer(void *hDevice, void *hPeer, void *value)',
  zeDeviceGetGlobalTimestamps: 'int32_t zeDeviceGetGlobalTimestamps(void *hDevice, void *host, void *device)',
  zeDevicePciGetPropertiesExt: 'int32_t zeDevicePciGetPropertiesExt(void *hDevice, void *pProps)',
  zeContextCreate: 'int32_t zeContextCreate(void *hDriver, void *desc, void *phContext)',
  zeContextDestroy: 'int32_t zeContextDestroy(void *hContext)',
  zeCommandListCreateImmediate:
    'int32_t zeCommandListCreateImmediate(void *hContext, void *hDevice, void *desc, void *phList)',
  zeCommandListDestroy: 'int32_t zeCommandListDestroy(void *hList)',
  zeCommandListAppendBarrier:
    'int32_t zeCommandListAppendBarrier(void *hList, void *hSignal, uint32_t nWait, void *phWait)',
  zeCommandListAppendMemoryCopy:
    'int32_t zeCommandListAppendMemoryCopy(void *hList, void *dst, void *src, size_t size, void *hSignal, uint32_t nWait, void *phWait)',
  zeCommandListAppendMemoryFill:
    'int32_t zeCommandListAppendMemoryFill(void *hList, void *ptr, void *pattern, size_t patternSize, size_t size, void *hSignal, uint32_t nWait, void *phWait)',
  zeCommandListAppendLaunchKernel:
    'int32_t zeCommandListAppendLaunchKernel(void *hList, void *hKernel, void *groups, void *hSignal, uint32_t nWait, void *phWait)',
  zeCommandListAppendWaitOnEvents:
    'int32_t zeCommandListAppendWaitOnEvents(void *hList, uint32_t n, void *phEvents)',
  zeCommandListAppendSignalEvent: 'int32_t zeCommandListAppendSignalEvent(void *hList, void *hEvent)',
  zeEventPoolCreate:
    'int32_t zeEventPoolCreate(void *hContext, void *desc, uint32_t numDevices, void *phDevices, void *phPool)',
  zeEventPoolDestroy: 'int32_t zeEventPoolDestroy(void *hPool)',
  zeEventCreate: 'int32_t zeEventCreate(void *hPool, void *desc, void *phEvent)',
  zeEventDestroy: 'int32_t zeEventDestroy(void *hEvent)',
  zeEventHostSynchronize: 'int32_t zeEventHostSynchronize(void *hEvent, uint64_t timeout)',
  zeEventQueryStatus: 'int32_t zeEventQueryStatus(void *hEvent)',
  zeEventHostReset: 'int32_t zeEventHostReset(void *hEvent)',
  zeEventHostSignal: 'int32_t zeEventHostSignal(void *hEvent)',
  zeEventQueryKernelTimestamp: 'int32_t zeEventQueryKernelTimestamp(void *hEvent, void *dst)',
  zeMemAllocDevice:
    'int32_t zeMemAllocDevice(void *hContext, void *desc, size_t size, size_t alignment, void *hDevice, void *pptr)',
  zeMemAllocHost:
    'int32_t zeMemAllocHost(void *hContext, void *desc, size_t size, size_t alignment, void *pptr)',
  zeMemAllocShared:
    'int32_t zeMemAllocShared(void *hContext, void *deviceDesc, void *hostDesc, size_t size, size_t alignment, void *hDevice, void *pptr)',
  zeMemFree: 'int32_t zeMemFree(void *hContext, void *ptr)',
  zeMemGetAllocProperties:
    'int32_t zeMemGetAllocProperties(void *hContext, void *ptr, void *props, void *phDevice)',
  zeModuleCreate:
    'int32_t zeModuleCreate(void *hContext, void *hDevice, void *desc, void *phModule, void *phBuildLog)',
  zeModuleDestroy: 'int32_t zeModuleDestroy(void *hModule)',
  zeModuleBuildLogGetString: 'int32_t zeModuleBuildLogGetString(void *hLog, void *pSize, void *pStr)',
  zeModuleBuildLogDestroy: 'int32_t zeModuleBuildLogDestroy(void *hLog)',
  zeModuleGetKernelNames: 'int32_t zeModuleGetKernelNames(void *hModule, void *pCount, void *pNames)',
  zeKernelCreate: 'int32_t zeKernelCreate(void *hModule, void *desc, void *phKernel)',
  zeKernelDestroy: 'int32_t zeKernelDestroy(void *hKernel)',
  zeKernelSetGroupSize: 'int32_t zeKernelSetGroupSize(void *hKernel, uint32_t x, uint32_t y, uint32_t z)',
  zeKernelSetArgumentValue:
    'int32_t zeKernelSetArgumentValue(void *hKernel, uint32_t index, size_t size, void *value)',
  zeKernelSuggestGroupSize:
    'int32_t zeKernelSuggestGroupSize(void *hKernel, uint32_t gx, uint32_t gy, uint32_t gz, void *x, void *y, void *z)',
} as const;

const OPTIONAL = {
  /** Loader ≥ 1.6 API; Debian's 1.8.12 loader does not export it. */
  zeCommandListHostSynchronize: 'int32_t zeCommandListHostSynchronize(void *hList, uint64_t timeout)',
  zeInitDrivers: 'int32_t zeInitDrivers(void *pCount, void *phDrivers, void *desc)',
  zelLoaderGetVersions: 'int32_t zelLoaderGetVersions(void *numElems, void *versions)',
  zeCommandListGetDeviceHandle: 'int32_t zeCommandListGetDeviceHandle(void *hList, void *phDevice)',
  zeCommandListGetContextHandle: 'int32_t zeCommandListGetContextHandle(void *hList, void *phContext)',
  zeCommandListIsImmediate: 'int32_t zeCommandListIsImmediate(void *hList, void *pIsImmediate)',
  /** Sysman (works when ZES_ENABLE_SYSMAN=1 was set before zeInit). */
  zesDeviceEnumMemoryModules:
    'int32_t zesDeviceEnumMemoryModules(void *hDevice, void *pCount, void *phMemory)',
  zesMemoryGetState: 'int32_t zesMemoryGetState(void *hMemory, void *pState)',
  /** torch.xpu.device_memory_used / memory_usage (runtime/telemetry.ts). */
  zesMemoryGetProperties: 'int32_t zesMemoryGetProperties(void *hMemory, void *pProperties)',
  zesMemoryGetBandwidth: 'int32_t zesMemoryGetBandwidth(void *hMemory, void *pBandwidth)',
  /** Sysman telemetry (runtime/telemetry.ts): engine activity, frequency, temperature, energy. */
  zesDeviceEnumEngineGroups: 'int32_t zesDeviceEnumEngineGroups(void *hDevice, void *pCount, void *phEngine)',
  zesEngineGetProperties: 'int32_t zesEngineGetProperties(void *hEngine, void *pProperties)',
  zesEngineGetActivity: 'int32_t zesEngineGetActivity(void *hEngine, void *pStats)',
  zesDeviceEnumFrequencyDomains:
    'int32_t zesDeviceEnumFrequencyDomains(void *hDevice, void *pCount, void *phFrequency)',
  zesFrequencyGetProperties: 'int32_t zesFrequencyGetProperties(void *hFrequency, void *pProperties)',
  zesFrequencyGetState: 'int32_t zesFrequencyGetState(void *hFrequency, void *pState)',
  zesDeviceEnumTemperatureSensors:
    'int32_t zesDeviceEnumTemperatureSensors(void *hDevice, void *pCount, void *phTemperature)',
  zesTemperatureGetProperties: 'int32_t zesTemperatureGetProperties(void *hTemperature, void *pProperties)',
  zesTemperatureGetState: 'int32_t zesTemperatureGetState(void *hTemperature, void *pTemperature)',
  zesDeviceEnumPowerDomains: 'int32_t zesDeviceEnumPowerDomains(void *hDevice, void *pCount, void *phPower)',
  zesPowerGetProperties: 'int32_t zesPowerGetProperties(void *hPower, void *pProperties)',
  zesPowerGetEnergyCounter: 'int32_t zesPowerGetEnergyCounter(void *hPower, void *pEnergy)',
  /** 1.0 core; optional so that a loader without it still loads. */
  zeDriverGetExtensionFunctionAddress:
    'int32_t zeDriverGetExtensionFunctionAddress(void *hDriver, const char *name, void *ppFunctionAddress)',
} as const;

export type RequiredName = keyof typeof REQUIRED;
export type OptionalName = keyof typeof OPTIONAL;

export interface ZeLib {
  readonly koffi: typeof Koffi;
  /** What was passed to dlopen. */
  readonly library: string;
  readonly fn: Record<RequiredName, KFn>;
  readonly optional: Partial<Record<OptionalName, KFn>>;
  /** Entry points the loader lacks (required ones missing make loading fail). */
  readonly missing: string[];
}

export class LoaderLoadError extends Error {
  constructor(
    readonly library: string,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_LOADER = 'libze_loader.so.1';

/** `XPUSCOPE_ZE_LOADER` overrides the loader library (a path or a name for dlopen). */
export function loaderLibraryName(): string {
  return process.env.XPUSCOPE_ZE_LOADER || DEFAULT_LOADER;
}

let cached: ZeLib | undefined;

/** Load the loader (once). Throws LoaderLoadError when it cannot be loaded or lacks required calls. */
export function loadZe(): ZeLib {
  if (cached) return cached;
  const library = loaderLibraryName();
  const require = createRequire(import.meta.url);
  let koffi: typeof Koffi;
  try {
    koffi = require('koffi') as typeof Koffi;
  } catch (e) {
    throw new LoaderLoadError(library, `cannot load koffi: ${(e as Error).message}`);
  }
  let handle: Koffi.LibraryHandle;
  try {
    handle = koffi.load(library);
  } catch (e) {
    throw new LoaderLoadError(library, (e as Error).message);
  }
  const fn = {} as Record<RequiredName, KFn>;
  const missing: string[] = [];
  for (const [name, sig] of Object.entries(REQUIRED) as [RequiredName, string][]) {
    try {
      fn[name] = handle.func(sig) as KFn;
    } catch {
      missing.push(name);
    }
  }
  if (missing.length > 0) {
    throw new LoaderLoadError(library, `${library} lacks required entry points: ${missing.join(', ')}`);
  }
  const optional: Partial<Record<OptionalName, KFn>> = {};
  for (const [name, sig] of Object.entries(OPTIONAL) as [OptionalName, string][]) {
    try {
      optional[name] = handle.func(sig) as KFn;
    } catch {
      missing.push(name);
    }
  }
  cached = { koffi, library, fn, optional, missing };
  return cached;
}

/** Run a koffi call on a worker thread (for blocking waits); resolves with its ze_result_t. */
export function callAsync(f: KFn, ...args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) => {
    (f.async as (...a: unknown[]) => void)(...args, (err: unknown, res: number) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(res);
    });
  });
}

/** Loader component versions (zelLoaderGetVersions), e.g. { loader: '1.8.12' }; empty if unavailable. */
export function loaderVersions(z: ZeLib): Record<string, string> {
  const f = z.optional.zelLoaderGetVersions;
  if (!f) return {};
  const n = new BigUint64Array(1);
  if (f(n, null) !== 0) return {};
  const count = Number(n[0]);
  if (count === 0 || count > 64) return {};
  const ENTRY = 80; // char name[64]; ze_api_version_t; zel_version_t {int major, minor, patch}
  const buf = Buffer.alloc(ENTRY * count);
  if (f(n, buf) !== 0) return {};
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const b = buf.subarray(i * ENTRY, (i + 1) * ENTRY);
    const nameRaw = b.subarray(0, 64);
    const nul = nameRaw.indexOf(0);
    const name = nameRaw.subarray(0, nul < 0 ? 64 : nul).toString('utf8');
    out[name] = `${b.readInt32LE(68)}.${b.readInt32LE(72)}.${b.readInt32LE(76)}`;
  }
  return out;
}
