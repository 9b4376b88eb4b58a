// The view store: loads devices when the connection opens, keeps errors as data, reacts to service
// restarts.
import { describe, expect, it, vi } from 'vitest';
import { createAppStore } from '../../renderer/state/store.js';
import { ApiError } from '../../renderer/transports/types.js';
import { FakeTransport } from './fake-transport.js';
import { noDriverList, simulatedList } from './fixtures.js';

/** vi.waitFor with room for a loaded CI machine. */
const waitFor = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5_000, interval: 20 });

describe('app store', () => {
  it('loads devices when the transport opens', async () => {
    const api = new FakeTransport('connecting');
    api.answer = async () => simulatedList;
    const { store } = createAppStore(api);
    expect(store.getState().devices).toEqual({ status: 'idle' });
    expect(api.calls).toHaveLength(0);
    api.setStatus({ state: 'open', attempt: 0 });
    expect(store.getState().connection.state).toBe('open');
    await waitFor(() => expect(store.getState().devices).toEqual({ status: 'ready', list: simulatedList }));
    expect(api.calls).toEqual([
      { method: 'devices.list', params: {} },
      { method: 'captures.list', params: {} },
    ]);
  });

  it('loads at once when the transport is open from the start (Electron)', async () => {
    const api = new FakeTransport('open');
    api.answer = async () => noDriverList;
    const { store } = createAppStore(api);
    await waitFor(() => expect(store.getState().devices).toEqual({ status: 'ready', list: noDriverList }));
  });

  it('keeps a failed request as an error payload, with the last list', async () => {
    const api = new FakeTransport('open');
    api.answer = async () => simulatedList;
    const { store } = createAppStore(api);
    await waitFor(() => expect(store.getState().devices.status).toBe('ready'));
    api.answer = async () => {
      throw new ApiError({ code: 'INTERNAL', message: 'runtime failed', hint: 'rebuild' });
    };
    await store.getState().loadDevices();
    expect(store.getState().devices).toEqual({
      status: 'error',
      error: { code: 'INTERNAL', message: 'runtime failed', hint: 'rebuild' },
      previous: simulatedList,
    });
  });

  it('records connection errors and retries on request', () => {
    const api = new FakeTransport('connecting');
    const { store } = createAppStore(api);
    api.setStatus({ state: 'reconnecting', attempt: 2, error: 'Cannot reach', retryInMs: 500 });
    expect(store.getState().connection).toMatchObject({ state: 'reconnecting', error: 'Cannot reach' });
    store.getState().retryConnection();
    expect(api.retries).toBe(1);
  });

  it('reloads and shows a notice when the service restarts', async () => {
    const api = new FakeTransport('open');
    api.answer = async () => simulatedList;
    const { store, dispose } = createAppStore(api);
    await waitFor(() => expect(api.calls).toHaveLength(1));
    api.push('service.state', { state: 'restarted', message: 'restarted after a crash' });
    expect(store.getState().notice).toBe('restarted after a crash');
    // devices and the new process's captures list are re-read
    await waitFor(() =>
      expect(api.calls.map((c) => c.method)).toEqual(['devices.list', 'devices.list', 'captures.list']),
    );
    store.getState().dismissNotice();
    expect(store.getState().notice).toBeNull();
    dispose();
    api.push('service.state', { state: 'restarted' });
    expect(api.calls).toHaveLength(3);
  });

  it('ignores the answer of a superseded load', async () => {
    const api = new FakeTransport('open');
    const answers: ((value: unknown) => void)[] = [];
    api.answer = () => new Promise((resolve) => answers.push(resolve));
    const { store } = createAppStore(api);
    const second = store.getState().loadDevices();
    answers[1]!(noDriverList);
    await second;
    answers[0]!(simulatedList);
    await new Promise((r) => setTimeout(r, 0));
    expect(store.getState().devices).toEqual({ status: 'ready', list: noDriverList });
  });

  it("retries a failed load when the service reports 'ready', but does not reload a good list", async () => {
    const api = new FakeTransport('open');
    api.answer = async () => {
      throw new ApiError({ code: 'INTERNAL', message: 'runtime still loading' });
    };
    const { store } = createAppStore(api);
    await waitFor(() => expect(store.getState().devices.status).toBe('error'));
    api.answer = async () => simulatedList;
    api.push('service.state', { state: 'ready' });
    await waitFor(() => expect(store.getState().devices.status).toBe('ready'));
    expect(api.calls).toHaveLength(2);
    api.push('service.state', { state: 'ready' });
    expect(api.calls).toHaveLength(2);
  });
});
