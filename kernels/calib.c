#include "kernels/calib.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/rec.h"
#include "kernels/rec_internal.h"

#define CALIB_DATASET "calibration"

/* In memory: the C struct. On disk: packed little-endian, the same on every
 * machine and easy for h5py/pandas. */
static hid_t row_type(int on_disk) {
    const size_t i32 = 4, f64 = 8;
    hid_t t = H5Tcreate(H5T_COMPOUND, on_disk ? i32 + 3 * f64 : sizeof(calib_row));
    if (t < 0) return t;
    hid_t ti = on_disk ? H5T_STD_I32LE : H5T_NATIVE_INT32;
    hid_t td = on_disk ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
    H5Tinsert(t, "batch_size", on_disk ? 0 : offsetof(calib_row, batch_size), ti);
    H5Tinsert(t, "latency_median_s", on_disk ? i32 : offsetof(calib_row, latency_median_s), td);
    H5Tinsert(t, "latency_p10_s", on_disk ? i32 + f64 : offsetof(calib_row, latency_p10_s), td);
    H5Tinsert(t, "latency_p90_s", on_disk ? i32 + 2 * f64 : offsetof(calib_row, latency_p90_s), td);
    return t;
}

static int check_rows(const char *path, const calib_row *rows, size_t n, char *err, size_t errlen) {
    if (n == 0) return fd_errf(err, errlen, REC_EINVAL, "%s: calibration has no rows", path);
    for (size_t i = 0; i < n; i++) {
        const calib_row *r = &rows[i];
        if (r->batch_size < 1 || (i > 0 && r->batch_size <= rows[i - 1].batch_size))
            return fd_errf(err, errlen, REC_EINVAL,
                           "%s: /calibration[%zu].batch_size: must be >= 1 and increasing, got %d", path, i,
                           r->batch_size);
        if (!isfinite(r->latency_median_s) || r->latency_median_s < 0 || !isfinite(r->latency_p10_s) ||
            !isfinite(r->latency_p90_s))
            return fd_errf(err, errlen, REC_EINVAL, "%s: /calibration[%zu]: latencies must be finite and >= 0", path,
                           i);
    }
    return REC_OK;
}

static int write_str_attr(hid_t obj, const char *name, const char *value) {
    hid_t t = H5Tcopy(H5T_C_S1);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = -1;
    herr_t rc = -1;
    if (t >= 0 && sp >= 0 && H5Tset_size(t, strlen(value) + 1) >= 0 && H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0) {
        a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) rc = H5Awrite(a, t, value);
    }
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    return rc < 0 ? -1 : 0;
}

static int write_i64_attr(hid_t obj, const char *name, int64_t value) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp >= 0 ? H5Acreate2(obj, name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    herr_t rc = a >= 0 ? H5Awrite(a, H5T_NATIVE_INT64, &value) : -1;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return rc < 0 ? -1 : 0;
}

static int write_f64_attr(hid_t obj, const char *name, double value) {
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp >= 0 ? H5Acreate2(obj, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    herr_t rc = a >= 0 ? H5Awrite(a, H5T_NATIVE_DOUBLE, &value) : -1;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return rc < 0 ? -1 : 0;
}

static int write_provenance(hid_t f, const calib_table *t) {
    int bad = write_str_attr(f, "backend", t->backend);
    bad |= write_str_attr(f, "firedrill_version", t->version);
    bad |= write_str_attr(f, "preset", t->preset);
    bad |= write_str_attr(f, "device", t->device);
    bad |= write_str_attr(f, "batch_unit", t->candidates > 0 ? "queries" : "samples");
    bad |= write_i64_attr(f, "threads", t->threads);
    bad |= write_i64_attr(f, "candidates", t->candidates);
    bad |= write_i64_attr(f, "table_bytes", t->table_bytes);
    bad |= write_i64_attr(f, "memory_budget_bytes", t->memory_budget_bytes);
    bad |= write_f64_attr(f, "flops_per_query", t->flops_per_query);
    bad |= write_f64_attr(f, "gather_bytes_per_query", t->gather_bytes_per_query);
    return bad ? -1 : 0;
}

int calib_write_table(const char *path, const calib_table *t, char *err, size_t errlen) {
    int rc = check_rows(path, t->rows, t->n, err, errlen);
    if (rc) return rc;
    if (t->candidates < 0 || t->threads < 0 || t->table_bytes < 0 || t->memory_budget_bytes < 0)
        return fd_errf(err, errlen, REC_EINVAL, "%s: candidates, threads and byte counts must be >= 0", path);
    const size_t n = t->n;
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
        return fd_errf(err, errlen, REC_EINVAL, "%s: path too long", path);
    hid_t f = -1, sp = -1, ds = -1, ft = -1, mt = -1;
    herr_t ok = -1;
    H5E_BEGIN_TRY {
        f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        hsize_t dims[1] = {(hsize_t)n};
        if (f >= 0) sp = H5Screate_simple(1, dims, NULL);
        ft = row_type(1);
        mt = row_type(0);
        if (sp >= 0 && ft >= 0 && mt >= 0)
            ds = H5Dcreate2(f, CALIB_DATASET, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (ds >= 0 && H5Dwrite(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->rows) >= 0 && write_provenance(f, t) == 0)
            ok = 0;
        if (ds >= 0) H5Dclose(ds);
        if (sp >= 0) H5Sclose(sp);
        if (ft >= 0) H5Tclose(ft);
        if (mt >= 0) H5Tclose(mt);
        if (f >= 0 && H5Fclose(f) < 0) ok = -1;
    }
    H5E_END_TRY;
    if (f < 0) return fd_errf(err, errlen, REC_EIO, "%s: cannot create (HDF5)", tmp);
    if (ok < 0) {
        unlink(tmp);
        return fd_errf(err, errlen, REC_EIO, "%s: cannot write the calibration table (HDF5)", tmp);
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return fd_errf(err, errlen, REC_EIO, "%s: cannot rename from %s", path, tmp);
    }
    return REC_OK;
}

int calib_write(const char *path, const calib_row *rows, size_t n, const char *backend, const char *version, char *err,
                size_t errlen) {
    calib_table t;
    memset(&t, 0, sizeof(t));
    t.rows = (calib_row *)rows;
    t.n = n;
    snprintf(t.backend, sizeof(t.backend), "%s", backend ? backend : "");
    snprintf(t.version, sizeof(t.version), "%s", version ? version : "");
    return calib_write_table(path, &t, err, errlen);
}

/* Fixed-length or variable-length string attribute (h5py writes the
 * latter) into dst; missing attributes leave dst empty. */
static void read_str_attr(hid_t obj, const char *name, char *dst, size_t cap) {
    dst[0] = '\0';
    if (H5Aexists(obj, name) <= 0) return;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ft = a >= 0 ? H5Aget_type(a) : -1;
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(ft) > 0) {
            char *v = NULL;
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &v) >= 0 && v) {
                snprintf(dst, cap, "%s", v);
                H5free_memory(v);
            }
        } else {
            size_t sz = H5Tget_size(ft);
            char *v = calloc(sz + 1, 1);
            H5Tset_size(mt, sz + 1);
            if (v && H5Aread(a, mt, v) >= 0) snprintf(dst, cap, "%s", v);
            free(v);
        }
        H5Tclose(mt);
    }
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
}

/* A numeric scalar attribute converted to int64; 0 when missing or not a number. */
static int read_i64_attr(hid_t obj, const char *name, int64_t *out) {
    *out = 0;
    if (H5Aexists(obj, name) <= 0) return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ft = a >= 0 ? H5Aget_type(a) : -1;
    const H5T_class_t cls = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    int ok = 0;
    if (cls == H5T_INTEGER) {
        ok = H5Aread(a, H5T_NATIVE_INT64, out) >= 0;
    } else if (cls == H5T_FLOAT) {
        double d = 0;
        ok = H5Aread(a, H5T_NATIVE_DOUBLE, &d) >= 0 && isfinite(d) && fabs(d) < 9e18;
        if (ok) *out = (int64_t)d;
    }
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
    return ok;
}

static void read_f64_attr(hid_t obj, const char *name, double *out) {
    *out = 0;
    if (H5Aexists(obj, name) <= 0) return;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ft = a >= 0 ? H5Aget_type(a) : -1;
    const H5T_class_t cls = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    if ((cls == H5T_FLOAT || cls == H5T_INTEGER) && (H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0 || !isfinite(*out)))
        *out = 0;
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
}

int calib_check_model(const calib_table *t, const char *path, const char *preset, int32_t candidates, char *err,
                      size_t errlen) {
    if (strcmp(t->preset, preset ? preset : "") == 0 && t->candidates == candidates) return REC_OK;
    if (!t->preset[0])
        return fd_errf(err, errlen, REC_EINVAL,
                       "%s: measured without a model preset (firedrill calibrate without --model), not for '%s' "
                       "with %d candidates per query",
                       path, preset ? preset : "", candidates);
    if (!preset || !preset[0])
        return fd_errf(err, errlen, REC_EINVAL,
                       "%s: measured for preset '%s' with %d candidates per query, not for the default model", path,
                       t->preset, t->candidates);
    return fd_errf(err, errlen, REC_EINVAL,
                   "%s: measured for preset '%s' with %d candidates per query, not '%s' with %d", path, t->preset,
                   t->candidates, preset, candidates);
}

int calib_load(const char *path, calib_table *out, char *err, size_t errlen) {
    memset(out, 0, sizeof(*out));
    int rc = REC_OK;
    hid_t f = -1, ds = -1, sp = -1, mt = -1;
    H5E_BEGIN_TRY {
        f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) {
            rc = fd_errf(err, errlen, REC_EIO, "%s: cannot open as HDF5", path);
        } else if ((ds = H5Dopen2(f, CALIB_DATASET, H5P_DEFAULT)) < 0) {
            rc = fd_errf(err, errlen, REC_EIO, "%s: no dataset /%s", path, CALIB_DATASET);
        } else {
            sp = H5Dget_space(ds);
            hsize_t dims[1] = {0};
            if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
                rc = fd_errf(err, errlen, REC_EIO, "%s: /%s: must be one-dimensional", path, CALIB_DATASET);
            } else if (dims[0] == 0) {
                rc = fd_errf(err, errlen, REC_EINVAL, "%s: calibration has no rows", path);
            } else if (!(out->rows = calloc((size_t)dims[0], sizeof(calib_row)))) {
                rc = fd_errf(err, errlen, REC_ENOMEM, "%s: out of memory", path);
            } else {
                out->n = (size_t)dims[0];
                mt = row_type(0);
                if (mt < 0 || H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->rows) < 0)
                    rc = fd_errf(err, errlen, REC_EIO,
                                 "%s: /%s: cannot read {batch_size, latency_median_s, latency_p10_s, "
                                 "latency_p90_s}",
                                 path, CALIB_DATASET);
            }
            read_str_attr(f, "backend", out->backend, sizeof(out->backend));
            read_str_attr(f, "firedrill_version", out->version, sizeof(out->version));
            read_str_attr(f, "preset", out->preset, sizeof(out->preset));
            read_str_attr(f, "device", out->device, sizeof(out->device));
            int64_t v = 0;
            out->threads = read_i64_attr(f, "threads", &v) && v >= 0 && v <= INT32_MAX ? (int32_t)v : 0;
            out->candidates = read_i64_attr(f, "candidates", &v) && v >= 0 && v <= INT32_MAX ? (int32_t)v : 0;
            out->table_bytes = read_i64_attr(f, "table_bytes", &v) && v >= 0 ? v : 0;
            out->memory_budget_bytes = read_i64_attr(f, "memory_budget_bytes", &v) && v >= 0 ? v : 0;
            read_f64_attr(f, "flops_per_query", &out->flops_per_query);
            read_f64_attr(f, "gather_bytes_per_query", &out->gather_bytes_per_query);
        }
        if (mt >= 0) H5Tclose(mt);
        if (sp >= 0) H5Sclose(sp);
        if (ds >= 0) H5Dclose(ds);
        if (f >= 0) H5Fclose(f);
    }
    H5E_END_TRY;
    if (!rc) rc = check_rows(path, out->rows, out->n, err, errlen);
    if (rc) calib_free(out);
    return rc;
}

void calib_free(calib_table *t) {
    if (!t) return;
    free(t->rows);
    t->rows = NULL;
    t->n = 0;
}

double calib_latency_s(const calib_table *t, int32_t batch_size) {
    const calib_row *r = t->rows;
    const size_t n = t->n;
    /* One row gives no slope: its latency stands for every batch size. */
    if (n == 1 || batch_size <= r[0].batch_size) return r[0].latency_median_s;
    /* Binary search for the first row with batch_size >= the one asked. */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].batch_size < batch_size)
            lo = mid + 1;
        else
            hi = mid;
    }
    const calib_row *a, *b;
    if (lo < n && r[lo].batch_size == batch_size) return r[lo].latency_median_s;
    if (lo >= n) {
        a = &r[n - 2];
        b = &r[n - 1];
    } else {
        a = &r[lo - 1];
        b = &r[lo];
    }
    const double slope = (b->latency_median_s - a->latency_median_s) / (double)(b->batch_size - a->batch_size);
    double v = a->latency_median_s + slope * (double)(batch_size - a->batch_size);
    if (lo >= n && v < b->latency_median_s) v = b->latency_median_s;
    return v;
}
