/* A phi-accrual failure detector (Hayashibara et al. 2004) as Akka and
 * Cassandra run it, for the simulated failover path.
 *
 * It learns the heartbeat inter-arrival times over a sliding window and
 * reports phi(now) = -log10 P(the next heartbeat arrives later than now),
 * with the inter-arrival time modelled as Normal(mean + acceptable_pause,
 * max(std, min_std)). The normal model is the paper's and Akka's
 * derivation; Akka's logistic formula is only a cheaper approximation of the
 * same normal tail (0.04 s earlier at Akka's defaults, see
 * ana_phi_detect_delay_logistic_s), and a simulator, which evaluates phi
 * once per heartbeat, gains nothing from it. (Cassandra simplified further
 * to an exponential model, phi = elapsed / (mean ln 10), which ignores the
 * spread that min_std and the window capture.)
 *
 * The simulator needs no polling: phi_crossing_time_s says when phi would
 * reach a threshold if no heartbeat came, so one timer is scheduled per
 * heartbeat and cancelled by the next.
 *
 * Times are doubles in seconds on the caller's clock. A detector owns one
 * buffer, allocated by phi_init; nothing else allocates. */
#ifndef MODELS_PHI_H
#define MODELS_PHI_H

#include <stdbool.h>
#include <stddef.h>

typedef enum phi_status {
    PHI_OK = 0,
    PHI_ERR_ARG = -1,   /* an argument outside its documented domain */
    PHI_ERR_NOMEM = -2, /* the window could not be allocated */
    PHI_ERR_ORDER = -3, /* a heartbeat earlier than the previous one */
} phi_status;

typedef struct phi_detector {
    /* Ring buffer of the last `capacity` inter-arrival times, stored minus
     * `shift_s` (the first estimate) so that the running sums stay small and
     * steady intervals give a variance of exactly 0. */
    double *window_s;
    size_t capacity;
    size_t count;
    size_t head; /* index of the oldest sample */
    size_t evictions_since_resum;
    double shift_s;
    double sum_s;     /* sum of the shifted samples */
    double sum_sq_s2; /* sum of their squares */
    double min_std_s;
    double acceptable_pause_s;
    double learn_below_phi;
    double last_heartbeat_s;
    bool has_heartbeat;
} phi_detector;

/* Prepares d with a window of `window` samples (>= 1), min_std_s > 0,
 * acceptable_pause_s >= 0 and first_interval_estimate_s > 0, seeded as Akka
 * does: two samples estimate -/+ estimate/4 (mean = estimate, population
 * std = estimate/4). On error d holds no memory, and phi_free is still safe. */
phi_status phi_init(phi_detector *d, size_t window, double min_std_s, double acceptable_pause_s,
                    double first_interval_estimate_s);

/* Releases the window; d may then be re-initialised. Safe twice and on NULL. */
void phi_free(phi_detector *d);

/* Records a heartbeat at t_s (>= the previous one, finite). The first one
 * only starts the clock; each later one adds its inter-arrival time to the
 * window, evicting the oldest when full, unless the learn threshold says
 * otherwise (phi_set_learn_threshold). PHI_ERR_ORDER leaves d unchanged. */
phi_status phi_heartbeat(phi_detector *d, double t_s);

/* Akka's rule against learning an outage: a heartbeat that arrives when
 * phi(t) >= threshold (the peer was already suspected) restarts the clock
 * but its long interval is not learned. Default +inf: learn every interval,
 * as Cassandra does. threshold > 0 or PHI_ERR_ARG. */
phi_status phi_set_learn_threshold(phi_detector *d, double threshold);

/* phi at now_s: -log10 Q((now - last - mean - pause) / std), computed from
 * log erfc so that it stays finite and accurate however long the silence
 * (Q itself underflows beyond phi ~ 308). 0 before the first heartbeat. */
double phi_value(const phi_detector *d, double now_s);

/* The absolute time at which phi reaches `threshold` (in (0, 300]) if no
 * heartbeat arrives: last + mean + pause + std Qinv(10^-threshold), never
 * before the last heartbeat. +inf before the first heartbeat; NaN for a
 * threshold out of range. */
double phi_crossing_time_s(const phi_detector *d, double threshold);

/* The learned statistics: mean inter-arrival time (without the pause), the
 * std phi uses (max of the window's population std and min_std), and the
 * number of samples in the window. */
double phi_mean_interval_s(const phi_detector *d);
double phi_std_s(const phi_detector *d);
size_t phi_samples(const phi_detector *d);

#endif
