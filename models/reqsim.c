#include "models/reqsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

struct reqsim {
    sim *s;
    const traffic_spec *t;
    traffic_acc *acc;
    gsl_rng *arrivals, *service, *routing;
    serving_state st;
    reqsim_state_fn state;
    const void *state_ctx;
    double horizon_s;
    long capacity, busy;
    /* FIFO of arrival times of waiting requests (ring buffer) */
    double *queue;
    size_t q_head, q_len, q_cap;
    /* the current SLO window: from w_start to the next grid line (grid + 1) * segment_s or a cut */
    long grid;
    double w_start;
    double w_offered, w_failed, w_slow, w_served;
    lathist w_latency; /* served latencies of the window, kept for timelines only */
    double lognormal_mu, lognormal_sigma;
    sim_handle batch_deadline; /* fires when the oldest waiting request may wait no longer */
    reqsim_batch_fn on_batch;
    void *on_batch_ctx;
};

static double service_draw(reqsim *r) {
    const traffic_spec *t = r->t;
    switch (t->service) {
    case SERVICE_EXPONENTIAL: return gsl_ran_exponential(r->service, t->service_mean_s);
    case SERVICE_LOGNORMAL: return gsl_ran_lognormal(r->service, r->lognormal_mu, r->lognormal_sigma);
    case SERVICE_DETERMINISTIC: return t->service_mean_s;
    case SERVICE_CALIBRATED: return traffic_batch_latency_s(t, 1);
    }
    return t->service_mean_s;
}

/* SLO windows: the grid of segment_s, cut wherever the serving state
 * changes (reqsim_cut), as the segment fidelity cuts its segments. The SLO
 * is judged per window (quantile <= objective iff the share slower than it
 * is <= 1-q), so an outage counts for its own length, not its segment's. */
static void close_window(reqsim *r, double end) {
    const traffic_spec *t = r->t;
    double len = (end > r->horizon_s ? r->horizon_s : end) - r->w_start;
    bool violated = r->w_offered > 0 && (r->w_failed > t->slo_max_failed_fraction * r->w_offered ||
                                         (r->w_served > 0 && r->w_slow > (1 - t->slo_quantile) * r->w_served));
    if (r->st.servers <= 0 && r->w_offered == 0) violated = true;
    if (violated && len > 0) r->acc->slo_violation_s += len;
    if (r->acc->on_segment && len > 0) {
        /* capacity as the servers' rate at single-request service */
        double per_slot =
            t->service == SERVICE_CALIBRATED ? 1.0 / traffic_batch_latency_s(t, 1) : 1.0 / t->service_mean_s;
        traffic_segment seg = {r->w_start,
                               r->w_start + len,
                               r->w_offered / len,
                               (double)r->capacity * per_slot,
                               r->w_offered > 0 ? r->w_failed / r->w_offered : 0,
                               lathist_quantile(&r->w_latency, 0.99)};
        r->acc->on_segment(r->acc->on_segment_ctx, &seg);
        memset(&r->w_latency, 0, sizeof r->w_latency);
    }
    r->w_offered = r->w_failed = r->w_slow = r->w_served = 0;
    r->w_start = end;
}

static void close_windows_until(reqsim *r, double now) {
    for (;;) {
        double end = (double)(r->grid + 1) * r->t->segment_s;
        if (end > now || r->w_start >= r->horizon_s) return;
        close_window(r, end);
        r->grid++;
    }
}

void reqsim_cut(reqsim *r) {
    double now = simtime_to_s(sim_now(r->s));
    close_windows_until(r, now);
    if (now > r->w_start && now < r->horizon_s) close_window(r, now);
}

static void count_failed(reqsim *r) {
    r->acc->failed += 1;
    r->w_failed += 1;
}

static void on_done(sim *s, void *ctx, sim_payload p);
static void on_batch_deadline(sim *s, void *ctx, sim_payload p);

/* A request leaves with this latency: it counts once, when its service
 * starts (its latency is known then). */
static void count_served(reqsim *r, double latency) {
    r->acc->served += 1;
    r->acc->latency_sum_s += latency;
    lathist_add_point(&r->acc->all, 1, latency);
    if (r->st.incident_open) lathist_add_point(&r->acc->incident, 1, latency);
    r->w_served += 1;
    if (latency > r->t->slo_latency_s) r->w_slow += 1;
    if (r->acc->on_segment) lathist_add_point(&r->w_latency, 1, latency);
}

static double pop_arrival(reqsim *r) {
    double arrived = r->queue[r->q_head];
    r->q_head = (r->q_head + 1) % r->q_cap;
    r->q_len--;
    return arrived;
}

/* Starts waiting requests while servers are free; those that already waited
 * past the timeout have given up. With micro-batching a free slot takes up
 * to max_batch requests, but waits for a full batch until the oldest
 * request has waited max_batch_delay_s. */
static void dispatch(reqsim *r) {
    const traffic_spec *t = r->t;
    double now = simtime_to_s(sim_now(r->s));
    bool batching = t->service == SERVICE_CALIBRATED && t->max_batch > 1;
    while (r->q_len && r->busy < r->capacity) {
        size_t n = 1;
        if (batching) {
            double oldest = r->queue[r->q_head];
            if ((int)r->q_len < t->max_batch && now - oldest < t->max_batch_delay_s - 1e-9) {
                if (!sim_is_pending(r->s, r->batch_deadline))
                    r->batch_deadline = sim_schedule_at(r->s, simtime_from_s(oldest + t->max_batch_delay_s),
                                                        on_batch_deadline, r, SIM_PAYLOAD_NONE);
                return;
            }
            n = r->q_len < (size_t)t->max_batch ? r->q_len : (size_t)t->max_batch;
        }
        double svc = batching ? traffic_batch_latency_s(t, (int)n) : service_draw(r);
        size_t started = 0;
        for (size_t i = 0; i < n; i++) {
            /* the network round trip adds latency but holds no server */
            double latency = now - pop_arrival(r) + svc + r->st.extra_latency_s;
            if (latency > t->timeout_s)
                count_failed(r);
            else
                count_served(r, latency), started++;
        }
        if (!started) continue;
        if (r->on_batch) r->on_batch(r->on_batch_ctx, (int)started);
        r->busy++;
        sim_schedule_in(r->s, simtime_from_s(svc), on_done, r, SIM_PAYLOAD_NONE);
    }
}

static void on_batch_deadline(sim *s, void *ctx, sim_payload p) {
    (void)s, (void)p;
    dispatch(ctx);
}

static void refresh_state(reqsim *r) {
    r->st = r->state(r->state_ctx);
    r->capacity = (long)floor(r->st.servers * r->t->slots_per_server + 1e-9);
}

static void on_done(sim *s, void *ctx, sim_payload p) {
    (void)p;
    reqsim *r = ctx;
    close_windows_until(r, simtime_to_s(sim_now(s)));
    refresh_state(r);
    r->busy--;
    dispatch(r);
}

static bool enqueue(reqsim *r, double now) {
    if (r->q_len == r->q_cap) {
        size_t cap = r->q_cap ? 2 * r->q_cap : 1024;
        double *grown = malloc(cap * sizeof *grown);
        if (!grown) return false;
        for (size_t i = 0; i < r->q_len; i++) grown[i] = r->queue[(r->q_head + i) % r->q_cap];
        free(r->queue);
        r->queue = grown;
        r->q_cap = cap;
        r->q_head = 0;
    }
    r->queue[(r->q_head + r->q_len) % r->q_cap] = now;
    r->q_len++;
    return true;
}

static void on_arrival(sim *s, void *ctx, sim_payload p) {
    (void)p;
    reqsim *r = ctx;
    double now = simtime_to_s(sim_now(s));
    close_windows_until(r, now);
    refresh_state(r);
    r->acc->offered += 1;
    r->w_offered += 1;
    bool blackholed = r->st.blackhole_fraction > 0 && gsl_rng_uniform(r->routing) < r->st.blackhole_fraction;
    if (blackholed || r->st.degraded_model || r->capacity <= 0)
        count_failed(r);
    else if (!enqueue(r, now))
        count_failed(r);
    else
        dispatch(r);
    double rate = traffic_rate_qps(r->t, now, r->st.rate_multiplier);
    double next = now + gsl_ran_exponential(r->arrivals, 1.0 / rate);
    if (next < r->horizon_s) sim_schedule_at(s, simtime_from_s(next), on_arrival, r, SIM_PAYLOAD_NONE);
}

reqsim *reqsim_create(sim *s, const traffic_spec *t, traffic_acc *acc, double horizon_s, reqsim_state_fn state,
                      const void *state_ctx) {
    reqsim *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    *r = (reqsim){.s = s, .t = t, .acc = acc, .horizon_s = horizon_s, .state = state, .state_ctx = state_ctx};
    r->arrivals = sim_stream(s, "traffic.arrivals");
    r->service = sim_stream(s, "traffic.service");
    r->routing = sim_stream(s, "traffic.routing");
    if (!r->arrivals || !r->service || !r->routing) {
        free(r);
        return NULL;
    }
    double sigma2 = log1p(t->service_cv * t->service_cv);
    r->lognormal_mu = log(t->service_mean_s) - sigma2 / 2;
    r->lognormal_sigma = sqrt(sigma2);
    r->st.rate_multiplier = 1;
    double first = gsl_ran_exponential(r->arrivals, 1.0 / traffic_rate_qps(t, 0, 1));
    sim_schedule_at(s, simtime_from_s(first), on_arrival, r, SIM_PAYLOAD_NONE);
    return r;
}

void reqsim_finish(reqsim *r) {
    double now = simtime_to_s(sim_now(r->s));
    for (size_t i = 0; i < r->q_len; i++)
        if (now - r->queue[(r->q_head + i) % r->q_cap] > r->t->timeout_s) count_failed(r);
    close_windows_until(r, r->horizon_s + r->t->segment_s * 0.999);
}

void reqsim_set_batch_hook(reqsim *r, reqsim_batch_fn fn, void *ctx) {
    r->on_batch = fn;
    r->on_batch_ctx = ctx;
}

void reqsim_free(reqsim *r) {
    if (!r) return;
    free(r->queue);
    free(r);
}
