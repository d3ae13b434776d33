#include "analysis/plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>
#include <gsl/gsl_sort.h>

#include "analysis/analytic.h"
#include "analysis/summary.h"

/* More curves than this on one CDF panel cannot be told apart. */
#define PLOT_MAX_CDF_CURVES 12
/* A CDF curve is drawn from at most this many steps (evenly spaced ranks):
 * finer than a figure's pixels, and the .dat files stay small. */
#define PLOT_MAX_CDF_STEPS 2000

static const char *const kind_names[PLOT_KIND_COUNT] = {"cdf", "backup", "rto_parts", "capacity", "timeline"};
static const char *const kind_captions[PLOT_KIND_COUNT] = {
    "Empirical CDFs of RTO (incidents with an outage) and RPO (incidents that lost model state), per point.",
    "Mean RPO and backup cost against the incremental backup interval, with the analytic T/2 + delta and the "
    "Young/Daly interval.",
    "Mean RTO split into its parts (detection, fencing, failed attempt, transfer, load, switchover, warm-up, waiting "
    "for the repair), which add up to it, per point.",
    "Availability and lost revenue against the swept capacity parameter.",
    "One replica's incidents over time: fault durations and RTO windows, one row per incident kind.",
};

/* The RTO parts, in the order they happen. */
/* In the order of the failover's stages (docs/metrics.md): they add up to the RTO. */
static const char *const rto_parts[] = {"detection_s", "fencing_s",    "failed_attempt_s", "transfer_s",
                                        "load_s",      "switchover_s", "warmup_s",         "repair_wait_s"};
#define N_RTO_PARTS (sizeof rto_parts / sizeof rto_parts[0])

const char *plot_kind_name(plot_kind k) { return k < PLOT_KIND_COUNT ? kind_names[k] : "?"; }
const char *plot_kind_caption(plot_kind k) { return k < PLOT_KIND_COUNT ? kind_captions[k] : ""; }

int plot_kind_parse(const char *name) {
    for (int k = 0; k < PLOT_KIND_COUNT; k++)
        if (strcmp(kind_names[k], name) == 0) return k;
    return -1;
}

/* ---- what the file holds ---------------------------------------------------------- */

static size_t count_finite(const h5in_table *t, const char *col, bool positive_only) {
    const h5in_column *c = t ? h5in_column_find(t, col) : NULL;
    size_t k = 0;
    for (size_t i = 0; c && !c->is_string && i < t->n_rows; i++)
        if (isfinite(c->values[i]) && (!positive_only || c->values[i] > 0)) k++;
    return k;
}

/* Distinct numeric values of a parameter over the points. */
static size_t param_distinct(const h5in_points *p, const char *key) {
    double *v = malloc((p->n ? p->n : 1) * sizeof *v);
    size_t k = 0, distinct = 0;
    for (size_t i = 0; v && i < p->n; i++)
        if (summary_param_number(p->parameters[i], key, &v[k])) k++;
    if (v) gsl_sort(v, 1, k);
    for (size_t i = 0; v && i < k; i++)
        if (i == 0 || v[i] != v[i - 1]) distinct++;
    free(v);
    return distinct;
}

bool plot_capacity_param(const h5in_points *p, char *name, size_t len) {
    char **keys;
    size_t n;
    if (summary_param_keys(p, &keys, &n) != SUMMARY_OK) return false;
    long pick = -1;
    for (size_t i = 0; i < n && pick < 0; i++)
        if ((strstr(keys[i], "standby") || strstr(keys[i], "servers") || strstr(keys[i], "capacity")) &&
            param_distinct(p, keys[i]) >= 2)
            pick = (long)i;
    for (size_t i = 0; i < n && pick < 0; i++)
        if (param_distinct(p, keys[i]) >= 2) pick = (long)i;
    if (pick >= 0) snprintf(name, len, "%s", keys[pick]);
    for (size_t i = 0; i < n; i++) free(keys[i]);
    free(keys);
    return pick >= 0;
}

bool plot_supported(const plot_data *d, plot_kind k, char *why, size_t len) {
    char param[256];
    switch (k) {
    case PLOT_CDF:
        if (count_finite(d->incidents, "rto_s", false) > 0) return true;
        snprintf(why, len, "no incident with an outage (finite rto_s) in /incidents");
        return false;
    case PLOT_BACKUP:
        if (param_distinct(d->points, PLOT_BACKUP_PARAM) >= 2) return true;
        snprintf(why, len, "needs a sweep of %s (two or more values in /points)", PLOT_BACKUP_PARAM);
        return false;
    case PLOT_RTO_PARTS:
        if (count_finite(d->incidents, "rto_s", false) > 0) return true;
        snprintf(why, len, "no incident with an outage to split into RTO parts");
        return false;
    case PLOT_CAPACITY:
        if (plot_capacity_param(d->points, param, sizeof param)) return true;
        snprintf(why, len, "needs a numeric swept parameter (two or more values in /points)");
        return false;
    case PLOT_TIMELINE:
        if (d->incidents && d->incidents->n_rows > 0) return true;
        snprintf(why, len, "no incidents in the file");
        return false;
    case PLOT_KIND_COUNT: break;
    }
    snprintf(why, len, "unknown kind");
    return false;
}

/* ---- running gnuplot ------------------------------------------------------------- */

int plot_find_gnuplot(const char *path_env, char *out, size_t len) {
    if (!path_env || !*path_env) path_env = "/usr/local/bin:/usr/bin:/bin";
    const char *p = path_env;
    while (*p) {
        size_t n = strcspn(p, ":");
        snprintf(out, len, "%.*s/gnuplot", (int)n, n ? p : ".");
        if (access(out, X_OK) == 0) return 0;
        p += n;
        if (*p == ':') p++;
    }
    out[0] = '\0';
    return -1;
}

static bool has_scripts(const char *dir) {
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/plot_cdf.gp", dir);
    return access(probe, R_OK) == 0;
}

int plot_find_scripts(const char *env_dir, const char *exe_path, char *out, size_t len, char *err, size_t errlen) {
    if (env_dir && *env_dir) {
        snprintf(out, len, "%s", env_dir);
        if (has_scripts(out)) return 0;
        snprintf(err, errlen, "FIREDRILL_ANALYSIS_DIR=%s holds no plot_cdf.gp", env_dir);
        return -1;
    }
    char tried[1024] = "";
    if (exe_path && *exe_path) {
        const char *slash = strrchr(exe_path, '/');
        int dir_len = slash ? (int)(slash - exe_path) : 1;
        snprintf(out, len, "%.*s/../analysis", dir_len, slash ? exe_path : ".");
        if (has_scripts(out)) {
            char *canonical = realpath(out, NULL); /* build/../analysis reads better in messages */
            if (canonical) snprintf(out, len, "%s", canonical);
            free(canonical);
            return 0;
        }
        snprintf(tried, sizeof tried, "%s, ", out);
    }
    snprintf(out, len, "analysis");
    if (has_scripts(out)) return 0;
    snprintf(err, errlen, "gnuplot scripts (plot_cdf.gp) not found in %s./analysis; set FIREDRILL_ANALYSIS_DIR", tried);
    return -1;
}

/* Appends `name='value'` to a -e definition list, doubling single quotes
 * (gnuplot's escape inside single-quoted strings). */
static void def_str(char *buf, size_t len, const char *name, const char *value) {
    size_t used = strlen(buf);
    int w = snprintf(buf + used, len - used, "%s='", name);
    if (w < 0 || (size_t)w >= len - used) return;
    used += (size_t)w;
    for (const char *s = value; *s && used + 3 < len; s++) {
        if (*s == '\'') buf[used++] = '\'';
        buf[used++] = *s;
    }
    if (used + 3 < len) {
        buf[used++] = '\'';
        buf[used++] = ';';
    }
    buf[used] = '\0';
}

static void def_num(char *buf, size_t len, const char *name, double value) {
    size_t used = strlen(buf);
    /* gnuplot has NaN only as an expression. */
    if (isfinite(value))
        snprintf(buf + used, len - used, "%s=%.17g;", name, value);
    else
        snprintf(buf + used, len - used, "%s=NaN;", name);
}

static int run_gnuplot(const plot_options *o, const char *script, const char *defs, char *err, size_t errlen) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", o->script_dir, script);
    /* Flush our buffers so the child does not write them out a second time. */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        return PLOT_EFAIL;
    }
    if (pid == 0) {
        char *const argv[] = {(char *)"gnuplot", (char *)"-e", (char *)defs, path, NULL};
        execv(o->gnuplot, argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "waiting for gnuplot: %s", strerror(errno));
            return PLOT_EFAIL;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "gnuplot %s failed (%s %d)", path, WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return PLOT_EFAIL;
    }
    return PLOT_OK;
}

/* Runs the kind's script for PNG and PDF; defs holds the kind's variables. */
static int render(const plot_options *o, plot_kind k, const char *defs, char *png, size_t png_len, char *err,
                  size_t errlen) {
    static const char *const terms[] = {"pngcairo", "pdfcairo"}, *const exts[] = {"png", "pdf"};
    char script[64];
    snprintf(script, sizeof script, "plot_%s.gp", kind_names[k]);
    for (int t = 0; t < 2; t++) {
        char out[4200], all[16384];
        snprintf(out, sizeof out, "%s/%s.%s", o->out_dir, kind_names[k], exts[t]);
        snprintf(all, sizeof all, "%s", defs);
        def_str(all, sizeof all, "term", terms[t]);
        def_str(all, sizeof all, "out", out);
        int rc = run_gnuplot(o, script, all, err, errlen);
        if (rc != PLOT_OK) {
            remove(out); /* no empty or half-drawn figure left behind */
            return rc;
        }
        if (t == 0) snprintf(png, png_len, "%s", out);
    }
    return PLOT_OK;
}

static FILE *open_dat(const plot_options *o, const char *name, char *path, size_t len, char *err, size_t errlen) {
    snprintf(path, len, "%s/%s", o->out_dir, name);
    FILE *f = fopen(path, "w");
    if (!f) snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

static int close_dat(FILE *f, const char *path, char *err, size_t errlen) {
    if (ferror(f) | (fclose(f) != 0)) {
        snprintf(err, errlen, "%s: write failed", path);
        return PLOT_EFAIL;
    }
    return PLOT_OK;
}

/* A label for point position i, safe inside a gnuplot double-quoted header. */
static void point_label(const h5in_points *p, size_t i, char *buf, size_t len) {
    char params[256];
    summary_point_label(p->parameters[i], params, sizeof params);
    snprintf(buf, len, "point %u: %s", (unsigned)p->index[i], params);
    for (char *s = buf; *s; s++)
        if (*s == '"' || *s == '\\') *s = '\'';
}

/* Values of column `col` in incidents of one point, finite (and > 0 when asked). */
static size_t incident_values(const h5in_table *inc, uint32_t point, const char *col, bool positive_only, double *out) {
    const h5in_column *pc = h5in_column_find(inc, "point"), *c = h5in_column_find(inc, col);
    size_t k = 0;
    for (size_t r = 0; c && r < inc->n_rows; r++) {
        if ((pc ? pc->values[r] : 0) != (double)point) continue;
        double v = c->values[r];
        if (isfinite(v) && (!positive_only || v > 0)) out[k++] = v;
    }
    return k;
}

/* ---- cdf ----------------------------------------------------------------------------- */

/* Writes one block per point (two blank lines apart, a header line with
 * the label first) of the empirical CDF; returns the blocks written. */
static int write_cdf(const plot_data *d, const char *col, bool positive_only, FILE *f, size_t *blocks) {
    size_t n = d->incidents->n_rows;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return PLOT_EFAIL;
    *blocks = 0;
    size_t np = d->points->n,
           stride = np > PLOT_MAX_CDF_CURVES ? (np + PLOT_MAX_CDF_CURVES - 1) / PLOT_MAX_CDF_CURVES : 1;
    for (size_t i = 0; i < np; i += stride) {
        size_t k = incident_values(d->incidents, d->points->index[i], col, positive_only, v);
        if (!k) continue;
        gsl_sort(v, 1, k);
        char label[300];
        point_label(d->points, i, label, sizeof label);
        fprintf(f, "%s\"%s\" \"fraction\"\n", *blocks ? "\n\n" : "", label);
        size_t step = k > PLOT_MAX_CDF_STEPS ? k / PLOT_MAX_CDF_STEPS : 1;
        for (size_t j = 0; j < k; j += step) fprintf(f, "%.10g %.10g\n", v[j], (double)(j + 1) / (double)k);
        if ((k - 1) % step) fprintf(f, "%.10g 1\n", v[k - 1]);
        (*blocks)++;
    }
    free(v);
    return PLOT_OK;
}

static int plot_cdf(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err, size_t errlen) {
    char rto_path[4200], rpo_path[4200];
    size_t n_rto = 0, n_rpo = 0;
    FILE *f = open_dat(o, "cdf_rto.dat", rto_path, sizeof rto_path, err, errlen);
    if (!f) return PLOT_EFAIL;
    int rc = write_cdf(d, "rto_s", false, f, &n_rto);
    if (close_dat(f, rto_path, err, errlen) != PLOT_OK || rc != PLOT_OK) return PLOT_EFAIL;
    if (!(f = open_dat(o, "cdf_rpo.dat", rpo_path, sizeof rpo_path, err, errlen))) return PLOT_EFAIL;
    rc = write_cdf(d, "rpo_s", true, f, &n_rpo);
    if (close_dat(f, rpo_path, err, errlen) != PLOT_OK || rc != PLOT_OK) return PLOT_EFAIL;
    char defs[8192] = "", title[512];
    snprintf(title, sizeof title, "%s: RTO and RPO per incident%s", d->scenario_name,
             d->points->n > PLOT_MAX_CDF_CURVES ? " (a subset of the points)" : "");
    def_str(defs, sizeof defs, "rto", rto_path);
    def_str(defs, sizeof defs, "rpo", rpo_path);
    def_num(defs, sizeof defs, "nrto", (double)n_rto);
    def_num(defs, sizeof defs, "nrpo", (double)n_rpo);
    def_str(defs, sizeof defs, "ttl", title);
    return render(o, PLOT_CDF, defs, png, png_len, err, errlen);
}

/* ---- backup -------------------------------------------------------------------------- */

/* Duration of an incremental backup taken every T seconds, as the world
 * models it: the rows dirtied in T (each update touches a share of rows)
 * over the backup link, plus verification. NaN when the scenario lacks
 * the keys. */
static double incremental_duration_s(const char *resolved, double period_s) {
    double logical, updates, frac, bw, verify_s = 0;
    if (!resolved || !summary_json_number(resolved, "model.logical_bytes", &logical) ||
        !summary_json_number(resolved, "model.updates_per_s", &updates) ||
        !summary_json_number(resolved, "backup.bandwidth_bps", &bw) || bw <= 0)
        return NAN;
    if (!summary_json_number(resolved, "model.rows_touched_per_update_fraction", &frac)) frac = 0;
    cJSON *root = cJSON_Parse(resolved);
    const cJSON *verify = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "backup"), "verify");
    bool verifies = cJSON_IsTrue(verify);
    cJSON_Delete(root);
    if (verifies && !summary_json_number(resolved, "backup.verify_s", &verify_s)) verify_s = 0;
    double dirty = 1 - exp(-updates * frac * period_s);
    return logical * dirty / bw + verify_s;
}

/* Shortens "a.b.key=v, c.d=w" (summary_point_label) to "key=v, d=w": on
 * axes and in keys the last component of each path tells points apart. */
static void short_labels(char *label) {
    char *out = label;
    for (const char *seg = label; *seg;) {
        const char *end = strstr(seg, ", "), *eq = strchr(seg, '=');
        if (!end) end = seg + strlen(seg);
        const char *from = seg;
        if (eq && eq < end)
            for (const char *c = seg; c < eq; c++)
                if (*c == '.') from = c + 1;
        size_t n = (size_t)(end - from);
        memmove(out, from, n);
        out += n;
        if (!*end) break;
        memmove(out, ", ", 2);
        out += 2;
        seg = end + 2;
    }
    *out = '\0';
}

/* Starts a data block of one curve (gnuplot's `index i`, title from
 * columnheader(1)): blank lines before all but the first, then the label. */
static void group_header(FILE *f, const char *group, size_t index, const char *columns) {
    char label[300];
    snprintf(label, sizeof label, "%s", group[0] ? group : "simulated");
    for (char *s = label; *s; s++)
        if (*s == '"') *s = '\'';
    fprintf(f, "%s\"%s\" %s\n", index ? "\n\n" : "", label, columns);
}

typedef struct backup_row {
    double period_s;
    char group[256]; /* the other parameters: one curve per distinct value */
    summary_stat rpo, cost;
} backup_row;

static int cmp_backup_row(const void *a, const void *b) {
    const backup_row *x = a, *y = b;
    int g = strcmp(x->group, y->group);
    if (g) return g;
    return x->period_s < y->period_s ? -1 : x->period_s > y->period_s;
}

static void other_params(const char *json, const char *key, char *buf, size_t len);

/* Mean time between incidents that lost state, over every replica of the
 * file: the M of Young/Daly (disasters do not depend on the backup policy,
 * so every point estimates the same rate). */
static double state_loss_mtbf_s(const plot_data *d) {
    double total = 0;
    const h5in_column *h = h5in_column_find(d->replicas, "horizon_s");
    for (size_t i = 0; h && i < d->replicas->n_rows; i++)
        if (isfinite(h->values[i])) total += h->values[i];
    size_t losses = count_finite(d->incidents, "rpo_s", true);
    return losses ? total / (double)losses : NAN;
}

static int plot_backup(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err, size_t errlen) {
    const h5in_points *p = d->points;
    const h5in_column *pc = h5in_column_find(d->replicas, "point");
    const h5in_column *rpo = h5in_column_find(d->replicas, "rpo_mean_s");
    const h5in_column *cost = h5in_column_find(d->replicas, "backup_cost");
    if (!rpo || !cost) {
        snprintf(err, errlen, "/replicas lacks rpo_mean_s or backup_cost");
        return PLOT_EINPUT;
    }
    size_t n = d->replicas->n_rows;
    backup_row *rows = calloc(p->n ? p->n : 1, sizeof *rows);
    double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
    int rc = rows && a && b ? PLOT_OK : PLOT_EFAIL;
    size_t nr = 0;
    for (size_t i = 0; rc == PLOT_OK && i < p->n; i++) {
        double period;
        if (!summary_param_number(p->parameters[i], PLOT_BACKUP_PARAM, &period)) continue;
        size_t k = 0;
        for (size_t r = 0; r < n; r++)
            if ((pc ? pc->values[r] : 0) == (double)p->index[i]) {
                a[k] = rpo->values[r];
                b[k++] = cost->values[r];
            }
        rows[nr].period_s = period;
        other_params(p->parameters[i], PLOT_BACKUP_PARAM, rows[nr].group, sizeof rows[nr].group);
        short_labels(rows[nr].group);
        if (summary_stat_compute(a, k, o->confidence, &rows[nr].rpo) != SUMMARY_OK ||
            summary_stat_compute(b, k, o->confidence, &rows[nr].cost) != SUMMARY_OK)
            rc = PLOT_EFAIL;
        nr++;
    }
    free(a);
    free(b);
    char sim_path[4200], ana_path[4200];
    FILE *f = rc == PLOT_OK ? open_dat(o, "backup.dat", sim_path, sizeof sim_path, err, errlen) : NULL;
    if (rc == PLOT_OK && !f) rc = PLOT_EFAIL;
    size_t groups = 0;
    double lo = INFINITY, hi = -INFINITY;
    if (f) {
        /* One block per combination of the other swept parameters, its
         * label first: a curve each. */
        qsort(rows, nr, sizeof *rows, cmp_backup_row);
        for (size_t i = 0; i < nr; i++) {
            if (i == 0 || strcmp(rows[i].group, rows[i - 1].group) != 0)
                group_header(f, rows[i].group, groups++,
                             "rpo_mean_s rpo_ci_lo rpo_ci_hi cost_mean cost_ci_lo cost_ci_hi n");
            fprintf(f, "%.10g %.10g %.10g %.10g %.10g %.10g %.10g %zu\n", rows[i].period_s, rows[i].rpo.mean,
                    rows[i].rpo.ci_lo, rows[i].rpo.ci_hi, rows[i].cost.mean, rows[i].cost.ci_lo, rows[i].cost.ci_hi,
                    rows[i].rpo.n);
            if (rows[i].period_s < lo) lo = rows[i].period_s;
            if (rows[i].period_s > hi) hi = rows[i].period_s;
        }
        rc = close_dat(f, sim_path, err, errlen);
    }
    if (!nr) lo = hi = 1;
    free(rows);
    if (rc != PLOT_OK) {
        if (!err[0]) snprintf(err, errlen, "out of memory");
        return rc;
    }
    /* The analytic curve over the swept range, log-spaced. */
    if (!(f = open_dat(o, "backup_analytic.dat", ana_path, sizeof ana_path, err, errlen))) return PLOT_EFAIL;
    fprintf(f, "# period_s rpo_analytic_s (T/2 + delta(T)) delta_s\n");
    bool have_delta = isfinite(incremental_duration_s(d->scenario_resolved, lo));
    for (int i = 0; have_delta && i <= 200 && lo > 0; i++) {
        double t = lo * pow(hi / lo, i / 200.0), delta = incremental_duration_s(d->scenario_resolved, t);
        fprintf(f, "%.10g %.10g %.10g\n", t, ana_rpo_mean_s(t, delta), delta);
    }
    if (!have_delta) fprintf(f, "%.10g NaN NaN\n", lo);
    if (close_dat(f, ana_path, err, errlen) != PLOT_OK) return PLOT_EFAIL;
    /* Young/Daly: delta is the backup duration at the base interval of the
     * scenario (fallback: the middle of the sweep), M from the file. */
    double base_period;
    if (!d->scenario_resolved || !summary_json_number(d->scenario_resolved, PLOT_BACKUP_PARAM, &base_period))
        base_period = sqrt(lo * hi);
    double delta = incremental_duration_s(d->scenario_resolved, base_period), mtbf = state_loss_mtbf_s(d);
    double young = isfinite(delta) && isfinite(mtbf) ? ana_young_interval_s(delta, mtbf) : NAN;
    double daly = isfinite(delta) && isfinite(mtbf) ? ana_daly_interval_s(delta, mtbf) : NAN;
    char defs[8192] = "", title[512];
    snprintf(title, sizeof title, "%s: RPO and backup cost against the incremental backup interval", d->scenario_name);
    def_str(defs, sizeof defs, "sim", sim_path);
    def_num(defs, sizeof defs, "ngroups", (double)groups);
    def_str(defs, sizeof defs, "ana", ana_path);
    def_num(defs, sizeof defs, "young", young);
    def_num(defs, sizeof defs, "daly", daly);
    def_num(defs, sizeof defs, "delta", delta);
    def_num(defs, sizeof defs, "mtbf_h", mtbf / 3600);
    def_num(defs, sizeof defs, "conf", o->confidence * 100);
    def_str(defs, sizeof defs, "ttl", title);
    return render(o, PLOT_BACKUP, defs, png, png_len, err, errlen);
}

/* ---- rto parts --------------------------------------------------------------------- */

static int plot_rto_parts(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err,
                          size_t errlen) {
    const h5in_table *inc = d->incidents;
    const h5in_column *pc = h5in_column_find(inc, "point"), *rto = h5in_column_find(inc, "rto_s");
    const h5in_column *parts[N_RTO_PARTS];
    for (size_t j = 0; j < N_RTO_PARTS; j++) parts[j] = h5in_column_find(inc, rto_parts[j]);
    char path[4200];
    FILE *f = open_dat(o, "rto_parts.dat", path, sizeof path, err, errlen);
    if (!f) return PLOT_EFAIL;
    fprintf(f, "label detection fencing failed-attempt transfer load switchover warm-up repair-wait rto position n\n");
    size_t pos = 0;
    for (size_t i = 0; i < d->points->n; i++) {
        double sum[N_RTO_PARTS] = {0}, rto_sum = 0;
        size_t k = 0;
        for (size_t r = 0; r < inc->n_rows; r++) {
            if ((pc ? pc->values[r] : 0) != (double)d->points->index[i] || !isfinite(rto->values[r])) continue;
            /* A part that did not happen (NaN) takes no time. */
            for (size_t j = 0; j < N_RTO_PARTS; j++)
                if (parts[j] && isfinite(parts[j]->values[r])) sum[j] += parts[j]->values[r];
            rto_sum += rto->values[r];
            k++;
        }
        if (!k) continue;
        char label[300], params[256];
        summary_point_label(d->points->parameters[i], params, sizeof params);
        short_labels(params);
        snprintf(label, sizeof label, "%u: %s", (unsigned)d->points->index[i],
                 d->points->n > 1 ? params : d->scenario_name);
        for (char *s = label; *s; s++)
            if (*s == '"') *s = '\'';
        fprintf(f, "\"%s\"", label);
        for (size_t j = 0; j < N_RTO_PARTS; j++) fprintf(f, " %.10g", sum[j] / (double)k);
        fprintf(f, " %.10g %zu %zu\n", rto_sum / (double)k, pos++, k);
    }
    if (close_dat(f, path, err, errlen) != PLOT_OK) return PLOT_EFAIL;
    char defs[8192] = "", title[512];
    snprintf(title, sizeof title, "%s: mean RTO by part (incidents with an outage)", d->scenario_name);
    def_str(defs, sizeof defs, "dat", path);
    def_num(defs, sizeof defs, "nbars", (double)pos);
    def_str(defs, sizeof defs, "ttl", title);
    return render(o, PLOT_RTO_PARTS, defs, png, png_len, err, errlen);
}

/* ---- capacity ---------------------------------------------------------------------- */

typedef struct capacity_row {
    double x;
    char group[256]; /* the other parameters: one curve per distinct value */
    summary_stat avail_time, avail_req, revenue;
} capacity_row;

static int cmp_capacity_row(const void *a, const void *b) {
    const capacity_row *x = a, *y = b;
    int g = strcmp(x->group, y->group);
    if (g) return g;
    return x->x < y->x ? -1 : x->x > y->x;
}

/* The parameters without `key`, as a label; "" when nothing else varies. */
static void other_params(const char *json, const char *key, char *buf, size_t len) {
    cJSON *root = cJSON_Parse(json);
    cJSON_DeleteItemFromObjectCaseSensitive(root, key);
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    if (text && strcmp(text, "{}") != 0)
        summary_point_label(text, buf, len);
    else
        buf[0] = '\0';
    cJSON_free(text);
    cJSON_Delete(root);
}

static int plot_capacity(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err,
                         size_t errlen) {
    char param[256];
    if (!plot_capacity_param(d->points, param, sizeof param)) {
        snprintf(err, errlen, "no numeric swept parameter");
        return PLOT_EINPUT;
    }
    static const char *const cols[] = {"availability_time", "availability_requests", "lost_revenue"};
    const h5in_column *c[3], *pc = h5in_column_find(d->replicas, "point");
    for (int j = 0; j < 3; j++)
        if (!(c[j] = h5in_column_find(d->replicas, cols[j]))) {
            snprintf(err, errlen, "/replicas lacks %s", cols[j]);
            return PLOT_EINPUT;
        }
    size_t n = d->replicas->n_rows, np = d->points->n, nr = 0;
    capacity_row *rows = calloc(np ? np : 1, sizeof *rows);
    double *v = malloc((n ? n : 1) * sizeof *v);
    int rc = rows && v ? PLOT_OK : PLOT_EFAIL;
    for (size_t i = 0; rc == PLOT_OK && i < np; i++) {
        capacity_row *row = &rows[nr];
        if (!summary_param_number(d->points->parameters[i], param, &row->x)) continue;
        other_params(d->points->parameters[i], param, row->group, sizeof row->group);
        summary_stat *st[3] = {&row->avail_time, &row->avail_req, &row->revenue};
        for (int j = 0; j < 3 && rc == PLOT_OK; j++) {
            size_t k = 0;
            for (size_t r = 0; r < n; r++)
                if ((pc ? pc->values[r] : 0) == (double)d->points->index[i]) v[k++] = c[j]->values[r];
            if (summary_stat_compute(v, k, o->confidence, st[j]) != SUMMARY_OK) rc = PLOT_EFAIL;
        }
        nr++;
    }
    free(v);
    char path[4200];
    FILE *f = rc == PLOT_OK ? open_dat(o, "capacity.dat", path, sizeof path, err, errlen) : NULL;
    if (rc == PLOT_OK && !f) rc = PLOT_EFAIL;
    size_t groups = 0;
    if (f) {
        qsort(rows, nr, sizeof *rows, cmp_capacity_row);
        for (size_t i = 0; i < nr; i++) {
            if (i == 0 || strcmp(rows[i].group, rows[i - 1].group) != 0)
                group_header(f, rows[i].group, groups++, "avail_time lo hi avail_req lo hi lost_revenue lo hi n");
            const capacity_row *r = &rows[i];
            fprintf(f, "%.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g %zu\n", r->x, r->avail_time.mean,
                    r->avail_time.ci_lo, r->avail_time.ci_hi, r->avail_req.mean, r->avail_req.ci_lo, r->avail_req.ci_hi,
                    r->revenue.mean, r->revenue.ci_lo, r->revenue.ci_hi, r->avail_time.n);
        }
        rc = close_dat(f, path, err, errlen);
    }
    free(rows);
    if (rc != PLOT_OK) {
        if (!err[0]) snprintf(err, errlen, "out of memory");
        return rc;
    }
    char defs[8192] = "", title[512];
    snprintf(title, sizeof title, "%s: availability and lost revenue against %s", d->scenario_name, param);
    def_str(defs, sizeof defs, "dat", path);
    def_str(defs, sizeof defs, "xname", param);
    def_num(defs, sizeof defs, "ngroups", (double)groups);
    def_num(defs, sizeof defs, "conf", o->confidence * 100);
    def_str(defs, sizeof defs, "ttl", title);
    return render(o, PLOT_CAPACITY, defs, png, png_len, err, errlen);
}

/* ---- timeline ---------------------------------------------------------------------- */

/* Writes timeline_series.dat from /timeline/<seed> when the file has it
 * (only `firedrill run --trace` files, point 0): 1 written, 0 absent, -1 error. */
static int write_series(const plot_data *d, double seed, uint32_t point, char *path, size_t path_len,
                        const plot_options *o, char *err, size_t errlen) {
    char name[64];
    snprintf(name, sizeof name, "/timeline/%.0f", seed);
    if (!d->file || point != 0 || !h5in_exists(d->file, name)) return 0;
    h5in_table t;
    if (h5in_table_read(d->file, name, &t, err, errlen) != 0) return -1;
    const h5in_column *tc = h5in_column_find(&t, "time_s"), *oc = h5in_column_find(&t, "offered_qps");
    const h5in_column *cc = h5in_column_find(&t, "capacity_qps"), *pc = h5in_column_find(&t, "p99_s");
    const h5in_column *fc = h5in_column_find(&t, "failed_fraction");
    /* absent from files written before model versions were recorded */
    const h5in_column *vc = h5in_column_find(&t, "model_version"), *bc = h5in_column_find(&t, "model_bad");
    int rc = 0;
    if (tc && oc && cc && pc && fc) {
        FILE *f = open_dat(o, "timeline_series.dat", path, path_len, err, errlen);
        if (!f)
            rc = -1;
        else {
            fprintf(f, "# time_d offered_qps capacity_qps p99_s failed_fraction model_version model_bad\n");
            for (size_t r = 0; r < t.n_rows; r++)
                fprintf(f, "%.10g %.10g %.10g %.10g %.10g %.10g %.10g\n", tc->values[r] / 86400, oc->values[r],
                        cc->values[r], pc->values[r], fc->values[r], vc ? vc->values[r] : 0, bc ? bc->values[r] : 0);
            rc = close_dat(f, path, err, errlen) == PLOT_OK ? 1 : -1;
        }
    }
    h5in_table_free(&t);
    return rc;
}

static int plot_timeline(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err,
                         size_t errlen) {
    const h5in_table *inc = d->incidents;
    const h5in_column *pc = h5in_column_find(inc, "point"), *sc = h5in_column_find(inc, "seed");
    const h5in_column *kc = h5in_column_find(inc, "kind"), *on = h5in_column_find(inc, "onset_s");
    const h5in_column *du = h5in_column_find(inc, "duration_s"), *rto = h5in_column_find(inc, "rto_s");
    const h5in_column *fa = h5in_column_find(inc, "false_alarm");
    const h5in_column *rs = h5in_column_find(d->replicas, "seed"), *rp = h5in_column_find(d->replicas, "point");
    if (!sc || !kc || !on || !du || !rto || !rs) {
        snprintf(err, errlen, "/incidents or /replicas lacks seed, kind, onset_s, duration_s or rto_s");
        return PLOT_EINPUT;
    }
    /* The replica: the chosen seed (default: the first row of the first
     * point), at the lowest point that ran it. */
    uint32_t first_point = d->points->n ? d->points->index[0] : 0, point = 0;
    double seed = NAN, horizon = NAN;
    const h5in_column *hc = h5in_column_find(d->replicas, "horizon_s");
    for (size_t r = 0; r < d->replicas->n_rows; r++) {
        double rpoint = rp ? rp->values[r] : 0;
        bool wanted = o->have_seed ? rs->values[r] == (double)o->seed : rpoint == (double)first_point;
        if (!wanted || (isfinite(seed) && rpoint >= (double)point)) continue;
        seed = rs->values[r];
        point = (uint32_t)rpoint;
        horizon = hc ? hc->values[r] : NAN;
    }
    if (!isfinite(seed)) {
        if (o->have_seed)
            snprintf(err, errlen, "seed %llu is not in /replicas", (unsigned long long)o->seed);
        else
            snprintf(err, errlen, "no replica in /replicas");
        return PLOT_EINPUT;
    }
    /* One row per incident kind, in order of first appearance. */
    char kinds[32][64];
    size_t n_kinds = 0, n_rows = 0;
    char path[4200];
    FILE *f = open_dat(o, "timeline.dat", path, sizeof path, err, errlen);
    if (!f) return PLOT_EFAIL;
    fprintf(f, "# row onset_d fault_end_d rto_end_d false_alarm kind rto_label\n");
    for (size_t r = 0; r < inc->n_rows; r++) {
        if (sc->values[r] != seed || (pc ? pc->values[r] : 0) != (double)point) continue;
        const char *kind = h5in_string_at(kc, r);
        size_t row = 0;
        while (row < n_kinds && strcmp(kinds[row], kind) != 0) row++;
        if (row == n_kinds && n_kinds < 32) snprintf(kinds[n_kinds++], sizeof kinds[0], "%s", kind);
        double onset = on->values[r] / 86400, dur = isfinite(du->values[r]) ? du->values[r] / 86400 : 0;
        double rend = isfinite(rto->values[r]) ? onset + rto->values[r] / 86400 : NAN;
        fprintf(f, "%zu %.10g %.10g ", row, onset, onset + dur);
        if (isfinite(rend))
            fprintf(f, "%.10g", rend);
        else
            fputs("NaN", f);
        /* RTO windows are minutes on a month-long axis: a label says how long. */
        char rto_label[32] = "";
        double secs = rto->values[r];
        if (isfinite(secs))
            snprintf(rto_label, sizeof rto_label,
                     secs >= 3600 ? "%.1fh"
                     : secs >= 60 ? "%.0fm"
                                  : "%.0fs",
                     secs >= 3600 ? secs / 3600
                     : secs >= 60 ? secs / 60
                                  : secs);
        fprintf(f, " %d \"%s\" \"%s\"\n", fa && fa->values[r] > 0, kind, rto_label);
        n_rows++;
    }
    if (close_dat(f, path, err, errlen) != PLOT_OK) return PLOT_EFAIL;
    if (!n_rows) {
        snprintf(err, errlen, "seed %.0f (point %u) had no incidents", seed, (unsigned)point);
        return PLOT_EINPUT;
    }
    /* With a traced run, the serving side over time: offered load and
     * capacity, p99 latency and the failed share, per accounting segment. */
    char series_path[4200] = "";
    int have_series = write_series(d, seed, point, series_path, sizeof series_path, o, err, errlen);
    if (have_series < 0) return PLOT_EFAIL;
    char ytics[2048] = "(";
    for (size_t i = 0; i < n_kinds; i++) {
        size_t used = strlen(ytics);
        snprintf(ytics + used, sizeof ytics - used, "%s\"%s\" %zu", i ? ", " : "", kinds[i], i);
    }
    strncat(ytics, ")", sizeof ytics - strlen(ytics) - 1);
    char defs[8192] = "", title[512];
    snprintf(title, sizeof title, "%s, seed %.0f, point %u: incidents and RTO windows%s", d->scenario_name, seed,
             (unsigned)point, have_series ? "" : " (run with --trace for traffic, capacity and latency)");
    def_str(defs, sizeof defs, "series", have_series ? series_path : "");
    def_str(defs, sizeof defs, "dat", path);
    def_str(defs, sizeof defs, "kinds", ytics);
    def_num(defs, sizeof defs, "nkinds", (double)n_kinds);
    def_num(defs, sizeof defs, "horizon_d", horizon / 86400);
    def_str(defs, sizeof defs, "ttl", title);
    return render(o, PLOT_TIMELINE, defs, png, png_len, err, errlen);
}

int plot_make(const plot_data *d, const plot_options *o, plot_kind k, char *png, size_t png_len, char *err,
              size_t errlen) {
    if (errlen) err[0] = '\0';
    png[0] = '\0';
    char why[256];
    if (!plot_supported(d, k, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", plot_kind_name(k), why);
        return PLOT_EINPUT;
    }
    switch (k) {
    case PLOT_CDF: return plot_cdf(d, o, png, png_len, err, errlen);
    case PLOT_BACKUP: return plot_backup(d, o, png, png_len, err, errlen);
    case PLOT_RTO_PARTS: return plot_rto_parts(d, o, png, png_len, err, errlen);
    case PLOT_CAPACITY: return plot_capacity(d, o, png, png_len, err, errlen);
    case PLOT_TIMELINE: return plot_timeline(d, o, png, png_len, err, errlen);
    case PLOT_KIND_COUNT: break;
    }
    snprintf(err, errlen, "unknown plot kind");
    return PLOT_EINPUT;
}
