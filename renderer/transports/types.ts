// What the renderer needs from a transport beyond the InspectorApi contract: the connection's
// state (for the connection-error view) and a way to shut it down. Both transports implement it.
import type { ErrorPayload, InspectorApi } from '../../protocol/contract.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Failed attempts since the last successful open. */
  attempt: number;
  /** Why the connection is not open (last error), when known. */
  error?: string;
  /** Milliseconds until the next reconnect attempt, while reconnecting. */
  retryInMs?: number;
}

export interface RendererTransport extends InspectorApi {
  /** Current connection status; listeners get every change. Returns an unsubscribe function. */
  status(): ConnectionStatus;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  /** Reconnect now instead of waiting for the backoff timer (no-op when open). */
  retryNow(): void;
  close(): void;
}

/** A failed request: the service's error payload, or a transport failure (code DISCONNECTED, TIMEOUT…). */
export class ApiError extends Error implements ErrorPayload {
  readonly code: string;
  readonly hint?: string;

  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.name = 'ApiError';
    this.code = payload.code;
    if (payload.hint !== undefined) this.hint = payload.hint;
  }

  toPayload(): ErrorPayload {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Turns anything thrown into an ErrorPayload the views can show. */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof ApiError) return error.toPayload();
  if (error instanceof Error) return { code: 'CLIENT_ERROR', message: error.message };
  return { code: 'CLIENT_ERROR', message: String(error) };
}

/** Checks the shape of an error payload that came over the wire. */
export function isErrorPayload(value: unknown): value is ErrorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.code === 'string' &&
    typeof v.message === 'string' &&
    (v.hint === undefined || typeof v.hint === 'string')
  );
}

/** A tiny typed listener set shared by the transports. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  emit(value: T): void {
    for (const listener of [...this.set]) {
      try {
        listener(value);
      } catch (error) {
        // One broken view must not stop the others from hearing about it.
        console.warn('xpuscope: listener failed', error);
      }
    }
  }

  get size(): number {
    return this.set.size;
  }
}
