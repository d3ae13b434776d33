#!/usr/bin/env bash
# Regenerates, from the parsers' key registries, the JSON Schemas
#   scenarios/schema.json           firedrill validate --schema scenarios/reference.json
#   scenarios/sweep.schema.json     firedrill sweep --schema
#   scenarios/optimize.schema.json  firedrill optimize --schema
# and the key tables of scenarios/README.md between <!-- keys:begin -->,
# <!-- sweep-keys:begin --> and <!-- optimize-keys:begin --> and their
# ends (the optimize table lists the keys an optimize file adds to a sweep
# file). tests/unit/test_scenario_keys.c checks that the committed files
# agree with the parsers.
set -euo pipefail
fd=${1:-build/firedrill}
"$fd" validate --schema scenarios/reference.json > scenarios/schema.json
"$fd" sweep --schema > scenarios/sweep.schema.json
"$fd" optimize --schema > scenarios/optimize.schema.json

# Registry lines (path, type, unit, default, min, max, meaning) on stdin as
# Markdown table rows.
rows() {
    awk -F'\t' '{ t = $2; sub(/^enum:/, "one of ", t); gsub(/\|/, ", ", t);
                  printf "| `%s` | %s | %s | %s | %s |\n", $1, t, $3, $4, $7 }'
}
# put MARKER ROWS: the table between <!-- MARKER:begin --> and <!-- MARKER:end -->.
put() {
    awk -v marker="$1" -v table="$2" '
        $0 == "<!-- " marker ":begin -->" {
            print; print "| key | type | unit | default | meaning |"; print "|---|---|---|---|---|"; print table
            skip = 1; next }
        $0 == "<!-- " marker ":end -->" { skip = 0 }
        !skip' scenarios/README.md > scenarios/README.md.tmp
    mv scenarios/README.md.tmp scenarios/README.md
}
put keys "$("$fd" validate --list-keys scenarios/reference.json | rows)"
sweep_keys=$("$fd" sweep --list-keys)
put sweep-keys "$(rows <<< "$sweep_keys")"
put optimize-keys "$("$fd" optimize --list-keys |
    awk -F'\t' 'NR == FNR { sweep[$1] = 1; next } !($1 in sweep)' <(cut -f1 <<< "$sweep_keys") - | rows)"
