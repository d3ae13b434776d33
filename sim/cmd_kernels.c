/* `firedrill bench kernels`: the recommendation kernels against the bound
 * each one should approach, both measured in the same run on the same
 * machine. One parseable line per result:
 *   kernels backend=cpu bench=embbag ... gbps=12.3 bound=memcpy bound_gbps=20.1 ratio=0.61
 * Timings are medians of repeats after warm-up (CLOCK_MONOTONIC on the
 * CPU, CUDA events on the GPU). */
#include <cblas.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernels/rec.h"
#include "kernels/rec_cpu.h"
#include "kernels/rec_cuda.h"
#include "kernels/rec_internal.h"
#include "kernels/rec_preset.h"
#include "kernels/rec_synth.h"
#include "sim/cli.h"
#include "sim/commands.h"

#define BENCH_MIB ((size_t)1 << 20)
/* When the OS does not say, assume a last-level cache this large. */
#define BENCH_LLC_FALLBACK_BYTES (32 * BENCH_MIB)
#define BENCH_EMB_DIM            64 /* 256-byte rows: typical production width */
#define BENCH_POOLING            32 /* rows per bag */
#define BENCH_WARMUP             2
#define BENCH_SEED               20240611ULL
#define BENCH_ZIPF               1.05 /* popularity exponent of e-commerce IDs (as model_state.c) */

typedef struct bench_opts {
    rec_backend backend;
    int quick;
    int repeats;
} bench_opts;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return v[n / 2];
}

static size_t llc_bytes(void) {
#ifdef _SC_LEVEL3_CACHE_SIZE
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0) return (size_t)l3;
#endif
#ifdef _SC_LEVEL2_CACHE_SIZE
    long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l2 > 0) return (size_t)l2;
#endif
    return BENCH_LLC_FALLBACK_BYTES;
}

static size_t phys_bytes(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : 4096 * BENCH_MIB;
}

/* Uniform random bags of BENCH_POOLING rows: the worst case for caches,
 * and what a table much larger than the LLC sees anyway. */
static int make_bags(int64_t rows, int32_t batch, int32_t **off, int32_t **idx) {
    *off = malloc(((size_t)batch + 1) * sizeof(int32_t));
    *idx = malloc((size_t)batch * BENCH_POOLING * sizeof(int32_t));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!*off || !*idx || !r) {
        gsl_rng_free(r);
        return -1;
    }
    gsl_rng_set(r, BENCH_SEED);
    for (int32_t b = 0; b <= batch; b++) (*off)[b] = b * BENCH_POOLING;
    for (size_t i = 0; i < (size_t)batch * BENCH_POOLING; i++)
        (*idx)[i] = (int32_t)gsl_rng_uniform_int(r, (unsigned long)rows);
    gsl_rng_free(r);
    return 0;
}

static void print_ratio_line(const char *backend, const char *bench, const char *shape, const char *unit, double value,
                             const char *bound, double bound_value) {
    printf("kernels backend=%s bench=%s %s %s=%.3f bound=%s bound_%s=%.3f ratio=%.3f\n", backend, bench, shape, unit,
           value, bound, unit, bound_value, bound_value > 0 ? value / bound_value : 0.0);
    fflush(stdout);
}

/* The fastest this core reads randomly chosen rows of the table: one load
 * per cache line of each row, nothing added, nothing written, the same
 * prefetch distance as the kernel. A second bound beside memcpy: a memcpy
 * streams, so the hardware prefetchers keep many lines in flight, while
 * random rows are limited by how many misses one core keeps outstanding. */
static double read_random_rows(const float *table, int32_t dim, const int32_t *indices, int64_t n) {
    const int32_t ahead = 32, line_floats = 16;
    float sink = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        if (i + ahead < n) {
            const float *next = table + (int64_t)indices[i + ahead] * dim;
            for (int32_t c = 0; c < dim; c += line_floats) __builtin_prefetch(next + c, 0, 2);
        }
        const float *row = table + (int64_t)indices[i] * dim;
        for (int32_t c = 0; c < dim; c += line_floats) sink += row[c];
    }
    return (double)sink;
}

/* Embedding-bag GB/s (rows read + pooled rows written) against a
 * single-threaded memcpy (bytes read + written), both on data beyond the LLC,
 * and against plain random reads of the same number of rows. */
static int bench_cpu_embbag(const bench_opts *o) {
    const size_t llc = llc_bytes();
    size_t table_bytes = o->quick ? 64 * BENCH_MIB : 4 * llc;
    if (table_bytes < 256 * BENCH_MIB && !o->quick) table_bytes = 256 * BENCH_MIB;
    if (table_bytes > phys_bytes() / 4) table_bytes = phys_bytes() / 4;
    const int32_t dim = BENCH_EMB_DIM, batch = o->quick ? 1024 : 8192;
    const int64_t rows = (int64_t)(table_bytes / (dim * sizeof(float)));
    size_t copy_bytes = o->quick ? 64 * BENCH_MIB : 2 * llc;
    if (copy_bytes > table_bytes) copy_bytes = table_bytes;

    float *table = rec_cpu_table_alloc((size_t)rows * dim * sizeof(float));
    float *dst = malloc(copy_bytes);
    float *out = malloc((size_t)batch * dim * sizeof(float));
    int32_t *off = NULL, *idx = NULL;
    const int n_sets = BENCH_WARMUP + o->repeats;
    double *te = malloc((size_t)n_sets * sizeof(double)), *tc = malloc((size_t)n_sets * sizeof(double));
    double *tr = malloc((size_t)n_sets * sizeof(double));
    int rc = 1;
    /* Twice the bags: the random-read bound needs fresh rows of its own. */
    if (!table || !dst || !out || !te || !tc || !tr || make_bags(rows, 2 * batch * n_sets, &off, &idx) != 0) {
        fprintf(stderr, "firedrill bench kernels: out of memory for a %zu MiB table\n", table_bytes / BENCH_MIB);
        goto done;
    }
    /* Touch every page, so the first timed pass does not pay page faults. */
    for (size_t i = 0; i < (size_t)rows * dim; i++) table[i] = (float)(i & 1023) * 1e-3f;
    memset(dst, 0, copy_bytes);
    for (int r = 0; r < n_sets; r++) {
        /* A fresh set of bags each repeat: the same rows twice would be cached. */
        double t0 = now_s();
        rec_cpu_embbag_sum(table, dim, off, idx + (size_t)r * batch * BENCH_POOLING, batch, out, dim);
        double t1 = now_s();
        memcpy(dst, table, copy_bytes);
        double t2 = now_s();
        const int64_t n_rows = (int64_t)batch * BENCH_POOLING;
        if (read_random_rows(table, dim, idx + (size_t)(n_sets + r) * n_rows, n_rows) == -1.0) out[0] = 0.0f;
        double t3 = now_s();
        memcpy(dst, table, copy_bytes); /* evict the rows again before the next embedding-bag pass */
        te[r] = t1 - t0;
        tc[r] = t2 - t1;
        tr[r] = t3 - t2;
    }
    const double bag_bytes = (double)batch * BENCH_POOLING * dim * sizeof(float) + (double)batch * dim * sizeof(float);
    const double gbps = bag_bytes / median(te + BENCH_WARMUP, o->repeats) * 1e-9;
    const double bound = 2.0 * (double)copy_bytes / median(tc + BENCH_WARMUP, o->repeats) * 1e-9;
    char shape[256];
    snprintf(shape, sizeof(shape),
             "rows=%lld dim=%d batch=%d pooling=%d table_mib=%zu llc_mib=%zu copy_mib=%zu threads=1", (long long)rows,
             dim, batch, BENCH_POOLING, table_bytes / BENCH_MIB, llc / BENCH_MIB, copy_bytes / BENCH_MIB);
    /* Same accounting on both sides: bytes read plus bytes written. A copy's
     * own figure (bytes copied per second) is half of that; printed too. */
    char shape2[320];
    snprintf(shape2, sizeof(shape2), "%s bound_copy_gbps=%.3f", shape, bound / 2.0);
    print_ratio_line("cpu", "embbag", shape2, "gbps", gbps, "memcpy", bound);
    const double rows_read_bytes = (double)batch * BENCH_POOLING * dim * sizeof(float);
    const double random_bound = rows_read_bytes / median(tr + BENCH_WARMUP, o->repeats) * 1e-9;
    print_ratio_line("cpu", "embbag", shape, "gbps", gbps, "random_row_reads", random_bound);
    /* The same table under skewed traffic: hot rows stay in cache, so this
     * is what a production-like ID stream gets, not a bound test. */
    int32_t *zoff = NULL, *zidx = NULL;
    zoff = malloc(((size_t)batch + 1) * sizeof(int32_t));
    zidx = malloc((size_t)batch * BENCH_POOLING * sizeof(int32_t));
    if (zoff && zidx &&
        rec_synth_zipf_rows(rows, BENCH_ZIPF, (size_t)batch * BENCH_POOLING, BENCH_SEED + 1, zidx) == 0) {
        for (int32_t b = 0; b <= batch; b++) zoff[b] = b * BENCH_POOLING;
        for (int r = 0; r < n_sets; r++) {
            memcpy(dst, table, copy_bytes); /* the same cold start as above */
            double t0 = now_s();
            rec_cpu_embbag_sum(table, dim, zoff, zidx, batch, out, dim);
            te[r] = now_s() - t0;
        }
        char shape3[400];
        snprintf(shape3, sizeof(shape3), "%s zipf=%.2f", shape, BENCH_ZIPF);
        print_ratio_line("cpu", "embbag_zipf", shape3, "gbps", bag_bytes / median(te + BENCH_WARMUP, o->repeats) * 1e-9,
                         "memcpy", bound);
    }
    free(zoff);
    free(zidx);
    rc = 0;
done:
    free(table);
    free(dst);
    free(out);
    free(off);
    free(idx);
    free(te);
    free(tc);
    free(tr);
    return rc;
}

/* The MLP shape the MLP benchmarks time: wide enough that a GEMM, not the
 * call overhead, dominates, as in a production bottom/top MLP. */
static void bench_mlp_shape(rec_mlp_shape *s, size_t *n_params) {
    static const int32_t widths[3] = {1024, 1024, 512};
    *n_params = 0;
    rec_mlp_shape_init(s, 512, 3, widths, 1, n_params);
}

/* "512-1024-1024-512": the input width, then each layer's. */
static void mlp_layers_label(const rec_mlp_shape *s, char *out, size_t len) {
    int w = snprintf(out, len, "%d", s->in_dim);
    for (int32_t l = 0; l < s->n_layers && w > 0 && (size_t)w < len; l++)
        w += snprintf(out + w, len - (size_t)w, "-%d", s->out_dim[l]);
}

/* MLP GFLOP/s (GEMMs + bias + ReLU) against bare cblas_sgemm of the same
 * shapes; tag ("" or "model=... part=... ") goes before the shape. The bare
 * sgemm rate goes to *gemm_gflops when not NULL. */
static int bench_cpu_mlp_shape(const bench_opts *o, const rec_mlp_shape *sp, size_t n_params, int32_t batch,
                               const char *tag, double *gemm_gflops) {
    const rec_mlp_shape s = *sp;
    float *params = malloc(n_params * sizeof(float));
    float *in = malloc((size_t)batch * s.in_dim * sizeof(float));
    float *out = malloc((size_t)batch * rec_mlp_out_width(&s) * sizeof(float));
    float *work = malloc(rec_cpu_mlp_work_floats(&s, batch) * sizeof(float));
    const int n = BENCH_WARMUP + o->repeats;
    double *tm = malloc((size_t)n * sizeof(double)), *tg = malloc((size_t)n * sizeof(double));
    int rc = 1;
    if (!params || !in || !out || !work || !tm || !tg) {
        fprintf(stderr, "firedrill bench kernels: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < n_params; i++) params[i] = (float)((i * 7919) % 1000) * 1e-4f - 0.05f;
    for (size_t i = 0; i < (size_t)batch * s.in_dim; i++) in[i] = (float)(i % 97) * 1e-2f;
    const size_t half = (size_t)batch * rec_mlp_max_width(&s);
    for (int r = 0; r < n; r++) {
        double t0 = now_s();
        rec_cpu_mlp_forward(&s, params, batch, in, out, work);
        double t1 = now_s();
        const float *x = in;
        for (int32_t l = 0; l < s.n_layers; l++) {
            const int32_t kin = rec_mlp_in_width(&s, l), w = s.out_dim[l];
            float *y = l == s.n_layers - 1 ? out : work + (size_t)(l % 2) * half;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, w, kin, 1.0f, x, kin, params + s.w_off[l], kin,
                        0.0f, y, w);
            x = y;
        }
        double t2 = now_s();
        tm[r] = t1 - t0;
        tg[r] = t2 - t1;
    }
    const double flops = 2.0 * rec_mlp_macs_per_sample(&s) * batch;
    const double gf = flops / median(tm + BENCH_WARMUP, o->repeats) * 1e-9;
    const double bound = flops / median(tg + BENCH_WARMUP, o->repeats) * 1e-9;
    char layers[160], shape[320];
    mlp_layers_label(&s, layers, sizeof(layers));
    snprintf(shape, sizeof(shape), "%slayers=%s batch=%d threads=%d", tag, layers, batch, rec_cpu_blas_threads());
    print_ratio_line("cpu", "mlp", shape, "gflops", gf, "sgemm", bound);
    if (gemm_gflops) *gemm_gflops = bound;
    rc = 0;
done:
    free(params);
    free(in);
    free(out);
    free(work);
    free(tm);
    free(tg);
    return rc;
}

static int bench_cpu_mlp(const bench_opts *o) {
    rec_mlp_shape s;
    size_t n_params;
    bench_mlp_shape(&s, &n_params);
    return bench_cpu_mlp_shape(o, &s, n_params, o->quick ? 256 : 1024, "", NULL);
}

static int bench_cuda_embbag(const bench_opts *o) {
    const size_t table_bytes = (o->quick ? 256 : 1024) * BENCH_MIB;
    const size_t copy_bytes = 256 * BENCH_MIB;
    const int32_t dim = BENCH_EMB_DIM, batch = o->quick ? 4096 : 16384;
    const int64_t rows = (int64_t)(table_bytes / (dim * sizeof(float)));
    int32_t *off = NULL, *idx = NULL;
    if (make_bags(rows, batch, &off, &idx) != 0) {
        free(off);
        free(idx);
        fprintf(stderr, "firedrill bench kernels: out of memory\n");
        return 1;
    }
    double te = 0, tc = 0;
    char err[512] = "";
    int rc = rec_cuda_bench_embbag(rows, dim, off, idx, batch, o->repeats, copy_bytes, &te, &tc, err, sizeof(err));
    free(off);
    free(idx);
    if (rc) {
        fprintf(stderr, "firedrill bench kernels: %s\n", err);
        return 1;
    }
    const double bag_bytes = (double)batch * BENCH_POOLING * dim * sizeof(float) + (double)batch * dim * sizeof(float);
    char shape[200];
    snprintf(shape, sizeof(shape), "rows=%lld dim=%d batch=%d pooling=%d table_mib=%zu copy_mib=%zu", (long long)rows,
             dim, batch, BENCH_POOLING, table_bytes / BENCH_MIB, copy_bytes / BENCH_MIB);
    print_ratio_line("cuda", "embbag", shape, "gbps", bag_bytes / te * 1e-9, "cudaMemcpyD2D",
                     2.0 * (double)copy_bytes / tc * 1e-9);
    return 0;
}

static int bench_cuda_mlp(const bench_opts *o) {
    rec_mlp_shape s;
    size_t n_params;
    bench_mlp_shape(&s, &n_params);
    const int32_t batch = o->quick ? 1024 : 8192;
    double tm = 0, tg = 0;
    char err[512] = "";
    if (rec_cuda_bench_mlp(&s, batch, o->repeats, &tm, &tg, err, sizeof(err))) {
        fprintf(stderr, "firedrill bench kernels: %s\n", err);
        return 1;
    }
    const double flops = 2.0 * rec_mlp_macs_per_sample(&s) * batch;
    char shape[160];
    snprintf(shape, sizeof(shape), "layers=512-1024-1024-512 batch=%d", batch);
    print_ratio_line("cuda", "mlp", shape, "gflops", flops / tm * 1e-9, "cublas", flops / tg * 1e-9);
    return 0;
}

/* Queries per second of the default model, host inputs to host outputs. */
static int bench_e2e(const bench_opts *o, rec_model *m) {
    static const int32_t batches[3] = {1, 32, 256};
    const rec_config *cfg = rec_model_config(m);
    const char *be = rec_backend_name(rec_model_backend(m));
    char err[512] = "";
    for (int bi = 0; bi < 3; bi++) {
        const int32_t B = batches[bi], k = cfg->top_k;
        rec_synth_batch *in = NULL;
        if (rec_synth_batch_create(cfg, B, 8, k, BENCH_SEED, &in, err, sizeof(err))) {
            fprintf(stderr, "firedrill bench kernels: %s\n", err);
            return 1;
        }
        float *scores = malloc((size_t)B * sizeof(float)), *top = malloc((size_t)B * k * sizeof(float));
        int32_t *ids = malloc((size_t)B * k * sizeof(int32_t));
        const int n = BENCH_WARMUP + o->repeats * 5; /* calls are short: more repeats */
        double *tr = malloc((size_t)n * sizeof(double)), *tq = malloc((size_t)n * sizeof(double));
        int rc = (!scores || !top || !ids || !tr || !tq) ? REC_ENOMEM : REC_OK;
        for (int r = 0; !rc && r < n; r++) {
            rec_ranking_output ro = {scores, ids, top};
            rec_retrieval_output qo = {ids, top, NULL, NULL};
            double t0 = now_s();
            rc = rec_rank(m, &in->rank, &ro, err, sizeof(err));
            double t1 = now_s();
            if (!rc) rc = rec_retrieve(m, &in->retr, &qo, err, sizeof(err));
            double t2 = now_s();
            tr[r] = t1 - t0;
            tq[r] = t2 - t1;
        }
        if (!rc) {
            const double rank_s = median(tr + BENCH_WARMUP, n - BENCH_WARMUP);
            const double retr_s = median(tq + BENCH_WARMUP, n - BENCH_WARMUP);
            printf("kernels backend=%s bench=rank_e2e batch=%d latency_s=%.3e qps=%.1f bound=none\n", be, B, rank_s,
                   B / rank_s);
            printf("kernels backend=%s bench=retrieve_e2e batch=%d items=%d latency_s=%.3e qps=%.1f "
                   "bound=none\n",
                   be, B, cfg->n_items, retr_s, B / retr_s);
            fflush(stdout);
        } else {
            fprintf(stderr, "firedrill bench kernels: %s\n", err[0] ? err : "out of memory");
        }
        free(scores);
        free(top);
        free(ids);
        free(tr);
        free(tq);
        rec_synth_batch_free(in);
        if (rc) return 1;
    }
    return 0;
}

/* --- model presets ------------------------------------------------------------- */

/* Presets `bench kernels` serves whole queries of; with --quick the small
 * one, and DLRM-v2 scaled to BENCH_QUICK_BUDGET_BYTES. */
static const char *const bench_presets[] = {"small", "dlrm-v2", "retrieval+ranking"};
#define BENCH_QUICK_BUDGET_BYTES ((int64_t)32 << 20)
#define BENCH_PRESET_SEED        11ULL

/* Median seconds of serving `queries` queries of p's model m. */
static int time_queries(const bench_opts *o, const rec_preset *p, const rec_config *cfg, rec_model *m, int32_t queries,
                        int32_t candidates, double *median_s) {
    rec_preset_queries *q = NULL;
    double *t = malloc((size_t)o->repeats * sizeof(double));
    char err[512] = "out of memory";
    int rc = t ? rec_preset_queries_create(p, cfg, queries, candidates, BENCH_PRESET_SEED, &q, err, sizeof(err))
               : REC_ENOMEM;
    if (!rc) rc = rec_preset_queries_time(m, q, cfg->top_k, BENCH_WARMUP, o->repeats, t, err, sizeof(err));
    if (!rc) *median_s = t[o->repeats / 2];
    if (rc) fprintf(stderr, "firedrill bench kernels: %s: %s\n", p->name, err);
    rec_preset_queries_free(q);
    free(t);
    return rc;
}

/* The fastest one core gathers random rows of width dim from a table of
 * table_bytes (the embedding-bag's bound): GB/s of rows read. */
static int random_gather_gbps(const bench_opts *o, int32_t dim, size_t table_bytes, double *gbps) {
    const int64_t rows = (int64_t)(table_bytes / ((size_t)dim * sizeof(float)));
    const int32_t n_rows = o->quick ? 1 << 16 : 1 << 19;
    float *table = rec_cpu_table_alloc((size_t)rows * dim * sizeof(float));
    int32_t *idx = malloc((size_t)n_rows * (BENCH_WARMUP + o->repeats) * sizeof(int32_t));
    double *t = malloc((size_t)(BENCH_WARMUP + o->repeats) * sizeof(double));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = table && idx && t && r ? 0 : 1;
    if (!rc) {
        for (size_t i = 0; i < (size_t)rows * dim; i++) table[i] = (float)(i & 1023) * 1e-3f;
        gsl_rng_set(r, BENCH_SEED);
        for (size_t i = 0; i < (size_t)n_rows * (BENCH_WARMUP + o->repeats); i++)
            idx[i] = (int32_t)gsl_rng_uniform_int(r, (unsigned long)rows);
        for (int k = 0; k < BENCH_WARMUP + o->repeats; k++) {
            const double t0 = now_s();
            if (read_random_rows(table, dim, idx + (size_t)k * n_rows, n_rows) == -1.0) idx[0] = 0;
            t[k] = now_s() - t0;
        }
        *gbps = (double)n_rows * dim * sizeof(float) / median(t + BENCH_WARMUP, o->repeats) * 1e-9;
    } else {
        fprintf(stderr, "firedrill bench kernels: out of memory for a %zu MiB table\n", table_bytes / BENCH_MIB);
    }
    free(table);
    free(idx);
    free(t);
    gsl_rng_free(r);
    return rc;
}

/* DLRM-v2 on the CPU: its MLPs against bare sgemm at its widths, a query's
 * latency against the hand count (FLOPs at the sgemm rate plus gathered
 * bytes at the random-row rate, both measured here). */
static int bench_cpu_dlrm_count(const bench_opts *o, const rec_preset *p, const rec_config *cfg,
                                const rec_preset_sizing *sz, double median_b1_s) {
    rec_layout lay;
    rec_layout_build(cfg, &lay);
    const int32_t N = p->candidates;
    char tag[128];
    double g_bottom = 0, g_top = 0, gather = 0;
    snprintf(tag, sizeof(tag), "model=%s part=bottom ", p->name);
    int rc = bench_cpu_mlp_shape(o, &lay.bottom, lay.dense_count, N, tag, &g_bottom);
    snprintf(tag, sizeof(tag), "model=%s part=top ", p->name);
    if (!rc) rc = bench_cpu_mlp_shape(o, &lay.top, lay.dense_count, N, tag, &g_top);
    if (!rc) rc = random_gather_gbps(o, cfg->emb_dim, (size_t)sz->table_bytes, &gather);
    if (rc) return rc;
    const double f_bottom = 2.0 * rec_mlp_macs_per_sample(&lay.bottom) * N;
    const double f_top = 2.0 * rec_mlp_macs_per_sample(&lay.top) * N;
    const double sgemm_gflops = (f_bottom + f_top) / (f_bottom / g_bottom + f_top / g_top);
    double flops = 0, bytes = 0;
    rec_preset_cost(p, cfg, N, &flops, &bytes);
    const double count_s = flops / (sgemm_gflops * 1e9) + bytes / (gather * 1e9);
    printf("bench=calibrate_count model=%s backend=cpu candidates=%d batch=1 flops=%.4g gather_bytes=%.4g "
           "sgemm_gflops=%.2f gather_gbps=%.3f count_ms=%.3f median_ms=%.3f ratio=%.2f table_mib=%.0f\n",
           p->name, N, flops, bytes, sgemm_gflops, gather, count_s * 1e3, median_b1_s * 1e3, median_b1_s / count_s,
           (double)sz->table_bytes / (double)BENCH_MIB);
    fflush(stdout);
    return 0;
}

/* One line per preset and batch: bench=calibrate model=... backend=...
 * candidates=... batch=... median_ms=... qps_per_server=... */
static int bench_presets_run(const bench_opts *o) {
    static const int32_t full_batches[] = {1, 16};
    const size_t n_presets = o->quick ? 2 : sizeof(bench_presets) / sizeof(bench_presets[0]);
    for (size_t i = 0; i < n_presets; i++) {
        rec_preset p;
        rec_config cfg;
        rec_preset_sizing sz;
        rec_model *m = NULL;
        char err[1024] = "";
        const int64_t budget = o->quick && i > 0 ? BENCH_QUICK_BUDGET_BYTES : REC_PRESET_DEFAULT_BUDGET_BYTES;
        int rc = rec_preset_open(bench_presets[i], &p, err, sizeof(err));
        if (!rc) rc = rec_preset_size(&p, budget, &cfg, &sz, err, sizeof(err));
        if (!rc) rc = rec_model_create(&cfg, o->backend, BENCH_PRESET_SEED, &m, err, sizeof(err));
        if (rc) {
            fprintf(stderr, "firedrill bench kernels: %s\n", err);
            return 1;
        }
        const char *be = rec_backend_name(rec_model_backend(m));
        double b1_s = 0;
        for (size_t b = 0; !rc && b < (o->quick ? 1 : sizeof(full_batches) / sizeof(full_batches[0])); b++) {
            const int32_t Q = full_batches[b];
            double med = 0;
            rc = time_queries(o, &p, &cfg, m, Q, p.candidates, &med);
            if (rc) break;
            if (Q == 1) b1_s = med;
            printf("bench=calibrate model=%s backend=%s candidates=%d batch=%d median_ms=%.3f qps_per_server=%.1f "
                   "table_mib=%.0f threads=%d\n",
                   p.name, be, p.candidates, Q, med * 1e3, Q / med, (double)sz.table_bytes / (double)BENCH_MIB,
                   rec_cpu_blas_threads());
            fflush(stdout);
        }
        if (!rc && strcmp(p.name, "dlrm-v2") == 0 && rec_model_backend(m) == REC_BACKEND_CPU)
            rc = bench_cpu_dlrm_count(o, &p, &cfg, &sz, b1_s);
        rec_model_free(m);
        if (rc) return 1;
    }
    return 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: firedrill bench kernels [--backend auto|cpu|cuda] [--quick] [--help]\n"
               "  Times the recommendation kernels against bounds measured in the same run:\n"
               "  embedding-bag vs memcpy (GB/s), MLP vs bare sgemm/cuBLAS (GFLOP/s), and\n"
               "  end-to-end ranking/retrieval qps of the default model at batch 1, 32, 256,\n"
               "  then whole queries of each model preset (kernels/models) at 1 and 16 queries\n"
               "  per batch, and DLRM-v2's latency against a hand count of its FLOPs and\n"
               "  bytes at the sgemm and random-gather rates measured here.\n"
               "  --quick  small sizes and few repeats (CI); tables may then fit in cache.\n");
}

int cmd_bench_kernels(int argc, char **argv) {
    bench_opts o = {REC_BACKEND_AUTO, 0, 11};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return FD_OK;
        } else if (strcmp(argv[i], "--quick") == 0) {
            o.quick = 1;
        } else if (strcmp(argv[i], "--backend") == 0 || strncmp(argv[i], "--backend=", 10) == 0) {
            const char *v = argv[i][9] == '=' ? argv[i] + 10 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || rec_backend_parse(v, &o.backend) != REC_OK)
                return cli_usage_error("bench kernels", "--backend: must be auto, cpu or cuda, got '%s'",
                                       v ? v : "(nothing)");
        } else {
            return cli_usage_error("bench kernels", "unknown option '%s'", argv[i]);
        }
    }
    if (o.quick) o.repeats = 5;

    rec_config cfg = rec_config_default();
    rec_model *m = NULL;
    char err[512] = "";
    if (rec_model_create(&cfg, o.backend, BENCH_SEED, &m, err, sizeof(err)) != REC_OK) {
        fprintf(stderr, "firedrill bench kernels: %s\n", err);
        return FD_EFAIL;
    }
    int rc = 0;
    if (rec_model_backend(m) == REC_BACKEND_CPU) {
        rc = bench_cpu_embbag(&o);
        if (!rc) rc = bench_cpu_mlp(&o);
    }
    if (rec_model_backend(m) == REC_BACKEND_CUDA) {
        rc = bench_cuda_embbag(&o);
        if (!rc) rc = bench_cuda_mlp(&o);
    }
    if (!rc) rc = bench_e2e(&o, m);
    rec_model_free(m);
    if (!rc) rc = bench_presets_run(&o);
    return rc ? FD_EFAIL : FD_OK;
}
