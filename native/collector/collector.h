// libxpuscope_collector: records another program's Level Zero work through the loader's tracing layer.
// Internal declarations shared by the collector's files (see README.md for the design).
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <level_zero/ze_api.h>
#include <level_zero/ze_ddi.h>
#include <level_zero/layers/zel_tracing_api.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xpuscope_ring.h"

#define XC_HIDDEN __attribute__((visibility("hidden")))
#define XC_EXPORT __attribute__((visibility("default")))
/* Initial-exec TLS: the collector is preloaded, so static TLS is available, and every callback reads
   its thread-locals (the default model for a shared library costs a __tls_get_addr call each time). */
#define XC_TLS __attribute__((tls_model("initial-exec")))

// ---- maps.c: open-addressing map from a pointer-sized key to a pointer ------------------------------
typedef struct xc_map {
    uintptr_t *keys; /* 0 = empty, 1 = deleted */
    void **vals;
    size_t cap, used, live;
} xc_map;
XC_HIDDEN void *xc_map_get(const xc_map *m, uintptr_t key);
XC_HIDDEN void xc_map_put(xc_map *m, uintptr_t key, void *val);
XC_HIDDEN void *xc_map_del(xc_map *m, uintptr_t key);
XC_HIDDEN void xc_map_free(xc_map *m);
/** Calls f(key, val, arg) for every entry (do not modify the map inside). */
XC_HIDDEN void xc_map_each(const xc_map *m, void (*f)(uintptr_t key, void *val, void *arg), void *arg);

// ---- ring.c: the record ring file (xpuscope_ring.h) -------------------------------------------------
/** Creates this process image's ring in `dir`; false (with errno) when it cannot. */
XC_HIDDEN bool xc_ring_open(const char *dir);
/** Unmaps the ring without touching the file (after fork, in the child). */
XC_HIDDEN void xc_ring_forget(void);
XC_HIDDEN xr_header_t *xc_ring_header(void);
/** Appends one record (hdr.size and hdr.type are filled in); false when it was dropped (ring full). */
XC_HIDDEN bool xc_ring_write(uint16_t type, const void *rec, uint32_t size, const void *tail, uint32_t tail_size);

// ---- the collector's state (collector.c) -------------------------------------------------------------
typedef struct xc_device {
    ze_device_handle_t handle;
    uint32_t id;
    bool emitted;
    double ns_per_tick;
    uint64_t kmask;                   /* kernel timestamp mask */
    int64_t anchor_host;              /* host ns of the latest zeDeviceGetGlobalTimestamps */
    uint64_t anchor_ticks;
    uint32_t n_groups;
    uint8_t group_engine[16];         /* XR_ENGINE_* per queue group ordinal */
    xr_device_t rec;
} xc_device;

struct xc_op;

typedef struct xc_lane {
    uint32_t id;
    xc_device *device;
    uint32_t ordinal, index;
    uint8_t engine, kind, in_order;
    uint32_t number;
    uint64_t handle;
    bool emitted;
    struct xc_op *head, *tail;        /* operations waiting for their timestamps, in submission order */
    struct xc_lane *next_pending;     /* list of lanes that have pending operations */
    bool on_pending_list;
} xc_lane;

/** One of the collector's own KERNEL_TIMESTAMP events (from its pools, one set per context). */
typedef struct xc_own_event {
    ze_event_handle_t handle;
    struct xc_own_pool *pool;
    struct xc_own_event *next_free;
} xc_own_event;

#define XC_POOL_EVENTS 256
typedef struct xc_own_pool {
    ze_event_pool_handle_t handle;
    struct xc_context *context;
    uint32_t created;                 /* events created so far */
    xc_own_event events[XC_POOL_EVENTS];
    struct xc_own_pool *next;
} xc_own_pool;

typedef struct xc_context {
    ze_context_handle_t handle;
    xc_own_pool *pools;
    xc_own_event *free_events;
} xc_context;

/** An application event pool: whether its events carry kernel timestamps the collector can read. */
typedef struct xc_user_pool {
    ze_event_pool_handle_t handle;
    bool timestamps;                  /* KERNEL_TIMESTAMP (the application's own, or added by us) */
} xc_user_pool;

typedef struct xc_user_event {
    ze_event_handle_t handle;
    xc_user_pool *pool;
    uint64_t signaller;               /* id of the last submitted op that signals it (0 = none) */
    struct xc_op *pending;            /* the op whose timestamps it holds, until harvested */
} xc_user_event;

typedef struct xc_kernel {
    uint32_t name;                    /* string id */
    uint32_t group_size[3];
} xc_kernel;

/** An operation appended to a regular command list, instantiated at each execution. */
typedef struct xc_template {
    uint8_t kind;
    uint32_t name;
    uint64_t bytes;
    uint32_t groups[3], group_size[3];
    ze_event_handle_t event;          /* the event whose timestamps time it (ours or the application's) */
    xc_own_event *own;                /* when it is ours */
    xc_user_event *user;              /* the application's event it signals, if any (for dependencies) */
    uint32_t nwaits;
    ze_event_handle_t *waits;
    struct xc_op *last;               /* the instance of the latest execution, while pending */
} xc_template;

typedef struct xc_list {
    ze_command_list_handle_t handle;
    bool immediate;
    xc_device *device;
    xc_context *context;
    xc_lane *lane;                    /* immediate lists */
    uint32_t executions;
    xc_template *templates;
    uint32_t n_templates, cap_templates;
} xc_list;

typedef struct xc_queue {
    ze_command_queue_handle_t handle;
    xc_lane *lane;
} xc_queue;

typedef struct xc_op {
    uint64_t id;
    xc_lane *lane;
    uint32_t name, exec;
    uint8_t kind, flags;
    bool done;                        /* written out of order (its event was about to be reset) */
    uint64_t bytes;
    int64_t submit_ns;
    uint32_t groups[3], group_size[3];
    ze_event_handle_t event;
    xc_own_event *own;                /* released after the harvest (immediate lists) */
    bool own_is_template;             /* the own event belongs to a regular list's template: reset, keep */
    xc_user_event *user;
    xc_template *tmpl;
    /*
     * A regular list re-executed while the program's event still holds the previous execution's
     * timestamps (it did not reset it): those values, so that only new ones complete this op.
     */
    bool stale;
    uint64_t stale_start, stale_end;
    uint16_t ndeps;
    uint64_t deps[XR_MAX_DEPS];
    struct xc_op *next;
} xc_op;

/** Level Zero entry points the collector calls itself (resolved from the loader with dlsym). */
typedef struct xc_ze {
    ze_pfnDriverGet_t DriverGet;
    ze_pfnDeviceGet_t DeviceGet;
    ze_pfnDeviceGetSubDevices_t DeviceGetSubDevices;
    ze_pfnDeviceGetProperties_t DeviceGetProperties;
    ze_pfnDeviceGetCommandQueueGroupProperties_t DeviceGetCommandQueueGroupProperties;
    ze_pfnDeviceGetGlobalTimestamps_t DeviceGetGlobalTimestamps;
    ze_pfnEventPoolCreate_t EventPoolCreate;
    ze_pfnEventPoolDestroy_t EventPoolDestroy;
    ze_pfnEventCreate_t EventCreate;
    ze_pfnEventDestroy_t EventDestroy;
    ze_pfnEventQueryKernelTimestamp_t EventQueryKernelTimestamp;
    ze_pfnEventHostReset_t EventHostReset;
    ze_pfnCommandListAppendBarrier_t CommandListAppendBarrier;
    ze_pfnCommandListAppendSignalEvent_t CommandListAppendSignalEvent;
    ze_pfnMemGetAllocProperties_t MemGetAllocProperties;
    ze_result_t (*DevicePciGetPropertiesExt)(ze_device_handle_t, ze_pci_ext_properties_t *);
} xc_ze;

/**
 * The hot calls of the harvest, straight into the driver's own tables when the loader hands the program
 * the driver's handles unwrapped (one driver library), else the loader's functions. Through the loader
 * the tracing layer runs for every call, with heap allocations each time.
 */
typedef struct xc_hot {
    ze_pfnEventPoolCreate_t EventPoolCreate;
    ze_pfnEventPoolDestroy_t EventPoolDestroy;
    ze_pfnEventCreate_t EventCreate;
    ze_pfnEventDestroy_t EventDestroy;
    ze_pfnEventQueryKernelTimestamp_t EventQueryKernelTimestamp;
    ze_pfnEventHostReset_t EventHostReset;
    ze_pfnCommandListAppendBarrier_t CommandListAppendBarrier;
    ze_pfnCommandListAppendSignalEvent_t CommandListAppendSignalEvent;
} xc_hot;

typedef struct xc_state {
    pthread_mutex_t mu;
    bool enabled;                     /* XPUSCOPE_RECORD_DIR is set and the ring exists */
    bool attached;                    /* the tracer is registered and enabled */
    bool gave_up;                     /* tracing is impossible in this process (message printed) */
    bool process_emitted;
    void *loader;
    zel_tracer_handle_t tracer;
    xc_ze ze;
    xc_hot hot;
    uint64_t next_op;
    uint32_t next_string, next_lane, next_device;
    uint32_t n_immediate, n_queues;
    xc_map devices, contexts, user_pools, user_events, kernels, lists, queues;
    xc_map strings;                   /* FNV-1a hash → chain of interned strings */
    xc_lane *pending_lanes;
    uint32_t in_flight;
    int64_t clock_offset;             /* records' host clock − CLOCK_MONOTONIC_RAW */
    int64_t last_anchor_mono;
    pthread_t harvester;
    bool harvester_running, stop;
    bool host_calls;                  /* XPUSCOPE_HOST_CALLS=1: the program's calls as host spans */
    pid_t pid;
    char dir[4096];
} xc_state;

XC_HIDDEN extern xc_state xc;
/** Set while the collector itself calls Level Zero: its own calls are not recorded. */
XC_HIDDEN extern __thread int xc_inside XC_TLS;

XC_HIDDEN int64_t xc_now_ns(void);
XC_HIDDEN uint32_t xc_intern(const char *s);
XC_HIDDEN xc_device *xc_device_of(ze_device_handle_t h);
XC_HIDDEN xc_context *xc_context_of(ze_context_handle_t h);
XC_HIDDEN xc_lane *xc_lane_new(xc_device *d, uint32_t ordinal, uint32_t index, uint8_t kind, uint8_t in_order,
                               uint64_t handle);
XC_HIDDEN xc_own_event *xc_own_take(xc_context *c);
XC_HIDDEN void xc_own_release(xc_own_event *e);
XC_HIDDEN void xc_context_drop(xc_context *c);
/** A zeroed op (recycled; call with xc.mu held), and its return. */
XC_HIDDEN xc_op *xc_op_new(void);
XC_HIDDEN void xc_op_free(xc_op *op);
/** Queues an op for harvesting (or writes it at once when it has no event to time it). */
XC_HIDDEN void xc_submit(xc_op *op);
/** Writes every completed pending op, lane by lane in order, as far as each lane has completed. */
XC_HIDDEN void xc_harvest(void);
/** Writes the op `ue` times if it has completed; else, with `lost_if_not_ready`, as lost. */
XC_HIDDEN void xc_harvest_event(xc_user_event *ue, bool lost_if_not_ready);
/** Writes a pending op that can no longer be timed (its event is being reset or reused), counted lost. */
XC_HIDDEN void xc_op_lost(xc_op *op);
/** Writes a pending op now: with its timestamps when they are there (out of order if need be), else lost. */
XC_HIDDEN void xc_op_settle(xc_op *op);
/** Writes a host call record (the id is taken by the caller from xc.next_op). */
XC_HIDDEN void xc_write_host(uint64_t id, const char *api, int64_t start, int64_t end, ze_result_t r);
XC_HIDDEN void xc_write_op(xc_op *op, const ze_kernel_timestamp_result_t *ts);
XC_HIDDEN void xc_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
XC_HIDDEN void xc_untraced(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// ---- interposed entry points (collector.c) --------------------------------------------------------------
/** ze_init_driver_type_desc_t (spec 1.10; the installed 1.4 headers lack it and zeInitDrivers). */
typedef struct {
    ze_structure_type_t stype;
    const void *pNext;
    uint32_t flags;
} xc_init_driver_type_desc_t;
/** The collector's zeInitDrivers (zeInit is declared by ze_api.h); dlsym.c hands both out. */
XC_EXPORT ze_result_t ZE_APICALL zeInitDrivers(uint32_t *pCount, ze_driver_handle_t *phDrivers,
                                               xc_init_driver_type_desc_t *desc);

// ---- dlsym.c ---------------------------------------------------------------------------------------------
/** What the program's own dlsym lookups of zeInit / zeInitDrivers returned (NULL until it made one). */
XC_HIDDEN extern void *xc_dlsym_zeInit;
XC_HIDDEN extern void *xc_dlsym_zeInitDrivers;

// ---- callbacks.c --------------------------------------------------------------------------------------
/** Registers every callback the loader offers; returns how many APIs could not be registered. */
XC_HIDDEN int xc_register_callbacks(void *loader, zel_tracer_handle_t tracer);
/** Resets what callbacks.c keeps per thread (after fork). */
XC_HIDDEN void xc_callbacks_forked(void);
