// Open-addressing hash map from handles (pointer-sized, never 0 or 1) to the collector's objects.
// Linear probing with tombstones; rebuilt at 1/2 load (counting tombstones), so lookups stay short
// for programs that create and destroy millions of events.
#include <stdlib.h>
#include "collector.h"

#define EMPTY 0u
#define DELETED 1u

static size_t slot_of(uintptr_t key, size_t cap) {
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static void rebuild(xc_map *m, size_t cap) {
    uintptr_t *ok = m->keys;
    void **ov = m->vals;
    size_t ocap = m->cap;
    m->keys = calloc(cap, sizeof *m->keys);
    m->vals = calloc(cap, sizeof *m->vals);
    if (!m->keys || !m->vals) abort(); /* the collector cannot continue without memory */
    m->cap = cap;
    m->used = m->live = 0;
    for (size_t i = 0; i < ocap; i++) {
        if (ok[i] > DELETED) xc_map_put(m, ok[i], ov[i]);
    }
    free(ok);
    free(ov);
}

void *xc_map_get(const xc_map *m, uintptr_t key) {
    if (m->cap == 0 || key <= DELETED) return NULL;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) return m->vals[i];
        if (m->keys[i] == EMPTY) return NULL;
    }
}

void xc_map_put(xc_map *m, uintptr_t key, void *val) {
    if (key <= DELETED) return;
    if (m->cap == 0 || (m->used + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap : 64;
        while ((m->live + 1) * 4 > cap) cap *= 2;
        rebuild(m, cap);
    }
    size_t tomb = (size_t)-1;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return;
        }
        if (m->keys[i] == DELETED && tomb == (size_t)-1) tomb = i;
        if (m->keys[i] == EMPTY) {
            if (tomb != (size_t)-1) i = tomb;
            else m->used++;
            m->keys[i] = key;
            m->vals[i] = val;
            m->live++;
            return;
        }
    }
}

void *xc_map_del(xc_map *m, uintptr_t key) {
    if (m->cap == 0 || key <= DELETED) return NULL;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            void *v = m->vals[i];
            m->keys[i] = DELETED;
            m->vals[i] = NULL;
            m->live--;
            return v;
        }
        if (m->keys[i] == EMPTY) return NULL;
    }
}

void xc_map_each(const xc_map *m, void (*f)(uintptr_t key, void *val, void *arg), void *arg) {
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] > DELETED) f(m->keys[i], m->vals[i], arg);
    }
}

void xc_map_free(xc_map *m) {
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
    m->cap = m->used = m->live = 0;
}
