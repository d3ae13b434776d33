/* A scenario: the deployment of a recommendation model, its policies, its
 * traffic and the disasters it meets, as parsed from one JSON file. Each
 * section's parser lives with the model that uses it (traffic.c, detector.c,
 * disaster.c, ...); this file assembles them and checks cross-references. */
#ifndef MODELS_SCENARIO_H
#define MODELS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "models/cfg.h"
#include "models/detector.h"
#include "models/disaster.h"
#include "models/traffic.h"

#define SCENARIO_MAX_REGIONS 16
#define SCENARIO_NAME_LEN    64
/* model.real_state keeps tables x rows x dim floats in memory, and the
 * trainer keeps the live state, a restore target and its backups beside
 * it: 1 GiB of live tables (a few GiB per replica) is far beyond what the
 * shipped scenarios need (1 MiB) and stays within one machine. */
#define SCENARIO_MAX_REAL_STATE_BYTES (1ull << 30)

typedef enum region_role { ROLE_PRIMARY, ROLE_STANDBY, ROLE_ACTIVE } region_role;
typedef enum standby_mode { STANDBY_COLD, STANDBY_PILOT_LIGHT, STANDBY_WARM, STANDBY_HOT } standby_mode;

typedef struct region_spec {
    char name[SCENARIO_NAME_LEN];
    int servers;
    int gpus_per_server;
    int zones;
    int racks_per_zone;
    region_role role;
    int standby;             /* standby_mode of this region, or -1: failover.standby */
    double server_hour_cost; /* price of one of its servers per hour (cost.server_hour unless set) */
} region_spec;
typedef enum storage_tier { TIER_LOCAL, TIER_REGIONAL, TIER_CROSS_REGION } storage_tier;
/* What the backups between fulls carry: the rows changed since the previous
 * backup (a restore reads the full and every increment after it), or since
 * the full (a restore reads the full and the newest differential). */
typedef enum partial_backup { PARTIAL_INCREMENTAL, PARTIAL_DIFFERENTIAL } partial_backup;

/* Optional real model state (models/trainer.c): embedding tables in memory
 * that a simulated online trainer updates, backed up row by row and really
 * restored, with recall@k of the restored model measured per incident. */
typedef struct real_state_spec {
    bool enabled;
    int tables, rows, dim;
    double zipf_exponent;
    double max_real_updates_per_s;
    int probe_queries, k;
} real_state_spec;

typedef struct model_spec {
    double logical_bytes;
    double updates_per_s;
    double rows_touched_per_update_fraction; /* of all rows: drives incremental sizes */
    real_state_spec real;
} model_spec;

typedef struct storage_spec {
    double local_bps, regional_bps, cross_region_bps;
} storage_spec;

typedef struct network_spec {
    double intra_region_latency_s, inter_region_latency_s;
    int clients_region; /* where the users are: serving elsewhere adds a WAN round trip */
} network_spec;

typedef struct backup_spec {
    bool enabled;
    double full_period_s, incremental_period_s;
    partial_backup partial; /* what the backups every incremental_period_s carry */
    storage_tier target;
    double bandwidth_bps; /* cap on the backup link */
    bool verify;
    double verify_s;
    double corruption_probability;
    double verify_detect_probability;
    int retention_full;
    bool skip_if_busy;
    double storage_cost_per_gb_month, transfer_cost_per_gb;
} backup_spec;

typedef struct failover_spec {
    detector_spec detector;
    double fencing_s, switchover_s, network_delay_s;
    standby_mode standby;
    double standby_capacity_fraction; /* warm: share of servers kept running */
    double provision_s, load_s, sync_s, warmup_s, scale_up_s;
    double restore_bps; /* fetching a backup for a cold/failed standby */
    double standby_reliability;
    double replication_lag_s;
    double min_capacity_fraction; /* below this share of servers a region counts as failed */
    bool failback;                /* move back to the home region once it is healthy */
    double failback_delay_s;
    int local_versions;          /* previous model versions kept next to the servers (bad-push rollback) */
    double local_rollback_s;     /* switching back to a locally kept version */
    double pilot_light_fraction; /* pilot light: share of the standby's servers kept running */
} failover_spec;

typedef struct business_spec {
    double conversion_rate, order_value;
    double quality_elasticity; /* conversion lost per unit of recall@k lost (a bad model serving) */
} business_spec;

/* Prices of what the scenario runs (backup prices live in backup_spec). */
typedef struct cost_spec {
    double server_hour;         /* one GPU server for an hour */
    double replication_per_gb;  /* cross-region replication traffic */
    double sla_penalty_per_min; /* per minute of SLO violation */
} cost_spec;

typedef struct scenario {
    char name[SCENARIO_NAME_LEN];
    double horizon_s;
    int n_regions;
    region_spec regions[SCENARIO_MAX_REGIONS];
    traffic_spec traffic;
    model_spec model;
    storage_spec storage;
    network_spec network;
    backup_spec backup;
    failover_spec failover;
    disaster_set disasters;
    business_spec business;
    cost_spec cost;
    char *given_json;    /* the file as given */
    char *resolved_json; /* with every default filled in */
    char **known_keys;   /* "path\tunit\tdefault\tdoc" lines, for --list-keys */
    size_t n_known_keys;
    bool out_of_memory; /* after a failed parse or load: memory or I/O failed, not the input */
} scenario;

/* Parses the text of `file`; on error returns false with
 * "FILE: JSON.PATH: reason" in err. Free with scenario_free either way. */
bool scenario_parse(scenario *sc, const char *file, const char *text, char *err, size_t errlen);
/* Reads (cfg_read_file: a regular file within CFG_MAX_FILE_BYTES) and
 * parses a file. */
bool scenario_load(scenario *sc, const char *file, char *err, size_t errlen);
void scenario_free(scenario *sc);

/* The standby mode of region r: active regions are hot; a standby region's
 * own `standby` key, else failover.standby. */
standby_mode scenario_region_standby(const scenario *sc, int r);
/* Share of region r's servers that run while it stands by (cold 0, pilot
 * light its fraction, warm the standby capacity, hot and active all). */
double scenario_idle_running_share(const scenario *sc, int r);

/* Index of the region called name, or -1. */
int scenario_region(const scenario *sc, const char *name);

/* A floor on the events one replica processes, from what the scenario
 * schedules for sure: the expected failures of every unit (a renewal
 * process: one per mean up + down time; each failure is at least two
 * events, its onset and its end, so this is half of theirs), every
 * scripted onset, half the backups and, at request fidelity, half the
 * requests. What it leaves out (detections,
 * failovers, segments) only adds events, so a replica needs at least this
 * many. `why` names the largest term, as "disasters[7] (backup_corruption
 * per fleet): 8.64e+10 failures in 1 d". */
double scenario_event_floor(const scenario *sc, char *why, size_t len);

/* Prints what the scenario simulates (topology, policies, horizon). */
void scenario_describe(const scenario *sc, FILE *out);

extern const char *const standby_mode_names[];
extern const char *const storage_tier_names[];
extern const char *const partial_backup_names[];
extern const char *const region_role_names[];

#endif
