# One replica's incidents over simulated time, one row per incident kind:
# the fault's own duration (thick grey), the RTO window from onset until the
# service meets its SLO again (red, below, labelled with its length), the onset (dot; a cross for a
# false alarm). The per-request traffic trace is not stored in results
# files yet, so traffic, capacity and latency are not drawn.
# Written by `firedrill plot --kind timeline`. Variables: term, out, ttl,
# dat (timeline.dat: row, onset [d], fault end [d], RTO end [d], false alarm, kind,
# RTO as text),
# kinds (a ytics list), nkinds, horizon_d.
if (term eq 'pngcairo') { set terminal pngcairo size 1200,140+60*nkinds noenhanced font ',10' } else { set terminal pdfcairo size 8in,(1.2+0.4*nkinds)*1in noenhanced font ',8' }
set output out
set title ttl font ',9'
set grid xtics
set xlabel 'simulated time [days]'
if (horizon_d == horizon_d) { set xrange [0:horizon_d] } else { set xrange [0:*] }
set yrange [-0.7:nkinds-0.3]
eval('set ytics '.kinds)
set bmargin 5
set key at screen 0.5, screen 0.03 center horizontal
plot dat using 2:1:($3-$2):(0) with vectors nohead lw 8 lc rgb '#909090' title 'fault duration', \
     dat using 2:($1-0.22):($4-$2):(0) with vectors nohead lw 5 lc rgb '#d00000' title 'RTO window', \
     dat using 2:($5 == 0 ? $1 : NaN) with points pt 7 ps 0.8 lc rgb '#000000' title 'onset', \
     dat using 2:($5 != 0 ? $1 : NaN) with points pt 2 ps 1.2 lc rgb '#0060c0' title 'false alarm', \
     dat using 4:($1-0.22):7 with labels left offset 0.5,0 font ',7' tc rgb '#d00000' notitle
