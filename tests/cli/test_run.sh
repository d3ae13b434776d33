# firedrill validate / run end to end: bad input is exit 2 with file, JSON path
# and reason, and writes nothing; good input writes an HDF5 file h5dump reads.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"

for s in $(ls scenarios/*.json | grep -v schema.json); do
    expect_status 0 "validate $s" -- "$FIREDRILL" validate "$s"
done

sed 's/"heartbeat_s": 1,/"heartbeat_s": -1,/' scenarios/reference.json > "$tmp/neg.json"
expect_status 2 "negative heartbeat" -- "$FIREDRILL" run "$tmp/neg.json" -o "$tmp/neg.h5"
expect_match "$err" "neg.json: failover.detector.heartbeat_s: must be > 0, got -1" "error names file, path, reason"
[[ ! -e "$tmp/neg.h5" ]] && echo "ok: nothing written on bad input" || { echo "FAIL: output written"; fails=$((fails+1)); }

sed 's/"fencing_s": 5,/"fencing_s": 5, "fencing_typo": 1,/' scenarios/reference.json > "$tmp/typo.json"
expect_status 2 "unknown key" -- "$FIREDRILL" validate "$tmp/typo.json"
expect_match "$err" "failover.fencing_typo: unknown key" "unknown key named"

sed 's/"region": "primary",/"region": "atlantis",/' scenarios/seed_case.json > "$tmp/ref.json"
expect_status 2 "dangling region reference" -- "$FIREDRILL" validate "$tmp/ref.json"
expect_match "$err" "disasters\[0\].region: no region named \"atlantis\"" "dangling reference named"

# a disaster kind applies only to the units it can take down
sed 's/"kind": "region_outage",/"kind": "region_outage", "per": "fleet",/' scenarios/reference.json > "$tmp/per.json"
expect_status 2 "region_outage per fleet" -- "$FIREDRILL" validate "$tmp/per.json"
expect_match "$err" "per.json: disasters\[3\]\.per: region_outage cannot be per fleet \(allowed: region\)" \
    "impossible unit named with file, path and reason"

# a backup that outlasts its period is a warning, not an error
expect_status 0 "reference validates" -- "$FIREDRILL" validate scenarios/reference.json
[[ -z "$err" ]] && echo "ok: reference has no overload warning" || { echo "FAIL: unexpected warning: $err"; fails=$((fails+1)); }
sed 's|"cross_region_bps": "100MB/s"|"cross_region_bps": 6666666.667|; s|"full_period_s": "1d"|"full_period_s": 10000|;
     s|"verify": true|"verify": false|' scenarios/reference.json > "$tmp/over.json"
expect_status 0 "overloaded fulls still validate" -- "$FIREDRILL" validate "$tmp/over.json"
expect_match "${err%%$'\n'*}" "^warning: $tmp/over.json: backup.full_period_s: a full backup of 100 GB takes 15000 s at 6.67 MB/s \(min of backup.bandwidth_bps and storage.cross_region_bps\), longer than its period of 10000 s: fulls due while one is in flight are skipped, so restorable fulls come every 20000 s and the RPO grows$" \
    "validate warns that fulls are skipped"
# 8.64 fulls and about 95 incrementals of 4.40 GB a day: 12.8 models
expect_match "${err#*$'\n'}" "^warning: $tmp/over.json: backup: backups move 12.8x the model size per day \(1.28 TB a day for a 100 GB model\)$" \
    "validate warns that backups move more than 10 models a day"

# validate shows the planning figures a capacity planner reads before a run
expect_status 0 "validate prints the plan" -- "$FIREDRILL" validate scenarios/reference.json
expect_match "$out" "scenarios/reference.json: valid" "still says valid"
expect_match "$out" $'\n    full +100 GB +100 % +17 min 40 s +1 d +0.0123\n' "full: size, share, duration with verification, period, ratio"
expect_match "$out" $'\n    incremental +4.40 GB +4.40 % +1 min 44 s +15 min +0.116\n' "incremental: 1 - exp(-0.045) of the model"
expect_match "$out" $'\n  backup link +100 MB/s \\(min of backup.bandwidth_bps and storage.cross_region_bps\\), 6.00 % busy' \
    "backup link utilisation"
expect_match "$out" $'\n  backup volume +518 GB a day \\(5.18x the model\\), 15.5 TB per 30 days\n' "bytes moved"
expect_match "$out" $'\n  peak offered +72,000 req/s under disasters\\[8\\] \\(traffic_surge x2\\)\n' "peak offered rate"
expect_match "$out" $'\n    cn-east +primary +16  76,800 req/s +serving' "region capacity"
expect_match "$out" $'\n    cn-north +standby +16  76,800 req/s +warm 25.0 % +1.15 M' "standby running share and cost"
expect_match "$out" $'\n  peak load +93.8 % of the serving capacity \\(76,800 req/s\\)\n' "peak utilisation"
expect_match "$out" $'\n  N-1 load +93.8 % when cn-east is lost: cn-north takes over with 76,800 req/s\n' "N-1 headroom"
expect_match "$out" $'\n  standby cost +2.30 M per year' "standby cost per year"
[[ "$out" != *"cannot carry the peak"* ]] && echo "ok: reference carries its peak" || { echo "FAIL: reference flagged"; fails=$((fails+1)); }
# --list-keys and --schema stay machine-readable (scripts/gen_scenario_docs.sh)
for opt in --list-keys --schema; do
    expect_status 0 "validate $opt" -- "$FIREDRILL" validate "$opt" scenarios/reference.json
    [[ "$out" != *"plan ("* && -z "$err" ]] && echo "ok: $opt prints no plan" || { echo "FAIL: $opt changed"; fails=$((fails+1)); }
done
# an onset at or past the horizon, or no disaster at all, is a warning
sed 's/"disasters": \[/"disasters": [{"kind": "region_outage", "at_s": ["40d"]},/' scenarios/reference.json > "$tmp/late.json"
expect_status 0 "late onset still validates" -- "$FIREDRILL" validate "$tmp/late.json"
expect_match "$err" "^warning: $tmp/late.json: disasters\[0\]\.at_s\[0\]: onset at 40 d is at or beyond horizon_s \(30 d\): never happens$" \
    "onset beyond the horizon never happens"
echo '{"name": "calm", "topology": {"regions": [{"name": "r", "role": "primary"}]}, "failover": {"standby": "cold"},
 "model": {"rows_touched_per_update_fraction": 1e-8}}' > "$tmp/calm.json"
expect_status 0 "a scenario without disasters validates" -- "$FIREDRILL" validate "$tmp/calm.json"
expect_match "$err" "^warning: $tmp/calm.json: disasters: nothing fails: RTO/RPO will be empty$" "nothing fails"
expect_match "$out" "N-1 load +inf: no region takes over when r is lost  <- cannot carry the peak" "one region has no N-1"

sed 's/"distribution": "exponential",/"distribution": "calibrated",/' scenarios/reference.json > "$tmp/cal.json"
expect_status 2 "calibrated service without a table" -- "$FIREDRILL" validate "$tmp/cal.json"
expect_match "$err" "service.distribution: \"calibrated\" needs calibration_file" "missing calibration explained"

# a measured table from `firedrill calibrate` drives the service times
"$FIREDRILL" calibrate --backend cpu --max-batch 8 --repeats 3 -o "$tmp/calib.h5" >/dev/null
sed 's|"distribution": "exponential",|"distribution": "calibrated", "calibration_file": "'"$tmp/calib.h5"'", "max_batch": 8,|' \
    scenarios/seed_case.json > "$tmp/calrun.json"
expect_status 0 "run with a calibration file" -- "$FIREDRILL" run "$tmp/calrun.json" --seeds 2 -o "$tmp/calrun.h5"
sed 's|"distribution": "exponential",|"distribution": "calibrated", "calibration_file": "nowhere.h5",|' \
    scenarios/seed_case.json > "$tmp/calbad.json"
expect_status 2 "missing calibration file" -- "$FIREDRILL" validate "$tmp/calbad.json"
expect_match "$err" "service.calibration_file: .*nowhere.h5" "missing file named with its JSON path"

# service.execute runs the kernels for every batch without changing the simulation
exec_json='{"name":"exec","horizon_s":"2m","topology":{"regions":[{"name":"r","servers":2,"role":"primary"}]},
 "traffic":{"fidelity":"requests","base_qps":2000},"backup":{"enabled":false},"failover":{"standby":"cold"},
 "service":{"distribution":"calibrated","slots_per_server":1,"max_batch":16,"max_batch_delay_s":0.002,
  "calibration_batch_sizes":[1,4,16],"calibration_latency_s":[0.001,0.0013,0.0028],"execute":EXEC}}'
sed 's/EXEC/true/' <<<"$exec_json" > "$tmp/exec.json"
sed 's/EXEC/false/' <<<"$exec_json" > "$tmp/noexec.json"
expect_status 0 "run with service.execute" -- "$FIREDRILL" run "$tmp/exec.json" --seeds 2 -o "$tmp/exec.h5"
"$FIREDRILL" run "$tmp/noexec.json" --seeds 2 -o "$tmp/noexec.h5" --quiet
m=requests_total,requests_failed,latency_mean_s,latency_p99_s,availability_time
a=$("$FIREDRILL" summarize "$tmp/exec.h5" --csv --metrics $m | md5sum)
b=$("$FIREDRILL" summarize "$tmp/noexec.h5" --csv --metrics $m | md5sum)
expect_match "$a" "^${b%% *}" "executing the kernels leaves the simulated metrics unchanged"
expect_status 0 "batches were ranked" -- "$FIREDRILL" summarize "$tmp/exec.h5" --csv --metrics batches_executed
# Two replicas: the smaller count is mean - sd/sqrt(2).
least=$(awk -F, '$3 == "batches_executed" { printf "%.0f", $6 - $9 / sqrt(2) }' <<<"$out")
expect_match "$least" "^[1-9][0-9]*$" "batches_executed > 0 in both replicas"
sed 's/"fidelity":"requests",//' "$tmp/exec.json" > "$tmp/exec_seg.json"
expect_status 2 "execute needs request fidelity" -- "$FIREDRILL" validate "$tmp/exec_seg.json"
expect_match "$err" "service.execute: needs traffic.fidelity" "execute error names its path"

printf '{"name": "x",' > "$tmp/broken.json"
expect_status 2 "broken JSON" -- "$FIREDRILL" validate "$tmp/broken.json"
expect_match "$err" "broken.json: line 1" "JSON error has a position"

expect_status 0 "run seed_case" -- "$FIREDRILL" run scenarios/seed_case.json --seeds 3 -o "$tmp/seed.h5"
expect_match "$out" "RTO .*RPO|RTO" "summary printed"
expect_status 0 "h5dump reads it" -- h5dump -H "$tmp/seed.h5"
expect_match "$out" "DATASET \"replicas\"" "replicas table present"
ls "$tmp" | grep -q '\.tmp\.' && { echo "FAIL: temp file left"; fails=$((fails+1)); } || echo "ok: no temp file left"

"$FIREDRILL" run scenarios/seed_case.json --seeds 3 -o "$tmp/again.h5" >/dev/null
a=$(h5dump -d incidents "$tmp/seed.h5" | sed 1d | md5sum)
b=$(h5dump -d incidents "$tmp/again.h5" | sed 1d | md5sum)
expect_match "$a" "^${b%% *}" "same seeds, same incident table"
# threads do not change results; the trace records model events
"$FIREDRILL" run scenarios/reference.json --seeds 6 -j 1 -o "$tmp/j1.h5" --quiet
"$FIREDRILL" run scenarios/reference.json --seeds 6 -j 2 -o "$tmp/j2.h5" --quiet --trace
a=$(h5dump -d incidents "$tmp/j1.h5" | sed 1d | md5sum)
b=$(h5dump -d incidents "$tmp/j2.h5" | sed 1d | md5sum)
expect_match "$a" "^${b%% *}" "-j 1 and -j 2 give the same incident table"
expect_status 0 "trace of seed 3" -- h5dump -d /trace/3 "$tmp/j2.h5"
expect_match "$out" "disaster.onset" "trace holds disaster onsets"
expect_match "$out" "backup.restorable" "trace holds backups"
expect_status 0 "timeline of seed 3" -- h5dump -d /timeline/3 "$tmp/j2.h5"
expect_match "$out" "offered_qps" "timeline holds the offered load"
if command -v gnuplot >/dev/null; then
    expect_status 0 "plot the traced timeline" -- "$FIREDRILL" plot "$tmp/j2.h5" --kind timeline --seed 3 -o "$tmp"
    [[ -s "$tmp/timeline_series.dat" && -s "$tmp/timeline.png" ]] && echo "ok: timeline with traffic series" ||
        { echo "FAIL: no timeline series"; fails=$((fails + 1)); }
fi

expect_status 0 "h5dump backend attribute" -- h5dump -a backend "$tmp/seed.h5"
expect_match "$out" '"(cpu|cuda)"' "backend recorded"
expect_status 2 "bad --backend" -- "$FIREDRILL" run scenarios/seed_case.json --backend tpu
# A large fleet: 3 x 3000 servers means over 10,000 failure processes (one per
# server, rack, zone, region and kind), each with its own stream.
sed 's/"servers": *16/"servers": 3000/g; s/"horizon_s": *"[^"]*"/"horizon_s": "1d"/' scenarios/reference.json >"$tmp/big.json"
expect_status 0 "a 9000-server fleet runs" -- "$FIREDRILL" run "$tmp/big.json" --seeds 1 -o "$tmp/big.h5" --quiet
expect_status 0 "its file is readable" -- h5dump -H "$tmp/big.h5"

if ! nvidia-smi >/dev/null 2>&1; then
    expect_status 1 "--backend cuda without a GPU" -- "$FIREDRILL" run scenarios/seed_case.json --seeds 1 --backend cuda -o "$tmp/cuda.h5"
    expect_match "$err" "CUDA" "the reason names CUDA"
fi
expect_status 0 "generator of the streams recorded" -- h5dump -a /random_streams "$tmp/seed.h5"
expect_match "$out" "firedrill_mt19937_xor_taus2" "the attribute names MT19937 XOR taus2"
finish
