// libze_xpusim: a simulated Level Zero driver. Shared internal declarations: every function one .c file
// defines and another calls is declared here (the driver builds with -Wmissing-prototypes), never ad hoc
// in the calling file.
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <level_zero/ze_api.h>
#include <level_zero/zet_api.h>
#include <level_zero/zes_api.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xs_extra_types.h"
#include "xpusim_ext.h"  // ../include: the public extension interface

// Marks a Level Zero entry point implementation; gen-ddi.mjs scans for "XS_IMPL ze_result_t xs_<name>(".
#define XS_IMPL __attribute__((visibility("hidden")))
#define XS_HIDDEN __attribute__((visibility("hidden")))

#define XS_MAX_GROUPS 8
#define XS_MAX_TILES 2
#define XS_MAX_DEVICES 16
#define XS_TICKS_PER_SEC 19200000ull

// ---- json.c --------------------------------------------------------------------------------------
typedef enum { XJ_NULL, XJ_BOOL, XJ_NUM, XJ_STR, XJ_ARR, XJ_OBJ } xj_type;
typedef struct xj {
    xj_type type;
    double num;
    char *str;          // XJ_STR
    struct xj **items;  // XJ_ARR / XJ_OBJ values
    char **keys;        // XJ_OBJ
    size_t n;
} xj;
xj *xj_parse(const char *text, char *err, size_t errlen);
void xj_free(xj *v);
const xj *xj_get(const xj *obj, const char *key);

// ---- profile.c -----------------------------------------------------------------------------------
enum { XS_ENGINE_CCS = 0, XS_ENGINE_RCS = 1, XS_ENGINE_BCS = 2, XS_ENGINE_LINK_BCS = 3 };
typedef struct {
    int kind;            // XS_ENGINE_*
    uint32_t count;
    uint64_t fill_max;   // max memory-fill pattern size
} xs_group_profile;

typedef struct xs_profile {
    char key[64];        // profile name, e.g. "arc-a770"
    char name[256];
    uint32_t device_id;
    uint32_t tiles;      // 1 or 2
    uint32_t eus_per_subslice, subslices_per_slice, slices;  // per tile
    uint32_t threads_per_eu, simd_width;
    uint32_t clock_mhz;
    uint64_t memory_bytes;      // per tile
    char memory_name[32];
    uint32_t memory_clock_mhz, memory_bus_width;
    uint64_t max_alloc;
    uint32_t max_slm;
    uint32_t subgroup_sizes[8], n_subgroup_sizes;
    uint32_t timestamp_bits, kernel_timestamp_bits;
    bool fp64, integrated;
    uint32_t n_groups;
    xs_group_profile groups[XS_MAX_GROUPS];
    double mem_bw_gbs;          // device memory bandwidth per tile
    double copy_engine_gbs;     // one BCS engine
    double link_gbs;            // host <-> device link (PCIe); integrated: memory bandwidth
    double tdp_w, idle_w;
    uint32_t l1_kb, l2_kb;
    uint32_t pci_bus;
    uint32_t driver_build;
    uint32_t ip_version;  // architecture << 22 | release << 14 | revision; 0 = not reported
} xs_profile;

// Loads the embedded profiles plus XPUSIM_CONFIG; returns false with a message on error.
bool xs_profiles_load(char *err, size_t errlen);
const xs_profile *xs_profile_find(const char *key);
void xs_profiles_free(void);
extern const char *const xs_embedded_profile_names[];
extern const char *const xs_embedded_profile_texts[];

// ---- timing / resources (sched.c) -----------------------------------------------------------------
uint64_t xs_now_ns(void);          // CLOCK_MONOTONIC_RAW
uint64_t xs_ticks_from_ns(uint64_t ns);
uint64_t xs_now_ticks(void);
void xs_sleep_until_ns(uint64_t t);      // precise: sleeps, then yields for the last xs_spin_ns()
uint64_t xs_spin_ns(void);               // how long before a deadline waits stop sleeping (sched.c)
void xs_precise_thread(void);            // an engine thread: timer slack 1 ns (sched.c "precise waits")

// A shared resource (the EUs of a tile, its memory bandwidth, the host link). Operations that run
// concurrently share its capacity in proportion to their demand (processor sharing).
typedef struct xs_resource_op {
    struct xs_resource_op *next;
    double remaining;   // seconds of full-capacity work left
    double demand;
    double rate;        // current share
} xs_resource_op;
typedef struct xs_resource {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    xs_resource_op *active;
    uint64_t last_ns;
    char name[32];
} xs_resource;
void xs_resource_init(xs_resource *r, const char *name);
void xs_resource_destroy(xs_resource *r);
// Runs `work` seconds-at-full-capacity with demand fraction `demand` (0..1]; returns when done or
// when *abort becomes true.
void xs_resource_run(xs_resource *r, double work_s, double demand, volatile int *abort_flag);
// Split form: the operation holds its share from begin to finish, so host work done in between (the
// real memmove) counts as progress at the share it had.
void xs_resource_begin(xs_resource *r, xs_resource_op *op, double work_s, double demand);
void xs_resource_finish(xs_resource *r, xs_resource_op *op, volatile int *abort_flag);

// ---- objects ------------------------------------------------------------------------------------
enum xs_type {
    XS_T_DRIVER = 1, XS_T_DEVICE, XS_T_CONTEXT, XS_T_QUEUE, XS_T_LIST, XS_T_FENCE, XS_T_EVENT_POOL,
    XS_T_EVENT, XS_T_MODULE, XS_T_KERNEL, XS_T_BUILD_LOG, XS_T_ALLOC, XS_T_SYSMAN, XS_T_COUNT
};
#define XS_MAGIC 0x58505553u  // "XPUS"

// handle registry (handles.c): every handle handed out is registered with its type; calls check it.
void xs_reg_add(const void *p, int type);
void xs_reg_del(const void *p);
bool xs_reg_is(const void *p, int type);
uint64_t xs_reg_count(int type);
void xs_reg_stats(xs_registry_stats_t *out);   // zexXpusimGetRegistryStats (ext.c)
void xs_reg_free_all(void);

typedef struct xs_device xs_device;
typedef struct xs_engine xs_engine;
typedef struct xs_event xs_event;

struct xs_engine {
    xs_device *dev;
    uint32_t ordinal, index;
    int kind;
    pthread_t thread;
    bool started, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct xs_batch *head, *tail;
    uint64_t busy_ns;            // accumulated busy time (for sysman)
    uint64_t busy_since_ns;      // non-zero while executing
    uint64_t ops_done;
    // Device time (queue.c "device time"), engine thread only: how far this thread runs behind the
    // modelled engine while executing a command (host ns), and when the previous command ended.
    uint64_t lag_ns;
    uint64_t prev_end_ns;
};
// The modelled fixed latency of a command on e (submission, launch): waits until `ns` after the
// engine's device time, not after whenever its thread got the CPU (queue.c "device time").
void xs_engine_delay(xs_engine *e, uint64_t ns);

typedef struct xs_tile_res {
    xs_resource compute, membw;
} xs_tile_res;

// The host link of one card (PCIe is full duplex: one resource per direction), shared by all device
// objects of the card (its tiles in FLAT mode, root and sub-devices in COMPOSITE mode).
typedef struct xs_card_res {
    xs_resource h2d, d2h;
} xs_card_res;

struct xs_device {
    uint32_t magic;
    const xs_profile *prof;
    int tile;                 // tile index; -1 = composite root of all tiles
    bool is_sub;              // reported as a sub-device (COMPOSITE / COMBINED)
    uint32_t n_tiles;         // tiles this device spans
    xs_device *subs[XS_MAX_TILES];
    uint32_t n_subs;
    xs_device *root;
    uint32_t ordinal;         // index in the driver's device list (for uuid)
    uint32_t n_engines;
    xs_engine *engines;       // flattened (group, index)
    uint32_t group_first[XS_MAX_GROUPS];
    xs_tile_res *res;         // resources shared by engines of this device
    xs_card_res *card;        // host link, shared with the other devices of the card
    pthread_mutex_t mem_mu;
    uint64_t mem_used;
    uint64_t created_ns;
    volatile int lost;        // this device was lost (only set on root devices; subs follow their root)
    uint64_t ops;             // operations executed on this device and its sub-devices (root devices)
    struct xs_sysman *sysman;  // sysman objects (sysman.c), created on first enumeration
};
void xs_sysman_free(xs_device *d);
uint64_t xs_engine_busy_ns(xs_engine *e, uint64_t now);

typedef struct xs_context {
    uint32_t magic;
    ze_context_flags_t flags;
} xs_context;

typedef struct xs_alloc {
    uint32_t magic;
    xs_context *ctx;
    xs_device *dev;          // NULL for host
    ze_memory_type_t type;
    void *base;              // user pointer
    void *raw;               // what to free
    size_t size;
    uint64_t id;
} xs_alloc;

// allocations (memory.c)
xs_alloc *xs_alloc_find(const void *p);   // allocation containing p (caller holds no lock); NULL if none
uint64_t xs_alloc_live_bytes(void);       // bytes of live allocations (zexXpusimGetLiveObjects)
void xs_allocs_free_all(void);

// ---- events (event.c) -------------------------------------------------------------------------------
typedef struct xs_event_pool {
    uint32_t magic;
    xs_context *ctx;
    ze_event_pool_flags_t flags;
    uint32_t count;
    xs_event *events;   // array of count
    uint32_t live;      // created events
} xs_event_pool;

struct xs_event {
    uint32_t magic;
    xs_event_pool *pool;
    xs_device *signaller;  // device of the last command appended to signal it (atomic); NULL = host only
    uint32_t index;
    bool created;
    int state;           // 0 = not signalled, 1 = signalled
    bool has_ts;
    uint64_t ts_start, ts_end;   // ticks (full width)
    ze_event_scope_flags_t signal_scope, wait_scope;
    // Threads (host synchronizes, engines stalled on a wait) waiting for this event now, under
    // xs_ev_mu: a signal wakes xs_ev_cv only when someone waits for this event, as a GPU's memory write
    // wakes no one else (every op signalling an event otherwise woke every host waiter).
    uint32_t waiters;
    uint64_t signal_ns;  // device time (host ns) of the latest signal, under xs_ev_mu: a wait ends no earlier
};
extern pthread_mutex_t xs_ev_mu;   // state.c
extern pthread_cond_t xs_ev_cv;
// Threads waiting now (under xs_ev_mu) for a completion counter or a fence (list/queue synchronize,
// fence synchronize, destroys draining work): a batch's completion wakes xs_ev_cv only when there are
// any, as a GPU finishing a batch interrupts no host thread that waits for something else (a waiter in
// zeEventHostSynchronize was woken, and the engine preempted by it, at every immediate append's end).
extern uint32_t xs_done_waiters;
uint64_t xs_deadline(uint64_t timeout_ns);   // CLOCK_MONOTONIC deadline for xs_ev_wait_until (UINT64_MAX = none)
// Waits on xs_ev_cv (caller holds xs_ev_mu) until the deadline; returns false once it has passed.
bool xs_ev_wait_until(uint64_t deadline);
bool xs_done_wait_until(uint64_t deadline);
void xs_event_signal(xs_event *e, bool ts, uint64_t start, uint64_t end, uint64_t at_ns);
void xs_event_reset(xs_event *e);
bool xs_event_valid(ze_event_handle_t h);

// ---- modules / kernels (module.c) -----------------------------------------------------------------
#define XS_MAX_ARGS 32
typedef struct xs_kernel_info {
    char name[128];
    uint32_t nargs;
    uint32_t arg_size[XS_MAX_ARGS];
    uint8_t arg_local[XS_MAX_ARGS];   // local (SLM) pointer argument
    uint8_t arg_ptr[XS_MAX_ARGS];     // global/constant pointer argument
} xs_kernel_info;

typedef struct xs_module {
    uint32_t magic;
    xs_context *ctx;
    xs_device *dev;
    uint32_t n_kernels;
    xs_kernel_info *kernels;
    uint32_t spirv_version;
    uint32_t live_kernels;
} xs_module;

typedef struct xs_kernel {
    uint32_t magic;
    xs_module *mod;
    const xs_kernel_info *info;
    uint32_t gx, gy, gz;
    uint64_t args[XS_MAX_ARGS];
    uint32_t args_set;    // bitmask
} xs_kernel;

// ---- commands / lists / queues (queue.c) ----------------------------------------------------------
enum xs_cmd_kind {
    XS_C_NOP, XS_C_COPY, XS_C_FILL, XS_C_TIMESTAMP, XS_C_KERNEL, XS_C_RESET, XS_C_SIGNAL_ONLY, XS_C_COPY_REGION, XS_C_QUERY_TS
};
typedef struct xs_cmd {
    int kind;
    uint32_t nwait;
    xs_event **waits;
    xs_event *signal;
    union {
        struct { void *dst; const void *src; size_t size; } copy;
        struct { void *dst; uint8_t pattern[16]; const void *big_pattern; size_t psize, size; } fill;
        struct { uint64_t *dst; } ts;
        struct { uint8_t *dst; const uint8_t *src; ze_copy_region_t dr, sr; size_t dpitch, dslice, spitch, sslice; } region;
        struct { uint32_t n; xs_event **events; uint8_t *dst; size_t *offsets; } qts;
        struct { xs_event *ev; } reset;
        struct {
            const xs_kernel_info *info; xs_device *dev;
            uint32_t gx, gy, gz, cx, cy, cz; uint64_t args[XS_MAX_ARGS];
        } k;
    } u;
} xs_cmd;

typedef struct xs_cmdlist {
    uint32_t magic;
    xs_context *ctx;
    xs_device *dev;
    uint32_t ordinal, index;
    bool immediate, closed;
    ze_command_queue_mode_t mode;
    uint32_t flags;
    xs_cmd *cmds;
    size_t n, cap;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint32_t inflight;              // batches referencing this list still executing
    uint64_t imm_submitted, imm_done;
} xs_cmdlist;

typedef struct xs_fence {
    uint32_t magic;
    struct xs_queue *q;
    xs_device *dev;          // the queue's device (the queue may be destroyed before the fence)
    int state;
} xs_fence;

typedef struct xs_queue {
    uint32_t magic;
    xs_context *ctx;
    xs_device *dev;
    xs_engine *eng;
    ze_command_queue_desc_t desc;
    uint64_t submitted, done;   // protected by xs_ev_mu
} xs_queue;

typedef struct xs_batch {
    struct xs_batch *next;
    xs_cmdlist *list;        // commands come from list->cmds[0..n)
    xs_cmd *own;             // or from this single owned command (immediate append)
    size_t n;
    xs_queue *q;             // completion counting
    xs_fence *fence;
    uint64_t *done_counter;  // incremented under xs_ev_mu when the batch finishes
    uint64_t submit_ticks;
    uint64_t submit_ns;      // host ns (xs_now_ns) of the submission: no command of it starts earlier
} xs_batch;

void xs_engine_submit(xs_engine *e, xs_batch *b);
void xs_engines_stop_all(void);
void xs_cmd_free(xs_cmd *c);

// ---- kernels.c ------------------------------------------------------------------------------------
// Runs a kernel command on e: the native host implementation of a known kernel, then the timing model
// (cut short when *abort_flag is raised); false when the kernel hung or faulted (its device is lost).
bool xs_kernel_run(xs_engine *e, xs_cmd *c, volatile int *abort_flag);

// ---- device.c -------------------------------------------------------------------------------------
void xs_fill_device_properties(const xs_device *d, ze_device_properties_t *p);  // also for zesDeviceGetProperties

// ---- shared state (state.c: the leaf every file calls) and init (driver.c) -------------------------
typedef struct xs_faults {
    uint64_t device_lost_after_ops;  // 0 = off
    uint64_t oom_after_bytes;        // 0 = off
    char hang_kernel[128];
    uint64_t hang_ms;
    double slow;
    // device_lost_after_ops@D=N: root device D (zeDeviceGet order) is lost after N of its own ops
    bool dev_lost_set[XS_MAX_DEVICES];
    uint64_t dev_lost_after_ops[XS_MAX_DEVICES];
    // hang_call=zeFoo (+ hang_call_after=N): call N+1 of zeFoo (and every later one) never returns,
    // like a driver stuck in an ioctl; the calling thread sleeps until the process ends
    char hang_call[96];
    uint64_t hang_call_after;
} xs_faults;

typedef struct xs_driver {
    uint32_t magic;
    bool initialised;
    ze_result_t init_result;
    bool sysman;
    uint32_t n_devices;               // root devices reported by zeDeviceGet
    xs_device *devices[XS_MAX_DEVICES];
    uint32_t n_cards;
    xs_card_res *cards[XS_MAX_DEVICES];
    uint32_t n_all;                   // all device objects (roots + subs) for cleanup
    xs_device *all[XS_MAX_DEVICES * 3];
    xs_faults faults;
    volatile int device_lost;
    uint64_t ops_total;
    uint64_t tick_offset;
    uint64_t oom_bytes_used;
} xs_driver;
extern xs_driver xs_drv;                 // state.c
ze_result_t xs_ensure_init(void);        // driver.c: initialise once (zeInit, zeInitDrivers)
ze_result_t xs_unsupported(const char *fn);
void xs_set_last_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *xs_last_error(void);         // this thread's last error text ("" if none)
void xs_set_lost(void);                  // every device of the process is lost
void xs_set_device_lost(xs_device *d);   // only d (and its root's other sub-devices) is lost
// A device is lost when the whole process lost its devices or its root device was lost.
static inline bool xs_dev_lost(const xs_device *d) { return xs_drv.device_lost || (d && d->root->lost); }
static inline bool xs_event_lost(xs_event *e) {
    return xs_drv.device_lost || xs_dev_lost(__atomic_load_n(&e->signaller, __ATOMIC_ACQUIRE));
}
void xs_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xs_hang_point(const char *fn);   // the hang_call fault (state.c); fn = "xs_zeFoo"

// Check helpers (every entry point starts with XS_CHECK_INIT, which is also where hang_call strikes)
#define XS_CHECK_INIT() do { if (!xs_drv.initialised) return ZE_RESULT_ERROR_UNINITIALIZED; \
    if (xs_drv.faults.hang_call[0]) xs_hang_point(__func__); } while (0)
#define XS_CHECK_HANDLE(h, t) do { if ((h) == NULL) return ZE_RESULT_ERROR_INVALID_NULL_HANDLE; \
    if (!xs_reg_is((h), (t))) return ZE_RESULT_ERROR_INVALID_ARGUMENT; } while (0)
#define XS_CHECK_DRIVER(h) do { XS_CHECK_INIT(); if ((h) == NULL) return ZE_RESULT_ERROR_INVALID_NULL_HANDLE; \
    if ((void *)(h) != (void *)&xs_drv) return ZE_RESULT_ERROR_INVALID_ARGUMENT; } while (0)
#define XS_CHECK_PTR(p) do { if ((p) == NULL) return ZE_RESULT_ERROR_INVALID_NULL_POINTER; } while (0)
#define XS_CHECK_LOST() do { if (xs_drv.device_lost) return ZE_RESULT_ERROR_DEVICE_LOST; } while (0)
#define XS_CHECK_DEV_LOST(d) do { if (xs_dev_lost(d)) return ZE_RESULT_ERROR_DEVICE_LOST; } while (0)

// Prototypes of every XS_IMPL entry point, typed by the headers' pfn typedefs (generated from
// src/*.c by scripts/gen-ddi.mjs): each definition is checked against its header signature in its own
// file, not only where the dispatch tables take its address.
#include "xs_decls.h"
