/* models/disaster.c: the table of kinds is complete and agrees with the
 * names list, and the parser takes only the units a kind can apply to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "models/disaster.h"
#include "models/scenario.h"

/* A row left out in the middle of the designated initializers reads as
 * zeros: the _Static_assert on the size cannot see it, this test does. */
static void test_every_kind_has_a_full_row(void **state) {
    (void)state;
    for (int k = 0; k < DIS_KIND_COUNT; k++) {
        const disaster_kind_info *i = &disaster_kinds[k];
        assert_non_null(i->name);
        assert_non_null(i->doc);
        assert_non_null(disaster_kind_names[k]);
        assert_string_equal(i->name, disaster_kind_names[k]);
        assert_true(i->allowed_units & DISASTER_UNIT_BIT(i->default_unit));
    }
    assert_null(disaster_kind_names[DIS_KIND_COUNT]);
}

static void test_only_network_flap_raises_false_alarms(void **state) {
    (void)state;
    for (int k = 0; k < DIS_KIND_COUNT; k++) assert_int_equal(disaster_kinds[k].false_alarm, k == DIS_NETWORK_FLAP);
}

static bool parse_disaster(const char *disaster, char *err, size_t errlen) {
    char text[1024];
    snprintf(text, sizeof text,
             "{\"name\": \"d\", \"topology\": {\"regions\": [{\"name\": \"r\", \"servers\": 2, \"role\": "
             "\"primary\"}]}, \"failover\": {\"standby\": \"cold\"}, \"disasters\": [%s]}",
             disaster);
    scenario sc;
    bool ok = scenario_parse(&sc, "d.json", text, err, errlen);
    scenario_free(&sc);
    return ok;
}

static void test_impossible_unit_is_rejected_with_path_and_reason(void **state) {
    (void)state;
    char err[1024];
    assert_false(parse_disaster("{\"kind\": \"region_outage\", \"per\": \"fleet\", \"at_s\": [60]}", err, sizeof err));
    assert_string_equal(err, "d.json: disasters[0].per: region_outage cannot be per fleet (allowed: region)");
    assert_false(
        parse_disaster("{\"kind\": \"bad_model_push\", \"per\": \"server\", \"at_s\": [60]}", err, sizeof err));
    assert_string_equal(err, "d.json: disasters[0].per: bad_model_push cannot be per server (allowed: fleet)");
}

static void test_default_and_allowed_units_are_accepted(void **state) {
    (void)state;
    char err[1024];
    for (int k = 0; k < DIS_KIND_COUNT; k++) {
        char d[256];
        snprintf(d, sizeof d, "{\"kind\": \"%s\", \"at_s\": [60]}", disaster_kind_names[k]);
        if (!parse_disaster(d, err, sizeof err)) fail_msg("%s: %s", d, err);
        snprintf(d, sizeof d, "{\"kind\": \"%s\", \"per\": \"%s\", \"at_s\": [60]}", disaster_kind_names[k],
                 disaster_unit_names[disaster_kinds[k].default_unit]);
        if (!parse_disaster(d, err, sizeof err)) fail_msg("%s: %s", d, err);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_has_a_full_row),
        cmocka_unit_test(test_only_network_flap_raises_false_alarms),
        cmocka_unit_test(test_impossible_unit_is_rejected_with_path_and_reason),
        cmocka_unit_test(test_default_and_allowed_units_are_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
