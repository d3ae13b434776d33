/* The capacity-planning report: DIR/report.md (Markdown that renders on a
 * code forge) with the figures of analysis/plot.h beside it, linked by
 * relative paths. It states the scenario, the question the sweep asks,
 * the recommendation, the evidence per point and the caveats.
 *
 * The recommendation, precisely: a point meets the RTO target X when the
 * one-sided upper confidence bound (level c; bootstrap percentile over
 * replicas, analysis/summary.h) of the mean of the per-replica 95th
 * percentile of RTO (column rto_p95_s) is <= X, and the RPO target Y when
 * the same bound of the mean of the per-replica largest RPO (rpo_max_s) is
 * <= Y. Replicas without an outage (or without lost state) have no value
 * and are left out, which conditions on "a month with an outage". Among
 * the points that meet both, the recommended one has the lowest mean
 * total_cost_per_year (files without it, written by an older firedrill:
 * the lowest mean backup_cost), then the fewest standby resources (a swept
 * parameter that names standby, servers or capacity; failover.standby
 * ranks cold < pilot_light < warm < hot; for a sweep over base files, the
 * failover.standby and failover.standby_capacity_fraction of each point's
 * scenario), then the lowest point index.
 *
 * Beside it the report shows the cost per year by part, the cost/risk
 * frontier, the bounds against the targets, the losses by incident kind
 * (analysis/money.h) and, when no point qualifies, which target fails, by
 * how much, what drives it and values of levers the sweep does not hold.
 *
 * Errors: REPORT_OK, REPORT_EINPUT or REPORT_EFAIL with a message. */
#ifndef ANALYSIS_REPORT_H
#define ANALYSIS_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/plot.h"
#include "analysis/summary.h"

enum { REPORT_OK = FD_OK, REPORT_EFAIL = FD_EFAIL, REPORT_EINPUT = FD_EINPUT }; /* fd_status values */

/* The per-replica statistics the targets are checked on. */
#define REPORT_RTO_METRIC "rto_p95_s"
#define REPORT_RPO_METRIC "rpo_max_s"

typedef struct report_meta {
    const char *results_path;
    const char *scenario_name, *scenario_sha256, *firedrill_version, *git_revision, *created_utc, *command;
    const char *backend, *random_streams; /* NULL: the file does not say */
    const char *optimize_summary;         /* JSON of `firedrill optimize`, or NULL */
    const char *scenario_resolved;        /* the (baseline) scenario with defaults filled in, or NULL */
} report_meta;

typedef struct report_options {
    double rto_max_s, rpo_max_s; /* NaN: no target */
    double confidence;
    /* The point paired differences are taken against; without
     * have_baseline, the file's baseline_point (h5in_default_baseline). */
    bool have_baseline;
    uint32_t baseline;
    /* Figures: drawn when plot.gnuplot and plot.script_dir are set (plot.out_dir
     * is the report folder); otherwise the report says why (no_figures_why). */
    plot_options plot;
    const char *no_figures_why;
} report_options;

/* Verdict on one point, exposed for tests. */
typedef struct report_verdict {
    bool meets_rto, meets_rpo; /* true when no target is set */
    double rto_bound_s, rpo_bound_s;
} report_verdict;

/* Checks point position i of summary s (which must hold REPORT_RTO_METRIC
 * and REPORT_RPO_METRIC) against the targets. A point with fewer than two
 * finite values of a checked statistic does not meet its target. */
report_verdict report_check(const summary *s, size_t i, double rto_max_s, double rpo_max_s);

/* The cost the recommendation ranks on: "total_cost_per_year" when s
 * holds it, else "backup_cost". */
const char *report_cost_metric(const summary *s);

/* The recommended point position (see above), or -1 when none meets the
 * targets. s must hold the cost of report_cost_metric as well. */
long report_recommend(const summary *s, double rto_max_s, double rpo_max_s);

/* Writes plot.out_dir/report.md and its figures. A figure that cannot be
 * drawn gets a note in the text; a file that could not be written (a full
 * disk: plot_options.write_err) fails it with REPORT_EFAIL, and so does
 * report.md's own writing, with the path and errno's reason. */
int report_write(const plot_data *d, const report_meta *meta, const report_options *o, char *err, size_t errlen);

#endif
