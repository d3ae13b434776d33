/* MPI driver of sweeps (sim/sweep_run.h): rank 0 hands out units on
 * request and writes; other ranks compute. Built only with MPI=1.
 *
 * Only the thread that called MPI_Init_thread calls MPI (FUNNELED): rank
 * 0's compute threads never touch MPI. Rank 0 polls with MPI_Iprobe and
 * sleeps 1 ms between polls instead of blocking, so that on a machine with
 * as many ranks as cores its dispatcher does not steal a core from its own
 * compute thread (a replica takes tens of milliseconds; the polling delay
 * is noise). */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sweep_run.h"

enum { TAG_REQUEST = 1, TAG_WORK = 2, TAG_RESULT = 3, TAG_ERROR = 4 };
#define UNIT_STOP UINT64_MAX

int sweep_mpi_init(sweep_mpi *m, char *err, size_t errlen) {
    int provided = 0, inited = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init_thread failed");
        return -1;
    }
    if (!inited && provided < MPI_THREAD_FUNNELED) {
        snprintf(err, errlen, "the MPI library does not allow threads (MPI_THREAD_FUNNELED)");
        MPI_Finalize();
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    m->active = true;
    m->n_idle = 0;
    m->idle = calloc((size_t)m->size, sizeof *m->idle);
    if (!m->idle) {
        snprintf(err, errlen, "out of memory");
        MPI_Finalize();
        m->active = false;
        return -1;
    }
    return 0;
}

void sweep_mpi_finalize(sweep_mpi *m) {
    if (m->active) MPI_Finalize();
    m->active = false;
    free(m->idle);
    m->idle = NULL;
}

int sweep_mpi_agree(sweep_mpi *m, int status, int *status0) {
    int all = status;
    MPI_Allreduce(&status, &all, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    int s0 = status;
    MPI_Bcast(&s0, 1, MPI_INT, 0, MPI_COMM_WORLD);
    (void)m;
    if (status0) *status0 = s0;
    return all;
}

bool sweep_mpi_same_sweep(sweep_mpi *m, const char *sha256) {
    char mine[65] = {0}, root[65] = {0};
    strncpy(mine, sha256, 64);
    memcpy(root, mine, sizeof root);
    MPI_Bcast(root, 65, MPI_CHAR, 0, MPI_COMM_WORLD);
    int same = strcmp(root, mine) == 0, all = same;
    MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    (void)m;
    return all != 0;
}

int sweep_mpi_settle(sweep_mpi *m, const char *cmd, const char *file, const char *sha256, int status, const char *err) {
    char why[2048];
    snprintf(why, sizeof why, "%s", err ? err : "");
    if (status == FD_OK && !sweep_mpi_same_sweep(m, sha256)) {
        snprintf(why, sizeof why, "%s: the ranks read different sweeps (are the files the same on every node?)", file);
        status = FD_EINPUT;
    } else if (status != FD_OK) {
        sweep_mpi_same_sweep(m, "");
    }
    int s0 = 0, all = sweep_mpi_agree(m, status, &s0);
    if (all != FD_OK && status != FD_OK && (m->rank == 0 || s0 == FD_OK))
        fprintf(stderr, "firedrill %s: %s\n", cmd, why);
    return all;
}

static void sleep_ms(long ms) {
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

/* A result message: u64 unit, u64 n, replica_metrics, incident_record[n]. */
static unsigned char *pack(uint64_t unit, const replica_metrics *row, const incident_record *inc, size_t n,
                           size_t *len) {
    *len = 16 + sizeof *row + n * sizeof *inc;
    unsigned char *b = malloc(*len);
    if (!b) return NULL;
    uint64_t n64 = n;
    memcpy(b, &unit, 8);
    memcpy(b + 8, &n64, 8);
    memcpy(b + 16, row, sizeof *row);
    if (n) memcpy(b + 16 + sizeof *row, inc, n * sizeof *inc);
    return b;
}

/* Receives one message (a request, a result or an error) from any rank;
 * false when none is there. Results are stored; every message asks for the
 * next unit. *answered_work: the message answers a unit handed out. */
static bool receive(sweep_exec *x, int *source, bool *answered_work) {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return false;
    int count = 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    unsigned char *buf = malloc(count > 0 ? (size_t)count : 1);
    if (!buf) {
        if (x) sweep_exec_fail(x, "out of memory receiving from rank %d", st.MPI_SOURCE);
        MPI_Recv(NULL, 0, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else
        MPI_Recv(buf, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    *source = st.MPI_SOURCE;
    *answered_work = st.MPI_TAG == TAG_RESULT || st.MPI_TAG == TAG_ERROR;
    if (buf && x && st.MPI_TAG == TAG_RESULT) {
        uint64_t unit, n;
        if ((size_t)count < 16 + sizeof(replica_metrics)) {
            sweep_exec_fail(x, "rank %d sent a short result", st.MPI_SOURCE);
        } else {
            memcpy(&unit, buf, 8);
            memcpy(&n, buf + 8, 8);
            if ((size_t)count != 16 + sizeof(replica_metrics) + n * sizeof(incident_record)) {
                sweep_exec_fail(x, "rank %d sent a result of the wrong size", st.MPI_SOURCE);
            } else {
                replica_metrics row;
                memcpy(&row, buf + 16, sizeof row);
                incident_record *inc = n ? malloc(n * sizeof *inc) : NULL;
                if (n && !inc)
                    sweep_exec_fail(x, "out of memory");
                else {
                    if (n) memcpy(inc, buf + 16 + sizeof row, n * sizeof *inc);
                    sweep_exec_store(x, unit, &row, inc, (size_t)n);
                }
            }
        }
    } else if (buf && x && st.MPI_TAG == TAG_ERROR) {
        sweep_exec_fail(x, "rank %d: %.*s", st.MPI_SOURCE, count, (const char *)buf);
    }
    free(buf);
    return true;
}

int sweep_mpi_run_stage(sweep_mpi *m, sweep_exec *x, int local_threads, char *err, size_t errlen) {
    if (local_threads < 0) local_threads = 0;
    int rc = sweep_exec_start_threads(x, local_threads, err, errlen);
    uint64_t unit;
    int outstanding = 0; /* units handed to other ranks and not yet back */
    while (m->n_idle > 0 && sweep_exec_take(x, &unit)) {
        MPI_Send(&unit, 1, MPI_UINT64_T, m->idle[--m->n_idle], TAG_WORK, MPI_COMM_WORLD);
        outstanding++;
    }
    /* Units are handed out until none is left (or one failed); the stage
     * ends when every unit handed out is back. */
    bool left = true;
    while (left || outstanding > 0) {
        /* the local threads may take the last units while no rank asks */
        if (left && sweep_exec_exhausted(x)) left = false;
        if (!left && outstanding == 0) break;
        int source;
        bool answered;
        if (!receive(x, &source, &answered)) {
            sweep_exec_pump(x, 0);
            sleep_ms(1);
            continue;
        }
        if (answered) outstanding--;
        if (left && sweep_exec_take(x, &unit)) {
            MPI_Send(&unit, 1, MPI_UINT64_T, source, TAG_WORK, MPI_COMM_WORLD);
            outstanding++;
        } else {
            left = false;
            m->idle[m->n_idle++] = source;
        }
        sweep_exec_pump(x, 0);
    }
    while (sweep_exec_pump(x, 200) > 0) {
    }
    int frc = sweep_exec_finish_threads(x, err, errlen);
    return rc != SWEEP_OK ? rc : frc;
}

void sweep_mpi_stop(sweep_mpi *m) {
    /* Every rank's last message is a request (or a result) left unanswered:
     * wait until all have one in, then answer each with the stop. */
    while (m->n_idle < m->size - 1) {
        int source;
        bool answered;
        if (receive(NULL, &source, &answered))
            m->idle[m->n_idle++] = source;
        else
            sleep_ms(1);
    }
    const uint64_t stop = UNIT_STOP;
    for (int i = 0; i < m->n_idle; i++) MPI_Send(&stop, 1, MPI_UINT64_T, m->idle[i], TAG_WORK, MPI_COMM_WORLD);
    m->n_idle = 0;
}

int sweep_mpi_master(sweep_mpi *m, sweep_exec *x, int local_threads, char *err, size_t errlen) {
    int rc = sweep_mpi_run_stage(m, x, local_threads, err, errlen);
    sweep_mpi_stop(m);
    return rc;
}

int sweep_mpi_worker(sweep_mpi *m, const sweep_spec *sw, char *err, size_t errlen) {
    (void)m;
    int rc = SWEEP_OK;
    rec_cpu_set_blas_threads(1); /* replicas run small kernels, one thread each */
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_REQUEST, MPI_COMM_WORLD);
    world_cache *cache = world_cache_create();
    for (;;) {
        uint64_t unit;
        MPI_Recv(&unit, 1, MPI_UINT64_T, 0, TAG_WORK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (unit == UNIT_STOP) break;
        replica_metrics row;
        incident_record *inc = NULL;
        size_t n = 0, len = 0;
        char why[1024];
        unsigned char *msg = NULL;
        if (unit >= sweep_units(sw)) {
            snprintf(why, sizeof why, "unit %llu is outside the sweep", (unsigned long long)unit);
        } else if (sweep_exec_compute(sw, unit, cache, &row, &inc, &n, NULL, why, sizeof why) == 0) {
            msg = pack(unit, &row, inc, n, &len);
            if (!msg) snprintf(why, sizeof why, "out of memory");
        }
        free(inc);
        if (msg) {
            MPI_Send(msg, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
            free(msg);
        } else {
            /* Rank 0 reports it and stops handing out work. */
            MPI_Send(why, (int)strlen(why), MPI_BYTE, 0, TAG_ERROR, MPI_COMM_WORLD);
            snprintf(err, errlen, "%s", why);
            rc = SWEEP_EFAIL;
        }
    }
    world_cache_free(cache);
    return rc;
}
