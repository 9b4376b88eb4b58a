// Import adapter for Intel unitrace output: device processes named "DEVICE … #N", one thread per engine
// ("… Engine<ordinal,index>"), device ops as `gpu_op` spans named after the Level Zero append call,
// and Flow_H2D_ flows from the host append to the op (its submit time).
import type { EngineKind, EngineRef, OpKind, OpRecord } from '../../protocol/timeline.js';
import { EMPTY_DEPS } from './event-decoder.js';
import { usTextToNs } from './format.js';
import type { FormatAdapter, Held, Hold, ImportContext, Span } from './import-adapter.js';

/** unitrace device op name → kind, clean name, bytes. */
export function parseUnitraceName(raw: string): { kind: OpKind; name: string; bytes: number } {
  const name = raw.replace(/^Tile #\d+:\s*/, '');
  let m =
    /^zeCommandListAppend(MemoryCopy|MemoryCopyRegion|ImageCopy\w*|MemoryCopyFromContext)(?:\(([^)]*)\))?(?:\[(\d+)\])?/.exec(
      name,
    );
  if (m) return { kind: 'copy', name: `copy${m[2] ? ` ${m[2]}` : ''}`, bytes: m[3] ? Number(m[3]) : 0 };
  m = /^zeCommandListAppendMemoryFill(?:\(([^)]*)\))?(?:\[(\d+)\])?/.exec(name);
  if (m) return { kind: 'fill', name: 'fill', bytes: m[2] ? Number(m[2]) : 0 };
  if (/^zeCommandListAppend(Barrier|MemoryRangesBarrier)/.test(name))
    return { kind: 'barrier', name: 'barrier', bytes: 0 };
  if (/^zeCommandListAppendSignalEvent/.test(name))
    return { kind: 'event-record', name: 'event record', bytes: 0 };
  if (/^zeCommandListAppendWaitOnEvents/.test(name))
    return { kind: 'event-wait', name: 'event wait', bytes: 0 };
  // Kernel: strip the " [SIMD32 {gx; gy; gz} {lx; ly; lz}]" launch configuration.
  return { kind: 'kernel', name: name.replace(/\s*\[SIMD\d*[^\]]*\]\s*$/, ''), bytes: 0 };
}

/** "Thread 1234 L0 Compute Engine<0,1>" → engine. */
export function parseUnitraceEngine(threadName: string | undefined): EngineRef {
  const m = threadName
    ? /(Compute|Copy|Render|Media)?\s*Engine\s*<\s*(\d+)\s*,\s*(\d+)\s*>/i.exec(threadName)
    : null;
  if (!m) return { ordinal: 0, index: 0, kind: 'other' };
  const k = (m[1] ?? '').toLowerCase();
  const kind: EngineKind =
    k === 'compute' ? 'compute' : k === 'copy' ? 'copy' : k === 'render' ? 'render' : 'other';
  return { ordinal: Number(m[2]), index: Number(m[3]), kind };
}

/** The device of a unitrace process: "# N" at the end of its name, else from the pid. */
function deviceOfProcess(pid: number, pname: string | undefined): number {
  const hash = pname ? /#\s*(\d+)\s*$/.exec(pname) : null;
  return hash ? Number(hash[1]) : pid >= 0xffff0000 ? 0xffffffff - pid : pid;
}

export class UnitraceAdapter implements FormatAdapter {
  readonly format = 'unitrace' as const;
  readonly absoluteClock = false;
  seen = false;
  /** Flow_H2D_ flows: the op's args.id → the append's ts. */
  private readonly appendByKernelId = new Map<number, string | number>();
  /** Engines by pid, then tid, once the thread's name is known. */
  private readonly engines = new Map<number, Map<number, EngineRef>>();
  private readonly names = new Map<string, { kind: OpKind; name: string; bytes: number }>();

  constructor(private readonly ctx: ImportContext) {}

  topLevel(): void {}

  processName(_pid: number, name: string): void {
    if (name.startsWith('DEVICE')) this.seen = true;
  }

  threadName(): void {}

  claims(cat: string): boolean {
    if (cat !== 'gpu_op') return false;
    this.seen = true;
    return true;
  }

  linksFlow(cat: string): boolean {
    return cat.startsWith('Flow_H2D_');
  }
  launched(id: number, ts: string | number): void {
    this.appendByKernelId.set(id, ts);
  }

  build(sp: Span, hold: Hold): OpRecord {
    const startNs = sp.tsNs;
    const endNs = startNs + Math.max(0, sp.durNs);
    const { kind, name, bytes } = this.opName(sp.name);
    const dev = this.device(sp.pid);
    const eng = this.engine(sp.pid, sp.tid);
    const kid = sp.id;
    const appended = kid !== undefined ? this.appendByKernelId.get(kid) : undefined;
    const rec: OpRecord = {
      id: this.ctx.nextId(),
      device: dev.device,
      stream: sp.tid,
      engine: eng.engine,
      kind,
      name,
      bytes,
      submitNs: appended !== undefined ? usTextToNs(appended, this.ctx.originUs ?? 0) : startNs,
      startNs,
      endNs,
      deps: EMPTY_DEPS,
    };
    const waitSubmit = kid !== undefined && appended === undefined;
    hold.hold = !dev.known || !eng.known || waitSubmit;
    if (waitSubmit) hold.key = kid;
    return rec;
  }

  complete(h: Held): OpRecord {
    const r = h.rec;
    r.device = this.device(h.pid).device;
    r.engine = this.engine(h.pid, h.tid).engine;
    const appended = h.key !== undefined ? this.appendByKernelId.get(h.key) : undefined;
    if (appended !== undefined) r.submitNs = usTextToNs(appended, this.ctx.originUs ?? 0);
    return r;
  }

  devices(out: Map<number, string>): void {
    for (const [pid, pname] of this.ctx.processNames) {
      if (!pname.startsWith('DEVICE')) continue;
      const m = /^DEVICE.*?\[(.*)\]\s*(\S+)?/.exec(pname);
      out.set(
        deviceOfProcess(pid, pname),
        m ? `${m[1]}${m[2] && !m[2].startsWith('#') ? ` ${m[2]}` : ''}` : pname,
      );
    }
  }

  epochNs(): number | undefined {
    return undefined;
  }

  private device(pid: number): { device: number; known: boolean } {
    const pname = this.ctx.processNames.get(pid);
    return { device: deviceOfProcess(pid, pname), known: pname !== undefined };
  }

  private engine(pid: number, tid: number): { engine: EngineRef; known: boolean } {
    const cached = this.engines.get(pid)?.get(tid);
    if (cached) return { engine: cached, known: true };
    const name = this.ctx.threadName(pid, tid);
    const engine = parseUnitraceEngine(name);
    if (name !== undefined) {
      let byTid = this.engines.get(pid);
      if (byTid === undefined) this.engines.set(pid, (byTid = new Map()));
      byTid.set(tid, Object.freeze(engine));
    }
    return { engine, known: name !== undefined };
  }

  /** parseUnitraceName, cached (a trace has few distinct names); names are interned. */
  private opName(raw: string): { kind: OpKind; name: string; bytes: number } {
    let hit = this.names.get(raw);
    if (hit === undefined) {
      const p = parseUnitraceName(raw);
      hit = { kind: p.kind, name: this.ctx.intern(p.name), bytes: p.bytes };
      if (this.names.size < 100_000) this.names.set(raw, hit);
    }
    return hit;
  }
}
