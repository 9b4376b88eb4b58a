// The captures list (Timeline view): every scenario run, diagnostics run, imported file and recorded
// program the service keeps, newest first. Selecting a row shows that capture on this page only (the
// service sends a reset and its batches); "Follow newest" goes back to whatever runs next. The list
// comes from `captures.list` and the service's `captures` pushes (protocol/views.ts CaptureList).
import { useEffect } from 'react';
import type { CaptureInfo, CaptureKind, CaptureList } from '../../protocol/views.js';
import { formatDuration } from '../timeline/axis.js';
import { timeOfDay } from '../format.js';
import { useApp } from '../state/context.js';

const KIND_LABEL: Record<CaptureKind, string> = {
  session: 'session',
  scenario: 'scenario',
  diagnostics: 'diagnostics',
  import: 'file',
  recording: 'recording',
};

const NO_DEVICES: { index: number; name: string }[] = [];

export function CapturesList() {
  const list = useApp((s) => s.captures);
  const load = useApp((s) => s.loadCaptures);
  const select = useApp((s) => s.selectCapture);
  const close = useApp((s) => s.closeCapture);
  const devices = useApp((s) => (s.devices.status === 'ready' ? s.devices.list.devices : NO_DEVICES));
  useEffect(() => {
    void load();
  }, [load]);
  if (!list) return null;
  return (
    <CapturesTable
      list={list}
      devices={devices}
      onSelect={(id) => void select(id)}
      onClose={(id) => void close(id)}
    />
  );
}

/** The list itself (pure: rendered to HTML in tests). `onSelect(null)` follows the newest. */
export function CapturesTable({
  list,
  devices,
  onSelect,
  onClose,
}: {
  list: CaptureList;
  devices: readonly { index: number; name: string }[];
  onSelect: (id: string | null) => void;
  onClose: (id: string) => void;
}) {
  const deviceName = (c: CaptureInfo): string => {
    if (c.device === undefined) return '';
    const d = devices.find((x) => x.index === c.device);
    return d ? `${c.device}: ${d.name}` : String(c.device);
  };
  const rows = [...list.captures].reverse();
  return (
    <div className="captures" data-testid="captures">
      <div className="captures-head">
        <h3 id="captures-heading">Captures</h3>
        <label className="toggle" title="Switch to each new run or recording as it begins">
          <input
            type="checkbox"
            data-testid="captures-follow"
            checked={list.following}
            onChange={(e) => onSelect(e.target.checked ? null : list.viewing)}
          />
          Follow newest
        </label>
        <span className="muted" data-testid="captures-count">
          {list.captures.length} kept
          {list.evicted > 0 ? ` · ${list.evicted} older closed to save memory` : ''}
        </span>
      </div>
      <table className="captures-table" aria-labelledby="captures-heading">
        <thead>
          <tr>
            <th scope="col">Capture</th>
            <th scope="col">Kind</th>
            <th scope="col">Device</th>
            <th scope="col">Began</th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col" className="num">
              Ops
            </th>
            <th scope="col">
              <span className="visually-hidden">Close</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => {
            const viewing = c.id === list.viewing;
            return (
              <tr
                key={c.id}
                data-testid="capture-row"
                data-capture={c.id}
                data-kind={c.kind}
                data-live={c.live ? 'true' : 'false'}
                aria-current={viewing ? 'true' : undefined}
                className={viewing ? 'capture-viewing' : undefined}
              >
                <td>
                  <button
                    type="button"
                    className="link-button"
                    data-testid="capture-show"
                    onClick={() => onSelect(c.id)}
                    title={viewing ? 'Shown in the timeline' : 'Show this capture in the timeline'}
                  >
                    {c.name}
                  </button>
                  {c.live ? (
                    <span className="badge badge-live" data-testid="capture-live">
                      live
                    </span>
                  ) : null}
                  {c.id === list.newest && !c.live ? (
                    <span className="badge badge-newest">newest</span>
                  ) : null}
                </td>
                <td>{KIND_LABEL[c.kind]}</td>
                <td>{deviceName(c)}</td>
                <td>{timeOfDay(c.startedAt)}</td>
                <td className="num">{c.ops > 0 ? formatDuration(c.durationNs) : '—'}</td>
                <td className="num" data-testid="capture-ops">
                  {c.ops.toLocaleString('en-US')}
                  {c.dropped > 0 ? ` (+${c.dropped.toLocaleString('en-US')} dropped)` : ''}
                </td>
                <td>
                  <button
                    type="button"
                    className="icon-button"
                    data-testid="capture-close"
                    disabled={c.live}
                    aria-label={`Close ${c.name}`}
                    title={c.live ? 'Still receiving operations' : 'Close this capture (frees its memory)'}
                    onClick={() => onClose(c.id)}
                  >
                    ×
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
