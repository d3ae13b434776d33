/* libFuzzer target: any bytes given to the scenario parser must give a
 * scenario or an error message naming a JSON path, never a crash, a leak
 * or undefined behaviour. Run with `make fuzz` (clang, ASan, UBSan). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    scenario sc;
    char err[1024];
    if (!scenario_parse(&sc, "fuzz.json", text, err, sizeof err)) {
        /* every refusal says where: "fuzz.json: ..." */
        if (strncmp(err, "fuzz.json: ", 11) != 0) abort();
    }
    scenario_free(&sc);
    double seconds;
    cfg_parse_duration(text, &seconds);
    free(text);
    return 0;
}
