/* One test per disaster kind: each kind's real effect on the world, with
 * scripted onsets (or, where a scripted onset would strike every unit of the
 * region at once, one stochastic failure found by a fixed seed search),
 * fixed durations, short horizons and small topologies, read from the
 * incidents, the replica's metrics and the traced timeline and trace.
 *
 * Every replica also passes the accounting checks (check_accounting):
 * incidents plus background add up to the replica's failed requests, lost
 * revenue and SLO-violation time, and the RTO parts of every finished outage
 * add up to its RTO.
 *
 * Common set-up unless a test says otherwise: 100 req/s, flat (no diurnal or
 * weekend swing), 1-minute segments, 20 ms exponential service on 8 slots
 * per server (400 req/s per server: light load), a 1 s latency objective, a
 * timeout detector (heartbeat 1 s, 3 misses: it fires 2 to 3 s after the
 * fault), a fully provisioned warm standby that always comes up, no failback,
 * no backups. Everything is deterministic (fixed seeds); tolerances are
 * floating-point ones unless stated. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/scenario.h"
#include "models/world.h"

/* ---- scenarios ------------------------------------------------------------------ */
#define TRAFFIC                                                                                                        \
    "\"traffic\":{\"base_qps\":100,\"diurnal_amplitude\":0,\"weekend_factor\":1,\"segment_s\":\"1m\","                 \
    "\"timeout_s\":5,\"slo_latency_s\":1},"                                                                            \
    "\"service\":{\"mean_s\":0.02,\"slots_per_server\":8}"
#define NO_BACKUP "\"backup\":{\"enabled\":false}"
#define DETECTOR  "\"detector\":{\"type\":\"timeout\",\"heartbeat_s\":1,\"miss_threshold\":3}"
/* Failover stages of the warm standby: fencing 5 s, switchover 30 s, warm-up 10 s. */
#define FAILOVER_WARM                                                                                                  \
    "\"failover\":{" DETECTOR ",\"fencing_s\":5,\"switchover_s\":30,\"network_delay_s\":0,\"standby\":\"warm\","       \
    "\"standby_capacity_fraction\":1,\"standby_reliability\":1,\"sync_s\":0,\"warmup_s\":10,"                          \
    "\"replication_lag_s\":5,\"failback\":false}"
#define SECTIONS_WARM TRAFFIC "," NO_BACKUP "," FAILOVER_WARM

static const double QPS = 100, FENCING = 5, SWITCHOVER = 30, WARMUP = 10, LAG = 5;

/* A scenario from its parts: horizon, the regions, the other sections, the
 * disasters (a JSON list's items). */
static const char *scenario_json(const char *horizon, const char *regions, const char *sections,
                                 const char *disasters) {
    static char buf[8192];
    int n = snprintf(buf, sizeof buf,
                     "{\"name\":\"kinds\",\"horizon_s\":\"%s\",\"topology\":{\"regions\":[%s]},%s,"
                     "\"disasters\":[%s]}",
                     horizon, regions, sections, disasters);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    return buf;
}

/* ---- consistency of every replica ------------------------------------------------- */
static double finite_or_0(double x) { return isfinite(x) ? x : 0; }

static double rto_parts(const incident_record *inc) {
    return finite_or_0(inc->detection_s) + finite_or_0(inc->fencing_s) + finite_or_0(inc->failed_attempt_s) +
           finite_or_0(inc->transfer_s) + finite_or_0(inc->load_s) + finite_or_0(inc->switchover_s) +
           finite_or_0(inc->warmup_s) + finite_or_0(inc->repair_wait_s);
}

/* a == b within 1e-9 relative, or 1e-9 absolute when b is 0 */
static bool close_rel(double a, double b) {
    if (b == 0) return fabs(a) <= 1e-9;
    return fabs(a - b) <= 1e-9 * fabs(b);
}

static void check_accounting(const world_result *r) {
    double failed = r->metrics.requests_failed_background, revenue = r->metrics.lost_revenue_background;
    double slo_min = r->metrics.slo_violation_background_min;
    for (size_t i = 0; i < r->n_incidents; i++) {
        const incident_record *inc = &r->incidents[i];
        failed += inc->requests_failed;
        revenue += inc->lost_revenue;
        slo_min += inc->slo_missed_s / 60;
        if (inc->outage && isfinite(inc->rto_s)) {
            if (fabs(rto_parts(inc) - inc->rto_s) > 1e-6)
                fail_msg("incident %u (%s): RTO %.9f s but its parts add up to %.9f s", inc->id, inc->kind, inc->rto_s,
                         rto_parts(inc));
        }
    }
    if (!close_rel(failed, r->metrics.requests_failed))
        fail_msg("failed requests: incidents + background %.12g, replica %.12g", failed, r->metrics.requests_failed);
    if (!close_rel(revenue, r->metrics.lost_revenue))
        fail_msg("lost revenue: incidents + background %.12g, replica %.12g", revenue, r->metrics.lost_revenue);
    if (!close_rel(slo_min, r->metrics.slo_violation_min))
        fail_msg("SLO violation: incidents + background %.12g min, replica %.12g min", slo_min,
                 r->metrics.slo_violation_min);
}

/* ---- running -------------------------------------------------------------------- */
/* Runs one traced replica and checks its accounting. */
static void run_json(const char *json, uint64_t seed, world_result *r) {
    scenario sc;
    char err[1024];
    if (!scenario_parse(&sc, "test.json", json, err, sizeof err)) fail_msg("%s\n%s", err, json);
    const world_options traced = {.backend = REC_BACKEND_CPU, .trace = true};
    if (world_run(&sc, &traced, seed, r, err, sizeof err) != 0) fail_msg("%s", err);
    scenario_free(&sc);
    check_accounting(r);
}

/* A scripted onset strikes every unit of the kind in scope (each server of
 * the region for server_failure); to see ONE server, rack or zone fail, a
 * stochastic process with a long mean up-time runs under seeds 1, 2, ...
 * until a replica has exactly one failure, early enough that its repair
 * falls inside the horizon. Deterministic: the first such seed is fixed by
 * the streams. */
static uint64_t run_single_failure(const char *json, double latest_onset_s, world_result *r) {
    for (uint64_t seed = 1; seed <= 200; seed++) {
        run_json(json, seed, r);
        if (r->n_incidents == 1 && r->incidents[0].onset_s < latest_onset_s) return seed;
        world_result_free(r);
    }
    fail_msg("no seed in 1..200 has a single early failure");
    return 0;
}

static const incident_record *only_incident(const world_result *r, const char *kind) {
    assert_int_equal(r->n_incidents, 1);
    assert_string_equal(r->incidents[0].kind, kind);
    return &r->incidents[0];
}

static const incident_record *incident_of_kind(const world_result *r, const char *kind) {
    const incident_record *found = NULL;
    for (size_t i = 0; i < r->n_incidents; i++)
        if (strcmp(r->incidents[i].kind, kind) == 0) {
            assert_null(found); /* exactly one */
            found = &r->incidents[i];
        }
    assert_non_null(found);
    return found;
}

/* ---- timelines ------------------------------------------------------------------ */
typedef double (*row_field)(const timeline_record *t);
static double tl_servers(const timeline_record *t) { return t->servers; }
static double tl_offered(const timeline_record *t) { return t->offered_qps; }
static double tl_capacity(const timeline_record *t) { return t->capacity_qps; }
static double tl_model_bad(const timeline_record *t) { return t->model_bad; }
static double tl_region(const timeline_record *t) { return t->serving_region; }
static double tl_p99(const timeline_record *t) { return t->p99_s; }

static double mid_of(const timeline_record *t) { return t->time_s + t->duration_s / 2; }

/* Every row whose middle lies in (t0, t1) shows `inside` (within tol), every
 * other row `outside`; both kinds of rows exist. The world books traffic at
 * every event, so rows end exactly at onsets and repairs. */
static void check_window(const world_result *r, row_field field, double t0, double t1, double inside, double outside,
                         double tol, const char *what) {
    size_t n_in = 0, n_out = 0;
    assert_true(r->n_timeline > 0);
    for (size_t i = 0; i < r->n_timeline; i++) {
        const timeline_record *t = &r->timeline[i];
        double m = mid_of(t), v = field(t);
        bool in = m > t0 && m < t1;
        double want = in ? inside : outside;
        if (fabs(v - want) > tol)
            fail_msg("%s: row at %.3f..%.3f s shows %.9g, expected %.9g (%s the window %.3f..%.3f s)", what, t->time_s,
                     t->time_s + t->duration_s, v, want, in ? "inside" : "outside", t0, t1);
        n_in += in, n_out += !in;
    }
    assert_true(n_in > 0 && n_out > 0);
}

static double timeline_at(const world_result *r, row_field field, double time_s) {
    for (size_t i = 0; i < r->n_timeline; i++) {
        const timeline_record *t = &r->timeline[i];
        if (time_s >= t->time_s && time_s < t->time_s + t->duration_s) return field(t);
    }
    fail_msg("no timeline row covers %.3f s", time_s);
    return NAN;
}

/* ---- server_failure --------------------------------------------------------------- */
/* Region a: 8 servers (4 racks of 2, one zone); each server fails after
 * Exp(40 h) for exactly 30 min; horizon 4 h. One failure leaves 7 servers,
 * above min_capacity_fraction (0.5): an incident without an outage. */
static void test_server_failure_within_capacity(void **state) {
    (void)state;
    const char *json =
        scenario_json("4h",
                      "{\"name\":\"a\",\"servers\":8,\"zones\":1,\"racks_per_zone\":4,\"role\":\"primary\"},"
                      "{\"name\":\"b\",\"servers\":8,\"role\":\"standby\"}",
                      SECTIONS_WARM,
                      "{\"kind\":\"server_failure\",\"region\":\"a\",\"interarrival\":{\"mean_s\":\"40h\"},"
                      "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}");
    world_result r;
    uint64_t seed = run_single_failure(json, 3 * 3600, &r);
    const incident_record *inc = only_incident(&r, "server_failure");
    printf("server_failure (seed %llu): onset %.1f s, scope %s\n", (unsigned long long)seed, inc->onset_s, inc->scope);
    assert_true(strncmp(inc->scope, "server:a/", 9) == 0);
    assert_int_equal(inc->outage, 0);
    assert_int_equal(inc->failed_over, 0);
    assert_true(isnan(inc->rto_s));
    assert_true(inc->rpo_s == 0);
    assert_true(fabs(inc->duration_s - 1800) < 1e-9);
    assert_int_equal(r.metrics.failovers, 0);
    assert_true(isnan(r.metrics.rto_mean_s));
    /* one server down for exactly the fault, serving stays in a */
    check_window(&r, tl_servers, inc->onset_s, inc->onset_s + 1800, 7, 8, 1e-12, "servers");
    check_window(&r, tl_capacity, inc->onset_s, inc->onset_s + 1800, 7 * 8 * 50, 8 * 8 * 50, 1e-6, "capacity");
    for (size_t i = 0; i < r.n_timeline; i++) assert_int_equal(r.timeline[i].serving_region, 0);
    /* light load: nothing fails and the SLO holds */
    assert_true(r.metrics.requests_failed < 1e-6);
    assert_true(r.metrics.slo_violation_min == 0);
    world_result_free(&r);
}

/* Region a: 2 servers, min_capacity_fraction 0.75. One failed server leaves
 * half the region: the region counts as failed, and traffic fails over to b.
 * Until the switch the surviving server keeps serving. */
static void test_server_failures_below_min_capacity_fail_the_region(void **state) {
    (void)state;
    const char *json = scenario_json(
        "4h", "{\"name\":\"a\",\"servers\":2,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":2,\"role\":\"standby\"}",
        TRAFFIC "," NO_BACKUP ",\"failover\":{" DETECTOR ",\"fencing_s\":5,\"switchover_s\":30,\"standby\":\"warm\","
                "\"standby_capacity_fraction\":1,\"standby_reliability\":1,\"sync_s\":0,\"warmup_s\":10,"
                "\"replication_lag_s\":5,\"failback\":false,\"min_capacity_fraction\":0.75}",
        "{\"kind\":\"server_failure\",\"region\":\"a\",\"interarrival\":{\"mean_s\":\"15h\"},"
        "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}");
    world_result r;
    uint64_t seed = run_single_failure(json, 3 * 3600, &r);
    const incident_record *inc = only_incident(&r, "server_failure");
    printf("server_failure below min capacity (seed %llu): onset %.1f s, RTO %.3f s, SLO missed %.3f s\n",
           (unsigned long long)seed, inc->onset_s, inc->rto_s, inc->slo_missed_s);
    assert_int_equal(inc->outage, 1);
    assert_int_equal(inc->failed_over, 1);
    assert_int_equal(inc->false_alarm, 0);
    assert_true(inc->detection_s > 2 - 1e-9 && inc->detection_s <= 3 + 1e-9);
    assert_true(fabs(inc->rto_s - (inc->detection_s + FENCING + SWITCHOVER + WARMUP)) < 1e-6);
    assert_true(fabs(inc->rpo_s - LAG) < 1e-9);
    assert_int_equal(r.metrics.failovers, 1);
    /* the surviving server serves until the switch; then b, with both its servers */
    const double switch_at = inc->onset_s + inc->detection_s + FENCING;
    assert_true(fabs(timeline_at(&r, tl_servers, inc->onset_s + 1) - 1) < 1e-12);
    assert_true(fabs(timeline_at(&r, tl_servers, switch_at + 1) - 0) < 1e-12);
    assert_true(fabs(timeline_at(&r, tl_servers, inc->onset_s + inc->rto_s + 1) - 2) < 1e-12);
    check_window(&r, tl_region, inc->onset_s + inc->rto_s, 1e12, 1, 0, 0, "serving region");
    world_result_free(&r);
}

/* ---- gpu_failure ------------------------------------------------------------------ */
/* Region a has a single server of 8 GPUs (so the scripted onset strikes one
 * unit): one GPU fails at 1 h for 30 min and takes an eighth of the server,
 * not the server. */
static void test_gpu_failure_takes_one_gpu(void **state) {
    (void)state;
    const char *json = scenario_json("3h",
                                     "{\"name\":\"a\",\"servers\":1,\"gpus_per_server\":8,\"role\":\"primary\"},"
                                     "{\"name\":\"b\",\"servers\":1,\"role\":\"standby\"}",
                                     SECTIONS_WARM,
                                     "{\"kind\":\"gpu_failure\",\"region\":\"a\",\"at_s\":[\"1h\"],"
                                     "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}");
    world_result r;
    run_json(json, 1, &r);
    const incident_record *inc = only_incident(&r, "gpu_failure");
    assert_true(fabs(inc->onset_s - 3600) < 1e-9);
    assert_true(strcmp(inc->scope, "server:a/0") == 0);
    assert_int_equal(inc->outage, 0);
    assert_int_equal(inc->failed_over, 0);
    assert_true(isnan(inc->rto_s));
    check_window(&r, tl_servers, 3600, 5400, 1 - 0.125, 1, 1e-12, "servers");
    /* 7 of 8 GPUs: 7/8 of the server's 8 slots x 50 req/s */
    check_window(&r, tl_capacity, 3600, 5400, 0.875 * 8 * 50, 8 * 50, 1e-6, "capacity");
    assert_int_equal(r.metrics.failovers, 0);
    world_result_free(&r);
}

/* ---- rack_power ------------------------------------------------------------------- */
/* Region a: 8 servers in 4 racks of 2; a rack loses power after Exp(40 h)
 * for 30 min: capacity drops by the rack's 2 servers, no outage. */
static void test_rack_power_takes_a_rack(void **state) {
    (void)state;
    const char *json =
        scenario_json("4h",
                      "{\"name\":\"a\",\"servers\":8,\"zones\":1,\"racks_per_zone\":4,\"role\":\"primary\"},"
                      "{\"name\":\"b\",\"servers\":8,\"role\":\"standby\"}",
                      SECTIONS_WARM,
                      "{\"kind\":\"rack_power\",\"region\":\"a\",\"interarrival\":{\"mean_s\":\"40h\"},"
                      "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}");
    world_result r;
    uint64_t seed = run_single_failure(json, 3 * 3600, &r);
    const incident_record *inc = only_incident(&r, "rack_power");
    printf("rack_power (seed %llu): onset %.1f s, scope %s\n", (unsigned long long)seed, inc->onset_s, inc->scope);
    assert_true(strncmp(inc->scope, "rack:a/", 7) == 0);
    assert_int_equal(inc->outage, 0);
    assert_int_equal(inc->failed_over, 0);
    check_window(&r, tl_servers, inc->onset_s, inc->onset_s + 1800, 6, 8, 1e-12, "servers");
    assert_int_equal(r.metrics.failovers, 0);
    world_result_free(&r);
}

/* ---- zone_outage ------------------------------------------------------------------ */
/* Region a: 8 servers in 4 zones of 2 (one rack each); a zone fails after
 * Exp(40 h) for 30 min: capacity drops by the zone's 2 servers. */
static void test_zone_outage_takes_a_zone(void **state) {
    (void)state;
    const char *json =
        scenario_json("4h",
                      "{\"name\":\"a\",\"servers\":8,\"zones\":4,\"racks_per_zone\":1,\"role\":\"primary\"},"
                      "{\"name\":\"b\",\"servers\":8,\"role\":\"standby\"}",
                      SECTIONS_WARM,
                      "{\"kind\":\"zone_outage\",\"region\":\"a\",\"interarrival\":{\"mean_s\":\"40h\"},"
                      "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}");
    world_result r;
    uint64_t seed = run_single_failure(json, 3 * 3600, &r);
    const incident_record *inc = only_incident(&r, "zone_outage");
    printf("zone_outage (seed %llu): onset %.1f s, scope %s\n", (unsigned long long)seed, inc->onset_s, inc->scope);
    assert_true(strncmp(inc->scope, "zone:a/", 7) == 0);
    assert_int_equal(inc->outage, 0);
    check_window(&r, tl_servers, inc->onset_s, inc->onset_s + 1800, 6, 8, 1e-12, "servers");
    world_result_free(&r);
}

/* Region a has one zone: its outage at 1 h (30 min) takes the region, and
 * traffic fails over to b like after a region outage. */
static void test_zone_outage_of_a_one_zone_region_fails_over(void **state) {
    (void)state;
    const char *json = scenario_json("3h",
                                     "{\"name\":\"a\",\"servers\":4,\"zones\":1,\"role\":\"primary\"},"
                                     "{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}",
                                     SECTIONS_WARM,
                                     "{\"kind\":\"zone_outage\",\"region\":\"a\",\"at_s\":[\"1h\"],"
                                     "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}");
    world_result r;
    run_json(json, 1, &r);
    const incident_record *inc = only_incident(&r, "zone_outage");
    printf("zone_outage of a 1-zone region: RTO %.3f s (detection %.3f s)\n", inc->rto_s, inc->detection_s);
    assert_true(strcmp(inc->scope, "zone:a/0") == 0);
    assert_int_equal(inc->outage, 1);
    assert_int_equal(inc->failed_over, 1);
    assert_true(fabs(inc->rto_s - (inc->detection_s + FENCING + SWITCHOVER + WARMUP)) < 1e-6);
    assert_true(fabs(inc->rpo_s - LAG) < 1e-9);
    /* the zone's servers (all 4) are gone from the onset */
    assert_true(timeline_at(&r, tl_servers, 3601) == 0);
    check_window(&r, tl_region, 3600 + inc->rto_s, 1e12, 1, 0, 0, "serving region");
    world_result_free(&r);
}

/* ---- overlapping capacity faults ---------------------------------------------------- */
/* Region a: 2 servers in one zone, no standby. The zone fails at 1 h for
 * 30 min; both servers fail at 4200 s for 1 h. The zone's repair at 5400 s
 * gives back only what the zone took: the servers stay down until 7800 s,
 * so the zone outage's RTO is 4200 s and the SLO is missed as long. */
static void test_overlapping_capacity_faults_repair_only_their_own(void **state) {
    (void)state;
    const char *json = scenario_json("3h", "{\"name\":\"a\",\"servers\":2,\"zones\":1,\"role\":\"primary\"}",
                                     TRAFFIC "," NO_BACKUP ",\"failover\":{\"standby\":\"cold\",\"failback\":false}",
                                     "{\"kind\":\"zone_outage\",\"at_s\":[\"1h\"],"
                                     "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}},"
                                     "{\"kind\":\"server_failure\",\"at_s\":[4200],"
                                     "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"1h\"}}");
    world_result r;
    run_json(json, 1, &r);
    const incident_record *zone = incident_of_kind(&r, "zone_outage");
    printf("zone outage overlapped by server failures: RTO %.3f s, SLO missed %.3f s\n", zone->rto_s,
           zone->slo_missed_s);
    assert_true(fabs(zone->rto_s - 4200) < 1e-6);
    assert_true(fabs(zone->slo_missed_s - 4200) < 1e-6);
    assert_true(timeline_at(&r, tl_servers, 6000) == 0);
    assert_true(timeline_at(&r, tl_servers, 7900) == 2);
    world_result_free(&r);
}

/* Backups kept in the primary's regional store at 1 h (full) and 1.5 h
 * (incremental); the primary is cut off from 2 h by a WAN partition and the
 * cold standby restores: the regional store is behind the partition, so
 * nothing is restorable (the model restarts: RPO = the onset). */
static void test_wan_partition_cuts_off_regional_backups(void **state) {
    (void)state;
    const char *json = scenario_json(
        "5h", "{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}",
        TRAFFIC ",\"model\":{\"logical_bytes\":1e9},"
                "\"backup\":{\"target\":\"regional\",\"full_period_s\":\"1h\",\"incremental_period_s\":\"30m\","
                "\"verify_s\":0,\"corruption_probability\":0},"
                "\"failover\":{\"standby\":\"cold\",\"standby_reliability\":1,\"failback\":false}",
        "{\"kind\":\"wan_partition\",\"region\":\"a\",\"at_s\":[\"2h\"],"
        "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"2h\"}}");
    world_result r;
    run_json(json, 1, &r);
    const incident_record *inc = only_incident(&r, "wan_partition");
    printf("wan partition with regional backups: RPO %.0f s, transfer %.3f s\n", inc->rpo_s, inc->transfer_s);
    assert_int_equal(inc->failed_over, 1);
    assert_true(fabs(inc->rpo_s - 7200) < 1e-9);
    assert_true(inc->transfer_s == 0);
    world_result_free(&r);
}

/* ---- region_outage ---------------------------------------------------------------- */
static void test_region_outage_fails_over(void **state) {
    (void)state;
    const char *json = scenario_json(
        "3h", "{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}",
        SECTIONS_WARM,
        "{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"1h\"],"
        "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}");
    world_result r;
    run_json(json, 1, &r);
    const incident_record *inc = only_incident(&r, "region_outage");
    printf("region_outage: RTO %.3f s = detection %.3f + fencing %g + switchover %g + warm-up %g; %.1f requests "
           "failed\n",
           inc->rto_s, inc->detection_s, inc->fencing_s, inc->switchover_s, inc->warmup_s, inc->requests_failed);
    assert_true(strcmp(inc->scope, "region:a/0") == 0);
    assert_true(fabs(inc->onset_s - 3600) < 1e-9 && fabs(inc->duration_s - 1800) < 1e-9);
    assert_int_equal(inc->outage, 1);
    assert_int_equal(inc->failed_over, 1);
    assert_int_equal(inc->false_alarm, 0);
    assert_int_equal(inc->failover_aborted, 0);
    assert_int_equal(inc->failover_failed, 0);
    /* the timeout detector: 3 heartbeats of 1 s after the last one, at a uniform phase */
    assert_true(inc->detection_s > 2 - 1e-9 && inc->detection_s <= 3 + 1e-9);
    assert_true(fabs(inc->fencing_s - FENCING) < 1e-9 && fabs(inc->switchover_s - SWITCHOVER) < 1e-9 &&
                fabs(inc->warmup_s - WARMUP) < 1e-9);
    assert_true(finite_or_0(inc->transfer_s) == 0 && finite_or_0(inc->load_s) == 0 &&
                finite_or_0(inc->failed_attempt_s) == 0 && finite_or_0(inc->repair_wait_s) == 0);
    assert_true(fabs(inc->rto_s - rto_parts(inc)) < 1e-6);
    assert_true(fabs(inc->rpo_s - LAG) < 1e-9);               /* a warm standby lags by the replication lag */
    assert_true(fabs(inc->lost_updates - LAG * 1000) < 1e-6); /* model.updates_per_s defaults to 1000 */
    /* every request fails from the onset until the standby meets the SLO, and only then */
    assert_true(fabs(inc->requests_failed / (QPS * inc->rto_s) - 1) < 1e-6);
    assert_true(fabs(inc->slo_missed_s - inc->rto_s) < 1e-6 * inc->rto_s);
    assert_true(fabs(r.metrics.rto_mean_s - inc->rto_s) < 1e-9);
    assert_int_equal(r.metrics.failovers, 1);
    assert_int_equal(r.metrics.false_failovers, 0);
    /* no servers serve during the outage; b serves from its end, with no failback */
    check_window(&r, tl_servers, 3600, 3600 + inc->rto_s, 0, 4, 1e-12, "servers");
    check_window(&r, tl_region, 3600 + inc->rto_s, 1e12, 1, 0, 0, "serving region");
    world_result_free(&r);
}

/* A cold standby needs 600 s of provisioning (plus 120 s load) before the
 * switch; the region is back after 60 s: the failover is aborted, the
 * primary serves with its own state. */
static void test_region_outage_shorter_than_preparation_aborts(void **state) {
    (void)state;
    const char *json = scenario_json(
        "3h", "{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}",
        TRAFFIC "," NO_BACKUP ",\"failover\":{" DETECTOR ",\"fencing_s\":5,\"switchover_s\":30,\"standby\":\"cold\","
                "\"provision_s\":600,\"load_s\":120,\"standby_reliability\":1,\"failback\":false}",
        "{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"1h\"],"
        "\"duration\":{\"law\":\"fixed\",\"mean_s\":60}}");
    world_result r;
    run_json(json, 1, &r);
    const incident_record *inc = only_incident(&r, "region_outage");
    printf("aborted failover: RTO %.6f s (detection %.3f s, waiting for the repair %.3f s)\n", inc->rto_s,
           inc->detection_s, inc->repair_wait_s);
    assert_int_equal(inc->outage, 1);
    assert_int_equal(inc->failover_aborted, 1);
    assert_int_equal(inc->failed_over, 0);
    assert_true(fabs(inc->rto_s - 60) < 1e-6);
    assert_true(inc->rpo_s == 0);
    assert_true(inc->lost_updates == 0);
    /* detected, then the abandoned preparation did not delay the service */
    assert_true(inc->detection_s > 2 - 1e-9 && inc->detection_s <= 3 + 1e-9);
    assert_true(fabs(inc->repair_wait_s - (60 - inc->detection_s)) < 1e-6);
    assert_int_equal(r.metrics.failovers, 0);
    for (size_t i = 0; i < r.n_timeline; i++) assert_int_equal(r.timeline[i].serving_region, 0);
    check_window(&r, tl_servers, 3600, 3660, 0, 4, 1e-12, "servers");
    assert_true(fabs(inc->requests_failed / (QPS * 60) - 1) < 1e-6);
    world_result_free(&r);
}

/* ---- wan_partition ---------------------------------------------------------------- */
/* Primary a is cut off at 1 h for 30 min: unreachable, so traffic fails
 * over as after a region outage. A partition of the standby region b alone
 * does not stop the service. */
static void test_wan_partition_of_the_primary_fails_over(void **state) {
    (void)state;
    const char *regions =
        "{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}";
    world_result r;
    run_json(scenario_json("3h", regions, SECTIONS_WARM,
                           "{\"kind\":\"wan_partition\",\"region\":\"a\",\"at_s\":[\"1h\"],"
                           "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}"),
             1, &r);
    const incident_record *inc = only_incident(&r, "wan_partition");
    printf("wan_partition of the primary: RTO %.3f s\n", inc->rto_s);
    assert_true(strcmp(inc->scope, "region:a/0") == 0);
    assert_int_equal(inc->outage, 1);
    assert_int_equal(inc->failed_over, 1);
    assert_int_equal(inc->false_alarm, 0);
    assert_true(inc->detection_s > 2 - 1e-9 && inc->detection_s <= 3 + 1e-9);
    assert_true(fabs(inc->rto_s - (inc->detection_s + FENCING + SWITCHOVER + WARMUP)) < 1e-6);
    assert_true(fabs(inc->rpo_s - LAG) < 1e-9);
    assert_true(fabs(inc->requests_failed / (QPS * inc->rto_s) - 1) < 1e-6);
    check_window(&r, tl_region, 3600 + inc->rto_s, 1e12, 1, 0, 0, "serving region");
    world_result_free(&r);

    run_json(scenario_json("3h", regions, SECTIONS_WARM,
                           "{\"kind\":\"wan_partition\",\"region\":\"b\",\"at_s\":[\"1h\"],"
                           "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}"),
             1, &r);
    inc = only_incident(&r, "wan_partition");
    assert_true(strcmp(inc->scope, "region:b/0") == 0);
    assert_int_equal(inc->outage, 0);
    assert_int_equal(inc->failed_over, 0);
    assert_true(isnan(inc->rto_s));
    assert_true(r.metrics.requests_failed < 1e-6);
    for (size_t i = 0; i < r.n_timeline; i++) {
        assert_int_equal(r.timeline[i].serving_region, 0);
        assert_true(r.timeline[i].servers == 4);
    }
    world_result_free(&r);
}

/* ---- network_flap ----------------------------------------------------------------- */
/* A hot standby, no fencing, a 1 s switchover, no warm-up: a 60 s flap of
 * the primary's network outlasts detection (at most 3 s) and the switch, so
 * traffic moves for nothing: a false failover. A 1 s flap ends before any
 * detector can fire: an outage of exactly the flap, no failover. */
static const char *flap_json(const char *duration) {
    static char disasters[256];
    snprintf(disasters, sizeof disasters,
             "{\"kind\":\"network_flap\",\"region\":\"a\",\"at_s\":[\"1h\"],"
             "\"duration\":{\"law\":\"fixed\",\"mean_s\":%s}}",
             duration);
    return scenario_json(
        "3h", "{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}",
        TRAFFIC "," NO_BACKUP ",\"failover\":{" DETECTOR ",\"fencing_s\":0,\"switchover_s\":1,\"network_delay_s\":0,"
                "\"standby\":\"hot\",\"standby_reliability\":1,\"warmup_s\":0,\"replication_lag_s\":5,"
                "\"failback\":false}",
        disasters);
}

static void test_network_flap_long_enough_is_a_false_failover(void **state) {
    (void)state;
    world_result r;
    run_json(flap_json("60"), 1, &r);
    const incident_record *inc = only_incident(&r, "network_flap");
    printf("60 s flap: false failover, RTO %.3f s (detection %.3f s)\n", inc->rto_s, inc->detection_s);
    assert_int_equal(inc->outage, 1);
    assert_int_equal(inc->failed_over, 1);
    assert_int_equal(inc->false_alarm, 1);
    assert_int_equal(r.metrics.failovers, 1);
    assert_int_equal(r.metrics.false_failovers, 1);
    assert_true(inc->detection_s > 2 - 1e-9 && inc->detection_s <= 3 + 1e-9);
    assert_true(fabs(inc->rto_s - (inc->detection_s + 1)) < 1e-6);
    assert_true(inc->rto_s < 60);
    check_window(&r, tl_region, 3600 + inc->rto_s, 1e12, 1, 0, 0, "serving region");
    world_result_free(&r);
}

static void test_network_flap_shorter_than_detection_is_ridden_out(void **state) {
    (void)state;
    world_result r;
    run_json(flap_json("1"), 1, &r);
    const incident_record *inc = only_incident(&r, "network_flap");
    printf("1 s flap: RTO %.6f s, %.3f requests failed\n", inc->rto_s, inc->requests_failed);
    assert_int_equal(inc->outage, 1);
    assert_int_equal(inc->failed_over, 0);
    assert_int_equal(inc->false_alarm, 0);
    assert_int_equal(inc->failover_aborted, 0);
    assert_true(fabs(inc->rto_s - 1) < 1e-6);
    assert_true(inc->rpo_s == 0);
    assert_true(fabs(inc->requests_failed / QPS - 1) < 1e-6);
    assert_int_equal(r.metrics.failovers, 0);
    assert_int_equal(r.metrics.false_failovers, 0);
    for (size_t i = 0; i < r.n_timeline; i++) assert_int_equal(r.timeline[i].serving_region, 0);
    world_result_free(&r);
}

/* ---- backup_corruption ------------------------------------------------------------ */
/* Hourly fulls of a 1 GB model over 100 MB/s (restorable 10 s after they
 * start; no verification, no random corruption) to the cross-region store.
 * The newest backup (2 h) is corrupted at 2 h + 100 s; region a fails at
 * 2.5 h and a cold standby restores: from the 1 h full (RPO 5400 s) instead
 * of the 2 h one (RPO 1800 s without the corruption). */
static const char *corruption_json(bool corrupt) {
    return scenario_json(
        "3h", "{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}",
        TRAFFIC ",\"model\":{\"logical_bytes\":\"1GB\"},"
                "\"backup\":{\"full_period_s\":\"1h\",\"incremental_period_s\":0,\"bandwidth_bps\":\"100MB/s\","
                "\"target\":\"cross_region\",\"verify\":false,\"corruption_probability\":0},"
                "\"failover\":{" DETECTOR ",\"standby\":\"cold\",\"standby_reliability\":1,\"failback\":false}",
        corrupt ? "{\"kind\":\"backup_corruption\",\"at_s\":[7300]},"
                  "{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"2.5h\"],"
                  "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}"
                : "{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"2.5h\"],"
                  "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}");
}

static void test_backup_corruption_pushes_the_restore_back(void **state) {
    (void)state;
    world_result clean, bad;
    run_json(corruption_json(false), 1, &clean);
    run_json(corruption_json(true), 1, &bad);
    const incident_record *c = incident_of_kind(&bad, "backup_corruption");
    const incident_record *restore_clean = only_incident(&clean, "region_outage");
    const incident_record *restore_bad = incident_of_kind(&bad, "region_outage");
    printf("backup_corruption: restore RPO %.1f s (clean %.1f s), transfer %.2f s (clean %.2f s)\n", restore_bad->rpo_s,
           restore_clean->rpo_s, restore_bad->transfer_s, restore_clean->transfer_s);
    assert_int_equal(clean.metrics.backups_corrupt, 0);
    assert_int_equal(bad.metrics.backups_corrupt, 1);
    assert_int_equal(bad.n_incidents, 2);
    /* the corruption itself stops nothing */
    assert_true(fabs(c->onset_s - 7300) < 1e-9);
    assert_true(strcmp(c->scope, "fleet") == 0);
    assert_int_equal(c->outage, 0);
    assert_true(isnan(c->rto_s));
    assert_true(c->rpo_s == 0);
    assert_true(c->requests_failed == 0 && c->slo_missed_s == 0);
    /* both restores happen, from the 2 h backup and from the 1 h one */
    assert_int_equal(restore_clean->failed_over, 1);
    assert_int_equal(restore_bad->failed_over, 1);
    assert_true(fabs(restore_clean->rpo_s - 1800) < 1e-6);
    assert_true(fabs(restore_bad->rpo_s - 5400) < 1e-6);
    assert_true(restore_bad->rpo_s > restore_clean->rpo_s);
    world_result_free(&clean);
    world_result_free(&bad);
}

/* ---- bad_model_push --------------------------------------------------------------- */
/* A bad model is pushed at 1.5 h. With the previous version kept next to
 * the servers (local_versions 1, the default), it is rolled back in
 * local_rollback_s (30 s) once detected, with no state lost; with none kept,
 * it is restored from the 1 h full (1 GB over the 100 MB/s cross-region
 * store: 10 s), then loaded (120 s) and warmed up (60 s), and the updates
 * since the 1 h backup are lost (RPO 1800 s). Either way every request the
 * bad model answers fails. */
static const char *push_json(int local_versions, const char *push) {
    static char sections[2048], disasters[256];
    snprintf(sections, sizeof sections,
             TRAFFIC ",\"model\":{\"logical_bytes\":\"1GB\"},"
                     "\"backup\":{\"full_period_s\":\"1h\",\"incremental_period_s\":0,\"bandwidth_bps\":\"100MB/s\","
                     "\"target\":\"cross_region\",\"verify\":false,\"corruption_probability\":0},"
                     "\"failover\":{" DETECTOR ",\"standby\":\"warm\",\"standby_reliability\":1,\"failback\":false,"
                     "\"local_versions\":%d,\"local_rollback_s\":30,\"load_s\":120,\"warmup_s\":60}",
             local_versions);
    return scenario_json(
        "3h", "{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}",
        sections,
        (snprintf(disasters, sizeof disasters, "{\"kind\":\"bad_model_push\",\"at_s\":[5400]%s}", push), disasters));
}

static void check_push_timeline(const world_result *r, const incident_record *inc) {
    check_window(r, tl_model_bad, 5400, 5400 + inc->rto_s, 1, 0, 0, "model_bad");
    /* the version steps at the push and at the rollback */
    assert_int_equal(r->timeline[0].model_version, 0);
    assert_int_equal(r->timeline[r->n_timeline - 1].model_version, 2);
    for (size_t i = 0; i < r->n_timeline; i++) {
        const timeline_record *t = &r->timeline[i];
        if (t->model_bad) assert_int_equal(t->model_version, 1);
        assert_int_equal(t->serving_region, 0); /* a rollback, not a failover */
    }
}

static void test_bad_model_push_local_rollback(void **state) {
    (void)state;
    world_result r;
    run_json(push_json(1, ",\"crash\":true"), 1, &r);
    const incident_record *inc = only_incident(&r, "bad_model_push");
    printf("bad push, local rollback: RTO %.3f s (detection %.3f s), %.1f requests failed\n", inc->rto_s,
           inc->detection_s, inc->requests_failed);
    assert_true(fabs(inc->onset_s - 5400) < 1e-9);
    assert_int_equal(inc->outage, 1);
    assert_int_equal(inc->local_rollback, 1);
    assert_int_equal(inc->failed_over, 0);
    assert_true(inc->detection_s > 2 - 1e-9 && inc->detection_s <= 3 + 1e-9);
    assert_true(fabs(inc->rto_s - (inc->detection_s + 30)) < 1e-6);
    assert_true(inc->rpo_s == 0);
    assert_true(inc->lost_updates == 0);
    assert_true(finite_or_0(inc->transfer_s) == 0);
    assert_true(inc->requests_failed > 0);
    assert_true(fabs(inc->requests_failed / (QPS * inc->rto_s) - 1) < 1e-6);
    assert_true(fabs(inc->slo_missed_s - inc->rto_s) < 1e-6);
    check_push_timeline(&r, inc);
    world_result_free(&r);
}

static void test_bad_model_push_restore_from_backup(void **state) {
    (void)state;
    world_result r;
    run_json(push_json(0, ",\"crash\":true"), 1, &r);
    const incident_record *inc = only_incident(&r, "bad_model_push");
    printf("bad push, restore from backup: RTO %.3f s (transfer %.3f s), RPO %.1f s, %.1f requests failed\n",
           inc->rto_s, inc->transfer_s, inc->rpo_s, inc->requests_failed);
    assert_int_equal(inc->outage, 1);
    assert_int_equal(inc->local_rollback, 0);
    assert_true(fabs(inc->transfer_s - 1e9 / 1e8) < 1e-9);
    assert_true(fabs(inc->load_s - 120) < 1e-9 && fabs(inc->warmup_s - 60) < 1e-9);
    assert_true(fabs(inc->rto_s - (inc->detection_s + 10 + 120 + 60)) < 1e-6);
    assert_true(fabs(inc->rpo_s - 1800) < 1e-6);
    assert_true(fabs(inc->lost_updates - 1800 * 1000) < 1e-3);
    assert_true(fabs(inc->requests_failed / (QPS * inc->rto_s) - 1) < 1e-6);
    check_push_timeline(&r, inc);
    world_result_free(&r);
}

/* A push that does not crash serves worse rankings: nothing fails and the
 * SLO holds, but conversion falls with the bad model's recall@k (measured
 * by the kernels): lost revenue = served x conversion x order value x
 * (1 - recall) while it serves. Severity 0 pushes the good model again. */
static void test_bad_model_push_serves_worse_rankings(void **state) {
    (void)state;
    world_result r;
    run_json(push_json(1, ",\"severity\":0.2"), 1, &r);
    const incident_record *inc = only_incident(&r, "bad_model_push");
    double expected = QPS * inc->rto_s * 0.02 * 50 * (1 - inc->served_recall_at_k);
    printf("bad push serving worse rankings: recall@k %.4f, lost revenue %.2f (closed form %.2f)\n",
           inc->served_recall_at_k, inc->lost_revenue, expected);
    assert_true(inc->served_recall_at_k > 0 && inc->served_recall_at_k < 1);
    assert_true(fabs(inc->requests_failed) < 1e-6);
    assert_true(fabs(inc->slo_missed_s) < 1e-9);
    assert_true(fabs(inc->lost_revenue / expected - 1) < 1e-6);
    assert_true(fabs(r.metrics.lost_revenue_quality - inc->lost_revenue) < 1e-6);
    check_push_timeline(&r, inc);
    world_result_free(&r);
    run_json(push_json(1, ",\"severity\":0"), 1, &r);
    inc = only_incident(&r, "bad_model_push");
    printf("severity 0: recall@k %.4f, lost revenue %.4g\n", inc->served_recall_at_k, inc->lost_revenue);
    assert_true(inc->served_recall_at_k == 1 && inc->lost_revenue < 1e-9);
    world_result_free(&r);
}

/* ---- traffic_surge ---------------------------------------------------------------- */
/* The offered rate triples from 1 h for 30 min; 4 servers (1600 req/s)
 * carry it. A 20-fold surge (2000 req/s) does not fit: the backlog grows at
 * 400 req/s up to the 5 s timeout's worth (1600 x 5 = 8000 requests), then
 * 400 req/s fail; the SLO is missed for the whole surge, all charged to it. */
static const char *surge_json(int multiplier) {
    static char disasters[256];
    snprintf(disasters, sizeof disasters,
             "{\"kind\":\"traffic_surge\",\"multiplier\":%d,\"at_s\":[\"1h\"],"
             "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}",
             multiplier);
    return scenario_json(
        "3h", "{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}",
        SECTIONS_WARM, disasters);
}

static void test_traffic_surge_multiplies_the_rate(void **state) {
    (void)state;
    world_result r;
    run_json(surge_json(3), 1, &r);
    const incident_record *inc = only_incident(&r, "traffic_surge");
    assert_true(strcmp(inc->scope, "fleet") == 0);
    assert_int_equal(inc->outage, 0);
    check_window(&r, tl_offered, 3600, 5400, 3 * QPS, QPS, 1e-9, "offered rate");
    assert_true(fabs(r.metrics.requests_total - QPS * (3 * 3600 + 2 * 1800)) < 1e-6);
    assert_true(r.metrics.requests_failed < 1e-6);
    world_result_free(&r);

    run_json(surge_json(20), 1, &r);
    inc = only_incident(&r, "traffic_surge");
    const double expected_failed = 400.0 * 1800 - 1600 * 5;
    printf("20x surge: %.1f requests failed (fluid %.1f), SLO missed %.3f s\n", inc->requests_failed, expected_failed,
           inc->slo_missed_s);
    check_window(&r, tl_offered, 3600, 5400, 20 * QPS, QPS, 1e-9, "offered rate");
    assert_true(fabs(inc->requests_failed / expected_failed - 1) < 0.01);
    assert_true(fabs(inc->slo_missed_s - 1800) < 1e-6);
    assert_true(r.metrics.requests_failed_background < 1);
    assert_int_equal(r.metrics.failovers, 0); /* overload is not a region failure */
    world_result_free(&r);
}

/* ---- link_degradation ------------------------------------------------------------- */
/* The WAN degrades 4-fold from 3000 s for 30 min. The users are in a; b
 * serves them (a is only a standby), so every request crosses the WAN: its
 * round trip (2 x 50 ms) grows to 400 ms. The full backup due at 1 h (1 GB
 * over 100 MB/s, 10 s normally) runs at a quarter of the bandwidth: 40 s. */
static const char *link_json(bool degraded) {
    return scenario_json(
        "3h", "{\"name\":\"a\",\"servers\":4,\"role\":\"standby\"},{\"name\":\"b\",\"servers\":4,\"role\":\"primary\"}",
        "\"traffic\":{\"base_qps\":100,\"diurnal_amplitude\":0,\"weekend_factor\":1,\"segment_s\":\"1m\","
        "\"timeout_s\":10,\"slo_latency_s\":2},"
        "\"service\":{\"mean_s\":0.02,\"slots_per_server\":8},"
        "\"network\":{\"clients_region\":\"a\",\"intra_region_latency_s\":0.0005,\"inter_region_latency_s\":0.05},"
        "\"model\":{\"logical_bytes\":\"1GB\"},"
        "\"backup\":{\"full_period_s\":\"1h\",\"incremental_period_s\":0,\"bandwidth_bps\":\"100MB/s\","
        "\"target\":\"cross_region\",\"verify\":false,\"corruption_probability\":0},"
        "\"failover\":{" DETECTOR ",\"standby\":\"warm\",\"standby_reliability\":1,\"failback\":false}",
        degraded ? "{\"kind\":\"link_degradation\",\"multiplier\":4,\"at_s\":[3000],"
                   "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}}"
                 : "");
}

/* When the backup started at `start_s` became restorable (trace). */
static double restorable_after(const world_result *r, double start_s, double before_s) {
    double found = NAN;
    for (size_t i = 0; i < r->n_trace; i++)
        if (strcmp(r->trace[i].kind, "backup.restorable") == 0 && r->trace[i].time_s >= start_s &&
            r->trace[i].time_s < before_s) {
            assert_true(isnan(found));
            found = r->trace[i].time_s;
        }
    assert_false(isnan(found));
    return found;
}

static void test_link_degradation_slows_backups_and_the_wan(void **state) {
    (void)state;
    world_result base, slow;
    run_json(link_json(false), 1, &base);
    run_json(link_json(true), 1, &slow);
    const incident_record *inc = only_incident(&slow, "link_degradation");
    assert_int_equal(base.n_incidents, 0);
    assert_int_equal(inc->outage, 0);
    assert_true(strcmp(inc->scope, "fleet") == 0);
    const double t_base = restorable_after(&base, 3600, 7200), t_slow = restorable_after(&slow, 3600, 7200);
    printf("link_degradation x4: the 1 h backup restorable at %.3f s (%.3f s undegraded); mean latency %.5f s "
           "(%.5f s)\n",
           t_slow, t_base, slow.metrics.latency_mean_s, base.metrics.latency_mean_s);
    assert_true(fabs(t_base - 3610) < 1e-6);
    assert_true(fabs(t_slow - 3640) < 1e-6);
    /* backups outside the degradation are not slowed */
    assert_true(fabs(restorable_after(&slow, 0, 3600) - 10) < 1e-6);
    assert_true(fabs(restorable_after(&slow, 7200, 1e12) - 7210) < 1e-6);
    /* the WAN round trip: 0.1 s normally, 0.4 s degraded; same queue otherwise */
    size_t n_degraded = 0;
    const double p99_normal = timeline_at(&base, tl_p99, 1800);
    for (size_t i = 0; i < slow.n_timeline; i++) {
        const timeline_record *t = &slow.timeline[i];
        const double m = mid_of(t);
        const double extra = m > 3000 && m < 4800 ? 0.3 : 0;
        n_degraded += extra > 0;
        assert_true(fabs(t->p99_s - (p99_normal + extra)) < 1e-9);
    }
    assert_true(n_degraded >= 30);
    /* the mean latency carries 0.3 s over 30 min of 3 h */
    assert_true(fabs(slow.metrics.latency_mean_s - base.metrics.latency_mean_s - 0.3 * 1800 / 10800) < 1e-6);
    world_result_free(&base);
    world_result_free(&slow);
}

/* ---- full backups slower than their period ----------------------------------------- */
/* A full every 1000 s of 150 GB over 100 MB/s takes 1500 s: the full due at
 * 1000 s is skipped (the one of 0 s is still in flight), the one at 2000 s
 * starts, and so on: a full starts every 2000 s and never two run at once.
 * 20,000 s hold 10 of them, and 10 skipped. */
static void test_slow_fulls_are_skipped_not_piled_up(void **state) {
    (void)state;
    const char *json = "{\"name\":\"skip\",\"horizon_s\":20000,"
                       "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"}]}," TRAFFIC
                       ",\"model\":{\"logical_bytes\":\"150GB\"},"
                       "\"backup\":{\"full_period_s\":1000,\"incremental_period_s\":0,\"bandwidth_bps\":\"100MB/s\","
                       "\"target\":\"cross_region\",\"verify\":false,\"corruption_probability\":0},"
                       "\"failover\":{\"standby\":\"cold\"}}";
    world_result r;
    run_json(json, 1, &r);
    size_t starts = 0, skipped = 0, restorable = 0;
    double in_flight_until = -1;
    for (size_t i = 0; i < r.n_trace; i++) {
        const trace_record *t = &r.trace[i];
        if (strcmp(t->kind, "backup.start") == 0) {
            assert_string_equal(t->entity, "full");
            /* the previous full has landed */
            assert_true(t->time_s >= in_flight_until);
            in_flight_until = INFINITY;
            starts++;
            assert_true(fabs(t->time_s - 2000.0 * (double)(starts - 1)) < 1e-6);
        } else if (strcmp(t->kind, "backup.restorable") == 0) {
            assert_true(isinf(in_flight_until));
            in_flight_until = t->time_s;
            restorable++;
        } else if (strcmp(t->kind, "backup.skipped") == 0) {
            assert_string_equal(t->entity, "full");
            assert_true(isinf(in_flight_until)); /* skipped only while one is in flight */
            skipped++;
        }
    }
    printf("slow fulls: %zu started, %zu restorable, %zu skipped (metrics: %u completed, %u fulls skipped)\n", starts,
           restorable, skipped, r.metrics.backups_completed, r.metrics.fulls_skipped);
    assert_true(r.metrics.fulls_skipped > 0);
    assert_int_equal(r.metrics.fulls_skipped, skipped);
    assert_int_equal(skipped, 10);
    assert_int_equal(r.metrics.backups_completed, 10); /* horizon / 2000 s */
    assert_int_equal(restorable, 10);
    assert_true(starts == 10 || starts == 11); /* a full may start at the horizon itself */
    world_result_free(&r);
}

/* ---- server pools -------------------------------------------------------------------- */
/* Region a: 2000 servers, each up Exp(20 d) and down Exp(4 h); horizon
 * 10 d; 100 replicas. The per-server model (pool_above 0: one incident per
 * failure) and the pool (pool_above 1000, stepped hourly) both estimate
 * the mean number of servers down, each against its own closed form:
 *   per server: n a (1 - (1 - e^(-sT)) / (sT)), the two-state chain's
 *     mean from all up, averaged over [0, T];
 *   pool: (1/K) sum_k n a (1 - e^(-s k h)), k = 0..K-1, the count held
 *     from each step to the next (K = T/h steps of h);
 * with a = lambda/s, s = lambda + mu. The standard error of each mean over
 * 100 replicas is about 0.5 % (stationary variance n a (1 - a), correlation
 * time 1/s); the tolerance is 3 %. Every replica also passes the accounting
 * checks, and the pool writes no incident rows. */
static double pool_mean_down(long pool_above, bool from_incidents) {
    char disasters[512];
    snprintf(disasters, sizeof disasters,
             "{\"kind\":\"server_failure\",\"region\":\"a\",\"pool_above\":%ld,\"pool_step_s\":\"1h\","
             "\"interarrival\":{\"mean_s\":\"20d\"},\"duration\":{\"law\":\"exponential\",\"mean_s\":\"4h\"}}",
             pool_above);
    const char *json = scenario_json("10d",
                                     "{\"name\":\"a\",\"servers\":2000,\"role\":\"primary\"},"
                                     "{\"name\":\"b\",\"servers\":2000,\"role\":\"standby\"}",
                                     SECTIONS_WARM, disasters);
    double sum = 0, T = 10 * 86400.0;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        world_result r;
        run_json(json, seed, &r);
        if (from_incidents) {
            double down_s = 0;
            for (size_t i = 0; i < r.n_incidents; i++)
                if (strcmp(r.incidents[i].kind, "server_failure") == 0)
                    down_s += fmin(r.incidents[i].duration_s, T - r.incidents[i].onset_s);
            sum += down_s / T;
            assert_true(r.metrics.pooled_servers_down_mean == 0);
        } else {
            for (size_t i = 0; i < r.n_incidents; i++) assert_true(strcmp(r.incidents[i].kind, "server_failure") != 0);
            sum += r.metrics.pooled_servers_down_mean;
        }
        world_result_free(&r);
    }
    return sum / 100;
}

static void test_server_pool_matches_the_per_server_model(void **state) {
    (void)state;
    const double n = 2000, T = 10 * 86400.0, h = 3600, lambda = 1 / (20 * 86400.0), mu = 1 / (4 * 3600.0);
    const double s = lambda + mu, a = lambda / s;
    double per_server_form = n * a * (1 - (1 - exp(-s * T)) / (s * T)), pool_form = 0;
    const int K = (int)(T / h);
    for (int k = 0; k < K; k++) pool_form += n * a * (1 - exp(-s * k * h)) / K;
    double per_server = pool_mean_down(0, true), pool = pool_mean_down(1000, false);
    printf("servers down on average: per server %.3f (closed form %.3f), pool %.3f (closed form %.3f)\n", per_server,
           per_server_form, pool, pool_form);
    assert_true(fabs(per_server / per_server_form - 1) < 0.03);
    assert_true(fabs(pool / pool_form - 1) < 0.03);
    assert_true(fabs(pool / per_server - 1) < 0.05);
}

/* A pool that takes a region below min_capacity_fraction causes outages
 * like any server failures: region a (1000 servers, each up Exp(5 d), down
 * Exp(4 h): about 32 down on average) must keep 97 %. Its outages are
 * scoped server:a/pool, fail over, and add up (run_json's checks). */
static void test_server_pool_causes_outages(void **state) {
    (void)state;
    const char *json = scenario_json(
        "5d",
        "{\"name\":\"a\",\"servers\":1000,\"role\":\"primary\"},{\"name\":\"b\",\"servers\":1000,\"role\":\"standby\"}",
        TRAFFIC "," NO_BACKUP ",\"failover\":{" DETECTOR ",\"fencing_s\":5,\"switchover_s\":30,\"standby\":\"warm\","
                "\"standby_capacity_fraction\":1,\"standby_reliability\":1,\"sync_s\":0,\"warmup_s\":10,"
                "\"replication_lag_s\":5,\"failback\":false,\"min_capacity_fraction\":0.97}",
        "{\"kind\":\"server_failure\",\"region\":\"a\",\"interarrival\":{\"mean_s\":\"5d\"},"
        "\"duration\":{\"law\":\"exponential\",\"mean_s\":\"4h\"}}");
    world_result r;
    run_json(json, 1, &r);
    size_t outages = 0;
    for (size_t i = 0; i < r.n_incidents; i++) {
        const incident_record *inc = &r.incidents[i];
        assert_string_equal(inc->scope, "server:a/pool");
        outages += inc->outage;
    }
    printf("pool below min capacity: %zu incidents, %zu outages, %u failovers, %.1f servers down on average\n",
           r.n_incidents, outages, r.metrics.failovers, r.metrics.pooled_servers_down_mean);
    assert_true(outages > 0 && r.metrics.failovers > 0);
    assert_true(r.metrics.pooled_servers_down_mean > 20 && r.metrics.pooled_servers_down_mean < 40);
    world_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_failure_within_capacity),
        cmocka_unit_test(test_server_failures_below_min_capacity_fail_the_region),
        cmocka_unit_test(test_gpu_failure_takes_one_gpu),
        cmocka_unit_test(test_server_pool_matches_the_per_server_model),
        cmocka_unit_test(test_server_pool_causes_outages),
        cmocka_unit_test(test_rack_power_takes_a_rack),
        cmocka_unit_test(test_zone_outage_takes_a_zone),
        cmocka_unit_test(test_zone_outage_of_a_one_zone_region_fails_over),
        cmocka_unit_test(test_region_outage_fails_over),
        cmocka_unit_test(test_region_outage_shorter_than_preparation_aborts),
        cmocka_unit_test(test_wan_partition_of_the_primary_fails_over),
        cmocka_unit_test(test_network_flap_long_enough_is_a_false_failover),
        cmocka_unit_test(test_network_flap_shorter_than_detection_is_ridden_out),
        cmocka_unit_test(test_backup_corruption_pushes_the_restore_back),
        cmocka_unit_test(test_bad_model_push_local_rollback),
        cmocka_unit_test(test_bad_model_push_restore_from_backup),
        cmocka_unit_test(test_traffic_surge_multiplies_the_rate),
        cmocka_unit_test(test_link_degradation_slows_backups_and_the_wan),
        cmocka_unit_test(test_slow_fulls_are_skipped_not_piled_up),
        cmocka_unit_test(test_bad_model_push_serves_worse_rankings),
        cmocka_unit_test(test_overlapping_capacity_faults_repair_only_their_own),
        cmocka_unit_test(test_wan_partition_cuts_off_regional_backups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
