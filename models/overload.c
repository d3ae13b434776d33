#include "models/overload.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/fd_status.h"

/* The storage key whose bandwidth caps transfers to tier t. */
static const char *tier_key(storage_tier t) {
    switch (t) {
    case TIER_LOCAL: return "storage.local_bps";
    case TIER_REGIONAL: return "storage.regional_bps";
    case TIER_CROSS_REGION: return "storage.cross_region_bps";
    }
    return "storage";
}

static double tier_bps(const storage_spec *st, storage_tier t) {
    switch (t) {
    case TIER_LOCAL: return st->local_bps;
    case TIER_REGIONAL: return st->regional_bps;
    case TIER_CROSS_REGION: return st->cross_region_bps;
    }
    return st->cross_region_bps;
}

/* Share of rows dirtied over age_s: each update touches a fraction of the
 * rows independently, as the world sizes its partial backups. */
static double dirty_fraction(const model_spec *m, double age_s) {
    return 1 - exp(-m->updates_per_s * m->rows_touched_per_update_fraction * age_s);
}

void overload_check_backups(const scenario *sc, overload_check out[OVERLOAD_KINDS]) {
    const backup_spec *b = &sc->backup;
    double bps = fmin(b->bandwidth_bps, tier_bps(&sc->storage, b->target));
    double verify_s = b->verify ? b->verify_s : 0;
    double partial_age_s = b->partial == PARTIAL_DIFFERENTIAL ? b->full_period_s : b->incremental_period_s;
    double bytes[OVERLOAD_KINDS] = {
        [OVERLOAD_FULL] = sc->model.logical_bytes,
        [OVERLOAD_PARTIAL] = sc->model.logical_bytes * dirty_fraction(&sc->model, partial_age_s),
    };
    double period_s[OVERLOAD_KINDS] = {
        [OVERLOAD_FULL] = b->full_period_s, [OVERLOAD_PARTIAL] = b->incremental_period_s};
    for (int k = 0; k < OVERLOAD_KINDS; k++)
        out[k] = (overload_check){.taken = b->enabled && period_s[k] > 0,
                                  .bytes = bytes[k],
                                  .bandwidth_bps = bps,
                                  .transfer_s = bytes[k] / bps,
                                  .verify_s = verify_s,
                                  .period_s = period_s[k]};
}

bool overload_exceeds(const overload_check *c) { return c->taken && c->transfer_s + c->verify_s > c->period_s; }

/* 100e9 -> "100 GB", 6.667e6 -> "6.67 MB" (decimal units, as scenarios write them). */
static const char *fmt_bytes(char *buf, size_t len, double v) {
    static const char *const prefix[] = {"", "k", "M", "G", "T", "P"};
    int p = 0;
    while (fabs(v) >= 1000 && p < 5) v /= 1000, p++;
    snprintf(buf, len, "%.3g %sB", v, prefix[p]);
    return buf;
}

/* Whole seconds once they are many; three digits below. */
static const char *fmt_s(char *buf, size_t len, double v) {
    snprintf(buf, len, v >= 100 ? "%.0f s" : "%.3g s", v);
    return buf;
}

/* "a full backup of 100 GB takes 15000 s at 6.67 MB/s (min of ...) plus 60 s
 * to verify, longer than its period of 10000 s" */
static void describe(const scenario *sc, const char *what, const char *when, const overload_check *c, char *buf,
                     size_t len) {
    char bytes[32], bps[32], transfer[32], period[32];
    fd_appendf(buf, len, "%s of %s%s takes %s at %s/s (min of backup.bandwidth_bps and %s)", what,
               fmt_bytes(bytes, sizeof bytes, c->bytes), when, fmt_s(transfer, sizeof transfer, c->transfer_s),
               fmt_bytes(bps, sizeof bps, c->bandwidth_bps), tier_key(sc->backup.target));
    if (c->verify_s > 0) {
        char v[32];
        fd_appendf(buf, len, " plus %s to verify", fmt_s(v, sizeof v, c->verify_s));
    }
    fd_appendf(buf, len, ", longer than its period of %s", fmt_s(period, sizeof period, c->period_s));
}

/* A full due while the previous full is in flight is skipped (and counted),
 * so restorable fulls come every whole number of periods. */
static void full_message(const scenario *sc, const overload_check *c, char *buf, size_t len) {
    char every[32];
    double every_s = ceil((c->transfer_s + c->verify_s) / c->period_s) * c->period_s;
    fd_appendf(buf, len, "backup.full_period_s: ");
    describe(sc, "a full backup", "", c, buf, len);
    fd_appendf(buf, len,
               ": fulls due while one is in flight are skipped, so restorable fulls come every %s and the RPO grows",
               fmt_s(every, sizeof every, every_s));
}

/* Partials follow backup.skip_if_busy: skipped while any backup is in
 * flight, or started anyway onto the shared link. */
static void partial_message(const scenario *sc, const overload_check *c, char *buf, size_t len) {
    const char *name = partial_backup_names[sc->backup.partial];
    fd_appendf(buf, len, "backup.incremental_period_s: ");
    if (sc->backup.partial == PARTIAL_DIFFERENTIAL)
        describe(sc, "a differential backup", " (its size just before the next full)", c, buf, len);
    else
        describe(sc, "an incremental backup", "", c, buf, len);
    if (sc->backup.skip_if_busy)
        fd_appendf(buf, len,
                   ": %ss due while a backup is in flight are skipped (backup.skip_if_busy), so they come less often "
                   "than backup.incremental_period_s and the RPO grows",
                   name);
    else
        fd_appendf(buf, len,
                   ": backup.skip_if_busy is false, so %ss due while one is in flight start anyway and share the "
                   "link: transfers pile up and the RPO grows",
                   name);
}

bool overload_message(const scenario *sc, overload_backup kind, const overload_check *c, char *buf, size_t len) {
    if (len) buf[0] = '\0';
    if (!overload_exceeds(c) || !len) return false;
    if (kind == OVERLOAD_FULL)
        full_message(sc, c, buf, len);
    else
        partial_message(sc, c, buf, len);
    return true;
}
