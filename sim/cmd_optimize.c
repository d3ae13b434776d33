/* `firedrill optimize OPT.json`: the cheapest point meeting the targets,
 * sequentially (sim/optimize.h). */
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/cli.h"
#include "sim/commands.h"
#include "sim/h5out.h"
#include "sim/optimize.h"
#include "sim/sweep_run.h"

extern const char firedrill_git_rev[];

static const char optimize_usage[] =
    "usage: firedrill optimize OPT.json [-j N] [-o OUT.h5] [--backend auto|cpu|cuda] [--grid]\n"
    "                          [--resume | --fresh] [--quiet]\n"
    "       firedrill optimize --list-keys | --schema\n"
    "\n"
    "The point of a sweep with the lowest mean objective (default total_cost_per_year)\n"
    "among those whose targets hold, with the stated confidence, giving replicas only\n"
    "to points still in contention: the constrained fully sequential procedure of\n"
    "Andradottir and Kim (2010), common random numbers (every point meets seeds\n"
    "first_seed, first_seed + 1, ... in order).\n"
    "\n"
    "OPT.json is a sweep file (seeds: the most a point may get) plus\n"
    "  \"targets\": {\"rto_max_s\": 3600, \"rpo_max_s\": 900, \"confidence\": 0.95,\n"
    "              \"availability_min\": 0.999, \"max\": {\"COLUMN\": value}, \"tolerance\": 0.1},\n"
    "  \"objective\": \"total_cost_per_year\", \"budget_replicas\": N, \"indifference\": 0.01, \"n0\": 20\n"
    "\n"
    "Writes OUT.h5 (default results/<name>.h5) like a sweep's, with the replicas run;\n"
    "prints each point's fate and, last, one machine-readable line:\n"
    "  optimize: best_point=I replicas=R grid_points=G grid_replicas=N pcs_bound=P\n"
    "--grid: the exhaustive grid instead (every point, every seed), chosen by the report's\n"
    "  rule (one-sided t bounds of the target means), to compare with\n"
    "\n"
    "Every replica is journaled in OUT.h5.journal as it finishes (the sweep executor's\n"
    "journal): after a kill or Ctrl-C, --resume replays the procedure on the replicas\n"
    "kept and computes only the rest, with the same choice as an uninterrupted run;\n"
    "--fresh discards the journal. Results do not depend on -j.\n"
    "Under mpirun -n R: rank 0 runs the procedure and writes, every rank computes each\n"
    "stage's replicas (the same choice and tables as with threads).\n"
    "\n"
    "--list-keys: every key of optimize files (tab-separated: path, type, unit, default,\n"
    "  min, max, meaning); --schema: their JSON Schema (scenarios/optimize.schema.json)\n";

static void print_fates(const opt_spec *s, const opt_result *r) {
    printf("%-6s %-44s %8s %-30s %14s", "point", "parameters", "replicas", "fate", s->objective);
    for (size_t l = 0; l < s->n_constraints; l++) printf(" %18s", s->constraints[l].column);
    printf("\n");
    for (size_t i = 0; i < s->sw.n_points; i++) {
        const opt_point *p = &r->points[i];
        char fate[64];
        if (p->fate == RS_DOMINATED)
            snprintf(fate, sizeof fate, "dominated by %d at %llu", p->by, (unsigned long long)p->decided);
        else if (p->fate == RS_INFEASIBLE)
            snprintf(fate, sizeof fate, "infeasible (%s) at %llu", s->constraints[p->by].column,
                     (unsigned long long)p->decided);
        else
            snprintf(fate, sizeof fate, "%s%s", rs_fate_names[p->fate], (int)i == r->best ? " *" : "");
        printf("%-6zu %-44.44s %8llu %-30s %14.6g", i, s->sw.points[i].parameters, (unsigned long long)p->seeds, fate,
               p->objective_mean);
        for (size_t l = 0; l < s->n_constraints; l++) printf(" %18.6g", p->constraint_mean[l]);
        printf("\n");
    }
}

static void print_guarantee(const opt_spec *s, const opt_result *r) {
    if (s->grid) {
        printf("grid: every point got %llu replicas; chosen by the report's rule (one-sided %.3g t bounds of the "
               "target means, then the lowest mean %s)\n",
               (unsigned long long)s->sw.seeds, s->confidence, s->objective);
        return;
    }
    printf("procedure: Andradottir & Kim (2010) constrained KN, alpha %.3g split between feasibility "
           "(Bonferroni over %zu points x %zu targets, h^2 %.3g) and selection (h^2 %.3g); n0 %llu; "
           "indifference %.4g (%.2g %% of the first stage's median %s); feasibility tolerance %.2g %% of each target\n",
           1 - s->confidence, s->sw.n_points, s->n_constraints, r->h2_feasibility, r->h2_selection,
           (unsigned long long)s->n0, r->delta, 100 * s->indifference, s->objective, 100 * s->tolerance);
    if (r->guaranteed)
        printf("guarantee: with probability >= %.3g the chosen point meets the targets (up to the tolerance) and its "
               "mean %s is within %.4g of the best such point's, if each point's per-replica values are normal "
               "(heavy tails strain this: tests/unit/test_rs.c measures it)\n",
               s->confidence, s->objective, r->delta);
    else
        printf("no guarantee: the budget or the per-point seeds ran out before the procedure decided; the choice "
               "is the best mean among the points still in contention whose target means hold\n");
}

/* A row of /optimize: one point's fate. */
typedef struct fate_record {
    uint32_t point;
    char fate[16];          /* contending, infeasible, dominated, selected, stopped */
    uint32_t by_point;      /* dominated: the point that eliminated it (UINT32_MAX: none) */
    char infeasible_on[64]; /* infeasible: the target's column */
    uint64_t seeds;         /* replicas run */
    uint64_t decided_at;    /* replicas run when the fate was decided */
    double objective_mean;
    char estimates[256]; /* JSON: the target columns' means */
} fate_record;

#define FATE_FIELD(member, t, unit, doc)                                                                               \
    { #member, unit, t, offsetof(fate_record, member), sizeof(((fate_record *)0)->member), doc }
static const metric_field fate_fields[] = {
    FATE_FIELD(point, METRIC_U32, "1", "sweep point index"),
    FATE_FIELD(fate, METRIC_STR, "", "contending, infeasible, dominated, selected or stopped"),
    FATE_FIELD(by_point, METRIC_U32, "1", "dominated: the point that eliminated it (4294967295: none)"),
    FATE_FIELD(infeasible_on, METRIC_STR, "", "infeasible: the target's column"),
    FATE_FIELD(seeds, METRIC_U64, "1", "replicas run"),
    FATE_FIELD(decided_at, METRIC_U64, "1", "replicas run when the fate was decided"),
    FATE_FIELD(objective_mean, METRIC_F64, "", "mean objective over the replicas run"),
    FATE_FIELD(estimates, METRIC_STR, "", "JSON: the mean of each target's column"),
};

static int write_file(const opt_spec *s, const opt_result *r, const char *out_path, const char *command, char *err,
                      size_t errlen) {
    const sweep_spec *sw = &s->sw;
    h5out_point *points = sweep_h5_points(sw);
    char *metrics = sweep_metrics_json(sw);
    int rc = -1;
    if (!points || !metrics) {
        snprintf(err, errlen, "out of memory");
    } else {
        const sweep_point *b = &sw->points[r->best >= 0 ? (size_t)r->best : sw->baseline_point];
        h5out_meta meta = {
            FIREDRILL_VERSION, firedrill_git_rev, sw->name,           b->sha256, rec_backend_name(sw->backend),
            command,           b->scenario_json,  b->sc.resolved_json};
        fate_record *fates = calloc(sw->n_points, sizeof *fates);
        char summary[1024];
        snprintf(summary, sizeof summary,
                 "{\"procedure\":\"Andradottir and Kim (2010), constrained fully sequential (KN)\","
                 "\"objective\":\"%s\",\"best_point\":%d,\"replicas\":%llu,\"grid_replicas\":%llu,"
                 "\"guaranteed\":%s,\"confidence\":%g,\"indifference\":%g,\"tolerance\":%g,\"n0\":%llu,"
                 "\"grid\":%s}",
                 s->objective, r->best, (unsigned long long)r->replicas, (unsigned long long)(sw->n_points * sw->seeds),
                 r->guaranteed ? "true" : "false", s->confidence, r->delta, s->tolerance, (unsigned long long)s->n0,
                 s->grid ? "true" : "false");
        for (size_t i = 0; fates && i < sw->n_points; i++) {
            const opt_point *p = &r->points[i];
            fate_record *f = &fates[i];
            f->point = (uint32_t)i;
            snprintf(f->fate, sizeof f->fate, "%s", rs_fate_names[p->fate]);
            f->by_point = p->fate == RS_DOMINATED && p->by >= 0 ? (uint32_t)p->by : UINT32_MAX;
            if (p->fate == RS_INFEASIBLE && p->by >= 0)
                snprintf(f->infeasible_on, sizeof f->infeasible_on, "%s", s->constraints[p->by].column);
            f->seeds = p->seeds;
            f->decided_at = p->decided;
            f->objective_mean = p->objective_mean;
            size_t len = (size_t)snprintf(f->estimates, sizeof f->estimates, "{");
            for (size_t l = 0; l < s->n_constraints && len < sizeof f->estimates; l++)
                len += (size_t)snprintf(f->estimates + len, sizeof f->estimates - len, "%s\"%s\":%.6g", l ? "," : "",
                                        s->constraints[l].column, p->constraint_mean[l]);
            if (len < sizeof f->estimates) snprintf(f->estimates + len, sizeof f->estimates - len, "}");
        }
        const h5out_table extra = {"optimize",
                                   fate_fields,
                                   sizeof fate_fields / sizeof fate_fields[0],
                                   sizeof(fate_record),
                                   fates,
                                   fates ? sw->n_points : 0,
                                   summary};
        h5out_sweep hs = {sw->name,
                          sw->sha256,
                          sw->text,
                          sweep_combine_name(sw->combine),
                          metrics,
                          sw->n_points,
                          sw->seeds,
                          sw->first_seed,
                          sw->baseline_point,
                          0,
                          1,
                          points,
                          &extra};
        rc = fates ? h5out_write_sweep(out_path, &meta, &hs, r->rows, r->n_rows, r->incidents, r->n_incidents, err,
                                       errlen)
                   : (snprintf(err, errlen, "out of memory"), -1);
        free(fates);
    }
    free(points);
    free(metrics);
    return rc;
}

#ifdef FIREDRILL_HAVE_MPI
/* One stage of the procedure on every rank (opt_exec.run). */
static int run_stage_mpi(void *ctx, sweep_exec *x, int jobs, char *err, size_t errlen) {
    return sweep_mpi_run_stage(ctx, x, jobs, err, errlen);
}
#endif

int cmd_optimize(int argc, char **argv) {
    static const struct option opts[] = {
        {"jobs", required_argument, 0, 'j'},
        {"output", required_argument, 0, 'o'},
        {"backend", required_argument, 0, 'b'},
        {"quiet", no_argument, 0, 'q'},
        {"grid", no_argument, 0, 'g'},
        {"resume", no_argument, 0, 'r'},
        {"fresh", no_argument, 0, 'f'},
        {"list-keys", no_argument, 0, 'K'},
        {"schema", no_argument, 0, 'Z'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    uint64_t jobs = 1;
    const char *out_path = NULL;
    bool quiet = false, grid = false, resume = false, fresh = false, list_keys = false, schema = false;
    rec_backend backend = REC_BACKEND_AUTO;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "j:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            if (!cli_parse_u64("optimize", "-j", optarg, 1, 64, &jobs)) return FD_EINPUT;
            break;
        case 'o': out_path = optarg; break;
        case 'q': quiet = true; break;
        case 'g': grid = true; break;
        case 'r': resume = true; break;
        case 'f': fresh = true; break;
        case 'b':
            if (rec_backend_parse(optarg, &backend) != 0)
                return cli_usage_error("optimize", "--backend: expected auto, cpu or cuda, got '%s'", optarg);
            break;
        case 'K': list_keys = true; break;
        case 'Z': schema = true; break;
        case 'h': fputs(optimize_usage, stdout); return FD_OK;
        default: return cli_usage_error("optimize", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (list_keys || schema) return cli_keys_command("optimize", list_keys, schema, argc - optind, opt_known_keys);
    if (optind != argc - 1) return cli_usage_error("optimize", "expected one optimize file");
    if (resume && fresh) return cli_usage_error("optimize", "--resume and --fresh exclude each other");
    const char *file = argv[optind];
    /* Under mpirun every rank reads the file; rank 0 runs the procedure,
     * journals and writes, the others compute the units of each stage. */
    sweep_mpi mpi;
    int status = sweep_mpi_start(&mpi, "optimize", true);
    if (status != FD_OK) return status;
    const bool root = mpi.rank == 0;
    opt_spec spec;
    char err[2048];
    status = FD_OK;
    if (!opt_load(&spec, file, err, sizeof err)) status = spec.sw.out_of_memory ? FD_EFAIL : FD_EINPUT;
    if (status == FD_OK) {
        if (!cli_resolve_backend(&backend, err, sizeof err)) status = FD_EFAIL;
        spec.sw.backend = backend;
        spec.grid = grid;
    }
#ifdef FIREDRILL_HAVE_MPI
    if (mpi.active) status = sweep_mpi_settle(&mpi, "optimize", file, spec.sw.sha256, status, err);
#endif
    if (status != FD_OK) {
        if (!mpi.active) fprintf(stderr, "firedrill optimize: %s\n", err);
        opt_free(&spec);
#ifdef FIREDRILL_HAVE_MPI
        if (mpi.active) sweep_mpi_finalize(&mpi);
#endif
        return status;
    }
    char default_path[256], journal[4200];
    if (!out_path) {
        if (root) mkdir("results", 0777);
        snprintf(default_path, sizeof default_path, "results/%s.h5", spec.sw.name);
        out_path = default_path;
    }
    snprintf(journal, sizeof journal, "%s.journal", out_path);
    sweep_opts so = {.shard_n = 1, .resume = resume, .fresh = fresh, .select_units = true, .journal_path = journal};
    sweep_exec x;
    opt_result r = {0};
    if (root) status = cli_check_output("optimize", out_path, spec.sw.inputs, spec.sw.n_inputs);
    const bool exec_made = root && status == FD_OK; /* freed whether it failed or not */
    if (exec_made) {
        status = sweep_exec_init(&x, &spec.sw, &so, err, sizeof err);
        if (status != FD_OK) fprintf(stderr, "firedrill optimize: %s\n", err);
    }
    const bool journal_held = root && status == FD_OK;
#ifdef FIREDRILL_HAVE_MPI
    if (mpi.active) {
        int s0 = 0;
        if (sweep_mpi_agree(&mpi, status, &s0) != FD_OK && status == FD_OK) status = s0 ? s0 : FD_EFAIL;
    }
    if (status == FD_OK && !root) {
        status = sweep_mpi_worker(&mpi, &spec.sw, err, sizeof err);
        opt_free(&spec);
        sweep_mpi_finalize(&mpi);
        return status;
    }
#endif
    if (journal_held) sweep_exec_begin(&x, "optimize", out_path, quiet);
    if (status == FD_OK) {
        opt_exec e = {.x = &x, .jobs = (int)jobs, .progress = !quiet && isatty(STDERR_FILENO)};
#ifdef FIREDRILL_HAVE_MPI
        if (mpi.active && mpi.size > 1) {
            e.run = run_stage_mpi;
            e.ctx = &mpi;
        }
#endif
        status = opt_run(&spec, &e, &r, err, sizeof err);
        if (status != FD_OK) fprintf(stderr, "firedrill optimize: %s: %s\n", file, err);
#ifdef FIREDRILL_HAVE_MPI
        if (mpi.active && mpi.size > 1) sweep_mpi_stop(&mpi);
#endif
    }
    if (status == FD_OK) {
        char command[1024];
        cli_join_command(argc, argv, command, sizeof command);
        if (write_file(&spec, &r, out_path, command, err, sizeof err) != 0) {
            fprintf(stderr, "firedrill optimize: %s\n", err);
            status = FD_EFAIL;
        }
    }
    if (journal_held) sweep_exec_end(&x, "optimize", status == FD_OK);
    if (status == FD_OK) {
        if (!quiet) {
            print_fates(&spec, &r);
            print_guarantee(&spec, &r);
            printf("wrote %s (%zu replicas)\n", out_path, r.n_rows);
        }
        char pcs[32] = "none";
        if (r.guaranteed) snprintf(pcs, sizeof pcs, "%.3g", r.pcs_bound);
        printf("optimize: best_point=%d replicas=%llu grid_points=%zu grid_replicas=%llu pcs_bound=%s\n", r.best,
               (unsigned long long)r.replicas, spec.sw.n_points, (unsigned long long)(spec.sw.n_points * spec.sw.seeds),
               pcs);
    }
    opt_result_free(&r);
    if (exec_made) sweep_exec_free(&x);
    opt_free(&spec);
#ifdef FIREDRILL_HAVE_MPI
    if (mpi.active) sweep_mpi_finalize(&mpi);
#endif
    return status;
}
