# One replica over simulated time. Bottom: its incidents, one row per
# incident kind: the fault's own duration (thick grey), the RTO window from
# onset until the service meets its SLO again (red, below, labelled with its
# length), the onset (dot; a cross for a false alarm). Top, when the file was
# written with `firedrill run --trace`: offered load and serving capacity
# (requests/s) with the serving model's version (a step at each bad push,
# rollback and restore from backup; red while a bad model serves), the p99
# latency and the share of requests that failed.
# Written by `firedrill plot --kind timeline`. Variables: term, out, ttl,
# dat (timeline.dat: row, onset, fault end, RTO end, false alarm, kind,
# RTO as text; times in tunit), kinds (a ytics list), nkinds, xmin, xmax
# (the window or the horizon, in tunit: 'min', 'h' or 'd'), ninc, nonset,
# nfa, nrto, nfault (incidents drawn; onsets, false alarms, RTO windows and
# faults with a duration among them: the key lists only what is drawn),
# series (timeline_series.dat: time, offered, capacity, p99 [s], failed
# share, model version, bad model 0/1; "" when absent), vtics (a y2tics
# list of the model versions present), vmin, vmax, nbad (segments served
# by a bad model).
if (!exists('tunit')) { tunit = 'd' }
if (!exists('xmin')) { xmin = 0; xmax = exists('horizon_d') ? horizon_d : NaN }
if (!exists('ninc')) { ninc = 1; nonset = 1; nfa = 1; nrto = 1; nfault = 1 }
if (!exists('vtics')) { vtics = ''; vmin = NaN; vmax = NaN; nbad = 1 }
have_series = strlen(series) > 0
h_incidents = 140 + 60 * (nkinds > 0 ? nkinds : 1)
h_total = have_series ? h_incidents + 520 : h_incidents
if (term eq 'pngcairo') { set terminal pngcairo size 1200,h_total noenhanced font ',10' } else { set terminal pdfcairo size 8in,(h_total/100.0)*1in noenhanced font ',8' }
set output out
if (xmax == xmax) { set xrange [xmin:xmax] } else { set xrange [xmin:*] }
if (have_series) {
    set multiplot title ttl font ',9'
    f_inc = 1.0 * h_incidents / h_total
    f_top = (1.0 - f_inc) / 2
    # load and capacity
    set size 1, f_top
    set origin 0, 1 - f_top
    set lmargin 17
    set rmargin 12
    set tmargin 2.5
    set grid
    unset xlabel
    set format x ''
    set ylabel 'requests/s'
    set key top right horizontal font ',8'
    # The model version: integer ticks at the versions present only.
    set y2label 'model version'
    if (vmin == vmin) { set y2range [vmin - 0.5 : vmax + 0.5] } else { set y2range [-0.5:0.5] }
    if (strlen(vtics) > 0) { eval('set y2tics '.vtics) } else { set y2tics 1 }
    set ytics nomirror
    plot series using 1:2 with steps lw 1.5 lc rgb '#3060c0' title 'offered', \
         series using 1:3 with steps lw 1.2 lc rgb '#20a040' title 'capacity', \
         series using 1:6 axes x1y2 with steps lw 1.2 lc rgb '#606060' title 'model version', \
         series using 1:($7 > 0 ? $6 : NaN) axes x1y2 with points pt 7 ps 0.6 lc rgb '#d00000' title (nbad > 0 ? 'bad model serving' : '')
    set y2tics auto
    # latency and failures
    set tmargin
    set origin 0, f_inc
    set logscale y
    set ylabel 'p99 latency [s]'
    set y2label 'failed share'
    set y2range [0:1]
    set y2tics
    plot series using 1:4 with steps lw 1.5 lc rgb '#d07000' title 'p99 latency', \
         series using 1:5 axes x1y2 with steps lw 1.2 lc rgb '#d00000' title 'failed share'
    unset logscale y
    unset y2label
    unset y2tics
    set ytics mirror
    set format x '%g'
    set size 1, f_inc
    set origin 0, 0
    unset title
    unset ylabel
} else {
    set title ttl font ',9'
}
set grid xtics
set lmargin 17 # room for the longest kind name
set xlabel 'simulated time ['.(tunit eq 'd' ? 'days' : tunit).']'
set bmargin 5
set key at screen 0.5, screen 12.0 / h_total center horizontal # below the x label, whatever the height
if (ninc > 0) {
    set yrange [-0.7:nkinds-0.3]
    eval('set ytics '.kinds)
    plot dat using 2:1:($3-$2):(0) with vectors nohead lw 8 lc rgb '#909090' title (nfault > 0 ? 'fault duration' : ''), \
         dat using 2:($1-0.22):($4-$2):(0) with vectors nohead lw 5 lc rgb '#d00000' title (nrto > 0 ? 'RTO window' : ''), \
         dat using 2:($5 == 0 ? $1 : NaN) with points pt 7 ps 0.8 lc rgb '#000000' title (nonset > 0 ? 'onset' : ''), \
         dat using 2:($5 != 0 ? $1 : NaN) with points pt 2 ps 1.2 lc rgb '#0060c0' title (nfa > 0 ? 'false alarm' : ''), \
         dat using 4:($1-0.22):7 with labels left offset 0.5,0 font ',7' tc rgb '#d00000' notitle
} else {
    set yrange [-1:1]
    unset ytics
    set label 2 'no incident in this window' at graph 0.5, graph 0.5 center
    plot NaN notitle
}
if (have_series) { unset multiplot }
