// JUnit XML from a diagnostics report, built in the page (CI systems read JUnit): one <testsuite>
// per level, one <testcase> per check; fail → <failure>, warn → <system-out> note, skip → <skipped>.
import type { CheckResult, DiagReport } from '../protocol/views.js';

export function xmlEscape(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // characters XML 1.0 does not allow at all
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

function detail(c: CheckResult): string {
  const lines = [
    c.message ? c.message : null,
    c.measured !== undefined ? `measured: ${c.measured}` : null,
    c.expected !== undefined
      ? `expected: ${c.expected}${c.expectedSource ? ` (${c.expectedSource})` : ''}`
      : null,
    c.hint ? `what to do: ${c.hint}` : null,
  ].filter((l): l is string => l !== null);
  return lines.join('\n');
}

export function diagToJUnit(report: DiagReport): string {
  const checks = report.checks;
  const failures = checks.filter((c) => c.status === 'fail').length;
  const skipped = checks.filter((c) => c.status === 'skip').length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const cases = checks
    .map((c) => {
      const name = xmlEscape(`${c.id}${c.device !== undefined ? ` [device ${c.device}]` : ''}: ${c.title}`);
      const attrs = `name="${name}" classname="xpuscope.diag.level${c.level}" time="${seconds(c.durationMs)}"`;
      const d = xmlEscape(detail(c));
      if (c.status === 'fail')
        return `    <testcase ${attrs}>\n      <failure message="${xmlEscape(c.message ?? c.measured ?? c.title)}">${d}</failure>\n    </testcase>`;
      if (c.status === 'skip')
        return `    <testcase ${attrs}>\n      <skipped message="${xmlEscape(c.hint ?? 'skipped')}"/>\n    </testcase>`;
      if (c.status === 'warn')
        return `    <testcase ${attrs}>\n      <system-out>WARNING\n${d}</system-out>\n    </testcase>`;
      return `    <testcase ${attrs}/>`;
    })
    .join('\n');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="xpuscope diagnostics" tests="${checks.length}" failures="${failures}" skipped="${skipped}" time="${seconds(report.durationMs)}">\n` +
    `  <testsuite name="xpuscope diag level ${report.level}" tests="${checks.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(report.durationMs)}" timestamp="${xmlEscape(report.startedAt)}">\n` +
    (cases ? `${cases}\n` : '') +
    `  </testsuite>\n</testsuites>\n`
  );
}
