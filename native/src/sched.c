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

void xs_sleep_until_ns(uint64_t t) {
    for (;;) {
        uint64_t now = xs_now_ns();
        if (now >= t) return;
        uint64_t d = t - now;
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
    pthread_mutex_lock(&r->mu);
    advance(r, mono_ns());
    while (op->remaining > 1e-9 && !(abort_flag && *abort_flag)) {
        double left_s = op->remaining / op->rate;
        uint64_t now = mono_ns();
        uint64_t wake = now + (uint64_t)ceil(left_s * 1e9);
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
