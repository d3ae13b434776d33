/* Disasters: what fails, how often, for how long. Each spec is a renewal
 * process per unit it applies to (each server, rack, zone or region, or the
 * fleet as a whole): a unit fails after an up-time drawn from `interarrival`,
 * stays failed for a time drawn from `duration`, then starts over. Scripted
 * disasters happen at fixed times instead. */
#ifndef MODELS_DISASTER_H
#define MODELS_DISASTER_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "models/cfg.h"

/* A new kind needs its row in disaster_kinds and its name in
 * disaster_kind_names (models/disaster.c): both are indexed by this enum. */
typedef enum disaster_kind {
    DIS_SERVER_FAILURE,
    DIS_GPU_FAILURE,
    DIS_RACK_POWER,
    DIS_ZONE_OUTAGE,
    DIS_REGION_OUTAGE,
    DIS_WAN_PARTITION,
    DIS_NETWORK_FLAP,
    DIS_BACKUP_CORRUPTION,
    DIS_BAD_MODEL_PUSH,
    DIS_TRAFFIC_SURGE,
    DIS_LINK_DEGRADATION,
    DIS_KIND_COUNT
} disaster_kind;

typedef enum dist_law { LAW_FIXED, LAW_EXPONENTIAL, LAW_WEIBULL, LAW_LOGNORMAL } dist_law;

/* A positive random duration given by its mean (and shape / cv). */
typedef struct dist_spec {
    dist_law law;
    double mean_s;
    double shape; /* Weibull k */
    double cv;    /* lognormal coefficient of variation */
} dist_spec;

typedef enum disaster_unit { UNIT_SERVER, UNIT_RACK, UNIT_ZONE, UNIT_REGION, UNIT_FLEET } disaster_unit;

#define DISASTER_MAX_SCRIPTED 16
#define DISASTER_REGION_LEN   64

typedef struct disaster_spec {
    disaster_kind kind;
    disaster_unit per;                /* the unit each renewal process belongs to */
    char region[DISASTER_REGION_LEN]; /* "" = any region */
    bool stochastic;
    dist_spec interarrival; /* up-time of one unit */
    dist_spec duration;
    double multiplier;  /* traffic_surge: rate factor; link_degradation: latency x, bandwidth / */
    bool crash;         /* bad_model_push: the model fails every request instead of ranking worse */
    double severity;    /* bad_model_push: relative noise on the pushed model's parameters */
    long pool_above;    /* per server: regions with this many servers or more step a pool (0: never) */
    double pool_step_s; /* ... every pool_step_s */
    size_t n_scripted;
    double scripted_at_s[DISASTER_MAX_SCRIPTED];
} disaster_spec;

/* Whether d's units (servers, racks or zones) have memoryless up-times
 * and no scripted onsets: a region's units then run as one process (the
 * first of n up fails after Exp(mean/n)), models/world_disaster.c. */
bool disaster_memoryless_units(const disaster_spec *d);

/* Whether disaster d runs as a pool in a region of `servers` servers: a
 * per-server kind with exponential up-times and no scripted onsets, in a
 * region of at least d->pool_above servers. A pool steps the number of
 * servers down every pool_step_s (models/world_disaster.c) instead of
 * simulating each failure and repair. */
bool disaster_pooled(const disaster_spec *d, int servers);

typedef struct disaster_set {
    size_t n;
    disaster_spec *items;
} disaster_set;

/* What a disaster of a kind takes away while it lasts. */
typedef enum disaster_takes {
    DIS_TAKES_SERVERS,        /* the unit's servers stop serving: capacity drops */
    DIS_TAKES_REGION_SERVING, /* a whole region stops serving */
    DIS_TAKES_WAN,            /* a region is cut off from the others and from the users */
    DIS_TAKES_BACKUPS,        /* stored state: the newest completed backup, silently */
    DIS_TAKES_MODEL_QUALITY,  /* serving goes on with a bad model until rolled back */
    DIS_TAKES_TRAFFIC_RATE,   /* nothing breaks: the offered load multiplies */
    DIS_TAKES_LINK,           /* WAN latency multiplies and backup bandwidth divides */
} disaster_takes;

#define DISASTER_UNIT_BIT(u) (1u << (unsigned)(u))

/* One row per disaster_kind: what the kind is and what it may apply to.
 * A new kind is a new row; code asks the row instead of switching on names. */
typedef struct disaster_kind_info {
    const char *name;           /* as written in scenarios ("kind") */
    disaster_unit default_unit; /* "per" when the scenario leaves it out */
    unsigned allowed_units;     /* DISASTER_UNIT_BIT of each unit "per" may name */
    disaster_takes takes;
    bool destroys_state; /* takes stored model state with it (backups on the lost tier) */
    bool false_alarm;    /* a failover it triggers is a false one: nothing really failed */
    const char *doc;     /* one line for people */
} disaster_kind_info;

/* Indexed by disaster_kind. */
extern const disaster_kind_info disaster_kinds[];
/* The rows' names in enum order, NULL-terminated (cfg_enum wants that shape). */
extern const char *const disaster_kind_names[];
extern const char *const disaster_unit_names[];

/* Parses the "disasters" list. Region names are checked by the caller. */
bool disaster_parse(cfg_obj *root, disaster_set *set);
void disaster_set_free(disaster_set *set);

/* The p-quantile of the law (seconds, > 0), 0 < p < 1, by GSL's inverse
 * CDFs: a draw by inversion when p is uniform. Weibull's scale is derived
 * from the mean. */
double dist_quantile(const dist_spec *d, double p);

#endif
