/* The backend-neutral model: config, deterministic weights, tables, input
 * checks, dispatch to the CPU or CUDA backend. The host copy of every
 * parameter lives here; the CPU backend reads it in place, the CUDA backend
 * keeps its own device copy in step with every upload. */
#include "kernels/rec.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/rec_cpu.h"
#include "kernels/rec_internal.h"
#include "kernels/rec_cuda.h"

struct rec_model {
    rec_config cfg;
    rec_layout lay;
    rec_backend backend;
    float *params;                     /* lay.dense_count floats */
    float *tables[1 + REC_MAX_TABLES]; /* REC_TABLE_* order */
    int64_t rows[1 + REC_MAX_TABLES];
    rec_cpu *cpu;
    rec_cuda *cuda;
};

rec_config rec_config_default(void) {
    rec_config c;
    memset(&c, 0, sizeof(c));
    c.dense_dim = 13; /* as the Criteo click logs DLRM was shaped on */
    c.emb_dim = 32;
    c.n_items = 8192;
    c.user_layers = 2;
    c.user_width[0] = 64;
    c.user_width[1] = 32;
    c.n_tables = 4;
    c.table_rows[0] = 4096;
    c.table_rows[1] = 2048;
    c.table_rows[2] = 1024;
    c.table_rows[3] = 512;
    c.bottom_layers = 2;
    c.bottom_width[0] = 64;
    c.bottom_width[1] = 32;
    c.top_layers = 3;
    c.top_width[0] = 128;
    c.top_width[1] = 64;
    c.top_width[2] = 1;
    c.top_k = 10;
    return c;
}

static int check_widths(const char *name, int32_t n, const int32_t *w, int32_t last, char *err, size_t errlen) {
    if (n < 1 || n > REC_MAX_LAYERS)
        return fd_errf(err, errlen, REC_EINVAL, "rec_config.%s_layers: must be in 1..%d, got %d", name, REC_MAX_LAYERS,
                       n);
    for (int32_t l = 0; l < n; l++)
        if (w[l] < 1 || w[l] > (1 << 16))
            return fd_errf(err, errlen, REC_EINVAL, "rec_config.%s_width[%d]: must be in 1..65536, got %d", name, l,
                           w[l]);
    if (w[n - 1] != last)
        return fd_errf(err, errlen, REC_EINVAL, "rec_config.%s_width[%d]: must be %d, got %d", name, n - 1, last,
                       w[n - 1]);
    return REC_OK;
}

int rec_config_validate(const rec_config *cfg, char *err, size_t errlen) {
    if (!cfg) return fd_errf(err, errlen, REC_EINVAL, "rec_config: NULL");
    if (cfg->dense_dim < 1 || cfg->dense_dim > (1 << 16))
        return fd_errf(err, errlen, REC_EINVAL, "rec_config.dense_dim: must be in 1..65536, got %d", cfg->dense_dim);
    if (cfg->emb_dim < 1 || cfg->emb_dim > REC_MAX_EMB_DIM)
        return fd_errf(err, errlen, REC_EINVAL, "rec_config.emb_dim: must be in 1..%d, got %d", REC_MAX_EMB_DIM,
                       cfg->emb_dim);
    if (cfg->n_items < 1)
        return fd_errf(err, errlen, REC_EINVAL, "rec_config.n_items: must be >= 1, got %d", cfg->n_items);
    if (cfg->n_tables < 1 || cfg->n_tables > REC_MAX_TABLES)
        return fd_errf(err, errlen, REC_EINVAL, "rec_config.n_tables: must be in 1..%d, got %d", REC_MAX_TABLES,
                       cfg->n_tables);
    for (int32_t t = 0; t < cfg->n_tables; t++)
        if (cfg->table_rows[t] < 1)
            return fd_errf(err, errlen, REC_EINVAL, "rec_config.table_rows[%d]: must be >= 1, got %d", t,
                           cfg->table_rows[t]);
    if (cfg->top_k < 1 || cfg->top_k > REC_MAX_TOPK)
        return fd_errf(err, errlen, REC_EINVAL, "rec_config.top_k: must be in 1..%d, got %d", REC_MAX_TOPK, cfg->top_k);
    int rc = check_widths("user", cfg->user_layers, cfg->user_width, cfg->emb_dim, err, errlen);
    if (!rc) rc = check_widths("bottom", cfg->bottom_layers, cfg->bottom_width, cfg->emb_dim, err, errlen);
    if (!rc) rc = check_widths("top", cfg->top_layers, cfg->top_width, 1, err, errlen);
    return rc;
}

const char *rec_backend_name(rec_backend b) {
    switch (b) {
    case REC_BACKEND_AUTO: return "auto";
    case REC_BACKEND_CPU: return "cpu";
    case REC_BACKEND_CUDA: return "cuda";
    }
    return "unknown";
}

int rec_backend_parse(const char *name, rec_backend *out) {
    static const rec_backend all[] = {REC_BACKEND_AUTO, REC_BACKEND_CPU, REC_BACKEND_CUDA};
    for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(name, rec_backend_name(all[i])) == 0) {
            *out = all[i];
            return REC_OK;
        }
    return REC_EINVAL;
}

int rec_backend_available(rec_backend b, char *err, size_t errlen) {
    switch (b) {
    case REC_BACKEND_AUTO:
    case REC_BACKEND_CPU: return 1;
    case REC_BACKEND_CUDA: return rec_cuda_device_count(err, errlen) > 0;
    }
    fd_errf(err, errlen, REC_EINVAL, "unknown backend %d", (int)b);
    return 0;
}

/* The first "model name" line of /proc/cpuinfo (x86, and arm64 kernels
 * that print one), else "unknown". */
static void cpu_model_name(char *out, size_t len) {
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) continue;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        size_t n = strcspn(v, "\n");
        while (n > 0 && v[n - 1] == ' ') n--;
        if (n > 0) snprintf(out, len, "%.*s", (int)n, v);
        break;
    }
    fclose(f);
}

void rec_device_name(rec_backend b, char *out, size_t len) {
    if (!out || len == 0) return;
    if (b == REC_BACKEND_AUTO)
        b = rec_backend_available(REC_BACKEND_CUDA, NULL, 0) ? REC_BACKEND_CUDA : REC_BACKEND_CPU;
    if (b == REC_BACKEND_CUDA) {
        if (rec_cuda_device_name(out, len, NULL, 0) != REC_OK || !out[0]) snprintf(out, len, "unknown");
        return;
    }
    cpu_model_name(out, len);
}

/* splitmix64: spreads a 64-bit seed and a tag over the 32 bits mt19937
 * takes, so seeds differing only in their high bits still differ. */
static unsigned long mix_seed(uint64_t seed, uint64_t tag) {
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (tag + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (unsigned long)((z ^ (z >> 32)) & 0xffffffffUL);
}

static void fill_uniform(gsl_rng *r, float *dst, size_t n, double limit) {
    for (size_t i = 0; i < n; i++) dst[i] = (float)((2.0 * gsl_rng_uniform(r) - 1.0) * limit);
}

/* One stream per parameter group (tag), so resizing one table leaves every
 * other weight as it was. */
static int init_weights(rec_model *m, uint64_t seed, char *err, size_t errlen) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) return fd_errf(err, errlen, REC_ENOMEM, "rec_model: cannot allocate a GSL rng");
    const rec_mlp_shape *mlps[3] = {&m->lay.user, &m->lay.bottom, &m->lay.top};
    for (int i = 0; i < 3; i++) {
        const rec_mlp_shape *s = mlps[i];
        gsl_rng_set(r, mix_seed(seed, (uint64_t)i));
        for (int32_t l = 0; l < s->n_layers; l++) {
            const int32_t kin = rec_mlp_in_width(s, l), n = s->out_dim[l];
            /* Xavier-uniform keeps activations at unit scale through the layers. */
            fill_uniform(r, m->params + s->w_off[l], (size_t)kin * n, sqrt(6.0 / (kin + n)));
            fill_uniform(r, m->params + s->b_off[l], (size_t)n, 0.01);
        }
    }
    for (int32_t t = 0; t < 1 + m->cfg.n_tables; t++) {
        gsl_rng_set(r, mix_seed(seed, 16 + (uint64_t)t));
        fill_uniform(r, m->tables[t], (size_t)m->rows[t] * m->cfg.emb_dim, 1.0 / sqrt((double)m->cfg.emb_dim));
    }
    gsl_rng_free(r);
    return REC_OK;
}

int rec_model_create(const rec_config *cfg, rec_backend want, uint64_t seed, rec_model **out, char *err,
                     size_t errlen) {
    *out = NULL;
    int rc = rec_config_validate(cfg, err, errlen);
    if (rc) return rc;
    rec_backend use = want;
    if (want == REC_BACKEND_AUTO) {
        use = rec_backend_available(REC_BACKEND_CUDA, NULL, 0) ? REC_BACKEND_CUDA : REC_BACKEND_CPU;
    } else if (want == REC_BACKEND_CUDA) {
        char why[256] = "";
        if (!rec_backend_available(REC_BACKEND_CUDA, why, sizeof(why)))
            return fd_errf(err, errlen, REC_ENODEV, "backend cuda requested but unavailable: %s", why);
    } else if (want != REC_BACKEND_CPU) {
        return fd_errf(err, errlen, REC_EINVAL, "unknown backend %d", (int)want);
    }

    rec_model *m = calloc(1, sizeof(*m));
    if (!m) return fd_errf(err, errlen, REC_ENOMEM, "rec_model: out of memory");
    m->cfg = *cfg;
    m->backend = use;
    rec_layout_build(cfg, &m->lay);
    m->params = malloc(m->lay.dense_count * sizeof(float));
    rc = m->params ? REC_OK : REC_ENOMEM;
    m->rows[REC_TABLE_ITEMS] = cfg->n_items;
    for (int32_t t = 0; t < cfg->n_tables; t++) m->rows[REC_TABLE_SPARSE(t)] = cfg->table_rows[t];
    for (int32_t t = 0; !rc && t < 1 + cfg->n_tables; t++) {
        m->tables[t] = rec_cpu_table_alloc((size_t)m->rows[t] * cfg->emb_dim * sizeof(float));
        if (!m->tables[t]) rc = REC_ENOMEM;
    }
    if (rc) {
        rec_model_free(m);
        return fd_errf(err, errlen, REC_ENOMEM, "rec_model: cannot allocate parameters");
    }
    rc = init_weights(m, seed, err, errlen);
    if (!rc && use == REC_BACKEND_CPU) rc = rec_cpu_create(cfg, &m->lay, &m->cpu, err, errlen);
    if (!rc && use == REC_BACKEND_CUDA) {
        rc = rec_cuda_create(cfg, &m->lay, m->params, (const float *const *)m->tables, &m->cuda, err, errlen);
        /* auto promised a working model: a device that fails to set up (no
         * memory, cuBLAS) leaves the CPU, and the model records which ran. */
        if (rc && rc != REC_ENOMEM && want == REC_BACKEND_AUTO) {
            m->backend = use = REC_BACKEND_CPU;
            rc = rec_cpu_create(cfg, &m->lay, &m->cpu, err, errlen);
        }
    }
    if (rc) {
        rec_model_free(m);
        return rc;
    }
    *out = m;
    return REC_OK;
}

void rec_model_free(rec_model *m) {
    if (!m) return;
    rec_cpu_free(m->cpu);
    rec_cuda_free(m->cuda);
    for (int32_t t = 0; t < 1 + REC_MAX_TABLES; t++) free(m->tables[t]);
    free(m->params);
    free(m);
}

rec_backend rec_model_backend(const rec_model *m) { return m->backend; }
const rec_config *rec_model_config(const rec_model *m) { return &m->cfg; }
int32_t rec_table_count(const rec_model *m) { return 1 + m->cfg.n_tables; }
int32_t rec_table_dim(const rec_model *m) { return m->cfg.emb_dim; }

int64_t rec_table_rows(const rec_model *m, int32_t table) {
    return table >= 0 && table < rec_table_count(m) ? m->rows[table] : -1;
}

static int check_range(const rec_model *m, int32_t table, int64_t row0, int64_t nrows, const void *buf, char *err,
                       size_t errlen) {
    if (table < 0 || table >= rec_table_count(m))
        return fd_errf(err, errlen, REC_EINVAL, "table %d: no such table (model has %d)", table, rec_table_count(m));
    if (row0 < 0 || nrows < 0 || row0 + nrows > m->rows[table])
        return fd_errf(err, errlen, REC_EINVAL, "table %d: rows [%lld, %lld) outside [0, %lld)", table, (long long)row0,
                       (long long)(row0 + nrows), (long long)m->rows[table]);
    if (!buf && nrows > 0) return fd_errf(err, errlen, REC_EINVAL, "table %d: NULL buffer", table);
    return REC_OK;
}

int rec_table_upload(rec_model *m, int32_t table, int64_t row0, int64_t nrows, const float *src, char *err,
                     size_t errlen) {
    int rc = check_range(m, table, row0, nrows, src, err, errlen);
    if (rc || nrows == 0) return rc;
    const size_t d = (size_t)m->cfg.emb_dim;
    memcpy(m->tables[table] + (size_t)row0 * d, src, (size_t)nrows * d * sizeof(float));
    if (m->cuda) return rec_cuda_table_upload(m->cuda, table, row0, nrows, src, err, errlen);
    return REC_OK;
}

int rec_table_download(const rec_model *m, int32_t table, int64_t row0, int64_t nrows, float *dst, char *err,
                       size_t errlen) {
    int rc = check_range(m, table, row0, nrows, dst, err, errlen);
    if (rc || nrows == 0) return rc;
    /* The device copy is what serves; read it back rather than trust the mirror. */
    if (m->cuda) return rec_cuda_table_download(m->cuda, table, row0, nrows, dst, err, errlen);
    const size_t d = (size_t)m->cfg.emb_dim;
    memcpy(dst, m->tables[table] + (size_t)row0 * d, (size_t)nrows * d * sizeof(float));
    return REC_OK;
}

size_t rec_dense_count(const rec_model *m) { return m->lay.dense_count; }

int rec_dense_upload(rec_model *m, const float *src, size_t count, char *err, size_t errlen) {
    if (!src || count != m->lay.dense_count)
        return fd_errf(err, errlen, REC_EINVAL, "dense parameters: need %zu floats, got %zu", m->lay.dense_count,
                       src ? count : 0);
    memcpy(m->params, src, count * sizeof(float));
    if (m->cuda) return rec_cuda_dense_upload(m->cuda, src, err, errlen);
    return REC_OK;
}

int rec_dense_download(const rec_model *m, float *dst, size_t count, char *err, size_t errlen) {
    if (!dst || count != m->lay.dense_count)
        return fd_errf(err, errlen, REC_EINVAL, "dense parameters: need %zu floats, got %zu", m->lay.dense_count,
                       dst ? count : 0);
    if (m->cuda) return rec_cuda_dense_download(m->cuda, dst, err, errlen);
    memcpy(dst, m->params, count * sizeof(float));
    return REC_OK;
}

static int check_batch_k(const char *what, int32_t batch, const float *dense, int32_t k, char *err, size_t errlen) {
    if (batch < 1) return fd_errf(err, errlen, REC_EINVAL, "%s: batch must be >= 1, got %d", what, batch);
    if (k < 1 || k > REC_MAX_TOPK)
        return fd_errf(err, errlen, REC_EINVAL, "%s: k must be in 1..%d, got %d", what, REC_MAX_TOPK, k);
    if (!dense) return fd_errf(err, errlen, REC_EINVAL, "%s: dense features are NULL", what);
    return REC_OK;
}

int rec_retrieve(rec_model *m, const rec_retrieval_input *in, rec_retrieval_output *out, char *err, size_t errlen) {
    if (!in || !out) return fd_errf(err, errlen, REC_EINVAL, "retrieval: NULL input or output");
    int rc = check_batch_k("retrieval", in->batch, in->dense, in->k, err, errlen);
    if (rc) return rc;
    if (!out->topk_ids || !out->topk_scores) return fd_errf(err, errlen, REC_EINVAL, "retrieval: NULL top-k output");
    if (m->cuda) return rec_cuda_retrieve(m->cuda, in, out, err, errlen);
    return rec_cpu_retrieve(m->cpu, m->params, (const float *const *)m->tables, in, out, err, errlen);
}

/* Checked here once so neither backend reads outside a table. */
static int check_sparse(const rec_model *m, const rec_ranking_input *in, char *err, size_t errlen) {
    for (int32_t t = 0; t < m->cfg.n_tables; t++) {
        const rec_csr *s = &in->sparse[t];
        if (!s->offsets) return fd_errf(err, errlen, REC_EINVAL, "ranking: sparse[%d].offsets is NULL", t);
        if (s->offsets[0] != 0)
            return fd_errf(err, errlen, REC_EINVAL, "ranking: sparse[%d].offsets[0] must be 0, got %d", t,
                           s->offsets[0]);
        for (int32_t b = 0; b < in->batch; b++)
            if (s->offsets[b + 1] < s->offsets[b])
                return fd_errf(err, errlen, REC_EINVAL, "ranking: sparse[%d].offsets[%d]: decreases (%d after %d)", t,
                               b + 1, s->offsets[b + 1], s->offsets[b]);
        const int32_t nnz = s->offsets[in->batch];
        if (nnz > 0 && !s->indices) return fd_errf(err, errlen, REC_EINVAL, "ranking: sparse[%d].indices is NULL", t);
        const int64_t rows = m->rows[REC_TABLE_SPARSE(t)];
        for (int32_t i = 0; i < nnz; i++)
            if (s->indices[i] < 0 || s->indices[i] >= rows)
                return fd_errf(err, errlen, REC_EINVAL, "ranking: sparse[%d].indices[%d]: row %d outside [0, %lld)", t,
                               i, s->indices[i], (long long)rows);
    }
    return REC_OK;
}

int rec_rank(rec_model *m, const rec_ranking_input *in, rec_ranking_output *out, char *err, size_t errlen) {
    if (!in || !out) return fd_errf(err, errlen, REC_EINVAL, "ranking: NULL input or output");
    int rc = check_batch_k("ranking", in->batch, in->dense, in->k, err, errlen);
    if (!rc) rc = check_sparse(m, in, err, errlen);
    if (rc) return rc;
    if (!out->scores || !out->topk_ids || !out->topk_scores)
        return fd_errf(err, errlen, REC_EINVAL, "ranking: NULL output array");
    if (m->cuda) return rec_cuda_rank(m->cuda, in, out, err, errlen);
    return rec_cpu_rank(m->cpu, m->params, (const float *const *)m->tables, in, out, err, errlen);
}
