// One recorder, many listeners. The runtime has a single recorder slot (`xpu.setRecorder`); the service's
// capture and a running scenario both need the operations, so they subscribe here and the hub owns the
// slot while anyone is subscribed. Do not call `xpu.setRecorder` yourself while the hub is in use (it
// would displace the hub).
//
// Ids: the runtime restarts op ids at 1 each time a recorder is attached. The hub keeps them unique for
// the whole process by adding an offset (the largest id delivered so far) on every re-attachment, to
// `id` and to `deps` alike.
import type { OpRecord } from '../protocol/timeline.js';
import { setRecorder } from './recorder.js';

export type OpListener = (op: OpRecord) => void;

const listeners = new Set<OpListener>();
let attached = false;
let base = 0;
let maxId = 0;

function onOp(op: OpRecord): void {
  const id = op.id + base;
  if (id > maxId) maxId = id;
  const out: OpRecord =
    base === 0 ? op : { ...op, id, deps: op.deps.length ? op.deps.map((d) => d + base) : op.deps };
  for (const l of [...listeners]) {
    try {
      l(out);
    } catch {
      // a failing listener never breaks the runtime or the other listeners
    }
  }
}

/**
 * Receive every completed operation (ids unique per process) until the returned function is called.
 * The first subscriber attaches the runtime recorder; the last one to leave detaches it (operations
 * still in flight then are not delivered: synchronize before unsubscribing).
 */
export function subscribeOps(listener: OpListener): () => void {
  listeners.add(listener);
  if (!attached) {
    base = maxId;
    setRecorder({ onOp });
    attached = true;
  }
  return () => {
    if (!listeners.delete(listener)) return;
    if (listeners.size === 0 && attached) {
      setRecorder(null);
      attached = false;
    }
  };
}
