#include "models/phi.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_result.h>

/* Largest crossing threshold: 10^-300 is still a normal double, so the
 * quantile is computed from an exact tail probability. */
#define PHI_THRESHOLD_MAX 300.0

static int finite_pos(double x) { return isfinite(x) && x > 0.0; }

/* Recomputes the running sums from the window. Adding and subtracting
 * samples leaves a rounding residue of the largest sample ever seen; after a
 * burst of long intervals that residue would dominate the variance of short
 * ones. Redoing the sums every `capacity` evictions keeps the cost O(1)
 * amortised and bounds the residue's lifetime to one window. */
static void phi_resum(phi_detector *d) {
    double sum = 0.0, sum_sq = 0.0;
    for (size_t i = 0; i < d->count; i++) {
        double v = d->window_s[(d->head + i) % d->capacity];
        sum += v;
        sum_sq += v * v;
    }
    d->sum_s = sum;
    d->sum_sq_s2 = sum_sq;
    d->evictions_since_resum = 0;
}

static void phi_push(phi_detector *d, double interval_s) {
    double v = interval_s - d->shift_s;
    if (d->count < d->capacity) {
        d->window_s[(d->head + d->count) % d->capacity] = v;
        d->count++;
        d->sum_s += v;
        d->sum_sq_s2 += v * v;
        return;
    }
    double old = d->window_s[d->head];
    d->window_s[d->head] = v;
    d->head = (d->head + 1) % d->capacity;
    d->sum_s += v - old;
    d->sum_sq_s2 += v * v - old * old;
    if (++d->evictions_since_resum >= d->capacity) phi_resum(d);
}

phi_status phi_init(phi_detector *d, size_t window, double min_std_s, double acceptable_pause_s,
                    double first_interval_estimate_s) {
    if (!d) return PHI_ERR_ARG;
    *d = (phi_detector){0};
    if (window == 0 || window > SIZE_MAX / sizeof(double) || !finite_pos(min_std_s) || !isfinite(acceptable_pause_s) ||
        acceptable_pause_s < 0.0 || !finite_pos(first_interval_estimate_s))
        return PHI_ERR_ARG;
    d->window_s = malloc(window * sizeof(double));
    if (!d->window_s) return PHI_ERR_NOMEM;
    d->capacity = window;
    d->shift_s = first_interval_estimate_s;
    d->min_std_s = min_std_s;
    d->acceptable_pause_s = acceptable_pause_s;
    d->learn_below_phi = INFINITY;
    /* Akka's bootstrap: without history the first heartbeat gap would have
     * no spread; these two samples give mean = estimate, std = estimate/4
     * until real intervals push them out. */
    double std_s = first_interval_estimate_s / 4.0;
    phi_push(d, first_interval_estimate_s - std_s);
    phi_push(d, first_interval_estimate_s + std_s);
    return PHI_OK;
}

void phi_free(phi_detector *d) {
    if (!d) return;
    free(d->window_s);
    d->window_s = NULL;
    d->capacity = 0;
    d->count = 0;
    d->head = 0;
}

phi_status phi_set_learn_threshold(phi_detector *d, double threshold) {
    if (!d || !(threshold > 0.0)) return PHI_ERR_ARG;
    d->learn_below_phi = threshold;
    return PHI_OK;
}

phi_status phi_heartbeat(phi_detector *d, double t_s) {
    if (!d || !d->window_s || !isfinite(t_s)) return PHI_ERR_ARG;
    if (d->has_heartbeat) {
        if (t_s < d->last_heartbeat_s) return PHI_ERR_ORDER;
        if (isinf(d->learn_below_phi) || phi_value(d, t_s) < d->learn_below_phi) phi_push(d, t_s - d->last_heartbeat_s);
    }
    d->last_heartbeat_s = t_s;
    d->has_heartbeat = true;
    return PHI_OK;
}

double phi_mean_interval_s(const phi_detector *d) {
    if (!d || d->count == 0) return NAN;
    return d->shift_s + d->sum_s / (double)d->count;
}

double phi_std_s(const phi_detector *d) {
    if (!d || d->count == 0) return NAN;
    double n = (double)d->count;
    double m = d->sum_s / n;
    /* Population variance, as Akka computes it; the shift keeps the
     * subtraction benign, and rounding may still leave a tiny negative. */
    double var = d->sum_sq_s2 / n - m * m;
    double std_s = var > 0.0 ? sqrt(var) : 0.0;
    return fmax(std_s, d->min_std_s);
}

size_t phi_samples(const phi_detector *d) { return d ? d->count : 0; }

double phi_value(const phi_detector *d, double now_s) {
    if (!d || !d->window_s || !isfinite(now_s)) return NAN;
    if (!d->has_heartbeat) return 0.0;
    double mean_s = phi_mean_interval_s(d) + d->acceptable_pause_s;
    double y = (now_s - d->last_heartbeat_s - mean_s) / phi_std_s(d);
    if (isinf(y)) return y > 0 ? INFINITY : 0.0;
    /* Q(y) = erfc(y / sqrt 2) / 2, taken in logs: erfc underflows near
     * y = 38 (phi ~ 316), log erfc never does. */
    gsl_sf_result r;
    if (gsl_sf_log_erfc_e(y / M_SQRT2, &r) != GSL_SUCCESS) return NAN;
    double phi = -(r.val - M_LN2) / M_LN10;
    return phi > 0.0 ? phi : 0.0; /* -0 and rounding below 0 when y << 0 */
}

double phi_crossing_time_s(const phi_detector *d, double threshold) {
    if (!d || !d->window_s || !(threshold > 0.0 && threshold <= PHI_THRESHOLD_MAX)) return NAN;
    if (!d->has_heartbeat) return INFINITY;
    double y = gsl_cdf_ugaussian_Qinv(pow(10.0, -threshold));
    if (isnan(y)) return NAN;
    double mean_s = phi_mean_interval_s(d) + d->acceptable_pause_s;
    double delay_s = mean_s + phi_std_s(d) * y;
    return d->last_heartbeat_s + (delay_s > 0.0 ? delay_s : 0.0);
}
