/* Money and risk for the decision (docs/metrics.md, "Money"): what each
 * sweep point costs per year and in which parts, which incident kinds the
 * losses come from, and which points are Pareto-optimal in cost against
 * risk. Pure computation on tables already read (analysis/h5in.h); the
 * report (analysis/report.c) writes it up and analysis/plot_money.c draws it.
 *
 * Intervals are bootstrap percentile intervals of the mean over replicas
 * (analysis/summary.h): costs and losses are non-negative and skewed.
 *
 * Errors: MONEY_OK, or MONEY_EFAIL (out of memory). */
#ifndef ANALYSIS_MONEY_H
#define ANALYSIS_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/h5in.h"
#include "analysis/summary.h"

enum { MONEY_OK = FD_OK, MONEY_EFAIL = FD_EFAIL }; /* fd_status values */

/* The parts of total_cost, in the order of its definition. */
#define MONEY_N_PARTS 5
extern const char *const money_part_columns[MONEY_N_PARTS]; /* standby_cost, ..., penalty_cost */
extern const char *const money_part_labels[MONEY_N_PARTS];  /* "standby", ..., "penalties" */

/* Seconds in the year total_cost_per_year is annualised to (365.25 d). */
#define MONEY_YEAR_S (365.25 * 86400.0)

/* The cost the recommendation ranks on: total_cost_per_year when the file
 * has it, else (results of an older firedrill) backup_cost. */
const char *money_cost_metric(const h5in_table *replicas);

/* One point's costs per year: each part annualised per replica
 * (part x MONEY_YEAR_S / horizon_s) and total_cost_per_year. */
typedef struct money_costs {
    bool have_part[MONEY_N_PARTS], have_total;
    summary_stat part[MONEY_N_PARTS]; /* currency/year */
    summary_stat total;               /* currency/year */
} money_costs;

/* out[i] for each point position of p. */
int money_costs_compute(const h5in_table *replicas, const h5in_points *p, double confidence, money_costs *out);

/* Losses of one point by incident kind, per replica. */
typedef struct money_kind {
    char kind[64];          /* "(background)" for what no incident is charged with */
    double incidents;       /* mean incidents per replica (NaN for the background) */
    summary_stat lost;      /* lost revenue charged to the kind, per replica (bootstrap) */
    double slo_missed_min;  /* mean SLO-missed minutes per replica */
    double rto_mean_s;      /* mean RTO of its incidents with a finite RTO; NaN when none */
    size_t outages;         /* its incidents with a finite RTO */
    double rto_s_sum;       /* sum of their RTO (for the RTO-weighted share) */
    double rpo_s_sum;       /* sum of RPO over its incidents that lost state */
    double requests_failed; /* mean per replica */
} money_kind;

typedef struct money_losses {
    uint32_t point;
    size_t n_replicas;
    size_t n_kinds;
    money_kind *kinds;        /* by lost revenue, largest first; the background (when the file has it) last */
    double lost_revenue_mean; /* mean lost_revenue of the point's replicas (incidents + background) */
    double slo_min_mean;      /* mean slo_violation_min */
} money_losses;

int money_losses_compute(const h5in_table *replicas, const h5in_table *incidents, uint32_t point, double confidence,
                         money_losses *out);
void money_losses_free(money_losses *l);

/* The incident kind carrying the largest share of `weight` (a column of
 * /incidents such as rto_s or rpo_s; finite positive values) at one
 * point: false when no incident has one. */
bool money_driver(const h5in_table *incidents, uint32_t point, const char *weight, char *kind, size_t len,
                  double *share);

/* on[i] = point i is Pareto-optimal for lower x and lower y: no other
 * point is at least as good in both and better in one. Points with a
 * non-finite x or y are never on it. */
void money_pareto(const double *x, const double *y, size_t n, bool *on);

#endif
