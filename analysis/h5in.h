/* Reading results files (layout: results/README.md) for the analysis
 * commands. Columns are matched by member name, never by position or by the
 * writer's struct layout, so a file written by an older or newer firedrill
 * stays readable: numeric members of any integer or float type arrive as
 * doubles, integer members also exactly (a uint64 seed above 2^53 is not
 * a double), string members (fixed or variable length) as strings, and a
 * column the file lacks is simply absent (h5in_column_find returns NULL).
 *
 * The HDF5 library we link is serial: call h5in_ functions from one thread
 * at a time.
 *
 * Errors: functions return 0, H5IN_EINPUT when the file is missing, not
 * HDF5 or not a results file (the caller's input is bad), or H5IN_EFAIL
 * when reading failed otherwise; err receives a message naming the file. */
#ifndef ANALYSIS_H5IN_H
#define ANALYSIS_H5IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/fd_status.h"

/* ORDER FD_STATUS: the codes are fd_status values (util/fd_status.h). */
enum { H5IN_OK = FD_OK, H5IN_EFAIL = FD_EFAIL, H5IN_EINPUT = FD_EINPUT };

typedef struct h5in_file h5in_file;

typedef struct h5in_column {
    char *name;
    char *unit; /* the dataset's "<name>_unit" attribute, "" when absent */
    bool is_string;
    double *values; /* numeric columns: one value per row (integers past 2^53 rounded) */
    uint64_t *u64;  /* unsigned integer columns: the exact values; NULL for other columns */
    int64_t *i64;   /* signed integer columns: the exact values; NULL for other columns */
    char *strings;  /* string columns: rows of `width` bytes, NUL-terminated */
    size_t width;
} h5in_column;

typedef struct h5in_table {
    size_t n_rows;
    size_t n_cols;
    h5in_column *cols;
} h5in_table;

/* The sweep points of a file: /points when present, else the distinct
 * values of the replicas' point column with parameters "{}" (a file of
 * `firedrill run` is one point, index 0). Sorted by index. */
typedef struct h5in_points {
    size_t n;
    uint32_t *index;
    char **parameters; /* JSON object {"json.path": value, ...} */
    char **sha256;     /* scenario SHA-256 of the point, "" when unknown */
    char **scenario;   /* the point's scenario JSON as run, "" when the file lacks it */
} h5in_points;

/* Opens path read-only; NULL with a message when it is missing or not HDF5. */
h5in_file *h5in_open(const char *path, char *err, size_t errlen);
void h5in_close(h5in_file *f);
const char *h5in_path(const h5in_file *f);

/* Whether a link (dataset or group) of that absolute or root-relative
 * name exists. */
bool h5in_exists(h5in_file *f, const char *name);

/* A string attribute of the root group, malloc'ed into *out. */
int h5in_attr_string(h5in_file *f, const char *name, char **out, char *err, size_t errlen);

/* A numeric root attribute (any integer or float type) as a double: true
 * when present and readable. */
bool h5in_attr_number(h5in_file *f, const char *name, double *out);

/* A scalar unsigned integer root attribute, exactly (sweep_first_seed may
 * exceed 2^53): true when present, an unsigned integer and readable. */
bool h5in_attr_u64(h5in_file *f, const char *name, uint64_t *out);

/* A scalar string dataset such as "/scenario/resolved", malloc'ed into *out. */
int h5in_string_dataset(h5in_file *f, const char *name, char **out, char *err, size_t errlen);

/* Every row and every numeric or string member of a 1-D compound dataset. */
int h5in_table_read(h5in_file *f, const char *name, h5in_table *out, char *err, size_t errlen);
void h5in_table_free(h5in_table *t);
const h5in_column *h5in_column_find(const h5in_table *t, const char *name);
/* Row i of a string column ("" for a numeric one). */
const char *h5in_string_at(const h5in_column *c, size_t i);
/* Row i of a numeric column as an unsigned integer, exactly for integer
 * columns: false for a string column, a negative or fractional value, or
 * a float beyond uint64. */
bool h5in_u64_at(const h5in_column *c, size_t i, uint64_t *out);
/* The seed of row i of a seed column, exact past 2^53; the row number when
 * there is no column or its value is not a seed. Seeds are compared as
 * integers: two seeds 1 apart above 2^53 are one double. */
uint64_t h5in_seed_at(const h5in_column *seed_col, size_t i);

/* replicas: the /replicas table already read (its point column gives the
 * points of files without /points). */
int h5in_points_read(h5in_file *f, const h5in_table *replicas, h5in_points *out, char *err, size_t errlen);
void h5in_points_free(h5in_points *p);
/* Position of point index `point` in p, or -1. */
long h5in_points_find(const h5in_points *p, uint32_t point);

/* The point paired differences are taken against by default: the sweep's
 * baseline_point (root attribute of a sweep file) when the file has it and
 * it is among p, else the first point. *from_file tells which (may be NULL). */
uint32_t h5in_default_baseline(h5in_file *f, const h5in_points *p, bool *from_file);

#endif
