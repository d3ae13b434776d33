/* PHOLD, the standard synthetic workload for discrete-event engines
 * (Fujimoto 1990), on the same engine API the disaster models use.
 * N logical processes start with M events each at Exp(mean) + lookahead;
 * every event sends one new event at now + lookahead + Exp(mean) to a
 * uniformly chosen LP with probability `remote`, else to itself. */
#ifndef MODELS_PHOLD_H
#define MODELS_PHOLD_H

#include <stddef.h>
#include <stdint.h>

typedef struct phold_config {
    uint32_t lps;
    uint32_t init_per_lp;
    double remote;      /* probability in [0, 1] */
    double lookahead_s; /* >= 0 */
    double mean_s;      /* > 0 */
    uint64_t events;    /* events to process */
    uint64_t seed;
} phold_config;

typedef struct phold_result {
    uint64_t events;
    double sim_time_s;
    double wall_s;
    double events_per_s;
    uint64_t pending_at_end;
    uint64_t engine_bytes; /* pool + heap held by the engine at the end */
    uint64_t checksum;     /* order-sensitive hash of (time, lp) of every event */
} phold_result;

/* Returns 0, or -1 with a message in err on bad configuration or OOM. */
int phold_run(const phold_config *cfg, phold_result *out, char *err, size_t errlen);

/* The same workload and trace (equal checksum) on a bare binary heap: the
 * baseline the engine is held to, measured in the same run. */
int phold_run_bare(const phold_config *cfg, phold_result *out, char *err, size_t errlen);

#endif
