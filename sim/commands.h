/* Subcommands of the firedrill program. Each takes the arguments after its
 * own name (argv[0] is the subcommand) and returns an fd_status
 * (util/fd_status.h): FD_OK, FD_EINPUT for bad usage or bad input, another
 * code when the work failed. main() turns it into the exit status through
 * cli_exit_status (sim/cli.c), the one place that knows exit codes. */
#ifndef FIREDRILL_COMMANDS_H
#define FIREDRILL_COMMANDS_H

/* `firedrill init -o FILE.json`: a starter scenario (sim/cmd_init.c). */
int cmd_init(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
/* `firedrill export FILE.h5 --csv DIR` (sim/cmd_export.c). */
int cmd_export(int argc, char **argv);
int cmd_optimize(int argc, char **argv);

/* `firedrill bench kernels ...`, called by cmd_bench. */
int cmd_bench_kernels(int argc, char **argv);

/* The analysis of a results file (sim/cmd_analyze.c). */
int cmd_summarize(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
