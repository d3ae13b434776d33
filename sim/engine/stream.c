#include "sim/engine/stream.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

typedef struct stream_entry {
    uint64_t name_hash;
    char *name;
    gsl_rng *rng;
} stream_entry;

void stream_set_init(stream_set *set, uint64_t seed) {
    set->seed = seed;
    set->count = set->capacity = 0;
    set->entries = NULL;
}

void stream_set_free(stream_set *set) {
    for (size_t i = 0; i < set->count; i++) {
        gsl_rng_free(set->entries[i].rng);
        free(set->entries[i].name);
    }
    free(set->entries);
    set->entries = NULL;
    set->count = set->capacity = 0;
}

unsigned long stream_seed(uint64_t seed, const char *name) {
    uint64_t h = XXH64(name, strlen(name), seed);
    /* MT19937 uses 32 bits of its seed; fold so every hash bit counts. A seed
     * of 0 makes GSL substitute its default, so avoid it. */
    unsigned long folded = (unsigned long)((h ^ (h >> 32)) & 0xffffffffu);
    return folded ? folded : 1;
}

gsl_rng *stream_get(stream_set *set, const char *name) {
    uint64_t h = XXH64(name, strlen(name), 0);
    for (size_t i = 0; i < set->count; i++)
        if (set->entries[i].name_hash == h && strcmp(set->entries[i].name, name) == 0) return set->entries[i].rng;

    if (set->count == set->capacity) {
        size_t cap = set->capacity ? set->capacity * 2 : 8;
        stream_entry *grown = realloc(set->entries, cap * sizeof *grown);
        if (!grown) return NULL;
        set->entries = grown;
        set->capacity = cap;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    char *copy = strdup(name);
    if (!rng || !copy) {
        if (rng) gsl_rng_free(rng);
        free(copy);
        return NULL;
    }
    gsl_rng_set(rng, stream_seed(set->seed, name));
    set->entries[set->count++] = (stream_entry){h, copy, rng};
    return rng;
}
