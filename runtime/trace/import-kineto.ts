// Import adapter for PyTorch profiler (Kineto) traces of XPU work: `kernel`, `gpu_memcpy` and
// `gpu_memset` spans with args.device/stream/correlation; `ac2g` flows from the host launch (by
// correlation id) give the submit time; baseTimeNanoseconds and deviceProperties at the top level.
import type { EngineRef, OpKind, OpRecord } from '../../protocol/timeline.js';
import { EMPTY_DEPS } from './event-decoder.js';
import { usTextToNs } from './format.js';
import {
  isObj,
  num,
  type FormatAdapter,
  type Held,
  type Hold,
  type ImportContext,
  type Span,
} from './import-adapter.js';

const KINETO_ENGINE: EngineRef = Object.freeze({ ordinal: 0, index: 0, kind: 'compute' as const });
const KINETO_CATS: Record<string, OpKind> = { kernel: 'kernel', gpu_memcpy: 'copy', gpu_memset: 'fill' };

export class KinetoAdapter implements FormatAdapter {
  readonly format = 'kineto' as const;
  readonly absoluteClock = false;
  seen = false;
  private baseNs: number | undefined;
  private readonly deviceProps = new Map<number, string>();
  /** ac2g flows: correlation id → the launch's ts. */
  private readonly submitByCorrelation = new Map<number, string | number>();

  constructor(private readonly ctx: ImportContext) {}

  topLevel(key: string, v: unknown): void {
    if (key === 'baseTimeNanoseconds') {
      this.baseNs = num(v);
      this.seen = true;
    } else if (key === 'deviceProperties' && Array.isArray(v)) {
      this.seen = true;
      for (const d of v)
        if (isObj(d) && num(d.id) !== undefined && typeof d.name === 'string')
          this.deviceProps.set(num(d.id)!, d.name);
    } else if (key === 'schemaVersion' || key === 'distributedInfo') this.seen = true;
  }

  processName(): void {}
  threadName(): void {}

  claims(cat: string): boolean {
    if (!(cat in KINETO_CATS)) return false;
    this.seen = true;
    return true;
  }

  linksFlow(cat: string): boolean {
    return cat === 'ac2g';
  }
  launched(id: number, ts: string | number): void {
    this.submitByCorrelation.set(id, ts);
  }

  build(sp: Span, hold: Hold): OpRecord {
    const startNs = sp.tsNs;
    const endNs = startNs + Math.max(0, sp.durNs);
    const corr = sp.correlation;
    const launched = corr !== undefined ? this.submitByCorrelation.get(corr) : undefined;
    const submitNs = launched !== undefined ? usTextToNs(launched, this.ctx.originUs ?? 0) : startNs;
    const rec: OpRecord = {
      id: this.ctx.nextId(),
      device: sp.device ?? sp.pid,
      stream: sp.stream ?? sp.tid,
      engine: KINETO_ENGINE,
      kind: KINETO_CATS[sp.cat] ?? 'kernel',
      name: sp.name,
      bytes: sp.bytes ?? 0,
      submitNs,
      startNs,
      endNs,
      deps: EMPTY_DEPS,
    };
    // The launch may come after the kernel.
    hold.hold = corr !== undefined && launched === undefined;
    if (hold.hold) hold.key = corr;
    return rec;
  }

  complete(h: Held): OpRecord {
    const launched = h.key !== undefined ? this.submitByCorrelation.get(h.key) : undefined;
    if (launched !== undefined) h.rec.submitNs = usTextToNs(launched, this.ctx.originUs ?? 0);
    return h.rec;
  }

  devices(out: Map<number, string>): void {
    for (const [d, n] of this.deviceProps) out.set(d, n);
    for (const r of this.ctx.records)
      if (!out.has(r.device)) out.set(r.device, this.ctx.processNames.get(r.device) ?? `XPU ${r.device}`);
  }

  epochNs(): number | undefined {
    return this.baseNs;
  }
}
