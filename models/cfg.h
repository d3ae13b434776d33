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

#include "util/fd_status.h"

#define CFG_INF 1e300
/* As a minimum: strictly positive ("must be > 0"). */
#define CFG_GT0                 1e-300
#define CFG_PATH_MAX            192
#define CFG_MAX_KEYS_PER_OBJECT 64
#define CFG_MAX_REQUIRED        8
/* The default column of a required key in the key registry. */
#define CFG_REQUIRED "(required)"

/* Limits of what the parsers read, in one place:
 * - input files (scenarios, sweeps, base files) are regular files of at most
 *   CFG_MAX_FILE_BYTES: the largest shipped scenario is about 10 KiB, and a
 *   device such as /dev/zero, a FIFO or a directory is refused by name
 *   instead of being read until memory runs out or blocking forever;
 * - JSON nests at most CFG_MAX_JSON_DEPTH objects and arrays (scenarios
 *   need 5, sweeps a few more for whole-object values); deeper text is
 *   "too deep" rather than a stack or parser limit;
 * - a positive duration is at least CFG_MIN_DURATION_S: the simulated clock
 *   counts whole nanoseconds (sim/engine/simtime.h), so a period below
 *   0.5 ns rounds to 0 and repeats at the same instant forever, and one of a
 *   few ns is off by tens of percent; 1 us keeps the rounding below 0.05 %. */
#define CFG_MAX_FILE_BYTES    (16u << 20)
#define CFG_MAX_JSON_DEPTH    64
#define CFG_MIN_DURATION_S    1e-6
#define CFG_MIN_DURATION_TEXT "1 us"

/* Why reading or parsing an input failed: the input is bad (the CLI exits
 * 2), or the work failed for lack of memory or an I/O error (exit 1). */
/* fd_status values (util/fd_status.h): CFG_EFAIL is memory running out. */
typedef enum cfg_status { CFG_OK = FD_OK, CFG_EINPUT = FD_EINPUT, CFG_EFAIL = FD_EFAIL } cfg_status;

/* Reads a whole input file (a regular file of at most CFG_MAX_FILE_BYTES,
 * without NUL bytes) into *text, NUL-terminated, malloc'ed. Never blocks
 * on a FIFO. On failure *text is NULL and err says "cannot read PATH:
 * reason". The one reader of scenario, sweep and base files. */
cfg_status cfg_read_file(const char *path, char **text, char *err, size_t errlen);

/* Parses JSON text as the scenario and sweep parsers accept it: at most
 * CFG_MAX_JSON_DEPTH levels, no duplicate key in any object (JSON parsers
 * disagree on which one wins). Errors "FILE: line L, column C: reason"
 * (syntax, "too deep") or "FILE: JSON.PATH: duplicate key"; CFG_EFAIL when
 * memory ran out. *json is NULL unless CFG_OK. */
cfg_status cfg_parse_json(const char *file, const char *text, cJSON **json, char *err, size_t errlen);

/* The candidate closest to key by edit distance (insertions, deletions,
 * substitutions, transpositions), when it is at most 2 and less than key's
 * length; NULL otherwise. For "did you mean" after an unknown key. */
const char *cfg_did_you_mean(const char *key, const char *const *candidates, size_t n);

typedef struct cfg_doc {
    const char *file; /* for messages */
    char err[1024];   /* first error: "FILE: PATH: reason" */
    bool failed;
    cJSON *resolved;   /* the document with defaults, built as we read */
    char **known_keys; /* normalised paths "a.b[].c" the parser asked for */
    size_t n_known, cap_known;
    bool out_of_memory; /* the failure was memory, not the input */
} cfg_doc;

typedef struct cfg_obj {
    cfg_doc *doc;
    const cJSON *json;           /* may be NULL: an absent section reads all defaults */
    cJSON *resolved;             /* node of doc->resolved for this object */
    char path[CFG_PATH_MAX];     /* "failover.detector" */
    char key_path[CFG_PATH_MAX]; /* "topology.regions[]" for the key registry */
    const char *used[CFG_MAX_KEYS_PER_OBJECT];
    size_t n_used;
    const char *required[CFG_MAX_REQUIRED]; /* see cfg_require */
    size_t n_required;
} cfg_obj;

/* Parses text (cfg_parse_json); on failure doc->err says where and
 * doc->out_of_memory whether memory ran out. The root object is *root. */
bool cfg_open(cfg_doc *doc, const char *file, const char *text, cJSON **json_out, cfg_obj *root);
void cfg_close(cfg_doc *doc, cJSON *json);

/* Records a formatted error at path.key unless one is already recorded
 * (key NULL: at path itself; "FILE: reason" when both are empty). key may
 * carry indices or more steps ("values[2]", "max.COLUMN"). The reason "out
 * of memory", exactly, marks the failure as one of memory
 * (doc->out_of_memory: the CLI exits 1), not of the input. */
void cfg_fail(cfg_obj *o, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Nested object `key` (absent: an empty object, so defaults apply). */
bool cfg_enter(cfg_obj *parent, const char *key, cfg_obj *child);
/* cfg_enter for an object worth its own line in the key registry (type
 * "object", with doc): a section of its own meaning, or a required one. */
bool cfg_section(cfg_obj *parent, const char *key, const char *doc, cfg_obj *child);
/* An item of array `key` that the file does not have: its getters register
 * their keys (as "key[].name") and read defaults, nothing else. For
 * parsers that document the keys of list items when a list is empty. */
void cfg_item_template(cfg_obj *parent, const char *key, cfg_obj *child);
/* Marks `key` of o as required: cfg_leave reports "KEY: is required" when o
 * is in the file and the key is not (after unknown keys, so a misspelt
 * required key gets its "did you mean"), and the registry shows
 * CFG_REQUIRED as its default. Call it before the key's getter. */
void cfg_require(cfg_obj *o, const char *key);
/* Element i of array `key` (see cfg_array_size), which must be an object. */
bool cfg_enter_item(cfg_obj *parent, const char *key, size_t i, cfg_obj *child);
/* Number of elements of array `key`; 0 when absent; error when not an array
 * or when it has fewer than min_items. */
size_t cfg_array_size(cfg_obj *o, const char *key, size_t min_items, const char *doc);
/* Reports keys of o the parser did not ask for, then missing required
 * keys; returns !doc->failed. */
bool cfg_leave(cfg_obj *o);

double cfg_number(cfg_obj *o, const char *key, double def, double min, double max, const char *unit, const char *doc);
/* Like cfg_number, but also accepts strings "250ms", "30s", "15m", "2h", "30d", "1w".
 * A positive value below CFG_MIN_DURATION_S is refused. */
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
/* Raw JSON of `key` (NULL when absent or on error), for values the caller
 * checks itself. type is the registry's: "any" (any value but null),
 * "array:any", "array:string", "array:number" (a list), "map:any",
 * "map:number" (an object with keys of the caller's choosing); the kinds of
 * a list's items and a map's values are checked ("values[2]: must be a
 * string"). Valid until cfg_close. */
const cJSON *cfg_json(cfg_obj *o, const char *key, const char *type, const char *doc);

/* A list of numbers in [min, max] into out[0..max_items); returns the count. */
size_t cfg_number_list(cfg_obj *o, const char *key, double *out, size_t max_items, double min, double max,
                       const char *unit, const char *doc);
/* A list of times (numbers or duration strings) into out[0..max_items). */
size_t cfg_duration_list(cfg_obj *o, const char *key, double *out, size_t max_items, const char *doc);

/* A JSON Schema (draft 2020-12) for the keys in registry lines as
 * collected in cfg_doc.known_keys (required keys listed in their object's
 * "required"); free() the text. */
char *cfg_schema_json(char *const *keys, size_t n, const char *title);

/* Frees registry lines (cfg_doc.known_keys when taken over). */
void cfg_free_keys(char **keys, size_t n);

/* Parses the duration grammar alone; false on bad text. */
bool cfg_parse_duration(const char *text, double *seconds);

#endif
