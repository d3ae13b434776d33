/* Traffic and service: the offered request rate over time (diurnal and
 * weekly shape, flash-sale surges), the servers' service-time law, the SLO,
 * and the accounting of requests over rate segments with analytic M/M/c
 * queueing (Allen-Cunneen correction for non-exponential service), backlog
 * carried over while overloaded. */
#ifndef MODELS_TRAFFIC_H
#define MODELS_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/calib.h"
#include "models/cfg.h"

#define TRAFFIC_MAX_SURGES 8
/* Latency bins: 50 per decade over 1e-5 .. 1e3 s; a bin spans 4.7 %, and
 * quantiles interpolate geometrically inside it. */
#define LATHIST_PER_DECADE 50
#define LATHIST_BINS       (8 * LATHIST_PER_DECADE)

typedef struct surge_spec {
    double at_s, ramp_s, duration_s, multiplier;
} surge_spec;

/* calibrated: the latency of a batch of n requests comes from a measured
 * table (firedrill calibrate), so runs are reproducible; servers form
 * micro-batches of up to max_batch requests, waiting at most
 * max_batch_delay_s for a batch to fill. */
typedef enum service_law {
    SERVICE_EXPONENTIAL,
    SERVICE_LOGNORMAL,
    SERVICE_DETERMINISTIC,
    SERVICE_CALIBRATED
} service_law;
#define TRAFFIC_MAX_CALIB_ROWS 256
typedef enum routing_mode { ROUTING_PRIMARY, ROUTING_ACTIVE_ACTIVE } routing_mode;
/* segments: rate segments with analytic queueing (month-long horizons);
 * requests: every request an event through a FIFO multi-server queue
 * (exact; validation and short horizons). */
typedef enum traffic_fidelity { FIDELITY_SEGMENTS, FIDELITY_REQUESTS } traffic_fidelity;

typedef struct traffic_spec {
    traffic_fidelity fidelity;
    double base_qps;          /* mean offered rate over a normal day */
    double diurnal_amplitude; /* relative: rate = base (1 + a cos(2 pi (h - peak)/24)) */
    double peak_hour;
    double weekend_factor;
    routing_mode routing;
    double timeout_s;
    double slo_latency_s, slo_quantile, slo_max_failed_fraction;
    double segment_s;
    size_t n_surges;
    surge_spec surges[TRAFFIC_MAX_SURGES];
    /* service */
    service_law service;
    double service_mean_s, service_cv;
    int slots_per_server; /* requests (or batches) a server processes at once */
    int max_batch;
    double max_batch_delay_s;
    bool execute;             /* run the kernels for every dispatched batch (request fidelity) */
    char model[64];           /* service.model: preset (kernels/models) the calibration is of; "" none */
    int candidates_per_query; /* service.candidates_per_query: with model, candidates each query ranks */
    size_t n_calib;
    calib_row calib[TRAFFIC_MAX_CALIB_ROWS]; /* by increasing batch size */
} traffic_spec;

extern const char *const service_law_names[];
extern const char *const routing_mode_names[];
extern const char *const fidelity_names[];

bool traffic_parse(cfg_obj *root, traffic_spec *t);

/* Latency of one batch of n requests on a calibrated server. */
double traffic_batch_latency_s(const traffic_spec *t, int n);

/* Offered rate (requests/s) at time t from the start (day 0 is a Monday),
 * times `extra_multiplier` (stochastic surges). */
double traffic_rate_qps(const traffic_spec *t, double t_s, double extra_multiplier);

/* Latency histogram with log-spaced bins, weights in requests. */
typedef struct lathist {
    double mass[LATHIST_BINS];
    double total;
} lathist;
double lathist_quantile(const lathist *h, double p);
void lathist_add_point(lathist *h, double weight, double latency_s);

/* What the serving side looks like over an interval. */
typedef struct serving_state {
    double servers;            /* usable servers (may be fractional during scale-up) */
    double blackhole_fraction; /* share of requests routed to a dead target */
    bool degraded_model;       /* a bad model serves: requests count as failed */
    bool incident_open;
    double rate_multiplier; /* stochastic surges */
    double extra_latency_s; /* network round trip added to every request */
} serving_state;

/* One accounted segment, for timelines. */
typedef struct traffic_segment {
    double t0_s, t1_s, offered_qps, capacity_qps, failed_fraction, p99_s;
} traffic_segment;

/* What a stable segment's queue gives depends only on (servers, arrival
 * rate, network latency) for one traffic spec, and a month repeats its
 * weekly shape: a few thousand such states cover every segment of every
 * replica of a scenario. A cache keeps them (the queue, its timeout share,
 * SLO verdict, latency law per histogram bin), so a segment costs a hash
 * lookup. It belongs to one thread at a time and may serve many replicas
 * and scenarios (it empties itself when the spec changes); results do not
 * depend on what it held before (each entry is a function of its key). */
typedef struct traffic_cache traffic_cache;
traffic_cache *traffic_cache_create(void);
void traffic_cache_free(traffic_cache *c);
/* Between replicas (no traffic_acc holds entries): empties a cache grown
 * past half its bound, so that the next replica can keep what it meets. */
void traffic_cache_trim(traffic_cache *c);

typedef struct traffic_acc {
    double offered, failed;
    double slo_violation_s;
    double backlog;               /* requests queued beyond capacity, carried between segments */
    double served, latency_sum_s; /* for the mean latency */
    lathist all, incident;
    /* when set, called for every accounted segment (timelines) */
    void (*on_segment)(void *ctx, const traffic_segment *seg);
    void *on_segment_ctx;
    /* set before the first traffic_account (borrowed), or NULL: a private
     * one is made and traffic_acc_free frees it */
    traffic_cache *cache;
    bool own_cache;
    /* the cache entries this replica served with, in the order it first
     * used them; their served weight waits in the cache (zero between
     * replicas) until traffic_acc_finish folds it into `all` and `incident` */
    uint32_t *used;
    size_t n_used, cap_used;
} traffic_acc;

/* Folds the deferred latency mass into acc->all and acc->incident: call
 * before reading their quantiles. Idempotent. */
void traffic_acc_finish(traffic_acc *acc);
void traffic_acc_free(traffic_acc *acc);

/* Accounts requests in [t0_s, t1_s) under state s. Returns the failed
 * requests of this interval. */
double traffic_account(traffic_acc *acc, const traffic_spec *t, double t0_s, double t1_s, const serving_state *s);

/* Whether the servers of s meet the SLO in steady state at the rate of time
 * t_s: the test traffic_account applies to a stable segment with no backlog
 * (false when overloaded). The world asks it when a failover completes onto
 * a standby still scaling up, so that the RTO ends when the SLO is met. */
bool traffic_slo_met(const traffic_spec *t, double t_s, const serving_state *s);

/* Erlang C: the probability that a request waits in M/M/c (servers may be
 * fractional during scale-up). */
double traffic_erlang_c(double servers, double offered_erlangs);

#endif
