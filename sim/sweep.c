/* Sweep files: parsing, validation and expansion into points (sim/sweep.h).
 * The keys are read with models/cfg.c's getters, as scenario keys are: the
 * same reader, types and ranges, a key registry (sweep_known_keys), unknown
 * keys with "did you mean", errors "FILE: JSON.PATH: reason". */
#include "sim/sweep.h"
#include "sim/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/jpath.h"
#include "models/metrics.h"

static const char *const default_metrics[] = {"rto_mean_s", "rpo_mean_s", "availability_time", "lost_revenue"};
static const char *const combine_names[] = {"cross", "zip", NULL};

const char *sweep_combine_name(sweep_combine c) { return combine_names[c == SWEEP_ZIP]; }

char *sweep_metrics_json(const sweep_spec *sw) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < sw->n_metrics; i++) cJSON_AddItemToArray(a, cJSON_CreateString(sw->metrics[i]));
    char *s = a ? cJSON_PrintUnformatted(a) : NULL;
    cJSON_Delete(a);
    return s;
}

const char *sweep_column_near(const char *name) {
    const char *names[256];
    size_t n = 0;
    for (size_t f = 0; f < replica_metric_field_count && n < sizeof names / sizeof names[0]; f++)
        if (replica_metric_fields[f].type != METRIC_STR) names[n++] = replica_metric_fields[f].name;
    return cfg_did_you_mean(name, names, n);
}

/* ---- reading the keys ------------------------------------------------------------------ */

/* Records a failure whose cause is known: CFG_EFAIL (memory, I/O) makes
 * the CLI exit 1 rather than 2. */
static bool fail_status(cfg_obj *o, const char *key, cfg_status st, const char *why) {
    bool first = !o->doc->failed;
    cfg_fail(o, key, "%s", why);
    if (first && st == CFG_EFAIL) o->doc->out_of_memory = true;
    return false;
}

static bool fail_nomem(cfg_obj *o) {
    cfg_fail(o, NULL, "out of memory");
    return false;
}

typedef struct range_keys {
    double from, to;
    long count;
    bool round;
} range_keys;

static void read_range(cfg_obj *r, range_keys *k) {
    cfg_require(r, "from");
    k->from = cfg_number(r, "from", 0, -CFG_INF, CFG_INF, "", "the first value");
    cfg_require(r, "to");
    k->to = cfg_number(r, "to", 0, -CFG_INF, CFG_INF, "", "the last value");
    cfg_require(r, "count");
    k->count = cfg_int(r, "count", 1, 1, SWEEP_MAX_POINTS, "number of values, both ends included");
    k->round = cfg_bool(r, "round", false, "round every value to a whole number (seconds, servers, ...)");
}

/* The values of a range: the ends exact (a range from 60 to 14400 holds
 * 60 and 14400), log-spaced or evenly spaced between. */
static cJSON *range_values(const range_keys *k, bool log_scale) {
    cJSON *values = cJSON_CreateArray();
    for (long i = 0; values && i < k->count; i++) {
        double t = k->count > 1 ? (double)i / (double)(k->count - 1) : 0, v;
        if (i == 0)
            v = k->from;
        else if (i + 1 == k->count)
            v = k->to;
        else if (log_scale)
            v = exp(log(k->from) + t * (log(k->to) - log(k->from)));
        else
            v = k->from + t * (k->to - k->from);
        if (k->round) v = round(v);
        cJSON *num = cJSON_CreateNumber(v);
        if (!num || !cJSON_AddItemToArray(values, num)) {
            cJSON_Delete(num);
            cJSON_Delete(values);
            return NULL;
        }
    }
    return values;
}

/* One item of "parameters" (or the template item, which the file does not
 * have: its keys are registered, nothing else happens). */
static bool read_param(cfg_obj *it, sweep_param *p) {
    const cJSON *base = cfg_json(it, "base", "array:string",
                                 "a dimension over base scenario files (relative to the sweep file), given instead of "
                                 "path and values: for points that differ in many keys");
    const char *path = cfg_string(it, "path", NULL,
                                  "JSON path into the scenario: keys separated by dots, list items as [i] "
                                  "(\"topology.regions[1].servers\"); required unless base is given");
    const cJSON *values =
        cfg_json(it, "values", "array:any", "the values: numbers, strings such as \"15m\", booleans, whole objects");
    cfg_obj lin, lg;
    range_keys rl = {0}, rg = {0};
    if (cfg_section(it, "linear", "count values evenly spaced from..to (instead of values)", &lin))
        read_range(&lin, &rl);
    if (cfg_section(it, "log", "count values evenly spaced on a log scale from..to, both > 0 (instead of values)", &lg))
        read_range(&lg, &rg);
    /* The item's unknown keys first, then which of values, linear, log,
     * then the keys of the range. */
    if (!cfg_leave(it) || !it->json) return !it->doc->failed;

    if (base) {
        static const char *const others[] = {"path", "values", "linear", "log"};
        for (size_t k = 0; k < sizeof others / sizeof others[0]; k++)
            if (cfg_has(it, others[k])) {
                cfg_fail(it, others[k], "not with \"base\" (a base dimension varies the base file only)");
                return false;
            }
        if (cJSON_GetArraySize(base) < 1) {
            cfg_fail(it, "base", "must be a non-empty list of scenario files");
            return false;
        }
        int k = 0;
        for (const cJSON *f = base->child; f; f = f->next, k++)
            if (!f->valuestring[0]) {
                char item[64];
                snprintf(item, sizeof item, "base[%d]", k);
                cfg_fail(it, item, "must be a file name (relative to the sweep file)");
                return false;
            }
        p->is_base = true;
        p->path = strdup("base");
        p->values = cJSON_Duplicate(base, true);
        p->n_values = (size_t)k;
        return p->path && p->values ? true : fail_nomem(it);
    }
    bool has_lin = cfg_has(it, "linear"), has_log = cfg_has(it, "log");
    int given = !!values + has_lin + has_log;
    if (given != 1) {
        cfg_fail(it, NULL, "give exactly one of \"values\", \"linear\", \"log\" (%d given)", given);
        return false;
    }
    if (!cfg_leave(&lin) || !cfg_leave(&lg)) return false;
    if (!path) {
        cfg_fail(it, "path", "is required (or give \"base\": [files])");
        return false;
    }
    jpath jp;
    char why[512];
    if (!jpath_parse(&jp, path, why, sizeof why)) return fail_status(it, "path", CFG_EINPUT, why);
    if (has_log && !(rg.from > 0 && rg.to > 0)) {
        cfg_fail(it, rg.from > 0 ? "log.to" : "log.from", "a log range needs from > 0 and to > 0, got %g",
                 rg.from > 0 ? rg.to : rg.from);
        return false;
    }
    if (values && cJSON_GetArraySize(values) < 1) {
        cfg_fail(it, "values", "must be a non-empty list");
        return false;
    }
    p->path = strdup(path);
    p->values = values ? cJSON_Duplicate(values, true) : range_values(has_lin ? &rl : &rg, has_log);
    p->n_values = (size_t)cJSON_GetArraySize(p->values);
    return p->path && p->values ? true : fail_nomem(it);
}

const metric_field *sweep_metric_at(cfg_obj *o, const char *key, const char *name) {
    const metric_field *f = metric_field_find(replica_metric_fields, replica_metric_field_count, name);
    if (f && f->type != METRIC_STR) return f;
    const char *near = sweep_column_near(name);
    if (near)
        cfg_fail(o, key, "\"%s\" is not a /replicas column (did you mean \"%s\"?)", name, near);
    else
        cfg_fail(o, key, "\"%s\" is not a /replicas column (docs/metrics.md lists them)", name);
    return NULL;
}

/* Records a file the sweep read (for the output checks of the CLI). */
static bool add_input(sweep_spec *sw, const char *path) {
    char **grown = realloc(sw->inputs, (sw->n_inputs + 1) * sizeof *grown);
    if (!grown) return false;
    sw->inputs = grown;
    if (!(sw->inputs[sw->n_inputs] = strdup(path))) return false;
    sw->n_inputs++;
    return true;
}

bool sweep_read_keys(sweep_spec *sw, cfg_obj *root) {
    memset(sw, 0, sizeof *sw);
    const char *file = root->doc->file;
    if (!(sw->file = strdup(file)) || !add_input(sw, file)) return fail_nomem(root);

    const char *name =
        cfg_string(root, "name", NULL, "the sweep's name (results/<name>.h5); default: the file name without .json");
    if (name && (!name[0] ||
                 strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(name))) {
        cfg_fail(root, "name", "must be a non-empty string of letters, digits, '_', '-', '.'");
        return false;
    }
    if (name)
        sw->name = strdup(name);
    else {
        const char *slash = strrchr(file, '/'), *b = slash ? slash + 1 : file;
        size_t len = strlen(b);
        if (len > 5 && strcmp(b + len - 5, ".json") == 0) len -= 5;
        sw->name = strndup(b, len);
    }
    if (!sw->name) return fail_nomem(root);
    cfg_string(root, "description", "", "what the sweep asks");
    const char *base = cfg_string(root, "base", NULL,
                                  "the base scenario file, relative to the sweep file (required unless a parameter "
                                  "is a base dimension)");
    if (base && !base[0]) {
        cfg_fail(root, "base", "must be a scenario file name (relative to the sweep file)");
        return false;
    }
    if (base && !(sw->base = strdup(base))) return fail_nomem(root);
    sw->seeds = (uint64_t)cfg_int(root, "seeds", 10, 1, 100000000, "seeds (replicas) of every point");
    sw->first_seed = (uint64_t)cfg_int(root, "first_seed", 1, 0, 1L << 53,
                                       "the first seed: every point runs seeds first_seed, first_seed + 1, ...");
    const cJSON *set = cfg_json(root, "set", "map:any",
                                "fixed overrides {\"json.path\": value} of every point, applied before the parameters");
    for (const cJSON *it = set ? set->child : NULL; it; it = it->next) {
        jpath jp;
        char why[512], key[CFG_PATH_MAX];
        snprintf(key, sizeof key, "set.%s", it->string);
        if (!jpath_parse(&jp, it->string, why, sizeof why)) return fail_status(root, key, CFG_EINPUT, why);
    }
    if (set && !(sw->set = cJSON_Duplicate(set, true))) return fail_nomem(root);

    size_t np = cfg_array_size(root, "parameters", 0,
                               "the parameters varied: each {\"path\" and one of \"values\", \"linear\", \"log\"}, "
                               "or {\"base\": [files]}");
    if (np > SWEEP_MAX_PARAMS) {
        cfg_fail(root, "parameters", "at most %d parameters, got %zu", SWEEP_MAX_PARAMS, np);
        return false;
    }
    if (!(sw->params = calloc(np ? np : 1, sizeof *sw->params))) return fail_nomem(root);
    for (size_t i = 0; i < np; i++) {
        cfg_obj item;
        sw->n_params = i + 1;
        if (!cfg_enter_item(root, "parameters", i, &item) || !read_param(&item, &sw->params[i])) return false;
        for (size_t k = 0; k < i; k++)
            if (strcmp(sw->params[k].path, sw->params[i].path) == 0) {
                char key[64];
                snprintf(key, sizeof key, "parameters[%zu]", i);
                cfg_fail(root, key, "\"%s\" is already varied by parameters[%zu]", sw->params[i].path, k);
                return false;
            }
    }
    /* The keys of an item, registered even when the list is empty. */
    cfg_obj tmpl;
    sweep_param unused = {0};
    cfg_item_template(root, "parameters", &tmpl);
    read_param(&tmpl, &unused);

    sw->combine = cfg_enum(root, "combine", combine_names, SWEEP_CROSS,
                           "how the parameters make points: cross (nested loops in the listed order, the last "
                           "varying fastest) or zip (the i-th value of every list)") == 1
                      ? SWEEP_ZIP
                      : SWEEP_CROSS;
    const cJSON *metrics = cfg_json(root, "metrics", "array:string",
                                    "replica metrics of interest (columns of /replicas); default rto_mean_s, "
                                    "rpo_mean_s, availability_time, lost_revenue");
    if (metrics && cJSON_GetArraySize(metrics) < 1) {
        cfg_fail(root, "metrics", "must be a non-empty list of replica metric names");
        return false;
    }
    size_t nm = metrics ? (size_t)cJSON_GetArraySize(metrics) : sizeof default_metrics / sizeof default_metrics[0];
    if (!(sw->metrics = calloc(nm, sizeof *sw->metrics))) return fail_nomem(root);
    const cJSON *m = metrics ? metrics->child : NULL;
    for (size_t i = 0; i < nm; i++, m = m ? m->next : NULL) {
        const char *metric = m ? m->valuestring : default_metrics[i];
        char key[64];
        snprintf(key, sizeof key, "metrics[%zu]", i);
        if (!sweep_metric_at(root, key, metric)) return false;
        sw->n_metrics = i + 1;
        if (!(sw->metrics[i] = strdup(metric))) return fail_nomem(root);
    }
    sw->baseline_point = (uint32_t)cfg_int(root, "baseline_point", 0, 0, SWEEP_MAX_POINTS - 1,
                                           "the point the others are compared with (summarize, report)");
    return !root->doc->failed;
}

/* ---- expanding the points -------------------------------------------------------------- */

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

/* Base file rel (relative to the sweep file), read once; errors at key. */
static const cJSON *base_get(cfg_obj *root, sweep_spec *sw, base_cache *b, const char *rel, const char *key) {
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->names[i], rel) == 0) return b->docs[i];
    const char *slash = strrchr(sw->file, '/');
    int dir_len = rel[0] == '/' || !slash ? 0 : (int)(slash - sw->file + 1);
    char path[4096 + 256], why[sizeof path + 256];
    snprintf(path, sizeof path, "%.*s%s", dir_len, sw->file, rel);
    char *text = NULL;
    cfg_status st = cfg_read_file(path, &text, why, sizeof why);
    cJSON *doc = NULL;
    if (st == CFG_OK) st = cfg_parse_json(path, text, &doc, why, sizeof why);
    free(text);
    if (st == CFG_OK && !cJSON_IsObject(doc)) {
        snprintf(why, sizeof why, "%s: the top level must be a JSON object", path);
        st = CFG_EINPUT;
    }
    if (st != CFG_OK) {
        cJSON_Delete(doc);
        fail_status(root, key, st, why);
        return NULL;
    }
    char **names = realloc(b->names, (b->n + 1) * sizeof *names);
    if (names) b->names = names;
    cJSON **docs = realloc(b->docs, (b->n + 1) * sizeof *docs);
    if (docs) b->docs = docs;
    char *name = strdup(rel);
    if (!names || !docs || !name || !add_input(sw, path)) {
        free(name);
        cJSON_Delete(doc);
        fail_nomem(root);
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

static bool expand_point(cfg_obj *root, sweep_spec *sw, base_cache *bc, size_t k) {
    sweep_point *pt = &sw->points[k];
    pt->index = (uint32_t)k;
    size_t choice[SWEEP_MAX_PARAMS];
    point_choice(sw, k, choice);
    const char *rel = sw->base;
    char base_key[64] = "base";
    for (size_t i = 0; i < sw->n_params; i++)
        if (sw->params[i].is_base) {
            rel = cJSON_GetArrayItem(sw->params[i].values, (int)choice[i])->valuestring;
            snprintf(base_key, sizeof base_key, "parameters[%zu].base[%zu]", i, choice[i]);
        }
    const cJSON *base = base_get(root, sw, bc, rel, base_key);
    if (!base) return false;
    cJSON *doc = cJSON_Duplicate(base, true), *params = cJSON_CreateObject();
    bool ok = doc && params;
    if (!ok) fail_nomem(root);
    char why[512];
    for (const cJSON *it = sw->set ? sw->set->child : NULL; ok && it; it = it->next) {
        cfg_status st = jpath_set(doc, it->string, it, why, sizeof why);
        if ((ok = st == CFG_OK)) continue;
        char key[CFG_PATH_MAX];
        snprintf(key, sizeof key, "set.%s", it->string);
        fail_status(root, key, st, why);
    }
    for (size_t i = 0; ok && i < sw->n_params; i++) {
        const sweep_param *p = &sw->params[i];
        const cJSON *v = cJSON_GetArrayItem(p->values, (int)choice[i]);
        cJSON *copy = cJSON_Duplicate(v, true);
        if (!copy || !cJSON_AddItemToObject(params, p->path, copy)) {
            cJSON_Delete(copy);
            ok = fail_nomem(root);
            break;
        }
        if (p->is_base) continue;
        cfg_status st = jpath_set(doc, p->path, v, why, sizeof why);
        if ((ok = st == CFG_OK)) continue;
        char key[64];
        snprintf(key, sizeof key, "parameters[%zu].path", i);
        fail_status(root, key, st, why);
    }
    if (ok) {
        pt->parameters = cJSON_PrintUnformatted(params);
        pt->scenario_json = cJSON_Print(doc);
        ok = pt->parameters && pt->scenario_json;
        if (!ok) fail_nomem(root);
    }
    cJSON_Delete(doc);
    cJSON_Delete(params);
    if (!ok) return false;
    cli_sha256_hex(pt->scenario_json, strlen(pt->scenario_json), pt->sha256);
    char label[64], serr[1024];
    snprintf(label, sizeof label, "points[%zu]", k);
    if (!scenario_parse(&pt->sc, label, pt->scenario_json, serr, sizeof serr)) {
        cfg_fail(root, NULL, "%s (point parameters %s)", serr, pt->parameters);
        if (pt->sc.out_of_memory) root->doc->out_of_memory = true;
        return false;
    }
    return true;
}

bool sweep_expand(sweep_spec *sw, cfg_obj *root, const char *text) {
    if (root->doc->failed) return false;
    bool have_base_dim = false;
    for (size_t i = 0; i < sw->n_params; i++) have_base_dim |= sw->params[i].is_base;
    if (!sw->base && !have_base_dim) {
        cfg_fail(root, "base", "is required (a scenario file relative to the sweep file)");
        return false;
    }
    /* Number of points: product (cross) or the common length (zip). */
    uint64_t n_points = 1;
    for (size_t i = 0; i < sw->n_params; i++) {
        const sweep_param *p = &sw->params[i];
        if (sw->combine == SWEEP_ZIP) {
            if (i > 0 && p->n_values != sw->params[0].n_values) {
                char key[64];
                snprintf(key, sizeof key, "parameters[%zu]", i);
                cfg_fail(root, key, "\"zip\" needs lists of equal length: %zu value(s) here, %zu in parameters[0]",
                         p->n_values, sw->params[0].n_values);
                return false;
            }
            n_points = p->n_values;
        } else {
            n_points *= p->n_values;
            if (n_points > SWEEP_MAX_POINTS) break;
        }
    }
    if (n_points > SWEEP_MAX_POINTS) {
        cfg_fail(root, "parameters", "more than %u points", SWEEP_MAX_POINTS);
        return false;
    }
    if (n_points * sw->seeds > SWEEP_MAX_UNITS) {
        cfg_fail(root, "seeds", "%llu points x %llu seeds is more than %llu replicas", (unsigned long long)n_points,
                 (unsigned long long)sw->seeds, SWEEP_MAX_UNITS);
        return false;
    }
    if (sw->baseline_point >= n_points) {
        cfg_fail(root, "baseline_point", "must be a point index in [0, %llu] (the sweep has %llu point(s)), got %u",
                 (unsigned long long)n_points - 1, (unsigned long long)n_points, sw->baseline_point);
        return false;
    }
    if (!(sw->text = strdup(text)) || !(sw->points = calloc((size_t)n_points, sizeof *sw->points)))
        return fail_nomem(root);
    base_cache bc = {0};
    bool ok = true;
    for (size_t k = 0; ok && k < n_points; k++) {
        sw->n_points = k + 1;
        ok = expand_point(root, sw, &bc, k);
    }
    base_cache_free(&bc);
    if (!ok) return false;

    /* The sweep's identity covers what it simulates: its own text and the
     * expanded scenario of every point (so an edited base file is a
     * different sweep even when the sweep file is unchanged). */
    size_t tlen = strlen(text), hlen = tlen + 1 + (size_t)n_points * 65;
    char *h = malloc(hlen);
    if (!h) return fail_nomem(root);
    memcpy(h, text, tlen);
    h[tlen] = '\n';
    for (size_t k = 0; k < n_points; k++) {
        memcpy(h + tlen + 1 + k * 65, sw->points[k].sha256, 64);
        h[tlen + 1 + k * 65 + 64] = '\n';
    }
    cli_sha256_hex(h, hlen, sw->sha256);
    free(h);
    return true;
}

bool sweep_parse(sweep_spec *sw, const char *file, const char *text, char *err, size_t errlen) {
    memset(sw, 0, sizeof *sw);
    cfg_doc doc;
    cJSON *json;
    cfg_obj root;
    bool ok = cfg_open(&doc, file, text, &json, &root) && sweep_read_keys(sw, &root) && cfg_leave(&root) &&
              sweep_expand(sw, &root, text);
    if (!ok) {
        cli_errf(err, errlen, "%s", doc.err);
        sw->out_of_memory = doc.out_of_memory;
    }
    cfg_close(&doc, json);
    return ok;
}

bool sweep_registry(const char *label, bool (*more)(cfg_obj *root, sweep_spec *sw, void *ctx), void *ctx, char ***keys,
                    size_t *n) {
    cfg_doc doc;
    cJSON *json;
    cfg_obj root;
    sweep_spec sw;
    memset(&sw, 0, sizeof sw);
    bool ok =
        cfg_open(&doc, label, "{}", &json, &root) && sweep_read_keys(&sw, &root) && (!more || more(&root, &sw, ctx));
    sweep_free(&sw);
    *keys = ok ? doc.known_keys : NULL;
    *n = ok ? doc.n_known : 0;
    if (ok) doc.known_keys = NULL, doc.n_known = 0;
    cfg_close(&doc, json);
    return ok;
}

bool sweep_known_keys(char ***keys, size_t *n) { return sweep_registry("sweep.json", NULL, NULL, keys, n); }

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
    free(sw->base);
    cJSON_Delete(sw->set);
    memset(sw, 0, sizeof *sw);
}
