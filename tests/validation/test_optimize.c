/* `firedrill optimize` on a problem with a known answer, built from closed
 * forms: bad pushes every 2 h are rolled back from the backups (no version
 * kept locally), so the mean RPO of a replica is T/2 + delta(T) for an
 * incremental period T, while the backup cost falls as T grows. With the
 * RPO target between the RPOs of T = 40 min and T = 80 min, the cheapest
 * point meeting it is T = 40 min. Forty macro-replications (first seeds
 * 1, 1001, 2001, ...) must pick it at least 95 % of the time (38 of 40),
 * and the test prints the replicas they used against the grid's. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/optimize.h"

static const char scenario_json[] =
    "{\"name\":\"opt_known\",\"horizon_s\":\"10d\","
    "\"topology\":{\"regions\":[{\"name\":\"a\",\"servers\":4,\"role\":\"primary\"},"
    "{\"name\":\"b\",\"servers\":4,\"role\":\"standby\"}]},"
    "\"traffic\":{\"base_qps\":100,\"diurnal_amplitude\":0,\"weekend_factor\":1,\"segment_s\":\"1h\"},"
    "\"model\":{\"logical_bytes\":\"10GB\",\"updates_per_s\":1000,\"rows_touched_per_update_fraction\":1e-7},"
    "\"backup\":{\"full_period_s\":\"1d\",\"bandwidth_bps\":\"100MB/s\",\"verify_s\":30,"
    "\"corruption_probability\":0},"
    "\"failover\":{\"local_versions\":0},"
    "\"disasters\":[{\"kind\":\"bad_model_push\",\"crash\":true,\"interarrival\":{\"law\":\"exponential\",\"mean_s\":"
    "\"2h\"}}]}";

/* T = 10, 20, 40, 80, 160 min: mean RPO about T/2 + 30 s + the transfer. */
static const char optimize_fmt[] =
    "{\"name\":\"opt_known\",\"base\":\"%s\","
    "\"parameters\":[{\"path\":\"backup.incremental_period_s\",\"values\":[\"10m\",\"20m\",\"40m\",\"80m\",\"160m\"]}],"
    "\"seeds\":400,\"first_seed\":%d,"
    "\"targets\":{\"max\":{\"rpo_mean_s\":1800},\"confidence\":0.95,\"tolerance\":0.1},"
    "\"objective\":\"backup_cost\",\"indifference\":0.02,\"n0\":10}";

static void test_known_answer(void **state) {
    (void)state;
    char dir[] = "/tmp/fd_optimize_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char base[256], file[256];
    snprintf(base, sizeof base, "%s/base.json", dir);
    snprintf(file, sizeof file, "%s/opt.json", dir);
    FILE *f = fopen(base, "w");
    assert_non_null(f);
    fputs(scenario_json, f);
    fclose(f);
    int right = 0;
    uint64_t used = 0, grid = 0;
    for (int m = 0; m < 40; m++) {
        f = fopen(file, "w");
        assert_non_null(f);
        fprintf(f, optimize_fmt, base, 1 + 1000 * m);
        fclose(f);
        opt_spec spec;
        char err[2048];
        if (!opt_load(&spec, file, err, sizeof err)) fail_msg("%s", err);
        /* no journal: the executor keeps the replicas in memory */
        const sweep_opts so = {.shard_n = 1, .select_units = true};
        sweep_exec x;
        if (sweep_exec_init(&x, &spec.sw, &so, err, sizeof err) != SWEEP_OK) fail_msg("%s", err);
        opt_result r;
        const opt_exec e = {.x = &x, .jobs = 2};
        if (opt_run(&spec, &e, &r, err, sizeof err) != SWEEP_OK) fail_msg("%s", err);
        right += r.best == 2;
        used += r.replicas;
        grid += spec.sw.n_points * spec.sw.seeds;
        if (m == 0)
            for (size_t i = 0; i < spec.sw.n_points; i++)
                printf("  point %zu: %s, %llu replicas, mean RPO %.0f s, backup cost %.2f\n", i,
                       rs_fate_names[r.points[i].fate], (unsigned long long)r.points[i].seeds,
                       r.points[i].constraint_mean[0], r.points[i].objective_mean);
        opt_result_free(&r);
        sweep_exec_free(&x);
        opt_free(&spec);
    }
    printf("known answer (T = 40 min): chosen in %d of 40 macro-replications; %llu replicas against %llu for the "
           "grid (%.1f %%)\n",
           right, (unsigned long long)used, (unsigned long long)grid, 100.0 * (double)used / (double)grid);
    remove(base);
    remove(file);
    rmdir(dir);
    assert_true(right >= 38);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_known_answer)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
