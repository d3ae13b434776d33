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

# rows FILE DATASET [COLUMN...]: one line per row of /DATASET at full
# precision, without wall_s (wall-clock time) and the named columns.
rows() {
    local f=$1 d=$2
    shift 2
    h5dump -m '%.17g' -d "/$d" "$f" | awk -v drop="wall_s $*" '
        BEGIN { n = split(drop, a, " "); for (i = 1; i <= n; i++) skip[a[i]] = 1 }
        /^ *DATATYPE/ { intype = 1 }
        /^ *DATASPACE/ { intype = 0 }
        intype && match($0, /"[A-Za-z0-9_]+";$/) {
            m++; if (substr($0, RSTART + 1, RLENGTH - 3) in skip) dropped[m] = 1 }
        /^ *\([0-9]+\): \{/ { k = 0; line = ""; inrec = 1; next }
        inrec && /^ *\}/ { inrec = 0; print line; next }
        inrec { k++; v = $0; gsub(/^ +|,$/, "", v); if (!(k in dropped)) line = line (line == "" ? "" : " ") v }'
}
# check DESCRIPTION CMD...: passes when CMD succeeds.
check() {
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
# same_tables A B DESCRIPTION: /replicas and /incidents of A and B agree.
same_tables() {
    local ra rb ia ib
    ra=$(rows "$1" replicas); rb=$(rows "$2" replicas)
    ia=$(rows "$1" incidents); ib=$(rows "$2" incidents)
    if [[ -n "$ra" && "$ra" == "$rb" && "$ia" == "$ib" ]]; then
        echo "ok: $3"
    else
        echo "FAIL: $3"; diff <(echo "$ra"; echo "$ia") <(echo "$rb"; echo "$ib") | head -5
        fails=$((fails + 1))
    fi
}

# kill_mid_run PID JOURNAL: kill -9 once the journal holds a few whole records.
kill_mid_run() {
    local pid=$1 journal=$2 size
    for _ in $(seq 1 400); do
        size=$(stat -c %s "$journal" 2>/dev/null || echo 0)
        (( size > 300000 )) && break
        sleep 0.02
    done
    # the braces catch the shell's own "Killed" notice too
    { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true
}
finish() {
    [[ $fails -eq 0 ]] || { echo "$fails failure(s)"; exit 1; }
}
