/* The pending-event set: a 4-ary min-heap with the keys inline.
 *
 * Why this structure (measured with `firedrill bench phold`, see README):
 * - Keys (time, seq) live in the heap array itself, so a sift compares
 *   contiguous memory and never chases a pointer into the event pool. With
 *   24-byte entries a node's four children span 96 bytes: two cache lines,
 *   against log2(n) scattered lines for a binary heap of pointers.
 * - A 4-ary heap halves the depth of a binary one; pops do more compares per
 *   level but far fewer cache misses, which dominate from ~10^5 pending events.
 * - Calendar and ladder queues win only when the event-time distribution is
 *   stable and known; disaster scenarios mix nanosecond service times with
 *   month-long failure clocks, where they degrade. The heap is O(log n) always.
 * Ties: entries order by (time, seq); seq is unique and increasing per
 * simulation, so equal-time events come out in scheduling order.
 * Cancellation is lazy (the engine marks the event dead; its entry is skipped
 * when it surfaces), so the queue itself needs no position index. */
#ifndef SIM_QUEUE_H
#define SIM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/simtime.h"

typedef struct queue_entry {
    simtime_ns time;
    uint64_t seq;
    uint32_t slot; /* event-pool index, opaque to the queue */
    uint32_t gen;  /* generation of that slot when scheduled */
} queue_entry;

typedef struct queue {
    queue_entry *heap;
    size_t size;
    size_t capacity;
} queue;

/* Returns 0, or -1 when out of memory. */
int queue_init(queue *q, size_t initial_capacity);
void queue_free(queue *q);

/* Adds an entry; amortised O(log n), allocates only when doubling. 0 or -1. */
int queue_push(queue *q, queue_entry e);

/* The smallest entry; undefined when empty. */
static inline const queue_entry *queue_top(const queue *q) { return &q->heap[0]; }
static inline size_t queue_size(const queue *q) { return q->size; }
static inline bool queue_empty(const queue *q) { return q->size == 0; }

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
