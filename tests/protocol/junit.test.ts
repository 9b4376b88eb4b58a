// JUnit XML of a diagnostics report (protocol/junit.ts): the one writer behind `xpuscope diag --junit`
// and the Diagnostics view's export.
import { describe, expect, it } from 'vitest';
import type { DiagReport } from '../../protocol/views.js';
import { toJUnit, xmlEscape } from '../../protocol/junit.js';
import * as cli from '../../host/diag/report.js';

const report: DiagReport = {
  schema: 'xpuscope.diag/1',
  xpuscopeVersion: '0.1.0',
  host: { platform: 'linux', arch: 'x64', release: '6.1', node: '20.20.0' },
  devices: [],
  exitCode: 0,
  level: 2,
  startedAt: '2026-11-29T14:00:00.000Z',
  durationMs: 1234,
  summary: { total: 4, pass: 1, warn: 1, fail: 1, skip: 1 },
  checks: [
    {
      id: 'L1.loader',
      level: 1,
      title: 'Loader found',
      status: 'pass',
      durationMs: 3,
      measured: 'libze_loader.so.1',
      expected: 'a loader',
      expectedSource: 'Level Zero spec',
    },
    {
      id: 'L2.copy',
      level: 2,
      title: 'Copy <H2D> & back',
      device: 0,
      status: 'fail',
      measured: '3 bytes differ',
      expected: 'identical',
      expectedSource: 'spec',
      durationMs: 20,
      hint: 'Reinstall the "driver"',
      message: 'data mismatch after the round trip',
    },
    {
      id: 'L2.fp64',
      level: 2,
      title: 'FP64',
      status: 'warn',
      durationMs: 1,
      measured: 'slow',
      expected: 'fast',
      expectedSource: 'device properties',
    },
    {
      id: 'L2.p2p',
      level: 2,
      title: 'Peer access',
      status: 'skip',
      durationMs: 0,
      measured: '1 device',
      expected: '≥ 2 devices',
      expectedSource: 'needs two devices',
      hint: 'one device only',
    },
  ],
};

describe('JUnit writer', () => {
  it('escapes XML, dropping characters XML 1.0 forbids', () => {
    expect(xmlEscape(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });

  it('one suite per level with driver.simulated, one testcase per check; the CLI writes the same', () => {
    const r: DiagReport = {
      ...report,
      driver: { requested: 'sim', mode: 'sim', simulated: true, reason: 'sim' } as DiagReport['driver'],
    };
    const xml = toJUnit(r);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(xml).toContain(
      '<testsuites name="xpuscope diag" tests="4" failures="1" errors="0" skipped="1" time="1.234">',
    );
    expect((xml.match(/<testsuite /g) ?? []).length).toBe(2); // levels 1 and 2
    expect((xml.match(/<property name="driver.simulated" value="true"\/>/g) ?? []).length).toBe(2);
    expect((xml.match(/<testcase /g) ?? []).length).toBe(4);
    expect(xml).toContain('name="L2.copy [0]"');
    expect(xml).toContain('<failure message="data mismatch after the round trip" type="fail">');
    expect(xml).toContain('<skipped message="skipped"/>');
    expect(xml).toContain('WARN measured: slow');
    expect(xml).toContain('classname="xpuscope.diag.level1"');
    for (const tag of ['testsuites', 'testsuite', 'failure', 'system-out', 'properties']) {
      expect((xml.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length).toBe(
        (xml.match(new RegExp(`</${tag}>`, 'g')) ?? []).length,
      );
    }
    // the CLI's --junit is this very writer
    expect(cli.toJUnit(r)).toBe(xml);
  });

  it('handles an empty report', () => {
    const xml = toJUnit({ ...report, checks: [], summary: { total: 0, pass: 0, warn: 0, fail: 0, skip: 0 } });
    expect(xml).toContain('tests="0"');
    expect(xml).toContain('</testsuites>');
  });
});
