/* Recommendation kernels behind one backend-neutral API.
 *
 * The model has two stages, as e-commerce search and recommendation serve it:
 *  - retrieval: a user tower (MLP over dense features, ReLU between layers)
 *    makes a query embedding; every item of the item-embedding table is
 *    scored by a dot product (one matrix product per batch); top-k per query;
 *  - ranking (DLRM style): sum-pooled embedding bags over several sparse
 *    feature tables, a bottom MLP over dense features, pairwise dot products
 *    between the bottom output and the pooled embeddings (strictly lower
 *    triangle) concatenated with the bottom output, a top MLP to one logit,
 *    a sigmoid to a click probability; the list is the top-k of the batch.
 *
 * float32 throughout; matrices are row-major. A model belongs to one thread
 * at a time (it owns scratch space); many models may live in one process.
 * Functions that can fail return REC_OK or a negative rec_status and write a
 * message into err (errlen bytes, may be NULL/0). */
#ifndef FIREDRILL_KERNELS_REC_H
#define FIREDRILL_KERNELS_REC_H

#include <stddef.h>
#include <stdint.h>

#include "util/fd_status.h"

/* Limits, each sized so the fixed arrays below and the CUDA kernels' shared
 * memory stay small. Tables: 32 holds MLPerf's DLRM-v2 (26 sparse features,
 * kernels/models/dlrm-v2.json). The CUDA interaction keeps a sample's
 * (1 + tables) x width features in shared memory: at the limits
 * 33 * 512 * 4 bytes = 66 KiB, above the 48 KiB a block gets without opting
 * in, so launch_interact (rec_cuda.cu) opts in past 48 KiB; every
 * architecture the Makefile builds for (sm_80, sm_90) allows a block at
 * least 163 KiB. DLRM-v2 itself needs 27 * 128 * 4 = 13.5 KiB. */
#define REC_MAX_LAYERS  8
#define REC_MAX_TABLES  32
#define REC_MAX_EMB_DIM 512
/* Top-k keeps per-thread candidate lists on the GPU; 256 covers a result
 * page many times over. */
#define REC_MAX_TOPK 256

typedef enum rec_status {
    /* fd_status values (util/fd_status.h), so the program maps them to exit codes */
    REC_OK = FD_OK,
    REC_EINVAL = FD_EINPUT,     /* bad argument, config or input */
    REC_ENOMEM = FD_ENOMEM,     /* host allocation failed */
    REC_ENODEV = FD_ENODEV,     /* the requested backend has no device here */
    REC_EBACKEND = FD_EBACKEND, /* a CUDA/cuBLAS/BLAS call failed */
    REC_EIO = FD_EIO            /* file I/O (calibration tables) */
} rec_status;

typedef enum rec_backend {
    REC_BACKEND_AUTO = 0, /* CUDA when a device is present, else CPU */
    REC_BACKEND_CPU = 1,
    REC_BACKEND_CUDA = 2
} rec_backend;

/* Sizes of the two-stage model. Widths list each layer's output size. */
typedef struct rec_config {
    int32_t dense_dim; /* dense features per query/sample (both towers) */
    int32_t emb_dim;   /* embedding width everywhere */
    int32_t n_items;   /* rows of the item table scored by retrieval */
    int32_t user_layers;
    int32_t user_width[REC_MAX_LAYERS]; /* last == emb_dim; no ReLU after it */
    int32_t n_tables;                   /* sparse feature tables of ranking */
    int32_t table_rows[REC_MAX_TABLES];
    int32_t bottom_layers;
    int32_t bottom_width[REC_MAX_LAYERS]; /* last == emb_dim; ReLU on all (DLRM) */
    int32_t top_layers;
    int32_t top_width[REC_MAX_LAYERS]; /* last == 1 (the logit) */
    int32_t top_k;                     /* default k for callers; <= REC_MAX_TOPK */
} rec_config;

/* Small sizes, so CI is fast. */
rec_config rec_config_default(void);
int rec_config_validate(const rec_config *cfg, char *err, size_t errlen);

const char *rec_backend_name(rec_backend b); /* "auto", "cpu", "cuda" */
/* Parses "auto" | "cpu" | "cuda"; REC_EINVAL otherwise. */
int rec_backend_parse(const char *name, rec_backend *out);
/* 1 when a model could be created on b here, else 0 with the reason in err. */
int rec_backend_available(rec_backend b, char *err, size_t errlen);

/* Threads the CPU backend's BLAS may use per call. Replicas that run many
 * small kernels on many threads want 1 (BLAS threads would only spin
 * against the replica threads); benchmarks and calibration keep BLAS's own
 * default. */
void rec_cpu_set_blas_threads(int n);
/* Threads the CPU backend's BLAS uses now (calibration records it). */
int rec_cpu_blas_threads(void);
/* What a model on backend b runs on, for provenance: the CPU's model name
 * (/proc/cpuinfo) or the CUDA device's name; "unknown" when not known.
 * AUTO names what AUTO would pick. */
void rec_device_name(rec_backend b, char *out, size_t len);

typedef struct rec_model rec_model;

/* Creates a model with weights drawn deterministically from seed (GSL
 * mt19937; Xavier-uniform MLP weights, uniform embeddings). Asking for CUDA
 * without a device is REC_ENODEV; AUTO falls back to CPU silently. */
int rec_model_create(const rec_config *cfg, rec_backend want, uint64_t seed, rec_model **out, char *err, size_t errlen);
void rec_model_free(rec_model *m);
/* The backend that really runs (never AUTO). */
rec_backend rec_model_backend(const rec_model *m);
const rec_config *rec_model_config(const rec_model *m);

/* Embedding tables: REC_TABLE_ITEMS is the retrieval item table, ranking
 * table t (0 <= t < n_tables) is REC_TABLE_SPARSE(t). */
#define REC_TABLE_ITEMS     0
#define REC_TABLE_SPARSE(t) (1 + (t))
int32_t rec_table_count(const rec_model *m);
int64_t rec_table_rows(const rec_model *m, int32_t table); /* -1 if no such table */
int32_t rec_table_dim(const rec_model *m);
/* Rows [row0, row0 + nrows) of a table from/to src/dst (nrows * dim floats).
 * A whole table is row0 = 0, nrows = rec_table_rows(). */
int rec_table_upload(rec_model *m, int32_t table, int64_t row0, int64_t nrows, const float *src, char *err,
                     size_t errlen);
int rec_table_download(const rec_model *m, int32_t table, int64_t row0, int64_t nrows, float *dst, char *err,
                       size_t errlen);

/* All MLP weights and biases as one flat vector (layout fixed by the config). */
size_t rec_dense_count(const rec_model *m);
int rec_dense_upload(rec_model *m, const float *src, size_t count, char *err, size_t errlen);
int rec_dense_download(const rec_model *m, float *dst, size_t count, char *err, size_t errlen);

/* Multi-hot sparse features of one table for a batch, CSR: the bag of sample
 * b is indices[offsets[b] .. offsets[b+1]); offsets has batch + 1 entries,
 * offsets[0] == 0; an empty bag pools to zeros. */
typedef struct rec_csr {
    const int32_t *offsets;
    const int32_t *indices;
} rec_csr;

typedef struct rec_retrieval_input {
    int32_t batch;      /* queries */
    const float *dense; /* batch x dense_dim */
    int32_t k;          /* 1..REC_MAX_TOPK */
} rec_retrieval_input;

typedef struct rec_retrieval_output {
    int32_t *topk_ids;  /* batch x k item ids, best first; -1 pads when k > n_items */
    float *topk_scores; /* batch x k; -INFINITY pads */
    float *scores;      /* optional (NULL): batch x n_items dot products */
    float *query_emb;   /* optional (NULL): batch x emb_dim */
} rec_retrieval_output;

typedef struct rec_ranking_input {
    int32_t batch;                  /* (user, item) samples to score */
    const float *dense;             /* batch x dense_dim */
    rec_csr sparse[REC_MAX_TABLES]; /* one per ranking table */
    int32_t k;                      /* 1..REC_MAX_TOPK */
} rec_ranking_input;

typedef struct rec_ranking_output {
    float *scores;      /* batch click probabilities */
    int32_t *topk_ids;  /* k sample indices in the batch, best first; -1 pads */
    float *topk_scores; /* k; -INFINITY pads */
} rec_ranking_output;

/* Top-k order everywhere: higher score first, equal scores by lower id, NaN
 * below every number. */
int rec_retrieve(rec_model *m, const rec_retrieval_input *in, rec_retrieval_output *out, char *err, size_t errlen);
int rec_rank(rec_model *m, const rec_ranking_input *in, rec_ranking_output *out, char *err, size_t errlen);

#endif
