// The main window and the IPC handlers it may use. Kept free of app-lifecycle code so tests can drive
// it with a stub `electron` module.
import { BrowserWindow } from 'electron';
import { pathToFileURL } from 'node:url';
import { IpcChannel, type BridgeEvent, type BridgeReply, type MenuCommand } from '../protocol/bridge.js';
import { send, trustedIpcMain } from './ipc-main.js';
import { createSenderCheck, hardenWebContents, windowOptions } from './security.js';

export interface MainWindowOptions {
  preloadPath: string;
  /** Absolute path of dist/renderer/index.html. */
  indexPath: string;
  log?: (line: string) => void;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow(windowOptions(options.preloadPath));
  hardenWebContents(win.webContents, options.log);
  win.once('ready-to-show', () => win.show());
  void win.loadFile(options.indexPath);
  return win;
}

/** The URL our page has when loaded by createMainWindow (what the sender check expects). */
export function pageUrlOf(indexPath: string): string {
  return pathToFileURL(indexPath).href;
}

export interface IpcBackend {
  call(method: string, params: unknown): Promise<BridgeReply>;
}

/** Native dialogs and file writing, injected so tests can drive them (main passes Electron's). */
export interface FileDialogs {
  /** Resolves with the chosen path, or null when cancelled. */
  save(options: {
    title: string;
    defaultName: string;
    filters: { name: string; extensions: string[] }[];
  }): Promise<string | null>;
  open(options: { title: string; filters: { name: string; extensions: string[] }[] }): Promise<string | null>;
  writeFile(path: string, content: string): Promise<void>;
}

/** Longest text the page may ask main to save (diagnostics reports are far smaller). */
export const MAX_SAVE_CHARS = 32 * 1024 * 1024;

/** File names the page may suggest: a plain name, no directories. */
function safeName(name: unknown, fallback: string): string {
  if (typeof name !== 'string') return fallback;
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^A-Za-z0-9._ -]/g, '_').slice(0, 128);
  return clean && clean !== '.' && clean !== '..' ? clean : fallback;
}

/**
 * Registers the ipcMain handlers. Every handler runs behind the sender check (ipc-main.ts): only the
 * top frame of our window showing our page gets through; anything else is refused and logged.
 * Returns an unregister function.
 */
export function registerIpc(
  getWindow: () => BrowserWindow | null,
  pageUrl: string,
  backend: IpcBackend,
  log: (line: string) => void = () => {},
  files?: FileDialogs,
): () => void {
  const ipc = trustedIpcMain(createSenderCheck(getWindow, pageUrl), log);
  if (files) {
    const failed = (what: string, error: unknown): BridgeReply => ({
      error: {
        code: 'FILE_ERROR',
        message: `${what}: ${error instanceof Error ? error.message : String(error)}`,
      },
    });
    ipc.handle(IpcChannel.exportTrace, async (): Promise<BridgeReply> => {
      const path = await files.save({
        title: 'Export trace',
        defaultName: 'xpuscope-trace.json',
        filters: [{ name: 'Chrome Trace JSON', extensions: ['json'] }],
      });
      if (path === null) return { result: null };
      return backend.call('trace.export', { path });
    });
    ipc.handle(IpcChannel.importTrace, async (): Promise<BridgeReply> => {
      const path = await files.open({
        title: 'Import trace',
        filters: [
          { name: 'Traces (unitrace, PyTorch, Chrome, xpuscope)', extensions: ['json', 'gz'] },
          { name: 'All files', extensions: ['*'] },
        ],
      });
      if (path === null) return { result: null };
      return backend.call('trace.import', { path });
    });
    ipc.handle(IpcChannel.saveFile, async (request): Promise<BridgeReply> => {
      const r = (typeof request === 'object' && request !== null ? request : {}) as {
        defaultName?: unknown;
        content?: unknown;
      };
      if (typeof r.content !== 'string' || r.content.length > MAX_SAVE_CHARS) {
        return {
          error: {
            code: 'INVALID_REQUEST',
            message: 'Expected { defaultName, content } with text content.',
          },
        };
      }
      const name = safeName(r.defaultName, 'xpuscope-report.txt');
      const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : 'txt';
      const path = await files.save({
        title: 'Save',
        defaultName: name,
        filters: [{ name: ext.toUpperCase(), extensions: [ext] }],
      });
      if (path === null) return { result: null };
      try {
        await files.writeFile(path, r.content);
      } catch (error) {
        return failed(`Could not write ${path}`, error);
      }
      return { result: path };
    });
  }
  ipc.handle(IpcChannel.call, async (request): Promise<BridgeReply> => {
    if (typeof request !== 'object' || request === null) {
      return { error: { code: 'INVALID_REQUEST', message: 'Expected { method, params }.' } };
    }
    const { method, params } = request as { method?: unknown; params?: unknown };
    if (typeof method !== 'string' || method.length === 0 || method.length > 64) {
      return { error: { code: 'INVALID_REQUEST', message: 'Expected a method name.' } };
    }
    // File paths reach the service only from main's own dialogs (the export/import channels): the
    // page may not name files itself, or a compromised page could read or write any user file.
    if (
      (method === 'trace.export' || method === 'trace.import') &&
      typeof params === 'object' &&
      params !== null &&
      'path' in params
    ) {
      log(`refused ${method} with a file path from the page`);
      return {
        error: {
          code: 'FORBIDDEN',
          message: `${method} with a file path may only come from the app's own file dialog.`,
          hint: 'Use File → Export Trace / Import Trace.',
        },
      };
    }
    // The service validates method and params against protocol/schemas.ts.
    return backend.call(method, params ?? {});
  });
  return () => ipc.removeAll();
}

/** Sends an application-menu command to the window, if it is still there. */
export function sendMenuCommand(win: BrowserWindow | null, command: MenuCommand): void {
  if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return;
  send(win.webContents, IpcChannel.menu, command);
}

/** Sends a service push to the window, if it is still there. */
export function forwardEvent(win: BrowserWindow | null, event: BridgeEvent): void {
  if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return;
  send(win.webContents, IpcChannel.event, event);
}
