// `xpuscope record --to URL`: streams a recording into a running `xpuscope serve` (its Record view and
// timeline show it live) over the server's own WebSocket API: `record.attach`, then `record.push`es of
// compact rows. Best effort: when the server falls behind, rows are dropped here and counted; the
// local recording (--trace, the summary) is never affected.
import WebSocket from 'ws';
import { OP_KINDS, type OpRecord, type OpSource } from '../../protocol/timeline.js';
import type { RecordProcessView, RecordPush, RecordPushLane } from '../../protocol/views.js';

/** Rows per push (a push stays well under the server's 1 MiB message limit). */
const ROWS_PER_PUSH = 5000;
/** Pending bytes on the socket beyond which rows are dropped instead of queued. */
const MAX_BUFFERED = 16 << 20;

/** The WebSocket URL of a server URL as `xpuscope serve` prints it (`http://host:port/?token=…`). */
export function wsUrlOf(url: string, token?: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      `--to ${url}: not a URL (give the address xpuscope serve printed, e.g. http://127.0.0.1:8080/)`,
    );
  }
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:')
    throw new Error(`--to ${url}: expected an http:// URL`);
  if (!u.pathname.endsWith('/ws')) u.pathname = '/ws';
  if (token !== undefined) u.searchParams.set('token', token);
  // This client reads no timeline batches (it is the one producing them).
  u.searchParams.set('batches', '0');
  return u.toString();
}

const kindCode = new Map<string, number>(OP_KINDS.map((k, i) => [k, i]));

export class RemoteRecording {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Lane ids by the ops' OpSource: one object per lane (protocol/timeline.ts), so no key to build per op. */
  private readonly lanes = new Map<OpSource, number>();
  private newLanes: RecordPushLane[] = [];
  private readonly strings = new Map<string, number>();
  private newStrings: string[] = [];
  private rows: number[][] = [];
  /** Rows not sent because the server fell behind or the connection is gone. */
  dropped = 0;
  error: string | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let m: { id?: number; result?: unknown; error?: { message: string; hint?: string } };
      try {
        m = JSON.parse(String(data)) as typeof m;
      } catch {
        return;
      }
      if (typeof m.id !== 'number') return; // an event
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(`${m.error.message}${m.error.hint ? ` (${m.error.hint})` : ''}`));
      else p.resolve(m.result);
    });
    ws.on('close', () => {
      this.error ??= 'the server closed the connection';
      for (const p of this.pending.values()) p.reject(new Error(this.error));
      this.pending.clear();
    });
    ws.on('error', (err) => {
      this.error ??= err.message;
    });
  }

  /** Connects and begins the recording on the server; rejects with a clear message when it cannot. */
  static async connect(
    url: string,
    command: string[],
    simulated: boolean,
    token?: string,
  ): Promise<RemoteRecording> {
    const target = wsUrlOf(url, token);
    const ws = new WebSocket(target, { handshakeTimeout: 5000, maxPayload: 64 << 20 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) =>
        reject(
          new Error(
            res.statusCode === 401 || res.statusCode === 403
              ? `the server refused the connection (${res.statusCode}): pass the token it printed (--token, or the URL with ?token=)`
              : `the server answered ${res.statusCode} instead of opening the WebSocket`,
          ),
        ),
      );
      ws.once('error', (err) => reject(new Error(err.message)));
    }).catch((err: Error) => {
      ws.terminate();
      throw new Error(`cannot reach xpuscope serve at ${url}: ${err.message}`);
    });
    const r = new RemoteRecording(ws);
    try {
      await r.call('record.attach', { command, simulated });
    } catch (err) {
      ws.close();
      throw new Error(`xpuscope serve at ${url} did not take the recording: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return r;
  }

  private call(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) {
        reject(new Error(this.error ?? 'not connected'));
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  private laneOf(op: OpRecord): number {
    const s = op.source!;
    let id = this.lanes.get(s);
    if (id === undefined) {
      id = this.lanes.size;
      this.lanes.set(s, id);
      this.newLanes.push({
        lane: id,
        device: op.device,
        stream: op.stream,
        engine: { ordinal: op.engine.ordinal, index: op.engine.index, kind: op.engine.kind },
        source: { pid: s.pid, process: s.process, device: s.device, queue: s.queue },
      });
    }
    return id;
  }

  private stringOf(s: string): number {
    let id = this.strings.get(s);
    if (id === undefined) {
      id = this.strings.size;
      this.strings.set(s, id);
      this.newStrings.push(s);
    }
    return id;
  }

  /** Queues operations for the next flush. */
  add(ops: readonly OpRecord[]): void {
    for (const op of ops) {
      if (!op.source) continue;
      const row = [
        this.laneOf(op),
        op.id,
        kindCode.get(op.kind) ?? 0,
        this.stringOf(op.name),
        op.bytes,
        op.submitNs,
        op.startNs,
        op.endNs,
      ];
      for (let i = 0; i < op.deps.length && i < 64; i++) row.push(op.deps[i]!);
      this.rows.push(row);
    }
  }

  /** Sends what is queued (in pushes of ROWS_PER_PUSH); never waits for the answers. */
  flush(extra: Omit<RecordPush, 'lanes' | 'strings' | 'ops'> = {}): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      this.dropped += this.rows.length;
      this.rows = [];
      return;
    }
    do {
      const rows = this.rows.splice(0, ROWS_PER_PUSH);
      if (this.ws.bufferedAmount > MAX_BUFFERED) {
        this.dropped += rows.length;
        continue;
      }
      const push: RecordPush = { ...extra, ops: rows };
      if (this.newLanes.length) push.lanes = this.newLanes.splice(0);
      if (this.newStrings.length) push.strings = this.newStrings.splice(0);
      this.call('record.push', push).catch((err: Error) => {
        this.error ??= err.message;
      });
    } while (this.rows.length > 0);
  }

  /** The last push (processes, exit) and a clean close; resolves when the server has answered. */
  async finish(
    processes: RecordProcessView[],
    exit: { code: number; signal?: string },
    wallMs: number,
  ): Promise<void> {
    this.flush();
    if (this.ws.readyState !== WebSocket.OPEN) return;
    try {
      await this.call('record.push', { processes, done: { exit, wallMs } });
    } catch (err) {
      this.error ??= (err as Error).message;
    }
    this.ws.close();
  }
}
