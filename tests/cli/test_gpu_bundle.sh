# The GPU checks' bundle (make gpu-bundle, scripts/gpu_check.sh) is the one
# path a lent GPU machine depends on, and it cannot run here: this test keeps
# it from rotting. It builds the bundle, checks what it holds, and runs the
# check script here, where every GPU step must fail cleanly (no driver) and
# the script must still find its libraries and print its tables.
set -e
source "$(dirname "$0")/lib.sh"

if ! command -v nvcc >/dev/null; then
    echo "skip: GPU bundle (nvcc not installed: the CUDA backend is not built)"
    finish
    exit 0
fi
expect_status 0 "make the bundle" -- scripts/gpu_bundle.sh
b=build-gpu/bundle
for f in firedrill test_kernels_gpu libfiredrill_cuda.so libs.tar.xz glibc_needed revision; do
    [[ -s "$b/$f" ]] && echo "ok: bundle holds $f" || { echo "FAIL: bundle lacks $f"; fails=$((fails + 1)); }
done
expect_match "$(tar -tJf "$b/libs.tar.xz" | tr '\n' ' ')" "libgsl\.so.*libhdf5|libhdf5.*libgsl\.so" "bundled libraries include GSL and HDF5"
if tar -tJf "$b/libs.tar.xz" | grep -Eq '/(libc|libstdc\+\+|libcuda|libcublas)\.so'; then
    echo "FAIL: the bundle carries a library the GPU machine brings"; fails=$((fails + 1))
else
    echo "ok: no glibc, C++ runtime or CUDA library in the bundle"
fi
expect_match "$(cat "$b/glibc_needed")" "^GLIBC_2\.[0-9]+$" "glibc version recorded"

expect_status 1 "gpu_check without a GPU fails" -- env OUT="$tmp/gpu" GPU_CHECK_BUDGET_S=120 scripts/gpu_check.sh "$b"
expect_match "$out" "all libraries found" "the bundle's libraries resolve"
expect_match "$out" "\| test_gpu \| FAIL \(exit 1\) \|" "GPU test reported as failed"
expect_match "$out" "\| check \| result \|" "verdict table printed"
expect_match "$(cat "$tmp/gpu/test_gpu.log")" "FAILED, GPU required: .*CUDA" "the GPU test says why"
finish
