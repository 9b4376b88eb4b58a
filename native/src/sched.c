// Clock and shared-resource model.
//
// Device ticks: one 19.2 MHz counter derived from CLOCK_MONOTONIC_RAW (ticks = ns * 0.0192 + offset),
// used for global timestamps and kernel timestamps alike (kernel timestamps are masked to
// kernelTimestampValidBits, so they wrap as on hardware).
//
// Resources use processor sharing: each running operation has an amount of work (seconds at the full
// capacity of the resource) and a demand (the largest share of the resource it can use). While the
// sum of demands is <= 1 everyone runs at its own demand; above that, shares are scaled down
// proportionally. Rates are recomputed whenever an operation starts or finishes.
#include "xpusim.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>

uint64_t xs_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
uint64_t xs_ticks_from_ns(uint64_t ns) {
    return (uint64_t)(((unsigned __int128)ns * 12u) / 625u) + xs_drv.tick_offset;
}
uint64_t xs_now_ticks(void) { return xs_ticks_from_ns(xs_now_ns()); }

// ---- precise waits ----------------------------------------------------------------------------
// Why: a sleeping thread wakes late — by its timer slack (50 µs by default on Linux) plus the host's
// wake-up latency (about 50 µs more on this project's VMs: nanosleep(4 µs) took 95 µs at the median,
// 55 µs with a slack of 1 ns). Engines sleep for the modelled time of every command, so a 64-byte
// fill modelled at 4 µs showed 104 µs between its kernel timestamps, and every short op was as long.
// So engine threads run with a timer slack of 1 ns (xs_precise_thread) and a modelled wait sleeps
// only until spin_ns before its end, then yields the CPU in a loop until the end (sched_yield lets any
// other runnable thread go first). spin_ns is the worst of a few short sleeps measured once, plus a
// margin, or XPUSIM_SPIN_US (0: sleep only, the old behaviour, for hosts that cannot spare the CPU).
static uint64_t spin_ns;
static pthread_once_t spin_once = PTHREAD_ONCE_INIT;

static void calibrate_spin(void) {
    const char *env = getenv("XPUSIM_SPIN_US");
    if (env && *env) {
        char *end;
        double us = strtod(env, &end);
        if (*end == 0 && us >= 0 && us <= 1e6) {
            spin_ns = (uint64_t)(us * 1000.0);
            return;
        }
        fprintf(stderr, "xpusim: XPUSIM_SPIN_US=%s is not a number of microseconds (0-1000000); measuring instead\n", env);
    }
    int old = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    uint64_t worst = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t t0 = xs_now_ns();
        struct timespec ts = { 0, 1000 };
        nanosleep(&ts, NULL);
        uint64_t d = xs_now_ns() - t0;
        if (d > worst) worst = d;
    }
    if (old > 0) prctl(PR_SET_TIMERSLACK, (unsigned long)old, 0, 0, 0);
    worst += 20000;  // margin (so never below 20 µs)
    spin_ns = worst > 200000 ? 200000 : worst;
}

uint64_t xs_spin_ns(void) {
    pthread_once(&spin_once, calibrate_spin);
    return spin_ns;
}

void xs_precise_thread(void) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    xs_spin_ns();
}

void xs_sleep_until_ns(uint64_t t) {
    uint64_t spin = xs_spin_ns();
    for (;;) {
        uint64_t now = xs_now_ns();
        if (now >= t) return;
        uint64_t d = t - now;
        if (d <= spin) {
            sched_yield();
            continue;
        }
        d -= spin;
        struct timespec ts = { (time_t)(d / 1000000000ull), (long)(d % 1000000000ull) };
        nanosleep(&ts, NULL);
    }
}

void xs_resource_init(xs_resource *r, const char *name) {
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &a);
    pthread_condattr_destroy(&a);
    r->active = NULL;
    r->last_ns = 0;
    snprintf(r->name, sizeof r->name, "%s", name);
}
void xs_resource_destroy(xs_resource *r) { pthread_mutex_destroy(&r->mu); pthread_cond_destroy(&r->cv); }

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void advance(xs_resource *r, uint64_t now) {
    if (r->last_ns && now > r->last_ns) {
        double dt = (double)(now - r->last_ns) * 1e-9;
        for (xs_resource_op *o = r->active; o; o = o->next) o->remaining -= o->rate * dt;
    }
    r->last_ns = now;
}
static void rerate(xs_resource *r) {
    double sum = 0;
    for (xs_resource_op *o = r->active; o; o = o->next) sum += o->demand;
    double scale = sum > 1.0 ? 1.0 / sum : 1.0;
    for (xs_resource_op *o = r->active; o; o = o->next) o->rate = o->demand * scale;
}

void xs_resource_begin(xs_resource *r, xs_resource_op *op, double work_s, double demand) {
    if (!(demand > 0)) demand = 1e-6;
    if (demand > 1) demand = 1;
    op->remaining = work_s > 0 ? work_s : 0;
    op->demand = demand;
    op->rate = 0;
    pthread_mutex_lock(&r->mu);
    advance(r, mono_ns());
    op->next = r->active;
    r->active = op;
    rerate(r);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void xs_resource_finish(xs_resource *r, xs_resource_op *op, volatile int *abort_flag) {
    uint64_t spin = xs_spin_ns();
    pthread_mutex_lock(&r->mu);
    advance(r, mono_ns());
    while (op->remaining > 1e-9 && !(abort_flag && *abort_flag)) {
        double left_s = op->remaining / op->rate;
        uint64_t now = mono_ns();
        uint64_t left = (uint64_t)ceil(left_s * 1e9);
        if (left <= spin) {
            // the last stretch (see "precise waits"): yield in a loop, without the lock, so that others
            // can start or finish meanwhile; their rerate shows in `remaining` once it is taken again
            pthread_mutex_unlock(&r->mu);
            while (mono_ns() < now + left && !(abort_flag && *abort_flag)) sched_yield();
            pthread_mutex_lock(&r->mu);
            advance(r, mono_ns());
            continue;
        }
        uint64_t wake = now + left - spin;
        if (abort_flag && wake > now + 50000000ull) wake = now + 50000000ull;  // re-check abort every 50 ms
        struct timespec ts = { (time_t)(wake / 1000000000ull), (long)(wake % 1000000000ull) };
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        advance(r, mono_ns());
    }
    xs_resource_op **pp = &r->active;
    while (*pp && *pp != op) pp = &(*pp)->next;
    if (*pp) *pp = op->next;
    rerate(r);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void xs_resource_run(xs_resource *r, double work_s, double demand, volatile int *abort_flag) {
    if (!(work_s > 0)) return;
    xs_resource_op op;
    xs_resource_begin(r, &op, work_s, demand);
    xs_resource_finish(r, &op, abort_flag);
}
