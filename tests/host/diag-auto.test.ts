// `xpuscope diag` with the default `--driver auto` on a machine without an Intel GPU driver: auto falls
// back to the simulator, and the driver check fails so that a QA run cannot pass on the simulator by
// accident. Its own file (process): one driver setting per process.
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../../host/cli.js';
import type { DiagReport } from '../../host/diag/index.js';
import { findIntelGpuDriver, renderNodes } from '../../runtime/driver.js';
import { show } from './diag-helpers.js';
import { SIM_BUILT, captureIo } from './helpers.js';

const REAL_GPU = findIntelGpuDriver() !== undefined && renderNodes().length > 0;
if (REAL_GPU)
  console.warn('[tests/host] skipping "diag --driver auto falls back" checks: this machine has a GPU driver');

describe.skipIf(REAL_GPU || !SIM_BUILT)('diag --driver auto without a GPU driver', () => {
  it('l1.driver-libs fails (auto fell back to the simulator) with the install hint; exit 1', async () => {
    const c = captureIo();
    const code = await main(['diag', '--json', '--profile', 'arc-a770'], c.io);
    const report = JSON.parse(c.out()) as DiagReport;
    expect(report.driver).toMatchObject({ requested: 'auto', mode: 'sim', simulated: true });
    const libs = report.checks.find((x) => x.id === 'l1.driver-libs');
    expect(libs?.status, show(libs)).toBe('fail');
    expect(libs?.message).toContain('auto: no Intel GPU driver');
    expect(libs?.message).toContain('simulated driver, not a GPU');
    expect(libs?.hint).toContain('--driver sim');
    expect(report.checks.find((x) => x.id === 'l1.drivers')?.status).toBe('pass');
    expect(code).toBe(EXIT.FAILURE);
  });
});
