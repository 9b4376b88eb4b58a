// XPUSIM_FAULTS=slow=40: a slowed-down device still passes level 2 but the copy-bandwidth check warns
// with its numbers (a shortfall is a warning, never a blind failure). Its own file (process).
import { describe, expect, it } from 'vitest';
import { runDiagnostics } from '../../host/diag/index.js';
import { show } from './diag-helpers.js';
import { SIM_BUILT } from './helpers.js';

process.env.XPUSIM_FAULTS = 'slow=40';

describe.skipIf(!SIM_BUILT)('XPUSIM_FAULTS=slow=40', () => {
  it('l3.copy-bandwidth warns (host link below its floor) with measured and expected numbers; exit 0', async () => {
    const r = await runDiagnostics({
      level: 3,
      driver: 'sim',
      profile: 'arc-a770',
      only: ['l2.saxpy', 'l3.copy-bandwidth'],
    });
    const [saxpy, bw] = r.checks;
    expect(saxpy?.status, show(saxpy)).toBe('pass');
    expect(bw?.status, show(bw)).toBe('warn');
    expect(bw?.message).toMatch(/below expectation: .*H→D \d/);
    expect(bw?.expected).toMatch(/H→D, D→H ≥ 1\.00 GB\/s/);
    expect(bw?.expectedSource).toContain('memoryClockRate');
    expect(bw?.unit).toBe('GB/s');
    expect(r.exitCode).toBe(0);
  });
});
