// Events and event pools. One mutex/condition pair (xs_ev_mu / xs_ev_cv, CLOCK_MONOTONIC, defined in
// state.c) guards all event, fence and completion-counter state; every state change broadcasts.
#include "xpusim.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t xs_deadline(uint64_t timeout_ns) {
    if (timeout_ns == UINT64_MAX) return UINT64_MAX;
    uint64_t n = mono_ns();
    return timeout_ns > UINT64_MAX - n ? UINT64_MAX : n + timeout_ns;
}

// Waits on xs_ev_cv (caller holds xs_ev_mu) until the deadline; returns false once it has passed.
bool xs_ev_wait_until(uint64_t deadline) {
    if (deadline == UINT64_MAX) { pthread_cond_wait(&xs_ev_cv, &xs_ev_mu); return true; }
    if (mono_ns() >= deadline) return false;
    struct timespec ts = { (time_t)(deadline / 1000000000ull), (long)(deadline % 1000000000ull) };
    pthread_cond_timedwait(&xs_ev_cv, &xs_ev_mu, &ts);
    return true;
}

uint32_t xs_done_waiters;

// xs_ev_wait_until for a wait on a completion counter or fence state (caller holds xs_ev_mu).
bool xs_done_wait_until(uint64_t deadline) {
    xs_done_waiters++;
    bool r = xs_ev_wait_until(deadline);
    xs_done_waiters--;
    return r;
}

bool xs_event_valid(ze_event_handle_t h) { return h && xs_reg_is(h, XS_T_EVENT); }

void xs_event_signal(xs_event *e, bool ts, uint64_t start, uint64_t end, uint64_t at_ns) {
    pthread_mutex_lock(&xs_ev_mu);
    if (ts) { e->has_ts = true; e->ts_start = start; e->ts_end = end; }
    e->signal_ns = at_ns;
    // Release: a lock-free zeEventQueryStatus that sees the state also sees the timestamps.
    __atomic_store_n(&e->state, 1, __ATOMIC_RELEASE);
    if (e->waiters) pthread_cond_broadcast(&xs_ev_cv);
    pthread_mutex_unlock(&xs_ev_mu);
}

// Lock-free, as on the hardware (a memory write): no waiter needs waking for a reset, and a profiler
// resetting its timestamp events after reading them must not contend with the engine signalling others.
// (A reset racing a signal of the same event is a race in Level Zero too.)
void xs_event_reset(xs_event *e) {
    __atomic_store_n(&e->has_ts, false, __ATOMIC_RELAXED);
    __atomic_store_n(&e->state, 0, __ATOMIC_RELEASE);
}

// ---- pools --------------------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeEventPoolCreate(ze_context_handle_t hc, const ze_event_pool_desc_t *desc, uint32_t nd, ze_device_handle_t *phd, ze_event_pool_handle_t *ph) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(hc, XS_T_CONTEXT);
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(ph);
    if (nd && !phd) return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    for (uint32_t i = 0; i < nd; i++) XS_CHECK_HANDLE(phd[i], XS_T_DEVICE);
    if (desc->flags > 0xF) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    if (desc->count == 0) return ZE_RESULT_ERROR_INVALID_SIZE;
    // pNext: ze_event_pool_counter_based_exp_desc_t (0x00020014) is accepted; counter-based events
    // behave like regular events here (signalled by the in-order engine, reset by the next use).
    xs_event_pool *p = calloc(1, sizeof *p);
    xs_event *ev = calloc(desc->count, sizeof *ev);
    if (!p || !ev) { free(p); free(ev); return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; }
    p->magic = XS_MAGIC;
    p->ctx = (xs_context *)hc;
    p->flags = desc->flags;
    p->count = desc->count;
    p->events = ev;
    xs_reg_add(p, XS_T_EVENT_POOL);
    *ph = (ze_event_pool_handle_t)p;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeEventPoolDestroy(ze_event_pool_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_EVENT_POOL);
    xs_event_pool *p = (xs_event_pool *)h;
    for (uint32_t i = 0; i < p->count; i++) if (p->events[i].created) xs_reg_del(&p->events[i]);
    xs_reg_del(p);
    p->magic = 0;
    free(p->events);
    free(p);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeEventPoolGetIpcHandle(ze_event_pool_handle_t h, ze_ipc_event_pool_handle_t *ph) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_EVENT_POOL);
    XS_CHECK_PTR(ph);
    return ZE_RESULT_ERROR_UNSUPPORTED_FEATURE;  // IPC is not offered (zeDriverGetIpcProperties: flags 0)
}

// ---- events -------------------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeEventCreate(ze_event_pool_handle_t hp, const ze_event_desc_t *desc, ze_event_handle_t *ph) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(hp, XS_T_EVENT_POOL);
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(ph);
    xs_event_pool *p = (xs_event_pool *)hp;
    if (desc->index >= p->count) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    if (desc->signal > 0x7 || desc->wait > 0x7) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    xs_event *e = &p->events[desc->index];
    pthread_mutex_lock(&xs_ev_mu);
    bool busy = e->created;
    if (!busy) {
        memset(e, 0, sizeof *e);
        e->magic = XS_MAGIC;
        e->pool = p;
        e->index = desc->index;
        e->created = true;
        e->signal_scope = desc->signal;
        e->wait_scope = desc->wait;
        p->live++;
    }
    pthread_mutex_unlock(&xs_ev_mu);
    if (busy) return ZE_RESULT_ERROR_INVALID_ARGUMENT;  // index already in use
    xs_reg_add(e, XS_T_EVENT);
    *ph = (ze_event_handle_t)e;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeEventDestroy(ze_event_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_EVENT);
    xs_event *e = (xs_event *)h;
    xs_reg_del(e);
    pthread_mutex_lock(&xs_ev_mu);
    e->created = false;
    e->magic = 0;
    e->pool->live--;
    pthread_mutex_unlock(&xs_ev_mu);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeEventHostSignal(ze_event_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_EVENT);
    xs_event *e = (xs_event *)h;
    uint64_t ns = xs_now_ns(), t = xs_ticks_from_ns(ns);
    xs_event_signal(e, (e->pool->flags & ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP) != 0, t, t, ns);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeEventHostSynchronize(ze_event_handle_t h, uint64_t timeout) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_EVENT);
    xs_event *e = (xs_event *)h;
    uint64_t deadline = xs_deadline(timeout);
    ze_result_t r = ZE_RESULT_NOT_READY;
    pthread_mutex_lock(&xs_ev_mu);
    e->waiters++;
    for (;;) {
        if (xs_event_lost(e)) { r = ZE_RESULT_ERROR_DEVICE_LOST; break; }
        if (e->state) { r = ZE_RESULT_SUCCESS; break; }
        if (timeout == 0 || !xs_ev_wait_until(deadline)) break;
    }
    e->waiters--;
    pthread_mutex_unlock(&xs_ev_mu);
    return r;
}

// Lock-free, as on the hardware, where an event is a memory location the GPU writes: a host thread
// polling it in a loop must not keep taking the mutex the engine thread needs to signal it (with an
// unfair mutex that starved the signaller — bench/NOTES.md, sync).
XS_IMPL ze_result_t xs_zeEventQueryStatus(ze_event_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_EVENT);
    xs_event *e = (xs_event *)h;
    if (xs_event_lost(e)) return ZE_RESULT_ERROR_DEVICE_LOST;
    return __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) ? ZE_RESULT_SUCCESS : ZE_RESULT_NOT_READY;
}

XS_IMPL ze_result_t xs_zeEventHostReset(ze_event_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_EVENT);
    xs_event_reset((xs_event *)h);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeEventQueryKernelTimestamp(ze_event_handle_t h, ze_kernel_timestamp_result_t *out) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_EVENT);
    XS_CHECK_PTR(out);
    xs_event *e = (xs_event *)h;
    if (!(e->pool->flags & ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP)) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    // Lock-free like zeEventQueryStatus: xs_event_signal writes the timestamps before its release store
    // of the state, so once the state reads 1 (acquire) they are complete. (The host resetting the
    // event while querying it is a race in Level Zero too.)
    bool ready = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) && e->has_ts;
    if (!ready) return xs_event_lost(e) ? ZE_RESULT_ERROR_DEVICE_LOST : ZE_RESULT_NOT_READY;
    uint64_t s = e->ts_start, en = e->ts_end;
    // Kernel timestamps are kernelTimestampValidBits wide (32 on current Intel GPUs) and wrap.
    uint32_t bits = xs_drv.n_devices ? xs_drv.devices[0]->prof->kernel_timestamp_bits : 32;
    uint64_t mask = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
    out->global.kernelStart = s & mask;
    out->global.kernelEnd = en & mask;
    out->context.kernelStart = s & mask;
    out->context.kernelEnd = en & mask;
    return ZE_RESULT_SUCCESS;
}

// zeEventQueryTimestampsExp (ZE_experimental_event_query_timestamps): one timestamp per sub-device
// that executed the command. The simulator executes each command on one engine of one device, so a
// composite root reports the same result for each of its sub-devices.
XS_IMPL ze_result_t xs_zeEventQueryTimestampsExp(ze_event_handle_t h, ze_device_handle_t hd, uint32_t *pCount, ze_kernel_timestamp_result_t *out) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_EVENT);
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    XS_CHECK_PTR(pCount);
    xs_device *d = (xs_device *)hd;
    uint32_t n = d->n_subs ? d->n_subs : 1;
    if (*pCount == 0 || !out) { *pCount = n; return ZE_RESULT_SUCCESS; }
    if (*pCount > n) *pCount = n;
    for (uint32_t i = 0; i < *pCount; i++) {
        ze_result_t r = xs_zeEventQueryKernelTimestamp(h, &out[i]);
        if (r) return r;
    }
    return ZE_RESULT_SUCCESS;
}
