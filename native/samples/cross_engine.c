// cross_engine: a pipeline across engines, ordered by events.
//   copy engine:    host -> device copy of x and y            signals `copied_in`
//   compute engine: saxpy y = a * x + y, waits on `copied_in`   signals `computed`
//   copy engine:    device -> host copy of y, waits on `computed` signals `copied_out`
// repeated for --items N; the three events (a pool without timestamps) are reset on the host and
// reused for every item. Then one `busy` kernel signals an event of a KERNEL_TIMESTAMP pool, and the
// program reads that kernel's device timestamps itself.
#include "sample_common.h"

#define N (1u << 18)  // floats per vector (1 MiB)
#define GROUP_SIZE 256
#define TS_ITERATIONS 300000  // ~0.5 ms on an Arc A770
#define TS_ITEMS 1024         // work-items of the timestamped kernel (16 groups of 64)

int main(int argc, char **argv) {
    sample_name = "cross_engine";
    uint32_t items = 4;
    for (int i = 1; i < argc; i++) {
        if (sample_common_opt(argc, argv, &i) || sample_opt_u32(argc, argv, &i, "--items", &items)) continue;
        sample_usage("[--items N]");
    }

    sample_t s;
    sample_init(&s);
    uint32_t copy_ordinal = s.copy_ordinal, copy_index = 0;
    if (copy_ordinal == UINT32_MAX) {
        copy_ordinal = s.compute_ordinal;
        copy_index = 1 % s.groups[copy_ordinal].numQueues;
        printf("cross_engine: note: no copy-only queue group, copies run on compute engine %u\n", copy_index);
    }
    printf("cross_engine: %s, copies on group %u, kernels on group %u\n", s.props.name, copy_ordinal, s.compute_ordinal);
    ze_command_list_handle_t copy_list = sample_immediate_list(&s, copy_ordinal, copy_index);
    ze_command_list_handle_t compute_list = sample_immediate_list(&s, s.compute_ordinal, 0);
    ze_kernel_handle_t saxpy = sample_kernel(&s, "saxpy"), busy = sample_kernel(&s, "busy");

    float *host_in = sample_alloc_host(&s, 2 * N * sizeof(float));  // x then y
    float *host_out = sample_alloc_host(&s, N * sizeof(float));
    float *dev = sample_alloc_device(&s, 2 * N * sizeof(float));
    float *dev_x = dev, *dev_y = dev + N;

    ze_event_pool_handle_t pool = sample_event_pool(&s, 3, ZE_EVENT_POOL_FLAG_HOST_VISIBLE);
    ze_event_handle_t copied_in = sample_event(pool, 0), computed = sample_event(pool, 1), copied_out = sample_event(pool, 2);

    CHECK(zeKernelSetGroupSize(saxpy, GROUP_SIZE, 1, 1));
    CHECK(zeKernelSetArgumentValue(saxpy, 0, sizeof dev_y, &dev_y));
    CHECK(zeKernelSetArgumentValue(saxpy, 1, sizeof dev_x, &dev_x));
    ze_group_count_t groups = { N / GROUP_SIZE, 1, 1 };

    for (uint32_t item = 0; item < items; item++) {
        float a = 0.5f + (float)item;
        for (uint32_t i = 0; i < N; i++) {
            host_in[i] = (float)(i % 1000) * 0.25f + (float)item;  // x
            host_in[N + i] = (float)(i % 77) - 3.0f;                  // y
        }
        CHECK(zeKernelSetArgumentValue(saxpy, 2, sizeof a, &a));  // captured at append time
        CHECK(zeCommandListAppendMemoryCopy(copy_list, dev, host_in, 2 * N * sizeof(float), copied_in, 0, NULL));
        CHECK(zeCommandListAppendLaunchKernel(compute_list, saxpy, &groups, computed, 1, &copied_in));
        CHECK(zeCommandListAppendMemoryCopy(copy_list, host_out, dev_y, N * sizeof(float), copied_out, 1, &computed));
        CHECK(zeEventHostSynchronize(copied_out, SAMPLE_TIMEOUT_NS));
        for (uint32_t i = 0; i < N; i++) {
            float want = fmaf(a, host_in[i], host_in[N + i]);
            if (host_out[i] != want) sample_fail("item %u: y[%u] = %g, want %g", item, i, (double)host_out[i], (double)want);
        }
        // Every command that used the events is complete: reset them for the next item.
        CHECK(zeEventHostReset(copied_in));
        CHECK(zeEventHostReset(computed));
        CHECK(zeEventHostReset(copied_out));
    }

    // One kernel with a timestamp event; its output goes back to the host on the copy engine.
    ze_event_pool_handle_t ts_pool = sample_event_pool(&s, 1, ZE_EVENT_POOL_FLAG_HOST_VISIBLE | ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP);
    ze_event_handle_t ts_event = sample_event(ts_pool, 0);
    sample_append_busy(compute_list, busy, dev, TS_ITERATIONS, TS_ITEMS / 64, 64, ts_event, 0, NULL);
    CHECK(zeCommandListAppendMemoryCopy(copy_list, host_out, dev, TS_ITEMS * sizeof(float), copied_out, 1, &ts_event));
    CHECK(zeEventHostSynchronize(copied_out, SAMPLE_TIMEOUT_NS));
    long bad = sample_check_busy(host_out, TS_ITEMS, TS_ITERATIONS);
    if (bad >= 0) sample_fail("busy: wrong output at work-item %ld", bad);
    ze_kernel_timestamp_result_t ts;
    CHECK(zeEventQueryKernelTimestamp(ts_event, &ts));
    // Kernel timestamps have kernelTimestampValidBits bits and may wrap between start and end.
    uint64_t mask = s.props.kernelTimestampValidBits >= 64 ? UINT64_MAX : (1ull << s.props.kernelTimestampValidBits) - 1;
    uint64_t ticks = (ts.global.kernelEnd - ts.global.kernelStart) & mask;
    if (ticks == 0 || ticks > mask / 2)
        sample_fail("kernel timestamp: end %llu is not after start %llu", (unsigned long long)ts.global.kernelEnd,
                    (unsigned long long)ts.global.kernelStart);
    // with ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES, timerResolution is nanoseconds per tick
    printf("own timestamp: %llu ticks (%.1f us)\n", (unsigned long long)ticks, (double)ticks * (double)s.props.timerResolution * 1e-3);

    CHECK(zeEventDestroy(ts_event));
    CHECK(zeEventPoolDestroy(ts_pool));
    CHECK(zeEventDestroy(copied_in));
    CHECK(zeEventDestroy(computed));
    CHECK(zeEventDestroy(copied_out));
    CHECK(zeEventPoolDestroy(pool));
    CHECK(zeMemFree(s.context, dev));
    CHECK(zeMemFree(s.context, host_out));
    CHECK(zeMemFree(s.context, host_in));
    CHECK(zeKernelDestroy(busy));
    CHECK(zeKernelDestroy(saxpy));
    CHECK(zeCommandListDestroy(compute_list));
    CHECK(zeCommandListDestroy(copy_list));
    sample_finish(&s);
    printf("cross_engine: %u items (copy -> saxpy -> copy) + 1 timestamped kernel ok\n", items);
    return 0;
}
