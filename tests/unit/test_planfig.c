/* models/planfig.c: the figures `firedrill validate` shows a planner, each
 * against its closed form, and the warnings about scenarios that cannot mean
 * what they say. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "models/planfig.h"
#include "models/scenario.h"

#define ONE_REGION "\"topology\": {\"regions\": [{\"name\": \"r\", \"servers\": 2, \"role\": \"primary\"}]}"
/* the model's defaults dirty 59 % of it every 15 min: a quiet one */
#define QUIET      "\"model\": {\"rows_touched_per_update_fraction\": 1e-8}"
#define A_DISASTER "\"disasters\": [{\"kind\": \"region_outage\", \"at_s\": [\"1h\"]}]"

static void parse(scenario *sc, const char *sections) {
    char text[4096], err[1024];
    snprintf(text, sizeof text, "{\"name\": \"p\", \"failover\": {\"standby\": \"cold\"}, %s}", sections);
    if (!scenario_parse(sc, "p.json", text, err, sizeof err)) fail_msg("%s", err);
}

static void figures_of(const char *sections, planfig *f) {
    scenario sc;
    parse(&sc, sections);
    planfig_compute(&sc, f);
    scenario_free(&sc);
}

static void assert_near(double got, double want, double rel) {
    if (!(fabs(got - want) <= rel * fabs(want) + 1e-12)) fail_msg("got %.17g, want %.17g", got, want);
}

/* Incrementals every 15 min between daily fulls: 95 a day (the one falling
 * on the full is skipped), each 1 - exp(-rate * 900) of the model; the link
 * is the narrower backup cap. */
static void test_incremental_backups(void **state) {
    (void)state;
    planfig f;
    figures_of(ONE_REGION ", " A_DISASTER ", \"model\": {\"logical_bytes\": \"100GB\", \"updates_per_s\": 1000,"
                          " \"rows_touched_per_update_fraction\": 1e-6}, \"storage\": "
                          "{\"cross_region_bps\": \"100MB/s\"}, \"backup\": {\"full_period_s\": "
                          "\"1d\", \"incremental_period_s\": \"15m\", \"bandwidth_bps\": \"50MB/s\"}",
               &f);
    const double L = 100e9, bps = 50e6, inc = L * (1 - exp(-1000 * 1e-6 * 900));
    assert_true(f.backups);
    assert_near(f.bandwidth_bps, bps, 1e-12);
    const planfig_backup *full = &f.kind[OVERLOAD_FULL], *part = &f.kind[OVERLOAD_PARTIAL];
    assert_true(full->taken && part->taken);
    assert_near(full->bytes, L, 1e-12);
    assert_near(full->model_share, 1, 1e-12);
    assert_near(full->duration_s, L / bps + 60, 1e-12);
    assert_near(full->ratio, (L / bps + 60) / 86400, 1e-12);
    assert_near(part->bytes, inc, 1e-12);
    assert_near(part->model_share, inc / L, 1e-12);
    assert_near(part->duration_s, inc / bps + 60, 1e-12);
    assert_near(part->ratio, (inc / bps + 60) / 900, 1e-12);
    assert_near(part->per_full_period, 95, 0);
    double rate = (L + 95 * inc) / 86400;
    assert_near(f.bytes_per_s, rate, 1e-12);
    assert_near(f.link_utilisation, rate / bps, 1e-12);
    assert_near(f.bytes_per_day, rate * 86400, 1e-12);
    assert_near(f.bytes_per_30d, rate * 30 * 86400, 1e-12);
    assert_near(f.models_per_day, rate * 86400 / L, 1e-12);
}

/* Differentials every hour between fulls every 4 h: 3 per full, the k-th
 * carrying 1 - exp(-c k) of the model; the size shown is the largest (the
 * full period's age), as the overload check takes it. */
static void test_differential_backups(void **state) {
    (void)state;
    planfig f;
    figures_of(ONE_REGION ", " A_DISASTER ", \"model\": {\"logical_bytes\": \"10GB\", \"updates_per_s\": 1,"
                          " \"rows_touched_per_update_fraction\": 1e-5}, \"backup\": {\"partial\": "
                          "\"differential\", \"full_period_s\": \"4h\", \"incremental_period_s\": "
                          "\"1h\", \"verify\": false}",
               &f);
    const double L = 10e9, c = 1e-5 * 3600;
    const planfig_backup *part = &f.kind[OVERLOAD_PARTIAL];
    assert_near(part->bytes, L * (1 - exp(-4 * c)), 1e-12);
    assert_near(part->per_full_period, 3, 0);
    double moved = 0;
    for (int k = 1; k <= 3; k++) moved += L * (1 - exp(-c * k));
    assert_near(part->bytes_per_s, moved / 14400, 1e-12);
    assert_near(f.bytes_per_s, (L + moved) / 14400, 1e-12);
    assert_near(part->duration_s, L * (1 - exp(-4 * c)) / 100e6, 1e-12); /* no verification */
}

static void test_backups_off_or_partials_none(void **state) {
    (void)state;
    planfig f;
    figures_of(ONE_REGION ", " A_DISASTER ", \"backup\": {\"enabled\": false}", &f);
    assert_false(f.backups);
    assert_false(f.kind[OVERLOAD_FULL].taken);
    assert_near(f.bytes_per_s, 0, 0);
    /* a partial every full period always falls on a full: none is taken */
    figures_of(ONE_REGION ", " A_DISASTER ", \"backup\": {\"full_period_s\": \"1h\", \"incremental_period_s\": \"1h\"}",
               &f);
    assert_true(f.kind[OVERLOAD_FULL].taken);
    assert_false(f.kind[OVERLOAD_PARTIAL].taken);
    assert_near(f.bytes_per_s, 100e9 / 3600, 1e-12);
}

#define SHAPE "\"base_qps\": 1000, \"diurnal_amplitude\": 0.5, \"peak_hour\": 21, \"weekend_factor\": 1.2"

/* The weekly peak is base (1 + a) x weekend at 21:00 on a weekend day; a
 * scripted surge x3 whose plateau starts at 21:00 on Wednesday reaches
 * base (1 + a) x 3; a stochastic traffic_surge may land on the weekly peak. */
static void test_peak_offered_rate(void **state) {
    (void)state;
    planfig f;
    figures_of(ONE_REGION
               ", \"horizon_s\": \"30d\", \"traffic\": {" SHAPE ", \"surges\": [{\"at_s\": 241200, "
               "\"ramp_s\": \"2h\", \"duration_s\": \"1h\", \"multiplier\": 3}]}, \"disasters\": [{\"kind\": "
               "\"traffic_surge\", \"interarrival\": {\"law\": \"exponential\", \"mean_s\": \"14d\"}, "
               "\"multiplier\": 2}]",
               &f);
    assert_near(f.weekly_peak_qps, 1800, 1e-12);
    assert_near(f.surge_peak_qps, 4500, 1e-12);
    assert_near(f.disaster_peak_qps, 3600, 1e-12);
    assert_near(f.peak_qps, 4500, 1e-12);
    assert_int_equal(f.peak_source, PLANFIG_PEAK_SURGE);
    assert_int_equal(f.peak_index, 0);

    /* a bigger stochastic surge wins; a scripted one counts at its onset */
    figures_of(ONE_REGION ", \"horizon_s\": \"30d\", \"traffic\": {" SHAPE "}, \"disasters\": [{\"kind\": "
                          "\"region_outage\", \"at_s\": [\"1h\"]}, {\"kind\": \"traffic_surge\", \"at_s\": [75600], "
                          "\"duration\": {\"law\": \"fixed\", \"mean_s\": \"10m\"}, \"multiplier\": 1.5}, {\"kind\": "
                          "\"traffic_surge\", \"interarrival\": {\"law\": \"exponential\", \"mean_s\": \"14d\"}, "
                          "\"multiplier\": 4}]",
               &f);
    assert_near(f.surge_peak_qps, 0, 0);
    assert_near(f.disaster_peak_qps, 7200, 1e-12);
    assert_near(f.peak_qps, 7200, 1e-12);
    assert_int_equal(f.peak_source, PLANFIG_PEAK_DISASTER);
    assert_int_equal(f.peak_index, 2);
    assert_near(f.peak_multiplier, 4, 0);

    /* within the horizon only: two days hold no weekend, a surge after the end never comes */
    figures_of(ONE_REGION ", \"horizon_s\": \"2d\", \"traffic\": {" SHAPE ", \"surges\": [{\"at_s\": \"3d\", "
                          "\"multiplier\": 10}]}, " A_DISASTER,
               &f);
    assert_near(f.weekly_peak_qps, 1500, 1e-12);
    assert_near(f.peak_qps, 1500, 1e-12);
    assert_int_equal(f.peak_source, PLANFIG_PEAK_WEEKLY);
}

#define FLAT    "\"traffic\": {\"base_qps\": 1000, \"diurnal_amplitude\": 0, \"weekend_factor\": 1}"
#define SERVICE "\"service\": {\"distribution\": \"exponential\", \"mean_s\": 0.01, \"slots_per_server\": 4}"

/* Capacity is servers x slots / mean service time. Routing primary: the
 * primary serves; on its loss the first other region takes over, as the
 * world picks it. */
static void test_capacity_and_n1_primary(void **state) {
    (void)state;
    planfig f;
    figures_of("\"topology\": {\"regions\": [{\"name\": \"a\", \"servers\": 4, \"role\": \"standby\"}, {\"name\": "
               "\"b\", \"servers\": 10, \"role\": \"primary\"}, {\"name\": \"c\", \"servers\": 8, \"role\": "
               "\"standby\"}]}, " FLAT ", " SERVICE ", " A_DISASTER,
               &f);
    assert_near(f.service_s, 0.01, 0);
    assert_near(f.region[0].capacity_qps, 1600, 1e-12);
    assert_near(f.region[1].capacity_qps, 4000, 1e-12);
    assert_near(f.region[2].capacity_qps, 3200, 1e-12);
    assert_true(f.region[1].serves);
    assert_false(f.region[0].serves || f.region[2].serves);
    assert_near(f.peak_qps, 1000, 1e-12);
    assert_near(f.serving_capacity_qps, 4000, 1e-12);
    assert_near(f.utilisation, 0.25, 1e-12);
    assert_int_equal(f.lost_region, 1);
    assert_int_equal(f.takeover_region, 0);
    assert_near(f.n1_capacity_qps, 1600, 1e-12);
    assert_near(f.n1_utilisation, 0.625, 1e-12);

    /* one region: nothing takes over */
    figures_of(ONE_REGION ", " FLAT ", " SERVICE ", " A_DISASTER, &f);
    assert_int_equal(f.takeover_region, -1);
    assert_true(isinf(f.n1_utilisation));
}

/* Active-active: the active regions serve together, the largest is lost,
 * the others carry the peak; standby regions do not serve. A calibrated
 * server's service time is its batch of one. */
static void test_capacity_and_n1_active_active(void **state) {
    (void)state;
    planfig f;
    figures_of("\"topology\": {\"regions\": [{\"name\": \"a\", \"servers\": 4, \"role\": \"active\"}, {\"name\": "
               "\"b\", \"servers\": 10, \"role\": \"active\"}, {\"name\": \"c\", \"servers\": 8, \"role\": "
               "\"active\"}, {\"name\": \"d\", \"servers\": 50, \"role\": \"standby\"}]}, \"traffic\": {\"base_qps\": "
               "1000, \"diurnal_amplitude\": 0, \"weekend_factor\": 1, \"routing\": \"active_active\"}, \"service\": "
               "{\"distribution\": \"calibrated\", \"slots_per_server\": 4, \"calibration_batch_sizes\": [1, 4], "
               "\"calibration_latency_s\": [0.002, 0.004]}, " A_DISASTER,
               &f);
    assert_near(f.service_s, 0.002, 1e-12);
    assert_near(f.serving_capacity_qps, (4 + 10 + 8) * 4 / 0.002, 1e-12);
    assert_false(f.region[3].serves);
    assert_int_equal(f.lost_region, 1);
    assert_int_equal(f.takeover_region, -1);
    assert_near(f.n1_capacity_qps, (4 + 8) * 4 / 0.002, 1e-12);
    assert_near(f.n1_utilisation, 1000 / ((4 + 8) * 4 / 0.002), 1e-12);
}

/* Standing by costs servers x running share x price x 8766 h per region
 * other than the primary: warm runs standby_capacity_fraction, pilot light
 * pilot_light_fraction, cold nothing; a region's own price wins. */
static void test_standby_cost(void **state) {
    (void)state;
    planfig f;
    const char *regions = "\"topology\": {\"regions\": [{\"name\": \"a\", \"servers\": 10, \"role\": \"primary\"}, "
                          "{\"name\": \"b\", \"servers\": 8, \"role\": \"standby\"}, {\"name\": \"c\", \"servers\": "
                          "4, \"role\": \"standby\", \"server_hour_cost\": 20}]}, \"cost\": {\"server_hour\": 10}, ";
    char text[2048];
    snprintf(text, sizeof text, "%s %s", regions,
             "\"failover\": {\"standby\": \"warm\", \"standby_capacity_fraction\": 0.5}, " A_DISASTER);
    scenario sc;
    char err[1024];
    char full[4096];
    snprintf(full, sizeof full, "{\"name\": \"p\", %s}", text);
    if (!scenario_parse(&sc, "p.json", full, err, sizeof err)) fail_msg("%s", err);
    planfig_compute(&sc, &f);
    scenario_free(&sc);
    assert_near(f.region[0].cost_per_year, 0, 0);
    assert_near(f.region[1].running_share, 0.5, 0);
    assert_near(f.region[1].cost_per_year, 8 * 0.5 * 10 * 8766.0, 1e-12);
    assert_near(f.region[2].cost_per_year, 4 * 0.5 * 20 * 8766.0, 1e-12);
    assert_near(f.standby_cost_per_year, (40 + 40) * 8766.0, 1e-12);

    snprintf(full, sizeof full, "{\"name\": \"p\", %s %s}", regions,
             "\"failover\": {\"standby\": \"pilot_light\", \"pilot_light_fraction\": 0.1}, " A_DISASTER);
    if (!scenario_parse(&sc, "p.json", full, err, sizeof err)) fail_msg("%s", err);
    planfig_compute(&sc, &f);
    scenario_free(&sc);
    assert_near(f.standby_cost_per_year, (8 * 0.1 * 10 + 4 * 0.1 * 20) * 8766.0, 1e-12);

    figures_of(ONE_REGION ", " A_DISASTER, &f); /* cold, and nothing but the primary */
    assert_near(f.standby_cost_per_year, 0, 0);
}

/* --- warnings --- */

typedef struct collected {
    int n;
    char msg[8][768];
} collected;

static void collect(void *ctx, const char *msg) {
    collected *c = ctx;
    if (c->n < 8) snprintf(c->msg[c->n], sizeof c->msg[c->n], "%s", msg);
    c->n++;
}

static int warnings_of(const char *sections, collected *c) {
    scenario sc;
    parse(&sc, sections);
    planfig f;
    planfig_compute(&sc, &f);
    memset(c, 0, sizeof *c);
    int n = planfig_warnings(&sc, &f, collect, c);
    scenario_free(&sc);
    assert_int_equal(n, c->n);
    return n;
}

static void test_warnings_onsets_and_nothing_fails(void **state) {
    (void)state;
    collected c;
    assert_int_equal(warnings_of(ONE_REGION ", " QUIET ", " A_DISASTER, &c), 0);
    assert_int_equal(warnings_of(ONE_REGION ", " QUIET, &c), 1);
    assert_string_equal(c.msg[0], "disasters: nothing fails: RTO/RPO will be empty");
    assert_int_equal(warnings_of(ONE_REGION ", " QUIET
                                            ", \"horizon_s\": \"2d\", \"disasters\": [{\"kind\": \"zone_outage\", "
                                            "\"at_s\": [\"1d\"]}, {\"kind\": \"region_outage\", \"at_s\": [\"1d\", "
                                            "\"2d\", \"5d\"]}]",
                                 &c),
                     2);
    assert_string_equal(c.msg[0], "disasters[1].at_s[1]: onset at 2 d is at or beyond horizon_s (2 d): never happens");
    assert_string_equal(c.msg[1], "disasters[1].at_s[2]: onset at 5 d is at or beyond horizon_s (2 d): never happens");
}

/* Differentials of 57.9 % of the model (1 - exp(-0.864)) every hour, fulls
 * daily: 23 differentials a day moving 8.64 models in all; hourly fulls move
 * 24 models a day. */
static void test_warnings_heavy_backups(void **state) {
    (void)state;
    collected c;
    assert_int_equal(warnings_of(ONE_REGION ", " A_DISASTER ", \"model\": {\"updates_per_s\": 1, "
                                            "\"rows_touched_per_update_fraction\": 1e-5}, \"backup\": {\"partial\": "
                                            "\"differential\", \"incremental_period_s\": \"1h\"}",
                                 &c),
                     1);
    assert_string_equal(c.msg[0], "backup.incremental_period_s: each differential carries up to 57.9 % of the model: "
                                  "25.9 TB of backups per 30 days");
    assert_int_equal(warnings_of(ONE_REGION ", " QUIET ", " A_DISASTER ", \"backup\": {\"full_period_s\": \"1h\", "
                                            "\"incremental_period_s\": 0}",
                                 &c),
                     1);
    assert_string_equal(c.msg[0],
                        "backup: backups move 24.0x the model size per day (2.40 TB a day for a 100 GB model)");
    /* switched off, backups warn about nothing */
    assert_int_equal(warnings_of(ONE_REGION ", " A_DISASTER ", \"backup\": {\"enabled\": false, \"full_period_s\": "
                                            "\"1h\"}",
                                 &c),
                     0);
}

static void test_formatting(void **state) {
    (void)state;
    char b[48];
    assert_string_equal(planfig_fmt_bytes(b, sizeof b, 97.3e9, ""), "97.3 GB");
    assert_string_equal(planfig_fmt_bytes(b, sizeof b, 100e9, ""), "100 GB");
    assert_string_equal(planfig_fmt_bytes(b, sizeof b, 4.4e9, ""), "4.40 GB");
    assert_string_equal(planfig_fmt_bytes(b, sizeof b, 999.7e9, ""), "1.00 TB");
    assert_string_equal(planfig_fmt_bytes(b, sizeof b, 100e6, "/s"), "100 MB/s");
    assert_string_equal(planfig_fmt_bytes(b, sizeof b, 0, ""), "0 B");
    assert_string_equal(planfig_fmt_duration(b, sizeof b, 9720), "2 h 42 min");
    assert_string_equal(planfig_fmt_duration(b, sizeof b, 1067), "17 min 47 s");
    assert_string_equal(planfig_fmt_duration(b, sizeof b, 900), "15 min");
    assert_string_equal(planfig_fmt_duration(b, sizeof b, 3600), "1 h");
    assert_string_equal(planfig_fmt_duration(b, sizeof b, 86400), "1 d");
    assert_string_equal(planfig_fmt_duration(b, sizeof b, 3 * 86400 + 4 * 3600), "3 d 4 h");
    assert_string_equal(planfig_fmt_duration(b, sizeof b, 45), "45 s");
    assert_string_equal(planfig_fmt_duration(b, sizeof b, 0.02), "20 ms");
    assert_string_equal(planfig_fmt_grouped(b, sizeof b, 1234567), "1,234,567");
    assert_string_equal(planfig_fmt_grouped(b, sizeof b, 800), "800");
    assert_string_equal(planfig_fmt_money(b, sizeof b, 1149472), "1.15 M");
    assert_string_equal(planfig_fmt_money(b, sizeof b, 0), "0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incremental_backups),
        cmocka_unit_test(test_differential_backups),
        cmocka_unit_test(test_backups_off_or_partials_none),
        cmocka_unit_test(test_peak_offered_rate),
        cmocka_unit_test(test_capacity_and_n1_primary),
        cmocka_unit_test(test_capacity_and_n1_active_active),
        cmocka_unit_test(test_standby_cost),
        cmocka_unit_test(test_warnings_onsets_and_nothing_fails),
        cmocka_unit_test(test_warnings_heavy_backups),
        cmocka_unit_test(test_formatting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
