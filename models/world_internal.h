/* The insides of one replica, shared by the world's modules and by nothing
 * else (the public interface is world.h):
 *   world.c           set-up, the run, the replica's summary row
 *   world_account.c   what serves, incidents, and who is charged for failures
 *   world_failover.c  the serving outage: detection, fencing, switch, failback
 *   world_disaster.c  disaster units and the table of per-kind handlers
 *   world_backup.c    backups, retention, recovery points, restore bandwidth
 *   world_trace.c     traces and timelines (--trace)
 * Every handler first books the traffic up to now (wacct_to_now) under the
 * state that held until then, then changes the state. */
#ifndef MODELS_WORLD_INTERNAL_H
#define MODELS_WORLD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/executor.h"
#include "models/link.h"
#include "models/metrics.h"
#include "models/quality.h"
#include "models/reqsim.h"
#include "models/scenario.h"
#include "models/trainer.h"
#include "models/world.h"
#include "sim/engine/sim.h"

/* Backup records kept at once; older ones are pruned past retention
 * (wbak_prune), so only a retention window far beyond 4096 backups of a
 * scenario's horizon would press on it. */
#define MAX_BACKUPS 4096
#define NO_INCIDENT SIZE_MAX
/* The good model the quality probe ranks with: one for every replica. */
#define QUALITY_MODEL_SEED 20241111u

typedef struct backup_rec {
    double taken_s, completed_s, bytes;
    uint64_t trainer_id; /* the real backup, with real state */
    int region;          /* where a local or regional copy lives */
    bool full, corrupt;
    bool discarded; /* verification found it corrupt: known bad, re-sent with the next backup */
} backup_rec;

/* One renewal process of one disaster spec. */
typedef struct unit_proc {
    struct world *w;
    const disaster_spec *spec;
    int region;          /* the region it lives in (fleet-wide kinds: the first, or the one named) */
    bool per_region;     /* its incidents name the region (false: "fleet") */
    int index;           /* the unit's number within its region */
    double servers;      /* servers taken down by one failure (a GPU: a share of one) */
    uint32_t onsets;     /* failures so far: numbers the incidents' policy streams */
    uint64_t policy_key; /* seeds those streams: a function of (seed, unit) only */
    size_t incident;     /* the unit's open incident, or NO_INCIDENT */
    /* up-times and durations: the unit's own counter-based stream (draw n
     * is a hash of (key, n)), exogenous, never drawn by a policy */
    uint64_t draw_key, draws;
    /* A region's servers as one process (memoryless up-times): n_members
     * servers, down[i] while server i is down, the pending next failure. */
    int n_members, n_down;
    uint8_t *down; /* NULL: a unit of its own */
    sim_handle next;
    /* A pool (disasters[].pool_above): n_down servers down, stepped every
     * pool_step_s on its own GSL stream; down_s integrates n_down since
     * the start, up to last_s. */
    gsl_rng *pool_rng;
    double pool_down_s, pool_last_s;
} unit_proc;

/* The serving outage (the world has at most one at a time). */
typedef enum failover_phase {
    FO_NONE,           /* the serving side is healthy */
    FO_DETECTING,      /* the detector has not fired yet */
    FO_PREPARING,      /* fencing, a failed attempt, restore, provisioning, load, sync: the primary may come back */
    FO_SWITCHING,      /* committed: the primary is fenced until the switch and warm-up complete */
    FO_AWAITING_REPAIR /* no healthy standby: the primary's repair ends the outage */
} failover_phase;

typedef struct world {
    const scenario *sc;
    world_options opts;
    sim *s;
    gsl_rng *rng_backup;
    /* per-incident policy streams, reseeded at each incident from its unit's
     * key and onset number: a policy's draws for one incident never shift
     * another incident's */
    gsl_rng *rng_outage, *rng_push;
    /* Whether the outage's standby comes up: its own uniform of (unit,
     * onset), not the detector's stream, whose draws vary with the detector
     * (a phi detector's heartbeats, a miss draw): compared detectors meet
     * the same standby failures. */
    double standby_u;
    /* servers taken down by the open capacity faults, summed: a repair
     * gives back exactly what its fault took, however faults overlap */
    double servers_lost[SCENARIO_MAX_REGIONS];
    int region_faults[SCENARIO_MAX_REGIONS]; /* open region-level faults */
    /* active-active: the load balancer has switched the region out (until
     * its faults are repaired and it rejoins) */
    bool switched_out[SCENARIO_MAX_REGIONS];
    int primary, home; /* home: the scenario's primary; failback returns there */
    double surge_multiplier;
    double latency_factor; /* link degradations multiply WAN latency and divide WAN bandwidth */
    int bad_pushes_open;   /* a bad model serves while any is open */
    int crash_pushes_open; /* requests fail while any of these is open */
    double serving_recall; /* recall@k of the serving model's rankings (1: the good model) */
    quality *quality;      /* ranks with good and bad models; made at the first bad push */
    uint32_t model_version;
    /* the serving outage */
    failover_phase phase;
    size_t outage_incident;
    disaster_kind outage_cause;
    int outage_region;
    bool primary_fenced;
    sim_handle detection_timer, switch_timer;
    uint64_t switch_mode;    /* the standby mode the switch brings up */
    double pending_rpo_s;    /* the RPO if the switch happens */
    double standby_capacity; /* warm standby servers running, during scale-up */
    size_t scaleup_incident; /* the outage whose standby is still scaling up */
    int standby_target;      /* the region the failover prepares, or -1 */
    sim_handle failback_timer;
    uint32_t failbacks;
    /* standby money: servers running in each region other than home, and
     * what they have cost so far (integrated at every change) */
    double running[SCENARIO_MAX_REGIONS];
    double standby_cost, cost_since_s;
    link backup_link;       /* backups share it (processor sharing) */
    trainer *trainer;       /* real model state, when enabled */
    executor *executor;     /* service.execute */
    char executor_err[256]; /* a kernel failed (service.execute or the quality probe): the replica fails */
    char trainer_err[256];
    /* accounting */
    traffic_acc acc;
    reqsim *requests; /* request fidelity; NULL for segments */
    double failed_seen, slo_seen_s, served_seen;
    double quality_loss; /* revenue lost to a bad model's rankings */
    double accounted_to_s;
    double failed_background, slo_background_s;
    size_t *open; /* open incidents, oldest first */
    size_t n_open, cap_open;
    /* backups */
    backup_rec backups[MAX_BACKUPS]; /* backups[i] has id backup_base + i */
    size_t n_backups;
    uint64_t backup_base;
    double bytes_moved, bytes_stored_peak;
    /* bytes of each full and the partial backups after it, oldest first:
     * retention keeps the newest retention_full groups */
    double *group_bytes;
    size_t n_groups, cap_groups;
    uint32_t backups_completed, backups_corrupt, backups_skipped, fulls_skipped;
    int backups_in_flight, fulls_in_flight;
    double last_backup_taken_s, last_full_taken_s;
    /* results */
    incident_record *inc;
    size_t n_inc, cap_inc;
    unit_proc *units; /* every renewal process; sized once at set-up, so events may point into it */
    size_t n_units;
    trace_record *trace;
    size_t n_trace, cap_trace;
    timeline_record *timeline;
    size_t n_timeline, cap_timeline;
    bool oom;
} world;

/* ---- world_account.c ---- */
double wacct_servers_up(const world *w, int region);
bool wacct_region_ok(const world *w, int region);
serving_state wacct_serving(const world *w);
/* Books the traffic since the last call under the state that held, and
 * charges its failures and SLO-violation time to the blamed incident. */
void wacct_to_now(world *w);
/* The incident charged now: the serving outage (through its scale-up), else
 * the oldest open bad push, else the oldest other open incident; NO_INCIDENT
 * charges the background. */
size_t wacct_blamed(const world *w);
/* A new incident at now, open (charged while blamed) until wacct_close. */
size_t wacct_open(world *w, const disaster_spec *d, int region, int unit_index, double duration_s);
void wacct_close(world *w, size_t incident);
/* Region r runs `servers` servers from now on (standby cost); `idle` sets
 * it back to what it runs while standing by. */
void wacct_running(world *w, int region, double servers);
void wacct_running_idle(world *w, int region);
/* Books the standby cost up to now. */
void wacct_cost_to_now(world *w);

/* ---- world_failover.c ---- */
/* After every change of capacity or health: opens or ends the serving outage. */
void wfo_check_serving(world *w, unit_proc *cause, double duration_s);
void wfo_consider_failback(world *w);
/* A region's fault ended: once none is left it rejoins the load balancer. */
void wfo_region_repaired(world *w, int region);
void wfo_detected(sim *s, void *ctx, sim_payload p);
void wfo_switch(sim *s, void *ctx, sim_payload p);
void wfo_complete(sim *s, void *ctx, sim_payload p);
void wfo_scaled_up(sim *s, void *ctx, sim_payload p);
void wfo_failback(sim *s, void *ctx, sim_payload p);
/* Reseeds rng for incident number `onset` of the unit with key `key`. */
void wfo_seed_policy(gsl_rng *rng, uint64_t key, uint32_t onset);

/* ---- world_disaster.c ---- */
bool wdis_setup(world *w);
void wdis_fail(sim *s, void *ctx, sim_payload p);
void wdis_repair(sim *s, void *ctx, sim_payload p);
void wdis_rolled_back(sim *s, void *ctx, sim_payload p);
void wdis_group_fail(sim *s, void *ctx, sim_payload p);
void wdis_group_repair(sim *s, void *ctx, sim_payload p);
void wdis_pool_step(sim *s, void *ctx, sim_payload p);
/* Servers down in pools, averaged over [0, horizon_s]. */
double wdis_pooled_down_mean(const world *w, double horizon_s);
void wdis_free(world *w);

/* ---- world_backup.c ---- */
void wbak_setup(world *w);
void wbak_due(sim *s, void *ctx, sim_payload p);
void wbak_done(sim *s, void *ctx, sim_payload p);
/* Whether the fault behind the open outage took this backup's copy. */
bool wbak_lost(const world *w, const backup_rec *b);
/* Newest state a restore can rebuild from the backups completed by `at`
 * that survived; -1 if none. *bytes: what the restore reads. */
double wbak_recovery_point(const world *w, double at, double *bytes);
/* Bandwidth of a restore from the backup tier: the tier's, capped by
 * failover.restore_bps when set, divided by WAN degradations for the
 * cross-region tier. */
double wbak_restore_bps(const world *w);
/* Bandwidth of backup writes: backup.bandwidth_bps capped by the tier's,
 * likewise divided. */
double wbak_write_bps(const world *w);

/* ---- world_trace.c ---- */
void wtrace_event(void *trace_ctx, simtime_ns time, sim_handler handler, void *ctx, sim_payload payload);
void wtrace_add(world *w, double time_s, const char *kind, const char *entity);
void wtrace_segment(void *ctx, const traffic_segment *seg);
/* Grows a result array by one (doubling); false (and w->oom) when out of memory. */
bool world_grow(world *w, void **items, size_t *cap, size_t n, size_t item_size, size_t first_cap);

#endif
