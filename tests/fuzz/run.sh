#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD SECONDS TARGET...: runs each libFuzzer target
# BUILD/fuzz_TARGET for its share of SECONDS, one after the other (one
# process, one core), from the repository root. Each target works in
# BUILD/TARGET/: corpus/ (kept between runs), seeds/ (the shipped inputs,
# renewed each run), log, and crash artifacts (crash-*, leak-*, timeout-*,
# oom-*). Prints one line per target and a total; exits 1 if any crashed.
set -u
build=$1 total=$2
shift 2
targets=("$@")
((${#targets[@]})) || { echo "fuzz: no targets"; exit 1; }
per=$((total / ${#targets[@]}))
((per >= 1)) || per=1

seed() { # seed TARGET DIR: the shipped inputs of TARGET into DIR
    case $1 in
    scenario) cp scenarios/*.json "$2"/ ;;
    sweep | optimize) for f in scenarios/sweeps/*.json scenarios/optimize/*.json; do
        cp "$f" "$2/$(basename "$(dirname "$f")")_$(basename "$f")" || return 1
    done ;;
    journal) FUZZ_JOURNAL_SEEDS="$2" TMPDIR="$2" "$build/fuzz_journal" -runs=0 "$2" >/dev/null 2>&1 ||
        { echo "fuzz: journal: writing the seed journals failed"; return 1; } ;;
    esac
}
artifacts() { find "$1" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort; }
stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }

failed=0 all_execs=0 all_crashes=0 t0=$SECONDS
printf 'fuzz: %ss in all, %ss per target\n' "$total" "$per"
printf '%-10s %8s %12s %9s %8s %8s\n' target seconds execs exec/s corpus crashes
for t in "${targets[@]}"; do
    dir=$build/$t
    mkdir -p "$dir/corpus" "$dir/tmp"
    rm -rf "$dir/seeds" && mkdir -p "$dir/seeds"
    seed "$t" "$dir/seeds" || { failed=1; continue; }
    before=$(artifacts "$dir")
    start=$SECONDS
    # -timeout: a single input running this long is a hang, reported as such.
    TMPDIR=$dir/tmp ASAN_OPTIONS=detect_leaks=1 "$build/fuzz_$t" -max_total_time="$per" -print_final_stats=1 \
        -timeout=60 -artifact_prefix="$dir/" "$dir/corpus" "$dir/seeds" >"$dir/log" 2>&1
    rc=$?
    new=$(comm -13 <(echo "$before") <(artifacts "$dir") | sed '/^$/d')
    crashes=$(grep -c . <<<"$new")
    ((rc != 0 && crashes == 0)) && crashes=1
    execs=$(stat_of number_of_executed_units "$dir/log")
    [[ -n $execs ]] || execs=$(grep -o '^#[0-9]*' "$dir/log" | tail -1 | tr -d '#')
    execs=${execs:-0}
    corpus=$(find "$dir/corpus" -type f | wc -l)
    secs=$((SECONDS - start))
    printf '%-10s %8s %12s %9s %8s %8s\n' "$t" "$secs" "$execs" "$(stat_of average_exec_per_sec "$dir/log")" \
        "$corpus" "$crashes"
    if ((crashes)); then
        failed=1
        grep -m1 -E 'ERROR: |SUMMARY: |runtime error' "$dir/log" | sed 's/^/    /'
        for a in $new; do echo "    artifact: $a"; done
        echo "    log: $dir/log"
    fi
    all_execs=$((all_execs + execs)) all_crashes=$((all_crashes + crashes))
done
printf '%-10s %8s %12s %9s %8s %8s\n' total $((SECONDS - t0)) "$all_execs" - - "$all_crashes"
exit $failed
