#include "models/phold.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "sim/engine/sim.h"

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
