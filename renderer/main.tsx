// Entry point: pick the transport (Electron bridge or WebSocket) and platform, build the store,
// wire the application menu (Electron), expose the timeline test hook, render.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, FatalError } from './App.js';
import { ElectronPlatform, WebPlatform } from './platform.js';
import { StoreProvider } from './state/context.js';
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
  const { store } = createAppStore(transport, { platform });
  // For e2e tests and the benchmark: counts only, never the spans themselves.
  (window as unknown as { __xpuscopeTimeline: unknown }).__xpuscopeTimeline = store.getState().timeline.hook;
  if (bridge && typeof bridge.onMenu === 'function') {
    bridge.onMenu((command) => {
      const s = store.getState();
      if (command.type === 'view' && (VIEW_IDS as readonly string[]).includes(command.view))
        s.setView(command.view as ViewId);
      else if (command.type === 'export-trace') {
        s.setView('traces');
        void s.exportTrace();
      } else if (command.type === 'import-trace') {
        s.setView('traces');
        void s.importTrace();
      }
    });
  }
  root.render(
    <StrictMode>
      <StoreProvider store={store}>
        <App />
      </StoreProvider>
    </StrictMode>,
  );
} catch (error) {
  root.render(<FatalError message={error instanceof Error ? error.message : String(error)} />);
}
