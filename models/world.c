/* One replica: set-up, the run, and its summary row. The world's parts
 * live in the world_*.c modules (world_internal.h lists them). */
#include "models/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "models/world_internal.h"
#include "sim/engine/stream.h"

/* ---- the replica ------------------------------------------------------------------- */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Cross-region replication to every replica other than home that keeps a
 * copy of the live model (all but cold standbys): the rows dirtied in each
 * replication-lag window cross the WAN once per window. */
static double replication_bytes(const scenario *sc, int home) {
    const model_spec *m = &sc->model;
    double lag = sc->failover.replication_lag_s, per_s = m->updates_per_s * m->rows_touched_per_update_fraction;
    double rate = lag > 0 ? m->logical_bytes * -expm1(-per_s * lag) / lag : m->logical_bytes * per_s;
    double bytes = 0;
    for (int r = 0; r < sc->n_regions; r++)
        if (r != home && scenario_region_standby(sc, r) != STANDBY_COLD) bytes += rate * sc->horizon_s;
    return bytes;
}

static void summarise(world *w, replica_metrics *m) {
    const scenario *sc = w->sc;
    double horizon = sc->horizon_s;
    double *rto = malloc((w->n_inc + 1) * sizeof *rto);
    size_t n_rto = 0, n_rpo = 0;
    double rpo_sum = 0, rpo_max = 0, lost = 0;
    m->rto_mean_s = m->rto_max_s = m->rto_p95_s = m->rpo_mean_s = m->rpo_max_s = NAN;
    for (size_t i = 0; i < w->n_inc; i++) {
        const incident_record *r = &w->inc[i];
        if (r->failed_over) m->failovers++;
        if (r->false_alarm) m->false_failovers++;
        if (r->outage && !isnan(r->rto_s) && rto) rto[n_rto++] = r->rto_s;
        if (r->rpo_s > 0) {
            n_rpo++;
            rpo_sum += r->rpo_s;
            if (r->rpo_s > rpo_max) rpo_max = r->rpo_s;
            lost += r->lost_updates;
        }
    }
    if (n_rto && rto) {
        qsort(rto, n_rto, sizeof *rto, cmp_double);
        double sum = 0;
        for (size_t i = 0; i < n_rto; i++) sum += rto[i];
        m->rto_mean_s = sum / (double)n_rto;
        m->rto_max_s = rto[n_rto - 1];
        m->rto_p95_s = gsl_stats_quantile_from_sorted_data(rto, 1, n_rto, 0.95);
    }
    free(rto);
    if (n_rpo) {
        m->rpo_mean_s = rpo_sum / (double)n_rpo;
        m->rpo_max_s = rpo_max;
    }
    m->incidents = (uint32_t)w->n_inc;
    m->lost_updates = lost;
    m->horizon_s = horizon;
    m->requests_total = w->acc.offered;
    m->requests_failed = w->acc.failed;
    m->availability_requests = w->acc.offered > 0 ? 1 - w->acc.failed / w->acc.offered : 1;
    m->availability_time = 1 - w->acc.slo_violation_s / horizon;
    m->slo_violation_min = w->acc.slo_violation_s / 60;
    m->latency_mean_s = w->acc.served > 0 ? w->acc.latency_sum_s / w->acc.served : NAN;
    traffic_acc_finish(&w->acc);
    m->latency_p50_s = lathist_quantile(&w->acc.all, 0.5);
    m->latency_p99_s = lathist_quantile(&w->acc.all, 0.99);
    m->latency_p99_incident_s = lathist_quantile(&w->acc.incident, 0.99);
    m->lost_revenue_quality = w->quality_loss;
    m->lost_revenue = w->acc.failed * sc->business.conversion_rate * sc->business.order_value + w->quality_loss;
    m->backup_bytes_moved = w->bytes_moved;
    m->backup_bytes_stored_peak = w->bytes_stored_peak;
    m->backup_cost = w->bytes_moved / 1e9 * sc->backup.transfer_cost_per_gb +
                     w->bytes_stored_peak / 1e9 * sc->backup.storage_cost_per_gb_month * horizon / (30 * 86400.0);
    m->backups_completed = w->backups_completed;
    m->backups_corrupt = w->backups_corrupt;
    m->backups_skipped = w->backups_skipped;
    m->fulls_skipped = w->fulls_skipped;
    m->pooled_servers_down_mean = wdis_pooled_down_mean(w, horizon);
    m->requests_failed_background = w->failed_background;
    m->lost_revenue_background = w->failed_background * sc->business.conversion_rate * sc->business.order_value;
    m->slo_violation_background_min = w->slo_background_s / 60;
    m->standby_cost = w->standby_cost;
    m->replication_bytes = replication_bytes(sc, w->home);
    m->replication_cost = m->replication_bytes / 1e9 * sc->cost.replication_per_gb;
    m->penalty_cost = m->slo_violation_min * sc->cost.sla_penalty_per_min;
    m->total_cost = m->standby_cost + m->replication_cost + m->backup_cost + m->lost_revenue + m->penalty_cost;
    m->total_cost_per_year = m->total_cost * (365.25 * 86400 / horizon);
    m->failbacks = w->failbacks;
}

struct world_cache {
    traffic_cache *traffic;
    quality *quality; /* made at a thread's first bad push */
};

world_cache *world_cache_create(void) {
    world_cache *c = calloc(1, sizeof *c);
    if (c && !(c->traffic = traffic_cache_create())) {
        free(c);
        return NULL;
    }
    return c;
}

void world_cache_free(world_cache *c) {
    if (!c) return;
    traffic_cache_free(c->traffic);
    quality_free(c->quality);
    free(c);
}

static serving_state serving_of(const void *ctx) { return wacct_serving(ctx); }

static void execute_batch(void *ctx, int n) {
    world *w = ctx;
    if (w->executor_err[0]) return;
    if (executor_rank(w->executor, n, w->executor_err, sizeof w->executor_err) != 0) sim_stop(w->s);
}

static bool create_trainer(world *w, char *err, size_t errlen) {
    const scenario *sc = w->sc;
    const real_state_spec *r = &sc->model.real;
    trainer_config cfg = trainer_config_default();
    cfg.logical_bytes = sc->model.logical_bytes;
    cfg.updates_per_s = sc->model.updates_per_s;
    cfg.rows_touched_per_update_fraction = sc->model.rows_touched_per_update_fraction;
    cfg.max_real_updates_per_s = r->max_real_updates_per_s;
    cfg.state.n_tables = (uint32_t)r->tables;
    cfg.state.rows = (uint32_t)r->rows;
    cfg.state.dim = (uint32_t)r->dim;
    cfg.state.zipf_exponent = r->zipf_exponent;
    cfg.state.seed = sim_stream_seed(sim_seed(w->s), "model.init");
    cfg.n_targets = 1;
    cfg.probe_queries = r->probe_queries;
    cfg.k = r->k;
    cfg.backend = w->opts.backend;
    gsl_rng *updates = sim_stream(w->s, "model.updates"), *probe = sim_stream(w->s, "model.probe");
    if (!updates || !probe || trainer_create(&cfg, updates, probe, &w->trainer, err, errlen) != 0) {
        if (!updates || !probe) snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

int world_run(const scenario *sc, const world_options *opts, uint64_t seed, world_result *out, char *err,
              size_t errlen) {
    memset(out, 0, sizeof *out);
    if (errlen > 0) err[0] = '\0';
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    world *w = calloc(1, sizeof *w);
    if (!w || !(w->s = sim_create(seed))) {
        free(w);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->sc = sc;
    w->opts = opts ? *opts : (world_options){.backend = REC_BACKEND_CPU};
    if (w->opts.cache) {
        traffic_cache_trim(w->opts.cache->traffic);
        w->acc.cache = w->opts.cache->traffic;
        w->quality = w->opts.cache->quality;
    }
    w->surge_multiplier = 1;
    w->latency_factor = 1;
    w->outage_incident = w->scaleup_incident = NO_INCIDENT;
    w->standby_target = -1;
    w->serving_recall = 1;
    wbak_setup(w);
    w->rng_outage = gsl_rng_alloc(stream_rng_type());
    w->rng_push = gsl_rng_alloc(stream_rng_type());
    w->rng_backup = sim_stream(w->s, "backup.corruption");
    for (int r = 0; r < sc->n_regions; r++)
        if (sc->regions[r].role == ROLE_PRIMARY) w->primary = w->home = r;
    for (int r = 0; r < sc->n_regions; r++)
        if (r != w->home) w->running[r] = sc->regions[r].servers * scenario_idle_running_share(sc, r);
    bool ok = w->rng_outage && w->rng_push && w->rng_backup;
    if (ok && sc->model.real.enabled) ok = create_trainer(w, err, errlen);
    if (ok) ok = wdis_setup(w);
    if (ok && w->opts.trace) {
        sim_set_trace(w->s, wtrace_event, w);
        w->acc.on_segment = wtrace_segment;
        w->acc.on_segment_ctx = w;
    }
    if (ok && sc->traffic.fidelity == FIDELITY_REQUESTS) {
        w->requests = reqsim_create(w->s, &sc->traffic, &w->acc, sc->horizon_s, serving_of, w);
        ok = w->requests != NULL;
        if (ok && sc->traffic.execute) {
            int max_batch = sc->traffic.service == SERVICE_CALIBRATED ? sc->traffic.max_batch : 1;
            ok = executor_create(w->opts.backend, max_batch, sim_stream_seed(seed, "service.execute"), &w->executor,
                                 err, errlen) == 0;
            if (ok) reqsim_set_batch_hook(w->requests, execute_batch, w);
        }
    }
    if (ok) {
        sim_run_reason why = sim_run(w->s, simtime_from_s(sc->horizon_s), w->opts.max_events);
        ok = why != SIM_RUN_ERROR && !w->oom && !w->executor_err[0];
        if (!ok)
            snprintf(err, errlen, "replica %llu: %s", (unsigned long long)seed,
                     w->executor_err[0] ? w->executor_err
                     : w->oom           ? "out of memory"
                                        : sim_status_str(sim_error(w->s)));
    } else if (errlen > 0) {
        /* Set-up failed: keep the reason a model gave (trainer, executor), else it ran out of memory. */
        char why[512];
        snprintf(why, sizeof why, "%s", err[0] ? err : "out of memory while setting up");
        snprintf(err, errlen, "replica %llu: %s", (unsigned long long)seed, why);
    }
    if (ok) {
        if (w->requests) reqsim_finish(w->requests);
        wacct_to_now(w);
        wacct_cost_to_now(w);
        /* Outages still open at the horizon are censored: RTO stays NaN. */
        summarise(w, &out->metrics);
        out->metrics.seed = seed;
        out->metrics.events = sim_events_processed(w->s);
        if (w->executor) {
            out->metrics.batches_executed = executor_batches(w->executor);
            out->metrics.kernel_s = executor_kernel_s(w->executor);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        out->metrics.wall_s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
        out->incidents = w->inc;
        out->n_incidents = w->n_inc;
        w->inc = NULL;
        out->trace = w->trace;
        out->n_trace = w->n_trace;
        w->trace = NULL;
        out->timeline = w->timeline;
        out->n_timeline = w->n_timeline;
        w->timeline = NULL;
    }
    if (w->units) wdis_free(w);
    free(w->units);
    free(w->open);
    free(w->group_bytes);
    traffic_acc_free(&w->acc);
    if (w->rng_outage) gsl_rng_free(w->rng_outage);
    if (w->rng_push) gsl_rng_free(w->rng_push);
    free(w->inc);
    free(w->trace);
    free(w->timeline);
    reqsim_free(w->requests);
    executor_free(w->executor);
    if (w->opts.cache)
        w->opts.cache->quality = w->quality; /* made by this replica, kept for the next */
    else
        quality_free(w->quality);
    trainer_free(w->trainer);
    link_free(&w->backup_link);
    sim_destroy(w->s);
    free(w);
    return ok ? 0 : -1;
}

void world_result_free(world_result *r) {
    free(r->timeline);
    r->timeline = NULL;
    r->n_timeline = 0;
    free(r->trace);
    r->trace = NULL;
    r->n_trace = 0;
    free(r->incidents);
    r->incidents = NULL;
    r->n_incidents = 0;
}
