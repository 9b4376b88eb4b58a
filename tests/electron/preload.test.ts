// The preload exposes exactly one narrow bridge, forwards calls over the typed channel and never
// hands the page an IpcRendererEvent.
import { beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-stub.js')).electronStub);

import { BRIDGE_KEY, IpcChannel, type XpuscopeBridge as MainSideBridge } from '../../protocol/bridge.js';
import type { XpuscopeBridge as PageSideBridge } from '../../renderer/transports/electron.js';
import { findBridge } from '../../renderer/transports/electron.js';
import { stub } from './electron-stub.js';

// Compile-time: the bridge the preload builds (protocol/bridge.ts) is the one the renderer's transport
// takes (it re-exports the same declaration).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const bridgesAgree: Same<MainSideBridge, PageSideBridge> = true;

let bridge: MainSideBridge;

beforeAll(async () => {
  await import('../../electron/preload.js');
  bridge = stub.exposed.get(BRIDGE_KEY) as MainSideBridge;
});

describe('preload bridge', () => {
  it('exposes only window.xpuscope, which the renderer recognises', () => {
    expect(bridgesAgree).toBe(true);
    expect([...stub.exposed.keys()]).toEqual(['xpuscope']);
    expect(Object.keys(bridge).sort()).toEqual([
      'call',
      'exportTrace',
      'importTrace',
      'onBatch',
      'onEvent',
      'onMenu',
      'saveFile',
      'version',
    ]);
    expect(findBridge({ xpuscope: bridge })).toBe(bridge);
  });

  it('forwards calls on the call channel', async () => {
    stub.invoke.mockResolvedValueOnce({ result: 42 });
    await expect(bridge.call('service.hello', {})).resolves.toEqual({ result: 42 });
    expect(stub.invoke).toHaveBeenCalledWith(IpcChannel.call, { method: 'service.hello', params: {} });
  });

  it('delivers pushes without the IPC event and unsubscribes', () => {
    const handler = vi.fn();
    const off = bridge.onEvent(handler);
    const listeners = [...stub.rendererListeners.get(IpcChannel.event)!];
    expect(listeners).toHaveLength(1);
    listeners[0]!({ sender: 'secret ipcRenderer' }, { event: 'service.state', data: { state: 'ready' } });
    expect(handler).toHaveBeenCalledWith({ event: 'service.state', data: { state: 'ready' } });
    expect(handler.mock.calls[0]).toHaveLength(1);
    off();
    expect(stub.rendererListeners.get(IpcChannel.event)!.size).toBe(0);
  });

  it('invokes the dialog-backed file actions on their own channels', async () => {
    stub.invoke.mockResolvedValue({ result: null });
    await bridge.exportTrace();
    await bridge.importTrace();
    await bridge.saveFile('report.xml', '<x/>');
    expect(stub.invoke).toHaveBeenCalledWith(IpcChannel.exportTrace);
    expect(stub.invoke).toHaveBeenCalledWith(IpcChannel.importTrace);
    expect(stub.invoke).toHaveBeenCalledWith(IpcChannel.saveFile, {
      defaultName: 'report.xml',
      content: '<x/>',
    });
  });

  it('delivers menu commands without the IPC event', () => {
    const handler = vi.fn();
    const off = bridge.onMenu(handler);
    const listener = [...stub.rendererListeners.get(IpcChannel.menu)!][0]!;
    listener({ sender: 'secret' }, { type: 'view', view: 'timeline' });
    expect(handler).toHaveBeenCalledWith({ type: 'view', view: 'timeline' });
    expect(handler.mock.calls[0]).toHaveLength(1);
    off();
    expect(stub.rendererListeners.get(IpcChannel.menu)!.size).toBe(0);
  });

  it('hands timeline batches from the port main sends to onBatch handlers, ArrayBuffers only', () => {
    const handler = vi.fn();
    const off = bridge.onBatch(handler);
    const portListener = [...stub.rendererListeners.get(IpcChannel.batchPort)!][0]!;
    const port = {
      onmessage: null as null | ((m: { data: unknown }) => void),
      start: vi.fn(),
      close: vi.fn(),
    };
    portListener({ ports: [port] });
    expect(port.start).toHaveBeenCalled();
    const buf = new ArrayBuffer(64);
    port.onmessage!({ data: buf });
    port.onmessage!({ data: 'not a batch' });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler).toHaveBeenCalledWith(buf);
    // A newer port replaces the old one.
    const port2 = { onmessage: null, start: vi.fn(), close: vi.fn() };
    portListener({ ports: [port2] });
    expect(port.close).toHaveBeenCalled();
    off();
    (port2.onmessage as unknown as (m: { data: unknown }) => void)({ data: buf });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
