// Shared parts of the diagnostics tests. Each test file runs in its own process (the loader reads its
// driver settings once per process), so every simulated profile gets its own small file that calls
// `simulatedProfileSuite`.
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../../host/cli.js';
import type { CheckResult, DiagReport } from '../../host/diag/index.js';
import { SIM_BUILT, captureIo } from './helpers.js';

export const LEVEL2_CHECKS = [
  'l2.properties',
  'l2.engines',
  'l2.alloc',
  'l2.copy',
  'l2.kernel-build',
  'l2.saxpy',
  'l2.timestamps',
  'l2.overlap',
];
export const LEVEL1_CHECKS = [
  'l1.loader',
  'l1.env',
  'l1.driver-libs',
  'l1.render-nodes',
  'l1.drivers',
  'l1.api-version',
];

/** A check's one-line description for assertion messages. */
export function show(c: CheckResult | undefined): string {
  if (!c) return 'missing';
  return `${c.id}${c.device !== undefined ? `[${c.device}]` : ''} ${c.status}: ${c.measured} — ${c.message ?? ''} ${c.hint ?? ''}`;
}

/** Runs `diag --level 2 --json` in-process with the simulated `profile` and checks every result. */
export function simulatedProfileSuite(profile: string, expectedDevices: number): void {
  describe.skipIf(!SIM_BUILT)(`diag --level 2 --driver sim --profile ${profile}`, () => {
    it('level-1 checks pass (or warn with a reason) and every level-2 check passes on every device', async () => {
      const c = captureIo();
      const code = await main(
        ['diag', '--level', '2', '--json', '--driver', 'sim', '--profile', profile],
        c.io,
      );
      const report = JSON.parse(c.out()) as DiagReport;
      expect(report.schema).toBe('xpuscope.diag/1');
      expect(report.devices).toHaveLength(expectedDevices);
      expect(report.driver).toMatchObject({ mode: 'sim', simulated: true, profiles: [profile] });
      for (const id of LEVEL1_CHECKS) {
        const r = report.checks.find((x) => x.id === id);
        expect(r, id).toBeDefined();
        expect(['pass', 'warn'], show(r)).toContain(r!.status);
        if (r!.status === 'warn') {
          expect(r!.message, show(r)).toBeTruthy();
          expect(r!.hint, show(r)).toBeTruthy();
        }
      }
      for (const id of LEVEL2_CHECKS) {
        for (let d = 0; d < expectedDevices; d++) {
          const r = report.checks.find((x) => x.id === id && x.device === d);
          expect(r?.status, show(r)).toBe('pass');
        }
      }
      expect(report.summary.fail).toBe(0);
      expect(report.exitCode).toBe(0);
      expect(code).toBe(EXIT.OK);
    });
  });
}

/**
 * A crude XML well-formedness check (no dependency): the text is a declaration plus properly nested
 * elements with quoted attributes, and `&` appears only in entities. Returns element counts by name.
 */
export function parseXmlCrudely(xml: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const stack: string[] = [];
  const token =
    /<\?xml[^>]*\?>|<([A-Za-z_][\w.-]*)((?:\s+[\w.:-]+="[^"<]*")*)\s*(\/?)>|<\/([A-Za-z_][\w.-]*)\s*>|([^<]+)/gy;
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (t: string, where: string): void => {
    if (t.replace(entity, '').includes('&')) throw new Error(`bare & in ${where}: ${t.slice(0, 80)}`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(t)) throw new Error(`control character in ${where}`);
  };
  let pos = 0;
  let root = 0;
  while (pos < xml.length) {
    token.lastIndex = pos;
    const m = token.exec(xml);
    if (!m) throw new Error(`not well-formed at ${pos}: ${xml.slice(pos, pos + 60)}`);
    pos = token.lastIndex;
    const [, open, attrs, selfClose, close, text] = m;
    if (open) {
      if (stack.length === 0) root++;
      counts[open] = (counts[open] ?? 0) + 1;
      for (const a of (attrs ?? '').matchAll(/([\w.:-]+)="([^"]*)"/g))
        checkText(a[2] ?? '', `attribute ${a[1]}`);
      if (!selfClose) stack.push(open);
    } else if (close) {
      const top = stack.pop();
      if (top !== close) throw new Error(`</${close}> closes <${top ?? 'nothing'}>`);
    } else if (text !== undefined) {
      if (stack.length === 0 && text.trim() !== '')
        throw new Error(`text outside the root: ${text.slice(0, 40)}`);
      checkText(text, 'text');
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('> <')}>`);
  if (root !== 1) throw new Error(`${root} root elements`);
  return counts;
}
