/* The error formatter of the models that return error codes (backup_chain,
 * model_state, checkpoint, trainer): formats a message into the caller's
 * buffer (skipped when err is NULL or errlen is 0; cut to fit) and hands
 * back the code, so a failing function ends with
 * `return model_errf(err, errlen, CODE, ...)`. Scenario parsers report
 * through cfg_fail (models/cfg.h) instead. */
#ifndef MODELS_ERRF_H
#define MODELS_ERRF_H

#include <stddef.h>

int model_errf(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
