#!/usr/bin/env bash
# `make memcheck`: the program under valgrind on small but complete jobs.
set -euo pipefail
fd=${1:-build/firedrill}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vg=(valgrind --quiet --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite)
cat > "$tmp/run.json" <<'JSON'
{"name":"memcheck","horizon_s":"1h",
 "topology":{"regions":[{"name":"a","servers":2,"role":"primary"},{"name":"b","servers":2,"role":"standby"}]},
 "traffic":{"fidelity":"requests","base_qps":200},
 "model":{"real_state":{"enabled":true}},
 "failover":{"standby":"cold"},
 "disasters":[{"kind":"region_outage","region":"a","at_s":["20m"],"duration":{"law":"fixed","mean_s":"10m"}}]}
JSON
printf '{"name":"memcheck_sweep","base":"%s/scenarios/seed_case.json","seeds":2,"parameters":[{"path":"failover.switchover_s","values":[5,20]}]}\n' "$PWD" > "$tmp/sweep.json"
"${vg[@]}" "$fd" run "$tmp/run.json" --seeds 1 -j 1 --trace -o "$tmp/run.h5" --quiet
echo "memcheck: run clean"
"${vg[@]}" "$fd" sweep "$tmp/sweep.json" -j 2 -o "$tmp/sweep.h5" --quiet
echo "memcheck: sweep clean"
"${vg[@]}" "$fd" summarize "$tmp/sweep.h5" > /dev/null
echo "memcheck: summarize clean"
