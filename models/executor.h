/* Running the recommendation model for real inside the simulated servers
 * (`service.execute: true`): every batch a server dispatches is ranked by
 * the kernels (kernels/rec.h) on the chosen backend. Service times still come
 * from the calibration table, so results stay reproducible; the executor
 * adds real work, real rankings and the kernel time it took. */
#ifndef MODELS_EXECUTOR_H
#define MODELS_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct executor executor;

/* backend: a rec_backend value; max_batch: the largest batch to rank. */
int executor_create(int backend, int max_batch, uint64_t seed, executor **out, char *err, size_t errlen);
void executor_free(executor *e);

/* Ranks a batch of n requests (1..max_batch); returns 0 or -1 with err. */
int executor_rank(executor *e, int n, char *err, size_t errlen);

uint64_t executor_batches(const executor *e);
double executor_kernel_s(const executor *e);  /* wall time inside the kernels */
double executor_score_sum(const executor *e); /* of the top-1 scores: a checksum of the rankings */

#endif
