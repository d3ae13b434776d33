/* Tests for kernels/rec_preset.c: every shipped preset loads and says what
 * the docs say, bad preset files are refused with file, JSON path and
 * reason, budgets scale rows as documented, and serving queries is
 * deterministic. Run from the repository root (make test does). */
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

#include "kernels/rec.h"
#include "kernels/rec_preset.h"

static void load_or_fail(const char *name, rec_preset *p) {
    char err[1024] = "";
    if (rec_preset_open(name, p, err, sizeof(err)) != REC_OK) fail_msg("preset %s: %s", name, err);
}

static void test_every_shipped_preset_loads(void **state) {
    (void)state;
    DIR *d = opendir(REC_PRESET_DIR);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", REC_PRESET_DIR, e->d_name);
        rec_preset p;
        load_or_fail(path, &p);
        /* The file is named after the preset, so --model NAME finds it. */
        assert_int_equal(strlen(p.name) + 5, len);
        assert_memory_equal(p.name, e->d_name, len - 5);
        assert_true(p.candidates >= 1);
        rec_config cfg;
        rec_preset_sizing sz;
        char err[512] = "";
        if (rec_preset_size(&p, REC_PRESET_DEFAULT_BUDGET_BYTES, &cfg, &sz, err, sizeof(err)))
            fail_msg("%s: %s", path, err);
        assert_true(sz.table_bytes <= REC_PRESET_DEFAULT_BUDGET_BYTES);
        n++;
    }
    closedir(d);
    assert_true(n >= 3);
}

static void test_small_is_the_default_model(void **state) {
    (void)state;
    rec_preset p;
    load_or_fail("small", &p);
    const rec_config def = rec_config_default();
    assert_memory_equal(&p.cfg, &def, sizeof(def)); /* int32 fields only: no padding */
    assert_true(p.has_retrieval);
    rec_config cfg;
    rec_preset_sizing sz;
    char err[256];
    assert_int_equal(rec_preset_size(&p, REC_PRESET_DEFAULT_BUDGET_BYTES, &cfg, &sz, err, sizeof(err)), REC_OK);
    assert_memory_equal(&cfg, &def, sizeof(def)); /* fits: nothing scaled */
    assert_true(sz.scale == 1.0);
    assert_int_equal(sz.table_bytes, sz.logical_bytes);
}

static void test_dlrm_v2_shape(void **state) {
    (void)state;
    rec_preset p;
    load_or_fail("dlrm-v2", &p);
    const rec_config *c = &p.cfg;
    assert_int_equal(c->n_tables, 26);
    assert_int_equal(c->emb_dim, 128);
    assert_int_equal(c->dense_dim, 13);
    assert_int_equal(c->bottom_layers, 3);
    assert_int_equal(c->bottom_width[0], 512);
    assert_int_equal(c->bottom_width[1], 256);
    assert_int_equal(c->bottom_width[2], 128);
    static const int32_t top[5] = {1024, 1024, 512, 256, 1};
    assert_int_equal(c->top_layers, 5);
    assert_memory_equal(c->top_width, top, sizeof(top));
    assert_false(p.has_retrieval);
    int64_t rows = 0, pooled = 0;
    for (int t = 0; t < 26; t++) {
        rows += p.logical_rows[t];
        pooled += p.pooling[t];
    }
    assert_int_equal(rows, 204184588); /* MLPerf's num_embeddings_per_feature */
    assert_int_equal(pooled, 214);     /* and multi_hot_sizes */
    assert_int_equal(rec_preset_logical_bytes(&p), (rows + 0) * 128 * 4);

    double flops = 0, bytes = 0;
    rec_preset_cost(&p, &p.cfg, 1, &flops, &bytes);
    /* bottom 13*512 + 512*256 + 256*128, interaction 351 pairs x 128,
     * top 479*1024 + 1024*1024 + 1024*512 + 512*256 + 256 */
    const double macs = 170496.0 + 351.0 * 128 + 2194688.0;
    assert_true(fabs(flops - 2 * macs) < 0.5);
    assert_true(bytes == 214.0 * 128 * 4);
}

static void test_budget_scales_rows(void **state) {
    (void)state;
    rec_preset p;
    load_or_fail("dlrm-v2", &p);
    rec_config cfg;
    rec_preset_sizing sz;
    char err[512] = "";
    const int64_t budget = (int64_t)64 << 20;
    assert_int_equal(rec_preset_size(&p, budget, &cfg, &sz, err, sizeof(err)), REC_OK);
    assert_true(sz.table_bytes <= budget);
    assert_true(sz.table_bytes > budget * 0.98); /* the budget is used, not wasted */
    assert_true(sz.scale > 0 && sz.scale < 1);
    int64_t in_memory = cfg.n_items;
    for (int t = 0; t < cfg.n_tables; t++) {
        const int64_t want_min = p.logical_rows[t] < REC_PRESET_MIN_ROWS ? p.logical_rows[t] : REC_PRESET_MIN_ROWS;
        assert_true(cfg.table_rows[t] >= want_min);
        assert_true(cfg.table_rows[t] <= p.logical_rows[t]);
        in_memory += cfg.table_rows[t];
    }
    assert_int_equal(sz.table_bytes, in_memory * 128 * 4);
    /* The 40M-row tables keep equal shares, the 3M-row one proportionally less. */
    assert_int_equal(cfg.table_rows[0], cfg.table_rows[9]);
    assert_true(fabs((double)cfg.table_rows[10] / cfg.table_rows[0] - 3067956.0 / 40e6) < 1e-3);
    /* Too small for the minimum rows: refused, saying how much is needed. */
    assert_int_equal(rec_preset_size(&p, 1 << 20, &cfg, &sz, err, sizeof(err)), REC_EINVAL);
    assert_non_null(strstr(err, "needs at least"));

    /* A catalogue is never scaled: it must fit. */
    rec_preset rr;
    load_or_fail("retrieval+ranking", &rr);
    assert_int_equal(rec_preset_size(&rr, REC_PRESET_DEFAULT_BUDGET_BYTES, &cfg, &sz, err, sizeof(err)), REC_OK);
    assert_int_equal(cfg.n_items, rr.catalogue_rows);
    assert_int_equal(rec_preset_size(&rr, (int64_t)64 << 20, &cfg, &sz, err, sizeof(err)), REC_EINVAL);
}

/* A minimal valid preset with one piece replaced. */
static const char *const good_preset =
    "{\"name\": \"t\", \"dense_features\": 4, \"embedding_dim\": 8, \"candidates_per_query\": 16,\n"
    " \"ranking\": {\"tables\": [{\"rows\": 100, \"pooling\": 2}], \"bottom_mlp\": [16, 8], \"top_mlp\": [8, 1]}}";

static void test_bad_presets_name_path_and_reason(void **state) {
    (void)state;
    static const struct {
        const char *text;
        const char *want; /* after "bad.json: " */
    } cases[] = {
        {"{\"name\": \"t\",\n \"dense_features\": 4,,}", "line 2, column "},
        {"[1, 2]", "(top): must be an object"},
        {"{\"dense_features\": 4}", "name: missing"},
        {"{\"name\": \"a b\"}", "name: use letters, digits"},
        {"{\"name\": \"t\", \"colour\": 1}", "colour: unknown key"},
        {"{\"name\": \"t\", \"interaction\": \"dcn-v2\", \"dense_features\": 4}",
         "interaction: only \"dot\" is implemented"},
        {"{\"name\": \"t\", \"dense_features\": 4, \"embedding_dim\": 1024}",
         "embedding_dim: must be an integer in 1..512, got 1024"},
        {"{\"name\": \"t\", \"dense_features\": 4, \"embedding_dim\": 8, \"candidates_per_query\": 16, "
         "\"ranking\": {\"tables\": [{\"rows\": 0, \"pooling\": 2}]}}",
         "ranking.tables[0].rows: must be an integer in 1.."},
        {"{\"name\": \"t\", \"dense_features\": 4, \"embedding_dim\": 8, \"candidates_per_query\": 16, "
         "\"ranking\": {\"tables\": [{\"rows\": 10, \"pooling\": 2.5}]}}",
         "ranking.tables[0].pooling: must be an integer"},
        {"{\"name\": \"t\", \"dense_features\": 4, \"embedding_dim\": 8, \"candidates_per_query\": 16, "
         "\"ranking\": {\"tables\": [{\"rows\": 10, \"pooling\": 2}], \"bottom_mlp\": [16, 8], \"top_mlp\": [8, 2]}}",
         "ranking.top_mlp[1]: the last layer must be one logit (1), got 2"},
        {"{\"name\": \"t\", \"dense_features\": 4, \"embedding_dim\": 8, \"candidates_per_query\": 16, "
         "\"ranking\": {\"tables\": [{\"rows\": 10, \"pooling\": 2}], \"bottom_mlp\": [16, 4], \"top_mlp\": [8, 1]}}",
         "ranking.bottom_mlp[1]: the last layer must be embedding_dim (8), got 4"},
        {"{\"name\": \"t\", \"dense_features\": 4, \"embedding_dim\": 8, \"candidates_per_query\": 300, "
         "\"retrieval\": {\"catalogue_items\": 1000, \"user_mlp\": [8]}, "
         "\"ranking\": {\"tables\": [{\"rows\": 10, \"pooling\": 2}], \"bottom_mlp\": [16, 8], \"top_mlp\": [8, 1]}}",
         "candidates_per_query: retrieval finds at most 256"},
        {"{\"name\": \"t\", \"name\": \"u\"}", "name: appears twice"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rec_preset p;
        char err[1024] = "";
        assert_int_equal(rec_preset_parse("bad.json", cases[i].text, &p, err, sizeof(err)), REC_EINVAL);
        char want[512];
        snprintf(want, sizeof(want), "bad.json: %s", cases[i].want);
        if (strncmp(err, want, strlen(want)) != 0) fail_msg("case %zu: got '%s', want '%s...'", i, err, want);
    }
    /* 33 tables: over REC_MAX_TABLES. */
    char many[4096] = "{\"name\": \"t\", \"dense_features\": 4, \"embedding_dim\": 8, \"candidates_per_query\": 16, "
                      "\"ranking\": {\"tables\": [";
    for (int t = 0; t <= REC_MAX_TABLES; t++)
        strcat(many, t ? ", {\"rows\": 9, \"pooling\": 1}" : "{\"rows\": 9, \"pooling\": 1}");
    strcat(many, "], \"bottom_mlp\": [8], \"top_mlp\": [1]}}");
    rec_preset p;
    char err[1024] = "";
    assert_int_equal(rec_preset_parse("bad.json", many, &p, err, sizeof(err)), REC_EINVAL);
    assert_non_null(strstr(err, "bad.json: ranking.tables: must have 1..32 tables"));

    assert_int_equal(rec_preset_parse("good.json", good_preset, &p, err, sizeof(err)), REC_OK);
    assert_int_equal(p.cfg.n_items, 1); /* no retrieval: a stub */
    assert_int_equal(rec_preset_load("/nonexistent/x.json", &p, err, sizeof(err)), REC_EIO);
    assert_non_null(strstr(err, "/nonexistent/x.json: cannot open"));
    assert_int_equal(rec_preset_open("no-such-preset", &p, err, sizeof(err)), REC_EINVAL);
    assert_non_null(strstr(err, "no-such-preset"));
    assert_non_null(strstr(err, "dlrm-v2")); /* lists what there is */
}

/* Serves the same queries on two models of the same seed, and twice on one. */
static void serve_twice(const char *name, int64_t budget, int32_t queries, int32_t candidates) {
    rec_preset p;
    load_or_fail(name, &p);
    rec_config cfg;
    rec_preset_sizing sz;
    char err[512] = "";
    if (rec_preset_size(&p, budget, &cfg, &sz, err, sizeof(err))) fail_msg("%s", err);
    rec_model *a = NULL, *b = NULL;
    rec_preset_queries *q = NULL;
    if (rec_model_create(&cfg, REC_BACKEND_CPU, 5, &a, err, sizeof(err)) ||
        rec_model_create(&cfg, REC_BACKEND_CPU, 5, &b, err, sizeof(err)) ||
        rec_preset_queries_create(&p, &cfg, queries, candidates, 3, &q, err, sizeof(err)))
        fail_msg("%s: %s", name, err);
    const int32_t k = cfg.top_k, n = queries * k;
    int32_t *ia = malloc((size_t)n * sizeof(int32_t)), *ib = malloc((size_t)n * sizeof(int32_t));
    float *sa = malloc((size_t)n * sizeof(float)), *sb = malloc((size_t)n * sizeof(float));
    if (rec_preset_queries_run(a, q, k, ia, sa, err, sizeof(err))) fail_msg("%s: %s", name, err);
    if (rec_preset_queries_run(b, q, k, ib, sb, err, sizeof(err))) fail_msg("%s: %s", name, err);
    assert_memory_equal(ia, ib, (size_t)n * sizeof(int32_t));
    assert_memory_equal(sa, sb, (size_t)n * sizeof(float));
    if (rec_preset_queries_run(a, q, k, ib, sb, err, sizeof(err))) fail_msg("%s: %s", name, err);
    assert_memory_equal(ia, ib, (size_t)n * sizeof(int32_t));
    assert_memory_equal(sa, sb, (size_t)n * sizeof(float));
    const float *scores = rec_preset_queries_scores(q);
    for (int32_t i = 0; i < queries; i++) {
        for (int32_t j = 0; j < k; j++) {
            const int32_t id = ia[i * k + j];
            assert_true(id >= 0);
            assert_true(sa[i * k + j] > 0.0f && sa[i * k + j] < 1.0f);
            if (j) assert_true(sa[i * k + j] <= sa[i * k + j - 1]);
            if (!p.has_retrieval) {
                assert_true(id < candidates);
                assert_true(scores[i * candidates + id] == sa[i * k + j]);
            } else {
                assert_true(id < cfg.n_items);
            }
        }
    }
    free(ia);
    free(ib);
    free(sa);
    free(sb);
    rec_preset_queries_free(q);
    rec_model_free(a);
    rec_model_free(b);
}

static void test_rankings_deterministic(void **state) {
    (void)state;
    serve_twice("small", REC_PRESET_DEFAULT_BUDGET_BYTES, 3, 64);
    serve_twice("dlrm-v2", (int64_t)16 << 20, 2, 16);
    serve_twice("retrieval+ranking", (int64_t)136 << 20, 2, 32);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_preset_loads),
        cmocka_unit_test(test_small_is_the_default_model),
        cmocka_unit_test(test_dlrm_v2_shape),
        cmocka_unit_test(test_budget_scales_rows),
        cmocka_unit_test(test_bad_presets_name_path_and_reason),
        cmocka_unit_test(test_rankings_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
