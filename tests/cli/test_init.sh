# firedrill init: a starter scenario that validates and runs, for every
# strategy; the same deployment and disasters as the shipped strategy files;
# bad arguments exit 2 and write nothing; an existing file is kept unless
# --force.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"

expect_status 0 "init --help" -- "$FIREDRILL" init --help
expect_match "$out" "server_failure .*Llama 3" "--help names the default disasters and their sources"
expect_status 0 "--help lists init" -- "$FIREDRILL" --help
expect_match "$out" "init .*starter scenario" "the program's help lists init"

expect_status 0 "init with defaults" -- "$FIREDRILL" init -o "$tmp/mine.json"
expect_match "$out" "wrote $tmp/mine.json: scenario mine, warm_standby, 3 regions, 9 default disasters" \
    "init says what it wrote"
text=$(cat "$tmp/mine.json")
expect_match "$text" '"name": "mine"' "the name is the file's base name"
expect_match "$text" '"_source": "Llama 3 report' "server failures cite the Llama 3 report"
n_sources=$(grep -c '"_source"' "$tmp/mine.json")
expect_match "$n_sources" "^10$" "every default disaster (and the surge) has its _source"
expect_status 0 "the starter validates" -- "$FIREDRILL" validate "$tmp/mine.json"
expect_status 0 "the starter runs" -- "$FIREDRILL" run "$tmp/mine.json" --seeds 2 -j 1 -o "$tmp/mine.h5" --quiet

# Each strategy is the shipped scenario of that name up to name and comments:
# the same replicas, incident for incident.
for s in backup_restore pilot_light warm_standby active_active; do
    expect_status 0 "init --strategy $s" -- "$FIREDRILL" init --strategy "$s" -o "$tmp/$s.json"
    expect_status 0 "$s runs" -- "$FIREDRILL" run "$tmp/$s.json" --seeds 2 -j 1 -o "$tmp/$s.h5" --quiet
    expect_status 0 "shipped $s runs" -- "$FIREDRILL" run "scenarios/$s.json" --seeds 2 -j 1 -o "$tmp/ship_$s.h5" --quiet
    a=$(h5dump -d /incidents "$tmp/$s.h5" | tail -n +2)
    b=$(h5dump -d /incidents "$tmp/ship_$s.h5" | tail -n +2)
    if [[ -n "$a" && "$a" == "$b" ]]; then echo "ok: init $s meets the shipped $s's incidents"; else
        echo "FAIL: init $s and scenarios/$s.json differ in /incidents"; fails=$((fails + 1)); fi
done

expect_status 0 "one region, backup and restore" -- "$FIREDRILL" init --regions 1 --strategy backup_restore -o "$tmp/one.json"
expect_status 0 "one region validates" -- "$FIREDRILL" validate "$tmp/one.json"
expect_status 0 "sixteen active regions" -- "$FIREDRILL" init --regions 16 --strategy active_active -o "$tmp/many.json"
expect_status 0 "sixteen regions validate" -- "$FIREDRILL" validate "$tmp/many.json"
expect_match "$(grep -c '"role": "active"' "$tmp/many.json")" "^16$" "sixteen active regions written"
expect_status 0 "--name" -- "$FIREDRILL" init --name deploy-1 -o "$tmp/x.json"
expect_match "$(cat "$tmp/x.json")" '"name": "deploy-1"' "--name sets the scenario name"

# Refusals: exit 2, nothing written, an existing file untouched.
before=$(cksum <"$tmp/mine.json")
expect_status 2 "existing file refused" -- "$FIREDRILL" init -o "$tmp/mine.json" --strategy pilot_light
expect_match "$err" "exists: choose another name, or --force" "the refusal says how to replace it"
expect_match "$(cksum <"$tmp/mine.json")" "^$before\$" "the existing file is untouched"
expect_status 0 "--force replaces it" -- "$FIREDRILL" init -o "$tmp/mine.json" --strategy pilot_light --force
expect_match "$(cat "$tmp/mine.json")" '"standby": "pilot_light"' "the replaced file has the new strategy"
expect_status 2 "no -o" -- "$FIREDRILL" init
expect_status 2 "-o a directory" -- "$FIREDRILL" init -o "$tmp"
expect_status 2 "-o in a missing directory" -- "$FIREDRILL" init -o "$tmp/none/x.json"
expect_status 2 "--regions 0" -- "$FIREDRILL" init --regions 0 -o "$tmp/r0.json"
expect_match "$err" "--regions: expected an integer in \[1, 16\], got '0'" "bad --regions explained"
expect_status 2 "--regions 17" -- "$FIREDRILL" init --regions 17 -o "$tmp/r17.json"
expect_status 2 "unknown strategy" -- "$FIREDRILL" init --strategy hot -o "$tmp/s.json"
expect_match "$err" "--strategy: expected backup_restore, pilot_light, warm_standby or active_active, got 'hot'" \
    "unknown strategy explained"
expect_status 2 "warm standby in one region" -- "$FIREDRILL" init --regions 1 -o "$tmp/w1.json"
expect_match "$err" "needs --regions 2 or more" "one region needs backup_restore"
expect_status 2 "a file name that is no scenario name" -- "$FIREDRILL" init -o "$tmp/two words.json"
expect_match "$err" "give one with --name" "the remedy is named"
expect_status 2 "a bad --name" -- "$FIREDRILL" init --name 'a/b' -o "$tmp/n.json"
expect_status 2 "an extra argument" -- "$FIREDRILL" init -o "$tmp/e.json" extra
expect_status 2 "an unknown option" -- "$FIREDRILL" init -o "$tmp/u.json" --frob
leftover=$(ls "$tmp" | grep -E '^(r0|r17|s|w1|n|e|u)\.json|\.tmp\.' || true)
expect_match "$leftover" "^$" "refused calls leave no file and no temporary"
finish
