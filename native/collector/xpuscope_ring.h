// The record ring: how the collector (libxpuscope_collector.so, inside a recorded program) hands its
// records to xpuscope. This header is the one definition of the format on the C side; its reader is
// host/record/ring-format.ts, checked against this file by tests/host/record-ring-format.test.ts.
//
// One file per process image, `<dir>/p<pid>-<start ticks>-<generation>.ring`, in the directory named
// by XPUSCOPE_RECORD_DIR. The collector maps it MAP_SHARED and writes records into it; xpuscope reads it
// with pread and writes back how far it has read. Because the pages belong to the file, every record
// the collector wrote is still there when the program is killed: that is what makes a recording
// crash-safe without the program ever waiting for xpuscope.
//
// Layout (little-endian): a 4096-byte header, then `capacity` bytes of data (a power of two). Records
// are 8-byte aligned, start with xr_rec_hdr_t, and never wrap: when a record does not fit before the
// end of the data, an XR_PAD record fills the rest and the record starts at offset 0. Positions are
// byte counts since the start (monotonic); the data offset of position p is p % capacity.
// The writer publishes a record by storing write_pos (release) after writing its bytes. When
// write_pos + size − read_pos would exceed capacity, the record is dropped and counted: the program
// never waits for the reader.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define XR_MAGIC 0x52535058u /* "XPSR" read as little-endian u32 */
#define XR_VERSION 1u
#define XR_HEADER_BYTES 4096u
#define XR_DEFAULT_CAPACITY (8u << 20)
#define XR_MESSAGE_BYTES 512u
#define XR_COMMAND_BYTES 1024u

/** Process states (xr_header_t.state). */
enum {
    XR_STATE_LOADED = 0,   /* collector loaded; the program has not initialized Level Zero */
    XR_STATE_ATTACHED = 1, /* tracing this process */
    XR_STATE_UNTRACED = 2, /* Level Zero used but not traceable: `message` says why */
    XR_STATE_EXITED = 3,   /* the process exited normally (exit_code is set) */
    XR_STATE_EXECED = 4,   /* the process image was replaced by exec (a newer generation follows) */
};

typedef struct xr_header {
    uint32_t magic;             /* 0   XR_MAGIC */
    uint32_t version;           /* 4   XR_VERSION */
    uint32_t header_bytes;      /* 8   XR_HEADER_BYTES */
    uint32_t capacity;          /* 12  data bytes, a power of two */
    uint32_t pid;               /* 16 */
    uint32_t ppid;              /* 20 */
    uint64_t start_ticks;       /* 24  process start time, clock ticks since boot (/proc/PID/stat field 22) */
    uint64_t write_pos;         /* 32  written by the collector */
    uint64_t read_pos;          /* 40  written by the reader */
    uint64_t dropped_records;   /* 48  records that did not fit (ring full) */
    uint64_t dropped_bytes;     /* 56 */
    uint32_t state;             /* 64  XR_STATE_* */
    uint32_t in_flight;         /* 68  operations submitted and not yet completed, at the last harvest */
    uint64_t ops_recorded;      /* 72  operation records written */
    uint64_t ops_untimed;       /* 80  operations recorded without device timestamps (see XR_OP_UNTIMED) */
    uint64_t ops_lost;          /* 88  operations whose timestamps could not be read (reset before read, …) */
    int32_t exit_code;          /* 96  with XR_STATE_EXITED */
    uint32_t generation;        /* 100 0 for the first image of this process, +1 per exec */
    int64_t last_harvest_ns;    /* 104 host ns of the last harvest */
    uint64_t ops_submitted;     /* 112 operations seen being submitted */
    uint64_t reserved[1];       /* 120 */
    char message[XR_MESSAGE_BYTES]; /* 128 NUL-terminated: why untraced, or a note */
    char command[XR_COMMAND_BYTES]; /* 640 the command line, arguments separated by spaces */
} xr_header_t;

/** Record types. */
enum {
    XR_PAD = 0,     /* filler up to the end of the data */
    XR_PROCESS = 1, /* once, when tracing starts */
    XR_DEVICE = 2,
    XR_QUEUE = 3,   /* a lane: an immediate command list or a command queue */
    XR_STRING = 4,
    XR_OP = 5,
    XR_EXIT = 6,    /* the process is exiting normally */
    XR_HOST = 7,    /* a host thread's Level Zero call (XPUSCOPE_HOST_CALLS=1) */
};

typedef struct xr_rec_hdr {
    uint32_t size; /* bytes of the whole record including this header, a multiple of 8 */
    uint16_t type; /* XR_* */
    uint16_t reserved;
} xr_rec_hdr_t;

typedef struct xr_process {
    xr_rec_hdr_t h;
    uint32_t pid, ppid;          /* 8, 12 */
    int64_t host_ns;             /* 16 host time when tracing started (records' clock) */
    uint32_t loader_version;     /* 24 ZE_MAKE_VERSION of the loader's API as far as known, 0 = unknown */
    uint32_t flags;              /* 28 XR_PROCESS_* */
} xr_process_t;
#define XR_PROCESS_HOST_CALLS 1u /* host call records follow (XPUSCOPE_HOST_CALLS=1) */

typedef struct xr_device {
    xr_rec_hdr_t h;
    uint32_t id;                 /* 8  dense per process, in the collector's enumeration order */
    int32_t parent;              /* 12 parent device id for a sub-device, else -1 */
    uint32_t driver_index;       /* 16 */
    uint32_t device_index;       /* 20 index in zeDeviceGet (or sub-device index) */
    double timer_hz;             /* 24 */
    uint32_t kernel_ts_bits;     /* 32 */
    uint32_t flags;              /* 36 XR_DEVICE_* */
    uint8_t uuid[16];            /* 40 */
    uint32_t pci_domain, pci_bus, pci_device, pci_function; /* 56..71, all 0xFFFFFFFF when unknown */
    char name[256];              /* 72 */
} xr_device_t;
#define XR_DEVICE_INTEGRATED 1u
#define XR_DEVICE_SUBDEVICE 2u

/** Engine kinds, the same codes as protocol/timeline.ts's EngineKind order. */
enum { XR_ENGINE_COMPUTE = 0, XR_ENGINE_COPY = 1, XR_ENGINE_RENDER = 2, XR_ENGINE_OTHER = 3 };
/** Lane kinds. */
enum { XR_QUEUE_IMMEDIATE = 1, XR_QUEUE_COMMAND_QUEUE = 2 };

typedef struct xr_queue {
    xr_rec_hdr_t h;
    uint32_t id;                 /* 8  dense per process */
    uint32_t device;             /* 12 xr_device_t.id */
    uint32_t ordinal, index;     /* 16, 20 queue group ordinal and index */
    uint8_t engine;              /* 24 XR_ENGINE_* */
    uint8_t kind;                /* 25 XR_QUEUE_* */
    uint8_t in_order;            /* 26 1 when created with the in-order flag */
    uint8_t reserved[5];         /* 27 */
    uint64_t handle;             /* 32 the handle's value (for people matching logs) */
    uint32_t number;             /* 40 1, 2, 3… per kind within the process ("immediate list 3") */
    uint32_t reserved2;          /* 44 */
} xr_queue_t;

typedef struct xr_string {
    xr_rec_hdr_t h;
    uint32_t id;                 /* 8  dense per process, from 1 (0 = no string) */
    uint32_t length;             /* 12 bytes of UTF-8 that follow (not NUL-terminated) */
    /* char text[length], padded to 8 */
} xr_string_t;

/** Operation kinds: the same codes as protocol/timeline.ts's OP_KINDS order. */
enum {
    XR_OP_KERNEL = 0,
    XR_OP_COPY = 1,
    XR_OP_FILL = 2,
    XR_OP_BARRIER = 3,
    XR_OP_SIGNAL = 4,  /* 'event-record' */
    XR_OP_WAIT = 5,    /* 'event-wait' */
    XR_OP_RESET = 6,   /* 'event-reset' */
    XR_OP_TIMESTAMP = 7,
};

/** xr_op_t.flags */
#define XR_OP_UNTIMED 1u  /* no device timestamps: start = end = submit */
#define XR_OP_REGULAR 2u  /* from a regular command list executed on a queue (exec is its execution) */
#define XR_OP_FAILED 4u   /* the device reported an error for it (e.g. device lost) */
#define XR_OP_LOST 8u     /* its timestamps were gone before they could be read (event reset or reused) */

typedef struct xr_op {
    xr_rec_hdr_t h;
    uint64_t id;                 /* 8  unique in the process, in submission order */
    uint32_t queue;              /* 16 xr_queue_t.id */
    uint32_t name;               /* 20 xr_string_t.id */
    uint8_t kind;                /* 24 XR_OP_* */
    uint8_t flags;               /* 25 */
    uint16_t ndeps;              /* 26 ids of the ops it waited on follow the record */
    uint32_t exec;               /* 28 execution number of a regular command list (1, 2, …); 0 otherwise */
    uint64_t bytes;              /* 32 */
    int64_t submit_ns;           /* 40 host ns (the driver's host clock, as zeDeviceGetGlobalTimestamps) */
    int64_t start_ns;            /* 48 */
    int64_t end_ns;              /* 56 */
    uint32_t groups[3];          /* 64 group counts of a kernel launch */
    uint32_t group_size[3];      /* 76 */
    /* uint64_t deps[ndeps] at 88 */
} xr_op_t;
#define XR_OP_FIXED_BYTES 88u
#define XR_MAX_DEPS 64u

/** A Level Zero call of the program, as a host span of its thread (recorded with XPUSCOPE_HOST_CALLS=1). */
typedef struct xr_host {
    xr_rec_hdr_t h;
    uint64_t id;                 /* 8  in the ops' id space: an op that this call submitted depends on it */
    uint32_t tid;                /* 16 the calling thread (gettid) */
    uint32_t name;               /* 20 xr_string_t.id of the API name, e.g. "zeEventHostSynchronize" */
    int64_t start_ns;            /* 24 host ns, records' clock */
    int64_t end_ns;              /* 32 */
    int32_t result;              /* 40 the call's ze_result_t */
    uint32_t reserved;           /* 44 */
} xr_host_t;

typedef struct xr_exit {
    xr_rec_hdr_t h;
    int32_t code;                /* 8 exit status */
    uint32_t in_flight;          /* 12 operations still running at exit */
    int64_t host_ns;             /* 16 */
} xr_exit_t;

#ifdef __cplusplus
#define XR_STATIC_ASSERT static_assert
#else
#define XR_STATIC_ASSERT _Static_assert
#endif
XR_STATIC_ASSERT(sizeof(xr_header_t) <= XR_HEADER_BYTES, "header fits its page");
XR_STATIC_ASSERT(offsetof(xr_header_t, message) == 128, "header layout");
XR_STATIC_ASSERT(offsetof(xr_header_t, command) == 640, "header layout");
XR_STATIC_ASSERT(sizeof(xr_process_t) == 32, "process record");
XR_STATIC_ASSERT(sizeof(xr_device_t) == 328, "device record");
XR_STATIC_ASSERT(sizeof(xr_queue_t) == 48, "queue record");
XR_STATIC_ASSERT(sizeof(xr_string_t) == 16, "string record");
XR_STATIC_ASSERT(sizeof(xr_op_t) == XR_OP_FIXED_BYTES, "op record");
XR_STATIC_ASSERT(sizeof(xr_exit_t) == 24, "exit record");
XR_STATIC_ASSERT(sizeof(xr_host_t) == 48, "host record");
