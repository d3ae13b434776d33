/* The money and risk figures of a results file (plot kinds registered in
 * analysis/plot.h), drawn like the others: .dat files in the output folder
 * and analysis/plot_<kind>.gp run for PNG and PDF.
 *
 *   cost      mean cost per year of each point, stacked by part (standby,
 *             replication, backups, lost revenue, penalties), with the
 *             total and its bootstrap interval
 *   frontier  mean total cost per year against the RTO bound and against
 *             the RPO bound (two panels), Pareto-optimal points joined by a
 *             line, the targets as vertical lines, points labelled
 *   losses    lost revenue and SLO-missed minutes per replica by incident
 *             kind at the recommended point (the baseline when none
 *             qualifies)
 *   bounds    each point's RTO and RPO bounds (and means) against the targets
 *   heatmap   total cost per year and feasibility over the two swept
 *             parameters of a 2-D sweep
 *
 * Targets and the baseline come from plot_options (have_rto_max, ...);
 * "recommended" is report_recommend's rule on the same statistics, so a
 * figure agrees with the report it sits in. */
#ifndef ANALYSIS_PLOT_MONEY_H
#define ANALYSIS_PLOT_MONEY_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis/plot.h"

bool plot_money_supported(const plot_data *d, plot_kind k, char *why, size_t len);
int plot_money_make(const plot_data *d, const plot_options *o, plot_kind k, char *png, size_t png_len, char *err,
                    size_t errlen);

#endif
