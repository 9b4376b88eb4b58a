// The driver's shared state, the leaf every other file calls: the driver object (xs_drv), the wait
// lock (xs_ev_mu / xs_ev_cv), debug logging, this thread's last error, the lost-device flags and the
// hang_call fault. It calls nothing else in the driver, so any file (including the handle registry
// and the clock) may use it; init/teardown (driver.c) and the entry points sit on top of it.
#include "xpusim.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

xs_driver xs_drv = { .magic = XS_MAGIC };

// One mutex/condition pair (CLOCK_MONOTONIC) guards all event, fence and completion-counter state and
// the lost flags; every state change broadcasts (event.c).
pthread_mutex_t xs_ev_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t xs_ev_cv;

__attribute__((constructor)) static void ev_init(void) {
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&xs_ev_cv, &a);
    pthread_condattr_destroy(&a);
}
__attribute__((destructor)) static void ev_fini(void) { pthread_cond_destroy(&xs_ev_cv); }

// ---- logging and errors ----------------------------------------------------------------------------
static int debug_level = -1;

void xs_debug(const char *fmt, ...) {
    if (debug_level < 0) { const char *d = getenv("XPUSIM_DEBUG"); debug_level = d && *d && strcmp(d, "0") ? 1 : 0; }
    if (!debug_level) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "xpusim: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static __thread char last_error[256];
void xs_set_last_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}
const char *xs_last_error(void) { return last_error; }

ze_result_t xs_unsupported(const char *fn) {
    xs_set_last_error("%s is not implemented by the simulated driver (libze_xpusim)", fn);
    xs_debug("%s: not implemented (ZE_RESULT_ERROR_UNSUPPORTED_FEATURE)", fn);
    return ZE_RESULT_ERROR_UNSUPPORTED_FEATURE;
}

// ---- lost devices ------------------------------------------------------------------------------------
void xs_set_lost(void) {
    pthread_mutex_lock(&xs_ev_mu);
    xs_drv.device_lost = 1;
    pthread_cond_broadcast(&xs_ev_cv);
    pthread_mutex_unlock(&xs_ev_mu);
}

// One GPU is lost (hang, page fault, device_lost_after_ops@D): its root device and every sub-device of
// it; the other devices of the process keep working, as with i915/xe, which reset one GPU at a time.
void xs_set_device_lost(xs_device *d) {
    pthread_mutex_lock(&xs_ev_mu);
    d->root->lost = 1;
    pthread_cond_broadcast(&xs_ev_cv);
    pthread_mutex_unlock(&xs_ev_mu);
    xs_debug("device %u lost", d->root->ordinal);
}

// ---- the hang_call fault -------------------------------------------------------------------------
// A host-side driver call that never returns (a driver stuck in the kernel). It blocks before taking
// any lock, so other threads keep working; only the calling thread is stuck.
void xs_hang_point(const char *fn) {
    static uint64_t calls;
    if (!strncmp(fn, "xs_", 3)) fn += 3;
    if (strcmp(fn, xs_drv.faults.hang_call)) return;
    if (__atomic_fetch_add(&calls, 1, __ATOMIC_SEQ_CST) < xs_drv.faults.hang_call_after) return;
    xs_debug("%s: hanging forever (XPUSIM_FAULTS hang_call)", fn);
    for (;;) {
        struct timespec s = { 1, 0 };
        nanosleep(&s, NULL);
    }
}
