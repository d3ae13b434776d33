/* `firedrill calibrate`: ranking-batch latency of the default model for
 * batch sizes 1..max, written as an HDF5 calibration table (kernels/calib.h)
 * that simulated servers read for their service times. With --model PRESET
 * (kernels/models/) the table is per query instead: a batch of b queries
 * ranks b x N candidates, and the file records the preset, the candidates,
 * the backend, the device, the BLAS threads and the table bytes measured. */
#include <errno.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kernels/calib.h"
#include "kernels/rec.h"
#include "kernels/rec_preset.h"
#include "kernels/rec_synth.h"
#include "sim/cli.h"
#include "sim/commands.h"

#define CALIB_DEFAULT_MAX_BATCH 64
#define CALIB_DEFAULT_REPEATS   21
#define CALIB_WARMUP            3
#define CALIB_MAX_HOT           8 /* rows per multi-hot bag, at most */
#define CALIB_SEED              7ULL
#define CALIB_DEFAULT_OUT       "results/calibration.h5"
/* --model: queries per micro-batch, at most, and runs per batch size; a
 * DLRM-v2 query of 200 candidates takes milliseconds on a CPU, so fewer
 * runs and sizes 1, 2, 4, ... max (calib_latency_s interpolates). */
#define CALIB_MODEL_MAX_BATCH 16
#define CALIB_MODEL_REPEATS   11
#define CALIB_MAX_SIZES       32

static double calib_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void calib_usage(FILE *f) {
    fprintf(f,
            "usage: firedrill calibrate [--backend auto|cpu|cuda] [--max-batch N] [--repeats R]\n"
            "                           [-o FILE]\n"
            "       firedrill calibrate --model PRESET [--candidates N] [--memory-budget BYTES]\n"
            "                           [--backend auto|cpu|cuda] [--max-batch Q] [--repeats R] [-o FILE]\n"
            "  Measures the ranking-batch latency of the default model for batch sizes 1..N\n"
            "  (median, p10, p90 of R runs after %d warm-up runs) and writes an HDF5 table\n"
            "  (default %s, N %d, R %d).\n"
            "  --model PRESET  a model preset (%s/PRESET.json, or a .json path): the latency\n"
            "                  of micro-batches of 1, 2, 4, ... Q queries (default Q %d, R %d),\n"
            "                  each query ranking N candidates (default: the preset's\n"
            "                  candidates_per_query); default -o results/calibration-PRESET.h5\n"
            "  --memory-budget BYTES  embedding tables scaled down to fit (suffixes KiB MiB GiB\n"
            "                  kB MB GB; default 256 MiB); the file records the bytes used.\n",
            CALIB_WARMUP, CALIB_DEFAULT_OUT, CALIB_DEFAULT_MAX_BATCH, CALIB_DEFAULT_REPEATS, REC_PRESET_DIR,
            CALIB_MODEL_MAX_BATCH, CALIB_MODEL_REPEATS);
}

/* "268435456", "256MiB", "256 MiB", "1.5GB": whole bytes >= 1. */
static int parse_bytes(const char *text, int64_t *out) {
    static const struct {
        const char *unit;
        double mult;
    } units[] = {{"", 1},     {"B", 1},    {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0},
                 {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}};
    if (!text || !*text) return 0;
    char *end = NULL;
    errno = 0;
    const double v = strtod(text, &end);
    if (errno || end == text || !(v > 0)) return 0;
    while (*end == ' ') end++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) != 0) continue;
        const double b = floor(v * units[i].mult);
        if (b < 1 || b > 9e18) return 0;
        *out = (int64_t)b;
        return 1;
    }
    return 0;
}

/* Creates the folder that will hold path, like `mkdir -p`, so a fresh
 * checkout can write results/calibration.h5. */
static int make_parent_dirs(const char *path) {
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) return -1;
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return 0;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static void set_row(calib_row *row, int32_t batch, const double *sorted, int repeats) {
    row->batch_size = batch;
    row->latency_median_s = gsl_stats_quantile_from_sorted_data(sorted, 1, (size_t)repeats, 0.5);
    row->latency_p10_s = gsl_stats_quantile_from_sorted_data(sorted, 1, (size_t)repeats, 0.1);
    row->latency_p90_s = gsl_stats_quantile_from_sorted_data(sorted, 1, (size_t)repeats, 0.9);
}

static int measure(rec_model *m, int32_t batch, int repeats, double *times, calib_row *row, char *err, size_t errlen) {
    const rec_config *cfg = rec_model_config(m);
    rec_synth_batch *in = NULL;
    int rc =
        rec_synth_batch_create(cfg, batch, CALIB_MAX_HOT, cfg->top_k, CALIB_SEED + (uint64_t)batch, &in, err, errlen);
    if (rc) return rc;
    float *scores = malloc((size_t)batch * sizeof(float));
    float *top = malloc((size_t)cfg->top_k * sizeof(float));
    int32_t *ids = malloc((size_t)cfg->top_k * sizeof(int32_t));
    rc = (scores && top && ids) ? REC_OK : REC_ENOMEM;
    if (rc) snprintf(err, errlen, "out of memory");
    rec_ranking_output out = {scores, ids, top};
    for (int r = 0; !rc && r < CALIB_WARMUP + repeats; r++) {
        double t0 = calib_now_s();
        rc = rec_rank(m, &in->rank, &out, err, errlen);
        if (r >= CALIB_WARMUP) times[r - CALIB_WARMUP] = calib_now_s() - t0;
    }
    if (!rc) {
        gsl_sort(times, 1, (size_t)repeats);
        set_row(row, batch, times, repeats);
    }
    free(scores);
    free(top);
    free(ids);
    rec_synth_batch_free(in);
    return rc;
}

typedef struct calib_opts {
    rec_backend backend;
    int max_batch, repeats;
    const char *out_path;
    const char *model;
    int64_t candidates; /* 0: the preset's */
    int64_t budget_bytes;
    int budget_set;
} calib_opts;

static void fill_provenance(calib_table *t, const rec_model *m) {
    snprintf(t->version, sizeof(t->version), "%s (git %.40s)", FIREDRILL_VERSION, firedrill_git_rev);
    snprintf(t->backend, sizeof(t->backend), "%s", rec_backend_name(rec_model_backend(m)));
    rec_device_name(rec_model_backend(m), t->device, sizeof(t->device));
    t->threads = rec_cpu_blas_threads();
    int64_t bytes = 0;
    for (int32_t i = 0; i < rec_table_count(m); i++) bytes += rec_table_rows(m, i) * rec_table_dim(m) * 4;
    t->table_bytes = bytes;
}

static int write_table(const char *out_path, const calib_table *t, char *err, size_t errlen) {
    if (make_parent_dirs(out_path) != 0) {
        snprintf(err, errlen, "%s: cannot create its folder: %s", out_path, strerror(errno));
        return REC_EIO;
    }
    return calib_write_table(out_path, t, err, errlen);
}

/* --model: per-query latency of a preset's model. */
static int calibrate_model(const calib_opts *o) {
    rec_preset p;
    char err[1024] = "";
    if (rec_preset_open(o->model, &p, err, sizeof(err)) != REC_OK) {
        fprintf(stderr, "firedrill calibrate: %s\n", err);
        return FD_EINPUT;
    }
    const int32_t cand = o->candidates > 0 ? (int32_t)o->candidates : p.candidates;
    if (p.has_retrieval && (cand > REC_MAX_TOPK || cand > p.cfg.n_items))
        return cli_usage_error("calibrate",
                               "--candidates: preset '%s' retrieves its candidates, at most %d per query, got %d",
                               p.name, p.cfg.n_items < REC_MAX_TOPK ? p.cfg.n_items : REC_MAX_TOPK, cand);
    rec_config cfg;
    rec_preset_sizing sz;
    if (rec_preset_size(&p, o->budget_bytes, &cfg, &sz, err, sizeof(err)) != REC_OK)
        return cli_usage_error("calibrate", "--memory-budget: %s", err);
    rec_model *m = NULL;
    if (rec_model_create(&cfg, o->backend, CALIB_SEED, &m, err, sizeof(err)) != REC_OK) {
        fprintf(stderr, "firedrill calibrate: %s\n", err);
        return FD_EFAIL;
    }
    int32_t sizes[CALIB_MAX_SIZES];
    int n = 0;
    for (int32_t b = 1; b < o->max_batch && n < CALIB_MAX_SIZES - 1; b *= 2) sizes[n++] = b;
    sizes[n++] = o->max_batch;
    calib_table t;
    memset(&t, 0, sizeof(t));
    t.rows = calloc((size_t)n, sizeof(calib_row));
    double *times = calloc((size_t)o->repeats, sizeof(double));
    int rc = t.rows && times ? REC_OK : REC_ENOMEM;
    if (rc) snprintf(err, sizeof(err), "out of memory");
    for (int i = 0; !rc && i < n; i++) {
        rec_preset_queries *q = NULL;
        rc = rec_preset_queries_create(&p, &cfg, sizes[i], cand, CALIB_SEED + (uint64_t)sizes[i], &q, err, sizeof(err));
        if (!rc) rc = rec_preset_queries_time(m, q, cfg.top_k, CALIB_WARMUP, o->repeats, times, err, sizeof(err));
        if (!rc) set_row(&t.rows[i], sizes[i], times, o->repeats);
        rec_preset_queries_free(q);
    }
    t.n = (size_t)n;
    fill_provenance(&t, m);
    snprintf(t.preset, sizeof(t.preset), "%s", p.name);
    t.candidates = cand;
    t.memory_budget_bytes = o->budget_bytes;
    rec_preset_cost(&p, &cfg, cand, &t.flops_per_query, &t.gather_bytes_per_query);
    char def_out[256];
    snprintf(def_out, sizeof(def_out), "results/calibration-%s.h5", p.name);
    const char *out_path = o->out_path ? o->out_path : def_out;
    if (!rc) rc = write_table(out_path, &t, err, sizeof(err));
    if (!rc)
        printf("calibrate model=%s backend=%s candidates=%d batches=1..%d repeats=%d threads=%d table_bytes=%lld "
               "logical_bytes=%lld flops_per_query=%.4g gather_bytes_per_query=%.4g latency_b1_s=%.3e "
               "latency_b%d_s=%.3e device=\"%s\" out=%s\n",
               p.name, t.backend, cand, o->max_batch, o->repeats, t.threads, (long long)t.table_bytes,
               (long long)sz.logical_bytes, t.flops_per_query, t.gather_bytes_per_query, t.rows[0].latency_median_s,
               o->max_batch, t.rows[n - 1].latency_median_s, t.device, out_path);
    else
        fprintf(stderr, "firedrill calibrate: %s\n", err);
    free(t.rows);
    free(times);
    rec_model_free(m);
    return rc ? FD_EFAIL : FD_OK;
}

int cmd_calibrate(int argc, char **argv) {
    calib_opts o = {REC_BACKEND_AUTO, 0, 0, NULL, NULL, 0, REC_PRESET_DEFAULT_BUDGET_BYTES, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            calib_usage(stdout);
            return FD_OK;
        } else if (strcmp(a, "--backend") == 0) {
            if (!v || rec_backend_parse(v, &o.backend) != REC_OK)
                return cli_usage_error("calibrate", "--backend: must be auto, cpu or cuda, got '%s'",
                                       v ? v : "(nothing)");
            i++;
        } else if (strcmp(a, "--max-batch") == 0 || strcmp(a, "--repeats") == 0) {
            uint64_t x = 0;
            if (!cli_parse_u64("calibrate", a, v, 1, 1 << 16, &x)) return FD_EINPUT;
            *(a[2] == 'm' ? &o.max_batch : &o.repeats) = (int)x;
            i++;
        } else if (strcmp(a, "--candidates") == 0) {
            uint64_t x = 0;
            if (!cli_parse_u64("calibrate", a, v, 1, 1 << 20, &x)) return FD_EINPUT;
            o.candidates = (int64_t)x;
            i++;
        } else if (strcmp(a, "--memory-budget") == 0) {
            if (!parse_bytes(v, &o.budget_bytes))
                return cli_usage_error("calibrate",
                                       "--memory-budget: expected bytes (e.g. 268435456 or 256MiB), got '%s'",
                                       v ? v : "(nothing)");
            o.budget_set = 1;
            i++;
        } else if (strcmp(a, "--model") == 0) {
            if (!v || !*v) return cli_usage_error("calibrate", "--model: needs a preset name or file");
            o.model = v;
            i++;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!v || !*v) return cli_usage_error("calibrate", "%s: needs a file name", a);
            o.out_path = v;
            i++;
        } else {
            return cli_usage_error("calibrate", "unknown option '%s'", a);
        }
    }
    if (o.model) {
        if (!o.max_batch) o.max_batch = CALIB_MODEL_MAX_BATCH;
        if (!o.repeats) o.repeats = CALIB_MODEL_REPEATS;
        return calibrate_model(&o);
    }
    if (o.candidates || o.budget_set)
        return cli_usage_error("calibrate", "%s: only with --model PRESET",
                               o.candidates ? "--candidates" : "--memory-budget");
    const int max_batch = o.max_batch ? o.max_batch : CALIB_DEFAULT_MAX_BATCH;
    const int repeats = o.repeats ? o.repeats : CALIB_DEFAULT_REPEATS;
    const char *out_path = o.out_path ? o.out_path : CALIB_DEFAULT_OUT;

    rec_config cfg = rec_config_default();
    rec_model *m = NULL;
    char err[512] = "";
    if (rec_model_create(&cfg, o.backend, CALIB_SEED, &m, err, sizeof(err)) != REC_OK) {
        fprintf(stderr, "firedrill calibrate: %s\n", err);
        return FD_EFAIL;
    }
    calib_table t;
    memset(&t, 0, sizeof(t));
    t.rows = calloc((size_t)max_batch, sizeof(calib_row));
    double *times = calloc((size_t)repeats, sizeof(double));
    int rc = t.rows && times ? REC_OK : REC_ENOMEM;
    if (rc) snprintf(err, sizeof(err), "out of memory");
    for (int32_t b = 1; !rc && b <= max_batch; b++)
        rc = measure(m, b, repeats, times, &t.rows[b - 1], err, sizeof(err));
    t.n = (size_t)max_batch;
    fill_provenance(&t, m);
    if (!rc) rc = write_table(out_path, &t, err, sizeof(err));
    if (!rc)
        printf("calibrate backend=%s batches=1..%d repeats=%d latency_b1_s=%.3e latency_b%d_s=%.3e "
               "out=%s\n",
               t.backend, max_batch, repeats, t.rows[0].latency_median_s, max_batch,
               t.rows[max_batch - 1].latency_median_s, out_path);
    else
        fprintf(stderr, "firedrill calibrate: %s\n", err);
    free(t.rows);
    free(times);
    rec_model_free(m);
    return rc ? FD_EFAIL : FD_OK;
}
