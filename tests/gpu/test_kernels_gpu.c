/* The CUDA backend against the CPU backend: embedding bags, MLP,
 * interactions, top-k, retrieval and ranking agree to a relative error of
 * 1e-4, and top-k lists are identical except where scores tie within that
 * tolerance; so do whole queries of every shipped model preset. Without a GPU: skipped with the reason printed, or a
 * failure when FIREDRILL_REQUIRE_GPU=1 (make test-gpu sets it). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/rec.h"
#include "kernels/rec_cpu.h"
#include "kernels/rec_cuda.h"
#include "kernels/rec_internal.h"
#include "kernels/rec_preset.h"
#include "kernels/rec_synth.h"
#include "kernels/topk.h"

#define REL_TOL 1e-4

static uint64_t lcg_next(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static void fill(float *p, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i++) p[i] = (float)lcg_next(&seed) / (float)(1ULL << 31) - 0.5f;
}

/* NaN everywhere: an element the GPU never writes cannot pass as close. */
static void poison(float *p, size_t n) { memset(p, 0xff, n * sizeof(float)); }

static int close_enough(double got, double want) { return fabs(got - want) <= REL_TOL * fmax(1.0, fabs(want)); }

static void assert_all_close(const float *got, const float *want, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!close_enough(got[i], want[i])) fail_msg("element %zu: cuda %.9g cpu %.9g", i, got[i], want[i]);
}

/* Identical lists, except that two ids may trade places when the CPU scores
 * them equal within the tolerance (a tie the two backends may break apart). */
static void assert_topk_agree(const int32_t *gpu_ids, const int32_t *cpu_ids, int32_t k, const float *cpu_scores) {
    for (int32_t i = 0; i < k; i++) {
        if (gpu_ids[i] == cpu_ids[i]) continue;
        if (gpu_ids[i] < 0 || cpu_ids[i] < 0) fail_msg("top-k[%d]: cuda id %d, cpu id %d", i, gpu_ids[i], cpu_ids[i]);
        if (!close_enough(cpu_scores[gpu_ids[i]], cpu_scores[cpu_ids[i]]))
            fail_msg("top-k[%d]: cuda id %d (%.9g), cpu id %d (%.9g): not a tie", i, gpu_ids[i], cpu_scores[gpu_ids[i]],
                     cpu_ids[i], cpu_scores[cpu_ids[i]]);
    }
}

static void test_embbag(void **state) {
    (void)state;
    /* Narrow rows several to a warp (16, 32, 64), rows whose float4 count
     * leaves lanes idle (12) or exceeds a warp (80, 200), and no float4 (3). */
    const int32_t dims[] = {3, 12, 16, 32, 64, 80, 128, 200};
    const int32_t rows = 1000, batch = 300;
    for (size_t di = 0; di < sizeof(dims) / sizeof(dims[0]); di++) {
        const int32_t dim = dims[di];
        float *table = malloc((size_t)rows * dim * sizeof(float));
        int32_t *off = malloc((batch + 1) * sizeof(int32_t)), *idx = malloc(batch * 40 * sizeof(int32_t));
        float *cpu = malloc((size_t)batch * dim * sizeof(float));
        float *gpu = malloc((size_t)batch * dim * sizeof(float));
        fill(table, (size_t)rows * dim, 1 + di);
        uint64_t s = 99;
        off[0] = 0;
        for (int32_t b = 0; b < batch; b++) {
            int32_t hot = b % 7 == 0 ? 0 : (int32_t)(lcg_next(&s) % 40);
            for (int32_t h = 0; h < hot; h++) idx[off[b] + h] = (int32_t)(lcg_next(&s) % rows);
            off[b + 1] = off[b] + hot;
        }
        char err[512] = "";
        poison(gpu, (size_t)batch * dim);
        rec_cpu_embbag_sum(table, dim, off, idx, batch, cpu, dim);
        if (rec_cuda_embbag_sum_host(table, rows, dim, off, idx, batch, gpu, err, sizeof(err))) fail_msg("%s", err);
        assert_all_close(gpu, cpu, (size_t)batch * dim);
        free(table);
        free(off);
        free(idx);
        free(cpu);
        free(gpu);
    }
}

static void test_mlp(void **state) {
    (void)state;
    const int32_t widths[3] = {256, 19, 5};
    for (int32_t relu_last = 0; relu_last < 2; relu_last++) {
        rec_mlp_shape sh;
        size_t n_params = 0;
        rec_mlp_shape_init(&sh, 37, 3, widths, relu_last, &n_params);
        const int32_t batch = 33;
        float *params = malloc(n_params * sizeof(float));
        float *in = malloc((size_t)batch * 37 * sizeof(float));
        float *cpu = malloc((size_t)batch * 5 * sizeof(float)), *gpu = malloc((size_t)batch * 5 * sizeof(float));
        float *work = malloc(rec_cpu_mlp_work_floats(&sh, batch) * sizeof(float));
        fill(params, n_params, 3);
        fill(in, (size_t)batch * 37, 4);
        rec_cpu_mlp_forward(&sh, params, batch, in, cpu, work);
        poison(gpu, (size_t)batch * 5);
        char err[512] = "";
        if (rec_cuda_mlp_forward_host(&sh, params, n_params, batch, in, gpu, err, sizeof(err))) fail_msg("%s", err);
        assert_all_close(gpu, cpu, (size_t)batch * 5);
        free(params);
        free(in);
        free(cpu);
        free(gpu);
        free(work);
    }
}

static void interact_case(int32_t F, int32_t d, int32_t batch) {
    const int32_t width = d + F * (F - 1) / 2;
    float *z = malloc((size_t)batch * F * d * sizeof(float));
    float *cpu = malloc((size_t)batch * width * sizeof(float)), *gpu = malloc((size_t)batch * width * sizeof(float));
    fill(z, (size_t)batch * F * d, 5);
    rec_cpu_interact(z, batch, F, d, cpu);
    poison(gpu, (size_t)batch * width);
    char err[512] = "";
    if (rec_cuda_interact_host(z, batch, F, d, gpu, err, sizeof(err))) fail_msg("F=%d d=%d: %s", F, d, err);
    assert_all_close(gpu, cpu, (size_t)batch * width);
    free(z);
    free(cpu);
    free(gpu);
}

static void test_interact(void **state) {
    (void)state;
    interact_case(5, 32, 50);
    interact_case(27, 128, 20); /* DLRM-v2 */
    /* At the limits (rec.h): 66 KiB of shared memory, past the 48 KiB
     * default, so the launch must opt in. */
    interact_case(1 + REC_MAX_TABLES, REC_MAX_EMB_DIM, 4);
}

/* Exact scores here, so the lists must be identical, ties by lower id. */
static void test_topk(void **state) {
    (void)state;
    const int32_t rows = 3, n = 5000, ks[3] = {1, 37, REC_MAX_TOPK};
    float *s = malloc((size_t)rows * n * sizeof(float));
    uint64_t r = 8;
    for (int32_t i = 0; i < rows * n; i++) s[i] = (float)(lcg_next(&r) % 50);
    s[17] = NAN;
    int32_t *gi = malloc((size_t)rows * REC_MAX_TOPK * sizeof(int32_t)), ci[REC_MAX_TOPK];
    float *gv = malloc((size_t)rows * REC_MAX_TOPK * sizeof(float)), cv[REC_MAX_TOPK];
    char err[512] = "";
    for (int t = 0; t < 3; t++) {
        const int32_t k = ks[t];
        if (rec_cuda_topk_host(s, rows, n, k, gi, gv, err, sizeof(err))) fail_msg("%s", err);
        for (int32_t row = 0; row < rows; row++) {
            rec_topk(s + (size_t)row * n, n, k, ci, cv);
            assert_memory_equal(gi + (size_t)row * k, ci, (size_t)k * sizeof(int32_t));
        }
    }
    /* k > n pads with -1. */
    if (rec_cuda_topk_host(s, 1, 5, 8, gi, gv, err, sizeof(err))) fail_msg("%s", err);
    rec_topk(s, 5, 8, ci, cv);
    assert_memory_equal(gi, ci, 8 * sizeof(int32_t));
    free(s);
    free(gi);
    free(gv);
}

static void make_pair(rec_model **cpu, rec_model **gpu) {
    rec_config cfg = rec_config_default();
    char err[512] = "";
    if (rec_model_create(&cfg, REC_BACKEND_CPU, 77, cpu, err, sizeof(err))) fail_msg("%s", err);
    if (rec_model_create(&cfg, REC_BACKEND_CUDA, 77, gpu, err, sizeof(err))) fail_msg("%s", err);
    assert_int_equal(rec_model_backend(*gpu), REC_BACKEND_CUDA);
}

static void test_retrieval(void **state) {
    (void)state;
    rec_model *mc, *mg;
    make_pair(&mc, &mg);
    const rec_config *cfg = rec_model_config(mc);
    const int32_t B = 16, k = 20, n = cfg->n_items, d = cfg->emb_dim;
    rec_synth_batch *in = NULL;
    char err[512] = "";
    if (rec_synth_batch_create(cfg, B, 4, k, 5, &in, err, sizeof(err))) fail_msg("%s", err);
    float *sc = malloc((size_t)B * n * sizeof(float)), *sg = malloc((size_t)B * n * sizeof(float));
    float qc[16 * 32], qg[16 * 32], vc[16 * 20], vg[16 * 20];
    int32_t ic[16 * 20], ig[16 * 20];
    assert_true(d <= 32);
    poison(sg, (size_t)B * n);
    poison(qg, sizeof qg / sizeof qg[0]);
    poison(vg, sizeof vg / sizeof vg[0]);
    rec_retrieval_output oc = {ic, vc, sc, qc}, og = {ig, vg, sg, qg};
    if (rec_retrieve(mc, &in->retr, &oc, err, sizeof(err))) fail_msg("%s", err);
    if (rec_retrieve(mg, &in->retr, &og, err, sizeof(err))) fail_msg("%s", err);
    assert_all_close(qg, qc, (size_t)B * d);
    assert_all_close(sg, sc, (size_t)B * n);
    assert_all_close(vg, vc, (size_t)B * k);
    for (int32_t b = 0; b < B; b++) assert_topk_agree(ig + b * k, ic + b * k, k, sc + (size_t)b * n);
    free(sc);
    free(sg);
    rec_synth_batch_free(in);
    rec_model_free(mc);
    rec_model_free(mg);
}

static void rank_both(rec_model *mc, rec_model *mg, const rec_synth_batch *in, float *sc, float *sg) {
    int32_t ic[REC_MAX_TOPK], ig[REC_MAX_TOPK];
    float vc[REC_MAX_TOPK], vg[REC_MAX_TOPK];
    rec_ranking_output oc = {sc, ic, vc}, og = {sg, ig, vg};
    poison(sg, (size_t)in->rank.batch);
    char err[512] = "";
    if (rec_rank(mc, &in->rank, &oc, err, sizeof(err))) fail_msg("%s", err);
    if (rec_rank(mg, &in->rank, &og, err, sizeof(err))) fail_msg("%s", err);
    assert_all_close(sg, sc, (size_t)in->rank.batch);
    assert_topk_agree(ig, ic, in->rank.k, sc);
}

static void test_ranking_and_row_updates(void **state) {
    (void)state;
    rec_model *mc, *mg;
    make_pair(&mc, &mg);
    const rec_config *cfg = rec_model_config(mc);
    const int32_t B = 256, d = cfg->emb_dim;
    rec_synth_batch *in = NULL;
    char err[512] = "";
    if (rec_synth_batch_create(cfg, B, 8, cfg->top_k, 6, &in, err, sizeof(err))) fail_msg("%s", err);
    float sc[256], sg[256], sg0[256];
    rank_both(mc, mg, in, sc, sg0);

    /* The same sparse row update on both backends keeps them in agreement.
     * Ranking follows the uploads at once, with nothing between that would
     * wait for them: the GPU must still see the new rows. */
    const int64_t nrows = 100;
    float *upd = malloc((size_t)nrows * d * sizeof(float)), *back = malloc((size_t)nrows * d * sizeof(float));
    fill(upd, (size_t)nrows * d, 12);
    for (int32_t t = 0; t < cfg->n_tables; t++) {
        if (rec_table_upload(mc, REC_TABLE_SPARSE(t), 3, nrows, upd, err, sizeof(err))) fail_msg("%s", err);
        if (rec_table_upload(mg, REC_TABLE_SPARSE(t), 3, nrows, upd, err, sizeof(err))) fail_msg("%s", err);
    }
    rank_both(mc, mg, in, sc, sg);
    assert_true(memcmp(sg, sg0, sizeof(sg)) != 0);
    for (int32_t t = 0; t < cfg->n_tables; t++) {
        if (rec_table_download(mg, REC_TABLE_SPARSE(t), 3, nrows, back, err, sizeof(err))) fail_msg("%s", err);
        assert_memory_equal(back, upd, (size_t)nrows * d * sizeof(float));
    }

    /* Dense parameters too. */
    size_t nd = rec_dense_count(mg);
    float *dense = malloc(nd * sizeof(float));
    if (rec_dense_download(mg, dense, nd, err, sizeof(err))) fail_msg("%s", err);
    dense[nd - 1] -= 0.5f;
    if (rec_dense_upload(mc, dense, nd, err, sizeof(err))) fail_msg("%s", err);
    if (rec_dense_upload(mg, dense, nd, err, sizeof(err))) fail_msg("%s", err);
    rank_both(mc, mg, in, sc, sg);
    free(dense);
    free(upd);
    free(back);
    rec_synth_batch_free(in);
    rec_model_free(mc);
    rec_model_free(mg);
}

/* Whole queries of each shipped preset (tables scaled to a small budget):
 * the same click probabilities within REL_TOL, the same per-query top-k but
 * for ties, and with a retrieval stage the same candidates but for ties (a
 * query whose candidates differ by a tie ranks different inputs and is not
 * compared further). */
static void preset_case(const char *name, int64_t budget, int32_t queries, int32_t max_candidates) {
    rec_preset p;
    rec_config cfg;
    rec_preset_sizing sz;
    char err[1024] = "";
    if (rec_preset_open(name, &p, err, sizeof(err)) || rec_preset_size(&p, budget, &cfg, &sz, err, sizeof(err)))
        fail_msg("%s", err);
    const int32_t N = p.candidates < max_candidates ? p.candidates : max_candidates, k = cfg.top_k;
    rec_model *mc = NULL, *mg = NULL;
    rec_preset_queries *qc = NULL, *qg = NULL;
    if (rec_model_create(&cfg, REC_BACKEND_CPU, 21, &mc, err, sizeof(err)) ||
        rec_model_create(&cfg, REC_BACKEND_CUDA, 21, &mg, err, sizeof(err)) ||
        rec_preset_queries_create(&p, &cfg, queries, N, 4, &qc, err, sizeof(err)) ||
        rec_preset_queries_create(&p, &cfg, queries, N, 4, &qg, err, sizeof(err)))
        fail_msg("%s: %s", name, err);
    int32_t *ic = malloc((size_t)queries * k * sizeof(int32_t)), *ig = malloc((size_t)queries * k * sizeof(int32_t));
    float *vc = malloc((size_t)queries * k * sizeof(float)), *vg = malloc((size_t)queries * k * sizeof(float));
    if (rec_preset_queries_run(mc, qc, k, ic, vc, err, sizeof(err))) fail_msg("%s cpu: %s", name, err);
    if (rec_preset_queries_run(mg, qg, k, ig, vg, err, sizeof(err))) fail_msg("%s cuda: %s", name, err);
    const float *sc = rec_preset_queries_scores(qc), *sg = rec_preset_queries_scores(qg);
    int compared = 0;
    for (int32_t q = 0; q < queries; q++) {
        if (p.has_retrieval) {
            const int32_t *cc = rec_preset_queries_candidates(qc) + (size_t)q * N;
            const int32_t *cg = rec_preset_queries_candidates(qg) + (size_t)q * N;
            const float *rc = rec_preset_queries_candidate_scores(qc) + (size_t)q * N;
            const float *rg = rec_preset_queries_candidate_scores(qg) + (size_t)q * N;
            assert_all_close(rg, rc, (size_t)N);
            if (memcmp(cc, cg, (size_t)N * sizeof(int32_t)) != 0) {
                for (int32_t j = 0; j < N; j++)
                    if (cc[j] != cg[j] && !close_enough(rg[j], rc[j]))
                        fail_msg("%s: query %d candidate %d: cuda item %d, cpu item %d: not a tie", name, q, j, cg[j],
                                 cc[j]);
                continue;
            }
        }
        assert_all_close(sg + (size_t)q * N, sc + (size_t)q * N, (size_t)N);
        if (!p.has_retrieval) assert_topk_agree(ig + q * k, ic + q * k, k, sc + (size_t)q * N);
        compared++;
    }
    assert_true(compared > 0);
    printf("preset %s: %d of %d queries of %d candidates compared (tables %.0f MiB)\n", name, compared, queries, N,
           (double)sz.table_bytes / (1 << 20));
    free(ic);
    free(ig);
    free(vc);
    free(vg);
    rec_preset_queries_free(qc);
    rec_preset_queries_free(qg);
    rec_model_free(mc);
    rec_model_free(mg);
}

static void test_presets(void **state) {
    (void)state;
    preset_case("small", REC_PRESET_DEFAULT_BUDGET_BYTES, 4, 64);
    preset_case("dlrm-v2", (int64_t)64 << 20, 4, 200);
    preset_case("retrieval+ranking", (int64_t)160 << 20, 4, 200);
}

int main(void) {
    const char *req = getenv("FIREDRILL_REQUIRE_GPU");
    const int required = req && strcmp(req, "1") == 0;
    char why[512] = "";
    if (!rec_backend_available(REC_BACKEND_CUDA, why, sizeof(why))) {
        printf("test_kernels_gpu: %s: %s\n", required ? "FAILED, GPU required" : "skipped", why);
        return required ? 1 : 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embbag),    cmocka_unit_test(test_mlp),
        cmocka_unit_test(test_interact),  cmocka_unit_test(test_topk),
        cmocka_unit_test(test_retrieval), cmocka_unit_test(test_ranking_and_row_updates),
        cmocka_unit_test(test_presets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
