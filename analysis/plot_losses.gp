# Where the losses of one point come from, by incident kind (every failed
# request, its revenue and SLO-missed minute is charged to one incident or to
# the background, docs/metrics.md): lost revenue per replica with its
# bootstrap interval (left) and SLO-missed minutes per replica (right). The
# point is the recommended one, or the baseline when none qualifies.
# Written by `firedrill plot --kind losses`. Variables: term, out, ttl,
# dat (losses.dat: label, lost revenue mean/lo/hi [currency], SLO-missed
# [min], incidents per replica, position), nbars, conf (CI level [%]).
if (term eq 'pngcairo') { set terminal pngcairo size 1300,560 noenhanced font ',10' } else { set terminal pdfcairo size 9in,3.9in noenhanced font ',8' }
set output out
set multiplot layout 1,2 title ttl
set grid ytics
set style fill solid 0.8 border -1
set boxwidth 0.6
set xrange [-0.6:nbars-0.4]
set yrange [0:*]
set xtics rotate by -30
set key top right
set ylabel sprintf('lost revenue per replica [currency] (mean, %.0f%% CI)', conf)
set format y '%.1s%c'
plot dat using 7:2:xtic(1) with boxes lc rgb '#d62728' notitle, \
     dat using 7:2:3:4 with yerrorbars pt 0 lc rgb '#000000' notitle
set ylabel 'SLO-missed per replica [min]'
set format y '%g'
plot dat using 7:5:xtic(1) with boxes lc rgb '#1f77b4' notitle
unset multiplot
