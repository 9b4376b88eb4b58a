// One-time downloads and uploads of `xpuscope serve`: the temporary files handed over HTTP once
// (host/serve/transfer-routes.ts serves them). The service knows them only as `Transfers`
// (host/service.ts); this registry implements it in the server process.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transfers } from './service.js';

interface TransferEntry {
  path: string;
  filename: string;
  expires: number;
}

/**
 * Temporary files handed over HTTP once: downloads (`trace.export` → `GET /download/<id>`) and uploads
 * (`POST /upload` → `trace.import {upload: id}`). Ids are 32 random hex digits; each is usable once and
 * expires after `ttlMs` (10 minutes); its file is deleted then. Files live in a private temporary folder
 * removed by `close()`.
 */
export class TransferRegistry implements Transfers {
  readonly dir: string;
  private readonly downloads = new Map<string, TransferEntry>();
  private readonly uploads = new Map<string, TransferEntry>();
  private readonly sweeper: NodeJS.Timeout;
  constructor(private readonly ttlMs = 10 * 60_000) {
    this.dir = mkdtempSync(join(tmpdir(), 'xpuscope-transfers-'));
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, ttlMs));
    this.sweeper.unref();
  }

  static newId(): string {
    return randomBytes(16).toString('hex');
  }

  /** A fresh id and a file path for it (not yet offered). */
  newFile(suffix = 'bin'): { id: string; path: string } {
    const id = TransferRegistry.newId();
    return { id, path: join(this.dir, `${id}.${suffix}`) };
  }

  offerDownload(id: string, filename: string, path = join(this.dir, `${id}.trace.json`)): void {
    this.downloads.set(id, { path, filename, expires: Date.now() + this.ttlMs });
  }

  /** The download for `id`, forgotten at once (one use); the caller deletes the file after sending it. */
  takeDownload(id: string): { path: string; filename: string } | undefined {
    const e = this.downloads.get(id);
    this.downloads.delete(id);
    if (!e || e.expires < Date.now()) {
      if (e) rmSync(e.path, { force: true });
      return undefined;
    }
    return { path: e.path, filename: e.filename };
  }

  registerUpload(id: string, path: string): void {
    this.uploads.set(id, { path, filename: '', expires: Date.now() + this.ttlMs });
  }

  /** The uploaded file's path for `id`, forgotten at once (one use); the caller deletes the file. */
  takeUpload(id: string): string | undefined {
    const e = this.uploads.get(id);
    this.uploads.delete(id);
    if (!e || e.expires < Date.now()) {
      if (e) rmSync(e.path, { force: true });
      return undefined;
    }
    return e.path;
  }

  private sweep(): void {
    const now = Date.now();
    for (const map of [this.downloads, this.uploads]) {
      for (const [id, e] of map) {
        if (e.expires < now) {
          map.delete(id);
          rmSync(e.path, { force: true });
        }
      }
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    this.downloads.clear();
    this.uploads.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
