// regular_queue: one regular command list (fill_u32 into a buffer, a barrier, copy_u32 into a
// second buffer), recorded and closed once, then executed R times on a command queue. A fence
// tells the host when each run is done; it is reset before the next run.
#include "sample_common.h"

#define N (1u << 20)  // elements per buffer (4 MiB)
#define GROUP_SIZE 256
#define SEED 0x5eed1234u

int main(int argc, char **argv) {
    sample_name = "regular_queue";
    uint32_t runs = 5;
    for (int i = 1; i < argc; i++) {
        if (sample_common_opt(argc, argv, &i) || sample_opt_u32(argc, argv, &i, "--runs", &runs)) continue;
        sample_usage("[--runs R]");
    }

    sample_t s;
    sample_init(&s);
    printf("regular_queue: %s, compute group %u\n", s.props.name, s.compute_ordinal);
    uint32_t *src = sample_alloc_device(&s, N * sizeof(uint32_t));
    uint32_t *dst = sample_alloc_shared(&s, N * sizeof(uint32_t));
    ze_kernel_handle_t fill = sample_kernel(&s, "fill_u32"), copy = sample_kernel(&s, "copy_u32");
    ze_group_count_t groups = { N / GROUP_SIZE, 1, 1 };
    uint32_t seed = SEED;
    CHECK(zeKernelSetGroupSize(fill, GROUP_SIZE, 1, 1));
    CHECK(zeKernelSetArgumentValue(fill, 0, sizeof src, &src));
    CHECK(zeKernelSetArgumentValue(fill, 1, sizeof seed, &seed));
    CHECK(zeKernelSetGroupSize(copy, GROUP_SIZE, 1, 1));
    CHECK(zeKernelSetArgumentValue(copy, 0, sizeof dst, &dst));
    CHECK(zeKernelSetArgumentValue(copy, 1, sizeof src, &src));

    // Record once: fill src, wait for it, copy src to dst.
    ze_command_list_desc_t ldesc = { .stype = ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC, .commandQueueGroupOrdinal = s.compute_ordinal };
    ze_command_list_handle_t list = NULL;
    CHECK(zeCommandListCreate(s.context, s.device, &ldesc, &list));
    CHECK(zeCommandListAppendLaunchKernel(list, fill, &groups, NULL, 0, NULL));
    CHECK(zeCommandListAppendBarrier(list, NULL, 0, NULL));
    CHECK(zeCommandListAppendLaunchKernel(list, copy, &groups, NULL, 0, NULL));
    CHECK(zeCommandListClose(list));

    ze_command_queue_desc_t qdesc = {
        .stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
        .ordinal = s.compute_ordinal,
        .index = 0,
        .mode = ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS,
        .priority = ZE_COMMAND_QUEUE_PRIORITY_NORMAL,
    };
    ze_command_queue_handle_t queue = NULL;
    CHECK(zeCommandQueueCreate(s.context, s.device, &qdesc, &queue));
    ze_fence_desc_t fdesc = { .stype = ZE_STRUCTURE_TYPE_FENCE_DESC };
    ze_fence_handle_t fence = NULL;
    CHECK(zeFenceCreate(queue, &fdesc, &fence));

    for (uint32_t r = 0; r < runs; r++) {
        memset(dst, 0, N * sizeof(uint32_t));  // so each run must copy again
        CHECK(zeCommandQueueExecuteCommandLists(queue, 1, &list, fence));
        CHECK(zeFenceHostSynchronize(fence, SAMPLE_TIMEOUT_NS));
        for (uint32_t i = 0; i < N; i++)
            if (dst[i] != (SEED ^ (i * 2654435761u))) sample_fail("run %u: dst[%u] = 0x%08x, want 0x%08x", r, i, dst[i], SEED ^ (i * 2654435761u));
        CHECK(zeFenceReset(fence));
    }

    CHECK(zeFenceDestroy(fence));
    CHECK(zeCommandQueueDestroy(queue));
    CHECK(zeCommandListDestroy(list));
    CHECK(zeKernelDestroy(fill));
    CHECK(zeKernelDestroy(copy));
    CHECK(zeMemFree(s.context, src));
    CHECK(zeMemFree(s.context, dst));
    sample_finish(&s);
    printf("regular_queue: %u runs x (fill_u32 + barrier + copy_u32, %u elements) ok\n", runs, N);
    return 0;
}
