// `GET /metrics` of `xpuscope serve` (and all of `serve --metrics-only`): the Prometheus text of the
// service (host/metrics.ts), the Host check as for every request, and with a token (non-loopback bind)
// the token as a bearer credential — what Prometheus's `authorization` scrape setting sends.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostedService } from '../service-process.js';
import type { AccessChecks } from './access-checks.js';
import type { HttpResponder } from './http-responses.js';

export const METRICS_PATH = '/metrics';
export const METRICS_ONLY_MESSAGE = 'This server only serves /metrics (xpuscope serve --metrics-only).';

export interface MetricsRoute {
  service: () => HostedService | undefined;
  checks: AccessChecks;
  http: HttpResponder;
}

/** Handles `pathname` when it is /metrics (true), else leaves the request alone (false). */
export function routeMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  route: MetricsRoute,
): boolean {
  if (pathname !== METRICS_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    route.http.sendText(req, res, 405, 'Method not allowed.\n');
    return true;
  }
  const refused = route.checks.checkBearer(req);
  if (refused) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="xpuscope"');
    route.http.sendText(req, res, refused.status, `${refused.message}\n`);
    return true;
  }
  const svc = route.service();
  (svc ? svc.metricsText() : Promise.resolve('# xpuscope: starting\n')).then(
    (text) => {
      res.writeHead(200, {
        'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        'Cache-Control': 'no-store',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    () => {
      if (!res.headersSent) route.http.sendText(req, res, 500, 'Internal error.\n');
      else res.destroy();
    },
  );
  return true;
}
