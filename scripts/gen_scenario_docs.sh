#!/usr/bin/env bash
# Regenerates scenarios/schema.json and the key table of scenarios/README.md
# from the parser's key registry (tests/unit/test_scenario_keys.c checks
# that the committed files agree with the parser).
set -euo pipefail
fd=${1:-build/firedrill}
"$fd" validate --schema scenarios/reference.json > scenarios/schema.json
table=$("$fd" validate --list-keys scenarios/reference.json |
    awk -F'\t' '{ t = $2; sub(/^enum:/, "one of ", t); gsub(/\|/, ", ", t);
                  printf "| `%s` | %s | %s | %s | %s |\n", $1, t, $3, $4, $7 }')
awk -v table="$table" '
    /^<!-- keys:begin -->/ { print; print "| key | type | unit | default | meaning |"; print "|---|---|---|---|---|"; print table; skip = 1; next }
    /^<!-- keys:end -->/ { skip = 0 }
    !skip' scenarios/README.md > scenarios/README.md.tmp
mv scenarios/README.md.tmp scenarios/README.md
