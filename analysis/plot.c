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
#include "analysis/plot_money.h"
#include "analysis/summary.h"

/* More curves than this on one CDF panel cannot be told apart. */
#define PLOT_MAX_CDF_CURVES 12
/* A CDF curve is drawn from at most this many steps (evenly spaced ranks):
 * finer than a figure's pixels, and the .dat files stay small. */
#define PLOT_MAX_CDF_STEPS 2000

static const char *const kind_names[PLOT_KIND_COUNT] = {"cdf",  "backup",   "rto_parts", "capacity", "timeline",
                                                        "cost", "frontier", "losses",    "bounds",   "heatmap"};
static const char *const kind_captions[PLOT_KIND_COUNT] = {
    "Empirical CDFs of RTO (incidents with an outage) and RPO (incidents that lost model state), per point.",
    "Mean RPO and backup cost against the incremental backup interval, with the analytic T/2 + delta and the "
    "Young/Daly interval.",
    "Mean RTO split into its parts (detection, fencing, failed attempt, transfer, load, switchover, warm-up, waiting "
    "for the repair), which add up to it, per point.",
    "Availability and lost revenue against a numeric swept parameter (named on the x axis).",
    "One replica's incidents over time: fault durations and RTO windows, one row per incident kind.",
    /* analysis/plot_money.c */
    "Mean cost per year of each point by part (standby, replication, backups, lost revenue, penalties), with the "
    "total and its bootstrap interval.",
    "Mean total cost per year against the upper bounds of the RTO and RPO statistics, Pareto-optimal points joined, "
    "the targets as vertical lines.",
    "Lost revenue and SLO-missed minutes per replica by incident kind, at the recommended point (else the baseline).",
    "Each point's RTO and RPO upper bounds (triangles) and means with their intervals, against the targets.",
    "Mean total cost per year and feasibility over the two swept parameters.",
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

bool plot_log_spaced(const double *v, size_t n) {
    /* Distinct values only: a sweep may repeat one under other parameters. */
    double prev = NAN, lo = INFINITY, hi = -INFINITY;
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0) || !isfinite(v[i])) return false;
        if (distinct && v[i] == prev) continue;
        if (distinct) {
            double r = log(v[i] / prev);
            if (r < lo) lo = r;
            if (r > hi) hi = r;
        }
        prev = v[i];
        distinct++;
    }
    if (distinct < 2 || prev / v[0] <= 10) return false;
    return hi <= 1.5 * lo;
}

void plot_figure_title(const plot_data *d, plot_kind k, char *buf, size_t len) {
    char param[256];
    switch (k) {
    case PLOT_CDF: snprintf(buf, len, "RTO and RPO per incident"); return;
    case PLOT_BACKUP: snprintf(buf, len, "Backup interval (%s): RPO and cost", PLOT_BACKUP_PARAM); return;
    case PLOT_RTO_PARTS: snprintf(buf, len, "Where the RTO goes"); return;
    case PLOT_CAPACITY:
        if (plot_capacity_param(d->points, param, sizeof param))
            snprintf(buf, len, "Availability and lost revenue against %s", param);
        else
            snprintf(buf, len, "Availability and lost revenue");
        return;
    case PLOT_TIMELINE: snprintf(buf, len, "Timeline of one replica"); return;
    default: snprintf(buf, len, "%s", plot_kind_name(k)); return;
    }
}

void plot_figure_caption(const plot_data *d, plot_kind k, char *buf, size_t len) {
    char param[256];
    if (k == PLOT_CAPACITY && plot_capacity_param(d->points, param, sizeof param))
        snprintf(buf, len,
                 "Availability (by time and by requests) and lost revenue per replica against the swept parameter "
                 "%s, one curve per combination of the other swept parameters.",
                 param);
    else
        snprintf(buf, len, "%s", plot_kind_caption(k));
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
    case PLOT_COST:
    case PLOT_FRONTIER:
    case PLOT_LOSSES:
    case PLOT_BOUNDS:
    case PLOT_HEATMAP: return plot_money_supported(d, k, why, len);
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
    /* the source tree's build/firedrill, then an installed PREFIX/bin/firedrill */
    static const char *const beside_exe[] = {"../analysis", "../share/firedrill/analysis"};
    char tried[2048] = "";
    if (exe_path && *exe_path) {
        const char *slash = strrchr(exe_path, '/');
        int dir_len = slash ? (int)(slash - exe_path) : 1;
        for (size_t i = 0; i < sizeof beside_exe / sizeof beside_exe[0]; i++) {
            snprintf(out, len, "%.*s/%s", dir_len, slash ? exe_path : ".", beside_exe[i]);
            if (has_scripts(out)) {
                char *canonical = realpath(out, NULL); /* build/../analysis reads better in messages */
                if (canonical) snprintf(out, len, "%s", canonical);
                free(canonical);
                return 0;
            }
            size_t used = strlen(tried);
            snprintf(tried + used, sizeof tried - used, "%s, ", out);
        }
    }
    snprintf(out, len, "analysis");
    if (has_scripts(out)) return 0;
    snprintf(err, errlen, "gnuplot scripts (plot_cdf.gp) not found in %s./analysis; set FIREDRILL_ANALYSIS_DIR", tried);
    return -1;
}

/* Appends `name='value'` to a -e definition list, doubling single quotes
 * (gnuplot's escape inside single-quoted strings). */
void plot_def_str(char *buf, size_t len, const char *name, const char *value) {
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

void plot_def_num(char *buf, size_t len, const char *name, double value) {
    size_t used = strlen(buf);
    /* gnuplot has NaN only as an expression. */
    if (isfinite(value))
        snprintf(buf + used, len - used, "%s=%.17g;", name, value);
    else
        snprintf(buf + used, len - used, "%s=NaN;", name);
}

/* gnuplot's output is kept (its last PLOT_GNUPLOT_LOG bytes) and shown
 * only when it fails: its warnings are not the user's business otherwise. */
#define PLOT_GNUPLOT_LOG 2048

static int run_gnuplot(const plot_options *o, const char *script, const char *defs, char *err, size_t errlen) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", o->script_dir, script);
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        return PLOT_EFAIL;
    }
    /* Flush our buffers so the child does not write them out a second time. */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
        close(pipefd[0]);
        close(pipefd[1]);
        return PLOT_EFAIL;
    }
    if (pid == 0) {
        close(pipefd[0]);
        dup2(pipefd[1], STDOUT_FILENO);
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[1]);
        char *const argv[] = {(char *)"gnuplot", (char *)"-e", (char *)defs, path, NULL};
        execv(o->gnuplot, argv);
        dprintf(STDERR_FILENO, "cannot run %s: %s\n", o->gnuplot, strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    /* Read to the end (a ring of the last bytes), then reap. */
    char ring[PLOT_GNUPLOT_LOG];
    size_t total = 0;
    for (;;) {
        char chunk[512];
        ssize_t got = read(pipefd[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        for (ssize_t i = 0; i < got; i++) ring[total++ % sizeof ring] = chunk[i];
    }
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "waiting for gnuplot: %s", strerror(errno));
            return PLOT_EFAIL;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char said[PLOT_GNUPLOT_LOG + 1] = "";
        size_t n = total < sizeof ring ? total : sizeof ring;
        for (size_t i = 0; i < n; i++) said[i] = ring[(total - n + i) % sizeof ring];
        while (n && (said[n - 1] == '\n' || said[n - 1] == ' ')) n--;
        said[n] = '\0';
        snprintf(err, errlen, "gnuplot %s failed (%s %d)%s%s", path, WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), n ? ":\n" : "", said);
        return PLOT_EFAIL;
    }
    return PLOT_OK;
}

/* A file under out_dir that could not be written: err, also kept in
 * o->write_err (the first one) for a caller that carries on. */
static void write_failed(const plot_options *o, const char *err) {
    if (o->write_err && o->write_err_len && !o->write_err[0]) snprintf(o->write_err, o->write_err_len, "%s", err);
}

/* Whether a figure gnuplot wrote ends as a whole file of its format does:
 * a PNG with its IEND chunk, a PDF with %%EOF. */
static bool figure_complete(const char *path, bool png) {
    static const unsigned char iend[12] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    unsigned char tail[32];
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = 0;
    if (fseek(f, -(long)sizeof tail, SEEK_END) == 0 || fseek(f, 0, SEEK_SET) == 0) n = fread(tail, 1, sizeof tail, f);
    fclose(f);
    if (png) return n >= sizeof iend && memcmp(tail + n - sizeof iend, iend, sizeof iend) == 0;
    for (size_t i = 0; i + 5 <= n; i++)
        if (memcmp(tail + i, "%%EOF", 5) == 0) return true;
    return false;
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
        plot_def_str(all, sizeof all, "term", terms[t]);
        plot_def_str(all, sizeof all, "out", out);
        int rc = run_gnuplot(o, script, all, err, errlen);
        if (rc == PLOT_OK && !figure_complete(out, t == 0)) {
            /* gnuplot exits 0 when it could not write all of it (a full disk) */
            snprintf(err, errlen, "%s: gnuplot left it incomplete (is the disk full?)", out);
            write_failed(o, err);
            rc = PLOT_EFAIL;
        }
        if (rc != PLOT_OK) {
            remove(out); /* no empty or half-drawn figure left behind */
            return rc;
        }
        if (t == 0) snprintf(png, png_len, "%s", out);
    }
    return PLOT_OK;
}

int plot_run_gnuplot(const plot_options *o, const char *script, const char *defs, char *err, size_t errlen) {
    return run_gnuplot(o, script, defs, err, errlen);
}

int plot_render(const plot_options *o, plot_kind k, const char *defs, char *png, size_t png_len, char *err,
                size_t errlen) {
    return render(o, k, defs, png, png_len, err, errlen);
}

FILE *plot_dat_open(const plot_options *o, const char *name, char *path, size_t len, char *err, size_t errlen) {
    snprintf(path, len, "%s/%s", o->out_dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        write_failed(o, err);
    }
    return f;
}

int plot_dat_close(const plot_options *o, FILE *f, const char *path, char *err, size_t errlen) {
    /* A failed fprintf leaves errno and the stream's error flag set; fclose
     * flushes what is left and reports its own failure. */
    bool bad = ferror(f) != 0;
    int why = bad ? errno : 0;
    if (fclose(f) != 0) {
        bad = true;
        why = errno;
    }
    if (!bad) return PLOT_OK;
    snprintf(err, errlen, "%s: write failed: %s", path, strerror(why ? why : EIO));
    write_failed(o, err);
    return PLOT_EFAIL;
}

static void short_labels(char *label);

/* A label for point position i, safe inside a gnuplot double-quoted header;
 * parameter paths cut to their last component (short_labels). */
static void point_label(const h5in_points *p, size_t i, char *buf, size_t len) {
    char params[256];
    summary_point_label(p->parameters[i], params, sizeof params);
    short_labels(params);
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

/* One panel of the CDF figure: its blocks, the colour of each (a point
 * keeps its colour in both panels) and the range of its values. */
typedef struct cdf_panel {
    size_t blocks;
    char colours[PLOT_MAX_CDF_CURVES * 4 + 8];
    double lo, hi;
} cdf_panel;

/* Writes one block per point (two blank lines apart, a header line with
 * the label first) of the empirical CDF. */
static int write_cdf(const plot_data *d, const char *col, bool positive_only, FILE *f, cdf_panel *panel) {
    size_t n = d->incidents->n_rows;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return PLOT_EFAIL;
    *panel = (cdf_panel){.lo = INFINITY, .hi = -INFINITY};
    size_t np = d->points->n,
           stride = np > PLOT_MAX_CDF_CURVES ? (np + PLOT_MAX_CDF_CURVES - 1) / PLOT_MAX_CDF_CURVES : 1;
    for (size_t i = 0; i < np; i += stride) {
        size_t k = incident_values(d->incidents, d->points->index[i], col, positive_only, v);
        if (!k) continue;
        gsl_sort(v, 1, k);
        char label[300];
        point_label(d->points, i, label, sizeof label);
        fprintf(f, "%s\"%s\" \"fraction\"\n", panel->blocks ? "\n\n" : "", label);
        size_t step = k > PLOT_MAX_CDF_STEPS ? k / PLOT_MAX_CDF_STEPS : 1;
        for (size_t j = 0; j < k; j += step) fprintf(f, "%.10g %.10g\n", v[j], (double)(j + 1) / (double)k);
        if ((k - 1) % step) fprintf(f, "%.10g 1\n", v[k - 1]);
        if (v[0] < panel->lo) panel->lo = v[0];
        if (v[k - 1] > panel->hi) panel->hi = v[k - 1];
        size_t used = strlen(panel->colours);
        snprintf(panel->colours + used, sizeof panel->colours - used, "%s%zu", panel->blocks ? " " : "",
                 i / stride + 1);
        panel->blocks++;
    }
    free(v);
    return PLOT_OK;
}

static int plot_cdf(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err, size_t errlen) {
    char rto_path[4200], rpo_path[4200];
    cdf_panel rto = {0}, rpo = {0};
    FILE *f = plot_dat_open(o, "cdf_rto.dat", rto_path, sizeof rto_path, err, errlen);
    if (!f) return PLOT_EFAIL;
    int rc = write_cdf(d, "rto_s", false, f, &rto);
    if (plot_dat_close(o, f, rto_path, err, errlen) != PLOT_OK || rc != PLOT_OK) return PLOT_EFAIL;
    if (!(f = plot_dat_open(o, "cdf_rpo.dat", rpo_path, sizeof rpo_path, err, errlen))) return PLOT_EFAIL;
    rc = write_cdf(d, "rpo_s", true, f, &rpo);
    if (plot_dat_close(o, f, rpo_path, err, errlen) != PLOT_OK || rc != PLOT_OK) return PLOT_EFAIL;
    char defs[8192] = "", title[512];
    snprintf(title, sizeof title, "%s: RTO and RPO per incident%s", d->scenario_name,
             d->points->n > PLOT_MAX_CDF_CURVES ? " (a subset of the points)" : "");
    plot_def_str(defs, sizeof defs, "rto", rto_path);
    plot_def_str(defs, sizeof defs, "rpo", rpo_path);
    plot_def_num(defs, sizeof defs, "nrto", (double)rto.blocks);
    plot_def_num(defs, sizeof defs, "nrpo", (double)rpo.blocks);
    plot_def_str(defs, sizeof defs, "rto_lc", rto.colours);
    plot_def_str(defs, sizeof defs, "rpo_lc", rpo.colours);
    plot_def_num(defs, sizeof defs, "rto_lo", rto.lo);
    plot_def_num(defs, sizeof defs, "rto_hi", rto.hi);
    plot_def_num(defs, sizeof defs, "rpo_lo", rpo.lo);
    plot_def_num(defs, sizeof defs, "rpo_hi", rpo.hi);
    plot_def_str(defs, sizeof defs, "ttl", title);
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

/* Two curves of the backup figure that would draw the same: the same
 * intervals with the same means (to 1e-9, NaN matching NaN). */
static bool same_value(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static bool backup_curves_equal(const backup_row *a, size_t na, const backup_row *b, size_t nb) {
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].period_s != b[i].period_s || !same_value(a[i].rpo.mean, b[i].rpo.mean) ||
            !same_value(a[i].cost.mean, b[i].cost.mean))
            return false;
    return true;
}

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
    FILE *f = rc == PLOT_OK ? plot_dat_open(o, "backup.dat", sim_path, sizeof sim_path, err, errlen) : NULL;
    if (rc == PLOT_OK && !f) rc = PLOT_EFAIL;
    size_t groups = 0;
    double lo = INFINITY, hi = -INFINITY;
    char xvals[2048] = "";
    if (f) {
        /* One block per combination of the other swept parameters, its
         * label first: a curve each. Curves identical to an earlier one
         * (the other parameters change nothing backups see) are written
         * once, under both labels, rather than drawn on top of it. */
        qsort(rows, nr, sizeof *rows, cmp_backup_row);
        size_t *start = malloc((nr + 1) * sizeof *start), ng = 0;
        for (size_t i = 0; start && i <= nr; i++)
            if (i == 0 || i == nr || strcmp(rows[i].group, rows[i - 1].group) != 0) start[ng++] = i;
        ng = ng ? ng - 1 : 0; /* group g holds rows start[g] .. start[g + 1] - 1 */
        long *same_as = calloc(ng ? ng : 1, sizeof *same_as);
        if (!start || !same_as) rc = PLOT_EFAIL;
        for (size_t g = 0; rc == PLOT_OK && g < ng; g++) {
            same_as[g] = -1;
            for (size_t h = 0; h < g && same_as[g] < 0; h++)
                if (same_as[h] < 0 && backup_curves_equal(rows + start[h], start[h + 1] - start[h], rows + start[g],
                                                          start[g + 1] - start[g]))
                    same_as[g] = (long)h;
        }
        for (size_t g = 0; rc == PLOT_OK && g < ng; g++) {
            if (same_as[g] >= 0) continue;
            char label[600];
            snprintf(label, sizeof label, "%s", rows[start[g]].group);
            bool merged = false;
            for (size_t h = g + 1; h < ng; h++)
                if (same_as[h] == (long)g) {
                    size_t used = strlen(label);
                    snprintf(label + used, sizeof label - used, " / %s", rows[start[h]].group);
                    merged = true;
                }
            if (merged) strncat(label, " (identical)", sizeof label - strlen(label) - 1);
            group_header(f, label, groups++, "rpo_mean_s rpo_ci_lo rpo_ci_hi cost_mean cost_ci_lo cost_ci_hi n");
            for (size_t i = start[g]; i < start[g + 1]; i++)
                fprintf(f, "%.10g %.10g %.10g %.10g %.10g %.10g %.10g %zu\n", rows[i].period_s, rows[i].rpo.mean,
                        rows[i].rpo.ci_lo, rows[i].rpo.ci_hi, rows[i].cost.mean, rows[i].cost.ci_lo, rows[i].cost.ci_hi,
                        rows[i].rpo.n);
        }
        for (size_t i = 0; i < nr; i++) {
            if (rows[i].period_s < lo) lo = rows[i].period_s;
            if (rows[i].period_s > hi) hi = rows[i].period_s;
            bool seen = false; /* the distinct swept values, for ticks */
            for (size_t j = 0; j < i && !seen; j++) seen = rows[j].period_s == rows[i].period_s;
            size_t used = strlen(xvals);
            if (!seen && used + 32 < sizeof xvals)
                snprintf(xvals + used, sizeof xvals - used, "%s%.10g", used ? " " : "", rows[i].period_s);
        }
        free(start);
        free(same_as);
        int crc = plot_dat_close(o, f, sim_path, err, errlen);
        if (rc == PLOT_OK) rc = crc;
    }
    if (!nr) lo = hi = 1;
    free(rows);
    if (rc != PLOT_OK) {
        if (!err[0]) snprintf(err, errlen, "out of memory");
        return rc;
    }
    /* Young/Daly: delta is the backup duration at the base interval of the
     * scenario (fallback: the middle of the sweep), M from the file. */
    double base_period;
    if (!d->scenario_resolved || !summary_json_number(d->scenario_resolved, PLOT_BACKUP_PARAM, &base_period))
        base_period = sqrt(lo * hi);
    double delta = incremental_duration_s(d->scenario_resolved, base_period), mtbf = state_loss_mtbf_s(d);
    double young = isfinite(delta) && isfinite(mtbf) ? ana_young_interval_s(delta, mtbf) : NAN;
    double daly = isfinite(delta) && isfinite(mtbf) ? ana_daly_interval_s(delta, mtbf) : NAN;
    /* The optima are drawn only inside the swept interval: outside it the
     * sweep says nothing about them, and the axis would stretch to reach them. */
    bool young_in = young >= lo && young <= hi, daly_in = daly >= lo && daly <= hi;
    /* The analytic curve over the swept range, log-spaced. */
    if (!(f = plot_dat_open(o, "backup_analytic.dat", ana_path, sizeof ana_path, err, errlen))) return PLOT_EFAIL;
    fprintf(f, "# swept period_s %.10g .. %.10g\n", lo, hi);
    fprintf(f, "# young_s %.10g %s\n", young, young_in ? "drawn" : "outside the swept range: not drawn");
    fprintf(f, "# daly_s %.10g %s\n", daly, daly_in ? "drawn" : "outside the swept range: not drawn");
    fprintf(f, "# period_s rpo_analytic_s (T/2 + delta(T)) delta_s\n");
    bool have_delta = isfinite(incremental_duration_s(d->scenario_resolved, lo));
    for (int i = 0; have_delta && i <= 200 && lo > 0; i++) {
        double t = lo * pow(hi / lo, i / 200.0), dt = incremental_duration_s(d->scenario_resolved, t);
        fprintf(f, "%.10g %.10g %.10g\n", t, ana_rpo_mean_s(t, dt), dt);
    }
    if (!have_delta) fprintf(f, "%.10g NaN NaN\n", lo);
    if (plot_dat_close(o, f, ana_path, err, errlen) != PLOT_OK) return PLOT_EFAIL;
    char defs[8192] = "", title[512];
    snprintf(title, sizeof title, "%s: RPO and backup cost against the incremental backup interval", d->scenario_name);
    plot_def_str(defs, sizeof defs, "sim", sim_path);
    plot_def_num(defs, sizeof defs, "ngroups", (double)groups);
    plot_def_str(defs, sizeof defs, "ana", ana_path);
    plot_def_num(defs, sizeof defs, "xlo", lo);
    plot_def_num(defs, sizeof defs, "xhi", hi);
    plot_def_str(defs, sizeof defs, "xvals", xvals);
    plot_def_num(defs, sizeof defs, "young", young);
    plot_def_num(defs, sizeof defs, "daly", daly);
    plot_def_num(defs, sizeof defs, "young_in", young_in);
    plot_def_num(defs, sizeof defs, "daly_in", daly_in);
    plot_def_num(defs, sizeof defs, "delta", delta);
    plot_def_num(defs, sizeof defs, "mtbf_h", mtbf / 3600);
    plot_def_num(defs, sizeof defs, "conf", o->confidence * 100);
    plot_def_str(defs, sizeof defs, "ttl", title);
    return render(o, PLOT_BACKUP, defs, png, png_len, err, errlen);
}

/* ---- rto parts --------------------------------------------------------------------- */

/* Wraps a bar label into lines of at most width characters for a tick
 * label, lines joined by '|' (the script turns them into line breaks):
 * breaks after ": " and ", ", then within a longer parameter after the
 * last '=', '_', '.' or '/' that fits, then anywhere. Returns the number
 * of lines. */
static int wrap_label(const char *in, size_t width, char *out, size_t len) {
    if (width < 4) width = 4;
    char atoms[64][128];
    bool glued[64]; /* continues the previous atom without a space */
    size_t na = 0;
    for (const char *seg = in; *seg && na < 64;) {
        const char *comma = strstr(seg, ", "), *colon = strstr(seg, ": ");
        const char *end = comma && (!colon || comma < colon) ? comma : colon;
        size_t n = end ? (size_t)(end - seg) + 1 : strlen(seg); /* keep the comma or colon */
        bool first = true;
        while (n && na < 64) {
            size_t take = n;
            if (take > width) {
                const char *eq = memchr(seg, '=', width);
                take = width;
                if (eq && eq > seg)
                    take = (size_t)(eq - seg) + 1;
                else
                    for (size_t c = width; c > 1; c--)
                        if (strchr("_./", seg[c - 1])) {
                            take = c;
                            break;
                        }
            }
            if (take >= sizeof atoms[0]) take = sizeof atoms[0] - 1;
            memcpy(atoms[na], seg, take);
            atoms[na][take] = '\0';
            for (char *c = atoms[na]; *c; c++)
                if (*c == '|') *c = '/';
            glued[na++] = !first;
            first = false;
            seg += take;
            n -= take;
        }
        if (!end) break;
        seg = end + 2;
    }
    out[0] = '\0';
    size_t line = 0, used = 0;
    int lines = na ? 1 : 0;
    for (size_t i = 0; i < na; i++) {
        size_t a = strlen(atoms[i]), sep = line && !glued[i] ? 1 : 0;
        if (line && line + sep + a > width) {
            if (used + 1 < len) out[used++] = '|';
            line = 0;
            sep = 0;
            lines++;
        }
        if (sep && used + 1 < len) out[used++] = ' ';
        for (size_t c = 0; c < a && used + 1 < len; c++) out[used++] = atoms[i][c];
        line += sep + a;
        out[used] = '\0';
    }
    return lines;
}

typedef struct rto_bar {
    char label[300];
    double part[N_RTO_PARTS], rto;
    size_t n;
} rto_bar;

static int plot_rto_parts(const plot_data *d, const plot_options *o, char *png, size_t png_len, char *err,
                          size_t errlen) {
    const h5in_table *inc = d->incidents;
    const h5in_column *pc = h5in_column_find(inc, "point"), *rto = h5in_column_find(inc, "rto_s");
    const h5in_column *parts[N_RTO_PARTS];
    for (size_t j = 0; j < N_RTO_PARTS; j++) parts[j] = h5in_column_find(inc, rto_parts[j]);
    rto_bar *bars = calloc(d->points->n ? d->points->n : 1, sizeof *bars);
    if (!bars) {
        snprintf(err, errlen, "out of memory");
        return PLOT_EFAIL;
    }
    size_t nbars = 0;
    for (size_t i = 0; i < d->points->n; i++) {
        rto_bar *b = &bars[nbars];
        double rto_sum = 0;
        for (size_t r = 0; r < inc->n_rows; r++) {
            if ((pc ? pc->values[r] : 0) != (double)d->points->index[i] || !isfinite(rto->values[r])) continue;
            /* A part that did not happen (NaN) takes no time. */
            for (size_t j = 0; j < N_RTO_PARTS; j++)
                if (parts[j] && isfinite(parts[j]->values[r])) b->part[j] += parts[j]->values[r];
            rto_sum += rto->values[r];
            b->n++;
        }
        if (!b->n) continue;
        for (size_t j = 0; j < N_RTO_PARTS; j++) b->part[j] /= (double)b->n;
        b->rto = rto_sum / (double)b->n;
        char params[256];
        summary_point_label(d->points->parameters[i], params, sizeof params);
        short_labels(params);
        snprintf(b->label, sizeof b->label, "%u: %s", (unsigned)d->points->index[i],
                 d->points->n > 1 ? params : d->scenario_name);
        for (char *s = b->label; *s; s++)
            if (*s == '"') *s = '\'';
        nbars++;
    }
    /* Each tick label is wrapped to its bar's pitch (the bars sit at 0 ..
     * n - 1 on a range of n + 1), the figure widening (up to a limit) so
     * that the longest parameter name fits; the bottom margin holds the
     * most lines. About 7 pixels a character, 280 for the margins and key. */
    size_t longest = 10;
    for (size_t i = 0; i < nbars; i++) {
        const char *l = bars[i].label;
        for (size_t run = 0; *l; l++) {
            run = *l == ' ' ? 0 : run + 1;
            if (run > longest) longest = run;
            if (*l == '=') run = 0;
        }
    }
    if (longest > 28) longest = 28;
    double slots = (double)nbars + 1, width_px = 280 + slots * (double)(longest + 2) * 7;
    width_px = width_px < 1000 ? 1000 : width_px > 2400 ? 2400 : width_px;
    size_t chars = (size_t)((width_px - 280) / slots / 7);
    chars = chars > 10 ? chars - 2 : 8;
    char path[4200];
    FILE *f = plot_dat_open(o, "rto_parts.dat", path, sizeof path, err, errlen);
    if (!f) {
        free(bars);
        return PLOT_EFAIL;
    }
    fprintf(f, "label detection fencing failed-attempt transfer load switchover warm-up repair-wait rto position n "
               "tick\n");
    int lines = 1;
    for (size_t i = 0; i < nbars; i++) {
        const rto_bar *b = &bars[i];
        char tick[400];
        int l = wrap_label(b->label, chars, tick, sizeof tick);
        if (l > lines) lines = l;
        fprintf(f, "\"%s\"", b->label);
        for (size_t j = 0; j < N_RTO_PARTS; j++) fprintf(f, " %.10g", b->part[j]);
        fprintf(f, " %.10g %zu %zu \"%s\"\n", b->rto, i, b->n, tick);
    }
    free(bars);
    if (plot_dat_close(o, f, path, err, errlen) != PLOT_OK) return PLOT_EFAIL;
    char defs[8192] = "", title[512];
    snprintf(title, sizeof title, "%s: mean RTO by part (incidents with an outage)", d->scenario_name);
    plot_def_str(defs, sizeof defs, "dat", path);
    plot_def_num(defs, sizeof defs, "nbars", (double)nbars);
    plot_def_num(defs, sizeof defs, "nlines", (double)lines);
    plot_def_num(defs, sizeof defs, "width_px", width_px);
    plot_def_str(defs, sizeof defs, "ttl", title);
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
    FILE *f = rc == PLOT_OK ? plot_dat_open(o, "capacity.dat", path, sizeof path, err, errlen) : NULL;
    if (rc == PLOT_OK && !f) rc = PLOT_EFAIL;
    size_t groups = 0;
    bool logx = false;
    double xlo = NAN, xhi = NAN;
    if (f) {
        /* A log-spaced parameter (1 min .. 4 h in doublings) gets a log axis:
         * on a linear one its small values crowd into one corner. */
        double *xs = malloc((nr ? nr : 1) * sizeof *xs);
        for (size_t i = 0; xs && i < nr; i++) xs[i] = rows[i].x;
        if (xs && nr) {
            gsl_sort(xs, 1, nr);
            logx = plot_log_spaced(xs, nr);
            xlo = xs[0];
            xhi = xs[nr - 1];
        }
        free(xs);
        fprintf(f, "# x: %s, %s axis\n", param, logx ? "log" : "linear");
        qsort(rows, nr, sizeof *rows, cmp_capacity_row);
        for (size_t i = 0; i < nr; i++) {
            if (i == 0 || strcmp(rows[i].group, rows[i - 1].group) != 0)
                group_header(f, rows[i].group, groups++, "avail_time lo hi avail_req lo hi lost_revenue lo hi n");
            const capacity_row *r = &rows[i];
            fprintf(f, "%.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g %.10g %zu\n", r->x, r->avail_time.mean,
                    r->avail_time.ci_lo, r->avail_time.ci_hi, r->avail_req.mean, r->avail_req.ci_lo, r->avail_req.ci_hi,
                    r->revenue.mean, r->revenue.ci_lo, r->revenue.ci_hi, r->avail_time.n);
        }
        rc = plot_dat_close(o, f, path, err, errlen);
    }
    free(rows);
    if (rc != PLOT_OK) {
        if (!err[0]) snprintf(err, errlen, "out of memory");
        return rc;
    }
    char defs[8192] = "", title[512];
    snprintf(title, sizeof title, "%s: availability and lost revenue against %s", d->scenario_name, param);
    plot_def_str(defs, sizeof defs, "dat", path);
    plot_def_str(defs, sizeof defs, "xname", param);
    plot_def_num(defs, sizeof defs, "logx", logx);
    plot_def_num(defs, sizeof defs, "xlo", xlo);
    plot_def_num(defs, sizeof defs, "xhi", xhi);
    plot_def_num(defs, sizeof defs, "ngroups", (double)groups);
    plot_def_num(defs, sizeof defs, "conf", o->confidence * 100);
    plot_def_str(defs, sizeof defs, "ttl", title);
    return render(o, PLOT_CAPACITY, defs, png, png_len, err, errlen);
}

/* ---- timeline ---------------------------------------------------------------------- */

/* The replica the timeline draws and what it holds. */
typedef struct timeline_pick {
    uint64_t seed;    /* exact past 2^53 */
    double horizon_s; /* NaN when /replicas lacks it */
    uint32_t point;
    size_t incidents;
    bool series; /* /timeline/<seed> exists (files of `firedrill run --trace`, point 0) */
} timeline_pick;

static size_t replica_incidents(const plot_data *d, uint64_t seed, uint32_t point) {
    const h5in_table *inc = d->incidents;
    const h5in_column *pc = inc ? h5in_column_find(inc, "point") : NULL,
                      *sc = inc ? h5in_column_find(inc, "seed") : NULL;
    size_t k = 0;
    for (size_t r = 0; sc && r < inc->n_rows; r++)
        if (h5in_seed_at(sc, r) == seed && (pc ? pc->values[r] : 0) == (double)point) k++;
    return k;
}

/* --seed S at the lowest point that ran it; by default the first seed of
 * the first point that had an incident there (else of any point, lowest
 * first; else the first replica). */
static int timeline_replica(const plot_data *d, const plot_options *o, timeline_pick *t, char *err, size_t errlen) {
    const h5in_column *rs = h5in_column_find(d->replicas, "seed"), *rp = h5in_column_find(d->replicas, "point");
    const h5in_column *hc = h5in_column_find(d->replicas, "horizon_s");
    *t = (timeline_pick){.seed = 0, .horizon_s = NAN};
    if (!rs) {
        snprintf(err, errlen, "/replicas lacks seed");
        return PLOT_EINPUT;
    }
    long pick = -1;
    size_t n = d->replicas->n_rows;
    if (o->have_seed) {
        for (size_t r = 0; r < n; r++)
            if (h5in_seed_at(rs, r) == o->seed && (pick < 0 || (rp ? rp->values[r] : 0) < (rp ? rp->values[pick] : 0)))
                pick = (long)r;
        if (pick < 0) {
            snprintf(err, errlen, "seed %llu is not in /replicas", (unsigned long long)o->seed);
            return PLOT_EINPUT;
        }
    } else {
        double first_point = d->points->n ? d->points->index[0] : 0;
        for (int pass = 0; pass < 3 && pick < 0; pass++)
            for (size_t r = 0; r < n; r++) {
                double point = rp ? rp->values[r] : 0;
                if (pass == 0 && point != first_point) continue;
                if (pass < 2 && !replica_incidents(d, h5in_seed_at(rs, r), (uint32_t)point)) continue;
                if (pass == 1 && pick >= 0 && point >= (rp ? rp->values[pick] : 0)) continue;
                if (pass != 1 && pick >= 0) break;
                pick = (long)r;
            }
        if (pick < 0) {
            snprintf(err, errlen, "no replica in /replicas");
            return PLOT_EINPUT;
        }
    }
    t->seed = h5in_seed_at(rs, (size_t)pick);
    t->point = rp ? (uint32_t)rp->values[pick] : 0;
    t->horizon_s = hc ? hc->values[pick] : NAN;
    t->incidents = replica_incidents(d, t->seed, t->point);
    char name[64];
    snprintf(name, sizeof name, "/timeline/%llu", (unsigned long long)t->seed);
    t->series = d->file && t->point == 0 && h5in_exists(d->file, name);
    return PLOT_OK;
}

/* A duration for messages: "2h30m", "45s", "1.5s". */
static void fmt_duration(double s, char *buf, size_t len) {
    if (!isfinite(s)) {
        snprintf(buf, len, "?");
        return;
    }
    if (s != floor(s) || s < 60) {
        snprintf(buf, len, "%gs", s);
        return;
    }
    static const struct {
        const char *unit;
        double secs;
    } units[] = {{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}};
    buf[0] = '\0';
    double left = s;
    for (size_t i = 0; i < 4; i++) {
        double k = floor(left / units[i].secs);
        if (k < 1) continue;
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%.0f%s", k, units[i].unit);
        left -= k * units[i].secs;
    }
}

/* The time unit of an axis spanning span_s seconds: minutes up to 3 h,
 * hours up to 3 d, else days. */
static double time_unit(double span_s, const char **name) {
    if (isfinite(span_s) && span_s <= 3 * 3600) {
        *name = "min";
        return 60;
    }
    if (isfinite(span_s) && span_s <= 3 * 86400) {
        *name = "h";
        return 3600;
    }
    *name = "d";
    return 86400;
}

/* What write_series saw: the model versions present (a gnuplot tics list
 * and as text), their range, and the segments served by a bad model. */
typedef struct series_info {
    char vtics[512], versions[256];
    double vmin, vmax;
    size_t bad_rows, rows;
} series_info;

/* Writes timeline_series.dat from /timeline/<seed>: the segments (a row
 * each, gnuplot's steps) that overlap [from, to] of simulated time, times
 * in units of `unit` seconds, the first cut at `from` and a last row at
 * `to` (when finite) that ends the last step there. 1 written, 0 absent,
 * -1 error. */
static int write_series(const plot_data *d, const timeline_pick *tp, double from, double to, double unit,
                        const char *unit_name, char *path, size_t path_len, const plot_options *o, series_info *si,
                        char *err, size_t errlen) {
    *si = (series_info){.vmin = NAN, .vmax = NAN};
    if (!tp->series) return 0;
    char name[64];
    snprintf(name, sizeof name, "/timeline/%llu", (unsigned long long)tp->seed);
    h5in_table t;
    if (h5in_table_read(d->file, name, &t, err, errlen) != 0) return -1;
    const h5in_column *tc = h5in_column_find(&t, "time_s");
    /* model_version and model_bad are absent from files written before
     * model versions were recorded */
    const h5in_column *oc = h5in_column_find(&t, "offered_qps"), *cc = h5in_column_find(&t, "capacity_qps");
    const h5in_column *pc = h5in_column_find(&t, "p99_s"), *fc = h5in_column_find(&t, "failed_fraction");
    const h5in_column *vc = h5in_column_find(&t, "model_version"), *bc = h5in_column_find(&t, "model_bad");
    if (!tc || !oc || !cc || !pc || !fc) {
        h5in_table_free(&t);
        return 0;
    }
    size_t n = t.n_rows;
    double end = isfinite(to) ? to : INFINITY;
#define OVERLAPS(r) (tc->values[r] <= end && ((r) + 1 == n || tc->values[(r) + 1] > from))
    /* The versions present in the window (integers), and bad segments. */
    double *vs = malloc((n ? n : 1) * sizeof *vs);
    size_t nv = 0;
    for (size_t r = 0; vs && r < n; r++) {
        if (!OVERLAPS(r)) continue;
        double v = vc ? vc->values[r] : 0;
        if (isfinite(v)) vs[nv++] = v;
        if (bc && bc->values[r] > 0) si->bad_rows++;
    }
    if (vs) gsl_sort(vs, 1, nv);
    if (nv) {
        si->vmin = vs[0];
        si->vmax = vs[nv - 1];
    }
    size_t listed = 0;
    for (size_t i = 0; vs && i < nv; i++) {
        if (i && vs[i] == vs[i - 1]) continue;
        if (listed >= 24) continue; /* ticks for the first 24; the axis still spans them all */
        size_t used = strlen(si->vtics);
        snprintf(si->vtics + used, sizeof si->vtics - used, "%s\"%.0f\" %.10g", listed ? ", " : "(", vs[i], vs[i]);
        used = strlen(si->versions);
        snprintf(si->versions + used, sizeof si->versions - used, "%s%.0f", listed ? " " : "", vs[i]);
        listed++;
    }
    if (listed) strncat(si->vtics, ")", sizeof si->vtics - strlen(si->vtics) - 1);
    free(vs);
    int rc;
    FILE *f = plot_dat_open(o, "timeline_series.dat", path, path_len, err, errlen);
    if (!f)
        rc = -1;
    else {
        fprintf(f, "# model versions: %s; segments with a bad model: %zu\n", listed ? si->versions : "none",
                si->bad_rows);
        fprintf(f, "# time_%s offered_qps capacity_qps p99_s failed_fraction model_version model_bad\n", unit_name);
        long last = -1;
        for (size_t r = 0; r < n; r++) {
            if (!OVERLAPS(r)) continue;
            double ts = tc->values[r] > from ? tc->values[r] : from;
            fprintf(f, "%.10g %.10g %.10g %.10g %.10g %.10g %.10g\n", ts / unit, oc->values[r], cc->values[r],
                    pc->values[r], fc->values[r], vc ? vc->values[r] : 0, bc ? bc->values[r] : 0);
            si->rows++;
            last = (long)r;
        }
        if (last >= 0 && isfinite(to) && tc->values[last] < to)
            fprintf(f, "%.10g %.10g %.10g %.10g %.10g %.10g %.10g\n", to / unit, oc->values[last], cc->values[last],
                    pc->values[last], fc->values[last], vc ? vc->values[last] : 0, bc ? bc->values[last] : 0);
        rc = plot_dat_close(o, f, path, err, errlen) == PLOT_OK ? 1 : -1;
    }
#undef OVERLAPS
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
    if (!sc || !kc || !on || !du || !rto) {
        snprintf(err, errlen, "/incidents lacks seed, kind, onset_s, duration_s or rto_s");
        return PLOT_EINPUT;
    }
    timeline_pick tp;
    if (timeline_replica(d, o, &tp, err, errlen) != PLOT_OK) return PLOT_EINPUT;
    /* The time axis: the window, or the whole horizon; its unit fits its span. */
    double from = o->have_window ? o->window_from_s : 0, to = o->have_window ? o->window_to_s : tp.horizon_s;
    if (isinf(to)) to = tp.horizon_s; /* an open window ends at the horizon */
    const char *unit_name;
    double unit = time_unit(to - from, &unit_name);
    /* One row per incident kind, in order of first appearance; only the
     * incidents that overlap the window. */
    char kinds[32][64];
    size_t n_kinds = 0, n_rows = 0, n_fa = 0, n_onset = 0, n_rto = 0, n_fault = 0;
    char path[4200];
    FILE *f = plot_dat_open(o, "timeline.dat", path, sizeof path, err, errlen);
    if (!f) return PLOT_EFAIL;
    fprintf(f, "# row onset_%s fault_end_%s rto_end_%s false_alarm kind rto_label\n", unit_name, unit_name, unit_name);
    for (size_t r = 0; r < inc->n_rows; r++) {
        if (h5in_seed_at(sc, r) != tp.seed || (pc ? pc->values[r] : 0) != (double)tp.point) continue;
        double onset = on->values[r], dur = isfinite(du->values[r]) ? du->values[r] : 0;
        double rend = isfinite(rto->values[r]) ? onset + rto->values[r] : NAN;
        double last = fmax(onset + dur, isfinite(rend) ? rend : onset);
        if (onset > (isfinite(to) ? to : INFINITY) || last < from) continue;
        const char *kind = h5in_string_at(kc, r);
        size_t row = 0;
        while (row < n_kinds && strcmp(kinds[row], kind) != 0) row++;
        if (row == n_kinds && n_kinds < 32) snprintf(kinds[n_kinds++], sizeof kinds[0], "%s", kind);
        bool false_alarm = fa && fa->values[r] > 0;
        fprintf(f, "%zu %.10g %.10g ", row, onset / unit, (onset + dur) / unit);
        if (isfinite(rend))
            fprintf(f, "%.10g", rend / unit);
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
        fprintf(f, " %d \"%s\" \"%s\"\n", false_alarm, kind, rto_label);
        n_rows++;
        n_fa += false_alarm;
        n_onset += !false_alarm;
        n_rto += isfinite(rend);
        n_fault += dur > 0;
    }
    if (plot_dat_close(o, f, path, err, errlen) != PLOT_OK) return PLOT_EFAIL;
    /* With a traced run, the serving side over time: offered load and
     * capacity, p99 latency and the failed share, per accounting segment. */
    char series_path[4200] = "";
    series_info si;
    int have_series =
        write_series(d, &tp, from, to, unit, unit_name, series_path, sizeof series_path, o, &si, err, errlen);
    if (have_series < 0) return PLOT_EFAIL;
    char ytics[2048] = "(";
    for (size_t i = 0; i < n_kinds; i++) {
        size_t used = strlen(ytics);
        snprintf(ytics + used, sizeof ytics - used, "%s\"%s\" %zu", i ? ", " : "", kinds[i], i);
    }
    strncat(ytics, ")", sizeof ytics - strlen(ytics) - 1);
    char defs[8192] = "", title[512], window[160] = "";
    if (o->have_window) {
        char a[64], b[64];
        fmt_duration(from, a, sizeof a);
        fmt_duration(to, b, sizeof b);
        snprintf(window, sizeof window, " from %s to %s", a, b);
    }
    snprintf(title, sizeof title, "%s, seed %llu, point %u: incidents and RTO windows%s%s", d->scenario_name,
             (unsigned long long)tp.seed, (unsigned)tp.point, window,
             have_series ? "" : " (run with --trace for traffic, capacity and latency)");
    plot_def_str(defs, sizeof defs, "series", have_series ? series_path : "");
    plot_def_str(defs, sizeof defs, "dat", path);
    plot_def_str(defs, sizeof defs, "kinds", ytics);
    plot_def_num(defs, sizeof defs, "nkinds", (double)n_kinds);
    plot_def_num(defs, sizeof defs, "xmin", from / unit);
    plot_def_num(defs, sizeof defs, "xmax", to / unit);
    plot_def_str(defs, sizeof defs, "tunit", unit_name);
    plot_def_num(defs, sizeof defs, "ninc", (double)n_rows);
    plot_def_num(defs, sizeof defs, "nonset", (double)n_onset);
    plot_def_num(defs, sizeof defs, "nfa", (double)n_fa);
    plot_def_num(defs, sizeof defs, "nrto", (double)n_rto);
    plot_def_num(defs, sizeof defs, "nfault", (double)n_fault);
    plot_def_str(defs, sizeof defs, "vtics", have_series ? si.vtics : "");
    plot_def_num(defs, sizeof defs, "vmin", have_series ? si.vmin : NAN);
    plot_def_num(defs, sizeof defs, "vmax", have_series ? si.vmax : NAN);
    plot_def_num(defs, sizeof defs, "nbad", have_series ? (double)si.bad_rows : 0);
    plot_def_str(defs, sizeof defs, "ttl", title);
    return render(o, PLOT_TIMELINE, defs, png, png_len, err, errlen);
}

/* ---- checks before anything is written ------------------------------------------------ */

int plot_check_options(const plot_data *d, const plot_options *o, char *err, size_t errlen) {
    if (errlen) err[0] = '\0';
    if (!o->have_seed && !o->have_window) return PLOT_OK;
    timeline_pick tp;
    if (timeline_replica(d, o, &tp, err, errlen) != PLOT_OK) return PLOT_EINPUT;
    if (o->have_window) {
        char a[64], b[64], h[64];
        fmt_duration(o->window_from_s, a, sizeof a);
        fmt_duration(o->window_to_s, b, sizeof b);
        fmt_duration(tp.horizon_s, h, sizeof h);
        if (isinf(o->window_to_s)) snprintf(b, sizeof b, "%s", "");
        if (!(o->window_from_s >= 0) || !(o->window_to_s > o->window_from_s)) {
            snprintf(err, errlen, "--window %s:%s: expected 0 <= FROM < TO", a, b);
            return PLOT_EINPUT;
        }
        if (isfinite(tp.horizon_s) &&
            (o->window_from_s >= tp.horizon_s || (isfinite(o->window_to_s) && o->window_to_s > tp.horizon_s))) {
            snprintf(err, errlen, "--window %s:%s %s after the simulated horizon of seed %llu (%s)", a, b,
                     o->window_from_s >= tp.horizon_s ? "starts" : "ends", (unsigned long long)tp.seed, h);
            return PLOT_EINPUT;
        }
    }
    return PLOT_OK;
}

int plot_check(const plot_data *d, const plot_options *o, plot_kind k, char *err, size_t errlen) {
    if (errlen) err[0] = '\0';
    static const char *const backup_cols[] = {"rpo_mean_s", "backup_cost", NULL};
    static const char *const capacity_cols[] = {"availability_time", "availability_requests", "lost_revenue", NULL};
    const char *const *cols = k == PLOT_BACKUP ? backup_cols : k == PLOT_CAPACITY ? capacity_cols : NULL;
    for (size_t i = 0; cols && cols[i]; i++)
        if (!h5in_column_find(d->replicas, cols[i])) {
            snprintf(err, errlen, "/replicas lacks %s", cols[i]);
            return PLOT_EINPUT;
        }
    if (k != PLOT_TIMELINE) return PLOT_OK;
    static const char *const inc_cols[] = {"seed", "kind", "onset_s", "duration_s", "rto_s"};
    for (size_t i = 0; i < sizeof inc_cols / sizeof inc_cols[0]; i++)
        if (!d->incidents || !h5in_column_find(d->incidents, inc_cols[i])) {
            snprintf(err, errlen, "/incidents lacks %s", inc_cols[i]);
            return PLOT_EINPUT;
        }
    timeline_pick tp;
    if (timeline_replica(d, o, &tp, err, errlen) != PLOT_OK) return PLOT_EINPUT;
    if (!tp.incidents && !tp.series) {
        snprintf(err, errlen, "seed %llu (point %u) had no incidents (and the file has no --trace series for it)",
                 (unsigned long long)tp.seed, (unsigned)tp.point);
        return PLOT_EINPUT;
    }
    return PLOT_OK;
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
    case PLOT_COST:
    case PLOT_FRONTIER:
    case PLOT_LOSSES:
    case PLOT_BOUNDS:
    case PLOT_HEATMAP: return plot_money_make(d, o, k, png, png_len, err, errlen);
    case PLOT_KIND_COUNT: break;
    }
    snprintf(err, errlen, "unknown plot kind");
    return PLOT_EINPUT;
}
