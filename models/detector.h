/* Failure detectors: how long after a fault the system decides a region is
 * down, and whether a short network flap fools it. Month-long horizons do not
 * simulate every heartbeat: at a fault we replay the detector from a steady
 * window (phi-accrual really runs on heartbeats with jitter; timeout and
 * probe detectors are exact given the fault's phase in the heartbeat cycle). */
#ifndef MODELS_DETECTOR_H
#define MODELS_DETECTOR_H

#include <stdbool.h>

#include <gsl/gsl_rng.h>

#include "models/cfg.h"

typedef enum detector_kind { DETECTOR_TIMEOUT, DETECTOR_PHI, DETECTOR_PROBE } detector_kind;

typedef struct detector_spec {
    detector_kind kind;
    double heartbeat_s;        /* timeout and phi: heartbeat period */
    double heartbeat_jitter_s; /* std-dev of heartbeat arrival noise */
    int miss_threshold;        /* timeout: consecutive missed heartbeats */
    double phi_threshold;
    int phi_window;
    double phi_min_std_s;
    double acceptable_pause_s;
    double probe_period_s, probe_timeout_s;
    int probe_failures;
    double collection_s, processing_s; /* monitoring pipeline delays */
    double accuracy;                   /* probability the detector sees a real fault */
    double miss_escalation_s;          /* when it does not: humans notice after this */
} detector_spec;

extern const char *const detector_kind_names[];

bool detector_parse(cfg_obj *failover, detector_spec *d);

/* Seconds from fault onset to the decision that the target is down, drawn
 * with rng (heartbeat phase, jitter, accuracy: a fault the detector misses
 * is found by escalation, miss_escalation_s later). Returns NaN on
 * allocation failure. */
double detector_delay_s(const detector_spec *d, gsl_rng *rng);

/* Silence (seconds) after which the detector declares a peer down, for the
 * worst phase: a flap shorter than this never causes a failover. Drawn with
 * rng like detector_delay_s but without the monitoring pipeline. */
double detector_silence_to_alarm_s(const detector_spec *d, gsl_rng *rng);

#endif
