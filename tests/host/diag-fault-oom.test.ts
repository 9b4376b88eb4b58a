// XPUSIM_FAULTS=oom_after_bytes: the allocation check fails with the out-of-memory hint. Its own file
// (process): the simulated driver reads XPUSIM_FAULTS once, at zeInit.
import { describe, expect, it } from 'vitest';
import { runDiagnostics } from '../../host/diag/index.js';
import { show } from './diag-helpers.js';
import { SIM_BUILT } from './helpers.js';

process.env.XPUSIM_FAULTS = 'oom_after_bytes=1048576';

describe.skipIf(!SIM_BUILT)('XPUSIM_FAULTS=oom_after_bytes=1 MiB', () => {
  it('l2.alloc fails with the out-of-memory hint; l1.env warns about the injected fault; exit 1', async () => {
    const r = await runDiagnostics({
      level: 2,
      driver: 'sim',
      profile: 'arc-a770',
      only: ['l1.env', 'l2.alloc'],
    });
    const [env, alloc] = r.checks;
    expect(env?.status, show(env)).toBe('warn');
    expect(env?.message).toContain('XPUSIM_FAULTS=oom_after_bytes=1048576');
    expect(alloc?.status, show(alloc)).toBe('fail');
    expect(alloc?.measured).toContain('OUT_OF_DEVICE_MEMORY');
    expect(alloc?.hint).toMatch(/ran out of memory/);
    expect(r.exitCode).toBe(1);
  });
});
