/* Closed-form references against hand-computed and published values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_lambert.h>

#include "analysis/analytic.h"
#include "models/traffic.h"

#define MIN_S  60.0
#define HOUR_S 3600.0

static void assert_close(double got, double want, double tol) {
    if (!(fabs(got - want) <= tol)) fail_msg("got %.17g, want %.17g (tol %g)", got, want, tol);
}

static void assert_rel(double got, double want, double rel) { assert_close(got, want, rel * fabs(want)); }

/* ---- checkpointing ---- */

static void test_young(void **state) {
    (void)state;
    /* sqrt(2 * 300 s * 86400 s) = sqrt(51 840 000) = 7200 s. */
    assert_close(ana_young_interval_s(5 * MIN_S, 24 * HOUR_S), 7200.0, 1e-9);
    assert_true(isnan(ana_young_interval_s(-1.0, 100.0)));
    assert_true(isnan(ana_young_interval_s(1.0, 0.0)));
}

/* Daly 2006: delta = 5 min, R = 10 min gives ~117 min at M = 24 h and
 * ~57 min at M = 6 h. */
static void test_daly_published(void **state) {
    (void)state;
    assert_close(ana_daly_interval_s(5 * MIN_S, 24 * HOUR_S) / MIN_S, 117.0, 0.5);
    assert_close(ana_daly_interval_s(5 * MIN_S, 6 * HOUR_S) / MIN_S, 57.0, 0.5);
    /* The exact model's optimum agrees to the minute too. */
    assert_close(ana_daly_optimal_interval_s(5 * MIN_S, 24 * HOUR_S) / MIN_S, 117.0, 0.5);
    assert_close(ana_daly_optimal_interval_s(5 * MIN_S, 6 * HOUR_S) / MIN_S, 57.0, 0.5);
}

static void test_daly_vs_young(void **state) {
    (void)state;
    /* Hand: 120 min * (1 + 0.013889 + 0.000193) - 5 min = 116.690 min, i.e.
     * Daly's correction shortens Young's interval by ~3.31 min here. */
    double young = ana_young_interval_s(5 * MIN_S, 24 * HOUR_S);
    double daly = ana_daly_interval_s(5 * MIN_S, 24 * HOUR_S);
    assert_close((young - daly) / MIN_S, 3.310, 0.002);
    /* Checkpoints costing 2 MTBF or more: Daly caps the interval at M. */
    assert_close(ana_daly_interval_s(3 * HOUR_S, HOUR_S), HOUR_S, 0.0);
    assert_close(ana_daly_interval_s(2 * HOUR_S, HOUR_S), HOUR_S, 0.0);
    assert_true(isnan(ana_daly_interval_s(1.0, -5.0)));
}

static void test_daly_walltime(void **state) {
    (void)state;
    /* tau = M, delta = R = 0: T_w = M (e - 1) T_s / M = T_s (e - 1). */
    assert_rel(ana_daly_walltime_s(1000.0, 50.0, 0.0, 0.0, 50.0), 1000.0 * (M_E - 1.0), 1e-12);
    /* No failures (M -> inf): only the checkpoint overhead remains,
     * T_w -> T_s (tau + delta) / tau = 100 h * 65/60. */
    double tw = ana_daly_walltime_s(100 * HOUR_S, 60 * MIN_S, 5 * MIN_S, 10 * MIN_S, 1e15);
    assert_rel(tw, 100 * HOUR_S * 65.0 / 60.0, 1e-6);
    /* Restart cost scales the whole by e^{R/M}. */
    double a = ana_daly_walltime_s(10 * HOUR_S, HOUR_S, 5 * MIN_S, 0.0, 6 * HOUR_S);
    double b = ana_daly_walltime_s(10 * HOUR_S, HOUR_S, 5 * MIN_S, 6 * HOUR_S, 6 * HOUR_S);
    assert_rel(b / a, M_E, 1e-12);
    assert_true(isnan(ana_daly_walltime_s(1.0, 0.0, 1.0, 1.0, 1.0)));
}

/* The optimum of (e^{x+d} - 1)/x solves (1 - x) e^{x+d} = 1, whose root is
 * x = 1 + W0(-e^{-1-d}): an independent check of the gsl_min result. */
static void test_daly_optimum_matches_lambert(void **state) {
    (void)state;
    const double ds[] = {1e-6, 1e-4, 5.0 / 1440.0, 0.05, 0.5, 2.0, 10.0, 30.0};
    const double m_s = 1000.0;
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        double want = m_s * (1.0 + gsl_sf_lambert_W0(-exp(-1.0 - ds[i])));
        double got = ana_daly_optimal_interval_s(ds[i] * m_s, m_s);
        assert_rel(got, want, 1e-6);
    }
    assert_close(ana_daly_optimal_interval_s(100.0 * m_s, m_s), m_s, 0.0);
    assert_true(isnan(ana_daly_optimal_interval_s(0.0, m_s)));
}

static void test_daly_optimum_minimises(void **state) {
    (void)state;
    const double delta = 5 * MIN_S, r = 10 * MIN_S, m = 6 * HOUR_S, ts = 100 * HOUR_S;
    double opt = ana_daly_optimal_interval_s(delta, m);
    double w_opt = ana_daly_walltime_s(ts, opt, delta, r, m);
    double w_daly = ana_daly_walltime_s(ts, ana_daly_interval_s(delta, m), delta, r, m);
    double w_young = ana_daly_walltime_s(ts, ana_young_interval_s(delta, m), delta, r, m);
    assert_true(w_opt <= w_daly);
    assert_true(w_daly < w_young);
    assert_true(w_opt < ana_daly_walltime_s(ts, opt * 0.99, delta, r, m));
    assert_true(w_opt < ana_daly_walltime_s(ts, opt * 1.01, delta, r, m));
}

/* ---- M/M/c ---- */

static void test_erlang_c_single_server(void **state) {
    (void)state;
    const double rhos[] = {0.0, 1e-6, 0.3, 0.9, 0.999};
    for (size_t i = 0; i < sizeof rhos / sizeof rhos[0]; i++) assert_close(ana_erlang_c(1, rhos[i]), rhos[i], 1e-15);
}

static void test_erlang_c_table(void **state) {
    (void)state;
    /* Tables: C(10, 8) = 0.4092; C(2, 1) = 1/3 by hand. */
    assert_close(ana_erlang_c(10, 8.0), 0.4092, 1e-4);
    assert_close(ana_erlang_c(2, 1.0), 1.0 / 3.0, 1e-15);
}

/* Large c, where A^c / c! overflows: Erlang B = Poisson pmf(c) / CDF(c),
 * then C = c B / (c - A (1 - B)). */
static void test_erlang_c_large(void **state) {
    (void)state;
    const unsigned c = 1000;
    const double a = 950.0;
    double b = gsl_ran_poisson_pdf(c, a) / gsl_cdf_poisson_P(c, a);
    double want = c * b / (c - a * (1.0 - b));
    double got = ana_erlang_c(c, a);
    assert_true(got > 0.0 && got < 1.0);
    assert_rel(got, want, 1e-9);
}

/* The world's Erlang C (GSL's Poisson pmf over CDF, O(1) in the fleet
 * size) against the Erlang B recursion it replaced and the analysis one. */
static void test_world_erlang_c(void **state) {
    (void)state;
    const double cs[] = {1, 2, 8, 128, 1000};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (double rho = 0.05; rho < 1; rho += 0.1) {
            double c = cs[i], a = rho * c, b = 1;
            for (int k = 1; k <= (int)c; k++) b = a * b / (k + a * b);
            double want = b / (1 - rho + rho * b);
            assert_rel(traffic_erlang_c(c, a), want, 1e-9);
            assert_rel(traffic_erlang_c(c, a), ana_erlang_c((unsigned)c, a), 1e-9);
        }
    /* fractional servers during scale-up: B of the whole servers, the rest by rho */
    double b = 1, a = 3.0;
    for (int k = 1; k <= 4; k++) b = a * b / (k + a * b);
    assert_rel(traffic_erlang_c(4.5, a), b / (1 - a / 4.5 + a / 4.5 * b), 1e-12);
    /* a 100,000-server fleet with 8 slots each, near saturation */
    double big = traffic_erlang_c(800000, 799000);
    assert_true(big > 0 && big < 1);
    assert_true(traffic_erlang_c(8, 9) == 1 && traffic_erlang_c(8, 0) == 0);
}

static void test_mmc_unstable(void **state) {
    (void)state;
    assert_true(isnan(ana_erlang_c(4, 4.0)));
    assert_true(isnan(ana_erlang_c(4, 5.0)));
    assert_true(isnan(ana_erlang_c(0, 0.5)));
    assert_true(isnan(ana_mmc_mean_wait_s(2, 2.0, 1.0)));
    assert_true(isnan(ana_mmc_wait_quantile_s(1, 1.0, 1.0, 0.5)));
    assert_true(isnan(ana_mmc_response_quantile_s(3, 4.0, 1.0, 0.5)));
    assert_true(isnan(ana_mmc_response_quantile_s(1, 0.5, 0.0, 0.5)));
}

static void test_mmc_mean_wait(void **state) {
    (void)state;
    /* M/M/1: W_q = rho / (mu - lambda) = 0.5 / 0.5 = 1 s. */
    assert_close(ana_mmc_mean_wait_s(1, 0.5, 1.0), 1.0, 1e-15);
    /* M/M/2, lambda = mu = 1: C = 1/3, c mu - lambda = 1: 1/3 s. */
    assert_close(ana_mmc_mean_wait_s(2, 1.0, 1.0), 1.0 / 3.0, 1e-15);
    assert_close(ana_mmc_mean_wait_s(3, 0.0, 1.0), 0.0, 0.0);
}

static void test_mmc_wait_quantile(void **state) {
    (void)state;
    /* M/M/1, rho = 0.5: half the arrivals never wait. */
    assert_close(ana_mmc_wait_quantile_s(1, 0.5, 1.0, 0.4), 0.0, 0.0);
    assert_close(ana_mmc_wait_quantile_s(1, 0.5, 1.0, 0.5), 0.0, 0.0);
    /* 0.5 e^{-0.5 t} = 0.1  =>  t = 2 ln 5. */
    assert_close(ana_mmc_wait_quantile_s(1, 0.5, 1.0, 0.9), 2.0 * log(5.0), 1e-12);
    assert_true(isinf(ana_mmc_wait_quantile_s(1, 0.5, 1.0, 1.0)));
    assert_true(isnan(ana_mmc_wait_quantile_s(1, 0.5, 1.0, 1.5)));
}

/* M/M/1 sojourn is exactly Exp(mu - lambda). */
static void test_mm1_response_quantile(void **state) {
    (void)state;
    const double ps[] = {0.01, 0.5, 0.9, 0.99, 0.999999};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double want = -log1p(-ps[i]) / (1.0 - 0.7);
        assert_rel(ana_mmc_response_quantile_s(1, 0.7, 1.0, ps[i]), want, 1e-9);
    }
    assert_close(ana_mmc_response_quantile_s(1, 0.7, 1.0, 0.0), 0.0, 0.0);
    assert_true(isinf(ana_mmc_response_quantile_s(1, 0.7, 1.0, 1.0)));
}

/* c mu - lambda == mu: c = 2, lambda = mu = 1, C = 1/3, and by hand
 * P(T > t) = (2/3) e^{-t} + (1/3)(1 + t) e^{-t} = e^{-t} (1 + t/3). */
static void test_mmc_response_theta_equals_mu(void **state) {
    (void)state;
    const double ps[] = {0.5, 0.9, 0.999};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double t = ana_mmc_response_quantile_s(2, 1.0, 1.0, ps[i]);
        assert_close(exp(-t) * (1.0 + t / 3.0), 1.0 - ps[i], 1e-12);
        /* Continuous on both sides of the special case. */
        assert_close(ana_mmc_response_quantile_s(2, 1.0 - 1e-7, 1.0, ps[i]), t, 1e-5);
        assert_close(ana_mmc_response_quantile_s(2, 1.0 + 1e-7, 1.0, ps[i]), t, 1e-5);
    }
}

/* General case against the textbook mixture, with theta = c mu - lambda
 * above mu (10 servers at 80 %) and below it (2 servers at 75 %). */
static void test_mmc_response_general(void **state) {
    (void)state;
    const struct {
        unsigned c;
        double lambda, mu, p;
    } cases[] = {{10, 8.0, 1.0, 0.99}, {2, 1.5, 1.0, 0.95}, {2, 1.5, 1.0, 0.2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const unsigned c = cases[i].c;
        const double lambda = cases[i].lambda, mu = cases[i].mu, p = cases[i].p;
        double t = ana_mmc_response_quantile_s(c, lambda, mu, p);
        double pw = ana_erlang_c(c, lambda / mu), theta = c * mu - lambda;
        double tail = (1.0 - pw) * exp(-mu * t) + pw * (theta * exp(-mu * t) - mu * exp(-theta * t)) / (theta - mu);
        assert_close(tail, 1.0 - p, 1e-12);
        /* T >= W and T >= S, so its quantile bounds both of theirs. */
        assert_true(t >= ana_mmc_wait_quantile_s(c, lambda, mu, p));
        assert_true(t > -log1p(-p) / mu);
    }
}

/* ---- availability ---- */

static void test_availability(void **state) {
    (void)state;
    assert_close(ana_availability(999.0, 1.0), 0.999, 1e-15);
    assert_close(ana_availability(5.0, 0.0), 1.0, 0.0);
    assert_true(isnan(ana_availability(0.0, 1.0)));
}

static void test_k_of_n(void **state) {
    (void)state;
    /* 3 a^2 (1 - a) + a^3 at a = 0.99: 0.029403 + 0.970299. */
    assert_close(ana_k_of_n_availability(2, 3, 0.99), 0.999702, 1e-12);
    assert_close(ana_k_of_n_availability(3, 3, 0.9), 0.729, 1e-12);
    assert_close(ana_k_of_n_availability(1, 3, 0.9), 0.999, 1e-12);
    assert_close(ana_k_of_n_availability(0, 3, 0.2), 1.0, 0.0);
    assert_close(ana_k_of_n_availability(4, 3, 0.99), 0.0, 0.0);
    assert_true(isnan(ana_k_of_n_availability(1, 3, 1.5)));
}

/* ---- RPO ---- */

static void test_rpo(void **state) {
    (void)state;
    assert_close(ana_rpo_mean_s(3600.0, 600.0), 2400.0, 0.0);
    assert_close(ana_rpo_cdf(0.0, 3600.0, 600.0), 0.0, 0.0);
    assert_close(ana_rpo_cdf(600.0, 3600.0, 600.0), 0.0, 0.0);
    assert_close(ana_rpo_cdf(2400.0, 3600.0, 600.0), 0.5, 1e-15);
    assert_close(ana_rpo_cdf(4200.0, 3600.0, 600.0), 1.0, 0.0);
    assert_close(ana_rpo_cdf(1e9, 3600.0, 600.0), 1.0, 0.0);
    assert_true(isnan(ana_rpo_mean_s(0.0, 1.0)));
}

/* ---- failover ---- */

static void test_failover(void **state) {
    (void)state;
    const double p[] = {0.99, 0.95, 0.9};
    assert_close(ana_failover_success(p, 3), 0.846450, 1e-12);
    assert_close(ana_failover_success(NULL, 0), 1.0, 0.0);
    const double bad[] = {0.9, 1.2};
    assert_true(isnan(ana_failover_success(bad, 2)));
    const double t[] = {30.0, 5.0, 120.0};
    assert_close(ana_failover_mean_time_s(t, 3), 155.0, 0.0);
    const double neg[] = {1.0, -1.0};
    assert_true(isnan(ana_failover_mean_time_s(neg, 2)));
}

/* ---- phi ---- */

/* Akka defaults: heartbeat 1 s, acceptable pause 3 s, min std 0.1 s,
 * threshold 8: Qinv(1e-8) = 5.6120, so 4 + 0.1 * 5.612 = 4.561 s. */
static void test_phi_akka_defaults(void **state) {
    (void)state;
    double normal = ana_phi_detect_delay_s(1.0, 3.0, 0.1, 8.0);
    double logistic = ana_phi_detect_delay_logistic_s(1.0, 3.0, 0.1, 8.0);
    assert_close(normal, 4.56, 0.01);
    assert_close(normal, 4.5612, 1e-4);
    assert_close(logistic, 4.52, 0.01);
    /* Bisection by hand on y (1.5976 + 0.070566 y^2) = ln(1e8 - 1): y = 5.225987. */
    assert_close(logistic, 4.5225987, 1e-6);
    /* The logistic tail is lighter than the normal one at y ~ 5, so phi
     * climbs faster and the detector fires sooner. */
    assert_true(logistic < normal);
}

/* At threshold log10(2), P = 1/2 and y = 0 in both models: the delay is the mean. */
static void test_phi_median(void **state) {
    (void)state;
    assert_close(ana_phi_detect_delay_s(1.0, 3.0, 0.1, log10(2.0)), 4.0, 1e-9);
    assert_close(ana_phi_detect_delay_logistic_s(1.0, 3.0, 0.1, log10(2.0)), 4.0, 1e-9);
}

static void test_phi_domain(void **state) {
    (void)state;
    double far = ana_phi_detect_delay_s(1.0, 3.0, 0.1, 300.0);
    assert_true(isfinite(far) && far > 4.0 + 0.1 * 37.0);
    assert_true(isfinite(ana_phi_detect_delay_logistic_s(1.0, 3.0, 0.1, 300.0)));
    assert_true(isnan(ana_phi_detect_delay_s(1.0, 3.0, 0.1, 0.0)));
    assert_true(isnan(ana_phi_detect_delay_s(1.0, 3.0, 0.1, 301.0)));
    assert_true(isnan(ana_phi_detect_delay_s(1.0, 3.0, 0.0, 8.0)));
    assert_true(isnan(ana_phi_detect_delay_logistic_s(0.0, 3.0, 0.1, 8.0)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_young),
        cmocka_unit_test(test_daly_published),
        cmocka_unit_test(test_daly_vs_young),
        cmocka_unit_test(test_daly_walltime),
        cmocka_unit_test(test_daly_optimum_matches_lambert),
        cmocka_unit_test(test_daly_optimum_minimises),
        cmocka_unit_test(test_erlang_c_single_server),
        cmocka_unit_test(test_erlang_c_table),
        cmocka_unit_test(test_erlang_c_large),
        cmocka_unit_test(test_world_erlang_c),
        cmocka_unit_test(test_mmc_unstable),
        cmocka_unit_test(test_mmc_mean_wait),
        cmocka_unit_test(test_mmc_wait_quantile),
        cmocka_unit_test(test_mm1_response_quantile),
        cmocka_unit_test(test_mmc_response_theta_equals_mu),
        cmocka_unit_test(test_mmc_response_general),
        cmocka_unit_test(test_availability),
        cmocka_unit_test(test_k_of_n),
        cmocka_unit_test(test_rpo),
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_phi_akka_defaults),
        cmocka_unit_test(test_phi_median),
        cmocka_unit_test(test_phi_domain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
