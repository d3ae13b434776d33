/* The online trainer of one replica: the real model state it changes, the
 * backup chains that carry that state to storage targets, and the restores
 * that rebuild it after a fault, with the quality of what came back.
 *
 * A trainer owns one mstate (the live embedding tables, see model_state.h)
 * and one bchain per storage target (see backup_chain.h). The world drives it
 * with simulated time; everything it returns that the world uses for times
 * and costs is LOGICAL (the scenario's model size and update rate), computed
 * from the REAL small tables by two fixed ratios:
 *
 *   bytes:   logical = real * logical_bytes / real_model_bytes, where
 *            real_model_bytes = n_tables * rows * dim * 4 (mstate_bytes).
 *            A backup blob is a 64-byte header plus, per row carried, an
 *            8-byte (table, row) index and dim * 4 bytes of floats, so a FULL
 *            backup's logical size is exactly
 *              logical_bytes * (1 + 2 / dim + 64 / real_model_bytes)
 *            (1.125 + 6.1e-5 at the default 4 x 4096 x 16): the index is real
 *            overhead a row-wise format carries. Incrementals carry exactly
 *            the rows dirtied since the previous backup, differentials those
 *            dirtied since the newest full, so their logical size is that
 *            share of the model (plus the same per-row index).
 *   updates: the trainer applies real_rate real row updates per simulated
 *            second (trainer_real_rate), at most max_real_updates_per_s so
 *            that month-long replicas stay fast; each real update stands for
 *            updates_per_s / real_rate logical updates (trainer_update_scale).
 *            Lost updates are real version gaps times that factor.
 *
 * Fidelity of incremental and differential sizes: the real dirty fraction after n real updates
 * tracks the logical one when real updates per real row match logical
 * updates per logical row. Given rows_touched_per_update_fraction f > 0 (the
 * scenario's key), real_rate = updates_per_s * f * n_tables * rows does that;
 * the cap wins when it is lower (fewer dirty rows, smaller incrementals than
 * the logical model would have). real_rate = min(updates_per_s,
 * max_real_updates_per_s, updates_per_s * f * n_tables * rows if f > 0).
 *
 * Targets: each backup is taken once (one snapshot, which clears the rows
 * dirty since the previous backup) and replicated to every target in a
 * bitmask (TRAINER_TARGET(i)), each target holding its own copy that
 * completes, corrupts and is retained independently (e.g. target 0 regional,
 * target 1 cross-region). A target that missed a backup cannot take the
 * incrementals after it, and one that missed a full cannot take the
 * differentials after it: it needs a full (trainer_needs_full). A target that
 * missed only differentials can take the next one. Backup ids are the
 * trainer's, shared by the copies.
 *
 * Deterministic: the same config, the same rng states and the same calls
 * give bit-identical results (the CPU backend; CUDA agrees to ~1e-4 in
 * scores, so top-k may differ at near ties).
 *
 * Functions that can fail return TRAINER_OK or a negative trainer_status and
 * write a message into err (errlen bytes; err may be NULL). */
#ifndef FIREDRILL_MODELS_TRAINER_H
#define FIREDRILL_MODELS_TRAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "kernels/rec.h"
#include "models/backup_chain.h"
#include "models/model_state.h"

#define TRAINER_MAX_TARGETS 4u
/* Queries of the recall probe: its batch is ranked twice per restore. */
#define TRAINER_MAX_PROBE_QUERIES 65536
#define TRAINER_TARGET(i)         (1u << (i))

typedef struct trainer trainer;

typedef enum trainer_status {
    TRAINER_OK = 0,
    TRAINER_ERR_INVALID = -1,   /* bad argument or configuration */
    TRAINER_ERR_NOMEM = -2,     /* allocation failed */
    TRAINER_ERR_TIME = -3,      /* a time before the trainer's clock, or after a fault */
    TRAINER_ERR_NEED_FULL = -4, /* an incremental or differential to a target that cannot take one */
    TRAINER_ERR_NOT_FOUND = -5, /* no such backup on that target */
    TRAINER_ERR_ABANDONED = -6, /* completing a transfer a restore abandoned (harmless) */
    TRAINER_ERR_KERNEL = -7,    /* the recommendation kernels failed (recall) */
    TRAINER_ERR_CHAIN = -8      /* a backup-chain call failed unexpectedly */
} trainer_status;

typedef struct trainer_config {
    /* scenario level */
    double logical_bytes;                    /* model size the world simulates, > 0 */
    double updates_per_s;                    /* logical row updates per second, >= 0 */
    double rows_touched_per_update_fraction; /* 0: unused; see the header comment */
    double max_real_updates_per_s;           /* cap on real updates, > 0 */
    /* the real tables: shape, Zipf exponent, init/update scales, seed */
    mstate_config state;
    uint32_t n_targets; /* storage targets, 1..TRAINER_MAX_TARGETS */
    /* quality probe: probe_queries retrieval queries (0 turns recall off),
     * the same samples as one ranking batch with up to probe_max_hot ids per
     * sparse table; recall at k */
    int32_t probe_queries;
    int32_t probe_max_hot;
    int32_t k;
    rec_backend backend; /* CPU; AUTO picks CUDA where a device is present */
    uint64_t rec_seed;   /* MLP weights of the probe model (identical for both sides) */
} trainer_config;

/* Defaults: 100 GB logical, 5000 updates/s, cap 1 real update/s, the
 * mstate defaults (4 x 4096 x 16, Zipf 1.05, update_scale 1e-3), 2 targets,
 * 64 probe queries, 4 hot ids, k = 10, CPU backend. */
trainer_config trainer_config_default(void);
int trainer_config_validate(const trainer_config *cfg, char *err, size_t errlen);

/* updates_rng drives every update and is borrowed (it must outlive the
 * trainer; nothing else should draw from it). probe_rng is read only here,
 * to draw the probe set. Creates no kernel model yet: the first restore with
 * recall does, so replicas that never restore never pay for it. */
int trainer_create(const trainer_config *cfg, gsl_rng *updates_rng, gsl_rng *probe_rng, trainer **out, char *err,
                   size_t errlen);
void trainer_free(trainer *tr);

/* Applies the real updates due in (last, now_s]: floor(real_rate * now_s) -
 * floor(real_rate * last) of them, all stamped now_s. A time at or before the
 * clock, or a frozen trainer (trainer_fault), does nothing. */
void trainer_advance(trainer *tr, double now_s);

/* Moves the clock to now_s without training (the pipeline was down): the
 * updates due in between are never applied. Unfreezes nothing. */
void trainer_skip_to(trainer *tr, double now_s);

/* Optional, at a fault's onset: trains up to fault_s and freezes the live
 * state there (advance and backup then do nothing / fail) until
 * trainer_restore(tr, fault_s, ...) rebuilds it, which may be called later in
 * simulated time. Without it, trainer_restore trains up to fault_s itself and
 * needs fault_s at or after the clock. */
int trainer_fault(trainer *tr, double fault_s, char *err, size_t errlen);

/* The live state frozen by trainer_fault survived after all (the primary
 * came back before the switch, or a replica carried it): unfreezes it
 * without a restore and moves the clock to now_s, skipping the updates due
 * meanwhile (the pipeline was down). Not frozen: only the skip. */
void trainer_resume(trainer *tr, double now_s);

/* Trains up to now_s, then snapshots the live state (FULL: every row;
 * INCREMENTAL: the rows dirtied since the previous backup, of any kind;
 * DIFFERENTIAL: the rows dirtied since the live state's full, see
 * model_state.h) and appends a copy to every target in `targets` (a nonzero
 * mask of TRAINER_TARGET bits). *logical_bytes: the logical size of one copy
 * (each target transfers it); *backup_id: the id to complete/corrupt it
 * with. An incremental or differential to a target that cannot take it
 * (trainer_needs_full_for) is TRAINER_ERR_NEED_FULL, checked before anything
 * changes. Either out pointer may be NULL. */
int trainer_backup(trainer *tr, bchain_kind kind, double now_s, uint32_t targets, double *logical_bytes,
                   uint64_t *backup_id, char *err, size_t errlen);

/* True when a backup of `kind` to `target` would be refused, so the next
 * one must be a full (always false for BCHAIN_FULL):
 *   INCREMENTAL: the target holds no backup, or its newest backup is not the
 *     one the live state's since-previous rows follow (it missed a backup, or
 *     a restore rebuilt the state from another one), or differentials follow
 *     its newest full;
 *   DIFFERENTIAL: its newest full is not the one the live state's since-full
 *     rows follow (no full, a missed full, or a restore from another full),
 *     or incrementals follow it.
 * Backups are matched by trainer id (copies of one snapshot share it), so a
 * restore from target A's full + differential lets target B, holding a copy
 * of the same full, go on with differentials. */
bool trainer_needs_full_for(const trainer *tr, uint32_t target, bchain_kind kind);

/* trainer_needs_full_for the kind the target's chain continues with:
 * DIFFERENTIAL when differentials follow its newest full, else INCREMENTAL
 * (after a bare full, an incremental links only when a differential does
 * too). For callers that use one partial kind per target: false means that
 * kind goes through. */
bool trainer_needs_full(const trainer *tr, uint32_t target);

/* The copy of `id` on `target` finished its transfer at completed_s.
 * TRAINER_ERR_ABANDONED when a restore abandoned it in flight (the source
 * died): nothing changes and the caller may ignore the code. */
int trainer_backup_complete(trainer *tr, uint32_t target, uint64_t id, double completed_s, char *err, size_t errlen);

/* Silent corruption (bit rot, torn write) of the copy of `id` on `target`,
 * or of the newest completed copy there; only checksums notice it. *id_out
 * (may be NULL) receives the id corrupted; TRAINER_ERR_NOT_FOUND when the
 * target holds no completed backup. */
int trainer_corrupt(trainer *tr, uint32_t target, uint64_t id, gsl_rng *rng, char *err, size_t errlen);
int trainer_corrupt_newest(trainer *tr, uint32_t target, gsl_rng *rng, uint64_t *id_out, char *err, size_t errlen);

/* Retention on every target (bchain_apply_retention, keep_full >= 1).
 * *logical_bytes_stored (may be NULL): over all targets, afterwards. */
int trainer_retention(trainer *tr, uint32_t keep_full, double *logical_bytes_stored, char *err, size_t errlen);
/* Logical bytes a target stores now. */
double trainer_logical_bytes_stored(const trainer *tr, uint32_t target);

typedef struct trainer_restore_result {
    bool restored;             /* false: nothing restorable, the model restarted from its
                                  initial tables (version 0) */
    int target;                /* target restored from; -1 when none */
    double recovery_point_s;   /* taken_at_s of the newest backup applied; -1 when none */
    double state_updated_at_s; /* time of the newest update restored; 0 when none */
    uint64_t live_version;     /* real updates the live state held at the fault */
    uint64_t restored_version;
    uint64_t real_lost_updates; /* live_version - restored_version, >= 0 */
    double lost_updates;        /* logical: real_lost_updates * trainer_update_scale */
    double logical_bytes_read;  /* from the chosen target, failed verifications included */
    uint32_t n_applied;         /* backups applied: the full plus increments, or plus one differential */
    uint32_t n_corrupt;         /* backups read there that failed verification */
    bool broken_link;           /* stopped at an increment that failed verification (never
                                   for differentials: a corrupt one falls back to the one before) */
    uint32_t n_abandoned;       /* in-flight copies abandoned (all targets) */
    /* quality on the probe set (NaN when probe_queries == 0): recall_at_k is
     * retrieval, |top-k restored ∩ top-k live| / k averaged over the probe
     * queries; rank_recall_at_k the same for the ranking top-k of the probe
     * batch (one list, k capped at the batch) */
    int32_t k;
    double recall_at_k;
    double rank_recall_at_k;
    rec_backend backend; /* the backend that ran the probe (never AUTO) */
} trainer_restore_result;

/* Rebuilds the model after a fault at fault_s from the targets in `targets`
 * (those that survived): on each, the newest full completed by fault_s that
 * verifies, then its increments in order while they are completed by fault_s
 * and verify, or the newest of its differentials completed by fault_s that
 * verifies (bchain_restore: corrupt fulls fall back to the previous full, a
 * corrupt increment ends the chain there, a corrupt differential falls back
 * to the one before). The target giving the newest recovery point wins
 * (ties: the lower index). The probe compares the restored tables with the
 * live ones as of fault_s. Then the restored state becomes the live one
 * (training continues from it at fault_s) and copies still in flight at
 * fault_s are abandoned. Afterwards the next incremental follows the newest
 * backup applied: targets whose newest backup is not that one need a full.
 * The next differential follows the full restored from and is exact relative
 * to it (after full + differential D it carries D's rows plus those dirtied
 * since): every target whose newest full is a copy of that full can take it,
 * however many differentials it missed or lost to corruption. targets == 0
 * restores nothing (the model restarts from its initial tables). */
int trainer_restore(trainer *tr, double fault_s, uint32_t targets, trainer_restore_result *res, char *err,
                    size_t errlen);

/* --- accessors ------------------------------------------------------------ */
double trainer_real_rate(const trainer *tr);    /* real updates per simulated second */
double trainer_update_scale(const trainer *tr); /* logical updates per real update */
double trainer_byte_scale(const trainer *tr);   /* logical bytes per real byte */
double trainer_now(const trainer *tr);          /* the clock */
uint64_t trainer_version(const trainer *tr);    /* real updates in the live state */
const mstate *trainer_state(const trainer *tr);
const bchain *trainer_chain(const trainer *tr, uint32_t target);
const trainer_config *trainer_get_config(const trainer *tr);

#endif
