/* Writing the results of `firedrill run` and `firedrill sweep` to HDF5:
 * root attributes, the scenario as given and resolved, and the /replicas
 * and /incidents compound tables built from the metric field tables (one
 * code path for every column; units as attributes). A sweep adds /points
 * and /sweep/spec and the sweep_* / shard_* root attributes (layout:
 * results/README.md). The file is written under a temporary name and
 * renamed, so an interrupted run never leaves a half file. Files are read
 * back through analysis/h5in.h, the one reader (`firedrill merge` too).
 *
 * The writers return FD_OK, or FD_EIO with the reason in err.
 *
 * HDF5 is serial here: only one thread may call these functions. */
#ifndef SIM_H5OUT_H
#define SIM_H5OUT_H

#include <stddef.h>
#include <stdint.h>

#include "models/metrics.h"
#include "util/fd_status.h"

typedef struct h5out_meta {
    const char *version, *git_revision, *scenario_name, *scenario_sha256, *backend, *command;
    const char *scenario_given, *scenario_resolved;
} h5out_meta;

/* A row of /points. */
typedef struct h5out_point {
    uint32_t point;
    char scenario_sha256[65];
    char *parameters; /* JSON object {"json.path": value} */
    char *scenario;   /* the point's scenario JSON */
} h5out_point;

/* A further compound table at the root, described by a field table (as
 * /replicas is), with a JSON summary as the string attribute NAME_summary
 * of the root (`firedrill optimize` writes /optimize). */
typedef struct h5out_table {
    const char *name;
    const metric_field *fields;
    size_t n_fields, record_size;
    const void *rows;
    size_t n_rows;
    const char *summary_json;
} h5out_table;

/* What a sweep file adds. For a complete sweep shard_index 0, shard_count 1. */
typedef struct h5out_sweep {
    const char *name, *sha256, *spec, *combine, *metrics_json;
    uint64_t n_points, seeds, first_seed, baseline_point, shard_index, shard_count;
    const h5out_point *points;
    const h5out_table *extra; /* NULL: none */
} h5out_sweep;

/* One replica's event trace: /trace/<seed> (`firedrill run --trace`). */
typedef struct h5out_trace {
    uint64_t seed;
    const trace_record *rows;
    size_t n_rows;
    const timeline_record *timeline; /* /timeline/<seed> */
    size_t n_timeline;
} h5out_trace;

int h5out_write(const char *path, const h5out_meta *meta, const replica_metrics *replicas, size_t n_replicas,
                const incident_record *incidents, size_t n_incidents, const h5out_trace *traces, size_t n_traces,
                char *err, size_t errlen);

int h5out_write_sweep(const char *path, const h5out_meta *meta, const h5out_sweep *sweep,
                      const replica_metrics *replicas, size_t n_replicas, const incident_record *incidents,
                      size_t n_incidents, char *err, size_t errlen);

#endif
