// The app shell: header (name, connection, transport), view navigation with keyboard shortcuts
// (Alt+1…8, or 1…8 when no text field has focus), the current view. New views register in VIEWS.
import { useContext, useEffect, type ReactElement } from 'react';
import { StoreContext, useApp } from './state/context.js';
import { syncViewWithUrl } from './routing.js';
import type { ViewId } from './state/store.js';
import { isTyping } from './keys.js';
import type { ConnectionStatus } from './transports/index.js';
import { CountersView } from './views/CountersView.js';
import { DevicesView } from './views/DevicesView.js';
import { DiagnosticsView } from './views/DiagnosticsView.js';
import { PropertiesView } from './views/PropertiesView.js';
import { RecordView } from './views/RecordView.js';
import { ScenariosView } from './views/ScenariosView.js';
import { TimelineView } from './views/TimelineView.js';
import { TracesView } from './views/TracesView.js';
import { ServersControl } from './views/ServersPanel.js';

export const VIEWS: { id: ViewId; label: string; key: string; render: () => ReactElement }[] = [
  { id: 'devices', label: 'Devices', key: '1', render: () => <DevicesView /> },
  { id: 'properties', label: 'Properties', key: '2', render: () => <PropertiesView /> },
  { id: 'timeline', label: 'Timeline', key: '3', render: () => <TimelineView /> },
  { id: 'scenarios', label: 'Scenarios', key: '4', render: () => <ScenariosView /> },
  { id: 'counters', label: 'Counters', key: '5', render: () => <CountersView /> },
  { id: 'diagnostics', label: 'Diagnostics', key: '6', render: () => <DiagnosticsView /> },
  { id: 'traces', label: 'Traces', key: '7', render: () => <TracesView /> },
  { id: 'record', label: 'Record', key: '8', render: () => <RecordView /> },
];

export function App() {
  const view = useApp((s) => s.view);
  const setView = useApp((s) => s.setView);
  const notice = useApp((s) => s.notice);
  const dismissNotice = useApp((s) => s.dismissNotice);
  const current = VIEWS.find((v) => v.id === view) ?? VIEWS[0]!;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey) return;
      if (!e.altKey && isTyping(e.target)) return;
      const target = VIEWS.find((v) => v.key === e.key || (e.altKey && e.code === `Digit${v.key}`));
      if (!target) return;
      e.preventDefault();
      setView(target.id);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setView]);

  // Each view has a URL: reload keeps it, Back and Forward move between views.
  const store = useContext(StoreContext);
  useEffect(() => (store ? syncViewWithUrl(window, store) : undefined), [store]);

  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-title">xpuscope</h1>
        <nav aria-label="Views" className="app-nav">
          {VIEWS.map((v) => (
            <button
              key={v.id}
              type="button"
              className="nav-item"
              data-testid={`nav-${v.id}`}
              aria-current={v.id === view ? 'page' : undefined}
              aria-keyshortcuts={`${v.key} Alt+${v.key}`}
              title={`${v.label} (${v.key})`}
              onClick={() => setView(v.id)}
            >
              {v.label}
            </button>
          ))}
        </nav>
        <ServersControl />
        <ConnectionIndicator />
      </header>
      {notice ? (
        <div className="notice" data-testid="service-notice" role="status">
          <span>{notice}</span>
          <button type="button" onClick={dismissNotice} aria-label="Dismiss notice">
            Dismiss
          </button>
        </div>
      ) : null}
      <NotConnectedBanner />
      <main className={`app-main app-main-${current.id}`}>{current.render()}</main>
    </div>
  );
}

const STATE_LABELS: Record<ConnectionStatus['state'], string> = {
  connecting: 'Connecting',
  open: 'Connected',
  reconnecting: 'Reconnecting',
  closed: 'Disconnected',
};

function ConnectionIndicator() {
  const connection = useApp((s) => s.connection);
  const transport = useApp((s) => s.transport);
  return (
    <div
      className={`connection connection-${connection.state}`}
      data-testid="connection-status"
      data-state={connection.state}
      title={connection.error ?? `via ${transport}`}
    >
      <span className="connection-dot" aria-hidden="true" />
      {STATE_LABELS[connection.state]}
      <span className="muted"> · {transport}</span>
    </div>
  );
}

/** While the service is not reachable, say so once for every view (they load what they need when it is back). */
function NotConnectedBanner() {
  const connection = useApp((s) => s.connection);
  if (connection.state === 'open' || connection.state === 'connecting') return null;
  return (
    <div className="notice notice-warning" data-testid="not-connected" role="status">
      <span>
        Not connected to the xpuscope service ({STATE_LABELS[connection.state].toLowerCase()}
        {connection.error ? `: ${connection.error}` : ''}). What is shown is what was loaded before; the rest
        loads when the connection is back.
      </span>
    </div>
  );
}

/** Shown instead of the app when no transport can be set up at all. */
export function FatalError({ message }: { message: string }) {
  return (
    <div className="app">
      <main className="app-main">
        <div className="callout callout-error" data-testid="fatal-error" role="alert">
          <h2>xpuscope cannot start</h2>
          <p>{message}</p>
        </div>
      </main>
    </div>
  );
}
