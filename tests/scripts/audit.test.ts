// scripts/audit.mjs: what `npm audit --json` printed → pass, fail (unexplained high/critical findings)
// or unavailable (the registry gave no audit answer) — the rules `npm test`'s audit suite applies.
import { describe, expect, it } from 'vitest';

interface Verdict {
  kind: 'pass' | 'fail' | 'unavailable';
  why?: string;
  unexplained?: { name: string; severity: string }[];
}
const spec: string = '../../scripts/audit.mjs';
const { explainedPackages, verdict } = (await import(spec)) as {
  explainedPackages: (md: string) => Set<string>;
  verdict: (report: unknown, explained: Set<string>) => Verdict;
};

const md = `# Architecture\n\n## Dependencies\n\n### Audit findings\n\n- \`tar\`: only electron-builder uses it, at build time, on our own files.\n- \`nothing\`:\n\n## Next\n- \`later\`: not in the section\n`;

describe('audit', () => {
  it('reads the explained packages from the "Audit findings" section only', () => {
    expect([...explainedPackages(md)]).toEqual(['tar']);
    expect(explainedPackages('# none').size).toBe(0);
  });

  it('passes a clean report and one whose high findings are all explained', () => {
    expect(verdict({ vulnerabilities: {}, metadata: {} }, new Set()).kind).toBe('pass');
    const report = { vulnerabilities: { tar: { severity: 'high' }, minimist: { severity: 'moderate' } } };
    expect(verdict(report, explainedPackages(md)).kind).toBe('pass');
  });

  it('fails on an unexplained high or critical finding, naming it', () => {
    const report = { vulnerabilities: { ws: { severity: 'critical' }, tar: { severity: 'high' } } };
    const v = verdict(report, explainedPackages(md));
    expect(v.kind).toBe('fail');
    expect(v.unexplained).toEqual([{ name: 'ws', severity: 'critical' }]);
  });

  it('reports an HTTP error from the audit endpoint as unavailable, not as clean', () => {
    const v = verdict(
      {
        message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
        statusCode: 405,
        error: { summary: '' },
      },
      new Set(),
    );
    expect(v).toMatchObject({ kind: 'unavailable' });
    expect(v.why).toContain('405');
    expect(verdict(null, new Set()).kind).toBe('unavailable');
  });
});
