// The ZE_experimental_xpusim extension functions (zeDriverGetExtensionFunctionAddress), declared for
// their users in ../include/xpusim_ext.h: live objects, a device's profile, the handle registry's size.
#include "xpusim.h"
#include <stdio.h>
#include <string.h>

// Any non-null driver handle: with several drivers the loader wraps handles, and it cannot translate
// the arguments of extension functions.
static ze_result_t ZE_APICALL zexXpusimGetLiveObjects(ze_driver_handle_t h, xs_live_objects_t *out) {
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

static ze_result_t ZE_APICALL zexXpusimGetDeviceProfile(ze_device_handle_t hd, char *key, uint32_t keyLen, int32_t *tile) {
    XS_CHECK_INIT();
    XS_CHECK_HANDLE(hd, XS_T_DEVICE);
    xs_device *d = (xs_device *)hd;
    if (key && keyLen) snprintf(key, keyLen, "%s", d->prof->key);
    if (tile) *tile = d->tile;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t ZE_APICALL zexXpusimGetRegistryStats(ze_driver_handle_t h, xs_registry_stats_t *out) {
    XS_CHECK_INIT();
    if (!h) return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    XS_CHECK_PTR(out);
    xs_reg_stats(out);
    return ZE_RESULT_SUCCESS;
}

// Typed with the header's pfn types, so a signature that drifts from xpusim_ext.h does not compile.
static const xs_pfnXpusimGetLiveObjects_t live_objects = zexXpusimGetLiveObjects;
static const xs_pfnXpusimGetDeviceProfile_t device_profile = zexXpusimGetDeviceProfile;
static const xs_pfnXpusimGetRegistryStats_t registry_stats = zexXpusimGetRegistryStats;

XS_IMPL ze_result_t xs_zeDriverGetExtensionFunctionAddress(ze_driver_handle_t h, const char *name, void **pfn) {
    XS_CHECK_DRIVER(h);
    XS_CHECK_PTR(name);
    XS_CHECK_PTR(pfn);
    if (!strcmp(name, XPUSIM_GET_LIVE_OBJECTS)) { *pfn = (void *)live_objects; return ZE_RESULT_SUCCESS; }
    if (!strcmp(name, XPUSIM_GET_DEVICE_PROFILE)) { *pfn = (void *)device_profile; return ZE_RESULT_SUCCESS; }
    if (!strcmp(name, XPUSIM_GET_REGISTRY_STATS)) { *pfn = (void *)registry_stats; return ZE_RESULT_SUCCESS; }
    *pfn = NULL;
    return ZE_RESULT_ERROR_INVALID_ARGUMENT;
}
