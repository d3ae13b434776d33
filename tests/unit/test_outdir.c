/* sim/outdir.c: output directories that appear whole or not at all; an
 * existing one gets each new file and keeps the others; a failure leaves
 * neither the temporary directory nor parents it made; stale temporary
 * directories of dead processes go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/outdir.h"

static char base[] = "/tmp/firedrill-test-outdir-XXXXXX";

static int setup(void **state) {
    (void)state;
    return mkdtemp(base) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *dir, const char *name, const char *text) {
    char path[8300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *get(const char *dir, const char *name, char *buf, size_t len) {
    char path[8300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static bool exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_new_directory_appears_whole(void **state) {
    (void)state;
    char out[256], err[1024], buf[64];
    snprintf(out, sizeof out, "%s/a/b/plots/", base); /* trailing slash, missing parents */
    outdir od;
    assert_int_equal(outdir_begin(&od, out, NULL, err, sizeof err), OUTDIR_OK);
    out[strlen(out) - 1] = '\0';
    assert_string_equal(od.final, out);
    assert_false(exists(out));
    struct stat st;
    assert_int_equal(stat(od.tmp, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    put(od.tmp, "x.dat", "1 2\n");
    assert_false(exists(out));
    assert_int_equal(outdir_commit(&od, err, sizeof err), OUTDIR_OK);
    assert_string_equal(get(out, "x.dat", buf, sizeof buf), "1 2\n");
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    assert_false(exists(tmp));
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0777 & ~mask);
}

static void test_existing_directory_gets_new_files(void **state) {
    (void)state;
    char out[256], err[1024], buf[64];
    snprintf(out, sizeof out, "%s/merge", base);
    assert_int_equal(mkdir(out, 0777), 0);
    put(out, "old.dat", "old\n");
    put(out, "x.dat", "stale\n");
    outdir od;
    assert_int_equal(outdir_begin(&od, out, NULL, err, sizeof err), OUTDIR_OK);
    put(od.tmp, "x.dat", "new\n");
    assert_string_equal(get(out, "x.dat", buf, sizeof buf), "stale\n"); /* untouched until commit */
    assert_int_equal(outdir_commit(&od, err, sizeof err), OUTDIR_OK);
    assert_string_equal(get(out, "x.dat", buf, sizeof buf), "new\n");
    assert_string_equal(get(out, "old.dat", buf, sizeof buf), "old\n");
}

static void test_abort_leaves_nothing(void **state) {
    (void)state;
    char out[256], top[256], err[1024], buf[64];
    snprintf(top, sizeof top, "%s/made", base);
    snprintf(out, sizeof out, "%s/made/deeper/rep", base);
    outdir od;
    assert_int_equal(outdir_begin(&od, out, NULL, err, sizeof err), OUTDIR_OK);
    put(od.tmp, "half.dat", "1 2");
    outdir_abort(&od);
    assert_false(exists(top)); /* the parents it made went too */

    /* An existing directory is left as it was. */
    snprintf(out, sizeof out, "%s/kept", base);
    assert_int_equal(mkdir(out, 0777), 0);
    put(out, "x.dat", "old\n");
    assert_int_equal(outdir_begin(&od, out, NULL, err, sizeof err), OUTDIR_OK);
    put(od.tmp, "x.dat", "half");
    outdir_abort(&od);
    assert_string_equal(get(out, "x.dat", buf, sizeof buf), "old\n");
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    assert_false(exists(tmp));
}

static void test_refusals(void **state) {
    (void)state;
    char out[256], err[1024];
    outdir od;
    assert_int_equal(outdir_begin(&od, "", NULL, err, sizeof err), OUTDIR_EINPUT);
    snprintf(out, sizeof out, "%s/file", base);
    put(base, "file", "x");
    assert_int_equal(outdir_begin(&od, out, NULL, err, sizeof err), OUTDIR_EINPUT);
    assert_non_null(strstr(err, "exists and is not a directory"));
    /* A parent that is a file: nothing made. */
    snprintf(out, sizeof out, "%s/file/sub/out", base);
    assert_int_equal(outdir_begin(&od, out, NULL, err, sizeof err), OUTDIR_EFAIL);
    assert_non_null(strstr(err, "Not a directory"));
    /* A temporary directory of this process already there: refused, kept. */
    snprintf(out, sizeof out, "%s/busy", base);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(outdir_begin(&od, out, NULL, err, sizeof err), OUTDIR_EFAIL);
    assert_non_null(strstr(err, "File exists"));
    assert_true(exists(tmp));
    assert_int_equal(rmdir(tmp), 0);
}

static void test_stale_temporary_directories_go(void **state) {
    (void)state;
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    assert_true(dead > 0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    char out[256], stale[300], live[300], err[1024];
    snprintf(out, sizeof out, "%s/st", base);
    snprintf(stale, sizeof stale, "%s.tmp.%ld", out, (long)dead);
    snprintf(live, sizeof live, "%s.tmp.%ld", out, (long)getppid());
    assert_int_equal(mkdir(stale, 0700), 0);
    put(stale, "half.dat", "1");
    assert_int_equal(mkdir(live, 0700), 0);
    outdir od;
    assert_int_equal(outdir_begin(&od, out, NULL, err, sizeof err), OUTDIR_OK);
    assert_false(exists(stale));
    assert_true(exists(live)); /* its process still runs */
    outdir_abort(&od);
    assert_int_equal(rmdir(live), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_directory_appears_whole),    cmocka_unit_test(test_existing_directory_gets_new_files),
        cmocka_unit_test(test_abort_leaves_nothing),           cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_stale_temporary_directories_go),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
