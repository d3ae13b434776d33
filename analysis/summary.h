/* Summaries of a results file: per sweep point and metric, the mean with a
 * t confidence interval over replicas, the median and the 95th and 99th
 * percentiles (GSL statistics), and the paired difference against a
 * baseline point over the seeds both points ran.
 *
 * Why replicas and t intervals: replicas are independent by construction
 * (one seed each), so the per-replica values of a metric are i.i.d. and the
 * t interval is exact for normal data and close for the sample sizes used
 * (tens to thousands). Why paired differences: points of a sweep meet the
 * same disasters for the same seed (common random numbers), so the
 * difference per seed removes most of the disaster-to-disaster variance
 * and its interval is much tighter than the difference of two intervals.
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

enum { SUMMARY_OK = 0, SUMMARY_EFAIL = -1, SUMMARY_EINPUT = -2 };

typedef struct summary_stat {
    size_t n;            /* finite values */
    double mean, sd;     /* sd: sample standard deviation (n - 1); NaN when n < 2 */
    double ci_lo, ci_hi; /* two-sided t interval at the confidence; NaN when n < 2 */
    double upper;        /* one-sided upper confidence bound, mean + t_c sd / sqrt(n) */
    double median, p95, p99, min, max;
} summary_stat;

typedef struct summary_diff {
    size_t n; /* seeds with finite values at both points */
    double mean, ci_lo, ci_hi;
} summary_diff;

/* Statistics of the finite values among x[0..n). confidence in (0, 1).
 * Returns SUMMARY_OK or SUMMARY_EFAIL (allocation). */
int summary_stat_compute(const double *x, size_t n, double confidence, summary_stat *out);

/* Paired difference value - base over the seeds present in both lists with
 * finite values (a seed listed twice counts once, its first row). */
int summary_paired(const double *seeds, const double *value, size_t n, const double *base_seeds,
                   const double *base_value, size_t n_base, double confidence, summary_diff *out);

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
    size_t baseline_pos; /* position of the baseline in points */
    summary_cell *cells; /* [point position * n_metrics + metric] */
} summary;

/* The default metrics of `firedrill summarize`. */
extern const char *const summary_default_metrics[];
extern const size_t summary_default_metric_count;

/* Summarises `metrics` of the /replicas table per point. baseline: a point
 * index present in points. A metric the table lacks is SUMMARY_EINPUT. */
int summary_build(summary *s, const h5in_table *replicas, const h5in_points *points, const char *const *metrics,
                  size_t n_metrics, uint32_t baseline, double confidence, char *err, size_t errlen);
void summary_free(summary *s);
const summary_cell *summary_cell_at(const summary *s, size_t point_pos, size_t metric);
/* Index of a metric in s, or -1. */
long summary_metric_find(const summary *s, const char *name);

/* An aligned terminal table: one block per point, one row per metric. */
void summary_print_table(const summary *s, FILE *out);
/* CSV with a header row; one row per point and metric; NaN as an empty field. */
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
/* A number at a dotted path ("backup.incremental_period_s",
 * "topology.regions[1].servers") of a JSON document such as the resolved
 * scenario; false when absent or not a number. */
bool summary_json_number(const char *json, const char *path, double *out);

#endif
