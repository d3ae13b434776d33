#!/usr/bin/env bash
# `make demo`: the main job end to end. Runs the reference scenario (3 regions,
# 30 days, warm standby) over 100 seeded replicas, writes results/reference.h5,
# and plots the distribution of RTO per incident with gnuplot.
set -euo pipefail
fd=${1:-build/firedrill}
mkdir -p results
"$fd" run scenarios/reference.json --seeds 100 -o results/reference.h5
# Incident RTOs (seconds) as a sorted column for an empirical CDF.
# h5dump prints one member per line; rto_s is member 12 of each record.
h5dump -d /incidents -y -w 0 results/reference.h5 | sed -n '/DATA {/,$p' | tr -d ' \n' | tr '}' '\n' |
    awk -F, '{ sub(/^[,{]*/, ""); if (NF >= 12 && $12 != "nan") print $12 }' | sort -g > results/reference_rto.dat
if [[ -s results/reference_rto.dat ]]; then
    gnuplot -e "set terminal pngcairo size 900,600; set output 'results/reference_rto_cdf.png';
      set title 'reference: RTO per incident (100 replicas x 30 days)'; set xlabel 'RTO [s]'; set ylabel 'fraction of incidents';
      set logscale x; set grid; n=system('wc -l < results/reference_rto.dat')+0;
      plot 'results/reference_rto.dat' using 1:(\$0+1)/n with steps lw 2 title 'simulated'"
    echo "plot: results/reference_rto_cdf.png"
fi
