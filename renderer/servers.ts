// Which xpuscope service the app talks to: this machine's (the desktop app's own service, or the
// `xpuscope serve` the page came from), or a remote `xpuscope serve --host H` reached over its WebSocket
// with its access token. Parsing what the user types, and the recent servers remembered in the app's
// own storage (localStorage: the desktop app's lives in its user-data folder, a browser's in its
// profile), token included so that a click reconnects — the same secret the printed URL carries.

/** A remote server: where its page and socket are, and the token it printed. */
export interface RemoteServer {
  /** http(s)://host:port — the server's page (downloads and uploads go there). */
  base: string;
  /** ws(s)://host:port/ws?token=… */
  wsUrl: string;
  /** host:port, for the title and badge. */
  label: string;
  token?: string;
}

export class ServerAddressError extends Error {
  override readonly name = 'ServerAddressError';
}

/**
 * What the user typed — `http://gpu-1:9464/?token=…` (the URL serve printed), `gpu-1:9464`, or a
 * `ws://…/ws` URL — plus an optional token (overrides one in the URL) → a RemoteServer.
 */
export function parseServer(input: string, token?: string): RemoteServer {
  const text = input.trim();
  if (!text) throw new ServerAddressError('Enter the address xpuscope serve printed (http://HOST:PORT/…).');
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new ServerAddressError(
      `"${text}" is not an address (use http://HOST:PORT/, as xpuscope serve prints it).`,
    );
  }
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol))
    throw new ServerAddressError(`${url.protocol} is not an xpuscope server address (use http:// or ws://).`);
  if (!url.hostname) throw new ServerAddressError(`"${text}" names no host.`);
  const tok = (token ?? '').trim() || url.searchParams.get('token') || undefined;
  if (tok !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(tok))
    throw new ServerAddressError('The token is the part after ?token= in the URL xpuscope serve printed.');
  const host = url.host; // hostname[:port], IPv6 in brackets
  const base = `${secure ? 'https' : 'http'}://${host}`;
  const ws = new URL(`${secure ? 'wss' : 'ws'}://${host}/ws`);
  if (tok) ws.searchParams.set('token', tok);
  const server: RemoteServer = { base, wsUrl: ws.href, label: host };
  if (tok) server.token = tok;
  return server;
}

/** The server's page URL with its token (what serve printed), for links and the recent list. */
export function serverPageUrl(s: RemoteServer): string {
  return s.token ? `${s.base}/?token=${s.token}` : `${s.base}/`;
}

const KEY = 'xpuscope.recentServers';
const MAX_RECENT = 8;

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The recent servers, newest first (malformed storage reads as none). */
export function loadRecent(store: KeyValueStore | undefined): RemoteServer[] {
  if (!store) return [];
  try {
    const raw = JSON.parse(store.getItem(KEY) ?? '[]') as unknown;
    if (!Array.isArray(raw)) return [];
    const out: RemoteServer[] = [];
    for (const r of raw) {
      const e = r as { base?: unknown; token?: unknown };
      if (typeof e.base !== 'string') continue;
      try {
        out.push(parseServer(e.base, typeof e.token === 'string' ? e.token : undefined));
      } catch {
        // skip what no longer parses
      }
    }
    return out.slice(0, MAX_RECENT);
  } catch {
    return [];
  }
}

/** Puts `s` first (once), keeps MAX_RECENT; returns the new list. */
export function rememberServer(store: KeyValueStore | undefined, s: RemoteServer): RemoteServer[] {
  const list = [s, ...loadRecent(store).filter((r) => r.base !== s.base)].slice(0, MAX_RECENT);
  save(store, list);
  return list;
}

export function forgetServer(store: KeyValueStore | undefined, base: string): RemoteServer[] {
  const list = loadRecent(store).filter((r) => r.base !== base);
  save(store, list);
  return list;
}

function save(store: KeyValueStore | undefined, list: RemoteServer[]): void {
  try {
    store?.setItem(
      KEY,
      JSON.stringify(list.map((r) => (r.token ? { base: r.base, token: r.token } : { base: r.base }))),
    );
  } catch {
    // storage full or off: the list is just not remembered
  }
}
