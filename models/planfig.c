#include "models/planfig.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/fd_status.h"

#define DAY_S  86400.0
#define WEEK_S (7 * DAY_S)

/* --- backups ---------------------------------------------------------------- */

/* Partials between two fulls: the world starts one every period and skips
 * those falling on a full, so k * period for k = 1, 2, ... below the full
 * period (exact when the periods divide; the first cycle's count otherwise). */
static double partials_per_full(const backup_spec *b) {
    if (b->incremental_period_s <= 0) return 0;
    double n = ceil(b->full_period_s / b->incremental_period_s - 1e-9) - 1;
    return n > 0 ? n : 0;
}

/* Bytes the partials of one full period move together. An incremental
 * carries the rows dirtied over its period, each the same size; the k-th
 * differential those dirtied over k periods: the sum of
 * 1 - exp(-c k) for k = 1..n, with c the dirtying rate times the period. */
static double partial_bytes_per_full(const scenario *sc, double n) {
    const model_spec *m = &sc->model;
    double c = m->updates_per_s * m->rows_touched_per_update_fraction * sc->backup.incremental_period_s;
    if (n <= 0 || c <= 0) return 0;
    if (sc->backup.partial == PARTIAL_INCREMENTAL) return n * m->logical_bytes * -expm1(-c);
    double sum_exp = -expm1(-c * n) / expm1(c); /* sum of exp(-c k), k = 1..n */
    return m->logical_bytes * (n - sum_exp);
}

static void backup_figures(const scenario *sc, planfig *f) {
    const backup_spec *b = &sc->backup;
    overload_check c[OVERLOAD_KINDS];
    overload_check_backups(sc, c);
    f->backups = b->enabled;
    f->bandwidth_bps = c[OVERLOAD_FULL].bandwidth_bps;
    double n_partial = partials_per_full(b);
    double moved[OVERLOAD_KINDS] = {
        [OVERLOAD_FULL] = sc->model.logical_bytes,
        [OVERLOAD_PARTIAL] = partial_bytes_per_full(sc, n_partial),
    };
    double count[OVERLOAD_KINDS] = {[OVERLOAD_FULL] = 1, [OVERLOAD_PARTIAL] = n_partial};
    f->bytes_per_s = 0;
    for (int k = 0; k < OVERLOAD_KINDS; k++) {
        planfig_backup *p = &f->kind[k];
        p->taken = c[k].taken && count[k] > 0;
        p->bytes = c[k].bytes;
        p->model_share = c[k].bytes / sc->model.logical_bytes;
        p->transfer_s = c[k].transfer_s;
        p->duration_s = c[k].transfer_s + c[k].verify_s;
        p->period_s = c[k].period_s;
        p->ratio = p->period_s > 0 ? p->duration_s / p->period_s : 0;
        p->per_full_period = p->taken ? count[k] : 0;
        p->bytes_per_s = p->taken ? moved[k] / b->full_period_s : 0;
        f->bytes_per_s += p->bytes_per_s;
    }
    f->link_utilisation = f->bytes_per_s / f->bandwidth_bps;
    f->bytes_per_day = f->bytes_per_s * DAY_S;
    f->bytes_per_30d = f->bytes_per_s * 30 * DAY_S;
    f->models_per_day = f->bytes_per_day / sc->model.logical_bytes;
}

/* --- traffic and serving ----------------------------------------------------- */

/* The largest offered rate over [t0, t1] at PLANFIG_SCAN_STEP_S steps, both
 * ends included. */
static double scan_peak(const traffic_spec *t, double t0, double t1, double mult) {
    double best = 0;
    double steps = t1 > t0 ? ceil((t1 - t0) / PLANFIG_SCAN_STEP_S) : 0;
    for (double k = 0; k <= steps; k++)
        best = fmax(best, traffic_rate_qps(t, fmin(t0 + k * PLANFIG_SCAN_STEP_S, t1), mult));
    return best;
}

static void offer(planfig *f, double qps, planfig_peak_source src, int index, double mult) {
    if (qps <= f->peak_qps) return;
    f->peak_qps = qps;
    f->peak_source = src;
    f->peak_index = index;
    f->peak_multiplier = mult;
}

/* The weekly shape over the first week (or the horizon, when shorter), then
 * each scripted surge over its ramps and plateau, then traffic_surge
 * disasters: a stochastic one may come at the weekly peak, a scripted one
 * multiplies the rate over its onset and mean duration. Within the horizon:
 * what never happens does not count. */
static void traffic_figures(const scenario *sc, planfig *f) {
    const traffic_spec *t = &sc->traffic;
    double horizon = sc->horizon_s;
    traffic_spec plain = *t;
    plain.n_surges = 0;
    f->weekly_peak_qps = scan_peak(&plain, 0, fmin(horizon, WEEK_S), 1);
    f->peak_qps = 0;
    offer(f, f->weekly_peak_qps, PLANFIG_PEAK_WEEKLY, -1, 1);
    for (size_t i = 0; i < t->n_surges; i++) {
        const surge_spec *g = &t->surges[i];
        if (g->at_s >= horizon) continue;
        double plateau = g->at_s + g->ramp_s;
        double peak = scan_peak(t, g->at_s, fmin(plateau + g->duration_s + g->ramp_s, horizon), 1);
        if (plateau <= horizon) peak = fmax(peak, traffic_rate_qps(t, plateau, 1));
        f->surge_peak_qps = fmax(f->surge_peak_qps, peak);
        offer(f, peak, PLANFIG_PEAK_SURGE, (int)i, 1);
    }
    for (size_t i = 0; i < sc->disasters.n; i++) {
        const disaster_spec *d = &sc->disasters.items[i];
        if (d->kind != DIS_TRAFFIC_SURGE) continue;
        if (d->stochastic) {
            f->disaster_peak_qps = fmax(f->disaster_peak_qps, f->weekly_peak_qps * d->multiplier);
            offer(f, f->weekly_peak_qps * d->multiplier, PLANFIG_PEAK_DISASTER, (int)i, d->multiplier);
        }
        for (size_t j = 0; j < d->n_scripted; j++) {
            double at = d->scripted_at_s[j];
            if (at >= horizon) continue;
            double peak = scan_peak(t, at, fmin(at + d->duration.mean_s, horizon), d->multiplier);
            f->disaster_peak_qps = fmax(f->disaster_peak_qps, peak);
            offer(f, peak, PLANFIG_PEAK_DISASTER, (int)i, d->multiplier);
        }
    }
}

/* Which regions serve as the world routes: routing primary, the primary
 * region alone (region 0 when none is marked), and on its loss the first
 * other region takes over, as the world picks it; active_active, every
 * region not on standby, and on a loss the others carry it all. */
static void serving_figures(const scenario *sc, planfig *f) {
    const traffic_spec *t = &sc->traffic;
    f->service_s = t->service == SERVICE_CALIBRATED ? traffic_batch_latency_s(t, 1) : t->service_mean_s;
    int primary = 0;
    for (int r = 0; r < sc->n_regions; r++)
        if (sc->regions[r].role == ROLE_PRIMARY) primary = r;
    bool active = t->routing == ROUTING_ACTIVE_ACTIVE;
    f->serving_capacity_qps = 0;
    f->lost_region = -1;
    f->takeover_region = -1;
    f->standby_cost_per_year = 0;
    for (int r = 0; r < sc->n_regions; r++) {
        const region_spec *g = &sc->regions[r];
        planfig_region *p = &f->region[r];
        p->serves = active ? g->role != ROLE_STANDBY : r == primary;
        p->capacity_qps = g->servers * (double)t->slots_per_server / f->service_s;
        p->server_hour_cost = g->server_hour_cost;
        p->running_share = g->role == ROLE_PRIMARY ? 1 : scenario_idle_running_share(sc, r);
        p->cost_per_year =
            g->role == ROLE_PRIMARY ? 0 : g->servers * p->running_share * g->server_hour_cost * PLANFIG_HOURS_PER_YEAR;
        f->standby_cost_per_year += p->cost_per_year;
        if (!p->serves) continue;
        f->serving_capacity_qps += p->capacity_qps;
        if (f->lost_region < 0 || p->capacity_qps > f->region[f->lost_region].capacity_qps) f->lost_region = r;
    }
    f->utilisation = f->peak_qps / f->serving_capacity_qps;
    f->n1_capacity_qps = 0;
    if (active && f->lost_region >= 0)
        f->n1_capacity_qps = f->serving_capacity_qps - f->region[f->lost_region].capacity_qps;
    else if (!active) {
        for (int r = 0; r < sc->n_regions && f->takeover_region < 0; r++)
            if (r != primary) f->takeover_region = r;
        if (f->takeover_region >= 0) f->n1_capacity_qps = f->region[f->takeover_region].capacity_qps;
    }
    f->n1_utilisation = f->n1_capacity_qps > 0 ? f->peak_qps / f->n1_capacity_qps : INFINITY;
}

void planfig_compute(const scenario *sc, planfig *f) {
    memset(f, 0, sizeof *f);
    backup_figures(sc, f);
    traffic_figures(sc, f);
    serving_figures(sc, f);
}

/* --- warnings ------------------------------------------------------------------ */

static int emitf(void (*emit)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int emitf(void (*emit)(void *, const char *), void *ctx, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    fd_verrf(msg, sizeof msg, FD_OK, fmt, ap);
    va_end(ap);
    emit(ctx, msg);
    return 1;
}

int planfig_warnings(const scenario *sc, const planfig *f, void (*emit)(void *ctx, const char *msg), void *ctx) {
    int n = 0;
    char a[32], b[32];
    if (sc->disasters.n == 0) n += emitf(emit, ctx, "disasters: nothing fails: RTO/RPO will be empty");
    for (size_t i = 0; i < sc->disasters.n; i++) {
        const disaster_spec *d = &sc->disasters.items[i];
        for (size_t j = 0; j < d->n_scripted; j++)
            if (d->scripted_at_s[j] >= sc->horizon_s)
                n += emitf(emit, ctx,
                           "disasters[%zu].at_s[%zu]: onset at %s is at or beyond horizon_s (%s): never happens", i, j,
                           planfig_fmt_duration(a, sizeof a, d->scripted_at_s[j]),
                           planfig_fmt_duration(b, sizeof b, sc->horizon_s));
    }
    const planfig_backup *p = &f->kind[OVERLOAD_PARTIAL];
    if (f->backups && p->taken && p->model_share > PLANFIG_PARTIAL_SHARE_WARN) {
        bool diff = sc->backup.partial == PARTIAL_DIFFERENTIAL;
        n += emitf(emit, ctx,
                   "backup.incremental_period_s: each %s carries %s%.1f %% of the model: %s of backups per 30 days",
                   partial_backup_names[sc->backup.partial], diff ? "up to " : "", 100 * p->model_share,
                   planfig_fmt_bytes(a, sizeof a, f->bytes_per_30d, ""));
    }
    if (f->backups && f->models_per_day > PLANFIG_MODELS_PER_DAY_WARN)
        n += emitf(emit, ctx, "backup: backups move %.1fx the model size per day (%s a day for a %s model)",
                   f->models_per_day, planfig_fmt_bytes(a, sizeof a, f->bytes_per_day, ""),
                   planfig_fmt_bytes(b, sizeof b, sc->model.logical_bytes, ""));
    return n;
}

/* --- formatting ----------------------------------------------------------------- */

/* Three digits after scaling by 1000s: "100", "97.3", "4.40". */
static const char *fmt_3digits(char *buf, size_t len, double v, const char *const *prefix, int n_prefix,
                               const char *unit) {
    int p = 0;
    while (fabs(v) >= 999.5 && p < n_prefix - 1) v /= 1000, p++;
    const char *fmt = fabs(v) >= 99.95 ? "%.0f%s%s" : fabs(v) >= 9.995 ? "%.1f%s%s" : "%.2f%s%s";
    if (v == 0) fmt = "%.0f%s%s";
    snprintf(buf, len, fmt, v, prefix[p], unit);
    return buf;
}

const char *planfig_fmt_bytes(char *buf, size_t len, double bytes, const char *suffix) {
    static const char *const prefix[] = {" ", " k", " M", " G", " T", " P", " E"};
    char unit[16];
    snprintf(unit, sizeof unit, "B%s", suffix ? suffix : "");
    return fmt_3digits(buf, len, bytes, prefix, 7, unit);
}

const char *planfig_fmt_money(char *buf, size_t len, double v) {
    static const char *const prefix[] = {"", " k", " M", " B", " T"};
    return fmt_3digits(buf, len, v, prefix, 5, "");
}

const char *planfig_fmt_duration(char *buf, size_t len, double s) {
    if (!isfinite(s))
        snprintf(buf, len, "never");
    else if (s < 0.9995)
        snprintf(buf, len, "%.3g ms", s * 1e3);
    else if (s < 59.5)
        snprintf(buf, len, "%.3g s", s);
    else if (s < 3600 - 0.5) {
        long t = lround(s), m = t / 60, r = t % 60;
        snprintf(buf, len, r ? "%ld min %ld s" : "%ld min", m, r);
    } else if (s < DAY_S - 30) {
        long t = lround(s / 60), h = t / 60, m = t % 60;
        snprintf(buf, len, m ? "%ld h %ld min" : "%ld h", h, m);
    } else {
        long t = lround(s / 3600), d = t / 24, h = t % 24;
        snprintf(buf, len, h ? "%ld d %ld h" : "%ld d", d, h);
    }
    return buf;
}

const char *planfig_fmt_grouped(char *buf, size_t len, double v) {
    char digits[64];
    if (!isfinite(v) || fabs(v) >= 1e18) {
        snprintf(buf, len, "%.3g", v);
        return buf;
    }
    snprintf(digits, sizeof digits, "%.0f", fabs(v));
    size_t n = strlen(digits), o = 0;
    char out[96];
    if (v <= -0.5) out[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
    return buf;
}
