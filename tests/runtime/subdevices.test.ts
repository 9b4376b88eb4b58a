// Sub-devices (tiles) in COMPOSITE hierarchy: each listed with its own engines, through the real loader
// and the simulated driver (its own process: the loader reads ZE_FLAT_DEVICE_HIERARCHY once).
import { describe, expect, it } from 'vitest';
import { cleanEnv, runChild, simBuilt, type Json } from './helpers/child.js';

describe.skipIf(!simBuilt())('sub-devices', () => {
  it('a COMPOSITE max-1550 lists its two tiles with their engines; a single-tile card lists none', () => {
    const r = runChild<Json>(
      `const p = [0, 1].map((i) => xpu.getDeviceProperties(i));
       done(p.map((d) => ({ count: d.subDeviceCount, tiles: d.subDevices.map((t) => ({
         id: t.subdeviceId, name: t.name, eus: t.euCount,
         engines: t.engines.map((e) => e.kind + ':' + e.numQueues) })) })));`,
      cleanEnv({
        XPUSCOPE_DRIVER: 'sim',
        XPUSIM_PROFILE: 'arc-a770,max-1550',
        ZE_FLAT_DEVICE_HIERARCHY: 'COMPOSITE',
      }),
    );
    const [arc, max] = r as {
      count: number;
      tiles: { id: number; name: string; eus: number; engines: string[] }[];
    }[];
    expect(arc).toEqual({ count: 0, tiles: [] });
    expect(max!.count).toBe(2);
    expect(max!.tiles.map((t) => t.id)).toEqual([0, 1]);
    for (const t of max!.tiles) {
      expect(t.name).toBe('Intel(R) Data Center GPU Max 1550');
      expect(t.eus).toBe(512);
      expect(t.engines[0]).toMatch(/^compute:\d+$/);
      expect(t.engines.some((e) => e.startsWith('copy:'))).toBe(true);
    }
  });
});
