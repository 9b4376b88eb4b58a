// Handle registry: an open-addressing hash set of live handles with their type, so a bad, stale or
// foreign handle is answered with an error code instead of being dereferenced.
#include "xpusim.h"
#include <stdlib.h>

typedef struct { const void *p; int type; } slot;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static slot *tab;
static size_t cap, used, tomb;
static uint64_t counts[XS_T_COUNT];
#define TOMB ((const void *)1)

static size_t hash(const void *p) { uint64_t x = (uint64_t)(uintptr_t)p; x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; return (size_t)x; }

// Rebuild the table at ncap slots (a power of two), dropping tombstones.
static void rehash(size_t ncap) {
    slot *nt = calloc(ncap, sizeof *nt);
    if (!nt) abort();
    for (size_t i = 0; i < cap; i++) {
        if (tab[i].p && tab[i].p != TOMB) {
            size_t j = hash(tab[i].p) & (ncap - 1);
            while (nt[j].p) j = (j + 1) & (ncap - 1);
            nt[j] = tab[i];
        }
    }
    free(tab);
    tab = nt; cap = ncap; tomb = 0;
}

void xs_reg_add(const void *p, int type) {
    pthread_mutex_lock(&mu);
    // Over half full (live + tombstones): rebuild. Double only when live handles fill a quarter of the
    // table; otherwise the load is mostly tombstones of destroyed handles and a rebuild at the same size
    // clears them. Doubling on tombstones made the table grow with the number of handles ever created
    // (131 072 slots for 248 live handles after 4 minutes of bench/soak.mjs's workload). Capacity stays
    // below 8 x (peak live handles + 1), and a same-size rebuild comes after at least cap/4 deletions.
    if ((used + tomb + 1) * 2 > cap) rehash(!cap ? 256 : (used + 1) * 4 > cap ? cap * 2 : cap);
    size_t j = hash(p) & (cap - 1);
    while (tab[j].p && tab[j].p != TOMB && tab[j].p != p) j = (j + 1) & (cap - 1);
    if (tab[j].p == TOMB) tomb--;
    if (tab[j].p != p) { used++; counts[type]++; }
    tab[j].p = p; tab[j].type = type;
    pthread_mutex_unlock(&mu);
}

static slot *lookup(const void *p) {
    if (!cap || !p) return NULL;
    size_t j = hash(p) & (cap - 1);
    for (size_t n = 0; n < cap && tab[j].p; n++, j = (j + 1) & (cap - 1))
        if (tab[j].p == p) return &tab[j];
    return NULL;
}

void xs_reg_del(const void *p) {
    pthread_mutex_lock(&mu);
    slot *s = lookup(p);
    if (s) { counts[s->type]--; s->p = TOMB; s->type = 0; used--; tomb++; }
    pthread_mutex_unlock(&mu);
}

bool xs_reg_is(const void *p, int type) {
    pthread_mutex_lock(&mu);
    slot *s = lookup(p);
    bool ok = s && s->type == type;
    pthread_mutex_unlock(&mu);
    return ok;
}

uint64_t xs_reg_count(int type) {
    pthread_mutex_lock(&mu);
    uint64_t c = (type > 0 && type < XS_T_COUNT) ? counts[type] : 0;
    pthread_mutex_unlock(&mu);
    return c;
}

// The registry's size (zexXpusimGetRegistryStats, ext.c), so tests can check it stays bounded.
void xs_reg_stats(xs_registry_stats_t *out) {
    pthread_mutex_lock(&mu);
    out->capacity = cap; out->live = used; out->tombstones = tomb;
    pthread_mutex_unlock(&mu);
}

void xs_reg_free_all(void) {
    pthread_mutex_lock(&mu);
    free(tab); tab = NULL; cap = used = tomb = 0;
    for (int i = 0; i < XS_T_COUNT; i++) counts[i] = 0;
    pthread_mutex_unlock(&mu);
}
