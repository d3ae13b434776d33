/* Named random streams (GSL's MT19937), one set per simulation.
 * A stream's seed is XXH64(name) keyed by the replica seed, folded to the 32
 * bits MT19937 takes: independent of creation order, process and rank. */
#ifndef SIM_STREAM_H
#define SIM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct stream_set {
    uint64_t seed;
    size_t count, capacity;
    struct stream_entry *entries;
} stream_set;

void stream_set_init(stream_set *set, uint64_t seed);
void stream_set_free(stream_set *set);

/* The stream `name`, created on first use; NULL when out of memory. */
gsl_rng *stream_get(stream_set *set, const char *name);

unsigned long stream_seed(uint64_t seed, const char *name);

#endif
