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
 * Paths (models/jpath.h): keys separated by dots, array items as [i]
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
 * Keys are read as scenario keys are (models/cfg.h): the same reader
 * (size limit, nesting depth, duplicate keys), typed and range-checked
 * getters, unknown keys refused with "did you mean", and a key registry
 * (sweep_known_keys) from which scenarios/sweep.schema.json and the table in
 * scenarios/README.md are generated.
 *
 * Errors: "FILE: JSON.PATH: reason", the path with its indices
 * ("parameters[2].values[0]"); a point the scenario parser rejects gives
 * its message under "FILE: points[i]" plus the point's parameters. */
#ifndef SIM_SWEEP_H
#define SIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "kernels/rec.h"
#include "models/cfg.h"
#include "models/metrics.h"
#include "models/scenario.h"

#define SWEEP_MAX_PARAMS 64
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
    /* Read from the file for the expansion. */
    char *base; /* "base" (NULL when only a base dimension names them) */
    cJSON *set; /* "set" (NULL when absent), owned */
} sweep_spec;

/* Parses and expands text (the content of `file`; base paths are relative
 * to file's directory). False with a message (and sw->out_of_memory when
 * that was the cause, not the input); call sweep_free either way. The
 * sweep file and its base files are read with cfg_read_file and
 * cfg_parse_json (size limit, nesting depth, duplicate keys). */
bool sweep_parse(sweep_spec *sw, const char *file, const char *text, char *err, size_t errlen);
bool sweep_load(sweep_spec *sw, const char *file, char *err, size_t errlen);
void sweep_free(sweep_spec *sw);

/* sweep_parse in steps, for files that extend sweep files (optimize
 * files, sim/optimize.c), so that one document holds both sets of keys:
 * sweep_read_keys reads the sweep keys of root, the top object of a cfg
 * document (cfg_open), into sw (which it clears first); the caller reads
 * its own keys and calls cfg_leave(root), which then knows both sets; then
 * sweep_expand checks what involves several keys, reads the base files and
 * expands the points, with `text` as what the sweep's SHA-256 and
 * /sweep/spec record. Errors go to root's document (cfg_fail,
 * doc->out_of_memory); false once there is one. sweep_free either way. */
bool sweep_read_keys(sweep_spec *sw, cfg_obj *root);
bool sweep_expand(sweep_spec *sw, cfg_obj *root, const char *text);

/* The key registry of sweep files: lines "path\ttype\tunit\tdefault\tmin\t
 * max\tdoc" (models/cfg.h) for every key the parser reads, list items as
 * "parameters[].path". For `firedrill sweep --list-keys` and --schema, and
 * the test that scenarios/README.md and scenarios/sweep.schema.json agree
 * with the parser. Free with cfg_free_keys; false when out of memory. */
bool sweep_known_keys(char ***keys, size_t *n);
/* The registry of a file that is a sweep file plus what more() reads (the
 * sweep's spec and ctx given): optimize files. */
bool sweep_registry(const char *label, bool (*more)(cfg_obj *root, sweep_spec *sw, void *ctx), void *ctx, char ***keys,
                    size_t *n);

/* The numeric /replicas column nearest to name (cfg_did_you_mean), or
 * NULL: for "did you mean" after a column that does not exist. */
const char *sweep_column_near(const char *name);
/* The numeric /replicas column `name`, or NULL after failing at key of o
 * (with a "did you mean" when one is near): what sweep metrics and
 * optimize objectives and targets name. */
const metric_field *sweep_metric_at(cfg_obj *o, const char *key, const char *name);

static inline uint64_t sweep_units(const sweep_spec *sw) { return (uint64_t)sw->n_points * sw->seeds; }
static inline uint32_t sweep_unit_point(const sweep_spec *sw, uint64_t unit) { return (uint32_t)(unit / sw->seeds); }
static inline uint64_t sweep_unit_seed(const sweep_spec *sw, uint64_t unit) {
    return sw->first_seed + unit % sw->seeds;
}

/* "combine" as written in the file, and the metrics as a JSON array text
 * (malloc'ed). */
const char *sweep_combine_name(sweep_combine c);
char *sweep_metrics_json(const sweep_spec *sw);

#endif
