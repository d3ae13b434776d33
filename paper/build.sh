#!/usr/bin/env bash
# paper/build.sh [FIREDRILL] — regenerates the paper from scratch with the real tool.
#
#   paper/build.sh build/firedrill        (Makefile: `paper: all ; @paper/build.sh build/firedrill`)
#
# Runs the validation binaries (tests/validation: simulated against closed
# forms), the five shipped sweeps of scenarios/sweeps/ into a temporary
# directory, `firedrill summarize --csv`, `firedrill plot` and `firedrill
# report` on them, reads the HDF5 files with h5dump, and fills the
# placeholders (@NAME@) of paper/paper.md.in with the tables and figures it
# generated. Writes paper/paper.md and paper/figures/*.png (both git-ignored)
# and nothing else in the tree. Every number in paper.md comes from those
# outputs; a placeholder without a value is an error.
#
# Environment:
#   PAPER_SEEDS=N  run every sweep with N seeds (derived sweep files in the
#                  temporary directory); default: the seeds of the shipped files
#   PAPER_JOBS=N   worker threads per sweep (default 2)
#   PAPER_KEEP=1   keep the temporary directory (HDF5, CSV, .dat, logs)
#   PAPER_REUSE=D  development aid: take the validation output and sweeps from a
#                  directory kept by PAPER_KEEP=1 instead of running them
# Needs bash, awk (mawk is enough), sed, gnuplot, h5dump, sha256sum, make
# (to build the two validation binaries when they are missing).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
fd=${1:-build/firedrill}
jobs=${PAPER_JOBS:-2}
seeds=${PAPER_SEEDS:-}
t_start=$(date +%s)

die() { echo "paper/build.sh: $*" >&2; exit 1; }
log() { echo "paper: $*" >&2; }
[ -x "$fd" ] || die "$fd: not an executable (run make first)"
for t in gnuplot h5dump awk sed sha256sum; do command -v "$t" >/dev/null || die "$t not found"; done
[ -z "$seeds" ] || [[ "$seeds" =~ ^[1-9][0-9]*$ ]] || die "PAPER_SEEDS must be a positive integer, got '$seeds'"

work=$(mktemp -d "${TMPDIR:-/tmp}/firedrill-paper.XXXXXX")
if [ "${PAPER_KEEP:-0}" = 1 ]; then log "keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
ph=$work/ph # one file per placeholder
mkdir -p "$ph" "$work/fig"
put() { printf '%s' "$2" >"$ph/$1"; }   # put NAME VALUE
putf() { cat >"$ph/$1"; }               # putf NAME < block

# ---- awk helpers, prepended to every awk program ---------------------------
AWKLIB='
function isnum(x) { return x != "" && x !~ /^-?nan$/ && x !~ /^-?inf/ }
# n significant digits, whole numbers when the value has more integer digits
function sig(x, n,   a) {
    if (!isnum(x)) return "–"
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
if [ -n "${PAPER_REUSE:-}" ]; then
    # development aid: reuse the validation output and sweeps of a PAPER_KEEP directory
    for f in val_world.txt val_ckpt.txt sweeps.log strategies.h5 backup_interval.h5 partial_backups.h5 detector.h5 \
        standby_capacity.h5; do
        cp "$PAPER_REUSE/$f" "$work/" || die "PAPER_REUSE: $PAPER_REUSE/$f missing"
    done
    t_val=$(cat "$PAPER_REUSE/val_seconds" 2>/dev/null || echo 0)
else
bdir=$(dirname "$fd")
vw=$bdir/tests/validation/test_world
vc=$bdir/tests/validation/test_checkpoint
if [ ! -x "$vw" ] || [ ! -x "$vc" ]; then
    log "building $vw $vc"
    make --no-print-directory -s BUILD="$bdir" "$vw" "$vc" >&2 || die "could not build the validation binaries"
fi
log "running validation tests"
val_rc_w=0; val_rc_c=0
t0=$(date +%s)
"$vw" >"$work/val_world.txt" 2>&1 || val_rc_w=$?
"$vc" >"$work/val_ckpt.txt" 2>&1 || val_rc_c=$?
t_val=$(($(date +%s) - t0))
[ $val_rc_w = 0 ] && [ $val_rc_c = 0 ] || log "WARNING: a validation test failed (test_world rc=$val_rc_w, test_checkpoint rc=$val_rc_c); the paper says so"
echo "$t_val" >"$work/val_seconds"

# ---- 2. sweeps -------------------------------------------------------------------
if [ -n "$seeds" ]; then
    # Derived sweep files next to copies of the base scenarios, so that the
    # relative `base` paths and the scenario SHA-256s stay those of the shipped files.
    mkdir -p "$work/scenarios/sweeps"
    cp scenarios/*.json "$work/scenarios/"
    for s in $sweeps; do
        sed -E "s/\"seeds\": *[0-9]+/\"seeds\": $seeds/" "scenarios/sweeps/$s.json" >"$work/scenarios/sweeps/$s.json"
    done
    specdir=$work/scenarios/sweeps
else
    specdir=scenarios/sweeps
fi
: >"$work/sweeps.log"
for s in $sweeps; do
    log "sweep $s"
    "$fd" sweep "$specdir/$s.json" -j "$jobs" --fresh -o "$work/$s.h5" >>"$work/sweeps.log" 2>&1 ||
        { cat "$work/sweeps.log" >&2; die "sweep $s failed"; }
done
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

# optimize against the exhaustive grid on the backup interval x standby share problem
log "optimize backup_standby (sequential, then the grid)"
opt_line=$("$fd" optimize scenarios/optimize/backup_standby.json -j "$jobs" -o "$work/optimize.h5" --quiet | tail -n 1) ||
    die "optimize failed"
grid_line=$("$fd" optimize scenarios/optimize/backup_standby.json -j "$jobs" --grid -o "$work/optimize_grid.h5" --quiet |
    tail -n 1) || die "optimize --grid failed"
field() { sed -E "s/.* $2=([^ ]+).*/\1/" <<<"$1"; }
put OPT_BEST "$(field "$opt_line" best_point)"
put OPT_REPLICAS "$(field "$opt_line" replicas)"
put OPT_PCS "$(field "$opt_line" pcs_bound)"
put GRID_BEST "$(field "$grid_line" best_point)"
put GRID_REPLICAS "$(field "$grid_line" replicas)"
put OPT_SHARE "$(awk -v a="$(field "$opt_line" replicas)" -v b="$(field "$grid_line" replicas)" 'BEGIN { printf "%.1f", 100 * a / b }')"
put REC_BACKUP "$(recommendation "$work/report_backup/report.md")"

# figures: copied under stable names
rm -rf "$here/figures"
mkdir -p "$here/figures"
cp "$work/plots_strategies/cdf.png" "$here/figures/strategies_cdf.png"
cp "$work/plots_strategies/rto_parts.png" "$here/figures/strategies_rto_parts.png"
cp "$work/plots_strategies/timeline.png" "$here/figures/strategies_timeline.png"
for fig in frontier cost losses; do
    [ -f "$work/report_strategies/$fig.png" ] && cp "$work/report_strategies/$fig.png" "$here/figures/strategies_$fig.png"
done
cp "$work/plots_backup_interval/backup.png" "$here/figures/backup_interval.png"
cp "$work/plots_standby_capacity/capacity.png" "$here/figures/standby_capacity.png"

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

# scalars for the prose
awk "$AWKLIB$LOADCSV"'
END {
    for (p = 0; p < NP; p++) if (label(P[p]) == "backup_restore") b = p
    printf "%s", fx(S[b, "availability_time", "p99"], 4)
}' "$work/strategies.csv" | putf CEIL_AVAIL_BR
awk "$AWKLIB$LOADCSV"'
END { for (p = 0; p < NP; p++) if (label(P[p]) == "active_active") printf "%s", fx(S[p, "availability_time", "p99"], 4) }' "$work/strategies.csv" | putf CEIL_AVAIL_AA

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
gnuplot <<EOF || die "gnuplot failed on the detector figure"
set terminal pngcairo size 900,560 font ",11"
set output "$here/figures/detector_tradeoff.png"
set title "detector sweep: detection time of real faults against false failovers (phi threshold along each line)"
set xlabel "mean detection time of real faults that failed over [s] (includes collection and processing)"
set ylabel "false failovers per replica (mean, 95% CI)"
set grid
set key top right
hbs = system("awk '{print \$1}' $work/detector.dat | awk '!s[\$0]++'")
plot for [h in hbs] sprintf("< awk '\$1 == %s' $work/detector.dat", h) using 3:4:5:6 with yerrorlines pt 7 title sprintf("heartbeat %s s", h), \
     for [h in hbs] sprintf("< awk '\$1 == %s' $work/detector.dat", h) using 3:4:(sprintf("%g", \$2)) with labels offset 0,0.8 font ",8" notitle
EOF

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

# ---- 5. validation tables from the printed figures -------------------------------------
W=$work/val_world.txt C=$work/val_ckpt.txt
status() { # status FILE TEST -> passed / FAILED / not run
    if grep -q "^\[       OK \] $2\$" "$1"; then echo passed; elif grep -q "^\[  FAILED  \] $2" "$1"; then echo "**FAILED**"; else echo "not run"; fi
}
need() { grep -m1 -- "$2" "$1" || die "$(basename "$1"): no line matching '$2' (did the validation output change?)"; }
{
    echo "| quantity | simulated | closed form | agreement | test |"
    echo "|---|---|---|---|---|"
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
put VALIDATION_TESTS "$(cat "$W" "$C" | awk '/^\[  PASSED  \]/ { p += $4 } /^\[  FAILED  \]/ && /test\(s\)/ { f += $4 } END { printf "%d passed, %d failed", p, f }')"

# ---- 6. reproducibility ------------------------------------------------------------------
h5=$work/strategies.h5
put VERSION "$(attr "$h5" firedrill_version)"
put GIT_REV "$(attr "$h5" git_revision)"
put BACKEND "$(attr "$h5" backend)"
put CREATED "$(attr "$h5" created_utc)"
put TREE_REV "$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)"
put HOST "$(uname -srm), $(nproc 2>/dev/null || echo '?') CPUs, -j $jobs"
put SEEDS_NOTE "$([ -n "$seeds" ] && echo "PAPER_SEEDS=$seeds: every sweep ran $seeds seeds (derived sweep files, otherwise identical to the shipped ones)" || echo "the seeds of the shipped sweep files")"
{
    echo "| sweep | sweep SHA-256 | points | seeds | replicas | wall time (firedrill's summary line) |"
    echo "|---|---|---:|---|---:|---|"
    for s in $sweeps; do
        f=$work/$s.h5
        first=$(attr "$f" sweep_first_seed); n=$(attr "$f" sweep_seeds); pts=$(attr "$f" sweep_points)
        wall=$(awk -v s="$s" '$1 == "sweep" && $2 == s ":" { for (i = 1; i <= NF; i++) if ($i == "in") { print $(i + 1) " s"; exit } }' "$work/sweeps.log")
        echo "| \`$s\` | \`$(attr "$f" sweep_sha256)\` | $pts | $first..$((first + n - 1)) | $((pts * n)) | ${wall:-–} |"
    done
} | putf SWEEP_TABLE
{
    echo "| file | SHA-256 |"
    echo "|---|---|"
    for f in scenarios/reference.json scenarios/backup_restore.json scenarios/pilot_light.json scenarios/warm_standby.json scenarios/active_active.json scenarios/sweeps/*.json; do
        echo "| \`$f\` | \`$(sha256sum "$f" | cut -d' ' -f1)\` |"
    done
} | putf SCENARIO_SHA_TABLE
{
    echo "| strategy point | scenario SHA-256 of the point (as \`firedrill run\` computes it) |"
    echo "|---|---|"
    points_sha "$work/strategies.h5" | while read -r p sha; do
        lab=$(awk -v p="$p" "$AWKLIB"'BEGIN { FS = "\n" } NR > 1 { csvsplit($0, a); if (a[1] == p) { print label(a[2]); exit } }' "$work/strategies.csv")
        echo "| $p ($lab) | \`$sha\` |"
    done
} | putf POINT_SHA_TABLE
put VAL_SECONDS "$t_val"

# ---- 7. fill the template ------------------------------------------------------------------
put BUILD_SECONDS "$(($(date +%s) - t_start))"
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
END { exit bad }' "$here/paper.md.in" >"$work/paper.md" || die "template has placeholders without values"
mv "$work/paper.md" "$here/paper.md"
log "wrote paper/paper.md and paper/figures/ ($(ls "$here/figures" | wc -l) figures) in $(($(date +%s) - t_start)) s"
