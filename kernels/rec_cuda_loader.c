/* The CUDA backend's entry points (kernels/rec_cuda.h) in the program: the
 * backend itself, with libcudart and libcublas, lives in the shared object
 * libfiredrill_cuda.so, loaded on first use, so that a process that never
 * asks for the GPU, or runs where there is none, does not pay for loading
 * the CUDA libraries (tens of milliseconds and about 200 MB of RSS).
 *
 * The object is looked for, in order: $FIREDRILL_CUDA_LIB (only there when
 * set); next to the executable; ../lib/firedrill next to it (`make install`:
 * PREFIX/bin/firedrill and PREFIX/lib/firedrill/); the build folder it was built in
 * (FIREDRILL_CUDA_LIB_DEFAULT, from the Makefile's generated
 * cuda_config.h). It is loaded only when the CUDA driver (libcuda.so.1) can
 * be: without one the runtime finds no device anyway. When it cannot be
 * loaded, every entry point fails with REC_ENODEV and the loader's reason,
 * and rec_cuda_device_count() returns 0, so AUTO falls back to the CPU. */
#include "kernels/rec_cuda.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The shared object's entry points, typed after the prototypes of
 * rec_cuda.h so that the two cannot disagree. */
#define REC_CUDA_ENTRY_POINTS(X)                                                                                       \
    X(rec_cuda_device_count)                                                                                           \
    X(rec_cuda_device_name)                                                                                            \
    X(rec_cuda_create)                                                                                                 \
    X(rec_cuda_free)                                                                                                   \
    X(rec_cuda_table_upload)                                                                                           \
    X(rec_cuda_table_download)                                                                                         \
    X(rec_cuda_dense_upload)                                                                                           \
    X(rec_cuda_dense_download)                                                                                         \
    X(rec_cuda_retrieve)                                                                                               \
    X(rec_cuda_rank)                                                                                                   \
    X(rec_cuda_embbag_sum_host)                                                                                        \
    X(rec_cuda_mlp_forward_host)                                                                                       \
    X(rec_cuda_interact_host)                                                                                          \
    X(rec_cuda_topk_host)                                                                                              \
    X(rec_cuda_bench_embbag)                                                                                           \
    X(rec_cuda_bench_mlp)

#define REC_CUDA_FIELD(name) __typeof__(&name) name;
typedef struct cuda_api {
    REC_CUDA_ENTRY_POINTS(REC_CUDA_FIELD)
} cuda_api;
#undef REC_CUDA_FIELD

/* Written once under pthread_once, read-only afterwards. */
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static cuda_api api;
static int api_loaded;
static char load_reason[512];

#ifdef FIREDRILL_CUDA_LIB_DEFAULT
#define CUDA_SO_NAME "libfiredrill_cuda.so"

/* dirname(/proc/self/exe)/rel/libfiredrill_cuda.so into path ("" or
 * "../lib/firedrill/" for rel); 0 when unknown. */
static int path_near_exe(const char *rel, char *path, size_t len) {
    char exe[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return 0;
    *slash = '\0';
    const int w = snprintf(path, len, "%s/%s%s", exe, rel, CUDA_SO_NAME);
    return w > 0 && (size_t)w < len;
}

static void *open_backend(void) {
    const char *env = getenv("FIREDRILL_CUDA_LIB");
    const char *path = FIREDRILL_CUDA_LIB_DEFAULT;
    static const char *const near_exe[] = {"", "../lib/firedrill/"};
    static char beside[PATH_MAX + 64];
    if (env && env[0])
        path = env;
    else
        for (size_t i = 0; i < sizeof near_exe / sizeof near_exe[0]; i++)
            if (path_near_exe(near_exe[i], beside, sizeof(beside)) && access(beside, F_OK) == 0) {
                path = beside;
                break;
            }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        fd_errf(load_reason, sizeof(load_reason), REC_ENODEV, "cannot load the CUDA backend: %s", why ? why : path);
    }
    return h;
}

static void load_backend(void) {
    /* The runtime would dlopen the driver itself; without one it reports no
     * device, so skip loading the CUDA libraries. The handle stays open for
     * the runtime to find. */
    if (!dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL)) {
        const char *why = dlerror();
        fd_errf(load_reason, sizeof(load_reason), REC_ENODEV, "no CUDA device: no CUDA driver (%s)",
                why ? why : "libcuda.so.1 not found");
        return;
    }
    void *h = open_backend();
    if (!h) return;
    /* dlsym on the handle searches the shared object first, not this
     * program's functions of the same names. */
    cuda_api a;
#define REC_CUDA_RESOLVE(name)                                                                                         \
    (void)dlerror(); /* POSIX: clear, so a later dlerror() speaks of this dlsym */                                     \
    a.name = (__typeof__(a.name))dlsym(h, #name);                                                                      \
    if (!a.name) {                                                                                                     \
        const char *why = dlerror();                                                                                   \
        fd_errf(load_reason, sizeof(load_reason), REC_ENODEV, "cannot load the CUDA backend: %s", why ? why : #name);  \
        dlclose(h);                                                                                                    \
        return;                                                                                                        \
    }
    REC_CUDA_ENTRY_POINTS(REC_CUDA_RESOLVE)
#undef REC_CUDA_RESOLVE
    api = a;
    api_loaded = 1;
}
#else
static void load_backend(void) {
    fd_errf(load_reason, sizeof(load_reason), REC_ENODEV, "cuda backend: firedrill was built without CUDA (CUDA=0)");
}
#endif

/* 1 when the backend is loaded; else 0 with the reason in err. */
static int backend_loaded(char *err, size_t errlen) {
    pthread_once(&load_once, load_backend);
    if (api_loaded) return 1;
    fd_errf(err, errlen, REC_ENODEV, "%s", load_reason);
    return 0;
}

int rec_cuda_device_count(char *err, size_t errlen) {
    return backend_loaded(err, errlen) ? api.rec_cuda_device_count(err, errlen) : 0;
}

int rec_cuda_device_name(char *name, size_t len, char *err, size_t errlen) {
    if (len > 0) name[0] = '\0';
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_device_name(name, len, err, errlen);
}

int rec_cuda_create(const rec_config *cfg, const rec_layout *lay, const float *params, const float *const *tables,
                    rec_cuda **out, char *err, size_t errlen) {
    *out = NULL;
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_create(cfg, lay, params, tables, out, err, errlen);
}

/* A non-NULL g was made by the loaded backend. */
void rec_cuda_free(rec_cuda *g) {
    if (g) api.rec_cuda_free(g);
}

int rec_cuda_table_upload(rec_cuda *g, int32_t table, int64_t row0, int64_t nrows, const float *src, char *err,
                          size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_table_upload(g, table, row0, nrows, src, err, errlen);
}

int rec_cuda_table_download(const rec_cuda *g, int32_t table, int64_t row0, int64_t nrows, float *dst, char *err,
                            size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_table_download(g, table, row0, nrows, dst, err, errlen);
}

int rec_cuda_dense_upload(rec_cuda *g, const float *src, char *err, size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_dense_upload(g, src, err, errlen);
}

int rec_cuda_dense_download(const rec_cuda *g, float *dst, char *err, size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_dense_download(g, dst, err, errlen);
}

int rec_cuda_retrieve(rec_cuda *g, const rec_retrieval_input *in, rec_retrieval_output *out, char *err, size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_retrieve(g, in, out, err, errlen);
}

int rec_cuda_rank(rec_cuda *g, const rec_ranking_input *in, rec_ranking_output *out, char *err, size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_rank(g, in, out, err, errlen);
}

int rec_cuda_embbag_sum_host(const float *table, int64_t rows, int32_t dim, const int32_t *offsets,
                             const int32_t *indices, int32_t batch, float *out, char *err, size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_embbag_sum_host(table, rows, dim, offsets, indices, batch, out, err, errlen);
}

int rec_cuda_mlp_forward_host(const rec_mlp_shape *s, const float *params, size_t n_params, int32_t batch,
                              const float *in, float *out, char *err, size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_mlp_forward_host(s, params, n_params, batch, in, out, err, errlen);
}

int rec_cuda_interact_host(const float *z, int32_t batch, int32_t n_features, int32_t dim, float *out, char *err,
                           size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_interact_host(z, batch, n_features, dim, out, err, errlen);
}

int rec_cuda_topk_host(const float *scores, int32_t n_rows, int32_t n, int32_t k, int32_t *ids, float *vals, char *err,
                       size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_topk_host(scores, n_rows, n, k, ids, vals, err, errlen);
}

int rec_cuda_bench_embbag(int64_t rows, int32_t dim, const int32_t *offsets, const int32_t *indices, int32_t batch,
                          int32_t repeats, size_t copy_bytes, double *embbag_s, double *copy_s, char *err,
                          size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_bench_embbag(rows, dim, offsets, indices, batch, repeats, copy_bytes, embbag_s, copy_s, err,
                                     errlen);
}

int rec_cuda_bench_mlp(const rec_mlp_shape *s, int32_t batch, int32_t repeats, double *mlp_s, double *gemm_s, char *err,
                       size_t errlen) {
    if (!backend_loaded(err, errlen)) return REC_ENODEV;
    return api.rec_cuda_bench_mlp(s, batch, repeats, mlp_s, gemm_s, err, errlen);
}
