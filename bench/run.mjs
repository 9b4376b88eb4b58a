#!/usr/bin/env node
// `npm run bench`: the benchmark suite (issue 7: submit, sync, record, render, ingest, export,
// bigtrace, cli, overlap — each with a baseline measured in the same run). Not written yet: this
// placeholder says so and exits non-zero, so nobody mistakes it for a passing benchmark run.
console.log('xpuscope benchmarks: not implemented yet.');
console.log('The suite (ratios against baselines measured in the same run) is tracked by the performance issue;');
console.log('see bench/README.md for the planned benchmarks and their targets.');
process.exit(2);
