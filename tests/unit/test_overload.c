/* models/overload.c: which backups outlast their period, and what the
 * warning says. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "models/overload.h"
#include "models/scenario.h"

#define REGIONS                                                                                                        \
    "\"topology\": {\"regions\": [{\"name\": \"r\", \"servers\": 2, \"role\": \"primary\"}]}, "                        \
    "\"failover\": {\"standby\": \"cold\"}"

/* A one-region scenario with the given backup/storage/model sections. */
static void parse(scenario *sc, const char *sections) {
    char text[2048], err[1024];
    snprintf(text, sizeof text, "{\"name\": \"o\", " REGIONS ", %s}", sections);
    if (!scenario_parse(sc, "o.json", text, err, sizeof err)) fail_msg("%s", err);
}

static void checks_of(const char *sections, overload_check out[OVERLOAD_KINDS], char msg[OVERLOAD_KINDS][768]) {
    scenario sc;
    parse(&sc, sections);
    overload_check_backups(&sc, out);
    for (int k = 0; k < OVERLOAD_KINDS; k++) overload_message(&sc, (overload_backup)k, &out[k], msg[k], 768);
    scenario_free(&sc);
}

/* 100 GB over the tier's 6.67 MB/s needs 15000 s, half again its period:
 * every other full is skipped. */
static void test_full_longer_than_its_period_warns(void **state) {
    (void)state;
    overload_check c[OVERLOAD_KINDS];
    char msg[OVERLOAD_KINDS][768];
    checks_of("\"model\": {\"logical_bytes\": \"100GB\"}, \"storage\": {\"cross_region_bps\": 6666666.667},"
              "\"backup\": {\"full_period_s\": 10000, \"incremental_period_s\": 0, \"bandwidth_bps\": \"100MB/s\","
              " \"verify\": false}",
              c, msg);
    assert_true(overload_exceeds(&c[OVERLOAD_FULL]));
    assert_true(fabs(c[OVERLOAD_FULL].bandwidth_bps - 6666666.667) < 1);
    assert_true(fabs(c[OVERLOAD_FULL].transfer_s - 15000) < 1e-3);
    assert_string_equal(msg[OVERLOAD_FULL],
                        "backup.full_period_s: a full backup of 100 GB takes 15000 s at 6.67 MB/s (min of "
                        "backup.bandwidth_bps and storage.cross_region_bps), longer than its period of 10000 s: fulls "
                        "due while one is in flight are skipped, so restorable fulls come every 20000 s and the RPO "
                        "grows");
    assert_false(c[OVERLOAD_PARTIAL].taken); /* incremental_period_s 0: none */
    assert_string_equal(msg[OVERLOAD_PARTIAL], "");
}

/* The defaults (100 GB daily at 100 MB/s, incrementals every 15 min of
 * 59 GB in 593 s plus 60 s verification) fit their periods. */
static void test_defaults_do_not_warn(void **state) {
    (void)state;
    overload_check c[OVERLOAD_KINDS];
    char msg[OVERLOAD_KINDS][768];
    checks_of("\"backup\": {}", c, msg);
    for (int k = 0; k < OVERLOAD_KINDS; k++) {
        assert_true(c[k].taken);
        assert_false(overload_exceeds(&c[k]));
        assert_string_equal(msg[k], "");
    }
    double dirty = 1 - exp(-1000 * 1e-6 * 900);
    assert_true(fabs(c[OVERLOAD_PARTIAL].bytes - 100e9 * dirty) < 1);
    assert_true(fabs(c[OVERLOAD_PARTIAL].verify_s - 60) < 1e-9);
}

/* Verification keeps a backup in flight: 600 s of transfer plus 400 s of
 * verification outlast a 900 s period. The backup link, not the tier, is
 * the narrower here. */
static void test_verification_counts_and_min_bandwidth(void **state) {
    (void)state;
    overload_check c[OVERLOAD_KINDS];
    char msg[OVERLOAD_KINDS][768];
    checks_of(
        "\"model\": {\"logical_bytes\": \"6GB\", \"updates_per_s\": 1e6, \"rows_touched_per_update_fraction\": 1},"
        "\"backup\": {\"target\": \"local\", \"bandwidth_bps\": \"10MB/s\", \"verify_s\": 400}",
        c, msg);
    const overload_check *p = &c[OVERLOAD_PARTIAL];
    assert_true(fabs(p->bandwidth_bps - 10e6) < 1e-6);
    assert_true(fabs(p->transfer_s - 600) < 1e-6);
    assert_true(overload_exceeds(p));
    assert_non_null(strstr(msg[OVERLOAD_PARTIAL], "backup.incremental_period_s: an incremental backup of 6 GB takes "
                                                  "600 s at 10 MB/s (min of backup.bandwidth_bps and "
                                                  "storage.local_bps) plus 400 s to verify, longer than its period "
                                                  "of 900 s: incrementals due while a backup is in flight are "
                                                  "skipped (backup.skip_if_busy)"));
    assert_false(overload_exceeds(&c[OVERLOAD_FULL])); /* 6 GB in 600 s + 400 s, once a day */
}

/* A differential is sized at its worst, just before the next full: 57.9 GB
 * at 10 MB/s outlast an hour, where an incremental (3.5 GB) would not.
 * Without skip_if_busy the warning says they pile up. */
static void test_differential_worst_case_and_pile_up(void **state) {
    (void)state;
    overload_check c[OVERLOAD_KINDS];
    char msg[OVERLOAD_KINDS][768];
    checks_of("\"model\": {\"logical_bytes\": \"100GB\", \"updates_per_s\": 1, \"rows_touched_per_update_fraction\": "
              "1e-5}, \"backup\": {\"partial\": \"differential\", \"skip_if_busy\": false, \"full_period_s\": \"1d\","
              " \"incremental_period_s\": \"1h\", \"bandwidth_bps\": \"10MB/s\", \"verify\": false}",
              c, msg);
    const overload_check *p = &c[OVERLOAD_PARTIAL];
    double dirty = 1 - exp(-1e-5 * 86400.0);
    assert_true(fabs(p->bytes - 100e9 * dirty) < 1);
    assert_true(fabs(p->transfer_s - 100e9 * dirty / 10e6) < 1e-6);
    assert_true(overload_exceeds(p));
    assert_non_null(strstr(msg[OVERLOAD_PARTIAL], "(its size just before the next full)"));
    assert_non_null(strstr(msg[OVERLOAD_PARTIAL], "backup.skip_if_busy is false, so differentials due while one is "
                                                  "in flight start anyway"));
}

static void test_disabled_backups_never_warn(void **state) {
    (void)state;
    overload_check c[OVERLOAD_KINDS];
    char msg[OVERLOAD_KINDS][768];
    checks_of("\"storage\": {\"cross_region_bps\": 1}, \"backup\": {\"enabled\": false}", c, msg);
    for (int k = 0; k < OVERLOAD_KINDS; k++) {
        assert_false(c[k].taken);
        assert_false(overload_exceeds(&c[k]));
        assert_string_equal(msg[k], "");
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_longer_than_its_period_warns),
        cmocka_unit_test(test_defaults_do_not_warn),
        cmocka_unit_test(test_verification_counts_and_min_bandwidth),
        cmocka_unit_test(test_differential_worst_case_and_pile_up),
        cmocka_unit_test(test_disabled_backups_never_warn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
