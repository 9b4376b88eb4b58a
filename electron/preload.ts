// Preload (sandboxed: bundled to one CommonJS file, dist/electron/preload.cjs). Exposes a narrow API
// as `window.xpuscope`: call a service method, subscribe to service pushes. Nothing else of Electron
// or Node reaches the page; the IpcRendererEvent is never handed out.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_KEY, IpcChannel, type BridgeEvent, type BridgeReply, type XpuscopeBridge } from './ipc.js';

const bridge: XpuscopeBridge = {
  version: 1,
  call(method: string, params: unknown): Promise<BridgeReply> {
    return ipcRenderer.invoke(IpcChannel.call, { method: String(method), params }) as Promise<BridgeReply>;
  },
  onEvent(handler: (message: BridgeEvent) => void): () => void {
    const listener = (_event: IpcRendererEvent, message: BridgeEvent) => handler(message);
    ipcRenderer.on(IpcChannel.event, listener);
    return () => {
      ipcRenderer.removeListener(IpcChannel.event, listener);
    };
  },
};

contextBridge.exposeInMainWorld(BRIDGE_KEY, bridge);
