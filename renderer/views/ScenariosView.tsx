// Scenarios: pick one (scenario.list), set its parameters (a form generated from the param specs),
// run it (scenario.run) and watch the embedded live timeline fill; then the result card: serial sum
// vs wall time, achieved concurrency, per-stream busy %, and the explanation.
import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DeviceSummary } from '../../protocol/devices.js';
import type { ScenarioInfo, ScenarioParam, ScenarioResult } from '../../protocol/views.js';
import { formatDuration } from '../timeline/axis.js';
import { useApp } from '../state/context.js';
import { DevicePicker, ErrorCallout } from './common.js';
import { TimelinePanel } from './TimelineView.js';

const NO_DEVICES: DeviceSummary[] = [];

export type ParamValues = Record<string, number | string>;

export function defaultParams(s: ScenarioInfo): ParamValues {
  const out: ParamValues = {};
  for (const p of s.params) out[p.name] = p.default;
  return out;
}

/** Checks a value against its spec; returns an error sentence or null. */
export function paramError(p: ScenarioParam, v: number | string): string | null {
  if (p.type === 'enum')
    return p.options && !p.options.includes(String(v)) ? `choose one of ${p.options.join(', ')}` : null;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) return 'enter a number';
  if (p.type === 'int' && !Number.isInteger(n)) return 'enter a whole number';
  if (p.min !== undefined && n < p.min) return `at least ${p.min}`;
  if (p.max !== undefined && n > p.max) return `at most ${p.max}`;
  return null;
}

export function ScenariosView() {
  const scenarios = useApp((s) => s.scenarios);
  const connected = useApp((s) => s.connection.state === 'open');
  const loadScenarios = useApp((s) => s.loadScenarios);
  const run = useApp((s) => s.scenarioRun);
  const runScenario = useApp((s) => s.runScenario);
  const devices = useApp((s) => (s.devices.status === 'ready' ? s.devices.list.devices : NO_DEVICES));
  const [name, setName] = useState<string | null>(null);
  const [device, setDevice] = useState(0);
  const [values, setValues] = useState<ParamValues>({});

  useEffect(() => {
    if (scenarios.status === 'idle') void loadScenarios();
  }, [scenarios.status, loadScenarios]);

  const list = scenarios.status === 'ready' ? scenarios.value : [];
  const current = list.find((s) => s.name === name) ?? list[0];
  useEffect(() => {
    if (current && current.name !== name) {
      setName(current.name);
      setValues(defaultParams(current));
    }
  }, [current, name]);

  const errors = current ? current.params.map((p) => paramError(p, values[p.name] ?? p.default)) : [];
  const running = run.status === 'running';
  const submit = () => {
    if (!current || errors.some((e) => e !== null)) return;
    const params: ParamValues = {};
    for (const p of current.params) {
      const v = values[p.name] ?? p.default;
      params[p.name] = p.type === 'enum' ? String(v) : Number(v);
    }
    void runScenario(current.name, device, params);
  };

  return (
    <section className="view" data-testid="scenarios-view" aria-labelledby="scenarios-heading">
      <header className="view-header">
        <h2 id="scenarios-heading">Scenarios</h2>
      </header>
      {scenarios.status === 'error' ? (
        <ErrorCallout title="Could not list the scenarios" error={scenarios.error} testId="scenarios-error" />
      ) : null}
      {scenarios.status === 'loading' && connected ? <p className="muted">Loading scenarios…</p> : null}
      {scenarios.status !== 'ready' && !connected ? (
        <p className="muted" data-testid="scenarios-not-connected">
          Not connected to the xpuscope service: the scenarios load when it is back.
        </p>
      ) : null}
      {current ? (
        <form
          className="scenario-form"
          data-testid="scenario-form"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <div className="form-row">
            <label className="field">
              <span>Scenario</span>
              <select
                data-testid="scenario-select"
                value={current.name}
                onChange={(e) => {
                  const next = list.find((s) => s.name === e.target.value);
                  if (next) {
                    setName(next.name);
                    setValues(defaultParams(next));
                  }
                }}
              >
                {list.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.title}
                  </option>
                ))}
              </select>
            </label>
            {devices.length > 0 ? (
              <DevicePicker devices={devices} value={device} onChange={setDevice} testId="scenario-device" />
            ) : null}
          </div>
          <p className="muted" data-testid="scenario-summary">
            {current.summary}
          </p>
          <div className="form-row">
            {current.params.map((p, i) => (
              <ParamField
                key={p.name}
                param={p}
                value={values[p.name] ?? p.default}
                error={errors[i] ?? null}
                onChange={(v) => setValues({ ...values, [p.name]: v })}
              />
            ))}
          </div>
          <button
            type="submit"
            className="primary"
            data-testid="scenario-run"
            disabled={running || devices.length === 0 || errors.some((e) => e !== null)}
          >
            {running ? 'Running…' : 'Run'}
          </button>
          {run.status === 'running' && run.total > 0 ? (
            <progress
              className="progress"
              data-testid="scenario-progress"
              max={run.total}
              value={run.submitted}
            />
          ) : null}
        </form>
      ) : null}
      {run.status === 'error' ? (
        <ErrorCallout title="The scenario failed" error={run.error} testId="scenario-error" />
      ) : null}
      {run.status === 'done' ? <ScenarioResultCard result={run.result} /> : null}
      {run.status !== 'idle' ? (
        <div className="scenario-timeline">
          <h3>Live timeline</h3>
          <TimelinePanel compact />
        </div>
      ) : null}
    </section>
  );
}

function ParamField({
  param,
  value,
  error,
  onChange,
}: {
  param: ScenarioParam;
  value: number | string;
  error: string | null;
  onChange: (v: number | string) => void;
}) {
  const id = `param-${param.name}`;
  return (
    <label className="field" htmlFor={id} title={param.help}>
      <span>
        {param.label}
        {param.unit ? ` (${param.unit})` : ''}
      </span>
      {param.type === 'enum' ? (
        <select id={id} data-testid={id} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          {(param.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          data-testid={id}
          type="number"
          value={String(value)}
          min={param.min}
          max={param.max}
          step={param.type === 'int' ? 1 : 'any'}
          aria-invalid={error !== null}
          onChange={(e) => onChange(e.target.value === '' ? '' : Number(e.target.value))}
        />
      )}
      {error ? <small className="field-error">{error}</small> : null}
    </label>
  );
}

/** Pure rendering of a scenario's result. */
export function ScenarioResultCard({ result }: { result: ScenarioResult }) {
  const data = result.streams.map((s) => ({ name: s.label, busy: Math.round(s.busyPct * 10) / 10 }));
  return (
    <section className="result-card" data-testid="scenario-result" aria-label="Scenario result">
      <h3>
        {result.name} on {result.deviceName}
      </h3>
      <p className="explanation" data-testid="scenario-explanation">
        {result.explanation}
      </p>
      <dl className="stats">
        <div>
          <dt>Serial sum</dt>
          <dd data-testid="result-serial">{formatDuration(result.serialNs)}</dd>
        </div>
        <div>
          <dt>Wall time</dt>
          <dd data-testid="result-wall">{formatDuration(result.wallNs)}</dd>
        </div>
        <div>
          <dt>Speed-up</dt>
          <dd>{result.speedup.toFixed(2)}×</dd>
        </div>
        <div>
          <dt>Achieved concurrency</dt>
          <dd data-testid="result-concurrency">{result.concurrency.toFixed(2)}</dd>
        </div>
        <div>
          <dt>Operations</dt>
          <dd>{result.opCount.toLocaleString('en-US')}</dd>
        </div>
        {result.submitToStartP50Ns !== undefined ? (
          <div>
            <dt>Submit→start p50</dt>
            <dd>{formatDuration(result.submitToStartP50Ns)}</dd>
          </div>
        ) : null}
      </dl>
      <h4>Busy per stream (%)</h4>
      <div className="chart" data-testid="result-chart">
        <ResponsiveContainer width="100%" height={Math.max(120, 28 * data.length + 40)}>
          <BarChart data={data} layout="vertical" margin={{ left: 20, right: 20, top: 5, bottom: 5 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis type="number" domain={[0, 100]} stroke="var(--text-muted)" />
            <YAxis
              type="category"
              dataKey="name"
              width={230}
              stroke="var(--text-muted)"
              tick={{ fontSize: 12 }}
            />
            <Tooltip contentStyle={{ background: 'var(--bg-raised)', border: '1px solid var(--border)' }} />
            <Bar dataKey="busy" fill="var(--accent)" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
