// The tracer callbacks: what the collector does around each Level Zero call of the program.
//
// Timing an operation needs a KERNEL_TIMESTAMP event that it signals:
// - no signal event: the collector passes one of its own in its place (invisible to the program);
// - an event from a pool with KERNEL_TIMESTAMP (the program's own flag, or one the collector added at
//   zeEventPoolCreate, as unitrace does): that event, read before the program resets or reuses it;
// - any other event (IPC and counter-based pools, whose flags cannot change): the operation signals the
//   collector's event and a barrier that waits on it signals the program's ("bridge");
// - appends with no signal parameter (wait, signal, reset): a signal of the collector's event right
//   after them marks when the engine got there.
// Nothing here blocks, waits for the device, or changes what the program's calls return.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <level_zero/layers/zel_tracing_register_cb.h>
#include "collector.h"

#define XC_QUEUE_FLAG_IN_ORDER (1u << 1)   /* ZE_COMMAND_QUEUE_FLAG_IN_ORDER (1.7) */
#define XC_EVENT_POOL_FLAG_MAPPED (1u << 3) /* ZE_EVENT_POOL_FLAG_KERNEL_MAPPED_TIMESTAMP (1.6) */
#define XC_STYPE_COUNTER_BASED_POOL 0x00020014u /* ze_event_pool_counter_based_exp_desc_t */

/** What a prologue leaves for its epilogue (Level Zero calls do not nest on one thread). */
typedef struct xc_call {
    bool active;
    xc_list *list;
    uint8_t kind;
    uint32_t name;
    uint64_t bytes;
    uint32_t groups[3], group_size[3];
    ze_event_handle_t timing;      /* the event that times the op */
    xc_own_event *own;
    xc_user_event *user;           /* the program's event it signals (direct or bridged), if known */
    ze_event_handle_t user_handle; /* that event's handle */
    bool direct, bridge, marker;
    bool marker_before;            /* the marker was appended before the op (a signal: see op_begin) */
    int64_t submit_ns;
    uint32_t nwaits;
    ze_event_handle_t waits[XR_MAX_DEPS];
    /* zeEventPoolCreate */
    ze_event_pool_desc_t pool_desc;
    bool pool_timestamps;
    /* --host-calls: the call being made, as a host span (api NULL when not recorded) */
    const char *host_api;
    int64_t host_t0;
    uint64_t host_id;
    /* zeCommandQueueExecuteCommandLists */
    xc_op **instances;
    uint32_t n_instances, cap_instances;
} xc_call;
static __thread xc_call call XC_TLS;

void xc_callbacks_forked(void) {
    call.active = false;
    call.n_instances = 0;
}

/** With XPUSCOPE_HOST_CALLS: the call starting now is a host span (its id is taken now, under xc.mu). */
static void host_begin(const char *api) {
    if (xc_inside) return; /* the collector's own call inside another: leave that call's state alone */
    call.host_api = NULL;
    if (!xc.host_calls || !xc.attached) return;
    call.host_api = api;
    call.host_t0 = xc_now_ns();
    call.host_id = ++xc.next_op;
}

/** Writes the host span of the call that just returned (caller holds xc.mu). */
static void host_end(ze_result_t result) {
    if (!call.host_api) return;
    xc_write_host(call.host_id, call.host_api, call.host_t0, xc_now_ns(), result);
    call.host_api = NULL;
}

static xc_user_event *user_event(ze_event_handle_t h) { return h ? xc_map_get(&xc.user_events, (uintptr_t)h) : NULL; }

/** A fixed operation name, interned the first time it is needed (ids survive fork; exec starts afresh). */
typedef struct {
    const char *text;
    uint32_t id;
} xc_label;
/** The label's string id (caller holds xc.mu: the first use interns it). */
static uint32_t label_id(xc_label *l) {
    if (!l->id) l->id = xc_intern(l->text);
    return l->id;
}
/** A static xc_label for `text`, one per use site (a GNU statement expression, as the asm elsewhere is). */
#define LABEL(text)                                                                                           \
    ({                                                                                                        \
        static xc_label label_ = {text, 0};                                                                   \
        &label_;                                                                                              \
    })

// ---- operations ---------------------------------------------------------------------------------------------

/** Common prologue of an append. `phSignal` may be NULL (the append has no signal parameter). */
static void op_begin(ze_command_list_handle_t hList, ze_event_handle_t *phSignal, uint32_t nwaits,
                     const ze_event_handle_t *waits, uint8_t kind, uint32_t name) {
    if (xc_inside) return; /* the collector's own append, inside another call's epilogue */
    call.active = false;
    if (!xc.attached) return;
    xc_list *list = xc_map_get(&xc.lists, (uintptr_t)hList);
    if (!list) return; /* a list created before tracing started */
    call.active = true;
    call.list = list;
    call.kind = kind;
    call.name = name;
    call.bytes = 0;
    memset(call.groups, 0, sizeof call.groups);
    memset(call.group_size, 0, sizeof call.group_size);
    call.timing = NULL;
    call.own = NULL;
    call.user = NULL;
    call.user_handle = NULL;
    call.direct = call.bridge = call.marker = call.marker_before = false;
    call.nwaits = 0;
    if (waits) {
        for (uint32_t i = 0; i < nwaits && call.nwaits < XR_MAX_DEPS; i++) {
            if (waits[i]) call.waits[call.nwaits++] = waits[i];
        }
    }
    ze_event_handle_t ev = phSignal ? *phSignal : NULL;
    if (phSignal && ev) {
        xc_user_event *ue = user_event(ev);
        call.user = ue;
        call.user_handle = ev;
        if (ue && ue->pool && ue->pool->timestamps) {
            /* The program signals it again: it was reset, so the op it timed before is complete or
               its timestamps are gone. */
            if (ue->pending) xc_harvest_event(ue, true);
            call.direct = true;
            call.timing = ev;
        } else {
            call.own = xc_own_take(list->context);
            if (call.own) {
                *phSignal = call.own->handle;
                call.bridge = true;
                call.timing = call.own->handle;
            }
        }
    } else if (phSignal) {
        call.own = xc_own_take(list->context);
        if (call.own) {
            *phSignal = call.own->handle;
            call.timing = call.own->handle;
        }
    } else {
        call.own = xc_own_take(list->context);
        if (call.own) {
            call.marker = true;
            call.timing = call.own->handle;
            /*
             * A signal is marked just before it, so that what waits for it never appears to end before
             * it (a marker after the signal can run after the waiter on another engine already has).
             * Waits and resets are marked after: when the engine got past them.
             */
            if (kind == XR_OP_SIGNAL) {
                xc_inside++;
                ze_result_t r = xc.hot.CommandListAppendSignalEvent(hList, call.own->handle);
                xc_inside--;
                if (r == ZE_RESULT_SUCCESS) {
                    call.marker_before = true;
                } else {
                    xc_own_release(call.own);
                    call.own = NULL;
                    call.marker = false;
                    call.timing = NULL;
                }
            }
        }
    }
    call.submit_ns = xc_now_ns();
}

static void resolve_deps(uint64_t *deps, uint16_t *ndeps, uint32_t nwaits, const ze_event_handle_t *waits) {
    uint16_t n = 0;
    for (uint32_t i = 0; i < nwaits && n < XR_MAX_DEPS; i++) {
        xc_user_event *ue = user_event(waits[i]);
        if (ue && ue->signaller) {
            bool dup = false;
            for (uint16_t k = 0; k < n; k++) dup |= deps[k] == ue->signaller;
            if (!dup) deps[n++] = ue->signaller;
        }
    }
    *ndeps = n;
}

/** Common epilogue of an append: the op is submitted (immediate list) or kept as a template. */
static void op_end(ze_result_t result) {
    if (!call.active) return;
    call.active = false;
    xc_list *list = call.list;
    if (result != ZE_RESULT_SUCCESS) {
        /* A marker already appended will still be signalled: its event is not reused (rare error path). */
        if (call.own && !call.marker_before) xc_own_release(call.own);
        return;
    }
    if (call.bridge || (call.marker && !call.marker_before)) {
        xc_inside++;
        ze_result_t r = call.bridge ? xc.hot.CommandListAppendBarrier(list->handle, call.user_handle, 1, &call.own->handle)
                                    : xc.hot.CommandListAppendSignalEvent(list->handle, call.own->handle);
        xc_inside--;
        if (r != ZE_RESULT_SUCCESS && call.bridge) {
            xc_message("could not append the barrier that signals the program's event after an operation "
                       "(0x%x): the program may wait forever; rerun without xpuscope",
                       (unsigned)r);
        }
        if (r != ZE_RESULT_SUCCESS && call.marker) {
            xc_own_release(call.own);
            call.own = NULL;
            call.timing = NULL;
        }
    }
    if (list->immediate) {
        xc_op *op = xc_op_new();
        if (!op) return;
        op->id = ++xc.next_op;
        op->lane = list->lane;
        op->kind = call.kind;
        op->name = call.name;
        op->bytes = call.bytes;
        op->submit_ns = call.submit_ns;
        memcpy(op->groups, call.groups, sizeof op->groups);
        memcpy(op->group_size, call.group_size, sizeof op->group_size);
        op->event = call.timing;
        op->own = call.own;
        if (call.direct) op->user = call.user;
        resolve_deps(op->deps, &op->ndeps, call.nwaits, call.waits);
        /* The call that submitted it: drawn as a launch arrow from the host span to the operation. */
        if (call.host_api && op->ndeps < XR_MAX_DEPS) op->deps[op->ndeps++] = call.host_id;
        if (call.user) call.user->signaller = op->id;
        xc_submit(op);
        return;
    }
    if (list->n_templates == list->cap_templates) {
        uint32_t cap = list->cap_templates ? list->cap_templates * 2 : 16;
        xc_template *t = realloc(list->templates, cap * sizeof *t);
        if (!t) return;
        list->templates = t;
        list->cap_templates = cap;
    }
    xc_template *t = &list->templates[list->n_templates++];
    memset(t, 0, sizeof *t);
    t->kind = call.kind;
    t->name = call.name;
    t->bytes = call.bytes;
    memcpy(t->groups, call.groups, sizeof t->groups);
    memcpy(t->group_size, call.group_size, sizeof t->group_size);
    t->event = call.timing;
    t->own = call.own;
    t->user = call.user;
    if (call.nwaits) {
        t->waits = malloc(call.nwaits * sizeof *t->waits);
        if (t->waits) {
            memcpy(t->waits, call.waits, call.nwaits * sizeof *t->waits);
            t->nwaits = call.nwaits;
        }
    }
}

/**
 * The instance of a template's previous execution must be written before its events signal again or
 * go: what has completed in order first (one harvest per list or execute: `harvested`), then that
 * instance directly, or as lost.
 */
static void finish_last(xc_template *t, bool *harvested) {
    if (!t->last) return; /* a finished instance is retired, and forgotten here */
    if (!*harvested) {
        xc_harvest();
        *harvested = true;
    }
    if (t->last) xc_op_settle(t->last);
}

/** A regular list's template op is done with: write its pending instance, give back its event. */
static void drop_templates(xc_list *list) {
    bool harvested = false;
    for (uint32_t i = 0; i < list->n_templates; i++) {
        xc_template *t = &list->templates[i];
        finish_last(t, &harvested);
        if (t->own) xc_own_release(t->own);
        free(t->waits);
    }
    list->n_templates = 0;
}

static uint32_t kernel_name(ze_kernel_handle_t k, uint32_t gs[3]) {
    xc_kernel *kr = xc_map_get(&xc.kernels, (uintptr_t)k);
    if (!kr) {
        gs[0] = gs[1] = gs[2] = 0;
        return label_id(LABEL("kernel"));
    }
    memcpy(gs, kr->group_size, 3 * sizeof *gs);
    return kr->name;
}

static char mem_letter(xc_list *list, const void *p) {
    if (!xc.ze.MemGetAllocProperties || !list->context) return 'H';
    ze_memory_allocation_properties_t props = {.stype = ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES};
    xc_inside++;
    ze_result_t r = xc.ze.MemGetAllocProperties(list->context->handle, p, &props, NULL);
    xc_inside--;
    if (r != ZE_RESULT_SUCCESS) return 'H';
    switch (props.type) {
    case ZE_MEMORY_TYPE_DEVICE: return 'D';
    case ZE_MEMORY_TYPE_SHARED: return 'S';
    default: return 'H';
    }
}

static uint32_t copy_name(const char *what, const void *dst, const void *src) {
    if (!call.active) return 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s %c2%c", what, mem_letter(call.list, src), mem_letter(call.list, dst));
    return xc_intern(buf);
}

#define LOCK() pthread_mutex_lock(&xc.mu)
#define UNLOCK() pthread_mutex_unlock(&xc.mu)
#define CB_ARGS ze_result_t result, void *user, void **instance
#define UNUSED_CB (void)user, (void)instance

/** An append with nothing to note beyond its kind and fixed name: the host span and the op. */
static void append_op(const char *api, ze_command_list_handle_t hList, ze_event_handle_t *phSignal,
                      uint32_t nwaits, const ze_event_handle_t *waits, uint8_t kind, xc_label *name) {
    LOCK();
    host_begin(api);
    op_begin(hList, phSignal, nwaits, waits, kind, label_id(name));
    UNLOCK();
}

static void launch_begin(ze_command_list_append_launch_kernel_params_t *p, const char *api) {
    LOCK();
    host_begin(api);
    uint32_t gs[3];
    uint32_t name = kernel_name(*p->phKernel, gs);
    op_begin(*p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_KERNEL, name);
    if (call.active) {
        memcpy(call.group_size, gs, sizeof gs);
        const ze_group_count_t *g = *p->ppLaunchFuncArgs;
        if (g) {
            call.groups[0] = g->groupCountX;
            call.groups[1] = g->groupCountY;
            call.groups[2] = g->groupCountZ;
        }
    }
    UNLOCK();
}
static void on_launch(ze_command_list_append_launch_kernel_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    launch_begin(p, "zeCommandListAppendLaunchKernel");
}
static void on_launch_cooperative(ze_command_list_append_launch_cooperative_kernel_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    /* The same parameters as zeCommandListAppendLaunchKernel. */
    launch_begin((ze_command_list_append_launch_kernel_params_t *)p, "zeCommandListAppendLaunchCooperativeKernel");
}
static void on_launch_indirect(ze_command_list_append_launch_kernel_indirect_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    LOCK();
    host_begin("zeCommandListAppendLaunchKernelIndirect");
    uint32_t gs[3];
    uint32_t name = kernel_name(*p->phKernel, gs);
    op_begin(*p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_KERNEL, name);
    if (call.active) memcpy(call.group_size, gs, sizeof gs);
    UNLOCK();
}
static void on_launch_multiple(ze_command_list_append_launch_multiple_kernels_indirect_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    LOCK();
    host_begin("zeCommandListAppendLaunchMultipleKernelsIndirect");
    char buf[64];
    snprintf(buf, sizeof buf, "%u kernels (indirect)", (unsigned)*p->pnumKernels);
    op_begin(*p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_KERNEL,
             xc_intern(buf));
    UNLOCK();
}
static void on_copy(ze_command_list_append_memory_copy_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    LOCK();
    host_begin("zeCommandListAppendMemoryCopy");
    op_begin(*p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_COPY, 0);
    if (call.active) {
        call.name = copy_name("copy", *p->pdstptr, *p->psrcptr);
        call.bytes = *p->psize;
    }
    UNLOCK();
}
static void on_copy_region(ze_command_list_append_memory_copy_region_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    LOCK();
    host_begin("zeCommandListAppendMemoryCopyRegion");
    op_begin(*p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_COPY, 0);
    if (call.active) {
        call.name = copy_name("copy region", *p->pdstptr, *p->psrcptr);
        const ze_copy_region_t *r = *p->psrcRegion;
        if (r) call.bytes = (uint64_t)r->width * (r->height ? r->height : 1) * (r->depth ? r->depth : 1);
    }
    UNLOCK();
}
static void on_copy_from_context(ze_command_list_append_memory_copy_from_context_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    LOCK();
    host_begin("zeCommandListAppendMemoryCopyFromContext");
    op_begin(*p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_COPY,
             label_id(LABEL("copy from context")));
    if (call.active) call.bytes = *p->psize;
    UNLOCK();
}
static void on_fill(ze_command_list_append_memory_fill_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    LOCK();
    host_begin("zeCommandListAppendMemoryFill");
    op_begin(*p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_FILL,
             label_id(LABEL("fill")));
    if (call.active) call.bytes = *p->psize;
    UNLOCK();
}
static void on_barrier(ze_command_list_append_barrier_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    append_op("zeCommandListAppendBarrier", *p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents,
              *p->pphWaitEvents, XR_OP_BARRIER, LABEL("barrier"));
}
static void on_ranges_barrier(ze_command_list_append_memory_ranges_barrier_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    append_op("zeCommandListAppendMemoryRangesBarrier", *p->phCommandList, p->phSignalEvent,
              *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_BARRIER, LABEL("memory ranges barrier"));
}
static void on_signal(ze_command_list_append_signal_event_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    LOCK();
    host_begin("zeCommandListAppendSignalEvent");
    op_begin(*p->phCommandList, NULL, 0, NULL, XR_OP_SIGNAL, label_id(LABEL("signal event")));
    if (call.active) call.user = user_event(*p->phEvent); /* it signals the program's event */
    UNLOCK();
}
static void on_wait(ze_command_list_append_wait_on_events_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    append_op("zeCommandListAppendWaitOnEvents", *p->phCommandList, NULL, *p->pnumEvents, *p->pphEvents,
              XR_OP_WAIT, LABEL("wait events"));
}
static void on_reset(ze_command_list_append_event_reset_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    LOCK();
    host_begin("zeCommandListAppendEventReset");
    if (!xc_inside && xc.attached) {
        /* The device will reset this event: read the op it timed now, or count it lost. */
        xc_user_event *ue = user_event(*p->phEvent);
        if (ue && ue->pending) xc_harvest_event(ue, true);
    }
    op_begin(*p->phCommandList, NULL, 0, NULL, XR_OP_RESET, label_id(LABEL("reset event")));
    UNLOCK();
}
static void on_write_timestamp(ze_command_list_append_write_global_timestamp_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    append_op("zeCommandListAppendWriteGlobalTimestamp", *p->phCommandList, p->phSignalEvent,
              *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_TIMESTAMP, LABEL("write global timestamp"));
}
static void on_query_timestamps(ze_command_list_append_query_kernel_timestamps_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    append_op("zeCommandListAppendQueryKernelTimestamps", *p->phCommandList, p->phSignalEvent,
              *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_TIMESTAMP, LABEL("query kernel timestamps"));
}
static void on_image_copy(ze_command_list_append_image_copy_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    append_op("zeCommandListAppendImageCopy", *p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents,
              *p->pphWaitEvents, XR_OP_COPY, LABEL("image copy"));
}
static void on_image_copy_region(ze_command_list_append_image_copy_region_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    append_op("zeCommandListAppendImageCopyRegion", *p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents,
              *p->pphWaitEvents, XR_OP_COPY, LABEL("image copy region"));
}
static void on_image_to_memory(ze_command_list_append_image_copy_to_memory_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    append_op("zeCommandListAppendImageCopyToMemory", *p->phCommandList, p->phSignalEvent, *p->pnumWaitEvents,
              *p->pphWaitEvents, XR_OP_COPY, LABEL("image copy to memory"));
}
static void on_image_from_memory(ze_command_list_append_image_copy_from_memory_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    append_op("zeCommandListAppendImageCopyFromMemory", *p->phCommandList, p->phSignalEvent,
              *p->pnumWaitEvents, *p->pphWaitEvents, XR_OP_COPY, LABEL("image copy from memory"));
}
/** The epilogue of every append. */
static void on_append_end(void *p, CB_ARGS) {
    (void)p, UNUSED_CB;
    /* The collector's own appends (inside an epilogue that holds xc.mu) end here at once. */
    if (xc_inside || (!call.active && !call.host_api)) return;
    LOCK();
    if (call.active) op_end(result);
    host_end(result);
    UNLOCK();
}

// ---- command lists and queues ------------------------------------------------------------------------------------

static void on_list_create_immediate_end(ze_command_list_create_immediate_params_t *p, CB_ARGS) {
    UNUSED_CB;
    if (xc_inside || result != ZE_RESULT_SUCCESS || !xc.attached) return;
    LOCK();
    const ze_command_queue_desc_t *d = *p->paltdesc;
    xc_list *l = calloc(1, sizeof *l);
    if (l && d) {
        l->handle = **p->pphCommandList;
        l->immediate = true;
        l->device = xc_device_of(*p->phDevice);
        l->context = xc_context_of(*p->phContext);
        l->lane = l->device ? xc_lane_new(l->device, d->ordinal, d->index, XR_QUEUE_IMMEDIATE,
                                          (d->flags & XC_QUEUE_FLAG_IN_ORDER) ? 1 : 0, (uint64_t)(uintptr_t)l->handle)
                            : NULL;
        if (l->lane) xc_map_put(&xc.lists, (uintptr_t)l->handle, l);
        else free(l);
    } else {
        free(l);
    }
    UNLOCK();
}
static void on_list_create_end(ze_command_list_create_params_t *p, CB_ARGS) {
    UNUSED_CB;
    if (xc_inside || result != ZE_RESULT_SUCCESS || !xc.attached) return;
    LOCK();
    xc_list *l = calloc(1, sizeof *l);
    if (l) {
        l->handle = **p->pphCommandList;
        l->device = xc_device_of(*p->phDevice);
        l->context = xc_context_of(*p->phContext);
        xc_map_put(&xc.lists, (uintptr_t)l->handle, l);
    }
    UNLOCK();
}
static void on_list_reset(ze_command_list_reset_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside || !xc.attached) return;
    LOCK();
    xc_list *l = xc_map_get(&xc.lists, (uintptr_t)*p->phCommandList);
    if (l) drop_templates(l);
    UNLOCK();
}
static void on_list_destroy(ze_command_list_destroy_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside || !xc.attached) return;
    LOCK();
    xc_list *l = xc_map_del(&xc.lists, (uintptr_t)*p->phCommandList);
    if (l) {
        if (l->immediate) xc_harvest();
        drop_templates(l);
        free(l->templates);
        free(l); /* its lane lives on: written ops and pending ones refer to it */
    }
    UNLOCK();
}
static void on_queue_create_end(ze_command_queue_create_params_t *p, CB_ARGS) {
    UNUSED_CB;
    if (xc_inside || result != ZE_RESULT_SUCCESS || !xc.attached) return;
    LOCK();
    const ze_command_queue_desc_t *d = *p->pdesc;
    xc_queue *q = calloc(1, sizeof *q);
    xc_device *dev = xc_device_of(*p->phDevice);
    if (q && d && dev) {
        q->handle = **p->pphCommandQueue;
        q->lane = xc_lane_new(dev, d->ordinal, d->index, XR_QUEUE_COMMAND_QUEUE,
                              (d->flags & XC_QUEUE_FLAG_IN_ORDER) ? 1 : 0, (uint64_t)(uintptr_t)q->handle);
        if (q->lane) xc_map_put(&xc.queues, (uintptr_t)q->handle, q);
        else free(q);
    } else {
        free(q);
    }
    UNLOCK();
}
static void on_queue_destroy(ze_command_queue_destroy_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside || !xc.attached) return;
    LOCK();
    xc_harvest();
    free(xc_map_del(&xc.queues, (uintptr_t)*p->phCommandQueue));
    UNLOCK();
}

/** Execution of regular lists: every template op becomes an op of this execution, on the queue's lane. */
static void on_execute(ze_command_queue_execute_command_lists_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside) return;
    call.n_instances = 0;
    call.host_api = NULL;
    if (!xc.attached) return;
    LOCK();
    host_begin("zeCommandQueueExecuteCommandLists");
    xc_queue *q = xc_map_get(&xc.queues, (uintptr_t)*p->phCommandQueue);
    uint32_t n = *p->pnumCommandLists;
    ze_command_list_handle_t *lists = *p->pphCommandLists;
    int64_t now = xc_now_ns();
    bool harvested = false; /* one harvest for all the lists, before their ops signal again */
    for (uint32_t i = 0; q && lists && i < n; i++) {
        xc_list *l = xc_map_get(&xc.lists, (uintptr_t)lists[i]);
        if (!l || l->immediate) continue;
        l->executions++;
        for (uint32_t k = 0; k < l->n_templates; k++) {
            xc_template *t = &l->templates[k];
            finish_last(t, &harvested);
            xc_op *op = xc_op_new();
            if (!op) continue;
            op->id = ++xc.next_op;
            op->lane = q->lane;
            op->kind = t->kind;
            op->name = t->name;
            op->bytes = t->bytes;
            op->exec = l->executions;
            op->flags = XR_OP_REGULAR;
            op->submit_ns = now;
            memcpy(op->groups, t->groups, sizeof op->groups);
            memcpy(op->group_size, t->group_size, sizeof op->group_size);
            op->event = t->event;
            op->own = t->own;
            op->own_is_template = true;
            op->tmpl = t;
            if (t->user && t->user->pool && t->user->pool->timestamps && t->event == t->user->handle) {
                op->user = t->user;
                /* Not reset since the last execution: remember what it holds (see xc_op.stale). */
                ze_kernel_timestamp_result_t old;
                xc_inside++;
                ze_result_t r = xc.hot.EventQueryKernelTimestamp(t->event, &old);
                xc_inside--;
                if (r == ZE_RESULT_SUCCESS) {
                    op->stale = true;
                    op->stale_start = old.global.kernelStart;
                    op->stale_end = old.global.kernelEnd;
                }
            }
            resolve_deps(op->deps, &op->ndeps, t->nwaits, t->waits);
            if (call.host_api && op->ndeps < XR_MAX_DEPS) op->deps[op->ndeps++] = call.host_id;
            if (t->user) t->user->signaller = op->id;
            if (call.n_instances == call.cap_instances) {
                uint32_t cap = call.cap_instances ? call.cap_instances * 2 : 64;
                xc_op **b = realloc(call.instances, cap * sizeof *b);
                if (!b) {
                    xc_op_free(op);
                    continue;
                }
                call.instances = b;
                call.cap_instances = cap;
            }
            call.instances[call.n_instances++] = op;
        }
    }
    UNLOCK();
}
static void on_execute_end(ze_command_queue_execute_command_lists_params_t *p, CB_ARGS) {
    (void)p, UNUSED_CB;
    if (xc_inside || (!call.n_instances && !call.host_api)) return;
    LOCK();
    host_end(result);
    for (uint32_t i = 0; i < call.n_instances; i++) {
        xc_op *op = call.instances[i];
        if (result == ZE_RESULT_SUCCESS) {
            xc_submit(op);
        } else {
            xc_op_free(op);
        }
    }
    call.n_instances = 0;
    UNLOCK();
}

// ---- events, pools, kernels, contexts ------------------------------------------------------------------------

static bool counter_based(const void *pnext) {
    for (const ze_base_desc_t *d = pnext; d; d = d->pNext) {
        if ((uint32_t)d->stype == XC_STYPE_COUNTER_BASED_POOL) return true;
    }
    return false;
}

static void on_pool_create(ze_event_pool_create_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside) return;
    call.active = false;
    if (!xc.attached || !*p->pdesc) return;
    const ze_event_pool_desc_t *d = *p->pdesc;
    call.active = true;
    call.pool_timestamps = (d->flags & ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP) != 0;
    if (!call.pool_timestamps && !(d->flags & (ZE_EVENT_POOL_FLAG_IPC | XC_EVENT_POOL_FLAG_MAPPED)) &&
        !counter_based(d->pNext)) {
        /* A copy with timestamps added: the program's own descriptor is left as it was. */
        call.pool_desc = *d;
        call.pool_desc.flags |= ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP | ZE_EVENT_POOL_FLAG_HOST_VISIBLE;
        *p->pdesc = &call.pool_desc;
        call.pool_timestamps = true;
    }
}
static void on_pool_create_end(ze_event_pool_create_params_t *p, CB_ARGS) {
    UNUSED_CB;
    if (xc_inside || !call.active) return;
    call.active = false;
    if (result != ZE_RESULT_SUCCESS) return;
    LOCK();
    xc_user_pool *up = calloc(1, sizeof *up);
    if (up) {
        up->handle = **p->pphEventPool;
        up->timestamps = call.pool_timestamps;
        xc_map_put(&xc.user_pools, (uintptr_t)up->handle, up);
    }
    UNLOCK();
}

typedef struct {
    xc_user_pool *pool;
    uintptr_t victims[256];
    uint32_t n;
} pool_sweep;
static void collect_pool_events(uintptr_t k, void *v, void *arg) {
    pool_sweep *s = arg;
    xc_user_event *ue = v;
    if (ue->pool == s->pool && s->n < 256) s->victims[s->n++] = k;
}
static void on_pool_destroy(ze_event_pool_destroy_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside || !xc.attached) return;
    LOCK();
    xc_user_pool *up = xc_map_get(&xc.user_pools, (uintptr_t)*p->phEventPool);
    if (up) {
        /* Events the program did not destroy go with their pool. */
        pool_sweep s = {.pool = up};
        do {
            s.n = 0;
            xc_map_each(&xc.user_events, collect_pool_events, &s);
            for (uint32_t i = 0; i < s.n; i++) {
                xc_user_event *ue = xc_map_del(&xc.user_events, s.victims[i]);
                if (ue) {
                    xc_harvest_event(ue, true);
                    free(ue);
                }
            }
        } while (s.n == 256);
        xc_map_del(&xc.user_pools, (uintptr_t)up->handle);
        free(up);
    }
    UNLOCK();
}
static void on_event_create_end(ze_event_create_params_t *p, CB_ARGS) {
    UNUSED_CB;
    if (xc_inside || result != ZE_RESULT_SUCCESS || !xc.attached) return;
    LOCK();
    xc_user_event *ue = calloc(1, sizeof *ue);
    if (ue) {
        ue->handle = **p->pphEvent;
        ue->pool = xc_map_get(&xc.user_pools, (uintptr_t)*p->phEventPool);
        xc_map_put(&xc.user_events, (uintptr_t)ue->handle, ue);
    }
    UNLOCK();
}
static void on_event_destroy(ze_event_destroy_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside || !xc.attached) return;
    LOCK();
    xc_user_event *ue = xc_map_del(&xc.user_events, (uintptr_t)*p->phEvent);
    if (ue) {
        xc_harvest_event(ue, true);
        free(ue);
    }
    UNLOCK();
}
static void on_event_host_reset(ze_event_host_reset_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside || !xc.attached) return;
    LOCK();
    xc_user_event *ue = user_event(*p->phEvent);
    if (ue) {
        xc_harvest_event(ue, true);
        ue->signaller = 0;
    }
    UNLOCK();
}
static void on_event_host_signal(ze_event_host_signal_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside || !xc.attached) return;
    LOCK();
    xc_user_event *ue = user_event(*p->phEvent);
    if (ue) ue->signaller = 0; /* signalled by the host: no GPU op to draw an arrow from */
    UNLOCK();
}
static void on_kernel_create_end(ze_kernel_create_params_t *p, CB_ARGS) {
    UNUSED_CB;
    if (xc_inside || result != ZE_RESULT_SUCCESS || !xc.attached) return;
    LOCK();
    xc_kernel *k = calloc(1, sizeof *k);
    if (k) {
        const ze_kernel_desc_t *d = *p->pdesc;
        k->name = xc_intern(d && d->pKernelName ? d->pKernelName : "kernel");
        xc_map_put(&xc.kernels, (uintptr_t)**p->pphKernel, k);
    }
    UNLOCK();
}
static void on_kernel_destroy(ze_kernel_destroy_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside || !xc.attached) return;
    LOCK();
    free(xc_map_del(&xc.kernels, (uintptr_t)*p->phKernel));
    UNLOCK();
}
static void on_group_size_end(ze_kernel_set_group_size_params_t *p, CB_ARGS) {
    UNUSED_CB;
    if (xc_inside || result != ZE_RESULT_SUCCESS || !xc.attached) return;
    LOCK();
    xc_kernel *k = xc_map_get(&xc.kernels, (uintptr_t)*p->phKernel);
    if (k) {
        k->group_size[0] = *p->pgroupSizeX;
        k->group_size[1] = *p->pgroupSizeY;
        k->group_size[2] = *p->pgroupSizeZ;
    }
    UNLOCK();
}
static void on_context_destroy(ze_context_destroy_params_t *p, CB_ARGS) {
    (void)result, UNUSED_CB;
    if (xc_inside || !xc.attached) return;
    LOCK();
    xc_context *c = xc_map_del(&xc.contexts, (uintptr_t)*p->phContext);
    if (c) {
        xc_context_drop(c);
        free(c);
    }
    UNLOCK();
}

// ---- synchronization: the program has just seen work complete; write it before returning --------------------

static void harvest_now(ze_result_t result) {
    if (xc_inside || !xc.attached) return;
    if (result != ZE_RESULT_SUCCESS && !call.host_api) return;
    LOCK();
    if (result == ZE_RESULT_SUCCESS) xc_harvest();
    host_end(result);
    UNLOCK();
}
/** Prologue of a host synchronization: with --host-calls it is a host span (time blocked waiting). */
static void sync_begin(const char *api) {
    if (!xc.host_calls || xc_inside || !xc.attached) {
        call.host_api = NULL;
        return;
    }
    LOCK();
    host_begin(api);
    UNLOCK();
}
static void on_event_sync(ze_event_host_synchronize_params_t *p, CB_ARGS) {
    (void)p, (void)result, UNUSED_CB;
    sync_begin("zeEventHostSynchronize");
}
static void on_queue_sync(ze_command_queue_synchronize_params_t *p, CB_ARGS) {
    (void)p, (void)result, UNUSED_CB;
    sync_begin("zeCommandQueueSynchronize");
}
static void on_fence_sync(ze_fence_host_synchronize_params_t *p, CB_ARGS) {
    (void)p, (void)result, UNUSED_CB;
    sync_begin("zeFenceHostSynchronize");
}
/** The epilogue of every host synchronization (events, queues, fences, lists). */
static void on_sync_end(void *p, CB_ARGS) {
    (void)p, UNUSED_CB;
    harvest_now(result);
}
/** The epilogue of the status queries (events, fences). */
static void on_query_end(void *p, CB_ARGS) {
    (void)p, UNUSED_CB;
    if (xc_inside) return;
    call.host_api = NULL; /* polled in loops: not a host span of its own */
    harvest_now(result);
}
/* zeCommandListHostSynchronize (1.6): its tracing callback exists only in newer loaders. */
typedef struct {
    ze_command_list_handle_t *phCommandList;
    uint64_t *ptimeout;
} xc_list_host_sync_params_t;
static void on_list_sync(xc_list_host_sync_params_t *p, CB_ARGS) {
    (void)p, (void)result, UNUSED_CB;
    sync_begin("zeCommandListHostSynchronize");
}

// ---- registration -----------------------------------------------------------------------------------------------

typedef ze_result_t (*register_fn)(zel_tracer_handle_t, zel_tracer_reg_t, void *);
typedef struct {
    const char *api; /* without the "ze" prefix */
    void *prologue, *epilogue;
} xc_cb_entry;

#define CB(api, pro, epi) {api, (void *)(pro), (void *)(epi)}
static const xc_cb_entry table[] = {
    CB("CommandListAppendLaunchKernel", on_launch, on_append_end),
    CB("CommandListAppendLaunchCooperativeKernel", on_launch_cooperative, on_append_end),
    CB("CommandListAppendLaunchKernelIndirect", on_launch_indirect, on_append_end),
    CB("CommandListAppendLaunchMultipleKernelsIndirect", on_launch_multiple, on_append_end),
    CB("CommandListAppendMemoryCopy", on_copy, on_append_end),
    CB("CommandListAppendMemoryCopyRegion", on_copy_region, on_append_end),
    CB("CommandListAppendMemoryCopyFromContext", on_copy_from_context, on_append_end),
    CB("CommandListAppendMemoryFill", on_fill, on_append_end),
    CB("CommandListAppendBarrier", on_barrier, on_append_end),
    CB("CommandListAppendMemoryRangesBarrier", on_ranges_barrier, on_append_end),
    CB("CommandListAppendSignalEvent", on_signal, on_append_end),
    CB("CommandListAppendWaitOnEvents", on_wait, on_append_end),
    CB("CommandListAppendEventReset", on_reset, on_append_end),
    CB("CommandListAppendWriteGlobalTimestamp", on_write_timestamp, on_append_end),
    CB("CommandListAppendQueryKernelTimestamps", on_query_timestamps, on_append_end),
    CB("CommandListAppendImageCopy", on_image_copy, on_append_end),
    CB("CommandListAppendImageCopyRegion", on_image_copy_region, on_append_end),
    CB("CommandListAppendImageCopyToMemory", on_image_to_memory, on_append_end),
    CB("CommandListAppendImageCopyFromMemory", on_image_from_memory, on_append_end),
    CB("CommandListCreateImmediate", NULL, on_list_create_immediate_end),
    CB("CommandListCreate", NULL, on_list_create_end),
    CB("CommandListReset", on_list_reset, NULL),
    CB("CommandListDestroy", on_list_destroy, NULL),
    CB("CommandQueueCreate", NULL, on_queue_create_end),
    CB("CommandQueueDestroy", on_queue_destroy, NULL),
    CB("CommandQueueExecuteCommandLists", on_execute, on_execute_end),
    CB("CommandQueueSynchronize", on_queue_sync, on_sync_end),
    CB("CommandListHostSynchronize", on_list_sync, on_sync_end),
    CB("EventPoolCreate", on_pool_create, on_pool_create_end),
    CB("EventPoolDestroy", on_pool_destroy, NULL),
    CB("EventCreate", NULL, on_event_create_end),
    CB("EventDestroy", on_event_destroy, NULL),
    CB("EventHostReset", on_event_host_reset, NULL),
    CB("EventHostSignal", on_event_host_signal, NULL),
    CB("EventHostSynchronize", on_event_sync, on_sync_end),
    CB("EventQueryStatus", NULL, on_query_end),
    CB("FenceHostSynchronize", on_fence_sync, on_sync_end),
    CB("FenceQueryStatus", NULL, on_query_end),
    CB("KernelCreate", NULL, on_kernel_create_end),
    CB("KernelDestroy", on_kernel_destroy, NULL),
    CB("KernelSetGroupSize", NULL, on_group_size_end),
    CB("ContextDestroy", on_context_destroy, NULL),
};

int xc_register_callbacks(void *loader, zel_tracer_handle_t tracer) {
    int missing = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "zelTracer%sRegisterCallback", table[i].api);
        register_fn reg = (register_fn)dlsym(loader, name);
        if (!reg) {
            missing++; /* an older loader without this API's callback: that call is not seen */
            continue;
        }
        if (table[i].prologue) reg(tracer, ZEL_REGISTER_PROLOGUE, table[i].prologue);
        if (table[i].epilogue) reg(tracer, ZEL_REGISTER_EPILOGUE, table[i].epilogue);
    }
    return missing;
}
