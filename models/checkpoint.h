/* Checkpoint/restart of an online trainer under random failures: the model
 * that Young (1974) and Daly (2006) optimise, run as a discrete-event
 * simulation so that the closed forms in analysis/analytic.h can be checked
 * against it (tests/validation/test_checkpoint.c) and so that it can later be
 * extended where they stop holding.
 *
 * The job needs solve_s of pure work. It computes for interval_s (tau), then
 * pauses delta_s to write a checkpoint; one "segment" is tau + delta of wall
 * time and only a completed checkpoint makes its work durable. When solve_s
 * is not a whole number of intervals, the last segment computes the
 * remainder r = solve_s - (n - 1) tau and still writes a checkpoint (r + delta):
 * the job ends with its final state saved.
 *
 * Failures form a Poisson process of mean mtbf_s (M) in wall-clock time and
 * strike at any moment: while computing, while writing a checkpoint, or while
 * restarting. A failure loses everything since the last completed checkpoint
 * and costs a restart of restart_s (R); a failure during a restart starts the
 * restart over. After a restart the interrupted segment is redone in full.
 *
 * Events: segment completion, failure, restart completion. Failure times come
 * from the named stream "checkpoint.failures" only, drawn independently of the
 * job's state, so for one seed every tau (and delta, R) meets the same
 * failure instants: common random numbers for paired comparisons.
 *
 * Expected wall time (ckpt_expected_wall_s, exact for this model, derived in
 * checkpoint.c): a segment of wall length L costs M e^{R/M} (e^{L/M} - 1) on
 * average, so with n_full whole intervals and a remainder r
 *     E[T_w] = M e^{R/M} [ n_full (e^{(tau+delta)/M} - 1) + (e^{(r+delta)/M} - 1) [r > 0] ],
 * which is Daly's T_w = M e^{R/M} (e^{(tau+delta)/M} - 1) T_s / tau
 * (ana_daly_walltime_s) exactly when T_s / tau is an integer. */
#ifndef FIREDRILL_MODELS_CHECKPOINT_H
#define FIREDRILL_MODELS_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

/* Name of the failure stream (the only randomness of the model). */
#define CKPT_STREAM_FAILURES "checkpoint.failures"

typedef enum ckpt_status {
    CKPT_OK = 0,
    CKPT_ERR_INVALID = -1, /* bad argument */
    CKPT_ERR_NOMEM = -2,   /* the engine could not allocate */
    CKPT_ERR_HORIZON = -3  /* expected wall time beyond the 100-year horizon */
} ckpt_status;

/* All durations in seconds. They are rounded to whole nanoseconds (the
 * engine's clock), so values given in whole seconds or minutes are exact. */
typedef struct ckpt_config {
    double solve_s;    /* T_s: pure work the job needs, > 0 */
    double interval_s; /* tau: work between checkpoints, >= 1 ns */
    double delta_s;    /* checkpoint write time, >= 0 */
    double restart_s;  /* R: restart time after a failure, >= 0 */
    double mtbf_s;     /* M: mean time between failures, > 0; INFINITY: none */
} ckpt_config;

typedef struct ckpt_result {
    double wall_s;         /* from start until the final checkpoint completes */
    uint64_t failures;     /* failures before the job ended (also during restarts) */
    uint64_t checkpoints;  /* checkpoints completed = segments, the final one included */
    uint64_t segments;     /* segments the job consists of (ceil(T_s / tau)) */
    double work_lost_s;    /* pure work (compute time) thrown away by failures */
    double restart_wall_s; /* wall time spent restarting, interrupted restarts included */
    uint64_t events;       /* engine events processed */
} ckpt_result;

/* Checks a configuration; CKPT_OK or CKPT_ERR_INVALID / CKPT_ERR_HORIZON with
 * a message in err (errlen bytes; err may be NULL). */
int ckpt_validate(const ckpt_config *cfg, char *err, size_t errlen);

/* Runs one replica seeded with `seed` on a fresh engine and fills *out.
 * Deterministic: the same (cfg, seed) gives the same result on any thread.
 * Returns CKPT_OK or a negative ckpt_status with a message in err. */
int ckpt_simulate(const ckpt_config *cfg, uint64_t seed, ckpt_result *out, char *err, size_t errlen);

/* The exact expected wall time of the model above (formula in the header
 * comment), final partial segment included; with mtbf_s = INFINITY it is
 * T_s + segments * delta. NaN for an invalid config; may exceed the horizon
 * (even be INFINITY) for configurations ckpt_simulate refuses. */
double ckpt_expected_wall_s(const ckpt_config *cfg);

#endif
