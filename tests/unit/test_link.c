/* models/link.c: transfers share a link's bandwidth equally. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "models/link.h"

typedef struct finish_log {
    double at_s[8];
    uint64_t tag[8];
    int n;
} finish_log;

static void finished(sim *s, void *ctx, uint64_t tag) {
    finish_log *f = ctx;
    f->at_s[f->n] = simtime_to_s(sim_now(s));
    f->tag[f->n++] = tag;
}

typedef struct starter {
    link *l;
    double bytes;
    uint64_t tag;
} starter;

static void start_later(sim *s, void *ctx, sim_payload p) {
    (void)s, (void)p;
    starter *st = ctx;
    link_start(st->l, st->bytes, st->tag);
}

static void degrade(sim *s, void *ctx, sim_payload p) {
    (void)s;
    link_set_bandwidth(ctx, p.f64);
}

/* 1 ns of rounding per completion event */
#define NEAR(a, b) (fabs((a) - (b)) < 1e-6)

static void test_one_transfer_takes_bytes_over_bandwidth(void **state) {
    (void)state;
    sim *s = sim_create(1);
    finish_log f = {0};
    link l;
    link_init(&l, s, 10e6, finished, &f);
    link_start(&l, 100e6, 7);
    sim_run(s, SIMTIME_NEVER, 0);
    assert_int_equal(f.n, 1);
    assert_true(NEAR(f.at_s[0], 10.0));
    assert_int_equal(f.tag[0], 7);
    assert_true(fabs(l.bytes_moved - 100e6) < 1);
    link_free(&l);
    sim_destroy(s);
}

static void test_overlapping_transfers_share(void **state) {
    (void)state;
    sim *s = sim_create(1);
    finish_log f = {0};
    link l;
    link_init(&l, s, 10e6, finished, &f);
    /* A: 100 MB from t=0; B: 50 MB from t=5. A alone moves 50 MB by t=5,
     * then both get 5 MB/s: both end at t=15. */
    link_start(&l, 100e6, 1);
    starter b = {&l, 50e6, 2};
    sim_schedule_at(s, simtime_from_s(5), start_later, &b, SIM_PAYLOAD_NONE);
    sim_run(s, SIMTIME_NEVER, 0);
    assert_int_equal(f.n, 2);
    assert_true(NEAR(f.at_s[0], 15.0) && NEAR(f.at_s[1], 15.0));
    link_free(&l);
    sim_destroy(s);
}

static void test_bandwidth_change_mid_transfer(void **state) {
    (void)state;
    sim *s = sim_create(1);
    finish_log f = {0};
    link l;
    link_init(&l, s, 10e6, finished, &f);
    link_start(&l, 100e6, 1);
    /* at t=4 (40 MB done) the link degrades to 2 MB/s: 60 MB take 30 s more */
    sim_schedule_at(s, simtime_from_s(4), degrade, &l, sim_payload_f64(2e6));
    sim_run(s, SIMTIME_NEVER, 0);
    assert_int_equal(f.n, 1);
    assert_true(NEAR(f.at_s[0], 34.0));
    link_free(&l);
    sim_destroy(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_transfer_takes_bytes_over_bandwidth),
        cmocka_unit_test(test_overlapping_transfers_share),
        cmocka_unit_test(test_bandwidth_change_mid_transfer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
