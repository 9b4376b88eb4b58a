// Driver initialisation and teardown, on top of the shared state (state.c): the environment
// (XPUSIM_PROFILE, XPUSIM_FAULTS, XPUSIM_TICK_OFFSET, ZE_FLAT_DEVICE_HIERARCHY, ZE_AFFINITY_MASK,
// ZES_ENABLE_SYSMAN), the cards and device objects it describes, zeInit / zeInitDrivers, and the
// unload that stops the engines and frees everything (with XPUSIM_LEAK_CHECK's report). Driver and
// device queries are in device.c, the extension functions in ext.c.
#include "xpusim.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;

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

// A whole token of decimal digits, no sign, no spaces, no suffix, within [0, max]; false otherwise.
static bool parse_u64(const char *v, uint64_t max, uint64_t *out) {
    if (!*v) return false;
    uint64_t n = 0;
    for (const char *c = v; *c; c++) {
        if (*c < '0' || *c > '9') return false;
        unsigned dgt = (unsigned)(*c - '0');
        if (n > (UINT64_MAX - dgt) / 10) return false;
        n = n * 10 + dgt;
    }
    if (n > max) return false;
    *out = n;
    return true;
}

// An N entry: on a bad value, says so in why ("'hang_ms=5x': N must be a decimal integer from 0 to ...").
static bool u64_entry(const char *entry, const char *v, uint64_t max, uint64_t *out, char *why, size_t why_n) {
    if (parse_u64(v, max, out)) return true;
    snprintf(why, why_n, "'%s': N must be a decimal integer from 0 to %llu", entry, (unsigned long long)max);
    return false;
}

#define XS_SLOW_MAX 1e6
// XPUSIM_FAULTS, strictly: every entry is KEY=VALUE with a known key and a value of the right form
// (N: decimal digits only, no sign or suffix, within range; F: a finite number > 0 and <= 1e6; NAME: not empty, fits).
// On a bad entry, fills why ("'device_lost_after_ops=abc': N must be a decimal integer from 0 to ...") and
// returns false: zeInit then fails, so a test never believes it injected a fault that never happened.
static bool parse_faults(const char *s, xs_faults *f, char *why, size_t why_n) {
    memset(f, 0, sizeof *f);
    f->slow = 1.0;
    f->hang_ms = 1500;
    if (!s) return true;
    char *copy = strdup(s), *save = NULL;
    if (!copy) { snprintf(why, why_n, "out of host memory"); return false; }
    bool ok = true;
    char entry[160];
    for (char *tok = strtok_r(copy, ",;", &save); tok && ok; tok = strtok_r(NULL, ",;", &save)) {
        snprintf(entry, sizeof entry, "%s", tok);
        char *eq = strchr(tok, '=');
        if (!eq) { snprintf(why, why_n, "'%s': expected KEY=VALUE", entry); ok = false; break; }
        *eq = 0;
        const char *k = tok, *v = eq + 1;
        const char *bad = NULL;  // what the value should have been
        if (!strcmp(k, "device_lost_after_ops")) {
            ok = u64_entry(entry, v, UINT64_MAX, &f->device_lost_after_ops, why, why_n);
        } else if (!strncmp(k, "device_lost_after_ops@", 22)) {
            // per device: device_lost_after_ops@D=N (D = index in zeDeviceGet order; N = 0 loses it at its first op)
            uint64_t d = 0;
            if (!parse_u64(k + 22, XS_MAX_DEVICES - 1, &d)) {
                snprintf(why, why_n, "'%s': D must be a device index from 0 to %d", entry, XS_MAX_DEVICES - 1);
                ok = false; break;
            }
            ok = f->dev_lost_set[d] = u64_entry(entry, v, UINT64_MAX, &f->dev_lost_after_ops[d], why, why_n);
        } else if (!strcmp(k, "oom_after_bytes")) {
            ok = u64_entry(entry, v, UINT64_MAX, &f->oom_after_bytes, why, why_n);
        } else if (!strcmp(k, "hang_kernel")) {
            if (!*v || strlen(v) >= sizeof f->hang_kernel) bad = "NAME must be a kernel name of 1 to 127 characters";
            else snprintf(f->hang_kernel, sizeof f->hang_kernel, "%s", v);
        } else if (!strcmp(k, "hang_ms")) {
            ok = u64_entry(entry, v, UINT64_MAX / 1000000u, &f->hang_ms, why, why_n);  // ms -> ns must not wrap
        } else if (!strcmp(k, "hang_call")) {
            if (!*v || strlen(v) >= sizeof f->hang_call) bad = "NAME must be an entry point name of 1 to 95 characters";
            else snprintf(f->hang_call, sizeof f->hang_call, "%s", v);
        } else if (!strcmp(k, "hang_call_after")) {
            ok = u64_entry(entry, v, UINT64_MAX, &f->hang_call_after, why, why_n);
        } else if (!strcmp(k, "slow")) {
            char *e = NULL;
            double x = *v && !isspace((unsigned char)*v) ? strtod(v, &e) : 0;
            if (!e || *e || !isfinite(x) || !(x > 0) || x > XS_SLOW_MAX) bad = "F must be a number > 0 and <= 1000000";
            else f->slow = x;
        } else {
            snprintf(why, why_n, "'%s': unknown key '%s'", entry, k);
            ok = false; break;
        }
        if (bad) { snprintf(why, why_n, "'%s': %s", entry, bad); ok = false; }
    }
    free(copy);
    return ok;
}

static ze_result_t do_init(void) {
    char err[256] = "";
    if (!xs_profiles_load(err, sizeof err)) { fprintf(stderr, "xpusim: profile error: %s\n", err); return ZE_RESULT_ERROR_UNINITIALIZED; }
    char why[256] = "";
    if (!parse_faults(getenv("XPUSIM_FAULTS"), &xs_drv.faults, why, sizeof why)) {
        fprintf(stderr, "xpusim: bad XPUSIM_FAULTS entry %s (expected device_lost_after_ops=N,device_lost_after_ops@D=N,oom_after_bytes=N,hang_kernel=NAME,hang_ms=N,hang_call=NAME,hang_call_after=N,slow=F)\n", why);
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
