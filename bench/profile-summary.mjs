#!/usr/bin/env node
// bench/profile-summary.mjs FILE.cpuprofile [N] — top-N functions by self time (and their share) of a
// V8 CPU profile written by `node --cpu-prof`, for bench/NOTES.md. Inclusive time is not computed.
import { readFileSync } from 'node:fs';

const [file, nArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [N]');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i]);
  const f = n.callFrame;
  const key =
    `${f.functionName || '(anonymous)'} ${f.url ? f.url.replace(/^.*\/(dist|node_modules)\//, '$1/') + ':' + (f.lineNumber + 1) : ''}`.trim();
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(nArg ?? 20));
console.log(`total ${(total / 1000).toFixed(0)} ms sampled`);
for (const [k, v] of top)
  console.log(
    `${((100 * v) / total).toFixed(1).padStart(5)} %  ${(v / 1000).toFixed(1).padStart(8)} ms  ${k}`,
  );
