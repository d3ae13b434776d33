/* The discrete-event engine. A `sim` owns its clock, pending-event set, event
 * pool and random streams; nothing is global, so independent simulations run
 * side by side on many threads. It knows nothing about what it simulates.
 *
 * Typical use:
 *     sim *s = sim_create(seed);
 *     gsl_rng *arrivals = sim_stream(s, "traffic.arrivals");
 *     sim_schedule_in(s, simtime_from_s(1), on_arrival, model, SIM_PAYLOAD_NONE);
 *     sim_run(s, simtime_from_days(30), 0);
 *     sim_destroy(s);
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/simtime.h"

typedef struct sim sim;

/* A small value carried by an event, so that most handlers need no
 * allocation: an entity index, a pair of indices, a number or a pointer. */
typedef union sim_payload {
    uint64_t u64;
    int64_t i64;
    double f64;
    void *ptr;
    uint32_t u32[2];
} sim_payload;

#define SIM_PAYLOAD_NONE ((sim_payload){.u64 = 0})
static inline sim_payload sim_payload_u64(uint64_t v) { return (sim_payload){.u64 = v}; }
static inline sim_payload sim_payload_pair(uint32_t a, uint32_t b) { return (sim_payload){.u32 = {a, b}}; }
static inline sim_payload sim_payload_f64(double v) { return (sim_payload){.f64 = v}; }
static inline sim_payload sim_payload_ptr(void *p) { return (sim_payload){.ptr = p}; }

/* Runs at the event's time; sim_now(s) is that time. May schedule, cancel
 * and call sim_stop. */
typedef void (*sim_handler)(sim *s, void *ctx, sim_payload payload);

/* Names one scheduled event. A handle outlives its event harmlessly: once the
 * event fired or was cancelled, the handle is stale and cancelling it is a
 * no-op, even after its pool slot has been reused (the generation differs).
 * The zero handle is never valid. */
typedef struct sim_handle {
    uint32_t slot;
    uint32_t gen;
} sim_handle;

#define SIM_HANDLE_NONE ((sim_handle){0, 0})

typedef enum sim_status {
    SIM_OK = 0,
    SIM_ERR_NOMEM = -1, /* the event pool or queue could not grow */
    SIM_ERR_PAST = -2,  /* an event was scheduled before sim_now() */
} sim_status;

typedef enum sim_run_reason {
    SIM_RUN_EMPTY,      /* no event left */
    SIM_RUN_UNTIL,      /* the next event lies after `until`; the clock reads `until` */
    SIM_RUN_MAX_EVENTS, /* `max_events` events ran */
    SIM_RUN_STOPPED,    /* a handler called sim_stop */
    SIM_RUN_ERROR,      /* a schedule failed; see sim_error */
} sim_run_reason;

/* Called before every event when set; costs one predictable branch when not. */
typedef void (*sim_trace_fn)(void *trace_ctx, simtime_ns time, sim_handler handler, void *ctx, sim_payload payload);

/* A new simulation at time 0 whose named streams derive from `seed`.
 * Returns NULL when out of memory. */
sim *sim_create(uint64_t seed);
void sim_destroy(sim *s);

/* Schedules handler(s, ctx, payload) at absolute time `at` (>= sim_now).
 * Never calls malloc except when the pool or heap must grow (in chunks).
 * On failure returns SIM_HANDLE_NONE and records a sticky error that makes
 * sim_run return SIM_RUN_ERROR: models need not check every call. */
sim_handle sim_schedule_at(sim *s, simtime_ns at, sim_handler handler, void *ctx, sim_payload payload);

/* The same, `delay` (>= 0) after sim_now. */
static inline sim_handle sim_schedule_in(sim *s, simtime_ns delay, sim_handler handler, void *ctx, sim_payload payload);

/* Cancels a pending event in O(1). Returns true when it was pending; false
 * (and does nothing) for a fired, cancelled, stale or zero handle. */
bool sim_cancel(sim *s, sim_handle h);

/* True while the event named by h is scheduled and has not run. */
bool sim_is_pending(const sim *s, sim_handle h);

/* Runs events in (time, scheduling order) while their time is <= until, at
 * most max_events of them (0: no limit), until a handler calls sim_stop.
 * Can be called again to continue. */
sim_run_reason sim_run(sim *s, simtime_ns until, uint64_t max_events);

/* Asks sim_run to return after the current handler. */
void sim_stop(sim *s);

simtime_ns sim_now(const sim *s);
uint64_t sim_seed(const sim *s);
uint64_t sim_events_processed(const sim *s);
uint64_t sim_events_scheduled(const sim *s);
uint64_t sim_events_cancelled(const sim *s);
size_t sim_pending(const sim *s);   /* live scheduled events */
sim_status sim_error(const sim *s); /* first sticky error, SIM_OK if none */
const char *sim_status_str(sim_status st);

/* Bytes held by the event pool and the pending-event heap. */
size_t sim_memory_bytes(const sim *s);

/* Installs (or, with NULL, removes) a hook called before every event. */
void sim_set_trace(sim *s, sim_trace_fn fn, void *trace_ctx);

/* The random stream called `name`, created on first use and owned by s.
 * Its seed is a hash of (sim seed, name): creating streams never changes
 * the draws of others, and the same (seed, name) gives the same sequence in
 * any process, thread or rank. Returns NULL only when out of memory.
 * Draw with gsl_rng_* / gsl_ran_*; keep the pointer rather than asking twice. */
gsl_rng *sim_stream(sim *s, const char *name);

/* The seed that sim_stream gives the stream `name` of a simulation seeded
 * with `seed` (for tests and for tools that draw outside a simulation). */
unsigned long sim_stream_seed(uint64_t seed, const char *name);

static inline sim_handle sim_schedule_in(sim *s, simtime_ns delay, sim_handler handler, void *ctx,
                                         sim_payload payload) {
    return sim_schedule_at(s, sim_now(s) + delay, handler, ctx, payload);
}

#endif
