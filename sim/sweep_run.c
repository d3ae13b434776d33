/* Work distribution of sweeps: threads, shards, resume journal (sim/sweep_run.h). */
#include "sim/sweep_run.h"
#include "sim/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "models/world.h"

#define JOURNAL_MAGIC  "FDJRNL01"
#define JOURNAL_HEADER 128
#define RECORD_MAGIC   0x43524446u /* "FDRC" little-endian */
#define RECORD_HEAD    16
/* No replica has this many incidents; a larger count is a corrupt record. */
#define RECORD_MAX_INCIDENTS 10000000u

double sweep_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int sweep_mpi_world_size_from_env(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL};
    for (size_t i = 0; vars[i]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v);
    }
    return 0;
}

int sweep_mpi_start(sweep_mpi *m, const char *cmd, bool wanted) {
    *m = (sweep_mpi){.rank = 0, .size = 1};
    int world = sweep_mpi_world_size_from_env();
    if (world <= 0 || !wanted) return FD_OK;
#ifdef FIREDRILL_HAVE_MPI
    char err[512];
    if (sweep_mpi_init(m, err, sizeof err) != 0) {
        fprintf(stderr, "firedrill %s: %s\n", cmd, err);
        return FD_EFAIL;
    }
#else
    if (world > 1) {
        fprintf(stderr,
                "firedrill %s: started as one of %d MPI ranks, but this firedrill was built without MPI "
                "(rebuild with `make MPI=1`, or use -j and --shard)\n",
                cmd, world);
        return FD_EINPUT;
    }
#endif
    return FD_OK;
}

/* ---- one unit ---------------------------------------------------------------------- */

int sweep_exec_compute(const sweep_spec *sw, uint64_t unit, world_cache *cache, replica_metrics *row,
                       incident_record **inc, size_t *n_inc, sweep_trace *trace, char *err, size_t errlen) {
    uint32_t point = sweep_unit_point(sw, unit);
    uint64_t seed = sweep_unit_seed(sw, unit);
    world_result r;
    char why[1024];
    /* One event more than the budget: a replica that needs exactly the
     * budget finishes, one that needs more is caught below. */
    const world_options opts = {.backend = sw->backend,
                                .trace = trace != NULL,
                                .cache = cache,
                                .max_events = sw->max_events ? sw->max_events + 1 : 0};
    if (world_run(&sw->points[point].sc, &opts, seed, &r, why, sizeof why) != 0) {
        world_result_free(&r);
        cli_errf(err, errlen, "point %u seed %llu: %s", (unsigned)point, (unsigned long long)seed, why);
        return -1;
    }
    if (sw->max_events && r.metrics.events > sw->max_events) {
        world_result_free(&r);
        cli_errf(err, errlen,
                 "point %u seed %llu: stopped after %llu events, the budget of one replica (--max-events): the "
                 "scenario schedules events faster than they can be simulated (check its periods and interarrival "
                 "times), or raise --max-events",
                 (unsigned)point, (unsigned long long)seed, (unsigned long long)sw->max_events);
        return -1;
    }
    r.metrics.point = point;
    /* Incidents ordered by id within the replica (insertion sort: they
     * usually arrive in order already). */
    for (size_t i = 0; i < r.n_incidents; i++) {
        r.incidents[i].point = point;
        incident_record tmp = r.incidents[i];
        size_t j = i;
        for (; j > 0 && r.incidents[j - 1].id > tmp.id; j--) r.incidents[j] = r.incidents[j - 1];
        r.incidents[j] = tmp;
    }
    memcpy(row, &r.metrics, sizeof *row);
    *inc = r.incidents;
    *n_inc = r.n_incidents;
    if (trace) *trace = (sweep_trace){r.trace, r.n_trace, r.timeline, r.n_timeline};
    return 0;
}

/* ---- journal ----------------------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t get64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void journal_header(const sweep_exec *x, unsigned char h[JOURNAL_HEADER]) {
    memset(h, 0, JOURNAL_HEADER);
    memcpy(h, JOURNAL_MAGIC, 8);
    put32(h + 8, JOURNAL_HEADER);
    put32(h + 12, (uint32_t)sizeof(replica_metrics));
    put32(h + 16, (uint32_t)sizeof(incident_record));
    put32(h + 20, x->opts.shard_k);
    put32(h + 24, x->opts.shard_n);
    /* Kernels on another backend may break ties in recall@k differently. */
    put32(h + 28, (uint32_t)x->sw->backend);
    put64(h + 32, x->n_units);
    memcpy(h + 40, x->sw->sha256, 64);
    put64(h + 120, XXH3_64bits(h, 120));
}

static int journal_sync(sweep_exec *x) {
    if (!x->journal) return 0;
    if (fflush(x->journal) != 0 || fsync(fileno(x->journal)) != 0) return -1;
    x->last_sync = sweep_now();
    return 0;
}

/* The checksum of a record binds it to its sweep: the sweep's SHA-256,
 * then the record's bytes. Returns false when out of memory. */
static bool record_checksum(const sweep_exec *x, const unsigned char head[RECORD_HEAD], const replica_metrics *row,
                            const incident_record *inc, size_t n, uint64_t *sum) {
    XXH3_state_t *st = XXH3_createState();
    if (!st) return false;
    XXH3_64bits_reset(st);
    XXH3_64bits_update(st, x->sw->sha256, 64);
    XXH3_64bits_update(st, head, RECORD_HEAD);
    XXH3_64bits_update(st, row, sizeof *row);
    if (n) XXH3_64bits_update(st, inc, n * sizeof *inc);
    *sum = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return true;
}

static int journal_append(sweep_exec *x, uint64_t unit) {
    unsigned char head[RECORD_HEAD], tail[8];
    put32(head, RECORD_MAGIC);
    put32(head + 4, (uint32_t)x->n_inc[unit]);
    put64(head + 8, unit);
    uint64_t sum;
    if (!record_checksum(x, head, &x->rows[unit], x->inc[unit], x->n_inc[unit], &sum)) return -1;
    put64(tail, sum);
    FILE *f = x->journal;
    if (fwrite(head, sizeof head, 1, f) != 1 || fwrite(&x->rows[unit], sizeof x->rows[unit], 1, f) != 1 ||
        (x->n_inc[unit] && fwrite(x->inc[unit], sizeof(incident_record), x->n_inc[unit], f) != x->n_inc[unit]) ||
        fwrite(tail, sizeof tail, 1, f) != 1)
        return -1;
    return 0;
}

/* A record whose checksum holds but whose rows are not those of the unit it
 * claims was not torn by a crash: it was edited or belongs elsewhere. */
static bool record_matches_slot(const sweep_exec *x, uint64_t unit, const replica_metrics *row,
                                const incident_record *inc, size_t n, uint32_t *point, uint64_t *seed) {
    uint32_t want_point = sweep_unit_point(x->sw, unit);
    uint64_t want_seed = sweep_unit_seed(x->sw, unit);
    *point = row->point;
    *seed = row->seed;
    if (row->point != want_point || row->seed != want_seed) return false;
    for (size_t i = 0; i < n; i++)
        if (inc[i].point != want_point || inc[i].seed != want_seed) {
            *point = inc[i].point;
            *seed = inc[i].seed;
            return false;
        }
    return true;
}

/* Reads the records after the header; stops at the first torn or corrupt
 * one and cuts the file there. A whole record that does not belong to its
 * slot (point, seed) is refused: the journal was altered. */
static int journal_replay(sweep_exec *x, char *err, size_t errlen) {
    FILE *f = x->journal;
    long good = JOURNAL_HEADER;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        cli_errf(err, errlen, "%s: cannot read the journal: %s", x->opts.journal_path, strerror(errno));
        return SWEEP_EFAIL;
    }
    for (uint64_t k = 0;; k++) {
        unsigned char head[RECORD_HEAD], tail[8];
        if (fread(head, sizeof head, 1, f) != 1) break;
        uint32_t n = get32(head + 4);
        uint64_t unit = get64(head + 8);
        if (get32(head) != RECORD_MAGIC || n > RECORD_MAX_INCIDENTS || unit >= x->n_units ||
            unit % x->opts.shard_n != x->opts.shard_k)
            break;
        /* A count the rest of the file cannot hold is a torn or corrupt
         * record: cut there rather than allocate for it. */
        long at = ftell(f);
        if (at < 0 || at > st.st_size ||
            (uint64_t)n * sizeof(incident_record) + sizeof(replica_metrics) + 8 > (uint64_t)(st.st_size - at))
            break;
        replica_metrics row;
        incident_record *inc = n ? malloc(n * sizeof *inc) : NULL;
        if (n && !inc) {
            cli_errf(err, errlen, "%s: out of memory reading the journal", x->opts.journal_path);
            return SWEEP_EFAIL;
        }
        if (fread(&row, sizeof row, 1, f) != 1 || (n && fread(inc, sizeof *inc, n, f) != n) ||
            fread(tail, sizeof tail, 1, f) != 1) {
            free(inc);
            break;
        }
        uint64_t sum;
        if (!record_checksum(x, head, &row, inc, n, &sum)) {
            free(inc);
            cli_errf(err, errlen, "out of memory");
            return SWEEP_EFAIL;
        }
        if (sum != get64(tail)) {
            free(inc);
            break;
        }
        uint32_t point;
        uint64_t seed;
        if (!record_matches_slot(x, unit, &row, inc, n, &point, &seed)) {
            free(inc);
            cli_errf(err, errlen,
                     "%s: record %llu is the slot of point %u seed %llu but holds point %u seed %llu: the journal was "
                     "altered; refusing to resume from it (use --fresh to discard it)",
                     x->opts.journal_path, (unsigned long long)k, (unsigned)sweep_unit_point(x->sw, unit),
                     (unsigned long long)sweep_unit_seed(x->sw, unit), (unsigned)point, (unsigned long long)seed);
            return SWEEP_EUSAGE;
        }
        good = ftell(f);
        if (x->done[unit]) { /* written twice: count it once */
            free(inc);
            continue;
        }
        x->rows[unit] = row;
        x->inc[unit] = inc;
        x->n_inc[unit] = n;
        x->done[unit] = 1;
        x->n_resumed++;
    }
    if (ftruncate(fileno(f), good) != 0 || fseek(f, good, SEEK_SET) != 0) {
        cli_errf(err, errlen, "%s: cannot cut the journal after its last whole record: %s", x->opts.journal_path,
                 strerror(errno));
        return SWEEP_EFAIL;
    }
    return SWEEP_OK;
}

/* Writes the whole header at the start of fd and syncs it. */
static int write_header(int fd, const unsigned char h[JOURNAL_HEADER]) {
    if (ftruncate(fd, 0) != 0) return -1;
    size_t done = 0;
    while (done < JOURNAL_HEADER) {
        ssize_t w = pwrite(fd, h + done, JOURNAL_HEADER - done, (off_t)done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        done += (size_t)w;
    }
    return fsync(fd);
}

/* Wraps the locked journal fd in x->journal, positioned at its end. */
static int journal_adopt(sweep_exec *x, int fd, char *err, size_t errlen) {
    x->journal = fdopen(fd, "r+b");
    if (!x->journal || fseek(x->journal, 0, SEEK_END) != 0) {
        cli_errf(err, errlen, "%s: cannot open the journal: %s", x->opts.journal_path, strerror(errno));
        if (!x->journal) close(fd);
        return SWEEP_EFAIL;
    }
    x->last_sync = sweep_now();
    return SWEEP_OK;
}

/* A new journal: written and locked under a temporary name (O_EXCL, no
 * symbolic link followed), then linked into place, so that no other run
 * ever sees it unlocked or without its header. */
static int journal_create(sweep_exec *x, const unsigned char want[JOURNAL_HEADER], char *err, size_t errlen) {
    const char *path = x->opts.journal_path;
    char tmp[4352];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) /* ours, from a process that had our PID */
        fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        cli_errf(err, errlen, "%s: cannot create the journal: %s", path, strerror(errno));
        return SWEEP_EFAIL;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || write_header(fd, want) != 0) {
        cli_errf(err, errlen, "%s: cannot create the journal: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return SWEEP_EFAIL;
    }
    if (link(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        close(fd);
        if (e == EEXIST) {
            cli_errf(err, errlen, "%s appeared while this run started: another firedrill is running into this output",
                     path);
            return SWEEP_EUSAGE;
        }
        /* A file system without hard links: create it in place. */
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 || write_header(fd, want) != 0) {
            cli_errf(err, errlen, "%s: cannot create the journal: %s", path, strerror(errno));
            if (fd >= 0) close(fd);
            return SWEEP_EFAIL;
        }
        return journal_adopt(x, fd, err, errlen);
    }
    unlink(tmp);
    return journal_adopt(x, fd, err, errlen);
}

static int journal_open(sweep_exec *x, char *err, size_t errlen) {
    const char *path = x->opts.journal_path;
    unsigned char want[JOURNAL_HEADER];
    journal_header(x, want);
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT) {
            cli_errf(err, errlen, "%s: %s", path, strerror(errno));
            return SWEEP_EFAIL;
        }
        return journal_create(x, want, err, errlen);
    }
    if (S_ISLNK(st.st_mode)) {
        cli_errf(err, errlen, "%s is a symbolic link: firedrill does not follow links for its journal (remove it)",
                 path);
        return SWEEP_EUSAGE;
    }
    if (!S_ISREG(st.st_mode)) {
        cli_errf(err, errlen, "%s exists and is not a regular file: it cannot be this output's journal", path);
        return SWEEP_EUSAGE;
    }
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        cli_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return SWEEP_EFAIL;
    }
    /* The lock is held until the journal is removed or the process ends
     * (kill -9 included): a journal nobody holds is one to resume. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            cli_errf(err, errlen,
                     "%s is locked: another firedrill is running into this output now; wait for it to finish, or "
                     "write elsewhere with -o",
                     path);
        else
            cli_errf(err, errlen, "%s: cannot lock: %s", path, strerror(e));
        return e == EWOULDBLOCK ? SWEEP_EUSAGE : SWEEP_EFAIL;
    }
    if (!x->opts.resume && !x->opts.fresh) {
        close(fd);
        cli_errf(err, errlen,
                 "%s exists: an earlier run into this output did not finish (it was interrupted, killed or failed); "
                 "rerun with --resume to continue it, or --fresh to discard it",
                 path);
        return SWEEP_EUSAGE;
    }
    if (x->opts.fresh) {
        if (write_header(fd, want) != 0) {
            cli_errf(err, errlen, "%s: cannot rewrite the journal: %s", path, strerror(errno));
            close(fd);
            return SWEEP_EFAIL;
        }
        return journal_adopt(x, fd, err, errlen);
    }
    unsigned char have[JOURNAL_HEADER];
    ssize_t got = pread(fd, have, sizeof have, 0);
    if (got == (ssize_t)sizeof have && memcmp(have, want, sizeof have) == 0) {
        int rc = journal_adopt(x, fd, err, errlen);
        if (rc == SWEEP_OK && fseek(x->journal, JOURNAL_HEADER, SEEK_SET) != 0) rc = SWEEP_EFAIL;
        return rc == SWEEP_OK ? journal_replay(x, err, errlen) : rc;
    }
    if (got == (ssize_t)sizeof have && memcmp(have, JOURNAL_MAGIC, 8) == 0 &&
        get64(have + 120) == XXH3_64bits(have, 120)) {
        close(fd);
        cli_errf(err, errlen,
                 "%s belongs to another run, sweep, shard, backend or build (%.12s.., shard %u/%u; this one: %.12s.., "
                 "shard %u/%u): use --fresh to discard it",
                 path, (const char *)have + 40, get32(have + 20), get32(have + 24), x->sw->sha256, x->opts.shard_k,
                 x->opts.shard_n);
        return SWEEP_EUSAGE;
    }
    if (got == (ssize_t)sizeof have) {
        close(fd);
        cli_errf(err, errlen, "%s: not a firedrill journal: use --fresh to overwrite it", path);
        return SWEEP_EUSAGE;
    }
    /* A header cut short (power lost while creating it): nothing was
     * recorded yet, so start it again. */
    if (write_header(fd, want) != 0) {
        cli_errf(err, errlen, "%s: cannot rewrite the journal: %s", path, strerror(errno));
        close(fd);
        return SWEEP_EFAIL;
    }
    return journal_adopt(x, fd, err, errlen);
}

void sweep_exec_remove_journal(sweep_exec *x) {
    /* Unlinked while still locked: no other run can take it over between
     * the two steps. */
    if (x->journal && x->opts.journal_path) unlink(x->opts.journal_path);
    if (x->journal) fclose(x->journal);
    x->journal = NULL;
}

uint64_t sweep_exec_abandon(sweep_exec *x) {
    uint64_t kept = x->n_resumed + x->n_journaled;
    if (!kept) {
        sweep_exec_remove_journal(x);
    } else if (x->journal) {
        fflush(x->journal);
        fsync(fileno(x->journal));
    }
    return kept;
}

void sweep_exec_begin(sweep_exec *x, const char *cmd, const char *out_path, bool quiet) {
    const char *journal = x->opts.journal_path;
    char note[4600];
    if (!journal) {
        snprintf(note, sizeof note, "\nfiredrill %s: interrupted (this run keeps no journal: nothing was kept)\n", cmd);
        cli_on_interrupt(note);
        return;
    }
    if (x->opts.resume || x->opts.fresh) {
        cli_remove_stale_temps(cmd, out_path, quiet);
        cli_remove_stale_temps(cmd, journal, quiet);
    }
    snprintf(note, sizeof note, "\nfiredrill %s: interrupted: rerun with --resume to continue from %s\n", cmd, journal);
    cli_on_interrupt(note);
    if (quiet || !x->n_resumed) return;
    if (x->opts.select_units) /* a sequential procedure: how many it will need is not known yet */
        fprintf(stderr, "firedrill %s: resuming: %llu replicas already in %s\n", cmd, (unsigned long long)x->n_resumed,
                journal);
    else
        fprintf(stderr, "firedrill %s: resuming: %llu of %llu replicas already in %s\n", cmd,
                (unsigned long long)x->n_resumed, (unsigned long long)x->n_mine, journal);
}

void sweep_exec_end(sweep_exec *x, const char *cmd, bool ok) {
    if (ok) {
        sweep_exec_remove_journal(x);
    } else if (x->opts.journal_path) {
        uint64_t kept = sweep_exec_abandon(x);
        if (kept)
            fprintf(stderr,
                    "firedrill %s: %s keeps %llu finished replica(s): rerun with --resume to continue, or --fresh to "
                    "start over\n",
                    cmd, x->opts.journal_path, (unsigned long long)kept);
    }
    cli_on_interrupt(NULL);
}

/* ---- setup ------------------------------------------------------------------------- */

int sweep_exec_init(sweep_exec *x, const sweep_spec *sw, const sweep_opts *opts, char *err, size_t errlen) {
    memset(x, 0, sizeof *x);
    x->sw = sw;
    x->opts = *opts;
    if (x->opts.shard_n == 0) x->opts.shard_n = 1;
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->cv, NULL);
    atomic_init(&x->next, 0);
    atomic_init(&x->stop, false);
    x->n_units = sweep_units(sw);
    uint64_t n = x->n_units;
    x->rows = calloc(n, sizeof *x->rows);
    x->inc = calloc(n, sizeof *x->inc);
    x->n_inc = calloc(n, sizeof *x->n_inc);
    x->done = calloc(n, 1);
    if (x->opts.traces) x->traces = calloc(n, sizeof *x->traces);
    if (!x->rows || !x->inc || !x->n_inc || !x->done || (x->opts.traces && !x->traces)) {
        cli_errf(err, errlen, "out of memory for %llu replicas", (unsigned long long)n);
        return SWEEP_EFAIL;
    }
    for (uint64_t u = x->opts.shard_k; u < n; u += x->opts.shard_n) x->n_mine++;
    if (x->opts.journal_path) {
        int rc = journal_open(x, err, errlen);
        if (rc != SWEEP_OK) return rc;
    }
    x->pending = calloc(x->n_mine ? x->n_mine : 1, sizeof *x->pending);
    x->finished = calloc(x->n_mine ? x->n_mine : 1, sizeof *x->finished);
    if (!x->pending || !x->finished) {
        sweep_exec_abandon(x); /* a journal just created goes again */
        cli_errf(err, errlen, "out of memory");
        return SWEEP_EFAIL;
    }
    for (uint64_t u = x->opts.shard_k; u < n && !x->opts.select_units; u += x->opts.shard_n)
        if (!x->done[u]) x->pending[x->n_pending++] = u;
    x->t_start = x->last_sync = sweep_now();
    return SWEEP_OK;
}

void sweep_exec_free(sweep_exec *x) {
    if (x->journal) fclose(x->journal);
    for (uint64_t u = 0; x->inc && u < x->n_units; u++) free(x->inc[u]);
    for (uint64_t u = 0; x->traces && u < x->n_units; u++) {
        free(x->traces[u].rows);
        free(x->traces[u].timeline);
    }
    for (int i = 0; i < x->n_caches; i++) world_cache_free(x->caches[i]);
    free(x->caches);
    free(x->traces);
    free(x->inc);
    free(x->rows);
    free(x->n_inc);
    free(x->done);
    free(x->pending);
    free(x->finished);
    free(x->threads);
    pthread_mutex_destroy(&x->mu);
    pthread_cond_destroy(&x->cv);
    memset(x, 0, sizeof *x);
}

/* ---- threads ----------------------------------------------------------------------- */

bool sweep_exec_select(sweep_exec *x, const uint64_t *units, size_t n) {
    x->n_pending = 0;
    atomic_store(&x->next, 0);
    for (size_t i = 0; i < n; i++) {
        if (units[i] >= x->n_units || units[i] % x->opts.shard_n != x->opts.shard_k) return false;
        if (!x->done[units[i]]) x->pending[x->n_pending++] = units[i];
    }
    return true;
}

bool sweep_exec_exhausted(sweep_exec *x) { return atomic_load(&x->stop) || atomic_load(&x->next) >= x->n_pending; }

bool sweep_exec_take(sweep_exec *x, uint64_t *unit) {
    if (atomic_load(&x->stop)) return false;
    uint64_t i = atomic_fetch_add(&x->next, 1);
    if (i >= x->n_pending) return false;
    *unit = x->pending[i];
    return true;
}

void sweep_exec_store(sweep_exec *x, uint64_t unit, const replica_metrics *row, incident_record *inc, size_t n_inc) {
    pthread_mutex_lock(&x->mu);
    if (unit >= x->n_units || x->done[unit] || x->n_finished >= x->n_mine) {
        pthread_mutex_unlock(&x->mu);
        free(inc);
        return;
    }
    x->rows[unit] = *row;
    x->inc[unit] = inc;
    x->n_inc[unit] = n_inc;
    x->done[unit] = 1;
    x->finished[x->n_finished++] = unit;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

void sweep_exec_fail(sweep_exec *x, const char *fmt, ...) {
    pthread_mutex_lock(&x->mu);
    if (!x->failed) {
        va_list ap;
        va_start(ap, fmt);
        fd_verrf(x->fail_msg, sizeof x->fail_msg, SWEEP_EFAIL, fmt, ap);
        va_end(ap);
        x->failed = true;
    }
    atomic_store(&x->stop, true);
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

static void *worker_main(void *arg) {
    sweep_exec *x = arg;
    uint64_t u;
    char err[1024];
    /* one per thread slot, kept across runs of units: the segments'
     * queueing states repeat across replicas */
    world_cache *cache = x->caches[atomic_fetch_add(&x->next_slot, 1)];
    while (sweep_exec_take(x, &u)) {
        replica_metrics row;
        incident_record *inc = NULL;
        size_t n = 0;
        /* a unit's trace slot is written by the one thread that took it */
        if (sweep_exec_compute(x->sw, u, cache, &row, &inc, &n, x->traces ? &x->traces[u] : NULL, err, sizeof err) !=
            0) {
            sweep_exec_fail(x, "%s", err);
            break;
        }
        sweep_exec_store(x, u, &row, inc, n);
    }
    pthread_mutex_lock(&x->mu);
    x->running--;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

int sweep_exec_start_threads(sweep_exec *x, int n_threads, char *err, size_t errlen) {
    rec_cpu_set_blas_threads(1); /* replicas run small kernels, one thread each */
    free(x->threads);
    x->threads = calloc(n_threads > 0 ? (size_t)n_threads : 1, sizeof *x->threads);
    if (n_threads > x->n_caches) {
        world_cache **grown = realloc(x->caches, (size_t)n_threads * sizeof *grown);
        if (grown) {
            x->caches = grown;
            for (; x->n_caches < n_threads; x->n_caches++)
                if (!(x->caches[x->n_caches] = world_cache_create())) break;
        }
    }
    if (!x->threads || x->n_caches < n_threads) {
        cli_errf(err, errlen, "out of memory");
        return SWEEP_EFAIL;
    }
    atomic_store(&x->next_slot, 0);
    for (int i = 0; i < n_threads; i++) {
        pthread_mutex_lock(&x->mu);
        x->running++;
        pthread_mutex_unlock(&x->mu);
        if (pthread_create(&x->threads[i], NULL, worker_main, x) != 0) {
            pthread_mutex_lock(&x->mu);
            x->running--;
            pthread_mutex_unlock(&x->mu);
            sweep_exec_fail(x, "cannot start thread %d", i + 1);
            break;
        }
        x->n_threads++;
    }
    if (x->n_threads == 0 && n_threads > 0) {
        cli_errf(err, errlen, "cannot start a worker thread");
        return SWEEP_EFAIL;
    }
    return SWEEP_OK;
}

/* ---- progress ------------------------------------------------------------------------ */

static void format_eta(double s, char *out, size_t len) {
    if (!(s >= 0) || s > 99 * 86400.0)
        snprintf(out, len, "--");
    else if (s >= 3600)
        snprintf(out, len, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else
        snprintf(out, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

static void draw_progress(sweep_exec *x, bool final) {
    double now = sweep_now();
    if (!x->opts.progress || (!final && now - x->last_draw < 0.25)) return;
    x->last_draw = now;
    uint64_t done = x->n_resumed + x->n_journaled, total = x->n_mine;
    double frac = total ? (double)done / (double)total : 1, el = now - x->t_start;
    double rate = el > 0 ? (double)x->n_journaled / el : 0;
    char eta[32];
    format_eta(rate > 0 ? (double)(total - done) / rate : -1, eta, sizeof eta);
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r%s [%s] %3d%% %llu/%llu  %.1f replicas/s  ETA %s \033[K%s", x->sw->name, bar, (int)(frac * 100),
            (unsigned long long)done, (unsigned long long)total, rate, eta, final ? "\n" : "");
    fflush(stderr);
}

int sweep_exec_pump(sweep_exec *x, int wait_ms) {
    pthread_mutex_lock(&x->mu);
    if (wait_ms > 0 && x->n_finished == x->n_journaled && x->running > 0 && !x->failed) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_nsec += (long)wait_ms * 1000000L;
        dl.tv_sec += dl.tv_nsec / 1000000000L;
        dl.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&x->cv, &x->mu, &dl);
    }
    uint64_t lo = x->n_journaled, hi = x->n_finished;
    int running = x->running;
    pthread_mutex_unlock(&x->mu);
    bool io_failed = false;
    for (uint64_t i = lo; i < hi && x->journal; i++) io_failed |= journal_append(x, x->finished[i]) != 0;
    if (hi > lo && x->journal) {
        /* fflush hands the records to the kernel: a killed process loses
         * none of them; fsync (for power loss) at most once a second. */
        io_failed |= fflush(x->journal) != 0;
        if (sweep_now() - x->last_sync >= 1.0) io_failed |= journal_sync(x) != 0;
    }
    pthread_mutex_lock(&x->mu);
    x->n_journaled = hi;
    pthread_mutex_unlock(&x->mu);
    if (io_failed) sweep_exec_fail(x, "%s: writing the journal failed: %s", x->opts.journal_path, strerror(errno));
    draw_progress(x, false);
    return running;
}

int sweep_exec_finish_threads(sweep_exec *x, char *err, size_t errlen) {
    for (int i = 0; i < x->n_threads; i++) pthread_join(x->threads[i], NULL);
    x->n_threads = 0;
    sweep_exec_pump(x, 0);
    if (x->journal && journal_sync(x) != 0) sweep_exec_fail(x, "%s: syncing the journal failed", x->opts.journal_path);
    draw_progress(x, true);
    if (x->failed) {
        cli_errf(err, errlen, "%s", x->fail_msg);
        return SWEEP_EFAIL;
    }
    for (uint64_t i = 0; i < x->n_pending; i++)
        if (!x->done[x->pending[i]]) {
            cli_errf(err, errlen, "unit %llu was not computed", (unsigned long long)x->pending[i]);
            return SWEEP_EFAIL;
        }
    return SWEEP_OK;
}

int sweep_exec_run_threads(sweep_exec *x, int n_threads, char *err, size_t errlen) {
    if (n_threads < 1) n_threads = 1;
    if ((uint64_t)n_threads > x->n_pending) n_threads = x->n_pending ? (int)x->n_pending : 1;
    int rc = sweep_exec_start_threads(x, n_threads, err, errlen);
    if (rc != SWEEP_OK) {
        sweep_exec_finish_threads(x, NULL, 0);
        return rc;
    }
    while (sweep_exec_pump(x, 200) > 0) {
    }
    return sweep_exec_finish_threads(x, err, errlen);
}

/* ---- results ----------------------------------------------------------------------- */

int sweep_exec_collect(const sweep_exec *x, replica_metrics **rows, size_t *n_rows, incident_record **inc,
                       size_t *n_inc, char *err, size_t errlen) {
    size_t total_inc = 0;
    for (uint64_t u = x->opts.shard_k; u < x->n_units; u += x->opts.shard_n) total_inc += x->n_inc[u];
    *rows = malloc((x->n_mine ? x->n_mine : 1) * sizeof **rows);
    *inc = malloc((total_inc ? total_inc : 1) * sizeof **inc);
    if (!*rows || !*inc) {
        free(*rows);
        free(*inc);
        *rows = NULL;
        *inc = NULL;
        cli_errf(err, errlen, "out of memory");
        return SWEEP_EFAIL;
    }
    size_t r = 0, k = 0;
    for (uint64_t u = x->opts.shard_k; u < x->n_units; u += x->opts.shard_n) {
        (*rows)[r++] = x->rows[u];
        if (x->n_inc[u]) memcpy(*inc + k, x->inc[u], x->n_inc[u] * sizeof **inc);
        k += x->n_inc[u];
    }
    *n_rows = r;
    *n_inc = k;
    return SWEEP_OK;
}

h5out_point *sweep_h5_points(const sweep_spec *sw) {
    h5out_point *points = calloc(sw->n_points ? sw->n_points : 1, sizeof *points);
    for (size_t i = 0; points && i < sw->n_points; i++) {
        points[i].point = (uint32_t)i;
        memcpy(points[i].scenario_sha256, sw->points[i].sha256, 65);
        points[i].parameters = sw->points[i].parameters;
        points[i].scenario = sw->points[i].scenario_json;
    }
    return points;
}
