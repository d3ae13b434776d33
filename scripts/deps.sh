#!/usr/bin/env bash
# Installs the Debian packages firedrill needs, and nothing when all are there.
# Idempotent: `dpkg-query` decides; apt-get runs only for what is missing,
# through sudo when we are not root.
#
#   scripts/deps.sh          the packages to build, test and run (make deps)
#   scripts/deps.sh paper    those and the ones to typeset paper/paper.pdf
#                            (make paper-deps): pandoc 2.17 (citeproc built
#                            in), XeLaTeX with the LaTeX packages pandoc's
#                            template uses, DejaVu fonts (Greek and math
#                            symbols in the text), poppler-utils (pdfinfo,
#                            pdftotext: the paper's own checks). About 600 MB,
#                            hence not in the default group.
set -euo pipefail

packages=(
  build-essential pkg-config git
  libgsl-dev libhdf5-dev hdf5-tools libcjson-dev libxxhash-dev libssl-dev
  libopenblas-dev gnuplot-nox libcmocka-dev
  libopenmpi-dev openmpi-bin
  clang-format cppcheck
  help2man man-db
)
paper_packages=(
  pandoc texlive-xetex texlive-latex-recommended texlive-latex-extra
  texlive-fonts-recommended lmodern fonts-dejavu-core poppler-utils
)

for group in "$@"; do
  case "$group" in
    paper) packages+=("${paper_packages[@]}") ;;
    *) echo "deps: unknown package group '$group' (known: paper)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
