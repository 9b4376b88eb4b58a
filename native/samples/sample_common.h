// sample_common.h: the boilerplate shared by the Level Zero samples in this folder.
//
// Plain Level Zero (ze_api.h + libc): nothing here is specific to one driver. It parses the
// common options (--spv PATH, --device N), initialises Level Zero, picks driver 0 and a device,
// finds the queue groups by their flags, creates a context and loads the kernels' SPIR-V module.
#ifndef SAMPLE_COMMON_H
#define SAMPLE_COMMON_H

#include <level_zero/ze_api.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef SAMPLE_SPV
#define SAMPLE_SPV "xpuscope.spv"  // the Makefile passes the absolute path of native/kernels/xpuscope.spv
#endif

#define SAMPLE_TIMEOUT_NS 120000000000ull  // 2 minutes: a sample never waits forever on a broken driver
#define SAMPLE_MAX_GROUPS 16

static const char *sample_name = "sample";  // the program's name, for messages
static const char *sample_spv_path = NULL;  // --spv PATH
static uint32_t sample_device_index = 0;    // --device N

static inline const char *sample_result_str(ze_result_t r) {
    switch (r) {
    case ZE_RESULT_SUCCESS: return "ZE_RESULT_SUCCESS";
    case ZE_RESULT_NOT_READY: return "ZE_RESULT_NOT_READY (timed out)";
    case ZE_RESULT_ERROR_DEVICE_LOST: return "ZE_RESULT_ERROR_DEVICE_LOST";
    case ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY: return "ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY";
    case ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY: return "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY";
    case ZE_RESULT_ERROR_MODULE_BUILD_FAILURE: return "ZE_RESULT_ERROR_MODULE_BUILD_FAILURE";
    case ZE_RESULT_ERROR_UNINITIALIZED: return "ZE_RESULT_ERROR_UNINITIALIZED";
    case ZE_RESULT_ERROR_UNSUPPORTED_FEATURE: return "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE";
    case ZE_RESULT_ERROR_INVALID_ARGUMENT: return "ZE_RESULT_ERROR_INVALID_ARGUMENT";
    case ZE_RESULT_ERROR_INVALID_NULL_HANDLE: return "ZE_RESULT_ERROR_INVALID_NULL_HANDLE";
    case ZE_RESULT_ERROR_INVALID_NULL_POINTER: return "ZE_RESULT_ERROR_INVALID_NULL_POINTER";
    case ZE_RESULT_ERROR_INVALID_SIZE: return "ZE_RESULT_ERROR_INVALID_SIZE";
    case ZE_RESULT_ERROR_INVALID_ENUMERATION: return "ZE_RESULT_ERROR_INVALID_ENUMERATION";
    case ZE_RESULT_ERROR_INVALID_KERNEL_NAME: return "ZE_RESULT_ERROR_INVALID_KERNEL_NAME";
    case ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE: return "ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE";
    case ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION: return "ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION";
    default: return "error";
    }
}

// CHECK(zeSomething(...)): on failure print the call and its result, then exit 1.
#define CHECK(call)                                                                                   \
    do {                                                                                              \
        ze_result_t check_r_ = (call);                                                                \
        if (check_r_ != ZE_RESULT_SUCCESS) {                                                          \
            fprintf(stderr, "%s: %s failed: %s (0x%x) at %s:%d\n", sample_name, #call,                \
                    sample_result_str(check_r_), (unsigned)check_r_, __FILE__, __LINE__);             \
            exit(1);                                                                                  \
        }                                                                                             \
    } while (0)

static inline void sample_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void sample_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", sample_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

// ---- command line -----------------------------------------------------------------------------------

static inline void sample_usage(const char *extra) __attribute__((noreturn));
static inline void sample_usage(const char *extra) {
    fprintf(stderr, "usage: %s [--spv PATH] [--device N]%s%s\n", sample_name, extra[0] ? " " : "", extra);
    exit(2);
}

static inline uint64_t sample_parse_u64(const char *opt, const char *s) {
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end || s[0] == '-') sample_fail("%s wants a non-negative number, got '%s'", opt, s);
    return (uint64_t)v;
}

// If argv[*i] is `name`, consumes it and its value (a string) and returns 1.
static inline int sample_opt_str(int argc, char **argv, int *i, const char *name, const char **out) {
    if (strcmp(argv[*i], name)) return 0;
    if (*i + 1 >= argc) sample_fail("%s needs a value", name);
    *out = argv[++*i];
    return 1;
}

static inline int sample_opt_u64(int argc, char **argv, int *i, const char *name, uint64_t *out) {
    const char *s = NULL;
    if (!sample_opt_str(argc, argv, i, name, &s)) return 0;
    *out = sample_parse_u64(name, s);
    return 1;
}

static inline int sample_opt_u32(int argc, char **argv, int *i, const char *name, uint32_t *out) {
    uint64_t v = 0;
    if (!sample_opt_u64(argc, argv, i, name, &v)) return 0;
    if (v > UINT32_MAX) sample_fail("%s: %llu is too large", name, (unsigned long long)v);
    *out = (uint32_t)v;
    return 1;
}

// The options every sample takes: --spv PATH, --device N.
static inline int sample_common_opt(int argc, char **argv, int *i) {
    return sample_opt_str(argc, argv, i, "--spv", &sample_spv_path) ||
           sample_opt_u32(argc, argv, i, "--device", &sample_device_index);
}

// ---- setup ------------------------------------------------------------------------------------------

typedef struct {
    ze_driver_handle_t driver;
    ze_device_handle_t device;
    ze_device_properties_t props;
    ze_context_handle_t context;
    ze_module_handle_t module;
    uint32_t ngroups;
    ze_command_queue_group_properties_t groups[SAMPLE_MAX_GROUPS];
    uint32_t compute_ordinal;  // first group with the COMPUTE flag
    uint32_t copy_ordinal;     // first group with COPY but not COMPUTE, UINT32_MAX if there is none
} sample_t;

static inline int sample_is_copy_only(const ze_command_queue_group_properties_t *g) {
    return (g->flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY) && !(g->flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE);
}

static inline uint8_t *sample_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) sample_fail("cannot open the SPIR-V module '%s' (use --spv PATH or XPUSCOPE_SAMPLE_SPV)", path);
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) sample_fail("out of memory reading '%s'", path);
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (!got) break;
        n += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad || n == 0) sample_fail("cannot read the SPIR-V module '%s'", path);
    *size = n;
    return buf;
}

static inline void sample_load_module(sample_t *s) {
    const char *path = sample_spv_path ? sample_spv_path : getenv("XPUSCOPE_SAMPLE_SPV");
    if (!path || !*path) path = SAMPLE_SPV;
    size_t size = 0;
    uint8_t *spv = sample_read_file(path, &size);
    ze_module_desc_t desc = {
        .stype = ZE_STRUCTURE_TYPE_MODULE_DESC,
        .format = ZE_MODULE_FORMAT_IL_SPIRV,
        .inputSize = size,
        .pInputModule = spv,
    };
    ze_module_build_log_handle_t log = NULL;
    ze_result_t r = zeModuleCreate(s->context, s->device, &desc, &s->module, &log);
    free(spv);
    if (r != ZE_RESULT_SUCCESS) {
        fprintf(stderr, "%s: zeModuleCreate(%s) failed: %s (0x%x)\n", sample_name, path, sample_result_str(r), (unsigned)r);
        size_t len = 0;
        if (log && zeModuleBuildLogGetString(log, &len, NULL) == ZE_RESULT_SUCCESS && len > 1) {
            char *text = malloc(len);
            if (text && zeModuleBuildLogGetString(log, &len, text) == ZE_RESULT_SUCCESS) fprintf(stderr, "build log:\n%s\n", text);
            free(text);
        }
        if (log) zeModuleBuildLogDestroy(log);
        exit(1);
    }
    if (log) CHECK(zeModuleBuildLogDestroy(log));
}

// zeInit, driver 0, device --device N (default 0), its queue groups, a context and the module.
static inline void sample_init(sample_t *s) {
    memset(s, 0, sizeof *s);
    ze_result_t r = zeInit(0);
    if (r != ZE_RESULT_SUCCESS)
        sample_fail("zeInit(0) failed: %s (0x%x): no Level Zero GPU driver could be loaded (is a GPU driver installed, "
                    "or ZE_ENABLE_ALT_DRIVERS set to a driver library?)", sample_result_str(r), (unsigned)r);
    uint32_t n = 0;
    CHECK(zeDriverGet(&n, NULL));
    if (n == 0) sample_fail("no Level Zero driver found");
    n = 1;
    CHECK(zeDriverGet(&n, &s->driver));

    uint32_t ndev = 0;
    CHECK(zeDeviceGet(s->driver, &ndev, NULL));
    if (sample_device_index >= ndev) sample_fail("device %u requested, the driver has %u device(s)", sample_device_index, ndev);
    ze_device_handle_t *devs = calloc(ndev, sizeof *devs);
    if (!devs) sample_fail("out of memory");
    CHECK(zeDeviceGet(s->driver, &ndev, devs));
    s->device = devs[sample_device_index];
    free(devs);
    s->props.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
    CHECK(zeDeviceGetProperties(s->device, &s->props));

    s->ngroups = 0;
    CHECK(zeDeviceGetCommandQueueGroupProperties(s->device, &s->ngroups, NULL));
    if (s->ngroups > SAMPLE_MAX_GROUPS) s->ngroups = SAMPLE_MAX_GROUPS;
    for (uint32_t i = 0; i < s->ngroups; i++) s->groups[i].stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES;
    CHECK(zeDeviceGetCommandQueueGroupProperties(s->device, &s->ngroups, s->groups));
    s->compute_ordinal = s->copy_ordinal = UINT32_MAX;
    for (uint32_t i = 0; i < s->ngroups; i++) {
        if (s->compute_ordinal == UINT32_MAX && (s->groups[i].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE)) s->compute_ordinal = i;
        if (s->copy_ordinal == UINT32_MAX && sample_is_copy_only(&s->groups[i])) s->copy_ordinal = i;
    }
    if (s->compute_ordinal == UINT32_MAX) sample_fail("device '%s' has no compute queue group", s->props.name);

    ze_context_desc_t cdesc = { .stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC };
    CHECK(zeContextCreate(s->driver, &cdesc, &s->context));
    sample_load_module(s);
}

static inline void sample_finish(sample_t *s) {
    CHECK(zeModuleDestroy(s->module));
    CHECK(zeContextDestroy(s->context));
}

// ---- small helpers ------------------------------------------------------------------------------------

static inline ze_command_list_handle_t sample_immediate_list(sample_t *s, uint32_t ordinal, uint32_t index) {
    ze_command_queue_desc_t desc = {
        .stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
        .ordinal = ordinal,
        .index = index,
        .mode = ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
        .priority = ZE_COMMAND_QUEUE_PRIORITY_NORMAL,
    };
    ze_command_list_handle_t list = NULL;
    CHECK(zeCommandListCreateImmediate(s->context, s->device, &desc, &list));
    return list;
}

static inline ze_kernel_handle_t sample_kernel(sample_t *s, const char *name) {
    ze_kernel_desc_t desc = { .stype = ZE_STRUCTURE_TYPE_KERNEL_DESC, .pKernelName = name };
    ze_kernel_handle_t k = NULL;
    CHECK(zeKernelCreate(s->module, &desc, &k));
    return k;
}

static inline void *sample_alloc_device(sample_t *s, size_t bytes) {
    ze_device_mem_alloc_desc_t desc = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC };
    void *p = NULL;
    CHECK(zeMemAllocDevice(s->context, &desc, bytes, 64, s->device, &p));
    return p;
}

static inline void *sample_alloc_host(sample_t *s, size_t bytes) {
    ze_host_mem_alloc_desc_t desc = { .stype = ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC };
    void *p = NULL;
    CHECK(zeMemAllocHost(s->context, &desc, bytes, 64, &p));
    return p;
}

static inline void *sample_alloc_shared(sample_t *s, size_t bytes) {
    ze_device_mem_alloc_desc_t ddesc = { .stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC };
    ze_host_mem_alloc_desc_t hdesc = { .stype = ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC };
    void *p = NULL;
    CHECK(zeMemAllocShared(s->context, &ddesc, &hdesc, bytes, 64, s->device, &p));
    return p;
}

static inline ze_event_pool_handle_t sample_event_pool(sample_t *s, uint32_t count, ze_event_pool_flags_t flags) {
    ze_event_pool_desc_t desc = { .stype = ZE_STRUCTURE_TYPE_EVENT_POOL_DESC, .flags = flags, .count = count };
    ze_event_pool_handle_t pool = NULL;
    CHECK(zeEventPoolCreate(s->context, &desc, 1, &s->device, &pool));
    return pool;
}

// An event whose signal makes prior writes visible to the host and to every engine.
static inline ze_event_handle_t sample_event(ze_event_pool_handle_t pool, uint32_t index) {
    ze_event_desc_t desc = {
        .stype = ZE_STRUCTURE_TYPE_EVENT_DESC,
        .index = index,
        .signal = ZE_EVENT_SCOPE_FLAG_HOST,
        .wait = ZE_EVENT_SCOPE_FLAG_HOST,
    };
    ze_event_handle_t ev = NULL;
    CHECK(zeEventCreate(pool, &desc, &ev));
    return ev;
}

// busy(out, iterations) with `groups` work-groups of `group_size` work-items.
static inline void sample_append_busy(ze_command_list_handle_t list, ze_kernel_handle_t busy, float *out, uint32_t iterations,
                                      uint32_t groups, uint32_t group_size, ze_event_handle_t signal, uint32_t nwait,
                                      ze_event_handle_t *wait) {
    CHECK(zeKernelSetGroupSize(busy, group_size, 1, 1));
    CHECK(zeKernelSetArgumentValue(busy, 0, sizeof out, &out));
    CHECK(zeKernelSetArgumentValue(busy, 1, sizeof iterations, &iterations));
    ze_group_count_t count = { groups, 1, 1 };
    CHECK(zeCommandListAppendLaunchKernel(list, busy, &count, signal, nwait, wait));
}

// What busy computes before adding the work-item id (the same dependent fma chain, on the host).
static inline float sample_busy_value(uint32_t iterations) {
    float x = 1.0f;
    for (uint32_t i = 0; i < iterations; i++) x = fmaf(x, 0.999f, 0.5f);
    return x;
}

// Checks busy's output out[0..n): out[i] == chain + i. Returns the first bad index or -1.
static inline long sample_check_busy(const float *out, size_t n, uint32_t iterations) {
    float x = sample_busy_value(iterations);
    for (size_t i = 0; i < n; i++) {
        float want = x + (float)i;
        if (fabsf(out[i] - want) > 1e-5f * fabsf(want)) return (long)i;
    }
    return -1;
}

static inline double sample_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
