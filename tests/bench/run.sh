#!/usr/bin/env bash
# `make bench`: every benchmark, one parseable line per figure, each with the
# target it is held to. Timings are wall-clock on this machine; rerun on the
# machine you care about.
#   BENCH_SWEEP_REPLICAS (default 10000): replicas of the sweep-scaling figure
#   (target: 10,000 in <= 15 s with -j 2).
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
echo "#   targets: small >= 8e6 events/s and >= 0.7 of the bare heap; large >= 2.5e6 events/s, >= 0.8 of the bare heap, <= 64 bytes per pending event"
median_of_5 "$fd" bench phold --lps 1000 --init 1 --remote 1 --lookahead 0 --mean 1 --events 1e6
median_of_5 "$fd" bench phold --lps 1000 --init 1000 --remote 1 --lookahead 0 --mean 1 --events 1e7

echo "# world: one replica of 30 days, one thread (targets: reference <= 2 ms; large fleets within 2x of it)"
ref_line=$("$fd" bench replica scenarios/reference.json --replicas 1000)
echo "$ref_line"
ref_ms=$(sed -E 's/.*per_replica_ms=([0-9.]+).*/\1/' <<<"$ref_line")
for f in fleet_3x3000 fleet_2x100000; do
    "$fd" sweep "tests/bench/$f.json" --emit-point 0 > "$tmp/$f.json" 2>/dev/null
    line=$("$fd" bench replica "$tmp/$f.json" --replicas 200)
    echo "$line"
    ms=$(sed -E 's/.*per_replica_ms=([0-9.]+).*/\1/' <<<"$line")
    awk -v f="$f" -v a="$ms" -v b="$ref_ms" 'BEGIN { printf "replica %s ratio_to_reference=%.2f target=2\n", f, a / b }'
done

n=${BENCH_SWEEP_REPLICAS:-10000}
echo "# sweep: $n replicas of reference.json (target: 10,000 in <= 15 s with -j 2, -j 2 >= 1.8x -j 1)"
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

echo "# optimize: backup interval x standby share on the reference deployment (target: the grid's choice, or within the indifference zone, with <= 40 % of the grid's replicas)"
opt=$("$fd" optimize scenarios/optimize/backup_standby.json -j 2 -o "$tmp/opt.h5" --quiet | tail -n 1)
grid=$("$fd" optimize scenarios/optimize/backup_standby.json -j 2 --grid -o "$tmp/grid.h5" --quiet | tail -n 1)
echo "$opt"
echo "grid ${grid#optimize: }"
awk -v a="$opt" -v b="$grid" 'BEGIN {
    split(a, x, /[ =]/); split(b, y, /[ =]/)
    for (i in x) if (x[i] == "best_point") ob = x[i + 1]; else if (x[i] == "replicas") orr = x[i + 1]
    for (i in y) if (y[i] == "best_point") gb = y[i + 1]; else if (y[i] == "replicas") gr = y[i + 1]
    printf "optimize same_choice=%s replicas_share=%.3f target=0.4\n", ob == gb ? "yes" : "no", orr / gr }'

echo "# kernels (CPU): against memcpy, random row reads and bare sgemm (targets: embbag >= 0.5 of memcpy, mlp >= 0.9)"
"$fd" bench kernels --backend cpu
