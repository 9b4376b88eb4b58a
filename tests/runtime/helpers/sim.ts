// In-process tests against the simulated driver. Every in-process runtime test file uses the same
// profile set, so the (once per process) loader configuration never conflicts.
import { configureDriver } from '../../../runtime/index.js';
import { simBuilt } from './child.js';

export const PROFILES = 'arc-a770,max-1550';
export const haveSim = simBuilt();

/** Point this process at the simulated driver (arc-a770 = device 0, max-1550 tiles = devices 1, 2). */
export function useSim(): void {
  if (haveSim) configureDriver({ driver: 'sim', profile: PROFILES });
}

/**
 * A host-controlled gate: an xpu.Event whose native event only the test signals
 * (zeEventHostSignal), so "work is still pending" states are deterministic rather than timed.
 */
export async function gate(
  device: number,
): Promise<{ event: import('../../../runtime/index.js').Event; open(): void }> {
  const { xpu } = await import('../../../runtime/index.js');
  const { deviceRuntime } = await import('../../../runtime/device-runtime.js');
  const dr = deviceRuntime(device);
  const nat = dr.events.acquire(false);
  const event = new xpu.Event();
  event.native = nat;
  return {
    event,
    open: () => {
      const r = dr.ze.fn.zeEventHostSignal(nat.handle) as number;
      if (r !== 0) throw new Error(`zeEventHostSignal failed: 0x${r.toString(16)}`);
    },
  };
}
