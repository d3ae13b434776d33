# The cost/risk frontier: each point's mean cost (total cost per year, or
# backup cost for files without it) with its bootstrap interval against the
# one-sided upper bound of the RTO statistic (left, rto_p95_s) and of the RPO
# statistic (right, rpo_max_s). Green: meets the targets, red: misses them.
# Pareto-optimal points (no other point at least as cheap and as safe) are
# joined by a line; the targets are dashed vertical lines; "*" marks the
# recommended point.
# Written by `firedrill plot --kind frontier`. Variables: term, out, ttl,
# rto_dat, rpo_dat (frontier_rto.dat, frontier_rpo.dat: index 0 bound, cost,
# cost lo/hi, colour, label; index 1 the Pareto points sorted by bound),
# n_rto, n_rpo (points with a bound), have_rto, rto_max, have_rpo, rpo_max
# (targets [s]), rtoxlog/rtoxlo/rtoxhi, rpoxlog/rpoxlo/rpoxhi, ylog/ylo/yhi
# (axes), ylab, conf.
if (term eq 'pngcairo') { set terminal pngcairo size 1300,580 noenhanced font ',10' } else { set terminal pdfcairo size 9in,4in noenhanced font ',8' }
set output out
set multiplot layout 1,2 title ttl
set grid
set key below
set ylabel ylab
set format y '%.1s%c'
if (ylog) { set logscale y }
set yrange [ylo:yhi]
do for [panel=1:2] {
    dat = panel == 1 ? rto_dat : rpo_dat
    n = panel == 1 ? n_rto : n_rpo
    have = panel == 1 ? have_rto : have_rpo
    target = panel == 1 ? rto_max : rpo_max
    lg = panel == 1 ? rtoxlog : rpoxlog
    unset arrow
    unset label
    unset logscale x
    if (lg) { set logscale x }
    set xrange [(panel == 1 ? rtoxlo : rpoxlo):(panel == 1 ? rtoxhi : rpoxhi)]
    set xlabel (panel == 1 ? 'upper bound of mean per-replica p95 RTO [s]' : 'upper bound of mean per-replica max RPO [s]')
    if (have) {
        set arrow from target, graph 0 to target, graph 1 nohead dt 2 lw 2 lc rgb '#555555'
        set label sprintf('target %g s', target) at target, graph 0.97 right offset -0.5,0 textcolor rgb '#555555'
    }
    if (n > 0) {
        plot dat index 1 using 1:2 with linespoints lw 2 pt 6 ps 2.6 lc rgb '#1f77b4' title 'Pareto-optimal', \
             dat index 0 using 1:2:3:4:5 with yerrorbars pt 7 ps 1.3 lc rgb variable notitle, \
             dat index 0 using 1:2:6 with labels left offset 0.8,0.6 notitle
    } else {
        set label 'no point has a bound' at graph 0.5, graph 0.5 center
        plot 1/0 notitle
    }
}
unset multiplot
