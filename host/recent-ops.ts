// The capture's counter inputs: the most recent operations' device, engine and times, column-wise in a
// fixed ring. One object per recorded op (what this replaced) cost the live capture most of its time in
// garbage collection at hundreds of thousands of ops per second; the ring allocates nothing per op.

export class RecentOps {
  private head = 0; // index of the oldest entry
  private count = 0;
  private readonly device: Int32Array;
  private readonly key: Uint32Array;
  private readonly submitNs: Float64Array;
  private readonly startNs: Float64Array;
  private readonly endNs: Float64Array;
  /** Engine keys (engineKey strings), interned: `key[i]` indexes this list. */
  private readonly keys: string[] = [];
  private readonly keyIds = new Map<string, number>();

  constructor(readonly capacity: number) {
    this.device = new Int32Array(capacity);
    this.key = new Uint32Array(capacity);
    this.submitNs = new Float64Array(capacity);
    this.startNs = new Float64Array(capacity);
    this.endNs = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The id of an engine key string (stable until clear()). */
  keyId(key: string): number {
    let id = this.keyIds.get(key);
    if (id === undefined) {
      id = this.keys.length;
      this.keys.push(key);
      this.keyIds.set(key, id);
    }
    return id;
  }

  /** Adds one op; when full, the oldest is overwritten (the newest `capacity` ops are kept). */
  push(device: number, keyId: number, submit: number, start: number, end: number): void {
    let slot: number;
    if (this.count < this.capacity) {
      slot = (this.head + this.count) % this.capacity;
      this.count++;
    } else {
      slot = this.head;
      this.head = (this.head + 1) % this.capacity;
    }
    this.device[slot] = device;
    this.key[slot] = keyId;
    this.submitNs[slot] = submit;
    this.startNs[slot] = start;
    this.endNs[slot] = end;
  }

  /** Forgets the oldest entries while they ended before `keepFrom`. */
  prune(keepFrom: number): void {
    while (this.count > 0 && this.endNs[this.head]! < keepFrom) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.keys.length = 0;
    this.keyIds.clear();
  }

  /** Calls `f` for each entry, oldest first. */
  forEach(f: (device: number, key: string, submit: number, start: number, end: number) => void): void {
    for (let i = 0; i < this.count; i++) {
      const s = (this.head + i) % this.capacity;
      f(this.device[s]!, this.keys[this.key[s]!]!, this.submitNs[s]!, this.startNs[s]!, this.endNs[s]!);
    }
  }
}
