// The utility-process entry: receives its MessagePort from main and answers service requests on it
// (the real host/service.ts; service.hello needs no driver).
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-stub.js')).electronStub);

/** The real service, with what the entry asked of it noted: its options and each subscription's. */
const seen = vi.hoisted(() => ({ options: [] as unknown[], subscriptions: [] as unknown[] }));
vi.mock('../../host/service.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../host/service.js')>();
  return {
    ...real,
    createService: (options: Parameters<typeof real.createService>[0]) => {
      seen.options.push(options);
      const svc = real.createService(options);
      const on = svc.on.bind(svc);
      svc.on = (listener, opts) => {
        seen.subscriptions.push(opts);
        return on(listener, opts);
      };
      return svc;
    },
  };
});

import { UTILITY_BATCH_PORT, UTILITY_INIT } from '../../electron/ipc.js';
import { FakeMessageChannelMain } from './electron-stub.js';

/** vi.waitFor with room for a loaded CI machine. */
const waitFor = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5_000, interval: 20 });

const parentPort = new EventEmitter();
const { port1: mainSide, port2: serviceSide } = new FakeMessageChannelMain();
const replies: unknown[] = [];

beforeAll(async () => {
  (process as unknown as { parentPort: EventEmitter }).parentPort = parentPort;
  await import('../../electron/utility.js');
  mainSide.on('message', (event: { data: unknown }) => replies.push(event.data));
  parentPort.emit('message', { data: UTILITY_INIT, ports: [serviceSide] });
});

afterAll(() => {
  delete (process as unknown as { parentPort?: EventEmitter }).parentPort;
});

describe('utility process entry', () => {
  it('starts the port and answers requests with the service', async () => {
    expect(serviceSide.start).toHaveBeenCalled();
    mainSide.postMessage({ id: 7, method: 'service.hello', params: {} });
    await waitFor(() =>
      expect(replies).toContainEqual({
        id: 7,
        result: expect.objectContaining({ name: 'xpuscope', protocol: 1 }),
      }),
    );
  });

  it('answers bad requests with an error payload', async () => {
    mainSide.postMessage({ id: 8, method: 'no.such.method', params: {} });
    await waitFor(() =>
      expect(replies).toContainEqual({ id: 8, error: expect.objectContaining({ code: 'UNKNOWN_METHOD' }) }),
    );
  });

  it('forwards service pushes (the current state on subscribe)', async () => {
    await waitFor(() => expect(replies).toContainEqual(expect.objectContaining({ event: 'service.state' })));
  });

  it('the main-port subscription asks for no batches (none is encoded for it); launching is allowed', () => {
    expect(seen.subscriptions[0]).toEqual({ batches: false, client: 'app' });
    expect(seen.options[0]).toMatchObject({ allowLaunch: true });
  });

  it('accepts a batch port and keeps timeline batches off the main port', async () => {
    const { port1: pageSide, port2: utilitySide } = new FakeMessageChannelMain();
    parentPort.emit('message', { data: UTILITY_BATCH_PORT, ports: [utilitySide] });
    expect(utilitySide.start).toHaveBeenCalled();
    const got: unknown[] = [];
    pageSide.on('message', (e: { data: unknown }) => got.push(e.data));
    // No capture runs here, so nothing may arrive; but no batch may ever reach the main port.
    await new Promise((r) => setTimeout(r, 50));
    expect(replies.some((r) => (r as { event?: string }).event === 'timeline.batch')).toBe(false);
    for (const d of got) expect(d).toBeInstanceOf(ArrayBuffer);
    // The page's port subscribes for batches, as the same client (one captures view for the window).
    expect(seen.subscriptions.at(-1)).toEqual({ client: 'app' });
  });
});
