// launch_bound: as many tiny kernels as possible (busy, 1 work-item, 1 iteration) on several
// immediate lists, so the cost per launch dominates. Optionally waits for every list each
// --sync-every S ops; --rate R paces the launches at R per second (a program with its own work between
// launches; 0, the default, launches as fast as it can). Prints ops=<total>, ops_per_sec=<launches per second of wall time, first
// append to last completion> and cpu_ns_per_op=<CPU time of the whole process (every thread, the
// driver's included) over the same window, per launch>. The hot loop only appends: one kernel handle per list with its
// arguments set once, no allocations, events only at the sync points.
#include "sample_common.h"
#include <sys/resource.h>
#include <time.h>

/** Sleeps until `t` (seconds on sample_now_s's clock) when that is far enough ahead to sleep for. */
static void pace_until(double t) {
    double ahead = t - sample_now_s();
    if (ahead < 200e-6) return;  // closer than the timer's slack: go on, the next round catches up
    struct timespec ts = { (time_t)ahead, (long)((ahead - (double)(time_t)ahead) * 1e9) };
    nanosleep(&ts, NULL);
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static void sync_all(uint32_t nlists, ze_command_list_handle_t *lists, ze_event_handle_t *done) {
    // A barrier that signals an event completes after everything appended before it.
    for (uint32_t l = 0; l < nlists; l++) CHECK(zeCommandListAppendBarrier(lists[l], done[l], 0, NULL));
    for (uint32_t l = 0; l < nlists; l++) {
        CHECK(zeEventHostSynchronize(done[l], SAMPLE_TIMEOUT_NS));
        CHECK(zeEventHostReset(done[l]));
    }
}

int main(int argc, char **argv) {
    sample_name = "launch_bound";
    uint32_t nlists = 4, ops = 20000, sync_every = 0, iterations = 1, rate = 0;
    for (int i = 1; i < argc; i++) {
        if (sample_common_opt(argc, argv, &i) || sample_opt_u32(argc, argv, &i, "--lists", &nlists) ||
            sample_opt_u32(argc, argv, &i, "--ops", &ops) || sample_opt_u32(argc, argv, &i, "--sync-every", &sync_every) ||
            sample_opt_u32(argc, argv, &i, "--iterations", &iterations) || sample_opt_u32(argc, argv, &i, "--rate", &rate))
            continue;
        sample_usage("[--lists N] [--ops M] [--sync-every S] [--iterations I] [--rate LAUNCHES_PER_S]");
    }
    if (nlists == 0) sample_fail("--lists must be at least 1");

    sample_t s;
    sample_init(&s);
    uint32_t ordinal = s.compute_ordinal, nengines = s.groups[ordinal].numQueues;
    printf("launch_bound: %s, compute group %u has %u engine(s)\n", s.props.name, ordinal, nengines);
    if (nengines < nlists) printf("launch_bound: note: %u lists on %u engine(s): list i uses engine i %% %u\n", nlists, nengines, nengines);

    float *out = sample_alloc_shared(&s, nlists * sizeof(float));
    memset(out, 0, nlists * sizeof(float));
    ze_event_pool_handle_t pool = sample_event_pool(&s, nlists, ZE_EVENT_POOL_FLAG_HOST_VISIBLE);
    ze_command_list_handle_t *lists = calloc(nlists, sizeof *lists);
    ze_kernel_handle_t *kernels = calloc(nlists, sizeof *kernels);
    ze_event_handle_t *done = calloc(nlists, sizeof *done);
    if (!lists || !kernels || !done) sample_fail("out of memory");
    for (uint32_t l = 0; l < nlists; l++) {
        lists[l] = sample_immediate_list(&s, ordinal, l % nengines);
        done[l] = sample_event(pool, l);
        kernels[l] = sample_kernel(&s, "busy");
        float *slot = out + l;  // each list's kernel writes its own element
        CHECK(zeKernelSetGroupSize(kernels[l], 1, 1, 1));
        CHECK(zeKernelSetArgumentValue(kernels[l], 0, sizeof slot, &slot));
        CHECK(zeKernelSetArgumentValue(kernels[l], 1, sizeof iterations, &iterations));
    }
    const ze_group_count_t one = { 1, 1, 1 };

    double t0 = sample_now_s();
    double c0 = cpu_s();
    for (uint32_t j = 0; j < ops; j++) {
        for (uint32_t l = 0; l < nlists; l++) CHECK(zeCommandListAppendLaunchKernel(lists[l], kernels[l], &one, NULL, 0, NULL));
        if (sync_every && (j + 1) % sync_every == 0 && j + 1 < ops) sync_all(nlists, lists, done);
        if (rate) pace_until(t0 + (double)(j + 1) * nlists / rate);
    }
    sync_all(nlists, lists, done);
    double wall = sample_now_s() - t0;
    double cpu = cpu_s() - c0;

    float want = sample_busy_value(iterations);
    for (uint32_t l = 0; l < nlists; l++)
        if (ops && out[l] != want) sample_fail("list %u: busy wrote %g, want %g", l, (double)out[l], (double)want);

    for (uint32_t l = 0; l < nlists; l++) {
        CHECK(zeKernelDestroy(kernels[l]));
        CHECK(zeEventDestroy(done[l]));
        CHECK(zeCommandListDestroy(lists[l]));
    }
    free(kernels);
    free(done);
    free(lists);
    CHECK(zeEventPoolDestroy(pool));
    CHECK(zeMemFree(s.context, out));
    sample_finish(&s);
    uint64_t total = (uint64_t)nlists * ops;
    printf("ops=%llu\n", (unsigned long long)total);
    printf("ops_per_sec=%.1f\n", wall > 0 ? (double)total / wall : 0.0);
    printf("cpu_ns_per_op=%.1f\n", total ? cpu * 1e9 / (double)total : 0.0);
    printf("launch_bound: %u lists x %u ops ok (sync every %u, wall %.3f s)\n", nlists, ops, sync_every, wall);
    return 0;
}
