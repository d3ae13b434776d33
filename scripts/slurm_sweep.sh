#!/bin/bash
# Runs a firedrill sweep on a Slurm cluster without MPI: a job array of N
# shards (`firedrill sweep --shard K/N`), then a merge job that starts when
# every shard succeeded. Each shard resumes from its journal, so a requeued
# or preempted task continues where it stopped.
#
#   scripts/slurm_sweep.sh submit SWEEP.json N [OUT.h5]   submit both jobs
#   scripts/slurm_sweep.sh local  SWEEP.json N [OUT.h5]   the same, here, one shard after another
#
# OUT.h5 defaults to results/<sweep file name>.h5; shard K is written next to
# it as <OUT>.shardK-of-N.h5. Environment: FIREDRILL (default build/firedrill),
# SBATCH_OPTS (extra sbatch options such as "--partition=cpu --time=02:00:00"),
# CPUS (threads per shard, default 8). The job array is submitted as
#     sbatch --array=0-(N-1) --cpus-per-task=CPUS this-script shard SWEEP N OUT
# and the merge as
#     sbatch --dependency=afterok:ARRAYJOB this-script merge SWEEP N OUT
#SBATCH --job-name=firedrill-sweep
#SBATCH --output=firedrill-%x-%A_%a.log
set -euo pipefail

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
[[ $# -ge 3 ]] || usage
mode=$1 sweep=$2 n=$3
out=${4:-results/$(basename "${sweep%.json}").h5}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "slurm_sweep.sh: N must be a positive integer, got '$n'" >&2; exit 2; }
firedrill=${FIREDRILL:-build/firedrill}
cpus=${CPUS:-8}
shard_file() { echo "${out%.h5}.shard$1-of-$n.h5"; }

run_shard() { # K THREADS
    "$firedrill" sweep "$sweep" --shard "$1/$n" -j "$2" --resume --quiet -o "$(shard_file "$1")"
}
run_merge() {
    local files=() k
    for ((k = 0; k < n; k++)); do files+=("$(shard_file "$k")"); done
    "$firedrill" merge "$out" "${files[@]}"
}

mkdir -p "$(dirname "$out")"
case "$mode" in
submit)
    command -v sbatch >/dev/null || { echo "slurm_sweep.sh: sbatch not found (try: local)" >&2; exit 1; }
    # Check the sweep file before queueing anything.
    "$firedrill" sweep "$sweep" --list >/dev/null
    # shellcheck disable=SC2086
    array=$(sbatch --parsable ${SBATCH_OPTS:-} --array="0-$((n - 1))" --cpus-per-task="$cpus" \
        --export=ALL,FIREDRILL="$firedrill" "$0" shard "$sweep" "$n" "$out")
    array=${array%%;*}
    # shellcheck disable=SC2086
    merge=$(sbatch --parsable ${SBATCH_OPTS:-} --dependency="afterok:$array" --cpus-per-task=1 \
        --export=ALL,FIREDRILL="$firedrill" "$0" merge "$sweep" "$n" "$out")
    echo "submitted shards as job array $array (0-$((n - 1))) and the merge as job ${merge%%;*}: writes $out"
    ;;
shard) # inside the array job
    run_shard "${SLURM_ARRAY_TASK_ID:?not in a Slurm job array}" "${SLURM_CPUS_PER_TASK:-1}"
    ;;
merge)
    run_merge
    ;;
local)
    for ((k = 0; k < n; k++)); do run_shard "$k" "$(nproc)"; done
    run_merge
    ;;
*)
    usage
    ;;
esac
