/* `firedrill merge`: joins the shard files of one sweep into the file the
 * unsharded sweep writes. Shards are read through the one results reader,
 * analysis/h5in.h (columns by name; integers, u64 seeds above 2^53
 * included, exactly), and written through sim/h5out.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/h5in.h"
#include "sim/cli.h"
#include "sim/commands.h"
#include "sim/engine/limits.h"
#include "sim/h5out.h"
#include "sim/sweep.h"
#include "util/fd_status.h"

static const char merge_usage[] = "usage: firedrill merge OUT.h5 SHARD.h5... [--quiet]\n"
                                  "\n"
                                  "Joins the shard files of one sweep (firedrill sweep --shard K/N) into OUT.h5, the\n"
                                  "file the unsharded sweep writes. Checks that every shard belongs to the same sweep\n"
                                  "(SHA-256), that shards 0..N-1 are all present once and each is complete.\n"
                                  "Exit status 2 when a shard is missing, foreign, repeated, incomplete or not a\n"
                                  "sweep file (nothing is written), 1 when OUT.h5 cannot be written.\n";

/* Everything of a shard file but its tables; strings malloc'ed. */
typedef struct shard_meta {
    char *name, *sha256, *spec, *combine, *metrics_json;
    char *scenario_name, *scenario_sha256, *scenario_given, *scenario_resolved, *backend;
    uint64_t n_points, seeds, first_seed, baseline_point, shard_index, shard_count;
    h5out_point *points; /* n_points rows */
} shard_meta;

static void shard_meta_free(shard_meta *s) {
    char **strs[] = {
        &s->name,          &s->sha256,          &s->spec,           &s->combine,           &s->metrics_json,
        &s->scenario_name, &s->scenario_sha256, &s->scenario_given, &s->scenario_resolved, &s->backend};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) free(*strs[i]);
    for (size_t i = 0; s->points && i < s->n_points; i++) {
        free(s->points[i].parameters);
        free(s->points[i].scenario);
    }
    free(s->points);
    memset(s, 0, sizeof *s);
}

/* /points: n_points rows, each with its index, scenario SHA-256,
 * parameters and scenario. */
static int read_points(h5in_file *f, shard_meta *s, char *err, size_t errlen) {
    const char *path = h5in_path(f);
    h5in_table t;
    int rc = h5in_table_read(f, "points", &t, err, errlen);
    if (rc != FD_OK) return rc;
    const h5in_column *ic = h5in_column_find(&t, "point"), *hc = h5in_column_find(&t, "scenario_sha256");
    const h5in_column *pc = h5in_column_find(&t, "parameters"), *sc = h5in_column_find(&t, "scenario");
    if (t.n_rows != s->n_points || !ic || ic->is_string || !hc || !hc->is_string || !pc || !pc->is_string || !sc ||
        !sc->is_string) {
        h5in_table_free(&t);
        return fd_errf(err, errlen, FD_EINPUT,
                       "%s: /points is not %llu rows of (point, scenario_sha256, parameters, "
                       "scenario)",
                       path, (unsigned long long)s->n_points);
    }
    s->points = calloc(s->n_points ? s->n_points : 1, sizeof *s->points);
    if (!s->points) rc = fd_errf(err, errlen, FD_ENOMEM, "%s: out of memory reading /points", path);
    for (size_t i = 0; rc == FD_OK && i < t.n_rows; i++) {
        h5out_point *p = &s->points[i];
        uint64_t index;
        if (!h5in_u64_at(ic, i, &index) || index > UINT32_MAX) {
            rc = fd_errf(err, errlen, FD_EINPUT, "%s: /points row %zu: bad point index", path, i);
            break;
        }
        p->point = (uint32_t)index;
        snprintf(p->scenario_sha256, sizeof p->scenario_sha256, "%s", h5in_string_at(hc, i));
        const char *params = h5in_string_at(pc, i);
        p->parameters = strdup(params[0] ? params : "{}");
        p->scenario = strdup(h5in_string_at(sc, i));
        if (!p->parameters || !p->scenario)
            rc = fd_errf(err, errlen, FD_ENOMEM, "%s: out of memory reading /points", path);
    }
    h5in_table_free(&t);
    return rc;
}

/* The sweep attributes, texts and /points of a shard file. */
static int read_meta(h5in_file *f, shard_meta *s, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    const char *path = h5in_path(f);
    struct {
        const char *name;
        uint64_t *out;
    } nums[] = {{"sweep_points", &s->n_points},       {"sweep_seeds", &s->seeds},
                {"sweep_first_seed", &s->first_seed}, {"baseline_point", &s->baseline_point},
                {"shard_index", &s->shard_index},     {"shard_count", &s->shard_count}};
    char *sha = NULL;
    bool is_sweep = h5in_attr_string(f, "sweep_sha256", &sha, err, errlen) == FD_OK;
    s->sha256 = sha;
    for (size_t i = 0; is_sweep && i < sizeof nums / sizeof nums[0]; i++)
        is_sweep = h5in_attr_u64(f, nums[i].name, nums[i].out);
    if (!is_sweep)
        return fd_errf(err, errlen, FD_EINPUT, "%s: not a sweep file (no sweep_sha256/sweep_points/shard_* attributes)",
                       path);
    struct {
        const char *name;
        char **out;
        bool dataset;
    } texts[] = {{"sweep_name", &s->name, false},
                 {"sweep_combine", &s->combine, false},
                 {"sweep_metrics", &s->metrics_json, false},
                 {"scenario_name", &s->scenario_name, false},
                 {"scenario_sha256", &s->scenario_sha256, false},
                 {"backend", &s->backend, false},
                 {"/sweep/spec", &s->spec, true},
                 {"/scenario/given", &s->scenario_given, true},
                 {"/scenario/resolved", &s->scenario_resolved, true}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int rc = texts[i].dataset ? h5in_string_dataset(f, texts[i].name, texts[i].out, err, errlen)
                                  : h5in_attr_string(f, texts[i].name, texts[i].out, err, errlen);
        if (rc != FD_OK)
            return fd_errf(err, errlen, FD_EINPUT, "%s: incomplete sweep file (no readable %s)", path, texts[i].name);
    }
    return read_points(f, s, err, errlen);
}

/* The rows of table `name` as records of a field table: every field must be
 * a column of its kind (numbers as numbers, unsigned integers exactly). *rows
 * is malloc'ed (n rows). */
static int read_records(h5in_file *f, const char *name, const metric_field *fields, size_t n_fields, size_t record_size,
                        void **rows, size_t *n, char *err, size_t errlen) {
    *rows = NULL;
    *n = 0;
    const char *path = h5in_path(f);
    h5in_table t;
    int rc = h5in_table_read(f, name, &t, err, errlen);
    if (rc != FD_OK) return rc;
    unsigned char *buf = calloc(t.n_rows ? t.n_rows : 1, record_size);
    if (!buf) rc = fd_errf(err, errlen, FD_ENOMEM, "%s: out of memory reading /%s", path, name);
    for (size_t k = 0; rc == FD_OK && k < n_fields; k++) {
        const metric_field *fd = &fields[k];
        const h5in_column *c = h5in_column_find(&t, fd->name);
        if (!c || c->is_string != (fd->type == METRIC_STR)) {
            rc = fd_errf(err, errlen, FD_EINPUT, "%s: /%s has no %s column %s (written by another firedrill version?)",
                         path, name, fd->type == METRIC_STR ? "string" : "numeric", fd->name);
            break;
        }
        static const uint64_t max[] = {[METRIC_U64] = UINT64_MAX, [METRIC_U32] = UINT32_MAX, [METRIC_U8] = UINT8_MAX};
        for (size_t r = 0; rc == FD_OK && r < t.n_rows; r++) {
            unsigned char *cell = buf + r * record_size + fd->offset;
            uint64_t u = 0;
            if (fd->type == METRIC_STR)
                snprintf((char *)cell, fd->size, "%s", h5in_string_at(c, r));
            else if (fd->type == METRIC_F64)
                memcpy(cell, &c->values[r], sizeof(double));
            else if (!h5in_u64_at(c, r, &u) || u > max[fd->type])
                rc = fd_errf(err, errlen, FD_EINPUT, "%s: /%s row %zu: %s is not an unsigned integer of its width",
                             path, name, r, fd->name);
            else if (fd->type == METRIC_U64)
                memcpy(cell, &u, sizeof u);
            else if (fd->type == METRIC_U32) {
                uint32_t v = (uint32_t)u;
                memcpy(cell, &v, sizeof v);
            } else
                *cell = (uint8_t)u;
        }
    }
    if (rc == FD_OK) {
        *rows = buf;
        *n = t.n_rows;
    } else
        free(buf);
    h5in_table_free(&t);
    return rc;
}

/* One shard's /replicas and /incidents into the unit slots of the sweep. */
typedef struct merge_state {
    const shard_meta *first;
    uint64_t n_units;
    replica_metrics *rows;
    incident_record **inc;
    size_t *n_inc;
    unsigned char *have, *shard_seen;
} merge_state;

static bool unit_of(const merge_state *m, uint32_t point, uint64_t seed, uint64_t *u) {
    const shard_meta *s = m->first;
    if (point >= s->n_points || seed < s->first_seed || seed - s->first_seed >= s->seeds) return false;
    *u = point * s->seeds + (seed - s->first_seed);
    return true;
}

static int merge_shard(merge_state *m, h5in_file *f, const shard_meta *s, char *err, size_t errlen) {
    const char *path = h5in_path(f);
    uint64_t k = s->shard_index, n = m->first->shard_count;
    if (k >= n)
        return fd_errf(err, errlen, FD_EINPUT, "%s: bad sweep attributes (shard %llu/%llu)", path,
                       (unsigned long long)k, (unsigned long long)n);
    if (m->shard_seen[k])
        return fd_errf(err, errlen, FD_EINPUT, "%s: shard %llu/%llu is given twice", path, (unsigned long long)k,
                       (unsigned long long)n);
    m->shard_seen[k] = 1;
    replica_metrics *r = NULL;
    incident_record *ir = NULL;
    size_t nr = 0, ni = 0;
    int rc = read_records(f, "replicas", replica_metric_fields, replica_metric_field_count, sizeof *r, (void **)&r, &nr,
                          err, errlen);
    if (rc == FD_OK)
        rc = read_records(f, "incidents", incident_fields, incident_field_count, sizeof *ir, (void **)&ir, &ni, err,
                          errlen);
    uint64_t expect = 0;
    for (uint64_t u = k; u < m->n_units; u += n) expect++;
    if (rc == FD_OK && nr != expect)
        rc = fd_errf(err, errlen, FD_EINPUT, "%s: shard %llu/%llu has %zu replicas, expected %llu (incomplete?)", path,
                     (unsigned long long)k, (unsigned long long)n, nr, (unsigned long long)expect);
    for (size_t i = 0; rc == FD_OK && i < nr; i++) {
        uint64_t u = 0;
        bool in_range = unit_of(m, r[i].point, r[i].seed, &u);
        if (!in_range || u % n != k || m->have[u])
            rc = fd_errf(err, errlen, FD_EINPUT, "%s: replica (point %u, seed %llu) %s", path, (unsigned)r[i].point,
                         (unsigned long long)r[i].seed,
                         !in_range    ? "is outside the sweep"
                         : u % n != k ? "belongs to another shard"
                                      : "appears twice");
        else {
            m->have[u] = 1;
            m->rows[u] = r[i];
        }
    }
    /* Incidents of a replica are contiguous and already in id order. */
    for (size_t i = 0; rc == FD_OK && i < ni;) {
        uint64_t seed = ir[i].seed, u = 0;
        bool in_range = unit_of(m, ir[i].point, seed, &u);
        size_t j = i;
        while (j < ni && ir[j].point == ir[i].point && ir[j].seed == seed) j++;
        if (!in_range || u % n != k || !m->have[u] || m->inc[u]) {
            rc = fd_errf(err, errlen, FD_EINPUT, "%s: incidents of (point %u, seed %llu) do not match its replicas",
                         path, (unsigned)ir[i].point, (unsigned long long)seed);
            break;
        }
        m->inc[u] = malloc((j - i) * sizeof **m->inc);
        if (!m->inc[u]) {
            rc = fd_errf(err, errlen, FD_ENOMEM, "out of memory");
            break;
        }
        memcpy(m->inc[u], ir + i, (j - i) * sizeof **m->inc);
        m->n_inc[u] = j - i;
        i = j;
    }
    free(r);
    free(ir);
    return rc;
}

/* Checks the first shard's attributes and sizes the merge from them. */
static int merge_start(merge_state *m, const shard_meta *s, const char *path, char *err, size_t errlen) {
    m->first = s;
    m->n_units = s->n_points * s->seeds;
    if (s->shard_count < 1 || s->shard_index >= s->shard_count || s->seeds == 0 || m->n_units == 0 ||
        m->n_units / s->seeds != s->n_points || m->n_units > SWEEP_MAX_UNITS || s->shard_count > m->n_units)
        return fd_errf(err, errlen, FD_EINPUT, "%s: bad sweep attributes (shard %llu/%llu, %llu points x %llu seeds)",
                       path, (unsigned long long)s->shard_index, (unsigned long long)s->shard_count,
                       (unsigned long long)s->n_points, (unsigned long long)s->seeds);
    m->rows = calloc(m->n_units, sizeof *m->rows);
    m->inc = calloc(m->n_units, sizeof *m->inc);
    m->n_inc = calloc(m->n_units, sizeof *m->n_inc);
    m->have = calloc(m->n_units, 1);
    m->shard_seen = calloc(s->shard_count, 1);
    if (!m->rows || !m->inc || !m->n_inc || !m->have || !m->shard_seen)
        return fd_errf(err, errlen, FD_ENOMEM, "out of memory");
    return FD_OK;
}

static void merge_free(merge_state *m) {
    for (uint64_t u = 0; m->inc && u < m->n_units; u++) free(m->inc[u]);
    free(m->inc);
    free(m->n_inc);
    free(m->rows);
    free(m->have);
    free(m->shard_seen);
}

static int merge_write(const merge_state *m, const char *out_path, const char *command, size_t *total_inc, char *err,
                       size_t errlen) {
    const shard_meta *first = m->first;
    for (uint64_t k = 0; k < first->shard_count; k++)
        if (!m->shard_seen[k])
            return fd_errf(err, errlen, FD_EINPUT, "shard %llu/%llu is missing", (unsigned long long)k,
                           (unsigned long long)first->shard_count);
    size_t total = 0;
    for (uint64_t u = 0; u < m->n_units; u++) total += m->n_inc[u];
    incident_record *all_inc = malloc((total ? total : 1) * sizeof *all_inc);
    if (!all_inc) return fd_errf(err, errlen, FD_ENOMEM, "out of memory");
    size_t k = 0;
    for (uint64_t u = 0; u < m->n_units; u++) {
        if (m->n_inc[u]) memcpy(all_inc + k, m->inc[u], m->n_inc[u] * sizeof *all_inc);
        k += m->n_inc[u];
    }
    h5out_meta meta = {FIREDRILL_VERSION, firedrill_git_rev, first->scenario_name,  first->scenario_sha256,
                       first->backend,    command,           first->scenario_given, first->scenario_resolved};
    h5out_sweep hs = {.name = first->name,
                      .sha256 = first->sha256,
                      .spec = first->spec,
                      .combine = first->combine,
                      .metrics_json = first->metrics_json,
                      .n_points = first->n_points,
                      .seeds = first->seeds,
                      .first_seed = first->first_seed,
                      .baseline_point = first->baseline_point,
                      .shard_index = 0,
                      .shard_count = 1,
                      .points = first->points,
                      .extra = NULL};
    int rc = h5out_write_sweep(out_path, &meta, &hs, m->rows, (size_t)m->n_units, all_inc, total, err, errlen) == 0
                 ? FD_OK
                 : FD_EIO;
    free(all_inc);
    *total_inc = total;
    return rc;
}

int cmd_merge(int argc, char **argv) {
    static const struct option opts[] = {{"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    bool quiet = false;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c == 'h') {
            fputs(merge_usage, stdout);
            return FD_OK;
        } else
            return cli_usage_error("merge", "unknown option '%s'", argv[optind - 1]);
    }
    if (argc - optind < 2) return cli_usage_error("merge", "expected OUT.h5 and at least one shard file");
    const char *out_path = argv[optind];
    int n_files = argc - optind - 1;
    char **files = argv + optind + 1;
    int status = cli_check_output("merge", out_path, files, (size_t)n_files);
    if (status != FD_OK) return status;
    char err[2048] = "";
    shard_meta first;
    memset(&first, 0, sizeof first);
    merge_state m;
    memset(&m, 0, sizeof m);
    for (int i = 0; i < n_files && status == FD_OK; i++) {
        h5in_file *f = h5in_open(files[i], err, sizeof err);
        if (!f) {
            status = FD_EINPUT;
            break;
        }
        shard_meta s;
        status = read_meta(f, &s, err, sizeof err);
        if (status == FD_OK && i == 0) {
            first = s;
            status = merge_start(&m, &first, files[i], err, sizeof err);
        } else if (status == FD_OK) {
            bool same = strcmp(s.sha256, first.sha256) == 0 && s.shard_count == first.shard_count &&
                        s.n_points == first.n_points && s.seeds == first.seeds && s.first_seed == first.first_seed;
            if (!same)
                status = fd_errf(err, sizeof err, FD_EINPUT,
                                 "%s is a shard of another sweep (%.16s.., %llu shards) than %s (%.16s.., %llu shards)",
                                 files[i], s.sha256, (unsigned long long)s.shard_count, files[0], first.sha256,
                                 (unsigned long long)first.shard_count);
        }
        if (status == FD_OK) status = merge_shard(&m, f, &s, err, sizeof err);
        if (i > 0 || !m.first) shard_meta_free(&s);
        h5in_close(f);
    }
    size_t total_inc = 0;
    if (status == FD_OK) {
        char command[1024];
        cli_join_command(argc, argv, command, sizeof command);
        status = merge_write(&m, out_path, command, &total_inc, err, sizeof err);
    }
    if (status == FD_OK && !quiet)
        printf("merged %d shard file(s) of sweep %s: %llu replicas, %zu incidents, wrote %s\n", n_files, first.name,
               (unsigned long long)m.n_units, total_inc, out_path);
    if (status != FD_OK) fprintf(stderr, "firedrill merge: %s\n", err);
    merge_free(&m);
    shard_meta_free(&first);
    return status;
}
