// Preload (sandboxed: bundled to one CommonJS file, dist/electron/preload.cjs). Exposes a narrow API
// as `window.xpuscope`: call a service method, subscribe to service pushes, timeline batches (from a
// MessagePort main hands over) and menu commands, and the three dialog-backed file actions. Nothing
// else of Electron or Node reaches the page; the IpcRendererEvent and the port are never handed out.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  BRIDGE_KEY,
  IpcChannel,
  type BridgeEvent,
  type BridgeReply,
  type InvokeChannel,
  type InvokeChannels,
  type MenuCommand,
  type XpuscopeBridge,
} from '../protocol/bridge.js';

/** ipcRenderer.invoke typed by InvokeChannels (a channel without a request sends no argument). */
function invoke<C extends InvokeChannel>(
  channel: C,
  ...request: InvokeChannels[C]['request'] extends undefined ? [] : [InvokeChannels[C]['request']]
): Promise<InvokeChannels[C]['reply']> {
  return ipcRenderer.invoke(channel, ...request) as Promise<InvokeChannels[C]['reply']>;
}

const batchHandlers = new Set<(data: ArrayBuffer) => void>();
let batchPort: MessagePort | null = null;

// main sends a fresh port after every page load and service restart; the newest one wins.
ipcRenderer.on(IpcChannel.batchPort, (event: IpcRendererEvent) => {
  const port = event.ports[0];
  if (!port) return;
  batchPort?.close();
  batchPort = port;
  port.onmessage = (message: MessageEvent) => {
    const data: unknown = message.data;
    if (!(data instanceof ArrayBuffer)) return;
    for (const handler of [...batchHandlers]) handler(data);
  };
  port.start();
});

const bridge: XpuscopeBridge = {
  version: 1,
  call(method: string, params: unknown): Promise<BridgeReply> {
    return invoke(IpcChannel.call, { method: String(method), params });
  },
  onEvent(handler: (message: BridgeEvent) => void): () => void {
    const listener = (_event: IpcRendererEvent, message: BridgeEvent) => handler(message);
    ipcRenderer.on(IpcChannel.event, listener);
    return () => {
      ipcRenderer.removeListener(IpcChannel.event, listener);
    };
  },
  onBatch(handler: (data: ArrayBuffer) => void): () => void {
    batchHandlers.add(handler);
    return () => {
      batchHandlers.delete(handler);
    };
  },
  onMenu(handler: (command: MenuCommand) => void): () => void {
    const listener = (_event: IpcRendererEvent, command: MenuCommand) => handler(command);
    ipcRenderer.on(IpcChannel.menu, listener);
    return () => {
      ipcRenderer.removeListener(IpcChannel.menu, listener);
    };
  },
  exportTrace(): Promise<BridgeReply> {
    return invoke(IpcChannel.exportTrace);
  },
  importTrace(): Promise<BridgeReply> {
    return invoke(IpcChannel.importTrace);
  },
  saveFile(defaultName: string, content: string): Promise<BridgeReply> {
    return invoke(IpcChannel.saveFile, { defaultName: String(defaultName), content: String(content) });
  },
};

contextBridge.exposeInMainWorld(BRIDGE_KEY, bridge);
