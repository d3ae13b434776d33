#include "sim/engine/queue.h"

#include <stdlib.h>
#include <string.h>

#define QUEUE_ARITY 4
#define QUEUE_LINE  64
/* heap[0] sits 48 bytes into a line so that heap[1..4], heap[5..8], ...
 * (the children of one node) each fill exactly one line. */
#define QUEUE_OFFSET_ENTRIES (QUEUE_ARITY - 1)

static inline bool entry_before(const queue *q, const queue_entry *a, const queue_entry *b) {
    if (a->time != b->time) return a->time < b->time;
    return q->seq_of(q->owner, a->slot) < q->seq_of(q->owner, b->slot);
}

static int allocate(queue *q, size_t capacity) {
    size_t bytes = (capacity + QUEUE_OFFSET_ENTRIES) * sizeof(queue_entry);
    bytes = (bytes + QUEUE_LINE - 1) / QUEUE_LINE * QUEUE_LINE;
    void *block = aligned_alloc(QUEUE_LINE, bytes);
    if (!block) return -1;
    queue_entry *heap = (queue_entry *)block + QUEUE_OFFSET_ENTRIES;
    if (q->size) memcpy(heap, q->heap, q->size * sizeof *heap);
    free(q->block);
    q->block = block;
    q->heap = heap;
    q->capacity = capacity;
    return 0;
}

int queue_init(queue *q, size_t initial_capacity, queue_seq_fn seq_of, const void *owner) {
    memset(q, 0, sizeof *q);
    q->seq_of = seq_of;
    q->owner = owner;
    return allocate(q, initial_capacity ? initial_capacity : 1);
}

void queue_free(queue *q) {
    free(q->block);
    q->block = NULL;
    q->heap = NULL;
    q->size = q->capacity = 0;
}

size_t queue_bytes(const queue *q) { return (q->capacity + QUEUE_OFFSET_ENTRIES) * sizeof(queue_entry); }

/* Moves a hole from position i towards the root until e fits. */
static void sift_up(const queue *q, size_t i, queue_entry e) {
    queue_entry *heap = q->heap;
    while (i > 0) {
        size_t parent = (i - 1) / QUEUE_ARITY;
        if (!entry_before(q, &e, &heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = e;
}

/* Moves a hole from position i towards the leaves until e fits. */
static void sift_down(const queue *q, size_t size, size_t i, queue_entry e) {
    queue_entry *heap = q->heap;
    for (;;) {
        size_t first = i * QUEUE_ARITY + 1;
        if (first >= size) break;
        size_t best = first;
        size_t last = first + QUEUE_ARITY < size ? first + QUEUE_ARITY : size;
        for (size_t c = first + 1; c < last; c++)
            if (entry_before(q, &heap[c], &heap[best])) best = c;
        if (!entry_before(q, &heap[best], &e)) break;
        heap[i] = heap[best];
        i = best;
    }
    heap[i] = e;
}

/* Removing the root the way Floyd's bottom-up heapsort does: the hole at i
 * descends to a leaf along the smaller children, without comparing against
 * e, then e rises from there. Entries that replace the root are usually
 * late (a new event lies in the future of most pending ones), so they rise
 * little: one comparison per level instead of two. The children of the
 * next level are prefetched while this level's are compared. */
static void sift_hole_to_leaf_then_up(const queue *q, size_t size, size_t i, queue_entry e) {
    queue_entry *heap = q->heap;
    for (;;) {
        size_t first = i * QUEUE_ARITY + 1;
        if (first >= size) break;
        size_t best = first;
        size_t last = first + QUEUE_ARITY < size ? first + QUEUE_ARITY : size;
        for (size_t c = first + 1; c < last; c++)
            if (entry_before(q, &heap[c], &heap[best])) best = c;
        size_t grandchildren = best * QUEUE_ARITY + 1;
        if (grandchildren < size) __builtin_prefetch(&heap[grandchildren]);
        heap[i] = heap[best];
        i = best;
    }
    sift_up(q, i, e);
}

int queue_push(queue *q, queue_entry e) {
    if (q->size == q->capacity && allocate(q, q->capacity * 2) != 0) return -1;
    sift_up(q, q->size++, e);
    return 0;
}

void queue_pop(queue *q) {
    size_t n = --q->size;
    if (n > 0) sift_hole_to_leaf_then_up(q, n, 0, q->heap[n]);
}

void queue_replace_top(queue *q, queue_entry e) { sift_hole_to_leaf_then_up(q, q->size, 0, e); }

void queue_filter(queue *q, bool (*keep)(void *ctx, const queue_entry *e), void *ctx) {
    size_t kept = 0;
    for (size_t i = 0; i < q->size; i++)
        if (keep(ctx, &q->heap[i])) q->heap[kept++] = q->heap[i];
    q->size = kept;
    if (kept < 2) return;
    for (size_t i = (kept - 2) / QUEUE_ARITY + 1; i-- > 0;) sift_down(q, kept, i, q->heap[i]);
}
