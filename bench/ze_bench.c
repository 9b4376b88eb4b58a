// bench/ze_bench.c — the C baselines of the `submit` and `sync` benchmarks (bench/submit.mjs,
// bench/sync.mjs). It makes the same sequence of Level Zero calls as the xpuscope runtime's Stream
// (runtime/streams.ts, runtime/device-runtime.ts) with a recorder attached, directly against the
// same loader (-lze_loader) and the same driver (ZE_ENABLE_ALT_DRIVERS / XPUSIM_PROFILE from the
// environment), so the ratio JS/C is the cost of the JS runtime + koffi layer alone.
//
//   ze_bench submit N   per op: retire completed ops from the front (zeEventQueryStatus,
//                       zeEventQueryKernelTimestamp), take a KERNEL_TIMESTAMP event from a pool of 64
//                       (grow by 64 when none is free; zeEventHostReset on taking it, as EventPools does),
//                       zeDeviceGetGlobalTimestamps, zeCommandListAppendMemoryFill(64 B, signal event).
//                       Two untimed passes of N ops first (pools grown, engine drained), then the
//                       timed pass, as bench/submit.mjs's JS side does.
//                       Prints {"ops":N,"submitNs":<timed loop>,"totalNs":<loop + final wait>,
//                       "warmTotalNs":<untimed passes>}.
//   ze_bench sync K ITER  K times: launch busy(out, ITER) (1 group of 1) signalling a timestamp event,
//                       zeEventHostSynchronize(UINT64_MAX), read CLOCK_MONOTONIC_RAW, convert the
//                       kernel's end timestamp to host ns as the runtime does; prints the K latencies
//                       (wake-up − kernel end, ns) as {"latNs":[...]}.
//
// Built by bench/lib.mjs: cc -O2 -o bench/results/ze_bench bench/ze_bench.c -lze_loader
#include <level_zero/ze_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                                   \
    do {                                                                              \
        ze_result_t r_ = (call);                                                      \
        if (r_ != ZE_RESULT_SUCCESS) {                                                \
            fprintf(stderr, "ze_bench: %s failed: 0x%x (line %d)\n", #call, r_, __LINE__); \
            exit(3);                                                                  \
        }                                                                             \
    } while (0)

static uint64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static ze_context_handle_t ctx;
static ze_device_handle_t dev;
static ze_command_list_handle_t list;
static double timer_freq;
static uint64_t kmask;

// ---- event pool, as runtime/device-runtime.ts EventPools (64 per pool, HOST_VISIBLE|KERNEL_TIMESTAMP)
static ze_event_handle_t *free_ev;
static size_t free_n, free_cap;
static void grow(void) {
    ze_event_pool_desc_t pd = {ZE_STRUCTURE_TYPE_EVENT_POOL_DESC, NULL,
                               ZE_EVENT_POOL_FLAG_HOST_VISIBLE | ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP, 64};
    ze_event_pool_handle_t pool;
    CHECK(zeEventPoolCreate(ctx, &pd, 0, NULL, &pool));
    if (free_n + 64 > free_cap) {
        free_cap = (free_n + 64) * 2;
        free_ev = realloc(free_ev, free_cap * sizeof *free_ev);
    }
    for (int i = 63; i >= 0; i--) {
        ze_event_desc_t ed = {ZE_STRUCTURE_TYPE_EVENT_DESC, NULL, (uint32_t)i, ZE_EVENT_SCOPE_FLAG_HOST,
                              ZE_EVENT_SCOPE_FLAG_HOST};
        CHECK(zeEventCreate(pool, &ed, &free_ev[free_n++]));
    }
}
// As EventPools: an event is reset when it is taken for reuse, not when it comes back.
static ze_event_handle_t acquire(void) {
    if (free_n == 0) grow();
    ze_event_handle_t e = free_ev[--free_n];
    CHECK(zeEventHostReset(e));
    return e;
}
static void recycle(ze_event_handle_t e) {
    if (free_n + 1 > free_cap) {
        free_cap = free_cap * 2 + 64;
        free_ev = realloc(free_ev, free_cap * sizeof *free_ev);
    }
    free_ev[free_n++] = e;
}

typedef struct {
    ze_event_handle_t ev;
    uint64_t host, ticks;
} pending_t;

static void setup(void) {
    CHECK(zeInit(0));
    uint32_t n = 1;
    ze_driver_handle_t drv;
    CHECK(zeDriverGet(&n, &drv));
    n = 1;
    CHECK(zeDeviceGet(drv, &n, &dev));
    ze_context_desc_t cd = {ZE_STRUCTURE_TYPE_CONTEXT_DESC, NULL, 0};
    CHECK(zeContextCreate(drv, &cd, &ctx));
    ze_device_properties_t p = {ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES_1_2, NULL};
    CHECK(zeDeviceGetProperties(dev, &p));
    timer_freq = (double)p.timerResolution;  // ticks per second with DEVICE_PROPERTIES_1_2
    kmask = p.kernelTimestampValidBits >= 64 ? ~0ull : ((1ull << p.kernelTimestampValidBits) - 1);
    // compute group: first COMPUTE group that is not the render engine (COMPUTE|METRICS), as the runtime
    uint32_t ng = 0;
    CHECK(zeDeviceGetCommandQueueGroupProperties(dev, &ng, NULL));
    ze_command_queue_group_properties_t *g = calloc(ng, sizeof *g);
    for (uint32_t i = 0; i < ng; i++) g[i].stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES;
    CHECK(zeDeviceGetCommandQueueGroupProperties(dev, &ng, g));
    uint32_t ord = UINT32_MAX;
    for (uint32_t i = 0; i < ng && ord == UINT32_MAX; i++)
        if ((g[i].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE) &&
            !(g[i].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_METRICS))
            ord = i;
    for (uint32_t i = 0; i < ng && ord == UINT32_MAX; i++)
        if (g[i].flags & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE) ord = i;
    free(g);
    ze_command_queue_desc_t qd = {ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC, NULL, ord, 0, 2 /* IN_ORDER, as the runtime */,
                                  ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS, ZE_COMMAND_QUEUE_PRIORITY_NORMAL};
    if (zeCommandListCreateImmediate(ctx, dev, &qd, &list) != ZE_RESULT_SUCCESS) {
        qd.flags = 0;
        CHECK(zeCommandListCreateImmediate(ctx, dev, &qd, &list));
    }
}

// start/end in host ns, as runtime/streams.ts ticksToHost (unitrace's method)
static void to_host(uint64_t host, uint64_t ticks, const ze_kernel_timestamp_result_t *ts, double *s, double *e) {
    uint64_t st = ts->global.kernelStart, en = ts->global.kernelEnd;
    *s = (double)host + (double)((st - ticks) & kmask) * 1e9 / timer_freq;
    *e = *s + (double)((en - st) & kmask) * 1e9 / timer_freq;
}

// One pass of nops submissions; returns the loop time (ns), *total_ns = loop + final wait + retire.
static uint64_t submit_pass(void *buf, pending_t *q, long nops, double *sink_out, uint64_t *total_ns) {
    size_t head = 0, tail = 0;
    uint8_t pat = 0;
    double sink = 0;
    uint64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (long i = 0; i < nops; i++) {
        // the runtime's Stream.submit: sweep when more than one op is pending (before the append of this op
        // it sweeps after the push; the order does not change the call count)
        while (tail - head > 0) {
            ze_event_handle_t e = q[head].ev;
            if (zeEventQueryStatus(e) != ZE_RESULT_SUCCESS) break;
            ze_kernel_timestamp_result_t ts;
            CHECK(zeEventQueryKernelTimestamp(e, &ts));
            double s, en;
            to_host(q[head].host, q[head].ticks, &ts, &s, &en);
            sink += en - s;
            recycle(e);
            head++;
        }
        ze_event_handle_t e = acquire();
        uint64_t host, ticks;
        CHECK(zeDeviceGetGlobalTimestamps(dev, &host, &ticks));
        CHECK(zeCommandListAppendMemoryFill(list, buf, &pat, 1, 64, e, 0, NULL));
        q[tail].ev = e;
        q[tail].host = host;
        q[tail].ticks = ticks;
        tail++;
    }
    uint64_t t1 = now_ns(CLOCK_MONOTONIC);
    if (tail > head) CHECK(zeEventHostSynchronize(q[tail - 1].ev, UINT64_MAX));
    while (head < tail) {
        ze_kernel_timestamp_result_t ts;
        CHECK(zeEventQueryKernelTimestamp(q[head].ev, &ts));
        recycle(q[head].ev);
        head++;
    }
    uint64_t t2 = now_ns(CLOCK_MONOTONIC);
    *sink_out += sink;
    *total_ns = t2 - t0;
    return t1 - t0;
}

static int run_submit(long nops) {
    ze_device_mem_alloc_desc_t md = {ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC, NULL, 0, 0};
    void *buf;
    CHECK(zeMemAllocDevice(ctx, &md, 2 << 20, 512, dev, &buf));
    pending_t *q = malloc(sizeof *q * (size_t)nops);
    double sink = 0;
    uint64_t total;
    // Two untimed passes, as the JS side's: the event pools grow to nops events in flight and the engine
    // drains (and, on the JS side, the JIT settles), so the timed pass measures the steady state.
    submit_pass(buf, q, nops, &sink, &total);
    uint64_t warm_total = total;
    submit_pass(buf, q, nops, &sink, &total);
    warm_total += total;
    uint64_t loop = submit_pass(buf, q, nops, &sink, &total);
    printf("{\"ops\":%ld,\"submitNs\":%llu,\"totalNs\":%llu,\"warmTotalNs\":%llu,\"sink\":%g}\n", nops,
           (unsigned long long)loop, (unsigned long long)total, (unsigned long long)warm_total, sink > 0 ? 1.0 : 0.0);
    return 0;
}

static void *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ze_bench: cannot open %s\n", path);
        exit(3);
    }
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc(*len);
    if (fread(p, 1, *len, f) != *len) exit(3);
    fclose(f);
    return p;
}

static int run_sync(int k, uint32_t iters, const char *spv) {
    size_t len;
    void *il = read_file(spv, &len);
    ze_module_desc_t mdsc = {ZE_STRUCTURE_TYPE_MODULE_DESC, NULL, ZE_MODULE_FORMAT_IL_SPIRV, len, il, "", NULL};
    ze_module_handle_t mod;
    CHECK(zeModuleCreate(ctx, dev, &mdsc, &mod, NULL));
    ze_kernel_desc_t kd = {ZE_STRUCTURE_TYPE_KERNEL_DESC, NULL, 0, "busy"};
    ze_kernel_handle_t kern;
    CHECK(zeKernelCreate(mod, &kd, &kern));
    ze_device_mem_alloc_desc_t md = {ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC, NULL, 0, 0};
    void *out;
    CHECK(zeMemAllocDevice(ctx, &md, 4096, 512, dev, &out));
    CHECK(zeKernelSetGroupSize(kern, 1, 1, 1));
    CHECK(zeKernelSetArgumentValue(kern, 0, sizeof out, &out));
    CHECK(zeKernelSetArgumentValue(kern, 1, sizeof iters, &iters));
    ze_group_count_t gc = {1, 1, 1};
    printf("{\"latNs\":[");
    for (int i = 0; i < k; i++) {
        ze_event_handle_t e = acquire();
        uint64_t host, ticks;
        CHECK(zeDeviceGetGlobalTimestamps(dev, &host, &ticks));
        CHECK(zeCommandListAppendLaunchKernel(list, kern, &gc, e, 0, NULL));
        CHECK(zeEventHostSynchronize(e, UINT64_MAX));
        uint64_t woke = now_ns(CLOCK_MONOTONIC_RAW);
        ze_kernel_timestamp_result_t ts;
        CHECK(zeEventQueryKernelTimestamp(e, &ts));
        double s, en;
        to_host(host, ticks, &ts, &s, &en);
        recycle(e);
        printf("%s%.0f", i ? "," : "", (double)woke - en);
    }
    printf("]}\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: ze_bench submit N | sync K ITERATIONS SPV\n");
        return 2;
    }
    setup();
    if (!strcmp(argv[1], "submit")) return run_submit(atol(argv[2]));
    if (!strcmp(argv[1], "sync") && argc >= 5) return run_sync(atoi(argv[2]), (uint32_t)atol(argv[3]), argv[4]);
    fprintf(stderr, "ze_bench: unknown mode %s\n", argv[1]);
    return 2;
}
