/* Output directories written whole or not at all (`plot`, `report`).
 *
 * Everything goes first into a temporary directory beside the target,
 * OUT.tmp.PID (created with mkdir, mode 0700, refused when it exists), and
 * reaches OUT only once every file is complete:
 *   - OUT does not exist: the temporary directory is renamed to OUT (one
 *     atomic step: OUT appears complete or not at all);
 *   - OUT is a directory already: each new file is renamed into it (each
 *     file atomically; files of the same name are replaced, others are left
 *     as they were, so figures of earlier `plot --kind` runs stay).
 * On failure the temporary directory goes, with the parents of OUT that
 * outdir_begin created: a full disk leaves no truncated file and no empty
 * directory behind. Temporary directories of processes that no longer run
 * (killed while writing) are removed by the next outdir_begin on OUT. */
#ifndef SIM_OUTDIR_H
#define SIM_OUTDIR_H

#include <stddef.h>
#include <stdio.h>

enum { OUTDIR_OK = 0, OUTDIR_EFAIL = -1, OUTDIR_EINPUT = -2 };

#define OUTDIR_PATH_MAX 4096

typedef struct outdir {
    char final[OUTDIR_PATH_MAX]; /* OUT, without trailing slashes */
    char tmp[OUTDIR_PATH_MAX + 32];
    size_t created_len; /* final[0..created_len) is the topmost parent outdir_begin made; 0: none */
    int existed;        /* OUT was a directory when outdir_begin ran */
} outdir;

/* Checks OUT (a directory, or missing), removes stale temporary
 * directories of OUT (each named on `notes` when not NULL), creates OUT's
 * missing parents and the temporary directory. OUTDIR_OK, OUTDIR_EINPUT
 * (OUT empty or not a directory: nothing created) or OUTDIR_EFAIL, with
 * "PATH: reason". */
int outdir_begin(outdir *od, const char *out, FILE *notes, char *err, size_t errlen);

/* Moves what od->tmp holds into OUT (above) and removes od->tmp.
 * OUTDIR_OK, or OUTDIR_EFAIL with "PATH: reason" (call outdir_abort). */
int outdir_commit(outdir *od, char *err, size_t errlen);

/* After a failure: removes od->tmp with its files and the parents
 * outdir_begin created (when empty). */
void outdir_abort(outdir *od);

#endif
