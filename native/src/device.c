// Driver and device queries: zeDriverGet*, zeDevice* (properties, sub-devices, timestamps, PCI).
#include "xpusim.h"
#include <stdio.h>
#include <string.h>

// ---- driver ------------------------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeDriverGet(uint32_t *pCount, ze_driver_handle_t *phDrivers) {
    XS_CHECK_INIT();
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !phDrivers) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    phDrivers[0] = (ze_driver_handle_t)&xs_drv;
    *pCount = 1;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDriverGetApiVersion(ze_driver_handle_t h, ze_api_version_t *version) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(version);
    // 1.5: the lowest version newer loaders accept for sorting; the tables we fill are gated by the
    // version the loader passes, so no slot beyond the loader's table is ever written.
    *version = (ze_api_version_t)ZE_MAKE_VERSION(1, 5);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDriverGetProperties(ze_driver_handle_t h, ze_driver_properties_t *p) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(p);
    static const uint8_t uuid[16] = { 'x', 'p', 'u', 's', 'i', 'm', 0, 0, 0x86, 0x80, 0, 0, 0, 0, 0, 1 };
    memcpy(p->uuid.id, uuid, 16);
    uint32_t build = xs_drv.n_devices ? xs_drv.devices[0]->prof->driver_build : 27642;
    p->driverVersion = 0x01030000u + build;
    return ZE_RESULT_SUCCESS;  // unknown pNext structures are left untouched
}

XS_IMPL ze_result_t xs_zeDriverGetIpcProperties(ze_driver_handle_t h, ze_driver_ipc_properties_t *p) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(p);
    p->flags = 0;  // no IPC in the simulator (handles are process-local)
    return ZE_RESULT_SUCCESS;
}

static const struct { const char *name; uint32_t version; } xs_extensions[] = {
    { "ZE_extension_pci_properties", ZE_MAKE_VERSION(1, 0) },
    { "ZE_extension_memory_free_policies", ZE_MAKE_VERSION(1, 0) },
    { "ZE_extension_device_ip_version", ZE_MAKE_VERSION(1, 0) },
    { "ZE_experimental_event_query_timestamps", ZE_MAKE_VERSION(1, 0) },
    { XPUSIM_EXTENSION_NAME, XPUSIM_EXTENSION_VERSION },  // ext.c
};

XS_IMPL ze_result_t xs_zeDriverGetExtensionProperties(ze_driver_handle_t h, uint32_t *pCount, ze_driver_extension_properties_t *p) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(pCount);
    uint32_t n = (uint32_t)(sizeof xs_extensions / sizeof xs_extensions[0]);
    if (*pCount == 0 || !p) { *pCount = n; return ZE_RESULT_SUCCESS; }
    if (*pCount > n) *pCount = n;
    for (uint32_t i = 0; i < *pCount; i++) {
        memset(p[i].name, 0, sizeof p[i].name);
        snprintf(p[i].name, sizeof p[i].name, "%s", xs_extensions[i].name);
        p[i].version = xs_extensions[i].version;
    }
    return ZE_RESULT_SUCCESS;
}

// zeDriverGetLastErrorDescription (spec 1.6; slot 6 of the 1.6 driver table): this thread's last
// error description set by the driver ("" if none).
XS_IMPL ze_result_t xs_zeDriverGetLastErrorDescription(ze_driver_handle_t h, const char **pp) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(pp);
    *pp = xs_last_error();
    return ZE_RESULT_SUCCESS;
}

// ---- devices ---------------------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeDeviceGet(ze_driver_handle_t h, uint32_t *pCount, ze_device_handle_t *ph) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(pCount);
    uint32_t n = xs_drv.n_devices;
    if (*pCount == 0 || !ph) { *pCount = n; return ZE_RESULT_SUCCESS; }
    if (*pCount > n) *pCount = n;
    for (uint32_t i = 0; i < *pCount; i++) ph[i] = (ze_device_handle_t)xs_drv.devices[i];
    return ZE_RESULT_SUCCESS;
}

#define DEV(hd) xs_device *d = (xs_device *)(hd); XS_CHECK_INIT(); XS_CHECK_HANDLE(hd, XS_T_DEVICE)

// zeDeviceGetRootDevice (spec 1.7; slot 18 of the 1.7 device table): the composite root of a
// sub-device, NULL for a root device.
XS_IMPL ze_result_t xs_zeDeviceGetRootDevice(ze_device_handle_t hd, ze_device_handle_t *root) {
    DEV(hd);
    XS_CHECK_PTR(root);
    *root = d->is_sub ? (ze_device_handle_t)d->root : NULL;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetSubDevices(ze_device_handle_t hd, uint32_t *pCount, ze_device_handle_t *ph) {
    DEV(hd);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !ph) { *pCount = d->n_subs; return ZE_RESULT_SUCCESS; }
    if (*pCount > d->n_subs) *pCount = d->n_subs;
    for (uint32_t i = 0; i < *pCount; i++) ph[i] = (ze_device_handle_t)d->subs[i];
    return ZE_RESULT_SUCCESS;
}

void xs_fill_device_properties(const xs_device *d, ze_device_properties_t *p) {
    const xs_profile *pr = d->prof;
    p->type = ZE_DEVICE_TYPE_GPU;
    p->vendorId = 0x8086;
    p->deviceId = pr->device_id;
    p->flags = (pr->integrated ? ZE_DEVICE_PROPERTY_FLAG_INTEGRATED : 0) | (d->is_sub ? ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE : 0) |
               (pr->memory_name[0] == 'H' ? ZE_DEVICE_PROPERTY_FLAG_ECC : 0);
    p->subdeviceId = d->is_sub ? (uint32_t)d->tile : 0;
    p->coreClockRate = pr->clock_mhz;
    p->maxMemAllocSize = pr->max_alloc;
    p->maxHardwareContexts = 65536;
    p->maxCommandQueuePriority = 0;
    p->numThreadsPerEU = pr->threads_per_eu;
    p->physicalEUSimdWidth = pr->simd_width;
    p->numEUsPerSubslice = pr->eus_per_subslice;
    p->numSubslicesPerSlice = pr->subslices_per_slice;
    p->numSlices = pr->slices * d->n_tiles;
    // nanoseconds per tick for DEVICE_PROPERTIES, ticks per second for DEVICE_PROPERTIES_1_2
    p->timerResolution = p->stype == ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES_1_2 ? XS_TICKS_PER_SEC : 52;
    p->timestampValidBits = pr->timestamp_bits;
    p->kernelTimestampValidBits = pr->kernel_timestamp_bits;
    memset(p->uuid.id, 0, sizeof p->uuid.id);
    p->uuid.id[0] = 0x86; p->uuid.id[1] = 0x80;
    p->uuid.id[2] = (uint8_t)pr->device_id; p->uuid.id[3] = (uint8_t)(pr->device_id >> 8);
    p->uuid.id[8] = (uint8_t)(pr->pci_bus + d->ordinal);
    p->uuid.id[12] = (uint8_t)d->ordinal;
    p->uuid.id[13] = (uint8_t)(d->tile + 1);
    p->uuid.id[15] = 'x';
    memset(p->name, 0, sizeof p->name);
    snprintf(p->name, sizeof p->name, "%s", pr->name);
}

XS_IMPL ze_result_t xs_zeDeviceGetProperties(ze_device_handle_t hd, ze_device_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    xs_fill_device_properties(d, p);
    // Chained extension structures we know are filled; unknown ones are left untouched (as the spec asks).
    for (ze_base_properties_t *ext = (ze_base_properties_t *)p->pNext; ext; ext = (ze_base_properties_t *)ext->pNext)
        if ((uint32_t)ext->stype == XS_STYPE_DEVICE_IP_VERSION_EXT)
            ((xs_device_ip_version_ext_t *)ext)->ipVersion = d->prof->ip_version;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetComputeProperties(ze_device_handle_t hd, ze_device_compute_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    p->maxTotalGroupSize = 1024;
    p->maxGroupSizeX = p->maxGroupSizeY = p->maxGroupSizeZ = 1024;
    p->maxGroupCountX = p->maxGroupCountY = p->maxGroupCountZ = UINT32_MAX;
    p->maxSharedLocalMemory = d->prof->max_slm;
    p->numSubGroupSizes = d->prof->n_subgroup_sizes;
    memset(p->subGroupSizes, 0, sizeof p->subGroupSizes);
    for (uint32_t i = 0; i < d->prof->n_subgroup_sizes && i < ZE_SUBGROUPSIZE_COUNT; i++) p->subGroupSizes[i] = d->prof->subgroup_sizes[i];
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetModuleProperties(ze_device_handle_t hd, ze_device_module_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    p->spirvVersionSupported = ZE_MAKE_VERSION(1, 2);
    p->flags = ZE_DEVICE_MODULE_FLAG_FP16 | ZE_DEVICE_MODULE_FLAG_INT64_ATOMICS | (d->prof->fp64 ? ZE_DEVICE_MODULE_FLAG_FP64 : 0);
    ze_device_fp_flags_t fp = ZE_DEVICE_FP_FLAG_DENORM | ZE_DEVICE_FP_FLAG_INF_NAN | ZE_DEVICE_FP_FLAG_ROUND_TO_NEAREST |
                              ZE_DEVICE_FP_FLAG_ROUND_TO_ZERO | ZE_DEVICE_FP_FLAG_ROUND_TO_INF | ZE_DEVICE_FP_FLAG_FMA;
    p->fp16flags = fp;
    p->fp32flags = fp | ZE_DEVICE_FP_FLAG_ROUNDED_DIVIDE_SQRT;
    p->fp64flags = d->prof->fp64 ? fp : 0;
    p->maxArgumentsSize = 2048;
    p->printfBufferSize = 4 * 1024 * 1024;
    memset(p->nativeKernelSupported.id, 0, sizeof p->nativeKernelSupported.id);
    memcpy(p->nativeKernelSupported.id, "xpusim-native", 13);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetCommandQueueGroupProperties(ze_device_handle_t hd, uint32_t *pCount, ze_command_queue_group_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(pCount);
    uint32_t n = d->prof->n_groups;
    if (*pCount == 0 || !p) { *pCount = n; return ZE_RESULT_SUCCESS; }
    if (*pCount > n) *pCount = n;
    for (uint32_t i = 0; i < *pCount; i++) {
        const xs_group_profile *g = &d->prof->groups[i];
        switch (g->kind) {
        case XS_ENGINE_CCS: p[i].flags = ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COOPERATIVE_KERNELS; break;
        case XS_ENGINE_RCS: p[i].flags = ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COOPERATIVE_KERNELS | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_METRICS; break;
        default: p[i].flags = ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY; break;
        }
        p[i].maxMemoryFillPatternSize = (size_t)g->fill_max;
        p[i].numQueues = g->count;
    }
    return ZE_RESULT_SUCCESS;
}

static uint64_t device_memory_size(const xs_device *d) { return d->prof->memory_bytes * d->n_tiles; }

XS_IMPL ze_result_t xs_zeDeviceGetMemoryProperties(ze_device_handle_t hd, uint32_t *pCount, ze_device_memory_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !p) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    *pCount = 1;
    p->flags = 0;
    p->maxClockRate = d->prof->memory_clock_mhz;
    p->maxBusWidth = d->prof->memory_bus_width;
    p->totalSize = device_memory_size(d);
    memset(p->name, 0, sizeof p->name);
    snprintf(p->name, sizeof p->name, "%s", d->prof->memory_name);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetMemoryAccessProperties(ze_device_handle_t hd, ze_device_memory_access_properties_t *p) {
    DEV(hd);
    (void)d;
    XS_CHECK_PTR(p);
    ze_memory_access_cap_flags_t all = ZE_MEMORY_ACCESS_CAP_FLAG_RW | ZE_MEMORY_ACCESS_CAP_FLAG_ATOMIC |
                                       ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT | ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT_ATOMIC;
    p->hostAllocCapabilities = all;
    p->deviceAllocCapabilities = all;
    p->sharedSingleDeviceAllocCapabilities = all;
    p->sharedCrossDeviceAllocCapabilities = ZE_MEMORY_ACCESS_CAP_FLAG_RW | ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT;
    p->sharedSystemAllocCapabilities = 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetCacheProperties(ze_device_handle_t hd, uint32_t *pCount, ze_device_cache_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !p) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    *pCount = 1;
    p->flags = 0;
    p->cacheSize = (size_t)d->prof->l2_kb * 1024u * d->n_tiles;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetImageProperties(ze_device_handle_t hd, ze_device_image_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    p->maxImageDims1D = 16384;
    p->maxImageDims2D = 16384;
    p->maxImageDims3D = 2048;
    p->maxImageBufferSize = d->prof->max_alloc;
    p->maxImageArraySlices = 2048;
    p->maxSamplers = 16;
    p->maxReadImageArgs = 128;
    p->maxWriteImageArgs = 128;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetExternalMemoryProperties(ze_device_handle_t hd, ze_device_external_memory_properties_t *p) {
    DEV(hd);
    (void)d;
    XS_CHECK_PTR(p);
    p->memoryAllocationImportTypes = 0;
    p->memoryAllocationExportTypes = 0;
    p->imageImportTypes = 0;
    p->imageExportTypes = 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetP2PProperties(ze_device_handle_t hd, ze_device_handle_t hp, ze_device_p2p_properties_t *p) {
    DEV(hd);
    XS_CHECK_HANDLE(hp, XS_T_DEVICE);
    XS_CHECK_PTR(p);
    xs_device *o = (xs_device *)hp;
    p->flags = (d->prof == o->prof && !d->prof->integrated) ? (ZE_DEVICE_P2P_PROPERTY_FLAG_ACCESS | ZE_DEVICE_P2P_PROPERTY_FLAG_ATOMICS) : 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceCanAccessPeer(ze_device_handle_t hd, ze_device_handle_t hp, ze_bool_t *value) {
    DEV(hd);
    XS_CHECK_HANDLE(hp, XS_T_DEVICE);
    XS_CHECK_PTR(value);
    xs_device *o = (xs_device *)hp;
    // Peer access between devices of the same model (Xe Link / PCIe P2P); always to itself.
    *value = (d == o || (d->prof == o->prof && !d->prof->integrated)) ? 1 : 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetStatus(ze_device_handle_t hd) {
    DEV(hd);
    return xs_dev_lost(d) ? ZE_RESULT_ERROR_DEVICE_LOST : ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetGlobalTimestamps(ze_device_handle_t hd, uint64_t *host, uint64_t *dev) {
    DEV(hd);
    XS_CHECK_PTR(host);
    XS_CHECK_PTR(dev);
    uint64_t ns = xs_now_ns();
    *host = ns;
    uint32_t bits = d->prof->timestamp_bits;
    uint64_t t = xs_ticks_from_ns(ns);
    *dev = bits >= 64 ? t : (t & ((1ull << bits) - 1));
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDevicePciGetPropertiesExt(ze_device_handle_t hd, ze_pci_ext_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    p->address.domain = 0;
    p->address.bus = d->prof->pci_bus + d->ordinal;
    p->address.device = d->prof->integrated ? 2 : 0;
    p->address.function = 0;
    bool igpu = d->prof->integrated;
    p->maxSpeed.genVersion = igpu ? -1 : (d->prof->link_gbs >= 40 ? 5 : 4);
    p->maxSpeed.width = igpu ? -1 : 16;
    p->maxSpeed.maxBandwidth = igpu ? -1 : (int64_t)(d->prof->link_gbs * 1e9);
    return ZE_RESULT_SUCCESS;
}
