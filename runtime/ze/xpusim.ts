// The simulated driver's extension functions (native/README.md, "Extension functions"), reached
// through zeDriverGetExtensionFunctionAddress. Used by leak tests and the soak benchmark. Their C
// definition is native/include/xpusim_ext.h; tests/runtime/xpusim-ext.test.ts compiles it and checks
// the layouts below (every field a uint64_t, in this order, C name = the snake_case of the TS name).
import type { ZeLib } from './lib.js';

export interface LiveObjects {
  contexts: number;
  commandQueues: number;
  commandLists: number;
  fences: number;
  eventPools: number;
  events: number;
  modules: number;
  kernels: number;
  allocations: number;
  buildLogs: number;
  allocatedBytes: number;
}

/** `xs_live_objects_t`'s uint64_t fields in order. */
export const LIVE_OBJECTS_FIELDS: readonly (keyof LiveObjects)[] = [
  'contexts',
  'commandQueues',
  'commandLists',
  'fences',
  'eventPools',
  'events',
  'modules',
  'kernels',
  'allocations',
  'buildLogs',
  'allocatedBytes',
];

/** The extension functions' names (`XPUSIM_GET_*` in xpusim_ext.h). */
export const XPUSIM_FUNCTIONS = {
  liveObjects: 'zexXpusimGetLiveObjects',
  registryStats: 'zexXpusimGetRegistryStats',
} as const;

let proto: ReturnType<ZeLib['koffi']['proto']> | undefined;

/**
 * Level Zero objects alive in the simulated driver (all contexts of the process), via
 * `zexXpusimGetLiveObjects`. Undefined when `driver` is not the simulated driver (or the loader lacks
 * zeDriverGetExtensionFunctionAddress).
 */
export function xpusimLiveObjects(ze: ZeLib, driver: bigint): LiveObjects | undefined {
  const get = ze.optional.zeDriverGetExtensionFunctionAddress;
  if (!get) return undefined;
  const out = new BigUint64Array(1);
  if ((get(driver, XPUSIM_FUNCTIONS.liveObjects, out) as number) !== 0 || !out[0]) return undefined;
  const k = ze.koffi;
  proto ??= k.proto('int32_t zexXpusimGetLiveObjects_t(void *hDriver, void *pOut)');
  const buf = new BigUint64Array(LIVE_OBJECTS_FIELDS.length);
  const r = k.call(out[0], proto, driver, buf) as number;
  if (r !== 0) return undefined;
  const res = {} as LiveObjects;
  LIVE_OBJECTS_FIELDS.forEach((f, i) => (res[f] = Number(buf[i])));
  return res;
}

/** The simulated driver's handle registry (an open-addressing hash set of live handles). */
export interface RegistryStats {
  /** Slots in the table (16 bytes each). */
  capacity: number;
  live: number;
  /** Slots of destroyed handles not yet reclaimed by a rebuild. */
  tombstones: number;
}

/** `xs_registry_stats_t`'s uint64_t fields in order. */
export const REGISTRY_STATS_FIELDS: readonly (keyof RegistryStats)[] = ['capacity', 'live', 'tombstones'];

let registryProto: ReturnType<ZeLib['koffi']['proto']> | undefined;

/** `zexXpusimGetRegistryStats`; undefined when `driver` is not the simulated driver (or it lacks it). */
export function xpusimRegistryStats(ze: ZeLib, driver: bigint): RegistryStats | undefined {
  const get = ze.optional.zeDriverGetExtensionFunctionAddress;
  if (!get) return undefined;
  const out = new BigUint64Array(1);
  if ((get(driver, XPUSIM_FUNCTIONS.registryStats, out) as number) !== 0 || !out[0]) return undefined;
  registryProto ??= ze.koffi.proto('int32_t zexXpusimGetRegistryStats_t(void *hDriver, void *pOut)');
  const buf = new BigUint64Array(REGISTRY_STATS_FIELDS.length);
  if ((ze.koffi.call(out[0], registryProto, driver, buf) as number) !== 0) return undefined;
  const res = {} as RegistryStats;
  REGISTRY_STATS_FIELDS.forEach((f, i) => (res[f] = Number(buf[i])));
  return res;
}
