// fork_child: the process forks before it touches Level Zero; parent and child then each
// initialise Level Zero and run `busy` kernels on an immediate list (the parent 3, the child 5).
// With --exec the child re-executes this program with --child (fork + execvp of argv[0]).
// The parent exits 0 only if its own kernels and the child both succeeded.
#include "sample_common.h"
#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#define PARENT_KERNELS 3
#define CHILD_KERNELS 5
#define ITEMS 1024
#define ITERATIONS 600000  // ~1 ms on an Arc A770

// Runs `nkernels` busy kernels and checks their output; returns normally only on success.
static void run_kernels(const char *who, uint32_t nkernels) {
    sample_t s;
    sample_init(&s);
    ze_command_list_handle_t list = sample_immediate_list(&s, s.compute_ordinal, 0);
    ze_kernel_handle_t busy = sample_kernel(&s, "busy");
    float *out = sample_alloc_shared(&s, (size_t)nkernels * ITEMS * sizeof(float));
    ze_event_pool_handle_t pool = sample_event_pool(&s, 1, ZE_EVENT_POOL_FLAG_HOST_VISIBLE);
    ze_event_handle_t done = sample_event(pool, 0);
    for (uint32_t k = 0; k < nkernels; k++) {
        int last = k == nkernels - 1;
        if (last && nkernels > 1) CHECK(zeCommandListAppendBarrier(list, NULL, 0, NULL));  // the event covers all kernels
        sample_append_busy(list, busy, out + (size_t)k * ITEMS, ITERATIONS, ITEMS / 64, 64, last ? done : NULL, 0, NULL);
    }
    CHECK(zeEventHostSynchronize(done, SAMPLE_TIMEOUT_NS));
    long bad = -1;
    for (uint32_t k = 0; k < nkernels && bad < 0; k++) bad = sample_check_busy(out + (size_t)k * ITEMS, ITEMS, ITERATIONS);
    if (bad >= 0) sample_fail("%s: wrong busy output at work-item %ld", who, bad);
    CHECK(zeEventDestroy(done));
    CHECK(zeEventPoolDestroy(pool));
    CHECK(zeMemFree(s.context, out));
    CHECK(zeKernelDestroy(busy));
    CHECK(zeCommandListDestroy(list));
    sample_finish(&s);
    printf("fork_child: %s (pid %d) %u kernels ok\n", who, (int)getpid(), nkernels);
    fflush(stdout);
}

int main(int argc, char **argv) {
    sample_name = "fork_child";
    int use_exec = 0, is_child = 0;
    for (int i = 1; i < argc; i++) {
        if (sample_common_opt(argc, argv, &i)) continue;
        if (!strcmp(argv[i], "--exec")) use_exec = 1;
        else if (!strcmp(argv[i], "--child")) is_child = 1;
        else sample_usage("[--exec]");
    }
    if (is_child) {  // the exec'd child
        run_kernels("child", CHILD_KERNELS);
        return 0;
    }

    fflush(stdout);  // nothing buffered may be printed twice
    pid_t pid = fork();
    if (pid < 0) sample_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        if (use_exec) {
            // the same options, minus --exec, plus --child
            char **args = calloc((size_t)argc + 2, sizeof *args);
            if (!args) sample_fail("out of memory");
            int n = 0;
            args[n++] = argv[0];
            args[n++] = "--child";
            for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--exec")) args[n++] = argv[i];
            args[n] = NULL;
            execvp(argv[0], args);  // how we were started (a path, or a name found in PATH)
            execv("/proc/self/exe", args);
            fprintf(stderr, "fork_child: cannot re-execute %s: %s\n", argv[0], strerror(errno));
            _exit(127);
        }
        run_kernels("child", CHILD_KERNELS);
        exit(0);
    }

    run_kernels("parent", PARENT_KERNELS);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) sample_fail("waitpid: %s", strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status)) sample_fail("the child (pid %d) was killed by signal %d", (int)pid, WTERMSIG(status));
        sample_fail("the child (pid %d) exited with status %d", (int)pid, WEXITSTATUS(status));
    }
    printf("fork_child: parent %d kernels ok, child (%s, pid %d) %d kernels ok\n", PARENT_KERNELS, use_exec ? "fork+exec" : "fork", (int)pid,
           CHILD_KERNELS);
    return 0;
}
