/* libFuzzer target: sweep files (sim/sweep.c sweep_parse). Any bytes give
 * an expanded sweep within its documented limits or a message naming the
 * file, never a crash, a leak or undefined behaviour. The input is read as
 * FUZZ_ROOT/scenarios/sweeps/fuzz.json (never written), so the shipped
 * sweeps' base files ("../reference.json") resolve: seeded with
 * scenarios/sweeps and scenarios/optimize (tests/fuzz/run.sh). */
#include "tests/fuzz/fuzz.h"

#include "sim/sweep.h"

static const char sweep_file[] = FUZZ_ROOT "/scenarios/sweeps/fuzz.json";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    if (!text) return 0;
    sweep_spec sw;
    char err[2048];
    if (sweep_parse(&sw, sweep_file, text, err, sizeof err)) {
        if (sw.n_points < 1 || sw.n_points > SWEEP_MAX_POINTS || sw.seeds < 1 || sweep_units(&sw) > SWEEP_MAX_UNITS ||
            sw.baseline_point >= sw.n_points || sw.n_metrics < 1 || strlen(sw.sha256) != 64 || !sw.name || !sw.name[0])
            abort();
        for (size_t i = 0; i < sw.n_points; i++)
            if (sw.points[i].index != i || !sw.points[i].scenario_json || strlen(sw.points[i].sha256) != 64) abort();
    } else if (!fuzz_names_file(err, sweep_file)) {
        fuzz_bad_message(err);
    }
    sweep_free(&sw);
    free(text);
    return 0;
}
