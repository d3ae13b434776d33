#include "kernels/rec_synth.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/rec_internal.h"

void rec_synth_batch_free(rec_synth_batch *b) {
    if (!b) return;
    for (int32_t t = 0; t < REC_MAX_TABLES; t++) {
        free(b->offsets[t]);
        free(b->indices[t]);
    }
    free(b->dense);
    free(b);
}

int rec_synth_batch_create(const rec_config *cfg, int32_t batch, int32_t max_hot, int32_t k, uint64_t seed,
                           rec_synth_batch **out, char *err, size_t errlen) {
    *out = NULL;
    int rc = rec_config_validate(cfg, err, errlen);
    if (rc) return rc;
    if (batch < 1 || max_hot < 0 || k < 1)
        return fd_errf(err, errlen, REC_EINVAL, "synthetic batch: need batch >= 1, max_hot >= 0, k >= 1");
    rec_synth_batch *b = calloc(1, sizeof(*b));
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!b || !r) goto oom;
    /* mt19937 takes 32 bits of seed; fold the high half in. */
    gsl_rng_set(r, (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffUL));
    b->dense = malloc((size_t)batch * cfg->dense_dim * sizeof(float));
    if (!b->dense) goto oom;
    for (size_t i = 0; i < (size_t)batch * cfg->dense_dim; i++) b->dense[i] = (float)gsl_ran_gaussian(r, 1.0);
    for (int32_t t = 0; t < cfg->n_tables; t++) {
        b->offsets[t] = malloc(((size_t)batch + 1) * sizeof(int32_t));
        b->indices[t] = malloc(((size_t)batch * max_hot + 1) * sizeof(int32_t));
        if (!b->offsets[t] || !b->indices[t]) goto oom;
        int32_t nnz = 0;
        b->offsets[t][0] = 0;
        for (int32_t s = 0; s < batch; s++) {
            int32_t hot = (int32_t)gsl_rng_uniform_int(r, (unsigned long)max_hot + 1);
            for (int32_t h = 0; h < hot; h++) {
                /* u^3 puts most lookups on the first rows, like item popularity. */
                double u = gsl_rng_uniform(r);
                int32_t row = (int32_t)(u * u * u * cfg->table_rows[t]);
                b->indices[t][nnz++] = row < cfg->table_rows[t] ? row : cfg->table_rows[t] - 1;
            }
            b->offsets[t][s + 1] = nnz;
        }
        b->rank.sparse[t].offsets = b->offsets[t];
        b->rank.sparse[t].indices = b->indices[t];
    }
    b->rank.batch = b->retr.batch = batch;
    b->rank.dense = b->retr.dense = b->dense;
    b->rank.k = b->retr.k = k;
    gsl_rng_free(r);
    *out = b;
    return REC_OK;
oom:
    gsl_rng_free(r);
    rec_synth_batch_free(b);
    return fd_errf(err, errlen, REC_ENOMEM, "synthetic batch: out of memory");
}

static int64_t gcd64(int64_t a, int64_t b) {
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int rec_synth_zipf_rows(int64_t rows, double exponent, size_t n, uint64_t seed, int32_t *out) {
    if (rows < 1 || rows > INT32_MAX || !(exponent >= 0)) return -1;
    double *w = malloc((size_t)rows * sizeof *w);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_ran_discrete_t *zipf = NULL;
    if (w && r) {
        for (int64_t k = 0; k < rows; k++) w[k] = pow((double)k + 1.0, -exponent);
        zipf = gsl_ran_discrete_preproc((size_t)rows, w);
    }
    free(w);
    if (!zipf) {
        gsl_rng_free(r);
        return -1;
    }
    gsl_rng_set(r, (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffUL));
    int64_t stride = rows > 2 ? (int64_t)(2654435761u % (uint64_t)rows) : 1;
    while (rows > 2 && (stride < 2 || gcd64(stride, rows) != 1)) stride = stride + 1 < rows ? stride + 1 : 1;
    for (size_t i = 0; i < n; i++) out[i] = (int32_t)(((int64_t)gsl_ran_discrete(r, zipf) * stride) % rows);
    gsl_ran_discrete_free(zipf);
    gsl_rng_free(r);
    return 0;
}
