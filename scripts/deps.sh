#!/usr/bin/env bash
# Installs the Debian packages firedrill needs, and nothing when all are there.
# Idempotent: `dpkg-query` decides; apt-get runs only for what is missing,
# through sudo when we are not root.
set -euo pipefail

packages=(
  build-essential pkg-config git
  libgsl-dev libhdf5-dev hdf5-tools libcjson-dev libxxhash-dev libssl-dev
  libopenblas-dev gnuplot-nox libcmocka-dev
  libopenmpi-dev openmpi-bin
  clang-format cppcheck
  help2man man-db
)

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
