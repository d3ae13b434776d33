/* Named random streams, one set per simulation. A stream is GSL's MT19937
 * XORed with GSL's taus2 (stream_rng_type), seeded with XXH64(name) keyed by
 * the replica seed: 64 bits of seed, independent of creation order, process
 * and rank. */
#ifndef SIM_STREAM_H
#define SIM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct stream_set {
    uint64_t seed;
    size_t count, capacity;
    struct stream_entry *entries;
    /* open addressing on the name hash: entry index + 1, 0 for empty;
     * index_cap is a power of two, kept at least twice count */
    uint32_t *index;
    size_t index_cap;
} stream_set;

void stream_set_init(stream_set *set, uint64_t seed);
void stream_set_free(stream_set *set);

/* The stream `name`, created on first use; NULL when out of memory. */
gsl_rng *stream_get(stream_set *set, const char *name);

/* A 32-bit seed for a GSL generator of one's own (XXH64 folded, never 0). */
unsigned long stream_seed(uint64_t seed, const char *name);
/* The 64-bit seed of stream `name`. */
uint64_t stream_seed64(uint64_t seed, const char *name);
/* A uniform in (0, 1), never 0 or 1, from 64 hashed bits (their top 53):
 * the draws of counter-based streams. */
static inline double stream_open_uniform(uint64_t bits) { return ((double)(bits >> 11) + 0.5) * 0x1p-53; }
/* The generator type of the streams. */
const gsl_rng_type *stream_rng_type(void);

#endif
