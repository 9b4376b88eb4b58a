// The header's server control: a badge naming the machine shown ("This machine" or "Remote host:port")
// that opens the servers panel — connect to a remote `xpuscope serve --host H` by the URL it printed (and
// its token), pick a recent one, forget one, or go back to this machine.
import { useState, type FormEvent } from 'react';
import { parseServer, serverPageUrl, ServerAddressError, type RemoteServer } from '../servers.js';
import { useServers, type ServersApi } from '../Root.js';

export function ServersControl() {
  const servers = useServers();
  if (!servers) return null;
  return (
    <>
      <button
        type="button"
        className={servers.remote ? 'server-badge server-badge-remote' : 'server-badge'}
        data-testid="server-badge"
        data-remote={servers.remote ? 'true' : 'false'}
        aria-expanded={servers.panelOpen}
        aria-controls="servers-panel"
        title="Which xpuscope service this window shows — click to connect to another server"
        onClick={() => servers.setPanelOpen(!servers.panelOpen)}
      >
        {servers.remote ? `Remote ${servers.remote.label}` : 'This machine'}
      </button>
      {servers.panelOpen ? <ServersPanel servers={servers} /> : null}
    </>
  );
}

export function ServersPanel({ servers }: { servers: ServersApi }) {
  const [address, setAddress] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    let server: RemoteServer;
    try {
      server = parseServer(address, token);
    } catch (err) {
      setError(err instanceof ServerAddressError ? err.message : String(err));
      return;
    }
    setError(null);
    servers.connect(server);
  };
  return (
    <section
      id="servers-panel"
      className="servers-panel"
      data-testid="servers-panel"
      role="dialog"
      aria-label="Connect to a server"
    >
      <h2>Connect to an xpuscope server</h2>
      <p className="muted">
        Start it on the other machine with <code>xpuscope serve --host 0.0.0.0</code> and paste the URL it
        prints (with its <code>?token=</code>), or the address and the token apart. Prefer an SSH tunnel over
        exposing the port.
      </p>
      <form onSubmit={submit} className="servers-form">
        <label className="field">
          <span>Address</span>
          <input
            data-testid="server-address"
            value={address}
            placeholder="http://gpu-node:9464/?token=…"
            onChange={(e) => setAddress(e.target.value)}
            autoFocus
          />
        </label>
        <label className="field">
          <span>Token (if not in the address)</span>
          <input
            data-testid="server-token"
            type="password"
            value={token}
            autoComplete="off"
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" data-testid="server-connect">
          Connect
        </button>
        {servers.remote ? (
          <button type="button" data-testid="server-local" onClick={() => servers.local()}>
            Back to this machine
          </button>
        ) : null}
        <button type="button" onClick={() => servers.setPanelOpen(false)}>
          Close
        </button>
      </form>
      {error ? (
        <p className="callout callout-error" role="alert" data-testid="server-error">
          {error}
        </p>
      ) : null}
      {servers.recent.length > 0 ? (
        <>
          <h3>Recent servers</h3>
          <ul className="servers-recent">
            {servers.recent.map((r) => (
              <li key={r.base} data-testid="server-recent">
                <button
                  type="button"
                  className="link-button"
                  title={serverPageUrl(r).replace(/token=.*/, 'token=…')}
                  onClick={() => servers.connect(r)}
                >
                  {r.label}
                </button>
                {r.base === servers.remote?.base ? <span className="badge badge-live">shown</span> : null}
                <button
                  type="button"
                  className="icon-button"
                  aria-label={`Forget ${r.label}`}
                  onClick={() => servers.forget(r.base)}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
