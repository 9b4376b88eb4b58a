// XPUSIM_FAULTS=hang_kernel=saxpy: the saxpy check fails with the device-lost hint and the device's
// later checks are skipped (not failed again). Its own file: XPUSIM_FAULTS is read once, at zeInit.
import { describe, expect, it } from 'vitest';
import { runDiagnostics } from '../../host/diag/index.js';
import { show } from './diag-helpers.js';
import { SIM_BUILT } from './helpers.js';

process.env.XPUSIM_FAULTS = 'hang_kernel=saxpy,hang_ms=200';

describe.skipIf(!SIM_BUILT)('XPUSIM_FAULTS=hang_kernel=saxpy', () => {
  it('l2.copy passes, l2.saxpy fails (device lost, with a hint), l2.timestamps is skipped; exit 1', async () => {
    const r = await runDiagnostics({
      level: 2,
      driver: 'sim',
      profile: 'arc-a770',
      only: ['l2.copy', 'l2.saxpy', 'l2.timestamps'],
    });
    const [copy, saxpy, ts] = r.checks;
    expect(copy?.status, show(copy)).toBe('pass');
    expect(saxpy?.status, show(saxpy)).toBe('fail');
    expect(saxpy?.measured).toContain('DEVICE_LOST');
    expect(saxpy?.hint).toMatch(/device lost/);
    expect(ts).toMatchObject({ status: 'skip', message: 'device 0 was lost during l2.saxpy' });
    expect(r.exitCode).toBe(1);
  });
});
