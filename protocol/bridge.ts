// The desktop app's bridge between the page and Electron's main process, declared once for both
// sides: the preload (electron/preload.ts) builds `window.xpuscope` to this shape and main
// (electron/window.ts) answers its channels; the page (renderer/transports/electron.ts) uses it.
// Types and constants only (no Electron, no zod): the renderer imports it as it is.
import type { ErrorPayload } from './contract.js';

/** ipcMain/ipcRenderer channel names. */
export const IpcChannel = {
  /** renderer → main (invoke): one service request; answers a BridgeReply. */
  call: 'xpuscope:call',
  /** main → renderer (send): one service push, { event, data }. */
  event: 'xpuscope:event',
  /**
   * main → renderer (webContents.postMessage with one MessagePort): the port on which the utility
   * process posts timeline batches (encodeBatch ArrayBuffers, one message per batch) straight to the page.
   */
  batchPort: 'xpuscope:batch-port',
  /** main → renderer (send): an application-menu command (MenuCommand). */
  menu: 'xpuscope:menu',
  /** renderer → main (invoke): save dialog, then trace.export { path }; answers a BridgeReply (null result: cancelled). */
  exportTrace: 'xpuscope:export-trace',
  /** renderer → main (invoke): open dialog, then trace.import { path }; answers a BridgeReply (null: cancelled). */
  importTrace: 'xpuscope:import-trace',
  /** renderer → main (invoke): { defaultName, content } → save dialog, write; answers the path (null: cancelled). */
  saveFile: 'xpuscope:save-file',
} as const;
export type IpcChannelName = (typeof IpcChannel)[keyof typeof IpcChannel];

/** Argument of IpcChannel.call. */
export interface CallRequest {
  method: string;
  params: unknown;
}

/** Answer of every invoke channel: errors travel as data (thrown errors lose their fields over IPC). */
export type BridgeReply = { result: unknown } | { error: ErrorPayload };

/** Payload of IpcChannel.event: a service push (the EventMessage envelope, untyped across the bridge). */
export interface BridgeEvent {
  event: string;
  data: unknown;
}

/** Argument of IpcChannel.saveFile. */
export interface SaveFileRequest {
  defaultName: string;
  content: string;
}

/** An application-menu command for the page. */
export type MenuCommand =
  | { type: 'view'; view: string }
  | { type: 'export-trace' }
  | { type: 'import-trace' }
  /** File › Connect to Server…: the page opens its servers panel (a remote `xpuscope serve`). */
  | { type: 'connect-server' };

/**
 * renderer → main invoke channels: what the preload sends (`request`, absent for none) and what main
 * answers. Main's handlers (electron/ipc-main.ts) take the request as `unknown` and check it: a
 * compromised page may send anything.
 */
export interface InvokeChannels {
  [IpcChannel.call]: { request: CallRequest; reply: BridgeReply };
  [IpcChannel.exportTrace]: { request: undefined; reply: BridgeReply };
  [IpcChannel.importTrace]: { request: undefined; reply: BridgeReply };
  [IpcChannel.saveFile]: { request: SaveFileRequest; reply: BridgeReply };
}
export type InvokeChannel = keyof InvokeChannels;

/** main → renderer channels (webContents.send) and their payload. */
export interface SendChannels {
  [IpcChannel.event]: BridgeEvent;
  [IpcChannel.menu]: MenuCommand;
}
export type SendChannel = keyof SendChannels;

/** What the preload exposes to the page as `window[BRIDGE_KEY]`. */
export interface XpuscopeBridge {
  readonly version: 1;
  call(method: string, params: unknown): Promise<BridgeReply>;
  /** Subscribes to service pushes; returns an unsubscribe function. */
  onEvent(handler: (message: BridgeEvent) => void): () => void;
  /** Timeline batches (encodeBatch ArrayBuffers) arriving on the service's MessagePort. */
  onBatch(handler: (data: ArrayBuffer) => void): () => void;
  /** Commands from the application menu. */
  onMenu(handler: (command: MenuCommand) => void): () => void;
  /** Save dialog in main, then trace.export { path }; result null when cancelled. */
  exportTrace(): Promise<BridgeReply>;
  /** Open dialog in main, then trace.import { path }; result null when cancelled. */
  importTrace(): Promise<BridgeReply>;
  /** Save dialog in main, then writes `content` (UTF-8); result: the path, or null when cancelled. */
  saveFile(defaultName: string, content: string): Promise<BridgeReply>;
}

/** Name under which the bridge is exposed (`contextBridge.exposeInMainWorld`): `window.xpuscope`. */
export const BRIDGE_KEY = 'xpuscope';
