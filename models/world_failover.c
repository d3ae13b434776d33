/* The serving outage, one story from onset to the SLO met again.
 *
 * detect ─▶ prepare (fencing, a failed attempt, restore transfer,
 * provisioning, load, sync) ─▶ switch (switchover, warm-up) ─▶ serving.
 *
 * The rule when the primary comes back part-way: until the switch is
 * committed (detecting or preparing), its repair aborts the failover and
 * the primary serves again with its own state (RPO 0), as failover
 * controllers re-check the primary before they commit. Once the switch has
 * begun, the primary stays fenced until the switch completes. Either way
 * the RTO ends when the service meets its SLO again, and its parts
 * (detection, fencing, failed attempt, transfer, load, switchover, warm-up,
 * waiting for the repair) add up to it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/world_internal.h"
#include "sim/engine/stream.h"

void wfo_seed_policy(gsl_rng *rng, uint64_t key, uint32_t onset) {
    char name[16];
    snprintf(name, sizeof name, "%u", onset);
    gsl_rng_set(rng, (unsigned long)stream_seed64(key, name));
}

/* A uniform in (0, 1) of (key, what, onset), without a stream. */
static double policy_uniform(uint64_t key, const char *what, uint32_t onset) {
    char name[48];
    snprintf(name, sizeof name, "%s.%u", what, onset);
    return stream_open_uniform(stream_seed64(key, name));
}

static int pick_standby(const world *w) {
    for (int r = 0; r < w->sc->n_regions; r++)
        if (r != w->primary && wacct_region_ok(w, r)) return r;
    return -1;
}

/* Active-active serves when every faulted active region has been switched
 * out (a repaired region rejoins: wfo_region_repaired). */
static bool serving_ok(const world *w) {
    if (w->sc->traffic.routing != ROUTING_ACTIVE_ACTIVE) return wacct_region_ok(w, w->primary);
    bool any_up = false;
    for (int r = 0; r < w->sc->n_regions; r++) {
        if (w->sc->regions[r].role == ROLE_STANDBY) continue;
        if (w->region_faults[r] && !w->switched_out[r]) return false;
        any_up |= w->region_faults[r] == 0;
    }
    return any_up;
}

void wfo_region_repaired(world *w, int region) {
    if (w->region_faults[region] == 0) w->switched_out[region] = false;
}

static double finite_or_0(double x) { return isfinite(x) ? x : 0; }

static double parts_sum(const incident_record *r) {
    return finite_or_0(r->detection_s) + finite_or_0(r->fencing_s) + finite_or_0(r->failed_attempt_s) +
           finite_or_0(r->transfer_s) + finite_or_0(r->load_s) + finite_or_0(r->switchover_s) +
           finite_or_0(r->warmup_s);
}

/* The primary is healthy before any switch: the outage lasted until now
 * and the primary's state carries on. */
static void end_by_repair(world *w) {
    incident_record *r = &w->inc[w->outage_incident];
    double now = simtime_to_s(sim_now(w->s));
    sim_cancel(w->s, w->detection_timer);
    sim_cancel(w->s, w->switch_timer);
    if (w->phase == FO_PREPARING) {
        /* the standby's preparation is abandoned: its stages did not delay
         * the service (failover_failed still says whether the standby had
         * failed: a planner counts failed standbys whatever ended the outage) */
        r->failover_aborted = 1;
        r->fencing_s = r->failed_attempt_s = r->transfer_s = r->load_s = r->switchover_s = r->warmup_s = 0;
    }
    r->outage = 1;
    r->rto_s = now - r->onset_s;
    r->repair_wait_s = r->rto_s - parts_sum(r);
    r->rpo_s = 0;
    r->lost_updates = 0;
    if (w->trainer) trainer_resume(w->trainer, now);
    /* a standby provisioned for nothing goes back to standing by */
    if (w->standby_target >= 0 && w->standby_target != w->primary) wacct_running_idle(w, w->standby_target);
    w->standby_target = -1;
    w->phase = FO_NONE;
    w->primary_fenced = false;
}

void wfo_check_serving(world *w, unit_proc *cause, double duration_s) {
    bool ok = serving_ok(w);
    if (!ok && w->phase == FO_NONE) {
        double now = simtime_to_s(sim_now(w->s));
        size_t k = wacct_open(w, cause->spec, cause->region, cause->index, duration_s);
        if (k == NO_INCIDENT) return;
        cause->incident = k;
        w->outage_incident = k;
        w->phase = FO_DETECTING;
        w->outage_cause = cause->spec->kind;
        w->outage_region = cause->region;
        /* the live model as it was at the fault: the probe compares to it */
        if (w->trainer) trainer_fault(w->trainer, now, w->trainer_err, sizeof w->trainer_err);
        wfo_seed_policy(w->rng_outage, cause->policy_key, cause->onsets);
        w->standby_u = policy_uniform(cause->policy_key, "standby", cause->onsets);
        double d = detector_delay_s(&w->sc->failover.detector, w->rng_outage);
        w->detection_timer = sim_schedule_in(w->s, simtime_from_s(d), wfo_detected, w, SIM_PAYLOAD_NONE);
    } else if (ok && (w->phase == FO_DETECTING || w->phase == FO_PREPARING || w->phase == FO_AWAITING_REPAIR)) {
        end_by_repair(w);
        wfo_consider_failback(w);
    }
}

void wfo_detected(sim *s, void *ctx, sim_payload p) {
    (void)p;
    world *w = ctx;
    wacct_to_now(w);
    const scenario *sc = w->sc;
    const failover_spec *f = &sc->failover;
    incident_record *r = &w->inc[w->outage_incident];
    double now = simtime_to_s(sim_now(s));
    r->detection_s = now - r->onset_s;
    r->fencing_s = r->failed_attempt_s = r->transfer_s = r->load_s = r->switchover_s = r->warmup_s = 0;
    w->standby_target = sc->traffic.routing == ROUTING_PRIMARY ? pick_standby(w) : -1;
    if (sc->traffic.routing == ROUTING_PRIMARY && w->standby_target < 0) {
        w->phase = FO_AWAITING_REPAIR; /* nowhere to go */
        return;
    }
    standby_mode mode =
        sc->traffic.routing == ROUTING_ACTIVE_ACTIVE ? STANDBY_HOT : scenario_region_standby(sc, w->standby_target);
    if (w->standby_u >= f->standby_reliability) {
        /* The attempt costs its load time, then we restore from backup. */
        r->failover_failed = 1;
        r->failed_attempt_s = f->load_s;
        mode = STANDBY_COLD;
    }
    double rpo = f->replication_lag_s;
    switch (mode) {
    case STANDBY_HOT: break;
    case STANDBY_WARM: r->load_s = f->sync_s; break;
    case STANDBY_PILOT_LIGHT: r->load_s = f->provision_s + f->load_s + f->sync_s; break;
    case STANDBY_COLD: {
        double bytes;
        double point = wbak_recovery_point(w, r->onset_s, &bytes);
        r->transfer_s = bytes / wbak_restore_bps(w);
        r->load_s = f->provision_s + f->load_s + f->sync_s;
        rpo = point >= 0 ? r->onset_s - point : r->onset_s;
        break;
    }
    }
    /* servers provisioned for a restore run (and cost) from now on */
    if (w->standby_target >= 0 && (mode == STANDBY_COLD || mode == STANDBY_PILOT_LIGHT))
        wacct_running(w, w->standby_target, sc->regions[w->standby_target].servers);
    r->fencing_s = f->fencing_s;
    r->switchover_s = f->switchover_s + f->network_delay_s;
    r->warmup_s = f->warmup_s;
    w->pending_rpo_s = rpo;
    w->switch_mode = (uint64_t)mode;
    w->phase = FO_PREPARING;
    double prepare = r->fencing_s + r->failed_attempt_s + r->transfer_s + r->load_s;
    w->switch_timer = sim_schedule_in(s, simtime_from_s(prepare), wfo_switch, w, SIM_PAYLOAD_NONE);
}

/* With real state, the restore really rebuilds the tables from the chain:
 * its recovery point and the restored model's recall@k replace the
 * bookkeeping's. The chain is lost when the fault took its tier. */
static void real_restore(world *w, incident_record *r) {
    bool survived = w->n_backups == 0 || !wbak_lost(w, &w->backups[w->n_backups - 1]);
    trainer_restore_result res;
    if (trainer_restore(w->trainer, r->onset_s, survived ? 1u : 0u, &res, w->trainer_err, sizeof w->trainer_err) != 0)
        return;
    r->rpo_s = res.restored ? r->onset_s - res.recovery_point_s : r->onset_s;
    r->recall_at_k = res.recall_at_k;
}

void wfo_switch(sim *s, void *ctx, sim_payload p) {
    (void)p;
    world *w = ctx;
    wacct_to_now(w);
    incident_record *r = &w->inc[w->outage_incident];
    double now = simtime_to_s(sim_now(s));
    w->phase = FO_SWITCHING;
    w->primary_fenced = w->sc->traffic.routing == ROUTING_PRIMARY;
    r->failed_over = 1;
    if (disaster_kinds[w->outage_cause].false_alarm) r->false_alarm = 1;
    r->rpo_s = w->pending_rpo_s;
    if (w->trainer) {
        if (w->switch_mode == STANDBY_COLD) real_restore(w, r);
        trainer_resume(w->trainer, now); /* the trainer carries on from the state the standby serves */
    }
    r->lost_updates = r->rpo_s * w->sc->model.updates_per_s;
    sim_schedule_in(s, simtime_from_s(r->switchover_s + r->warmup_s), wfo_complete, w, sim_payload_u64(w->switch_mode));
}

void wfo_complete(sim *s, void *ctx, sim_payload p) {
    world *w = ctx;
    wacct_to_now(w);
    const failover_spec *f = &w->sc->failover;
    incident_record *r = &w->inc[w->outage_incident];
    double now = simtime_to_s(sim_now(s));
    w->primary_fenced = false;
    if (w->sc->traffic.routing == ROUTING_ACTIVE_ACTIVE)
        for (int g = 0; g < w->sc->n_regions; g++)
            if (w->region_faults[g]) w->switched_out[g] = true;
    if (w->sc->traffic.routing == ROUTING_PRIMARY) {
        int standby = w->standby_target;
        if (standby < 0 || !wacct_region_ok(w, standby)) {
            /* the prepared standby died meanwhile: the primary's repair ends it */
            w->phase = FO_AWAITING_REPAIR;
            if (serving_ok(w)) end_by_repair(w);
            return;
        }
        if (w->primary != w->home) wacct_running_idle(w, w->primary); /* a failed standby-turned-primary */
        wacct_running(w, standby, w->sc->regions[standby].servers);
        w->standby_target = -1;
        w->primary = standby;
        if (p.u64 == STANDBY_COLD) w->model_version++; /* the standby serves a model restored from backup */
        if (p.u64 == STANDBY_WARM && f->standby_capacity_fraction < 1) {
            w->standby_capacity = f->standby_capacity_fraction * wacct_servers_up(w, standby);
            /* The overload while the standby scales up is this incident's. */
            w->scaleup_incident = w->outage_incident;
            sim_schedule_in(s, simtime_from_s(f->scale_up_s), wfo_scaled_up, w, SIM_PAYLOAD_NONE);
            /* The RTO ends when the SLO is met: now, if the running share
             * carries the load at the current rate (by the same test as the
             * traffic accounting), else once the standby has scaled up. */
            w->phase = FO_NONE;
            serving_state st = wacct_serving(w);
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
    r->repair_wait_s = 0;
    w->phase = FO_NONE;
    wfo_consider_failback(w);
}

void wfo_scaled_up(sim *s, void *ctx, sim_payload p) {
    (void)s, (void)p;
    world *w = ctx;
    wacct_to_now(w);
    w->standby_capacity = 0;
    w->scaleup_incident = NO_INCIDENT;
}

/* Planned failback: once the home region has been healthy for
 * failback_delay_s, traffic drains back to it (no failed requests). */
void wfo_failback(sim *s, void *ctx, sim_payload p) {
    (void)s, (void)p;
    world *w = ctx;
    if (w->phase != FO_NONE || w->primary == w->home || !wacct_region_ok(w, w->home)) return;
    wacct_to_now(w);
    wacct_running_idle(w, w->primary);
    w->primary = w->home;
    w->standby_capacity = 0;
    w->failbacks++;
}

void wfo_consider_failback(world *w) {
    const failover_spec *f = &w->sc->failover;
    if (!f->failback || w->sc->traffic.routing != ROUTING_PRIMARY || w->phase != FO_NONE || w->primary == w->home)
        return;
    if (!wacct_region_ok(w, w->home)) {
        sim_cancel(w->s, w->failback_timer);
        return;
    }
    if (!sim_is_pending(w->s, w->failback_timer))
        w->failback_timer =
            sim_schedule_in(w->s, simtime_from_s(f->failback_delay_s), wfo_failback, w, SIM_PAYLOAD_NONE);
}
