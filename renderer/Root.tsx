// Which service the app shows, and switching it: this machine's (the transport main.tsx picked), or
// a remote `xpuscope serve --host H` (its WebSocket and token; File › Connect to Server… in the desktop
// app, "Servers" in the header). Each connection has its own store; switching back to this machine
// reuses the local one (the desktop app's service keeps running meanwhile). The header's badge says
// which machine is shown; a remote server that goes away is shown as reconnecting and retried, as any
// WebSocket connection is.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { StoreProvider } from './state/context.js';
import { createAppStore, type AppStoreHandle } from './state/store.js';
import type { Platform } from './platform.js';
import { WebPlatform } from './platform.js';
import type { RendererTransport } from './transports/index.js';
import { WebSocketTransport } from './transports/websocket.js';
import {
  forgetServer,
  loadRecent,
  rememberServer,
  type KeyValueStore,
  type RemoteServer,
} from './servers.js';

export interface Session {
  transport: RendererTransport;
  handle: AppStoreHandle;
  /** The remote server, or undefined for this machine. */
  remote?: RemoteServer;
}

export interface ServersApi {
  /** The server shown, or undefined for this machine. */
  remote: RemoteServer | undefined;
  recent: RemoteServer[];
  connect(server: RemoteServer): void;
  /** Back to this machine's service. */
  local(): void;
  forget(base: string): void;
  panelOpen: boolean;
  setPanelOpen(open: boolean): void;
}

const ServersContext = createContext<ServersApi | null>(null);

/** The servers API, or null outside <Root> (views rendered on their own in tests). */
export function useServers(): ServersApi | null {
  return useContext(ServersContext);
}

/** A DOM event the desktop app's menu fires (File › Connect to Server…) to open the servers panel. */
export const OPEN_SERVERS_EVENT = 'xpuscope:open-servers';

/** Builds a remote session: a WebSocket transport to it and a web platform for its downloads/uploads. */
export function remoteSession(server: RemoteServer, win: Window): Session {
  const transport = new WebSocketTransport({ url: server.wsUrl });
  const platform: Platform = new WebPlatform(
    win,
    (...args) => win.fetch(...args),
    server.token ? { base: server.base, token: server.token } : { base: server.base },
  );
  return { transport, handle: createAppStore(transport, { platform }), remote: server };
}

export function Root({
  local,
  storage,
  onSession,
  makeRemote = (s) => remoteSession(s, window),
  children,
}: {
  local: Session;
  storage: KeyValueStore | undefined;
  /** Told about every session shown (main.tsx points the test hook and the menu at its store). */
  onSession?: (s: Session) => void;
  makeRemote?: (server: RemoteServer) => Session;
  children: ReactNode;
}) {
  const [session, setSession] = useState<Session>(local);
  const [recent, setRecent] = useState<RemoteServer[]>(() => loadRecent(storage));
  const [panelOpen, setPanelOpen] = useState(false);

  useEffect(() => onSession?.(session), [session, onSession]);
  // The window title says which machine is shown.
  useEffect(() => {
    document.title = session.remote ? `xpuscope — ${session.remote.label}` : 'xpuscope';
  }, [session]);
  useEffect(() => {
    const open = (): void => setPanelOpen(true);
    window.addEventListener(OPEN_SERVERS_EVENT, open);
    return () => window.removeEventListener(OPEN_SERVERS_EVENT, open);
  }, []);

  const drop = useCallback(
    (s: Session) => {
      if (s === local) return; // this machine's stays connected
      s.handle.dispose();
      s.transport.close();
    },
    [local],
  );

  const connect = useCallback(
    (server: RemoteServer) => {
      setRecent(rememberServer(storage, server));
      setPanelOpen(false);
      setSession((prev) => {
        drop(prev);
        return makeRemote(server);
      });
    },
    [storage, makeRemote, drop],
  );
  const toLocal = useCallback(() => {
    setPanelOpen(false);
    setSession((prev) => {
      drop(prev);
      return local;
    });
  }, [drop, local]);
  const forget = useCallback((base: string) => setRecent(forgetServer(storage, base)), [storage]);

  const api = useMemo<ServersApi>(
    () => ({ remote: session.remote, recent, connect, local: toLocal, forget, panelOpen, setPanelOpen }),
    [session, recent, connect, toLocal, forget, panelOpen],
  );
  return (
    <ServersContext.Provider value={api}>
      {/* key: a fresh tree per session, so no view keeps state of the other server */}
      <StoreProvider key={session.remote?.base ?? 'local'} store={session.handle.store}>
        {children}
      </StoreProvider>
    </ServersContext.Provider>
  );
}
