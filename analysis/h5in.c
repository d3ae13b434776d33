#include "analysis/h5in.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

struct h5in_file {
    hid_t id;
    char *path;
};

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

h5in_file *h5in_open(const char *path, char *err, size_t errlen) {
    /* HDF5 prints its error stack on stderr by default; every return is checked here. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: no such file", path);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || H5Fis_hdf5(path) <= 0) {
        snprintf(err, errlen, "%s: not an HDF5 file", path);
        return NULL;
    }
    h5in_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = dup_string(path))) {
        free(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    f->id = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f->id < 0) {
        snprintf(err, errlen, "%s: cannot open as HDF5", path);
        free(f->path);
        free(f);
        return NULL;
    }
    return f;
}

void h5in_close(h5in_file *f) {
    if (!f) return;
    H5Fclose(f->id);
    free(f->path);
    free(f);
}

const char *h5in_path(const h5in_file *f) { return f->path; }

bool h5in_exists(h5in_file *f, const char *name) {
    /* H5Lexists needs each intermediate group to exist, so walk the path. */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", name);
    for (char *p = buf + (buf[0] == '/'); *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        bool ok = H5Lexists(f->id, buf, H5P_DEFAULT) > 0;
        *p = '/';
        if (!ok) return false;
    }
    return H5Lexists(f->id, buf, H5P_DEFAULT) > 0;
}

/* Reads a scalar string held by an attribute (is_attr) or a dataset,
 * fixed or variable length. */
static int read_scalar_string(hid_t obj, bool is_attr, char **out) {
    hid_t ftype = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    if (ftype < 0) return -1;
    int rc = -1;
    if (H5Tget_class(ftype) != H5T_STRING) {
        H5Tclose(ftype);
        return -1;
    }
    hid_t mtype = H5Tcopy(H5T_C_S1);
    if (H5Tis_variable_str(ftype) > 0) {
        H5Tset_size(mtype, H5T_VARIABLE);
        char *v = NULL;
        herr_t r = is_attr ? H5Aread(obj, mtype, &v) : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v);
        if (r >= 0) {
            *out = dup_string(v ? v : "");
            rc = *out ? 0 : -1;
            H5free_memory(v);
        }
    } else {
        size_t size = H5Tget_size(ftype);
        H5Tset_size(mtype, size + 1);
        H5Tset_strpad(mtype, H5T_STR_NULLTERM);
        char *v = calloc(size + 2, 1);
        if (v) {
            herr_t r = is_attr ? H5Aread(obj, mtype, v) : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
            if (r >= 0) {
                *out = v;
                rc = 0;
            } else
                free(v);
        }
    }
    H5Tclose(mtype);
    H5Tclose(ftype);
    return rc;
}

int h5in_attr_string(h5in_file *f, const char *name, char **out, char *err, size_t errlen) {
    *out = NULL;
    if (H5Aexists(f->id, name) <= 0) {
        snprintf(err, errlen, "%s: no root attribute '%s'", f->path, name);
        return H5IN_EINPUT;
    }
    hid_t a = H5Aopen(f->id, name, H5P_DEFAULT);
    int rc = a < 0 ? -1 : read_scalar_string(a, true, out);
    if (a >= 0) H5Aclose(a);
    if (rc != 0) {
        snprintf(err, errlen, "%s: attribute '%s' is not a readable string", f->path, name);
        return H5IN_EINPUT;
    }
    return H5IN_OK;
}

bool h5in_attr_number(h5in_file *f, const char *name, double *out) {
    if (!f || H5Aexists(f->id, name) <= 0) return false;
    hid_t a = H5Aopen(f->id, name, H5P_DEFAULT);
    if (a < 0) return false;
    hid_t t = H5Aget_type(a), space = H5Aget_space(a);
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    bool ok = (cls == H5T_INTEGER || cls == H5T_FLOAT) && space >= 0 && H5Sget_simple_extent_npoints(space) == 1 &&
              H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0;
    if (space >= 0) H5Sclose(space);
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return ok && isfinite(*out);
}

bool h5in_attr_u64(h5in_file *f, const char *name, uint64_t *out) {
    if (!f || H5Aexists(f->id, name) <= 0) return false;
    hid_t a = H5Aopen(f->id, name, H5P_DEFAULT);
    if (a < 0) return false;
    hid_t t = H5Aget_type(a), space = H5Aget_space(a);
    bool ok = t >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Tget_sign(t) == H5T_SGN_NONE && space >= 0 &&
              H5Sget_simple_extent_npoints(space) == 1 && H5Aread(a, H5T_NATIVE_UINT64, out) >= 0;
    if (space >= 0) H5Sclose(space);
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return ok;
}

int h5in_string_dataset(h5in_file *f, const char *name, char **out, char *err, size_t errlen) {
    *out = NULL;
    if (!h5in_exists(f, name)) {
        snprintf(err, errlen, "%s: no dataset '%s'", f->path, name);
        return H5IN_EINPUT;
    }
    hid_t d = H5Dopen2(f->id, name, H5P_DEFAULT);
    int rc = d < 0 ? -1 : read_scalar_string(d, false, out);
    if (d >= 0) H5Dclose(d);
    if (rc != 0) {
        snprintf(err, errlen, "%s: dataset '%s' is not a readable string", f->path, name);
        return H5IN_EINPUT;
    }
    return H5IN_OK;
}

/* ---- compound tables ------------------------------------------------------------ */

typedef struct member_plan {
    char *name;
    bool is_string, is_vlen;
    bool is_int, is_signed; /* integers are read as 64-bit integers, then also as doubles */
    size_t file_size;       /* fixed strings: bytes in the file */
    size_t mem_offset;
} member_plan;

void h5in_table_free(h5in_table *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_cols; i++) {
        free(t->cols[i].name);
        free(t->cols[i].unit);
        free(t->cols[i].values);
        free(t->cols[i].u64);
        free(t->cols[i].i64);
        free(t->cols[i].strings);
    }
    free(t->cols);
    memset(t, 0, sizeof *t);
}

const h5in_column *h5in_column_find(const h5in_table *t, const char *name) {
    for (size_t i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i].name, name) == 0) return &t->cols[i];
    return NULL;
}

const char *h5in_string_at(const h5in_column *c, size_t i) {
    return c->is_string && c->strings ? c->strings + i * c->width : "";
}

bool h5in_u64_at(const h5in_column *c, size_t i, uint64_t *out) {
    if (c->is_string) return false;
    if (c->u64) {
        *out = c->u64[i];
        return true;
    }
    if (c->i64) {
        if (c->i64[i] < 0) return false;
        *out = (uint64_t)c->i64[i];
        return true;
    }
    double v = c->values[i];
    /* 2^64 is the first double past uint64 */
    if (!(v >= 0) || v >= 18446744073709551616.0 || v != floor(v)) return false;
    *out = (uint64_t)v;
    return true;
}

uint64_t h5in_seed_at(const h5in_column *seed_col, size_t i) {
    uint64_t seed;
    return seed_col && h5in_u64_at(seed_col, i, &seed) ? seed : (uint64_t)i;
}

static char *read_unit(hid_t d, const char *member) {
    char attr[300];
    snprintf(attr, sizeof attr, "%s_unit", member);
    char *unit = NULL;
    if (H5Aexists(d, attr) > 0) {
        hid_t a = H5Aopen(d, attr, H5P_DEFAULT);
        if (a >= 0) {
            if (read_scalar_string(a, true, &unit) != 0) unit = NULL;
            H5Aclose(a);
        }
    }
    return unit ? unit : dup_string("");
}

/* Builds the memory layout: integer members as 64-bit integers of their
 * signedness, float members as doubles, fixed strings with one extra byte
 * for the terminator, variable strings as char pointers.
 * Returns the row size, 0 on failure. */
static size_t plan_members(hid_t ftype, member_plan *plan, int n, hid_t mtype_out[1]) {
    size_t off = 0;
    int used = 0;
    for (int i = 0; i < n; i++) {
        H5T_class_t cls = H5Tget_member_class(ftype, (unsigned)i);
        plan[i].name = H5Tget_member_name(ftype, (unsigned)i);
        plan[i].mem_offset = SIZE_MAX;
        if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
            if (cls == H5T_INTEGER) {
                hid_t mt = H5Tget_member_type(ftype, (unsigned)i);
                plan[i].is_int = true;
                plan[i].is_signed = H5Tget_sign(mt) != H5T_SGN_NONE;
                H5Tclose(mt);
            }
            plan[i].mem_offset = off;
            off += sizeof(double); /* = sizeof(uint64_t) */
        } else if (cls == H5T_STRING) {
            hid_t mt = H5Tget_member_type(ftype, (unsigned)i);
            plan[i].is_string = true;
            plan[i].is_vlen = H5Tis_variable_str(mt) > 0;
            plan[i].file_size = H5Tget_size(mt);
            H5Tclose(mt);
            plan[i].mem_offset = off;
            off += plan[i].is_vlen ? sizeof(char *) : plan[i].file_size + 1;
            off = (off + 7) & ~(size_t)7; /* keep doubles and pointers aligned */
        } else
            continue; /* enums, arrays, nested compounds: not part of the layout */
        used++;
    }
    if (!used) return 0;
    hid_t mt = H5Tcreate(H5T_COMPOUND, off);
    for (int i = 0; i < n; i++) {
        if (plan[i].mem_offset == SIZE_MAX) continue;
        hid_t member;
        if (plan[i].is_int)
            member = H5Tcopy(plan[i].is_signed ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64);
        else if (!plan[i].is_string)
            member = H5Tcopy(H5T_NATIVE_DOUBLE);
        else {
            member = H5Tcopy(H5T_C_S1);
            H5Tset_size(member, plan[i].is_vlen ? H5T_VARIABLE : plan[i].file_size + 1);
            H5Tset_strpad(member, H5T_STR_NULLTERM);
        }
        H5Tinsert(mt, plan[i].name, plan[i].mem_offset, member);
        H5Tclose(member);
    }
    mtype_out[0] = mt;
    return off;
}

int h5in_table_read(h5in_file *f, const char *name, h5in_table *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (errlen) err[0] = '\0'; /* so that the out-of-memory fallback below can tell */
    if (!h5in_exists(f, name)) {
        snprintf(err, errlen, "%s: no table '%s' (not a firedrill results file?)", f->path, name);
        return H5IN_EINPUT;
    }
    hid_t d = H5Dopen2(f->id, name, H5P_DEFAULT);
    hid_t ftype = d >= 0 ? H5Dget_type(d) : -1;
    hid_t space = d >= 0 ? H5Dget_space(d) : -1;
    if (ftype < 0 || space < 0 || H5Tget_class(ftype) != H5T_COMPOUND || H5Sget_simple_extent_ndims(space) != 1) {
        snprintf(err, errlen, "%s: '%s' is not a one-dimensional compound table", f->path, name);
        if (space >= 0) H5Sclose(space);
        if (ftype >= 0) H5Tclose(ftype);
        if (d >= 0) H5Dclose(d);
        return H5IN_EINPUT;
    }
    hsize_t dims[1];
    H5Sget_simple_extent_dims(space, dims, NULL);
    size_t n_rows = (size_t)dims[0];
    int n_members = H5Tget_nmembers(ftype);
    member_plan *plan = calloc(n_members > 0 ? (size_t)n_members : 1, sizeof *plan);
    hid_t mtype = -1;
    size_t row = plan && n_members > 0 ? plan_members(ftype, plan, n_members, &mtype) : 0;
    int rc = row ? H5IN_OK : H5IN_EINPUT;
    if (!row) snprintf(err, errlen, "%s: '%s' has no numeric or string columns", f->path, name);
    unsigned char *buf = NULL;
    if (rc == H5IN_OK) {
        buf = calloc(n_rows ? n_rows : 1, row);
        if (!buf) {
            snprintf(err, errlen, "%s: out of memory reading '%s'", f->path, name);
            rc = H5IN_EFAIL;
        } else if (n_rows && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            snprintf(err, errlen, "%s: reading '%s' failed", f->path, name);
            rc = H5IN_EFAIL;
        }
    }
    if (rc == H5IN_OK) {
        out->n_rows = n_rows;
        out->cols = calloc((size_t)n_members, sizeof *out->cols);
        if (!out->cols) rc = H5IN_EFAIL;
    }
    for (int i = 0; rc == H5IN_OK && i < n_members; i++) {
        const member_plan *p = &plan[i];
        if (p->mem_offset == SIZE_MAX) continue;
        h5in_column *c = &out->cols[out->n_cols++];
        c->name = dup_string(p->name);
        c->unit = read_unit(d, p->name);
        c->is_string = p->is_string;
        if (!c->name || !c->unit) {
            rc = H5IN_EFAIL;
            break;
        }
        if (!p->is_string) {
            c->values = malloc((n_rows ? n_rows : 1) * sizeof *c->values);
            if (!c->values) {
                rc = H5IN_EFAIL;
                break;
            }
            if (!p->is_int) {
                for (size_t r = 0; r < n_rows; r++)
                    memcpy(&c->values[r], buf + r * row + p->mem_offset, sizeof(double));
                continue;
            }
            if (p->is_signed)
                c->i64 = malloc((n_rows ? n_rows : 1) * sizeof *c->i64);
            else
                c->u64 = malloc((n_rows ? n_rows : 1) * sizeof *c->u64);
            if (!c->i64 && !c->u64) {
                rc = H5IN_EFAIL;
                break;
            }
            for (size_t r = 0; r < n_rows; r++) {
                const unsigned char *cell = buf + r * row + p->mem_offset;
                if (p->is_signed) {
                    memcpy(&c->i64[r], cell, sizeof(int64_t));
                    c->values[r] = (double)c->i64[r];
                } else {
                    memcpy(&c->u64[r], cell, sizeof(uint64_t));
                    c->values[r] = (double)c->u64[r];
                }
            }
            continue;
        }
        /* Strings: one block of fixed-width slots, as wide as the longest. */
        size_t width = 1;
        for (size_t r = 0; r < n_rows; r++) {
            const char *s;
            if (p->is_vlen)
                memcpy(&s, buf + r * row + p->mem_offset, sizeof s);
            else
                s = (const char *)buf + r * row + p->mem_offset;
            size_t len = s ? strlen(s) + 1 : 1;
            if (len > width) width = len;
        }
        c->width = width;
        c->strings = calloc(n_rows ? n_rows : 1, width);
        if (!c->strings) {
            rc = H5IN_EFAIL;
            break;
        }
        for (size_t r = 0; r < n_rows; r++) {
            const char *s;
            if (p->is_vlen)
                memcpy(&s, buf + r * row + p->mem_offset, sizeof s);
            else
                s = (const char *)buf + r * row + p->mem_offset;
            if (s) memcpy(c->strings + r * width, s, strlen(s) + 1);
        }
    }
    if (buf && n_rows && mtype >= 0) {
        bool any_vlen = false;
        for (int i = 0; plan && i < n_members; i++) any_vlen |= plan[i].is_vlen && plan[i].mem_offset != SIZE_MAX;
        if (any_vlen) H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf);
    }
    if (rc == H5IN_EFAIL && errlen && !err[0]) snprintf(err, errlen, "%s: out of memory reading '%s'", f->path, name);
    free(buf);
    for (int i = 0; plan && i < n_members; i++) H5free_memory(plan[i].name);
    free(plan);
    if (mtype >= 0) H5Tclose(mtype);
    H5Sclose(space);
    H5Tclose(ftype);
    H5Dclose(d);
    if (rc != H5IN_OK) h5in_table_free(out);
    return rc;
}

/* ---- points ----------------------------------------------------------------------- */

void h5in_points_free(h5in_points *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        if (p->parameters) free(p->parameters[i]);
        if (p->sha256) free(p->sha256[i]);
        if (p->scenario) free(p->scenario[i]);
    }
    free(p->index);
    free(p->parameters);
    free(p->sha256);
    free(p->scenario);
    memset(p, 0, sizeof *p);
}

long h5in_points_find(const h5in_points *p, uint32_t point) {
    for (size_t i = 0; i < p->n; i++)
        if (p->index[i] == point) return (long)i;
    return -1;
}

uint32_t h5in_default_baseline(h5in_file *f, const h5in_points *p, bool *from_file) {
    double v;
    bool ok =
        h5in_attr_number(f, "baseline_point", &v) && v >= 0 && v <= UINT32_MAX && h5in_points_find(p, (uint32_t)v) >= 0;
    if (from_file) *from_file = ok;
    if (ok) return (uint32_t)v;
    return p->n ? p->index[0] : 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int points_alloc(h5in_points *p, size_t n) {
    p->n = n;
    p->index = calloc(n ? n : 1, sizeof *p->index);
    p->parameters = calloc(n ? n : 1, sizeof *p->parameters);
    p->sha256 = calloc(n ? n : 1, sizeof *p->sha256);
    p->scenario = calloc(n ? n : 1, sizeof *p->scenario);
    return p->index && p->parameters && p->sha256 && p->scenario ? 0 : -1;
}

/* Sorts the points by index (the three arrays together). */
static void points_sort(h5in_points *p) {
    for (size_t i = 1; i < p->n; i++)
        for (size_t j = i; j > 0 && p->index[j - 1] > p->index[j]; j--) {
            uint32_t t = p->index[j];
            p->index[j] = p->index[j - 1];
            p->index[j - 1] = t;
            char *s = p->parameters[j];
            p->parameters[j] = p->parameters[j - 1];
            p->parameters[j - 1] = s;
            s = p->sha256[j];
            p->sha256[j] = p->sha256[j - 1];
            p->sha256[j - 1] = s;
            s = p->scenario[j];
            p->scenario[j] = p->scenario[j - 1];
            p->scenario[j - 1] = s;
        }
}

static int points_from_replicas(const h5in_table *replicas, h5in_points *out, const char *path, char *err,
                                size_t errlen) {
    const h5in_column *pc = h5in_column_find(replicas, "point");
    size_t n = replicas->n_rows;
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) {
        snprintf(err, errlen, "%s: out of memory", path);
        return H5IN_EFAIL;
    }
    for (size_t i = 0; i < n; i++) {
        double v = pc ? pc->values[i] : 0;
        idx[i] = isfinite(v) && v >= 0 ? (uint32_t)v : 0;
    }
    qsort(idx, n, sizeof *idx, cmp_u32);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || idx[i] != idx[i - 1]) idx[distinct++] = idx[i];
    if (distinct == 0) idx[distinct++] = 0; /* an empty file is still one point */
    int rc = points_alloc(out, distinct);
    for (size_t i = 0; rc == 0 && i < distinct; i++) {
        out->index[i] = idx[i];
        out->parameters[i] = dup_string("{}");
        out->sha256[i] = dup_string("");
        out->scenario[i] = dup_string("");
        if (!out->parameters[i] || !out->sha256[i] || !out->scenario[i]) rc = -1;
    }
    free(idx);
    if (rc != 0) {
        h5in_points_free(out);
        snprintf(err, errlen, "%s: out of memory", path);
        return H5IN_EFAIL;
    }
    return H5IN_OK;
}

/* The sweep writer's /points names its columns; accept the obvious
 * spellings so that a renamed column does not make the file unreadable. */
static const h5in_column *find_any(const h5in_table *t, const char *const *names, bool want_string) {
    for (size_t k = 0; names[k]; k++) {
        const h5in_column *c = h5in_column_find(t, names[k]);
        if (c && c->is_string == want_string) return c;
    }
    return NULL;
}

int h5in_points_read(h5in_file *f, const h5in_table *replicas, h5in_points *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!h5in_exists(f, "points")) return points_from_replicas(replicas, out, f->path, err, errlen);
    h5in_table t;
    int rc = h5in_table_read(f, "points", &t, err, errlen);
    if (rc != H5IN_OK) return rc;
    if (t.n_rows == 0) { /* a sweep that wrote no point yet: fall back to the replicas */
        h5in_table_free(&t);
        return points_from_replicas(replicas, out, f->path, err, errlen);
    }
    static const char *const idx_names[] = {"point", "index", "point_index", NULL};
    static const char *const par_names[] = {"parameters", "params", "parameters_json", NULL};
    static const char *const sha_names[] = {"scenario_sha256", "sha256", "scenario_sha", "sha", NULL};
    const h5in_column *ic = find_any(&t, idx_names, false);
    const h5in_column *pc = find_any(&t, par_names, true);
    const h5in_column *sc = find_any(&t, sha_names, true);
    static const char *const scen_names[] = {"scenario", "scenario_json", NULL};
    const h5in_column *jc = find_any(&t, scen_names, true);
    if (!pc) {
        snprintf(err, errlen, "%s: /points has no 'parameters' string column", f->path);
        h5in_table_free(&t);
        return H5IN_EINPUT;
    }
    if (points_alloc(out, t.n_rows) != 0) rc = H5IN_EFAIL;
    for (size_t i = 0; rc == H5IN_OK && i < t.n_rows; i++) {
        double v = ic ? ic->values[i] : (double)i; /* without an index column, rows are the points */
        out->index[i] = isfinite(v) && v >= 0 ? (uint32_t)v : (uint32_t)i;
        const char *params = h5in_string_at(pc, i);
        out->parameters[i] = dup_string(params[0] ? params : "{}");
        out->sha256[i] = dup_string(sc ? h5in_string_at(sc, i) : "");
        out->scenario[i] = dup_string(jc ? h5in_string_at(jc, i) : "");
        if (!out->parameters[i] || !out->sha256[i] || !out->scenario[i]) rc = H5IN_EFAIL;
    }
    h5in_table_free(&t);
    if (rc != H5IN_OK) {
        h5in_points_free(out);
        snprintf(err, errlen, "%s: out of memory reading /points", f->path);
        return rc;
    }
    points_sort(out);
    return H5IN_OK;
}
