/* Traces (the model-level events of a replica) and timelines (the serving
 * side per accounted segment), for `firedrill run --trace`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/world_internal.h"

bool world_grow(world *w, void **items, size_t *cap, size_t n, size_t item_size, size_t first_cap) {
    if (n < *cap) return true;
    size_t grown_cap = *cap ? 2 * *cap : first_cap;
    void *grown = realloc(*items, grown_cap * item_size);
    if (!grown) {
        w->oom = true;
        sim_stop(w->s);
        return false;
    }
    *items = grown;
    *cap = grown_cap;
    return true;
}

void wtrace_add(world *w, double time_s, const char *kind, const char *entity) {
    if (!world_grow(w, (void **)&w->trace, &w->cap_trace, w->n_trace, sizeof *w->trace, 256)) return;
    trace_record *t = &w->trace[w->n_trace++];
    memset(t, 0, sizeof *t);
    t->time_s = time_s;
    snprintf(t->kind, sizeof t->kind, "%s", kind);
    snprintf(t->entity, sizeof t->entity, "%s", entity);
}

/* The handlers worth a row; request-level and link events are left out (a
 * month has billions of them), and backups trace themselves (a due backup
 * may start or be skipped). */
static const struct {
    sim_handler handler;
    const char *kind;
} traced_handlers[] = {
    {wdis_fail, "disaster.onset"},         {wdis_repair, "disaster.repair"},       {wdis_rolled_back, "rollback.done"},
    {wfo_detected, "failover.detected"},   {wfo_switch, "failover.switch"},        {wfo_complete, "failover.complete"},
    {wfo_scaled_up, "failover.scaled_up"}, {wbak_done, "backup.restorable"},       {wfo_failback, "failover.failback"},
    {wdis_group_fail, "disaster.onset"},   {wdis_group_repair, "disaster.repair"},
};

void wtrace_event(void *trace_ctx, simtime_ns time, sim_handler handler, void *ctx, sim_payload payload) {
    world *w = trace_ctx;
    const char *kind = NULL;
    for (size_t i = 0; i < sizeof traced_handlers / sizeof traced_handlers[0] && !kind; i++)
        if (traced_handlers[i].handler == handler) kind = traced_handlers[i].kind;
    if (!kind) return;
    char entity[METRIC_SCOPE_LEN];
    if (handler == wdis_group_fail) {
        const unit_proc *u = ctx; /* which member fails is drawn by the handler */
        snprintf(entity, sizeof entity, "%s %s/any", disaster_kind_names[u->spec->kind],
                 w->sc->regions[u->region].name);
    } else if (handler == wdis_group_repair) {
        const unit_proc *u = ctx;
        snprintf(entity, sizeof entity, "%s %s/%u", disaster_kind_names[u->spec->kind], w->sc->regions[u->region].name,
                 payload.u32[0]);
    } else if (handler == wdis_fail || handler == wdis_repair) {
        const unit_proc *u = ctx;
        snprintf(entity, sizeof entity, "%s %s/%d", disaster_kind_names[u->spec->kind],
                 u->per_region ? w->sc->regions[u->region].name : "fleet", u->index);
    } else if (handler == wbak_done) {
        snprintf(entity, sizeof entity, "backup %llu", (unsigned long long)(payload.u64 & ~(UINT64_C(1) << 63)));
    } else if (handler == wdis_rolled_back) {
        snprintf(entity, sizeof entity, "incident %u", payload.u32[1]);
    } else {
        snprintf(entity, sizeof entity, "primary %s", w->sc->regions[w->primary].name);
    }
    wtrace_add(w, simtime_to_s(time), kind, entity);
}

void wtrace_segment(void *ctx, const traffic_segment *seg) {
    world *w = ctx;
    if (!world_grow(w, (void **)&w->timeline, &w->cap_timeline, w->n_timeline, sizeof *w->timeline, 1024)) return;
    serving_state st = wacct_serving(w);
    w->timeline[w->n_timeline++] = (timeline_record){
        .time_s = seg->t0_s,
        .duration_s = seg->t1_s - seg->t0_s,
        .offered_qps = seg->offered_qps,
        .capacity_qps = seg->capacity_qps,
        .failed_fraction = seg->failed_fraction,
        .p99_s = seg->p99_s,
        .servers = st.servers,
        .serving_region = (uint32_t)w->primary,
        .model_version = w->model_version,
        .incident_open = st.incident_open,
        .model_bad = w->bad_pushes_open > 0,
    };
}
