/* Money against closed forms: the standby cost of idle standbys and of a
 * failover onto a cold standby, replication traffic, the SLA penalty,
 * per-region standby modes, and total cost as the sum of its parts; on the
 * shipped strategies, standby cost rises strictly from backup and restore
 * through pilot light and warm standby to active-active. */
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

static void run_json(const char *json, uint64_t seed, world_result *r) {
    scenario sc;
    char err[1024];
    if (!scenario_parse(&sc, "test.json", json, err, sizeof err)) fail_msg("%s\n%s", err, json);
    if (world_run(&sc, NULL, seed, r, err, sizeof err) != 0) fail_msg("%s", err);
    scenario_free(&sc);
    const replica_metrics *m = &r->metrics;
    double parts = m->standby_cost + m->replication_cost + m->backup_cost + m->lost_revenue + m->penalty_cost;
    assert_true(fabs(m->total_cost - parts) <= 1e-9 * fmax(1, fabs(parts)));
    assert_true(fabs(m->total_cost_per_year - m->total_cost * 365.25 * 86400 / m->horizon_s) <=
                1e-9 * fmax(1, m->total_cost_per_year));
}

/* Three regions, no disasters, 10 days: home a (8 servers, not counted),
 * standby b (10 servers, warm at 30 %, 40/h) and c (6 servers, its own
 * pilot light at 5 %, cost.server_hour 20/h). */
static void test_idle_standbys(void **state) {
    (void)state;
    world_result r;
    run_json("{\"name\":\"idle\",\"horizon_s\":\"10d\","
             "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":8,\"role\":\"primary\"},"
             "{\"name\":\"b\",\"servers\":10,\"role\":\"standby\",\"server_hour_cost\":40},"
             "{\"name\":\"c\",\"servers\":6,\"role\":\"standby\",\"standby\":\"pilot_light\"}]},"
             "\"model\":{\"logical_bytes\":1e11,\"updates_per_s\":1000,\"rows_touched_per_update_fraction\":1e-7},"
             "\"backup\":{\"enabled\":false},"
             "\"failover\":{\"standby\":\"warm\",\"standby_capacity_fraction\":0.3,\"pilot_light_fraction\":0.05,"
             "\"replication_lag_s\":2},"
             "\"cost\":{\"server_hour\":20,\"replication_per_gb\":0.05}}",
             1, &r);
    const double hours = 240;
    double standby = (10 * 0.3 * 40 + 6 * 0.05 * 20) * hours;
    /* b and c both keep a live copy: the rows dirtied per 2 s window, each window */
    double per_s = 1e11 * -expm1(-1000 * 1e-7 * 2) / 2;
    double replication = 2 * per_s * hours * 3600;
    printf("idle standbys: standby cost %.6f (closed form %.6f), replication %.6g bytes (%.6g)\n",
           r.metrics.standby_cost, standby, r.metrics.replication_bytes, replication);
    assert_true(fabs(r.metrics.standby_cost - standby) < 1e-6 * standby);
    assert_true(fabs(r.metrics.replication_bytes - replication) < 1e-9 * replication);
    assert_true(fabs(r.metrics.replication_cost - replication / 1e9 * 0.05) < 1e-9 * r.metrics.replication_cost);
    assert_true(r.metrics.penalty_cost == 0);
    world_result_free(&r);
}

/* A cold standby costs nothing until the failover provisions it: from the
 * detection on, all its servers run until the horizon (no failback). The
 * SLA penalty prices the SLO-violation minutes. */
static void test_cold_failover_runs_the_standby(void **state) {
    (void)state;
    world_result r;
    run_json("{\"name\":\"cold\",\"horizon_s\":\"1d\","
             "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},"
             "{\"name\":\"b\",\"servers\":5,\"role\":\"standby\"}]},"
             "\"traffic\":{\"base_qps\":100,\"diurnal_amplitude\":0,\"weekend_factor\":1},"
             "\"backup\":{\"enabled\":false},"
             "\"failover\":{\"standby\":\"cold\",\"standby_reliability\":1,\"failback\":false},"
             "\"cost\":{\"server_hour\":30,\"sla_penalty_per_min\":100},"
             "\"disasters\":[{\"kind\":\"region_outage\",\"region\":\"a\",\"at_s\":[\"2h\"],"
             "\"duration\":{\"law\":\"fixed\",\"mean_s\":\"10h\"}}]}",
             1, &r);
    assert_int_equal(r.n_incidents, 1);
    const incident_record *x = &r.incidents[0];
    assert_int_equal(x->failed_over, 1);
    double detected = 7200 + x->detection_s;
    double standby = 5 * 30 * (86400 - detected) / 3600;
    printf("cold failover: standby cost %.6f (closed form %.6f), penalty %.2f for %.3f min\n", r.metrics.standby_cost,
           standby, r.metrics.penalty_cost, r.metrics.slo_violation_min);
    assert_true(fabs(r.metrics.standby_cost - standby) < 1e-6 * standby);
    assert_true(r.metrics.replication_cost == 0);
    assert_true(fabs(r.metrics.penalty_cost - 100 * r.metrics.slo_violation_min) < 1e-9 * r.metrics.penalty_cost);
    assert_true(r.metrics.slo_violation_min > 0);
    world_result_free(&r);
}

/* The shipped strategies meet the same disasters; what each keeps running
 * orders them, seed by seed. */
static void test_strategies_standby_cost_rises(void **state) {
    (void)state;
    static const char *const files[] = {"scenarios/backup_restore.json", "scenarios/pilot_light.json",
                                        "scenarios/warm_standby.json", "scenarios/active_active.json"};
    double cost[4][3];
    for (size_t f = 0; f < 4; f++) {
        scenario sc;
        char err[1024];
        if (!scenario_load(&sc, files[f], err, sizeof err)) fail_msg("%s", err);
        for (uint64_t seed = 1; seed <= 3; seed++) {
            world_result r;
            if (world_run(&sc, NULL, seed, &r, err, sizeof err) != 0) fail_msg("%s", err);
            cost[f][seed - 1] = r.metrics.standby_cost;
            world_result_free(&r);
        }
        scenario_free(&sc);
    }
    for (int s = 0; s < 3; s++) {
        printf("seed %d: standby cost %.0f < %.0f < %.0f < %.0f\n", s + 1, cost[0][s], cost[1][s], cost[2][s],
               cost[3][s]);
        for (int f = 1; f < 4; f++) assert_true(cost[f][s] > cost[f - 1][s]);
    }
}

/* Only a standby region stands by. */
static void test_standby_key_only_on_standby_regions(void **state) {
    (void)state;
    scenario sc;
    char err[1024];
    assert_false(scenario_parse(&sc, "bad.json",
                                "{\"name\":\"bad\",\"topology\":{\"regions\":[{\"name\":\"a\",\"role\":\"primary\","
                                "\"standby\":\"warm\"},{\"name\":\"b\",\"role\":\"standby\"}]}}",
                                err, sizeof err));
    printf("%s\n", err);
    assert_non_null(strstr(err, "bad.json: topology.regions[0].standby:"));
    scenario_free(&sc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_standbys),
        cmocka_unit_test(test_cold_failover_runs_the_standby),
        cmocka_unit_test(test_strategies_standby_cost_rises),
        cmocka_unit_test(test_standby_key_only_on_standby_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
