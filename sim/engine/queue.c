#include "sim/engine/queue.h"

#include <stdlib.h>

#define QUEUE_ARITY 4

static inline bool entry_before(const queue_entry *a, const queue_entry *b) {
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

int queue_init(queue *q, size_t initial_capacity) {
    if (initial_capacity == 0) initial_capacity = 1;
    q->heap = malloc(initial_capacity * sizeof *q->heap);
    q->size = 0;
    q->capacity = q->heap ? initial_capacity : 0;
    return q->heap ? 0 : -1;
}

void queue_free(queue *q) {
    free(q->heap);
    q->heap = NULL;
    q->size = q->capacity = 0;
}

size_t queue_bytes(const queue *q) { return q->capacity * sizeof *q->heap; }

/* Moves a hole from position i towards the root until e fits. */
static void sift_up(queue_entry *heap, size_t i, queue_entry e) {
    while (i > 0) {
        size_t parent = (i - 1) / QUEUE_ARITY;
        if (!entry_before(&e, &heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = e;
}

/* Moves a hole from position i towards the leaves until e fits. */
static void sift_down(queue_entry *heap, size_t size, size_t i, queue_entry e) {
    for (;;) {
        size_t first = i * QUEUE_ARITY + 1;
        if (first >= size) break;
        size_t best = first;
        size_t last = first + QUEUE_ARITY < size ? first + QUEUE_ARITY : size;
        for (size_t c = first + 1; c < last; c++)
            if (entry_before(&heap[c], &heap[best])) best = c;
        if (!entry_before(&heap[best], &e)) break;
        heap[i] = heap[best];
        i = best;
    }
    heap[i] = e;
}

int queue_push(queue *q, queue_entry e) {
    if (q->size == q->capacity) {
        size_t cap = q->capacity * 2;
        queue_entry *grown = realloc(q->heap, cap * sizeof *grown);
        if (!grown) return -1;
        q->heap = grown;
        q->capacity = cap;
    }
    sift_up(q->heap, q->size++, e);
    return 0;
}

void queue_pop(queue *q) {
    size_t n = --q->size;
    if (n > 0) sift_down(q->heap, n, 0, q->heap[n]);
}

void queue_replace_top(queue *q, queue_entry e) { sift_down(q->heap, q->size, 0, e); }

void queue_filter(queue *q, bool (*keep)(void *ctx, const queue_entry *e), void *ctx) {
    size_t kept = 0;
    for (size_t i = 0; i < q->size; i++)
        if (keep(ctx, &q->heap[i])) q->heap[kept++] = q->heap[i];
    q->size = kept;
    if (kept < 2) return;
    for (size_t i = (kept - 2) / QUEUE_ARITY + 1; i-- > 0;) sift_down(q->heap, kept, i, q->heap[i]);
}
