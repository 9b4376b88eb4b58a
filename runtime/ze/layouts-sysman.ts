// Sysman struct layouts (x86-64) used by the torch.xpu telemetry functions (runtime/telemetry.ts):
// memory module properties and bandwidth counters. Kept beside layouts.ts, in the same form;
// `tests/runtime/layouts-sysman.test.ts` compiles a C program against the installed zes_api.h and
// checks every size, offset and stype below.
import type { FieldSpec, StructLayout } from './layouts.js';

const u8 = (off: number): FieldSpec => ({ off, type: 'u8' });
const u32 = (off: number): FieldSpec => ({ off, type: 'u32' });
const i32 = (off: number): FieldSpec => ({ off, type: 'i32' });
const u64 = (off: number): FieldSpec => ({ off, type: 'u64' });
const ptr = (off: number): FieldSpec => ({ off, type: 'ptr' });

/** ZES_STRUCTURE_TYPE_MEM_PROPERTIES. */
export const ZES_STYPE_MEM_PROPERTIES = 0xb;

export const L_SYSMAN = {
  zes_mem_properties_t: {
    name: 'zes_mem_properties_t',
    size: 48,
    stype: ZES_STYPE_MEM_PROPERTIES,
    fields: {
      stype: u32(0),
      pNext: ptr(8),
      type: u32(16),
      onSubdevice: u8(20),
      subdeviceId: u32(24),
      location: u32(28),
      physicalSize: u64(32),
      busWidth: i32(40),
      numChannels: i32(44),
    },
  },
  zes_mem_bandwidth_t: {
    name: 'zes_mem_bandwidth_t',
    size: 32,
    fields: {
      readCounter: u64(0),
      writeCounter: u64(8),
      maxBandwidth: u64(16),
      timestamp: u64(24),
    },
  },
} as const satisfies Record<string, StructLayout>;

/** zes_mem_loc_t */
export const ZES_MEM_LOC = { SYSTEM: 0, DEVICE: 1 } as const;
