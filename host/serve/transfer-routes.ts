// The HTTP side of one-time transfers (host/transfers.ts): `GET /download/<32 hex>` serves a file
// `trace.export` prepared, once, then deletes it (the id is a 128-bit secret handed out over the checked
// WebSocket, so no token is asked); `POST /upload` stores a trace file for `trace.import {upload}`,
// size-limited and checked like the WebSocket (Origin, token; Host before routing), with a Content-Type
// of application/octet-stream or application/json (else 415), within the registry's disk quota (else 507;
// a refused or interrupted upload's partial file is deleted at once).
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TransferRegistry } from '../transfers.js';
import type { AccessChecks } from './access-checks.js';
import type { HttpResponder } from './http-responses.js';

export const UPLOAD_PATH = '/upload';
export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
const DOWNLOAD_RE = /^\/download\/([a-f0-9]{32})$/;
/** The Content-Types an upload may have (parameters such as charset are ignored). */
export const UPLOAD_CONTENT_TYPES = ['application/octet-stream', 'application/json'];

export interface TransferRoutesOptions {
  transfers: TransferRegistry;
  checks: AccessChecks;
  http: HttpResponder;
  /** Largest accepted upload body. */
  maxUploadBytes: number;
  log: (line: string) => void;
}

/**
 * Answers `req` when it is for `/upload` or `/download/<id>` (returns true); leaves every other request
 * to the caller (returns false).
 */
export function routeTransfer(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  options: TransferRoutesOptions,
): boolean {
  const { http } = options;
  if (pathname === UPLOAD_PATH) {
    // Token mode: a page of another origin holding the token (Connect to Server… from another
    // xpuscope page or the desktop app) uploads cross-origin; answer its preflight and its POST with
    // CORS for that origin only. The token in the query is still checked on the POST.
    if (options.checks.crossOriginAllowed(req)) {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin!);
      res.setHeader('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'POST');
        res.setHeader('Access-Control-Allow-Headers', 'content-type');
        res.setHeader('Access-Control-Max-Age', '600');
        res.writeHead(204);
        res.end();
        return true;
      }
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      http.sendText(req, res, 405, 'Method not allowed.\n');
      return true;
    }
    serveUpload(req, res, options);
    return true;
  }
  const download = DOWNLOAD_RE.exec(pathname);
  if (download?.[1] !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
    serveDownload(req, res, download[1], options).catch(() => {
      if (!res.headersSent) http.sendText(req, res, 500, 'Internal error.\n');
      else res.destroy();
    });
    return true;
  }
  return false;
}

/** GET /download/<id>: the file once, as an attachment; then it is deleted. */
async function serveDownload(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  { transfers, http, log }: TransferRoutesOptions,
): Promise<void> {
  // No token check: the id itself is a one-time 128-bit secret handed out over the (checked) WebSocket,
  // so a plain link/navigation from the page works in token mode too.
  if (req.method === 'HEAD')
    return http.sendText(req, res, 405, 'Use GET: a download can be fetched once.\n');
  const entry = transfers.takeDownload(id);
  if (!entry) return http.sendText(req, res, 404, 'This download is unknown, expired or already fetched.\n');
  let size: number;
  try {
    size = (await fsp.stat(entry.path)).size;
  } catch {
    return http.sendText(req, res, 404, 'This download is no longer available.\n');
  }
  const safeName = entry.filename.replace(/[^A-Za-z0-9._-]/g, '_');
  res.writeHead(200, {
    ...http.securityHeaders(req),
    'Content-Type': 'application/json',
    'Content-Length': String(size),
    'Content-Disposition': `attachment; filename="${safeName}"`,
    'Cache-Control': 'no-store',
  });
  const stream = createReadStream(entry.path);
  const cleanup = (): void => {
    fsp.rm(entry.path, { force: true }).catch(() => {});
  };
  stream.on('error', () => {
    cleanup();
    res.destroy();
  });
  res.on('close', cleanup);
  stream.pipe(res);
  log(`download ${id.slice(0, 8)}… (${size} bytes)`);
}

/** POST /upload: store the body (≤ maxUploadBytes) and answer `{ upload: <id>, bytes }`. */
function serveUpload(
  req: IncomingMessage,
  res: ServerResponse,
  { transfers, checks, http, maxUploadBytes: maxUpload, log }: TransferRoutesOptions,
): void {
  const refused = checks.checkOriginOrToken(req, new URL(req.url ?? '/', 'http://localhost'));
  if (refused) {
    log(`refused upload from ${req.socket.remoteAddress ?? '?'}: ${refused.message}`);
    req.resume();
    return http.sendJson(req, res, refused.status, {
      error: { code: 'FORBIDDEN', message: refused.message },
    });
  }
  const contentType = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (!UPLOAD_CONTENT_TYPES.includes(contentType)) {
    req.resume();
    res.setHeader('Connection', 'close');
    return http.sendJson(req, res, 415, {
      error: {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `Upload Content-Type must be ${UPLOAD_CONTENT_TYPES.join(' or ')} (got ${contentType === '' ? 'none' : JSON.stringify(contentType)}).`,
        hint: 'Send the trace file as the request body with Content-Type: application/octet-stream.',
      },
    });
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  const tooLarge = (): void => {
    res.setHeader('Connection', 'close');
    http.sendJson(req, res, 413, {
      error: {
        code: 'TOO_LARGE',
        message: `Upload exceeds the limit of ${maxUpload} bytes.`,
        hint: 'Import the file with the desktop app or `xpuscope trace import FILE` instead.',
      },
    });
  };
  const storageFull = (message: string): void => {
    res.setHeader('Connection', 'close');
    http.sendJson(req, res, 507, {
      error: {
        code: 'STORAGE_FULL',
        message,
        hint: 'Import or drop earlier uploads and download earlier exports, retry after they expire, or restart xpuscope serve with a larger --transfer-quota.',
      },
    });
  };
  if (Number.isFinite(declared) && declared > maxUpload) {
    req.resume();
    return tooLarge();
  }
  const begun = transfers.beginUpload(Number.isFinite(declared) && declared > 0 ? declared : 0);
  if ('refusal' in begun) {
    log(`refused upload from ${req.socket.remoteAddress ?? '?'}: ${begun.refusal}`);
    req.resume();
    return storageFull(begun.refusal);
  }
  const { id, path } = begun;
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  let bytes = 0;
  let failed = false;
  const fail = (status: number, message: string): void => {
    if (failed) return;
    failed = true;
    req.unpipe(out);
    out.destroy();
    transfers.abandonUpload(path);
    req.resume();
    if (res.headersSent) return;
    if (status === 413) tooLarge();
    else if (status === 507) storageFull(message);
    else http.sendJson(req, res, status, { error: { code: 'UPLOAD_FAILED', message } });
  };
  req.on('data', (chunk: Buffer) => {
    if (failed) return;
    bytes += chunk.length;
    if (bytes > maxUpload) return fail(413, 'too large');
    if (!transfers.received(path, bytes))
      fail(
        507,
        transfers.quotaRefusal(0) ?? `The server's transfer storage is full (${transfers.quotaBytes} bytes).`,
      );
  });
  req.on('aborted', () => fail(400, 'The upload was interrupted.'));
  out.on('error', (err) => fail(500, `Could not store the upload: ${err.message}`));
  out.on('finish', () => {
    if (failed) return;
    transfers.registerUpload(id, path);
    log(`upload ${id.slice(0, 8)}… (${bytes} bytes)`);
    http.sendJson(req, res, 201, { upload: id, bytes });
  });
  req.pipe(out);
}
