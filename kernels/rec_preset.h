/* Model presets: the shape of a recommendation model as data, not code
 * (kernels/models/NAME.json, documented in kernels/models/README.md). A
 * preset gives the rec_config of its model at its logical size, the rows
 * each table has in production (documentation, and the proportions a
 * memory budget keeps), the multi-hot pooling of each sparse feature, and
 * the candidates a query ranks by default.
 *
 * Logical sizes do not fit CI: rec_preset_size() scales every ranking table
 * down proportionally to a memory budget (never below REC_PRESET_MIN_ROWS
 * rows, never above the logical rows) and says how many bytes it kept.
 * A retrieval catalogue is not scaled: brute-force retrieval scans every
 * row, so its cost is proportional to the rows, not a cache effect.
 *
 * rec_preset_queries_* serve whole queries: b queries, each ranking its N
 * candidates (retrieved first when the preset has a retrieval stage), as
 * one ranking batch of b x N samples, then the top-k of each query. */
#ifndef FIREDRILL_KERNELS_REC_PRESET_H
#define FIREDRILL_KERNELS_REC_PRESET_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/rec.h"

/* Where presets live, relative to the repository root. */
#define REC_PRESET_DIR "kernels/models"
/* The fewest rows a scaled table keeps (a table with fewer logical rows
 * keeps them all): a few hundred KiB at width 128, so every table still
 * spreads its rows over many pages and cache sets. */
#define REC_PRESET_MIN_ROWS 1024
/* `--memory-budget` default: what a CI machine lends a test without
 * thinking, and still 8x a 32 MiB last-level cache. */
#define REC_PRESET_DEFAULT_BUDGET_BYTES ((int64_t)256 << 20)
#define REC_PRESET_NAME_MAX             64

typedef struct rec_preset {
    char name[REC_PRESET_NAME_MAX];
    char description[512];
    char path[512];         /* the file it came from */
    rec_config cfg;         /* at logical size, except rows clamped to int32 */
    int has_retrieval;      /* 0: ranking only; cfg keeps a one-item retrieval stage that is never run */
    int64_t catalogue_rows; /* retrieval items, logical == in memory */
    int64_t logical_rows[REC_MAX_TABLES];
    int32_t pooling[REC_MAX_TABLES]; /* rows per bag of each sparse feature */
    char table_name[REC_MAX_TABLES][32];
    int32_t candidates; /* default candidates per query */
} rec_preset;

/* The preset file for a name: NAME itself when it contains '/' or ends in
 * ".json", else NAME.json in $FIREDRILL_MODELS_DIR, then REC_PRESET_DIR
 * under the current folder, then beside the executable's folder
 * (build/../kernels/models). REC_EINVAL when none exists, with the folders
 * looked in and the presets found there. */
int rec_preset_find(const char *name, char *path, size_t len, char *err, size_t errlen);

/* Parses and validates a preset file. Errors read "FILE: JSON.PATH:
 * reason" (REC_EINVAL), or "FILE: reason" for I/O (REC_EIO). */
int rec_preset_load(const char *path, rec_preset *out, char *err, size_t errlen);
/* The same from text already in memory (file only names it in errors). */
int rec_preset_parse(const char *file, const char *text, rec_preset *out, char *err, size_t errlen);
/* rec_preset_find, then rec_preset_load. */
int rec_preset_open(const char *name, rec_preset *out, char *err, size_t errlen);

/* Bytes of every embedding table at logical size (catalogue included). */
int64_t rec_preset_logical_bytes(const rec_preset *p);

/* What a budget kept. */
typedef struct rec_preset_sizing {
    int64_t budget_bytes;
    int64_t table_bytes;   /* bytes of every table in memory, catalogue included */
    int64_t logical_bytes; /* rec_preset_logical_bytes */
    double scale;          /* rows kept / logical rows of the tables that were scaled (1: none) */
} rec_preset_sizing;

/* cfg = the preset's config with ranking table rows scaled to budget_bytes
 * (>= 1). REC_EINVAL when even the minimum rows (and the catalogue) need
 * more than the budget, saying how much they need. */
int rec_preset_size(const rec_preset *p, int64_t budget_bytes, rec_config *cfg, rec_preset_sizing *out, char *err,
                    size_t errlen);

/* Hand count of one query of `candidates` candidates: multiply-adds of the
 * MLPs, the interaction and the retrieval scan, times two (FLOPs); and the
 * embedding bytes gathered (pooled rows x width x 4). */
void rec_preset_cost(const rec_preset *p, const rec_config *cfg, int32_t candidates, double *flops,
                     double *gather_bytes);

/* Synthetic queries for a model of config cfg (sized from p): dense
 * features N(0, 1), bags of exactly p->pooling[t] rows per table drawn
 * uniformly over the rows in memory (the pessimistic case a planner wants:
 * hashed IDs, no popularity skew), from seed on every machine. With a
 * retrieval stage the item-id feature (ranking table 0) of each candidate
 * is the item retrieval found, so rankings are of real candidates. */
typedef struct rec_preset_queries rec_preset_queries;

int rec_preset_queries_create(const rec_preset *p, const rec_config *cfg, int32_t queries, int32_t candidates,
                              uint64_t seed, rec_preset_queries **out, char *err, size_t errlen);
void rec_preset_queries_free(rec_preset_queries *q);
/* Serves the queries on m (created from the same cfg): top_ids/top_scores
 * get queries x k results, best first; ids are catalogue item ids when the
 * preset retrieves, else candidate positions 0..N-1 within the query. */
int rec_preset_queries_run(rec_model *m, rec_preset_queries *q, int32_t k, int32_t *top_ids, float *top_scores,
                           char *err, size_t errlen);
/* What the last run left, for tests: queries x candidates click
 * probabilities, and (with a retrieval stage) the items retrieved and their
 * retrieval scores, each query's candidates best first. */
const float *rec_preset_queries_scores(const rec_preset_queries *q);
const int32_t *rec_preset_queries_candidates(const rec_preset_queries *q);
const float *rec_preset_queries_candidate_scores(const rec_preset_queries *q);
/* Serves them warmup + repeats times; times_s (repeats entries) gets the
 * wall-clock seconds of each timed run (CLOCK_MONOTONIC), sorted. */
int rec_preset_queries_time(rec_model *m, rec_preset_queries *q, int32_t k, int warmup, int repeats, double *times_s,
                            char *err, size_t errlen);

#endif
