// Shared helpers for the host tests: raw HTTP requests (no URL normalisation), WebSocket clients that
// report refusals, and whether the simulated driver has been built.
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { ServiceError, type EventMessage, type Service } from '../../host/service.js';
import { BatchReader, decodeBatch } from '../../protocol/timeline-batch.js';
import type { OpRecord } from '../../protocol/timeline.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SIM_DRIVER = process.env.XPUSCOPE_SIM_DRIVER ?? join(ROOT, 'native', 'build', 'libze_xpusim.so');
export const SIM_BUILT = existsSync(SIM_DRIVER);
if (!SIM_BUILT) {
  console.warn(
    `[tests/host] skipping simulated-device checks: ${SIM_DRIVER} is not built (run: make -C native)`,
  );
}

/** A renderer directory with index.html and a couple of assets. */
export function fakeRenderer(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xpuscope-renderer-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><head><title>xpuscope test</title></head><body></body></html>\n',
  );
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("xpuscope");\n');
  writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body { margin: 0 }\n');
  return dir;
}

export function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'xpuscope-empty-'));
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET (or another method) with the path sent exactly as given and optional header overrides. */
export function rawRequest(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolvePromise({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Client {
  ws: WebSocket;
  /** Text messages received so far (parsed). */
  messages: unknown[];
  /** Binary frames (timeline batches) received so far. */
  batches(): number;
  /** Send a request and wait for the reply with the same id. */
  call(method: string, params?: unknown): Promise<Record<string, unknown>>;
  /** Send raw data and wait for the next reply (any id). */
  sendRaw(data: string | Buffer): Promise<Record<string, unknown>>;
  /** Wait for a push of `event`. */
  event(name: string): Promise<Record<string, unknown>>;
  close(): void;
}

/** Connect; resolves with a client, or rejects with `Error("refused <status>")`. */
export function connect(
  url: string,
  options: { origin?: string; headers?: Record<string, string> } = {},
): Promise<Client> {
  return new Promise((resolvePromise, reject) => {
    const wsOptions: WebSocket.ClientOptions = {};
    if (options.origin !== undefined) wsOptions.origin = options.origin;
    if (options.headers !== undefined) wsOptions.headers = options.headers;
    const ws = new WebSocket(url, wsOptions);
    const messages: unknown[] = [];
    const waiters: {
      match: (m: Record<string, unknown>) => boolean;
      done: (m: Record<string, unknown>) => void;
    }[] = [];
    let nextId = 1;
    let batches = 0;
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) {
        batches++;
        return;
      }
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      messages.push(m);
      const i = waiters.findIndex((w) => w.match(m));
      if (i >= 0) waiters.splice(i, 1)[0]!.done(m);
    });
    const wait = (match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> =>
      new Promise((done, fail) => {
        const seen = messages.find((m) => match(m as Record<string, unknown>));
        if (seen) return done(seen as Record<string, unknown>);
        waiters.push({ match, done });
        ws.once('close', (code) => fail(new Error(`closed ${code}`)));
      });
    ws.on('unexpected-response', (_req, res) => {
      reject(new Error(`refused ${res.statusCode ?? 0}`));
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
    ws.on('open', () =>
      resolvePromise({
        ws,
        messages,
        batches: () => batches,
        call(method, params) {
          const id = nextId++;
          ws.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
          return wait((m) => m.id === id);
        },
        sendRaw(data) {
          const before = messages.length;
          ws.send(data);
          return wait((m) => 'id' in m && messages.indexOf(m) >= before);
        },
        event(name) {
          return wait((m) => m.event === name);
        },
        close() {
          ws.close();
        },
      }),
    );
  });
}

/** Resolves with the close code once the socket closes. */
export function closed(ws: WebSocket): Promise<number> {
  return new Promise((done) => {
    if (ws.readyState === WebSocket.CLOSED) return done(-1);
    ws.once('close', (code) => done(code));
  });
}

/** An in-memory CliIo: what `main` wrote, per stream. */
export function captureIo(env: Record<string, string | undefined> = {}): {
  io: {
    stdout: { write(t: string): boolean };
    stderr: { write(t: string): boolean };
    env: Record<string, string | undefined>;
  };
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (t: string) => ((out += t), true) },
      stderr: { write: (t: string) => ((err += t), true) },
      env,
    },
    out: () => out,
    err: () => err,
  };
}

/** The ServiceError `p` rejects with (fails the test if it resolves or rejects with something else). */
export async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceError);
    return err as ServiceError;
  }
  throw new Error('expected a rejection');
}

/** A subscriber of `service` that decodes batches like the renderer does (a reset empties `ops`). */
export function subscriber(service: Service, ready: () => boolean = () => true) {
  const reader = new BatchReader();
  const ops: OpRecord[] = [];
  const events: EventMessage[] = [];
  let batches = 0;
  const off = service.on(
    (m) => {
      if (m.event === 'timeline.batch') {
        expect(m.data).toBeInstanceOf(ArrayBuffer);
        batches++;
        ops.push(...reader.apply(decodeBatch(m.data as ArrayBuffer)));
      } else {
        events.push(m);
        if (m.event === 'timeline.reset') ops.length = 0;
      }
    },
    { ready },
  );
  return { ops, events, reader, off, batches: () => batches };
}
