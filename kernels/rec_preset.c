/* Model presets: JSON files parsed into a rec_config and what a calibration
 * needs beside it (kernels/rec_preset.h, kernels/models/README.md). */
#include "kernels/rec_preset.h"

#include <cJSON.h>
#include <errno.h>
#include <dirent.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernels/rec_internal.h"
#include "kernels/topk.h"

/* Longest preset file read: the shipped ones are a few KiB. */
#define PRESET_MAX_FILE_BYTES (1 << 20)
/* Rows per bag, at most: DLRM-v2's widest multi-hot feature pools 100. */
#define PRESET_MAX_POOLING 4096
/* Logical rows per table, at most: far above any production table, low
 * enough that rows x width x 4 bytes stays inside int64. */
#define PRESET_MAX_LOGICAL_ROWS ((int64_t)1 << 40)

/* --- parsing ------------------------------------------------------------------ */

typedef struct pctx {
    const char *file;
    char *err;
    size_t errlen;
} pctx;

/* "FILE: PATH: reason"; returns REC_EINVAL. */
static int pfail(const pctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pfail(const pctx *c, const char *path, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fd_verrf_at(c->err, c->errlen, REC_EINVAL, c->file, path, fmt, ap);
    va_end(ap);
    return REC_EINVAL;
}

static void join(char *out, size_t len, const char *prefix, const char *key) {
    snprintf(out, len, "%s%s%s", prefix, *prefix ? "." : "", key);
}

static const char *type_name(const cJSON *v) {
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "something else";
}

/* Every key of obj is one of keys[] and appears once. */
static int check_keys(const pctx *c, const cJSON *obj, const char *prefix, const char *const *keys) {
    char path[256];
    for (const cJSON *k = obj->child; k; k = k->next) {
        join(path, sizeof(path), prefix, k->string);
        int known = 0;
        for (size_t i = 0; keys[i] && !known; i++) known = strcmp(keys[i], k->string) == 0;
        if (!known) return pfail(c, path, "unknown key");
        for (const cJSON *o = obj->child; o != k; o = o->next)
            if (strcmp(o->string, k->string) == 0) return pfail(c, path, "appears twice");
    }
    return REC_OK;
}

/* An integer in [min, max]; a missing key takes def unless required. */
static int get_int(const pctx *c, const cJSON *obj, const char *prefix, const char *key, int required, int64_t def,
                   int64_t min, int64_t max, int64_t *out) {
    char path[256];
    join(path, sizeof(path), prefix, key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        if (required) return pfail(c, path, "missing (an integer in %lld..%lld)", (long long)min, (long long)max);
        *out = def;
        return REC_OK;
    }
    if (!cJSON_IsNumber(v)) return pfail(c, path, "must be an integer, got %s", type_name(v));
    const double d = v->valuedouble;
    if (d != floor(d) || d < (double)min || d > (double)max)
        return pfail(c, path, "must be an integer in %lld..%lld, got %.17g", (long long)min, (long long)max, d);
    *out = (int64_t)d;
    return REC_OK;
}

static int get_str(const pctx *c, const cJSON *obj, const char *prefix, const char *key, int required, char *out,
                   size_t len) {
    char path[256];
    join(path, sizeof(path), prefix, key);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    out[0] = '\0';
    if (!v) return required ? pfail(c, path, "missing (a string)") : REC_OK;
    if (!cJSON_IsString(v)) return pfail(c, path, "must be a string, got %s", type_name(v));
    if (strlen(v->valuestring) >= len) return pfail(c, path, "longer than %zu characters", len - 1);
    snprintf(out, len, "%s", v->valuestring);
    return REC_OK;
}

/* An MLP's output widths: 1..REC_MAX_LAYERS integers in 1..65536, the last
 * equal to `last`. */
static int get_widths(const pctx *c, const cJSON *obj, const char *prefix, const char *key, int32_t last,
                      const char *last_what, int32_t *n, int32_t *w) {
    char path[256], item[288];
    join(path, sizeof(path), prefix, key);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!a) return pfail(c, path, "missing (an array of layer widths)");
    if (!cJSON_IsArray(a)) return pfail(c, path, "must be an array of layer widths, got %s", type_name(a));
    const int size = cJSON_GetArraySize(a);
    if (size < 1 || size > REC_MAX_LAYERS)
        return pfail(c, path, "must have 1..%d layers, got %d", REC_MAX_LAYERS, size);
    int i = 0;
    for (const cJSON *v = a->child; v; v = v->next, i++) {
        snprintf(item, sizeof(item), "%s[%d]", path, i);
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
            v->valuedouble > 65536)
            return pfail(c, item, "must be an integer width in 1..65536");
        w[i] = (int32_t)v->valuedouble;
    }
    if (w[size - 1] != last)
        return pfail(c, item, "the last layer must be %s (%d), got %d", last_what, last, w[size - 1]);
    *n = size;
    return REC_OK;
}

/* A preset name is a file name too: letters, digits and "+._-". */
static int name_ok(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("+._-", *s)))
            return 0;
    return 1;
}

static int parse_tables(const pctx *c, const cJSON *ranking, rec_preset *p) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(ranking, "tables");
    if (!a) return pfail(c, "ranking.tables", "missing (an array of {rows, pooling})");
    if (!cJSON_IsArray(a)) return pfail(c, "ranking.tables", "must be an array, got %s", type_name(a));
    const int n = cJSON_GetArraySize(a);
    if (n < 1 || n > REC_MAX_TABLES)
        return pfail(c, "ranking.tables", "must have 1..%d tables (REC_MAX_TABLES), got %d", REC_MAX_TABLES, n);
    static const char *const keys[] = {"name", "rows", "pooling", NULL};
    int t = 0;
    for (const cJSON *v = a->child; v; v = v->next, t++) {
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "ranking.tables[%d]", t);
        if (!cJSON_IsObject(v)) return pfail(c, prefix, "must be an object {rows, pooling}, got %s", type_name(v));
        int64_t rows = 0, pool = 0;
        int rc = check_keys(c, v, prefix, keys);
        if (!rc) rc = get_str(c, v, prefix, "name", 0, p->table_name[t], sizeof(p->table_name[t]));
        if (!rc) rc = get_int(c, v, prefix, "rows", 1, 0, 1, PRESET_MAX_LOGICAL_ROWS, &rows);
        if (!rc) rc = get_int(c, v, prefix, "pooling", 1, 0, 1, PRESET_MAX_POOLING, &pool);
        if (rc) return rc;
        p->logical_rows[t] = rows;
        p->cfg.table_rows[t] = rows > INT32_MAX ? INT32_MAX : (int32_t)rows;
        p->pooling[t] = (int32_t)pool;
    }
    p->cfg.n_tables = n;
    return REC_OK;
}

static int parse_root(const pctx *c, const cJSON *root, rec_preset *p) {
    static const char *const keys[] = {"name",           "description",   "source", "interaction",
                                       "dense_features", "embedding_dim", "top_k",  "candidates_per_query",
                                       "retrieval",      "ranking",       NULL};
    if (!cJSON_IsObject(root)) return pfail(c, "(top)", "must be an object, got %s", type_name(root));
    int rc = check_keys(c, root, "", keys);
    if (!rc) rc = get_str(c, root, "", "name", 1, p->name, sizeof(p->name));
    if (!rc && !name_ok(p->name)) rc = pfail(c, "name", "use letters, digits and + . _ - only, got '%s'", p->name);
    if (!rc) rc = get_str(c, root, "", "description", 0, p->description, sizeof(p->description));
    char scratch[512];
    if (!rc) rc = get_str(c, root, "", "source", 0, scratch, sizeof(scratch));
    char interaction[32];
    if (!rc) rc = get_str(c, root, "", "interaction", 0, interaction, sizeof(interaction));
    if (!rc && interaction[0] && strcmp(interaction, "dot") != 0)
        rc = pfail(c, "interaction",
                   "only \"dot\" is implemented (DLRM's pairwise dot products; a DCN-v2 cross "
                   "network is out of scope), got \"%s\"",
                   interaction);
    int64_t dense = 0, dim = 0, top_k = 0, cand = 0;
    if (!rc) rc = get_int(c, root, "", "dense_features", 1, 0, 1, 65536, &dense);
    if (!rc) rc = get_int(c, root, "", "embedding_dim", 1, 0, 1, REC_MAX_EMB_DIM, &dim);
    if (!rc) rc = get_int(c, root, "", "top_k", 0, 10, 1, REC_MAX_TOPK, &top_k);
    if (!rc) rc = get_int(c, root, "", "candidates_per_query", 1, 0, 1, 1 << 20, &cand);
    if (rc) return rc;
    rec_config *cfg = &p->cfg;
    cfg->dense_dim = (int32_t)dense;
    cfg->emb_dim = (int32_t)dim;
    cfg->top_k = (int32_t)top_k;
    p->candidates = (int32_t)cand;

    const cJSON *ranking = cJSON_GetObjectItemCaseSensitive(root, "ranking");
    if (!ranking) return pfail(c, "ranking", "missing (an object {tables, bottom_mlp, top_mlp})");
    if (!cJSON_IsObject(ranking)) return pfail(c, "ranking", "must be an object, got %s", type_name(ranking));
    static const char *const rkeys[] = {"tables", "bottom_mlp", "top_mlp", NULL};
    rc = check_keys(c, ranking, "ranking", rkeys);
    if (!rc) rc = parse_tables(c, ranking, p);
    if (!rc)
        rc = get_widths(c, ranking, "ranking", "bottom_mlp", cfg->emb_dim, "embedding_dim", &cfg->bottom_layers,
                        cfg->bottom_width);
    if (!rc) rc = get_widths(c, ranking, "ranking", "top_mlp", 1, "one logit", &cfg->top_layers, cfg->top_width);
    if (rc) return rc;

    const cJSON *retrieval = cJSON_GetObjectItemCaseSensitive(root, "retrieval");
    if (!retrieval || cJSON_IsNull(retrieval)) {
        /* No retrieval stage (a ranking-only preset such as dlrm-v2). The
         * kernels' model always has one (rec_config_validate wants an item
         * table), so it gets a single item and a one-layer tower; the
         * calibration ranks only and never calls retrieval on them. */
        p->has_retrieval = 0;
        p->catalogue_rows = 0;
        cfg->n_items = 1;
        cfg->user_layers = 1;
        cfg->user_width[0] = cfg->emb_dim;
        return REC_OK;
    }
    if (!cJSON_IsObject(retrieval))
        return pfail(c, "retrieval", "must be an object {catalogue_items, user_mlp} or null, got %s",
                     type_name(retrieval));
    static const char *const qkeys[] = {"catalogue_items", "user_mlp", NULL};
    int64_t items = 0;
    rc = check_keys(c, retrieval, "retrieval", qkeys);
    if (!rc) rc = get_int(c, retrieval, "retrieval", "catalogue_items", 1, 0, 1, INT32_MAX, &items);
    if (!rc)
        rc = get_widths(c, retrieval, "retrieval", "user_mlp", cfg->emb_dim, "embedding_dim", &cfg->user_layers,
                        cfg->user_width);
    if (rc) return rc;
    if (p->candidates > REC_MAX_TOPK)
        return pfail(c, "candidates_per_query",
                     "retrieval finds at most %d candidates per query (REC_MAX_TOPK), got %d", REC_MAX_TOPK,
                     p->candidates);
    if (items < p->candidates)
        return pfail(c, "retrieval.catalogue_items", "must be at least candidates_per_query (%d), got %lld",
                     p->candidates, (long long)items);
    p->has_retrieval = 1;
    p->catalogue_rows = items;
    cfg->n_items = (int32_t)items;
    return REC_OK;
}

static void line_col(const char *text, const char *at, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (const char *s = text; s < at && *s; s++) {
        if (*s == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

int rec_preset_parse(const char *file, const char *text, rec_preset *out, char *err, size_t errlen) {
    memset(out, 0, sizeof(*out));
    const pctx c = {file, err, errlen};
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        int line, col;
        line_col(text, end ? end : text, &line, &col);
        return fd_errf(err, errlen, REC_EINVAL, "%s: line %d, column %d: not valid JSON", file, line, col);
    }
    int rc = parse_root(&c, root, out);
    cJSON_Delete(root);
    if (!rc) {
        char why[256] = "";
        if (rec_config_validate(&out->cfg, why, sizeof(why)) != REC_OK)
            rc = fd_errf(err, errlen, REC_EINVAL, "%s: %s", file, why);
    }
    if (!rc) snprintf(out->path, sizeof(out->path), "%s", file);
    return rc;
}

int rec_preset_load(const char *path, rec_preset *out, char *err, size_t errlen) {
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "rb");
    if (!f) return fd_errf(err, errlen, REC_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *text = malloc(PRESET_MAX_FILE_BYTES + 1);
    if (!text) {
        fclose(f);
        return fd_errf(err, errlen, REC_ENOMEM, "%s: out of memory", path);
    }
    const size_t n = fread(text, 1, PRESET_MAX_FILE_BYTES + 1, f);
    const int bad = ferror(f);
    fclose(f);
    int rc;
    if (bad)
        rc = fd_errf(err, errlen, REC_EIO, "%s: cannot read", path);
    else if (n > PRESET_MAX_FILE_BYTES)
        rc = fd_errf(err, errlen, REC_EINVAL, "%s: larger than %d bytes: not a model preset", path,
                     PRESET_MAX_FILE_BYTES);
    else {
        text[n] = '\0';
        rc = rec_preset_parse(path, text, out, err, errlen);
    }
    free(text);
    return rc;
}

/* --- finding a preset ------------------------------------------------------------ */

static int ends_with(const char *s, const char *tail) {
    const size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

/* dirname(dirname(/proc/self/exe))/REC_PRESET_DIR: the repository of a
 * build/firedrill run from elsewhere. */
static int dir_beside_exe(char *out, size_t len) {
    char exe[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash) return 0;
        *slash = '\0';
    }
    const int w = snprintf(out, len, "%s/%s", exe[0] ? exe : "", REC_PRESET_DIR);
    return w > 0 && (size_t)w < len;
}

/* "a, b, c" of the *.json stems in dir, sorted. */
static void list_presets(const char *dir, char *out, size_t len) {
    out[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) return;
    char names[32][REC_PRESET_NAME_MAX];
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 32;) {
        const size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".json") || l - 5 >= REC_PRESET_NAME_MAX) continue;
        snprintf(names[n++], REC_PRESET_NAME_MAX, "%.*s", (int)(l - 5), e->d_name);
    }
    closedir(d);
    for (int i = 1; i < n; i++) /* insertion sort: a handful of names */
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[REC_PRESET_NAME_MAX];
            memcpy(t, names[j], sizeof(t));
            memcpy(names[j], names[j - 1], sizeof(t));
            memcpy(names[j - 1], t, sizeof(t));
        }
    size_t used = 0;
    for (int i = 0; i < n && used < len; i++) {
        const int w = snprintf(out + used, len - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

int rec_preset_find(const char *name, char *path, size_t len, char *err, size_t errlen) {
    if (!name || !*name) return fd_errf(err, errlen, REC_EINVAL, "model preset: empty name");
    if (strchr(name, '/') || ends_with(name, ".json")) {
        if (snprintf(path, len, "%s", name) >= (int)len)
            return fd_errf(err, errlen, REC_EINVAL, "%s: path too long", name);
        return REC_OK;
    }
    char dirs[3][PATH_MAX];
    int n = 0;
    const char *env = getenv("FIREDRILL_MODELS_DIR");
    if (env && *env) snprintf(dirs[n++], PATH_MAX, "%s", env);
    snprintf(dirs[n++], PATH_MAX, "%s", REC_PRESET_DIR);
    if (dir_beside_exe(dirs[n], PATH_MAX)) n++;
    for (int i = 0; i < n; i++) {
        if (snprintf(path, len, "%s/%s.json", dirs[i], name) >= (int)len) continue;
        if (access(path, R_OK) == 0) return REC_OK;
    }
    char known[512] = "";
    for (int i = 0; i < n && !known[0]; i++) list_presets(dirs[i], known, sizeof(known));
    return fd_errf(err, errlen, REC_EINVAL, "model preset '%s': no %s.json in %s%s%s (presets there: %s)", name, name,
                   dirs[0], n > 1 ? ", " : "", n > 1 ? dirs[n - 1] : "", known[0] ? known : "none");
}

int rec_preset_open(const char *name, rec_preset *out, char *err, size_t errlen) {
    char path[PATH_MAX];
    int rc = rec_preset_find(name, path, sizeof(path), err, errlen);
    if (rc) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    return rec_preset_load(path, out, err, errlen);
}

/* --- sizing ------------------------------------------------------------------------ */

static int64_t row_bytes(const rec_config *cfg) { return (int64_t)cfg->emb_dim * (int64_t)sizeof(float); }

int64_t rec_preset_logical_bytes(const rec_preset *p) {
    int64_t rows = p->has_retrieval ? p->catalogue_rows : 0;
    for (int32_t t = 0; t < p->cfg.n_tables; t++) rows += p->logical_rows[t];
    return rows * row_bytes(&p->cfg);
}

int rec_preset_size(const rec_preset *p, int64_t budget_bytes, rec_config *cfg, rec_preset_sizing *out, char *err,
                    size_t errlen) {
    *cfg = p->cfg;
    memset(out, 0, sizeof(*out));
    const int64_t rb = row_bytes(&p->cfg);
    const int32_t T = p->cfg.n_tables;
    if (budget_bytes < 1) return fd_errf(err, errlen, REC_EINVAL, "memory budget: must be >= 1 byte");
    /* Tables at or below the minimum keep every row; the rest scale by one
     * factor, those that would fall below the minimum are held there, and
     * the factor is recomputed over the others until none falls. */
    int held[REC_MAX_TABLES];
    int64_t fixed_rows = (int64_t)cfg->n_items; /* the catalogue (one row without retrieval) is never scaled */
    for (int32_t t = 0; t < T; t++) {
        held[t] = p->logical_rows[t] <= REC_PRESET_MIN_ROWS;
        if (held[t]) fixed_rows += p->logical_rows[t];
    }
    double scale = 1.0;
    for (int round = 0; round <= T; round++) {
        int64_t free_rows = 0, held_rows = fixed_rows;
        for (int32_t t = 0; t < T; t++)
            if (!held[t])
                free_rows += p->logical_rows[t];
            else if (p->logical_rows[t] > REC_PRESET_MIN_ROWS)
                held_rows += REC_PRESET_MIN_ROWS;
        const double avail_rows = (double)budget_bytes / (double)rb - (double)held_rows;
        if (avail_rows < 0 || (free_rows > 0 && avail_rows < 1))
            return fd_errf(err, errlen, REC_EINVAL,
                           "memory budget %lld bytes: preset '%s' needs at least %lld (the catalogue and %d rows "
                           "of each table)",
                           (long long)budget_bytes, p->name,
                           (long long)((held_rows + (free_rows > 0 ? REC_PRESET_MIN_ROWS : 0)) * rb),
                           REC_PRESET_MIN_ROWS);
        scale = free_rows > 0 && avail_rows < (double)free_rows ? avail_rows / (double)free_rows : 1.0;
        int moved = 0;
        for (int32_t t = 0; t < T; t++)
            if (!held[t] && floor((double)p->logical_rows[t] * scale) < REC_PRESET_MIN_ROWS) held[t] = moved = 1;
        if (!moved) break;
    }
    int64_t rows_in_memory = cfg->n_items;
    for (int32_t t = 0; t < T; t++) {
        int64_t r = p->logical_rows[t];
        if (held[t])
            r = r < REC_PRESET_MIN_ROWS ? r : REC_PRESET_MIN_ROWS;
        else
            r = (int64_t)floor((double)r * scale);
        if (r > INT32_MAX) /* a budget this large asks more than an int32 table holds */
            return fd_errf(err, errlen, REC_EINVAL,
                           "memory budget %lld bytes: table %d would keep %lld rows, more than %d",
                           (long long)budget_bytes, t, (long long)r, INT32_MAX);
        cfg->table_rows[t] = (int32_t)r;
        rows_in_memory += r;
    }
    out->budget_bytes = budget_bytes;
    out->table_bytes = rows_in_memory * rb;
    out->logical_bytes = rec_preset_logical_bytes(p);
    out->scale = scale;
    return REC_OK;
}

void rec_preset_cost(const rec_preset *p, const rec_config *cfg, int32_t candidates, double *flops,
                     double *gather_bytes) {
    rec_layout lay;
    rec_layout_build(cfg, &lay);
    const double per_sample = rec_mlp_macs_per_sample(&lay.bottom) + rec_mlp_macs_per_sample(&lay.top) +
                              (double)lay.n_pairs * (double)cfg->emb_dim;
    double macs = per_sample * candidates;
    if (p->has_retrieval) macs += rec_mlp_macs_per_sample(&lay.user) + (double)cfg->n_items * (double)cfg->emb_dim;
    int64_t pooled = 0;
    for (int32_t t = 0; t < cfg->n_tables; t++) pooled += p->pooling[t];
    *flops = 2.0 * macs;
    *gather_bytes = (double)candidates * (double)pooled * (double)cfg->emb_dim * sizeof(float);
}

/* --- serving queries ----------------------------------------------------------------- */

struct rec_preset_queries {
    rec_config cfg;
    int has_retrieval;
    int32_t item_table; /* the ranking table keyed by the candidate's item id */
    int32_t queries, candidates;
    int32_t pooling[REC_MAX_TABLES];
    rec_retrieval_input retr;
    rec_ranking_input rank;
    float *query_dense; /* queries x dense_dim */
    float *cand_dense;  /* queries x candidates x dense_dim */
    int32_t *offsets[REC_MAX_TABLES];
    int32_t *indices[REC_MAX_TABLES];
    int32_t *cand_ids; /* queries x candidates: retrieved items */
    float *cand_scores;
    float *scores; /* queries x candidates: click probabilities */
    int32_t batch_ids[REC_MAX_TOPK];
    float batch_top[REC_MAX_TOPK];
};

void rec_preset_queries_free(rec_preset_queries *q) {
    if (!q) return;
    for (int32_t t = 0; t < REC_MAX_TABLES; t++) {
        free(q->offsets[t]);
        free(q->indices[t]);
    }
    free(q->query_dense);
    free(q->cand_dense);
    free(q->cand_ids);
    free(q->cand_scores);
    free(q->scores);
    free(q);
}

int rec_preset_queries_create(const rec_preset *p, const rec_config *cfg, int32_t queries, int32_t candidates,
                              uint64_t seed, rec_preset_queries **out, char *err, size_t errlen) {
    *out = NULL;
    int rc = rec_config_validate(cfg, err, errlen);
    if (rc) return rc;
    if (cfg->n_tables != p->cfg.n_tables || cfg->emb_dim != p->cfg.emb_dim)
        return fd_errf(err, errlen, REC_EINVAL, "preset '%s': config is not of this preset", p->name);
    if (queries < 1 || candidates < 1)
        return fd_errf(err, errlen, REC_EINVAL, "queries and candidates must be >= 1, got %d and %d", queries,
                       candidates);
    if ((int64_t)queries * candidates > INT32_MAX / PRESET_MAX_POOLING)
        return fd_errf(err, errlen, REC_EINVAL, "%d queries x %d candidates: too many samples in one batch", queries,
                       candidates);
    if (p->has_retrieval && (candidates > REC_MAX_TOPK || candidates > cfg->n_items))
        return fd_errf(err, errlen, REC_EINVAL,
                       "candidates: preset '%s' retrieves them, at most %d per query (REC_MAX_TOPK) and at most "
                       "its %d catalogue items, got %d",
                       p->name, REC_MAX_TOPK, cfg->n_items, candidates);
    rec_preset_queries *q = calloc(1, sizeof(*q));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    const size_t S = (size_t)queries * (size_t)candidates, dd = (size_t)cfg->dense_dim;
    if (!q || !r) goto oom;
    q->cfg = *cfg;
    q->has_retrieval = p->has_retrieval;
    q->item_table = 0;
    q->queries = queries;
    q->candidates = candidates;
    memcpy(q->pooling, p->pooling, sizeof(q->pooling));
    gsl_rng_set(r, (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffUL));
    q->query_dense = malloc((size_t)queries * dd * sizeof(float));
    q->cand_dense = malloc(S * dd * sizeof(float));
    q->scores = malloc(S * sizeof(float));
    q->cand_ids = malloc(S * sizeof(int32_t));
    q->cand_scores = malloc(S * sizeof(float));
    if (!q->query_dense || !q->cand_dense || !q->scores || !q->cand_ids || !q->cand_scores) goto oom;
    for (size_t i = 0; i < (size_t)queries * dd; i++) q->query_dense[i] = (float)gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < S * dd; i++) q->cand_dense[i] = (float)gsl_ran_gaussian(r, 1.0);
    for (size_t i = 0; i < S; i++) q->cand_ids[i] = (int32_t)(i % (size_t)candidates);
    for (int32_t t = 0; t < cfg->n_tables; t++) {
        const size_t pool = (size_t)p->pooling[t];
        q->offsets[t] = malloc((S + 1) * sizeof(int32_t));
        q->indices[t] = malloc((S * pool + 1) * sizeof(int32_t));
        if (!q->offsets[t] || !q->indices[t]) goto oom;
        for (size_t s = 0; s <= S; s++) q->offsets[t][s] = (int32_t)(s * pool);
        for (size_t i = 0; i < S * pool; i++)
            q->indices[t][i] = (int32_t)gsl_rng_uniform_int(r, (unsigned long)cfg->table_rows[t]);
        q->rank.sparse[t].offsets = q->offsets[t];
        q->rank.sparse[t].indices = q->indices[t];
    }
    q->retr.batch = queries;
    q->retr.dense = q->query_dense;
    q->retr.k = candidates;
    q->rank.batch = (int32_t)S;
    q->rank.dense = q->cand_dense;
    q->rank.k = 1;
    gsl_rng_free(r);
    *out = q;
    return REC_OK;
oom:
    gsl_rng_free(r);
    rec_preset_queries_free(q);
    return fd_errf(err, errlen, REC_ENOMEM, "synthetic queries: out of memory for %d x %d", queries, candidates);
}

int rec_preset_queries_run(rec_model *m, rec_preset_queries *q, int32_t k, int32_t *top_ids, float *top_scores,
                           char *err, size_t errlen) {
    if (k < 1 || k > REC_MAX_TOPK)
        return fd_errf(err, errlen, REC_EINVAL, "queries: k must be in 1..%d, got %d", REC_MAX_TOPK, k);
    const rec_config *mc = rec_model_config(m);
    if (mc->n_tables != q->cfg.n_tables || mc->emb_dim != q->cfg.emb_dim || mc->n_items != q->cfg.n_items)
        return fd_errf(err, errlen, REC_EINVAL, "queries: the model is not the one they were made for");
    const int32_t N = q->candidates, Q = q->queries;
    int rc;
    if (q->has_retrieval) {
        rec_retrieval_output ro = {q->cand_ids, q->cand_scores, NULL, NULL};
        rc = rec_retrieve(m, &q->retr, &ro, err, errlen);
        if (rc) return rc;
        /* Each candidate's item-id feature is the item retrieval found. */
        const int32_t t = q->item_table, pool = q->pooling[t], rows = q->cfg.table_rows[t];
        for (int64_t s = 0; s < (int64_t)Q * N; s++) q->indices[t][s * pool] = q->cand_ids[s] % rows;
    }
    rec_ranking_output out = {q->scores, q->batch_ids, q->batch_top};
    rc = rec_rank(m, &q->rank, &out, err, errlen);
    if (rc) return rc;
    for (int32_t i = 0; i < Q; i++) {
        int32_t *ids = top_ids + (int64_t)i * k;
        rec_topk(q->scores + (int64_t)i * N, N, k, ids, top_scores + (int64_t)i * k);
        if (q->has_retrieval)
            for (int32_t j = 0; j < k; j++)
                if (ids[j] >= 0) ids[j] = q->cand_ids[(int64_t)i * N + ids[j]];
    }
    return REC_OK;
}

const float *rec_preset_queries_scores(const rec_preset_queries *q) { return q->scores; }
const int32_t *rec_preset_queries_candidates(const rec_preset_queries *q) { return q->cand_ids; }
const float *rec_preset_queries_candidate_scores(const rec_preset_queries *q) { return q->cand_scores; }

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int rec_preset_queries_time(rec_model *m, rec_preset_queries *q, int32_t k, int warmup, int repeats, double *times_s,
                            char *err, size_t errlen) {
    if (warmup < 0 || repeats < 1)
        return fd_errf(err, errlen, REC_EINVAL, "queries: need warmup >= 0 and repeats >= 1");
    int32_t *ids = malloc((size_t)q->queries * (size_t)(k > 0 ? k : 1) * sizeof(int32_t));
    float *top = malloc((size_t)q->queries * (size_t)(k > 0 ? k : 1) * sizeof(float));
    int rc = ids && top ? REC_OK : fd_errf(err, errlen, REC_ENOMEM, "queries: out of memory");
    for (int r = 0; !rc && r < warmup + repeats; r++) {
        const double t0 = mono_s();
        rc = rec_preset_queries_run(m, q, k, ids, top, err, errlen);
        if (r >= warmup) times_s[r - warmup] = mono_s() - t0;
    }
    if (!rc) qsort(times_s, (size_t)repeats, sizeof(double), cmp_double);
    free(ids);
    free(top);
    return rc;
}
