# Mean RTO split into its parts, stacked, one bar per sweep point, with the
# mean RTO itself as a dot on the bar's top (the parts add up to the RTO;
# docs/metrics.md).
# Written by `firedrill plot --kind rto_parts`. Variables: term, out, ttl,
# dat (rto_parts.dat: label, eight parts [s], mean RTO [s], bar position, n),
# nbars.
if (term eq 'pngcairo') { set terminal pngcairo size 1000,620 noenhanced font ',10' } else { set terminal pdfcairo size 7in,4.3in noenhanced font ',8' }
set output out
set title ttl
set grid ytics
set key outside right top
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set ylabel 'mean time per incident with an outage [s]'
set xlabel 'sweep point'
set yrange [0:*]
if (nbars > 2) { set xtics rotate by -25 }
plot for [i=2:9] dat using i:xtic(1) title columnheader(i), \
     dat using 11:10 with points pt 7 ps 1.5 lc rgb '#000000' title 'mean RTO'
