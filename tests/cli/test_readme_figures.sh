# README.md's figures on the four strategies come from scripts/readme_figures.sh:
# a fresh run on the same seeds must agree with them within its 95 %
# intervals, the visible text must be what the block's data renders, and the
# recommended strategy must be the fresh run's. Then the check itself is
# checked on a small copy (40 seeds): a figure typed by hand, a figure
# outside the interval and another recommendation each fail.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"

expect_status 0 "README.md's figures agree with a fresh run" -- scripts/readme_figures.sh --check "$FIREDRILL"
expect_match "$out" "figures (equal|lie within)" "the check says how they agree"

expect_status 0 "a 40-seed block" -- env README_FIGURES_SEEDS=40 scripts/readme_figures.sh --print "$FIREDRILL"
printf '# copy\n\n%s\n\nafter\n' "$out" >"$tmp/README.md"
expect_match "$(cat "$tmp/README.md")" "★" "the block marks the recommended strategy"
expect_status 0 "the copy checks" -- env README_FILE="$tmp/README.md" scripts/readme_figures.sh --check "$FIREDRILL"
expect_match "$out" "40 seeds per strategy" "the check reruns the seeds the block names"

# a figure typed by hand: the visible text no longer renders from the data
sed -E '0,/^\| backup_restore \| [0-9.]+/s//| backup_restore | 1.23/' "$tmp/README.md" >"$tmp/typed.md"
expect_status 1 "a typed figure fails" -- env README_FILE="$tmp/typed.md" scripts/readme_figures.sh --check "$FIREDRILL"
expect_match "$err" "not what its data renders" "the typed figure is shown"

# a mean outside the fresh interval
awk -F '\t' -v OFS='\t' '$1 == "pilot_light" && $2 == "rto_p95_s" {$4 = $6 * 2} {print}' "$tmp/README.md" >"$tmp/moved.md"
expect_status 1 "a figure beyond the interval fails" -- env README_FILE="$tmp/moved.md" scripts/readme_figures.sh --check "$FIREDRILL"
expect_match "$err" "pilot_light rto_p95_s: README .*, outside the fresh run's 95 % interval" "the figure and interval are named"

# another recommendation
rec=$(awk -F '\t' '$1 == "rec" {print $2}' "$tmp/README.md")
other=$([[ $rec == warm_standby ]] && echo pilot_light || echo warm_standby)
sed "s/^rec\t$rec\$/rec\t$other/" "$tmp/README.md" >"$tmp/rec.md"
expect_status 1 "another recommendation fails" -- env README_FILE="$tmp/rec.md" scripts/readme_figures.sh --check "$FIREDRILL"
expect_match "$err" "README recommends $other, a fresh run $rec" "the recommendations are named"

printf '# no block\n' >"$tmp/none.md"
expect_status 1 "a README without the block fails" -- env README_FILE="$tmp/none.md" scripts/readme_figures.sh --check "$FIREDRILL"
finish
