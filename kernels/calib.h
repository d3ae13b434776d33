/* Calibration tables: measured ranking-batch latency per batch size, so a
 * simulated server's service time is reproducible (DESIGN.md). Stored as
 * HDF5: dataset /calibration, compound {batch_size int32, latency_median_s,
 * latency_p10_s, latency_p90_s double}, rows by increasing batch size; root
 * attributes (provenance):
 *   backend, firedrill_version, preset, device, batch_unit  strings
 *   threads, candidates, table_bytes, memory_budget_bytes   int64
 *   flops_per_query, gather_bytes_per_query                 double
 * A table of a model preset (`firedrill calibrate --model P --candidates N`)
 * counts batch_size in queries of N candidates each (batch_unit "queries");
 * one without (preset "", candidates 0) counts ranked samples. Files from
 * before these attributes read as preset "" and zeros. */
#ifndef FIREDRILL_KERNELS_CALIB_H
#define FIREDRILL_KERNELS_CALIB_H

#include <stddef.h>
#include <stdint.h>

typedef struct calib_row {
    int32_t batch_size;
    double latency_median_s;
    double latency_p10_s;
    double latency_p90_s;
} calib_row;

typedef struct calib_table {
    calib_row *rows; /* n rows, batch_size strictly increasing, >= 1 */
    size_t n;
    char backend[32];
    char version[64];
    char preset[64];               /* model preset measured; "" for the built-in default model */
    char device[128];              /* CPU model name or CUDA device name */
    int32_t threads;               /* BLAS threads of the CPU backend while measuring */
    int32_t candidates;            /* per query; 0: batch_size counts samples, not queries */
    int64_t table_bytes;           /* embedding-table bytes really in memory */
    int64_t memory_budget_bytes;   /* the budget the rows were scaled to; 0 if none */
    double flops_per_query;        /* hand count of the model's arithmetic (0 if none) */
    double gather_bytes_per_query; /* embedding bytes gathered per query (0 if none) */
} calib_table;

/* Writes to a temporary name beside path, then renames, so a reader never
 * sees half a file. Rows must be valid as above. Returns 0 or a negative
 * rec_status (kernels/rec.h). */
int calib_write(const char *path, const calib_row *rows, size_t n, const char *backend, const char *version, char *err,
                size_t errlen);
/* Writes t (rows and every provenance field) the same way. */
int calib_write_table(const char *path, const calib_table *t, char *err, size_t errlen);
/* Reads and validates a table; free it with calib_free. */
int calib_load(const char *path, calib_table *out, char *err, size_t errlen);
void calib_free(calib_table *t);

/* 0 when t was measured for model preset `preset` with `candidates`
 * candidates per query (preset "" and 0: the default model, no preset);
 * else REC_EINVAL and the difference in err, as "PATH: measured for preset
 * 'small' with 64 candidates per query, not 'dlrm-v2' with 200" (a
 * scenario's service times must come from its own model). */
int calib_check_model(const calib_table *t, const char *path, const char *preset, int32_t candidates, char *err,
                      size_t errlen);

/* Median latency for a batch size: linear between measured sizes, the first
 * row's latency below it, beyond the last the slope of the last two rows
 * (never less than the last latency). n must be >= 1. */
double calib_latency_s(const calib_table *t, int32_t batch_size);

#endif
