// The application menu template and the dialog-backed IPC channels: every handler checks the sender
// first; dialogs cancelled → null results; paths chosen in main go to the service, never from the page.
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-stub.js')).electronStub);

import { join } from 'node:path';
import type { BrowserWindow, MenuItemConstructorOptions } from 'electron';
import { IpcChannel } from '../../protocol/bridge.js';
import { aboutDetail, MENU_VIEWS, menuTemplate } from '../../electron/menu.js';
import {
  createMainWindow,
  pageUrlOf,
  registerIpc,
  sendMenuCommand,
  type FileDialogs,
} from '../../electron/window.js';
import { FakeWebContents, resetStub, stub, type FakeBrowserWindow } from './electron-stub.js';

const indexPath = join('/app', 'dist', 'renderer', 'index.html');

function setup() {
  createMainWindow({ preloadPath: '/app/preload.cjs', indexPath });
  const win = stub.windows[0]!;
  const backend = {
    call: vi.fn(async (method: string, params: unknown) => ({ result: { method, params } })),
  };
  const files: FileDialogs & { saved: [string, string][] } = {
    saved: [],
    save: vi.fn(async () => stub.nextSavePath),
    open: vi.fn(async () => stub.nextOpenPath),
    writeFile: vi.fn(async (path: string, content: string) => {
      files.saved.push([path, content]);
    }),
  };
  const log = vi.fn();
  const off = registerIpc(() => win as unknown as BrowserWindow, pageUrlOf(indexPath), backend, log, files);
  return { win, backend, files, log, off };
}
const own = (win: FakeBrowserWindow) => ({ sender: win.webContents, senderFrame: win.webContents.mainFrame });
const foreign = () => {
  const c = new FakeWebContents(pageUrlOf(indexPath));
  return { sender: c, senderFrame: c.mainFrame };
};

beforeEach(() => resetStub());

describe('menu', () => {
  it('has File export/import and Connect to Server, one View entry per page view, and About', () => {
    const send = vi.fn();
    const about = vi.fn();
    const template = menuTemplate({ send, about });
    const find = (id: string): MenuItemConstructorOptions | undefined =>
      template.flatMap((m) => (Array.isArray(m.submenu) ? m.submenu : [])).find((i) => i.id === id);
    (find('export-trace')!.click as () => void)();
    (find('import-trace')!.click as () => void)();
    expect(send).toHaveBeenCalledWith({ type: 'export-trace' });
    expect(send).toHaveBeenCalledWith({ type: 'import-trace' });
    (find('connect-server')!.click as () => void)();
    expect(send).toHaveBeenCalledWith({ type: 'connect-server' });
    for (const [i, v] of MENU_VIEWS.entries()) {
      const item = find(`view-${v.id}`)!;
      expect(item.accelerator).toBe(`Alt+${i + 1}`);
      (item.click as () => void)();
      expect(send).toHaveBeenCalledWith({ type: 'view', view: v.id });
    }
    (find('about')!.click as () => void)();
    expect(about).toHaveBeenCalled();
    expect(menuTemplate({ send, about, isMac: true })[0]).toEqual({ role: 'appMenu' });
  });

  it('about text names the version and the license', () => {
    const text = aboutDetail('1.2.3', { electron: '45.0.0', chrome: '140', node: '22' });
    expect(text).toContain('Version 1.2.3');
    expect(text).toMatch(/License: MIT/);
  });

  it('menu commands go to the window only while it exists', () => {
    const { win } = setup();
    sendMenuCommand(win as unknown as BrowserWindow, { type: 'view', view: 'timeline' });
    expect(win.webContents.send).toHaveBeenCalledWith(IpcChannel.menu, { type: 'view', view: 'timeline' });
    win.destroyed = true;
    sendMenuCommand(win as unknown as BrowserWindow, { type: 'export-trace' });
    expect(win.webContents.send).toHaveBeenCalledTimes(1);
  });
});

describe('dialog-backed IPC channels', () => {
  it('registers every channel and removes them all', () => {
    const { off } = setup();
    for (const c of [IpcChannel.call, IpcChannel.exportTrace, IpcChannel.importTrace, IpcChannel.saveFile])
      expect(stub.handlers.has(c)).toBe(true);
    off();
    expect(stub.handlers.size).toBe(0);
  });

  it('refuses foreign senders on every channel before any dialog opens', async () => {
    const { files, backend, log } = setup();
    for (const c of [IpcChannel.exportTrace, IpcChannel.importTrace, IpcChannel.saveFile]) {
      const reply = await stub.handlers.get(c)!(foreign(), { defaultName: 'x.json', content: '{}' });
      expect(reply).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect(files.save).not.toHaveBeenCalled();
    expect(files.open).not.toHaveBeenCalled();
    expect(backend.call).not.toHaveBeenCalled();
    expect(log).toHaveBeenCalledWith(expect.stringContaining('untrusted sender'));
  });

  it('export: save dialog, then trace.export with the chosen path; cancel → null', async () => {
    const { win, backend } = setup();
    const h = stub.handlers.get(IpcChannel.exportTrace)!;
    expect(await h(own(win))).toEqual({ result: null });
    expect(backend.call).not.toHaveBeenCalled();
    stub.nextSavePath = '/home/u/trace.json';
    expect(await h(own(win))).toEqual({
      result: { method: 'trace.export', params: { path: '/home/u/trace.json' } },
    });
  });

  it('the page cannot name files itself: trace.export/import with a path over the call channel are refused', async () => {
    const { win, backend } = setup();
    const call = stub.handlers.get(IpcChannel.call)!;
    for (const method of ['trace.export', 'trace.import']) {
      const reply = await call(own(win), { method, params: { path: '/home/u/.ssh/id_rsa' } });
      expect(reply).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect(backend.call).not.toHaveBeenCalled();
    // Without a path (e.g. an upload id) the request goes through to the service's own validation.
    await call(own(win), { method: 'trace.export', params: {} });
    expect(backend.call).toHaveBeenCalledWith('trace.export', {});
  });

  it('import: open dialog, then trace.import with the chosen path', async () => {
    const { win, backend } = setup();
    stub.nextOpenPath = '/home/u/unitrace.json';
    await stub.handlers.get(IpcChannel.importTrace)!(own(win));
    expect(backend.call).toHaveBeenCalledWith('trace.import', { path: '/home/u/unitrace.json' });
  });

  it('save: writes the text where the user chose, with a sanitised suggested name', async () => {
    const { win, files } = setup();
    const h = stub.handlers.get(IpcChannel.saveFile)!;
    stub.nextSavePath = '/home/u/diag.xml';
    expect(await h(own(win), { defaultName: '../../etc/passwd', content: '<x/>' })).toEqual({
      result: '/home/u/diag.xml',
    });
    expect((files.save as ReturnType<typeof vi.fn>).mock.calls[0]![0]).toMatchObject({
      defaultName: 'passwd',
    });
    expect(files.saved).toEqual([['/home/u/diag.xml', '<x/>']]);
    expect(await h(own(win), { defaultName: 'a.json', content: 42 })).toMatchObject({
      error: { code: 'INVALID_REQUEST' },
    });
  });
});
