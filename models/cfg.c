#include "models/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fd_status.h"

/* ---- reading input files ------------------------------------------------------ */

static const char *file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

cfg_status cfg_read_file(const char *path, char **text, char *err, size_t errlen) {
    *text = NULL;
    /* O_NONBLOCK: opening a FIFO without a writer returns at once (and is
     * refused below) instead of waiting for one. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return CFG_EINPUT;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        close(fd);
        return CFG_EFAIL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "cannot read %s: it is %s, not a regular file", path, file_kind(st.st_mode));
        close(fd);
        return CFG_EINPUT;
    }
    if (st.st_size > (off_t)CFG_MAX_FILE_BYTES) {
        snprintf(err, errlen, "cannot read %s: %lld bytes is larger than the limit of input files (%u MiB)", path,
                 (long long)st.st_size, CFG_MAX_FILE_BYTES >> 20);
        close(fd);
        return CFG_EINPUT;
    }
    /* One byte more than the limit: a file that grows while we read is
     * caught too. */
    size_t cap = (size_t)st.st_size + 1, len = 0;
    if (cap > CFG_MAX_FILE_BYTES + 1u) cap = CFG_MAX_FILE_BYTES + 1u;
    char *buf = malloc(cap + 1);
    if (!buf) {
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        close(fd);
        return CFG_EFAIL;
    }
    for (;;) {
        if (len == cap) {
            if (cap > CFG_MAX_FILE_BYTES) break;
            size_t grown_cap = cap * 2 > CFG_MAX_FILE_BYTES + 1u ? CFG_MAX_FILE_BYTES + 1u : cap * 2;
            char *grown = realloc(buf, grown_cap + 1);
            if (!grown) {
                free(buf);
                snprintf(err, errlen, "cannot read %s: out of memory", path);
                close(fd);
                return CFG_EFAIL;
            }
            buf = grown;
            cap = grown_cap;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return CFG_EFAIL;
        }
        if (got == 0) break;
        len += (size_t)got;
    }
    close(fd);
    if (len > CFG_MAX_FILE_BYTES) {
        snprintf(err, errlen, "cannot read %s: larger than the limit of input files (%u MiB)", path,
                 CFG_MAX_FILE_BYTES >> 20);
        free(buf);
        return CFG_EINPUT;
    }
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        snprintf(err, errlen, "cannot read %s: a NUL byte at offset %zu: not a JSON text", path, (size_t)(nul - buf));
        free(buf);
        return CFG_EINPUT;
    }
    buf[len] = '\0';
    *text = buf;
    return CFG_OK;
}

/* ---- JSON syntax, depth and duplicate keys --------------------------------------- */

/* A syntax check that allocates nothing, at least as strict as cJSON (so
 * that cJSON failing on text it passed means memory ran out): RFC 8259
 * values, numbers of at most 63 characters (cJSON's buffer), \u escapes of
 * four hex digits with surrogates paired, whitespace as cJSON skips it (any
 * byte 1..32), a UTF-8 byte order mark at the start. */
typedef struct jscan {
    const unsigned char *p;
    int depth;
    bool too_deep;
} jscan;

static void js_ws(jscan *s) {
    while (*s->p && *s->p <= 32) s->p++;
}

static bool js_hex4(const unsigned char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        v = v * 16 + (unsigned)d;
    }
    *out = v;
    return true;
}

static bool js_string(jscan *s) {
    if (*s->p != '"') return false;
    s->p++;
    for (;;) {
        unsigned char c = *s->p;
        if (c == '\0') return false;
        if (c == '"') {
            s->p++;
            return true;
        }
        if (c != '\\') {
            s->p++;
            continue;
        }
        c = s->p[1];
        if (strchr("bfnrt\"\\/", c) && c) {
            s->p += 2;
            continue;
        }
        unsigned code;
        if (c != 'u' || !js_hex4(s->p + 2, &code) || (code >= 0xDC00 && code <= 0xDFFF)) return false;
        s->p += 6;
        if (code >= 0xD800 && code <= 0xDBFF) {
            unsigned low;
            if (s->p[0] != '\\' || s->p[1] != 'u' || !js_hex4(s->p + 2, &low) || low < 0xDC00 || low > 0xDFFF)
                return false;
            s->p += 6;
        }
    }
}

static bool js_number(jscan *s) {
    const unsigned char *start = s->p;
    if (*s->p == '-') s->p++;
    if (*s->p == '0')
        s->p++;
    else if (*s->p >= '1' && *s->p <= '9')
        while (isdigit(*s->p)) s->p++;
    else
        return false;
    if (*s->p == '.') {
        s->p++;
        if (!isdigit(*s->p)) return false;
        while (isdigit(*s->p)) s->p++;
    }
    if (*s->p == 'e' || *s->p == 'E') {
        s->p++;
        if (*s->p == '+' || *s->p == '-') s->p++;
        if (!isdigit(*s->p)) return false;
        while (isdigit(*s->p)) s->p++;
    }
    if (s->p - start > 63) {
        s->p = start;
        return false;
    }
    return true;
}

static bool js_value(jscan *s);

static bool js_container(jscan *s, bool object) {
    if (++s->depth > CFG_MAX_JSON_DEPTH) {
        s->too_deep = true;
        return false;
    }
    s->p++;
    js_ws(s);
    unsigned char close = object ? '}' : ']';
    if (*s->p == close) {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        js_ws(s);
        if (object) {
            if (!js_string(s)) return false;
            js_ws(s);
            if (*s->p != ':') return false;
            s->p++;
            js_ws(s);
        }
        if (!js_value(s)) return false;
        js_ws(s);
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p != close) return false;
        s->p++;
        s->depth--;
        return true;
    }
}

static bool js_value(jscan *s) {
    switch (*s->p) {
    case '{': return js_container(s, true);
    case '[': return js_container(s, false);
    case '"': return js_string(s);
    case 't':
        if (strncmp((const char *)s->p, "true", 4) != 0) return false;
        s->p += 4;
        return true;
    case 'f':
        if (strncmp((const char *)s->p, "false", 5) != 0) return false;
        s->p += 5;
        return true;
    case 'n':
        if (strncmp((const char *)s->p, "null", 4) != 0) return false;
        s->p += 4;
        return true;
    default: return js_number(s);
    }
}

static void line_col(const char *text, const char *at, size_t *line, size_t *col) {
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at && *p; p++) {
        if (*p == '\n')
            ++*line, *col = 1;
        else
            ++*col;
    }
}

/* Appends "[i]" or ".key" (or "key" at the top) to path, cut to fit. */
static void path_push(char *path, size_t size, const char *key, int index) {
    size_t len = strlen(path);
    if (len + 1 >= size) return;
    if (key)
        snprintf(path + len, size - len, "%s%s", len ? "." : "", key);
    else
        snprintf(path + len, size - len, "[%d]", index);
}

static int key_cmp(const void *a, const void *b) {
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    int c = strcmp(x->string, y->string);
    return c ? c : (x < y ? -1 : x > y);
}

/* The first duplicate key under node (depth-first), its path in path;
 * CFG_EFAIL when memory ran out. */
static cfg_status find_duplicate(const cJSON *node, char *path, size_t size, bool *found) {
    size_t n = 0;
    for (const cJSON *c = node->child; c; c = c->next) n++;
    if (cJSON_IsObject(node) && n > 1) {
        const cJSON *small[32];
        const cJSON **v = n <= 32 ? small : malloc(n * sizeof *v);
        if (!v) return CFG_EFAIL;
        size_t i = 0;
        for (const cJSON *c = node->child; c; c = c->next) v[i++] = c;
        qsort(v, n, sizeof *v, key_cmp);
        const char *dup = NULL;
        for (i = 1; i < n && !dup; i++)
            if (strcmp(v[i - 1]->string, v[i]->string) == 0) dup = v[i]->string;
        if (v != small) free(v);
        if (dup) {
            path_push(path, size, dup, 0);
            *found = true;
            return CFG_OK;
        }
    }
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) return CFG_OK;
    size_t len = strlen(path);
    int index = 0;
    for (const cJSON *c = node->child; c; c = c->next, index++) {
        path_push(path, size, cJSON_IsObject(node) ? c->string : NULL, index);
        cfg_status st = find_duplicate(c, path, size, found);
        if (st != CFG_OK || *found) return st;
        path[len] = '\0';
    }
    return CFG_OK;
}

cfg_status cfg_parse_json(const char *file, const char *text, cJSON **json, char *err, size_t errlen) {
    *json = NULL;
    jscan s = {(const unsigned char *)text, 0, false};
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0) s.p += 3;
    js_ws(&s);
    bool ok = js_value(&s);
    if (ok) {
        js_ws(&s);
        ok = *s.p == '\0';
    }
    if (!ok) {
        size_t line, col;
        line_col(text, (const char *)s.p, &line, &col);
        if (s.too_deep)
            snprintf(err, errlen, "%s: line %zu, column %zu: too deep: objects and arrays nest at most %d levels", file,
                     line, col, CFG_MAX_JSON_DEPTH);
        else
            snprintf(err, errlen, "%s: line %zu, column %zu: not valid JSON", file, line, col);
        return CFG_EINPUT;
    }
    cJSON *j = cJSON_ParseWithOpts(text, NULL, true);
    if (!j) {
        snprintf(err, errlen, "%s: out of memory parsing the JSON", file);
        return CFG_EFAIL;
    }
    char path[CFG_PATH_MAX] = "";
    bool found = false;
    if (find_duplicate(j, path, sizeof path, &found) != CFG_OK) {
        cJSON_Delete(j);
        snprintf(err, errlen, "%s: out of memory parsing the JSON", file);
        return CFG_EFAIL;
    }
    if (found) {
        cJSON_Delete(j);
        snprintf(err, errlen, "%s: %s: duplicate key (give each key once: JSON readers disagree on which one wins)",
                 file, path);
        return CFG_EINPUT;
    }
    *json = j;
    return CFG_OK;
}

/* ---- "did you mean" ------------------------------------------------------------------- */

/* Optimal string alignment distance, capped: keys longer than 63 bytes are
 * never close to anything. */
static int edit_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 63 || m > 63) return 99;
    int d[64][64];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

const char *cfg_did_you_mean(const char *key, const char *const *candidates, size_t n) {
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < n; i++) {
        if (!candidates[i] || strcmp(candidates[i], key) == 0) continue;
        int d = edit_distance(key, candidates[i]);
        if (d < best_d) best_d = d, best = candidates[i];
    }
    return best && (size_t)best_d < strlen(key) ? best : NULL;
}

/* ---- the scenario document --------------------------------------------------------- */

static void doc_fail_at(cfg_doc *doc, const char *path, const char *key, const char *fmt, va_list ap) {
    if (doc->failed) return;
    doc->failed = true;
    doc->out_of_memory = strcmp(fmt, "out of memory") == 0;
    bool has_key = key && *key;
    /* An index joins its parent without a dot: "values" + "[2]". */
    const char *dot = *path && has_key && key[0] != '[' ? "." : "";
    char where[CFG_PATH_MAX + 128];
    snprintf(where, sizeof where, "%s%s%s", path, dot, has_key ? key : "");
    fd_verrf_at(doc->err, sizeof doc->err, CFG_EINPUT, doc->file, where, fmt, ap);
}

void cfg_fail(cfg_obj *o, const char *key, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    doc_fail_at(o->doc, o->path, key, fmt, ap);
    va_end(ap);
}

static bool is_required(const cfg_obj *o, const char *key) {
    for (size_t i = 0; i < o->n_required; i++)
        if (strcmp(o->required[i], key) == 0) return true;
    return false;
}

/* Registry line "path\ttype\tunit\tdefault\tmin\tmax\tdoc", kept once per
 * path (see cfg_schema_json for the types); CFG_REQUIRED as the default of
 * a required key. */
static void register_key(cfg_obj *o, const char *key, const char *type, const char *unit, const char *def, double min,
                         double max, const char *doc) {
    cfg_doc *d = o->doc;
    char line[768];
    if (is_required(o, key)) def = CFG_REQUIRED;
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
    cJSON *json = NULL;
    cfg_status st = cfg_parse_json(file, text, &json, doc->err, sizeof doc->err);
    if (st != CFG_OK) {
        doc->failed = true;
        doc->out_of_memory = st == CFG_EFAIL;
        return false;
    }
    doc->resolved = cJSON_CreateObject();
    *json_out = json;
    init_obj(root, doc, json, doc->resolved, "", "");
    if (!doc->resolved) {
        snprintf(doc->err, sizeof doc->err, "%s: out of memory", file);
        doc->failed = doc->out_of_memory = true;
        return false;
    }
    if (!cJSON_IsObject(json)) {
        snprintf(doc->err, sizeof doc->err, "%s: the top level must be a JSON object", file);
        doc->failed = true;
        return false;
    }
    return true;
}

void cfg_free_keys(char **keys, size_t n) {
    for (size_t i = 0; i < n; i++) free(keys[i]);
    free(keys);
}

void cfg_close(cfg_doc *doc, cJSON *json) {
    cJSON_Delete(json);
    cJSON_Delete(doc->resolved);
    cfg_free_keys(doc->known_keys, doc->n_known);
    memset(doc, 0, sizeof *doc);
}

static const cJSON *lookup(cfg_obj *o, const char *key) {
    mark_used(o, key);
    return o->json ? cJSON_GetObjectItemCaseSensitive(o->json, key) : NULL;
}

bool cfg_has(const cfg_obj *o, const char *key) {
    return o->json && cJSON_GetObjectItemCaseSensitive(o->json, key) != NULL;
}

static const char *json_kind(const cJSON *j) {
    return cJSON_IsString(j)   ? "a string"
           : cJSON_IsNumber(j) ? (isfinite(j->valuedouble) ? "a number" : "a number out of range")
           : cJSON_IsBool(j)   ? "a boolean"
           : cJSON_IsNull(j)   ? "null"
           : cJSON_IsArray(j)  ? "a list"
                               : "an object";
}

/* Whether j is a value of kind "any" (all but null), "string" or "number". */
static bool json_is(const cJSON *j, const char *kind) {
    if (strcmp(kind, "string") == 0) return cJSON_IsString(j);
    if (strcmp(kind, "number") == 0) return cJSON_IsNumber(j) && isfinite(j->valuedouble);
    return !cJSON_IsNull(j) && !cJSON_IsInvalid(j);
}

/* Fails at key (an item "key[i]" or a map value "key.name") unless j is of kind. */
static bool check_kind(cfg_obj *o, const char *key, const cJSON *j, const char *kind) {
    if (json_is(j, kind)) return true;
    if (strcmp(kind, "any") == 0)
        cfg_fail(o, key, "must not be null (give a value)");
    else
        cfg_fail(o, key, "must be a %s, got %s", kind, json_kind(j));
    return false;
}

const cJSON *cfg_json(cfg_obj *o, const char *key, const char *type, const char *doc) {
    register_key(o, key, type, "", "", -CFG_INF, CFG_INF, doc);
    const cJSON *j = lookup(o, key);
    if (o->doc->failed || !j) return NULL;
    bool list = strncmp(type, "array:", 6) == 0, map = strncmp(type, "map:", 4) == 0;
    const char *kind = list ? type + 6 : map ? type + 4 : type;
    if (list && !cJSON_IsArray(j)) {
        cfg_fail(o, key, "must be a list, got %s", json_kind(j));
        return NULL;
    }
    if (map && !cJSON_IsObject(j)) {
        cfg_fail(o, key, "must be an object, got %s", json_kind(j));
        return NULL;
    }
    if (!list && !map && !check_kind(o, key, j, kind)) return NULL;
    size_t i = 0;
    for (const cJSON *it = list || map ? j->child : NULL; it; it = it->next, i++) {
        char item[CFG_PATH_MAX];
        if (list)
            snprintf(item, sizeof item, "%s[%zu]", key, i);
        else
            snprintf(item, sizeof item, "%s.%s", key, it->string);
        if (!check_kind(o, item, it, kind)) return NULL;
    }
    if (o->resolved) cJSON_AddItemToObject(o->resolved, key, cJSON_Duplicate(j, true));
    return j;
}

static void child_path(char *out, size_t len, const char *base, const char *key) {
    /* Paths longer than CFG_PATH_MAX are cut; they only appear in messages. */
    if (snprintf(out, len, "%s%s%s", base, *base ? "." : "", key) >= (int)len) out[len - 1] = '\0';
}

void cfg_require(cfg_obj *o, const char *key) {
    if (o->n_required < CFG_MAX_REQUIRED && !is_required(o, key)) o->required[o->n_required++] = key;
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

bool cfg_section(cfg_obj *parent, const char *key, const char *doc, cfg_obj *child) {
    register_key(parent, key, "object", "", "", -CFG_INF, CFG_INF, doc);
    return cfg_enter(parent, key, child);
}

void cfg_item_template(cfg_obj *parent, const char *key, cfg_obj *child) {
    char kitem[CFG_PATH_MAX + 24], kpath[CFG_PATH_MAX];
    snprintf(kitem, sizeof kitem, "%s[]", key);
    child_path(kpath, sizeof kpath, parent->key_path, kitem);
    init_obj(child, parent->doc, NULL, NULL, kpath, kpath);
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
    char path[CFG_PATH_MAX], kpath[CFG_PATH_MAX], item[CFG_PATH_MAX + 24], kitem[CFG_PATH_MAX + 24];
    /* item keeps the index for messages ("topology.regions[2]"); kitem is
     * the registry's normalised form ("topology.regions[]"). */
    if (snprintf(item, sizeof item, "%s[%zu]", key, i) >= (int)sizeof item) item[sizeof item - 1] = '\0';
    child_path(path, sizeof path, parent->path, item);
    snprintf(kitem, sizeof kitem, "%s[]", key);
    child_path(kpath, sizeof kpath, parent->key_path, kitem);
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
            const char *near = cfg_did_you_mean(item->string, o->used, o->n_used);
            if (near)
                cfg_fail(o, item->string, "unknown key (did you mean \"%s\"?)", near);
            else
                cfg_fail(o, item->string, "unknown key");
            break;
        }
    }
    for (size_t i = 0; i < o->n_required && !o->doc->failed; i++)
        if (!cJSON_GetObjectItemCaseSensitive(o->json, o->required[i])) cfg_fail(o, o->required[i], "is required");
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
        else if (min == CFG_GT0 && max < CFG_INF)
            cfg_fail(o, key, "must be in (0, %s]%s%s, got %g", fmt_num(hi, sizeof hi, max), unit && *unit ? " " : "",
                     unit ? unit : "", v);
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
    /* NaN: no default (the key is optional, absent means "not given"). */
    register_key(o, key, type, unit, isnan(def) ? "" : fmt_num(defbuf, sizeof defbuf, def), min, max, doc);
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
        if (parse == cfg_parse_duration && v > 0 && v < CFG_MIN_DURATION_S && !o->doc->failed) {
            cfg_fail(o, key,
                     "must be %sat least " CFG_MIN_DURATION_TEXT " (the simulated clock counts whole "
                     "nanoseconds: a shorter duration rounds to nearly nothing), got %g s",
                     min <= 0 ? "0 or " : "", v);
            return def;
        }
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
        if (!cJSON_IsNumber(j)) {
            cfg_fail(o, key, "expected an integer, got %s", json_kind(j));
            return def;
        }
        if (j->valuedouble != floor(j->valuedouble)) {
            cfg_fail(o, key, "expected an integer, got %g", j->valuedouble);
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

/* A number as cJSON prints it, unless its 15 digits lose it (2^53): then
 * all 17. */
static void add_number(cJSON *s, const char *name, double v) {
    char text[32];
    snprintf(text, sizeof text, "%.15g", v);
    if (strtod(text, NULL) == v) {
        cJSON_AddNumberToObject(s, name, v);
        return;
    }
    snprintf(text, sizeof text, "%.17g", v);
    cJSON_AddRawToObject(s, name, text);
}

static void add_range(cJSON *s, double min, double max) {
    if (min == CFG_GT0)
        add_number(s, "exclusiveMinimum", 0);
    else if (min > -CFG_INF)
        add_number(s, "minimum", min);
    if (max < CFG_INF) add_number(s, "maximum", max);
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

/* Any JSON value but null. */
static cJSON *any_schema(void) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddItemToObject(s, "not", cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(s, "not"), "type", "null");
    return s;
}

static cJSON *typed_schema(const char *type) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "type", type);
    return s;
}

/* The schema of the items of "array:KIND" and the values of "map:KIND". */
static cJSON *kind_schema(const char *kind, double min, double max) {
    if (strcmp(kind, "number") == 0) return quantity_schema(min, max, NULL);
    if (strcmp(kind, "string") == 0) return typed_schema("string");
    return any_schema();
}

static cJSON *leaf_schema(const char *type, double min, double max) {
    if (strcmp(type, "object") == 0) return object_schema();
    if (strcmp(type, "any") == 0) return any_schema();
    if (strncmp(type, "map:", 4) == 0) {
        cJSON *s = typed_schema("object");
        cJSON_AddItemToObject(s, "additionalProperties", kind_schema(type + 4, min, max));
        return s;
    }
    if (strncmp(type, "array:", 6) == 0 && strcmp(type, "array:duration") != 0) {
        cJSON *s = typed_schema("array");
        cJSON_AddItemToObject(s, "items", kind_schema(type + 6, min, max));
        return s;
    }
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
        bool required = strcmp(field[3], CFG_REQUIRED) == 0;
        if (required) {
            cJSON *req = cJSON_GetObjectItemCaseSensitive(obj, "required");
            if (!req) req = cJSON_AddArrayToObject(obj, "required");
            cJSON_AddItemToArray(req, cJSON_CreateString(path));
        }
        cJSON *leaf = cJSON_GetObjectItemCaseSensitive(props, path);
        /* Arrays and objects may already exist, created as a parent. */
        bool container = strcmp(field[1], "array") == 0 || strcmp(field[1], "object") == 0;
        if (leaf && !container) {
            cJSON_DeleteItemFromObjectCaseSensitive(props, path);
            leaf = NULL;
        }
        if (leaf && strcmp(field[1], "array") == 0) continue;
        if (!leaf) {
            leaf = leaf_schema(field[1], strtod(field[4], NULL), strtod(field[5], NULL));
            cJSON_AddItemToObject(props, path, leaf);
        }
        cJSON_AddStringToObject(leaf, "description", field[6]);
        if (*field[2]) cJSON_AddStringToObject(leaf, "x-unit", field[2]);
        if (*field[3] && !required && !container) cJSON_AddStringToObject(leaf, "x-default", field[3]);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}
