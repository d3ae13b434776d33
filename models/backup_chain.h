/* Backups of the model state and the chain of them kept on one storage target.
 *
 * A backup (`bchain_backup`) is a self-contained blob: a serialized header
 * followed by (table, row, row data) entries, plus an XXH3_64bits checksum of
 * the whole blob. Full backups carry every row of every table; incremental
 * ones carry exactly the rows dirtied since the backup before them and name
 * that backup's version as their parent; differential ones carry exactly the
 * rows dirtied since the newest full and name that full's version as their
 * parent. mstate_snapshot builds backups; mstate_load_backup applies one.
 *
 * A restore reads a full and then either every incremental after it in order
 * or ONE differential (the newest that verifies): differentials grow with the
 * time since their full, incrementals do not, but a restore from them never
 * reads more than two backups and a corrupt one costs only the gap to the one
 * before it. After one full a chain holds one kind or the other, never both.
 *
 * A chain (`bchain`) stores backups in time order. The caller models the
 * transfer: a backup is appended when it is taken and becomes restorable only
 * once bchain_complete records when its transfer finished. bchain_corrupt
 * damages a stored blob silently (as bit rot or a torn write would): only the
 * checksum tells, so bchain_restore verifies every backup it reads.
 *
 * Byte counts are real (the small in-memory tables); callers scale them to
 * the model's logical size for transfer times and storage cost.
 *
 * Functions that can fail return BCHAIN_OK or a negative bchain_status and
 * write a message into err (errlen bytes; err may be NULL). */
#ifndef FIREDRILL_MODELS_BACKUP_CHAIN_H
#define FIREDRILL_MODELS_BACKUP_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef struct bchain bchain;
typedef struct bchain_backup bchain_backup;
typedef struct mstate mstate;

typedef enum bchain_status {
    BCHAIN_OK = 0,
    BCHAIN_ERR_INVALID = -1,   /* bad argument */
    BCHAIN_ERR_NOMEM = -2,     /* allocation failed */
    BCHAIN_ERR_NOT_FOUND = -3, /* no backup with that id in the chain */
    BCHAIN_ERR_LINK = -4,      /* an incremental or differential does not follow its parent */
    BCHAIN_ERR_CHECKSUM = -5,  /* the stored blob does not match its checksum */
    BCHAIN_ERR_NO_BACKUP = -6, /* restore: no completed full backup verifies */
    BCHAIN_ERR_APPLY = -7      /* restore: the target state rejected a backup */
} bchain_status;

typedef enum bchain_kind { BCHAIN_FULL = 0, BCHAIN_INCREMENTAL = 1, BCHAIN_DIFFERENTIAL = 2 } bchain_kind;

/* What a backup says about itself; serialized at the head of its blob. */
typedef struct bchain_header {
    bchain_kind kind;
    uint64_t version;             /* updates the state had applied when taken */
    double taken_at_s;            /* when the snapshot was taken */
    double state_updated_at_s;    /* time of the newest update it holds */
    uint64_t parent_version;      /* incrementals: version of the backup before; differentials: of their full */
    uint32_t n_tables, rows, dim; /* shape of the state it came from */
    uint64_t n_entries;           /* (table, row) entries carried */
} bchain_header;

/* One stored backup as the chain's catalogue lists it. */
typedef struct bchain_info {
    uint64_t id;        /* unique in the chain, increasing in append order */
    uint64_t parent_id; /* incrementals: id of the backup before; differentials: of their full; 0 for fulls */
    bchain_header header;
    bool completed;        /* transfer finished: restorable from completed_at_s */
    double completed_at_s; /* meaningful only when completed */
    uint64_t bytes;        /* real size of the stored blob */
    uint64_t checksum;     /* XXH3_64bits of the blob when it was taken */
    bool corrupt;          /* damaged by bchain_corrupt; restore never reads it */
} bchain_info;

/* --- backups ------------------------------------------------------------- */

/* A new backup with room for h->n_entries entries, all to be set with
 * bchain_backup_set_entry before bchain_backup_seal. */
int bchain_backup_create(const bchain_header *h, bchain_backup **out, char *err, size_t errlen);
void bchain_backup_free(bchain_backup *b);

/* Writes entry i: its (table, row) and h->dim floats of row data. */
int bchain_backup_set_entry(bchain_backup *b, uint64_t i, uint32_t table, uint32_t row, const float *data);

/* Computes the checksum over the blob as it now stands. */
void bchain_backup_seal(bchain_backup *b);

const bchain_header *bchain_backup_header(const bchain_backup *b);
uint64_t bchain_backup_bytes(const bchain_backup *b);
uint64_t bchain_backup_checksum(const bchain_backup *b);

/* Reads entry i. The data pointer addresses header->dim floats' worth of
 * bytes inside the blob, not necessarily float-aligned: copy it with memcpy.
 * Fails on an index past the end or on an entry whose (table, row) lies
 * outside the header's shape (possible only in a blob that fails its
 * checksum). */
int bchain_backup_get_entry(const bchain_backup *b, uint64_t i, uint32_t *table, uint32_t *row, const void **data);

/* BCHAIN_OK when the blob matches its checksum, else BCHAIN_ERR_CHECKSUM. */
int bchain_backup_verify(const bchain_backup *b);

/* --- chains -------------------------------------------------------------- */

/* A new, empty chain; NULL when out of memory. */
bchain *bchain_create(void);
void bchain_free(bchain *c);

/* Appends a sealed backup and takes ownership of it (on failure the caller
 * keeps it). Backups arrive in time order: taken_at_s never decreases.
 * BCHAIN_ERR_LINK, when a backup does not follow its parent (take a full
 * backup then):
 *   an incremental: the newest backup in the chain must have the version the
 *     incremental names as parent (not so e.g. after a restore that stopped at
 *     a broken link);
 *   a differential: the newest FULL in the chain (completed or not) must have
 *     the version the differential names as parent (not so after a restore
 *     that fell back past a corrupt full);
 *   either, after the newest full already followed by the other kind.
 * *id_out (may be NULL) receives the new id. */
int bchain_append(bchain *c, bchain_backup *b, uint64_t *id_out, char *err, size_t errlen);

/* Records that backup `id` finished its transfer at completed_at_s, which
 * must not precede its taken_at_s. */
int bchain_complete(bchain *c, uint64_t id, double completed_at_s, char *err, size_t errlen);

/* Silently damages the stored blob of backup `id`: XORs one to four distinct
 * bytes, chosen with rng, with nonzero values. Sets the info's `corrupt`
 * flag for the caller's bookkeeping; restores ignore the flag. */
int bchain_corrupt(bchain *c, uint64_t id, gsl_rng *rng, char *err, size_t errlen);

/* Recomputes backup `id`'s checksum: BCHAIN_OK, BCHAIN_ERR_CHECKSUM or
 * BCHAIN_ERR_NOT_FOUND. */
int bchain_verify(const bchain *c, uint64_t id);

size_t bchain_count(const bchain *c);
uint64_t bchain_bytes_stored(const bchain *c);

/* Catalogue entry of the backup at position `index` (0 = oldest) or with id
 * `id`; BCHAIN_ERR_NOT_FOUND when there is none. */
int bchain_info_at(const bchain *c, size_t index, bchain_info *out);
int bchain_info_of(const bchain *c, uint64_t id, bchain_info *out);

/* Drops every backup older than the keep_full-th newest completed full
 * backup, so that full and everything after it (its increments or
 * differentials, newer fulls,
 * transfers still in flight) stay. In-flight fulls do not count towards
 * keep_full: the last restorable chain is never dropped for one that may
 * never arrive. With fewer completed fulls, nothing is dropped.
 * keep_full >= 1. *dropped_out and *bytes_stored_out may be NULL. */
int bchain_apply_retention(bchain *c, uint32_t keep_full, size_t *dropped_out, uint64_t *bytes_stored_out, char *err,
                           size_t errlen);

typedef struct bchain_restore_result {
    uint64_t version;          /* version of the restored state */
    double recovery_point_s;   /* taken_at_s of the newest backup applied */
    double state_updated_at_s; /* time of the newest update restored */
    uint64_t full_id;          /* the full backup the restore started from */
    uint64_t last_id;          /* the newest backup applied */
    uint32_t n_applied;        /* backups applied: the full plus increments, or plus one differential */
    uint32_t n_corrupt;        /* backups read that failed verification (fulls, increments, differentials) */
    bool broken_link;          /* stopped at an increment that failed verification (never for differentials) */
    uint64_t bytes_read;       /* real bytes read, failed verifications included */
} bchain_restore_result;

/* Rebuilds `target` (same shape as the backups) as of as_of_s: from the
 * newest full backup completed at or before as_of_s that verifies, then what
 * follows it up to the next full:
 *   increments: in order, while they are completed by as_of_s and verify. An
 *     increment that fails verification is a broken link: it and everything
 *     after it are left out.
 *   differentials: those completed by as_of_s, newest first; the first that
 *     verifies is applied and ends the restore. Each that fails verification
 *     counts in n_corrupt and bytes_read and the one before it is tried (no
 *     broken link: each differential stands alone on its full); none left,
 *     the full alone is restored.
 * A full that fails verification is skipped for the previous one and what
 * follows it. Every backup is verified before a byte of it is applied, so on
 * BCHAIN_ERR_NO_BACKUP `target` is unchanged. BCHAIN_ERR_APPLY means a
 * target of another shape (unchanged) or a chain whose links disagree
 * (target holds a partial restore). `res` is filled on success and failure
 * (counts and bytes read). Afterwards the target's next incremental follows
 * the restored version, which the chain accepts only if that is its newest
 * backup; its next differential follows the restored full, which the chain
 * accepts only if that is its newest full: take a full backup otherwise. */
int bchain_restore(const bchain *c, double as_of_s, mstate *target, bchain_restore_result *res, char *err,
                   size_t errlen);

#endif
