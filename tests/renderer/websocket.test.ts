// The WebSocket transport against a tiny in-test `ws` server: request/response matching, error
// payloads, pushes, malformed input, reconnect with backoff, connection errors, timeouts.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ApiError, type ConnectionStatus } from '../../renderer/transports/types.js';
import {
  serviceSocketUrl,
  WebSocketTransport,
  type WebSocketConstructor,
} from '../../renderer/transports/websocket.js';

/** vi.waitFor with room for a loaded CI machine. */
const waitFor = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5_000, interval: 20 });

type Handler = (socket: WebSocket, message: { id: number; method: string; params: unknown }) => void;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function server(handler: Handler, port = 0) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await once(wss, 'listening');
  const sockets = new Set<WebSocket>();
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('message', (raw) => handler(socket, JSON.parse(String(raw))));
  });
  const address = wss.address() as AddressInfo;
  const close = async () => {
    for (const s of sockets) s.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
  cleanups.push(close);
  return { wss, sockets, url: `ws://127.0.0.1:${address.port}/ws`, port: address.port, close };
}

function transport(url: string, options: Partial<ConstructorParameters<typeof WebSocketTransport>[0]> = {}) {
  const t = new WebSocketTransport({
    url,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    initialBackoffMs: 20,
    maxBackoffMs: 80,
    ...options,
  });
  cleanups.push(() => t.close());
  const statuses: ConnectionStatus[] = [];
  t.onStatus((s) => statuses.push(s));
  return { t, statuses };
}

const reply: Handler = (socket, m) => socket.send(JSON.stringify({ id: m.id, result: { echo: m.method } }));

describe('serviceSocketUrl', () => {
  it('uses the page origin, /ws and the page token', () => {
    expect(serviceSocketUrl('http://127.0.0.1:4321/')).toBe('ws://127.0.0.1:4321/ws');
    expect(serviceSocketUrl('http://127.0.0.1:4321/index.html?token=abc%2F1#x')).toBe(
      'ws://127.0.0.1:4321/ws?token=abc%2F1',
    );
    expect(serviceSocketUrl('https://gpu-box:8443/?other=1')).toBe('wss://gpu-box:8443/ws');
  });
});

describe('WebSocketTransport', () => {
  it('matches responses to requests by id, even out of order', async () => {
    const held: [WebSocket, number, string][] = [];
    const srv = await server((socket, m) => {
      held.push([socket, m.id, m.method]);
      if (held.length === 2) {
        for (const [s, id, method] of held.reverse()) s.send(JSON.stringify({ id, result: method }));
      }
    });
    const { t } = transport(srv.url);
    const [a, b] = await Promise.all([t.call('service.hello', {}), t.call('devices.list', {})]);
    expect(a).toBe('service.hello');
    expect(b).toBe('devices.list');
    expect(t.transport).toBe('websocket');
    expect(t.status().state).toBe('open');
  });

  it('rejects with an ApiError carrying the service error payload', async () => {
    const srv = await server((socket, m) =>
      socket.send(
        JSON.stringify({
          id: m.id,
          error: { code: 'INVALID_PARAMS', message: 'bad params', hint: 'send {}' },
        }),
      ),
    );
    const { t } = transport(srv.url);
    const error = await t.call('devices.list', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'INVALID_PARAMS', message: 'bad params', hint: 'send {}' });
  });

  it('treats malformed error payloads and result-less answers as protocol errors', async () => {
    const srv = await server((socket, m) =>
      socket.send(JSON.stringify(m.method === 'service.hello' ? { id: m.id, error: 'nope' } : { id: m.id })),
    );
    const { t } = transport(srv.url);
    await expect(t.call('service.hello', {})).rejects.toMatchObject({ code: 'PROTOCOL' });
    await expect(t.call('devices.list', {})).rejects.toMatchObject({ code: 'PROTOCOL' });
  });

  it('delivers pushes to subscribers, ignores garbage, and unsubscribes', async () => {
    const srv = await server(reply);
    const { t } = transport(srv.url);
    const seen: unknown[] = [];
    const off = t.on('service.state', (data) => seen.push(data));
    await t.call('service.hello', {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const socket = [...srv.sockets][0]!;
    socket.send('not json');
    socket.send(JSON.stringify({ id: 999, result: 'nobody asked' }));
    socket.send(JSON.stringify({ event: 'service.state', data: { state: 'ready' } }));
    await waitFor(() => expect(seen).toEqual([{ state: 'ready' }]));
    off();
    socket.send(JSON.stringify({ event: 'service.state', data: { state: 'failed' } }));
    await t.call('service.hello', {}); // the push arrived before this answer
    expect(seen).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('not JSON'));
    warn.mockRestore();
  });

  it('queues calls made while connecting and sends them once open', async () => {
    const srv = await server(reply);
    const { t } = transport(srv.url);
    expect(t.status().state).toBe('connecting');
    await expect(t.call('service.hello', {})).resolves.toEqual({ echo: 'service.hello' });
  });

  it('reports a connection error while nothing listens, then connects when the server appears', async () => {
    const probe = await server(reply);
    const port = probe.port;
    await probe.close();
    cleanups.pop();
    const { t, statuses } = transport(`ws://127.0.0.1:${port}/ws`);
    await waitFor(() =>
      expect(statuses.filter((s) => s.state === 'reconnecting').length).toBeGreaterThanOrEqual(2),
    );
    const failing = statuses.find((s) => s.state === 'reconnecting')!;
    expect(failing.error).toMatch(/Cannot reach the xpuscope service at ws:\/\/127\.0\.0\.1/);
    expect(failing.retryInMs).toBe(20);
    const delays = statuses.filter((s) => s.state === 'reconnecting').map((s) => s.retryInMs);
    expect(delays.slice(0, 3)).toEqual([20, 40, 80].slice(0, Math.min(3, delays.length)));

    await server(reply, port);
    await waitFor(() => expect(t.status().state).toBe('open'));
    expect(t.status()).toEqual({ state: 'open', attempt: 0 });
    await expect(t.call('service.hello', {})).resolves.toEqual({ echo: 'service.hello' });
  });

  it('fails calls in flight when the connection drops, then reconnects', async () => {
    let drop = true;
    const srv = await server((socket, m) => {
      if (drop && m.method === 'devices.list') {
        drop = false;
        socket.terminate();
        return;
      }
      reply(socket, m);
    });
    const { t, statuses } = transport(srv.url);
    await t.call('service.hello', {});
    await expect(t.call('devices.list', {})).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await waitFor(() => expect(t.status().state).toBe('open'));
    expect(statuses.map((s) => s.state)).toContain('reconnecting');
    expect(statuses.find((s) => s.state === 'reconnecting')?.error).toMatch(/Lost the connection/);
    await expect(t.call('devices.list', {})).resolves.toEqual({ echo: 'devices.list' });
  });

  it('shows the reason when the server closes the socket with one', async () => {
    const srv = await server((socket) => socket.close(1008, 'bad token'));
    const { t } = transport(srv.url);
    await expect(t.call('service.hello', {})).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(t.status().error ?? '').toMatch(/bad token/);
  });

  it('times out calls that get no answer', async () => {
    const srv = await server(() => {});
    const { t } = transport(srv.url, { requestTimeoutMs: 50 });
    await expect(t.call('service.hello', {})).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('rejects pending and later calls once closed', async () => {
    const srv = await server(() => {});
    const { t } = transport(srv.url);
    const pending = t.call('service.hello', {});
    t.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(t.call('service.hello', {})).rejects.toMatchObject({ code: 'CLOSED' });
    expect(t.status().state).toBe('closed');
  });
});
