#include "kernels/topk.h"

#include <math.h>

int rec_topk_better(float a, int32_t ia, float b, int32_t ib) {
    int a_nan = isnan(a), b_nan = isnan(b);
    if (a_nan != b_nan) return b_nan;
    if (!a_nan && a != b) return a > b;
    return ia < ib;
}

/* The heap keeps the worst kept candidate at its root, so each new score is
 * compared with one value and most of a long vector never touches the heap. */
static void heap_sift_down(int32_t *ids, float *vals, int32_t n, int32_t i) {
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, worst = i;
        if (l < n && rec_topk_better(vals[worst], ids[worst], vals[l], ids[l])) worst = l;
        if (r < n && rec_topk_better(vals[worst], ids[worst], vals[r], ids[r])) worst = r;
        if (worst == i) return;
        int32_t ti = ids[i];
        float tv = vals[i];
        ids[i] = ids[worst];
        vals[i] = vals[worst];
        ids[worst] = ti;
        vals[worst] = tv;
        i = worst;
    }
}

int32_t rec_topk(const float *scores, int32_t n, int32_t k, int32_t *ids, float *vals) {
    if (k < 0 || n < 0) return -1;
    int32_t m = n < k ? n : k;
    if (m > 0) {
        for (int32_t i = 0; i < m; i++) {
            ids[i] = i;
            vals[i] = scores[i];
        }
        for (int32_t i = m / 2 - 1; i >= 0; i--) heap_sift_down(ids, vals, m, i);
        for (int32_t i = m; i < n; i++) {
            if (rec_topk_better(scores[i], i, vals[0], ids[0])) {
                ids[0] = i;
                vals[0] = scores[i];
                heap_sift_down(ids, vals, m, 0);
            }
        }
        /* Heap sort in place: repeatedly move the worst to the end. */
        for (int32_t end = m - 1; end > 0; end--) {
            int32_t ti = ids[0];
            float tv = vals[0];
            ids[0] = ids[end];
            vals[0] = vals[end];
            ids[end] = ti;
            vals[end] = tv;
            heap_sift_down(ids, vals, end, 0);
        }
    }
    for (int32_t i = m; i < k; i++) {
        ids[i] = -1;
        vals[i] = -INFINITY;
    }
    return m;
}

double rec_topk_recall(const int32_t *got, const int32_t *want, int32_t k) {
    int32_t hit = 0, valid = 0;
    for (int32_t i = 0; i < k; i++) {
        if (want[i] < 0) continue;
        valid++;
        for (int32_t j = 0; j < k; j++)
            if (got[j] == want[i]) {
                hit++;
                break;
            }
    }
    return valid > 0 ? (double)hit / valid : 1.0;
}
