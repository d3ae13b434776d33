/* One story per incident: incidents plus background add up to the replica's
 * totals; RTO parts add up to the RTO; the RTO equals the SLO-missed time
 * charged to the incident when the fault is shorter than the failover (cold,
 * warm and failed standbys, false alarms on flaps); and every exogenous
 * onset is the same whatever the policy (common random numbers). Fixed
 * seeds; the tolerances are rounding (1e-9 relative, 1e-6 s). */
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

static double nan0(double x) { return isfinite(x) ? x : 0; }

static void assert_close(double total, double parts, const char *what) {
    double tol = 1e-9 * fmax(fabs(total), 1.0);
    if (fabs(total - parts) > tol) fail_msg("%s: total %.17g, parts %.17g", what, total, parts);
}

/* The accounting identities every replica must satisfy. */
static void assert_story(const world_result *r) {
    const replica_metrics *m = &r->metrics;
    double failed = m->requests_failed_background, revenue = m->lost_revenue_background,
           slo_min = m->slo_violation_background_min;
    for (size_t i = 0; i < r->n_incidents; i++) {
        const incident_record *x = &r->incidents[i];
        failed += x->requests_failed;
        revenue += x->lost_revenue;
        slo_min += x->slo_missed_s / 60;
        if (x->outage && isfinite(x->rto_s)) {
            double parts = nan0(x->detection_s) + nan0(x->fencing_s) + nan0(x->failed_attempt_s) + nan0(x->transfer_s) +
                           nan0(x->load_s) + nan0(x->switchover_s) + nan0(x->warmup_s) + nan0(x->repair_wait_s);
            if (fabs(parts - x->rto_s) > 1e-6)
                fail_msg("incident %zu (%s): RTO %.9g s, parts %.9g s", i, x->kind, x->rto_s, parts);
        }
    }
    assert_close(m->requests_failed, failed, "requests_failed");
    assert_close(m->lost_revenue, revenue, "lost_revenue");
    assert_close(m->slo_violation_min, slo_min, "slo_violation_min");
}

static void load(scenario *sc, const char *path) {
    char err[1024];
    if (!scenario_load(sc, path, err, sizeof err)) fail_msg("%s", err);
}

static void parse(scenario *sc, const char *json) {
    char err[1024];
    if (!scenario_parse(sc, "test.json", json, err, sizeof err)) fail_msg("%s", err);
}

static void run(const scenario *sc, uint64_t seed, world_result *r) {
    char err[1024];
    if (world_run(sc, NULL, seed, r, err, sizeof err) != 0) fail_msg("%s", err);
    assert_story(r);
}

/* ---- totals ------------------------------------------------------------------ */
static void test_shipped_scenarios_add_up(void **state) {
    (void)state;
    static const char *const files[] = {"scenarios/reference.json",     "scenarios/backup_restore.json",
                                        "scenarios/pilot_light.json",   "scenarios/warm_standby.json",
                                        "scenarios/active_active.json", "scenarios/seed_case.json"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        scenario sc;
        load(&sc, files[f]);
        double charged = 0, background = 0;
        for (uint64_t seed = 1; seed <= 2; seed++) {
            world_result r;
            run(&sc, seed, &r);
            for (size_t i = 0; i < r.n_incidents; i++) charged += r.incidents[i].requests_failed;
            background += r.metrics.requests_failed_background;
            world_result_free(&r);
        }
        printf("%s: failed requests charged to incidents %.4g, background %.4g\n", files[f], charged, background);
        scenario_free(&sc);
    }
}

/* A pool (disasters[].pool_above) keeps the story: the reference with its
 * 16-server regions run as pools adds up as the per-server one does, its
 * server failures have no rows, and the servers it takes down show. */
static void test_pools_add_up(void **state) {
    (void)state;
    scenario sc;
    load(&sc, "scenarios/reference.json");
    size_t pooled = 0;
    for (size_t i = 0; i < sc.disasters.n; i++)
        if (sc.disasters.items[i].kind == DIS_SERVER_FAILURE) {
            sc.disasters.items[i].pool_above = 10;
            pooled++;
        }
    assert_true(pooled > 0);
    double down = 0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        world_result r;
        run(&sc, seed, &r);
        for (size_t i = 0; i < r.n_incidents; i++) assert_true(strcmp(r.incidents[i].kind, "server_failure") != 0);
        down += r.metrics.pooled_servers_down_mean;
        world_result_free(&r);
    }
    printf("reference with pooled server failures: %.4f servers down on average\n", down / 4);
    assert_true(down > 0);
    scenario_free(&sc);
}

/* Request fidelity: failures are counted as requests finish, the SLO per window. */
static void test_request_fidelity_adds_up(void **state) {
    (void)state;
    scenario sc;
    parse(&sc,
          "{\"name\":\"req\",\"horizon_s\":\"2h\","
          "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":2,\"role\":\"primary\"},"
          "{\"name\":\"b\",\"servers\":2,\"role\":\"standby\"}]},"
          "\"traffic\":{\"fidelity\":\"requests\",\"base_qps\":200,\"diurnal_amplitude\":0,"
          "\"weekend_factor\":1,\"segment_s\":\"1m\"},"
          "\"service\":{\"mean_s\":\"10ms\",\"slots_per_server\":4},"
          "\"failover\":{\"standby\":\"warm\",\"standby_capacity_fraction\":0.5},"
          "\"disasters\":[{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"20m\"],"
          "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"30m\"}},"
          "{\"kind\":\"bad_model_push\",\"at_s\":[\"90m\"]},"
          "{\"kind\":\"server_failure\",\"at_s\":[\"100m\"],\"duration\":{\"law\":\"fixed\",\"mean_s\":\"5m\"}}]}");
    world_result r;
    run(&sc, 3, &r);
    assert_true(r.metrics.requests_failed > 0);
    world_result_free(&r);
    scenario_free(&sc);
}

/* A 47 s outage costs 47 s of SLO time at either fidelity: request-level
 * SLO windows end where the serving state changes, as segments do. */
static void test_fidelities_agree_on_slo_time(void **state) {
    (void)state;
    static const char fmt[] =
        "{\"name\":\"short\",\"horizon_s\":\"2h\","
        "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"}]},"
        "\"traffic\":{\"fidelity\":\"%s\",\"base_qps\":200,\"diurnal_amplitude\":0,\"weekend_factor\":1},"
        "\"failover\":{\"standby\":\"cold\"},"
        "\"disasters\":[{\"kind\":\"region_outage\",\"at_s\":[\"1h\"],"
        "\"duration\":{\"law\":\"fixed\",\"mean_s\":47}}]}";
    double availability[2];
    for (int f = 0; f < 2; f++) {
        char json[1024];
        snprintf(json, sizeof json, fmt, f ? "requests" : "segments");
        scenario sc;
        parse(&sc, json);
        world_result r;
        run(&sc, 1, &r);
        availability[f] = r.metrics.availability_time;
        assert_int_equal(r.n_incidents, 1);
        assert_true(fabs(r.incidents[0].rto_s - 47) < 1e-6);
        world_result_free(&r);
        scenario_free(&sc);
    }
    printf("47 s outage in 2 h: time availability %.6f (segments), %.6f (requests), closed form %.6f\n",
           availability[0], availability[1], 1 - 47.0 / 7200);
    assert_true(fabs(availability[0] - (1 - 47.0 / 7200)) < 1e-9);
    assert_true(fabs(availability[1] - (1 - 47.0 / 7200)) < 1e-9);
}

/* ---- RTO against SLO-missed time ------------------------------------------------ */
/* A region outage of fixed length d at 1 h in a 2-region deployment with
 * 4 servers each at light load: whatever ends the outage (the repair before
 * the switch, or the switch), the service misses its SLO exactly as long as
 * the RTO says, and the time is charged to that incident. */
static void outage_case(const char *standby, double reliability, double fault_s, const char *fault_kind, double *rto_s,
                        double *slo_s, incident_record *out) {
    char json[2048];
    snprintf(json, sizeof json,
             "{\"name\":\"short\",\"horizon_s\":\"4h\","
             "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},"
             "{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}]},"
             "\"traffic\":{\"base_qps\":100,\"diurnal_amplitude\":0,\"weekend_factor\":1,\"segment_s\":\"10m\"},"
             "\"backup\":{\"incremental_period_s\":\"15m\",\"full_period_s\":\"1h\"},"
             "\"failover\":{\"standby\":\"%s\",\"standby_reliability\":%g,\"failback\":false,"
             "\"standby_capacity_fraction\":1,\"detector\":{\"type\":\"timeout\"}},"
             "\"disasters\":[{\"kind\":\"%s\",\"region\":\"a\",\"at_s\":[\"1h\"],"
             "\"duration\":{\"law\":\"fixed\",\"mean_s\":%g}}]}",
             standby, reliability, fault_kind, fault_s);
    scenario sc;
    parse(&sc, json);
    world_result r;
    run(&sc, 1, &r);
    assert_int_equal(r.n_incidents, 1);
    *out = r.incidents[0];
    *rto_s = r.incidents[0].rto_s;
    *slo_s = r.incidents[0].slo_missed_s;
    /* all of the SLO violation is this incident's */
    assert_true(fabs(r.metrics.slo_violation_min * 60 - *slo_s) < 1e-6);
    world_result_free(&r);
    scenario_free(&sc);
}

static void test_rto_is_slo_missed_time(void **state) {
    (void)state;
    static const struct {
        const char *standby, *kind;
        double reliability, fault_s;
        bool switched;
    } cases[] = {
        /* repaired while the cold standby is still being provisioned: aborted */
        {"cold", "region_outage", 1, 120, false},
        /* a warm standby prepares in fencing_s (5 s) after detection (about
         * 3 s): repaired before, the failover aborts; after, the switch
         * completes (the repaired primary stays fenced meanwhile) */
        {"warm", "region_outage", 1, 6, false},
        {"warm", "region_outage", 1, 12, true},
        /* the standby fails to come up; the primary returns during the restore */
        {"warm", "region_outage", 0, 466, false},
        /* a fault far longer than any failover */
        {"cold", "region_outage", 1, 7200, true},
        {"warm", "region_outage", 0, 7200, true},
        /* flaps: too short to detect, and long enough to switch (a false alarm) */
        {"hot", "network_flap", 1, 1, false},
        {"hot", "network_flap", 1, 40, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double rto, slo;
        incident_record x;
        outage_case(cases[i].standby, cases[i].reliability, cases[i].fault_s, cases[i].kind, &rto, &slo, &x);
        printf("%-4s standby, reliability %g, %s of %5.0f s: RTO %8.3f s, SLO missed %8.3f s, switched %d, "
               "aborted %d, RPO %g s\n",
               cases[i].standby, cases[i].reliability, cases[i].kind, cases[i].fault_s, rto, slo, x.failed_over,
               x.failover_aborted, x.rpo_s);
        assert_true(fabs(rto - slo) < 1e-6);
        assert_int_equal(x.failed_over, cases[i].switched);
        if (!cases[i].switched) {
            /* the primary carried on: the outage lasted as long as the fault, with no state lost */
            assert_true(fabs(rto - cases[i].fault_s) < 1e-6);
            assert_true(x.rpo_s == 0);
        } else {
            assert_true(rto >= 0 && rto <= cases[i].fault_s + 1e-6 + x.switchover_s + x.warmup_s + x.detection_s +
                                               x.fencing_s + x.failed_attempt_s + x.transfer_s + x.load_s);
            if (strcmp(cases[i].kind, "network_flap") == 0) assert_int_equal(x.false_alarm, 1);
        }
    }
}

/* Active-active: once the load balancer has switched a dead region out,
 * the service is whole again; a server failing elsewhere meanwhile is a
 * capacity fault, not another outage, and the region rejoins when it is
 * repaired (a second region outage then is an outage of its own). */
static void test_active_active_switches_a_region_out(void **state) {
    (void)state;
    scenario sc;
    parse(&sc,
          "{\"name\":\"aa\",\"horizon_s\":\"8h\","
          "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":4,\"role\":\"active\"},"
          "{\"name\":\"b\",\"servers\":4,\"role\":\"active\"},{\"name\":\"c\",\"servers\":4,\"role\":\"active\"}]},"
          "\"traffic\":{\"routing\":\"active_active\",\"base_qps\":100,\"diurnal_amplitude\":0,\"weekend_factor\":1},"
          "\"failover\":{\"standby\":\"hot\",\"detector\":{\"type\":\"timeout\"}},"
          "\"disasters\":[{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"1h\"],"
          "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"2h\"}},"
          "{\"kind\":\"server_failure\",\"region\":\"b\",\"at_s\":[\"2h\"],"
          "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"10m\"}},"
          "{\"kind\":\"region_outage\",\"region\":\"c\",\"at_s\":[\"5h\"],"
          "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"1h\"}}]}");
    world_result r;
    run(&sc, 1, &r);
    int outages = 0;
    for (size_t i = 0; i < r.n_incidents; i++) {
        const incident_record *x = &r.incidents[i];
        if (strcmp(x->kind, "server_failure") == 0) assert_int_equal(x->outage, 0);
        if (x->outage) {
            outages++;
            assert_string_equal(x->kind, "region_outage");
            assert_true(x->rto_s < 600); /* switched out in minutes, not when repaired */
        }
    }
    printf("active-active: %d outages among %zu incidents\n", outages, r.n_incidents);
    assert_int_equal(outages, 2);
    world_result_free(&r);
    scenario_free(&sc);
}

/* ---- common random numbers --------------------------------------------------------- */
typedef struct onset {
    char kind[METRIC_KIND_LEN], scope[METRIC_SCOPE_LEN];
    double onset_s;
} onset;

static int onset_cmp(const void *a, const void *b) {
    const onset *x = a, *y = b;
    if (x->onset_s != y->onset_s) return x->onset_s < y->onset_s ? -1 : 1;
    int c = strcmp(x->kind, y->kind);
    return c ? c : strcmp(x->scope, y->scope);
}

/* The sorted (kind, scope, onset) set of a replica. */
static onset *onsets_of(const scenario *sc, uint64_t seed, size_t *n) {
    world_result r;
    run(sc, seed, &r);
    onset *o = calloc(r.n_incidents + 1, sizeof *o);
    assert_non_null(o);
    for (size_t i = 0; i < r.n_incidents; i++) {
        memcpy(o[i].kind, r.incidents[i].kind, sizeof o[i].kind);
        memcpy(o[i].scope, r.incidents[i].scope, sizeof o[i].scope);
        o[i].onset_s = r.incidents[i].onset_s;
    }
    *n = r.n_incidents;
    qsort(o, *n, sizeof *o, onset_cmp);
    world_result_free(&r);
    return o;
}

static void assert_same_onsets(const scenario *a, const scenario *b, const char *what) {
    for (uint64_t seed = 1; seed <= 3; seed++) {
        size_t na, nb;
        onset *oa = onsets_of(a, seed, &na), *ob = onsets_of(b, seed, &nb);
        if (na != nb) fail_msg("%s, seed %llu: %zu incidents against %zu", what, (unsigned long long)seed, na, nb);
        for (size_t i = 0; i < na; i++)
            if (onset_cmp(&oa[i], &ob[i]) != 0)
                fail_msg("%s, seed %llu: incident %zu is %s %s at %.9g s against %s %s at %.9g s", what,
                         (unsigned long long)seed, i, oa[i].kind, oa[i].scope, oa[i].onset_s, ob[i].kind, ob[i].scope,
                         ob[i].onset_s);
        free(oa);
        free(ob);
    }
}

static void test_strategies_meet_the_same_disasters(void **state) {
    (void)state;
    static const char *const files[] = {"scenarios/pilot_light.json", "scenarios/warm_standby.json",
                                        "scenarios/active_active.json"};
    scenario base;
    load(&base, "scenarios/backup_restore.json");
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        scenario other;
        load(&other, files[f]);
        assert_same_onsets(&base, &other, files[f]);
        scenario_free(&other);
    }
    scenario_free(&base);
}

static void test_policy_keys_keep_onsets(void **state) {
    (void)state;
    scenario base, other;
    load(&base, "scenarios/reference.json");
    load(&other, "scenarios/reference.json");
    other.backup.incremental_period_s = 300;
    other.backup.full_period_s = 43200;
    assert_same_onsets(&base, &other, "backup interval");
    scenario_free(&other);
    load(&other, "scenarios/reference.json");
    other.failover.detector.kind = DETECTOR_PROBE;
    other.failover.detector.accuracy = 0.5;
    other.failover.standby_reliability = 0.3;
    other.failover.local_versions = 0;
    assert_same_onsets(&base, &other, "detector, standby reliability, local versions");
    scenario_free(&other);
    scenario_free(&base);
}

/* The detector's draws for one incident do not move with another's: a bad
 * push's detection time is the same whether or not a region outage (whose
 * detection draws come first) is in the scenario. */
static void test_policy_draws_are_per_incident(void **state) {
    (void)state;
    static const char fmt[] = "{\"name\":\"crn\",\"horizon_s\":\"6h\","
                              "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},"
                              "{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}]},"
                              "\"traffic\":{\"base_qps\":100,\"diurnal_amplitude\":0,\"weekend_factor\":1},"
                              "\"failover\":{\"detector\":{\"type\":\"phi\",\"heartbeat_jitter_s\":0.2}},"
                              "\"disasters\":[{\"kind\":\"bad_model_push\",\"at_s\":[\"3h\"]}%s]}";
    char json[2048];
    double detection[2];
    for (int with_outage = 0; with_outage < 2; with_outage++) {
        snprintf(json, sizeof json, fmt,
                 with_outage ? ",{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"1h\"],"
                               "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"10m\"}}"
                             : "");
        scenario sc;
        parse(&sc, json);
        world_result r;
        run(&sc, 5, &r);
        detection[with_outage] = NAN;
        for (size_t i = 0; i < r.n_incidents; i++)
            if (strcmp(r.incidents[i].kind, "bad_model_push") == 0) detection[with_outage] = r.incidents[i].detection_s;
        world_result_free(&r);
        scenario_free(&sc);
    }
    printf("bad push detected after %.9g s alone, %.9g s after an outage\n", detection[0], detection[1]);
    assert_true(isfinite(detection[0]) && detection[0] == detection[1]);
}

/* Whether an outage's standby comes up does not depend on the detector:
 * a timeout detector that never misses and a jittered phi detector that
 * misses one alarm in five meet the same failed standbys, seed by seed
 * (the outage lasts far longer than any detection, so every failover
 * reaches its standby). */
static void test_standby_failures_do_not_move_with_the_detector(void **state) {
    (void)state;
    static const char fmt[] = "{\"name\":\"crn_standby\",\"horizon_s\":\"1d\","
                              "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},"
                              "{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}]},"
                              "\"traffic\":{\"base_qps\":100,\"diurnal_amplitude\":0,\"weekend_factor\":1},"
                              "\"failover\":{\"standby_reliability\":0.5,\"detector\":%s},"
                              "\"disasters\":[{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"2h\"],"
                              "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"12h\"}}]}";
    static const char *const detectors[] = {
        "{\"type\":\"timeout\",\"accuracy\":1}",
        "{\"type\":\"phi\",\"heartbeat_jitter_s\":0.2,\"accuracy\":0.8}",
    };
    int failed[2][40], n_failed = 0;
    for (size_t d = 0; d < 2; d++) {
        char json[2048];
        snprintf(json, sizeof json, fmt, detectors[d]);
        scenario sc;
        parse(&sc, json);
        for (uint64_t seed = 1; seed <= 40; seed++) {
            world_result r;
            run(&sc, seed, &r);
            failed[d][seed - 1] = -1;
            for (size_t i = 0; i < r.n_incidents; i++)
                if (strcmp(r.incidents[i].kind, "region_outage") == 0)
                    failed[d][seed - 1] = r.incidents[i].failover_failed;
            world_result_free(&r);
        }
        scenario_free(&sc);
    }
    for (int i = 0; i < 40; i++) {
        assert_true(failed[0][i] >= 0);
        if (failed[0][i] != failed[1][i])
            fail_msg("seed %d: the standby %s with one detector, %s with the other", i + 1,
                     failed[0][i] ? "failed" : "came up", failed[1][i] ? "failed" : "came up");
        n_failed += failed[0][i];
    }
    printf("standby failed in %d of 40 seeds with either detector\n", n_failed);
    assert_true(n_failed > 5 && n_failed < 35); /* reliability 0.5: the draw is really made */
}

/* A standby that failed stays counted when the primary's repair ends the
 * outage first: the failover is aborted (its stages left out of the RTO)
 * and failover_failed still says the standby did not come up. */
static void test_failed_standby_counted_when_aborted(void **state) {
    (void)state;
    static const char json[] = "{\"name\":\"aborted\",\"horizon_s\":\"1d\","
                               "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},"
                               "{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}]},"
                               "\"traffic\":{\"base_qps\":100,\"diurnal_amplitude\":0,\"weekend_factor\":1},"
                               "\"model\":{\"logical_bytes\":\"100GB\"},\"backup\":{\"bandwidth_bps\":\"10MB/s\"},"
                               "\"failover\":{\"standby_reliability\":0,\"load_s\":60},"
                               "\"disasters\":[{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"6h\"],"
                               "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"20m\"}}]}";
    scenario sc;
    parse(&sc, json);
    world_result r;
    run(&sc, 1, &r);
    const incident_record *inc = NULL;
    for (size_t i = 0; i < r.n_incidents; i++)
        if (strcmp(r.incidents[i].kind, "region_outage") == 0) inc = &r.incidents[i];
    assert_non_null(inc);
    printf("aborted failover: RTO %.1f s, failover_failed %d, failover_aborted %d, failed_attempt_s %g\n", inc->rto_s,
           inc->failover_failed, inc->failover_aborted, inc->failed_attempt_s);
    assert_int_equal(inc->failover_aborted, 1);
    assert_int_equal(inc->failover_failed, 1);
    assert_true(inc->failed_attempt_s == 0);
    assert_true(fabs(inc->rto_s - 1200) < 1e-6);
    world_result_free(&r);
    scenario_free(&sc);
}

/* ---- real against logical state ------------------------------------------------------ */
/* The same scenario with and without real embedding tables moves the same
 * backup bytes and loses about the same state: the real tables decide what
 * a restore rebuilds, the logical model what crosses the link, by one set
 * of restore rules (bchain_restore and wbak_recovery_point agree). */
static void test_real_state_agrees_with_logical(void **state) {
    (void)state;
    double moved[2] = {0, 0}, rpo[2] = {0, 0}, n_rpo[2] = {0, 0};
    for (int real = 0; real < 2; real++) {
        scenario sc;
        load(&sc, "scenarios/real_state.json");
        sc.model.real.enabled = real;
        sc.model.real.probe_queries = 0;
        for (uint64_t seed = 1; seed <= 6; seed++) {
            world_result r;
            run(&sc, seed, &r);
            moved[real] += r.metrics.backup_bytes_moved;
            for (size_t i = 0; i < r.n_incidents; i++)
                if (r.incidents[i].failed_over && r.incidents[i].rpo_s > 0) {
                    rpo[real] += r.incidents[i].rpo_s;
                    n_rpo[real]++;
                }
            world_result_free(&r);
        }
        scenario_free(&sc);
    }
    printf("logical vs real state: backup bytes %.6g vs %.6g; mean RPO of restores %.1f s (%g) vs %.1f s (%g)\n",
           moved[0], moved[1], rpo[0] / n_rpo[0], n_rpo[0], rpo[1] / n_rpo[1], n_rpo[1]);
    assert_true(fabs(moved[1] / moved[0] - 1) < 0.10);
    assert_true(n_rpo[0] > 0 && n_rpo[0] == n_rpo[1]);
    assert_true(fabs((rpo[1] / n_rpo[1]) / (rpo[0] / n_rpo[0]) - 1) < 0.10);
}

/* ---- caches change nothing ---------------------------------------------------------- */
/* A thread's world cache (queueing states, the quality probe's model) is
 * shared by the replicas it runs: a replica's row is the same bit for bit
 * with no cache, with a fresh one, and after other replicas filled it. */
static void same_row(const replica_metrics *a, const replica_metrics *b, uint64_t seed) {
    replica_metrics x = *a, y = *b;
    x.wall_s = y.wall_s = 0;
    if (memcmp(&x, &y, sizeof x) != 0) fail_msg("seed %llu: rows differ with the cache", (unsigned long long)seed);
}

static void test_shared_cache_changes_nothing(void **state) {
    (void)state;
    scenario sc;
    load(&sc, "scenarios/reference.json");
    enum { N = 4 };
    replica_metrics alone[N];
    for (uint64_t seed = 1; seed <= N; seed++) {
        world_result r;
        run(&sc, seed, &r);
        alone[seed - 1] = r.metrics;
        world_result_free(&r);
    }
    world_cache *cache = world_cache_create();
    assert_non_null(cache);
    const world_options opts = {.backend = REC_BACKEND_CPU, .cache = cache};
    char err[1024];
    for (uint64_t k = 0; k < 2 * N; k++) {
        uint64_t seed = k < N ? N - k : k - N + 1; /* backwards, then forwards */
        world_result r;
        if (world_run(&sc, &opts, seed, &r, err, sizeof err) != 0) fail_msg("%s", err);
        same_row(&alone[seed - 1], &r.metrics, seed);
        world_result_free(&r);
    }
    world_cache_free(cache);
    scenario_free(&sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_scenarios_add_up),
        cmocka_unit_test(test_pools_add_up),
        cmocka_unit_test(test_request_fidelity_adds_up),
        cmocka_unit_test(test_fidelities_agree_on_slo_time),
        cmocka_unit_test(test_rto_is_slo_missed_time),
        cmocka_unit_test(test_active_active_switches_a_region_out),
        cmocka_unit_test(test_strategies_meet_the_same_disasters),
        cmocka_unit_test(test_policy_keys_keep_onsets),
        cmocka_unit_test(test_policy_draws_are_per_incident),
        cmocka_unit_test(test_standby_failures_do_not_move_with_the_detector),
        cmocka_unit_test(test_failed_standby_counted_when_aborted),
        cmocka_unit_test(test_real_state_agrees_with_logical),
        cmocka_unit_test(test_shared_cache_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
