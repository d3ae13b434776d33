/* The one error space of firedrill and its one message formatter.
 *
 * Every function of the program layer that can fail returns an fd_status
 * (or a module's alias of one: CFG_EINPUT is FD_EINPUT) and fills the
 * caller's message buffer through fd_errf, "FILE: JSON.PATH: reason";
 * callers add context, and sim/cli.c alone turns a status into the
 * process's exit code (cli_exit_status: FD_EINPUT is 2, every other
 * failure 1). Library code never calls exit() and never names an exit code.
 *
 * Models with their own detailed codes (backup_chain, model_state, trainer,
 * phi, checkpoint, the engine) keep them for their callers; what reaches
 * the program is one of these.
 *
 * util/ sits below every other folder: it includes only the C library, so
 * the engine, the models, the kernels (and the CUDA backend's shared
 * object), the analysis and the program may all use it. */
#ifndef UTIL_FD_STATUS_H
#define UTIL_FD_STATUS_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, description). If you change a value, grep ORDER FD_STATUS:
 * module aliases (CFG_, REC_, H5IN_, SUMMARY_, PLOT_, REPORT_, MONEY_,
 * SWEEP_) take these values. */
#define FD_STATUS_MAP(X)                                                                                               \
    X(FD_OK, 0, "success")                                                                                             \
    X(FD_EINPUT, -1, "bad input")         /* a file, value or option the user gave is wrong: exit 2 */                 \
    X(FD_EFAIL, -2, "the work failed")    /* a replica, a check or a library call failed: exit 1 */                    \
    X(FD_ENOMEM, -3, "out of memory")     /* exit 1 */                                                                 \
    X(FD_EIO, -4, "input/output error")   /* reading or writing a file failed: exit 1 */                               \
    X(FD_ENODEV, -5, "no device")         /* the requested backend has no device here: exit 1 */                       \
    X(FD_EBACKEND, -6, "backend failed")  /* a CUDA, cuBLAS or BLAS call failed: exit 1 */                             \
    X(FD_EINTERRUPTED, -7, "interrupted") /* stopped by a signal; finished work is journaled: exit 1 */

typedef enum fd_status {
#define FD_STATUS_ENUM(name, value, text) name = value,
    FD_STATUS_MAP(FD_STATUS_ENUM)
#undef FD_STATUS_ENUM
} fd_status;

/* "FD_EINPUT", ... ; "FD_UNKNOWN" for a value outside the map. */
const char *fd_status_name(int status);
/* "bad input", ... ; "unknown status" for a value outside the map. */
const char *fd_status_text(int status);

/* The formatter: formats a message into err (skipped when err is NULL or
 * errlen 0; cut to fit) and hands back code, so that a failing function
 * ends with `return fd_errf(err, errlen, FD_EINPUT, "...", ...)`. code is
 * an int so that modules' detailed codes pass through too. */
int fd_errf(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int fd_verrf(char *err, size_t errlen, int code, const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* "FILE: PATH: reason" (PATH "" leaves it out, FILE NULL or "" too): the
 * message of a bad value at a JSON path. Returns code. */
int fd_errf_at(char *err, size_t errlen, int code, const char *file, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int fd_verrf_at(char *err, size_t errlen, int code, const char *file, const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

/* Formats onto the end of the text already in buf (cut to fit): for
 * messages built in parts. */
void fd_appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif

#endif
