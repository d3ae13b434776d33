/* `firedrill summarize`, `firedrill plot` and `firedrill report`: the
 * analysis of a results file (analysis/h5in, summary, plot, report). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/h5in.h"
#include "analysis/plot.h"
#include "analysis/report.h"
#include "analysis/summary.h"
#include "models/cfg.h"
#include "sim/cli.h"
#include "sim/commands.h"
#include "sim/outdir.h"

static const char summarize_usage[] =
    "usage: firedrill summarize FILE.h5 [--csv] [--baseline P] [--metrics a,b,c] [--confidence C]\n"
    "\n"
    "Per sweep point and metric of /replicas: n (finite values), mean with its C (default 0.95)\n"
    "confidence interval, median, p95 and p99, and the paired difference against the\n"
    "baseline point P (default: the sweep's baseline_point, else the first point) over the\n"
    "seeds both points ran. Intervals of durations, money, volumes and counts are bootstrap\n"
    "percentile intervals (2000 resamples, fixed seed: reproducible, never below 0 for a\n"
    "non-negative metric); availability keeps the t interval. A terminal table, or CSV on\n"
    "stdout with --csv. Default metrics: rto_mean_s, rpo_mean_s, availability_time,\n"
    "availability_requests, lost_revenue, latency_p99_s, backup_cost, false_failovers,\n"
    "total_cost_per_year; --metrics takes any numeric column of /replicas.\n";

static const char plot_usage[] =
    "usage: firedrill plot FILE.h5 [--kind K] [-o DIR] [--seed S] [--confidence C]\n"
    "                      [--rto-max D] [--rpo-max D] [--window FROM:TO]\n"
    "\n"
    "Writes data files (.dat) and figures (PNG and PDF, with gnuplot) into DIR (default:\n"
    "FILE without .h5, plus _plots). Kinds:\n"
    "  cdf        CDFs of RTO and RPO per incident, per point\n"
    "  backup     RPO and backup cost against backup.incremental_period_s (a sweep of it),\n"
    "             with the analytic T/2 + delta and the Young/Daly interval\n"
    "  rto_parts  mean RTO parts stacked per point\n"
    "  capacity   availability and lost revenue against a numeric swept parameter\n"
    "  timeline   incidents and RTO windows of one replica (--seed S, default the first seed\n"
    "             with an incident); --window FROM:TO draws only that span of simulated time\n"
    "             (durations such as 2h:2h30m, 1d12h:2d, or seconds; an empty side means the\n"
    "             start or the end), which must lie within the replica's horizon\n"
    "  cost       mean cost per year by part (standby, replication, backups, lost revenue,\n"
    "             penalties) per point, with the total's interval\n"
    "  frontier   total cost per year against the RTO and RPO bounds, Pareto points joined,\n"
    "             targets (--rto-max, --rpo-max) as lines\n"
    "  losses     lost revenue and SLO-missed minutes by incident kind at the cheapest point\n"
    "             meeting the targets (else the baseline)\n"
    "  bounds     each point's RTO and RPO bounds against the targets\n"
    "  heatmap    cost per year and feasibility over the two parameters of a 2-D sweep\n"
    "Without --kind, every kind the file supports; the others are skipped with a note.\n"
    "Files are written into DIR.tmp.PID first and reach DIR only when every one is\n"
    "complete: a new DIR appears whole, an existing one gets each new file (others in it\n"
    "stay); on failure (exit 1, a full disk included) nothing is left behind.\n"
    "The gnuplot scripts are found in $FIREDRILL_ANALYSIS_DIR, else next to the\n"
    "executable in ../analysis (the source tree) or ../share/firedrill/analysis (make\n"
    "install), else in ./analysis.\n";

static const char report_usage[] =
    "usage: firedrill report FILE.h5 -o DIR [--rto-max D] [--rpo-max D] [--confidence C]\n"
    "                        [--baseline P]\n"
    "\n"
    "Writes DIR/report.md, a capacity-planning report (scenario, question, recommendation,\n"
    "cost per year by part, cost/risk frontier, losses by incident kind, evidence table,\n"
    "figures, caveats), and its figures. A point meets the RTO target when the one-sided C\n"
    "upper confidence bound (bootstrap percentile) of the mean per-replica p95 RTO\n"
    "(rto_p95_s) is at most D, and the RPO target likewise on the per-replica largest RPO\n"
    "(rpo_max_s); the recommendation is the point with the lowest mean total_cost_per_year\n"
    "(older files: backup_cost), then the fewest standby resources, that meets both. Paired\n"
    "differences are against P (default: the sweep's baseline_point). Durations take s, m,\n"
    "h or d suffixes (default seconds). As with plot, the files reach DIR only when all\n"
    "were written (DIR.tmp.PID first); on failure nothing is left behind.\n";

/* ---- shared ------------------------------------------------------------------------ */

typedef struct loaded {
    h5in_file *file;
    h5in_table replicas, incidents;
    bool have_incidents;
    h5in_points points;
    char *name, *sha, *resolved, *version, *git, *created, *command, *backend, *streams, *optimize;
} loaded;

static void loaded_free(loaded *l) {
    h5in_table_free(&l->replicas);
    h5in_table_free(&l->incidents);
    h5in_points_free(&l->points);
    free(l->name);
    free(l->sha);
    free(l->resolved);
    free(l->version);
    free(l->git);
    free(l->created);
    free(l->backend);
    free(l->streams);
    free(l->optimize);
    free(l->command);
    h5in_close(l->file);
    memset(l, 0, sizeof *l);
}

static int exit_of(int h5in_rc) { return h5in_rc == H5IN_EINPUT ? FD_EINPUT : FD_EFAIL; }

/* Optional root attributes: absent ones read as NULL. */
static char *optional_attr(h5in_file *f, const char *name) {
    char *v = NULL, err[256];
    return h5in_attr_string(f, name, &v, err, sizeof err) == H5IN_OK ? v : NULL;
}

static int load(const char *cmd, const char *path, loaded *l) {
    memset(l, 0, sizeof *l);
    char err[1024];
    if (!(l->file = h5in_open(path, err, sizeof err))) {
        fprintf(stderr, "firedrill %s: %s\n", cmd, err);
        return FD_EINPUT;
    }
    int rc = h5in_table_read(l->file, "replicas", &l->replicas, err, sizeof err);
    if (rc == H5IN_OK && h5in_exists(l->file, "incidents")) {
        rc = h5in_table_read(l->file, "incidents", &l->incidents, err, sizeof err);
        l->have_incidents = rc == H5IN_OK;
    }
    if (rc == H5IN_OK) rc = h5in_points_read(l->file, &l->replicas, &l->points, err, sizeof err);
    if (rc != H5IN_OK) {
        fprintf(stderr, "firedrill %s: %s\n", cmd, err);
        loaded_free(l);
        return exit_of(rc);
    }
    l->name = optional_attr(l->file, "scenario_name");
    l->sha = optional_attr(l->file, "scenario_sha256");
    l->version = optional_attr(l->file, "firedrill_version");
    l->git = optional_attr(l->file, "git_revision");
    l->created = optional_attr(l->file, "created_utc");
    l->command = optional_attr(l->file, "command");
    l->backend = optional_attr(l->file, "backend");
    l->streams = optional_attr(l->file, "random_streams");
    l->optimize = optional_attr(l->file, "optimize_summary");
    if (h5in_string_dataset(l->file, "/scenario/resolved", &l->resolved, err, sizeof err) != H5IN_OK)
        l->resolved = NULL;
    return FD_OK;
}

static plot_data data_of(const loaded *l) {
    return (plot_data){l->name ? l->name : "unnamed",
                       l->resolved,
                       &l->replicas,
                       l->have_incidents ? &l->incidents : NULL,
                       &l->points,
                       l->file};
}

static bool parse_confidence(const char *cmd, const char *text, double *out) {
    if (!cli_parse_double(cmd, "--confidence", text, 0, 1, out)) return false;
    if (*out <= 0 || *out >= 1) {
        fprintf(stderr, "firedrill %s: --confidence: expected a number in (0, 1), got '%s'\n", cmd, text);
        return false;
    }
    return true;
}

/* A duration: seconds, or with a unit as in scenarios ("15m", "1h", "1d"). */
static bool parse_duration(const char *cmd, const char *option, const char *text, double *out) {
    char *end;
    double v = strtod(text, &end);
    bool ok = end != text && !*end ? (*out = v, true) : cfg_parse_duration(text, out);
    if (!ok || !isfinite(*out) || *out < 0) {
        fprintf(stderr, "firedrill %s: %s: expected a duration >= 0 such as 300, 5m, 1h or 1d, got '%s'\n", cmd, option,
                text);
        return false;
    }
    return true;
}

/* A duration of one or more number-unit parts ("2h30m", "1d12h", "90s"),
 * each part in the grammar of scenarios (cfg_parse_duration), or plain
 * seconds. false on anything else or a negative value. */
static bool parse_compound_duration(const char *text, double *out) {
    char *end;
    double v = strtod(text, &end);
    if (end != text && !*end) {
        *out = v;
        return isfinite(v) && v >= 0;
    }
    double total = 0;
    const char *p = text;
    if (!*p) return false;
    while (*p) {
        if (!(*p >= '0' && *p <= '9') && *p != '.') return false; /* no signs, no spaces */
        const char *q = p;
        while ((*q >= '0' && *q <= '9') || *q == '.') q++;
        while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')) q++;
        char part[64];
        double secs;
        if ((size_t)(q - p) >= sizeof part) return false;
        memcpy(part, p, (size_t)(q - p));
        part[q - p] = '\0';
        if (!cfg_parse_duration(part, &secs) || !isfinite(secs) || secs < 0) return false;
        total += secs;
        p = q;
    }
    *out = total;
    return true;
}

/* --window FROM:TO: two durations (an empty FROM is 0, an empty TO the
 * horizon, +inf here), FROM < TO. Prints the reason on failure. */
static bool parse_window(const char *text, double *from, double *to) {
    const char *colon = strchr(text, ':');
    char a[128], b[128];
    if (!colon || strchr(colon + 1, ':') || (size_t)(colon - text) >= sizeof a || strlen(colon + 1) >= sizeof b) {
        fprintf(stderr,
                "firedrill plot: --window: expected FROM:TO of simulated time, durations such as 2h:2h30m or "
                "7200:9000, got '%s'\n",
                text);
        return false;
    }
    memcpy(a, text, (size_t)(colon - text));
    a[colon - text] = '\0';
    snprintf(b, sizeof b, "%s", colon + 1);
    *from = 0;
    *to = INFINITY;
    if ((a[0] && !parse_compound_duration(a, from)) || (b[0] && !parse_compound_duration(b, to))) {
        fprintf(stderr,
                "firedrill plot: --window: '%s' is not a duration >= 0 (seconds, or parts such as 2h30m, 1d12h, "
                "90s), in '%s'\n",
                a[0] && !parse_compound_duration(a, from) ? a : b, text);
        return false;
    }
    if (!(*to > *from)) {
        fprintf(stderr, "firedrill plot: --window %s: FROM must come before TO\n", text);
        return false;
    }
    return true;
}

/* The output directory of plot and report (sim/outdir.h): false with the
 * message printed and *status set. */
static bool begin_out(const char *cmd, outdir *od, const char *out, int *status) {
    char err[OUTDIR_PATH_MAX + 256];
    int rc = outdir_begin(od, out, stderr, err, sizeof err);
    if (rc == OUTDIR_OK) return true;
    fprintf(stderr, "firedrill %s: %s\n", cmd, err);
    *status = rc == OUTDIR_EINPUT ? FD_EINPUT : FD_EFAIL;
    return false;
}

/* After the last file: into place when status is OK, else (or when that
 * fails) everything removed. Returns the status. */
static int end_out(const char *cmd, outdir *od, int status) {
    char err[2 * OUTDIR_PATH_MAX + 256];
    if (status == FD_OK && outdir_commit(od, err, sizeof err) != OUTDIR_OK) {
        fprintf(stderr, "firedrill %s: %s\n", cmd, err);
        status = FD_EFAIL;
    }
    if (status != FD_OK) {
        outdir_abort(od);
        fprintf(stderr, "firedrill %s: nothing written to %s\n", cmd, od->final);
    }
    return status;
}

/* Finds gnuplot and the scripts; on failure a message in why. */
static bool find_tools(char *gnuplot, size_t glen, char *scripts, size_t slen, char *why, size_t wlen) {
    if (plot_find_gnuplot(getenv("PATH"), gnuplot, glen) != 0) {
        snprintf(why, wlen,
                 "gnuplot not found on PATH; install it (Debian: apt-get install gnuplot-nox, or make deps)");
        return false;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    return plot_find_scripts(getenv("FIREDRILL_ANALYSIS_DIR"), exe, scripts, slen, why, wlen) == 0;
}

/* ---- summarize --------------------------------------------------------------------- */

int cmd_summarize(int argc, char **argv) {
    static const struct option opts[] = {
        {"csv", no_argument, 0, 'c'},           {"baseline", required_argument, 0, 'b'},
        {"metrics", required_argument, 0, 'm'}, {"confidence", required_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    bool csv = false, have_baseline = false;
    uint64_t baseline = 0;
    double confidence = 0.95;
    const char *metrics_arg = NULL;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': csv = true; break;
        case 'b':
            if (!cli_parse_u64("summarize", "--baseline", optarg, 0, UINT32_MAX, &baseline)) return FD_EINPUT;
            have_baseline = true;
            break;
        case 'm': metrics_arg = optarg; break;
        case 'C':
            if (!parse_confidence("summarize", optarg, &confidence)) return FD_EINPUT;
            break;
        case 'h': fputs(summarize_usage, stdout); return FD_OK;
        default: return cli_usage_error("summarize", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error("summarize", "expected one results file");
    const char *path = argv[optind];

    /* The metric list: --metrics split at commas, or the defaults. */
    char *metrics_buf = metrics_arg ? strdup(metrics_arg) : NULL;
    const char *metrics[64];
    size_t n_metrics = 0;
    if (metrics_buf) {
        for (char *save = NULL, *tok = strtok_r(metrics_buf, ",", &save); tok && n_metrics < 64;
             tok = strtok_r(NULL, ",", &save))
            if (*tok) metrics[n_metrics++] = tok;
        if (!n_metrics) {
            free(metrics_buf);
            return cli_usage_error("summarize", "--metrics: expected a comma-separated list of columns");
        }
    }
    loaded l;
    int status = load("summarize", path, &l);
    if (status != FD_OK) {
        free(metrics_buf);
        return status;
    }
    if (!metrics_buf) /* Defaults the file lacks (an older layout) are skipped, not an error. */
        for (size_t i = 0; i < summary_default_metric_count; i++)
            if (h5in_column_find(&l.replicas, summary_default_metrics[i]))
                metrics[n_metrics++] = summary_default_metrics[i];
    if (!have_baseline) baseline = h5in_default_baseline(l.file, &l.points, NULL);
    summary s;
    char err[1024];
    int rc =
        summary_build(&s, &l.replicas, &l.points, metrics, n_metrics, (uint32_t)baseline, confidence, err, sizeof err);
    if (rc != SUMMARY_OK) {
        fprintf(stderr, "firedrill summarize: %s: %s\n", path, err);
        status = rc == SUMMARY_EINPUT ? FD_EINPUT : FD_EFAIL;
    } else {
        if (csv)
            summary_print_csv(&s, stdout);
        else {
            char methods[256];
            summary_methods_line(&s, methods, sizeof methods);
            printf("%s: scenario %s (sha256 %.12s), %zu replicas in %zu point(s), %s\n\n", path, l.name ? l.name : "?",
                   l.sha ? l.sha : "?", l.replicas.n_rows, l.points.n, methods);
            summary_print_table(&s, stdout);
        }
        if (fflush(stdout) != 0) status = FD_EFAIL;
        summary_free(&s);
    }
    loaded_free(&l);
    free(metrics_buf);
    return status;
}

/* ---- plot ------------------------------------------------------------------------------ */

int cmd_plot(int argc, char **argv) {
    static const struct option opts[] = {
        {"kind", required_argument, 0, 'k'},
        {"output", required_argument, 0, 'o'},
        {"seed", required_argument, 0, 's'},
        {"confidence", required_argument, 0, 'C'},
        {"rto-max", required_argument, 0, 'r'},
        {"rpo-max", required_argument, 0, 'p'},
        {"window", required_argument, 0, 'w'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int kind = -1;
    const char *out_dir = NULL;
    plot_options po = {.confidence = 0.95};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if ((kind = plot_kind_parse(optarg)) < 0)
                return cli_usage_error("plot",
                                       "--kind: unknown kind '%s' (cdf, backup, rto_parts, capacity, timeline, cost, "
                                       "frontier, losses, bounds, heatmap)",
                                       optarg);
            break;
        case 'r':
            if (!parse_duration("plot", "--rto-max", optarg, &po.rto_max_s)) return FD_EINPUT;
            po.have_rto_max = true;
            break;
        case 'p':
            if (!parse_duration("plot", "--rpo-max", optarg, &po.rpo_max_s)) return FD_EINPUT;
            po.have_rpo_max = true;
            break;
        case 'o': out_dir = optarg; break;
        case 's':
            if (!cli_parse_u64("plot", "--seed", optarg, 0, UINT64_MAX, &po.seed)) return FD_EINPUT;
            po.have_seed = true;
            break;
        case 'C':
            if (!parse_confidence("plot", optarg, &po.confidence)) return FD_EINPUT;
            break;
        case 'w':
            if (!parse_window(optarg, &po.window_from_s, &po.window_to_s)) return FD_EINPUT;
            po.have_window = true;
            break;
        case 'h': fputs(plot_usage, stdout); return FD_OK;
        default: return cli_usage_error("plot", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error("plot", "expected one results file");
    const char *path = argv[optind];
    loaded l;
    int status = load("plot", path, &l);
    if (status != FD_OK) return status;

    /* Every argument is checked against the file before anything is
     * written: on exit status 2 nothing is left behind. */
    plot_data d = data_of(&l);
    char gnuplot[4096], scripts[4096], why[1024], default_dir[4096];
    if (plot_check_options(&d, &po, why, sizeof why) != PLOT_OK) {
        fprintf(stderr, "firedrill plot: %s: %s\n", path, why);
        loaded_free(&l);
        return FD_EINPUT;
    }
    bool draw[PLOT_KIND_COUNT] = {false};
    int to_draw = 0;
    for (int k = 0; k < PLOT_KIND_COUNT; k++) {
        if (kind >= 0 && k != kind) continue;
        bool ok = plot_supported(&d, (plot_kind)k, why, sizeof why) &&
                  plot_check(&d, &po, (plot_kind)k, why, sizeof why) == PLOT_OK;
        /* A kind asked for by name, or the timeline of a seed asked for by
         * --seed, that cannot be drawn is an error; others are skipped. */
        if (!ok && (kind >= 0 || (k == PLOT_TIMELINE && po.have_seed))) {
            fprintf(stderr, "firedrill plot: %s: %s: %s\n", path, plot_kind_name((plot_kind)k), why);
            loaded_free(&l);
            return FD_EINPUT;
        }
        if (!ok) {
            fprintf(stderr, "firedrill plot: %s: skipping %s: %s\n", path, plot_kind_name((plot_kind)k), why);
            continue;
        }
        draw[k] = true;
        to_draw++;
    }
    if (!to_draw) {
        fprintf(stderr, "firedrill plot: %s: nothing to plot\n", path);
        loaded_free(&l);
        return FD_EFAIL;
    }
    if (!find_tools(gnuplot, sizeof gnuplot, scripts, sizeof scripts, why, sizeof why)) {
        fprintf(stderr, "firedrill plot: %s\n", why);
        loaded_free(&l);
        return FD_EFAIL;
    }
    if (!out_dir) {
        size_t len = strlen(path);
        int stem = len > 3 && strcmp(path + len - 3, ".h5") == 0 ? (int)len - 3 : (int)len;
        snprintf(default_dir, sizeof default_dir, "%.*s_plots", stem, path);
        out_dir = default_dir;
    }
    outdir od;
    if (!begin_out("plot", &od, out_dir, &status)) {
        loaded_free(&l);
        return status;
    }
    po.out_dir = od.tmp;
    po.script_dir = scripts;
    po.gnuplot = gnuplot;
    int drawn = 0;
    bool wrote[PLOT_KIND_COUNT] = {false};
    for (int k = 0; k < PLOT_KIND_COUNT && status == FD_OK; k++) {
        if (!draw[k]) continue;
        char png[4200], err[4096];
        int rc = plot_make(&d, &po, (plot_kind)k, png, sizeof png, err, sizeof err);
        if (rc == PLOT_EINPUT && kind < 0) { /* found only while drawing: skipped like the others */
            fprintf(stderr, "firedrill plot: %s: skipping %s: %s\n", path, plot_kind_name((plot_kind)k), err);
            continue;
        }
        if (rc != PLOT_OK) {
            fprintf(stderr, "firedrill plot: %s: %s: %s\n", path, plot_kind_name((plot_kind)k), err);
            status = rc == PLOT_EINPUT ? FD_EINPUT : FD_EFAIL;
            continue;
        }
        wrote[k] = true;
        drawn++;
    }
    if (status == FD_OK && !drawn) {
        fprintf(stderr, "firedrill plot: %s: nothing to plot\n", path);
        status = FD_EFAIL;
    }
    status = end_out("plot", &od, status);
    for (int k = 0; k < PLOT_KIND_COUNT && status == FD_OK; k++)
        if (wrote[k]) printf("wrote %s/%s.png (and .pdf)\n", od.final, plot_kind_name((plot_kind)k));
    loaded_free(&l);
    return status;
}

/* ---- report ------------------------------------------------------------------------------ */

int cmd_report(int argc, char **argv) {
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},
        {"rto-max", required_argument, 0, 'r'},
        {"rpo-max", required_argument, 0, 'p'},
        {"confidence", required_argument, 0, 'C'},
        {"baseline", required_argument, 0, 'b'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    report_options ro = {.rto_max_s = NAN, .rpo_max_s = NAN, .confidence = 0.95};
    uint64_t baseline = 0;
    const char *out_dir = NULL;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_dir = optarg; break;
        case 'r':
            if (!parse_duration("report", "--rto-max", optarg, &ro.rto_max_s)) return FD_EINPUT;
            break;
        case 'p':
            if (!parse_duration("report", "--rpo-max", optarg, &ro.rpo_max_s)) return FD_EINPUT;
            break;
        case 'C':
            if (!parse_confidence("report", optarg, &ro.confidence)) return FD_EINPUT;
            break;
        case 'b':
            if (!cli_parse_u64("report", "--baseline", optarg, 0, UINT32_MAX, &baseline)) return FD_EINPUT;
            ro.have_baseline = true;
            ro.baseline = (uint32_t)baseline;
            break;
        case 'h': fputs(report_usage, stdout); return FD_OK;
        default: return cli_usage_error("report", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error("report", "expected one results file");
    if (!out_dir) return cli_usage_error("report", "-o DIR is required");
    const char *path = argv[optind];
    loaded l;
    int status = load("report", path, &l);
    if (status != FD_OK) return status;
    outdir od;
    if (!begin_out("report", &od, out_dir, &status)) {
        loaded_free(&l);
        return status;
    }
    char gnuplot[4096], scripts[4096], why[1024];
    ro.plot.confidence = ro.confidence;
    ro.plot.out_dir = od.tmp;
    if (find_tools(gnuplot, sizeof gnuplot, scripts, sizeof scripts, why, sizeof why)) {
        ro.plot.gnuplot = gnuplot;
        ro.plot.script_dir = scripts;
    } else {
        /* The report's text stands without figures; say so and carry on. */
        fprintf(stderr, "firedrill report: %s; writing the report without figures\n", why);
        ro.no_figures_why = why;
    }
    report_meta meta = {.results_path = path,
                        .scenario_name = l.name ? l.name : "unnamed",
                        .scenario_sha256 = l.sha,
                        .firedrill_version = l.version,
                        .git_revision = l.git,
                        .created_utc = l.created,
                        .command = l.command,
                        .backend = l.backend,
                        .random_streams = l.streams,
                        .optimize_summary = l.optimize,
                        .scenario_resolved = l.resolved};
    plot_data d = data_of(&l);
    char err[1024];
    int rc = report_write(&d, &meta, &ro, err, sizeof err);
    if (rc != REPORT_OK) {
        fprintf(stderr, "firedrill report: %s: %s\n", path, err);
        status = rc == REPORT_EINPUT ? FD_EINPUT : FD_EFAIL;
    }
    status = end_out("report", &od, status);
    if (status == FD_OK) printf("wrote %s/report.md\n", od.final);
    loaded_free(&l);
    return status;
}
