/* Simulated time: int64_t nanoseconds since the start of a replica.
 * Integers, not doubles, so that event order never depends on rounding:
 * the same scenario and seed give the same trace on any machine.
 * 2^63 ns is about 292 years, far beyond any horizon we simulate. */
#ifndef SIM_SIMTIME_H
#define SIM_SIMTIME_H

#include <math.h>
#include <stdint.h>

typedef int64_t simtime_ns;

#define SIMTIME_NEVER       INT64_MAX
#define SIMTIME_NS_PER_US   INT64_C(1000)
#define SIMTIME_NS_PER_MS   INT64_C(1000000)
#define SIMTIME_NS_PER_S    INT64_C(1000000000)
#define SIMTIME_NS_PER_MIN  (60 * SIMTIME_NS_PER_S)
#define SIMTIME_NS_PER_HOUR (60 * SIMTIME_NS_PER_MIN)
#define SIMTIME_NS_PER_DAY  (24 * SIMTIME_NS_PER_HOUR)

/* Seconds (double) to nanoseconds, rounded to nearest; saturates at
 * SIMTIME_NEVER so that "infinite" durations stay infinite. */
static inline simtime_ns simtime_from_s(double seconds) {
    double ns = seconds * 1e9;
    if (!(ns < 9.2e18)) return ns > 0 || isnan(ns) ? SIMTIME_NEVER : -SIMTIME_NEVER;
    if (ns <= -9.2e18) return -SIMTIME_NEVER;
    return (simtime_ns)llround(ns);
}
static inline simtime_ns simtime_from_min(double minutes) { return simtime_from_s(minutes * 60.0); }
static inline simtime_ns simtime_from_hours(double hours) { return simtime_from_s(hours * 3600.0); }
static inline simtime_ns simtime_from_days(double days) { return simtime_from_s(days * 86400.0); }

static inline double simtime_to_s(simtime_ns t) { return (double)t / 1e9; }
static inline double simtime_to_min(simtime_ns t) { return (double)t / 6e10; }
static inline double simtime_to_hours(simtime_ns t) { return (double)t / 3.6e12; }
static inline double simtime_to_days(simtime_ns t) { return (double)t / 8.64e13; }

#endif
