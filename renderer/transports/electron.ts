// InspectorApi over the bridge that electron/preload.ts exposes as `window.xpuscope`. The preload
// forwards calls to the main process (ipcRenderer.invoke), which relays them to the service in the
// utility process; pushes come back through `onEvent`. This file only knows the bridge's shape
// (protocol/bridge.ts, the same declaration the preload implements).
import { BRIDGE_KEY, type BridgeEvent, type XpuscopeBridge } from '../../protocol/bridge.js';
import type { EventName, Events, MethodName, ParamsOf, ResultOf } from '../../protocol/contract.js';
import {
  ApiError,
  isErrorPayload,
  Listeners,
  type ConnectionStatus,
  type RendererTransport,
} from './types.js';

export type { BridgeEvent, BridgeReply, MenuCommand, XpuscopeBridge } from '../../protocol/bridge.js';

/** The bridge, when this page runs in the xpuscope Electron window. */
export function findBridge(scope: unknown = globalThis): XpuscopeBridge | undefined {
  const candidate = (scope as Record<string, unknown>)[BRIDGE_KEY];
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const b = candidate as Partial<XpuscopeBridge>;
  return b.version === 1 && typeof b.call === 'function' && typeof b.onEvent === 'function'
    ? (candidate as XpuscopeBridge)
    : undefined;
}

export class ElectronTransport implements RendererTransport {
  readonly transport = 'electron';

  private readonly events = new Map<string, Listeners<unknown>>();
  private readonly statusListeners = new Listeners<ConnectionStatus>();
  private current: ConnectionStatus = { state: 'open', attempt: 0 };
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly bridge: XpuscopeBridge) {
    const offEvents = bridge.onEvent((message) => this.receive(message));
    // Older or stand-in bridges may lack the batch port; pushes then carry no timeline batches.
    const onBatch = (bridge as Partial<XpuscopeBridge>).onBatch;
    const offBatches =
      typeof onBatch === 'function'
        ? onBatch.call(bridge, (data) => this.events.get('timeline.batch')?.emit(data))
        : () => {};
    this.unsubscribe = () => {
      offEvents();
      offBatches();
    };
  }

  async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    if (this.closed) throw new ApiError({ code: 'CLOSED', message: 'The connection was closed' });
    let reply: unknown;
    try {
      reply = await this.bridge.call(method, params);
    } catch (error) {
      throw new ApiError({
        code: 'IPC_FAILED',
        message: `The call ${method} failed in the Electron bridge: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    if (typeof reply === 'object' && reply !== null) {
      const r = reply as Record<string, unknown>;
      if ('error' in r) {
        throw new ApiError(
          isErrorPayload(r.error)
            ? r.error
            : { code: 'PROTOCOL', message: 'The service sent a malformed error' },
        );
      }
      if ('result' in r) return r.result as ResultOf<M>;
    }
    throw new ApiError({ code: 'PROTOCOL', message: 'The service sent a response without a result' });
  }

  on<E extends EventName>(event: E, handler: (data: Events[E]) => void): () => void {
    let set = this.events.get(event);
    if (!set) {
      set = new Listeners<unknown>();
      this.events.set(event, set);
    }
    return set.add(handler as (data: unknown) => void);
  }

  status(): ConnectionStatus {
    return this.current;
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.statusListeners.add(listener);
  }

  retryNow(): void {
    // The main process restarts the service on its own; nothing to do from here.
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.setStatus({ state: 'closed', attempt: 0 });
  }

  private receive(message: BridgeEvent): void {
    if (typeof message !== 'object' || message === null || typeof message.event !== 'string') return;
    if (message.event === 'service.state') {
      const data = message.data as Partial<Events['service.state']> | undefined;
      if (data?.state === 'failed') {
        this.setStatus({
          state: 'reconnecting',
          attempt: this.current.attempt + 1,
          error: data.message ?? 'The xpuscope service stopped; restarting it',
        });
      } else if (data?.state === 'ready' || data?.state === 'restarted') {
        this.setStatus({ state: 'open', attempt: 0 });
      }
    }
    this.events.get(message.event)?.emit(message.data);
  }

  private setStatus(status: ConnectionStatus): void {
    this.current = status;
    this.statusListeners.emit(status);
  }
}
