/* The phi-accrual detector: window arithmetic, bootstrap, phi and its
 * crossing time, against hand values and the analytic reference. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include <gsl/gsl_math.h>

#include "analysis/analytic.h"
#include "models/phi.h"

/* Akka's defaults. */
#define AKKA_INTERVAL_S 1.0
#define AKKA_PAUSE_S    3.0
#define AKKA_MIN_STD_S  0.1
#define AKKA_THRESHOLD  8.0

static void assert_close(double got, double want, double tol) {
    if (!(fabs(got - want) <= tol)) fail_msg("got %.17g, want %.17g (tol %g)", got, want, tol);
}

/* Heartbeats at start, start + interval, ..., n of them. */
static void beat_steadily(phi_detector *d, double start_s, double interval_s, int n) {
    for (int i = 0; i < n; i++) assert_int_equal(phi_heartbeat(d, start_s + i * interval_s), PHI_OK);
}

static void test_init_rejects_bad_arguments(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 0, 0.1, 3.0, 1.0), PHI_ERR_ARG);
    phi_free(&d);
    assert_int_equal(phi_init(&d, 10, 0.0, 3.0, 1.0), PHI_ERR_ARG);
    assert_int_equal(phi_init(&d, 10, 0.1, -1.0, 1.0), PHI_ERR_ARG);
    assert_int_equal(phi_init(&d, 10, 0.1, 3.0, 0.0), PHI_ERR_ARG);
    assert_int_equal(phi_init(&d, 10, 0.1, 3.0, NAN), PHI_ERR_ARG);
    assert_int_equal(phi_init(NULL, 10, 0.1, 3.0, 1.0), PHI_ERR_ARG);
    phi_free(&d);
    phi_free(&d);
    phi_free(NULL);
}

/* Akka seeds the window with estimate -/+ estimate/4. */
static void test_bootstrap(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 100, 0.1, 3.0, 2.0), PHI_OK);
    assert_int_equal(phi_samples(&d), 2);
    assert_close(phi_mean_interval_s(&d), 2.0, 1e-15);
    assert_close(phi_std_s(&d), 0.5, 1e-15);
    /* Before any heartbeat nothing is suspected and no timer is due. */
    assert_close(phi_value(&d, 1e6), 0.0, 0.0);
    assert_true(isinf(phi_crossing_time_s(&d, 8.0)));
    /* The first heartbeat starts the clock but is no interval. */
    assert_int_equal(phi_heartbeat(&d, 10.0), PHI_OK);
    assert_int_equal(phi_samples(&d), 2);
    assert_int_equal(phi_heartbeat(&d, 12.0), PHI_OK);
    assert_int_equal(phi_samples(&d), 3);
    phi_free(&d);
}

/* Window of 4: bootstrap {0.75, 1.25}, then intervals 2, 3, 4, ... */
static void test_ring_wraps(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 4, 1e-3, 0.0, 1.0), PHI_OK);
    double t = 0.0;
    assert_int_equal(phi_heartbeat(&d, t), PHI_OK);
    for (int k = 2; k <= 3; k++) assert_int_equal(phi_heartbeat(&d, t += k), PHI_OK);
    /* {0.75, 1.25, 2, 3}: mean 1.75, E[x^2] = 15.125 / 4, var = 0.71875. */
    assert_int_equal(phi_samples(&d), 4);
    assert_close(phi_mean_interval_s(&d), 1.75, 1e-12);
    assert_close(phi_std_s(&d), sqrt(0.71875), 1e-12);
    for (int k = 4; k <= 5; k++) assert_int_equal(phi_heartbeat(&d, t += k), PHI_OK);
    /* {2, 3, 4, 5}: the bootstrap is gone; mean 3.5, var 1.25. */
    assert_int_equal(phi_samples(&d), 4);
    assert_close(phi_mean_interval_s(&d), 3.5, 1e-12);
    assert_close(phi_std_s(&d), sqrt(1.25), 1e-12);
    for (int k = 6; k <= 13; k++) assert_int_equal(phi_heartbeat(&d, t += k), PHI_OK);
    /* Two more wraps: {10, 11, 12, 13}. */
    assert_int_equal(phi_samples(&d), 4);
    assert_close(phi_mean_interval_s(&d), 11.5, 1e-12);
    assert_close(phi_std_s(&d), sqrt(1.25), 1e-12);
    phi_free(&d);
}

/* Huge intervals leave a rounding residue in running sums; once they have
 * left the window the statistics must be those of the window alone. */
static void test_no_drift_after_large_intervals(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 3, 1e-9, 0.0, 1.0), PHI_OK);
    double t = 0.0;
    assert_int_equal(phi_heartbeat(&d, t), PHI_OK);
    for (int i = 0; i < 5; i++) assert_int_equal(phi_heartbeat(&d, t += 1e8 + 0.1 * (i + 1)), PHI_OK);
    /* Two windows' worth of 1, 2, 3 ms, so that the periodic re-summing has
     * certainly happened after the last large interval left. */
    for (int i = 0; i < 6; i++) {
        double prev = t;
        t = prev + (i % 3 + 1) * 1e-3;
        assert_int_equal(phi_heartbeat(&d, t), PHI_OK);
    }
    /* The intervals actually learned are t differences, which carry t's
     * rounding (ulp(5e8) ~ 6e-8 s); the window's true statistics are those
     * of {1, 2, 3} ms to that accuracy. */
    assert_close(phi_mean_interval_s(&d), 2e-3, 2e-7);
    assert_close(phi_std_s(&d), sqrt(2.0 / 3.0) * 1e-3, 2e-7);
    phi_free(&d);
}

/* After a steady window, the crossing is the analytic reference. */
static void test_crossing_matches_analytic(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 100, AKKA_MIN_STD_S, AKKA_PAUSE_S, AKKA_INTERVAL_S), PHI_OK);
    beat_steadily(&d, 0.0, AKKA_INTERVAL_S, 201); /* last at 200 s; bootstrap evicted */
    assert_close(phi_mean_interval_s(&d), 1.0, 0.0);
    assert_close(phi_std_s(&d), AKKA_MIN_STD_S, 0.0);
    double cross = phi_crossing_time_s(&d, AKKA_THRESHOLD);
    double want = ana_phi_detect_delay_s(AKKA_INTERVAL_S, AKKA_PAUSE_S, AKKA_MIN_STD_S, AKKA_THRESHOLD);
    assert_close(cross - 200.0, want, 1e-9);
    assert_close(cross - 200.0, 4.5612, 1e-4);
    /* phi at that time is the threshold; just before it is below. */
    assert_close(phi_value(&d, cross), AKKA_THRESHOLD, 1e-7);
    assert_true(phi_value(&d, cross - 1e-3) < AKKA_THRESHOLD);
    /* Every threshold: phi(crossing(th)) = th. */
    for (double th = 0.5; th <= 300.0; th *= 1.7)
        assert_close(phi_value(&d, phi_crossing_time_s(&d, th)), th, 1e-7 * th);
    assert_true(isnan(phi_crossing_time_s(&d, 0.0)));
    assert_true(isnan(phi_crossing_time_s(&d, 400.0)));
    phi_free(&d);
}

/* With the bootstrap only (std = estimate/4 = 0.25 s), the crossing uses
 * the learned spread, not min_std: 1 + 3 + 0.25 * 5.612 after the beat. */
static void test_crossing_uses_learned_std(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 100, AKKA_MIN_STD_S, AKKA_PAUSE_S, AKKA_INTERVAL_S), PHI_OK);
    assert_int_equal(phi_heartbeat(&d, 50.0), PHI_OK);
    assert_close(phi_crossing_time_s(&d, AKKA_THRESHOLD) - 50.0, 4.0 + 0.25 * 5.612001244, 1e-8);
    phi_free(&d);
}

/* A very low threshold is reached before the next beat is even due; the
 * crossing never precedes the last heartbeat. */
static void test_crossing_not_before_last_heartbeat(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 10, 0.01, 0.0, 1.0), PHI_OK);
    beat_steadily(&d, 0.0, 1.0, 20);
    /* phi at the heartbeat itself is -log10 Q(-100) ~ 0: any threshold above is later. */
    assert_true(phi_crossing_time_s(&d, 1e-3) > 19.0);
    assert_close(phi_crossing_time_s(&d, 1e-300), 19.0, 0.0);
    phi_free(&d);
}

static void test_phi_monotone(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 100, AKKA_MIN_STD_S, AKKA_PAUSE_S, AKKA_INTERVAL_S), PHI_OK);
    beat_steadily(&d, 0.0, 0.5, 50);
    double last = 24.5, prev = -1.0;
    double mean_due = last + phi_mean_interval_s(&d) + AKKA_PAUSE_S;
    for (double dt = 0.0; dt < 1e5; dt = dt * 1.01 + 1e-3) {
        double phi = phi_value(&d, last + dt);
        assert_true(isfinite(phi) && phi >= 0.0);
        assert_true(phi >= prev);
        /* Strict once the heartbeat is overdue, where the simulator cares. */
        if (last + dt > mean_due) assert_true(phi > prev);
        prev = phi;
    }
    phi_free(&d);
}

/* Q(y) underflows near y = 38; phi must stay finite and right far beyond.
 * Mills-ratio asymptotics: Q(y) = pdf(y)/y (1 - 1/y^2 + 3/y^4 - 15/y^6 + ...). */
static void test_long_silence_stable(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 100, AKKA_MIN_STD_S, AKKA_PAUSE_S, AKKA_INTERVAL_S), PHI_OK);
    beat_steadily(&d, 0.0, AKKA_INTERVAL_S, 201);
    const double ys[] = {40.0, 60.0, 200.0};
    for (size_t i = 0; i < sizeof ys / sizeof ys[0]; i++) {
        double y = ys[i], y2 = y * y;
        double log_q =
            -0.5 * y2 - 0.5 * log(2.0 * M_PI) - log(y) + log1p(-1.0 / y2 + 3.0 / (y2 * y2) - 15.0 / (y2 * y2 * y2));
        double want = -log_q / M_LN10;
        double got = phi_value(&d, 200.0 + 4.0 + AKKA_MIN_STD_S * y);
        assert_close(got, want, 1e-9 * want);
    }
    /* A day of silence: astronomically large, still finite. */
    double day = phi_value(&d, 200.0 + 86400.0);
    assert_true(isfinite(day) && day > 1e10);
    phi_free(&d);
}

static void test_heartbeat_order(void **state) {
    (void)state;
    phi_detector d;
    assert_int_equal(phi_init(&d, 10, 0.1, 0.0, 1.0), PHI_OK);
    beat_steadily(&d, 0.0, 1.0, 5);
    double mean = phi_mean_interval_s(&d);
    assert_int_equal(phi_heartbeat(&d, 3.5), PHI_ERR_ORDER);
    assert_int_equal(phi_heartbeat(&d, NAN), PHI_ERR_ARG);
    assert_int_equal(phi_samples(&d), 6);
    assert_close(phi_mean_interval_s(&d), mean, 0.0);
    /* The clock was not moved back: the next crossing is still from t = 4. */
    assert_close(phi_crossing_time_s(&d, 0.30103) - 4.0, mean, 1e-4);
    phi_free(&d);
}

/* Akka does not learn the gap of a heartbeat that arrives after the peer was
 * suspected; by default every gap is learned. */
static void test_learn_threshold(void **state) {
    (void)state;
    phi_detector learn_all, akka;
    assert_int_equal(phi_init(&learn_all, 10, 0.1, 3.0, 1.0), PHI_OK);
    assert_int_equal(phi_init(&akka, 10, 0.1, 3.0, 1.0), PHI_OK);
    assert_int_equal(phi_set_learn_threshold(&akka, AKKA_THRESHOLD), PHI_OK);
    assert_int_equal(phi_set_learn_threshold(&akka, 0.0), PHI_ERR_ARG);
    beat_steadily(&learn_all, 0.0, 1.0, 20);
    beat_steadily(&akka, 0.0, 1.0, 20);
    /* A 100 s partition, then beats resume. */
    assert_int_equal(phi_heartbeat(&learn_all, 119.0), PHI_OK);
    assert_int_equal(phi_heartbeat(&akka, 119.0), PHI_OK);
    assert_close(phi_mean_interval_s(&akka), 1.0, 0.0);
    assert_close(phi_mean_interval_s(&learn_all), (9.0 + 100.0) / 10.0, 1e-12);
    /* Both restart their clock at the late beat. */
    /* Both restart their clock at the late beat; the learned outage makes
     * the next detection three minutes slow (mean 10.9 s, std 29.7 s). */
    assert_true(phi_value(&akka, 119.5) < 1e-3);
    assert_close(phi_crossing_time_s(&akka, AKKA_THRESHOLD) - 119.0, 4.5612, 1e-4);
    assert_true(phi_crossing_time_s(&learn_all, AKKA_THRESHOLD) - 119.0 > 100.0);
    /* A beat within the tolerated pause is learned under both rules. */
    assert_int_equal(phi_heartbeat(&akka, 121.0), PHI_OK);
    assert_close(phi_mean_interval_s(&akka), (9.0 + 2.0) / 10.0, 1e-12);
    phi_free(&learn_all);
    phi_free(&akka);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_bad_arguments),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_ring_wraps),
        cmocka_unit_test(test_no_drift_after_large_intervals),
        cmocka_unit_test(test_crossing_matches_analytic),
        cmocka_unit_test(test_crossing_uses_learned_std),
        cmocka_unit_test(test_crossing_not_before_last_heartbeat),
        cmocka_unit_test(test_phi_monotone),
        cmocka_unit_test(test_long_silence_stable),
        cmocka_unit_test(test_heartbeat_order),
        cmocka_unit_test(test_learn_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
