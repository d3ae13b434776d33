#include "models/traffic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <xxhash.h>

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

/* service.model and service.candidates_per_query: the model preset
 * (kernels/models) and the candidates per query the calibration file must
 * have been measured for (`firedrill calibrate --model M --candidates N`);
 * parse_calibration checks the file against them. */
static void parse_model(cfg_obj *s, traffic_spec *t) {
    const char *model = cfg_string(s, "model", "", "model preset (kernels/models) the calibration file measured");
    t->candidates_per_query =
        (int)cfg_int(s, "candidates_per_query", 0, 0, 1 << 20, "candidates each query ranks (with model)");
    if (s->doc->failed) return;
    if (strlen(model) >= sizeof t->model) {
        cfg_fail(s, "model", "at most %zu characters, got %zu", sizeof t->model - 1, strlen(model));
        return;
    }
    snprintf(t->model, sizeof t->model, "%s", model);
    if (*model && t->service != SERVICE_CALIBRATED)
        cfg_fail(s, "model", "needs distribution \"calibrated\" and a calibration_file measured for it");
    else if (*model && t->candidates_per_query == 0)
        cfg_fail(s, "candidates_per_query", "needs a value with service.model (the calibration's --candidates)");
    else if (!*model && t->candidates_per_query)
        cfg_fail(s, "candidates_per_query", "needs service.model");
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
        char err[1024];
        if (calib_load(path, &table, err, sizeof err) != 0) {
            cfg_fail(s, "calibration_file", "%s", err);
            return;
        }
        /* A table of another model or candidate count gives another service. */
        if (calib_check_model(&table, path, t->model, t->candidates_per_query, err, sizeof err) != 0) {
            calib_free(&table);
            cfg_fail(s, "calibration_file", "%s", err);
            return;
        }
        t->n_calib = table.n < TRAFFIC_MAX_CALIB_ROWS ? table.n : TRAFFIC_MAX_CALIB_ROWS;
        memcpy(t->calib, table.rows, t->n_calib * sizeof *t->calib);
        calib_free(&table);
        return;
    }
    if (t->model[0] && n_sizes) {
        cfg_fail(s, "model", "needs a calibration_file: inline latency lists say nothing of the model they measured");
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
    parse_model(&s, t);
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

/* Erlang B of floor(servers) servers as the Poisson pmf over its CDF (GSL:
 * O(1) however large the fleet, where the recursion is O(c)); servers may
 * be fractional during scale-up, so the last step uses the real count. */
double traffic_erlang_c(double servers, double a) {
    if (servers <= 0 || a >= servers) return 1;
    if (a <= 0) return 0;
    unsigned c = (unsigned)floor(servers);
    double pmf = c ? gsl_ran_poisson_pdf(c, a) : 1;
    /* A pmf that underflows makes B (and C) exactly 0 whatever the cdf: a
     * large fleet at a sane load, where the cdf (an incomplete gamma
     * function) would cost the most. */
    if (pmf == 0) return 0;
    double b = c ? pmf / gsl_cdf_poisson_P(c, a) : 1;
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

/* ---- the stable-segment cache -------------------------------------------------- */

/* Entries beyond this are computed but not kept until the cache is
 * trimmed between replicas (a scenario whose states rarely repeat, as a
 * large fleet's server counts, gains little from keeping them). */
#define CACHE_MAX_ENTRIES (1u << 16)

typedef struct cache_entry {
    double servers, lam, extra_s; /* the key: slots, quantised arrival rate, network latency */
    stable_queue sq;
    double mu, mean_response_s, p99_s; /* p99: NaN until a timeline asks */
    bool slo_met;
    int32_t law; /* its latency law in the cache's laws, -1 until folded */
} cache_entry;

/* A response-time law binned for the histogram, per unit of served weight.
 * Many states share one: a fleet of thousands of slots at a sane load
 * almost never waits (Erlang C below 1e-15), and then the law is the
 * service time alone, whatever the number of servers. */
typedef struct latency_law {
    double mu, pw, nu, shift_s; /* the key */
    double mass[LATHIST_BINS];
} latency_law;

static void cache_clear(traffic_cache *c);

struct traffic_cache {
    const traffic_spec *spec; /* the entries belong to it */
    cache_entry *entries;
    size_t n, cap;
    uint32_t *index; /* open addressing: entry + 1, 0 empty */
    size_t index_cap;
    latency_law *laws;
    size_t n_laws, cap_laws;
    /* served weight per entry of the replica being accounted, zero between
     * replicas: kept here, so that a replica does not allocate and clear
     * arrays as large as the cache (a large fleet's cache holds thousands
     * of states, a replica uses a few hundred) */
    double *w_all, *w_incident;
    size_t n_w;
};

traffic_cache *traffic_cache_create(void) { return calloc(1, sizeof(traffic_cache)); }

void traffic_cache_trim(traffic_cache *c) {
    if (c && c->n > CACHE_MAX_ENTRIES / 2) cache_clear(c);
}

static void cache_clear(traffic_cache *c) {
    c->n = c->n_laws = 0;
    if (c->index) memset(c->index, 0, c->index_cap * sizeof *c->index);
}

void traffic_cache_free(traffic_cache *c) {
    if (!c) return;
    free(c->w_all);
    free(c->w_incident);
    free(c->laws);
    free(c->entries);
    free(c->index);
    free(c);
}

/* Rates are rounded to 30 significant bits (relative 5e-10), so the same
 * point of the weekly shape on another day is the same state; the segment
 * is computed at the rounded rate. */
static double quantise(double x) {
    int e;
    double m = frexp(x, &e);
    return ldexp(nearbyint(m * 1073741824.0), e - 30);
}

static uint64_t key_hash(double servers, double lam, double extra_s) {
    const double k[3] = {servers, lam, extra_s};
    return XXH3_64bits(k, sizeof k);
}

static size_t cache_slot(const traffic_cache *c, uint64_t h, double servers, double lam, double extra_s) {
    size_t mask = c->index_cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint32_t e = c->index[i];
        if (!e) return i;
        const cache_entry *x = &c->entries[e - 1];
        if (x->servers == servers && x->lam == lam && x->extra_s == extra_s) return i;
    }
}

static bool cache_grow(traffic_cache *c) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        cache_entry *grown = realloc(c->entries, cap * sizeof *grown);
        if (!grown) return false;
        c->entries = grown;
        c->cap = cap;
    }
    if (2 * (c->n + 1) > c->index_cap) {
        size_t cap = c->index_cap ? 2 * c->index_cap : 512;
        uint32_t *index = calloc(cap, sizeof *index);
        if (!index) return false;
        free(c->index);
        c->index = index;
        c->index_cap = cap;
        for (size_t i = 0; i < c->n; i++) {
            const cache_entry *x = &c->entries[i];
            c->index[cache_slot(c, key_hash(x->servers, x->lam, x->extra_s), x->servers, x->lam, x->extra_s)] =
                (uint32_t)(i + 1);
        }
    }
    return true;
}

static void entry_fill(cache_entry *x, const traffic_spec *t, const serving_state *s, double servers, double lam,
                       double mu, double wait_scale, double added_s) {
    x->sq = stable_queue_of(t, s, servers, lam, mu, wait_scale, added_s);
    x->mu = mu;
    /* mean response: service plus the Erlang C wait (requests cut by the
     * timeout are ignored: a tail of mass timed_out) */
    x->mean_response_s = 1.0 / mu + x->sq.q.pw / x->sq.q.nu + x->sq.shift_s;
    x->slo_met = mmc_latency_slo_met(t, &x->sq.q, x->sq.shift_s);
    x->p99_s = NAN;
    x->law = -1;
}

/* The entry of a stable segment, or NULL when it cannot be kept (then the
 * caller computes into *scratch). */
static cache_entry *cache_get(traffic_acc *acc, const traffic_spec *t, const serving_state *s, double servers,
                              double lam, double mu, double wait_scale, double added_s, uint32_t *id,
                              cache_entry *scratch) {
    traffic_cache *c = acc->cache;
    if (c && c->spec != t) {
        cache_clear(c);
        c->spec = t;
    }
    if (!c || (c->n >= CACHE_MAX_ENTRIES) || !cache_grow(c)) {
        entry_fill(scratch, t, s, servers, lam, mu, wait_scale, added_s);
        return NULL;
    }
    uint64_t h = key_hash(servers, lam, s->extra_latency_s);
    size_t slot = cache_slot(c, h, servers, lam, s->extra_latency_s);
    if (!c->index[slot]) {
        cache_entry *x = &c->entries[c->n];
        x->servers = servers;
        x->lam = lam;
        x->extra_s = s->extra_latency_s;
        entry_fill(x, t, s, servers, lam, mu, wait_scale, added_s);
        c->index[slot] = (uint32_t)++c->n;
    }
    *id = c->index[slot] - 1;
    return &c->entries[*id];
}

/* Defers `served` of entry id's latency law to traffic_acc_finish. */
static bool defer_mass(traffic_acc *acc, uint32_t id, double served, bool incident) {
    traffic_cache *c = acc->cache;
    if (id >= c->n_w) {
        size_t n = c->cap;
        double *wa = realloc(c->w_all, n * sizeof *wa), *wi = wa ? realloc(c->w_incident, n * sizeof *wi) : NULL;
        if (wa) c->w_all = wa;
        if (!wa || !wi) return false;
        c->w_incident = wi;
        memset(wa + c->n_w, 0, (n - c->n_w) * sizeof *wa);
        memset(wi + c->n_w, 0, (n - c->n_w) * sizeof *wi);
        c->n_w = n;
    }
    if (c->w_all[id] == 0 && c->w_incident[id] == 0) {
        if (acc->n_used == acc->cap_used) {
            size_t cap = acc->cap_used ? 2 * acc->cap_used : 256;
            uint32_t *grown = realloc(acc->used, cap * sizeof *grown);
            if (!grown) return false;
            acc->used = grown;
            acc->cap_used = cap;
        }
        acc->used[acc->n_used++] = id;
    }
    c->w_all[id] += served;
    if (incident) c->w_incident[id] += served;
    return true;
}

static void add_mass(lathist *h, double weight, const double *mass) {
    for (int i = 0; i < LATHIST_BINS; i++) h->mass[i] += weight * mass[i];
    h->total += weight;
}

/* Below this the wait is no part of the law (a relative change of the
 * binned masses under 1e-15). */
#define LAW_NO_WAIT 1e-15

/* The law of entry x: found among the laws (a linear search: a scenario
 * has few distinct laws), or binned and added; -1 when out of memory. */
static int32_t entry_law(traffic_cache *c, cache_entry *x) {
    if (x->law >= 0) return x->law;
    mmc q = x->sq.q;
    if (q.pw < LAW_NO_WAIT) q.pw = q.nu = 0;
    for (size_t i = c->n_laws; i-- > 0;) {
        const latency_law *l = &c->laws[i];
        if (l->mu == q.mu && l->pw == q.pw && l->nu == q.nu && l->shift_s == x->sq.shift_s) return x->law = (int32_t)i;
    }
    if (c->n_laws == c->cap_laws) {
        size_t cap = c->cap_laws ? 2 * c->cap_laws : 16;
        latency_law *grown = realloc(c->laws, cap * sizeof *grown);
        if (!grown) return -1;
        c->laws = grown;
        c->cap_laws = cap;
    }
    latency_law *l = &c->laws[c->n_laws];
    *l = (latency_law){.mu = q.mu, .pw = q.pw, .nu = q.nu, .shift_s = x->sq.shift_s};
    lathist one;
    memset(&one, 0, sizeof one);
    if (q.pw == 0) q.nu = 2 * q.mu; /* any rate: the wait has no weight */
    lathist_add_survival(&one, 1, &q, x->sq.shift_s);
    memcpy(l->mass, one.mass, sizeof l->mass);
    return x->law = (int32_t)c->n_laws++;
}

/* Each entry's served weight goes to its law, and each law is binned into
 * the histograms once: entries of a large fleet (one per server count)
 * mostly share a law. Both in first-use order, so the sums do not depend
 * on what the cache held before. */
void traffic_acc_finish(traffic_acc *acc) {
    traffic_cache *c = acc->cache;
    double *law_all = c && c->n_laws + acc->n_used ? calloc(c->n_laws + acc->n_used, sizeof *law_all) : NULL;
    double *law_inc = law_all ? calloc(c->n_laws + acc->n_used, sizeof *law_inc) : NULL;
    int32_t *order = law_inc ? malloc((acc->n_used + 1) * sizeof *order) : NULL;
    size_t n_order = 0;
    for (size_t k = 0; k < acc->n_used; k++) {
        uint32_t id = acc->used[k];
        cache_entry *x = &c->entries[id];
        int32_t law = order ? entry_law(c, x) : -1;
        if (law < 0) {
            /* no room to keep it: add this replica's share directly */
            lathist_add_survival(&acc->all, c->w_all[id], &x->sq.q, x->sq.shift_s);
            lathist_add_survival(&acc->incident, c->w_incident[id], &x->sq.q, x->sq.shift_s);
        } else {
            if (law_all[law] == 0 && law_inc[law] == 0) order[n_order++] = law;
            law_all[law] += c->w_all[id];
            law_inc[law] += c->w_incident[id];
        }
        c->w_all[id] = c->w_incident[id] = 0;
    }
    for (size_t k = 0; k < n_order; k++) {
        const double *mass = c->laws[order[k]].mass;
        if (law_all[order[k]] > 0) add_mass(&acc->all, law_all[order[k]], mass);
        if (law_inc[order[k]] > 0) add_mass(&acc->incident, law_inc[order[k]], mass);
    }
    free(law_all);
    free(law_inc);
    free(order);
    acc->n_used = 0;
}

void traffic_acc_free(traffic_acc *acc) {
    /* weight never folded (a replica that failed): the cache's next
     * replica starts from zero all the same */
    for (size_t k = 0; acc->cache && k < acc->n_used; k++)
        acc->cache->w_all[acc->used[k]] = acc->cache->w_incident[acc->used[k]] = 0;
    if (acc->own_cache) traffic_cache_free(acc->cache);
    acc->cache = NULL;
    acc->own_cache = false;
    free(acc->used);
    acc->used = NULL;
    acc->n_used = acc->cap_used = 0;
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
    if (!acc->cache) {
        acc->cache = traffic_cache_create();
        acc->own_cache = acc->cache != NULL;
    }
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
            /* Stable M/M/c (waiting part scaled for non-exponential service),
             * at the quantised rate of the cache's key. */
            double lam_q = quantise(lam);
            service_rates(t, lam_q, servers, &mu, &wait_scale, &added_s);
            cache_entry scratch;
            uint32_t id = 0;
            cache_entry *x = cache_get(acc, t, s, servers, lam_q, mu, wait_scale, added_s, &id, &scratch);
            const cache_entry *e = x ? x : &scratch;
            const double tail = e->sq.timed_out;
            double served = lam * dt * (1 - tail);
            failed += lam * dt * tail;
            acc->served += served;
            acc->latency_sum_s += served * e->mean_response_s;
            if (!x || !defer_mass(acc, id, served, s->incident_open)) {
                lathist_add_survival(&acc->all, served, &e->sq.q, e->sq.shift_s);
                if (s->incident_open) lathist_add_survival(&acc->incident, served, &e->sq.q, e->sq.shift_s);
            }
            if (acc->on_segment) {
                if (x && isnan(x->p99_s)) x->p99_s = e->sq.shift_s + mmc_quantile(&e->sq.q, 0.99);
                segment_p99 = x ? x->p99_s : e->sq.shift_s + mmc_quantile(&e->sq.q, 0.99);
            }
            if (!e->slo_met) violated = true;
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
