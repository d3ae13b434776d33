/* The models' one way to report an error: format a message into the
 * caller's buffer (which may be NULL) and hand back the error code, so a
 * failing function ends with `return model_errf(err, errlen, CODE, ...)`. */
#ifndef MODELS_ERRF_H
#define MODELS_ERRF_H

#include <stddef.h>

int model_errf(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
