/* Tests of models/backup_chain.c: restores from full + incremental and full +
 * differential backups, silent corruption and broken links, in-flight
 * transfers, retention. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "models/backup_chain.h"
#include "models/model_state.h"

enum { MAX_BACKUPS = 16 };

/* A live state under training, the chain its backups go to, and a copy of
 * the live state at each backup: what a perfect restore must give back. */
typedef struct history {
    mstate *live;
    bchain *chain;
    gsl_rng *rng;
    int n;
    uint64_t id[MAX_BACKUPS];
    double taken_s[MAX_BACKUPS];
    uint64_t bytes[MAX_BACKUPS];
    mstate *at[MAX_BACKUPS];
} history;

static mstate_config small_config(void) {
    mstate_config cfg = mstate_config_default();
    cfg.rows = 1024; /* 4 x 1024 x 16 floats: 256 KiB, fast under ASan */
    return cfg;
}

static int setup(void **state) {
    history *h = calloc(1, sizeof *h);
    if (!h) return -1;
    mstate_config cfg = small_config();
    h->chain = bchain_create();
    h->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!h->chain || !h->rng || mstate_create(&cfg, &h->live, NULL, 0) != MSTATE_OK) return -1;
    gsl_rng_set(h->rng, 12345);
    *state = h;
    return 0;
}

static int teardown(void **state) {
    history *h = *state;
    for (int i = 0; i < h->n; i++) mstate_free(h->at[i]);
    mstate_free(h->live);
    bchain_free(h->chain);
    gsl_rng_free(h->rng);
    free(h);
    return 0;
}

/* Trains 2000 updates, then takes a backup at t_s and appends it; its
 * transfer completes after transfer_s, or never when transfer_s < 0.
 * Returns the backup's index in the history. */
static int take(history *h, bchain_kind kind, double t_s, double transfer_s) {
    char err[200] = "";
    assert_true(h->n < MAX_BACKUPS);
    mstate_apply_updates(h->live, h->rng, 2000, t_s - 0.5);
    bchain_backup *b = NULL;
    assert_int_equal(mstate_snapshot(h->live, kind, t_s, &b, err, sizeof err), MSTATE_OK);
    int i = h->n++;
    h->taken_s[i] = t_s;
    h->bytes[i] = bchain_backup_bytes(b);
    int rc = bchain_append(h->chain, b, &h->id[i], err, sizeof err);
    if (rc != BCHAIN_OK) print_error("bchain_append: %s\n", err);
    assert_int_equal(rc, BCHAIN_OK);
    if (transfer_s >= 0)
        assert_int_equal(bchain_complete(h->chain, h->id[i], t_s + transfer_s, err, sizeof err), BCHAIN_OK);
    assert_int_equal(mstate_clone(h->live, &h->at[i], err, sizeof err), MSTATE_OK);
    return i;
}

/* A state of the same shape but other values, so that a restore that wrote
 * nothing cannot pass for a good one. */
static mstate *blank_target(void) {
    mstate_config cfg = small_config();
    cfg.seed = 777;
    mstate *ms = NULL;
    assert_int_equal(mstate_create(&cfg, &ms, NULL, 0), MSTATE_OK);
    return ms;
}

static void corrupt(history *h, int i) {
    char err[200] = "";
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 99 + (unsigned long)i);
    assert_int_equal(bchain_corrupt(h->chain, h->id[i], r, err, sizeof err), BCHAIN_OK);
    gsl_rng_free(r);
    assert_int_equal(bchain_verify(h->chain, h->id[i]), BCHAIN_ERR_CHECKSUM);
}

static void assert_restored_to(const history *h, const mstate *target, const bchain_restore_result *res, int i) {
    assert_true(mstate_equal(target, h->at[i]));
    assert_int_equal(mstate_version(target), mstate_version(h->at[i]));
    assert_int_equal(res->version, mstate_version(h->at[i]));
    assert_true(res->recovery_point_s == h->taken_s[i]);
    assert_int_equal(res->last_id, h->id[i]);
    assert_true(mstate_updated_at_s(target) == mstate_updated_at_s(h->at[i]));
}

static void test_full_plus_increments_restore_exactly(void **state) {
    history *h = *state;
    char err[200] = "";
    take(h, BCHAIN_FULL, 10.0, 2.0);
    for (int k = 1; k <= 4; k++) take(h, BCHAIN_INCREMENTAL, 10.0 + 10.0 * k, 1.0);

    mstate *target = blank_target();
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 4);
    assert_int_equal(res.full_id, h->id[0]);
    assert_int_equal(res.n_applied, 5);
    assert_int_equal(res.n_corrupt, 0);
    assert_false(res.broken_link);
    uint64_t sum = 0;
    for (int i = 0; i < 5; i++) sum += h->bytes[i];
    assert_int_equal(res.bytes_read, sum);
    assert_int_equal(bchain_bytes_stored(h->chain), sum);
    /* Increments are far smaller than the full: Zipf keeps the dirty set small. */
    assert_true(h->bytes[1] < h->bytes[0] / 2);

    /* As of t = 31.5 the increment taken at 30 s (completed at 31 s) is the
     * newest one available. */
    mstate *target2 = blank_target();
    assert_int_equal(bchain_restore(h->chain, 31.5, target2, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target2, &res, 2);
    assert_int_equal(res.n_applied, 3);
    mstate_free(target);
    mstate_free(target2);
}

static void test_corrupt_increment_is_a_broken_link(void **state) {
    history *h = *state;
    char err[200] = "";
    take(h, BCHAIN_FULL, 10.0, 1.0);
    take(h, BCHAIN_INCREMENTAL, 20.0, 1.0);
    take(h, BCHAIN_INCREMENTAL, 30.0, 1.0);
    take(h, BCHAIN_INCREMENTAL, 40.0, 1.0);
    take(h, BCHAIN_INCREMENTAL, 50.0, 1.0);
    corrupt(h, 2);

    bchain_info info;
    assert_int_equal(bchain_info_of(h->chain, h->id[2], &info), BCHAIN_OK);
    assert_true(info.corrupt);
    assert_int_equal(info.parent_id, h->id[1]);
    for (int i = 0; i < 5; i++)
        if (i != 2) assert_int_equal(bchain_verify(h->chain, h->id[i]), BCHAIN_OK);

    mstate *target = blank_target();
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 1);
    assert_true(res.recovery_point_s == 20.0);
    assert_int_equal(res.n_applied, 2);
    assert_int_equal(res.n_corrupt, 1);
    assert_true(res.broken_link);
    /* It read up to and including the broken link, nothing after it. */
    assert_int_equal(res.bytes_read, h->bytes[0] + h->bytes[1] + h->bytes[2]);

    /* The restored state is not the chain's newest: an incremental taken on
     * it does not link to the chain, a full does. */
    bchain_backup *b = NULL;
    mstate_apply_updates(target, h->rng, 10, 60.0);
    assert_int_equal(mstate_snapshot(target, BCHAIN_INCREMENTAL, 60.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_append(h->chain, b, NULL, err, sizeof err), BCHAIN_ERR_LINK);
    bchain_backup_free(b);
    assert_int_equal(mstate_snapshot(target, BCHAIN_FULL, 61.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_append(h->chain, b, NULL, err, sizeof err), BCHAIN_OK);
    mstate_free(target);
}

static void test_corrupt_full_falls_back_to_previous_chain(void **state) {
    history *h = *state;
    char err[200] = "";
    take(h, BCHAIN_FULL, 10.0, 1.0);
    take(h, BCHAIN_INCREMENTAL, 20.0, 1.0);
    take(h, BCHAIN_INCREMENTAL, 30.0, 1.0);
    take(h, BCHAIN_FULL, 40.0, 1.0);
    take(h, BCHAIN_INCREMENTAL, 50.0, 1.0);
    corrupt(h, 3);

    mstate *target = blank_target();
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 2);
    assert_int_equal(res.full_id, h->id[0]);
    assert_int_equal(res.n_applied, 3);
    assert_int_equal(res.n_corrupt, 1);
    assert_false(res.broken_link);
    assert_int_equal(res.bytes_read, h->bytes[3] + h->bytes[0] + h->bytes[1] + h->bytes[2]);

    /* Every full corrupt: nothing valid, the target is left as it was. */
    corrupt(h, 0);
    mstate *target2 = blank_target(), *pristine = blank_target();
    int rc = bchain_restore(h->chain, 1000.0, target2, &res, err, sizeof err);
    assert_int_equal(rc, BCHAIN_ERR_NO_BACKUP);
    assert_non_null(strstr(err, "no completed full backup"));
    assert_int_equal(res.n_corrupt, 2);
    assert_int_equal(res.n_applied, 0);
    assert_true(mstate_equal(target2, pristine));
    assert_int_equal(mstate_version(target2), 0);
    mstate_free(target);
    mstate_free(target2);
    mstate_free(pristine);
}

static void test_in_flight_backups_are_not_used(void **state) {
    history *h = *state;
    char err[200] = "";
    take(h, BCHAIN_FULL, 10.0, 5.0);         /* completes at 15 s */
    take(h, BCHAIN_INCREMENTAL, 20.0, 1.0);  /* 21 s */
    take(h, BCHAIN_INCREMENTAL, 30.0, -1.0); /* still in flight */
    take(h, BCHAIN_INCREMENTAL, 40.0, 1.0);  /* 41 s, but follows the one in flight */
    take(h, BCHAIN_FULL, 50.0, -1.0);        /* in flight */
    take(h, BCHAIN_INCREMENTAL, 60.0, 1.0);

    mstate *target = blank_target();
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 1);
    assert_int_equal(res.full_id, h->id[0]);
    assert_int_equal(res.n_applied, 2);
    assert_false(res.broken_link);

    /* Completed later than as_of_s counts as in flight too. */
    assert_int_equal(bchain_restore(h->chain, 20.5, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 0);
    mstate *target2 = blank_target();
    assert_int_equal(bchain_restore(h->chain, 14.9, target2, &res, err, sizeof err), BCHAIN_ERR_NO_BACKUP);

    /* Once the newest full lands, it is the one restored from. */
    assert_int_equal(bchain_complete(h->chain, h->id[4], 70.0, err, sizeof err), BCHAIN_OK);
    assert_int_equal(bchain_restore(h->chain, 1000.0, target2, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target2, &res, 5);
    assert_int_equal(res.full_id, h->id[4]);
    mstate_free(target);
    mstate_free(target2);
}

static void test_retention_drops_old_chains(void **state) {
    history *h = *state;
    char err[200] = "";
    for (int k = 0; k < 3; k++) {
        take(h, BCHAIN_FULL, 100.0 * k + 10.0, 1.0);
        take(h, BCHAIN_INCREMENTAL, 100.0 * k + 20.0, 1.0);
        take(h, BCHAIN_INCREMENTAL, 100.0 * k + 30.0, 1.0);
    }
    take(h, BCHAIN_FULL, 310.0, -1.0); /* in flight: does not count */
    assert_int_equal(bchain_count(h->chain), 10);
    const uint64_t before = bchain_bytes_stored(h->chain);
    const uint64_t first_chain = h->bytes[0] + h->bytes[1] + h->bytes[2];

    size_t dropped = 99;
    uint64_t stored = 0;
    assert_int_equal(bchain_apply_retention(h->chain, 0, &dropped, &stored, err, sizeof err), BCHAIN_ERR_INVALID);
    assert_int_equal(bchain_apply_retention(h->chain, 5, &dropped, &stored, err, sizeof err), BCHAIN_OK);
    assert_int_equal(dropped, 0);
    assert_int_equal(stored, before);

    assert_int_equal(bchain_apply_retention(h->chain, 2, &dropped, &stored, err, sizeof err), BCHAIN_OK);
    assert_int_equal(dropped, 3);
    assert_int_equal(stored, before - first_chain);
    assert_int_equal(bchain_bytes_stored(h->chain), stored);
    assert_int_equal(bchain_count(h->chain), 7);
    bchain_info info;
    assert_int_equal(bchain_info_at(h->chain, 0, &info), BCHAIN_OK);
    assert_int_equal(info.id, h->id[3]);
    assert_int_equal(info.header.kind, BCHAIN_FULL);
    assert_int_equal(bchain_verify(h->chain, h->id[0]), BCHAIN_ERR_NOT_FOUND);

    /* Keeping one: the newest completed full and what follows it. */
    assert_int_equal(bchain_apply_retention(h->chain, 1, &dropped, &stored, err, sizeof err), BCHAIN_OK);
    assert_int_equal(dropped, 3);
    assert_int_equal(bchain_count(h->chain), 4);
    uint64_t rest = h->bytes[6] + h->bytes[7] + h->bytes[8] + h->bytes[9];
    assert_int_equal(stored, rest);

    mstate *target = blank_target();
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 8);
    assert_int_equal(res.full_id, h->id[6]);
    mstate_free(target);
}

static void test_append_and_complete_are_checked(void **state) {
    history *h = *state;
    char err[200] = "";
    bchain_backup *b = NULL;

    /* An incremental cannot start a chain. */
    mstate *other = blank_target();
    assert_int_equal(mstate_snapshot(other, BCHAIN_FULL, 1.0, &b, err, sizeof err), MSTATE_OK);
    bchain_backup_free(b);
    assert_int_equal(mstate_snapshot(other, BCHAIN_INCREMENTAL, 2.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_append(h->chain, b, NULL, err, sizeof err), BCHAIN_ERR_LINK);
    bchain_backup_free(b);
    mstate_free(other);

    int i = take(h, BCHAIN_FULL, 10.0, -1.0);
    /* Time order. */
    assert_int_equal(mstate_snapshot(h->live, BCHAIN_FULL, 5.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_append(h->chain, b, NULL, err, sizeof err), BCHAIN_ERR_INVALID);
    assert_non_null(strstr(err, "precedes"));
    bchain_backup_free(b);

    assert_int_equal(bchain_complete(h->chain, h->id[i], 9.0, err, sizeof err), BCHAIN_ERR_INVALID);
    assert_int_equal(bchain_complete(h->chain, 999, 11.0, err, sizeof err), BCHAIN_ERR_NOT_FOUND);
    assert_int_equal(bchain_complete(h->chain, h->id[i], 11.0, err, sizeof err), BCHAIN_OK);
    assert_int_equal(bchain_complete(h->chain, h->id[i], 12.0, err, sizeof err), BCHAIN_ERR_INVALID);
    bchain_info info;
    assert_int_equal(bchain_info_of(h->chain, h->id[i], &info), BCHAIN_OK);
    assert_true(info.completed);
    assert_true(info.completed_at_s == 11.0);
    assert_false(info.corrupt);
    assert_int_equal(info.bytes, h->bytes[i]);
    assert_int_equal(bchain_info_of(h->chain, 999, &info), BCHAIN_ERR_NOT_FOUND);
    assert_int_equal(bchain_verify(h->chain, 999), BCHAIN_ERR_NOT_FOUND);
}

static void test_restore_into_other_shape_is_refused(void **state) {
    history *h = *state;
    char err[200] = "";
    take(h, BCHAIN_FULL, 10.0, 1.0);
    mstate_config cfg = small_config();
    cfg.dim = 8;
    mstate *target = NULL, *pristine = NULL;
    assert_int_equal(mstate_create(&cfg, &target, NULL, 0), MSTATE_OK);
    assert_int_equal(mstate_create(&cfg, &pristine, NULL, 0), MSTATE_OK);
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 100.0, target, &res, err, sizeof err), BCHAIN_ERR_APPLY);
    assert_non_null(strstr(err, "does not fit"));
    assert_true(mstate_equal(target, pristine));
    mstate_free(target);
    mstate_free(pristine);
}

/* Even an increment with no rows has bytes that can rot, and rot shows. */
static void test_empty_increment_can_be_corrupted(void **state) {
    history *h = *state;
    char err[200] = "";
    take(h, BCHAIN_FULL, 10.0, 1.0);
    bchain_backup *b = NULL;
    assert_int_equal(mstate_snapshot(h->live, BCHAIN_INCREMENTAL, 11.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_backup_header(b)->n_entries, 0);
    uint64_t id = 0;
    assert_int_equal(bchain_append(h->chain, b, &id, err, sizeof err), BCHAIN_OK);
    assert_int_equal(bchain_complete(h->chain, id, 12.0, err, sizeof err), BCHAIN_OK);
    assert_int_equal(bchain_verify(h->chain, id), BCHAIN_OK);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    for (unsigned long seed = 1; seed <= 50; seed++) {
        gsl_rng_set(r, seed);
        assert_int_equal(bchain_corrupt(h->chain, id, r, err, sizeof err), BCHAIN_OK);
        assert_int_equal(bchain_verify(h->chain, id), BCHAIN_ERR_CHECKSUM);
    }
    gsl_rng_free(r);
    mstate *target = blank_target();
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 100.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 0);
    assert_true(res.broken_link);
    mstate_free(target);
}

/* Full + the newest differential alone rebuilds the state; each
 * differential names the full as parent and grows with the rows touched. */
static void test_full_plus_differential_restores_exactly(void **state) {
    history *h = *state;
    char err[200] = "";
    take(h, BCHAIN_FULL, 10.0, 2.0);
    for (int k = 1; k <= 4; k++) take(h, BCHAIN_DIFFERENTIAL, 10.0 + 10.0 * k, 1.0);
    for (int k = 1; k <= 4; k++) {
        bchain_info info;
        assert_int_equal(bchain_info_of(h->chain, h->id[k], &info), BCHAIN_OK);
        assert_int_equal(info.header.kind, BCHAIN_DIFFERENTIAL);
        assert_int_equal(info.parent_id, h->id[0]);
        assert_int_equal(info.header.parent_version, mstate_version(h->at[0]));
        assert_true(h->bytes[k] > h->bytes[k - 1] || k == 1);
    }
    assert_true(h->bytes[4] < h->bytes[0]);

    mstate *target = blank_target();
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 4);
    assert_int_equal(res.full_id, h->id[0]);
    assert_int_equal(res.n_applied, 2);
    assert_int_equal(res.n_corrupt, 0);
    assert_false(res.broken_link);
    assert_int_equal(res.bytes_read, h->bytes[0] + h->bytes[4]);

    /* As of 31.5 s the differential taken at 30 s is the newest available. */
    mstate *target2 = blank_target();
    assert_int_equal(bchain_restore(h->chain, 31.5, target2, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target2, &res, 2);
    assert_int_equal(res.n_applied, 2);
    assert_int_equal(res.bytes_read, h->bytes[0] + h->bytes[2]);
    /* Before any differential lands: the full alone. */
    assert_int_equal(bchain_restore(h->chain, 20.5, target2, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target2, &res, 0);
    assert_int_equal(res.n_applied, 1);
    mstate_free(target);
    mstate_free(target2);
}

/* A corrupt differential is not a broken link: the one before it stands on
 * the full alone. A differential still in flight is skipped the same way. */
static void test_corrupt_differential_falls_back_to_previous(void **state) {
    history *h = *state;
    char err[200] = "";
    take(h, BCHAIN_FULL, 10.0, 1.0);
    take(h, BCHAIN_DIFFERENTIAL, 20.0, 1.0);
    take(h, BCHAIN_DIFFERENTIAL, 30.0, 1.0);
    take(h, BCHAIN_DIFFERENTIAL, 40.0, 1.0);
    take(h, BCHAIN_DIFFERENTIAL, 50.0, -1.0); /* in flight */
    corrupt(h, 3);

    mstate *target = blank_target();
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 2);
    assert_true(res.recovery_point_s == 30.0);
    assert_int_equal(res.full_id, h->id[0]);
    assert_int_equal(res.n_applied, 2);
    assert_int_equal(res.n_corrupt, 1);
    assert_false(res.broken_link);
    assert_int_equal(res.bytes_read, h->bytes[0] + h->bytes[3] + h->bytes[2]);

    /* Every differential corrupt: the full alone, each read once. */
    corrupt(h, 2);
    corrupt(h, 1);
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 0);
    assert_int_equal(res.n_applied, 1);
    assert_int_equal(res.n_corrupt, 3);
    assert_false(res.broken_link);
    assert_int_equal(res.bytes_read, h->bytes[0] + h->bytes[1] + h->bytes[2] + h->bytes[3]);

    /* The in-flight one lands: it is the newest and is used. */
    assert_int_equal(bchain_complete(h->chain, h->id[4], 60.0, err, sizeof err), BCHAIN_OK);
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 4);
    assert_int_equal(res.n_corrupt, 0);
    assert_int_equal(res.bytes_read, h->bytes[0] + h->bytes[4]);
    mstate_free(target);
}

/* A corrupt full falls back to the previous full and its own differentials;
 * differentials of the newer full are never applied to the older one. */
static void test_corrupt_full_with_differentials(void **state) {
    history *h = *state;
    char err[200] = "";
    take(h, BCHAIN_FULL, 10.0, 1.0);
    take(h, BCHAIN_DIFFERENTIAL, 20.0, 1.0);
    take(h, BCHAIN_DIFFERENTIAL, 30.0, 1.0);
    take(h, BCHAIN_FULL, 40.0, 1.0);
    take(h, BCHAIN_DIFFERENTIAL, 50.0, 1.0);
    bchain_info info;
    assert_int_equal(bchain_info_of(h->chain, h->id[4], &info), BCHAIN_OK);
    assert_int_equal(info.parent_id, h->id[3]);
    corrupt(h, 3);

    mstate *target = blank_target();
    bchain_restore_result res;
    assert_int_equal(bchain_restore(h->chain, 1000.0, target, &res, err, sizeof err), BCHAIN_OK);
    assert_restored_to(h, target, &res, 2);
    assert_int_equal(res.full_id, h->id[0]);
    assert_int_equal(res.n_applied, 2);
    assert_int_equal(res.n_corrupt, 1);
    assert_int_equal(res.bytes_read, h->bytes[3] + h->bytes[0] + h->bytes[2]);

    /* Retention is unchanged: keeping one full keeps it and its differential. */
    size_t dropped = 0;
    assert_int_equal(bchain_apply_retention(h->chain, 1, &dropped, NULL, err, sizeof err), BCHAIN_OK);
    assert_int_equal(dropped, 3);
    assert_int_equal(bchain_count(h->chain), 2);
    mstate_free(target);
}

static void test_differential_append_is_checked(void **state) {
    history *h = *state;
    char err[200] = "";
    bchain_backup *b = NULL;

    /* No full in the chain: nothing to follow. */
    assert_int_equal(mstate_snapshot(h->live, BCHAIN_FULL, 1.0, &b, err, sizeof err), MSTATE_OK);
    bchain_backup_free(b);
    mstate_apply_updates(h->live, h->rng, 100, 1.5);
    assert_int_equal(mstate_snapshot(h->live, BCHAIN_DIFFERENTIAL, 2.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_append(h->chain, b, NULL, err, sizeof err), BCHAIN_ERR_LINK);
    assert_non_null(strstr(err, "no full backup"));
    bchain_backup_free(b);
    assert_int_equal(bchain_count(h->chain), 0);

    /* The newest full in the chain is not the differential's parent. */
    take(h, BCHAIN_FULL, 10.0, 1.0);
    mstate_apply_updates(h->live, h->rng, 100, 10.5);
    assert_int_equal(mstate_snapshot(h->live, BCHAIN_FULL, 11.0, &b, err, sizeof err), MSTATE_OK);
    bchain_backup_free(b); /* taken, never stored */
    mstate_apply_updates(h->live, h->rng, 100, 11.5);
    assert_int_equal(mstate_snapshot(h->live, BCHAIN_DIFFERENTIAL, 12.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_append(h->chain, b, NULL, err, sizeof err), BCHAIN_ERR_LINK);
    assert_non_null(strstr(err, "differential follows full version"));
    bchain_backup_free(b);
    assert_int_equal(bchain_count(h->chain), 1);

    /* Incrementals after the full: a differential is refused, and the other
     * way round. */
    take(h, BCHAIN_FULL, 20.0, 1.0);
    take(h, BCHAIN_INCREMENTAL, 30.0, 1.0);
    assert_int_equal(mstate_snapshot(h->live, BCHAIN_DIFFERENTIAL, 40.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_append(h->chain, b, NULL, err, sizeof err), BCHAIN_ERR_LINK);
    assert_non_null(strstr(err, "cannot mix"));
    bchain_backup_free(b);

    take(h, BCHAIN_FULL, 50.0, 1.0);
    take(h, BCHAIN_DIFFERENTIAL, 60.0, 1.0);
    assert_int_equal(mstate_snapshot(h->live, BCHAIN_INCREMENTAL, 70.0, &b, err, sizeof err), MSTATE_OK);
    assert_int_equal(bchain_append(h->chain, b, NULL, err, sizeof err), BCHAIN_ERR_LINK);
    assert_non_null(strstr(err, "cannot mix"));
    bchain_backup_free(b);
    /* A new full starts a chain of either kind. */
    take(h, BCHAIN_FULL, 80.0, 1.0);
    take(h, BCHAIN_INCREMENTAL, 90.0, 1.0);
    assert_int_equal(bchain_count(h->chain), 7);

    /* Kinds past DIFFERENTIAL are refused when the backup is made. */
    bchain_header bad = {.kind = (bchain_kind)3, .n_tables = 1, .rows = 1, .dim = 1};
    assert_int_equal(bchain_backup_create(&bad, &b, err, sizeof err), BCHAIN_ERR_INVALID);
    assert_null(b);
    bad.kind = BCHAIN_DIFFERENTIAL;
    assert_int_equal(bchain_backup_create(&bad, &b, err, sizeof err), BCHAIN_OK);
    bchain_backup_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_plus_increments_restore_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_increment_is_a_broken_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_full_falls_back_to_previous_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_flight_backups_are_not_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_drops_old_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_and_complete_are_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_into_other_shape_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_increment_can_be_corrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_plus_differential_restores_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_differential_falls_back_to_previous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_full_with_differentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_differential_append_is_checked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
