/* `firedrill sweep` (`firedrill merge` is sim/cmd_merge.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels/rec.h"
#include "sim/cli.h"
#include "sim/commands.h"
#include "sim/engine/limits.h"
#include "sim/h5out.h"
#include "sim/sweep.h"
#include "sim/sweep_run.h"

static const char sweep_usage[] =
    "usage: firedrill sweep SWEEP.json [-j N] [--shard K/N] [--resume | --fresh] [-o results/NAME.h5]\n"
    "                       [--backend auto|cpu|cuda] [--max-events N] [--quiet] [--list]\n"
    "                       [--emit-point I]\n"
    "       mpirun -n R firedrill sweep SWEEP.json ...\n"
    "       firedrill sweep --list-keys | --schema\n"
    "\n"
    "Runs every point of the sweep (a base scenario with parameters varied by JSON path)\n"
    "for the sweep's seeds, and writes one HDF5 file (default results/<name>.h5) with\n"
    "/points, /replicas and /incidents ordered by (point, seed). The tables are the same\n"
    "bit for bit for any -j, shard split or MPI rank count (wall_s excepted), and equal to\n"
    "`firedrill run` of the point's scenario with the same seed.\n"
    "\n"
    "  -j N           worker threads (default: online CPUs; under mpirun 1 per rank,\n"
    "                 and -j 0 leaves rank 0 to hand out work only)\n"
    "  --shard K/N    run only units with index % N == K and write a shard file\n"
    "                 (default results/<name>.shardK-of-N.h5); join with firedrill merge\n"
    "  --resume       continue from OUT.h5.journal after an interruption (kill -9 included)\n"
    "  --fresh        discard an existing journal and start over\n"
    "  --backend B    where the kernels of model.real_state / service.execute run (default\n"
    "                 auto: CUDA when a GPU is present); the root attribute 'backend' records\n"
    "                 it. Under mpirun on unlike machines pin it: each rank resolves auto itself\n"
    "  --max-events N a replica that needs more than N events fails the sweep (exit 1)\n"
    "                 instead of running for ever (default 1e7, 0: no limit)\n"
    "  --list         print the points and their parameters, run nothing\n"
    "  --emit-point I print point I's scenario JSON (what `firedrill run` would read)\n"
    "  --quiet        no progress bar and no summary line\n"
    "  --list-keys    print every key of sweep files (path, type, unit, default, min, max,\n"
    "                 meaning; tab-separated), --schema their JSON Schema\n"
    "                 (scenarios/sweep.schema.json); no sweep file\n"
    "\n"
    "Progress is journaled to OUT.h5.journal while running; the journal is removed once\n"
    "the file is complete. Without --resume or --fresh an existing journal is an error;\n"
    "a journal another run holds (locked) is refused. -o must not name an input, a\n"
    "directory or an empty path. Exit status 2 on a bad sweep file or output path\n"
    "(nothing is written), 1 when a replica fails or the results cannot be written (the\n"
    "journal then keeps the finished replicas for --resume).\n"
#ifdef FIREDRILL_HAVE_MPI
    "MPI: built in (mpirun -n R: rank 0 hands out units and writes).\n";
#else
    "MPI: not built in (make MPI=1 with Open MPI installed).\n";
#endif

static bool parse_shard(const char *text, uint32_t *k, uint32_t *n) {
    unsigned long a, b;
    char extra;
    if (sscanf(text, "%lu/%lu%c", &a, &b, &extra) != 2 || b < 1 || b > 1000000 || a >= b) {
        fprintf(stderr, "firedrill sweep: --shard: expected K/N with 0 <= K < N, got '%s'\n", text);
        return false;
    }
    *k = (uint32_t)a;
    *n = (uint32_t)b;
    return true;
}

static int list_points(const sweep_spec *sw) {
    printf("sweep %s: %zu point(s) x %llu seed(s) (%llu..%llu), combine %s, sweep sha256 %s\n", sw->name, sw->n_points,
           (unsigned long long)sw->seeds, (unsigned long long)sw->first_seed,
           (unsigned long long)(sw->first_seed + sw->seeds - 1), sweep_combine_name(sw->combine), sw->sha256);
    printf("point\tscenario\tscenario_sha256\tparameters\n");
    for (size_t i = 0; i < sw->n_points; i++)
        printf("%zu\t%s\t%s\t%s\n", i, sw->points[i].sc.name, sw->points[i].sha256, sw->points[i].parameters);
    return FD_OK;
}

/* Each point is a scenario of its own: warn about the backups it overloads,
 * naming the point as sweep errors do. */
static void warn_overload(const sweep_spec *sw) {
    for (size_t i = 0; i < sw->n_points; i++) {
        char label[1024];
        snprintf(label, sizeof label, "%s: points[%zu] (parameters %s)", sw->file, i, sw->points[i].parameters);
        cli_warn_scenario(&sw->points[i].sc, label, stderr);
    }
}

/* Writes the shard's results; the caller then removes the journal. */
static int write_results(const sweep_spec *sw, const sweep_exec *x, const char *out_path, const char *command,
                         char *err, size_t errlen) {
    replica_metrics *rows = NULL;
    incident_record *inc = NULL;
    size_t n_rows = 0, n_inc = 0;
    if (sweep_exec_collect(x, &rows, &n_rows, &inc, &n_inc, err, errlen) != SWEEP_OK) return SWEEP_EFAIL;
    h5out_point *points = sweep_h5_points(sw);
    char *metrics = sweep_metrics_json(sw);
    int rc = SWEEP_EFAIL;
    if (!points || !metrics)
        snprintf(err, errlen, "out of memory");
    else {
        /* The root names the sweep (its points may come from different
         * base scenarios); /scenario holds the baseline point's scenario.
         * Kernels run where `auto` puts them, as in `firedrill run`. */
        const sweep_point *b = &sw->points[sw->baseline_point];
        const char *backend = rec_backend_name(sw->backend);
        h5out_meta meta = {FIREDRILL_VERSION, firedrill_git_rev, sw->name,         b->sha256,
                           backend,           command,           b->scenario_json, b->sc.resolved_json};
        h5out_sweep hs = {sw->name,
                          sw->sha256,
                          sw->text,
                          sweep_combine_name(sw->combine),
                          metrics,
                          sw->n_points,
                          sw->seeds,
                          sw->first_seed,
                          sw->baseline_point,
                          x->opts.shard_k,
                          x->opts.shard_n,
                          points,
                          NULL};
        if (h5out_write_sweep(out_path, &meta, &hs, rows, n_rows, inc, n_inc, err, errlen) == 0) rc = SWEEP_OK;
    }
    free(points);
    free(metrics);
    free(rows);
    free(inc);
    return rc;
}

int cmd_sweep(int argc, char **argv) {
    static const struct option opts[] = {
        {"jobs", required_argument, 0, 'j'},    {"shard", required_argument, 0, 'S'},
        {"resume", no_argument, 0, 'r'},        {"fresh", no_argument, 0, 'F'},
        {"output", required_argument, 0, 'o'},  {"quiet", no_argument, 0, 'q'},
        {"list", no_argument, 0, 'l'},          {"emit-point", required_argument, 0, 'e'},
        {"backend", required_argument, 0, 'b'}, {"max-events", required_argument, 0, 'M'},
        {"list-keys", no_argument, 0, 'K'},     {"schema", no_argument, 0, 'Z'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    bool list_keys = false, schema = false;
    rec_backend backend = REC_BACKEND_AUTO;
    uint64_t jobs = 0, emit = 0, max_events = SIM_DEFAULT_MAX_EVENTS;
    bool jobs_given = false, quiet = false, list = false, emit_given = false;
    sweep_opts so = {.shard_k = 0, .shard_n = 1};
    const char *out_path = NULL;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "j:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            if (!cli_parse_u64("sweep", "-j", optarg, 0, 4096, &jobs)) return FD_EINPUT;
            jobs_given = true;
            break;
        case 'S':
            if (!parse_shard(optarg, &so.shard_k, &so.shard_n)) return FD_EINPUT;
            break;
        case 'r': so.resume = true; break;
        case 'F': so.fresh = true; break;
        case 'o': out_path = optarg; break;
        case 'q': quiet = true; break;
        case 'l': list = true; break;
        case 'e':
            if (!cli_parse_u64("sweep", "--emit-point", optarg, 0, SWEEP_MAX_POINTS, &emit)) return FD_EINPUT;
            emit_given = true;
            break;
        case 'b':
            if (rec_backend_parse(optarg, &backend) != 0)
                return cli_usage_error("sweep", "--backend: expected auto, cpu or cuda, got '%s'", optarg);
            break;
        case 'M':
            if (!cli_parse_u64("sweep", "--max-events", optarg, 0, UINT64_MAX / 2, &max_events)) return FD_EINPUT;
            break;
        case 'K': list_keys = true; break;
        case 'Z': schema = true; break;
        case 'h': fputs(sweep_usage, stdout); return FD_OK;
        default: return cli_usage_error("sweep", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (list_keys || schema) return cli_keys_command("sweep", list_keys, schema, argc - optind, sweep_known_keys);
    if (optind != argc - 1) return cli_usage_error("sweep", "expected one sweep file");
    if (so.resume && so.fresh) return cli_usage_error("sweep", "--resume and --fresh exclude each other");
    const char *file = argv[optind];

    /* Under mpirun every rank runs this; only rank 0 talks and writes. */
    sweep_mpi mpi;
    int started = sweep_mpi_start(&mpi, "sweep", !list && !emit_given);
    if (started != FD_OK) return started;
    bool root = mpi.rank == 0;
    char err[2048];
    sweep_spec sw;
    int status = sweep_load(&sw, file, err, sizeof err) ? FD_OK : sw.out_of_memory ? FD_EFAIL : FD_EINPUT;
    sw.max_events = max_events;
    /* As in `firedrill run`: auto resolves here; cuda must be there. Every
     * rank checks its own machine, and the ranks agree below. */
    if (status == FD_OK) {
        /* a named backend need not load for --list or --emit-point */
        if ((backend == REC_BACKEND_AUTO || (!list && !emit_given)) && !cli_resolve_backend(&backend, err, sizeof err))
            status = FD_EFAIL;
        sw.backend = backend;
    }
#ifdef FIREDRILL_HAVE_MPI
    if (mpi.active) {
        int all = sweep_mpi_settle(&mpi, "sweep", file, sw.sha256, status, err);
        if (all != FD_OK) {
            sweep_free(&sw);
            sweep_mpi_finalize(&mpi);
            return all;
        }
    }
#endif
    if (status != FD_OK) {
        fprintf(stderr, "firedrill sweep: %s\n", err);
        sweep_free(&sw);
        return status;
    }
    if (root && !emit_given) warn_overload(&sw);
    if (list || emit_given) {
        if (list)
            status = list_points(&sw);
        else if (emit >= sw.n_points) {
            fprintf(stderr, "firedrill sweep: --emit-point: %s has points 0..%zu, got %llu\n", file, sw.n_points - 1,
                    (unsigned long long)emit);
            status = FD_EINPUT;
        } else
            fputs(sw.points[emit].scenario_json, stdout), fputc('\n', stdout);
        sweep_free(&sw);
        return status;
    }

    char default_path[512], journal[4200], command[1024];
    if (!out_path) {
        if (root) mkdir("results", 0777);
        if (so.shard_n > 1)
            snprintf(default_path, sizeof default_path, "results/%s.shard%u-of-%u.h5", sw.name, so.shard_k, so.shard_n);
        else
            snprintf(default_path, sizeof default_path, "results/%s.h5", sw.name);
        out_path = default_path;
    }
    if (root) status = cli_check_output("sweep", out_path, sw.inputs, sw.n_inputs);
    for (size_t i = 0; root && status == FD_OK && i < sw.n_points; i++) {
        char label[4200];
        snprintf(label, sizeof label, "%s: points[%zu]", file, i);
        status = cli_check_event_budget("sweep", label, &sw.points[i].sc, max_events);
    }
#ifdef FIREDRILL_HAVE_MPI
    if (mpi.active) {
        int s0 = 0;
        status = sweep_mpi_agree(&mpi, status, &s0);
    }
#endif
    if (status != FD_OK) {
        sweep_free(&sw);
#ifdef FIREDRILL_HAVE_MPI
        if (mpi.active) sweep_mpi_finalize(&mpi);
#endif
        return status;
    }
    snprintf(journal, sizeof journal, "%s.journal", out_path);
    cli_join_command(argc, argv, command, sizeof command);
    so.journal_path = journal;
    so.progress = root && !quiet && isatty(STDERR_FILENO);
    if (!jobs_given) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = mpi.active && mpi.size > 1 ? 1 : (uint64_t)(cpus > 0 ? cpus : 1);
    }

    sweep_exec x;
    double t0 = sweep_now();
    if (root) status = sweep_exec_init(&x, &sw, &so, err, sizeof err);
#ifdef FIREDRILL_HAVE_MPI
    if (mpi.active) {
        int s0 = 0;
        if (sweep_mpi_agree(&mpi, status, &s0) != FD_OK && status == FD_OK) status = s0 ? s0 : 1;
    }
#endif
    bool journal_held = root && status == FD_OK;
    if (journal_held) sweep_exec_begin(&x, "sweep", out_path, quiet);
    if (status == FD_OK) {
#ifdef FIREDRILL_HAVE_MPI
        if (mpi.active && !root)
            status = sweep_mpi_worker(&mpi, &sw, err, sizeof err);
        else if (mpi.active && mpi.size > 1)
            status = sweep_mpi_master(&mpi, &x, (int)jobs, err, sizeof err);
        else
#endif
            status = sweep_exec_run_threads(&x, jobs ? (int)jobs : 1, err, sizeof err);
    }
    if (status == FD_OK && root) {
        status = write_results(&sw, &x, out_path, command, err, sizeof err);
        if (status == FD_OK) sweep_exec_end(&x, "sweep", true);
    }
    double wall = sweep_now() - t0;
    if (status != FD_OK && root) fprintf(stderr, "firedrill sweep: %s\n", err);
    if (status != FD_OK && journal_held) sweep_exec_end(&x, "sweep", false);
    if (status == FD_OK && root && !quiet) {
        uint64_t computed = x.n_mine - x.n_resumed;
        printf("sweep %s: %zu points x %llu seeds = %llu replicas", sw.name, sw.n_points, (unsigned long long)sw.seeds,
               (unsigned long long)x.n_units);
        if (so.shard_n > 1) printf(" (shard %u/%u: %llu)", so.shard_k, so.shard_n, (unsigned long long)x.n_mine);
        printf(" in %.1f s (%.1f replicas/s", wall, wall > 0 ? (double)computed / wall : 0.0);
        if (x.n_resumed) printf(", %llu resumed", (unsigned long long)x.n_resumed);
        printf("), wrote %s\n", out_path);
    }
    if (root) sweep_exec_free(&x);
    sweep_free(&sw);
#ifdef FIREDRILL_HAVE_MPI
    if (mpi.active) sweep_mpi_finalize(&mpi);
#endif
    return status;
}
