/* CPU backend: OpenBLAS (CBLAS sgemm) for the matrix products, plain C for
 * embedding bags, interactions and top-k. The building blocks are public so
 * tests and benchmarks can check and time each one alone. */
#ifndef FIREDRILL_KERNELS_REC_CPU_H
#define FIREDRILL_KERNELS_REC_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/rec.h"
#include "kernels/rec_internal.h"

/* Memory for an embedding table: on huge pages where the OS allows (large
 * tables), else plain malloc. Release with free(). */
void *rec_cpu_table_alloc(size_t bytes);

/* Sum pooling: out[b * out_stride + c] = sum of table[indices[i] * dim + c]
 * over the bag of b (CSR, see rec_csr); empty bags give zeros. Indices must
 * be in [0, rows) and offsets non-decreasing (rec_rank checks its inputs). */
void rec_cpu_embbag_sum(const float *table, int32_t dim, const int32_t *offsets, const int32_t *indices, int32_t batch,
                        float *out, int64_t out_stride);

/* Floats of scratch rec_cpu_mlp_forward needs for a batch. */
size_t rec_cpu_mlp_work_floats(const rec_mlp_shape *s, int32_t batch);
/* out (batch x out width) = MLP(in (batch x in_dim)); work as above. */
void rec_cpu_mlp_forward(const rec_mlp_shape *s, const float *params, int32_t batch, const float *in, float *out,
                         float *work);

/* z: batch x n_features x dim (feature 0 is the bottom-MLP output). Writes
 * per sample [z0 (dim floats), z_i . z_j for i = 1..F-1, j = 0..i-1]; the
 * row width is dim + F (F - 1) / 2. */
void rec_cpu_interact(const float *z, int32_t batch, int32_t n_features, int32_t dim, float *out);

typedef struct rec_cpu rec_cpu;

int rec_cpu_create(const rec_config *cfg, const rec_layout *lay, rec_cpu **out, char *err, size_t errlen);
void rec_cpu_free(rec_cpu *c);
/* params: the flat MLP vector; tables[REC_TABLE_*]: host tables. Inputs
 * were checked by the caller. */
int rec_cpu_retrieve(rec_cpu *c, const float *params, const float *const *tables, const rec_retrieval_input *in,
                     rec_retrieval_output *out, char *err, size_t errlen);
int rec_cpu_rank(rec_cpu *c, const float *params, const float *const *tables, const rec_ranking_input *in,
                 rec_ranking_output *out, char *err, size_t errlen);

#endif
