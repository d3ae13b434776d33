#!/usr/bin/env bash
# `make demo`: the main job end to end. Sweeps the four classic DR strategies
# (backup-and-restore, pilot light, warm standby, active-active) over the same
# 30-day disasters of the reference deployment, writes results/strategies.h5,
# and turns it into a capacity-planning report with figures
# (results/strategies_report/report.md).
set -euo pipefail
fd=${1:-build/firedrill}
mkdir -p results
# An interrupted demo continues where it stopped (the sweep's journal); a
# journal the sweep refuses (exit 2: another build left it) is discarded.
status=0
"$fd" sweep scenarios/sweeps/strategies.json -o results/strategies.h5 --resume || status=$?
if [ "$status" = 2 ]; then
    echo "demo: could not resume the earlier sweep; starting it over" >&2
    "$fd" sweep scenarios/sweeps/strategies.json -o results/strategies.h5 --fresh
elif [ "$status" != 0 ]; then
    exit "$status"
fi
"$fd" summarize results/strategies.h5
"$fd" report results/strategies.h5 -o results/strategies_report --rto-max 1h --rpo-max 1h
echo "report: results/strategies_report/report.md"
