#include "analysis/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

/* Metrics the report summarises; the first ones are those it decides on. */
static const char *const report_metrics[] = {
    "rto_mean_s",        REPORT_RTO_METRIC,       REPORT_RPO_METRIC, "rpo_mean_s",    "backup_cost",
    "availability_time", "availability_requests", "lost_revenue",    "latency_p99_s", "false_failovers",
};
#define N_REPORT_METRICS (sizeof report_metrics / sizeof report_metrics[0])

report_verdict report_check(const summary *s, size_t i, double rto_max_s, double rpo_max_s) {
    report_verdict v = {true, true, NAN, NAN};
    long rto = summary_metric_find(s, REPORT_RTO_METRIC), rpo = summary_metric_find(s, REPORT_RPO_METRIC);
    if (rto >= 0) v.rto_bound_s = summary_cell_at(s, i, (size_t)rto)->stat.upper;
    if (rpo >= 0) v.rpo_bound_s = summary_cell_at(s, i, (size_t)rpo)->stat.upper;
    /* NaN bounds (fewer than two values) fail: no evidence is not a pass. */
    if (!isnan(rto_max_s)) v.meets_rto = v.rto_bound_s <= rto_max_s;
    if (!isnan(rpo_max_s)) v.meets_rpo = v.rpo_bound_s <= rpo_max_s;
    return v;
}

/* Rank of a failover.standby mode by the servers it keeps running. */
static double standby_mode_rank(const char *mode) {
    static const char *const modes[] = {"cold", "pilot_light", "warm", "hot"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(modes[i], mode) == 0) return (double)i;
    return NAN;
}

static bool names_resources(const char *key) {
    return strstr(key, "standby") || strstr(key, "servers") || strstr(key, "capacity");
}

/* Compares the standby resources of two points over the resource-naming
 * parameters (in key order): <0 when a holds fewer. Unknown values tie. */
static int cmp_resources(const char *a_json, const char *b_json, char *const *keys, size_t n_keys) {
    for (size_t k = 0; k < n_keys; k++) {
        if (!names_resources(keys[k])) continue;
        double a, b;
        char at[64], bt[64];
        if (!summary_param_number(a_json, keys[k], &a))
            a = summary_param_text(a_json, keys[k], at, sizeof at) ? standby_mode_rank(at) : NAN;
        if (!summary_param_number(b_json, keys[k], &b))
            b = summary_param_text(b_json, keys[k], bt, sizeof bt) ? standby_mode_rank(bt) : NAN;
        if (isnan(a) || isnan(b) || a == b) continue;
        return a < b ? -1 : 1;
    }
    return 0;
}

/* The standby a point's scenario keeps: mode rank, then capacity share.
 * NaN where the file holds no scenario per point or the key is absent. */
static void scenario_resources(const char *scenario_json, double out[2]) {
    out[0] = out[1] = NAN;
    cJSON *root = scenario_json && *scenario_json ? cJSON_Parse(scenario_json) : NULL;
    const cJSON *fo = cJSON_GetObjectItemCaseSensitive(root, "failover");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(fo, "standby");
    const cJSON *share = cJSON_GetObjectItemCaseSensitive(fo, "standby_capacity_fraction");
    if (cJSON_IsString(mode)) out[0] = standby_mode_rank(mode->valuestring);
    if (cJSON_IsNumber(share)) out[1] = share->valuedouble;
    cJSON_Delete(root);
}

/* Fewer standby resources: by the swept parameters that name them, else
 * (a sweep over base files) by what each point's scenario keeps. */
static int cmp_point_resources(const h5in_points *p, size_t a, size_t b, char *const *keys, size_t n_keys) {
    int c = cmp_resources(p->parameters[a], p->parameters[b], keys, n_keys);
    if (c || !p->scenario) return c;
    double ra[2], rb[2];
    scenario_resources(p->scenario[a], ra);
    scenario_resources(p->scenario[b], rb);
    for (int k = 0; k < 2; k++)
        if (!isnan(ra[k]) && !isnan(rb[k]) && ra[k] != rb[k]) return ra[k] < rb[k] ? -1 : 1;
    return 0;
}

long report_recommend(const summary *s, double rto_max_s, double rpo_max_s) {
    long cost = summary_metric_find(s, "backup_cost");
    char **keys = NULL;
    size_t n_keys = 0;
    if (summary_param_keys(s->points, &keys, &n_keys) != SUMMARY_OK) n_keys = 0;
    long best = -1;
    for (size_t i = 0; i < s->points->n; i++) {
        report_verdict v = report_check(s, i, rto_max_s, rpo_max_s);
        if (!v.meets_rto || !v.meets_rpo) continue;
        if (best < 0) {
            best = (long)i;
            continue;
        }
        double ci = cost >= 0 ? summary_cell_at(s, i, (size_t)cost)->stat.mean : NAN;
        double cb = cost >= 0 ? summary_cell_at(s, (size_t)best, (size_t)cost)->stat.mean : NAN;
        /* Points come sorted by index, so on a full tie the earlier one stays. */
        if (ci < cb || (ci == cb && cmp_point_resources(s->points, i, (size_t)best, keys, n_keys) < 0)) best = (long)i;
    }
    for (size_t k = 0; k < n_keys; k++) free(keys[k]);
    free(keys);
    return best;
}

/* ---- writing ------------------------------------------------------------------- */

static void md_num(FILE *f, double v) {
    if (isnan(v))
        fputs("–", f);
    else
        fprintf(f, "%.4g", v);
}

static void md_mean_ci(FILE *f, const summary_stat *st) {
    md_num(f, st->mean);
    if (!isnan(st->ci_lo)) fprintf(f, " [%.4g, %.4g]", st->ci_lo, st->ci_hi);
}

/* A duration in seconds with a friendlier unit alongside. */
static void md_duration(FILE *f, double s) {
    if (s >= 86400)
        fprintf(f, "%.4g s (%.3g d)", s, s / 86400);
    else if (s >= 3600)
        fprintf(f, "%.4g s (%.3g h)", s, s / 3600);
    else if (s >= 60)
        fprintf(f, "%.4g s (%.3g min)", s, s / 60);
    else
        fprintf(f, "%.4g s", s);
}

static const summary_stat *stat_of(const summary *s, size_t i, const char *metric) {
    long m = summary_metric_find(s, metric);
    return m >= 0 ? &summary_cell_at(s, i, (size_t)m)->stat : NULL;
}

static const char *json_string(const cJSON *root, const char *a, const char *b) {
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(root, a);
    if (b) node = cJSON_GetObjectItemCaseSensitive(node, b);
    return cJSON_IsString(node) ? node->valuestring : NULL;
}

static void write_targets(FILE *f, const report_options *o) {
    int pct = (int)lround(o->confidence * 100);
    if (isnan(o->rto_max_s) && isnan(o->rpo_max_s)) {
        fprintf(f, "no RTO or RPO target (give `--rto-max` and `--rpo-max`)");
        return;
    }
    if (!isnan(o->rto_max_s)) {
        fputs("RTO ≤ ", f);
        md_duration(f, o->rto_max_s);
    }
    if (!isnan(o->rpo_max_s)) {
        fputs(isnan(o->rto_max_s) ? "RPO ≤ " : " and RPO ≤ ", f);
        md_duration(f, o->rpo_max_s);
    }
    fprintf(f, " at %d %% confidence", pct);
}

static void write_question(FILE *f, const summary *s, char *const *keys, size_t n_keys, const report_options *o) {
    fputs("## Question\n\n", f);
    if (n_keys == 0) {
        fputs("One configuration: does it meet ", f);
        write_targets(f, o);
        fputs(", and what do its outages and backups cost?\n\n", f);
        return;
    }
    fputs("Which setting of ", f);
    for (size_t k = 0; k < n_keys; k++) {
        fprintf(f, "%s`%s` (", k ? (k + 1 == n_keys ? " and " : ", ") : "", keys[k]);
        /* Its distinct values, in point order. */
        char seen[16][64];
        size_t n_seen = 0;
        for (size_t i = 0; i < s->points->n; i++) {
            char v[64];
            if (!summary_param_text(s->points->parameters[i], keys[k], v, sizeof v)) continue;
            bool dup = false;
            for (size_t j = 0; j < n_seen && !dup; j++) dup = strcmp(seen[j], v) == 0;
            if (dup) continue;
            if (n_seen < 16) snprintf(seen[n_seen], sizeof seen[0], "%s", v);
            if (n_seen < 8)
                fprintf(f, "%s%s", n_seen ? ", " : "", v);
            else if (n_seen == 8)
                fputs(", …", f);
            n_seen++;
        }
        fputs(")", f);
    }
    fprintf(f, " is the cheapest (lowest mean backup cost, then fewest standby resources) that meets ");
    write_targets(f, o);
    fprintf(f, "? %zu points were simulated.\n\n", s->points->n);
}

static void write_recommendation(FILE *f, const summary *s, long best, const report_options *o) {
    int pct = (int)lround(o->confidence * 100);
    fputs("## Recommendation\n\n", f);
    if (best < 0) {
        fputs(s->points->n > 1 ? "**No simulated point meets " : "**This configuration does not meet ", f);
        write_targets(f, o);
        fputs(".** The evidence table shows how far each point is from the targets; widen the sweep "
              "(more standby capacity, shorter backup intervals, a faster detector) or add replicas if a bound "
              "is close to its target.\n\n",
              f);
    } else {
        char label[512];
        summary_point_label(s->points->parameters[best], label, sizeof label);
        report_verdict v = report_check(s, (size_t)best, o->rto_max_s, o->rpo_max_s);
        const summary_stat *cost = stat_of(s, (size_t)best, "backup_cost");
        fprintf(f, "**Point %u (%s)**", (unsigned)s->points->index[best], label);
        if (isnan(o->rto_max_s) && isnan(o->rpo_max_s))
            fputs(s->points->n > 1 ? " is the cheapest point; no target was given (`--rto-max`, `--rpo-max`)"
                                   : " is the only point; no target was given (`--rto-max`, `--rpo-max`)",
                  f);
        else {
            fputs(s->points->n > 1 ? " is the cheapest point that meets " : " meets ", f);
            write_targets(f, o);
        }
        fputs(": the upper bound of the RTO statistic is ", f);
        md_duration(f, v.rto_bound_s);
        fputs(", of the RPO statistic ", f);
        md_duration(f, v.rpo_bound_s);
        fputs("; mean backup cost ", f);
        if (cost) md_mean_ci(f, cost);
        fputs(" per replica.\n\n", f);
    }
    fprintf(f,
            "How the targets are checked: for each point, the statistic for RTO is the per-replica 95th "
            "percentile of RTO over the replica's incidents with an outage (`%s`), and for RPO the per-replica "
            "largest RPO over the incidents that lost model state (`%s`). A point meets a target when the "
            "one-sided %d %% upper confidence bound of the mean of that statistic over replicas (t distribution, "
            "mean + t(%.3g; n-1)·sd/√n) is at most the target. Replicas without an outage (or without lost state) "
            "have no value and are left out. Ties in backup cost go to the point with fewer standby resources, "
            "then to the lower point index.\n\n",
            REPORT_RTO_METRIC, REPORT_RPO_METRIC, pct, o->confidence);
}

static void write_evidence(FILE *f, const summary *s, long best, const report_options *o) {
    int pct = (int)lround(o->confidence * 100);
    fprintf(f,
            "## Evidence\n\nMeans over replicas with two-sided %d %% confidence intervals (t); "
            "\"bound\" is the one-sided %d %% upper bound the targets are checked on; n = replicas with a value.\n\n",
            pct, pct);
    fputs(
        "| point | parameters | replicas | RTO mean [s] | RTO p95 bound [s] (n) | RPO mean [s] | RPO max bound [s] (n) "
        "| availability (time) [1] | lost revenue [currency] | backup cost [currency] | false failovers | verdict |\n",
        f);
    fputs("|---:|---|---:|---|---|---|---|---|---|---|---|---|\n", f);
    for (size_t i = 0; i < s->points->n; i++) {
        char label[512];
        summary_point_label(s->points->parameters[i], label, sizeof label);
        for (char *c = label; *c; c++)
            if (*c == '|') *c = '/';
        report_verdict v = report_check(s, i, o->rto_max_s, o->rpo_max_s);
        const summary_stat *rto_p95 = stat_of(s, i, REPORT_RTO_METRIC), *rpo_max = stat_of(s, i, REPORT_RPO_METRIC);
        fprintf(f, "| %u%s | %s | %zu | ", (unsigned)s->points->index[i], (long)i == best ? " ★" : "", label,
                s->n_replicas[i]);
        md_mean_ci(f, stat_of(s, i, "rto_mean_s"));
        fputs(" | ", f);
        md_num(f, v.rto_bound_s);
        fprintf(f, " (%zu) | ", rto_p95->n);
        md_mean_ci(f, stat_of(s, i, "rpo_mean_s"));
        fputs(" | ", f);
        md_num(f, v.rpo_bound_s);
        fprintf(f, " (%zu) | ", rpo_max->n);
        const summary_stat *av = stat_of(s, i, "availability_time");
        if (isnan(av->mean))
            fputs("–", f);
        else if (isnan(av->ci_lo))
            fprintf(f, "%.6f", av->mean);
        else
            fprintf(f, "%.6f [%.6f, %.6f]", av->mean, av->ci_lo, av->ci_hi);
        fputs(" | ", f);
        md_mean_ci(f, stat_of(s, i, "lost_revenue"));
        fputs(" | ", f);
        md_mean_ci(f, stat_of(s, i, "backup_cost"));
        fputs(" | ", f);
        md_num(f, stat_of(s, i, "false_failovers")->mean);
        const char *verdict = v.meets_rto && v.meets_rpo     ? "meets"
                              : !v.meets_rto && !v.meets_rpo ? "misses RTO and RPO"
                              : !v.meets_rto                 ? "misses RTO"
                                                             : "misses RPO";
        fprintf(f, " | %s |\n", verdict);
    }
    fputs("\n", f);
    if (s->points->n < 2) return;
    fprintf(f,
            "Paired differences against point %u over the seeds both ran (common random numbers: the same "
            "disasters), mean [%d %% CI]:\n\n",
            (unsigned)s->points->index[s->baseline_pos], pct);
    static const char *const diff_metrics[] = {"rto_mean_s", "rpo_mean_s", "lost_revenue", "backup_cost"};
    fputs("| point | Δ RTO mean [s] | Δ RPO mean [s] | Δ lost revenue [currency] | Δ backup cost [currency] |\n", f);
    fputs("|---:|---|---|---|---|\n", f);
    for (size_t i = 0; i < s->points->n; i++) {
        if (i == s->baseline_pos) continue;
        fprintf(f, "| %u |", (unsigned)s->points->index[i]);
        for (size_t m = 0; m < sizeof diff_metrics / sizeof diff_metrics[0]; m++) {
            long k = summary_metric_find(s, diff_metrics[m]);
            const summary_diff *d = &summary_cell_at(s, i, (size_t)k)->diff;
            fputc(' ', f);
            md_num(f, d->mean);
            if (!isnan(d->ci_lo)) fprintf(f, " [%.4g, %.4g]", d->ci_lo, d->ci_hi);
            fprintf(f, " (n=%zu) |", d->n);
        }
        fputc('\n', f);
    }
    fputs("\n", f);
}

static const char *const figure_titles[PLOT_KIND_COUNT] = {
    "RTO and RPO per incident", "Backup interval: RPO and cost",
    "Where the RTO goes",       "Standby capacity: availability and lost revenue",
    "Timeline of one replica",
};

static void write_figures(FILE *f, const plot_data *d, const report_options *o) {
    fputs("## Figures\n\n", f);
    if (!o->plot.gnuplot || !o->plot.script_dir) {
        fprintf(f, "No figures: %s.\n\n", o->no_figures_why ? o->no_figures_why : "gnuplot is not available");
        return;
    }
    char skipped[PLOT_KIND_COUNT][1100];
    int n_skipped = 0;
    for (int k = 0; k < PLOT_KIND_COUNT; k++) {
        char why[1024], png[4200];
        const char *name = plot_kind_name((plot_kind)k);
        if (!plot_supported(d, (plot_kind)k, why, sizeof why)) {
            snprintf(skipped[n_skipped++], sizeof skipped[0], "%s: %s", name, why);
            continue;
        }
        if (plot_make(d, &o->plot, (plot_kind)k, png, sizeof png, why, sizeof why) != PLOT_OK) {
            fprintf(stderr, "firedrill report: %s: %s\n", name, why);
            snprintf(skipped[n_skipped++], sizeof skipped[0], "%s: failed, %s", name, why);
            continue;
        }
        fprintf(f, "### %s\n\n![%s](%s.png)\n\n%s", figure_titles[k], plot_kind_caption((plot_kind)k), name,
                plot_kind_caption((plot_kind)k));
        if (k == PLOT_TIMELINE && !(d->file && h5in_exists(d->file, "/timeline")))
            fputs(" This file was written without `--trace`, so the timeline shows incidents only; "
                  "`firedrill run --trace` also stores traffic, capacity and p99 latency over time.",
                  f);
        fprintf(f, " PDF: [%s.pdf](%s.pdf); data: `%s*.dat`.\n\n", name, name, name);
    }
    if (n_skipped) {
        fputs("Not drawn for this file:\n\n", f);
        for (int i = 0; i < n_skipped; i++) fprintf(f, "- %s.\n", skipped[i]);
        fputs("\n", f);
    }
}

/* Outages whose RTO is unknown because the replica ended first. */
static size_t censored_outages(const h5in_table *inc, size_t *outages) {
    const h5in_column *out = inc ? h5in_column_find(inc, "outage") : NULL;
    const h5in_column *rto = inc ? h5in_column_find(inc, "rto_s") : NULL;
    size_t n = 0;
    *outages = 0;
    for (size_t r = 0; out && rto && r < inc->n_rows; r++) {
        if (out->values[r] <= 0) continue;
        (*outages)++;
        if (!isfinite(rto->values[r])) n++;
    }
    return n;
}

static void write_caveats(FILE *f, const plot_data *d, const summary *s, const cJSON *resolved) {
    fputs("## Caveats\n\n", f);
    const char *fidelity = json_string(resolved, "traffic", "fidelity");
    double segment_s = NAN;
    if (d->scenario_resolved) summary_json_number(d->scenario_resolved, "traffic.segment_s", &segment_s);
    if (!fidelity || strcmp(fidelity, "requests") != 0) {
        fputs("- **Segment-level queueing.** Traffic is simulated as constant-rate segments", f);
        if (!isnan(segment_s)) fprintf(f, " of %.4g s", segment_s);
        fputs(" with an analytic queueing model per segment: latency, SLO violations and failed requests during "
              "a failover are those of a queue in steady state at each segment's rate, so bursts and queue "
              "build-up inside a segment, and retries, are not resolved. Run a short horizon with "
              "`traffic.fidelity: requests` to check a result that hinges on latency.\n",
              f);
    }
    size_t outages, cens = censored_outages(d->incidents, &outages);
    fprintf(f,
            "- **Censored outages.** An outage still open at the end of a replica has no RTO and is left out "
            "of the RTO statistics (%zu of %zu outages in this file), which biases RTO down when outages are "
            "long compared with the horizon.\n",
            cens, outages);
    fputs("- **Skewed metrics.** RTO and RPO have heavy tails (a few long restores dominate the mean); the t "
          "interval is then only approximate with tens of replicas and its lower end can even be negative. More "
          "replicas narrow it; medians and p95 are in `firedrill summarize`.\n",
          f);
    fputs("- **Conditional statistics.** RTO and RPO statistics are over replicas that had an outage (lost "
          "state); a replica without one contributes nothing, not a zero. The n column says how many replicas "
          "back each bound.\n",
          f);
    if (s->points->n > 1)
        fputs("- **Many points, one confidence level.** Each point's bound holds at the stated confidence on its "
              "own; the chance that every verdict in the table is right at once is lower (Bonferroni: divide the "
              "error by the number of points for a simultaneous statement).\n",
              f);
    fputs("- **Not modelled.** Cost counts backup transfer and storage only: standby servers, cross-region "
          "traffic of serving and people are not priced, so \"cheapest\" means cheapest in backups, with standby "
          "resources as the tie-break. Disasters are those listed in the scenario with their arrival laws; "
          "correlations beyond what the scenario scripts are not modelled. The served model's version over time "
          "is not drawn on the timeline (restores report their RPO and recall@k per incident instead).\n\n",
          f);
}

int report_write(const plot_data *d, const report_meta *meta, const report_options *o, char *err, size_t errlen) {
    summary s;
    uint32_t baseline = d->points->n ? d->points->index[0] : 0;
    int rc = summary_build(&s, d->replicas, d->points, report_metrics, N_REPORT_METRICS, baseline, o->confidence, err,
                           errlen);
    if (rc != SUMMARY_OK) return rc == SUMMARY_EINPUT ? REPORT_EINPUT : REPORT_EFAIL;
    char path[4200];
    snprintf(path, sizeof path, "%s/report.md", o->plot.out_dir);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
        summary_free(&s);
        return REPORT_EFAIL;
    }
    cJSON *resolved = d->scenario_resolved ? cJSON_Parse(d->scenario_resolved) : NULL;
    char **keys = NULL;
    size_t n_keys = 0;
    if (summary_param_keys(d->points, &keys, &n_keys) != SUMMARY_OK) n_keys = 0;
    long best = report_recommend(&s, o->rto_max_s, o->rpo_max_s);

    fprintf(f, "# Capacity-planning report: %s\n\n", meta->scenario_name);
    fputs("| | |\n|---|---|\n", f);
    const char *desc = json_string(resolved, "description", NULL);
    fprintf(f, "| scenario | `%s`%s%s |\n", meta->scenario_name, desc ? ": " : "", desc ? desc : "");
    fprintf(f, "| scenario SHA-256 | `%s` |\n", meta->scenario_sha256 ? meta->scenario_sha256 : "unknown");
    double horizon = NAN;
    if (d->scenario_resolved) summary_json_number(d->scenario_resolved, "horizon_s", &horizon);
    fputs("| horizon per replica | ", f);
    if (isnan(horizon))
        fputs("unknown", f);
    else
        md_duration(f, horizon);
    fputs(" |\n", f);
    const h5in_column *seed = h5in_column_find(d->replicas, "seed");
    double lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; seed && r < d->replicas->n_rows; r++) {
        if (seed->values[r] < lo) lo = seed->values[r];
        if (seed->values[r] > hi) hi = seed->values[r];
    }
    fprintf(f, "| replicas | %zu in %zu point(s)", d->replicas->n_rows, d->points->n);
    if (isfinite(lo)) fprintf(f, ", seeds %.0f..%.0f", lo, hi);
    fputs(" |\n", f);
    fprintf(f, "| results file | `%s` |\n", meta->results_path);
    fprintf(f, "| produced by | firedrill %s (git %s), %s |\n", meta->firedrill_version ? meta->firedrill_version : "?",
            meta->git_revision ? meta->git_revision : "?", meta->created_utc ? meta->created_utc : "?");
    if (meta->command && *meta->command) fprintf(f, "| command | `%s` |\n", meta->command);
    if (meta->backend && *meta->backend) fprintf(f, "| kernels ran on | %s |\n", meta->backend);
    if (meta->random_streams && *meta->random_streams)
        fprintf(f, "| random streams | `%s`, seeded per (replica seed, stream name) |\n", meta->random_streams);
    fputs("\n", f);

    write_question(f, &s, keys, n_keys, o);
    write_recommendation(f, &s, best, o);
    write_evidence(f, &s, best, o);
    write_figures(f, d, o);
    write_caveats(f, d, &s, resolved);
    fprintf(f,
            "Cite as: firedrill %s (git %s), scenario %s (sha256 %.12s…), seeds %.0f..%.0f, with the %d %% "
            "confidence intervals above.\n",
            meta->firedrill_version ? meta->firedrill_version : "?", meta->git_revision ? meta->git_revision : "?",
            meta->scenario_name, meta->scenario_sha256 ? meta->scenario_sha256 : "?", isfinite(lo) ? lo : 0,
            isfinite(hi) ? hi : 0, (int)lround(o->confidence * 100));

    for (size_t k = 0; k < n_keys; k++) free(keys[k]);
    free(keys);
    cJSON_Delete(resolved);
    summary_free(&s);
    if (ferror(f) | (fclose(f) != 0) || rename(tmp, path) != 0) {
        remove(tmp);
        snprintf(err, errlen, "%s: write failed", path);
        return REPORT_EFAIL;
    }
    return REPORT_OK;
}
