// Import adapter for xpuscope's own files (runtime/trace/export.ts): lossless. otherData.xpuscope marks
// the file; lanes carry their device, stream, engine and source in thread_name metadata; spans carry
// the op's id, kind, host-ns times and deps in args.
import {
  ENGINE_KINDS,
  OP_KINDS,
  type EngineKind,
  type EngineRef,
  type OpKind,
  type OpRecord,
  type OpSource,
} from '../../protocol/timeline.js';
import { isObj, num, type FormatAdapter, type Held, type Hold, type Span } from './import-adapter.js';

// Engine objects are shared by all records of a lane (records are read-only), so they are frozen.
const OTHER_ENGINE: EngineRef = Object.freeze({ ordinal: 0, index: 0, kind: 'other' as const });
const ENGINE_KIND_SET = new Set<EngineKind>(ENGINE_KINDS);
const KIND_SET = new Set<string>(OP_KINDS);

interface LaneMeta {
  device: number;
  stream: number;
  engine: EngineRef;
  source?: OpSource;
}

export class XpuscopeAdapter implements FormatAdapter {
  readonly format = 'xpuscope' as const;
  /** otherData.xpuscope (version, baseNs …). */
  otherData: Record<string, unknown> | undefined;
  private baseNs = 0;
  /** Lane metadata by pid, then tid (numeric keys: looked up per span). */
  private readonly lanes = new Map<number, Map<number, LaneMeta>>();
  private readonly deviceNames = new Map<number, string>();

  get seen(): boolean {
    return this.otherData !== undefined;
  }
  get absoluteClock(): boolean {
    return this.otherData !== undefined;
  }

  topLevel(key: string, v: unknown): void {
    if (key === 'otherData' && isObj(v) && isObj(v.xpuscope)) {
      this.otherData = v.xpuscope;
      this.baseNs = num(v.xpuscope.baseNs) ?? 0;
    }
  }

  processName(_pid: number, name: string, args: Record<string, unknown>): void {
    if (isObj(args.xpuscope) && num(args.xpuscope.device) !== undefined)
      this.deviceNames.set(num(args.xpuscope.device)!, name);
  }

  threadName(pid: number, tid: number, args: Record<string, unknown>): void {
    let byTid = this.lanes.get(pid);
    const x = args.xpuscope;
    if (!(isObj(x) && isObj(x.engine))) {
      byTid?.delete(tid);
      return;
    }
    const kind = String(x.engine.kind) as EngineKind;
    const m: LaneMeta = {
      device: num(x.device) ?? pid - 1,
      stream: num(x.stream) ?? tid,
      engine: Object.freeze({
        ordinal: num(x.engine.ordinal) ?? 0,
        index: num(x.engine.index) ?? 0,
        kind: ENGINE_KIND_SET.has(kind) ? kind : 'other',
      }),
    };
    const src = x.source;
    if (
      isObj(src) &&
      num(src.pid) !== undefined &&
      typeof src.process === 'string' &&
      typeof src.device === 'string' &&
      typeof src.queue === 'string'
    )
      m.source = Object.freeze({
        pid: num(src.pid)!,
        process: src.process,
        device: src.device,
        queue: src.queue,
      });
    if (byTid === undefined) this.lanes.set(pid, (byTid = new Map()));
    byTid.set(tid, m);
  }

  claims(_cat: string, kind: unknown, id: number | undefined): boolean {
    return this.otherData !== undefined && typeof kind === 'string' && KIND_SET.has(kind) && id !== undefined;
  }

  linksFlow(): boolean {
    return false;
  }
  launched(): void {}

  build(sp: Span, hold: Hold): OpRecord {
    const meta = this.lanes.get(sp.pid)?.get(sp.tid);
    const rel0 = sp.tsNs,
      d = sp.durNs;
    const startNs = sp.startNs ?? this.baseNs + rel0;
    const endNs = sp.endNs ?? this.baseNs + (rel0 + d);
    const rec: OpRecord = {
      id: sp.id!,
      device: meta?.device ?? sp.pid - 1,
      stream: meta?.stream ?? sp.tid,
      engine: meta ? meta.engine : OTHER_ENGINE,
      kind: sp.kind as OpKind,
      name: sp.name,
      bytes: sp.bytes ?? 0,
      submitNs: sp.submitNs ?? startNs,
      startNs,
      endNs,
      deps: sp.deps,
    };
    if (meta?.source) rec.source = meta.source;
    if (sp.detail !== undefined) rec.detail = sp.detail;
    // The lane's metadata may come after its spans.
    hold.hold = meta === undefined;
    return rec;
  }

  complete(h: Held): OpRecord {
    const r = h.rec;
    const meta = this.lanes.get(h.pid)?.get(h.tid);
    if (meta) {
      r.device = meta.device;
      r.stream = meta.stream;
      r.engine = meta.engine;
      if (meta.source) r.source = meta.source;
    }
    return r;
  }

  devices(out: Map<number, string>): void {
    for (const [d, n] of this.deviceNames) out.set(d, n);
  }

  epochNs(): number | undefined {
    return undefined;
  }
}
