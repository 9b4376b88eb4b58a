// Bounded load of `xpuscope serve` (issue 21, findings 2–4 and the CSP / Content-Type items): request
// bytes waiting for the service across all connections (BUSY beyond), a byte rate per connection, a cap
// on connections (503) with per-client state released on disconnect, a disk quota for transfer files
// (507 for uploads, an error for exports), expiry of every transfer file, partial files removed at once,
// the CSP built from the configured address in token mode, and the upload Content-Type (415).
// Most of these run against a fake service (no driver); the process-model ones use the simulated driver.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCodes } from '../../protocol/contract.js';
import { startServer, type RunningServer } from '../../host/serve.js';
import type { HostedService } from '../../host/service-process.js';
import type { EventListener, ReplyMessage } from '../../host/service.js';
import { TransferRegistry } from '../../host/transfers.js';
import { EXIT, main } from '../../host/cli.js';
import { SIM_BUILT, captureIo, closed, connect, fakeRenderer, rawRequest, rejection } from './helpers.js';

const OCTETS = { 'content-type': 'application/octet-stream' };

/** A service that answers each request when told to (`hold`) or at once, and counts its subscribers. */
function fakeService(options: { hold?: boolean } = {}): HostedService & {
  subscribers: number;
  release(): void;
  handled: number;
} {
  const waiting: Array<() => void> = [];
  const listeners = new Set<EventListener>();
  const svc = {
    subscribers: 0,
    handled: 0,
    release() {
      for (const w of waiting.splice(0)) w();
    },
    handle(raw: unknown): Promise<ReplyMessage> {
      svc.handled++;
      let id: number | null = null;
      try {
        id = (JSON.parse(String(raw)) as { id: number }).id;
      } catch {
        // keep null
      }
      const reply = { id, result: { ok: true } } as unknown as ReplyMessage;
      if (!options.hold) return Promise.resolve(reply);
      return new Promise((done) => waiting.push(() => done(reply)));
    },
    call: () => Promise.reject(new Error('not in this fake')),
    on(listener: EventListener) {
      listeners.add(listener);
      svc.subscribers++;
      return () => {
        if (listeners.delete(listener)) svc.subscribers--;
      };
    },
    publish() {},
    metricsText: () => Promise.resolve('xpuscope_up 1\n'),
    state: { state: 'ready' as const },
    close() {},
  };
  return svc as unknown as HostedService & { subscribers: number; release(): void; handled: number };
}

/** A request of about `bytes` bytes (a valid JSON request with padding). */
function bigRequest(id: number, bytes: number): string {
  return JSON.stringify({ id, method: 'service.hello', params: { pad: 'x'.repeat(bytes) } });
}

/** POST /upload with a body streamed in chunks and no Content-Length (chunked). */
function chunkedUpload(
  port: number,
  chunks: number,
  chunkBytes: number,
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/upload', method: 'POST', headers: OCTETS },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', fail);
    let sent = 0;
    const next = (): void => {
      if (sent++ >= chunks) return void req.end();
      if (req.destroyed) return;
      req.write(Buffer.alloc(chunkBytes, 0x20), () => setTimeout(next, 1));
    };
    next();
  });
}

let servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function serve(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const s = await startServer({ port: 0, staticDir: fakeRenderer(), ...options });
  servers.push(s);
  return s;
}

describe('serve: bounded request bytes (finding 2)', () => {
  it('bounds the request bytes waiting for the service across all connections: BUSY beyond, at once', async () => {
    const service = fakeService({ hold: true });
    const server = await serve({ service, maxQueuedBytes: 1024 * 1024 });
    const a = await connect(server.wsUrl);
    const b = await connect(server.wsUrl);
    // 400 KB each: two fit under 1 MiB, then every further one is refused, whichever connection sends it.
    const sent = [a, b, a, b, a, b];
    sent.forEach((c, i) => c.ws.send(bigRequest(i + 1, 400_000)));
    const replyTo = (i: number): Record<string, unknown> | undefined =>
      sent[i]!.messages.find((x) => (x as { id?: number }).id === i + 1) as
        Record<string, unknown> | undefined;
    await vi.waitFor(() => expect(sent.filter((_, i) => replyTo(i) !== undefined)).toHaveLength(4));
    expect(service.handled).toBe(2);
    for (let i = 0; i < sent.length; i++) {
      const r = replyTo(i);
      if (r === undefined) continue;
      expect(r.error).toMatchObject({ code: ErrorCodes.BUSY });
      expect((r.error as { message: string }).message).toMatch(/limit 1048576, all clients together/);
    }
    expect(server.load().queuedBytes).toBeGreaterThan(800_000);
    expect(server.load().queuedBytes).toBeLessThanOrEqual(1024 * 1024);
    // Once the service answers, the bytes are released and requests go through again.
    service.release();
    await vi.waitFor(() => expect(sent.filter((_, i) => replyTo(i)?.result !== undefined)).toHaveLength(2));
    expect(server.load().queuedBytes).toBe(0);
    const later = a.call('service.hello');
    await vi.waitFor(() => expect(service.handled).toBe(3));
    service.release();
    expect((await later).result).toEqual({ ok: true });
    a.close();
    b.close();
  });

  it('gives each connection a byte rate as well as a message rate', async () => {
    const service = fakeService();
    const server = await serve({ service, byteRate: { perSecond: 10_000, burst: 250_000 } });
    const c = await connect(server.wsUrl);
    const first = await c.sendRaw(bigRequest(1, 100_000));
    const second = await c.sendRaw(bigRequest(2, 100_000));
    const third = await c.sendRaw(bigRequest(3, 100_000));
    expect(first.result).toEqual({ ok: true });
    expect(second.result).toEqual({ ok: true });
    expect(third.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect((third.error as { message: string }).message).toContain('10000 bytes/s');
    expect(service.handled).toBe(2);
    // small requests still pass (the byte bucket holds ~50 KB)
    expect((await c.call('service.hello')).result).toEqual({ ok: true });
    c.close();
  });
});

describe('serve: connections (finding 3)', () => {
  it('refuses connections beyond maxConnections with 503 and a message, and releases a client on disconnect', async () => {
    const service = fakeService();
    const server = await serve({ service, maxConnections: 3 });
    const clients = await Promise.all([1, 2, 3].map(() => connect(server.wsUrl)));
    expect(server.load().connections).toBe(3);
    await vi.waitFor(() => expect(service.subscribers).toBe(3));
    await expect(connect(server.wsUrl)).rejects.toThrow('refused 503');
    const raw = await rawRequest(server.port, '/ws', {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    expect(raw.status).toBe(503);
    expect(raw.body).toContain('Too many connections: this server takes at most 3 at once');
    // A client that leaves frees its place and its subscription.
    const gone = closed(clients[0]!.ws);
    clients[0]!.close();
    await gone;
    await vi.waitFor(() => expect(server.load().connections).toBe(2));
    expect(service.subscribers).toBe(2);
    const again = await connect(server.wsUrl);
    expect((await again.call('service.hello')).result).toEqual({ ok: true });
    for (const c of [again, ...clients.slice(1)]) c.close();
    await vi.waitFor(() => expect(service.subscribers).toBe(0));
  });

  it('defaults to 64 connections', async () => {
    const { DEFAULT_MAX_CONNECTIONS } = await import('../../host/serve.js');
    expect(DEFAULT_MAX_CONNECTIONS).toBe(64);
  });
});

describe('serve: transfer storage (finding 4)', () => {
  it('refuses an upload over the quota with 507 and a message (declared or streamed); partial files go at once', async () => {
    const server = await serve({ service: fakeService(), transferQuotaBytes: 1024 * 1024 });
    const origin = `http://127.0.0.1:${server.port}`;
    const ok = await fetch(`${origin}/upload`, {
      method: 'POST',
      body: Buffer.alloc(600_000, 0x20),
      headers: OCTETS,
    });
    expect(ok.status).toBe(201);
    const declared = await fetch(`${origin}/upload`, {
      method: 'POST',
      body: Buffer.alloc(600_000, 0x20),
      headers: OCTETS,
    });
    expect(declared.status).toBe(507);
    const body = (await declared.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('STORAGE_FULL');
    expect(body.error.message).toMatch(/transfer storage is full: \d+ of 1048576 bytes/);
    // No Content-Length: refused once the bytes received pass the quota, and nothing is left behind.
    const streamed = await chunkedUpload(server.port, 40, 32 * 1024);
    expect(streamed.status).toBe(507);
    expect(streamed.body).toContain('STORAGE_FULL');
  });

  it('counts only whole files: a refused streamed upload leaves no partial file', async () => {
    const transfers = new TransferRegistry({ quotaBytes: 1024 * 1024 });
    const server = await serve({ service: fakeService(), transfers });
    try {
      const streamed = await chunkedUpload(server.port, 48, 32 * 1024);
      expect(streamed.status).toBe(507);
      await vi.waitFor(() => expect(readdirSync(transfers.dir)).toEqual([]));
      expect(transfers.usedBytes()).toBe(0);
    } finally {
      await server.close();
      transfers.close();
    }
  });

  it('refuses an export while the folder is over the quota (in-process registry)', async () => {
    const transfers = new TransferRegistry({ quotaBytes: 1024 * 1024 });
    try {
      expect(transfers.newFile('trace.json').path.startsWith(transfers.dir)).toBe(true);
      writeFileSync(join(transfers.dir, 'filler.trace.json'), Buffer.alloc(1024 * 1024));
      const err = await rejection(Promise.resolve().then(() => transfers.newFile('trace.json')));
      expect(err.code).toBe(ErrorCodes.IO_ERROR);
      expect(err.message).toContain('transfer storage is full');
    } finally {
      transfers.close();
    }
  });

  it('expires every file, also one that was never registered or was handed on and never imported', async () => {
    const transfers = new TransferRegistry({ ttlMs: 200 });
    try {
      const stray = join(transfers.dir, 'stray.upload.json');
      writeFileSync(stray, '{}');
      const { id, path } = transfers.newFile('upload.json');
      writeFileSync(path, '{}');
      transfers.registerUpload(id, path);
      expect(transfers.takeUpload(id)).toBe(path); // handed on (to the service process)…
      // …and never imported: both files go once they are older than the ttl.
      await vi.waitFor(() => expect(existsSync(stray) || existsSync(path)).toBe(false), {
        timeout: 3000,
        interval: 50,
      });
    } finally {
      transfers.close();
    }
  });

  it('removeOrphans deletes what no one can use and keeps offered downloads and registered uploads', () => {
    const transfers = new TransferRegistry();
    try {
      const partial = join(transfers.dir, 'partial.trace.json');
      writeFileSync(partial, '');
      const dl = transfers.newFile('trace.json');
      writeFileSync(dl.path, '[]');
      transfers.offerDownload(dl.id, 'x.json', dl.path);
      const up = transfers.newFile('upload.json');
      writeFileSync(up.path, '{}');
      transfers.registerUpload(up.id, up.path);
      expect(transfers.removeOrphans()).toBe(1);
      expect(existsSync(partial)).toBe(false);
      expect(existsSync(dl.path)).toBe(true);
      expect(existsSync(up.path)).toBe(true);
    } finally {
      transfers.close();
    }
  });
});

describe('serve: token mode CSP and upload Content-Type', () => {
  it('in token mode builds the CSP from the configured address, never from the Host header', async () => {
    const server = await serve({ service: fakeService(), host: '0.0.0.0' });
    const res = await rawRequest(server.port, `/?token=${server.token!}`, { Host: 'evil.com' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).not.toContain('evil.com');
    expect(csp).toContain(`:${server.port} `);
  });

  it('takes uploads only as application/octet-stream or application/json (415 with a message)', async () => {
    const server = await serve({ service: fakeService() });
    const origin = `http://127.0.0.1:${server.port}`;
    const text = await fetch(`${origin}/upload`, { method: 'POST', body: '{}' }); // text/plain
    expect(text.status).toBe(415);
    const body = (await text.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toBe(
      'Upload Content-Type must be application/octet-stream or application/json (got "text/plain").',
    );
    const none = await rawRequest(server.port, '/upload', { 'Content-Length': '2' }, 'POST');
    expect(none.status).toBe(415);
    expect(none.body).toContain('(got none)');
    const json = await fetch(`${origin}/upload`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(json.status).toBe(201);
  });
});

describe.skipIf(!SIM_BUILT)('serve: transfer files and the service process (finding 4)', () => {
  it('an upload followed only by an invalid trace.import expires; a child that dies leaves no partial export', async () => {
    const transfers = new TransferRegistry({ ttlMs: 1500 });
    const server = await serve({ driver: 'sim', profile: 'max-1550', transfers });
    try {
      await server.serviceProcess!.whenReady();
      const origin = `http://127.0.0.1:${server.port}`;
      const up = await fetch(`${origin}/upload`, { method: 'POST', body: '{}', headers: OCTETS });
      const { upload } = (await up.json()) as { upload: string };
      const c = await connect(server.wsUrl);
      // Invalid (both path and upload): the parent hands the file on, the child refuses the request.
      const bad = await c.call('trace.import', { upload, path: '/tmp/x.json' });
      expect(bad.error).toBeDefined();
      expect(readdirSync(transfers.dir)).toHaveLength(1);
      await vi.waitFor(() => expect(readdirSync(transfers.dir)).toEqual([]), {
        timeout: 6000,
        interval: 100,
      });

      // A partial export (what the child was writing when it died) goes as soon as the child is gone.
      const partial = join(transfers.dir, `${'a'.repeat(32)}.trace.json`);
      writeFileSync(partial, '');
      const pid = server.serviceProcess!.pid!;
      process.kill(pid, 'SIGKILL');
      await vi.waitFor(() => expect(existsSync(partial)).toBe(false), { timeout: 5000, interval: 20 });
      c.close();
    } finally {
      await server.close();
      transfers.close();
    }
  }, 30_000);

  it('the service process refuses a download export while the transfer folder is over the quota', async () => {
    const transfers = new TransferRegistry({ quotaBytes: 1024 * 1024 });
    const server = await serve({ driver: 'sim', profile: 'max-1550', transfers });
    try {
      await server.serviceProcess!.whenReady();
      const c = await connect(server.wsUrl);
      const first = await c.call('trace.export', {});
      expect(first.result).toMatchObject({ download: expect.stringMatching(/^\/download\//) });
      writeFileSync(join(transfers.dir, 'filler.upload.json'), Buffer.alloc(1024 * 1024));
      const refused = await c.call('trace.export', {});
      expect(refused.error).toMatchObject({ code: ErrorCodes.IO_ERROR });
      expect((refused.error as { message: string }).message).toContain('transfer storage is full');
      c.close();
    } finally {
      await server.close();
      transfers.close();
    }
  }, 30_000);
});

describe('xpuscope serve --max-connections / --transfer-quota', () => {
  it.each([
    [['--max-connections', '0'], '--max-connections needs a whole number from 1 to 1000000 (got "0")'],
    [['--max-connections', '0x10'], '--max-connections needs a whole number from 1 to 1000000 (got "0x10")'],
    [['--transfer-quota', '5x'], '--transfer-quota needs a size of at least 1M, like 512M or 4G (got "5x")'],
    [
      ['--transfer-quota', '1000'],
      '--transfer-quota needs a size of at least 1M, like 512M or 4G (got "1000")',
    ],
  ])('%j is a usage error with the message', async (args, message) => {
    const c = captureIo();
    expect(await main(['serve', ...args], c.io)).toBe(EXIT.USAGE);
    expect(c.err()).toContain(message);
  });

  it.skipIf(!SIM_BUILT)(
    'passes them to the server',
    async () => {
      const c = captureIo();
      const abort = new AbortController();
      let wsUrl = '';
      let port = 0;
      const done = main(
        [
          'serve',
          '--static',
          fakeRenderer(),
          '--max-connections',
          '1',
          '--transfer-quota',
          '1M',
          '--driver',
          'sim',
          '--profile',
          'arc-a770',
        ],
        {
          ...c.io,
          signal: abort.signal,
          onServing: (s) => {
            wsUrl = s.wsUrl;
            port = s.port;
          },
        },
      );
      try {
        await vi.waitFor(() => expect(wsUrl).not.toBe(''), { timeout: 10_000 });
        const one = await connect(wsUrl);
        await expect(connect(wsUrl)).rejects.toThrow('refused 503');
        one.close();
        const big = await fetch(`http://127.0.0.1:${port}/upload`, {
          method: 'POST',
          body: Buffer.alloc(1024 * 1024 + 1),
          headers: OCTETS,
        });
        expect(big.status).toBe(507);
      } finally {
        abort.abort();
        expect(await done).toBe(EXIT.OK);
      }
    },
    30_000,
  );
});
