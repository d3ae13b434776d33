#include "sim/h5out.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

static hid_t string_type(size_t len) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len ? len : 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
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
    hsize_t dims[1] = {n_rows}, maxdims[1] = {H5S_UNLIMITED}, chunk[1] = {1024};
    hid_t space = H5Screate_simple(1, dims, maxdims);
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(plist, 1, chunk);
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE)) H5Pset_deflate(plist, 1);
    hid_t d = H5Dcreate2(file, name, type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
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
    H5Tclose(type);
    return rc;
}

int h5out_write(const char *path, const h5out_meta *meta, const replica_metrics *replicas, size_t n_replicas,
                const incident_record *incidents, size_t n_incidents, char *err, size_t errlen) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        snprintf(err, errlen, "%s: cannot create (does its directory exist?)", path);
        return -1;
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
    hid_t g = H5Gcreate2(file, "scenario", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rc |= g < 0 ? -1 : 0;
    if (g >= 0) {
        rc |= put_string_dataset(g, "given", meta->scenario_given);
        rc |= put_string_dataset(g, "resolved", meta->scenario_resolved);
        H5Gclose(g);
    }
    rc |= put_table(file, "replicas", replica_metric_fields, replica_metric_field_count, sizeof(replica_metrics),
                    replicas, n_replicas);
    rc |= put_table(file, "incidents", incident_fields, incident_field_count, sizeof(incident_record), incidents,
                    n_incidents);
    if (H5Fclose(file) < 0) rc = -1;
    if (rc != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        snprintf(err, errlen, "%s: writing results failed", path);
        return -1;
    }
    return 0;
}
