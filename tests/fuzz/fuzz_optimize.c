/* libFuzzer target: optimize files (sim/optimize.c opt_load: targets,
 * objective and budget, then the rest as a sweep file). opt_load reads a
 * file, so each input is written to OPTIMIZE/fuzz.json in a sandbox whose
 * other entries link to the entries of FUZZ_ROOT/scenarios: base files named
 * "../reference.json" resolve as for the shipped optimize files. */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/optimize.h"

/* libFuzzer calls the target as a plain function: the sandbox made once
 * is the fixture's only state; it goes at exit. */
static char sandbox[PATH_MAX - 64], opt_file[PATH_MAX];

static void remove_sandbox(void) {
    unlink(opt_file);
    DIR *d = opendir(sandbox);
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", sandbox, e->d_name);
        if (e->d_name[0] != '.') (strcmp(e->d_name, "optimize") == 0 ? rmdir : unlink)(path);
    }
    if (d) closedir(d);
    rmdir(sandbox);
}

static void fail_setup(const char *what) {
    perror(what);
    exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    char *dir = sandbox;
    snprintf(sandbox, sizeof sandbox, "%s/firedrill-fuzz-optimize-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(sandbox)) fail_setup("mkdtemp");
    atexit(remove_sandbox);
    DIR *d = opendir(FUZZ_ROOT "/scenarios");
    if (!d) fail_setup(FUZZ_ROOT "/scenarios");
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "optimize") == 0) continue;
        char from[PATH_MAX], to[PATH_MAX];
        snprintf(from, sizeof from, "%s/scenarios/%s", FUZZ_ROOT, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        if (symlink(from, to) != 0) fail_setup(to);
    }
    closedir(d);
    snprintf(opt_file, sizeof opt_file, "%s/optimize", dir);
    if (mkdir(opt_file, 0700) != 0) fail_setup(opt_file);
    snprintf(opt_file, sizeof opt_file, "%s/optimize/fuzz.json", dir);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = open(opt_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) != 0) fail_setup(opt_file);
    opt_spec spec;
    char err[2048];
    if (opt_load(&spec, opt_file, err, sizeof err)) {
        if (spec.sw.n_points < 1 || spec.sw.seeds < spec.n0 || !spec.objective_field || spec.n_constraints < 1 ||
            spec.n_constraints > RS_MAX_CONSTRAINTS || !(spec.confidence > 0 && spec.confidence < 1))
            abort();
    } else if (!fuzz_mentions_file(err, opt_file)) {
        fuzz_bad_message(err);
    }
    opt_free(&spec);
    return 0;
}
