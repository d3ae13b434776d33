/* Figures of a results file. For each kind this module writes the data as
 * whitespace-separated .dat files into the output folder and runs the
 * matching gnuplot script of analysis/ (plot_<kind>.gp) twice, for PNG
 * (pngcairo) and PDF (pdfcairo). Scripts get every file name and number
 * through `-e` variable definitions, so they hold no paths and can be run
 * by hand on the .dat files left beside the figures.
 *
 * Kinds:
 *   cdf        CDFs of RTO (incidents with an outage) and RPO (incidents
 *              that lost state) per point, the key below the panels
 *   backup     mean RPO and backup cost against backup.incremental_period_s
 *              with the analytic T/2 + delta and the Young/Daly optimum
 *              (drawn only inside the swept interval); curves identical to
 *              another are written once under both labels
 *   rto_parts  mean RTO parts stacked per point, tick labels wrapped
 *   capacity   availability and lost revenue against a numeric parameter,
 *              on a log axis when its values are log-spaced
 *   timeline   one seed's incidents over time with their RTO windows, the
 *              traced load, capacity, model versions and latency; only the
 *              window [window_from_s, window_to_s] when one is given
 *   cost, frontier, losses, bounds, heatmap: money and risk per point
 *              (analysis/plot_money.h)
 *
 * gnuplot's own messages (warnings included) are kept back and shown only
 * in the error message when gnuplot fails.
 *
 * Errors: PLOT_OK, PLOT_EINPUT (the request does not fit the file, e.g. an
 * unknown seed) or PLOT_EFAIL (writing or gnuplot failed), with a message.
 * plot_check_options and plot_check find every PLOT_EINPUT before anything
 * is written: a caller that runs them first writes nothing on bad input. */
#ifndef ANALYSIS_PLOT_H
#define ANALYSIS_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "analysis/h5in.h"

enum { PLOT_OK = FD_OK, PLOT_EFAIL = FD_EFAIL, PLOT_EINPUT = FD_EINPUT }; /* fd_status values */

typedef enum plot_kind {
    PLOT_CDF,
    PLOT_BACKUP,
    PLOT_RTO_PARTS,
    PLOT_CAPACITY,
    PLOT_TIMELINE,
    PLOT_COST,
    PLOT_FRONTIER,
    PLOT_LOSSES,
    PLOT_BOUNDS,
    PLOT_HEATMAP,
    PLOT_KIND_COUNT
} plot_kind;

/* The parameter the backup figure is drawn against. */
#define PLOT_BACKUP_PARAM "backup.incremental_period_s"

typedef struct plot_data {
    const char *scenario_name;
    const char *scenario_resolved; /* JSON with defaults filled in; NULL when unknown */
    const h5in_table *replicas;
    const h5in_table *incidents; /* NULL when the file has none */
    const h5in_points *points;
    h5in_file *file; /* for /timeline/<seed> (files written with --trace); may be NULL */
} plot_data;

typedef struct plot_options {
    const char *out_dir;    /* must exist */
    const char *script_dir; /* folder of the plot_*.gp scripts */
    const char *gnuplot;    /* the gnuplot executable */
    double confidence;      /* of the error bars */
    bool have_seed;         /* timeline: which replica (default: the first seed of the first point that
                               had an incident) */
    uint64_t seed;
    /* Time-axis figures (timeline): only [window_from_s, window_to_s] of
     * simulated time, which must lie within the replica's horizon. */
    bool have_window;
    double window_from_s, window_to_s;
    /* Money figures (analysis/plot_money.h): the RTO/RPO targets (drawn as
     * lines; which points meet them) and the baseline point (default: the
     * file's baseline_point). */
    bool have_rto_max, have_rpo_max;
    double rto_max_s, rpo_max_s;
    bool have_baseline;
    uint32_t baseline;
    /* When not NULL: the first file under out_dir that could not be
     * written, or that gnuplot left incomplete (a full disk), is named here
     * ("PATH: reason"), for a caller that carries on after a figure fails
     * (report) but must not keep output with a file missing. */
    char *write_err;
    size_t write_err_len;
} plot_options;

const char *plot_kind_name(plot_kind k);
/* The kind named `name`, or -1. */
int plot_kind_parse(const char *name);
/* One line on what the figure shows, for captions. */
const char *plot_kind_caption(plot_kind k);

/* Whether the file holds what kind k needs; if not, why (for a note). */
bool plot_supported(const plot_data *d, plot_kind k, char *why, size_t len);

/* Whether the options fit the file whatever the kind: --seed names a seed
 * of /replicas, the window lies within that replica's horizon. PLOT_OK or
 * PLOT_EINPUT with a message. */
int plot_check_options(const plot_data *d, const plot_options *o, char *err, size_t errlen);

/* Whether kind k (supported by the file) can be drawn with these options,
 * e.g. the timeline's replica has something to show. PLOT_OK or
 * PLOT_EINPUT with a message. Writes nothing. */
int plot_check(const plot_data *d, const plot_options *o, plot_kind k, char *err, size_t errlen);

/* A heading and a caption for kind k's figure of this file, naming what
 * it is drawn against (the capacity figure's swept parameter). */
void plot_figure_title(const plot_data *d, plot_kind k, char *buf, size_t len);
void plot_figure_caption(const plot_data *d, plot_kind k, char *buf, size_t len);

/* Whether sorted positive values v[0..n) are log-spaced: they span more
 * than a factor of 10 and the ratios of consecutive distinct values are
 * roughly constant. Figures then use a log axis. */
bool plot_log_spaced(const double *v, size_t n);

/* Draws kind k; png receives the PNG's path (the PDF is beside it). */
int plot_make(const plot_data *d, const plot_options *o, plot_kind k, char *png, size_t png_len, char *err,
              size_t errlen);

/* The numeric swept parameter the capacity figure uses: one whose name
 * mentions standby, servers or capacity if any, else the first numeric
 * parameter with two or more values. false when there is none. */
bool plot_capacity_param(const h5in_points *p, char *name, size_t len);

/* Runs gnuplot on script_dir/script with the -e definitions defs. Its
 * output (warnings included) is kept back: shown, in err, only when it
 * fails. PLOT_OK or PLOT_EFAIL. */
int plot_run_gnuplot(const plot_options *o, const char *script, const char *defs, char *err, size_t errlen);

/* Runs plot_<kind>.gp for out_dir/<kind>.png and .pdf (terminal and output
 * appended to defs as `term` and `out`); png receives the PNG's path. A
 * figure gnuplot failed on, or left incomplete (a PNG without its IEND
 * chunk, a PDF without %%EOF: gnuplot exits 0 on a full disk), is removed.
 * PLOT_OK or PLOT_EFAIL. */
int plot_render(const plot_options *o, plot_kind k, const char *defs, char *png, size_t png_len, char *err,
                size_t errlen);

/* For the figure writers: a gnuplot -e definition appended to buf (a
 * string quoted for gnuplot, or a number), and a .dat file under out_dir
 * opened and closed with the error named. */
void plot_def_str(char *buf, size_t len, const char *name, const char *value);
void plot_def_num(char *buf, size_t len, const char *name, double value);
FILE *plot_dat_open(const plot_options *o, const char *name, char *path, size_t len, char *err, size_t errlen);
int plot_dat_close(const plot_options *o, FILE *f, const char *path, char *err, size_t errlen);

/* The gnuplot executable on path_env (a $PATH value): 0 and its path, or -1. */
int plot_find_gnuplot(const char *path_env, char *out, size_t len);

/* The folder of the gnuplot scripts: env_dir when set, else, next to the
 * executable exe_path, ../analysis (the source tree: build/firedrill) or
 * ../share/firedrill/analysis (`make install`: PREFIX/bin/firedrill, found
 * wherever PREFIX was), else ./analysis. 0 when it holds plot_cdf.gp, else
 * -1 with the places tried in err. */
int plot_find_scripts(const char *env_dir, const char *exe_path, char *out, size_t len, char *err, size_t errlen);

#endif
