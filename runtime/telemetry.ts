// Device telemetry through Sysman, as xpu-smi and XPU Manager's exporter read it: per engine group
// the accumulated active time, per frequency domain the actual clock, per temperature sensor the
// reading, per power domain the energy counter. Everything is optional: a driver or loader without
// Sysman (or one that does not report a sensor) gives an empty list, never a made-up zero — callers
// show "absent", not 0. The runtime sets ZES_ENABLE_SYSMAN=1 before zeInit unless the user set it.
import { runtime } from './core.js';
import { checkRange, deviceIndex, type DeviceLike } from './device-arg.js';
import { deviceRuntime, type DeviceRuntime } from './device-runtime.js';
import { getDeviceProperties } from './devices.js';
import { XpuError, zeResultName } from './errors.js';
import { memGetInfo } from './memory.js';
import { L, ZES_MEM_LOC, struct } from './ze/layouts.js';

/** zes_engine_group_t, as the names Prometheus labels carry (`compute`, `copy`, `media_decode`, …). */
const ENGINE_GROUPS: Record<number, { name: string; single: boolean }> = {
  0: { name: 'all', single: false },
  1: { name: 'compute', single: false },
  2: { name: 'media', single: false },
  3: { name: 'copy', single: false },
  4: { name: 'compute', single: true },
  5: { name: 'render', single: true },
  6: { name: 'media_decode', single: true },
  7: { name: 'media_encode', single: true },
  8: { name: 'copy', single: true },
  9: { name: 'media_enhancement', single: true },
  10: { name: '3d', single: true },
  11: { name: '3d_render_compute', single: false },
  12: { name: 'render', single: false },
  13: { name: '3d', single: false },
};
const FREQ_DOMAINS: Record<number, string> = { 0: 'gpu', 1: 'memory', 2: 'media' };
const TEMP_SENSORS: Record<number, string> = {
  0: 'global',
  1: 'gpu',
  2: 'memory',
  3: 'global_min',
  4: 'gpu_min',
  5: 'memory_min',
  6: 'gpu_board',
  7: 'gpu_board_min',
  8: 'voltage_regulator',
};

export interface EngineActivity {
  /** Engine group name (`all`, `compute`, `copy`, `render`, `media_decode`, …). */
  group: string;
  /** One engine (`*_SINGLE`) rather than a group of them (`*_ALL`). */
  single: boolean;
  /** Position among the device's engines of the same group and scope (0, 1, …). */
  index: number;
  /** The tile, when the driver reports the engine on a sub-device. */
  subdevice?: number;
  /** Accumulated active time, µs (monotonic), and the timestamp it was read at, µs. */
  activeUs: number;
  timestampUs: number;
}

export interface DeviceTelemetry {
  device: number;
  /** False when the driver has no Sysman (or it is off): every list below is then empty. */
  sysman: boolean;
  engines: EngineActivity[];
  /** Actual clock per frequency domain, MHz (a domain that reports a negative value is left out). */
  frequencies: { domain: string; subdevice?: number; actualMHz: number }[];
  temperatures: { sensor: string; subdevice?: number; celsius: number }[];
  /** Energy counter per power domain, µJ (monotonic), with its timestamp, µs. */
  energy: { subdevice?: number; energyUj: number; timestampUs: number }[];
  memory?: { freeBytes: number; totalBytes: number };
  /**
   * Sysman memory modules (zesMemoryGetProperties/GetState, and zesMemoryGetBandwidth where the
   * driver reports it; `bandwidthResult` is that call's ze_result_t when it failed).
   */
  memoryModules: MemoryModule[];
}

export interface MemoryModule {
  /** zes_mem_loc_t: `device` (local memory) or `system`. */
  location: string;
  subdevice?: number;
  /** zes_mem_properties_t.physicalSize (0: unknown). */
  physicalBytes: number;
  freeBytes: number;
  sizeBytes: number;
  /** Cumulative bytes read/written, the current peak bandwidth (bytes/s) and the timestamp (µs). */
  bandwidth?: { readBytes: number; writeBytes: number; maxBytesPerSec: number; timestampUs: number };
  bandwidthResult?: number;
}

type Fn = (...args: unknown[]) => unknown;

/** Handles from a Sysman enumerator (`zesDeviceEnum*(hDevice, &count, handles)`), [] when absent. */
function enumerate(dr: DeviceRuntime, en: Fn | undefined): bigint[] {
  if (!en) return [];
  const n = new Uint32Array(1);
  if ((en(dr.rec.handle, n, null) as number) !== 0 || !n[0]) return [];
  const hs = new BigUint64Array(n[0]);
  if ((en(dr.rec.handle, n, hs) as number) !== 0) return [];
  return [...hs.subarray(0, n[0])];
}

function sub(p: { num(f: 'onSubdevice' | 'subdeviceId'): number }): { subdevice?: number } {
  return p.num('onSubdevice') ? { subdevice: p.num('subdeviceId') } : {};
}

/** One reading of everything Sysman reports for `device` (see DeviceTelemetry). */
export function getTelemetry(d?: DeviceLike | null): DeviceTelemetry {
  const idx = deviceIndex(d, true);
  checkRange(idx, runtime().devices.length);
  const dr = deviceRuntime(idx);
  const o = dr.ze.optional as Record<string, Fn | undefined>;
  const out: DeviceTelemetry = {
    device: idx,
    sysman: false,
    engines: [],
    frequencies: [],
    temperatures: [],
    energy: [],
    memoryModules: [],
  };

  const counts = new Map<string, number>();
  for (const h of enumerate(dr, o.zesDeviceEnumEngineGroups)) {
    out.sysman = true;
    const props = struct(L.zes_engine_properties_t);
    const stats = struct(L.zes_engine_stats_t);
    if (!o.zesEngineGetProperties || !o.zesEngineGetActivity) break;
    if ((o.zesEngineGetProperties(h, props.buf) as number) !== 0) continue;
    if ((o.zesEngineGetActivity(h, stats.buf) as number) !== 0) continue;
    const g = ENGINE_GROUPS[props.num('type')] ?? { name: `group_${props.num('type')}`, single: false };
    const key = `${g.name}/${g.single}/${props.num('onSubdevice') ? props.num('subdeviceId') : '-'}`;
    const index = counts.get(key) ?? 0;
    counts.set(key, index + 1);
    out.engines.push({
      group: g.name,
      single: g.single,
      index,
      ...sub(props),
      activeUs: stats.num('activeTime'),
      timestampUs: stats.num('timestamp'),
    });
  }

  for (const h of enumerate(dr, o.zesDeviceEnumFrequencyDomains)) {
    out.sysman = true;
    const props = struct(L.zes_freq_properties_t);
    const st = struct(L.zes_freq_state_t);
    if (!o.zesFrequencyGetProperties || !o.zesFrequencyGetState) break;
    if ((o.zesFrequencyGetProperties(h, props.buf) as number) !== 0) continue;
    if ((o.zesFrequencyGetState(h, st.buf) as number) !== 0) continue;
    const actual = st.num('actual');
    // The spec's "unknown" is a negative value: leave it out rather than report it.
    if (!(actual >= 0)) continue;
    out.frequencies.push({
      domain: FREQ_DOMAINS[props.num('type')] ?? `domain_${props.num('type')}`,
      ...sub(props),
      actualMHz: actual,
    });
  }

  for (const h of enumerate(dr, o.zesDeviceEnumTemperatureSensors)) {
    out.sysman = true;
    const props = struct(L.zes_temp_properties_t);
    const value = new Float64Array(1);
    if (!o.zesTemperatureGetProperties || !o.zesTemperatureGetState) break;
    if ((o.zesTemperatureGetProperties(h, props.buf) as number) !== 0) continue;
    if ((o.zesTemperatureGetState(h, value) as number) !== 0) continue;
    out.temperatures.push({
      sensor: TEMP_SENSORS[props.num('type')] ?? `sensor_${props.num('type')}`,
      ...sub(props),
      celsius: value[0]!,
    });
  }

  for (const h of enumerate(dr, o.zesDeviceEnumPowerDomains)) {
    out.sysman = true;
    const props = struct(L.zes_power_properties_t);
    const e = struct(L.zes_power_energy_counter_t);
    if (!o.zesPowerGetProperties || !o.zesPowerGetEnergyCounter) break;
    if ((o.zesPowerGetProperties(h, props.buf) as number) !== 0) continue;
    if ((o.zesPowerGetEnergyCounter(h, e.buf) as number) !== 0) continue;
    out.energy.push({ ...sub(props), energyUj: e.num('energy'), timestampUs: e.num('timestamp') });
  }

  for (const h of enumerate(dr, o.zesDeviceEnumMemoryModules)) {
    out.sysman = true;
    const props = struct(L.zes_mem_properties_t);
    const st = struct(L.zes_mem_state_t);
    if (!o.zesMemoryGetProperties || !o.zesMemoryGetState) break;
    if ((o.zesMemoryGetProperties(h, props.buf) as number) !== 0) continue;
    if ((o.zesMemoryGetState(h, st.buf) as number) !== 0) continue;
    const loc = props.num('location');
    const m: MemoryModule = {
      location:
        loc === ZES_MEM_LOC.DEVICE ? 'device' : loc === ZES_MEM_LOC.SYSTEM ? 'system' : `location_${loc}`,
      ...sub(props),
      physicalBytes: props.num('physicalSize'),
      freeBytes: st.num('free'),
      sizeBytes: st.num('size'),
    };
    const bw = struct(L.zes_mem_bandwidth_t);
    const r = o.zesMemoryGetBandwidth ? (o.zesMemoryGetBandwidth(h, bw.buf) as number) : undefined;
    if (r === 0) {
      m.bandwidth = {
        readBytes: bw.num('readCounter'),
        writeBytes: bw.num('writeCounter'),
        maxBytesPerSec: bw.num('maxBandwidth'),
        timestampUs: bw.num('timestamp'),
      };
    } else if (r !== undefined) m.bandwidthResult = r;
    out.memoryModules.push(m);
  }

  try {
    const [free, total] = memGetInfo(idx);
    out.memory = { freeBytes: free, totalBytes: total };
  } catch {
    // no memory size reported: absent
  }
  return out;
}

// ---- torch.xpu's telemetry functions (torch/xpu/__init__.py: temperature, power_draw, utilization,
// clock_rate, memory_usage, device_memory_used), with torch's meaning and units, built on
// getTelemetry. What the device or driver does not report throws an XpuError saying what is missing
// and why — never a made-up number.

/** torch's `_zes_sample_interval_ms`: two counter reads this far apart (≥ 100 ms for fresh data). */
export const TELEMETRY_SAMPLE_MS = 150;

export interface SampleOptions {
  /** Time between the two counter reads, ms (default 150, as torch). */
  sampleMs?: number;
}

type Enumerator =
  | 'zesDeviceEnumTemperatureSensors'
  | 'zesDeviceEnumFrequencyDomains'
  | 'zesDeviceEnumPowerDomains'
  | 'zesDeviceEnumEngineGroups'
  | 'zesDeviceEnumMemoryModules';

/** Why a Sysman reading is absent for the device: the loader, ZES_ENABLE_SYSMAN, or the driver. */
function sysmanProblem(idx: number, en: Enumerator, what: string): string {
  const dr = deviceRuntime(idx);
  const o = dr.ze.optional as Record<string, Fn | undefined>;
  const f = o[en];
  const env = process.env.ZES_ENABLE_SYSMAN;
  if (!f)
    return `the Level Zero loader (${dr.ze.library}) has no ${en}: Sysman is not supported by this loader`;
  const n = new Uint32Array(1);
  const r = f(dr.rec.handle, n, null) as number;
  if (r !== 0) {
    const why =
      env !== undefined && env !== '1'
        ? `Sysman is disabled (ZES_ENABLE_SYSMAN=${env} was set before zeInit; xpuscope sets it to 1 unless you set it)`
        : r === 0x78000003 || r === 0x78000001
          ? 'Sysman is not supported or not enabled by this driver'
          : 'the driver refused the Sysman query';
    return `${en} failed with ${zeResultName(r)}: ${why}`;
  }
  if (!n[0])
    return `the driver reports no ${what} for this device (it may need elevated privileges, e.g. sudo)`;
  return `none of the ${n[0]} ${what} the driver reports gave a reading`;
}

function fail(fn: string, idx: number, what: string, why: string): never {
  throw new XpuError(`xpu.${fn}: device ${idx} reports no ${what} — ${why}.`);
}

/** The tile a device is, when it is a sub-device (Sysman handles of a tile carry its subdeviceId). */
function subdeviceOf(idx: number): number | undefined {
  const p = getDeviceProperties(idx);
  return p.isSubdevice ? p.subdeviceId : undefined;
}

/** torch's handle selection: the device's own (not a sub-device's), or the matching tile's; else the first. */
function pick<T extends { subdevice?: number }>(xs: T[], sub: number | undefined): T | undefined {
  return xs.find((x) => x.subdevice === sub) ?? xs[0];
}

function resolved(d?: DeviceLike | null): number {
  const idx = deviceIndex(d, true);
  checkRange(idx, runtime().devices.length);
  return idx;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sampleMs(opts: SampleOptions): number {
  const ms = opts.sampleMs ?? TELEMETRY_SAMPLE_MS;
  if (!(ms > 0 && Number.isFinite(ms)))
    throw new XpuError(`Invalid sampleMs: ${String(ms)} (a positive number of ms).`);
  return ms;
}

/** torch.xpu.temperature: the GPU temperature sensor's reading, °C. */
export function temperature(d?: DeviceLike | null): number {
  const idx = resolved(d);
  const t = getTelemetry(idx).temperatures.filter((x) => x.sensor === 'gpu');
  const s = pick(t, subdeviceOf(idx));
  if (!s)
    fail(
      'temperature',
      idx,
      'GPU temperature',
      sysmanProblem(idx, 'zesDeviceEnumTemperatureSensors', 'temperature sensors'),
    );
  return s.celsius;
}

/** torch.xpu.clock_rate: the GPU frequency domain's actual clock, MHz. */
export function clockRate(d?: DeviceLike | null): number {
  const idx = resolved(d);
  const f = getTelemetry(idx).frequencies.filter((x) => x.domain === 'gpu');
  const s = pick(f, subdeviceOf(idx));
  if (!s)
    fail(
      'clockRate',
      idx,
      'GPU clock',
      sysmanProblem(idx, 'zesDeviceEnumFrequencyDomains', 'frequency domains'),
    );
  return s.actualMHz;
}

/**
 * torch.xpu.power_draw: the power draw in watts — the energy counter's increase (µJ) over the time
 * between two reads `sampleMs` apart (µs). A Promise: the wait does not block the event loop (torch
 * blocks ~150 ms).
 */
export async function powerDraw(d?: DeviceLike | null, opts: SampleOptions = {}): Promise<number> {
  const idx = resolved(d);
  const ms = sampleMs(opts);
  const sub = subdeviceOf(idx);
  const read = () => pick(getTelemetry(idx).energy, sub);
  const a = read();
  if (!a)
    fail(
      'powerDraw',
      idx,
      'energy counter',
      sysmanProblem(idx, 'zesDeviceEnumPowerDomains', 'power domains'),
    );
  await sleep(ms);
  const b = read();
  if (!b || b.timestampUs <= a.timestampUs)
    fail(
      'powerDraw',
      idx,
      'advancing energy counter',
      'the second read of the energy counter did not advance its timestamp',
    );
  return (b.energyUj - a.energyUj) / (b.timestampUs - a.timestampUs);
}

/**
 * torch.xpu.utilization: percent of the time the device's engines (the ZES_ENGINE_GROUP_ALL group)
 * were active between two reads `sampleMs` apart. A Promise, like powerDraw.
 */
export async function utilization(d?: DeviceLike | null, opts: SampleOptions = {}): Promise<number> {
  const idx = resolved(d);
  const ms = sampleMs(opts);
  const sub = subdeviceOf(idx);
  const read = () =>
    pick(
      getTelemetry(idx).engines.filter((e) => e.group === 'all' && !e.single),
      sub,
    );
  const a = read();
  if (!a)
    fail(
      'utilization',
      idx,
      'activity of all engines (ZES_ENGINE_GROUP_ALL)',
      sysmanProblem(idx, 'zesDeviceEnumEngineGroups', 'engine groups'),
    );
  await sleep(ms);
  const b = read();
  if (!b || b.timestampUs <= a.timestampUs)
    fail(
      'utilization',
      idx,
      'advancing engine activity',
      'the second read of the engine activity did not advance its timestamp',
    );
  return ((b.activeUs - a.activeUs) / (b.timestampUs - a.timestampUs)) * 100;
}

function deviceMemoryModule(fn: string, idx: number): MemoryModule {
  const mods = getTelemetry(idx).memoryModules;
  const m = pick(
    mods.filter((x) => x.location === 'device'),
    subdeviceOf(idx),
  );
  if (m) return m;
  fail(
    fn,
    idx,
    'device-local memory module',
    mods.length > 0
      ? `its ${mods.length} Sysman memory module(s) are all in system memory (an integrated GPU has no local memory)`
      : sysmanProblem(idx, 'zesDeviceEnumMemoryModules', 'memory modules'),
  );
}

/**
 * torch.xpu.device_memory_used: bytes of device (local) memory in use by anyone — the module's
 * physical size (its usable size when physical is unknown) minus its free bytes.
 */
export function deviceMemoryUsed(d?: DeviceLike | null): number {
  const idx = resolved(d);
  const m = deviceMemoryModule('deviceMemoryUsed', idx);
  const total = m.physicalBytes !== 0 ? m.physicalBytes : m.sizeBytes;
  return total - m.freeBytes;
}

/**
 * torch.xpu.memory_usage: memory bandwidth use in percent of the peak — bytes read and written between
 * two reads `sampleMs` apart, over maxBandwidth × that time. A Promise, like powerDraw.
 */
export async function memoryUsage(d?: DeviceLike | null, opts: SampleOptions = {}): Promise<number> {
  const idx = resolved(d);
  const ms = sampleMs(opts);
  const noBandwidth = (m: MemoryModule): never =>
    fail(
      'memoryUsage',
      idx,
      'memory bandwidth counters',
      m.bandwidthResult !== undefined
        ? `zesMemoryGetBandwidth failed with ${zeResultName(m.bandwidthResult)}${
            m.bandwidthResult === 0x78000003 ? ': the driver does not support bandwidth counters' : ''
          } (it may need elevated privileges, e.g. sudo)`
        : `the Level Zero loader (${deviceRuntime(idx).ze.library}) has no zesMemoryGetBandwidth`,
    );
  const a = deviceMemoryModule('memoryUsage', idx);
  if (!a.bandwidth) noBandwidth(a);
  await sleep(ms);
  const b = deviceMemoryModule('memoryUsage', idx);
  if (!b.bandwidth) noBandwidth(b);
  const x = a.bandwidth!;
  const y = b.bandwidth!;
  const dt = y.timestampUs - x.timestampUs;
  if (!(dt > 0) || !(y.maxBytesPerSec > 0))
    fail(
      'memoryUsage',
      idx,
      'usable bandwidth counters',
      'the timestamp did not advance or the peak bandwidth is 0',
    );
  return (
    ((1e6 * (y.readBytes - x.readBytes + (y.writeBytes - x.writeBytes))) / (y.maxBytesPerSec * dt)) * 100
  );
}
