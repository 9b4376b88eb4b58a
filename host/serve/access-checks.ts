// Who may talk to `xpuscope serve` (a local web server is reachable by every page the user's browser
// opens): the Host check (DNS rebinding), the Origin check (drive-by pages) and the access token of a
// non-loopback bind. Each check answers a Refusal or null (may proceed).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces, hostname as osHostname } from 'node:os';

/** Why a request is refused (HTTP status and a sentence), or null when it may proceed. */
export interface Refusal {
  status: number;
  message: string;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1'
  );
}

export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '';
}

/** A host as it goes into a URL (IPv6 addresses in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A host name to print for a wildcard bind: the first external IPv4 address, else the host name. */
export function externalHostName(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (!info.internal && info.family === 'IPv4') return info.address;
    }
  }
  return osHostname();
}

/** Split a Host header (`name:port`, `[v6]:port`, `name`) into lower-case name and port. */
export function parseHostHeader(value: string): { name: string; port: number | null } | null {
  if (!/^[A-Za-z0-9.\-:[\]]{1,255}$/.test(value)) return null;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m || m[1] === undefined) return null;
  return { name: m[1].toLowerCase(), port: m[2] === undefined ? null : Number(m[2]) };
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export interface AccessChecks {
  /** Host header check (DNS rebinding): loopback names with our port, unless bound to a non-loopback host. */
  checkHost(req: IncomingMessage): Refusal | null;
  /** Origin check (drive-by pages): absent, or exactly the origin we serve this request as. */
  checkOrigin(req: IncomingMessage): Refusal | null;
  /** The access token of a non-loopback bind, as the `token` query parameter (constant-time compare). */
  checkToken(url: URL): Refusal | null;
  /**
   * The token for a scraper (GET /metrics): `Authorization: Bearer <token>` (Prometheus's
   * `authorization` setting) or the `token` query parameter; constant-time compare.
   */
  checkBearer(req: IncomingMessage): Refusal | null;
  /**
   * For the WebSocket and uploads. Loopback (no token): the Origin check — a drive-by page may not
   * connect. Token mode (non-loopback bind): the token is the credential, whatever the Origin — the
   * desktop app (file://) or another xpuscope server's page that the user gave the token connects
   * (Connect to Server…); a page that does not have the 192-bit token cannot.
   */
  checkOriginOrToken(req: IncomingMessage, url: URL): Refusal | null;
  /** Token mode: a request from another origin that may be answered with CORS headers. */
  crossOriginAllowed(req: IncomingMessage): boolean;
}

export function createAccessChecks(options: {
  /** Bound to a loopback address: the Host check applies and no token is needed. */
  loopbackOnly: boolean;
  token: string | undefined;
  /** The port we listen on (known once listening). */
  port: () => number;
}): AccessChecks {
  const { loopbackOnly, token } = options;
  return {
    checkHost(req) {
      const value = req.headers.host;
      if (value === undefined) return { status: 400, message: 'Missing Host header.' };
      const parsed = parseHostHeader(value);
      if (!parsed) return { status: 400, message: 'Malformed Host header.' };
      if (!loopbackOnly) return null; // the token protects non-loopback binds
      const port = options.port();
      if (!isLoopbackHost(parsed.name) || (parsed.port ?? 80) !== port) {
        return {
          status: 403,
          message: `Host "${value}" is not this server (expected 127.0.0.1:${port} or localhost:${port}).`,
        };
      }
      return null;
    },

    checkOrigin(req) {
      const origin = req.headers.origin;
      if (origin === undefined) return null;
      let parsed: URL;
      try {
        parsed = new URL(origin);
      } catch {
        return { status: 403, message: 'Malformed Origin header.' };
      }
      let expected: string;
      try {
        expected = new URL(`http://${(req.headers.host ?? '').toLowerCase()}`).origin;
      } catch {
        return { status: 400, message: 'Malformed Host header.' };
      }
      if (parsed.protocol !== 'http:' || parsed.origin !== expected) {
        return { status: 403, message: `Origin "${origin}" may not use this server.` };
      }
      return null;
    },

    checkOriginOrToken(req, url) {
      return token === undefined ? this.checkOrigin(req) : this.checkToken(url);
    },

    crossOriginAllowed(req) {
      return token !== undefined && req.headers.origin !== undefined;
    },

    checkBearer(req) {
      if (token === undefined) return null;
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const given = bearer ?? new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
      if (given === null || !safeEqual(given, token))
        return { status: 401, message: 'Missing or wrong access token (Authorization: Bearer <token>).' };
      return null;
    },

    checkToken(url) {
      if (token === undefined) return null;
      const given = url.searchParams.get('token');
      if (given === null || !safeEqual(given, token)) {
        return {
          status: 401,
          message: 'Missing or wrong access token (open the URL that xpuscope serve printed).',
        };
      }
      return null;
    },
  };
}
