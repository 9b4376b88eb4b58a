// xpu.simLiveObjects(): the simulated driver's live-object counts summed over its drivers (leak checks),
// and simRegistryStats(): the size of its handle registry (bounded-memory checks, bench/soak.mjs).
import { enumerate } from './core.js';
import { xpusimLiveObjects, xpusimRegistryStats, type LiveObjects, type RegistryStats } from './ze/xpusim.js';

export type { LiveObjects, RegistryStats };

/** Undefined when no enumerated driver is the simulated one (or enumeration fails). Never throws. */
export function simLiveObjects(): LiveObjects | undefined {
  let sum: LiveObjects | undefined;
  try {
    const en = enumerate();
    for (const d of en.drivers) {
      const lo = xpusimLiveObjects(en.ze, d.handle);
      if (!lo) continue;
      if (!sum) sum = lo;
      else for (const k of Object.keys(lo) as (keyof LiveObjects)[]) sum[k] += lo[k];
      // The extension counts the whole driver library, not one driver handle: count it once.
      break;
    }
  } catch {
    return undefined;
  }
  return sum;
}

/**
 * The simulated driver's handle registry (one per driver library, shared by its drivers). Undefined
 * when no enumerated driver is the simulated one. Never throws.
 */
export function simRegistryStats(): RegistryStats | undefined {
  try {
    const en = enumerate();
    for (const d of en.drivers) {
      const rs = xpusimRegistryStats(en.ze, d.handle);
      if (rs) return rs;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
