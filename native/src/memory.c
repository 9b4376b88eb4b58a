// Contexts and memory allocations.
#include "xpusim.h"
#include <stdlib.h>
#include <string.h>

// ---- contexts ---------------------------------------------------------------------------------
XS_IMPL ze_result_t xs_zeContextCreate(ze_driver_handle_t h, const ze_context_desc_t *desc, ze_context_handle_t *ph) {
    XS_CHECK_INIT();
    if (!h) return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    if ((void *)h != (void *)&xs_drv) return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(ph);
    XS_CHECK_LOST();
    if (desc->flags & ~(ze_context_flags_t)ZE_CONTEXT_FLAG_TBD) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    xs_context *c = calloc(1, sizeof *c);
    if (!c) return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    c->magic = XS_MAGIC;
    c->flags = desc->flags;
    xs_reg_add(c, XS_T_CONTEXT);
    *ph = (ze_context_handle_t)c;
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeContextCreateEx(ze_driver_handle_t h, const ze_context_desc_t *desc, uint32_t n, ze_device_handle_t *phDevices, ze_context_handle_t *ph) {
    XS_CHECK_INIT();
    if (n && !phDevices) return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    for (uint32_t i = 0; i < n; i++) XS_CHECK_HANDLE(phDevices[i], XS_T_DEVICE);
    return xs_zeContextCreate(h, desc, ph);
}

XS_IMPL ze_result_t xs_zeContextDestroy(ze_context_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_CONTEXT);
    xs_context *c = (xs_context *)h;
    xs_reg_del(c);
    c->magic = 0;
    free(c);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeContextGetStatus(ze_context_handle_t h) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_CONTEXT);
    return xs_drv.device_lost ? ZE_RESULT_ERROR_DEVICE_LOST : ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeContextSystemBarrier(ze_context_handle_t h, ze_device_handle_t hd) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_CONTEXT);
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeContextMakeMemoryResident(ze_context_handle_t h, ze_device_handle_t hd, void *ptr, size_t size) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_CONTEXT);
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    XS_CHECK_PTR(ptr);
    (void)size;
    return xs_alloc_find(ptr) ? ZE_RESULT_SUCCESS : ZE_RESULT_ERROR_INVALID_ARGUMENT;
}

XS_IMPL ze_result_t xs_zeContextEvictMemory(ze_context_handle_t h, ze_device_handle_t hd, void *ptr, size_t size) {
    return xs_zeContextMakeMemoryResident(h, hd, ptr, size);
}

// ---- allocations --------------------------------------------------------------------------------
// A flat array scanned linearly: simple and adequate for the object counts of tests and demos.
static pthread_mutex_t amu = PTHREAD_MUTEX_INITIALIZER;
static xs_alloc **allocs;
static size_t nallocs, capallocs;
static uint64_t next_id = 1, live_bytes;

uint64_t xs_alloc_live_bytes(void) {
    pthread_mutex_lock(&amu);
    uint64_t b = live_bytes;
    pthread_mutex_unlock(&amu);
    return b;
}

static xs_alloc *find_locked(const void *p) {
    uintptr_t a = (uintptr_t)p;
    for (size_t i = 0; i < nallocs; i++) {
        uintptr_t b = (uintptr_t)allocs[i]->base;
        if (a >= b && a < b + (allocs[i]->size ? allocs[i]->size : 1)) return allocs[i];
    }
    return NULL;
}

xs_alloc *xs_alloc_find(const void *p) {
    if (!p) return NULL;
    pthread_mutex_lock(&amu);
    xs_alloc *a = find_locked(p);
    pthread_mutex_unlock(&amu);
    return a;
}

void xs_allocs_free_all(void) {
    pthread_mutex_lock(&amu);
    for (size_t i = 0; i < nallocs; i++) { free(allocs[i]->raw); free(allocs[i]); }
    free(allocs);
    allocs = NULL;
    nallocs = capallocs = 0;
    live_bytes = 0;
    pthread_mutex_unlock(&amu);
}

static ze_result_t do_alloc(xs_context *ctx, xs_device *dev, ze_memory_type_t type, size_t size, size_t alignment, void **pptr) {
    if (size == 0) return ZE_RESULT_ERROR_UNSUPPORTED_SIZE;
    if (alignment & (alignment - 1)) return ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT;
    uint64_t limit = 0;
    if (dev) {
        if (size > dev->prof->max_alloc) return ZE_RESULT_ERROR_UNSUPPORTED_SIZE;
        limit = dev->prof->memory_bytes * dev->n_tiles;
    } else {
        // host allocations: limited by the largest maxMemAllocSize of the devices
        uint64_t m = 0;
        for (uint32_t i = 0; i < xs_drv.n_devices; i++) if (xs_drv.devices[i]->prof->max_alloc > m) m = xs_drv.devices[i]->prof->max_alloc;
        if (size > m) return ZE_RESULT_ERROR_UNSUPPORTED_SIZE;
    }
    size_t align = alignment ? alignment : (size >= 65536 ? 65536 : 64);
    if (align < sizeof(void *)) align = sizeof(void *);
    if (dev && type == ZE_MEMORY_TYPE_DEVICE) {
        pthread_mutex_lock(&dev->mem_mu);
        bool oom = dev->mem_used + size > limit;
        if (!oom && xs_drv.faults.oom_after_bytes && xs_drv.oom_bytes_used + size > xs_drv.faults.oom_after_bytes) oom = true;
        if (!oom) { dev->mem_used += size; xs_drv.oom_bytes_used += size; }
        pthread_mutex_unlock(&dev->mem_mu);
        if (oom) return ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY;
    } else if (dev && xs_drv.faults.oom_after_bytes) {
        pthread_mutex_lock(&dev->mem_mu);
        bool oom = xs_drv.oom_bytes_used + size > xs_drv.faults.oom_after_bytes;
        if (!oom) xs_drv.oom_bytes_used += size;
        pthread_mutex_unlock(&dev->mem_mu);
        if (oom) return ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY;
    }
    void *raw = NULL;
    xs_alloc *a = calloc(1, sizeof *a);
    if (!a || posix_memalign(&raw, align, size) != 0) {
        free(a);
        if (dev) {
            pthread_mutex_lock(&dev->mem_mu);
            if (type == ZE_MEMORY_TYPE_DEVICE) dev->mem_used -= size;
            if (xs_drv.faults.oom_after_bytes || type == ZE_MEMORY_TYPE_DEVICE) xs_drv.oom_bytes_used -= size;
            pthread_mutex_unlock(&dev->mem_mu);
        }
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    a->magic = XS_MAGIC;
    a->ctx = ctx;
    a->dev = dev;
    a->type = type;
    a->base = raw;
    a->raw = raw;
    a->size = size;
    pthread_mutex_lock(&amu);
    if (nallocs == capallocs) {
        size_t nc = capallocs ? capallocs * 2 : 64;
        xs_alloc **na = realloc(allocs, nc * sizeof *na);
        if (!na) { pthread_mutex_unlock(&amu); free(raw); free(a); return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY; }
        allocs = na; capallocs = nc;
    }
    a->id = next_id++;
    allocs[nallocs++] = a;
    live_bytes += size;
    pthread_mutex_unlock(&amu);
    xs_reg_add(a, XS_T_ALLOC);
    *pptr = raw;
    return ZE_RESULT_SUCCESS;
}

// A macro, not a function: XS_CHECK_INIT names the entry point (__func__) for the hang_call fault.
#define CHECK_CTX(h) do { XS_CHECK_INIT(); XS_CHECK_HANDLE(h, XS_T_CONTEXT); XS_CHECK_LOST(); } while (0)

XS_IMPL ze_result_t xs_zeMemAllocDevice(ze_context_handle_t h, const ze_device_mem_alloc_desc_t *desc, size_t size, size_t alignment, ze_device_handle_t hd, void **pptr) {
    CHECK_CTX(h);
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    XS_CHECK_DEV_LOST((xs_device *)hd);
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(pptr);
    if (desc->flags > 0x3) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    return do_alloc((xs_context *)h, (xs_device *)hd, ZE_MEMORY_TYPE_DEVICE, size, alignment, pptr);
}

XS_IMPL ze_result_t xs_zeMemAllocHost(ze_context_handle_t h, const ze_host_mem_alloc_desc_t *desc, size_t size, size_t alignment, void **pptr) {
    CHECK_CTX(h);
    XS_CHECK_PTR(desc);
    XS_CHECK_PTR(pptr);
    if (desc->flags > 0x7) return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    return do_alloc((xs_context *)h, NULL, ZE_MEMORY_TYPE_HOST, size, alignment, pptr);
}

XS_IMPL ze_result_t xs_zeMemAllocShared(ze_context_handle_t h, const ze_device_mem_alloc_desc_t *ddesc, const ze_host_mem_alloc_desc_t *hdesc, size_t size, size_t alignment, ze_device_handle_t hd, void **pptr) {
    CHECK_CTX(h);
    XS_CHECK_PTR(ddesc);
    XS_CHECK_PTR(hdesc);
    XS_CHECK_PTR(pptr);
    if (hd) XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    if (hd) XS_CHECK_DEV_LOST((xs_device *)hd);
    return do_alloc((xs_context *)h, hd ? (xs_device *)hd : NULL, ZE_MEMORY_TYPE_SHARED, size, alignment, pptr);
}

XS_IMPL ze_result_t xs_zeMemFree(ze_context_handle_t h, void *ptr) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_CONTEXT);
    XS_CHECK_PTR(ptr);
    pthread_mutex_lock(&amu);
    size_t i = 0;
    while (i < nallocs && allocs[i]->base != ptr) i++;
    if (i == nallocs) { pthread_mutex_unlock(&amu); return ZE_RESULT_ERROR_INVALID_ARGUMENT; }
    xs_alloc *a = allocs[i];
    allocs[i] = allocs[--nallocs];
    live_bytes -= a->size;
    pthread_mutex_unlock(&amu);
    if (a->dev) {
        pthread_mutex_lock(&a->dev->mem_mu);
        if (a->type == ZE_MEMORY_TYPE_DEVICE) { a->dev->mem_used -= a->size; xs_drv.oom_bytes_used -= a->size; }
        else if (xs_drv.faults.oom_after_bytes) xs_drv.oom_bytes_used -= a->size;
        pthread_mutex_unlock(&a->dev->mem_mu);
    }
    xs_reg_del(a);
    free(a->raw);
    a->magic = 0;
    free(a);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeMemFreeExt(ze_context_handle_t h, const ze_memory_free_ext_desc_t *desc, void *ptr) {
    XS_CHECK_PTR(desc);
    return xs_zeMemFree(h, ptr);
}

XS_IMPL ze_result_t xs_zeMemGetAllocProperties(ze_context_handle_t h, const void *ptr, ze_memory_allocation_properties_t *p, ze_device_handle_t *phDevice) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_CONTEXT);
    XS_CHECK_PTR(ptr);
    XS_CHECK_PTR(p);
    pthread_mutex_lock(&amu);
    xs_alloc *a = find_locked(ptr);
    if (a) {
        p->type = a->type;
        p->id = a->id;
        p->pageSize = a->size >= 65536 ? 65536 : 4096;
        if (phDevice) *phDevice = (ze_device_handle_t)a->dev;
    } else {
        p->type = ZE_MEMORY_TYPE_UNKNOWN;
        p->id = 0;
        p->pageSize = 0;
        if (phDevice) *phDevice = NULL;
    }
    pthread_mutex_unlock(&amu);
    return ZE_RESULT_SUCCESS;
}

XS_IMPL ze_result_t xs_zeMemGetAddressRange(ze_context_handle_t h, const void *ptr, void **pBase, size_t *pSize) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(h, XS_T_CONTEXT);
    XS_CHECK_PTR(ptr);
    pthread_mutex_lock(&amu);
    xs_alloc *a = find_locked(ptr);
    if (a) { if (pBase) *pBase = a->base; if (pSize) *pSize = a->size; }
    pthread_mutex_unlock(&amu);
    return a ? ZE_RESULT_SUCCESS : ZE_RESULT_ERROR_INVALID_ARGUMENT;
}
