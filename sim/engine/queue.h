/* The pending-event set: a 4-ary min-heap with 16-byte entries, aligned so
 * that the four children of a node share one 64-byte cache line.
 *
 * Why this structure (measured with `firedrill bench phold`, see README):
 * - The time key lives in the heap array itself, so a sift compares
 *   contiguous memory and never chases a pointer, except to break a tie
 *   between equal times. One node's children = one cache line: a pop from a
 *   heap of 10^6 events touches ~10 lines. The earlier 24-byte entries (time,
 *   seq, slot, gen inline) straddled two lines per level and ran 15-25 %
 *   slower at 10^6 pending events.
 * - A 4-ary heap halves the depth of a binary one; pops do more compares per
 *   level but far fewer cache misses, which dominate from ~10^5 pending events.
 * - Calendar and ladder queues win only when the event-time distribution is
 *   stable and known; disaster scenarios mix millisecond service times with
 *   month-long failure clocks, where they degrade. The heap is O(log n) always.
 * Ties: entries order by (time, seq); the owner supplies seq through a
 * callback (only consulted on equal times). seq is unique and increasing, so
 * equal-time events come out in scheduling order. The owner must keep an
 * entry's seq unchanged while it is in the heap. */
#ifndef SIM_QUEUE_H
#define SIM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/simtime.h"

typedef struct queue_entry {
    simtime_ns time;
    uint32_t slot; /* the owner's handle for the event; opaque to the queue */
    uint32_t spare;
} queue_entry;

typedef uint64_t (*queue_seq_fn)(const void *owner, uint32_t slot);

typedef struct queue {
    queue_entry *heap; /* heap[0] is the root; heap[1] starts a cache line */
    void *block;       /* allocation holding heap */
    size_t size;
    size_t capacity;
    queue_seq_fn seq_of;
    const void *owner;
} queue;

/* Returns 0, or -1 when out of memory. */
int queue_init(queue *q, size_t initial_capacity, queue_seq_fn seq_of, const void *owner);
void queue_free(queue *q);

/* Adds an entry; amortised O(log n), allocates only when doubling. 0 or -1. */
int queue_push(queue *q, queue_entry e);

/* The smallest entry; undefined when empty. */
static inline const queue_entry *queue_top(const queue *q) { return &q->heap[0]; }
static inline size_t queue_size(const queue *q) { return q->size; }
static inline bool queue_empty(const queue *q) { return q->size == 0; }

/* The smallest child of the root (by time alone): after the root leaves,
 * the entry most likely to be the next root. NULL with fewer than 2 entries.
 * For prefetching; never for ordering. */
static inline const queue_entry *queue_likely_next(const queue *q) {
    if (q->size < 2) return NULL;
    const queue_entry *best = &q->heap[1];
    size_t last = q->size < 5 ? q->size : 5;
    for (size_t c = 2; c < last; c++)
        if (q->heap[c].time < best->time) best = &q->heap[c];
    return best;
}

/* Removes the smallest entry; O(log n). The queue must not be empty. */
void queue_pop(queue *q);

/* Removes the smallest entry and adds e in one sift: cheaper than a pop
 * and a push, and the common case of a handler that schedules one event. */
void queue_replace_top(queue *q, queue_entry e);

/* Keeps only the entries for which keep(ctx, entry) is true, then restores
 * the heap order in O(n). Used to drop cancelled events in bulk. */
void queue_filter(queue *q, bool (*keep)(void *ctx, const queue_entry *e), void *ctx);

/* Bytes held by the heap array (for memory reports). */
size_t queue_bytes(const queue *q);

#endif
