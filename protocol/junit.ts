// JUnit XML of a diagnostics report — the one writer, used by `xpuscope diag --junit` and by the
// Diagnostics view's export, so a CI dashboard reads the same file from either: one <testsuite> per
// level with a <properties> block (xpuscope version, driver mode, `driver.simulated`, devices) so a
// simulated run can never pass as a real one, one <testcase> per check; fail → <failure>, skip →
// <skipped>, warn → a WARN note in <system-out>; a run that could not start → an <error> testcase.
// Pure TypeScript: no Node, no DOM.
import type { CheckResult, DiagReport } from './views.js';

function checkName(c: CheckResult): string {
  return c.device === undefined ? c.id : `${c.id} [${c.device}]`;
}

/** Text safe for XML 1.0 content and attribute values: escaped, with disallowed characters removed. */
export function xmlEscape(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex -- the XML 1.0 Char production names them
      .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      .replace(/\r/g, '&#13;')
      .replace(/\n/g, '&#10;')
  );
}

function text(s: string): string {
  // element content: newlines may stay as they are
  return xmlEscape(s).replace(/&#10;/g, '\n');
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function describe(c: CheckResult): string {
  const lines = [`measured: ${c.measured}`, `expected: ${c.expected}`, `source: ${c.expectedSource}`];
  if (c.message) lines.push(`message: ${c.message}`);
  if (c.hint) lines.push(`hint: ${c.hint}`);
  return lines.join('\n');
}

/** JUnit XML: one <testsuite> per level, one <testcase> per check result; warnings pass with a WARN note. */
export function toJUnit(r: DiagReport): string {
  const a = (s: string): string => xmlEscape(s);
  const levels = [...new Set(r.checks.map((c) => c.level))].sort();
  let body = '';
  for (const level of levels) {
    const cs = r.checks.filter((c) => c.level === level);
    const fails = cs.filter((c) => c.status === 'fail').length;
    const skips = cs.filter((c) => c.status === 'skip').length;
    const time = cs.reduce((t, c) => t + c.durationMs, 0);
    const suite = `xpuscope.diag.level${level}`;
    body += `  <testsuite name="${suite}" tests="${cs.length}" failures="${fails}" errors="0" skipped="${skips}" time="${secs(time)}" timestamp="${a(r.startedAt.replace(/\.\d+Z$/, ''))}">\n`;
    body += '    <properties>\n';
    body += `      <property name="xpuscope.version" value="${a(r.xpuscopeVersion)}"/>\n`;
    if (r.driver) {
      body += `      <property name="driver.mode" value="${a(r.driver.mode)}"/>\n`;
      body += `      <property name="driver.simulated" value="${r.driver.simulated}"/>\n`;
    }
    for (const d of r.devices) body += `      <property name="device.${d.index}" value="${a(d.name)}"/>\n`;
    body += '    </properties>\n';
    for (const c of cs) {
      body += `    <testcase classname="${suite}" name="${a(checkName(c))}" time="${secs(c.durationMs)}">\n`;
      if (c.status === 'fail') {
        body += `      <failure message="${a(c.message ?? c.measured)}" type="fail">${text(describe(c))}</failure>\n`;
      } else if (c.status === 'skip') {
        body += `      <skipped message="${a(c.message ?? 'skipped')}"/>\n`;
      }
      const note = c.status === 'warn' ? `WARN ${describe(c)}` : describe(c);
      body += `      <system-out>${text(note)}</system-out>\n`;
      body += '    </testcase>\n';
    }
    body += '  </testsuite>\n';
  }
  if (r.error) {
    body += `  <testsuite name="xpuscope.diag" tests="1" failures="0" errors="1" skipped="0" time="${secs(r.durationMs)}">\n`;
    body += `    <testcase classname="xpuscope.diag" name="diag.run" time="${secs(r.durationMs)}">\n`;
    body += `      <error message="${a(r.error.message)}" type="error">${text(r.error.hint ?? '')}</error>\n`;
    body += '    </testcase>\n  </testsuite>\n';
  }
  const s = r.summary;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="xpuscope diag" tests="${s.total + (r.error ? 1 : 0)}" failures="${s.fail}" errors="${r.error ? 1 : 0}" skipped="${s.skip}" time="${secs(r.durationMs)}">\n` +
    body +
    '</testsuites>\n'
  );
}
