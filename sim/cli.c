#include "sim/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "models/overload.h"

bool cli_parse_u64(const char *cmd, const char *option, const char *text, uint64_t min, uint64_t max, uint64_t *out) {
    char *end = NULL;
    errno = 0;
    /* strtod first so that "1e7" is accepted for event counts, then require
     * an exact integer. */
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || v != floor(v) || v < (double)min || v > (double)max) {
        fprintf(stderr, "firedrill %s: %s: expected an integer in [%llu, %llu], got '%s'\n", cmd, option,
                (unsigned long long)min, (unsigned long long)max, text);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

bool cli_parse_double(const char *cmd, const char *option, const char *text, double min, double max, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "firedrill %s: %s: expected a number in [%g, %g], got '%s'\n", cmd, option, min, max, text);
        return false;
    }
    *out = v;
    return true;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "firedrill %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'firedrill %s --help'.\n", cmd);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

int cli_warn_overload(const scenario *sc, const char *label, FILE *out) {
    overload_check checks[OVERLOAD_KINDS];
    overload_check_backups(sc, checks);
    int n = 0;
    for (int k = 0; k < OVERLOAD_KINDS; k++) {
        char msg[768];
        if (!overload_message(sc, (overload_backup)k, &checks[k], msg, sizeof msg)) continue;
        fprintf(out, "warning: %s: %s\n", label, msg);
        n++;
    }
    return n;
}

bool cli_sha256_hex(const void *data, size_t n, char out[65]) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(data, n, digest, &len, EVP_sha256(), NULL) || len != 32) {
        out[0] = '\0';
        return false;
    }
    for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
    return true;
}

void cli_join_command(int argc, char **argv, char *out, size_t len) {
    out[0] = '\0';
    for (int i = 0; i < argc; i++) {
        size_t used = strlen(out);
        if (used + 1 >= len) break;
        snprintf(out + used, len - used, "%s%s", i ? " " : "firedrill ", argv[i]);
    }
}

void cli_errf(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
