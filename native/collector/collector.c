// libxpuscope_collector.so — injected into a program by `xpuscope record` (LD_PRELOAD plus
// ZE_ENABLE_TRACING_LAYER=1) to record its Level Zero work. See README.md for the design; this file
// holds the process-wide part: set-up after the program's first zeInit, devices and clocks, the
// collector's own timestamp events, harvesting completed operations into the ring, exit and fork.
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "collector.h"

xc_state xc = {.mu = PTHREAD_MUTEX_INITIALIZER};
__thread int xc_inside XC_TLS;

// ---- messages -------------------------------------------------------------------------------------------

void xc_message(const char *fmt, ...) {
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* One line, written with one write(2) so it never interleaves with the program's own output. */
    char line[640];
    int n = snprintf(line, sizeof line, "xpuscope: %s\n", buf);
    if (n > 0) (void)!write(2, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
}

void xc_untraced(const char *fmt, ...) {
    char buf[XR_MESSAGE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    xc.gave_up = true;
    xr_header_t *h = xc_ring_header();
    if (h) {
        snprintf(h->message, sizeof h->message, "%s", buf);
        h->state = XR_STATE_UNTRACED;
    }
    xc_message("%s; the program runs untraced", buf);
}

// ---- clocks ---------------------------------------------------------------------------------------------

static int64_t mono_raw(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/** Host time on the records' clock: the driver's host timestamps (zeDeviceGetGlobalTimestamps). */
int64_t xc_now_ns(void) { return mono_raw() + xc.clock_offset; }

static void anchor(xc_device *d) {
    if (!xc.ze.DeviceGetGlobalTimestamps) return;
    uint64_t host = 0, dev = 0;
    xc_inside++;
    int64_t before = mono_raw();
    ze_result_t r = xc.ze.DeviceGetGlobalTimestamps(d->handle, &host, &dev);
    int64_t after = mono_raw();
    xc_inside--;
    if (r != ZE_RESULT_SUCCESS) return;
    d->anchor_host = (int64_t)host;
    d->anchor_ticks = dev;
    if (d->id == 0) xc.clock_offset = (int64_t)host - (before + (after - before) / 2);
}

static void anchor_all(uintptr_t k, void *v, void *arg) {
    (void)k;
    (void)arg;
    anchor(v);
}

/** Device ticks of a kernel timestamp → host ns, through the device's latest clock anchor. */
static int64_t ticks_to_host(const xc_device *d, uint64_t ticks) {
    uint64_t mask = d->kmask;
    int64_t delta = (int64_t)((ticks - (d->anchor_ticks & mask)) & mask);
    if ((uint64_t)delta > (mask >> 1)) delta -= (int64_t)(mask + 1);
    return d->anchor_host + (int64_t)((double)delta * d->ns_per_tick);
}

// ---- strings, devices, lanes ---------------------------------------------------------------------------

typedef struct xc_str {
    uint32_t id;
    bool emitted;
    struct xc_str *next;
    char text[];
} xc_str;
static xc_str **str_by_id;
static uint32_t str_cap;

/** Strings are kept (and compared) up to this many bytes: a longer name is its first XC_STRING_MAX. */
#define XC_STRING_MAX 4000

static uint64_t fnv(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h < 2 ? h + 2 : h;
}

uint32_t xc_intern(const char *s) {
    if (!s) s = "";
    size_t n = strnlen(s, XC_STRING_MAX);
    uint64_t h = fnv(s, n);
    xc_str *head = xc_map_get(&xc.strings, (uintptr_t)h);
    for (xc_str *e = head; e; e = e->next) {
        if (strncmp(e->text, s, n) == 0 && e->text[n] == 0) return e->id;
    }
    xc_str *e = malloc(sizeof *e + n + 1);
    if (!e) return 0;
    memcpy(e->text, s, n);
    e->text[n] = 0;
    e->id = ++xc.next_string;
    e->emitted = false;
    e->next = head;
    xc_map_put(&xc.strings, (uintptr_t)h, e);
    if (e->id >= str_cap) {
        uint32_t cap = str_cap ? str_cap * 2 : 256;
        while (cap <= e->id) cap *= 2;
        xc_str **b = realloc(str_by_id, cap * sizeof *b);
        if (!b) return 0;
        memset(b + str_cap, 0, (cap - str_cap) * sizeof *b);
        str_by_id = b;
        str_cap = cap;
    }
    str_by_id[e->id] = e;
    return e->id;
}

static bool emit_string(uint32_t id) {
    if (id == 0 || id >= str_cap || !str_by_id[id]) return true;
    xc_str *e = str_by_id[id];
    if (e->emitted) return true;
    xr_string_t r = {.id = id, .length = (uint32_t)strlen(e->text)};
    return (e->emitted = xc_ring_write(XR_STRING, &r, sizeof r, e->text, r.length));
}

static bool emit_process(void) {
    if (xc.process_emitted) return true;
    xr_process_t r = {.pid = (uint32_t)getpid(),
                      .ppid = (uint32_t)getppid(),
                      .host_ns = xc_now_ns(),
                      .flags = xc.host_calls ? XR_PROCESS_HOST_CALLS : 0};
    return (xc.process_emitted = xc_ring_write(XR_PROCESS, &r, sizeof r, NULL, 0));
}

static bool emit_device(xc_device *d) {
    if (d->emitted) return true;
    if (!emit_process()) return false;
    return (d->emitted = xc_ring_write(XR_DEVICE, &d->rec, sizeof d->rec, NULL, 0));
}

static bool emit_lane(xc_lane *l) {
    if (l->emitted) return true;
    if (!emit_device(l->device)) return false;
    xr_queue_t r = {.id = l->id,
                    .device = l->device->id,
                    .ordinal = l->ordinal,
                    .index = l->index,
                    .engine = l->engine,
                    .kind = l->kind,
                    .in_order = l->in_order,
                    .handle = l->handle,
                    .number = l->number};
    return (l->emitted = xc_ring_write(XR_QUEUE, &r, sizeof r, NULL, 0));
}

static xc_device *register_device(ze_device_handle_t h, int32_t parent, uint32_t driver_index,
                                  uint32_t device_index) {
    xc_device *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->handle = h;
    d->id = xc.next_device++;
    d->rec.id = d->id;
    d->rec.parent = parent;
    d->rec.driver_index = driver_index;
    d->rec.device_index = device_index;
    d->rec.pci_domain = d->rec.pci_bus = d->rec.pci_device = d->rec.pci_function = 0xFFFFFFFFu;
    ze_device_properties_t p = {.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES_1_2};
    xc_inside++;
    ze_result_t r = xc.ze.DeviceGetProperties(h, &p);
    double hz = 0;
    if (r == ZE_RESULT_SUCCESS && p.timerResolution) {
        hz = (double)p.timerResolution; /* 1.2 properties: cycles per second */
    } else {
        memset(&p, 0, sizeof p);
        p.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
        r = xc.ze.DeviceGetProperties(h, &p);
        if (r == ZE_RESULT_SUCCESS && p.timerResolution) hz = 1e9 / (double)p.timerResolution; /* ns per cycle */
    }
    if (r == ZE_RESULT_SUCCESS) {
        snprintf(d->rec.name, sizeof d->rec.name, "%s", p.name);
        memcpy(d->rec.uuid, p.uuid.id, sizeof d->rec.uuid);
        if (p.flags & ZE_DEVICE_PROPERTY_FLAG_INTEGRATED) d->rec.flags |= XR_DEVICE_INTEGRATED;
        if (p.flags & ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE) d->rec.flags |= XR_DEVICE_SUBDEVICE;
        uint32_t bits = p.kernelTimestampValidBits ? p.kernelTimestampValidBits : 32;
        d->kmask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
        d->rec.kernel_ts_bits = bits;
    } else {
        snprintf(d->rec.name, sizeof d->rec.name, "device %u", d->id);
        d->kmask = 0xFFFFFFFFull;
        d->rec.kernel_ts_bits = 32;
    }
    d->rec.timer_hz = hz > 0 ? hz : 1e9;
    d->ns_per_tick = 1e9 / d->rec.timer_hz;
    if (xc.ze.DevicePciGetPropertiesExt) {
        ze_pci_ext_properties_t pci = {.stype = ZE_STRUCTURE_TYPE_PCI_EXT_PROPERTIES};
        if (xc.ze.DevicePciGetPropertiesExt(h, &pci) == ZE_RESULT_SUCCESS) {
            d->rec.pci_domain = pci.address.domain;
            d->rec.pci_bus = pci.address.bus;
            d->rec.pci_device = pci.address.device;
            d->rec.pci_function = pci.address.function;
        }
    }
    uint32_t ng = 0;
    if (xc.ze.DeviceGetCommandQueueGroupProperties(h, &ng, NULL) == ZE_RESULT_SUCCESS && ng) {
        if (ng > 16) ng = 16;
        ze_command_queue_group_properties_t g[16];
        for (uint32_t i = 0; i < ng; i++)
            g[i] = (ze_command_queue_group_properties_t){.stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_GROUP_PROPERTIES};
        if (xc.ze.DeviceGetCommandQueueGroupProperties(h, &ng, g) == ZE_RESULT_SUCCESS) {
            d->n_groups = ng;
            for (uint32_t i = 0; i < ng; i++) {
                ze_command_queue_group_property_flags_t f = g[i].flags;
                d->group_engine[i] = (f & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE)
                                         ? XR_ENGINE_COMPUTE
                                     : (f & ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY) ? XR_ENGINE_COPY
                                                                                       : XR_ENGINE_OTHER;
            }
        }
    }
    xc_inside--;
    anchor(d);
    xc_map_put(&xc.devices, (uintptr_t)h, d);
    return d;
}

static void enumerate_devices(void) {
    uint32_t nd = 0;
    xc_inside++;
    if (xc.ze.DriverGet(&nd, NULL) != ZE_RESULT_SUCCESS || nd == 0) {
        xc_inside--;
        return;
    }
    ze_driver_handle_t drivers[16];
    if (nd > 16) nd = 16;
    if (xc.ze.DriverGet(&nd, drivers) != ZE_RESULT_SUCCESS) nd = 0;
    xc_inside--;
    for (uint32_t i = 0; i < nd; i++) {
        uint32_t n = 0;
        xc_inside++;
        ze_result_t r = xc.ze.DeviceGet(drivers[i], &n, NULL);
        ze_device_handle_t devs[64];
        if (n > 64) n = 64;
        if (r == ZE_RESULT_SUCCESS && n) r = xc.ze.DeviceGet(drivers[i], &n, devs);
        xc_inside--;
        if (r != ZE_RESULT_SUCCESS) continue;
        for (uint32_t j = 0; j < n; j++) {
            xc_device *d = register_device(devs[j], -1, i, j);
            if (!d || !xc.ze.DeviceGetSubDevices) continue;
            uint32_t ns = 0;
            ze_device_handle_t subs[16];
            xc_inside++;
            r = xc.ze.DeviceGetSubDevices(devs[j], &ns, NULL);
            if (ns > 16) ns = 16;
            if (r == ZE_RESULT_SUCCESS && ns) r = xc.ze.DeviceGetSubDevices(devs[j], &ns, subs);
            xc_inside--;
            if (r != ZE_RESULT_SUCCESS) continue;
            for (uint32_t k = 0; k < ns; k++) register_device(subs[k], (int32_t)d->id, i, k);
        }
    }
}

xc_device *xc_device_of(ze_device_handle_t h) {
    xc_device *d = xc_map_get(&xc.devices, (uintptr_t)h);
    return d ? d : register_device(h, -1, 0, 0);
}

static xc_lane **all_lanes;
static uint32_t lanes_cap;

xc_lane *xc_lane_new(xc_device *d, uint32_t ordinal, uint32_t index, uint8_t kind, uint8_t in_order,
                     uint64_t handle) {
    xc_lane *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->id = xc.next_lane++;
    l->device = d;
    l->ordinal = ordinal;
    l->index = index;
    l->engine = ordinal < d->n_groups ? d->group_engine[ordinal] : XR_ENGINE_OTHER;
    l->kind = kind;
    l->in_order = in_order;
    l->handle = handle;
    l->number = kind == XR_QUEUE_IMMEDIATE ? ++xc.n_immediate : ++xc.n_queues;
    if (l->id >= lanes_cap) {
        uint32_t cap = lanes_cap ? lanes_cap * 2 : 64;
        xc_lane **b = realloc(all_lanes, cap * sizeof *b);
        if (!b) {
            free(l);
            return NULL;
        }
        all_lanes = b;
        lanes_cap = cap;
    }
    all_lanes[l->id] = l;
    return l;
}

// ---- the collector's own timestamp events --------------------------------------------------------------

xc_context *xc_context_of(ze_context_handle_t h) {
    xc_context *c = xc_map_get(&xc.contexts, (uintptr_t)h);
    if (c) return c;
    c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->handle = h;
    xc_map_put(&xc.contexts, (uintptr_t)h, c);
    return c;
}

xc_own_event *xc_own_take(xc_context *c) {
    if (!c) return NULL;
    if (!c->free_events) {
        xc_own_pool *p = c->pools;
        if (!p || p->created == XC_POOL_EVENTS) {
            p = calloc(1, sizeof *p);
            if (!p) return NULL;
            ze_event_pool_desc_t d = {.stype = ZE_STRUCTURE_TYPE_EVENT_POOL_DESC,
                                      .flags = ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP | ZE_EVENT_POOL_FLAG_HOST_VISIBLE,
                                      .count = XC_POOL_EVENTS};
            xc_inside++;
            ze_result_t r = xc.hot.EventPoolCreate(c->handle, &d, 0, NULL, &p->handle);
            xc_inside--;
            if (r != ZE_RESULT_SUCCESS) {
                free(p);
                return NULL;
            }
            p->context = c;
            p->next = c->pools;
            c->pools = p;
        }
        xc_own_event *e = &p->events[p->created];
        ze_event_desc_t ed = {.stype = ZE_STRUCTURE_TYPE_EVENT_DESC,
                              .index = p->created,
                              .signal = ZE_EVENT_SCOPE_FLAG_HOST,
                              .wait = ZE_EVENT_SCOPE_FLAG_HOST};
        xc_inside++;
        ze_result_t r = xc.hot.EventCreate(p->handle, &ed, &e->handle);
        xc_inside--;
        if (r != ZE_RESULT_SUCCESS) return NULL;
        p->created++;
        e->pool = p;
        return e;
    }
    xc_own_event *e = c->free_events;
    c->free_events = e->next_free;
    e->next_free = NULL;
    return e;
}

void xc_own_release(xc_own_event *e) {
    if (!e) return;
    xc_inside++;
    xc.hot.EventHostReset(e->handle);
    xc_inside--;
    xc_context *c = e->pool->context;
    e->next_free = c->free_events;
    c->free_events = e;
}

static void forget_context_templates(uintptr_t k, void *v, void *arg) {
    (void)k;
    xc_list *l = v;
    if (l->context != arg) return;
    for (uint32_t i = 0; i < l->n_templates; i++) {
        l->templates[i].own = NULL; /* destroyed with the context below: its ops run untimed */
        l->templates[i].event = NULL;
    }
}

/**
 * Before the application destroys a context: harvest, then destroy the collector's events in it. Work
 * still pending on those events (the program destroys the context without waiting for it) is written
 * as lost, and the events are then left to the driver rather than destroyed under the device that will
 * still signal them; lists the program left alive in the context stop pointing at them.
 */
void xc_context_drop(xc_context *c) {
    xc_harvest();
    uint32_t pending = 0;
    for (xc_lane *l = xc.pending_lanes; l; l = l->next_pending)
        for (xc_op *op = l->head; op; op = op->next)
            if (!op->done && op->own && op->own->pool->context == c) {
                xc_op_lost(op);
                pending++;
            }
    xc_map_each(&xc.lists, forget_context_templates, c);
    xc_inside++;
    for (xc_own_pool *p = c->pools, *next; p; p = next) {
        next = p->next;
        if (!pending) {
            for (uint32_t i = 0; i < p->created; i++) xc.hot.EventDestroy(p->events[i].handle);
            xc.hot.EventPoolDestroy(p->handle);
        }
        free(p);
    }
    xc_inside--;
    c->pools = NULL;
    c->free_events = NULL;
}

// ---- operations: pending until their timestamps can be read -------------------------------------------

/* Ops are recycled through a free list under xc.mu: a malloc per op contended on the allocator's arena
   lock between the program's thread (submit) and the harvester (free). */
static xc_op *free_ops;

xc_op *xc_op_new(void) {
    xc_op *op = free_ops;
    if (op) {
        free_ops = op->next;
        memset(op, 0, offsetof(xc_op, deps));
        op->next = NULL;
        return op;
    }
    return calloc(1, sizeof *op);
}

void xc_op_free(xc_op *op) {
    op->next = free_ops;
    free_ops = op;
}

void xc_write_op(xc_op *op, const ze_kernel_timestamp_result_t *ts) {
    xr_header_t *h = xc_ring_header();
    xr_op_t r = {.id = op->id,
                 .queue = op->lane->id,
                 .name = op->name,
                 .kind = op->kind,
                 .flags = op->flags,
                 .ndeps = op->ndeps,
                 .exec = op->exec,
                 .bytes = op->bytes,
                 .submit_ns = op->submit_ns,
                 .start_ns = op->submit_ns,
                 .end_ns = op->submit_ns};
    memcpy(r.groups, op->groups, sizeof r.groups);
    memcpy(r.group_size, op->group_size, sizeof r.group_size);
    if (ts) {
        const xc_device *d = op->lane->device;
        uint64_t dur = (ts->global.kernelEnd - ts->global.kernelStart) & d->kmask;
        r.start_ns = ticks_to_host(d, ts->global.kernelStart);
        r.end_ns = r.start_ns + (int64_t)((double)dur * d->ns_per_tick);
    } else {
        r.flags |= XR_OP_UNTIMED;
        if (h && !(op->flags & (XR_OP_LOST | XR_OP_FAILED))) h->ops_untimed++;
    }
    if (!emit_lane(op->lane) || !emit_string(op->name) ||
        !xc_ring_write(XR_OP, &r, sizeof r, op->deps, (uint32_t)op->ndeps * 8u))
        return;
    if (h) h->ops_recorded++;
}

static __thread uint32_t my_tid XC_TLS;

void xc_write_host(uint64_t id, const char *api, int64_t start, int64_t end, ze_result_t res) {
    if (!my_tid) my_tid = (uint32_t)gettid();
    uint32_t name = xc_intern(api);
    if (!emit_process() || !emit_string(name)) return;
    xr_host_t r = {.id = id, .tid = my_tid, .name = name, .start_ns = start, .end_ns = end, .result = (int32_t)res};
    xc_ring_write(XR_HOST, &r, sizeof r, NULL, 0);
}

static void lane_enqueue(xc_op *op) {
    xc_lane *l = op->lane;
    op->next = NULL;
    if (l->tail) l->tail->next = op;
    else l->head = op;
    l->tail = op;
    if (!l->on_pending_list) {
        l->on_pending_list = true;
        l->next_pending = xc.pending_lanes;
        xc.pending_lanes = l;
    }
    xc.in_flight++;
}

void xc_submit(xc_op *op) {
    xr_header_t *h = xc_ring_header();
    if (h) h->ops_submitted++;
    if (!op->event) {
        xc_write_op(op, NULL);
        xc_op_free(op);
        return;
    }
    if (op->user) op->user->pending = op;
    if (op->tmpl) op->tmpl->last = op;
    lane_enqueue(op);
}

/** Forgets an op's event links once it has been written. */
static void retire(xc_op *op) {
    if (op->user && op->user->pending == op) op->user->pending = NULL;
    if (op->tmpl && op->tmpl->last == op) op->tmpl->last = NULL;
    if (op->own) {
        if (op->own_is_template) {
            xc_inside++;
            xc.hot.EventHostReset(op->own->handle);
            xc_inside--;
        } else {
            xc_own_release(op->own);
        }
    }
    xc.in_flight--;
}

/** Reads op's timestamps when its event is signalled; true when the op is finished with. */
static bool try_complete(xc_op *op) {
    if (op->done) return true;
    /* One call: zeEventQueryKernelTimestamp answers NOT_READY while the event is not signalled. */
    ze_kernel_timestamp_result_t ts;
    xc_inside++;
    ze_result_t r = xc.hot.EventQueryKernelTimestamp(op->event, &ts);
    xc_inside--;
    if (r == ZE_RESULT_NOT_READY) return false;
    /* Still the previous execution's values (or half rewritten: start new, end not yet): not done. */
    if (r == ZE_RESULT_SUCCESS && op->stale &&
        (ts.global.kernelStart == op->stale_start || ts.global.kernelEnd == op->stale_end))
        return false;
    if (r == ZE_RESULT_SUCCESS) {
        xc_write_op(op, &ts);
    } else {
        op->flags |= XR_OP_FAILED;
        xc_write_op(op, NULL);
    }
    op->done = true;
    retire(op);
    return true;
}

void xc_harvest(void) {
    xc_lane **link = &xc.pending_lanes;
    while (*link) {
        xc_lane *l = *link;
        while (l->head && try_complete(l->head)) {
            xc_op *op = l->head;
            l->head = op->next;
            if (!l->head) l->tail = NULL;
            xc_op_free(op);
        }
        if (!l->head) {
            l->on_pending_list = false;
            *link = l->next_pending;
        } else {
            link = &l->next_pending;
        }
    }
    xr_header_t *h = xc_ring_header();
    if (h) {
        h->in_flight = xc.in_flight;
        h->last_harvest_ns = xc_now_ns();
    }
}

/**
 * The application is about to reset or destroy `ue` (or reuse it for a new op): write the op it
 * times now. If it has not completed, its timestamps are gone with the reset: with
 * `lost_if_not_ready` the op is written without them and counted as lost.
 */
void xc_harvest_event(xc_user_event *ue, bool lost_if_not_ready) {
    xc_op *op = ue ? ue->pending : NULL;
    if (!op || op->done) return;
    if (lost_if_not_ready) xc_op_settle(op);
    else try_complete(op);
}

void xc_op_settle(xc_op *op) {
    if (!op->done && !try_complete(op)) xc_op_lost(op);
}

void xc_op_lost(xc_op *op) {
    if (op->done) return;
    xr_header_t *h = xc_ring_header();
    if (h) h->ops_lost++;
    op->flags |= XR_OP_LOST;
    xc_write_op(op, NULL);
    op->done = true;
    retire(op);
}

// ---- the harvester thread -----------------------------------------------------------------------------

static void *harvester(void *arg) {
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals stay the program's */
    long us = 1000;
    const char *env = getenv("XPUSCOPE_HARVEST_US");
    if (env && atol(env) >= 100 && atol(env) <= 1000000) us = atol(env);
    const struct timespec period = {us / 1000000, (us % 1000000) * 1000};
    for (;;) {
        nanosleep(&period, NULL);
        pthread_mutex_lock(&xc.mu);
        if (xc.stop) {
            pthread_mutex_unlock(&xc.mu);
            break;
        }
        int64_t now = mono_raw();
        /* Clock anchors every 50 ms, not per operation (the call costs 6-100 µs on real drivers). */
        if (now - xc.last_anchor_mono > 50000000) {
            xc_map_each(&xc.devices, anchor_all, NULL);
            xc.last_anchor_mono = now;
        }
        xc_harvest();
        pthread_mutex_unlock(&xc.mu);
    }
    return NULL;
}

static void start_harvester(void) {
    if (xc.harvester_running) return;
    xc.stop = false;
    if (pthread_create(&xc.harvester, NULL, harvester, NULL) == 0) xc.harvester_running = true;
}

// ---- set-up after the program's zeInit ------------------------------------------------------------------

typedef struct {
    int candidates;
    void *lib;
} driver_search;

static bool is_level_zero_helper(const char *name) {
    return strstr(name, "libze_loader") || strstr(name, "libze_tracing_layer") ||
           strstr(name, "libze_validation_layer") || strstr(name, "libxpuscope_collector");
}

static int find_driver_lib(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    driver_search *s = arg;
    const char *name = info->dlpi_name;
    if (!name || !*name || is_level_zero_helper(name)) return 0;
    void *h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (!h) return 0;
    if (dlsym(h, "zeGetEventProcAddrTable") && dlsym(h, "zeGetDriverProcAddrTable") &&
        dlsym(h, "zeGetCommandListProcAddrTable")) {
        s->candidates++;
        if (!s->lib) {
            s->lib = h;
            return 0;
        }
    }
    dlclose(h);
    return 0;
}

/** Uses the driver's own entry points for the hot calls when that is safe (see xc_hot). */
static void find_hot_calls(void) {
    xc.hot.EventPoolCreate = xc.ze.EventPoolCreate;
    xc.hot.EventPoolDestroy = xc.ze.EventPoolDestroy;
    xc.hot.EventCreate = xc.ze.EventCreate;
    xc.hot.EventDestroy = xc.ze.EventDestroy;
    xc.hot.EventQueryKernelTimestamp = xc.ze.EventQueryKernelTimestamp;
    xc.hot.EventHostReset = xc.ze.EventHostReset;
    xc.hot.CommandListAppendBarrier = xc.ze.CommandListAppendBarrier;
    xc.hot.CommandListAppendSignalEvent = xc.ze.CommandListAppendSignalEvent;
    if (getenv("XPUSCOPE_COLLECTOR_VIA_LOADER")) return;
    driver_search s = {0};
    dl_iterate_phdr(find_driver_lib, &s);
    if (s.candidates != 1 || !s.lib) {
        if (s.lib) dlclose(s.lib);
        return;
    }
    ze_pfnGetDriverProcAddrTable_t get_driver = (ze_pfnGetDriverProcAddrTable_t)dlsym(s.lib, "zeGetDriverProcAddrTable");
    ze_pfnGetEventProcAddrTable_t get_event = (ze_pfnGetEventProcAddrTable_t)dlsym(s.lib, "zeGetEventProcAddrTable");
    ze_pfnGetCommandListProcAddrTable_t get_list =
        (ze_pfnGetCommandListProcAddrTable_t)dlsym(s.lib, "zeGetCommandListProcAddrTable");
    ze_driver_dditable_t dt = {0};
    ze_event_dditable_t et = {0};
    ze_event_pool_dditable_t pt = {0};
    ze_pfnGetEventPoolProcAddrTable_t get_pool =
        (ze_pfnGetEventPoolProcAddrTable_t)dlsym(s.lib, "zeGetEventPoolProcAddrTable");
    ze_command_list_dditable_t lt = {0};
    if (get_driver(ZE_API_VERSION_1_0, &dt) || get_event(ZE_API_VERSION_1_0, &et) ||
        get_list(ZE_API_VERSION_1_0, &lt) || !get_pool || get_pool(ZE_API_VERSION_1_0, &pt) ||
        !pt.pfnCreate || !pt.pfnDestroy || !et.pfnCreate || !et.pfnDestroy || !dt.pfnGet || !et.pfnQueryKernelTimestamp || !et.pfnHostReset ||
        !lt.pfnAppendBarrier || !lt.pfnAppendSignalEvent)
        return;
    /* The driver's own handles must be the ones the program holds (no loader wrapping). */
    ze_driver_handle_t mine[16], theirs[16];
    uint32_t nm = 16, nt = 16;
    xc_inside++;
    bool ok = dt.pfnGet(&nm, mine) == ZE_RESULT_SUCCESS && xc.ze.DriverGet(&nt, theirs) == ZE_RESULT_SUCCESS;
    xc_inside--;
    if (!ok || nm == 0) return;
    for (uint32_t i = 0; i < nm; i++) {
        bool found = false;
        for (uint32_t j = 0; j < nt; j++) found |= mine[i] == theirs[j];
        if (!found) return;
    }
    xc.hot.EventPoolCreate = pt.pfnCreate;
    xc.hot.EventPoolDestroy = pt.pfnDestroy;
    xc.hot.EventCreate = et.pfnCreate;
    xc.hot.EventDestroy = et.pfnDestroy;
    xc.hot.EventQueryKernelTimestamp = et.pfnQueryKernelTimestamp;
    xc.hot.EventHostReset = et.pfnHostReset;
    xc.hot.CommandListAppendBarrier = lt.pfnAppendBarrier;
    xc.hot.CommandListAppendSignalEvent = lt.pfnAppendSignalEvent;
}

#define RESOLVE(field, name) xc.ze.field = (__typeof__(xc.ze.field))dlsym(xc.loader, name)

static void on_exit_handler(int status, void *arg);

/** Called with xc.mu held once Level Zero is initialized in this process. */
static void attach(void) {
    if (xc.attached || xc.gave_up || !xc.enabled) return;
    xc.loader = dlopen("libze_loader.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!xc.loader) xc.loader = dlopen("libze_loader.so", RTLD_NOW | RTLD_NOLOAD);
    if (!xc.loader) {
        xc_untraced("the Level Zero loader (libze_loader.so.1) is not loaded as a shared library, so its "
                    "tracing layer cannot be reached (a statically linked loader cannot be traced)");
        return;
    }
    ze_result_t (*create)(const zel_tracer_desc_t *, zel_tracer_handle_t *) = dlsym(xc.loader, "zelTracerCreate");
    ze_result_t (*enable)(zel_tracer_handle_t, ze_bool_t) = dlsym(xc.loader, "zelTracerSetEnabled");
    if (!create || !enable) {
        xc_untraced("this Level Zero loader has no tracing API (zelTracerCreate); xpuscope needs a loader "
                    "with the tracing layer (Level Zero loader 1.2 or newer)");
        return;
    }
    /* Newer loaders (1.15.8+) load the layer always and switch it on here. */
    ze_result_t (*layer_on)(void) = dlsym(xc.loader, "zelEnableTracingLayer");
    if (layer_on) layer_on();
    zel_tracer_desc_t desc = {.stype = ZEL_STRUCTURE_TYPE_TRACER_DESC};
    ze_result_t r = create(&desc, &xc.tracer);
    if (r != ZE_RESULT_SUCCESS) {
        xc_untraced("the Level Zero loader did not load its tracing layer (zelTracerCreate returned 0x%x: "
                    "libze_tracing_layer.so.1 is missing or broken, or ZE_ENABLE_TRACING_LAYER was not set "
                    "when the program first called zeInit)",
                    (unsigned)r);
        return;
    }
    RESOLVE(DriverGet, "zeDriverGet");
    RESOLVE(DeviceGet, "zeDeviceGet");
    RESOLVE(DeviceGetSubDevices, "zeDeviceGetSubDevices");
    RESOLVE(DeviceGetProperties, "zeDeviceGetProperties");
    RESOLVE(DeviceGetCommandQueueGroupProperties, "zeDeviceGetCommandQueueGroupProperties");
    RESOLVE(DeviceGetGlobalTimestamps, "zeDeviceGetGlobalTimestamps");
    RESOLVE(EventPoolCreate, "zeEventPoolCreate");
    RESOLVE(EventPoolDestroy, "zeEventPoolDestroy");
    RESOLVE(EventCreate, "zeEventCreate");
    RESOLVE(EventDestroy, "zeEventDestroy");
    RESOLVE(EventQueryKernelTimestamp, "zeEventQueryKernelTimestamp");
    RESOLVE(EventHostReset, "zeEventHostReset");
    RESOLVE(CommandListAppendBarrier, "zeCommandListAppendBarrier");
    RESOLVE(CommandListAppendSignalEvent, "zeCommandListAppendSignalEvent");
    RESOLVE(MemGetAllocProperties, "zeMemGetAllocProperties");
    RESOLVE(DevicePciGetPropertiesExt, "zeDevicePciGetPropertiesExt");
    if (!xc.ze.DriverGet || !xc.ze.DeviceGet || !xc.ze.DeviceGetProperties ||
        !xc.ze.DeviceGetCommandQueueGroupProperties || !xc.ze.EventPoolCreate || !xc.ze.EventCreate ||
        !xc.ze.EventQueryKernelTimestamp || !xc.ze.EventHostReset || !xc.ze.EventDestroy ||
        !xc.ze.EventPoolDestroy || !xc.ze.CommandListAppendBarrier || !xc.ze.CommandListAppendSignalEvent) {
        xc_untraced("the Level Zero loader lacks a core entry point the collector needs");
        return;
    }
    find_hot_calls();
    enumerate_devices();
    xc_register_callbacks(xc.loader, xc.tracer);
    r = enable(xc.tracer, 1);
    if (r != ZE_RESULT_SUCCESS) {
        xc_untraced("zelTracerSetEnabled returned 0x%x", (unsigned)r);
        return;
    }
    xc.attached = true;
    xc.last_anchor_mono = mono_raw();
    xr_header_t *h = xc_ring_header();
    if (h) h->state = XR_STATE_ATTACHED;
    emit_process();
    static bool exit_hooked;
    if (!exit_hooked) {
        on_exit(on_exit_handler, NULL);
        exit_hooked = true;
    }
    start_harvester();
}

static void collector_init(void);

/** Ensures tracing is set up in this process (also after fork: the child gets its own ring). */
static void ensure_attached(void) {
    collector_init();
    if (!xc.enabled || xc.gave_up) return;
    pthread_mutex_lock(&xc.mu);
    if (!xc.attached) attach();
    else if (!xc.harvester_running) start_harvester();
    pthread_mutex_unlock(&xc.mu);
}

// ---- interposed entry points ------------------------------------------------------------------------------

XC_EXPORT ze_result_t ZE_APICALL zeInit(ze_init_flags_t flags) {
    static ze_result_t (*real)(ze_init_flags_t);
    /* The program's own lookup (dlsym.c) names the loader it loaded, even with RTLD_LOCAL. */
    if (xc_dlsym_zeInit) real = (ze_result_t(*)(ze_init_flags_t))xc_dlsym_zeInit;
    if (!real) real = (ze_result_t(*)(ze_init_flags_t))dlsym(RTLD_NEXT, "zeInit");
    if (!real) return ZE_RESULT_ERROR_UNINITIALIZED;
    ze_result_t r = real(flags);
    if (r == ZE_RESULT_SUCCESS && !xc_inside) ensure_attached();
    return r;
}

XC_EXPORT ze_result_t ZE_APICALL zeInitDrivers(uint32_t *pCount, ze_driver_handle_t *phDrivers,
                                               xc_init_driver_type_desc_t *desc) {
    static ze_result_t (*real)(uint32_t *, ze_driver_handle_t *, xc_init_driver_type_desc_t *);
    if (xc_dlsym_zeInitDrivers) real = (__typeof__(real))xc_dlsym_zeInitDrivers;
    if (!real) real = (__typeof__(real))dlsym(RTLD_NEXT, "zeInitDrivers");
    ze_result_t r;
    if (real) {
        r = real(pCount, phDrivers, desc);
    } else {
        /* A loader older than 1.10 has no zeInitDrivers; a program that found ours by dlsym gets what
           it asked for through zeInit + zeDriverGet instead of a missing symbol. */
        static ze_result_t (*init)(ze_init_flags_t);
        static ze_result_t (*get)(uint32_t *, ze_driver_handle_t *);
        if (!init) init = (__typeof__(init))dlsym(RTLD_NEXT, "zeInit");
        if (!get) get = (__typeof__(get))dlsym(RTLD_NEXT, "zeDriverGet");
        if (!init || !get) return ZE_RESULT_ERROR_UNINITIALIZED;
        r = init(0);
        if (r == ZE_RESULT_SUCCESS) r = get(pCount, phDrivers);
    }
    if (r == ZE_RESULT_SUCCESS && !xc_inside) ensure_attached();
    return r;
}

// ---- exit and fork ---------------------------------------------------------------------------------------

/*
 * At exit: no Level Zero call at all. Whether the loader, its layers and the driver are still alive here
 * depends on who initialized Level Zero when (a library constructor calling zeInit puts their teardown
 * before this handler; C++ statics created lazily register theirs later than it): disabling the tracer
 * then hung on a destroyed mutex. What the program synchronized on was harvested in its own sync
 * epilogues, and the harvester's last pass ran a millisecond ago; what is left is counted in flight.
 */
static void on_exit_handler(int status, void *arg) {
    (void)arg;
    if (xc.pid != getpid()) return; /* inherited registration in a forked child that did not re-attach */
    pthread_mutex_lock(&xc.mu);
    xc.stop = true;
    bool join = xc.harvester_running;
    pthread_mutex_unlock(&xc.mu);
    if (join) pthread_join(xc.harvester, NULL);
    pthread_mutex_lock(&xc.mu);
    xc.harvester_running = false;
    if (xc.attached) {
        xr_exit_t e = {.code = status, .in_flight = xc.in_flight, .host_ns = xc_now_ns()};
        xc_ring_write(XR_EXIT, &e, sizeof e, NULL, 0);
        xr_header_t *h = xc_ring_header();
        if (h) {
            h->exit_code = status;
            h->in_flight = xc.in_flight;
            h->state = XR_STATE_EXITED;
        }
        /* Callbacks from here on (teardown, other threads) return at once. */
        xc.attached = false;
    }
    pthread_mutex_unlock(&xc.mu);
}

/**
 * Registered at start-up, so it runs after on_exit_handler: a process that was never traced says
 * whether it used Level Zero anyway (the loader loads the tracing layer at zeInit when asked to).
 */
static void on_exit_untraced(int status, void *arg) {
    (void)arg;
    xr_header_t *h = xc_ring_header();
    if (!xc.enabled || xc.pid != getpid() || !h || h->state != XR_STATE_LOADED) return;
    void *layer = dlopen("libze_tracing_layer.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (layer) {
        dlclose(layer);
        xc_untraced("the program initialized Level Zero without going through the collector (a statically "
                    "linked Level Zero loader, or zeInit called through a pointer xpuscope did not see): its "
                    "GPU work was not recorded");
    }
    h->exit_code = status;
    if (h->state == XR_STATE_LOADED) h->state = XR_STATE_EXITED;
}

static void fork_prepare(void) { pthread_mutex_lock(&xc.mu); }
static void fork_parent(void) { pthread_mutex_unlock(&xc.mu); }

static void forget_device(uintptr_t k, void *v, void *arg) {
    (void)k, (void)arg;
    ((xc_device *)v)->emitted = false;
}
static void forget_event(uintptr_t k, void *v, void *arg) {
    (void)k, (void)arg;
    ((xc_user_event *)v)->pending = NULL;
}
static void forget_templates(uintptr_t k, void *v, void *arg) {
    (void)k, (void)arg;
    xc_list *l = v;
    for (uint32_t i = 0; i < l->n_templates; i++) l->templates[i].last = NULL;
}

static void fork_child(void) {
    pthread_mutex_init(&xc.mu, NULL);
    if (!xc.enabled) return;
    xc_ring_forget();
    xc.pid = getpid();
    if (!xc_ring_open(xc.dir)) {
        xc.enabled = false;
        return;
    }
    /* The parent's threads, pending operations and emitted records are not this process's. */
    my_tid = 0; /* this thread's cached id was the parent's */
    xc.harvester_running = false;
    xc.process_emitted = false;
    xc.pending_lanes = NULL;
    xc.in_flight = 0;
    for (uint32_t i = 0; i < xc.next_lane; i++) {
        xc_lane *l = all_lanes[i];
        l->head = l->tail = NULL; /* the parent's pending ops: not freed (they are the parent's) */
        l->on_pending_list = false;
        l->emitted = false;
    }
    for (uint32_t i = 1; i < str_cap; i++) {
        if (str_by_id[i]) str_by_id[i]->emitted = false;
    }
    xc_map_each(&xc.devices, forget_device, NULL);
    xc_map_each(&xc.user_events, forget_event, NULL);
    xc_map_each(&xc.lists, forget_templates, NULL);
    xc_callbacks_forked();
    if (xc.attached) {
        xr_header_t *h = xc_ring_header();
        if (h) h->state = XR_STATE_ATTACHED;
    }
}

/**
 * Once per process image: from our constructor, or earlier from our zeInit when another library's
 * constructor initializes Level Zero before ours has run.
 */
static void collector_init(void) {
    static bool done;
    if (done) return;
    done = true;
    const char *dir = getenv("XPUSCOPE_RECORD_DIR");
    xc.pid = getpid();
    if (!dir || !*dir) return; /* loaded outside `xpuscope record`: stay inert */
    snprintf(xc.dir, sizeof xc.dir, "%s", dir);
    if (!xc_ring_open(dir)) {
        xc_message("cannot create the record ring in %s (%s); the program runs untraced", dir, strerror(errno));
        return;
    }
    xc.enabled = true;
    const char *hc = getenv("XPUSCOPE_HOST_CALLS");
    xc.host_calls = hc && *hc && strcmp(hc, "0") != 0;
    on_exit(on_exit_untraced, NULL);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

__attribute__((constructor)) static void collector_constructor(void) { collector_init(); }
