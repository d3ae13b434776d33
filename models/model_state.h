/* The real state of a recommendation model: its embedding tables in memory.
 *
 * `n_tables` float32 tables of `rows` x `dim`, initialised from a seed. The
 * simulated model may be hundreds of GB; these tables stay small enough for
 * CI, and mstate_bytes gives their real size so callers scale transfer times
 * and costs by logical / real.
 *
 * An online trainer changes the state with sparse updates (mstate_apply_updates):
 * rows are hit with Zipf popularity, as item and user IDs are in e-commerce
 * traffic, so a few rows change often and most rarely. Each updated row is
 * marked dirty in two bitmaps (see backup_chain.h for the backups themselves):
 *
 *   since the previous backup: every snapshot (of any kind) and every loaded
 *     backup clears it. An INCREMENTAL carries exactly these rows and names
 *     the previous backup's version as its parent.
 *   since the full: rows dirtied since the newest full snapshot, or since
 *     the full under the backups last loaded. A FULL snapshot or load clears
 *     it; a DIFFERENTIAL carries exactly these rows, names that full's version
 *     as its parent and leaves the bitmap as it is (the next differential
 *     still carries them, so each one alone rebuilds the state on its full).
 *     Loading a differential sets it to exactly the differential's rows, and
 *     loading an incremental adds the incremental's rows, so a differential
 *     taken after a restore is still exact relative to the restored full.
 *
 * Taking an incremental does not touch the since-full bitmap and taking a
 * differential clears the since-previous one, so the state itself never
 * refuses either kind after the other; a chain refuses to mix them after one
 * full (bchain_append).
 *
 * Functions that can fail return MSTATE_OK or a negative mstate_status and
 * write a message into err (errlen bytes; err may be NULL). */
#ifndef FIREDRILL_MODELS_MODEL_STATE_H
#define FIREDRILL_MODELS_MODEL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/backup_chain.h"

typedef struct mstate mstate;

typedef enum mstate_status {
    MSTATE_OK = 0,
    MSTATE_ERR_INVALID = -1, /* bad argument or configuration */
    MSTATE_ERR_NOMEM = -2,   /* allocation failed */
    MSTATE_ERR_NO_BASE = -3, /* an incremental needs an earlier backup, a differential a full */
    MSTATE_ERR_SHAPE = -4,   /* a backup's shape differs from the state's */
    MSTATE_ERR_LINK = -5     /* an incremental's or differential's parent is not the state's version */
} mstate_status;

/* Limits on the real tables: the dirty bitmaps and the Zipf alias table hold
 * one entry per row, and row indices travel as uint32 in backups. 2^24 rows
 * (1 GiB of float32 at dim 16) is far past what a CI-sized state needs. */
#define MSTATE_MAX_TABLES 1024u
#define MSTATE_MAX_ROWS   (1u << 24)
#define MSTATE_MAX_DIM    4096u

typedef struct mstate_config {
    uint32_t n_tables;
    uint32_t rows; /* per table */
    uint32_t dim;  /* floats per row */
    /* P(row k) is proportional to 1 / (k + 1)^zipf_exponent: row 0 is the
     * hottest. >= 0; 0 is uniform; e-commerce ID traffic sits near 1. */
    double zipf_exponent;
    double init_scale;   /* initial values uniform in [-init_scale, init_scale) */
    double update_scale; /* std dev of the per-element update of a touched row */
    uint64_t seed;       /* initial values; the same seed gives the same tables */
} mstate_config;

/* CI-sized defaults: 4 tables x 4096 rows x 16 floats (1 MiB), Zipf 1.05. */
mstate_config mstate_config_default(void);

int mstate_create(const mstate_config *cfg, mstate **out, char *err, size_t errlen);

/* A deep copy: tables, both dirty bitmaps, version and backup bases. */
int mstate_clone(const mstate *ms, mstate **out, char *err, size_t errlen);

void mstate_free(mstate *ms);

/* Applies n_updates sparse updates at time now_s, drawing from rng: a table
 * uniformly, a row by the Zipf law, then a Gaussian perturbation of each of
 * its floats. The same rng state gives the same updates. Each update bumps
 * the version by one and marks its row dirty in both bitmaps. */
void mstate_apply_updates(mstate *ms, gsl_rng *rng, uint64_t n_updates, double now_s);

/* Builds a backup of the state at now_s:
 *   BCHAIN_FULL: every row; clears both bitmaps and becomes the base of the
 *     next incremental and of the next differentials.
 *   BCHAIN_INCREMENTAL: exactly the rows dirtied since the previous snapshot
 *     (or loaded backup), which it names as its parent (MSTATE_ERR_NO_BASE
 *     when there is none); clears the since-previous bitmap only.
 *   BCHAIN_DIFFERENTIAL: exactly the rows dirtied since the full (see the top
 *     comment), naming that full's version as its parent (MSTATE_ERR_NO_BASE
 *     when the state has no full base); clears the since-previous bitmap only
 *     and becomes the base of the next incremental.
 * The caller owns *out (usually it passes it to bchain_append). */
int mstate_snapshot(mstate *ms, bchain_kind kind, double now_s, bchain_backup **out, char *err, size_t errlen);

/* Writes a backup's rows into the state and takes its version and update
 * time; afterwards no row is dirty since the previous backup and the backup
 * is the base of the next incremental. A full must match the state's shape
 * and carry every row and becomes the base of the next differentials (no row
 * dirty since it). An incremental or a differential must name the state's
 * current version as its parent (for a differential: its full, just loaded);
 * afterwards the rows dirty since the full are exactly the differential's
 * (an incremental adds its rows to them). Checks everything before writing,
 * so on failure the state is unchanged. Does not verify the checksum:
 * bchain_restore does that first. */
int mstate_load_backup(mstate *ms, const bchain_backup *b, char *err, size_t errlen);

/* Same shape and bitwise-identical tables. Version, times and dirty rows are
 * not compared. */
bool mstate_equal(const mstate *a, const mstate *b);

uint64_t mstate_version(const mstate *ms);
double mstate_updated_at_s(const mstate *ms); /* 0 before any update */
uint64_t mstate_bytes(const mstate *ms);      /* real size of all tables */
uint64_t mstate_dirty_rows(const mstate *ms); /* since the previous backup, over all tables */
bool mstate_row_dirty(const mstate *ms, uint32_t table, uint32_t row);
/* The since-full bitmap: what the next differential would carry. */
uint64_t mstate_dirty_rows_since_full(const mstate *ms);
bool mstate_row_dirty_since_full(const mstate *ms, uint32_t table, uint32_t row);
uint32_t mstate_n_tables(const mstate *ms);
uint32_t mstate_rows(const mstate *ms);
uint32_t mstate_dim(const mstate *ms);

/* Row `row` of table `table` (dim floats), for readers such as the
 * recommendation kernels; NULL when out of range. Valid until mstate_free;
 * updates and loads change the floats in place. */
const float *mstate_row(const mstate *ms, uint32_t table, uint32_t row);

#endif
