#include "models/link.h"

#include <stdlib.h>

/* Completions closer than this are treated as simultaneous, so floating-point
 * residue never leaves a transfer with a few bytes that take 0 ns. */
#define LINK_EPSILON_BYTES 1e-6

static void on_completion(sim *s, void *ctx, sim_payload p);

/* Books the bytes moved since updated_s at the current share. */
static void advance(link *l) {
    double now = simtime_to_s(sim_now(l->s));
    if (l->n && now > l->updated_s) {
        double each = l->bandwidth_bps / (double)l->n * (now - l->updated_s);
        for (size_t i = 0; i < l->n; i++) {
            double moved = each < l->active[i].remaining_bytes ? each : l->active[i].remaining_bytes;
            l->active[i].remaining_bytes -= moved;
            l->bytes_moved += moved;
        }
    }
    l->updated_s = now;
}

static void reschedule(link *l) {
    sim_cancel(l->s, l->next);
    l->next = SIM_HANDLE_NONE;
    if (!l->n || l->bandwidth_bps <= 0) return;
    double least = l->active[0].remaining_bytes;
    for (size_t i = 1; i < l->n; i++)
        if (l->active[i].remaining_bytes < least) least = l->active[i].remaining_bytes;
    double wait = least * (double)l->n / l->bandwidth_bps;
    /* round up so the transfer really has finished when the event runs */
    simtime_ns delay = simtime_from_s(wait) + 1;
    l->next = sim_schedule_in(l->s, delay, on_completion, l, SIM_PAYLOAD_NONE);
}

static void on_completion(sim *s, void *ctx, sim_payload p) {
    (void)p;
    link *l = ctx;
    l->next = SIM_HANDLE_NONE;
    advance(l);
    /* Collect finished transfers first: their callbacks may start new ones. */
    size_t kept = 0, n_done = 0;
    uint64_t done_tags[16];
    for (size_t i = 0; i < l->n; i++) {
        if (l->active[i].remaining_bytes <= LINK_EPSILON_BYTES && n_done < 16)
            done_tags[n_done++] = l->active[i].tag;
        else
            l->active[kept++] = l->active[i];
    }
    l->n = kept;
    reschedule(l);
    for (size_t i = 0; i < n_done; i++) l->done(s, l->done_ctx, done_tags[i]);
}

void link_init(link *l, sim *s, double bandwidth_bps, link_done_fn done, void *done_ctx) {
    *l = (link){.s = s,
                .bandwidth_bps = bandwidth_bps,
                .done = done,
                .done_ctx = done_ctx,
                .updated_s = simtime_to_s(sim_now(s))};
}

void link_free(link *l) {
    free(l->active);
    l->active = NULL;
    l->n = l->cap = 0;
}

int link_start(link *l, double bytes, uint64_t tag) {
    advance(l);
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        link_transfer *grown = realloc(l->active, cap * sizeof *grown);
        if (!grown) return -1;
        l->active = grown;
        l->cap = cap;
    }
    l->active[l->n++] = (link_transfer){bytes > LINK_EPSILON_BYTES ? bytes : LINK_EPSILON_BYTES, tag};
    reschedule(l);
    return 0;
}

void link_set_bandwidth(link *l, double bandwidth_bps) {
    advance(l);
    l->bandwidth_bps = bandwidth_bps;
    reschedule(l);
}
