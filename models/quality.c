#include "models/quality.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "kernels/rec_synth.h"
#include "kernels/topk.h"

struct quality {
    rec_backend backend;
    rec_model *good, *bad;
    rec_synth_batch *probe;
    int probe_queries, k;
    float *dense_good, *dense_bad; /* MLP weights */
    float *table_good, *table_bad; /* one table at a time */
    int32_t *topk_good, *topk_bad;
    float *topk_scores;
};

rec_backend quality_backend(const quality *q) { return q->backend; }

void quality_free(quality *q) {
    if (!q) return;
    rec_model_free(q->good);
    rec_model_free(q->bad);
    rec_synth_batch_free(q->probe);
    free(q->dense_good);
    free(q->dense_bad);
    free(q->table_good);
    free(q->table_bad);
    free(q->topk_good);
    free(q->topk_bad);
    free(q->topk_scores);
    free(q);
}

int quality_create(rec_backend backend, uint64_t seed, int probe_queries, int k, quality **out, char *err,
                   size_t errlen) {
    *out = NULL;
    /* the kernels' default model with a catalogue of 2048 items: a probe of
     * 64 queries then ranks in about a millisecond, at every bad push */
    rec_config cfg = rec_config_default();
    cfg.n_items = 2048;
    if (probe_queries < 1 || k < 1 || k > REC_MAX_TOPK) {
        snprintf(err, errlen, "quality probe: %d queries, k %d", probe_queries, k);
        return -1;
    }
    quality *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    q->probe_queries = probe_queries;
    q->backend = backend;
    q->k = k;
    char rerr[200] = "";
    int rc = rec_model_create(&cfg, backend, seed, &q->good, rerr, sizeof rerr);
    if (rc == REC_OK) rc = rec_model_create(&cfg, backend, seed, &q->bad, rerr, sizeof rerr);
    if (rc == REC_OK)
        rc = rec_synth_batch_create(&cfg, probe_queries, 4, k, seed ^ 0x9e3779b97f4a7c15ULL, &q->probe, rerr,
                                    sizeof rerr);
    size_t dense = rc == REC_OK ? rec_dense_count(q->good) : 0;
    int64_t max_rows = 0;
    for (int32_t t = 0; rc == REC_OK && t < rec_table_count(q->good); t++)
        if (rec_table_rows(q->good, t) > max_rows) max_rows = rec_table_rows(q->good, t);
    size_t table = (size_t)max_rows * (size_t)cfg.emb_dim, qk = (size_t)probe_queries * (size_t)k;
    if (rc == REC_OK) {
        q->dense_good = malloc(dense * sizeof(float));
        q->dense_bad = malloc(dense * sizeof(float));
        q->table_good = malloc(table * sizeof(float));
        q->table_bad = malloc(table * sizeof(float));
        q->topk_good = malloc(qk * sizeof(int32_t));
        q->topk_bad = malloc(qk * sizeof(int32_t));
        q->topk_scores = malloc(qk * sizeof(float));
        if (!q->dense_good || !q->dense_bad || !q->table_good || !q->table_bad || !q->topk_good || !q->topk_bad ||
            !q->topk_scores) {
            rc = REC_ENOMEM;
            snprintf(rerr, sizeof rerr, "out of memory");
        }
    }
    if (rc == REC_OK) rc = rec_dense_download(q->good, q->dense_good, dense, rerr, sizeof rerr);
    rec_retrieval_output ro = {.topk_ids = q->topk_good, .topk_scores = q->topk_scores};
    if (rc == REC_OK) rc = rec_retrieve(q->good, &q->probe->retr, &ro, rerr, sizeof rerr);
    if (rc != REC_OK) {
        snprintf(err, errlen, "quality probe: %s", rerr);
        quality_free(q);
        return -1;
    }
    *out = q;
    return 0;
}

/* x (1 + severity N(0, 1)): relative noise keeps each parameter's scale. */
static void perturb(const float *src, float *dst, size_t n, double severity, gsl_rng *rng) {
    for (size_t i = 0; i < n; i++) dst[i] = (float)(src[i] * (1 + severity * gsl_ran_gaussian_ziggurat(rng, 1)));
}

int quality_bad_model_recall(quality *q, double severity, uint64_t noise_seed, double *recall, char *err,
                             size_t errlen) {
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_taus2);
    if (!rng) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    gsl_rng_set(rng, (unsigned long)(noise_seed ^ (noise_seed >> 32)));
    char rerr[200] = "";
    size_t dense = rec_dense_count(q->good);
    perturb(q->dense_good, q->dense_bad, dense, severity, rng);
    int rc = rec_dense_upload(q->bad, q->dense_bad, dense, rerr, sizeof rerr);
    /* retrieval ranks with the user tower and the item table: the ranking
     * tables would change nothing the probe sees */
    int32_t dim = rec_table_dim(q->good);
    for (int32_t t = REC_TABLE_ITEMS; rc == REC_OK && t <= REC_TABLE_ITEMS; t++) {
        int64_t rows = rec_table_rows(q->good, t);
        rc = rec_table_download(q->good, t, 0, rows, q->table_good, rerr, sizeof rerr);
        if (rc != REC_OK) break;
        perturb(q->table_good, q->table_bad, (size_t)rows * (size_t)dim, severity, rng);
        rc = rec_table_upload(q->bad, t, 0, rows, q->table_bad, rerr, sizeof rerr);
    }
    gsl_rng_free(rng);
    rec_retrieval_output ro = {.topk_ids = q->topk_bad, .topk_scores = q->topk_scores};
    if (rc == REC_OK) rc = rec_retrieve(q->bad, &q->probe->retr, &ro, rerr, sizeof rerr);
    if (rc != REC_OK) {
        snprintf(err, errlen, "quality probe: %s", rerr);
        return -1;
    }
    double sum = 0;
    for (int i = 0; i < q->probe_queries; i++)
        sum += rec_topk_recall(q->topk_bad + (size_t)i * q->k, q->topk_good + (size_t)i * q->k, q->k);
    *recall = sum / q->probe_queries;
    return 0;
}
