// Renderings of a diagnostics report without any driver: JUnit escaping, the aligned table, colour, the
// TTY progress line and the summary/exit-code rules.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CHECKS,
  formatReport,
  summarize,
  toJUnit,
  ttyProgress,
  xmlEscape,
  type CheckResult,
  type DiagReport,
} from '../../host/diag/index.js';
import { parseXmlCrudely } from './diag-helpers.js';

const NASTY = 'a<b>&c"d\'e \u0000\u0007\u001b[31m ]]> --> 🎉 \uFFFE';

function check(status: CheckResult['status'], id: string, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    title: `title of ${id}`,
    level: 1,
    status,
    measured: `measured ${id}`,
    expected: 'expected x',
    expectedSource: 'the spec',
    durationMs: 12.5,
    ...(status === 'pass' ? {} : { hint: `hint for ${id}` }),
    ...extra,
  };
}

function report(checks: CheckResult[], extra: Partial<DiagReport> = {}): DiagReport {
  const summary = summarize(checks);
  return {
    schema: 'xpuscope.diag/1',
    xpuscopeVersion: '0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1234,
    level: 2,
    host: { platform: 'linux', arch: 'x64', release: '6.1', node: '20' },
    devices: [{ index: 0, name: `GPU ${NASTY}`, simulated: true }],
    checks,
    summary,
    exitCode: summary.fail > 0 ? 1 : 0,
    ...extra,
  };
}

function decode(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('JUnit XML', () => {
  it('xmlEscape escapes markup and drops characters XML 1.0 forbids', () => {
    const e = xmlEscape(NASTY);
    expect(e).not.toMatch(/[<>"']/);
    expect(e).not.toContain('\u0000');
    expect(e).not.toContain('\u001b');
    expect(e).not.toContain('\uFFFE');
    expect(decode(e)).toBe('a<b>&c"d\'e [31m ]]> --> 🎉 ');
  });

  it('nasty messages, names and device names stay well-formed; counts match the summary', () => {
    const r = report([
      check('pass', 'l1.a'),
      check('warn', 'l1.b', { message: NASTY }),
      check('fail', 'l2.c', { level: 2, device: 0, message: NASTY, measured: NASTY, hint: NASTY }),
      check('skip', 'l2.d', { level: 2, device: 0, message: NASTY }),
    ]);
    const xml = toJUnit(r);
    const counts = parseXmlCrudely(xml);
    expect(counts).toMatchObject({
      testsuites: 1,
      testsuite: 2,
      testcase: 4,
      failure: 1,
      skipped: 1,
      'system-out': 4,
    });
    expect(xml).toMatch(/<testsuites name="xpuscope diag" tests="4" failures="1" errors="0" skipped="1"/);
    expect(xml).toContain(
      '<testsuite name="xpuscope.diag.level1" tests="2" failures="0" errors="0" skipped="0" time="0.025"',
    );
    expect(xml).toContain('name="l2.c [0]"');
    const msg = /<failure message="([^"]*)"/.exec(xml)?.[1] ?? '';
    expect(decode(msg)).toBe('a<b>&c"d\'e [31m ]]> --> 🎉 ');
    expect(xml).toContain('WARN measured: measured l1.b');
  });

  it('a run that could not start becomes an <error> testcase', () => {
    const xml = toJUnit(
      report([], { exitCode: 2, error: { message: 'runtime <gone>', hint: 'reinstall & retry' } }),
    );
    const counts = parseXmlCrudely(xml);
    expect(counts).toMatchObject({ testsuites: 1, testsuite: 1, testcase: 1, error: 1 });
    expect(xml).toContain('errors="1"');
    expect(xml).toContain('message="runtime &lt;gone&gt;"');
  });
});

describe('human report', () => {
  it('aligns the columns, lists details for every check that did not pass, and ends with the summary', () => {
    const r = report([
      check('pass', 'l1.short'),
      check('fail', 'l2.a-much-longer-id', { level: 2, device: 1, message: 'boom' }),
    ]);
    const out = formatReport(r, { driverLine: 'Driver: SIMULATED' });
    const lines = out.split('\n');
    const at0 = lines.findIndex((l) => l.startsWith('STATUS'));
    const header = lines[at0]!;
    const rows = lines.slice(at0 + 1, lines.indexOf('', at0));
    expect(rows).toHaveLength(2);
    for (const col of ['CHECK', 'MEASURED', 'EXPECTED']) {
      const at = header.indexOf(col);
      for (const row of rows) {
        expect(row[at - 1]).toBe(' ');
        expect(row[at]).not.toBe(' ');
      }
    }
    expect(out).toContain('FAIL l2.a-much-longer-id [1] — title of l2.a-much-longer-id\n  boom\n');
    expect(out).toContain('  expected: expected x (from: the spec)\n  hint: hint for l2.a-much-longer-id\n');
    expect(out).toMatch(/1 passed, 0 warning\(s\), 1 failed, 0 skipped \(2 checks, 1\.2 s\) — exit 1\n$/);
    expect(out).not.toContain('\u001b[');
  });

  it('wraps long measured and expected values onto more lines, never cuts them', () => {
    const measured =
      'H2D 12.3 GB/s, D2H 11.9 GB/s, D2D 401 GB/s on the compute engine; H2D 12.1 GB/s on the copy engine (best of 3)';
    const r = report([
      check('warn', 'l3.copy-bandwidth', {
        measured,
        expected: '≥ 25 % of the memory peak from memoryClockRate × memoryBusWidth × 2 and ≥ 1 GB/s',
      }),
    ]);
    const out = formatReport(r);
    const lines = out.split('\n');
    const at0 = lines.findIndex((l) => l.startsWith('STATUS'));
    const header = lines[at0]!;
    const rows = lines.slice(at0 + 1, lines.indexOf('', at0));
    expect(rows.length).toBeGreaterThan(1);
    const col = header.indexOf('MEASURED');
    const exp = header.indexOf('EXPECTED');
    const text = rows.map((l) => l.slice(col, exp).trim()).join(' ');
    expect(text).toBe(measured);
    expect(out).not.toContain('…');
  });

  it('colours statuses only when asked', () => {
    const out = formatReport(report([check('fail', 'x'), check('warn', 'y'), check('pass', 'z')]), {
      color: true,
    });
    expect(out).toContain('\u001b[31mFAIL');
    expect(out).toContain('\u001b[33mWARN');
    expect(out).toContain('\u001b[32mPASS');
  });

  it('summarize counts each status; every registered check has a unique id, a level and what it measures', () => {
    expect(summarize([check('pass', 'a'), check('skip', 'b'), check('skip', 'c')])).toEqual({
      total: 3,
      pass: 1,
      warn: 0,
      fail: 0,
      skip: 2,
    });
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CHECKS) {
      expect(c.id.startsWith(`l${c.level}.`), c.id).toBe(true);
      expect(c.measures.length).toBeGreaterThan(20);
    }
  });
});

describe('TTY progress', () => {
  it('appears only after a check has run for a second, and is erased when it ends', () => {
    vi.useFakeTimers();
    let written = '';
    const p = ttyProgress({ write: (s: string) => (written += s) });
    p.onProgress({ type: 'start', id: 'l2.copy', title: 'Copy', level: 2, device: 0, index: 3, total: 10 });
    vi.advanceTimersByTime(500);
    expect(written).toBe('');
    vi.advanceTimersByTime(1000);
    expect(written).toContain('[4/10] l2.copy [0] Copy (1 s)');
    p.onProgress({ type: 'end', result: check('pass', 'l2.copy'), index: 3, total: 10 });
    expect(written.endsWith('\r\u001b[2K')).toBe(true);
    const before = written;
    vi.advanceTimersByTime(5000);
    expect(written).toBe(before);
    p.stop();
  });
});
