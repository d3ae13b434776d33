/* Output directories written whole or not at all (sim/outdir.h). */
#include "sim/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Removes the plain files of dir, then dir (best effort: what cannot go stays). */
static void remove_tree(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0) close(fd);
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) unlinkat(dirfd(d), e->d_name, 0);
    if (d) closedir(d);
    rmdir(dir);
}

/* dir/base.tmp.PID of processes that no longer run: left by a kill. */
static void remove_stale(const char *dir, const char *base, FILE *notes) {
    DIR *d = opendir(dir);
    if (!d) return;
    char prefix[OUTDIR_PATH_MAX];
    int n = snprintf(prefix, sizeof prefix, "%s.tmp.", base);
    for (struct dirent *e; n > 0 && (size_t)n < sizeof prefix && (e = readdir(d));) {
        if (strncmp(e->d_name, prefix, (size_t)n) != 0) continue;
        char *end;
        long pid = strtol(e->d_name + n, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char path[2 * OUTDIR_PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        remove_tree(path);
        if (notes) fprintf(notes, "removed %s, left by process %ld that no longer runs\n", path, pid);
    }
    closedir(d);
}

int outdir_begin(outdir *od, const char *out, FILE *notes, char *err, size_t errlen) {
    memset(od, 0, sizeof *od);
    size_t len = strlen(out);
    while (len > 1 && out[len - 1] == '/') len--;
    if (len == 0) {
        snprintf(err, errlen, "the output directory is empty");
        return OUTDIR_EINPUT;
    }
    if (len >= sizeof od->final) {
        snprintf(err, errlen, "%.64s...: the output directory's name is too long", out);
        return OUTDIR_EINPUT;
    }
    memcpy(od->final, out, len);
    od->final[len] = '\0';
    struct stat st;
    if (stat(od->final, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s exists and is not a directory", od->final);
            return OUTDIR_EINPUT;
        }
        od->existed = 1;
    } else if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", od->final, strerror(errno));
        return OUTDIR_EFAIL;
    }
    /* The parent, made as by mkdir -p; the topmost one made is kept. */
    char parent[OUTDIR_PATH_MAX];
    memcpy(parent, od->final, len + 1);
    char *slash = strrchr(parent, '/');
    const char *base = od->final;
    if (slash) {
        base = od->final + (slash - parent) + 1;
        *slash = '\0';
        if (slash == parent) strcpy(parent, "/");
    } else {
        strcpy(parent, ".");
    }
    if (slash && slash != parent) {
        for (char *p = parent + 1;; p++) {
            bool last = *p == '\0';
            if (!last && *p != '/') continue;
            *p = '\0';
            if (mkdir(parent, 0777) == 0) {
                if (!od->created_len) od->created_len = strlen(parent);
            } else if (errno != EEXIST || stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
                int e = errno == EEXIST ? ENOTDIR : errno;
                snprintf(err, errlen, "%s: cannot create the directory: %s", parent, strerror(e));
                outdir_abort(od);
                return OUTDIR_EFAIL;
            }
            if (last) break;
            *p = '/';
        }
    }
    remove_stale(parent, base, notes);
    snprintf(od->tmp, sizeof od->tmp, "%s.tmp.%ld", od->final, (long)getpid());
    if (mkdir(od->tmp, 0700) != 0) {
        snprintf(err, errlen, "%s: cannot create the temporary directory: %s", od->tmp, strerror(errno));
        od->tmp[0] = '\0'; /* not ours: left alone */
        outdir_abort(od);
        return OUTDIR_EFAIL;
    }
    return OUTDIR_OK;
}

/* Each file of od->tmp renamed into the existing OUT. */
static int merge(outdir *od, char *err, size_t errlen) {
    DIR *d = opendir(od->tmp);
    if (!d) {
        snprintf(err, errlen, "%s: %s", od->tmp, strerror(errno));
        return OUTDIR_EFAIL;
    }
    int rc = OUTDIR_OK;
    for (struct dirent *e; rc == OUTDIR_OK && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char from[2 * OUTDIR_PATH_MAX], to[2 * OUTDIR_PATH_MAX];
        snprintf(from, sizeof from, "%s/%s", od->tmp, e->d_name);
        snprintf(to, sizeof to, "%s/%s", od->final, e->d_name);
        if (rename(from, to) != 0) {
            snprintf(err, errlen, "%s: cannot move into place: %s", to, strerror(errno));
            rc = OUTDIR_EFAIL;
        }
    }
    closedir(d);
    if (rc == OUTDIR_OK && rmdir(od->tmp) != 0) {
        snprintf(err, errlen, "%s: cannot remove: %s", od->tmp, strerror(errno));
        rc = OUTDIR_EFAIL;
    }
    return rc;
}

int outdir_commit(outdir *od, char *err, size_t errlen) {
    mode_t mask = umask(0);
    umask(mask);
    if (chmod(od->tmp, 0777 & ~mask) != 0) {
        snprintf(err, errlen, "%s: %s", od->tmp, strerror(errno));
        return OUTDIR_EFAIL;
    }
    int rc = OUTDIR_OK;
    struct stat st;
    if (stat(od->final, &st) != 0 && errno == ENOENT) {
        if (rename(od->tmp, od->final) != 0) {
            /* OUT appeared meanwhile (another run): merge into it. */
            if (errno == ENOTEMPTY || errno == EEXIST)
                rc = merge(od, err, errlen);
            else {
                snprintf(err, errlen, "%s: cannot move into place: %s", od->final, strerror(errno));
                rc = OUTDIR_EFAIL;
            }
        }
    } else if (S_ISDIR(st.st_mode)) {
        rc = merge(od, err, errlen);
    } else {
        snprintf(err, errlen, "%s exists and is not a directory", od->final);
        rc = OUTDIR_EFAIL;
    }
    if (rc == OUTDIR_OK) {
        od->tmp[0] = '\0';
        od->created_len = 0;
    }
    return rc;
}

void outdir_abort(outdir *od) {
    if (od->tmp[0]) remove_tree(od->tmp);
    od->tmp[0] = '\0';
    /* The parents made, deepest first, while empty. */
    if (od->created_len) {
        char path[OUTDIR_PATH_MAX];
        snprintf(path, sizeof path, "%s", od->final);
        for (char *slash; (slash = strrchr(path, '/')) && (size_t)(slash - path) >= od->created_len;) {
            *slash = '\0';
            if (rmdir(path) != 0) break;
        }
    }
    od->created_len = 0;
}
