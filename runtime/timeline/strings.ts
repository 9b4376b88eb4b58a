// Interned string table: every distinct operation name gets a dense id (0, 1, 2 …) that the columnar
// storage and the binary batches refer to. Ids are never reused or dropped, so a consumer that has seen
// strings [0, n) only ever needs the delta [n, size).

export class StringTable {
  private readonly ids = new Map<string, number>();
  private readonly list: string[] = [];

  /** The id of `s`, adding it when new. */
  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /** The id of `s`, or undefined when it was never interned. */
  lookup(s: string): number | undefined {
    return this.ids.get(s);
  }

  get(id: number): string {
    const s = this.list[id];
    if (s === undefined)
      throw new RangeError(`string id ${id} is not in the table (size ${this.list.length})`);
    return s;
  }

  get size(): number {
    return this.list.length;
  }

  /** Strings with ids in [from, size). */
  since(from: number): string[] {
    return this.list.slice(Math.max(0, from));
  }
}
