// Plain data that crosses every boundary (service ↔ Electron IPC ↔ WebSocket ↔ renderer ↔ CLI JSON).
// Nothing here may import Node, DOM or runtime code: the renderer compiles against this folder alone.
export const DEVICES_SCHEMA = 'xpuscope.devices/1';
//# sourceMappingURL=devices.js.map
