/* Sweep files: parsing, validation and expansion into points (sim/sweep.h). */
#include "sim/sweep.h"
#include "sim/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/metrics.h"

static const char *const default_metrics[] = {"rto_mean_s", "rpo_mean_s", "availability_time", "lost_revenue"};

const char *sweep_combine_name(sweep_combine c) { return c == SWEEP_ZIP ? "zip" : "cross"; }

char *sweep_metrics_json(const sweep_spec *sw) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < sw->n_metrics; i++) cJSON_AddItemToArray(a, cJSON_CreateString(sw->metrics[i]));
    char *s = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return s;
}

/* ---- JSON paths -------------------------------------------------------------------- */

/* One step of a path: a key, or an index when key is NULL. */
typedef struct path_step {
    char key[128];
    bool is_index;
    long index;
} path_step;

/* Splits "a.b[1].c" into steps; false with a reason on bad syntax. */
static bool path_split(const char *path, path_step *steps, size_t max, size_t *n, char *why, size_t whylen) {
    *n = 0;
    const char *p = path;
    if (!*p) {
        cli_errf(why, whylen, "empty path");
        return false;
    }
    while (*p) {
        if (*n == max) {
            cli_errf(why, whylen, "path \"%s\" is too deep", path);
            return false;
        }
        path_step *s = &steps[*n];
        memset(s, 0, sizeof *s);
        if (*p == '[') {
            char *end = NULL;
            errno = 0;
            long i = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || errno || i < 0) {
                cli_errf(why, whylen, "path \"%s\": expected [INDEX] with INDEX >= 0 at \"%s\"", path, p);
                return false;
            }
            if (*n == 0) {
                cli_errf(why, whylen, "path \"%s\": the scenario is an object, not an array", path);
                return false;
            }
            s->is_index = true;
            s->index = i;
            p = end + 1;
        } else {
            size_t len = strcspn(p, ".[");
            if (len == 0) {
                cli_errf(why, whylen, "path \"%s\": empty key", path);
                return false;
            }
            if (len >= sizeof s->key) {
                cli_errf(why, whylen, "path \"%s\": key too long", path);
                return false;
            }
            memcpy(s->key, p, len);
            s->key[len] = '\0';
            p += len;
        }
        (*n)++;
        if (*p == '.') {
            p++;
            if (!*p || *p == '.' || *p == '[') {
                cli_errf(why, whylen, "path \"%s\": empty key", path);
                return false;
            }
        } else if (*p && *p != '[') {
            cli_errf(why, whylen, "path \"%s\": unexpected \"%c\"", path, *p);
            return false;
        }
    }
    return true;
}

/* Appends text to the path walked so far, cut at the buffer's end. */
static void where_append(char *where, size_t size, const char *text) {
    size_t len = strlen(where), add = strlen(text);
    if (len + add >= size) add = size - len - 1;
    memcpy(where + len, text, add);
    where[len + add] = '\0';
}

bool sweep_json_set(cJSON *root, const char *path, const cJSON *value, char *why, size_t whylen) {
    path_step steps[32];
    size_t n;
    if (!path_split(path, steps, sizeof steps / sizeof steps[0], &n, why, whylen)) return false;
    cJSON *node = root;
    char where[512] = "";
    for (size_t i = 0; i < n; i++) {
        const path_step *s = &steps[i];
        bool last = i + 1 == n;
        cJSON *next;
        if (s->is_index) {
            if (!cJSON_IsArray(node)) {
                cli_errf(why, whylen, "path \"%s\": %s is not an array", path, where);
                return false;
            }
            int size = cJSON_GetArraySize(node);
            if (s->index >= size) {
                cli_errf(why, whylen, "path \"%s\": %s has %d item(s), no [%ld]", path, where, size, s->index);
                return false;
            }
            if (last) {
                cJSON *copy = cJSON_Duplicate(value, true);
                if (!copy || !cJSON_ReplaceItemInArray(node, (int)s->index, copy)) {
                    cJSON_Delete(copy);
                    cli_errf(why, whylen, "out of memory");
                    return false;
                }
                return true;
            }
            next = cJSON_GetArrayItem(node, (int)s->index);
            char idx[32];
            snprintf(idx, sizeof idx, "[%ld]", s->index);
            where_append(where, sizeof where, idx);
        } else {
            if (!cJSON_IsObject(node)) {
                cli_errf(why, whylen, "path \"%s\": %s is not an object", path, where[0] ? where : "the scenario");
                return false;
            }
            if (last) {
                cJSON *copy = cJSON_Duplicate(value, true);
                bool ok = copy != NULL;
                if (ok && cJSON_GetObjectItemCaseSensitive(node, s->key))
                    ok = cJSON_ReplaceItemInObjectCaseSensitive(node, s->key, copy);
                else if (ok)
                    ok = cJSON_AddItemToObject(node, s->key, copy);
                if (!ok) {
                    cJSON_Delete(copy);
                    cli_errf(why, whylen, "out of memory");
                    return false;
                }
                return true;
            }
            next = cJSON_GetObjectItemCaseSensitive(node, s->key);
            if (!next) {
                /* An absent section reads as defaults in the scenario; create
                 * it so that a sweep can set one key of it. */
                next = steps[i + 1].is_index ? NULL : cJSON_AddObjectToObject(node, s->key);
                if (!next) {
                    cli_errf(why, whylen, "path \"%s\": %s%s%s is absent, cannot index it", path, where,
                             where[0] ? "." : "", s->key);
                    return false;
                }
            }
            if (where[0]) where_append(where, sizeof where, ".");
            where_append(where, sizeof where, s->key);
        }
        node = next;
    }
    return true;
}

/* ---- parsing the sweep file ---------------------------------------------------------- */

typedef struct ctx {
    const char *file;
    char *err;
    size_t errlen;
    char dir[4096]; /* of the sweep file, with a trailing '/', or "" */
    bool oom;       /* the failure was memory, not the sweep file */
} ctx;

static bool fail(ctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(ctx *c, const char *path, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fd_verrf_at(c->err, c->errlen, FD_EINPUT, c->file, path, fmt, ap);
    va_end(ap);
    return false;
}

/* Out of memory at path: exit 1 rather than "bad input". */
static bool fail_nomem(ctx *c, const char *path) {
    c->oom = true;
    return fail(c, path, "out of memory");
}

static void resolve_path(const ctx *c, const char *rel, char *out, size_t len) {
    if (rel[0] == '/' || !c->dir[0])
        snprintf(out, len, "%s", rel);
    else
        snprintf(out, len, "%s%s", c->dir, rel);
}

static bool get_count(ctx *c, const cJSON *o, const char *key, const char *where, uint64_t def, uint64_t min,
                      uint64_t max, uint64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char path[256];
    snprintf(path, sizeof path, "%s%s%s", where, where[0] ? "." : "", key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)min ||
        v->valuedouble > (double)max)
        return fail(c, path, "must be an integer in [%llu, %llu]", (unsigned long long)min, (unsigned long long)max);
    *out = (uint64_t)v->valuedouble;
    return true;
}

static bool get_number(ctx *c, const cJSON *o, const char *key, const char *where, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char path[256];
    snprintf(path, sizeof path, "%s.%s", where, key);
    if (!v) return fail(c, path, "is required");
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return fail(c, path, "must be a number");
    *out = v->valuedouble;
    return true;
}

static bool check_keys(ctx *c, const cJSON *o, const char *where, const char *const *allowed) {
    for (const cJSON *it = o->child; it; it = it->next) {
        if (it->string && it->string[0] == '_') continue; /* comments, as in scenarios */
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++) ok = strcmp(allowed[i], it->string) == 0;
        if (!ok) {
            char path[256];
            snprintf(path, sizeof path, "%s%s%s", where, where[0] ? "." : "", it->string);
            size_t n = 0;
            while (allowed[n]) n++;
            const char *near = cfg_did_you_mean(it->string, allowed, n);
            if (near) return fail(c, path, "unknown key (did you mean \"%s\"?)", near);
            return fail(c, path, "unknown key");
        }
    }
    return true;
}

/* "linear" or "log" range of count numbers from..to (both ends included). */
static bool parse_range(ctx *c, const cJSON *r, const char *where, bool log_scale, sweep_param *p) {
    static const char *const keys[] = {"from", "to", "count", "round", NULL};
    if (!cJSON_IsObject(r)) return fail(c, where, "must be an object {\"from\", \"to\", \"count\"}");
    const cJSON *round_to = cJSON_GetObjectItemCaseSensitive(r, "round");
    if (round_to && !cJSON_IsBool(round_to)) {
        char path[256];
        snprintf(path, sizeof path, "%s.round", where);
        return fail(c, path, "must be true or false");
    }
    bool whole = cJSON_IsTrue(round_to);
    if (!check_keys(c, r, where, keys)) return false;
    double from, to;
    uint64_t count;
    if (!get_number(c, r, "from", where, &from) || !get_number(c, r, "to", where, &to)) return false;
    if (!cJSON_GetObjectItemCaseSensitive(r, "count")) {
        char path[256];
        snprintf(path, sizeof path, "%s.count", where);
        return fail(c, path, "is required");
    }
    if (!get_count(c, r, "count", where, 0, 1, SWEEP_MAX_POINTS, &count)) return false;
    if (log_scale && !(from > 0 && to > 0)) {
        char path[256];
        snprintf(path, sizeof path, "%s.%s", where, from > 0 ? "to" : "from");
        return fail(c, path, "a log range needs from > 0 and to > 0, got %g", from > 0 ? to : from);
    }
    p->values = cJSON_CreateArray();
    for (uint64_t i = 0; p->values && i < count; i++) {
        double t = count > 1 ? (double)i / (double)(count - 1) : 0, v;
        /* The ends are exact: a range from 60 to 14400 contains 60 and 14400. */
        if (i == 0)
            v = from;
        else if (i + 1 == count)
            v = to;
        else if (log_scale)
            v = exp(log(from) + t * (log(to) - log(from)));
        else
            v = from + t * (to - from);
        if (whole) v = round(v); /* whole seconds, servers, ... */
        cJSON_AddItemToArray(p->values, cJSON_CreateNumber(v));
    }
    if (!p->values) return fail_nomem(c, where);
    p->n_values = (size_t)count;
    return true;
}

static bool parse_param(ctx *c, const cJSON *o, size_t i, sweep_param *p) {
    char where[64];
    snprintf(where, sizeof where, "parameters[%zu]", i);
    if (!cJSON_IsObject(o)) return fail(c, where, "must be an object");
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(o, "base");
    if (base) {
        static const char *const keys[] = {"base", NULL};
        if (!check_keys(c, o, where, keys)) return false;
        char path[96];
        snprintf(path, sizeof path, "%s.base", where);
        if (!cJSON_IsArray(base) || cJSON_GetArraySize(base) < 1)
            return fail(c, path, "must be a non-empty array of scenario files");
        int k = 0;
        for (const cJSON *it = base->child; it; it = it->next, k++)
            if (!cJSON_IsString(it) || !it->valuestring[0]) {
                snprintf(path, sizeof path, "%s.base[%d]", where, k);
                return fail(c, path, "must be a file name (relative to the sweep file)");
            }
        p->is_base = true;
        p->path = strdup("base");
        p->values = cJSON_Duplicate(base, true);
        p->n_values = (size_t)cJSON_GetArraySize(base);
        return p->path && p->values ? true : fail_nomem(c, where);
    }
    static const char *const keys[] = {"path", "values", "linear", "log", NULL};
    if (!check_keys(c, o, where, keys)) return false;
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(o, "path");
    char ppath[96];
    snprintf(ppath, sizeof ppath, "%s.path", where);
    if (!path) return fail(c, ppath, "is required (or give \"base\": [files])");
    if (!cJSON_IsString(path)) return fail(c, ppath, "must be a string such as \"backup.incremental_period_s\"");
    path_step steps[32];
    size_t n_steps;
    char why[512];
    if (!path_split(path->valuestring, steps, 32, &n_steps, why, sizeof why)) return fail(c, ppath, "%s", why);
    p->path = strdup(path->valuestring);
    if (!p->path) return fail_nomem(c, where);
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(o, "values");
    const cJSON *lin = cJSON_GetObjectItemCaseSensitive(o, "linear");
    const cJSON *lg = cJSON_GetObjectItemCaseSensitive(o, "log");
    int given = !!values + !!lin + !!lg;
    if (given != 1) return fail(c, where, "give exactly one of \"values\", \"linear\", \"log\" (%d given)", given);
    if (lin || lg) {
        char rpath[96];
        snprintf(rpath, sizeof rpath, "%s.%s", where, lin ? "linear" : "log");
        return parse_range(c, lin ? lin : lg, rpath, lg != NULL, p);
    }
    char vpath[96];
    snprintf(vpath, sizeof vpath, "%s.values", where);
    if (!cJSON_IsArray(values) || cJSON_GetArraySize(values) < 1) return fail(c, vpath, "must be a non-empty array");
    int k = 0;
    for (const cJSON *it = values->child; it; it = it->next, k++)
        if (cJSON_IsNull(it) || cJSON_IsInvalid(it)) {
            snprintf(vpath, sizeof vpath, "%s.values[%d]", where, k);
            return fail(c, vpath, "null is not a scenario value");
        }
    p->values = cJSON_Duplicate(values, true);
    p->n_values = (size_t)k;
    return p->values ? true : fail_nomem(c, where);
}

/* Reads and caches base files by name so that a base dimension reads each
 * file once. */
typedef struct base_cache {
    char **names;
    cJSON **docs;
    size_t n;
} base_cache;

static void base_cache_free(base_cache *b) {
    for (size_t i = 0; i < b->n; i++) {
        free(b->names[i]);
        cJSON_Delete(b->docs[i]);
    }
    free(b->names);
    free(b->docs);
}

/* Records a file the sweep read (for the output checks of the CLI). */
static bool add_input(ctx *c, sweep_spec *sw, const char *path) {
    char **grown = realloc(sw->inputs, (sw->n_inputs + 1) * sizeof *grown);
    if (!grown) return fail_nomem(c, "");
    sw->inputs = grown;
    if (!(sw->inputs[sw->n_inputs] = strdup(path))) return fail_nomem(c, "");
    sw->n_inputs++;
    return true;
}

static const cJSON *base_get(ctx *c, sweep_spec *sw, base_cache *b, const char *rel, const char *where) {
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->names[i], rel) == 0) return b->docs[i];
    char path[4096 + 256], why[768];
    resolve_path(c, rel, path, sizeof path);
    char *text = NULL;
    cfg_status st = cfg_read_file(path, &text, why, sizeof why);
    cJSON *doc = NULL;
    if (st == CFG_OK) st = cfg_parse_json(path, text, &doc, why, sizeof why);
    free(text);
    if (st != CFG_OK) {
        c->oom |= st == CFG_EFAIL;
        fail(c, where, "%s", why);
        return NULL;
    }
    if (!cJSON_IsObject(doc)) {
        fail(c, where, "%s: the top level must be a JSON object", path);
        cJSON_Delete(doc);
        return NULL;
    }
    if (!add_input(c, sw, path)) {
        cJSON_Delete(doc);
        return NULL;
    }
    char **names = realloc(b->names, (b->n + 1) * sizeof *names);
    if (names) b->names = names;
    cJSON **docs = realloc(b->docs, (b->n + 1) * sizeof *docs);
    if (docs) b->docs = docs;
    char *name = strdup(rel);
    if (!names || !docs || !name) {
        free(name);
        cJSON_Delete(doc);
        fail_nomem(c, where);
        return NULL;
    }
    b->names[b->n] = name;
    b->docs[b->n] = doc;
    b->n++;
    return doc;
}

/* Value index of each parameter at point k. */
static void point_choice(const sweep_spec *sw, size_t k, size_t *choice) {
    if (sw->combine == SWEEP_ZIP) {
        for (size_t i = 0; i < sw->n_params; i++) choice[i] = k;
        return;
    }
    for (size_t i = sw->n_params; i-- > 0;) {
        choice[i] = k % sw->params[i].n_values;
        k /= sw->params[i].n_values;
    }
}

static bool expand_point(ctx *c, sweep_spec *sw, base_cache *bc, const char *base_rel, const cJSON *set, size_t k) {
    sweep_point *pt = &sw->points[k];
    pt->index = (uint32_t)k;
    size_t choice[64];
    point_choice(sw, k, choice);
    const char *rel = base_rel;
    for (size_t i = 0; i < sw->n_params; i++)
        if (sw->params[i].is_base) rel = cJSON_GetArrayItem(sw->params[i].values, (int)choice[i])->valuestring;
    char where[96];
    snprintf(where, sizeof where, "points[%zu]", k);
    if (!rel) return fail(c, "base", "is required (a scenario file relative to the sweep file)");
    const cJSON *base = base_get(c, sw, bc, rel, base_rel && rel == base_rel ? "base" : where);
    if (!base) return false;
    cJSON *doc = cJSON_Duplicate(base, true), *params = cJSON_CreateObject();
    bool ok = doc && params;
    if (!ok) fail_nomem(c, where);
    char why[512] = "out of memory";
    for (const cJSON *it = set ? set->child : NULL; ok && it; it = it->next) {
        ok = sweep_json_set(doc, it->string, it, why, sizeof why);
        if (!ok) {
            char spath[256];
            snprintf(spath, sizeof spath, "set.%s", it->string);
            c->oom |= strcmp(why, "out of memory") == 0;
            fail(c, spath, "%s", why);
        }
    }
    for (size_t i = 0; ok && i < sw->n_params; i++) {
        const sweep_param *p = &sw->params[i];
        const cJSON *v = cJSON_GetArrayItem(p->values, (int)choice[i]);
        ok = cJSON_AddItemToObject(params, p->path, cJSON_Duplicate(v, true));
        if (ok && !p->is_base) {
            ok = sweep_json_set(doc, p->path, v, why, sizeof why);
            if (!ok) {
                char ppath[64];
                snprintf(ppath, sizeof ppath, "parameters[%zu].path", i);
                c->oom |= strcmp(why, "out of memory") == 0;
                fail(c, ppath, "%s", why);
            }
        } else if (!ok)
            fail_nomem(c, where);
    }
    if (ok) {
        pt->parameters = cJSON_PrintUnformatted(params);
        pt->scenario_json = cJSON_Print(doc);
        ok = pt->parameters && pt->scenario_json;
        if (!ok) fail_nomem(c, where);
    }
    cJSON_Delete(doc);
    cJSON_Delete(params);
    if (!ok) return false;
    cli_sha256_hex(pt->scenario_json, strlen(pt->scenario_json), pt->sha256);
    char label[4096 + 64], serr[1024];
    snprintf(label, sizeof label, "%s: %s", c->file, where);
    if (!scenario_parse(&pt->sc, label, pt->scenario_json, serr, sizeof serr)) {
        c->oom |= pt->sc.out_of_memory;
        cli_errf(c->err, c->errlen, "%s (point parameters %s)", serr, pt->parameters);
        return false;
    }
    return true;
}

bool sweep_parse(sweep_spec *sw, const char *file, const char *text, char *err, size_t errlen) {
    memset(sw, 0, sizeof *sw);
    ctx c = {.file = file, .err = err, .errlen = errlen};
    const char *slash = strrchr(file, '/');
    if (slash && (size_t)(slash - file + 1) < sizeof c.dir) {
        memcpy(c.dir, file, (size_t)(slash - file + 1));
        c.dir[slash - file + 1] = '\0';
    }
    sw->file = strdup(file);
    sw->text = strdup(text);
    if (!sw->file || !sw->text) {
        sw->out_of_memory = true;
        return fail(&c, "", "out of memory");
    }
    cJSON *root = NULL;
    cfg_status st = cfg_parse_json(file, text, &root, err, errlen);
    if (st != CFG_OK) {
        sw->out_of_memory = st == CFG_EFAIL;
        return false;
    }
    if (!add_input(&c, sw, file)) {
        sw->out_of_memory = true;
        cJSON_Delete(root);
        return false;
    }
    bool ok = false;
    base_cache bc = {0};
    static const char *const keys[] = {"name",    "description", "base",           "seeds", "first_seed", "parameters",
                                       "combine", "metrics",     "baseline_point", "set",   NULL};
    if (!cJSON_IsObject(root)) {
        fail(&c, "", "the top level must be a JSON object");
        goto out;
    }
    if (!check_keys(&c, root, "", keys)) goto out;

    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    if (name && (!cJSON_IsString(name) || !name->valuestring[0] ||
                 strspn(name->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
                     strlen(name->valuestring))) {
        fail(&c, "name", "must be a non-empty string of letters, digits, '_', '-', '.'");
        goto out;
    }
    if (name)
        sw->name = strdup(name->valuestring);
    else {
        /* Default: the file name without directory and ".json". */
        const char *b = slash ? slash + 1 : file;
        size_t len = strlen(b);
        if (len > 5 && strcmp(b + len - 5, ".json") == 0) len -= 5;
        sw->name = strndup(b, len);
    }
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (desc && !cJSON_IsString(desc)) {
        fail(&c, "description", "must be a string");
        goto out;
    }
    if (!get_count(&c, root, "seeds", "", 10, 1, 100000000, &sw->seeds)) goto out;
    if (!get_count(&c, root, "first_seed", "", 1, 0, (uint64_t)1 << 53, &sw->first_seed)) goto out;

    const cJSON *combine = cJSON_GetObjectItemCaseSensitive(root, "combine");
    if (combine) {
        if (cJSON_IsString(combine) && strcmp(combine->valuestring, "cross") == 0)
            sw->combine = SWEEP_CROSS;
        else if (cJSON_IsString(combine) && strcmp(combine->valuestring, "zip") == 0)
            sw->combine = SWEEP_ZIP;
        else {
            fail(&c, "combine", "must be \"cross\" or \"zip\"");
            goto out;
        }
    }

    const cJSON *base = cJSON_GetObjectItemCaseSensitive(root, "base");
    if (base && (!cJSON_IsString(base) || !base->valuestring[0])) {
        fail(&c, "base", "must be a scenario file name (relative to the sweep file)");
        goto out;
    }
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(root, "set");
    if (set && !cJSON_IsObject(set)) {
        fail(&c, "set", "must be an object {\"json.path\": value}");
        goto out;
    }
    for (const cJSON *it = set ? set->child : NULL; it; it = it->next) {
        path_step steps[32];
        size_t n;
        char why[512], spath[256];
        snprintf(spath, sizeof spath, "set.%s", it->string);
        if (!path_split(it->string, steps, 32, &n, why, sizeof why)) {
            fail(&c, spath, "%s", why);
            goto out;
        }
    }

    const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
    if (params && !cJSON_IsArray(params)) {
        fail(&c, "parameters", "must be an array of {\"path\", \"values\"|\"linear\"|\"log\"} objects");
        goto out;
    }
    size_t np = params ? (size_t)cJSON_GetArraySize(params) : 0;
    if (np > 64) {
        fail(&c, "parameters", "at most 64 parameters, got %zu", np);
        goto out;
    }
    sw->params = calloc(np ? np : 1, sizeof *sw->params);
    if (!sw->params) {
        fail_nomem(&c, "");
        goto out;
    }
    bool have_base_dim = false;
    for (size_t i = 0; i < np; i++) {
        if (!parse_param(&c, cJSON_GetArrayItem(params, (int)i), i, &sw->params[i])) {
            sw->n_params = i + 1;
            goto out;
        }
        sw->n_params = i + 1;
        for (size_t k = 0; k < i; k++)
            if (strcmp(sw->params[k].path, sw->params[i].path) == 0) {
                char where[64];
                snprintf(where, sizeof where, "parameters[%zu]", i);
                fail(&c, where, "\"%s\" is already varied by parameters[%zu]", sw->params[i].path, k);
                goto out;
            }
        have_base_dim |= sw->params[i].is_base;
    }
    if (!base && !have_base_dim) {
        fail(&c, "base", "is required (a scenario file relative to the sweep file)");
        goto out;
    }

    /* Number of points: product (cross) or the common length (zip). */
    uint64_t n_points = 1;
    for (size_t i = 0; i < sw->n_params; i++) {
        const sweep_param *p = &sw->params[i];
        if (sw->combine == SWEEP_ZIP) {
            if (i > 0 && p->n_values != sw->params[0].n_values) {
                char where[64];
                snprintf(where, sizeof where, "parameters[%zu]", i);
                fail(&c, where, "\"zip\" needs lists of equal length: %zu value(s) here, %zu in parameters[0]",
                     p->n_values, sw->params[0].n_values);
                goto out;
            }
            n_points = p->n_values;
        } else {
            n_points *= p->n_values;
            if (n_points > SWEEP_MAX_POINTS) break;
        }
    }
    if (n_points > SWEEP_MAX_POINTS) {
        fail(&c, "parameters", "more than %u points", SWEEP_MAX_POINTS);
        goto out;
    }
    if (n_points * sw->seeds > SWEEP_MAX_UNITS) {
        fail(&c, "seeds", "%llu points x %llu seeds is more than %llu replicas", (unsigned long long)n_points,
             (unsigned long long)sw->seeds, SWEEP_MAX_UNITS);
        goto out;
    }

    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(root, "metrics");
    if (metrics && (!cJSON_IsArray(metrics) || cJSON_GetArraySize(metrics) < 1)) {
        fail(&c, "metrics", "must be a non-empty array of replica metric names");
        goto out;
    }
    size_t nm = metrics ? (size_t)cJSON_GetArraySize(metrics) : sizeof default_metrics / sizeof default_metrics[0];
    sw->metrics = calloc(nm, sizeof *sw->metrics);
    if (!sw->metrics) {
        fail_nomem(&c, "");
        goto out;
    }
    for (size_t i = 0; i < nm; i++) {
        const char *m = default_metrics[i < 4 ? i : 0];
        if (metrics) {
            const cJSON *it = cJSON_GetArrayItem(metrics, (int)i);
            char where[64];
            snprintf(where, sizeof where, "metrics[%zu]", i);
            if (!cJSON_IsString(it)) {
                fail(&c, where, "must be a string");
                goto out;
            }
            m = it->valuestring;
            bool known = false;
            for (size_t f = 0; f < replica_metric_field_count && !known; f++)
                known = strcmp(replica_metric_fields[f].name, m) == 0 && replica_metric_fields[f].type != METRIC_STR;
            if (!known) {
                fail(&c, where, "\"%s\" is not a replica metric (see the columns of /replicas)", m);
                goto out;
            }
        }
        sw->metrics[i] = strdup(m);
        sw->n_metrics = i + 1;
        if (!sw->metrics[i]) {
            fail_nomem(&c, "");
            goto out;
        }
    }
    uint64_t baseline;
    if (!get_count(&c, root, "baseline_point", "", 0, 0, n_points - 1, &baseline)) goto out;
    sw->baseline_point = (uint32_t)baseline;

    sw->points = calloc((size_t)n_points, sizeof *sw->points);
    if (!sw->points) {
        fail_nomem(&c, "");
        goto out;
    }
    for (size_t k = 0; k < n_points; k++) {
        sw->n_points = k + 1;
        if (!expand_point(&c, sw, &bc, base ? base->valuestring : NULL, set, k)) goto out;
    }

    /* The sweep's identity covers what it simulates: its own text and the
     * expanded scenario of every point (so an edited base file is a
     * different sweep even when the sweep file is unchanged). */
    size_t tlen = strlen(text), hlen = tlen + 1 + (size_t)n_points * 65;
    char *h = malloc(hlen);
    if (!h) {
        fail_nomem(&c, "");
        goto out;
    }
    memcpy(h, text, tlen);
    h[tlen] = '\n';
    for (size_t k = 0; k < n_points; k++) {
        memcpy(h + tlen + 1 + k * 65, sw->points[k].sha256, 64);
        h[tlen + 1 + k * 65 + 64] = '\n';
    }
    cli_sha256_hex(h, hlen, sw->sha256);
    free(h);
    ok = sw->name != NULL;
    if (!ok) fail_nomem(&c, "");
out:
    base_cache_free(&bc);
    cJSON_Delete(root);
    sw->out_of_memory = !ok && c.oom;
    return ok;
}

bool sweep_load(sweep_spec *sw, const char *file, char *err, size_t errlen) {
    char *text = NULL;
    cfg_status st = cfg_read_file(file, &text, err, errlen);
    if (st != CFG_OK) {
        memset(sw, 0, sizeof *sw);
        sw->out_of_memory = st == CFG_EFAIL;
        return false;
    }
    bool ok = sweep_parse(sw, file, text, err, errlen);
    free(text);
    return ok;
}

void sweep_free(sweep_spec *sw) {
    for (size_t i = 0; i < sw->n_params; i++) {
        free(sw->params[i].path);
        cJSON_Delete(sw->params[i].values);
    }
    free(sw->params);
    for (size_t i = 0; i < sw->n_metrics; i++) free(sw->metrics[i]);
    free(sw->metrics);
    for (size_t i = 0; i < sw->n_points; i++) {
        free(sw->points[i].parameters);
        free(sw->points[i].scenario_json);
        scenario_free(&sw->points[i].sc);
    }
    free(sw->points);
    for (size_t i = 0; i < sw->n_inputs; i++) free(sw->inputs[i]);
    free(sw->inputs);
    free(sw->file);
    free(sw->text);
    free(sw->name);
    memset(sw, 0, sizeof *sw);
}
