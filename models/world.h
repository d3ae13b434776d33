/* One replica of a scenario on the engine: disasters strike, detectors
 * decide, traffic fails over, backups run, and the replica's metrics and
 * incidents come out. */
#ifndef MODELS_WORLD_H
#define MODELS_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/rec.h"
#include "models/metrics.h"
#include "models/scenario.h"

typedef struct world_result {
    replica_metrics metrics;
    incident_record *incidents;
    size_t n_incidents;
    trace_record *trace; /* when scenario.trace_events is set */
    size_t n_trace;
    timeline_record *timeline; /* likewise: the serving side per segment */
    size_t n_timeline;
} world_result;

/* How to run a replica, apart from what it simulates (the scenario): the
 * results depend on the scenario and seed only, except recall@k ties,
 * which may break differently on another kernel backend. */
typedef struct world_cache world_cache;

typedef struct world_options {
    rec_backend backend; /* where the real kernels run (real state's probe, service.execute); not AUTO */
    bool trace;          /* record the model-level events and the timeline */
    world_cache *cache;  /* the runner thread's, reused across replicas (NULL: the replica's own) */
    /* Events the replica may process (0: no limit). A replica that reaches
     * it stops there and summarises what it simulated: the caller tells it
     * from a finished one by metrics.events (sim/sweep_run.c passes its
     * budget + 1 and refuses a replica that used more than the budget). */
    uint64_t max_events;
} world_options;

/* What replicas of one thread can share because it depends on the scenario
 * alone, never on the seed: the traffic model's queueing states and the
 * quality probe's good model. Results are the same with or without it. */
world_cache *world_cache_create(void);
void world_cache_free(world_cache *c);

/* Simulates one replica (opts NULL: CPU kernels, no trace). Returns 0, or
 * -1 with a message in err. Free the results with world_result_free. */
int world_run(const scenario *sc, const world_options *opts, uint64_t seed, world_result *out, char *err,
              size_t errlen);
void world_result_free(world_result *r);

#endif
