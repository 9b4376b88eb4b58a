// copy_engines: one immediate list on every engine of every copy-only queue group, each copying
// B bytes host -> device, device -> device and device -> host, while a `busy` kernel runs on a
// compute engine. Each engine's data has its own pattern; all of it is checked at the end.
#include "sample_common.h"

#define MAX_ENGINES 64
#define KERNEL_ITEMS 1024
#define KERNEL_ITERATIONS 1200000  // ~2 ms on an Arc A770

typedef struct {
    uint32_t ordinal, index;
    ze_command_list_handle_t list;
    uint8_t *host_src, *host_dst;
    void *dev_a, *dev_b;
    ze_event_handle_t done;
} engine_t;

static uint8_t pattern(size_t i, uint32_t engine) { return (uint8_t)(i * 7u + (i >> 12) + engine * 29u + 1u); }

int main(int argc, char **argv) {
    sample_name = "copy_engines";
    uint64_t bytes = 8u << 20;
    for (int i = 1; i < argc; i++) {
        if (sample_common_opt(argc, argv, &i) || sample_opt_u64(argc, argv, &i, "--bytes", &bytes)) continue;
        sample_usage("[--bytes B]");
    }
    if (bytes == 0) sample_fail("--bytes must be at least 1");

    sample_t s;
    sample_init(&s);
    engine_t eng[MAX_ENGINES];
    uint32_t n = 0;
    for (uint32_t g = 0; g < s.ngroups; g++)
        if (sample_is_copy_only(&s.groups[g]))
            for (uint32_t q = 0; q < s.groups[g].numQueues && n < MAX_ENGINES; q++) eng[n++] = (engine_t){ .ordinal = g, .index = q };
    if (n == 0) {
        printf("copy_engines: note: %s has no copy-only queue group, copying on compute engine 0\n", s.props.name);
        eng[n++] = (engine_t){ .ordinal = s.compute_ordinal, .index = 0 };
    }
    printf("copy_engines: %s, %u copy engine(s), kernel on compute group %u\n", s.props.name, n, s.compute_ordinal);

    ze_event_pool_handle_t pool = sample_event_pool(&s, n + 1, ZE_EVENT_POOL_FLAG_HOST_VISIBLE);
    for (uint32_t e = 0; e < n; e++) {
        eng[e].list = sample_immediate_list(&s, eng[e].ordinal, eng[e].index);
        eng[e].host_src = sample_alloc_host(&s, bytes);
        eng[e].host_dst = sample_alloc_host(&s, bytes);
        eng[e].dev_a = sample_alloc_device(&s, bytes);
        eng[e].dev_b = sample_alloc_device(&s, bytes);
        eng[e].done = sample_event(pool, e);
        for (size_t i = 0; i < bytes; i++) eng[e].host_src[i] = pattern(i, e);
        memset(eng[e].host_dst, 0, bytes);
    }

    // The kernel first, so that it runs while the copies do.
    ze_command_list_handle_t compute = sample_immediate_list(&s, s.compute_ordinal, 0);
    ze_kernel_handle_t busy = sample_kernel(&s, "busy");
    float *kout = sample_alloc_shared(&s, KERNEL_ITEMS * sizeof(float));
    ze_event_handle_t kdone = sample_event(pool, n);
    sample_append_busy(compute, busy, kout, KERNEL_ITERATIONS, KERNEL_ITEMS / 64, 64, kdone, 0, NULL);

    double t0 = sample_now_s();
    for (uint32_t e = 0; e < n; e++) {
        ze_command_list_handle_t l = eng[e].list;
        CHECK(zeCommandListAppendMemoryCopy(l, eng[e].dev_a, eng[e].host_src, bytes, NULL, 0, NULL));
        CHECK(zeCommandListAppendBarrier(l, NULL, 0, NULL));
        CHECK(zeCommandListAppendMemoryCopy(l, eng[e].dev_b, eng[e].dev_a, bytes, NULL, 0, NULL));
        CHECK(zeCommandListAppendBarrier(l, NULL, 0, NULL));
        CHECK(zeCommandListAppendMemoryCopy(l, eng[e].host_dst, eng[e].dev_b, bytes, eng[e].done, 0, NULL));
    }
    for (uint32_t e = 0; e < n; e++) CHECK(zeEventHostSynchronize(eng[e].done, SAMPLE_TIMEOUT_NS));
    double wall = sample_now_s() - t0;
    CHECK(zeEventHostSynchronize(kdone, SAMPLE_TIMEOUT_NS));

    for (uint32_t e = 0; e < n; e++)
        if (memcmp(eng[e].host_src, eng[e].host_dst, bytes)) {
            size_t i = 0;
            while (eng[e].host_src[i] == eng[e].host_dst[i]) i++;
            sample_fail("engine %u (group %u index %u): byte %zu is 0x%02x, want 0x%02x", e, eng[e].ordinal, eng[e].index, i,
                        eng[e].host_dst[i], eng[e].host_src[i]);
        }
    long bad = sample_check_busy(kout, KERNEL_ITEMS, KERNEL_ITERATIONS);
    if (bad >= 0) sample_fail("busy: wrong output at work-item %ld", bad);

    CHECK(zeEventDestroy(kdone));
    CHECK(zeMemFree(s.context, kout));
    CHECK(zeKernelDestroy(busy));
    CHECK(zeCommandListDestroy(compute));
    for (uint32_t e = 0; e < n; e++) {
        CHECK(zeEventDestroy(eng[e].done));
        CHECK(zeMemFree(s.context, eng[e].host_src));
        CHECK(zeMemFree(s.context, eng[e].host_dst));
        CHECK(zeMemFree(s.context, eng[e].dev_a));
        CHECK(zeMemFree(s.context, eng[e].dev_b));
        CHECK(zeCommandListDestroy(eng[e].list));
    }
    CHECK(zeEventPoolDestroy(pool));
    sample_finish(&s);
    printf("copy_engines: %u engine(s) x %llu bytes (host->device, device->device, device->host) + 1 kernel ok (copies %.1f ms)\n", n,
           (unsigned long long)bytes, wall * 1e3);
    return 0;
}
