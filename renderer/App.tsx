// The app shell: header (name, connection, transport), view navigation, the current view. New views
// register in VIEWS; each reads the store through useApp().
import type { ReactElement } from 'react';
import { useApp } from './state/context.js';
import type { ViewId } from './state/store.js';
import type { ConnectionStatus } from './transports/index.js';
import { DevicesView } from './views/DevicesView.js';

const VIEWS: { id: ViewId; label: string; render: () => ReactElement }[] = [
  { id: 'devices', label: 'Devices', render: () => <DevicesView /> },
];

export function App() {
  const view = useApp((s) => s.view);
  const setView = useApp((s) => s.setView);
  const notice = useApp((s) => s.notice);
  const dismissNotice = useApp((s) => s.dismissNotice);
  const current = VIEWS.find((v) => v.id === view) ?? VIEWS[0]!;
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
              onClick={() => setView(v.id)}
            >
              {v.label}
            </button>
          ))}
        </nav>
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
      <main className="app-main">{current.render()}</main>
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
