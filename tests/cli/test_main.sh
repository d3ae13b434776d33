# The program's front door: help, version, unknown input, and bench phold.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"

expect_status 0 "--help" -- "$FIREDRILL" --help
expect_match "$out" "run .*sweep.*bench" "--help lists the subcommands"
expect_status 0 "--version" -- "$FIREDRILL" --version
expect_match "$out" "^firedrill [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]+" "--version shows the git revision"
expect_status 2 "no command" -- "$FIREDRILL"
expect_status 2 "unknown command" -- "$FIREDRILL" frobnicate
expect_match "$err" "unknown command 'frobnicate'" "unknown command is named"
expect_status 2 "unknown global option" -- "$FIREDRILL" --frob
expect_status 2 "unknown bench option" -- "$FIREDRILL" bench phold --frob 3
expect_match "$err" "--frob" "unknown bench option is named"
expect_status 2 "bad bench number" -- "$FIREDRILL" bench phold --remote 1.5
expect_match "$err" "--remote: expected a number in \[0, 1\], got '1.5'" "bad number explained"
expect_status 2 "unknown benchmark" -- "$FIREDRILL" bench nothing

expect_status 0 "bench phold" -- "$FIREDRILL" bench phold --lps 100 --events 20000 --seed 3
expect_match "$out" "^phold lps=100 init=1 remote=1 lookahead=0 events=20000 sim_time_s=[0-9.]+ wall_s=[0-9.]+ events_per_s=[0-9]+ peak_rss_kb=[0-9]+" "phold prints its one line"
first=$(sed -E 's/.*checksum=([0-9a-f]+).*/\1/' <<<"$out")
expect_match "$out" "bare_heap_events_per_s=[0-9]+ ratio_to_bare_heap=[0-9.]+ same_trace=yes" \
    "the bare heap baseline runs the same trace"
expect_status 0 "bench phold again" -- "$FIREDRILL" bench phold --lps 100 --events 20000 --seed 3
expect_match "$(sed -E 's/.*checksum=([0-9a-f]+).*/\1/' <<<"$out")" "^$first\$" "same seed, same event trace"

expect_status 0 "bench kernels --quick" -- "$FIREDRILL" bench kernels --backend cpu --quick
expect_match "$out" "bench=mlp .*ratio=" "kernel bench prints ratios against its bounds"
expect_match "$out" "bench=embbag .*bound=memcpy .*ratio=" "embedding-bag measured against memcpy"
expect_match "$out" "bench=embbag .*bound=random_row_reads .*ratio=" "and against random row reads"
expect_match "$out" "bench=embbag_zipf .*zipf=1.05 .*bound=memcpy .*ratio=" "and under skewed traffic"
expect_match "$out" "bench=calibrate model=small backend=cpu candidates=64 batch=1 median_ms=[0-9.]+ qps_per_server=[0-9.]+" \
    "one line per preset: whole queries served"
expect_match "$out" "bench=mlp model=dlrm-v2 part=top layers=479-1024-1024-512-256-1 .*bound=sgemm .*ratio=" \
    "the MLP against sgemm at the dlrm-v2 widths"
expect_match "$out" "bench=calibrate_count model=dlrm-v2 .*count_ms=[0-9.]+ median_ms=[0-9.]+ ratio=" \
    "dlrm-v2 latency against its hand count"
expect_status 2 "bench kernels bad backend" -- "$FIREDRILL" bench kernels --backend tpu
expect_status 0 "calibrate" -- "$FIREDRILL" calibrate --backend cpu --max-batch 4 --repeats 3 -o "$tmp/cal.h5"
expect_status 0 "calibration file readable" -- h5dump -H "$tmp/cal.h5"
expect_match "$out" 'ATTRIBUTE "device"' "calibration names the device"

# model presets (kernels/models): per-query calibration with provenance
expect_status 0 "calibrate --model small" -- "$FIREDRILL" calibrate --model small --backend cpu --max-batch 4 --repeats 3 \
    -o "$tmp/small.h5"
expect_match "$out" "^calibrate model=small backend=cpu candidates=64 batches=1..4 repeats=3 threads=[0-9]+ table_bytes=2031616 " \
    "calibrate --model states candidates and table bytes"
expect_status 0 "preset calibration readable" -- h5dump -A "$tmp/small.h5"
expect_match "$out" 'ATTRIBUTE "preset".*"small"' "the file names its preset"
expect_match "$out" 'ATTRIBUTE "candidates".*\(0\): 64' "and its candidates per query"
expect_match "$out" 'ATTRIBUTE "batch_unit".*"queries"' "and counts batches in queries"
expect_status 0 "dlrm-v2 smoke in 16 MiB" -- "$FIREDRILL" calibrate --model dlrm-v2 --backend cpu --memory-budget 16MiB \
    --candidates 8 --max-batch 2 --repeats 1 -o "$tmp/dlrm.h5"
expect_match "$out" "model=dlrm-v2 .*candidates=8 .*table_bytes=1[0-9]{7} " "dlrm-v2 scaled under its budget"
sed 's/"top_mlp": \[128, 64, 1\]/"top_mlp": [128, 64, 2]/' kernels/models/small.json > "$tmp/bad.json"
expect_status 2 "bad preset file" -- "$FIREDRILL" calibrate --model "$tmp/bad.json" -o "$tmp/x.h5"
expect_match "$err" "$tmp/bad.json: ranking.top_mlp\[2\]: the last layer must be one logit \(1\), got 2" \
    "bad preset: file, JSON path and reason"
expect_status 2 "unknown preset" -- "$FIREDRILL" calibrate --model no-such-model
expect_match "$err" "model preset 'no-such-model': .*presets there: .*dlrm-v2" "unknown preset lists the shipped ones"
expect_status 2 "--candidates needs --model" -- "$FIREDRILL" calibrate --candidates 10
expect_status 2 "bad memory budget" -- "$FIREDRILL" calibrate --model small --memory-budget lots
expect_status 2 "budget below the minimum rows" -- "$FIREDRILL" calibrate --model dlrm-v2 --memory-budget 1MiB
expect_match "$err" "--memory-budget: .*needs at least" "too small a budget says what it needs"
expect_status 2 "too many candidates to retrieve" -- "$FIREDRILL" calibrate --model retrieval+ranking --candidates 1000
finish
