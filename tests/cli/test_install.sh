# make install / uninstall: the installed program, run from outside the
# source tree, finds its gnuplot scripts (and, when built, the CUDA backend)
# relative to itself; the man page renders and lists every command; uninstall
# leaves no file behind.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"
build=$(dirname "$FIREDRILL")

# The outer make's jobserver does not reach this script; keep its variables.
mflags=$(tr ' ' '\n' <<<"${MAKEFLAGS:-}" | grep -v -e '^--jobserver' -e '^-j' | tr '\n' ' ' || true)
mk() { MAKEFLAGS="$mflags" make --no-print-directory -s BUILD="$build" "$@"; }

dest="$tmp/dest"
prefix=/usr/local
expect_status 0 "make install DESTDIR=... PREFIX=$prefix" -- mk install DESTDIR="$dest" PREFIX="$prefix"
root="$dest$prefix"
for f in bin/firedrill share/firedrill/schema.json share/firedrill/analysis/plot_cdf.gp \
    share/firedrill/analysis/plot_timeline.gp share/man/man1/firedrill.1; do
    if [[ -f "$root/$f" ]]; then echo "ok: installed $f"; else echo "FAIL: $f not installed"; fails=$((fails + 1)); fi
done
n_gp=$(ls analysis/plot_*.gp | wc -l)
expect_match "$(ls "$root/share/firedrill/analysis" | wc -l)" "^$n_gp\$" "every gnuplot script installed"
if [[ -f "$build/libfiredrill_cuda.so" ]]; then
    expect_match "$(ls "$root/lib/firedrill")" "^libfiredrill_cuda.so$" "the CUDA backend installed beside"
fi

# From a folder outside the source tree, without FIREDRILL_ANALYSIS_DIR: the
# scripts are found as ../share/firedrill/analysis next to the program (the
# tree was installed under DESTDIR, so this also shows it may be moved).
mkdir -p "$tmp/wd"
fd="$root/bin/firedrill"
run_out() { (cd "$tmp/wd" && env -u FIREDRILL_ANALYSIS_DIR "$@"); }
expect_status 0 "installed --version" -- run_out "$fd" --version
expect_status 0 "installed init" -- run_out "$fd" init --regions 2 -o mine.json
expect_status 0 "installed run" -- run_out "$fd" run mine.json --seeds 3 -j 1 -o mine.h5 --quiet
if command -v gnuplot >/dev/null; then
    expect_status 0 "installed plot finds its scripts" -- run_out "$fd" plot mine.h5 --kind cdf -o plots
    if ls "$tmp/wd/plots/"*.png >/dev/null 2>&1; then echo "ok: the plot was drawn"; else
        echo "FAIL: no PNG in $tmp/wd/plots"; fails=$((fails + 1)); fi
fi
mv "$root/share/firedrill/analysis" "$root/share/firedrill/moved"
expect_status 1 "without its scripts, plot says where it looked" -- run_out "$fd" plot mine.h5 --kind cdf -o plots2
expect_match "$err" "share/firedrill/analysis" "the message names the installed place"
mv "$root/share/firedrill/moved" "$root/share/firedrill/analysis"

# The man page renders and holds every command's help.
page=$(MANWIDTH=100 man -l "$root/share/man/man1/firedrill.1" 2>&1)
expect_match "$page" "SYNOPSIS" "man -l renders the page"
for c in $("$FIREDRILL" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'); do
    expect_match "$page" "firedrill $c" "the page describes $c"
done
expect_match "$page" "EXIT STATUS" "the page has an exit-status section"

expect_status 0 "make uninstall" -- mk uninstall DESTDIR="$dest" PREFIX="$prefix"
left=$(find "$dest" -type f)
expect_match "$left" "^$" "uninstall leaves no file"
left=$(find "$dest" -path '*firedrill*')
expect_match "$left" "^$" "nor a firedrill folder"
finish
