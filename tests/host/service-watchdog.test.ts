// `xpuscope serve`'s watchdog (issue 8): a driver call that never returns blocks the service child's
// event loop. The simulated driver's hang_call fault makes zeCommandListAppendLaunchKernel hang in the
// child (a real synchronous FFI call into the driver that never returns), so the first scenario.run
// blocks it for good. The parent, which pings the child every ~second, kills it once it has not
// answered for hangTimeoutMs (shortened here), restarts it as after a crash and tells clients why; the
// request in flight gets SERVICE_RESTARTED and the service answers again.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../../host/serve.js';
import { ErrorCodes } from '../../protocol/contract.js';
import { SIM_BUILT, connect, fakeRenderer } from './helpers.js';

const HANG_MS = 3000;
let server: RunningServer;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startServer({
    port: 0,
    staticDir: fakeRenderer(),
    driver: 'sim',
    log: (line) => logLines.push(line),
    serviceProcess: {
      hangTimeoutMs: HANG_MS,
      env: { ...process.env, XPUSIM_FAULTS: 'hang_call=zeCommandListAppendLaunchKernel' },
    },
  });
  await server.serviceProcess?.whenReady();
});
afterAll(async () => {
  await server?.close();
});

const found = <T>(pick: () => T | undefined, what: string, timeout = 30_000): Promise<T> =>
  vi.waitFor(
    () => {
      const v = pick();
      if (v === undefined) throw new Error(`no ${what} yet`);
      return v;
    },
    { timeout, interval: 20 },
  );

describe.skipIf(!SIM_BUILT)('serve: watchdog for a hung driver call', () => {
  it('kills a child stuck in a driver call, restarts it, tells clients why; the service answers again', async () => {
    const sp = server.serviceProcess!;
    const firstPid = sp.pid!;
    const c = await connect(server.wsUrl);
    const text = c.messages as Array<Record<string, unknown>>;
    const send = (id: number, method: string, params: unknown = {}) =>
      c.ws.send(JSON.stringify({ id, method, params }));
    // It answers while the driver is fine.
    send(1, 'devices.list');
    await found(() => text.find((m) => m.id === 1 && 'result' in m), 'devices.list reply');

    // The first kernel launch hangs inside the driver: the child's event loop is stuck.
    send(2, 'scenario.run', { name: 'concurrency', device: 0, params: { streams: 1, kernels: 1 } });
    const reply = await found(() => text.find((m) => m.id === 2), 'scenario.run reply', 60_000);
    const error = reply.error as { code: string; message: string; hint: string };
    expect(error.code).toBe(ErrorCodes.SERVICE_RESTARTED);
    expect(error.message).toMatch(/stopped responding for 3 s \(a driver call hung\?\)/);
    expect(error.hint).toMatch(/diag/);

    // Clients hear why, on the same path as a crash restart: starting, then restarted.
    const starting = await found(
      () =>
        text.find((m) => m.event === 'service.state' && (m.data as { state: string }).state === 'starting'),
      'service.state starting',
    );
    expect((starting.data as { message: string }).message).toBe(
      'the runtime host stopped responding for 3 s (a driver call hung?); restarting it…',
    );
    const restarted = await found(
      () =>
        text.find((m) => m.event === 'service.state' && (m.data as { state: string }).state === 'restarted'),
      'service.state restarted',
    );
    expect((restarted.data as { message: string }).message).toMatch(
      /^the runtime host stopped responding for 3 s \(a driver call hung\?\) — restarted it/,
    );
    expect(logLines.some((l) => /did not answer for 3 s \(a driver call hung\?\): killing it/.test(l))).toBe(
      true,
    );

    // A new child; the hung one is gone (SIGKILL); the service answers again on the same connection.
    expect(sp.starts).toBe(2);
    expect(sp.pid).not.toBe(firstPid);
    expect(() => process.kill(firstPid, 0)).toThrow();
    send(3, 'devices.list');
    const again = await found(() => text.find((m) => m.id === 3), 'devices.list reply after restart');
    expect((again.result as { devices: unknown[] }).devices.length).toBeGreaterThan(0);
    send(4, 'capture.state');
    const state = await found(() => text.find((m) => m.id === 4), 'capture.state reply');
    expect(state.result).toMatchObject({ recording: true });
    c.ws.close();
  }, 90_000);
});
