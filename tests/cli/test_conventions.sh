# The error convention of util/fd_status.h holds in the tree: one message
# formatter, no exit() in library code, exit codes only in sim/cli.c
# (scripts/check_errors.sh, also run by `make lint`); and the exit codes
# themselves: 0, 2 for bad usage, 1 for failed work.
set -e
source "$(dirname "$0")/lib.sh"
: "${FIREDRILL:=build/firedrill}"

expect_status 0 "scripts/check_errors.sh finds no second formatter, exit() or exit code" -- scripts/check_errors.sh
expect_status 0 "--help is exit 0" -- "$FIREDRILL" --help
expect_status 2 "no command is exit 2" -- "$FIREDRILL"
expect_status 2 "an unknown command is exit 2" -- "$FIREDRILL" frobnicate
expect_status 2 "an unknown option of a command is exit 2" -- "$FIREDRILL" merge --frobnicate
expect_status 2 "a missing input is exit 2" -- "$FIREDRILL" merge "$tmp/out.h5" "$tmp/missing.h5"
expect_match "$err" "missing.h5: no such file" "the missing input is named"
printf 'not hdf5\n' > "$tmp/text.h5"
expect_status 2 "a file that is not HDF5 is exit 2" -- "$FIREDRILL" merge "$tmp/out.h5" "$tmp/text.h5"
expect_match "$err" "text.h5: not an HDF5 file" "the bad input is named"
finish
