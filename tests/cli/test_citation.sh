# CITATION.cff is CFF 1.2.0 with the required keys, and its version is the
# Makefile's VERSION and the program's.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"

cff=$(cat CITATION.cff)
for key in cff-version message title authors version; do
    expect_match "$cff" $'(^|\n)'"$key:" "CITATION.cff has $key"
done
expect_match "$cff" $'(^|\n)cff-version: 1\\.2\\.0(\n|$)' "CITATION.cff is CFF 1.2.0"
make_version=$(sed -n 's/^VERSION := *//p' Makefile)
cff_version=$(sed -n 's/^version: *//p' CITATION.cff | tr -d "\"'")
expect_match "$make_version" '^[0-9]+\.[0-9]+\.[0-9]+$' "the Makefile has a VERSION"
expect_match "$cff_version" "^${make_version//./\\.}\$" "CITATION.cff's version is the Makefile's ($make_version)"
expect_status 0 "--version" -- "$FIREDRILL" --version
expect_match "$out" "^firedrill ${make_version//./\\.} " "the program reports the same version"
finish
