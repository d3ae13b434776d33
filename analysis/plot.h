/* Figures of a results file. For each kind this module writes the data as
 * whitespace-separated .dat files into the output folder and runs the
 * matching gnuplot script of analysis/ (plot_<kind>.gp) twice, for PNG
 * (pngcairo) and PDF (pdfcairo). Scripts get every file name and number
 * through `-e` variable definitions, so they hold no paths and can be run
 * by hand on the .dat files left beside the figures.
 *
 * Kinds:
 *   cdf        CDFs of RTO (incidents with an outage) and RPO (incidents
 *              that lost state) per point
 *   backup     mean RPO and backup cost against backup.incremental_period_s
 *              with the analytic T/2 + delta and the Young/Daly optimum
 *   rto_parts  mean RTO parts stacked per point
 *   capacity   availability and lost revenue against a numeric parameter
 *   timeline   one seed's incidents over time with their RTO windows
 *
 * Errors: PLOT_OK, PLOT_EINPUT (the request does not fit the file, e.g. an
 * unknown seed) or PLOT_EFAIL (writing or gnuplot failed), with a message. */
#ifndef ANALYSIS_PLOT_H
#define ANALYSIS_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/h5in.h"

enum { PLOT_OK = 0, PLOT_EFAIL = -1, PLOT_EINPUT = -2 };

typedef enum plot_kind {
    PLOT_CDF,
    PLOT_BACKUP,
    PLOT_RTO_PARTS,
    PLOT_CAPACITY,
    PLOT_TIMELINE,
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
    bool have_seed;         /* timeline: which replica (default: the first seed of the first point) */
    uint64_t seed;
} plot_options;

const char *plot_kind_name(plot_kind k);
/* The kind named `name`, or -1. */
int plot_kind_parse(const char *name);
/* One line on what the figure shows, for captions. */
const char *plot_kind_caption(plot_kind k);

/* Whether the file holds what kind k needs; if not, why (for a note). */
bool plot_supported(const plot_data *d, plot_kind k, char *why, size_t len);

/* Draws kind k; png receives the PNG's path (the PDF is beside it). */
int plot_make(const plot_data *d, const plot_options *o, plot_kind k, char *png, size_t png_len, char *err,
              size_t errlen);

/* The numeric swept parameter the capacity figure uses: one whose name
 * mentions standby, servers or capacity if any, else the first numeric
 * parameter with two or more values. false when there is none. */
bool plot_capacity_param(const h5in_points *p, char *name, size_t len);

/* The gnuplot executable on path_env (a $PATH value): 0 and its path, or -1. */
int plot_find_gnuplot(const char *path_env, char *out, size_t len);

/* The folder of the gnuplot scripts: env_dir when set, else ../analysis
 * next to the executable exe_path, else ./analysis. 0 when it holds
 * plot_cdf.gp, else -1 with the places tried in err. */
int plot_find_scripts(const char *env_dir, const char *exe_path, char *out, size_t len, char *err, size_t errlen);

#endif
