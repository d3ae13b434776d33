#include "analysis/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "models/cfg.h"
#include "models/jpath.h"

const char *const summary_default_metrics[] = {
    "rto_mean_s",    "rpo_mean_s",  "availability_time", "availability_requests", "lost_revenue",
    "latency_p99_s", "backup_cost", "false_failovers",   "total_cost_per_year",
};
const size_t summary_default_metric_count = sizeof summary_default_metrics / sizeof summary_default_metrics[0];

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

summary_method summary_metric_method(const char *name, const char *unit) {
    static const char *const units[] = {"s", "min", "currency", "currency/year", "bytes", "updates", "requests"};
    static const char *const counts[] = {
        "incidents",       "failovers",       "false_failovers", "failbacks", "backups_completed",
        "backups_corrupt", "backups_skipped", "fulls_skipped",   "events",    "batches_executed"};
    for (size_t i = 0; unit && i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i]) == 0) return SUMMARY_BOOTSTRAP;
    for (size_t i = 0; name && i < sizeof counts / sizeof counts[0]; i++)
        if (strcmp(name, counts[i]) == 0) return SUMMARY_BOOTSTRAP;
    return SUMMARY_T;
}

const char *summary_method_name(summary_method m) { return m == SUMMARY_BOOTSTRAP ? "bootstrap" : "t"; }

int summary_bootstrap_mean(const double *x, size_t n, double confidence, size_t resamples, unsigned long seed,
                           double *lo, double *hi, double *upper) {
    *lo = *hi = *upper = NAN;
    if (n < 2 || resamples < 2) return SUMMARY_OK;
    double first = x[0];
    bool constant = true;
    for (size_t i = 1; i < n && constant; i++) constant = x[i] == first;
    if (constant) { /* every resample mean is the value itself */
        *lo = *hi = *upper = first;
        return SUMMARY_OK;
    }
    double *means = malloc(resamples * sizeof *means);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!means || !r) {
        free(means);
        if (r) gsl_rng_free(r);
        return SUMMARY_EFAIL;
    }
    gsl_rng_set(r, seed);
    for (size_t b = 0; b < resamples; b++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += x[gsl_rng_uniform_int(r, (unsigned long)n)];
        means[b] = sum / (double)n;
    }
    gsl_rng_free(r);
    gsl_sort(means, 1, resamples);
    *lo = gsl_stats_quantile_from_sorted_data(means, 1, resamples, (1 - confidence) / 2);
    *hi = gsl_stats_quantile_from_sorted_data(means, 1, resamples, (1 + confidence) / 2);
    *upper = gsl_stats_quantile_from_sorted_data(means, 1, resamples, confidence);
    free(means);
    return SUMMARY_OK;
}

/* Mean, sd and the two intervals of already-filtered values. */
static int mean_interval(const double *x, size_t n, double confidence, summary_method method, double *mean, double *sd,
                         double *lo, double *hi, double *upper) {
    *mean = n ? gsl_stats_mean(x, 1, n) : NAN;
    *sd = *lo = *hi = *upper = NAN;
    if (n < 2) return SUMMARY_OK;
    *sd = gsl_stats_sd_m(x, 1, n, *mean);
    if (method == SUMMARY_BOOTSTRAP)
        return summary_bootstrap_mean(x, n, confidence, SUMMARY_BOOTSTRAP_B, SUMMARY_BOOTSTRAP_SEED, lo, hi, upper);
    double se = *sd / sqrt((double)n), df = (double)(n - 1);
    double half = gsl_cdf_tdist_Pinv(0.5 + confidence / 2, df) * se;
    *lo = *mean - half;
    *hi = *mean + half;
    *upper = *mean + gsl_cdf_tdist_Pinv(confidence, df) * se;
    return SUMMARY_OK;
}

int summary_stat_compute(const double *x, size_t n, double confidence, summary_stat *out) {
    return summary_stat_compute_method(x, n, confidence, SUMMARY_T, out);
}

int summary_stat_compute_method(const double *x, size_t n, double confidence, summary_method method,
                                summary_stat *out) {
    memset(out, 0, sizeof *out);
    out->method = method;
    double *v = calloc(n ? n : 1, sizeof *v);
    if (!v) return SUMMARY_EFAIL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) v[k++] = x[i];
    out->n = k;
    int rc = mean_interval(v, k, confidence, method, &out->mean, &out->sd, &out->ci_lo, &out->ci_hi, &out->upper);
    out->median = out->p95 = out->p99 = out->min = out->max = NAN;
    if (k) {
        gsl_sort(v, 1, k);
        out->median = gsl_stats_median_from_sorted_data(v, 1, k);
        out->p95 = gsl_stats_quantile_from_sorted_data(v, 1, k, 0.95);
        out->p99 = gsl_stats_quantile_from_sorted_data(v, 1, k, 0.99);
        out->min = v[0];
        out->max = v[k - 1];
    }
    free(v);
    return rc;
}

typedef struct seed_value {
    uint64_t seed;
    double value;
    size_t row; /* ties on seed keep file order, so "first row wins" is well defined */
} seed_value;

static int cmp_seed(const void *a, const void *b) {
    const seed_value *x = a, *y = b;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Finite (seed, value) pairs sorted by seed, one per seed (its first row). */
static size_t sorted_unique(const uint64_t *seeds, const double *value, size_t n, seed_value *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(value[i])) out[k++] = (seed_value){seeds[i], value[i], i};
    qsort(out, k, sizeof *out, cmp_seed);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || out[u - 1].seed != out[i].seed) out[u++] = out[i];
    return u;
}

int summary_paired(const uint64_t *seeds, const double *value, size_t n, const uint64_t *base_seeds,
                   const double *base_value, size_t n_base, double confidence, summary_diff *out) {
    return summary_paired_method(seeds, value, n, base_seeds, base_value, n_base, confidence, SUMMARY_T, out);
}

int summary_paired_method(const uint64_t *seeds, const double *value, size_t n, const uint64_t *base_seeds,
                          const double *base_value, size_t n_base, double confidence, summary_method method,
                          summary_diff *out) {
    memset(out, 0, sizeof *out);
    out->mean = out->ci_lo = out->ci_hi = NAN;
    seed_value *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n_base ? n_base : 1) * sizeof *b);
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (!a || !b || !d) {
        free(a);
        free(b);
        free(d);
        return SUMMARY_EFAIL;
    }
    size_t na = sorted_unique(seeds, value, n, a), nb = sorted_unique(base_seeds, base_value, n_base, b);
    size_t k = 0;
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        if (a[i].seed < b[j].seed)
            i++;
        else if (b[j].seed < a[i].seed)
            j++;
        else
            d[k++] = a[i++].value - b[j++].value;
    }
    out->n = k;
    double sd, upper;
    int rc = mean_interval(d, k, confidence, method, &out->mean, &sd, &out->ci_lo, &out->ci_hi, &upper);
    free(a);
    free(b);
    free(d);
    return rc;
}

/* ---- per point and metric ------------------------------------------------------- */

void summary_free(summary *s) {
    if (!s) return;
    for (size_t m = 0; m < s->n_metrics; m++) {
        if (s->metrics) free(s->metrics[m]);
        if (s->units) free(s->units[m]);
    }
    free(s->metrics);
    free(s->units);
    free(s->methods);
    free(s->cells);
    free(s->n_replicas);
    memset(s, 0, sizeof *s);
}

const summary_cell *summary_cell_at(const summary *s, size_t point_pos, size_t metric) {
    return &s->cells[point_pos * s->n_metrics + metric];
}

long summary_metric_find(const summary *s, const char *name) {
    for (size_t m = 0; m < s->n_metrics; m++)
        if (strcmp(s->metrics[m], name) == 0) return (long)m;
    return -1;
}

/* Rows of one point: their seeds and values of one column. */
static size_t gather(const h5in_table *t, const h5in_column *point_col, uint32_t point, const h5in_column *seed_col,
                     const h5in_column *col, uint64_t *seeds, double *values) {
    size_t k = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        double p = point_col ? point_col->values[r] : 0;
        if (p != (double)point) continue;
        if (seeds) seeds[k] = h5in_seed_at(seed_col, r);
        values[k++] = col ? col->values[r] : NAN;
    }
    return k;
}

int summary_build(summary *s, const h5in_table *replicas, const h5in_points *points, const char *const *metrics,
                  size_t n_metrics, uint32_t baseline, double confidence, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->confidence = confidence;
    s->points = points;
    long bpos = h5in_points_find(points, baseline);
    if (bpos < 0) {
        snprintf(err, errlen, "baseline point %u is not in the file (points %u..%u)", (unsigned)baseline,
                 points->n ? (unsigned)points->index[0] : 0u, points->n ? (unsigned)points->index[points->n - 1] : 0u);
        return SUMMARY_EINPUT;
    }
    s->baseline_pos = (size_t)bpos;
    for (size_t m = 0; m < n_metrics; m++) {
        const h5in_column *c = h5in_column_find(replicas, metrics[m]);
        if (!c || c->is_string) {
            snprintf(err, errlen, "no numeric metric '%s' in /replicas", metrics[m]);
            return SUMMARY_EINPUT;
        }
    }
    const h5in_column *pcol = h5in_column_find(replicas, "point");
    const h5in_column *scol = h5in_column_find(replicas, "seed");
    size_t n = replicas->n_rows ? replicas->n_rows : 1;
    s->n_metrics = n_metrics;
    s->metrics = calloc(n_metrics ? n_metrics : 1, sizeof *s->metrics);
    s->units = calloc(n_metrics ? n_metrics : 1, sizeof *s->units);
    s->methods = calloc(n_metrics ? n_metrics : 1, sizeof *s->methods);
    s->cells = calloc((points->n ? points->n : 1) * (n_metrics ? n_metrics : 1), sizeof *s->cells);
    s->n_replicas = calloc(points->n ? points->n : 1, sizeof *s->n_replicas);
    uint64_t *seeds = malloc(n * sizeof *seeds), *bseeds = malloc(n * sizeof *bseeds);
    double *vals = malloc(n * sizeof *vals), *bvals = malloc(n * sizeof *bvals);
    int rc = s->metrics && s->units && s->methods && s->cells && s->n_replicas && seeds && vals && bseeds && bvals
                 ? SUMMARY_OK
                 : SUMMARY_EFAIL;
    for (size_t m = 0; rc == SUMMARY_OK && m < n_metrics; m++) {
        const h5in_column *c = h5in_column_find(replicas, metrics[m]);
        s->metrics[m] = dup_string(metrics[m]);
        s->units[m] = dup_string(c->unit);
        if (!s->metrics[m] || !s->units[m]) {
            rc = SUMMARY_EFAIL;
            break;
        }
        summary_method method = s->methods[m] = summary_metric_method(metrics[m], c->unit);
        size_t nb = gather(replicas, pcol, baseline, scol, c, bseeds, bvals);
        for (size_t p = 0; rc == SUMMARY_OK && p < points->n; p++) {
            summary_cell *cell = &s->cells[p * n_metrics + m];
            size_t k = gather(replicas, pcol, points->index[p], scol, c, seeds, vals);
            s->n_replicas[p] = k;
            rc = summary_stat_compute_method(vals, k, confidence, method, &cell->stat);
            if (rc == SUMMARY_OK && p != s->baseline_pos)
                rc = summary_paired_method(seeds, vals, k, bseeds, bvals, nb, confidence, method, &cell->diff);
            else
                cell->diff = (summary_diff){0, NAN, NAN, NAN};
        }
    }
    free(seeds);
    free(vals);
    free(bseeds);
    free(bvals);
    if (rc != SUMMARY_OK) {
        snprintf(err, errlen, "out of memory summarising");
        summary_free(s);
    }
    return rc;
}

/* ---- printing ------------------------------------------------------------------------ */

static void fmt_num(char *buf, size_t len, double v) {
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.5g", v);
}

static void fmt_interval(char *buf, size_t len, double lo, double hi) {
    if (isnan(lo) || isnan(hi))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "[%.4g, %.4g]", lo, hi);
}

void summary_methods_line(const summary *s, char *buf, size_t len) {
    bool any_boot = false, any_t = false;
    for (size_t m = 0; m < s->n_metrics; m++) {
        if (s->methods && s->methods[m] == SUMMARY_BOOTSTRAP)
            any_boot = true;
        else
            any_t = true;
    }
    int pct = (int)lround(s->confidence * 100);
    char boot[160];
    snprintf(boot, sizeof boot, "bootstrap percentile (B=%d, seed %lu)", SUMMARY_BOOTSTRAP_B,
             (unsigned long)SUMMARY_BOOTSTRAP_SEED);
    if (any_boot && any_t)
        snprintf(buf, len, "%d%% CI: %s for durations, money and counts; t for the others", pct, boot);
    else if (any_boot)
        snprintf(buf, len, "%d%% CI: %s", pct, boot);
    else
        snprintf(buf, len, "%d%% CI: t", pct);
}

void summary_print_table(const summary *s, FILE *out) {
    int pct = (int)lround(s->confidence * 100);
    char ci_head[32], diff_head[64];
    snprintf(ci_head, sizeof ci_head, "%d%% CI", pct);
    snprintf(diff_head, sizeof diff_head, "paired diff vs point %u [%d%% CI]",
             (unsigned)s->points->index[s->baseline_pos], pct);
    size_t name_w = strlen("metric [unit]");
    for (size_t m = 0; m < s->n_metrics; m++) {
        size_t w = strlen(s->metrics[m]) + strlen(s->units[m]) + 3;
        if (w > name_w) name_w = w;
    }
    for (size_t p = 0; p < s->points->n; p++) {
        char label[512];
        summary_point_label(s->points->parameters[p], label, sizeof label);
        fprintf(out, "%spoint %u: %s (%zu replicas)%s\n", p ? "\n" : "", (unsigned)s->points->index[p], label,
                s->n_replicas[p], p == s->baseline_pos && s->points->n > 1 ? " [baseline]" : "");
        fprintf(out, "  %-*s %6s %12s %-26s %12s %12s %12s %-9s  %s\n", (int)name_w, "metric [unit]", "n", "mean",
                ci_head, "median", "p95", "p99", "CI method", s->points->n > 1 ? diff_head : "");
        for (size_t m = 0; m < s->n_metrics; m++) {
            const summary_cell *c = summary_cell_at(s, p, m);
            char name[256], mean[32], ci[64], med[32], p95[32], p99[32], diff[160] = "";
            snprintf(name, sizeof name, "%s [%s]", s->metrics[m], s->units[m][0] ? s->units[m] : "1");
            fmt_num(mean, sizeof mean, c->stat.mean);
            fmt_interval(ci, sizeof ci, c->stat.ci_lo, c->stat.ci_hi);
            fmt_num(med, sizeof med, c->stat.median);
            fmt_num(p95, sizeof p95, c->stat.p95);
            fmt_num(p99, sizeof p99, c->stat.p99);
            if (s->points->n > 1 && p != s->baseline_pos) {
                char dm[32], dci[64];
                fmt_num(dm, sizeof dm, c->diff.mean);
                fmt_interval(dci, sizeof dci, c->diff.ci_lo, c->diff.ci_hi);
                snprintf(diff, sizeof diff, "%s %s (n=%zu)", dm, dci, c->diff.n);
            }
            fprintf(out, "  %-*s %6zu %12s %-26s %12s %12s %12s %-9s  %s\n", (int)name_w, name, c->stat.n, mean, ci,
                    med, p95, p99, summary_method_name(s->methods[m]), diff);
        }
    }
}

static void csv_num(FILE *out, double v) {
    if (isnan(v))
        fputc(',', out);
    else
        fprintf(out, ",%.10g", v);
}

static void csv_quoted(FILE *out, const char *s) {
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void summary_print_csv(const summary *s, FILE *out) {
    fprintf(out, "point,parameters,metric,unit,n,mean,ci_low,ci_high,sd,median,p95,p99,confidence,"
                 "baseline_point,diff_n,diff_mean,diff_ci_low,diff_ci_high,ci_method\n");
    for (size_t p = 0; p < s->points->n; p++)
        for (size_t m = 0; m < s->n_metrics; m++) {
            const summary_cell *c = summary_cell_at(s, p, m);
            fprintf(out, "%u,", (unsigned)s->points->index[p]);
            csv_quoted(out, s->points->parameters[p]);
            fprintf(out, ",%s,%s,%zu", s->metrics[m], s->units[m], c->stat.n);
            csv_num(out, c->stat.mean);
            csv_num(out, c->stat.ci_lo);
            csv_num(out, c->stat.ci_hi);
            csv_num(out, c->stat.sd);
            csv_num(out, c->stat.median);
            csv_num(out, c->stat.p95);
            csv_num(out, c->stat.p99);
            csv_num(out, s->confidence);
            fprintf(out, ",%u,%zu", (unsigned)s->points->index[s->baseline_pos], c->diff.n);
            csv_num(out, c->diff.mean);
            csv_num(out, c->diff.ci_lo);
            csv_num(out, c->diff.ci_hi);
            fprintf(out, ",%s\n", summary_method_name(s->methods[m]));
        }
}

/* ---- parameters ------------------------------------------------------------------------ */

int summary_param_keys(const h5in_points *p, char ***keys, size_t *n) {
    *keys = NULL;
    *n = 0;
    size_t cap = 0;
    for (size_t i = 0; i < p->n; i++) {
        cJSON *root = cJSON_Parse(p->parameters[i]);
        const cJSON *item;
        cJSON_ArrayForEach(item, root) {
            if (!item->string) continue;
            bool seen = false;
            for (size_t k = 0; k < *n && !seen; k++) seen = strcmp((*keys)[k], item->string) == 0;
            if (seen) continue;
            if (*n == cap) {
                cap = cap ? 2 * cap : 4;
                char **grown = realloc(*keys, cap * sizeof *grown);
                if (!grown) {
                    cJSON_Delete(root);
                    return SUMMARY_EFAIL;
                }
                *keys = grown;
            }
            if (!((*keys)[*n] = dup_string(item->string))) {
                cJSON_Delete(root);
                return SUMMARY_EFAIL;
            }
            (*n)++;
        }
        cJSON_Delete(root);
    }
    return SUMMARY_OK;
}

bool summary_param_number(const char *params_json, const char *key, double *out) {
    cJSON *root = cJSON_Parse(params_json);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    bool ok = cJSON_IsNumber(item);
    if (ok) *out = item->valuedouble;
    /* Sweeps may give durations as the scenario does ("15m"): read them in
     * seconds with the scenario parser's own grammar. */
    else if (cJSON_IsString(item))
        ok = cfg_parse_duration(item->valuestring, out);
    cJSON_Delete(root);
    return ok;
}

static void item_text(const cJSON *item, char *buf, size_t len) {
    if (cJSON_IsString(item))
        snprintf(buf, len, "%s", item->valuestring);
    else if (cJSON_IsNumber(item))
        snprintf(buf, len, "%g", item->valuedouble);
    else if (cJSON_IsBool(item))
        snprintf(buf, len, "%s", cJSON_IsTrue(item) ? "true" : "false");
    else {
        char *text = cJSON_PrintUnformatted(item);
        snprintf(buf, len, "%s", text ? text : "?");
        cJSON_free(text);
    }
}

bool summary_param_text(const char *params_json, const char *key, char *buf, size_t len) {
    cJSON *root = cJSON_Parse(params_json);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    if (item) item_text(item, buf, len);
    cJSON_Delete(root);
    return item != NULL;
}

void summary_point_label(const char *params_json, char *buf, size_t len) {
    cJSON *root = cJSON_Parse(params_json);
    size_t used = 0;
    buf[0] = '\0';
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        char value[128];
        item_text(item, value, sizeof value);
        /* A base-file dimension names files: the file name tells them apart. */
        const char *slash = strrchr(value, '/');
        if (item->string && strcmp(item->string, "base") == 0 && slash && slash[1])
            memmove(value, slash + 1, strlen(slash + 1) + 1);
        int w = snprintf(buf + used, len - used, "%s%s=%s", used ? ", " : "", item->string ? item->string : "?", value);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
    cJSON_Delete(root);
    if (!used) snprintf(buf, len, "base configuration");
}

bool summary_json_number(const char *json, const char *path, double *out) {
    cJSON *root = cJSON_Parse(json);
    const cJSON *node = jpath_get(root, path);
    bool ok = cJSON_IsNumber(node);
    if (ok) *out = node->valuedouble;
    cJSON_Delete(root);
    return ok;
}
