// A scriptable RendererTransport for store tests.
import type { EventName, Events, MethodName, ParamsOf, ResultOf } from '../../protocol/contract.js';
import { Listeners, type ConnectionStatus, type RendererTransport } from '../../renderer/transports/types.js';

export class FakeTransport implements RendererTransport {
  readonly transport = 'fake';
  current: ConnectionStatus;
  readonly calls: { method: string; params: unknown }[] = [];
  answer: (method: string) => Promise<unknown> = () => Promise.reject(new Error('no answer scripted'));
  retries = 0;
  private readonly statusListeners = new Listeners<ConnectionStatus>();
  private readonly events = new Map<string, Listeners<unknown>>();

  constructor(state: ConnectionStatus['state'] = 'connecting') {
    this.current = { state, attempt: 0 };
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    this.calls.push({ method, params });
    return this.answer(method) as Promise<ResultOf<M>>;
  }
  on<E extends EventName>(event: E, handler: (data: Events[E]) => void): () => void {
    let set = this.events.get(event);
    if (!set) this.events.set(event, (set = new Listeners<unknown>()));
    return set.add(handler as (data: unknown) => void);
  }
  push<E extends EventName>(event: E, data: Events[E]): void {
    this.events.get(event)?.emit(data);
  }
  status(): ConnectionStatus {
    return this.current;
  }
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.statusListeners.add(listener);
  }
  setStatus(status: ConnectionStatus): void {
    this.current = status;
    this.statusListeners.emit(status);
  }
  retryNow(): void {
    this.retries++;
  }
  close(): void {}
}
