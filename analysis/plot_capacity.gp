# Availability and lost revenue against a numeric swept parameter, one
# curve per combination of the other swept parameters.
# Written by `firedrill plot --kind capacity`. Variables: term, out, ttl,
# dat (capacity.dat: blocks per group; x, availability by time mean/lo/hi,
# by requests mean/lo/hi, lost revenue mean/lo/hi, n), xname, logx (1:
# the values are log-spaced, a log x axis), xlo, xhi (their range), ngroups,
# conf (CI level [%]).
if (term eq 'pngcairo') { set terminal pngcairo size 1200,560 noenhanced font ',10' } else { set terminal pdfcairo size 8in,3.7in noenhanced font ',8' }
set output out
set multiplot layout 1,2 title ttl
set grid
set key bottom right
if (!exists('logx')) { logx = 0 }
set xlabel xname.(logx ? ' (log scale)' : '')
# A log axis spans the values with a margin, not whole decades.
if (logx) { set logscale x; set xrange [xlo / (xhi / xlo)**0.05 : xhi * (xhi / xlo)**0.05] } else { set offsets graph 0.05, graph 0.05, 0, 0 }
set ylabel sprintf('availability [1] (mean, %.0f%% CI)', conf)
set format y '%.5f'
plot for [i=0:ngroups-1] dat index i using 1:2:3:4 with yerrorlines lw 2 pt 7 title columnheader(1).' (time)', \
     for [i=0:ngroups-1] dat index i using 1:5:6:7 with yerrorlines lw 2 pt 5 dt 2 title columnheader(1).' (requests)'
set format y '%g'
set key top right
set ylabel sprintf('lost revenue per replica [currency] (mean, %.0f%% CI)', conf)
plot for [i=0:ngroups-1] dat index i using 1:8:9:10 with yerrorlines lw 2 pt 7 title columnheader(1)
unset multiplot
