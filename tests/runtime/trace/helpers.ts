import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A temporary directory removed after the file's tests. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xpuscope-trace-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface ChromeEvent {
  ph: string;
  name?: string;
  cat?: string;
  pid?: number;
  tid?: number;
  ts?: number;
  dur?: number;
  id?: number;
  bp?: string;
  args?: Record<string, unknown>;
}
