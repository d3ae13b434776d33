/* Summaries of a results file: per sweep point and metric, the mean with a
 * confidence interval over replicas, the median and the 95th and 99th
 * percentiles (GSL statistics), and the paired difference against a
 * baseline point over the seeds both points ran.
 *
 * Why replicas: they are independent by construction (one seed each), so
 * the per-replica values of a metric are i.i.d. Which interval: metrics
 * that cannot be negative and are skewed (durations, money, volumes and
 * counts; summary_metric_method) get percentile bootstrap intervals of the
 * mean (SUMMARY_BOOTSTRAP_B resamples from a GSL MT19937 stream seeded
 * with SUMMARY_BOOTSTRAP_SEED for every interval, so output is
 * reproducible and an interval depends on its own data only): they follow
 * the skew and never leave the range of the data, so a non-negative metric
 * never gets a negative bound. The others (availability, recall: shares
 * near 1) keep the t interval, exact for normal data. The one-sided upper
 * bound uses the same method (the c-quantile of the bootstrap means, or
 * mean + t_c sd / sqrt(n)). Why paired differences: points of a sweep meet
 * the same disasters for the same seed (common random numbers), so the
 * difference per seed removes most of the disaster-to-disaster variance
 * and its interval (same method as the metric's) is much tighter than the
 * difference of two intervals.
 *
 * Non-finite values (NaN: "no incident with an outage in this replica")
 * are left out; n counts what remains.
 *
 * Errors: 0, or SUMMARY_EINPUT (a metric or baseline the file lacks) or
 * SUMMARY_EFAIL (out of memory), with a message in err. */
#ifndef ANALYSIS_SUMMARY_H
#define ANALYSIS_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/h5in.h"

enum { SUMMARY_OK = FD_OK, SUMMARY_EFAIL = FD_EFAIL, SUMMARY_EINPUT = FD_EINPUT }; /* fd_status values */

/* How an interval is computed. */
typedef enum summary_method { SUMMARY_T = 0, SUMMARY_BOOTSTRAP = 1 } summary_method;

/* The bootstrap's resamples and the fixed seed of its GSL stream. */
#define SUMMARY_BOOTSTRAP_B    2000
#define SUMMARY_BOOTSTRAP_SEED 20261207UL

typedef struct summary_stat {
    size_t n;              /* finite values */
    double mean, sd;       /* sd: sample standard deviation (n - 1); NaN when n < 2 */
    double ci_lo, ci_hi;   /* two-sided interval at the confidence; NaN when n < 2 */
    double upper;          /* one-sided upper confidence bound (same method) */
    summary_method method; /* of ci_lo, ci_hi and upper */
    double median, p95, p99, min, max;
} summary_stat;

typedef struct summary_diff {
    size_t n; /* seeds with finite values at both points */
    double mean, ci_lo, ci_hi;
} summary_diff;

/* The interval method for a column: SUMMARY_BOOTSTRAP for non-negative,
 * skewed metrics, told by their unit (s, min, currency, currency/year,
 * bytes, updates, requests) or, for dimensionless counts, by name
 * (incidents, failovers, false_failovers, failbacks, backups_completed,
 * backups_corrupt, backups_skipped, fulls_skipped, events,
 * batches_executed); SUMMARY_T for the rest. */
summary_method summary_metric_method(const char *name, const char *unit);
/* "t" or "bootstrap". */
const char *summary_method_name(summary_method m);

/* Percentile bootstrap of the mean of x[0..n) (finite values; at least
 * two): B resamples with replacement drawn by a GSL MT19937 stream seeded
 * with seed; lo and hi are the (1-c)/2 and (1+c)/2 quantiles of the
 * resample means, upper the c quantile. NaN when n < 2. Returns SUMMARY_OK
 * or SUMMARY_EFAIL (allocation). */
int summary_bootstrap_mean(const double *x, size_t n, double confidence, size_t resamples, unsigned long seed,
                           double *lo, double *hi, double *upper);

/* Statistics of the finite values among x[0..n). confidence in (0, 1).
 * summary_stat_compute uses the t interval; _method the given one.
 * Returns SUMMARY_OK or SUMMARY_EFAIL (allocation). */
int summary_stat_compute(const double *x, size_t n, double confidence, summary_stat *out);
int summary_stat_compute_method(const double *x, size_t n, double confidence, summary_method method, summary_stat *out);

/* Paired difference value - base over the seeds present in both lists with
 * finite values (a seed listed twice counts once, its first row); t
 * interval, or the given method with _method. */
int summary_paired(const uint64_t *seeds, const double *value, size_t n, const uint64_t *base_seeds,
                   const double *base_value, size_t n_base, double confidence, summary_diff *out);
int summary_paired_method(const uint64_t *seeds, const double *value, size_t n, const uint64_t *base_seeds,
                          const double *base_value, size_t n_base, double confidence, summary_method method,
                          summary_diff *out);

typedef struct summary_cell {
    summary_stat stat;
    summary_diff diff; /* against the baseline; n = 0 at the baseline itself */
} summary_cell;

typedef struct summary {
    double confidence;
    const h5in_points *points; /* borrowed */
    size_t *n_replicas;        /* rows of each point */
    size_t n_metrics;
    char **metrics, **units;
    summary_method *methods; /* per metric (summary_metric_method) */
    size_t baseline_pos;     /* position of the baseline in points */
    summary_cell *cells;     /* [point position * n_metrics + metric] */
} summary;

/* The default metrics of `firedrill summarize`. */
extern const char *const summary_default_metrics[];
extern const size_t summary_default_metric_count;

/* Summarises `metrics` of the /replicas table per point, each with the
 * interval method of summary_metric_method. baseline: a point index
 * present in points. A metric the table lacks is SUMMARY_EINPUT. */
int summary_build(summary *s, const h5in_table *replicas, const h5in_points *points, const char *const *metrics,
                  size_t n_metrics, uint32_t baseline, double confidence, char *err, size_t errlen);
void summary_free(summary *s);
const summary_cell *summary_cell_at(const summary *s, size_t point_pos, size_t metric);
/* Index of a metric in s, or -1. */
long summary_metric_find(const summary *s, const char *name);

/* One line naming the interval methods s uses, e.g. "95% CI: bootstrap
 * percentile (B=2000, seed 20261207) for durations, money and counts; t for
 * the others". */
void summary_methods_line(const summary *s, char *buf, size_t len);
/* An aligned terminal table: one block per point, one row per metric. */
void summary_print_table(const summary *s, FILE *out);
/* CSV with a header row; one row per point and metric; NaN as an empty
 * field; the last column, ci_method, is "t" or "bootstrap". */
void summary_print_csv(const summary *s, FILE *out);

/* ---- sweep parameters (the JSON object of /points) ---------------------------- */

/* The keys that appear in any point's parameters, in order of first
 * appearance, malloc'ed (free each and the array). */
int summary_param_keys(const h5in_points *p, char ***keys, size_t *n);
/* The numeric value of key in a parameters object: true when present and a
 * number, or a duration string such as "15m" (read in seconds). */
bool summary_param_number(const char *params_json, const char *key, double *out);
/* The value of key as text (strings unquoted, numbers %g); false when absent. */
bool summary_param_text(const char *params_json, const char *key, char *buf, size_t len);
/* "key=value, key=value", or "base configuration" for "{}". */
void summary_point_label(const char *params_json, char *buf, size_t len);
/* A number at a JSON path (models/jpath.h: "backup.incremental_period_s",
 * "topology.regions[1].servers") of a JSON document such as the resolved
 * scenario; false when absent or not a number. */
bool summary_json_number(const char *json, const char *path, double *out);

#endif
