/* Calibration tables: measured ranking-batch latency per batch size, so a
 * simulated server's service time is reproducible (DESIGN.md). Stored as
 * HDF5: dataset /calibration, compound {batch_size int32, latency_median_s,
 * latency_p10_s, latency_p90_s double}, rows by increasing batch size; root
 * attributes "backend" and "firedrill_version" (strings). */
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
} calib_table;

/* Writes to a temporary name beside path, then renames, so a reader never
 * sees half a file. Rows must be valid as above. Returns 0 or a negative
 * rec_status (kernels/rec.h). */
int calib_write(const char *path, const calib_row *rows, size_t n, const char *backend, const char *version, char *err,
                size_t errlen);
/* Reads and validates a table; free it with calib_free. */
int calib_load(const char *path, calib_table *out, char *err, size_t errlen);
void calib_free(calib_table *t);

/* Median latency for a batch size: linear between measured sizes, the first
 * row's latency below it, beyond the last the slope of the last two rows
 * (never less than the last latency). n must be >= 1. */
double calib_latency_s(const calib_table *t, int32_t batch_size);

#endif
