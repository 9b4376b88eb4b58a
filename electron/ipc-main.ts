// Typed ipcMain for the bridge's channels (GitHub Desktop's ipc-main.ts, over the channel maps of
// protocol/bridge.ts): `handle` registers an invoke handler that runs only for a trusted sender — the
// sender check is here, once, not repeated in every handler; anything else gets FORBIDDEN and is
// logged. `send` pushes on a main → renderer channel with its payload type.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { BridgeReply, InvokeChannel, SendChannel, SendChannels } from '../protocol/bridge.js';

/** Whether an IPC message comes from our own page (security.ts createSenderCheck). */
export type SenderCheck = (event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>) => boolean;

/**
 * A handler of an invoke channel. `request` is what the page sent, unchecked (InvokeChannels says what
 * the preload sends; a compromised page may send anything).
 */
export type InvokeHandler = (request: unknown, event: IpcMainInvokeEvent) => Promise<BridgeReply>;

export interface TrustedIpcMain {
  /** ipcMain.handle(channel): the sender check first, then `handler`. */
  handle(channel: InvokeChannel, handler: InvokeHandler): void;
  /** The channels registered so far. */
  readonly channels: readonly InvokeChannel[];
  /** Removes every handler registered through this object. */
  removeAll(): void;
}

export const FORBIDDEN_REPLY: BridgeReply = {
  error: { code: 'FORBIDDEN', message: 'This page may not talk to the xpuscope service.' },
};

export function trustedIpcMain(
  isTrusted: SenderCheck,
  log: (line: string) => void = () => {},
): TrustedIpcMain {
  const channels: InvokeChannel[] = [];
  return {
    handle(channel, handler) {
      ipcMain.handle(channel, (event: IpcMainInvokeEvent, request: unknown): Promise<BridgeReply> => {
        if (!isTrusted(event)) {
          log(`refused ${channel} from an untrusted sender (${event.senderFrame?.url ?? 'no frame'})`);
          return Promise.resolve(FORBIDDEN_REPLY);
        }
        return handler(request, event);
      });
      channels.push(channel);
    },
    get channels() {
      return channels;
    },
    removeAll() {
      for (const channel of channels.splice(0)) ipcMain.removeHandler(channel);
    },
  };
}

/** webContents.send on a main → renderer channel, typed by SendChannels. */
export function send<C extends SendChannel>(
  contents: WebContents,
  channel: C,
  payload: SendChannels[C],
): void {
  contents.send(channel, payload);
}
