# Mean cost per year of each sweep point, stacked by part (standby,
# replication, backups, lost revenue, penalties: they add up to
# total_cost_per_year, docs/metrics.md "Money"), with the mean total and its
# bootstrap interval as a dot with error bars. "*" marks the recommended point.
# Written by `firedrill plot --kind cost`. Variables: term, out, ttl,
# dat (cost.dat: label, five parts [currency/year], total, total lo/hi,
# bar position, n, meets the targets 0/1), nbars, conf (CI level [%]).
if (term eq 'pngcairo') { set terminal pngcairo size 1000,620 noenhanced font ',10' } else { set terminal pdfcairo size 7in,4.3in noenhanced font ',8' }
set output out
set title ttl
set grid ytics
set key outside right top
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set ylabel 'mean cost per year [currency/year]'
set xlabel 'sweep point'
set format y '%.1s%c'
set yrange [0:*]
if (nbars > 2) { set xtics rotate by -25 }
plot for [i=2:6] dat using i:xtic(1) title columnheader(i), \
     dat using 10:7:8:9 with yerrorbars pt 7 ps 1.2 lc rgb '#000000' title sprintf('total (mean, %.0f%% CI)', conf)
