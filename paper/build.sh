#!/usr/bin/env bash
# paper/build.sh [FIREDRILL] — regenerates the paper from scratch with the real tool.
# paper/build.sh --check-template [TEMPLATE [PAPER_MD]] — checks the template alone.
#
#   paper/build.sh build/firedrill   (Makefile: `paper: paper-deps all ; @paper/build.sh build/firedrill`)
#
# Runs the validation binaries (tests/validation: simulated against closed
# forms), the shipped sweeps of scenarios/sweeps/ and the seed-case sweep
# paper/seed_case_sweep.json into a temporary directory, `firedrill validate`,
# `summarize --csv`, `export --csv`, `plot`, `report` and `optimize` on them,
# reads the HDF5 files with h5dump, and fills the placeholders (@NAME@) of
# paper/paper.md.in. Then it numbers sections, figures and tables and resolves
# the cross-references ([@sec:x], [@fig:x], [@tbl:x]) and typesets the PDF with
# pandoc (citeproc, paper/references.bib) and XeLaTeX. Writes paper/paper.md,
# paper/paper.pdf and paper/figures/ (all three kept in git) and nothing else in
# the tree. Every result in them comes from those outputs. It fails, naming it,
# on a placeholder without a value or one left in the output, on a
# cross-reference or citation that does not resolve, on a pandoc warning, and
# on a PDF with fewer than 8 pages, without a References section or with an
# at-sign left in its text.
#
# --check-template runs nothing: it checks that the placeholders of TEMPLATE
# (default paper/paper.md.in) are exactly the ones this script fills (the
# PLACEHOLDERS list below), that its cross-references and citations resolve
# (keys of paper/references.bib), and that PAPER_MD (default paper/paper.md, the
# committed copy) has no placeholder left. `make test` runs it (tests/cli/test_paper.sh).
#
# Environment:
#   PAPER_SEEDS=N  run every sweep with N seeds (derived sweep files in the
#                  temporary directory); default: the seeds of the shipped files
#   PAPER_JOBS=N   worker threads per sweep (default 2)
#   PAPER_KEEP=1   keep the temporary directory (HDF5, CSV, .dat, logs)
#   PAPER_REUSE=D  development aid: take the validation output, sweeps and runs from a
#                  directory kept by PAPER_KEEP=1 instead of running them
# Needs bash, awk (mawk is enough), sed, gnuplot, h5dump, sha256sum, make (to
# build the validation binaries when they are missing), and for the PDF pandoc,
# xelatex and pdfinfo/pdftotext (`make paper-deps` installs them).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"

die() { echo "paper/build.sh: $*" >&2; exit 1; }
log() { echo "paper: $*" >&2; }

# Every placeholder this script fills. put/putf refuse any other name; the
# fill step fails on a template placeholder missing here, or listed here and
# never written; --check-template compares this list with the template.
PLACEHOLDERS=(
    DATE VERSION GIT_REV TREE_REV CREATED BACKEND HOST BUILD_SECONDS SEEDS_NOTE
    VALIDATION_TESTS VAL_SECONDS VALIDATION_TABLE ERLANG_SETUP PHI_ALARM
    DALY_SETUP DALY_STATUS DALY_24 DALY_6 DALY_TABLE BATCHING_STATUS BATCHING_TABLE
    SEED_SEEDS SEED_TABLE SEED_GROUP_TABLE SEED_SWITCH SEED_FAILOVERS SEED_DET_MEAN SEED_LOAD
    SEED_P50_CLEAN SEED_MIN_CLEAN SEED_MAX_CLEAN SEED_P99_CLEAN SEED_P50_BOTH SEED_P99_BOTH SEED_MEAN_BOTH
    SEED_FULL_SIZE SEED_LINK SEED_FULL_TRANSFER SEED_FULL_RESTORABLE SEED_INCR_SHARE SEED_INCR_TAKES
    SEED_LINK_BUSY SEED_SKIPPED SEED_COMPLETED SEED_MOVED SEED_FAILED SEED_RESTORED
    STRATEGY_TABLE STRATEGY_DIFF_TABLE STRATEGY_KIND_TABLE STRATEGY_MONEY_TABLE SIGNIF_NOTE FF_NOTE
    AVAIL_RANGE STRAT_RTO_MAX STRAT_RPO_MAX REC_STRATEGIES
    BACKUP_TABLE SKIP_NOTE BACKUP_RTO_MAX BACKUP_RPO_MAX REC_BACKUP PARTIAL_TABLE
    DETECTOR_TABLE DET_RANGE FLAP_NOTE
    STANDBY_TABLE STANDBY_LAT_N STANDBY_REPLICAS CEIL_AVAIL_STANDBY
    OPT_GRID_POINTS OPT_MAX_SEEDS OPT_RTO_TARGET OPT_RPO_TARGET OPT_CONFIDENCE OPT_N0
    OPT_BEST OPT_BEST_LABEL OPT_REPLICAS OPT_PCS GRID_BEST GRID_BEST_LABEL GRID_REPLICAS OPT_SHARE OPT_TABLE OPT10_NOTE
    SWEEP_TABLE SHA_LISTING SWEEP_NAMES
)
is_placeholder() { local p; for p in "${PLACEHOLDERS[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

# Numbers sections, figures and tables and resolves the cross-references.
# Reads the document twice (pass 1 collects the labels). mode=check writes
# nothing; mode=md writes the Markdown to read (numbers in the headings and
# captions, attributes stripped, the reference list from the file refs);
# mode=tex writes pandoc's input (LaTeX numbers them: headings, figures and
# tables in document order, which is the order counted here), figures as
# their PDF twins where figdir holds one. Fails naming every problem: a
# caption without a label, a label given twice, a reference to no label.
XREF_AWK='
function err(msg) { print "paper/build.sh: " FILENAME ":" FNR ": " msg > "/dev/stderr"; bad = 1 }
function strip_comment_and_yaml(   l) {
    # the leading comment block and the YAML front matter are not numbered
    if (FNR == 1) { incomment = 0; inyaml = 0; fence = 0; seen_text = 0 }
    l = $0
    if (!seen_text && l ~ /^<!--/) { incomment = 1 }
    if (incomment) { if (l ~ /-->/) incomment = 0; return 1 }
    if (!seen_text && l == "---") { inyaml = 1; seen_text = 1; return 2 }
    if (inyaml) { if (l == "---" || l == "...") inyaml = 0; return 2 }
    if (l != "") seen_text = 1
    return 0
}
function label_of(s,   m) {
    if (match(s, /\{#(sec|fig|tbl):[A-Za-z0-9_-]+/)) { m = substr(s, RSTART + 2, RLENGTH - 2); return m }
    return ""
}
function define(l, num) { if (l in lab) err("label " l " defined twice"); lab[l] = num }
NR == FNR {
    if (strip_comment_and_yaml()) next
    if ($0 ~ /^(```|~~~)/) { fence = !fence; next }
    if (fence) next
    if ($0 ~ /^#+ /) {
        lvl = index($0, " ") - 1
        if ($0 ~ /\{(-|\.unnumbered)\}/) next
        c[lvl]++; for (k = lvl + 1; k <= 6; k++) c[k] = 0
        num = c[1]; for (k = 2; k <= lvl; k++) num = num "." c[k]
        secnum[FNR] = num
        l = label_of($0); if (l != "") define(l, num)
        next
    }
    if ($0 ~ /^!\[[^]]/) {
        l = label_of($0)
        if (l !~ /^fig:/) { err("figure with a caption but no {#fig:NAME}: " substr($0, 1, 60)); next }
        nfig++; fignum[FNR] = nfig; define(l, nfig); next
    }
    if ($0 ~ /^(Table)?: /) {
        l = label_of($0)
        if (l !~ /^tbl:/) { err("table caption without {#tbl:NAME}: " substr($0, 1, 60)); next }
        ntbl++; tblnum[FNR] = ntbl; define(l, ntbl); next
    }
    next
}
{
    y = strip_comment_and_yaml()
    if (y == 1) next
    line = $0
    if (!y && line ~ /^(```|~~~)/) fence = !fence
    if (!y && !fence) {
        out = ""
        while (match(line, /\[@(sec|fig|tbl):[A-Za-z0-9_-]+\]/)) {
            l = substr(line, RSTART + 2, RLENGTH - 3); kind = substr(l, 1, 3)
            word = kind == "sec" ? "Section" : kind == "fig" ? "Figure" : "Table"
            if (!(l in lab)) { err("reference to an undefined label " l); txt = "??" } else txt = word " " lab[l]
            out = out substr(line, 1, RSTART - 1) txt; line = substr(line, RSTART + RLENGTH)
        }
        line = out line
        if (line ~ /@(sec|fig|tbl):/) err("a cross-reference outside [@...] brackets: " substr(line, 1, 60))
        if (FNR in secnum) {
            if (mode == "md") { sub(/ +\{#[^}]*\}$/, "", line); p = index(line, " "); line = substr(line, 1, p) secnum[FNR] " " substr(line, p + 1) }
        } else if (line ~ /^#+ .*\{(-|\.unnumbered)\}/) {
            if (mode == "md") sub(/ +\{[^}]*\}$/, "", line)
        } else if (FNR in fignum) {
            if (mode == "md") { sub(/\)\{[^}]*\}$/, ")", line); sub(/^!\[/, "![Figure " fignum[FNR] ": ", line) }
            else if (match(line, /\]\(figures\/[^)]*\.png\)/)) {
                f = substr(line, RSTART + 2, RLENGTH - 3); sub(/\.png$/, ".pdf", f)
                if (figdir != "" && (getline tmp < (figdir "/" substr(f, 9))) >= 0) { close(figdir "/" substr(f, 9)); sub(/\.png\)/, ".pdf)", line) }
            }
        } else if (FNR in tblnum) {
            sub(/ *\{#tbl:[^}]*\}$/, "", line)
            if (mode == "md") { sub(/^(Table)?: /, "", line); line = "Table " tblnum[FNR] ": " line }
        } else if (mode == "md" && line ~ /^::: \{#refs\}/) {
            while ((getline r < refs) > 0) print r
            close(refs); skipdiv = 1; next
        } else if (skipdiv && line ~ /^:::$/) { skipdiv = 0; next }
    }
    if (mode != "check") print line
}
END { exit bad }'

# --check-template [TEMPLATE [PAPER_MD]]: the static checks, no runs.
check_template() {
    local tpl=${1:-$here/paper.md.in} md=${2:-$here/paper.md} bib=$here/references.bib bad=0 p
    [ -f "$tpl" ] || die "$tpl: no such template"
    [ -f "$bib" ] || die "$bib: no bibliography"
    local used body=$(mktemp)
    # the template without its leading comment (which may name things as examples)
    awk 'NR == 1 && /^<!--/ { c = 1 } c { if (/-->/) c = 0; next } { print }' "$tpl" >"$body"
    used=$(grep -oE '@[A-Z][A-Z0-9_]*@' "$body" | tr -d @ | sort -u)
    for p in $used; do is_placeholder "$p" || { echo "paper/build.sh: $tpl: @$p@ is not a placeholder build.sh fills" >&2; bad=1; }; done
    for p in "${PLACEHOLDERS[@]}"; do grep -qx "$p" <<<"$used" || { echo "paper/build.sh: $tpl: build.sh fills @$p@, which the template does not use" >&2; bad=1; }; done
    # anything else between at-signs is a typo of a placeholder
    if grep -oE '@[A-Za-z][A-Za-z0-9_]*@' "$body" | grep -q '[a-z]'; then
        echo "paper/build.sh: $tpl: $(grep -oE '@[A-Za-z][A-Za-z0-9_]*@' "$body" | grep '[a-z]' | head -1): placeholders are upper case" >&2; bad=1
    fi
    # citations: every [@key] of the template is a key of references.bib
    local keys cited k
    keys=$(grep -oE '^@[a-zA-Z]+\{[^,]+' "$bib" | sed 's/.*{//' | sort -u)
    cited=$(grep -oE '\[@[^]]*\]' "$body" | grep -oE '@[a-z][A-Za-z0-9_:-]*' | grep -vE '^@(sec|fig|tbl):' | tr -d @ | sort -u)
    for k in $cited; do grep -qx "$k" <<<"$keys" || { echo "paper/build.sh: $tpl: [@$k] is not a key of $bib" >&2; bad=1; }; done
    # cross-references and captions
    awk -v mode=check "$XREF_AWK" "$tpl" "$tpl" || bad=1
    # the committed paper: generated, with nothing left to fill
    if [ "$md" = - ]; then
        :
    elif [ ! -f "$md" ]; then
        echo "paper/build.sh: $md: missing (make paper writes it)" >&2; bad=1
    elif grep -nE '@[A-Za-z][A-Za-z0-9_]*@' "$md" >&2; then
        echo "paper/build.sh: $md: the placeholders above were left unfilled" >&2; bad=1
    fi
    rm -f "$body"
    [ $bad = 0 ] || die "template check failed"
    echo "paper/build.sh: $(basename "$tpl"): ${#PLACEHOLDERS[@]} placeholders, $(wc -w <<<"$cited") cited keys, cross-references resolve$([ "$md" = - ] || echo "; $(basename "$md") has no placeholder left")"
}
if [ "${1:-}" = --check-template ]; then
    shift
    check_template "$@"
    exit 0
fi

fd=${1:-build/firedrill}
jobs=${PAPER_JOBS:-2}
seeds=${PAPER_SEEDS:-}
t_start=$(date +%s)
# before this script writes anything (paper/ is tracked): the tree it builds from
tree_rev=$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
[ -x "$fd" ] || die "$fd: not an executable (run make first)"
for t in gnuplot h5dump awk sed sha256sum pandoc xelatex pdfinfo pdftotext; do
    command -v "$t" >/dev/null || die "$t not found (make paper-deps installs what the paper needs)"
done
[ -z "$seeds" ] || [[ "$seeds" =~ ^[1-9][0-9]*$ ]] || die "PAPER_SEEDS must be a positive integer, got '$seeds'"
# a broken template fails now, not after the runs
(check_template "$here/paper.md.in" - >/dev/null) || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/firedrill-paper.XXXXXX")
if [ "${PAPER_KEEP:-0}" = 1 ]; then log "keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
ph=$work/ph # one file per placeholder
mkdir -p "$ph" "$work/fig"
put() { is_placeholder "$1" || die "put: @$1@ is not in PLACEHOLDERS"; printf '%s' "$2" >"$ph/$1"; }   # put NAME VALUE
putf() { is_placeholder "$1" || die "putf: @$1@ is not in PLACEHOLDERS"; cat >"$ph/$1"; }             # putf NAME < block

# ---- awk helpers, prepended to every awk program ---------------------------
AWKLIB='
function isnum(x) { return x != "" && x !~ /^-?nan$/ && x !~ /^-?inf/ }
# n significant digits, whole numbers when the value has more integer digits
function sig(x, n,   a) {
    if (!isnum(x)) return "–"
    x += 0 # a field is a string: compared with a number it would compare as text
    a = x < 0 ? -x : x
    if (a >= 10 ^ n) return sprintf("%.0f", x)
    return sprintf("%." n "g", x)
}
function ci(m, lo, hi, n) { return sig(m, n) " [" sig(lo, n) ", " sig(hi, n) "]" }
function fx(x, d) { return isnum(x) ? sprintf("%." d "f", x) : "–" }
function cif(m, lo, hi, d) { return fx(m, d) " [" fx(lo, d) ", " fx(hi, d) "]" }
function mil(x) { return isnum(x) ? x / 1e6 : x }
# the value of "key" in a flat JSON object {"key":value,...}
function jget(s, key,   i, r) {
    i = index(s, "\"" key "\":")
    if (!i) return ""
    r = substr(s, i + length(key) + 3)
    sub(/[,}].*/, "", r); gsub(/"/, "", r)
    return r
}
function label(params,   r) {
    r = params; gsub(/[{}"]/, "", r); sub(/^base:/, "", r); sub(/^\.\.\//, "", r); sub(/\.json$/, "", r)
    return r
}
# a CSV line into a[1..n] (quotes and doubled quotes as summarize writes them)
function csvsplit(s, a,   n, i, c, f, q) {
    n = 0; f = ""; q = 0
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (q) { if (c == "\"") { if (substr(s, i + 1, 1) == "\"") { f = f "\""; i++ } else q = 0 } else f = f c }
        else if (c == "\"") q = 1
        else if (c == ",") { a[++n] = f; f = "" }
        else f = f c
    }
    a[++n] = f
    return n
}
'
# Loads a summarize CSV (FILENAME in a first pass) into S[point, metric, column]
# and P[point] (parameters), NP points; columns by header name.
LOADCSV='
FNR == 1 && FILENAME ~ /\.csv$/ { csvsplit($0, H); for (i in H) C[H[i]] = i; next }
FILENAME ~ /\.csv$/ {
    csvsplit($0, a)
    p = a[C["point"]]; m = a[C["metric"]]
    P[p] = a[C["parameters"]]; if (p + 1 > NP) NP = p + 1
    for (k in C) S[p, m, k] = a[C[k]]
    next
}
'
# Loads a flattened incidents CSV (see inc_csv) into columns I[name] and rows.
LOADINC='
FNR == 1 && FILENAME ~ /\.inc$/ { n = split($0, h, ","); for (i = 1; i <= n; i++) I[h[i]] = i; next }
'

# h5dump helpers
attr() { h5dump -a "/$2" "$1" | awk '/\(0\):/ { sub(/^[^:]*: */, ""); gsub(/"/, ""); print; exit }'; }
# /incidents as CSV: a header of column names, then one row per incident
inc_csv() {
    {
        h5dump -H -d /incidents "$1" | awk '/^      [^ ].*"[a-z_0-9]+";$/ { s = $0; sub(/;$/, "", s); sub(/.*[ }]"/, "", s); sub(/"$/, "", s); printf "%s%s", sep, s; sep = "," } END { print "" }'
        h5dump -y -w 0 -d /incidents "$1" | awk '
            /DATA \{/ { on = 1; next }
            on && /^ *\{ *$/ { row = ""; nf = 0; next }
            on && /^ *\}/ { if (nf > 0) print row; nf = 0; next }
            on { v = $0; sub(/^ */, "", v); sub(/,$/, "", v); gsub(/"/, "", v); gsub(/,/, ";", v); row = (nf ? row "," : "") v; nf++ }'
    } >"$2"
}
# /points: point and scenario SHA-256, one line each
points_sha() {
    h5dump -y -w 0 -d /points "$1" | awk '/^      (\}, )?\{$/ { getline p; getline s; gsub(/[ ",]/, "", p); gsub(/[ ",]/, "", s); print p, s }'
}

# ---- 1. validation binaries ----------------------------------------------------
sweeps="strategies backup_interval partial_backups detector standby_capacity"
vals="world checkpoint story cost optimize disaster_kinds"
reused="sweeps.log val_seconds seed_case.h5 seed_validate.txt seed_trace.h5 optimize.h5 optimize_grid.h5 opt_line grid_line opt10_line"
for s in $sweeps; do reused="$reused $s.h5"; done
for v in $vals; do reused="$reused val_$v.txt"; done
if [ -n "${PAPER_REUSE:-}" ]; then
    # development aid: reuse the validation output and runs of a PAPER_KEEP directory
    for f in $reused; do cp "$PAPER_REUSE/$f" "$work/" || die "PAPER_REUSE: $PAPER_REUSE/$f missing"; done
    t_val=$(cat "$work/val_seconds")
else
bdir=$(dirname "$fd")
vbins=""
for v in $vals; do vbins="$vbins $bdir/tests/validation/test_$v"; done
missing=""
for b in $vbins; do [ -x "$b" ] || missing="$missing $b"; done
if [ -n "$missing" ]; then
    log "building$missing"
    make --no-print-directory -s BUILD="$bdir" $missing >&2 || die "could not build the validation binaries"
fi
log "running validation tests"
failed_vals=""
t0=$(date +%s)
for v in $vals; do
    "$bdir/tests/validation/test_$v" >"$work/val_$v.txt" 2>&1 || failed_vals="$failed_vals test_$v"
done
t_val=$(($(date +%s) - t0))
[ -z "$failed_vals" ] || log "WARNING: validation tests failed:$failed_vals; the paper says so"
echo "$t_val" >"$work/val_seconds"

# ---- 2. sweeps and runs -------------------------------------------------------------
if [ -n "$seeds" ]; then
    # Derived sweep files next to copies of the base scenarios, so that the
    # relative `base` paths and the scenario SHA-256s stay those of the shipped files.
    mkdir -p "$work/scenarios/sweeps" "$work/paper"
    cp scenarios/*.json "$work/scenarios/"
    for s in $sweeps; do
        sed -E "s/\"seeds\": *[0-9]+/\"seeds\": $seeds/" "scenarios/sweeps/$s.json" >"$work/scenarios/sweeps/$s.json"
    done
    sed -E "s/\"seeds\": *[0-9]+/\"seeds\": $seeds/" paper/seed_case_sweep.json >"$work/paper/seed_case_sweep.json"
    specdir=$work/scenarios/sweeps seedspec=$work/paper/seed_case_sweep.json
else
    specdir=scenarios/sweeps seedspec=paper/seed_case_sweep.json
fi
: >"$work/sweeps.log"
for s in $sweeps; do
    log "sweep $s"
    "$fd" sweep "$specdir/$s.json" -j "$jobs" --fresh -o "$work/$s.h5" >>"$work/sweeps.log" 2>&1 ||
        { cat "$work/sweeps.log" >&2; die "sweep $s failed"; }
done
# the design note's case: its probabilities on and off, what validate plans, one traced replica
log "sweep seed_case, validate and a traced run of scenarios/seed_case.json"
"$fd" sweep "$seedspec" -j "$jobs" --fresh -o "$work/seed_case.h5" >>"$work/sweeps.log" 2>&1 ||
    { cat "$work/sweeps.log" >&2; die "sweep seed_case failed"; }
"$fd" validate scenarios/seed_case.json >"$work/seed_validate.txt" 2>/dev/null || die "validate scenarios/seed_case.json failed"
"$fd" run scenarios/seed_case.json --seeds 1 --trace --fresh -o "$work/seed_trace.h5" --quiet 2>/dev/null ||
    die "the traced run of scenarios/seed_case.json failed"
# optimize against the exhaustive grid on the backup interval x standby share problem
log "optimize backup_standby (sequential, then the grid)"
"$fd" optimize scenarios/optimize/backup_standby.json -j "$jobs" -o "$work/optimize.h5" --quiet | tail -n 1 >"$work/opt_line" ||
    die "optimize failed"
"$fd" optimize scenarios/optimize/backup_standby.json -j "$jobs" --grid -o "$work/optimize_grid.h5" --quiet |
    tail -n 1 >"$work/grid_line" || die "optimize --grid failed"
# the same with a first stage of 10 seeds (a copy of scenarios/, so that `base` resolves alike)
mkdir -p "$work/n0"
cp -r scenarios "$work/n0/"
sed -E 's/"n0": *[0-9]+/"n0": 10/' scenarios/optimize/backup_standby.json >"$work/n0/scenarios/optimize/backup_standby.json"
grep -q '"n0": 10' "$work/n0/scenarios/optimize/backup_standby.json" || die "scenarios/optimize/backup_standby.json: no n0 to change"
"$fd" optimize "$work/n0/scenarios/optimize/backup_standby.json" -j "$jobs" -o "$work/optimize_n0_10.h5" --quiet |
    tail -n 1 >"$work/opt10_line" || die "optimize with n0 10 failed"
fi # PAPER_REUSE

# ---- 3. summaries, plots, reports, incidents ---------------------------------------
M_STRAT=rto_mean_s,rto_p95_s,rpo_mean_s,rpo_max_s,availability_time,availability_requests,lost_revenue,backup_cost,false_failovers,failovers,latency_p99_s,standby_cost,replication_cost,total_cost,total_cost_per_year
M_BACKUP=rpo_mean_s,rpo_max_s,lost_updates,backup_bytes_moved,backup_cost,backups_corrupt,backups_skipped
M_PARTIAL=rto_mean_s,rpo_mean_s,lost_revenue,backup_bytes_moved,backup_cost,backups_skipped
M_DET=rto_mean_s,false_failovers,failovers,availability_time
M_STANDBY=availability_time,availability_requests,latency_p99_incident_s,lost_revenue,rto_mean_s
"$fd" summarize "$work/strategies.h5" --baseline "$(attr "$work/strategies.h5" baseline_point)" --csv --metrics "$M_STRAT" >"$work/strategies.csv"
"$fd" summarize "$work/backup_interval.h5" --baseline "$(attr "$work/backup_interval.h5" baseline_point)" --csv --metrics "$M_BACKUP" >"$work/backup_interval.csv"
"$fd" summarize "$work/partial_backups.h5" --baseline "$(attr "$work/partial_backups.h5" baseline_point)" --csv --metrics "$M_PARTIAL" >"$work/partial_backups.csv"
"$fd" summarize "$work/detector.h5" --baseline "$(attr "$work/detector.h5" baseline_point)" --csv --metrics "$M_DET" >"$work/detector.csv"
"$fd" summarize "$work/standby_capacity.h5" --baseline "$(attr "$work/standby_capacity.h5" baseline_point)" --csv --metrics "$M_STANDBY" >"$work/standby_capacity.csv"
for s in $sweeps; do
    "$fd" plot "$work/$s.h5" -o "$work/plots_$s" >>"$work/plot.log" 2>&1 || { cat "$work/plot.log" >&2; die "plot $s failed"; }
    inc_csv "$work/$s.h5" "$work/$s.inc"
done
STRAT_RTO=1h STRAT_RPO=1h BACKUP_RTO=3h BACKUP_RPO=15m
"$fd" report "$work/strategies.h5" -o "$work/report_strategies" --rto-max $STRAT_RTO --rpo-max $STRAT_RPO >>"$work/plot.log" 2>&1
"$fd" report "$work/backup_interval.h5" -o "$work/report_backup" --rto-max $BACKUP_RTO --rpo-max $BACKUP_RPO >>"$work/plot.log" 2>&1
put STRAT_RTO_MAX "$STRAT_RTO"; put STRAT_RPO_MAX "$STRAT_RPO"
put BACKUP_RTO_MAX "$BACKUP_RTO"; put BACKUP_RPO_MAX "$BACKUP_RPO"
recommendation() { awk '/^## Recommendation/ { on = 1; next } on && /^## / { exit } on && NF { print; exit }' "$1"; }
put REC_STRATEGIES "$(recommendation "$work/report_strategies/report.md")"

# optimize against the exhaustive grid (run in section 2)
opt_line=$(cat "$work/opt_line") grid_line=$(cat "$work/grid_line")
field() { sed -E "s/.* $2=([^ ]+).*/\1/" <<<"$1"; }
[[ "$opt_line" == optimize:* ]] || die "optimize: unexpected last line '$opt_line'"
[[ "$grid_line" == optimize:* ]] || die "optimize --grid: unexpected last line '$grid_line'"
put OPT_BEST "$(field "$opt_line" best_point)"
put OPT_REPLICAS "$(field "$opt_line" replicas)"
put OPT_PCS "$(field "$opt_line" pcs_bound)"
put GRID_BEST "$(field "$grid_line" best_point)"
put GRID_REPLICAS "$(field "$grid_line" replicas)"
put OPT_SHARE "$(awk -v a="$(field "$opt_line" replicas)" -v b="$(field "$grid_line" replicas)" 'BEGIN { printf "%.1f", 100 * a / b }')"
put OPT_GRID_POINTS "$(field "$opt_line" grid_points)"
put REC_BACKUP "$(recommendation "$work/report_backup/report.md")"

# figures: collected in $work/figures under stable names, each PNG (paper.md)
# with its PDF twin (paper.pdf) where `firedrill plot` drew one; section 7
# moves them into paper/figures
figs=$work/figures
mkdir -p "$figs"
fig() { # fig SRC_WITHOUT_EXTENSION NAME
    cp "$1.png" "$figs/$2.png" || die "figure $1.png missing"
    [ ! -f "$1.pdf" ] || cp "$1.pdf" "$figs/$2.pdf"
}
fig "$work/plots_strategies/cdf" strategies_cdf
fig "$work/plots_strategies/rto_parts" strategies_rto_parts
fig "$work/plots_strategies/timeline" strategies_timeline
for f in frontier cost; do fig "$work/report_strategies/$f" "strategies_$f"; done
fig "$work/plots_backup_interval/backup" backup_interval
fig "$work/plots_standby_capacity/capacity" standby_capacity

# ---- 4. tables ----------------------------------------------------------------------
# 4a. strategies
awk "$AWKLIB$LOADCSV"'
END {
    print "| strategy | replicas | RTO mean [s] | per-replica p95 RTO [s] | RPO mean [s] (n) | availability (time) | availability (requests) | lost revenue [10⁶ currency] | backup cost | false failovers |"
    print "|---|---:|---|---|---|---|---|---|---:|---|"
    for (p = 0; p < NP; p++) {
        printf "| %s | %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s |\n", label(P[p]), S[p, "backup_cost", "n"],
            ci(S[p, "rto_mean_s", "mean"], S[p, "rto_mean_s", "ci_low"], S[p, "rto_mean_s", "ci_high"], 3),
            ci(S[p, "rto_p95_s", "mean"], S[p, "rto_p95_s", "ci_low"], S[p, "rto_p95_s", "ci_high"], 3),
            ci(S[p, "rpo_mean_s", "mean"], S[p, "rpo_mean_s", "ci_low"], S[p, "rpo_mean_s", "ci_high"], 3), S[p, "rpo_mean_s", "n"],
            cif(S[p, "availability_time", "mean"], S[p, "availability_time", "ci_low"], S[p, "availability_time", "ci_high"], 4),
            cif(S[p, "availability_requests", "mean"], S[p, "availability_requests", "ci_low"], S[p, "availability_requests", "ci_high"], 4),
            ci(mil(S[p, "lost_revenue", "mean"]), mil(S[p, "lost_revenue", "ci_low"]), mil(S[p, "lost_revenue", "ci_high"]), 3),
            sig(S[p, "backup_cost", "mean"], 4),
            ci(S[p, "false_failovers", "mean"], S[p, "false_failovers", "ci_low"], S[p, "false_failovers", "ci_high"], 2)
    }
}' "$work/strategies.csv" | putf STRATEGY_TABLE

# 4a'. strategies in money: each cost column per replica (the horizon), the total per year
awk "$AWKLIB$LOADCSV"'
END {
    print "| strategy | standby servers | replication | backups | lost revenue | total per replica | total per year [10⁶ currency] |"
    print "|---|---|---|---|---|---|---|"
    for (p = 0; p < NP; p++) {
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", label(P[p]),
            sig(S[p, "standby_cost", "mean"], 3), sig(S[p, "replication_cost", "mean"], 3), sig(S[p, "backup_cost", "mean"], 3),
            sig(S[p, "lost_revenue", "mean"], 3), sig(S[p, "total_cost", "mean"], 3),
            ci(mil(S[p, "total_cost_per_year", "mean"]), mil(S[p, "total_cost_per_year", "ci_low"]), mil(S[p, "total_cost_per_year", "ci_high"]), 3)
    }
}' "$work/strategies.csv" | putf STRATEGY_MONEY_TABLE

awk "$AWKLIB$LOADCSV"'
END {
    b = S[0, "rto_mean_s", "baseline_point"]
    print "| strategy − " label(P[b]) " | Δ RTO mean [s] (n) | Δ RPO mean [s] (n) | Δ availability (time) | Δ lost revenue [10⁶ currency] | Δ false failovers |"
    print "|---|---|---|---|---|---|"
    for (p = 0; p < NP; p++) {
        if (p == b) continue
        printf "| %s | %s (%s) | %s (%s) | %s | %s | %s |\n", label(P[p]),
            ci(S[p, "rto_mean_s", "diff_mean"], S[p, "rto_mean_s", "diff_ci_low"], S[p, "rto_mean_s", "diff_ci_high"], 3), S[p, "rto_mean_s", "diff_n"],
            ci(S[p, "rpo_mean_s", "diff_mean"], S[p, "rpo_mean_s", "diff_ci_low"], S[p, "rpo_mean_s", "diff_ci_high"], 3), S[p, "rpo_mean_s", "diff_n"],
            ci(S[p, "availability_time", "diff_mean"], S[p, "availability_time", "diff_ci_low"], S[p, "availability_time", "diff_ci_high"], 2),
            ci(mil(S[p, "lost_revenue", "diff_mean"]), mil(S[p, "lost_revenue", "diff_ci_low"]), mil(S[p, "lost_revenue", "diff_ci_high"]), 3),
            ci(S[p, "false_failovers", "diff_mean"], S[p, "false_failovers", "diff_ci_low"], S[p, "false_failovers", "diff_ci_high"], 2)
    }
}' "$work/strategies.csv" | putf STRATEGY_DIFF_TABLE

# which paired intervals exclude zero, for the prose
awk "$AWKLIB$LOADCSV"'
function excl(p, m) { return isnum(S[p, m, "diff_ci_low"]) && (S[p, m, "diff_ci_low"] > 0 || S[p, m, "diff_ci_high"] < 0) }
END {
    b = S[0, "rto_mean_s", "baseline_point"]
    split("rto_mean_s rpo_mean_s availability_time lost_revenue", ms, " ")
    split("RTO RPO availability lost-revenue", nm, " ")
    for (i = 1; i <= 4; i++) {
        yes = ""; no = ""
        for (p = 0; p < NP; p++) if (p != b) {
            if (excl(p, ms[i])) yes = yes (yes == "" ? "" : ", ") label(P[p]); else no = no (no == "" ? "" : ", ") label(P[p])
        }
        if (yes == "") out = out (out == "" ? "" : "; ") "the " nm[i] " difference does not exclude zero for any"
        else out = out (out == "" ? "" : "; ") "the " nm[i] " difference excludes zero for " yes (no == "" ? "" : " but not for " no)
    }
    printf "%s", out
}' "$work/strategies.csv" | putf SIGNIF_NOTE

# per incident kind: mean RTO of incidents with an outage, mean RPO of those that lost state
awk "$AWKLIB$LOADCSV$LOADINC"'
{
    p = $I["point"]; k = $I["kind"]; K[k] = 1
    if ($I["outage"] == 1 && isnum($I["rto_s"])) { nr[p, k]++; sr[p, k] += $I["rto_s"] }
    if (isnum($I["rpo_s"]) && $I["rpo_s"] > 0) { np[p, k]++; sp[p, k] += $I["rpo_s"] }
}
END {
    printf "| incident kind |"; for (p = 0; p < NP; p++) printf " %s: RTO [s] (n) · RPO [s] (n) |", label(P[p]); print ""
    printf "|---|"; for (p = 0; p < NP; p++) printf "---|"; print ""
    nk = 0; for (k in K) kk[++nk] = k
    for (i = 1; i <= nk; i++) for (j = i + 1; j <= nk; j++) if (kk[j] < kk[i]) { t = kk[i]; kk[i] = kk[j]; kk[j] = t }
    for (i = 1; i <= nk; i++) {
        k = kk[i]; any = 0
        for (p = 0; p < NP; p++) if (nr[p, k] + np[p, k] > 0) any = 1
        if (!any) continue
        printf "| %s |", k
        for (p = 0; p < NP; p++)
            printf " %s (%d) · %s (%d) |", nr[p, k] ? sig(sr[p, k] / nr[p, k], 3) : "–", nr[p, k], np[p, k] ? sig(sp[p, k] / np[p, k], 3) : "–", np[p, k]
        print ""
    }
}' "$work/strategies.csv" FS=, "$work/strategies.inc" | putf STRATEGY_KIND_TABLE

# scalars for the prose: the range of mean time availability over the strategies
awk "$AWKLIB$LOADCSV"'
END {
    for (p = 0; p < NP; p++) { av = S[p, "availability_time", "mean"] + 0
        if (lo == "" || av < lo) { lo = av; pl = label(P[p]) } if (hi == "" || av > hi) { hi = av; ph = label(P[p]) } }
    printf "from %s (%s) to %s (%s)", fx(lo, 4), pl, fx(hi, 4), ph
}' "$work/strategies.csv" | putf AVAIL_RANGE

# 4b. backup interval
# δ(T) and T/2 + δ(T) at the swept T, interpolated (log T) on the plot's analytic curve
awk "$AWKLIB$LOADCSV$LOADINC"'
FILENAME ~ /analytic/ { if ($1 !~ /^#/) { na++; AT[na] = $1; AR[na] = $2; AD[na] = $3 } next }
{
    p = $I["point"]
    if ($I["kind"] == "bad_model_push" && isnum($I["rpo_s"])) { nb[p]++; sb[p] += $I["rpo_s"]; v[p, nb[p]] = $I["rpo_s"] }
}
function interp(t, Y,   i, f) {
    for (i = 1; i < na; i++) if (AT[i] <= t && t <= AT[i + 1]) {
        f = AT[i + 1] > AT[i] ? (log(t) - log(AT[i])) / (log(AT[i + 1]) - log(AT[i])) : 0
        return Y[i] + f * (Y[i + 1] - Y[i])
    }
    return t == AT[na] ? Y[na] : ""
}
function median(p, n,   i, j, t, w) {
    for (i = 1; i <= n; i++) w[i] = v[p, i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (w[j] < w[i]) { t = w[i]; w[i] = w[j]; w[j] = t }
    return n % 2 ? w[(n + 1) / 2] : (w[n / 2] + w[n / 2 + 1]) / 2
}
END {
    print "| T [s] | δ(T) [s] | T/2 + δ [s] | RPO mean, all incidents [s] (n) | RPO of bad-push rollbacks: mean · median [s] (n) | rollback mean ÷ (T/2 + δ) | skipped incrementals / replica | corrupt backups / replica | bytes moved / replica [GB] | backup cost / replica |"
    print "|---:|---:|---:|---|---|---:|---:|---|---:|---:|"
    skip = ""
    for (p = 0; p < NP; p++) {
        t = jget(P[p], "backup.incremental_period_s") + 0
        d = interp(t, AD); r = interp(t, AR)
        if (isnum(d) && d > t) skip = skip (skip == "" ? "" : ", ") t " s"
        printf "| %s | %s | %s | %s (%s) | %s · %s (%d) | %s | %s | %s | %s | %s |\n", t, sig(d, 3), sig(r, 3),
            ci(S[p, "rpo_mean_s", "mean"], S[p, "rpo_mean_s", "ci_low"], S[p, "rpo_mean_s", "ci_high"], 3), S[p, "rpo_mean_s", "n"],
            nb[p] ? sig(sb[p] / nb[p], 3) : "–", nb[p] ? sig(median(p, nb[p]), 3) : "–", nb[p],
            nb[p] && isnum(r) ? sprintf("%.2f", sb[p] / nb[p] / r) : "–",
            sig(S[p, "backups_skipped", "mean"], 3),
            ci(S[p, "backups_corrupt", "mean"], S[p, "backups_corrupt", "ci_low"], S[p, "backups_corrupt", "ci_high"], 2),
            sig(S[p, "backup_bytes_moved", "mean"] / 1e9, 4), sig(S[p, "backup_cost", "mean"], 4)
    }
    print (skip == "" ? "at no swept interval" : "at T = " skip) > "'"$ph/SKIP_NOTE"'"
}' "$work/backup_interval.csv" "$work/plots_backup_interval/backup_analytic.dat" FS=, "$work/backup_interval.inc" | putf BACKUP_TABLE

# 4b'. incremental against differential: restores (bad-push rollbacks and
# restores from backup) against bytes moved between fulls
awk "$AWKLIB$LOADCSV$LOADINC"'
FILENAME ~ /\.inc$/ {
    p = $I["point"]
    if ($I["kind"] == "bad_model_push" && isnum($I["rto_s"])) { nr[p]++; sr[p] += $I["rto_s"]; st[p] += $I["transfer_s"] }
}
END {
    b = S[0, "rto_mean_s", "baseline_point"]
    print "| backups between fulls | period | RTO mean [s] | Δ RTO vs " jget(P[b], "backup.partial") " every " jget(P[b], "backup.incremental_period_s") " [s] | rollback RTO · its transfer [s] (n) | RPO mean [s] (n) | skipped / replica | bytes moved / replica [GB] | backup cost / replica |"
    print "|---|---:|---|---|---|---|---:|---:|---:|"
    for (p = 0; p < NP; p++) {
        printf "| %s | %s | %s | %s | %s · %s (%d) | %s (%s) | %s | %s | %s |\n", jget(P[p], "backup.partial"),
            jget(P[p], "backup.incremental_period_s"),
            ci(S[p, "rto_mean_s", "mean"], S[p, "rto_mean_s", "ci_low"], S[p, "rto_mean_s", "ci_high"], 3),
            p == b ? "–" : ci(S[p, "rto_mean_s", "diff_mean"], S[p, "rto_mean_s", "diff_ci_low"], S[p, "rto_mean_s", "diff_ci_high"], 3),
            nr[p] ? sig(sr[p] / nr[p], 3) : "–", nr[p] ? sig(st[p] / nr[p], 3) : "–", nr[p],
            ci(S[p, "rpo_mean_s", "mean"], S[p, "rpo_mean_s", "ci_low"], S[p, "rpo_mean_s", "ci_high"], 3), S[p, "rpo_mean_s", "n"],
            sig(S[p, "backups_skipped", "mean"], 3), sig(S[p, "backup_bytes_moved", "mean"] / 1e9, 4),
            sig(S[p, "backup_cost", "mean"], 4)
    }
}' "$work/partial_backups.csv" FS=, "$work/partial_backups.inc" | putf PARTIAL_TABLE

# 4c. detector: detection time of real faults that failed over vs false failovers
awk "$AWKLIB$LOADCSV$LOADINC"'
{
    p = $I["point"]
    if ($I["failed_over"] == 1 && $I["false_alarm"] == 0 && isnum($I["detection_s"])) { nd[p]++; sd[p] += $I["detection_s"] }
    if ($I["kind"] == "network_flap") { nf[p]++; fa[p] += $I["false_alarm"] }
}
END {
    for (p = 0; p < NP; p++) {
        hb = jget(P[p], "failover.detector.heartbeat_s"); th = jget(P[p], "failover.detector.phi_threshold")
        printf "%s %s %s %s %s %s %d %d %d %s\n", hb, th, nd[p] ? sd[p] / nd[p] : "nan", S[p, "false_failovers", "mean"],
            S[p, "false_failovers", "ci_low"], S[p, "false_failovers", "ci_high"], nd[p], fa[p], nf[p], S[p, "rto_mean_s", "mean"] > "'"$work/detector.dat"'"
    }
    b = S[0, "false_failovers", "baseline_point"]
    print "| heartbeat [s] | φ threshold | detection of real faults [s] (n) | false failovers / replica | Δ false failovers vs baseline | flaps that failed over | RTO mean [s] |"
    print "|---:|---:|---|---|---|---:|---|"
    for (p = 0; p < NP; p++) {
        hb = jget(P[p], "failover.detector.heartbeat_s"); th = jget(P[p], "failover.detector.phi_threshold")
        printf "| %s | %s%s | %s (%d) | %s | %s | %d of %d | %s |\n", hb, th, p == b ? " (baseline)" : "", nd[p] ? sig(sd[p] / nd[p], 3) : "–", nd[p],
            ci(S[p, "false_failovers", "mean"], S[p, "false_failovers", "ci_low"], S[p, "false_failovers", "ci_high"], 2),
            p == b ? "–" : ci(S[p, "false_failovers", "diff_mean"], S[p, "false_failovers", "diff_ci_low"], S[p, "false_failovers", "diff_ci_high"], 2),
            fa[p], nf[p], sig(S[p, "rto_mean_s", "mean"], 4)
    }
}' "$work/detector.csv" FS=, "$work/detector.inc" | putf DETECTOR_TABLE
# the trade-off figure: one line per heartbeat period, points along the phi threshold
for term in "pngcairo size 900,560 font ',11'|png" "pdfcairo size 6.4in,4in font ',9'|pdf"; do
    gnuplot <<EOF || die "gnuplot failed on the detector figure"
set terminal ${term%|*}
set output "$figs/detector_tradeoff.${term#*|}"
set title "detector sweep: detection time of real faults against false failovers (phi threshold along each line)"
set xlabel "mean detection time of real faults that failed over [s] (includes collection and processing)"
set ylabel "false failovers per replica (mean, 95% CI)"
set grid
set key top right
hbs = system("awk '{print \$1}' $work/detector.dat | awk '!s[\$0]++'")
plot for [h in hbs] sprintf("< awk '\$1 == %s' $work/detector.dat", h) using 3:4:5:6 with yerrorlines pt 7 title sprintf("heartbeat %s s", h), \
     for [h in hbs] sprintf("< awk '\$1 == %s' $work/detector.dat", h) using 3:4:(sprintf("%g", \$2)) with labels offset 0,0.8 font ",8" notitle
EOF
done
# for the prose: the range of detection times, and how many flaps failed over
awk '$3 != "nan" { if (lo == "" || $3 < lo) { lo = $3; lh = $1; lt = $2 } if (hi == "" || $3 > hi) { hi = $3; hh = $1; ht = $2 } }
    END { printf "from %.3g s at heartbeat %s s and threshold %s to %.3g s at heartbeat %s s and threshold %s", lo, lh, lt, hi, hh, ht }' \
    "$work/detector.dat" | putf DET_RANGE
awk '{ if (lo == "" || $8 < lo) lo = $8; if (hi == "" || $8 > hi) hi = $8; n = $9 }
    END { printf (lo == hi ? "%s" : "from %s to %s") " of the %s network flaps failed over at each setting", lo, (lo == hi ? n : hi), n }' \
    "$work/detector.dat" | putf FLAP_NOTE

# 4d. standby capacity
awk "$AWKLIB$LOADCSV"'
END {
    b = S[0, "availability_time", "baseline_point"]
    print "| standby capacity fraction | availability (time) | availability (requests) | Δ avail. (requests) vs " jget(P[b], "failover.standby_capacity_fraction") " | lost revenue [10⁶ currency] | Δ lost revenue [10⁶ currency] | RTO mean [s] | replicas with a p99-during-incident value |"
    print "|---:|---|---|---|---|---|---|---:|"
    for (p = 0; p < NP; p++) {
        printf "| %s | %s | %s | %s | %s | %s | %s | %s of %s |\n", jget(P[p], "failover.standby_capacity_fraction"),
            cif(S[p, "availability_time", "mean"], S[p, "availability_time", "ci_low"], S[p, "availability_time", "ci_high"], 5),
            cif(S[p, "availability_requests", "mean"], S[p, "availability_requests", "ci_low"], S[p, "availability_requests", "ci_high"], 5),
            p == b ? "–" : ci(S[p, "availability_requests", "diff_mean"], S[p, "availability_requests", "diff_ci_low"], S[p, "availability_requests", "diff_ci_high"], 2),
            ci(mil(S[p, "lost_revenue", "mean"]), mil(S[p, "lost_revenue", "ci_low"]), mil(S[p, "lost_revenue", "ci_high"]), 3),
            p == b ? "–" : ci(mil(S[p, "lost_revenue", "diff_mean"]), mil(S[p, "lost_revenue", "diff_ci_low"]), mil(S[p, "lost_revenue", "diff_ci_high"]), 3),
            ci(S[p, "rto_mean_s", "mean"], S[p, "rto_mean_s", "ci_low"], S[p, "rto_mean_s", "ci_high"], 3),
            S[p, "latency_p99_incident_s", "n"], S[p, "availability_time", "n"]
    }
}' "$work/standby_capacity.csv" | putf STANDBY_TABLE
awk "$AWKLIB$LOADCSV"'END { printf "%s", fx(S[0, "availability_time", "p99"], 4) }' "$work/standby_capacity.csv" | putf CEIL_AVAIL_STANDBY
awk "$AWKLIB$LOADCSV"'END { printf "%s", S[0, "latency_p99_incident_s", "n"] }' "$work/standby_capacity.csv" | putf STANDBY_LAT_N
awk "$AWKLIB$LOADCSV"'END { printf "%s", S[0, "availability_time", "n"] }' "$work/standby_capacity.csv" | putf STANDBY_REPLICAS

# 4e. the design note's case (section "The design note's case, redone")
"$fd" export "$work/seed_case.h5" --csv "$work/seed_csv" --quiet || die "export seed_case failed"
"$fd" summarize "$work/seed_case.h5" --baseline 0 --csv --metrics rto_mean_s,backups_skipped,backups_completed,backup_bytes_moved \
    >"$work/seed_case.csv"
sinc=$work/seed_csv/incidents.csv
# the points of the sweep: 0 neither probability, 1 the standby's, 2 the detector's, 3 both
seedpt() { # seedpt ACCURACY RELIABILITY -> point index, from the exported parameters
    awk -F, -v a="$1" -v r="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
        $h["failover.detector.accuracy"] + 0 == a && $h["failover.standby_reliability"] + 0 == r { print $h["point"]; exit }' "$sinc"
}
P_NONE=$(seedpt 1 1) P_STANDBY=$(seedpt 1 0.99) P_DET=$(seedpt 0.95 1) P_BOTH=$(seedpt 0.95 0.99)
[ -n "$P_NONE" ] && [ -n "$P_STANDBY" ] && [ -n "$P_DET" ] && [ -n "$P_BOTH" ] ||
    die "paper/seed_case_sweep.json: expected the points accuracy 1/0.95 x reliability 1/0.99"
put SEED_SEEDS "$(attr "$work/seed_case.h5" sweep_seeds)"
# RTO of every outage, sorted per point: "point rto"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $h["outage"] == 1 && $h["rto_s"] != "nan" { print $h["point"], $h["rto_s"] }' "$sinc" | sort -k1,1n -k2,2g >"$work/seed_rto.txt"
SEEDQ='
function q(f,   i, lo) { i = (n - 1) * f; lo = int(i); return lo + 1 < n ? v[lo + 1] + (i - lo) * (v[lo + 2] - v[lo + 1]) : v[n] }
'
seedq() { # seedq POINT FRACTION -> quantile of the RTO per incident (GSL: linear between order statistics)
    awk -v pt="$1" -v f="$2" "$AWKLIB$SEEDQ"'$1 == pt { v[++n] = $2 } END { printf "%s", n ? sig(q(f), 3) : "–" }' "$work/seed_rto.txt"
}
put SEED_P99_CLEAN "$(seedq "$P_NONE" 0.99)"
put SEED_P50_BOTH "$(seedq "$P_BOTH" 0.5)"
put SEED_P99_BOTH "$(seedq "$P_BOTH" 0.99)"
awk "$AWKLIB$LOADCSV"'END { for (p = 0; p < NP; p++) if (p == pt) printf "%s", ci(S[p, "rto_mean_s", "mean"], S[p, "rto_mean_s", "ci_low"], S[p, "rto_mean_s", "ci_high"], 3) }' \
    pt="$P_BOTH" "$work/seed_case.csv" | putf SEED_MEAN_BOTH
{
    echo "| detector accuracy | standby reliability | outages | RTO ≤ 60 s | median RTO [s] | p90 [s] | p95 [s] | p99 [s] | max [s] | mean per-replica RTO [s] | Δ vs neither [s] |"
    echo "|-----:|-----:|----:|----:|----:|---:|---:|---:|----:|---------|---------|"
    awk -v list="$P_NONE $P_STANDBY $P_DET $P_BOTH" "$AWKLIB$LOADCSV$SEEDQ"'
        FILENAME ~ /\.txt$/ { pts[$1] = pts[$1] " " $2; next }
        END {
            np = split(list, L, " ")
            for (j = 1; j <= np; j++) {
                p = L[j]; n = split(substr(pts[p], 2), v, " "); fast = 0
                for (i = 1; i <= n; i++) { v[i] += 0; if (v[i] <= 60) fast++ }
                acc = jget(P[p], "failover.detector.accuracy"); rel = jget(P[p], "failover.standby_reliability")
                printf "| %s | %s | %d | %s %% | %s | %s | %s | %s | %s | %s | %s |\n", acc, rel, n, n ? sprintf("%.1f", 100 * fast / n) : "–",
                    sig(q(0.5), 3), sig(q(0.9), 3), sig(q(0.95), 3), sig(q(0.99), 3), sig(v[n], 3),
                    ci(S[p, "rto_mean_s", "mean"], S[p, "rto_mean_s", "ci_low"], S[p, "rto_mean_s", "ci_high"], 3),
                    p == S[p, "rto_mean_s", "baseline_point"] ? "–" : ci(S[p, "rto_mean_s", "diff_mean"], S[p, "rto_mean_s", "diff_ci_low"], S[p, "rto_mean_s", "diff_ci_high"], 3)
            }
        }' "$work/seed_case.csv" "$work/seed_rto.txt"
} | putf SEED_TABLE
# a failover that goes right: the point with neither probability
awk -F, -v pt="$P_NONE" "$AWKLIB"'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $h["point"] == pt && $h["failed_over"] == 1 {
        n++; det += $h["detection_s"]; sw = $h["switchover_s"]; ld = $h["load_s"]; r = $h["rto_s"] + 0
        if (n == 1 || sw < swlo) swlo = sw; if (n == 1 || sw > swhi) swhi = sw
        if (n == 1 || ld < ldlo) ldlo = ld; if (n == 1 || ld > ldhi) ldhi = ld
        if (n == 1 || r < rlo) rlo = r; if (n == 1 || r > rhi) rhi = r
    }
    END {
        printf "SEED_FAILOVERS\t%d\n", n
        printf "SEED_DET_MEAN\t%s\n", n ? sig(det / n, 3) : "–"
        printf "SEED_SWITCH\t%s\n", swlo == swhi ? sig(swlo, 3) : sig(swlo, 3) "–" sig(swhi, 3)
        printf "SEED_LOAD\t%s\n", ldlo == ldhi ? sig(ldlo, 3) : sig(ldlo, 3) "–" sig(ldhi, 3)
        printf "SEED_MIN_CLEAN\t%s\nSEED_MAX_CLEAN\t%s\n", sig(rlo, 3), sig(rhi, 3)
    }' "$sinc" | while IFS=$'\t' read -r k v; do put "$k" "$v"; done
awk -F, -v pt="$P_NONE" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $h["point"] == pt && $h["failed_over"] == 1 { print $h["rto_s"] }' "$sinc" | sort -g |
    awk "$AWKLIB$SEEDQ"'{ v[++n] = $1 } END { printf "%s", n ? sig(q(0.5), 3) : "–" }' | putf SEED_P50_CLEAN
# the outages of the point with both probabilities, paired with the same outages
# where the standby always comes up: a longer RTO there is a standby that failed
awk -F, -v both="$P_BOTH" -v det="$P_DET" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    { k = $h["seed"] SUBSEP $h["id"]; outage = $h["outage"] == 1 && $h["rto_s"] != "nan" }
    $h["point"] == det { seen[k] = 1; if (outage) ref[k] = $h["rto_s"] + 0; next }
    $h["point"] == both && outage {
        r = $h["rto_s"] + 0; d = $h["detection_s"]; missed = d == "nan" || d + 0 > 60
        if (!(k in seen)) { print "unpaired incident " $h["seed"] "/" $h["id"] > "/dev/stderr"; exit 1 }
        # the same fault was no outage where the standby always comes up:
        # an earlier failed standby left the service in the region it hit
        if (!(k in ref)) { print 5, r; next }
        # a failed standby: rebuilt from backups, or the primary came back first (aborted)
        g = r > ref[k] + 1e-3 ? ($h["failover_failed"] == 1 && $h["failover_aborted"] != 1 ? 3 : 4) : (missed ? (d == "nan" ? 2 : 1) : 0)
        print g, r
    }' "$sinc" | sort -k1,1n -k2,2g >"$work/seed_groups.txt" || die "seed case: incidents do not pair between points"
{
    echo "| what happened | outages | share | median RTO [s] | mean RTO [s] | max RTO [s] |"
    echo "|------------------------------|------:|------:|------:|------:|------:|"
    awk "$AWKLIB$SEEDQ"'
        { all++; g[$1] = g[$1] " " $2 }
        END {
            name[0] = "detected in time, the standby came up (a failover that goes right)"
            name[1] = "the detector missed the fault; noticed after the escalation time, then failed over"
            name[2] = "the detector missed the fault; the primary was repaired before anyone noticed"
            name[3] = "the standby failed; the service was rebuilt from backups"
            name[4] = "the standby failed; the primary was repaired before the restore finished"
            name[5] = "an outage only here: an earlier failed standby left the service in the region this fault hit"
            for (k = 0; k <= 5; k++) {
                n = split(substr(g[k], 2), v, " "); s = 0
                for (i = 1; i <= n; i++) { v[i] += 0; s += v[i] }
                printf "| %s | %d | %s %% | %s | %s | %s |\n", name[k], n, all ? sprintf("%.2f", 100 * n / all) : "–",
                    n ? sig(q(0.5), 3) : "–", n ? sig(s / n, 3) : "–", n ? sig(v[n], 3) : "–"
            }
        }' "$work/seed_groups.txt"
} | putf SEED_GROUP_TABLE
put SEED_FAILED "$(awk '$1 == 3 || $1 == 4' "$work/seed_groups.txt" | wc -l)"
put SEED_RESTORED "$(awk '$1 == 3' "$work/seed_groups.txt" | wc -l)"
# the figure: the share of outages whose RTO exceeds x (log-log), one line per point
awk -v list="$P_NONE $P_STANDBY $P_DET $P_BOTH" -v dir="$work" '
    { n[$1]++; v[$1, n[$1]] = $2 }
    END { m = split(list, L, " "); for (j = 1; j <= m; j++) { p = L[j]; f = dir "/seed_ccdf_" j ".dat"
        print v[p, 1], 1 > f
        for (i = 1; i < n[p]; i++) print v[p, i], (n[p] - i) / n[p] > f
        close(f) } }' "$work/seed_rto.txt"
for term in "pngcairo size 900,560 font ',11'|png" "pdfcairo size 6.4in,4in font ',9'|pdf"; do
    gnuplot <<GP || die "gnuplot failed on the seed-case figure"
set terminal ${term%|*}
set output "$figs/seed_case_rto_ccdf.${term#*|}"
set title "The design note's case: RTO per outage, $(attr "$work/seed_case.h5" sweep_seeds) replicas of 30 days per point, the same outages"
set xlabel "RTO x [s] (log scale)"
set ylabel "share of outages whose RTO exceeds x (log scale)"
set logscale xy
set format y "10^{%T}"
set grid
set key top right
set xrange [10:*]
set yrange [1e-4:2]
plot "$work/seed_ccdf_1.dat" using 1:2 with steps lw 2 title "detection 100 %, standby 100 %", \
     "$work/seed_ccdf_2.dat" using 1:2 with steps lw 2 title "detection 100 %, standby 99 %", \
     "$work/seed_ccdf_3.dat" using 1:2 with steps lw 2 title "detection 95 %, standby 100 %", \
     "$work/seed_ccdf_4.dat" using 1:2 with steps lw 2 dt 2 title "detection 95 %, standby 99 % (the note's case)"
GP
done
# backups: what validate plans, what the traced replica did, what the runs moved
plan=$work/seed_validate.txt
grep -q '^    full ' "$plan" && grep -q '^    incremental ' "$plan" && grep -q '^  backup link ' "$plan" ||
    die "firedrill validate scenarios/seed_case.json: no backup plan in its output (did it change?)"
awk "$AWKLIB"'
function bytes(x, u) { return x * (u ~ /^T/ ? 1e12 : u ~ /^G/ ? 1e9 : u ~ /^M/ ? 1e6 : u ~ /^[kK]/ ? 1e3 : 1) }
function commas(x,   s) { s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([,]|$)/, ",&", s); return s }
$1 == "full" { size = $2 " " $3; sb = bytes($2, $3) }
$1 == "incremental" { share = $4 " " $5; t = $6; for (i = 7; i <= NF - 3; i++) t = t " " $i; takes = t }
$1 == "backup" && $2 == "link" { link = $3 " " $4; bw = bytes($3, $4); if (match($0, /[0-9.]+ % busy/)) busy = substr($0, RSTART, RLENGTH - 5) }
END {
    printf "SEED_FULL_SIZE\t%s\nSEED_LINK\t%s\nSEED_FULL_TRANSFER\t%s\n", size, link, bw ? commas(sb / bw) : "–"
    printf "SEED_INCR_SHARE\t%s\nSEED_INCR_TAKES\t%s\nSEED_LINK_BUSY\t%s\n", share, takes, busy
}' "$plan" | while IFS=$'\t' read -r k v; do [ -n "$v" ] || die "validate's plan: no value for $k"; put "$k" "$v"; done
h5dump -y -w 0 -d /trace/1 "$work/seed_trace.h5" | awk '
    /^   DATA \{/ { on = 1; next } on && /^   \}/ { on = 0; over = 1; next } over { next }
    on && /^ *[-0-9.e+]+,$/ { t = $1 + 0; getline k; getline e; gsub(/[ ",]/, "", k); gsub(/^ *"|",? *$/, "", e)
        if (k == "backup.start" && e == "full" && t0 == "") t0 = t
        if (k == "backup.restorable" && e == "backup 0" && t1 == "") t1 = t }
    END { if (t0 == "" || t1 == "") exit 1; printf "%.0f", t1 - t0 }' >"$ph/SEED_FULL_RESTORABLE" ||
    die "the traced seed-case run has no first full backup start and restorable events"
awk "$AWKLIB$LOADCSV"'END {
    printf "SEED_SKIPPED\t%s\nSEED_COMPLETED\t%s\nSEED_MOVED\t%s TB\n", sig(S[pt, "backups_skipped", "mean"], 3),
        sig(S[pt, "backups_completed", "mean"], 3), sig(S[pt, "backup_bytes_moved", "mean"] / 1e12, 3) }' pt="$P_NONE" "$work/seed_case.csv" |
    while IFS=$'\t' read -r k v; do put "$k" "$v"; done

# 4f. optimize: each point's fate (/optimize), its parameters and the grid's mean cost
"$fd" summarize "$work/optimize_grid.h5" --csv --metrics total_cost_per_year >"$work/optimize_grid.csv"
h5dump -y -w 0 -d /optimize "$work/optimize.h5" | awk '
    /^   DATA \{/ { on = 1; next } on && /^   \}/ { on = 0; over = 1; next } over { next }
    on && /^ *\{ *$/ { nf = 0; next }
    on && /^ *\}/ { if (nf) print row; nf = 0; next }
    on { v = $0; sub(/^ */, "", v); sub(/,$/, "", v); gsub(/"/, "", v); gsub(/\t/, " ", v); row = nf++ ? row "\t" v : v }' >"$work/optimize_fates.tsv"
[ -s "$work/optimize_fates.tsv" ] || die "optimize.h5: /optimize is empty"
{
    echo "| point | incremental period | standby share | replicas | fate | mean cost per year [10⁶] | grid: mean cost per year [10⁶] (replicas) |"
    echo "|---:|----:|----:|----:|--------------------|-----:|--------|"
    awk -v best="$(field "$opt_line" best_point)" "$AWKLIB$LOADCSV"'
        FILENAME ~ /\.tsv$/ { split($0, f, "\t"); F[f[1]] = $0; next }
        END {
            for (p = 0; p < NP; p++) {
                split(F[p], f, "\t")  # point fate by_point infeasible_on seeds decided_at objective_mean estimates
                fate = f[2]
                if (fate == "dominated") fate = "dominated by " f[3] " after " f[6] " seeds"
                else if (fate == "infeasible") fate = "infeasible on " f[4] " after " f[6] " seeds"
                else if (fate == "selected") fate = "**selected**"
                printf "| %s | %s | %s | %s | %s | %s | %s (%s) |\n", p, jget(P[p], "backup.incremental_period_s"),
                    jget(P[p], "failover.standby_capacity_fraction"), f[5], fate, sig(mil(f[7]), 3),
                    sig(mil(S[p, "total_cost_per_year", "mean"]), 3), S[p, "total_cost_per_year", "n"]
            }
        }' "$work/optimize_grid.csv" "$work/optimize_fates.tsv"
} | putf OPT_TABLE
optlabel() { awk -v pt="$1" "$AWKLIB$LOADCSV"'END { printf "incremental every %s, standby share %s", jget(P[pt], "backup.incremental_period_s"), jget(P[pt], "failover.standby_capacity_fraction") }' "$work/optimize_grid.csv"; }
put OPT_BEST_LABEL "$(optlabel "$(field "$opt_line" best_point)")"
put GRID_BEST_LABEL "$(optlabel "$(field "$grid_line" best_point)")"
# the problem as the optimize file states it, and the first stage as optimize ran it
optjson=$(tr -d ' \n' <scenarios/optimize/backup_standby.json)
dur() { awk -v s="$1" 'BEGIN { if (s % 3600 == 0) printf "%d h", s / 3600; else if (s % 60 == 0) printf "%d min", s / 60; else printf "%s s", s }'; }
jv() { awk -v s="$1" -v k="$2" "$AWKLIB"'BEGIN { printf "%s", jget(s, k) }'; }
put OPT_RTO_TARGET "$(dur "$(jv "$optjson" rto_max_s)")"
put OPT_RPO_TARGET "$(dur "$(jv "$optjson" rpo_max_s)")"
put OPT_MAX_SEEDS "$(jv "$optjson" seeds)"
put OPT_CONFIDENCE "$(awk -v c="$(jv "$optjson" confidence)" 'BEGIN { printf "%g %%", 100 * c }')"
put OPT_N0 "$(jv "$optjson" n0)"
# the same problem with a first stage of 10 seeds, against the grid's means
opt10=$(cat "$work/opt10_line")
[[ "$opt10" == optimize:* ]] || die "optimize (n0 10): unexpected last line '$opt10'"
awk -v b10="$(field "$opt10" best_point)" -v bg="$(field "$grid_line" best_point)" -v r10="$(field "$opt10" replicas)" \
    -v l10="$(optlabel "$(field "$opt10" best_point)")" "$AWKLIB$LOADCSV"'
END {
    if (b10 == bg) printf "with a first stage of 10 seeds it chose the same point this time, with %s replicas", r10
    else if (b10 < 0) printf "with a first stage of 10 seeds it found no feasible point"
    else printf "with a first stage of 10 seeds it chose point %s (%s), whose mean cost per year over the grid'"'"'s seeds is %.0f %% above that of the grid'"'"'s choice", b10, l10,
        100 * (S[b10, "total_cost_per_year", "mean"] / S[bg, "total_cost_per_year", "mean"] - 1)
}' "$work/optimize_grid.csv" | putf OPT10_NOTE

# notes for the prose: false failovers per strategy, the detector's ranges
awk "$AWKLIB$LOADCSV"'END { for (p = 0; p < NP; p++) out = out (p ? ", " : "") label(P[p]) " " sig(S[p, "false_failovers", "mean"], 2); printf "false failovers per replica: %s", out }' \
    "$work/strategies.csv" | putf FF_NOTE

# ---- 5. validation tables from the printed figures -------------------------------------
W=$work/val_world.txt C=$work/val_checkpoint.txt ST=$work/val_story.txt CO=$work/val_cost.txt OP=$work/val_optimize.txt
DK=$work/val_disaster_kinds.txt
status() { # status FILE TEST -> passed / FAILED / not run
    if grep -q "^\[       OK \] $2\$" "$1"; then echo passed; elif grep -q "^\[  FAILED  \] $2" "$1"; then echo "**FAILED**"; else echo "not run"; fi
}
need() { grep -m1 -- "$2" "$1" || die "$(basename "$1"): no line matching '$2' (did the validation output change?)"; }
{
    echo "| quantity | simulated | closed form | agreement | test |"
    echo "|------------------------|----------------|----------------|------------|------|"
    need "$W" '^availability: simulated' | awk -v st="$(status "$W" test_availability_of_a_repairable_server)" \
        '{ sub(/,/, "", $5); printf "| availability of one repairable server | %s ± %s (s.e.) | MTBF/(MTBF+MTTR) = %s | %.1f s.e. | %s |\n", $3, $5, $7, ($3 - $7) / $5, st }'
    need "$W" '^2-of-3: simulated' | awk -v st="$(status "$W" test_k_of_n_availability)" \
        '{ sub(/,/, "", $5); printf "| 2-of-3 availability | %s ± %s | binomial %s | %.1f s.e. | %s |\n", $3, $5, $7, ($3 - $7) / $5, st }'
    rpo=$(need "$W" '^RPO: [0-9]* incidents'); ks=$(need "$W" '^RPO: KS D')
    awk -v st="$(status "$W" test_rpo_of_periodic_backups)" -v ks="$ks" '{ sub(/,/, "", $8); split(ks, k, " "); sub(/,/, "", k[5])
        printf "| RPO of periodic full backups (%s incidents) | mean %s ± %s s | T/2 + δ = %s s | %.1f s.e.; KS D = %s < %s (α = 0.01) | %s |\n", $2, $5, $8, $13, ($5 - $13) / $8, k[5], k[7], st }' <<<"$rpo"
    need "$W" '^M/M/' | awk -v st="$(status "$W" test_request_fidelity_matches_erlang_c)" '{ gsub(/[(),]/, ""); sub(/:$/, "", $2)
        printf "| %s %s mean response (every request an event) | %s s | Erlang C %s s | %+.2f %% | %s |\n", $1, $2, $5, $9, 100 * ($5 / $9 - 1), st
        printf "| %s %s p99 response | %s s | closed form %s s | %+.2f %% | %s |\n", $1, $2, $11, $15, 100 * ($11 / $15 - 1), st }'
    alarm=$(need "$W" '^phi: alarm'); delay=$(need "$W" '^phi: mean delay')
    awk -v st="$(status "$W" test_phi_detection_with_akka_defaults)" -v d="$delay" '{ gsub(/[()]/, ""); split(d, a, " ")
        printf "| φ-accrual silence to alarm (Akka defaults) | %s s | normal model %s s | %+.4f s | %s |\n", $3, $11, $3 - $11, st
        printf "| φ-accrual mean delay from a crash at a uniform phase | %s s | alarm − h/2 (h = 1 s) = %.4f s | %+.4f s | %s |\n", a[6], $3 - 0.5, a[6] - ($3 - 0.5), st }' <<<"$alarm"
    need "$W" '^fidelity: failed' | awk -v st="$(status "$W" test_fidelities_agree_on_an_incident)" '{ gsub(/;/, "")
        printf "| failed requests of one incident: rate segments vs every request | %s (requests) | %s (segments) | %+.2f %% | %s |\n", $7, $5, 100 * ($7 / $5 - 1), st
        printf "| p99 latency of that run: segments vs requests | %s s (requests) | %s s (segments) | %+.2f %% | %s |\n", $11, $9, 100 * ($11 / $9 - 1), st }'
    need "$W" '^timeline at request fidelity' | awk -v st="$(status "$W" test_request_fidelity_timeline_p99)" '{ gsub(/[(),]/, "")
        printf "| M/M/8 p99 of each 10-minute window (72 windows, every request an event) | median %s s, range %s s | closed form %s s | median %+.2f %% | %s |\n", $8, $14, $12, 100 * ($8 / $12 - 1), st }'
    need "$W" '^restore transfer:' | awk -v st="$(status "$W" test_differential_restores_read_less)" '{ gsub(/[(),;]/, "")
        printf "| restore read from an incremental chain / a differential, 20 h after the full | %s s / %s s | L(1 + 20 d(1 h))/B = %s s / L(1 + d(20 h))/B = %s s | exact | %s |\n", $4, $10, $8, $12, st }'
    grep -E '^[0-9]+ req/s, standby share' "$W" | awk -v st="$(status "$W" test_rto_equals_slo_violation_time)" '
        { n++; gsub(/,/, ""); r = $9; m = $13; d = r - m; if (d < 0) d = -d; if (d > worst) worst = d; if (r > hi) hi = r; if (lo == "" || r < lo) lo = r }
        END { if (n) printf "| RTO (failover stages) against time the SLO was missed (traffic accounting), %d region outages with and without standby scale-up | RTO %.1f–%.1f s | same time | largest difference %.2g s | %s |\n", n, lo, hi, worst, st }'
    need "$W" '^real state:' | awk -v st="$(status "$W" test_real_state_restores_lose_what_backups_missed)" '{ gsub(/;/, "")
        printf "| real embedding tables restored: RPO, recall@k | %s s, %s; %s s, %s | scripted recovery points | recall falls with RPO | %s |\n", $4, $7, $9, $12, st }'
    awk -v st="$(status "$C" test_minimum_where_young_and_daly_put_it)" '/^tau_daly = / { gsub(/,/, "")
        printf "| optimal checkpoint interval, M = 24 h | best grid τ = %s min | Daly %s min (rounds to %d), Young %s min | nearest grid point | %s |\n", $14, $3, $3 + 0.5, $7, st }' "$C"
    awk -v st="$(status "$C" test_daly_published_optima)" '/^M = 6 h/ { gsub(/,/, "")
        for (i = 1; i <= NF; i++) { if ($i == "tau_daly") d = $(i + 2); if ($i == "tau") b = $(i + 2) }
        printf "| optimal checkpoint interval, M = 6 h | best grid τ = %s min | Daly %s min (rounds to %d) | nearest grid point | %s |\n", b, d, d + 0.5, st }' "$C"
    need "$C" '^partial segment:' | awk -v st="$(status "$C" test_partial_last_segment)" '{ gsub(/[(),]/, "")
        printf "| wall time with a partial last segment | %s ± %s h (99 %%) | exact %s h; Daly %s h | Daly bias %s min | %s |\n", $4, $7, $9, $12, $15, st }'
    need "$C" '^harsh:' | awk -v st="$(status "$C" test_walltime_matches_daly_harsh)" '{ gsub(/,/, "")
        printf "| wall time, harsh regime | %s ± %s h (99 %%) | Daly %s h | %.2f half-widths; the variant without restart failures (%s h) is rejected | %s |\n", $3, $6, $8, ($3 - $8) / $6, $11, st }'
    # accounting and decisions (tests/validation/test_story.c, test_cost.c, test_disaster_kinds.c, test_optimize.c)
    grep -E '^scenarios/[a-z_]+\.json: failed requests charged to incidents' "$ST" | awk -v st="$(status "$ST" test_shipped_scenarios_add_up)" '
        { n++; gsub(/,/, ""); c = $7 + 0; b = $9 + 0; if (n == 1 || c < clo) clo = c; if (c > chi) chi = c; if (b > bmax) bmax = b }
        END { if (!n) exit 1
            printf "| one story per incident: failed requests, lost revenue and SLO minutes charged to incidents plus background, RTO parts, %d shipped scenarios × 2 seeds | failed requests charged to incidents %.4g–%.4g; to the background at most %.2g | incidents + background = replica totals; parts = RTO | within 1e-9 relative | %s |\n", n, clo, chi, bmax, st }' ||
        die "test_story: no 'failed requests charged to incidents' lines (did the validation output change?)"
    grep -E '^(cold|warm|hot) +standby, reliability' "$ST" | awk -v st="$(status "$ST" test_rto_is_slo_missed_time)" '
        { n++; gsub(/,/, ""); for (i = 1; i <= NF; i++) { if ($i == "RTO") r = $(i + 1) + 0; if ($i == "missed") m = $(i + 1) + 0 }
          d = r - m; if (d < 0) d = -d; if (d > worst) worst = d; if (n == 1 || r < lo) lo = r; if (r > hi) hi = r }
        END { if (!n) exit 1
            printf "| RTO against the SLO-missed time charged to the incident, %d faults: cold, warm and hot standbys, standbys that fail, faults shorter and longer than the failover, flaps | RTO %.1f–%.1f s | same time | largest difference %.2g s | %s |\n", n, lo, hi, worst, st }' ||
        die "test_story: no 'standby, reliability' lines (did the validation output change?)"
    need "$ST" '^47 s outage in 2 h' | awk -v st="$(status "$ST" test_fidelities_agree_on_slo_time)" '{ gsub(/,/, "")
        printf "| time availability, a 47 s outage in 2 h | %s (segments), %s (every request) | %s | exact to 6 digits | %s |\n", $9, $11, $15, st }'
    need "$CO" '^idle standbys:' | awk -v st="$(status "$CO" test_idle_standbys)" '{ gsub(/[(),]/, "")
        printf "| standby cost of idle standbys over the horizon | %s | closed form %s | exact | %s |\n", $5, $8, st }'
    need "$CO" '^cold failover:' | awk -v st="$(status "$CO" test_cold_failover_runs_the_standby)" '{ gsub(/[(),]/, "")
        printf "| standby cost of a cold failover (all servers run from provisioning to failback) | %s | closed form %s | exact | %s |\n", $5, $8, st }'
    need "$DK" '^20x surge:' | awk -v st="$(status "$DK" test_traffic_surge_multiplies_the_rate)" '{ gsub(/[(),]/, "")
        printf "| failed requests of a 20× traffic surge | %s | fluid model %s | exact | %s |\n", $3, $7, st }'
    need "$DK" '^bad push serving worse rankings:' | awk -v st="$(status "$DK" test_bad_model_push_serves_worse_rankings)" '{ gsub(/[(),]/, "")
        printf "| lost revenue of a bad model push ranked by the kernels (recall@k %s) | %s | closed form %s | exact | %s |\n", $7, $10, $13, st }'
    need "$OP" '^known answer' | awk -v st="$(status "$OP" test_known_answer)" '{ gsub(/[(),;]/, "")
        sub(/:$/, "", $6)
        printf "| optimize on a problem with a known answer (the cheapest backup interval whose T/2 + δ meets the RPO target, %s = %s %s) | chosen in %s of %s macro-replications, %s replicas | the grid: %s replicas | %s %% of the grid'"'"'s replicas | %s |\n", $3, $5, $6, $9, $11, $13, $16, $20, st }'
} | putf VALIDATION_TABLE

{
    need "$C" '^M = 24 h' >/dev/null
    echo "| τ [min] | simulated mean wall [h] | Daly [h] | 99 % half-width [h] | (sim − Daly)/half-width | failures / run | paired wall(τ) − wall(τ*) [min] | Daly's difference [min] |"
    echo "|---:|---:|---:|---:|---:|---:|---|---:|"
    awk '/^M = 24 h/ { on = 1; next }
         on && /^ +[0-9]/ && NF == 6 { print "W", $0; next }
         on && /^tau_daly/ { on = 2; next }
         on == 2 && /^ +[0-9]/ && NF == 5 { print "D", $0; next }
         /^\[/ && on == 2 && /OK|FAILED/ { on = 0 }' "$C" |
        awk '$1 == "W" { n++; t[n] = $2; line[n] = sprintf("| %s | %s | %s | %s | %s | %s |", $2, $3, $4, $5, $6, $7) }
             $1 == "D" { d[$2] = sprintf(" %s ± %s | %s |", $3, $4, $6) }
             END { for (i = 1; i <= n; i++) print line[i] (t[i] in d ? d[t[i]] : " (τ*) | – |") }'
} | putf DALY_TABLE
put DALY_SETUP "$(need "$C" '^M = 24 h' | sed 's/, *$//')"
put DALY_STATUS "$(status "$C" test_walltime_matches_daly_24h)"

{
    echo "| offered load [req/s] | mean latency, segments [s] | mean latency, every request [s] | segments/requests − 1 | failed share, segments | failed share, requests |"
    echo "|---:|---:|---:|---:|---:|---:|"
    grep '^batching at' "$W" | awk '{ gsub(/[;:]/, ""); sub(/\/s$/, "", $3)
        printf "| %s | %s | %s | %+.0f %% | %s | %s |\n", $3, $7, $10, 100 * ($7 / $10 - 1), $13, $15 }'
} | putf BATCHING_TABLE
put BATCHING_STATUS "$(status "$W" test_batching_fidelities_agree)"
put ERLANG_SETUP "$(need "$W" '^M/M/' | awk '{ sub(/:$/, "", $2); print $1 ", " $2 }')"
put PHI_ALARM "$(need "$W" '^phi: alarm' | awk '{ print $3 }')"
put DALY_24 "$(awk '/^tau_daly = / { sub(/,/, "", $3); printf "%d", $3 + 0.5 }' "$C")"
put DALY_6 "$(awk '/^M = 6 h/ { for (i = 1; i <= NF; i++) if ($i == "tau_daly") { v = $(i + 2); sub(/,/, "", v); printf "%d", v + 0.5 } }' "$C")"
put VALIDATION_TESTS "$(cat "$W" "$C" "$ST" "$CO" "$OP" "$DK" | awk '/^\[  PASSED  \]/ { p += $4 } /^\[  FAILED  \]/ && /test\(s\)/ { f += $4 } END { printf "%d passed, %d failed", p, f }')"

# ---- 6. reproducibility ------------------------------------------------------------------
h5=$work/strategies.h5
put VERSION "$(attr "$h5" firedrill_version)"
put GIT_REV "$(attr "$h5" git_revision)"
put BACKEND "$(attr "$h5" backend)"
put CREATED "$(attr "$h5" created_utc)"
put TREE_REV "$tree_rev"
put DATE "$(git log -1 --format=%cs 2>/dev/null || date -u +%F)"
put HOST "$(uname -srm), $(nproc 2>/dev/null || echo '?') CPUs, -j $jobs"
put SEEDS_NOTE "$([ -n "$seeds" ] && echo "PAPER_SEEDS=$seeds: every sweep ran $seeds seeds (derived sweep files, otherwise identical to the shipped ones)" || echo "the seeds of the shipped sweep files")"
put SWEEP_NAMES "$sweeps"
{
    echo "| sweep | file | points | seeds | replicas | wall time (firedrill's summary line) |"
    echo "|---|---|---:|---|---:|---|"
    for s in $sweeps seed_case; do
        f=$work/$s.h5
        [ $s = seed_case ] && file=paper/seed_case_sweep.json || file=scenarios/sweeps/$s.json
        first=$(attr "$f" sweep_first_seed); n=$(attr "$f" sweep_seeds); pts=$(attr "$f" sweep_points)
        wall=$(awk -v s="$s" '$1 == "sweep" && $2 == s ":" { for (i = 1; i <= NF; i++) if ($i == "in") { print $(i + 1) " s"; exit } }' "$work/sweeps.log")
        echo "| \`$s\` | \`$file\` | $pts | $first..$((first + n - 1)) | $((pts * n)) | ${wall:-–} |"
    done
} | putf SWEEP_TABLE
{
    echo "# sweeps: firedrill's SHA-256 over the sweep file and every point's scenario"
    for s in $sweeps seed_case; do echo "$(attr "$work/$s.h5" sweep_sha256)  sweep $s"; done
    echo "# files as shipped (sha256sum -c checks these lines)"
    for f in scenarios/reference.json scenarios/backup_restore.json scenarios/pilot_light.json scenarios/warm_standby.json \
        scenarios/active_active.json scenarios/seed_case.json scenarios/sweeps/*.json paper/seed_case_sweep.json \
        scenarios/optimize/backup_standby.json; do
        sha256sum "$f"
    done
    echo "# points of the strategy sweep: the scenario SHA-256 as firedrill run computes it"
    points_sha "$work/strategies.h5" | while read -r p sha; do
        lab=$(awk -v p="$p" "$AWKLIB"'BEGIN { FS = "\n" } NR > 1 { csvsplit($0, a); if (a[1] == p) { print label(a[2]); exit } }' "$work/strategies.csv")
        echo "$sha  point $p ($lab)"
    done
} | putf SHA_LISTING
put VAL_SECONDS "$t_val"

# ---- 7. fill the template, number it, typeset it ----------------------------------------------
put BUILD_SECONDS "$(($(date +%s) - t_start))"
for p in "${PLACEHOLDERS[@]}"; do [ -f "$ph/$p" ] || die "no value for @$p@ (build.sh lists it and never wrote it)"; done
for f in "$ph"/*; do is_placeholder "$(basename "$f")" || die "$(basename "$f"): written but not in PLACEHOLDERS"; done
awk -v dir="$ph" '
NR == 1 && /^<!--/ { skip = 1 }
skip { if (/-->/) skip = 0; next }
{
    line = $0; out = ""
    while (match(line, /@[A-Z][A-Z0-9_]*@/)) {
        name = substr(line, RSTART + 1, RLENGTH - 2); f = dir "/" name; val = ""; n = 0
        while ((getline l < f) > 0) { val = n++ ? val "\n" l : l }
        close(f)
        if (n == 0 && (getline l < f) < 0) { print "paper/build.sh: no value for @" name "@" > "/dev/stderr"; bad = 1 }
        out = out substr(line, 1, RSTART - 1) val; line = substr(line, RSTART + RLENGTH)
    }
    print out line
}
END { exit bad }' "$here/paper.md.in" >"$work/filled.md" || die "template has placeholders without values"
# nothing that looks like a placeholder may survive, whatever its case
if grep -nE '@[A-Za-z][A-Za-z0-9_]*@' "$work/filled.md" >&2; then
    die "placeholders left in the filled paper: $(grep -oE '@[A-Za-z][A-Za-z0-9_]*@' "$work/filled.md" | sort -u | tr '\n' ' ')"
fi
# the reference list of paper.md (paper.pdf gets its own from citeproc): the cited keys, formatted alike
cited=$(grep -oE '\[@[^]]*\]' "$work/filled.md" | grep -oE '@[a-z][A-Za-z0-9_:-]*' | grep -vE '^@(sec|fig|tbl):' | sort -u | paste -sd, -)
printf -- '---\nnocite: "%s"\n---\n' "$cited" |
    (cd "$here" && pandoc --from markdown --to gfm --citeproc --bibliography references.bib --wrap=none) >"$work/refs.md" ||
    die "pandoc could not format the reference list"
awk -v mode=md -v refs="$work/refs.md" "$XREF_AWK" "$work/filled.md" "$work/filled.md" >"$work/paper.md" ||
    die "cross-references do not resolve"
awk -v mode=tex -v figdir="$here/figures" "$XREF_AWK" "$work/filled.md" "$work/filled.md" >"$work/paper.tex.md" ||
    die "cross-references do not resolve"
# paper/figures becomes the set just drawn. A PDF that differs from the one
# there only by its CreationDate (cairo stamps the time) stays as it is, so
# that regenerating the paper at one revision leaves git clean.
mkdir -p "$here/figures"
for f in "$here/figures"/*; do [ ! -e "$f" ] || [ -e "$figs/$(basename "$f")" ] || rm -f "$f"; done
for f in "$figs"/*; do
    t=$here/figures/$(basename "$f")
    if [[ "$f" == *.pdf ]] && [ -f "$t" ] && cmp -s <(grep -av CreationDate "$f") <(grep -av CreationDate "$t"); then continue; fi
    cp "$f" "$t"
done
log "typesetting paper.pdf (pandoc $(pandoc --version | awk 'NR == 1 { print $2 }'), XeLaTeX)"
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
(cd "$here" && SOURCE_DATE_EPOCH=$epoch pandoc "$work/paper.tex.md" --from markdown --citeproc --number-sections \
    --pdf-engine=xelatex --include-in-header=preamble.tex --fail-if-warnings \
    -V papersize=a4 -V geometry:margin=2.2cm -V fontsize=10pt -V colorlinks=true -V linkcolor=blue -V urlcolor=blue \
    -V mainfont="DejaVu Serif" -V sansfont="DejaVu Sans" -V monofont="DejaVu Sans Mono" -V mathfont="DejaVu Math TeX Gyre" \
    -o "$work/paper.pdf") >"$work/pandoc.log" 2>&1 || { cat "$work/pandoc.log" >&2; die "pandoc failed (warnings are errors here)"; }
# the PDF as a reader gets it: pages, a reference list, nothing left unfilled or unresolved
pages=$(pdfinfo "$work/paper.pdf" | awk '/^Pages:/ { print $2 }')
pdftotext -layout "$work/paper.pdf" "$work/paper.txt"
[ "${pages:-0}" -ge 8 ] || die "paper.pdf has ${pages:-0} pages, fewer than 8"
grep -q '^ *References *$' "$work/paper.txt" || die "paper.pdf has no References section"
if grep -nE '@[A-Za-z][A-Za-z0-9_]*@|\[@|\?\?' "$work/paper.txt" >&2; then
    die "paper.pdf has placeholders, unresolved citations or cross-references (above)"
fi
mv "$work/paper.md" "$here/paper.md"
mv "$work/paper.pdf" "$here/paper.pdf"
log "wrote paper/paper.md, paper/paper.pdf ($pages pages) and paper/figures/ ($(ls "$here/figures" | wc -l) files) in $(($(date +%s) - t_start)) s"
