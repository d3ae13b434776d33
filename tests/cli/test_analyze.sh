# firedrill summarize / plot / report end to end on a small run: tables and
# CSV with their headers, figures that exist and are not empty, a report with
# its sections and relative links, and exit status 2 on bad input.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"

expect_status 0 "run seed_case for analysis" -- "$FIREDRILL" run scenarios/seed_case.json --seeds 5 -o "$tmp/s.h5" --quiet

expect_status 0 "summarize" -- "$FIREDRILL" summarize "$tmp/s.h5"
expect_match "$out" "point 0: base configuration \(5 replicas\)" "summary names the point"
expect_match "$out" "metric \[unit\] +n +mean +95% CI +median +p95 +p99" "summary header"
expect_match "$out" "rto_mean_s \[s\]" "units in the table"
expect_match "$out" "availability_time \[1\]" "dimensionless unit shown"

expect_status 0 "summarize --csv" -- "$FIREDRILL" summarize "$tmp/s.h5" --csv --metrics rto_mean_s,backup_cost
expect_match "$(head -1 <<<"$out")" "^point,parameters,metric,unit,n,mean,ci_low,ci_high,sd,median,p95,p99,confidence,baseline_point,diff_n,diff_mean,diff_ci_low,diff_ci_high$" "CSV header"
expect_match "$(wc -l <<<"$out")" "^3$" "one CSV row per point and metric"
expect_match "$out" $'\n0,"\\{\\}",rto_mean_s,s,' "CSV row for rto_mean_s"

expect_status 0 "summarize --confidence 0.9" -- "$FIREDRILL" summarize "$tmp/s.h5" --confidence 0.9
expect_match "$out" "90% CI" "confidence level in the header"

expect_status 2 "unknown metric" -- "$FIREDRILL" summarize "$tmp/s.h5" --metrics nope
expect_match "$err" "s.h5: no numeric metric 'nope'" "unknown metric named with the file"
expect_status 2 "unknown baseline" -- "$FIREDRILL" summarize "$tmp/s.h5" --baseline 9
expect_match "$err" "baseline point 9" "unknown baseline named"
expect_status 2 "missing file" -- "$FIREDRILL" summarize "$tmp/none.h5"
expect_match "$err" "none.h5: no such file" "missing file named"
printf 'not hdf5' > "$tmp/bad.h5"
expect_status 2 "not an HDF5 file" -- "$FIREDRILL" summarize "$tmp/bad.h5"
expect_match "$err" "bad.h5: not an HDF5 file" "invalid file named"
"$FIREDRILL" calibrate --backend cpu --max-batch 4 --repeats 3 -o "$tmp/cal.h5" >/dev/null
expect_status 2 "HDF5 but not a results file" -- "$FIREDRILL" summarize "$tmp/cal.h5"
expect_match "$err" "cal.h5: no table 'replicas'" "missing table named"
expect_status 2 "no file" -- "$FIREDRILL" summarize
expect_status 2 "bad option" -- "$FIREDRILL" summarize "$tmp/s.h5" --frob
expect_status 0 "summarize --help" -- "$FIREDRILL" summarize --help
expect_match "$out" "paired difference" "help explains paired differences"

expect_status 0 "plot" -- "$FIREDRILL" plot "$tmp/s.h5" -o "$tmp/plots"
for k in cdf rto_parts timeline; do
    [[ -s "$tmp/plots/$k.png" && -s "$tmp/plots/$k.pdf" ]] && echo "ok: $k.png and .pdf not empty" ||
        { echo "FAIL: $k figures missing or empty"; fails=$((fails + 1)); }
done
expect_match "$(head -c 8 "$tmp/plots/cdf.png" | od -An -c | tr -d ' ')" "PNG" "cdf.png is a PNG"
expect_match "$err" "skipping backup: needs a sweep of backup.incremental_period_s" "unsupported kinds skipped with a note"
expect_match "$(head -1 "$tmp/plots/cdf_rto.dat")" "^\"point 0: base configuration\" \"fraction\"$" "data file keeps the label"

expect_status 0 "plot --kind timeline --seed 3" -- "$FIREDRILL" plot "$tmp/s.h5" --kind timeline --seed 3 -o "$tmp/tl"
[[ -s "$tmp/tl/timeline.png" && ! -e "$tmp/tl/cdf.png" ]] && echo "ok: only the timeline drawn" ||
    { echo "FAIL: --kind timeline"; fails=$((fails + 1)); }
expect_status 2 "plot unknown kind" -- "$FIREDRILL" plot "$tmp/s.h5" --kind pie
expect_status 2 "plot unsupported kind" -- "$FIREDRILL" plot "$tmp/s.h5" --kind backup -o "$tmp/p2"
expect_status 2 "plot unknown seed" -- "$FIREDRILL" plot "$tmp/s.h5" --kind timeline --seed 999 -o "$tmp/p3"
expect_match "$err" "seed 999 is not in /replicas" "unknown seed named"
mkdir -p "$tmp/nognuplot"
ln -s "$(command -v h5dump)" "$tmp/nognuplot/h5dump"
expect_status 1 "plot without gnuplot" -- env PATH="$tmp/nognuplot" "$FIREDRILL" plot "$tmp/s.h5" -o "$tmp/p4"
expect_match "$err" "gnuplot not found" "missing gnuplot explained"
expect_status 0 "scripts found through FIREDRILL_ANALYSIS_DIR" -- env FIREDRILL_ANALYSIS_DIR="$PWD/analysis" \
    "$FIREDRILL" plot "$tmp/s.h5" --kind cdf -o "$tmp/p5"

# A crossed sweep: the backup figure draws one curve per value of the other
# parameter, and axis labels keep only the last component of each path.
cat > "$tmp/cross.json" <<JSON
{"name": "cross", "base": "$PWD/scenarios/seed_case.json", "seeds": 2, "set": {"horizon_s": "2d"},
 "parameters": [{"path": "backup.partial", "values": ["incremental", "differential"]},
                {"path": "backup.incremental_period_s", "values": ["30m", "2h"]}]}
JSON
"$FIREDRILL" sweep "$tmp/cross.json" -j 2 -o "$tmp/cross.h5" --quiet
expect_status 0 "plot a crossed sweep" -- "$FIREDRILL" plot "$tmp/cross.h5" --kind backup -o "$tmp/cross"
expect_match "$(grep '^"' "$tmp/cross/backup.dat" | cut -d'"' -f2 | tr '\n' ' ')" "^partial=differential partial=incremental $" \
    "one backup curve per value of the other parameter"
expect_match "$(awk 'NF && !/^"/' "$tmp/cross/backup.dat" | wc -l)" "^4$" "every point on its curve"
expect_status 0 "plot its RTO parts" -- "$FIREDRILL" plot "$tmp/cross.h5" --kind rto_parts -o "$tmp/cross"
expect_match "$(sed -n 2p "$tmp/cross/rto_parts.dat")" '^"0: partial=incremental, incremental_period_s=30m"' \
    "bar labels keep the last path component"

expect_status 0 "report" -- "$FIREDRILL" report "$tmp/s.h5" -o "$tmp/rep" --rto-max 5m --rpo-max 1h
md="$tmp/rep/report.md"
[[ -s "$md" ]] && echo "ok: report.md written" || { echo "FAIL: no report.md"; fails=$((fails + 1)); }
text=$(cat "$md")
for h in "# Capacity-planning report: seed_case" "## Question" "## Recommendation" "## Evidence" "## Figures" "## Caveats"; do
    expect_match "$text" "$h" "report has '$h'"
done
expect_match "$text" "scenario SHA-256 \| \`[0-9a-f]{64}\`" "report states the scenario SHA"
expect_match "$text" "\| kernels ran on \| cpu \|" "report says where the kernels ran"
expect_match "$text" "\| random streams \| \`firedrill_mt19937_xor_taus2\`" "report names the random streams"
expect_match "$text" "RTO ≤ 300 s \(5 min\) and RPO ≤ 3600 s \(1 h\) at 95 % confidence" "targets stated"
expect_match "$text" "rto_p95_s" "statistic named"
expect_match "$text" "\!\[[^]]*\]\(cdf.png\)" "figure linked relatively"
[[ -s "$tmp/rep/cdf.png" ]] && echo "ok: linked figure exists" || { echo "FAIL: cdf.png missing"; fails=$((fails + 1)); }
expect_status 2 "report without -o" -- "$FIREDRILL" report "$tmp/s.h5"
expect_status 2 "report bad duration" -- "$FIREDRILL" report "$tmp/s.h5" -o "$tmp/rep" --rto-max soon
expect_match "$err" "--rto-max: expected a duration" "bad duration explained"
expect_status 2 "report bad confidence" -- "$FIREDRILL" report "$tmp/s.h5" -o "$tmp/rep" --confidence 1.5
finish
