# Each point's one-sided upper bound of the RTO statistic (left, mean
# per-replica p95 RTO) and the RPO statistic (right, mean per-replica largest
# RPO) as triangles (green: meets the target, red: misses it), the mean with
# its two-sided interval as a dot with error bars, and the target as a dashed
# line. "*" marks the recommended point.
# Written by `firedrill plot --kind bounds`. Variables: term, out, ttl,
# dat (bounds.dat: position, label, RTO mean/lo/hi/bound/colour, RPO
# mean/lo/hi/bound/colour), npoints, n_rto, n_rpo (values present),
# have_rto, rto_max, have_rpo, rpo_max (targets [s]),
# rtoylog/rtoylo/rtoyhi, rpoylog/rpoylo/rpoyhi (axes).
if (term eq 'pngcairo') { set terminal pngcairo size 1300,560 noenhanced font ',10' } else { set terminal pdfcairo size 9in,3.9in noenhanced font ',8' }
set output out
set multiplot layout 1,2 title ttl
set grid ytics
set key top left
set xrange [-0.6:npoints-0.4]
if (npoints > 3) { set xtics rotate by -25 }
do for [panel=1:2] {
    c = panel == 1 ? 3 : 8
    n = panel == 1 ? n_rto : n_rpo
    have = panel == 1 ? have_rto : have_rpo
    target = panel == 1 ? rto_max : rpo_max
    unset arrow
    unset label
    unset logscale y
    if (panel == 1 ? rtoylog : rpoylog) { set logscale y }
    set yrange [(panel == 1 ? rtoylo : rpoylo):(panel == 1 ? rtoyhi : rpoyhi)]
    set ylabel (panel == 1 ? 'RTO statistic: per-replica p95 RTO [s]' : 'RPO statistic: per-replica max RPO [s]')
    if (have) {
        set arrow from graph 0, first target to graph 1, first target nohead dt 2 lw 2 lc rgb '#555555'
        set label sprintf('target %g s', target) at graph 0.99, first target right offset 0,0.7 textcolor rgb '#555555'
    }
    if (n > 0) {
        plot dat using 1:c:(column(c+1)):(column(c+2)):xtic(2) with yerrorbars pt 7 ps 1 lc rgb '#333333' title 'mean', \
             dat using 1:(column(c+3)):(column(c+4)) with points pt 9 ps 2 lc rgb variable title 'upper bound'
    } else {
        set label 'no replica has a value' at graph 0.5, graph 0.5 center
        plot dat using 1:(1/0):xtic(2) notitle
    }
}
unset multiplot
