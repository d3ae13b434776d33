/* What serves, the incidents, and who is charged: every failed request and
 * every second of SLO violation goes to exactly one incident (wacct_blamed)
 * or to the replica's background columns, so incidents plus background add
 * up to the replica's totals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/world_internal.h"

double wacct_servers_up(const world *w, int r) { return fmax(0, w->sc->regions[r].servers - w->servers_lost[r]); }

bool wacct_region_ok(const world *w, int r) {
    const scenario *sc = w->sc;
    double up = wacct_servers_up(w, r);
    return w->region_faults[r] == 0 && up >= sc->failover.min_capacity_fraction * sc->regions[r].servers && up > 0;
}

serving_state wacct_serving(const world *w) {
    const scenario *sc = w->sc;
    serving_state st = {.rate_multiplier = w->surge_multiplier,
                        .degraded_model = w->crash_pushes_open > 0,
                        .incident_open = w->phase != FO_NONE || w->scaleup_incident != NO_INCIDENT || w->n_open > 0};
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
            /* Until the load balancer has switched a dead region out, its share is lost. */
            if (w->region_faults[r] && !w->switched_out[r])
                dead += sc->regions[r].servers;
            else if (!w->region_faults[r])
                up += wacct_servers_up(w, r);
        }
        st.blackhole_fraction = dead / total;
        st.servers = up;
    } else {
        int p = w->primary;
        bool up = w->region_faults[p] == 0 && !w->primary_fenced;
        st.servers = up ? wacct_servers_up(w, p) : 0;
        if (w->standby_capacity > 0) st.servers = w->standby_capacity;
        if (w->phase != FO_NONE && !up && w->standby_capacity <= 0) st.blackhole_fraction = 1;
    }
    return st;
}

size_t wacct_blamed(const world *w) {
    if (w->phase != FO_NONE) return w->outage_incident;
    if (w->scaleup_incident != NO_INCIDENT) return w->scaleup_incident;
    if (w->bad_pushes_open == 0) return w->n_open ? w->open[0] : NO_INCIDENT;
    size_t other = NO_INCIDENT;
    for (size_t i = 0; i < w->n_open; i++) {
        size_t k = w->open[i];
        if (strcmp(w->inc[k].kind, disaster_kind_names[DIS_BAD_MODEL_PUSH]) == 0) return k;
        if (other == NO_INCIDENT) other = k;
    }
    return other;
}

/* quality_loss: revenue lost by requests a bad model served (only ever
 * while a bad push is open, so never background). */
static void charge(world *w, double failed, double slo_s, double quality_loss) {
    size_t k = wacct_blamed(w);
    const business_spec *b = &w->sc->business;
    if (k == NO_INCIDENT) {
        w->failed_background += failed;
        w->slo_background_s += slo_s;
        return;
    }
    incident_record *r = &w->inc[k];
    r->requests_failed += failed;
    r->lost_revenue += failed * b->conversion_rate * b->order_value + quality_loss;
    r->slo_missed_s += slo_s;
}

void wacct_to_now(world *w) {
    double now = simtime_to_s(sim_now(w->s));
    if (w->requests) reqsim_cut(w->requests);
    if (!w->requests && now > w->accounted_to_s) {
        serving_state st = wacct_serving(w);
        traffic_account(&w->acc, &w->sc->traffic, w->accounted_to_s, now, &st);
    }
    if (now > w->accounted_to_s) w->accounted_to_s = now;
    double failed = w->acc.failed - w->failed_seen, slo = w->acc.slo_violation_s - w->slo_seen_s;
    double served = w->acc.served - w->served_seen, quality_loss = 0;
    w->served_seen = w->acc.served;
    if (w->serving_recall < 1) {
        /* conversion falls with the share of the good rankings lost */
        const business_spec *b = &w->sc->business;
        double factor = fmin(1, b->quality_elasticity * (1 - w->serving_recall));
        quality_loss = served * b->conversion_rate * b->order_value * factor;
        w->quality_loss += quality_loss;
    }
    if (failed == 0 && slo == 0 && quality_loss == 0) return;
    w->failed_seen = w->acc.failed;
    w->slo_seen_s = w->acc.slo_violation_s;
    charge(w, failed, slo, quality_loss);
}

void wacct_cost_to_now(world *w) {
    double now = simtime_to_s(sim_now(w->s));
    if (now <= w->cost_since_s) return;
    double per_s = 0;
    for (int r = 0; r < w->sc->n_regions; r++)
        if (r != w->home) per_s += w->running[r] * w->sc->regions[r].server_hour_cost / 3600;
    w->standby_cost += per_s * (now - w->cost_since_s);
    w->cost_since_s = now;
}

void wacct_running(world *w, int region, double servers) {
    wacct_cost_to_now(w);
    w->running[region] = servers;
}

void wacct_running_idle(world *w, int region) {
    wacct_running(w, region, w->sc->regions[region].servers * scenario_idle_running_share(w->sc, region));
}

size_t wacct_open(world *w, const disaster_spec *d, int region, int unit_index, double duration_s) {
    if (!world_grow(w, (void **)&w->inc, &w->cap_inc, w->n_inc, sizeof *w->inc, 64) ||
        !world_grow(w, (void **)&w->open, &w->cap_open, w->n_open, sizeof *w->open, 16))
        return NO_INCIDENT;
    incident_record *r = &w->inc[w->n_inc];
    memset(r, 0, sizeof *r);
    r->seed = sim_seed(w->s);
    r->id = (uint32_t)w->n_inc;
    snprintf(r->kind, sizeof r->kind, "%s", disaster_kind_names[d->kind]);
    if (region >= 0 && unit_index < 0) /* a pool: the region's servers together */
        snprintf(r->scope, sizeof r->scope, "%s:%s/pool", disaster_unit_names[d->per], w->sc->regions[region].name);
    else if (region >= 0)
        snprintf(r->scope, sizeof r->scope, "%s:%s/%d", disaster_unit_names[d->per], w->sc->regions[region].name,
                 unit_index);
    else
        snprintf(r->scope, sizeof r->scope, "fleet");
    r->onset_s = simtime_to_s(sim_now(w->s));
    r->duration_s = duration_s;
    r->rto_s = r->detection_s = r->fencing_s = r->failed_attempt_s = r->transfer_s = r->load_s = r->switchover_s =
        r->warmup_s = r->repair_wait_s = NAN;
    r->recall_at_k = r->served_recall_at_k = NAN;
    w->open[w->n_open++] = w->n_inc;
    return w->n_inc++;
}

void wacct_close(world *w, size_t incident) {
    for (size_t i = 0; i < w->n_open; i++)
        if (w->open[i] == incident) {
            memmove(w->open + i, w->open + i + 1, (w->n_open - i - 1) * sizeof *w->open);
            w->n_open--;
            return;
        }
}
