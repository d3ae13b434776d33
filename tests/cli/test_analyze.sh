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
expect_match "$(head -1 <<<"$out")" "^point,parameters,metric,unit,n,mean,ci_low,ci_high,sd,median,p95,p99,confidence,baseline_point,diff_n,diff_mean,diff_ci_low,diff_ci_high,ci_method$" "CSV header"
expect_match "$(wc -l <<<"$out")" "^3$" "one CSV row per point and metric"
expect_match "$out" $'\n0,"\\{\\}",rto_mean_s,s,' "CSV row for rto_mean_s"
expect_match "$out" $'\n0,"\\{\\}",rto_mean_s,s,[^\n]*,bootstrap' "durations get bootstrap intervals"

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
                {"path": "backup.incremental_period_s", "values": ["30m", "2h"]}],
 "baseline_point": 2}
JSON
"$FIREDRILL" sweep "$tmp/cross.json" -j 2 -o "$tmp/cross.h5" --quiet
expect_status 0 "plot a crossed sweep" -- "$FIREDRILL" plot "$tmp/cross.h5" --kind backup -o "$tmp/cross"
expect_match "$(grep '^"' "$tmp/cross/backup.dat" | cut -d'"' -f2 | tr '\n' ' ')" "^partial=differential partial=incremental $" \
    "one backup curve per value of the other parameter"
expect_match "$(awk 'NF && !/^"/' "$tmp/cross/backup.dat" | wc -l)" "^4$" "every point on its curve"
expect_status 0 "plot its RTO parts" -- "$FIREDRILL" plot "$tmp/cross.h5" --kind rto_parts -o "$tmp/cross"
expect_match "$(sed -n 2p "$tmp/cross/rto_parts.dat")" '^"0: partial=incremental, incremental_period_s=30m"' \
    "bar labels keep the last path component"
tick=$(sed -n 2p "$tmp/cross/rto_parts.dat" | awk -F'"' '{print $(NF-1)}')
expect_match "$tick" "\|" "long bar labels wrapped into lines"
expect_match "$(tr '|' '\n' <<<"$tick" | awk 'length > 28' | wc -l)" "^0$" "no tick label line wider than its bar"
expect_status 0 "plot the crossed sweep's CDFs" -- "$FIREDRILL" plot "$tmp/cross.h5" --kind cdf -o "$tmp/cross"
expect_match "$(head -1 "$tmp/cross/cdf_rto.dat")" '^"point 0: partial=incremental, incremental_period_s=30m" "fraction"$' \
    "CDF key labels keep the last path component"
expect_match "$(grep -c '^# young_s .*outside the swept range: not drawn' "$tmp/cross/backup_analytic.dat")" "^1$" \
    "Young/Daly outside the swept interval not drawn"
expect_status 0 "plot the crossed sweep's capacity" -- "$FIREDRILL" plot "$tmp/cross.h5" --kind capacity -o "$tmp/cross"
expect_match "$(head -1 "$tmp/cross/capacity.dat")" "^# x: backup.incremental_period_s, linear axis$" \
    "capacity axis named after the swept path; 30m and 2h are not log-spaced"

# A parameter that changes nothing backups see draws one backup curve
# under both labels; a log-spaced interval gets a log axis.
cat > "$tmp/logx.json" <<JSON
{"name": "logx", "base": "$PWD/scenarios/seed_case.json", "seeds": 2, "set": {"horizon_s": "2d"},
 "parameters": [{"path": "backup.incremental_period_s", "values": [60, 600, 6000]},
                {"path": "business.order_value", "values": [50, 100]}]}
JSON
"$FIREDRILL" sweep "$tmp/logx.json" -j 2 -o "$tmp/logx.h5" --quiet 2>/dev/null
expect_status 0 "plot a log-spaced sweep" -- "$FIREDRILL" plot "$tmp/logx.h5" --kind capacity -o "$tmp/logx"
expect_match "$(head -1 "$tmp/logx/capacity.dat")" "^# x: backup.incremental_period_s, log axis$" "log-spaced values: log x axis"
expect_status 0 "plot its backup figure" -- "$FIREDRILL" plot "$tmp/logx.h5" --kind backup -o "$tmp/logx"
expect_match "$(grep '^"' "$tmp/logx/backup.dat" | cut -d'"' -f2)" "^order_value=100 / order_value=50 \(identical\)$" \
    "identical backup curves drawn once, under both labels"
expect_status 0 "report a backup-interval sweep" -- "$FIREDRILL" report "$tmp/logx.h5" -o "$tmp/logxrep"
expect_match "$(grep '^### ' "$tmp/logxrep/report.md")" "### Availability and lost revenue against backup.incremental_period_s" \
    "the capacity figure's heading names the swept parameter"
[[ $(grep -c "Standby capacity" "$tmp/logxrep/report.md") == 0 ]] && echo "ok: no standby caption on a backup sweep" ||
    { echo "FAIL: a backup-interval sweep captioned 'Standby capacity'"; fails=$((fails + 1)); }

# A traced run: model versions present, and --window.
"$FIREDRILL" run scenarios/seed_case.json --trace --seeds 1 -o "$tmp/t.h5" --quiet 2>/dev/null
expect_status 0 "plot a traced timeline" -- "$FIREDRILL" plot "$tmp/t.h5" --kind timeline -o "$tmp/tr"
expect_match "$(head -1 "$tmp/tr/timeline_series.dat")" "^# model versions: [0-9]+( [0-9]+)*; segments with a bad model: [0-9]+$" \
    "timeline lists the model versions present"
expect_status 0 "plot --window 15d:15d12h" -- "$FIREDRILL" plot "$tmp/t.h5" --kind timeline --window 15d:15d12h -o "$tmp/tw"
expect_match "$(head -1 "$tmp/tw/timeline.dat")" "onset_h" "a 12 h window is drawn in hours"
expect_match "$(awk '!/^#/ {print $1}' "$tmp/tw/timeline_series.dat" | sort -g | sed -n '1p;$p' | tr '\n' ' ')" "^360 372 $" \
    "the series spans exactly the window"
expect_status 0 "plot --window in seconds, open end" -- "$FIREDRILL" plot "$tmp/t.h5" --kind timeline --window 2505600: -o "$tmp/tw2"
expect_match "$(head -1 "$tmp/tw2/timeline.dat")" "onset_h" "the open window ends at the horizon"
for w in 3h:2h 29d:31d soon:1h 2h; do
    expect_status 2 "bad --window $w" -- "$FIREDRILL" plot "$tmp/t.h5" --window "$w" -o "$tmp/tw_bad"
    [[ ! -e "$tmp/tw_bad" ]] && echo "ok: nothing written for --window $w" ||
        { echo "FAIL: --window $w wrote $tmp/tw_bad"; fails=$((fails + 1)); }
done
expect_match "$err" "expected FROM:TO" "a window without a colon explained"
expect_status 2 "window past the horizon" -- "$FIREDRILL" plot "$tmp/t.h5" --window 29d:31d -o "$tmp/tw_bad"
expect_match "$err" "ends after the simulated horizon of seed 1 \(30d\)" "window past the horizon explained"

# An unknown seed is refused before any figure is written.
expect_status 2 "plot all kinds, unknown seed" -- "$FIREDRILL" plot "$tmp/s.h5" --seed 999 -o "$tmp/p6"
[[ ! -e "$tmp/p6" ]] && echo "ok: nothing written for an unknown seed" ||
    { echo "FAIL: --seed 999 wrote $(ls "$tmp/p6")"; fails=$((fails + 1)); }

# gnuplot's chatter stays out of the way; its message shows when it fails.
cp -r analysis "$tmp/gp"
echo "print 'gnuplot-noise'" >>"$tmp/gp/plot_cdf.gp"
expect_status 0 "gnuplot warnings kept back" -- env FIREDRILL_ANALYSIS_DIR="$tmp/gp" \
    "$FIREDRILL" plot "$tmp/s.h5" --kind cdf -o "$tmp/p7"
expect_match "$err" "^$" "nothing on stderr from a gnuplot that succeeds"
echo "no_such_gnuplot_command" >>"$tmp/gp/plot_cdf.gp"
expect_status 1 "gnuplot failure" -- env FIREDRILL_ANALYSIS_DIR="$tmp/gp" \
    "$FIREDRILL" plot "$tmp/s.h5" --kind cdf -o "$tmp/p7"
expect_match "$err" "plot_cdf.gp failed \(exit status 1\):.*gnuplot-noise.*no_such_gnuplot_command" \
    "a failing gnuplot's own message shown"

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
expect_match "$text" "bootstrap percentile, B=2000, seed [0-9]+" "report names its interval method"

# Intervals respect the data: no negative lower bound for a non-negative
# metric, in summarize (CSV, every point and metric) or in the report's
# tables of means (the paired differences may be negative).
expect_status 0 "summarize non-negative metrics" -- "$FIREDRILL" summarize "$tmp/s.h5" --csv \
    --metrics rto_mean_s,rto_p95_s,rpo_max_s,lost_revenue,slo_violation_min,backup_cost,total_cost_per_year,false_failovers
neg=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $(c["ci_low"]) != "" && $(c["ci_low"]) + 0 < 0 { print $(c["metric"]) }' <<<"$out")
expect_match "$neg" "^$" "no negative lower bound in summarize ($neg)"
expect_match "$(sed -n '/^## Evidence/,/^Paired differences/p' "$md")" "^[^[]*(\[[^-][^]]*\][^[]*)*$" \
    "no negative lower bound in the report's evidence table"

# Money: the strategies sweep (four DR strategies, the same disasters).
"$FIREDRILL" sweep scenarios/sweeps/strategies.json -j 2 -o "$tmp/strat.h5" --quiet
expect_status 0 "report on the strategies" -- "$FIREDRILL" report "$tmp/strat.h5" -o "$tmp/srep" --rto-max 1h --rpo-max 1h
smd="$tmp/srep/report.md"
rec=$(awk '/^## Recommendation/ { on = 1; next } on && NF { print; exit }' "$smd")
expect_match "$rec" "^\*\*Point [0-9]+ \(base=[a-z_]+\.json\)\*\* has the lowest expected total cost per year of the points that meet" \
    "the recommendation names total cost per year"
expect_match "$rec" "\*\*[0-9.e+]+ per year\*\* \[[0-9.e+]+, [0-9.e+]+\] \(standby [0-9.e+]+, replication [0-9.e+]+, backups [0-9.e+]+, lost revenue [0-9.e+]+, penalties [0-9.e+]+\)" \
    "the recommendation states the total per year, its interval and the split"
[[ "$rec" != *backup_restore* ]] && echo "ok: not backup_restore (equal backup costs no longer decide)" ||
    { echo "FAIL: backup_restore recommended: $rec"; fails=$((fails + 1)); }
# The pick is the cheapest row that meets the targets in the cost table.
cheapest=$(awk -F'|' '/^## Cost per year/ { on = 1 } on && /^\| [0-9]/ && $(NF - 1) ~ /meets/ {
        split($(NF - 2), t, " "); p = $2; gsub(/[^0-9]/, "", p)
        if (best == "" || t[1] + 0 < min) { min = t[1] + 0; best = p } } on && /^## Cost and risk/ { exit }
    END { print best }' "$smd")
expect_match "$rec" "^\*\*Point $cheapest " "the pick has the lowest mean total cost per year among the qualifying points"
expect_match "$(grep -c '^| [0-9]' <(sed -n '/^## Cost per year/,/^###/p' "$smd"))" "^4$" "cost table: one row per point"
for k in cost frontier losses bounds; do
    [[ -s "$tmp/srep/$k.png" && -s "$tmp/srep/$k.pdf" ]] && echo "ok: $k figure written" ||
        { echo "FAIL: $k figure missing"; fails=$((fails + 1)); }
    expect_match "$(cat "$smd")" "\!\[[^]]*\]\($k.png\)" "$k figure linked"
done
[[ -s "$tmp/srep/cost.dat" && -s "$tmp/srep/frontier_rto.dat" && -s "$tmp/srep/frontier_rpo.dat" && -s "$tmp/srep/losses.dat" ]] &&
    echo "ok: money data files written" || { echo "FAIL: money data files missing"; fails=$((fails + 1)); }
expect_match "$(awk 'NR > 1' "$tmp/srep/cost.dat" | wc -l)" "^4$" "cost.dat: one row per point"
[[ ! -e "$tmp/srep/heatmap.png" ]] && echo "ok: no heatmap for a 1-D sweep" || { echo "FAIL: heatmap for 1-D"; fails=$((fails + 1)); }
expect_match "$(cat "$smd")" "## What drives the loss" "losses by incident kind"
expect_match "$(cat "$smd")" "\| region_outage \| [0-9.]+ \| " "the losses table has a row per incident kind"
expect_match "$(cat "$smd")" "Pareto-optimal in cost against the RTO bound: point [0-9]" "Pareto points named"
expect_match "$(cat "$smd")" "\| baseline point \| 0 \(the sweep's \`baseline_point\`\) \|" "baseline from the sweep"

# No point qualifies: which target fails, by how much, what drives it, and
# nothing the sweep already holds is suggested.
expect_status 0 "report with an impossible RTO" -- "$FIREDRILL" report "$tmp/strat.h5" -o "$tmp/srep2" --rto-max 10s --rpo-max 1h
fail_text=$(sed -n '/^## Recommendation/,/^How the targets/p' "$tmp/srep2/report.md")
expect_match "$fail_text" "No simulated point meets RTO ≤ 10 s" "says no point qualifies"
expect_match "$fail_text" "RTO ≤ 10 s\*\*: met by no point\. The closest, point [0-9] \([^)]*\), has an upper bound of [0-9.]+ s[^:]*: [0-9.]+ s \([0-9]+ %\) above the target\. There, \`[a-z_]+\` incidents carry [0-9]+ % of the RTO" \
    "names the failing target, the closest point, by how much, and the driving incident kind"
expect_match "$fail_text" "RPO ≤ 3600 s \(1 h\)\*\*: met by every point" "the other target is met"
expect_match "$fail_text" "heartbeat_s\` = 0\.5 " "suggests a heartbeat the sweep does not hold"
[[ "$fail_text" != *"failover.standby\` ="* ]] && echo "ok: no standby mode suggested (the sweep holds up to hot)" ||
    { echo "FAIL: suggested a standby mode the sweep holds"; fails=$((fails + 1)); }

# The baseline: a sweep's baseline_point is honoured without --baseline,
# --baseline overrides it; the 2-D sweep gets a heatmap.
expect_status 0 "summarize a sweep with baseline_point 2" -- "$FIREDRILL" summarize "$tmp/cross.h5"
expect_match "$out" "point 2: backup.partial=differential[^[]*\[baseline\]" "the sweep's baseline point is the baseline"
expect_match "$out" "paired diff vs point 2" "paired differences against point 2"
expect_status 0 "summarize --baseline 0" -- "$FIREDRILL" summarize "$tmp/cross.h5" --baseline 0 --csv --metrics rto_mean_s
expect_match "$(sed -n 2p <<<"$out" | cut -d, -f15)" "^0$" "--baseline overrides the sweep's"
expect_status 0 "report a 2-D sweep" -- "$FIREDRILL" report "$tmp/cross.h5" -o "$tmp/crep" --rto-max 1h --rpo-max 1h
expect_match "$(cat "$tmp/crep/report.md")" "Paired differences against point 2 \(the baseline\)" "report honours baseline_point"
expect_status 0 "report --baseline 1" -- "$FIREDRILL" report "$tmp/cross.h5" -o "$tmp/crep1" --rto-max 1h --rpo-max 1h --baseline 1
expect_match "$(cat "$tmp/crep1/report.md")" "Paired differences against point 1 \(the baseline\)" "report --baseline overrides"
[[ -s "$tmp/crep/heatmap.png" && -s "$tmp/crep/heatmap.dat" ]] && echo "ok: heatmap for a 2-D sweep" ||
    { echo "FAIL: no heatmap for the 2-D sweep"; fails=$((fails + 1)); }
expect_match "$(grep -vc '^#' "$tmp/crep/heatmap.dat")" "^4$" "heatmap: one cell per point"
# A swept lever at the end of its range: the value suggested is beyond it,
# never one the sweep holds.
cat > "$tmp/hb.json" <<JSON
{"name": "hb", "base": "$PWD/scenarios/backup_restore.json", "seeds": 8,
 "parameters": [{"path": "failover.detector.heartbeat_s", "values": [1, 2, 4]}]}
JSON
"$FIREDRILL" sweep "$tmp/hb.json" -j 2 -o "$tmp/hb.h5" --quiet
expect_status 0 "report with an RTO no heartbeat reaches" -- "$FIREDRILL" report "$tmp/hb.h5" -o "$tmp/hbrep" --rto-max 1s
try=$(sed -n '/^What to try next/,/^How the targets/p' "$tmp/hbrep/report.md")
expect_match "$try" "heartbeat_s\` = 0\.5 \(faster detection; the sweep holds 3 values from 1 to 4\)" \
    "suggests a heartbeat beyond the swept range"
[[ ! "$try" =~ heartbeat_s\`\ =\ (1|2|4)\  ]] && echo "ok: not a heartbeat the sweep holds" ||
    { echo "FAIL: suggested a swept value: $try"; fails=$((fails + 1)); }
expect_status 0 "plot --kind frontier with targets" -- "$FIREDRILL" plot "$tmp/strat.h5" --kind frontier --rto-max 5m -o "$tmp/fp"
[[ -s "$tmp/fp/frontier.png" ]] && echo "ok: frontier drawn by plot" || { echo "FAIL: plot --kind frontier"; fails=$((fails + 1)); }
# the report names where service times came from: a model preset's calibration
expect_status 0 "run on the dlrm-v2 calibration" -- "$FIREDRILL" run scenarios/reference_dlrm.json --seeds 1 -o "$tmp/dlrm.h5" --quiet
expect_status 0 "report on it" -- "$FIREDRILL" report "$tmp/dlrm.h5" -o "$tmp/dlrm_report"
expect_match "$(cat "$tmp/dlrm_report/report.md")" 'service times \| calibrated, model preset `dlrm-v2`, 200 candidates per query' \
    "the report's provenance names the model preset and its candidates"

# --- plot and report on a full disk: exit 1 with the reason, nothing left behind ------
# Files go to OUT.tmp.PID and reach OUT only when all are complete (gnuplot
# exits 0 after a failed write: its PNG/PDF are checked for their trailer).
check() { # check DESCRIPTION CMD...: passes when CMD succeeds
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
nothing_but() { # nothing_but DIR NAME...: DIR holds exactly these names
    local want got
    want=$(printf '%s\n' "${@:2}" | sed '/^$/d' | sort)
    got=$(ls -A "$1" | sort)
    [[ "$got" == "$want" ]]
}
# Without root: a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored, gnuplot too)
# fails writes past 8 KiB with EFBIG as a full disk fails them with ENOSPC.
mkdir -p "$tmp/fsize"
expect_status 1 "plot past the file size limit" -- \
    bash -c 'trap "" XFSZ; ulimit -f 8; exec "$@"' _ "$FIREDRILL" plot "$tmp/s.h5" -o "$tmp/fsize/a/plots"
expect_match "$err" "fsize/a/plots\.tmp\.[0-9]+/[a-z_]+\.(pdf|png): gnuplot left it incomplete \(is the disk full\?\)" \
    "an incomplete figure named"
expect_match "$err" "nothing written to $tmp/fsize/a/plots" "plot says nothing was written"
check "no directory, temporary directory or file left" nothing_but "$tmp/fsize"
if [[ $EUID -eq 0 ]] && mkdir -p "$tmp/disk" && mount -t tmpfs -o size=40k tmpfs "$tmp/disk" 2>/dev/null; then
    # A full disk: the first .dat file fails.
    dd if=/dev/zero of="$tmp/disk/fill" bs=1k count=64 2>/dev/null || true
    expect_status 1 "plot into a full tmpfs" -- "$FIREDRILL" plot "$tmp/s.h5" -o "$tmp/disk/plots"
    expect_match "$err" "disk/plots\.tmp\.[0-9]+/cdf_rto\.dat: write failed: No space left on device" \
        "ENOSPC named with the file"
    expect_match "$err" "nothing written to $tmp/disk/plots" "plot says nothing was written"
    check "plot left nothing on the full disk" nothing_but "$tmp/disk" fill
    expect_status 1 "report into a full tmpfs" -- "$FIREDRILL" report "$tmp/s.h5" -o "$tmp/disk/r/rep"
    expect_match "$err" "write failed: No space left on device" "report: ENOSPC named"
    expect_match "$err" "nothing written to $tmp/disk/r/rep" "report says nothing was written"
    check "report left nothing (nor the parent it made)" nothing_but "$tmp/disk" fill
    # Room for the data files and some figures, not all: an existing
    # directory keeps its files as they were.
    rm "$tmp/disk/fill"
    mkdir "$tmp/disk/old" && echo "earlier" >"$tmp/disk/old/cdf_rto.dat"
    expect_status 1 "plot into an existing directory on a 40 KB tmpfs" -- "$FIREDRILL" plot "$tmp/s.h5" -o "$tmp/disk/old"
    expect_match "$err" "incomplete \(is the disk full\?\)|No space left on device" "the reason named"
    check "the existing directory is as it was" nothing_but "$tmp/disk/old" cdf_rto.dat
    expect_match "$(cat "$tmp/disk/old/cdf_rto.dat")" "^earlier$" "its file untouched"
    check "no temporary directory left" nothing_but "$tmp/disk" old
    expect_status 1 "report on a 40 KB tmpfs" -- "$FIREDRILL" report "$tmp/strat.h5" -o "$tmp/disk/rep" --rto-max 1h
    check "report left nothing" nothing_but "$tmp/disk" old
    umount "$tmp/disk"
else
    echo "skip: plot and report into a 40 KB tmpfs (needs root to mount it)"
fi

finish
