/* CPU backend: MLPs and item scoring through cblas_sgemm (OpenBLAS),
 * interactions and the bias/activation passes in C. */
#include "kernels/rec_cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/rec.h"
#include "kernels/topk.h"

struct rec_cpu {
    rec_config cfg;
    rec_layout lay;
    float *scratch; /* grown on demand, reused across batches */
    size_t scratch_floats;
};

size_t rec_cpu_mlp_work_floats(const rec_mlp_shape *s, int32_t batch) {
    return 2 * (size_t)batch * (size_t)rec_mlp_max_width(s);
}

/* One pass over the GEMM output while it is still in cache. Written as
 * eight independent lanes because -O2 vectorizes straight-line code (SLP)
 * but not loops that need an epilogue; the scalar loop cost 20 % of the
 * MLP against a bare sgemm in bench kernels, this one a few percent. */
static void bias_act(float *y, const float *bias, int32_t batch, int32_t n, int relu) {
    for (int32_t b = 0; b < batch; b++) {
        float *restrict row = y + (int64_t)b * n;
        int32_t o = 0;
        if (relu) {
            for (; o + 8 <= n; o += 8) {
                float v[8];
                for (int i = 0; i < 8; i++) v[i] = row[o + i] + bias[o + i];
                for (int i = 0; i < 8; i++) row[o + i] = v[i] > 0.0f ? v[i] : 0.0f;
            }
            for (; o < n; o++) {
                float v = row[o] + bias[o];
                row[o] = v > 0.0f ? v : 0.0f;
            }
        } else {
            for (; o + 8 <= n; o += 8)
                for (int i = 0; i < 8; i++) row[o + i] += bias[o + i];
            for (; o < n; o++) row[o] += bias[o];
        }
    }
}

void rec_cpu_mlp_forward(const rec_mlp_shape *s, const float *params, int32_t batch, const float *in, float *out,
                         float *work) {
    if (batch <= 0) return;
    const size_t half = (size_t)batch * (size_t)rec_mlp_max_width(s);
    const float *x = in;
    for (int32_t l = 0; l < s->n_layers; l++) {
        const int32_t kin = rec_mlp_in_width(s, l), n = s->out_dim[l];
        const int last = l == s->n_layers - 1;
        float *y = last ? out : work + (size_t)(l % 2) * half;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, n, kin, 1.0f, x, kin, params + s->w_off[l], kin,
                    0.0f, y, n);
        bias_act(y, params + s->b_off[l], batch, n, !last || s->relu_last);
        x = y;
    }
}

/* A dot product in eight independent lanes, added pairwise at the end: the
 * single-accumulator loop waits on each add's latency (about 4 cycles), and
 * at DLRM-v2's 351 pairs of 128 floats per sample that cost more than its
 * whole top MLP in sgemm. Straight-line lanes vectorize at -O2 (see
 * bias_act). */
static inline float dot8(const float *restrict x, const float *restrict y, int32_t n) {
    float l[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int32_t c = 0;
    for (; c + 8 <= n; c += 8)
        for (int i = 0; i < 8; i++) l[i] += x[c + i] * y[c + i];
    float acc = ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
    for (; c < n; c++) acc += x[c] * y[c];
    return acc;
}

void rec_cpu_interact(const float *z, int32_t batch, int32_t n_features, int32_t dim, float *out) {
    const int32_t pairs = n_features * (n_features - 1) / 2;
    const int64_t width = (int64_t)dim + pairs;
    for (int32_t b = 0; b < batch; b++) {
        const float *zb = z + (int64_t)b * n_features * dim;
        float *o = out + (int64_t)b * width;
        memcpy(o, zb, (size_t)dim * sizeof(float));
        int32_t p = dim;
        for (int32_t i = 1; i < n_features; i++)
            for (int32_t j = 0; j < i; j++) o[p++] = dot8(zb + (int64_t)i * dim, zb + (int64_t)j * dim, dim);
    }
}

int rec_cpu_create(const rec_config *cfg, const rec_layout *lay, rec_cpu **out, char *err, size_t errlen) {
    rec_cpu *c = calloc(1, sizeof(*c));
    if (!c) return fd_errf(err, errlen, REC_ENOMEM, "cpu backend: out of memory");
    c->cfg = *cfg;
    c->lay = *lay;
    *out = c;
    return REC_OK;
}

void rec_cpu_free(rec_cpu *c) {
    if (!c) return;
    free(c->scratch);
    free(c);
}

static int scratch_reserve(rec_cpu *c, size_t floats, char *err, size_t errlen) {
    if (floats <= c->scratch_floats) return REC_OK;
    float *p = realloc(c->scratch, floats * sizeof(float));
    if (!p)
        return fd_errf(err, errlen, REC_ENOMEM, "cpu backend: cannot allocate %zu bytes of scratch",
                       floats * sizeof(float));
    c->scratch = p;
    c->scratch_floats = floats;
    return REC_OK;
}

int rec_cpu_retrieve(rec_cpu *c, const float *params, const float *const *tables, const rec_retrieval_input *in,
                     rec_retrieval_output *out, char *err, size_t errlen) {
    const int32_t B = in->batch, d = c->cfg.emb_dim, n = c->cfg.n_items, k = in->k;
    const size_t work = rec_cpu_mlp_work_floats(&c->lay.user, B);
    const size_t q_floats = out->query_emb ? 0 : (size_t)B * d;
    const size_t s_floats = out->scores ? 0 : (size_t)B * n;
    int rc = scratch_reserve(c, work + q_floats + s_floats, err, errlen);
    if (rc) return rc;
    float *q = out->query_emb ? out->query_emb : c->scratch + work;
    float *s = out->scores ? out->scores : c->scratch + work + q_floats;
    rec_cpu_mlp_forward(&c->lay.user, params, B, in->dense, q, c->scratch);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n, d, 1.0f, q, d, tables[REC_TABLE_ITEMS], d, 0.0f, s, n);
    for (int32_t b = 0; b < B; b++)
        rec_topk(s + (int64_t)b * n, n, k, out->topk_ids + (int64_t)b * k, out->topk_scores + (int64_t)b * k);
    return REC_OK;
}

int rec_cpu_rank(rec_cpu *c, const float *params, const float *const *tables, const rec_ranking_input *in,
                 rec_ranking_output *out, char *err, size_t errlen) {
    const int32_t B = in->batch, d = c->cfg.emb_dim, T = c->cfg.n_tables;
    const int32_t F = c->lay.n_features, top_in = d + c->lay.n_pairs;
    size_t work = rec_cpu_mlp_work_floats(&c->lay.bottom, B);
    const size_t work_top = rec_cpu_mlp_work_floats(&c->lay.top, B);
    if (work_top > work) work = work_top;
    const size_t bot_floats = (size_t)B * d, z_floats = (size_t)B * F * d;
    const size_t x_floats = (size_t)B * top_in;
    int rc = scratch_reserve(c, work + bot_floats + z_floats + x_floats, err, errlen);
    if (rc) return rc;
    float *bot = c->scratch + work, *z = bot + bot_floats, *x = z + z_floats;

    rec_cpu_mlp_forward(&c->lay.bottom, params, B, in->dense, bot, c->scratch);
    for (int32_t b = 0; b < B; b++) memcpy(z + (int64_t)b * F * d, bot + (int64_t)b * d, (size_t)d * sizeof(float));
    for (int32_t t = 0; t < T; t++)
        rec_cpu_embbag_sum(tables[REC_TABLE_SPARSE(t)], d, in->sparse[t].offsets, in->sparse[t].indices, B,
                           z + (int64_t)(1 + t) * d, (int64_t)F * d);
    rec_cpu_interact(z, B, F, d, x);
    rec_cpu_mlp_forward(&c->lay.top, params, B, x, out->scores, c->scratch);
    for (int32_t b = 0; b < B; b++) out->scores[b] = 1.0f / (1.0f + expf(-out->scores[b]));
    rec_topk(out->scores, B, in->k, out->topk_ids, out->topk_scores);
    return REC_OK;
}

void rec_cpu_set_blas_threads(int n) { openblas_set_num_threads(n > 0 ? n : 1); }
int rec_cpu_blas_threads(void) { return openblas_get_num_threads(); }
