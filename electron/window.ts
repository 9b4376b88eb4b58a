// The main window and the IPC handlers it may use. Kept free of app-lifecycle code so tests can drive
// it with a stub `electron` module.
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { pathToFileURL } from 'node:url';
import { IpcChannel, type BridgeEvent, type BridgeReply } from './ipc.js';
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

/**
 * Registers the ipcMain handlers. Every handler first checks that the sender is the top frame of our
 * window showing our page; anything else is refused and logged. Returns an unregister function.
 */
export function registerIpc(
  getWindow: () => BrowserWindow | null,
  pageUrl: string,
  backend: IpcBackend,
  log: (line: string) => void = () => {},
): () => void {
  const isTrusted = createSenderCheck(getWindow, pageUrl);
  ipcMain.handle(
    IpcChannel.call,
    async (event: IpcMainInvokeEvent, request: unknown): Promise<BridgeReply> => {
      if (!isTrusted(event)) {
        log(`refused ${IpcChannel.call} from an untrusted sender (${event.senderFrame?.url ?? 'no frame'})`);
        return { error: { code: 'FORBIDDEN', message: 'This page may not talk to the xpuscope service.' } };
      }
      if (typeof request !== 'object' || request === null) {
        return { error: { code: 'INVALID_REQUEST', message: 'Expected { method, params }.' } };
      }
      const { method, params } = request as { method?: unknown; params?: unknown };
      if (typeof method !== 'string' || method.length === 0 || method.length > 64) {
        return { error: { code: 'INVALID_REQUEST', message: 'Expected a method name.' } };
      }
      // The service validates method and params against protocol/contract.ts.
      return backend.call(method, params ?? {});
    },
  );
  return () => ipcMain.removeHandler(IpcChannel.call);
}

/** Sends a service push to the window, if it is still there. */
export function forwardEvent(win: BrowserWindow | null, event: BridgeEvent): void {
  if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return;
  win.webContents.send(IpcChannel.event, event);
}
