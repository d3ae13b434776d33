#include "analysis/plot_money.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/money.h"
#include "analysis/report.h"
#include "analysis/summary.h"

/* Marker colours: meets the targets, misses them. */
#define COLOR_MEETS  0x2ca02c
#define COLOR_MISSES 0xd62728

/* ---- gnuplot (as analysis/plot.c runs it) --------------------------------------------- */

/* NaN as gnuplot reads a missing value. */
static void dat_num(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, " %.10g", v);
    else
        fputs(" NaN", f);
}

/* "key=value, ..." with only the last component of each key (and no
 * .json on base files), safe inside a double-quoted gnuplot string. */
static void short_label(const char *params_json, char *buf, size_t len) {
    char full[512];
    summary_point_label(params_json, full, sizeof full);
    size_t used = 0;
    buf[0] = '\0';
    for (char *seg = full; seg && *seg;) {
        char *next = strstr(seg, ", ");
        if (next) *next = '\0';
        char *eq = strchr(seg, '=');
        const char *key = seg, *value = "";
        if (eq) {
            *eq = '\0';
            value = eq + 1;
            const char *dot = strrchr(key, '.');
            if (dot) key = dot + 1;
        }
        char v[256];
        snprintf(v, sizeof v, "%s", value);
        size_t vl = strlen(v);
        if (strcmp(key, "base") == 0 && vl > 5 && strcmp(v + vl - 5, ".json") == 0) v[vl - 5] = '\0';
        int w = strcmp(key, "base") == 0 || !eq
                    ? snprintf(buf + used, len - used, "%s%s", used ? ", " : "", eq ? v : key)
                    : snprintf(buf + used, len - used, "%s%s=%s", used ? ", " : "", key, v);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
        seg = next ? next + 2 : NULL;
    }
    for (char *s = buf; *s; s++)
        if (*s == '"' || *s == '\\') *s = '\'';
}

/* "i: label", or "i" when there are too many points to read labels. */
static void point_tag(const plot_data *d, size_t i, char *buf, size_t len) {
    char lab[300];
    short_label(d->points->parameters[i], lab, sizeof lab);
    if (d->points->n > 12 || !lab[0] || strcmp(lab, "base configuration") == 0)
        snprintf(buf, len, "%u", (unsigned)d->points->index[i]);
    else
        snprintf(buf, len, "%u: %s", (unsigned)d->points->index[i], lab);
}

/* ---- the statistics every money figure uses --------------------------------------------- */

typedef struct view {
    summary s;
    long best;          /* recommended point position, -1 when none qualifies */
    size_t focus;       /* best, else the baseline */
    const char *cost;   /* the cost metric */
    double rto, rpo;    /* targets, NaN when none */
    money_costs *costs; /* per point */
} view;

static void view_free(view *v) {
    summary_free(&v->s);
    free(v->costs);
    memset(v, 0, sizeof *v);
}

static int view_build(const plot_data *d, const plot_options *o, view *v, char *err, size_t errlen) {
    memset(v, 0, sizeof *v);
    const char *want[] = {REPORT_RTO_METRIC, REPORT_RPO_METRIC, money_cost_metric(d->replicas)};
    const char *metrics[3];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        if (h5in_column_find(d->replicas, want[i])) metrics[n++] = want[i];
    uint32_t baseline = o->have_baseline ? o->baseline : h5in_default_baseline(d->file, d->points, NULL);
    int rc = summary_build(&v->s, d->replicas, d->points, metrics, n, baseline, o->confidence, err, errlen);
    if (rc != SUMMARY_OK) return rc == SUMMARY_EINPUT ? PLOT_EINPUT : PLOT_EFAIL;
    v->cost = report_cost_metric(&v->s);
    v->rto = o->have_rto_max ? o->rto_max_s : NAN;
    v->rpo = o->have_rpo_max ? o->rpo_max_s : NAN;
    v->best = report_recommend(&v->s, v->rto, v->rpo);
    v->focus = v->best >= 0 ? (size_t)v->best : v->s.baseline_pos;
    v->costs = calloc(d->points->n ? d->points->n : 1, sizeof *v->costs);
    if (!v->costs || money_costs_compute(d->replicas, d->points, o->confidence, v->costs) != MONEY_OK) {
        view_free(v);
        snprintf(err, errlen, "out of memory");
        return PLOT_EFAIL;
    }
    return PLOT_OK;
}

static const summary_stat *view_stat(const view *v, size_t i, const char *metric) {
    long m = summary_metric_find(&v->s, metric);
    return m >= 0 ? &summary_cell_at(&v->s, i, (size_t)m)->stat : NULL;
}

static bool view_meets(const view *v, size_t i) {
    report_verdict r = report_check(&v->s, i, v->rto, v->rpo);
    return r.meets_rto && r.meets_rpo;
}

/* Whether values spanning [lo, hi] read better on a log axis. */
static bool wants_log(double lo, double hi) { return lo > 0 && isfinite(hi) && hi / lo > 30; }

static void target_defs(char *defs, size_t len, const view *v) {
    plot_def_num(defs, len, "have_rto", isnan(v->rto) ? 0 : 1);
    plot_def_num(defs, len, "rto_max", v->rto);
    plot_def_num(defs, len, "have_rpo", isnan(v->rpo) ? 0 : 1);
    plot_def_num(defs, len, "rpo_max", v->rpo);
}

/* ---- cost ------------------------------------------------------------------------------ */

static int plot_cost(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err, size_t errlen) {
    view v;
    int rc = view_build(d, o, &v, err, errlen);
    if (rc != PLOT_OK) return rc;
    char path[4200];
    FILE *f = plot_dat_open(o, "cost.dat", path, sizeof path, err, errlen);
    if (!f) {
        view_free(&v);
        return PLOT_EFAIL;
    }
    fputs("label standby replication backups lost-revenue penalties total total_lo total_hi position n meets\n", f);
    size_t pos = 0;
    for (size_t i = 0; i < d->points->n; i++) {
        const money_costs *c = &v.costs[i];
        char tag[320];
        point_tag(d, i, tag, sizeof tag);
        fprintf(f, "\"%s%s\"", tag, (long)i == v.best ? " *" : "");
        double sum = 0;
        for (int j = 0; j < MONEY_N_PARTS; j++) {
            double m = c->have_part[j] && isfinite(c->part[j].mean) ? c->part[j].mean : 0;
            sum += m;
            dat_num(f, m);
        }
        /* Files without total_cost_per_year: the sum of the parts they have. */
        dat_num(f, c->have_total ? c->total.mean : sum);
        dat_num(f, c->have_total ? c->total.ci_lo : NAN);
        dat_num(f, c->have_total ? c->total.ci_hi : NAN);
        fprintf(f, " %zu %zu %d\n", pos++, c->total.n, view_meets(&v, i));
    }
    rc = plot_dat_close(o, f, path, err, errlen);
    if (rc == PLOT_OK) {
        char defs[8192] = "", title[512];
        snprintf(title, sizeof title, "%s: mean cost per year by part%s", d->scenario_name,
                 v.best >= 0 ? " (* recommended)" : "");
        plot_def_str(defs, sizeof defs, "dat", path);
        plot_def_num(defs, sizeof defs, "nbars", (double)pos);
        plot_def_num(defs, sizeof defs, "conf", o->confidence * 100);
        plot_def_str(defs, sizeof defs, "ttl", title);
        rc = plot_render(o, PLOT_COST, defs, png, png_len, err, errlen);
    }
    view_free(&v);
    return rc;
}

/* ---- frontier ---------------------------------------------------------------------------- */

/* One panel's data: index 0 every point with a bound, index 1 the Pareto
 * points sorted by the bound. Returns the number of points written. */
static size_t frontier_panel(FILE *f, const plot_data *d, const view *v, const char *metric, double target,
                             double range[4]) {
    size_t n = d->points->n;
    double *x = calloc(n ? n : 1, sizeof *x), *y = calloc(n ? n : 1, sizeof *y);
    bool *on = calloc(n ? n : 1, sizeof *on);
    size_t k = 0;
    range[0] = range[2] = INFINITY;
    range[1] = range[3] = -INFINITY;
    if (!x || !y || !on) {
        free(x);
        free(y);
        free(on);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const summary_stat *b = view_stat(v, i, metric), *c = view_stat(v, i, v->cost);
        x[i] = b ? b->upper : NAN;
        y[i] = c ? c->mean : NAN;
    }
    money_pareto(x, y, n, on);
    fputs("# bound cost cost_lo cost_hi color label\n", f);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        const summary_stat *c = view_stat(v, i, v->cost);
        char tag[320];
        point_tag(d, i, tag, sizeof tag);
        fprintf(f, "%.10g %.10g", x[i], y[i]);
        dat_num(f, c->ci_lo);
        dat_num(f, c->ci_hi);
        fprintf(f, " %d \"%s%s\"\n", view_meets(v, i) ? COLOR_MEETS : COLOR_MISSES, tag,
                (long)i == v->best ? " *" : "");
        if (x[i] < range[0]) range[0] = x[i];
        if (x[i] > range[1]) range[1] = x[i];
        double ylo = isfinite(c->ci_lo) ? c->ci_lo : y[i], yhi = isfinite(c->ci_hi) ? c->ci_hi : y[i];
        if (ylo < range[2]) range[2] = ylo;
        if (yhi > range[3]) range[3] = yhi;
        k++;
    }
    if (!k) fputs("NaN NaN NaN NaN 0 \"\"\n", f);
    fputs("\n\n# Pareto-optimal points by bound: bound cost\n", f);
    size_t n_on = 0;
    for (;;) { /* selection by x: few points */
        long next = -1;
        for (size_t i = 0; i < n; i++)
            if (on[i] && (next < 0 || x[i] < x[next])) next = (long)i;
        if (next < 0) break;
        fprintf(f, "%.10g %.10g\n", x[next], y[next]);
        on[next] = false;
        n_on++;
    }
    if (!n_on) fputs("NaN NaN\n", f);
    if (isfinite(target)) {
        if (target < range[0]) range[0] = target;
        if (target > range[1]) range[1] = target;
    }
    free(x);
    free(y);
    free(on);
    return k;
}

/* Axis range of values in [lo, hi], log when they span a lot; `room`
 * widens the upper end (for labels right of the points). */
static void axis_defs(char *defs, size_t len, const char *prefix, double lo, double hi, double room) {
    char name[32];
    bool lg = wants_log(lo, hi);
    double a = lo, b = hi;
    if (!isfinite(a) || !isfinite(b)) a = 0, b = 1;
    if (lg) {
        a /= 1.6;
        b *= 1.6 * pow(b / a, room);
    } else {
        double span = b - a;
        if (span <= 0) span = fabs(a) > 0 ? fabs(a) * 0.4 : 1;
        a -= 0.1 * span;
        b += (0.1 + room) * span;
        if (lo >= 0 && a < 0) a = 0;
    }
    snprintf(name, sizeof name, "%slog", prefix);
    plot_def_num(defs, len, name, lg ? 1 : 0);
    snprintf(name, sizeof name, "%slo", prefix);
    plot_def_num(defs, len, name, a);
    snprintf(name, sizeof name, "%shi", prefix);
    plot_def_num(defs, len, name, b);
}

static int plot_frontier(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err,
                         size_t errlen) {
    view v;
    int rc = view_build(d, o, &v, err, errlen);
    if (rc != PLOT_OK) return rc;
    char rto_path[4200], rpo_path[4200];
    double rto_range[4], rpo_range[4];
    size_t n_rto = 0, n_rpo = 0;
    FILE *f = plot_dat_open(o, "frontier_rto.dat", rto_path, sizeof rto_path, err, errlen);
    if (f) {
        n_rto = frontier_panel(f, d, &v, REPORT_RTO_METRIC, v.rto, rto_range);
        rc = plot_dat_close(o, f, rto_path, err, errlen);
    } else
        rc = PLOT_EFAIL;
    if (rc == PLOT_OK) {
        f = plot_dat_open(o, "frontier_rpo.dat", rpo_path, sizeof rpo_path, err, errlen);
        if (f) {
            n_rpo = frontier_panel(f, d, &v, REPORT_RPO_METRIC, v.rpo, rpo_range);
            rc = plot_dat_close(o, f, rpo_path, err, errlen);
        } else
            rc = PLOT_EFAIL;
    }
    if (rc == PLOT_OK && !n_rto && !n_rpo) {
        snprintf(err, errlen, "no point has both a bound and a cost");
        rc = PLOT_EINPUT;
    }
    if (rc == PLOT_OK) {
        char defs[8192] = "", title[512];
        bool total = strcmp(v.cost, "total_cost_per_year") == 0;
        snprintf(title, sizeof title, "%s: %s against risk (Pareto-optimal points joined%s)", d->scenario_name,
                 total ? "total cost per year" : "backup cost", v.best >= 0 ? "; * recommended" : "");
        plot_def_str(defs, sizeof defs, "rto_dat", rto_path);
        plot_def_str(defs, sizeof defs, "rpo_dat", rpo_path);
        plot_def_num(defs, sizeof defs, "n_rto", (double)n_rto);
        plot_def_num(defs, sizeof defs, "n_rpo", (double)n_rpo);
        target_defs(defs, sizeof defs, &v);
        axis_defs(defs, sizeof defs, "rtox", rto_range[0], rto_range[1], 0.3);
        axis_defs(defs, sizeof defs, "rpox", rpo_range[0], rpo_range[1], 0.3);
        double ylo = fmin(rto_range[2], rpo_range[2]), yhi = fmax(rto_range[3], rpo_range[3]);
        axis_defs(defs, sizeof defs, "y", ylo, yhi, 0);
        plot_def_str(defs, sizeof defs, "ylab",
                     total ? "mean total cost per year [currency/year]" : "mean backup cost per replica [currency]");
        plot_def_num(defs, sizeof defs, "conf", o->confidence * 100);
        plot_def_str(defs, sizeof defs, "ttl", title);
        rc = plot_render(o, PLOT_FRONTIER, defs, png, png_len, err, errlen);
    }
    view_free(&v);
    return rc;
}

/* ---- bounds ----------------------------------------------------------------------------- */

static int plot_bounds(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err, size_t errlen) {
    view v;
    int rc = view_build(d, o, &v, err, errlen);
    if (rc != PLOT_OK) return rc;
    char path[4200];
    FILE *f = plot_dat_open(o, "bounds.dat", path, sizeof path, err, errlen);
    if (!f) {
        view_free(&v);
        return PLOT_EFAIL;
    }
    fputs("# position label rto_mean rto_lo rto_hi rto_bound rto_color rpo_mean rpo_lo rpo_hi rpo_bound rpo_color\n",
          f);
    double range[2][2] = {{INFINITY, -INFINITY}, {INFINITY, -INFINITY}};
    size_t have[2] = {0, 0};
    for (size_t i = 0; i < d->points->n; i++) {
        char tag[320];
        point_tag(d, i, tag, sizeof tag);
        fprintf(f, "%zu \"%s%s\"", i, tag, (long)i == v.best ? " *" : "");
        report_verdict r = report_check(&v.s, i, v.rto, v.rpo);
        for (int t = 0; t < 2; t++) {
            const summary_stat *st = view_stat(&v, i, t == 0 ? REPORT_RTO_METRIC : REPORT_RPO_METRIC);
            double m = st ? st->mean : NAN, lo = st ? st->ci_lo : NAN, hi = st ? st->ci_hi : NAN;
            double b = st ? st->upper : NAN;
            dat_num(f, m);
            dat_num(f, lo);
            dat_num(f, hi);
            dat_num(f, b);
            fprintf(f, " %d", (t == 0 ? r.meets_rto : r.meets_rpo) ? COLOR_MEETS : COLOR_MISSES);
            double vals[] = {m, lo, hi, b};
            for (int j = 0; j < 4; j++) {
                if (!isfinite(vals[j]) || vals[j] <= 0) continue;
                if (vals[j] < range[t][0]) range[t][0] = vals[j];
                if (vals[j] > range[t][1]) range[t][1] = vals[j];
                have[t]++;
            }
        }
        fputc('\n', f);
    }
    rc = plot_dat_close(o, f, path, err, errlen);
    if (rc == PLOT_OK) {
        double targets[2] = {v.rto, v.rpo};
        for (int t = 0; t < 2; t++)
            if (isfinite(targets[t]) && targets[t] > 0) {
                if (targets[t] < range[t][0]) range[t][0] = targets[t];
                if (targets[t] > range[t][1]) range[t][1] = targets[t];
            }
        char defs[8192] = "", title[512];
        snprintf(title, sizeof title,
                 "%s: one-sided %.0f%% upper bounds (triangles; green meets, red misses) and means with %.0f%% "
                 "intervals",
                 d->scenario_name, o->confidence * 100, o->confidence * 100);
        plot_def_str(defs, sizeof defs, "dat", path);
        plot_def_num(defs, sizeof defs, "npoints", (double)d->points->n);
        plot_def_num(defs, sizeof defs, "n_rto", (double)have[0]);
        plot_def_num(defs, sizeof defs, "n_rpo", (double)have[1]);
        target_defs(defs, sizeof defs, &v);
        axis_defs(defs, sizeof defs, "rtoy", range[0][0], range[0][1], 0.1);
        axis_defs(defs, sizeof defs, "rpoy", range[1][0], range[1][1], 0.1);
        plot_def_str(defs, sizeof defs, "ttl", title);
        rc = plot_render(o, PLOT_BOUNDS, defs, png, png_len, err, errlen);
    }
    view_free(&v);
    return rc;
}

/* ---- losses ----------------------------------------------------------------------------- */

static int plot_losses(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err, size_t errlen) {
    view v;
    int rc = view_build(d, o, &v, err, errlen);
    if (rc != PLOT_OK) return rc;
    money_losses l;
    uint32_t point = d->points->index[v.focus];
    if (money_losses_compute(d->replicas, d->incidents, point, o->confidence, &l) != MONEY_OK) {
        view_free(&v);
        snprintf(err, errlen, "out of memory");
        return PLOT_EFAIL;
    }
    char path[4200];
    FILE *f = plot_dat_open(o, "losses.dat", path, sizeof path, err, errlen);
    rc = f ? PLOT_OK : PLOT_EFAIL;
    if (f) {
        fputs("label lost_revenue lo hi slo_missed_min incidents position\n", f);
        for (size_t k = 0; k < l.n_kinds; k++) {
            const money_kind *mk = &l.kinds[k];
            fprintf(f, "\"%s\"", mk->kind);
            dat_num(f, isnan(mk->lost.mean) ? 0 : mk->lost.mean);
            dat_num(f, mk->lost.ci_lo);
            dat_num(f, mk->lost.ci_hi);
            dat_num(f, isnan(mk->slo_missed_min) ? 0 : mk->slo_missed_min);
            dat_num(f, mk->incidents);
            fprintf(f, " %zu\n", k);
        }
        rc = plot_dat_close(o, f, path, err, errlen);
    }
    if (rc == PLOT_OK && !l.n_kinds) {
        snprintf(err, errlen, "point %u has no incidents", (unsigned)point);
        rc = PLOT_EINPUT;
    }
    if (rc == PLOT_OK) {
        char defs[8192] = "", title[600], tag[320];
        point_tag(d, v.focus, tag, sizeof tag);
        snprintf(title, sizeof title, "%s, point %s (%s): losses per replica by incident kind", d->scenario_name, tag,
                 v.best >= 0 ? "recommended" : "baseline; no point qualifies");
        plot_def_str(defs, sizeof defs, "dat", path);
        plot_def_num(defs, sizeof defs, "nbars", (double)l.n_kinds);
        plot_def_num(defs, sizeof defs, "conf", o->confidence * 100);
        plot_def_str(defs, sizeof defs, "ttl", title);
        rc = plot_render(o, PLOT_LOSSES, defs, png, png_len, err, errlen);
    }
    money_losses_free(&l);
    view_free(&v);
    return rc;
}

/* ---- heatmap ---------------------------------------------------------------------------- */

typedef struct axis {
    char key[256];
    size_t n;
    char values[64][64]; /* distinct values as text, in plotting order */
    double num[64];
    bool numeric;
} axis;

static int cmp_axis_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The distinct values of key over the points: sorted when all numeric,
 * else in order of first appearance. */
static void axis_collect(const h5in_points *p, const char *key, axis *ax) {
    memset(ax, 0, sizeof *ax);
    snprintf(ax->key, sizeof ax->key, "%s", key);
    ax->numeric = true;
    for (size_t i = 0; i < p->n; i++) {
        char v[64];
        if (!summary_param_text(p->parameters[i], key, v, sizeof v)) continue;
        bool dup = false;
        for (size_t j = 0; j < ax->n && !dup; j++) dup = strcmp(ax->values[j], v) == 0;
        if (dup || ax->n == 64) continue;
        snprintf(ax->values[ax->n], sizeof ax->values[0], "%s", v);
        if (!summary_param_number(p->parameters[i], key, &ax->num[ax->n])) ax->numeric = false;
        ax->n++;
    }
    if (!ax->numeric) return;
    /* Sort values and numbers together: sort the numbers, then re-derive text. */
    double sorted[64];
    memcpy(sorted, ax->num, ax->n * sizeof *sorted);
    qsort(sorted, ax->n, sizeof *sorted, cmp_axis_value);
    char text[64][64];
    for (size_t k = 0; k < ax->n; k++)
        for (size_t j = 0; j < ax->n; j++)
            if (ax->num[j] == sorted[k]) {
                snprintf(text[k], sizeof text[0], "%s", ax->values[j]);
                break;
            }
    memcpy(ax->num, sorted, ax->n * sizeof *sorted);
    memcpy(ax->values, text, sizeof text[0] * ax->n);
}

static long axis_pos(const axis *ax, const char *params_json) {
    char v[64];
    if (!summary_param_text(params_json, ax->key, v, sizeof v)) return -1;
    for (size_t j = 0; j < ax->n; j++)
        if (strcmp(ax->values[j], v) == 0) return (long)j;
    return -1;
}

/* The two swept parameters of a 2-D sweep; false (with why) otherwise. */
static bool heatmap_axes(const h5in_points *p, axis *x, axis *y, char *why, size_t len) {
    char **keys;
    size_t n;
    if (summary_param_keys(p, &keys, &n) != SUMMARY_OK) {
        snprintf(why, len, "out of memory");
        return false;
    }
    bool ok = n == 2;
    if (ok) {
        axis_collect(p, keys[1], x); /* the last parameter varies fastest: along x */
        axis_collect(p, keys[0], y);
        ok = x->n >= 2 && y->n >= 2;
    }
    if (!ok)
        snprintf(why, len, "needs a 2-D sweep: two swept parameters with two or more values each (this file has %zu)",
                 n);
    for (size_t i = 0; i < n; i++) free(keys[i]);
    free(keys);
    return ok;
}

static void tics_list(const axis *ax, char *buf, size_t len) {
    snprintf(buf, len, "(");
    for (size_t j = 0; j < ax->n; j++) {
        size_t used = strlen(buf);
        char v[64];
        snprintf(v, sizeof v, "%s", ax->values[j]);
        for (char *s = v; *s; s++)
            if (*s == '"' || *s == '\\') *s = '\'';
        snprintf(buf + used, len - used, "%s\"%s\" %zu", j ? ", " : "", v, j);
    }
    strncat(buf, ")", len - strlen(buf) - 1);
}

static int plot_heatmap(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err,
                        size_t errlen) {
    axis *ax = calloc(2, sizeof *ax);
    if (!ax) {
        snprintf(err, errlen, "out of memory");
        return PLOT_EFAIL;
    }
    if (!heatmap_axes(d->points, &ax[0], &ax[1], err, errlen)) {
        free(ax);
        return PLOT_EINPUT;
    }
    view v;
    int rc = view_build(d, o, &v, err, errlen);
    if (rc != PLOT_OK) {
        free(ax);
        return rc;
    }
    char path[4200];
    FILE *f = plot_dat_open(o, "heatmap.dat", path, sizeof path, err, errlen);
    rc = f ? PLOT_OK : PLOT_EFAIL;
    double lo = INFINITY, hi = -INFINITY;
    if (f) {
        fputs("# x y cost feasibility_color feasibility cost_text point\n", f);
        for (size_t i = 0; i < d->points->n; i++) {
            long xi = axis_pos(&ax[0], d->points->parameters[i]), yi = axis_pos(&ax[1], d->points->parameters[i]);
            if (xi < 0 || yi < 0) continue;
            const summary_stat *c = view_stat(&v, i, v.cost);
            double cost = c ? c->mean : NAN;
            report_verdict r = report_check(&v.s, i, v.rto, v.rpo);
            int code = (r.meets_rto ? 0 : 1) + (r.meets_rpo ? 0 : 2);
            static const int colors[] = {COLOR_MEETS, 0xff7f0e, 0x9467bd, COLOR_MISSES};
            static const char *const names[] = {"meets", "misses RTO", "misses RPO", "misses both"};
            fprintf(f, "%ld %ld", xi, yi);
            dat_num(f, cost);
            fprintf(f, " %d \"%s%s\" \"%.4g%s\" %u\n", colors[code], names[code], (long)i == v.best ? " *" : "", cost,
                    (long)i == v.best ? " *" : "", (unsigned)d->points->index[i]);
            if (isfinite(cost) && cost > 0) {
                if (cost < lo) lo = cost;
                if (cost > hi) hi = cost;
            }
        }
        rc = plot_dat_close(o, f, path, err, errlen);
    }
    if (rc == PLOT_OK) {
        char defs[12288] = "", title[600], xt[4096], yt[4096];
        bool total = strcmp(v.cost, "total_cost_per_year") == 0;
        snprintf(title, sizeof title, "%s: %s and feasibility%s", d->scenario_name,
                 total ? "mean total cost per year" : "mean backup cost", v.best >= 0 ? " (* recommended)" : "");
        tics_list(&ax[0], xt, sizeof xt);
        tics_list(&ax[1], yt, sizeof yt);
        plot_def_str(defs, sizeof defs, "dat", path);
        plot_def_str(defs, sizeof defs, "xtl", xt);
        plot_def_str(defs, sizeof defs, "ytl", yt);
        plot_def_str(defs, sizeof defs, "xname", ax[0].key);
        plot_def_str(defs, sizeof defs, "yname", ax[1].key);
        plot_def_num(defs, sizeof defs, "nx", (double)ax[0].n);
        plot_def_num(defs, sizeof defs, "ny", (double)ax[1].n);
        plot_def_num(defs, sizeof defs, "cblog", wants_log(lo, hi) ? 1 : 0);
        plot_def_str(defs, sizeof defs, "cblab", total ? "currency/year" : "currency");
        plot_def_str(defs, sizeof defs, "ttl", title);
        rc = plot_render(o, PLOT_HEATMAP, defs, png, png_len, err, errlen);
    }
    view_free(&v);
    free(ax);
    return rc;
}

/* ---- registration ------------------------------------------------------------------------ */

static bool has_any(const h5in_table *t, const char *const *cols, size_t n) {
    for (size_t i = 0; t && i < n; i++)
        if (h5in_column_find(t, cols[i])) return true;
    return false;
}

bool plot_money_supported(const plot_data *d, plot_kind k, char *why, size_t len) {
    static const char *const bounds[] = {REPORT_RTO_METRIC, REPORT_RPO_METRIC};
    axis *ax;
    bool ok;
    switch (k) {
    case PLOT_COST:
        if (has_any(d->replicas, money_part_columns, MONEY_N_PARTS) && h5in_column_find(d->replicas, "horizon_s"))
            return true;
        snprintf(why, len, "needs the cost columns of /replicas (standby_cost, ..., total_cost_per_year)");
        return false;
    case PLOT_FRONTIER:
        if (d->points->n >= 2 && has_any(d->replicas, bounds, 2) &&
            h5in_column_find(d->replicas, money_cost_metric(d->replicas)))
            return true;
        snprintf(why, len, "needs two or more points with %s or %s and a cost", REPORT_RTO_METRIC, REPORT_RPO_METRIC);
        return false;
    case PLOT_LOSSES:
        if (d->incidents && d->incidents->n_rows > 0 && h5in_column_find(d->incidents, "kind") &&
            h5in_column_find(d->incidents, "lost_revenue"))
            return true;
        snprintf(why, len, "needs incidents with kind and lost_revenue in /incidents");
        return false;
    case PLOT_BOUNDS:
        if (has_any(d->replicas, bounds, 2)) return true;
        snprintf(why, len, "needs %s or %s in /replicas", REPORT_RTO_METRIC, REPORT_RPO_METRIC);
        return false;
    case PLOT_HEATMAP:
        ax = calloc(2, sizeof *ax);
        ok = ax && heatmap_axes(d->points, &ax[0], &ax[1], why, len);
        if (!ax) snprintf(why, len, "out of memory");
        free(ax);
        return ok;
    default: break;
    }
    snprintf(why, len, "not a money figure");
    return false;
}

int plot_money_make(const plot_data *d, const plot_options *o, plot_kind k, char *png, size_t png_len, char *err,
                    size_t errlen) {
    switch (k) {
    case PLOT_COST: return plot_cost(d, o, png, png_len, err, errlen);
    case PLOT_FRONTIER: return plot_frontier(d, o, png, png_len, err, errlen);
    case PLOT_LOSSES: return plot_losses(d, o, png, png_len, err, errlen);
    case PLOT_BOUNDS: return plot_bounds(d, o, png, png_len, err, errlen);
    case PLOT_HEATMAP: return plot_heatmap(d, o, png, png_len, err, errlen);
    default: break;
    }
    snprintf(err, errlen, "not a money figure");
    return PLOT_EINPUT;
}
