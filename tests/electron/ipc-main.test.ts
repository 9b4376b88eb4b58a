// The typed ipcMain wrapper: the sender check runs before every handler (untrusted → FORBIDDEN,
// logged, handler never called), the request reaches the handler as sent, removeAll unregisters.
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-stub.js')).electronStub);

import type { WebContents } from 'electron';
import { FORBIDDEN_REPLY, send, trustedIpcMain } from '../../electron/ipc-main.js';
import { IpcChannel } from '../../protocol/bridge.js';
import { resetStub, stub } from './electron-stub.js';

beforeEach(() => resetStub());

describe('trustedIpcMain', () => {
  it('runs the handler only for a trusted sender', async () => {
    const trusted = { sender: 'ours', senderFrame: { url: 'file:///app/index.html' } };
    const foreign = { sender: 'theirs', senderFrame: { url: 'https://evil.example/' } };
    const log = vi.fn();
    const ipc = trustedIpcMain((event) => event.sender === ('ours' as never), log);
    const handler = vi.fn(async (request: unknown, _event: unknown) => ({ result: request }));
    ipc.handle(IpcChannel.call, handler);
    const registered = stub.handlers.get(IpcChannel.call)!;

    await expect(registered(trusted, { method: 'devices.list' })).resolves.toEqual({
      result: { method: 'devices.list' },
    });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler.mock.calls[0]![1]).toBe(trusted);

    await expect(registered(foreign, { method: 'devices.list' })).resolves.toEqual(FORBIDDEN_REPLY);
    await expect(registered({ sender: 'ours', senderFrame: null }, {})).resolves.toEqual({
      result: {},
    });
    expect(handler).toHaveBeenCalledTimes(2);
    expect(log).toHaveBeenCalledWith(
      'refused xpuscope:call from an untrusted sender (https://evil.example/)',
    );
  });

  it('removes every handler it registered, and only those', () => {
    stub.handlers.set('someone-else', () => undefined);
    const ipc = trustedIpcMain(() => true);
    ipc.handle(IpcChannel.exportTrace, async () => ({ result: null }));
    ipc.handle(IpcChannel.importTrace, async () => ({ result: null }));
    expect(ipc.channels).toEqual([IpcChannel.exportTrace, IpcChannel.importTrace]);
    ipc.removeAll();
    expect([...stub.handlers.keys()]).toEqual(['someone-else']);
    expect(ipc.channels).toEqual([]);
  });

  it('send pushes on a main → renderer channel', () => {
    const contents = { send: vi.fn() };
    send(contents as unknown as WebContents, IpcChannel.menu, { type: 'export-trace' });
    expect(contents.send).toHaveBeenCalledWith(IpcChannel.menu, { type: 'export-trace' });
  });
});
