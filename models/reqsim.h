/* Request-level traffic: every request is an event. Arrivals are Poisson at
 * the scenario's rate (evaluated at each arrival, so diurnal shape and
 * surges apply; the rate changes slowly against inter-arrival times), a FIFO
 * queue feeds servers x slots parallel servers, requests that would exceed
 * the timeout fail, and capacity follows the world's serving state. Counts go
 * into the same traffic_acc as the segment fidelity, so the two are compared
 * metric for metric. */
#ifndef MODELS_REQSIM_H
#define MODELS_REQSIM_H

#include "models/traffic.h"
#include "sim/engine/sim.h"

typedef struct reqsim reqsim;

/* What the serving side looks like now; asked at every arrival and
 * completion, so capacity changes apply within one inter-arrival time. */
typedef serving_state (*reqsim_state_fn)(const void *ctx);

/* Streams: "traffic.arrivals", "traffic.service", "traffic.routing" of s.
 * acc receives counts as requests end. Returns NULL when out of memory. */
reqsim *reqsim_create(sim *s, const traffic_spec *t, traffic_acc *acc, double horizon_s, reqsim_state_fn state,
                      const void *state_ctx);
void reqsim_free(reqsim *r);

/* Called with the size of every batch a server starts (service.execute). */
typedef void (*reqsim_batch_fn)(void *ctx, int n);
void reqsim_set_batch_hook(reqsim *r, reqsim_batch_fn fn, void *ctx);

/* Closes the books at the horizon: the last SLO window is evaluated;
 * requests still queued past their timeout count as failed. */
void reqsim_finish(reqsim *r);

/* The serving state is about to change: the current SLO window ends now. */
void reqsim_cut(reqsim *r);

#endif
