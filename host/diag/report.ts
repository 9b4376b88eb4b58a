// Renderings of a DiagReport: the human table, JUnit XML (for CI dashboards) and a TTY progress line.
import type { CheckResult, CheckStatus, DiagProgress, DiagReport } from './types.js';

const COLORS: Record<CheckStatus, string> = { pass: '32', warn: '33', fail: '31', skip: '2' };

function paint(on: boolean, code: string, s: string): string {
  return on ? `\u001b[${code}m${s}\u001b[0m` : s;
}

/** Drop control characters (a driver-reported name must not drive the terminal). */
function safe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** `s` on lines of at most `n` characters, broken at spaces (a longer word on its own lines): never cut. */
export function wrap(s: string, n: number): string[] {
  const words = s.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (let w of words) {
    while (w.length > n) {
      if (line) lines.push(line);
      lines.push(w.slice(0, n));
      w = w.slice(n);
      line = '';
    }
    if (!line) line = w;
    else if (line.length + 1 + w.length <= n) line += ` ${w}`;
    else {
      lines.push(line);
      line = w;
    }
  }
  lines.push(line);
  return lines;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function checkName(c: CheckResult): string {
  return c.device === undefined ? c.id : `${c.id} [${c.device}]`;
}

/** The human-readable report: header, aligned table, then the details of every check that did not pass. */
export function formatReport(
  report: DiagReport,
  opts: { color?: boolean; driverLine?: string } = {},
): string {
  const color = opts.color === true;
  const r: DiagReport = {
    ...report,
    devices: report.devices.map((d) => ({ ...d, name: safe(d.name) })),
    checks: report.checks.map((c) => {
      const x: CheckResult = {
        ...c,
        measured: safe(c.measured),
        expected: safe(c.expected),
        expectedSource: safe(c.expectedSource),
      };
      if (c.message !== undefined) x.message = safe(c.message);
      if (c.hint !== undefined) x.hint = safe(c.hint);
      return x;
    }),
  };
  if (report.error)
    r.error = {
      message: safe(report.error.message),
      ...(report.error.hint ? { hint: safe(report.error.hint) } : {}),
    };
  let out = `xpuscope diag — level ${r.level}${r.deviceFilter !== undefined ? `, device ${r.deviceFilter}` : ''}\n`;
  if (opts.driverLine)
    out += `${r.driver?.simulated ? paint(color, '1;33', opts.driverLine) : opts.driverLine}\n`;
  for (const d of r.devices) out += `  device ${d.index}: ${d.name}${d.simulated ? ' (simulated)' : ''}\n`;
  out += '\n';
  if (r.checks.length > 0) {
    // Measured and expected values wrap onto more lines rather than being cut (a QA engineer reads
    // the whole value); every other column stays on the row's first line.
    const rows: string[][][] = [[['STATUS'], ['CHECK'], ['MEASURED'], ['EXPECTED'], ['TIME']]];
    for (const c of r.checks) {
      rows.push([
        [c.status.toUpperCase()],
        [checkName(c)],
        wrap(c.measured, 52),
        wrap(c.expected, 36),
        [fmtMs(c.durationMs)],
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.flatMap((row) => row[i]!.map((l) => l.length))));
    rows.forEach((row, n) => {
      const height = Math.max(...row.map((cell) => cell.length));
      for (let k = 0; k < height; k++) {
        const cells = row.map((cell, i) => {
          const text = cell[k] ?? '';
          return i === row.length - 1 ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
        });
        const status = r.checks[n - 1]?.status;
        if (k === 0 && n > 0 && status) cells[0] = paint(color, COLORS[status], cells[0]!);
        out += `${cells.join('  ').trimEnd()}\n`;
      }
    });
  }
  const notPassing = r.checks.filter((c) => c.status !== 'pass');
  if (notPassing.length > 0) {
    out += '\n';
    for (const c of notPassing) {
      if (c.status === 'skip') {
        out += `${paint(color, COLORS.skip, 'SKIP')} ${checkName(c)} — ${c.message ?? c.title}\n`;
        continue;
      }
      out += `${paint(color, COLORS[c.status], c.status.toUpperCase())} ${checkName(c)} — ${c.title}\n`;
      if (c.message) out += `  ${c.message}\n`;
      out += `  measured: ${c.measured}\n`;
      out += `  expected: ${c.expected} (from: ${c.expectedSource})\n`;
      if (c.hint) out += `  hint: ${c.hint}\n`;
    }
  }
  if (r.error) {
    out += `\nDiagnostics could not run: ${r.error.message}\n`;
    if (r.error.hint) out += `  hint: ${r.error.hint}\n`;
  }
  const s = r.summary;
  out += `\n${s.pass} passed, ${s.warn} warning(s), ${s.fail} failed, ${s.skip} skipped (${s.total} checks, ${fmtMs(r.durationMs)}) — exit ${r.exitCode}\n`;
  return out;
}

// ---- JUnit XML: protocol/junit.ts owns the format (the UI's export is the same file) ----
export { toJUnit, xmlEscape } from '../../protocol/junit.js';

// ---- TTY progress ----

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A progress line on a TTY (stderr): appears once a check has run for a second, spins, and is erased
 * when the check ends. `stop()` erases it for good.
 */
export function ttyProgress(stream: { write(s: string): unknown }): {
  onProgress(p: DiagProgress): void;
  stop(): void;
} {
  let timer: NodeJS.Timeout | undefined;
  let shown = false;
  let frame = 0;
  const clear = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (shown) stream.write('\r\u001b[2K');
    shown = false;
  };
  return {
    onProgress(p) {
      clear();
      if (p.type !== 'start') return;
      const label = `[${p.index + 1}/${p.total}] ${p.id}${p.device !== undefined ? ` [${p.device}]` : ''} ${p.title}`;
      const started = Date.now();
      timer = setInterval(() => {
        if (Date.now() - started < 1000) return;
        shown = true;
        frame = (frame + 1) % SPIN.length;
        stream.write(`\r\u001b[2K${SPIN[frame]} ${label} (${Math.floor((Date.now() - started) / 1000)} s)`);
      }, 100);
      timer.unref?.();
    },
    stop: clear,
  };
}
