/* Tests of models/cfg.c's limits on input (issue 14): the one file reader
 * (regular files within CFG_MAX_FILE_BYTES, nothing that blocks), the JSON
 * check (syntax at least as strict as cJSON, nesting depth, duplicate
 * keys with their path), "did you mean", the smallest positive duration
 * and item indices in error paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/cfg.h"
#include "models/scenario.h"

/* The smallest valid scenario, open for more keys. */
#define MINI "{\"name\": \"a\", \"topology\": {\"regions\": [{\"name\": \"p\"}]}"

static cfg_status parse_json(const char *text, char *err, size_t errlen) {
    cJSON *j = NULL;
    cfg_status st = cfg_parse_json("t.json", text, &j, err, errlen);
    assert_true((st == CFG_OK) == (j != NULL));
    cJSON_Delete(j);
    return st;
}

static void expect_json_error(const char *text, const char *want) {
    char err[512] = "";
    cfg_status st = parse_json(text, err, sizeof err);
    if (st != CFG_EINPUT || !strstr(err, want))
        fail_msg("%s: want input error containing \"%s\", got %d \"%s\"", text, want, (int)st, err);
}

static void test_duplicate_keys_are_errors_with_their_path(void **state) {
    (void)state;
    expect_json_error("{\"name\": \"a\", \"name\": \"b\"}", "t.json: name: duplicate key");
    expect_json_error("{\"backup\": {\"full_period_s\": 1, \"verify\": true, \"full_period_s\": 2}}",
                      "t.json: backup.full_period_s: duplicate key");
    expect_json_error(
        "{\"topology\": {\"regions\": [{\"name\": \"a\"}, {\"name\": \"b\", \"servers\": 1, \"name\": \"c\"}]}}",
        "t.json: topology.regions[1].name: duplicate key");
    /* Same key in different objects, and keys differing in case, are fine. */
    char err[256];
    assert_int_equal(parse_json("{\"a\": {\"x\": 1}, \"b\": {\"x\": 1}, \"X\": 1, \"x\": 2}", err, sizeof err), CFG_OK);
    /* A scenario with a duplicate key is refused (Python keeps the last, cJSON the first). */
    scenario sc;
    assert_false(
        scenario_parse(&sc, "d.json", "{\"name\": \"a\", \"horizon_s\": 60, \"horizon_s\": 120}", err, sizeof err));
    assert_non_null(strstr(err, "d.json: horizon_s: duplicate key"));
    assert_false(sc.out_of_memory);
    scenario_free(&sc);
}

static void test_nesting_depth_and_syntax(void **state) {
    (void)state;
    char text[4 * CFG_MAX_JSON_DEPTH + 16], err[512];
    /* CFG_MAX_JSON_DEPTH levels are accepted, one more is "too deep". */
    for (int deeper = 0; deeper < 2; deeper++) {
        int n = CFG_MAX_JSON_DEPTH + deeper;
        memset(text, '[', (size_t)n);
        memset(text + n, ']', (size_t)n);
        text[2 * n] = '\0';
        cfg_status st = parse_json(text, err, sizeof err);
        assert_int_equal(st, deeper ? CFG_EINPUT : CFG_OK);
        if (deeper) assert_non_null(strstr(err, "too deep"));
    }
    /* 100,000 '[' say "too deep" at the level that is one too many. */
    char *deep = malloc(100001);
    memset(deep, '[', 100000);
    deep[100000] = '\0';
    assert_int_equal(parse_json(deep, err, sizeof err), CFG_EINPUT);
    char want[64];
    snprintf(want, sizeof want, "line 1, column %d: too deep", CFG_MAX_JSON_DEPTH + 1);
    assert_non_null(strstr(err, want));
    free(deep);
    /* Syntax errors keep their position; what cJSON accepts is accepted. */
    expect_json_error("{\"a\": 1,\n \"b\": }", "t.json: line 2, column 7: not valid JSON");
    expect_json_error("{\"a\": 1,}", "not valid JSON");
    expect_json_error("{\"a\": 01}", "not valid JSON");
    expect_json_error("{\"a\": \"\\x\"}", "not valid JSON");
    expect_json_error("{\"a\": \"\\udc00\"}", "not valid JSON");
    expect_json_error("[1] [2]", "not valid JSON");
    expect_json_error("", "not valid JSON");
    assert_int_equal(
        parse_json("\xEF\xBB\xBF {\"a\": [1.5e3, -0, true, false, null, \"\\ud83d\\ude00\\n\"]}\n", err, sizeof err),
        CFG_OK);
}

static void test_did_you_mean(void **state) {
    (void)state;
    const char *const keys[] = {"fencing_s", "switchover_s", "standby", "load_s"};
    assert_string_equal(cfg_did_you_mean("fencng_s", keys, 4), "fencing_s");
    assert_string_equal(cfg_did_you_mean("standbuy", keys, 4), "standby");
    assert_string_equal(cfg_did_you_mean("swithcover_s", keys, 4), "switchover_s"); /* a transposition */
    assert_null(cfg_did_you_mean("heartbeat_s", keys, 4));
    assert_null(cfg_did_you_mean("ld", keys, 4)); /* too short to guess */
    char err[512];
    scenario sc;
    assert_false(scenario_parse(&sc, "k.json", MINI ", \"failover\": {\"fencng_s\": 1}}", err, sizeof err));
    assert_non_null(strstr(err, "k.json: failover.fencng_s: unknown key (did you mean \"fencing_s\"?)"));
    scenario_free(&sc);
    assert_false(scenario_parse(&sc, "k.json", MINI ", \"failover\": {\"zzz\": 1}}", err, sizeof err));
    assert_non_null(strstr(err, "k.json: failover.zzz: unknown key"));
    assert_null(strstr(err, "did you mean"));
    scenario_free(&sc);
}

static void expect_scenario_error(const char *json, const char *want) {
    scenario sc;
    char err[1024] = "";
    bool ok = scenario_parse(&sc, "s.json", json, err, sizeof err);
    scenario_free(&sc);
    if (ok || !strstr(err, want))
        fail_msg("want error containing \"%s\", got %s\"%s\"", want, ok ? "success " : "", err);
}

static void test_durations_below_the_clock_resolution(void **state) {
    (void)state;
    expect_scenario_error(MINI ", \"backup\": {\"incremental_period_s\": 1e-300}}",
                          "s.json: backup.incremental_period_s: must be 0 or at least 1 us");
    expect_scenario_error(MINI ", \"failover\": {\"detector\": {\"heartbeat_s\": \"1ns\"}}}",
                          "s.json: failover.detector.heartbeat_s: must be at least 1 us");
    expect_scenario_error(
        MINI ", \"disasters\": [{\"kind\": \"bad_model_push\", \"interarrival\": {\"mean_s\": \"500ns\"}}]}",
        "s.json: disasters[0].interarrival.mean_s: must be at least 1 us");
    /* 1 us itself, and 0 where 0 means "none", are fine. */
    scenario sc;
    char err[1024];
    assert_true(scenario_parse(&sc, "s.json",
                               "{\"name\": \"a\", \"topology\": {\"regions\": [{\"name\": \"p\"}]}, "
                               "\"failover\": {\"standby\": \"cold\", \"detector\": {\"heartbeat_s\": \"1us\"}}, "
                               "\"backup\": {\"incremental_period_s\": 0}}",
                               err, sizeof err));
    scenario_free(&sc);
}

static void test_item_errors_keep_their_index(void **state) {
    (void)state;
    expect_scenario_error("{\"name\": \"a\", \"topology\": {\"regions\": [{\"name\": \"p\"}, {\"name\": \"q\"}, 7]}}",
                          "s.json: topology.regions[2]: must be an object");
    expect_scenario_error(MINI ", \"disasters\": [{\"kind\": \"region_outage\", \"at_s\": [60]}, \"x\"]}",
                          "s.json: disasters[1]: must be an object");
}

static void test_real_state_ranges_are_the_trainers(void **state) {
    (void)state;
    expect_scenario_error(MINI ", \"model\": {\"real_state\": {\"dim\": 1024}}}",
                          "s.json: model.real_state.dim: must be in [1, 512]");
    expect_scenario_error(MINI ", \"model\": {\"real_state\": {\"probe_queries\": 100000}}}",
                          "s.json: model.real_state.probe_queries: must be in [0, 65536]");
    expect_scenario_error(MINI ", \"model\": {\"real_state\": {\"k\": 500}}}",
                          "s.json: model.real_state.k: must be in [1, 256]");
    expect_scenario_error(MINI ", \"model\": {\"real_state\": {\"enabled\": true, \"tables\": 64, \"rows\": 16777216, "
                               "\"dim\": 512}}}",
                          "s.json: model.real_state.rows: tables x rows x dim x 4 bytes");
}

/* A fresh temporary directory for file tests. */
static void temp_dir(char *dir, size_t len) {
    snprintf(dir, len, "/tmp/firedrill-test-cfg-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void expect_read(const char *path, cfg_status want, const char *reason) {
    char *text = NULL, err[512] = "";
    cfg_status st = cfg_read_file(path, &text, err, sizeof err);
    free(text);
    if (st != want || (reason && !strstr(err, reason)))
        fail_msg("%s: want %d \"%s\", got %d \"%s\"", path, (int)want, reason ? reason : "", (int)st, err);
}

static void test_read_file_limits(void **state) {
    (void)state;
    char dir[64], path[128];
    temp_dir(dir, sizeof dir);
    expect_read(dir, CFG_EINPUT, "it is a directory, not a regular file");
    expect_read("/dev/zero", CFG_EINPUT, "it is a character device, not a regular file");
    snprintf(path, sizeof path, "%s/none.json", dir);
    expect_read(path, CFG_EINPUT, "No such file or directory");
    /* A FIFO without a writer: refused at once, never waited on. */
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    expect_read(path, CFG_EINPUT, "it is a FIFO, not a regular file");
    unlink(path);
    /* One byte over the limit (a sparse file: no disk is used). */
    snprintf(path, sizeof path, "%s/big.json", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)CFG_MAX_FILE_BYTES + 1), 0);
    close(fd);
    expect_read(path, CFG_EINPUT, "larger than the limit of input files (16 MiB)");
    /* At the limit: read (and then rejected as JSON by its NUL bytes). */
    assert_int_equal(truncate(path, (off_t)CFG_MAX_FILE_BYTES), 0);
    expect_read(path, CFG_EINPUT, "a NUL byte at offset 0");
    FILE *f = fopen(path, "w");
    fputs("{\"name\": \"ok\"}", f);
    fclose(f);
    char *text = NULL, err[256];
    assert_int_equal(cfg_read_file(path, &text, err, sizeof err), CFG_OK);
    assert_string_equal(text, "{\"name\": \"ok\"}");
    free(text);
    unlink(path);
    /* scenario_load names the reason too. */
    scenario sc;
    assert_false(scenario_load(&sc, dir, err, sizeof err));
    assert_non_null(strstr(err, "it is a directory"));
    assert_false(sc.out_of_memory);
    scenario_free(&sc);
    rmdir(dir);
}

static void test_event_floor_names_the_largest_source(void **state) {
    (void)state;
    scenario sc;
    char err[1024], why[256];
    assert_true(
        scenario_parse(&sc, "e.json",
                       "{\"name\": \"a\", \"horizon_s\": \"1d\", \"topology\": {\"regions\": [{\"name\": \"p\", "
                       "\"servers\": 10}]}, \"failover\": {\"standby\": \"cold\"}, \"backup\": {\"enabled\": "
                       "false}, \"disasters\": [{\"kind\": \"server_failure\", \"interarrival\": {\"mean_s\": "
                       "\"23h\"}, \"duration\": {\"mean_s\": \"1h\"}}, {\"kind\": \"backup_corruption\", "
                       "\"per\": \"fleet\", \"interarrival\": {\"mean_s\": \"1ms\"}}]}",
                       err, sizeof err));
    /* 10 servers x 1 failure a day, and 86.4 million instant corruptions. */
    double floor_events = scenario_event_floor(&sc, why, sizeof why);
    assert_true(floor_events > 86.4e6 && floor_events < 86.5e6);
    assert_non_null(strstr(why, "disasters[1] (backup_corruption per fleet): 8.64e+07 failures in 1 d"));
    scenario_free(&sc);
}

/* A small reader on the getters that sweep and optimize files use:
 * required keys, raw JSON of checked kinds, list items as templates. */
static void read_small(cfg_obj *root) {
    cfg_require(root, "must");
    cfg_number(root, "must", 0, 0, 10, "", "a required number");
    cfg_number(root, "ratio", 0.5, CFG_GT0, 1, "", "in (0, 1]");
    cfg_json(root, "names", "array:string", "a list of strings");
    cfg_json(root, "limits", "map:number", "numbers by name");
    cfg_json(root, "anything", "any", "any value but null");
    size_t n = cfg_array_size(root, "items", 0, "a list of objects");
    cfg_obj it;
    for (size_t i = 0; i < n; i++)
        if (cfg_enter_item(root, "items", i, &it)) {
            cfg_require(&it, "id");
            cfg_int(&it, "id", 0, 0, 9, "an id");
            cfg_leave(&it);
        }
    cfg_item_template(root, "items", &it);
    cfg_require(&it, "id");
    cfg_int(&it, "id", 0, 0, 9, "an id");
    cfg_leave(&it);
    cfg_leave(root);
}

/* The registry lines (free with cfg_free_keys) and the error, if any. */
typedef struct small {
    char **keys;
    size_t n;
    char err[1024];
} small;

static bool parse_small(const char *text, small *out) {
    cfg_doc doc;
    cJSON *json;
    cfg_obj root;
    if (cfg_open(&doc, "s.json", text, &json, &root)) read_small(&root);
    bool ok = !doc.failed;
    snprintf(out->err, sizeof out->err, "%s", doc.err);
    out->keys = doc.known_keys, out->n = doc.n_known;
    doc.known_keys = NULL, doc.n_known = 0;
    cfg_close(&doc, json);
    return ok;
}

static void expect_small_error(const char *text, const char *want) {
    small sm = {0};
    bool ok = parse_small(text, &sm);
    cfg_free_keys(sm.keys, sm.n);
    if (ok || !strstr(sm.err, want)) fail_msg("%s: want \"%s\", got \"%s\"", text, want, ok ? "success" : sm.err);
}

static void test_required_keys_raw_json_and_templates(void **state) {
    (void)state;
    small doc = {0};
    assert_true(parse_small("{\"must\": 1, \"names\": [\"a\"], \"limits\": {\"x\": 1}, \"anything\": [null]}", &doc));
    /* The registry: required keys marked, list items registered without items. */
    bool required = false, item = false;
    for (size_t i = 0; i < doc.n; i++) {
        required |= strncmp(doc.keys[i], "must\tnumber\t\t" CFG_REQUIRED "\t", 20) == 0;
        item |= strncmp(doc.keys[i], "items[].id\tinteger\t\t" CFG_REQUIRED "\t", 30) == 0;
    }
    assert_true(required && item);
    /* The schema lists them in "required", with maps and lists of kinds. */
    char *schema = cfg_schema_json(doc.keys, doc.n, "t");
    cJSON *s = cJSON_Parse(schema);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(s, "required"), 0)->valuestring, "must");
    const cJSON *props = cJSON_GetObjectItem(s, "properties");
    const cJSON *items = cJSON_GetObjectItem(cJSON_GetObjectItem(props, "items"), "items");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(items, "required"), 0)->valuestring, "id");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "limits"), "additionalProperties"), "type")
            ->valuestring,
        "number");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "names"), "items"), "type")->valuestring,
        "string");
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "must"), "x-default"));
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "ratio"), "exclusiveMinimum")->valueint, 0);
    cJSON_Delete(s);
    free(schema);
    cfg_free_keys(doc.keys, doc.n);

    /* Unknown keys come before missing required ones, so a misspelt
     * required key gets its "did you mean". */
    expect_small_error("{}", "s.json: must: is required");
    expect_small_error("{\"must_\": 1}", "s.json: must_: unknown key (did you mean \"must\"?)");
    expect_small_error("{\"must\": 1, \"items\": [{\"id\": 1}, {}]}", "s.json: items[1].id: is required");
    /* Kinds of raw JSON, with the index or name of the item. */
    expect_small_error("{\"must\": 1, \"names\": [\"a\", 2]}", "s.json: names[1]: must be a string, got a number");
    expect_small_error("{\"must\": 1, \"names\": \"a\"}", "s.json: names: must be a list, got a string");
    expect_small_error("{\"must\": 1, \"limits\": {\"x\": true}}", "s.json: limits.x: must be a number, got a boolean");
    expect_small_error("{\"must\": 1, \"limits\": [1]}", "s.json: limits: must be an object, got a list");
    expect_small_error("{\"must\": 1, \"anything\": null}", "s.json: anything: must not be null");
    /* (0, max] ranges say so. */
    expect_small_error("{\"must\": 1, \"ratio\": 2}", "s.json: ratio: must be in (0, 1], got 2");
    expect_small_error("{\"must\": 1, \"ratio\": 0}", "s.json: ratio: must be > 0, got 0");
    expect_small_error("{\"must\": 11}", "s.json: must: must be in [0, 10], got 11");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_keys_are_errors_with_their_path),
        cmocka_unit_test(test_nesting_depth_and_syntax),
        cmocka_unit_test(test_did_you_mean),
        cmocka_unit_test(test_durations_below_the_clock_resolution),
        cmocka_unit_test(test_item_errors_keep_their_index),
        cmocka_unit_test(test_real_state_ranges_are_the_trainers),
        cmocka_unit_test(test_read_file_limits),
        cmocka_unit_test(test_event_floor_names_the_largest_source),
        cmocka_unit_test(test_required_keys_raw_json_and_templates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
