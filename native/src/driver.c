// Driver initialisation, driver and device queries.
#include "xpusim.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

xs_driver xs_drv = { .magic = XS_MAGIC };
static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;
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

ze_result_t xs_unsupported(const char *fn) {
    xs_set_last_error("%s is not implemented by the simulated driver (libze_xpusim)", fn);
    xs_debug("%s: not implemented (ZE_RESULT_ERROR_UNSUPPORTED_FEATURE)", fn);
    return ZE_RESULT_ERROR_UNSUPPORTED_FEATURE;
}

bool xs_device_valid(ze_device_handle_t h) { return h && xs_reg_is(h, XS_T_DEVICE); }

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

// The hang_call fault: a host-side driver call that never returns (a driver stuck in the kernel). It
// blocks before taking any lock, so other threads keep working; only the calling thread is stuck.
void xs_hang_point(const char *fn) {
    static uint64_t calls;
    if (!strncmp(fn, "xs_", 3)) fn += 3;
    if (strcmp(fn, xs_drv.faults.hang_call)) return;
    if (__atomic_fetch_add(&calls, 1, __ATOMIC_SEQ_CST) < xs_drv.faults.hang_call_after) return;
    xs_debug("%s: hanging forever (XPUSIM_FAULTS hang_call)", fn);
    for (;;) xs_sleep_until_ns(xs_now_ns() + 1000000000ull);
}

// ---- device construction ----------------------------------------------------------------------
static xs_card_res *new_card(void) {
    if (xs_drv.n_cards >= XS_MAX_DEVICES) return NULL;
    xs_card_res *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    xs_resource_init(&c->h2d, "link-h2d");
    xs_resource_init(&c->d2h, "link-d2h");
    xs_drv.cards[xs_drv.n_cards++] = c;
    return c;
}

static xs_device *new_device(const xs_profile *p, int tile, uint32_t n_tiles, bool is_sub, xs_card_res *card) {
    xs_device *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->magic = XS_MAGIC;
    d->prof = p;
    d->tile = tile;
    d->n_tiles = n_tiles;
    d->is_sub = is_sub;
    d->root = d;
    d->card = card;
    d->created_ns = xs_now_ns();
    pthread_mutex_init(&d->mem_mu, NULL);
    uint32_t n = 0;
    for (uint32_t g = 0; g < p->n_groups; g++) { d->group_first[g] = n; n += p->groups[g].count; }
    d->n_engines = n;
    d->engines = calloc(n, sizeof *d->engines);
    d->res = calloc(1, sizeof *d->res);
    if (!d->engines || !d->res) { free(d->engines); free(d->res); free(d); return NULL; }
    xs_resource_init(&d->res->compute, "compute");
    xs_resource_init(&d->res->membw, "membw");
    for (uint32_t g = 0; g < p->n_groups; g++)
        for (uint32_t i = 0; i < p->groups[g].count; i++) {
            xs_engine *e = &d->engines[d->group_first[g] + i];
            e->dev = d; e->ordinal = g; e->index = i; e->kind = p->groups[g].kind;
            pthread_mutex_init(&e->mu, NULL);
            pthread_cond_init(&e->cv, NULL);
        }
    xs_drv.all[xs_drv.n_all++] = d;
    xs_reg_add(d, XS_T_DEVICE);
    return d;
}

static void free_device(xs_device *d) {
    xs_sysman_free(d);
    xs_reg_del(d);
    for (uint32_t i = 0; i < d->n_engines; i++) { pthread_mutex_destroy(&d->engines[i].mu); pthread_cond_destroy(&d->engines[i].cv); }
    xs_resource_destroy(&d->res->compute);
    xs_resource_destroy(&d->res->membw);
    pthread_mutex_destroy(&d->mem_mu);
    free(d->res);
    free(d->engines);
    free(d);
}

typedef enum { H_FLAT, H_COMPOSITE, H_COMBINED } hierarchy_t;

// ZE_AFFINITY_MASK entries "D" or "D.T"; returns true when (dev, tile) is selected.
static bool affinity_selected(const char *mask, uint32_t dev, int tile, bool flat) {
    if (!mask || !*mask) return true;
    const char *p = mask;
    while (*p) {
        char *end;
        unsigned long d = strtoul(p, &end, 10);
        if (end == p) return false;
        long t = -1;
        p = end;
        if (*p == '.') { p++; t = (long)strtoul(p, &end, 10); p = end; }
        if (flat) { if (d == dev && t < 0) return true; }
        else if (d == dev && (t < 0 || tile < 0 || t == tile)) return true;
        while (*p == ',' || *p == ' ') p++;
    }
    return false;
}

static bool parse_faults(const char *s, xs_faults *f) {
    memset(f, 0, sizeof *f);
    f->slow = 1.0;
    f->hang_ms = 1500;
    if (!s) return true;
    char *copy = strdup(s), *save = NULL;
    if (!copy) return false;
    bool ok = true;
    for (char *tok = strtok_r(copy, ",;", &save); tok; tok = strtok_r(NULL, ",;", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) { ok = false; break; }
        *eq = 0;
        const char *k = tok, *v = eq + 1;
        if (!strcmp(k, "device_lost_after_ops")) f->device_lost_after_ops = strtoull(v, NULL, 0);
        else if (!strncmp(k, "device_lost_after_ops@", 22)) {
            // per device: device_lost_after_ops@D=N (D = index in zeDeviceGet order; N = 0 loses it at its first op)
            char *end;
            unsigned long d = strtoul(k + 22, &end, 10);
            if (end == k + 22 || *end || d >= XS_MAX_DEVICES) { ok = false; break; }
            f->dev_lost_set[d] = true;
            f->dev_lost_after_ops[d] = strtoull(v, NULL, 0);
        }
        else if (!strcmp(k, "oom_after_bytes")) f->oom_after_bytes = strtoull(v, NULL, 0);
        else if (!strcmp(k, "hang_kernel")) snprintf(f->hang_kernel, sizeof f->hang_kernel, "%s", v);
        else if (!strcmp(k, "hang_ms")) f->hang_ms = strtoull(v, NULL, 0);
        else if (!strcmp(k, "hang_call")) snprintf(f->hang_call, sizeof f->hang_call, "%s", v);
        else if (!strcmp(k, "hang_call_after")) f->hang_call_after = strtoull(v, NULL, 0);
        else if (!strcmp(k, "slow")) { f->slow = strtod(v, NULL); if (!(f->slow > 0)) ok = false; }
        else { ok = false; break; }
    }
    free(copy);
    return ok;
}

static ze_result_t do_init(void) {
    char err[256] = "";
    if (!xs_profiles_load(err, sizeof err)) { fprintf(stderr, "xpusim: profile error: %s\n", err); return ZE_RESULT_ERROR_UNINITIALIZED; }
    if (!parse_faults(getenv("XPUSIM_FAULTS"), &xs_drv.faults)) {
        fprintf(stderr, "xpusim: bad XPUSIM_FAULTS (expected device_lost_after_ops=N,device_lost_after_ops@D=N,oom_after_bytes=N,hang_kernel=NAME,hang_ms=N,hang_call=NAME,hang_call_after=N,slow=F)\n");
        return ZE_RESULT_ERROR_UNINITIALIZED;
    }
    // XPUSIM_TICK_OFFSET=N adds N ticks to the device clock; XPUSIM_TICK_OFFSET=wrap:MS picks the
    // offset so that the 32-bit kernel timestamps wrap MS milliseconds after zeInit (for testing).
    const char *to = getenv("XPUSIM_TICK_OFFSET");
    xs_drv.tick_offset = 0;
    if (to && !strncmp(to, "wrap:", 5)) {
        uint64_t raw = xs_now_ticks();
        uint64_t ahead = strtoull(to + 5, NULL, 0) * (XS_TICKS_PER_SEC / 1000);
        // device clock = 2^32 - ahead ticks now (mod 2^64): the 32-bit kernel timestamps wrap in MS ms
        // while the 36-bit global counter simply passes 2^32
        xs_drv.tick_offset = (1ull << 32) - ahead - raw;
    } else if (to) xs_drv.tick_offset = strtoull(to, NULL, 0);
    const char *sm = getenv("ZES_ENABLE_SYSMAN");
    xs_drv.sysman = sm && !strcmp(sm, "1");
    const char *hs = getenv("ZE_FLAT_DEVICE_HIERARCHY");
    hierarchy_t h = H_FLAT;
    if (hs && !strcmp(hs, "COMPOSITE")) h = H_COMPOSITE;
    else if (hs && !strcmp(hs, "COMBINED")) h = H_COMBINED;
    const char *mask = getenv("ZE_AFFINITY_MASK");
    const char *list = getenv("XPUSIM_PROFILE");
    if (!list || !*list) list = "arc-a770";
    char *copy = strdup(list), *save = NULL;
    if (!copy) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    uint32_t card = 0, flat_index = 0;
    ze_result_t rc = ZE_RESULT_SUCCESS;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save), card++) {
        while (*tok == ' ') tok++;
        const xs_profile *p = xs_profile_find(tok);
        if (!p) { fprintf(stderr, "xpusim: unknown profile '%s' in XPUSIM_PROFILE\n", tok); rc = ZE_RESULT_ERROR_UNINITIALIZED; break; }
        xs_card_res *cres = new_card();
        if (!cres) { rc = ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; break; }
        if (h == H_FLAT || p->tiles == 1) {
            for (uint32_t t = 0; t < p->tiles; t++, flat_index++) {
                bool sel = h == H_FLAT ? affinity_selected(mask, flat_index, -1, true) : affinity_selected(mask, card, (int)t, false);
                if (!sel || xs_drv.n_devices >= XS_MAX_DEVICES) continue;
                xs_device *d = new_device(p, (int)t, 1, false, cres);
                if (!d) { rc = ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; break; }
                d->ordinal = xs_drv.n_devices;
                xs_drv.devices[xs_drv.n_devices++] = d;
            }
        } else {
            bool tsel[XS_MAX_TILES] = { false };
            uint32_t nsel = 0;
            for (uint32_t t = 0; t < p->tiles; t++) if ((tsel[t] = affinity_selected(mask, card, (int)t, false))) nsel++;
            if (!nsel || xs_drv.n_devices >= XS_MAX_DEVICES) continue;
            if (nsel == 1) {  // a single selected tile becomes a root device
                for (uint32_t t = 0; t < p->tiles; t++) if (tsel[t]) {
                    xs_device *d = new_device(p, (int)t, 1, false, cres);
                    if (!d) { rc = ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; break; }
                    d->ordinal = xs_drv.n_devices;
                    xs_drv.devices[xs_drv.n_devices++] = d;
                }
                continue;
            }
            xs_device *root = new_device(p, -1, nsel, false, cres);
            if (!root) { rc = ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; break; }
            root->ordinal = xs_drv.n_devices;
            xs_drv.devices[xs_drv.n_devices++] = root;
            for (uint32_t t = 0; t < p->tiles; t++) if (tsel[t]) {
                xs_device *s = new_device(p, (int)t, 1, true, cres);
                if (!s) { rc = ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; break; }
                s->root = root;
                s->ordinal = root->ordinal;
                root->subs[root->n_subs++] = s;
            }
        }
    }
    free(copy);
    xs_debug("initialised: %u device(s), hierarchy %s", xs_drv.n_devices, hs ? hs : "FLAT");
    return rc;
}

ze_result_t xs_ensure_init(void) {
    pthread_mutex_lock(&init_mu);
    if (!xs_drv.initialised && xs_drv.init_result == ZE_RESULT_SUCCESS) {
        ze_result_t r = do_init();
        if (r == ZE_RESULT_SUCCESS) xs_drv.initialised = true;
        else xs_drv.init_result = r;
    }
    ze_result_t r = xs_drv.initialised ? ZE_RESULT_SUCCESS : xs_drv.init_result;
    pthread_mutex_unlock(&init_mu);
    return r;
}

/** XPUSIM_LEAK_CHECK=1: at unload, name the Level Zero objects the process did not destroy (stderr). */
static void leak_report(void) {
    const char *v = getenv("XPUSIM_LEAK_CHECK");
    if (!v || !*v || !strcmp(v, "0") || !xs_drv.initialised) return;
    static const struct { int type; const char *name; } kinds[] = {
        {XS_T_CONTEXT, "context"}, {XS_T_QUEUE, "command queue"}, {XS_T_LIST, "command list"},
        {XS_T_FENCE, "fence"},     {XS_T_EVENT_POOL, "event pool"}, {XS_T_EVENT, "event"},
        {XS_T_MODULE, "module"},   {XS_T_KERNEL, "kernel"},         {XS_T_ALLOC, "allocation"},
        {XS_T_BUILD_LOG, "build log"},
    };
    char line[512];
    int n = snprintf(line, sizeof line, "xpusim: Level Zero objects still alive at exit:");
    bool any = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        uint64_t c = xs_reg_count(kinds[i].type);
        if (c && n > 0 && (size_t)n < sizeof line) {
            n += snprintf(line + n, sizeof line - (size_t)n, "%s %llu %s", any ? "," : "", (unsigned long long)c,
                          kinds[i].name);
            any = true;
        }
    }
    if (any) fprintf(stderr, "%s\n", line);
}

__attribute__((destructor)) static void xs_unload(void) {
    leak_report();
    xs_engines_stop_all();
    xs_allocs_free_all();
    for (uint32_t i = 0; i < xs_drv.n_all; i++) free_device(xs_drv.all[i]);
    xs_drv.n_all = 0;
    for (uint32_t i = 0; i < xs_drv.n_cards; i++) {
        xs_resource_destroy(&xs_drv.cards[i]->h2d);
        xs_resource_destroy(&xs_drv.cards[i]->d2h);
        free(xs_drv.cards[i]);
    }
    xs_drv.n_cards = 0;
    xs_drv.n_devices = 0;
    xs_profiles_free();
    xs_reg_free_all();
}

// ---- zeInit / zeInitDrivers -------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeInit(ze_init_flags_t flags) {
    if (flags & ~(ze_init_flags_t)(ZE_INIT_FLAG_GPU_ONLY | ZE_INIT_FLAG_VPU_ONLY)) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    if (flags == ZE_INIT_FLAG_VPU_ONLY) return ZE_RESULT_ERROR_UNINITIALIZED;  // a GPU driver offers no VPU
    return xs_ensure_init();
}

XS_IMPL ze_result_t xs_zeInitDrivers(uint32_t *pCount, ze_driver_handle_t *phDrivers, xs_init_driver_type_desc_t *desc) {
    XS_CHECK_PTR(pCount);
    XS_CHECK_PTR(desc);
    if (desc->flags == 0 || (desc->flags & ~0x3u & ~0xffffff00u)) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    if (!(desc->flags & XS_INIT_DRIVER_TYPE_FLAG_GPU)) { *pCount = 0; return ZE_RESULT_SUCCESS; }
    ze_result_t r = xs_ensure_init();
    if (r != ZE_RESULT_SUCCESS) { *pCount = 0; return r; }
    if (*pCount == 0 || !phDrivers) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    phDrivers[0] = (ze_driver_handle_t)&xs_drv;
    *pCount = 1;
    return ZE_RESULT_SUCCESS;
}

// ---- driver ------------------------------------------------------------------------------------------
#define XS_CHECK_DRIVER(h) do { XS_CHECK_INIT(); if ((h) == NULL) return ZE_RESULT_ERROR_INVALID_NULL_HANDLE; \
    if ((void *)(h) != (void *)&xs_drv) return ZE_RESULT_ERROR_INVALID_ARGUMENT; } while (0)

XS_IMPL ze_result_t xs_zeDriverGet(uint32_t *pCount, ze_driver_handle_t *phDrivers) {
    XS_CHECK_INIT();
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !phDrivers) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    phDrivers[0] = (ze_driver_handle_t)&xs_drv;
    *pCount = 1;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDriverGetApiVersion(ze_driver_handle_t h, ze_api_version_t *version) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(version);
    // 1.5: the lowest version newer loaders accept for sorting; the tables we fill are gated by the
    // version the loader passes, so no slot beyond the loader's table is ever written.
    *version = (ze_api_version_t)ZE_MAKE_VERSION(1, 5);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDriverGetProperties(ze_driver_handle_t h, ze_driver_properties_t *p) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(p);
    static const uint8_t uuid[16] = { 'x', 'p', 'u', 's', 'i', 'm', 0, 0, 0x86, 0x80, 0, 0, 0, 0, 0, 1 };
    memcpy(p->uuid.id, uuid, 16);
    uint32_t build = xs_drv.n_devices ? xs_drv.devices[0]->prof->driver_build : 27642;
    p->driverVersion = 0x01030000u + build;
    return ZE_RESULT_SUCCESS;  // unknown pNext structures are left untouched
}

XS_IMPL ze_result_t xs_zeDriverGetIpcProperties(ze_driver_handle_t h, ze_driver_ipc_properties_t *p) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(p);
    p->flags = 0;  // no IPC in the simulator (handles are process-local)
    return ZE_RESULT_SUCCESS;
}

static const struct { const char *name; uint32_t version; } xs_extensions[] = {
    { "ZE_extension_pci_properties", ZE_MAKE_VERSION(1, 0) },
    { "ZE_extension_memory_free_policies", ZE_MAKE_VERSION(1, 0) },
    { "ZE_extension_device_ip_version", ZE_MAKE_VERSION(1, 0) },
    { "ZE_experimental_event_query_timestamps", ZE_MAKE_VERSION(1, 0) },
    { "ZE_experimental_xpusim", ZE_MAKE_VERSION(1, 0) },
};

XS_IMPL ze_result_t xs_zeDriverGetExtensionProperties(ze_driver_handle_t h, uint32_t *pCount, ze_driver_extension_properties_t *p) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(pCount);
    uint32_t n = (uint32_t)(sizeof xs_extensions / sizeof xs_extensions[0]);
    if (*pCount == 0 || !p) { *pCount = n; return ZE_RESULT_SUCCESS; }
    if (*pCount > n) *pCount = n;
    for (uint32_t i = 0; i < *pCount; i++) {
        memset(p[i].name, 0, sizeof p[i].name);
        snprintf(p[i].name, sizeof p[i].name, "%s", xs_extensions[i].name);
        p[i].version = xs_extensions[i].version;
    }
    return ZE_RESULT_SUCCESS;
}

// zeDriverGetLastErrorDescription (spec 1.6; slot 6 of the 1.6 driver table): this thread's last
// error description set by the driver ("" if none).
XS_IMPL ze_result_t xs_zeDriverGetLastErrorDescription(ze_driver_handle_t h, const char **pp) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(pp);
    *pp = last_error;
    return ZE_RESULT_SUCCESS;
}

// Extension functions (zeDriverGetExtensionFunctionAddress).
typedef struct xs_live_objects {
    uint64_t contexts, command_queues, command_lists, fences, event_pools, events, modules, kernels,
        allocations, build_logs;
    uint64_t allocated_bytes;
} xs_live_objects_t;
extern uint64_t xs_alloc_live_bytes(void);

static ze_result_t ZE_APICALL zexXpusimGetLiveObjects(ze_driver_handle_t h, xs_live_objects_t *out) {
    // any non-null driver handle: with several drivers the loader wraps handles, and it cannot
    // translate arguments of extension functions
    XS_CHECK_INIT();
    if (!h) return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    XS_CHECK_PTR(out);
    out->contexts = xs_reg_count(XS_T_CONTEXT);
    out->command_queues = xs_reg_count(XS_T_QUEUE);
    out->command_lists = xs_reg_count(XS_T_LIST);
    out->fences = xs_reg_count(XS_T_FENCE);
    out->event_pools = xs_reg_count(XS_T_EVENT_POOL);
    out->events = xs_reg_count(XS_T_EVENT);
    out->modules = xs_reg_count(XS_T_MODULE);
    out->kernels = xs_reg_count(XS_T_KERNEL);
    out->allocations = xs_reg_count(XS_T_ALLOC);
    out->build_logs = xs_reg_count(XS_T_BUILD_LOG);
    out->allocated_bytes = xs_alloc_live_bytes();
    return ZE_RESULT_SUCCESS;
}

// zexXpusimGetRegistryStats (handles.c): { capacity, live, tombstones } of the handle registry.
struct xs_registry_stats;
extern ze_result_t ZE_APICALL xs_registry_stats_ext(ze_driver_handle_t h, struct xs_registry_stats *out);

// Returns the profile key of a device ("arc-a770"...), tile index (-1 = composite root).
static ze_result_t ZE_APICALL zexXpusimGetDeviceProfile(ze_device_handle_t hd, char *key, uint32_t keyLen, int32_t *tile) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    xs_device *d = (xs_device *)hd;
    if (key && keyLen) snprintf(key, keyLen, "%s", d->prof->key);
    if (tile) *tile = d->tile;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDriverGetExtensionFunctionAddress(ze_driver_handle_t h, const char *name, void **pfn) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(name);
    XS_CHECK_PTR(pfn);
    if (!strcmp(name, "zexXpusimGetLiveObjects")) { *pfn = (void *)zexXpusimGetLiveObjects; return ZE_RESULT_SUCCESS; }
    if (!strcmp(name, "zexXpusimGetDeviceProfile")) { *pfn = (void *)zexXpusimGetDeviceProfile; return ZE_RESULT_SUCCESS; }
    if (!strcmp(name, "zexXpusimGetRegistryStats")) { *pfn = (void *)xs_registry_stats_ext; return ZE_RESULT_SUCCESS; }
    *pfn = NULL;
    return ZE_RESULT_ERROR_INVALID_ARGUMENT;
}

// ---- devices ---------------------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeDeviceGet(ze_driver_handle_t h, uint32_t *pCount, ze_device_handle_t *ph) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(pCount);
    uint32_t n = xs_drv.n_devices;
    if (*pCount == 0 || !ph) { *pCount = n; return ZE_RESULT_SUCCESS; }
    if (*pCount > n) *pCount = n;
    for (uint32_t i = 0; i < *pCount; i++) ph[i] = (ze_device_handle_t)xs_drv.devices[i];
    return ZE_RESULT_SUCCESS;
}

#define DEV(hd) xs_device *d = (xs_device *)(hd); XS_CHECK_INIT(); XS_CHECK_HANDLE(hd, XS_T_DEVICE)

// zeDeviceGetRootDevice (spec 1.7; slot 18 of the 1.7 device table): the composite root of a
// sub-device, NULL for a root device.
XS_IMPL ze_result_t xs_zeDeviceGetRootDevice(ze_device_handle_t hd, ze_device_handle_t *root) {
    DEV(hd);
    XS_CHECK_PTR(root);
    *root = d->is_sub ? (ze_device_handle_t)d->root : NULL;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetSubDevices(ze_device_handle_t hd, uint32_t *pCount, ze_device_handle_t *ph) {
    DEV(hd);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !ph) { *pCount = d->n_subs; return ZE_RESULT_SUCCESS; }
    if (*pCount > d->n_subs) *pCount = d->n_subs;
    for (uint32_t i = 0; i < *pCount; i++) ph[i] = (ze_device_handle_t)d->subs[i];
    return ZE_RESULT_SUCCESS;
}

void xs_fill_device_properties(const xs_device *d, ze_device_properties_t *p);
void xs_fill_device_properties(const xs_device *d, ze_device_properties_t *p) {
    const xs_profile *pr = d->prof;
    p->type = ZE_DEVICE_TYPE_GPU;
    p->vendorId = 0x8086;
    p->deviceId = pr->device_id;
    p->flags = (pr->integrated ? ZE_DEVICE_PROPERTY_FLAG_INTEGRATED : 0) | (d->is_sub ? ZE_DEVICE_PROPERTY_FLAG_SUBDEVICE : 0) |
               (pr->memory_name[0] == 'H' ? ZE_DEVICE_PROPERTY_FLAG_ECC : 0);
    p->subdeviceId = d->is_sub ? (uint32_t)d->tile : 0;
    p->coreClockRate = pr->clock_mhz;
    p->maxMemAllocSize = pr->max_alloc;
    p->maxHardwareContexts = 65536;
    p->maxCommandQueuePriority = 0;
    p->numThreadsPerEU = pr->threads_per_eu;
    p->physicalEUSimdWidth = pr->simd_width;
    p->numEUsPerSubslice = pr->eus_per_subslice;
    p->numSubslicesPerSlice = pr->subslices_per_slice;
    p->numSlices = pr->slices * d->n_tiles;
    // nanoseconds per tick for DEVICE_PROPERTIES, ticks per second for DEVICE_PROPERTIES_1_2
    p->timerResolution = p->stype == ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES_1_2 ? XS_TICKS_PER_SEC : 52;
    p->timestampValidBits = pr->timestamp_bits;
    p->kernelTimestampValidBits = pr->kernel_timestamp_bits;
    memset(p->uuid.id, 0, sizeof p->uuid.id);
    p->uuid.id[0] = 0x86; p->uuid.id[1] = 0x80;
    p->uuid.id[2] = (uint8_t)pr->device_id; p->uuid.id[3] = (uint8_t)(pr->device_id >> 8);
    p->uuid.id[8] = (uint8_t)(pr->pci_bus + d->ordinal);
    p->uuid.id[12] = (uint8_t)d->ordinal;
    p->uuid.id[13] = (uint8_t)(d->tile + 1);
    p->uuid.id[15] = 'x';
    memset(p->name, 0, sizeof p->name);
    snprintf(p->name, sizeof p->name, "%s", pr->name);
}

XS_IMPL ze_result_t xs_zeDeviceGetProperties(ze_device_handle_t hd, ze_device_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    xs_fill_device_properties(d, p);
    // Chained extension structures we know are filled; unknown ones are left untouched (as the spec asks).
    for (ze_base_properties_t *ext = (ze_base_properties_t *)p->pNext; ext; ext = (ze_base_properties_t *)ext->pNext)
        if ((uint32_t)ext->stype == XS_STYPE_DEVICE_IP_VERSION_EXT)
            ((xs_device_ip_version_ext_t *)ext)->ipVersion = d->prof->ip_version;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetComputeProperties(ze_device_handle_t hd, ze_device_compute_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    p->maxTotalGroupSize = 1024;
    p->maxGroupSizeX = p->maxGroupSizeY = p->maxGroupSizeZ = 1024;
    p->maxGroupCountX = p->maxGroupCountY = p->maxGroupCountZ = UINT32_MAX;
    p->maxSharedLocalMemory = d->prof->max_slm;
    p->numSubGroupSizes = d->prof->n_subgroup_sizes;
    memset(p->subGroupSizes, 0, sizeof p->subGroupSizes);
    for (uint32_t i = 0; i < d->prof->n_subgroup_sizes && i < ZE_SUBGROUPSIZE_COUNT; i++) p->subGroupSizes[i] = d->prof->subgroup_sizes[i];
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetModuleProperties(ze_device_handle_t hd, ze_device_module_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    p->spirvVersionSupported = ZE_MAKE_VERSION(1, 2);
    p->flags = ZE_DEVICE_MODULE_FLAG_FP16 | ZE_DEVICE_MODULE_FLAG_INT64_ATOMICS | (d->prof->fp64 ? ZE_DEVICE_MODULE_FLAG_FP64 : 0);
    ze_device_fp_flags_t fp = ZE_DEVICE_FP_FLAG_DENORM | ZE_DEVICE_FP_FLAG_INF_NAN | ZE_DEVICE_FP_FLAG_ROUND_TO_NEAREST |
                              ZE_DEVICE_FP_FLAG_ROUND_TO_ZERO | ZE_DEVICE_FP_FLAG_ROUND_TO_INF | ZE_DEVICE_FP_FLAG_FMA;
    p->fp16flags = fp;
    p->fp32flags = fp | ZE_DEVICE_FP_FLAG_ROUNDED_DIVIDE_SQRT;
    p->fp64flags = d->prof->fp64 ? fp : 0;
    p->maxArgumentsSize = 2048;
    p->printfBufferSize = 4 * 1024 * 1024;
    memset(p->nativeKernelSupported.id, 0, sizeof p->nativeKernelSupported.id);
    memcpy(p->nativeKernelSupported.id, "xpusim-native", 13);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetCommandQueueGroupProperties(ze_device_handle_t hd, uint32_t *pCount, ze_command_queue_group_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(pCount);
    uint32_t n = d->prof->n_groups;
    if (*pCount == 0 || !p) { *pCount = n; return ZE_RESULT_SUCCESS; }
    if (*pCount > n) *pCount = n;
    for (uint32_t i = 0; i < *pCount; i++) {
        const xs_group_profile *g = &d->prof->groups[i];
        switch (g->kind) {
        case XS_ENGINE_CCS: p[i].flags = ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COOPERATIVE_KERNELS; break;
        case XS_ENGINE_RCS: p[i].flags = ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COMPUTE | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COOPERATIVE_KERNELS | ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_METRICS; break;
        default: p[i].flags = ZE_COMMAND_QUEUE_GROUP_PROPERTY_FLAG_COPY; break;
        }
        p[i].maxMemoryFillPatternSize = (size_t)g->fill_max;
        p[i].numQueues = g->count;
    }
    return ZE_RESULT_SUCCESS;
}

uint64_t xs_device_memory_size(const xs_device *d);
uint64_t xs_device_memory_size(const xs_device *d) { return d->prof->memory_bytes * d->n_tiles; }

XS_IMPL ze_result_t xs_zeDeviceGetMemoryProperties(ze_device_handle_t hd, uint32_t *pCount, ze_device_memory_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !p) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    *pCount = 1;
    p->flags = 0;
    p->maxClockRate = d->prof->memory_clock_mhz;
    p->maxBusWidth = d->prof->memory_bus_width;
    p->totalSize = xs_device_memory_size(d);
    memset(p->name, 0, sizeof p->name);
    snprintf(p->name, sizeof p->name, "%s", d->prof->memory_name);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetMemoryAccessProperties(ze_device_handle_t hd, ze_device_memory_access_properties_t *p) {
    DEV(hd);
    (void)d;
    XS_CHECK_PTR(p);
    ze_memory_access_cap_flags_t all = ZE_MEMORY_ACCESS_CAP_FLAG_RW | ZE_MEMORY_ACCESS_CAP_FLAG_ATOMIC |
                                       ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT | ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT_ATOMIC;
    p->hostAllocCapabilities = all;
    p->deviceAllocCapabilities = all;
    p->sharedSingleDeviceAllocCapabilities = all;
    p->sharedCrossDeviceAllocCapabilities = ZE_MEMORY_ACCESS_CAP_FLAG_RW | ZE_MEMORY_ACCESS_CAP_FLAG_CONCURRENT;
    p->sharedSystemAllocCapabilities = 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetCacheProperties(ze_device_handle_t hd, uint32_t *pCount, ze_device_cache_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(pCount);
    if (*pCount == 0 || !p) { *pCount = 1; return ZE_RESULT_SUCCESS; }
    *pCount = 1;
    p->flags = 0;
    p->cacheSize = (size_t)d->prof->l2_kb * 1024u * d->n_tiles;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetImageProperties(ze_device_handle_t hd, ze_device_image_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    p->maxImageDims1D = 16384;
    p->maxImageDims2D = 16384;
    p->maxImageDims3D = 2048;
    p->maxImageBufferSize = d->prof->max_alloc;
    p->maxImageArraySlices = 2048;
    p->maxSamplers = 16;
    p->maxReadImageArgs = 128;
    p->maxWriteImageArgs = 128;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetExternalMemoryProperties(ze_device_handle_t hd, ze_device_external_memory_properties_t *p) {
    DEV(hd);
    (void)d;
    XS_CHECK_PTR(p);
    p->memoryAllocationImportTypes = 0;
    p->memoryAllocationExportTypes = 0;
    p->imageImportTypes = 0;
    p->imageExportTypes = 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetP2PProperties(ze_device_handle_t hd, ze_device_handle_t hp, ze_device_p2p_properties_t *p) {
    DEV(hd);
    XS_CHECK_HANDLE(hp, XS_T_DEVICE);
    XS_CHECK_PTR(p);
    xs_device *o = (xs_device *)hp;
    p->flags = (d->prof == o->prof && !d->prof->integrated) ? (ZE_DEVICE_P2P_PROPERTY_FLAG_ACCESS | ZE_DEVICE_P2P_PROPERTY_FLAG_ATOMICS) : 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceCanAccessPeer(ze_device_handle_t hd, ze_device_handle_t hp, ze_bool_t *value) {
    DEV(hd);
    XS_CHECK_HANDLE(hp, XS_T_DEVICE);
    XS_CHECK_PTR(value);
    xs_device *o = (xs_device *)hp;
    // Peer access between devices of the same model (Xe Link / PCIe P2P); always to itself.
    *value = (d == o || (d->prof == o->prof && !d->prof->integrated)) ? 1 : 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetStatus(ze_device_handle_t hd) {
    DEV(hd);
    return xs_dev_lost(d) ? ZE_RESULT_ERROR_DEVICE_LOST : ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDeviceGetGlobalTimestamps(ze_device_handle_t hd, uint64_t *host, uint64_t *dev) {
    DEV(hd);
    XS_CHECK_PTR(host);
    XS_CHECK_PTR(dev);
    uint64_t ns = xs_now_ns();
    *host = ns;
    uint32_t bits = d->prof->timestamp_bits;
    uint64_t t = xs_ticks_from_ns(ns);
    *dev = bits >= 64 ? t : (t & ((1ull << bits) - 1));
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeDevicePciGetPropertiesExt(ze_device_handle_t hd, ze_pci_ext_properties_t *p) {
    DEV(hd);
    XS_CHECK_PTR(p);
    p->address.domain = 0;
    p->address.bus = d->prof->pci_bus + d->ordinal;
    p->address.device = d->prof->integrated ? 2 : 0;
    p->address.function = 0;
    bool igpu = d->prof->integrated;
    p->maxSpeed.genVersion = igpu ? -1 : (d->prof->link_gbs >= 40 ? 5 : 4);
    p->maxSpeed.width = igpu ? -1 : 16;
    p->maxSpeed.maxBandwidth = igpu ? -1 : (int64_t)(d->prof->link_gbs * 1e9);
    return ZE_RESULT_SUCCESS;
}
