/* A network link shared by transfers (processor sharing): n active
 * transfers each get bandwidth/n, so a full backup that overlaps an
 * incremental slows both, as on a real WAN link. The bandwidth can change
 * (degradations); completion times are recomputed at every change, with one
 * pending engine event for the earliest completion. */
#ifndef MODELS_LINK_H
#define MODELS_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine/sim.h"

typedef void (*link_done_fn)(sim *s, void *ctx, uint64_t tag);

typedef struct link_transfer {
    double remaining_bytes;
    uint64_t tag;
} link_transfer;

typedef struct link {
    sim *s;
    double bandwidth_bps;
    link_transfer *active;
    size_t n, cap;
    double updated_s; /* remaining bytes are exact as of this time */
    sim_handle next;  /* earliest completion */
    link_done_fn done;
    void *done_ctx;
    double bytes_moved;
} link;

void link_init(link *l, sim *s, double bandwidth_bps, link_done_fn done, void *done_ctx);
void link_free(link *l);

/* Starts moving `bytes`; done(tag) runs when the last byte arrives.
 * Returns -1 when out of memory. */
int link_start(link *l, double bytes, uint64_t tag);

/* Changes the bandwidth from now on (a degradation or its end). */
void link_set_bandwidth(link *l, double bandwidth_bps);

#endif
