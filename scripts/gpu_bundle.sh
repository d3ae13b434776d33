#!/usr/bin/env bash
# Builds the GPU checks here and packs them for a GPU machine that lacks this
# project's Debian libraries (a lent device image has CUDA but no GSL, HDF5,
# cJSON, OpenBLAS or cmocka, and cannot install them):
#   build-gpu/bundle/firedrill, test_kernels_gpu, libfiredrill_cuda.so
#   build-gpu/bundle/libs.tar.xz   the shared libraries they need, except the
#                                  C library, the C++ runtime and CUDA's own,
#                                  which the GPU machine brings
# Then, on the GPU machine, from the repository root:
#   scripts/gpu_check.sh build-gpu/bundle
# Usage: scripts/gpu_bundle.sh [MAKE_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-gpu
bundle=$build/bundle
# No MPI: the checks do not need it, and its libraries would double the bundle.
make -s MPI=0 BUILD=$build ASAN_BUILD=$build-asan "$build/firedrill" "$build/libfiredrill_cuda.so" \
    "$build/tests/gpu/test_kernels_gpu" "$@"

rm -rf "$bundle"
mkdir -p "$bundle/lib"
cp "$build/firedrill" "$build/libfiredrill_cuda.so" "$build/tests/gpu/test_kernels_gpu" "$bundle/"

# What the GPU machine must bring itself: glibc, the compiler's runtimes and CUDA.
system_lib='^(libc|libm|libpthread|libdl|librt|libresolv|libutil|ld-linux[^ ]*|libgcc_s|libstdc\+\+|libcuda|libcudart|libcublas|libcublasLt)\.so'
for bin in "$bundle/firedrill" "$bundle/test_kernels_gpu"; do
    ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
done | sort -u | while read -r name path; do
    if [[ ! $name =~ $system_lib ]]; then cp -L "$path" "$bundle/lib/$name"; fi
done
# Closed under NEEDED: whatever any bundled object needs is bundled or is one
# of the libraries the GPU machine brings.
for obj in "$bundle"/firedrill "$bundle"/test_kernels_gpu "$bundle"/libfiredrill_cuda.so "$bundle"/lib/*; do
    readelf -d "$obj" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | while read -r needed; do
        if [[ ! -e $bundle/lib/$needed && ! $needed =~ $system_lib ]]; then
            echo "gpu bundle: $obj needs $needed, which is neither bundled nor expected on the GPU machine" >&2
            exit 1
        fi
    done || exit 1
done
tar -cJf "$bundle/libs.tar.xz" -C "$bundle/lib" .
rm -rf "$bundle/lib"

# The newest glibc symbol version anything in the bundle asks for: the GPU
# machine's glibc must be at least this.
need=$( {
    objdump -T "$bundle"/firedrill "$bundle"/test_kernels_gpu "$bundle"/libfiredrill_cuda.so
    tmp=$(mktemp -d) && tar -xJf "$bundle/libs.tar.xz" -C "$tmp" && objdump -T "$tmp"/* && rm -rf "$tmp"
} 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
echo "$need" >"$bundle/glibc_needed"
git rev-parse --short=12 HEAD >"$bundle/revision"
echo "gpu bundle: $bundle ($(du -sh "$bundle" | cut -f1), needs ${need:-?}); run scripts/gpu_check.sh $bundle on the GPU machine"
