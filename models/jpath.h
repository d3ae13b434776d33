/* JSON paths: "topology.regions[1].servers" addresses a node of a cJSON
 * tree; keys are separated by dots, array items written [i]. The one
 * syntax of sweep parameters and `set` (sim/sweep.c), `run --set`
 * (sim/cmd_run.c) and the lookups of analysis (summary_json_number).
 *
 *   jpath p;
 *   if (!jpath_parse(&p, "backup.incremental_period_s", why, sizeof why)) ...;
 *   const cJSON *v = jpath_get(root, "topology.regions[1].servers");
 *   cfg_status st = jpath_set(root, "failover.fencing_s", value, why, sizeof why);
 *
 * Messages ("why") carry no file name: callers add where the path came
 * from ("FILE: parameters[2].path: ..."). */
#ifndef MODELS_JPATH_H
#define MODELS_JPATH_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "models/cfg.h"

/* At most this many steps and this long a key: deeper than any scenario
 * (CFG_MAX_JSON_DEPTH bounds the documents anyway), longer than any key. */
#define JPATH_MAX_STEPS 32
#define JPATH_MAX_KEY   128

/* One step: a key, or an array index when is_index. */
typedef struct jpath_step {
    char key[JPATH_MAX_KEY];
    bool is_index;
    long index;
} jpath_step;

typedef struct jpath {
    jpath_step steps[JPATH_MAX_STEPS];
    size_t n;
} jpath;

/* Splits text into steps. False with a reason on bad syntax: an empty
 * path or key ("a..b", "a."), an index that is not [N] with N >= 0, a key
 * after "]" without a dot, too many steps, a key too long. */
bool jpath_parse(jpath *p, const char *text, char *why, size_t whylen);

/* The first n steps of p as text ("topology.regions[1]"), cut to fit len. */
void jpath_format(const jpath *p, size_t n, char *out, size_t len);

/* The node at path, or NULL when the path is bad or leads nowhere. */
const cJSON *jpath_get(const cJSON *root, const char *path);

/* Puts a copy of value at path: replaces the node there, or adds the last
 * key to its object; missing objects on the way are created (so that one
 * key of an absent scenario section can be set), indices must exist.
 * CFG_EINPUT with a reason naming the step that failed ("path \"a.b.c\":
 * a.b is not an object"), CFG_EFAIL ("out of memory"). */
cfg_status jpath_set(cJSON *root, const char *path, const cJSON *value, char *why, size_t whylen);

#endif
