// crash: a program that dies with work still on the GPU. It runs a first batch of `busy` kernels
// and waits for it (printing "synced N"), submits more long kernels and, without waiting for
// them, crashes: --mode segv (write through a NULL pointer, the default), abort (abort()) or kill
// (raise(SIGKILL)). Nothing is cleaned up: that is the point.
#include "sample_common.h"
#include <signal.h>

#define ITEMS 1024
#define FIRST_ITERATIONS 600000     // ~1 ms on an Arc A770
#define LONG_ITERATIONS 60000000    // ~100 ms on an Arc A770
#define LONG_KERNELS 8

int main(int argc, char **argv) {
    sample_name = "crash";
    const char *mode = "segv";
    uint32_t first = 4;
    for (int i = 1; i < argc; i++) {
        if (sample_common_opt(argc, argv, &i) || sample_opt_str(argc, argv, &i, "--mode", &mode) ||
            sample_opt_u32(argc, argv, &i, "--kernels", &first))
            continue;
        sample_usage("[--mode segv|abort|kill] [--kernels N]");
    }
    if (strcmp(mode, "segv") && strcmp(mode, "abort") && strcmp(mode, "kill")) sample_fail("--mode must be segv, abort or kill");
    if (first == 0) sample_fail("--kernels must be at least 1");

    sample_t s;
    sample_init(&s);
    ze_command_list_handle_t list = sample_immediate_list(&s, s.compute_ordinal, 0);
    ze_kernel_handle_t busy = sample_kernel(&s, "busy");
    float *out = sample_alloc_shared(&s, (size_t)first * ITEMS * sizeof(float));
    float *scratch = sample_alloc_device(&s, ITEMS * sizeof(float));
    ze_event_pool_handle_t pool = sample_event_pool(&s, 1, ZE_EVENT_POOL_FLAG_HOST_VISIBLE);
    ze_event_handle_t done = sample_event(pool, 0);

    for (uint32_t k = 0; k < first; k++) {
        int last = k == first - 1;
        if (last && first > 1) CHECK(zeCommandListAppendBarrier(list, NULL, 0, NULL));
        sample_append_busy(list, busy, out + (size_t)k * ITEMS, FIRST_ITERATIONS, ITEMS / 64, 64, last ? done : NULL, 0, NULL);
    }
    CHECK(zeEventHostSynchronize(done, SAMPLE_TIMEOUT_NS));
    for (uint32_t k = 0; k < first; k++)
        if (sample_check_busy(out + (size_t)k * ITEMS, ITEMS, FIRST_ITERATIONS) >= 0) sample_fail("kernel %u: wrong output", k);
    printf("synced %u\n", first);
    fflush(stdout);

    for (uint32_t k = 0; k < LONG_KERNELS; k++) sample_append_busy(list, busy, scratch, LONG_ITERATIONS, ITEMS / 64, 64, NULL, 0, NULL);
    printf("crash: %u long kernels in flight, crashing (%s)\n", LONG_KERNELS, mode);
    fflush(stdout);

    if (!strcmp(mode, "abort")) abort();
    if (!strcmp(mode, "kill")) raise(SIGKILL);
    volatile int *volatile nowhere = NULL;  // both volatile: the compiler may neither assume NULL nor drop the store
    *nowhere = 42;
    fprintf(stderr, "crash: still alive after --mode %s\n", mode);  // not reached
    return 1;
}
