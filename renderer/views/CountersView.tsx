// Live counters (`counters` pushes, ~4 Hz): engine utilization, memory used, operations per second,
// submit→start latency. The store keeps the last COUNTER_POINTS samples; charts never animate.
import { useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DeviceSummary } from '../../protocol/devices.js';
import type { CounterSample } from '../../protocol/views.js';
import { useApp } from '../state/context.js';
import { DevicePicker } from './common.js';

const NO_DEVICES: DeviceSummary[] = [];
const LINE_COLOURS = ['#5aa9ff', '#4cc38a', '#e0a341', '#b98cff', '#ff7ab6', '#8b93a1', '#46c2c2', '#d9d957'];

export interface CounterRow {
  t: number;
  memoryMiB: number;
  opsPerSec: number;
  latencyUs: number | null;
  [engine: string]: number | null;
}

/** Samples of one device as chart rows (time in seconds), plus the engine keys seen. */
export function counterRows(
  samples: CounterSample[],
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
      memoryMiB: s.memoryUsedBytes / 2 ** 20,
      opsPerSec: s.opsPerSec,
      latencyUs: s.submitToStartP50Ns !== undefined ? s.submitToStartP50Ns / 1e3 : null,
    };
    for (const [k, v] of Object.entries(s.engines)) {
      engines.add(k);
      row[`engine:${k}`] = v;
    }
    rows.push(row);
  }
  return { rows, engines: [...engines].sort() };
}

export function CountersView() {
  const samples = useApp((s) => s.counters);
  const devices = useApp((s) => (s.devices.status === 'ready' ? s.devices.list.devices : NO_DEVICES));
  const [device, setDevice] = useState(0);
  const { rows, engines } = useMemo(() => counterRows(samples, device), [samples, device]);
  const last = rows[rows.length - 1];
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
          Last sample at {last!.t.toFixed(1)} s: {last!.opsPerSec.toFixed(0)} ops/s,{' '}
          {last!.memoryMiB.toFixed(1)} MiB used.
        </p>
      )}
      <div className="chart-grid">
        <Chart
          title="Engine utilization (%)"
          testId="chart-engines"
          rows={rows}
          domain={[0, 100]}
          lines={engines.map((e) => ({ key: `engine:${e}`, name: e }))}
        />
        <Chart
          title="Memory used (MiB)"
          testId="chart-memory"
          rows={rows}
          lines={[{ key: 'memoryMiB', name: 'memory used' }]}
        />
        <Chart
          title="Operations per second"
          testId="chart-ops"
          rows={rows}
          lines={[{ key: 'opsPerSec', name: 'ops/s' }]}
        />
        <Chart
          title="Submit → start latency, p50 (µs)"
          testId="chart-latency"
          rows={rows}
          lines={[{ key: 'latencyUs', name: 'p50' }]}
          dots
        />
      </div>
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
  rows: CounterRow[];
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
            dataKey="t"
            type="number"
            domain={['dataMin', 'dataMax']}
            unit=" s"
            stroke="var(--text-muted)"
            tickFormatter={(v: number) => v.toFixed(0)}
          />
          <YAxis stroke="var(--text-muted)" {...(domain ? { domain } : {})} width={48} />
          <Tooltip contentStyle={{ background: 'var(--bg-raised)', border: '1px solid var(--border)' }} />
          {lines.length > 1 ? <Legend /> : null}
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
