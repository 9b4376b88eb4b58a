// View state in one zustand store, created per transport (so tests and both hosts build their own).
// It holds what the views render — connection status, the device list, the selected view — never
// bulk profiling data (later: spans live in typed arrays outside React state).
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ErrorPayload } from '../../protocol/contract.js';
import type { DeviceList } from '../../protocol/devices.js';
import { toErrorPayload, type ConnectionStatus, type RendererTransport } from '../transports/index.js';

export type ViewId = 'devices';

export type DevicesState =
  | { status: 'idle' }
  | { status: 'loading'; previous?: DeviceList }
  | { status: 'ready'; list: DeviceList }
  | { status: 'error'; error: ErrorPayload; previous?: DeviceList };

export interface AppState {
  transport: string;
  connection: ConnectionStatus;
  view: ViewId;
  devices: DevicesState;
  /** A one-line notice about the service (e.g. "service restarted"), shown until dismissed. */
  notice: string | null;
}

export interface AppActions {
  setView(view: ViewId): void;
  loadDevices(): Promise<void>;
  retryConnection(): void;
  dismissNotice(): void;
}

export type AppStore = StoreApi<AppState & AppActions>;

export interface AppStoreHandle {
  store: AppStore;
  /** Stops listening to the transport (does not close it). */
  dispose(): void;
}

export function createAppStore(api: RendererTransport): AppStoreHandle {
  let loadSeq = 0;

  const store = createStore<AppState & AppActions>()((set, get) => ({
    transport: api.transport,
    connection: api.status(),
    view: 'devices',
    devices: { status: 'idle' },
    notice: null,

    setView: (view) => set({ view }),

    loadDevices: async () => {
      const seq = ++loadSeq;
      const before = get().devices;
      const previous =
        before.status === 'ready' ? before.list : 'previous' in before ? before.previous : undefined;
      set({ devices: previous ? { status: 'loading', previous } : { status: 'loading' } });
      try {
        const list = await api.call('devices.list', {});
        if (seq === loadSeq) set({ devices: { status: 'ready', list } });
      } catch (error) {
        if (seq !== loadSeq) return;
        const payload = toErrorPayload(error);
        set({
          devices: previous
            ? { status: 'error', error: payload, previous }
            : { status: 'error', error: payload },
        });
      }
    },

    retryConnection: () => api.retryNow(),
    dismissNotice: () => set({ notice: null }),
  }));

  const unsubscribers = [
    api.onStatus((connection) => {
      const was = store.getState().connection.state;
      store.setState({ connection });
      // (Re)connected: whatever we showed may be stale.
      if (connection.state === 'open' && was !== 'open') void store.getState().loadDevices();
    }),
    api.on('service.state', (data) => {
      if (data.state === 'restarted') {
        store.setState({ notice: data.message ?? 'The xpuscope service restarted; devices were re-read.' });
        void store.getState().loadDevices();
      } else if (data.state === 'ready') {
        // Every client hears 'ready' when it subscribes; only a failed load needs another try.
        if (store.getState().devices.status === 'error') void store.getState().loadDevices();
      } else if (data.state === 'failed') {
        store.setState({ notice: data.message ?? 'The xpuscope service stopped unexpectedly.' });
      }
    }),
  ];

  // A transport that is open from the start (Electron) never reports the transition: load now.
  if (api.status().state === 'open') void store.getState().loadDevices();

  return {
    store,
    dispose: () => {
      for (const off of unsubscribers) off();
    },
  };
}
