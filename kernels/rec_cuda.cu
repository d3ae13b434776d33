// CUDA backend: cuBLAS SGEMM for MLP layers and item scoring; own kernels
// for embedding bags, bias/activation, pairwise interactions, sigmoid and
// top-k. Every CUDA and cuBLAS status is checked and turned into a message.
#include "kernels/rec_cuda.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

#define CUDA_TRY(call)                                                                                                 \
    do {                                                                                                               \
        cudaError_t e_ = (call);                                                                                       \
        if (e_ != cudaSuccess)                                                                                         \
            return fd_errf(err, errlen, REC_EBACKEND, "cuda: %s: %s (%s:%d)", #call, cudaGetErrorString(e_), __FILE__, \
                           __LINE__);                                                                                  \
    } while (0)

#define CUBLAS_TRY(call)                                                                                               \
    do {                                                                                                               \
        cublasStatus_t s_ = (call);                                                                                    \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                                                               \
            return fd_errf(err, errlen, REC_EBACKEND, "cublas: %s: %s (%s:%d)", #call, cublasGetStatusString(s_),      \
                           __FILE__, __LINE__);                                                                        \
    } while (0)

// A launch reports bad configurations at once and faults at the next sync.
#define LAUNCH_CHECK() CUDA_TRY(cudaGetLastError())

namespace {

// Owned device allocation, freed on every return path.
struct dev_buf {
    void *p = nullptr;
    size_t bytes = 0;
    dev_buf() = default;
    dev_buf(const dev_buf &) = delete;
    dev_buf &operator=(const dev_buf &) = delete;
    ~dev_buf() {
        if (p) cudaFree(p);
    }
    template <typename T> T *as() const { return static_cast<T *>(p); }
};

int dev_alloc(dev_buf &b, size_t bytes, char *err, size_t errlen) {
    if (b.bytes >= bytes && b.p) return REC_OK;
    if (b.p) cudaFree(b.p);
    b.p = nullptr;
    b.bytes = 0;
    CUDA_TRY(cudaMalloc(&b.p, bytes > 0 ? bytes : 1));
    b.bytes = bytes;
    return REC_OK;
}

struct event_pair {
    cudaEvent_t a = nullptr, b = nullptr;
    ~event_pair() {
        if (a) cudaEventDestroy(a);
        if (b) cudaEventDestroy(b);
    }
};

struct blas_handle {
    cublasHandle_t h = nullptr;
    cudaStream_t s = nullptr;
    ~blas_handle() {
        if (h) cublasDestroy(h);
        if (s) cudaStreamDestroy(s);
    }
    int init(char *err, size_t errlen) {
        // A blocking stream: the table and parameter uploads are plain
        // cudaMemcpy calls on the legacy stream, and a pageable host-to-device
        // copy may return before its data has landed; work on this stream is
        // ordered after them only if the stream is not cudaStreamNonBlocking.
        CUDA_TRY(cudaStreamCreate(&s));
        CUBLAS_TRY(cublasCreate(&h));
        CUBLAS_TRY(cublasSetStream(h, s));
        // Plain FP32: TF32 tensor cores would break agreement with the CPU
        // backend at 1e-4.
        CUBLAS_TRY(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
        return REC_OK;
    }
};

constexpr int kWarp = 32;
constexpr int kEmbbagThreads = 256;
constexpr int kTopkThreads = 128;
constexpr int kInteractThreads = 64;
constexpr int kElementwiseThreads = 256;
// Dynamic shared memory a block gets without cudaFuncSetAttribute.
constexpr size_t kDefaultSmemBytes = 48 * 1024;

// --- kernels -----------------------------------------------------------------

// One warp per bag. With dim % 4 == 0 lanes load float4; when a row is
// narrower than a warp, several rows are read at once (R = 32 / (dim / 4))
// so each warp keeps more loads in flight, then the R partial sums are added
// in a fixed order (deterministic results).
__global__ void embbag_sum_kernel(const float *__restrict__ table, int dim, const int *__restrict__ offsets,
                                  const int *__restrict__ indices, int batch, float *__restrict__ out,
                                  long long out_stride, int vec4) {
    __shared__ float4 part[kEmbbagThreads];
    const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
    const int bag = blockIdx.x * (blockDim.x / kWarp) + warp;
    if (bag >= batch) return;
    const int lo = offsets[bag], hi = offsets[bag + 1];
    float *o = out + (long long)bag * out_stride;
    if (vec4) {
        const int ncol4 = dim / 4;
        const float4 *t4 = reinterpret_cast<const float4 *>(table);
        float4 *o4 = reinterpret_cast<float4 *>(o);
        if (ncol4 >= kWarp) {
            for (int c = lane; c < ncol4; c += kWarp) {
                float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
                int i = lo;
                for (; i + 4 <= hi; i += 4) {
                    float4 r0 = t4[(long long)indices[i] * ncol4 + c];
                    float4 r1 = t4[(long long)indices[i + 1] * ncol4 + c];
                    float4 r2 = t4[(long long)indices[i + 2] * ncol4 + c];
                    float4 r3 = t4[(long long)indices[i + 3] * ncol4 + c];
                    acc.x += r0.x + r1.x + r2.x + r3.x;
                    acc.y += r0.y + r1.y + r2.y + r3.y;
                    acc.z += r0.z + r1.z + r2.z + r3.z;
                    acc.w += r0.w + r1.w + r2.w + r3.w;
                }
                for (; i < hi; i++) {
                    float4 r = t4[(long long)indices[i] * ncol4 + c];
                    acc.x += r.x;
                    acc.y += r.y;
                    acc.z += r.z;
                    acc.w += r.w;
                }
                o4[c] = acc;
            }
            return;
        }
        const int rows_at_once = kWarp / ncol4;
        const int sub = lane / ncol4, c = lane % ncol4;
        float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
        if (sub < rows_at_once) {
            int i = lo + sub;
            for (; i + rows_at_once < hi; i += 2 * rows_at_once) {
                float4 r0 = t4[(long long)indices[i] * ncol4 + c];
                float4 r1 = t4[(long long)indices[i + rows_at_once] * ncol4 + c];
                acc.x += r0.x + r1.x;
                acc.y += r0.y + r1.y;
                acc.z += r0.z + r1.z;
                acc.w += r0.w + r1.w;
            }
            for (; i < hi; i += rows_at_once) {
                float4 r = t4[(long long)indices[i] * ncol4 + c];
                acc.x += r.x;
                acc.y += r.y;
                acc.z += r.z;
                acc.w += r.w;
            }
        }
        part[threadIdx.x] = acc;
        __syncwarp();
        if (sub == 0) {
            for (int s = 1; s < rows_at_once; s++) {
                float4 p = part[warp * kWarp + s * ncol4 + c];
                acc.x += p.x;
                acc.y += p.y;
                acc.z += p.z;
                acc.w += p.w;
            }
            o4[c] = acc;
        }
        return;
    }
    for (int c = lane; c < dim; c += kWarp) {
        float acc = 0.f;
        int i = lo;
        for (; i + 4 <= hi; i += 4) {
            float r0 = table[(long long)indices[i] * dim + c];
            float r1 = table[(long long)indices[i + 1] * dim + c];
            float r2 = table[(long long)indices[i + 2] * dim + c];
            float r3 = table[(long long)indices[i + 3] * dim + c];
            acc += r0 + r1 + r2 + r3;
        }
        for (; i < hi; i++) acc += table[(long long)indices[i] * dim + c];
        o[c] = acc;
    }
}

__global__ void bias_act_kernel(float *y, const float *__restrict__ bias, long long total, int n, int relu) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        float v = y[i] + bias[i % n];
        y[i] = relu && v < 0.f ? 0.f : v;
    }
}

__global__ void sigmoid_kernel(float *y, int n) {
    // Grid-stride: grid_for caps the grid, so a huge batch needs more than one pass.
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        y[i] = 1.0f / (1.0f + expf(-y[i]));
}

// One block per sample: the sample's F x dim features go to shared memory,
// then each thread computes pairs of the strictly lower triangle.
__global__ void interact_kernel(const float *__restrict__ z, int n_features, int dim, float *__restrict__ out) {
    extern __shared__ float zs[];
    const int b = blockIdx.x;
    const int fd = n_features * dim, pairs = n_features * (n_features - 1) / 2;
    const float *zb = z + (long long)b * fd;
    float *o = out + (long long)b * (dim + pairs);
    for (int i = threadIdx.x; i < fd; i += blockDim.x) zs[i] = zb[i];
    __syncthreads();
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = zs[i];
    for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
        int i = 1, base = 0; // pair p = (i, j) with base = i (i - 1) / 2 <= p < base + i
        while (base + i <= p) {
            base += i;
            i++;
        }
        const int j = p - base;
        float acc = 0.f;
        for (int c = 0; c < dim; c++) acc += zs[i * dim + c] * zs[j * dim + c];
        o[dim + p] = acc;
    }
}

// The CPU order (kernels/topk.c): higher first, ties by lower id, NaN last;
// id < 0 marks "no candidate" and ranks after everything.
__device__ bool topk_better(float a, int ia, float b, int ib) {
    if (ib < 0) return ia >= 0;
    if (ia < 0) return false;
    const bool an = isnan(a), bn = isnan(b);
    if (an != bn) return bn;
    if (!an && a != b) return a > b;
    return ia < ib;
}

__device__ void warp_best(float &v, int &id) {
    for (int off = kWarp / 2; off > 0; off /= 2) {
        float ov = __shfl_down_sync(0xffffffffu, v, off);
        int oi = __shfl_down_sync(0xffffffffu, id, off);
        if (topk_better(ov, oi, v, id)) {
            v = ov;
            id = oi;
        }
    }
}

// One block per row. Each thread keeps a sorted list of its best k over a
// strided slice; then k rounds pick the best list head across the block.
__global__ void topk_kernel(const float *__restrict__ scores, int n, int k, int *__restrict__ ids,
                            float *__restrict__ vals) {
    __shared__ float sv[kTopkThreads / kWarp];
    __shared__ int si[kTopkThreads / kWarp];
    const float *row = scores + (long long)blockIdx.x * n;
    float lv[REC_MAX_TOPK];
    int li[REC_MAX_TOPK];
    int cnt = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float v = row[i];
        if (cnt == k && !topk_better(v, i, lv[k - 1], li[k - 1])) continue;
        int pos = cnt < k ? cnt++ : k - 1;
        while (pos > 0 && topk_better(v, i, lv[pos - 1], li[pos - 1])) {
            lv[pos] = lv[pos - 1];
            li[pos] = li[pos - 1];
            pos--;
        }
        lv[pos] = v;
        li[pos] = i;
    }
    const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
    const int nwarps = blockDim.x / kWarp;
    int head = 0;
    for (int r = 0; r < k; r++) {
        float v = head < cnt ? lv[head] : -INFINITY;
        int id = head < cnt ? li[head] : -1;
        warp_best(v, id);
        if (lane == 0) {
            sv[warp] = v;
            si[warp] = id;
        }
        __syncthreads();
        if (warp == 0) {
            v = lane < nwarps ? sv[lane] : -INFINITY;
            id = lane < nwarps ? si[lane] : -1;
            warp_best(v, id);
            if (lane == 0) {
                sv[0] = v;
                si[0] = id;
            }
        }
        __syncthreads();
        const float bv = sv[0];
        const int bi = si[0];
        __syncthreads();
        if (threadIdx.x == 0) {
            ids[(long long)blockIdx.x * k + r] = bi;
            vals[(long long)blockIdx.x * k + r] = bi >= 0 ? bv : -INFINITY;
        }
        if (bi >= 0 && head < cnt && li[head] == bi) head++;
    }
}

// Deterministic pseudo-random fill for benchmark buffers (values in
// [-0.5, 0.5) scaled), so timing never waits on a host-side generator.
__global__ void fill_kernel(float *p, long long n, float scale) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        unsigned long long x = (unsigned long long)i * 0x9e3779b97f4a7c15ULL;
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 32;
        p[i] = scale * ((float)(x & 0xffffff) / 16777216.0f - 0.5f);
    }
}

// --- launch helpers ----------------------------------------------------------

int grid_for(long long n, int threads) {
    long long g = (n + threads - 1) / threads;
    return (int)std::min<long long>(std::max<long long>(g, 1), 65535);
}

int launch_embbag(cudaStream_t st, const float *table, int dim, const int *offsets, const int *indices, int batch,
                  float *out, long long out_stride, char *err, size_t errlen) {
    const int vec4 = dim % 4 == 0 && out_stride % 4 == 0 && reinterpret_cast<uintptr_t>(table) % 16 == 0 &&
                     reinterpret_cast<uintptr_t>(out) % 16 == 0;
    const int bags_per_block = kEmbbagThreads / kWarp;
    const int blocks = (batch + bags_per_block - 1) / bags_per_block;
    if (blocks == 0) return REC_OK;
    embbag_sum_kernel<<<blocks, kEmbbagThreads, 0, st>>>(table, dim, offsets, indices, batch, out, out_stride, vec4);
    LAUNCH_CHECK();
    return REC_OK;
}

int launch_topk(cudaStream_t st, const float *scores, int rows, int n, int k, int *ids, float *vals, char *err,
                size_t errlen) {
    if (rows <= 0) return REC_OK; // an empty grid is an invalid launch
    topk_kernel<<<rows, kTopkThreads, 0, st>>>(scores, n, k, ids, vals);
    LAUNCH_CHECK();
    return REC_OK;
}

int launch_interact(cudaStream_t st, const float *z, int batch, int n_features, int dim, float *out, char *err,
                    size_t errlen) {
    if (batch <= 0) return REC_OK; // an empty grid is an invalid launch
    const size_t smem = (size_t)n_features * dim * sizeof(float);
    // Above the default 48 KiB a kernel must ask for more (rec.h, limits).
    if (smem > kDefaultSmemBytes)
        CUDA_TRY(cudaFuncSetAttribute(interact_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
    interact_kernel<<<batch, kInteractThreads, smem, st>>>(z, n_features, dim, out);
    LAUNCH_CHECK();
    return REC_OK;
}

// Row-major y (batch x n) = x (batch x k) W^T (W row-major n x k). In
// cuBLAS's column-major terms that is y^T = W^T' x^T: op(A) = T on W.
int gemm_xwt(cublasHandle_t h, int batch, int n, int k, const float *x, const float *w, float *y, char *err,
             size_t errlen) {
    const float one = 1.0f, zero = 0.0f;
    CUBLAS_TRY(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, n, batch, k, &one, w, k, x, k, &zero, y, n));
    return REC_OK;
}

size_t mlp_work_floats(const rec_mlp_shape *s, int batch) { return 2 * (size_t)batch * (size_t)rec_mlp_max_width(s); }

int mlp_forward_dev(cublasHandle_t h, cudaStream_t st, const rec_mlp_shape *s, const float *params, int batch,
                    const float *in, float *out, float *work, bool with_bias_act, char *err, size_t errlen) {
    const size_t half = (size_t)batch * (size_t)rec_mlp_max_width(s);
    const float *x = in;
    for (int l = 0; l < s->n_layers; l++) {
        const int kin = rec_mlp_in_width(s, l), n = s->out_dim[l];
        const bool last = l == s->n_layers - 1;
        float *y = last ? out : work + (size_t)(l % 2) * half;
        int rc = gemm_xwt(h, batch, n, kin, x, params + s->w_off[l], y, err, errlen);
        if (rc) return rc;
        if (with_bias_act) {
            const long long total = (long long)batch * n;
            bias_act_kernel<<<grid_for(total, kElementwiseThreads), kElementwiseThreads, 0, st>>>(
                y, params + s->b_off[l], total, n, (!last || s->relu_last) ? 1 : 0);
            LAUNCH_CHECK();
        }
        x = y;
    }
    return REC_OK;
}

int median_ms(std::vector<float> &v, double *out_s) {
    std::sort(v.begin(), v.end());
    *out_s = v[v.size() / 2] * 1e-3;
    return REC_OK;
}

} // namespace

// --- the backend -------------------------------------------------------------

struct rec_cuda {
    rec_config cfg;
    rec_layout lay;
    blas_handle blas;
    dev_buf params;
    dev_buf tables[1 + REC_MAX_TABLES];
    int64_t rows[1 + REC_MAX_TABLES];
    dev_buf ws;               // float workspace, grown on demand
    dev_buf iws;              // int workspace (sparse inputs, top-k ids)
    std::vector<int> staging; // host packing of sparse inputs: one copy per batch
};

extern "C" int rec_cuda_device_count(char *err, size_t errlen) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        cudaGetLastError(); // a missing driver leaves a sticky-looking error; clear it
        fd_errf(err, errlen, REC_ENODEV, "no CUDA device: %s", cudaGetErrorString(e));
        return 0;
    }
    if (n == 0) {
        fd_errf(err, errlen, REC_ENODEV, "no CUDA device");
        return 0;
    }
    // A device this build has no machine code or PTX for (older than the
    // architectures nvcc was given) would fail at every launch: not usable.
    cudaFuncAttributes attr;
    e = cudaFuncGetAttributes(&attr, topk_kernel);
    if (e != cudaSuccess) {
        cudaGetLastError();
        fd_errf(err, errlen, REC_ENODEV, "CUDA device not usable by this build: %s", cudaGetErrorString(e));
        return 0;
    }
    return n;
}

extern "C" int rec_cuda_device_name(char *name, size_t len, char *err, size_t errlen) {
    if (len > 0) name[0] = '\0';
    int dev = 0;
    CUDA_TRY(cudaGetDevice(&dev));
    cudaDeviceProp prop;
    CUDA_TRY(cudaGetDeviceProperties(&prop, dev));
    std::snprintf(name, len, "%s", prop.name);
    return REC_OK;
}

extern "C" int rec_cuda_create(const rec_config *cfg, const rec_layout *lay, const float *params,
                               const float *const *tables, rec_cuda **out, char *err, size_t errlen) {
    *out = nullptr;
    rec_cuda *g = new (std::nothrow) rec_cuda();
    if (!g) return fd_errf(err, errlen, REC_ENOMEM, "cuda backend: out of host memory");
    g->cfg = *cfg;
    g->lay = *lay;
    g->rows[REC_TABLE_ITEMS] = cfg->n_items;
    for (int t = 0; t < cfg->n_tables; t++) g->rows[REC_TABLE_SPARSE(t)] = cfg->table_rows[t];
    int rc = g->blas.init(err, errlen);
    if (!rc) rc = dev_alloc(g->params, lay->dense_count * sizeof(float), err, errlen);
    if (!rc) rc = rec_cuda_dense_upload(g, params, err, errlen);
    for (int t = 0; !rc && t < 1 + cfg->n_tables; t++) {
        rc = dev_alloc(g->tables[t], (size_t)g->rows[t] * cfg->emb_dim * sizeof(float), err, errlen);
        if (!rc) rc = rec_cuda_table_upload(g, t, 0, g->rows[t], tables[t], err, errlen);
    }
    if (rc) {
        delete g;
        return rc;
    }
    *out = g;
    return REC_OK;
}

extern "C" void rec_cuda_free(rec_cuda *g) { delete g; }

extern "C" int rec_cuda_table_upload(rec_cuda *g, int32_t table, int64_t row0, int64_t nrows, const float *src,
                                     char *err, size_t errlen) {
    const size_t d = (size_t)g->cfg.emb_dim;
    CUDA_TRY(cudaMemcpy(g->tables[table].as<float>() + (size_t)row0 * d, src, (size_t)nrows * d * sizeof(float),
                        cudaMemcpyHostToDevice));
    return REC_OK;
}

extern "C" int rec_cuda_table_download(const rec_cuda *g, int32_t table, int64_t row0, int64_t nrows, float *dst,
                                       char *err, size_t errlen) {
    const size_t d = (size_t)g->cfg.emb_dim;
    CUDA_TRY(cudaMemcpy(dst, g->tables[table].as<float>() + (size_t)row0 * d, (size_t)nrows * d * sizeof(float),
                        cudaMemcpyDeviceToHost));
    return REC_OK;
}

extern "C" int rec_cuda_dense_upload(rec_cuda *g, const float *src, char *err, size_t errlen) {
    CUDA_TRY(cudaMemcpy(g->params.p, src, g->lay.dense_count * sizeof(float), cudaMemcpyHostToDevice));
    return REC_OK;
}

extern "C" int rec_cuda_dense_download(const rec_cuda *g, float *dst, char *err, size_t errlen) {
    CUDA_TRY(cudaMemcpy(dst, g->params.p, g->lay.dense_count * sizeof(float), cudaMemcpyDeviceToHost));
    return REC_OK;
}

extern "C" int rec_cuda_retrieve(rec_cuda *g, const rec_retrieval_input *in, rec_retrieval_output *out, char *err,
                                 size_t errlen) {
    const int B = in->batch, d = g->cfg.emb_dim, n = g->cfg.n_items, k = in->k;
    const int dd = g->cfg.dense_dim;
    cudaStream_t st = g->blas.s;
    // Each region rounded up to 4 floats: 16-byte aligned operands let cuBLAS pick its vector kernels.
    auto up4 = [](size_t f) { return (f + 3) / 4 * 4; };
    const size_t work = up4(mlp_work_floats(&g->lay.user, B));
    const size_t in_f = up4((size_t)B * dd), q_f = up4((size_t)B * d), s_f = up4((size_t)B * n);
    const size_t v_f = (size_t)B * k;
    int rc = dev_alloc(g->ws, (work + in_f + q_f + s_f + v_f) * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(g->iws, (size_t)B * k * sizeof(int), err, errlen);
    if (rc) return rc;
    float *w = g->ws.as<float>(), *x = w + work, *q = x + in_f, *s = q + q_f, *vals = s + s_f;
    int *ids = g->iws.as<int>();
    const float *P = g->params.as<float>();
    CUDA_TRY(cudaMemcpyAsync(x, in->dense, (size_t)B * dd * sizeof(float), cudaMemcpyHostToDevice, st));
    rc = mlp_forward_dev(g->blas.h, st, &g->lay.user, P, B, x, q, w, true, err, errlen);
    if (!rc) rc = gemm_xwt(g->blas.h, B, n, d, q, g->tables[REC_TABLE_ITEMS].as<float>(), s, err, errlen);
    if (!rc) rc = launch_topk(st, s, B, n, k, ids, vals, err, errlen);
    if (rc) return rc;
    CUDA_TRY(cudaMemcpyAsync(out->topk_ids, ids, (size_t)B * k * sizeof(int), cudaMemcpyDeviceToHost, st));
    CUDA_TRY(cudaMemcpyAsync(out->topk_scores, vals, v_f * sizeof(float), cudaMemcpyDeviceToHost, st));
    if (out->scores)
        CUDA_TRY(cudaMemcpyAsync(out->scores, s, (size_t)B * n * sizeof(float), cudaMemcpyDeviceToHost, st));
    if (out->query_emb)
        CUDA_TRY(cudaMemcpyAsync(out->query_emb, q, (size_t)B * d * sizeof(float), cudaMemcpyDeviceToHost, st));
    CUDA_TRY(cudaStreamSynchronize(st));
    return REC_OK;
}

extern "C" int rec_cuda_rank(rec_cuda *g, const rec_ranking_input *in, rec_ranking_output *out, char *err,
                             size_t errlen) {
    const int B = in->batch, d = g->cfg.emb_dim, T = g->cfg.n_tables, dd = g->cfg.dense_dim;
    const int F = g->lay.n_features, top_in = d + g->lay.n_pairs, k = in->k;
    cudaStream_t st = g->blas.s;

    // Pack every table's offsets and indices into one host buffer: one copy.
    size_t ints = 0, ioff[REC_MAX_TABLES], xoff[REC_MAX_TABLES];
    for (int t = 0; t < T; t++) {
        ioff[t] = ints;
        ints += (size_t)B + 1;
        xoff[t] = ints;
        ints += (size_t)in->sparse[t].offsets[B];
    }
    const size_t ids_at = ints;
    ints += (size_t)k;
    // resize may throw; an exception must not cross the C interface.
    try {
        g->staging.resize(ids_at);
    } catch (const std::bad_alloc &) {
        return fd_errf(err, errlen, REC_ENOMEM, "cuda backend: out of host memory for %zu sparse ids", ids_at);
    }
    for (int t = 0; t < T; t++) {
        std::memcpy(g->staging.data() + ioff[t], in->sparse[t].offsets, ((size_t)B + 1) * sizeof(int));
        if (in->sparse[t].offsets[B] > 0)
            std::memcpy(g->staging.data() + xoff[t], in->sparse[t].indices,
                        (size_t)in->sparse[t].offsets[B] * sizeof(int));
    }

    const size_t work = std::max(mlp_work_floats(&g->lay.bottom, B), mlp_work_floats(&g->lay.top, B));
    // Each region rounded up to 4 floats keeps every float4 access aligned.
    auto up4 = [](size_t f) { return (f + 3) / 4 * 4; };
    const size_t in_f = up4((size_t)B * dd), bot_f = up4((size_t)B * d);
    const size_t z_f = up4((size_t)B * F * d), x_f = up4((size_t)B * top_in), y_f = up4(B);
    const size_t v_f = up4(k);
    int rc = dev_alloc(g->ws, (up4(work) + in_f + bot_f + z_f + x_f + y_f + v_f) * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(g->iws, ints * sizeof(int), err, errlen);
    if (rc) return rc;
    float *w = g->ws.as<float>(), *xin = w + up4(work), *bot = xin + in_f, *z = bot + bot_f;
    float *x = z + z_f, *y = x + x_f, *vals = y + y_f;
    int *iw = g->iws.as<int>(), *ids = iw + ids_at;
    const float *P = g->params.as<float>();

    CUDA_TRY(cudaMemcpyAsync(xin, in->dense, (size_t)B * dd * sizeof(float), cudaMemcpyHostToDevice, st));
    if (ids_at > 0) CUDA_TRY(cudaMemcpyAsync(iw, g->staging.data(), ids_at * sizeof(int), cudaMemcpyHostToDevice, st));
    rc = mlp_forward_dev(g->blas.h, st, &g->lay.bottom, P, B, xin, bot, w, true, err, errlen);
    if (rc) return rc;
    CUDA_TRY(cudaMemcpy2DAsync(z, (size_t)F * d * sizeof(float), bot, (size_t)d * sizeof(float),
                               (size_t)d * sizeof(float), B, cudaMemcpyDeviceToDevice, st));
    for (int t = 0; t < T && !rc; t++)
        rc = launch_embbag(st, g->tables[REC_TABLE_SPARSE(t)].as<float>(), d, iw + ioff[t], iw + xoff[t], B,
                           z + (size_t)(1 + t) * d, (long long)F * d, err, errlen);
    if (!rc) rc = launch_interact(st, z, B, F, d, x, err, errlen);
    if (!rc) rc = mlp_forward_dev(g->blas.h, st, &g->lay.top, P, B, x, y, w, true, err, errlen);
    if (rc) return rc;
    sigmoid_kernel<<<grid_for(B, kElementwiseThreads), kElementwiseThreads, 0, st>>>(y, B);
    LAUNCH_CHECK();
    rc = launch_topk(st, y, 1, B, k, ids, vals, err, errlen);
    if (rc) return rc;
    CUDA_TRY(cudaMemcpyAsync(out->scores, y, (size_t)B * sizeof(float), cudaMemcpyDeviceToHost, st));
    CUDA_TRY(cudaMemcpyAsync(out->topk_ids, ids, (size_t)k * sizeof(int), cudaMemcpyDeviceToHost, st));
    CUDA_TRY(cudaMemcpyAsync(out->topk_scores, vals, (size_t)k * sizeof(float), cudaMemcpyDeviceToHost, st));
    CUDA_TRY(cudaStreamSynchronize(st));
    return REC_OK;
}

// --- building blocks on host arrays ------------------------------------------

extern "C" int rec_cuda_embbag_sum_host(const float *table, int64_t rows, int32_t dim, const int32_t *offsets,
                                        const int32_t *indices, int32_t batch, float *out, char *err, size_t errlen) {
    const size_t nnz = batch > 0 ? (size_t)offsets[batch] : 0;
    dev_buf dt, doff, didx, dout;
    int rc = dev_alloc(dt, (size_t)rows * dim * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(doff, ((size_t)batch + 1) * sizeof(int), err, errlen);
    if (!rc) rc = dev_alloc(didx, nnz * sizeof(int), err, errlen);
    if (!rc) rc = dev_alloc(dout, (size_t)batch * dim * sizeof(float), err, errlen);
    if (rc) return rc;
    CUDA_TRY(cudaMemcpy(dt.p, table, (size_t)rows * dim * sizeof(float), cudaMemcpyHostToDevice));
    CUDA_TRY(cudaMemcpy(doff.p, offsets, ((size_t)batch + 1) * sizeof(int), cudaMemcpyHostToDevice));
    if (nnz > 0) CUDA_TRY(cudaMemcpy(didx.p, indices, nnz * sizeof(int), cudaMemcpyHostToDevice));
    rc = launch_embbag(nullptr, dt.as<float>(), dim, doff.as<int>(), didx.as<int>(), batch, dout.as<float>(), dim, err,
                       errlen);
    if (rc) return rc;
    CUDA_TRY(cudaDeviceSynchronize());
    CUDA_TRY(cudaMemcpy(out, dout.p, (size_t)batch * dim * sizeof(float), cudaMemcpyDeviceToHost));
    return REC_OK;
}

extern "C" int rec_cuda_mlp_forward_host(const rec_mlp_shape *s, const float *params, size_t n_params, int32_t batch,
                                         const float *in, float *out, char *err, size_t errlen) {
    blas_handle bh;
    dev_buf dp, din, dout, dw;
    const int nout = rec_mlp_out_width(s);
    int rc = bh.init(err, errlen);
    if (!rc) rc = dev_alloc(dp, n_params * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(din, (size_t)batch * s->in_dim * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(dout, (size_t)batch * nout * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(dw, mlp_work_floats(s, batch) * sizeof(float), err, errlen);
    if (rc) return rc;
    CUDA_TRY(cudaMemcpy(dp.p, params, n_params * sizeof(float), cudaMemcpyHostToDevice));
    CUDA_TRY(cudaMemcpy(din.p, in, (size_t)batch * s->in_dim * sizeof(float), cudaMemcpyHostToDevice));
    rc = mlp_forward_dev(bh.h, bh.s, s, dp.as<float>(), batch, din.as<float>(), dout.as<float>(), dw.as<float>(), true,
                         err, errlen);
    if (rc) return rc;
    CUDA_TRY(cudaStreamSynchronize(bh.s));
    CUDA_TRY(cudaMemcpy(out, dout.p, (size_t)batch * nout * sizeof(float), cudaMemcpyDeviceToHost));
    return REC_OK;
}

extern "C" int rec_cuda_interact_host(const float *z, int32_t batch, int32_t n_features, int32_t dim, float *out,
                                      char *err, size_t errlen) {
    const size_t in_f = (size_t)batch * n_features * dim;
    const size_t out_f = (size_t)batch * (dim + n_features * (n_features - 1) / 2);
    dev_buf dz, dout;
    int rc = dev_alloc(dz, in_f * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(dout, out_f * sizeof(float), err, errlen);
    if (rc) return rc;
    CUDA_TRY(cudaMemcpy(dz.p, z, in_f * sizeof(float), cudaMemcpyHostToDevice));
    rc = launch_interact(nullptr, dz.as<float>(), batch, n_features, dim, dout.as<float>(), err, errlen);
    if (rc) return rc;
    CUDA_TRY(cudaDeviceSynchronize());
    CUDA_TRY(cudaMemcpy(out, dout.p, out_f * sizeof(float), cudaMemcpyDeviceToHost));
    return REC_OK;
}

extern "C" int rec_cuda_topk_host(const float *scores, int32_t n_rows, int32_t n, int32_t k, int32_t *ids, float *vals,
                                  char *err, size_t errlen) {
    if (k < 1 || k > REC_MAX_TOPK || n_rows < 1 || n < 0)
        return fd_errf(err, errlen, REC_EINVAL, "cuda top-k: bad sizes rows=%d n=%d k=%d", n_rows, n, k);
    dev_buf ds, di, dv;
    int rc = dev_alloc(ds, (size_t)n_rows * n * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(di, (size_t)n_rows * k * sizeof(int), err, errlen);
    if (!rc) rc = dev_alloc(dv, (size_t)n_rows * k * sizeof(float), err, errlen);
    if (rc) return rc;
    if (n > 0) CUDA_TRY(cudaMemcpy(ds.p, scores, (size_t)n_rows * n * sizeof(float), cudaMemcpyHostToDevice));
    rc = launch_topk(nullptr, ds.as<float>(), n_rows, n, k, di.as<int>(), dv.as<float>(), err, errlen);
    if (rc) return rc;
    CUDA_TRY(cudaDeviceSynchronize());
    CUDA_TRY(cudaMemcpy(ids, di.p, (size_t)n_rows * k * sizeof(int), cudaMemcpyDeviceToHost));
    CUDA_TRY(cudaMemcpy(vals, dv.p, (size_t)n_rows * k * sizeof(float), cudaMemcpyDeviceToHost));
    return REC_OK;
}

// --- benchmarks --------------------------------------------------------------

extern "C" int rec_cuda_bench_embbag(int64_t rows, int32_t dim, const int32_t *offsets, const int32_t *indices,
                                     int32_t batch, int32_t repeats, size_t copy_bytes, double *embbag_s,
                                     double *copy_s, char *err, size_t errlen) {
    if (repeats < 1 || batch < 1) return fd_errf(err, errlen, REC_EINVAL, "bench: bad sizes");
    const size_t nnz = (size_t)offsets[batch];
    const long long table_f = (long long)rows * dim;
    dev_buf dt, doff, didx, dout, dsrc, ddst;
    int rc = dev_alloc(dt, (size_t)table_f * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(doff, ((size_t)batch + 1) * sizeof(int), err, errlen);
    if (!rc) rc = dev_alloc(didx, nnz * sizeof(int), err, errlen);
    if (!rc) rc = dev_alloc(dout, (size_t)batch * dim * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(dsrc, copy_bytes, err, errlen);
    if (!rc) rc = dev_alloc(ddst, copy_bytes, err, errlen);
    if (rc) return rc;
    fill_kernel<<<grid_for(table_f, kElementwiseThreads), kElementwiseThreads>>>(dt.as<float>(), table_f, 1.0f);
    LAUNCH_CHECK();
    CUDA_TRY(cudaMemset(dsrc.p, 1, copy_bytes));
    CUDA_TRY(cudaMemcpy(doff.p, offsets, ((size_t)batch + 1) * sizeof(int), cudaMemcpyHostToDevice));
    CUDA_TRY(cudaMemcpy(didx.p, indices, nnz * sizeof(int), cudaMemcpyHostToDevice));
    event_pair ev;
    CUDA_TRY(cudaEventCreate(&ev.a));
    CUDA_TRY(cudaEventCreate(&ev.b));
    const int warmup = 3;
    std::vector<float> te, tc;
    for (int r = 0; r < warmup + repeats; r++) {
        float ms = 0.f;
        CUDA_TRY(cudaEventRecord(ev.a));
        rc = launch_embbag(nullptr, dt.as<float>(), dim, doff.as<int>(), didx.as<int>(), batch, dout.as<float>(), dim,
                           err, errlen);
        if (rc) return rc;
        CUDA_TRY(cudaEventRecord(ev.b));
        CUDA_TRY(cudaEventSynchronize(ev.b));
        CUDA_TRY(cudaEventElapsedTime(&ms, ev.a, ev.b));
        if (r >= warmup) te.push_back(ms);
        CUDA_TRY(cudaEventRecord(ev.a));
        CUDA_TRY(cudaMemcpyAsync(ddst.p, dsrc.p, copy_bytes, cudaMemcpyDeviceToDevice));
        CUDA_TRY(cudaEventRecord(ev.b));
        CUDA_TRY(cudaEventSynchronize(ev.b));
        CUDA_TRY(cudaEventElapsedTime(&ms, ev.a, ev.b));
        if (r >= warmup) tc.push_back(ms);
    }
    median_ms(te, embbag_s);
    median_ms(tc, copy_s);
    return REC_OK;
}

extern "C" int rec_cuda_bench_mlp(const rec_mlp_shape *s, int32_t batch, int32_t repeats, double *mlp_s, double *gemm_s,
                                  char *err, size_t errlen) {
    if (repeats < 1 || batch < 1) return fd_errf(err, errlen, REC_EINVAL, "bench: bad sizes");
    size_t n_params = 0;
    for (int l = 0; l < s->n_layers; l++) n_params = std::max(n_params, s->b_off[l] + (size_t)s->out_dim[l]);
    blas_handle bh;
    dev_buf dp, din, dout, dw;
    const long long in_f = (long long)batch * s->in_dim;
    int rc = bh.init(err, errlen);
    if (!rc) rc = dev_alloc(dp, n_params * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(din, (size_t)in_f * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(dout, (size_t)batch * rec_mlp_out_width(s) * sizeof(float), err, errlen);
    if (!rc) rc = dev_alloc(dw, mlp_work_floats(s, batch) * sizeof(float), err, errlen);
    if (rc) return rc;
    fill_kernel<<<grid_for((long long)n_params, kElementwiseThreads), kElementwiseThreads, 0, bh.s>>>(
        dp.as<float>(), (long long)n_params, 0.1f);
    LAUNCH_CHECK();
    fill_kernel<<<grid_for(in_f, kElementwiseThreads), kElementwiseThreads, 0, bh.s>>>(din.as<float>(), in_f, 1.0f);
    LAUNCH_CHECK();
    event_pair ev;
    CUDA_TRY(cudaEventCreate(&ev.a));
    CUDA_TRY(cudaEventCreate(&ev.b));
    const int warmup = 3;
    std::vector<float> tm, tg;
    for (int r = 0; r < warmup + repeats; r++) {
        for (int bare = 0; bare < 2; bare++) {
            float ms = 0.f;
            CUDA_TRY(cudaEventRecord(ev.a, bh.s));
            rc = mlp_forward_dev(bh.h, bh.s, s, dp.as<float>(), batch, din.as<float>(), dout.as<float>(),
                                 dw.as<float>(), bare == 0, err, errlen);
            if (rc) return rc;
            CUDA_TRY(cudaEventRecord(ev.b, bh.s));
            CUDA_TRY(cudaEventSynchronize(ev.b));
            CUDA_TRY(cudaEventElapsedTime(&ms, ev.a, ev.b));
            if (r >= warmup) (bare ? tg : tm).push_back(ms);
        }
    }
    median_ms(tm, mlp_s);
    median_ms(tg, gemm_s);
    return REC_OK;
}
