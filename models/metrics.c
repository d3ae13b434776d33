#include "models/metrics.h"

#include <math.h>
#include <string.h>

#define F(st, member, t, unit, doc)                                                                                    \
    { #member, unit, t, offsetof(st, member), sizeof(((st *)0)->member), doc }

const metric_field replica_metric_fields[] = {
    F(replica_metrics, point, METRIC_U32, "1", "sweep point index (0 for run)"),
    F(replica_metrics, seed, METRIC_U64, "1", "replica seed"),
    F(replica_metrics, incidents, METRIC_U32, "1", "faults that hit serving or model state"),
    F(replica_metrics, failovers, METRIC_U32, "1", "switchovers to a standby, true or false"),
    F(replica_metrics, false_failovers, METRIC_U32, "1", "failovers triggered without a real fault"),
    F(replica_metrics, failbacks, METRIC_U32, "1", "planned moves back to the home region"),
    F(replica_metrics, horizon_s, METRIC_F64, "s", "simulated time"),
    F(replica_metrics, rto_mean_s, METRIC_F64, "s", "mean RTO over incidents with an outage"),
    F(replica_metrics, rto_p95_s, METRIC_F64, "s", "95th percentile of RTO over incidents"),
    F(replica_metrics, rto_max_s, METRIC_F64, "s", "largest RTO"),
    F(replica_metrics, rpo_mean_s, METRIC_F64, "s", "mean RPO over incidents that lost state"),
    F(replica_metrics, rpo_max_s, METRIC_F64, "s", "largest RPO"),
    F(replica_metrics, lost_updates, METRIC_F64, "updates", "trainer updates lost over all incidents"),
    F(replica_metrics, availability_time, METRIC_F64, "1", "fraction of time meeting the SLO"),
    F(replica_metrics, availability_requests, METRIC_F64, "1", "1 - failed/offered requests"),
    F(replica_metrics, requests_total, METRIC_F64, "requests", "offered requests"),
    F(replica_metrics, requests_failed, METRIC_F64, "requests", "failed or timed-out requests"),
    F(replica_metrics, slo_violation_min, METRIC_F64, "min", "minutes not meeting the SLO"),
    F(replica_metrics, latency_mean_s, METRIC_F64, "s", "mean latency of served requests"),
    F(replica_metrics, latency_p50_s, METRIC_F64, "s", "median latency of served requests"),
    F(replica_metrics, latency_p99_s, METRIC_F64, "s", "99th percentile latency of served requests"),
    F(replica_metrics, latency_p99_incident_s, METRIC_F64, "s", "p99 latency while an incident is open"),
    F(replica_metrics, lost_revenue, METRIC_F64, "currency",
      "failed requests x conversion x order value, plus a bad model's lost conversions"),
    F(replica_metrics, lost_revenue_quality, METRIC_F64, "currency",
      "of lost_revenue: served by a bad model, lost in conversion (recall@k)"),
    F(replica_metrics, requests_failed_background, METRIC_F64, "requests",
      "failed requests charged to no incident (overload, backlog)"),
    F(replica_metrics, lost_revenue_background, METRIC_F64, "currency", "lost revenue charged to no incident"),
    F(replica_metrics, slo_violation_background_min, METRIC_F64, "min", "SLO-violation minutes charged to no incident"),
    F(replica_metrics, backup_bytes_moved, METRIC_F64, "bytes", "bytes transferred by backups"),
    F(replica_metrics, backup_bytes_stored_peak, METRIC_F64, "bytes", "peak bytes held by backup targets"),
    F(replica_metrics, backup_cost, METRIC_F64, "currency", "transfer plus storage cost of backups"),
    F(replica_metrics, standby_cost, METRIC_F64, "currency",
      "standby servers running: idle share, provisioning and after failover"),
    F(replica_metrics, replication_bytes, METRIC_F64, "bytes", "cross-region replication to standby replicas"),
    F(replica_metrics, replication_cost, METRIC_F64, "currency", "replication bytes x cost.replication_per_gb"),
    F(replica_metrics, penalty_cost, METRIC_F64, "currency", "SLO-violation minutes x cost.sla_penalty_per_min"),
    F(replica_metrics, total_cost, METRIC_F64, "currency", "standby + replication + backup + lost revenue + penalty"),
    F(replica_metrics, total_cost_per_year, METRIC_F64, "currency/year", "total_cost annualised from the horizon"),
    F(replica_metrics, backups_completed, METRIC_U32, "1", "backups that completed"),
    F(replica_metrics, backups_corrupt, METRIC_U32, "1", "backups silently corrupted"),
    F(replica_metrics, backups_skipped, METRIC_U32, "1", "incrementals skipped: a backup was in flight"),
    F(replica_metrics, fulls_skipped, METRIC_U32, "1", "fulls skipped: the previous full was still in flight"),
    F(replica_metrics, pooled_servers_down_mean, METRIC_F64, "servers",
      "servers down in pools (disasters[].pool_above), time average"),
    F(replica_metrics, wall_s, METRIC_F64, "s", "wall-clock time of the replica"),
    F(replica_metrics, events, METRIC_U64, "1", "engine events processed"),
    F(replica_metrics, batches_executed, METRIC_U64, "1", "batches ranked by the real kernels (service.execute)"),
    F(replica_metrics, kernel_s, METRIC_F64, "s", "wall time inside the kernels (service.execute)"),
};
const size_t replica_metric_field_count = sizeof replica_metric_fields / sizeof replica_metric_fields[0];

const metric_field incident_fields[] = {
    F(incident_record, point, METRIC_U32, "1", "sweep point index (0 for run)"),
    F(incident_record, seed, METRIC_U64, "1", "replica seed"),
    F(incident_record, id, METRIC_U32, "1", "order of onset in the replica"),
    F(incident_record, kind, METRIC_STR, "", "disaster kind"),
    F(incident_record, scope, METRIC_STR, "", "what it hit"),
    F(incident_record, onset_s, METRIC_F64, "s", "fault onset since replica start"),
    F(incident_record, duration_s, METRIC_F64, "s", "duration of the fault itself"),
    F(incident_record, outage, METRIC_U8, "1", "service stopped meeting its SLO"),
    F(incident_record, failed_over, METRIC_U8, "1", "a switchover happened"),
    F(incident_record, false_alarm, METRIC_U8, "1", "failover without a real fault"),
    F(incident_record, failover_failed, METRIC_U8, "1", "standby failed; fell back to restore"),
    F(incident_record, failover_aborted, METRIC_U8, "1", "primary recovered before the switchover began"),
    F(incident_record, local_rollback, METRIC_U8, "1", "bad push rolled back to a locally kept version"),
    F(incident_record, rto_s, METRIC_F64, "s", "onset until the SLO is met again (NaN without outage)"),
    F(incident_record, detection_s, METRIC_F64, "s", "RTO part: onset to detection"),
    F(incident_record, fencing_s, METRIC_F64, "s", "RTO part: decision and fencing"),
    F(incident_record, failed_attempt_s, METRIC_F64, "s", "RTO part: a standby attempt that failed"),
    F(incident_record, transfer_s, METRIC_F64, "s", "RTO part: fetching model state"),
    F(incident_record, load_s, METRIC_F64, "s", "RTO part: provisioning and loading"),
    F(incident_record, switchover_s, METRIC_F64, "s", "RTO part: load balancer / DNS switch"),
    F(incident_record, warmup_s, METRIC_F64, "s", "RTO part: warm-up and scale-up to SLO"),
    F(incident_record, repair_wait_s, METRIC_F64, "s", "RTO part: waiting for the repair that ended the outage"),
    F(incident_record, rpo_s, METRIC_F64, "s", "onset minus time of newest surviving state"),
    F(incident_record, lost_updates, METRIC_F64, "updates", "trainer updates lost"),
    F(incident_record, requests_failed, METRIC_F64, "requests", "failed requests charged to the incident"),
    F(incident_record, lost_revenue, METRIC_F64, "currency", "lost revenue charged to the incident"),
    F(incident_record, slo_missed_s, METRIC_F64, "s", "SLO-violation time charged to the incident"),
    F(incident_record, recall_at_k, METRIC_F64, "1", "recall@k of restored vs live model"),
    F(incident_record, served_recall_at_k, METRIC_F64, "1", "bad push: recall@k of the bad model's rankings"),
};
const size_t incident_field_count = sizeof incident_fields / sizeof incident_fields[0];

const metric_field trace_fields[] = {
    F(trace_record, time_s, METRIC_F64, "s", "event time since replica start"),
    F(trace_record, kind, METRIC_STR, "", "event kind"),
    F(trace_record, entity, METRIC_STR, "", "what the event concerns"),
};
const size_t trace_field_count = sizeof trace_fields / sizeof trace_fields[0];

const metric_field timeline_fields[] = {
    F(timeline_record, time_s, METRIC_F64, "s", "segment start since replica start"),
    F(timeline_record, duration_s, METRIC_F64, "s", "segment length"),
    F(timeline_record, offered_qps, METRIC_F64, "requests/s", "offered request rate"),
    F(timeline_record, capacity_qps, METRIC_F64, "requests/s", "serving capacity"),
    F(timeline_record, failed_fraction, METRIC_F64, "1", "share of offered requests that failed"),
    F(timeline_record, p99_s, METRIC_F64, "s", "p99 latency of served requests"),
    F(timeline_record, servers, METRIC_F64, "1", "usable serving servers"),
    F(timeline_record, serving_region, METRIC_U32, "1", "index of the serving region (topology order)"),
    F(timeline_record, incident_open, METRIC_U8, "1", "an incident is open"),
    F(timeline_record, model_version, METRIC_U32, "1",
      "serving model version: 0 at the start, +1 at each bad push, rollback and restore from backup"),
    F(timeline_record, model_bad, METRIC_U8, "1", "a bad model push is serving"),
};
const size_t timeline_field_count = sizeof timeline_fields / sizeof timeline_fields[0];

const metric_field *metric_field_find(const metric_field *fields, size_t count, const char *name) {
    for (size_t i = 0; i < count; i++)
        if (strcmp(fields[i].name, name) == 0) return &fields[i];
    return NULL;
}

double metric_field_value(const metric_field *f, const void *record) {
    const char *p = (const char *)record + f->offset;
    switch (f->type) {
    case METRIC_F64: {
        double v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case METRIC_U64: {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        return (double)v;
    }
    case METRIC_U32: {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        return (double)v;
    }
    case METRIC_U8: return (double)(uint8_t)*p;
    case METRIC_STR: return NAN;
    }
    return NAN;
}
