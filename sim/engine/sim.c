#include "sim/engine/sim.h"

#include <stdlib.h>

#include "sim/engine/limits.h"
#include "sim/engine/queue.h"
#include "sim/engine/stream.h"

/* 40 bytes. A record is live while `handler` is non-NULL. Its generation
 * changes when the event fires or is cancelled, which makes older handles
 * stale. A cancelled record keeps its slot (and seq, the heap's tie-break
 * key) until its heap entry surfaces or is compacted away. */
typedef struct event_record {
    sim_handler handler;
    void *ctx;
    sim_payload payload;
    uint64_t seq;
    uint32_t gen;
    uint32_t next_free;
} event_record;

#define NO_SLOT UINT32_MAX

struct sim {
    simtime_ns now;
    uint64_t next_seq;
    queue pending;
    size_t live; /* scheduled, not fired, not cancelled */
    size_t dead; /* cancelled but still in the heap */

    event_record **chunks;
    uint32_t n_chunks, chunk_slots;
    uint32_t free_head;

    uint64_t processed, scheduled, cancelled;
    /* While a handler runs, its own entry stays at the heap's root: the
     * handler's first schedule replaces it (one sift instead of two), or it
     * is popped when the handler returns. */
    bool root_is_spent;
    bool stop_requested;
    sim_status error;

    sim_trace_fn trace;
    void *trace_ctx;

    stream_set streams;
};

static inline event_record *record_at(const sim *s, uint32_t slot) {
    return &s->chunks[slot >> SIM_POOL_CHUNK_SHIFT][slot & (SIM_POOL_CHUNK_EVENTS - 1)];
}

static uint64_t seq_of_slot(const void *owner, uint32_t slot) { return record_at(owner, slot)->seq; }

sim *sim_create(uint64_t seed) {
    sim *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (queue_init(&s->pending, SIM_QUEUE_INITIAL_CAPACITY, seq_of_slot, s) != 0) {
        free(s);
        return NULL;
    }
    s->free_head = NO_SLOT;
    stream_set_init(&s->streams, seed);
    return s;
}

void sim_destroy(sim *s) {
    if (!s) return;
    for (uint32_t i = 0; i < s->n_chunks; i++) free(s->chunks[i]);
    free(s->chunks);
    queue_free(&s->pending);
    stream_set_free(&s->streams);
    free(s);
}

/* Adds one chunk of free records; the pool never shrinks or moves records. */
static bool pool_grow(sim *s) {
    if (s->n_chunks >= SIM_POOL_MAX_CHUNKS) return false;
    event_record **table = realloc(s->chunks, (s->n_chunks + 1) * sizeof *table);
    if (!table) return false;
    s->chunks = table;
    event_record *chunk = malloc(SIM_POOL_CHUNK_EVENTS * sizeof *chunk);
    if (!chunk) return false;
    s->chunks[s->n_chunks++] = chunk;
    uint32_t base = s->chunk_slots;
    /* Thread the new records so that the lowest index is handed out first. */
    for (uint32_t i = 0; i < SIM_POOL_CHUNK_EVENTS; i++) {
        chunk[i].handler = NULL;
        chunk[i].gen = 1;
        chunk[i].next_free = i + 1 < SIM_POOL_CHUNK_EVENTS ? base + i + 1 : s->free_head;
    }
    s->free_head = base;
    s->chunk_slots += SIM_POOL_CHUNK_EVENTS;
    return true;
}

/* Ends the event's life: its handles go stale. */
static inline void record_retire(event_record *r) {
    r->handler = NULL;
    r->gen = r->gen + 1 ? r->gen + 1 : 1; /* 0 is reserved for SIM_HANDLE_NONE */
}

static inline void record_free(sim *s, uint32_t slot, event_record *r) {
    r->next_free = s->free_head;
    s->free_head = slot;
}

static void set_error(sim *s, sim_status st) {
    if (s->error == SIM_OK) s->error = st;
}

sim_handle sim_schedule_at(sim *s, simtime_ns at, sim_handler handler, void *ctx, sim_payload payload) {
    if (at < s->now) {
        set_error(s, SIM_ERR_PAST);
        return SIM_HANDLE_NONE;
    }
    if (s->free_head == NO_SLOT && !pool_grow(s)) {
        set_error(s, SIM_ERR_NOMEM);
        return SIM_HANDLE_NONE;
    }
    uint32_t slot = s->free_head;
    event_record *r = record_at(s, slot);
    r->seq = s->next_seq;
    queue_entry e = {.time = at, .slot = slot};
    if (s->root_is_spent) {
        queue_replace_top(&s->pending, e);
        s->root_is_spent = false;
    } else if (queue_push(&s->pending, e) != 0) {
        set_error(s, SIM_ERR_NOMEM);
        return SIM_HANDLE_NONE;
    }
    s->free_head = r->next_free;
    r->handler = handler;
    r->ctx = ctx;
    r->payload = payload;
    s->next_seq++;
    s->live++;
    s->scheduled++;
    return (sim_handle){slot, r->gen};
}

static bool handle_live(const sim *s, sim_handle h) {
    if (h.gen == 0 || h.slot >= s->chunk_slots) return false;
    const event_record *r = record_at(s, h.slot);
    return r->handler != NULL && r->gen == h.gen;
}

bool sim_is_pending(const sim *s, sim_handle h) { return handle_live(s, h); }

/* Keeps live entries; frees the slots of cancelled ones as they are dropped. */
static bool keep_live_entry(void *ctx, const queue_entry *e) {
    sim *s = ctx;
    event_record *r = record_at(s, e->slot);
    if (r->handler) return true;
    record_free(s, e->slot, r);
    return false;
}

static void drop_spent_root(sim *s) {
    if (s->root_is_spent) {
        queue_pop(&s->pending);
        s->root_is_spent = false;
    }
}

bool sim_cancel(sim *s, sim_handle h) {
    if (!handle_live(s, h)) return false;
    record_retire(record_at(s, h.slot));
    s->live--;
    s->dead++;
    s->cancelled++;
    if (s->dead >= SIM_QUEUE_COMPACT_MIN_DEAD && s->dead > s->live) {
        drop_spent_root(s);
        queue_filter(&s->pending, keep_live_entry, s);
        s->dead = 0;
    }
    return true;
}

sim_run_reason sim_run(sim *s, simtime_ns until, uint64_t max_events) {
    s->stop_requested = false;
    uint64_t ran = 0;
    for (;;) {
        if (s->error != SIM_OK) return SIM_RUN_ERROR;
        if (queue_empty(&s->pending)) {
            if (until != SIMTIME_NEVER && until > s->now) s->now = until;
            return SIM_RUN_EMPTY;
        }
        const queue_entry top = *queue_top(&s->pending);
        if (top.time > until) {
            s->now = until;
            return SIM_RUN_UNTIL;
        }
        if (max_events && ran == max_events) return SIM_RUN_MAX_EVENTS;
        event_record *r = record_at(s, top.slot);
        if (r->handler == NULL) { /* cancelled */
            queue_pop(&s->pending);
            record_free(s, top.slot, r);
            s->dead--;
            continue;
        }
        sim_handler handler = r->handler;
        void *ctx = r->ctx;
        sim_payload payload = r->payload;
        /* Free the record first: the handler's own schedules reuse it while
         * it is still in cache. */
        record_retire(r);
        record_free(s, top.slot, r);
        s->live--;
        s->now = top.time;
        if (s->trace) s->trace(s->trace_ctx, top.time, handler, ctx, payload);
        s->root_is_spent = true;
        /* The next event's record is a cache miss in a large pool: start it
         * now, so it overlaps the handler and the sift. */
        const queue_entry *next = queue_likely_next(&s->pending);
        if (next) __builtin_prefetch(record_at(s, next->slot));
        handler(s, ctx, payload);
        drop_spent_root(s);
        s->processed++;
        ran++;
        if (s->stop_requested) return s->error != SIM_OK ? SIM_RUN_ERROR : SIM_RUN_STOPPED;
    }
}

void sim_stop(sim *s) { s->stop_requested = true; }
simtime_ns sim_now(const sim *s) { return s->now; }
uint64_t sim_seed(const sim *s) { return s->streams.seed; }
uint64_t sim_events_processed(const sim *s) { return s->processed; }
uint64_t sim_events_scheduled(const sim *s) { return s->scheduled; }
uint64_t sim_events_cancelled(const sim *s) { return s->cancelled; }
size_t sim_pending(const sim *s) { return s->live; }
sim_status sim_error(const sim *s) { return s->error; }

const char *sim_status_str(sim_status st) {
    switch (st) {
    case SIM_OK: return "ok";
    case SIM_ERR_NOMEM: return "out of memory for events";
    case SIM_ERR_PAST: return "event scheduled in the past";
    }
    return "unknown engine error";
}

size_t sim_memory_bytes(const sim *s) {
    return (size_t)s->n_chunks * SIM_POOL_CHUNK_EVENTS * sizeof(event_record) + queue_bytes(&s->pending) +
           s->n_chunks * sizeof(event_record *);
}

void sim_set_trace(sim *s, sim_trace_fn fn, void *trace_ctx) {
    s->trace = fn;
    s->trace_ctx = trace_ctx;
}

gsl_rng *sim_stream(sim *s, const char *name) { return stream_get(&s->streams, name); }

unsigned long sim_stream_seed(uint64_t seed, const char *name) { return stream_seed(seed, name); }
