/* Sweep files: a base scenario, parameters varied by JSON path, seeds per
 * point, the metrics of interest. sweep_parse expands the file into its
 * points: for each point the base JSON with the point's values substituted
 * (cJSON), printed, and parsed by scenario_parse, so a point is exactly the
 * scenario `firedrill run` would read from that text.
 *
 *   {"name": "backup_interval", "base": "../reference.json",
 *    "seeds": 50, "first_seed": 1,
 *    "set": {"horizon_s": "7d"},                       fixed overrides
 *    "parameters": [
 *      {"path": "backup.incremental_period_s", "values": [60, "15m", 3600]},
 *      {"path": "failover.fencing_s", "linear": {"from": 0, "to": 30, "count": 4}},
 *      {"path": "backup.full_period_s", "log": {"from": 3600, "to": 86400, "count": 5,
 *                                               "round": true}},     whole numbers
 *      {"base": ["../pilot_light.json", "../warm_standby.json"]}],
 *    "combine": "cross" | "zip",
 *    "metrics": ["rto_mean_s", "rpo_mean_s"], "baseline_point": 0}
 *
 * Paths: keys separated by dots, array items as [i]
 * ("topology.regions[1].servers"). Missing object keys are created (the
 * scenario parser then rejects a key it does not know); array indices must
 * exist. Values are any JSON: numbers, strings ("15m"), booleans, whole
 * objects. A {"base": [...]} entry is a dimension over base files (relative
 * to the sweep file), for strategies that differ in many keys.
 *
 * Points: "cross" is nested loops in the order the parameters are listed,
 * the last varying fastest; "zip" takes the i-th value of every parameter
 * (all lists of equal length). Work unit u is (point u / seeds, seed
 * first_seed + u % seeds): every point meets the same seeds, hence the same
 * disasters (common random numbers).
 *
 * Errors: "FILE: JSON.PATH: reason"; a point the scenario parser rejects
 * gives its message under "FILE: points[i]" plus the point's parameters. */
#ifndef SIM_SWEEP_H
#define SIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "kernels/rec.h"
#include "models/scenario.h"

#define SWEEP_MAX_POINTS 100000u
#define SWEEP_MAX_UNITS  100000000ull

typedef enum sweep_combine { SWEEP_CROSS, SWEEP_ZIP } sweep_combine;

typedef struct sweep_param {
    char *path; /* JSON path, or "base" for a base-file dimension */
    bool is_base;
    cJSON *values; /* array, owned */
    size_t n_values;
} sweep_param;

typedef struct sweep_point {
    uint32_t index;
    char *parameters;    /* JSON object {path: value} of this point */
    char *scenario_json; /* the text scenario_parse read */
    char sha256[65];     /* of scenario_json (cli_sha256_hex), as `firedrill run` computes it */
    scenario sc;
} sweep_point;

typedef struct sweep_spec {
    char *file;
    char *text; /* the sweep file as read */
    char *name;
    char sha256[65]; /* of the sweep text and every point's scenario SHA-256 */
    uint64_t seeds, first_seed;
    sweep_combine combine;
    sweep_param *params;
    size_t n_params;
    char **metrics; /* replica_metric_fields names */
    size_t n_metrics;
    uint32_t baseline_point;
    sweep_point *points;
    size_t n_points;
    /* Not part of the sweep file (nor of its SHA-256): how it runs. */
    rec_backend backend; /* where the kernels run (--backend, resolved) */
    uint64_t max_events; /* per replica (--max-events; 0: no limit) */
    char **inputs;       /* every file the sweep read: the sweep file, then base files as opened */
    size_t n_inputs;
    bool out_of_memory; /* after a failed parse or load: memory or I/O failed, not the input */
} sweep_spec;

/* Parses and expands text (the content of `file`; base paths are relative
 * to file's directory). False with a message (and sw->out_of_memory when
 * that was the cause, not the input); call sweep_free either way. The
 * sweep file and its base files are read with cfg_read_file and
 * cfg_parse_json (size limit, nesting depth, duplicate keys). */
bool sweep_parse(sweep_spec *sw, const char *file, const char *text, char *err, size_t errlen);
bool sweep_load(sweep_spec *sw, const char *file, char *err, size_t errlen);
void sweep_free(sweep_spec *sw);

static inline uint64_t sweep_units(const sweep_spec *sw) { return (uint64_t)sw->n_points * sw->seeds; }
static inline uint32_t sweep_unit_point(const sweep_spec *sw, uint64_t unit) { return (uint32_t)(unit / sw->seeds); }
static inline uint64_t sweep_unit_seed(const sweep_spec *sw, uint64_t unit) {
    return sw->first_seed + unit % sw->seeds;
}

/* "combine" as written in the file, and the metrics as a JSON array text
 * (malloc'ed). */
const char *sweep_combine_name(sweep_combine c);
char *sweep_metrics_json(const sweep_spec *sw);

/* Substitutes value (copied) at a dotted JSON path of root, creating
 * missing object keys; false with a reason (no file prefix). Exposed for
 * the tests. */
bool sweep_json_set(cJSON *root, const char *path, const cJSON *value, char *why, size_t whylen);

#endif
