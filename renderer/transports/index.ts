// Picks the transport at start-up: the Electron bridge when the preload exposed one, otherwise the
// WebSocket of the `xpuscope serve` page this was loaded from.
import { ElectronTransport, findBridge } from './electron.js';
import type { RendererTransport } from './types.js';
import { serviceSocketUrl, WebSocketTransport } from './websocket.js';

export type { ConnectionStatus, ConnectionState, RendererTransport } from './types.js';
export { ApiError, toErrorPayload } from './types.js';

export function pickTransport(scope: {
  location: { href: string; protocol: string };
  xpuscope?: unknown;
}): RendererTransport {
  const bridge = findBridge(scope);
  if (bridge) return new ElectronTransport(bridge);
  if (scope.location.protocol !== 'http:' && scope.location.protocol !== 'https:') {
    throw new Error(
      `This page was opened from ${scope.location.protocol} without the xpuscope Electron bridge; ` +
        'open it through `xpuscope serve` or the desktop app.',
    );
  }
  return new WebSocketTransport({ url: serviceSocketUrl(scope.location.href) });
}
