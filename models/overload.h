/* Backup overload: whether one backup of a kind (full, or the partial kind
 * between fulls) needs longer than its period to move and verify. The world
 * then skips backups that fall due while one is in flight, so backups come
 * less often than the scenario says and the RPO grows: a planner should hear
 * that before the run, not read it off the results. A check on the scenario
 * alone (no simulation), for `firedrill validate`, `run` and `sweep`. */
#ifndef MODELS_OVERLOAD_H
#define MODELS_OVERLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "models/scenario.h"

typedef enum overload_backup { OVERLOAD_FULL, OVERLOAD_PARTIAL, OVERLOAD_KINDS } overload_backup;

typedef struct overload_check {
    bool taken;           /* the scenario takes backups of this kind at all */
    double bytes;         /* one backup, worst case */
    double bandwidth_bps; /* min of backup.bandwidth_bps and the target tier's */
    double transfer_s;    /* bytes / bandwidth_bps */
    double verify_s;      /* backup.verify_s when backup.verify, else 0 */
    double period_s;
} overload_check;

/* One check per overload_backup kind, from sc's backup, storage and model
 * sections. A partial's bytes are the rows dirtied over its age: its period
 * (incremental), or the whole full period (differential, just before the
 * next full). */
void overload_check_backups(const scenario *sc, overload_check out[OVERLOAD_KINDS]);

/* Whether a backup of c's kind is still in flight when the next falls due. */
bool overload_exceeds(const overload_check *c);

/* The warning for kind (as "backup.KEY: what happens", without the file), or
 * false and "" when that kind is not overloaded. */
bool overload_message(const scenario *sc, overload_backup kind, const overload_check *c, char *buf, size_t len);

#endif
