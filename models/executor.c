#include "models/executor.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/rec.h"
#include "kernels/rec_synth.h"

/* Requests carry up to this many ids per sparse feature, as search queries do. */
#define EXECUTOR_MAX_HOT 4
#define EXECUTOR_TOP_K   10

struct executor {
    rec_model *model;
    rec_synth_batch *batch;
    int max_batch;
    float *scores, *topk_scores;
    int32_t *topk_ids;
    uint64_t batches;
    double kernel_s, score_sum;
};

int executor_create(int backend, int max_batch, uint64_t seed, executor **out, char *err, size_t errlen) {
    *out = NULL;
    executor *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rec_config cfg = rec_config_default();
    e->max_batch = max_batch;
    e->scores = malloc((size_t)max_batch * sizeof *e->scores);
    e->topk_scores = malloc(EXECUTOR_TOP_K * sizeof *e->topk_scores);
    e->topk_ids = malloc(EXECUTOR_TOP_K * sizeof *e->topk_ids);
    if (!e->scores || !e->topk_scores || !e->topk_ids ||
        rec_model_create(&cfg, (rec_backend)backend, seed, &e->model, err, errlen) != 0 ||
        rec_synth_batch_create(&cfg, max_batch, EXECUTOR_MAX_HOT, EXECUTOR_TOP_K, seed ^ 0x5eed, &e->batch, err,
                               errlen) != 0) {
        executor_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

void executor_free(executor *e) {
    if (!e) return;
    rec_synth_batch_free(e->batch);
    rec_model_free(e->model);
    free(e->scores);
    free(e->topk_scores);
    free(e->topk_ids);
    free(e);
}

int executor_rank(executor *e, int n, char *err, size_t errlen) {
    if (n < 1 || n > e->max_batch) {
        snprintf(err, errlen, "executor: batch of %d outside 1..%d", n, e->max_batch);
        return -1;
    }
    /* The first n samples of the prepared batch: CSR offsets are prefixes. */
    rec_ranking_input in = e->batch->rank;
    in.batch = n;
    in.k = n < EXECUTOR_TOP_K ? n : EXECUTOR_TOP_K;
    rec_ranking_output out = {e->scores, e->topk_ids, e->topk_scores};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = rec_rank(e->model, &in, &out, err, errlen);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0) return -1;
    e->kernel_s += (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    e->score_sum += e->topk_scores[0];
    e->batches++;
    return 0;
}

uint64_t executor_batches(const executor *e) { return e->batches; }
double executor_kernel_s(const executor *e) { return e->kernel_s; }
double executor_score_sum(const executor *e) { return e->score_sum; }
