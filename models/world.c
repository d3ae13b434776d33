#include "models/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "models/executor.h"
#include "models/link.h"
#include "models/reqsim.h"
#include "models/trainer.h"
#include "sim/engine/sim.h"

/* Backup records kept at once; older ones are pruned past retention
 * (prune_backups), so only a retention window far beyond 4096 backups of a
 * scenario's horizon would press on it. */
#define MAX_BACKUPS 4096

typedef struct backup_rec {
    double taken_s, completed_s, bytes;
    uint64_t trainer_id; /* the real backup, with real state */
    int region;          /* where a local or regional copy lives */
    bool full, corrupt;
    bool discarded; /* verification found it corrupt: known bad, re-sent with the next backup */
} backup_rec;

typedef struct unit_proc { /* one renewal process of one disaster spec */
    struct world *w;
    const disaster_spec *spec;
    int region;  /* -1: fleet-wide */
    int servers; /* servers taken down by one failure */
    gsl_rng *rng;
} unit_proc;

typedef struct world {
    const scenario *sc;
    sim *s;
    gsl_rng *rng_detect, *rng_failover, *rng_backup;
    int servers_up[SCENARIO_MAX_REGIONS];
    int region_faults[SCENARIO_MAX_REGIONS]; /* open region-level faults */
    int primary;
    double surge_multiplier;
    bool model_degraded;
    uint32_t model_version; /* the serving model's, for timelines */
    /* the open outage of the serving region */
    bool outage_open, failover_started;
    size_t outage_incident;
    sim_handle detection_timer;
    double standby_capacity; /* warm standby share, during scale-up */
    bool awaiting_repair;    /* failover found no healthy standby */
    int home;                /* the primary of the scenario; failback returns here */
    sim_handle failback_timer;
    uint32_t failbacks;
    disaster_kind outage_cause;
    int outage_region;
    double latency_factor; /* link degradations multiply WAN latency */
    link backup_link;      /* backups share it (processor sharing) */
    trainer *trainer;      /* real model state, when enabled */
    executor *executor;    /* service.execute */
    char executor_err[256];
    char trainer_err[256];
    /* accounting */
    traffic_acc acc;
    reqsim *requests; /* request fidelity; NULL for segments */
    double failed_seen;
    double accounted_to_s;
    int open_incidents;
    /* backups */
    backup_rec backups[MAX_BACKUPS]; /* backups[i] has id backup_base + i */
    size_t n_backups;
    uint64_t backup_base;
    double bytes_moved, bytes_stored_peak;
    uint32_t backups_completed, backups_corrupt, backups_skipped;
    int backups_in_flight;
    double last_backup_taken_s, last_full_taken_s;
    /* results */
    incident_record *inc;
    size_t n_inc, cap_inc;
    unit_proc *units; /* every renewal process; sized once at set-up, so events may point into it */
    size_t n_units, cap_units;
    trace_record *trace;
    size_t n_trace, cap_trace;
    timeline_record *timeline;
    size_t n_timeline, cap_timeline;
    bool oom;
} world;

/* ---- accounting ---------------------------------------------------------- */
static bool region_serving_ok(const world *w, int r) {
    const scenario *sc = w->sc;
    return w->region_faults[r] == 0 &&
           w->servers_up[r] >= sc->failover.min_capacity_fraction * sc->regions[r].servers && w->servers_up[r] > 0;
}

static serving_state current_serving(const world *w) {
    const scenario *sc = w->sc;
    serving_state st = {.rate_multiplier = w->surge_multiplier,
                        .degraded_model = w->model_degraded,
                        .incident_open = w->open_incidents > 0};
    /* a round trip inside the region, plus one across the WAN when users
     * are served from another region */
    st.extra_latency_s = 2 * sc->network.intra_region_latency_s;
    if (sc->traffic.routing == ROUTING_PRIMARY && w->primary != sc->network.clients_region)
        st.extra_latency_s += 2 * sc->network.inter_region_latency_s * w->latency_factor;
    if (sc->traffic.routing == ROUTING_ACTIVE_ACTIVE) {
        double total = 0, dead = 0, up = 0;
        for (int r = 0; r < sc->n_regions; r++) {
            if (sc->regions[r].role == ROLE_STANDBY) continue;
            total += sc->regions[r].servers;
            if (w->region_faults[r])
                dead += sc->regions[r].servers;
            else
                up += w->servers_up[r];
        }
        /* Until the load balancer learns of a dead region, its share is lost. */
        st.blackhole_fraction = w->outage_open && !w->failover_started ? dead / total : 0;
        st.servers = up;
    } else {
        int p = w->primary;
        bool up = w->region_faults[p] == 0;
        st.servers = up ? w->servers_up[p] : 0;
        if (w->standby_capacity > 0) st.servers = w->standby_capacity;
        if (w->outage_open && !up && w->standby_capacity <= 0) st.blackhole_fraction = 1;
    }
    return st;
}

static serving_state serving_of(const void *ctx) { return current_serving(ctx); }

/* Books requests up to now under the state that held since the last call,
 * and charges failures to the open outage. */
static void account_to_now(world *w) {
    double now = simtime_to_s(sim_now(w->s));
    if (now <= w->accounted_to_s) return;
    if (!w->requests) {
        serving_state st = current_serving(w);
        traffic_account(&w->acc, &w->sc->traffic, w->accounted_to_s, now, &st);
    }
    double failed = w->acc.failed - w->failed_seen;
    w->failed_seen = w->acc.failed;
    if (w->outage_open && w->outage_incident < w->n_inc) w->inc[w->outage_incident].requests_failed += failed;
    w->accounted_to_s = now;
}

/* ---- incidents ------------------------------------------------------------- */
static size_t open_incident(world *w, const disaster_spec *d, int region, int unit_index, double duration_s) {
    if (w->n_inc == w->cap_inc) {
        size_t cap = w->cap_inc ? 2 * w->cap_inc : 64;
        incident_record *grown = realloc(w->inc, cap * sizeof *grown);
        if (!grown) {
            w->oom = true;
            sim_stop(w->s);
            return SIZE_MAX;
        }
        w->inc = grown;
        w->cap_inc = cap;
    }
    incident_record *r = &w->inc[w->n_inc];
    memset(r, 0, sizeof *r);
    r->seed = sim_seed(w->s);
    r->id = (uint32_t)w->n_inc;
    snprintf(r->kind, sizeof r->kind, "%s", disaster_kind_names[d->kind]);
    if (region >= 0)
        snprintf(r->scope, sizeof r->scope, "%s:%s/%d", disaster_unit_names[d->per], w->sc->regions[region].name,
                 unit_index);
    else
        snprintf(r->scope, sizeof r->scope, "fleet");
    r->onset_s = simtime_to_s(sim_now(w->s));
    r->duration_s = duration_s;
    r->rto_s = r->detection_s = r->fencing_s = r->switchover_s = r->transfer_s = r->load_s = r->warmup_s = NAN;
    r->recall_at_k = NAN;
    return w->n_inc++;
}

/* Whether the fault behind the open outage took this backup's copy with it:
 * local NVMe copies die with the servers' rack, zone or region; regional
 * object stores become unreachable with their region; cross-region copies
 * survive. */
static bool backup_lost(const world *w, const backup_rec *b) {
    if (!w->outage_open || b->region != w->outage_region) return false;
    switch (w->sc->backup.target) {
    case TIER_CROSS_REGION: return false;
    case TIER_REGIONAL: return w->outage_cause == DIS_REGION_OUTAGE;
    case TIER_LOCAL:
        return w->outage_cause == DIS_REGION_OUTAGE || w->outage_cause == DIS_ZONE_OUTAGE ||
               w->outage_cause == DIS_RACK_POWER;
    }
    return false;
}

/* Differential: the full, then the newest differential after it that
 * verifies; each newer one that fails its checksum was read for nothing. */
static double differential_point(const world *w, size_t full, double at, double *bytes) {
    size_t next_full = full + 1;
    while (next_full < w->n_backups && !w->backups[next_full].full) next_full++;
    double point = w->backups[full].taken_s, read = 0;
    for (size_t k = next_full; k-- > full + 1;) {
        const backup_rec *d = &w->backups[k];
        if (d->discarded || d->completed_s > at || backup_lost(w, d)) continue;
        read += d->bytes;
        if (d->corrupt) continue;
        point = d->taken_s;
        break;
    }
    *bytes += read;
    return point;
}

/* Newest state a restore can rebuild from backups completed by `at` that
 * survived the fault: the newest uncorrupted full plus its increments up to
 * the first corrupt one, or plus its newest sound differential. */
static double backup_recovery_point(const world *w, double at, double *bytes) {
    *bytes = 0;
    for (size_t i = w->n_backups; i-- > 0;) {
        const backup_rec *b = &w->backups[i];
        if (!b->full || b->corrupt || b->discarded || b->completed_s > at || backup_lost(w, b)) continue;
        if (w->sc->backup.partial == PARTIAL_DIFFERENTIAL) {
            *bytes = b->bytes;
            return differential_point(w, i, at, bytes);
        }
        double point = b->taken_s, sum = b->bytes;
        for (size_t k = i + 1; k < w->n_backups; k++) {
            const backup_rec *inc = &w->backups[k];
            if (inc->full) break;
            /* a discarded increment's rows went out again with the next
             * one; an unnoticed corrupt increment breaks the chain */
            if (inc->discarded) continue;
            if (inc->completed_s > at || inc->corrupt || backup_lost(w, inc)) break;
            point = inc->taken_s;
            sum += inc->bytes;
        }
        *bytes = sum;
        return point;
    }
    return -1; /* nothing restorable: the model restarts from its initial state */
}

static void failover_complete(sim *s, void *ctx, sim_payload p);
static void scale_up_done(sim *s, void *ctx, sim_payload p);
static void consider_failback(world *w);

/* With real state, the restore really rebuilds the tables from the chain:
 * its recovery point, bytes and the restored model's recall@k replace the
 * bookkeeping estimates. The chain is lost when the fault took its tier. */
static void real_restore(world *w, incident_record *r, double *point, double *bytes) {
    bool survived = w->n_backups == 0 || !backup_lost(w, &w->backups[w->n_backups - 1]);
    trainer_restore_result res;
    if (trainer_restore(w->trainer, r->onset_s, survived ? 1u : 0u, &res, w->trainer_err, sizeof w->trainer_err) != 0)
        return;
    *point = res.restored ? res.recovery_point_s : -1;
    *bytes = res.logical_bytes_read;
    r->recall_at_k = res.recall_at_k;
}

/* Detection fired: fence, switch, and bring the standby to serve. */
static void detection_fired(sim *s, void *ctx, sim_payload p) {
    (void)p;
    world *w = ctx;
    account_to_now(w);
    const scenario *sc = w->sc;
    const failover_spec *f = &sc->failover;
    incident_record *r = &w->inc[w->outage_incident];
    double now = simtime_to_s(sim_now(s));
    w->failover_started = true;
    r->failed_over = 1;
    r->detection_s = now - r->onset_s;
    r->fencing_s = f->fencing_s;
    r->switchover_s = f->switchover_s + f->network_delay_s;
    r->transfer_s = r->load_s = 0;
    r->warmup_s = f->warmup_s;
    if (strcmp(r->kind, "network_flap") == 0) r->false_alarm = 1;

    standby_mode mode = f->standby;
    bool standby_fails = gsl_rng_uniform(w->rng_failover) >= f->standby_reliability;
    double stages = 0;
    if (sc->traffic.routing == ROUTING_ACTIVE_ACTIVE) mode = STANDBY_HOT;
    if (standby_fails) {
        /* The attempt costs its load time, then we restore from backup. */
        r->failover_failed = 1;
        stages += f->load_s;
        mode = STANDBY_COLD;
    }
    double rpo = f->replication_lag_s;
    switch (mode) {
    case STANDBY_HOT: break;
    case STANDBY_WARM: r->load_s = f->sync_s; break;
    case STANDBY_PILOT_LIGHT: r->load_s = f->provision_s + f->load_s + f->sync_s; break;
    case STANDBY_COLD: {
        double bytes;
        double point = backup_recovery_point(w, r->onset_s, &bytes);
        if (w->trainer) real_restore(w, r, &point, &bytes);
        const double tier_bps[] = {sc->storage.local_bps, sc->storage.regional_bps, sc->storage.cross_region_bps};
        double bps = f->restore_bps > 0 ? f->restore_bps : tier_bps[sc->backup.target];
        r->transfer_s = bytes / bps;
        r->load_s += f->provision_s + f->load_s + f->sync_s;
        rpo = point >= 0 ? r->onset_s - point : r->onset_s;
        break;
    }
    }
    r->rpo_s = rpo;
    r->lost_updates = rpo * sc->model.updates_per_s;
    if (w->trainer) trainer_skip_to(w->trainer, now); /* the trainer resumes on the restored state */
    stages += r->fencing_s + r->switchover_s + r->transfer_s + r->load_s + r->warmup_s;
    sim_schedule_in(s, simtime_from_s(stages), failover_complete, w, sim_payload_u64(mode));
}

static int pick_standby(const world *w) {
    for (int r = 0; r < w->sc->n_regions; r++)
        if (r != w->primary && region_serving_ok(w, r)) return r;
    return -1;
}

static void failover_complete(sim *s, void *ctx, sim_payload p) {
    world *w = ctx;
    account_to_now(w);
    const failover_spec *f = &w->sc->failover;
    incident_record *r = &w->inc[w->outage_incident];
    double now = simtime_to_s(sim_now(s));
    int standby = pick_standby(w);
    if (w->sc->traffic.routing == ROUTING_ACTIVE_ACTIVE || standby < 0) {
        /* Active-active: survivors already carry the traffic. Without a
         * healthy standby the old primary's repair ends the outage. */
        if (standby < 0 && w->sc->traffic.routing != ROUTING_ACTIVE_ACTIVE) {
            w->awaiting_repair = true;
            return;
        }
    } else {
        w->primary = standby;
        if (p.u64 == STANDBY_COLD) w->model_version++; /* the standby serves a model restored from backup */
        if (p.u64 == STANDBY_WARM && f->standby_capacity_fraction < 1) {
            w->standby_capacity = f->standby_capacity_fraction * w->servers_up[standby];
            /* The incident stays open for latency accounting until the
             * standby has scaled up: the overload meanwhile is its doing. */
            w->open_incidents++;
            sim_schedule_in(s, simtime_from_s(f->scale_up_s), scale_up_done, w, SIM_PAYLOAD_NONE);
            /* The RTO ends when the SLO is met: now, if the running share
             * carries the load at the current rate (by the same test as the
             * traffic accounting), else once the standby has scaled up. */
            serving_state st = current_serving(w);
            st.degraded_model = false;
            st.blackhole_fraction = 0;
            if (!traffic_slo_met(&w->sc->traffic, now, &st)) {
                r->warmup_s += f->scale_up_s;
                now += f->scale_up_s;
            }
        }
    }
    r->outage = 1;
    r->rto_s = now - r->onset_s;
    w->outage_open = false;
    w->failover_started = false;
    w->open_incidents--;
    consider_failback(w);
}

static void scale_up_done(sim *s, void *ctx, sim_payload p) {
    (void)s, (void)p;
    world *w = ctx;
    account_to_now(w);
    w->standby_capacity = 0;
    w->open_incidents--;
}

/* Called after every capacity change: opens or closes the serving outage. */
/* Planned failback: once the home region has been healthy for
 * failback_delay_s, traffic drains back to it (no failed requests). */
static void failback(sim *s, void *ctx, sim_payload p) {
    (void)s, (void)p;
    world *w = ctx;
    if (w->outage_open || w->primary == w->home || !region_serving_ok(w, w->home)) return;
    account_to_now(w);
    w->primary = w->home;
    w->standby_capacity = 0;
    w->failbacks++;
}

static void consider_failback(world *w) {
    const failover_spec *f = &w->sc->failover;
    if (!f->failback || w->sc->traffic.routing != ROUTING_PRIMARY || w->outage_open || w->primary == w->home) return;
    if (!region_serving_ok(w, w->home)) {
        sim_cancel(w->s, w->failback_timer);
        return;
    }
    if (!sim_is_pending(w->s, w->failback_timer))
        w->failback_timer = sim_schedule_in(w->s, simtime_from_s(f->failback_delay_s), failback, w, SIM_PAYLOAD_NONE);
}

static void check_serving(world *w, const disaster_spec *cause, int region, int unit_index, double duration_s) {
    bool ok = region_serving_ok(w, w->primary);
    if (w->sc->traffic.routing == ROUTING_ACTIVE_ACTIVE) {
        ok = true;
        for (int r = 0; r < w->sc->n_regions; r++)
            if (w->sc->regions[r].role != ROLE_STANDBY && w->region_faults[r]) ok = false;
    }
    if (!ok && !w->outage_open) {
        w->outage_open = true;
        w->outage_cause = cause->kind;
        w->outage_region = region;
        /* the live model as it was at the fault: the probe compares to it */
        if (w->trainer) trainer_fault(w->trainer, simtime_to_s(sim_now(w->s)), w->trainer_err, sizeof w->trainer_err);
        w->failover_started = false;
        w->open_incidents++;
        w->outage_incident = open_incident(w, cause, region, unit_index, duration_s);
        if (w->outage_incident == SIZE_MAX) return;
        bool missed;
        double d = detector_delay_s(&w->sc->failover.detector, w->rng_detect, &missed);
        w->detection_timer = sim_schedule_in(w->s, simtime_from_s(d), detection_fired, w, SIM_PAYLOAD_NONE);
    } else if (ok && w->outage_open && (!w->failover_started || w->awaiting_repair)) {
        /* Repaired before anyone failed over, or with nowhere to fail over
         * to: the outage lasted as long as the fault. The state survived. */
        sim_cancel(w->s, w->detection_timer);
        incident_record *r = &w->inc[w->outage_incident];
        r->outage = 1;
        r->rto_s = simtime_to_s(sim_now(w->s)) - r->onset_s;
        r->rpo_s = 0;
        r->lost_updates = 0;
        w->outage_open = false;
        w->failover_started = false;
        w->awaiting_repair = false;
        w->open_incidents--;
    }
}

/* ---- disasters --------------------------------------------------------------- */
static void unit_fail(sim *s, void *ctx, sim_payload p);

static void unit_repair(sim *s, void *ctx, sim_payload p) {
    unit_proc *u = ctx;
    world *w = u->w;
    account_to_now(w);
    const disaster_spec *d = u->spec;
    switch (d->kind) {
    case DIS_REGION_OUTAGE:
    case DIS_WAN_PARTITION:
    case DIS_NETWORK_FLAP: w->region_faults[u->region]--; break;
    case DIS_TRAFFIC_SURGE: w->surge_multiplier /= d->multiplier; break;
    case DIS_LINK_DEGRADATION:
        w->latency_factor /= d->multiplier;
        link_set_bandwidth(&w->backup_link, w->backup_link.bandwidth_bps * d->multiplier);
        break;
    case DIS_BAD_MODEL_PUSH: /* rolled back: the known-good model serves again */
        w->model_degraded = false;
        w->model_version++;
        w->open_incidents--;
        break;
    case DIS_BACKUP_CORRUPTION: break;
    default: w->servers_up[u->region] += u->servers; break;
    }
    if (u->region >= 0) check_serving(w, d, u->region, (int)p.u32[1], 0);
    consider_failback(w);
    if (d->stochastic && p.u32[0] == 0)
        sim_schedule_in(s, simtime_from_s(dist_sample(&d->interarrival, u->rng)), unit_fail, u, p);
}

static void unit_fail(sim *s, void *ctx, sim_payload p) {
    unit_proc *u = ctx;
    world *w = u->w;
    account_to_now(w);
    const disaster_spec *d = u->spec;
    double duration = d->kind == DIS_BACKUP_CORRUPTION ? 0 : dist_sample(&d->duration, u->rng);
    size_t idx = SIZE_MAX;
    switch (d->kind) {
    case DIS_REGION_OUTAGE:
    case DIS_WAN_PARTITION:
    case DIS_NETWORK_FLAP: w->region_faults[u->region]++; break;
    case DIS_TRAFFIC_SURGE:
        w->surge_multiplier *= d->multiplier;
        idx = open_incident(w, d, -1, 0, duration);
        break;
    case DIS_LINK_DEGRADATION:
        w->latency_factor *= d->multiplier;
        link_set_bandwidth(&w->backup_link, w->backup_link.bandwidth_bps / d->multiplier);
        idx = open_incident(w, d, -1, 0, duration);
        break;
    case DIS_BACKUP_CORRUPTION:
        for (size_t i = w->n_backups; i-- > 0;)
            if (!w->backups[i].corrupt && isfinite(w->backups[i].completed_s)) {
                w->backups[i].corrupt = true;
                w->backups_corrupt++;
                if (w->trainer)
                    trainer_corrupt(w->trainer, 0, w->backups[i].trainer_id, w->rng_backup, w->trainer_err,
                                    sizeof w->trainer_err);
                break;
            }
        idx = open_incident(w, d, -1, 0, 0);
        break;
    case DIS_BAD_MODEL_PUSH: {
        /* Detected like an outage, fixed by rolling back to the newest good backup. */
        w->model_degraded = true;
        w->model_version++;
        idx = open_incident(w, d, -1, 0, 0);
        if (idx == SIZE_MAX) return;
        w->open_incidents++; /* until the rollback serves */
        incident_record *r = &w->inc[idx];
        bool missed;
        double bytes, now = simtime_to_s(sim_now(s));
        double point = backup_recovery_point(w, now, &bytes);
        r->detection_s = detector_delay_s(&w->sc->failover.detector, w->rng_detect, &missed);
        r->fencing_s = r->switchover_s = 0;
        r->transfer_s = bytes / w->sc->storage.cross_region_bps;
        r->load_s = w->sc->failover.load_s;
        r->warmup_s = w->sc->failover.warmup_s;
        duration = r->detection_s + r->transfer_s + r->load_s + r->warmup_s;
        r->rto_s = duration;
        r->duration_s = duration;
        r->outage = 1;
        r->rpo_s = point >= 0 ? now - point : now;
        r->lost_updates = r->rpo_s * w->sc->model.updates_per_s;
        break;
    }
    default:
        w->servers_up[u->region] -= u->servers;
        if (w->servers_up[u->region] < 0) w->servers_up[u->region] = 0;
        break;
    }
    bool was_open = w->outage_open;
    if (u->region >= 0) check_serving(w, d, u->region, (int)p.u32[1], duration);
    if (u->region >= 0 && !(w->outage_open && !was_open) && idx == SIZE_MAX) {
        /* A fault that did not stop the service is still an incident. */
        idx = open_incident(w, d, u->region, (int)p.u32[1], duration);
        if (idx != SIZE_MAX) w->inc[idx].rpo_s = 0;
    }
    sim_schedule_in(s, simtime_from_s(duration), unit_repair, u, p);
}

/* Whether disaster d has units in region r, and how many servers each takes
 * down (*count units of *per_unit servers). */
static bool unit_shape(const scenario *sc, const disaster_spec *d, int r, int *count, int *per_unit) {
    if (d->region[0] && strcmp(d->region, sc->regions[r].name) != 0) return false;
    if (d->per == UNIT_FLEET && r > 0) return false;
    const region_spec *g = &sc->regions[r];
    int racks = g->zones * g->racks_per_zone;
    *count = 1, *per_unit = 0;
    switch (d->per) {
    case UNIT_SERVER: *count = g->servers, *per_unit = 1; break;
    case UNIT_RACK: *count = racks, *per_unit = (g->servers + racks - 1) / racks; break;
    case UNIT_ZONE: *count = g->zones, *per_unit = (g->servers + g->zones - 1) / g->zones; break;
    case UNIT_REGION: *count = 1, *per_unit = g->servers; break;
    case UNIT_FLEET: *count = 1, *per_unit = 0; break;
    }
    return true;
}

/* Room for every renewal process of the scenario, allocated once. */
static bool allocate_units(world *w) {
    const scenario *sc = w->sc;
    size_t total = 0;
    for (size_t i = 0; i < sc->disasters.n; i++)
        for (int r = 0, count, per_unit; r < sc->n_regions; r++)
            if (unit_shape(sc, &sc->disasters.items[i], r, &count, &per_unit)) total += (size_t)count;
    w->units = calloc(total ? total : 1, sizeof *w->units);
    w->cap_units = total;
    return w->units != NULL;
}

static bool add_units(world *w, const disaster_spec *d) {
    const scenario *sc = w->sc;
    for (int r = 0; r < sc->n_regions; r++) {
        int count, per_unit;
        if (!unit_shape(sc, d, r, &count, &per_unit)) continue;
        const region_spec *g = &sc->regions[r];
        for (int k = 0; k < count; k++) {
            if (w->n_units == w->cap_units) return false; /* allocate_units counted them all */
            unit_proc *u = &w->units[w->n_units++];
            char name[96];
            /* One stream per disaster spec and unit: the draws do not depend
             * on policies, so compared policies meet the same disasters. */
            snprintf(name, sizeof name, "disaster.%s.%s.%d", disaster_kind_names[d->kind], g->name, k);
            *u = (unit_proc){w, d, d->per == UNIT_FLEET && !d->region[0] && d->kind != DIS_BAD_MODEL_PUSH ? -1 : r,
                             per_unit, sim_stream(w->s, name)};
            if (d->per == UNIT_FLEET) u->region = d->region[0] ? r : -1;
            if (!u->rng) return false;
            sim_payload p = sim_payload_pair(0, (uint32_t)k);
            if (d->stochastic)
                sim_schedule_in(w->s, simtime_from_s(dist_sample(&d->interarrival, u->rng)), unit_fail, u, p);
            for (size_t i = 0; i < d->n_scripted; i++)
                sim_schedule_at(w->s, simtime_from_s(d->scripted_at_s[i]), unit_fail, u,
                                sim_payload_pair(1, (uint32_t)k));
        }
    }
    return true;
}

/* ---- backups -------------------------------------------------------------------- */
static void backup_done(sim *s, void *ctx, sim_payload p) {
    world *w = ctx;
    if (p.u64 < w->backup_base) return; /* pruned past retention meanwhile */
    account_to_now(w);
    backup_rec *b = &w->backups[p.u64 - w->backup_base];
    b->completed_s = simtime_to_s(sim_now(s));
    w->backups_in_flight--;
    if (w->trainer) {
        /* a copy abandoned by a restore is simply not restorable */
        trainer_backup_complete(w->trainer, 0, b->trainer_id, b->completed_s, w->trainer_err, sizeof w->trainer_err);
        if (b->corrupt)
            trainer_corrupt(w->trainer, 0, b->trainer_id, w->rng_backup, w->trainer_err, sizeof w->trainer_err);
        trainer_retention(w->trainer, (uint32_t)w->sc->backup.retention_full, NULL, w->trainer_err,
                          sizeof w->trainer_err);
    }
    w->backups_completed++;
    w->bytes_moved += b->bytes;
    double stored = 0;
    int fulls = 0;
    for (size_t i = w->n_backups; i-- > 0;) {
        if (fulls >= w->sc->backup.retention_full) break;
        stored += w->backups[i].bytes;
        fulls += w->backups[i].full;
    }
    if (stored > w->bytes_stored_peak) w->bytes_stored_peak = stored;
}

/* The bytes arrived; verification (if any) takes its time before the
 * backup counts as restorable. */
static void backup_transferred(sim *s, void *ctx, uint64_t id) {
    world *w = ctx;
    double verify = w->sc->backup.verify ? w->sc->backup.verify_s : 0;
    sim_schedule_in(s, simtime_from_s(verify), backup_done, w, sim_payload_u64(id));
}

/* Forgets backups that retention has deleted: everything before the
 * retention_full-th newest completed full (or, if retention keeps more than
 * the array holds, the oldest half). */
static void prune_backups(world *w) {
    size_t cut = 0;
    int fulls = 0;
    for (size_t i = w->n_backups; i-- > 0;)
        if (w->backups[i].full && isfinite(w->backups[i].completed_s) && ++fulls == w->sc->backup.retention_full) {
            cut = i;
            break;
        }
    if (cut == 0) cut = w->n_backups / 2;
    memmove(w->backups, w->backups + cut, (w->n_backups - cut) * sizeof *w->backups);
    w->n_backups -= cut;
    w->backup_base += cut;
}

static void backup_start(sim *s, void *ctx, sim_payload p) {
    world *w = ctx;
    const backup_spec *bs = &w->sc->backup;
    const model_spec *m = &w->sc->model;
    double now = simtime_to_s(sim_now(s));
    bool full = p.u64 == 1;
    double interval = full ? bs->full_period_s : bs->incremental_period_s;
    if (w->n_backups == MAX_BACKUPS) prune_backups(w);
    /* An incremental due while another backup is still moving is skipped,
     * as backup agents do: the next one carries its rows. Fulls always run. */
    if (!full && bs->skip_if_busy && w->backups_in_flight > 0) {
        w->backups_skipped++;
    } else {
        backup_rec *b = &w->backups[w->n_backups];
        /* Rows dirtied since the previous backup (incremental) or since the
         * last full (differential): each update touches a share of the rows. */
        const bool differential = bs->partial == PARTIAL_DIFFERENTIAL;
        double since = now - (differential ? w->last_full_taken_s : w->last_backup_taken_s);
        double dirty = 1 - exp(-m->updates_per_s * m->rows_touched_per_update_fraction * since);
        w->last_backup_taken_s = now;
        if (full) w->last_full_taken_s = now;
        w->backups_in_flight++;
        b->full = full;
        b->taken_s = now;
        b->completed_s = INFINITY;
        b->bytes = full ? m->logical_bytes : m->logical_bytes * dirty;
        if (w->trainer) {
            /* The real backup carries the rows really dirtied; its size,
             * scaled to the logical model, is what crosses the link. */
            trainer_advance(w->trainer, now);
            const bchain_kind partial = differential ? BCHAIN_DIFFERENTIAL : BCHAIN_INCREMENTAL;
            bool real_full = full || trainer_needs_full_for(w->trainer, 0, partial);
            bchain_kind kind = real_full ? BCHAIN_FULL : partial;
            if (trainer_backup(w->trainer, kind, now, 1u, &b->bytes, &b->trainer_id, w->trainer_err,
                               sizeof w->trainer_err) == 0) {
                b->full = real_full;
                if (real_full) w->last_full_taken_s = now;
            }
        }
        b->corrupt = gsl_rng_uniform(w->rng_backup) < bs->corruption_probability;
        if (b->corrupt) w->backups_corrupt++;
        /* Verification after the transfer catches most corruption: the
         * backup is known bad and never restored. The rest is found only
         * when a restore verifies its checksums. */
        b->discarded = b->corrupt && bs->verify && gsl_rng_uniform(w->rng_backup) < bs->verify_detect_probability;
        if (b->discarded) b->corrupt = false;
        b->region = w->primary;
        if (link_start(&w->backup_link, b->bytes, w->backup_base + w->n_backups) != 0) {
            w->oom = true;
            sim_stop(s);
        }
        w->n_backups++;
    }
    /* Next backup of the same kind; an incremental falling on a full is skipped. */
    double next = now + interval;
    if (!full) {
        double to_full = fmod(next, bs->full_period_s);
        if (to_full < 1e-6 || bs->full_period_s - to_full < 1e-6) next += interval;
    }
    sim_schedule_at(s, simtime_from_s(next), backup_start, w, p);
}

/* ---- the replica ------------------------------------------------------------------- */
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
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
    m->latency_p50_s = lathist_quantile(&w->acc.all, 0.5);
    m->latency_p99_s = lathist_quantile(&w->acc.all, 0.99);
    m->latency_p99_incident_s = lathist_quantile(&w->acc.incident, 0.99);
    m->lost_revenue = w->acc.failed * sc->business.conversion_rate * sc->business.order_value;
    m->backup_bytes_moved = w->bytes_moved;
    m->backup_bytes_stored_peak = w->bytes_stored_peak;
    m->backup_cost = w->bytes_moved / 1e9 * sc->backup.transfer_cost_per_gb +
                     w->bytes_stored_peak / 1e9 * sc->backup.storage_cost_per_gb_month * horizon / (30 * 86400.0);
    m->backups_completed = w->backups_completed;
    m->backups_corrupt = w->backups_corrupt;
    m->backups_skipped = w->backups_skipped;
    m->failbacks = w->failbacks;
}

/* ---- trace ------------------------------------------------------------------ */
/* The model-level events worth a row; request-level and link events are
 * left out (a month has billions of them). */
static const struct {
    sim_handler handler;
    const char *kind;
} traced_handlers[] = {
    {unit_fail, "disaster.onset"},          {unit_repair, "disaster.repair"},
    {detection_fired, "failover.detected"}, {failover_complete, "failover.complete"},
    {scale_up_done, "failover.scaled_up"},  {backup_start, "backup.start"},
    {backup_done, "backup.restorable"},     {failback, "failover.failback"},
};

static void trace_event(void *trace_ctx, simtime_ns time, sim_handler handler, void *ctx, sim_payload payload) {
    world *w = trace_ctx;
    const char *kind = NULL;
    for (size_t i = 0; i < sizeof traced_handlers / sizeof traced_handlers[0] && !kind; i++)
        if (traced_handlers[i].handler == handler) kind = traced_handlers[i].kind;
    if (!kind) return;
    if (w->n_trace == w->cap_trace) {
        size_t cap = w->cap_trace ? 2 * w->cap_trace : 256;
        trace_record *grown = realloc(w->trace, cap * sizeof *grown);
        if (!grown) {
            w->oom = true;
            sim_stop(w->s);
            return;
        }
        w->trace = grown;
        w->cap_trace = cap;
    }
    trace_record *t = &w->trace[w->n_trace++];
    memset(t, 0, sizeof *t);
    t->time_s = simtime_to_s(time);
    snprintf(t->kind, sizeof t->kind, "%s", kind);
    if (handler == unit_fail || handler == unit_repair) {
        const unit_proc *u = ctx;
        snprintf(t->entity, sizeof t->entity, "%s %s/%u", disaster_kind_names[u->spec->kind],
                 u->region >= 0 ? w->sc->regions[u->region].name : "fleet", payload.u32[1]);
    } else if (handler == backup_start) {
        snprintf(t->entity, sizeof t->entity, "%s", payload.u64 ? "full" : partial_backup_names[w->sc->backup.partial]);
    } else if (handler == backup_done) {
        snprintf(t->entity, sizeof t->entity, "backup %llu", (unsigned long long)payload.u64);
    } else {
        snprintf(t->entity, sizeof t->entity, "primary %s", w->sc->regions[w->primary].name);
    }
}

static void execute_batch(void *ctx, int n) {
    world *w = ctx;
    if (w->executor_err[0]) return;
    if (executor_rank(w->executor, n, w->executor_err, sizeof w->executor_err) != 0) sim_stop(w->s);
}

static void timeline_segment(void *ctx, const traffic_segment *seg) {
    world *w = ctx;
    if (w->n_timeline == w->cap_timeline) {
        size_t cap = w->cap_timeline ? 2 * w->cap_timeline : 1024;
        timeline_record *grown = realloc(w->timeline, cap * sizeof *grown);
        if (!grown) {
            w->oom = true;
            sim_stop(w->s);
            return;
        }
        w->timeline = grown;
        w->cap_timeline = cap;
    }
    serving_state st = current_serving(w);
    w->timeline[w->n_timeline++] = (timeline_record){
        .time_s = seg->t0_s,
        .duration_s = seg->t1_s - seg->t0_s,
        .offered_qps = seg->offered_qps,
        .capacity_qps = seg->capacity_qps,
        .failed_fraction = seg->failed_fraction,
        .p99_s = seg->p99_s,
        .servers = st.servers,
        .serving_region = (uint32_t)w->primary,
        .model_version = w->model_version,
        .incident_open = st.incident_open,
        .model_bad = w->model_degraded,
    };
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
    cfg.backend = (rec_backend)sc->kernel_backend;
    gsl_rng *updates = sim_stream(w->s, "model.updates"), *probe = sim_stream(w->s, "model.probe");
    if (!updates || !probe || trainer_create(&cfg, updates, probe, &w->trainer, err, errlen) != 0) {
        if (!updates || !probe) snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

int world_run(const scenario *sc, uint64_t seed, world_result *out, char *err, size_t errlen) {
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
    w->surge_multiplier = 1;
    w->latency_factor = 1;
    link_init(&w->backup_link, w->s, sc->backup.bandwidth_bps, backup_transferred, w);
    w->rng_detect = sim_stream(w->s, "failover.detector");
    w->rng_failover = sim_stream(w->s, "failover.standby");
    w->rng_backup = sim_stream(w->s, "backup.corruption");
    for (int r = 0; r < sc->n_regions; r++) {
        w->servers_up[r] = sc->regions[r].servers;
        if (sc->regions[r].role == ROLE_PRIMARY) w->primary = w->home = r;
    }
    bool ok = w->rng_detect && w->rng_failover && w->rng_backup;
    if (ok && sc->model.real.enabled) ok = create_trainer(w, err, errlen);
    if (ok && !allocate_units(w)) ok = false;
    for (size_t i = 0; ok && i < sc->disasters.n; i++) ok = add_units(w, &sc->disasters.items[i]);
    if (ok && sc->trace_events) {
        sim_set_trace(w->s, trace_event, w);
        w->acc.on_segment = timeline_segment;
        w->acc.on_segment_ctx = w;
    }
    if (ok && sc->traffic.fidelity == FIDELITY_REQUESTS) {
        w->requests = reqsim_create(w->s, &sc->traffic, &w->acc, sc->horizon_s, serving_of, w);
        ok = w->requests != NULL;
        if (ok && sc->traffic.execute) {
            int max_batch = sc->traffic.service == SERVICE_CALIBRATED ? sc->traffic.max_batch : 1;
            ok = executor_create(sc->kernel_backend, max_batch, sim_stream_seed(seed, "service.execute"), &w->executor,
                                 err, errlen) == 0;
            if (ok) reqsim_set_batch_hook(w->requests, execute_batch, w);
        }
    }
    if (ok && sc->backup.enabled) {
        sim_schedule_at(w->s, 0, backup_start, w, sim_payload_u64(1));
        if (sc->backup.incremental_period_s > 0)
            sim_schedule_at(w->s, simtime_from_s(sc->backup.incremental_period_s), backup_start, w, sim_payload_u64(0));
    }
    if (ok) {
        sim_run_reason why = sim_run(w->s, simtime_from_s(sc->horizon_s), 0);
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
        account_to_now(w);
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
    free(w->units);
    free(w->inc);
    free(w->trace);
    free(w->timeline);
    reqsim_free(w->requests);
    executor_free(w->executor);
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
