/* What one replica measures: a row of /replicas and rows of /incidents.
 * docs/metrics.md defines every column (definition, unit, how computed);
 * in short:
 * - RTO of an incident: fault onset until the service meets its SLO again,
 *   whoever restores it; its parts (detection, fencing, failed attempt,
 *   transfer, load, switchover, warm-up, waiting for the repair) add up to it.
 * - RPO: fault onset minus the time of the state the service continues
 *   from (0 when the primary's own state carries on).
 * - every failed request, unit of lost revenue and second of SLO violation
 *   is charged to one incident or to the replica's background columns.
 * Each struct has a field table (name, unit, type, offset) so that results
 * writers and summaries handle every field through one code path. */
#ifndef MODELS_METRICS_H
#define MODELS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRIC_KIND_LEN  24
#define METRIC_SCOPE_LEN 40

typedef struct replica_metrics {
    uint32_t point; /* sweep point (0 for `firedrill run`) */
    uint64_t seed;
    uint32_t incidents;       /* faults that hit serving or state */
    uint32_t failovers;       /* switchovers to a standby (true or false) */
    uint32_t false_failovers; /* triggered by a flap, no real fault */
    uint32_t failbacks;       /* planned moves back to the home region */
    double horizon_s;
    double rto_mean_s, rto_p95_s, rto_max_s; /* over incidents with an outage; NaN if none */
    double rpo_mean_s, rpo_max_s;            /* over incidents that lost state; NaN if none */
    double lost_updates;
    double availability_time;
    double availability_requests;
    double requests_total;
    double requests_failed;
    double slo_violation_min;
    double latency_mean_s, latency_p50_s, latency_p99_s;
    double latency_p99_incident_s; /* p99 of requests served while an incident is open; NaN if none */
    double lost_revenue;           /* failed requests' and a bad model's lost conversions */
    double lost_revenue_quality;   /* of which: requests served by a bad model that converted less */
    /* what no incident caused (overload at peaks, backlog): incidents plus
     * these add up to requests_failed, lost_revenue and slo_violation_min */
    double requests_failed_background;
    double lost_revenue_background;
    double slo_violation_background_min;
    double backup_bytes_moved;
    double backup_bytes_stored_peak;
    double backup_cost;
    /* money: every cost column, and their sum (lost revenue included) */
    double standby_cost; /* servers other than the home region's running: idle share, provisioning, after failover */
    double replication_bytes; /* cross-region replication to standby replicas */
    double replication_cost;
    double penalty_cost; /* SLA penalty for SLO-violation minutes */
    double total_cost;   /* standby + replication + backup + lost revenue + penalty */
    double total_cost_per_year;
    uint32_t backups_completed;
    uint32_t backups_corrupt;
    uint32_t backups_skipped; /* incrementals skipped while a backup was in flight */
    uint32_t fulls_skipped;   /* fulls due while the previous full was still in flight */
    /* servers down in pools (disasters[].pool_above), averaged over the
     * horizon; their failures have no incident rows */
    double pooled_servers_down_mean;
    double wall_s;
    uint64_t events;
    uint64_t batches_executed; /* service.execute: batches ranked by the kernels */
    double kernel_s;           /* wall time inside the kernels */
} replica_metrics;

typedef struct incident_record {
    uint32_t point;
    uint64_t seed;
    uint32_t id;                  /* order of onset within the replica */
    char kind[METRIC_KIND_LEN];   /* "region_outage", "network_flap", ... */
    char scope[METRIC_SCOPE_LEN]; /* "region:eu-west", "server:eu-west/17", ... */
    double onset_s;               /* since the start of the replica */
    double duration_s;            /* how long the fault itself lasted */
    uint8_t outage;               /* the service stopped meeting its SLO */
    uint8_t failed_over;          /* a switchover happened */
    uint8_t false_alarm;          /* a failover without a real fault */
    uint8_t failover_failed;      /* the standby did not come up; fell back */
    uint8_t failover_aborted;     /* the primary recovered before the switchover began */
    uint8_t local_rollback;       /* bad push: rolled back to a version kept next to the servers */
    double rto_s;                 /* NaN when there was no outage */
    /* RTO parts; for an outage they add up to rto_s */
    double detection_s, fencing_s, failed_attempt_s, transfer_s, load_s, switchover_s, warmup_s, repair_wait_s;
    double rpo_s; /* 0 when no state was lost */
    double lost_updates;
    double requests_failed; /* charged to this incident (one incident per failed request) */
    double lost_revenue;
    double slo_missed_s;       /* SLO-violation time charged to this incident */
    double recall_at_k;        /* of the restored model vs the live one; NaN if not measured */
    double served_recall_at_k; /* bad push: of the bad model's rankings vs the good one's; NaN otherwise */
} incident_record;

/* One event of a traced replica (`firedrill run --trace`): /trace/<seed>. */
typedef struct trace_record {
    double time_s;
    char kind[METRIC_KIND_LEN];    /* "disaster.onset", "backup.start", "failover.detected", ... */
    char entity[METRIC_SCOPE_LEN]; /* what it concerns: "region_outage cn-east/0", "backup 42", ... */
} trace_record;

/* The serving side over time (`--trace`): one row per accounting segment
 * of a traced replica, /timeline/<seed>. */
typedef struct timeline_record {
    double time_s, duration_s;
    double offered_qps;  /* offered request rate */
    double capacity_qps; /* what the serving servers can process */
    double failed_fraction;
    double p99_s;   /* 99th percentile latency of served requests (NaN: none served) */
    double servers; /* usable servers */
    uint32_t serving_region;
    uint32_t model_version; /* +1 whenever the serving model is replaced: bad push, rollback, restore from backup */
    uint8_t incident_open;
    uint8_t model_bad; /* a bad model push is serving */
} timeline_record;

typedef enum metric_type { METRIC_F64, METRIC_U64, METRIC_U32, METRIC_U8, METRIC_STR } metric_type;

typedef struct metric_field {
    const char *name;
    const char *unit; /* "s", "min", "bytes", "requests", "1" (dimensionless), "currency", ... */
    metric_type type;
    size_t offset;
    size_t size; /* bytes, for METRIC_STR the array length */
    const char *doc;
} metric_field;

extern const metric_field replica_metric_fields[];
extern const size_t replica_metric_field_count;
extern const metric_field incident_fields[];
extern const size_t incident_field_count;
extern const metric_field trace_fields[];
extern const size_t trace_field_count;
extern const metric_field timeline_fields[];
extern const size_t timeline_field_count;

/* The field called name in a table, or NULL. */
const metric_field *metric_field_find(const metric_field *fields, size_t count, const char *name);
/* Field f of a record as a double (strings: NaN). */
double metric_field_value(const metric_field *f, const void *record);

#endif
