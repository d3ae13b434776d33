#include "util/fd_status.h"

#include <stdio.h>
#include <string.h>

const char *fd_status_name(int status) {
    switch (status) {
#define FD_STATUS_NAME(name, value, text)                                                                              \
    case value: return #name;
        FD_STATUS_MAP(FD_STATUS_NAME)
#undef FD_STATUS_NAME
    default: return "FD_UNKNOWN";
    }
}

const char *fd_status_text(int status) {
    switch (status) {
#define FD_STATUS_TEXT(name, value, text)                                                                              \
    case value: return text;
        FD_STATUS_MAP(FD_STATUS_TEXT)
#undef FD_STATUS_TEXT
    default: return "unknown status";
    }
}

/* The one place a message is formatted with a va_list (make lint checks). */
int fd_verrf(char *err, size_t errlen, int code, const char *fmt, va_list ap) {
    if (err && errlen > 0) vsnprintf(err, errlen, fmt, ap);
    return code;
}

int fd_errf(char *err, size_t errlen, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fd_verrf(err, errlen, code, fmt, ap);
    va_end(ap);
    return code;
}

int fd_verrf_at(char *err, size_t errlen, int code, const char *file, const char *path, const char *fmt, va_list ap) {
    if (!err || errlen == 0) return code;
    int n = 0;
    if (file && file[0]) n = snprintf(err, errlen, "%s: ", file);
    if (n >= 0 && (size_t)n < errlen && path && path[0]) n += snprintf(err + n, errlen - (size_t)n, "%s: ", path);
    if (n < 0 || (size_t)n >= errlen) return code;
    return fd_verrf(err + n, errlen - (size_t)n, code, fmt, ap);
}

int fd_errf_at(char *err, size_t errlen, int code, const char *file, const char *path, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fd_verrf_at(err, errlen, code, file, path, fmt, ap);
    va_end(ap);
    return code;
}

void fd_appendf(char *buf, size_t len, const char *fmt, ...) {
    if (!buf || len == 0) return;
    size_t used = strnlen(buf, len);
    if (used + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    fd_verrf(buf + used, len - used, FD_OK, fmt, ap);
    va_end(ap);
}
