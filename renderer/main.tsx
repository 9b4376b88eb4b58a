// Entry point: pick the transport (Electron bridge or WebSocket) and platform, build the store,
// wire the application menu (Electron), expose the timeline test hook, render under <Root> (which
// switches between this machine's service and a remote server's).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, FatalError } from './App.js';
import { ElectronPlatform, WebPlatform } from './platform.js';
import { OPEN_SERVERS_EVENT, Root, type Session } from './Root.js';
import { createAppStore, VIEW_IDS, type ViewId } from './state/store.js';
import { findBridge } from './transports/electron.js';
import { pickTransport } from './transports/index.js';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('#root is missing from index.html');
const root = createRoot(container);

try {
  const transport = pickTransport(window);
  const bridge = findBridge(window);
  const platform =
    bridge && typeof bridge.exportTrace === 'function'
      ? new ElectronPlatform(bridge)
      : new WebPlatform(window);
  const local: Session = { transport, handle: createAppStore(transport, { platform }) };
  // The session shown (this machine's or a remote server's): the menu and the test hook follow it.
  let shown: Session = local;
  const onSession = (s: Session): void => {
    shown = s;
    // For e2e tests and the benchmark: counts only, never the spans themselves.
    (window as unknown as { __xpuscopeTimeline: unknown }).__xpuscopeTimeline =
      s.handle.store.getState().timeline.hook;
  };
  onSession(local);
  if (bridge && typeof bridge.onMenu === 'function') {
    bridge.onMenu((command) => {
      const s = shown.handle.store.getState();
      if (command.type === 'view' && (VIEW_IDS as readonly string[]).includes(command.view))
        s.setView(command.view as ViewId);
      else if (command.type === 'export-trace') {
        s.setView('traces');
        void s.exportTrace();
      } else if (command.type === 'import-trace') {
        s.setView('traces');
        void s.importTrace();
      } else if (command.type === 'connect-server') window.dispatchEvent(new Event(OPEN_SERVERS_EVENT));
    });
  }
  let storage: Storage | undefined;
  try {
    storage = window.localStorage;
  } catch {
    storage = undefined; // storage off: recent servers are not remembered
  }
  root.render(
    <StrictMode>
      <Root local={local} storage={storage} onSession={onSession}>
        <App />
      </Root>
    </StrictMode>,
  );
} catch (error) {
  root.render(<FatalError message={error instanceof Error ? error.message : String(error)} />);
}
