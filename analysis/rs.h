/* Constrained ranking and selection: the system with the smallest mean
 * objective among those whose constraint means meet their targets, with a
 * stated probability, spending observations only on systems still in
 * contention. The procedure is AK of Andradóttir and Kim (2010), "Fully
 * sequential procedures for comparing constrained systems via simulation",
 * Naval Research Logistics 57(5):403-421: the feasibility check of Batur and
 * Kim (2010) for each (system, constraint) runs alongside the fully
 * sequential KN elimination of Kim and Nelson (2001) among systems, and a
 * system is eliminated only by one already known to be feasible.
 *
 * Guarantee (their Theorem): with probability at least 1 - alpha the
 * selected system is feasible and its objective mean is within delta of the
 * best feasible system's, when (i) observations of a system are i.i.d.
 * normal (observations of different systems may be correlated, as common
 * random numbers make them), (ii) feasibility is judged up to a tolerance:
 * a system whose constraint mean lies within eps of its target may be
 * called either way. Here alpha is split evenly between feasibility
 * (Bonferroni over systems and constraints) and selection. Heavy-tailed
 * observations (per-replica RTO and RPO maxima) strain (i); the
 * validation tests measure the achieved probability on such data.
 *
 * The caller runs the observations (in parallel if it likes): rs_wanted
 * lists the systems that need their next observation, rs_record stores
 * them, rs_update decides. Observation r of every system uses the same
 * random numbers (seed r). NaN constraint values (a replica without an
 * outage has no RTO) are left out of that constraint's test. */
#ifndef ANALYSIS_RS_H
#define ANALYSIS_RS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_MAX_CONSTRAINTS 8

typedef enum rs_fate {
    RS_CONTENDING, /* still sampled */
    RS_INFEASIBLE, /* a constraint mean is above its target */
    RS_DOMINATED,  /* a feasible system is better by the indifference zone */
    RS_SELECTED,   /* the last feasible system standing (or the best mean when stopped early) */
    RS_STOPPED     /* still contending when the budget or the per-system maximum ran out */
} rs_fate;

extern const char *const rs_fate_names[];

typedef struct rs_config {
    size_t k;             /* systems */
    size_t n_constraints; /* E[constraint l] <= target[l] */
    double target[RS_MAX_CONSTRAINTS];
    double eps[RS_MAX_CONSTRAINTS]; /* feasibility tolerance, > 0 */
    double delta;                   /* indifference zone of the objective, > 0 */
    double alpha;                   /* 1 - confidence */
    size_t n0;                      /* first stage, >= 2 */
    size_t max_n;                   /* observations per system at most */
    uint64_t budget;                /* observations in all at most (0: k * max_n) */
} rs_config;

typedef struct rs_system {
    rs_fate fate;
    size_t n;          /* observations taken */
    size_t decided_at; /* observation count when the fate was decided */
    int by;            /* RS_DOMINATED: the system that eliminated it; RS_INFEASIBLE: the constraint */
    bool feasible[RS_MAX_CONSTRAINTS], decided[RS_MAX_CONSTRAINTS];
    double objective_mean;
    double constraint_mean[RS_MAX_CONSTRAINTS];
} rs_system;

typedef struct rs rs;

/* Returns NULL with a message when the configuration is invalid or memory
 * runs out. */
rs *rs_create(const rs_config *cfg, char *err, size_t errlen);
void rs_free(rs *s);

/* The systems whose next observation (number rs_next_obs(s)) is wanted, in
 * increasing order, into out (room for k); 0 when the procedure is done. */
size_t rs_wanted(const rs *s, size_t *out);
size_t rs_next_obs(const rs *s);
/* Observation r of system i: its objective and n_constraints values. */
void rs_record(rs *s, size_t i, size_t r, double objective, const double *constraint);
/* After every wanted observation is recorded: decides feasibility and
 * eliminations. */
void rs_update(rs *s);

const rs_system *rs_get(const rs *s, size_t i);
/* The selected system, or -1 when none is feasible. */
int rs_selected(const rs *s);
uint64_t rs_observations(const rs *s);
/* False when the budget or the per-system maximum stopped the procedure
 * before it decided: the selection is then the best mean, without the
 * guarantee. */
bool rs_guaranteed(const rs *s);
/* The h^2 constants used (feasibility, selection), for the output. */
void rs_constants(const rs *s, double *h2_feasibility, double *h2_selection);

#endif
