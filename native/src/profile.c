// Device profiles: embedded JSON (native/profiles/*.json) plus XPUSIM_CONFIG overrides.
#include "xpusim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static xs_profile *g_profiles;
static size_t g_nprofiles;

static double num_or(const xj *o, const char *k, double d) {
    const xj *v = xj_get(o, k);
    if (!v) return d;
    if (v->type == XJ_NUM || v->type == XJ_BOOL) return v->num;
    if (v->type == XJ_STR) return strtod(v->str, NULL) ? strtod(v->str, NULL) : (double)strtoull(v->str, NULL, 0);
    return d;
}
static uint64_t u64_or(const xj *o, const char *k, uint64_t d) {
    const xj *v = xj_get(o, k);
    if (!v) return d;
    if (v->type == XJ_STR) {
        if (!strcmp(v->str, "host")) return (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
        return strtoull(v->str, NULL, 0);
    }
    if (v->type == XJ_NUM) return (uint64_t)v->num;
    return d;
}
static void str_or(const xj *o, const char *k, char *dst, size_t n) {
    const xj *v = xj_get(o, k);
    if (v && v->type == XJ_STR) snprintf(dst, n, "%s", v->str);
}

// Applies the fields present in `o` on top of `p` (so a config entry may override only some fields).
static bool apply(xs_profile *p, const xj *o, char *err, size_t errlen) {
    str_or(o, "key", p->key, sizeof p->key);
    str_or(o, "name", p->name, sizeof p->name);
    p->device_id = (uint32_t)u64_or(o, "deviceId", p->device_id);
    p->tiles = (uint32_t)u64_or(o, "tiles", p->tiles);
    p->slices = (uint32_t)u64_or(o, "slices", p->slices);
    p->subslices_per_slice = (uint32_t)u64_or(o, "subslicesPerSlice", p->subslices_per_slice);
    p->eus_per_subslice = (uint32_t)u64_or(o, "eusPerSubslice", p->eus_per_subslice);
    p->threads_per_eu = (uint32_t)u64_or(o, "threadsPerEU", p->threads_per_eu);
    p->simd_width = (uint32_t)u64_or(o, "simdWidth", p->simd_width);
    p->clock_mhz = (uint32_t)u64_or(o, "coreClockMHz", p->clock_mhz);
    p->memory_bytes = u64_or(o, "memoryBytes", p->memory_bytes);
    str_or(o, "memoryName", p->memory_name, sizeof p->memory_name);
    p->memory_clock_mhz = (uint32_t)u64_or(o, "memoryClockMHz", p->memory_clock_mhz);
    p->memory_bus_width = (uint32_t)u64_or(o, "memoryBusWidth", p->memory_bus_width);
    p->max_alloc = u64_or(o, "maxMemAllocSize", p->max_alloc);
    p->max_slm = (uint32_t)u64_or(o, "maxSharedLocalMemory", p->max_slm);
    p->timestamp_bits = (uint32_t)u64_or(o, "timestampValidBits", p->timestamp_bits);
    p->kernel_timestamp_bits = (uint32_t)u64_or(o, "kernelTimestampValidBits", p->kernel_timestamp_bits);
    p->fp64 = num_or(o, "fp64", p->fp64) != 0;
    p->integrated = num_or(o, "integrated", p->integrated) != 0;
    p->mem_bw_gbs = num_or(o, "memoryBandwidthGBs", p->mem_bw_gbs);
    p->copy_engine_gbs = num_or(o, "copyEngineBandwidthGBs", p->copy_engine_gbs);
    p->link_gbs = num_or(o, "linkBandwidthGBs", p->link_gbs);
    p->tdp_w = num_or(o, "tdpW", p->tdp_w);
    p->idle_w = num_or(o, "idleW", p->idle_w);
    p->l1_kb = (uint32_t)u64_or(o, "l1KB", p->l1_kb);
    p->l2_kb = (uint32_t)u64_or(o, "l2KB", p->l2_kb);
    p->pci_bus = (uint32_t)u64_or(o, "pciBus", p->pci_bus);
    p->driver_build = (uint32_t)u64_or(o, "driverBuild", p->driver_build);
    const xj *ipv = xj_get(o, "ipVersion");
    if (ipv && ipv->type == XJ_STR) {  // "12.55.8" (architecture.release.revision), as sycl-ls prints it
        unsigned a, r, v;
        char tail;
        if (sscanf(ipv->str, "%u.%u.%u%c", &a, &r, &v, &tail) != 3 || a > 1023 || r > 255 || v > 16383) {
            snprintf(err, errlen, "%s: ipVersion must be \"arch.release.revision\", got '%s'", p->key, ipv->str);
            return false;
        }
        p->ip_version = (a << 22) | (r << 14) | v;
    }
    const xj *sg = xj_get(o, "subGroupSizes");
    if (sg && sg->type == XJ_ARR) {
        p->n_subgroup_sizes = 0;
        for (size_t i = 0; i < sg->n && i < 8; i++) p->subgroup_sizes[p->n_subgroup_sizes++] = (uint32_t)sg->items[i]->num;
    }
    const xj *qg = xj_get(o, "queueGroups");
    if (qg && qg->type == XJ_ARR) {
        if (qg->n == 0 || qg->n > XS_MAX_GROUPS) { snprintf(err, errlen, "%s: queueGroups must have 1..%d entries", p->key, XS_MAX_GROUPS); return false; }
        p->n_groups = 0;
        for (size_t i = 0; i < qg->n; i++) {
            const xj *g = qg->items[i];
            const xj *e = xj_get(g, "engine");
            xs_group_profile *gp = &p->groups[p->n_groups++];
            if (!e || e->type != XJ_STR) { snprintf(err, errlen, "%s: queueGroups[%zu].engine missing", p->key, i); return false; }
            if (!strcmp(e->str, "ccs")) gp->kind = XS_ENGINE_CCS;
            else if (!strcmp(e->str, "rcs")) gp->kind = XS_ENGINE_RCS;
            else if (!strcmp(e->str, "bcs")) gp->kind = XS_ENGINE_BCS;
            else if (!strcmp(e->str, "link-bcs")) gp->kind = XS_ENGINE_LINK_BCS;
            else { snprintf(err, errlen, "%s: unknown engine '%s'", p->key, e->str); return false; }
            gp->count = (uint32_t)u64_or(g, "count", 1);
            bool copy_only = gp->kind == XS_ENGINE_BCS || gp->kind == XS_ENGINE_LINK_BCS;
            gp->fill_max = u64_or(g, "fillPatternMax", copy_only ? 16 : SIZE_MAX);
            if (gp->count == 0 || gp->count > 16) { snprintf(err, errlen, "%s: queue group count out of range", p->key); return false; }
        }
    }
    return true;
}

static bool validate(const xs_profile *p, char *err, size_t errlen) {
    if (!p->key[0] || !p->name[0]) { snprintf(err, errlen, "profile without key/name"); return false; }
    if (p->tiles < 1 || p->tiles > XS_MAX_TILES) { snprintf(err, errlen, "%s: tiles must be 1..%d", p->key, XS_MAX_TILES); return false; }
    if (!p->slices || !p->subslices_per_slice || !p->eus_per_subslice || !p->threads_per_eu || !p->simd_width || !p->clock_mhz) {
        snprintf(err, errlen, "%s: EU topology/clock fields must be non-zero", p->key); return false; }
    if (!p->memory_bytes || !p->max_alloc || p->mem_bw_gbs <= 0 || p->copy_engine_gbs <= 0 || p->link_gbs <= 0 || !p->n_groups) {
        snprintf(err, errlen, "%s: memory/bandwidth/queueGroups fields missing", p->key); return false; }
    if (p->kernel_timestamp_bits < 16 || p->kernel_timestamp_bits > 64 || p->timestamp_bits < 16 || p->timestamp_bits > 64) {
        snprintf(err, errlen, "%s: timestamp bits out of range", p->key); return false; }
    return true;
}

static xs_profile *find_mut(const char *key) {
    for (size_t i = 0; i < g_nprofiles; i++) if (!strcmp(g_profiles[i].key, key)) return &g_profiles[i];
    return NULL;
}

static bool add_json(const xj *o, const char *origin, char *err, size_t errlen) {
    if (!o || o->type != XJ_OBJ) { snprintf(err, errlen, "%s: profile must be an object", origin); return false; }
    const xj *key = xj_get(o, "key");
    const xj *ext = xj_get(o, "extends");
    if (!key || key->type != XJ_STR) { snprintf(err, errlen, "%s: profile without \"key\"", origin); return false; }
    xs_profile *p = find_mut(key->str);
    xs_profile tmp;
    if (p) tmp = *p;                       // override an existing profile
    else if (ext && ext->type == XJ_STR) { // derive from another
        xs_profile *b = find_mut(ext->str);
        if (!b) { snprintf(err, errlen, "%s: extends unknown profile '%s'", origin, ext->str); return false; }
        tmp = *b;
    } else {
        memset(&tmp, 0, sizeof tmp);
        tmp.threads_per_eu = 8; tmp.timestamp_bits = 36; tmp.kernel_timestamp_bits = 32; tmp.max_slm = 65536;
        strcpy(tmp.memory_name, "DDR"); tmp.driver_build = 27642; tmp.tdp_w = 100; tmp.idle_w = 10;
    }
    if (!apply(&tmp, o, err, errlen) || !validate(&tmp, err, errlen)) return false;
    if (p) { *p = tmp; return true; }
    xs_profile *np = realloc(g_profiles, (g_nprofiles + 1) * sizeof *np);
    if (!np) { snprintf(err, errlen, "out of memory"); return false; }
    g_profiles = np;
    g_profiles[g_nprofiles++] = tmp;
    return true;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 >= cap) { cap *= 2; char *t = realloc(b, cap); if (!t) { free(b); b = NULL; } else b = t; }
    }
    fclose(f);
    if (b) b[n] = 0;
    return b;
}

bool xs_profiles_load(char *err, size_t errlen) {
    xs_profiles_free();
    for (size_t i = 0; xs_embedded_profile_texts[i]; i++) {
        xj *o = xj_parse(xs_embedded_profile_texts[i], err, errlen);
        bool ok = o && add_json(o, xs_embedded_profile_names[i], err, errlen);
        xj_free(o);
        if (!ok) return false;
    }
    const char *cfg = getenv("XPUSIM_CONFIG");
    if (cfg && *cfg) {
        char *text = read_file(cfg);
        if (!text) { snprintf(err, errlen, "XPUSIM_CONFIG: cannot read %s", cfg); return false; }
        char perr[200];
        xj *o = xj_parse(text, perr, sizeof perr);
        free(text);
        if (!o) { snprintf(err, errlen, "XPUSIM_CONFIG %s: %s", cfg, perr); return false; }
        bool ok = true;
        const xj *list = xj_get(o, "profiles");
        if (list && list->type == XJ_ARR) {
            for (size_t i = 0; ok && i < list->n; i++) ok = add_json(list->items[i], cfg, err, errlen);
        } else ok = add_json(o, cfg, err, errlen);
        xj_free(o);
        if (!ok) return false;
    }
    return true;
}

const xs_profile *xs_profile_find(const char *key) { return find_mut(key); }

void xs_profiles_free(void) {
    free(g_profiles);
    g_profiles = NULL;
    g_nprofiles = 0;
}
