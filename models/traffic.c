#include "models/traffic.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const service_law_names[] = {"exponential", "lognormal", "deterministic", "calibrated", NULL};
const char *const routing_mode_names[] = {"primary", "active_active", NULL};
const char *const fidelity_names[] = {"segments", "requests", NULL};

static bool parse_surges(cfg_obj *o, traffic_spec *t) {
    size_t n = cfg_array_size(o, "surges", 0, "flash-sale surges (e.g. Singles' Day)");
    if (n > TRAFFIC_MAX_SURGES) {
        cfg_fail(o, "surges", "at most %d surges, got %zu", TRAFFIC_MAX_SURGES, n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        cfg_obj s;
        if (!cfg_enter_item(o, "surges", i, &s)) return false;
        surge_spec *g = &t->surges[i];
        g->at_s = cfg_duration(&s, "at_s", 0, 0, 1e12, "surge start");
        g->ramp_s = cfg_duration(&s, "ramp_s", 3600, 0, 1e9, "linear ramp up and down");
        g->duration_s = cfg_duration(&s, "duration_s", 4 * 3600, CFG_GT0, 1e9, "time at peak");
        g->multiplier = cfg_number(&s, "multiplier", 10, CFG_GT0, 1000, "", "peak rate / normal rate");
        if (!cfg_leave(&s)) return false;
    }
    t->n_surges = n;
    return true;
}

/* The batch-latency table: inline lists, or an HDF5 file written by
 * `firedrill calibrate` (a path relative to the scenario file). */
static void parse_calibration(cfg_obj *s, traffic_spec *t) {
    double sizes[TRAFFIC_MAX_CALIB_ROWS], lat[TRAFFIC_MAX_CALIB_ROWS];
    size_t n_sizes = cfg_number_list(s, "calibration_batch_sizes", sizes, TRAFFIC_MAX_CALIB_ROWS, 1, 1e6, "",
                                     "batch sizes of the inline latency table");
    size_t n_lat = cfg_number_list(s, "calibration_latency_s", lat, TRAFFIC_MAX_CALIB_ROWS, 1e-9, 3600, "s",
                                   "median batch latency for each size");
    const char *file = cfg_string(s, "calibration_file", "", "HDF5 table from firedrill calibrate");
    if (s->doc->failed || t->service != SERVICE_CALIBRATED) return;
    if (n_sizes != n_lat) {
        cfg_fail(s, "calibration_latency_s", "needs one latency per batch size (%zu), got %zu", n_sizes, n_lat);
        return;
    }
    if (*file) {
        if (n_sizes) {
            cfg_fail(s, "calibration_file", "give either a file or the inline lists, not both");
            return;
        }
        char path[1024];
        const char *slash = strrchr(s->doc->file, '/');
        if (file[0] == '/' || !slash)
            snprintf(path, sizeof path, "%s", file);
        else
            snprintf(path, sizeof path, "%.*s/%s", (int)(slash - s->doc->file), s->doc->file, file);
        calib_table table;
        char err[256];
        if (calib_load(path, &table, err, sizeof err) != 0) {
            cfg_fail(s, "calibration_file", "%s", err);
            return;
        }
        t->n_calib = table.n < TRAFFIC_MAX_CALIB_ROWS ? table.n : TRAFFIC_MAX_CALIB_ROWS;
        memcpy(t->calib, table.rows, t->n_calib * sizeof *t->calib);
        calib_free(&table);
        return;
    }
    if (n_sizes == 0) {
        cfg_fail(s, "distribution", "\"calibrated\" needs calibration_file or calibration_batch_sizes/_latency_s");
        return;
    }
    for (size_t i = 0; i < n_sizes; i++) {
        if (sizes[i] != floor(sizes[i]) || (i && sizes[i] <= sizes[i - 1])) {
            char key[64];
            snprintf(key, sizeof key, "calibration_batch_sizes[%zu]", i);
            cfg_fail(s, key, "batch sizes must be increasing integers");
            return;
        }
        t->calib[i] = (calib_row){(int32_t)sizes[i], lat[i], lat[i], lat[i]};
    }
    t->n_calib = n_sizes;
}

bool traffic_parse(cfg_obj *root, traffic_spec *t) {
    memset(t, 0, sizeof *t);
    cfg_obj o;
    if (!cfg_enter(root, "traffic", &o)) return false;
    t->fidelity = (traffic_fidelity)cfg_enum(&o, "fidelity", fidelity_names, FIDELITY_SEGMENTS,
                                             "requests as rate segments or each as an event");
    t->base_qps = cfg_number(&o, "base_qps", 10000, CFG_GT0, 1e9, "requests/s", "mean offered rate");
    t->diurnal_amplitude = cfg_number(&o, "diurnal_amplitude", 0.5, 0, 0.99, "", "relative daily swing");
    t->peak_hour = cfg_number(&o, "peak_hour", 21, 0, 24, "h", "hour of the daily peak");
    t->weekend_factor = cfg_number(&o, "weekend_factor", 1.2, CFG_GT0, 10, "", "rate factor on Sat/Sun");
    t->routing =
        (routing_mode)cfg_enum(&o, "routing", routing_mode_names, ROUTING_PRIMARY, "how regions share traffic");
    t->timeout_s = cfg_duration(&o, "timeout_s", 1, CFG_GT0, 3600, "request timeout: slower requests fail");
    t->slo_latency_s = cfg_duration(&o, "slo_latency_s", 0.2, CFG_GT0, 3600, "latency objective");
    t->slo_quantile = cfg_number(&o, "slo_quantile", 0.99, 0.5, 0.99999, "", "quantile the latency SLO applies to");
    t->slo_max_failed_fraction =
        cfg_number(&o, "slo_max_failed_fraction", 0.001, 0, 1, "", "failed share above which the SLO is violated");
    t->segment_s = cfg_duration(&o, "segment_s", 600, 1, 86400, "length of constant-rate segments");
    parse_surges(&o, t);
    if (!cfg_leave(&o)) return false;

    cfg_obj s;
    if (!cfg_enter(root, "service", &s)) return false;
    t->service = (service_law)cfg_enum(&s, "distribution", service_law_names, SERVICE_EXPONENTIAL, "service-time law");
    t->service_mean_s = cfg_duration(&s, "mean_s", 0.02, CFG_GT0, 3600, "mean service time of one request");
    t->service_cv = cfg_number(&s, "cv", 1, 0, 20, "", "coefficient of variation (lognormal)");
    t->slots_per_server = (int)cfg_int(&s, "slots_per_server", 8, 1, 100000, "requests served at once per server");
    t->max_batch = (int)cfg_int(&s, "max_batch", 1, 1, 4096, "largest micro-batch (calibrated service)");
    t->max_batch_delay_s = cfg_duration(&s, "max_batch_delay_s", 0.002, 0, 10, "longest wait for a batch to fill");
    parse_calibration(&s, t);
    t->execute = cfg_bool(&s, "execute", false, "rank every batch with the real kernels (request fidelity)");
    if (t->execute && t->fidelity != FIDELITY_REQUESTS)
        cfg_fail(&s, "execute", "needs traffic.fidelity \"requests\" (batches exist only there)");
    if (t->service != SERVICE_CALIBRATED && t->max_batch > 1)
        cfg_fail(&s, "max_batch", "micro-batching needs distribution \"calibrated\" (a batch-latency table)");
    return cfg_leave(&s);
}

double traffic_batch_latency_s(const traffic_spec *t, int n) {
    calib_table view = {.rows = (calib_row *)t->calib, .n = t->n_calib};
    return calib_latency_s(&view, n);
}

double traffic_rate_qps(const traffic_spec *t, double t_s, double extra_multiplier) {
    double hour = fmod(t_s / 3600.0, 24.0);
    double day = fmod(floor(t_s / 86400.0), 7.0);
    double rate = t->base_qps * (1 + t->diurnal_amplitude * cos(2 * M_PI * (hour - t->peak_hour) / 24.0));
    if (day >= 5) rate *= t->weekend_factor;
    double surge = 1;
    for (size_t i = 0; i < t->n_surges; i++) {
        const surge_spec *g = &t->surges[i];
        double into = t_s - g->at_s, end = g->ramp_s + g->duration_s;
        double f = 0;
        if (into < 0 || into > end + g->ramp_s) continue;
        if (into < g->ramp_s)
            f = into / g->ramp_s;
        else if (into <= end)
            f = 1;
        else
            f = 1 - (into - end) / g->ramp_s;
        double m = 1 + (g->multiplier - 1) * f;
        if (m > surge) surge = m;
    }
    return rate * surge * extra_multiplier;
}

/* Erlang C through the numerically stable Erlang B recursion; servers may be
 * fractional during scale-up, so the last step interpolates. */
double traffic_erlang_c(double servers, double a) {
    if (servers <= 0 || a >= servers) return 1;
    int c = (int)floor(servers);
    double b = 1;
    for (int k = 1; k <= c; k++) b = a * b / (k + a * b);
    double rho = a / servers;
    return b / (1 - rho + rho * b);
}

/* Response time T = W + S: W is 0 with probability 1 - C, else Exp(nu);
 * S is Exp(mu). P(T > x) in closed form; C is computed once per segment. */
typedef struct mmc {
    double pw, mu, nu;
} mmc;

static mmc mmc_make(double servers, double lambda, double mu, double wait_scale) {
    return (mmc){traffic_erlang_c(servers, lambda / mu), mu, (servers * mu - lambda) / wait_scale};
}

static double mmc_survival(const mmc *q, double x) {
    double es = exp(-q->mu * x);
    if (fabs(q->nu - q->mu) < 1e-9 * q->mu) return (1 - q->pw) * es + q->pw * (1 + q->mu * x) * es;
    return (1 - q->pw) * es + q->pw * (q->nu * es - q->mu * exp(-q->nu * x)) / (q->nu - q->mu);
}

static double bin_edge(int i) { return pow(10.0, -5.0 + (double)i / LATHIST_PER_DECADE); }

/* The p-quantile of the response time, by bisection on the survival
 * function (timelines only). */
static double mmc_quantile(const mmc *q, double p) {
    double lo = 0, hi = 1.0 / q->mu;
    while (mmc_survival(q, hi) > 1 - p && hi < 1e6) hi *= 2;
    for (int i = 0; i < 60; i++) {
        double mid = 0.5 * (lo + hi);
        if (mmc_survival(q, mid) > 1 - p)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* Adds the response-time law of q, shifted by a constant network delay. */
static void lathist_add_survival(lathist *h, double weight, const mmc *q, double shift_s) {
    double prev = 1, edge = bin_edge(1);
    const double ratio = pow(10.0, 1.0 / LATHIST_PER_DECADE);
    for (int i = 0; i < LATHIST_BINS; i++, edge *= ratio) {
        double s = edge <= shift_s ? 1 : mmc_survival(q, edge - shift_s);
        h->mass[i] += weight * (prev - s);
        prev = s;
    }
    h->mass[LATHIST_BINS - 1] += weight * prev;
    h->total += weight;
}

void lathist_add_point(lathist *h, double weight, double x) {
    int i = (int)floor((log10(x) + 5.0) * LATHIST_PER_DECADE);
    if (i < 0) i = 0;
    if (i >= LATHIST_BINS) i = LATHIST_BINS - 1;
    h->mass[i] += weight;
    h->total += weight;
}

double lathist_quantile(const lathist *h, double p) {
    if (h->total <= 0) return NAN;
    double target = p * h->total, cum = 0;
    for (int i = 0; i < LATHIST_BINS; i++) {
        if (cum + h->mass[i] >= target && h->mass[i] > 0) {
            double f = (target - cum) / h->mass[i];
            /* geometric interpolation inside a log-spaced bin */
            return bin_edge(i) * pow(bin_edge(i + 1) / bin_edge(i), f);
        }
        cum += h->mass[i];
    }
    return bin_edge(LATHIST_BINS);
}

/* The service seen by one request at offered rate lam on `slots` slots:
 * rate mu per slot, the Allen-Cunneen factor of the waiting time, and
 * latency added beyond 1/mu. With calibrated micro-batching a batch leaves
 * when it is full or when its oldest request has waited max_batch_delay_s:
 * it fills for f = min(delay, (B - 1)/lam_slot) and holds b = 1 + lam_slot f
 * requests; the oldest waited f, the others on average f/2. A slot then
 * serves b requests per L(b), and each request waits for the whole batch. */
/* Utilisation at which load-driven batches settle (see service_rates). */
#define BATCH_TARGET_RHO 0.85

static void service_rates(const traffic_spec *t, double lam, double slots, double *mu, double *wait_scale,
                          double *added_s) {
    double cs2 = t->service == SERVICE_EXPONENTIAL ? 1
                 : t->service == SERVICE_LOGNORMAL ? t->service_cv * t->service_cv
                                                   : 0;
    *wait_scale = (1 + cs2) / 2;
    *added_s = 0;
    if (t->service != SERVICE_CALIBRATED) {
        *mu = 1.0 / t->service_mean_s;
        return;
    }
    double b = 1, fill = 0;
    if (t->max_batch > 1) {
        double per_slot = slots > 0 ? lam / slots : 0;
        fill = t->max_batch_delay_s;
        if (per_slot > 0 && (t->max_batch - 1) / per_slot < fill) fill = (t->max_batch - 1) / per_slot;
        double b_deadline = 1 + per_slot * fill;
        /* Under load a free slot finds more waiting than the deadline
         * gathers: batches grow until the slots keep up (utilisation
         * BATCH_TARGET_RHO); requests then wait about half a batch time. */
        b = b_deadline;
        for (int k = 0; k < 20; k++) {
            double need = per_slot * traffic_batch_latency_s(t, (int)ceil(b - 1e-9)) / BATCH_TARGET_RHO;
            double next = need > b_deadline ? need : b_deadline;
            b = next > t->max_batch ? t->max_batch : next;
        }
        if (b > b_deadline) fill = traffic_batch_latency_s(t, (int)ceil(b - 1e-9)) / 2;
    }
    double latency = traffic_batch_latency_s(t, (int)ceil(b - 1e-9));
    *mu = b / latency;
    *added_s = latency - 1.0 / *mu + (fill + (b - 1) * fill / 2) / b;
}

/* The latency objective of a stable segment: P(response > objective) within
 * 1 - quantile, responses shifted by the added latency. */
static bool mmc_latency_slo_met(const traffic_spec *t, const mmc *q, double shift) {
    return t->slo_latency_s > shift && mmc_survival(q, t->slo_latency_s - shift) <= 1 - t->slo_quantile;
}

/* A stable segment's queue: M/M/c (waiting scaled for other service laws),
 * responses shifted by the added latency, and the share cut by the timeout.
 * traffic_account and traffic_slo_met judge the same queue. */
typedef struct stable_queue {
    mmc q;
    double shift_s, timed_out;
} stable_queue;

static stable_queue stable_queue_of(const traffic_spec *t, const serving_state *s, double servers, double lam,
                                    double mu, double wait_scale, double added_s) {
    stable_queue sq = {mmc_make(servers, lam, mu, wait_scale), s->extra_latency_s + added_s, 1};
    if (t->timeout_s > sq.shift_s) sq.timed_out = mmc_survival(&sq.q, t->timeout_s - sq.shift_s);
    return sq;
}

bool traffic_slo_met(const traffic_spec *t, double t_s, const serving_state *s) {
    double servers = s->servers * t->slots_per_server;
    if (servers <= 0 || s->degraded_model || s->blackhole_fraction > t->slo_max_failed_fraction) return false;
    double lam = traffic_rate_qps(t, t_s, s->rate_multiplier) * (1 - s->blackhole_fraction);
    double mu, wait_scale, added_s;
    service_rates(t, lam, servers, &mu, &wait_scale, &added_s);
    if (lam >= servers * mu) return false;
    stable_queue sq = stable_queue_of(t, s, servers, lam, mu, wait_scale, added_s);
    if (s->blackhole_fraction + (1 - s->blackhole_fraction) * sq.timed_out > t->slo_max_failed_fraction) return false;
    return mmc_latency_slo_met(t, &sq.q, sq.shift_s);
}

double traffic_account(traffic_acc *acc, const traffic_spec *t, double t0, double t1, const serving_state *s) {
    double failed_here = 0;
    double servers = s->servers * t->slots_per_server;
    for (double a = t0; a < t1;) {
        /* Segments end at multiples of segment_s so that accounting does not
         * depend on where other events split the interval. */
        double b = (floor(a / t->segment_s) + 1) * t->segment_s;
        if (b > t1) b = t1;
        double dt = b - a;
        double lambda = traffic_rate_qps(t, 0.5 * (a + b), s->rate_multiplier);
        double offered = lambda * dt;
        double failed = offered * s->blackhole_fraction;
        double lam = lambda * (1 - s->blackhole_fraction);
        double segment_p99 = NAN;
        double mu, wait_scale, added_s;
        service_rates(t, lam, servers, &mu, &wait_scale, &added_s);
        double cap = servers * mu;
        bool violated = s->blackhole_fraction > t->slo_max_failed_fraction || s->degraded_model;
        if (s->degraded_model)
            failed = offered;
        else if (servers <= 0) {
            failed = offered;
            violated = true;
        } else if (lam >= cap || acc->backlog > 0) {
            /* Overloaded or draining: the backlog grows or shrinks at
             * (lam - cap); what would wait beyond the timeout fails. */
            double limit = cap * t->timeout_s;
            double backlog = acc->backlog + (lam - cap) * dt;
            double overflow = backlog > limit ? backlog - limit : 0;
            failed += overflow;
            acc->backlog = backlog < 0 ? 0 : backlog - overflow;
            double served = lam * dt - overflow;
            double latency = acc->backlog / cap + 1.0 / mu + added_s + s->extra_latency_s;
            if (served > 0) {
                acc->served += served;
                acc->latency_sum_s += served * latency;
                lathist_add_point(&acc->all, served, latency);
                if (s->incident_open) lathist_add_point(&acc->incident, served, latency);
            }
            segment_p99 = latency;
            /* At or past capacity the queue has no steady state: the SLO is
             * missed whatever the fluid backlog says so far (as in
             * traffic_slo_met). A draining backlog is judged by its latency. */
            if (lam >= cap || latency > t->slo_latency_s || overflow > t->slo_max_failed_fraction * offered)
                violated = true;
        } else {
            /* Stable M/M/c (waiting part scaled for non-exponential service). */
            stable_queue sq = stable_queue_of(t, s, servers, lam, mu, wait_scale, added_s);
            const mmc q = sq.q;
            const double shift = sq.shift_s, tail = sq.timed_out;
            double served = lam * dt * (1 - tail);
            failed += lam * dt * tail;
            acc->served += served;
            /* mean response: service plus the Erlang C wait (requests cut by
             * the timeout are ignored: a tail of mass `tail`) */
            acc->latency_sum_s += served * (1.0 / mu + q.pw / q.nu + shift);
            lathist_add_survival(&acc->all, served, &q, shift);
            if (s->incident_open) lathist_add_survival(&acc->incident, served, &q, shift);
            if (acc->on_segment) segment_p99 = shift + mmc_quantile(&q, 0.99);
            if (!mmc_latency_slo_met(t, &q, shift)) violated = true;
            if (failed > t->slo_max_failed_fraction * offered) violated = true;
        }
        if (acc->on_segment) {
            traffic_segment seg = {a, b, lambda, cap, offered > 0 ? failed / offered : 0, segment_p99};
            acc->on_segment(acc->on_segment_ctx, &seg);
        }
        acc->offered += offered;
        acc->failed += failed;
        failed_here += failed;
        if (violated) acc->slo_violation_s += dt;
        a = b;
    }
    return failed_here;
}
