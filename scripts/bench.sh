#!/usr/bin/env bash
# `make bench`: every benchmark, one parseable line per figure.
# Engine figures are the median of 5 runs (by events_per_s), single thread.
set -euo pipefail
fd=${1:-build/firedrill}

median_of_5() { # runs "$@" five times, prints the line with the median events_per_s
    for _ in 1 2 3 4 5; do "$@"; done |
        awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^events_per_s=/) { split($i, kv, "="); print kv[2], $0 } }' |
        sort -n | sed -n 3p | cut -d' ' -f2-
}

echo "# engine: PHOLD, median of 5 (targets: >= 8e6 events/s small; >= 2.5e6 and <= 64 B/pending large)"
median_of_5 "$fd" bench phold --lps 1000 --init 1 --remote 1 --lookahead 0 --mean 1 --events 1e6
median_of_5 "$fd" bench phold --lps 1000 --init 1000 --remote 1 --lookahead 0 --mean 1 --events 1e7

echo "# world: reference scenario, 100 replicas x 30 days (target <= 0.2 s per replica)"
out=$(mktemp -d)
start=$(date +%s.%N)
"$fd" run scenarios/reference.json --seeds 100 -o "$out/ref.h5" --quiet
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "world scenario=reference seeds=100 wall_s=%.3f wall_per_replica_s=%.5f\n", e - s, (e - s) / 100 }'
rm -rf "$out"
if "$fd" bench kernels --help >/dev/null 2>&1; then
    echo "# kernels (CPU)"
    "$fd" bench kernels --backend cpu
fi
