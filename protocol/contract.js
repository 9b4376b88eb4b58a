// The one typed contract between the renderer and the service, whatever carries it (Electron
// IPC + MessagePort, or WebSocket from `xpuscope serve`). Like GitHub Desktop's ipc-shared.ts: a
// method map gives each request its params and result types; schemas validate what arrives.
import { z } from 'zod';
export const PROTOCOL_VERSION = 1;
// ---- Wire format (validated on arrival on both ends) ----
export const MAX_MESSAGE_BYTES = 1 << 20;
const emptyParams = z.object({}).strict();
/** Params schema per method: unknown methods and wrong params are rejected before dispatch. */
export const paramSchemas = {
  'devices.list': emptyParams,
  'service.hello': emptyParams,
};
export const requestSchema = z
  .object({
    id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    method: z.string().min(1).max(64),
    params: z.unknown().optional(),
  })
  .strict();
export function isMethodName(name) {
  return Object.prototype.hasOwnProperty.call(paramSchemas, name);
}
//# sourceMappingURL=contract.js.map
