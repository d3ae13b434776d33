#include "sim/optimize.h"

#include <math.h>
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

static bool add_constraint(opt_spec *s, cfg_obj *o, const char *key, const char *column, double target, double sign) {
    if (s->n_constraints == RS_MAX_CONSTRAINTS) {
        cfg_fail(o, key, "at most %d targets", RS_MAX_CONSTRAINTS);
        return false;
    }
    const metric_field *field = sweep_metric_at(o, key, column);
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
    if (!(s->objective_field = sweep_metric_at(root, "objective", objective))) return false;
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

static bool registry_opt_keys(cfg_obj *root, sweep_spec *sw, void *ctx) {
    (void)sw;
    opt_spec *s = ctx;
    return read_opt_keys(root, s);
}

bool opt_known_keys(char ***keys, size_t *n) {
    opt_spec s;
    memset(&s, 0, sizeof s);
    return sweep_registry("optimize.json", registry_opt_keys, &s, keys, n);
}

void opt_free(opt_spec *s) { sweep_free(&s->sw); }

/* ---- running ------------------------------------------------------------------ */

/* The values of a replica the procedure sees. */
static void observe(const opt_spec *s, const replica_metrics *row, double *objective, double *constraint) {
    *objective = metric_field_value(s->objective_field, row);
    for (size_t l = 0; l < s->n_constraints; l++) {
        const opt_constraint *c = &s->constraints[l];
        double v = metric_field_value(c->field, row);
        constraint[l] = c->sign * v;
    }
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

/* The exhaustive grid's choice, by the report's rule: a point meets a
 * target when the one-sided t upper bound (at the confidence) of its mean
 * is at most the target; the lowest mean objective among those wins. */
static void grid_select(const opt_spec *s, const replica_metrics *by_unit, opt_result *out) {
    const size_t k = s->sw.n_points, L = s->n_constraints, n = s->sw.seeds;
    double *v = malloc(n * sizeof *v);
    out->best = -1;
    out->guaranteed = false;
    for (size_t i = 0; v && i < k; i++) {
        opt_point *p = &out->points[i];
        p->seeds = p->decided = n;
        double sum = 0;
        for (size_t m = 0; m < n; m++) sum += metric_field_value(s->objective_field, &by_unit[i * n + m]);
        p->objective_mean = sum / (double)n;
        p->fate = RS_DOMINATED;
        p->by = -1;
        for (size_t l = 0; l < L; l++) {
            const opt_constraint *c = &s->constraints[l];
            size_t nv = 0;
            for (size_t m = 0; m < n; m++) {
                double x = c->sign * metric_field_value(c->field, &by_unit[i * n + m]);
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

/* Runs the selected units on the executor (journaled, skipping those the
 * journal already holds) and marks them used. */
static int run_units(const opt_exec *e, const uint64_t *units, size_t n, unsigned char *used, char *err,
                     size_t errlen) {
    sweep_exec *x = e->x;
    if (!sweep_exec_select(x, units, n)) {
        snprintf(err, errlen, "a unit out of range");
        return SWEEP_EFAIL;
    }
    int rc = e->run ? e->run(e->ctx, x, e->jobs, err, errlen) : sweep_exec_run_threads(x, e->jobs, err, errlen);
    for (size_t a = 0; rc == SWEEP_OK && a < n; a++) used[units[a]] = 1;
    return rc;
}

/* The replicas the procedure used, in (point, seed) order: unit order. */
static int collect_used(const sweep_exec *x, const unsigned char *used, opt_result *out, char *err, size_t errlen) {
    size_t n_rows = 0, n_inc = 0;
    for (uint64_t u = 0; u < x->n_units; u++)
        if (used[u]) n_rows++, n_inc += x->n_inc[u];
    out->rows = malloc((n_rows ? n_rows : 1) * sizeof *out->rows);
    out->incidents = malloc((n_inc ? n_inc : 1) * sizeof *out->incidents);
    if (!out->rows || !out->incidents) {
        snprintf(err, errlen, "out of memory");
        return SWEEP_EFAIL;
    }
    for (uint64_t u = 0; u < x->n_units; u++) {
        if (!used[u]) continue;
        out->rows[out->n_rows++] = x->rows[u];
        if (x->n_inc[u]) memcpy(out->incidents + out->n_incidents, x->inc[u], x->n_inc[u] * sizeof *out->incidents);
        out->n_incidents += x->n_inc[u];
    }
    out->replicas = out->n_rows;
    return SWEEP_OK;
}

int opt_run(const opt_spec *s, const opt_exec *e, opt_result *out, char *err, size_t errlen) {
    sweep_exec *x = e->x;
    const bool progress = e->progress;
    memset(out, 0, sizeof *out);
    const size_t k = s->sw.n_points, L = s->n_constraints;
    const uint64_t S = s->sw.seeds, n0 = s->grid ? S : s->n0;
    rs_config cfg = {.k = k,
                     .n_constraints = L,
                     .alpha = 1 - s->confidence,
                     .n0 = s->n0,
                     .max_n = S,
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
    uint64_t *units = malloc(k * n0 * sizeof *units);
    size_t *wanted = malloc(k * sizeof *wanted);
    unsigned char *used = calloc(x->n_units, 1);
    double *first_means = calloc(k, sizeof *first_means);
    if (!out->points || !units || !wanted || !used || !first_means) {
        snprintf(err, errlen, "out of memory");
        free(units), free(wanted), free(used), free(first_means);
        return SWEEP_EFAIL;
    }
    /* The first stage, n0 seeds of every point, runs as one batch, before
     * the procedure exists: the zone of the objective comes from it. */
    for (size_t i = 0; i < k; i++)
        for (uint64_t r = 0; r < n0; r++) units[i * n0 + r] = i * S + r;
    if (progress)
        fprintf(stderr, "\roptimize: first stage, %llu replicas of each of %zu points   ", (unsigned long long)n0, k);
    int rc = run_units(e, units, k * n0, used, err, errlen);
    rs *proc = NULL;
    if (rc == SWEEP_OK && s->grid) grid_select(s, x->rows, out);
    if (rc == SWEEP_OK && !s->grid) {
        for (size_t i = 0; i < k; i++) {
            for (uint64_t r = 0; r < n0; r++)
                first_means[i] += metric_field_value(s->objective_field, &x->rows[i * S + r]);
            first_means[i] /= (double)n0;
        }
        cfg.delta = objective_zone(s, first_means, k);
        proc = rs_create(&cfg, err, errlen);
        if (!proc) rc = SWEEP_EFAIL;
        out->delta = cfg.delta;
    }
    /* The procedure sees the first stage seed by seed, as if sequential,
     * then one seed of every point still in contention per stage. */
    for (uint64_t r = 0; rc == SWEEP_OK && proc && r < S; r++) {
        size_t n = k;
        if (r >= n0) {
            n = rs_wanted(proc, wanted);
            if (n == 0) break;
            for (size_t a = 0; a < n; a++) units[a] = (uint64_t)wanted[a] * S + r;
            if (progress)
                fprintf(stderr, "\roptimize: replica %llu of at most %llu, %zu of %zu points alive   ",
                        (unsigned long long)r + 1, (unsigned long long)S, n, k);
            rc = run_units(e, units, n, used, err, errlen);
        } else {
            for (size_t i = 0; i < k; i++) wanted[i] = i;
        }
        for (size_t a = 0; rc == SWEEP_OK && a < n; a++) {
            double o, con[RS_MAX_CONSTRAINTS];
            observe(s, &x->rows[(uint64_t)wanted[a] * S + r], &o, con);
            rs_record(proc, wanted[a], (size_t)r, o, con);
        }
        if (rc == SWEEP_OK && r + 1 >= n0) rs_update(proc);
    }
    if (progress) fputc('\n', stderr);
    if (rc == SWEEP_OK) rc = collect_used(x, used, out, err, errlen);
    if (rc == SWEEP_OK && proc) {
        out->best = rs_selected(proc);
        out->guaranteed = rs_guaranteed(proc);
        out->pcs_bound = s->confidence;
        rs_constants(proc, &out->h2_feasibility, &out->h2_selection);
        for (size_t i = 0; i < k; i++) {
            const rs_system *sys = rs_get(proc, i);
            opt_point *p = &out->points[i];
            p->fate = sys->fate;
            p->by = sys->by;
            p->seeds = sys->n;
            p->decided = sys->decided_at;
            p->objective_mean = sys->objective_mean;
            for (size_t l = 0; l < L; l++) p->constraint_mean[l] = s->constraints[l].sign * sys->constraint_mean[l];
        }
    }
    rs_free(proc);
    free(units), free(wanted), free(used), free(first_means);
    return rc;
}

void opt_result_free(opt_result *r) {
    free(r->points);
    free(r->rows);
    free(r->incidents);
    memset(r, 0, sizeof *r);
}
