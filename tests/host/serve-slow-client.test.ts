// `xpuscope serve` and a client that stops reading while the service streams timeline batches: the
// server disconnects it with close code 1013 (try again later) and keeps serving the other clients.
// Real server, service child process, runtime, loader and simulated driver; the slow-client limits are
// shortened (ServeOptions.slowClient) so the test runs in seconds.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../../host/serve.js';
import { SIM_BUILT, connect, fakeRenderer } from './helpers.js';

let server: RunningServer;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startServer({
    port: 0,
    staticDir: fakeRenderer(),
    driver: 'sim',
    log: (line) => logLines.push(line),
    slowClient: { backpressureBytes: 64 * 1024, stalledMs: 1000 },
    rateLimit: { perSecond: 1000, burst: 1000 },
  });
});
afterAll(async () => {
  await server?.close();
});

/** A client frame (clients must mask): FIN + text, payloads under 64 KiB. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0xfe, len >> 8, len & 0xff]);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return Buffer.concat([head, mask, body]);
}

/**
 * A WebSocket client on a raw socket: handshake, then the socket is paused (nothing reads it) until
 * readCloseCode() resumes it and parses the server's frames up to its close frame.
 */
function rawWsClient(
  port: number,
): Promise<{ send: (text: string) => void; readCloseCode: () => Promise<number> }> {
  return new Promise((resolve, reject) => {
    const sock: Socket = tcpConnect(port, '127.0.0.1');
    sock.on('error', reject);
    sock.on('connect', () =>
      sock.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    let buf = Buffer.alloc(0);
    const onHandshake = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onHandshake);
      sock.pause();
      if (!buf.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 101')) {
        reject(new Error(`handshake refused: ${buf.subarray(0, end).toString('latin1')}`));
        return;
      }
      buf = buf.subarray(end + 4);
      resolve({
        send: (text) => sock.write(textFrame(text)),
        readCloseCode: () =>
          new Promise((done, fail) => {
            const parse = (): void => {
              // server frames are unmasked: opcode, 7/16/64-bit length, payload
              while (buf.length >= 2) {
                const op = (buf[0] as number) & 0x0f;
                let len = (buf[1] as number) & 0x7f;
                let at = 2;
                if (len === 126) {
                  if (buf.length < 4) return;
                  len = buf.readUInt16BE(2);
                  at = 4;
                } else if (len === 127) {
                  if (buf.length < 10) return;
                  len = Number(buf.readBigUInt64BE(2));
                  at = 10;
                }
                if (buf.length < at + len) return;
                if (op === 8) {
                  sock.destroy();
                  return done(len >= 2 ? buf.readUInt16BE(at) : 1005);
                }
                buf = buf.subarray(at + len);
              }
            };
            sock.on('data', (chunk: Buffer) => {
              buf = Buffer.concat([buf, chunk]);
              parse();
            });
            sock.on('close', () => fail(new Error('socket closed without a close frame')));
            sock.resume();
            parse();
          }),
      });
    };
    sock.on('data', onHandshake);
  });
}

describe.skipIf(!SIM_BUILT)('serve: a client that stops reading', () => {
  it('is disconnected with 1013 while batches stream; other clients keep getting replies', async () => {
    // The slow client: a raw TCP socket that does the WebSocket handshake and then stops reading
    // (a paused socket: the kernel buffers fill, then the server's queue grows).
    const slow = await rawWsClient(server.port);
    const tooSlow = (): string | undefined => logLines.find((l) => /disconnected: too slow/.test(l));

    // Another client drives the capture: scenario runs stream timeline batches to every client.
    const busy = await connect(server.wsUrl);
    const streaming = (async () => {
      for (let run = 0; run < 100 && !tooSlow(); run++) {
        const reply = await busy.call('scenario.run', {
          name: 'concurrency',
          device: 0,
          params: { streams: 4, kernels: 16, durationMs: 0.05 },
        });
        expect(reply.error, JSON.stringify(reply.error)).toBeUndefined();
      }
    })();
    streaming.catch(() => {}); // awaited below; no unhandled rejection if the test fails first
    // The slow client keeps asking but never reads: ~14 KB property replies (which, unlike batches, are
    // never coalesced) fill the ~4 MB the kernel's socket buffers absorb within seconds, instead of
    // the tens of seconds batches alone would take; then its queue stays above the backpressure mark.
    let id = 0;
    for (let round = 0; round < 200 && !tooSlow(); round++) {
      if (round < 60)
        for (let i = 0; i < 20; i++)
          slow.send(JSON.stringify({ id: ++id, method: 'devices.properties', params: { device: 0 } }));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(tooSlow(), `${id} requests sent`).toBeDefined();
    expect(tooSlow()).toMatch(/bytes unread for 1000 ms/);
    await streaming;

    // Once the slow client reads again, it finds the 1013 close frame after what was queued.
    expect(await slow.readCloseCode()).toBe(1013);

    // The server stays healthy: the reading client got batches and still gets replies; new clients connect.
    expect(busy.batches()).toBeGreaterThan(0);
    const list = await busy.call('devices.list');
    expect((list.result as { devices: unknown[] }).devices.length).toBeGreaterThan(0);
    const late = await connect(server.wsUrl);
    expect((await late.call('capture.state')).result).toMatchObject({ recording: true });
    const before = late.batches();
    await busy.call('scenario.run', { name: 'concurrency', device: 0, params: { streams: 2, kernels: 2 } });
    await vi.waitFor(() => expect(late.batches()).toBeGreaterThan(before), { timeout: 5000 });
    busy.ws.close();
    late.ws.close();
  }, 90_000);
});
