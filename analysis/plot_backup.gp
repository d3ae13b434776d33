# Mean RPO and backup cost against the incremental backup interval T, with
# the analytic mean RPO T/2 + delta(T) (uniform fault instant, backups taking
# delta to complete) and the Young (sqrt(2 delta M)) and Daly intervals,
# drawn (and named in the key) only when they fall inside the swept interval.
# Written by `firedrill plot --kind backup`. Variables: term, out, ttl,
# sim (backup.dat: one block per combination of the other swept parameters,
# its label first, curves that would coincide written once under both
# labels; T, RPO mean/lo/hi, cost mean/lo/hi, n), ngroups, ana
# (backup_analytic.dat: T, T/2 + delta, delta), xlo, xhi (the swept T
# range [s]), xvals (the swept T values, space-separated), young, daly,
# young_in, daly_in (1 when inside the swept range), delta [s], mtbf_h
# (M [h]), conf (CI level [%]). NaN means unknown: not drawn.
if (term eq 'pngcairo') { set terminal pngcairo size 1200,560 noenhanced font ',10' } else { set terminal pdfcairo size 8in,3.7in noenhanced font ',8' }
set output out
set multiplot layout 1,2 title ttl
set grid
set logscale x
set key top left opaque
set xlabel 'incremental backup interval T [s]'
# The swept interval with a margin; several curves are nudged apart
# sideways (a few per cent of the axis) so that none hides another.
span = xhi > xlo ? xhi / xlo : 4.0
set xrange [xlo / span**0.08 : xhi * span**0.08]
# Less than a decade or two has few or no decade ticks: tick the swept values.
if (span < 30) { set xtics (); do for [w in xvals] { set xtics add (w real(w)) } }
nudge(i) = ngroups > 1 ? span**(0.012 * (i - (ngroups - 1) / 2.0)) : 1
pts = '7 5 9 11 13 15 4 6 8 10'
pt_of(i) = int(word(pts, i % 10 + 1))
# The optima: a dashed line each inside the sweep, named in the key; one
# line when they are within 1 % of each other.
one_line = young_in && daly_in && abs(young - daly) <= 0.01 * young
young_title = one_line ? sprintf('Young %.0f s = Daly %.0f s (within 1%%)', young, daly) : sprintf('Young sqrt(2 delta M) = %.0f s', young)
daly_title = sprintf('Daly = %.0f s', daly)
if (young_in) { set arrow 1 from young, graph 0 to young, graph 1 nohead back dt 2 lw 2 lc rgb '#c00000' }
if (daly_in && !one_line) { set arrow 2 from daly, graph 0 to daly, graph 1 nohead back dt 3 lw 2 lc rgb '#0060c0' }
where = (young == young) ? ((young_in || daly_in) ? '' : (young > xhi ? "\nabove the swept interval: not drawn" : "\nbelow the swept interval: not drawn")) : ''
opt_label = (young == young) ? sprintf('Young %.0f s, Daly %.0f s (delta %.0f s, M %.1f h)%s', young, daly, delta, mtbf_h, where) : 'Young/Daly: delta or M unknown'
set label 1 opt_label at graph 0.02, graph (strlen(where) ? 0.07 : 0.04) front font ',8'

set ylabel 'mean RPO [s]'
set logscale y
# The analytic curve is that of incremental backups of the base scenario.
plot for [i=0:ngroups-1] sim index i using ($1*nudge(i)):2:3:4 with yerrorlines lw 2 pt pt_of(i) \
         title sprintf('%s (mean, %.0f%% CI)', columnheader(1), conf), \
     ana using 1:2 with lines lw 2 dt 1 lc rgb '#808080' title 'analytic T/2 + delta(T), incremental', \
     NaN with lines dt 2 lw 2 lc rgb '#c00000' title (young_in ? young_title : ''), \
     NaN with lines dt 3 lw 2 lc rgb '#0060c0' title (daly_in && !one_line ? daly_title : '')

unset logscale y
set key top right opaque # costs fall with T: the upper right is the emptiest corner
set ylabel 'backup cost per replica [currency]'
plot for [i=0:ngroups-1] sim index i using ($1*nudge(i)):5:6:7 with yerrorlines lw 2 pt pt_of(i) \
         title sprintf('%s (mean, %.0f%% CI)', columnheader(1), conf), \
     NaN with lines dt 2 lw 2 lc rgb '#c00000' title (young_in ? young_title : ''), \
     NaN with lines dt 3 lw 2 lc rgb '#0060c0' title (daly_in && !one_line ? daly_title : '')
unset multiplot
