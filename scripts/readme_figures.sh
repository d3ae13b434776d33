#!/usr/bin/env bash
# The README's figures on the four DR strategies, from a fresh run.
#
#   scripts/readme_figures.sh [--print | --write | --check] [FIREDRILL]
#
# Runs the shipped strategies sweep (scenarios/sweeps/strategies.json, with
# README_FIGURES_SEEDS seeds per strategy, default 500, seeds 1..N: the same
# disasters for every strategy), `firedrill report` with RTO and RPO targets
# of 1 h for the recommendation, and `firedrill summarize --csv` for the
# means and their 95 % intervals, and renders the Markdown block that
# README.md holds between the markers `<!-- figures:begin -->` and
# `<!-- figures:end -->`. The block carries its data (an HTML comment, one
# tab-separated line per strategy and metric) under the visible text.
#
#   --print  (default) the block on stdout
#   --write  replaces the block in README.md (README_FILE to name another)
#   --check  exit 1 unless README.md's block agrees with a fresh run: its
#            visible text is what its data renders (no figure typed by
#            hand), the recommended strategy is the fresh run's, and every
#            mean lies within the fresh run's 95 % interval (the same seeds:
#            equal when nothing changed; a model change that moves a figure
#            beyond its interval fails)
#
# Results are the same on any machine and thread count for the same seeds.
set -euo pipefail

mode=print
case "${1:-}" in
--print | --write | --check) mode=${1#--}; shift ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
fd=${1:-build/firedrill}
fd=$(command -v "$fd") || { echo "readme_figures: no firedrill at '${1:-build/firedrill}' (make first)" >&2; exit 1; }
[[ $fd == /* ]] || fd=$PWD/$fd
root=$(cd "$(dirname "$0")/.." && pwd)
readme=${README_FILE:-$root/README.md}
seeds=${README_FIGURES_SEEDS:-500}
targets=(--rto-max 1h --rpo-max 1h)
metrics=total_cost_per_year,standby_cost,lost_revenue,availability_time,rto_p95_s,rpo_max_s
begin='<!-- figures:begin -->'
end='<!-- figures:end -->'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- a fresh run: data.tsv ---------------------------------------------------------------
# Lines: "meta KEY VALUE", "rec STRATEGY", and
# "STRATEGY METRIC N MEAN LOW HIGH DIFF DIFF_LOW DIFF_HIGH" (the paired
# difference against the recommended strategy; empty for itself).
fresh_data() {
    local out=$1 sweep="$work/strategies.json"
    sed -e "s#\"\\.\\./#\"$root/scenarios/#g" -e "s/\"seeds\": *[0-9]*/\"seeds\": $seeds/" \
        "$root/scenarios/sweeps/strategies.json" >"$sweep"
    grep -q "\"seeds\": $seeds," "$sweep" || { echo "readme_figures: cannot set the seeds of the strategies sweep" >&2; exit 1; }
    "$fd" sweep "$sweep" -j 2 -o "$work/strategies.h5" --quiet
    # Only the recommendation is read: without gnuplot on its PATH the report
    # writes its text without figures, several times faster.
    if ! env PATH=/nonexistent "$fd" report "$work/strategies.h5" -o "$work/report" "${targets[@]}" \
        >"$work/report.log" 2>&1; then
        cat "$work/report.log" >&2
        exit 1
    fi
    local rec
    rec=$(sed -n 's/^\*\*Point \([0-9]*\) (base=.*$/\1/p' "$work/report/report.md" | head -1)
    "$fd" summarize "$work/strategies.h5" --csv --metrics "$metrics" ${rec:+--baseline "$rec"} >"$work/summary.csv"
    local version horizon_d
    version=$("$fd" --version | awk 'NR == 1 {print $2}')
    horizon_d=$(sed -n 's/^| horizon per replica | .* (\([0-9.]*\) d) |$/\1/p' "$work/report/report.md")
    {
        printf 'meta\tversion\t%s\n' "$version"
        printf 'meta\tseeds\t%s\n' "$seeds"
        printf 'meta\thorizon_d\t%s\n' "$horizon_d"
        # CSV fields: point,"{""base"":""../NAME.json""}",metric,unit,n,mean,ci_low,ci_high,sd,median,
        # p95,p99,confidence,baseline_point,diff_n,diff_mean,diff_ci_low,diff_ci_high,ci_method
        awk -v rec="$rec" '
            # one CSV line into f[1..n], quotes ("" inside) handled
            function csv(line, f,    n, i, c, q, v) {
                n = 1; v = ""; q = 0
                for (i = 1; i <= length(line); i++) {
                    c = substr(line, i, 1)
                    if (q && c == "\"" && substr(line, i + 1, 1) == "\"") { v = v c; i++ }
                    else if (c == "\"") q = !q
                    else if (!q && c == ",") { f[n++] = v; v = "" }
                    else v = v c
                }
                f[n] = v
                return n
            }
            NR == 1 { next }
            {
                csv($0, f)
                name = f[2]; sub(/^.*"base":"([^"]*\/)?/, "", name); sub(/\.json".*$/, "", name)
                if (f[1] == rec) rec_name = name
                printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, f[3], f[5], f[6], f[7], f[8], f[16], f[17], f[18]
            }
            END { printf "rec\t%s\n", rec_name == "" ? "none" : rec_name }' "$work/summary.csv"
    } >"$out"
}

# --- the visible block from data.tsv -------------------------------------------------------
render() {
    awk -F '\t' '
        function money(v) {
            if (v == "" || v == "nan") return "n/a"
            a = v < 0 ? -v : v
            if (a >= 1e6) return sprintf("%.3g M", v / 1e6)
            if (a >= 1e3) return sprintf("%.3g k", v / 1e3)
            return sprintf("%.3g", v)
        }
        function secs(v) { return (v == "" || v == "nan") ? "n/a" : sprintf("%.3g s", v) }
        function pct(v) { return (v == "" || v == "nan") ? "n/a" : sprintf("%.3f %%", 100 * v) }
        function cell(kind, m, lo, hi, scale) {
            if (kind == "money") return money(m * scale) " [" money(lo * scale) ", " money(hi * scale) "]"
            if (kind == "secs") return secs(m) " [" secs(lo) ", " secs(hi) "]"
            return pct(m) " [" pct(lo) ", " pct(hi) "]"
        }
        $1 == "meta" { meta[$2] = $3; next }
        $1 == "rec" { rec = $2; next }
        {
            if (!($1 in seen)) { seen[$1] = 1; order[++ns] = $1 }
            key = $1 SUBSEP $2
            n[key] = $3; mean[key] = $4; lo[key] = $5; hi[key] = $6; d[key] = $7; dlo[key] = $8; dhi[key] = $9
        }
        END {
            year = 365.25 / meta["horizon_d"]
            printf "The four classic strategies on the reference deployment (3 regions x 16 GPU\n"
            printf "servers, %s-day replicas, the default disasters of `scenarios/README.md`),\n", meta["horizon_d"]
            printf "%s seeds each, every strategy meeting the same disasters (common random\n", meta["seeds"]
            printf "numbers). Mean per replica with its 95 %% interval (bootstrap percentile; t for\n"
            printf "availability); money per year (x 365.25 d / horizon) in the currency of\n"
            printf "the scenarios (US dollars by default); n: replicas that lost state; columns in `docs/metrics.md`.\n\n"
            printf "| strategy | total cost per year | standby per year | lost revenue per year | availability (time) | RTO p95 per replica | worst RPO per replica (n) |\n"
            printf "|---|---|---|---|---|---|---|\n"
            for (i = 1; i <= ns; i++) {
                s = order[i]
                printf "| %s%s | %s | %s | %s | %s | %s | %s (%d) |\n", s, s == rec ? " ★" : "",
                    cell("money", mean[s SUBSEP "total_cost_per_year"], lo[s SUBSEP "total_cost_per_year"], hi[s SUBSEP "total_cost_per_year"], 1),
                    cell("money", mean[s SUBSEP "standby_cost"], lo[s SUBSEP "standby_cost"], hi[s SUBSEP "standby_cost"], year),
                    cell("money", mean[s SUBSEP "lost_revenue"], lo[s SUBSEP "lost_revenue"], hi[s SUBSEP "lost_revenue"], year),
                    cell("pct", mean[s SUBSEP "availability_time"], lo[s SUBSEP "availability_time"], hi[s SUBSEP "availability_time"], 1),
                    cell("secs", mean[s SUBSEP "rto_p95_s"], lo[s SUBSEP "rto_p95_s"], hi[s SUBSEP "rto_p95_s"], 1),
                    cell("secs", mean[s SUBSEP "rpo_max_s"], lo[s SUBSEP "rpo_max_s"], hi[s SUBSEP "rpo_max_s"], 1),
                    n[s SUBSEP "rpo_max_s"]
            }
            printf "\n"
            if (rec == "none") {
                printf "With targets RTO <= 1 h and RPO <= 1 h, `firedrill report` finds no strategy that\n"
                printf "meets both at 95 %% confidence.\n"
            } else {
                key = rec SUBSEP "total_cost_per_year"
                printf "With targets RTO <= 1 h and RPO <= 1 h (95 %% upper bounds of the mean per-replica\n"
                printf "p95 RTO and worst RPO), `firedrill report` recommends **%s** (★), at\n", rec
                printf "%s per year. Paired over the same seeds, each other strategy costs per year\n", money(mean[key])
                printf "(its total minus %s'"'"'s, with the 95 %% interval):", rec
                sep = " "
                for (i = 1; i <= ns; i++) {
                    s = order[i]
                    if (s == rec) continue
                    k = s SUBSEP "total_cost_per_year"
                    printf "%s%s %s%s [%s, %s]", sep, s, (d[k] + 0 > 0 ? "+" : ""), money(d[k]), money(dlo[k]), money(dhi[k])
                    sep = "; "
                }
                printf ".\n"
            }
            # what the table says about standby against lost revenue, read from the data
            nl = 0; cheap = ""; dear = ""
            for (i = 1; i <= ns; i++) {
                s = order[i]
                if (mean[s SUBSEP "lost_revenue"] + 0 > mean[s SUBSEP "standby_cost"] + 0) nl++
                if (cheap == "" || mean[s SUBSEP "standby_cost"] + 0 < mean[cheap SUBSEP "standby_cost"] + 0) cheap = s
                if (dear == "" || mean[s SUBSEP "total_cost_per_year"] + 0 > mean[dear SUBSEP "total_cost_per_year"] + 0) dear = s
            }
            printf "Lost revenue exceeds the standby cost for %s of the %d strategies", (nl == ns ? "all" : nl ""), ns
            if (cheap == dear) printf "; the one with the cheapest standby (%s) is the dearest in total", cheap
            printf ".\nThe figures move with the models: `scripts/readme_figures.sh --write` regenerates\n"
            printf "this block (firedrill %s), and `make test` fails when a fresh run disagrees\n", meta["version"]
            printf "with it beyond the intervals.\n"
        }' "$1"
}

block() {
    printf '%s\n' "$begin"
    render "$1"
    printf '<!-- figures:data\n'
    cat "$1"
    printf -- '-->\n%s\n' "$end"
}

# The block of a README (markers included), or nothing.
readme_block() { awk -v b="$begin" -v e="$end" '$0 == b {on = 1} on {print} $0 == e {on = 0}' "$1"; }

case $mode in
print)
    fresh_data "$work/data.tsv"
    block "$work/data.tsv"
    ;;
write)
    fresh_data "$work/data.tsv"
    block "$work/data.tsv" >"$work/block.md"
    grep -qxF "$begin" "$readme" && grep -qxF "$end" "$readme" ||
        { echo "readme_figures: $readme has no '$begin' ... '$end' block" >&2; exit 1; }
    awk -v b="$begin" -v e="$end" -v f="$work/block.md" '
        $0 == b { while ((getline line < f) > 0) print line; skip = 1; next }
        $0 == e { skip = 0; next }
        !skip { print }' "$readme" >"$work/readme.new"
    cat "$work/readme.new" >"$readme"
    echo "readme_figures: wrote the figures block of $readme ($seeds seeds per strategy)"
    ;;
check)
    readme_block "$readme" >"$work/old_block.md"
    [[ -s "$work/old_block.md" ]] || { echo "readme_figures: $readme has no figures block" >&2; exit 1; }
    awk '/^<!-- figures:data$/ {on = 1; next} /^-->$/ {on = 0} on' "$work/old_block.md" >"$work/old.tsv"
    fails=0
    # 1. The visible text is what the data renders.
    block "$work/old.tsv" >"$work/rerendered.md"
    if ! diff -u "$work/old_block.md" "$work/rerendered.md" >"$work/diff"; then
        echo "readme_figures: the README's figures are not what its data renders (edited by hand?):" >&2
        cat "$work/diff" >&2
        fails=1
    fi
    # 2. The same seeds again; 3. the recommendation and every mean within the fresh intervals.
    old_seeds=$(awk -F '\t' '$1 == "meta" && $2 == "seeds" {print $3}' "$work/old.tsv")
    seeds=${old_seeds:-$seeds}
    fresh_data "$work/new.tsv"
    awk -F '\t' -v OFS='\t' '
        NR == FNR { if ($1 == "rec") rec_new = $2; else if ($1 != "meta") { lo[$1, $2] = $5; hi[$1, $2] = $6; m[$1, $2] = $4 }; next }
        $1 == "meta" { next }
        $1 == "rec" {
            if ($2 != rec_new) { printf "readme_figures: README recommends %s, a fresh run %s\n", $2, rec_new; bad++ }
            next
        }
        {
            k = $1 SUBSEP $2
            if (!(k in m)) { printf "readme_figures: %s %s: not in the fresh run\n", $1, $2; bad++; next }
            if ($4 == "nan" && m[k] == "nan") next
            if (!($4 + 0 >= lo[k] + 0 && $4 + 0 <= hi[k] + 0)) {
                printf "readme_figures: %s %s: README %s, outside the fresh run'"'"'s 95 %% interval [%s, %s] (mean %s)\n", $1, $2, $4, lo[k], hi[k], m[k]
                bad++
            }
        }
        END { exit bad > 0 }' "$work/new.tsv" "$work/old.tsv" >&2 || fails=1
    if [[ $fails -ne 0 ]]; then
        echo "readme_figures: README.md disagrees with a fresh run; regenerate with scripts/readme_figures.sh --write" >&2
        exit 1
    fi
    if cmp -s "$work/old.tsv" "$work/new.tsv"; then
        echo "readme_figures: README.md's figures equal a fresh run's ($seeds seeds per strategy)"
    else
        echo "readme_figures: README.md's figures lie within a fresh run's 95 % intervals ($seeds seeds per strategy)"
    fi
    ;;
esac
