// The one list of IPC channels and message shapes between main, preload and the utility process.
// Renderer code never imports this file (it runs in the page); renderer/transports/electron.ts
// declares the same XpuscopeBridge shape and tests/electron/bridge-contract.test.ts checks they agree.
import type { ErrorPayload } from '../protocol/contract.js';

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

/** Answer of IpcChannel.call: errors travel as data (thrown errors lose their fields over IPC). */
export type BridgeReply = { result: unknown } | { error: ErrorPayload };

/** Payload of IpcChannel.event. */
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
  { type: 'view'; view: string } | { type: 'export-trace' } | { type: 'import-trace' };

/** Typed map of invoke channels: argument and answer. */
export interface InvokeChannels {
  [IpcChannel.call]: { request: CallRequest; reply: BridgeReply };
  [IpcChannel.exportTrace]: { request: undefined; reply: BridgeReply };
  [IpcChannel.importTrace]: { request: undefined; reply: BridgeReply };
  [IpcChannel.saveFile]: { request: SaveFileRequest; reply: BridgeReply };
}
/** Typed map of main → renderer channels. */
export interface SendChannels {
  [IpcChannel.event]: BridgeEvent;
  [IpcChannel.menu]: MenuCommand;
  /** Carries no data, only the port in `event.ports[0]`. */
  [IpcChannel.batchPort]: null;
}

/** What the preload exposes to the page as `window.xpuscope` (see renderer/transports/electron.ts). */
export interface XpuscopeBridge {
  readonly version: 1;
  call(method: string, params: unknown): Promise<BridgeReply>;
  onEvent(handler: (message: BridgeEvent) => void): () => void;
  onBatch(handler: (data: ArrayBuffer) => void): () => void;
  onMenu(handler: (command: MenuCommand) => void): () => void;
  exportTrace(): Promise<BridgeReply>;
  importTrace(): Promise<BridgeReply>;
  saveFile(defaultName: string, content: string): Promise<BridgeReply>;
}

/** Name under which the bridge is exposed (`contextBridge.exposeInMainWorld`). */
export const BRIDGE_KEY = 'xpuscope';

// ---- main ↔ utility process (MessagePort) ----

/** First message main sends the utility process, with the service's MessagePort attached. */
export interface UtilityInit {
  type: 'xpuscope:init';
}
export const UTILITY_INIT: UtilityInit = { type: 'xpuscope:init' };
/** Later messages main sends the utility process: a fresh port for the page's timeline batches. */
export interface UtilityBatchPort {
  type: 'xpuscope:batch-port';
}
export const UTILITY_BATCH_PORT: UtilityBatchPort = { type: 'xpuscope:batch-port' };
// After init, main posts wire requests { id, method, params } on the port; the utility answers each
// with { id, result } | { id, error } and posts pushes { event, data } (protocol/contract.ts Response).

/** Env var naming the driver request for the utility process (the runtime reads it too). */
export const DRIVER_ENV = 'XPUSCOPE_DRIVER';
/** Env var with the absolute path of the simulated driver library. */
export const SIM_DRIVER_ENV = 'XPUSCOPE_SIM_DRIVER';
