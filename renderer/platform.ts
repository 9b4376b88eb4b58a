// What differs between the desktop app and a browser on `xpuscope serve`: saving files and moving
// trace files in and out. Electron: main shows the native dialogs and hands the service a path.
// Browser: the server hands out a one-time download URL, and takes uploads on POST /upload.
import type { InspectorApi } from '../protocol/contract.js';
import type { TraceImportSummary } from '../protocol/views.js';
import type { XpuscopeBridge } from '../protocol/bridge.js';
import { ApiError } from './transports/types.js';

export interface ExportResult {
  spans: number;
  bytes: number;
  path?: string;
}

export interface Platform {
  readonly kind: 'electron' | 'web';
  /** null when the user cancelled. */
  exportTrace(api: InspectorApi): Promise<ExportResult | null>;
  importTrace(api: InspectorApi, file?: Blob): Promise<TraceImportSummary | null>;
  /** Saves text the page produced (diagnostics JSON/JUnit); resolves with where it went, or null. */
  saveText(name: string, content: string, mime: string): Promise<string | null>;
}

/** Starts a browser download of `href` named `name` (anchor with the download attribute). */
function download(doc: Document, href: string, name: string): void {
  const a = doc.createElement('a');
  a.href = href;
  a.download = name;
  a.rel = 'noopener';
  a.hidden = true;
  doc.body.appendChild(a);
  a.click();
  a.remove();
}

export class WebPlatform implements Platform {
  readonly kind = 'web' as const;
  constructor(
    private readonly win: Window,
    private readonly fetchImpl: typeof fetch = (...args) => win.fetch(...args),
    /** Another server than the page's (a remote one): its http base and token. */
    private readonly server?: { base: string; token?: string },
  ) {}

  /** A server path with the server's access token, if it has one. */
  private serverUrl(path: string): string {
    const page = new URL(this.server ? `${this.server.base}/` : this.win.location.href);
    const url = new URL(path, page);
    const token = this.server ? this.server.token : page.searchParams.get('token');
    if (token && !url.searchParams.has('token')) url.searchParams.set('token', token);
    return url.href;
  }

  async exportTrace(api: InspectorApi): Promise<ExportResult | null> {
    const r = await api.call('trace.export', {});
    if (!r.download)
      throw new ApiError({ code: 'PROTOCOL', message: 'The server did not return a download URL.' });
    download(this.win.document, this.serverUrl(r.download), 'xpuscope-trace.json');
    return { spans: r.spans, bytes: r.bytes };
  }

  async importTrace(api: InspectorApi, file?: Blob): Promise<TraceImportSummary | null> {
    if (!file) return null;
    let response: Response;
    try {
      response = await this.fetchImpl(this.serverUrl('/upload'), {
        method: 'POST',
        body: file,
        headers: { 'content-type': 'application/octet-stream' },
      });
    } catch (error) {
      throw new ApiError({
        code: 'UPLOAD_FAILED',
        message: `The trace could not be uploaded: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      // fall through
    }
    const b = (body ?? {}) as {
      upload?: unknown;
      error?: { code?: string; message?: string; hint?: string };
    };
    if (!response.ok || typeof b.upload !== 'string') {
      throw new ApiError({
        code: b.error?.code ?? 'UPLOAD_FAILED',
        message: b.error?.message ?? `The server refused the upload (HTTP ${response.status}).`,
        ...(b.error?.hint ? { hint: b.error.hint } : {}),
      });
    }
    // The file's own name (a File has one) names the capture it opens as.
    const name =
      typeof (file as { name?: unknown }).name === 'string' ? (file as File).name.slice(0, 256) : '';
    return api.call('trace.import', name ? { upload: b.upload, name } : { upload: b.upload });
  }

  async saveText(name: string, content: string, mime: string): Promise<string | null> {
    const url = URL.createObjectURL(new Blob([content], { type: mime }));
    try {
      download(this.win.document, url, name);
    } finally {
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }
    return name;
  }
}

/** Where main put things, or that the user cancelled; errors as data like every bridge reply. */
type DialogReply<T> = { result: T | null } | { error: { code: string; message: string; hint?: string } };

export class ElectronPlatform implements Platform {
  readonly kind = 'electron' as const;
  constructor(private readonly bridge: XpuscopeBridge) {}

  private static unwrap<T>(reply: DialogReply<T>): T | null {
    if ('error' in reply) throw new ApiError(reply.error);
    return reply.result;
  }

  async exportTrace(): Promise<ExportResult | null> {
    return ElectronPlatform.unwrap((await this.bridge.exportTrace()) as DialogReply<ExportResult>);
  }
  async importTrace(): Promise<TraceImportSummary | null> {
    return ElectronPlatform.unwrap((await this.bridge.importTrace()) as DialogReply<TraceImportSummary>);
  }
  async saveText(name: string, content: string): Promise<string | null> {
    return ElectronPlatform.unwrap((await this.bridge.saveFile(name, content)) as DialogReply<string>);
  }
}
