#include "sim/h5out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "sim/engine/stream.h"

static hid_t string_type(size_t len) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len ? len : 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

static hid_t vlen_string_type(void) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    return t;
}

static int put_string_attr(hid_t obj, const char *name, const char *value) {
    if (!value) value = "";
    hid_t t = string_type(strlen(value) + 1), space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, t, value) < 0 ? -1 : 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    H5Tclose(t);
    return rc;
}

static int put_u64_attr(hid_t obj, const char *name, uint64_t value) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_NATIVE_UINT64, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, H5T_NATIVE_UINT64, &value) < 0 ? -1 : 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    return rc;
}

static int put_string_dataset(hid_t loc, const char *name, const char *value) {
    if (!value) value = "";
    hid_t t = string_type(strlen(value) + 1), space = H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, value) < 0 ? -1 : 0;
    if (d >= 0) H5Dclose(d);
    H5Sclose(space);
    H5Tclose(t);
    return rc;
}

/* Memory type of a field table. */
static hid_t compound_type(const metric_field *fields, size_t n, size_t record_size) {
    hid_t t = H5Tcreate(H5T_COMPOUND, record_size);
    for (size_t i = 0; i < n; i++) {
        const metric_field *f = &fields[i];
        hid_t member = -1;
        switch (f->type) {
        case METRIC_F64: member = H5Tcopy(H5T_NATIVE_DOUBLE); break;
        case METRIC_U64: member = H5Tcopy(H5T_NATIVE_UINT64); break;
        case METRIC_U32: member = H5Tcopy(H5T_NATIVE_UINT32); break;
        case METRIC_U8: member = H5Tcopy(H5T_NATIVE_UINT8); break;
        case METRIC_STR: member = string_type(f->size); break;
        }
        H5Tinsert(t, f->name, f->offset, member);
        H5Tclose(member);
    }
    return t;
}

static int put_table(hid_t file, const char *name, const metric_field *fields, size_t n_fields, size_t record_size,
                     const void *rows, size_t n_rows) {
    hid_t type = compound_type(fields, n_fields, record_size);
    /* In the file the columns are packed: no struct padding (whose bytes
     * are undefined) is stored, and readers see only the named members. */
    hid_t file_type = H5Tcopy(type);
    H5Tpack(file_type);
    hsize_t dims[1] = {n_rows}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {1024};
    hid_t space = H5Screate_simple(1, dims, maxdims);
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(plist, 1, chunk);
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE)) H5Pset_deflate(plist, 1);
    hid_t d = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    int rc = d < 0 ? -1 : 0;
    if (rc == 0 && n_rows && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0) rc = -1;
    for (size_t i = 0; rc == 0 && i < n_fields; i++) {
        char attr[96];
        snprintf(attr, sizeof attr, "%s_unit", fields[i].name);
        rc = put_string_attr(d, attr, fields[i].unit);
    }
    if (d >= 0) H5Dclose(d);
    H5Pclose(plist);
    H5Sclose(space);
    H5Tclose(file_type);
    H5Tclose(type);
    return rc;
}

/* /points: the memory record is h5out_point itself (strings by pointer). */
static hid_t points_type(void) {
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(h5out_point));
    hid_t sha = string_type(65), vs = vlen_string_type();
    H5Tinsert(t, "point", offsetof(h5out_point, point), H5T_NATIVE_UINT32);
    H5Tinsert(t, "scenario_sha256", offsetof(h5out_point, scenario_sha256), sha);
    H5Tinsert(t, "parameters", offsetof(h5out_point, parameters), vs);
    H5Tinsert(t, "scenario", offsetof(h5out_point, scenario), vs);
    H5Tclose(sha);
    H5Tclose(vs);
    return t;
}

static int put_points(hid_t file, const h5out_point *points, size_t n) {
    hid_t type = points_type();
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(file, "points", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d < 0 ? -1 : 0;
    if (rc == 0 && n && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, points) < 0) rc = -1;
    if (rc == 0) rc = put_string_attr(d, "parameters_doc", "JSON object {\"json.path\": value} of the point");
    if (d >= 0) H5Dclose(d);
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

/* Writes image to "PATH.tmp.PID" (created with O_EXCL, never through a
 * symbolic link), syncs it and renames it to path: an interrupted or
 * failed write never leaves a half file under path, and a failed one
 * removes its temporary file and says why (errno). */
static int write_image(const char *path, const void *image, size_t size, char *err, size_t errlen) {
    char tmp[4352];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) /* left by a process that had our PID */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        return fd_errf(err, errlen, FD_EIO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    }
    const char *p = image;
    size_t done = 0;
    int e = 0;
    while (done < size && !e) {
        ssize_t w = write(fd, p + done, size - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            e = w < 0 ? errno : ENOSPC;
        else
            done += (size_t)w;
    }
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        return fd_errf(err, errlen, FD_EIO, "%s: writing results failed: %s", path, strerror(e));
    }
    return FD_OK;
}

static int write_file(const char *path, const h5out_meta *meta, const h5out_sweep *sw, const replica_metrics *replicas,
                      size_t n_replicas, const incident_record *incidents, size_t n_incidents,
                      const h5out_trace *traces, size_t n_traces, char *err, size_t errlen) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* The file is built in memory (HDF5's core driver, nothing on disk)
     * and written out by write_image: a full disk then fails one write()
     * with its errno, instead of failing inside HDF5, whose later clean-up
     * of the half-closed file crashed at exit. */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0) {
        if (fapl >= 0) H5Pclose(fapl);
        return fd_errf(err, errlen, FD_EIO, "%s: cannot set up HDF5", path);
    }
    /* HDF5 first tries to open an existing file of that name (to share it)
     * and would open a file at path: a name under /dev/null never exists. */
    hid_t file = H5Fcreate("/dev/null/firedrill-results-image", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (file < 0) {
        return fd_errf(err, errlen, FD_EIO, "%s: cannot create the HDF5 file (out of memory?)", path);
    }
    char created[32];
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &utc);
    int rc = 0;
    rc |= put_string_attr(file, "firedrill_version", meta->version);
    rc |= put_string_attr(file, "git_revision", meta->git_revision);
    rc |= put_string_attr(file, "scenario_name", meta->scenario_name);
    rc |= put_string_attr(file, "scenario_sha256", meta->scenario_sha256);
    rc |= put_string_attr(file, "created_utc", created);
    rc |= put_string_attr(file, "backend", meta->backend);
    rc |= put_string_attr(file, "command", meta->command);
    /* the draws depend on the generator as much as on the seed */
    rc |= put_string_attr(file, "random_streams", stream_rng_type()->name);
    hid_t g = H5Gcreate2(file, "scenario", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rc |= g < 0 ? -1 : 0;
    if (g >= 0) {
        rc |= put_string_dataset(g, "given", meta->scenario_given);
        rc |= put_string_dataset(g, "resolved", meta->scenario_resolved);
        H5Gclose(g);
    }
    if (sw) {
        rc |= put_string_attr(file, "sweep_name", sw->name);
        rc |= put_string_attr(file, "sweep_sha256", sw->sha256);
        rc |= put_string_attr(file, "sweep_combine", sw->combine);
        rc |= put_string_attr(file, "sweep_metrics", sw->metrics_json);
        rc |= put_u64_attr(file, "sweep_points", sw->n_points);
        rc |= put_u64_attr(file, "sweep_seeds", sw->seeds);
        rc |= put_u64_attr(file, "sweep_first_seed", sw->first_seed);
        rc |= put_u64_attr(file, "baseline_point", sw->baseline_point);
        rc |= put_u64_attr(file, "shard_index", sw->shard_index);
        rc |= put_u64_attr(file, "shard_count", sw->shard_count);
        hid_t sg = H5Gcreate2(file, "sweep", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc |= sg < 0 ? -1 : 0;
        if (sg >= 0) {
            rc |= put_string_dataset(sg, "spec", sw->spec);
            H5Gclose(sg);
        }
        rc |= put_points(file, sw->points, (size_t)sw->n_points);
        if (sw->extra) {
            const h5out_table *x = sw->extra;
            char attr[96];
            snprintf(attr, sizeof attr, "%s_summary", x->name);
            rc |= put_table(file, x->name, x->fields, x->n_fields, x->record_size, x->rows, x->n_rows);
            if (x->summary_json) rc |= put_string_attr(file, attr, x->summary_json);
        }
    }
    rc |= put_table(file, "replicas", replica_metric_fields, replica_metric_field_count, sizeof(replica_metrics),
                    replicas, n_replicas);
    rc |= put_table(file, "incidents", incident_fields, incident_field_count, sizeof(incident_record), incidents,
                    n_incidents);
    if (n_traces) {
        hid_t tg = H5Gcreate2(file, "trace", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc |= tg < 0 ? -1 : 0;
        for (size_t i = 0; tg >= 0 && i < n_traces; i++) {
            char name[32];
            snprintf(name, sizeof name, "%llu", (unsigned long long)traces[i].seed);
            rc |= put_table(tg, name, trace_fields, trace_field_count, sizeof(trace_record), traces[i].rows,
                            traces[i].n_rows);
        }
        if (tg >= 0) H5Gclose(tg);
        hid_t lg = H5Gcreate2(file, "timeline", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc |= lg < 0 ? -1 : 0;
        for (size_t i = 0; lg >= 0 && i < n_traces; i++) {
            char name[32];
            snprintf(name, sizeof name, "%llu", (unsigned long long)traces[i].seed);
            rc |= put_table(lg, name, timeline_fields, timeline_field_count, sizeof(timeline_record),
                            traces[i].timeline, traces[i].n_timeline);
        }
        if (lg >= 0) H5Gclose(lg);
    }
    void *image = NULL;
    ssize_t size = rc == 0 && H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 ? H5Fget_file_image(file, NULL, 0) : -1;
    if (size > 0 && (image = malloc((size_t)size)) && H5Fget_file_image(file, image, (size_t)size) != size) size = -1;
    if (H5Fclose(file) < 0) rc = -1;
    if (rc != 0 || size <= 0 || !image) {
        free(image);
        return fd_errf(err, errlen, FD_EIO, "%s: building the HDF5 file failed (out of memory?)", path);
    }
    rc = write_image(path, image, (size_t)size, err, errlen);
    free(image);
    return rc;
}

int h5out_write(const char *path, const h5out_meta *meta, const replica_metrics *replicas, size_t n_replicas,
                const incident_record *incidents, size_t n_incidents, const h5out_trace *traces, size_t n_traces,
                char *err, size_t errlen) {
    return write_file(path, meta, NULL, replicas, n_replicas, incidents, n_incidents, traces, n_traces, err, errlen);
}

int h5out_write_sweep(const char *path, const h5out_meta *meta, const h5out_sweep *sweep,
                      const replica_metrics *replicas, size_t n_replicas, const incident_record *incidents,
                      size_t n_incidents, char *err, size_t errlen) {
    return write_file(path, meta, sweep, replicas, n_replicas, incidents, n_incidents, NULL, 0, err, errlen);
}
