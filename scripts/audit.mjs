#!/usr/bin/env node
// `npm run audit` (and a suite of `npm test`): `npm audit` at high severity. Every high or critical
// finding must be explained in ARCHITECTURE.md's "Audit findings" section (a line "- `package`: why");
// an unexplained one fails. Exit codes: 0 clean (or every finding explained), 1 unexplained findings,
// 3 no answer (the registry refused or could not be reached — the audit could not be run here).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Package names ARCHITECTURE.md explains under "Audit findings". */
export function explainedPackages(markdown) {
  const at = markdown.search(/^#+ Audit findings\s*$/m);
  if (at < 0) return new Set();
  const rest = markdown.slice(at).split('\n').slice(1);
  const end = rest.findIndex((l) => /^#+ /.test(l));
  const names = new Set();
  for (const line of end < 0 ? rest : rest.slice(0, end)) {
    const m = /^- `([^`]+)`:\s*\S/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

/**
 * What `npm audit --json` printed → the verdict. `unavailable` when npm got no audit answer (it then
 * prints the HTTP error instead of a report).
 */
export function verdict(report, explained) {
  if (!report || typeof report !== 'object') return { kind: 'unavailable', why: 'npm audit printed no JSON' };
  if (typeof report.statusCode === 'number' || (report.error && !report.vulnerabilities)) {
    const why = report.message ?? report.error?.summary ?? 'the audit endpoint returned an error';
    return { kind: 'unavailable', why: String(why) };
  }
  const vulns = report.vulnerabilities ?? {};
  const serious = Object.entries(vulns)
    .filter(([, v]) => v && (v.severity === 'high' || v.severity === 'critical'))
    .map(([name, v]) => ({ name, severity: v.severity }));
  const unexplained = serious.filter((f) => !explained.has(f.name));
  return unexplained.length
    ? { kind: 'fail', findings: serious, unexplained }
    : { kind: 'pass', findings: serious };
}

function main() {
  const r = spawnSync('npm', ['audit', '--json', '--audit-level=high'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  let report;
  try {
    report = JSON.parse(r.stdout || 'null');
  } catch {
    report = null;
  }
  const explained = explainedPackages(readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8'));
  const v = verdict(report, explained);
  if (v.kind === 'unavailable') {
    console.log(`npm audit: could not be run here — ${v.why}. Run it where the registry answers audits.`);
    process.exit(3);
  }
  if (v.kind === 'fail') {
    console.log('npm audit: high/critical findings not explained in ARCHITECTURE.md ("Audit findings"):');
    for (const f of v.unexplained) console.log(`  ${f.name} (${f.severity})`);
    process.exit(1);
  }
  console.log(`npm audit: no unexplained high/critical findings (${v.findings.length} explained).`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
