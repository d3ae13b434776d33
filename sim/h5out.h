/* Writing the results of `firedrill run` to HDF5: root attributes, the
 * scenario as given and resolved, and the /replicas and /incidents compound
 * tables built from the metric field tables (one code path for every
 * column; units as attributes). The file is written under a temporary name
 * and renamed, so an interrupted run never leaves a half file. HDF5 is
 * serial here: only the main thread writes. */
#ifndef SIM_H5OUT_H
#define SIM_H5OUT_H

#include <stddef.h>

#include "models/metrics.h"

typedef struct h5out_meta {
    const char *version, *git_revision, *scenario_name, *scenario_sha256, *backend, *command;
    const char *scenario_given, *scenario_resolved;
} h5out_meta;

int h5out_write(const char *path, const h5out_meta *meta, const replica_metrics *replicas, size_t n_replicas,
                const incident_record *incidents, size_t n_incidents, char *err, size_t errlen);

#endif
