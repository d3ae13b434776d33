/* Tests of models/jpath.c: the JSON paths of sweep files, `run --set` and
 * the lookups of analysis ("topology.regions[1].servers"). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/jpath.h"

static void expect_bad_path(const char *path, const char *want) {
    jpath p;
    char why[256] = "";
    if (jpath_parse(&p, path, why, sizeof why) || !strstr(why, want))
        fail_msg("%s: want \"%s\", got \"%s\"", path, want, why);
}

static void test_parse_and_format(void **state) {
    (void)state;
    jpath p;
    char why[256], text[128];
    assert_true(jpath_parse(&p, "topology.regions[12].servers", why, sizeof why));
    assert_int_equal(p.n, 4);
    assert_string_equal(p.steps[0].key, "topology");
    assert_true(p.steps[2].is_index);
    assert_int_equal(p.steps[2].index, 12);
    jpath_format(&p, p.n, text, sizeof text);
    assert_string_equal(text, "topology.regions[12].servers");
    jpath_format(&p, 3, text, sizeof text);
    assert_string_equal(text, "topology.regions[12]");
    assert_true(jpath_parse(&p, "[0][1].a", why, sizeof why)); /* a list at the top, a list in a list */
    jpath_format(&p, p.n, text, sizeof text);
    assert_string_equal(text, "[0][1].a");
    expect_bad_path("", "empty path");
    expect_bad_path("a..b", "path \"a..b\": empty key");
    expect_bad_path("a.", "empty key");
    expect_bad_path(".a", "empty key");
    expect_bad_path("a.[0]", "empty key");
    expect_bad_path("a[-1]", "expected [INDEX] with INDEX >= 0 at \"[-1]\"");
    expect_bad_path("a[x]", "expected [INDEX]");
    expect_bad_path("a[1", "expected [INDEX]");
    expect_bad_path("a[0]b", "unexpected \"b\"");
    char deep[256] = "a";
    for (int i = 0; i < JPATH_MAX_STEPS; i++) strcat(deep, ".a");
    expect_bad_path(deep, "is too deep");
}

static void test_get(void **state) {
    (void)state;
    cJSON *doc = cJSON_Parse("{\"horizon_s\": 60, \"topology\": {\"regions\": [{\"servers\": 8}, {\"servers\": 16}]}}");
    const cJSON *v = jpath_get(doc, "topology.regions[1].servers");
    assert_true(cJSON_IsNumber(v));
    assert_int_equal(v->valueint, 16);
    assert_true(cJSON_IsArray(jpath_get(doc, "topology.regions")));
    assert_null(jpath_get(doc, "topology.regions[2].servers"));
    assert_null(jpath_get(doc, "topology.regions.servers")); /* a list is not an object */
    assert_null(jpath_get(doc, "horizon_s[0]"));
    assert_null(jpath_get(doc, "a..b"));
    assert_null(jpath_get(NULL, "a"));
    cJSON_Delete(doc);
}

static void test_set_creates_missing_objects(void **state) {
    (void)state;
    cJSON *root = cJSON_Parse("{\"a\": {\"b\": [1, {\"c\": 2}]}}");
    cJSON *v = cJSON_CreateNumber(5);
    char why[256];
    assert_int_equal(jpath_set(root, "a.b[1].c", v, why, sizeof why), CFG_OK);
    assert_int_equal(jpath_set(root, "x.y.z", v, why, sizeof why), CFG_OK);
    assert_int_equal(jpath_set(root, "a.b[0]", v, why, sizeof why), CFG_OK);
    assert_int_equal(jpath_set(root, "a.b.c", v, why, sizeof why), CFG_EINPUT);
    assert_string_equal(why, "path \"a.b.c\": a.b is not an object");
    assert_int_equal(jpath_set(root, "q[0]", v, why, sizeof why), CFG_EINPUT);
    assert_string_equal(why, "path \"q[0]\": q is absent, cannot index it");
    assert_int_equal(jpath_set(root, "a.b[9]", v, why, sizeof why), CFG_EINPUT);
    assert_string_equal(why, "path \"a.b[9]\": a.b has 2 item(s), no [9]");
    assert_int_equal(jpath_set(root, "[0]", v, why, sizeof why), CFG_EINPUT);
    assert_string_equal(why, "path \"[0]\": the top level is not an array");
    assert_int_equal(jpath_set(root, "a..b", v, why, sizeof why), CFG_EINPUT);
    char *s = cJSON_PrintUnformatted(root);
    assert_string_equal(s, "{\"a\":{\"b\":[5,{\"c\":5}]},\"x\":{\"y\":{\"z\":5}}}");
    free(s);
    cJSON_Delete(v);
    cJSON_Delete(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_set_creates_missing_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
