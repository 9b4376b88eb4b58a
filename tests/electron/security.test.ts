// Window hardening: options, CSP, navigation/window.open/permissions denied, IPC sender check.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-stub.js')).electronStub);

import type { BrowserWindow, Session, WebContents } from 'electron';
import { IpcChannel } from '../../protocol/bridge.js';
import {
  createSenderCheck,
  hardenSession,
  hardenWebContents,
  RENDERER_CSP,
  windowOptions,
} from '../../electron/security.js';
import { createMainWindow, pageUrlOf, registerIpc } from '../../electron/window.js';
import {
  electronStub,
  FakeFrame,
  FakeWebContents,
  resetStub,
  stub,
  type FakeBrowserWindow,
} from './electron-stub.js';

const root = join(import.meta.dirname, '..', '..');
const indexPath = join(root, 'dist', 'renderer', 'index.html');

function preventable() {
  return { preventDefault: vi.fn() };
}

beforeEach(() => resetStub());

describe('main window', () => {
  it('is sandboxed, context-isolated, without Node, with web security', () => {
    const prefs = windowOptions('/app/preload.cjs').webPreferences!;
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.preload).toBe('/app/preload.cjs');
  });

  it('createMainWindow uses those options, loads dist/renderer/index.html and denies window.open', () => {
    createMainWindow({ preloadPath: '/app/preload.cjs', indexPath });
    expect(stub.windows).toHaveLength(1);
    const win = stub.windows[0]!;
    expect(win.options).toEqual(windowOptions('/app/preload.cjs'));
    expect(win.loadFile).toHaveBeenCalledWith(indexPath);
    expect(win.webContents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });
});

describe('content security policy', () => {
  it('forbids inline and eval script and allows only same-origin connections', () => {
    expect(RENDERER_CSP).toContain("default-src 'none'");
    expect(RENDERER_CSP).toContain("script-src 'self'");
    expect(RENDERER_CSP).toContain("connect-src 'self'");
    expect(RENDERER_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('matches the meta tag in renderer/index.html', () => {
    const html = readFileSync(join(root, 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(RENDERER_CSP);
  });

  it('is added to every response by the session', () => {
    hardenSession(electronSession());
    const callback = vi.fn();
    stub.session.headersReceived!({ responseHeaders: { 'X-Other': ['1'] } }, callback);
    expect(callback).toHaveBeenCalledWith({
      responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [RENDERER_CSP] },
    });
  });
});

describe('navigation, new windows and permissions', () => {
  it('denies navigation, redirects, webviews and window.open', () => {
    const contents = new FakeWebContents();
    const log = vi.fn();
    hardenWebContents(contents as unknown as WebContents, log);
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const event = preventable();
      contents.emit(name, event, 'https://evil.example/');
      expect(event.preventDefault, name).toHaveBeenCalled();
    }
    expect(contents.windowOpenHandler?.({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(log).toHaveBeenCalledWith(expect.stringContaining('blocked navigation to https://evil.example/'));
  });

  it('denies every permission request and check', () => {
    hardenSession(electronSession());
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      const callback = vi.fn();
      stub.session.permissionRequestHandler!(null, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect(stub.session.permissionCheckHandler!(null, permission)).toBe(false);
    }
  });
});

describe('IPC sender check', () => {
  function setup() {
    createMainWindow({ preloadPath: '/app/preload.cjs', indexPath });
    const win = stub.windows[0]!;
    const backend = { call: vi.fn(async () => ({ result: 'ok' })) };
    const log = vi.fn();
    registerIpc(() => win as unknown as BrowserWindow, pageUrlOf(indexPath), backend, log);
    const handler = stub.handlers.get(IpcChannel.call)!;
    return { win, backend, log, handler };
  }
  const ownEvent = (win: FakeBrowserWindow) => ({
    sender: win.webContents,
    senderFrame: win.webContents.mainFrame,
  });

  it('accepts our own page and forwards the call', async () => {
    const { win, backend, handler } = setup();
    await expect(handler(ownEvent(win), { method: 'devices.list', params: {} })).resolves.toEqual({
      result: 'ok',
    });
    expect(backend.call).toHaveBeenCalledWith('devices.list', {});
  });

  it('rejects a foreign web contents', async () => {
    const { backend, handler, log } = setup();
    const foreign = new FakeWebContents(pageUrlOf(indexPath));
    const reply = await handler(
      { sender: foreign, senderFrame: foreign.mainFrame },
      { method: 'devices.list', params: {} },
    );
    expect(reply).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(backend.call).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('untrusted sender'));
  });

  it('rejects a subframe, another URL and a missing frame of our own window', async () => {
    const { win, backend, handler } = setup();
    const sub = new FakeFrame(pageUrlOf(indexPath), win.webContents.mainFrame);
    const cases = [
      { sender: win.webContents, senderFrame: sub },
      { sender: win.webContents, senderFrame: null },
    ];
    for (const event of cases) {
      expect(await handler(event, { method: 'devices.list', params: {} })).toMatchObject({
        error: { code: 'FORBIDDEN' },
      });
    }
    win.webContents.mainFrame.url = 'https://evil.example/';
    expect(await handler(ownEvent(win), { method: 'devices.list', params: {} })).toMatchObject({
      error: { code: 'FORBIDDEN' },
    });
    expect(backend.call).not.toHaveBeenCalled();
  });

  it('ignores query and fragment of our page but not the path', () => {
    const contents = new FakeWebContents(`${pageUrlOf(indexPath)}?x=1#devices`);
    const win = { isDestroyed: () => false, webContents: contents } as unknown as BrowserWindow;
    const check = createSenderCheck(() => win, pageUrlOf(indexPath));
    expect(check({ sender: contents, senderFrame: contents.mainFrame } as never)).toBe(true);
    contents.mainFrame.url = pageUrlOf(join(root, 'dist', 'renderer', 'other.html'));
    expect(check({ sender: contents, senderFrame: contents.mainFrame } as never)).toBe(false);
  });

  it('rejects everything once the window is gone', async () => {
    const { win, handler, backend } = setup();
    win.destroyed = true;
    expect(await handler(ownEvent(win), { method: 'devices.list', params: {} })).toMatchObject({
      error: { code: 'FORBIDDEN' },
    });
    expect(backend.call).not.toHaveBeenCalled();
  });

  it('rejects malformed requests from our own page', async () => {
    const { win, handler, backend } = setup();
    expect(await handler(ownEvent(win), 'devices.list')).toMatchObject({
      error: { code: 'INVALID_REQUEST' },
    });
    expect(await handler(ownEvent(win), { method: 7 })).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    expect(backend.call).not.toHaveBeenCalled();
  });
});

function electronSession(): Session {
  // The stub's defaultSession, typed as Electron's.
  return electronStub.session.defaultSession as unknown as Session;
}
