/* Small helpers shared by the subcommands: strict number parsing with a
 * message naming the option, and the one place where a status becomes an
 * exit code. */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kernels/rec.h"
#include "models/scenario.h"
#include "util/fd_status.h"

/* The process exit status of a subcommand's fd_status, the only mapping
 * there is: FD_OK 0, FD_EINPUT (bad usage or input) 2, any other failure 1. */
int cli_exit_status(int status);

extern const char firedrill_git_rev[];

/* Each parses the whole string or prints "firedrill CMD: OPTION: reason" to
 * stderr and returns false. */
bool cli_parse_u64(const char *cmd, const char *option, const char *text, uint64_t min, uint64_t max, uint64_t *out);
bool cli_parse_double(const char *cmd, const char *option, const char *text, double min, double max, double *out);

/* The SHA-256 of data as 64 hex digits (OpenSSL); false (and "") on failure.
 * Results files record it for the scenario and sweep texts. */
bool cli_sha256_hex(const void *data, size_t n, char out[65]);

/* Formats a message into err (which may be NULL or empty) through fd_errf,
 * the one formatter; new code calls fd_errf itself. */
void cli_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --backend as run: auto is the CUDA backend where it loads, else the CPU;
 * a backend named must load here. false with the reason. */
bool cli_resolve_backend(rec_backend *backend, char *err, size_t errlen);

/* `firedrill CMD --list-keys | --schema` for the files of CMD ("sweep",
 * "optimize"): the registry lines of known(), or its JSON Schema
 * (cfg_schema_json), on stdout; `extra_args` arguments beyond the options
 * are refused. Returns the status. */
int cli_keys_command(const char *cmd, bool list_keys, bool schema, int extra_args,
                     bool (*known)(char ***keys, size_t *n));

/* "firedrill ARGV..." (argv[0] is the subcommand), cut to fit len. */
void cli_join_command(int argc, char **argv, char *out, size_t len);

/* The scenario's warnings on out, each as "warning: LABEL: JSON.PATH:
 * reason": backups that outlast their period (models/overload.h), then the
 * planning ones (models/planfig.h: onsets past the horizon, nothing that
 * fails, heavy backups); returns how many. Warnings never change an exit
 * status. */
int cli_warn_scenario(const scenario *sc, const char *label, FILE *out);

/* Prints the planning figures of sc (models/planfig.h) as an aligned block:
 * backups against their periods and the link, the peak offered rate against
 * each region's capacity, N-1 headroom and the yearly cost of standing by. */
void cli_print_planfig(const scenario *sc, FILE *out);

/* Refuses an output path before any work: empty, a directory, in a
 * directory that does not exist, or the same file (device and inode, links
 * followed) as one of the n inputs, for itself or for its journal
 * (OUT.journal). Prints "firedrill CMD: -o: reason" and returns
 * FD_EINPUT, else FD_OK. */
int cli_check_output(const char *cmd, const char *out_path, char *const *inputs, size_t n);

/* Refuses, before any work, a scenario whose replicas need more events than
 * the budget (scenario_event_floor > max_events; 0: no budget): prints
 * "firedrill CMD: LABEL: ..." naming the largest source and the budget,
 * returns FD_EFAIL; else FD_OK. */
int cli_check_event_budget(const char *cmd, const char *label, const scenario *sc, uint64_t max_events);

/* Removes "PATH.tmp.PID" files (temporary results and journals) whose
 * process no longer runs, saying so on stderr unless quiet; returns how
 * many. Call it while holding the output's journal lock. */
int cli_remove_stale_temps(const char *cmd, const char *path, bool quiet);

/* From now on SIGINT, SIGTERM and SIGHUP write message to stderr, then end
 * the process by that signal as before (finished replicas are with the
 * kernel already: the journal keeps them). NULL: back to the default. */
void cli_on_interrupt(const char *message);

/* Prints "firedrill CMD: <message>\nTry 'firedrill CMD --help'." and returns
 * FD_EINPUT. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
