#!/usr/bin/env bash
# Writes the man page firedrill.1 from the program's own --help texts with
# help2man: `firedrill --help` and `--version` give NAME, SYNOPSIS and the
# command list; every `firedrill COMMAND --help` (the commands are read from
# that list) becomes a subsection of COMMANDS, verbatim; the rest (exit
# status, environment, files, see also) is written here.
#
#   scripts/gen_man.sh build/firedrill build/firedrill.1
#
# The date is the last commit's (SOURCE_DATE_EPOCH when set), so the page is
# the same for the same tree.
set -euo pipefail

fd=${1:?usage: gen_man.sh FIREDRILL OUT.1}
out=${2:?usage: gen_man.sh FIREDRILL OUT.1}
command -v help2man >/dev/null || { echo "gen_man.sh: needs help2man (apt-get install help2man, or make deps)" >&2; exit 1; }
fd=$(cd "$(dirname "$fd")" && pwd)/$(basename "$fd")
root=$(cd "$(dirname "$0")/.." && pwd)

include=$(mktemp)
trap 'rm -f "$include" "$out.tmp"' EXIT

# Text as roff: backslashes escaped, a leading . or ' guarded, verbatim lines.
roff_verbatim() {
    printf '.nf\n'
    sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    printf '.fi\n'
}

commands=$("$fd" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
[[ -n "$commands" ]] || { echo "gen_man.sh: no commands in '$fd --help'" >&2; exit 1; }

{
    printf '[SYNOPSIS]\n.B firedrill\n[\\-\\-help] [\\-\\-version] \\fICOMMAND\\fR [\\fIARGS\\fR]\n\n'
    printf '[DESCRIPTION]\n'
    printf 'firedrill simulates the serving fleet of an AI recommendation model (regions,\n'
    printf 'GPU servers, traffic, the model changing online) while servers, racks, zones,\n'
    printf 'networks, storage and whole regions fail; backups run, detectors fire and\n'
    printf 'traffic fails over. Over seeded replicas it measures RTO (with its parts), RPO,\n'
    printf 'availability, latency, lost revenue and cost, written to HDF5 with confidence\n'
    printf 'intervals, plotted with gnuplot and turned into a capacity-planning report.\n'
    printf '.PP\n'
    printf 'Start with \\fBfiredrill init \\-o mine.json\\fR, then \\fBvalidate\\fR, \\fBrun\\fR,\n'
    printf '\\fBsweep\\fR, \\fBreport\\fR and \\fBoptimize\\fR (docs/tutorial.md in the sources).\n'
    printf '\n[COMMANDS]\n'
    printf 'Each command prints this text with \\fBfiredrill COMMAND \\-\\-help\\fR.\n'
    for c in $commands; do
        printf '.SS "firedrill %s"\n' "$c"
        "$fd" "$c" --help | roff_verbatim
        if [[ $c == bench ]]; then
            printf '.PP\n'
            "$fd" bench kernels --help | roff_verbatim
        fi
    done
    cat <<'EOF'

[EXIT STATUS]
.TP
.B 0
success
.TP
.B 1
the work failed (a write, gnuplot, an event budget reached, out of memory)
.TP
.B 2
bad usage or bad input: the message names the file, the JSON path and the reason

[ENVIRONMENT]
.TP
.B FIREDRILL_ANALYSIS_DIR
folder of the gnuplot scripts (plot_*.gp); without it they are looked for next to
the executable in ../analysis (the source tree) and ../share/firedrill/analysis
(an installed copy), then in ./analysis
.TP
.B FIREDRILL_CUDA_LIB
the CUDA backend (libfiredrill_cuda.so); without it, next to the executable,
then in ../lib/firedrill next to it, then in the build folder

[FILES]
.TP
.I PREFIX/share/firedrill/analysis/plot_*.gp
the gnuplot scripts of \fBplot\fR and \fBreport\fR
.TP
.I PREFIX/share/firedrill/schema.json
JSON Schema of scenario files (also \fBfiredrill validate \-\-schema\fR)
.TP
.I PREFIX/lib/firedrill/libfiredrill_cuda.so
the CUDA backend, when built
.TP
.I results/NAME.h5
results (HDF5): /replicas, /incidents, /points, and with \-\-trace /trace and /timeline

[SEE ALSO]
.BR h5dump (1),
.BR gnuplot (1),
.BR mpirun (1).
In the sources: README.md, docs/tutorial.md, docs/metrics.md (every column of the
results), scenarios/README.md (every scenario key) and results/README.md (the HDF5 layout).
EOF
} >"$include"

if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
    SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
# "firedrill 0.1.0" (without the git revision, which would crowd the footer)
version=$("$fd" --version | awk 'NR == 1 {print $1, $2}')
help2man --no-info --section=1 --version-string="$version" --name="disaster-recovery drills for recommendation models, simulated" \
    --include="$include" --output="$out.tmp" "$fd"
mv "$out.tmp" "$out"
