import type { EngineRef, OpKind, OpRecord } from '../../../protocol/index.js';

export const COMPUTE0: EngineRef = { ordinal: 0, index: 0, kind: 'compute' };
export const COMPUTE1: EngineRef = { ordinal: 0, index: 1, kind: 'compute' };
export const COPY0: EngineRef = { ordinal: 1, index: 0, kind: 'copy' };

let nextId = 1;
export function op(p: Partial<OpRecord> & { startNs: number; endNs: number }): OpRecord {
  return {
    id: p.id ?? nextId++,
    device: p.device ?? 0,
    stream: p.stream ?? 1,
    engine: p.engine ?? COMPUTE0,
    kind: (p.kind ?? 'kernel') as OpKind,
    name: p.name ?? 'k',
    bytes: p.bytes ?? 0,
    submitNs: p.submitNs ?? p.startNs - 10,
    startNs: p.startNs,
    endNs: p.endNs,
    deps: p.deps ?? [],
  };
}
