/* Synthetic request batches for benchmarks, calibration and tests: dense
 * features N(0, 1), multi-hot bags of 0..max_hot rows per table (empty bags
 * included, as real traffic has them) drawn with a popularity skew. Seeded,
 * so a batch is the same on every machine. */
#ifndef FIREDRILL_KERNELS_REC_SYNTH_H
#define FIREDRILL_KERNELS_REC_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/rec.h"

typedef struct rec_synth_batch {
    rec_ranking_input rank;   /* ready to pass to rec_rank */
    rec_retrieval_input retr; /* the same dense features, for rec_retrieve */
    float *dense;             /* batch x dense_dim */
    int32_t *offsets[REC_MAX_TABLES];
    int32_t *indices[REC_MAX_TABLES];
} rec_synth_batch;

int rec_synth_batch_create(const rec_config *cfg, int32_t batch, int32_t max_hot, int32_t k, uint64_t seed,
                           rec_synth_batch **out, char *err, size_t errlen);
void rec_synth_batch_free(rec_synth_batch *b);

/* n row ids of a table of `rows` rows, drawn with Zipf(exponent) popularity
 * (rank k has weight 1/(k+1)^exponent), as item and user IDs are in
 * e-commerce traffic. Rank k is row k * stride mod rows (stride coprime to
 * rows), so the hot rows are scattered over the table as hashed IDs are,
 * not packed at its start. 0, or -1 when out of memory or rows < 1. */
int rec_synth_zipf_rows(int64_t rows, double exponent, size_t n, uint64_t seed, int32_t *out);

#endif
