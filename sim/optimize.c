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

static bool add_constraint(opt_spec *s, const char *file, const char *path, const char *column, double target,
                           double sign, char *err, size_t errlen) {
    if (s->n_constraints == RS_MAX_CONSTRAINTS) {
        snprintf(err, errlen, "%s: %s: at most %d targets", file, path, RS_MAX_CONSTRAINTS);
        return false;
    }
    const metric_field *field = metric_field_find(replica_metric_fields, replica_metric_field_count, column);
    if (!field) {
        snprintf(err, errlen, "%s: %s: no /replicas column \"%s\" (docs/metrics.md lists them)", file, path, column);
        return false;
    }
    opt_constraint *c = &s->constraints[s->n_constraints++];
    snprintf(c->column, sizeof c->column, "%s", column);
    c->field = field;
    c->target = sign * target;
    c->sign = sign;
    snprintf(c->label, sizeof c->label, "%s %s %g", column, sign < 0 ? ">=" : "<=", target);
    return true;
}

static bool number_at(const cJSON *o, const char *key, const char *file, const char *where, double min, double max,
                      double *out, char *err, size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return true;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < min || v->valuedouble > max) {
        snprintf(err, errlen, "%s: %s%s: must be a number in [%g, %g]", file, where, key, min, max);
        return false;
    }
    *out = v->valuedouble;
    return true;
}

static bool parse_targets(opt_spec *s, const char *file, const cJSON *t, char *err, size_t errlen) {
    if (!cJSON_IsObject(t)) {
        snprintf(err, errlen, "%s: targets: must be an object with rto_max_s, rpo_max_s, ...", file);
        return false;
    }
    static const char *const keys[] = {"rto_max_s", "rpo_max_s", "availability_min", "confidence", "tolerance", "max"};
    for (const cJSON *k = t->child; k; k = k->next) {
        bool known = false;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) known |= strcmp(k->string, keys[i]) == 0;
        if (!known) {
            snprintf(err, errlen,
                     "%s: targets.%s: unknown key (rto_max_s, rpo_max_s, availability_min, confidence, tolerance, max)",
                     file, k->string);
            return false;
        }
    }
    double v = NAN;
    if (!number_at(t, "rto_max_s", file, "targets.", 0, 1e12, &v, err, errlen)) return false;
    if (!isnan(v) && !add_constraint(s, file, "targets.rto_max_s", "rto_p95_s", v, 1, err, errlen)) return false;
    v = NAN;
    if (!number_at(t, "rpo_max_s", file, "targets.", 0, 1e12, &v, err, errlen)) return false;
    if (!isnan(v) && !add_constraint(s, file, "targets.rpo_max_s", "rpo_max_s", v, 1, err, errlen)) return false;
    v = NAN;
    if (!number_at(t, "availability_min", file, "targets.", 0, 1, &v, err, errlen)) return false;
    if (!isnan(v) && !add_constraint(s, file, "targets.availability_min", "availability_time", v, -1, err, errlen))
        return false;
    if (!number_at(t, "confidence", file, "targets.", 0.5, 0.999, &s->confidence, err, errlen)) return false;
    if (!number_at(t, "tolerance", file, "targets.", 1e-4, 1, &s->tolerance, err, errlen)) return false;
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(t, "max");
    if (max && !cJSON_IsObject(max)) {
        snprintf(err, errlen, "%s: targets.max: must be an object {\"COLUMN\": value}", file);
        return false;
    }
    for (const cJSON *m = max ? max->child : NULL; m; m = m->next) {
        char path[128];
        snprintf(path, sizeof path, "targets.max.%s", m->string);
        if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble)) {
            snprintf(err, errlen, "%s: %s: must be a number", file, path);
            return false;
        }
        if (!add_constraint(s, file, path, m->string, m->valuedouble, 1, err, errlen)) return false;
    }
    if (s->n_constraints == 0) {
        snprintf(err, errlen, "%s: targets: give at least one of rto_max_s, rpo_max_s, availability_min, max", file);
        return false;
    }
    return true;
}

bool opt_load(opt_spec *s, const char *file, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->confidence = 0.95;
    s->indifference = 0.01;
    s->tolerance = 0.1;
    s->n0 = 20;
    snprintf(s->objective, sizeof s->objective, "total_cost_per_year");
    char *text;
    if (cfg_read_file(file, &text, err, errlen) != CFG_OK) return false;
    cJSON *root = NULL;
    cfg_status parsed = cfg_parse_json(file, text, &root, err, errlen);
    free(text);
    if (parsed != CFG_OK) return false;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "%s: not a JSON object (an optimize file is a sweep file plus targets)", file);
        cJSON_Delete(root);
        return false;
    }
    bool ok = true;
    cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(root, "targets");
    if (!t) {
        snprintf(err, errlen, "%s: targets: is required", file);
        ok = false;
    } else {
        ok = parse_targets(s, file, t, err, errlen);
    }
    cJSON_Delete(t);
    cJSON *o = cJSON_DetachItemFromObjectCaseSensitive(root, "objective");
    if (ok && o) {
        if (!cJSON_IsString(o) ||
            !metric_field_find(replica_metric_fields, replica_metric_field_count, o->valuestring)) {
            snprintf(err, errlen, "%s: objective: must name a /replicas column (docs/metrics.md)", file);
            ok = false;
        } else {
            snprintf(s->objective, sizeof s->objective, "%s", o->valuestring);
        }
    }
    cJSON_Delete(o);
    double v;
    cJSON *b = cJSON_DetachItemFromObjectCaseSensitive(root, "budget_replicas");
    if (ok && b) {
        if (!cJSON_IsNumber(b) || b->valuedouble < 2 || b->valuedouble > 1e9) {
            snprintf(err, errlen, "%s: budget_replicas: must be a whole number in [2, 1e9]", file);
            ok = false;
        } else {
            s->budget = (uint64_t)b->valuedouble;
        }
    }
    cJSON_Delete(b);
    cJSON *ind = cJSON_DetachItemFromObjectCaseSensitive(root, "indifference");
    if (ok && ind) {
        v = ind->valuedouble;
        if (!cJSON_IsNumber(ind) || !(v > 0) || v > 1) {
            snprintf(err, errlen, "%s: indifference: must be a relative zone in (0, 1], got %s", file,
                     cJSON_IsNumber(ind) ? "a number out of range" : "no number");
            ok = false;
        } else {
            s->indifference = v;
        }
    }
    cJSON_Delete(ind);
    cJSON *n0 = cJSON_DetachItemFromObjectCaseSensitive(root, "n0");
    if (ok && n0) {
        if (!cJSON_IsNumber(n0) || n0->valuedouble < 5 || n0->valuedouble > 1000) {
            snprintf(err, errlen, "%s: n0: must be a whole number in [5, 1000]", file);
            ok = false;
        } else {
            s->n0 = (uint64_t)n0->valuedouble;
        }
    }
    cJSON_Delete(n0);
    s->objective_field = metric_field_find(replica_metric_fields, replica_metric_field_count, s->objective);
    char *rest = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (ok && !rest) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    if (ok) ok = sweep_parse(&s->sw, file, rest, err, errlen);
    free(rest);
    if (ok && s->sw.seeds < s->n0) {
        snprintf(err, errlen, "%s: seeds: %llu is the most a point may get, fewer than n0 (%llu)", file,
                 (unsigned long long)s->sw.seeds, (unsigned long long)s->n0);
        ok = false;
    }
    return ok;
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
static int run_units(sweep_exec *x, const uint64_t *units, size_t n, int jobs, unsigned char *used, char *err,
                     size_t errlen) {
    if (!sweep_exec_select(x, units, n)) {
        snprintf(err, errlen, "a unit out of range");
        return SWEEP_EFAIL;
    }
    int rc = sweep_exec_run_threads(x, jobs, err, errlen);
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

int opt_run(const opt_spec *s, sweep_exec *x, int jobs, bool progress, opt_result *out, char *err, size_t errlen) {
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
    if (jobs < 1) jobs = 1;
    /* The first stage, n0 seeds of every point, runs as one batch, before
     * the procedure exists: the zone of the objective comes from it. */
    for (size_t i = 0; i < k; i++)
        for (uint64_t r = 0; r < n0; r++) units[i * n0 + r] = i * S + r;
    if (progress)
        fprintf(stderr, "\roptimize: first stage, %llu replicas of each of %zu points   ", (unsigned long long)n0, k);
    int rc = run_units(x, units, k * n0, jobs, used, err, errlen);
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
            rc = run_units(x, units, n, jobs, used, err, errlen);
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
