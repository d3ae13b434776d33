#include "analysis/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "analysis/money.h"
#include "models/cfg.h"

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

const char *report_cost_metric(const summary *s) {
    return summary_metric_find(s, "total_cost_per_year") >= 0 ? "total_cost_per_year" : "backup_cost";
}

long report_recommend(const summary *s, double rto_max_s, double rpo_max_s) {
    long cost = summary_metric_find(s, report_cost_metric(s));
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

/* An amount of money: below a hundredth of a unit (rounding noise of sums
 * charged to incidents) it prints as 0. */
static void md_money(FILE *f, double v) { md_num(f, fabs(v) < 0.005 ? 0 : v); }

static void md_money_ci(FILE *f, const summary_stat *st) {
    md_money(f, st->mean);
    if (!isnan(st->ci_lo) && !isnan(st->ci_hi)) {
        fputs(" [", f);
        md_money(f, st->ci_lo);
        fputs(", ", f);
        md_money(f, st->ci_hi);
        fputs("]", f);
    }
}

static void md_interval(FILE *f, double lo, double hi) {
    if (!isnan(lo) && !isnan(hi)) fprintf(f, " [%.4g, %.4g]", lo, hi);
}

static void md_mean_ci(FILE *f, const summary_stat *st) {
    md_num(f, st->mean);
    md_interval(f, st->ci_lo, st->ci_hi);
}

/* A duration in seconds with a friendlier unit alongside. */
static void md_duration(FILE *f, double s) {
    if (isnan(s))
        fputs("–", f);
    else if (s >= 86400)
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

/* A point's label for a Markdown table cell. */
static void cell_label(const summary *s, size_t i, char *buf, size_t len) {
    summary_point_label(s->points->parameters[i], buf, len);
    for (char *c = buf; *c; c++)
        if (*c == '|') *c = '/';
}

static bool is_per_year(const char *metric) { return strcmp(metric, "total_cost_per_year") == 0; }

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
    bool total = is_per_year(report_cost_metric(s));
    if (n_keys == 0) {
        fputs("One configuration: does it meet ", f);
        write_targets(f, o);
        fputs(total ? ", and what does it cost per year, in standby, replication, backups, lost revenue and "
                      "penalties?\n\n"
                    : ", and what do its outages and backups cost?\n\n",
              f);
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
            for (size_t j = 0; j < n_seen && j < 16 && !dup; j++) dup = strcmp(seen[j], v) == 0;
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
    fprintf(f, " is the cheapest (%s, then fewest standby resources) that meets ",
            total ? "lowest expected total cost per year" : "lowest mean backup cost");
    write_targets(f, o);
    fprintf(f, "? %zu points were simulated.\n\n", s->points->n);
}

/* ---- levers to try when no point qualifies -------------------------------------------- */

/* The value at a dotted path ("failover.detector.heartbeat_s") of a JSON
 * document as text (numbers %.10g); false when absent or not a scalar. */
static bool json_path_text(const char *json, const char *path, char *buf, size_t len) {
    cJSON *root = json && *json ? cJSON_Parse(json) : NULL;
    const cJSON *node = root;
    char part[128];
    for (const char *p = path; node && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        node = cJSON_GetObjectItemCaseSensitive(node, part);
        p += n;
        if (*p == '.') p++;
    }
    bool ok = true;
    if (cJSON_IsString(node))
        snprintf(buf, len, "%s", node->valuestring);
    else if (cJSON_IsNumber(node))
        snprintf(buf, len, "%.10g", node->valuedouble);
    else
        ok = false;
    cJSON_Delete(root);
    return ok;
}

/* A point's value of a scenario key: its swept parameter, else its own
 * scenario, else the resolved scenario of the file. */
static bool point_value(const plot_data *d, size_t i, const char *path, char *buf, size_t len) {
    if (summary_param_text(d->points->parameters[i], path, buf, len)) return true;
    if (d->points->scenario && d->points->scenario[i] && json_path_text(d->points->scenario[i], path, buf, len))
        return true;
    return json_path_text(d->scenario_resolved, path, buf, len);
}

static bool text_number(const char *text, double *out) {
    char *end;
    *out = strtod(text, &end);
    return (end != text && !*end) || cfg_parse_duration(text, out);
}

typedef struct lever {
    const char *path;
    bool rto, rpo;                    /* which target it moves */
    int dir;                          /* +1: higher helps, -1: lower helps */
    double cap;                       /* largest sensible value (NaN: none) */
    bool integer;                     /* whole numbers: one step beyond, not a factor of 2 */
    const char *what;                 /* what the change buys */
    const char *only_mode, *not_mode; /* applies only with / not with this standby mode (NULL: any) */
    const char *only_kind, *not_kind; /* applies only when / not when this incident kind drives the target */
} lever;

static const lever levers[] = {
    {"failover.standby", true, true, +1, NAN, false, "a warmer standby", NULL, NULL, NULL, "bad_model_push"},
    {"failover.standby_capacity_fraction", true, false, +1, 1, false, "more warm standby servers running", "warm", NULL,
     NULL, "bad_model_push"},
    {"failover.detector.heartbeat_s", true, false, -1, NAN, false, "faster detection", NULL, NULL, NULL, NULL},
    {"failover.local_versions", true, true, +1, NAN, true, "bad pushes roll back to a version kept next to the servers",
     NULL, NULL, "bad_model_push", NULL},
    {"backup.incremental_period_s", false, true, -1, NAN, false, "more frequent backups", NULL, NULL, NULL, NULL},
    {"failover.replication_lag_s", false, true, -1, NAN, false, "less replication lag", NULL, "cold", NULL,
     "bad_model_push"},
};
#define N_LEVERS (sizeof levers / sizeof levers[0])

/* One suggestion for lever lv at the point position `at`, whose target is
 * driven by incidents of kind `driver` ("" when unknown): a value the sweep
 * does not hold, in the helpful direction: between the point's value and
 * the next held value when the point is inside the swept range (the better
 * setting lies in that gap), else beyond the end of the range. false when
 * the lever does not apply or the sweep already holds the end of its range. */
static bool suggest_lever(const plot_data *d, size_t at, const char *driver, const lever *lv, char *buf, size_t len) {
    char mode[64];
    bool have_mode = point_value(d, at, "failover.standby", mode, sizeof mode);
    if (lv->only_mode && (!have_mode || strcmp(mode, lv->only_mode) != 0)) return false;
    if (lv->not_mode && have_mode && strcmp(mode, lv->not_mode) == 0) return false;
    if (lv->only_kind && strcmp(driver, lv->only_kind) != 0) return false;
    if (lv->not_kind && strcmp(driver, lv->not_kind) == 0) return false;
    const h5in_points *p = d->points;
    char v[64];
    if (strcmp(lv->path, "failover.standby") == 0) {
        double held = -1;
        for (size_t i = 0; i < p->n; i++)
            if (point_value(d, i, lv->path, v, sizeof v) && standby_mode_rank(v) > held) held = standby_mode_rank(v);
        static const char *const modes[] = {"cold", "pilot_light", "warm", "hot"};
        if (held < 0 || held >= 3) return false;
        snprintf(buf, len, "`%s` = %s (%s; the sweep holds modes up to %s)", lv->path, modes[(int)held + 1], lv->what,
                 modes[(int)held]);
        return true;
    }
    double lo = INFINITY, hi = -INFINITY, x, here;
    size_t n_held = 0;
    double held[64];
    if (!point_value(d, at, lv->path, v, sizeof v) || !text_number(v, &here)) return false;
    for (size_t i = 0; i < p->n; i++) {
        if (!point_value(d, i, lv->path, v, sizeof v)) continue;
        if (!text_number(v, &x)) return false;
        bool dup = false;
        for (size_t j = 0; j < n_held && !dup; j++) dup = held[j] == x;
        if (!dup && n_held < 64) held[n_held++] = x;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
    }
    if (!n_held) return false;
    /* The next held value beyond `here` in the helpful direction. */
    double next = NAN;
    for (size_t j = 0; j < n_held; j++) {
        bool beyond = lv->dir < 0 ? held[j] < here : held[j] > here;
        if (beyond && (isnan(next) || fabs(held[j] - here) < fabs(next - here))) next = held[j];
    }
    double c;
    bool between = !isnan(next);
    if (between) /* the gap: a geometric midpoint for positive values, else the middle */
        c = here > 0 && next > 0 && !lv->integer ? sqrt(here * next) : (here + next) / 2;
    else if (lv->dir < 0) {
        if (!(here > 0)) return false;
        c = lv->integer ? here - 1 : here / 2;
    } else {
        if (!isnan(lv->cap) && here >= lv->cap) return false;
        c = lv->integer ? here + 1 : (here > 0 ? here * 2 : 1);
        if (!isnan(lv->cap) && c > lv->cap) c = lv->cap;
    }
    if (lv->integer) c = lv->dir < 0 ? floor(c) : ceil(c);
    if (!lv->integer && c >= 10) c = round(c);
    /* Never a value the sweep already holds. */
    for (size_t j = 0; j < n_held; j++)
        if (fabs(held[j] - c) <= 1e-9 * fmax(1, fabs(c))) return false;
    if (between)
        snprintf(buf, len, "`%s` = %.3g (%s; between this point's %.4g and the %.4g the sweep also holds)", lv->path, c,
                 lv->what, here, next);
    else if (n_held == 1)
        snprintf(buf, len, "`%s` = %.3g (%s; the sweep holds only %.4g)", lv->path, c, lv->what, here);
    else
        snprintf(buf, len, "`%s` = %.3g (%s; the sweep holds %zu values from %.4g to %.4g)", lv->path, c, lv->what,
                 n_held, lo, hi);
    return true;
}

/* Why no point qualifies: per target, which points meet it, the closest
 * point's bound against the target, the incident kind that drives it, and
 * values to try that the sweep does not hold. */
static void write_no_point(FILE *f, const plot_data *d, const summary *s, const report_options *o) {
    size_t np = s->points->n, met[2] = {0, 0};
    const double target[2] = {o->rto_max_s, o->rpo_max_s};
    static const char *const name[2] = {"RTO", "RPO"}, *const weight[2] = {"rto_s", "rpo_s"};
    static const char *const weight_what[2] = {"of the RTO (RTO-weighted: seconds of outage until the SLO was met)",
                                               "of the RPO (RPO-weighted: seconds of model state lost)"};
    for (size_t i = 0; i < np; i++) {
        report_verdict v = report_check(s, i, o->rto_max_s, o->rpo_max_s);
        met[0] += !isnan(o->rto_max_s) && v.meets_rto;
        met[1] += !isnan(o->rpo_max_s) && v.meets_rpo;
    }
    long closest[2] = {-1, -1};
    char driver[2][64] = {"", ""};
    bool near[2] = {false, false};
    for (int t = 0; t < 2; t++) {
        if (isnan(target[t])) continue;
        int other = 1 - t;
        fprintf(f, "- **%s ≤ ", name[t]);
        md_duration(f, target[t]);
        fputs("**: ", f);
        if (met[t] == np) {
            fputs(np > 1 ? "met by every point.\n" : "met.\n", f);
            continue;
        }
        if (met[t] > 0) {
            fputs("met by point", f);
            size_t k = 0;
            for (size_t i = 0; i < np; i++) {
                report_verdict v = report_check(s, i, o->rto_max_s, o->rpo_max_s);
                if (!(t == 0 ? v.meets_rto : v.meets_rpo)) continue;
                fprintf(f, "%s %u", k++ ? "," : (met[t] > 1 ? "s" : ""), (unsigned)s->points->index[i]);
            }
            fprintf(f, " (%zu of %zu)", met[t], np);
            /* Only the points meeting the other target matter now. */
            if (isnan(target[other]) || met[other] == 0) {
                fputs(".\n", f);
                continue;
            }
            fprintf(f, ", none of which meets the %s target. Among those that meet the %s target, the closest",
                    name[other], name[other]);
        } else
            fputs(np > 1 ? "met by no point. The closest" : "not met: the point", f);
        /* The closest point: the smallest bound relative to the target
         * (among those meeting the other target when some do). */
        double best_ratio = INFINITY;
        for (size_t i = 0; i < np; i++) {
            report_verdict v = report_check(s, i, o->rto_max_s, o->rpo_max_s);
            if (met[t] > 0 && !(other == 0 ? v.meets_rto : v.meets_rpo)) continue;
            double b = t == 0 ? v.rto_bound_s : v.rpo_bound_s;
            double ratio = target[t] > 0 ? b / target[t] : b;
            if (isfinite(b) && ratio < best_ratio) {
                best_ratio = ratio;
                closest[t] = (long)i;
            }
        }
        if (closest[t] < 0) {
            fprintf(f,
                    " cannot be told: no point has two or more replicas with a value of `%s`; run more seeds or a "
                    "longer horizon.\n",
                    t == 0 ? REPORT_RTO_METRIC : REPORT_RPO_METRIC);
            continue;
        }
        size_t c = (size_t)closest[t];
        report_verdict v = report_check(s, c, o->rto_max_s, o->rpo_max_s);
        double b = t == 0 ? v.rto_bound_s : v.rpo_bound_s;
        char label[512];
        summary_point_label(s->points->parameters[c], label, sizeof label);
        fprintf(f, ", point %u (%s), has an upper bound of ", (unsigned)s->points->index[c], label);
        md_duration(f, b);
        fprintf(f, ": %.4g s", b - target[t]);
        if (target[t] > 0 && b >= 10 * target[t])
            fprintf(f, " (the bound is %.3g times the target)", b / target[t]);
        else if (target[t] > 0)
            fprintf(f, " (%.0f %%)", 100 * (b - target[t]) / target[t]);
        fputs(" above the target.", f);
        near[t] = target[t] > 0 && b <= 1.1 * target[t];
        double share;
        if (money_driver(d->incidents, s->points->index[c], weight[t], driver[t], sizeof driver[t], &share))
            fprintf(f, " There, `%s` incidents carry %.0f %% %s.", driver[t], 100 * share, weight_what[t]);
        fputs("\n", f);
    }
    fputs("\n", f);
    /* Levers: values the sweep does not hold, at the closest points. */
    char lines[2 * N_LEVERS][512];
    const char *paths[2 * N_LEVERS];
    size_t n_lines = 0;
    for (int t = 0; t < 2; t++) {
        if (closest[t] < 0) continue;
        for (size_t l = 0; l < N_LEVERS; l++) {
            if (!(t == 0 ? levers[l].rto : levers[l].rpo)) continue;
            bool dup = false;
            for (size_t j = 0; j < n_lines && !dup; j++) dup = strcmp(paths[j], levers[l].path) == 0;
            if (dup || !suggest_lever(d, (size_t)closest[t], driver[t], &levers[l], lines[n_lines], sizeof lines[0]))
                continue;
            paths[n_lines++] = levers[l].path;
        }
    }
    if (n_lines) {
        fputs("What to try next (values this sweep does not hold, chosen for the closest point and the incident kind "
              "that drives its bound; each costs what the cost table shows for its part):\n\n",
              f);
        for (size_t j = 0; j < n_lines; j++) fprintf(f, "- %s\n", lines[j]);
        fputs("\n", f);
    } else if (closest[0] >= 0 || closest[1] >= 0)
        fputs("The levers firedrill knows (standby mode and share, detector heartbeat, local model versions, backup "
              "interval, replication lag) are already at the end of their range in this sweep, or do not apply to "
              "the closest point: the target may not be reachable with this deployment.\n\n",
              f);
    if (near[0] || near[1])
        fputs("A bound within 10 % of its target may be settled by more replicas (more seeds narrow the bound) "
              "rather than by a new setting.\n\n",
              f);
}

/* ---- recommendation ---------------------------------------------------------------- */

/* Seeds and values of one column at one point. */
static size_t gather_point(const h5in_table *t, uint32_t point, const char *col, uint64_t *seeds, double *vals) {
    const h5in_column *pc = h5in_column_find(t, "point"), *sc = h5in_column_find(t, "seed");
    const h5in_column *c = h5in_column_find(t, col);
    size_t k = 0;
    for (size_t r = 0; c && r < t->n_rows; r++) {
        if ((pc ? pc->values[r] : 0) != (double)point) continue;
        seeds[k] = h5in_seed_at(sc, r);
        vals[k++] = c->values[r];
    }
    return k;
}

static void write_method(FILE *f, const report_options *o) {
    int pct = (int)lround(o->confidence * 100);
    fprintf(f,
            "How the targets are checked: for each point, the statistic for RTO is the per-replica 95th "
            "percentile of RTO over the replica's incidents with an outage (`%s`), and for RPO the per-replica "
            "largest RPO over the incidents that lost model state (`%s`). A point meets a target when the "
            "one-sided %d %% upper confidence bound of the mean of that statistic over replicas is at most the "
            "target. The bound is a bootstrap percentile bound (B=%d resamples of the replicas, GSL MT19937 "
            "stream with the fixed seed %lu, so the report is reproducible): the %d %% quantile of the resampled "
            "means. Both statistics are non-negative and right-skewed, which a t bound (symmetric by "
            "construction) ignores; every interval of a duration, cost or count in this report is a bootstrap "
            "percentile interval of the same kind, and availability keeps the t interval. Replicas without an "
            "outage (or without lost state) have no value and are left out. Ties in cost go to the point with "
            "fewer standby resources, then to the lower point index.\n\n",
            REPORT_RTO_METRIC, REPORT_RPO_METRIC, pct, SUMMARY_BOOTSTRAP_B, (unsigned long)SUMMARY_BOOTSTRAP_SEED, pct);
}

/* A file written by `firedrill optimize`: what the sequential procedure
 * chose and spent, against the replicas the grid would have needed. */
static void write_optimize_note(FILE *f, const report_meta *meta) {
    cJSON *j = meta->optimize_summary ? cJSON_Parse(meta->optimize_summary) : NULL;
    if (!j) return;
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(j, "best_point"),
                *used = cJSON_GetObjectItemCaseSensitive(j, "replicas"),
                *grid = cJSON_GetObjectItemCaseSensitive(j, "grid_replicas"),
                *sure = cJSON_GetObjectItemCaseSensitive(j, "guaranteed"),
                *conf = cJSON_GetObjectItemCaseSensitive(j, "confidence"),
                *is_grid = cJSON_GetObjectItemCaseSensitive(j, "grid");
    if (cJSON_IsNumber(best) && cJSON_IsNumber(used) && cJSON_IsNumber(grid) && grid->valuedouble > 0) {
        if (cJSON_IsTrue(is_grid))
            fprintf(f, "This file holds `firedrill optimize --grid`: every point ran every seed (%.0f replicas).\n\n",
                    used->valuedouble);
        else
            fprintf(f,
                    "This file was written by `firedrill optimize` (%s): %.0f replicas, where the exhaustive grid "
                    "would have needed %.0f (%.1f %%). Points it eliminated early have fewer replicas, so their "
                    "intervals below are wider. Its own choice was point %.0f, %s.\n\n",
                    "Andradóttir and Kim 2010", used->valuedouble, grid->valuedouble,
                    100 * used->valuedouble / grid->valuedouble, best->valuedouble,
                    cJSON_IsTrue(sure) && cJSON_IsNumber(conf)
                        ? (conf->valuedouble >= 0.95 ? "with its stated guarantee (confidence 0.95 or more)"
                                                     : "with its stated guarantee")
                        : "without the guarantee (it stopped before deciding)");
    }
    cJSON_Delete(j);
}

/* Where the servers' service times came from: a law, or a calibration
 * file of a model preset (the scenario names both). */
static void write_service_provenance(FILE *f, const report_meta *meta) {
    cJSON *j = meta->scenario_resolved ? cJSON_Parse(meta->scenario_resolved) : NULL;
    const cJSON *svc = cJSON_GetObjectItemCaseSensitive(j, "service");
    const cJSON *law = cJSON_GetObjectItemCaseSensitive(svc, "distribution"),
                *model = cJSON_GetObjectItemCaseSensitive(svc, "model"),
                *cand = cJSON_GetObjectItemCaseSensitive(svc, "candidates_per_query"),
                *file = cJSON_GetObjectItemCaseSensitive(svc, "calibration_file");
    if (cJSON_IsString(law)) {
        fprintf(f, "| service times | %s", law->valuestring);
        if (cJSON_IsString(model) && *model->valuestring)
            fprintf(f, ", model preset `%s`, %g candidates per query", model->valuestring,
                    cJSON_IsNumber(cand) ? cand->valuedouble : 0);
        if (cJSON_IsString(file) && *file->valuestring) fprintf(f, ", calibration file `%s`", file->valuestring);
        fputs(" |\n", f);
    }
    cJSON_Delete(j);
}

static void write_recommendation(FILE *f, const report_meta *meta, const plot_data *d, const summary *s, long best,
                                 const money_costs *costs, const report_options *o) {
    fputs("## Recommendation\n\n", f);
    write_optimize_note(f, meta);
    const char *cost_metric = report_cost_metric(s);
    bool total = is_per_year(cost_metric);
    if (!total)
        fputs("This results file has no `total_cost_per_year` (it was written by an older firedrill, before "
              "standby servers, replication and penalties were priced): the recommendation falls back to the "
              "lowest mean `backup_cost`.\n\n",
              f);
    if (best < 0) {
        fputs(s->points->n > 1 ? "**No simulated point meets " : "**This configuration does not meet ", f);
        write_targets(f, o);
        fputs(".**\n\n", f);
        write_no_point(f, d, s, o);
        write_method(f, o);
        return;
    }
    char label[512];
    summary_point_label(s->points->parameters[best], label, sizeof label);
    report_verdict v = report_check(s, (size_t)best, o->rto_max_s, o->rpo_max_s);
    bool targets = !(isnan(o->rto_max_s) && isnan(o->rpo_max_s));
    fprintf(f, "**Point %u (%s)**", (unsigned)s->points->index[best], label);
    if (s->points->n == 1)
        fputs(targets ? " meets " : " is the only point; no target was given (`--rto-max`, `--rpo-max`)", f);
    else if (total)
        fputs(targets ? " has the lowest expected total cost per year of the points that meet "
                      : " has the lowest expected total cost per year; no target was given (`--rto-max`, `--rpo-max`)",
              f);
    else
        fputs(targets ? " is the cheapest point that meets "
                      : " is the cheapest point; no target was given (`--rto-max`, `--rpo-max`)",
              f);
    if (targets) write_targets(f, o);
    const money_costs *mc = &costs[best];
    if (total && mc->have_total) {
        fputs(": **", f);
        md_num(f, mc->total.mean);
        fputs(" per year**", f);
        md_interval(f, mc->total.ci_lo, mc->total.ci_hi);
        fputs(" (", f);
        bool first = true;
        for (int j = 0; j < MONEY_N_PARTS; j++) {
            if (!mc->have_part[j]) continue;
            fprintf(f, "%s%s ", first ? "" : ", ", money_part_labels[j]);
            md_money(f, mc->part[j].mean);
            first = false;
        }
        fputs(")", f);
    } else {
        const summary_stat *cost = stat_of(s, (size_t)best, "backup_cost");
        fputs(": mean backup cost ", f);
        if (cost) md_mean_ci(f, cost);
        fputs(" per replica", f);
    }
    fputs(". Upper bound of the RTO statistic ", f);
    md_duration(f, v.rto_bound_s);
    fputs(", of the RPO statistic ", f);
    md_duration(f, v.rpo_bound_s);
    fputs(".", f);
    /* The runner-up and what choosing it would cost, paired. */
    long cm = summary_metric_find(s, cost_metric);
    long second = -1;
    for (size_t i = 0; cm >= 0 && i < s->points->n; i++) {
        if ((long)i == best) continue;
        report_verdict w = report_check(s, i, o->rto_max_s, o->rpo_max_s);
        if (!w.meets_rto || !w.meets_rpo) continue;
        double ci = summary_cell_at(s, i, (size_t)cm)->stat.mean;
        if (second < 0 || ci < summary_cell_at(s, (size_t)second, (size_t)cm)->stat.mean) second = (long)i;
    }
    size_t n = d->replicas->n_rows ? d->replicas->n_rows : 1;
    uint64_t *sa = malloc(n * sizeof *sa), *sb = malloc(n * sizeof *sb);
    double *va = malloc(n * sizeof *va), *vb = malloc(n * sizeof *vb);
    summary_diff diff = {0, NAN, NAN, NAN};
    if (second >= 0 && sa && va && sb && vb) {
        size_t na = gather_point(d->replicas, s->points->index[second], cost_metric, sa, va);
        size_t nb = gather_point(d->replicas, s->points->index[best], cost_metric, sb, vb);
        if (summary_paired_method(sa, va, na, sb, vb, nb, o->confidence, SUMMARY_BOOTSTRAP, &diff) != SUMMARY_OK)
            diff.n = 0;
    }
    free(sa);
    free(va);
    free(sb);
    free(vb);
    if (second >= 0) {
        char label2[512];
        summary_point_label(s->points->parameters[second], label2, sizeof label2);
        fprintf(f, " The next cheapest point that qualifies, point %u (%s), costs ", (unsigned)s->points->index[second],
                label2);
        md_num(f, summary_cell_at(s, (size_t)second, (size_t)cm)->stat.mean);
        fputs(total ? " per year" : " per replica", f);
        if (diff.n >= 2 && !isnan(diff.mean)) {
            fputs("; on the same disasters (paired over ", f);
            fprintf(f, "%zu seeds) it costs ", diff.n);
            md_num(f, diff.mean);
            md_interval(f, diff.ci_lo, diff.ci_hi);
            fputs(" more", f);
            if (!isnan(diff.ci_lo) && diff.ci_lo <= 0)
                fputs(", an interval that includes 0: more replicas are needed to tell the two apart", f);
        }
        fputs(".", f);
    }
    fputs("\n\n", f);
    write_method(f, o);
}

/* ---- figures ------------------------------------------------------------------------ */

static const char *const figure_titles[PLOT_KIND_COUNT] = {
    "RTO and RPO per incident",   "Backup interval: RPO and cost",
    "Where the RTO goes",         "Standby capacity: availability and lost revenue",
    "Timeline of one replica",    "Cost per year by part",
    "Cost against risk",          "Losses by incident kind",
    "Bounds against the targets", "Cost and feasibility over the two swept parameters",
};

static bool is_money_kind(int k) {
    return k == PLOT_COST || k == PLOT_FRONTIER || k == PLOT_LOSSES || k == PLOT_BOUNDS || k == PLOT_HEATMAP;
}

/* Draws kind k and links it (title level ###); when it cannot be drawn,
 * a note, or (skip_note) nothing and the reason in `why`. Returns whether
 * it was drawn. */
static bool draw_figure(FILE *f, const plot_data *d, const plot_options *po, plot_kind k, bool quiet_when_unsupported,
                        char *why, size_t why_len) {
    const char *name = plot_kind_name(k);
    char png[4200], err[900];
    if (!po->gnuplot || !po->script_dir) {
        snprintf(why, why_len, "gnuplot is not available");
        return false;
    }
    if (!plot_supported(d, k, why, why_len)) {
        if (!quiet_when_unsupported) fprintf(f, "*(%s: not drawn, %s.)*\n\n", name, why);
        return false;
    }
    if (plot_make(d, po, k, png, sizeof png, err, sizeof err) != PLOT_OK) {
        fprintf(stderr, "firedrill report: %s: %s\n", name, err);
        snprintf(why, why_len, "failed, %s", err);
        if (!quiet_when_unsupported) fprintf(f, "*(%s: not drawn, %s.)*\n\n", name, why);
        return false;
    }
    char title[512], caption[1024];
    if (is_money_kind(k)) {
        snprintf(title, sizeof title, "%s", figure_titles[k]);
        snprintf(caption, sizeof caption, "%s", plot_kind_caption(k));
    } else {
        plot_figure_title(d, k, title, sizeof title);
        plot_figure_caption(d, k, caption, sizeof caption);
    }
    fprintf(f, "### %s\n\n![%s](%s.png)\n\n%s", title, caption, name, caption);
    if (k == PLOT_TIMELINE && !(d->file && h5in_exists(d->file, "/timeline")))
        fputs(" This file was written without `--trace`, so the timeline shows incidents only; "
              "`firedrill run --trace` also stores traffic, capacity and p99 latency over time.",
              f);
    fprintf(f, " PDF: [%s.pdf](%s.pdf); data: `%s*.dat`.\n\n", name, name, name);
    return true;
}

static void write_figures(FILE *f, const plot_data *d, const plot_options *po, const report_options *o) {
    fputs("## Figures\n\n", f);
    if (!po->gnuplot || !po->script_dir) {
        fprintf(f, "No figures: %s.\n\n", o->no_figures_why ? o->no_figures_why : "gnuplot is not available");
        return;
    }
    char skipped[PLOT_KIND_COUNT][1200];
    int n_skipped = 0;
    for (int k = 0; k < PLOT_KIND_COUNT; k++) {
        if (is_money_kind(k)) continue; /* drawn in their sections */
        char why[1024];
        if (!draw_figure(f, d, po, (plot_kind)k, true, why, sizeof why))
            snprintf(skipped[n_skipped++], sizeof skipped[0], "%s: %s", plot_kind_name((plot_kind)k), why);
    }
    if (n_skipped) {
        fputs("Not drawn for this file:\n\n", f);
        for (int i = 0; i < n_skipped; i++) fprintf(f, "- %s.\n", skipped[i]);
        fputs("\n", f);
    }
}

/* ---- money sections ------------------------------------------------------------------ */

static const char *verdict_text(report_verdict v) {
    return v.meets_rto && v.meets_rpo     ? "meets"
           : !v.meets_rto && !v.meets_rpo ? "misses RTO and RPO"
           : !v.meets_rto                 ? "misses RTO"
                                          : "misses RPO";
}

static void write_costs(FILE *f, const plot_data *d, const summary *s, long best, const money_costs *costs,
                        const plot_options *po, const report_options *o) {
    int pct = (int)lround(o->confidence * 100);
    bool any = false;
    for (size_t i = 0; i < s->points->n && !any; i++) {
        any = costs[i].have_total;
        for (int j = 0; j < MONEY_N_PARTS; j++) any |= costs[i].have_part[j];
    }
    if (!any) return;
    fputs("## Cost per year\n\n", f);
    fprintf(f,
            "Mean per replica, annualised (× 365.25 d / horizon), by part of `total_cost` (docs/metrics.md, "
            "\"Money\"; the home region's serving fleet is the same everywhere and not counted); the total with "
            "its %d %% bootstrap interval.\n\n",
            pct);
    fputs("| point | parameters |", f);
    for (int j = 0; j < MONEY_N_PARTS; j++) fprintf(f, " %s [currency/year] |", money_part_labels[j]);
    fputs(" total [currency/year] | verdict |\n|---:|---|", f);
    for (int j = 0; j < MONEY_N_PARTS; j++) fputs("---:|", f);
    fputs("---|---|\n", f);
    for (size_t i = 0; i < s->points->n; i++) {
        char label[512];
        cell_label(s, i, label, sizeof label);
        fprintf(f, "| %u%s | %s |", (unsigned)s->points->index[i], (long)i == best ? " ★" : "", label);
        for (int j = 0; j < MONEY_N_PARTS; j++) {
            fputc(' ', f);
            md_money(f, costs[i].have_part[j] ? costs[i].part[j].mean : NAN);
            fputs(" |", f);
        }
        fputc(' ', f);
        if (costs[i].have_total)
            md_money_ci(f, &costs[i].total);
        else
            fputs("–", f);
        fprintf(f, " | %s |\n", verdict_text(report_check(s, i, o->rto_max_s, o->rpo_max_s)));
    }
    fputs("\n", f);
    char why[1024];
    draw_figure(f, d, po, PLOT_COST, false, why, sizeof why);
    draw_figure(f, d, po, PLOT_HEATMAP, true, why, sizeof why);
}

static void write_frontier(FILE *f, const plot_data *d, const summary *s, const plot_options *po) {
    if (s->points->n < 2) return;
    const char *cost_metric = report_cost_metric(s);
    long cm = summary_metric_find(s, cost_metric);
    size_t n = s->points->n;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    bool *on = malloc(n * sizeof *on);
    if (!x || !y || !on || cm < 0) {
        free(x);
        free(y);
        free(on);
        return;
    }
    fputs("## Cost and risk\n\n", f);
    fprintf(f,
            "The cost/risk frontier: mean %s against the upper bound of each target statistic. A point is "
            "Pareto-optimal when no other point is at least as cheap and at least as safe, and better in one.\n\n",
            is_per_year(cost_metric) ? "total cost per year" : "backup cost");
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < n; i++) {
            const summary_stat *b = stat_of(s, i, t == 0 ? REPORT_RTO_METRIC : REPORT_RPO_METRIC);
            x[i] = b ? b->upper : NAN;
            y[i] = summary_cell_at(s, i, (size_t)cm)->stat.mean;
        }
        money_pareto(x, y, n, on);
        fprintf(f, "- Pareto-optimal in cost against the %s bound: ", t == 0 ? "RTO" : "RPO");
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (!on[i]) continue;
            char label[512];
            summary_point_label(s->points->parameters[i], label, sizeof label);
            fprintf(f, "%spoint %u (%s)", k++ ? ", " : "", (unsigned)s->points->index[i], label);
        }
        fputs(k ? ".\n" : "none (no point has a bound).\n", f);
    }
    fputs("\n", f);
    free(x);
    free(y);
    free(on);
    char why[1024];
    draw_figure(f, d, po, PLOT_FRONTIER, false, why, sizeof why);
    draw_figure(f, d, po, PLOT_BOUNDS, false, why, sizeof why);
}

static void write_losses(FILE *f, const plot_data *d, const summary *s, long best, const plot_options *po,
                         const report_options *o) {
    if (!d->incidents) return;
    size_t focus = best >= 0 ? (size_t)best : s->baseline_pos;
    money_losses l;
    if (money_losses_compute(d->replicas, d->incidents, s->points->index[focus], o->confidence, &l) != MONEY_OK) {
        fputs("## What drives the loss\n\nOut of memory computing the losses by incident kind.\n\n", f);
        return;
    }
    int pct = (int)lround(o->confidence * 100);
    char label[512];
    summary_point_label(s->points->parameters[focus], label, sizeof label);
    fputs("## What drives the loss\n\n", f);
    fprintf(f,
            "At point %u (%s, %s): each incident's failed requests, lost revenue and SLO-missed time are "
            "charged to exactly one incident or to the background (docs/metrics.md), so the rows add up to the "
            "replica's totals. Means per replica over %zu replicas; lost revenue with its %d %% bootstrap "
            "interval; mean RTO over the kind's incidents with an outage.\n\n",
            (unsigned)s->points->index[focus], label,
            best >= 0 ? "the recommended point" : "the baseline; no point qualifies", l.n_replicas, pct);
    fputs("| incident kind | incidents per replica | lost revenue per replica [currency] | share of lost revenue "
          "| SLO-missed per replica [min] | mean RTO [s] (outages) |\n|---|---:|---|---:|---:|---|\n",
          f);
    for (size_t k = 0; k < l.n_kinds; k++) {
        const money_kind *mk = &l.kinds[k];
        fprintf(f, "| %s | ", mk->kind);
        md_num(f, mk->incidents);
        fputs(" | ", f);
        md_money_ci(f, &mk->lost);
        fputs(" | ", f);
        if (l.lost_revenue_mean > 0 && !isnan(mk->lost.mean))
            fprintf(f, "%.1f %%", 100 * mk->lost.mean / l.lost_revenue_mean);
        else
            fputs("–", f);
        fputs(" | ", f);
        md_num(f, mk->slo_missed_min);
        fputs(" | ", f);
        md_num(f, mk->rto_mean_s);
        if (strcmp(mk->kind, "(background)") != 0) fprintf(f, " (%zu)", mk->outages);
        fputs(" |\n", f);
    }
    fputs("| all | | ", f);
    md_money(f, l.lost_revenue_mean);
    fputs(" | 100 % | ", f);
    md_num(f, l.slo_min_mean);
    fputs(" | |\n\n", f);
    money_losses_free(&l);
    char why[1024];
    draw_figure(f, d, po, PLOT_LOSSES, false, why, sizeof why);
}

static void write_evidence(FILE *f, const summary *s, long best, const report_options *o) {
    int pct = (int)lround(o->confidence * 100);
    const char *cost_metric = report_cost_metric(s);
    bool total = is_per_year(cost_metric);
    fprintf(f,
            "## Evidence\n\nMeans over replicas with two-sided %d %% confidence intervals (bootstrap percentile "
            "for durations, costs and counts; t for availability); \"bound\" is the one-sided %d %% upper bound "
            "the targets are checked on; n = replicas with a value.\n\n",
            pct, pct);
    fprintf(f,
            "| point | parameters | replicas | RTO mean [s] | RTO p95 bound [s] (n) | RPO mean [s] | RPO max bound [s] "
            "(n) | availability (time) [1] | lost revenue [currency] | %s | false failovers | verdict |\n",
            total ? "total cost [currency/year]" : "backup cost [currency]");
    fputs("|---:|---|---:|---|---|---|---|---|---|---|---|---|\n", f);
    for (size_t i = 0; i < s->points->n; i++) {
        char label[512];
        cell_label(s, i, label, sizeof label);
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
        md_mean_ci(f, stat_of(s, i, cost_metric));
        fputs(" | ", f);
        md_num(f, stat_of(s, i, "false_failovers")->mean);
        fprintf(f, " | %s |\n", verdict_text(v));
    }
    fputs("\n", f);
    if (s->points->n < 2) return;
    fprintf(f,
            "Paired differences against point %u (the baseline) over the seeds both ran (common random numbers: "
            "the same disasters), mean [%d %% CI]:\n\n",
            (unsigned)s->points->index[s->baseline_pos], pct);
    const char *diff_metrics[] = {"rto_mean_s", "rpo_mean_s", "lost_revenue", cost_metric};
    fprintf(f, "| point | Δ RTO mean [s] | Δ RPO mean [s] | Δ lost revenue [currency] | Δ %s |\n",
            total ? "total cost [currency/year]" : "backup cost [currency]");
    fputs("|---:|---|---|---|---|\n", f);
    for (size_t i = 0; i < s->points->n; i++) {
        if (i == s->baseline_pos) continue;
        fprintf(f, "| %u |", (unsigned)s->points->index[i]);
        for (size_t m = 0; m < sizeof diff_metrics / sizeof diff_metrics[0]; m++) {
            long k = summary_metric_find(s, diff_metrics[m]);
            const summary_diff *df = &summary_cell_at(s, i, (size_t)k)->diff;
            fputc(' ', f);
            md_num(f, df->mean);
            md_interval(f, df->ci_lo, df->ci_hi);
            fprintf(f, " (n=%zu) |", df->n);
        }
        fputc('\n', f);
    }
    fputs("\n", f);
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
    fputs("- **Skewed metrics.** RTO, RPO, lost revenue and costs have heavy tails (a few long restores or one "
          "region outage dominate the mean). Their intervals are bootstrap percentile intervals, which follow the "
          "skew and stay within the data's range, but with few replicas (n below about 20) they are somewhat too "
          "narrow, and no interval sees a tail that the replicas never reached. More replicas narrow and settle "
          "them; medians and p95 are in `firedrill summarize`.\n",
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
    if (is_per_year(report_cost_metric(s)))
        fputs("- **What is priced.** Standby servers, replication, backups, lost revenue and SLA penalties, at "
              "the scenario's prices (`cost.*`, `backup.*_cost_*`); the home region's serving fleet (the same "
              "for every point), cross-region serving traffic and people are not. Disasters are those listed in "
              "the scenario with their arrival laws; correlations beyond what the scenario scripts are not "
              "modelled. The served model's version over time is not drawn on the timeline (restores report "
              "their RPO and recall@k per incident instead).\n\n",
              f);
    else
        fputs("- **Not modelled.** This file prices backup transfer and storage only: standby servers, "
              "replication and penalties were not priced by the firedrill that wrote it, so \"cheapest\" means "
              "cheapest in backups, with standby resources as the tie-break. Rerun the sweep with this firedrill "
              "for the total cost per year. Disasters are those listed in the scenario with their arrival laws; "
              "correlations beyond what the scenario scripts are not modelled.\n\n",
              f);
}

/* The metrics the report summarises: those it always needs and the cost
 * columns the file has. */
static size_t report_metric_list(const h5in_table *replicas, const char **out) {
    static const char *const optional[] = {"standby_cost", "replication_cost", "penalty_cost", "total_cost",
                                           "total_cost_per_year"};
    size_t n = 0;
    for (size_t i = 0; i < N_REPORT_METRICS; i++) out[n++] = report_metrics[i];
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if (h5in_column_find(replicas, optional[i])) out[n++] = optional[i];
    return n;
}

int report_write(const plot_data *d, const report_meta *meta, const report_options *o, char *err, size_t errlen) {
    summary s;
    bool baseline_from_file = false;
    uint32_t baseline = o->have_baseline ? o->baseline : h5in_default_baseline(d->file, d->points, &baseline_from_file);
    const char *metrics[N_REPORT_METRICS + 8];
    size_t n_metrics = report_metric_list(d->replicas, metrics);
    int rc = summary_build(&s, d->replicas, d->points, metrics, n_metrics, baseline, o->confidence, err, errlen);
    if (rc != SUMMARY_OK) return rc == SUMMARY_EINPUT ? REPORT_EINPUT : REPORT_EFAIL;
    money_costs *costs = calloc(d->points->n ? d->points->n : 1, sizeof *costs);
    if (!costs || money_costs_compute(d->replicas, d->points, o->confidence, costs) != MONEY_OK) {
        free(costs);
        summary_free(&s);
        snprintf(err, errlen, "out of memory computing costs");
        return REPORT_EFAIL;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/report.md", o->plot.out_dir);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
        free(costs);
        summary_free(&s);
        return REPORT_EFAIL;
    }
    /* The figures see the same targets and baseline as the text. A figure
     * that cannot be drawn gets a note, but one whose files could not be
     * written (a full disk) fails the report. */
    plot_options po = o->plot;
    char write_err[1024] = "";
    po.write_err = write_err;
    po.write_err_len = sizeof write_err;
    po.have_rto_max = !isnan(o->rto_max_s);
    po.rto_max_s = o->rto_max_s;
    po.have_rpo_max = !isnan(o->rpo_max_s);
    po.rpo_max_s = o->rpo_max_s;
    po.have_baseline = true;
    po.baseline = baseline;
    if (!o->plot.gnuplot || !o->plot.script_dir) po.gnuplot = po.script_dir = NULL;

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
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t r = 0; seed && r < d->replicas->n_rows; r++) {
        uint64_t v = h5in_seed_at(seed, r);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    fprintf(f, "| replicas | %zu in %zu point(s)", d->replicas->n_rows, d->points->n);
    if (seed && d->replicas->n_rows) fprintf(f, ", seeds %llu..%llu", (unsigned long long)lo, (unsigned long long)hi);
    fputs(" |\n", f);
    if (d->points->n > 1)
        fprintf(f, "| baseline point | %u (%s) |\n", (unsigned)baseline,
                o->have_baseline     ? "`--baseline`"
                : baseline_from_file ? "the sweep's `baseline_point`"
                                     : "the first point");
    fprintf(f, "| intervals | bootstrap percentile, B=%d, seed %lu (durations, costs, counts); t (availability) |\n",
            SUMMARY_BOOTSTRAP_B, (unsigned long)SUMMARY_BOOTSTRAP_SEED);
    fprintf(f, "| results file | `%s` |\n", meta->results_path);
    fprintf(f, "| produced by | firedrill %s (git %s), %s |\n", meta->firedrill_version ? meta->firedrill_version : "?",
            meta->git_revision ? meta->git_revision : "?", meta->created_utc ? meta->created_utc : "?");
    if (meta->command && *meta->command) fprintf(f, "| command | `%s` |\n", meta->command);
    if (meta->backend && *meta->backend) fprintf(f, "| kernels ran on | %s |\n", meta->backend);
    if (meta->random_streams && *meta->random_streams)
        fprintf(f, "| random streams | `%s`, seeded per (replica seed, stream name) |\n", meta->random_streams);
    write_service_provenance(f, meta);
    fputs("\n", f);

    write_question(f, &s, keys, n_keys, o);
    write_recommendation(f, meta, d, &s, best, costs, o);
    write_costs(f, d, &s, best, costs, &po, o);
    write_frontier(f, d, &s, &po);
    write_losses(f, d, &s, best, &po, o);
    write_evidence(f, &s, best, o);
    write_figures(f, d, &po, o);
    write_caveats(f, d, &s, resolved);
    fprintf(f,
            "Cite as: firedrill %s (git %s), scenario %s (sha256 %.12s…), seeds %llu..%llu, with the %d %% "
            "confidence intervals above.\n",
            meta->firedrill_version ? meta->firedrill_version : "?", meta->git_revision ? meta->git_revision : "?",
            meta->scenario_name, meta->scenario_sha256 ? meta->scenario_sha256 : "?",
            (unsigned long long)(lo <= hi ? lo : 0), (unsigned long long)(lo <= hi ? hi : 0),
            (int)lround(o->confidence * 100));

    for (size_t k = 0; k < n_keys; k++) free(keys[k]);
    free(keys);
    cJSON_Delete(resolved);
    free(costs);
    summary_free(&s);
    bool bad = ferror(f) != 0;
    int why = bad ? errno : 0;
    if (fclose(f) != 0) {
        bad = true;
        why = errno;
    }
    if (bad)
        snprintf(err, errlen, "%s: write failed: %s", tmp, strerror(why ? why : EIO));
    else if (write_err[0])
        snprintf(err, errlen, "%s", write_err);
    else if (rename(tmp, path) != 0)
        snprintf(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
    else
        return REPORT_OK;
    remove(tmp);
    return REPORT_EFAIL;
}
