/* `firedrill optimize`: the cheapest point of a sweep that meets RTO/RPO
 * (and other) targets with a stated confidence, found sequentially
 * (analysis/rs.h: Andradóttir and Kim 2010) instead of by a full grid.
 *
 * An optimize file is a sweep file (base, parameters, combine, first_seed,
 * and seeds as the most any point may get) plus
 *   "targets": {"rto_max_s": 3600, "rpo_max_s": 900, "confidence": 0.95,
 *               "availability_min": 0.999, "max": {"COLUMN": value, ...},
 *               "tolerance": 0.1},           relative to each target
 *   "objective": "total_cost_per_year",      a /replicas column to minimise
 *   "budget_replicas": 20000, "indifference": 0.01, "n0": 10.
 * The targets are checked on the statistics the report uses: the mean over
 * replicas of the per-replica p95 RTO (rto_p95_s) and largest RPO
 * (rpo_max_s); replicas without an outage (or without lost state) have no
 * value and are left out, as in the report. */
#ifndef SIM_OPTIMIZE_H
#define SIM_OPTIMIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/rs.h"
#include "models/metrics.h"
#include "sim/sweep.h"
#include "sim/sweep_run.h"

typedef struct opt_constraint {
    char column[64];           /* a /replicas column */
    const metric_field *field; /* its field */
    double target;             /* mean of column (times sign) at most target */
    double sign;               /* -1 for a minimum (availability_min) */
    char label[96];            /* "rto_p95_s <= 3600" */
} opt_constraint;

typedef struct opt_spec {
    sweep_spec sw;
    char objective[64];
    const metric_field *objective_field;
    size_t n_constraints;
    opt_constraint constraints[RS_MAX_CONSTRAINTS];
    double confidence, indifference; /* indifference: of the objective, relative */
    double tolerance;                /* of each target, relative: feasibility within it may go either way */
    uint64_t n0, budget;
    bool grid; /* not a file key (--grid): every point gets every seed, chosen by the report's rule */
} opt_spec;

/* Reads an optimize file (its keys and the sweep's in one document, read
 * as sweep files are: models/cfg.h); false with "FILE: JSON.PATH: reason"
 * and spec->sw.out_of_memory when memory or I/O failed, not the input. */
bool opt_load(opt_spec *spec, const char *file, char *err, size_t errlen);
/* The key registry of optimize files (sweep_known_keys, plus the keys
 * above); free with cfg_free_keys. */
bool opt_known_keys(char ***keys, size_t *n);
void opt_free(opt_spec *spec);

/* One point's fate and estimates, after the run. */
typedef struct opt_point {
    rs_fate fate;
    int by;           /* dominated: the point that eliminated it; infeasible: the constraint */
    uint64_t seeds;   /* replicas run */
    uint64_t decided; /* replicas run when its fate was decided */
    double objective_mean;
    double constraint_mean[RS_MAX_CONSTRAINTS];
} opt_point;

typedef struct opt_result {
    int best;          /* point index, or -1 when none is feasible */
    bool guaranteed;   /* false: stopped by the budget or the seeds, best mean without the guarantee */
    uint64_t replicas; /* run in all */
    double delta;      /* indifference zone of the objective, absolute */
    double pcs_bound;  /* the stated probability of correct selection (confidence) */
    double h2_feasibility, h2_selection;
    opt_point *points;     /* n_points */
    replica_metrics *rows; /* every replica run, by (point, seed) */
    size_t n_rows;
    incident_record *incidents;
    size_t n_incidents;
} opt_result;

/* Runs the procedure on the sweep executor e->x (set up by the caller over
 * spec->sw with opts.select_units, and usually a journal: units it already
 * holds are not computed again, so a killed run resumes), stage by stage
 * on e->jobs threads (and MPI ranks with e->run); deterministic for any
 * count. Progress (points alive) on stderr with e->progress. SWEEP_OK, or
 * SWEEP_EFAIL / SWEEP_EUSAGE with a message. */
typedef struct opt_exec {
    sweep_exec *x;
    int jobs; /* threads of this process */
    /* runs x's selected units: NULL, sweep_exec_run_threads; under MPI,
     * one stage of sweep_mpi_run_stage */
    int (*run)(void *ctx, sweep_exec *x, int jobs, char *err, size_t errlen);
    void *ctx;
    bool progress;
} opt_exec;

int opt_run(const opt_spec *spec, const opt_exec *e, opt_result *out, char *err, size_t errlen);
void opt_result_free(opt_result *r);

#endif
