/* Tests of models/trainer.c: logical byte and update scaling, restores with
 * recall against the live model, fallback on corrupt backups, targets,
 * differential backups, determinism. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "models/trainer.h"

typedef struct fixture {
    trainer *tr;
    gsl_rng *upd, *probe, *rot;
} fixture;

static trainer_config test_config(void) {
    trainer_config c = trainer_config_default();
    c.logical_bytes = 100e9;
    c.updates_per_s = 5000;
    c.max_real_updates_per_s = 1.0; /* each real update stands for 5000 logical ones */
    return c;
}

static void fx_open(fixture *f, const trainer_config *c, unsigned long seed) {
    char err[256] = "";
    f->upd = gsl_rng_alloc(gsl_rng_mt19937);
    f->probe = gsl_rng_alloc(gsl_rng_mt19937);
    f->rot = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(f->upd);
    assert_non_null(f->probe);
    assert_non_null(f->rot);
    gsl_rng_set(f->upd, seed);
    gsl_rng_set(f->probe, seed + 1);
    gsl_rng_set(f->rot, seed + 2);
    int rc = trainer_create(c, f->upd, f->probe, &f->tr, err, sizeof err);
    if (rc != TRAINER_OK) print_error("trainer_create: %s\n", err);
    assert_int_equal(rc, TRAINER_OK);
}

static void fx_close(fixture *f) {
    trainer_free(f->tr);
    gsl_rng_free(f->upd);
    gsl_rng_free(f->probe);
    gsl_rng_free(f->rot);
}

/* A backup to `targets`, completed on each after transfer_s (never if < 0). */
static uint64_t backup(fixture *f, bchain_kind kind, double t, uint32_t targets, double transfer_s, double *bytes) {
    char err[256] = "";
    uint64_t id = 0;
    double b = 0;
    int rc = trainer_backup(f->tr, kind, t, targets, &b, &id, err, sizeof err);
    if (rc != TRAINER_OK) print_error("trainer_backup: %s\n", err);
    assert_int_equal(rc, TRAINER_OK);
    assert_true(id > 0);
    if (transfer_s >= 0)
        for (uint32_t k = 0; k < TRAINER_MAX_TARGETS; k++)
            if (targets & TRAINER_TARGET(k))
                assert_int_equal(trainer_backup_complete(f->tr, k, id, t + transfer_s, err, sizeof err), TRAINER_OK);
    if (bytes) *bytes = b;
    return id;
}

static void restore(fixture *f, double fault_s, uint32_t targets, trainer_restore_result *r) {
    char err[256] = "";
    int rc = trainer_restore(f->tr, fault_s, targets, r, err, sizeof err);
    if (rc != TRAINER_OK) print_error("trainer_restore: %s\n", err);
    assert_int_equal(rc, TRAINER_OK);
}

/* Full backups carry every row: logical = L * real_blob / real_model, with
 * real_blob = 64 + n_tables*rows*(8 + 4*dim) and real_model =
 * n_tables*rows*4*dim, so logical / L = 1 + 2/dim + 64/real_model exactly.
 * Incrementals follow the real dirty set. */
static void test_logical_bytes_scale(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture f;
    fx_open(&f, &c, 11);
    const double real_model = 4.0 * 4096 * 16 * 4;
    assert_true(trainer_byte_scale(f.tr) == c.logical_bytes / real_model);
    assert_true(trainer_real_rate(f.tr) == 1.0);
    assert_true(trainer_update_scale(f.tr) == 5000.0);

    double full_b, i60, i600, i3600;
    backup(&f, BCHAIN_FULL, 0, 1, 0, &full_b);
    const double ratio = 1.0 + 2.0 / 16 + 64.0 / real_model;
    assert_true(fabs(full_b / c.logical_bytes - ratio) < 1e-12);

    backup(&f, BCHAIN_INCREMENTAL, 60, 1, 0, &i60);
    backup(&f, BCHAIN_INCREMENTAL, 660, 1, 0, &i600);
    backup(&f, BCHAIN_INCREMENTAL, 4260, 1, 0, &i3600);
    /* Exactly the dirty rows: 64 + rows*(8+64) real bytes, rows <= updates. */
    const double per_row = 72.0 * trainer_byte_scale(f.tr), head = 64.0 * trainer_byte_scale(f.tr);
    double rows60 = (i60 - head) / per_row;
    assert_true(fabs(rows60 - round(rows60)) < 1e-6);
    assert_true(rows60 >= 1 && rows60 <= 60);
    assert_true(i60 < i600 && i600 < i3600);
    assert_true(i60 < 0.005 * full_b);  /* 1 minute: < 0.5 % of a full */
    assert_true(i3600 < 0.25 * full_b); /* 1 hour: Zipf keeps it well below a full */
    print_message("full %.4g B, incr 1 min %.4g B, 10 min %.4g B, 1 h %.4g B\n", full_b, i60, i600, i3600);

    /* The rows_touched fraction lowers the real rate to match dirty shares. */
    trainer_config c2 = c;
    c2.rows_touched_per_update_fraction = 1e-7;
    c2.max_real_updates_per_s = 100;
    fixture g;
    fx_open(&g, &c2, 11);
    assert_true(fabs(trainer_real_rate(g.tr) - 5000 * 1e-7 * 4 * 4096) < 1e-12);
    fx_close(&g);
    fx_close(&f);
}

/* Restoring right after a backup completes loses nothing; long after, it loses
 * updates_per_s x (fault - recovery point) and the model's top-k drifts. */
static void test_restore_recall_and_lost_updates(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture f;
    fx_open(&f, &c, 21);
    backup(&f, BCHAIN_FULL, 0, 3, 0, NULL);
    for (int i = 1; i <= 4; i++) backup(&f, BCHAIN_INCREMENTAL, 900.0 * i, 3, 0.25, NULL);

    trainer_restore_result r;
    restore(&f, 3600.25, 1, &r); /* right after the 3600 s increment completed */
    assert_true(r.restored);
    assert_int_equal(r.target, 0);
    assert_true(r.recovery_point_s == 3600);
    assert_int_equal(r.n_applied, 5);
    assert_int_equal(r.n_corrupt, 0);
    assert_int_equal(r.real_lost_updates, 0);
    assert_true(r.lost_updates == 0);
    assert_true(r.recall_at_k == 1.0);
    assert_true(r.rank_recall_at_k == 1.0);
    assert_int_equal(r.backend, REC_BACKEND_CPU);
    assert_true(r.logical_bytes_read > c.logical_bytes); /* the full and 4 increments */
    assert_true(trainer_version(f.tr) == 3600);

    /* Training goes on from the restored state; the chain continues. */
    assert_false(trainer_needs_full(f.tr, 0));
    backup(&f, BCHAIN_INCREMENTAL, 4500, 3, 0.25, NULL);
    const double fault = 4500 + 40000.0;
    trainer_advance(f.tr, 20000);
    trainer_advance(f.tr, fault);
    restore(&f, fault, 3, &r);
    assert_true(r.recovery_point_s == 4500);
    assert_int_equal(r.real_lost_updates, 40000);
    const double expect = c.updates_per_s * (fault - r.recovery_point_s);
    assert_true(fabs(r.lost_updates - expect) <= trainer_update_scale(f.tr));
    assert_true(r.recall_at_k < 1.0);
    assert_true(r.recall_at_k > 0.0);
    print_message("after %.0f s: lost %.4g updates, recall@%d %.3f (ranking %.3f)\n", fault - r.recovery_point_s,
                  r.lost_updates, r.k, r.recall_at_k, r.rank_recall_at_k);
    fx_close(&f);
}

/* A corrupt newest increment moves the recovery point to the one before; a
 * corrupt newest full falls back to the previous full and its increments. */
static void test_corruption_fallback(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture f;
    fx_open(&f, &c, 31);
    char err[256] = "";
    backup(&f, BCHAIN_FULL, 0, 1, 0, NULL);
    for (int i = 1; i <= 3; i++) backup(&f, BCHAIN_INCREMENTAL, 900.0 * i, 1, 0, NULL);
    uint64_t newest = 0;
    assert_int_equal(trainer_corrupt_newest(f.tr, 0, f.rot, &newest, err, sizeof err), TRAINER_OK);
    assert_int_equal(newest, 4);

    /* Fault before anything else: the broken link costs 900 s more. */
    trainer_restore_result r;
    restore(&f, 3000, 1, &r);
    assert_true(r.recovery_point_s == 1800);
    assert_true(r.broken_link);
    assert_int_equal(r.n_corrupt, 1);
    assert_int_equal(r.n_applied, 3);
    assert_int_equal(r.real_lost_updates, 3000 - 1800);
    assert_true(r.recall_at_k <= 1.0);

    /* The chain's newest is not the restored state: incrementals refused. */
    assert_true(trainer_needs_full(f.tr, 0));
    double b;
    uint64_t id;
    assert_int_equal(trainer_backup(f.tr, BCHAIN_INCREMENTAL, 3600, 1, &b, &id, err, sizeof err),
                     TRAINER_ERR_NEED_FULL);
    uint64_t f1 = backup(&f, BCHAIN_FULL, 3600, 1, 0, NULL);
    assert_false(trainer_needs_full(f.tr, 0));
    backup(&f, BCHAIN_INCREMENTAL, 4500, 1, 0, NULL);
    assert_int_equal(trainer_corrupt(f.tr, 0, f1, f.rot, err, sizeof err), TRAINER_OK);

    /* Corrupt newest full: back to the first full, up to its broken link. */
    restore(&f, 5000, 1, &r);
    assert_true(r.recovery_point_s == 1800);
    assert_int_equal(r.n_corrupt, 2); /* the full at 3600, then the increment at 2700 */
    assert_true(r.lost_updates > 0);
    fx_close(&f);
}

/* The previous full's own chain (without a broken link) is used whole. */
static void test_corrupt_full_falls_back_to_previous_chain(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture f;
    fx_open(&f, &c, 41);
    char err[256] = "";
    backup(&f, BCHAIN_FULL, 0, 1, 0, NULL);
    backup(&f, BCHAIN_INCREMENTAL, 900, 1, 0, NULL);
    backup(&f, BCHAIN_INCREMENTAL, 1800, 1, 0, NULL);
    uint64_t f1 = backup(&f, BCHAIN_FULL, 3600, 1, 10, NULL);
    uint64_t got = 0;
    assert_int_equal(trainer_corrupt_newest(f.tr, 0, f.rot, &got, err, sizeof err), TRAINER_OK);
    assert_int_equal(got, f1);
    trainer_restore_result r;
    restore(&f, 4000, 1, &r);
    assert_true(r.recovery_point_s == 1800);
    assert_int_equal(r.n_applied, 3);
    assert_int_equal(r.n_corrupt, 1);
    assert_false(r.broken_link);
    assert_int_equal(r.real_lost_updates, 4000 - 1800);
    fx_close(&f);
}

/* Copies on two targets complete independently; a restore picks the newest
 * surviving one; in-flight copies are abandoned; nothing restorable restarts
 * the model from its initial tables. */
static void test_targets_and_nothing_restorable(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture f;
    fx_open(&f, &c, 51);
    char err[256] = "";
    trainer_restore_result r;
    restore(&f, 100, 3, &r); /* no backup yet */
    assert_false(r.restored);
    assert_true(r.recovery_point_s == -1);
    assert_int_equal(r.real_lost_updates, 100);
    assert_true(r.lost_updates == 100 * 5000.0);
    assert_int_equal(trainer_version(f.tr), 0);

    backup(&f, BCHAIN_FULL, 200, 3, 1, NULL);
    backup(&f, BCHAIN_INCREMENTAL, 1100, 1, 1, NULL); /* regional only */
    assert_true(trainer_needs_full(f.tr, 1));
    double b;
    uint64_t id;
    assert_int_equal(trainer_backup(f.tr, BCHAIN_INCREMENTAL, 2000, 3, &b, &id, err, sizeof err),
                     TRAINER_ERR_NEED_FULL);
    uint64_t inflight = backup(&f, BCHAIN_INCREMENTAL, 2000, 1, -1, NULL);

    restore(&f, 2500, 2, &r); /* the regional target is lost */
    assert_int_equal(r.target, 1);
    assert_true(r.recovery_point_s == 200);
    restore(&f, 2600, 3, &r);
    /* both survive now: regional holds 1100 (2000 was abandoned in flight) */
    assert_int_equal(r.target, 0);
    assert_true(r.recovery_point_s == 1100);
    assert_int_equal(trainer_backup_complete(f.tr, 0, inflight, 2700, err, sizeof err), TRAINER_ERR_ABANDONED);
    assert_int_equal(trainer_backup_complete(f.tr, 0, 999, 2700, err, sizeof err), TRAINER_ERR_NOT_FOUND);
    assert_true(trainer_needs_full(f.tr, 0)); /* its newest is the abandoned 2000 copy */

    /* Retention: two fulls on each target keep what follows the older one. */
    for (int i = 0; i < 3; i++) backup(&f, BCHAIN_FULL, 3000 + 100.0 * i, 3, 1, NULL);
    double stored = 0;
    assert_int_equal(trainer_retention(f.tr, 2, &stored, err, sizeof err), TRAINER_OK);
    assert_int_equal(bchain_count(trainer_chain(f.tr, 0)), 2);
    assert_true(fabs(stored - 4 * c.logical_bytes * (1 + 2.0 / 16 + 64.0 / (4 * 4096 * 64.0))) < 1.0);
    fx_close(&f);
}

/* Fault at onset, restore later in simulated time. */
static void test_fault_then_restore(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture f;
    fx_open(&f, &c, 61);
    char err[256] = "";
    backup(&f, BCHAIN_FULL, 0, 1, 5, NULL);
    assert_int_equal(trainer_fault(f.tr, 1000, err, sizeof err), TRAINER_OK);
    trainer_advance(f.tr, 2000); /* frozen: no effect */
    assert_int_equal(trainer_version(f.tr), 1000);
    double b;
    uint64_t id;
    assert_int_equal(trainer_backup(f.tr, BCHAIN_FULL, 2000, 1, &b, &id, err, sizeof err), TRAINER_ERR_TIME);
    trainer_restore_result r;
    assert_int_equal(trainer_restore(f.tr, 999, 1, &r, err, sizeof err), TRAINER_ERR_TIME);
    restore(&f, 1000, 1, &r);
    assert_int_equal(r.real_lost_updates, 1000);
    trainer_skip_to(f.tr, 1600); /* outage: no training */
    trainer_advance(f.tr, 1700);
    assert_int_equal(trainer_version(f.tr), 100);
    fx_close(&f);
}

static void run_history(fixture *f, trainer_restore_result *out, double *bytes) {
    char err[256] = "";
    *bytes = 0;
    double b;
    for (int d = 0; d < 2; d++) {
        backup(f, BCHAIN_FULL, 86400.0 * d, 3, 30, &b);
        *bytes += b;
        for (int i = 1; i < 24; i++) {
            trainer_advance(f->tr, 86400.0 * d + 3600.0 * i - 1000);
            backup(f, BCHAIN_INCREMENTAL, 86400.0 * d + 3600.0 * i, 3, 30, &b);
            *bytes += b;
        }
    }
    uint64_t id;
    assert_int_equal(trainer_corrupt_newest(f->tr, 0, f->rot, &id, err, sizeof err), TRAINER_OK);
    restore(f, 2 * 86400.0 - 10, 3, &out[0]);
    trainer_advance(f->tr, 2 * 86400.0 + 5000);
    restore(f, 2 * 86400.0 + 5000, 1, &out[1]);
}

static void test_determinism(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture a, b;
    fx_open(&a, &c, 71);
    fx_open(&b, &c, 71);
    trainer_restore_result ra[2], rb[2];
    double ba, bb;
    run_history(&a, ra, &ba);
    run_history(&b, rb, &bb);
    assert_true(ba == bb);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ra[i].target, rb[i].target);
        assert_true(ra[i].recovery_point_s == rb[i].recovery_point_s);
        assert_int_equal(ra[i].real_lost_updates, rb[i].real_lost_updates);
        assert_true(ra[i].logical_bytes_read == rb[i].logical_bytes_read);
        assert_true(ra[i].recall_at_k == rb[i].recall_at_k);
        assert_true(ra[i].rank_recall_at_k == rb[i].rank_recall_at_k);
    }
    /* target 0 lost its newest increment to rot; target 1 holds it */
    assert_int_equal(ra[0].target, 1);
    assert_true(ra[0].recovery_point_s == 2 * 86400.0 - 3600);
    assert_true(ra[1].recovery_point_s == 2 * 86400.0 - 7200);
    assert_true(mstate_equal(trainer_state(a.tr), trainer_state(b.tr)));
    /* Another seed, another history. */
    fixture d;
    trainer_restore_result rd[2];
    double bd;
    fx_open(&d, &c, 72);
    run_history(&d, rd, &bd);
    assert_false(mstate_equal(trainer_state(a.tr), trainer_state(d.tr)));
    fx_close(&a);
    fx_close(&b);
    fx_close(&d);
}

static mstate *clone_live(const fixture *f) {
    mstate *ms = NULL;
    assert_int_equal(mstate_clone(trainer_state(f->tr), &ms, NULL, 0), MSTATE_OK);
    return ms;
}

static bool close_rel(double a, double b) { return fabs(a - b) <= 1e-12 * fabs(b); }

/* Full + differentials on two targets; a corrupt newest differential costs
 * one step back, not the chain; after a restore from full + differential the
 * next differential is relative to the same full and restores exactly; a
 * target that missed a differential takes the next one; a full it missed
 * makes it need a full. */
static void test_differential_round_trip(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture f;
    fx_open(&f, &c, 101);
    char err[256] = "";
    double b;
    uint64_t id;
    assert_true(trainer_needs_full_for(f.tr, 0, BCHAIN_DIFFERENTIAL));
    assert_int_equal(trainer_backup(f.tr, BCHAIN_DIFFERENTIAL, 0, 1, &b, &id, err, sizeof err), TRAINER_ERR_NEED_FULL);
    assert_non_null(strstr(err, "differential"));
    assert_false(trainer_needs_full_for(f.tr, 0, BCHAIN_FULL));

    double full_b, d[6];
    uint64_t did[6];
    mstate *at[6] = {0};
    backup(&f, BCHAIN_FULL, 0, 3, 0, &full_b);
    assert_false(trainer_needs_full_for(f.tr, 0, BCHAIN_INCREMENTAL));
    assert_false(trainer_needs_full_for(f.tr, 0, BCHAIN_DIFFERENTIAL));
    for (int i = 1; i <= 3; i++) {
        did[i] = backup(&f, BCHAIN_DIFFERENTIAL, 900.0 * i, 3, 0, &d[i]);
        at[i] = clone_live(&f);
    }
    assert_true(d[1] < d[2] && d[2] < d[3] && d[3] < full_b); /* grows with the rows touched since the full */
    for (uint32_t t = 0; t < 2; t++) {
        assert_false(trainer_needs_full(f.tr, t));
        assert_true(trainer_needs_full_for(f.tr, t, BCHAIN_INCREMENTAL)); /* no mixing after one full */
    }
    assert_int_equal(trainer_backup(f.tr, BCHAIN_INCREMENTAL, 2800, 2, &b, &id, err, sizeof err),
                     TRAINER_ERR_NEED_FULL);
    assert_int_equal(trainer_version(f.tr), 2700); /* refused before training or snapshotting */

    /* The newest differential rots on target 0: back to the one before. */
    assert_int_equal(trainer_corrupt(f.tr, 0, did[3], f.rot, err, sizeof err), TRAINER_OK);
    trainer_restore_result r;
    restore(&f, 3000, 1, &r);
    assert_true(r.restored);
    assert_true(r.recovery_point_s == 1800);
    assert_int_equal(r.n_applied, 2);
    assert_int_equal(r.n_corrupt, 1);
    assert_false(r.broken_link);
    assert_int_equal(r.real_lost_updates, 3000 - 1800);
    assert_true(close_rel(r.logical_bytes_read, full_b + d[3] + d[2]));
    assert_true(mstate_equal(trainer_state(f.tr), at[2]));

    /* Both targets hold a copy of the restored full: differentials go on. */
    assert_false(trainer_needs_full(f.tr, 0));
    assert_false(trainer_needs_full(f.tr, 1));
    did[4] = backup(&f, BCHAIN_DIFFERENTIAL, 3600, 1, 0, &d[4]); /* target 0 only */
    at[4] = clone_live(&f);
    const bchain *c0 = trainer_chain(f.tr, 0);
    bchain_info newest, first;
    assert_int_equal(bchain_info_at(c0, bchain_count(c0) - 1, &newest), BCHAIN_OK);
    assert_int_equal(bchain_info_at(c0, 0, &first), BCHAIN_OK);
    assert_int_equal(newest.header.kind, BCHAIN_DIFFERENTIAL);
    assert_int_equal(newest.parent_id, first.id);
    assert_int_equal(newest.header.parent_version, first.header.version);
    assert_true(d[4] > d[2]); /* the restored rows since the full are carried again */

    /* Target 1 missed it and still takes the next one. */
    assert_false(trainer_needs_full(f.tr, 1));
    did[5] = backup(&f, BCHAIN_DIFFERENTIAL, 4500, 3, 0.5, &d[5]);
    at[5] = clone_live(&f);
    restore(&f, 4500.5, 3, &r);
    assert_int_equal(r.target, 0);
    assert_true(r.recovery_point_s == 4500);
    assert_int_equal(r.n_applied, 2);
    assert_int_equal(r.n_corrupt, 0);
    assert_int_equal(r.real_lost_updates, 0);
    assert_true(r.recall_at_k == 1.0);
    assert_true(close_rel(r.logical_bytes_read, full_b + d[5]));
    assert_true(mstate_equal(trainer_state(f.tr), at[5]));

    /* Again from the other target alone, after more training. */
    trainer_advance(f.tr, 5000);
    restore(&f, 5000, 2, &r);
    assert_int_equal(r.target, 1);
    assert_true(r.recovery_point_s == 4500);
    assert_int_equal(r.n_applied, 2);
    assert_int_equal(r.real_lost_updates, 500);
    assert_true(mstate_equal(trainer_state(f.tr), at[5]));

    /* A new full to target 0 only: target 1's full is no longer the live one. */
    backup(&f, BCHAIN_FULL, 5400, 1, 0, NULL);
    assert_false(trainer_needs_full(f.tr, 0));
    assert_true(trainer_needs_full(f.tr, 1));
    assert_true(trainer_needs_full_for(f.tr, 1, BCHAIN_DIFFERENTIAL));
    const uint64_t v = trainer_version(f.tr);
    assert_int_equal(trainer_backup(f.tr, BCHAIN_DIFFERENTIAL, 6000, 3, &b, &id, err, sizeof err),
                     TRAINER_ERR_NEED_FULL);
    assert_int_equal(trainer_version(f.tr), v);
    backup(&f, BCHAIN_DIFFERENTIAL, 6000, 1, 0, NULL);
    for (int i = 1; i <= 5; i++) mstate_free(at[i]);
    fx_close(&f);
}

/* Versions repeat across a restore (training resumes from the restored
 * version), so links are matched by backup, not by version: a target whose
 * newest backup was taken on the old branch at the very version the new
 * branch reaches later still needs a full. */
static void test_links_survive_a_forked_history(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture f;
    fx_open(&f, &c, 111);
    trainer_restore_result r;
    char err[256] = "";
    backup(&f, BCHAIN_FULL, 0, 3, 0, NULL);
    backup(&f, BCHAIN_INCREMENTAL, 900, 3, 0, NULL);
    backup(&f, BCHAIN_INCREMENTAL, 1800, 1, 0, NULL); /* old branch, version 1800, target 0 only */
    restore(&f, 2000, 2, &r);                         /* back to version 900 from target 1 */
    assert_int_equal(trainer_version(f.tr), 900);
    backup(&f, BCHAIN_INCREMENTAL, 2900, 2, 0, NULL); /* new branch: version 1800 again */
    assert_int_equal(trainer_version(f.tr), 1800);
    /* Target 0's newest holds version 1800 of the old branch: an incremental
     * on it would rebuild a state that never existed. */
    assert_true(trainer_needs_full(f.tr, 0));
    assert_false(trainer_needs_full(f.tr, 1));
    double b;
    uint64_t id;
    assert_int_equal(trainer_backup(f.tr, BCHAIN_INCREMENTAL, 3000, 1, &b, &id, err, sizeof err),
                     TRAINER_ERR_NEED_FULL);
    fx_close(&f);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Costs, printed (not asserted: sanitizer builds are slower). */
static void test_costs(void **state) {
    (void)state;
    trainer_config c = test_config();
    fixture f;
    fx_open(&f, &c, 81);
    backup(&f, BCHAIN_FULL, 0, 3, 1, NULL);
    double t0 = now_s();
    const int calls = 96;
    for (int i = 1; i <= calls; i++) trainer_advance(f.tr, 900.0 * i); /* one day, 15-min steps */
    double t_adv = (now_s() - t0) / calls;
    t0 = now_s();
    double b;
    for (int i = 0; i < 8; i++) backup(&f, BCHAIN_INCREMENTAL, 86400.0 + i, 3, 0, &b);
    double t_inc = (now_s() - t0) / 8;
    trainer_restore_result r;
    restore(&f, 86400.0 + 10, 3, &r); /* warms the probe model */
    t0 = now_s();
    const int reps = 5;
    for (int i = 0; i < reps; i++) {
        trainer_advance(f.tr, 86400.0 + 100 * (i + 1));
        restore(&f, 86400.0 + 100 * (i + 1), 3, &r);
    }
    double t_res = (now_s() - t0) / reps;
    print_message("cost: advance (900 real updates) %.3f ms, incremental backup to 2 targets "
                  "%.3f ms, restore (2 targets, full + 9 incr) with recall %.3f ms\n",
                  t_adv * 1e3, t_inc * 1e3, t_res * 1e3);
    fx_close(&f);
}

static void test_invalid(void **state) {
    (void)state;
    char err[256] = "";
    trainer_config c = test_config();
    c.n_targets = 0;
    assert_int_equal(trainer_config_validate(&c, err, sizeof err), TRAINER_ERR_INVALID);
    c = test_config();
    c.max_real_updates_per_s = 0;
    assert_int_equal(trainer_config_validate(&c, err, sizeof err), TRAINER_ERR_INVALID);
    assert_non_null(strstr(err, "max_real_updates_per_s"));
    c = test_config();
    c.probe_queries = 0; /* recall off */
    fixture f;
    fx_open(&f, &c, 91);
    double b;
    uint64_t id;
    assert_int_equal(trainer_backup(f.tr, BCHAIN_INCREMENTAL, 0, 1, &b, &id, err, sizeof err), TRAINER_ERR_NEED_FULL);
    assert_int_equal(trainer_backup(f.tr, BCHAIN_FULL, 0, 4, &b, &id, err, sizeof err), TRAINER_ERR_INVALID);
    backup(&f, BCHAIN_FULL, 10, 1, 0, NULL);
    trainer_restore_result r;
    restore(&f, 20, 1, &r);
    assert_true(isnan(r.recall_at_k));
    assert_int_equal(r.real_lost_updates, 10);
    fx_close(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logical_bytes_scale),
        cmocka_unit_test(test_restore_recall_and_lost_updates),
        cmocka_unit_test(test_corruption_fallback),
        cmocka_unit_test(test_corrupt_full_falls_back_to_previous_chain),
        cmocka_unit_test(test_targets_and_nothing_restorable),
        cmocka_unit_test(test_fault_then_restore),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_costs),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_differential_round_trip),
        cmocka_unit_test(test_links_survive_a_forked_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
