#!/usr/bin/env bash
# The GPU checks in one command, on a machine with an NVIDIA GPU, from the
# repository root. Runs the bundle of scripts/gpu_bundle.sh (built on a
# machine with this project's Debian libraries), so the GPU machine needs only
# its driver and CUDA 13's cudart and cuBLAS:
#   1. the CUDA backend against the CPU backend (tests/gpu, FIREDRILL_REQUIRE_GPU=1)
#   2. the same tests under compute-sanitizer memcheck and racecheck, when present
#   3. firedrill bench kernels --backend cuda (embedding-bag vs a device copy,
#      MLP vs bare cuBLAS, end-to-end qps at batch 1, 32, 256)
#   4. a real-state scenario with --backend cuda: its HDF5 says which ran
# Logs go to $OUT (or /tmp/gpu-check); a short table is printed last.
# GPU_CHECK_BUDGET_S (default 540) caps the whole run: each step gets at most
# its own limit and what is left of the budget, and the sanitizers, which
# matter least and take longest, run last.
# Usage: scripts/gpu_check.sh [BUNDLE_DIR]   (default build-gpu/bundle)
set -uo pipefail
cd "$(dirname "$0")/.."
bundle=$(cd "${1:-build-gpu/bundle}" && pwd) || exit 2
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
libs=$(mktemp -d)
tar -xJf "$bundle/libs.tar.xz" -C "$libs" || exit 2

# cuBLAS and cudart 13: the toolkit's folder, else the pip wheels' folders.
cuda_dirs=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
    [[ -e $d/libcublas.so.13 ]] && cuda_dirs+=":$d"
done
if [[ -z $cuda_dirs ]] && command -v python3 >/dev/null; then
    for m in cublas cuda_runtime; do
        d=$(python3 -c "import importlib,os; m=importlib.import_module('nvidia.$m'); print(os.path.join(list(m.__path__)[0],'lib'))" 2>/dev/null) &&
            cuda_dirs+=":$d"
    done
fi
export LD_LIBRARY_PATH="$libs$cuda_dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export FIREDRILL_CUDA_LIB=$bundle/libfiredrill_cuda.so
fd=$bundle/firedrill
test_bin=$bundle/test_kernels_gpu

{
    echo "bundle revision $(cat "$bundle/revision" 2>/dev/null), needs $(cat "$bundle/glibc_needed" 2>/dev/null); here $(ldd --version | head -1)"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader 2>&1
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    ldd "$FIREDRILL_CUDA_LIB" "$fd" "$test_bin" | grep -i "not found" || echo "all libraries found"
} 2>&1 | tee "$out/env.log"

declare -A verdict
deadline=$((SECONDS + ${GPU_CHECK_BUDGET_S:-540}))
step() { # step NAME TIMEOUT_S COMMAND...: runs, logs to $out/NAME.log, records pass/FAIL
    local name=$1 limit=$2
    shift 2
    local left=$((deadline - SECONDS))
    ((left < limit)) && limit=$left
    if ((limit < 10)); then
        verdict[$name]="skipped (budget spent)"
        return
    fi
    echo "== $name (at most ${limit} s): $*"
    timeout "$limit" "$@" >"$out/$name.log" 2>&1
    local rc=$?
    tail -n 25 "$out/$name.log"
    verdict[$name]=$([[ $rc == 0 ]] && echo pass || echo "FAIL (exit $rc$([[ $rc == 124 ]] && echo ", timed out"))")
}

FIREDRILL_REQUIRE_GPU=1 step test_gpu 120 "$test_bin"
step bench_gpu 200 "$fd" bench kernels --backend cuda
step run_cuda 60 "$fd" run scenarios/real_state.json --seeds 2 --backend cuda -o "$out/real_state_cuda.h5" --quiet
if [[ ${verdict[run_cuda]} == pass ]] && command -v h5dump >/dev/null; then
    h5dump -a /backend "$out/real_state_cuda.h5" >>"$out/run_cuda.log" 2>&1
fi
if command -v compute-sanitizer >/dev/null; then
    FIREDRILL_REQUIRE_GPU=1 step memcheck 150 compute-sanitizer --tool memcheck --error-exitcode 9 "$test_bin"
    FIREDRILL_REQUIRE_GPU=1 step racecheck 150 compute-sanitizer --tool racecheck --error-exitcode 9 "$test_bin"
fi

echo
echo "| check | result |"
echo "|---|---|"
for k in test_gpu bench_gpu run_cuda memcheck racecheck; do
    [[ -n ${verdict[$k]:-} ]] && echo "| $k | ${verdict[$k]} |"
done
echo
echo "| kernel | measured | bound | ratio |"
echo "|---|---|---|---|"
awk '/^kernels backend=cuda/ {
    m = ""; b = ""; r = ""; name = ""; bd = ""; bt = ""
    for (i = 2; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "bench") name = kv[2]
        else if (kv[1] == "batch") bt = kv[2]
        else if (kv[1] == "bound") bd = kv[2]
        else if (kv[1] == "ratio") r = kv[2]
        else if (kv[1] == "gbps" || kv[1] == "gflops" || kv[1] == "qps") m = $i
        else if (kv[1] ~ /^bound_/) b = $i
    }
    printf "| %s%s | %s | %s %s | %s |\n", name, (name ~ /e2e/ ? " batch " bt : ""), m, bd, b, r
}' "$out/bench_gpu.log"
[[ ${verdict[test_gpu]} == pass && ${verdict[bench_gpu]} == pass ]]
