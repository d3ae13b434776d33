#include "sim/optimize.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "models/cfg.h"
#include "sim/sweep_run.h"

/* ---- the file ------------------------------------------------------------------ */

/* The keys an optimize file adds to a sweep file. */
static const char *const opt_keys[] = {"targets", "objective", "budget_replicas", "indifference", "n0"};

/* Fails at key of o unless column is a /replicas column; its field. */
static const metric_field *find_column(cfg_obj *o, const char *key, const char *column) {
    const metric_field *field = metric_field_find(replica_metric_fields, replica_metric_field_count, column);
    if (field) return field;
    const char *near = sweep_column_near(column);
    if (near)
        cfg_fail(o, key, "no /replicas column \"%s\" (did you mean \"%s\"?)", column, near);
    else
        cfg_fail(o, key, "no /replicas column \"%s\" (docs/metrics.md lists them)", column);
    return NULL;
}

static bool add_constraint(opt_spec *s, cfg_obj *o, const char *key, const char *column, double target, double sign) {
    if (s->n_constraints == RS_MAX_CONSTRAINTS) {
        cfg_fail(o, key, "at most %d targets", RS_MAX_CONSTRAINTS);
        return false;
    }
    const metric_field *field = find_column(o, key, column);
    if (!field) return false;
    opt_constraint *c = &s->constraints[s->n_constraints++];
    snprintf(c->column, sizeof c->column, "%s", column);
    c->field = field;
    c->target = sign * target;
    c->sign = sign;
    snprintf(c->label, sizeof c->label, "%s %s %g", column, sign < 0 ? ">=" : "<=", target);
    return true;
}

/* "targets": read (and registered) even when absent; cfg_leave(root) then
 * reports it as required. */
static bool read_targets(cfg_obj *root, opt_spec *s) {
    cfg_obj t;
    cfg_require(root, "targets");
    if (!cfg_section(root, "targets",
                     "what the chosen point must meet: at least one of rto_max_s, rpo_max_s, availability_min, max",
                     &t))
        return false;
    double rto = cfg_number(&t, "rto_max_s", NAN, 0, 1e12, "s",
                            "p95 RTO at most this (the mean over replicas of rto_p95_s, as report checks it)");
    double rpo = cfg_number(&t, "rpo_max_s", NAN, 0, 1e12, "s",
                            "largest RPO at most this (the mean over replicas of rpo_max_s)");
    double avail = cfg_number(&t, "availability_min", NAN, 0, 1, "",
                              "time-based availability at least this (the mean of availability_time)");
    s->confidence = cfg_number(&t, "confidence", 0.95, 0.5, 0.999, "",
                               "probability that the chosen point meets the targets and is within the "
                               "indifference zone of the best");
    s->tolerance = cfg_number(&t, "tolerance", 0.1, 1e-4, 1, "",
                              "relative to each target: a point within it may be called feasible or not");
    const cJSON *max =
        cfg_json(&t, "max", "map:number", "upper limits {\"COLUMN\": value} on the means of other /replicas columns");
    if (!cfg_leave(&t) || !t.json) return !root->doc->failed;
    if (!isnan(rto) && !add_constraint(s, &t, "rto_max_s", "rto_p95_s", rto, 1)) return false;
    if (!isnan(rpo) && !add_constraint(s, &t, "rpo_max_s", "rpo_max_s", rpo, 1)) return false;
    if (!isnan(avail) && !add_constraint(s, &t, "availability_min", "availability_time", avail, -1)) return false;
    for (const cJSON *m = max ? max->child : NULL; m; m = m->next) {
        char key[CFG_PATH_MAX];
        snprintf(key, sizeof key, "max.%s", m->string);
        if (!add_constraint(s, &t, key, m->string, m->valuedouble, 1)) return false;
    }
    if (s->n_constraints == 0) {
        cfg_fail(root, "targets", "give at least one of rto_max_s, rpo_max_s, availability_min, max");
        return false;
    }
    return true;
}

/* The keys of opt_keys[], after the sweep's. */
static bool read_opt_keys(cfg_obj *root, opt_spec *s) {
    if (!read_targets(root, s)) return false;
    const char *objective = cfg_string(root, "objective", "total_cost_per_year",
                                       "the /replicas column whose mean the chosen point minimises");
    if (!(s->objective_field = find_column(root, "objective", objective))) return false;
    snprintf(s->objective, sizeof s->objective, "%s", objective);
    double budget = cfg_number(root, "budget_replicas", NAN, 2, 1e9, "replicas",
                               "at most this many replicas in all (absent: as many as the seeds allow)");
    if (!isnan(budget) && budget != floor(budget)) {
        cfg_fail(root, "budget_replicas", "must be a whole number, got %g", budget);
        return false;
    }
    s->budget = isnan(budget) ? 0 : (uint64_t)budget;
    s->indifference = cfg_number(root, "indifference", 0.01, CFG_GT0, 1, "",
                                 "indifference zone of the objective, relative to the median first-stage mean");
    s->n0 = (uint64_t)cfg_int(root, "n0", 20, 5, 1000, "seeds every point gets in the first stage");
    return !root->doc->failed;
}

bool opt_load(opt_spec *s, const char *file, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    char *text;
    cfg_status st = cfg_read_file(file, &text, err, errlen);
    if (st != CFG_OK) {
        s->sw.out_of_memory = st == CFG_EFAIL;
        return false;
    }
    cfg_doc doc;
    cJSON *json, *sweep_part = NULL;
    cfg_obj root;
    char *rest = NULL;
    bool ok = cfg_open(&doc, file, text, &json, &root) && sweep_read_keys(&s->sw, &root) && read_opt_keys(&root, s) &&
              cfg_leave(&root);
    free(text);
    if (ok && s->sw.seeds < s->n0) {
        cfg_fail(&root, "seeds", "%llu is the most a point may get, fewer than n0 (%llu)",
                 (unsigned long long)s->sw.seeds, (unsigned long long)s->n0);
        ok = false;
    }
    /* The sweep is what the file says without the keys above: its SHA-256
     * and /sweep/spec cover that text. */
    if (ok) {
        sweep_part = cJSON_Duplicate(json, true);
        for (size_t i = 0; sweep_part && i < sizeof opt_keys / sizeof opt_keys[0]; i++)
            cJSON_DeleteItemFromObjectCaseSensitive(sweep_part, opt_keys[i]);
        rest = sweep_part ? cJSON_PrintUnformatted(sweep_part) : NULL;
        if (!rest) cfg_fail(&root, NULL, "out of memory");
        ok = rest && sweep_expand(&s->sw, &root, rest);
    }
    if (!ok) {
        snprintf(err, errlen, "%s", doc.err);
        s->sw.out_of_memory = doc.out_of_memory;
    }
    cJSON_Delete(sweep_part);
    free(rest);
    cfg_close(&doc, json);
    return ok;
}

bool opt_known_keys(char ***keys, size_t *n) {
    cfg_doc doc;
    cJSON *json;
    cfg_obj root;
    opt_spec s;
    memset(&s, 0, sizeof s);
    bool ok = cfg_open(&doc, "optimize.json", "{}", &json, &root) && sweep_read_keys(&s.sw, &root) &&
              read_opt_keys(&root, &s);
    sweep_free(&s.sw);
    *keys = ok ? doc.known_keys : NULL;
    *n = ok ? doc.n_known : 0;
    if (ok) doc.known_keys = NULL, doc.n_known = 0;
    cfg_close(&doc, json);
    return ok;
}

void opt_free(opt_spec *s) { sweep_free(&s->sw); }

/* ---- running ------------------------------------------------------------------ */

typedef struct stage {
    const opt_spec *spec;
    world_cache **caches; /* one per thread, kept across stages */
    atomic_int next_worker;
    const uint64_t *units;
    size_t n;
    replica_metrics *rows;
    incident_record **inc;
    size_t *n_inc;
    atomic_size_t next;
    atomic_bool failed;
    pthread_mutex_t mu;
    char err[1024];
} stage;

static void *stage_worker(void *arg) {
    stage *st = arg;
    world_cache *cache = st->caches[atomic_fetch_add(&st->next_worker, 1)];
    for (;;) {
        size_t i = atomic_fetch_add(&st->next, 1);
        if (i >= st->n || atomic_load(&st->failed)) break;
        char err[1024];
        if (!cache || sweep_exec_compute(&st->spec->sw, st->units[i], cache, &st->rows[i], &st->inc[i], &st->n_inc[i],
                                         err, sizeof err) != 0) {
            pthread_mutex_lock(&st->mu);
            if (!atomic_exchange(&st->failed, true))
                snprintf(st->err, sizeof st->err, "%s", cache ? err : "out of memory");
            pthread_mutex_unlock(&st->mu);
            break;
        }
    }
    return NULL;
}

/* Threads a run may use. */
#define OPT_MAX_JOBS 64

static int run_stage(stage *st, int jobs) {
    pthread_t threads[OPT_MAX_JOBS];
    int started = 0;
    if ((size_t)jobs > st->n) jobs = (int)st->n;
    for (; started < jobs; started++)
        if (pthread_create(&threads[started], NULL, stage_worker, st) != 0) break;
    if (started == 0) stage_worker(st);
    for (int i = 0; i < started; i++) pthread_join(threads[i], NULL);
    return atomic_load(&st->failed) ? -1 : 0;
}

/* The values of a replica the procedure sees. */
static void observe(const opt_spec *s, const replica_metrics *row, double *objective, double *constraint) {
    *objective = metric_field_value(s->objective_field, row);
    for (size_t l = 0; l < s->n_constraints; l++) {
        const opt_constraint *c = &s->constraints[l];
        double v = metric_field_value(c->field, row);
        constraint[l] = c->sign * v;
    }
}

static bool keep(opt_result *out, const replica_metrics *row, incident_record *inc, size_t n_inc, size_t *cap_rows,
                 size_t *cap_inc) {
    if (out->n_rows == *cap_rows) {
        size_t cap = *cap_rows ? 2 * *cap_rows : 1024;
        replica_metrics *grown = realloc(out->rows, cap * sizeof *grown);
        if (!grown) return false;
        out->rows = grown;
        *cap_rows = cap;
    }
    out->rows[out->n_rows++] = *row;
    if (out->n_incidents + n_inc > *cap_inc) {
        size_t cap = *cap_inc ? *cap_inc : 4096;
        while (cap < out->n_incidents + n_inc) cap *= 2;
        incident_record *grown = realloc(out->incidents, cap * sizeof *grown);
        if (!grown) return false;
        out->incidents = grown;
        *cap_inc = cap;
    }
    if (n_inc) memcpy(out->incidents + out->n_incidents, inc, n_inc * sizeof *inc);
    out->n_incidents += n_inc;
    return true;
}

/* The indifference zone in objective units: the relative zone times the
 * median of the first stage's point means (fixed once, after the first
 * stage; KN assumes it is fixed in advance, and a zone set from n0
 * replicas of every point is the usual practical stand-in). */
static double objective_zone(const opt_spec *s, const double *first_means, size_t k) {
    double *m = malloc(k * sizeof *m);
    if (!m) return s->indifference;
    memcpy(m, first_means, k * sizeof *m);
    gsl_sort(m, 1, k);
    double med = gsl_stats_median_from_sorted_data(m, 1, k);
    free(m);
    double zone = s->indifference * fabs(med);
    return zone > 0 ? zone : s->indifference;
}

static int compare_rows(const void *a, const void *b) {
    const replica_metrics *x = a, *y = b;
    if (x->point != y->point) return x->point < y->point ? -1 : 1;
    return x->seed < y->seed ? -1 : x->seed > y->seed;
}

static int compare_incidents(const void *a, const void *b) {
    const incident_record *x = a, *y = b;
    if (x->point != y->point) return x->point < y->point ? -1 : 1;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The exhaustive grid's choice, by the report's rule: a point meets a
 * target when the one-sided t upper bound (at the confidence) of its mean
 * is at most the target; the lowest mean objective among those wins. */
static void grid_select(const opt_spec *s, opt_result *out) {
    const size_t k = s->sw.n_points, L = s->n_constraints, n = s->sw.seeds;
    double *v = malloc(n * sizeof *v);
    out->best = -1;
    out->guaranteed = false;
    for (size_t i = 0; v && i < k; i++) {
        opt_point *p = &out->points[i];
        p->seeds = p->decided = n;
        double sum = 0;
        for (size_t m = 0; m < n; m++) sum += metric_field_value(s->objective_field, &out->rows[m * k + i]);
        p->objective_mean = sum / (double)n;
        p->fate = RS_DOMINATED;
        p->by = -1;
        for (size_t l = 0; l < L; l++) {
            const opt_constraint *c = &s->constraints[l];
            size_t nv = 0;
            for (size_t m = 0; m < n; m++) {
                double x = c->sign * metric_field_value(c->field, &out->rows[m * k + i]);
                if (!isnan(x)) v[nv++] = x;
            }
            double mean = nv ? gsl_stats_mean(v, 1, nv) : NAN;
            double bound = nv > 1 ? mean + gsl_cdf_tdist_Pinv(s->confidence, (double)nv - 1) * gsl_stats_sd(v, 1, nv) /
                                               sqrt((double)nv)
                                  : mean;
            p->constraint_mean[l] = s->constraints[l].sign * mean;
            if (bound > s->constraints[l].target && p->fate != RS_INFEASIBLE) {
                p->fate = RS_INFEASIBLE;
                p->by = (int)l;
            }
        }
        if (p->fate != RS_INFEASIBLE && (out->best < 0 || p->objective_mean < out->points[out->best].objective_mean))
            out->best = (int)i;
    }
    if (out->best >= 0) out->points[out->best].fate = RS_SELECTED;
    for (size_t i = 0; out->best >= 0 && i < k; i++)
        if (out->points[i].fate == RS_DOMINATED) out->points[i].by = out->best;
    free(v);
}

int opt_run(const opt_spec *s, int jobs, bool progress, opt_result *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const size_t k = s->sw.n_points, L = s->n_constraints;
    const uint64_t n0 = s->grid ? s->sw.seeds : s->n0;
    rs_config cfg = {.k = k,
                     .n_constraints = L,
                     .alpha = 1 - s->confidence,
                     .n0 = s->n0,
                     .max_n = s->sw.seeds,
                     .budget = s->budget,
                     .delta = 1};
    for (size_t l = 0; l < L; l++) {
        cfg.target[l] = s->constraints[l].target;
        /* feasibility tolerance: the relative zone of the allowance (for a
         * minimum availability, of the unavailability it allows) */
        double scale = s->constraints[l].sign < 0 ? 1 + s->constraints[l].target : fabs(s->constraints[l].target);
        cfg.eps[l] = s->tolerance * (scale > 0 ? scale : 1);
    }
    out->points = calloc(k, sizeof *out->points);
    uint64_t *units = malloc(k * sizeof *units);
    size_t *wanted = malloc(k * sizeof *wanted);
    replica_metrics *rows = malloc(k * sizeof *rows);
    incident_record **inc = calloc(k, sizeof *inc);
    size_t *n_inc = calloc(k, sizeof *n_inc);
    double *first_sum = calloc(k, sizeof *first_sum);
    if (!out->points || !units || !wanted || !rows || !inc || !n_inc || !first_sum) {
        snprintf(err, errlen, "out of memory");
        free(units), free(wanted), free(rows), free(inc), free(n_inc), free(first_sum);
        return -1;
    }
    rs *proc = NULL;
    size_t cap_rows = 0, cap_inc = 0;
    int rc = 0;
    if (jobs < 1) jobs = 1;
    if (jobs > OPT_MAX_JOBS) jobs = OPT_MAX_JOBS;
    world_cache *caches[OPT_MAX_JOBS] = {0};
    for (int j = 0; j < jobs; j++)
        if (!(caches[j] = world_cache_create())) rc = -1;
    if (rc) snprintf(err, errlen, "out of memory");
    rec_cpu_set_blas_threads(1); /* replicas run small kernels, one thread each */
    /* The first stage runs before the procedure exists: the zone of the
     * objective comes from it. */
    for (uint64_t r = 0; rc == 0; r++) {
        size_t n = proc ? rs_wanted(proc, wanted) : k;
        if (!proc && r == n0 && s->grid) {
            grid_select(s, out);
            break;
        }
        if (!proc && r == n0) {
            for (size_t i = 0; i < k; i++) first_sum[i] /= (double)n0;
            cfg.delta = objective_zone(s, first_sum, k);
            proc = rs_create(&cfg, err, errlen);
            if (!proc) {
                rc = -1;
                break;
            }
            out->delta = cfg.delta;
            /* feed the first stage, kept in out->rows, to the procedure */
            double *con = malloc((L ? L : 1) * sizeof *con);
            if (!con) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            for (uint64_t m = 0; m < s->n0; m++) {
                for (size_t i = 0; i < k; i++) {
                    double o;
                    observe(s, &out->rows[m * k + i], &o, con);
                    rs_record(proc, i, (size_t)m, o, con);
                }
                if (m + 1 < s->n0) continue;
                rs_update(proc);
            }
            free(con);
            n = rs_wanted(proc, wanted);
        }
        if (!proc)
            for (size_t i = 0; i < k; i++) wanted[i] = i;
        if (n == 0) break;
        for (size_t a = 0; a < n; a++) units[a] = (uint64_t)wanted[a] * s->sw.seeds + r;
        if (progress)
            fprintf(stderr, "\roptimize: replica %llu of at most %llu, %zu of %zu points alive   ",
                    (unsigned long long)r + 1, (unsigned long long)s->sw.seeds, n, k);
        stage st = {.spec = s, .caches = caches, .units = units, .n = n, .rows = rows, .inc = inc, .n_inc = n_inc};
        pthread_mutex_init(&st.mu, NULL);
        if (run_stage(&st, jobs) != 0) {
            snprintf(err, errlen, "%s", st.err);
            rc = -1;
        }
        pthread_mutex_destroy(&st.mu);
        for (size_t a = 0; rc == 0 && a < n; a++) {
            if (!keep(out, &rows[a], inc[a], n_inc[a], &cap_rows, &cap_inc)) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
            }
            double o, con[RS_MAX_CONSTRAINTS];
            observe(s, &rows[a], &o, con);
            if (proc)
                rs_record(proc, wanted[a], (size_t)r, o, con);
            else
                first_sum[wanted[a]] += o;
        }
        for (size_t a = 0; a < n; a++) {
            free(inc[a]);
            inc[a] = NULL;
            n_inc[a] = 0;
        }
        if (proc && rc == 0) rs_update(proc);
    }
    if (progress) fputc('\n', stderr);
    if (rc == 0 && s->grid) {
        out->replicas = out->n_rows;
        qsort(out->rows, out->n_rows, sizeof *out->rows, compare_rows);
        qsort(out->incidents, out->n_incidents, sizeof *out->incidents, compare_incidents);
    }
    if (rc == 0 && proc) {
        out->best = rs_selected(proc);
        out->guaranteed = rs_guaranteed(proc);
        out->replicas = out->n_rows;
        out->pcs_bound = s->confidence;
        rs_constants(proc, &out->h2_feasibility, &out->h2_selection);
        for (size_t i = 0; i < k; i++) {
            const rs_system *x = rs_get(proc, i);
            opt_point *p = &out->points[i];
            p->fate = x->fate;
            p->by = x->by;
            p->seeds = x->n;
            p->decided = x->decided_at;
            p->objective_mean = x->objective_mean;
            for (size_t l = 0; l < L; l++) p->constraint_mean[l] = s->constraints[l].sign * x->constraint_mean[l];
        }
        qsort(out->rows, out->n_rows, sizeof *out->rows, compare_rows);
        qsort(out->incidents, out->n_incidents, sizeof *out->incidents, compare_incidents);
    }
    rs_free(proc);
    for (int j = 0; j < jobs; j++) world_cache_free(caches[j]);
    free(units), free(wanted), free(rows), free(inc), free(n_inc), free(first_sum);
    return rc;
}

void opt_result_free(opt_result *r) {
    free(r->points);
    free(r->rows);
    free(r->incidents);
    memset(r, 0, sizeof *r);
}
