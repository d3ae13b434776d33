/* Where each MLP's weights and biases sit in the flat parameter vector. */
#include "kernels/rec_internal.h"

void rec_mlp_shape_init(rec_mlp_shape *s, int32_t in_dim, int32_t n_layers, const int32_t *widths, int32_t relu_last,
                        size_t *offset) {
    s->n_layers = n_layers;
    s->in_dim = in_dim;
    s->relu_last = relu_last;
    int32_t in = in_dim;
    for (int32_t l = 0; l < REC_MAX_LAYERS; l++) {
        s->out_dim[l] = l < n_layers ? widths[l] : 0;
        s->w_off[l] = s->b_off[l] = 0;
        if (l >= n_layers) continue;
        s->w_off[l] = *offset;
        *offset += (size_t)in * (size_t)widths[l];
        s->b_off[l] = *offset;
        *offset += (size_t)widths[l];
        in = widths[l];
    }
}

int32_t rec_mlp_in_width(const rec_mlp_shape *s, int32_t layer) {
    return layer == 0 ? s->in_dim : s->out_dim[layer - 1];
}

int32_t rec_mlp_out_width(const rec_mlp_shape *s) { return s->out_dim[s->n_layers - 1]; }

int32_t rec_mlp_max_width(const rec_mlp_shape *s) {
    int32_t w = 0;
    for (int32_t l = 0; l < s->n_layers; l++)
        if (s->out_dim[l] > w) w = s->out_dim[l];
    return w;
}

double rec_mlp_macs_per_sample(const rec_mlp_shape *s) {
    double macs = 0.0;
    for (int32_t l = 0; l < s->n_layers; l++) macs += (double)rec_mlp_in_width(s, l) * (double)s->out_dim[l];
    return macs;
}

void rec_layout_build(const rec_config *cfg, rec_layout *out) {
    size_t off = 0;
    rec_mlp_shape_init(&out->user, cfg->dense_dim, cfg->user_layers, cfg->user_width, 0, &off);
    rec_mlp_shape_init(&out->bottom, cfg->dense_dim, cfg->bottom_layers, cfg->bottom_width, 1, &off);
    out->n_features = 1 + cfg->n_tables;
    out->n_pairs = out->n_features * (out->n_features - 1) / 2;
    rec_mlp_shape_init(&out->top, cfg->emb_dim + out->n_pairs, cfg->top_layers, cfg->top_width, 0, &off);
    out->dense_count = off;
}
