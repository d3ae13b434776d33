# Hostile input and faults, end to end (issue 14): a full disk, durations
# below the clock, the event budget, inputs that are not files, bad ranges,
# output paths that would destroy inputs, a second run into the same output,
# a forged journal (tests/unit/test_sweep.c), duplicate keys, memory running
# out while expanding a sweep, messages, Ctrl-C; and `run --set`, `export`.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"
root=$(pwd)
ref=scenarios/reference.json

nothing_left() { # nothing_left OUT: no results file, journal or temporary file
    test ! -e "$1" -a ! -e "$1.journal" -a -z "$(find "$(dirname "$1")" -name "$(basename "$1").*tmp*")"
}

cat > "$tmp/sweep.json" <<JSON
{"name": "tiny", "base": "$root/$ref", "seeds": 2, "set": {"horizon_s": "2d"},
 "parameters": [{"path": "failover.switchover_s", "values": [30, 60]}]}
JSON

# --- 1. a full disk while writing results ---------------------------------------------
# RLIMIT_FSIZE with SIGXFSZ ignored fails writes past 24 KiB (EFBIG) as a full
# disk does (ENOSPC): the journal (16 KiB) fits, the results file does not.
full() { (trap '' XFSZ; ulimit -f 24; "$@"); }
"$FIREDRILL" run "$ref" --seeds 3 -o "$tmp/ok.h5" --quiet 2>/dev/null
expect_status 1 "run: results file larger than the disk allows" -- full "$FIREDRILL" run "$ref" --seeds 3 -o "$tmp/full.h5"
expect_match "$err" "firedrill run: $tmp/full.h5: writing results failed: File too large" "the reason is errno's"
expect_match "$err" "full.h5.journal keeps 3 finished replica\(s\): rerun with --resume" "the journal is kept"
check "no half file, no temporary file" test ! -e "$tmp/full.h5" -a -z "$(find "$tmp" -name 'full.h5.tmp.*')"
# --- 5. ... --resume removes temporary files of processes that are gone, not of live ones
sleep 0 & dead=$!; wait "$dead"
touch "$tmp/full.h5.tmp.$dead" "$tmp/full.h5.journal.tmp.$dead" "$tmp/full.h5.tmp.$$"
expect_status 0 "run --resume finishes it" -- "$FIREDRILL" run "$ref" --seeds 3 -o "$tmp/full.h5" --resume
expect_match "$err" "resuming: 3 of 3 replicas" "nothing recomputed"
expect_match "$err" "removed $tmp/full.h5.tmp.$dead, left by process $dead that no longer runs" "stale file named"
check "stale temporary files gone" test ! -e "$tmp/full.h5.tmp.$dead" -a ! -e "$tmp/full.h5.journal.tmp.$dead"
check "a live process's file stays" test -e "$tmp/full.h5.tmp.$$"
rm "$tmp/full.h5.tmp.$$"
a=$(h5dump -d incidents "$tmp/ok.h5" | sed 1d | md5sum); b=$(h5dump -d incidents "$tmp/full.h5" | sed 1d | md5sum)
check "resumed file equals an undisturbed run" test "$a" == "$b"
expect_status 1 "sweep: results file larger than the disk allows" -- full "$FIREDRILL" sweep "$tmp/sweep.json" -o "$tmp/fulls.h5"
expect_match "$err" "writing results failed: File too large" "sweep names the reason"
check "sweep keeps its journal" test -e "$tmp/fulls.h5.journal" -a ! -e "$tmp/fulls.h5"
expect_status 0 "sweep --resume finishes it" -- "$FIREDRILL" sweep "$tmp/sweep.json" -o "$tmp/fulls.h5" --resume
if [[ $EUID -eq 0 ]] && mkdir -p "$tmp/disk" && mount -t tmpfs -o size=40k tmpfs "$tmp/disk" 2>/dev/null; then
    expect_status 1 "run into a 40 KB tmpfs" -- "$FIREDRILL" run "$ref" --seeds 3 -o "$tmp/disk/r.h5"
    expect_match "$err" "writing results failed: No space left on device" "ENOSPC named"
    check "only the journal is left on the full disk" test "$(ls "$tmp/disk")" == "r.h5.journal"
    umount "$tmp/disk"
else
    echo "skip: tmpfs of 40 KB (needs root)"
fi

# --- 2. durations below the clock, the event budget -----------------------------------
sed 's/"incremental_period_s": "15m"/"incremental_period_s": 1e-300/' "$ref" > "$tmp/tiny_period.json"
expect_status 2 "a period of 1e-300 s" -- "$FIREDRILL" validate "$tmp/tiny_period.json"
expect_match "$err" "tiny_period.json: backup.incremental_period_s: must be 0 or at least 1 us" "refused with its path"
sed 's/"mean_s": "4h"/"mean_s": "1ns"/' "$ref" > "$tmp/one_ns.json"
expect_status 2 "a duration of 1ns" -- "$FIREDRILL" run "$tmp/one_ns.json" -o "$tmp/one_ns.h5"
expect_match "$err" "disasters\[0\]\.duration\.mean_s: must be at least 1 us" "1ns refused with its path"
# Valid but pathological: a fleet-wide kind every microsecond. Refused at once.
jq '.horizon_s = "1d" | .disasters[6].interarrival.mean_s = 1e-6' "$ref" > "$tmp/storm.json"
expect_status 0 "the storm is valid" -- "$FIREDRILL" validate "$tmp/storm.json"
expect_match "$out" "events +at least 8.64e\+10 per replica .*<- more than the budget" "validate estimates the events"
expect_status 1 "run refuses it by its budget" -- timeout 60 "$FIREDRILL" run "$tmp/storm.json" -o "$tmp/storm.h5"
expect_match "$err" "storm.json: a replica needs at least 8.64e\+10 events \(disasters\[6\] \(backup_corruption per fleet\).*budget of 10000000 events per replica \(--max-events\)" \
    "the refusal names the source and the budget"
check "nothing written" nothing_left "$tmp/storm.h5"
sed "s|$root/$ref|$tmp/storm.json|" "$tmp/sweep.json" > "$tmp/storm_sweep.json"
expect_status 1 "sweep refuses it too" -- timeout 60 "$FIREDRILL" sweep "$tmp/storm_sweep.json" -o "$tmp/storms.h5"
expect_match "$err" "storm_sweep.json: points\[0\]: a replica needs at least" "sweep names the point"
# Within the estimate but over the budget while running: stopped there.
expect_status 1 "a replica over --max-events" -- "$FIREDRILL" run "$ref" --seeds 2 --max-events 5000 -o "$tmp/budget.h5"
expect_match "$err" "stopped after 5000 events, the budget of one replica \(--max-events\)" "the error names the budget"
# --- 4. ... and a failure before any replica finished leaves no journal behind
check "no journal left by the failed run" nothing_left "$tmp/budget.h5"
expect_status 0 "the next run is not told of an interruption" -- "$FIREDRILL" run "$ref" --seeds 2 -o "$tmp/budget.h5" --quiet
expect_status 1 "sweep over --max-events" -- "$FIREDRILL" sweep "$tmp/sweep.json" --max-events 200 -o "$tmp/budgets.h5"
expect_match "$err" "stopped after 200 events" "sweep names the budget"
check "no journal left by the failed sweep" nothing_left "$tmp/budgets.h5"
expect_status 2 "bad --max-events" -- "$FIREDRILL" run "$ref" --max-events -1

# --- 3. inputs that are not regular files, or too large -------------------------------
mkfifo "$tmp/fifo.json"
truncate -s 17M "$tmp/huge.json"
for cmd in validate run sweep; do
    expect_status 2 "$cmd /dev/zero" -- timeout 20 "$FIREDRILL" $cmd /dev/zero -o "$tmp/z.h5"
    [[ $cmd == validate ]] && expect_status 2 "$cmd /dev/zero" -- timeout 20 "$FIREDRILL" $cmd /dev/zero
    expect_match "$err" "cannot read /dev/zero: it is a character device, not a regular file" "$cmd: /dev/zero named"
    expect_status 2 "$cmd a FIFO without a writer" -- timeout 20 "$FIREDRILL" $cmd "$tmp/fifo.json"
    expect_match "$err" "it is a FIFO, not a regular file" "$cmd: FIFO refused without blocking"
    expect_status 2 "$cmd a directory" -- "$FIREDRILL" $cmd "$tmp"
    expect_match "$err" "cannot read $tmp: it is a directory, not a regular file" "$cmd: directory named with the reason"
    expect_status 2 "$cmd a 17 MiB file" -- "$FIREDRILL" $cmd "$tmp/huge.json"
    expect_match "$err" "larger than the limit of input files \(16 MiB\)" "$cmd: size limit named"
done
for base in /dev/zero "$tmp/fifo.json" "$tmp/huge.json"; do
    printf '{"base": "%s", "seeds": 1}\n' "$base" > "$tmp/bad_base.json"
    expect_status 2 "a base file $base" -- timeout 20 "$FIREDRILL" sweep "$tmp/bad_base.json" --list
    expect_match "$err" "bad_base.json: base: cannot read $base: " "base file refused with its path"
done

# --- 4. ranges of what the trainer and the kernels accept -----------------------------
for kv in "dim 1024 512" "probe_queries 100000 65536" "k 500 256"; do
    set -- $kv
    jq ".model.real_state.$1 = $2" scenarios/real_state.json > "$tmp/rs.json"
    expect_status 2 "real_state.$1 $2 at parse time" -- "$FIREDRILL" run "$tmp/rs.json" --seeds 1 -o "$tmp/rs.h5"
    expect_match "$err" "rs.json: model.real_state.$1: must be in \[[01], $3\], got $2" "$1 names its path and range"
    check "no journal after a bad $1" nothing_left "$tmp/rs.h5"
done

# --- 5. output paths -------------------------------------------------------------------
cp "$ref" "$tmp/in.json"
sum=$(md5sum < "$tmp/in.json")
expect_status 2 "-o the scenario" -- "$FIREDRILL" run "$tmp/in.json" -o "$tmp/in.json"
expect_match "$err" "-o: $tmp/in.json is the input $tmp/in.json: writing results there would destroy it" "named"
ln -s in.json "$tmp/alias.h5"
expect_status 2 "-o a link to the scenario" -- "$FIREDRILL" run "$tmp/in.json" -o "$tmp/alias.h5"
expect_status 2 "-o the sweep file" -- "$FIREDRILL" sweep "$tmp/sweep.json" -o "$tmp/sweep.json"
sed "s|$root/$ref|$tmp/in.json|" "$tmp/sweep.json" > "$tmp/sweep_in.json"
expect_status 2 "-o the sweep's base file" -- "$FIREDRILL" sweep "$tmp/sweep_in.json" -o "$tmp/in.json"
expect_match "$err" "is the input $tmp/in.json" "the base file is named"
"$FIREDRILL" sweep "$tmp/sweep.json" --shard 0/2 -o "$tmp/s0.h5" --quiet
"$FIREDRILL" sweep "$tmp/sweep.json" --shard 1/2 -o "$tmp/s1.h5" --quiet
s0=$(md5sum < "$tmp/s0.h5")
expect_status 2 "merge -o a shard" -- "$FIREDRILL" merge "$tmp/s1.h5" "$tmp/s0.h5" "$tmp/s1.h5"
check "inputs untouched" test "$(md5sum < "$tmp/in.json")" == "$sum" -a "$(md5sum < "$tmp/s0.h5")" == "$s0"
expect_status 2 "-o a directory" -- "$FIREDRILL" run "$ref" -o "$tmp"
expect_match "$err" "-o: $tmp is a directory" "directory refused before any work"
expect_status 2 "-o ''" -- bash -c "cd '$tmp' && '$root/$FIREDRILL' run '$root/$ref' -o ''"
expect_match "$err" "-o: the output path is empty" "empty path refused"
check "no ./.journal left" test ! -e "$tmp/.journal"
expect_status 2 "-o in a missing directory" -- "$FIREDRILL" run "$ref" -o "$tmp/no/such/dir/x.h5"
# A dangling OUT.h5.journal link: its target is neither created nor written.
ln -s "$tmp/target" "$tmp/dang.h5.journal"
expect_status 2 "a symbolic link as the journal" -- "$FIREDRILL" run "$ref" --seeds 1 -o "$tmp/dang.h5"
expect_match "$err" "dang.h5.journal is a symbolic link: firedrill does not follow links" "the link is named"
check "its target was not created" test ! -e "$tmp/target"
# A second run into the same output while the first runs: refused as such.
# (bad_model_push every 10 us: slow replicas that use little memory.)
jq '.horizon_s = "1d" | .disasters[7].interarrival.mean_s = 1e-5' "$ref" > "$tmp/slow.json"
set -m
"$FIREDRILL" run "$tmp/slow.json" --seeds 1 -j 1 --max-events 0 -o "$tmp/busy.h5" --quiet 2>"$tmp/busy.err" &
busy=$!
set +m
for _ in $(seq 1 200); do [[ -e "$tmp/busy.h5.journal" ]] && break; sleep 0.05; done
expect_status 2 "a second run into the same output" -- "$FIREDRILL" run "$tmp/slow.json" --seeds 1 --max-events 0 -o "$tmp/busy.h5"
expect_match "$err" "busy.h5.journal is locked: another firedrill is running into this output now" "said accurately"
expect_status 2 "--resume while the first runs" -- "$FIREDRILL" run "$tmp/slow.json" --seeds 1 --max-events 0 -o "$tmp/busy.h5" --resume
expect_match "$err" "is locked" "--resume is refused too"
# --- 9. ... and Ctrl-C says how to go on
kill -INT "$busy"
wait "$busy" 2>/dev/null || true
expect_match "$(cat "$tmp/busy.err")" "firedrill run: interrupted: rerun with --resume to continue from $tmp/busy.h5.journal" \
    "Ctrl-C prints the way to resume"
check "the journal is kept after Ctrl-C" test -e "$tmp/busy.h5.journal"

# --- 7. duplicate keys ---------------------------------------------------------------------
sed 's/"fencing_s": 5,/"fencing_s": 5, "fencing_s": 50,/' "$ref" > "$tmp/dup.json"
expect_status 2 "a duplicate key in a scenario" -- "$FIREDRILL" validate "$tmp/dup.json"
expect_match "$err" "dup.json: failover.fencing_s: duplicate key" "path and reason"
printf '{"base": "%s", "seeds": 2, "seeds": 3}\n' "$root/$ref" > "$tmp/dup_sweep.json"
expect_status 2 "a duplicate key in a sweep" -- "$FIREDRILL" sweep "$tmp/dup_sweep.json" --list
expect_match "$err" "dup_sweep.json: seeds: duplicate key" "sweep path and reason"
printf '{"base": "%s", "seeds": 1}\n' "$tmp/dup.json" > "$tmp/dup_base.json"
expect_status 2 "a duplicate key in a base file" -- "$FIREDRILL" sweep "$tmp/dup_base.json" --list
expect_match "$err" "dup_base.json: base: $tmp/dup.json: failover.fencing_s: duplicate key" "base file path and reason"

# --- 8. memory running out while expanding a sweep: exit 1 -------------------------------
# 100,000 points need some GB; 1 GB of address space is not enough.
printf '{"base": "%s", "seeds": 1, "parameters": [{"path": "failover.switchover_s", "linear": {"from": 1, "to": 100, "count": 100000}}]}\n' \
    "$root/$ref" > "$tmp/many.json"
expect_status 1 "out of memory expanding points" -- bash -c "ulimit -v 1000000; OPENBLAS_NUM_THREADS=1 timeout 60 '$FIREDRILL' sweep '$tmp/many.json' --list"
expect_match "$err" "many.json: .*out of memory" "says out of memory"

# --- 9. messages -------------------------------------------------------------------------
jq '.topology.regions[2] = 7' "$ref" > "$tmp/item.json"
expect_status 2 "a region that is not an object" -- "$FIREDRILL" validate "$tmp/item.json"
expect_match "$err" "item.json: topology.regions\[2\]: must be an object" "the index is kept"
jq '.disasters[3] = "x"' "$ref" > "$tmp/item.json"
expect_status 2 "a disaster that is not an object" -- "$FIREDRILL" validate "$tmp/item.json"
expect_match "$err" "item.json: disasters\[3\]: must be an object" "the disaster's index is kept"
head -c 100000 /dev/zero | tr '\0' '[' > "$tmp/deep.json"
expect_status 2 "100,000 nested arrays" -- "$FIREDRILL" validate "$tmp/deep.json"
expect_match "$err" "deep.json: line 1, column 65: too deep: objects and arrays nest at most 64 levels" "too deep"
sed 's/"fencing_s": 5,/"fencng_s": 5,/' "$ref" > "$tmp/typo.json"
expect_status 2 "a near miss" -- "$FIREDRILL" validate "$tmp/typo.json"
expect_match "$err" "failover.fencng_s: unknown key \(did you mean \"fencing_s\"\?\)" "did you mean"
printf '{"base": "%s", "seed": 3}\n' "$root/$ref" > "$tmp/typo_sweep.json"
expect_status 2 "a near miss in a sweep" -- "$FIREDRILL" sweep "$tmp/typo_sweep.json" --list
expect_match "$err" "typo_sweep.json: seed: unknown key \(did you mean \"seeds\"\?\)" "did you mean in sweeps"

# --- 10. run --set, export --------------------------------------------------------------------
expect_status 0 "run --set" -- "$FIREDRILL" run "$ref" --seeds 2 -o "$tmp/set.h5" --quiet \
    --set horizon_s=2d --set failover.switchover_s=60 --set 'backup.incremental_period_s="30m"' \
    --set topology.regions[1].servers=20
"$FIREDRILL" sweep "$tmp/sweep.json" --emit-point 1 > "$tmp/p1.json"
"$FIREDRILL" run "$tmp/p1.json" --seeds 2 -o "$tmp/p1.h5" --quiet
expect_status 0 "--set equals the same edit in the file" -- "$FIREDRILL" run "$ref" --seeds 2 -o "$tmp/set2.h5" --quiet \
    --set horizon_s=2d --set failover.switchover_s=60
a=$(h5dump -d incidents "$tmp/set2.h5" | sed 1d | md5sum); b=$(h5dump -d incidents "$tmp/p1.h5" | sed 1d | md5sum)
check "--set gives the rows of the edited scenario" test "$a" == "$b"
expect_status 0 "the file records the scenario as run" -- h5dump -d /scenario/given "$tmp/set.h5"
expect_match "$out" '"incremental_period_s":[[:space:]]+"30m"' "--set value as a string recorded"
expect_status 2 "--set an unknown key" -- "$FIREDRILL" run "$ref" --set failover.switchovr_s=5 -o "$tmp/bad_set.h5"
expect_match "$err" "\(with --set\): failover.switchovr_s: unknown key \(did you mean \"switchover_s\"\?\)" "named"
expect_status 2 "--set a missing index" -- "$FIREDRILL" run "$ref" --set topology.regions[9].servers=5
expect_match "$err" "--set topology.regions\[9\].servers=5: path .*has 3 item\(s\), no \[9\]" "index error named"
expect_status 2 "--set without =" -- "$FIREDRILL" validate "$ref" --set horizon_s
expect_status 0 "validate --set" -- "$FIREDRILL" validate "$ref" --set horizon_s=7d
expect_match "$out" "scenario reference: 7.0 days per replica" "validate applies --set"

"$FIREDRILL" sweep "$tmp/sweep.json" -o "$tmp/sw.h5" --quiet
expect_status 0 "export a sweep" -- "$FIREDRILL" export "$tmp/sw.h5" --csv "$tmp/csv"
expect_match "$(head -1 "$tmp/csv/replicas.csv")" "^failover.switchover_s,point,seed," "the parameter leads"
expect_match "$(sed -n 4p "$tmp/csv/replicas.csv")" "^60,1,1," "point 1's value on its rows"
check "one line per replica" test "$(wc -l < "$tmp/csv/replicas.csv")" -eq 5
n_inc=$(h5dump -H -d incidents "$tmp/sw.h5" | sed -n 's/.*DATASPACE  SIMPLE { ( \([0-9]*\) ).*/\1/p')
check "one line per incident" test "$(wc -l < "$tmp/csv/incidents.csv")" -eq $((n_inc + 1))
expect_match "$(head -1 "$tmp/csv/incidents.csv")" "^failover.switchover_s,point,seed," "incidents too"
expect_status 0 "export a run" -- "$FIREDRILL" export "$tmp/ok.h5" --csv "$tmp/csv_run" --quiet
expect_match "$(head -1 "$tmp/csv_run/replicas.csv")" "^point,seed," "a run has no parameter columns"
if command -v python3 >/dev/null && python3 -c 'import csv' 2>/dev/null; then
    expect_status 0 "CSV readers agree on the columns" -- python3 -c "
import csv, sys
rows = list(csv.DictReader(open('$tmp/csv/replicas.csv')))
assert len(rows) == 4 and rows[3]['failover.switchover_s'] == '60' and float(rows[0]['availability_time']) <= 1, rows[0]"
fi
expect_status 2 "export without --csv" -- "$FIREDRILL" export "$tmp/sw.h5"
expect_status 2 "export a file that is not HDF5" -- "$FIREDRILL" export "$ref" --csv "$tmp/csv2"
finish
