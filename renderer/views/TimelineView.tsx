// The live timeline: toolbar (pause/resume, clear, fit, follow-live), overview strip, the canvas
// (TimelineCanvas) and the details panel of the selected span. Spans never enter React state: the
// view subscribes to the controller's small snapshot (counts, follow, selection).
import { useEffect, useSyncExternalStore } from 'react';
import type { CaptureState } from '../../protocol/views.js';
import { formatBandwidth, formatDuration } from '../timeline/axis.js';
import type { TimelineController } from '../timeline/controller.js';
import { kindName } from '../timeline/draw.js';
import type { SpanInfo } from '../timeline/lane-store.js';
import { TimelineCanvas } from '../timeline/TimelineCanvas.js';
import { useApp } from '../state/context.js';
import { ErrorCallout } from './common.js';

export function TimelineView() {
  const loadCapture = useApp((s) => s.loadCapture);
  useEffect(() => {
    void loadCapture();
  }, [loadCapture]);
  return (
    <section className="view view-timeline" data-testid="timeline-view" aria-labelledby="timeline-heading">
      <header className="view-header">
        <h2 id="timeline-heading">Live timeline</h2>
      </header>
      <TimelinePanel />
    </section>
  );
}

/** Toolbar + canvas + details; also embedded in the Scenarios view. */
export function TimelinePanel({ compact = false }: { compact?: boolean }) {
  const controller = useApp((s) => s.timeline);
  const capture = useApp((s) => s.capture);
  const captureError = useApp((s) => s.captureError);
  const controlCapture = useApp((s) => s.controlCapture);
  const snap = useSyncExternalStore(controller.subscribe, controller.snapshot);
  return (
    <div className={compact ? 'timeline-panel timeline-panel-compact' : 'timeline-panel'}>
      <TimelineToolbar
        controller={controller}
        capture={capture}
        spanCount={snap.spanCount}
        lanes={snap.lanes}
        follow={snap.follow}
        onControl={(a) => void controlCapture(a)}
      />
      {captureError && captureError.code !== 'NOT_IMPLEMENTED' ? (
        <ErrorCallout title="Capture control failed" error={captureError} testId="capture-error" />
      ) : null}
      {snap.error ? (
        <p className="callout callout-warning" role="alert" data-testid="timeline-error">
          {snap.error}
        </p>
      ) : null}
      <div className="timeline-body">
        <div className="timeline-main">
          <TimelineCanvas controller={controller} />
          {snap.spanCount === 0 ? (
            <p className="timeline-empty muted" data-testid="timeline-empty">
              No operations captured yet. Run a scenario (Scenarios, key 4) or import a trace (Traces, key 7);
              spans appear here live.
            </p>
          ) : null}
        </div>
        <SpanDetails info={snap.selected} onSelect={(id) => controller.selectById(id)} />
      </div>
    </div>
  );
}

export function TimelineToolbar({
  controller,
  capture,
  spanCount,
  lanes,
  follow,
  onControl,
}: {
  controller: TimelineController;
  capture: CaptureState | null;
  spanCount: number;
  lanes: number;
  follow: boolean;
  onControl: (action: 'pause' | 'resume' | 'clear') => void;
}) {
  const paused = capture?.paused ?? false;
  return (
    <div className="toolbar" role="toolbar" aria-label="Timeline controls">
      <button
        type="button"
        data-testid="capture-pause"
        onClick={() => onControl(paused ? 'resume' : 'pause')}
        aria-pressed={paused}
      >
        {paused ? 'Resume' : 'Pause'}
      </button>
      <button type="button" data-testid="capture-clear" onClick={() => onControl('clear')}>
        Clear
      </button>
      <span className="toolbar-sep" />
      <button type="button" data-testid="timeline-fit" onClick={() => controller.fit()} title="Fit all (F)">
        Fit all
      </button>
      <button
        type="button"
        data-testid="timeline-zoom-in"
        onClick={() => controller.zoom(0.5, 0.5)}
        title="Zoom in (W)"
      >
        +
      </button>
      <button
        type="button"
        data-testid="timeline-zoom-out"
        onClick={() => controller.zoom(0.5, 2)}
        title="Zoom out (S)"
      >
        −
      </button>
      <label className="toggle">
        <input
          type="checkbox"
          data-testid="timeline-follow"
          checked={follow}
          onChange={(e) => controller.setFollow(e.target.checked)}
        />
        Follow live
      </label>
      <span className="toolbar-stats muted" data-testid="timeline-stats">
        {spanCount.toLocaleString('en-US')} spans · {lanes} lanes
        {capture ? ` · ${capture.paused ? 'paused' : capture.recording ? 'recording' : 'idle'}` : ''}
        {capture && capture.dropped > 0 ? ` · ${capture.dropped.toLocaleString('en-US')} dropped` : ''}
      </span>
      <span className="toolbar-help muted">Wheel: zoom · drag: pan · W/A/S/D · F: fit</span>
      <Legend />
    </div>
  );
}

function Legend() {
  return (
    <span className="legend" aria-label="Span colours">
      {['kernel', 'copy', 'fill', 'barrier', 'event-record', 'event-wait'].map((k) => (
        <span key={k} className={`legend-item legend-${k}`}>
          {k}
        </span>
      ))}
    </span>
  );
}

/** The selected span: times, duration, queue latency, bytes and bandwidth, dependencies. */
export function SpanDetails({ info, onSelect }: { info: SpanInfo | null; onSelect?: (id: number) => void }) {
  if (!info) {
    return (
      <aside className="span-details muted" data-testid="span-details-empty" aria-label="Selected operation">
        Click a span to see its details.
      </aside>
    );
  }
  const dur = info.endNs - info.startNs;
  const dep = (list: { id: number; name: string }[], testId: string) =>
    list.length === 0 ? (
      <span className="muted">none</span>
    ) : (
      <ul className="dep-list" data-testid={testId}>
        {list.map((d) => (
          <li key={d.id}>
            <button type="button" className="link" onClick={() => onSelect?.(d.id)}>
              #{d.id} {d.name}
            </button>
          </li>
        ))}
      </ul>
    );
  return (
    <aside className="span-details" data-testid="span-details" aria-label="Selected operation">
      <h3 data-testid="span-name">{info.name}</h3>
      <dl className="facts">
        <dt>Kind</dt>
        <dd data-testid="span-kind">{kindName(info.kind)}</dd>
        <dt>Lane</dt>
        <dd>{info.laneLabel}</dd>
        <dt>Op id</dt>
        <dd>{info.id}</dd>
        <dt>Submitted</dt>
        <dd className="mono">{(info.submitNs / 1e3).toFixed(3)} µs</dd>
        <dt>Start</dt>
        <dd className="mono">{(info.startNs / 1e3).toFixed(3)} µs</dd>
        <dt>End</dt>
        <dd className="mono">{(info.endNs / 1e3).toFixed(3)} µs</dd>
        <dt>Duration</dt>
        <dd data-testid="span-duration">{formatDuration(dur)}</dd>
        <dt>Queue latency</dt>
        <dd data-testid="span-latency" title="start − submit">
          {formatDuration(info.startNs - info.submitNs)}
        </dd>
        <dt>Bytes</dt>
        <dd>{info.bytes > 0 ? info.bytes.toLocaleString('en-US') : '—'}</dd>
        <dt>Bandwidth</dt>
        <dd>{formatBandwidth(info.bytes, dur)}</dd>
        <dt>Waits on</dt>
        <dd>{dep(info.deps, 'span-deps')}</dd>
        <dt>Needed by</dt>
        <dd>{dep(info.dependents, 'span-dependents')}</dd>
      </dl>
    </aside>
  );
}
