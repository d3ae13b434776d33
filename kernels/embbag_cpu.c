/* Embedding-bag sum pooling on the CPU. The rows of a bag are scattered
 * over a table much larger than the caches, so the loop is bound by memory
 * latency, not arithmetic: it keeps misses in flight with software
 * prefetches of every line of the row EMBBAG_PREFETCH_ROWS rows ahead, into
 * L2, across bag boundaries, and keeps the pooled sum in registers (AVX,
 * picked at run time) so the loop issues no stores and the out-of-order
 * window reaches further. Tables sit on huge pages where the OS allows, so
 * a random row costs a cache miss and not also a page walk. Measured on a
 * 1.9 GiB table, 256-byte rows, one core, a 960 MiB memcpy between passes
 * (`firedrill bench kernels`, medians of 3): sum in memory with 64 rows into
 * L2 and 8 into L1 4.4 GB/s; AVX registers with 32 rows into L2 6.8 (16 and
 * 48 rows, or an extra L1 prefetch, within noise; L1-only prefetch 5.2-5.5).
 * The sums are the same, bit for bit: each output element adds its rows in
 * bag order, as the scalar loop does. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernels/rec_cpu.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EMBBAG_HAVE_AVX 1
#else
#define EMBBAG_HAVE_AVX 0
#endif

#define EMBBAG_PREFETCH_ROWS 32
/* Cache line size in floats, for prefetching every line of a wide row. */
#define EMBBAG_LINE_FLOATS 16
/* Columns pooled in registers at once by the AVX path: 8 x 8 floats. */
#define EMBBAG_AVX_COLS 64
/* Transparent huge pages are 2 MiB on x86-64 and arm64 (4 KiB granule). */
#define EMBBAG_HUGE_PAGE_BYTES ((size_t)2 << 20)

void *rec_cpu_table_alloc(size_t bytes) {
    if (bytes < EMBBAG_HUGE_PAGE_BYTES) return malloc(bytes > 0 ? bytes : 1);
    void *p = NULL;
    const size_t rounded = (bytes + EMBBAG_HUGE_PAGE_BYTES - 1) / EMBBAG_HUGE_PAGE_BYTES * EMBBAG_HUGE_PAGE_BYTES;
    if (posix_memalign(&p, EMBBAG_HUGE_PAGE_BYTES, rounded) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only: fine if refused */
#endif
    return p;
}

/* Into L2 (hint 2): the L2 miss queue is deeper than L1's fill buffers.
 * Macros, not functions: with these in small static functions GCC 12 -O2
 * emitted no prefetch at all (objdump), presumably taking them for calls
 * without side effects. */
#define PREFETCH_ROW(row, dim)                                                                                         \
    do {                                                                                                               \
        const float *pf_row_ = (row);                                                                                  \
        for (int32_t pf_c_ = 0; pf_c_ < (dim); pf_c_ += EMBBAG_LINE_FLOATS) __builtin_prefetch(pf_row_ + pf_c_, 0, 2); \
    } while (0)

#define PREFETCH_AHEAD(table, dim, indices, i, total)                                                                  \
    do {                                                                                                               \
        if ((i) + EMBBAG_PREFETCH_ROWS < (total))                                                                      \
            PREFETCH_ROW((table) + (int64_t)(indices)[(i) + EMBBAG_PREFETCH_ROWS] * (dim), dim);                       \
    } while (0)

#define PREFETCH_START(table, dim, indices, first, total)                                                              \
    do {                                                                                                               \
        for (int32_t pf_i_ = (first); pf_i_ < (total) && pf_i_ < (first) + EMBBAG_PREFETCH_ROWS; pf_i_++)              \
            PREFETCH_ROW((table) + (int64_t)(indices)[pf_i_] * (dim), dim);                                            \
    } while (0)

static inline void add_row(float *restrict acc, const float *restrict row, int32_t dim) {
    int32_t c = 0;
    /* Eight independent lanes so the compiler emits packed adds at -O2. */
    for (; c + 8 <= dim; c += 8) {
        acc[c + 0] += row[c + 0];
        acc[c + 1] += row[c + 1];
        acc[c + 2] += row[c + 2];
        acc[c + 3] += row[c + 3];
        acc[c + 4] += row[c + 4];
        acc[c + 5] += row[c + 5];
        acc[c + 6] += row[c + 6];
        acc[c + 7] += row[c + 7];
    }
    for (; c < dim; c++) acc[c] += row[c];
}

static void embbag_sum_portable(const float *table, int32_t dim, const int32_t *offsets, const int32_t *indices,
                                int32_t batch, float *out, int64_t out_stride) {
    const int32_t first = offsets[0], total = batch > 0 ? offsets[batch] : first;
    PREFETCH_START(table, dim, indices, first, total);
    for (int32_t b = 0; b < batch; b++) {
        float *acc = out + (int64_t)b * out_stride;
        const int32_t lo = offsets[b], hi = offsets[b + 1];
        if (lo == hi) {
            memset(acc, 0, (size_t)dim * sizeof(float));
            continue;
        }
        for (int32_t i = lo; i < hi; i++) {
            PREFETCH_AHEAD(table, dim, indices, i, total);
            const float *row = table + (int64_t)indices[i] * dim;
            /* The first row initialises the accumulator: one pass less than zeroing. */
            if (i == lo)
                memcpy(acc, row, (size_t)dim * sizeof(float));
            else
                add_row(acc, row, dim);
        }
    }
}

#if EMBBAG_HAVE_AVX
/* dim a multiple of 8. Columns in blocks of up to 64, each block's sum held
 * in eight ymm registers over the whole bag; the first block's pass issues
 * the prefetches (of whole rows), later blocks find the bag's rows cached. */
__attribute__((target("avx"))) static void embbag_sum_avx(const float *table, int32_t dim, const int32_t *offsets,
                                                          const int32_t *indices, int32_t batch, float *out,
                                                          int64_t out_stride) {
    const int32_t first = offsets[0], total = batch > 0 ? offsets[batch] : first;
    PREFETCH_START(table, dim, indices, first, total);
    for (int32_t b = 0; b < batch; b++) {
        float *acc = out + (int64_t)b * out_stride;
        const int32_t lo = offsets[b], hi = offsets[b + 1];
        if (lo == hi) {
            memset(acc, 0, (size_t)dim * sizeof(float));
            continue;
        }
        for (int32_t c0 = 0; c0 < dim; c0 += EMBBAG_AVX_COLS) {
            const int pf = c0 == 0;
            if (dim - c0 >= EMBBAG_AVX_COLS) {
                if (pf) PREFETCH_AHEAD(table, dim, indices, lo, total);
                const float *row = table + (int64_t)indices[lo] * dim + c0;
                __m256 a0 = _mm256_loadu_ps(row), a1 = _mm256_loadu_ps(row + 8), a2 = _mm256_loadu_ps(row + 16),
                       a3 = _mm256_loadu_ps(row + 24), a4 = _mm256_loadu_ps(row + 32), a5 = _mm256_loadu_ps(row + 40),
                       a6 = _mm256_loadu_ps(row + 48), a7 = _mm256_loadu_ps(row + 56);
                for (int32_t i = lo + 1; i < hi; i++) {
                    if (pf) PREFETCH_AHEAD(table, dim, indices, i, total);
                    row = table + (int64_t)indices[i] * dim + c0;
                    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(row));
                    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(row + 8));
                    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(row + 16));
                    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(row + 24));
                    a4 = _mm256_add_ps(a4, _mm256_loadu_ps(row + 32));
                    a5 = _mm256_add_ps(a5, _mm256_loadu_ps(row + 40));
                    a6 = _mm256_add_ps(a6, _mm256_loadu_ps(row + 48));
                    a7 = _mm256_add_ps(a7, _mm256_loadu_ps(row + 56));
                }
                float *o = acc + c0;
                _mm256_storeu_ps(o, a0);
                _mm256_storeu_ps(o + 8, a1);
                _mm256_storeu_ps(o + 16, a2);
                _mm256_storeu_ps(o + 24, a3);
                _mm256_storeu_ps(o + 32, a4);
                _mm256_storeu_ps(o + 40, a5);
                _mm256_storeu_ps(o + 48, a6);
                _mm256_storeu_ps(o + 56, a7);
            } else {
                /* A narrower last block (8..56 columns): one vector at a time. */
                for (int32_t c = c0; c < dim; c += 8) {
                    const int pfc = pf && c == c0;
                    if (pfc) PREFETCH_AHEAD(table, dim, indices, lo, total);
                    __m256 a = _mm256_loadu_ps(table + (int64_t)indices[lo] * dim + c);
                    for (int32_t i = lo + 1; i < hi; i++) {
                        if (pfc) PREFETCH_AHEAD(table, dim, indices, i, total);
                        a = _mm256_add_ps(a, _mm256_loadu_ps(table + (int64_t)indices[i] * dim + c));
                    }
                    _mm256_storeu_ps(acc + c, a);
                }
            }
        }
    }
}
#endif

void rec_cpu_embbag_sum(const float *table, int32_t dim, const int32_t *offsets, const int32_t *indices, int32_t batch,
                        float *out, int64_t out_stride) {
#if EMBBAG_HAVE_AVX
    if (dim % 8 == 0 && __builtin_cpu_supports("avx")) {
        embbag_sum_avx(table, dim, offsets, indices, batch, out, out_stride);
        return;
    }
#endif
    embbag_sum_portable(table, dim, offsets, indices, batch, out, out_stride);
}
