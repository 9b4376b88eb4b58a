// XPUSIM_FAULTS=device_lost_after_ops@1=0: of two GPUs only device 1 is lost (at its first operation).
// The diagnostics report device 1 lost (the first check that runs work on it fails with the device-lost
// hint, its later checks are skipped saying so) and device 0 fine (every check passes). Its own file
// (process): the simulated driver reads XPUSIM_FAULTS once, at zeInit.
import { describe, expect, it } from 'vitest';
import { runDiagnostics } from '../../host/diag/index.js';
import { show } from './diag-helpers.js';
import { SIM_BUILT } from './helpers.js';

process.env.XPUSIM_FAULTS = 'device_lost_after_ops@1=0';

const CHECKS = ['l2.properties', 'l2.alloc', 'l2.copy', 'l2.saxpy', 'l2.timestamps'];

describe.skipIf(!SIM_BUILT)('XPUSIM_FAULTS=device_lost_after_ops@1=0 on two devices', () => {
  it('device 1 is reported lost, device 0 passes every check; exit 1', async () => {
    const r = await runDiagnostics({ level: 2, driver: 'sim', profile: 'arc-a770,arc-a770', only: CHECKS });
    expect(r.devices).toHaveLength(2);
    const of = (d: number) => CHECKS.map((id) => r.checks.find((c) => c.id === id && c.device === d));
    for (const c of of(0)) expect(c?.status, show(c)).toBe('pass');
    const d1 = of(1);
    expect(d1[0]?.status, show(d1[0])).toBe('pass'); // queries still work on a lost device
    const failed = d1.findIndex((c) => c?.status === 'fail');
    expect(failed, d1.map(show).join('\n')).toBeGreaterThan(0);
    const lost = d1[failed];
    expect(lost?.measured, show(lost)).toContain('DEVICE_LOST');
    expect(lost?.hint).toMatch(/device lost/);
    const later = d1.slice(failed + 1);
    expect(later.length).toBeGreaterThan(0);
    for (const c of later)
      expect(c, show(c)).toMatchObject({ status: 'skip', message: `device 1 was lost during ${lost?.id}` });
    expect(r.exitCode).toBe(1);
  });
});
