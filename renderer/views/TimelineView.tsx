// The live timeline: toolbar (pause/resume, clear, fit, follow-live), overview strip, the canvas
// (TimelineCanvas) and the details panel of the selected span. Spans never enter React state: the
// view subscribes to the controller's small snapshot (counts, follow, selection).
import { useEffect, useSyncExternalStore } from 'react';
import { OP_KINDS } from '../../protocol/timeline.js';
import type { CaptureState } from '../../protocol/views.js';
import { formatBandwidth, formatDuration } from '../timeline/axis.js';
import type { TimelineController } from '../timeline/controller.js';
import { kindName } from '../timeline/draw.js';
import type { SpanInfo, TimelineStore } from '../timeline/lane-store.js';
import { TimelineCanvas } from '../timeline/TimelineCanvas.js';
import { useApp } from '../state/context.js';
import { ErrorCallout } from './common.js';
import { CapturesList } from './CapturesList.js';

/** What the timeline shows, for its title: xpuscope's own work, an imported file, or a recorded program. */
export function timelineTitle(capture: CaptureState | null): { text: string; command?: string } {
  switch (capture?.source) {
    case 'recording':
      return capture.sourceName
        ? { text: 'Recording of ', command: capture.sourceName }
        : { text: 'Recording of a program' };
    case 'import':
      return capture.sourceName
        ? { text: 'Imported file ', command: capture.sourceName }
        : { text: 'Imported file' };
    default:
      // One run of xpuscope's own (its own capture), or the session between runs.
      if (capture?.kind === 'scenario' && capture.sourceName)
        return { text: 'Scenario run ', command: capture.sourceName };
      if (capture?.kind === 'diagnostics' && capture.sourceName) return { text: capture.sourceName };
      return { text: 'Live timeline' };
  }
}

export function TimelineView() {
  const loadCapture = useApp((s) => s.loadCapture);
  const capture = useApp((s) => s.capture);
  useEffect(() => {
    void loadCapture();
  }, [loadCapture]);
  const title = timelineTitle(capture);
  return (
    <section className="view view-timeline" data-testid="timeline-view" aria-labelledby="timeline-heading">
      <header className="view-header">
        <h2 id="timeline-heading" data-testid="timeline-title" data-source={capture?.source ?? 'live'}>
          {title.text}
          {title.command ? <code>{title.command}</code> : null}
        </h2>
      </header>
      <CapturesList />
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
  const recordRunning = useApp((s) => s.record?.state === 'running');
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
        recordRunning={recordRunning}
      />
      <CaptureWarnings capture={capture} />
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
              {capture?.source === 'recording'
                ? 'No operations recorded yet: they appear here as the program submits them to the GPU.'
                : 'No operations captured yet. Run a scenario (Scenarios, key 4), record a program (Record, key 8) or import a trace (Traces, key 7); spans appear here live.'}
            </p>
          ) : null}
        </div>
        <SpanDetails info={snap.selected} onSelect={(id) => controller.selectById(id)} />
      </div>
      <LaneList store={controller.store} lanes={snap.lanes} />
    </div>
  );
}

/** What the capture could not do, said where the timeline is: the trace file, operations not recorded. */
export function CaptureWarnings({ capture }: { capture: CaptureState | null }) {
  if (!capture?.traceError && !capture?.recorderErrors) return null;
  return (
    <div className="callout callout-warning" role="alert" data-testid="capture-warnings">
      {capture.traceError ? (
        <p data-testid="capture-trace-error">
          The streamed trace file is not being written: {capture.traceError}. The timeline goes on; export it
          from Traces instead, or restart with a writable path.
        </p>
      ) : null}
      {capture.recorderErrors ? (
        <p data-testid="capture-recorder-errors">
          {capture.recorderErrors.toLocaleString('en-US')} operation(s) could not be recorded (their
          timestamps could not be read) and are missing from the timeline.
        </p>
      ) : null}
    </div>
  );
}

/** Lanes listed for screen readers (the canvas is one image) and for tests; at most this many. */
const LANE_LIST_MAX = 256;

/**
 * The canvas's groups and lanes as text, visually hidden: "pid 4242 · multi_engine — Intel(R) … ·
 * compute 0.1" with "immediate list 2" under it. Re-rendered when the lane count changes (`lanes`).
 */
export function LaneList({ store, lanes }: { store: TimelineStore; lanes: number }) {
  if (lanes === 0) return null;
  let left = LANE_LIST_MAX;
  return (
    <ul className="visually-hidden" data-testid="timeline-lanes" aria-label="Timeline lanes">
      {store.groups().map((g) =>
        left <= 0 ? null : (
          <li key={g.engineKey} data-testid="timeline-group">
            <span data-testid="timeline-group-label">{g.label}</span>
            <ul>
              {g.lanes.slice(0, Math.max(0, left)).map((l) => {
                left--;
                return (
                  <li
                    key={l.info.id}
                    data-testid="timeline-lane"
                    data-engine={g.engineLabel}
                    data-spans={l.n}
                  >
                    {store.laneName(l)}
                  </li>
                );
              })}
            </ul>
          </li>
        ),
      )}
    </ul>
  );
}

export function TimelineToolbar({
  controller,
  capture,
  spanCount,
  lanes,
  follow,
  onControl,
  recordRunning = false,
}: {
  controller: TimelineController;
  capture: CaptureState | null;
  spanCount: number;
  lanes: number;
  follow: boolean;
  onControl: (action: 'pause' | 'resume' | 'clear') => void;
  /** A program is being recorded (the timeline shows it): no going back to live until it ends. */
  recordRunning?: boolean;
}) {
  const paused = capture?.paused ?? false;
  // A file or a recorded program is shown: "resume" goes back to xpuscope's own live capture (a fresh one).
  const shown = capture?.source === 'recording' || capture?.source === 'import' ? capture.source : null;
  return (
    <div className="toolbar" role="toolbar" aria-label="Timeline controls">
      {shown ? (
        <button
          type="button"
          data-testid="capture-pause"
          onClick={() => onControl('resume')}
          disabled={recordRunning}
          title={
            recordRunning
              ? 'A program is being recorded: stop it first (Record view)'
              : `Show xpuscope's own operations live again (the ${shown === 'recording' ? 'recording' : 'imported file'} leaves the timeline)`
          }
        >
          Back to live
        </button>
      ) : (
        <button
          type="button"
          data-testid="capture-pause"
          onClick={() => onControl(paused ? 'resume' : 'pause')}
          aria-pressed={paused}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
      )}
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
        {capture
          ? ` · ${
              shown === 'recording'
                ? 'recorded program'
                : shown === 'import'
                  ? 'imported file'
                  : capture.paused
                    ? 'paused'
                    : capture.recording
                      ? 'recording'
                      : 'idle'
            }`
          : ''}
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
      {OP_KINDS.map((k) => (
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
        {info.detail !== undefined ? (
          <>
            <dt>Details</dt>
            <dd data-testid="span-detail">{info.detail}</dd>
          </>
        ) : null}
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
