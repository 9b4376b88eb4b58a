// JUnit XML built in the page from a diagnostics report.
import { describe, expect, it } from 'vitest';
import type { DiagReport } from '../../protocol/views.js';
import { diagToJUnit, xmlEscape } from '../../renderer/junit.js';

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

describe('JUnit builder', () => {
  it('escapes XML', () => {
    expect(xmlEscape(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });

  it('writes one testcase per check with failures, skips and warnings', () => {
    const xml = diagToJUnit(report);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(xml).toContain(
      '<testsuites name="xpuscope diagnostics" tests="4" failures="1" skipped="1" time="1.234">',
    );
    expect(xml).toContain('timestamp="2026-11-29T14:00:00.000Z"');
    expect((xml.match(/<testcase /g) ?? []).length).toBe(4);
    expect(xml).toContain('name="L2.copy [device 0]: Copy &lt;H2D&gt; &amp; back"');
    expect(xml).toContain(
      '<failure message="data mismatch after the round trip">data mismatch after the round trip\nmeasured: 3 bytes differ\nexpected: identical (spec)\nwhat to do: Reinstall the &quot;driver&quot;</failure>',
    );
    expect(xml).toContain('<skipped message="one device only"/>');
    expect(xml).toContain('<system-out>WARNING');
    expect(xml).toContain('classname="xpuscope.diag.level1"');
    // Balanced: every opened element is closed.
    for (const tag of ['testsuites', 'testsuite', 'failure', 'system-out']) {
      expect((xml.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length).toBe(
        (xml.match(new RegExp(`</${tag}>`, 'g')) ?? []).length,
      );
    }
  });

  it('handles an empty report', () => {
    const xml = diagToJUnit({
      ...report,
      checks: [],
      summary: { total: 0, pass: 0, warn: 0, fail: 0, skip: 0 },
    });
    expect(xml).toContain('tests="0"');
    expect(xml).toContain('</testsuite>');
  });
});
