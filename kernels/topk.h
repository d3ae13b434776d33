/* Top-k selection over a score vector: a partial selection with a k-sized
 * heap, O(n log k), no allocation. Order: higher score first, equal scores
 * by lower id, NaN below every number (the CUDA kernel uses the same rule). */
#ifndef FIREDRILL_KERNELS_TOPK_H
#define FIREDRILL_KERNELS_TOPK_H

#include <stdint.h>

/* Writes the best min(k, n) (id, score) pairs, best first, into ids/vals
 * (k entries each); when k > n the tail is padded with id -1 and score
 * -INFINITY. Ids are positions in scores. Returns min(k, n), or -1 when
 * k < 0 or n < 0. */
int32_t rec_topk(const float *scores, int32_t n, int32_t k, int32_t *ids, float *vals);

/* 1 when (a, ia) ranks strictly before (b, ib) under the order above. */
int rec_topk_better(float a, int32_t ia, float b, int32_t ib);

/* recall@k of one top-k list against a reference: |got ∩ want| over the
 * valid ids (>= 0) of want, 1 when want has none. Ids in a list are
 * distinct. */
double rec_topk_recall(const int32_t *got, const int32_t *want, int32_t k);

#endif
