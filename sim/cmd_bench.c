/* `firedrill bench WHAT ...`: benchmarks that print one parseable line each. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "models/phold.h"
#include "models/scenario.h"
#include "models/world.h"
#include "sim/cli.h"
#include "sim/commands.h"

static const char bench_usage[] =
    "usage: firedrill bench phold [--lps N] [--init M] [--remote P] [--lookahead L]\n"
    "                             [--mean X] [--events E] [--seed S]\n"
    "       firedrill bench kernels [--backend auto|cpu|cuda] [--quick]\n"
    "       firedrill bench replica [SCENARIO.json] [--replicas N] [--seed S]\n"
    "\n"
    "phold: the PHOLD workload on the engine; prints one line\n"
    "  phold lps=N init=M remote=P lookahead=L events=E sim_time_s=T wall_s=W\n"
    "        events_per_s=R peak_rss_kb=K baseline_rss_kb=K0 rss_bytes_per_pending=B\n"
    "        engine_bytes_per_pending=B2 checksum=C bare_heap_events_per_s=R0\n"
    "        ratio_to_bare_heap=R/R0 same_trace=yes|no   (a bare binary heap on the same trace)\n"
    "  defaults: --lps 1000 --init 1 --remote 1 --lookahead 0 --mean 1 --events 1e6 --seed 1\n"
    "  (times L and X in seconds)\n"
    "kernels: the recommendation kernels against memcpy and bare BLAS bounds\n"
    "  and whole queries of each model preset (kernels/models), one line each:\n"
    "  bench=calibrate model=M backend=B candidates=N batch=Q median_ms=T qps_per_server=R\n"
    "replica: replicas of a scenario (default scenarios/reference.json) on one thread,\n"
    "  as a sweep worker runs them (one world cache), nothing written; prints\n"
    "  bench=replica scenario=NAME replicas=N wall_s=W per_replica_ms=M first_replica_ms=F\n"
    "        events_per_replica=E peak_rss_kb=K\n"
    "  defaults: --replicas 100 --seed 1\n";

static long peak_rss_kb(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static int bench_phold(int argc, char **argv) {
    phold_config cfg = {
        .lps = 1000, .init_per_lp = 1, .remote = 1.0, .lookahead_s = 0, .mean_s = 1, .events = 1000000, .seed = 1};
    static const struct option opts[] = {
        {"lps", required_argument, 0, 'n'},
        {"init", required_argument, 0, 'm'},
        {"remote", required_argument, 0, 'r'},
        {"lookahead", required_argument, 0, 'l'},
        {"mean", required_argument, 0, 'x'},
        {"events", required_argument, 0, 'e'},
        {"seed", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    optind = 0;
    opterr = 0;
    int c;
    uint64_t u;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!cli_parse_u64("bench phold", "--lps", optarg, 1, UINT32_MAX, &u)) return FD_EINPUT;
            cfg.lps = (uint32_t)u;
            break;
        case 'm':
            if (!cli_parse_u64("bench phold", "--init", optarg, 1, UINT32_MAX, &u)) return FD_EINPUT;
            cfg.init_per_lp = (uint32_t)u;
            break;
        case 'r':
            if (!cli_parse_double("bench phold", "--remote", optarg, 0, 1, &cfg.remote)) return FD_EINPUT;
            break;
        case 'l':
            if (!cli_parse_double("bench phold", "--lookahead", optarg, 0, 1e9, &cfg.lookahead_s)) return FD_EINPUT;
            break;
        case 'x':
            if (!cli_parse_double("bench phold", "--mean", optarg, 1e-9, 1e9, &cfg.mean_s)) return FD_EINPUT;
            break;
        case 'e':
            if (!cli_parse_u64("bench phold", "--events", optarg, 1, UINT64_MAX / 2, &cfg.events)) return FD_EINPUT;
            break;
        case 's':
            if (!cli_parse_u64("bench phold", "--seed", optarg, 0, UINT64_MAX / 2, &cfg.seed)) return FD_EINPUT;
            break;
        case 'h': fputs(bench_usage, stdout); return FD_OK;
        default: return cli_usage_error("bench phold", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("bench phold", "unexpected argument '%s'", argv[optind]);
    if ((uint64_t)cfg.lps * cfg.init_per_lp > UINT32_MAX)
        return cli_usage_error("bench phold", "--lps x --init must stay below 2^32 pending events");

    phold_result r;
    char err[256];
    /* The program's own footprint (shared libraries, OpenBLAS buffers) is
     * measured first, so the pending set's share of the peak is stated
     * apart from it. */
    long baseline_kb = peak_rss_kb();
    if (phold_run(&cfg, &r, err, sizeof err) != 0) {
        fprintf(stderr, "firedrill bench %s\n", err);
        return FD_EFAIL;
    }
    long engine_peak_kb = peak_rss_kb();
    /* the bare binary heap on the same trace, in the same run */
    phold_result bare;
    if (phold_run_bare(&cfg, &bare, err, sizeof err) != 0) {
        fprintf(stderr, "firedrill bench %s\n", err);
        return FD_EFAIL;
    }
    printf("phold lps=%u init=%u remote=%g lookahead=%g events=%llu sim_time_s=%.6f wall_s=%.6f "
           "events_per_s=%.0f peak_rss_kb=%ld baseline_rss_kb=%ld rss_bytes_per_pending=%.1f "
           "engine_bytes_per_pending=%.1f checksum=%016llx bare_heap_events_per_s=%.0f ratio_to_bare_heap=%.3f "
           "same_trace=%s\n",
           cfg.lps, cfg.init_per_lp, cfg.remote, cfg.lookahead_s, (unsigned long long)r.events, r.sim_time_s, r.wall_s,
           r.events_per_s, engine_peak_kb, baseline_kb,
           r.pending_at_end ? (double)(engine_peak_kb - baseline_kb) * 1024.0 / (double)r.pending_at_end : 0.0,
           r.pending_at_end ? (double)r.engine_bytes / (double)r.pending_at_end : 0.0, (unsigned long long)r.checksum,
           bare.events_per_s, bare.events_per_s > 0 ? r.events_per_s / bare.events_per_s : 0,
           bare.checksum == r.checksum ? "yes" : "no");
    return FD_OK;
}

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench_replica(int argc, char **argv) {
    static const struct option opts[] = {
        {"replicas", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    uint64_t replicas = 100, seed = 1;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!cli_parse_u64("bench replica", "--replicas", optarg, 1, 100000000, &replicas)) return FD_EINPUT;
            break;
        case 's':
            if (!cli_parse_u64("bench replica", "--seed", optarg, 0, UINT64_MAX / 2, &seed)) return FD_EINPUT;
            break;
        case 'h': fputs(bench_usage, stdout); return FD_OK;
        default: return cli_usage_error("bench replica", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    const char *file = optind < argc ? argv[optind++] : "scenarios/reference.json";
    if (optind < argc) return cli_usage_error("bench replica", "unexpected argument '%s'", argv[optind]);
    scenario sc;
    char err[1024];
    if (!scenario_load(&sc, file, err, sizeof err)) {
        fprintf(stderr, "firedrill bench replica: %s\n", err);
        scenario_free(&sc);
        return FD_EINPUT;
    }
    rec_cpu_set_blas_threads(1);
    world_options wo = {.backend = REC_BACKEND_CPU, .cache = world_cache_create()};
    double t0 = seconds_now(), first_s = 0, events = 0;
    int status = wo.cache ? FD_OK : FD_EFAIL;
    for (uint64_t i = 0; status == FD_OK && i < replicas; i++) {
        world_result r;
        if (world_run(&sc, &wo, seed + i, &r, err, sizeof err) != 0) {
            fprintf(stderr, "firedrill bench replica: %s: %s\n", file, err);
            status = FD_EFAIL;
        } else {
            events += (double)r.metrics.events;
            if (i == 0) first_s = seconds_now() - t0;
        }
        world_result_free(&r);
    }
    double wall = seconds_now() - t0;
    if (status == FD_OK)
        printf("bench=replica scenario=%s replicas=%llu wall_s=%.4f per_replica_ms=%.4f first_replica_ms=%.3f "
               "events_per_replica=%.0f peak_rss_kb=%ld\n",
               sc.name, (unsigned long long)replicas, wall, wall * 1e3 / (double)replicas, first_s * 1e3,
               events / (double)replicas, peak_rss_kb());
    world_cache_free(wo.cache);
    scenario_free(&sc);
    return status;
}

int cmd_bench(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(bench_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? FD_EINPUT : FD_OK;
    }
    if (strcmp(argv[1], "phold") == 0) return bench_phold(argc - 1, argv + 1);
    if (strcmp(argv[1], "kernels") == 0) return cmd_bench_kernels(argc - 1, argv + 1);
    if (strcmp(argv[1], "replica") == 0) return bench_replica(argc - 1, argv + 1);
    return cli_usage_error("bench", "unknown benchmark '%s' (phold, kernels, replica)", argv[1]);
}
