// Live counters (`counters` pushes, ~4 Hz): engine utilization, memory used, operations per second,
// submit→start latency. The store keeps the last COUNTER_POINTS samples; charts never animate.
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DeviceSummary } from '../../protocol/devices.js';
import type { ReceivedCounterSample } from '../state/store.js';
import { useApp } from '../state/context.js';
import { DevicePicker } from './common.js';
import { timeOfDay } from '../format.js';

const NO_DEVICES: DeviceSummary[] = [];
const LINE_COLOURS = ['#5aa9ff', '#4cc38a', '#e0a341', '#b98cff', '#ff7ab6', '#8b93a1', '#46c2c2', '#d9d957'];

export interface CounterRow {
  /** Seconds since the capture started (the service's clock). */
  t: number;
  /** Wall-clock time (ms since the epoch) the sample arrived; the x-axis. */
  wall: number;
  memoryMiB: number;
  opsPerSec: number;
  latencyUs: number | null;
  /** Sysman telemetry (null when not reported). */
  temperatureC: number | null;
  clockMHz: number | null;
  powerW: number | null;
  gpuUtilizationPct: number | null;
  [engine: string]: number | null;
}

/** Samples of one device as chart rows (time in seconds), plus the engine keys seen. */
export function counterRows(
  samples: ReceivedCounterSample[],
  device: number,
  maxPoints = 240,
): { rows: CounterRow[]; engines: string[] } {
  const mine = samples.filter((s) => s.device === device);
  const step = Math.max(1, Math.ceil(mine.length / maxPoints));
  const engines = new Set<string>();
  const rows: CounterRow[] = [];
  for (let i = Math.max(0, mine.length - maxPoints * step); i < mine.length; i += step) {
    const s = mine[i]!;
    const row: CounterRow = {
      t: Math.round(s.t) / 1000,
      wall: s.wallMs ?? s.t,
      memoryMiB: s.memoryUsedBytes / 2 ** 20,
      opsPerSec: s.opsPerSec,
      latencyUs: s.submitToStartP50Ns !== undefined ? s.submitToStartP50Ns / 1e3 : null,
      temperatureC: s.temperatureC ?? null,
      clockMHz: s.clockMHz ?? null,
      powerW: s.powerW ?? null,
      gpuUtilizationPct: s.gpuUtilizationPct ?? null,
    };
    for (const [k, v] of Object.entries(s.engines)) {
      engines.add(k);
      row[`engine:${k}`] = v;
    }
    rows.push(row);
  }
  return { rows, engines: [...engines].sort() };
}

/** "0/compute/0/1" (an engine key: device/kind/ordinal/index) → "compute 0.1", the one engine naming. */
export function engineKeyLabel(key: string): string {
  const m = /^\d+\/([a-z]+)\/(\d+)\/(\d+)$/.exec(key);
  return m ? `${m[1]} ${m[2]}.${m[3]}` : key;
}

/** The unit a series reads best in: the largest value decides (MiB → GiB, µs → ms). */
export function pickScale(
  values: readonly (number | null)[],
  steps: readonly { unit: string; factor: number }[],
): { unit: string; factor: number } {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  let pick = steps[0]!;
  for (const s of steps) if (max >= s.factor * 2) pick = s;
  return pick;
}

const MEMORY_UNITS = [
  { unit: 'MiB', factor: 1 },
  { unit: 'GiB', factor: 1024 },
];
const LATENCY_UNITS = [
  { unit: 'µs', factor: 1 },
  { unit: 'ms', factor: 1000 },
];

/** Axis ticks at whole seconds (1, 2, 5, 10, 15, 30, 60 s apart), at most ~5 over [min, max] ms. */
export function secondTicks(minMs: number, maxMs: number): number[] {
  if (!(maxMs > minMs)) return [minMs];
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].map((s) => s * 1000);
  const step = steps.find((s) => (maxMs - minMs) / s <= 5) ?? steps[steps.length - 1]!;
  const out: number[] = [];
  for (let t = Math.ceil(minMs / step) * step; t <= maxMs; t += step) out.push(t);
  return out.length ? out : [minMs];
}

/** Sysman charts, shown when the device reports the value (from the runtime's torch.xpu functions). */
const TELEMETRY: {
  key: 'gpuUtilizationPct' | 'temperatureC' | 'powerW' | 'clockMHz';
  title: string;
  name: string;
  domain?: [number, number];
}[] = [
  { key: 'gpuUtilizationPct', title: 'Device busy, all engines (%, Sysman)', name: 'busy', domain: [0, 100] },
  { key: 'temperatureC', title: 'Temperature (°C)', name: 'GPU temperature' },
  { key: 'powerW', title: 'Power (W)', name: 'power draw' },
  { key: 'clockMHz', title: 'GPU clock (MHz)', name: 'actual clock' },
];

export function CountersView() {
  const samples = useApp((s) => s.counters);
  const devices = useApp((s) => (s.devices.status === 'ready' ? s.devices.list.devices : NO_DEVICES));
  const device = useApp((s) => s.countersDevice);
  const setDevice = useApp((s) => s.setCountersDevice);
  const { rows: raw, engines } = useMemo(() => counterRows(samples, device), [samples, device]);
  const mem = pickScale(
    raw.map((r) => r.memoryMiB),
    MEMORY_UNITS,
  );
  const lat = pickScale(
    raw.map((r) => r.latencyUs),
    LATENCY_UNITS,
  );
  const rows = useMemo(
    () =>
      raw.map((r) => ({
        ...r,
        memory: r.memoryMiB / mem.factor,
        latency: r.latencyUs === null ? null : r.latencyUs / lat.factor,
      })),
    [raw, mem.factor, lat.factor],
  );
  const last = raw[raw.length - 1];
  return (
    <section className="view" data-testid="counters-view" aria-labelledby="counters-heading">
      <header className="view-header">
        <h2 id="counters-heading">Counters</h2>
        {devices.length > 1 ? (
          <DevicePicker devices={devices} value={device} onChange={setDevice} testId="counters-device" />
        ) : null}
      </header>
      {rows.length === 0 ? (
        <p className="callout callout-empty" data-testid="counters-empty">
          Waiting for counter samples from the service (about four a second while it runs).
        </p>
      ) : (
        <p className="muted" data-testid="counters-latest">
          Last sample at {timeOfDay(last!.wall)}: {last!.opsPerSec.toFixed(0)} ops/s,{' '}
          {(last!.memoryMiB / mem.factor).toFixed(1)} {mem.unit} used.
        </p>
      )}
      <div className="chart-grid">
        <Chart
          title="Engine utilization (%)"
          testId="chart-engines"
          rows={rows}
          domain={[0, 100]}
          lines={engines.map((e) => ({ key: `engine:${e}`, name: engineKeyLabel(e) }))}
        />
        <Chart
          title={`Memory used (${mem.unit})`}
          testId="chart-memory"
          rows={rows}
          lines={[{ key: 'memory', name: 'memory used' }]}
        />
        <Chart
          title="Operations per second"
          testId="chart-ops"
          rows={rows}
          lines={[{ key: 'opsPerSec', name: 'ops/s' }]}
        />
        <Chart
          title={`Submit → start latency, p50 (${lat.unit})`}
          testId="chart-latency"
          rows={rows}
          lines={[{ key: 'latency', name: 'median submit → start' }]}
          dots
        />
        {TELEMETRY.filter((t) => raw.some((r) => r[t.key] !== null)).map((t) => (
          <Chart
            key={t.key}
            title={t.title}
            testId={`chart-${t.key}`}
            rows={rows}
            {...(t.domain ? { domain: t.domain } : {})}
            lines={[{ key: t.key, name: t.name }]}
          />
        ))}
      </div>
      {raw.length > 0 && !raw.some((r) => r.temperatureC !== null || r.clockMHz !== null) ? (
        <p className="muted" data-testid="counters-no-sysman">
          This device reports no Sysman telemetry (temperature, clock, power): the driver has Sysman off or
          does not support it for the device.
        </p>
      ) : null}
    </section>
  );
}

function Chart({
  title,
  testId,
  rows,
  lines,
  domain,
  dots = false,
}: {
  title: string;
  testId: string;
  rows: Record<string, number | null>[];
  lines: { key: string; name: string }[];
  domain?: [number, number];
  /** Sparse series (latency exists only while operations run): show points, not just lines. */
  dots?: boolean;
}) {
  return (
    <figure className="chart-card" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={rows} margin={{ left: 0, right: 12, top: 6, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis
            dataKey="wall"
            type="number"
            domain={['dataMin', 'dataMax']}
            ticks={rows.length ? secondTicks(Number(rows[0]!.wall), Number(rows[rows.length - 1]!.wall)) : []}
            stroke="var(--text-muted)"
            tickFormatter={timeOfDay}
          />
          <YAxis stroke="var(--text-muted)" {...(domain ? { domain } : {})} width={56} />
          <Tooltip
            labelFormatter={(v) => timeOfDay(Number(v))}
            contentStyle={{ background: 'var(--bg-raised)', border: '1px solid var(--border)' }}
          />
          <Legend />
          {lines.map((l, i) => (
            <Line
              key={l.key}
              dataKey={l.key}
              name={l.name}
              stroke={LINE_COLOURS[i % LINE_COLOURS.length]}
              dot={dots ? { r: 2 } : false}
              isAnimationActive={false}
              connectNulls
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
