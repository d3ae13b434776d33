/* Tests of models/model_state.c: deterministic tables and updates, Zipf
 * popularity of rows, dirty tracking and snapshots (full, incremental,
 * differential). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>

#include "models/backup_chain.h"
#include "models/model_state.h"

static mstate *new_state(const mstate_config *cfg) {
    char err[200] = "";
    mstate *ms = NULL;
    int rc = mstate_create(cfg, &ms, err, sizeof err);
    if (rc != MSTATE_OK) print_error("mstate_create: %s\n", err);
    assert_int_equal(rc, MSTATE_OK);
    return ms;
}

static gsl_rng *new_rng(unsigned long seed) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, seed);
    return r;
}

static void test_config_is_validated(void **state) {
    (void)state;
    char err[200] = "";
    mstate *ms = (mstate *)1;
    mstate_config cfg = mstate_config_default();
    cfg.rows = 0;
    assert_int_equal(mstate_create(&cfg, &ms, err, sizeof err), MSTATE_ERR_INVALID);
    assert_null(ms);
    assert_non_null(strstr(err, "model_state.rows"));

    cfg = mstate_config_default();
    cfg.zipf_exponent = -1.0;
    assert_int_equal(mstate_create(&cfg, &ms, err, sizeof err), MSTATE_ERR_INVALID);
    assert_non_null(strstr(err, "zipf_exponent"));

    cfg = mstate_config_default();
    cfg.update_scale = NAN;
    assert_int_equal(mstate_create(&cfg, &ms, err, sizeof err), MSTATE_ERR_INVALID);
    assert_int_equal(mstate_create(NULL, &ms, NULL, 0), MSTATE_ERR_INVALID);
}

static void test_shape_and_bytes(void **state) {
    (void)state;
    mstate_config cfg = mstate_config_default();
    mstate *ms = new_state(&cfg);
    assert_int_equal(mstate_n_tables(ms), 4);
    assert_int_equal(mstate_rows(ms), 4096);
    assert_int_equal(mstate_dim(ms), 16);
    assert_int_equal(mstate_bytes(ms), 4u * 4096u * 16u * sizeof(float));
    assert_int_equal(mstate_version(ms), 0);
    assert_int_equal(mstate_dirty_rows(ms), 0);
    assert_non_null(mstate_row(ms, 3, 4095));
    assert_null(mstate_row(ms, 4, 0));
    assert_null(mstate_row(ms, 0, 4096));
    /* Rows are contiguous dim-float vectors, row-major within a table. */
    assert_ptr_equal(mstate_row(ms, 1, 1), mstate_row(ms, 1, 0) + 16);
    for (uint32_t j = 0; j < 16; j++) assert_true(fabsf(mstate_row(ms, 2, 7)[j]) <= 0.05f);
    mstate_free(ms);
}

static void test_init_is_deterministic_for_a_seed(void **state) {
    (void)state;
    mstate_config cfg = mstate_config_default();
    cfg.seed = 42;
    mstate *a = new_state(&cfg), *b = new_state(&cfg);
    assert_true(mstate_equal(a, b));
    cfg.seed = 43;
    mstate *c = new_state(&cfg);
    assert_false(mstate_equal(a, c));
    /* Seeds that differ only in their high 32 bits still differ. */
    cfg.seed = 42 + (UINT64_C(1) << 40);
    mstate *d = new_state(&cfg);
    assert_false(mstate_equal(a, d));
    mstate_free(a);
    mstate_free(b);
    mstate_free(c);
    mstate_free(d);
}

static void test_updates_are_deterministic_for_a_seed(void **state) {
    (void)state;
    mstate_config cfg = mstate_config_default();
    mstate *a = new_state(&cfg), *b = new_state(&cfg), *c = new_state(&cfg);
    gsl_rng *ra = new_rng(7), *rb = new_rng(7), *rc = new_rng(8);
    /* Same total in different batch sizes: the stream of draws is the same. */
    mstate_apply_updates(a, ra, 5000, 1.0);
    mstate_apply_updates(a, ra, 5000, 2.0);
    mstate_apply_updates(b, rb, 10000, 2.0);
    mstate_apply_updates(c, rc, 10000, 2.0);
    assert_true(mstate_equal(a, b));
    assert_false(mstate_equal(a, c));
    assert_int_equal(mstate_version(a), 10000);
    assert_int_equal(mstate_version(b), 10000);
    assert_true(mstate_updated_at_s(a) == 2.0);
    assert_int_equal(mstate_dirty_rows(a), mstate_dirty_rows(b));
    assert_true(mstate_dirty_rows(a) > 0 && mstate_dirty_rows(a) < 10000);
    mstate_apply_updates(a, ra, 0, 9.0);
    assert_int_equal(mstate_version(a), 10000);
    assert_true(mstate_updated_at_s(a) == 2.0);
    gsl_rng_free(ra);
    gsl_rng_free(rb);
    gsl_rng_free(rc);
    mstate_free(a);
    mstate_free(b);
    mstate_free(c);
}

/* Which row one update touched, found by comparing with a copy: a touched
 * row gets a Gaussian nudge of 1e-3 per float, far above float rounding. */
static uint32_t touched_row(const mstate *ms, float *before, uint32_t rows) {
    uint32_t hit = rows;
    for (uint32_t r = 0; r < rows; r++) {
        float v = mstate_row(ms, 0, r)[0];
        if (v != before[r]) {
            assert_int_equal(hit, rows); /* exactly one row changes */
            hit = r;
            before[r] = v;
        }
    }
    assert_true(hit < rows);
    return hit;
}

/* Rows are drawn by P(k) ~ 1/(k+1)^1.05 (Zipf). Fixed seeds; 20000 draws over
 * 1024 rows of one table. Two checks:
 *  - row 0 is hit at least 20x as often as the median row 512 (expected
 *    ratio 513^1.05 ~ 700; the count of row 512 is Poisson with mean ~4, so
 *    20 * (count + 1) leaves a wide margin either way);
 *  - a chi-square goodness-of-fit test against the Zipf law over 12 bins
 *    (rows 0, 1, 2, 3, then [4,8), [8,16), ..., [512,1024)) is not rejected
 *    at p = 0.001, while the same counts reject a uniform law outright. */
static void test_zipf_rows_are_skewed(void **state) {
    (void)state;
    enum { ROWS = 1024, DRAWS = 20000, BINS = 12 };
    mstate_config cfg = mstate_config_default();
    cfg.n_tables = 1;
    cfg.rows = ROWS;
    cfg.dim = 1;
    cfg.zipf_exponent = 1.05;
    cfg.update_scale = 1.0; /* no nudge is lost to float rounding */
    mstate *ms = new_state(&cfg);
    gsl_rng *rng = new_rng(2024);
    float *before = malloc(ROWS * sizeof *before);
    unsigned *hits = calloc(ROWS, sizeof *hits);
    assert_non_null(before);
    assert_non_null(hits);
    for (uint32_t r = 0; r < ROWS; r++) before[r] = mstate_row(ms, 0, r)[0];
    for (int i = 0; i < DRAWS; i++) {
        mstate_apply_updates(ms, rng, 1, (double)i);
        hits[touched_row(ms, before, ROWS)]++;
    }
    assert_true(hits[0] >= 20u * (hits[ROWS / 2] + 1u));

    double p[ROWS], norm = 0.0;
    for (int k = 0; k < ROWS; k++) norm += p[k] = pow(k + 1.0, -1.05);
    int lo[BINS], hi[BINS];
    for (int b = 0; b < 4; b++) lo[b] = b, hi[b] = b + 1;
    for (int b = 4; b < BINS; b++) lo[b] = 1 << (b - 2), hi[b] = 1 << (b - 1);
    assert_int_equal(hi[BINS - 1], ROWS);
    double chi2_zipf = 0.0, chi2_uniform = 0.0;
    for (int b = 0; b < BINS; b++) {
        double obs = 0.0, pz = 0.0;
        for (int k = lo[b]; k < hi[b]; k++) obs += hits[k], pz += p[k] / norm;
        double ez = pz * DRAWS, eu = (double)(hi[b] - lo[b]) / ROWS * DRAWS;
        chi2_zipf += (obs - ez) * (obs - ez) / ez;
        chi2_uniform += (obs - eu) * (obs - eu) / eu;
    }
    double critical = gsl_cdf_chisq_Qinv(0.001, BINS - 1);
    print_message("zipf: row0=%u row512=%u chi2(zipf)=%.1f chi2(uniform)=%.0f critical=%.1f\n", hits[0], hits[ROWS / 2],
                  chi2_zipf, chi2_uniform, critical);
    assert_true(chi2_zipf < critical);
    assert_true(chi2_uniform > 100.0 * critical);

    free(before);
    free(hits);
    gsl_rng_free(rng);
    mstate_free(ms);
}

/* The rows of `ms` whose floats differ from `ref`: the reference set of rows
 * an online trainer touched, found without looking at the dirty bitmap. */
static uint64_t changed_rows(const mstate *ms, const mstate *ref, unsigned char *mark) {
    uint64_t n = 0;
    const uint32_t dim = mstate_dim(ms);
    for (uint32_t t = 0; t < mstate_n_tables(ms); t++)
        for (uint32_t r = 0; r < mstate_rows(ms); r++) {
            size_t i = (size_t)t * mstate_rows(ms) + r;
            mark[i] = memcmp(mstate_row(ms, t, r), mstate_row(ref, t, r), dim * sizeof(float)) != 0;
            n += mark[i];
        }
    return n;
}

static void check_increment_carries_exactly(const mstate *ms, const mstate *ref, const bchain_backup *b) {
    const size_t n_rows = (size_t)mstate_n_tables(ms) * mstate_rows(ms);
    unsigned char *mark = calloc(n_rows, 1), *seen = calloc(n_rows, 1);
    assert_non_null(mark);
    assert_non_null(seen);
    uint64_t expected = changed_rows(ms, ref, mark);
    const bchain_header *h = bchain_backup_header(b);
    assert_int_equal(h->kind, BCHAIN_INCREMENTAL);
    assert_int_equal(h->n_entries, expected);
    for (uint64_t i = 0; i < h->n_entries; i++) {
        uint32_t t, r;
        const void *data;
        assert_int_equal(bchain_backup_get_entry(b, i, &t, &r, &data), BCHAIN_OK);
        size_t idx = (size_t)t * mstate_rows(ms) + r;
        assert_true(mark[idx]);
        assert_false(seen[idx]);
        seen[idx] = 1;
        assert_memory_equal(data, mstate_row(ms, t, r), mstate_dim(ms) * sizeof(float));
    }
    free(mark);
    free(seen);
}

static void test_dirty_rows_and_increments(void **state) {
    (void)state;
    char err[200] = "";
    mstate_config cfg = mstate_config_default();
    mstate *ms = new_state(&cfg);
    gsl_rng *rng = new_rng(11);
    bchain_backup *b = NULL;

    /* No base yet: an incremental has nothing to follow. */
    mstate_apply_updates(ms, rng, 100, 1.0);
    assert_int_equal(mstate_snapshot(ms, BCHAIN_INCREMENTAL, 1.0, &b, err, sizeof err), MSTATE_ERR_NO_BASE);
    assert_null(b);

    assert_int_equal(mstate_snapshot(ms, BCHAIN_FULL, 1.0, &b, err, sizeof err), MSTATE_OK);
    const bchain_header *h = bchain_backup_header(b);
    assert_int_equal(h->kind, BCHAIN_FULL);
    assert_int_equal(h->n_entries, 4u * 4096u);
    assert_int_equal(h->version, 100);
    assert_true(bchain_backup_bytes(b) > mstate_bytes(ms));
    assert_int_equal(bchain_backup_verify(b), BCHAIN_OK);
    assert_int_equal(mstate_dirty_rows(ms), 0);
    bchain_backup_free(b);

    mstate *ref = NULL;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(mstate_clone(ms, &ref, err, sizeof err), MSTATE_OK);
        mstate_apply_updates(ms, rng, 3000, 10.0 + round);
        const size_t n_rows = 4u * 4096u;
        unsigned char *mark = calloc(n_rows, 1);
        assert_non_null(mark);
        uint64_t expected = changed_rows(ms, ref, mark);
        assert_int_equal(mstate_dirty_rows(ms), expected);
        for (uint32_t t = 0; t < 4; t++)
            for (uint32_t r = 0; r < 4096; r++)
                assert_int_equal(mstate_row_dirty(ms, t, r), mark[(size_t)t * 4096 + r]);
        free(mark);
        /* Zipf: far fewer distinct rows than updates. */
        assert_true(expected > 0 && expected < 3000);

        uint64_t parent = mstate_version(ms) - 3000;
        assert_int_equal(mstate_snapshot(ms, BCHAIN_INCREMENTAL, 10.5 + round, &b, err, sizeof err), MSTATE_OK);
        assert_int_equal(bchain_backup_header(b)->parent_version, parent);
        assert_int_equal(bchain_backup_header(b)->version, mstate_version(ms));
        check_increment_carries_exactly(ms, ref, b);
        assert_int_equal(mstate_dirty_rows(ms), 0);
        bchain_backup_free(b);
        mstate_free(ref);
    }

    /* With no update since, an incremental is empty but still a valid blob. */
    assert_int_equal(mstate_snapshot(ms, BCHAIN_INCREMENTAL, 20.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_backup_header(b)->n_entries, 0);
    assert_int_equal(bchain_backup_verify(b), BCHAIN_OK);
    assert_true(bchain_backup_bytes(b) > 0);
    bchain_backup_free(b);
    gsl_rng_free(rng);
    mstate_free(ms);
}

static void test_clone_is_deep(void **state) {
    (void)state;
    char err[200] = "";
    mstate_config cfg = mstate_config_default();
    mstate *ms = new_state(&cfg), *copy = NULL;
    gsl_rng *rng = new_rng(3);
    mstate_apply_updates(ms, rng, 500, 4.0);
    assert_int_equal(mstate_clone(ms, &copy, err, sizeof err), MSTATE_OK);
    assert_true(mstate_equal(ms, copy));
    assert_int_equal(mstate_version(copy), 500);
    assert_int_equal(mstate_dirty_rows(copy), mstate_dirty_rows(ms));
    assert_true(mstate_updated_at_s(copy) == 4.0);
    mstate_apply_updates(ms, rng, 1, 5.0);
    assert_false(mstate_equal(ms, copy));
    assert_int_equal(mstate_version(copy), 500);
    gsl_rng_free(rng);
    mstate_free(ms);
    mstate_free(copy);
}

static void test_load_backup_checks_before_writing(void **state) {
    (void)state;
    char err[200] = "";
    mstate_config cfg = mstate_config_default();
    mstate *ms = new_state(&cfg);
    gsl_rng *rng = new_rng(5);
    bchain_backup *full = NULL, *inc = NULL;
    mstate_apply_updates(ms, rng, 200, 1.0);
    assert_int_equal(mstate_snapshot(ms, BCHAIN_FULL, 1.0, &full, err, sizeof err), MSTATE_OK);
    mstate_apply_updates(ms, rng, 200, 2.0);
    assert_int_equal(mstate_snapshot(ms, BCHAIN_INCREMENTAL, 2.0, &inc, err, sizeof err), MSTATE_OK);

    /* Another shape is refused. */
    mstate_config small = cfg;
    small.rows = 1024;
    mstate *other = new_state(&small);
    assert_int_equal(mstate_load_backup(other, full, err, sizeof err), MSTATE_ERR_SHAPE);
    assert_non_null(strstr(err, "does not fit"));

    /* An incremental on a state at another version is refused, unchanged. */
    cfg.seed = 99;
    mstate *fresh = new_state(&cfg), *pristine = new_state(&cfg);
    assert_int_equal(mstate_load_backup(fresh, inc, err, sizeof err), MSTATE_ERR_LINK);
    assert_true(mstate_equal(fresh, pristine));
    assert_int_equal(mstate_version(fresh), 0);

    /* Full then incremental rebuilds the live state, version and time. */
    assert_int_equal(mstate_load_backup(fresh, full, err, sizeof err), MSTATE_OK);
    assert_int_equal(mstate_version(fresh), 200);
    assert_int_equal(mstate_load_backup(fresh, inc, err, sizeof err), MSTATE_OK);
    assert_true(mstate_equal(fresh, ms));
    assert_int_equal(mstate_version(fresh), 400);
    assert_true(mstate_updated_at_s(fresh) == 2.0);
    assert_int_equal(mstate_dirty_rows(fresh), 0);

    bchain_backup_free(full);
    bchain_backup_free(inc);
    gsl_rng_free(rng);
    mstate_free(ms);
    mstate_free(other);
    mstate_free(fresh);
    mstate_free(pristine);
}

/* The (table, row) set a backup carries, as marks over all rows; asserts no
 * row twice and the data equal to `ms`'s rows. Returns the entry count. */
static uint64_t backup_rows(const bchain_backup *b, const mstate *ms, unsigned char *mark) {
    const size_t n_rows = (size_t)mstate_n_tables(ms) * mstate_rows(ms);
    memset(mark, 0, n_rows);
    const bchain_header *h = bchain_backup_header(b);
    for (uint64_t i = 0; i < h->n_entries; i++) {
        uint32_t t, r;
        const void *data;
        assert_int_equal(bchain_backup_get_entry(b, i, &t, &r, &data), BCHAIN_OK);
        size_t idx = (size_t)t * mstate_rows(ms) + r;
        assert_false(mark[idx]);
        mark[idx] = 1;
        assert_memory_equal(data, mstate_row(ms, t, r), mstate_dim(ms) * sizeof(float));
    }
    return h->n_entries;
}

/* A differential carries exactly the rows changed since the full (found by
 * comparing floats with a copy taken at the full), grows as rows are touched,
 * and holds every row the incremental taken at the same moment would. Taking
 * differentials and incrementals on one state: neither disturbs the other's
 * rows. */
static void test_differential_carries_rows_since_full(void **state) {
    (void)state;
    char err[200] = "";
    mstate_config cfg = mstate_config_default();
    mstate *ms = new_state(&cfg), *at_full = NULL, *twin = NULL;
    gsl_rng *rng = new_rng(17);
    bchain_backup *b = NULL, *inc = NULL;
    const size_t n_rows = 4u * 4096u;
    unsigned char *changed = calloc(n_rows, 1), *carried = calloc(n_rows, 1), *inc_rows = calloc(n_rows, 1);
    assert_non_null(changed);
    assert_non_null(carried);
    assert_non_null(inc_rows);

    /* No full yet: no differential, even with a fresh state's version 0. */
    assert_int_equal(mstate_snapshot(ms, BCHAIN_DIFFERENTIAL, 0.0, &b, err, sizeof err), MSTATE_ERR_NO_BASE);
    assert_null(b);
    assert_non_null(strstr(err, "full"));
    mstate_apply_updates(ms, rng, 500, 1.0);
    assert_int_equal(mstate_dirty_rows_since_full(ms), mstate_dirty_rows(ms));
    assert_int_equal(mstate_snapshot(ms, BCHAIN_DIFFERENTIAL, 1.0, &b, err, sizeof err), MSTATE_ERR_NO_BASE);

    assert_int_equal(mstate_snapshot(ms, BCHAIN_FULL, 1.0, &b, err, sizeof err), MSTATE_OK);
    const uint64_t full_version = mstate_version(ms);
    bchain_backup_free(b);
    assert_int_equal(mstate_dirty_rows(ms), 0);
    assert_int_equal(mstate_dirty_rows_since_full(ms), 0);
    assert_int_equal(mstate_clone(ms, &at_full, err, sizeof err), MSTATE_OK);

    uint64_t prev_entries = 0;
    for (int round = 0; round < 4; round++) {
        mstate_apply_updates(ms, rng, 2000, 10.0 + round);
        uint64_t expected = changed_rows(ms, at_full, changed);
        assert_int_equal(mstate_dirty_rows_since_full(ms), expected);
        for (uint32_t t = 0; t < 4; t++)
            for (uint32_t r = 0; r < 4096; r++)
                assert_int_equal(mstate_row_dirty_since_full(ms, t, r), changed[(size_t)t * 4096 + r]);

        /* The incremental the same state would give, taken on a twin. */
        assert_int_equal(mstate_clone(ms, &twin, err, sizeof err), MSTATE_OK);
        assert_int_equal(mstate_snapshot(twin, BCHAIN_INCREMENTAL, 10.5 + round, &inc, err, sizeof err), MSTATE_OK);

        /* Odd rounds take an incremental first: it must not shrink the next
         * differential. */
        if (round % 2) {
            bchain_backup *extra = NULL;
            assert_int_equal(mstate_snapshot(ms, BCHAIN_INCREMENTAL, 10.5 + round, &extra, err, sizeof err), MSTATE_OK);
            bchain_backup_free(extra);
            assert_int_equal(mstate_dirty_rows(ms), 0);
            assert_int_equal(mstate_dirty_rows_since_full(ms), expected);
        }
        assert_int_equal(mstate_snapshot(ms, BCHAIN_DIFFERENTIAL, 10.5 + round, &b, err, sizeof err), MSTATE_OK);
        const bchain_header *h = bchain_backup_header(b);
        assert_int_equal(h->kind, BCHAIN_DIFFERENTIAL);
        assert_int_equal(h->parent_version, full_version);
        assert_int_equal(h->version, mstate_version(ms));
        assert_int_equal(bchain_backup_verify(b), BCHAIN_OK);
        assert_int_equal(backup_rows(b, ms, carried), expected);
        assert_memory_equal(carried, changed, n_rows);
        assert_true(h->n_entries > prev_entries); /* 2000 more Zipf updates touch some new row */
        prev_entries = h->n_entries;

        /* Never smaller than the incremental: every row it carries is here. */
        uint64_t n_inc = backup_rows(inc, twin, inc_rows);
        assert_true(n_inc <= h->n_entries);
        for (size_t i = 0; i < n_rows; i++)
            if (inc_rows[i]) assert_true(carried[i]);
        if (round > 0) assert_true(n_inc < h->n_entries);

        /* A differential clears the since-previous rows, not the since-full ones. */
        assert_int_equal(mstate_dirty_rows(ms), 0);
        assert_int_equal(mstate_dirty_rows_since_full(ms), expected);
        bchain_backup_free(b);
        bchain_backup_free(inc);
        mstate_free(twin);
    }

    /* A full starts over: both bitmaps clear, differentials follow it. */
    assert_int_equal(mstate_snapshot(ms, BCHAIN_FULL, 20.0, &b, err, sizeof err), MSTATE_OK);
    bchain_backup_free(b);
    assert_int_equal(mstate_dirty_rows_since_full(ms), 0);
    assert_int_equal(mstate_snapshot(ms, BCHAIN_DIFFERENTIAL, 21.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_backup_header(b)->n_entries, 0);
    assert_int_equal(bchain_backup_header(b)->parent_version, mstate_version(ms));
    bchain_backup_free(b);

    free(changed);
    free(carried);
    free(inc_rows);
    gsl_rng_free(rng);
    mstate_free(ms);
    mstate_free(at_full);
}

/* Full + differential rebuilds the state bitwise; afterwards the restored
 * state's since-full rows are the differential's, so a differential taken on
 * it after the same updates is byte for byte the one the live state gives. */
static void test_load_differential(void **state) {
    (void)state;
    char err[200] = "";
    mstate_config cfg = mstate_config_default();
    mstate *ms = new_state(&cfg);
    gsl_rng *rng = new_rng(23);
    bchain_backup *full = NULL, *d1 = NULL, *d2 = NULL;
    mstate_apply_updates(ms, rng, 300, 1.0);
    assert_int_equal(mstate_snapshot(ms, BCHAIN_FULL, 1.0, &full, err, sizeof err), MSTATE_OK);
    mstate_apply_updates(ms, rng, 3000, 2.0);
    assert_int_equal(mstate_snapshot(ms, BCHAIN_DIFFERENTIAL, 2.0, &d1, err, sizeof err), MSTATE_OK);
    mstate_apply_updates(ms, rng, 3000, 3.0);
    assert_int_equal(mstate_snapshot(ms, BCHAIN_DIFFERENTIAL, 3.0, &d2, err, sizeof err), MSTATE_OK);

    /* Not on the full's version: refused, unchanged. d2 does not follow d1. */
    cfg.seed = 99;
    mstate *fresh = new_state(&cfg), *pristine = new_state(&cfg);
    assert_int_equal(mstate_load_backup(fresh, d2, err, sizeof err), MSTATE_ERR_LINK);
    assert_non_null(strstr(err, "differential"));
    assert_true(mstate_equal(fresh, pristine));
    assert_int_equal(mstate_load_backup(fresh, full, err, sizeof err), MSTATE_OK);
    assert_int_equal(mstate_load_backup(fresh, d1, err, sizeof err), MSTATE_OK);
    assert_int_equal(mstate_load_backup(fresh, d2, err, sizeof err), MSTATE_ERR_LINK);

    /* Full + newest differential alone: the live state at d2. */
    assert_int_equal(mstate_load_backup(fresh, full, err, sizeof err), MSTATE_OK);
    assert_int_equal(mstate_dirty_rows_since_full(fresh), 0);
    assert_int_equal(mstate_load_backup(fresh, d2, err, sizeof err), MSTATE_OK);
    assert_true(mstate_equal(fresh, ms));
    assert_int_equal(mstate_version(fresh), mstate_version(ms));
    assert_true(mstate_updated_at_s(fresh) == 3.0);
    assert_int_equal(mstate_dirty_rows(fresh), 0);
    assert_int_equal(mstate_dirty_rows_since_full(fresh), bchain_backup_header(d2)->n_entries);
    assert_int_equal(mstate_dirty_rows_since_full(fresh), mstate_dirty_rows_since_full(ms));
    for (uint32_t t = 0; t < 4; t++)
        for (uint32_t r = 0; r < 4096; r++)
            assert_int_equal(mstate_row_dirty_since_full(fresh, t, r), mstate_row_dirty_since_full(ms, t, r));

    /* The same updates on both: the next differentials are identical blobs. */
    gsl_rng *ra = new_rng(31), *rb = new_rng(31);
    mstate_apply_updates(ms, ra, 2000, 4.0);
    mstate_apply_updates(fresh, rb, 2000, 4.0);
    bchain_backup *live_d = NULL, *rest_d = NULL;
    assert_int_equal(mstate_snapshot(ms, BCHAIN_DIFFERENTIAL, 4.0, &live_d, err, sizeof err), MSTATE_OK);
    assert_int_equal(mstate_snapshot(fresh, BCHAIN_DIFFERENTIAL, 4.0, &rest_d, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_backup_bytes(live_d), bchain_backup_bytes(rest_d));
    assert_int_equal(bchain_backup_checksum(live_d), bchain_backup_checksum(rest_d));
    assert_int_equal(bchain_backup_header(rest_d)->parent_version, bchain_backup_header(full)->version);
    assert_true(bchain_backup_header(rest_d)->n_entries > bchain_backup_header(d2)->n_entries);

    /* Full + that differential gives the live state again. */
    assert_int_equal(mstate_load_backup(pristine, full, err, sizeof err), MSTATE_OK);
    assert_int_equal(mstate_load_backup(pristine, rest_d, err, sizeof err), MSTATE_OK);
    assert_true(mstate_equal(pristine, ms));

    bchain_backup_free(full);
    bchain_backup_free(d1);
    bchain_backup_free(d2);
    bchain_backup_free(live_d);
    bchain_backup_free(rest_d);
    gsl_rng_free(rng);
    gsl_rng_free(ra);
    gsl_rng_free(rb);
    mstate_free(ms);
    mstate_free(fresh);
    mstate_free(pristine);
}

/* Loading incrementals adds their rows to the since-full ones: a
 * differential taken after a full + incrementals restore is still exact. */
static void test_load_incrementals_then_differential(void **state) {
    (void)state;
    char err[200] = "";
    mstate_config cfg = mstate_config_default();
    mstate *ms = new_state(&cfg);
    gsl_rng *rng = new_rng(29);
    bchain_backup *full = NULL, *i1 = NULL, *i2 = NULL;
    assert_int_equal(mstate_snapshot(ms, BCHAIN_FULL, 1.0, &full, err, sizeof err), MSTATE_OK);
    mstate_apply_updates(ms, rng, 2000, 2.0);
    assert_int_equal(mstate_snapshot(ms, BCHAIN_INCREMENTAL, 2.0, &i1, err, sizeof err), MSTATE_OK);
    mstate_apply_updates(ms, rng, 2000, 3.0);
    assert_int_equal(mstate_snapshot(ms, BCHAIN_INCREMENTAL, 3.0, &i2, err, sizeof err), MSTATE_OK);

    cfg.seed = 5;
    mstate *fresh = new_state(&cfg);
    assert_int_equal(mstate_load_backup(fresh, full, err, sizeof err), MSTATE_OK);
    assert_int_equal(mstate_load_backup(fresh, i1, err, sizeof err), MSTATE_OK);
    assert_int_equal(mstate_load_backup(fresh, i2, err, sizeof err), MSTATE_OK);
    assert_true(mstate_equal(fresh, ms));
    assert_int_equal(mstate_dirty_rows_since_full(fresh), mstate_dirty_rows_since_full(ms));
    bchain_backup *a = NULL, *b = NULL;
    assert_int_equal(mstate_snapshot(ms, BCHAIN_DIFFERENTIAL, 4.0, &a, err, sizeof err), MSTATE_OK);
    assert_int_equal(mstate_snapshot(fresh, BCHAIN_DIFFERENTIAL, 4.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_backup_checksum(a), bchain_backup_checksum(b));
    bchain_backup_free(full);
    bchain_backup_free(i1);
    bchain_backup_free(i2);
    bchain_backup_free(a);
    bchain_backup_free(b);
    gsl_rng_free(rng);
    mstate_free(ms);
    mstate_free(fresh);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_is_validated),
        cmocka_unit_test(test_shape_and_bytes),
        cmocka_unit_test(test_init_is_deterministic_for_a_seed),
        cmocka_unit_test(test_updates_are_deterministic_for_a_seed),
        cmocka_unit_test(test_zipf_rows_are_skewed),
        cmocka_unit_test(test_dirty_rows_and_increments),
        cmocka_unit_test(test_clone_is_deep),
        cmocka_unit_test(test_load_backup_checks_before_writing),
        cmocka_unit_test(test_differential_carries_rows_since_full),
        cmocka_unit_test(test_load_differential),
        cmocka_unit_test(test_load_incrementals_then_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
