// Modules (SPIR-V), build logs and kernels.
#include "xpusim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct xs_build_log { uint32_t magic; char *text; } xs_build_log;

static ze_result_t make_log(ze_module_build_log_handle_t *ph, const char *text) {
    if (!ph) return ZE_RESULT_SUCCESS;
    xs_build_log *l = calloc(1, sizeof *l);
    char *t = strdup(text ? text : "");
    if (!l || !t) { free(l); free(t); *ph = NULL; return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; }
    l->magic = XS_MAGIC;
    l->text = t;
    xs_reg_add(l, XS_T_BUILD_LOG);
    *ph = (ze_module_build_log_handle_t)l;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeModuleBuildLogDestroy(ze_module_build_log_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_BUILD_LOG);
    xs_build_log *l = (xs_build_log *)h;
    xs_reg_del(l);
    free(l->text);
    free(l);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeModuleBuildLogGetString(ze_module_build_log_handle_t h, size_t *pSize, char *buf) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_BUILD_LOG);
    XS_CHECK_PTR(pSize);
    xs_build_log *l = (xs_build_log *)h;
    size_t need = strlen(l->text) + 1;
    if (*pSize == 0 || !buf) { *pSize = need; return ZE_RESULT_SUCCESS; }
    size_t n = *pSize < need ? *pSize : need;
    memcpy(buf, l->text, n - 1);
    buf[n - 1] = 0;
    *pSize = n;
    return ZE_RESULT_SUCCESS;
}

// ---- SPIR-V reader ------------------------------------------------------------------------------------
// Reads the header, OpEntryPoint (Kernel) names and each entry point's OpFunctionParameter types
// (argument sizes; pointer storage classes: 4 = Workgroup is a local-memory argument).
enum { OP_NAME = 5, OP_ENTRY_POINT = 15, OP_TYPE_BOOL = 20, OP_TYPE_INT = 21, OP_TYPE_FLOAT = 22, OP_TYPE_VECTOR = 23,
       OP_TYPE_STRUCT = 30, OP_TYPE_POINTER = 32, OP_FUNCTION = 54, OP_FUNCTION_PARAMETER = 55, OP_TYPE_ARRAY = 28, OP_CONSTANT = 43 };

typedef struct { uint32_t size; uint8_t is_ptr, storage; } tinfo;

static bool parse_spirv(const uint8_t *bytes, size_t n, xs_module *m, char *log, size_t loglen) {
    if (n < 20 || n % 4) { snprintf(log, loglen, "error: input is not SPIR-V: size %zu is not a multiple of 4 words-aligned module (min 20 bytes)", n); return false; }
    size_t nw = n / 4;
    uint32_t *w = malloc(n);
    if (!w) { snprintf(log, loglen, "error: out of host memory"); return false; }
    memcpy(w, bytes, n);
    bool ok = false;
    tinfo *types = NULL;
    uint32_t *entry_ids = NULL;
    if (w[0] != 0x07230203u) {
        if (w[0] == 0x03022307u) snprintf(log, loglen, "error: big-endian SPIR-V is not supported");
        else snprintf(log, loglen, "error: invalid SPIR-V magic number 0x%08x (expected 0x07230203)", w[0]);
        goto out;
    }
    uint32_t major = (w[1] >> 16) & 0xff, minor = (w[1] >> 8) & 0xff;
    if (major != 1 || minor > 2) {
        snprintf(log, loglen, "error: SPIR-V version %u.%u is not supported (the device supports up to 1.2)", major, minor);
        goto out;
    }
    m->spirv_version = ZE_MAKE_VERSION(major, minor);
    uint32_t bound = w[3];
    if (bound == 0 || bound > (1u << 22)) { snprintf(log, loglen, "error: invalid SPIR-V id bound %u", bound); goto out; }
    types = calloc(bound, sizeof *types);
    entry_ids = calloc(bound, sizeof *entry_ids);  // id -> kernel index + 1
    if (!types || !entry_ids) { snprintf(log, loglen, "error: out of host memory"); goto out; }
    uint32_t *constants = calloc(bound, sizeof *constants);
    if (!constants) { snprintf(log, loglen, "error: out of host memory"); goto out; }
    int cur_fn = -1;  // kernel index of the function being read
    for (size_t i = 5; i < nw;) {
        uint32_t wc = w[i] >> 16, op = w[i] & 0xffff;
        if (wc == 0 || i + wc > nw) { snprintf(log, loglen, "error: truncated SPIR-V instruction at word %zu", i); free(constants); goto out; }
        const uint32_t *a = &w[i + 1];
        uint32_t na = wc - 1;
        switch (op) {
        case OP_ENTRY_POINT:
            if (na >= 3 && a[0] == 6 /* Kernel */) {
                const char *name = (const char *)&a[2];
                size_t maxlen = (na - 2) * 4;
                if (strnlen(name, maxlen) == maxlen) break;
                xs_kernel_info *nk = realloc(m->kernels, (m->n_kernels + 1) * sizeof *nk);
                if (!nk) break;
                m->kernels = nk;
                memset(&nk[m->n_kernels], 0, sizeof *nk);
                snprintf(nk[m->n_kernels].name, sizeof nk->name, "%s", name);
                if (a[1] < bound) entry_ids[a[1]] = m->n_kernels + 1;
                m->n_kernels++;
            }
            break;
        case OP_TYPE_BOOL: if (na >= 1 && a[0] < bound) types[a[0]].size = 1; break;
        case OP_TYPE_INT: case OP_TYPE_FLOAT: if (na >= 2 && a[0] < bound) types[a[0]].size = a[1] / 8; break;
        case OP_TYPE_VECTOR:
            if (na >= 3 && a[0] < bound && a[1] < bound) types[a[0]].size = types[a[1]].size * (a[2] == 3 ? 4 : a[2]);
            break;
        case OP_TYPE_STRUCT:
            if (na >= 1 && a[0] < bound) { uint32_t s = 0; for (uint32_t j = 1; j < na; j++) if (a[j] < bound) s += types[a[j]].size; types[a[0]].size = s; }
            break;
        case OP_CONSTANT: if (na >= 3 && a[1] < bound) constants[a[1]] = a[2]; break;
        case OP_TYPE_ARRAY:
            if (na >= 3 && a[0] < bound && a[1] < bound && a[2] < bound) types[a[0]].size = types[a[1]].size * constants[a[2]];
            break;
        case OP_TYPE_POINTER:
            if (na >= 3 && a[0] < bound) { types[a[0]].size = 8; types[a[0]].is_ptr = 1; types[a[0]].storage = (uint8_t)a[1]; }
            break;
        case OP_FUNCTION:
            cur_fn = (na >= 2 && a[1] < bound && entry_ids[a[1]]) ? (int)entry_ids[a[1]] - 1 : -1;
            break;
        case OP_FUNCTION_PARAMETER:
            if (cur_fn >= 0 && na >= 2) {
                xs_kernel_info *k = &m->kernels[cur_fn];
                if (k->nargs >= XS_MAX_ARGS) { snprintf(log, loglen, "error: kernel %s has more than %d arguments", k->name, XS_MAX_ARGS); free(constants); goto out; }
                tinfo t = a[0] < bound ? types[a[0]] : (tinfo){ 0, 0, 0 };
                k->arg_size[k->nargs] = t.size ? t.size : 8;
                k->arg_ptr[k->nargs] = t.is_ptr && t.storage != 4;
                k->arg_local[k->nargs] = t.is_ptr && t.storage == 4;
                k->nargs++;
            }
            break;
        default: break;
        }
        i += wc;
    }
    free(constants);
    ok = true;
out:
    free(types);
    free(entry_ids);
    free(w);
    return ok;
}

XS_IMPL ze_result_t xs_zeModuleCreate(ze_context_handle_t hc, ze_device_handle_t hd, const ze_module_desc_t *desc, ze_module_handle_t *ph, ze_module_build_log_handle_t *phLog) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(hc, XS_T_CONTEXT);
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(ph);
    XS_CHECK_DEV_LOST((xs_device *)hd);
    if (phLog) *phLog = NULL;
    if (desc->format > ZE_MODULE_FORMAT_NATIVE) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    if (!desc->pInputModule) return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    if (desc->inputSize == 0) return ZE_RESULT_ERROR_INVALID_SIZE;
    if (desc->format == ZE_MODULE_FORMAT_NATIVE) {
        make_log(phLog, "error: native binaries are not supported by the simulated device; use SPIR-V\n");
        return ZE_RESULT_ERROR_INVALID_NATIVE_BINARY;
    }
    xs_module *m = calloc(1, sizeof *m);
    if (!m) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    char log[512] = "";
    if (!parse_spirv(desc->pInputModule, desc->inputSize, m, log, sizeof log)) {
        free(m->kernels);
        free(m);
        xs_set_last_error("zeModuleCreate: %s", log);
        strncat(log, "\n", sizeof log - strlen(log) - 1);
        make_log(phLog, log);
        return ZE_RESULT_ERROR_MODULE_BUILD_FAILURE;
    }
    m->magic = XS_MAGIC;
    m->ctx = (xs_context *)hc;
    m->dev = (xs_device *)hd;
    make_log(phLog, "");
    xs_reg_add(m, XS_T_MODULE);
    *ph = (ze_module_handle_t)m;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeModuleDestroy(ze_module_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_MODULE);
    xs_module *m = (xs_module *)h;
    if (m->live_kernels) return ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE;
    xs_reg_del(m);
    free(m->kernels);
    m->magic = 0;
    free(m);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeModuleGetKernelNames(ze_module_handle_t h, uint32_t *pCount, const char **names) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_MODULE);
    XS_CHECK_PTR(pCount);
    xs_module *m = (xs_module *)h;
    if (*pCount == 0 || !names) { *pCount = m->n_kernels; return ZE_RESULT_SUCCESS; }
    if (*pCount > m->n_kernels) *pCount = m->n_kernels;
    for (uint32_t i = 0; i < *pCount; i++) names[i] = m->kernels[i].name;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeModuleGetProperties(ze_module_handle_t h, ze_module_properties_t *p) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_MODULE);
    XS_CHECK_PTR(p);
    p->flags = 0;
    return ZE_RESULT_SUCCESS;
}

// ---- kernels ------------------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeKernelCreate(ze_module_handle_t h, const ze_kernel_desc_t *desc, ze_kernel_handle_t *ph) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_MODULE);
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(ph);
    XS_CHECK_PTR(desc->pKernelName);
    if (desc->flags > 0x3) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    xs_module *m = (xs_module *)h;
    const xs_kernel_info *info = NULL;
    for (uint32_t i = 0; i < m->n_kernels; i++) if (!strcmp(m->kernels[i].name, desc->pKernelName)) info = &m->kernels[i];
    if (!info) return ZE_RESULT_ERROR_INVALID_KERNEL_NAME;
    xs_kernel *k = calloc(1, sizeof *k);
    if (!k) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    k->magic = XS_MAGIC;
    k->mod = m;
    k->info = info;
    k->gx = k->gy = k->gz = 1;
    __atomic_add_fetch(&m->live_kernels, 1, __ATOMIC_SEQ_CST);
    xs_reg_add(k, XS_T_KERNEL);
    *ph = (ze_kernel_handle_t)k;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeKernelDestroy(ze_kernel_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    xs_kernel *k = (xs_kernel *)h;
    xs_reg_del(k);
    __atomic_sub_fetch(&k->mod->live_kernels, 1, __ATOMIC_SEQ_CST);
    k->magic = 0;
    free(k);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeKernelSetGroupSize(ze_kernel_handle_t h, uint32_t x, uint32_t y, uint32_t z) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    xs_kernel *k = (xs_kernel *)h;
    if (!x || !y || !z || x > 1024 || y > 1024 || z > 1024 || (uint64_t)x * y * z > 1024) return ZE_RESULT_ERROR_INVALID_GROUP_SIZE_DIMENSION;
    k->gx = x; k->gy = y; k->gz = z;
    return ZE_RESULT_SUCCESS;
}

static uint32_t largest_divisor_le(uint32_t n, uint32_t lim) {
    if (n == 0) return 1;
    for (uint32_t d = lim < n ? lim : n; d > 1; d--) if (n % d == 0) return d;
    return 1;
}

XS_IMPL ze_result_t xs_zeKernelSuggestGroupSize(ze_kernel_handle_t h, uint32_t gx, uint32_t gy, uint32_t gz, uint32_t *x, uint32_t *y, uint32_t *z) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    XS_CHECK_PTR(x); XS_CHECK_PTR(y); XS_CHECK_PTR(z);
    if (!gx || !gy || !gz) return ZE_RESULT_ERROR_INVALID_GLOBAL_WIDTH_DIMENSION;
    // largest divisors with the product <= 1024, preferring X (as compute-runtime does for 1-D)
    uint32_t sx = largest_divisor_le(gx, 1024);
    uint32_t sy = largest_divisor_le(gy, 1024 / sx);
    uint32_t sz = largest_divisor_le(gz, 1024 / (sx * sy));
    *x = sx; *y = sy; *z = sz;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeKernelSuggestMaxCooperativeGroupCount(ze_kernel_handle_t h, uint32_t *count) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    XS_CHECK_PTR(count);
    xs_kernel *k = (xs_kernel *)h;
    const xs_profile *p = k->mod->dev->prof;
    uint64_t threads = (uint64_t)p->slices * p->subslices_per_slice * p->eus_per_subslice * p->threads_per_eu * k->mod->dev->n_tiles;
    uint64_t per_group = ((uint64_t)k->gx * k->gy * k->gz + p->simd_width - 1) / p->simd_width;
    *count = (uint32_t)(threads / (per_group ? per_group : 1));
    if (*count == 0) *count = 1;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeKernelSetArgumentValue(ze_kernel_handle_t h, uint32_t idx, size_t size, const void *value) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    xs_kernel *k = (xs_kernel *)h;
    const xs_kernel_info *in = k->info;
    if (idx >= in->nargs) return ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_INDEX;
    if (in->arg_local[idx]) {  // local memory: size is the SLM size, no value
        if (size == 0 || value) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
        if (size > k->mod->dev->prof->max_slm) return ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE;
        k->args[idx] = size;
        k->args_set |= 1u << idx;
        return ZE_RESULT_SUCCESS;
    }
    if (size != in->arg_size[idx]) return ZE_RESULT_ERROR_INVALID_KERNEL_ARGUMENT_SIZE;
    uint64_t v = 0;
    if (in->arg_ptr[idx]) {
        if (value) memcpy(&v, value, sizeof(void *));
        if (v && !xs_alloc_find((const void *)(uintptr_t)v)) return ZE_RESULT_ERROR_INVALID_ARGUMENT;  // not a USM allocation
    } else {
        if (!value) return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
        memcpy(&v, value, size < sizeof v ? size : sizeof v);
    }
    k->args[idx] = v;
    k->args_set |= 1u << idx;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeKernelSetIndirectAccess(ze_kernel_handle_t h, ze_kernel_indirect_access_flags_t flags) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    if (flags > 0x7) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeKernelGetIndirectAccess(ze_kernel_handle_t h, ze_kernel_indirect_access_flags_t *flags) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    XS_CHECK_PTR(flags);
    *flags = 0;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeKernelSetCacheConfig(ze_kernel_handle_t h, ze_cache_config_flags_t flags) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    if (flags > 0x3) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeKernelGetProperties(ze_kernel_handle_t h, ze_kernel_properties_t *p) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    XS_CHECK_PTR(p);
    xs_kernel *k = (xs_kernel *)h;
    const xs_profile *pr = k->mod->dev->prof;
    p->numKernelArgs = k->info->nargs;
    p->requiredGroupSizeX = p->requiredGroupSizeY = p->requiredGroupSizeZ = 0;
    p->requiredNumSubGroups = 0;
    p->requiredSubgroupSize = 0;
    p->maxSubgroupSize = pr->n_subgroup_sizes ? pr->subgroup_sizes[pr->n_subgroup_sizes - 1] : 32;
    p->maxNumSubgroups = 1024 / (pr->n_subgroup_sizes ? pr->subgroup_sizes[0] : 8);
    p->localMemSize = 0;
    p->privateMemSize = 0;
    p->spillMemSize = 0;
    memset(&p->uuid, 0, sizeof p->uuid);
    snprintf((char *)p->uuid.kid, sizeof p->uuid.kid, "%.15s", k->info->name);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeKernelGetName(ze_kernel_handle_t h, size_t *pSize, char *name) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_KERNEL);
    XS_CHECK_PTR(pSize);
    xs_kernel *k = (xs_kernel *)h;
    size_t need = strlen(k->info->name) + 1;
    if (*pSize == 0 || !name) { *pSize = need; return ZE_RESULT_SUCCESS; }
    size_t n = *pSize < need ? *pSize : need;
    memcpy(name, k->info->name, n - 1);
    name[n - 1] = 0;
    *pSize = n;
    return ZE_RESULT_SUCCESS;
}
