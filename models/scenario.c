#include "models/scenario.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/rec.h"
#include "models/trainer.h"

const char *const standby_mode_names[] = {"cold", "pilot_light", "warm", "hot", NULL};
const char *const storage_tier_names[] = {"local", "regional", "cross_region", NULL};
const char *const partial_backup_names[] = {"incremental", "differential", NULL};
const char *const region_role_names[] = {"primary", "standby", "active", NULL};
/* "inherit" first: index - 1 is the standby_mode, -1 failover.standby's */
static const char *const region_standby_names[] = {"inherit", "cold", "pilot_light", "warm", "hot", NULL};

standby_mode scenario_region_standby(const scenario *sc, int r) {
    if (sc->regions[r].role == ROLE_ACTIVE) return STANDBY_HOT;
    return sc->regions[r].standby >= 0 ? (standby_mode)sc->regions[r].standby : sc->failover.standby;
}

double scenario_idle_running_share(const scenario *sc, int r) {
    switch (scenario_region_standby(sc, r)) {
    case STANDBY_COLD: return 0;
    case STANDBY_PILOT_LIGHT: return sc->failover.pilot_light_fraction;
    case STANDBY_WARM: return sc->failover.standby_capacity_fraction;
    case STANDBY_HOT: return 1;
    }
    return 1;
}

int scenario_region(const scenario *sc, const char *name) {
    for (int i = 0; i < sc->n_regions; i++)
        if (strcmp(sc->regions[i].name, name) == 0) return i;
    return -1;
}

static bool parse_topology(cfg_obj *root, scenario *sc) {
    cfg_obj topo;
    if (!cfg_enter(root, "topology", &topo)) return false;
    size_t n = cfg_array_size(&topo, "regions", 1, "regions of the deployment");
    if (n > SCENARIO_MAX_REGIONS) {
        cfg_fail(&topo, "regions", "at most %d regions, got %zu", SCENARIO_MAX_REGIONS, n);
        return false;
    }
    int primaries = 0, actives = 0;
    for (size_t i = 0; i < n; i++) {
        cfg_obj r;
        if (!cfg_enter_item(&topo, "regions", i, &r)) return false;
        region_spec *g = &sc->regions[i];
        const char *name = cfg_string(&r, "name", NULL, "region name (unique)");
        if (!name || !*name)
            cfg_fail(&r, "name", "is required");
        else if (strlen(name) >= sizeof g->name)
            cfg_fail(&r, "name", "longer than %zu characters", sizeof g->name - 1);
        else
            strcpy(g->name, name);
        g->servers = (int)cfg_int(&r, "servers", 16, 1, 100000, "GPU servers");
        g->gpus_per_server = (int)cfg_int(&r, "gpus_per_server", 8, 1, 64, "GPUs per server");
        g->zones = (int)cfg_int(&r, "zones", 1, 1, 16, "availability zones");
        g->racks_per_zone = (int)cfg_int(&r, "racks_per_zone", 2, 1, 1000, "racks per zone");
        g->role =
            (region_role)cfg_enum(&r, "role", region_role_names, i == 0 ? ROLE_PRIMARY : ROLE_STANDBY, "serving role");
        g->standby = cfg_enum(&r, "standby", region_standby_names, 0,
                              "standby mode of this region (inherit: failover.standby)") -
                     1;
        g->server_hour_cost = cfg_number(&r, "server_hour_cost", 0, 0, 1e6, "currency/h",
                                         "price of one of its servers per hour (0: cost.server_hour)");
        if (g->standby >= 0 && g->role != ROLE_STANDBY)
            cfg_fail(&r, "standby", "only a region with role \"standby\" stands by (this one is \"%s\")",
                     region_role_names[g->role]);
        if (!cfg_leave(&r)) return false;
        for (size_t k = 0; k < i; k++)
            if (strcmp(sc->regions[k].name, g->name) == 0) {
                cfg_fail(&r, "name", "duplicate region name \"%s\"", g->name);
                return false;
            }
        primaries += g->role == ROLE_PRIMARY;
        actives += g->role == ROLE_ACTIVE;
    }
    sc->n_regions = (int)n;
    if (primaries + actives == 0)
        cfg_fail(&topo, "regions", "no region serves: give one role \"primary\" or \"active\"");
    else if (primaries > 1)
        cfg_fail(&topo, "regions", "more than one region has role \"primary\"");
    else if (primaries && actives)
        cfg_fail(&topo, "regions", "mixes \"primary\" and \"active\" roles");
    return cfg_leave(&topo);
}

static bool parse_model_storage_network(cfg_obj *root, scenario *sc) {
    cfg_obj m, st, net, biz;
    if (!cfg_enter(root, "model", &m)) return false;
    sc->model.logical_bytes = cfg_bytes(&m, "logical_bytes", 100e9, CFG_GT0, 1e16, "model size (tables + weights)");
    sc->model.updates_per_s = cfg_number(&m, "updates_per_s", 1000, 0, 1e9, "updates/s", "online trainer update rate");
    sc->model.rows_touched_per_update_fraction =
        cfg_number(&m, "rows_touched_per_update_fraction", 1e-6, 0, 1, "", "share of rows one update touches");
    cfg_obj rs;
    if (!cfg_enter(&m, "real_state", &rs)) return false;
    real_state_spec *r = &sc->model.real;
    r->enabled = cfg_bool(&rs, "enabled", false, "keep real embedding tables, back them up and restore them");
    r->tables = (int)cfg_int(&rs, "tables", 4, 1, 64, "real embedding tables");
    r->rows = (int)cfg_int(&rs, "rows", 4096, 16, 1 << 24, "rows per real table");
    /* The ranges are those the trainer and the kernels accept
     * (trainer_config_validate, rec_config), so a scenario that validates
     * also runs. */
    r->dim = (int)cfg_int(&rs, "dim", 16, 1, REC_MAX_EMB_DIM, "floats per row");
    r->zipf_exponent = cfg_number(&rs, "zipf_exponent", 1.05, 0, 5, "", "Zipf exponent of updated row ids");
    r->max_real_updates_per_s = cfg_number(&rs, "max_real_updates_per_s", 0.2, CFG_GT0, 1e6, "updates/s",
                                           "cap on real row updates (each stands for many logical ones)");
    r->probe_queries =
        (int)cfg_int(&rs, "probe_queries", 64, 0, TRAINER_MAX_PROBE_QUERIES, "queries of the recall probe (0: off)");
    r->k = (int)cfg_int(&rs, "k", 10, 1, REC_MAX_TOPK, "k of recall@k");
    double real_bytes = (double)r->tables * r->rows * r->dim * sizeof(float);
    if (r->enabled && real_bytes > (double)SCENARIO_MAX_REAL_STATE_BYTES)
        cfg_fail(&rs, "rows",
                 "tables x rows x dim x 4 bytes = %.3g GiB of real tables, more than the limit of %.3g GiB",
                 real_bytes / (1u << 30), (double)SCENARIO_MAX_REAL_STATE_BYTES / (1u << 30));
    if (!cfg_leave(&rs) || !cfg_leave(&m)) return false;

    if (!cfg_enter(root, "storage", &st)) return false;
    sc->storage.local_bps = cfg_rate_bps(&st, "local_bps", 2e9, CFG_GT0, 1e13, "local NVMe bandwidth");
    sc->storage.regional_bps =
        cfg_rate_bps(&st, "regional_bps", 500e6, CFG_GT0, 1e13, "regional object store bandwidth");
    sc->storage.cross_region_bps =
        cfg_rate_bps(&st, "cross_region_bps", 100e6, CFG_GT0, 1e13, "cross-region object store bandwidth");
    if (!cfg_leave(&st)) return false;

    if (!cfg_enter(root, "network", &net)) return false;
    sc->network.intra_region_latency_s =
        cfg_duration(&net, "intra_region_latency_s", 0.0005, 0, 10, "one-way latency in a region");
    sc->network.inter_region_latency_s =
        cfg_duration(&net, "inter_region_latency_s", 0.05, 0, 10, "one-way latency between regions");
    const char *clients = cfg_string(&net, "clients_region", sc->n_regions ? sc->regions[0].name : "",
                                     "region the users are in (default: the first)");
    sc->network.clients_region = scenario_region(sc, clients ? clients : "");
    if (sc->network.clients_region < 0 && !root->doc->failed)
        cfg_fail(&net, "clients_region", "no region named \"%s\" in topology.regions", clients);
    if (!cfg_leave(&net)) return false;

    if (!cfg_enter(root, "business", &biz)) return false;
    sc->business.conversion_rate = cfg_number(&biz, "conversion_rate", 0.02, 0, 1, "", "orders per search request");
    sc->business.order_value = cfg_number(&biz, "order_value", 50, 0, 1e9, "currency", "average order value");
    sc->business.quality_elasticity =
        cfg_number(&biz, "quality_elasticity", 1, 0, 10, "",
                   "share of conversion lost per unit of recall@k lost while a bad model serves (1: proportional)");
    return cfg_leave(&biz);
}

static bool parse_cost(cfg_obj *root, scenario *sc) {
    cfg_obj c;
    if (!cfg_enter(root, "cost", &c)) return false;
    sc->cost.server_hour =
        cfg_number(&c, "server_hour", 32.77, 0, 1e6, "currency/h", "price of one GPU server for an hour");
    sc->cost.replication_per_gb = cfg_number(&c, "replication_per_gb", 0.02, 0, 1e6, "currency/GB",
                                             "price of cross-region replication traffic to standby replicas");
    sc->cost.sla_penalty_per_min =
        cfg_number(&c, "sla_penalty_per_min", 0, 0, 1e12, "currency/min", "SLA penalty per minute of SLO violation");
    for (int r = 0; r < sc->n_regions; r++)
        if (sc->regions[r].server_hour_cost == 0) sc->regions[r].server_hour_cost = sc->cost.server_hour;
    return cfg_leave(&c);
}

static bool parse_backup(cfg_obj *root, backup_spec *b) {
    cfg_obj o;
    if (!cfg_enter(root, "backup", &o)) return false;
    b->enabled = cfg_bool(&o, "enabled", true, "take backups at all");
    b->full_period_s = cfg_duration(&o, "full_period_s", 86400, 60, 1e9, "period of full backups");
    b->incremental_period_s =
        cfg_duration(&o, "incremental_period_s", 900, 0, 1e9,
                     "period of the backups between fulls, incremental or differential (0: none)");
    b->partial = (partial_backup)cfg_enum(&o, "partial", partial_backup_names, PARTIAL_INCREMENTAL,
                                          "what the backups between fulls carry: rows changed since the previous "
                                          "backup (incremental) or since the last full (differential)");
    b->target = (storage_tier)cfg_enum(&o, "target", storage_tier_names, TIER_CROSS_REGION, "where backups go");
    b->bandwidth_bps = cfg_rate_bps(&o, "bandwidth_bps", 100e6, CFG_GT0, 1e13, "cap on backup transfers");
    b->verify = cfg_bool(&o, "verify", true, "verify each backup after transfer");
    b->verify_s = cfg_duration(&o, "verify_s", 60, 0, 1e7, "time to verify a backup");
    b->verify_detect_probability =
        cfg_number(&o, "verify_detect_probability", 0.99, 0, 1, "", "chance verification finds a corrupt backup");
    b->corruption_probability =
        cfg_number(&o, "corruption_probability", 0.001, 0, 1, "", "chance a backup is silently corrupt");
    b->retention_full = (int)cfg_int(&o, "retention_full", 7, 1, 10000, "full backups kept (with their increments)");
    b->skip_if_busy =
        cfg_bool(&o, "skip_if_busy", true, "skip a backup between fulls while another backup is still in flight");
    b->storage_cost_per_gb_month =
        cfg_number(&o, "storage_cost_per_gb_month", 0.023, 0, 1e6, "currency/GB/month", "price of stored backup bytes");
    b->transfer_cost_per_gb =
        cfg_number(&o, "transfer_cost_per_gb", 0.02, 0, 1e6, "currency/GB", "price of moved bytes");
    if (b->incremental_period_s > 0 && b->incremental_period_s > b->full_period_s)
        cfg_fail(&o, "incremental_period_s", "must not exceed full_period_s (%g s), got %g", b->full_period_s,
                 b->incremental_period_s);
    return cfg_leave(&o);
}

static bool parse_failover(cfg_obj *root, failover_spec *f) {
    cfg_obj o;
    if (!cfg_enter(root, "failover", &o)) return false;
    detector_parse(&o, &f->detector);
    f->fencing_s = cfg_duration(&o, "fencing_s", 5, 0, 1e6, "decision and fencing of the failed primary");
    f->switchover_s = cfg_duration(&o, "switchover_s", 30, 0, 1e6, "load balancer / DNS switch delay");
    f->network_delay_s = cfg_duration(&o, "network_delay_s", 0, 0, 1e6, "extra network delay of the switchover");
    f->standby = (standby_mode)cfg_enum(&o, "standby", standby_mode_names, STANDBY_WARM, "standby mode");
    f->standby_capacity_fraction =
        cfg_number(&o, "standby_capacity_fraction", 0.25, 0, 1, "", "warm: share of standby servers kept running");
    f->provision_s = cfg_duration(&o, "provision_s", 600, 0, 1e7, "cold/pilot light: provisioning servers");
    f->load_s = cfg_duration(&o, "load_s", 120, 0, 1e7, "loading the model into GPU memory");
    f->sync_s = cfg_duration(&o, "sync_s", 0, 0, 1e7, "catching up state after load");
    f->warmup_s = cfg_duration(&o, "warmup_s", 60, 0, 1e7, "cache warm-up before meeting the SLO");
    f->scale_up_s = cfg_duration(&o, "scale_up_s", 300, 0, 1e7, "warm: scaling to full capacity");
    f->restore_bps = cfg_rate_bps(&o, "restore_bps", 0, 0, 1e13,
                                  "bandwidth to fetch a backup when restoring (0: the backup tier's)");
    f->standby_reliability = cfg_number(&o, "standby_reliability", 0.99, 0, 1, "", "chance the standby comes up");
    f->replication_lag_s = cfg_duration(&o, "replication_lag_s", 5, 0, 1e7, "warm/hot/pilot: state replication lag");
    f->min_capacity_fraction =
        cfg_number(&o, "min_capacity_fraction", 0.5, 0, 1, "", "below this share of servers a region counts as failed");
    f->failback = cfg_bool(&o, "failback", true, "move traffic back to the home region once it is healthy");
    f->failback_delay_s = cfg_duration(&o, "failback_delay_s", 3600, 0, 1e7,
                                       "how long the home region must stay healthy before the planned failback");
    f->local_versions = (int)cfg_int(&o, "local_versions", 1, 0, 64,
                                     "previous model versions kept next to the servers: a bad push rolls back to one "
                                     "in local_rollback_s (0: restore from backup)");
    f->local_rollback_s =
        cfg_duration(&o, "local_rollback_s", 30, 0, 1e6, "switching serving back to a locally kept model version");
    f->pilot_light_fraction = cfg_number(&o, "pilot_light_fraction", 0.05, 0, 1, "",
                                         "pilot light: share of the standby's servers kept running (replication "
                                         "consumers, control plane)");
    return cfg_leave(&o);
}

static bool check_references(cfg_obj *root, scenario *sc) {
    for (size_t i = 0; i < sc->disasters.n; i++) {
        const disaster_spec *d = &sc->disasters.items[i];
        if (d->region[0] && scenario_region(sc, d->region) < 0) {
            char key[64];
            snprintf(key, sizeof key, "disasters[%zu].region", i);
            cfg_fail(root, key, "no region named \"%s\" in topology.regions", d->region);
            return false;
        }
    }
    bool has_standby = false;
    for (int i = 0; i < sc->n_regions; i++) has_standby |= sc->regions[i].role != ROLE_PRIMARY;
    if (!has_standby && sc->failover.standby != STANDBY_COLD)
        cfg_fail(root, "failover.standby", "\"%s\" needs a region with role standby or active",
                 standby_mode_names[sc->failover.standby]);
    return !root->doc->failed;
}

bool scenario_parse(scenario *sc, const char *file, const char *text, char *err, size_t errlen) {
    memset(sc, 0, sizeof *sc);
    cfg_doc doc;
    cJSON *json;
    cfg_obj root;
    bool ok = cfg_open(&doc, file, text, &json, &root);
    if (ok) {
        const char *name = cfg_string(&root, "name", NULL, "scenario name (results/<name>.h5)");
        if (!name || !*name)
            cfg_fail(&root, "name", "is required");
        else if (strlen(name) >= sizeof sc->name ||
                 strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(name))
            cfg_fail(&root, "name", "must be letters, digits, '_', '-', '.' (at most %zu)", sizeof sc->name - 1);
        else
            strcpy(sc->name, name);
        cfg_string(&root, "description", "", "what the scenario asks");
        sc->horizon_s =
            cfg_duration(&root, "horizon_s", 30 * 86400.0, 1, 10 * 365 * 86400.0, "simulated time per replica");
        parse_topology(&root, sc);
        traffic_parse(&root, &sc->traffic);
        parse_model_storage_network(&root, sc);
        parse_backup(&root, &sc->backup);
        parse_failover(&root, &sc->failover);
        disaster_parse(&root, &sc->disasters);
        parse_cost(&root, sc);
        if (!doc.failed) check_references(&root, sc);
        cfg_leave(&root);
        ok = !doc.failed;
    }
    if (ok) {
        sc->given_json = strdup(text);
        sc->resolved_json = cJSON_Print(doc.resolved);
        sc->known_keys = doc.known_keys;
        sc->n_known_keys = doc.n_known;
        doc.known_keys = NULL;
        doc.n_known = 0;
    } else {
        snprintf(err, errlen, "%s", doc.err);
    }
    bool oom = !ok && doc.out_of_memory;
    cfg_close(&doc, json);
    sc->out_of_memory = oom;
    return ok;
}

bool scenario_load(scenario *sc, const char *file, char *err, size_t errlen) {
    memset(sc, 0, sizeof *sc);
    char *text = NULL;
    cfg_status st = cfg_read_file(file, &text, err, errlen);
    if (st != CFG_OK) {
        sc->out_of_memory = st == CFG_EFAIL;
        return false;
    }
    bool ok = scenario_parse(sc, file, text, err, errlen);
    free(text);
    return ok;
}

void scenario_free(scenario *sc) {
    disaster_set_free(&sc->disasters);
    free(sc->given_json);
    free(sc->resolved_json);
    for (size_t i = 0; i < sc->n_known_keys; i++) free(sc->known_keys[i]);
    free(sc->known_keys);
    memset(sc, 0, sizeof *sc);
}

/* Units disaster d runs a renewal process for (models/world_disaster.c's
 * unit_shape: each server, rack, zone or region in scope; a fleet-wide
 * kind once). */
/* The units of d that fail one by one (a pool's servers do not: *pools
 * gets the number of pools). */
static double disaster_units(const scenario *sc, const disaster_spec *d, int *pools) {
    double units = 0;
    *pools = 0;
    for (int r = 0; r < sc->n_regions; r++) {
        const region_spec *g = &sc->regions[r];
        if (d->region[0] && strcmp(d->region, g->name) != 0) continue;
        if (d->per == UNIT_FLEET && !d->region[0] && r > 0) continue;
        if (disaster_pooled(d, g->servers)) {
            (*pools)++;
            continue;
        }
        switch (d->per) {
        case UNIT_SERVER: units += g->servers; break;
        case UNIT_RACK: units += (double)g->zones * g->racks_per_zone; break;
        case UNIT_ZONE: units += g->zones; break;
        case UNIT_REGION:
        case UNIT_FLEET: units += 1; break;
        }
    }
    return units;
}

static void fmt_horizon(char *buf, size_t len, double s) {
    if (s >= 86400)
        snprintf(buf, len, "%.3g d", s / 86400);
    else if (s >= 3600)
        snprintf(buf, len, "%.3g h", s / 3600);
    else
        snprintf(buf, len, "%.3g s", s);
}

double scenario_event_floor(const scenario *sc, char *why, size_t len) {
    const double T = sc->horizon_s;
    double total = 0, largest = -1;
    char horizon[32];
    fmt_horizon(horizon, sizeof horizon, T);
    if (why && len) why[0] = '\0';
#define FLOOR_TERM(value, ...)                                                                                         \
    do {                                                                                                               \
        double v_ = (value);                                                                                           \
        total += v_;                                                                                                   \
        if (v_ > largest && why && len) {                                                                              \
            largest = v_;                                                                                              \
            snprintf(why, len, __VA_ARGS__);                                                                           \
        }                                                                                                              \
    } while (0)
    for (size_t i = 0; i < sc->disasters.n; i++) {
        const disaster_spec *d = &sc->disasters.items[i];
        int pools;
        double units = disaster_units(sc, d, &pools), onsets = pools * T / d->pool_step_s;
        /* A fault that takes stored backups or the model's quality is
         * instant: the next one follows the up-time alone (no repair in
         * models/world_disaster.c); the others renew after their repair. */
        disaster_takes takes = disaster_kinds[d->kind].takes;
        bool instant = takes == DIS_TAKES_BACKUPS || takes == DIS_TAKES_MODEL_QUALITY;
        double cycle_s = d->interarrival.mean_s + (instant ? 0 : d->duration.mean_s);
        if (d->stochastic) onsets += units * T / cycle_s;
        for (size_t k = 0; k < d->n_scripted; k++) onsets += d->scripted_at_s[k] < T ? units : 0;
        FLOOR_TERM(onsets, "disasters[%zu] (%s per %s): %.3g failures in %s", i, disaster_kind_names[d->kind],
                   disaster_unit_names[d->per], onsets, horizon);
    }
    if (sc->backup.enabled) {
        double backups = T / sc->backup.full_period_s;
        if (sc->backup.incremental_period_s > 0) backups += T / sc->backup.incremental_period_s;
        FLOOR_TERM(backups / 2, "backup: %.3g backups in %s", backups, horizon);
    }
    if (sc->traffic.fidelity == FIDELITY_REQUESTS)
        FLOOR_TERM(sc->traffic.base_qps * T / 2, "traffic: %.3g requests in %s, each an event (traffic.fidelity)",
                   sc->traffic.base_qps * T, horizon);
#undef FLOOR_TERM
    return total;
}

void scenario_describe(const scenario *sc, FILE *out) {
    fprintf(out, "scenario %s: %.1f days per replica\n", sc->name, sc->horizon_s / 86400);
    int servers = 0;
    for (int i = 0; i < sc->n_regions; i++) {
        const region_spec *r = &sc->regions[i];
        servers += r->servers;
        fprintf(out, "  region %-14s %-7s %4d servers x %d GPUs, %d zone(s) x %d rack(s)\n", r->name,
                region_role_names[r->role], r->servers, r->gpus_per_server, r->zones, r->racks_per_zone);
    }
    fprintf(out,
            "  fleet: %d servers; traffic %.0f req/s mean, routing %s, %zu surge(s); service %s %.1f ms x %d slots\n",
            servers, sc->traffic.base_qps, routing_mode_names[sc->traffic.routing], sc->traffic.n_surges,
            service_law_names[sc->traffic.service], sc->traffic.service_mean_s * 1e3, sc->traffic.slots_per_server);
    fprintf(out, "  model: %.1f GB, %.0f updates/s\n", sc->model.logical_bytes / 1e9, sc->model.updates_per_s);
    if (sc->backup.enabled)
        fprintf(out, "  backup: full every %.2f h, %s every %.1f min, to %s at %.1f MB/s%s\n",
                sc->backup.full_period_s / 3600, partial_backup_names[sc->backup.partial],
                sc->backup.incremental_period_s / 60, storage_tier_names[sc->backup.target],
                sc->backup.bandwidth_bps / 1e6, sc->backup.verify ? ", verified" : "");
    else
        fprintf(out, "  backup: none\n");
    const detector_spec *d = &sc->failover.detector;
    fprintf(out, "  failover: %s standby, detector %s (heartbeat %.1f s), fencing %.0f s, switchover %.0f s\n",
            standby_mode_names[sc->failover.standby], detector_kind_names[d->kind], d->heartbeat_s,
            sc->failover.fencing_s, sc->failover.switchover_s);
    fprintf(out, "  disasters: %zu kind(s)\n", sc->disasters.n);
    for (size_t i = 0; i < sc->disasters.n; i++) {
        const disaster_spec *g = &sc->disasters.items[i];
        fprintf(out, "    %-18s per %-6s", disaster_kind_names[g->kind], disaster_unit_names[g->per]);
        if (g->stochastic)
            fprintf(out, " every %.3g h (mean), lasting %.3g h", g->interarrival.mean_s / 3600,
                    g->duration.mean_s / 3600);
        if (g->n_scripted) fprintf(out, " scripted x%zu", g->n_scripted);
        fprintf(out, "%s%s\n", g->region[0] ? " in " : "", g->region);
    }
}
