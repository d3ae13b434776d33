#!/usr/bin/env bash
# The one error convention (util/fd_status.h), checked by `make lint` and by
# tests/cli/test_conventions.sh:
#   - one message formatter: a va_list is formatted (vsnprintf and kin) only
#     in util/fd_status.c; everything else calls fd_errf / fd_verrf;
#   - library code never ends the process: no exit() outside sim/main.c (a
#     forked child's _exit() after a failed exec is not exit());
#   - exit codes are known in sim/cli.c only (cli_exit_status): no CLI_EXIT_
#     anywhere else, and no raw exit status returned from main.
# Run from the repository root; prints each offence, exits 1 if any.
set -u
cd "$(dirname "$0")/.."
files=$(git ls-files 'util/*.[ch]' 'sim/*.[ch]' 'models/*.[ch]' 'kernels/*.[ch]' 'kernels/*.cu' 'analysis/*.[ch]' \
    2>/dev/null || true)
[[ -n "$files" ]] || files=$(find util sim models kernels analysis -name '*.[ch]' -o -name '*.cu')
bad=0
# offences DESCRIPTION REGEX FILE...: matching lines that are not comments
offences() {
    local what=$1 re=$2
    shift 2
    local hits
    hits=$(grep -nE "$re" "$@" /dev/null | grep -vE '^[^:]+:[0-9]+:\s*(\*|/\*|//)' || true)
    if [[ -n "$hits" ]]; then
        echo "check_errors: $what:"
        echo "$hits" | sed 's/^/  /'
        bad=1
    fi
}
# shellcheck disable=SC2086
offences "a va_list formatted outside util/fd_status.c (call fd_verrf / fd_errf)" \
    '\bv(s|sn|as|d)printf\s*\(' $(echo "$files" | grep -vx 'util/fd_status.c')
# shellcheck disable=SC2086
offences "exit() in library code (return an fd_status; sim/cli.c picks the exit code)" \
    '(^|[^_[:alnum:]])(exit|quick_exit|_Exit)\s*\(' $(echo "$files" | grep -vx 'sim/main.c')
# shellcheck disable=SC2086
offences "exit codes outside sim/cli.c (return an fd_status: FD_OK, FD_EINPUT, FD_EFAIL, ...)" \
    'CLI_EXIT_' $(echo "$files" | grep -vx 'sim/cli.c')
offences "main() returns what cli_exit_status gives, nothing else" \
    'return +[^c ]|return +c[^l]' sim/main.c
exit $bad
