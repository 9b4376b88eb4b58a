/** Operation kinds; the index in this list is the numeric code used in columnar storage. */
export declare const OP_KINDS: readonly ['kernel', 'copy', 'fill', 'barrier', 'event-record', 'event-wait'];
export type OpKind = (typeof OP_KINDS)[number];
/** Engine kinds, from the queue group's flags (compute, copy-only, render). */
export type EngineKind = 'compute' | 'copy' | 'render' | 'other';
export interface EngineRef {
  /** Command queue group ordinal. */
  ordinal: number;
  /** Queue index within the group. */
  index: number;
  kind: EngineKind;
}
export interface OpRecord {
  /** Unique within a capture; dependency edges refer to it. */
  id: number;
  device: number;
  /** The stream's id (torch encoding), unique per device. */
  stream: number;
  engine: EngineRef;
  kind: OpKind;
  /** Kernel name, or e.g. "copy D2H", "fill". */
  name: string;
  /** Bytes moved or filled; 0 when not applicable. */
  bytes: number;
  /** Host time the operation was submitted, ns (same clock as startNs/endNs). */
  submitNs: number;
  /** Device start/end converted to host ns. */
  startNs: number;
  endNs: number;
  /** Ids of operations this one waited on (event record → wait edges). */
  deps: number[];
}
