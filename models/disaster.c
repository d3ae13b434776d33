#include "models/disaster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

const char *const disaster_kind_names[] = {
    "server_failure", "gpu_failure",       "rack_power",     "zone_outage",   "region_outage",    "wan_partition",
    "network_flap",   "backup_corruption", "bad_model_push", "traffic_surge", "link_degradation", NULL,
};
const char *const disaster_unit_names[] = {"server", "rack", "zone", "region", "fleet", NULL};
static const char *const law_names[] = {"fixed", "exponential", "weibull", "lognormal", NULL};

/* The unit a kind naturally applies to. */
static const disaster_unit default_unit[DIS_KIND_COUNT] = {
    UNIT_SERVER, UNIT_SERVER, UNIT_RACK,  UNIT_ZONE,  UNIT_REGION, UNIT_REGION,
    UNIT_REGION, UNIT_FLEET,  UNIT_FLEET, UNIT_FLEET, UNIT_FLEET,
};

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

static bool parse_one(cfg_obj *o, disaster_spec *d) {
    memset(d, 0, sizeof *d);
    d->kind = (disaster_kind)cfg_enum(o, "kind", disaster_kind_names, DIS_SERVER_FAILURE, "what fails");
    if (!cfg_has(o, "kind")) cfg_fail(o, "kind", "is required");
    d->per = (disaster_unit)cfg_enum(o, "per", disaster_unit_names, (int)default_unit[d->kind],
                                     "unit each failure process belongs to (default by kind)");
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
    size_t n = cfg_duration_list(o, "at_s", d->scripted_at_s, DISASTER_MAX_SCRIPTED, "scripted onsets");
    d->n_scripted = n;
    if (!d->stochastic && n == 0) cfg_fail(o, "interarrival", "a disaster needs an interarrival law or at_s times");
    return cfg_leave(o);
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

double dist_sample(const dist_spec *d, gsl_rng *rng) {
    switch (d->law) {
    case LAW_FIXED: return d->mean_s;
    case LAW_EXPONENTIAL: return gsl_ran_exponential(rng, d->mean_s);
    case LAW_WEIBULL: {
        /* mean = scale * Gamma(1 + 1/k) */
        double scale = d->mean_s / gsl_sf_gamma(1.0 + 1.0 / d->shape);
        return gsl_ran_weibull(rng, scale, d->shape);
    }
    case LAW_LOGNORMAL: {
        double sigma2 = log1p(d->cv * d->cv);
        double mu = log(d->mean_s) - sigma2 / 2;
        return gsl_ran_lognormal(rng, mu, sqrt(sigma2));
    }
    }
    return d->mean_s;
}
