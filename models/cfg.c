#include "models/cfg.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void doc_fail_at(cfg_doc *doc, const char *path, const char *key, const char *fmt, va_list ap) {
    if (doc->failed) return;
    doc->failed = true;
    int n =
        snprintf(doc->err, sizeof doc->err, "%s: %s%s%s: ", doc->file, path, *path && key ? "." : "", key ? key : "");
    if (n < 0 || (size_t)n >= sizeof doc->err) return;
    vsnprintf(doc->err + n, sizeof doc->err - (size_t)n, fmt, ap);
}

void cfg_fail(cfg_obj *o, const char *key, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    doc_fail_at(o->doc, o->path, key, fmt, ap);
    va_end(ap);
}

/* Registry line "path\ttype\tunit\tdefault\tmin\tmax\tdoc", kept once per
 * path (see cfg_schema_json for the types). */
static void register_key(cfg_obj *o, const char *key, const char *type, const char *unit, const char *def, double min,
                         double max, const char *doc) {
    cfg_doc *d = o->doc;
    char line[768];
    snprintf(line, sizeof line, "%s%s%s\t%s\t%s\t%s\t%.17g\t%.17g\t%s", o->key_path, *o->key_path ? "." : "", key, type,
             unit ? unit : "", def ? def : "", min, max, doc ? doc : "");
    size_t plen = strcspn(line, "\t");
    for (size_t i = 0; i < d->n_known; i++)
        if (strncmp(d->known_keys[i], line, plen) == 0 && d->known_keys[i][plen] == '\t') return;
    if (d->n_known == d->cap_known) {
        size_t cap = d->cap_known ? 2 * d->cap_known : 64;
        char **grown = realloc(d->known_keys, cap * sizeof *grown);
        if (!grown) return;
        d->known_keys = grown;
        d->cap_known = cap;
    }
    char *copy = strdup(line);
    if (copy) d->known_keys[d->n_known++] = copy;
}

static void mark_used(cfg_obj *o, const char *key) {
    if (o->n_used < CFG_MAX_KEYS_PER_OBJECT) o->used[o->n_used++] = key;
}

static void init_obj(cfg_obj *o, cfg_doc *doc, const cJSON *json, cJSON *resolved, const char *path,
                     const char *key_path) {
    memset(o, 0, sizeof *o);
    o->doc = doc;
    o->json = json;
    o->resolved = resolved;
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->key_path, sizeof o->key_path, "%s", key_path);
}

bool cfg_open(cfg_doc *doc, const char *file, const char *text, cJSON **json_out, cfg_obj *root) {
    memset(doc, 0, sizeof *doc);
    doc->file = file;
    *json_out = NULL;
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithOpts(text, &end, true);
    if (!json) {
        /* Report line and column of the parse error, as editors show them. */
        size_t line = 1, col = 1;
        for (const char *p = text; end && p < end && *p; p++) {
            if (*p == '\n')
                line++, col = 1;
            else
                col++;
        }
        snprintf(doc->err, sizeof doc->err, "%s: line %zu, column %zu: not valid JSON", file, line, col);
        doc->failed = true;
        return false;
    }
    doc->resolved = cJSON_CreateObject();
    *json_out = json;
    init_obj(root, doc, json, doc->resolved, "", "");
    if (!cJSON_IsObject(json)) {
        snprintf(doc->err, sizeof doc->err, "%s: the top level must be a JSON object", file);
        doc->failed = true;
        return false;
    }
    return true;
}

void cfg_close(cfg_doc *doc, cJSON *json) {
    cJSON_Delete(json);
    cJSON_Delete(doc->resolved);
    for (size_t i = 0; i < doc->n_known; i++) free(doc->known_keys[i]);
    free(doc->known_keys);
    memset(doc, 0, sizeof *doc);
}

static const cJSON *lookup(cfg_obj *o, const char *key) {
    mark_used(o, key);
    return o->json ? cJSON_GetObjectItemCaseSensitive(o->json, key) : NULL;
}

bool cfg_has(const cfg_obj *o, const char *key) {
    return o->json && cJSON_GetObjectItemCaseSensitive(o->json, key) != NULL;
}

static void child_path(char *out, size_t len, const char *base, const char *key) {
    /* Paths longer than CFG_PATH_MAX are cut; they only appear in messages. */
    if (snprintf(out, len, "%s%s%s", base, *base ? "." : "", key) >= (int)len) out[len - 1] = '\0';
}

bool cfg_enter(cfg_obj *parent, const char *key, cfg_obj *child) {
    const cJSON *j = lookup(parent, key);
    char path[CFG_PATH_MAX], kpath[CFG_PATH_MAX];
    child_path(path, sizeof path, parent->path, key);
    child_path(kpath, sizeof kpath, parent->key_path, key);
    cJSON *res = NULL;
    if (parent->resolved) {
        res = cJSON_CreateObject();
        cJSON_AddItemToObject(parent->resolved, key, res);
    }
    init_obj(child, parent->doc, NULL, res, path, kpath);
    if (j && !cJSON_IsObject(j)) {
        cfg_fail(parent, key, "must be an object");
        return false;
    }
    child->json = j;
    return !parent->doc->failed;
}

size_t cfg_array_size(cfg_obj *o, const char *key, size_t min_items, const char *doc) {
    const cJSON *j = lookup(o, key);
    register_key(o, key, "array", "", "", -CFG_INF, CFG_INF, doc);
    if (!j) {
        if (min_items) cfg_fail(o, key, "is required: a list of at least %zu item(s)", min_items);
        return 0;
    }
    if (!cJSON_IsArray(j)) {
        cfg_fail(o, key, "must be a list");
        return 0;
    }
    size_t n = (size_t)cJSON_GetArraySize(j);
    if (n < min_items) cfg_fail(o, key, "needs at least %zu item(s), got %zu", min_items, n);
    if (o->resolved && !cJSON_GetObjectItemCaseSensitive(o->resolved, key))
        cJSON_AddItemToObject(o->resolved, key, cJSON_CreateArray());
    return o->doc->failed ? 0 : n;
}

bool cfg_enter_item(cfg_obj *parent, const char *key, size_t i, cfg_obj *child) {
    const cJSON *arr = parent->json ? cJSON_GetObjectItemCaseSensitive(parent->json, key) : NULL;
    const cJSON *j = arr ? cJSON_GetArrayItem(arr, (int)i) : NULL;
    char path[CFG_PATH_MAX], kpath[CFG_PATH_MAX], item[CFG_PATH_MAX + 24];
    if (snprintf(item, sizeof item, "%s[%zu]", key, i) >= (int)sizeof item) item[sizeof item - 1] = '\0';
    child_path(path, sizeof path, parent->path, item);
    snprintf(item, sizeof item, "%s[]", key);
    child_path(kpath, sizeof kpath, parent->key_path, item);
    cJSON *res = NULL;
    cJSON *res_arr = parent->resolved ? cJSON_GetObjectItemCaseSensitive(parent->resolved, key) : NULL;
    if (res_arr) {
        res = cJSON_CreateObject();
        cJSON_AddItemToArray(res_arr, res);
    }
    init_obj(child, parent->doc, NULL, res, path, kpath);
    if (!j || !cJSON_IsObject(j)) {
        cfg_fail(parent, item, "must be an object");
        return false;
    }
    child->json = j;
    return !parent->doc->failed;
}

bool cfg_leave(cfg_obj *o) {
    if (o->doc->failed || !o->json) return !o->doc->failed;
    const cJSON *item;
    cJSON_ArrayForEach(item, o->json) {
        bool known = false;
        for (size_t i = 0; i < o->n_used && !known; i++) known = strcmp(o->used[i], item->string) == 0;
        /* Keys starting with '_' are comments, as in many JSON configs. */
        if (!known && item->string[0] != '_') {
            cfg_fail(o, item->string, "unknown key");
            break;
        }
    }
    return !o->doc->failed;
}

static void resolve_number(cfg_obj *o, const char *key, double v) {
    if (o->resolved && !o->doc->failed) cJSON_AddNumberToObject(o->resolved, key, v);
}

static const char *fmt_num(char *buf, size_t len, double v) {
    if (isinf(v) || fabs(v) >= CFG_INF)
        snprintf(buf, len, "inf");
    else
        snprintf(buf, len, "%g", v);
    return buf;
}

static double check_range(cfg_obj *o, const char *key, double v, double def, double min, double max, const char *unit) {
    if (!(v >= min && v <= max)) {
        char lo[32], hi[32];
        if (min == CFG_GT0 && !(v > 0))
            cfg_fail(o, key, "must be > 0, got %g", v);
        else if (min > -CFG_INF && max < CFG_INF)
            cfg_fail(o, key, "must be in [%s, %s]%s%s, got %g", fmt_num(lo, sizeof lo, min),
                     fmt_num(hi, sizeof hi, max), unit && *unit ? " " : "", unit ? unit : "", v);
        else if (min == CFG_GT0)
            cfg_fail(o, key, "must be > 0, got %g", v);
        else if (min > -CFG_INF)
            cfg_fail(o, key, "must be >= %s, got %g", fmt_num(lo, sizeof lo, min), v);
        else
            cfg_fail(o, key, "must be <= %s, got %g", fmt_num(hi, sizeof hi, max), v);
        return def;
    }
    return v;
}

/* A number, or a string that `parse` turns into one. */
static double read_quantity(cfg_obj *o, const char *key, double def, double min, double max, const char *unit,
                            const char *doc, bool (*parse)(const char *, double *), const char *what,
                            const char *type) {
    char defbuf[32];
    register_key(o, key, type, unit, fmt_num(defbuf, sizeof defbuf, def), min, max, doc);
    const cJSON *j = lookup(o, key);
    if (o->doc->failed) return def;
    double v = def;
    if (j) {
        if (cJSON_IsNumber(j))
            v = j->valuedouble;
        else if (cJSON_IsString(j) && parse) {
            if (!parse(j->valuestring, &v)) {
                cfg_fail(o, key, "expected %s, got \"%s\"", what, j->valuestring);
                return def;
            }
        } else {
            cfg_fail(o, key, "expected %s, got %s", what,
                     cJSON_IsString(j) ? "a string"
                     : cJSON_IsBool(j) ? "a boolean"
                                       : "a non-number");
            return def;
        }
        v = check_range(o, key, v, def, min, max, unit);
    }
    resolve_number(o, key, v);
    return v;
}

double cfg_number(cfg_obj *o, const char *key, double def, double min, double max, const char *unit, const char *doc) {
    return read_quantity(o, key, def, min, max, unit, doc, NULL, "a number", "number");
}

/* Splits "12.5xyz" into 12.5 and "xyz" (leading spaces allowed before the unit). */
static bool split_number(const char *text, double *v, const char **suffix) {
    char *end;
    *v = strtod(text, &end);
    if (end == text || !isfinite(*v)) return false;
    while (isspace((unsigned char)*end)) end++;
    *suffix = end;
    return true;
}

/* A number followed by one of the units (the empty suffix is not one). */
typedef struct unit_scale {
    const char *unit;
    double scale;
} unit_scale;

static bool parse_with_units(const char *text, const unit_scale *units, size_t n_units, double *out) {
    double v;
    const char *suffix;
    if (!split_number(text, &v, &suffix)) return false;
    for (size_t i = 0; i < n_units; i++)
        if (strcmp(suffix, units[i].unit) == 0) {
            *out = v * units[i].scale;
            return true;
        }
    return false;
}

bool cfg_parse_duration(const char *text, double *seconds) {
    static const unit_scale units[] = {
        {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1},      {"m", 60},
        {"min", 60},  {"h", 3600},  {"d", 86400}, {"w", 604800},
    };
    return parse_with_units(text, units, sizeof units / sizeof units[0], seconds);
}

static bool parse_bytes(const char *text, double *bytes) {
    static const unit_scale units[] = {
        {"B", 1},
        {"kB", 1e3},
        {"KB", 1e3},
        {"MB", 1e6},
        {"GB", 1e9},
        {"TB", 1e12},
        {"PB", 1e15},
        {"KiB", 1024.0},
        {"MiB", 1048576.0},
        {"GiB", 1073741824.0},
        {"TiB", 1099511627776.0},
    };
    return parse_with_units(text, units, sizeof units / sizeof units[0], bytes);
}

/* Bits per second ("1Gbit/s", "100Mbps") or a size per second ("10MB/s"). */
static bool parse_rate(const char *text, double *bps) {
    static const unit_scale bits[] = {
        {"bps", 1 / 8.0},    {"kbps", 1e3 / 8},   {"Mbps", 1e6 / 8},   {"Gbps", 1e9 / 8},    {"bit/s", 1 / 8.0},
        {"kbit/s", 1e3 / 8}, {"Mbit/s", 1e6 / 8}, {"Gbit/s", 1e9 / 8}, {"Tbit/s", 1e12 / 8},
    };
    if (parse_with_units(text, bits, sizeof bits / sizeof bits[0], bps)) return true;
    size_t n = strlen(text);
    char size[64];
    if (n <= 2 || n - 2 >= sizeof size || strcmp(text + n - 2, "/s") != 0) return false;
    memcpy(size, text, n - 2);
    size[n - 2] = '\0';
    return parse_bytes(size, bps);
}

double cfg_duration(cfg_obj *o, const char *key, double def_s, double min_s, double max_s, const char *doc) {
    return read_quantity(o, key, def_s, min_s, max_s, "s", doc, cfg_parse_duration,
                         "a duration (seconds, or a string like \"15m\", \"2h\", \"30d\")", "duration");
}

double cfg_bytes(cfg_obj *o, const char *key, double def, double min, double max, const char *doc) {
    return read_quantity(o, key, def, min, max, "bytes", doc, parse_bytes,
                         "a size (bytes, or a string like \"100GB\", \"512MiB\")", "bytes");
}

double cfg_rate_bps(cfg_obj *o, const char *key, double def, double min, double max, const char *doc) {
    return read_quantity(o, key, def, min, max, "bytes/s", doc, parse_rate,
                         "a bandwidth (bytes/s, or a string like \"10MB/s\", \"1Gbit/s\")", "rate");
}

long cfg_int(cfg_obj *o, const char *key, long def, long min, long max, const char *doc) {
    char defbuf[32];
    snprintf(defbuf, sizeof defbuf, "%ld", def);
    register_key(o, key, "integer", "", defbuf, (double)min, (double)max, doc);
    const cJSON *j = lookup(o, key);
    if (o->doc->failed) return def;
    long v = def;
    if (j) {
        if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble)) {
            cfg_fail(o, key, "expected an integer");
            return def;
        }
        if (j->valuedouble < (double)min || j->valuedouble > (double)max) {
            cfg_fail(o, key, "must be in [%ld, %ld], got %g", min, max, j->valuedouble);
            return def;
        }
        v = (long)j->valuedouble;
    }
    resolve_number(o, key, (double)v);
    return v;
}

bool cfg_bool(cfg_obj *o, const char *key, bool def, const char *doc) {
    register_key(o, key, "boolean", "", def ? "true" : "false", -CFG_INF, CFG_INF, doc);
    const cJSON *j = lookup(o, key);
    if (o->doc->failed) return def;
    bool v = def;
    if (j) {
        if (!cJSON_IsBool(j)) {
            cfg_fail(o, key, "expected true or false");
            return def;
        }
        v = cJSON_IsTrue(j);
    }
    if (o->resolved) cJSON_AddBoolToObject(o->resolved, key, v);
    return v;
}

const char *cfg_string(cfg_obj *o, const char *key, const char *def, const char *doc) {
    register_key(o, key, "string", "", def ? def : "", -CFG_INF, CFG_INF, doc);
    const cJSON *j = lookup(o, key);
    if (o->doc->failed) return def;
    const char *v = def;
    if (j) {
        if (!cJSON_IsString(j)) {
            cfg_fail(o, key, "expected a string");
            return def;
        }
        v = j->valuestring;
    }
    if (o->resolved && v) cJSON_AddStringToObject(o->resolved, key, v);
    return v;
}

int cfg_enum(cfg_obj *o, const char *key, const char *const *names, int def, const char *doc) {
    char choices[256] = "";
    for (size_t i = 0; names[i]; i++) {
        size_t len = strlen(choices);
        snprintf(choices + len, sizeof choices - len, "%s%s", i ? "|" : "", names[i]);
    }
    char type[300];
    snprintf(type, sizeof type, "enum:%s", choices);
    register_key(o, key, type, "", names[def], -CFG_INF, CFG_INF, doc);
    const cJSON *j = lookup(o, key);
    if (o->doc->failed) return def;
    int v = def;
    if (j) {
        v = -1;
        if (cJSON_IsString(j))
            for (int i = 0; names[i]; i++)
                if (strcmp(names[i], j->valuestring) == 0) v = i;
        if (v < 0) {
            cfg_fail(o, key, "must be one of %s, got %s%s%s", choices, cJSON_IsString(j) ? "\"" : "",
                     cJSON_IsString(j) ? j->valuestring : "a non-string", cJSON_IsString(j) ? "\"" : "");
            return def;
        }
    }
    if (o->resolved) cJSON_AddStringToObject(o->resolved, key, names[v]);
    return v;
}

/* A list of numbers in [min, max]; strings go through `parse` (NULL: none
 * accepted). `what` names an item in messages. */
static size_t read_list(cfg_obj *o, const char *key, double *out, size_t max_items, double min, double max,
                        bool (*parse)(const char *, double *), const char *what) {
    const cJSON *j = lookup(o, key);
    if (o->doc->failed || !j) return 0;
    if (!cJSON_IsArray(j)) {
        cfg_fail(o, key, "must be a list");
        return 0;
    }
    size_t n = (size_t)cJSON_GetArraySize(j);
    if (n > max_items) {
        cfg_fail(o, key, "at most %zu items, got %zu", max_items, n);
        return 0;
    }
    cJSON *res = o->resolved ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < n; i++) {
        const cJSON *t = cJSON_GetArrayItem(j, (int)i);
        double v = NAN;
        if (cJSON_IsNumber(t))
            v = t->valuedouble;
        else if (parse && cJSON_IsString(t) && !parse(t->valuestring, &v))
            v = NAN;
        if (!(v >= min && v <= max) || !isfinite(v)) {
            char item[CFG_PATH_MAX], lo[32], hi[32];
            snprintf(item, sizeof item, "%s[%zu]", key, i);
            cfg_fail(o, item, "must be %s in [%s, %s]", what, fmt_num(lo, sizeof lo, min), fmt_num(hi, sizeof hi, max));
            cJSON_Delete(res);
            return 0;
        }
        out[i] = v;
        if (res) cJSON_AddItemToArray(res, cJSON_CreateNumber(v));
    }
    if (res) cJSON_AddItemToObject(o->resolved, key, res);
    return n;
}

size_t cfg_number_list(cfg_obj *o, const char *key, double *out, size_t max_items, double min, double max,
                       const char *unit, const char *doc) {
    register_key(o, key, "array:number", unit, "[]", min, max, doc);
    return read_list(o, key, out, max_items, min, max, NULL, "a number");
}

size_t cfg_duration_list(cfg_obj *o, const char *key, double *out, size_t max_items, const char *doc) {
    register_key(o, key, "array:duration", "s", "[]", 0, CFG_INF, doc);
    return read_list(o, key, out, max_items, 0, CFG_INF, cfg_parse_duration,
                     "a time (seconds, or a string like \"15m\")");
}

/* ---- JSON Schema from the key registry -------------------------------------- */
static cJSON *object_schema(void) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "object");
    cJSON_AddItemToObject(o, "properties", cJSON_CreateObject());
    cJSON *pat = cJSON_AddObjectToObject(o, "patternProperties");
    cJSON_AddItemToObject(pat, "^_", cJSON_CreateObject()); /* comments */
    cJSON_AddFalseToObject(o, "additionalProperties");
    return o;
}

static void add_range(cJSON *s, double min, double max) {
    if (min == CFG_GT0)
        cJSON_AddNumberToObject(s, "exclusiveMinimum", 0);
    else if (min > -CFG_INF)
        cJSON_AddNumberToObject(s, "minimum", min);
    if (max < CFG_INF) cJSON_AddNumberToObject(s, "maximum", max);
}

/* A number in the range, or a string with a unit suffix. */
static cJSON *quantity_schema(double min, double max, const char *pattern) {
    cJSON *num = cJSON_CreateObject();
    cJSON_AddStringToObject(num, "type", "number");
    add_range(num, min, max);
    if (!pattern) return num;
    cJSON *str = cJSON_CreateObject();
    cJSON_AddStringToObject(str, "type", "string");
    cJSON_AddStringToObject(str, "pattern", pattern);
    cJSON *s = cJSON_CreateObject();
    cJSON *any = cJSON_AddArrayToObject(s, "anyOf");
    cJSON_AddItemToArray(any, num);
    cJSON_AddItemToArray(any, str);
    return s;
}

#define NUM_RE "^[0-9.]+([eE][-+]?[0-9]+)? ?"
static const char duration_re[] = NUM_RE "(ns|us|ms|s|m|min|h|d|w)$";
static const char bytes_re[] = NUM_RE "(B|kB|KB|MB|GB|TB|PB|KiB|MiB|GiB|TiB)$";
static const char rate_re[] =
    NUM_RE "((bps|kbps|Mbps|Gbps)|(bit|kbit|Mbit|Gbit|Tbit)/s|(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)/s)$";

static cJSON *leaf_schema(const char *type, double min, double max) {
    if (strcmp(type, "duration") == 0) return quantity_schema(min, max, duration_re);
    if (strcmp(type, "bytes") == 0) return quantity_schema(min, max, bytes_re);
    if (strcmp(type, "rate") == 0) return quantity_schema(min, max, rate_re);
    if (strcmp(type, "number") == 0) return quantity_schema(min, max, NULL);
    cJSON *s = cJSON_CreateObject();
    if (strcmp(type, "integer") == 0) {
        cJSON_AddStringToObject(s, "type", "integer");
        add_range(s, min, max);
    } else if (strcmp(type, "boolean") == 0 || strcmp(type, "string") == 0) {
        cJSON_AddStringToObject(s, "type", type);
    } else if (strncmp(type, "enum:", 5) == 0) {
        cJSON *e = cJSON_AddArrayToObject(s, "enum");
        char buf[300];
        snprintf(buf, sizeof buf, "%s", type + 5);
        for (char *save = NULL, *tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save))
            cJSON_AddItemToArray(e, cJSON_CreateString(tok));
    } else if (strcmp(type, "array:number") == 0) {
        cJSON_AddStringToObject(s, "type", "array");
        cJSON_AddItemToObject(s, "items", quantity_schema(min, max, NULL));
    } else if (strcmp(type, "array:duration") == 0) {
        cJSON_AddStringToObject(s, "type", "array");
        cJSON_AddItemToObject(s, "items", quantity_schema(0, CFG_INF, duration_re));
    } else if (strcmp(type, "array") == 0) {
        cJSON_AddStringToObject(s, "type", "array");
        cJSON_AddItemToObject(s, "items", object_schema());
    }
    return s;
}

/* The object schema that holds property `name` under path prefix segments. */
static cJSON *descend(cJSON *obj, const char *segment) {
    size_t len = strlen(segment);
    bool item = len > 2 && strcmp(segment + len - 2, "[]") == 0;
    char name[CFG_PATH_MAX];
    snprintf(name, sizeof name, "%.*s", (int)(item ? len - 2 : len), segment);
    cJSON *props = cJSON_GetObjectItemCaseSensitive(obj, "properties");
    cJSON *child = cJSON_GetObjectItemCaseSensitive(props, name);
    if (!child) {
        child = item ? leaf_schema("array", 0, 0) : object_schema();
        cJSON_AddItemToObject(props, name, child);
    }
    return item ? cJSON_GetObjectItemCaseSensitive(child, "items") : child;
}

char *cfg_schema_json(char *const *keys, size_t n, const char *title) {
    cJSON *root = object_schema();
    cJSON_AddStringToObject(root, "$schema", "https://json-schema.org/draft/2020-12/schema");
    cJSON_AddStringToObject(root, "title", title);
    for (size_t i = 0; i < n; i++) {
        char line[768];
        snprintf(line, sizeof line, "%s", keys[i]);
        char *field[7] = {0};
        char *save = NULL, *p = line;
        for (int f = 0; f < 7; f++) {
            field[f] = p;
            char *tab = p ? strchr(p, '\t') : NULL;
            if (tab)
                *tab = '\0', p = tab + 1;
            else
                p = NULL;
        }
        (void)save;
        if (!field[6]) continue;
        /* walk to the parent object, then add the leaf */
        cJSON *obj = root;
        char *path = field[0], *dot;
        while ((dot = strchr(path, '.'))) {
            *dot = '\0';
            obj = descend(obj, path);
            path = dot + 1;
        }
        cJSON *props = cJSON_GetObjectItemCaseSensitive(obj, "properties");
        if (cJSON_GetObjectItemCaseSensitive(props, path)) {
            if (strcmp(field[1], "array") == 0) continue; /* already created as a parent */
            cJSON_DeleteItemFromObjectCaseSensitive(props, path);
        }
        cJSON *leaf = leaf_schema(field[1], strtod(field[4], NULL), strtod(field[5], NULL));
        cJSON_AddStringToObject(leaf, "description", field[6]);
        if (*field[2]) cJSON_AddStringToObject(leaf, "x-unit", field[2]);
        if (*field[3] && strcmp(field[1], "array") != 0) cJSON_AddStringToObject(leaf, "x-default", field[3]);
        cJSON_AddItemToObject(props, path, leaf);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}
