/* Backups: fulls and the partial backups between them over one shared link,
 * retention, and what a restore can rebuild from them.
 *
 * When a backup falls due while others are in flight: a partial backup is
 * skipped when backup.skip_if_busy is set (the next one carries its rows); a
 * full is skipped when the previous full is still in flight (the running
 * one goes on; piling fulls on the link would only delay every one of
 * them). Skips are counted and traced as backup.skipped. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/world_internal.h"

/* Link tags and backup_done payloads carry the backup id and, in the top
 * bit, whether it is a full (the record may be pruned before it lands). */
#define FULL_BIT (UINT64_C(1) << 63)

static double tier_bps(const scenario *sc) {
    const double bps[] = {sc->storage.local_bps, sc->storage.regional_bps, sc->storage.cross_region_bps};
    return bps[sc->backup.target];
}

/* A degraded WAN divides what crosses it: the cross-region tier. */
static double wan_divisor(const world *w) { return w->sc->backup.target == TIER_CROSS_REGION ? w->latency_factor : 1; }

double wbak_write_bps(const world *w) { return fmin(w->sc->backup.bandwidth_bps, tier_bps(w->sc)) / wan_divisor(w); }

double wbak_restore_bps(const world *w) {
    const scenario *sc = w->sc;
    double bps = tier_bps(sc);
    if (sc->failover.restore_bps > 0) bps = fmin(bps, sc->failover.restore_bps);
    return bps / wan_divisor(w);
}

/* Local NVMe copies die with the servers' rack, zone or region; regional
 * object stores become unreachable with their region; a WAN partition cuts
 * the region off with both; cross-region copies survive. */
bool wbak_lost(const world *w, const backup_rec *b) {
    if (w->phase == FO_NONE || b->region != w->outage_region) return false;
    switch (w->sc->backup.target) {
    case TIER_CROSS_REGION: return false;
    case TIER_REGIONAL: return w->outage_cause == DIS_REGION_OUTAGE || w->outage_cause == DIS_WAN_PARTITION;
    case TIER_LOCAL:
        return w->outage_cause == DIS_REGION_OUTAGE || w->outage_cause == DIS_WAN_PARTITION ||
               w->outage_cause == DIS_ZONE_OUTAGE || w->outage_cause == DIS_RACK_POWER;
    }
    return false;
}

/* Differential: the full, then the newest differential after it that
 * verifies; each newer one that fails its checksum was read for nothing. */
static double differential_point(const world *w, size_t full, double at, double *bytes) {
    size_t next_full = full + 1;
    while (next_full < w->n_backups && !w->backups[next_full].full) next_full++;
    double point = w->backups[full].taken_s, read = 0;
    for (size_t k = next_full; k-- > full + 1;) {
        const backup_rec *d = &w->backups[k];
        if (d->discarded || d->completed_s > at || wbak_lost(w, d)) continue;
        read += d->bytes;
        if (d->corrupt) continue;
        point = d->taken_s;
        break;
    }
    *bytes += read;
    return point;
}

/* The same rules as bchain_restore (backup_chain.c) on the real tables:
 * the newest full that verifies, a corrupt one read for nothing and the one
 * before tried; then its increments while they verify (a corrupt one is
 * read, then ends the chain), or its newest differential that verifies. */
double wbak_recovery_point(const world *w, double at, double *bytes) {
    *bytes = 0;
    for (size_t i = w->n_backups; i-- > 0;) {
        const backup_rec *b = &w->backups[i];
        if (!b->full || b->discarded || b->completed_s > at || wbak_lost(w, b)) continue;
        *bytes += b->bytes;
        if (b->corrupt) continue;
        if (w->sc->backup.partial == PARTIAL_DIFFERENTIAL) return differential_point(w, i, at, bytes);
        double point = b->taken_s;
        for (size_t k = i + 1; k < w->n_backups; k++) {
            const backup_rec *inc = &w->backups[k];
            if (inc->full) break;
            /* a discarded increment's rows went out again with the next one */
            if (inc->discarded) continue;
            if (inc->completed_s > at || wbak_lost(w, inc)) break;
            *bytes += inc->bytes;
            if (inc->corrupt) break;
            point = inc->taken_s;
        }
        return point;
    }
    return -1; /* nothing restorable: the model restarts from its initial state */
}

void wbak_done(sim *s, void *ctx, sim_payload p) {
    world *w = ctx;
    bool full = (p.u64 & FULL_BIT) != 0;
    uint64_t id = p.u64 & ~FULL_BIT;
    w->backups_in_flight--;
    if (full) w->fulls_in_flight--;
    if (id < w->backup_base) return; /* pruned past retention meanwhile */
    backup_rec *b = &w->backups[id - w->backup_base];
    b->completed_s = simtime_to_s(sim_now(s));
    if (w->trainer) {
        /* a copy abandoned by a restore is simply not restorable */
        trainer_backup_complete(w->trainer, 0, b->trainer_id, b->completed_s, w->trainer_err, sizeof w->trainer_err);
        if (b->corrupt)
            trainer_corrupt(w->trainer, 0, b->trainer_id, w->rng_backup, w->trainer_err, sizeof w->trainer_err);
        trainer_retention(w->trainer, (uint32_t)w->sc->backup.retention_full, NULL, w->trainer_err,
                          sizeof w->trainer_err);
    }
    w->backups_completed++;
    w->bytes_moved += b->bytes;
    double stored = 0;
    size_t keep = (size_t)w->sc->backup.retention_full;
    for (size_t g = w->n_groups > keep ? w->n_groups - keep : 0; g < w->n_groups; g++) stored += w->group_bytes[g];
    if (stored > w->bytes_stored_peak) w->bytes_stored_peak = stored;
}

/* The bytes arrived; verification (if any) takes its time before the
 * backup counts as restorable. */
static void backup_transferred(sim *s, void *ctx, uint64_t tag) {
    world *w = ctx;
    double verify = w->sc->backup.verify ? w->sc->backup.verify_s : 0;
    sim_schedule_in(s, simtime_from_s(verify), wbak_done, w, sim_payload_u64(tag));
}

/* Forgets backups that retention has deleted: everything before the
 * retention_full-th newest completed full (or, if retention keeps more than
 * the array holds, the oldest half). */
static void prune(world *w) {
    size_t cut = 0;
    int fulls = 0;
    for (size_t i = w->n_backups; i-- > 0;)
        if (w->backups[i].full && isfinite(w->backups[i].completed_s) && ++fulls == w->sc->backup.retention_full) {
            cut = i;
            break;
        }
    if (cut == 0) cut = w->n_backups / 2;
    memmove(w->backups, w->backups + cut, (w->n_backups - cut) * sizeof *w->backups);
    w->n_backups -= cut;
    w->backup_base += cut;
}

static void start_backup(world *w, bool full, double now) {
    const backup_spec *bs = &w->sc->backup;
    const model_spec *m = &w->sc->model;
    backup_rec *b = &w->backups[w->n_backups];
    /* Rows dirtied since the previous backup (incremental) or since the
     * last full (differential): each update touches a share of the rows. */
    const bool differential = bs->partial == PARTIAL_DIFFERENTIAL;
    double since = now - (differential ? w->last_full_taken_s : w->last_backup_taken_s);
    double dirty = 1 - exp(-m->updates_per_s * m->rows_touched_per_update_fraction * since);
    w->last_backup_taken_s = now;
    if (full) w->last_full_taken_s = now;
    b->full = full;
    b->taken_s = now;
    b->completed_s = INFINITY;
    b->bytes = full ? m->logical_bytes : m->logical_bytes * dirty;
    if (w->trainer) {
        /* The real backup carries the rows really dirtied (its content is
         * what a restore rebuilds and the probe measures); the bytes on the
         * link follow the logical model, as without real state, so that
         * one scenario moves the same bytes either way. */
        trainer_advance(w->trainer, now);
        const bchain_kind partial = differential ? BCHAIN_DIFFERENTIAL : BCHAIN_INCREMENTAL;
        bool real_full = full || trainer_needs_full_for(w->trainer, 0, partial);
        bchain_kind kind = real_full ? BCHAIN_FULL : partial;
        if (trainer_backup(w->trainer, kind, now, 1u, NULL, &b->trainer_id, w->trainer_err, sizeof w->trainer_err) ==
                0 &&
            real_full && !full) {
            b->full = true; /* the chain needed a full: it moves the whole model */
            b->bytes = m->logical_bytes;
            w->last_full_taken_s = now;
        }
    }
    b->corrupt = gsl_rng_uniform(w->rng_backup) < bs->corruption_probability;
    if (b->corrupt) w->backups_corrupt++;
    /* Verification after the transfer catches most corruption: the backup
     * is known bad and never restored. The rest is found only when a
     * restore verifies its checksums. */
    b->discarded = b->corrupt && bs->verify && gsl_rng_uniform(w->rng_backup) < bs->verify_detect_probability;
    if (b->discarded) b->corrupt = false;
    b->region = w->primary;
    if (b->full || w->n_groups == 0) {
        if (!world_grow(w, (void **)&w->group_bytes, &w->cap_groups, w->n_groups, sizeof *w->group_bytes, 64)) return;
        w->group_bytes[w->n_groups++] = 0;
    }
    w->group_bytes[w->n_groups - 1] += b->bytes;
    w->backups_in_flight++;
    if (b->full) w->fulls_in_flight++;
    uint64_t tag = (w->backup_base + w->n_backups) | (b->full ? FULL_BIT : 0);
    if (link_start(&w->backup_link, b->bytes, tag) != 0) {
        w->oom = true;
        sim_stop(w->s);
    }
    w->n_backups++;
}

void wbak_due(sim *s, void *ctx, sim_payload p) {
    world *w = ctx;
    const backup_spec *bs = &w->sc->backup;
    double now = simtime_to_s(sim_now(s));
    bool full = p.u64 == 1;
    const char *kind = full ? "full" : partial_backup_names[bs->partial];
    if (w->n_backups == MAX_BACKUPS) prune(w);
    bool skip = full ? w->fulls_in_flight > 0 : bs->skip_if_busy && w->backups_in_flight > 0;
    if (skip) {
        if (full)
            w->fulls_skipped++;
        else
            w->backups_skipped++;
    } else {
        start_backup(w, full, now);
    }
    if (w->opts.trace) wtrace_add(w, now, skip ? "backup.skipped" : "backup.start", kind);
    /* Next backup of the same kind; a partial falling on a full is skipped. */
    double interval = full ? bs->full_period_s : bs->incremental_period_s;
    double next = now + interval;
    if (!full) {
        double to_full = fmod(next, bs->full_period_s);
        if (to_full < 1e-6 || bs->full_period_s - to_full < 1e-6) next += interval;
    }
    sim_schedule_at(s, simtime_from_s(next), wbak_due, w, p);
}

void wbak_setup(world *w) {
    const backup_spec *bs = &w->sc->backup;
    link_init(&w->backup_link, w->s, wbak_write_bps(w), backup_transferred, w);
    if (!bs->enabled) return;
    sim_schedule_at(w->s, 0, wbak_due, w, sim_payload_u64(1));
    if (bs->incremental_period_s > 0)
        sim_schedule_at(w->s, simtime_from_s(bs->incremental_period_s), wbak_due, w, sim_payload_u64(0));
}
