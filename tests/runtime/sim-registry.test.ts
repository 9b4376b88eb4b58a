// Issue 8 (soak): the simulated driver's handle registry stays bounded under handle churn. It used to
// double whenever live handles plus tombstones of destroyed ones passed half the table, so it grew with
// the number of handles ever created (131 072 slots for 248 live handles after 4 minutes of the soak's
// workload). Now capacity < 8 x (live + 1) (or the 256-slot minimum) however many handles come and go.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cleanEnv, ROOT, runChild, simBuilt, type Json } from './helpers/child.js';

const env = () => cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'arc-a770' });

describe.skipIf(!simBuilt())('simulated driver handle registry', () => {
  it('does not grow with the number of allocations created and freed', () => {
    const r = runChild<Json>(
      `const { simRegistryStats } = await import(${JSON.stringify(join(ROOT, 'runtime', 'sim-objects.ts'))});
       // host allocations of varying sizes, a sliding window of 8 alive: their handles land on fresh
       // addresses, so each round leaves tombstones all over the table
       const keep = [];
       const churn = (n) => {
         for (let i = 0; i < n; i++) {
           keep.push(xpu.alloc((1 + (i % 7)) * 4096, { kind: 'host' }));
           if (keep.length > 8) keep.shift().free();
         }
       };
       churn(20000);
       const warm = simRegistryStats();
       churn(20000);
       const end = simRegistryStats();
       const live = xpu.simLiveObjects();
       for (const b of keep) b.free();
       done({ warm, end, live });`,
      env(),
    );
    expect(r.end.live).toBeGreaterThanOrEqual(r.live.allocations);
    expect(r.end.capacity).toBe(r.warm.capacity);
    expect(r.end.capacity).toBeLessThanOrEqual(Math.max(256, 8 * (r.end.live + 1)));
    // load stays below one half (what the probe sequences rely on)
    expect((r.end.live + r.end.tombstones) * 2).toBeLessThanOrEqual(r.end.capacity);
  });
});
