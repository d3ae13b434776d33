/* Checkpoint/restart under Poisson failures on the discrete-event engine.
 * See checkpoint.h for the model.
 *
 * Why the expected wall time has a closed form (ckpt_expected_wall_s).
 * Failures are memoryless, so every attempt at a stretch of wall length L
 * (a segment L = tau + delta, or a restart L = R) starts afresh. An attempt
 * succeeds with probability p = e^{-L/M}, so the number of attempts is
 * geometric with mean e^{L/M}, and each attempt lasts min(X, L), X ~ Exp(M),
 * whose mean is M (1 - e^{-L/M}). By Wald's identity the attempts take
 * E = e^{L/M} M (1 - e^{-L/M}) = M (e^{L/M} - 1) of wall time in all.
 * A segment fails e^{L/M} - 1 times on average, and each failure is followed
 * by one restart whose own expected duration (same argument, L = R) is
 * M (e^{R/M} - 1). So a segment costs
 *     M (e^{L/M} - 1) + (e^{L/M} - 1) M (e^{R/M} - 1) = M e^{R/M} (e^{L/M} - 1),
 * and segments add up: Daly's formula, exact when T_s / tau is an integer. */
#include "models/checkpoint.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/engine/sim.h"
#include "util/fd_status.h"

/* Replicas whose expected wall time exceeds this are refused (the int64 ns
 * clock holds ~292 years); sim_run stops at twice it as a backstop. */
#define CKPT_HORIZON_S (100.0 * 365.25 * 86400.0)
/* Events are O(segments + failures); more segments than this would run for
 * minutes per replica, which no scenario wants. */
#define CKPT_MAX_SEGMENTS UINT64_C(1000000000)

/* The configuration on the engine's clock. */
typedef struct ckpt_plan {
    simtime_ns tau, delta, restart, rem; /* rem: work of the last, partial segment (0: none) */
    uint64_t n_full;                     /* whole intervals */
    uint64_t segments;                   /* n_full + (rem > 0) */
    bool failures;                       /* false when M is infinite */
} ckpt_plan;

static bool dur_ok(double s, bool allow_zero) {
    return isfinite(s) && (allow_zero ? s >= 0.0 : s > 0.0) && s <= CKPT_HORIZON_S;
}

static double plan_expected_wall_s(const ckpt_plan *p, double mtbf_s) {
    double tau = simtime_to_s(p->tau), delta = simtime_to_s(p->delta);
    double r = simtime_to_s(p->restart), rem = simtime_to_s(p->rem);
    if (!p->failures) return (double)p->n_full * tau + rem + (double)p->segments * delta;
    double m = mtbf_s;
    double per = expm1((tau + delta) / m) * (double)p->n_full;
    if (p->rem > 0) per += expm1((rem + delta) / m);
    return m * exp(r / m) * per;
}

static int make_plan(const ckpt_config *cfg, ckpt_plan *p, char *err, size_t errlen) {
    if (!cfg) return fd_errf(err, errlen, CKPT_ERR_INVALID, "checkpoint: config is NULL");
    if (!dur_ok(cfg->solve_s, false))
        return fd_errf(err, errlen, CKPT_ERR_INVALID, "checkpoint: solve_s = %g must be > 0 and at most 100 years",
                       cfg->solve_s);
    if (!dur_ok(cfg->interval_s, false) || simtime_from_s(cfg->interval_s) < 1)
        return fd_errf(err, errlen, CKPT_ERR_INVALID,
                       "checkpoint: interval_s = %g must be >= 1 ns and at most 100 years", cfg->interval_s);
    if (!dur_ok(cfg->delta_s, true))
        return fd_errf(err, errlen, CKPT_ERR_INVALID, "checkpoint: delta_s = %g must be >= 0 and at most 100 years",
                       cfg->delta_s);
    if (!dur_ok(cfg->restart_s, true))
        return fd_errf(err, errlen, CKPT_ERR_INVALID, "checkpoint: restart_s = %g must be >= 0 and at most 100 years",
                       cfg->restart_s);
    if (!(cfg->mtbf_s > 0.0) || isnan(cfg->mtbf_s))
        return fd_errf(err, errlen, CKPT_ERR_INVALID, "checkpoint: mtbf_s = %g must be > 0 (INFINITY: no failures)",
                       cfg->mtbf_s);
    simtime_ns solve = simtime_from_s(cfg->solve_s);
    p->tau = simtime_from_s(cfg->interval_s);
    p->delta = simtime_from_s(cfg->delta_s);
    p->restart = simtime_from_s(cfg->restart_s);
    p->n_full = (uint64_t)(solve / p->tau);
    p->rem = solve % p->tau;
    p->segments = p->n_full + (p->rem > 0);
    p->failures = !isinf(cfg->mtbf_s);
    if (p->segments > CKPT_MAX_SEGMENTS)
        return fd_errf(err, errlen, CKPT_ERR_INVALID,
                       "checkpoint: %llu segments (solve_s / interval_s) exceed the limit of %llu",
                       (unsigned long long)p->segments, (unsigned long long)CKPT_MAX_SEGMENTS);
    double expect = plan_expected_wall_s(p, cfg->mtbf_s);
    if (!(expect <= CKPT_HORIZON_S))
        return fd_errf(err, errlen, CKPT_ERR_HORIZON,
                       "checkpoint: expected wall time %g s exceeds the 100-year horizon "
                       "(interval + delta or restart too long for mtbf_s = %g)",
                       expect, cfg->mtbf_s);
    return CKPT_OK;
}

int ckpt_validate(const ckpt_config *cfg, char *err, size_t errlen) {
    ckpt_plan p;
    return make_plan(cfg, &p, err, errlen);
}

double ckpt_expected_wall_s(const ckpt_config *cfg) {
    ckpt_plan p;
    if (make_plan(cfg, &p, NULL, 0) == CKPT_ERR_INVALID) return NAN;
    return plan_expected_wall_s(&p, cfg->mtbf_s);
}

/* ---- the replica ------------------------------------------------------------ */

typedef enum ckpt_phase { PHASE_SEGMENT, PHASE_RESTART, PHASE_DONE } ckpt_phase;

typedef struct ckpt_run {
    ckpt_plan plan;
    double mtbf_s;
    gsl_rng *fail_rng;
    ckpt_phase phase;
    uint64_t done;          /* segments whose checkpoint completed */
    simtime_ns phase_start; /* when the current segment or restart began */
    sim_handle pending;     /* the segment or restart completion */
    ckpt_result *out;
    simtime_ns lost_ns, restart_ns;
} ckpt_run;

static void on_segment_done(sim *s, void *ctx, sim_payload p);
static void on_restart_done(sim *s, void *ctx, sim_payload p);

/* Work of the segment about to run. */
static simtime_ns segment_work(const ckpt_run *r) { return r->done < r->plan.n_full ? r->plan.tau : r->plan.rem; }

static void start_segment(sim *s, ckpt_run *r) {
    r->phase = PHASE_SEGMENT;
    r->phase_start = sim_now(s);
    r->pending = sim_schedule_in(s, segment_work(r) + r->plan.delta, on_segment_done, r, SIM_PAYLOAD_NONE);
}

static void start_restart(sim *s, ckpt_run *r) {
    r->phase = PHASE_RESTART;
    r->phase_start = sim_now(s);
    r->pending = sim_schedule_in(s, r->plan.restart, on_restart_done, r, SIM_PAYLOAD_NONE);
}

static void on_segment_done(sim *s, void *ctx, sim_payload p) {
    (void)p;
    ckpt_run *r = ctx;
    r->done++;
    r->out->checkpoints++;
    if (r->done == r->plan.segments) {
        r->phase = PHASE_DONE;
        r->out->wall_s = simtime_to_s(sim_now(s));
        sim_stop(s);
        return;
    }
    start_segment(s, r);
}

static void on_restart_done(sim *s, void *ctx, sim_payload p) {
    (void)p;
    ckpt_run *r = ctx;
    r->restart_ns += sim_now(s) - r->phase_start;
    start_segment(s, r);
}

static void schedule_failure(sim *s, ckpt_run *r);

static void on_failure(sim *s, void *ctx, sim_payload p) {
    (void)p;
    ckpt_run *r = ctx;
    if (r->phase == PHASE_DONE) return; /* cannot happen: sim_stop ends the run first */
    r->out->failures++;
    sim_cancel(s, r->pending);
    simtime_ns elapsed = sim_now(s) - r->phase_start;
    if (r->phase == PHASE_SEGMENT) {
        /* The work done so far in this segment is lost; a failure while the
         * checkpoint is being written loses the whole segment's work. */
        simtime_ns work = segment_work(r);
        r->lost_ns += elapsed < work ? elapsed : work;
    } else {
        r->restart_ns += elapsed; /* the interrupted restart, started over */
    }
    start_restart(s, r);
    schedule_failure(s, r);
}

/* The next failure, an exponential gap after now. The draws depend only on
 * the stream, never on the job's state: the k-th failure falls at the same
 * instant whatever tau, delta or R are (common random numbers). */
static void schedule_failure(sim *s, ckpt_run *r) {
    if (!r->plan.failures) return;
    simtime_ns gap = simtime_from_s(gsl_ran_exponential(r->fail_rng, r->mtbf_s));
    if (gap > SIMTIME_NEVER - sim_now(s)) return; /* beyond the clock: never */
    sim_schedule_in(s, gap, on_failure, r, SIM_PAYLOAD_NONE);
}

int ckpt_simulate(const ckpt_config *cfg, uint64_t seed, ckpt_result *out, char *err, size_t errlen) {
    if (!out) return fd_errf(err, errlen, CKPT_ERR_INVALID, "checkpoint: out is NULL");
    memset(out, 0, sizeof *out);
    ckpt_run r = {0};
    int rc = make_plan(cfg, &r.plan, err, errlen);
    if (rc != CKPT_OK) return rc;
    r.mtbf_s = cfg->mtbf_s;
    r.out = out;
    out->segments = r.plan.segments;

    sim *s = sim_create(seed);
    if (!s) return fd_errf(err, errlen, CKPT_ERR_NOMEM, "checkpoint: sim_create failed");
    if (r.plan.failures) {
        r.fail_rng = sim_stream(s, CKPT_STREAM_FAILURES);
        if (!r.fail_rng) {
            sim_destroy(s);
            return fd_errf(err, errlen, CKPT_ERR_NOMEM, "checkpoint: no memory for the failure stream");
        }
    }
    start_segment(s, &r);
    schedule_failure(s, &r);
    sim_run_reason why = sim_run(s, simtime_from_s(2.0 * CKPT_HORIZON_S), 0);
    out->events = sim_events_processed(s);
    if (why == SIM_RUN_ERROR) {
        rc = fd_errf(err, errlen, CKPT_ERR_NOMEM, "checkpoint: engine error: %s", sim_status_str(sim_error(s)));
    } else if (r.phase != PHASE_DONE) {
        rc =
            fd_errf(err, errlen, CKPT_ERR_HORIZON,
                    "checkpoint: job unfinished after 200 years of simulated time "
                    "(%llu of %llu segments, %llu failures)",
                    (unsigned long long)r.done, (unsigned long long)r.plan.segments, (unsigned long long)out->failures);
    }
    out->work_lost_s = simtime_to_s(r.lost_ns);
    out->restart_wall_s = simtime_to_s(r.restart_ns);
    sim_destroy(s);
    return rc;
}
