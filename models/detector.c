#include "models/detector.h"

#include <math.h>

#include <gsl/gsl_randist.h>

#include "models/phi.h"

const char *const detector_kind_names[] = {"timeout", "phi", "probe", NULL};

bool detector_parse(cfg_obj *failover, detector_spec *d) {
    cfg_obj o;
    if (!cfg_enter(failover, "detector", &o)) return false;
    d->kind = (detector_kind)cfg_enum(&o, "type", detector_kind_names, DETECTOR_PHI, "detector kind");
    d->heartbeat_s = cfg_duration(&o, "heartbeat_s", 1, CFG_GT0, 3600, "heartbeat period");
    d->heartbeat_jitter_s = cfg_duration(&o, "heartbeat_jitter_s", 0, 0, 3600, "std-dev of heartbeat arrival noise");
    d->miss_threshold = (int)cfg_int(&o, "miss_threshold", 3, 1, 1000, "timeout detector: missed heartbeats");
    d->phi_threshold = cfg_number(&o, "phi_threshold", 8, CFG_GT0, 300, "", "phi-accrual threshold");
    d->phi_window = (int)cfg_int(&o, "phi_window", 1000, 1, 100000, "phi-accrual window (heartbeats)");
    d->phi_min_std_s = cfg_duration(&o, "phi_min_std_s", 0.1, CFG_GT0, 3600, "phi-accrual minimum std-dev");
    d->acceptable_pause_s = cfg_duration(&o, "acceptable_pause_s", 3, 0, 86400, "phi-accrual acceptable pause");
    d->probe_period_s = cfg_duration(&o, "probe_period_s", 10, CFG_GT0, 86400, "probe detector: period");
    d->probe_timeout_s = cfg_duration(&o, "probe_timeout_s", 2, CFG_GT0, 86400, "probe detector: timeout");
    d->probe_failures = (int)cfg_int(&o, "probe_failures", 3, 1, 1000, "probe detector: failures to alarm");
    d->collection_s = cfg_duration(&o, "collection_s", 0, 0, 86400, "monitoring data collection delay");
    d->processing_s = cfg_duration(&o, "processing_s", 0, 0, 86400, "monitoring data processing delay");
    d->accuracy = cfg_number(&o, "accuracy", 1, 0, 1, "", "probability a real fault is detected");
    d->miss_escalation_s =
        cfg_duration(&o, "miss_escalation_s", 900, 0, 7 * 86400, "time for humans to notice a missed fault");
    if (d->kind == DETECTOR_PROBE && d->probe_timeout_s > d->probe_period_s)
        cfg_fail(&o, "probe_timeout_s", "must not exceed probe_period_s (%g s), got %g", d->probe_period_s,
                 d->probe_timeout_s);
    return cfg_leave(&o);
}

/* Phi-accrual: learn a steady window of jittered heartbeats, then ask when
 * phi crosses the threshold after the last one. */
static double phi_silence_s(const detector_spec *d, gsl_rng *rng) {
    phi_detector phi;
    size_t window = (size_t)d->phi_window;
    if (phi_init(&phi, window, d->phi_min_std_s, d->acceptable_pause_s, d->heartbeat_s) != PHI_OK) return NAN;
    double t = 0;
    phi_heartbeat(&phi, t);
    size_t beats = window < 200 ? window : 200; /* enough to reach a steady estimate */
    for (size_t i = 0; i < beats; i++) {
        double gap = d->heartbeat_s;
        if (d->heartbeat_jitter_s > 0) gap += gsl_ran_gaussian(rng, d->heartbeat_jitter_s);
        t += gap > 1e-6 ? gap : 1e-6;
        phi_heartbeat(&phi, t);
    }
    double crossing = phi_crossing_time_s(&phi, d->phi_threshold) - t;
    phi_free(&phi);
    return crossing;
}

double detector_silence_to_alarm_s(const detector_spec *d, gsl_rng *rng) {
    switch (d->kind) {
    case DETECTOR_TIMEOUT: return d->miss_threshold * d->heartbeat_s;
    case DETECTOR_PHI: return phi_silence_s(d, rng);
    case DETECTOR_PROBE: return (d->probe_failures - 1) * d->probe_period_s + d->probe_timeout_s;
    }
    return NAN;
}

double detector_delay_s(const detector_spec *d, gsl_rng *rng) {
    /* The fault lands at a uniform phase of the heartbeat / probe cycle. */
    double delay;
    switch (d->kind) {
    case DETECTOR_TIMEOUT:
    case DETECTOR_PHI: {
        double since_last_beat = gsl_rng_uniform(rng) * d->heartbeat_s;
        delay = detector_silence_to_alarm_s(d, rng) - since_last_beat;
        if (delay < 0) delay = 0;
        break;
    }
    case DETECTOR_PROBE: {
        double to_next_probe = gsl_rng_uniform(rng) * d->probe_period_s;
        delay = to_next_probe + detector_silence_to_alarm_s(d, rng);
        break;
    }
    default: delay = NAN;
    }
    /* drawn whatever the accuracy, so that the draws after it do not move */
    bool missed = gsl_rng_uniform(rng) >= d->accuracy;
    if (missed) delay += d->miss_escalation_s;
    return delay + d->collection_s + d->processing_s;
}
