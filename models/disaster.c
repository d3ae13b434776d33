#include "models/disaster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>

/* One row per disaster_kind. The takes / destroys_state / false_alarm
 * columns describe what the world's handlers do (unit_fail, backup_lost and
 * open_incident in models/world.c). */
const disaster_kind_info disaster_kinds[] = {
    [DIS_SERVER_FAILURE] = {.name = "server_failure",
                            .default_unit = UNIT_SERVER,
                            .allowed_units = DISASTER_UNIT_BIT(UNIT_SERVER),
                            .takes = DIS_TAKES_SERVERS,
                            .doc = "one server stops serving until repaired"},
    [DIS_GPU_FAILURE] =
        {.name = "gpu_failure",
         .default_unit = UNIT_SERVER,
         .allowed_units = DISASTER_UNIT_BIT(UNIT_SERVER),
         .takes = DIS_TAKES_SERVERS,
         .doc = "one GPU of a server fails: the server loses 1/gpus_per_server of its capacity until repaired"},
    [DIS_RACK_POWER] = {.name = "rack_power",
                        .default_unit = UNIT_RACK,
                        .allowed_units = DISASTER_UNIT_BIT(UNIT_RACK),
                        .takes = DIS_TAKES_SERVERS,
                        .destroys_state = true,
                        .doc = "a rack loses power: its servers and the local backups on them"},
    [DIS_ZONE_OUTAGE] = {.name = "zone_outage",
                         .default_unit = UNIT_ZONE,
                         .allowed_units = DISASTER_UNIT_BIT(UNIT_ZONE),
                         .takes = DIS_TAKES_SERVERS,
                         .destroys_state = true,
                         .doc = "an availability zone fails: its servers and the local backups on them"},
    [DIS_REGION_OUTAGE] = {.name = "region_outage",
                           .default_unit = UNIT_REGION,
                           .allowed_units = DISASTER_UNIT_BIT(UNIT_REGION),
                           .takes = DIS_TAKES_REGION_SERVING,
                           .destroys_state = true,
                           .doc = "a whole region stops serving; its local and regional backups are lost"},
    [DIS_WAN_PARTITION] = {.name = "wan_partition",
                           .default_unit = UNIT_REGION,
                           .allowed_units = DISASTER_UNIT_BIT(UNIT_REGION),
                           .takes = DIS_TAKES_WAN,
                           .doc = "a region is cut off from the WAN: up, but unreachable"},
    [DIS_NETWORK_FLAP] = {.name = "network_flap",
                          .default_unit = UNIT_REGION,
                          .allowed_units = DISASTER_UNIT_BIT(UNIT_REGION),
                          .takes = DIS_TAKES_WAN,
                          .false_alarm = true,
                          .doc = "a region's network flaps briefly: a failover it triggers is a false alarm"},
    [DIS_BACKUP_CORRUPTION] = {.name = "backup_corruption",
                               .default_unit = UNIT_FLEET,
                               .allowed_units = DISASTER_UNIT_BIT(UNIT_FLEET),
                               .takes = DIS_TAKES_BACKUPS,
                               .destroys_state = true,
                               .doc = "the newest completed backup is silently corrupted"},
    [DIS_BAD_MODEL_PUSH] = {.name = "bad_model_push",
                            .default_unit = UNIT_FLEET,
                            .allowed_units = DISASTER_UNIT_BIT(UNIT_FLEET),
                            .takes = DIS_TAKES_MODEL_QUALITY,
                            .doc = "a bad model is pushed and serves until rolled back to the newest good backup"},
    [DIS_TRAFFIC_SURGE] = {.name = "traffic_surge",
                           .default_unit = UNIT_FLEET,
                           .allowed_units = DISASTER_UNIT_BIT(UNIT_FLEET),
                           .takes = DIS_TAKES_TRAFFIC_RATE,
                           .doc = "the offered load multiplies by `multiplier` for a while"},
    [DIS_LINK_DEGRADATION] = {.name = "link_degradation",
                              .default_unit = UNIT_FLEET,
                              .allowed_units = DISASTER_UNIT_BIT(UNIT_FLEET),
                              .takes = DIS_TAKES_LINK,
                              .doc = "WAN latency multiplies and backup bandwidth divides by `multiplier`"},
};
_Static_assert(sizeof disaster_kinds / sizeof disaster_kinds[0] == DIS_KIND_COUNT,
               "disaster_kinds: one row per disaster_kind");

/* The rows' names again, because cfg_enum and the callers that
 * index names want a plain NULL-terminated list, which C cannot derive from
 * the rows at compile time; tests/unit/test_disaster.c checks they agree. */
const char *const disaster_kind_names[] = {
    [DIS_SERVER_FAILURE] = "server_failure",
    [DIS_GPU_FAILURE] = "gpu_failure",
    [DIS_RACK_POWER] = "rack_power",
    [DIS_ZONE_OUTAGE] = "zone_outage",
    [DIS_REGION_OUTAGE] = "region_outage",
    [DIS_WAN_PARTITION] = "wan_partition",
    [DIS_NETWORK_FLAP] = "network_flap",
    [DIS_BACKUP_CORRUPTION] = "backup_corruption",
    [DIS_BAD_MODEL_PUSH] = "bad_model_push",
    [DIS_TRAFFIC_SURGE] = "traffic_surge",
    [DIS_LINK_DEGRADATION] = "link_degradation",
    [DIS_KIND_COUNT] = NULL,
};
_Static_assert(sizeof disaster_kind_names / sizeof disaster_kind_names[0] == DIS_KIND_COUNT + 1,
               "disaster_kind_names: one name per disaster_kind, then NULL");

const char *const disaster_unit_names[] = {"server", "rack", "zone", "region", "fleet", NULL};
static const char *const law_names[] = {"fixed", "exponential", "weibull", "lognormal", NULL};

static bool parse_dist(cfg_obj *parent, const char *key, dist_spec *d, dist_law def_law, double def_mean,
                       const char *what) {
    cfg_obj o;
    if (!cfg_enter(parent, key, &o)) return false;
    d->law = (dist_law)cfg_enum(&o, "law", law_names, (int)def_law, what);
    d->mean_s = cfg_duration(&o, "mean_s", def_mean, CFG_GT0, 1e12, "mean");
    d->shape = cfg_number(&o, "shape", 1, 0.05, 20, "", "Weibull shape k (k < 1: infant mortality)");
    d->cv = cfg_number(&o, "cv", 1, 0.01, 20, "", "lognormal coefficient of variation");
    return cfg_leave(&o);
}

/* A kind applies only to the units it can take down: a region outage per
 * fleet, or a bad model push per server, would simulate something else. */
static void check_unit(cfg_obj *o, const disaster_spec *d) {
    const disaster_kind_info *k = &disaster_kinds[d->kind];
    if (k->allowed_units & DISASTER_UNIT_BIT(d->per)) return;
    char allowed[64] = "";
    for (int u = 0; disaster_unit_names[u]; u++) {
        if (!(k->allowed_units & DISASTER_UNIT_BIT(u))) continue;
        size_t len = strlen(allowed);
        snprintf(allowed + len, sizeof allowed - len, "%s%s", len ? ", " : "", disaster_unit_names[u]);
    }
    cfg_fail(o, "per", "%s cannot be per %s (allowed: %s)", k->name, disaster_unit_names[d->per], allowed);
}

static bool parse_one(cfg_obj *o, disaster_spec *d) {
    memset(d, 0, sizeof *d);
    d->kind = (disaster_kind)cfg_enum(o, "kind", disaster_kind_names, DIS_SERVER_FAILURE, "what fails");
    if (!cfg_has(o, "kind")) cfg_fail(o, "kind", "is required");
    d->per = (disaster_unit)cfg_enum(o, "per", disaster_unit_names, (int)disaster_kinds[d->kind].default_unit,
                                     "unit each failure process belongs to (default by kind)");
    check_unit(o, d);
    const char *region = cfg_string(o, "region", "", "restrict to this region (\"\" = any)");
    if (strlen(region) >= sizeof d->region)
        cfg_fail(o, "region", "name too long");
    else
        strcpy(d->region, region);
    d->stochastic = cfg_has(o, "interarrival");
    parse_dist(o, "interarrival", &d->interarrival, LAW_EXPONENTIAL, 30 * 86400.0, "law of the up-time per unit");
    parse_dist(o, "duration", &d->duration, LAW_EXPONENTIAL, 3600, "law of the time to repair");
    d->multiplier =
        cfg_number(o, "multiplier", 3, CFG_GT0, 1000, "",
                   "traffic_surge: rate multiplier; link_degradation: latency multiplier and bandwidth divisor");
    d->crash = cfg_bool(o, "crash", false,
                        "bad_model_push: the pushed model fails every request (else it serves worse rankings)");
    d->severity = cfg_number(o, "severity", 0.2, 0, 10, "",
                             "bad_model_push: relative noise on the pushed model's weights and embeddings (its "
                             "recall@k against the good model sets the conversion lost)");
    d->pool_above = cfg_int(o, "pool_above", 1000, 0, 1000000000,
                            "per server, exponential interarrival: in regions with at least this many servers, the "
                            "number of servers down is stepped every pool_step_s (exact in law at the steps for "
                            "exponential repairs; any repair law keeps the mean and the steady state) instead of one "
                            "incident per failure; 0: never");
    d->pool_step_s = cfg_duration(o, "pool_step_s", 3600, CFG_GT0, 1e9, "step of a pool (pool_above)");
    size_t n = cfg_duration_list(o, "at_s", d->scripted_at_s, DISASTER_MAX_SCRIPTED, "scripted onsets");
    d->n_scripted = n;
    if (!d->stochastic && n == 0) cfg_fail(o, "interarrival", "a disaster needs an interarrival law or at_s times");
    return cfg_leave(o);
}

bool disaster_memoryless_units(const disaster_spec *d) {
    bool members = d->per == UNIT_SERVER || d->per == UNIT_RACK || d->per == UNIT_ZONE;
    return members && d->stochastic && d->n_scripted == 0 && d->interarrival.law == LAW_EXPONENTIAL;
}

bool disaster_pooled(const disaster_spec *d, int servers) {
    return disaster_memoryless_units(d) && d->per == UNIT_SERVER && d->pool_above > 0 && servers >= d->pool_above;
}

bool disaster_parse(cfg_obj *root, disaster_set *set) {
    set->n = cfg_array_size(root, "disasters", 0, "disasters the deployment meets");
    set->items = set->n ? calloc(set->n, sizeof *set->items) : NULL;
    if (set->n && !set->items) {
        cfg_fail(root, "disasters", "out of memory");
        return false;
    }
    for (size_t i = 0; i < set->n; i++) {
        cfg_obj o;
        if (!cfg_enter_item(root, "disasters", i, &o) || !parse_one(&o, &set->items[i])) return false;
    }
    return true;
}

void disaster_set_free(disaster_set *set) {
    free(set->items);
    set->items = NULL;
    set->n = 0;
}

double dist_quantile(const dist_spec *d, double p) {
    switch (d->law) {
    case LAW_FIXED: return d->mean_s;
    case LAW_EXPONENTIAL: return gsl_cdf_exponential_Pinv(p, d->mean_s);
    case LAW_WEIBULL: {
        /* mean = scale * Gamma(1 + 1/k) */
        double scale = d->mean_s / gsl_sf_gamma(1.0 + 1.0 / d->shape);
        return gsl_cdf_weibull_Pinv(p, scale, d->shape);
    }
    case LAW_LOGNORMAL: {
        double sigma2 = log1p(d->cv * d->cv);
        double mu = log(d->mean_s) - sigma2 / 2;
        return gsl_cdf_lognormal_Pinv(p, mu, sqrt(sigma2));
    }
    }
    return d->mean_s;
}
