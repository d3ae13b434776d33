/* Closed-form references that validation tests and plots hold the simulation
 * against. Every function is pure and thread-safe: no state, no allocation
 * that outlives a call.
 *
 * Error convention: an argument outside the documented domain, or an
 * unstable queue (lambda >= c mu), yields NaN; nothing aborts. GSL routines
 * are only called with arguments they accept, so GSL's default error
 * handler (which aborts) is never reached and need not be switched off. */
#ifndef ANALYSIS_ANALYTIC_H
#define ANALYSIS_ANALYTIC_H

#include <stddef.h>

/* ---- checkpoint interval (delta: checkpoint cost, M: mean time between
 * failures, R: restart cost, T_s: solve time without failures) ---------- */

/* Young 1974 first-order optimum: tau = sqrt(2 delta M). delta >= 0, M > 0. */
double ana_young_interval_s(double delta_s, double mtbf_s);

/* Daly 2006 higher-order optimum: tau = sqrt(2 delta M) [1 + (1/3) sqrt(delta/(2M))
 * + delta/(18 M)] - delta for delta < 2M, else tau = M. delta >= 0, M > 0. */
double ana_daly_interval_s(double delta_s, double mtbf_s);

/* Daly 2006 expected wall time with checkpoints every tau and exponential
 * failures: T_w = M e^{R/M} (e^{(tau+delta)/M} - 1) T_s / tau. tau > 0. */
double ana_daly_walltime_s(double solve_s, double interval_s, double delta_s, double restart_s, double mtbf_s);

/* The tau that minimises ana_daly_walltime_s exactly (R and T_s only scale
 * it), found numerically with gsl_min (Brent): relative error < 1e-6 for
 * delta/M >= 1e-6, growing as the cost turns flat to rounding (~6e-5 at 1e-12).
 * delta > 0 (with delta = 0 the optimum degenerates to tau -> 0), M > 0. */
double ana_daly_optimal_interval_s(double delta_s, double mtbf_s);

/* ---- M/M/c queue: Poisson arrivals lambda, c servers, exponential service
 * rate mu each, FCFS. A = lambda/mu erlangs. NaN when A >= c (unstable). -- */

/* Erlang C, the probability that an arrival waits: C = c B / (c - A (1 - B))
 * with B the Erlang B blocking from the stable recursion
 * B_k = A B_{k-1} / (k + A B_{k-1}), B_0 = 1. c >= 1, 0 <= A < c. */
double ana_erlang_c(unsigned c, double offered_load_erlangs);

/* Mean wait in queue: W_q = C / (c mu - lambda). */
double ana_mmc_mean_wait_s(unsigned c, double lambda_qps, double mu_qps);

/* p-quantile of the wait: P(W > t) = C e^{-(c mu - lambda) t}, so
 * t_p = ln(C / (1 - p)) / (c mu - lambda), and 0 when p <= 1 - C. p in [0, 1]. */
double ana_mmc_wait_quantile_s(unsigned c, double lambda_qps, double mu_qps, double p);

/* p-quantile of the sojourn T = W + S, S ~ Exp(mu) independent of W:
 * P(T > t) = (1 - C) e^{-mu t} + C P(Exp(theta) + Exp(mu) > t), theta = c mu - lambda
 * (theta = mu gives the Erlang-2 tail (1 + mu t) e^{-mu t}); solved with gsl_root. */
double ana_mmc_response_quantile_s(unsigned c, double lambda_qps, double mu_qps, double p);

/* ---- availability ------------------------------------------------------ */

/* Steady-state availability of one repairable unit: MTBF / (MTBF + MTTR). */
double ana_availability(double mtbf_s, double mttr_s);

/* P(at least k of n independent units are up), each up with probability a:
 * sum_{i>=k} C(n,i) a^i (1-a)^{n-i} = gsl_cdf_binomial_Q(k - 1, a, n); 1 for k = 0, 0 for k > n. */
double ana_k_of_n_availability(unsigned k, unsigned n, double a);

/* ---- recovery point of periodic backups -------------------------------- */

/* A fault at a uniform (Poisson) instant loses the data since the newest
 * completed backup; backups start every T and take delta to complete, so the
 * loss is uniform on [delta, T + delta]: mean T/2 + delta. T > 0, delta >= 0. */
double ana_rpo_mean_s(double period_s, double delta_s);

/* CDF of that loss: (x - delta) / T clamped to [0, 1]. */
double ana_rpo_cdf(double x_s, double period_s, double delta_s);

/* ---- failover as a chain of independent stages ------------------------- */

/* Success probability of a failover whose n stages succeed independently:
 * prod stage_p[i]; 1 for n = 0; NaN if any p is outside [0, 1]. */
double ana_failover_success(const double *stage_p, size_t n);

/* Expected failover time: sum of the stages' mean times (linearity of
 * expectation; holds whatever their distributions). NaN if any is < 0. */
double ana_failover_mean_time_s(const double *stage_mean_s, size_t n);

/* ---- phi-accrual detection delay with steady heartbeats ---------------- */

/* Time after the last heartbeat at which phi reaches `threshold` when the
 * learned intervals have no spread (Akka's model): mean = interval + pause,
 * std = min_std, phi = -log10 Q((t - mean)/std), so
 * t = mean + std Qinv(10^-threshold), clamped at 0. threshold in (0, 300]. */
double ana_phi_detect_delay_s(double interval_s, double acceptable_pause_s, double min_std_s, double threshold);

/* The same with Akka's logistic approximation of Q used by its detector:
 * P = e / (1 + e), e = exp(-y (1.5976 + 0.070566 y^2)), y = (t - mean)/std;
 * the cubic in y is solved with gsl_root. threshold in (0, 300]. */
double ana_phi_detect_delay_logistic_s(double interval_s, double acceptable_pause_s, double min_std_s,
                                       double threshold);

#endif
