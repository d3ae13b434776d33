/* `firedrill export`: a results file's tables as CSV, each row led by the
 * parameters of its sweep point as flat columns, for spreadsheets and
 * pandas. Reads through analysis/h5in.h (columns by name, any writer
 * version). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "analysis/h5in.h"
#include "sim/cli.h"
#include "sim/commands.h"

static const char export_usage[] =
    "usage: firedrill export RESULTS.h5 --csv DIR [--quiet]\n"
    "\n"
    "Writes DIR/replicas.csv and DIR/incidents.csv (DIR is created when missing): one\n"
    "line per row of /replicas and /incidents, with a header. The first columns are the\n"
    "parameters of the row's sweep point, one per JSON path the sweep varies (\"base\" for\n"
    "a base-file dimension), valued as in the sweep file: numbers, or strings such as\n"
    "\"15m\"; a file of `firedrill run` has none. Then every column of the table, numbers\n"
    "at full precision (17 digits; nan where undefined). Files are written under a\n"
    "temporary name and renamed.\n";

/* One CSV field: quoted when it holds a comma, quote or line break. */
static void put_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_number(FILE *f, double v) {
    if (isnan(v))
        fputs("nan", f);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else
        fprintf(f, "%.17g", v);
}

/* The sweep points' parameters: the union of their paths in order of first
 * appearance, and each point's object. */
typedef struct params {
    cJSON **of_point; /* [points.n], NULL for "{}" or unparsable text */
    char **names;
    size_t n_names;
} params;

static void params_free(params *p, size_t n_points) {
    for (size_t i = 0; p->of_point && i < n_points; i++) cJSON_Delete(p->of_point[i]);
    free(p->of_point);
    free(p->names);
    memset(p, 0, sizeof *p);
}

static bool params_build(params *p, const h5in_points *pts) {
    memset(p, 0, sizeof *p);
    p->of_point = calloc(pts->n ? pts->n : 1, sizeof *p->of_point);
    if (!p->of_point) return false;
    for (size_t i = 0; i < pts->n; i++) {
        cJSON *o = cJSON_Parse(pts->parameters[i] ? pts->parameters[i] : "{}");
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(o);
            continue;
        }
        p->of_point[i] = o;
        for (const cJSON *it = o->child; it; it = it->next) {
            bool seen = false;
            for (size_t k = 0; k < p->n_names && !seen; k++) seen = strcmp(p->names[k], it->string) == 0;
            if (seen) continue;
            char **grown = realloc(p->names, (p->n_names + 1) * sizeof *grown);
            if (!grown) return false;
            p->names = grown;
            p->names[p->n_names++] = it->string; /* owned by of_point[i] */
        }
    }
    return true;
}

/* The value of parameter name at the point of index `point` ("" when the
 * point does not set it). */
static void put_param(FILE *f, const params *p, const h5in_points *pts, double point, const char *name) {
    long at = isfinite(point) && point >= 0 ? h5in_points_find(pts, (uint32_t)point) : -1;
    const cJSON *v = at >= 0 && p->of_point[at] ? cJSON_GetObjectItemCaseSensitive(p->of_point[at], name) : NULL;
    if (!v) return;
    if (cJSON_IsString(v))
        put_field(f, v->valuestring);
    else if (cJSON_IsNumber(v))
        put_number(f, v->valuedouble);
    else {
        char *text = cJSON_PrintUnformatted(v);
        put_field(f, text ? text : "");
        free(text);
    }
}

/* Writes DIR/NAME from table t, through a temporary file renamed into
 * place. Returns an exit status with the reason on stderr. */
static int write_csv(const char *dir, const char *name, const h5in_table *t, const params *p, const h5in_points *pts) {
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "firedrill export: cannot create %s: %s\n", tmp, strerror(errno));
        if (fd >= 0) close(fd);
        return FD_EFAIL;
    }
    const h5in_column *point_col = h5in_column_find(t, "point");
    /* Header: the parameters (a name that is also a column is prefixed). */
    bool first = true;
    for (size_t k = 0; k < p->n_names; k++, first = false) {
        if (!first) fputc(',', f);
        char head[1024];
        snprintf(head, sizeof head, "%s%s", h5in_column_find(t, p->names[k]) ? "parameter:" : "", p->names[k]);
        put_field(f, head);
    }
    for (size_t c = 0; c < t->n_cols; c++, first = false) {
        if (!first) fputc(',', f);
        put_field(f, t->cols[c].name);
    }
    fputc('\n', f);
    for (size_t r = 0; r < t->n_rows; r++) {
        first = true;
        for (size_t k = 0; k < p->n_names; k++, first = false) {
            if (!first) fputc(',', f);
            put_param(f, p, pts, point_col && !point_col->is_string ? point_col->values[r] : 0, p->names[k]);
        }
        for (size_t c = 0; c < t->n_cols; c++, first = false) {
            if (!first) fputc(',', f);
            const h5in_column *col = &t->cols[c];
            if (col->is_string)
                put_field(f, h5in_string_at(col, r));
            else if (col->u64) /* exact: a seed past 2^53 is not a double */
                fprintf(f, "%llu", (unsigned long long)col->u64[r]);
            else if (col->i64)
                fprintf(f, "%lld", (long long)col->i64[r]);
            else
                put_number(f, col->values[r]);
        }
        fputc('\n', f);
    }
    int e = ferror(f) ? EIO : 0;
    if (fflush(f) != 0 && !e) e = errno;
    if (!e && fsync(fileno(f)) != 0) e = errno;
    if (fclose(f) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        fprintf(stderr, "firedrill export: writing %s failed: %s\n", path, strerror(e));
        return FD_EFAIL;
    }
    return FD_OK;
}

int cmd_export(int argc, char **argv) {
    static const struct option opts[] = {{"csv", required_argument, 0, 'c'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *dir = NULL;
    bool quiet = false;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (c == 'c')
            dir = optarg;
        else if (c == 'q')
            quiet = true;
        else if (c == 'h') {
            fputs(export_usage, stdout);
            return FD_OK;
        } else
            return cli_usage_error("export", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
    if (optind != argc - 1) return cli_usage_error("export", "expected one results file");
    if (!dir || !dir[0]) return cli_usage_error("export", "--csv DIR is required (where the CSV files go)");
    const char *file = argv[optind];
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return cli_usage_error("export", "--csv: %s exists and is not a directory", dir);
    char err[1024];
    h5in_file *f = h5in_open(file, err, sizeof err);
    if (!f) {
        fprintf(stderr, "firedrill export: %s\n", err);
        return FD_EINPUT;
    }
    h5in_table rep = {0}, inc = {0};
    h5in_points pts = {0};
    params p = {0};
    int status = FD_OK, rc = h5in_table_read(f, "replicas", &rep, err, sizeof err);
    if (rc == H5IN_OK) rc = h5in_points_read(f, &rep, &pts, err, sizeof err);
    if (rc == H5IN_OK) rc = h5in_table_read(f, "incidents", &inc, err, sizeof err);
    if (rc != H5IN_OK) {
        fprintf(stderr, "firedrill export: %s\n", err);
        status = rc == H5IN_EFAIL ? FD_EFAIL : FD_EINPUT;
    }
    if (status == FD_OK && !params_build(&p, &pts)) {
        fprintf(stderr, "firedrill export: out of memory\n");
        status = FD_EFAIL;
    }
    if (status == FD_OK && mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "firedrill export: --csv: cannot create %s: %s\n", dir, strerror(errno));
        status = FD_EFAIL;
    }
    if (status == FD_OK) status = write_csv(dir, "replicas.csv", &rep, &p, &pts);
    if (status == FD_OK) status = write_csv(dir, "incidents.csv", &inc, &p, &pts);
    if (status == FD_OK && !quiet)
        printf("wrote %s/replicas.csv (%zu rows) and %s/incidents.csv (%zu rows), %zu parameter column(s)\n", dir,
               rep.n_rows, dir, inc.n_rows, p.n_names);
    params_free(&p, pts.n);
    h5in_points_free(&pts);
    h5in_table_free(&rep);
    h5in_table_free(&inc);
    h5in_close(f);
    return status;
}
