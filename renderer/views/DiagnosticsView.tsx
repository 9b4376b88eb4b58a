// Diagnostics: run level 1 (software), 2 (functional) or 3 (performance) with live progress; each
// check with measured vs expected and what to do; export the report as JSON or JUnit XML.
import { useState } from 'react';
import type { CheckResult, DiagReport } from '../../protocol/views.js';
import { toJUnit } from '../../protocol/junit.js';
import { useApp } from '../state/context.js';
import { ErrorCallout } from './common.js';

const LEVELS: { level: 1 | 2 | 3; label: string; help: string }[] = [
  { level: 1, label: 'Level 1 · software', help: 'loader, driver, devices, permissions' },
  { level: 2, label: 'Level 2 · functional', help: 'runs small kernels and copies and checks results' },
  {
    level: 3,
    label: 'Level 3 · performance',
    help: 'measures bandwidth and throughput against expectations',
  },
];

export function DiagnosticsView() {
  const diag = useApp((s) => s.diag);
  const runDiag = useApp((s) => s.runDiag);
  const platform = useApp((s) => s.platform);
  const [saved, setSaved] = useState<string | null>(null);
  const running = diag.status === 'running';
  const save = async (report: DiagReport, format: 'json' | 'junit') => {
    if (!platform) return;
    const stamp = report.startedAt.replace(/[:.]/g, '-');
    const where =
      format === 'json'
        ? await platform.saveText(
            `xpuscope-diag-L${report.level}-${stamp}.json`,
            `${JSON.stringify(report, null, 2)}\n`,
            'application/json',
          )
        : await platform.saveText(
            `xpuscope-diag-L${report.level}-${stamp}.xml`,
            toJUnit(report),
            'application/xml',
          );
    setSaved(where ? `Saved ${where}` : 'Not saved.');
  };
  return (
    <section className="view" data-testid="diagnostics-view" aria-labelledby="diag-heading">
      <header className="view-header">
        <h2 id="diag-heading">Diagnostics</h2>
      </header>
      <div className="form-row">
        {LEVELS.map((l) => (
          <button
            key={l.level}
            type="button"
            data-testid={`diag-run-${l.level}`}
            disabled={running}
            title={l.help}
            onClick={() => void runDiag(l.level)}
          >
            {l.label}
          </button>
        ))}
      </div>
      {diag.status === 'idle' ? <DiagLevelsIntro /> : null}
      {diag.status === 'running' ? (
        <div className="diag-progress" data-testid="diag-progress" role="status">
          <progress max={diag.progress?.total ?? 1} value={diag.progress?.done ?? 0} />
          <span>
            {diag.progress ? `${diag.progress.done}/${diag.progress.total}` : 'starting'}{' '}
            {diag.progress?.current ?? ''}
          </span>
        </div>
      ) : null}
      {diag.status === 'error' ? (
        <ErrorCallout title="Diagnostics could not run" error={diag.error} testId="diag-error" />
      ) : null}
      {diag.status === 'done' ? (
        <>
          <div className="form-row diag-actions">
            <button
              type="button"
              data-testid="diag-export-json"
              onClick={() => void save(diag.report, 'json')}
            >
              Export JSON
            </button>
            <button
              type="button"
              data-testid="diag-export-junit"
              onClick={() => void save(diag.report, 'junit')}
            >
              Export JUnit XML
            </button>
            {saved ? (
              <span className="muted" role="status" data-testid="diag-saved">
                {saved}
              </span>
            ) : null}
          </div>
          <DiagReportPanel report={diag.report} />
        </>
      ) : null}
    </section>
  );
}

/** Before any run: what each level checks, and how long it takes. */
export function DiagLevelsIntro() {
  return (
    <div className="diag-intro" data-testid="diag-intro">
      <p>Checks of this machine's GPU driver install, for QA: pick a level. Levels include the ones below.</p>
      <dl>
        <dt>Level 1 · software (about a second)</dt>
        <dd>
          The Level Zero loader and its version, the driver libraries, the render nodes and your permission to
          open them, the drivers and devices the loader reports, the API version.
        </dd>
        <dt>Level 2 · functional (a few seconds)</dt>
        <dd>
          On every device: sane properties, a queue on every engine, allocations, copies that come back
          identical, the kernels build and compute the right result, timestamps that track the host clock,
          streams that overlap as the engines allow.
        </dd>
        <dt>Level 3 · performance (tens of seconds)</dt>
        <dd>
          Copy bandwidth and kernel throughput measured against what the device's own properties promise.
        </dd>
      </dl>
      <p className="muted">
        The results export as JSON or as JUnit XML — the same file as <code>xpuscope diag --junit</code>.
      </p>
    </div>
  );
}

/** Pure rendering of a report; "only warnings and failures" hides what passed. */
export function DiagReportPanel({
  report,
  problemsOnly: initial = false,
}: {
  report: DiagReport;
  problemsOnly?: boolean;
}) {
  const [problemsOnly, setProblemsOnly] = useState(initial);
  const s = report.summary;
  const shown = problemsOnly
    ? report.checks.filter((c) => c.status === 'warn' || c.status === 'fail')
    : report.checks;
  return (
    <div data-testid="diag-report">
      {report.error ? (
        <div className="callout callout-error" role="alert" data-testid="diag-report-error">
          <h3>Diagnostics could not run</h3>
          <p>{report.error.message}</p>
          {report.error.hint ? <p className="hint">{report.error.hint}</p> : null}
        </div>
      ) : null}
      <p className="diag-summary" data-testid="diag-summary">
        Level {report.level}: <span className="status status-pass">{s.pass} passed</span> ·{' '}
        <span className="status status-warn">{s.warn} warnings</span> ·{' '}
        <span className="status status-fail">{s.fail} failed</span> ·{' '}
        <span className="status status-skip">{s.skip} skipped</span> of {s.total ?? report.checks.length} in{' '}
        {(report.durationMs / 1000).toFixed(1)} s
        {report.devices?.some((d) => d.simulated) ? (
          <span className="badge badge-sim-small" title="These checks ran on simulated devices">
            sim
          </span>
        ) : null}
        {report.cancelled ? ' (cancelled)' : ''}
      </p>
      <label className="toggle">
        <input
          type="checkbox"
          data-testid="diag-problems-only"
          checked={problemsOnly}
          onChange={(e) => setProblemsOnly(e.target.checked)}
        />
        Only warnings and failures
      </label>
      {problemsOnly && shown.length === 0 ? (
        <p className="muted" data-testid="diag-no-problems">
          No warnings and no failures.
        </p>
      ) : (
        <ChecksTable checks={shown} />
      )}
    </div>
  );
}

/** One row per check: status, what, measured vs expected (with the expectation's source), what to do. */
export function ChecksTable({ checks }: { checks: CheckResult[] }) {
  return (
    <table className="checks">
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Check</th>
          <th scope="col">Measured</th>
          <th scope="col">Expected</th>
          <th scope="col">What to do</th>
        </tr>
      </thead>
      <tbody>
        {checks.map((c, i) => (
          <tr key={`${c.id}-${c.device ?? ''}-${i}`} data-testid="diag-check" data-status={c.status}>
            <td>
              <span className={`status status-${c.status}`}>{c.status}</span>
            </td>
            <th scope="row">
              {c.title}
              <div className="muted mono">
                {c.id}
                {c.device !== undefined ? ` · device ${c.device}` : ''}
              </div>
              {c.message ? <div className="muted">{c.message}</div> : null}
            </th>
            <td>{c.measured || '—'}</td>
            <td title={c.expectedSource ? `Expected by: ${c.expectedSource}` : undefined}>
              {c.expected || '—'}
              {c.expectedSource ? <div className="muted">{c.expectedSource}</div> : null}
            </td>
            <td>{c.hint ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
