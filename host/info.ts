// `xpuscope info [device]`: every property of one device, grouped, each with the Level Zero query it
// came from (from the runtime's DeviceProperties.sources). Fields the driver does not report are shown
// as unavailable, never invented.
import type {
  DevicePropertiesView,
  PropertyEntry,
  PropertyGroup,
  PropertyGroupName,
  PropertyValue,
} from '../protocol/views.js';
import type { DeviceProperties } from '../runtime/index.js';
import { formatBytes } from '../protocol/format.js';

export const INFO_SCHEMA = 'xpuscope.properties/1' as const;

export const INFO_GROUPS: readonly { name: PropertyGroupName; fields: readonly string[] }[] = [
  {
    name: 'identity',
    fields: [
      'name',
      'vendor',
      'vendorId',
      'deviceId',
      'type',
      'uuid',
      'pciAddress',
      'isIntegratedGpu',
      'isSubdevice',
      'subdeviceId',
      'subDeviceCount',
      'architecture',
      'version',
      'driverVersion',
      'levelZeroApiVersion',
      'platformName',
    ],
  },
  {
    name: 'compute',
    fields: [
      'maxComputeUnits',
      'gpuEuCount',
      'gpuSubsliceCount',
      'numSlices',
      'numSubslicesPerSlice',
      'gpuEuCountPerSubslice',
      'gpuEuSimdWidth',
      'gpuHwThreadsPerEu',
      'coreClockRate',
      'maxWorkGroupSize',
      'maxNumSubGroups',
      'subGroupSizes',
      'maxGroupSize',
      'maxGroupCount',
      'localMemSize',
      'maxHardwareContexts',
      'maxCommandQueuePriority',
    ],
  },
  {
    name: 'memory',
    fields: ['totalMemory', 'maxMemAllocSize', 'memoryClockRate', 'memoryBusWidth', 'lastLevelCacheSize'],
  },
  { name: 'engines', fields: ['engines', 'subDevices'] },
  {
    name: 'timestamps',
    fields: ['timerFrequency', 'timerResolutionNs', 'timestampValidBits', 'kernelTimestampValidBits'],
  },
  {
    name: 'features',
    fields: [
      'hasFp16',
      'hasFp64',
      'hasAtomic64',
      'hasBfloat16Conversions',
      'hasSubgroupMatrixMultiplyAccumulate',
      'hasSubgroupMatrixMultiplyAccumulateTensorFloat32',
      'hasSubgroup2dBlockIo',
      'spirvVersion',
      'flags',
    ],
  },
];

const UNITS: Record<string, string> = {
  coreClockRate: 'MHz',
  memoryClockRate: 'MHz',
  memoryBusWidth: 'bit',
  timerFrequency: 'Hz',
  timerResolutionNs: 'ns',
  timestampValidBits: 'bit',
  kernelTimestampValidBits: 'bit',
  totalMemory: 'B',
  maxMemAllocSize: 'B',
  lastLevelCacheSize: 'B',
  localMemSize: 'B',
};

/** Labels written for people (the key stays the runtime's name and is shown beside it). */
const LABELS: Record<string, string> = {
  name: 'Name',
  vendor: 'Vendor',
  vendorId: 'Vendor ID',
  deviceId: 'Device ID',
  type: 'Device type',
  uuid: 'UUID',
  pciAddress: 'PCI address',
  isIntegratedGpu: 'Integrated GPU',
  isSubdevice: 'Sub-device (tile)',
  subdeviceId: 'Sub-device ID',
  subDeviceCount: 'Sub-devices (tiles)',
  architecture: 'Architecture',
  version: 'IP version',
  driverVersion: 'Driver version',
  levelZeroApiVersion: 'Level Zero API version',
  platformName: 'Platform name',
  maxComputeUnits: 'Compute units',
  gpuEuCount: 'EU count',
  gpuSubsliceCount: 'Sub-slices (Xe cores)',
  numSlices: 'Slices',
  numSubslicesPerSlice: 'Sub-slices per slice',
  gpuEuCountPerSubslice: 'EUs per sub-slice',
  gpuEuSimdWidth: 'EU SIMD width',
  gpuHwThreadsPerEu: 'Hardware threads per EU',
  coreClockRate: 'Core clock',
  maxWorkGroupSize: 'Max work-group size',
  maxNumSubGroups: 'Max sub-groups per work-group',
  subGroupSizes: 'Sub-group sizes',
  maxGroupSize: 'Max group size (x, y, z)',
  maxGroupCount: 'Max group count (x, y, z)',
  localMemSize: 'Shared local memory',
  maxHardwareContexts: 'Max hardware contexts',
  maxCommandQueuePriority: 'Max command queue priority',
  totalMemory: 'Total memory',
  maxMemAllocSize: 'Max allocation size',
  memoryClockRate: 'Memory clock',
  memoryBusWidth: 'Memory bus width',
  lastLevelCacheSize: 'Last-level cache',
  engines: 'Engines',
  subDevices: 'Sub-devices',
  timerFrequency: 'Timer frequency',
  timerResolutionNs: 'Timer resolution',
  timestampValidBits: 'Timestamp valid bits',
  kernelTimestampValidBits: 'Kernel timestamp valid bits',
  hasFp16: 'FP16',
  hasFp64: 'FP64',
  hasAtomic64: '64-bit atomics',
  hasBfloat16Conversions: 'BF16 conversions',
  hasSubgroupMatrixMultiplyAccumulate: 'Matrix multiply-accumulate (XMX)',
  hasSubgroupMatrixMultiplyAccumulateTensorFloat32: 'Matrix multiply-accumulate, TF32',
  hasSubgroup2dBlockIo: 'Sub-group 2D block I/O',
  spirvVersion: 'SPIR-V version',
  flags: 'Device flags',
};

/** Words that are acronyms or names when a label is made from a key no one wrote a label for. */
const WORDS: Record<string, string> = {
  id: 'ID',
  uuid: 'UUID',
  pci: 'PCI',
  gpu: 'GPU',
  eu: 'EU',
  eus: 'EUs',
  api: 'API',
  simd: 'SIMD',
  spirv: 'SPIR-V',
  fp16: 'FP16',
  fp64: 'FP64',
  bf16: 'BF16',
  hw: 'hardware',
  ns: '(ns)',
  zero: 'Zero',
  level: 'Level',
};

/** A key's label for people: LABELS, else the key's words with acronyms kept ("fooPciId" → "Foo PCI ID"). */
export function label(key: string): string {
  const known = LABELS[key];
  if (known !== undefined) return known;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(' ')
    .map((w) => WORDS[w.toLowerCase()] ?? w.toLowerCase());
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function engineLine(e: DeviceProperties['engines'][number]): string {
  const fill = e.maxMemoryFillPatternSize >= 2 ** 53 ? 'unlimited' : `${e.maxMemoryFillPatternSize} B`;
  return `ordinal ${e.ordinal}: ${e.kind}, ${e.numQueues} queue(s), ${e.flagNames.join('|') || '-'}, fill ≤ ${fill}`;
}

function plain(key: string, v: unknown): PropertyValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  if (key === 'engines' && Array.isArray(v)) return (v as DeviceProperties['engines']).map(engineLine);
  if (key === 'subDevices' && Array.isArray(v)) {
    return (v as DeviceProperties['subDevices']).map(
      (t) =>
        `tile ${t.subdeviceId}: ${t.euCount} EUs; ${t.engines.map((e) => `${e.kind}×${e.numQueues}`).join(', ') || 'no engines'}`,
    );
  }
  return JSON.stringify(v);
}

/**
 * Group the properties (the protocol's DevicePropertiesView: `xpuscope info --json` and the service's
 * `devices.properties`). Fields no group names (added to the runtime later) are appended to `features`.
 */
export function deviceInfo(
  index: number,
  name: string,
  p: DeviceProperties,
  simulated: boolean,
): DevicePropertiesView {
  const rec = p as unknown as Record<string, unknown>;
  const unavailable = new Set(p.unavailable);
  const seen = new Set<string>(['sources', 'unavailable']);
  const entry = (key: string): PropertyEntry => {
    seen.add(key);
    const raw = rec[key];
    const available = raw !== undefined && !unavailable.has(key);
    const e: PropertyEntry = {
      key,
      label: label(key),
      value: available ? plain(key, raw) : null,
      source: p.sources[key] ?? '-',
      available,
    };
    const unit = UNITS[key];
    if (unit) e.unit = unit;
    return e;
  };
  const groups: PropertyGroup[] = INFO_GROUPS.map((g) => ({ name: g.name, entries: g.fields.map(entry) }));
  const rest = [...new Set([...Object.keys(rec), ...p.unavailable])].filter((k) => !seen.has(k));
  const features = groups.find((g) => g.name === 'features');
  if (features) for (const k of rest) features.entries.push(entry(k));
  const raw = JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
  return { schema: INFO_SCHEMA, device: index, name, simulated, groups, raw };
}

/** "16.0 GiB (17179869184)": the exact count after a scaled one. */
function bytes(n: number): string {
  return n >= 1024 ? `${formatBytes(n)} (${n})` : formatBytes(n);
}

const BYTE_FIELDS = new Set(['totalMemory', 'maxMemAllocSize', 'lastLevelCacheSize', 'localMemSize']);

export function formatValue(key: string, v: PropertyValue, unit?: string): string {
  if (v === null) return 'unavailable';
  if (typeof v === 'number' && BYTE_FIELDS.has(key)) return bytes(v);
  if (typeof v === 'number' && (key === 'vendorId' || key === 'deviceId' || key === 'flags'))
    return `0x${v.toString(16)}`;
  if (Array.isArray(v)) return v.join(', ');
  return unit ? `${String(v)} ${unit}` : String(v);
}

/** Drop control characters: driver-reported strings must not drive the terminal. */
function safe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** The human-readable rendering: one section per group, `key  value  [source]`. */
export function formatInfo(info: DevicePropertiesView, header: string): string {
  let out = `${safe(header)}\n`;
  for (const g of info.groups) {
    out += `\n${g.name.toUpperCase()}\n`;
    if (g.name === 'engines') {
      // Lists, one line per engine group / tile, then where they came from.
      for (const e of g.entries) {
        const lines = Array.isArray(e.value) ? e.value : [];
        if (e.key !== 'engines' && lines.length === 0) continue; // no sub-devices: nothing to say
        if (e.key !== 'engines') out += `  ${e.label}:\n`;
        for (const line of lines) out += `  ${safe(String(line))}\n`;
        out += `  [${e.source}]\n`;
      }
      continue;
    }
    const width = Math.max(...g.entries.map((e) => e.key.length));
    const values = g.entries.map((e) => safe(formatValue(e.key, e.value, e.unit)));
    const vw = Math.min(40, Math.max(...values.map((v) => v.length)));
    g.entries.forEach((e, i) => {
      out += `  ${e.key.padEnd(width)}  ${(values[i] ?? '').padEnd(vw)}  [${e.source}]\n`;
    });
  }
  return out;
}
