# Empirical CDFs of RTO and RPO per incident, one curve per sweep point (a
# point keeps its colour in both panels), the key below each panel so that
# it hides no curve.
# Written by `firedrill plot --kind cdf`; run by hand with
#   gnuplot -e "term='pngcairo'; out='cdf.png'; rto='cdf_rto.dat'; rpo='cdf_rpo.dat'; nrto=1; nrpo=1; ttl='x'" plot_cdf.gp
# Optional: rto_lc, rpo_lc (the colour of each block, space-separated),
# rto_lo, rto_hi, rpo_lo, rpo_hi (each panel's range of values).
# Data: one block per point (two blank lines apart), a header line whose
# first field is the point's label, then "value cumulative_fraction".
if (!exists('rto_lc')) { rto_lc = '' }
if (!exists('rpo_lc')) { rpo_lc = '' }
if (!exists('rto_lo')) { rto_lo = NaN; rto_hi = NaN }
if (!exists('rpo_lo')) { rpo_lo = NaN; rpo_hi = NaN }
lc_of(list, i) = words(list) > i ? int(word(list, i + 1)) : i + 1
# Two key columns below each panel: the figure grows with the key.
nkey = nrto > nrpo ? nrto : nrpo
key_rows = int((nkey + 1) / 2)
h_png = 520 + 17 * key_rows
if (term eq 'pngcairo') { set terminal pngcairo size 1200,h_png noenhanced font ',10' } else { set terminal pdfcairo size 8in,(h_png/150.0)*1in noenhanced font ',8' }
set output out
set multiplot layout 1,2 title ttl
set grid
set key outside below left Left reverse maxcols 2 font ',9' samplen 2
set yrange [0:1]
set logscale x
set ylabel 'fraction of incidents'
# One value only (or all equal): a range around it rather than an empty one.
range_of(lo, hi) = (lo == lo && hi == hi && lo > 0 && hi <= lo) ? 1 : 0

# Panel titles rather than x labels: the key below would cover those.
set title 'RTO per incident with an outage [s]'
if (range_of(rto_lo, rto_hi)) { set xrange [rto_lo / 2 : rto_hi * 2]; set xtics add (sprintf('%g', rto_lo) rto_lo) } else { set xrange [*:*] }
plot for [i=0:nrto-1] rto index i using 1:2 with steps lw 2 lc lc_of(rto_lc, i) title columnheader(1)

set title 'RPO per incident that lost model state [s]'
set xtics auto
if (nrpo > 0) {
    if (range_of(rpo_lo, rpo_hi)) { set xrange [rpo_lo / 2 : rpo_hi * 2]; set xtics add (sprintf('%g', rpo_lo) rpo_lo) } else { set xrange [*:*] }
    plot for [i=0:nrpo-1] rpo index i using 1:2 with steps lw 2 lc lc_of(rpo_lc, i) title columnheader(1)
} else {
    unset logscale x
    set xrange [0:1]
    set label 1 'no incident lost model state' at graph 0.5, 0.5 center
    plot -1 notitle
}
unset multiplot
