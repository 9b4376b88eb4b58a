// Engines (one worker thread per hardware queue), command lists, command queues and fences.
#include "xpusim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int shutting_down;

// ---- timing helpers -------------------------------------------------------------------------------
static bool is_device_mem(const void *p, xs_device **owner) {
    xs_alloc *a = xs_alloc_find(p);
    if (owner) *owner = a ? a->dev : NULL;
    return a && a->type != ZE_MEMORY_TYPE_HOST;
}

// Models a transfer of `bytes` (read+write of a copy, or write of a fill) on engine e and performs it
// with do_it(): after the fixed latency, the command takes its share of the link or of the memory
// bandwidth, does the real host copy while holding that share, then waits for the modelled rest.
static void transfer(xs_engine *e, void *dst, const void *src, size_t bytes, void (*do_it)(const xs_cmd *), const xs_cmd *c) {
    xs_device *d = e->dev;
    const xs_profile *p = d->prof;
    bool copy_engine = e->kind == XS_ENGINE_BCS || e->kind == XS_ENGINE_LINK_BCS;
    bool dst_dev = is_device_mem(dst, NULL), src_dev = !src || is_device_mem(src, NULL);
    bool host_side = !dst_dev || !src_dev;
    double slow = xs_drv.faults.slow;
    xs_engine_delay(e, (uint64_t)((copy_engine ? 8000.0 : 4000.0) * slow));  // fixed submission latency
    xs_resource *r;
    double work, demand;
    if (host_side && !p->integrated) {
        // host <-> device over the card's link (one resource per direction): one engine can saturate it
        r = dst_dev ? &d->card->h2d : &d->card->d2h;
        work = (double)bytes / (p->link_gbs * 1e9) * slow;
        demand = 1.0;
    } else {
        double bw = p->mem_bw_gbs * 1e9 * d->n_tiles;
        double engine_bw = copy_engine ? p->copy_engine_gbs * 1e9 : 0.8 * bw;
        r = &d->res->membw;
        demand = engine_bw / bw > 1 ? 1 : engine_bw / bw;
        work = (double)bytes / bw * slow;
    }
    xs_resource_op op;
    xs_resource_begin(r, &op, work, demand);
    do_it(c);
    xs_resource_finish(r, &op, &shutting_down);
}

static void do_copy(const xs_cmd *c) { memmove(c->u.copy.dst, c->u.copy.src, c->u.copy.size); }
static void do_copy_region(const xs_cmd *c) {
    const ze_copy_region_t *dr = &c->u.region.dr, *sr = &c->u.region.sr;
    for (uint32_t z = 0; z < dr->depth; z++)
        for (uint32_t y = 0; y < dr->height; y++)
            memmove(c->u.region.dst + (dr->originZ + z) * c->u.region.dslice + (dr->originY + y) * c->u.region.dpitch + dr->originX,
                    c->u.region.src + (sr->originZ + z) * c->u.region.sslice + (sr->originY + y) * c->u.region.spitch + sr->originX, dr->width);
}
// byte offset one past the last byte a region touches
static size_t region_end(const ze_copy_region_t *r, size_t pitch, size_t slice) {
    if (!r->width || !r->height || !r->depth) return 0;
    return (r->originZ + r->depth - 1) * slice + (r->originY + r->height - 1) * pitch + r->originX + r->width;
}
static void do_fill(const xs_cmd *c) {
    const uint8_t *pat = c->u.fill.big_pattern ? c->u.fill.big_pattern : c->u.fill.pattern;
    uint8_t *dst = c->u.fill.dst;
    size_t ps = c->u.fill.psize, n = c->u.fill.size;
    if (ps == 1) memset(dst, pat[0], n);
    else for (size_t off = 0; off < n; off += ps) memcpy(dst + off, pat, n - off < ps ? n - off : ps);
}

// A range that starts inside a USM allocation must end inside it; otherwise the GPU page-faults.
// Ranges outside every allocation are plain host memory, which the driver copies as is.
static bool range_ok(const void *p, size_t n) {
    xs_alloc *a = xs_alloc_find(p);
    return !a || (uintptr_t)p + n <= (uintptr_t)a->base + a->size;
}

// ---- engine worker --------------------------------------------------------------------------------
static bool count_op(xs_engine *e) {
    uint64_t n = __atomic_add_fetch(&xs_drv.ops_total, 1, __ATOMIC_SEQ_CST);
    if (xs_drv.faults.device_lost_after_ops && n > xs_drv.faults.device_lost_after_ops) { xs_set_lost(); return false; }
    xs_device *root = e->dev->root;
    uint64_t dn = __atomic_add_fetch(&root->ops, 1, __ATOMIC_SEQ_CST);
    uint32_t o = root->ordinal;
    if (o < XS_MAX_DEVICES && xs_drv.faults.dev_lost_set[o] && dn > xs_drv.faults.dev_lost_after_ops[o]) {
        xs_set_device_lost(root);
        return false;
    }
    return true;
}

// ---- device time ----------------------------------------------------------------------------------
// A GPU engine runs the commands queued to it back to back, whether or not any host thread has a CPU
// at that moment. Its simulated engine is a host thread, which the OS preempts for other threads (the
// program's, a profiler's, anything else on the machine) or wakes late, and every such pause used to
// stall the simulated GPU: its modelled waits ran on the thread's wall clock. So the engine keeps its
// device time: a command starts when the previous one ended, it was submitted, and the events it waits
// for were signalled (whichever is last), even when the thread only gets to it later; its fixed
// latencies (xs_engine_delay) wait from that device time, and what the thread runs late (lag_ns) is
// made up on the next waits instead of stretching every later command. Timestamps are device time:
// never later than when the thread signals the event (the host sees a signal no earlier than the
// command's end, as on hardware), never earlier than the submission. Shared-resource work (sched.c)
// still runs in host time.
//
// Between two commands an engine's command streamer needs a little time of its own (fetching and
// dispatching the next command after the previous one's end of pipe): back-to-back commands are this far
// apart (several 19.2 MHz timestamp ticks, so one's end and the next one's start never share a tick).
#define XS_ENGINE_GAP_NS 200u

void xs_engine_delay(xs_engine *e, uint64_t ns) {
    uint64_t now = xs_now_ns();
    uint64_t device_now = now - (e->lag_ns < now ? e->lag_ns : now);
    uint64_t target = device_now + ns;
    if (target > now) {
        xs_sleep_until_ns(target);
        now = xs_now_ns();
    }
    e->lag_ns = now > target ? now - target : 0;
}

static void run_cmd(xs_engine *e, xs_cmd *c, uint64_t ready_ns) {
    // 1. wait for the events this command depends on (a semaphore wait: the engine stalls)
    if (c->nwait) {
        pthread_mutex_lock(&xs_ev_mu);
        for (uint32_t i = 0; i < c->nwait; i++) c->waits[i]->waiters++;
        for (;;) {
            bool all = true;
            for (uint32_t i = 0; i < c->nwait; i++) if (!c->waits[i]->state) { all = false; break; }
            if (all || xs_dev_lost(e->dev) || shutting_down) break;
            xs_ev_wait_until(xs_deadline(100000000ull));
        }
        for (uint32_t i = 0; i < c->nwait; i++) {
            c->waits[i]->waiters--;
            if (c->waits[i]->signal_ns > ready_ns) ready_ns = c->waits[i]->signal_ns;
        }
        pthread_mutex_unlock(&xs_ev_mu);
    }
    if (xs_dev_lost(e->dev) || shutting_down) return;
    // device time (above): the later of the previous command's end (plus the command streamer's gap
    // between commands), the submission and the signals waited for
    uint64_t now = xs_now_ns();
    uint64_t after_prev = e->prev_end_ns ? e->prev_end_ns + XS_ENGINE_GAP_NS : 0;
    uint64_t t0 = after_prev > ready_ns ? after_prev : ready_ns;
    if (t0 > now) t0 = now;
    e->lag_ns = now - t0;
    uint64_t start = xs_ticks_from_ns(t0);
    bool ok = true;
    bool work = c->kind == XS_C_COPY || c->kind == XS_C_FILL || c->kind == XS_C_KERNEL || c->kind == XS_C_COPY_REGION;
    if (work) {
        pthread_mutex_lock(&e->mu);
        e->busy_since_ns = now;  // for sysman engine activity (host time, as before: it never runs backwards)
        pthread_mutex_unlock(&e->mu);
    }
    switch (c->kind) {
    case XS_C_COPY:
        if (!(ok = count_op(e))) break;
        if (!range_ok(c->u.copy.dst, c->u.copy.size) || !range_ok(c->u.copy.src, c->u.copy.size)) {
            xs_debug("copy beyond the end of an allocation (page fault): device lost");
            xs_set_device_lost(e->dev);
            ok = false;
            break;
        }
        transfer(e, c->u.copy.dst, c->u.copy.src, c->u.copy.size, do_copy, c);
        break;
    case XS_C_FILL:
        if (!(ok = count_op(e))) break;
        if (!range_ok(c->u.fill.dst, c->u.fill.size)) {
            xs_debug("fill beyond the end of an allocation (page fault): device lost");
            xs_set_device_lost(e->dev);
            ok = false;
            break;
        }
        transfer(e, c->u.fill.dst, NULL, c->u.fill.size, do_fill, c);
        break;
    case XS_C_TIMESTAMP: {
        if (!(ok = count_op(e))) break;
        uint32_t bits = e->dev->prof->timestamp_bits;
        uint64_t t = xs_ticks_from_ns(xs_now_ns() - e->lag_ns);
        *c->u.ts.dst = bits >= 64 ? t : (t & ((1ull << bits) - 1));
        break;
    }
    case XS_C_KERNEL:
        if (!(ok = count_op(e))) break;
        ok = xs_kernel_run(e, c, &shutting_down);
        break;
    case XS_C_RESET:
        xs_event_reset(c->u.reset.ev);
        break;
    case XS_C_COPY_REGION: {
        if (!(ok = count_op(e))) break;
        size_t dend = region_end(&c->u.region.dr, c->u.region.dpitch, c->u.region.dslice);
        size_t send = region_end(&c->u.region.sr, c->u.region.spitch, c->u.region.sslice);
        if (!range_ok(c->u.region.dst, dend) || !range_ok(c->u.region.src, send)) {
            xs_debug("region copy beyond the end of an allocation (page fault): device lost");
            xs_set_device_lost(e->dev);
            ok = false;
            break;
        }
        size_t bytes = (size_t)c->u.region.dr.width * c->u.region.dr.height * c->u.region.dr.depth;
        transfer(e, c->u.region.dst, c->u.region.src, bytes, do_copy_region, c);
        break;
    }
    case XS_C_QUERY_TS: {
        uint32_t bits = e->dev->prof->kernel_timestamp_bits;
        uint64_t mask = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
        pthread_mutex_lock(&xs_ev_mu);
        for (uint32_t i = 0; i < c->u.qts.n; i++) {
            xs_event *ev = c->u.qts.events[i];
            ze_kernel_timestamp_result_t r;
            memset(&r, 0, sizeof r);
            if (ev->state && ev->has_ts) {
                r.global.kernelStart = r.context.kernelStart = ev->ts_start & mask;
                r.global.kernelEnd = r.context.kernelEnd = ev->ts_end & mask;
            }
            size_t off = c->u.qts.offsets ? c->u.qts.offsets[i] : i * sizeof r;
            memcpy(c->u.qts.dst + off, &r, sizeof r);
        }
        pthread_mutex_unlock(&xs_ev_mu);
        break;
    }
    default:
        break;
    }
    uint64_t host_end = xs_now_ns();
    uint64_t t1 = host_end - e->lag_ns;
    if (t1 < t0) t1 = t0;
    e->prev_end_ns = t1;
    e->lag_ns = 0;
    if (work) {
        pthread_mutex_lock(&e->mu);
        e->busy_since_ns = 0;
        e->busy_ns += host_end - now;
        e->ops_done++;
        pthread_mutex_unlock(&e->mu);
    }
    xs_debug("engine %u.%u: cmd %d took %.3f ms", e->ordinal, e->index, c->kind, (double)(t1 - t0) * 1e-6);
    if (!ok || xs_dev_lost(e->dev)) return;
    if (c->signal) {
        uint64_t end = xs_ticks_from_ns(t1);
        xs_event_signal(c->signal, (c->signal->pool->flags & ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP) != 0, start, end, t1);
    }
}

static void finish_batch(xs_batch *b) {
    pthread_mutex_lock(&xs_ev_mu);
    if (b->done_counter) (*b->done_counter)++;
    if (b->fence) b->fence->state = 1;
    if (xs_done_waiters) pthread_cond_broadcast(&xs_ev_cv);
    pthread_mutex_unlock(&xs_ev_mu);
    if (b->list) {
        pthread_mutex_lock(&b->list->mu);
        b->list->inflight--;
        pthread_cond_broadcast(&b->list->cv);
        pthread_mutex_unlock(&b->list->mu);
    }
    if (b->own) { xs_cmd_free(b->own); free(b->own); }
    free(b);
}

static void *worker(void *arg) {
    xs_engine *e = arg;
    xs_precise_thread();
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (!e->head && !e->stop) pthread_cond_wait(&e->cv, &e->mu);
        if (!e->head) break;
        xs_batch *b = e->head;
        e->head = b->next;
        if (!e->head) e->tail = NULL;
        pthread_mutex_unlock(&e->mu);
        xs_cmd *cmds = b->own ? b->own : b->list->cmds;
        for (size_t i = 0; i < b->n; i++) run_cmd(e, &cmds[i], b->submit_ns);
        finish_batch(b);
        pthread_mutex_lock(&e->mu);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

void xs_engine_submit(xs_engine *e, xs_batch *b) {
    b->submit_ns = xs_now_ns();
    b->submit_ticks = xs_ticks_from_ns(b->submit_ns);
    b->next = NULL;
    pthread_mutex_lock(&e->mu);
    if (!e->started) {
        e->stop = false;
        if (pthread_create(&e->thread, NULL, worker, e) == 0) e->started = true;
    }
    if (e->tail) e->tail->next = b; else e->head = b;
    e->tail = b;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

void xs_engines_stop_all(void) {
    shutting_down = 1;
    pthread_mutex_lock(&xs_ev_mu);
    pthread_cond_broadcast(&xs_ev_cv);
    pthread_mutex_unlock(&xs_ev_mu);
    for (uint32_t i = 0; i < xs_drv.n_all; i++) {
        xs_device *d = xs_drv.all[i];
        for (uint32_t j = 0; j < d->n_engines; j++) {
            xs_engine *e = &d->engines[j];
            pthread_mutex_lock(&e->mu);
            bool started = e->started;
            e->stop = true;
            pthread_cond_broadcast(&e->cv);
            pthread_mutex_unlock(&e->mu);
            if (started) pthread_join(e->thread, NULL);
            e->started = false;
        }
    }
}

// ---- commands -------------------------------------------------------------------------------------
void xs_cmd_free(xs_cmd *c) {
    free(c->waits);
    c->waits = NULL;
    if (c->kind == XS_C_FILL) free((void *)c->u.fill.big_pattern);
    if (c->kind == XS_C_QUERY_TS) { free(c->u.qts.events); free(c->u.qts.offsets); c->u.qts.events = NULL; c->u.qts.offsets = NULL; }
}

// Validates the signal/wait events of an append and stores them in c.
static ze_result_t cmd_events(xs_cmd *c, ze_event_handle_t sig, uint32_t nwait, ze_event_handle_t *waits) {
    if (sig && !xs_event_valid(sig)) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    if (nwait && !waits) return ZE_RESULT_ERROR_INVALID_SIZE;
    for (uint32_t i = 0; i < nwait; i++) {
        if (!waits[i]) return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
        if (!xs_event_valid(waits[i])) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    c->signal = (xs_event *)sig;
    c->nwait = nwait;
    c->waits = NULL;
    if (nwait) {
        c->waits = malloc(nwait * sizeof *c->waits);
        if (!c->waits) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        for (uint32_t i = 0; i < nwait; i++) c->waits[i] = (xs_event *)waits[i];
    }
    return ZE_RESULT_SUCCESS;
}

// ---- command lists --------------------------------------------------------------------------------
static ze_result_t new_list(ze_context_handle_t hc, ze_device_handle_t hd, uint32_t ordinal, uint32_t index, bool imm, xs_cmdlist **out) {
    XS_CHECK_HANDLE(hc, XS_T_CONTEXT);
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    xs_device *d = (xs_device *)hd;
    XS_CHECK_DEV_LOST(d);
    if (ordinal >= d->prof->n_groups) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    if (index >= d->prof->groups[ordinal].count) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    xs_cmdlist *l = calloc(1, sizeof *l);
    if (!l) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    l->magic = XS_MAGIC;
    l->ctx = (xs_context *)hc;
    l->dev = d;
    l->ordinal = ordinal;
    l->index = index;
    l->immediate = imm;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    *out = l;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeCommandListCreate(ze_context_handle_t hc, ze_device_handle_t hd, const ze_command_list_desc_t *desc, ze_command_list_handle_t *ph) {
    XS_CHECK_INIT();
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(ph);
    XS_CHECK_LOST();
    if (desc->flags > 0xF) return ZE_RESULT_ERROR_INVALID_ENUMERATION;  // RELAXED|THROUGHPUT|EXPLICIT_ONLY|IN_ORDER(1.7)
    xs_cmdlist *l;
    ze_result_t r = new_list(hc, hd, desc->commandQueueGroupOrdinal, 0, false, &l);
    if (r) return r;
    l->flags = desc->flags;
    xs_reg_add(l, XS_T_LIST);
    *ph = (ze_command_list_handle_t)l;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeCommandListCreateImmediate(ze_context_handle_t hc, ze_device_handle_t hd, const ze_command_queue_desc_t *desc, ze_command_list_handle_t *ph) {
    XS_CHECK_INIT();
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(ph);
    XS_CHECK_LOST();
    if (desc->flags > 0x7) return ZE_RESULT_ERROR_INVALID_ENUMERATION;  // EXPLICIT_ONLY|IN_ORDER(1.7)|COPY_OFFLOAD_HINT
    if (desc->mode > ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    xs_cmdlist *l;
    ze_result_t r = new_list(hc, hd, desc->ordinal, desc->index, true, &l);
    if (r) return r;
    l->flags = desc->flags;
    l->mode = desc->mode;
    xs_reg_add(l, XS_T_LIST);
    *ph = (ze_command_list_handle_t)l;
    return ZE_RESULT_SUCCESS;
}

static void list_wait_idle(xs_cmdlist *l) {
    pthread_mutex_lock(&l->mu);
    while (l->inflight) pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
    if (l->immediate) {
        pthread_mutex_lock(&xs_ev_mu);
        while (l->imm_done < l->imm_submitted) xs_done_wait_until(xs_deadline(50000000ull));
        pthread_mutex_unlock(&xs_ev_mu);
    }
}

static void list_clear(xs_cmdlist *l) {
    for (size_t i = 0; i < l->n; i++) xs_cmd_free(&l->cmds[i]);
    l->n = 0;
}

XS_IMPL ze_result_t xs_zeCommandListDestroy(ze_command_list_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_LIST);
    xs_cmdlist *l = (xs_cmdlist *)h;
    xs_reg_del(l);
    list_wait_idle(l);
    list_clear(l);
    free(l->cmds);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    l->magic = 0;
    free(l);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeCommandListClose(ze_command_list_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_LIST);
    xs_cmdlist *l = (xs_cmdlist *)h;
    if (l->immediate) return ZE_RESULT_SUCCESS;
    pthread_mutex_lock(&l->mu);
    l->closed = true;
    pthread_mutex_unlock(&l->mu);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeCommandListReset(ze_command_list_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_LIST);
    xs_cmdlist *l = (xs_cmdlist *)h;
    list_wait_idle(l);
    pthread_mutex_lock(&l->mu);
    list_clear(l);
    l->closed = false;
    pthread_mutex_unlock(&l->mu);
    return ZE_RESULT_SUCCESS;
}

// zeCommandListHostSynchronize (spec 1.6; reachable with loaders that pass >= 1.6): waits for the
// work appended to an immediate list so far.
XS_IMPL ze_result_t xs_zeCommandListHostSynchronize(ze_command_list_handle_t h, uint64_t timeout) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_LIST);
    xs_cmdlist *l = (xs_cmdlist *)h;
    if (!l->immediate) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    uint64_t deadline = xs_deadline(timeout);
    ze_result_t r = ZE_RESULT_NOT_READY;
    pthread_mutex_lock(&xs_ev_mu);
    uint64_t target = l->imm_submitted;
    for (;;) {
        if (xs_dev_lost(l->dev)) { r = ZE_RESULT_ERROR_DEVICE_LOST; break; }
        if (l->imm_done >= target) { r = ZE_RESULT_SUCCESS; break; }
        if (timeout == 0 || !xs_done_wait_until(deadline)) break;
    }
    pthread_mutex_unlock(&xs_ev_mu);
    return r;
}

static bool list_is_copy_only(const xs_cmdlist *l) {
    int k = l->dev->prof->groups[l->ordinal].kind;
    return k == XS_ENGINE_BCS || k == XS_ENGINE_LINK_BCS;
}

static xs_engine *list_engine(const xs_cmdlist *l) { return &l->dev->engines[l->dev->group_first[l->ordinal] + l->index]; }

// Appends (regular list) or submits (immediate list) a prepared command; takes ownership of c's
// allocations in every case.
static ze_result_t list_push(xs_cmdlist *l, xs_cmd *c) {
    if (xs_dev_lost(l->dev)) { xs_cmd_free(c); return ZE_RESULT_ERROR_DEVICE_LOST; }
    // the event now belongs to this device: if the device is lost, waiting on it reports the loss
    if (c->signal) __atomic_store_n(&c->signal->signaller, l->dev, __ATOMIC_RELEASE);
    if (l->immediate) {
        xs_batch *b = calloc(1, sizeof *b);
        xs_cmd *own = malloc(sizeof *own);
        if (!b || !own) { free(b); free(own); xs_cmd_free(c); return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; }
        *own = *c;
        b->own = own;
        b->n = 1;
        b->done_counter = &l->imm_done;
        pthread_mutex_lock(&xs_ev_mu);
        uint64_t target = ++l->imm_submitted;
        pthread_mutex_unlock(&xs_ev_mu);
        xs_engine_submit(list_engine(l), b);
        if (l->mode == ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS) {
            ze_result_t r = ZE_RESULT_SUCCESS;
            pthread_mutex_lock(&xs_ev_mu);
            while (l->imm_done < target && !xs_dev_lost(l->dev)) xs_done_wait_until(UINT64_MAX);
            if (xs_dev_lost(l->dev)) r = ZE_RESULT_ERROR_DEVICE_LOST;
            pthread_mutex_unlock(&xs_ev_mu);
            return r;
        }
        return ZE_RESULT_SUCCESS;
    }
    pthread_mutex_lock(&l->mu);
    if (l->closed) { pthread_mutex_unlock(&l->mu); xs_cmd_free(c); return ZE_RESULT_ERROR_INVALID_ARGUMENT; }
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        xs_cmd *na = realloc(l->cmds, nc * sizeof *na);
        if (!na) { pthread_mutex_unlock(&l->mu); xs_cmd_free(c); return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; }
        l->cmds = na;
        l->cap = nc;
    }
    l->cmds[l->n++] = *c;
    pthread_mutex_unlock(&l->mu);
    return ZE_RESULT_SUCCESS;
}

#define LIST(h) XS_CHECK_INIT(); XS_CHECK_HANDLE(h, XS_T_LIST); xs_cmdlist *l = (xs_cmdlist *)(h)
#define EVENTS(c, sig, n, w) do { ze_result_t _r = cmd_events(&(c), sig, n, w); if (_r) { xs_cmd_free(&(c)); return _r; } } while (0)

XS_IMPL ze_result_t xs_zeCommandListAppendBarrier(ze_command_list_handle_t h, ze_event_handle_t sig, uint32_t n, ze_event_handle_t *w) {
    LIST(h);
    xs_cmd c = { .kind = XS_C_NOP };
    EVENTS(c, sig, n, w);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendMemoryRangesBarrier(ze_command_list_handle_t h, uint32_t nr, const size_t *sizes, const void **ranges, ze_event_handle_t sig, uint32_t n, ze_event_handle_t *w) {
    LIST(h);
    if (nr && (!sizes || !ranges)) return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    xs_cmd c = { .kind = XS_C_NOP };
    EVENTS(c, sig, n, w);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendSignalEvent(ze_command_list_handle_t h, ze_event_handle_t ev) {
    LIST(h);
    XS_CHECK_HANDLE(ev, XS_T_EVENT);
    xs_cmd c = { .kind = XS_C_SIGNAL_ONLY };
    EVENTS(c, ev, 0, NULL);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendWaitOnEvents(ze_command_list_handle_t h, uint32_t n, ze_event_handle_t *w) {
    LIST(h);
    if (!w && n) return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    xs_cmd c = { .kind = XS_C_NOP };
    EVENTS(c, NULL, n, w);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendEventReset(ze_command_list_handle_t h, ze_event_handle_t ev) {
    LIST(h);
    XS_CHECK_HANDLE(ev, XS_T_EVENT);
    xs_cmd c = { .kind = XS_C_RESET };
    c.u.reset.ev = (xs_event *)ev;
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendWriteGlobalTimestamp(ze_command_list_handle_t h, uint64_t *dst, ze_event_handle_t sig, uint32_t n, ze_event_handle_t *w) {
    LIST(h);
    XS_CHECK_PTR(dst);
    xs_cmd c = { .kind = XS_C_TIMESTAMP };
    c.u.ts.dst = dst;
    EVENTS(c, sig, n, w);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendMemoryCopy(ze_command_list_handle_t h, void *dst, const void *src, size_t size, ze_event_handle_t sig, uint32_t n, ze_event_handle_t *w) {
    LIST(h);
    XS_CHECK_PTR(dst);
    XS_CHECK_PTR(src);
    xs_cmd c = { .kind = XS_C_COPY };
    c.u.copy.dst = dst;
    c.u.copy.src = src;
    c.u.copy.size = size;
    EVENTS(c, sig, n, w);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendMemoryCopyRegion(ze_command_list_handle_t h, void *dst, const ze_copy_region_t *dr, uint32_t dpitch, uint32_t dslice,
                                                         const void *src, const ze_copy_region_t *sr, uint32_t spitch, uint32_t sslice,
                                                         ze_event_handle_t sig, uint32_t n, ze_event_handle_t *w) {
    LIST(h);
    XS_CHECK_PTR(dst);
    XS_CHECK_PTR(dr);
    XS_CHECK_PTR(src);
    XS_CHECK_PTR(sr);
    if (dr->width != sr->width || dr->height != sr->height || dr->depth != sr->depth) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    xs_cmd c = { .kind = XS_C_COPY_REGION };
    c.u.region.dst = dst;
    c.u.region.src = src;
    c.u.region.dr = *dr;
    c.u.region.sr = *sr;
    c.u.region.dpitch = dpitch ? dpitch : dr->width;
    c.u.region.dslice = dslice ? dslice : c.u.region.dpitch * dr->height;
    c.u.region.spitch = spitch ? spitch : sr->width;
    c.u.region.sslice = sslice ? sslice : c.u.region.spitch * sr->height;
    EVENTS(c, sig, n, w);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendQueryKernelTimestamps(ze_command_list_handle_t h, uint32_t nev, ze_event_handle_t *events, void *dst,
                                                              const size_t *offsets, ze_event_handle_t sig, uint32_t n, ze_event_handle_t *w) {
    LIST(h);
    XS_CHECK_PTR(dst);
    if (nev && !events) return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    for (uint32_t i = 0; i < nev; i++) {
        if (!events[i]) return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
        if (!xs_event_valid(events[i])) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    xs_cmd c = { .kind = XS_C_QUERY_TS };
    c.u.qts.n = nev;
    c.u.qts.dst = dst;
    c.u.qts.events = nev ? malloc(nev * sizeof *c.u.qts.events) : NULL;
    c.u.qts.offsets = offsets && nev ? malloc(nev * sizeof *c.u.qts.offsets) : NULL;
    if ((nev && !c.u.qts.events) || (offsets && nev && !c.u.qts.offsets)) { xs_cmd_free(&c); return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; }
    for (uint32_t i = 0; i < nev; i++) {
        c.u.qts.events[i] = (xs_event *)events[i];
        if (offsets) c.u.qts.offsets[i] = offsets[i];
    }
    EVENTS(c, sig, n, w);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendMemoryFill(ze_command_list_handle_t h, void *dst, const void *pattern, size_t psize, size_t size, ze_event_handle_t sig, uint32_t n, ze_event_handle_t *w) {
    LIST(h);
    XS_CHECK_PTR(dst);
    XS_CHECK_PTR(pattern);
    if (psize == 0 || psize > l->dev->prof->groups[l->ordinal].fill_max) return ZE_RESULT_ERROR_INVALID_SIZE;
    xs_cmd c = { .kind = XS_C_FILL };
    c.u.fill.dst = dst;
    c.u.fill.psize = psize;
    c.u.fill.size = size;
    if (psize <= sizeof c.u.fill.pattern) memcpy(c.u.fill.pattern, pattern, psize);
    else {
        void *copy = malloc(psize);
        if (!copy) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        memcpy(copy, pattern, psize);
        c.u.fill.big_pattern = copy;
    }
    EVENTS(c, sig, n, w);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendMemoryPrefetch(ze_command_list_handle_t h, const void *ptr, size_t size) {
    LIST(h);
    (void)l; (void)size;
    XS_CHECK_PTR(ptr);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeCommandListAppendMemAdvise(ze_command_list_handle_t h, ze_device_handle_t hd, const void *ptr, size_t size, ze_memory_advice_t advice) {
    LIST(h);
    (void)l; (void)size;
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    XS_CHECK_PTR(ptr);
    if ((uint32_t)advice > 0x10u) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeCommandListAppendLaunchKernel(ze_command_list_handle_t h, ze_kernel_handle_t hk, const ze_group_count_t *gc, ze_event_handle_t sig, uint32_t n, ze_event_handle_t *w) {
    LIST(h);
    XS_CHECK_HANDLE(hk, XS_T_KERNEL);
    XS_CHECK_PTR(gc);
    if (list_is_copy_only(l)) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    xs_kernel *k = (xs_kernel *)hk;
    uint32_t all = k->info->nargs >= 32 ? UINT32_MAX : ((1u << k->info->nargs) - 1);
    if ((k->args_set & all) != all) return ZE_RESULT_ERROR_INVALID_ARGUMENT;  // every argument must be set
    xs_cmd c = { .kind = XS_C_KERNEL };
    c.u.k.info = k->info;
    c.u.k.dev = l->dev;
    c.u.k.gx = k->gx; c.u.k.gy = k->gy; c.u.k.gz = k->gz;
    c.u.k.cx = gc->groupCountX; c.u.k.cy = gc->groupCountY; c.u.k.cz = gc->groupCountZ;
    memcpy(c.u.k.args, k->args, sizeof c.u.k.args);
    EVENTS(c, sig, n, w);
    return list_push(l, &c);
}

XS_IMPL ze_result_t xs_zeCommandListAppendLaunchCooperativeKernel(ze_command_list_handle_t h, ze_kernel_handle_t hk, const ze_group_count_t *gc, ze_event_handle_t sig, uint32_t n, ze_event_handle_t *w) {
    return xs_zeCommandListAppendLaunchKernel(h, hk, gc, sig, n, w);
}

// ---- command queues -------------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeCommandQueueCreate(ze_context_handle_t hc, ze_device_handle_t hd, const ze_command_queue_desc_t *desc, ze_command_queue_handle_t *ph) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(hc, XS_T_CONTEXT);
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(ph);
    xs_device *d = (xs_device *)hd;
    XS_CHECK_DEV_LOST(d);
    if (desc->flags > 0x7 || desc->mode > ZE_COMMAND_QUEUE_MODE_ASYNCHRONOUS || desc->priority > ZE_COMMAND_QUEUE_PRIORITY_PRIORITY_HIGH)
        return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    if (desc->ordinal >= d->prof->n_groups || desc->index >= d->prof->groups[desc->ordinal].count) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    xs_queue *q = calloc(1, sizeof *q);
    if (!q) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    q->magic = XS_MAGIC;
    q->ctx = (xs_context *)hc;
    q->dev = d;
    q->desc = *desc;
    q->desc.pNext = NULL;
    q->eng = &d->engines[d->group_first[desc->ordinal] + desc->index];
    xs_reg_add(q, XS_T_QUEUE);
    *ph = (ze_command_queue_handle_t)q;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t queue_sync(xs_queue *q, uint64_t target, uint64_t timeout) {
    uint64_t deadline = xs_deadline(timeout);
    ze_result_t r = ZE_RESULT_NOT_READY;
    pthread_mutex_lock(&xs_ev_mu);
    for (;;) {
        if (xs_dev_lost(q->dev)) { r = ZE_RESULT_ERROR_DEVICE_LOST; break; }
        if (q->done >= target) { r = ZE_RESULT_SUCCESS; break; }
        if (timeout == 0 || !xs_done_wait_until(deadline)) break;
    }
    pthread_mutex_unlock(&xs_ev_mu);
    return r;
}

XS_IMPL ze_result_t xs_zeCommandQueueDestroy(ze_command_queue_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_QUEUE);
    xs_queue *q = (xs_queue *)h;
    xs_reg_del(q);
    pthread_mutex_lock(&xs_ev_mu);
    uint64_t target = q->submitted;
    pthread_mutex_unlock(&xs_ev_mu);
    // wait for the queue's work to drain (even after a device loss the worker finishes each batch)
    pthread_mutex_lock(&xs_ev_mu);
    while (q->done < target) xs_done_wait_until(xs_deadline(50000000ull));
    pthread_mutex_unlock(&xs_ev_mu);
    q->magic = 0;
    free(q);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeCommandQueueExecuteCommandLists(ze_command_queue_handle_t h, uint32_t n, ze_command_list_handle_t *lists, ze_fence_handle_t hf) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_QUEUE);
    xs_queue *q = (xs_queue *)h;
    if (n == 0) return ZE_RESULT_ERROR_INVALID_SIZE;
    XS_CHECK_PTR(lists);
    if (hf) XS_CHECK_HANDLE(hf, XS_T_FENCE);
    XS_CHECK_DEV_LOST(q->dev);
    for (uint32_t i = 0; i < n; i++) {
        XS_CHECK_HANDLE(lists[i], XS_T_LIST);
        xs_cmdlist *l = (xs_cmdlist *)lists[i];
        if (l->immediate || !l->closed) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
        bool lc = list_is_copy_only(l);
        int qk = q->dev->prof->groups[q->desc.ordinal].kind;
        bool qc = qk == XS_ENGINE_BCS || qk == XS_ENGINE_LINK_BCS;
        if (l->dev != q->dev || lc != qc) return ZE_RESULT_ERROR_INVALID_COMMAND_LIST_TYPE;
    }
    xs_fence *f = (xs_fence *)hf;
    if (f) {
        pthread_mutex_lock(&xs_ev_mu);
        f->state = 0;
        pthread_mutex_unlock(&xs_ev_mu);
    }
    uint64_t target = 0;
    for (uint32_t i = 0; i < n; i++) {
        xs_cmdlist *l = (xs_cmdlist *)lists[i];
        xs_batch *b = calloc(1, sizeof *b);
        if (!b) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        pthread_mutex_lock(&l->mu);
        l->inflight++;
        b->n = l->n;
        pthread_mutex_unlock(&l->mu);
        b->list = l;
        b->q = q;
        b->done_counter = &q->done;
        b->fence = i == n - 1 ? f : NULL;
        pthread_mutex_lock(&xs_ev_mu);
        target = ++q->submitted;
        pthread_mutex_unlock(&xs_ev_mu);
        xs_engine_submit(q->eng, b);
    }
    if (q->desc.mode == ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS) return queue_sync(q, target, UINT64_MAX);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeCommandQueueSynchronize(ze_command_queue_handle_t h, uint64_t timeout) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_QUEUE);
    xs_queue *q = (xs_queue *)h;
    pthread_mutex_lock(&xs_ev_mu);
    uint64_t target = q->submitted;
    pthread_mutex_unlock(&xs_ev_mu);
    return queue_sync(q, target, timeout);
}

// ---- fences -----------------------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeFenceCreate(ze_command_queue_handle_t hq, const ze_fence_desc_t *desc, ze_fence_handle_t *ph) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(hq, XS_T_QUEUE);
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(ph);
    if (desc->flags > ZE_FENCE_FLAG_SIGNALED) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    xs_fence *f = calloc(1, sizeof *f);
    if (!f) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    f->magic = XS_MAGIC;
    f->q = (xs_queue *)hq;
    f->dev = f->q->dev;
    f->state = (desc->flags & ZE_FENCE_FLAG_SIGNALED) ? 1 : 0;
    xs_reg_add(f, XS_T_FENCE);
    *ph = (ze_fence_handle_t)f;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeFenceDestroy(ze_fence_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_FENCE);
    xs_fence *f = (xs_fence *)h;
    xs_reg_del(f);
    // a batch may still point at this fence: wait for the queue to drain first
    xs_queue *q = f->q;
    if (xs_reg_is(q, XS_T_QUEUE)) {
        pthread_mutex_lock(&xs_ev_mu);
        while (q->done < q->submitted) xs_done_wait_until(xs_deadline(50000000ull));
        pthread_mutex_unlock(&xs_ev_mu);
    }
    f->magic = 0;
    free(f);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeFenceHostSynchronize(ze_fence_handle_t h, uint64_t timeout) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_FENCE);
    xs_fence *f = (xs_fence *)h;
    uint64_t deadline = xs_deadline(timeout);
    ze_result_t r = ZE_RESULT_NOT_READY;
    pthread_mutex_lock(&xs_ev_mu);
    for (;;) {
        if (xs_dev_lost(f->dev)) { r = ZE_RESULT_ERROR_DEVICE_LOST; break; }
        if (f->state) { r = ZE_RESULT_SUCCESS; break; }
        if (timeout == 0 || !xs_done_wait_until(deadline)) break;
    }
    pthread_mutex_unlock(&xs_ev_mu);
    return r;
}

XS_IMPL ze_result_t xs_zeFenceQueryStatus(ze_fence_handle_t h) { return xs_zeFenceHostSynchronize(h, 0); }

XS_IMPL ze_result_t xs_zeFenceReset(ze_fence_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_FENCE);
    xs_fence *f = (xs_fence *)h;
    pthread_mutex_lock(&xs_ev_mu);
    f->state = 0;
    pthread_mutex_unlock(&xs_ev_mu);
    return ZE_RESULT_SUCCESS;
}
