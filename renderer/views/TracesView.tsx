// Traces: export the capture as Chrome Trace JSON (browser: a download from the server; desktop: a
// native save dialog), and import unitrace / PyTorch (Kineto) / Chrome / xpuscope traces into the
// timeline (browser: file input → upload; desktop: native open dialog).
import { useRef, useSyncExternalStore } from 'react';
import type { TraceImportSummary } from '../../protocol/views.js';
import { formatBytes } from '../format.js';
import { useApp } from '../state/context.js';
import { ErrorCallout } from './common.js';

export function TracesView() {
  const trace = useApp((s) => s.trace);
  const platform = useApp((s) => s.platform);
  const exportTrace = useApp((s) => s.exportTrace);
  const importTrace = useApp((s) => s.importTrace);
  const setView = useApp((s) => s.setView);
  const controller = useApp((s) => s.timeline);
  const snap = useSyncExternalStore(controller.subscribe, controller.snapshot);
  const fileRef = useRef<HTMLInputElement>(null);
  const busy = trace.status === 'busy';
  const web = platform?.kind !== 'electron';
  return (
    <section className="view" data-testid="traces-view" aria-labelledby="traces-heading">
      <header className="view-header">
        <h2 id="traces-heading">Traces</h2>
      </header>
      <div className="trace-cards">
        <div className="card">
          <h3>Export the capture</h3>
          <p className="muted">
            Writes the {snap.spanCount.toLocaleString('en-US')} operations of the live timeline as Chrome
            Trace JSON (opens in Perfetto and chrome://tracing, and imports back here).
          </p>
          <button type="button" data-testid="trace-export" disabled={busy} onClick={() => void exportTrace()}>
            {web ? 'Download trace' : 'Export trace…'}
          </button>
        </div>
        <div className="card">
          <h3>Import a trace</h3>
          <p className="muted">
            unitrace, PyTorch profiler (Kineto), Chrome Trace or xpuscope JSON. Replaces the timeline.
          </p>
          {web ? (
            <label className="field">
              <span>Trace file</span>
              <input
                ref={fileRef}
                type="file"
                accept=".json,.gz,application/json"
                data-testid="trace-file"
                disabled={busy}
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file) void importTrace(file);
                  e.target.value = '';
                }}
              />
            </label>
          ) : (
            <button
              type="button"
              data-testid="trace-import"
              disabled={busy}
              onClick={() => void importTrace()}
            >
              Import trace…
            </button>
          )}
        </div>
      </div>
      {trace.status === 'busy' ? (
        <p role="status" className="muted" data-testid="trace-busy">
          {trace.action === 'export' ? 'Exporting…' : 'Importing…'}
        </p>
      ) : null}
      {trace.status === 'exported' ? (
        <p role="status" className="callout" data-testid="trace-exported">
          Exported {trace.spans.toLocaleString('en-US')} operations ({formatBytes(trace.bytes)})
          {trace.path ? ` to ${trace.path}` : ''}.
        </p>
      ) : null}
      {trace.status === 'cancelled' ? (
        <p role="status" className="muted">
          Cancelled.
        </p>
      ) : null}
      {trace.status === 'imported' ? (
        <ImportSummary summary={trace.summary} onOpen={() => setView('timeline')} />
      ) : null}
      {trace.status === 'error' ? (
        <ErrorCallout title="The trace operation failed" error={trace.error} testId="trace-error" />
      ) : null}
    </section>
  );
}

export function ImportSummary({ summary, onOpen }: { summary: TraceImportSummary; onOpen?: () => void }) {
  const skipped = Object.entries(summary.skipped).filter(([, n]) => n > 0);
  return (
    <div className="callout" data-testid="trace-imported" role="status">
      <h3>
        Imported <span data-testid="trace-imported-spans">{summary.spans.toLocaleString('en-US')}</span> spans
        ({summary.format})
      </h3>
      <p>
        {summary.events.toLocaleString('en-US')} events, {summary.flows.toLocaleString('en-US')} dependency
        flows
        {summary.devices.length > 0 ? `, devices: ${summary.devices.join(', ')}` : ''}.
        {summary.truncated ? ' The file was truncated; the rest was kept.' : ''}
      </p>
      {skipped.length > 0 ? (
        <p className="muted">Skipped: {skipped.map(([k, n]) => `${n} ${k}`).join(', ')}.</p>
      ) : null}
      <button type="button" data-testid="trace-open-timeline" onClick={onOpen}>
        Open in the timeline
      </button>
    </div>
  );
}
