/* Reading one scenario file: typed, range-checked getters over cJSON that
 * name the file and the JSON path in every error, reject unknown keys, fill
 * defaults, and record (a) the resolved document and (b) every key path the
 * parser knows, so the README and the JSON Schema can be checked against it.
 *
 * Usage, inside a model's parser:
 *     cfg_obj o;
 *     if (!cfg_enter(parent, "backup", &o)) return false;
 *     b->full_period_s = cfg_duration(&o, "full_period_s", 86400, 60, 1e9, "period of full backups");
 *     ...
 *     return cfg_leave(&o);  // unknown keys are errors
 * After the first error every getter returns its default and does nothing:
 * parsers need not check each call, only the final status. */
#ifndef MODELS_CFG_H
#define MODELS_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#define CFG_INF 1e300
/* As a minimum: strictly positive ("must be > 0"). */
#define CFG_GT0                 1e-300
#define CFG_PATH_MAX            192
#define CFG_MAX_KEYS_PER_OBJECT 64

typedef struct cfg_doc {
    const char *file; /* for messages */
    char err[512];    /* first error: "FILE: PATH: reason" */
    bool failed;
    cJSON *resolved;   /* the document with defaults, built as we read */
    char **known_keys; /* normalised paths "a.b[].c" the parser asked for */
    size_t n_known, cap_known;
} cfg_doc;

typedef struct cfg_obj {
    cfg_doc *doc;
    const cJSON *json;           /* may be NULL: an absent section reads all defaults */
    cJSON *resolved;             /* node of doc->resolved for this object */
    char path[CFG_PATH_MAX];     /* "failover.detector" */
    char key_path[CFG_PATH_MAX]; /* "topology.regions[]" for the key registry */
    const char *used[CFG_MAX_KEYS_PER_OBJECT];
    size_t n_used;
} cfg_obj;

/* Parses text; on failure doc->err says where. The root object is *root. */
bool cfg_open(cfg_doc *doc, const char *file, const char *text, cJSON **json_out, cfg_obj *root);
void cfg_close(cfg_doc *doc, cJSON *json);

/* Records a formatted error at path.key unless one is already recorded. */
void cfg_fail(cfg_obj *o, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Nested object `key` (absent: an empty object, so defaults apply). */
bool cfg_enter(cfg_obj *parent, const char *key, cfg_obj *child);
/* Element i of array `key` (see cfg_array_size), which must be an object. */
bool cfg_enter_item(cfg_obj *parent, const char *key, size_t i, cfg_obj *child);
/* Number of elements of array `key`; 0 when absent; error when not an array
 * or when it has fewer than min_items. */
size_t cfg_array_size(cfg_obj *o, const char *key, size_t min_items, const char *doc);
/* Reports keys of o the parser did not ask for; returns !doc->failed. */
bool cfg_leave(cfg_obj *o);

double cfg_number(cfg_obj *o, const char *key, double def, double min, double max, const char *unit, const char *doc);
/* Like cfg_number, but also accepts strings "250ms", "30s", "15m", "2h", "30d", "1w". */
double cfg_duration(cfg_obj *o, const char *key, double def_s, double min_s, double max_s, const char *doc);
/* Accepts numbers and strings with SI/IEC suffixes: "100GB", "10MB", "1.5TiB". */
double cfg_bytes(cfg_obj *o, const char *key, double def, double min, double max, const char *doc);
/* Bandwidth in bytes/s; strings "10MB/s", "1Gbit/s", "100Mbps" accepted. */
double cfg_rate_bps(cfg_obj *o, const char *key, double def, double min, double max, const char *doc);
long cfg_int(cfg_obj *o, const char *key, long def, long min, long max, const char *doc);
bool cfg_bool(cfg_obj *o, const char *key, bool def, const char *doc);
/* Returns a pointer into the JSON (or def); valid until cfg_close. */
const char *cfg_string(cfg_obj *o, const char *key, const char *def, const char *doc);
/* One of names[] (NULL-terminated); returns its index. */
int cfg_enum(cfg_obj *o, const char *key, const char *const *names, int def, const char *doc);
/* True when `key` is present in the file (not a default). */
bool cfg_has(const cfg_obj *o, const char *key);

/* A list of numbers in [min, max] into out[0..max_items); returns the count. */
size_t cfg_number_list(cfg_obj *o, const char *key, double *out, size_t max_items, double min, double max,
                       const char *unit, const char *doc);
/* A list of times (numbers or duration strings) into out[0..max_items). */
size_t cfg_duration_list(cfg_obj *o, const char *key, double *out, size_t max_items, const char *doc);

/* A JSON Schema (draft 2020-12) for the keys in registry lines as
 * collected in cfg_doc.known_keys; free() the text. */
char *cfg_schema_json(char *const *keys, size_t n, const char *title);

/* Parses the duration grammar alone; false on bad text. */
bool cfg_parse_duration(const char *text, double *seconds);

#endif
