# Helpers for the end-to-end CLI tests: each test_*.sh sources this file and
# runs $FIREDRILL (the binary under test) from the repository root.
set -u
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_status WANT DESCRIPTION -- CMD...: runs CMD, keeps stdout/stderr in $out/$err
expect_status() {
    local want=$1 what=$2
    shift 3
    set +e
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    set -e
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
    if [[ $got -ne $want ]]; then
        echo "FAIL: $what: exit $got, want $want"; echo "  stdout: $out"; echo "  stderr: $err"
        fails=$((fails + 1))
    else
        echo "ok: $what"
    fi
}

# expect_match TEXT REGEX DESCRIPTION
expect_match() {
    if [[ "$1" =~ $2 ]]; then echo "ok: $3"; else echo "FAIL: $3: '$1' !~ /$2/"; fails=$((fails + 1)); fi
}

finish() {
    [[ $fails -eq 0 ]] || { echo "$fails failure(s)"; exit 1; }
}
