/* firedrill: disaster-recovery drills for recommendation models, simulated. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "sim/cli.h"
#include "sim/commands.h"

typedef struct subcommand {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* an fd_status; NULL: planned, not in this version */
} subcommand;

static const subcommand subcommands[] = {
    {"init", "write a starter scenario with the default disasters and their sources", cmd_init},
    {"run", "simulate seeded replicas of a scenario, write HDF5", cmd_run},
    {"validate", "check a scenario file and print what it would simulate", cmd_validate},
    {"sweep", "run a grid of scenarios x seeds over threads, MPI ranks or shards", cmd_sweep},
    {"merge", "join shard files of a sweep", cmd_merge},
    {"export", "a results file's tables as CSV, sweep parameters as columns", cmd_export},
    {"optimize", "the cheapest point meeting RTO/RPO targets, sequentially (ranking and selection)", cmd_optimize},
    {"summarize", "per-point means, CIs and quantiles of a results file", cmd_summarize},
    {"plot", "gnuplot figures from a results file", cmd_plot},
    {"report", "capacity-planning report from a results file", cmd_report},
    {"calibrate", "measure kernel batch latency for service times", cmd_calibrate},
    {"bench", "engine and kernel benchmarks (phold, kernels)", cmd_bench},
};
#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void print_help(FILE *out) {
    fprintf(out, "usage: firedrill [--help] [--version] COMMAND [ARGS]\n\n"
                 "Simulates disasters, backups and failover of AI recommendation models and\n"
                 "measures RTO, RPO, availability and cost over seeded replicas.\n\ncommands:\n");
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        fprintf(out, "  %-10s %s%s\n", subcommands[i].name, subcommands[i].summary,
                subcommands[i].run ? "" : " (not yet in this version)");
    fprintf(out, "\n'firedrill COMMAND --help' describes each command.\n"
                 "Exit status: 0 success, 1 the work failed, 2 bad usage or input.\n");
}

int main(int argc, char **argv) {
    /* GSL's default handler aborts; every library call here checks returns. */
    gsl_set_error_handler_off();
    if (argc < 2) {
        print_help(stderr);
        return cli_exit_status(FD_EINPUT);
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_help(stdout);
        return cli_exit_status(FD_OK);
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("firedrill %s (git %s)\n", FIREDRILL_VERSION, firedrill_git_rev);
        return cli_exit_status(FD_OK);
    }
    if (name[0] == '-') {
        fprintf(stderr, "firedrill: unknown option '%s'\nTry 'firedrill --help'.\n", name);
        return cli_exit_status(FD_EINPUT);
    }
    for (size_t i = 0; i < N_SUBCOMMANDS; i++) {
        if (strcmp(subcommands[i].name, name) != 0) continue;
        if (!subcommands[i].run) {
            fprintf(stderr, "firedrill %s: not available in this version\n", name);
            return cli_exit_status(FD_EFAIL);
        }
        return cli_exit_status(subcommands[i].run(argc - 1, argv + 1));
    }
    fprintf(stderr, "firedrill: unknown command '%s'\nTry 'firedrill --help'.\n", name);
    return cli_exit_status(FD_EINPUT);
}
