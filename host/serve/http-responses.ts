// Every HTTP response of `xpuscope serve` carries the same security headers (CSP with our WebSocket
// origin, nosniff, no referrer, no framing, same-origin resources); these helpers send small text and
// JSON answers with them. In token mode (a non-loopback bind) the Host header is not checked, so the CSP
// names the configured address, never what the request's Host says; on loopback the Host header was
// checked (a loopback name and our port) before any response.
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpResponder {
  constructor(
    private readonly options: {
      /** Bound to a loopback address (COOP is sent only then: browsers honour it on trustworthy origins). */
      loopbackOnly: boolean;
      /** The configured `host:port`: the CSP's WebSocket origin in token mode, and without a Host header. */
      fallbackHost: () => string;
    },
  ) {}

  securityHeaders(req: IncomingMessage): Record<string, string> {
    const host = this.options.loopbackOnly
      ? (req.headers.host ?? this.options.fallbackHost())
      : this.options.fallbackHost();
    return {
      'Content-Security-Policy': `default-src 'self'; connect-src 'self' ws://${host} ws: wss: http: https:; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'`,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Resource-Policy': 'same-origin',
      // Browsers honour COOP only on trustworthy origins (loopback or https) and log an error elsewhere.
      ...(this.options.loopbackOnly ? { 'Cross-Origin-Opener-Policy': 'same-origin' } : {}),
    };
  }

  sendText(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    body: string,
    type = 'text/plain; charset=utf-8',
  ): void {
    const buf = Buffer.from(body, 'utf8');
    res.writeHead(status, {
      ...this.securityHeaders(req),
      'Content-Type': type,
      'Content-Length': String(buf.length),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : buf);
  }

  sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    this.sendText(req, res, status, `${JSON.stringify(body)}\n`, 'application/json; charset=utf-8');
  }
}
