/* Tests of sim/sweep.c (sweep files: expansion, ranges, errors with JSON
 * paths) and sim/sweep_run.c (threads give the same rows as one thread; the
 * journal resumes after a torn final record and never counts a unit twice). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "sim/sweep.h"
#include "sim/sweep_run.h"

#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* Base paths resolve against this (nonexistent) file's directory. */
#define FILE_LABEL "scenarios/sweeps/test.json"

static bool parse(sweep_spec *sw, const char *text, char *err, size_t errlen) {
    return sweep_parse(sw, FILE_LABEL, text, err, errlen);
}

static void expect_error(const char *text, const char *want) {
    sweep_spec sw;
    char err[2048] = "";
    bool ok = parse(&sw, text, err, sizeof err);
    sweep_free(&sw);
    if (ok || !strstr(err, want))
        fail_msg("want error containing \"%s\", got %s \"%s\"", want, ok ? "success" : "", err);
}

static void test_cross_order_and_parameters(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048];
    assert_true(parse(&sw,
                      "{\"name\": \"t\", \"base\": \"../seed_case.json\", \"seeds\": 3, \"first_seed\": 7,"
                      " \"parameters\": [{\"path\": \"backup.incremental_period_s\", \"values\": [60, \"15m\"]},"
                      " {\"path\": \"failover.switchover_s\", \"values\": [1, 2, 3]}]}",
                      err, sizeof err));
    assert_int_equal(sw.n_points, 6);
    assert_string_equal(sw.name, "t");
    assert_int_equal(sweep_units(&sw), 18);
    /* The last parameter varies fastest. */
    assert_string_equal(sw.points[0].parameters, "{\"backup.incremental_period_s\":60,\"failover.switchover_s\":1}");
    assert_string_equal(sw.points[2].parameters, "{\"backup.incremental_period_s\":60,\"failover.switchover_s\":3}");
    assert_string_equal(sw.points[3].parameters,
                        "{\"backup.incremental_period_s\":\"15m\",\"failover.switchover_s\":1}");
    assert_near(sw.points[3].sc.backup.incremental_period_s, 900, 0);
    assert_near(sw.points[5].sc.failover.switchover_s, 3, 0);
    /* Units: (point u / seeds, seed first + u % seeds). */
    assert_int_equal(sweep_unit_point(&sw, 7), 2);
    assert_int_equal(sweep_unit_seed(&sw, 7), 8);
    /* Defaults: metrics and baseline. */
    assert_int_equal(sw.n_metrics, 4);
    assert_int_equal(sw.baseline_point, 0);
    assert_int_equal(strlen(sw.sha256), 64);
    sweep_free(&sw);
}

static void test_zip_and_unequal_lengths(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048];
    assert_true(parse(&sw,
                      "{\"base\": \"../seed_case.json\", \"combine\": \"zip\", \"seeds\": 1,"
                      " \"parameters\": [{\"path\": \"failover.detector.heartbeat_s\", \"values\": [1, 2, 5]},"
                      " {\"path\": \"failover.detector.miss_threshold\", \"values\": [3, 4, 5]}]}",
                      err, sizeof err));
    assert_int_equal(sw.n_points, 3);
    assert_string_equal(sw.name, "test"); /* from the file name */
    assert_near(sw.points[1].sc.failover.detector.heartbeat_s, 2, 0);
    assert_string_equal(sw.points[2].parameters,
                        "{\"failover.detector.heartbeat_s\":5,\"failover.detector.miss_threshold\":5}");
    sweep_free(&sw);
    expect_error("{\"base\": \"../seed_case.json\", \"combine\": \"zip\", \"parameters\": ["
                 "{\"path\": \"failover.switchover_s\", \"values\": [1, 2, 3]},"
                 "{\"path\": \"failover.fencing_s\", \"values\": [1, 2]}]}",
                 FILE_LABEL ": parameters[1]: \"zip\" needs lists of equal length");
}

static void test_linear_and_log_ranges(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048];
    assert_true(
        parse(&sw,
              "{\"base\": \"../seed_case.json\", \"parameters\": ["
              "{\"path\": \"backup.incremental_period_s\", \"log\": {\"from\": 60, \"to\": 14400, \"count\": 5}},"
              "{\"path\": \"failover.switchover_s\", \"linear\": {\"from\": 0, \"to\": 30, \"count\": 4}}]}",
              err, sizeof err));
    assert_int_equal(sw.n_points, 20);
    double r = pow(14400.0 / 60.0, 0.25);
    for (int i = 0; i < 5; i++) {
        double want = i == 0 ? 60 : i == 4 ? 14400 : 60 * pow(r, i);
        assert_near(sw.points[i * 4].sc.backup.incremental_period_s, want, 1e-9 * want);
    }
    for (int j = 0; j < 4; j++) assert_near(sw.points[j].sc.failover.switchover_s, 10.0 * j, 1e-12);
    sweep_free(&sw);
}

static void test_values_of_every_kind(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048];
    /* Booleans, strings, array items and a whole object. */
    assert_true(parse(&sw,
                      "{\"base\": \"../reference.json\", \"combine\": \"zip\", \"set\": {\"horizon_s\": \"1d\"},"
                      " \"parameters\": ["
                      "{\"path\": \"backup.verify\", \"values\": [true, false]},"
                      "{\"path\": \"topology.regions[1].servers\", \"values\": [4, 8]},"
                      "{\"path\": \"failover.detector\", \"values\": [{\"type\": \"timeout\", \"heartbeat_s\": 2},"
                      " {\"type\": \"timeout\", \"heartbeat_s\": 3}]}]}",
                      err, sizeof err));
    assert_int_equal(sw.n_points, 2);
    assert_true(sw.points[0].sc.backup.verify);
    assert_false(sw.points[1].sc.backup.verify);
    assert_int_equal(sw.points[1].sc.regions[1].servers, 8);
    assert_near(sw.points[1].sc.failover.detector.heartbeat_s, 3, 0);
    assert_near(sw.points[0].sc.horizon_s, 86400, 0);
    sweep_free(&sw);
}

static void test_base_dimension(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048];
    assert_true(parse(&sw,
                      "{\"parameters\": [{\"base\": [\"../backup_restore.json\", \"../active_active.json\"]},"
                      " {\"path\": \"failover.fencing_s\", \"values\": [1, 2]}]}",
                      err, sizeof err));
    assert_int_equal(sw.n_points, 4);
    assert_string_equal(sw.points[0].sc.name, "backup_restore");
    assert_string_equal(sw.points[3].sc.name, "active_active");
    assert_string_equal(sw.points[3].parameters, "{\"base\":\"../active_active.json\",\"failover.fencing_s\":2}");
    sweep_free(&sw);
}

static void test_errors_name_file_path_reason(void **state) {
    (void)state;
    const char *b = "{\"base\": \"../seed_case.json\", ";
    char t[1024];
#define E(tail, want)                                                                                                  \
    do {                                                                                                               \
        snprintf(t, sizeof t, "%s%s", b, tail);                                                                        \
        expect_error(t, want);                                                                                         \
    } while (0)
    E("\"parameters\": [{\"path\": \"backup..x\", \"values\": [1]}]}",
      FILE_LABEL ": parameters[0].path: path \"backup..x\": empty key");
    E("\"parameters\": [{\"path\": \"topology.regions[9].servers\", \"values\": [1]}]}",
      "parameters[0].path: path \"topology.regions[9].servers\": topology.regions has 2 item(s), no [9]");
    E("\"parameters\": [{\"path\": \"backup.no_such_key\", \"values\": [1]}]}",
      FILE_LABEL ": points[0]: backup.no_such_key: unknown key");
    E("\"parameters\": [{\"path\": \"failover.switchover_s\", \"values\": [5, -1]}]}",
      FILE_LABEL ": points[1]: failover.switchover_s:");
    E("\"parameters\": [{\"path\": \"failover.switchover_s\", \"values\": [5, -1]}]}",
      "(point parameters {\"failover.switchover_s\":-1})");
    E("\"parameters\": [{\"path\": \"failover.switchover_s\", \"values\": []}]}",
      "parameters[0].values: must be a non-empty list");
    E("\"parameters\": [{\"path\": \"failover.switchover_s\", \"log\": {\"from\": 0, \"to\": 9, \"count\": 3}}]}",
      "parameters[0].log.from: a log range needs from > 0");
    E("\"parameters\": [{\"path\": \"failover.switchover_s\", \"linear\": {\"from\": 0, \"to\": 9}}]}",
      "parameters[0].linear.count: is required");
    E("\"parameters\": [{\"path\": \"failover.switchover_s\", \"values\": [1], \"linear\": {}}]}",
      "parameters[0]: give exactly one of");
    E("\"metrics\": [\"rto_mean_s\", \"nonsense\"]}", FILE_LABEL ": metrics[1]: \"nonsense\" is not a /replicas column");
    E("\"seeds\": 0}", FILE_LABEL ": seeds: must be in [1, 100000000], got 0");
    E("\"baseline_point\": 3}",
      FILE_LABEL ": baseline_point: must be a point index in [0, 0] (the sweep has 1 point(s)), got 3");
    E("\"combine\": \"both\"}", FILE_LABEL ": combine: must be one of cross|zip, got \"both\"");
    E("\"colour\": 1}", FILE_LABEL ": colour: unknown key");
    E("\"set\": {\"horizon_s\": -5}}", FILE_LABEL ": points[0]: horizon_s:");
#undef E
    expect_error("{\"seeds\": 2}", FILE_LABEL ": base: is required");
    expect_error("{\"base\": \"../nope.json\"}", FILE_LABEL ": base: cannot read scenarios/sweeps/../nope.json");
    expect_error("{\"base\": \"../seed_case.json\",", FILE_LABEL ": line 1");
    /* Issue 14: duplicate keys, "did you mean", a directory as base file,
     * nesting depth. */
    expect_error("{\"base\": \"../seed_case.json\", \"seeds\": 2, \"seeds\": 3}", FILE_LABEL ": seeds: duplicate key");
    expect_error(
        "{\"base\": \"../seed_case.json\", \"parameters\": [{\"path\": \"failover.fencing_s\", \"values\": [1],"
        " \"path\": \"failover.switchover_s\"}]}",
        FILE_LABEL ": parameters[0].path: duplicate key");
    expect_error("{\"base\": \"../seed_case.json\", \"seed\": 3}",
                 FILE_LABEL ": seed: unknown key (did you mean \"seeds\"?)");
    expect_error("{\"base\": \"..\"}", FILE_LABEL ": base: cannot read scenarios/sweeps/..: it is a directory");
    expect_error("{\"base\": \"../seed_case.json\", \"set\": {\"x\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                 "[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}",
                 "too deep");
}

/* Issue 14: sweep files are read with models/cfg.c's getters: unknown keys
 * with "did you mean" at every level, paths with their indices, types,
 * ranges, required keys and duplicate keys, each with file, path, reason. */
static void test_errors_of_the_cfg_reader(void **state) {
    (void)state;
    const char *b = "{\"base\": \"../seed_case.json\", ";
    const char *fencing = "{\"path\": \"failover.fencing_s\", ";
    char t[1024];
#define E(tail, want)                                                                                                  \
    do {                                                                                                               \
        snprintf(t, sizeof t, "%s%s", b, tail);                                                                        \
        expect_error(t, FILE_LABEL want);                                                                              \
    } while (0)
#define P(param, want)                                                                                                 \
    do {                                                                                                               \
        snprintf(t, sizeof t, "%s\"parameters\": [{\"path\": \"failover.switchover_s\", \"values\": [1]}, %s%s]}", b,  \
                 fencing, param);                                                                                      \
        expect_error(t, FILE_LABEL want);                                                                              \
    } while (0)
    /* Unknown keys, with a suggestion, at every level. */
    E("\"sede\": 3}", ": sede: unknown key (did you mean \"seeds\"?)");
    P("\"valeus\": [1]}", ": parameters[1].valeus: unknown key (did you mean \"values\"?)");
    P("\"linear\": {\"from\": 1, \"to\": 2, \"cuont\": 2}}",
      ": parameters[1].linear.cuont: unknown key (did you mean \"count\"?)");
    E("\"metrics\": [\"rto_mean_s\", \"rpo_mean\"]}",
      ": metrics[1]: \"rpo_mean\" is not a /replicas column (did you mean \"rpo_mean_s\"?)");
    /* Indices in paths. */
    P("\"values\": [1, 2, null]}", ": parameters[1].values[2]: must not be null");
    expect_error("{\"parameters\": [{\"base\": [\"../seed_case.json\", \"../nope.json\"]}]}",
                 FILE_LABEL ": parameters[0].base[1]: cannot read scenarios/sweeps/../nope.json");
    expect_error("{\"parameters\": [{\"base\": [\"../seed_case.json\", 7]}]}",
                 FILE_LABEL ": parameters[0].base[1]: must be a string, got a number");
    /* Wrong types. */
    E("\"seeds\": \"ten\"}", ": seeds: expected an integer, got a string");
    E("\"seeds\": 2.5}", ": seeds: expected an integer, got 2.5");
    E("\"set\": [1]}", ": set: must be an object, got a list");
    E("\"set\": {\"horizon_s\": null}}", ": set.horizon_s: must not be null");
    E("\"parameters\": {\"path\": \"x\"}}", ": parameters: must be a list");
    P("\"values\": 1}", ": parameters[1].values: must be a list, got a number");
    P("\"linear\": [1, 2]}", ": parameters[1].linear: must be an object");
    P("\"log\": {\"from\": 1, \"to\": 9, \"count\": 3, \"round\": 1}}",
      ": parameters[1].log.round: expected true or false");
    E("\"parameters\": [{\"path\": 5, \"values\": [1]}]}", ": parameters[0].path: expected a string");
    /* Out of range. */
    E("\"first_seed\": -1}", ": first_seed: must be in [0, 9007199254740992], got -1");
    P("\"linear\": {\"from\": 1, \"to\": 2, \"count\": 0}}",
      ": parameters[1].linear.count: must be in [1, 100000], got 0");
    /* Required keys of a range, after its unknown keys. */
    P("\"log\": {\"to\": 9, \"count\": 3}}", ": parameters[1].log.from: is required");
    P("\"log\": {\"form\": 1, \"to\": 9, \"count\": 3}}",
      ": parameters[1].log.form: unknown key (did you mean \"from\"?)");
    /* A duplicate key deep down. */
    P("\"linear\": {\"from\": 1, \"to\": 2, \"count\": 2, \"to\": 3}}", ": parameters[1].linear.to: duplicate key");
    /* A base dimension takes nothing else. */
    expect_error("{\"parameters\": [{\"base\": [\"../seed_case.json\"], \"values\": [1]}]}",
                 FILE_LABEL ": parameters[0].values: not with \"base\"");
#undef P
#undef E
}

/* The key registry behind --list-keys, the schema and the README table. */
static void test_known_keys(void **state) {
    (void)state;
    char **keys;
    size_t n;
    assert_true(sweep_known_keys(&keys, &n));
    static const char *const want[] = {
        "seeds\tinteger\t\t10\t1\t100000000\t", "set\tmap:any\t",
        "parameters[].values\tarray:any\t",     "parameters[].log.count\tinteger\t\t(required)\t1\t100000\t",
        "combine\tenum:cross|zip\t\tcross\t",   "baseline_point\tinteger\t\t0\t0\t99999\t",
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) found = strncmp(keys[i], want[w], strlen(want[w])) == 0;
        if (!found) fail_msg("no registry line starting \"%s\"", want[w]);
    }
    /* Every line has its meaning. */
    for (size_t i = 0; i < n; i++) assert_true(strrchr(keys[i], '\t')[1] != '\0');
    cfg_free_keys(keys, n);
}

/* ---- running ----------------------------------------------------------------------- */

static const char tiny[] = "{\"name\": \"tiny\", \"base\": \"../seed_case.json\", \"seeds\": 3,"
                           " \"set\": {\"horizon_s\": \"2d\", \"disasters[0].interarrival.mean_s\": \"12h\"},"
                           " \"parameters\": [{\"path\": \"failover.switchover_s\", \"values\": [10, 60]}]}";

/* Every column but wall_s (wall-clock time) must match. */
static void assert_same_rows(const replica_metrics *a, const replica_metrics *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        replica_metrics x = a[i], y = b[i];
        x.wall_s = y.wall_s = 0;
        for (size_t f = 0; f < replica_metric_field_count; f++) {
            const metric_field *m = &replica_metric_fields[f];
            assert_memory_equal((const char *)&x + m->offset, (const char *)&y + m->offset, m->size);
        }
    }
}

static void run_all(const sweep_spec *sw, int threads, const char *journal, bool resume, replica_metrics **rows,
                    size_t *n, incident_record **inc, size_t *n_inc, uint64_t *resumed) {
    sweep_opts o = {.shard_k = 0, .shard_n = 1, .resume = resume, .journal_path = journal};
    sweep_exec x;
    char err[1024];
    assert_int_equal(sweep_exec_init(&x, sw, &o, err, sizeof err), SWEEP_OK);
    if (resumed) *resumed = x.n_resumed;
    assert_int_equal(sweep_exec_run_threads(&x, threads, err, sizeof err), SWEEP_OK);
    assert_int_equal(sweep_exec_collect(&x, rows, n, inc, n_inc, err, sizeof err), SWEEP_OK);
    sweep_exec_free(&x);
}

static void test_threads_give_the_same_rows(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048];
    assert_true(parse(&sw, tiny, err, sizeof err));
    replica_metrics *r1, *r2;
    incident_record *i1, *i2;
    size_t n1, n2, m1, m2;
    run_all(&sw, 1, NULL, false, &r1, &n1, &i1, &m1, NULL);
    run_all(&sw, 3, NULL, false, &r2, &n2, &i2, &m2, NULL);
    assert_int_equal(n1, 6);
    assert_int_equal(n2, 6);
    assert_same_rows(r1, r2, n1);
    assert_int_equal(m1, m2);
    assert_true(m1 > 0);
    assert_memory_equal(i1, i2, m1 * sizeof *i1);
    for (size_t i = 0; i < n1; i++) {
        assert_int_equal(r1[i].point, i / 3);
        assert_int_equal(r1[i].seed, 1 + i % 3);
    }
    /* Incidents ordered by (point, seed, id). */
    for (size_t i = 1; i < m1; i++) {
        const incident_record *a = &i1[i - 1], *b = &i1[i];
        assert_true(a->point < b->point ||
                    (a->point == b->point && (a->seed < b->seed || (a->seed == b->seed && a->id < b->id))));
    }
    free(r1), free(r2), free(i1), free(i2);
    sweep_free(&sw);
}

static void test_journal_resumes_after_torn_record(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048], journal[] = "/tmp/firedrill-test-sweep-XXXXXX";
    int fd = mkstemp(journal);
    assert_true(fd >= 0);
    close(fd);
    unlink(journal);
    assert_true(parse(&sw, tiny, err, sizeof err));
    replica_metrics *r1, *r2;
    incident_record *i1, *i2;
    size_t n1, n2, m1, m2;
    uint64_t resumed = 0;
    run_all(&sw, 2, journal, false, &r1, &n1, &i1, &m1, NULL);
    /* The run left its journal (the command removes it after the rename).
     * Tear the final record: resume must keep the 5 whole ones. */
    FILE *f = fopen(journal, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_int_equal(truncate(journal, size - 5), 0);
    /* Without --resume an existing journal is refused. */
    sweep_opts o = {.shard_k = 0, .shard_n = 1, .journal_path = journal};
    sweep_exec x;
    assert_int_equal(sweep_exec_init(&x, &sw, &o, err, sizeof err), SWEEP_EUSAGE);
    assert_non_null(strstr(err, "--resume"));
    sweep_exec_free(&x);
    run_all(&sw, 2, journal, true, &r2, &n2, &i2, &m2, &resumed);
    assert_int_equal(resumed, 5);
    assert_int_equal(n2, n1);
    assert_same_rows(r1, r2, n1);
    assert_int_equal(m1, m2);
    assert_memory_equal(i1, i2, m1 * sizeof *i1);
    free(r2), free(i2);
    /* A second resume finds all 6 and computes nothing; garbage appended
     * after the last record is ignored. */
    f = fopen(journal, "ab");
    fputs("garbage after the last record", f);
    fclose(f);
    run_all(&sw, 2, journal, true, &r2, &n2, &i2, &m2, &resumed);
    assert_int_equal(resumed, 6);
    assert_same_rows(r1, r2, n1);
    /* A journal of another sweep is refused even with --resume. */
    sweep_spec other;
    assert_true(parse(&other, "{\"base\": \"../seed_case.json\", \"seeds\": 6, \"set\": {\"horizon_s\": \"1d\"}}", err,
                      sizeof err));
    o.resume = true;
    assert_int_equal(sweep_exec_init(&x, &other, &o, err, sizeof err), SWEEP_EUSAGE);
    assert_non_null(strstr(err, "belongs to another run, sweep, shard, backend or build"));
    sweep_exec_free(&x);
    sweep_free(&other);
    unlink(journal);
    free(r1), free(r2), free(i1), free(i2);
    sweep_free(&sw);
}

/* A record edited with its checksum recomputed (as a person with a hex
 * editor and xxhsum would) and moved to another replica's (point, seed) is
 * refused: replay checks every record against the slot it claims. */
static void test_journal_record_is_bound_to_its_slot(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048], journal[] = "/tmp/firedrill-test-sweep-XXXXXX";
    int fd = mkstemp(journal);
    assert_true(fd >= 0);
    close(fd);
    unlink(journal);
    assert_true(parse(&sw, tiny, err, sizeof err));
    replica_metrics *r1;
    incident_record *i1;
    size_t n1, m1;
    run_all(&sw, 2, journal, false, &r1, &n1, &i1, &m1, NULL);
    FILE *f = fopen(journal, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    unsigned char *buf = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    /* The first record, after the 128-byte header: its row says the seed
     * of another unit, its incidents too. */
    unsigned char *rec = buf + 128;
    uint32_t n;
    uint64_t unit;
    memcpy(&n, rec + 4, 4);
    memcpy(&unit, rec + 8, 8);
    replica_metrics row;
    memcpy(&row, rec + 16, sizeof row);
    assert_int_equal(row.seed, sweep_unit_seed(&sw, unit));
    uint64_t forged_seed = row.seed == sw.first_seed ? row.seed + 1 : row.seed - 1;
    row.seed = forged_seed;
    row.availability_time = 12345;
    memcpy(rec + 16, &row, sizeof row);
    incident_record *inc = (incident_record *)(void *)(rec + 16 + sizeof row);
    for (uint32_t i = 0; i < n; i++) {
        incident_record one;
        memcpy(&one, &inc[i], sizeof one);
        one.seed = forged_seed;
        memcpy(&inc[i], &one, sizeof one);
    }
    size_t body = 16 + sizeof row + (size_t)n * sizeof(incident_record);
    /* The checksum as the journal computes it: sweep SHA-256, then the record. */
    XXH3_state_t *st = XXH3_createState();
    XXH3_64bits_reset(st);
    XXH3_64bits_update(st, sw.sha256, 64);
    XXH3_64bits_update(st, rec, body);
    uint64_t sum = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    memcpy(rec + body, &sum, 8);
    fseek(f, 0, SEEK_SET);
    assert_int_equal(fwrite(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    free(buf);
    sweep_opts o = {.shard_k = 0, .shard_n = 1, .resume = true, .journal_path = journal};
    sweep_exec x;
    assert_int_equal(sweep_exec_init(&x, &sw, &o, err, sizeof err), SWEEP_EUSAGE);
    char want[256];
    snprintf(want, sizeof want, "record 0 is the slot of point %u seed %llu but holds point %u seed %llu",
             (unsigned)sweep_unit_point(&sw, unit), (unsigned long long)sweep_unit_seed(&sw, unit),
             (unsigned)sweep_unit_point(&sw, unit), (unsigned long long)forged_seed);
    if (!strstr(err, want)) fail_msg("want \"%s\" in \"%s\"", want, err);
    assert_non_null(strstr(err, "--fresh"));
    sweep_exec_free(&x);
    unlink(journal);
    free(r1), free(i1);
    sweep_free(&sw);
}

/* A second executor on the same journal is refused while the first holds
 * it, with a message that says so (not "interrupted"). */
static void test_journal_is_locked_while_in_use(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048], journal[] = "/tmp/firedrill-test-sweep-XXXXXX";
    int fd = mkstemp(journal);
    assert_true(fd >= 0);
    close(fd);
    unlink(journal);
    assert_true(parse(&sw, tiny, err, sizeof err));
    sweep_opts o = {.shard_k = 0, .shard_n = 1, .journal_path = journal};
    sweep_exec a, b;
    assert_int_equal(sweep_exec_init(&a, &sw, &o, err, sizeof err), SWEEP_OK);
    for (int resume = 0; resume < 2; resume++) {
        o.resume = resume;
        assert_int_equal(sweep_exec_init(&b, &sw, &o, err, sizeof err), SWEEP_EUSAGE);
        assert_non_null(strstr(err, "is locked: another firedrill is running into this output"));
        sweep_exec_free(&b);
    }
    /* A failure before any replica finished leaves no journal behind. */
    assert_int_equal(sweep_exec_abandon(&a), 0);
    sweep_exec_free(&a);
    assert_int_equal(access(journal, F_OK), -1);
    /* A symbolic link in its place is not followed. */
    assert_int_equal(symlink("/tmp/firedrill-test-sweep-nowhere", journal), 0);
    o.resume = false;
    assert_int_equal(sweep_exec_init(&b, &sw, &o, err, sizeof err), SWEEP_EUSAGE);
    assert_non_null(strstr(err, "is a symbolic link"));
    sweep_exec_free(&b);
    assert_int_equal(access("/tmp/firedrill-test-sweep-nowhere", F_OK), -1);
    unlink(journal);
    sweep_free(&sw);
}

static void test_shards_partition_the_units(void **state) {
    (void)state;
    sweep_spec sw;
    char err[2048];
    assert_true(parse(&sw, tiny, err, sizeof err));
    replica_metrics *all;
    incident_record *all_inc;
    size_t n_all, m_all;
    run_all(&sw, 2, NULL, false, &all, &n_all, &all_inc, &m_all, NULL);
    size_t seen = 0;
    for (uint32_t k = 0; k < 4; k++) {
        sweep_opts o = {.shard_k = k, .shard_n = 4};
        sweep_exec x;
        replica_metrics *r;
        incident_record *inc;
        size_t n, m;
        assert_int_equal(sweep_exec_init(&x, &sw, &o, err, sizeof err), SWEEP_OK);
        assert_int_equal(sweep_exec_run_threads(&x, 2, err, sizeof err), SWEEP_OK);
        assert_int_equal(sweep_exec_collect(&x, &r, &n, &inc, &m, err, sizeof err), SWEEP_OK);
        for (size_t i = 0; i < n; i++) {
            size_t u = r[i].point * 3 + (r[i].seed - 1);
            assert_int_equal(u % 4, k);
            assert_same_rows(&r[i], &all[u], 1);
        }
        seen += n;
        free(r), free(inc);
        sweep_exec_free(&x);
    }
    assert_int_equal(seen, n_all);
    free(all), free(all_inc);
    sweep_free(&sw);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_order_and_parameters),
        cmocka_unit_test(test_zip_and_unequal_lengths),
        cmocka_unit_test(test_linear_and_log_ranges),
        cmocka_unit_test(test_values_of_every_kind),
        cmocka_unit_test(test_base_dimension),
        cmocka_unit_test(test_errors_name_file_path_reason),
        cmocka_unit_test(test_errors_of_the_cfg_reader),
        cmocka_unit_test(test_known_keys),
        cmocka_unit_test(test_threads_give_the_same_rows),
        cmocka_unit_test(test_journal_resumes_after_torn_record),
        cmocka_unit_test(test_journal_record_is_bound_to_its_slot),
        cmocka_unit_test(test_journal_is_locked_while_in_use),
        cmocka_unit_test(test_shards_partition_the_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
