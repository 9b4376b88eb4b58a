// The record ring file of this process image (format: xpuscope_ring.h). Callers hold xc.mu.
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "collector.h"

static xr_header_t *hdr;
static uint8_t *data;
static size_t map_bytes;

static uint32_t capacity_from_env(void) {
    const char *s = getenv("XPUSCOPE_RING_BYTES");
    if (!s || !*s) return XR_DEFAULT_CAPACITY;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v < 4096 || v > (1ull << 30)) return XR_DEFAULT_CAPACITY;
    uint32_t c = 4096;
    while (c < v) c <<= 1;
    return c;
}

/** Field 22 of /proc/self/stat (start time in clock ticks since boot): with the pid, names a process. */
static uint64_t start_ticks(void) {
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may contain spaces and parentheses */
    if (!p) return 0;
    int field = 2;
    for (; *p && field < 22; p++) {
        if (*p == ' ') field++;
    }
    return strtoull(p, NULL, 10);
}

static void read_command(char *out, size_t cap) {
    out[0] = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, out, cap - 1);
    close(fd);
    if (n <= 0) {
        out[0] = 0;
        return;
    }
    out[n] = 0;
    while (n > 0 && out[n - 1] == 0) n--;
    for (ssize_t i = 0; i < n; i++) {
        if (out[i] == 0) out[i] = ' ';
    }
    out[n] = 0;
}

bool xc_ring_open(const char *dir) {
    uint32_t cap = capacity_from_env();
    pid_t pid = getpid();
    uint64_t st = start_ticks();
    char path[4200], tmp[4220];
    int fd = -1;
    uint32_t gen = 0;
    for (; gen < 1000; gen++) {
        snprintf(path, sizeof path, "%s/p%d-%llu-%u.ring", dir, (int)pid, (unsigned long long)st, gen);
        if (access(path, F_OK) != 0) break;
        /* An earlier image of this process (before exec) left this ring: mark it as replaced. */
        int old = open(path, O_RDWR | O_CLOEXEC);
        if (old >= 0) {
            uint32_t state = XR_STATE_EXECED, cur = 0;
            if (pread(old, &cur, sizeof cur, offsetof(xr_header_t, state)) == sizeof cur &&
                (cur == XR_STATE_ATTACHED || cur == XR_STATE_LOADED))
                (void)!pwrite(old, &state, sizeof state, offsetof(xr_header_t, state));
            close(old);
        }
    }
    /* Build the header in a temporary file and rename it into place, so a reader never sees a
       half-written header. */
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    map_bytes = (size_t)XR_HEADER_BYTES + cap;
    if (ftruncate(fd, (off_t)map_bytes) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return false;
    }
    void *m = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        unlink(tmp);
        errno = e;
        return false;
    }
    hdr = m;
    data = (uint8_t *)m + XR_HEADER_BYTES;
    hdr->magic = XR_MAGIC;
    hdr->version = XR_VERSION;
    hdr->header_bytes = XR_HEADER_BYTES;
    hdr->capacity = cap;
    hdr->pid = (uint32_t)pid;
    hdr->ppid = (uint32_t)getppid();
    hdr->start_ticks = st;
    hdr->generation = gen;
    hdr->state = XR_STATE_LOADED;
    read_command(hdr->command, sizeof hdr->command);
    if (rename(tmp, path) != 0) {
        e = errno;
        munmap(m, map_bytes);
        unlink(tmp);
        hdr = NULL;
        errno = e;
        return false;
    }
    return true;
}

void xc_ring_forget(void) {
    if (hdr) munmap(hdr, map_bytes);
    hdr = NULL;
    data = NULL;
}

xr_header_t *xc_ring_header(void) { return hdr; }

bool xc_ring_write(uint16_t type, const void *rec, uint32_t size, const void *tail, uint32_t tail_size) {
    if (!hdr) return false;
    uint32_t total = (size + tail_size + 7u) & ~7u;
    uint64_t cap = hdr->capacity;
    uint64_t w = atomic_load_explicit((_Atomic uint64_t *)&hdr->write_pos, memory_order_relaxed);
    uint64_t r = atomic_load_explicit((_Atomic uint64_t *)&hdr->read_pos, memory_order_acquire);
    uint64_t off = w % cap;
    uint64_t pad = cap - off < total ? cap - off : 0;
    if (total > cap || w + pad + total - r > cap) {
        hdr->dropped_records++;
        hdr->dropped_bytes += total;
        return false;
    }
    if (pad) {
        xr_rec_hdr_t p = {(uint32_t)pad, XR_PAD, 0};
        memcpy(data + off, &p, sizeof p);
        w += pad;
        off = 0;
    }
    uint8_t *dst = data + off;
    memcpy(dst, rec, size);
    if (tail_size) memcpy(dst + size, tail, tail_size);
    if (total > size + tail_size) memset(dst + size + tail_size, 0, total - size - tail_size);
    xr_rec_hdr_t *h = (xr_rec_hdr_t *)dst;
    h->size = total;
    h->type = type;
    h->reserved = 0;
    atomic_store_explicit((_Atomic uint64_t *)&hdr->write_pos, w + total, memory_order_release);
    return true;
}
