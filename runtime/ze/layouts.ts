// Level Zero struct layouts for x86-64 Linux, declared once (level-zero.md §5). Structs are plain
// Buffers read and written by offset. Which structs and fields are used is listed by hand in
// runtime/scripts/layout-spec.mjs; their sizes, offsets and stype values are GENERATED from the
// installed headers into ./layouts.generated.ts (`node runtime/scripts/gen-layouts.mjs`;
// tests/runtime/layouts.test.ts checks it is reproducible). Field names are the C member names.
import { LAYOUTS, STYPE, ZES_STYPE } from './layouts.generated.js';

export type FieldType =
  'u8' | 'u32' | 'i32' | 'u64' | 'i64' | 'f64' | 'size' | 'ptr' | 'chars' | 'bytes' | 'u32s';

export interface FieldSpec {
  readonly off: number;
  readonly type: FieldType;
  /** Element count for chars/bytes/u32s. */
  readonly len?: number;
}

export interface StructLayout {
  readonly name: string;
  readonly size: number;
  /** Default `stype` value (absent for structs without one). */
  readonly stype?: number;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

/** ze_structure_type_t / zes_structure_type_t values the runtime uses (generated from the headers). */
export { STYPE, ZES_STYPE };

/**
 * Every struct layout the runtime uses (generated: runtime/ze/layouts.generated.ts, from the list in
 * runtime/scripts/layout-spec.mjs).
 */
export const L = LAYOUTS;

export type LayoutName = keyof typeof L;

/** zes_mem_loc_t (where a Sysman memory module is); checked against zes_api.h by layouts.test.ts. */
export const ZES_MEM_LOC = { SYSTEM: 0, DEVICE: 1 } as const;

/**
 * Structs newer than the installed 1.4 headers, laid out by hand from the public spec (the generator
 * cannot compile them; each is read only when the driver fills it, and a driver that does not know it
 * leaves it untouched).
 */
export const L_NEWER = {
  /** ZE_extension_device_ip_version (spec 1.6), chained to ze_device_properties_t. */
  ze_device_ip_version_ext_t: {
    name: 'ze_device_ip_version_ext_t',
    size: 24,
    stype: 0x1000f,
    fields: {
      stype: { off: 0, type: 'u32' },
      pNext: { off: 8, type: 'ptr' },
      ipVersion: { off: 16, type: 'u32' },
    },
  },
} as const satisfies Readonly<Record<string, StructLayout>>;

/** A C struct in a zeroed Buffer (stype preset), with typed accessors. */
export class Struct<S extends StructLayout = StructLayout> {
  readonly buf: Buffer;
  constructor(
    readonly layout: S,
    stype: number | undefined = layout.stype,
  ) {
    this.buf = Buffer.alloc(layout.size);
    if (stype !== undefined) this.buf.writeUInt32LE(stype, 0);
  }
  private spec(field: keyof S['fields'] & string): FieldSpec {
    const f = this.layout.fields[field];
    if (!f) throw new Error(`${this.layout.name} has no field ${field}`);
    return f;
  }
  /** u8/u32/i32 as number; u64/i64/size/ptr as Number (exact below 2^53). */
  num(field: keyof S['fields'] & string): number {
    const f = this.spec(field);
    switch (f.type) {
      case 'u8':
        return this.buf.readUInt8(f.off);
      case 'u32':
        return this.buf.readUInt32LE(f.off);
      case 'i32':
        return this.buf.readInt32LE(f.off);
      case 'u64':
      case 'size':
      case 'ptr':
        return Number(this.buf.readBigUInt64LE(f.off));
      case 'i64':
        return Number(this.buf.readBigInt64LE(f.off));
      case 'f64':
        return this.buf.readDoubleLE(f.off);
      default:
        throw new Error(`${this.layout.name}.${field} is not a number`);
    }
  }
  big(field: keyof S['fields'] & string): bigint {
    const f = this.spec(field);
    if (f.type === 'u64' || f.type === 'size' || f.type === 'ptr') return this.buf.readBigUInt64LE(f.off);
    if (f.type === 'i64') return this.buf.readBigInt64LE(f.off);
    return BigInt(this.num(field));
  }
  str(field: keyof S['fields'] & string): string {
    const f = this.spec(field);
    const raw = this.buf.subarray(f.off, f.off + (f.len ?? 0));
    const nul = raw.indexOf(0);
    return raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
  }
  bytes(field: keyof S['fields'] & string): Uint8Array {
    const f = this.spec(field);
    return Uint8Array.from(this.buf.subarray(f.off, f.off + (f.len ?? 0)));
  }
  u32s(field: keyof S['fields'] & string): number[] {
    const f = this.spec(field);
    const out: number[] = [];
    for (let i = 0; i < (f.len ?? 0); i++) out.push(this.buf.readUInt32LE(f.off + 4 * i));
    return out;
  }
  set(field: keyof S['fields'] & string, value: number | bigint): this {
    const f = this.spec(field);
    switch (f.type) {
      case 'u8':
        this.buf.writeUInt8(Number(value), f.off);
        break;
      case 'u32':
        this.buf.writeUInt32LE(Number(value) >>> 0, f.off);
        break;
      case 'i32':
        this.buf.writeInt32LE(Number(value), f.off);
        break;
      case 'f64':
        this.buf.writeDoubleLE(Number(value), f.off);
        break;
      case 'i64':
        this.buf.writeBigInt64LE(BigInt(value), f.off);
        break;
      default:
        this.buf.writeBigUInt64LE(BigInt(value), f.off);
    }
    return this;
  }
}

export function struct<S extends StructLayout>(
  layout: S,
  init?: Partial<Record<keyof S['fields'] & string, number | bigint>>,
): Struct<S> {
  const s = new Struct(layout);
  if (init)
    for (const [k, v] of Object.entries(init))
      if (v !== undefined) s.set(k as keyof S['fields'] & string, v as number | bigint);
  return s;
}
