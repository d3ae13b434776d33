#include "analysis/money.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const money_part_columns[MONEY_N_PARTS] = {"standby_cost", "replication_cost", "backup_cost",
                                                       "lost_revenue", "penalty_cost"};
const char *const money_part_labels[MONEY_N_PARTS] = {"standby", "replication", "backups", "lost revenue", "penalties"};

const char *money_cost_metric(const h5in_table *replicas) {
    return h5in_column_find(replicas, "total_cost_per_year") ? "total_cost_per_year" : "backup_cost";
}

static double point_of(const h5in_column *pc, size_t r) { return pc ? pc->values[r] : 0; }

int money_costs_compute(const h5in_table *replicas, const h5in_points *p, double confidence, money_costs *out) {
    const h5in_column *pc = h5in_column_find(replicas, "point"), *hc = h5in_column_find(replicas, "horizon_s");
    const h5in_column *tc = h5in_column_find(replicas, "total_cost_per_year");
    const h5in_column *parts[MONEY_N_PARTS];
    for (int j = 0; j < MONEY_N_PARTS; j++) parts[j] = h5in_column_find(replicas, money_part_columns[j]);
    size_t n = replicas->n_rows;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return MONEY_EFAIL;
    int rc = MONEY_OK;
    for (size_t i = 0; rc == MONEY_OK && i < p->n; i++) {
        money_costs *c = &out[i];
        memset(c, 0, sizeof *c);
        for (int j = 0; rc == MONEY_OK && j < MONEY_N_PARTS; j++) {
            c->have_part[j] = parts[j] && hc;
            if (!c->have_part[j]) continue;
            size_t k = 0;
            for (size_t r = 0; r < n; r++)
                if (point_of(pc, r) == (double)p->index[i])
                    v[k++] = hc->values[r] > 0 ? parts[j]->values[r] * MONEY_YEAR_S / hc->values[r] : NAN;
            if (summary_stat_compute_method(v, k, confidence, SUMMARY_BOOTSTRAP, &c->part[j]) != SUMMARY_OK)
                rc = MONEY_EFAIL;
        }
        c->have_total = tc != NULL;
        if (rc != MONEY_OK || !tc) continue;
        size_t k = 0;
        for (size_t r = 0; r < n; r++)
            if (point_of(pc, r) == (double)p->index[i]) v[k++] = tc->values[r];
        if (summary_stat_compute_method(v, k, confidence, SUMMARY_BOOTSTRAP, &c->total) != SUMMARY_OK) rc = MONEY_EFAIL;
    }
    free(v);
    return rc;
}

/* ---- losses by kind ------------------------------------------------------------------ */

void money_losses_free(money_losses *l) {
    if (!l) return;
    free(l->kinds);
    memset(l, 0, sizeof *l);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Position of seed in the sorted list, or -1. */
static long seed_pos(const uint64_t *seeds, size_t n, uint64_t seed) {
    const uint64_t *hit = bsearch(&seed, seeds, n, sizeof *seeds, cmp_u64);
    return hit ? (long)(hit - seeds) : -1;
}

static int cmp_kind(const void *a, const void *b) {
    const money_kind *x = a, *y = b;
    bool xb = strcmp(x->kind, "(background)") == 0, yb = strcmp(y->kind, "(background)") == 0;
    if (xb != yb) return xb ? 1 : -1;
    double lx = isnan(x->lost.mean) ? 0 : x->lost.mean, ly = isnan(y->lost.mean) ? 0 : y->lost.mean;
    if (lx != ly) return lx > ly ? -1 : 1;
    if (x->incidents != y->incidents) return x->incidents > y->incidents ? -1 : 1;
    return strcmp(x->kind, y->kind);
}

int money_losses_compute(const h5in_table *replicas, const h5in_table *incidents, uint32_t point, double confidence,
                         money_losses *out) {
    memset(out, 0, sizeof *out);
    out->point = point;
    out->lost_revenue_mean = out->slo_min_mean = NAN;
    const h5in_column *rp = h5in_column_find(replicas, "point"), *rs = h5in_column_find(replicas, "seed");
    const h5in_column *rlost = h5in_column_find(replicas, "lost_revenue");
    const h5in_column *rslo = h5in_column_find(replicas, "slo_violation_min");
    const h5in_column *bg_lost = h5in_column_find(replicas, "lost_revenue_background");
    const h5in_column *bg_slo = h5in_column_find(replicas, "slo_violation_background_min");
    size_t n = replicas->n_rows;
    uint64_t *seeds = malloc((n ? n : 1) * sizeof *seeds);
    if (!seeds) return MONEY_EFAIL;
    size_t nr = 0;
    double lost_sum = 0, slo_sum = 0;
    for (size_t r = 0; r < n; r++) {
        if (point_of(rp, r) != (double)point) continue;
        seeds[nr++] = h5in_seed_at(rs, r);
        if (rlost && isfinite(rlost->values[r])) lost_sum += rlost->values[r];
        if (rslo && isfinite(rslo->values[r])) slo_sum += rslo->values[r];
    }
    out->n_replicas = nr;
    if (nr) {
        out->lost_revenue_mean = rlost ? lost_sum / (double)nr : NAN;
        out->slo_min_mean = rslo ? slo_sum / (double)nr : NAN;
    }
    qsort(seeds, nr, sizeof *seeds, cmp_u64);

    /* The kinds at this point, in order of first appearance. */
    const h5in_column *ip = incidents ? h5in_column_find(incidents, "point") : NULL;
    const h5in_column *is = incidents ? h5in_column_find(incidents, "seed") : NULL;
    const h5in_column *ik = incidents ? h5in_column_find(incidents, "kind") : NULL;
    const h5in_column *ilost = incidents ? h5in_column_find(incidents, "lost_revenue") : NULL;
    const h5in_column *islo = incidents ? h5in_column_find(incidents, "slo_missed_s") : NULL;
    const h5in_column *irto = incidents ? h5in_column_find(incidents, "rto_s") : NULL;
    const h5in_column *irpo = incidents ? h5in_column_find(incidents, "rpo_s") : NULL;
    const h5in_column *ifail = incidents ? h5in_column_find(incidents, "requests_failed") : NULL;
    size_t n_inc = ik && ik->is_string ? incidents->n_rows : 0, cap = 8, nk = 0;
    money_kind *kinds = calloc(cap + 1, sizeof *kinds);
    double *per_rep = NULL; /* [kind * nr + replica]: lost revenue per replica */
    size_t per_rep_cap = 0;
    double *incs = calloc(cap + 1, sizeof *incs), *slo = calloc(cap + 1, sizeof *slo);
    double *fail = calloc(cap + 1, sizeof *fail);
    int rc = kinds && incs && slo && fail ? MONEY_OK : MONEY_EFAIL;
    for (size_t r = 0; rc == MONEY_OK && r < n_inc; r++) {
        if (point_of(ip, r) != (double)point) continue;
        long rep = seed_pos(seeds, nr, is ? h5in_seed_at(is, r) : 0);
        if (rep < 0) continue; /* an incident of a replica the table lacks */
        const char *kind = h5in_string_at(ik, r);
        size_t k = 0;
        while (k < nk && strncmp(kinds[k].kind, kind, sizeof kinds[k].kind - 1) != 0) k++;
        if (k == nk) {
            if (nk == cap) {
                cap *= 2;
                money_kind *gk = realloc(kinds, (cap + 1) * sizeof *gk);
                if (gk) kinds = gk;
                double *g1 = gk ? realloc(incs, (cap + 1) * sizeof *g1) : NULL;
                if (g1) incs = g1;
                double *g2 = g1 ? realloc(slo, (cap + 1) * sizeof *g2) : NULL;
                if (g2) slo = g2;
                double *g3 = g2 ? realloc(fail, (cap + 1) * sizeof *g3) : NULL;
                if (g3) fail = g3;
                if (!g3) {
                    rc = MONEY_EFAIL;
                    break;
                }
            }
            memset(&kinds[nk], 0, sizeof kinds[nk]);
            snprintf(kinds[nk].kind, sizeof kinds[nk].kind, "%s", kind);
            incs[nk] = slo[nk] = fail[nk] = 0;
            nk++;
        }
        if ((k + 1) * nr > per_rep_cap) {
            size_t want = (cap + 1) * (nr ? nr : 1);
            double *g = realloc(per_rep, want * sizeof *g);
            if (!g) {
                rc = MONEY_EFAIL;
                break;
            }
            memset(g + per_rep_cap, 0, (want - per_rep_cap) * sizeof *g);
            per_rep = g;
            per_rep_cap = want;
        }
        money_kind *mk = &kinds[k];
        incs[k] += 1;
        if (ilost && isfinite(ilost->values[r])) per_rep[k * nr + (size_t)rep] += ilost->values[r];
        if (islo && isfinite(islo->values[r])) slo[k] += islo->values[r] / 60;
        if (ifail && isfinite(ifail->values[r])) fail[k] += ifail->values[r];
        if (irto && isfinite(irto->values[r])) {
            mk->outages++;
            mk->rto_s_sum += irto->values[r];
        }
        if (irpo && isfinite(irpo->values[r]) && irpo->values[r] > 0) mk->rpo_s_sum += irpo->values[r];
    }
    for (size_t k = 0; rc == MONEY_OK && k < nk; k++) {
        money_kind *mk = &kinds[k];
        double denom = nr ? (double)nr : NAN;
        mk->incidents = incs[k] / denom;
        mk->slo_missed_min = slo[k] / denom;
        mk->requests_failed = fail[k] / denom;
        mk->rto_mean_s = mk->outages ? mk->rto_s_sum / (double)mk->outages : NAN;
        if (summary_stat_compute_method(per_rep ? per_rep + k * nr : NULL, per_rep ? nr : 0, confidence,
                                        SUMMARY_BOOTSTRAP, &mk->lost) != SUMMARY_OK)
            rc = MONEY_EFAIL;
    }
    /* What no incident is charged with. */
    if (rc == MONEY_OK && (bg_lost || bg_slo) && nr) {
        money_kind *mk = &kinds[nk];
        memset(mk, 0, sizeof *mk);
        snprintf(mk->kind, sizeof mk->kind, "(background)");
        mk->incidents = mk->rto_mean_s = mk->requests_failed = NAN;
        double *v = malloc(nr * sizeof *v);
        size_t k = 0;
        double bslo = 0;
        for (size_t r = 0; v && r < n; r++) {
            if (point_of(rp, r) != (double)point) continue;
            v[k++] = bg_lost ? bg_lost->values[r] : NAN;
            if (bg_slo && isfinite(bg_slo->values[r])) bslo += bg_slo->values[r];
        }
        mk->slo_missed_min = bg_slo ? bslo / (double)nr : NAN;
        if (!v || summary_stat_compute_method(v, k, confidence, SUMMARY_BOOTSTRAP, &mk->lost) != SUMMARY_OK)
            rc = MONEY_EFAIL;
        free(v);
        nk++;
    }
    free(per_rep);
    free(incs);
    free(slo);
    free(fail);
    free(seeds);
    if (rc != MONEY_OK) {
        free(kinds);
        return rc;
    }
    qsort(kinds, nk, sizeof *kinds, cmp_kind);
    out->kinds = kinds;
    out->n_kinds = nk;
    return MONEY_OK;
}

bool money_driver(const h5in_table *incidents, uint32_t point, const char *weight, char *kind, size_t len,
                  double *share) {
    const h5in_column *ip = incidents ? h5in_column_find(incidents, "point") : NULL;
    const h5in_column *ik = incidents ? h5in_column_find(incidents, "kind") : NULL;
    const h5in_column *iw = incidents ? h5in_column_find(incidents, weight) : NULL;
    if (!ik || !ik->is_string || !iw || iw->is_string) return false;
    enum { MAX_KINDS = 64 };
    char names[MAX_KINDS][64];
    double sums[MAX_KINDS] = {0}, total = 0;
    size_t nk = 0;
    for (size_t r = 0; r < incidents->n_rows; r++) {
        double w = iw->values[r];
        if (point_of(ip, r) != (double)point || !isfinite(w) || w <= 0) continue;
        const char *k = h5in_string_at(ik, r);
        size_t i = 0;
        while (i < nk && strncmp(names[i], k, sizeof names[i] - 1) != 0) i++;
        if (i == nk) {
            if (nk == MAX_KINDS) continue;
            snprintf(names[nk++], sizeof names[0], "%s", k);
        }
        sums[i] += w;
        total += w;
    }
    if (!nk || total <= 0) return false;
    size_t best = 0;
    for (size_t i = 1; i < nk; i++)
        if (sums[i] > sums[best]) best = i;
    snprintf(kind, len, "%s", names[best]);
    *share = sums[best] / total;
    return true;
}

void money_pareto(const double *x, const double *y, size_t n, bool *on) {
    for (size_t i = 0; i < n; i++) {
        on[i] = isfinite(x[i]) && isfinite(y[i]);
        for (size_t j = 0; on[i] && j < n; j++) {
            if (j == i || !isfinite(x[j]) || !isfinite(y[j])) continue;
            bool no_worse = x[j] <= x[i] && y[j] <= y[i], better = x[j] < x[i] || y[j] < y[i];
            /* An exact twin: the lower index stays on the frontier. */
            if ((no_worse && better) || (x[j] == x[i] && y[j] == y[i] && j < i)) on[i] = false;
        }
    }
}
