#include "analysis/rs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

const char *const rs_fate_names[] = {"contending", "infeasible", "dominated", "selected", "stopped"};

struct rs {
    rs_config cfg;
    double h2_feas, h2_sel;
    size_t r;       /* observations every contending system has */
    uint64_t taken; /* observations in all */
    bool done, guaranteed;
    rs_system *sys;
    double *first_obj;   /* k x n0: the first stage's objectives (paired variances) */
    double *first_con;   /* k x L x n0: the first n0 valid values of each constraint */
    size_t *n_first_con; /* k x L */
    double *var_con;     /* k x L: NaN until n0 valid values */
    double *var_diff;    /* k x k: of objective differences over the first stage */
    double *sum_obj;     /* k */
    double *sum_con;     /* k x L: sum of (value - target) over valid values */
    size_t *n_valid;     /* k x L */
};

/* KN's continuation constant for a two-sided comparison at level beta
 * with a first stage of n0: h^2 = (n0 - 1) ((2 beta)^(-2/(n0-1)) - 1). */
static double kn_h2(double beta, size_t n0) {
    double m = (double)n0 - 1;
    return m * (pow(2 * beta, -2 / m) - 1);
}

rs *rs_create(const rs_config *cfg, char *err, size_t errlen) {
    if (cfg->k < 1 || cfg->n0 < 2 || cfg->max_n < cfg->n0 || !(cfg->delta > 0) || !(cfg->alpha > 0 && cfg->alpha < 1) ||
        cfg->n_constraints > RS_MAX_CONSTRAINTS) {
        snprintf(err, errlen, "ranking and selection: bad configuration (k %zu, n0 %zu, max %zu, delta %g, alpha %g)",
                 cfg->k, cfg->n0, cfg->max_n, cfg->delta, cfg->alpha);
        return NULL;
    }
    for (size_t l = 0; l < cfg->n_constraints; l++)
        if (!(cfg->eps[l] > 0)) {
            snprintf(err, errlen, "ranking and selection: constraint %zu needs a tolerance > 0", l);
            return NULL;
        }
    size_t k = cfg->k, L = cfg->n_constraints ? cfg->n_constraints : 1;
    rs *s = calloc(1, sizeof *s);
    if (s) {
        s->cfg = *cfg;
        s->sys = calloc(k, sizeof *s->sys);
        s->first_obj = calloc(k * cfg->n0, sizeof *s->first_obj);
        s->first_con = calloc(k * L * cfg->n0, sizeof *s->first_con);
        s->n_first_con = calloc(k * L, sizeof *s->n_first_con);
        s->var_con = calloc(k * L, sizeof *s->var_con);
        s->var_diff = calloc(k * k, sizeof *s->var_diff);
        s->sum_obj = calloc(k, sizeof *s->sum_obj);
        s->sum_con = calloc(k * L, sizeof *s->sum_con);
        s->n_valid = calloc(k * L, sizeof *s->n_valid);
    }
    if (!s || !s->sys || !s->first_obj || !s->first_con || !s->n_first_con || !s->var_con || !s->var_diff ||
        !s->sum_obj || !s->sum_con || !s->n_valid) {
        rs_free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < k * L; i++) s->var_con[i] = NAN;
    /* alpha: half to feasibility (Bonferroni over systems and constraints),
     * half to selection (KN over k - 1 comparisons) */
    double L_eff = cfg->n_constraints ? (double)cfg->n_constraints : 1;
    s->h2_feas = kn_h2(cfg->alpha / 2 / ((double)k * L_eff), cfg->n0);
    s->h2_sel = k > 1 ? kn_h2(cfg->alpha / 2 / (double)(k - 1), cfg->n0) : 0;
    s->guaranteed = true;
    for (size_t i = 0; i < k; i++) s->sys[i].by = -1;
    return s;
}

void rs_free(rs *s) {
    if (!s) return;
    free(s->sys);
    free(s->first_obj);
    free(s->first_con);
    free(s->n_first_con);
    free(s->var_con);
    free(s->var_diff);
    free(s->sum_obj);
    free(s->sum_con);
    free(s->n_valid);
    free(s);
}

size_t rs_next_obs(const rs *s) { return s->r; }

static size_t contending(const rs *s, size_t *out) {
    size_t n = 0;
    for (size_t i = 0; i < s->cfg.k; i++)
        if (s->sys[i].fate == RS_CONTENDING) {
            if (out) out[n] = i;
            n++;
        }
    return n;
}

size_t rs_wanted(const rs *s, size_t *out) { return s->done ? 0 : contending(s, out); }

void rs_record(rs *s, size_t i, size_t r, double objective, const double *constraint) {
    const size_t n0 = s->cfg.n0, L = s->cfg.n_constraints;
    rs_system *x = &s->sys[i];
    if (r < n0) s->first_obj[i * n0 + r] = objective;
    s->sum_obj[i] += objective;
    for (size_t l = 0; l < L; l++) {
        double v = constraint[l];
        if (isnan(v)) continue;
        size_t il = i * L + l;
        if (s->n_first_con[il] < n0) s->first_con[il * n0 + s->n_first_con[il]++] = v;
        s->sum_con[il] += v - s->cfg.target[l];
        s->n_valid[il]++;
    }
    x->n = r + 1;
    s->taken++;
}

/* KN's continuation half-width after r observations. */
static double half_width(double h2, double var, double eps, double r) {
    double w = h2 * var / (2 * eps) - eps * r / 2;
    return w > 0 ? w : 0;
}

static void check_feasibility(rs *s, size_t i) {
    const size_t n0 = s->cfg.n0, L = s->cfg.n_constraints;
    rs_system *x = &s->sys[i];
    for (size_t l = 0; l < L; l++) {
        size_t il = i * L + l;
        if (x->decided[l]) continue;
        if (isnan(s->var_con[il]) && s->n_first_con[il] == n0)
            s->var_con[il] = gsl_stats_variance(s->first_con + il * n0, 1, n0);
        if (isnan(s->var_con[il])) continue; /* fewer than n0 valid values so far */
        double w = half_width(s->h2_feas, s->var_con[il], s->cfg.eps[l], (double)s->n_valid[il]);
        double sum = s->sum_con[il];
        if (sum > w || (w == 0 && sum > 0)) {
            x->decided[l] = true;
            x->feasible[l] = false;
            x->fate = RS_INFEASIBLE;
            x->by = (int)l;
            x->decided_at = x->n;
            return;
        }
        if (sum < -w || (w == 0 && sum <= 0)) {
            x->decided[l] = true;
            x->feasible[l] = true;
        }
    }
}

static bool known_feasible(const rs *s, size_t i) {
    for (size_t l = 0; l < s->cfg.n_constraints; l++)
        if (!s->sys[i].decided[l] || !s->sys[i].feasible[l]) return false;
    return true;
}

static void finish(rs *s, bool guaranteed) {
    s->done = true;
    s->guaranteed = guaranteed;
    const size_t L = s->cfg.n_constraints;
    for (size_t i = 0; i < s->cfg.k; i++) {
        rs_system *x = &s->sys[i];
        x->objective_mean = x->n ? s->sum_obj[i] / (double)x->n : NAN;
        for (size_t l = 0; l < L; l++) {
            size_t il = i * L + l;
            x->constraint_mean[l] = s->n_valid[il] ? s->sum_con[il] / (double)s->n_valid[il] + s->cfg.target[l] : NAN;
        }
    }
    if (guaranteed) return;
    /* stopped early: the best mean among the contenders whose constraint
     * means meet the targets, without the guarantee */
    int best = -1;
    for (size_t i = 0; i < s->cfg.k; i++) {
        rs_system *x = &s->sys[i];
        if (x->fate != RS_CONTENDING) continue;
        x->fate = RS_STOPPED;
        x->decided_at = x->n;
        bool ok = true;
        for (size_t l = 0; l < L; l++) ok &= !(x->constraint_mean[l] > s->cfg.target[l]);
        if (ok && (best < 0 || x->objective_mean < s->sys[best].objective_mean)) best = (int)i;
    }
    if (best >= 0) s->sys[best].fate = RS_SELECTED;
}

void rs_update(rs *s) {
    const size_t k = s->cfg.k, n0 = s->cfg.n0;
    size_t *alive = malloc(k * sizeof *alive);
    if (!alive) {
        finish(s, false);
        return;
    }
    size_t n_alive = contending(s, alive);
    /* every contender has the same count */
    s->r = n_alive ? s->sys[alive[0]].n : s->r;
    if (s->r < n0) {
        free(alive);
        return;
    }
    if (s->r == n0)
        for (size_t a = 0; a < n_alive; a++)
            for (size_t b = 0; b < n_alive; b++) {
                size_t i = alive[a], j = alive[b];
                if (i == j) continue;
                double v = 0, mean = 0;
                for (size_t m = 0; m < n0; m++) mean += s->first_obj[i * n0 + m] - s->first_obj[j * n0 + m];
                mean /= (double)n0;
                for (size_t m = 0; m < n0; m++) {
                    double e = s->first_obj[i * n0 + m] - s->first_obj[j * n0 + m] - mean;
                    v += e * e;
                }
                s->var_diff[i * k + j] = v / (double)(n0 - 1);
            }
    for (size_t a = 0; a < n_alive; a++) check_feasibility(s, alive[a]);
    /* KN elimination, by contenders already known to be feasible */
    bool *out = calloc(k, sizeof *out);
    for (size_t a = 0; out && a < n_alive; a++) {
        size_t i = alive[a];
        if (s->sys[i].fate != RS_CONTENDING) continue;
        for (size_t b = 0; b < n_alive; b++) {
            size_t j = alive[b];
            if (i == j || s->sys[j].fate != RS_CONTENDING || out[j] || !known_feasible(s, j)) continue;
            double w = half_width(s->h2_sel, s->var_diff[i * k + j], s->cfg.delta, (double)s->r);
            double sum = s->sum_obj[i] - s->sum_obj[j];
            if (sum > w || (w == 0 && (sum > 0 || (sum == 0 && i > j)))) {
                out[i] = true;
                s->sys[i].by = (int)j;
                break;
            }
        }
    }
    for (size_t a = 0; out && a < n_alive; a++)
        if (out[alive[a]]) {
            s->sys[alive[a]].fate = RS_DOMINATED;
            s->sys[alive[a]].decided_at = s->r;
        }
    free(out);
    n_alive = contending(s, alive);
    if (n_alive == 0) {
        finish(s, true); /* nothing feasible */
    } else if (n_alive == 1 && known_feasible(s, alive[0])) {
        s->sys[alive[0]].fate = RS_SELECTED;
        s->sys[alive[0]].decided_at = s->r;
        finish(s, true);
    } else if (s->r >= s->cfg.max_n || (s->cfg.budget && s->taken + n_alive > s->cfg.budget)) {
        finish(s, false);
    }
    free(alive);
}

const rs_system *rs_get(const rs *s, size_t i) { return &s->sys[i]; }

int rs_selected(const rs *s) {
    for (size_t i = 0; i < s->cfg.k; i++)
        if (s->sys[i].fate == RS_SELECTED) return (int)i;
    return -1;
}

uint64_t rs_observations(const rs *s) { return s->taken; }

bool rs_guaranteed(const rs *s) { return s->guaranteed; }

void rs_constants(const rs *s, double *h2_feasibility, double *h2_selection) {
    *h2_feasibility = s->h2_feas;
    *h2_selection = s->h2_sel;
}
