#include "models/trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/rec_synth.h"
#include "kernels/topk.h"
#include "util/fd_status.h"

/* One copy of a trainer backup on one target: the trainer's id, the chain's
 * id, and whether a restore abandoned it in flight. Appended in id order. */
typedef struct trainer_copy {
    uint64_t id, chain_id;
    bool abandoned;
} trainer_copy;

typedef struct trainer_target {
    bchain *chain;
    trainer_copy *copies;
    size_t n_copies, cap_copies;
} trainer_target;

struct trainer {
    trainer_config cfg;
    gsl_rng *updates_rng; /* borrowed */
    mstate *live;
    double real_rate, update_scale, byte_scale;
    double now_s;
    bool frozen;
    double frozen_s;
    /* Trainer ids (0: none) of the backup the live state's since-previous
     * rows follow (its last snapshot, or the newest backup its restore
     * applied) and of the full its since-full rows follow. Ids rather than
     * versions: after a restore the history forks, and a version reached
     * again on the new branch is another state than on the old one. */
    uint64_t base_id;
    uint64_t full_id;
    uint64_t next_id;
    trainer_target targets[TRAINER_MAX_TARGETS];
    /* probe */
    rec_config rcfg;
    rec_synth_batch *probe;
    rec_model *rec; /* created at the first restore with recall */
    int32_t *topk_live, *topk_new;
    float *scores_tmp; /* batch scores of rec_rank / top-k scores */
    float *topk_scores;
};

trainer_config trainer_config_default(void) {
    return (trainer_config){
        .logical_bytes = 100e9,
        .updates_per_s = 5000,
        .rows_touched_per_update_fraction = 0,
        .max_real_updates_per_s = 1.0,
        .state = mstate_config_default(),
        .n_targets = 2,
        .probe_queries = 64,
        .probe_max_hot = 4,
        .k = 10,
        .backend = REC_BACKEND_CPU,
        .rec_seed = 7,
    };
}

static bool finite_ge(double x, double lo) { return isfinite(x) && x >= lo; }

int trainer_config_validate(const trainer_config *c, char *err, size_t errlen) {
    if (!c) return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: config is NULL");
    if (!(finite_ge(c->logical_bytes, 0) && c->logical_bytes > 0))
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer.logical_bytes: must be a finite number > 0, got %g",
                       c->logical_bytes);
    if (!finite_ge(c->updates_per_s, 0))
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer.updates_per_s: must be a finite number >= 0, got %g",
                       c->updates_per_s);
    if (!finite_ge(c->rows_touched_per_update_fraction, 0) || c->rows_touched_per_update_fraction > 1)
        return fd_errf(err, errlen, TRAINER_ERR_INVALID,
                       "trainer.rows_touched_per_update_fraction: must be in [0, 1], got %g",
                       c->rows_touched_per_update_fraction);
    if (!(finite_ge(c->max_real_updates_per_s, 0) && c->max_real_updates_per_s > 0))
        return fd_errf(err, errlen, TRAINER_ERR_INVALID,
                       "trainer.max_real_updates_per_s: must be a finite number > 0, got %g",
                       c->max_real_updates_per_s);
    if (c->n_targets < 1 || c->n_targets > TRAINER_MAX_TARGETS)
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer.n_targets: must be in 1..%u, got %u",
                       TRAINER_MAX_TARGETS, c->n_targets);
    if (c->probe_queries < 0 || c->probe_queries > TRAINER_MAX_PROBE_QUERIES)
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer.probe_queries: must be in 0..%d, got %d",
                       TRAINER_MAX_PROBE_QUERIES, c->probe_queries);
    if (c->probe_queries > 0) {
        if (c->probe_max_hot < 0 || c->probe_max_hot > 1024)
            return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer.probe_max_hot: must be in 0..1024, got %d",
                           c->probe_max_hot);
        if (c->k < 1 || c->k > REC_MAX_TOPK)
            return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer.k: must be in 1..%d, got %d", REC_MAX_TOPK, c->k);
        if (c->state.dim > REC_MAX_EMB_DIM)
            return fd_errf(err, errlen, TRAINER_ERR_INVALID,
                           "trainer.state.dim: the recall probe needs at most %d, got %u", REC_MAX_EMB_DIM,
                           c->state.dim);
        if (c->backend != REC_BACKEND_AUTO && c->backend != REC_BACKEND_CPU && c->backend != REC_BACKEND_CUDA)
            return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer.backend: unknown backend %d", (int)c->backend);
    }
    return TRAINER_OK; /* the state's own fields are checked by mstate_create */
}

/* The probe model: state table 0 is the retrieval item table, state tables
 * 1..REC_MAX_TABLES the ranking tables in order (a one-table state leaves
 * the ranking model one table of its own, the same on both sides). Every
 * table has the state's rows and width. */
static rec_config trainer_rec_config(const trainer_config *c) {
    rec_config r = rec_config_default();
    const int32_t dim = (int32_t)c->state.dim, rows = (int32_t)c->state.rows;
    r.emb_dim = dim;
    r.n_items = rows;
    r.user_layers = 2;
    r.user_width[0] = 64;
    r.user_width[1] = dim;
    uint32_t sparse = c->state.n_tables > 1 ? c->state.n_tables - 1 : 1;
    if (sparse > REC_MAX_TABLES) sparse = REC_MAX_TABLES;
    r.n_tables = (int32_t)sparse;
    for (int32_t t = 0; t < REC_MAX_TABLES; t++) r.table_rows[t] = t < r.n_tables ? rows : 0;
    r.bottom_layers = 2;
    r.bottom_width[0] = 64;
    r.bottom_width[1] = dim;
    r.top_layers = 2;
    r.top_width[0] = 64;
    r.top_width[1] = 1;
    r.top_k = c->k > 0 ? c->k : 1;
    return r;
}

static uint32_t trainer_probe_tables(const trainer *tr) {
    uint32_t n = mstate_n_tables(tr->live);
    return n < 1u + REC_MAX_TABLES ? n : 1u + REC_MAX_TABLES;
}

int trainer_create(const trainer_config *cfg, gsl_rng *updates_rng, gsl_rng *probe_rng, trainer **out, char *err,
                   size_t errlen) {
    if (!out) return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: out is NULL");
    *out = NULL;
    int rc = trainer_config_validate(cfg, err, errlen);
    if (rc != TRAINER_OK) return rc;
    if (!updates_rng || (cfg->probe_queries > 0 && !probe_rng))
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: an rng is NULL");
    trainer *tr = calloc(1, sizeof *tr);
    if (!tr) return fd_errf(err, errlen, TRAINER_ERR_NOMEM, "trainer: out of memory");
    tr->cfg = *cfg;
    tr->updates_rng = updates_rng;
    char merr[200] = "";
    rc = mstate_create(&cfg->state, &tr->live, merr, sizeof merr);
    if (rc != MSTATE_OK) {
        trainer_free(tr);
        return fd_errf(err, errlen, rc == MSTATE_ERR_NOMEM ? TRAINER_ERR_NOMEM : TRAINER_ERR_INVALID,
                       "trainer.state: %s", merr);
    }
    const double real_rows = (double)cfg->state.n_tables * cfg->state.rows;
    double rate = fmin(cfg->updates_per_s, cfg->max_real_updates_per_s);
    if (cfg->rows_touched_per_update_fraction > 0)
        rate = fmin(rate, cfg->updates_per_s * cfg->rows_touched_per_update_fraction * real_rows);
    tr->real_rate = rate;
    tr->update_scale = rate > 0 ? cfg->updates_per_s / rate : 0;
    tr->byte_scale = cfg->logical_bytes / (double)mstate_bytes(tr->live);
    for (uint32_t t = 0; t < cfg->n_targets; t++) {
        tr->targets[t].chain = bchain_create();
        if (!tr->targets[t].chain) {
            trainer_free(tr);
            return fd_errf(err, errlen, TRAINER_ERR_NOMEM, "trainer: out of memory");
        }
    }
    if (cfg->probe_queries > 0) {
        tr->rcfg = trainer_rec_config(cfg);
        char rerr[200] = "";
        /* The probe set is drawn from probe_rng once: two draws make its seed. */
        uint64_t seed = ((uint64_t)gsl_rng_get(probe_rng) << 32) ^ gsl_rng_get(probe_rng);
        rc = rec_synth_batch_create(&tr->rcfg, cfg->probe_queries, cfg->probe_max_hot, cfg->k, seed, &tr->probe, rerr,
                                    sizeof rerr);
        const size_t q = (size_t)cfg->probe_queries, k = (size_t)cfg->k;
        tr->topk_live = malloc((q * k + k) * sizeof(int32_t));
        tr->topk_new = malloc((q * k + k) * sizeof(int32_t));
        tr->topk_scores = malloc(q * k * sizeof(float));
        tr->scores_tmp = malloc(q * sizeof(float));
        if (rc != REC_OK || !tr->topk_live || !tr->topk_new || !tr->topk_scores || !tr->scores_tmp) {
            trainer_free(tr);
            if (rc != REC_OK) return fd_errf(err, errlen, TRAINER_ERR_KERNEL, "trainer: probe set: %s", rerr);
            return fd_errf(err, errlen, TRAINER_ERR_NOMEM, "trainer: out of memory");
        }
    }
    *out = tr;
    return TRAINER_OK;
}

void trainer_free(trainer *tr) {
    if (!tr) return;
    mstate_free(tr->live);
    for (uint32_t t = 0; t < TRAINER_MAX_TARGETS; t++) {
        bchain_free(tr->targets[t].chain);
        free(tr->targets[t].copies);
    }
    rec_synth_batch_free(tr->probe);
    rec_model_free(tr->rec);
    free(tr->topk_live);
    free(tr->topk_new);
    free(tr->topk_scores);
    free(tr->scores_tmp);
    free(tr);
}

/* --- training ------------------------------------------------------------- */

static uint64_t trainer_due(double rate, double t) {
    double n = floor(rate * t);
    return n > 0 ? (uint64_t)n : 0;
}

void trainer_advance(trainer *tr, double now_s) {
    if (!tr || tr->frozen || !(now_s > tr->now_s)) return;
    uint64_t n = trainer_due(tr->real_rate, now_s) - trainer_due(tr->real_rate, tr->now_s);
    if (n > 0) mstate_apply_updates(tr->live, tr->updates_rng, n, now_s);
    tr->now_s = now_s;
}

void trainer_skip_to(trainer *tr, double now_s) {
    if (tr && now_s > tr->now_s) tr->now_s = now_s;
}

int trainer_fault(trainer *tr, double fault_s, char *err, size_t errlen) {
    if (!tr || !isfinite(fault_s)) return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: bad fault");
    if (tr->frozen)
        return fd_errf(err, errlen, TRAINER_ERR_TIME, "trainer: already frozen by a fault at %g s", tr->frozen_s);
    if (fault_s < tr->now_s)
        return fd_errf(err, errlen, TRAINER_ERR_TIME, "trainer: fault at %g s precedes the trainer's clock (%g s)",
                       fault_s, tr->now_s);
    trainer_advance(tr, fault_s);
    tr->frozen = true;
    tr->frozen_s = fault_s;
    return TRAINER_OK;
}

void trainer_resume(trainer *tr, double now_s) {
    if (!tr) return;
    tr->frozen = false;
    trainer_skip_to(tr, now_s);
}

/* --- backups -------------------------------------------------------------- */

static int trainer_check_targets(const trainer *tr, uint32_t targets, char *err, size_t errlen) {
    if (targets == 0 || (targets >> tr->cfg.n_targets) != 0)
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: target mask 0x%x is empty or names a target past %u",
                       targets, tr->cfg.n_targets);
    return TRAINER_OK;
}

/* The copy whose trainer id (by_chain false) or chain id (true) is key, or
 * NULL: a target's copies are appended in order, so both ids increase along
 * them and a binary search finds either. */
static trainer_copy *trainer_copy_by(const trainer_target *tg, uint64_t key, bool by_chain) {
    size_t lo = 0, hi = tg->n_copies;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((by_chain ? tg->copies[mid].chain_id : tg->copies[mid].id) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == tg->n_copies || (by_chain ? tg->copies[lo].chain_id : tg->copies[lo].id) != key) return NULL;
    return &tg->copies[lo];
}

/* The trainer id of a chain id on a target; 0 when none. */
static uint64_t trainer_id_of(const trainer_target *tg, uint64_t chain_id) {
    const trainer_copy *c = trainer_copy_by(tg, chain_id, true);
    return c ? c->id : 0;
}

/* What a target's chain holds at its end: the trainer ids of its newest
 * backup and newest full (0: none) and which kinds follow that full. */
typedef struct trainer_tail {
    uint64_t newest_id, full_id;
    bool after_inc, after_diff;
} trainer_tail;

static trainer_tail trainer_target_tail(const trainer_target *tg) {
    trainer_tail tail = {0};
    const size_t n = bchain_count(tg->chain);
    for (size_t i = n; i-- > 0;) {
        bchain_info info;
        if (bchain_info_at(tg->chain, i, &info) != BCHAIN_OK) break;
        if (i == n - 1) tail.newest_id = trainer_id_of(tg, info.id);
        if (info.header.kind == BCHAIN_FULL) {
            tail.full_id = trainer_id_of(tg, info.id);
            break;
        }
        if (info.header.kind == BCHAIN_INCREMENTAL)
            tail.after_inc = true;
        else
            tail.after_diff = true;
    }
    return tail;
}

/* Mirrors bchain_append's links, by trainer id: an incremental follows the
 * target's newest backup, a differential its newest full, and one kind never
 * follows the other after a full. */
static bool trainer_tail_takes(const trainer *tr, const trainer_tail *tail, bchain_kind kind) {
    if (kind == BCHAIN_FULL) return true;
    if (kind == BCHAIN_INCREMENTAL) return tr->base_id != 0 && tail->newest_id == tr->base_id && !tail->after_diff;
    return tr->full_id != 0 && tail->full_id == tr->full_id && !tail->after_inc;
}

bool trainer_needs_full_for(const trainer *tr, uint32_t target, bchain_kind kind) {
    if (!tr || target >= tr->cfg.n_targets) return true;
    if (kind != BCHAIN_INCREMENTAL && kind != BCHAIN_DIFFERENTIAL) return false;
    trainer_tail tail = trainer_target_tail(&tr->targets[target]);
    return !trainer_tail_takes(tr, &tail, kind);
}

bool trainer_needs_full(const trainer *tr, uint32_t target) {
    if (!tr || target >= tr->cfg.n_targets) return true;
    trainer_tail tail = trainer_target_tail(&tr->targets[target]);
    /* The kind the chain continues with; after a bare full an incremental,
     * which links only when a differential does too (the full is then both
     * the newest backup and the live state's full). */
    return !trainer_tail_takes(tr, &tail, tail.after_diff ? BCHAIN_DIFFERENTIAL : BCHAIN_INCREMENTAL);
}

/* A copy of a sealed backup, sealed again (same bytes, same checksum). */
static int trainer_copy_backup(const bchain_backup *src, bchain_backup **out) {
    const bchain_header *h = bchain_backup_header(src);
    int rc = bchain_backup_create(h, out, NULL, 0);
    if (rc != BCHAIN_OK) return rc;
    float *row = malloc((size_t)h->dim * sizeof(float));
    if (!row) {
        bchain_backup_free(*out);
        *out = NULL;
        return BCHAIN_ERR_NOMEM;
    }
    for (uint64_t i = 0; i < h->n_entries; i++) {
        uint32_t t, r;
        const void *data;
        bchain_backup_get_entry(src, i, &t, &r, &data);
        memcpy(row, data, (size_t)h->dim * sizeof(float));
        bchain_backup_set_entry(*out, i, t, r, row);
    }
    free(row);
    bchain_backup_seal(*out);
    return BCHAIN_OK;
}

static int trainer_record_copy(trainer_target *tg, uint64_t id, uint64_t chain_id) {
    if (tg->n_copies == tg->cap_copies) {
        size_t cap = tg->cap_copies ? 2 * tg->cap_copies : 64;
        trainer_copy *p = realloc(tg->copies, cap * sizeof *p);
        if (!p) return TRAINER_ERR_NOMEM;
        tg->copies = p;
        tg->cap_copies = cap;
    }
    tg->copies[tg->n_copies++] = (trainer_copy){.id = id, .chain_id = chain_id};
    return TRAINER_OK;
}

int trainer_backup(trainer *tr, bchain_kind kind, double now_s, uint32_t targets, double *logical_bytes,
                   uint64_t *backup_id, char *err, size_t errlen) {
    if (logical_bytes) *logical_bytes = 0;
    if (backup_id) *backup_id = 0;
    if (!tr || !isfinite(now_s)) return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: bad backup arguments");
    if (kind != BCHAIN_FULL && kind != BCHAIN_INCREMENTAL && kind != BCHAIN_DIFFERENTIAL)
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: unknown backup kind %d", (int)kind);
    int rc = trainer_check_targets(tr, targets, err, errlen);
    if (rc != TRAINER_OK) return rc;
    if (tr->frozen)
        return fd_errf(err, errlen, TRAINER_ERR_TIME, "trainer: the live state died at %g s: restore before backing up",
                       tr->frozen_s);
    if (now_s < tr->now_s)
        return fd_errf(err, errlen, TRAINER_ERR_TIME, "trainer: backup at %g s precedes the trainer's clock (%g s)",
                       now_s, tr->now_s);
    for (uint32_t t = 0; t < tr->cfg.n_targets; t++)
        if ((targets & TRAINER_TARGET(t)) && trainer_needs_full_for(tr, t, kind))
            return fd_errf(err, errlen, TRAINER_ERR_NEED_FULL,
                           kind == BCHAIN_INCREMENTAL
                               ? "trainer: target %u cannot take an incremental (no backup, a missed one, "
                                 "a restore since, or differentials after its full): take a full"
                               : "trainer: target %u cannot take a differential (no full, not the live "
                                 "state's full, or incrementals after it): take a full",
                           t);
    trainer_advance(tr, now_s);

    bchain_backup *b = NULL;
    char merr[200] = "";
    rc = mstate_snapshot(tr->live, kind, now_s, &b, merr, sizeof merr);
    if (rc != MSTATE_OK)
        return fd_errf(err, errlen, rc == MSTATE_ERR_NOMEM ? TRAINER_ERR_NOMEM : TRAINER_ERR_CHAIN,
                       "trainer: snapshot: %s", merr);
    const uint64_t id = ++tr->next_id;
    /* As mstate_snapshot moves the live state's bases. */
    tr->base_id = id;
    if (kind == BCHAIN_FULL) tr->full_id = id;
    const double bytes = (double)bchain_backup_bytes(b) * tr->byte_scale;

    /* Copies first, the original last, so a failure leaves no target half done
     * for lack of memory only (links were checked above). */
    int last = -1;
    for (uint32_t t = 0; t < tr->cfg.n_targets; t++)
        if (targets & TRAINER_TARGET(t)) last = (int)t;
    for (uint32_t t = 0; t < tr->cfg.n_targets; t++) {
        if (!(targets & TRAINER_TARGET(t))) continue;
        bchain_backup *copy = b;
        if ((int)t != last && trainer_copy_backup(b, &copy) != BCHAIN_OK) {
            bchain_backup_free(b);
            return fd_errf(err, errlen, TRAINER_ERR_NOMEM, "trainer: out of memory");
        }
        uint64_t cid = 0;
        char berr[200] = "";
        rc = bchain_append(tr->targets[t].chain, copy, &cid, berr, sizeof berr);
        if (rc == BCHAIN_OK)
            rc = trainer_record_copy(&tr->targets[t], id, cid);
        else {
            bchain_backup_free(copy);
            if (copy != b) bchain_backup_free(b);
            return fd_errf(err, errlen, TRAINER_ERR_CHAIN, "trainer: target %u: %s", t, berr);
        }
        if (rc != TRAINER_OK) {
            if (copy != b) bchain_backup_free(b);
            return fd_errf(err, errlen, TRAINER_ERR_NOMEM, "trainer: out of memory");
        }
    }
    if (logical_bytes) *logical_bytes = bytes;
    if (backup_id) *backup_id = id;
    return TRAINER_OK;
}

/* The copy of trainer id `id` on a target. */
static trainer_copy *trainer_find_copy(trainer_target *tg, uint64_t id) { return trainer_copy_by(tg, id, false); }

static trainer_copy *trainer_find_chain_id(trainer_target *tg, uint64_t chain_id) {
    uint64_t id = trainer_id_of(tg, chain_id);
    return id ? trainer_find_copy(tg, id) : NULL;
}

static int trainer_lookup(trainer *tr, uint32_t target, uint64_t id, trainer_copy **out, char *err, size_t errlen) {
    if (!tr || target >= tr->cfg.n_targets)
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: no target %u", target);
    *out = trainer_find_copy(&tr->targets[target], id);
    if (!*out)
        return fd_errf(err, errlen, TRAINER_ERR_NOT_FOUND, "trainer: target %u holds no backup %llu", target,
                       (unsigned long long)id);
    return TRAINER_OK;
}

int trainer_backup_complete(trainer *tr, uint32_t target, uint64_t id, double completed_s, char *err, size_t errlen) {
    trainer_copy *c;
    int rc = trainer_lookup(tr, target, id, &c, err, errlen);
    if (rc != TRAINER_OK) return rc;
    if (c->abandoned)
        return fd_errf(err, errlen, TRAINER_ERR_ABANDONED,
                       "trainer: backup %llu on target %u was abandoned by a restore", (unsigned long long)id, target);
    char berr[200] = "";
    rc = bchain_complete(tr->targets[target].chain, c->chain_id, completed_s, berr, sizeof berr);
    if (rc == BCHAIN_ERR_NOT_FOUND)
        return fd_errf(err, errlen, TRAINER_ERR_NOT_FOUND, "trainer: backup %llu on target %u: %s",
                       (unsigned long long)id, target, berr);
    if (rc != BCHAIN_OK)
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: backup %llu on target %u: %s",
                       (unsigned long long)id, target, berr);
    return TRAINER_OK;
}

int trainer_corrupt(trainer *tr, uint32_t target, uint64_t id, gsl_rng *rng, char *err, size_t errlen) {
    trainer_copy *c;
    int rc = trainer_lookup(tr, target, id, &c, err, errlen);
    if (rc != TRAINER_OK) return rc;
    char berr[200] = "";
    rc = bchain_corrupt(tr->targets[target].chain, c->chain_id, rng, berr, sizeof berr);
    if (rc != BCHAIN_OK)
        return fd_errf(err, errlen, rc == BCHAIN_ERR_NOT_FOUND ? TRAINER_ERR_NOT_FOUND : TRAINER_ERR_INVALID,
                       "trainer: corrupt backup %llu on target %u: %s", (unsigned long long)id, target, berr);
    return TRAINER_OK;
}

int trainer_corrupt_newest(trainer *tr, uint32_t target, gsl_rng *rng, uint64_t *id_out, char *err, size_t errlen) {
    if (id_out) *id_out = 0;
    if (!tr || target >= tr->cfg.n_targets || !rng)
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: bad corrupt arguments");
    trainer_target *tg = &tr->targets[target];
    for (size_t i = bchain_count(tg->chain); i-- > 0;) {
        bchain_info info;
        if (bchain_info_at(tg->chain, i, &info) != BCHAIN_OK || !info.completed) continue;
        trainer_copy *c = trainer_find_chain_id(tg, info.id);
        if (!c) break;
        int rc = trainer_corrupt(tr, target, c->id, rng, err, errlen);
        if (rc == TRAINER_OK && id_out) *id_out = c->id;
        return rc;
    }
    return fd_errf(err, errlen, TRAINER_ERR_NOT_FOUND, "trainer: target %u holds no completed backup", target);
}

int trainer_retention(trainer *tr, uint32_t keep_full, double *logical_bytes_stored, char *err, size_t errlen) {
    if (logical_bytes_stored) *logical_bytes_stored = 0;
    if (!tr || keep_full < 1)
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: retention keeps at least one full backup");
    double total = 0;
    for (uint32_t t = 0; t < tr->cfg.n_targets; t++) {
        char berr[200] = "";
        int rc = bchain_apply_retention(tr->targets[t].chain, keep_full, NULL, NULL, berr, sizeof berr);
        if (rc != BCHAIN_OK) return fd_errf(err, errlen, TRAINER_ERR_CHAIN, "trainer: target %u: %s", t, berr);
        total += trainer_logical_bytes_stored(tr, t);
    }
    if (logical_bytes_stored) *logical_bytes_stored = total;
    return TRAINER_OK;
}

double trainer_logical_bytes_stored(const trainer *tr, uint32_t target) {
    if (!tr || target >= tr->cfg.n_targets) return 0;
    return (double)bchain_bytes_stored(tr->targets[target].chain) * tr->byte_scale;
}

/* --- restore and recall --------------------------------------------------- */

static int trainer_ensure_rec(trainer *tr, char *err, size_t errlen) {
    if (tr->rec) return TRAINER_OK;
    char rerr[200] = "";
    int rc = rec_model_create(&tr->rcfg, tr->cfg.backend, tr->cfg.rec_seed, &tr->rec, rerr, sizeof rerr);
    if (rc != REC_OK) return fd_errf(err, errlen, TRAINER_ERR_KERNEL, "trainer: probe model: %s", rerr);
    return TRAINER_OK;
}

/* Uploads a state's tables into the probe model and runs the probe:
 * retrieval top-k into topk[0 .. q*k), ranking top-k into topk[q*k .. q*k+k). */
static int trainer_probe_run(trainer *tr, const mstate *ms, int32_t *topk, char *err, size_t errlen) {
    const uint32_t rows = mstate_rows(ms);
    char rerr[200] = "";
    for (uint32_t t = 0; t < trainer_probe_tables(tr); t++) {
        /* Rows are contiguous in the state: one table is one block. */
        int32_t rt = t == 0 ? REC_TABLE_ITEMS : REC_TABLE_SPARSE((int32_t)t - 1);
        if (rec_table_upload(tr->rec, rt, 0, rows, mstate_row(ms, t, 0), rerr, sizeof rerr) != REC_OK)
            return fd_errf(err, errlen, TRAINER_ERR_KERNEL, "trainer: upload: %s", rerr);
    }
    const size_t qk = (size_t)tr->cfg.probe_queries * tr->cfg.k;
    rec_retrieval_output ro = {.topk_ids = topk, .topk_scores = tr->topk_scores};
    if (rec_retrieve(tr->rec, &tr->probe->retr, &ro, rerr, sizeof rerr) != REC_OK)
        return fd_errf(err, errlen, TRAINER_ERR_KERNEL, "trainer: retrieve: %s", rerr);
    rec_ranking_output rk = {.scores = tr->scores_tmp, .topk_ids = topk + qk, .topk_scores = tr->topk_scores};
    if (rec_rank(tr->rec, &tr->probe->rank, &rk, rerr, sizeof rerr) != REC_OK)
        return fd_errf(err, errlen, TRAINER_ERR_KERNEL, "trainer: rank: %s", rerr);
    return TRAINER_OK;
}

static int trainer_probe(trainer *tr, const mstate *live, const mstate *restored, trainer_restore_result *res,
                         char *err, size_t errlen) {
    int rc = trainer_ensure_rec(tr, err, errlen);
    if (rc == TRAINER_OK) rc = trainer_probe_run(tr, live, tr->topk_live, err, errlen);
    if (rc == TRAINER_OK) rc = trainer_probe_run(tr, restored, tr->topk_new, err, errlen);
    if (rc != TRAINER_OK) return rc;
    const int32_t q = tr->cfg.probe_queries, k = tr->cfg.k;
    double sum = 0;
    for (int32_t i = 0; i < q; i++)
        sum += rec_topk_recall(tr->topk_new + (size_t)i * k, tr->topk_live + (size_t)i * k, k);
    res->recall_at_k = sum / q;
    res->rank_recall_at_k = rec_topk_recall(tr->topk_new + (size_t)q * k, tr->topk_live + (size_t)q * k, k);
    res->backend = rec_model_backend(tr->rec);
    return TRAINER_OK;
}

int trainer_restore(trainer *tr, double fault_s, uint32_t targets, trainer_restore_result *res, char *err,
                    size_t errlen) {
    if (!tr || !res || !isfinite(fault_s))
        return fd_errf(err, errlen, TRAINER_ERR_INVALID, "trainer: bad restore arguments");
    memset(res, 0, sizeof *res);
    res->target = -1;
    res->recovery_point_s = -1;
    res->k = tr->cfg.k;
    res->recall_at_k = res->rank_recall_at_k = NAN;
    res->backend = tr->cfg.backend;
    if (targets != 0) {
        int rc = trainer_check_targets(tr, targets, err, errlen);
        if (rc != TRAINER_OK) return rc;
    }
    if (tr->frozen ? fault_s != tr->frozen_s : fault_s < tr->now_s)
        return fd_errf(err, errlen, TRAINER_ERR_TIME,
                       "trainer: restore for a fault at %g s, but the trainer is %s %g s", fault_s,
                       tr->frozen ? "frozen at" : "already at", tr->frozen ? tr->frozen_s : tr->now_s);
    trainer_advance(tr, fault_s);

    /* Try each surviving target into a scratch state; keep the best. A
     * successful restore writes every row (a full), so scratch contents and
     * failed partial restores never leak into the result. */
    char merr[200] = "";
    mstate *best = NULL, *scratch = NULL;
    bchain_restore_result best_r = {0};
    for (uint32_t t = 0; t < tr->cfg.n_targets; t++) {
        if (!(targets & TRAINER_TARGET(t))) continue;
        if (!scratch && mstate_clone(tr->live, &scratch, merr, sizeof merr) != MSTATE_OK) {
            mstate_free(best);
            return fd_errf(err, errlen, TRAINER_ERR_NOMEM, "trainer: restore: %s", merr);
        }
        bchain_restore_result r;
        int rc = bchain_restore(tr->targets[t].chain, fault_s, scratch, &r, NULL, 0);
        if (rc != BCHAIN_OK) continue;
        if (!best || r.recovery_point_s > best_r.recovery_point_s ||
            (r.recovery_point_s == best_r.recovery_point_s && r.version > best_r.version)) {
            mstate *tmp = best;
            best = scratch;
            scratch = tmp;
            best_r = r;
            res->target = (int)t;
        }
    }
    mstate_free(scratch);
    if (best) {
        res->restored = true;
        res->recovery_point_s = best_r.recovery_point_s;
        res->state_updated_at_s = best_r.state_updated_at_s;
        res->logical_bytes_read = (double)best_r.bytes_read * tr->byte_scale;
        res->n_applied = best_r.n_applied;
        res->n_corrupt = best_r.n_corrupt;
        res->broken_link = best_r.broken_link;
    } else {
        /* Nothing restorable: the model restarts from its initial tables. */
        int rc = mstate_create(&tr->cfg.state, &best, merr, sizeof merr);
        if (rc != MSTATE_OK) return fd_errf(err, errlen, TRAINER_ERR_NOMEM, "trainer: restore: %s", merr);
    }
    res->live_version = mstate_version(tr->live);
    res->restored_version = mstate_version(best);
    /* Versions are counts along one history; a target left out of an earlier
     * restore may hold a newer state of the history before it (clamped). */
    res->real_lost_updates = res->live_version > res->restored_version ? res->live_version - res->restored_version : 0;
    res->lost_updates = (double)res->real_lost_updates * tr->update_scale;

    if (tr->cfg.probe_queries > 0) {
        int rc = trainer_probe(tr, tr->live, best, res, err, errlen);
        if (rc != TRAINER_OK) {
            mstate_free(best);
            return rc; /* the live state is unchanged: the caller may go on without recall */
        }
    }

    /* The restored state goes live; copies in flight at the fault came from
     * the state that died and never complete. */
    mstate_free(tr->live);
    tr->live = best;
    tr->base_id = tr->full_id = 0;
    if (res->restored) {
        const trainer_target *tg = &tr->targets[res->target];
        tr->base_id = trainer_id_of(tg, best_r.last_id);
        tr->full_id = trainer_id_of(tg, best_r.full_id);
    }
    tr->frozen = false;
    tr->now_s = fault_s;
    for (uint32_t t = 0; t < tr->cfg.n_targets; t++) {
        trainer_target *tg = &tr->targets[t];
        for (size_t i = tg->n_copies; i-- > 0;) {
            trainer_copy *c = &tg->copies[i];
            bchain_info info;
            if (c->abandoned) break; /* everything older was handled by an earlier restore */
            if (bchain_info_of(tg->chain, c->chain_id, &info) != BCHAIN_OK) break; /* retained away */
            if (info.completed) continue;
            c->abandoned = true;
            res->n_abandoned++;
        }
    }
    return TRAINER_OK;
}

/* --- accessors ------------------------------------------------------------ */
double trainer_real_rate(const trainer *tr) { return tr->real_rate; }
double trainer_update_scale(const trainer *tr) { return tr->update_scale; }
double trainer_byte_scale(const trainer *tr) { return tr->byte_scale; }
double trainer_now(const trainer *tr) { return tr->now_s; }
uint64_t trainer_version(const trainer *tr) { return mstate_version(tr->live); }
const mstate *trainer_state(const trainer *tr) { return tr->live; }
const bchain *trainer_chain(const trainer *tr, uint32_t target) {
    return tr && target < tr->cfg.n_targets ? tr->targets[target].chain : NULL;
}
const trainer_config *trainer_get_config(const trainer *tr) { return &tr->cfg; }
