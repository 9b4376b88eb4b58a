// `xpuscope diag --driver system` on a machine without an Intel GPU driver: the driver checks fail with
// the install hint and the exit code is 1. Its own file (process): one driver setting per process.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../../host/cli.js';
import type { DiagReport } from '../../host/diag/index.js';
import { findIntelGpuDriver } from '../../runtime/driver.js';
import { LEVEL2_CHECKS, parseXmlCrudely, show } from './diag-helpers.js';
import { captureIo } from './helpers.js';

const REAL_DRIVER = findIntelGpuDriver();
if (REAL_DRIVER)
  console.warn(`[tests/host] skipping "diag without a driver" checks: this machine has ${REAL_DRIVER}`);

describe.skipIf(REAL_DRIVER !== undefined)('diag --driver system without a GPU driver', () => {
  it('the driver checks fail with the install hint, device checks skip, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-junit-'));
    const file = join(dir, 'diag.xml');
    const c = captureIo();
    const code = await main(['diag', '--json', '--level', '2', '--junit', file, '--driver', 'system'], c.io);
    const report = JSON.parse(c.out()) as DiagReport;
    const byId = (id: string) => report.checks.find((x) => x.id === id);
    const libs = byId('l1.driver-libs');
    expect(libs?.status, show(libs)).toBe('fail');
    expect(libs?.measured).not.toContain('libze_intel_gpu');
    expect(libs?.message).toContain('no Intel GPU driver (libze_intel_gpu.so.1)');
    expect(libs?.hint).toContain('libze-intel-gpu1');
    expect(libs?.hint).toContain('--driver sim');
    const drivers = byId('l1.drivers');
    expect(drivers?.status, show(drivers)).toBe('fail');
    expect(drivers?.measured).toBe('No Level Zero driver found');
    expect(drivers?.hint).toContain('--driver sim');
    expect(byId('l1.loader')?.status).not.toBe('fail');
    for (const id of LEVEL2_CHECKS) {
      expect(byId(id)).toMatchObject({ status: 'skip', message: 'no device to test' });
    }
    expect(report.exitCode).toBe(1);
    expect(code).toBe(EXIT.FAILURE);
    const counts = parseXmlCrudely(readFileSync(file, 'utf8'));
    expect(counts.failure).toBe(report.summary.fail);
    expect(counts.skipped).toBe(report.summary.skip);
  });

  it('the human report explains the failure with measured, expected, source and hint', async () => {
    const c = captureIo();
    expect(await main(['diag', '--driver', 'system'], c.io)).toBe(EXIT.FAILURE);
    const out = c.out();
    expect(out).toMatch(/^FAIL +l1\.driver-libs /m);
    expect(out).toContain('FAIL l1.drivers — Drivers initialise (zeInit) and report GPUs');
    expect(out).toMatch(/expected: libze_intel_gpu\.so\.1 installed \(from: .+\)/);
    expect(out).toMatch(/hint: Install Intel's GPU compute runtime/);
    expect(out).toMatch(/— exit 1\n$/);
  });
});
