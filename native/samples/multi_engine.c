// multi_engine: N immediate command lists, each on its own engine of the compute queue group,
// each running K `busy` kernels. Kernels of different lists run at the same time on the device
// (when the group has at least N engines), so the wall time of N lists is about that of one.
#include "sample_common.h"

#define WORK_ITEMS 1024  // per kernel: 16 work-groups of 64, a small part of the GPU
#define GROUP_SIZE 64

int main(int argc, char **argv) {
    sample_name = "multi_engine";
    uint32_t nlists = 4, nkernels = 8;
    uint32_t iterations = 1200000;  // ~2 ms per kernel on an Arc A770 (4 cycles per iteration at 2.4 GHz)
    for (int i = 1; i < argc; i++) {
        if (sample_common_opt(argc, argv, &i) || sample_opt_u32(argc, argv, &i, "--lists", &nlists) ||
            sample_opt_u32(argc, argv, &i, "--kernels", &nkernels) || sample_opt_u32(argc, argv, &i, "--iterations", &iterations))
            continue;
        sample_usage("[--lists N] [--kernels K] [--iterations I]");
    }
    if (nlists == 0 || nkernels == 0) sample_fail("--lists and --kernels must be at least 1");

    sample_t s;
    sample_init(&s);
    uint32_t ordinal = s.compute_ordinal, nengines = s.groups[ordinal].numQueues;
    printf("multi_engine: %s, compute group %u has %u engine(s)\n", s.props.name, ordinal, nengines);
    if (nengines < nlists)
        printf("multi_engine: note: %u lists on %u engine(s): list i uses engine i %% %u, lists sharing an engine run one after the other\n",
               nlists, nengines, nengines);

    ze_kernel_handle_t busy = sample_kernel(&s, "busy");
    size_t per_list = (size_t)nkernels * WORK_ITEMS;
    float *out = sample_alloc_shared(&s, (size_t)nlists * per_list * sizeof(float));
    memset(out, 0, (size_t)nlists * per_list * sizeof(float));
    ze_event_pool_handle_t pool = sample_event_pool(&s, nlists, ZE_EVENT_POOL_FLAG_HOST_VISIBLE);
    ze_command_list_handle_t *lists = calloc(nlists, sizeof *lists);
    ze_event_handle_t *done = calloc(nlists, sizeof *done);
    if (!lists || !done) sample_fail("out of memory");
    for (uint32_t i = 0; i < nlists; i++) {
        lists[i] = sample_immediate_list(&s, ordinal, i % nengines);
        done[i] = sample_event(pool, i);
    }

    double t0 = sample_now_s();
    for (uint32_t i = 0; i < nlists; i++) {
        for (uint32_t k = 0; k < nkernels; k++) {
            int last = k == nkernels - 1;
            // Commands of a list are not ordered by default: the barrier makes the last kernel (and
            // so its event) come after all the others of this list.
            if (last && nkernels > 1) CHECK(zeCommandListAppendBarrier(lists[i], NULL, 0, NULL));
            float *slice = out + (size_t)i * per_list + (size_t)k * WORK_ITEMS;
            sample_append_busy(lists[i], busy, slice, iterations, WORK_ITEMS / GROUP_SIZE, GROUP_SIZE, last ? done[i] : NULL, 0, NULL);
        }
    }
    for (uint32_t i = 0; i < nlists; i++) CHECK(zeEventHostSynchronize(done[i], SAMPLE_TIMEOUT_NS));
    double wall = sample_now_s() - t0;

    for (uint32_t i = 0; i < nlists; i++)
        for (uint32_t k = 0; k < nkernels; k++) {
            long bad = sample_check_busy(out + (size_t)i * per_list + (size_t)k * WORK_ITEMS, WORK_ITEMS, iterations);
            if (bad >= 0) sample_fail("list %u kernel %u: wrong output at work-item %ld", i, k, bad);
        }

    for (uint32_t i = 0; i < nlists; i++) {
        CHECK(zeEventDestroy(done[i]));
        CHECK(zeCommandListDestroy(lists[i]));
    }
    free(done);
    free(lists);
    CHECK(zeEventPoolDestroy(pool));
    CHECK(zeMemFree(s.context, out));
    CHECK(zeKernelDestroy(busy));
    sample_finish(&s);
    printf("multi_engine: %u lists x %u kernels ok (%u iterations, wall %.1f ms)\n", nlists, nkernels, iterations, wall * 1e3);
    return 0;
}
