/* Statistics of analysis/summary.c against hand-computed values (t
 * intervals) and known samples (the bootstrap), the results reader
 * analysis/h5in.c on files written by sim/h5out.c (and a /points table
 * shaped as the sweep writes it), the money helpers of analysis/money.c and
 * the report's recommendation rule.
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

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <hdf5.h>

#include "analysis/h5in.h"
#include "analysis/money.h"
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
    const uint64_t seeds[] = {1, 2, 3, 4, 6, 2}, bseeds[] = {5, 4, 3, 2, 6};
    const double vals[] = {10, 12, 14, 20, NAN, 99}, bvals[] = {0, 15, 12, 11, 3};
    summary_diff d;
    assert_int_equal(summary_paired(seeds, vals, 6, bseeds, bvals, 5, 0.95, &d), SUMMARY_OK);
    assert_int_equal(d.n, 3);
    assert_close(d.mean, 8.0 / 3.0, 1e-12);
    assert_close(d.ci_lo, 8.0 / 3.0 - 5.171145013, 1e-7);
    assert_close(d.ci_hi, 8.0 / 3.0 + 5.171145013, 1e-7);
    /* Nothing in common: n = 0, NaN. */
    const uint64_t other[] = {100, 101};
    const double ov[] = {1, 2};
    assert_int_equal(summary_paired(other, ov, 2, bseeds, bvals, 5, 0.95, &d), SUMMARY_OK);
    assert_int_equal(d.n, 0);
    assert_true(isnan(d.mean));
    /* Seeds past 2^53 are told apart: 2^53 and 2^53 + 1 are one double but
     * two replicas, paired each with its own. */
    const uint64_t big[] = {UINT64_C(9007199254740992), UINT64_C(9007199254740993)};
    const double bv[] = {1, 4}, bbase[] = {0, 1};
    assert_int_equal(summary_paired(big, bv, 2, big, bbase, 2, 0.95, &d), SUMMARY_OK);
    assert_int_equal(d.n, 2);
    assert_close(d.mean, 2, 1e-12);
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
    bool from_file = true; /* a file of `run`: no baseline_point, the first point */
    assert_int_equal(h5in_default_baseline(f, &pts, &from_file), 0);
    assert_false(from_file);

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
    /* rto_mean_s is a duration: bootstrap. The resample means of (2, 5) are
     * 2, 3.5 or 5 (chances 1/4, 1/2, 1/4), so the 2.5 % and 97.5 %
     * quantiles are the ends of the data. */
    assert_int_equal(s.methods[0], SUMMARY_BOOTSTRAP);
    assert_int_equal(cell->stat.method, SUMMARY_BOOTSTRAP);
    assert_close(cell->diff.ci_lo, 2, 0);
    assert_close(cell->diff.ci_hi, 5, 0);
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
    /* The sweep's baseline_point, as sim/h5out.c writes it (uint64). */
    hid_t as = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(file, "baseline_point", H5T_NATIVE_UINT64, as, H5P_DEFAULT, H5P_DEFAULT);
    uint64_t baseline = 1;
    assert_true(attr >= 0 && H5Awrite(attr, H5T_NATIVE_UINT64, &baseline) >= 0);
    H5Aclose(attr);
    H5Sclose(as);
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
    bool from_file = false;
    assert_int_equal(h5in_default_baseline(f, &pts, &from_file), 1);
    assert_true(from_file);
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
    /* Warm: 600, 610, 620, 630; the bound is the bootstrap's one-sided
     * bound of the same values: above the mean, within the data. */
    report_verdict v = report_check(&s, 2, 3600, 900);
    assert_true(v.meets_rto && v.meets_rpo);
    const double warm[] = {600, 610, 620, 630};
    double lo, hi, upper;
    assert_int_equal(
        summary_bootstrap_mean(warm, 4, 0.95, SUMMARY_BOOTSTRAP_B, SUMMARY_BOOTSTRAP_SEED, &lo, &hi, &upper),
        SUMMARY_OK);
    assert_close(v.rto_bound_s, upper, 0);
    assert_true(v.rto_bound_s > 615 && v.rto_bound_s <= 630);
    assert_string_equal(report_cost_metric(&s), "backup_cost");
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

/* ---- the bootstrap ------------------------------------------------------------------- */

static void test_bootstrap(void **state) {
    (void)state;
    /* A known, skewed, non-negative sample (exponential-like). */
    const double x[] = {0.1, 0.2, 0.2, 0.3, 0.5, 0.7, 0.9, 1.2, 1.6, 2.4, 3.5, 7.9};
    const size_t n = sizeof x / sizeof x[0];
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += x[i] / (double)n;
    double lo, hi, upper, lo2, hi2, upper2;
    assert_int_equal(summary_bootstrap_mean(x, n, 0.95, 2000, 42, &lo, &hi, &upper), SUMMARY_OK);
    /* Reproducible: the same seed gives the same interval, bit for bit. */
    assert_int_equal(summary_bootstrap_mean(x, n, 0.95, 2000, 42, &lo2, &hi2, &upper2), SUMMARY_OK);
    assert_true(lo == lo2 && hi == hi2 && upper == upper2);
    /* It covers the sample's mean, follows the skew (longer above) and
     * never leaves the data's range. */
    assert_true(lo < mean && mean < hi);
    assert_true(upper > mean && upper < hi);
    assert_true(hi - mean > mean - lo);
    assert_true(lo >= 0.1 && hi <= 7.9);
    /* Another seed gives a slightly different interval. */
    assert_int_equal(summary_bootstrap_mean(x, n, 0.95, 2000, 43, &lo2, &hi2, &upper2), SUMMARY_OK);
    assert_true(fabs(lo2 - lo) < 0.2 * mean && fabs(hi2 - hi) < 0.2 * mean);
    /* Constant data: the value itself; fewer than two values: none. */
    const double c[] = {394.07, 394.07, 394.07};
    assert_int_equal(summary_bootstrap_mean(c, 3, 0.95, 2000, 42, &lo, &hi, &upper), SUMMARY_OK);
    assert_true(lo == 394.07 && hi == 394.07 && upper == 394.07);
    assert_int_equal(summary_bootstrap_mean(c, 1, 0.95, 2000, 42, &lo, &hi, &upper), SUMMARY_OK);
    assert_true(isnan(lo) && isnan(hi) && isnan(upper));

    /* The t interval of the same sample reaches below 0; the bootstrap
     * interval (what summary_stat_compute_method gives a duration) does not. */
    summary_stat t, b;
    const double skewed[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 100};
    assert_int_equal(summary_stat_compute(skewed, 10, 0.95, &t), SUMMARY_OK);
    assert_int_equal(summary_stat_compute_method(skewed, 10, 0.95, SUMMARY_BOOTSTRAP, &b), SUMMARY_OK);
    assert_true(t.ci_lo < 0);
    assert_true(b.ci_lo >= 0 && b.ci_hi <= 100 && b.method == SUMMARY_BOOTSTRAP);
    assert_close(b.mean, 10, 1e-12);
}

/* Coverage: intervals from many samples of an exponential law with mean 1
 * contain 1 about 95 % of the time (percentile bootstrap at n = 40 runs a
 * little under, about 93 %). */
static void test_bootstrap_coverage(void **state) {
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    enum { TRIALS = 300, N = 40 };
    double x[N];
    int covered = 0, upper_ok = 0;
    for (int k = 0; k < TRIALS; k++) {
        for (int i = 0; i < N; i++) x[i] = gsl_ran_exponential(r, 1.0);
        double lo, hi, upper;
        assert_int_equal(summary_bootstrap_mean(x, N, 0.95, 1000, SUMMARY_BOOTSTRAP_SEED, &lo, &hi, &upper),
                         SUMMARY_OK);
        covered += lo <= 1.0 && 1.0 <= hi;
        upper_ok += 1.0 <= upper;
    }
    gsl_rng_free(r);
    double cover = (double)covered / TRIALS, one_sided = (double)upper_ok / TRIALS;
    if (cover < 0.88 || cover > 0.99) fail_msg("two-sided coverage %.3f", cover);
    if (one_sided < 0.86 || one_sided > 0.99) fail_msg("one-sided coverage %.3f", one_sided);
}

static void test_methods(void **state) {
    (void)state;
    assert_int_equal(summary_metric_method("rto_p95_s", "s"), SUMMARY_BOOTSTRAP);
    assert_int_equal(summary_metric_method("total_cost_per_year", "currency/year"), SUMMARY_BOOTSTRAP);
    assert_int_equal(summary_metric_method("lost_revenue", "currency"), SUMMARY_BOOTSTRAP);
    assert_int_equal(summary_metric_method("slo_violation_min", "min"), SUMMARY_BOOTSTRAP);
    assert_int_equal(summary_metric_method("false_failovers", "1"), SUMMARY_BOOTSTRAP);
    assert_int_equal(summary_metric_method("availability_time", "1"), SUMMARY_T);
    assert_int_equal(summary_metric_method("recall_at_k", "1"), SUMMARY_T);
    assert_string_equal(summary_method_name(SUMMARY_BOOTSTRAP), "bootstrap");
}

/* ---- money --------------------------------------------------------------------------- */

static void test_pareto(void **state) {
    (void)state;
    /* (bound, cost): 0 dominated by 1; 1, 2, 3 trade off; 4 has no bound;
     * 5 is 2's exact twin (the lower index stays). */
    const double x[] = {100, 80, 50, 10, NAN, 50}, y[] = {10, 9, 20, 90, 1, 20};
    bool on[6];
    money_pareto(x, y, 6, on);
    assert_false(on[0]);
    assert_true(on[1] && on[2] && on[3]);
    assert_false(on[4]);
    assert_false(on[5]);
}

/* In-memory replicas and incidents of one point, 3 seeds. */
static void test_money_tables(void **state) {
    (void)state;
    static const char *const rnames[] = {"point",
                                         "seed",
                                         "horizon_s",
                                         "standby_cost",
                                         "backup_cost",
                                         "lost_revenue",
                                         "penalty_cost",
                                         "replication_cost",
                                         "total_cost_per_year",
                                         "slo_violation_min",
                                         "lost_revenue_background",
                                         "slo_violation_background_min"};
    h5in_table rep;
    table_init(&rep, 3, rnames, 12);
    const double year = 365.25 * 86400, horizon = 86400 * 30;
    for (size_t r = 0; r < 3; r++) {
        rep.cols[1].values[r] = (double)(r + 1);
        rep.cols[2].values[r] = horizon;
        rep.cols[3].values[r] = 100;
        rep.cols[4].values[r] = 10;
        rep.cols[6].values[r] = 0;
        rep.cols[7].values[r] = 1;
        rep.cols[10].values[r] = r == 0 ? 5 : 0;
        rep.cols[11].values[r] = 0;
    }
    /* Incidents: seed 1 two region outages (lost 100 + 200), seed 2 one
     * flap (lost 30); seed 3 none. */
    h5in_table inc;
    static const char *const inames[] = {"point", "seed", "kind", "lost_revenue", "slo_missed_s", "rto_s", "rpo_s"};
    table_init(&inc, 3, inames, 7);
    h5in_column *kind = &inc.cols[2];
    free(kind->values);
    kind->values = NULL;
    kind->is_string = true;
    kind->width = 16;
    kind->strings = calloc(3, 16);
    strcpy(kind->strings, "region_outage");
    strcpy(kind->strings + 16, "region_outage");
    strcpy(kind->strings + 32, "network_flap");
    const double seeds[] = {1, 1, 2}, lost[] = {100, 200, 30}, slo[] = {60, 120, 30}, rto[] = {100, 300, NAN},
                 rpo[] = {50, 0, NAN};
    for (size_t r = 0; r < 3; r++) {
        inc.cols[1].values[r] = seeds[r];
        inc.cols[3].values[r] = lost[r];
        inc.cols[4].values[r] = slo[r];
        inc.cols[5].values[r] = rto[r];
        inc.cols[6].values[r] = rpo[r];
    }
    for (size_t r = 0; r < 3; r++) { /* replica totals: incidents plus background */
        double sum = 0;
        for (size_t i = 0; i < 3; i++)
            if (seeds[i] == (double)(r + 1)) sum += lost[i];
        rep.cols[5].values[r] = sum + rep.cols[10].values[r];
        rep.cols[9].values[r] = 0;
        rep.cols[8].values[r] = (100 + 10 + rep.cols[5].values[r] + 1) * year / horizon;
    }
    uint32_t idx[] = {0};
    char *params[] = {"{}"}, *shas[] = {""};
    h5in_points pts = {1, idx, params, shas, NULL};
    money_costs c;
    assert_int_equal(money_costs_compute(&rep, &pts, 0.95, &c), MONEY_OK);
    assert_true(c.have_total && c.have_part[0]);
    assert_close(c.part[0].mean, 100 * year / horizon, 1e-6); /* standby, annualised */
    assert_close(c.part[1].mean, 1 * year / horizon, 1e-6);   /* replication */
    double parts = 0;
    for (int j = 0; j < MONEY_N_PARTS; j++) parts += c.part[j].mean;
    assert_close(parts, c.total.mean, 1e-6 * c.total.mean); /* the parts add up to the total */
    assert_string_equal(money_cost_metric(&rep), "total_cost_per_year");

    money_losses l;
    assert_int_equal(money_losses_compute(&rep, &inc, 0, 0.95, &l), MONEY_OK);
    assert_int_equal(l.n_replicas, 3);
    assert_int_equal(l.n_kinds, 3); /* two kinds and the background, last */
    assert_string_equal(l.kinds[0].kind, "region_outage");
    assert_close(l.kinds[0].lost.mean, 100, 1e-9); /* (300 + 0 + 0) / 3 */
    assert_close(l.kinds[0].incidents, 2.0 / 3, 1e-12);
    assert_close(l.kinds[0].slo_missed_min, 3.0 / 3, 1e-12);
    assert_close(l.kinds[0].rto_mean_s, 200, 1e-12);
    assert_string_equal(l.kinds[1].kind, "network_flap");
    assert_close(l.kinds[1].lost.mean, 10, 1e-9);
    assert_true(isnan(l.kinds[1].rto_mean_s));
    assert_string_equal(l.kinds[2].kind, "(background)");
    assert_close(l.kinds[2].lost.mean, 5.0 / 3, 1e-9);
    /* Kinds plus background add up to the replicas' lost revenue. */
    assert_close(l.kinds[0].lost.mean + l.kinds[1].lost.mean + l.kinds[2].lost.mean, l.lost_revenue_mean, 1e-9);
    assert_true(l.kinds[0].lost.ci_lo >= 0);
    money_losses_free(&l);

    char drv[64];
    double share;
    assert_true(money_driver(&inc, 0, "rto_s", drv, sizeof drv, &share));
    assert_string_equal(drv, "region_outage");
    assert_close(share, 1.0, 1e-12);
    assert_false(money_driver(&inc, 1, "rto_s", drv, sizeof drv, &share));
    h5in_table_free(&rep);
    h5in_table_free(&inc);
}

/* total_cost_per_year decides before backup_cost; a file without it falls
 * back to backup_cost and the report says so. */
static void test_recommend_total_cost(void **state) {
    (void)state;
    static const char *const names[] = {"point",           "seed",        REPORT_RTO_METRIC,
                                        REPORT_RPO_METRIC, "backup_cost", "total_cost_per_year"};
    h5in_table t;
    table_init(&t, 8, names, 6);
    for (size_t r = 0; r < 8; r++) {
        size_t p = r / 4;
        t.cols[0].values[r] = (double)p;
        t.cols[1].values[r] = (double)(r % 4 + 1);
        t.cols[2].values[r] = 100 + (double)(r % 4);
        t.cols[3].values[r] = 10;
        /* Point 0 is cheaper in backups, point 1 in total. */
        t.cols[4].values[r] = p == 0 ? 10 : 20;
        t.cols[5].values[r] = p == 0 ? 2e6 + (double)r : 1e6 + (double)r;
    }
    uint32_t idx[] = {0, 1};
    char *params[] = {"{\"failover.standby\": \"cold\"}", "{\"failover.standby\": \"hot\"}"};
    char *shas[] = {"", ""};
    h5in_points pts = {2, idx, params, shas, NULL};
    const char *metrics[] = {REPORT_RTO_METRIC, REPORT_RPO_METRIC, "backup_cost", "total_cost_per_year"};
    summary s;
    char err[256];
    assert_int_equal(summary_build(&s, &t, &pts, metrics, 4, 0, 0.95, err, sizeof err), SUMMARY_OK);
    assert_string_equal(report_cost_metric(&s), "total_cost_per_year");
    assert_int_equal(report_recommend(&s, 3600, 3600), 1);
    summary_free(&s);
    assert_int_equal(summary_build(&s, &t, &pts, metrics, 3, 0, 0.95, err, sizeof err), SUMMARY_OK);
    assert_int_equal(report_recommend(&s, 3600, 3600), 0);
    summary_free(&s);
    h5in_table_free(&t);
}

/* report_write on a file without the money columns: no figures, the
 * fallback stated, the method named, no negative bound printed. */
static void test_report_fallback(void **state) {
    (void)state;
    static const char *const names[] = {
        "point",           "seed",          "horizon_s",      "rto_mean_s",        REPORT_RTO_METRIC,
        REPORT_RPO_METRIC, "rpo_mean_s",    "backup_cost",    "availability_time", "availability_requests",
        "lost_revenue",    "latency_p99_s", "false_failovers"};
    enum { NC = sizeof names / sizeof names[0] };
    h5in_table t;
    table_init(&t, 10, names, NC);
    for (size_t r = 0; r < 10; r++) {
        t.cols[0].values[r] = (double)(r / 5);
        t.cols[1].values[r] = (double)(r % 5 + 1);
        t.cols[2].values[r] = 86400;
        for (size_t c = 3; c < NC; c++) t.cols[c].values[r] = r % 5 == 4 ? 1000 : 1; /* skewed */
        t.cols[8].values[r] = t.cols[9].values[r] = 0.999;
    }
    uint32_t idx[] = {0, 1};
    char *params[] = {"{\"x\": 1}", "{\"x\": 2}"}, *shas[] = {"", ""};
    h5in_points pts = {2, idx, params, shas, NULL};
    char dir[] = "/tmp/firedrill_test_report_XXXXXX";
    assert_non_null(mkdtemp(dir));
    plot_data d = {"old", NULL, &t, NULL, &pts, NULL};
    report_meta meta = {.results_path = "old.h5", .scenario_name = "old"};
    report_options o = {.rto_max_s = 3600, .rpo_max_s = 3600, .confidence = 0.95, .no_figures_why = "test"};
    o.plot.out_dir = dir;
    char err[256];
    assert_int_equal(report_write(&d, &meta, &o, err, sizeof err), REPORT_OK);
    char path[128];
    snprintf(path, sizeof path, "%s/report.md", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "falls back to the lowest mean `backup_cost`"));
    assert_non_null(strstr(text, "bootstrap percentile, B=2000"));
    assert_non_null(strstr(text, "| baseline point | 0 (the first point) |"));
    assert_null(strstr(text, "[-"));
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    h5in_table_free(&t);
}

/* Integer columns arrive exactly as well as as doubles: seeds past 2^53 (a
 * sweep's first_seed may be any uint64) and signed columns of other
 * writers. */
static void test_integer_columns(void **state) {
    fixture *fx = *state;
    char path[300], err[512];
    snprintf(path, sizeof path, "%s/u64.h5", fx->dir);
    const uint64_t seeds[] = {9007199254740993ull, UINT64_MAX, 7};
    replica_metrics rows[3];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 3; i++) {
        rows[i].point = (uint32_t)i;
        rows[i].seed = seeds[i];
        rows[i].horizon_s = 86400;
        rows[i].rto_mean_s = i == 1 ? NAN : 0.5;
    }
    h5out_point pt = {0, "", "{}", "{}"};
    h5out_sweep sw = {.name = "u64",
                      .sha256 = "abc",
                      .spec = "{}",
                      .combine = "cross",
                      .metrics_json = "[]",
                      .n_points = 1,
                      .seeds = 3,
                      .first_seed = UINT64_MAX - 2,
                      .shard_count = 1,
                      .points = &pt};
    h5out_meta meta = {"0.0.0", "test", "fixture", "abc", "cpu", "test", "{}", "{}"};
    assert_int_equal(h5out_write_sweep(path, &meta, &sw, rows, 3, NULL, 0, err, sizeof err), FD_OK);
    /* a signed column, as pandas or h5py might write one */
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    const int64_t signed_vals[] = {-3, INT64_MAX};
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(int64_t));
    H5Tinsert(t, "delta", 0, H5T_NATIVE_INT64);
    hsize_t dims[1] = {2};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(file, "signed", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, signed_vals) >= 0);
    H5Dclose(d);
    H5Sclose(space);
    H5Tclose(t);
    H5Fclose(file);

    h5in_file *f = h5in_open(path, err, sizeof err);
    assert_non_null(f);
    uint64_t first = 0;
    assert_true(h5in_attr_u64(f, "sweep_first_seed", &first));
    assert_true(first == UINT64_MAX - 2);
    assert_false(h5in_attr_u64(f, "sweep_name", &first)); /* a string */
    assert_false(h5in_attr_u64(f, "no_such_attribute", &first));
    h5in_table rep;
    assert_int_equal(h5in_table_read(f, "replicas", &rep, err, sizeof err), H5IN_OK);
    const h5in_column *sc = h5in_column_find(&rep, "seed"), *pc = h5in_column_find(&rep, "point");
    assert_true(sc && sc->u64 && !sc->i64 && pc && pc->u64);
    for (size_t i = 0; i < 3; i++) {
        uint64_t u = 0;
        assert_true(sc->u64[i] == seeds[i]);
        assert_true(h5in_u64_at(sc, i, &u) && u == seeds[i]);
        assert_true(sc->values[i] == (double)seeds[i]); /* the double view, rounded */
    }
    assert_true((uint64_t)sc->values[0] != seeds[0]); /* why the exact view exists */
    const h5in_column *hc = h5in_column_find(&rep, "horizon_s"), *rc = h5in_column_find(&rep, "rto_mean_s");
    uint64_t u = 0;
    assert_true(hc && !hc->u64 && !hc->i64 && h5in_u64_at(hc, 0, &u) && u == 86400);
    assert_false(h5in_u64_at(rc, 0, &u)); /* 0.5 */
    assert_false(h5in_u64_at(rc, 1, &u)); /* NaN */
    h5in_table_free(&rep);
    h5in_table st;
    assert_int_equal(h5in_table_read(f, "signed", &st, err, sizeof err), H5IN_OK);
    const h5in_column *dc = h5in_column_find(&st, "delta");
    assert_true(dc && dc->i64 && !dc->u64);
    assert_true(dc->i64[0] == -3 && dc->i64[1] == INT64_MAX);
    assert_close(dc->values[0], -3, 0);
    assert_false(h5in_u64_at(dc, 0, &u));
    assert_true(h5in_u64_at(dc, 1, &u) && u == (uint64_t)INT64_MAX);
    h5in_table_free(&st);
    h5in_close(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat_hand_values),
        cmocka_unit_test(test_stat_small_samples),
        cmocka_unit_test(test_paired),
        cmocka_unit_test(test_params_and_json),
        cmocka_unit_test(test_recommend),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_bootstrap_coverage),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_pareto),
        cmocka_unit_test(test_money_tables),
        cmocka_unit_test(test_recommend_total_cost),
        cmocka_unit_test(test_report_fallback),
    };
    const struct CMUnitTest file_tests[] = {
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_points_table),
        cmocka_unit_test(test_integer_columns),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("files", file_tests, write_fixture, remove_fixture);
    return failed;
}
