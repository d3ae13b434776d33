/* Tests for kernels/: each CPU building block against a naive reference,
 * the whole model for determinism and table updates, backend selection and
 * calibration files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/calib.h"
#include "kernels/rec.h"
#include "kernels/rec_cpu.h"
#include "kernels/rec_internal.h"
#include "kernels/rec_synth.h"
#include "kernels/topk.h"

/* Small deterministic generator so the tests do not depend on GSL's. */
static uint64_t lcg_next(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}
static float lcg_float(uint64_t *s) { return (float)lcg_next(s) / (float)(1ULL << 31) - 0.5f; }

static void fill(float *p, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = lcg_float(&seed);
}

static void assert_close(const float *got, const double *want, size_t n, double rel) {
    for (size_t i = 0; i < n; i++) {
        double tol = rel * fmax(1.0, fabs(want[i]));
        if (fabs(got[i] - want[i]) > tol) fail_msg("element %zu: got %.9g want %.9g", i, got[i], want[i]);
    }
}

/* --- embedding bag ------------------------------------------------------------- */

static void naive_embbag(const float *table, int32_t dim, const int32_t *off, const int32_t *idx, int32_t batch,
                         double *out) {
    for (int32_t b = 0; b < batch; b++)
        for (int32_t c = 0; c < dim; c++) {
            double acc = 0.0;
            for (int32_t i = off[b]; i < off[b + 1]; i++) acc += table[(int64_t)idx[i] * dim + c];
            out[(int64_t)b * dim + c] = acc;
        }
}

static void test_embbag_vs_naive(void **state) {
    (void)state;
    const int32_t dims[] = {1, 3, 4, 17, 32, 64, 130};
    const int32_t rows = 97, batch = 23;
    uint64_t s = 7;
    for (size_t di = 0; di < sizeof(dims) / sizeof(dims[0]); di++) {
        const int32_t dim = dims[di];
        float *table = malloc((size_t)rows * dim * sizeof(float));
        fill(table, (size_t)rows * dim, 100 + di);
        int32_t off[24], idx[23 * 12];
        off[0] = 0;
        for (int32_t b = 0; b < batch; b++) {
            /* Every third bag is empty; others have up to 11 rows, repeats allowed. */
            int32_t hot = b % 3 == 0 ? 0 : (int32_t)(lcg_next(&s) % 12);
            for (int32_t h = 0; h < hot; h++) idx[off[b] + h] = (int32_t)(lcg_next(&s) % rows);
            off[b + 1] = off[b] + hot;
        }
        const int64_t stride = dim + 5; /* output rows with gaps, as rec_rank writes them */
        float *out = malloc((size_t)batch * stride * sizeof(float));
        float *packed = malloc((size_t)batch * dim * sizeof(float));
        double *want = malloc((size_t)batch * dim * sizeof(double));
        for (int64_t i = 0; i < batch * stride; i++) out[i] = 12345.0f;
        rec_cpu_embbag_sum(table, dim, off, idx, batch, out, stride);
        naive_embbag(table, dim, off, idx, batch, want);
        for (int32_t b = 0; b < batch; b++) {
            memcpy(packed + (int64_t)b * dim, out + b * stride, (size_t)dim * sizeof(float));
            for (int64_t c = dim; c < stride; c++) assert_true(out[b * stride + c] == 12345.0f);
        }
        assert_close(packed, want, (size_t)batch * dim, 1e-5);
        for (int32_t c = 0; c < dim; c++) assert_true(packed[c] == 0.0f); /* bag 0 is empty */
        free(table);
        free(out);
        free(packed);
        free(want);
    }
}

static void test_embbag_all_empty(void **state) {
    (void)state;
    float table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int32_t off[4] = {0, 0, 0, 0};
    float out[12];
    for (int i = 0; i < 12; i++) out[i] = 9.0f;
    rec_cpu_embbag_sum(table, 4, off, NULL, 3, out, 4);
    for (int i = 0; i < 12; i++) assert_true(out[i] == 0.0f);
}

/* --- MLP and interactions ----------------------------------------------------------- */

static void naive_mlp(const rec_mlp_shape *sh, const float *params, int32_t batch, const float *in, double *out) {
    const int32_t maxw = rec_mlp_max_width(sh) > sh->in_dim ? rec_mlp_max_width(sh) : sh->in_dim;
    double *x = malloc((size_t)batch * maxw * sizeof(double));
    double *y = malloc((size_t)batch * maxw * sizeof(double));
    for (int64_t i = 0; i < (int64_t)batch * sh->in_dim; i++) x[i] = in[i];
    for (int32_t l = 0; l < sh->n_layers; l++) {
        const int32_t kin = rec_mlp_in_width(sh, l), n = sh->out_dim[l];
        const float *w = params + sh->w_off[l], *bias = params + sh->b_off[l];
        const int relu = l < sh->n_layers - 1 || sh->relu_last;
        for (int32_t b = 0; b < batch; b++)
            for (int32_t o = 0; o < n; o++) {
                double acc = bias[o];
                for (int32_t i = 0; i < kin; i++) acc += x[(int64_t)b * kin + i] * w[(int64_t)o * kin + i];
                y[(int64_t)b * n + o] = relu && acc < 0 ? 0.0 : acc;
            }
        double *t = x;
        x = y;
        y = t;
    }
    memcpy(out, x, (size_t)batch * rec_mlp_out_width(sh) * sizeof(double));
    free(x);
    free(y);
}

/* Zipf row ids: in range, the hottest id takes its share 1/sum(1/k^s) of the
 * draws (within 5 binomial sd), and the hot ids are scattered, not rows 0, 1, 2. */
static void test_zipf_rows(void **state) {
    (void)state;
    const int64_t rows = 1000;
    const size_t n = 200000;
    const double s = 1.05;
    int32_t *ids = malloc(n * sizeof *ids);
    unsigned *count = calloc((size_t)rows, sizeof *count);
    assert_non_null(ids);
    assert_non_null(count);
    assert_int_equal(rec_synth_zipf_rows(rows, s, n, 7, ids), 0);
    for (size_t i = 0; i < n; i++) {
        assert_true(ids[i] >= 0 && ids[i] < rows);
        count[ids[i]]++;
    }
    double norm = 0;
    for (int64_t k = 0; k < rows; k++) norm += pow((double)k + 1.0, -s);
    int64_t hottest = 0;
    for (int64_t r = 1; r < rows; r++)
        if (count[r] > count[hottest]) hottest = r;
    const double p = 1.0 / norm, sd = sqrt((double)n * p * (1 - p));
    assert_true(fabs(count[hottest] - (double)n * p) < 5 * sd);
    assert_true(hottest != 0 || count[1] < count[hottest] / 2); /* rank 1 is not row 1 */
    assert_int_equal(rec_synth_zipf_rows(0, s, n, 7, ids), -1);
    free(ids);
    free(count);
}

static void test_mlp_vs_naive(void **state) {
    (void)state;
    const int32_t widths[3] = {64, 19, 5};
    for (int32_t relu_last = 0; relu_last < 2; relu_last++) {
        rec_mlp_shape sh;
        size_t n_params = 0;
        rec_mlp_shape_init(&sh, 37, 3, widths, relu_last, &n_params);
        assert_int_equal(n_params, 37 * 64 + 64 + 64 * 19 + 19 + 19 * 5 + 5);
        const int32_t batch = 13;
        float *params = malloc(n_params * sizeof(float));
        float *in = malloc((size_t)batch * 37 * sizeof(float));
        float *out = malloc((size_t)batch * 5 * sizeof(float));
        float *work = malloc(rec_cpu_mlp_work_floats(&sh, batch) * sizeof(float));
        double *want = malloc((size_t)batch * 5 * sizeof(double));
        fill(params, n_params, 11);
        fill(in, (size_t)batch * 37, 12);
        rec_cpu_mlp_forward(&sh, params, batch, in, out, work);
        naive_mlp(&sh, params, batch, in, want);
        assert_close(out, want, (size_t)batch * 5, 1e-4);
        free(params);
        free(in);
        free(out);
        free(work);
        free(want);
    }
}

static void test_interact(void **state) {
    (void)state;
    const int32_t F = 4, d = 5, batch = 3, pairs = 6;
    float z[3 * 4 * 5], out[3 * (5 + 6)];
    double want[3 * (5 + 6)];
    fill(z, sizeof(z) / sizeof(z[0]), 21);
    rec_cpu_interact(z, batch, F, d, out);
    for (int32_t b = 0; b < batch; b++) {
        const float *zb = z + b * F * d;
        double *w = want + b * (d + pairs);
        for (int32_t c = 0; c < d; c++) w[c] = zb[c];
        int32_t p = d;
        for (int32_t i = 1; i < F; i++)
            for (int32_t j = 0; j < i; j++) {
                double acc = 0;
                for (int32_t c = 0; c < d; c++) acc += (double)zb[i * d + c] * zb[j * d + c];
                w[p++] = acc;
            }
    }
    assert_close(out, want, sizeof(out) / sizeof(out[0]), 1e-5);
}

/* --- top-k ------------------------------------------------------------------------ */

static void test_topk_ties_and_padding(void **state) {
    (void)state;
    const float s[6] = {0.5f, 2.0f, 0.5f, NAN, 2.0f, -1.0f};
    int32_t ids[8];
    float vals[8];
    assert_int_equal(rec_topk(s, 6, 4, ids, vals), 4);
    const int32_t want4[4] = {1, 4, 0, 2}; /* equal scores by lower id */
    for (int i = 0; i < 4; i++) assert_int_equal(ids[i], want4[i]);
    assert_int_equal(rec_topk(s, 6, 8, ids, vals), 6); /* k > n pads */
    const int32_t want8[6] = {1, 4, 0, 2, 5, 3};       /* NaN last */
    for (int i = 0; i < 6; i++) assert_int_equal(ids[i], want8[i]);
    for (int i = 6; i < 8; i++) {
        assert_int_equal(ids[i], -1);
        assert_true(isinf(vals[i]) && vals[i] < 0);
    }
    assert_int_equal(rec_topk(s, 0, 2, ids, vals), 0);
    assert_int_equal(ids[0], -1);
    assert_int_equal(rec_topk(s, 6, 0, ids, vals), 0);
    assert_int_equal(rec_topk(s, 6, -1, ids, vals), -1);
}

static void test_topk_vs_sort(void **state) {
    (void)state;
    const int32_t n = 5000, k = 37;
    float *s = malloc(n * sizeof(float));
    int32_t *order = malloc(n * sizeof(int32_t));
    uint64_t r = 5;
    /* Few distinct values, so ties are everywhere. */
    for (int32_t i = 0; i < n; i++) {
        s[i] = (float)(lcg_next(&r) % 50);
        order[i] = i;
    }
    /* Reference: repeatedly pick the best not yet taken (O(n k), obviously right). */
    char *taken = calloc((size_t)n, 1);
    for (int32_t r0 = 0; r0 < k; r0++) {
        int32_t best = -1;
        for (int32_t i = 0; i < n; i++)
            if (!taken[i] && (best < 0 || rec_topk_better(s[i], i, s[best], best))) best = i;
        taken[best] = 1;
        order[r0] = best;
    }
    free(taken);
    int32_t ids[37];
    float vals[37];
    assert_int_equal(rec_topk(s, n, k, ids, vals), k);
    for (int32_t i = 0; i < k; i++) {
        assert_int_equal(ids[i], order[i]);
        assert_true(vals[i] == s[order[i]]);
    }
    free(s);
    free(order);
}

/* --- the model ------------------------------------------------------------------------ */

static rec_model *make_model(uint64_t seed) {
    rec_config cfg = rec_config_default();
    rec_model *m = NULL;
    char err[256] = "";
    int rc = rec_model_create(&cfg, REC_BACKEND_CPU, seed, &m, err, sizeof(err));
    if (rc) fail_msg("rec_model_create: %s", err);
    return m;
}

typedef struct rank_result {
    float scores[256];
    int32_t ids[REC_MAX_TOPK];
    float top[REC_MAX_TOPK];
} rank_result;

static void rank_once(rec_model *m, const rec_synth_batch *b, rank_result *r) {
    char err[256] = "";
    rec_ranking_output out = {r->scores, r->ids, r->top};
    int rc = rec_rank(m, &b->rank, &out, err, sizeof(err));
    if (rc) fail_msg("rec_rank: %s", err);
}

static rec_synth_batch *make_batch(int32_t batch, uint64_t seed) {
    rec_config cfg = rec_config_default();
    rec_synth_batch *b = NULL;
    char err[256] = "";
    if (rec_synth_batch_create(&cfg, batch, 6, cfg.top_k, seed, &b, err, sizeof(err))) fail_msg("synth: %s", err);
    return b;
}

static void test_rank_deterministic(void **state) {
    (void)state;
    rec_model *a = make_model(42), *b = make_model(42), *c = make_model(43);
    rec_synth_batch *in = make_batch(200, 9);
    static rank_result ra, rb, rc;
    rank_once(a, in, &ra);
    rank_once(b, in, &rb);
    rank_once(c, in, &rc);
    assert_memory_equal(ra.scores, rb.scores, 200 * sizeof(float));
    assert_memory_equal(ra.ids, rb.ids, 10 * sizeof(int32_t));
    assert_true(memcmp(ra.scores, rc.scores, 200 * sizeof(float)) != 0);
    for (int i = 0; i < 200; i++) assert_true(ra.scores[i] > 0.0f && ra.scores[i] < 1.0f);
    for (int i = 0; i < 10; i++) assert_true(ra.top[i] == ra.scores[ra.ids[i]]);
    for (int i = 1; i < 10; i++) assert_true(ra.top[i] <= ra.top[i - 1]);
    rank_once(a, in, &rb); /* a second batch on the same model: scratch reuse */
    assert_memory_equal(ra.scores, rb.scores, 200 * sizeof(float));
    rec_synth_batch_free(in);
    rec_model_free(a);
    rec_model_free(b);
    rec_model_free(c);
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* The whole ranking recomputed from the downloaded parameters, naively. */
static void test_rank_vs_naive(void **state) {
    (void)state;
    rec_model *m = make_model(1);
    const rec_config *cfg = rec_model_config(m);
    rec_layout lay;
    rec_layout_build(cfg, &lay);
    const int32_t B = 17, d = cfg->emb_dim, F = lay.n_features, T = cfg->n_tables;
    rec_synth_batch *in = make_batch(B, 3);
    float *params = malloc(rec_dense_count(m) * sizeof(float));
    assert_int_equal(rec_dense_download(m, params, rec_dense_count(m), NULL, 0), REC_OK);
    double *bot = malloc((size_t)B * d * sizeof(double));
    naive_mlp(&lay.bottom, params, B, in->dense, bot);
    float *x = malloc((size_t)B * (d + lay.n_pairs) * sizeof(float));
    double *z = malloc((size_t)B * F * d * sizeof(double));
    for (int32_t t = 0; t < T; t++) {
        int64_t rows = rec_table_rows(m, REC_TABLE_SPARSE(t));
        float *table = malloc((size_t)rows * d * sizeof(float));
        assert_int_equal(rec_table_download(m, REC_TABLE_SPARSE(t), 0, rows, table, NULL, 0), REC_OK);
        double *pooled = malloc((size_t)B * d * sizeof(double));
        naive_embbag(table, d, in->offsets[t], in->indices[t], B, pooled);
        for (int32_t b = 0; b < B; b++)
            for (int32_t c = 0; c < d; c++) z[((int64_t)b * F + 1 + t) * d + c] = pooled[b * d + c];
        free(pooled);
        free(table);
    }
    for (int32_t b = 0; b < B; b++) {
        for (int32_t c = 0; c < d; c++) z[(int64_t)b * F * d + c] = bot[b * d + c];
        float *xb = x + (int64_t)b * (d + lay.n_pairs);
        for (int32_t c = 0; c < d; c++) xb[c] = (float)bot[b * d + c];
        int32_t p = d;
        for (int32_t i = 1; i < F; i++)
            for (int32_t j = 0; j < i; j++) {
                double acc = 0;
                for (int32_t c = 0; c < d; c++)
                    acc += z[((int64_t)b * F + i) * d + c] * z[((int64_t)b * F + j) * d + c];
                xb[p++] = (float)acc;
            }
    }
    double *logit = malloc(B * sizeof(double));
    naive_mlp(&lay.top, params, B, x, logit);
    static rank_result r;
    rank_once(m, in, &r);
    double want[17];
    for (int32_t b = 0; b < B; b++) want[b] = sigmoid(logit[b]);
    assert_close(r.scores, want, B, 1e-4);
    free(params);
    free(bot);
    free(x);
    free(z);
    free(logit);
    rec_synth_batch_free(in);
    rec_model_free(m);
}

static void test_retrieve_vs_naive(void **state) {
    (void)state;
    rec_model *m = make_model(5);
    const rec_config *cfg = rec_model_config(m);
    rec_layout lay;
    rec_layout_build(cfg, &lay);
    const int32_t B = 4, d = cfg->emb_dim, n = cfg->n_items, k = 12;
    rec_synth_batch *in = make_batch(B, 4);
    rec_retrieval_input ri = in->retr;
    ri.k = k;
    int32_t ids[4 * 12];
    float top[4 * 12], q[4 * 32];
    float *scores = malloc((size_t)B * n * sizeof(float));
    rec_retrieval_output out = {ids, top, scores, q};
    char err[256] = "";
    assert_int_equal(rec_retrieve(m, &ri, &out, err, sizeof(err)), REC_OK);
    float *params = malloc(rec_dense_count(m) * sizeof(float));
    float *items = malloc((size_t)n * d * sizeof(float));
    assert_int_equal(rec_dense_download(m, params, rec_dense_count(m), NULL, 0), REC_OK);
    assert_int_equal(rec_table_download(m, REC_TABLE_ITEMS, 0, n, items, NULL, 0), REC_OK);
    double qw[4 * 32];
    naive_mlp(&lay.user, params, B, in->dense, qw);
    assert_close(q, qw, (size_t)B * d, 1e-4);
    double *sw = malloc((size_t)B * n * sizeof(double));
    for (int32_t b = 0; b < B; b++)
        for (int32_t i = 0; i < n; i++) {
            double acc = 0;
            for (int32_t c = 0; c < d; c++) acc += qw[b * d + c] * items[(int64_t)i * d + c];
            sw[(int64_t)b * n + i] = acc;
        }
    assert_close(scores, sw, (size_t)B * n, 1e-4);
    for (int32_t b = 0; b < B; b++) {
        int32_t want_ids[12];
        float want_vals[12];
        rec_topk(scores + (int64_t)b * n, n, k, want_ids, want_vals);
        assert_memory_equal(ids + b * k, want_ids, sizeof(want_ids));
    }
    /* Without the optional outputs the top-k is the same. */
    int32_t ids2[4 * 12];
    float top2[4 * 12];
    rec_retrieval_output out2 = {ids2, top2, NULL, NULL};
    assert_int_equal(rec_retrieve(m, &ri, &out2, err, sizeof(err)), REC_OK);
    assert_memory_equal(ids, ids2, sizeof(ids));
    free(scores);
    free(sw);
    free(params);
    free(items);
    rec_synth_batch_free(in);
    rec_model_free(m);
}

static void test_table_roundtrip_and_row_updates(void **state) {
    (void)state;
    rec_model *m = make_model(8);
    const int32_t d = rec_table_dim(m), t = REC_TABLE_SPARSE(0);
    const int64_t rows = rec_table_rows(m, t);
    assert_int_equal(rec_table_count(m), 1 + rec_model_config(m)->n_tables);
    assert_int_equal(rec_table_rows(m, 99), -1);
    float *orig = malloc((size_t)rows * d * sizeof(float));
    float *back = malloc((size_t)rows * d * sizeof(float));
    assert_int_equal(rec_table_download(m, t, 0, rows, orig, NULL, 0), REC_OK);
    assert_int_equal(rec_table_upload(m, t, 0, rows, orig, NULL, 0), REC_OK);
    assert_int_equal(rec_table_download(m, t, 0, rows, back, NULL, 0), REC_OK);
    assert_memory_equal(orig, back, (size_t)rows * d * sizeof(float));

    rec_synth_batch *in = make_batch(64, 2);
    static rank_result before, after, restored;
    rank_once(m, in, &before);
    /* The synthetic popularity skew puts most lookups on the first rows. */
    const int64_t row0 = 0, nrows = 64;
    float *upd = malloc((size_t)nrows * d * sizeof(float));
    for (int64_t i = 0; i < nrows * d; i++) upd[i] = 0.25f;
    assert_int_equal(rec_table_upload(m, t, row0, nrows, upd, NULL, 0), REC_OK);
    assert_int_equal(rec_table_download(m, t, 0, rows, back, NULL, 0), REC_OK);
    assert_memory_equal(back, upd, (size_t)nrows * d * sizeof(float));
    assert_memory_equal(back + nrows * d, orig + nrows * d, (size_t)(rows - nrows) * d * sizeof(float));
    rank_once(m, in, &after);
    int changed = 0;
    for (int i = 0; i < 64; i++) changed += after.scores[i] != before.scores[i];
    assert_true(changed > 0);
    /* Restoring the backed-up rows restores the scores bit for bit. */
    assert_int_equal(rec_table_upload(m, t, row0, nrows, orig, NULL, 0), REC_OK);
    rank_once(m, in, &restored);
    assert_memory_equal(before.scores, restored.scores, 64 * sizeof(float));

    char err[256] = "";
    assert_int_equal(rec_table_upload(m, t, rows - 1, 2, upd, err, sizeof(err)), REC_EINVAL);
    assert_non_null(strstr(err, "outside"));
    assert_int_equal(rec_table_download(m, -1, 0, 1, back, err, sizeof(err)), REC_EINVAL);

    /* Dense parameters round-trip too, and changing them changes scores. */
    size_t nd = rec_dense_count(m);
    float *dense = malloc(nd * sizeof(float));
    assert_int_equal(rec_dense_download(m, dense, nd, NULL, 0), REC_OK);
    dense[nd - 1] += 1.0f; /* the logit's bias */
    assert_int_equal(rec_dense_upload(m, dense, nd, NULL, 0), REC_OK);
    rank_once(m, in, &after);
    for (int i = 0; i < 64; i++) assert_true(after.scores[i] > before.scores[i]);
    assert_int_equal(rec_dense_upload(m, dense, nd - 1, err, sizeof(err)), REC_EINVAL);
    free(dense);
    free(upd);
    free(orig);
    free(back);
    rec_synth_batch_free(in);
    rec_model_free(m);
}

static void test_bad_inputs(void **state) {
    (void)state;
    rec_model *m = make_model(1);
    rec_synth_batch *in = make_batch(8, 1);
    static rank_result r;
    rec_ranking_output out = {r.scores, r.ids, r.top};
    char err[256] = "";
    rec_ranking_input bad = in->rank;
    int32_t idx_bad[64];
    memcpy(idx_bad, in->indices[1], (size_t)in->offsets[1][8] * sizeof(int32_t));
    int32_t off_bad[9] = {0, 1, 1, 1, 1, 1, 1, 1, 1};
    idx_bad[0] = 1 << 30;
    bad.sparse[1].indices = idx_bad;
    bad.sparse[1].offsets = off_bad;
    assert_int_equal(rec_rank(m, &bad, &out, err, sizeof(err)), REC_EINVAL);
    assert_non_null(strstr(err, "sparse[1].indices[0]"));
    bad = in->rank;
    bad.k = 0;
    assert_int_equal(rec_rank(m, &bad, &out, err, sizeof(err)), REC_EINVAL);
    bad = in->rank;
    bad.batch = 0;
    assert_int_equal(rec_rank(m, &bad, &out, err, sizeof(err)), REC_EINVAL);

    rec_config cfg = rec_config_default();
    cfg.bottom_width[cfg.bottom_layers - 1] = 7;
    rec_model *m2 = NULL;
    assert_int_equal(rec_model_create(&cfg, REC_BACKEND_CPU, 1, &m2, err, sizeof(err)), REC_EINVAL);
    assert_null(m2);
    assert_non_null(strstr(err, "bottom_width"));
    rec_synth_batch_free(in);
    rec_model_free(m);
}

/* Bigger k than the batch: the tail is padding. */
static void test_rank_k_above_batch(void **state) {
    (void)state;
    rec_model *m = make_model(3);
    rec_synth_batch *in = make_batch(5, 6);
    in->rank.k = 8;
    static rank_result r;
    rank_once(m, in, &r);
    for (int i = 0; i < 5; i++) assert_true(r.ids[i] >= 0 && r.ids[i] < 5);
    for (int i = 5; i < 8; i++) assert_int_equal(r.ids[i], -1);
    rec_synth_batch_free(in);
    rec_model_free(m);
}

/* --- backends ------------------------------------------------------------------------- */

static void test_backend_selection(void **state) {
    (void)state;
    rec_backend b;
    assert_int_equal(rec_backend_parse("cpu", &b), REC_OK);
    assert_int_equal(b, REC_BACKEND_CPU);
    assert_int_equal(rec_backend_parse("gpu", &b), REC_EINVAL);
    assert_string_equal(rec_backend_name(REC_BACKEND_CUDA), "cuda");
    const int have_cuda = rec_backend_available(REC_BACKEND_CUDA, NULL, 0);
    rec_config cfg = rec_config_default();
    rec_model *m = NULL;
    char err[256] = "";
    assert_int_equal(rec_model_create(&cfg, REC_BACKEND_AUTO, 1, &m, err, sizeof(err)), REC_OK);
    assert_int_equal(rec_model_backend(m), have_cuda ? REC_BACKEND_CUDA : REC_BACKEND_CPU);
    rec_model_free(m);
    if (have_cuda) return; /* the error path needs a machine without a GPU */
    m = NULL;
    assert_int_equal(rec_model_create(&cfg, REC_BACKEND_CUDA, 1, &m, err, sizeof(err)), REC_ENODEV);
    assert_null(m);
    assert_non_null(strstr(err, "cuda"));
    assert_non_null(strstr(err, "unavailable"));
}

/* --- calibration files ---------------------------------------------------------------- */

static void test_calib_roundtrip(void **state) {
    (void)state;
    char dir[64] = "/tmp/firedrill-calib-";
    memset(dir + strlen(dir), 'X', 6); /* mkdtemp's template suffix */
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/calibration.h5", dir);
    const calib_row rows[3] = {{1, 1e-3, 0.9e-3, 1.2e-3}, {4, 2e-3, 1.8e-3, 2.5e-3}, {8, 4e-3, 3.5e-3, 5e-3}};
    char err[512] = "";
    int rc = calib_write(path, rows, 3, "cpu", "0.1.0-test", err, sizeof(err));
    if (rc) fail_msg("calib_write: %s", err);
    calib_table t;
    rc = calib_load(path, &t, err, sizeof(err));
    if (rc) fail_msg("calib_load: %s", err);
    assert_int_equal(t.n, 3);
    for (int i = 0; i < 3; i++) { /* field by field: struct padding is not data */
        assert_int_equal(t.rows[i].batch_size, rows[i].batch_size);
        assert_true(t.rows[i].latency_median_s == rows[i].latency_median_s);
        assert_true(t.rows[i].latency_p10_s == rows[i].latency_p10_s);
        assert_true(t.rows[i].latency_p90_s == rows[i].latency_p90_s);
    }
    assert_string_equal(t.backend, "cpu");
    assert_string_equal(t.version, "0.1.0-test");
    assert_true(calib_latency_s(&t, 1) == 1e-3);
    assert_true(calib_latency_s(&t, 0) == 1e-3); /* below: clamp */
    assert_true(fabs(calib_latency_s(&t, 2) - (1e-3 + 1e-3 / 3)) < 1e-15);
    assert_true(calib_latency_s(&t, 4) == 2e-3);
    assert_true(fabs(calib_latency_s(&t, 6) - 3e-3) < 1e-15);
    assert_true(fabs(calib_latency_s(&t, 16) - 8e-3) < 1e-15); /* beyond: last slope */
    calib_free(&t);

    /* Only the final file is left: the temporary was renamed. */
    DIR *dh = opendir(dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(dh));)
        if (e->d_name[0] != '.') entries++;
    closedir(dh);
    assert_int_equal(entries, 1);

    const calib_row bad[2] = {{4, 1e-3, 1e-3, 1e-3}, {2, 1e-3, 1e-3, 1e-3}};
    assert_int_equal(calib_write(path, bad, 2, "cpu", "x", err, sizeof(err)), REC_EINVAL);
    assert_non_null(strstr(err, "batch_size"));
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/none.h5", dir);
    assert_int_equal(calib_load(missing, &t, err, sizeof(err)), REC_EIO);
    assert_non_null(strstr(err, "none.h5"));
    assert_int_equal(calib_write("/nonexistent-dir/x.h5", rows, 3, "cpu", "x", err, sizeof(err)), REC_EIO);
    unlink(path);
    rmdir(dir);
}

/* Provenance attributes survive the file, and a table names its preset. */
static void test_calib_provenance(void **state) {
    (void)state;
    char dir[64] = "/tmp/firedrill-calib-";
    memset(dir + strlen(dir), 'X', 6);
    assert_non_null(mkdtemp(dir));
    char path[256], err[512] = "";
    snprintf(path, sizeof(path), "%s/model.h5", dir);
    calib_row rows[2] = {{1, 1e-2, 0.9e-2, 1.1e-2}, {4, 3e-2, 2.9e-2, 3.2e-2}};
    calib_table w;
    memset(&w, 0, sizeof(w));
    w.rows = rows;
    w.n = 2;
    snprintf(w.backend, sizeof(w.backend), "cpu");
    snprintf(w.version, sizeof(w.version), "0.1.0-test");
    snprintf(w.preset, sizeof(w.preset), "dlrm-v2");
    snprintf(w.device, sizeof(w.device), "Some CPU @ 2.0GHz");
    w.threads = 2;
    w.candidates = 200;
    w.table_bytes = 268432896;
    w.memory_budget_bytes = 268435456;
    w.flops_per_query = 9.64e8;
    w.gather_bytes_per_query = 2.19e7;
    if (calib_write_table(path, &w, err, sizeof(err))) fail_msg("calib_write_table: %s", err);
    calib_table t;
    if (calib_load(path, &t, err, sizeof(err))) fail_msg("calib_load: %s", err);
    assert_string_equal(t.preset, "dlrm-v2");
    assert_string_equal(t.device, "Some CPU @ 2.0GHz");
    assert_int_equal(t.threads, 2);
    assert_int_equal(t.candidates, 200);
    assert_int_equal(t.table_bytes, 268432896);
    assert_int_equal(t.memory_budget_bytes, 268435456);
    assert_true(t.flops_per_query == 9.64e8 && t.gather_bytes_per_query == 2.19e7);
    assert_int_equal(calib_check_model(&t, path, "dlrm-v2", 200, err, sizeof(err)), REC_OK);
    assert_int_equal(calib_check_model(&t, path, "dlrm-v2", 100, err, sizeof(err)), REC_EINVAL);
    assert_non_null(strstr(err, "measured for preset 'dlrm-v2' with 200 candidates per query, not 'dlrm-v2' with 100"));
    assert_int_equal(calib_check_model(&t, path, "small", 200, err, sizeof(err)), REC_EINVAL);
    assert_non_null(strstr(err, path));
    calib_free(&t);
    /* A table of the default model (no preset) fits no preset. */
    assert_int_equal(calib_write(path, rows, 2, "cpu", "x", err, sizeof(err)), REC_OK);
    assert_int_equal(calib_load(path, &t, err, sizeof(err)), REC_OK);
    assert_string_equal(t.preset, "");
    assert_int_equal(t.candidates, 0);
    assert_int_equal(calib_check_model(&t, path, "", 0, err, sizeof(err)), REC_OK);
    assert_int_equal(calib_check_model(&t, path, "small", 64, err, sizeof(err)), REC_EINVAL);
    assert_non_null(strstr(err, "without a model preset"));
    calib_free(&t);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embbag_vs_naive),
        cmocka_unit_test(test_embbag_all_empty),
        cmocka_unit_test(test_zipf_rows),
        cmocka_unit_test(test_mlp_vs_naive),
        cmocka_unit_test(test_interact),
        cmocka_unit_test(test_topk_ties_and_padding),
        cmocka_unit_test(test_topk_vs_sort),
        cmocka_unit_test(test_rank_deterministic),
        cmocka_unit_test(test_rank_vs_naive),
        cmocka_unit_test(test_retrieve_vs_naive),
        cmocka_unit_test(test_table_roundtrip_and_row_updates),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_rank_k_above_batch),
        cmocka_unit_test(test_backend_selection),
        cmocka_unit_test(test_calib_roundtrip),
        cmocka_unit_test(test_calib_provenance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
