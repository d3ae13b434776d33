/* Shared by the libFuzzer targets of `make fuzz` (tests/fuzz/run.sh). */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The repository root (the Makefile passes it), so that base scenarios
 * named by sweep files resolve wherever the target runs. */
#ifndef FUZZ_ROOT
#define FUZZ_ROOT "."
#endif

/* optional: only targets that set up a fixture define it */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'ed; NULL when out of memory). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return NULL;
    if (size) memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* Every refusal of a parser given text names the file first ("FILE: ...");
 * one of a reader of files at least names it ("cannot read FILE: ..."). */
static inline int fuzz_names_file(const char *err, const char *file) {
    size_t n = strlen(file);
    return strncmp(err, file, n) == 0 && err[n] == ':';
}
static inline int fuzz_mentions_file(const char *err, const char *file) { return strstr(err, file) != NULL; }

/* A refusal that does not name its file: reported as a crash. */
static inline void fuzz_bad_message(const char *err) {
    fprintf(stderr, "refusal without its file: %s\n", err);
    abort();
}

#endif
