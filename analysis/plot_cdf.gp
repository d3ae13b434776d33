# Empirical CDFs of RTO and RPO per incident, one curve per sweep point.
# Written by `firedrill plot --kind cdf`; run by hand with
#   gnuplot -e "term='pngcairo'; out='cdf.png'; rto='cdf_rto.dat'; rpo='cdf_rpo.dat'; nrto=1; nrpo=1; ttl='x'" plot_cdf.gp
# Data: one block per point (two blank lines apart), a header line whose
# first field is the point's label, then "value cumulative_fraction".
if (term eq 'pngcairo') { set terminal pngcairo size 1200,560 noenhanced font ',10' } else { set terminal pdfcairo size 8in,3.7in noenhanced font ',8' }
set output out
set multiplot layout 1,2 title ttl
set grid
set key bottom right
set yrange [0:1]
set logscale x
set ylabel 'fraction of incidents'

set xlabel 'RTO per incident with an outage [s]'
plot for [i=0:nrto-1] rto index i using 1:2 with steps lw 2 title columnheader(1)

set xlabel 'RPO per incident that lost model state [s]'
if (nrpo > 0) {
    plot for [i=0:nrpo-1] rpo index i using 1:2 with steps lw 2 title columnheader(1)
} else {
    unset logscale x
    set xrange [0:1]
    set label 1 'no incident lost model state' at graph 0.5, 0.5 center
    plot -1 notitle
}
unset multiplot
