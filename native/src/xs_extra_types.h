// Types from Level Zero spec versions newer than the installed 1.4 headers (values from the public spec).
#pragma once
#include <level_zero/ze_api.h>

#define XS_STYPE_INIT_DRIVER_TYPE_DESC 0x00020021u
#define XS_STYPE_DRIVER_DDI_HANDLES_EXT_PROPERTIES 0x00020027u
#define XS_STYPE_EVENT_POOL_COUNTER_BASED_EXP_DESC 0x00020014u
#define XS_STYPE_DEVICE_IP_VERSION_EXT 0x0001000fu  // ZE_extension_device_ip_version (spec 1.6)
#define XS_INIT_DRIVER_TYPE_FLAG_GPU 1u
#define XS_INIT_DRIVER_TYPE_FLAG_NPU 2u
#define XS_COMMAND_QUEUE_FLAG_IN_ORDER 2u   // ze_command_queue_flags_t, spec 1.7
#define XS_COMMAND_LIST_FLAG_IN_ORDER 8u    // ze_command_list_flags_t, spec 1.7

typedef struct xs_init_driver_type_desc {
    ze_structure_type_t stype;
    const void *pNext;
    uint32_t flags;
} xs_init_driver_type_desc_t;

// ze_device_ip_version_ext_t: chained to ze_device_properties_t; ipVersion is the GPU's IP version as
// Intel encodes it (architecture << 22 | release << 14 | revision), the value SYCL maps to an
// `architecture` and its aspects.
typedef struct xs_device_ip_version_ext {
    ze_structure_type_t stype;
    const void *pNext;
    uint32_t ipVersion;
} xs_device_ip_version_ext_t;

typedef ze_result_t (ZE_APICALL *xs_pfn_zeInitDrivers_t)(uint32_t *, ze_driver_handle_t *, xs_init_driver_type_desc_t *);
typedef ze_result_t (ZE_APICALL *xs_pfn_zeCommandListHostSynchronize_t)(ze_command_list_handle_t, uint64_t);
typedef ze_result_t (ZE_APICALL *xs_pfn_zeDriverGetLastErrorDescription_t)(ze_driver_handle_t, const char **);
typedef ze_result_t (ZE_APICALL *xs_pfn_zeDeviceGetRootDevice_t)(ze_device_handle_t, ze_device_handle_t *);
