# Mean RPO and backup cost against the incremental backup interval T, with
# the analytic mean RPO T/2 + delta(T) (uniform fault instant, backups taking
# delta to complete) and the Young (sqrt(2 delta M)) and Daly intervals.
# Written by `firedrill plot --kind backup`. Variables: term, out, ttl,
# sim (backup.dat: one block per combination of the other swept parameters,
# its label first; T, RPO mean/lo/hi, cost mean/lo/hi, n), ngroups, ana
# (backup_analytic.dat: T, T/2 + delta, delta), young, daly, delta [s],
# mtbf_h (M [h]), conf (CI level [%]). NaN means unknown: not drawn.
if (term eq 'pngcairo') { set terminal pngcairo size 1200,560 noenhanced font ',10' } else { set terminal pdfcairo size 8in,3.7in noenhanced font ',8' }
set output out
set multiplot layout 1,2 title ttl
set grid
set logscale x
set key top left
set xlabel 'incremental backup interval T [s]'
set offsets graph 0.05, graph 0.05, 0, 0
opt_label = (young == young) ? sprintf('Young %.0f s, Daly %.0f s (delta %.0f s, M %.1f h)', young, daly, delta, mtbf_h) : 'Young/Daly: delta or M unknown'
if (young == young) {
    set arrow 1 from young, graph 0 to young, graph 1 nohead dt 2 lw 2 lc rgb '#c00000'
    set arrow 2 from daly, graph 0 to daly, graph 1 nohead dt 3 lw 2 lc rgb '#0060c0'
}
set label 1 opt_label at graph 0.02, graph 0.04 front font ',8'

set ylabel 'mean RPO [s]'
set logscale y
# The analytic curve is that of incremental backups of the base scenario.
plot for [i=0:ngroups-1] sim index i using 1:2:3:4 with yerrorlines lw 2 pt 7 \
         title sprintf('%s (mean, %.0f%% CI)', columnheader(1), conf), \
     ana using 1:2 with lines lw 2 dt 1 lc rgb '#808080' title 'analytic T/2 + delta(T), incremental'

unset logscale y
set ylabel 'backup cost per replica [currency]'
plot for [i=0:ngroups-1] sim index i using 1:5:6:7 with yerrorlines lw 2 pt 7 \
         title sprintf('%s (mean, %.0f%% CI)', columnheader(1), conf)
unset multiplot
