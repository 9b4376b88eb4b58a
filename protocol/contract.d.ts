import { z } from 'zod';
import type { DeviceList } from './devices.js';
/** Request/response methods: name → params and result. */
export interface Methods {
  /** Enumerate drivers and devices (never throws for "no GPU"; see DeviceList.problem). */
  'devices.list': {
    params: Record<string, never>;
    result: DeviceList;
  };
  /** Service identity, for the About box and the transport handshake. */
  'service.hello': {
    params: Record<string, never>;
    result: ServiceHello;
  };
}
export type MethodName = keyof Methods;
export type ParamsOf<M extends MethodName> = Methods[M]['params'];
export type ResultOf<M extends MethodName> = Methods[M]['result'];
export interface ServiceHello {
  name: 'xpuscope';
  version: string;
  protocol: number;
}
export declare const PROTOCOL_VERSION = 1;
/** Server → client pushes on the subscription channel. */
export interface Events {
  /** The service (re)started or its driver set changed: clients should re-query devices. */
  'service.state': {
    state: 'starting' | 'ready' | 'restarted' | 'failed';
    message?: string;
  };
}
export type EventName = keyof Events;
/** What every transport implements; the renderer depends on nothing else. */
export interface InspectorApi {
  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>>;
  /** Returns an unsubscribe function. */
  on<E extends EventName>(event: E, handler: (data: Events[E]) => void): () => void;
  /** Which transport this is, for diagnostics ("electron" | "websocket"). */
  readonly transport: string;
}
export declare const MAX_MESSAGE_BYTES: number;
/** Params schema per method: unknown methods and wrong params are rejected before dispatch. */
export declare const paramSchemas: {
  [M in MethodName]: z.ZodType<ParamsOf<M>>;
};
export declare const requestSchema: z.ZodObject<
  {
    id: z.ZodNumber;
    method: z.ZodString;
    params: z.ZodOptional<z.ZodUnknown>;
  },
  z.core.$strict
>;
export type Request = z.infer<typeof requestSchema>;
export interface ErrorPayload {
  code: string;
  message: string;
  hint?: string;
}
export type Response =
  | {
      id: number;
      result: unknown;
    }
  | {
      id: number;
      error: ErrorPayload;
    }
  | {
      event: string;
      data: unknown;
    };
export declare function isMethodName(name: string): name is MethodName;
