// Which Level Zero structs and fields the runtime uses, and how it reads each field: the hand-written
// input of runtime/scripts/gen-layouts.mjs, which compiles a C program against the installed headers
// to find every size, offset, array length and stype value (runtime/ze/layouts.generated.ts). Field
// names are the C member names (`a.b` for a member of a nested struct); each struct's fields keep
// this order. Add a struct or field here, then run `node runtime/scripts/gen-layouts.mjs`.
//
// Field types (the generator checks each against the C member's size and kind):
//   u8, u32, i32, u64, i64, size (size_t): integers;  f64: double;  ptr: any pointer;
//   chars (char[N], read as a NUL-terminated string), bytes (any N-byte member, e.g. a uuid struct),
//   u32s (uint32_t[N]).

/** ze_structure_type_t names used by the runtime (ZE_STRUCTURE_TYPE_<name>), in STYPE order. */
export const STYPES = [
  'DRIVER_PROPERTIES',
  'DEVICE_PROPERTIES',
  'DEVICE_COMPUTE_PROPERTIES',
  'DEVICE_MODULE_PROPERTIES',
  'COMMAND_QUEUE_GROUP_PROPERTIES',
  'DEVICE_MEMORY_PROPERTIES',
  'DEVICE_CACHE_PROPERTIES',
  'DEVICE_P2P_PROPERTIES',
  'CONTEXT_DESC',
  'COMMAND_QUEUE_DESC',
  'COMMAND_LIST_DESC',
  'EVENT_POOL_DESC',
  'EVENT_DESC',
  'FENCE_DESC',
  'DEVICE_MEM_ALLOC_DESC',
  'HOST_MEM_ALLOC_DESC',
  'MEMORY_ALLOCATION_PROPERTIES',
  'MODULE_DESC',
  'KERNEL_DESC',
  'PCI_EXT_PROPERTIES',
  'DEVICE_PROPERTIES_1_2',
];

/** zes_structure_type_t names used by the runtime (ZES_STRUCTURE_TYPE_<name>: Sysman), in ZES_STYPE order. */
export const ZES_STYPES = [
  'ENGINE_PROPERTIES',
  'POWER_PROPERTIES',
  'FREQ_PROPERTIES',
  'TEMP_PROPERTIES',
  'FREQ_STATE',
  'MEM_STATE',
  'MEM_PROPERTIES',
];

const head = { stype: 'u32', pNext: 'ptr' };

/**
 * The structs, in L order. `stype`: the default structure type (a name of STYPES), `zesStype`: the
 * same for Sysman (ZES_STYPES); neither for structs without one.
 */
export const STRUCTS = {
  ze_driver_properties_t: {
    stype: 'DRIVER_PROPERTIES',
    fields: { ...head, uuid: 'bytes', driverVersion: 'u32' },
  },
  ze_device_properties_t: {
    stype: 'DEVICE_PROPERTIES',
    fields: {
      ...head,
      type: 'u32',
      vendorId: 'u32',
      deviceId: 'u32',
      flags: 'u32',
      subdeviceId: 'u32',
      coreClockRate: 'u32',
      maxMemAllocSize: 'u64',
      maxHardwareContexts: 'u32',
      maxCommandQueuePriority: 'u32',
      numThreadsPerEU: 'u32',
      physicalEUSimdWidth: 'u32',
      numEUsPerSubslice: 'u32',
      numSubslicesPerSlice: 'u32',
      numSlices: 'u32',
      timerResolution: 'u64',
      timestampValidBits: 'u32',
      kernelTimestampValidBits: 'u32',
      uuid: 'bytes',
      name: 'chars',
    },
  },
  ze_device_compute_properties_t: {
    stype: 'DEVICE_COMPUTE_PROPERTIES',
    fields: {
      ...head,
      maxTotalGroupSize: 'u32',
      maxGroupSizeX: 'u32',
      maxGroupSizeY: 'u32',
      maxGroupSizeZ: 'u32',
      maxGroupCountX: 'u32',
      maxGroupCountY: 'u32',
      maxGroupCountZ: 'u32',
      maxSharedLocalMemory: 'u32',
      numSubGroupSizes: 'u32',
      subGroupSizes: 'u32s',
    },
  },
  ze_device_module_properties_t: {
    stype: 'DEVICE_MODULE_PROPERTIES',
    fields: {
      ...head,
      spirvVersionSupported: 'u32',
      flags: 'u32',
      fp16flags: 'u32',
      fp32flags: 'u32',
      fp64flags: 'u32',
      maxArgumentsSize: 'u32',
      printfBufferSize: 'u32',
      nativeKernelSupported: 'bytes',
    },
  },
  ze_device_memory_properties_t: {
    stype: 'DEVICE_MEMORY_PROPERTIES',
    fields: {
      ...head,
      flags: 'u32',
      maxClockRate: 'u32',
      maxBusWidth: 'u32',
      totalSize: 'u64',
      name: 'chars',
    },
  },
  ze_device_cache_properties_t: {
    stype: 'DEVICE_CACHE_PROPERTIES',
    fields: { ...head, flags: 'u32', cacheSize: 'size' },
  },
  ze_command_queue_group_properties_t: {
    stype: 'COMMAND_QUEUE_GROUP_PROPERTIES',
    fields: { ...head, flags: 'u32', maxMemoryFillPatternSize: 'size', numQueues: 'u32' },
  },
  ze_pci_ext_properties_t: {
    stype: 'PCI_EXT_PROPERTIES',
    fields: {
      ...head,
      'address.domain': 'u32',
      'address.bus': 'u32',
      'address.device': 'u32',
      'address.function': 'u32',
      'maxSpeed.genVersion': 'i32',
      'maxSpeed.width': 'i32',
      'maxSpeed.maxBandwidth': 'i64',
    },
  },
  ze_device_p2p_properties_t: { stype: 'DEVICE_P2P_PROPERTIES', fields: { ...head, flags: 'u32' } },
  ze_context_desc_t: { stype: 'CONTEXT_DESC', fields: { ...head, flags: 'u32' } },
  ze_command_queue_desc_t: {
    stype: 'COMMAND_QUEUE_DESC',
    fields: { ...head, ordinal: 'u32', index: 'u32', flags: 'u32', mode: 'u32', priority: 'u32' },
  },
  ze_command_list_desc_t: {
    stype: 'COMMAND_LIST_DESC',
    fields: { ...head, commandQueueGroupOrdinal: 'u32', flags: 'u32' },
  },
  ze_event_pool_desc_t: { stype: 'EVENT_POOL_DESC', fields: { ...head, flags: 'u32', count: 'u32' } },
  ze_event_desc_t: { stype: 'EVENT_DESC', fields: { ...head, index: 'u32', signal: 'u32', wait: 'u32' } },
  ze_kernel_timestamp_result_t: {
    fields: {
      'global.kernelStart': 'u64',
      'global.kernelEnd': 'u64',
      'context.kernelStart': 'u64',
      'context.kernelEnd': 'u64',
    },
  },
  ze_fence_desc_t: { stype: 'FENCE_DESC', fields: { ...head, flags: 'u32' } },
  ze_device_mem_alloc_desc_t: {
    stype: 'DEVICE_MEM_ALLOC_DESC',
    fields: { ...head, flags: 'u32', ordinal: 'u32' },
  },
  ze_host_mem_alloc_desc_t: { stype: 'HOST_MEM_ALLOC_DESC', fields: { ...head, flags: 'u32' } },
  ze_memory_allocation_properties_t: {
    stype: 'MEMORY_ALLOCATION_PROPERTIES',
    fields: { ...head, type: 'u32', id: 'u64', pageSize: 'u64' },
  },
  ze_module_desc_t: {
    stype: 'MODULE_DESC',
    fields: {
      ...head,
      format: 'u32',
      inputSize: 'size',
      pInputModule: 'ptr',
      pBuildFlags: 'ptr',
      pConstants: 'ptr',
    },
  },
  ze_kernel_desc_t: { stype: 'KERNEL_DESC', fields: { ...head, flags: 'u32', pKernelName: 'ptr' } },
  ze_group_count_t: { fields: { groupCountX: 'u32', groupCountY: 'u32', groupCountZ: 'u32' } },
  zes_mem_state_t: { zesStype: 'MEM_STATE', fields: { ...head, health: 'u32', free: 'u64', size: 'u64' } },
  // Sysman telemetry (runtime/telemetry.ts).
  zes_engine_properties_t: {
    zesStype: 'ENGINE_PROPERTIES',
    fields: { ...head, type: 'u32', onSubdevice: 'u8', subdeviceId: 'u32' },
  },
  zes_engine_stats_t: { fields: { activeTime: 'u64', timestamp: 'u64' } },
  zes_freq_properties_t: {
    zesStype: 'FREQ_PROPERTIES',
    fields: { ...head, type: 'u32', onSubdevice: 'u8', subdeviceId: 'u32', min: 'f64', max: 'f64' },
  },
  zes_freq_state_t: { zesStype: 'FREQ_STATE', fields: { ...head, request: 'f64', actual: 'f64' } },
  zes_temp_properties_t: {
    zesStype: 'TEMP_PROPERTIES',
    fields: { ...head, type: 'u32', onSubdevice: 'u8', subdeviceId: 'u32' },
  },
  zes_power_properties_t: {
    zesStype: 'POWER_PROPERTIES',
    fields: { ...head, onSubdevice: 'u8', subdeviceId: 'u32' },
  },
  zes_power_energy_counter_t: { fields: { energy: 'u64', timestamp: 'u64' } },
  // Sysman memory modules (runtime/telemetry.ts: torch.xpu's memoryUsage, deviceMemoryUsed).
  zes_mem_properties_t: {
    zesStype: 'MEM_PROPERTIES',
    fields: {
      ...head,
      type: 'u32',
      onSubdevice: 'u8',
      subdeviceId: 'u32',
      location: 'u32',
      physicalSize: 'u64',
      busWidth: 'i32',
      numChannels: 'i32',
    },
  },
  zes_mem_bandwidth_t: {
    fields: { readCounter: 'u64', writeCounter: 'u64', maxBandwidth: 'u64', timestamp: 'u64' },
  },
  ze_driver_extension_properties_t: { fields: { name: 'chars', version: 'u32' } },
};
