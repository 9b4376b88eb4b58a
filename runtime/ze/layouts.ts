// Level Zero struct layouts for x86-64 Linux, declared once (level-zero.md §5). Structs are plain
// Buffers read and written by offset; `tests/runtime/layouts.test.ts` compiles a C program against the
// installed headers and checks every size and offset below. Field names are the C member names.

export type FieldType = 'u8' | 'u32' | 'i32' | 'u64' | 'f64' | 'size' | 'ptr' | 'chars' | 'bytes' | 'u32s';

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

const u32 = (off: number): FieldSpec => ({ off, type: 'u32' });
const i32 = (off: number): FieldSpec => ({ off, type: 'i32' });
const u64 = (off: number): FieldSpec => ({ off, type: 'u64' });
const f64 = (off: number): FieldSpec => ({ off, type: 'f64' });
const u8 = (off: number): FieldSpec => ({ off, type: 'u8' });
const size = (off: number): FieldSpec => ({ off, type: 'size' });
const ptr = (off: number): FieldSpec => ({ off, type: 'ptr' });
const chars = (off: number, len: number): FieldSpec => ({ off, type: 'chars', len });
const bytes = (off: number, len: number): FieldSpec => ({ off, type: 'bytes', len });
const u32s = (off: number, len: number): FieldSpec => ({ off, type: 'u32s', len });

const head = { stype: u32(0), pNext: ptr(8) };

function layout<const F extends Record<string, FieldSpec>>(
  name: string,
  sizeBytes: number,
  stype: number | undefined,
  fields: F,
): StructLayout & { fields: F } {
  return stype === undefined ? { name, size: sizeBytes, fields } : { name, size: sizeBytes, stype, fields };
}

/** ze_structure_type_t values used here (checked against ze_api.h by the layout test). */
export const STYPE = {
  DRIVER_PROPERTIES: 0x1,
  DEVICE_PROPERTIES: 0x3,
  DEVICE_COMPUTE_PROPERTIES: 0x4,
  DEVICE_MODULE_PROPERTIES: 0x5,
  COMMAND_QUEUE_GROUP_PROPERTIES: 0x6,
  DEVICE_MEMORY_PROPERTIES: 0x7,
  DEVICE_CACHE_PROPERTIES: 0x9,
  DEVICE_P2P_PROPERTIES: 0xb,
  CONTEXT_DESC: 0xd,
  COMMAND_QUEUE_DESC: 0xe,
  COMMAND_LIST_DESC: 0xf,
  EVENT_POOL_DESC: 0x10,
  EVENT_DESC: 0x11,
  FENCE_DESC: 0x12,
  DEVICE_MEM_ALLOC_DESC: 0x15,
  HOST_MEM_ALLOC_DESC: 0x16,
  MEMORY_ALLOCATION_PROPERTIES: 0x17,
  MODULE_DESC: 0x1b,
  KERNEL_DESC: 0x1d,
  PCI_EXT_PROPERTIES: 0x10008,
  DEVICE_PROPERTIES_1_2: 0x20006,
} as const;

/** zes_structure_type_t values used here (Sysman; checked against zes_api.h). */
export const ZES_STYPE = {
  ENGINE_PROPERTIES: 0x5,
  POWER_PROPERTIES: 0xd,
  FREQ_PROPERTIES: 0x9,
  TEMP_PROPERTIES: 0x14,
  FREQ_STATE: 0x1b,
  MEM_STATE: 0x1e,
} as const;

export const L = {
  ze_driver_properties_t: layout('ze_driver_properties_t', 40, STYPE.DRIVER_PROPERTIES, {
    ...head,
    uuid: bytes(16, 16),
    driverVersion: u32(32),
  }),
  ze_device_properties_t: layout('ze_device_properties_t', 368, STYPE.DEVICE_PROPERTIES, {
    ...head,
    type: u32(16),
    vendorId: u32(20),
    deviceId: u32(24),
    flags: u32(28),
    subdeviceId: u32(32),
    coreClockRate: u32(36),
    maxMemAllocSize: u64(40),
    maxHardwareContexts: u32(48),
    maxCommandQueuePriority: u32(52),
    numThreadsPerEU: u32(56),
    physicalEUSimdWidth: u32(60),
    numEUsPerSubslice: u32(64),
    numSubslicesPerSlice: u32(68),
    numSlices: u32(72),
    timerResolution: u64(80),
    timestampValidBits: u32(88),
    kernelTimestampValidBits: u32(92),
    uuid: bytes(96, 16),
    name: chars(112, 256),
  }),
  ze_device_compute_properties_t: layout(
    'ze_device_compute_properties_t',
    88,
    STYPE.DEVICE_COMPUTE_PROPERTIES,
    {
      ...head,
      maxTotalGroupSize: u32(16),
      maxGroupSizeX: u32(20),
      maxGroupSizeY: u32(24),
      maxGroupSizeZ: u32(28),
      maxGroupCountX: u32(32),
      maxGroupCountY: u32(36),
      maxGroupCountZ: u32(40),
      maxSharedLocalMemory: u32(44),
      numSubGroupSizes: u32(48),
      subGroupSizes: u32s(52, 8),
    },
  ),
  ze_device_module_properties_t: layout('ze_device_module_properties_t', 64, STYPE.DEVICE_MODULE_PROPERTIES, {
    ...head,
    spirvVersionSupported: u32(16),
    flags: u32(20),
    fp16flags: u32(24),
    fp32flags: u32(28),
    fp64flags: u32(32),
    maxArgumentsSize: u32(36),
    printfBufferSize: u32(40),
    nativeKernelSupported: bytes(44, 16),
  }),
  ze_device_memory_properties_t: layout(
    'ze_device_memory_properties_t',
    296,
    STYPE.DEVICE_MEMORY_PROPERTIES,
    {
      ...head,
      flags: u32(16),
      maxClockRate: u32(20),
      maxBusWidth: u32(24),
      totalSize: u64(32),
      name: chars(40, 256),
    },
  ),
  ze_device_cache_properties_t: layout('ze_device_cache_properties_t', 32, STYPE.DEVICE_CACHE_PROPERTIES, {
    ...head,
    flags: u32(16),
    cacheSize: size(24),
  }),
  ze_command_queue_group_properties_t: layout(
    'ze_command_queue_group_properties_t',
    40,
    STYPE.COMMAND_QUEUE_GROUP_PROPERTIES,
    { ...head, flags: u32(16), maxMemoryFillPatternSize: size(24), numQueues: u32(32) },
  ),
  ze_pci_ext_properties_t: layout('ze_pci_ext_properties_t', 48, STYPE.PCI_EXT_PROPERTIES, {
    ...head,
    'address.domain': u32(16),
    'address.bus': u32(20),
    'address.device': u32(24),
    'address.function': u32(28),
    'maxSpeed.genVersion': i32(32),
    'maxSpeed.width': i32(36),
    'maxSpeed.maxBandwidth': u64(40),
  }),
  ze_device_p2p_properties_t: layout('ze_device_p2p_properties_t', 24, STYPE.DEVICE_P2P_PROPERTIES, {
    ...head,
    flags: u32(16),
  }),
  ze_context_desc_t: layout('ze_context_desc_t', 24, STYPE.CONTEXT_DESC, { ...head, flags: u32(16) }),
  ze_command_queue_desc_t: layout('ze_command_queue_desc_t', 40, STYPE.COMMAND_QUEUE_DESC, {
    ...head,
    ordinal: u32(16),
    index: u32(20),
    flags: u32(24),
    mode: u32(28),
    priority: u32(32),
  }),
  ze_command_list_desc_t: layout('ze_command_list_desc_t', 24, STYPE.COMMAND_LIST_DESC, {
    ...head,
    commandQueueGroupOrdinal: u32(16),
    flags: u32(20),
  }),
  ze_event_pool_desc_t: layout('ze_event_pool_desc_t', 24, STYPE.EVENT_POOL_DESC, {
    ...head,
    flags: u32(16),
    count: u32(20),
  }),
  ze_event_desc_t: layout('ze_event_desc_t', 32, STYPE.EVENT_DESC, {
    ...head,
    index: u32(16),
    signal: u32(20),
    wait: u32(24),
  }),
  ze_kernel_timestamp_result_t: layout('ze_kernel_timestamp_result_t', 32, undefined, {
    'global.kernelStart': u64(0),
    'global.kernelEnd': u64(8),
    'context.kernelStart': u64(16),
    'context.kernelEnd': u64(24),
  }),
  ze_fence_desc_t: layout('ze_fence_desc_t', 24, STYPE.FENCE_DESC, { ...head, flags: u32(16) }),
  ze_device_mem_alloc_desc_t: layout('ze_device_mem_alloc_desc_t', 24, STYPE.DEVICE_MEM_ALLOC_DESC, {
    ...head,
    flags: u32(16),
    ordinal: u32(20),
  }),
  ze_host_mem_alloc_desc_t: layout('ze_host_mem_alloc_desc_t', 24, STYPE.HOST_MEM_ALLOC_DESC, {
    ...head,
    flags: u32(16),
  }),
  ze_memory_allocation_properties_t: layout(
    'ze_memory_allocation_properties_t',
    40,
    STYPE.MEMORY_ALLOCATION_PROPERTIES,
    { ...head, type: u32(16), id: u64(24), pageSize: u64(32) },
  ),
  ze_module_desc_t: layout('ze_module_desc_t', 56, STYPE.MODULE_DESC, {
    ...head,
    format: u32(16),
    inputSize: size(24),
    pInputModule: ptr(32),
    pBuildFlags: ptr(40),
    pConstants: ptr(48),
  }),
  ze_kernel_desc_t: layout('ze_kernel_desc_t', 32, STYPE.KERNEL_DESC, {
    ...head,
    flags: u32(16),
    pKernelName: ptr(24),
  }),
  ze_group_count_t: layout('ze_group_count_t', 12, undefined, {
    groupCountX: u32(0),
    groupCountY: u32(4),
    groupCountZ: u32(8),
  }),
  zes_mem_state_t: layout('zes_mem_state_t', 40, ZES_STYPE.MEM_STATE, {
    ...head,
    health: u32(16),
    free: u64(24),
    size: u64(32),
  }),
  // Sysman telemetry (runtime/telemetry.ts).
  zes_engine_properties_t: layout('zes_engine_properties_t', 32, ZES_STYPE.ENGINE_PROPERTIES, {
    ...head,
    type: u32(16),
    onSubdevice: u8(20),
    subdeviceId: u32(24),
  }),
  zes_engine_stats_t: layout('zes_engine_stats_t', 16, undefined, {
    activeTime: u64(0),
    timestamp: u64(8),
  }),
  zes_freq_properties_t: layout('zes_freq_properties_t', 48, ZES_STYPE.FREQ_PROPERTIES, {
    ...head,
    type: u32(16),
    onSubdevice: u8(20),
    subdeviceId: u32(24),
    min: f64(32),
    max: f64(40),
  }),
  zes_freq_state_t: layout('zes_freq_state_t', 64, ZES_STYPE.FREQ_STATE, {
    ...head,
    request: f64(24),
    actual: f64(48),
  }),
  zes_temp_properties_t: layout('zes_temp_properties_t', 48, ZES_STYPE.TEMP_PROPERTIES, {
    ...head,
    type: u32(16),
    onSubdevice: u8(20),
    subdeviceId: u32(24),
  }),
  zes_power_properties_t: layout('zes_power_properties_t', 40, ZES_STYPE.POWER_PROPERTIES, {
    ...head,
    onSubdevice: u8(16),
    subdeviceId: u32(20),
  }),
  zes_power_energy_counter_t: layout('zes_power_energy_counter_t', 16, undefined, {
    energy: u64(0),
    timestamp: u64(8),
  }),
  ze_driver_extension_properties_t: layout('ze_driver_extension_properties_t', 260, undefined, {
    name: chars(0, 256),
    version: u32(256),
  }),
} as const;

export type LayoutName = keyof typeof L;

/**
 * Structs newer than the installed 1.4 headers, laid out from the public spec (the header test cannot
 * check them; each is read only when the driver fills it, and a driver that does not know it leaves it
 * untouched).
 */
export const L_NEWER = {
  /** ZE_extension_device_ip_version (spec 1.6), chained to ze_device_properties_t. */
  ze_device_ip_version_ext_t: layout('ze_device_ip_version_ext_t', 24, 0x1000f, {
    ...head,
    ipVersion: u32(16),
  }),
} as const;

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
  /** u8/u32/i32 as number; u64/size/ptr as Number (exact below 2^53). */
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
      case 'f64':
        return this.buf.readDoubleLE(f.off);
      default:
        throw new Error(`${this.layout.name}.${field} is not a number`);
    }
  }
  big(field: keyof S['fields'] & string): bigint {
    const f = this.spec(field);
    if (f.type === 'u64' || f.type === 'size' || f.type === 'ptr') return this.buf.readBigUInt64LE(f.off);
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
