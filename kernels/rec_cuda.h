/* CUDA backend (kernels/rec_cuda.cu): cuBLAS for the matrix products, own
 * kernels for embedding bags, bias/activation, interactions and top-k. C
 * linkage. Every CUDA and cuBLAS status is checked and reported through err.
 *
 * The .cu code is built into libfiredrill_cuda.so (with libcudart and
 * libcublas); the program links kernels/rec_cuda_loader.c instead, which
 * defines these same functions, loads the shared object on first use and
 * forwards to it. Where it cannot be loaded (no driver, no .so, built with
 * CUDA=0), rec_cuda_device_count() returns 0 and every other function
 * REC_ENODEV, both with the reason in err. */
#ifndef FIREDRILL_KERNELS_REC_CUDA_H
#define FIREDRILL_KERNELS_REC_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/rec.h"
#include "kernels/rec_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Devices usable here; 0 with the reason in err when there is no device or
 * no driver (this is not an error). */
int rec_cuda_device_count(char *err, size_t errlen);

/* The name of the device a model would run on (cudaGetDeviceProperties),
 * e.g. "NVIDIA H100 80GB HBM3", into name (len bytes). */
int rec_cuda_device_name(char *name, size_t len, char *err, size_t errlen);

typedef struct rec_cuda rec_cuda;

/* Copies params (lay->dense_count floats) and the tables (REC_TABLE_* order,
 * 1 + n_tables of them) to the device. */
int rec_cuda_create(const rec_config *cfg, const rec_layout *lay, const float *params, const float *const *tables,
                    rec_cuda **out, char *err, size_t errlen);
void rec_cuda_free(rec_cuda *g);
/* Bounds were checked by the caller. */
int rec_cuda_table_upload(rec_cuda *g, int32_t table, int64_t row0, int64_t nrows, const float *src, char *err,
                          size_t errlen);
int rec_cuda_table_download(const rec_cuda *g, int32_t table, int64_t row0, int64_t nrows, float *dst, char *err,
                            size_t errlen);
int rec_cuda_dense_upload(rec_cuda *g, const float *src, char *err, size_t errlen);
int rec_cuda_dense_download(const rec_cuda *g, float *dst, char *err, size_t errlen);
/* Inputs were checked by the caller; outputs are host memory. */
int rec_cuda_retrieve(rec_cuda *g, const rec_retrieval_input *in, rec_retrieval_output *out, char *err, size_t errlen);
int rec_cuda_rank(rec_cuda *g, const rec_ranking_input *in, rec_ranking_output *out, char *err, size_t errlen);

/* Building blocks on host arrays (copy in, run, copy out), for the tests
 * that hold the CUDA kernels to the CPU ones. */
int rec_cuda_embbag_sum_host(const float *table, int64_t rows, int32_t dim, const int32_t *offsets,
                             const int32_t *indices, int32_t batch, float *out, char *err, size_t errlen);
int rec_cuda_mlp_forward_host(const rec_mlp_shape *s, const float *params, size_t n_params, int32_t batch,
                              const float *in, float *out, char *err, size_t errlen);
int rec_cuda_interact_host(const float *z, int32_t batch, int32_t n_features, int32_t dim, float *out, char *err,
                           size_t errlen);
/* Top-k of each of n_rows rows of n scores (row-major); ids/vals n_rows x k. */
int rec_cuda_topk_host(const float *scores, int32_t n_rows, int32_t n, int32_t k, int32_t *ids, float *vals, char *err,
                       size_t errlen);

/* Benchmarks, timed with CUDA events on device-resident data, median of
 * repeats after a warm-up. embbag: a rows x dim table filled on the device,
 * bags given on the host; copy_s times a device-to-device cudaMemcpy of
 * copy_bytes. mlp: the MLP of shape s (random weights) against bare cuBLAS
 * GEMMs of the same shapes. */
int rec_cuda_bench_embbag(int64_t rows, int32_t dim, const int32_t *offsets, const int32_t *indices, int32_t batch,
                          int32_t repeats, size_t copy_bytes, double *embbag_s, double *copy_s, char *err,
                          size_t errlen);
int rec_cuda_bench_mlp(const rec_mlp_shape *s, int32_t batch, int32_t repeats, double *mlp_s, double *gemm_s, char *err,
                       size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
