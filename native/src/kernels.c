// Native host implementations of the kernels in native/kernels/*.cl, and the kernel timing model.
//
// Timing model (per launch): hardware threads H = groups * ceil(groupSize / simdWidth); capacity
// C = EUs * threadsPerEU of the device (all its tiles). A kernel needs `cycles` per work-item on a
// dependent chain (compute) and moves `bytes` (memory). Compute work = (H / C) * cycles / clock,
// with demand min(1, H / C) of the tile's EUs; memory work = bytes / bandwidth with demand
// min(1, 4 H / C). The bottleneck resource (larger stand-alone time) is simulated; concurrent
// kernels share it (see sched.c). A fixed launch latency of 3 us is added.
#include "xpusim.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    uint32_t nargs;
    uint32_t sizes[4];
    // returns false on an out-of-bounds access (page fault)
    bool (*exec)(const xs_cmd *c, uint64_t n, double *cycles, double *bytes);
} xs_native_kernel;

// Checks that [p, p + bytes) lies inside one allocation.
static bool in_bounds(uint64_t p, uint64_t bytes) {
    if (!p) return bytes == 0;
    xs_alloc *a = xs_alloc_find((const void *)(uintptr_t)p);
    if (!a) return false;
    return p + bytes <= (uint64_t)(uintptr_t)a->base + a->size;
}

// busy(global float *out, uint iterations): out[gid] = chain(iterations) + gid
static bool k_busy(const xs_cmd *c, uint64_t n, double *cycles, double *bytes) {
    float *out = (float *)(uintptr_t)c->u.k.args[0];
    uint32_t it = (uint32_t)c->u.k.args[1];
    if (!in_bounds((uint64_t)(uintptr_t)out, n * 4)) return false;
    float x = 1.0f;
    for (uint32_t i = 0; i < it; i++) {
        float nx = fmaf(x, 0.999f, 0.5f);
        if (nx == x) break;  // reached the fixed point: the rest of the chain does not change x
        x = nx;
    }
    for (uint64_t i = 0; i < n; i++) out[i] = x + (float)i;
    *cycles = 4.0 * it + 20;  // dependent FMA latency ~4 cycles
    *bytes = 4.0 * n;
    return true;
}

// saxpy(global float *y, global const float *x, float a): y = a * x + y
static bool k_saxpy(const xs_cmd *c, uint64_t n, double *cycles, double *bytes) {
    float *y = (float *)(uintptr_t)c->u.k.args[0];
    const float *x = (const float *)(uintptr_t)c->u.k.args[1];
    float a;
    memcpy(&a, &c->u.k.args[2], sizeof a);
    if (!in_bounds((uint64_t)(uintptr_t)y, n * 4) || !in_bounds((uint64_t)(uintptr_t)x, n * 4)) return false;
    for (uint64_t i = 0; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
    *cycles = 40;
    *bytes = 12.0 * n;
    return true;
}

// fill_u32(global uint *out, uint seed): out[gid] = seed ^ (gid * 2654435761)
static bool k_fill(const xs_cmd *c, uint64_t n, double *cycles, double *bytes) {
    uint32_t *out = (uint32_t *)(uintptr_t)c->u.k.args[0];
    uint32_t seed = (uint32_t)c->u.k.args[1];
    if (!in_bounds((uint64_t)(uintptr_t)out, n * 4)) return false;
    for (uint64_t i = 0; i < n; i++) out[i] = seed ^ ((uint32_t)i * 2654435761u);
    *cycles = 20;
    *bytes = 4.0 * n;
    return true;
}

// checksum_u32(global const uint *in, global uint *sum): atomic_add(sum, in[gid])
static bool k_checksum(const xs_cmd *c, uint64_t n, double *cycles, double *bytes) {
    const uint32_t *in = (const uint32_t *)(uintptr_t)c->u.k.args[0];
    uint32_t *sum = (uint32_t *)(uintptr_t)c->u.k.args[1];
    if (!in_bounds((uint64_t)(uintptr_t)in, n * 4) || !in_bounds((uint64_t)(uintptr_t)sum, 4)) return false;
    uint32_t s = 0;
    for (uint64_t i = 0; i < n; i++) s += in[i];
    __atomic_add_fetch(sum, s, __ATOMIC_SEQ_CST);
    *cycles = 40;
    *bytes = 4.0 * n;
    return true;
}

// copy_u32(global uint *dst, global const uint *src): dst[gid] = src[gid]
static bool k_copy(const xs_cmd *c, uint64_t n, double *cycles, double *bytes) {
    uint32_t *dst = (uint32_t *)(uintptr_t)c->u.k.args[0];
    const uint32_t *src = (const uint32_t *)(uintptr_t)c->u.k.args[1];
    if (!in_bounds((uint64_t)(uintptr_t)dst, n * 4) || !in_bounds((uint64_t)(uintptr_t)src, n * 4)) return false;
    memmove(dst, src, n * 4);
    *cycles = 20;
    *bytes = 8.0 * n;
    return true;
}

static const xs_native_kernel natives[] = {
    { "busy", 2, { 8, 4 }, k_busy },
    { "saxpy", 3, { 8, 8, 4 }, k_saxpy },
    { "fill_u32", 2, { 8, 4 }, k_fill },
    { "checksum_u32", 2, { 8, 8 }, k_checksum },
    { "copy_u32", 2, { 8, 8 }, k_copy },
};

static const xs_native_kernel *find_native(const xs_kernel_info *in) {
    for (size_t i = 0; i < sizeof natives / sizeof natives[0]; i++) {
        const xs_native_kernel *k = &natives[i];
        if (strcmp(k->name, in->name) || k->nargs != in->nargs) continue;
        bool same = true;
        for (uint32_t a = 0; a < k->nargs; a++) if (k->sizes[a] != in->arg_size[a]) same = false;
        if (same) return k;
    }
    return NULL;
}

bool xs_kernel_run(xs_engine *e, xs_cmd *c, volatile int *abort_flag) {
    xs_device *d = e->dev;
    const xs_profile *p = d->prof;
    double slow = xs_drv.faults.slow;
    uint64_t groups = (uint64_t)c->u.k.cx * c->u.k.cy * c->u.k.cz;
    uint64_t gsize = (uint64_t)c->u.k.gx * c->u.k.gy * c->u.k.gz;
    uint64_t n = groups * gsize;
    uint64_t t0 = xs_now_ns();
    if (xs_drv.faults.hang_kernel[0] && !strcmp(xs_drv.faults.hang_kernel, c->u.k.info->name)) {
        // a hung kernel: the engine stays busy until hang detection, then the device is lost
        uint64_t until = t0 + xs_drv.faults.hang_ms * 1000000ull;
        while (xs_now_ns() < until && !*abort_flag) xs_sleep_until_ns(xs_now_ns() + 10000000ull < until ? xs_now_ns() + 10000000ull : until);
        xs_debug("kernel %s hung: device lost", c->u.k.info->name);
        xs_set_device_lost(d);
        return false;
    }
    double cycles = 1000, bytes = 0;  // unknown kernels: 1000 cycles per work-item, no memory traffic
    const xs_native_kernel *nk = find_native(c->u.k.info);
    if (nk && n && !nk->exec(c, n, &cycles, &bytes)) {
        xs_debug("kernel %s: out-of-bounds access (page fault): device lost", c->u.k.info->name);
        xs_set_device_lost(d);
        return false;
    }
    if (n == 0) return true;
    double simd = p->simd_width ? p->simd_width : 8;
    double threads = (double)groups * ceil((double)gsize / simd);
    double cap = (double)p->slices * p->subslices_per_slice * p->eus_per_subslice * p->threads_per_eu * d->n_tiles;
    double occ = threads / cap;
    double t_thread = cycles / (p->clock_mhz * 1e6);
    double c_work = occ * t_thread, c_demand = occ < 1 ? occ : 1;
    double bw = p->mem_bw_gbs * 1e9 * d->n_tiles;
    double m_work = bytes / bw, m_demand = 4 * occ < 1 ? 4 * occ : 1;
    double c_time = c_work / c_demand, m_time = m_demand > 0 ? m_work / m_demand : 0;
    // the host already spent some time computing the result natively: count it as kernel time
    double spent = (double)(xs_now_ns() - t0) * 1e-9;
    double model = (c_time > m_time ? c_time : m_time) * slow;
    double left = model > 0 ? 1.0 - spent / model : 0;
    xs_engine_delay(e, (uint64_t)(3000 * slow));
    if (left > 0) {
        if (c_time >= m_time) xs_resource_run(&d->res->compute, c_work * slow * left, c_demand, abort_flag);
        else xs_resource_run(&d->res->membw, m_work * slow * left, m_demand, abort_flag);
    }
    return true;
}
