// One-time downloads and uploads of `xpuscope serve`: the temporary files handed over HTTP once
// (host/serve/transfer-routes.ts serves them). The service knows them only as `Transfers`
// (host/service.ts); this registry implements it in the server process.
//
// Disk is bounded (issue 21): every file in the folder counts towards `quotaBytes` (default 1 GiB;
// uploads being received count with the bytes they announced or received so far); an upload that would
// exceed it is refused (507) and an export is refused while the folder is at or over it. Every file
// expires, whatever happened to it: registered ones `ttlMs` after registration, any other file (an
// upload handed to the service but never imported, an export the service never offered) once it has
// not been written for `ttlMs`. `removeOrphans()` (called when the service process dies) deletes at
// once every file no one can use any more: partial exports and uploads handed to the dead process.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '../protocol/contract.js';
import { ServiceError, type Transfers } from './service.js';

interface TransferEntry {
  path: string;
  filename: string;
  expires: number;
}

export const DEFAULT_TRANSFER_TTL_MS = 10 * 60_000;
export const DEFAULT_TRANSFER_QUOTA_BYTES = 1024 * 1024 * 1024;

export interface TransferRegistryOptions {
  /** How long a file lives (default 10 minutes). */
  ttlMs?: number;
  /** Bytes all transfer files may take together (default 1 GiB). */
  quotaBytes?: number;
}

/**
 * Temporary files handed over HTTP once: downloads (`trace.export` → `GET /download/<id>`) and uploads
 * (`POST /upload` → `trace.import {upload: id}`). Ids are 32 random hex digits; each is usable once and
 * expires after `ttlMs` (10 minutes); its file is deleted then. Files live in a private temporary folder
 * removed by `close()`.
 */
export class TransferRegistry implements Transfers {
  readonly dir: string;
  readonly ttlMs: number;
  readonly quotaBytes: number;
  private readonly downloads = new Map<string, TransferEntry>();
  private readonly uploads = new Map<string, TransferEntry>();
  /** Uploads being received: path → bytes reserved (announced or received so far). */
  private readonly receiving = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  constructor(options: TransferRegistryOptions | number = {}) {
    const o = typeof options === 'number' ? { ttlMs: options } : options;
    this.ttlMs = o.ttlMs ?? DEFAULT_TRANSFER_TTL_MS;
    this.quotaBytes = o.quotaBytes ?? DEFAULT_TRANSFER_QUOTA_BYTES;
    this.dir = mkdtempSync(join(tmpdir(), 'xpuscope-transfers-'));
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.min(60_000, this.ttlMs / 2)));
    this.sweeper.unref();
  }

  static newId(): string {
    return randomBytes(16).toString('hex');
  }

  /** Bytes the folder holds now, plus what uploads being received have reserved beyond what they wrote. */
  usedBytes(): number {
    let total = 0;
    for (const name of this.files()) {
      const path = join(this.dir, name);
      try {
        total += Math.max(statSync(path).size, this.receiving.get(path) ?? 0);
      } catch {
        // gone meanwhile
      }
    }
    return total;
  }

  private files(): string[] {
    try {
      return readdirSync(this.dir);
    } catch {
      return [];
    }
  }

  /** Why a transfer of `bytes` more cannot be stored now (undefined: it can). */
  quotaRefusal(bytes = 0): string | undefined {
    const used = this.usedBytes();
    if (used + bytes <= this.quotaBytes && used < this.quotaBytes) return undefined;
    return (
      `The server's transfer storage is full: ${used} of ${this.quotaBytes} bytes are taken by uploads and ` +
      `exports not yet used${bytes > 0 ? `, and this one needs ${bytes} more` : ''}. Files are deleted once used or after ${Math.round(this.ttlMs / 60_000)} minutes.`
    );
  }

  /**
   * A fresh id and a file path for it (not yet offered). The service asks for one per `trace.export`:
   * refused (IO_ERROR) while the folder is at or over the quota.
   */
  newFile(suffix = 'bin'): { id: string; path: string } {
    const refusal = this.quotaRefusal();
    if (refusal !== undefined)
      throw new ServiceError(
        ErrorCodes.IO_ERROR,
        refusal,
        'Download or drop earlier exports and uploads, retry after they expire, or restart xpuscope serve with a larger --transfer-quota.',
      );
    return this.freshPath(suffix);
  }

  private freshPath(suffix: string): { id: string; path: string } {
    const id = TransferRegistry.newId();
    return { id, path: join(this.dir, `${id}.${suffix}`) };
  }

  /**
   * Starts receiving an upload of `declared` bytes (0 when unknown): a path for it, or a refusal when
   * the quota cannot take it. Call `received` as bytes come (false: over quota now) and then
   * `registerUpload` or `abandonUpload`.
   */
  beginUpload(declared: number): { id: string; path: string } | { refusal: string } {
    const refusal = this.quotaRefusal(declared);
    if (refusal !== undefined) return { refusal };
    const f = this.freshPath('upload.json');
    this.receiving.set(f.path, declared);
    return f;
  }

  /** An upload being received now holds `bytes`: false when that puts the folder over the quota. */
  received(path: string, bytes: number): boolean {
    const reserved = this.receiving.get(path);
    if (reserved === undefined) return false;
    if (bytes <= reserved) return true;
    this.receiving.set(path, bytes);
    return this.usedBytes() <= this.quotaBytes;
  }

  /** An upload that failed: forget it and delete what was written. */
  abandonUpload(path: string): void {
    this.receiving.delete(path);
    rmSync(path, { force: true });
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
    this.receiving.delete(path);
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

  /** Paths someone can still use: offered downloads, registered uploads, uploads being received. */
  private tracked(): Set<string> {
    const out = new Set<string>(this.receiving.keys());
    for (const map of [this.downloads, this.uploads]) for (const e of map.values()) out.add(e.path);
    return out;
  }

  /**
   * The service process died: files it was writing (partial exports) or had been handed (uploads not yet
   * imported) belong to no one now — delete every file not offered, registered or being received.
   * Returns how many were deleted.
   */
  removeOrphans(): number {
    const keep = this.tracked();
    let removed = 0;
    for (const name of this.files()) {
      const path = join(this.dir, name);
      if (keep.has(path)) continue;
      rmSync(path, { force: true, recursive: true });
      removed++;
    }
    return removed;
  }

  /** Deletes expired entries' files, and any other file not written for ttlMs. */
  sweep(): void {
    const now = Date.now();
    for (const map of [this.downloads, this.uploads]) {
      for (const [id, e] of map) {
        if (e.expires < now) {
          map.delete(id);
          rmSync(e.path, { force: true });
        }
      }
    }
    const keep = this.tracked();
    for (const name of this.files()) {
      const path = join(this.dir, name);
      if (keep.has(path)) continue;
      try {
        if (now - statSync(path).mtimeMs > this.ttlMs) rmSync(path, { force: true, recursive: true });
      } catch {
        // gone meanwhile
      }
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    this.downloads.clear();
    this.uploads.clear();
    this.receiving.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
