// Tests for libze_xpusim through the real Level Zero loader.
// The parent process runs each scenario in a child (re-executing itself with a scenario name and the
// scenario's environment), because the loader and the driver read their environment at zeInit.
#include <stdbool.h>
#include <level_zero/ze_api.h>
#include <level_zero/zes_api.h>
#include "xpusim_ext.h"  // ../include: the driver's extension functions and their structs
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int n_pass, n_fail;
#define LONG_WAIT 30000000000ull  // 30 s: tests never wait forever on a bug (UINT64_MAX is tested in fault-hang)
// IN_ORDER (spec 1.7) for immediate lists; 0 under the 1.8.12 validation layer, which only knows the 1.4 flags
// With ZE_ENABLE_LOADER_INTERCEPT=1 (or several drivers) the loader wraps handles and unwraps them by
// dereferencing: bogus/stale handles then crash inside the loader, and a build log returned with a
// failed zeModuleCreate stays unwrapped (loader 1.8.12). Those negative checks are skipped there.
static bool intercept(void) { return getenv("ZE_ENABLE_LOADER_INTERCEPT") != NULL; }
static uint32_t in_order_flag(void) { return getenv("ZE_ENABLE_VALIDATION_LAYER") ? 0 : 2; }
static const char *scenario = "";

static void check(int cond, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(int cond, const char *name, const char *fmt, ...) {
    if (cond) { printf("ok - %s: %s\n", scenario, name); n_pass++; }
    else {
        char why[512] = "";
        va_list ap; va_start(ap, fmt); vsnprintf(why, sizeof why, fmt, ap); va_end(ap);
        printf("not ok - %s: %s: %s\n", scenario, name, why);
        n_fail++;
    }
    fflush(stdout);
}
#define CHECK_RC(call, name) do { ze_result_t _r = (call); check(_r == ZE_RESULT_SUCCESS, name, "%s returned 0x%x", #call, (unsigned)_r); } while (0)
#define EXPECT_RC(call, want, name) do { ze_result_t _r = (call); check(_r == (ze_result_t)(want), name, "%s returned 0x%x, want 0x%x", #call, (unsigned)_r, (unsigned)(want)); } while (0)

static double now_s(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return (double)ts.tv_sec + ts.tv_nsec * 1e-9; }
static bool slow_tool(void) { const char *s = getenv("XPUSIM_TEST_SLOW_TOOL"); return s && *s == '1'; }

// ---- common state --------------------------------------------------------------------------------
static ze_driver_handle_t drv;
static ze_device_handle_t devs[16];
static uint32_t ndev;

static bool init_all(void) {
    ze_result_t r = zeInit(0);
    check(r == ZE_RESULT_SUCCESS, "zeInit(0)", "0x%x", (unsigned)r);
    if (r) return false;
    check(zeInit(0) == ZE_RESULT_SUCCESS, "zeInit is idempotent", "second zeInit failed");
    uint32_t n = 0;
    CHECK_RC(zeDriverGet(&n, NULL), "zeDriverGet count");
    check(n == 1, "one driver", "got %u", n);
    n = 1;
    CHECK_RC(zeDriverGet(&n, &drv), "zeDriverGet");
    ndev = 0;
    CHECK_RC(zeDeviceGet(drv, &ndev, NULL), "zeDeviceGet count");
    if (ndev > 16) ndev = 16;
    CHECK_RC(zeDeviceGet(drv, &ndev, devs), "zeDeviceGet");
    return ndev > 0;
}

// ---- scenario: basic (default profile arc-a770) --------------------------------------------------
static void t_basic(void) {
    if (!init_all()) return;
    check(ndev == 1, "one device", "got %u", ndev);
    ze_api_version_t v = 0;
    CHECK_RC(zeDriverGetApiVersion(drv, &v), "zeDriverGetApiVersion");
    check(ZE_MAJOR_VERSION(v) == 1 && ZE_MINOR_VERSION(v) >= 5 && ZE_MINOR_VERSION(v) <= 16, "api version 1.5..1.16", "0x%x", v);
    ze_driver_properties_t dp = { .stype = ZE_STRUCTURE_TYPE_DRIVER_PROPERTIES };
    CHECK_RC(zeDriverGetProperties(drv, &dp), "zeDriverGetProperties");
    check((dp.driverVersion & 0xffff0000u) == 0x01030000u, "driverVersion 1.3.build", "0x%x", dp.driverVersion);
    ze_device_properties_t p = { .stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES };
    CHECK_RC(zeDeviceGetProperties(devs[0], &p), "zeDeviceGetProperties");
    check(!strcmp(p.name, "Intel(R) Arc(TM) A770 Graphics"), "device name", "'%s'", p.name);
    check(p.deviceId == 0x56A0, "deviceId 0x56A0", "0x%x", p.deviceId);
    check(p.vendorId == 0x8086, "vendorId", "0x%x", p.vendorId);
    check(p.type == ZE_DEVICE_TYPE_GPU, "type GPU", "%d", p.type);
    check(p.timerResolution == 52, "timerResolution ns/tick (DEVICE_PROPERTIES)", "%llu", (unsigned long long)p.timerResolution);
    check(p.timestampValidBits == 36 && p.kernelTimestampValidBits == 32, "timestamp bits 36/32", "%u/%u", p.timestampValidBits, p.kernelTimestampValidBits);
    check(p.numSlices * p.numSubslicesPerSlice * p.numEUsPerSubslice == 512, "512 EUs", "%u", p.numSlices * p.numSubslicesPerSlice * p.numEUsPerSubslice);
    check(p.flags == 0, "flags 0 (discrete)", "0x%x", p.flags);
    ze_device_properties_t p2 = { .stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES_1_2 };
    CHECK_RC(zeDeviceGetProperties(devs[0], &p2), "zeDeviceGetProperties 1_2");
    check(p2.timerResolution == 19200000, "timerResolution ticks/s (DEVICE_PROPERTIES_1_2)", "%llu", (unsigned long long)p2.timerResolution);
    check(p2.stype == ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES_1_2 && p2.pNext == NULL, "stype/pNext untouched", "changed");
    // ZE_extension_device_ip_version (spec 1.6, not in the 1.4 headers): a chained struct gets the IP
    // version; a chained struct the driver does not know is left untouched.
    struct { ze_structure_type_t stype; void *pNext; uint32_t ipVersion; } ipv = { (ze_structure_type_t)0x1000f, NULL, 0 };
    struct { ze_structure_type_t stype; void *pNext; uint32_t value; } unknown = { (ze_structure_type_t)0x7ff0, &ipv, 0xabcd };
    ze_device_properties_t p3 = { .stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES, .pNext = &unknown };
    CHECK_RC(zeDeviceGetProperties(devs[0], &p3), "zeDeviceGetProperties + ip version");
    check(ipv.ipVersion == ((12u << 22) | (55u << 14) | 8u), "ip version 12.55.8 (DG2-G10)", "0x%x", ipv.ipVersion);
    check(unknown.value == 0xabcd && unknown.stype == (ze_structure_type_t)0x7ff0, "unknown chained struct untouched", "0x%x", unknown.value);
    // bad handles never crash
    if (intercept()) return;
    EXPECT_RC(zeDeviceGetProperties(NULL, &p), ZE_RESULT_ERROR_INVALID_NULL_HANDLE, "null device handle");
    int junk[16] = { 0 };
    EXPECT_RC(zeDeviceGetProperties((ze_device_handle_t)junk, &p), ZE_RESULT_ERROR_INVALID_ARGUMENT, "bogus device handle");
    EXPECT_RC(zeDeviceGetProperties(devs[0], NULL), ZE_RESULT_ERROR_INVALID_NULL_POINTER, "null properties pointer");
}


// ---- helpers for execution tests -------------------------------------------------------------------
typedef xs_live_objects_t live_t;

static live_t live_objects(void) {
    live_t l; memset(&l, 0xff, sizeof l);
    xs_pfnXpusimGetLiveObjects_t fn = NULL;
    if (zeDriverGetExtensionFunctionAddress(drv, XPUSIM_GET_LIVE_OBJECTS, (void **)&fn) == ZE_RESULT_SUCCESS && fn) fn(drv, &l);
    return l;
}
static void check_no_leaks(const char *what) {
    live_t l = live_objects();
    uint64_t sum = l.contexts + l.command_queues + l.command_lists + l.fences + l.event_pools + l.events + l.modules + l.kernels + l.allocations + l.build_logs;
    check(sum == 0 && l.allocated_bytes == 0, what, "live: ctx %llu q %llu lists %llu fences %llu pools %llu events %llu modules %llu kernels %llu allocs %llu logs %llu bytes %llu",
          (unsigned long long)l.contexts, (unsigned long long)l.command_queues, (unsigned long long)l.command_lists, (unsigned long long)l.fences,
          (unsigned long long)l.event_pools, (unsigned long long)l.events, (unsigned long long)l.modules, (unsigned long long)l.kernels,
          (unsigned long long)l.allocations, (unsigned long long)l.build_logs, (unsigned long long)l.allocated_bytes);
}

static uint8_t *load_spv(size_t *size) {
    FILE *f = fopen(XPUSIM_SPV, "rb");
    if (!f) return NULL;
    static uint8_t buf[1 << 20];
    *size = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static ze_context_handle_t mk_ctx(void) {
    ze_context_desc_t d = { .stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC };
    ze_context_handle_t c = NULL;
    zeContextCreate(drv, &d, &c);
    return c;
}

// first group with COMPUTE, first COPY-only group
static void find_groups(ze_device_handle_t dev, uint32_t *compute, uint32_t *copy, uint32_t *ncompute_queues) {
    ze_command_queue_group_properties_t g[8];
    uint32_t n = 8;
    for (int i = 0; i < 8; i++) { memset(&g[i], 0, sizeof g[i]); g[i].stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES; }
    zeDeviceGetCommandQueueGroupProperties(dev, &n, g);
    *compute = *copy = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        if (*compute == UINT32_MAX && (g[i].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE)) { *compute = i; if (ncompute_queues) *ncompute_queues = g[i].numQueues; }
        if (*copy == UINT32_MAX && g[i].flags == ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY) *copy = i;
    }
}

static ze_command_list_handle_t mk_imm(ze_context_handle_t ctx, ze_device_handle_t dev, uint32_t ord, uint32_t idx, ze_command_queue_mode_t mode, uint32_t flags) {
    ze_command_queue_desc_t d = { .stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC, .ordinal = ord, .index = idx, .flags = flags, .mode = mode };
    ze_command_list_handle_t l = NULL;
    ze_result_t r = zeCommandListCreateImmediate(ctx, dev, &d, &l);
    if (r) printf("# zeCommandListCreateImmediate(%u,%u) = 0x%x\n", ord, idx, r);
    return l;
}

static ze_event_pool_handle_t mk_pool(ze_context_handle_t ctx, uint32_t count, uint32_t flags) {
    ze_event_pool_desc_t d = { .stype = ZE_STRUCTURE_TYPE_EVENT_POOL_DESC, .flags = flags, .count = count };
    ze_event_pool_handle_t p = NULL;
    zeEventPoolCreate(ctx, &d, 0, NULL, &p);
    return p;
}
static ze_event_handle_t mk_ev(ze_event_pool_handle_t p, uint32_t i) {
    ze_event_desc_t d = { .stype = ZE_STRUCTURE_TYPE_EVENT_DESC, .index = i, .signal = ZE_EVENT_SCOPE_FLAG_HOST, .wait = ZE_EVENT_SCOPE_FLAG_HOST };
    ze_event_handle_t e = NULL;
    zeEventCreate(p, &d, &e);
    return e;
}

static ze_module_handle_t mk_module(ze_context_handle_t ctx, ze_device_handle_t dev) {
    size_t n = 0;
    uint8_t *spv = load_spv(&n);
    if (!spv) { check(0, "load xpuscope.spv", "cannot read %s", XPUSIM_SPV); return NULL; }
    ze_module_desc_t d = { .stype = ZE_STRUCTURE_TYPE_MODULE_DESC, .format = ZE_MODULE_FORMAT_IL_SPIRV, .inputSize = n, .pInputModule = spv };
    ze_module_handle_t m = NULL;
    ze_module_build_log_handle_t log = NULL;
    ze_result_t r = zeModuleCreate(ctx, dev, &d, &m, &log);
    if (log) zeModuleBuildLogDestroy(log);
    if (r) { check(0, "zeModuleCreate xpuscope.spv", "0x%x", r); return NULL; }
    return m;
}
static ze_kernel_handle_t mk_kernel(ze_module_handle_t m, const char *name) {
    ze_kernel_desc_t d = { .stype = ZE_STRUCTURE_TYPE_KERNEL_DESC, .pKernelName = name };
    ze_kernel_handle_t k = NULL;
    ze_result_t r = zeKernelCreate(m, &d, &k);
    if (r) printf("# zeKernelCreate(%s) = 0x%x\n", name, r);
    return k;
}

static void *dev_alloc(ze_context_handle_t ctx, ze_device_handle_t dev, size_t size) {
    ze_device_mem_alloc_desc_t d = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC };
    void *p = NULL;
    zeMemAllocDevice(ctx, &d, size, 64, dev, &p);
    return p;
}
static void *host_alloc(ze_context_handle_t ctx, size_t size) {
    ze_host_mem_alloc_desc_t d = { .stype = ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC };
    void *p = NULL;
    zeMemAllocHost(ctx, &d, size, 64, &p);
    return p;
}
static void *shared_alloc(ze_context_handle_t ctx, ze_device_handle_t dev, size_t size) {
    ze_device_mem_alloc_desc_t dd = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC };
    ze_host_mem_alloc_desc_t hd = { .stype = ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC };
    void *p = NULL;
    zeMemAllocShared(ctx, &dd, &hd, size, 64, dev, &p);
    return p;
}

static ze_result_t launch_busy(ze_command_list_handle_t l, ze_kernel_handle_t k, float *out, uint32_t iters, uint32_t groups, uint32_t gsize, ze_event_handle_t ev, uint32_t nw, ze_event_handle_t *w) {
    zeKernelSetGroupSize(k, gsize, 1, 1);
    zeKernelSetArgumentValue(k, 0, sizeof out, &out);
    zeKernelSetArgumentValue(k, 1, sizeof iters, &iters);
    ze_group_count_t gc = { groups, 1, 1 };
    return zeCommandListAppendLaunchKernel(l, k, &gc, ev, nw, w);
}

static bool ts_of(ze_event_handle_t e, uint64_t ref, uint64_t *start, uint64_t *end) {
    ze_kernel_timestamp_result_t r;
    *start = *end = 0;
    if (zeEventQueryKernelTimestamp(e, &r) != ZE_RESULT_SUCCESS) return false;
    *start = (r.global.kernelStart - ref) & 0xffffffffull;
    *end = (r.global.kernelEnd - ref) & 0xffffffffull;
    return true;
}

// ---- device queries on every profile -------------------------------------------------------------
static void t_queries(void) {
    if (!init_all()) return;
    for (uint32_t i = 0; i < ndev; i++) {
        ze_device_handle_t d = devs[i];
        ze_device_properties_t p = { .stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES };
        CHECK_RC(zeDeviceGetProperties(d, &p), "device properties");
        printf("# device %u: %s (0x%04x) flags 0x%x slices %u\n", i, p.name, p.deviceId, p.flags, p.numSlices);
        ze_device_compute_properties_t cp = { .stype = ZE_STRUCTURE_TYPE_DEVICE_COMPUTE_PROPERTIES };
        CHECK_RC(zeDeviceGetComputeProperties(d, &cp), "compute properties");
        check(cp.maxTotalGroupSize == 1024 && cp.maxGroupCountX == UINT32_MAX && cp.maxSharedLocalMemory >= 65536 && cp.numSubGroupSizes >= 2,
              "compute properties values", "total %u slm %u nsg %u", cp.maxTotalGroupSize, cp.maxSharedLocalMemory, cp.numSubGroupSizes);
        ze_device_module_properties_t mp = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MODULE_PROPERTIES };
        CHECK_RC(zeDeviceGetModuleProperties(d, &mp), "module properties");
        check(mp.spirvVersionSupported >= ZE_MAKE_VERSION(1, 2), "SPIR-V version", "0x%x", mp.spirvVersionSupported);
        uint32_t n = 0;
        CHECK_RC(zeDeviceGetMemoryProperties(d, &n, NULL), "memory properties count");
        ze_device_memory_properties_t mem = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES };
        n = 1;
        CHECK_RC(zeDeviceGetMemoryProperties(d, &n, &mem), "memory properties");
        check(n == 1 && mem.totalSize > 1000000000ull, "memory size", "n %u size %llu", n, (unsigned long long)mem.totalSize);
        ze_device_memory_access_properties_t ma = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEMORY_ACCESS_PROPERTIES };
        CHECK_RC(zeDeviceGetMemoryAccessProperties(d, &ma), "memory access properties");
        ze_device_cache_properties_t cache = { .stype = ZE_STRUCTURE_TYPE_DEVICE_CACHE_PROPERTIES };
        n = 1;
        CHECK_RC(zeDeviceGetCacheProperties(d, &n, &cache), "cache properties");
        ze_device_image_properties_t img = { .stype = ZE_STRUCTURE_TYPE_DEVICE_IMAGE_PROPERTIES };
        CHECK_RC(zeDeviceGetImageProperties(d, &img), "image properties");
        ze_command_queue_group_properties_t g[8];
        n = 0;
        CHECK_RC(zeDeviceGetCommandQueueGroupProperties(d, &n, NULL), "queue group count");
        for (int j = 0; j < 8; j++) { memset(&g[j], 0, sizeof g[j]); g[j].stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES; }
        CHECK_RC(zeDeviceGetCommandQueueGroupProperties(d, &n, g), "queue groups");
        check(g[0].flags == (ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COOPERATIVE_KERNELS)
              && g[0].maxMemoryFillPatternSize == SIZE_MAX, "group 0 is CCS", "flags 0x%x fill %zu", g[0].flags, g[0].maxMemoryFillPatternSize);
        bool has_copy = false;
        for (uint32_t j = 0; j < n; j++) if (g[j].flags == ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY && g[j].maxMemoryFillPatternSize <= 16) has_copy = true;
        check(has_copy, "a copy-only group with a small fill pattern", "none");
        if (strstr(p.name, "A770")) {
            check(n == 3 && g[0].numQueues == 1 && (g[1].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_METRICS) && g[2].maxMemoryFillPatternSize == 16,
                  "A770 groups CCS x1, RCS(+METRICS), BCS fill 16", "n %u", n);
        }
        if (strstr(p.name, "Max 1550")) {
            check(g[0].numQueues == 4, "Max 1550 has 4 CCS", "%u", g[0].numQueues);
            check(p.maxMemAllocSize > 4294967296ull, "Max 1550 maxMemAllocSize", "%llu", (unsigned long long)p.maxMemAllocSize);
        }
        if (strstr(p.name, "Intel(R) Arc(TM) Graphics")) check(p.flags & ZE_DEVICE_PROPERTY_FLAG_INTEGRATED, "MTL is integrated", "flags 0x%x", p.flags);
        ze_bool_t can = 0;
        CHECK_RC(zeDeviceCanAccessPeer(d, d, &can), "CanAccessPeer");
        check(can == 1, "device can access itself", "%u", can);
        ze_device_p2p_properties_t p2p = { .stype = ZE_STRUCTURE_TYPE_DEVICE_P2P_PROPERTIES };
        CHECK_RC(zeDeviceGetP2PProperties(d, devs[(i + 1) % ndev], &p2p), "P2P properties");
        CHECK_RC(zeDeviceGetStatus(d), "device status");
        ze_pci_ext_properties_t pci = { .stype = ZE_STRUCTURE_TYPE_PCI_EXT_PROPERTIES };
        CHECK_RC(zeDevicePciGetPropertiesExt(d, &pci), "PCI properties");
        uint64_t h1, d1, h2, d2;
        CHECK_RC(zeDeviceGetGlobalTimestamps(d, &h1, &d1), "global timestamps");
        usleep(20000);
        zeDeviceGetGlobalTimestamps(d, &h2, &d2);
        double dh = (double)(h2 - h1), dd = (double)((d2 - d1) & ((1ull << 36) - 1)) * 1e9 / 19200000.0;
        check(fabs(dd - dh) < 0.01 * dh + 2000, "device ticks track CLOCK_MONOTONIC_RAW at 19.2 MHz", "host %.0f ns device %.0f ns", dh, dd);
        struct timespec ts; clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
        uint64_t raw = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        check(raw >= h2 && raw - h2 < 1000000000ull, "host timestamp is CLOCK_MONOTONIC_RAW", "raw %llu host %llu", (unsigned long long)raw, (unsigned long long)h2);
        uint32_t nsub = 0;
        CHECK_RC(zeDeviceGetSubDevices(d, &nsub, NULL), "sub-device count");
    }
    uint32_t ne = 0;
    CHECK_RC(zeDriverGetExtensionProperties(drv, &ne, NULL), "extension count");
    check(ne >= 1, "extensions advertised", "%u", ne);
    ze_driver_extension_properties_t ext[16];
    uint32_t ne2 = ne < 16 ? ne : 16;
    CHECK_RC(zeDriverGetExtensionProperties(drv, &ne2, ext), "extension list");
    bool has_ipv = false;
    for (uint32_t i = 0; i < ne2; i++) has_ipv |= !strcmp(ext[i].name, "ZE_extension_device_ip_version");
    check(has_ipv, "ZE_extension_device_ip_version advertised", "missing");
    ze_driver_ipc_properties_t ipc = { .stype = ZE_STRUCTURE_TYPE_DRIVER_IPC_PROPERTIES };
    CHECK_RC(zeDriverGetIpcProperties(drv, &ipc), "IPC properties");
    void *fn = NULL;
    EXPECT_RC(zeDriverGetExtensionFunctionAddress(drv, "zexNoSuchFunction", &fn), ZE_RESULT_ERROR_INVALID_ARGUMENT, "unknown extension function");
}

// ---- memory ------------------------------------------------------------------------------------------
static void t_memory(void) {
    if (!init_all()) return;
    ze_device_handle_t dev = devs[0];
    ze_context_handle_t ctx = mk_ctx();
    check(ctx != NULL, "context", "NULL");
    ze_device_properties_t p = { .stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES };
    zeDeviceGetProperties(dev, &p);
    ze_device_mem_alloc_desc_t dd = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC };
    ze_host_mem_alloc_desc_t hd = { .stype = ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC };
    void *a = NULL, *b = NULL, *c = NULL;
    CHECK_RC(zeMemAllocDevice(ctx, &dd, 1000, 4096, dev, &a), "device alloc");
    check(((uintptr_t)a & 4095) == 0, "device alloc alignment", "%p", a);
    CHECK_RC(zeMemAllocHost(ctx, &hd, 1 << 20, 0, &b), "host alloc");
    CHECK_RC(zeMemAllocShared(ctx, &dd, &hd, 12345, 256, dev, &c), "shared alloc");
    check(((uintptr_t)c & 255) == 0, "shared alloc alignment", "%p", c);
    ze_memory_allocation_properties_t mp = { .stype = ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES };
    ze_device_handle_t owner = NULL;
    CHECK_RC(zeMemGetAllocProperties(ctx, (char *)a + 10, &mp, &owner), "GetAllocProperties device");
    check(mp.type == ZE_MEMORY_TYPE_DEVICE && owner == dev, "device alloc type/owner", "type %d", mp.type);
    zeMemGetAllocProperties(ctx, b, &mp, &owner);
    check(mp.type == ZE_MEMORY_TYPE_HOST && owner == NULL, "host alloc type", "type %d", mp.type);
    zeMemGetAllocProperties(ctx, c, &mp, &owner);
    check(mp.type == ZE_MEMORY_TYPE_SHARED, "shared alloc type", "type %d", mp.type);
    int stack = 0;
    zeMemGetAllocProperties(ctx, &stack, &mp, &owner);
    check(mp.type == ZE_MEMORY_TYPE_UNKNOWN, "unknown pointer type", "type %d", mp.type);
    void *base = NULL; size_t size = 0;
    CHECK_RC(zeMemGetAddressRange(ctx, (char *)c + 100, &base, &size), "GetAddressRange");
    check(base == c && size == 12345, "address range", "%p %zu", base, size);
    live_t l = live_objects();
    check(l.allocations == 3 && l.allocated_bytes == 1000 + (1 << 20) + 12345, "live allocation accounting", "%llu allocs %llu bytes",
          (unsigned long long)l.allocations, (unsigned long long)l.allocated_bytes);
    void *big = NULL;
    EXPECT_RC(zeMemAllocDevice(ctx, &dd, p.maxMemAllocSize + 1, 0, dev, &big), ZE_RESULT_ERROR_UNSUPPORTED_SIZE, "over maxMemAllocSize");
    EXPECT_RC(zeMemAllocDevice(ctx, &dd, 0, 0, dev, &big), ZE_RESULT_ERROR_UNSUPPORTED_SIZE, "zero-size alloc");
    EXPECT_RC(zeMemAllocDevice(ctx, &dd, 64, 3, dev, &big), ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT, "non-power-of-two alignment");
    EXPECT_RC(zeMemFree(ctx, (char *)a + 1), ZE_RESULT_ERROR_INVALID_ARGUMENT, "free of an interior pointer");
    CHECK_RC(zeMemFree(ctx, a), "free device");
    CHECK_RC(zeMemFree(ctx, b), "free host");
    CHECK_RC(zeMemFree(ctx, c), "free shared");
    EXPECT_RC(zeMemFree(ctx, a), ZE_RESULT_ERROR_INVALID_ARGUMENT, "double free");
    // small profile from XPUSIM_CONFIG: 64 MiB of device memory, 32 MiB max allocation
    if (!strcmp(p.name, "Tiny Test GPU")) {
        void *x[4] = { 0 };
        CHECK_RC(zeMemAllocDevice(ctx, &dd, 30 << 20, 0, dev, &x[0]), "tiny: alloc 30 MiB");
        CHECK_RC(zeMemAllocDevice(ctx, &dd, 30 << 20, 0, dev, &x[1]), "tiny: alloc 30 MiB again");
        EXPECT_RC(zeMemAllocDevice(ctx, &dd, 30 << 20, 0, dev, &x[2]), ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY, "tiny: beyond device memory");
        EXPECT_RC(zeMemAllocDevice(ctx, &dd, 33 << 20, 0, dev, &x[3]), ZE_RESULT_ERROR_UNSUPPORTED_SIZE, "tiny: over maxMemAllocSize");
        zeMemFree(ctx, x[0]);
        CHECK_RC(zeMemAllocDevice(ctx, &dd, 30 << 20, 0, dev, &x[2]), "tiny: memory is reusable after free");
        zeMemFree(ctx, x[1]);
        zeMemFree(ctx, x[2]);
    }
    CHECK_RC(zeContextDestroy(ctx), "context destroy");
    if (!intercept()) EXPECT_RC(zeContextDestroy(ctx), ZE_RESULT_ERROR_INVALID_ARGUMENT, "stale context handle");
    check_no_leaks("no live objects at the end");
}


// ---- execution: copies, fills, events, kernels, lists, queues, fences --------------------------------
static void t_exec(void) {
    if (!init_all()) return;
    ze_device_handle_t dev = devs[0];
    ze_context_handle_t ctx = mk_ctx();
    uint32_t cord, bord, nq = 0;
    find_groups(dev, &cord, &bord, &nq);
    check(cord != UINT32_MAX && bord != UINT32_MAX, "compute and copy groups", "%u %u", cord, bord);
    const size_t N = 1 << 16;
    uint32_t *h = host_alloc(ctx, N * 4), *d = dev_alloc(ctx, dev, N * 4), *back = host_alloc(ctx, N * 4);
    for (size_t i = 0; i < N; i++) h[i] = (uint32_t)(i * 7 + 1);
    ze_event_pool_handle_t pool = mk_pool(ctx, 32, ZE_EVENT_POOL_FLAG_HOST_VISIBLE | ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP);
    ze_event_handle_t ev[8];
    for (int i = 0; i < 8; i++) ev[i] = mk_ev(pool, (uint32_t)i);
    if (!getenv("ZE_ENABLE_VALIDATION_LAYER")) {
        // counter-based pools arrive as a pNext ze_event_pool_counter_based_exp_desc_t (0x00020014): accepted
        struct { uint32_t stype; const void *pNext; uint32_t flags; } cb = { 0x00020014, NULL, 1 };
        ze_event_pool_desc_t cd = { .stype = ZE_STRUCTURE_TYPE_EVENT_POOL_DESC, .pNext = &cb, .flags = ZE_EVENT_POOL_FLAG_HOST_VISIBLE, .count = 4 };
        ze_event_pool_handle_t cp = NULL;
        CHECK_RC(zeEventPoolCreate(ctx, &cd, 0, NULL, &cp), "counter-based event pool (pNext) accepted");
        if (cp) zeEventPoolDestroy(cp);
    }
    // synchronous immediate list on the copy engine
    ze_command_list_handle_t sl = mk_imm(ctx, dev, bord, 0, ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS, 0);
    CHECK_RC(zeCommandListAppendMemoryCopy(sl, d, h, N * 4, NULL, 0, NULL), "sync copy host->device");
    CHECK_RC(zeCommandListAppendMemoryCopy(sl, back, d, N * 4, NULL, 0, NULL), "sync copy device->host");
    check(!memcmp(h, back, N * 4), "copied data round-trips", "mismatch");
    uint8_t pat16[16], pat32[32];
    for (int i = 0; i < 32; i++) { pat32[i] = (uint8_t)i; if (i < 16) pat16[i] = (uint8_t)(0xA0 + i); }
    EXPECT_RC(zeCommandListAppendMemoryFill(sl, d, pat32, 32, N * 4, NULL, 0, NULL), ZE_RESULT_ERROR_INVALID_SIZE, "copy engine rejects a 32-byte fill pattern");
    ze_command_queue_group_properties_t gp[8]; uint32_t ng = 8;
    for (int i = 0; i < 8; i++) { memset(&gp[i], 0, sizeof gp[i]); gp[i].stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES; }
    zeDeviceGetCommandQueueGroupProperties(dev, &ng, gp);
    size_t bfill = gp[bord].maxMemoryFillPatternSize;
    CHECK_RC(zeCommandListAppendMemoryFill(sl, d, pat16, bfill, N * 4, NULL, 0, NULL), "copy-engine fill with the group's max pattern");
    zeCommandListAppendMemoryCopy(sl, back, d, N * 4, NULL, 0, NULL);
    bool fok = true;
    for (size_t i = 0; i < N * 4; i++) if (((uint8_t *)back)[i] != pat16[i % bfill]) { fok = false; break; }
    check(fok, "fill pattern written", "mismatch");
    // asynchronous in-order immediate list on the compute engine
    ze_command_list_handle_t al = mk_imm(ctx, dev, cord, 0, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, in_order_flag());
    check(al != NULL, "async in-order immediate list", "NULL");
    CHECK_RC(zeCommandListAppendMemoryFill(al, d, pat32, 32, N * 4, ev[0], 0, NULL), "compute-engine fill with a 32-byte pattern");
    CHECK_RC(zeEventHostSynchronize(ev[0], LONG_WAIT), "fill event completes");
    CHECK_RC(zeEventQueryStatus(ev[0]), "QueryStatus signalled");
    CHECK_RC(zeEventHostReset(ev[0]), "HostReset");
    EXPECT_RC(zeEventQueryStatus(ev[0]), ZE_RESULT_NOT_READY, "QueryStatus after reset");
    {
        // A short op lasts its modelled time (a small fill on a compute engine: 4 µs of fixed latency), not
        // the host's sleep granularity: with the default 50 µs timer slack a 64-byte fill measured ~100 µs.
        uint64_t dur[15];
        for (int i = 0; i < 15; i++) {
            zeEventHostReset(ev[1]);
            zeCommandListAppendMemoryFill(al, d, pat16, 1, 64, ev[1], 0, NULL);
            zeEventHostSynchronize(ev[1], LONG_WAIT);
            uint64_t s1 = 0, e1 = 0;
            ts_of(ev[1], 0, &s1, &e1);
            dur[i] = ((e1 - s1) & 0xffffffffull) * 625 / 12;  // 19.2 MHz ticks -> ns
            for (int j = i; j > 0 && dur[j] < dur[j - 1]; j--) { uint64_t t = dur[j]; dur[j] = dur[j - 1]; dur[j - 1] = t; }
        }
        check(dur[0] >= 3900, "a 64-byte fill lasts at least its modelled 4 us", "shortest %llu ns", (unsigned long long)dur[0]);
        check(slow_tool() || dur[7] < 40000, "a 64-byte fill is timed at its modelled length, not the host's sleep granularity", "median %llu ns",
              (unsigned long long)dur[7]);
        zeEventHostReset(ev[1]);  // later checks take it fresh
    }
    EXPECT_RC(zeEventHostSynchronize(ev[0], 0), ZE_RESULT_NOT_READY, "HostSynchronize(0) polls");
    // a wait really gates execution: the copy waits for a host-signalled event
    uint64_t h0, t0;
    zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
    memset(back, 0, N * 4);
    CHECK_RC(zeCommandListAppendMemoryCopy(al, back, h, N * 4, ev[1], 1, &ev[2]), "copy gated on an event");
    EXPECT_RC(zeEventHostSynchronize(ev[1], 30000000), ZE_RESULT_NOT_READY, "gated copy does not run before the signal (30 ms timeout)");
    check(back[5] == 0, "gated copy has not written", "%u", back[5]);
    CHECK_RC(zeEventHostSignal(ev[2]), "HostSignal");
    CHECK_RC(zeEventHostSynchronize(ev[1], LONG_WAIT), "gated copy completes after the signal");
    check(!memcmp(back, h, N * 4), "gated copy data", "mismatch");
    uint64_t s = 0, e = 0;
    check(ts_of(ev[1], t0, &s, &e) && e >= s, "copy timestamps", "s %llu e %llu", (unsigned long long)s, (unsigned long long)e);
    ze_kernel_timestamp_result_t kr;
    EXPECT_RC(zeEventQueryKernelTimestamp(ev[3], &kr), ZE_RESULT_NOT_READY, "QueryKernelTimestamp NOT_READY before signal");
    // barrier, signal, wait, reset, write timestamp
    uint64_t *tsbuf = host_alloc(ctx, 64);
    CHECK_RC(zeCommandListAppendWriteGlobalTimestamp(al, &tsbuf[0], NULL, 0, NULL), "WriteGlobalTimestamp");
    CHECK_RC(zeCommandListAppendBarrier(al, ev[3], 0, NULL), "Barrier with signal");
    CHECK_RC(zeCommandListAppendSignalEvent(al, ev[4]), "SignalEvent");
    CHECK_RC(zeCommandListAppendWaitOnEvents(al, 1, &ev[4]), "WaitOnEvents");
    CHECK_RC(zeCommandListAppendEventReset(al, ev[4]), "EventReset");
    CHECK_RC(zeCommandListAppendWriteGlobalTimestamp(al, &tsbuf[1], ev[5], 0, NULL), "WriteGlobalTimestamp 2");
    CHECK_RC(zeEventHostSynchronize(ev[5], LONG_WAIT), "in-order list drains");
    EXPECT_RC(zeEventQueryStatus(ev[4]), ZE_RESULT_NOT_READY, "EventReset executed");
    check(tsbuf[1] > tsbuf[0] && ((tsbuf[0] - t0) & ((1ull << 36) - 1)) < 19200000ull * 10, "global timestamps increase", "%llu %llu",
          (unsigned long long)tsbuf[0], (unsigned long long)tsbuf[1]);
    // region copy: a 16x8 box out of a 64-byte-pitch 2-D source into a packed destination
    {
        uint8_t *s2 = host_alloc(ctx, 64 * 32), *d2 = dev_alloc(ctx, dev, 16 * 8), *b2 = host_alloc(ctx, 16 * 8);
        for (int i = 0; i < 64 * 32; i++) s2[i] = (uint8_t)(i * 13);
        ze_copy_region_t sr = { 8, 4, 0, 16, 8, 1 }, dr = { 0, 0, 0, 16, 8, 1 };
        CHECK_RC(zeCommandListAppendMemoryCopyRegion(sl, d2, &dr, 16, 0, s2, &sr, 64, 0, NULL, 0, NULL), "MemoryCopyRegion");
        zeCommandListAppendMemoryCopy(sl, b2, d2, 16 * 8, NULL, 0, NULL);
        bool rok = true;
        for (int y = 0; y < 8; y++) for (int x = 0; x < 16; x++) if (b2[y * 16 + x] != s2[(4 + y) * 64 + 8 + x]) rok = false;
        check(rok, "region copy data", "mismatch");
        zeMemFree(ctx, s2); zeMemFree(ctx, d2); zeMemFree(ctx, b2);
    }
    // kernels
    ze_module_handle_t mod = mk_module(ctx, dev);
    ze_kernel_handle_t saxpy = mod ? mk_kernel(mod, "saxpy") : NULL, busy = mod ? mk_kernel(mod, "busy") : NULL;
    float *x = shared_alloc(ctx, dev, N * 4), *y = shared_alloc(ctx, dev, N * 4);
    for (size_t i = 0; i < N; i++) { x[i] = (float)i; y[i] = 1.0f; }
    if (saxpy) {
        float a = 2.5f;
        CHECK_RC(zeKernelSetGroupSize(saxpy, 256, 1, 1), "SetGroupSize");
        CHECK_RC(zeKernelSetArgumentValue(saxpy, 0, sizeof y, &y), "SetArgumentValue y");
        CHECK_RC(zeKernelSetArgumentValue(saxpy, 1, sizeof x, &x), "SetArgumentValue x");
        CHECK_RC(zeKernelSetArgumentValue(saxpy, 2, sizeof a, &a), "SetArgumentValue a");
        ze_group_count_t gc = { (uint32_t)(N / 256), 1, 1 };
        zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
        CHECK_RC(zeCommandListAppendLaunchKernel(al, saxpy, &gc, ev[6], 0, NULL), "launch saxpy");
        CHECK_RC(zeEventHostSynchronize(ev[6], LONG_WAIT), "saxpy completes");
        bool ok = true;
        for (size_t i = 0; i < N; i++) if (y[i] != fmaf(2.5f, (float)i, 1.0f)) { ok = false; break; }
        check(ok, "saxpy result", "y[3] = %f", y[3]);
        check(ts_of(ev[6], t0, &s, &e) && e > s && s < 19200000ull * 60, "kernel timestamps: start >= submit tick, end > start", "s %llu e %llu", (unsigned long long)s, (unsigned long long)e);
        ze_kernel_timestamp_result_t r;
        zeEventQueryKernelTimestamp(ev[6], &r);
        ze_kernel_timestamp_result_t *qres = host_alloc(ctx, 2 * sizeof *qres);
        memset(qres, 0xff, 2 * sizeof *qres);
        zeEventHostReset(ev[5]);
        CHECK_RC(zeCommandListAppendQueryKernelTimestamps(al, 1, &ev[6], qres, NULL, ev[5], 0, NULL), "AppendQueryKernelTimestamps");
        zeEventHostSynchronize(ev[5], LONG_WAIT);
        check(qres[0].global.kernelStart == r.global.kernelStart && qres[0].global.kernelEnd == r.global.kernelEnd, "queried timestamps written to memory", "%llx",
              (unsigned long long)qres[0].global.kernelStart);
        zeMemFree(ctx, qres);
        uint32_t nts = 0;
        CHECK_RC(zeEventQueryTimestampsExp(ev[6], dev, &nts, NULL), "zeEventQueryTimestampsExp count");
        ze_kernel_timestamp_result_t tsx[2];
        if (nts > 2) nts = 2;
        zeEventQueryTimestampsExp(ev[6], dev, &nts, tsx);
        check(nts >= 1 && tsx[0].global.kernelStart == r.global.kernelStart, "zeEventQueryTimestampsExp matches", "n %u", nts);
        check(r.global.kernelStart <= 0xffffffffull && r.global.kernelEnd <= 0xffffffffull, "kernel timestamps are 32-bit", "%llx", (unsigned long long)r.global.kernelEnd);
    }
    if (busy) {
        // duration linear in iterations (device timestamps; min of 3 runs against host noise; generous bounds)
        float *out = dev_alloc(ctx, dev, 64 * 4);
        uint64_t best[2] = { UINT64_MAX, UINT64_MAX }, prev_end = 0;
        bool in_order = true;
        for (int rep = 0; rep < 3; rep++) {
            for (int j = 0; j < 2; j++) {
                zeEventHostReset(ev[6 + j]);
                zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
                launch_busy(al, busy, out, j ? 32000000 : 8000000, 1, 64, ev[6 + j], 0, NULL);
                zeEventHostSynchronize(ev[6 + j], LONG_WAIT);
                uint64_t s1 = 0, e1 = 0;
                ts_of(ev[6 + j], t0, &s1, &e1);
                if (e1 - s1 < best[j]) best[j] = e1 - s1;
                (void)prev_end;
            }
        }
        double r = (double)best[1] / (double)(best[0] ? best[0] : 1);
        check(slow_tool() || (r > 1.6 && r < 8.0), "busy duration grows with iterations (4x iterations: linear = 4, constant = 1)", "ratio %.2f (%llu vs %llu ticks)", r,
              (unsigned long long)best[1], (unsigned long long)best[0]);
        zeEventHostReset(ev[6]);
        zeEventHostReset(ev[7]);
        zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
        launch_busy(al, busy, out, 100000, 1, 64, ev[6], 0, NULL);
        launch_busy(al, busy, out, 100000, 1, 64, ev[7], 0, NULL);
        zeEventHostSynchronize(ev[7], LONG_WAIT);
        uint64_t s1 = 0, e1 = 0, s2 = 0, e2 = 0;
        ts_of(ev[6], t0, &s1, &e1);
        ts_of(ev[7], t0, &s2, &e2);
        in_order = s2 >= e1;
        check(in_order, "in-order: second kernel starts after the first ends", "s2 %llu e1 %llu", (unsigned long long)s2, (unsigned long long)e1);
        // launch on a copy-only list is rejected
        ze_group_count_t gc = { 1, 1, 1 };
        EXPECT_RC(zeCommandListAppendLaunchKernel(sl, busy, &gc, NULL, 0, NULL), ZE_RESULT_ERROR_INVALID_ARGUMENT, "kernel on a copy-only list");
        zeMemFree(ctx, out);
    }
    // regular command list + queue + fence
    ze_command_queue_desc_t qd = { .stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC, .ordinal = cord, .mode = ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS };
    ze_command_queue_handle_t q = NULL;
    CHECK_RC(zeCommandQueueCreate(ctx, dev, &qd, &q), "CommandQueueCreate");
    ze_command_list_desc_t ld = { .stype = ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC, .commandQueueGroupOrdinal = cord };
    ze_command_list_handle_t rl = NULL;
    CHECK_RC(zeCommandListCreate(ctx, dev, &ld, &rl), "CommandListCreate");
    ze_fence_desc_t fd = { .stype = ZE_STRUCTURE_TYPE_FENCE_DESC };
    ze_fence_handle_t f = NULL;
    CHECK_RC(zeFenceCreate(q, &fd, &f), "FenceCreate");
    memset(back, 0, N * 4);
    zeEventHostReset(ev[2]);
    CHECK_RC(zeCommandListAppendWaitOnEvents(rl, 1, &ev[2]), "regular: wait");
    CHECK_RC(zeCommandListAppendMemoryCopy(rl, back, h, N * 4, NULL, 0, NULL), "regular: copy");
    EXPECT_RC(zeCommandQueueExecuteCommandLists(q, 1, &rl, f), ZE_RESULT_ERROR_INVALID_ARGUMENT, "executing an open list is rejected");
    CHECK_RC(zeCommandListClose(rl), "Close");
    CHECK_RC(zeCommandQueueExecuteCommandLists(q, 1, &rl, f), "ExecuteCommandLists");
    EXPECT_RC(zeCommandQueueSynchronize(q, 0), ZE_RESULT_NOT_READY, "queue Synchronize(0) while gated");
    EXPECT_RC(zeCommandQueueSynchronize(q, 20000000), ZE_RESULT_NOT_READY, "queue Synchronize times out (20 ms)");
    EXPECT_RC(zeFenceHostSynchronize(f, 10000000), ZE_RESULT_NOT_READY, "fence times out");
    EXPECT_RC(zeFenceQueryStatus(f), ZE_RESULT_NOT_READY, "fence QueryStatus");
    zeEventHostSignal(ev[2]);
    CHECK_RC(zeCommandQueueSynchronize(q, LONG_WAIT), "queue Synchronize");
    CHECK_RC(zeFenceHostSynchronize(f, LONG_WAIT), "fence signalled");
    check(!memcmp(back, h, N * 4), "regular list copy data", "mismatch");
    CHECK_RC(zeFenceReset(f), "FenceReset");
    memset(back, 0, N * 4);
    CHECK_RC(zeCommandQueueExecuteCommandLists(q, 1, &rl, f), "re-execute a closed list");
    CHECK_RC(zeFenceHostSynchronize(f, LONG_WAIT), "fence signalled again");
    check(!memcmp(back, h, N * 4), "re-executed copy data", "mismatch");
    CHECK_RC(zeCommandListReset(rl), "list Reset");
    // cross-list wait on another engine: copy engine waits for compute
    ze_command_list_handle_t bl = mk_imm(ctx, dev, bord, 0, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, 0);
    if (busy) {
        float *out = dev_alloc(ctx, dev, 64 * 4);
        for (int i = 0; i < 3; i++) zeEventHostReset(ev[i]);
        zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
        launch_busy(al, busy, out, 400000, 1, 64, ev[0], 0, NULL);
        zeCommandListAppendMemoryCopy(bl, back, h, 4096, ev[1], 1, &ev[0]);
        CHECK_RC(zeEventHostSynchronize(ev[1], LONG_WAIT), "cross-engine waiter completes");
        uint64_t s1 = 0, e1 = 0, s2 = 0, e2 = 0;
        ts_of(ev[0], t0, &s1, &e1);
        ts_of(ev[1], t0, &s2, &e2);
        check(s2 >= e1, "cross-engine wait: copy starts after the kernel ends", "copy start %llu kernel end %llu", (unsigned long long)s2, (unsigned long long)e1);
        zeMemFree(ctx, out);
    }
    // bad handles
    if (!intercept()) {
        EXPECT_RC(zeCommandListAppendMemoryCopy(NULL, back, h, 4, NULL, 0, NULL), ZE_RESULT_ERROR_INVALID_NULL_HANDLE, "null list");
        EXPECT_RC(zeEventHostSynchronize((ze_event_handle_t)h, 0), ZE_RESULT_ERROR_INVALID_ARGUMENT, "bogus event handle");
    }
    // cleanup
    zeFenceDestroy(f);
    zeCommandQueueDestroy(q);
    zeCommandListDestroy(rl);
    zeCommandListDestroy(bl);
    zeCommandListDestroy(sl);
    zeCommandListDestroy(al);
    if (saxpy) zeKernelDestroy(saxpy);
    if (busy) zeKernelDestroy(busy);
    if (mod) zeModuleDestroy(mod);
    for (int i = 0; i < 8; i++) zeEventDestroy(ev[i]);
    zeEventPoolDestroy(pool);
    zeMemFree(ctx, h); zeMemFree(ctx, d); zeMemFree(ctx, back); zeMemFree(ctx, tsbuf); zeMemFree(ctx, x); zeMemFree(ctx, y);
    zeContextDestroy(ctx);
    check_no_leaks("no live objects at the end");
}

// ---- concurrency: 4 busy kernels on 4 compute engines overlap; on one engine they serialize --------
static void t_concurrency(void) {
    if (!init_all()) return;
    ze_device_handle_t dev = devs[0];
    ze_context_handle_t ctx = mk_ctx();
    uint32_t cord, bord, nq = 0;
    find_groups(dev, &cord, &bord, &nq);
    ze_module_handle_t mod = mk_module(ctx, dev);
    if (!mod) return;
    ze_event_pool_handle_t pool = mk_pool(ctx, 16, ZE_EVENT_POOL_FLAG_HOST_VISIBLE | ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP);
    ze_command_list_handle_t l[4];
    ze_kernel_handle_t k[4];
    ze_event_handle_t ev[8];
    float *out[4];
    for (int i = 0; i < 4; i++) {
        l[i] = mk_imm(ctx, dev, cord, (uint32_t)i % nq, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, in_order_flag());
        k[i] = mk_kernel(mod, "busy");
        ev[i] = mk_ev(pool, (uint32_t)i);
        ev[4 + i] = mk_ev(pool, 4u + (uint32_t)i);
        out[i] = dev_alloc(ctx, dev, 64 * 4);
    }
    uint64_t h0, t0;
    const char *fl = getenv("XPUSIM_FAULTS");
    bool slowed = fl && strstr(fl, "slow=");
    zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
    // ~30 ms per kernel on Max 1550, ~20 ms on A770, all gated on one host-signalled event so that a
    // late host thread does not stagger the submissions: long against host scheduling noise
    // Up to 3 attempts: the property ("they can overlap" / "they never overlap") must show in one
    // attempt; an overloaded host (threads not scheduled for tens of ms) can spoil a single attempt.
    ze_event_handle_t go = ev[4];
    bool overlap_seen = false, serial_always = true;
    uint64_t maxs = 0, mine = UINT64_MAX;
    for (int attempt = 0; attempt < 3 && !slowed && !overlap_seen; attempt++) {
        for (int i = 0; i < 5; i++) zeEventHostReset(ev[i]);
        zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
        for (int i = 0; i < 4; i++) launch_busy(l[i], k[i], out[i], 12000000, 1, 64, ev[i], 1, &go);
        zeEventHostSignal(go);
        for (int i = 0; i < 4; i++) CHECK_RC(zeEventHostSynchronize(ev[i], LONG_WAIT), "busy kernel completes");
        uint64_t s[4] = { 0 }, e[4] = { 0 };
        maxs = 0; mine = UINT64_MAX;
        for (int i = 0; i < 4; i++) {
            ts_of(ev[i], t0, &s[i], &e[i]);
            if (s[i] > maxs) maxs = s[i];
            if (e[i] < mine) mine = e[i];
        }
        printf("# %u compute queue(s): kernel intervals (ticks) [%llu,%llu] [%llu,%llu] [%llu,%llu] [%llu,%llu]\n", nq,
               (unsigned long long)s[0], (unsigned long long)e[0], (unsigned long long)s[1], (unsigned long long)e[1],
               (unsigned long long)s[2], (unsigned long long)e[2], (unsigned long long)s[3], (unsigned long long)e[3]);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) if (i != j && s[i] < e[j] && s[j] < e[i]) serial_always = false;
        overlap_seen = maxs < mine;
        if (nq < 4) break;  // serialisation is checked once
    }
    if (slowed) {
    } else if (nq >= 4) {
        check(slow_tool() || overlap_seen, "4 small kernels on 4 compute engines overlap", "latest start %llu >= earliest end %llu", (unsigned long long)maxs, (unsigned long long)mine);
    } else {
        check(serial_always, "kernels on a single compute engine serialize", "intervals overlap");
    }
    uint64_t span0 = 0, sum = 0;
    (void)span0; (void)sum;
    // bandwidth-bound copies on several engines share memory bandwidth: not 4x faster. The host's own
    // memmove also takes time, so this scenario runs with XPUSIM_FAULTS=slow=N to make the model dominate.
    size_t B = 8u << 20;
    uint8_t *src[4], *dst[4];
    uint32_t zero = 0;
    for (int i = 0; i < 4; i++) {
        src[i] = dev_alloc(ctx, dev, B); dst[i] = dev_alloc(ctx, dev, B); zeEventHostReset(ev[i]);
        zeCommandListAppendMemoryFill(l[i], src[i], &zero, 4, B, NULL, 0, NULL);  // touch the pages once
        zeCommandListAppendMemoryFill(l[i], dst[i], &zero, 4, B, ev[i], 0, NULL);
    }
    for (int i = 0; i < 4; i++) { zeEventHostSynchronize(ev[i], LONG_WAIT); zeEventHostReset(ev[i]); }
    if (slowed) {
        uint64_t cs = 0, ce = 0, single = UINT64_MAX;
        for (int rep = 0; rep < 2; rep++) {  // min of 2 against host noise
            zeEventHostReset(ev[4]);
            zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
            zeCommandListAppendMemoryCopy(l[0], dst[0], src[0], B, ev[4], 0, NULL);
            zeEventHostSynchronize(ev[4], LONG_WAIT);
            ts_of(ev[4], t0, &cs, &ce);
            if (ce - cs < single) single = ce - cs;
        }
        uint64_t conc = UINT64_MAX;
        for (int rep = 0; rep < 2; rep++) {  // min of 2 against host noise
            for (int i = 0; i < 4; i++) zeEventHostReset(ev[i]);
            zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
            for (int i = 0; i < 4; i++) zeCommandListAppendMemoryCopy(l[i], dst[i], src[i], B, ev[i], 0, NULL);
            uint64_t first = UINT64_MAX, last = 0;
            for (int i = 0; i < 4; i++) {
                zeEventHostSynchronize(ev[i], LONG_WAIT);
                ts_of(ev[i], t0, &cs, &ce);
                if (cs < first) first = cs;
                if (ce > last) last = ce;
            }
            if (last - first < conc) conc = last - first;
        }
        uint64_t last = conc, first = 0;
        double ratio = (double)(last - first) / (double)(single ? single : 1);
        printf("# one 8 MiB device copy: %llu ticks; four concurrent on %u engine(s): %llu ticks (%.2fx)\n", (unsigned long long)single, nq,
               (unsigned long long)(last - first), ratio);
        check(slow_tool() || ratio > 1.7, "4 bandwidth-bound copies take > 1.7x one copy (shared bandwidth; perfect overlap would be 1x)", "ratio %.2f", ratio);
        if (ndev >= 2) {
            // the two tiles of a card share its PCIe link; the link is full duplex (H2D and D2H do not compete)
            size_t HB = 1u << 20;
            uint8_t *hbuf = host_alloc(ctx, HB), *hbuf2 = host_alloc(ctx, HB);
            uint8_t *d1 = dev_alloc(ctx, devs[1], HB);
            memset(hbuf, 1, HB);
            memset(hbuf2, 2, HB);
            ze_command_list_handle_t l1 = mk_imm(ctx, devs[1], cord, 0, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, in_order_flag());
            uint64_t sp[3] = { UINT64_MAX, UINT64_MAX, UINT64_MAX };
            for (int rep = 0; rep < 6; rep++) {  // min of 2 per mode against host noise
            int mode = rep % 3;  // 0: one H2D; 1: H2D on both tiles; 2: H2D + D2H on one tile
                zeEventHostReset(ev[0]); zeEventHostReset(ev[1]);
                zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
                zeCommandListAppendMemoryCopy(l[0], dst[0], hbuf, HB, ev[0], 0, NULL);
                if (mode == 1) zeCommandListAppendMemoryCopy(l1, d1, hbuf, HB, ev[1], 0, NULL);
                if (mode == 2) zeCommandListAppendMemoryCopy(l[1], hbuf2, src[1], HB, ev[1], 0, NULL);
                uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
                zeEventHostSynchronize(ev[0], LONG_WAIT);
                ts_of(ev[0], t0, &a0, &a1);
                if (mode) {
                    zeEventHostSynchronize(ev[1], LONG_WAIT);
                    ze_kernel_timestamp_result_t kr;
                    zeEventQueryKernelTimestamp(ev[1], &kr);
                    b0 = (kr.global.kernelStart - t0) & 0xffffffffull;
                    b1 = (kr.global.kernelEnd - t0) & 0xffffffffull;
                    if (b0 < a0) a0 = b0;
                    if (b1 > a1) a1 = b1;
                }
                if (a1 - a0 < sp[mode]) sp[mode] = a1 - a0;
            }
            double shared = (double)sp[1] / (double)sp[0], duplex = (double)sp[2] / (double)sp[0];
            printf("# 1 MiB H2D: %llu ticks; on both tiles: %.2fx; H2D + D2H: %.2fx\n", (unsigned long long)sp[0], shared, duplex);
            check(slow_tool() || shared > 1.5, "tiles of one card share its PCIe link", "%.2fx", shared);
            check(slow_tool() || duplex < 1.4, "PCIe is full duplex: H2D and D2H overlap", "%.2fx", duplex);
            zeCommandListDestroy(l1);
            zeMemFree(ctx, hbuf); zeMemFree(ctx, hbuf2); zeMemFree(ctx, d1);
        }
    }
    for (int i = 0; i < 4; i++) {
        zeMemFree(ctx, src[i]); zeMemFree(ctx, dst[i]); zeMemFree(ctx, out[i]);
        zeCommandListDestroy(l[i]); zeKernelDestroy(k[i]); zeEventDestroy(ev[i]); zeEventDestroy(ev[4 + i]);
    }
    zeEventPoolDestroy(pool);
    zeModuleDestroy(mod);
    zeContextDestroy(ctx);
    check_no_leaks("no live objects at the end");
}

// ---- modules and kernels -----------------------------------------------------------------------------
static void t_modules(void) {
    if (!init_all()) return;
    ze_device_handle_t dev = devs[0];
    ze_context_handle_t ctx = mk_ctx();
    uint32_t bad[8] = { 0xdeadbeef, 0x00010000, 0, 10, 0, 0, 0, 0 };
    ze_module_desc_t d = { .stype = ZE_STRUCTURE_TYPE_MODULE_DESC, .format = ZE_MODULE_FORMAT_IL_SPIRV, .inputSize = sizeof bad, .pInputModule = (const uint8_t *)bad };
    ze_module_handle_t m = NULL;
    ze_module_build_log_handle_t log = NULL;
    EXPECT_RC(zeModuleCreate(ctx, dev, &d, &m, intercept() ? NULL : &log), ZE_RESULT_ERROR_MODULE_BUILD_FAILURE, "bad magic -> MODULE_BUILD_FAILURE");
    size_t n = 0;
    char text[512] = "";
    if (!intercept()) {
        CHECK_RC(zeModuleBuildLogGetString(log, &n, NULL), "build log size");
        zeModuleBuildLogGetString(log, &n, text);
        check(strstr(text, "magic") != NULL, "build log says why", "'%s'", text);
        zeModuleBuildLogDestroy(log);
    }
    bad[0] = 0x07230203; bad[1] = 0x00010600;
    EXPECT_RC(zeModuleCreate(ctx, dev, &d, &m, NULL), ZE_RESULT_ERROR_MODULE_BUILD_FAILURE, "unsupported SPIR-V version");
    d.inputSize = 7;
    EXPECT_RC(zeModuleCreate(ctx, dev, &d, &m, NULL), ZE_RESULT_ERROR_MODULE_BUILD_FAILURE, "truncated input");
    ze_module_handle_t mod = mk_module(ctx, dev);
    if (!mod) return;
    uint32_t nk = 0;
    CHECK_RC(zeModuleGetKernelNames(mod, &nk, NULL), "kernel name count");
    const char *names[16];
    if (nk > 16) nk = 16;
    zeModuleGetKernelNames(mod, &nk, names);
    bool has_busy = false, has_saxpy = false;
    for (uint32_t i = 0; i < nk; i++) { if (!strcmp(names[i], "busy")) has_busy = true; if (!strcmp(names[i], "saxpy")) has_saxpy = true; }
    check(has_busy && has_saxpy && nk >= 5, "entry points read from SPIR-V", "%u kernels", nk);
    ze_kernel_desc_t kd = { .stype = ZE_STRUCTURE_TYPE_KERNEL_DESC, .pKernelName = "nope" };
    ze_kernel_handle_t k = NULL;
    EXPECT_RC(zeKernelCreate(mod, &kd, &k), ZE_RESULT_ERROR_INVALID_KERNEL_NAME, "unknown kernel name");
    k = mk_kernel(mod, "saxpy");
    ze_kernel_properties_t kp = { .stype = ZE_STRUCTURE_TYPE_KERNEL_PROPERTIES };
    CHECK_RC(zeKernelGetProperties(k, &kp), "kernel properties");
    check(kp.numKernelArgs == 3, "saxpy has 3 arguments", "%u", kp.numKernelArgs);
    EXPECT_RC(zeKernelSetGroupSize(k, 2048, 1, 1), ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION, "group size > 1024");
    EXPECT_RC(zeKernelSetGroupSize(k, 64, 64, 1), ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION, "group size product > 1024");
    EXPECT_RC(zeKernelSetGroupSize(k, 0, 1, 1), ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION, "group size 0");
    uint32_t gx, gy, gz;
    CHECK_RC(zeKernelSuggestGroupSize(k, 1 << 20, 1, 1, &gx, &gy, &gz), "SuggestGroupSize");
    check(gx && (1u << 20) % gx == 0 && gx <= 1024 && gy == 1 && gz == 1, "suggested group size divides the global size", "%u %u %u", gx, gy, gz);
    float a = 1.0f;
    double dbl = 1.0;
    EXPECT_RC(zeKernelSetArgumentValue(k, 3, sizeof a, &a), ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX, "argument index out of range");
    EXPECT_RC(zeKernelSetArgumentValue(k, 2, sizeof dbl, &dbl), ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE, "argument size mismatch");
    int stack = 0;
    void *sp = &stack;
    EXPECT_RC(zeKernelSetArgumentValue(k, 0, sizeof sp, &sp), ZE_RESULT_ERROR_INVALID_ARGUMENT, "pointer argument that is no allocation");
    size_t nl = 0;
    char kname[64];
    zeKernelGetName(k, &nl, NULL);
    zeKernelGetName(k, &nl, kname);
    check(!strcmp(kname, "saxpy"), "kernel name", "'%s'", kname);
    EXPECT_RC(zeModuleDestroy(mod), ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE, "module with live kernels");
    zeKernelDestroy(k);
    CHECK_RC(zeModuleDestroy(mod), "module destroy");
    zeContextDestroy(ctx);
    check_no_leaks("no live objects at the end");
}


// ---- hierarchy and affinity --------------------------------------------------------------------------
static void t_hierarchy(void) {
    if (!init_all()) return;
    const char *h = getenv("ZE_FLAT_DEVICE_HIERARCHY");
    const char *mask = getenv("ZE_AFFINITY_MASK");
    ze_device_properties_t p = { .stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES };
    zeDeviceGetProperties(devs[0], &p);
    uint32_t nsub = 0;
    zeDeviceGetSubDevices(devs[0], &nsub, NULL);
    if (mask) {
        check(ndev == 1 && nsub == 0, "ZE_AFFINITY_MASK selects one tile", "ndev %u nsub %u", ndev, nsub);
    } else if (h && (!strcmp(h, "COMPOSITE") || !strcmp(h, "COMBINED"))) {
        check(ndev == 1, "composite: one root device per card", "ndev %u", ndev);
        check(nsub == 2, "composite: two sub-devices", "nsub %u", nsub);
        check(p.numSlices == 2 && !(p.flags & ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE), "root spans both tiles", "slices %u flags 0x%x", p.numSlices, p.flags);
        ze_device_handle_t subs[2];
        nsub = 2;
        zeDeviceGetSubDevices(devs[0], &nsub, subs);
        for (uint32_t i = 0; i < nsub; i++) {
            ze_device_properties_t sp = { .stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES };
            zeDeviceGetProperties(subs[i], &sp);
            check((sp.flags & ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE) && sp.subdeviceId == i, "sub-device flagged SUBDEVICE with its id", "flags 0x%x id %u", sp.flags, sp.subdeviceId);
        }
        ze_device_memory_properties_t m = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES };
        uint32_t n = 1;
        zeDeviceGetMemoryProperties(devs[0], &n, &m);
        check(m.totalSize == 2ull * 65520 * 1024 * 1024, "root memory is both tiles'", "%llu", (unsigned long long)m.totalSize);
    } else {
        check(ndev == 2 && nsub == 0, "flat: each tile is a root device", "ndev %u nsub %u", ndev, nsub);
    }
}

// ---- faults --------------------------------------------------------------------------------------------
static void t_faults(void) {
    if (!init_all()) return;
    const char *f = getenv("XPUSIM_TEST_FAULT") ? getenv("XPUSIM_TEST_FAULT") : getenv("XPUSIM_FAULTS");
    ze_device_handle_t dev = devs[0];
    ze_context_handle_t ctx = mk_ctx();
    uint32_t cord, bord;
    find_groups(dev, &cord, &bord, NULL);
    ze_event_pool_handle_t pool = mk_pool(ctx, 8, ZE_EVENT_POOL_FLAG_HOST_VISIBLE | ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP);
    ze_event_handle_t ev[4];
    for (int i = 0; i < 4; i++) ev[i] = mk_ev(pool, (uint32_t)i);
    ze_command_list_handle_t l = mk_imm(ctx, dev, cord, 0, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, in_order_flag());
    ze_module_handle_t mod = mk_module(ctx, dev);
    ze_kernel_handle_t busy = mod ? mk_kernel(mod, "busy") : NULL;
    float *out = dev_alloc(ctx, dev, 4096);
    if (strstr(f, "device_lost_after_ops")) {
        uint32_t v = 1;
        CHECK_RC(zeCommandListAppendMemoryFill(l, out, &v, 4, 4096, ev[0], 0, NULL), "op 1");
        CHECK_RC(zeCommandListAppendMemoryFill(l, out, &v, 4, 4096, ev[1], 0, NULL), "op 2");
        CHECK_RC(zeEventHostSynchronize(ev[1], LONG_WAIT), "first two ops complete");
        CHECK_RC(zeCommandListAppendMemoryFill(l, out, &v, 4, 4096, ev[2], 0, NULL), "op 3 is accepted");
        EXPECT_RC(zeEventHostSynchronize(ev[2], LONG_WAIT), ZE_RESULT_ERROR_DEVICE_LOST, "op 3: event sync reports DEVICE_LOST");
        EXPECT_RC(zeDeviceGetStatus(dev), ZE_RESULT_ERROR_DEVICE_LOST, "GetStatus reports DEVICE_LOST");
        EXPECT_RC(zeCommandListAppendMemoryFill(l, out, &v, 4, 4096, ev[3], 0, NULL), ZE_RESULT_ERROR_DEVICE_LOST, "appends fail after the loss");
        EXPECT_RC(zeContextGetStatus(ctx), ZE_RESULT_ERROR_DEVICE_LOST, "context status");
    } else if (strstr(f, "page_fault")) {
        // not a real fault knob: this scenario checks that an out-of-bounds copy is a GPU page fault
        uint8_t *small = dev_alloc(ctx, dev, 256);
        static uint8_t hostbuf[4096];
        CHECK_RC(zeCommandListAppendMemoryCopy(l, small, hostbuf, 4096, ev[0], 0, NULL), "copy past the end of an allocation is accepted");
        EXPECT_RC(zeEventHostSynchronize(ev[0], LONG_WAIT), ZE_RESULT_ERROR_DEVICE_LOST, "out-of-bounds copy -> page fault -> DEVICE_LOST");
        zeMemFree(ctx, small);
    } else if (strstr(f, "oom_after_bytes")) {
        void *a = NULL, *b = NULL;
        ze_device_mem_alloc_desc_t dd = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC };
        CHECK_RC(zeMemAllocDevice(ctx, &dd, 600000, 0, dev, &a), "allocation under the limit");
        EXPECT_RC(zeMemAllocDevice(ctx, &dd, 600000, 0, dev, &b), ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY, "allocation over the limit -> OUT_OF_DEVICE_MEMORY");
        zeMemFree(ctx, a);
        CHECK_RC(zeMemAllocDevice(ctx, &dd, 600000, 0, dev, &b), "freed memory is available again");
        zeMemFree(ctx, b);
    } else if (strstr(f, "hang_kernel") && busy) {
        CHECK_RC(launch_busy(l, busy, out, 10, 1, 64, ev[0], 0, NULL), "hanging kernel is accepted");
        EXPECT_RC(zeEventHostSynchronize(ev[0], 50000000), ZE_RESULT_NOT_READY, "hung kernel: sync with timeout -> NOT_READY");
        EXPECT_RC(zeEventHostSynchronize(ev[0], UINT64_MAX), ZE_RESULT_ERROR_DEVICE_LOST, "hang detection -> DEVICE_LOST (waiting forever)");
    } else if (strstr(f, "slow") && busy) {
        // model: 1e6 iterations * 4 cycles / 2.4 GHz = 1.67 ms; slowed 4x -> 6.7 ms
        uint64_t h0, t0, s = 0, e = 0;
        zeDeviceGetGlobalTimestamps(dev, &h0, &t0);
        launch_busy(l, busy, out, 1000000, 1, 64, ev[0], 0, NULL);
        zeEventHostSynchronize(ev[0], LONG_WAIT);
        ts_of(ev[0], t0, &s, &e);
        double ms = (double)(e - s) / 19200.0;
        check(ms > 5.0, "slow=4 stretches kernel time (>5 ms for a 1.7 ms kernel)", "%.2f ms", ms);
    }
    if (busy) zeKernelDestroy(busy);
    if (mod) zeModuleDestroy(mod);
    zeMemFree(ctx, out);
    zeCommandListDestroy(l);
    for (int i = 0; i < 4; i++) zeEventDestroy(ev[i]);
    zeEventPoolDestroy(pool);
    zeContextDestroy(ctx);
    check_no_leaks("no live objects at the end");
}

// ---- one device lost, the others keep working -----------------------------------------------------------
// XPUSIM_FAULTS=device_lost_after_ops@1=N, or (XPUSIM_TEST_FAULT=page_fault) an out-of-bounds copy on
// device 1: only device 1's lists, queues, fences, events, allocations and modules report DEVICE_LOST;
// device 0 executes, synchronizes and allocates as before.
static ze_result_t dev_fill(ze_command_list_handle_t l, void *p, uint32_t v, ze_event_handle_t ev) {
    return zeCommandListAppendMemoryFill(l, p, &v, 4, 4096, ev, 0, NULL);
}
static void t_fault_device(void) {
    if (!init_all()) return;
    check(ndev >= 2, "two devices", "got %u", ndev);
    if (ndev < 2) return;
    bool page_fault = getenv("XPUSIM_TEST_FAULT") && strstr(getenv("XPUSIM_TEST_FAULT"), "page_fault");
    ze_device_handle_t d0 = devs[0], d1 = devs[1];
    ze_context_handle_t ctx = mk_ctx();
    uint32_t c0, b0, c1, b1;
    find_groups(d0, &c0, &b0, NULL);
    find_groups(d1, &c1, &b1, NULL);
    ze_event_pool_handle_t pool = mk_pool(ctx, 16, ZE_EVENT_POOL_FLAG_HOST_VISIBLE | ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP);
    ze_event_handle_t ev[12];
    for (int i = 0; i < 12; i++) ev[i] = mk_ev(pool, (uint32_t)i);
    ze_command_list_handle_t l0 = mk_imm(ctx, d0, c0, 0, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, in_order_flag());
    ze_command_list_handle_t l1 = mk_imm(ctx, d1, c1, 0, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, in_order_flag());
    uint32_t *m0 = dev_alloc(ctx, d0, 4096), *m1 = dev_alloc(ctx, d1, 4096);
    uint32_t *s0 = shared_alloc(ctx, d0, 4096);
    // a regular list + queue + fence per device, created before the loss
    ze_command_queue_desc_t qd = { .stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC, .mode = ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS };
    ze_command_list_desc_t ld = { .stype = ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC };
    ze_fence_desc_t fd = { .stype = ZE_STRUCTURE_TYPE_FENCE_DESC };
    ze_command_queue_handle_t q[2] = { NULL, NULL };
    ze_command_list_handle_t rl[2] = { NULL, NULL };
    ze_fence_handle_t fe[2] = { NULL, NULL };
    for (int i = 0; i < 2; i++) {
        qd.ordinal = ld.commandQueueGroupOrdinal = i ? c1 : c0;
        CHECK_RC(zeCommandQueueCreate(ctx, devs[i], &qd, &q[i]), "queue per device");
        CHECK_RC(zeCommandListCreate(ctx, devs[i], &ld, &rl[i]), "regular list per device");
        CHECK_RC(zeFenceCreate(q[i], &fd, &fe[i]), "fence per device");
        uint32_t v = 9;
        zeCommandListAppendMemoryFill(rl[i], i ? (void *)m1 : (void *)m0, &v, 4, 4096, NULL, 0, NULL);
        zeCommandListClose(rl[i]);
    }
    // device 1: two ops complete, then the device is lost
    CHECK_RC(dev_fill(l1, m1, 1, ev[0]), "device 1: op 1");
    CHECK_RC(dev_fill(l1, m1, 2, ev[1]), "device 1: op 2");
    CHECK_RC(zeEventHostSynchronize(ev[1], LONG_WAIT), "device 1: the first two ops complete");
    CHECK_RC(zeDeviceGetStatus(d1), "device 1 is fine before the loss");
    if (page_fault) {
        static uint8_t hostbuf[8192];
        CHECK_RC(zeCommandListAppendMemoryCopy(l1, m1, hostbuf, 8192, ev[2], 0, NULL), "device 1: an out-of-bounds copy is accepted");
    } else {
        CHECK_RC(dev_fill(l1, m1, 3, ev[2]), "device 1: op 3 is accepted");
    }
    EXPECT_RC(zeEventHostSynchronize(ev[2], LONG_WAIT), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: event sync reports DEVICE_LOST");
    EXPECT_RC(zeEventQueryStatus(ev[2]), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: event query reports DEVICE_LOST");
    EXPECT_RC(zeDeviceGetStatus(d1), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: GetStatus reports DEVICE_LOST");
    EXPECT_RC(dev_fill(l1, m1, 4, ev[3]), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: appends fail after the loss");
    EXPECT_RC(zeCommandQueueExecuteCommandLists(q[1], 1, &rl[1], fe[1]), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: queue execute fails");
    EXPECT_RC(zeCommandQueueSynchronize(q[1], LONG_WAIT), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: queue synchronize fails");
    EXPECT_RC(zeFenceHostSynchronize(fe[1], LONG_WAIT), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: fence synchronize fails");
    ze_command_list_handle_t nl = NULL;
    ze_command_queue_handle_t nq = NULL;
    void *np = NULL;
    ze_device_mem_alloc_desc_t dd = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC };
    ze_command_queue_desc_t id = { .stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC, .ordinal = c1, .mode = ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS };
    EXPECT_RC(zeCommandListCreateImmediate(ctx, d1, &id, &nl), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: new lists fail");
    qd.ordinal = c1;
    EXPECT_RC(zeCommandQueueCreate(ctx, d1, &qd, &nq), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: new queues fail");
    EXPECT_RC(zeMemAllocDevice(ctx, &dd, 4096, 64, d1, &np), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: allocations fail");
    // device 0 keeps working: immediate list, regular list + queue + fence, allocations, kernels
    CHECK_RC(zeDeviceGetStatus(d0), "device 0: GetStatus is SUCCESS");
    CHECK_RC(zeContextGetStatus(ctx), "the shared context is fine (only device 1 was lost)");
    CHECK_RC(dev_fill(l0, m0, 5, ev[4]), "device 0: append");
    CHECK_RC(zeCommandListAppendMemoryCopy(l0, s0, m0, 4096, ev[5], 1, &ev[4]), "device 0: copy waiting on the fill");
    CHECK_RC(zeEventHostSynchronize(ev[5], LONG_WAIT), "device 0: event sync");
    check(s0 && s0[0] == 5 && s0[1023] == 5, "device 0: results are right", "%u", s0 ? s0[0] : 0);
    CHECK_RC(zeCommandQueueExecuteCommandLists(q[0], 1, &rl[0], fe[0]), "device 0: queue execute");
    CHECK_RC(zeFenceHostSynchronize(fe[0], LONG_WAIT), "device 0: fence synchronize");
    CHECK_RC(zeCommandQueueSynchronize(q[0], LONG_WAIT), "device 0: queue synchronize");
    CHECK_RC(zeMemAllocDevice(ctx, &dd, 4096, 64, d0, &np), "device 0: allocations work");
    if (np) zeMemFree(ctx, np);
    ze_module_handle_t mod = mk_module(ctx, d0);
    ze_kernel_handle_t busy = mod ? mk_kernel(mod, "busy") : NULL;
    float *kout = shared_alloc(ctx, d0, 64 * sizeof(float));
    if (busy) {
        CHECK_RC(launch_busy(l0, busy, kout, 10, 1, 64, ev[6], 0, NULL), "device 0: kernel launch");
        CHECK_RC(zeEventHostSynchronize(ev[6], LONG_WAIT), "device 0: kernel completes");
        uint64_t ks = 0, ke = 0;
        check(ts_of(ev[6], 0, &ks, &ke), "device 0: kernel timestamps readable", "query failed");
    }
    ze_module_handle_t mod1 = NULL;
    {
        size_t n = 0;
        uint8_t *spv = load_spv(&n);
        ze_module_desc_t md = { .stype = ZE_STRUCTURE_TYPE_MODULE_DESC, .format = ZE_MODULE_FORMAT_IL_SPIRV, .inputSize = n, .pInputModule = spv };
        EXPECT_RC(zeModuleCreate(ctx, d1, &md, &mod1, NULL), ZE_RESULT_ERROR_DEVICE_LOST, "device 1: module build fails");
    }
    if (getenv("ZES_ENABLE_SYSMAN")) {
        zes_device_state_t st0 = { .stype = ZES_STRUCTURE_TYPE_DEVICE_STATE }, st1 = st0;
        CHECK_RC(zesDeviceGetState((zes_device_handle_t)d0, &st0), "sysman state device 0");
        CHECK_RC(zesDeviceGetState((zes_device_handle_t)d1, &st1), "sysman state device 1");
        check(st0.reset == 0 && (st1.reset & ZES_RESET_REASON_FLAG_WEDGED), "sysman: device 1 wedged, device 0 not", "reset 0x%x / 0x%x", st0.reset, st1.reset);
    }
    // everything is released, on the lost device too
    if (busy) zeKernelDestroy(busy);
    if (mod) zeModuleDestroy(mod);
    zeMemFree(ctx, kout);
    for (int i = 0; i < 2; i++) { zeFenceDestroy(fe[i]); zeCommandListDestroy(rl[i]); zeCommandQueueDestroy(q[i]); }
    zeMemFree(ctx, m0); zeMemFree(ctx, m1); zeMemFree(ctx, s0);
    zeCommandListDestroy(l0); zeCommandListDestroy(l1);
    for (int i = 0; i < 12; i++) zeEventDestroy(ev[i]);
    zeEventPoolDestroy(pool);
    zeContextDestroy(ctx);
    check_no_leaks("no live objects at the end");
}

// ---- a host-side driver call that never returns (XPUSIM_FAULTS=hang_call=zeMemAllocHost,hang_call_after=1) ----
// The hang runs in a forked process that is killed afterwards (as a watchdog would), so no thread is
// left inside the driver when this scenario's process exits (valgrind would report its stack).
static volatile int hung_returned;
static void *hang_thread(void *ctx) {
    void *p = host_alloc((ze_context_handle_t)ctx, 4096);  // the 2nd zeMemAllocHost: never returns
    (void)p;
    hung_returned = 1;
    return NULL;
}
static void t_hang_call(void) {
    if (!init_all()) return;
    ze_context_handle_t ctx = mk_ctx();
    void *first = host_alloc(ctx, 4096);
    check(first != NULL, "hang_call_after=1: the first call returns", "NULL");
    int fds[2];
    if (pipe(fds)) { check(0, "pipe", "failed"); return; }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        // 4 bytes: hung after 300 ms, other calls work, allocations of other kinds work, still hung
        char r[4];
        pthread_t t;
        pthread_create(&t, NULL, hang_thread, ctx);
        struct timespec ts = { 0, 300000000 };
        nanosleep(&ts, NULL);
        r[0] = hung_returned ? 'n' : 'y';
        ze_device_properties_t p = { .stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES };
        r[1] = zeDeviceGetProperties(devs[0], &p) == ZE_RESULT_SUCCESS ? 'y' : 'n';
        r[2] = dev_alloc(ctx, devs[0], 4096) != NULL ? 'y' : 'n';
        nanosleep(&ts, NULL);
        r[3] = hung_returned ? 'n' : 'y';
        if (write(fds[1], r, sizeof r) != (ssize_t)sizeof r) _exit(3);
        for (;;) pause();  // killed by the parent
    }
    close(fds[1]);
    char r[4] = { 0 };
    ssize_t n = read(fds[0], r, sizeof r);
    close(fds[0]);
    check(n == 4 && r[0] == 'y', "the next zeMemAllocHost does not return", "got %zd '%.4s'", n, r);
    check(n == 4 && r[1] == 'y', "other calls keep working (the hang holds no lock)", "got %zd '%.4s'", n, r);
    check(n == 4 && r[2] == 'y', "allocations of other kinds keep working", "got %zd '%.4s'", n, r);
    check(n == 4 && r[3] == 'y', "still hung", "got %zd '%.4s'", n, r);
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the hung process is ended by SIGKILL", "status 0x%x", st);
    zeMemFree(ctx, first);
    zeContextDestroy(ctx);
    check_no_leaks("no live objects at the end");
}

// ---- 32-bit kernel timestamps wrap (XPUSIM_TICK_OFFSET=wrap:MS) --------------------------------------------
static void t_wrap(void) {
    if (!init_all()) return;
    ze_device_handle_t dev = devs[0];
    ze_context_handle_t ctx = mk_ctx();
    ze_event_pool_handle_t pool = mk_pool(ctx, 1, ZE_EVENT_POOL_FLAG_HOST_VISIBLE | ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP);
    ze_event_handle_t ev = mk_ev(pool, 0);
    ze_command_list_handle_t l = mk_imm(ctx, dev, 0, 0, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, in_order_flag());
    ze_module_handle_t mod = mk_module(ctx, dev);
    ze_kernel_handle_t busy = mod ? mk_kernel(mod, "busy") : NULL;
    float *out = dev_alloc(ctx, dev, 4096);
    bool wrapped = false, sane = true;
    double t_end = now_s() + 5.0;
    while (busy && !wrapped && now_s() < t_end) {
        zeEventHostReset(ev);
        launch_busy(l, busy, out, 12000000, 1, 64, ev, 0, NULL);  // ~20 ms
        zeEventHostSynchronize(ev, LONG_WAIT);
        ze_kernel_timestamp_result_t r;
        zeEventQueryKernelTimestamp(ev, &r);
        if (r.global.kernelEnd < r.global.kernelStart) wrapped = true;
        uint64_t dur = (r.global.kernelEnd - r.global.kernelStart) & 0xffffffffull;
        if (dur == 0 || dur > 19200000ull) sane = false;
    }
    check(wrapped || slow_tool(), "a kernel's 32-bit timestamps wrapped (end < start)", "no wrap seen");
    check(sane, "(end - start) & mask gives the duration across the wrap", "bad duration");
    uint64_t h, d;
    zeDeviceGetGlobalTimestamps(dev, &h, &d);
    check(d > 0xffffffffull, "global timestamps keep counting past 2^32 (36 bits)", "%llx", (unsigned long long)d);
    if (busy) zeKernelDestroy(busy);
    if (mod) zeModuleDestroy(mod);
    zeMemFree(ctx, out);
    zeCommandListDestroy(l);
    zeEventDestroy(ev);
    zeEventPoolDestroy(pool);
    zeContextDestroy(ctx);
}

// ---- sysman -----------------------------------------------------------------------------------------------
static void t_sysman(void) {
    if (!init_all()) return;
    zes_device_handle_t sd = (zes_device_handle_t)devs[0];
    zes_device_properties_t p = { .stype = ZES_STRUCTURE_TYPE_DEVICE_PROPERTIES };
    ze_result_t r = zesDeviceGetProperties(sd, &p);
    if (!getenv("ZES_ENABLE_SYSMAN")) {
        check(r == ZE_RESULT_ERROR_UNINITIALIZED, "sysman needs ZES_ENABLE_SYSMAN=1", "0x%x", r);
        return;
    }
    check(r == ZE_RESULT_SUCCESS && strstr(p.core.name, "Intel") != NULL, "zesDeviceGetProperties", "0x%x '%s'", r, p.core.name);
    uint32_t n = 0;
    CHECK_RC(zesDeviceEnumEngineGroups(sd, &n, NULL), "engine group count");
    zes_engine_handle_t eng[32];
    if (n > 32) n = 32;
    zesDeviceEnumEngineGroups(sd, &n, eng);
    zes_engine_handle_t ccs = NULL;
    for (uint32_t i = 0; i < n; i++) {
        zes_engine_properties_t ep = { .stype = ZES_STRUCTURE_TYPE_ENGINE_PROPERTIES };
        zesEngineGetProperties(eng[i], &ep);
        if (ep.type == ZES_ENGINE_GROUP_COMPUTE_SINGLE && !ccs) ccs = eng[i];
    }
    check(ccs != NULL, "a COMPUTE_SINGLE engine", "none of %u", n);
    zes_engine_stats_t a0 = { 0 }, a1 = { 0 };
    CHECK_RC(zesEngineGetActivity(ccs, &a0), "engine activity");
    // run ~30 ms of kernels on CCS 0
    ze_context_handle_t ctx = mk_ctx();
    ze_event_pool_handle_t pool = mk_pool(ctx, 1, ZE_EVENT_POOL_FLAG_HOST_VISIBLE);
    ze_event_handle_t ev = mk_ev(pool, 0);
    ze_command_list_handle_t l = mk_imm(ctx, devs[0], 0, 0, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, in_order_flag());
    ze_module_handle_t mod = mk_module(ctx, devs[0]);
    ze_kernel_handle_t busy = mod ? mk_kernel(mod, "busy") : NULL;
    float *out = dev_alloc(ctx, devs[0], 4096);
    zes_pwr_handle_t pw;
    uint32_t np = 1;
    CHECK_RC(zesDeviceEnumPowerDomains(sd, &np, &pw), "power domain");
    zes_power_energy_counter_t e0, e1;
    CHECK_RC(zesPowerGetEnergyCounter(pw, &e0), "energy counter");
    if (busy) {
        launch_busy(l, busy, out, 18000000, 1, 64, ev, 0, NULL);  // 30 ms on A770
        zeEventHostSynchronize(ev, LONG_WAIT);
    }
    CHECK_RC(zesEngineGetActivity(ccs, &a1), "engine activity after work");
    double busy_us = (double)(a1.activeTime - a0.activeTime), wall_us = (double)(a1.timestamp - a0.timestamp);
    check(busy_us > 15000 && busy_us <= wall_us + 1000, "engine activity reflects busy time", "busy %.0f us of %.0f us", busy_us, wall_us);
    zesPowerGetEnergyCounter(pw, &e1);
    double watts = (double)(e1.energy - e0.energy) / (double)(e1.timestamp - e0.timestamp);
    check(watts > 0 && watts < 1000, "average power is plausible", "%.1f W", watts);
    zes_mem_handle_t mem;
    uint32_t nm = 1;
    CHECK_RC(zesDeviceEnumMemoryModules(sd, &nm, &mem), "memory module");
    zes_mem_state_t ms = { .stype = ZES_STRUCTURE_TYPE_MEM_STATE };
    CHECK_RC(zesMemoryGetState(mem, &ms), "memory state");
    check(ms.size > 0 && ms.free < ms.size, "memory state shows the allocation", "free %llu size %llu", (unsigned long long)ms.free, (unsigned long long)ms.size);
    zes_process_state_t ps = { .stype = ZES_STRUCTURE_TYPE_PROCESS_STATE };
    uint32_t npr = 1;
    CHECK_RC(zesDeviceProcessesGetState(sd, &npr, &ps), "processes state");
    check(npr == 1 && ps.processId == (uint32_t)getpid() && ps.memSize >= 4096 && (ps.engines & ZES_ENGINE_TYPE_FLAG_COMPUTE), "this process, its memory and compute use",
          "pid %u mem %llu engines 0x%x", ps.processId, (unsigned long long)ps.memSize, ps.engines);
    zes_device_state_t dst = { .stype = ZES_STRUCTURE_TYPE_DEVICE_STATE };
    CHECK_RC(zesDeviceGetState(sd, &dst), "device state");
    check(dst.reset == 0, "device needs no reset", "0x%x", dst.reset);
    zes_freq_handle_t fq;
    uint32_t nf = 1;
    CHECK_RC(zesDeviceEnumFrequencyDomains(sd, &nf, &fq), "frequency domain");
    zes_freq_state_t fs = { .stype = ZES_STRUCTURE_TYPE_FREQ_STATE };
    CHECK_RC(zesFrequencyGetState(fq, &fs), "frequency state");
    zes_temp_handle_t tp;
    uint32_t nt = 1;
    CHECK_RC(zesDeviceEnumTemperatureSensors(sd, &nt, &tp), "temperature sensor");
    double temp = 0;
    CHECK_RC(zesTemperatureGetState(tp, &temp), "temperature");
    check(temp > 20 && temp < 100, "temperature plausible", "%.1f", temp);
    if (busy) zeKernelDestroy(busy);
    if (mod) zeModuleDestroy(mod);
    zeMemFree(ctx, out);
    zeCommandListDestroy(l);
    zeEventDestroy(ev);
    zeEventPoolDestroy(pool);
    zeContextDestroy(ctx);
}

// ---- the driver's DDI getters directly: version gating and zeInitDrivers -----------------------------
typedef ze_result_t (*getter_t)(ze_api_version_t, void *);
typedef struct { uint32_t stype; const void *pNext; uint32_t flags; } init_driver_desc_t;
typedef ze_result_t (*init_drivers_t)(uint32_t *, ze_driver_handle_t *, init_driver_desc_t *);
static void t_ddi(void) {
    const char *path = getenv("ZE_ENABLE_ALT_DRIVERS");
    void *so = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
    check(so != NULL, "dlopen the driver", "%s", dlerror());
    if (!so) return;
    getter_t g = (getter_t)dlsym(so, "zeGetGlobalProcAddrTable");
    void *t[4] = { (void *)1, (void *)2, (void *)3, (void *)4 };
    check(g && g(ZE_MAKE_VERSION(1, 4), t) == ZE_RESULT_SUCCESS, "Global table at 1.4", "failed");
    check(t[0] && t[0] != (void *)1 && t[1] == (void *)2, "1.4: pfnInit filled, pfnInitDrivers (1.10) left alone", "t[1] %p", t[1]);
    void *u[4] = { 0 };
    check(g(ZE_MAKE_VERSION(1, 10), u) == ZE_RESULT_SUCCESS && u[1] != NULL && u[2] == NULL, "1.10: pfnInitDrivers filled", "u[1] %p", u[1]);
    check(g(ZE_MAKE_VERSION(1, 17), u) == ZE_RESULT_SUCCESS, "newer minor accepted", "rejected");
    check(g(ZE_MAKE_VERSION(2, 0), u) == ZE_RESULT_ERROR_UNSUPPORTED_VERSION, "other major rejected", "accepted");
    static const char *const required[] = { "zeGetDriverProcAddrTable", "zeGetDeviceProcAddrTable", "zeGetContextProcAddrTable", "zeGetCommandQueueProcAddrTable",
        "zeGetCommandListProcAddrTable", "zeGetEventProcAddrTable", "zeGetEventPoolProcAddrTable", "zeGetFenceProcAddrTable", "zeGetImageProcAddrTable",
        "zeGetKernelProcAddrTable", "zeGetMemProcAddrTable", "zeGetModuleProcAddrTable", "zeGetModuleBuildLogProcAddrTable", "zeGetPhysicalMemProcAddrTable",
        "zeGetSamplerProcAddrTable", "zeGetVirtualMemProcAddrTable", "zetGetDeviceProcAddrTable", "zetGetContextProcAddrTable", "zetGetCommandListProcAddrTable",
        "zetGetKernelProcAddrTable", "zetGetModuleProcAddrTable", "zetGetDebugProcAddrTable", "zetGetMetricProcAddrTable", "zetGetMetricGroupProcAddrTable",
        "zetGetMetricQueryProcAddrTable", "zetGetMetricQueryPoolProcAddrTable", "zetGetMetricStreamerProcAddrTable", "zetGetTracerExpProcAddrTable",
        "zesGetDeviceProcAddrTable", "zesGetDriverProcAddrTable", "zesGetDiagnosticsProcAddrTable", "zesGetEngineProcAddrTable", "zesGetFabricPortProcAddrTable",
        "zesGetFanProcAddrTable", "zesGetFirmwareProcAddrTable", "zesGetFrequencyProcAddrTable", "zesGetLedProcAddrTable", "zesGetMemoryProcAddrTable",
        "zesGetPerformanceFactorProcAddrTable", "zesGetPowerProcAddrTable", "zesGetPsuProcAddrTable", "zesGetRasProcAddrTable", "zesGetSchedulerProcAddrTable",
        "zesGetStandbyProcAddrTable", "zesGetTemperatureProcAddrTable", NULL };
    int missing = 0;
    for (int i = 0; required[i]; i++) if (!dlsym(so, required[i])) { printf("# missing %s\n", required[i]); missing++; }
    check(missing == 0 && dlsym(so, "zeGetGlobalProcAddrTable"), "all 46 required getters exported", "%d missing", missing);
    check(dlsym(so, "xs_zeInit") == NULL && dlsym(so, "xs_drv") == NULL, "internal symbols are hidden", "exported");
    // device table at 1.4 must not write pfnGetRootDevice-era slots: fill a sentinel-padded buffer
    void *dt[64];
    for (int i = 0; i < 64; i++) dt[i] = (void *)0x5a;
    getter_t gd = (getter_t)dlsym(so, "zeGetDeviceProcAddrTable");
    gd(ZE_MAKE_VERSION(1, 4), dt);
    int filled = 0;
    while (filled < 64 && dt[filled] != (void *)0x5a) filled++;
    check(filled == 18, "1.4 device table: exactly the 18 slots of the 1.4 layout written", "%d", filled);
    void *cl[64];
    for (int i = 0; i < 64; i++) cl[i] = (void *)0x5a;
    getter_t gcl = (getter_t)dlsym(so, "zeGetCommandListProcAddrTable");
    gcl(ZE_MAKE_VERSION(1, 4), cl);
    check(cl[27] != (void *)0x5a && cl[28] == (void *)0x5a, "1.4 command list table: 28 slots, HostSynchronize (1.6) not written", "cl[28] %p", cl[28]);
    gcl(ZE_MAKE_VERSION(1, 6), cl);
    check(cl[28] != (void *)0x5a && cl[28] != NULL && cl[29] == (void *)0x5a, "1.6 command list table: pfnHostSynchronize at index 28", "cl[28] %p", cl[28]);
    void *dr[16];
    for (int i = 0; i < 16; i++) dr[i] = (void *)0x5a;
    ((getter_t)dlsym(so, "zeGetDriverProcAddrTable"))(ZE_MAKE_VERSION(1, 4), dr);
    check(dr[5] != (void *)0x5a && dr[6] == (void *)0x5a, "1.4 driver table: 6 slots", "dr[6] %p", dr[6]);
    ((getter_t)dlsym(so, "zeGetDriverProcAddrTable"))(ZE_MAKE_VERSION(1, 6), dr);
    check(dr[6] != (void *)0x5a && dr[6] != NULL && dr[7] == (void *)0x5a, "1.6 driver table: pfnGetLastErrorDescription at 6", "dr[6] %p", dr[6]);
    for (int i = 0; i < 64; i++) dt[i] = (void *)0x5a;
    gd(ZE_MAKE_VERSION(1, 7), dt);
    check(dt[18] != (void *)0x5a && dt[18] != NULL && dt[19] == (void *)0x5a, "1.7 device table: pfnGetRootDevice at 18", "dt[18] %p", dt[18]);
    init_drivers_t initd = (init_drivers_t)u[1];
    uint32_t n = 0;
    init_driver_desc_t desc = { 0x00020021, NULL, 2 /* NPU */ };
    check(initd(&n, NULL, &desc) == ZE_RESULT_SUCCESS && n == 0, "zeInitDrivers(NPU) reports no driver", "n %u", n);
    desc.flags = 1;
    n = 0;
    check(initd(&n, NULL, &desc) == ZE_RESULT_SUCCESS && n == 1, "zeInitDrivers(GPU) self-initialises: 1 driver", "n %u", n);
    ze_driver_handle_t dh = NULL;
    check(initd(&n, &dh, &desc) == ZE_RESULT_SUCCESS && dh != NULL, "zeInitDrivers returns the driver handle", "NULL");
    dlclose(so);
}

// ---- validation layer: a clean run reports nothing (stderr checked by the parent) ------------------------
static void t_validation(void) {
    t_exec();
}


// ---- host threads submitting concurrently ------------------------------------------------------------
typedef struct { ze_context_handle_t ctx; ze_device_handle_t dev; uint32_t ord, idx; int id; int ok; } thr_arg;
static void *thr_main(void *p) {
    thr_arg *a = p;
    ze_command_list_handle_t l = mk_imm(a->ctx, a->dev, a->ord, a->idx, ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, in_order_flag());
    ze_event_pool_handle_t pool = mk_pool(a->ctx, 2, ZE_EVENT_POOL_FLAG_HOST_VISIBLE);
    ze_event_handle_t ev = mk_ev(pool, 0);
    const size_t N = 4096;
    uint32_t *d = dev_alloc(a->ctx, a->dev, N * 4), *h = host_alloc(a->ctx, N * 4), *src = host_alloc(a->ctx, N * 4);
    a->ok = l && ev && d && h && src;
    for (int it = 0; it < 40 && a->ok; it++) {
        uint32_t v = (uint32_t)(a->id * 1000 + it);
        for (size_t i = 0; i < N; i++) src[i] = v;
        zeEventHostReset(ev);
        // fill (4-byte pattern) on compute engines; a copy from host memory on copy engines (Max: fill pattern max 1)
        ze_result_t r = a->ord == 0 ? zeCommandListAppendMemoryFill(l, d, &v, 4, N * 4, NULL, 0, NULL)
                                    : zeCommandListAppendMemoryCopy(l, d, src, N * 4, NULL, 0, NULL);
        if (r ||
            zeCommandListAppendMemoryCopy(l, h, d, N * 4, ev, 0, NULL) || zeEventHostSynchronize(ev, LONG_WAIT)) { a->ok = 0; break; }
        for (size_t i = 0; i < N; i++) if (h[i] != v) { a->ok = 0; break; }
    }
    zeMemFree(a->ctx, d);
    zeMemFree(a->ctx, h);
    zeMemFree(a->ctx, src);
    zeEventDestroy(ev);
    zeEventPoolDestroy(pool);
    zeCommandListDestroy(l);
    return NULL;
}
static void t_threads(void) {
    if (!init_all()) return;
    ze_context_handle_t ctx = mk_ctx();
    uint32_t cord, bord, nq = 1;
    find_groups(devs[0], &cord, &bord, &nq);
    pthread_t th[8];
    thr_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (thr_arg){ ctx, devs[i % ndev], i % 3 == 2 ? bord : cord, i % 3 == 2 ? 0 : (uint32_t)i % nq, i, 0 };
        pthread_create(&th[i], NULL, thr_main, &args[i]);
    }
    int good = 0;
    for (int i = 0; i < 8; i++) { pthread_join(th[i], NULL); good += args[i].ok; }
    check(good == 8, "8 host threads x 40 fill+copy rounds on shared engines", "%d of 8 threads saw correct data", good);
    zeContextDestroy(ctx);
    check_no_leaks("no live objects at the end");
}

// ---- a bad XPUSIM_CONFIG: the driver refuses to initialise and says why ------------------------------------
static void t_badconfig(void) {
    ze_result_t r = zeInit(0);
    check(r == ZE_RESULT_ERROR_UNINITIALIZED, "zeInit fails with a broken XPUSIM_CONFIG", "0x%x", r);
}

static void t_badfaults(void) {
    ze_result_t r = zeInit(0);
    check(r == ZE_RESULT_ERROR_UNINITIALIZED, "zeInit fails with a malformed XPUSIM_FAULTS", "0x%x", r);
}

// ---- scenario table ---------------------------------------------------------------------------------
typedef struct { const char *name; const char *env; void (*fn)(void); } scen_t;
static const scen_t scenarios[] = {
    { "basic", "", t_basic },
    { "queries-arc", "XPUSIM_PROFILE=arc-a770", t_queries },
    { "queries-max", "XPUSIM_PROFILE=max-1550", t_queries },
    { "queries-mtl", "XPUSIM_PROFILE=mtl-igpu", t_queries },
    { "queries-multi", "XPUSIM_PROFILE=arc-a770,max-1550", t_queries },
    { "memory-arc", "XPUSIM_PROFILE=arc-a770", t_memory },
    { "memory-max", "XPUSIM_PROFILE=max-1550", t_memory },
    { "memory-mtl", "XPUSIM_PROFILE=mtl-igpu", t_memory },
    { "memory-tiny", "XPUSIM_PROFILE=tiny XPUSIM_CONFIG=@tiny", t_memory },
    { "exec-arc", "XPUSIM_PROFILE=arc-a770", t_exec },
    { "exec-max", "XPUSIM_PROFILE=max-1550", t_exec },
    { "exec-mtl", "XPUSIM_PROFILE=mtl-igpu", t_exec },
    { "exec-multi", "XPUSIM_PROFILE=arc-a770,max-1550", t_exec },
    { "concurrency-arc", "XPUSIM_PROFILE=arc-a770", t_concurrency },
    { "concurrency-max", "XPUSIM_PROFILE=max-1550", t_concurrency },
    { "bandwidth-max", "XPUSIM_PROFILE=max-1550 XPUSIM_FAULTS=slow=10000", t_concurrency },
    { "modules", "", t_modules },
    { "hierarchy-flat", "XPUSIM_PROFILE=max-1550 ZE_FLAT_DEVICE_HIERARCHY=FLAT", t_hierarchy },
    { "hierarchy-composite", "XPUSIM_PROFILE=max-1550 ZE_FLAT_DEVICE_HIERARCHY=COMPOSITE", t_hierarchy },
    { "hierarchy-combined", "XPUSIM_PROFILE=max-1550 ZE_FLAT_DEVICE_HIERARCHY=COMBINED", t_hierarchy },
    { "affinity", "XPUSIM_PROFILE=max-1550 ZE_AFFINITY_MASK=1", t_hierarchy },
    { "exec-composite", "XPUSIM_PROFILE=max-1550 ZE_FLAT_DEVICE_HIERARCHY=COMPOSITE", t_exec },
    { "fault-lost", "XPUSIM_FAULTS=device_lost_after_ops=2", t_faults },
    { "fault-oom", "XPUSIM_FAULTS=oom_after_bytes=1000000", t_faults },
    { "fault-pagefault", "XPUSIM_FAULTS=slow=1 XPUSIM_TEST_FAULT=page_fault", t_faults },
    { "fault-hang", "XPUSIM_FAULTS=hang_kernel=busy,hang_ms=300", t_faults },
    { "fault-slow", "XPUSIM_FAULTS=slow=4", t_faults },
    { "fault-lost-dev1", "XPUSIM_PROFILE=arc-a770,arc-a770 ZES_ENABLE_SYSMAN=1 XPUSIM_FAULTS=device_lost_after_ops@1=2", t_fault_device },
    { "fault-lost-dev1-flat", "XPUSIM_PROFILE=max-1550 ZE_FLAT_DEVICE_HIERARCHY=FLAT XPUSIM_FAULTS=device_lost_after_ops@1=2", t_fault_device },
    { "fault-hang-call", "XPUSIM_FAULTS=hang_call=zeMemAllocHost,hang_call_after=1", t_hang_call },
    { "fault-pagefault-dev1", "XPUSIM_PROFILE=arc-a770,mtl-igpu XPUSIM_TEST_FAULT=page_fault", t_fault_device },
    { "wrap", "XPUSIM_TICK_OFFSET=wrap:1000", t_wrap },
    { "sysman-off", "", t_sysman },
    { "sysman-arc", "ZES_ENABLE_SYSMAN=1 XPUSIM_PROFILE=arc-a770", t_sysman },
    { "sysman-max", "ZES_ENABLE_SYSMAN=1 XPUSIM_PROFILE=max-1550", t_sysman },
    { "sysman-mtl", "ZES_ENABLE_SYSMAN=1 XPUSIM_PROFILE=mtl-igpu", t_sysman },
    { "ddi", "", t_ddi },
    { "threads-arc", "XPUSIM_PROFILE=arc-a770", t_threads },
    { "threads-max", "XPUSIM_PROFILE=max-1550", t_threads },
    { "badconfig", "XPUSIM_CONFIG=/nonexistent/xpusim.json", t_badconfig },
    // every malformed XPUSIM_FAULTS entry fails zeInit, and the message names the entry
    { "badfaults", "XPUSIM_FAULTS=device_lost_after_ops@x=1", t_badfaults },
    { "badfaults-letters", "XPUSIM_FAULTS=device_lost_after_ops=abc", t_badfaults },
    { "badfaults-empty", "XPUSIM_FAULTS=device_lost_after_ops=", t_badfaults },
    { "badfaults-nokey", "XPUSIM_FAULTS==", t_badfaults },
    { "badfaults-negative", "XPUSIM_FAULTS=oom_after_bytes=-1", t_badfaults },
    { "badfaults-suffix", "XPUSIM_FAULTS=device_lost_after_ops=5x", t_badfaults },
    { "badfaults-hex", "XPUSIM_FAULTS=hang_call=zeMemAllocHost,hang_call_after=0x10", t_badfaults },
    { "badfaults-range", "XPUSIM_FAULTS=oom_after_bytes=18446744073709551616", t_badfaults },
    { "badfaults-dev-value", "XPUSIM_FAULTS=device_lost_after_ops@1=2x", t_badfaults },
    { "badfaults-hang-ms", "XPUSIM_FAULTS=hang_kernel=busy,hang_ms=18446744073710", t_badfaults },
    { "badfaults-slow", "XPUSIM_FAULTS=slow=inf", t_badfaults },
    { "badfaults-slow-suffix", "XPUSIM_FAULTS=slow=2x", t_badfaults },
    { "badfaults-name", "XPUSIM_FAULTS=hang_kernel=", t_badfaults },
    { "badfaults-unknown", "XPUSIM_FAULTS=slow=4,lost_after=3", t_badfaults },
    { "intercept-exec", "ZE_ENABLE_LOADER_INTERCEPT=1 XPUSIM_PROFILE=arc-a770,max-1550", t_exec },
    { "intercept-modules", "ZE_ENABLE_LOADER_INTERCEPT=1", t_modules },
    { "validation", "ZE_ENABLE_VALIDATION_LAYER=1 ZE_ENABLE_PARAMETER_VALIDATION=1 XPUSIM_PROFILE=arc-a770,max-1550", t_validation },
};
#define NSCEN (sizeof scenarios / sizeof scenarios[0])

// For each badfaults scenario: what the driver's message on stderr must name.
static const struct { const char *name, *bad; } bad_faults[] = {
    { "badfaults", "'device_lost_after_ops@x=1': D must be" },
    { "badfaults-letters", "'device_lost_after_ops=abc': N must be" },
    { "badfaults-empty", "'device_lost_after_ops=': N must be" },
    { "badfaults-nokey", "'=': unknown key" },
    { "badfaults-negative", "'oom_after_bytes=-1': N must be" },
    { "badfaults-suffix", "'device_lost_after_ops=5x': N must be" },
    { "badfaults-hex", "'hang_call_after=0x10': N must be" },
    { "badfaults-range", "'oom_after_bytes=18446744073709551616': N must be a decimal integer from 0 to 18446744073709551615" },
    { "badfaults-dev-value", "'device_lost_after_ops@1=2x': N must be" },
    { "badfaults-hang-ms", "'hang_ms=18446744073710': N must be" },
    { "badfaults-slow", "'slow=inf': F must be" },
    { "badfaults-slow-suffix", "'slow=2x': F must be" },
    { "badfaults-name", "'hang_kernel=': NAME must be" },
    { "badfaults-unknown", "'lost_after=3': unknown key 'lost_after'" },
};
static const char *bad_faults_expect(const char *name) {
    for (size_t i = 0; i < sizeof bad_faults / sizeof bad_faults[0]; i++) if (!strcmp(bad_faults[i].name, name)) return bad_faults[i].bad;
    return NULL;
}

// XPUSIM_TEST_ONLY: comma-separated patterns; a scenario runs when a pattern is part of its name.
static bool selected(const char *only, const char *name) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", only);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (strstr(name, tok)) return true;
    return false;
}

static char tiny_path[256];
static const char *tiny_json =
    "{ \"profiles\": [ { \"key\": \"tiny\", \"extends\": \"arc-a770\", \"name\": \"Tiny Test GPU\",\n"
    "  \"memoryBytes\": 67108864, \"maxMemAllocSize\": 33554432 } ] }\n";

static int run_child(const scen_t *s, const char *self) {
    int fds[2];
    if (pipe(fds)) return -1;
    char errpath[300];
    snprintf(errpath, sizeof errpath, "%s.%s.stderr", tiny_path, s->name);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        if (!getenv("XPUSIM_DEBUG")) { FILE *ef = fopen(errpath, "w"); if (ef) dup2(fileno(ef), 2); }
        close(fds[0]); close(fds[1]);
        // env: "K=V K2=V2"
        char *env = strdup(s->env), *save = NULL;
        for (char *tok = strtok_r(env, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(tok, '=');
            if (eq) { *eq = 0; setenv(tok, !strcmp(eq + 1, "@tiny") ? tiny_path : eq + 1, 1); }
        }
        free(env);
        execl(self, self, "--scenario", s->name, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[2048];
    int pass = 0, fail = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "ok - ", 5)) { pass++; fputs(line, stdout); }
        else if (!strncmp(line, "not ok - ", 9)) { fail++; fputs(line, stdout); }
        else if (!strncmp(line, "#", 1)) fputs(line, stdout);
    }
    fclose(f);
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && fail == 0)) {
        printf("not ok - %s: child process exited abnormally (status 0x%x)\n", s->name, st);
        fail++;
    }
    if (!getenv("XPUSIM_DEBUG")) {
        // the driver and (in the validation scenario) the validation layer must report nothing
        FILE *ef = fopen(errpath, "r");
        char buf[1024] = "";
        size_t n = ef ? fread(buf, 1, sizeof buf - 1, ef) : 0;
        if (ef) fclose(ef);
        unlink(errpath);
        buf[n] = 0;
        if (n && !strcmp(s->name, "badconfig")) { check(strstr(buf, "XPUSIM_CONFIG") != NULL, "badconfig: the driver says why on stderr", "'%.200s'", buf); }
        else if (bad_faults_expect(s->name)) {
            const char *bad = bad_faults_expect(s->name);
            char what[300];
            snprintf(what, sizeof what, "%s: the driver names the bad entry on stderr (%s)", s->name, bad);
            check(strstr(buf, "xpusim: bad XPUSIM_FAULTS entry ") && strstr(buf, bad), what, "'%.300s'", buf);
        }
        else if (n) { printf("not ok - %s: nothing on stderr: got '%.300s'\n", s->name, buf); fail++; }
        else { printf("ok - %s: nothing on stderr\n", s->name); pass++; }
    }
    n_pass += pass;
    n_fail += fail;
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && !strcmp(argv[1], "--scenario")) {
        for (size_t i = 0; i < NSCEN; i++) if (!strcmp(scenarios[i].name, argv[2])) {
            scenario = scenarios[i].name;
            scenarios[i].fn();
            return n_fail ? 1 : 0;
        }
        printf("not ok - unknown scenario %s\n", argv[2]);
        return 1;
    }
    const char *only = getenv("XPUSIM_TEST_ONLY");
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) { printf("native: 0 passed, 1 failed\n"); return 1; }
    self[n] = 0;
    double t0 = now_s();
    snprintf(tiny_path, sizeof tiny_path, "/tmp/xpusim_test_tiny_%d.json", (int)getpid());
    FILE *tf = fopen(tiny_path, "w");
    if (tf) { fputs(tiny_json, tf); fclose(tf); }
    for (size_t i = 0; i < NSCEN; i++) {
        if (only && *only && !selected(only, scenarios[i].name)) continue;
        run_child(&scenarios[i], self);
    }
    unlink(tiny_path);
    printf("# %.1f s\n", now_s() - t0);
    printf("native: %d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
