#include "sim/engine/stream.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

/* A stream is two GSL generators, MT19937 and taus2, seeded with the two
 * halves of a 64-bit hash and their outputs XORed. Each GSL generator takes
 * a 32-bit seed, so MT19937 alone gives 2^32 streams: by the birthday bound
 * a sweep of 10^4 replicas with 10^2 streams each would hold hundreds of
 * pairs of identical streams, and a 10^4-server fleet would repeat streams
 * inside one replica. With 2^64 seeds neither happens. Both generators are
 * GSL's own; this only composes them as a gsl_rng_type, whose functions are
 * GSL's public interface, so every gsl_ran_* draws from it as usual. */
/* gsl_rng_set passes the seed as an unsigned long: both halves must fit. */
_Static_assert(sizeof(unsigned long) >= 8, "streams need a 64-bit unsigned long (LP64)");

static gsl_rng_type stream_type;
static size_t stream_taus_offset;
static pthread_once_t stream_type_once = PTHREAD_ONCE_INIT;

static void stream_type_set(void *state, unsigned long seed) {
    const uint64_t s = (uint64_t)seed;
    gsl_rng_mt19937->set(state, (unsigned long)(s & 0xffffffffu));
    gsl_rng_taus2->set((char *)state + stream_taus_offset, (unsigned long)(s >> 32));
}

static unsigned long stream_type_get(void *state) {
    return (gsl_rng_mt19937->get(state) ^ gsl_rng_taus2->get((char *)state + stream_taus_offset)) & 0xffffffffu;
}

static double stream_type_get_double(void *state) { return (double)stream_type_get(state) / 4294967296.0; }

static void stream_type_init(void) {
    /* both ranges are 0 .. 2^32 - 1, so the XOR is uniform on it too */
    stream_taus_offset = (gsl_rng_mt19937->size + 15) / 16 * 16;
    stream_type = (gsl_rng_type){
        .name = "firedrill_mt19937_xor_taus2",
        .max = 0xffffffffUL,
        .min = 0,
        .size = stream_taus_offset + gsl_rng_taus2->size,
        .set = stream_type_set,
        .get = stream_type_get,
        .get_double = stream_type_get_double,
    };
}

const gsl_rng_type *stream_rng_type(void) {
    pthread_once(&stream_type_once, stream_type_init);
    return &stream_type;
}

typedef struct stream_entry {
    uint64_t name_hash;
    char *name;
    gsl_rng *rng;
} stream_entry;

void stream_set_init(stream_set *set, uint64_t seed) {
    set->seed = seed;
    set->count = set->capacity = 0;
    set->entries = NULL;
    set->index = NULL;
    set->index_cap = 0;
}

void stream_set_free(stream_set *set) {
    for (size_t i = 0; i < set->count; i++) {
        gsl_rng_free(set->entries[i].rng);
        free(set->entries[i].name);
    }
    free(set->entries);
    free(set->index);
    set->entries = NULL;
    set->index = NULL;
    set->count = set->capacity = set->index_cap = 0;
}

/* Where name hash h sits in the index, or the empty slot it would take. */
static size_t index_slot(const stream_set *set, uint64_t h, const char *name) {
    size_t mask = set->index_cap - 1, i = (size_t)h & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t e = set->index[i];
        if (!e) return i;
        const stream_entry *x = &set->entries[e - 1];
        if (x->name_hash == h && strcmp(x->name, name) == 0) return i;
    }
}

/* Doubles the index (a model may ask for tens of thousands of streams, one
 * per failure process: lookups stay O(1)). */
static int index_grow(stream_set *set) {
    size_t cap = set->index_cap ? 2 * set->index_cap : 64;
    uint32_t *grown = calloc(cap, sizeof *grown);
    if (!grown) return -1;
    free(set->index);
    set->index = grown;
    set->index_cap = cap;
    for (size_t k = 0; k < set->count; k++)
        set->index[index_slot(set, set->entries[k].name_hash, set->entries[k].name)] = (uint32_t)(k + 1);
    return 0;
}

unsigned long stream_seed(uint64_t seed, const char *name) {
    uint64_t h = XXH64(name, strlen(name), seed);
    /* MT19937 uses 32 bits of its seed; fold so every hash bit counts. A seed
     * of 0 makes GSL substitute its default, so avoid it. */
    unsigned long folded = (unsigned long)((h ^ (h >> 32)) & 0xffffffffu);
    return folded ? folded : 1;
}

uint64_t stream_seed64(uint64_t seed, const char *name) { return XXH64(name, strlen(name), seed); }

gsl_rng *stream_get(stream_set *set, const char *name) {
    uint64_t h = XXH64(name, strlen(name), 0);
    if (2 * (set->count + 1) > set->index_cap && index_grow(set) != 0) return NULL;
    size_t slot = index_slot(set, h, name);
    if (set->index[slot]) return set->entries[set->index[slot] - 1].rng;
    if (set->count >= UINT32_MAX - 1) return NULL;

    if (set->count == set->capacity) {
        size_t cap = set->capacity ? set->capacity * 2 : 8;
        stream_entry *grown = realloc(set->entries, cap * sizeof *grown);
        if (!grown) return NULL;
        set->entries = grown;
        set->capacity = cap;
    }
    gsl_rng *rng = gsl_rng_alloc(stream_rng_type());
    char *copy = strdup(name);
    if (!rng || !copy) {
        if (rng) gsl_rng_free(rng);
        free(copy);
        return NULL;
    }
    gsl_rng_set(rng, (unsigned long)stream_seed64(set->seed, name));
    stream_entry *e = &set->entries[set->count++];
    e->name_hash = h;
    e->name = copy;
    e->rng = rng;
    set->index[slot] = (uint32_t)set->count;
    return rng;
}
