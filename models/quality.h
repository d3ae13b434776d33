/* Served quality of a bad model, measured by the recommendation kernels
 * that run in the servers: a probe of queries is ranked (retrieval top-k)
 * by the good model and by a bad one, and recall@k of the bad rankings
 * against the good ones is the share of what users should have seen that
 * they still see. A bad model is the good one with multiplicative noise of
 * relative size `severity` on every weight and embedding (a push of a
 * model trained on corrupted data, or with a broken feature). Only the
 * rankings enter the results, never the kernels' time, so results stay
 * deterministic. */
#ifndef MODELS_QUALITY_H
#define MODELS_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/rec.h"

typedef struct quality quality;

/* The good model and the probe are drawn from seed (the kernels' default
 * sizes, 2048 items). Returns 0, or -1 with a message. */
int quality_create(rec_backend backend, uint64_t seed, int probe_queries, int k, quality **out, char *err,
                   size_t errlen);
void quality_free(quality *q);
/* The backend asked for at creation. */
rec_backend quality_backend(const quality *q);

/* recall@k of a bad model (noise drawn from noise_seed) against the good
 * one, in [0, 1]. Returns 0, or -1 with a message. */
int quality_bad_model_recall(quality *q, double severity, uint64_t noise_seed, double *recall, char *err,
                             size_t errlen);

#endif
