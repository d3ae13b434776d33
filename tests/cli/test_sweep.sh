# firedrill sweep / merge end to end: bad sweep files are exit 2 with file,
# JSON path and reason and write nothing; the metric tables are the same bit
# for bit (wall_s excepted) for -j1 and -j2, for shards merged, for a run
# killed with kill -9 and resumed, for 2 MPI ranks, and equal to
# `firedrill run` of a point's scenario.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"
root=$(pwd)

# Tiny sweeps: the reference deployment over 2 days, 2 x 2 points, 4 seeds.
mkdir -p "$tmp/sweeps"
cat > "$tmp/sweeps/tiny.json" <<JSON
{"name": "tiny", "base": "$root/scenarios/reference.json", "seeds": 4, "first_seed": 3,
 "set": {"horizon_s": "2d", "disasters[5].interarrival.mean_s": "12h"},
 "parameters": [{"path": "failover.detector.heartbeat_s", "values": [1, 5]},
                {"path": "failover.switchover_s", "values": [30, "2m"]}]}
JSON

# --- bad input -------------------------------------------------------------------
bad() { # bad NAME JSON-BODY REGEX
    printf '%s\n' "$2" > "$tmp/sweeps/$1.json"
    expect_status 2 "bad sweep: $1" -- "$FIREDRILL" sweep "$tmp/sweeps/$1.json" -o "$tmp/$1.h5"
    expect_match "$err" "$3" "error of $1 names file, path, reason"
    check "$1 wrote nothing" test ! -e "$tmp/$1.h5" -a ! -e "$tmp/$1.h5.journal"
}
ref="\"base\": \"$root/scenarios/reference.json\""
bad path "{$ref, \"parameters\": [{\"path\": \"failover..x\", \"values\": [1]}]}" \
    "path.json: parameters\[0\]\.path: path \"failover..x\": empty key"
bad index "{$ref, \"parameters\": [{\"path\": \"topology.regions[5].servers\", \"values\": [1]}]}" \
    "index.json: parameters\[0\]\.path: .*regions has 3 item\(s\), no \[5\]"
bad value "{$ref, \"parameters\": [{\"path\": \"failover.detector.heartbeat_s\", \"values\": [1, -1]}]}" \
    "value.json: points\[1\]: failover.detector.heartbeat_s: must be > 0, got -1 \(point parameters"
bad key "{$ref, \"parameters\": [{\"path\": \"backup.intervall_s\", \"values\": [1]}]}" \
    "key.json: points\[0\]: backup.intervall_s: unknown key"
bad zip "{$ref, \"combine\": \"zip\", \"parameters\": [{\"path\": \"failover.fencing_s\", \"values\": [1, 2]}, {\"path\": \"failover.switchover_s\", \"values\": [1]}]}" \
    "zip.json: parameters\[1\]: \"zip\" needs lists of equal length"
bad metric "{$ref, \"metrics\": [\"rto_mean\"]}" "metric.json: metrics\[0\]: \"rto_mean\" is not a /replicas column"
bad log "{$ref, \"parameters\": [{\"path\": \"failover.fencing_s\", \"log\": {\"from\": 0, \"to\": 1, \"count\": 2}}]}" \
    "log.json: parameters\[0\]\.log\.from: a log range needs from > 0"
bad near "{$ref, \"parameters\": [{\"path\": \"failover.fencing_s\", \"linear\": {\"from\": 1, \"to\": 2, \"cuont\": 2}}]}" \
    "near.json: parameters\[0\]\.linear\.cuont: unknown key \(did you mean \"count\"\?\)"
bad null "{$ref, \"parameters\": [{\"path\": \"failover.fencing_s\", \"values\": [1, null]}]}" \
    "null.json: parameters\[0\]\.values\[1\]: must not be null"
# The keys of sweep files, as validate --list-keys / --schema give the scenario's.
expect_status 0 "sweep --list-keys" -- "$FIREDRILL" sweep --list-keys
expect_match "$out" $'parameters\\[\\]\\.linear\\.count\tinteger\t\t\\(required\\)' "a required key of a list item"
expect_status 0 "sweep --schema" -- "$FIREDRILL" sweep --schema
check "sweep --schema is scenarios/sweep.schema.json" cmp -s <(echo "$out") scenarios/sweep.schema.json
expect_status 2 "sweep --list-keys takes no file" -- "$FIREDRILL" sweep --list-keys "$tmp/sweeps/tiny.json"
expect_status 2 "bad --backend" -- "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" --backend tpu -o "$tmp/be.h5"
expect_match "$err" "--backend: expected auto, cpu or cuda, got 'tpu'" "bad backend named"
if ! "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" --backend cuda -o "$tmp/be.h5" --quiet 2>"$tmp/be.err"; then
    expect_match "$(cat "$tmp/be.err")" "CUDA" "--backend cuda without a GPU names CUDA"
    check "--backend cuda without a GPU wrote nothing" test ! -e "$tmp/be.h5" -a ! -e "$tmp/be.h5.journal"
fi
expect_status 2 "bad --shard" -- "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" --shard 2/2
expect_match "$err" "--shard: expected K/N" "--shard error"

for s in scenarios/sweeps/*.json; do
    expect_status 0 "shipped sweep $s expands" -- "$FIREDRILL" sweep "$s" --list
done

# --- threads -----------------------------------------------------------------------
expect_status 0 "sweep -j 1" -- "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" -j 1 -o "$tmp/j1.h5"
expect_match "$out" "^sweep tiny: 4 points x 4 seeds = 16 replicas in [0-9.]+ s \([0-9.]+ replicas/s\), wrote $tmp/j1.h5$" \
    "one-line summary"
check "no progress bar when stderr is not a terminal" test -z "$err"
check "journal removed" test ! -e "$tmp/j1.h5.journal"
check "no temp file left" test -z "$(find "$tmp" -name '*.tmp.*')"
expect_status 0 "sweep -j 2" -- "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" -j 2 -o "$tmp/j2.h5" --quiet
check "--quiet prints nothing" test -z "$out"
same_tables "$tmp/j1.h5" "$tmp/j2.h5" "-j 1 and -j 2 give the same tables"
n=$(rows "$tmp/j1.h5" replicas | awk '{print $1 "/" $2}' | tr '\n' ' ')
expect_match "$n" "^0/3 0/4 0/5 0/6 1/3 1/4 1/5 1/6 2/3 .* 3/6 $" "rows ordered by (point, seed)"
expect_status 0 "h5dump reads /points" -- h5dump -d points "$tmp/j1.h5"
expect_match "$out" "\"failover.detector.heartbeat_s\":5,\"failover.switchover_s\":\"2m\"" "/points holds the parameters"
expect_status 0 "h5dump reads the sweep attributes" -- h5dump -a sweep_sha256 -a shard_count "$tmp/j1.h5"
expect_match "$out" "\"[0-9a-f]{64}\".*shard_count.*\(0\): 1" "sweep SHA-256 and shard count recorded"

# --- equality with firedrill run ---------------------------------------------------
for p in 0 3; do
    "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" --emit-point $p > "$tmp/point$p.json"
    expect_status 0 "run point $p" -- "$FIREDRILL" run "$tmp/point$p.json" --seed 3 --seeds 4 -o "$tmp/run$p.h5"
    a=$(rows "$tmp/j1.h5" replicas | awk -v p=$p '$1 == p' | cut -d' ' -f2-)
    b=$(rows "$tmp/run$p.h5" replicas point)
    ia=$(rows "$tmp/j1.h5" incidents | awk -v p=$p '$1 == p' | cut -d' ' -f2-)
    ib=$(rows "$tmp/run$p.h5" incidents point)
    check "point $p equals firedrill run" test -n "$a" -a "$a" == "$b" -a "$ia" == "$ib"
done
# Common random numbers: the disasters of a seed are the same at every point.
k0=$(rows "$tmp/j1.h5" incidents | awk '$1 == 0 {print $2, $4, $5, $6}')
k3=$(rows "$tmp/j1.h5" incidents | awk '$1 == 3 {print $2, $4, $5, $6}')
check "same disasters at every point" test -n "$k0" -a "$k0" == "$k3"

# --- shards and merge --------------------------------------------------------------
expect_status 0 "shard 0/2" -- "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" --shard 0/2 -j 2 -o "$tmp/s0.h5"
expect_match "$out" "\(shard 0/2: 8\)" "shard summary"
expect_status 0 "shard 1/2" -- "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" --shard 1/2 -j 1 -o "$tmp/s1.h5"
expect_status 2 "merge without shard 1" -- "$FIREDRILL" merge "$tmp/m.h5" "$tmp/s0.h5"
expect_match "$err" "shard 1/2 is missing" "missing shard named"
expect_status 2 "merge with a shard twice" -- "$FIREDRILL" merge "$tmp/m.h5" "$tmp/s0.h5" "$tmp/s0.h5"
expect_match "$err" "shard 0/2 is given twice" "duplicate shard named"
expect_status 2 "merge shards of different sweeps" -- "$FIREDRILL" merge "$tmp/m.h5" "$tmp/s0.h5" "$tmp/j1.h5"
expect_match "$err" "another sweep" "different sweep named"
check "failed merges write nothing" test ! -e "$tmp/m.h5"
expect_status 0 "merge 1/2 + 0/2" -- "$FIREDRILL" merge "$tmp/m.h5" "$tmp/s1.h5" "$tmp/s0.h5"
same_tables "$tmp/m.h5" "$tmp/j1.h5" "merged shards equal the unsharded sweep"
# Seeds past 2^53 are not doubles: 2^53 + 1 and 2^53 + 3 must come out of
# shards and merge (read back through analysis/h5in.c) bit for bit.
sed 's/"first_seed": 3/"first_seed": 9007199254740992/' "$tmp/sweeps/tiny.json" > "$tmp/sweeps/big.json"
"$FIREDRILL" sweep "$tmp/sweeps/big.json" -j 2 -o "$tmp/big.h5" --quiet
"$FIREDRILL" sweep "$tmp/sweeps/big.json" --shard 0/2 -j 2 -o "$tmp/big_s0.h5" --quiet
"$FIREDRILL" sweep "$tmp/sweeps/big.json" --shard 1/2 -j 2 -o "$tmp/big_s1.h5" --quiet
expect_status 0 "merge shards with seeds past 2^53" -- "$FIREDRILL" merge "$tmp/big_m.h5" "$tmp/big_s1.h5" "$tmp/big_s0.h5"
n=$(rows "$tmp/big_m.h5" replicas | awk '{print $2}' | sort -u | tr '\n' ' ')
expect_match "$n" "^9007199254740992 9007199254740993 9007199254740994 9007199254740995 $" \
    "merged /replicas keeps u64 seeds past 2^53 exactly"
same_tables "$tmp/big_m.h5" "$tmp/big.h5" "merged shards with seeds past 2^53 equal the unsharded sweep"
# ... and the analysis pairs them as integers: every seed pairs with its own.
expect_status 0 "summarize seeds past 2^53" -- "$FIREDRILL" summarize "$tmp/big_m.h5" --csv --metrics availability_time
expect_match "$(head -1 <<<"$out")" "diff_n" "summarize names the paired count"
pairs=$(python3 -c 'import csv, sys
print(" ".join(sorted({r["diff_n"] for r in csv.DictReader(sys.stdin) if r["point"] != r["baseline_point"]})))' <<<"$out")
expect_match "$pairs" "^4$" "paired differences pair all 4 seeds past 2^53, none merged"
"$FIREDRILL" sweep "$tmp/sweeps/big.json" --emit-point 0 > "$tmp/big0.json"
expect_status 0 "run --seed past 2^53" -- "$FIREDRILL" run "$tmp/big0.json" --seed 9007199254740992 --seeds 4 \
    -o "$tmp/big_run.h5" --quiet
a=$(rows "$tmp/big_m.h5" replicas | awk '$1 == 0' | cut -d' ' -f2-)
b=$(rows "$tmp/big_run.h5" replicas point)
check "run --seed past 2^53 equals the sweep's point 0" test -n "$a" -a "$a" == "$b"
"$FIREDRILL" run "$tmp/big0.json" --seed 9007199254740993 --seeds 1 -o "$tmp/big_odd.h5" --quiet
n=$(rows "$tmp/big_odd.h5" replicas | awk '{print $2}')
expect_match "$n" "^9007199254740993$" "run --seed 2^53 + 1 is not rounded to a double"
expect_status 0 "export of seeds past 2^53" -- "$FIREDRILL" export "$tmp/big_m.h5" --csv "$tmp/big_csv"
n=$(cut -d, -f4 "$tmp/big_csv/replicas.csv" | sort -u | tr '\n' ' ')
expect_match "$n" "9007199254740993 9007199254740994 9007199254740995" "export writes u64 seeds exactly"

# --- resume after kill -9 ----------------------------------------------------------
# 30-day replicas (tens of ms and tens of kB of journal each) so that the
# kill lands mid-run, after a few whole records.
sed 's/"horizon_s": "2d"/"horizon_s": "30d"/; s/"seeds": 4/"seeds": 12/' "$tmp/sweeps/tiny.json" > "$tmp/sweeps/long.json"
"$FIREDRILL" sweep "$tmp/sweeps/long.json" -j 2 -o "$tmp/long_ref.h5" --quiet
"$FIREDRILL" sweep "$tmp/sweeps/long.json" -j 1 -o "$tmp/long.h5" --quiet &
kill_mid_run $! "$tmp/long.h5.journal"
check "killed mid-run: journal kept, no results file" test -e "$tmp/long.h5.journal" -a ! -e "$tmp/long.h5"
# A record torn by the kill (simulated): cut the last few bytes.
truncate -s -3 "$tmp/long.h5.journal"
expect_status 2 "existing journal without --resume" -- "$FIREDRILL" sweep "$tmp/sweeps/long.json" -o "$tmp/long.h5"
expect_match "$err" "long.h5.journal exists: .*--resume" "error suggests --resume"
expect_status 0 "resume" -- "$FIREDRILL" sweep "$tmp/sweeps/long.json" -j 2 --resume -o "$tmp/long.h5"
expect_match "$out" "resumed\), wrote" "summary counts resumed replicas"
expect_match "$err" "resuming: [0-9]+ of 48 replicas already in" "resume says how much was kept"
same_tables "$tmp/long.h5" "$tmp/long_ref.h5" "resumed run equals an uninterrupted one"
check "journal removed after resume" test ! -e "$tmp/long.h5.journal"

# --- firedrill run: journaled the same way ------------------------------------------
"$FIREDRILL" sweep "$tmp/sweeps/long.json" --emit-point 0 > "$tmp/long0.json"
"$FIREDRILL" run "$tmp/long0.json" --seeds 24 -j 2 -o "$tmp/run_ref.h5" --quiet
"$FIREDRILL" run "$tmp/long0.json" --seeds 24 -j 1 -o "$tmp/run_long.h5" --quiet &
kill_mid_run $! "$tmp/run_long.h5.journal"
check "run killed mid-run: journal kept, no results file" test -e "$tmp/run_long.h5.journal" -a ! -e "$tmp/run_long.h5"
expect_status 2 "run with a journal and no --resume" -- "$FIREDRILL" run "$tmp/long0.json" --seeds 24 -o "$tmp/run_long.h5"
expect_match "$err" "run_long.h5.journal exists: .*--resume" "run error suggests --resume"
expect_status 2 "resume of other seeds refused" -- "$FIREDRILL" run "$tmp/long0.json" --seeds 25 --resume -o "$tmp/run_long.h5"
expect_match "$err" "belongs to another run" "other seeds named as another run"
expect_status 0 "run --resume" -- "$FIREDRILL" run "$tmp/long0.json" --seeds 24 -j 2 --resume -o "$tmp/run_long.h5"
expect_match "$err" "resuming: [0-9]+ of 24 replicas already in" "run resume says how much was kept"
same_tables "$tmp/run_long.h5" "$tmp/run_ref.h5" "resumed run equals an uninterrupted run"
check "run journal removed" test ! -e "$tmp/run_long.h5.journal"
expect_status 0 "traced run" -- "$FIREDRILL" run "$tmp/long0.json" --seeds 24 --trace -o "$tmp/run_traced.h5" --quiet
same_tables "$tmp/run_traced.h5" "$tmp/run_ref.h5" "tracing does not change the tables"

# A torn last record that claims 10^7 incidents (found by make fuzz): cut where
# the file ends, not allocated (2.3 GB, refused here by ulimit -v: the resume
# used to fail "out of memory reading the journal").
(trap '' XFSZ; ulimit -f 24; "$FIREDRILL" run scenarios/reference.json --seeds 3 -o "$tmp/huge.h5" --quiet 2>/dev/null) || true
check "journal kept by a results file over the size limit" test -e "$tmp/huge.h5.journal" -a ! -e "$tmp/huge.h5"
printf 'FDRC\x7f\x96\x98\x00\x00\x00\x00\x00\x00\x00\x00\x00torn' >>"$tmp/huge.h5.journal"
expect_status 0 "resume past a torn record with a huge incident count" -- \
    bash -c 'ulimit -v 1500000 && exec "$@"' _ "$FIREDRILL" run scenarios/reference.json --seeds 3 -o "$tmp/huge.h5" --resume
expect_match "$err" "resuming: 3 of 3 replicas already in" "every whole record kept"

# --- the Slurm example, run here -------------------------------------------------
expect_status 0 "slurm_sweep.sh local, 3 shards" -- env FIREDRILL="$FIREDRILL" scripts/slurm_sweep.sh local \
    "$tmp/sweeps/tiny.json" 3 "$tmp/slurm/tiny.h5"
same_tables "$tmp/slurm/tiny.h5" "$tmp/j1.h5" "Slurm-style shards merged equal the unsharded sweep"

# --- MPI ---------------------------------------------------------------------------
if ! command -v mpirun >/dev/null; then
    echo "skip: MPI test (mpirun not installed)"
elif ! "$FIREDRILL" sweep --help | grep -q "MPI: built in"; then
    echo "skip: MPI test (firedrill built without MPI)"
else
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
    expect_status 0 "mpirun -n 2 sweep" -- timeout 120 mpirun --allow-run-as-root --oversubscribe -n 2 \
        "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" -o "$tmp/mpi.h5"
    same_tables "$tmp/mpi.h5" "$tmp/j1.h5" "2 MPI ranks give the tables of -j 1"
    expect_status 0 "mpirun -n 2 shard 1/2" -- timeout 120 mpirun --allow-run-as-root --oversubscribe -n 2 \
        "$FIREDRILL" sweep "$tmp/sweeps/tiny.json" --shard 1/2 -o "$tmp/mpi_s1.h5"
    "$FIREDRILL" merge "$tmp/mpi_m.h5" "$tmp/s0.h5" "$tmp/mpi_s1.h5" >/dev/null
    same_tables "$tmp/mpi_m.h5" "$tmp/j1.h5" "an MPI shard merges with a threaded one"
    expect_status 2 "mpirun with a bad sweep" -- timeout 120 mpirun --allow-run-as-root --oversubscribe -n 2 \
        "$FIREDRILL" sweep "$tmp/sweeps/zip.json" -o "$tmp/mpi_bad.h5"
    expect_match "$err" "zip.json: parameters\[1\]" "MPI error names the path"
fi
finish
