// `xpuscope serve` with the capture: timeline batches as binary WebSocket frames, JSON events as text,
// one-time downloads of exported traces, size-limited and origin-checked uploads for trace.import.
// Real runtime + loader + simulated driver (max-1550 in this process).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { BatchReader, decodeBatch } from '../../protocol/timeline-batch.js';
import type { OpRecord } from '../../protocol/timeline.js';
import { startServer, type RunningServer } from '../../host/serve.js';
import { SIM_BUILT, fakeRenderer, rawRequest } from './helpers.js';

const OCTETS = { 'content-type': 'application/octet-stream' };

let server: RunningServer;
let origin: string;

beforeAll(async () => {
  server = await startServer({
    port: 0,
    staticDir: fakeRenderer(),
    driver: 'sim',
    profile: 'max-1550',
    maxUploadBytes: 64 * 1024,
  });
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server?.close();
});

interface Client {
  text: Array<Record<string, unknown>>;
  binary: number;
  ops: OpRecord[];
  call(method: string, params?: unknown): Promise<Record<string, unknown>>;
  close(): void;
}

function connectClient(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const reader = new BatchReader();
    const client: Client = {
      text: [],
      binary: 0,
      ops: [],
      call(method, params) {
        const id = Math.floor(Math.random() * 1e9);
        ws.send(JSON.stringify({ id, method, params: params ?? {} }));
        return vi.waitFor(
          () => {
            const m = client.text.find((t) => t.id === id);
            if (!m) throw new Error('no reply yet');
            return m;
          },
          { timeout: 20_000, interval: 5 },
        );
      },
      close: () => ws.close(),
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        client.binary++;
        client.ops.push(...reader.apply(decodeBatch(data)));
      } else {
        const m = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        if (m.event === 'timeline.reset') client.ops.length = 0;
        client.text.push(m);
      }
    });
    ws.on('open', () => resolve(client));
    ws.on('error', reject);
  });
}

describe.skipIf(!SIM_BUILT)('serve: capture over the WebSocket', () => {
  it('pushes timeline batches as binary frames and other events as text', async () => {
    const c = await connectClient(server.wsUrl);
    const reply = await c.call('scenario.run', {
      name: 'concurrency',
      device: 0,
      params: { streams: 2, kernels: 2, durationMs: 1 },
    });
    expect(reply.result).toMatchObject({ name: 'concurrency', opCount: 4 });
    const state = (await c.call('capture.state')).result as { ops: number };
    await vi.waitFor(() => expect(c.ops.length).toBe(state.ops));
    expect(c.binary).toBeGreaterThan(0);
    expect(c.text.some((m) => m.event === 'scenario.progress')).toBe(true);
    expect(c.text.some((m) => m.event === 'timeline.batch')).toBe(false);
    c.close();
  });

  it('trace.export gives a one-time download URL served as an attachment', async () => {
    const c = await connectClient(server.wsUrl);
    const reply = await c.call('trace.export', {});
    const result = reply.result as { download: string; spans: number; bytes: number };
    expect(result.download).toMatch(/^\/download\/[a-f0-9]{32}$/);
    expect(result.spans).toBeGreaterThan(0);
    const res = await fetch(origin + result.download);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="xpuscope-trace-.*\.json"$/,
    );
    const body = await res.text();
    expect(Buffer.byteLength(body)).toBe(result.bytes);
    expect(JSON.parse(body)).toHaveProperty('traceEvents');
    expect((await fetch(origin + result.download)).status).toBe(404); // once only
    expect((await fetch(`${origin}/download/${'0'.repeat(32)}`)).status).toBe(404);
    c.close();
  });

  it('refuses file paths from browser clients: no reading or writing files on the server', async () => {
    const c = await connectClient(server.wsUrl);
    const secret = join(tmpdir(), `xpuscope-forbidden-${process.pid}.json`);
    const exported = await c.call('trace.export', { path: secret });
    expect(exported.error).toMatchObject({ code: 'FORBIDDEN' });
    expect(existsSync(secret)).toBe(false);
    const imported = await c.call('trace.import', { path: '/etc/passwd' });
    expect(imported.error).toMatchObject({ code: 'FORBIDDEN' });
    expect(String((imported.error as { hint: string }).hint)).toMatch(/upload/);
    c.close();
  });

  it('POST /upload → trace.import {upload} replaces the timeline; ids work once', async () => {
    const c = await connectClient(server.wsUrl);
    const exp = (await c.call('trace.export', {})).result as { download: string; spans: number };
    const file = await (await fetch(origin + exp.download)).text();
    const up = await fetch(`${origin}/upload`, { method: 'POST', body: file, headers: OCTETS });
    expect(up.status).toBe(201);
    const { upload, bytes } = (await up.json()) as { upload: string; bytes: number };
    expect(upload).toMatch(/^[a-f0-9]{32}$/);
    expect(bytes).toBe(Buffer.byteLength(file));
    const imp = await c.call('trace.import', { upload });
    expect(imp.result).toMatchObject({ format: 'xpuscope', spans: exp.spans });
    await vi.waitFor(() =>
      expect(
        c.text.some(
          (m) => m.event === 'timeline.reset' && (m.data as { reason: string }).reason === 'import',
        ),
      ).toBe(true),
    );
    await vi.waitFor(() => expect(c.ops.length).toBe(exp.spans));
    const again = await c.call('trace.import', { upload });
    expect(again.error).toMatchObject({ code: 'NOT_FOUND' });
    await c.call('capture.control', { action: 'resume' });
    c.close();
  });

  it('uploads are size-limited and checked like the WebSocket', async () => {
    const big = await fetch(`${origin}/upload`, {
      method: 'POST',
      body: 'x'.repeat(65 * 1024),
      headers: OCTETS,
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('TOO_LARGE');
    const foreign = await rawRequest(server.port, '/upload', { Origin: 'http://evil.example' }, 'POST');
    expect(foreign.status).toBe(403);
    const rebinding = await rawRequest(
      server.port,
      '/upload',
      { Host: `evil.example:${server.port}` },
      'POST',
    );
    expect(rebinding.status).toBe(403);
    expect((await fetch(`${origin}/upload`)).status).toBe(405);
  });

  it('in token mode (non-loopback bind) uploads need the token', async () => {
    const open = await startServer({
      host: '0.0.0.0',
      port: 0,
      staticDir: fakeRenderer(),
      driver: 'sim',
      profile: 'max-1550',
    });
    try {
      const base = `http://127.0.0.1:${open.port}/upload`;
      expect((await fetch(base, { method: 'POST', body: '{}', headers: OCTETS })).status).toBe(401);
      expect(
        (await fetch(`${base}?token=wrong`, { method: 'POST', body: '{}', headers: OCTETS })).status,
      ).toBe(401);
      const ok = await fetch(`${base}?token=${open.token!}`, { method: 'POST', body: '{}', headers: OCTETS });
      expect(ok.status).toBe(201);
    } finally {
      await open.close();
    }
  });
});
