#include "models/model_state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "util/fd_status.h"

struct mstate {
    mstate_config cfg;
    uint64_t n_floats;        /* n_tables * rows * dim */
    float *data;              /* table-major, then row-major */
    uint64_t words_per_table; /* dirty bitmap words per table */
    uint64_t *dirty_bits;     /* since the previous backup: n_tables * words_per_table */
    uint64_t dirty_total;
    uint64_t *full_bits; /* since the full (see model_state.h): same layout */
    uint64_t full_total;
    /* Every table has the same row count and exponent, so one alias table
     * serves all of them: built once here, O(1) per draw afterwards. */
    gsl_ran_discrete_t *zipf;
    uint64_t version;
    double updated_at_s;
    bool has_base;         /* a snapshot was taken or a backup loaded */
    uint64_t base_version; /* the version of that backup */
    bool has_full;         /* a full was taken or loaded: differentials can follow */
    uint64_t full_version; /* the version of that full */
};

mstate_config mstate_config_default(void) {
    return (mstate_config){
        .n_tables = 4,
        .rows = 4096,
        .dim = 16,
        .zipf_exponent = 1.05,
        .init_scale = 0.05,
        .update_scale = 1e-3,
        .seed = 1,
    };
}

static int mstate_validate(const mstate_config *cfg, char *err, size_t errlen) {
    if (!cfg) return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state: config is NULL");
    if (cfg->n_tables < 1 || cfg->n_tables > MSTATE_MAX_TABLES)
        return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state.n_tables: must be in 1..%u, got %u",
                       MSTATE_MAX_TABLES, cfg->n_tables);
    if (cfg->rows < 1 || cfg->rows > MSTATE_MAX_ROWS)
        return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state.rows: must be in 1..%u, got %u", MSTATE_MAX_ROWS,
                       cfg->rows);
    if (cfg->dim < 1 || cfg->dim > MSTATE_MAX_DIM)
        return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state.dim: must be in 1..%u, got %u", MSTATE_MAX_DIM,
                       cfg->dim);
    if (!(cfg->zipf_exponent >= 0.0) || !isfinite(cfg->zipf_exponent))
        return fd_errf(err, errlen, MSTATE_ERR_INVALID,
                       "model_state.zipf_exponent: must be a finite number >= 0, got %g", cfg->zipf_exponent);
    if (!(cfg->init_scale >= 0.0) || !isfinite(cfg->init_scale))
        return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state.init_scale: must be a finite number >= 0, got %g",
                       cfg->init_scale);
    if (!(cfg->update_scale >= 0.0) || !isfinite(cfg->update_scale))
        return fd_errf(err, errlen, MSTATE_ERR_INVALID,
                       "model_state.update_scale: must be a finite number >= 0, got %g", cfg->update_scale);
    return MSTATE_OK;
}

/* Allocates everything but fills nothing, so create and clone share it. */
static int mstate_alloc(const mstate_config *cfg, mstate **out, char *err, size_t errlen) {
    mstate *ms = calloc(1, sizeof *ms);
    if (!ms) return fd_errf(err, errlen, MSTATE_ERR_NOMEM, "model_state: out of memory");
    ms->cfg = *cfg;
    ms->n_floats = (uint64_t)cfg->n_tables * cfg->rows * cfg->dim;
    ms->words_per_table = ((uint64_t)cfg->rows + 63) / 64;
    ms->data = malloc((size_t)ms->n_floats * sizeof(float));
    ms->dirty_bits = calloc((size_t)(cfg->n_tables * ms->words_per_table), sizeof(uint64_t));
    ms->full_bits = calloc((size_t)(cfg->n_tables * ms->words_per_table), sizeof(uint64_t));
    double *weights = malloc((size_t)cfg->rows * sizeof(double));
    if (ms->data && ms->dirty_bits && ms->full_bits && weights) {
        for (uint32_t k = 0; k < cfg->rows; k++) weights[k] = pow((double)k + 1.0, -cfg->zipf_exponent);
        ms->zipf = gsl_ran_discrete_preproc(cfg->rows, weights);
    }
    free(weights);
    if (!ms->zipf) {
        mstate_free(ms);
        return fd_errf(err, errlen, MSTATE_ERR_NOMEM, "model_state: out of memory for %u x %u x %u tables",
                       cfg->n_tables, cfg->rows, cfg->dim);
    }
    *out = ms;
    return MSTATE_OK;
}

int mstate_create(const mstate_config *cfg, mstate **out, char *err, size_t errlen) {
    if (!out) return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state: out is NULL");
    *out = NULL;
    int rc = mstate_validate(cfg, err, errlen);
    if (rc != MSTATE_OK) return rc;
    mstate *ms;
    rc = mstate_alloc(cfg, &ms, err, errlen);
    if (rc != MSTATE_OK) return rc;

    gsl_rng *init = gsl_rng_alloc(gsl_rng_mt19937);
    if (!init) {
        mstate_free(ms);
        return fd_errf(err, errlen, MSTATE_ERR_NOMEM, "model_state: out of memory");
    }
    /* MT19937 keeps 32 bits of its seed: fold the high half in so that seeds
     * differing only there still give different tables. */
    gsl_rng_set(init, (unsigned long)((cfg->seed ^ (cfg->seed >> 32)) & 0xffffffffu));
    for (uint64_t i = 0; i < ms->n_floats; i++)
        ms->data[i] = (float)((2.0 * gsl_rng_uniform(init) - 1.0) * cfg->init_scale);
    gsl_rng_free(init);
    *out = ms;
    return MSTATE_OK;
}

int mstate_clone(const mstate *src, mstate **out, char *err, size_t errlen) {
    if (!out) return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state: out is NULL");
    *out = NULL;
    if (!src) return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state: source is NULL");
    mstate *ms;
    int rc = mstate_alloc(&src->cfg, &ms, err, errlen);
    if (rc != MSTATE_OK) return rc;
    memcpy(ms->data, src->data, (size_t)src->n_floats * sizeof(float));
    const size_t bitmap_bytes = (size_t)(src->cfg.n_tables * src->words_per_table) * sizeof(uint64_t);
    memcpy(ms->dirty_bits, src->dirty_bits, bitmap_bytes);
    memcpy(ms->full_bits, src->full_bits, bitmap_bytes);
    ms->dirty_total = src->dirty_total;
    ms->full_total = src->full_total;
    ms->version = src->version;
    ms->updated_at_s = src->updated_at_s;
    ms->has_base = src->has_base;
    ms->base_version = src->base_version;
    ms->has_full = src->has_full;
    ms->full_version = src->full_version;
    *out = ms;
    return MSTATE_OK;
}

void mstate_free(mstate *ms) {
    if (!ms) return;
    if (ms->zipf) gsl_ran_discrete_free(ms->zipf);
    free(ms->dirty_bits);
    free(ms->full_bits);
    free(ms->data);
    free(ms);
}

static float *mstate_row_mut(mstate *ms, uint32_t table, uint32_t row) {
    return ms->data + ((uint64_t)table * ms->cfg.rows + row) * ms->cfg.dim;
}

/* Sets a row's bit in one bitmap, counting it once. */
static void mstate_set_bit(const mstate *ms, uint64_t *bits, uint64_t *total, uint32_t table, uint32_t row) {
    uint64_t *word = &bits[table * ms->words_per_table + row / 64];
    uint64_t bit = UINT64_C(1) << (row % 64);
    if (!(*word & bit)) {
        *word |= bit;
        (*total)++;
    }
}

static void mstate_mark_dirty(mstate *ms, uint32_t table, uint32_t row) {
    mstate_set_bit(ms, ms->dirty_bits, &ms->dirty_total, table, row);
    mstate_set_bit(ms, ms->full_bits, &ms->full_total, table, row);
}

static void mstate_clear_bits(const mstate *ms, uint64_t *bits, uint64_t *total) {
    memset(bits, 0, (size_t)(ms->cfg.n_tables * ms->words_per_table) * sizeof(uint64_t));
    *total = 0;
}

void mstate_apply_updates(mstate *ms, gsl_rng *rng, uint64_t n_updates, double now_s) {
    if (!ms || !rng || n_updates == 0) return;
    for (uint64_t u = 0; u < n_updates; u++) {
        uint32_t table = (uint32_t)gsl_rng_uniform_int(rng, ms->cfg.n_tables);
        uint32_t row = (uint32_t)gsl_ran_discrete(rng, ms->zipf);
        float *v = mstate_row_mut(ms, table, row);
        for (uint32_t j = 0; j < ms->cfg.dim; j++) v[j] += (float)gsl_ran_gaussian(rng, ms->cfg.update_scale);
        mstate_mark_dirty(ms, table, row);
    }
    ms->version += n_updates;
    ms->updated_at_s = now_s;
}

int mstate_snapshot(mstate *ms, bchain_kind kind, double now_s, bchain_backup **out, char *err, size_t errlen) {
    if (!out) return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state: out is NULL");
    *out = NULL;
    if (!ms) return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state: state is NULL");
    if (kind != BCHAIN_FULL && kind != BCHAIN_INCREMENTAL && kind != BCHAIN_DIFFERENTIAL)
        return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state: unknown backup kind %d", (int)kind);
    if (kind == BCHAIN_INCREMENTAL && !ms->has_base)
        return fd_errf(err, errlen, MSTATE_ERR_NO_BASE,
                       "model_state: an incremental backup needs an earlier backup to follow");
    if (kind == BCHAIN_DIFFERENTIAL && !ms->has_full)
        return fd_errf(err, errlen, MSTATE_ERR_NO_BASE,
                       "model_state: a differential backup needs an earlier full backup to follow");

    const uint32_t n_tables = ms->cfg.n_tables, rows = ms->cfg.rows;
    /* The rows a partial backup carries: since the previous backup or since the full. */
    const uint64_t *carried = kind == BCHAIN_DIFFERENTIAL ? ms->full_bits : ms->dirty_bits;
    uint64_t n_entries = (uint64_t)n_tables * rows, parent = 0;
    if (kind == BCHAIN_INCREMENTAL) {
        n_entries = ms->dirty_total;
        parent = ms->base_version;
    } else if (kind == BCHAIN_DIFFERENTIAL) {
        n_entries = ms->full_total;
        parent = ms->full_version;
    }
    bchain_header h = {
        .kind = kind,
        .version = ms->version,
        .taken_at_s = now_s,
        .state_updated_at_s = ms->updated_at_s,
        .parent_version = parent,
        .n_tables = n_tables,
        .rows = rows,
        .dim = ms->cfg.dim,
        .n_entries = n_entries,
    };
    bchain_backup *b;
    char berr[160];
    int rc = bchain_backup_create(&h, &b, berr, sizeof berr);
    if (rc != BCHAIN_OK)
        return fd_errf(err, errlen, rc == BCHAIN_ERR_NOMEM ? MSTATE_ERR_NOMEM : MSTATE_ERR_INVALID,
                       "model_state: snapshot: %s", berr);

    uint64_t i = 0;
    for (uint32_t t = 0; t < n_tables; t++) {
        if (kind == BCHAIN_FULL) {
            for (uint32_t r = 0; r < rows; r++, i++) bchain_backup_set_entry(b, i, t, r, mstate_row_mut(ms, t, r));
            continue;
        }
        const uint64_t *words = &carried[t * ms->words_per_table];
        for (uint64_t w = 0; w < ms->words_per_table; w++) {
            for (uint64_t bits = words[w]; bits; bits &= bits - 1) {
                uint32_t r = (uint32_t)(w * 64 + (uint64_t)__builtin_ctzll(bits));
                bchain_backup_set_entry(b, i++, t, r, mstate_row_mut(ms, t, r));
            }
        }
    }
    bchain_backup_seal(b);
    mstate_clear_bits(ms, ms->dirty_bits, &ms->dirty_total);
    ms->has_base = true;
    ms->base_version = ms->version;
    if (kind == BCHAIN_FULL) {
        mstate_clear_bits(ms, ms->full_bits, &ms->full_total);
        ms->has_full = true;
        ms->full_version = ms->version;
    }
    *out = b;
    return MSTATE_OK;
}

int mstate_load_backup(mstate *ms, const bchain_backup *b, char *err, size_t errlen) {
    if (!ms || !b) return fd_errf(err, errlen, MSTATE_ERR_INVALID, "model_state: state or backup is NULL");
    const bchain_header *h = bchain_backup_header(b);
    if (h->n_tables != ms->cfg.n_tables || h->rows != ms->cfg.rows || h->dim != ms->cfg.dim)
        return fd_errf(err, errlen, MSTATE_ERR_SHAPE,
                       "model_state: backup of %u x %u x %u tables does not fit %u x %u x %u", h->n_tables, h->rows,
                       h->dim, ms->cfg.n_tables, ms->cfg.rows, ms->cfg.dim);
    const uint64_t all_rows = (uint64_t)ms->cfg.n_tables * ms->cfg.rows;
    if (h->kind == BCHAIN_FULL && h->n_entries != all_rows)
        return fd_errf(err, errlen, MSTATE_ERR_SHAPE, "model_state: full backup carries %llu of %llu rows",
                       (unsigned long long)h->n_entries, (unsigned long long)all_rows);
    if (h->kind != BCHAIN_FULL && h->parent_version != ms->version)
        return fd_errf(err, errlen, MSTATE_ERR_LINK, "model_state: %s backup follows version %llu, state is at %llu",
                       h->kind == BCHAIN_DIFFERENTIAL ? "differential" : "incremental",
                       (unsigned long long)h->parent_version, (unsigned long long)ms->version);

    uint32_t table, row;
    const void *src;
    for (uint64_t i = 0; i < h->n_entries; i++) {
        if (bchain_backup_get_entry(b, i, &table, &row, &src) != BCHAIN_OK)
            return fd_errf(err, errlen, MSTATE_ERR_SHAPE, "model_state: backup entry %llu is out of range",
                           (unsigned long long)i);
    }
    mstate_clear_bits(ms, ms->dirty_bits, &ms->dirty_total);
    if (h->kind == BCHAIN_FULL) {
        ms->has_full = true;
        ms->full_version = h->version;
    }
    /* A differential replaces whatever the state held since its full; an
     * incremental's rows come on top of those of the backups under it. */
    if (h->kind != BCHAIN_INCREMENTAL) mstate_clear_bits(ms, ms->full_bits, &ms->full_total);
    if (h->kind == BCHAIN_DIFFERENTIAL) {
        ms->has_full = true;
        ms->full_version = h->parent_version;
    }
    for (uint64_t i = 0; i < h->n_entries; i++) {
        bchain_backup_get_entry(b, i, &table, &row, &src);
        memcpy(mstate_row_mut(ms, table, row), src, (size_t)ms->cfg.dim * sizeof(float));
        if (h->kind != BCHAIN_FULL) mstate_set_bit(ms, ms->full_bits, &ms->full_total, table, row);
    }
    ms->version = h->version;
    ms->updated_at_s = h->state_updated_at_s;
    ms->has_base = true;
    ms->base_version = h->version;
    return MSTATE_OK;
}

bool mstate_equal(const mstate *a, const mstate *b) {
    if (!a || !b) return a == b;
    if (a->cfg.n_tables != b->cfg.n_tables || a->cfg.rows != b->cfg.rows || a->cfg.dim != b->cfg.dim) return false;
    return memcmp(a->data, b->data, (size_t)a->n_floats * sizeof(float)) == 0;
}

uint64_t mstate_version(const mstate *ms) { return ms->version; }
double mstate_updated_at_s(const mstate *ms) { return ms->updated_at_s; }
uint64_t mstate_bytes(const mstate *ms) { return ms->n_floats * sizeof(float); }
uint64_t mstate_dirty_rows(const mstate *ms) { return ms->dirty_total; }
uint64_t mstate_dirty_rows_since_full(const mstate *ms) { return ms->full_total; }
uint32_t mstate_n_tables(const mstate *ms) { return ms->cfg.n_tables; }
uint32_t mstate_rows(const mstate *ms) { return ms->cfg.rows; }
uint32_t mstate_dim(const mstate *ms) { return ms->cfg.dim; }

bool mstate_row_dirty(const mstate *ms, uint32_t table, uint32_t row) {
    if (!ms || table >= ms->cfg.n_tables || row >= ms->cfg.rows) return false;
    return (ms->dirty_bits[table * ms->words_per_table + row / 64] >> (row % 64)) & 1u;
}

bool mstate_row_dirty_since_full(const mstate *ms, uint32_t table, uint32_t row) {
    if (!ms || table >= ms->cfg.n_tables || row >= ms->cfg.rows) return false;
    return (ms->full_bits[table * ms->words_per_table + row / 64] >> (row % 64)) & 1u;
}

const float *mstate_row(const mstate *ms, uint32_t table, uint32_t row) {
    if (!ms || table >= ms->cfg.n_tables || row >= ms->cfg.rows) return NULL;
    return ms->data + ((uint64_t)table * ms->cfg.rows + row) * ms->cfg.dim;
}
