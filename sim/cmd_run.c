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

#include "models/jpath.h"
#include "models/scenario.h"
#include "kernels/rec.h"
#include "models/world.h"
#include "sim/cli.h"
#include "sim/commands.h"
#include "sim/engine/limits.h"
#include "sim/h5out.h"
#include "sim/sweep.h"
#include "sim/sweep_run.h"

static const char run_usage[] =
    "usage: firedrill run SCENARIO.json [--seeds N] [--seed S] [-o results/NAME.h5] [-j N]\n"
    "                     [--set PATH=VALUE]... [--max-events N] [--backend auto|cpu|cuda]\n"
    "                     [--trace] [--resume | --fresh] [--quiet]\n"
    "\n"
    "Simulates N replicas (seeds S, S+1, ..., default N=10, S=1) of the scenario, writes\n"
    "every replica's metrics and every incident to HDF5 (default results/<name>.h5),\n"
    "and prints the mean and 95% confidence interval of RTO, RPO, availability and\n"
    "lost revenue. Exit status 2 on a bad scenario or output path (nothing is written).\n"
    "--set PATH=VALUE overrides one key for this run (repeatable), addressed as in sweep\n"
    "files (\"backup.incremental_period_s=15m\", \"topology.regions[1].servers=32\");\n"
    "VALUE is read as JSON, else as a string. The file records the scenario as run.\n"
    "--max-events N ends a replica that needs more than N events with an error (exit 1;\n"
    "default 1e7, 0: no limit): a scenario whose periods or interarrival times are far\n"
    "too short stops there instead of running for ever or running out of memory.\n"
    "--backend picks where the recommendation kernels run (the recall probe of\n"
    "model.real_state): auto takes CUDA when a GPU is present; the HDF5 root attribute\n"
    "'backend' records the one that ran.\n"
    "-j N runs replicas on N threads (default: online CPUs); results do not depend on it.\n"
    "--trace stores each replica's model events (disasters, detections, failovers,\n"
    "backups) in /trace/<seed> and its serving side in /timeline/<seed>.\n"
    "Finished replicas are journaled to OUT.h5.journal while running (not with --trace,\n"
    "whose traces stay in memory); the journal is removed once the file is complete.\n"
    "--resume continues an interrupted run (Ctrl-C, kill -9, a full disk) from its\n"
    "journal, --fresh discards the journal; without either an existing journal is an\n"
    "error. While a run holds the journal (a lock), a second run into the same output is\n"
    "refused. --resume and --fresh also remove OUT.h5.tmp.PID files of dead processes.\n";

static const char validate_usage[] =
    "usage: firedrill validate SCENARIO.json [--set PATH=VALUE]... [--list-keys | --schema]\n"
    "\n"
    "Checks a scenario and prints what it would simulate. --set overrides keys as in\n"
    "`firedrill run`. --list-keys prints every key\n"
    "the parser knows (path, type, unit, default, min, max, meaning), tab-separated;\n"
    "--schema prints the JSON Schema of scenario files derived from the same registry\n"
    "(scenarios/schema.json is its output for scenarios/reference.json).\n";

/* Reads the scenario, applies the --set overrides (PATH=VALUE, paths and
 * substitution as in sweep files; a VALUE that is not JSON is a string)
 * and parses the result. Prints "firedrill CMD: ..." and returns the exit
 * status; scenario_free(sc) either way. */
static int load_scenario(const char *cmd, const char *file, char **sets, size_t n_sets, scenario *sc) {
    char err[2048];
    if (n_sets == 0) {
        if (scenario_load(sc, file, err, sizeof err)) return FD_OK;
        fprintf(stderr, "firedrill %s: %s\n", cmd, err);
        return sc->out_of_memory ? FD_EFAIL : FD_EINPUT;
    }
    memset(sc, 0, sizeof *sc);
    char *text = NULL;
    cJSON *doc = NULL;
    cfg_status st = cfg_read_file(file, &text, err, sizeof err);
    if (st == CFG_OK) st = cfg_parse_json(file, text, &doc, err, sizeof err);
    free(text);
    if (st == CFG_OK && !cJSON_IsObject(doc)) {
        snprintf(err, sizeof err, "%s: the top level must be a JSON object", file);
        st = CFG_EINPUT;
    }
    for (size_t i = 0; st == CFG_OK && i < n_sets; i++) {
        const char *eq = strchr(sets[i], '=');
        if (!eq || eq == sets[i]) {
            snprintf(err, sizeof err, "--set: expected PATH=VALUE, got '%s'", sets[i]);
            st = CFG_EINPUT;
            break;
        }
        char *path = strndup(sets[i], (size_t)(eq - sets[i]));
        cJSON *value = cJSON_ParseWithOpts(eq + 1, NULL, true);
        if (!value) value = cJSON_CreateString(eq + 1);
        char why[1024] = "out of memory";
        if (!path || !value) {
            snprintf(err, sizeof err, "--set %s: out of memory", sets[i]);
            st = CFG_EFAIL;
        } else if ((st = jpath_set(doc, path, value, why, sizeof why)) != CFG_OK) {
            snprintf(err, sizeof err, "--set %s: %s", sets[i], why);
        }
        free(path);
        cJSON_Delete(value);
    }
    text = st == CFG_OK ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    if (st == CFG_OK && !text) {
        snprintf(err, sizeof err, "%s: out of memory", file);
        st = CFG_EFAIL;
    }
    if (st == CFG_OK) {
        char label[4200];
        snprintf(label, sizeof label, "%s (with --set)", file);
        if (!scenario_parse(sc, label, text, err, sizeof err)) st = sc->out_of_memory ? CFG_EFAIL : CFG_EINPUT;
    }
    free(text);
    if (st == CFG_OK) return FD_OK;
    fprintf(stderr, "firedrill %s: %s\n", cmd, err);
    return st == CFG_EFAIL ? FD_EFAIL : FD_EINPUT;
}

/* Collects --set arguments (argv strings, not copied); false when out of memory. */
static bool add_set(char ***sets, size_t *n, char *arg) {
    char **grown = realloc(*sets, (*n + 1) * sizeof *grown);
    if (!grown) return false;
    grown[(*n)++] = arg;
    *sets = grown;
    return true;
}

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
        return FD_EFAIL;
    }
    if (!quiet) {
        print_summary(sc, rows, n_rows);
        printf("wrote %s (%llu replicas, %zu incidents)\n", out_path, (unsigned long long)n_rows, n_inc);
    }
    return FD_OK;
}

/* A run is a sweep of one point: the sweep executor runs the seeds on
 * threads, so run and sweep give identical rows. Without traces it
 * journals each finished replica, so an interrupted run resumes where it
 * stopped; a --trace run keeps its traces in memory and no journal. */
static int run_seeds(const scenario *sc, rec_backend backend, const char *file, uint64_t first, uint64_t seeds,
                     uint64_t max_events, const char *out_path, bool trace, int jobs, bool resume, bool fresh,
                     bool quiet, int argc, char **argv) {
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
                     .backend = backend,
                     .max_events = max_events};
    cli_sha256_hex(identity, strlen(identity), sw.sha256);
    snprintf(journal, sizeof journal, "%s.journal", out_path);
    sweep_opts so = {.shard_k = 0,
                     .shard_n = 1,
                     .resume = resume,
                     .fresh = fresh,
                     .traces = trace,
                     .journal_path = trace ? NULL : journal,
                     .progress = !quiet && isatty(STDERR_FILENO)};
    sweep_exec x;
    int status = sweep_exec_init(&x, &sw, &so, err, sizeof err);
    if (status != SWEEP_OK) {
        fprintf(stderr, "firedrill run: %s\n", err);
        sweep_exec_free(&x);
        return status;
    }
    if (trace && (resume || fresh))
        fprintf(stderr, "firedrill run: --trace runs are not journaled; --resume/--fresh ignored\n");
    sweep_exec_begin(&x, "run", out_path, quiet);
    status = sweep_exec_run_threads(&x, jobs, err, sizeof err);
    replica_metrics *rows = NULL;
    incident_record *inc = NULL;
    size_t n_rows = 0, n_inc = 0;
    h5out_trace *traces = NULL;
    if (status == SWEEP_OK) status = sweep_exec_collect(&x, &rows, &n_rows, &inc, &n_inc, err, sizeof err);
    if (status == SWEEP_OK && trace) {
        traces = calloc(seeds, sizeof *traces);
        if (!traces) {
            snprintf(err, sizeof err, "out of memory");
            status = SWEEP_EFAIL;
        }
        for (uint64_t i = 0; traces && i < seeds; i++) {
            const sweep_trace *t = &x.traces[i];
            traces[i] = (h5out_trace){first + i, t->rows, t->n_rows, t->timeline, t->n_timeline};
        }
    }
    if (status != SWEEP_OK) fprintf(stderr, "firedrill run: %s: %s\n", file, err);
    if (status == SWEEP_OK)
        status = write_run(sc, backend, out_path, rows, n_rows, inc, n_inc, traces, quiet, argc, argv);
    sweep_exec_end(&x, "run", status == SWEEP_OK);
    free(traces);
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
        {"set", required_argument, 0, 'S'},
        {"max-events", required_argument, 0, 'M'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    uint64_t seeds = 10, first = 1, max_events = SIM_DEFAULT_MAX_EVENTS;
    const char *out_path = NULL;
    bool quiet = false;
    rec_backend backend = REC_BACKEND_AUTO;
    bool trace = false, resume = false, fresh = false;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t jobs = cpus > 0 ? (uint64_t)cpus : 1;
    char **sets = NULL;
    size_t n_sets = 0;
    optind = 0;
    opterr = 0;
    int c, status = FD_OK;
    while (status == FD_OK && (c = getopt_long(argc, argv, "o:qhj:", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!cli_parse_u64("run", "--seeds", optarg, 1, 100000000, &seeds)) status = FD_EINPUT;
            break;
        case 's':
            if (!cli_parse_u64("run", "--seed", optarg, 0, UINT64_MAX / 2, &first)) status = FD_EINPUT;
            break;
        case 'M':
            if (!cli_parse_u64("run", "--max-events", optarg, 0, UINT64_MAX / 2, &max_events)) status = FD_EINPUT;
            break;
        case 'S':
            if (!add_set(&sets, &n_sets, optarg)) status = FD_EFAIL;
            break;
        case 'o': out_path = optarg; break;
        case 'q': quiet = true; break;
        case 't': trace = true; break;
        case 'r': resume = true; break;
        case 'f': fresh = true; break;
        case 'j':
            if (!cli_parse_u64("run", "-j", optarg, 1, 1024, &jobs)) status = FD_EINPUT;
            break;
        case 'b':
            if (rec_backend_parse(optarg, &backend) != 0)
                status = cli_usage_error("run", "--backend: expected auto, cpu or cuda, got '%s'", optarg);
            break;
        case 'h':
            fputs(run_usage, stdout);
            free(sets);
            return FD_OK;
        default: status = cli_usage_error("run", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (status == FD_OK && optind != argc - 1) status = cli_usage_error("run", "expected one scenario file");
    if (status == FD_OK && resume && fresh) status = cli_usage_error("run", "--resume and --fresh exclude each other");
    if (status != FD_OK) {
        free(sets);
        return status;
    }
    const char *file = argv[optind];
    char berr[256];
    if (!cli_resolve_backend(&backend, berr, sizeof berr)) {
        fprintf(stderr, "firedrill run: %s\n", berr);
        free(sets);
        return FD_EFAIL;
    }

    scenario sc;
    status = load_scenario("run", file, sets, n_sets, &sc);
    free(sets);
    if (status != FD_OK) {
        scenario_free(&sc);
        return status;
    }
    cli_warn_scenario(&sc, file, stderr);
    char default_path[256];
    if (!out_path) {
        mkdir("results", 0777);
        snprintf(default_path, sizeof default_path, "results/%s.h5", sc.name);
        out_path = default_path;
    }
    char *inputs[] = {(char *)file};
    status = cli_check_output("run", out_path, inputs, 1);
    if (status == FD_OK) status = cli_check_event_budget("run", file, &sc, max_events);
    if (status != FD_OK) {
        scenario_free(&sc);
        return status;
    }
    status = run_seeds(&sc, backend, file, first, seeds, max_events, out_path, trace, (int)jobs, resume, fresh, quiet,
                       argc, argv);
    scenario_free(&sc);
    return status;
}

int cmd_validate(int argc, char **argv) {
    bool list_keys = false, schema = false;
    static const struct option opts[] = {{"list-keys", no_argument, 0, 'k'},
                                         {"schema", no_argument, 0, 's'},
                                         {"set", required_argument, 0, 'S'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    char **sets = NULL;
    size_t n_sets = 0;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'k')
            list_keys = true;
        else if (c == 's')
            schema = true;
        else if (c == 'S') {
            if (!add_set(&sets, &n_sets, optarg)) {
                free(sets);
                return FD_EFAIL;
            }
        } else if (c == 'h') {
            fputs(validate_usage, stdout);
            free(sets);
            return FD_OK;
        } else {
            free(sets);
            return cli_usage_error("validate", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        free(sets);
        return cli_usage_error("validate", "expected one scenario file");
    }
    scenario sc;
    int status = load_scenario("validate", argv[optind], sets, n_sets, &sc);
    free(sets);
    if (status != FD_OK) {
        scenario_free(&sc);
        return status;
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
        char why[512];
        double floor_events = scenario_event_floor(&sc, why, sizeof why);
        printf("  %-16s at least %.3g per replica (most: %s); the budget is %.3g (--max-events)%s\n", "events",
               floor_events, why[0] ? why : "none", (double)SIM_DEFAULT_MAX_EVENTS,
               floor_events > (double)SIM_DEFAULT_MAX_EVENTS ? "  <- more than the budget" : "");
    }
    scenario_free(&sc);
    return FD_OK;
}
