// Device telemetry through Sysman, as xpu-smi and XPU Manager's exporter read it: per engine group
// the accumulated active time, per frequency domain the actual clock, per temperature sensor the
// reading, per power domain the energy counter. Everything is optional: a driver or loader without
// Sysman (or one that does not report a sensor) gives an empty list, never a made-up zero — callers
// show "absent", not 0. The runtime sets ZES_ENABLE_SYSMAN=1 before zeInit unless the user set it.
import { runtime } from './core.js';
import { checkRange, deviceIndex, type DeviceLike } from './device-arg.js';
import { deviceRuntime, type DeviceRuntime } from './device-runtime.js';
import { memGetInfo } from './memory.js';
import { L, struct } from './ze/layouts.js';

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

  try {
    const [free, total] = memGetInfo(idx);
    out.memory = { freeBytes: free, totalBytes: total };
  } catch {
    // no memory size reported: absent
  }
  return out;
}
