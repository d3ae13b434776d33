/* Parameter layout shared by the model (rec.c) and its backends (rec_cpu.c,
 * rec_cuda.cu). All MLP weights and biases live in one flat float vector so
 * a backend uploads them in one copy and the simulation backs them up as
 * one blob. Included from C and from CUDA C++. */
#ifndef FIREDRILL_KERNELS_REC_INTERNAL_H
#define FIREDRILL_KERNELS_REC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/rec.h"
#include "util/fd_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One MLP: layer l maps width in(l) to out_dim[l]; y = x W^T + b with W
 * row-major out x in at params + w_off[l], b at params + b_off[l]; ReLU after
 * every layer but the last, and after the last too when relu_last. */
typedef struct rec_mlp_shape {
    int32_t n_layers;
    int32_t in_dim;
    int32_t out_dim[REC_MAX_LAYERS];
    int32_t relu_last;
    size_t w_off[REC_MAX_LAYERS];
    size_t b_off[REC_MAX_LAYERS];
} rec_mlp_shape;

typedef struct rec_layout {
    rec_mlp_shape user;   /* dense_dim -> emb_dim */
    rec_mlp_shape bottom; /* dense_dim -> emb_dim, ReLU on all layers */
    rec_mlp_shape top;    /* emb_dim + n_pairs -> 1 */
    int32_t n_features;   /* bottom output + one pooled vector per table */
    int32_t n_pairs;      /* n_features * (n_features - 1) / 2 */
    size_t dense_count;   /* floats in the flat parameter vector */
} rec_layout;

/* Fills s for an MLP whose parameters start at *offset; advances *offset. */
void rec_mlp_shape_init(rec_mlp_shape *s, int32_t in_dim, int32_t n_layers, const int32_t *widths, int32_t relu_last,
                        size_t *offset);
int32_t rec_mlp_in_width(const rec_mlp_shape *s, int32_t layer);
int32_t rec_mlp_out_width(const rec_mlp_shape *s);
int32_t rec_mlp_max_width(const rec_mlp_shape *s); /* widest output of any layer */
/* Floats of MAC work per sample: sum over layers of in * out. */
double rec_mlp_macs_per_sample(const rec_mlp_shape *s);

/* cfg must be valid (rec_config_validate). */
void rec_layout_build(const rec_config *cfg, rec_layout *out);

/* Messages go through fd_errf (util/fd_status.h), the one formatter. */

#ifdef __cplusplus
}
#endif

#endif
