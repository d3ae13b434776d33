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
first=$(sed 's/.*checksum=//' <<<"$out")
expect_status 0 "bench phold again" -- "$FIREDRILL" bench phold --lps 100 --events 20000 --seed 3
expect_match "$(sed 's/.*checksum=//' <<<"$out")" "^$first\$" "same seed, same event trace"

expect_status 0 "bench kernels --quick" -- "$FIREDRILL" bench kernels --backend cpu --quick
expect_match "$out" "bench=mlp .*ratio=" "kernel bench prints ratios against its bounds"
expect_match "$out" "bench=embbag .*bound=memcpy .*ratio=" "embedding-bag measured against memcpy"
expect_match "$out" "bench=embbag .*bound=random_row_reads .*ratio=" "and against random row reads"
expect_match "$out" "bench=embbag_zipf .*zipf=1.05 .*bound=memcpy .*ratio=" "and under skewed traffic"
expect_status 2 "bench kernels bad backend" -- "$FIREDRILL" bench kernels --backend tpu
expect_status 0 "calibrate" -- "$FIREDRILL" calibrate --backend cpu --max-batch 4 --repeats 3 -o "$tmp/cal.h5"
expect_status 0 "calibration file readable" -- h5dump -H "$tmp/cal.h5"
finish
