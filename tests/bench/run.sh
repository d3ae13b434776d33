#!/usr/bin/env bash
# `make bench`: every benchmark, one parseable line per figure, each with the
# target it is held to. Timings are wall-clock on this machine; rerun on the
# machine you care about.
#   BENCH_SWEEP_REPLICAS (default 1000): replicas of the sweep-scaling figure;
#   the 10,000 took 472 s at -j 2 here (2026-11-27), about 16 min at -j 1.
set -euo pipefail
fd=${1:-build/firedrill}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median_of_5() { # runs "$@" five times, prints the line with the median events_per_s
    for _ in 1 2 3 4 5; do "$@"; done |
        awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^events_per_s=/) { split($i, kv, "="); print kv[2], $0 } }' |
        sort -n | sed -n 3p | cut -d' ' -f2-
}

now() { date +%s.%N; }

echo "# engine: PHOLD, median of 5, single thread"
echo "#   targets: small >= 8e6 events/s; large >= 2.5e6 events/s and <= 64 bytes per pending event"
median_of_5 "$fd" bench phold --lps 1000 --init 1 --remote 1 --lookahead 0 --mean 1 --events 1e6
median_of_5 "$fd" bench phold --lps 1000 --init 1000 --remote 1 --lookahead 0 --mean 1 --events 1e7

echo "# world: reference scenario, 100 replicas x 30 days, one thread (target <= 0.2 s per replica)"
t0=$(now)
"$fd" run scenarios/reference.json --seeds 100 -j 1 -o "$tmp/ref.h5" --quiet
t1=$(now)
events=$("$fd" summarize "$tmp/ref.h5" --csv --metrics events | awk -F, 'NR == 2 { printf "%.0f", $6 }')
awk -v a="$t0" -v b="$t1" -v e="$events" 'BEGIN { printf "world scenario=reference seeds=100 threads=1 wall_s=%.3f wall_per_replica_s=%.5f events_per_replica=%s target_s=0.2\n", b - a, (b - a) / 100, e }'

n=${BENCH_SWEEP_REPLICAS:-1000}
echo "# sweep: $n replicas of reference.json (target: 10,000 in <= 600 s with -j 2, -j 2 >= 1.8x -j 1)"
printf '{"name":"bench","base":"%s/scenarios/reference.json","seeds":%d}\n' "$PWD" "$n" > "$tmp/sweep.json"
declare -A wall
for j in 1 2; do
    t0=$(now)
    "$fd" sweep "$tmp/sweep.json" -j "$j" -o "$tmp/s$j.h5" --quiet
    t1=$(now)
    wall[$j]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    awk -v w="${wall[$j]}" -v n="$n" -v j="$j" 'BEGIN { printf "sweep replicas=%d threads=%d wall_s=%.3f replicas_per_s=%.1f projected_10000_s=%.0f\n", n, j, w, n / w, w * 10000 / n }'
done
awk -v a="${wall[1]}" -v b="${wall[2]}" 'BEGIN { printf "sweep speedup_j2_over_j1=%.2f target=1.8\n", a / b }'
if command -v mpirun >/dev/null 2>&1; then
    t0=$(now)
    mpirun --allow-run-as-root --oversubscribe -n 2 "$fd" sweep "$tmp/sweep.json" -o "$tmp/mpi.h5" --quiet
    t1=$(now)
    awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "sweep replicas=%d mpi_ranks=2 wall_s=%.3f replicas_per_s=%.1f projected_10000_s=%.0f\n", n, b - a, n / (b - a), (b - a) * 10000 / n }'
fi

echo "# kernels (CPU): against memcpy, random row reads and bare sgemm (targets: embbag >= 0.5 of memcpy, mlp >= 0.9)"
"$fd" bench kernels --backend cpu
