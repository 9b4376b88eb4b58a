// Device properties: torch.xpu's field set (camelCase) plus Level Zero extras. Every field names the
// Level Zero query it comes from (`sources`); a value the driver does not report is left undefined and
// listed in `unavailable` — nothing is invented.
import {
  contextOf,
  deviceTypeName,
  driverVersionString,
  runtime,
  uuidString,
  type DeviceRecord,
} from './core.js';
import { XpuError, check } from './errors.js';
import { archInfo } from './ip-version.js';
import { L, L_NEWER, Struct, STYPE, struct } from './ze/layouts.js';
import type { ZeLib } from './ze/lib.js';

export type EngineKind = 'compute' | 'copy' | 'render' | 'other';

/** One command queue group (an engine class) of a device. */
export interface EngineGroup {
  ordinal: number;
  kind: EngineKind;
  numQueues: number;
  /** ze_command_queue_group_property_flags_t: COMPUTE 1, COPY 2, COOPERATIVE_KERNELS 4, METRICS 8. */
  flags: number;
  flagNames: string[];
  maxMemoryFillPatternSize: number;
}

export interface DeviceProperties {
  // ---- torch.xpu fields ----
  name: string;
  platformName: string;
  vendor: string;
  deviceId: number;
  driverVersion: string;
  version?: string;
  maxComputeUnits: number;
  gpuEuCount: number;
  gpuSubsliceCount: number;
  gpuEuSimdWidth: number;
  gpuHwThreadsPerEu: number;
  gpuEuCountPerSubslice: number;
  maxWorkGroupSize: number;
  maxNumSubGroups: number;
  subGroupSizes: number[];
  memoryClockRate?: number;
  memoryBusWidth?: number;
  localMemSize: number;
  lastLevelCacheSize?: number;
  totalMemory?: number;
  hasFp16?: boolean;
  hasFp64?: boolean;
  hasAtomic64?: boolean;
  hasBfloat16Conversions?: boolean;
  hasSubgroupMatrixMultiplyAccumulate?: boolean;
  hasSubgroupMatrixMultiplyAccumulateTensorFloat32?: boolean;
  hasSubgroup2dBlockIo?: boolean;
  isIntegratedGpu: boolean;
  architecture?: string;
  type: string;
  /** 36-character 8-4-4-4-12 form. */
  uuid: string;
  // ---- Level Zero extras ----
  vendorId: number;
  /** MHz. */
  coreClockRate: number;
  maxMemAllocSize: number;
  maxHardwareContexts: number;
  maxCommandQueuePriority: number;
  numSlices: number;
  numSubslicesPerSlice: number;
  /** Timer ticks per second (DEVICE_PROPERTIES_1_2). */
  timerFrequency?: number;
  /** Nanoseconds per timer tick (DEVICE_PROPERTIES). */
  timerResolutionNs?: number;
  timestampValidBits: number;
  kernelTimestampValidBits: number;
  /** ze_device_property_flags_t: INTEGRATED 1, SUBDEVICE 2, ECC 4, ONDEMANDPAGING 8. */
  flags: number;
  isSubdevice: boolean;
  subdeviceId?: number;
  subDeviceCount: number;
  /** Each sub-device with its own engines (empty for a device without sub-devices). */
  subDevices: SubDevice[];
  maxGroupSize: [number, number, number];
  maxGroupCount: [number, number, number];
  engines: EngineGroup[];
  /** "dddd:bb:dd.f" from zeDevicePciGetPropertiesExt. */
  pciAddress?: string;
  spirvVersion?: string;
  levelZeroApiVersion: string;
  /** Field → the Level Zero query (or derivation) it comes from. */
  sources: Record<string, string>;
  /** Fields the driver does not report (left undefined). */
  unavailable: string[];
}

/** One sub-device (a tile, in COMPOSITE hierarchy) of a root device. */
export interface SubDevice {
  /** zeDeviceGetProperties.subdeviceId: the tile index. */
  subdeviceId: number;
  name: string;
  /** numSlices × numSubslicesPerSlice × numEUsPerSubslice of the sub-device. */
  euCount: number;
  engines: EngineGroup[];
}

/** Plain-data capability fields (torch get_device_capability). */
export type DeviceCapability = Record<string, string | number | boolean | number[]>;

const SOURCES: Record<string, string> = {
  name: 'zeDeviceGetProperties.name',
  platformName:
    'constant: Unified Runtime names every Level Zero platform "Intel(R) oneAPI Unified Runtime over Level-Zero"',
  vendor: 'zeDeviceGetProperties.vendorId (0x8086 → "Intel(R) Corporation")',
  deviceId: 'zeDeviceGetProperties.deviceId',
  driverVersion: 'zeDriverGetProperties.driverVersion (major.minor.build)',
  version: 'ze_device_ip_version_ext_t.ipVersion (chained to zeDeviceGetProperties) as arch.release.revision',
  maxComputeUnits:
    'zeDeviceGetProperties: numSlices × numSubslicesPerSlice × numEUsPerSubslice (as Unified Runtime)',
  gpuEuCount: 'zeDeviceGetProperties: numSlices × numSubslicesPerSlice × numEUsPerSubslice',
  gpuSubsliceCount: 'zeDeviceGetProperties: numSlices × numSubslicesPerSlice',
  gpuEuSimdWidth: 'zeDeviceGetProperties.physicalEUSimdWidth',
  gpuHwThreadsPerEu: 'zeDeviceGetProperties.numThreadsPerEU',
  gpuEuCountPerSubslice: 'zeDeviceGetProperties.numEUsPerSubslice',
  maxWorkGroupSize: 'zeDeviceGetComputeProperties.maxTotalGroupSize',
  maxNumSubGroups:
    'zeDeviceGetComputeProperties: maxTotalGroupSize / min(subGroupSizes) (as Unified Runtime)',
  subGroupSizes: 'zeDeviceGetComputeProperties.subGroupSizes[numSubGroupSizes]',
  memoryClockRate: 'zeDeviceGetMemoryProperties[0].maxClockRate (MHz)',
  memoryBusWidth: 'zeDeviceGetMemoryProperties[0].maxBusWidth (bits)',
  localMemSize: 'zeDeviceGetComputeProperties.maxSharedLocalMemory',
  lastLevelCacheSize: 'zeDeviceGetCacheProperties[last].cacheSize',
  totalMemory: 'zeDeviceGetMemoryProperties: sum of totalSize',
  hasFp16: 'zeDeviceGetModuleProperties.flags & FP16',
  hasFp64: 'zeDeviceGetModuleProperties.flags & FP64',
  hasAtomic64: 'zeDeviceGetModuleProperties.flags & INT64_ATOMICS',
  hasBfloat16Conversions: 'SYCL aspect from the device IP version (no Level Zero core query): unavailable',
  hasSubgroupMatrixMultiplyAccumulate:
    "SYCL ext_intel_matrix aspect: the architecture (from the IP version) is in SYCL's matrix list",
  hasSubgroupMatrixMultiplyAccumulateTensorFloat32:
    'SYCL matrix combinations: the architecture (from the IP version) has the tf32 row',
  hasSubgroup2dBlockIo: 'SYCL aspect (no Level Zero core query): unavailable',
  isIntegratedGpu: 'zeDeviceGetProperties.flags & INTEGRATED',
  architecture: "ze_device_ip_version_ext_t.ipVersion mapped to SYCL's architecture name",
  type: 'zeDeviceGetProperties.type',
  uuid: 'zeDeviceGetProperties.uuid',
  vendorId: 'zeDeviceGetProperties.vendorId',
  coreClockRate: 'zeDeviceGetProperties.coreClockRate (MHz)',
  maxMemAllocSize: 'zeDeviceGetProperties.maxMemAllocSize',
  maxHardwareContexts: 'zeDeviceGetProperties.maxHardwareContexts',
  maxCommandQueuePriority: 'zeDeviceGetProperties.maxCommandQueuePriority',
  numSlices: 'zeDeviceGetProperties.numSlices',
  numSubslicesPerSlice: 'zeDeviceGetProperties.numSubslicesPerSlice',
  timerFrequency: 'zeDeviceGetProperties with stype DEVICE_PROPERTIES_1_2: timerResolution (ticks/s)',
  timerResolutionNs: 'zeDeviceGetProperties with stype DEVICE_PROPERTIES: timerResolution (ns/tick)',
  timestampValidBits: 'zeDeviceGetProperties.timestampValidBits',
  kernelTimestampValidBits: 'zeDeviceGetProperties.kernelTimestampValidBits',
  flags: 'zeDeviceGetProperties.flags',
  isSubdevice: 'zeDeviceGetProperties.flags & SUBDEVICE',
  subdeviceId: 'zeDeviceGetProperties.subdeviceId (only with SUBDEVICE)',
  subDeviceCount: 'zeDeviceGetSubDevices count',
  subDevices:
    'zeDeviceGetSubDevices, then zeDeviceGetProperties and zeDeviceGetCommandQueueGroupProperties of each',
  maxGroupSize: 'zeDeviceGetComputeProperties.maxGroupSizeX/Y/Z',
  maxGroupCount: 'zeDeviceGetComputeProperties.maxGroupCountX/Y/Z',
  engines: 'zeDeviceGetCommandQueueGroupProperties',
  pciAddress: 'zeDevicePciGetPropertiesExt.address',
  spirvVersion: 'zeDeviceGetModuleProperties.spirvVersionSupported',
  levelZeroApiVersion: 'zeDriverGetApiVersion',
};

const GROUP_FLAGS: [number, string][] = [
  [1, 'COMPUTE'],
  [2, 'COPY'],
  [4, 'COOPERATIVE_KERNELS'],
  [8, 'METRICS'],
];

export function engineKind(flags: number): EngineKind {
  if (flags & 1) return flags & 8 ? 'render' : 'compute';
  if (flags & 2) return 'copy';
  return 'other';
}

/** zeDeviceGetCommandQueueGroupProperties, in ordinal order. */
export function queueGroups(ze: ZeLib, dev: bigint): EngineGroup[] {
  const n = new Uint32Array(1);
  check('zeDeviceGetCommandQueueGroupProperties', ze.fn.zeDeviceGetCommandQueueGroupProperties(dev, n, null));
  const count = n[0] ?? 0;
  const lay = L.ze_command_queue_group_properties_t;
  const buf = Buffer.alloc(lay.size * Math.max(count, 1));
  for (let i = 0; i < count; i++) buf.writeUInt32LE(STYPE.COMMAND_QUEUE_GROUP_PROPERTIES, i * lay.size);
  check('zeDeviceGetCommandQueueGroupProperties', ze.fn.zeDeviceGetCommandQueueGroupProperties(dev, n, buf));
  const out: EngineGroup[] = [];
  for (let i = 0; i < (n[0] ?? 0); i++) {
    const o = i * lay.size;
    const flags = buf.readUInt32LE(o + lay.fields.flags.off);
    out.push({
      ordinal: i,
      kind: engineKind(flags),
      numQueues: buf.readUInt32LE(o + lay.fields.numQueues.off),
      flags,
      flagNames: GROUP_FLAGS.filter(([b]) => flags & b).map(([, s]) => s),
      maxMemoryFillPatternSize: Number(buf.readBigUInt64LE(o + lay.fields.maxMemoryFillPatternSize.off)),
    });
  }
  return out;
}

function arrayQuery<S extends typeof L.ze_device_memory_properties_t | typeof L.ze_device_cache_properties_t>(
  ze: ZeLib,
  call: 'zeDeviceGetMemoryProperties' | 'zeDeviceGetCacheProperties',
  dev: bigint,
  lay: S,
): Struct<S>[] {
  const n = new Uint32Array(1);
  if (ze.fn[call](dev, n, null) !== 0 || !n[0]) return [];
  const count = n[0];
  const buf = Buffer.alloc(lay.size * count);
  for (let i = 0; i < count; i++) buf.writeUInt32LE(lay.stype ?? 0, i * lay.size);
  if (ze.fn[call](dev, n, buf) !== 0) return [];
  const out: Struct<S>[] = [];
  for (let i = 0; i < (n[0] ?? 0); i++) {
    const s = new Struct(lay);
    buf.copy(s.buf, 0, i * lay.size, (i + 1) * lay.size);
    out.push(s);
  }
  return out;
}

/**
 * The device's IP version from ze_device_ip_version_ext_t chained to zeDeviceGetProperties; 0 when the
 * driver does not fill it (drivers leave chained structures they do not know untouched, so a driver
 * without ZE_extension_device_ip_version simply reports nothing).
 */
function ipVersionOf(ze: ZeLib, dev: bigint): number {
  const ext = struct(L_NEWER.ze_device_ip_version_ext_t);
  const props = struct(L.ze_device_properties_t, { pNext: ze.koffi.address(ext.buf) });
  if (ze.fn.zeDeviceGetProperties(dev, props.buf) !== 0) return 0;
  return ext.num('ipVersion');
}

/** The sub-devices (tiles) of `dev`; [] when it has none or the driver cannot list them. */
function subDevicesOf(ze: ZeLib, dev: bigint, count: number): SubDevice[] {
  if (count === 0) return [];
  const n = new Uint32Array([count]);
  const hs = new BigUint64Array(count);
  if (ze.fn.zeDeviceGetSubDevices(dev, n, hs) !== 0) return [];
  const out: SubDevice[] = [];
  for (const h of hs.subarray(0, Math.min(n[0] ?? 0, count))) {
    const sp = struct(L.ze_device_properties_t);
    if (ze.fn.zeDeviceGetProperties(h, sp.buf) !== 0) continue;
    out.push({
      subdeviceId: sp.num('subdeviceId'),
      name: sp.str('name'),
      euCount: sp.num('numSlices') * sp.num('numSubslicesPerSlice') * sp.num('numEUsPerSubslice'),
      engines: queueGroups(ze, h),
    });
  }
  return out;
}

const cache = new Map<DeviceRecord, DeviceProperties>();

export function queryProperties(ze: ZeLib, d: DeviceRecord): DeviceProperties {
  const hit = cache.get(d);
  if (hit) return hit;
  const p = d.props;
  const dev = d.handle;
  const unavailable: string[] = ['hasBfloat16Conversions', 'hasSubgroup2dBlockIo'];
  const compute = struct(L.ze_device_compute_properties_t);
  check('zeDeviceGetComputeProperties', ze.fn.zeDeviceGetComputeProperties(dev, compute.buf));
  const module = struct(L.ze_device_module_properties_t);
  const moduleOk = ze.fn.zeDeviceGetModuleProperties(dev, module.buf) === 0;
  const mems = arrayQuery(ze, 'zeDeviceGetMemoryProperties', dev, L.ze_device_memory_properties_t);
  const caches = arrayQuery(ze, 'zeDeviceGetCacheProperties', dev, L.ze_device_cache_properties_t);
  const p12 = new Struct(L.ze_device_properties_t, STYPE.DEVICE_PROPERTIES_1_2);
  const freq = ze.fn.zeDeviceGetProperties(dev, p12.buf) === 0 ? p12.num('timerResolution') : 0;
  const sub = new Uint32Array(1);
  const subOk = ze.fn.zeDeviceGetSubDevices(dev, sub, null) === 0;
  const pci = struct(L.ze_pci_ext_properties_t);
  const pciOk = ze.fn.zeDevicePciGetPropertiesExt(dev, pci.buf) === 0;

  const eus = p.num('numSlices') * p.num('numSubslicesPerSlice') * p.num('numEUsPerSubslice');
  const nsg = Math.min(compute.num('numSubGroupSizes'), 8);
  const subGroupSizes = compute.u32s('subGroupSizes').slice(0, nsg);
  const flags = p.num('flags');
  const vendorId = p.num('vendorId');
  const props: DeviceProperties = {
    name: d.name,
    platformName: 'Intel(R) oneAPI Unified Runtime over Level-Zero',
    vendor: vendorId === 0x8086 ? 'Intel(R) Corporation' : `0x${vendorId.toString(16)}`,
    deviceId: p.num('deviceId'),
    driverVersion: driverVersionString(d.driver.driverVersion),
    maxComputeUnits: eus,
    gpuEuCount: eus,
    gpuSubsliceCount: p.num('numSlices') * p.num('numSubslicesPerSlice'),
    gpuEuSimdWidth: p.num('physicalEUSimdWidth'),
    gpuHwThreadsPerEu: p.num('numThreadsPerEU'),
    gpuEuCountPerSubslice: p.num('numEUsPerSubslice'),
    maxWorkGroupSize: compute.num('maxTotalGroupSize'),
    maxNumSubGroups:
      subGroupSizes.length > 0
        ? Math.floor(compute.num('maxTotalGroupSize') / Math.min(...subGroupSizes))
        : 0,
    subGroupSizes,
    localMemSize: compute.num('maxSharedLocalMemory'),
    isIntegratedGpu: (flags & 1) !== 0,
    type: deviceTypeName(p.num('type')),
    uuid: uuidString(p.bytes('uuid')),
    vendorId,
    coreClockRate: p.num('coreClockRate'),
    maxMemAllocSize: p.num('maxMemAllocSize'),
    maxHardwareContexts: p.num('maxHardwareContexts'),
    maxCommandQueuePriority: p.num('maxCommandQueuePriority'),
    numSlices: p.num('numSlices'),
    numSubslicesPerSlice: p.num('numSubslicesPerSlice'),
    timestampValidBits: p.num('timestampValidBits'),
    kernelTimestampValidBits: p.num('kernelTimestampValidBits'),
    flags,
    isSubdevice: (flags & 2) !== 0,
    subDeviceCount: subOk ? (sub[0] ?? 0) : 0,
    subDevices: subOk ? subDevicesOf(ze, dev, sub[0] ?? 0) : [],
    maxGroupSize: [compute.num('maxGroupSizeX'), compute.num('maxGroupSizeY'), compute.num('maxGroupSizeZ')],
    maxGroupCount: [
      compute.num('maxGroupCountX'),
      compute.num('maxGroupCountY'),
      compute.num('maxGroupCountZ'),
    ],
    engines: queueGroups(ze, dev),
    levelZeroApiVersion: d.driver.apiVersion,
    sources: SOURCES,
    unavailable,
  };
  const arch = archInfo(ipVersionOf(ze, dev));
  if (arch) {
    props.version = arch.version;
    props.architecture = arch.architecture;
    if (arch.matrix !== undefined) props.hasSubgroupMatrixMultiplyAccumulate = arch.matrix;
    if (arch.tf32 !== undefined) props.hasSubgroupMatrixMultiplyAccumulateTensorFloat32 = arch.tf32;
  } else unavailable.push('version', 'architecture');
  if (arch?.matrix === undefined)
    unavailable.push(
      'hasSubgroupMatrixMultiplyAccumulate',
      'hasSubgroupMatrixMultiplyAccumulateTensorFloat32',
    );
  if (freq > 0) props.timerFrequency = freq;
  else unavailable.push('timerFrequency');
  const res = p.num('timerResolution');
  if (res > 0) props.timerResolutionNs = res;
  else unavailable.push('timerResolutionNs');
  if (props.isSubdevice) props.subdeviceId = p.num('subdeviceId');
  const mem0 = mems[0];
  if (mem0) {
    props.totalMemory = mems.reduce((a, m) => a + m.num('totalSize'), 0);
    if (mem0.num('maxClockRate') > 0) props.memoryClockRate = mem0.num('maxClockRate');
    else unavailable.push('memoryClockRate');
    if (mem0.num('maxBusWidth') > 0) props.memoryBusWidth = mem0.num('maxBusWidth');
    else unavailable.push('memoryBusWidth');
  } else unavailable.push('totalMemory', 'memoryClockRate', 'memoryBusWidth');
  const llc = caches[caches.length - 1];
  if (llc && llc.num('cacheSize') > 0) props.lastLevelCacheSize = llc.num('cacheSize');
  else unavailable.push('lastLevelCacheSize');
  if (moduleOk) {
    const mf = module.num('flags');
    props.hasFp16 = (mf & 1) !== 0;
    props.hasFp64 = (mf & 2) !== 0;
    props.hasAtomic64 = (mf & 4) !== 0;
    const sv = module.num('spirvVersionSupported');
    if (sv > 0) props.spirvVersion = `${sv >>> 16}.${sv & 0xffff}`;
    else unavailable.push('spirvVersion');
  } else unavailable.push('hasFp16', 'hasFp64', 'hasAtomic64', 'spirvVersion');
  if (pciOk) {
    const hex = (v: number, w: number) => v.toString(16).padStart(w, '0');
    props.pciAddress = `${hex(pci.num('address.domain'), 4)}:${hex(pci.num('address.bus'), 2)}:${hex(pci.num('address.device'), 2)}.${pci.num('address.function').toString(16)}`;
  } else unavailable.push('pciAddress');
  if (!props.isSubdevice) unavailable.push('subdeviceId');
  cache.set(d, props);
  return props;
}

const PLAIN = (v: unknown): v is string | number | boolean | number[] =>
  typeof v === 'string' ||
  typeof v === 'number' ||
  typeof v === 'boolean' ||
  (Array.isArray(v) && v.every((x) => typeof x === 'number'));

/** torch get_device_capability: every plain-data field of the properties. */
export function capabilityOf(p: DeviceProperties): DeviceCapability {
  const out: DeviceCapability = {};
  for (const [k, v] of Object.entries(p)) if (k !== 'sources' && k !== 'unavailable' && PLAIN(v)) out[k] = v;
  return out;
}

/** zeDeviceCanAccessPeer in both directions (torch's answer is symmetric). */
export function canAccessPeer(a: DeviceRecord, b: DeviceRecord): boolean {
  const r = runtime();
  if (contextOf(r, a) !== contextOf(r, b)) return false;
  const v = new Uint8Array(1);
  const w = new Uint8Array(1);
  check('zeDeviceCanAccessPeer', r.ze.fn.zeDeviceCanAccessPeer(a.handle, b.handle, v));
  check('zeDeviceCanAccessPeer', r.ze.fn.zeDeviceCanAccessPeer(b.handle, a.handle, w));
  return v[0] !== 0 && w[0] !== 0;
}

export { XpuError };
