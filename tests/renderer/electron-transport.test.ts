// The Electron transport over a fake preload bridge.
import { describe, expect, it, vi } from 'vitest';
import {
  ElectronTransport,
  findBridge,
  type BridgeEvent,
  type XpuscopeBridge,
} from '../../renderer/transports/electron.js';
import { pickTransport } from '../../renderer/transports/index.js';

function fakeBridge(reply: (method: string) => Promise<unknown>) {
  let handler: ((m: BridgeEvent) => void) | null = null;
  let batchHandler: ((data: ArrayBuffer) => void) | null = null;
  const bridge: XpuscopeBridge = {
    onBatch: (h) => {
      batchHandler = h;
      return () => {
        batchHandler = null;
      };
    },
    onMenu: () => () => {},
    exportTrace: async () => ({ result: null }),
    importTrace: async () => ({ result: null }),
    saveFile: async () => ({ result: null }),
    version: 1,
    call: vi.fn((method: string) => reply(method)) as XpuscopeBridge['call'],
    onEvent: (h) => {
      handler = h;
      return () => {
        handler = null;
      };
    },
  };
  return {
    bridge,
    push: (m: BridgeEvent) => handler?.(m),
    pushBatch: (data: ArrayBuffer) => batchHandler?.(data),
    subscribed: () => handler !== null,
    batchSubscribed: () => batchHandler !== null,
  };
}

describe('ElectronTransport', () => {
  it('returns results and throws ApiErrors for error replies', async () => {
    const { bridge } = fakeBridge(async (method) =>
      method === 'service.hello'
        ? { result: { name: 'xpuscope' } }
        : { error: { code: 'FORBIDDEN', message: 'no', hint: 'h' } },
    );
    const t = new ElectronTransport(bridge);
    expect(t.transport).toBe('electron');
    await expect(t.call('service.hello', {})).resolves.toEqual({ name: 'xpuscope' });
    await expect(t.call('devices.list', {})).rejects.toMatchObject({
      name: 'ApiError',
      code: 'FORBIDDEN',
      hint: 'h',
    });
  });

  it('maps bridge failures and malformed replies to error codes', async () => {
    const t1 = new ElectronTransport(fakeBridge(async () => Promise.reject(new Error('ipc down'))).bridge);
    await expect(t1.call('devices.list', {})).rejects.toMatchObject({ code: 'IPC_FAILED' });
    const t2 = new ElectronTransport(fakeBridge(async () => 'junk').bridge);
    await expect(t2.call('devices.list', {})).rejects.toMatchObject({ code: 'PROTOCOL' });
  });

  it('turns service.state failed/restarted into connection status and forwards the event', () => {
    const { bridge, push, subscribed } = fakeBridge(async () => ({ result: null }));
    const t = new ElectronTransport(bridge);
    const states: string[] = [];
    const events: unknown[] = [];
    t.onStatus((s) => states.push(s.state));
    t.on('service.state', (d) => events.push(d));
    push({ event: 'service.state', data: { state: 'failed', message: 'crashed' } });
    expect(t.status()).toMatchObject({ state: 'reconnecting', error: 'crashed' });
    push({ event: 'service.state', data: { state: 'restarted' } });
    expect(t.status().state).toBe('open');
    expect(states).toEqual(['reconnecting', 'open']);
    expect(events).toHaveLength(2);
    t.close();
    expect(subscribed()).toBe(false);
  });
});

describe('transport choice', () => {
  it('uses the bridge when the preload exposed one', () => {
    const { bridge } = fakeBridge(async () => ({ result: null }));
    const t = pickTransport({
      xpuscope: bridge,
      location: { href: 'file:///app/index.html', protocol: 'file:' },
    });
    expect(t.transport).toBe('electron');
  });

  it('does not take a look-alike for the bridge', () => {
    expect(findBridge({ xpuscope: { call: () => {} } })).toBeUndefined();
    expect(findBridge({})).toBeUndefined();
  });

  it('refuses file:// without the bridge', () => {
    expect(() => pickTransport({ location: { href: 'file:///x/index.html', protocol: 'file:' } })).toThrow(
      /xpuscope serve/,
    );
  });

  it('emits batches from the bridge port as timeline.batch and unsubscribes on close', () => {
    const { bridge, pushBatch, batchSubscribed } = fakeBridge(async () => ({ result: null }));
    const t = new ElectronTransport(bridge);
    const got: ArrayBuffer[] = [];
    t.on('timeline.batch', (d) => got.push(d));
    const buf = new ArrayBuffer(8);
    pushBatch(buf);
    expect(got).toEqual([buf]);
    t.close();
    expect(batchSubscribed()).toBe(false);
  });
});
