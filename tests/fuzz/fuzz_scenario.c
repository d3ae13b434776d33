/* libFuzzer target: any bytes given to the scenario parser must give a
 * scenario or an error message naming a JSON path, never a crash, a leak
 * or undefined behaviour. Run with `make fuzz` (clang, ASan, UBSan). */
#include "tests/fuzz/fuzz.h"

#include "models/cfg.h"
#include "models/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    if (!text) return 0;
    scenario sc;
    char err[1024];
    if (!scenario_parse(&sc, "fuzz.json", text, err, sizeof err)) {
        /* every refusal says where: "fuzz.json: ..." */
        if (!fuzz_names_file(err, "fuzz.json")) fuzz_bad_message(err);
    }
    scenario_free(&sc);
    double seconds;
    cfg_parse_duration(text, &seconds);
    free(text);
    return 0;
}
