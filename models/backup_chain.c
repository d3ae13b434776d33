#include "models/backup_chain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "models/model_state.h"
#include "util/fd_status.h"

/* The blob starts with the header serialized at fixed offsets, so the
 * checksum covers what the backup says about itself as well as its rows, and
 * even an incremental with no rows has bytes that can rot. */
#define BCHAIN_MAGIC             UINT32_C(0x4b424446) /* "FDBK" little-endian */
#define BCHAIN_HEADER_BYTES      64u
#define BCHAIN_ENTRY_INDEX_BYTES 8u /* uint32 table, uint32 row */

/* bchain_corrupt flips this many distinct bytes at most: enough to look like
 * a torn sector, few enough that the damage stays local. */
#define BCHAIN_CORRUPT_MAX_BYTES 4u

struct bchain_backup {
    bchain_header h;
    uint64_t entry_bytes;
    uint64_t bytes;
    unsigned char *blob;
    uint64_t checksum;
    bool sealed;
};

typedef struct bchain_slot {
    bchain_backup *b;
    uint64_t id;
    uint64_t parent_id;
    bool completed;
    double completed_at_s;
    bool corrupt;
} bchain_slot;

struct bchain {
    bchain_slot *slots;
    size_t count, capacity;
    uint64_t next_id;
    uint64_t bytes_stored;
};

/* --- backups ------------------------------------------------------------- */

static void bchain_put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, sizeof v); }
static void bchain_put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, sizeof v); }
static void bchain_put_f64(unsigned char *p, double v) { memcpy(p, &v, sizeof v); }

static void bchain_write_header(unsigned char *p, const bchain_header *h) {
    bchain_put_u32(p + 0, BCHAIN_MAGIC);
    bchain_put_u32(p + 4, (uint32_t)h->kind);
    bchain_put_u64(p + 8, h->version);
    bchain_put_f64(p + 16, h->taken_at_s);
    bchain_put_f64(p + 24, h->state_updated_at_s);
    bchain_put_u64(p + 32, h->parent_version);
    bchain_put_u32(p + 40, h->n_tables);
    bchain_put_u32(p + 44, h->rows);
    bchain_put_u32(p + 48, h->dim);
    bchain_put_u32(p + 52, 0);
    bchain_put_u64(p + 56, h->n_entries);
}

int bchain_backup_create(const bchain_header *h, bchain_backup **out, char *err, size_t errlen) {
    if (!out) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "backup: out is NULL");
    *out = NULL;
    if (!h) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "backup: header is NULL");
    if (h->kind != BCHAIN_FULL && h->kind != BCHAIN_INCREMENTAL && h->kind != BCHAIN_DIFFERENTIAL)
        return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "backup: unknown kind %d", (int)h->kind);
    if (h->n_tables == 0 || h->rows == 0 || h->dim == 0)
        return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "backup: shape %u x %u x %u has a zero extent", h->n_tables,
                       h->rows, h->dim);
    if (!isfinite(h->taken_at_s)) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "backup: taken_at_s is not finite");
    if (h->n_entries > (uint64_t)h->n_tables * h->rows)
        return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "backup: %llu entries exceed the %llu rows of the state",
                       (unsigned long long)h->n_entries, (unsigned long long)h->n_tables * h->rows);
    const uint64_t entry_bytes = BCHAIN_ENTRY_INDEX_BYTES + (uint64_t)h->dim * sizeof(float);
    if (h->n_entries > (SIZE_MAX - BCHAIN_HEADER_BYTES) / entry_bytes)
        return fd_errf(err, errlen, BCHAIN_ERR_NOMEM, "backup: %llu entries do not fit memory",
                       (unsigned long long)h->n_entries);

    bchain_backup *b = calloc(1, sizeof *b);
    if (!b) return fd_errf(err, errlen, BCHAIN_ERR_NOMEM, "backup: out of memory");
    b->h = *h;
    b->entry_bytes = entry_bytes;
    b->bytes = BCHAIN_HEADER_BYTES + h->n_entries * entry_bytes;
    /* Zeroed so that entries the caller forgot to set are deterministic. */
    b->blob = calloc(1, (size_t)b->bytes);
    if (!b->blob) {
        free(b);
        return fd_errf(err, errlen, BCHAIN_ERR_NOMEM, "backup: out of memory for %llu bytes",
                       (unsigned long long)(BCHAIN_HEADER_BYTES + h->n_entries * entry_bytes));
    }
    bchain_write_header(b->blob, h);
    *out = b;
    return BCHAIN_OK;
}

void bchain_backup_free(bchain_backup *b) {
    if (!b) return;
    free(b->blob);
    free(b);
}

int bchain_backup_set_entry(bchain_backup *b, uint64_t i, uint32_t table, uint32_t row, const float *data) {
    if (!b || !data || i >= b->h.n_entries || table >= b->h.n_tables || row >= b->h.rows) return BCHAIN_ERR_INVALID;
    unsigned char *p = b->blob + BCHAIN_HEADER_BYTES + i * b->entry_bytes;
    bchain_put_u32(p, table);
    bchain_put_u32(p + 4, row);
    memcpy(p + BCHAIN_ENTRY_INDEX_BYTES, data, (size_t)b->h.dim * sizeof(float));
    b->sealed = false;
    return BCHAIN_OK;
}

static uint64_t bchain_blob_hash(const bchain_backup *b) { return (uint64_t)XXH3_64bits(b->blob, (size_t)b->bytes); }

void bchain_backup_seal(bchain_backup *b) {
    if (!b) return;
    b->checksum = bchain_blob_hash(b);
    b->sealed = true;
}

const bchain_header *bchain_backup_header(const bchain_backup *b) { return &b->h; }
uint64_t bchain_backup_bytes(const bchain_backup *b) { return b->bytes; }
uint64_t bchain_backup_checksum(const bchain_backup *b) { return b->checksum; }

int bchain_backup_get_entry(const bchain_backup *b, uint64_t i, uint32_t *table, uint32_t *row, const void **data) {
    if (!b || !table || !row || !data || i >= b->h.n_entries) return BCHAIN_ERR_INVALID;
    const unsigned char *p = b->blob + BCHAIN_HEADER_BYTES + i * b->entry_bytes;
    uint32_t t, r;
    memcpy(&t, p, sizeof t);
    memcpy(&r, p + 4, sizeof r);
    if (t >= b->h.n_tables || r >= b->h.rows) return BCHAIN_ERR_INVALID;
    *table = t;
    *row = r;
    *data = p + BCHAIN_ENTRY_INDEX_BYTES;
    return BCHAIN_OK;
}

int bchain_backup_verify(const bchain_backup *b) {
    if (!b) return BCHAIN_ERR_INVALID;
    return b->sealed && bchain_blob_hash(b) == b->checksum ? BCHAIN_OK : BCHAIN_ERR_CHECKSUM;
}

/* --- chains -------------------------------------------------------------- */

bchain *bchain_create(void) {
    bchain *c = calloc(1, sizeof *c);
    if (c) c->next_id = 1;
    return c;
}

void bchain_free(bchain *c) {
    if (!c) return;
    for (size_t i = 0; i < c->count; i++) bchain_backup_free(c->slots[i].b);
    free(c->slots);
    free(c);
}

static bchain_slot *bchain_find(const bchain *c, uint64_t id) {
    if (!c) return NULL;
    /* Ids increase along the chain: binary search. */
    size_t lo = 0, hi = c->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->slots[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->count && c->slots[lo].id == id ? &c->slots[lo] : NULL;
}

int bchain_append(bchain *c, bchain_backup *b, uint64_t *id_out, char *err, size_t errlen) {
    if (!c || !b) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "chain: chain or backup is NULL");
    if (!b->sealed) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "chain: backup is not sealed");
    const bchain_slot *last = c->count ? &c->slots[c->count - 1] : NULL;
    if (last && b->h.taken_at_s < last->b->h.taken_at_s)
        return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "chain: backup taken at %g s precedes the newest one (%g s)",
                       b->h.taken_at_s, last->b->h.taken_at_s);
    /* The newest full and whether incrementals or differentials follow it:
     * a partial backup's parent is found from there. */
    const bchain_slot *full = NULL;
    bool after_inc = false, after_diff = false;
    for (size_t i = c->count; i-- > 0 && !full;) {
        const bchain_slot *s = &c->slots[i];
        if (s->b->h.kind == BCHAIN_FULL)
            full = s;
        else if (s->b->h.kind == BCHAIN_INCREMENTAL)
            after_inc = true;
        else
            after_diff = true;
    }
    uint64_t parent_id = 0;
    if (b->h.kind == BCHAIN_INCREMENTAL) {
        if (!last) return fd_errf(err, errlen, BCHAIN_ERR_LINK, "chain: incremental backup has no backup to follow");
        if (last->b->h.version != b->h.parent_version)
            return fd_errf(err, errlen, BCHAIN_ERR_LINK,
                           "chain: incremental follows version %llu, newest backup holds %llu",
                           (unsigned long long)b->h.parent_version, (unsigned long long)last->b->h.version);
        if (after_diff)
            return fd_errf(err, errlen, BCHAIN_ERR_LINK,
                           "chain: cannot mix incremental and differential backups after full backup %llu: "
                           "take a full first",
                           (unsigned long long)(full ? full->id : 0));
        parent_id = last->id;
    } else if (b->h.kind == BCHAIN_DIFFERENTIAL) {
        if (!full)
            return fd_errf(err, errlen, BCHAIN_ERR_LINK, "chain: differential backup has no full backup to follow");
        if (full->b->h.version != b->h.parent_version)
            return fd_errf(err, errlen, BCHAIN_ERR_LINK,
                           "chain: differential follows full version %llu, newest full backup %llu holds %llu",
                           (unsigned long long)b->h.parent_version, (unsigned long long)full->id,
                           (unsigned long long)full->b->h.version);
        if (after_inc)
            return fd_errf(err, errlen, BCHAIN_ERR_LINK,
                           "chain: cannot mix differential and incremental backups after full backup %llu: "
                           "take a full first",
                           (unsigned long long)full->id);
        parent_id = full->id;
    }
    if (c->count == c->capacity) {
        size_t cap = c->capacity ? 2 * c->capacity : 16;
        bchain_slot *slots = realloc(c->slots, cap * sizeof *slots);
        if (!slots) return fd_errf(err, errlen, BCHAIN_ERR_NOMEM, "chain: out of memory");
        c->slots = slots;
        c->capacity = cap;
    }
    bchain_slot *s = &c->slots[c->count];
    *s = (bchain_slot){
        .b = b,
        .id = c->next_id++,
        .parent_id = parent_id,
    };
    c->count++;
    c->bytes_stored += b->bytes;
    if (id_out) *id_out = s->id;
    return BCHAIN_OK;
}

int bchain_complete(bchain *c, uint64_t id, double completed_at_s, char *err, size_t errlen) {
    bchain_slot *s = bchain_find(c, id);
    if (!s) return fd_errf(err, errlen, BCHAIN_ERR_NOT_FOUND, "chain: no backup %llu", (unsigned long long)id);
    if (s->completed)
        return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "chain: backup %llu already completed", (unsigned long long)id);
    if (!(completed_at_s >= s->b->h.taken_at_s) || !isfinite(completed_at_s))
        return fd_errf(err, errlen, BCHAIN_ERR_INVALID,
                       "chain: backup %llu completed at %g s, before it was taken (%g s)", (unsigned long long)id,
                       completed_at_s, s->b->h.taken_at_s);
    s->completed = true;
    s->completed_at_s = completed_at_s;
    return BCHAIN_OK;
}

int bchain_corrupt(bchain *c, uint64_t id, gsl_rng *rng, char *err, size_t errlen) {
    if (!rng) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "chain: rng is NULL");
    bchain_slot *s = bchain_find(c, id);
    if (!s) return fd_errf(err, errlen, BCHAIN_ERR_NOT_FOUND, "chain: no backup %llu", (unsigned long long)id);
    bchain_backup *b = s->b;
    unsigned n = 1 + (unsigned)gsl_rng_uniform_int(rng, BCHAIN_CORRUPT_MAX_BYTES);
    uint64_t pos[BCHAIN_CORRUPT_MAX_BYTES];
    /* Distinct positions, each XORed with a nonzero byte: every chosen byte
     * really changes, so the blob always differs from what was sealed. The
     * blob is never shorter than its header, so distinct positions exist. */
    for (unsigned k = 0; k < n; k++) {
        bool fresh;
        do {
            pos[k] = (uint64_t)(gsl_rng_uniform(rng) * (double)b->bytes);
            if (pos[k] >= b->bytes) pos[k] = b->bytes - 1;
            fresh = true;
            for (unsigned j = 0; j < k; j++) fresh = fresh && pos[j] != pos[k];
        } while (!fresh);
        b->blob[pos[k]] ^= (unsigned char)(1 + gsl_rng_uniform_int(rng, 255));
    }
    s->corrupt = true;
    return BCHAIN_OK;
}

int bchain_verify(const bchain *c, uint64_t id) {
    const bchain_slot *s = bchain_find(c, id);
    return s ? bchain_backup_verify(s->b) : BCHAIN_ERR_NOT_FOUND;
}

size_t bchain_count(const bchain *c) { return c ? c->count : 0; }
uint64_t bchain_bytes_stored(const bchain *c) { return c ? c->bytes_stored : 0; }

static void bchain_fill_info(const bchain_slot *s, bchain_info *out) {
    *out = (bchain_info){
        .id = s->id,
        .parent_id = s->parent_id,
        .header = s->b->h,
        .completed = s->completed,
        .completed_at_s = s->completed_at_s,
        .bytes = s->b->bytes,
        .checksum = s->b->checksum,
        .corrupt = s->corrupt,
    };
}

int bchain_info_at(const bchain *c, size_t index, bchain_info *out) {
    if (!c || !out || index >= c->count) return BCHAIN_ERR_NOT_FOUND;
    bchain_fill_info(&c->slots[index], out);
    return BCHAIN_OK;
}

int bchain_info_of(const bchain *c, uint64_t id, bchain_info *out) {
    const bchain_slot *s = bchain_find(c, id);
    if (!s || !out) return BCHAIN_ERR_NOT_FOUND;
    bchain_fill_info(s, out);
    return BCHAIN_OK;
}

int bchain_apply_retention(bchain *c, uint32_t keep_full, size_t *dropped_out, uint64_t *bytes_stored_out, char *err,
                           size_t errlen) {
    if (!c) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "chain: chain is NULL");
    if (keep_full < 1)
        return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "chain: retention must keep at least 1 full backup, got %u",
                       keep_full);
    size_t keep_from = 0;
    uint32_t seen = 0;
    for (size_t i = c->count; i-- > 0;) {
        const bchain_slot *s = &c->slots[i];
        if (s->b->h.kind == BCHAIN_FULL && s->completed && ++seen == keep_full) {
            keep_from = i;
            break;
        }
    }
    for (size_t i = 0; i < keep_from; i++) {
        c->bytes_stored -= c->slots[i].b->bytes;
        bchain_backup_free(c->slots[i].b);
    }
    if (keep_from > 0) {
        memmove(c->slots, c->slots + keep_from, (c->count - keep_from) * sizeof *c->slots);
        c->count -= keep_from;
    }
    if (dropped_out) *dropped_out = keep_from;
    if (bytes_stored_out) *bytes_stored_out = c->bytes_stored;
    return BCHAIN_OK;
}

static bool bchain_usable(const bchain_slot *s, double as_of_s) { return s->completed && s->completed_at_s <= as_of_s; }

static void bchain_restore_took(bchain_restore_result *res, const bchain_slot *s) {
    res->last_id = s->id;
    res->n_applied++;
    res->version = s->b->h.version;
    res->recovery_point_s = s->b->h.taken_at_s;
    res->state_updated_at_s = s->b->h.state_updated_at_s;
}

/* The full at slots[full_i] is loaded into target: applies the newest usable
 * differential after it (up to the next full) that verifies. Each stands on
 * the full alone, so a corrupt one costs only the step back to the one
 * before it, never the rest of the chain. */
static int bchain_restore_differential(const bchain *c, size_t full_i, double as_of_s, mstate *target,
                                       bchain_restore_result *res, char *err, size_t errlen) {
    size_t end = full_i + 1;
    while (end < c->count && c->slots[end].b->h.kind != BCHAIN_FULL) end++;
    char merr[200];
    for (size_t j = end; j-- > full_i + 1;) {
        const bchain_slot *d = &c->slots[j];
        if (d->b->h.kind != BCHAIN_DIFFERENTIAL || !bchain_usable(d, as_of_s)) continue;
        res->bytes_read += d->b->bytes;
        if (bchain_backup_verify(d->b) != BCHAIN_OK) {
            res->n_corrupt++;
            continue;
        }
        /* Append links every differential to the newest full and verified
         * bytes load as taken, so a failure here means an inconsistent chain. */
        if (d->parent_id != res->full_id || mstate_load_backup(target, d->b, merr, sizeof merr) != MSTATE_OK)
            return fd_errf(err, errlen, BCHAIN_ERR_APPLY,
                           "restore: differential backup %llu does not follow full backup %llu",
                           (unsigned long long)d->id, (unsigned long long)res->full_id);
        bchain_restore_took(res, d);
        break;
    }
    return BCHAIN_OK;
}

int bchain_restore(const bchain *c, double as_of_s, mstate *target, bchain_restore_result *res, char *err,
                   size_t errlen) {
    if (!res) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "restore: result is NULL");
    *res = (bchain_restore_result){0};
    if (!c || !target) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "restore: chain or target is NULL");
    if (isnan(as_of_s)) return fd_errf(err, errlen, BCHAIN_ERR_INVALID, "restore: as_of_s is NaN");

    char merr[200];
    for (size_t i = c->count; i-- > 0;) {
        const bchain_slot *full = &c->slots[i];
        if (full->b->h.kind != BCHAIN_FULL || !bchain_usable(full, as_of_s)) continue;
        res->bytes_read += full->b->bytes;
        if (bchain_backup_verify(full->b) != BCHAIN_OK) {
            res->n_corrupt++;
            continue;
        }
        if (mstate_load_backup(target, full->b, merr, sizeof merr) != MSTATE_OK)
            return fd_errf(err, errlen, BCHAIN_ERR_APPLY, "restore: full backup %llu: %s", (unsigned long long)full->id,
                           merr);
        res->full_id = res->last_id = full->id;
        res->n_applied = 1;
        res->version = full->b->h.version;
        res->recovery_point_s = full->b->h.taken_at_s;
        res->state_updated_at_s = full->b->h.state_updated_at_s;
        if (i + 1 < c->count && c->slots[i + 1].b->h.kind == BCHAIN_DIFFERENTIAL)
            return bchain_restore_differential(c, i, as_of_s, target, res, err, errlen);

        for (size_t j = i + 1; j < c->count; j++) {
            const bchain_slot *inc = &c->slots[j];
            if (inc->b->h.kind != BCHAIN_INCREMENTAL || !bchain_usable(inc, as_of_s)) break;
            res->bytes_read += inc->b->bytes;
            if (bchain_backup_verify(inc->b) != BCHAIN_OK) {
                res->n_corrupt++;
                res->broken_link = true;
                break;
            }
            /* Append links every incremental to the backup before it, and
             * each was verified before loading, so a failure here means the
             * chain itself is inconsistent: say so rather than stop quietly. */
            if (inc->parent_id != res->last_id || mstate_load_backup(target, inc->b, merr, sizeof merr) != MSTATE_OK)
                return fd_errf(err, errlen, BCHAIN_ERR_APPLY,
                               "restore: incremental backup %llu does not follow backup %llu",
                               (unsigned long long)inc->id, (unsigned long long)res->last_id);
            bchain_restore_took(res, inc);
        }
        return BCHAIN_OK;
    }
    return fd_errf(err, errlen, BCHAIN_ERR_NO_BACKUP,
                   "restore: no completed full backup at or before %g s verifies "
                   "(%u corrupt)",
                   as_of_s, res->n_corrupt);
}
