// Record: launch any Level Zero program with xpuscope's collector (record.start) and watch its GPU work
// arrive live in the embedded timeline; its state, processes and output while it runs; at the end how it
// exited and the capture analysis, whose findings select their operations in the timeline.
import { useEffect, useLayoutEffect, useRef, useSyncExternalStore } from 'react';
import type { AnalysisEngine, AnalysisFinding, CaptureAnalysis } from '../../protocol/analysis.js';
import type { ErrorPayload } from '../../protocol/contract.js';
import type { RecordProcessView, RecordRequest, RecordState } from '../../protocol/views.js';
import { parseEnv, shellQuote, splitArgs } from '../argv.js';
import { useApp } from '../state/context.js';
import type { RecordForm, RecordOutputState, RecordRequestState } from '../state/store.js';
import { formatDuration } from '../timeline/axis.js';
import type { TimelineStore } from '../timeline/lane-store.js';
import { ErrorCallout } from './common.js';
import { TimelinePanel } from './TimelineView.js';

const DRIVERS: { value: RecordForm['driver']; label: string }[] = [
  { value: 'default', label: "default (the service's)" },
  { value: 'auto', label: 'auto' },
  { value: 'system', label: 'system' },
  { value: 'sim', label: 'sim (simulated)' },
];

export interface BuiltRequest {
  /** The command followed by its parsed arguments, as the program will get them. */
  argv: string[];
  /** Present when the form is complete and valid. */
  request?: RecordRequest;
  errors: { command?: string; args?: string; env?: string[] };
}

/** The form as record.start params, with what is wrong with it. */
export function buildRequest(form: RecordForm): BuiltRequest {
  const command = form.command.trim();
  const split = splitArgs(form.args);
  const env = parseEnv(form.env);
  const errors: BuiltRequest['errors'] = {};
  if (command === '') errors.command = 'enter a program: a path, or a name found on PATH';
  if (split.error) errors.args = split.error;
  if (env.errors.length > 0) errors.env = env.errors;
  const out: BuiltRequest = { argv: command === '' ? split.args : [command, ...split.args], errors };
  if (errors.command || errors.args || errors.env) return out;
  const request: RecordRequest = { command, args: split.args };
  if (form.cwd.trim() !== '') request.cwd = form.cwd.trim();
  if (Object.keys(env.env).length > 0) request.env = env.env;
  if (form.driver !== 'default') request.driver = form.driver;
  if (form.profile.trim() !== '' && form.driver === 'sim') request.profile = form.profile.trim();
  if (form.hostCalls) request.hostCalls = true;
  out.request = request;
  return out;
}

/** "exited with code 0", "was killed by SIGKILL (exit status 137)". */
export function describeExit(exit: NonNullable<RecordState['exit']>): string {
  return exit.signal
    ? `was killed by ${exit.signal} (exit status ${exit.code})`
    : `exited with code ${exit.code}`;
}

const STATE_LABELS: Record<RecordState['state'], string> = {
  idle: 'Not recording',
  running: 'Running',
  finished: 'Finished',
  failed: 'Failed',
};

/** The counters that mean something was not recorded fully, each with what it means in plain words. */
export function recordCaveats(r: RecordState): { key: string; label: string; count: number; text: string }[] {
  const out: { key: string; label: string; count: number; text: string }[] = [];
  if (r.dropped > 0)
    out.push({
      key: 'dropped',
      label: 'dropped',
      count: r.dropped,
      text:
        'The program produced records faster than xpuscope read them and its buffer was full: these ' +
        'operations are not in the recording.',
    });
  if (r.untimed > 0)
    out.push({
      key: 'untimed',
      label: 'without timestamps',
      count: r.untimed,
      text:
        'No event could time these operations on the device: they are shown at the moment they were ' +
        'submitted, with no duration.',
    });
  if (r.lost > 0)
    out.push({
      key: 'lost',
      label: 'lost',
      count: r.lost,
      text:
        'Their device timestamps were gone (the program reset or destroyed the events) before xpuscope ' +
        'could read them.',
    });
  if (r.inFlight > 0)
    out.push({
      key: 'in-flight',
      label: 'in flight',
      count: r.inFlight,
      text:
        r.state === 'running'
          ? 'Submitted and not finished yet: they appear in the timeline when they complete.'
          : 'Still on the GPU when the program ended: their end was never seen, so they are not shown.',
    });
  return out;
}

export function RecordView() {
  const record = useApp((s) => s.record);
  const request = useApp((s) => s.recordRequest);
  const output = useApp((s) => s.recordOutput);
  const form = useApp((s) => s.recordForm);
  const capture = useApp((s) => s.capture);
  const controller = useApp((s) => s.timeline);
  const setForm = useApp((s) => s.setRecordForm);
  const loadRecord = useApp((s) => s.loadRecord);
  const loadCapture = useApp((s) => s.loadCapture);
  const startRecord = useApp((s) => s.startRecord);
  const stopRecord = useApp((s) => s.stopRecord);
  const setView = useApp((s) => s.setView);
  // Re-rendered with the timeline's counts (≤ 4 Hz), so the engine names below follow new lanes.
  const snap = useSyncExternalStore(controller.subscribe, controller.snapshot);

  useEffect(() => {
    void loadRecord();
    void loadCapture();
  }, [loadRecord, loadCapture]);

  const showTimeline =
    (record !== null && record.state !== 'idle' && record.state !== 'failed') ||
    capture?.source === 'recording';
  const running = record?.state === 'running';

  return (
    <section className="view view-record" data-testid="record-view" aria-labelledby="record-heading">
      <header className="view-header">
        <h2 id="record-heading">Record a program</h2>
        {record?.simulated ? (
          <span
            className="badge badge-sim"
            data-testid="record-simulated"
            title="The program was pointed at xpuscope's simulated Level Zero driver"
          >
            Simulated devices
          </span>
        ) : null}
      </header>
      <p className="muted record-intro">
        Runs any program that uses Level Zero (SYCL/oneAPI, PyTorch on XPU, plain Level Zero) with
        xpuscope&apos;s collector and shows every operation it submits, live, in the timeline below.
      </p>
      <RecordFormPanel
        form={form}
        running={running}
        request={request}
        onChange={setForm}
        onStart={(req) => void startRecord(req)}
        onStop={() => void stopRecord()}
      />
      {request.status === 'error' ? (
        <RequestError action={request.action} error={request.error} />
      ) : record?.state === 'failed' && record.error ? (
        <div className="callout callout-error" data-testid="record-failed" role="alert">
          <h3>The program could not be recorded</h3>
          <p>{record.error.message}</p>
          {record.error.hint ? <p className="hint">{record.error.hint}</p> : null}
        </div>
      ) : null}
      {record && record.state !== 'idle' ? <RecordStatus record={record} /> : null}
      {record?.analysis ? (
        <p className="explanation record-summary-lead" data-testid="record-summary">
          {record.analysis.summary}
        </p>
      ) : null}
      {showTimeline ? (
        <div className="record-timeline" data-testid="record-timeline">
          <div className="record-timeline-head">
            <h3>
              Timeline{record?.command ? ' of ' : ''}
              {record?.command ? <code>{record.command.map(shellQuote).join(' ')}</code> : null}
              {running ? <span className="muted"> · live</span> : null}
            </h3>
            <button
              type="button"
              className="link"
              data-testid="record-open-timeline"
              onClick={() => setView('timeline')}
              title="The same recording in the Timeline view (key 3), with more room"
            >
              Open in the Timeline view
            </button>
          </div>
          <TimelinePanel compact />
        </div>
      ) : null}
      <div className="record-columns">
        <div className="record-column">
          {record?.analysis ? (
            <RecordAnalysis
              analysis={record.analysis}
              showSummary={false}
              deviceNames={deviceNames(controller.store, snap.lanes)}
              onFinding={(f) => controller.focusOps(f.ops, f.timeNs)}
            />
          ) : null}
          {record && record.processes.length > 0 ? <RecordProcesses processes={record.processes} /> : null}
        </div>
        <div className="record-column">
          {record && record.state !== 'idle' ? <RecordOutputPanel output={output} /> : null}
        </div>
      </div>
    </section>
  );
}

/** "Intel(R) Data Center GPU Max 1550 · pid 4242" per capture device number, from the recorded lanes. */
function deviceNames(store: TimelineStore, _lanes: number): Record<number, string> {
  const out: Record<number, string> = {};
  for (const lane of store.lanes.values()) {
    const src = lane.info.source;
    if (src) out[lane.info.device] = `${store.strings[src.device] ?? 'device'} · pid ${src.pid}`;
  }
  return out;
}

function RequestError({ action, error }: { action: 'start' | 'stop' | 'state'; error: ErrorPayload }) {
  const title =
    action === 'stop'
      ? 'Could not stop the program'
      : action === 'state'
        ? 'Could not read the recording'
        : error.code === 'FORBIDDEN'
          ? 'This server does not launch programs'
          : error.code === 'NOT_FOUND'
            ? 'Command not found'
            : error.code === 'BUSY'
              ? 'Busy'
              : 'Could not start the program';
  return <ErrorCallout title={title} error={error} testId="record-error" />;
}

/** A labelled one-line text input with its error under it (the error also describes the input). */
function TextField({
  id,
  label,
  value,
  placeholder,
  error,
  describedBy,
  grow,
  className,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  placeholder?: string;
  error?: string;
  /** What describes the input when there is no error. */
  describedBy?: string;
  grow?: boolean;
  className?: string;
  onChange: (value: string) => void;
}) {
  const errorId = `${id}-error`;
  return (
    <label
      className={['field', grow ? 'field-grow' : '', className ?? ''].filter(Boolean).join(' ')}
      htmlFor={id}
    >
      <span>{label}</span>
      <input
        id={id}
        data-testid={id}
        type="text"
        value={value}
        placeholder={placeholder}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={error !== undefined ? true : undefined}
        aria-describedby={error !== undefined ? errorId : describedBy}
        onChange={(e) => onChange(e.target.value)}
      />
      {error !== undefined ? (
        <small className="field-error" id={errorId} data-testid={errorId}>
          {error}
        </small>
      ) : null}
    </label>
  );
}

export function RecordFormPanel({
  form,
  running,
  request,
  onChange,
  onStart,
  onStop,
}: {
  form: RecordForm;
  running: boolean;
  request: RecordRequestState;
  onChange: (patch: Partial<RecordForm>) => void;
  onStart: (request: RecordRequest) => void;
  onStop: () => void;
}) {
  const built = buildRequest(form);
  const starting = request.status === 'starting';
  const stopping = request.status === 'stopping';
  // Field errors are shown once there is something to check (not on the empty form).
  const touched = form.command !== '' || form.args !== '' || form.env !== '';
  return (
    <form
      className="record-form"
      data-testid="record-form"
      aria-label="Program to record"
      onSubmit={(e) => {
        e.preventDefault();
        if (built.request && !running && !starting) onStart(built.request);
      }}
    >
      <div className="form-row">
        <TextField
          id="record-command"
          label="Command"
          grow
          value={form.command}
          placeholder="native/build/samples/multi_engine"
          error={touched ? built.errors.command : undefined}
          onChange={(command) => onChange({ command })}
        />
        <TextField
          id="record-args"
          label="Arguments (split like a shell: quotes and backslashes)"
          grow
          className="record-args"
          value={form.args}
          placeholder="--lists 4 --kernels 40"
          error={built.errors.args}
          describedBy="record-argv"
          onChange={(args) => onChange({ args })}
        />
      </div>
      <div className="record-argv-row">
        <span className="muted">argv:</span>
        <ol className="argv" id="record-argv" data-testid="record-argv" aria-label="The program's argv">
          {built.argv.length === 0 ? (
            <li className="muted">(empty)</li>
          ) : (
            built.argv.map((a, i) => (
              <li key={i} data-testid="record-argv-item">
                <code>{a === '' ? '""' : a}</code>
              </li>
            ))
          )}
        </ol>
      </div>
      <div className="form-row">
        <TextField
          id="record-cwd"
          label="Working directory (default: the service's)"
          grow
          value={form.cwd}
          onChange={(cwd) => onChange({ cwd })}
        />
        <label className="field" htmlFor="record-driver">
          <span>Level Zero driver</span>
          <select
            id="record-driver"
            data-testid="record-driver"
            value={form.driver}
            onChange={(e) => onChange({ driver: e.target.value as RecordForm['driver'] })}
          >
            {DRIVERS.map((d) => (
              <option key={d.value} value={d.value}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        {form.driver === 'sim' ? (
          <TextField
            id="record-profile"
            label="Simulated profiles"
            value={form.profile}
            placeholder="arc-a770, max-1550"
            onChange={(profile) => onChange({ profile })}
          />
        ) : null}
        <label className="field field-check" htmlFor="record-host-calls">
          <span>Host calls</span>
          <span className="check-line">
            <input
              id="record-host-calls"
              data-testid="record-host-calls"
              type="checkbox"
              checked={form.hostCalls}
              onChange={(e) => onChange({ hostCalls: e.target.checked })}
            />
            each thread&apos;s Level Zero calls
          </span>
        </label>
        <label className="field field-grow" htmlFor="record-env">
          <span>Extra environment (KEY=VALUE per line)</span>
          <textarea
            id="record-env"
            data-testid="record-env"
            rows={2}
            value={form.env}
            placeholder="XPUSIM_PROFILE=max-1550"
            spellCheck={false}
            aria-invalid={built.errors.env !== undefined}
            aria-describedby={built.errors.env ? 'record-env-error' : undefined}
            onChange={(e) => onChange({ env: e.target.value })}
          />
          {built.errors.env ? (
            <small className="field-error" id="record-env-error" data-testid="record-env-error">
              {built.errors.env.join('; ')}
            </small>
          ) : null}
        </label>
      </div>
      <div className="record-buttons">
        <button
          type="submit"
          className="primary"
          data-testid="record-start"
          disabled={running || starting || built.request === undefined}
        >
          {starting ? 'Starting…' : 'Start'}
        </button>
        <button
          type="button"
          data-testid="record-stop"
          disabled={!running || stopping}
          onClick={onStop}
          title="Interrupt the program (SIGINT, then SIGKILL after 3 s); what was recorded is kept"
        >
          {stopping ? 'Stopping…' : 'Stop'}
        </button>
      </div>
    </form>
  );
}

/** State, pid, operations, duration, exit, and the counters of what was not recorded fully. */
export function RecordStatus({ record }: { record: RecordState }) {
  const caveats = recordCaveats(record);
  return (
    <section className="record-status" data-testid="record-status" aria-label="Recording">
      <dl className="stats">
        <div>
          <dt>State</dt>
          <dd>
            <span
              className={`status status-record-${record.state}`}
              data-testid="record-state"
              data-state={record.state}
            >
              {STATE_LABELS[record.state]}
            </span>
          </dd>
        </div>
        {record.pid !== undefined ? (
          <div>
            <dt>pid</dt>
            <dd data-testid="record-pid">{record.pid}</dd>
          </div>
        ) : null}
        <div>
          <dt>Operations{record.state === 'running' ? ' so far' : ''}</dt>
          <dd data-testid="record-ops">{record.ops.toLocaleString('en-US')}</dd>
        </div>
        {record.hostCalls !== undefined ? (
          <div>
            <dt>Host calls</dt>
            <dd data-testid="record-host-calls-count">{record.hostCalls.toLocaleString('en-US')}</dd>
          </div>
        ) : null}
        {record.wallMs !== undefined ? (
          <div>
            <dt>Ran for</dt>
            <dd data-testid="record-wall">{formatDuration(record.wallMs * 1e6)}</dd>
          </div>
        ) : null}
        {record.exit ? (
          <div>
            <dt>Exit</dt>
            <dd
              data-testid="record-exit"
              data-code={record.exit.code}
              className={record.exit.code === 0 ? 'exit-ok' : 'exit-bad'}
            >
              {record.exit.signal ?? `code ${record.exit.code}`}
            </dd>
          </div>
        ) : null}
        {caveats.map((c) => (
          <div key={c.key}>
            <dt>{c.label}</dt>
            <dd data-testid={`record-${c.key}`}>{c.count.toLocaleString('en-US')}</dd>
          </div>
        ))}
      </dl>
      {record.exit ? (
        <p className="muted" data-testid="record-exit-text">
          The program {describeExit(record.exit)}.
        </p>
      ) : null}
      {caveats.length > 0 ? (
        <ul className="record-caveats" data-testid="record-caveats">
          {caveats.map((c) => (
            <li key={c.key}>
              <strong>
                {c.count.toLocaleString('en-US')} {c.label}:
              </strong>{' '}
              {c.text}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

export function RecordProcesses({ processes }: { processes: RecordProcessView[] }) {
  return (
    <section className="card" aria-labelledby="record-processes-heading">
      <h3 id="record-processes-heading">Processes</h3>
      <table className="checks" data-testid="record-processes">
        <thead>
          <tr>
            <th scope="col">pid</th>
            <th scope="col">Command</th>
            <th scope="col">How it ended</th>
            <th scope="col">Ops</th>
          </tr>
        </thead>
        <tbody>
          {processes.map((p) => (
            <tr key={p.pid} data-testid="record-process">
              <td className="mono">{p.pid}</td>
              <td>
                <code className="path">{p.command}</code>
                {!p.traced && p.untraced ? (
                  <div className="muted" data-testid="record-untraced">
                    not traced: {p.untraced}
                  </div>
                ) : null}
                {p.error ? <div className="field-error">{p.error}</div> : null}
              </td>
              <td data-testid="record-process-end">{p.end}</td>
              <td className="mono">{p.ops.toLocaleString('en-US')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function RecordAnalysis({
  analysis,
  deviceNames = {},
  onFinding,
  showSummary = true,
}: {
  analysis: CaptureAnalysis;
  /** False where the view shows the summary sentence elsewhere (above the timeline). */
  showSummary?: boolean;
  /** Capture device number → what to call it, when the recording used more than one device. */
  deviceNames?: Record<number, string>;
  onFinding?: (finding: AnalysisFinding) => void;
}) {
  const devices = new Set(analysis.engines.map((e) => e.device));
  const engineName = (e: AnalysisEngine) =>
    devices.size > 1 && deviceNames[e.device] ? `${deviceNames[e.device]} · ${e.label}` : e.label;
  return (
    <section className="result-card" data-testid="record-analysis" aria-labelledby="record-analysis-heading">
      <h3 id="record-analysis-heading">Analysis</h3>
      {showSummary ? (
        <p className="explanation" data-testid="record-summary">
          {analysis.summary}
        </p>
      ) : null}
      <dl className="stats">
        <div>
          <dt>Operations</dt>
          <dd>{analysis.ops.toLocaleString('en-US')}</dd>
        </div>
        <div>
          <dt>Window</dt>
          <dd>{formatDuration(analysis.windowNs)}</dd>
        </div>
        <div>
          <dt>Achieved concurrency</dt>
          <dd data-testid="record-concurrency">{analysis.concurrency.toFixed(2)}</dd>
        </div>
        <div>
          <dt>Peak</dt>
          <dd>{analysis.peakConcurrency}</dd>
        </div>
      </dl>
      {analysis.engines.length > 0 ? (
        <>
          <h4>Busy per engine</h4>
          <ul className="engine-busy" data-testid="record-engines">
            {analysis.engines.map((e) => (
              <li key={`${e.device}/${e.label}`} data-testid="record-engine">
                <span className="engine-busy-label">{engineName(e)}</span>
                <meter min={0} max={100} value={e.busyPct} aria-label={`${engineName(e)} busy`} />
                <span className="mono">{e.busyPct.toFixed(1)} %</span>
                <span className="muted">
                  {e.ops.toLocaleString('en-US')} ops
                  {e.concurrency > 1.01 ? ` · concurrency ${e.concurrency.toFixed(2)}` : ''}
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {analysis.findings.length > 0 ? (
        <>
          <h4>Findings</h4>
          <ul className="findings" data-testid="record-findings">
            {analysis.findings.map((f, i) => (
              <li key={i} className={`finding finding-${f.severity}`} data-kind={f.kind}>
                <button
                  type="button"
                  className="finding-button"
                  data-testid="record-finding"
                  disabled={!onFinding || (f.ops.length === 0 && !f.timeNs)}
                  onClick={() => onFinding?.(f)}
                  title={
                    f.ops.length > 0
                      ? `Select these ${f.ops.length} operations in the timeline`
                      : 'Show this time in the timeline'
                  }
                >
                  <span className="finding-title" data-testid="record-finding-title">
                    {f.severity === 'warn' ? '⚠ ' : ''}
                    {f.title}
                  </span>
                  <span className="finding-detail">{f.detail}</span>
                  {f.ops.length > 0 ? (
                    <span className="muted finding-ops">
                      {f.ops.length} operation{f.ops.length === 1 ? '' : 's'} — show in the timeline
                    </span>
                  ) : null}
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {analysis.notes.length > 0 ? (
        <ul className="muted record-notes" data-testid="record-notes">
          {analysis.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

/** The program's stdout and stderr as they arrived, stderr marked; follows the end unless scrolled up. */
export function RecordOutputPanel({ output }: { output: RecordOutputState }) {
  const ref = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [output]);
  return (
    <section className="card record-output-card" aria-labelledby="record-output-heading">
      <h3 id="record-output-heading">
        Output <span className="muted record-output-legend">stdout · </span>
        <span className="out-stderr record-output-legend">stderr</span>
      </h3>
      {output.droppedChars > 0 ? (
        <p className="muted" data-testid="record-output-dropped">
          The first {output.droppedChars.toLocaleString('en-US')} characters are not shown (only the last ~1
          MB is kept).
        </p>
      ) : null}
      <pre
        ref={ref}
        className="record-output"
        data-testid="record-output"
        tabIndex={0}
        role="log"
        aria-label="Output of the recorded program"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 16;
        }}
      >
        {output.chunks.length === 0 ? (
          <span className="muted">(no output yet)</span>
        ) : (
          output.chunks.map((c, i) => (
            <span
              key={i}
              className={c.stream === 'stderr' ? 'out-stderr' : 'out-stdout'}
              data-stream={c.stream}
            >
              {c.text}
            </span>
          ))
        )}
      </pre>
    </section>
  );
}
