#include "analysis/analytic.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_roots.h>

/* Iteration caps for the solvers: Brent converges in tens of steps on these
 * smooth, bracketed problems; the cap only guards against a bug looping. */
#define ANA_MAX_ITER 200

/* Largest phi threshold accepted: 10^-300 is still a normal double, so the
 * tail probability and its quantile stay exact. */
#define ANA_PHI_THRESHOLD_MAX 300.0

static int finite_nonneg(double x) { return isfinite(x) && x >= 0.0; }
static int finite_pos(double x) { return isfinite(x) && x > 0.0; }

/* ---- checkpointing ------------------------------------------------------ */

double ana_young_interval_s(double delta_s, double mtbf_s) {
    if (!finite_nonneg(delta_s) || !finite_pos(mtbf_s)) return NAN;
    return sqrt(2.0 * delta_s * mtbf_s);
}

double ana_daly_interval_s(double delta_s, double mtbf_s) {
    if (!finite_nonneg(delta_s) || !finite_pos(mtbf_s)) return NAN;
    if (delta_s >= 2.0 * mtbf_s) return mtbf_s;
    double r = delta_s / (2.0 * mtbf_s);
    return sqrt(2.0 * delta_s * mtbf_s) * (1.0 + sqrt(r) / 3.0 + r / 9.0) - delta_s;
}

double ana_daly_walltime_s(double solve_s, double interval_s, double delta_s, double restart_s, double mtbf_s) {
    if (!finite_nonneg(solve_s) || !finite_pos(interval_s) || !finite_nonneg(delta_s) || !finite_nonneg(restart_s) ||
        !finite_pos(mtbf_s))
        return NAN;
    /* expm1 keeps the checkpoint overhead visible when (tau + delta) << M. */
    return mtbf_s * exp(restart_s / mtbf_s) * expm1((interval_s + delta_s) / mtbf_s) * solve_s / interval_s;
}

/* Wall time per unit of work, as a function of x = tau / M and d = delta / M.
 * Scaling by M makes the problem dimensionless, so one grid fits all. */
static double daly_cost(double x, void *params) {
    double d = *(const double *)params;
    return expm1(x + d) / x;
}

/* Grid points per half of the bracketing scan (see below). */
#define ANA_DALY_SCAN_HALF 128

double ana_daly_optimal_interval_s(double delta_s, double mtbf_s) {
    if (!finite_pos(delta_s) || !finite_pos(mtbf_s)) return NAN;
    double d = delta_s / mtbf_s;
    /* Via Lambert W, x* = 1 + W0(-e^{-1-d}) ~ 1 - e^{-1-d}: 1 to double
     * precision beyond d = 40, where the cost function would also overflow. */
    if (d > 40.0) return mtbf_s;
    /* The exact optimum x* solves (1 - x) e^{x + d} = 1, so 0 < x* < 1, with
     * x* ~ sqrt(2d) for small d and x* -> 1 for large d. gsl_min needs a
     * point below both ends of its bracket: scan x log-spaced on
     * [x_lo, 1/2] and 1 - x log-spaced on [1/2, 1 - 1e-12], which resolves
     * the optimum at either extreme. */
    double x_lo = 1e-3 * fmin(sqrt(2.0 * d), 1.0);
    double xs[2 * ANA_DALY_SCAN_HALF + 1];
    double fs[2 * ANA_DALY_SCAN_HALF + 1];
    const int half = ANA_DALY_SCAN_HALF;
    for (int i = 0; i <= half; i++) xs[i] = x_lo * pow(0.5 / x_lo, (double)i / half);
    for (int j = 1; j <= half; j++) xs[half + j] = 1.0 - 0.5 * pow(1e-12 / 0.5, (double)j / half);
    int best = 0;
    for (int i = 0; i <= 2 * half; i++) {
        fs[i] = daly_cost(xs[i], &d);
        if (fs[i] < fs[best]) best = i;
    }
    if (best == 0) return NAN;           /* x* below x_lo: cannot happen for finite d > 0 */
    if (best == 2 * half) return mtbf_s; /* x* within 1e-12 of 1 */
    if (!(fs[best] < fs[best - 1] && fs[best] < fs[best + 1]))
        return xs[best] * mtbf_s; /* flat to rounding: every nearby tau is as good */

    gsl_function fn = {.function = daly_cost, .params = &d};
    gsl_min_fminimizer *m = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!m) return NAN;
    double x = NAN;
    if (gsl_min_fminimizer_set_with_values(m, &fn, xs[best], fs[best], xs[best - 1], fs[best - 1], xs[best + 1],
                                           fs[best + 1]) == GSL_SUCCESS) {
        for (int it = 0; it < ANA_MAX_ITER; it++) {
            if (gsl_min_fminimizer_iterate(m) != GSL_SUCCESS) break;
            double a = gsl_min_fminimizer_x_lower(m), b = gsl_min_fminimizer_x_upper(m);
            if (gsl_min_test_interval(a, b, 0.0, 1e-9) == GSL_SUCCESS) break;
        }
        x = gsl_min_fminimizer_x_minimum(m);
    }
    gsl_min_fminimizer_free(m);
    return x * mtbf_s;
}

/* ---- M/M/c ---------------------------------------------------------------- */

double ana_erlang_c(unsigned c, double offered_load_erlangs) {
    double a = offered_load_erlangs;
    if (c == 0 || !finite_nonneg(a) || a >= (double)c) return NAN;
    /* The recursion only multiplies and divides numbers in [0, 1] and c, so
     * it neither overflows (as A^c / c! would) nor cancels. */
    double b = 1.0;
    for (unsigned k = 1; k <= c; k++) b = a * b / ((double)k + a * b);
    return (double)c * b / ((double)c - a * (1.0 - b));
}

/* Shared validation; returns the Erlang C value or NaN, and theta = c mu - lambda. */
static double mmc_prepare(unsigned c, double lambda_qps, double mu_qps, double *theta_qps) {
    if (c == 0 || !finite_nonneg(lambda_qps) || !finite_pos(mu_qps)) return NAN;
    double theta = (double)c * mu_qps - lambda_qps;
    if (!(theta > 0.0)) return NAN;
    *theta_qps = theta;
    return ana_erlang_c(c, lambda_qps / mu_qps);
}

double ana_mmc_mean_wait_s(unsigned c, double lambda_qps, double mu_qps) {
    double theta = NAN;
    double pw = mmc_prepare(c, lambda_qps, mu_qps, &theta);
    if (isnan(pw)) return NAN;
    return pw / theta;
}

double ana_mmc_wait_quantile_s(unsigned c, double lambda_qps, double mu_qps, double p) {
    double theta = NAN;
    double pw = mmc_prepare(c, lambda_qps, mu_qps, &theta);
    if (isnan(pw) || !(p >= 0.0 && p <= 1.0)) return NAN;
    if (p <= 1.0 - pw) return 0.0; /* the atom at zero: that many never wait */
    if (p == 1.0) return INFINITY;
    return log(pw / (1.0 - p)) / theta;
}

typedef struct mmc_sojourn {
    double pw;    /* Erlang C */
    double mu;    /* service rate */
    double a;     /* min(theta, mu) */
    double gap;   /* |theta - mu| */
    double log_q; /* log(1 - p), the target log tail */
} mmc_sojourn;

/* (1 - e^{-x}) / x, continuous at 0. */
static double one_minus_exp_over(double x) { return x > 0.0 ? -expm1(-x) / x : 1.0; }

/* log P(T > t) - log(1 - p). With a = min(theta, mu), gap = |theta - mu|, the
 * hypoexponential tail is e^{-a t} (1 + a t (1 - e^{-gap t}) / (gap t)),
 * which equals (theta e^{-mu t} - mu e^{-theta t}) / (theta - mu) and tends
 * to (1 + mu t) e^{-mu t} as theta -> mu, without the cancellation of the
 * textbook form. Factoring e^{-a t} out keeps every exponent <= 0. */
static double mmc_sojourn_gap(double t, void *params) {
    const mmc_sojourn *s = params;
    double inner = (1.0 - s->pw) * exp(-(s->mu - s->a) * t) + s->pw * (1.0 + s->a * t * one_minus_exp_over(s->gap * t));
    return -s->a * t + log(inner) - s->log_q;
}

double ana_mmc_response_quantile_s(unsigned c, double lambda_qps, double mu_qps, double p) {
    double theta = NAN;
    double pw = mmc_prepare(c, lambda_qps, mu_qps, &theta);
    if (isnan(pw) || !(p >= 0.0 && p <= 1.0)) return NAN;
    if (p == 0.0) return 0.0;
    if (p == 1.0) return INFINITY;
    mmc_sojourn s = {
        .pw = pw,
        .mu = mu_qps,
        .a = fmin(theta, mu_qps),
        .gap = fabs(theta - mu_qps),
        .log_q = log1p(-p),
    };
    gsl_function fn = {.function = mmc_sojourn_gap, .params = &s};
    /* For p below the rounding of P(T > 0) = 1 the root is 0; this also
     * keeps gsl_root_fsolver_set from seeing an unbracketed interval. */
    if (!(mmc_sojourn_gap(0.0, &s) > 0.0)) return 0.0;
    /* P(T > t) <= P(W > t/2) + P(S > t/2) <= 2 e^{-a t / 2}, so this upper
     * end has P(T > t) <= 1 - p; the loop only absorbs rounding. */
    double hi = 2.0 * (M_LN2 - s.log_q) / s.a;
    int grow = 0;
    while (mmc_sojourn_gap(hi, &s) > 0.0 && grow++ < 64) hi *= 2.0;
    double f_hi = mmc_sojourn_gap(hi, &s);
    if (f_hi == 0.0) return hi;
    if (!(f_hi < 0.0)) return NAN;

    gsl_root_fsolver *r = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!r) return NAN;
    double t = NAN;
    if (gsl_root_fsolver_set(r, &fn, 0.0, hi) == GSL_SUCCESS) {
        for (int it = 0; it < ANA_MAX_ITER; it++) {
            if (gsl_root_fsolver_iterate(r) != GSL_SUCCESS) break;
            double lo_t = gsl_root_fsolver_x_lower(r), hi_t = gsl_root_fsolver_x_upper(r);
            if (gsl_root_test_interval(lo_t, hi_t, 0.0, 1e-13) == GSL_SUCCESS) break;
        }
        t = gsl_root_fsolver_root(r);
    }
    gsl_root_fsolver_free(r);
    return t;
}

/* ---- availability ------------------------------------------------------- */

double ana_availability(double mtbf_s, double mttr_s) {
    if (!finite_pos(mtbf_s) || !finite_nonneg(mttr_s)) return NAN;
    return mtbf_s / (mtbf_s + mttr_s);
}

double ana_k_of_n_availability(unsigned k, unsigned n, double a) {
    if (!(a >= 0.0 && a <= 1.0)) return NAN;
    if (k == 0) return 1.0;
    if (k > n) return 0.0;
    /* gsl_cdf_binomial_Q(j, ...) is P(X > j); "at least k" is P(X > k - 1). */
    return gsl_cdf_binomial_Q(k - 1, a, n);
}

/* ---- RPO -------------------------------------------------------------------- */

double ana_rpo_mean_s(double period_s, double delta_s) {
    if (!finite_pos(period_s) || !finite_nonneg(delta_s)) return NAN;
    return 0.5 * period_s + delta_s;
}

double ana_rpo_cdf(double x_s, double period_s, double delta_s) {
    if (isnan(x_s) || !finite_pos(period_s) || !finite_nonneg(delta_s)) return NAN;
    double u = (x_s - delta_s) / period_s;
    return u <= 0.0 ? 0.0 : u >= 1.0 ? 1.0 : u;
}

/* ---- failover ------------------------------------------------------------------ */

double ana_failover_success(const double *stage_p, size_t n) {
    if (n > 0 && !stage_p) return NAN;
    double prod = 1.0;
    for (size_t i = 0; i < n; i++) {
        if (!(stage_p[i] >= 0.0 && stage_p[i] <= 1.0)) return NAN;
        prod *= stage_p[i];
    }
    return prod;
}

double ana_failover_mean_time_s(const double *stage_mean_s, size_t n) {
    if (n > 0 && !stage_mean_s) return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!finite_nonneg(stage_mean_s[i])) return NAN;
        sum += stage_mean_s[i];
    }
    return sum;
}

/* ---- phi accrual ----------------------------------------------------------------- */

static int phi_args_ok(double interval_s, double acceptable_pause_s, double min_std_s, double threshold) {
    return finite_pos(interval_s) && finite_nonneg(acceptable_pause_s) && finite_pos(min_std_s) && threshold > 0.0 &&
           threshold <= ANA_PHI_THRESHOLD_MAX;
}

double ana_phi_detect_delay_s(double interval_s, double acceptable_pause_s, double min_std_s, double threshold) {
    if (!phi_args_ok(interval_s, acceptable_pause_s, min_std_s, threshold)) return NAN;
    double y = gsl_cdf_ugaussian_Qinv(pow(10.0, -threshold));
    if (isnan(y)) return NAN;
    return fmax(0.0, interval_s + acceptable_pause_s + min_std_s * y);
}

/* y (1.5976 + 0.070566 y^2) - k: strictly increasing in y. */
static double logistic_gap(double y, void *params) {
    double k = *(const double *)params;
    return y * (1.5976 + 0.070566 * y * y) - k;
}

double ana_phi_detect_delay_logistic_s(double interval_s, double acceptable_pause_s, double min_std_s,
                                       double threshold) {
    if (!phi_args_ok(interval_s, acceptable_pause_s, min_std_s, threshold)) return NAN;
    /* e / (1 + e) = P  <=>  -ln e = ln((1 - P) / P) = k, with P = 10^-threshold. */
    double k = threshold * M_LN10 + log1p(-pow(10.0, -threshold));
    /* |y| <= |k| / 1.5976 since the cubic term only adds magnitude. */
    double hi = fabs(k) / 1.5976 + 1.0;
    gsl_function fn = {.function = logistic_gap, .params = &k};
    gsl_root_fsolver *r = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!r) return NAN;
    double y = NAN;
    if (gsl_root_fsolver_set(r, &fn, -hi, hi) == GSL_SUCCESS) {
        for (int it = 0; it < ANA_MAX_ITER; it++) {
            if (gsl_root_fsolver_iterate(r) != GSL_SUCCESS) break;
            double a = gsl_root_fsolver_x_lower(r), b = gsl_root_fsolver_x_upper(r);
            if (gsl_root_test_interval(a, b, 1e-14, 1e-13) == GSL_SUCCESS) break;
        }
        y = gsl_root_fsolver_root(r);
    }
    gsl_root_fsolver_free(r);
    if (isnan(y)) return NAN; /* fmax would turn NaN into 0 */
    return fmax(0.0, interval_s + acceptable_pause_s + min_std_s * y);
}
