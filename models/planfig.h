/* Planning figures: what a scenario asks of its backups, its servers and its
 * budget, derived from the scenario alone (no simulation), for `firedrill
 * validate` to show a capacity planner before a run. Also the warnings about
 * a scenario that parses but cannot mean what its author wanted (a scripted
 * onset past the horizon, nothing that fails, backups that carry most of the
 * model). Computes and formats; never prints. */
#ifndef MODELS_PLANFIG_H
#define MODELS_PLANFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "models/overload.h"
#include "models/scenario.h"

#define PLANFIG_HOURS_PER_YEAR 8766.0 /* 365.25 days */
#define PLANFIG_SCAN_STEP_S    60.0   /* traffic is scanned at this step */
/* Warnings: a partial backup carrying more than this share of the model, and
 * backups moving more than this many models a day. */
#define PLANFIG_PARTIAL_SHARE_WARN  0.10
#define PLANFIG_MODELS_PER_DAY_WARN 10.0

/* One kind of backup (OVERLOAD_FULL, OVERLOAD_PARTIAL). */
typedef struct planfig_backup {
    bool taken;             /* backups on, a period, and some due between fulls (partials) */
    double bytes;           /* one backup; a differential at its largest (just before the next full) */
    double model_share;     /* bytes / model.logical_bytes */
    double transfer_s;      /* bytes at the effective bandwidth */
    double duration_s;      /* transfer plus verification */
    double period_s;        /* backup.full_period_s or backup.incremental_period_s */
    double ratio;           /* duration_s / period_s */
    double per_full_period; /* backups of this kind per full period (partials falling on a full are skipped) */
    double bytes_per_s;     /* mean rate this kind moves (a differential: its mean size over a full period) */
} planfig_backup;

/* Where the peak offered rate comes from. */
typedef enum planfig_peak_source {
    PLANFIG_PEAK_WEEKLY,   /* the diurnal and weekly shape (base_qps, diurnal_amplitude, weekend_factor) */
    PLANFIG_PEAK_SURGE,    /* a scripted traffic.surges[i] */
    PLANFIG_PEAK_DISASTER, /* a traffic_surge disaster (disasters[i]) */
} planfig_peak_source;

typedef struct planfig_region {
    bool serves;             /* carries traffic in normal operation */
    double capacity_qps;     /* servers x slots_per_server / service time */
    double running_share;    /* share of servers running while standing by (scenario_idle_running_share:
                                cold 0, pilot light, warm their fractions, hot and active 1; primary 1) */
    double server_hour_cost; /* price of one server-hour (topology.regions[].server_hour_cost or cost.server_hour) */
    double cost_per_year;    /* every region but the primary: servers x running_share x server_hour_cost x
                                8766 h (an active region counts whole); 0 for the primary */
} planfig_region;

typedef struct planfig {
    /* backups */
    bool backups;         /* backup.enabled */
    double bandwidth_bps; /* min of backup.bandwidth_bps and the target tier's */
    planfig_backup kind[OVERLOAD_KINDS];
    double bytes_per_s;      /* all kinds */
    double link_utilisation; /* bytes_per_s / bandwidth_bps */
    double bytes_per_day;    /* bytes_per_s x 1 d */
    double bytes_per_30d;    /* bytes_per_s x 30 d */
    double models_per_day;   /* bytes_per_day / model.logical_bytes */
    /* traffic (within the horizon) */
    double weekly_peak_qps;   /* the largest rate of the daily and weekly shape, no surges */
    double surge_peak_qps;    /* the largest rate during scripted traffic.surges (0: none in the horizon) */
    double disaster_peak_qps; /* the largest rate under traffic_surge disasters (0: none) */
    double peak_qps;          /* the largest of the three */
    planfig_peak_source peak_source;
    int peak_index;         /* traffic.surges[] or disasters[] index of the peak's source; -1 weekly */
    double peak_multiplier; /* the traffic_surge disaster's multiplier (1 otherwise) */
    double service_s;       /* service time per request of one slot (calibrated: a batch of one) */
    /* serving */
    planfig_region region[SCENARIO_MAX_REGIONS];
    double serving_capacity_qps; /* regions serving in normal operation */
    double utilisation;          /* peak_qps / serving_capacity_qps */
    int lost_region;             /* the largest serving region, lost for N-1 */
    int takeover_region;         /* routing primary: the region that takes over (-1: none); active_active: -1 */
    double n1_capacity_qps;      /* what serves once lost_region is gone */
    double n1_utilisation;       /* peak_qps / n1_capacity_qps (INFINITY when nothing is left) */
    /* money */
    double standby_cost_per_year; /* sum of the regions' cost_per_year */
} planfig;

/* All figures of sc. */
void planfig_compute(const scenario *sc, planfig *f);

/* Calls emit with each warning as "JSON.PATH: reason" (no file, no newline);
 * returns how many. f is planfig_compute's output for sc. */
int planfig_warnings(const scenario *sc, const planfig *f, void (*emit)(void *ctx, const char *msg), void *ctx);

/* Human-friendly formatting, into buf (returned): "97.3 GB", "100 MB/s"
 * (bytes with a suffix, decimal units as scenarios write them), "2 h 42 min",
 * "17 min 47 s", "3 d 4 h", "45.0 s", "20.0 ms", "1,234,567" (grouped
 * integer) and "1.15 M" (three digits with k, M, B). */
const char *planfig_fmt_bytes(char *buf, size_t len, double bytes, const char *suffix);
const char *planfig_fmt_duration(char *buf, size_t len, double s);
const char *planfig_fmt_grouped(char *buf, size_t len, double v);
const char *planfig_fmt_money(char *buf, size_t len, double v);

#endif
