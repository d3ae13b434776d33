/* Disaster units: every (spec, unit) pair is a renewal process on its own
 * stream. Onsets and fault durations are drawn from that stream only, so
 * they are a function of (seed, unit): compared policies meet the same
 * disasters. What a kind does to the world is one row of `kind_ops`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <xxhash.h>

#include "models/world_internal.h"
#include "sim/engine/stream.h"

/* A kind's effect on the world. Kinds without `repair` are point events
 * (their onsets renew on the unit's clock at once, never after whatever a
 * policy did about them). */
typedef struct kind_ops {
    void (*fail)(world *w, unit_proc *u);
    void (*repair)(world *w, unit_proc *u);
} kind_ops;

static void servers_down(world *w, unit_proc *u) { w->servers_lost[u->region] += u->servers; }
static void servers_back(world *w, unit_proc *u) { w->servers_lost[u->region] -= u->servers; }
static void region_down(world *w, unit_proc *u) { w->region_faults[u->region]++; }
static void region_back(world *w, unit_proc *u) {
    w->region_faults[u->region]--;
    wfo_region_repaired(w, u->region);
}
static void surge_on(world *w, unit_proc *u) { w->surge_multiplier *= u->spec->multiplier; }
static void surge_off(world *w, unit_proc *u) { w->surge_multiplier /= u->spec->multiplier; }
/* The WAN degrades: cross-region backups and restores slow down with it;
 * local and regional tiers do not cross it. */
static void link_degrade(world *w, unit_proc *u) {
    w->latency_factor *= u->spec->multiplier;
    link_set_bandwidth(&w->backup_link, wbak_write_bps(w));
}
static void link_restore(world *w, unit_proc *u) {
    w->latency_factor /= u->spec->multiplier;
    link_set_bandwidth(&w->backup_link, wbak_write_bps(w));
}

/* The newest completed backup not yet corrupt turns silently corrupt. */
static void corrupt_backup(world *w, unit_proc *u) {
    for (size_t i = w->n_backups; i-- > 0;)
        if (!w->backups[i].corrupt && isfinite(w->backups[i].completed_s)) {
            w->backups[i].corrupt = true;
            w->backups_corrupt++;
            if (w->trainer)
                trainer_corrupt(w->trainer, 0, w->backups[i].trainer_id, w->rng_backup, w->trainer_err,
                                sizeof w->trainer_err);
            break;
        }
    size_t k = wacct_open(w, u->spec, -1, 0, 0);
    if (k == NO_INCIDENT) return;
    w->inc[k].rpo_s = 0;
    wacct_close(w, k); /* nothing serves worse until a restore meets it */
}

/* The recall@k of the model a push makes, ranked by the kernels against
 * the good one; its noise is a function of (seed, unit, onset) only. */
static bool served_recall(world *w, unit_proc *u, double *recall) {
    /* the production model is the same in every replica: only the pushes differ */
    if (w->quality && quality_backend(w->quality) != w->opts.backend) {
        quality_free(w->quality);
        w->quality = NULL;
    }
    if (!w->quality && quality_create(w->opts.backend, QUALITY_MODEL_SEED, 64, 10, &w->quality, w->executor_err,
                                      sizeof w->executor_err) != 0)
        return false;
    char name[32];
    snprintf(name, sizeof name, "quality.%u", u->onsets);
    return quality_bad_model_recall(w->quality, u->spec->severity, stream_seed64(u->policy_key, name), recall,
                                    w->executor_err, sizeof w->executor_err) == 0;
}

/* The newest open push that serves worse rankings sets what users see. */
static void update_serving_recall(world *w) {
    w->serving_recall = 1;
    for (size_t i = w->n_open; i-- > 0;) {
        const incident_record *r = &w->inc[w->open[i]];
        if (isfinite(r->served_recall_at_k)) {
            w->serving_recall = r->served_recall_at_k;
            return;
        }
    }
}

/* A bad model is pushed: it serves worse rankings (or, with `crash`, fails
 * every request), is detected like an outage, then rolled back to a
 * previous version kept next to the servers when one is good, else
 * restored from the newest good backup. */
static void bad_push(world *w, unit_proc *u) {
    const failover_spec *f = &w->sc->failover;
    double recall = NAN;
    if (!u->spec->crash && !served_recall(w, u, &recall)) {
        sim_stop(w->s);
        return;
    }
    size_t k = wacct_open(w, u->spec, -1, 0, 0);
    if (k == NO_INCIDENT) return;
    w->bad_pushes_open++;
    w->crash_pushes_open += u->spec->crash;
    w->model_version++;
    incident_record *r = &w->inc[k];
    r->served_recall_at_k = recall;
    update_serving_recall(w);
    double now = simtime_to_s(sim_now(w->s));
    wfo_seed_policy(w->rng_push, u->policy_key, u->onsets);
    r->detection_s = detector_delay_s(&f->detector, w->rng_push);
    r->fencing_s = r->failed_attempt_s = r->switchover_s = r->repair_wait_s = 0;
    /* Each bad push still open holds one kept slot with a bad version. */
    if (w->bad_pushes_open <= f->local_versions) {
        r->local_rollback = 1;
        r->transfer_s = 0;
        r->load_s = f->local_rollback_s;
        r->warmup_s = 0;
        r->rpo_s = 0; /* the previous version was live until the push */
    } else {
        double bytes, point = wbak_recovery_point(w, now, &bytes);
        r->transfer_s = bytes / wbak_restore_bps(w);
        r->load_s = f->load_s;
        r->warmup_s = f->warmup_s;
        r->rpo_s = point >= 0 ? now - point : now;
    }
    r->rto_s = r->detection_s + r->transfer_s + r->load_s + r->warmup_s;
    r->duration_s = r->rto_s;
    r->outage = 1;
    r->lost_updates = r->rpo_s * w->sc->model.updates_per_s;
    sim_schedule_in(w->s, simtime_from_s(r->rto_s), wdis_rolled_back, w, sim_payload_pair(u->spec->crash, (uint32_t)k));
}

/* The unit's next draw of law d. A fleet has up to millions of units: a
 * GSL generator each would cost kilobytes and thousands of operations to
 * seed, so each unit draws from a counter-based stream instead (XXH3 of the
 * draw number under the unit's 64-bit key: uniform 53-bit fractions, never
 * 0 or 1) turned into the law by GSL's inverse CDFs. */
static double unit_draw(unit_proc *u, const dist_spec *d) {
    uint64_t n = u->draws++;
    uint64_t h = XXH3_64bits_withSeed(&n, sizeof n, u->draw_key);
    return dist_quantile(d, stream_open_uniform(h));
}

/* In disaster_kind order. */
static const kind_ops kind_ops_table[] = {
    {servers_down, servers_back}, /* server_failure */
    {servers_down, servers_back}, /* gpu_failure: u->servers is one GPU's share */
    {servers_down, servers_back}, /* rack_power */
    {servers_down, servers_back}, /* zone_outage */
    {region_down, region_back},   /* region_outage */
    {region_down, region_back},   /* wan_partition */
    {region_down, region_back},   /* network_flap */
    {corrupt_backup, NULL},       /* backup_corruption */
    {bad_push, NULL},             /* bad_model_push */
    {surge_on, surge_off},        /* traffic_surge */
    {link_degrade, link_restore}, /* link_degradation */
};
_Static_assert(sizeof kind_ops_table / sizeof kind_ops_table[0] == DIS_KIND_COUNT,
               "one kind_ops row per disaster_kind, in enum order");

/* Payload: u32[0] whether the push crashed, u32[1] its incident. */
void wdis_rolled_back(sim *s, void *ctx, sim_payload p) {
    (void)s;
    world *w = ctx;
    wacct_to_now(w);
    wacct_close(w, p.u32[1]);
    w->bad_pushes_open--;
    w->crash_pushes_open -= (int)p.u32[0];
    update_serving_recall(w);
    w->model_version++; /* the known-good model serves again */
}

/* Payload of onsets and repairs: u32[0] is 1 for a scripted onset (it does
 * not renew), u32[1] the incident a repair closes. */
void wdis_fail(sim *s, void *ctx, sim_payload p) {
    unit_proc *u = ctx;
    world *w = u->w;
    wacct_to_now(w);
    const disaster_spec *d = u->spec;
    const kind_ops *ops = &kind_ops_table[d->kind];
    bool renews = d->stochastic && p.u32[0] == 0;
    if (!ops->repair) {
        if (renews) sim_schedule_in(s, simtime_from_s(unit_draw(u, &d->interarrival)), wdis_fail, u, p);
        ops->fail(w, u);
        u->onsets++;
        return;
    }
    double duration = unit_draw(u, &d->duration);
    ops->fail(w, u);
    u->incident = NO_INCIDENT;
    if (d->per != UNIT_FLEET) wfo_check_serving(w, u, duration);
    if (u->incident == NO_INCIDENT) {
        /* A fault that did not stop the service is still an incident. */
        u->incident = wacct_open(w, d, u->per_region ? u->region : -1, u->index, duration);
        if (u->incident != NO_INCIDENT) w->inc[u->incident].rpo_s = 0;
    }
    u->onsets++;
    uint32_t incident = u->incident == NO_INCIDENT ? UINT32_MAX : (uint32_t)u->incident;
    sim_schedule_in(s, simtime_from_s(duration), wdis_repair, u, sim_payload_pair(p.u32[0], incident));
}

void wdis_repair(sim *s, void *ctx, sim_payload p) {
    unit_proc *u = ctx;
    world *w = u->w;
    wacct_to_now(w);
    const disaster_spec *d = u->spec;
    kind_ops_table[d->kind].repair(w, u);
    if (p.u32[1] != UINT32_MAX) wacct_close(w, p.u32[1]);
    if (d->per != UNIT_FLEET) wfo_check_serving(w, u, 0);
    wfo_consider_failback(w);
    if (d->stochastic && p.u32[0] == 0)
        sim_schedule_in(s, simtime_from_s(unit_draw(u, &d->interarrival)), wdis_fail, u, sim_payload_pair(0, 0));
}

/* ---- a region's servers as one process --------------------------------------------
 * Exponential up-times are memoryless: the first of n up servers (racks,
 * zones) to fail does so after Exp(mean / n), and it is any of them with
 * equal chance. A fleet's per-server process then costs one pending event
 * per region, not one per server; its draws still depend only on (seed, region) and on the
 * disasters themselves, never on a policy. */
static void group_schedule(unit_proc *u) {
    sim_cancel(u->w->s, u->next);
    int up = u->n_members - u->n_down;
    if (up <= 0) return;
    dist_spec first = u->spec->interarrival;
    first.mean_s /= up;
    u->next = sim_schedule_in(u->w->s, simtime_from_s(unit_draw(u, &first)), wdis_group_fail, u, SIM_PAYLOAD_NONE);
}

/* A uniform server among those up (rejection: the down ones are few). */
static int group_pick(unit_proc *u) {
    for (;;) {
        uint64_t n = u->draws++;
        uint64_t h = XXH3_64bits_withSeed(&n, sizeof n, u->draw_key);
        int k = (int)((double)(h >> 11) * 0x1p-53 * u->n_members);
        if (!u->down[k]) return k;
    }
}

void wdis_group_fail(sim *s, void *ctx, sim_payload p) {
    (void)p;
    unit_proc *u = ctx;
    world *w = u->w;
    wacct_to_now(w);
    int k = group_pick(u);
    u->down[k] = 1;
    u->n_down++;
    u->index = k;
    double duration = unit_draw(u, &u->spec->duration);
    kind_ops_table[u->spec->kind].fail(w, u);
    u->incident = NO_INCIDENT;
    wfo_check_serving(w, u, duration);
    if (u->incident == NO_INCIDENT) {
        u->incident = wacct_open(w, u->spec, u->region, k, duration);
        if (u->incident != NO_INCIDENT) w->inc[u->incident].rpo_s = 0;
    }
    u->onsets++;
    uint32_t incident = u->incident == NO_INCIDENT ? UINT32_MAX : (uint32_t)u->incident;
    sim_schedule_in(s, simtime_from_s(duration), wdis_group_repair, u, sim_payload_pair((uint32_t)k, incident));
    group_schedule(u);
}

/* Payload: u32[0] the server, u32[1] the incident its repair closes. */
void wdis_group_repair(sim *s, void *ctx, sim_payload p) {
    (void)s;
    unit_proc *u = ctx;
    world *w = u->w;
    wacct_to_now(w);
    kind_ops_table[u->spec->kind].repair(w, u);
    if (p.u32[1] != UINT32_MAX) wacct_close(w, p.u32[1]);
    u->down[p.u32[0]] = 0;
    u->n_down--;
    wfo_check_serving(w, u, 0);
    wfo_consider_failback(w);
    group_schedule(u);
}

/* ---- a region's servers as a pool ---------------------------------------------------
 * With thousands of servers, one event per failure and repair costs what
 * the servers cost, while what the serving side sees is the number down, a
 * few in ten thousand. A pool steps that number every pool_step_s: each of
 * the k servers down is down again Delta later with p_dd, each of the n - k
 * up is down with p_ud, the two-state chain's transition probabilities
 * (up-time rate lambda, repair rate mu, s = lambda + mu):
 *     p_ud = lambda/s (1 - e^(-s Delta)),  p_dd = lambda/s + mu/s e^(-s Delta),
 * so N(t + Delta) = Bin(k, p_dd) + Bin(n - k, p_ud). This is exact in law at
 * the steps for exponential repairs. For another repair law with the same
 * mean the mean and the steady state (Binomial(n, lambda/s): the
 * finite-source infinite-server system is insensitive to the repair law)
 * are kept, and the correlation between steps is that of exponential
 * repairs. Between steps the number is held. The failures themselves get no
 * incident rows: their cost lands in the background columns, or in the
 * outage they cause when the region falls below what it must serve. */
static void pool_transition(const unit_proc *u, double dt, double *p_ud, double *p_dd) {
    double lambda = 1 / u->spec->interarrival.mean_s, mu = 1 / u->spec->duration.mean_s, s = lambda + mu;
    double decay = exp(-s * dt);
    *p_ud = lambda / s * (1 - decay);
    *p_dd = lambda / s + mu / s * decay;
}

void wdis_pool_step(sim *s, void *ctx, sim_payload p) {
    (void)p;
    unit_proc *u = ctx;
    world *w = u->w;
    wacct_to_now(w);
    double now = simtime_to_s(sim_now(s)), dt = now - u->pool_last_s;
    u->pool_down_s += u->n_down * u->servers * dt;
    u->pool_last_s = now;
    double p_ud, p_dd;
    pool_transition(u, dt, &p_ud, &p_dd);
    int k = u->n_down, n = u->n_members;
    int next = (int)gsl_ran_binomial(u->pool_rng, p_dd, (unsigned)k) +
               (int)gsl_ran_binomial(u->pool_rng, p_ud, (unsigned)(n - k));
    w->servers_lost[u->region] += (next - k) * u->servers;
    u->n_down = next;
    u->onsets++; /* numbers the policy streams of an outage the pool causes */
    /* an outage the pool caused stops being charged once its region has
     * the capacity back, as a per-server one does at its repair */
    if (u->incident != NO_INCIDENT && wacct_region_ok(w, u->region)) {
        wacct_close(w, u->incident);
        u->incident = NO_INCIDENT;
    }
    wfo_check_serving(w, u, u->spec->pool_step_s);
    if (next < k) wfo_consider_failback(w);
    sim_schedule_in(s, simtime_from_s(u->spec->pool_step_s), wdis_pool_step, u, SIM_PAYLOAD_NONE);
}

double wdis_pooled_down_mean(const world *w, double horizon_s) {
    double down_s = 0;
    for (size_t i = 0; i < w->n_units; i++) {
        const unit_proc *u = &w->units[i];
        if (!u->pool_rng) continue;
        down_s += u->pool_down_s + u->n_down * u->servers * fmax(0, horizon_s - u->pool_last_s);
    }
    return horizon_s > 0 ? down_s / horizon_s : 0;
}

void wdis_free(world *w) {
    for (size_t i = 0; i < w->n_units; i++) {
        free(w->units[i].down);
        if (w->units[i].pool_rng) gsl_rng_free(w->units[i].pool_rng);
    }
}

/* Whether disaster d has units in region r, and how many servers each takes
 * down (*count units of *per_unit servers). Fleet-wide kinds have one unit,
 * in the region they are restricted to or in the first. */
static bool unit_shape(const scenario *sc, const disaster_spec *d, int r, int *count, double *per_unit) {
    if (d->region[0] && strcmp(d->region, sc->regions[r].name) != 0) return false;
    if (d->per == UNIT_FLEET && !d->region[0] && r > 0) return false;
    const region_spec *g = &sc->regions[r];
    int racks = g->zones * g->racks_per_zone;
    *count = 1, *per_unit = 0;
    switch (d->per) {
    case UNIT_SERVER:
        *count = g->servers;
        *per_unit = d->kind == DIS_GPU_FAILURE ? 1.0 / g->gpus_per_server : 1;
        break;
    case UNIT_RACK: *count = racks, *per_unit = (g->servers + racks - 1) / racks; break;
    case UNIT_ZONE: *count = g->zones, *per_unit = (g->servers + g->zones - 1) / g->zones; break;
    case UNIT_REGION: *count = 1, *per_unit = g->servers; break;
    case UNIT_FLEET: *count = 1, *per_unit = 0; break;
    }
    return true;
}

bool wdis_setup(world *w) {
    const scenario *sc = w->sc;
    size_t total = 0;
    int count;
    double per_unit;
    for (size_t i = 0; i < sc->disasters.n; i++)
        for (int r = 0; r < sc->n_regions; r++)
            if (unit_shape(sc, &sc->disasters.items[i], r, &count, &per_unit))
                total += disaster_memoryless_units(&sc->disasters.items[i]) ? 1 : (size_t)count; /* a pool is one too */
    w->units = calloc(total ? total : 1, sizeof *w->units);
    if (!w->units) return false;
    for (size_t i = 0; i < sc->disasters.n; i++) {
        const disaster_spec *d = &sc->disasters.items[i];
        int same_kind = 0; /* earlier specs of this kind: a second one gets streams of its own */
        for (size_t j = 0; j < i; j++) same_kind += sc->disasters.items[j].kind == d->kind;
        for (int r = 0; r < sc->n_regions; r++) {
            if (!unit_shape(sc, d, r, &count, &per_unit)) continue;
            /* One stream per disaster spec, region and unit, named by what
             * it is (not by the spec's position or any policy), so compared
             * policies meet the same disasters. */
            char name[160];
            int len = snprintf(name, sizeof name, "disaster.%s.%s", disaster_kind_names[d->kind], sc->regions[r].name);
            if (same_kind && len > 0 && (size_t)len < sizeof name)
                snprintf(name + len, sizeof name - (size_t)len, "#%d", same_kind);
            uint64_t region_key = stream_seed64(sim_seed(w->s), name);
            uint64_t policy_region_key = region_key ^ UINT64_C(0x9e3779b97f4a7c15);
            if (disaster_pooled(d, sc->regions[r].servers)) {
                unit_proc *u = &w->units[w->n_units++];
                *u = (unit_proc){.w = w,
                                 .spec = d,
                                 .region = r,
                                 .per_region = true,
                                 .index = -1, /* its outages' scope: server:REGION/pool */
                                 .servers = per_unit,
                                 .incident = NO_INCIDENT,
                                 .draw_key = region_key,
                                 .policy_key = policy_region_key,
                                 .n_members = count,
                                 .pool_rng = gsl_rng_alloc(stream_rng_type())};
                if (!u->pool_rng) return false;
                gsl_rng_set(u->pool_rng, (unsigned long)region_key);
                sim_schedule_in(w->s, simtime_from_s(d->pool_step_s), wdis_pool_step, u, SIM_PAYLOAD_NONE);
                continue;
            }
            if (disaster_memoryless_units(d)) {
                unit_proc *u = &w->units[w->n_units++];
                *u = (unit_proc){.w = w,
                                 .spec = d,
                                 .region = r,
                                 .per_region = true,
                                 .servers = per_unit,
                                 .incident = NO_INCIDENT,
                                 .draw_key = region_key,
                                 .policy_key = policy_region_key,
                                 .n_members = count,
                                 .down = calloc((size_t)count, 1)};
                if (!u->down) return false;
                group_schedule(u);
                continue;
            }
            for (int k = 0; k < count; k++) {
                unit_proc *u = &w->units[w->n_units++];
                uint64_t unit = (uint64_t)k;
                *u = (unit_proc){.w = w,
                                 .spec = d,
                                 .region = r,
                                 .per_region = d->per != UNIT_FLEET || d->region[0],
                                 .index = k,
                                 .servers = per_unit,
                                 .incident = NO_INCIDENT,
                                 .draw_key = XXH3_64bits_withSeed(&unit, sizeof unit, region_key),
                                 .policy_key = XXH3_64bits_withSeed(&unit, sizeof unit, policy_region_key)};
                if (d->stochastic)
                    sim_schedule_in(w->s, simtime_from_s(unit_draw(u, &d->interarrival)), wdis_fail, u,
                                    sim_payload_pair(0, 0));
                for (size_t j = 0; j < d->n_scripted; j++)
                    sim_schedule_at(w->s, simtime_from_s(d->scripted_at_s[j]), wdis_fail, u, sim_payload_pair(1, 0));
            }
        }
    }
    return true;
}
