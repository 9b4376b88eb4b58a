// The utility process that hosts the service: request/response over the MessagePort, restart after
// the process dies (telling the renderer), giving up after a crash loop.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-stub.js')).electronStub);

import type { BridgeEvent } from '../../protocol/bridge.js';
import { UTILITY_INIT } from '../../electron/ipc.js';
import { ServiceHost } from '../../electron/service-host.js';
import { resetStub, stub, type FakeUtilityProcess } from './electron-stub.js';

/** vi.waitFor with room for a loaded CI machine. */
const waitFor = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5_000, interval: 20 });

/** Plays the utility side: answers every request on the port handed to `child`. */
function answer(child: FakeUtilityProcess, reply: (request: { id: number; method: string }) => unknown) {
  const port = child.port!;
  port.on('message', (event: { data: { id: number; method: string } }) =>
    port.postMessage(reply(event.data)),
  );
}

function makeHost(overrides: Partial<ConstructorParameters<typeof ServiceHost>[0]> = {}) {
  const events: BridgeEvent[] = [];
  const host = new ServiceHost({
    modulePath: '/app/dist/electron/utility.cjs',
    env: { XPUSCOPE_DRIVER: 'sim' },
    onEvent: (event) => events.push(event),
    restartDelayMs: 100,
    ...overrides,
  });
  return { host, events };
}

beforeEach(() => resetStub());
afterEach(() => vi.useRealTimers());

describe('ServiceHost', () => {
  it('forks the utility process and hands it a MessagePort', () => {
    const { host } = makeHost();
    host.start();
    expect(stub.forks).toHaveLength(1);
    const child = stub.forks[0]!;
    expect(child.modulePath).toBe('/app/dist/electron/utility.cjs');
    expect(child.options).toMatchObject({ env: { XPUSCOPE_DRIVER: 'sim' } });
    expect(child.initMessage).toEqual(UTILITY_INIT);
    expect(child.port).not.toBeNull();
    host.stop();
  });

  it('matches replies to requests and forwards pushes', async () => {
    const { host, events } = makeHost();
    host.start();
    const child = stub.forks[0]!;
    answer(child, (req) =>
      req.method === 'bad'
        ? { id: req.id, error: { code: 'UNKNOWN_METHOD', message: 'no' } }
        : { id: req.id, result: req.method },
    );
    const [a, b] = await Promise.all([host.call('service.hello', {}), host.call('bad', {})]);
    expect(a).toEqual({ result: 'service.hello' });
    expect(b).toEqual({ error: { code: 'UNKNOWN_METHOD', message: 'no' } });
    child.port!.postMessage({ event: 'service.state', data: { state: 'ready' } });
    await waitFor(() => expect(events).toEqual([{ event: 'service.state', data: { state: 'ready' } }]));
    host.stop();
  });

  it('restarts the process after it dies and tells the renderer', async () => {
    vi.useFakeTimers();
    const { host, events } = makeHost();
    host.start();
    const first = stub.forks[0]!;
    const inFlight = host.call('devices.list', {}); // never answered: the process dies
    first.crash(139);
    await expect(inFlight).resolves.toMatchObject({ error: { code: 'SERVICE_EXITED' } });
    expect(events.at(-1)).toMatchObject({ event: 'service.state', data: { state: 'failed' } });
    expect(host.running).toBe(false);
    await expect(host.call('devices.list', {})).resolves.toMatchObject({
      error: { code: 'SERVICE_UNAVAILABLE' },
    });

    await vi.advanceTimersByTimeAsync(100);
    expect(stub.forks).toHaveLength(2);
    expect(host.starts).toBe(2);
    expect(events.at(-1)).toMatchObject({ event: 'service.state', data: { state: 'restarted' } });

    vi.useRealTimers();
    answer(stub.forks[1]!, (req) => ({ id: req.id, result: 'again' }));
    await expect(host.call('devices.list', {})).resolves.toEqual({ result: 'again' });
    host.stop();
  });

  it('gives up after too many crashes in a row', async () => {
    vi.useFakeTimers();
    const { host, events } = makeHost({ maxRestarts: 2 });
    host.start();
    for (let i = 0; i < 2; i++) {
      stub.forks.at(-1)!.crash(1);
      await vi.advanceTimersByTimeAsync(10_000);
    }
    expect(stub.forks).toHaveLength(3);
    stub.forks.at(-1)!.crash(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stub.forks).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({
      data: { state: 'failed', message: expect.stringContaining('not restarted') },
    });
    await expect(host.call('devices.list', {})).resolves.toMatchObject({
      error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('keeps crashing') },
    });
  });

  it('does not restart after stop()', async () => {
    vi.useFakeTimers();
    const { host } = makeHost();
    host.start();
    const child = stub.forks[0]!;
    host.stop();
    expect(child.kill).toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(stub.forks).toHaveLength(1);
  });
});
