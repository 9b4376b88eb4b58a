// `xpuscope serve`'s server: static renderer over HTTP, the service over a WebSocket at /ws, and the
// checks against drive-by pages and DNS rebinding. Real runtime + loader + simulated driver.
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../protocol/contract.js';
import type { DeviceList } from '../../protocol/devices.js';
import { startServer, type RunningServer } from '../../host/serve.js';
import { ROOT, SIM_BUILT, closed, connect, emptyDir, fakeRenderer, rawRequest } from './helpers.js';

let server: RunningServer;
let origin: string;

beforeAll(async () => {
  server = await startServer({ port: 0, staticDir: fakeRenderer(), driver: 'sim' });
  origin = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server?.close();
});

describe('startServer', () => {
  it('binds 127.0.0.1 on a free port and reports the URLs', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.port}/ws`);
    expect(server.token).toBeUndefined();
  });
});

describe('HTTP', () => {
  it('serves index.html at / with security headers and no CORS', async () => {
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('<title>xpuscope test</title>');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves assets with their content types', async () => {
    const js = await fetch(`${origin}/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    const css = await fetch(`${origin}/assets/index-abc123.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const head = await rawRequest(server.port, '/assets/index-abc123.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('404 for missing files and directories, 405 for other methods', async () => {
    expect((await fetch(`${origin}/nope.js`)).status).toBe(404);
    expect((await fetch(`${origin}/assets`)).status).toBe(404);
    expect((await fetch(`${origin}/package.json`)).status).toBe(404);
    const post = await rawRequest(server.port, '/', {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it.each([
    '/../package.json',
    '/%2e%2e/package.json',
    '/assets/../../package.json',
    '/assets/..%2f..%2fpackage.json',
    '/..%5cpackage.json',
    '/%00index.html',
    '/%E0%A4%A',
  ])('refuses traversal / bad path %s', async (path) => {
    const res = await rawRequest(server.port, path);
    expect(res.status).toBe(400);
    expect(res.body).not.toContain('"name": "xpuscope"');
  });

  it('does not follow symlinks out of the renderer directory', async () => {
    const dir = fakeRenderer();
    symlinkSync(join(ROOT, 'package.json'), join(dir, 'leak.json'));
    const other = await startServer({ port: 0, staticDir: dir, driver: 'sim' });
    try {
      const res = await fetch(`${other.url}leak.json`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('"name": "xpuscope"');
    } finally {
      await other.close();
    }
  });

  it('refuses a foreign Host header (DNS rebinding) but accepts loopback names', async () => {
    expect((await rawRequest(server.port, '/', { Host: 'evil.example' })).status).toBe(403);
    expect((await rawRequest(server.port, '/', { Host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await rawRequest(server.port, '/', { Host: `127.0.0.1:${server.port + 1}` })).status).toBe(403);
    expect((await rawRequest(server.port, '/', { Host: '127.0.0.1' })).status).toBe(403);
    expect((await rawRequest(server.port, '/', { Host: `localhost:${server.port}` })).status).toBe(200);
    expect((await rawRequest(server.port, '/', { Host: `[::1]:${server.port}` })).status).toBe(200);
  });

  it('explains how to build the renderer when it is missing', async () => {
    const bare = await startServer({ port: 0, staticDir: emptyDir(), driver: 'sim' });
    try {
      const res = await fetch(bare.url);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('run npm run build');
    } finally {
      await bare.close();
    }
  });
});

describe('WebSocket /ws', () => {
  it('answers service.hello and pushes service.state (non-browser client, no Origin)', async () => {
    const client = await connect(server.wsUrl);
    try {
      const state = await client.event('service.state');
      expect(['starting', 'ready']).toContain((state.data as { state: string }).state);
      expect(await client.call('service.hello', {})).toMatchObject({
        result: { name: 'xpuscope', protocol: 1 },
      });
    } finally {
      client.close();
    }
  });

  it('accepts the served Origin', async () => {
    const client = await connect(server.wsUrl, { origin });
    expect(await client.call('service.hello')).toMatchObject({ result: { name: 'xpuscope' } });
    client.close();
  });

  it.skipIf(!SIM_BUILT)('devices.list with --driver sim returns the simulated Arc A770', async () => {
    const client = await connect(server.wsUrl, { origin });
    try {
      const reply = await client.call('devices.list', {});
      expect(reply.error).toBeUndefined();
      const list = reply.result as DeviceList;
      expect(list.schema).toBe('xpuscope.devices/1');
      expect(list.driver.simulated).toBe(true);
      expect(list.devices[0]).toMatchObject({ simulated: true, type: 'gpu' });
      expect(list.devices[0]!.name).toMatch(/Arc\(TM\) A770/);
    } finally {
      client.close();
    }
  });

  it('devices.list says which driver it used even without devices', async () => {
    const client = await connect(server.wsUrl);
    const reply = await client.call('devices.list', {});
    expect(reply.error).toBeUndefined();
    expect(reply.result).toMatchObject({
      schema: 'xpuscope.devices/1',
      driver: { mode: 'sim', simulated: true },
    });
    client.close();
  });

  it.each(['http://evil.example', `http://localhost:${1}`, 'null', 'https://127.0.0.1'])(
    'refuses a foreign Origin %s',
    async (bad) => {
      await expect(connect(server.wsUrl, { origin: bad })).rejects.toThrow('refused 403');
    },
  );

  it('refuses the served origin on another port', async () => {
    await expect(connect(server.wsUrl, { origin: `http://127.0.0.1:${server.port + 1}` })).rejects.toThrow(
      'refused 403',
    );
  });

  it('refuses a bad Host header', async () => {
    await expect(connect(server.wsUrl, { headers: { Host: `evil.example:${server.port}` } })).rejects.toThrow(
      'refused 403',
    );
    // DNS rebinding: page and Host agree on the attacker's name.
    await expect(
      connect(server.wsUrl, {
        headers: { Host: `rebind.example:${server.port}` },
        origin: `http://rebind.example:${server.port}`,
      }),
    ).rejects.toThrow('refused 403');
  });

  it('has no WebSocket endpoint on other paths', async () => {
    await expect(connect(`ws://127.0.0.1:${server.port}/other`)).rejects.toThrow('refused 404');
  });

  it('answers bad messages with errors and keeps the connection', async () => {
    const client = await connect(server.wsUrl);
    try {
      expect(await client.sendRaw('not json')).toMatchObject({ id: -1, error: { code: 'PARSE_ERROR' } });
      expect(await client.call('nope.method', {})).toMatchObject({ error: { code: 'UNKNOWN_METHOD' } });
      expect(await client.call('devices.list', { bogus: 1 })).toMatchObject({
        error: { code: 'INVALID_PARAMS' },
      });
      const oversized = JSON.stringify({
        id: 77,
        method: 'service.hello',
        params: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) },
      });
      expect(await client.sendRaw(oversized)).toMatchObject({ id: 77, error: { code: 'TOO_LARGE' } });
      expect(await client.call('service.hello')).toMatchObject({ result: { name: 'xpuscope' } });
    } finally {
      client.close();
    }
  });

  it('closes the socket (1009) when a frame exceeds the transport limit', async () => {
    const client = await connect(server.wsUrl);
    const code = closed(client.ws);
    client.ws.send('x'.repeat(2 * MAX_MESSAGE_BYTES + 1));
    expect(await code).toBe(1009);
  });
});

describe('request rate limit', () => {
  it('answers a flood with RATE_LIMITED, then disconnects a client that keeps flooding (1008)', async () => {
    const limited = await startServer({
      port: 0,
      staticDir: fakeRenderer(),
      driver: 'sim',
      inProcess: true,
      rateLimit: { perSecond: 1, burst: 3 },
    });
    try {
      const client = await connect(limited.wsUrl);
      const code = closed(client.ws);
      const replies = await Promise.all([1, 2, 3, 4].map(() => client.call('service.hello')));
      expect(replies.filter((r) => r.result !== undefined)).toHaveLength(3);
      expect(
        replies.filter((r) => (r.error as { code?: string } | undefined)?.code === 'RATE_LIMITED'),
      ).toHaveLength(1);
      for (let id = 5; id < 30; id++) client.ws.send(JSON.stringify({ id, method: 'service.hello' }));
      expect(await code).toBe(1008);
    } finally {
      await limited.close();
    }
  });
});

describe('non-loopback --host', () => {
  it('requires the token printed in the URL', async () => {
    const open = await startServer({ host: '0.0.0.0', port: 0, staticDir: fakeRenderer(), driver: 'sim' });
    try {
      expect(open.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(open.url).toContain(`?token=${open.token}`);
      const base = `ws://127.0.0.1:${open.port}/ws`;
      await expect(connect(base)).rejects.toThrow('refused 401');
      await expect(connect(`${base}?token=wrong`)).rejects.toThrow('refused 401');
      const client = await connect(`${base}?token=${open.token}`);
      expect(await client.call('service.hello')).toMatchObject({ result: { name: 'xpuscope' } });
      client.close();
      // The token is the credential: a page of another origin that has it (another xpuscope server's
      // page, the desktop app's file://) connects — Connect to Server…; without it, nobody does.
      await expect(connect(base, { origin: 'http://evil.example' })).rejects.toThrow('refused 401');
      for (const origin of ['http://127.0.0.1:1234', 'file://']) {
        const other = await connect(`${base}?token=${open.token}`, { origin });
        expect(await other.call('service.hello')).toMatchObject({ result: { name: 'xpuscope' } });
        other.close();
      }
    } finally {
      await open.close();
    }
  });

  it('answers a cross-origin upload preflight for the token holder (Connect to Server…), and only then', async () => {
    const open = await startServer({ host: '0.0.0.0', port: 0, staticDir: fakeRenderer(), driver: 'sim' });
    const loop = await startServer({ port: 0, staticDir: fakeRenderer(), driver: 'sim' });
    try {
      const origin = 'http://127.0.0.1:1234';
      const pre = await rawRequest(
        open.port,
        `/upload?token=${open.token!}`,
        { Host: `127.0.0.1:${open.port}`, Origin: origin },
        'OPTIONS',
      );
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe(origin);
      expect(pre.headers['access-control-allow-methods']).toBe('POST');
      // the POST itself still needs the token
      const noToken = await rawRequest(
        open.port,
        '/upload',
        { Host: `127.0.0.1:${open.port}`, Origin: origin },
        'POST',
      );
      expect(noToken.status).toBe(401);
      // a loopback server (no token) gives other origins nothing
      const lp = await rawRequest(
        loop.port,
        '/upload',
        { Host: `127.0.0.1:${loop.port}`, Origin: origin },
        'OPTIONS',
      );
      expect(lp.status).toBe(405);
      expect(lp.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await open.close();
      await loop.close();
    }
  });
});
