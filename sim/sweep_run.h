/* Running a sweep's work units (point, seed): threads pulling units from an
 * atomic counter, an optional shard (units with index % N == K), and the
 * resume journal. Results land in arrays indexed by unit, so the output
 * does not depend on which thread, rank or run computed a unit.
 *
 * The journal (OUT.h5.journal) is append-only: a 128-byte header naming the
 * sweep (SHA-256), the shard and the record layout, then one record per
 * finished unit:
 *     u32 magic "FDRC", u32 n_incidents, u64 unit,
 *     replica_metrics, incident_record[n_incidents],
 *     u64 XXH3_64bits of the sweep's SHA-256 (64 hex digits) and the
 *         record's preceding bytes (a record is bound to its sweep).
 * Records are flushed to the kernel as soon as they are written (a kill -9
 * loses nothing written) and fsync'ed at most once a second. Reading stops
 * at the first short or corrupt record (a torn final write), truncates the
 * file there, and ignores a unit seen twice; a whole record whose rows are
 * not of the (point, seed) of its unit is refused (SWEEP_EUSAGE). Records
 * hold raw structs: a journal is resumed by the same build on the same
 * machine architecture (the header checks the struct sizes).
 *
 * The journal is never reached through a symbolic link, is created under a
 * temporary name with O_EXCL and linked into place, and is held under an
 * advisory lock (flock) from sweep_exec_init until it is removed or the
 * process ends: a second run into the same output is refused as such, and
 * a journal that nobody holds is one to resume.
 *
 * All state lives in sweep_exec; the MPI driver (sweep_mpi.c) uses the same
 * functions from its dispatcher loop. */
#ifndef SIM_SWEEP_RUN_H
#define SIM_SWEEP_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/metrics.h"
#include "models/world.h"
#include "sim/h5out.h"
#include "sim/sweep.h"
#include "util/fd_status.h"

/* fd_status values: the CLI maps them to exit codes (sim/cli.c). */
enum { SWEEP_OK = FD_OK, SWEEP_EFAIL = FD_EFAIL, SWEEP_EUSAGE = FD_EINPUT };

typedef struct sweep_opts {
    uint32_t shard_k, shard_n; /* shard_n 1: every unit */
    bool resume;               /* continue from an existing journal */
    bool fresh;                /* discard an existing journal */
    bool progress;             /* draw a progress bar on stderr */
    bool traces;               /* keep each replica's trace and timeline (not journaled) */
    bool select_units;         /* no unit pending until sweep_exec_select names some */
    const char *journal_path;
} sweep_opts;

/* One replica's event trace and serving timeline (`run --trace`). */
typedef struct sweep_trace {
    trace_record *rows;
    size_t n_rows;
    timeline_record *timeline;
    size_t n_timeline;
} sweep_trace;

typedef struct sweep_exec {
    const sweep_spec *sw;
    sweep_opts opts;
    uint64_t n_units;      /* of the whole sweep */
    uint64_t n_mine;       /* units of this shard */
    replica_metrics *rows; /* [n_units], by unit */
    incident_record **inc; /* [n_units] */
    size_t *n_inc;         /* [n_units] */
    unsigned char *done;   /* [n_units] */
    sweep_trace *traces;   /* [n_units] with opts.traces, else NULL */
    uint64_t n_resumed;    /* units read back from the journal */

    uint64_t *pending; /* units still to compute, ascending */
    uint64_t n_pending;
    atomic_uint_fast64_t next; /* next index into pending */

    pthread_mutex_t mu; /* guards what follows */
    pthread_cond_t cv;
    uint64_t *finished; /* units computed, in completion order */
    uint64_t n_finished, n_journaled;
    int running; /* worker threads not yet exited */
    bool failed;
    char fail_msg[1024];
    atomic_bool stop;

    pthread_t *threads;
    int n_threads;
    world_cache **caches; /* one per thread slot, kept across runs of units */
    int n_caches;
    atomic_int next_slot;

    FILE *journal;
    double last_sync, t_start, last_draw;
} sweep_exec;

/* Sets up the units of the shard, reads (resume) or creates the journal.
 * Returns SWEEP_OK, or SWEEP_EUSAGE / SWEEP_EFAIL with a message. */
int sweep_exec_init(sweep_exec *x, const sweep_spec *sw, const sweep_opts *opts, char *err, size_t errlen);
void sweep_exec_free(sweep_exec *x);

/* Runs every pending unit on n_threads threads and returns when all are
 * journaled (or one failed: SWEEP_EFAIL with its message). It may be
 * called again after sweep_exec_select: a sequential procedure (optimize)
 * runs its stages this way, and units the journal already holds are not
 * computed again. */
int sweep_exec_run_threads(sweep_exec *x, int n_threads, char *err, size_t errlen);

/* Makes the given units (of this shard, not yet done) the pending ones;
 * false when one is out of range. */
bool sweep_exec_select(sweep_exec *x, const uint64_t *units, size_t n);

/* Pieces of run_threads for the MPI driver. */
bool sweep_exec_take(sweep_exec *x, uint64_t *unit);
/* No pending unit is left to take (or a unit failed). */
bool sweep_exec_exhausted(sweep_exec *x);
int sweep_exec_start_threads(sweep_exec *x, int n_threads, char *err, size_t errlen);
/* Stores a unit's result (takes ownership of inc, malloc'ed) for the
 * journal; thread-safe. */
void sweep_exec_store(sweep_exec *x, uint64_t unit, const replica_metrics *row, incident_record *inc, size_t n_inc);
void sweep_exec_fail(sweep_exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Journals what finished since the last call and redraws the progress bar;
 * waits up to wait_ms for news first. Returns the worker threads still
 * running. Call from one thread only. */
int sweep_exec_pump(sweep_exec *x, int wait_ms);
/* Joins the threads, syncs the journal; SWEEP_EFAIL if a unit failed. */
int sweep_exec_finish_threads(sweep_exec *x, char *err, size_t errlen);

/* Runs one unit: world_run with the point's scenario and seed, the point
 * column set, incidents sorted by id; with trace non-NULL, the replica's
 * trace and timeline too (malloc'ed). Thread-safe given one world cache
 * per thread (NULL: none kept between units). */
int sweep_exec_compute(const sweep_spec *sw, uint64_t unit, world_cache *cache, replica_metrics *row,
                       incident_record **inc, size_t *n_inc, sweep_trace *trace, char *err, size_t errlen);

/* The sweep's points as /points rows (strings borrowed from sw), calloc'ed;
 * NULL when out of memory. */
h5out_point *sweep_h5_points(const sweep_spec *sw);

/* The shard's rows in (point, seed) order and incidents in (point, seed,
 * id) order, malloc'ed. */
int sweep_exec_collect(const sweep_exec *x, replica_metrics **rows, size_t *n_rows, incident_record **inc,
                       size_t *n_inc, char *err, size_t errlen);

/* After sweep_exec_init, for command `cmd` writing out_path: with --resume
 * or --fresh removes temporary files of processes that are gone, says how
 * many replicas the journal gave back, and arms Ctrl-C to say how to go
 * on. */
void sweep_exec_begin(sweep_exec *x, const char *cmd, const char *out_path, bool quiet);
/* At the end: after success (results renamed into place) the journal goes;
 * after a failure it is kept when it holds finished replicas, and stderr
 * says how to go on. Disarms Ctrl-C. */
void sweep_exec_end(sweep_exec *x, const char *cmd, bool ok);

/* After the results file is renamed into place: the journal goes. */
void sweep_exec_remove_journal(sweep_exec *x);
/* After a failure: a journal that holds no finished replica goes (nothing
 * to resume: the next run starts clean); otherwise it is synced and kept.
 * Returns the finished replicas it keeps. */
uint64_t sweep_exec_abandon(sweep_exec *x);

double sweep_now(void);

/* ---- MPI (sim/sweep_mpi.c, built with FIREDRILL_HAVE_MPI) --------------------------
 * Rank 0 dispatches units one at a time to ranks that ask (dynamic: replicas
 * differ in length), computes on its own threads meanwhile, journals and
 * writes; the other ranks compute and send results back (raw structs: every
 * rank runs the same build on the same architecture). */

/* The process was started by mpirun / srun with an MPI world (environment
 * variables of Open MPI or of MPICH/PMI); the size, or 0. */
int sweep_mpi_world_size_from_env(void);

typedef struct sweep_mpi sweep_mpi;
/* Under mpirun (the environment names an MPI world) and when `wanted`:
 * initialises MPI into m; built without MPI, a world of more than one rank
 * is refused. FD_OK, or a status with the message printed for `cmd`. */
int sweep_mpi_start(sweep_mpi *m, const char *cmd, bool wanted);

struct sweep_mpi {
    int rank, size;
    bool active; /* MPI_Init was called */
    /* rank 0: ranks whose last message (a request or a result) is not yet
     * answered: they wait for the next stage's units or for the stop */
    int *idle;
    int n_idle;
};

#ifdef FIREDRILL_HAVE_MPI
int sweep_mpi_init(sweep_mpi *m, char *err, size_t errlen);
void sweep_mpi_finalize(sweep_mpi *m);
/* Collective: the largest status of all ranks; *status0 gets rank 0's. */
int sweep_mpi_agree(sweep_mpi *m, int status, int *status0);
/* Collective: true when every rank expanded the sweep to the same SHA-256. */
bool sweep_mpi_same_sweep(sweep_mpi *m, const char *sha256);
/* Collective, after every rank read the sweep of `file` (status, err):
 * the ranks read the same sweep, and agree on the worst status; a failing
 * rank's message is printed once for `cmd`. The agreed status. */
int sweep_mpi_settle(sweep_mpi *m, const char *cmd, const char *file, const char *sha256, int status, const char *err);
/* Rank 0: hands out x's pending units and stores results; local_threads
 * threads compute on rank 0 too. Then tells the other ranks to stop. */
int sweep_mpi_master(sweep_mpi *m, sweep_exec *x, int local_threads, char *err, size_t errlen);
/* Rank 0, one stage of a sequential procedure (optimize): hands out x's
 * pending units (sweep_exec_select) and returns when all are back; the
 * other ranks wait for the next stage. */
int sweep_mpi_run_stage(sweep_mpi *m, sweep_exec *x, int local_threads, char *err, size_t errlen);
/* Rank 0, after the last stage (or a failure): every other rank stops. */
void sweep_mpi_stop(sweep_mpi *m);
/* Ranks > 0: compute what rank 0 hands out until it says stop. */
int sweep_mpi_worker(sweep_mpi *m, const sweep_spec *sw, char *err, size_t errlen);
#endif

#endif
