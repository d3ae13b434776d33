/* `firedrill calibrate`: ranking-batch latency of the default model for
 * batch sizes 1..max, written as an HDF5 calibration table (kernels/calib.h)
 * that simulated servers read for their service times. */
#include <errno.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kernels/calib.h"
#include "kernels/rec.h"
#include "kernels/rec_synth.h"
#include "sim/cli.h"
#include "sim/commands.h"

#define CALIB_DEFAULT_MAX_BATCH 64
#define CALIB_DEFAULT_REPEATS   21
#define CALIB_WARMUP            3
#define CALIB_MAX_HOT           8 /* rows per multi-hot bag, at most */
#define CALIB_SEED              7ULL
#define CALIB_DEFAULT_OUT       "results/calibration.h5"

static double calib_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void calib_usage(FILE *f) {
    fprintf(f,
            "usage: firedrill calibrate [--backend auto|cpu|cuda] [--max-batch N] [--repeats R]\n"
            "                           [-o FILE]\n"
            "  Measures the ranking-batch latency of the default model for batch sizes 1..N\n"
            "  (median, p10, p90 of R runs after %d warm-up runs) and writes an HDF5 table\n"
            "  (default %s, N %d, R %d).\n",
            CALIB_WARMUP, CALIB_DEFAULT_OUT, CALIB_DEFAULT_MAX_BATCH, CALIB_DEFAULT_REPEATS);
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
        row->batch_size = batch;
        row->latency_median_s = gsl_stats_quantile_from_sorted_data(times, 1, (size_t)repeats, 0.5);
        row->latency_p10_s = gsl_stats_quantile_from_sorted_data(times, 1, (size_t)repeats, 0.1);
        row->latency_p90_s = gsl_stats_quantile_from_sorted_data(times, 1, (size_t)repeats, 0.9);
    }
    free(scores);
    free(top);
    free(ids);
    rec_synth_batch_free(in);
    return rc;
}

int cmd_calibrate(int argc, char **argv) {
    rec_backend backend = REC_BACKEND_AUTO;
    int max_batch = CALIB_DEFAULT_MAX_BATCH, repeats = CALIB_DEFAULT_REPEATS;
    const char *out_path = CALIB_DEFAULT_OUT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            calib_usage(stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(a, "--backend") == 0) {
            if (!v || rec_backend_parse(v, &backend) != REC_OK)
                return cli_usage_error("calibrate", "--backend: must be auto, cpu or cuda, got '%s'",
                                       v ? v : "(nothing)");
            i++;
        } else if (strcmp(a, "--max-batch") == 0 || strcmp(a, "--repeats") == 0) {
            uint64_t x = 0;
            if (!cli_parse_u64("calibrate", a, v, 1, 1 << 16, &x)) return CLI_EXIT_USAGE;
            *(a[2] == 'm' ? &max_batch : &repeats) = (int)x;
            i++;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!v || !*v) return cli_usage_error("calibrate", "%s: needs a file name", a);
            out_path = v;
            i++;
        } else {
            return cli_usage_error("calibrate", "unknown option '%s'", a);
        }
    }

    rec_config cfg = rec_config_default();
    rec_model *m = NULL;
    char err[512] = "";
    if (rec_model_create(&cfg, backend, CALIB_SEED, &m, err, sizeof(err)) != REC_OK) {
        fprintf(stderr, "firedrill calibrate: %s\n", err);
        return CLI_EXIT_FAILED;
    }
    calib_row *rows = calloc((size_t)max_batch, sizeof(calib_row));
    double *times = calloc((size_t)repeats, sizeof(double));
    int rc = rows && times ? REC_OK : REC_ENOMEM;
    if (rc) snprintf(err, sizeof(err), "out of memory");
    for (int32_t b = 1; !rc && b <= max_batch; b++) rc = measure(m, b, repeats, times, &rows[b - 1], err, sizeof(err));
    const char *be = rec_backend_name(rec_model_backend(m));
    if (!rc && make_parent_dirs(out_path) != 0) {
        snprintf(err, sizeof(err), "%s: cannot create its folder: %s", out_path, strerror(errno));
        rc = REC_EIO;
    }
    char version[128];
    snprintf(version, sizeof(version), "%s (git %s)", FIREDRILL_VERSION, firedrill_git_rev);
    if (!rc) rc = calib_write(out_path, rows, (size_t)max_batch, be, version, err, sizeof(err));
    if (!rc)
        printf("calibrate backend=%s batches=1..%d repeats=%d latency_b1_s=%.3e latency_b%d_s=%.3e "
               "out=%s\n",
               be, max_batch, repeats, rows[0].latency_median_s, max_batch, rows[max_batch - 1].latency_median_s,
               out_path);
    else
        fprintf(stderr, "firedrill calibrate: %s\n", err);
    free(rows);
    free(times);
    rec_model_free(m);
    return rc ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}
