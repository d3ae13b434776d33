# firedrill optimize end to end: a small sequential selection, its output,
# its results file read back by the analysis commands, and bad files.
source "$(dirname "$0")/lib.sh"

cat > "$tmp/opt.json" <<JSON
{"name": "opt_cli", "base": "$PWD/scenarios/seed_case.json",
 "set": {"horizon_s": "3d"},
 "parameters": [{"path": "failover.standby", "values": ["cold", "warm", "hot"]}],
 "seeds": 60, "first_seed": 1,
 "targets": {"rto_max_s": 3600, "rpo_max_s": 86400, "confidence": 0.9},
 "objective": "total_cost_per_year", "indifference": 0.05, "n0": 10}
JSON
expect_status 0 "optimize runs" -- "$FIREDRILL" optimize "$tmp/opt.json" -j 2 -o "$tmp/opt.h5"
last=$(tail -n 1 <<<"$out")
expect_match "$last" '^optimize: best_point=-?[0-9]+ replicas=[0-9]+ grid_points=3 grid_replicas=180 pcs_bound=(none|0\.9)$' \
    "the last line is machine-readable"
expect_match "$out" 'procedure: Andradottir & Kim \(2010\)' "the procedure is named"
expect_match "$out" '(guarantee: with probability >= 0\.9|no guarantee)' "the guarantee is stated"
replicas=$(sed -E 's/.* replicas=([0-9]+) .*/\1/' <<<"$last")
expect_status 0 "its file summarizes" -- "$FIREDRILL" summarize "$tmp/opt.h5" --csv --metrics total_cost_per_year
rows=$(tail -n +2 <<<"$out" | awk -F, '{ n += $5 } END { print n }')
expect_match "$rows" "^$replicas\$" "the file holds every replica run ($replicas)"
expect_status 0 "its fates are in /optimize" -- h5dump -d /optimize "$tmp/opt.h5"
expect_match "$out" '"(selected|stopped|dominated|infeasible)"' "each point's fate is recorded"
expect_status 0 "report reads it" -- "$FIREDRILL" report "$tmp/opt.h5" -o "$tmp/optrep" --rto-max 1h --rpo-max 1d
expect_match "$(cat "$tmp/optrep/report.md")" "written by .firedrill optimize.*where the exhaustive grid would have needed 180" \
    "the report says what the grid would have needed"
expect_status 0 "it is deterministic for any -j" -- "$FIREDRILL" optimize "$tmp/opt.json" -j 1 -o "$tmp/opt1.h5" --quiet
expect_match "$out" "^$(sed 's/[.]/\\./g' <<<"$last")\$" "-j 1 and -j 2 choose alike with the same replicas"
expect_status 0 "the grid runs" -- "$FIREDRILL" optimize "$tmp/opt.json" --grid -o "$tmp/grid.h5" --quiet
expect_match "$out" 'replicas=180 grid_points=3 grid_replicas=180' "the grid runs every seed of every point"

# Resumable: kill -9 mid-run, then --resume replays the procedure on the
# replicas journaled and computes the rest; tables and choice equal an
# uninterrupted run's (which used -j 2; the killed one -j 1).
cat > "$tmp/long.json" <<JSON
{"name": "opt_long", "base": "$PWD/scenarios/reference.json", "set": {"horizon_s": "365d"},
 "parameters": [{"path": "failover.standby", "values": ["cold", "warm", "hot"]}],
 "seeds": 40, "first_seed": 1,
 "targets": {"rto_max_s": 3600, "rpo_max_s": 86400, "confidence": 0.9},
 "objective": "total_cost_per_year", "indifference": 0.01, "n0": 10}
JSON
expect_status 0 "a longer optimize runs" -- "$FIREDRILL" optimize "$tmp/long.json" -j 2 -o "$tmp/long_ref.h5" --quiet
ref_last=$(tail -n 1 <<<"$out")
"$FIREDRILL" optimize "$tmp/long.json" -j 1 -o "$tmp/long.h5" --quiet > /dev/null &
kill_mid_run $! "$tmp/long.h5.journal"
check "killed mid-run: journal kept, no results file" test -e "$tmp/long.h5.journal" -a ! -e "$tmp/long.h5"
expect_status 2 "a journal without --resume is refused" -- "$FIREDRILL" optimize "$tmp/long.json" -o "$tmp/long.h5"
expect_match "$err" "long.h5.journal exists: .*--resume" "the error suggests --resume"
expect_status 0 "resume" -- "$FIREDRILL" optimize "$tmp/long.json" -j 2 --resume -o "$tmp/long.h5"
expect_match "$err" "resuming: [0-9]+ replicas already in" "resume says how much was kept"
expect_match "$(tail -n 1 <<<"$out")" "^$(sed 's/[.]/\\./g' <<<"$ref_last")\$" "the resumed run chooses alike with the same replicas"
same_tables "$tmp/long.h5" "$tmp/long_ref.h5" "the resumed run's tables equal an uninterrupted run's"
check "the journal goes after the resumed run" test ! -e "$tmp/long.h5.journal"

# MPI: rank 0 runs the procedure, both ranks compute each stage's units;
# the choice, the replicas and the tables are those of -j 1.
if command -v mpirun >/dev/null; then
    expect_status 0 "mpirun -n 2 optimize" -- timeout 120 mpirun --allow-run-as-root --oversubscribe -n 2 \
        "$FIREDRILL" optimize "$tmp/opt.json" -o "$tmp/opt_mpi.h5" --quiet
    expect_match "$(tail -n 1 <<<"$out")" "^$(sed 's/[.]/\\./g' <<<"$last")\$" "2 MPI ranks choose alike with the same replicas"
    same_tables "$tmp/opt_mpi.h5" "$tmp/opt1.h5" "2 MPI ranks give the tables of -j 1"
    printf '{"name":"bad_mpi","base":"%s/scenarios/seed_case.json","seeds":20,"parameters":[{"path":"failover.standby","values":["cold"]}]}' "$PWD" > "$tmp/bad_mpi.json"
    expect_status 2 "mpirun with a bad optimize file" -- timeout 120 mpirun --allow-run-as-root --oversubscribe -n 2 \
        "$FIREDRILL" optimize "$tmp/bad_mpi.json" -o "$tmp/bad_mpi.h5"
    expect_match "$err" "bad_mpi\.json: targets: is required" "the MPI error names the path"
else
    echo "skip: MPI test (mpirun not installed)"
fi

printf '{"name":"bad","base":"%s/scenarios/seed_case.json","seeds":20,"parameters":[{"path":"failover.standby","values":["cold","warm"]}]}' "$PWD" > "$tmp/bad1.json"
expect_status 2 "no targets" -- "$FIREDRILL" optimize "$tmp/bad1.json" -o "$tmp/bad.h5"
expect_match "$err" 'bad1\.json: targets: is required' "the missing key is named"
sed 's/"seeds":20/"seeds":20,"targets":{"rto_max_s":-1}/' "$tmp/bad1.json" > "$tmp/bad2.json"
expect_status 2 "a negative target" -- "$FIREDRILL" optimize "$tmp/bad2.json" -o "$tmp/bad.h5"
expect_match "$err" 'bad2\.json: targets\.rto_max_s: must be in \[0, 1e\+12\] s, got -1' "the bad target is named"
sed 's/"seeds":20/"seeds":20,"targets":{"max":{"no_such_column":1}}/' "$tmp/bad1.json" > "$tmp/bad3.json"
expect_status 2 "an unknown column" -- "$FIREDRILL" optimize "$tmp/bad3.json" -o "$tmp/bad.h5"
expect_match "$err" 'targets\.max\.no_such_column: "no_such_column" is not a /replicas column' "the unknown column is named"
sed 's/"seeds":20/"seeds":5,"targets":{"rto_max_s":60}/' "$tmp/bad1.json" > "$tmp/bad4.json"
expect_status 2 "fewer seeds than n0" -- "$FIREDRILL" optimize "$tmp/bad4.json" -o "$tmp/bad.h5"
expect_match "$err" 'seeds: 5 is the most a point may get, fewer than n0' "seeds against n0 explained"
cp "$tmp/opt.json" "$tmp/keep.json"
expect_status 2 "-o naming the optimize file" -- "$FIREDRILL" optimize "$tmp/opt.json" -o "$tmp/opt.json"
cmp -s "$tmp/opt.json" "$tmp/keep.json" && echo "ok: the input is untouched" || { echo "FAIL: -o overwrote the input"; fails=$((fails + 1)); }
sed 's/"seeds":20/"seeds":20,"targets":{"rto_max":60}/' "$tmp/bad1.json" > "$tmp/bad5.json"
expect_status 2 "a misspelt target" -- "$FIREDRILL" optimize "$tmp/bad5.json" -o "$tmp/bad.h5"
expect_match "$err" 'bad5\.json: targets\.rto_max: unknown key \(did you mean "rto_max_s"\?\)' "did you mean in targets"
expect_status 0 "optimize --schema" -- "$FIREDRILL" optimize --schema
cmp -s <(echo "$out") scenarios/optimize.schema.json && echo "ok: optimize --schema is scenarios/optimize.schema.json" || { echo "FAIL: optimize --schema differs from scenarios/optimize.schema.json"; fails=$((fails + 1)); }
printf '{"name":"dup","name":"dup2"}' > "$tmp/dup.json"
expect_status 2 "duplicate keys" -- "$FIREDRILL" optimize "$tmp/dup.json" -o "$tmp/bad.h5"
expect_match "$err" 'duplicate key' "the duplicate key is named"
[[ ! -e "$tmp/bad.h5" ]] && echo "ok: bad files write nothing" || { echo "FAIL: bad files wrote results"; fails=$((fails + 1)); }

finish
