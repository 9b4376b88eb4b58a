// Entry point: pick the transport (Electron bridge or WebSocket), build the store, render.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, FatalError } from './App.js';
import { StoreProvider } from './state/context.js';
import { createAppStore } from './state/store.js';
import { pickTransport } from './transports/index.js';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('#root is missing from index.html');
const root = createRoot(container);

try {
  const transport = pickTransport(window);
  const { store } = createAppStore(transport);
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
