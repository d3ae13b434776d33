#include "models/phold.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "sim/engine/sim.h"
#include "sim/engine/stream.h"

typedef struct phold_world {
    gsl_rng *rng;
    uint32_t lps;
    double remote;
    simtime_ns lookahead_ns;
    double mean_ns;
    uint64_t checksum;
} phold_world;

static simtime_ns phold_delay(phold_world *w) {
    return w->lookahead_ns + (simtime_ns)(gsl_ran_exponential(w->rng, w->mean_ns) + 0.5);
}

static void phold_event(sim *s, void *ctx, sim_payload payload) {
    phold_world *w = ctx;
    uint32_t lp = payload.u32[0];
    /* A cheap running mix of the event stream; equal checksums across runs
     * mean equal traces. */
    w->checksum = (w->checksum ^ ((uint64_t)sim_now(s) + lp)) * UINT64_C(0x100000001b3);
    uint32_t dest = lp;
    if (w->remote >= 1.0 || (w->remote > 0.0 && gsl_rng_uniform(w->rng) < w->remote))
        dest = (uint32_t)gsl_rng_uniform_int(w->rng, w->lps);
    sim_schedule_in(s, phold_delay(w), phold_event, w, sim_payload_pair(dest, 0));
}

static double wall_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int phold_run(const phold_config *cfg, phold_result *out, char *err, size_t errlen) {
    if (cfg->lps == 0 || cfg->init_per_lp == 0 || !(cfg->remote >= 0 && cfg->remote <= 1) || !(cfg->lookahead_s >= 0) ||
        !(cfg->mean_s > 0) || cfg->events == 0) {
        snprintf(err, errlen, "phold: need lps > 0, init > 0, 0 <= remote <= 1, lookahead >= 0, mean > 0, events > 0");
        return -1;
    }
    sim *s = sim_create(cfg->seed);
    if (!s) {
        snprintf(err, errlen, "phold: out of memory");
        return -1;
    }
    phold_world w = {
        .rng = sim_stream(s, "phold"),
        .lps = cfg->lps,
        .remote = cfg->remote,
        .lookahead_ns = simtime_from_s(cfg->lookahead_s),
        .mean_ns = cfg->mean_s * 1e9,
        .checksum = UINT64_C(0xcbf29ce484222325),
    };
    if (!w.rng) {
        sim_destroy(s);
        snprintf(err, errlen, "phold: out of memory");
        return -1;
    }
    for (uint32_t lp = 0; lp < cfg->lps; lp++)
        for (uint32_t k = 0; k < cfg->init_per_lp; k++)
            sim_schedule_at(s, phold_delay(&w), phold_event, &w, sim_payload_pair(lp, 0));

    double t0 = wall_now_s();
    sim_run_reason why = sim_run(s, SIMTIME_NEVER, cfg->events);
    double wall = wall_now_s() - t0;
    if (why == SIM_RUN_ERROR) {
        snprintf(err, errlen, "phold: %s", sim_status_str(sim_error(s)));
        sim_destroy(s);
        return -1;
    }
    *out = (phold_result){
        .events = sim_events_processed(s),
        .sim_time_s = simtime_to_s(sim_now(s)),
        .wall_s = wall,
        .events_per_s = wall > 0 ? (double)sim_events_processed(s) / wall : 0,
        .pending_at_end = sim_pending(s),
        .engine_bytes = sim_memory_bytes(s),
        .checksum = w.checksum,
    };
    sim_destroy(s);
    return 0;
}

/* ---- the bare binary heap ---------------------------------------------------------- */
/* The same workload on a textbook binary heap of (time, sequence, lp) with
 * nothing else: no pool, handles, cancellation or handler dispatch. It
 * draws the same random numbers in the same order, so its checksum equals
 * the engine's: a baseline measured in the same run, on the same trace. */
typedef struct bare_item {
    simtime_ns time;
    uint64_t seq;
    uint32_t lp;
} bare_item;

static bool bare_less(const bare_item *a, const bare_item *b) {
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void bare_push(bare_item *h, size_t *n, bare_item x) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!bare_less(&x, &h[parent])) break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = x;
}

static bare_item bare_pop(bare_item *h, size_t *n) {
    bare_item top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && bare_less(&h[c + 1], &h[c])) c++;
        if (!bare_less(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

int phold_run_bare(const phold_config *cfg, phold_result *out, char *err, size_t errlen) {
    if (cfg->lps == 0 || cfg->init_per_lp == 0 || !(cfg->mean_s > 0) || cfg->events == 0) {
        snprintf(err, errlen, "phold: need lps > 0, init > 0, mean > 0, events > 0");
        return -1;
    }
    size_t cap = (size_t)cfg->lps * cfg->init_per_lp;
    bare_item *h = malloc(cap * sizeof *h);
    gsl_rng *rng = gsl_rng_alloc(stream_rng_type());
    if (!h || !rng) {
        free(h);
        if (rng) gsl_rng_free(rng);
        snprintf(err, errlen, "phold: out of memory");
        return -1;
    }
    gsl_rng_set(rng, (unsigned long)stream_seed64(cfg->seed, "phold"));
    phold_world w = {.rng = rng,
                     .lps = cfg->lps,
                     .remote = cfg->remote,
                     .lookahead_ns = simtime_from_s(cfg->lookahead_s),
                     .mean_ns = cfg->mean_s * 1e9,
                     .checksum = UINT64_C(0xcbf29ce484222325)};
    size_t n = 0;
    uint64_t seq = 0;
    for (uint32_t lp = 0; lp < cfg->lps; lp++)
        for (uint32_t k = 0; k < cfg->init_per_lp; k++) bare_push(h, &n, (bare_item){phold_delay(&w), seq++, lp});
    double t0 = wall_now_s();
    simtime_ns now = 0;
    uint64_t done = 0;
    for (; done < cfg->events && n > 0; done++) {
        bare_item e = bare_pop(h, &n);
        now = e.time;
        w.checksum = (w.checksum ^ ((uint64_t)now + e.lp)) * UINT64_C(0x100000001b3);
        uint32_t dest = e.lp;
        if (w.remote >= 1.0 || (w.remote > 0.0 && gsl_rng_uniform(rng) < w.remote))
            dest = (uint32_t)gsl_rng_uniform_int(rng, w.lps);
        bare_push(h, &n, (bare_item){now + phold_delay(&w), seq++, dest});
    }
    double wall = wall_now_s() - t0;
    *out = (phold_result){.events = done,
                          .sim_time_s = simtime_to_s(now),
                          .wall_s = wall,
                          .events_per_s = wall > 0 ? (double)done / wall : 0,
                          .pending_at_end = n,
                          .engine_bytes = cap * sizeof *h,
                          .checksum = w.checksum};
    free(h);
    gsl_rng_free(rng);
    return 0;
}
