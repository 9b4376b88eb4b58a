// What one completed GPU operation looks like once the runtime's recorder has converted its device
// timestamps to host time. The runtime produces these, the timeline model stores them column-wise,
// trace export/import reads and writes them, and the UI draws them.

/**
 * Operation kinds; the index in this list is the numeric code used in columnar storage, in batches and
 * in the collector's ring records (native/collector/xpuscope_ring.h XR_OP_*): append only.
 */
export const OP_KINDS = [
  'kernel',
  'copy',
  'fill',
  'barrier',
  'event-record',
  'event-wait',
  'event-reset',
  'timestamp',
  /** A host thread's Level Zero call (`xpuscope record --host-calls`), on a host lane. */
  'host-call',
] as const;
export type OpKind = (typeof OP_KINDS)[number];

/**
 * Engine kinds, from the queue group's flags (compute, copy-only, render); 'host' marks a recorded
 * program's host thread lane (its Level Zero calls), which no GPU metric counts.
 */
export const ENGINE_KINDS = ['compute', 'copy', 'render', 'other', 'host'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export interface EngineRef {
  /** Command queue group ordinal. */
  ordinal: number;
  /** Queue index within the group. */
  index: number;
  kind: EngineKind;
}

/**
 * Where an operation of a recorded program ran, as that program named it (`xpuscope record`). The
 * recording gives each process image's devices their own `device` numbers in the capture, so lanes of
 * different processes never merge; these names are what the lanes are labelled with. Producers share
 * one OpSource object per lane.
 */
export interface OpSource {
  /** The recorded process. */
  pid: number;
  /** Its command line (may be shortened). */
  process: string;
  /** The device name as the program's driver reported it. */
  device: string;
  /** The lane: "immediate list 3", "queue 1". */
  queue: string;
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
  /** Set for operations recorded from another program (absent for xpuscope's own runtime). */
  source?: OpSource;
  /**
   * Details of this operation as people read them, e.g. "groups 16×1×1 · group size 64×1×1 ·
   * execution 3" (a kernel launch of a regular list's third execution); interned like names.
   */
  detail?: string;
}
