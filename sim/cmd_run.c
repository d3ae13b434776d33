/* `firedrill run` and `firedrill validate`. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "models/scenario.h"
#include "kernels/rec.h"
#include "models/world.h"
#include "sim/cli.h"
#include "sim/commands.h"
#include "sim/h5out.h"
#include "sim/sweep_run.h"

static const char run_usage[] =
    "usage: firedrill run SCENARIO.json [--seeds N] [--seed S] [-o results/NAME.h5] [-j N]\n"
    "                     [--backend auto|cpu|cuda] [--trace] [--resume | --fresh] [--quiet]\n"
    "\n"
    "Simulates N replicas (seeds S, S+1, ..., default N=10, S=1) of the scenario, writes\n"
    "every replica's metrics and every incident to HDF5 (default results/<name>.h5),\n"
    "and prints the mean and 95% confidence interval of RTO, RPO, availability and\n"
    "lost revenue. Exit status 2 on a bad scenario (nothing is written).\n"
    "--backend picks where the recommendation kernels run (the recall probe of\n"
    "model.real_state): auto takes CUDA when a GPU is present; the HDF5 root attribute\n"
    "'backend' records the one that ran.\n"
    "-j N runs replicas on N threads (default: online CPUs); results do not depend on it.\n"
    "--trace stores each replica's model events (disasters, detections, failovers,\n"
    "backups) in /trace/<seed> and its serving side in /timeline/<seed>.\n"
    "Finished replicas are journaled to OUT.h5.journal while running (not with --trace,\n"
    "whose traces stay in memory); the journal is removed once the file is complete.\n"
    "--resume continues an interrupted run (kill -9 included) from its journal, --fresh\n"
    "discards the journal; without either an existing journal is an error.\n";

static const char validate_usage[] =
    "usage: firedrill validate SCENARIO.json [--list-keys | --schema]\n"
    "\n"
    "Checks a scenario and prints what it would simulate. --list-keys prints every key\n"
    "the parser knows (path, type, unit, default, min, max, meaning), tab-separated;\n"
    "--schema prints the JSON Schema of scenario files derived from the same registry\n"
    "(scenarios/schema.json is its output for scenarios/reference.json).\n";

/* Mean and half-width of the 95% t interval over the finite values. */
static void mean_ci(const replica_metrics *rows, size_t n, size_t offset, double *mean, double *half, size_t *used) {
    double *x = malloc((n ? n : 1) * sizeof *x);
    size_t k = 0;
    for (size_t i = 0; x && i < n; i++) {
        double v;
        memcpy(&v, (const char *)&rows[i] + offset, sizeof v);
        if (isfinite(v)) x[k++] = v;
    }
    *used = k;
    *mean = k ? gsl_stats_mean(x, 1, k) : NAN;
    *half = k > 1 ? gsl_cdf_tdist_Pinv(0.975, (double)(k - 1)) * gsl_stats_sd(x, 1, k) / sqrt((double)k) : NAN;
    free(x);
}

static void print_summary(const scenario *sc, const replica_metrics *rows, size_t n) {
    static const struct {
        const char *label;
        size_t offset;
        double scale;
        const char *unit;
    } lines[] = {
        {"RTO (mean per replica)", offsetof(replica_metrics, rto_mean_s), 1, "s"},
        {"RPO (mean per replica)", offsetof(replica_metrics, rpo_mean_s), 1, "s"},
        {"availability (time)", offsetof(replica_metrics, availability_time), 100, "%"},
        {"availability (requests)", offsetof(replica_metrics, availability_requests), 100, "%"},
        {"lost revenue", offsetof(replica_metrics, lost_revenue), 1, ""},
        {"p99 latency", offsetof(replica_metrics, latency_p99_s), 1e3, "ms"},
        {"backup bytes moved", offsetof(replica_metrics, backup_bytes_moved), 1e-9, "GB"},
    };
    printf("%s: %zu replica(s) of %.1f days\n", sc->name, n, sc->horizon_s / 86400);
    printf("  %-26s %14s %14s %8s\n", "metric", "mean", "95% CI +/-", "n");
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        double mean, half;
        size_t used;
        mean_ci(rows, n, lines[i].offset, &mean, &half, &used);
        printf("  %-26s %14.6g %14.3g %8zu %s\n", lines[i].label, mean * lines[i].scale, half * lines[i].scale, used,
               lines[i].unit);
    }
}

/* Replicas on threads: each pulls the next seed; results land by index. */
typedef struct run_pool {
    const scenario *sc;
    world_options opts;
    uint64_t first_seed, n;
    world_result *results;
    atomic_uint_fast64_t next;
    atomic_bool failed;
    pthread_mutex_t mu;
    char err[1024];
} run_pool;

static void *run_worker(void *arg) {
    run_pool *p = arg;
    world_options opts = p->opts;
    opts.cache = world_cache_create(); /* this thread's, across its replicas */
    for (;;) {
        uint64_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n || atomic_load(&p->failed)) break;
        char err[1024];
        if (world_run(p->sc, &opts, p->first_seed + i, &p->results[i], err, sizeof err) != 0) {
            pthread_mutex_lock(&p->mu);
            if (!atomic_exchange(&p->failed, true)) snprintf(p->err, sizeof p->err, "%s", err);
            pthread_mutex_unlock(&p->mu);
            break;
        }
    }
    world_cache_free(opts.cache);
    return NULL;
}

static int run_replicas(run_pool *p, int jobs) {
    rec_cpu_set_blas_threads(1); /* replicas run small kernels, one thread each */
    if ((uint64_t)jobs > p->n) jobs = (int)p->n;
    pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
    pthread_mutex_init(&p->mu, NULL);
    int started = 0;
    for (; threads && started < jobs; started++)
        if (pthread_create(&threads[started], NULL, run_worker, p) != 0) break;
    if (started == 0) run_worker(p); /* no threads to be had: run here */
    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
    free(threads);
    pthread_mutex_destroy(&p->mu);
    return atomic_load(&p->failed) ? CLI_EXIT_FAILED : CLI_EXIT_OK;
}

/* Writes the run's file (to a temporary name, then renamed) and the summary. */
static int write_run(const scenario *sc, rec_backend backend, const char *out_path, const replica_metrics *rows,
                     uint64_t n_rows, const incident_record *incidents, size_t n_inc, const h5out_trace *traces,
                     bool quiet, int argc, char **argv) {
    char sha[65], command[1024], err[1024];
    cli_sha256_hex(sc->given_json, strlen(sc->given_json), sha);
    cli_join_command(argc, argv, command, sizeof command);
    h5out_meta meta = {FIREDRILL_VERSION,         firedrill_git_rev, sc->name,       sha,
                       rec_backend_name(backend), command,           sc->given_json, sc->resolved_json};
    if (h5out_write(out_path, &meta, rows, n_rows, incidents, n_inc, traces, traces ? n_rows : 0, err, sizeof err) !=
        0) {
        fprintf(stderr, "firedrill run: %s\n", err);
        return CLI_EXIT_FAILED;
    }
    if (!quiet) {
        print_summary(sc, rows, n_rows);
        printf("wrote %s (%llu replicas, %zu incidents)\n", out_path, (unsigned long long)n_rows, n_inc);
    }
    return CLI_EXIT_OK;
}

/* Without traces a run is a sweep of one point: the sweep executor runs the
 * seeds on threads and journals each finished replica, so an interrupted
 * run resumes where it stopped, and run and sweep give identical rows. */
static int run_journaled(const scenario *sc, rec_backend backend, const char *file, uint64_t first, uint64_t seeds,
                         const char *out_path, int jobs, bool resume, bool fresh, bool quiet, int argc, char **argv) {
    sweep_point point = {.index = 0, .sc = *sc};
    cli_sha256_hex(sc->given_json, strlen(sc->given_json), point.sha256);
    /* The journal belongs to this scenario, seed range and backend. */
    char identity[256], journal[4200], err[1024];
    snprintf(identity, sizeof identity, "run %s seeds %llu+%llu backend %d", point.sha256, (unsigned long long)first,
             (unsigned long long)seeds, (int)backend);
    sweep_spec sw = {.file = (char *)file,
                     .name = (char *)sc->name,
                     .seeds = seeds,
                     .first_seed = first,
                     .points = &point,
                     .n_points = 1,
                     .backend = backend};
    cli_sha256_hex(identity, strlen(identity), sw.sha256);
    snprintf(journal, sizeof journal, "%s.journal", out_path);
    sweep_opts so = {.shard_k = 0,
                     .shard_n = 1,
                     .resume = resume,
                     .fresh = fresh,
                     .journal_path = journal,
                     .progress = !quiet && isatty(STDERR_FILENO)};
    sweep_exec x;
    int status = sweep_exec_init(&x, &sw, &so, err, sizeof err);
    if (status != SWEEP_OK) {
        fprintf(stderr, "firedrill run: %s\n", err);
        return status;
    }
    if (!quiet && x.n_resumed)
        fprintf(stderr, "firedrill run: resuming: %llu of %llu replicas already in %s\n",
                (unsigned long long)x.n_resumed, (unsigned long long)seeds, journal);
    status = sweep_exec_run_threads(&x, jobs, err, sizeof err);
    replica_metrics *rows = NULL;
    incident_record *inc = NULL;
    size_t n_rows = 0, n_inc = 0;
    if (status == SWEEP_OK) status = sweep_exec_collect(&x, &rows, &n_rows, &inc, &n_inc, err, sizeof err);
    if (status != SWEEP_OK) fprintf(stderr, "firedrill run: %s: %s\n", file, err);
    if (status == SWEEP_OK)
        status = write_run(sc, backend, out_path, rows, n_rows, inc, n_inc, NULL, quiet, argc, argv);
    if (status == SWEEP_OK) sweep_exec_remove_journal(&x);
    free(rows);
    free(inc);
    sweep_exec_free(&x);
    return status;
}

int cmd_run(int argc, char **argv) {
    static const struct option opts[] = {
        {"seeds", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 's'},
        {"output", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},
        {"backend", required_argument, 0, 'b'},
        {"trace", no_argument, 0, 't'},
        {"jobs", required_argument, 0, 'j'},
        {"resume", no_argument, 0, 'r'},
        {"fresh", no_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    uint64_t seeds = 10, first = 1;
    const char *out_path = NULL;
    bool quiet = false;
    rec_backend backend = REC_BACKEND_AUTO;
    bool trace = false, resume = false, fresh = false;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t jobs = cpus > 0 ? (uint64_t)cpus : 1;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:qhj:", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!cli_parse_u64("run", "--seeds", optarg, 1, 100000000, &seeds)) return CLI_EXIT_USAGE;
            break;
        case 's':
            if (!cli_parse_u64("run", "--seed", optarg, 0, UINT64_MAX / 2, &first)) return CLI_EXIT_USAGE;
            break;
        case 'o': out_path = optarg; break;
        case 'q': quiet = true; break;
        case 't': trace = true; break;
        case 'r': resume = true; break;
        case 'f': fresh = true; break;
        case 'j':
            if (!cli_parse_u64("run", "-j", optarg, 1, 1024, &jobs)) return CLI_EXIT_USAGE;
            break;
        case 'b':
            if (rec_backend_parse(optarg, &backend) != 0)
                return cli_usage_error("run", "--backend: expected auto, cpu or cuda, got '%s'", optarg);
            break;
        case 'h': fputs(run_usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error("run", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error("run", "expected one scenario file");
    if (resume && fresh) return cli_usage_error("run", "--resume and --fresh exclude each other");
    const char *file = argv[optind];
    char berr[256];
    if (backend == REC_BACKEND_AUTO)
        backend = rec_backend_available(REC_BACKEND_CUDA, berr, sizeof berr) ? REC_BACKEND_CUDA : REC_BACKEND_CPU;
    else if (!rec_backend_available(backend, berr, sizeof berr)) {
        fprintf(stderr, "firedrill run: %s\n", berr);
        return CLI_EXIT_FAILED;
    }

    scenario sc;
    char err[1024];
    if (!scenario_load(&sc, file, err, sizeof err)) {
        fprintf(stderr, "firedrill run: %s\n", err);
        scenario_free(&sc);
        return CLI_EXIT_USAGE;
    }
    cli_warn_scenario(&sc, file, stderr);
    char default_path[256];
    if (!out_path) {
        mkdir("results", 0777);
        snprintf(default_path, sizeof default_path, "results/%s.h5", sc.name);
        out_path = default_path;
    }
    if (!trace) {
        int status =
            run_journaled(&sc, backend, file, first, seeds, out_path, (int)jobs, resume, fresh, quiet, argc, argv);
        scenario_free(&sc);
        return status;
    }
    if (resume || fresh) fprintf(stderr, "firedrill run: --trace runs are not journaled; --resume/--fresh ignored\n");
    run_pool pool = {.sc = &sc,
                     .opts = {.backend = backend, .trace = true},
                     .first_seed = first,
                     .n = seeds,
                     .results = calloc(seeds, sizeof(world_result))};
    int status = pool.results ? run_replicas(&pool, (int)jobs) : CLI_EXIT_FAILED;
    if (status != CLI_EXIT_OK && pool.results) fprintf(stderr, "firedrill run: %s: %s\n", file, pool.err);
    /* Gather in seed order: the output does not depend on the threads. */
    replica_metrics *rows = calloc(seeds, sizeof *rows);
    h5out_trace *traces = trace ? calloc(seeds, sizeof *traces) : NULL;
    incident_record *incidents = NULL;
    size_t n_inc = 0;
    if (!rows || (trace && !traces)) status = CLI_EXIT_FAILED;
    for (uint64_t i = 0; status == CLI_EXIT_OK && i < seeds; i++) {
        world_result *r = &pool.results[i];
        rows[i] = r->metrics;
        if (traces) traces[i] = (h5out_trace){first + i, r->trace, r->n_trace, r->timeline, r->n_timeline};
        incident_record *grown = realloc(incidents, (n_inc + r->n_incidents + 1) * sizeof *grown);
        if (!grown)
            status = CLI_EXIT_FAILED;
        else {
            incidents = grown;
            memcpy(incidents + n_inc, r->incidents, r->n_incidents * sizeof *grown);
            n_inc += r->n_incidents;
        }
    }
    if (status == CLI_EXIT_OK)
        status = write_run(&sc, backend, out_path, rows, seeds, incidents, n_inc, traces, quiet, argc, argv);
    for (uint64_t i = 0; pool.results && i < seeds; i++) world_result_free(&pool.results[i]);
    free(pool.results);
    free(traces);
    free(rows);
    free(incidents);
    scenario_free(&sc);
    return status;
}

int cmd_validate(int argc, char **argv) {
    bool list_keys = false, schema = false;
    static const struct option opts[] = {{"list-keys", no_argument, 0, 'k'},
                                         {"schema", no_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'k')
            list_keys = true;
        else if (c == 's')
            schema = true;
        else if (c == 'h') {
            fputs(validate_usage, stdout);
            return CLI_EXIT_OK;
        } else
            return cli_usage_error("validate", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc - 1) return cli_usage_error("validate", "expected one scenario file");
    scenario sc;
    char err[1024];
    if (!scenario_load(&sc, argv[optind], err, sizeof err)) {
        fprintf(stderr, "firedrill validate: %s\n", err);
        scenario_free(&sc);
        return CLI_EXIT_USAGE;
    }
    if (list_keys)
        for (size_t i = 0; i < sc.n_known_keys; i++) puts(sc.known_keys[i]);
    else if (schema) {
        char *text = cfg_schema_json(sc.known_keys, sc.n_known_keys, "firedrill scenario");
        if (text) puts(text);
        free(text);
    } else {
        cli_warn_scenario(&sc, argv[optind], stderr);
        printf("%s: valid\n", argv[optind]);
        scenario_describe(&sc, stdout);
        cli_print_planfig(&sc, stdout);
    }
    scenario_free(&sc);
    return CLI_EXIT_OK;
}
