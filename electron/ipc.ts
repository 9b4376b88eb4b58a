// Messages between Electron main and the utility process (MessagePort), and the environment main
// gives it. The page-facing bridge (channels, XpuscopeBridge, MenuCommand…) is protocol/bridge.ts,
// shared with the renderer; the typed, sender-checked ipcMain wrapper is ipc-main.ts.

/** First message main sends the utility process, with the service's MessagePort attached. */
export interface UtilityInit {
  type: 'xpuscope:init';
}
export const UTILITY_INIT: UtilityInit = { type: 'xpuscope:init' };
/** Later messages main sends the utility process: a fresh port for the page's timeline batches. */
export interface UtilityBatchPort {
  type: 'xpuscope:batch-port';
}
export const UTILITY_BATCH_PORT: UtilityBatchPort = { type: 'xpuscope:batch-port' };
// After init, main posts wire requests { id, method, params } on the port; the utility answers each
// with { id, result } | { id, error } and posts pushes { event, data } (protocol/contract.ts Response).

/** Env var naming the driver request for the utility process (the runtime reads it too). */
export const DRIVER_ENV = 'XPUSCOPE_DRIVER';
/** Env var with the absolute path of the simulated driver library. */
export const SIM_DRIVER_ENV = 'XPUSCOPE_SIM_DRIVER';
