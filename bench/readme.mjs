// bench/readme.mjs — rewrites the performance table of README.md between the markers
// `<!-- bench:start -->` and `<!-- bench:end -->` (only that text; nothing else in the file changes).
// Used by `npm run bench -- --update-readme`. Returns a one-line message for the console.
import { readFileSync, writeFileSync } from 'node:fs';
import { fmt } from './lib.mjs';

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';

function cell(s) {
  return String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable(results, report) {
  const lines = [
    `Measured ${report.date.slice(0, 10)} with \`npm run bench${report.quick ? ' -- --quick' : ''}\` on ${report.cpus} CPUs (load average ${report.loadavg.start.map((x) => x.toFixed(1)).join(' ')}), node ${report.node}, simulated driver. Ratios compare against a baseline measured in the same run.`,
    '',
    '| benchmark | measured | baseline | ratio | target | result |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.error) {
      lines.push(`| ${r.id} | — | — | — | — | ${cell(r.error.split('\n')[0])} |`);
      continue;
    }
    for (const x of r.rows) {
      const u = x.unit ? ` ${x.unit}` : '';
      const v = (n) => (n === null || n === undefined ? '—' : `${fmt(n)}${u}`);
      lines.push(
        `| ${cell(`${r.id}: ${x.name}`)} | ${v(x.measured)} | ${v(x.baseline)} | ${x.ratio == null ? '—' : fmt(x.ratio)} | ${cell(x.target)} | ${x.pass == null ? 'n/a' : x.pass ? 'pass' : 'miss'} |`,
      );
    }
  }
  return lines.join('\n');
}

/** Replace the text between the markers; returns what happened (the README is never touched otherwise). */
export function updateReadme(path, results, report) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return `note: cannot read ${path} (${e.message}); README not updated`;
  }
  const a = text.indexOf(START);
  const b = text.indexOf(END, a + START.length);
  if (a < 0 || b < 0)
    return `note: README.md has no ${START} … ${END} markers; README not updated (add them where the table belongs)`;
  const next = text.slice(0, a + START.length) + '\n' + markdownTable(results, report) + '\n' + text.slice(b);
  if (next === text) return 'README.md table unchanged';
  writeFileSync(path, next);
  return 'README.md: performance table updated between the bench markers';
}
