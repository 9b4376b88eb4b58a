#!/usr/bin/env node
// The `xpuscope` command: a tiny launcher for the compiled CLI (host/cli.ts → dist/host/cli.js).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/host/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('xpuscope is not built yet — run: npm run build\n');
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2));
// Flush both streams before exiting (the runtime may hold handles that would keep node alive).
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
