/* libFuzzer target: the resume journal as `sweep --resume` reads it
 * (sim/sweep_run.c, through sweep_exec_init): header checks, records cut
 * at the first torn or corrupt one, checksums, the slot binding (point,
 * seed, sweep SHA-256), duplicates. A journal gives its finished replicas,
 * each in its own slot, or a refusal naming the journal; never a crash, a
 * leak or undefined behaviour.
 *
 * The sweep is a small fixed one (2 points x 2 seeds of the reference
 * scenario). The first input byte chooses how the rest becomes the file:
 *   bits 0-1  0: the whole file as given (header included);
 *             1: this sweep's real header, then the bytes as records;
 *             2: the same, with each record's checksum recomputed as the
 *                writer would (sim/sweep_run.h documents the layout), so
 *                that edited records reach the slot checks;
 *   bits 2-3  the shard: 1/1, 0/2 or 1/2 (the header names it).
 * With FUZZ_JOURNAL_SEEDS=DIR set, the target first runs the sweep for real
 * (threads, journal writer) and writes such inputs to DIR: the seeds of
 * tests/fuzz/run.sh. */
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "sim/sweep_run.h"

#define HEADER_BYTES 128 /* of the journal (sim/sweep_run.h) */
#define HEAD_BYTES   16  /* of a record: magic, n_incidents, unit */

static const char sweep_file[] = FUZZ_ROOT "/tests/fuzz/journal_sweep.json"; /* a name only */
static const char sweep_text[] =
    "{\"name\": \"fuzz_journal\", \"base\": \"../../scenarios/reference.json\", \"seeds\": 2,"
    " \"set\": {\"horizon_s\": \"1d\"},"
    " \"parameters\": [{\"path\": \"failover.switchover_s\", \"values\": [30, 60]}]}";
static const uint32_t shards[3][2] = {{0, 1}, {0, 2}, {1, 2}};

/* libFuzzer calls the target as a plain function: the fixture (the parsed
 * sweep, a journal path, the header of each shard) is made once. */
typedef struct fixture {
    sweep_spec sw;
    char path[PATH_MAX];
    unsigned char header[3][HEADER_BYTES];
} fixture;
static fixture fx;

static void fail_setup(const char *what, const char *why) {
    fprintf(stderr, "fuzz_journal: %s: %s\n", what, why);
    exit(1);
}

static void write_file(const char *path, const unsigned char *a, size_t na, const unsigned char *b, size_t nb) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (na && write(fd, a, na) != (ssize_t)na) || (nb && write(fd, b, nb) != (ssize_t)nb) || close(fd) != 0)
        fail_setup(path, "cannot write");
}

static unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_setup(path, "cannot open");
    unsigned char *buf = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 65536;
            unsigned char *grown = realloc(buf, cap);
            if (!grown) fail_setup(path, "out of memory");
            buf = grown;
        }
        size_t got = fread(buf + *n, 1, cap - *n, f);
        *n += got;
        if (!got) break;
    }
    fclose(f);
    return buf;
}

/* The journal of a run of the whole shard, as the writer leaves it. */
static unsigned char *real_journal(int shard, size_t *n) {
    unlink(fx.path);
    sweep_opts o = {.shard_k = shards[shard][0], .shard_n = shards[shard][1], .journal_path = fx.path};
    sweep_exec x;
    char err[2048];
    if (sweep_exec_init(&x, &fx.sw, &o, err, sizeof err) != SWEEP_OK ||
        sweep_exec_run_threads(&x, 1, err, sizeof err) != SWEEP_OK)
        fail_setup("running the sweep", err);
    sweep_exec_free(&x);
    unsigned char *j = read_file(fx.path, n);
    unlink(fx.path);
    if (*n < HEADER_BYTES || memcmp(j, fx.header[shard], HEADER_BYTES) != 0) fail_setup(fx.path, "unexpected header");
    return j;
}

static void write_seed(const char *dir, const char *name, unsigned char mode, const unsigned char *body, size_t n) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, &mode, 1, body, n);
}

static void write_seeds(const char *dir) {
    size_t n, n2;
    unsigned char *j = real_journal(0, &n), *j2 = real_journal(2, &n2);
    write_seed(dir, "whole", 0, j, n);
    write_seed(dir, "records", 1, j + HEADER_BYTES, n - HEADER_BYTES);
    write_seed(dir, "sealed", 2, j + HEADER_BYTES, n - HEADER_BYTES);
    write_seed(dir, "torn", 1, j + HEADER_BYTES, n - HEADER_BYTES - 5);
    write_seed(dir, "header_cut", 0, j, HEADER_BYTES / 2);
    write_seed(dir, "empty", 1, NULL, 0);
    write_seed(dir, "shard_1_of_2", 1 | 2 << 2, j2 + HEADER_BYTES, n2 - HEADER_BYTES);
    free(j);
    free(j2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    char err[2048];
    if (!sweep_parse(&fx.sw, sweep_file, sweep_text, err, sizeof err)) fail_setup("the sweep", err);
    fx.sw.backend = REC_BACKEND_CPU;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx.path, sizeof fx.path, "%s/firedrill-fuzz-journal.%ld", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    for (int s = 0; s < 3; s++) {
        /* A fresh journal holds the header alone. */
        unlink(fx.path);
        sweep_opts o = {.shard_k = shards[s][0], .shard_n = shards[s][1], .fresh = true, .journal_path = fx.path};
        sweep_exec x;
        if (sweep_exec_init(&x, &fx.sw, &o, err, sizeof err) != SWEEP_OK) fail_setup("a fresh journal", err);
        sweep_exec_free(&x);
        size_t n;
        unsigned char *h = read_file(fx.path, &n);
        if (n != HEADER_BYTES) fail_setup(fx.path, "a fresh journal is not a header");
        memcpy(fx.header[s], h, HEADER_BYTES);
        free(h);
    }
    unlink(fx.path);
    const char *seeds = getenv("FUZZ_JOURNAL_SEEDS");
    if (seeds && *seeds) write_seeds(seeds);
    return 0;
}

/* Recomputes the checksum of each whole record of body as the writer does:
 * XXH3-64 of the sweep's SHA-256 (64 hex digits) and the record's bytes. */
static void seal(unsigned char *body, size_t n) {
    const size_t row = sizeof(replica_metrics), inc = sizeof(incident_record);
    size_t at = 0;
    while (n - at >= HEAD_BYTES + row + 8) {
        uint32_t n_inc;
        memcpy(&n_inc, body + at + 4, 4);
        if (n_inc > (n - at - HEAD_BYTES - row - 8) / inc) break;
        size_t len = HEAD_BYTES + row + (size_t)n_inc * inc;
        XXH3_state_t *st = XXH3_createState();
        if (!st) return;
        XXH3_64bits_reset(st);
        XXH3_64bits_update(st, fx.sw.sha256, 64);
        XXH3_64bits_update(st, body + at, len);
        uint64_t sum = XXH3_64bits_digest(st);
        XXH3_freeState(st);
        memcpy(body + at + len, &sum, 8);
        at += len + 8;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int mode = data[0] & 3, shard = (data[0] >> 2 & 3) % 3;
    size_t n = size - 1;
    unsigned char *body = malloc(n ? n : 1);
    if (!body) return 0;
    if (n) memcpy(body, data + 1, n);
    if (mode == 2) seal(body, n);
    if (mode == 1 || mode == 2)
        write_file(fx.path, fx.header[shard], HEADER_BYTES, body, n);
    else
        write_file(fx.path, body, n, NULL, 0);
    free(body);
    size_t written = (mode == 1 || mode == 2) ? HEADER_BYTES + n : n;

    sweep_opts o = {.shard_k = shards[shard][0], .shard_n = shards[shard][1], .resume = true, .journal_path = fx.path};
    sweep_exec x;
    char err[2048] = "";
    int rc = sweep_exec_init(&x, &fx.sw, &o, err, sizeof err);
    if (rc == SWEEP_OK) {
        /* Every replica read back sits in its own slot of this shard. */
        uint64_t done = 0;
        for (uint64_t u = 0; u < x.n_units; u++) {
            if (!x.done[u]) {
                if (x.n_inc[u] || x.inc[u]) abort();
                continue;
            }
            done++;
            uint32_t point = sweep_unit_point(&fx.sw, u);
            uint64_t seed = sweep_unit_seed(&fx.sw, u);
            if (u % o.shard_n != o.shard_k || x.rows[u].point != point || x.rows[u].seed != seed) abort();
            for (size_t i = 0; i < x.n_inc[u]; i++)
                if (x.inc[u][i].point != point || x.inc[u][i].seed != seed) abort();
        }
        if (done != x.n_resumed || x.n_resumed + x.n_pending != x.n_mine) abort();
        /* Cut after its last whole record, never grown (but a header cut
         * short is written again). */
        struct stat st;
        if (stat(fx.path, &st) != 0 || (size_t)st.st_size < HEADER_BYTES ||
            (size_t)st.st_size > (written > HEADER_BYTES ? written : HEADER_BYTES))
            abort();
    } else if ((rc != SWEEP_EUSAGE && rc != SWEEP_EFAIL) || !err[0]) {
        abort();
    }
    sweep_exec_free(&x);
    unlink(fx.path);
    return 0;
}
