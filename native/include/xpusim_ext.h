// libze_xpusim's public extension interface (ZE_experimental_xpusim): what the simulated driver hands
// out through zeDriverGetExtensionFunctionAddress, for tests, the runtime and benchmarks. This header
// is the one definition: the driver (native/src/) and its C test (native/test/xpusim_test.c) include
// it, and tests/runtime/xpusim-ext.test.ts compiles it to check runtime/ze/xpusim.ts's layouts.
// Only <level_zero/ze_api.h> is needed; nothing here depends on the driver's internals.
#pragma once
#include <stdint.h>
#include <level_zero/ze_api.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XPUSIM_EXTENSION_NAME "ZE_experimental_xpusim"
#define XPUSIM_EXTENSION_VERSION ZE_MAKE_VERSION(1, 0)

// zexXpusimGetLiveObjects(hDriver, out): the Level Zero objects alive in the driver (every context
// of the process), for leak tests. Any non-null driver handle is accepted: with several drivers the
// loader wraps handles and cannot translate the arguments of extension functions.
typedef struct xs_live_objects {
    uint64_t contexts, command_queues, command_lists, fences, event_pools, events, modules, kernels,
        allocations, build_logs;
    uint64_t allocated_bytes;  // bytes of live device/host/shared allocations
} xs_live_objects_t;
#define XPUSIM_GET_LIVE_OBJECTS "zexXpusimGetLiveObjects"
typedef ze_result_t (ZE_APICALL *xs_pfnXpusimGetLiveObjects_t)(ze_driver_handle_t hDriver, xs_live_objects_t *out);

// zexXpusimGetDeviceProfile(hDevice, key, keyLen, tile): the device's profile key ("arc-a770", written
// NUL-terminated into key[keyLen] when key is not NULL) and its tile index (-1 = a composite root).
#define XPUSIM_GET_DEVICE_PROFILE "zexXpusimGetDeviceProfile"
typedef ze_result_t (ZE_APICALL *xs_pfnXpusimGetDeviceProfile_t)(ze_device_handle_t hDevice, char *key, uint32_t keyLen,
                                                                 int32_t *tile);

// zexXpusimGetRegistryStats(hDriver, out): the handle registry (an open-addressing hash set of 16-byte
// slots), so tests can check that its memory stays bounded. Any non-null driver handle is accepted.
typedef struct xs_registry_stats {
    uint64_t capacity;    // slots in the table
    uint64_t live;        // live handles
    uint64_t tombstones;  // slots of destroyed handles not yet reclaimed by a rebuild
} xs_registry_stats_t;
#define XPUSIM_GET_REGISTRY_STATS "zexXpusimGetRegistryStats"
typedef ze_result_t (ZE_APICALL *xs_pfnXpusimGetRegistryStats_t)(ze_driver_handle_t hDriver, xs_registry_stats_t *out);

#ifdef __cplusplus
}
#endif
