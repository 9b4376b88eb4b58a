// The Prometheus exporter of `xpuscope serve` (GET /metrics, `serve --metrics-only`): what xpu-smi's XPU
// Manager exporter and NVIDIA's DCGM exporter give a fleet, from Level Zero and Sysman, plus what only
// xpuscope knows — the live capture's rates and the last diagnostics result per check, so a fleet can
// alert on a broken driver install. prom-client (ARCHITECTURE.md says why) owns the text format.
//
// Cheap and bounded: values are read at most every SAMPLE_MS (500 ms) and cached; a scrape in between
// gets the cached text. Reading is a handful of synchronous Sysman calls per device (microseconds on a
// driver). This runs where the runtime is (the service process of `serve`); the server process adds a
// timeout and its own last good text (ServiceProcess.metricsText), so a scrape never waits behind a
// hung or restarting service.
//
// Absent, not zero: a value the driver does not report (no Sysman, no temperature sensor, a frequency
// domain that says "unknown") has no sample at all; docs (host/README.md, "Metrics") list which.
import { Counter, Gauge, Registry } from 'prom-client';
import type { CheckStatus, DiagReport } from '../protocol/views.js';

type RuntimeModule = typeof import('../runtime/index.js');
type Telemetry = ReturnType<RuntimeModule['xpu']['getTelemetry']>;

export const SAMPLE_MS = 500;
const STATUSES: readonly CheckStatus[] = ['pass', 'warn', 'fail', 'skip'];

/** What the exporter reads besides the runtime: the live capture's rates and the last diagnostics. */
export interface MetricsSources {
  /** The runtime, once loaded (a failed load leaves only the exporter's own metrics). */
  runtime(): Promise<RuntimeModule>;
  /** Operations per second and submit→start p50 of the newest live capture, while it receives any. */
  captureRates(): { recording: boolean; opsPerSec?: number; submitToStartP50Ns?: number };
  /** The newest diagnostics report (any level), when one ran. */
  lastDiagnostics(): DiagReport | undefined;
  /** The loader's version ("1.8.12"), when known. */
  loaderVersion?(): string | undefined;
}

const DEVICE_LABELS = ['device', 'name', 'pci_address', 'uuid', 'simulated'] as const;
type DeviceLabels = Record<(typeof DEVICE_LABELS)[number], string>;

export class MetricsExporter {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private cached: { at: number; text: string } | undefined;
  private inFlight: Promise<string> | undefined;
  /** Previous readings of monotonic counters, for the rates (utilization, power). */
  private readonly prevActive = new Map<string, { active: number; ts: number }>();
  private readonly prevEnergy = new Map<string, { uj: number; ts: number }>();
  private readonly g;

  constructor(private readonly src: MetricsSources) {
    const r = [this.registry];
    const dev = [...DEVICE_LABELS];
    const engine = [...dev, 'engine_group', 'scope', 'engine', 'subdevice'];
    this.g = {
      deviceInfo: new Gauge({
        name: 'xpuscope_device_info',
        help: 'One per Level Zero device (value 1); its driver, API and loader versions as labels.',
        labelNames: [...dev, 'type', 'driver_version', 'level_zero_api_version', 'loader_version'],
        registers: r,
      }),
      devices: new Gauge({
        name: 'xpuscope_devices',
        help: 'Level Zero devices found (0 when none: see xpuscope_up and the diagnostics).',
        registers: r,
      }),
      up: new Gauge({
        name: 'xpuscope_up',
        help: '1 when the Level Zero runtime loaded and enumerated its devices, else 0.',
        registers: r,
      }),
      sysman: new Gauge({
        name: 'xpuscope_sysman_available',
        help: '1 when the driver answers Sysman for the device (telemetry below), else 0.',
        labelNames: dev,
        registers: r,
      }),
      active: new Counter({
        name: 'xpuscope_engine_active_seconds_total',
        help: 'Accumulated time the engine (group) was busy, from zesEngineGetActivity; rate() gives utilization.',
        labelNames: engine,
        registers: r,
      }),
      utilization: new Gauge({
        name: 'xpuscope_engine_utilization_ratio',
        help: 'Busy fraction (0-1) of the engine (group) between the last two readings (about 0.5 s or the scrape interval apart).',
        labelNames: engine,
        registers: r,
      }),
      memTotal: new Gauge({
        name: 'xpuscope_memory_total_bytes',
        help: 'Device memory size (Sysman zesMemoryGetState, else zeDeviceGetMemoryProperties).',
        labelNames: dev,
        registers: r,
      }),
      memFree: new Gauge({
        name: 'xpuscope_memory_free_bytes',
        help: 'Free device memory (Sysman; without Sysman, the size minus what xpuscope itself reserved).',
        labelNames: dev,
        registers: r,
      }),
      memUsed: new Gauge({
        name: 'xpuscope_memory_used_bytes',
        help: 'Device memory in use (total - free).',
        labelNames: dev,
        registers: r,
      }),
      freq: new Gauge({
        name: 'xpuscope_frequency_hertz',
        help: 'Actual clock of a frequency domain (zesFrequencyGetState.actual).',
        labelNames: [...dev, 'domain', 'subdevice'],
        registers: r,
      }),
      temp: new Gauge({
        name: 'xpuscope_temperature_celsius',
        help: 'Temperature of a sensor (zesTemperatureGetState).',
        labelNames: [...dev, 'sensor', 'subdevice'],
        registers: r,
      }),
      energy: new Counter({
        name: 'xpuscope_energy_joules_total',
        help: 'Energy counter of a power domain (zesPowerGetEnergyCounter).',
        labelNames: [...dev, 'subdevice'],
        registers: r,
      }),
      power: new Gauge({
        name: 'xpuscope_power_watts',
        help: 'Average power of a power domain between the last two readings.',
        labelNames: [...dev, 'subdevice'],
        registers: r,
      }),
      captureRecording: new Gauge({
        name: 'xpuscope_capture_recording',
        help: '1 while the live capture records operations (a scenario, diagnostics or a recorded program), else 0.',
        registers: r,
      }),
      captureOps: new Gauge({
        name: 'xpuscope_capture_operations_per_second',
        help: 'Operations per second started in the newest live capture (last second).',
        registers: r,
      }),
      captureLatency: new Gauge({
        name: 'xpuscope_capture_submit_to_start_seconds',
        help: 'Median submit-to-start latency of the newest live capture (last second).',
        registers: r,
      }),
      diag: new Gauge({
        name: 'xpuscope_diagnostic_result',
        help: 'Last diagnostics result per check: 1 for the status it had (pass, warn, fail, skip), 0 for the others.',
        labelNames: ['check', 'device', 'level', 'status'],
        registers: r,
      }),
      diagLast: new Gauge({
        name: 'xpuscope_diagnostic_last_run_timestamp_seconds',
        help: 'When the last diagnostics run started (Unix time).',
        labelNames: ['level'],
        registers: r,
      }),
      diagFailed: new Gauge({
        name: 'xpuscope_diagnostic_failed_checks',
        help: 'Checks that failed in the last diagnostics run.',
        registers: r,
      }),
      sampleSeconds: new Gauge({
        name: 'xpuscope_exporter_sample_duration_seconds',
        help: 'How long the last reading of every device took.',
        registers: r,
      }),
    };
  }

  /** The exposition text, read at most every SAMPLE_MS (concurrent scrapes share one reading). */
  async text(now = performance.now()): Promise<string> {
    if (this.cached && now - this.cached.at < SAMPLE_MS) return this.cached.text;
    if (this.inFlight) return this.inFlight;
    this.inFlight = (async () => {
      try {
        await this.sample();
        const text = await this.registry.metrics();
        this.cached = { at: performance.now(), text };
        return text;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  private async sample(): Promise<void> {
    const t0 = performance.now();
    for (const m of Object.values(this.g)) m.reset();
    let rt: RuntimeModule | undefined;
    try {
      rt = await this.src.runtime();
    } catch {
      rt = undefined;
    }
    const list = rt?.xpu.listDevices();
    this.g.up.set(list && !list.problem ? 1 : 0);
    this.g.devices.set(list?.devices.length ?? 0);
    const loader = this.src.loaderVersion?.() ?? list?.loader.version ?? '';
    for (const d of list?.devices ?? []) {
      let pci = '';
      try {
        pci = rt!.xpu.getDeviceProperties(d.index).pciAddress ?? '';
      } catch {
        // no PCI address reported
      }
      const labels: DeviceLabels = {
        device: String(d.index),
        name: d.name,
        pci_address: pci,
        uuid: d.uuid ?? '',
        simulated: String(d.simulated),
      };
      this.g.deviceInfo.set(
        {
          ...labels,
          type: d.type,
          driver_version: d.driverVersion ?? '',
          level_zero_api_version: d.apiVersion ?? '',
          loader_version: loader,
        },
        1,
      );
      let t: Telemetry;
      try {
        t = rt!.xpu.getTelemetry(d.index);
      } catch {
        continue; // the device went away between listing and reading
      }
      this.device(labels, t);
    }
    this.capture();
    this.diagnostics();
    this.g.sampleSeconds.set((performance.now() - t0) / 1000);
  }

  private device(labels: DeviceLabels, t: Telemetry): void {
    this.g.sysman.set(labels, t.sysman ? 1 : 0);
    for (const e of t.engines) {
      const l = {
        ...labels,
        engine_group: e.group,
        scope: e.single ? 'engine' : 'group',
        engine: String(e.index),
        subdevice: e.subdevice === undefined ? '' : String(e.subdevice),
      };
      this.g.active.inc(l, e.activeUs / 1e6);
      const key = JSON.stringify(l);
      const prev = this.prevActive.get(key);
      if (prev && e.timestampUs > prev.ts) {
        const ratio = (e.activeUs - prev.active) / (e.timestampUs - prev.ts);
        this.g.utilization.set(l, Math.min(1, Math.max(0, ratio)));
      }
      this.prevActive.set(key, { active: e.activeUs, ts: e.timestampUs });
    }
    if (t.memory) {
      this.g.memTotal.set(labels, t.memory.totalBytes);
      this.g.memFree.set(labels, t.memory.freeBytes);
      this.g.memUsed.set(labels, Math.max(0, t.memory.totalBytes - t.memory.freeBytes));
    }
    for (const f of t.frequencies)
      this.g.freq.set({ ...labels, domain: f.domain, subdevice: sub(f.subdevice) }, f.actualMHz * 1e6);
    for (const s of t.temperatures)
      this.g.temp.set({ ...labels, sensor: s.sensor, subdevice: sub(s.subdevice) }, s.celsius);
    for (const p of t.energy) {
      const l = { ...labels, subdevice: sub(p.subdevice) };
      this.g.energy.inc(l, p.energyUj / 1e6);
      const key = JSON.stringify(l);
      const prev = this.prevEnergy.get(key);
      if (prev && p.timestampUs > prev.ts && p.energyUj >= prev.uj)
        this.g.power.set(l, (p.energyUj - prev.uj) / (p.timestampUs - prev.ts));
      this.prevEnergy.set(key, { uj: p.energyUj, ts: p.timestampUs });
    }
  }

  private capture(): void {
    const c = this.src.captureRates();
    this.g.captureRecording.set(c.recording ? 1 : 0);
    if (c.opsPerSec !== undefined) this.g.captureOps.set(c.opsPerSec);
    if (c.submitToStartP50Ns !== undefined) this.g.captureLatency.set(c.submitToStartP50Ns / 1e9);
  }

  private diagnostics(): void {
    const r = this.src.lastDiagnostics();
    if (!r) return;
    const at = Date.parse(r.startedAt);
    if (Number.isFinite(at)) this.g.diagLast.set({ level: String(r.level) }, at / 1000);
    let failed = 0;
    for (const c of r.checks) {
      if (c.status === 'fail') failed++;
      for (const s of STATUSES)
        this.g.diag.set(
          {
            check: c.id,
            device: c.device === undefined ? '' : String(c.device),
            level: String(c.level),
            status: s,
          },
          c.status === s ? 1 : 0,
        );
    }
    this.g.diagFailed.set(failed);
  }
}

function sub(n: number | undefined): string {
  return n === undefined ? '' : String(n);
}
