/* Statistics of analysis/summary.c against hand-computed values, the
 * results reader analysis/h5in.c on files written by sim/h5out.c (and a
 * /points table shaped as the sweep writes it), and the report's
 * recommendation rule.
 *
 * t quantiles used below (tables): t(0.975; 4) = 2.776445105,
 * t(0.95; 4) = 2.131846786, t(0.975; 2) = 4.302652730. */
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

#include <hdf5.h>

#include "analysis/h5in.h"
#include "analysis/report.h"
#include "analysis/summary.h"
#include "sim/h5out.h"

static void assert_close(double got, double want, double tol) {
    if (!(fabs(got - want) <= tol)) fail_msg("got %.17g, want %.17g (tol %g)", got, want, tol);
}

/* ---- statistics ------------------------------------------------------------------- */

static void test_stat_hand_values(void **state) {
    (void)state;
    /* x = 1 2 3 4 10 (and a NaN, left out): mean 4, sd sqrt(50/4) = 3.5355339,
     * se = sd/sqrt(5) = 1.5811388; half width 2.776445105 * se = 4.3899452;
     * one-sided bound 4 + 2.131846786 * se = 7.3707457. GSL quantiles
     * interpolate at f (n - 1): p95 at 3.8 -> 4 + 0.8 * 6 = 8.8, p99 at
     * 3.96 -> 4 + 0.96 * 6 = 9.76. */
    const double x[] = {3, 1, NAN, 10, 2, 4};
    summary_stat s;
    assert_int_equal(summary_stat_compute(x, 6, 0.95, &s), SUMMARY_OK);
    assert_int_equal(s.n, 5);
    assert_close(s.mean, 4.0, 1e-12);
    assert_close(s.sd, 3.5355339059327378, 1e-12);
    assert_close(s.ci_lo, 4.0 - 4.389945165, 1e-7);
    assert_close(s.ci_hi, 4.0 + 4.389945165, 1e-7);
    assert_close(s.upper, 4.0 + 3.370745733, 1e-7);
    assert_close(s.median, 3.0, 1e-12);
    assert_close(s.p95, 8.8, 1e-12);
    assert_close(s.p99, 9.76, 1e-12);
    assert_close(s.min, 1.0, 0);
    assert_close(s.max, 10.0, 0);
}

static void test_stat_small_samples(void **state) {
    (void)state;
    summary_stat s;
    const double one[] = {NAN, 7};
    assert_int_equal(summary_stat_compute(one, 2, 0.95, &s), SUMMARY_OK);
    assert_int_equal(s.n, 1);
    assert_close(s.mean, 7, 0);
    assert_close(s.median, 7, 0);
    assert_true(isnan(s.ci_lo) && isnan(s.ci_hi) && isnan(s.upper)); /* no interval from one value */
    const double none[] = {NAN, INFINITY};
    assert_int_equal(summary_stat_compute(none, 2, 0.95, &s), SUMMARY_OK);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mean) && isnan(s.median) && isnan(s.p99));
}

static void test_paired(void **state) {
    (void)state;
    /* Seeds in both with finite values: 2, 3, 4 -> d = 12-11, 14-12, 20-15 =
     * 1, 2, 5: mean 8/3, sd 2.0816660, se 1.2018504, half width
     * 4.302652730 * se = 5.1711450. Seed 6 is NaN in the point; seed 1 and 5
     * are in one list only; the second row of seed 2 is ignored. */
    const double seeds[] = {1, 2, 3, 4, 6, 2}, vals[] = {10, 12, 14, 20, NAN, 99};
    const double bseeds[] = {5, 4, 3, 2, 6}, bvals[] = {0, 15, 12, 11, 3};
    summary_diff d;
    assert_int_equal(summary_paired(seeds, vals, 6, bseeds, bvals, 5, 0.95, &d), SUMMARY_OK);
    assert_int_equal(d.n, 3);
    assert_close(d.mean, 8.0 / 3.0, 1e-12);
    assert_close(d.ci_lo, 8.0 / 3.0 - 5.171145013, 1e-7);
    assert_close(d.ci_hi, 8.0 / 3.0 + 5.171145013, 1e-7);
    /* Nothing in common: n = 0, NaN. */
    const double other[] = {100, 101}, ov[] = {1, 2};
    assert_int_equal(summary_paired(other, ov, 2, bseeds, bvals, 5, 0.95, &d), SUMMARY_OK);
    assert_int_equal(d.n, 0);
    assert_true(isnan(d.mean));
}

static void test_params_and_json(void **state) {
    (void)state;
    const char *p = "{\"backup.incremental_period_s\": 900, \"failover.standby\": \"warm\"}";
    double v;
    char buf[64];
    assert_true(summary_param_number(p, "backup.incremental_period_s", &v));
    assert_close(v, 900, 0);
    assert_false(summary_param_number(p, "failover.standby", &v));
    assert_true(summary_param_text(p, "failover.standby", buf, sizeof buf));
    assert_string_equal(buf, "warm");
    assert_false(summary_param_text(p, "nope", buf, sizeof buf));
    char label[256];
    summary_point_label(p, label, sizeof label);
    assert_string_equal(label, "backup.incremental_period_s=900, failover.standby=warm");
    summary_point_label("{}", label, sizeof label);
    assert_string_equal(label, "base configuration");
    const char *doc = "{\"horizon_s\": 60, \"topology\": {\"regions\": [{\"servers\": 8}, {\"servers\": 16}]}}";
    assert_true(summary_json_number(doc, "topology.regions[1].servers", &v));
    assert_close(v, 16, 0);
    assert_true(summary_json_number(doc, "horizon_s", &v));
    assert_false(summary_json_number(doc, "topology.regions[2].servers", &v));
    assert_false(summary_json_number(doc, "topology", &v));
}

/* ---- files ------------------------------------------------------------------------- */

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

/* Two points, three seeds each; point 1 = point 0 + 2 s of RTO per seed
 * except seed 3 (+5 s), so the paired difference is 3 +- a little while the
 * unpaired spread is large. Seed 2 has no outage (NaN RTO) at point 1. */
static int write_fixture(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx) return -1;
    *state = fx; /* the teardown frees it even when setup fails below */
    snprintf(fx->dir, sizeof fx->dir, "/tmp/firedrill_test_summary_XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    snprintf(fx->path, sizeof fx->path, "%s/r.h5", fx->dir);
    replica_metrics rows[6];
    memset(rows, 0, sizeof rows);
    const double rto0[] = {100, 300, 1000};
    for (int i = 0; i < 6; i++) {
        rows[i].point = (uint32_t)(i / 3);
        rows[i].seed = (uint64_t)(i % 3 + 1);
        rows[i].horizon_s = 86400;
        rows[i].rto_mean_s = rto0[i % 3] + (i / 3 ? (i % 3 == 2 ? 5 : 2) : 0);
        rows[i].backup_cost = 10.0 * (i / 3 + 1);
        rows[i].availability_time = 0.99;
    }
    rows[4].rto_mean_s = NAN;
    incident_record inc[2];
    memset(inc, 0, sizeof inc);
    snprintf(inc[0].kind, sizeof inc[0].kind, "region_outage");
    snprintf(inc[1].kind, sizeof inc[1].kind, "network_flap");
    inc[0].seed = inc[1].seed = 1;
    inc[0].rto_s = 100;
    inc[1].rto_s = NAN;
    inc[0].outage = 1;
    h5out_meta meta = {"0.0.0", "test", "fixture", "abc", "cpu", "test", "{}", "{\"horizon_s\": 86400}"};
    char err[256];
    return h5out_write(fx->path, &meta, rows, 6, inc, 2, NULL, 0, err, sizeof err) == 0 ? 0 : -1;
}

static int remove_fixture(void **state) {
    fixture *fx = *state;
    if (!fx) return 0;
    int rc = 0;
    if (fx->dir[0] && strstr(fx->dir, "XXXXXX") == NULL) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
        rc = system(cmd);
    }
    free(fx);
    return rc == 0 ? 0 : -1;
}

static void test_read_file(void **state) {
    fixture *fx = *state;
    char err[512];
    h5in_file *f = h5in_open(fx->path, err, sizeof err);
    assert_non_null(f);
    h5in_table rep, inc;
    assert_int_equal(h5in_table_read(f, "replicas", &rep, err, sizeof err), H5IN_OK);
    assert_int_equal(rep.n_rows, 6);
    const h5in_column *c = h5in_column_find(&rep, "rto_mean_s");
    assert_non_null(c);
    assert_string_equal(c->unit, "s");
    assert_close(c->values[5], 1005, 0);
    assert_null(h5in_column_find(&rep, "no_such_column"));
    assert_int_equal(h5in_table_read(f, "incidents", &inc, err, sizeof err), H5IN_OK);
    const h5in_column *kind = h5in_column_find(&inc, "kind");
    assert_true(kind && kind->is_string);
    assert_string_equal(h5in_string_at(kind, 1), "network_flap");
    char *name;
    assert_int_equal(h5in_attr_string(f, "scenario_name", &name, err, sizeof err), H5IN_OK);
    assert_string_equal(name, "fixture");
    free(name);
    char *resolved;
    assert_int_equal(h5in_string_dataset(f, "/scenario/resolved", &resolved, err, sizeof err), H5IN_OK);
    assert_string_equal(resolved, "{\"horizon_s\": 86400}");
    free(resolved);
    h5in_table none;
    assert_int_equal(h5in_table_read(f, "nothing", &none, err, sizeof err), H5IN_EINPUT);
    assert_non_null(strstr(err, "r.h5"));

    /* Without /points: one point per distinct point column value, "{}". */
    h5in_points pts;
    assert_int_equal(h5in_points_read(f, &rep, &pts, err, sizeof err), H5IN_OK);
    assert_int_equal(pts.n, 2);
    assert_int_equal(pts.index[1], 1);
    assert_string_equal(pts.parameters[0], "{}");

    /* Point 1 against point 0: RTO 102, 1005 (seed 2 NaN) vs 100, 300, 1000:
     * paired d = 2, 5 -> mean 3.5; unpaired point 1 mean 553.5. */
    const char *metrics[] = {"rto_mean_s", "backup_cost"};
    summary s;
    assert_int_equal(summary_build(&s, &rep, &pts, metrics, 2, 0, 0.95, err, sizeof err), SUMMARY_OK);
    const summary_cell *cell = summary_cell_at(&s, 1, 0);
    assert_int_equal(cell->stat.n, 2);
    assert_close(cell->stat.mean, 553.5, 1e-9);
    assert_int_equal(cell->diff.n, 2);
    assert_close(cell->diff.mean, 3.5, 1e-12);
    /* sd of (2, 5) = 2.1213203, t(0.975; 1) = 12.706204736: half 19.0593071. */
    assert_close(cell->diff.ci_hi - cell->diff.mean, 12.706204736 * 2.1213203436 / sqrt(2.0), 1e-6);
    assert_close(summary_cell_at(&s, 1, 1)->diff.mean, 10, 1e-12);
    assert_int_equal(summary_cell_at(&s, 0, 0)->diff.n, 0);
    assert_string_equal(s.units[0], "s");

    /* CSV: header, then point 1's RTO row with its paired difference. */
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    summary_print_csv(&s, mem);
    fclose(mem);
    assert_non_null(strstr(text, "point,parameters,metric,unit,n,mean,ci_low,ci_high"));
    assert_non_null(strstr(text, "\n1,\"{}\",rto_mean_s,s,2,553.5,"));
    free(text);
    summary_free(&s);

    const char *bad[] = {"kind"};
    assert_int_equal(summary_build(&s, &rep, &pts, bad, 1, 0, 0.95, err, sizeof err), SUMMARY_EINPUT);
    assert_int_equal(summary_build(&s, &rep, &pts, metrics, 1, 7, 0.95, err, sizeof err), SUMMARY_EINPUT);
    assert_non_null(strstr(err, "baseline point 7"));

    h5in_points_free(&pts);
    h5in_table_free(&rep);
    h5in_table_free(&inc);
    h5in_close(f);
}

static void test_open_errors(void **state) {
    fixture *fx = *state;
    char err[512], path[160];
    snprintf(path, sizeof path, "%s/missing.h5", fx->dir);
    assert_null(h5in_open(path, err, sizeof err));
    assert_non_null(strstr(err, "missing.h5: no such file"));
    snprintf(path, sizeof path, "%s/text.h5", fx->dir);
    FILE *t = fopen(path, "w");
    fputs("not hdf5\n", t);
    fclose(t);
    assert_null(h5in_open(path, err, sizeof err));
    assert_non_null(strstr(err, "not an HDF5 file"));
}

/* A /points table as the sweep writes it: point index, parameters as a
 * variable-length string, the point's scenario SHA as a fixed string;
 * written out of order to check the sort. */
static void test_points_table(void **state) {
    fixture *fx = *state;
    typedef struct prow {
        uint32_t point;
        const char *parameters;
        char sha[9];
    } prow;
    prow rows[] = {{1, "{\"failover.standby\": \"cold\"}", "bbbbbbbb"},
                   {0, "{\"failover.standby\": \"hot\"}", "aaaaaaaa"}};
    hid_t file = H5Fopen(fx->path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t vstr = H5Tcopy(H5T_C_S1), fstr = H5Tcopy(H5T_C_S1);
    H5Tset_size(vstr, H5T_VARIABLE);
    H5Tset_size(fstr, 9);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(prow));
    H5Tinsert(t, "point", offsetof(prow, point), H5T_NATIVE_UINT32);
    H5Tinsert(t, "parameters", offsetof(prow, parameters), vstr);
    H5Tinsert(t, "scenario_sha256", offsetof(prow, sha), fstr);
    hsize_t dims[1] = {2};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(file, "points", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0);
    H5Dclose(d);
    H5Sclose(space);
    H5Tclose(t);
    H5Tclose(vstr);
    H5Tclose(fstr);
    H5Fclose(file);

    char err[512];
    h5in_file *f = h5in_open(fx->path, err, sizeof err);
    assert_non_null(f);
    h5in_table rep;
    assert_int_equal(h5in_table_read(f, "replicas", &rep, err, sizeof err), H5IN_OK);
    h5in_points pts;
    assert_int_equal(h5in_points_read(f, &rep, &pts, err, sizeof err), H5IN_OK);
    assert_int_equal(pts.n, 2);
    assert_int_equal(pts.index[0], 0);
    assert_string_equal(pts.parameters[0], "{\"failover.standby\": \"hot\"}");
    assert_string_equal(pts.sha256[1], "bbbbbbbb");
    char **keys;
    size_t n_keys;
    assert_int_equal(summary_param_keys(&pts, &keys, &n_keys), SUMMARY_OK);
    assert_int_equal(n_keys, 1);
    assert_string_equal(keys[0], "failover.standby");
    free(keys[0]);
    free(keys);
    h5in_points_free(&pts);
    h5in_table_free(&rep);
    h5in_close(f);
}

/* ---- the recommendation ----------------------------------------------------------- */

/* An in-memory /replicas table of numeric columns. */
static void table_init(h5in_table *t, size_t n_rows, const char *const *names, size_t n_cols) {
    t->n_rows = n_rows;
    t->n_cols = n_cols;
    t->cols = calloc(n_cols, sizeof *t->cols);
    for (size_t c = 0; c < n_cols; c++) {
        t->cols[c].name = strdup(names[c]);
        t->cols[c].unit = strdup("s");
        t->cols[c].values = calloc(n_rows, sizeof(double));
    }
}

static void test_recommend(void **state) {
    (void)state;
    /* Three strategies x 4 seeds, equal backup cost: hot, cold, warm. Cold's
     * p95 RTO is ~5000 s, warm's ~600 s, hot's ~100 s. */
    static const char *const names[] = {"point", "seed", REPORT_RTO_METRIC, REPORT_RPO_METRIC, "backup_cost"};
    h5in_table t;
    table_init(&t, 12, names, 5);
    const double rto[] = {100, 5000, 600};
    for (size_t r = 0; r < 12; r++) {
        size_t p = r / 4;
        t.cols[0].values[r] = (double)p;
        t.cols[1].values[r] = (double)(r % 4 + 1);
        t.cols[2].values[r] = rto[p] + (double)(r % 4) * 10;
        t.cols[3].values[r] = 300 + (double)(r % 4);
        t.cols[4].values[r] = 50;
    }
    uint32_t idx[] = {0, 1, 2};
    char *params[] = {"{\"failover.standby\": \"hot\"}", "{\"failover.standby\": \"cold\"}",
                      "{\"failover.standby\": \"warm\"}"};
    char *shas[] = {"", "", ""};
    h5in_points pts = {3, idx, params, shas, NULL};
    const char *metrics[] = {REPORT_RTO_METRIC, REPORT_RPO_METRIC, "backup_cost"};
    summary s;
    char err[256];
    assert_int_equal(summary_build(&s, &t, &pts, metrics, 3, 0, 0.95, err, sizeof err), SUMMARY_OK);
    /* Warm: mean 615, sd 12.909944, bound 615 + 2.353363435 * 6.454972 = 630.19. */
    report_verdict v = report_check(&s, 2, 3600, 900);
    assert_true(v.meets_rto && v.meets_rpo);
    assert_close(v.rto_bound_s, 615 + 2.353363435 * 12.909944487 / 2, 1e-6);
    assert_false(report_check(&s, 1, 3600, 900).meets_rto);
    /* Cold misses the RTO: warm is the fewest resources that meets it. */
    assert_int_equal(report_recommend(&s, 3600, 900), 2);
    /* Without targets every point qualifies: cold is cheapest in standby. */
    assert_int_equal(report_recommend(&s, NAN, NAN), 1);
    /* A tighter RTO leaves only hot; an impossible RPO leaves nothing. */
    assert_int_equal(report_recommend(&s, 200, NAN), 0);
    assert_int_equal(report_recommend(&s, NAN, 10), -1);
    summary_free(&s);
    /* Lower backup cost wins before standby resources. */
    for (size_t r = 0; r < 4; r++) t.cols[4].values[r] = 40;
    assert_int_equal(summary_build(&s, &t, &pts, metrics, 3, 0, 0.95, err, sizeof err), SUMMARY_OK);
    assert_int_equal(report_recommend(&s, NAN, NAN), 0);
    summary_free(&s);
    /* A sweep over base files: the points' own scenarios say which standby
     * they keep (equal cost again; the pilot light is the least). */
    for (size_t r = 0; r < 4; r++) t.cols[4].values[r] = 50;
    char *bases[] = {"{\"base\": \"a/hot.json\"}", "{\"base\": \"a/warm.json\"}", "{\"base\": \"a/pl.json\"}"};
    char *scen[] = {"{\"failover\": {\"standby\": \"hot\"}}",
                    "{\"failover\": {\"standby\": \"warm\", \"standby_capacity_fraction\": 0.25}}",
                    "{\"failover\": {\"standby\": \"pilot_light\"}}"};
    h5in_points by_base = {3, idx, bases, shas, scen};
    assert_int_equal(summary_build(&s, &t, &by_base, metrics, 3, 0, 0.95, err, sizeof err), SUMMARY_OK);
    assert_int_equal(report_recommend(&s, NAN, NAN), 2);
    char label[128];
    summary_point_label(bases[2], label, sizeof label);
    assert_string_equal(label, "base=pl.json");
    summary_free(&s);
    h5in_table_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat_hand_values), cmocka_unit_test(test_stat_small_samples),
        cmocka_unit_test(test_paired),           cmocka_unit_test(test_params_and_json),
        cmocka_unit_test(test_recommend),
    };
    const struct CMUnitTest file_tests[] = {
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_points_table),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("files", file_tests, write_fixture, remove_fixture);
    return failed;
}
