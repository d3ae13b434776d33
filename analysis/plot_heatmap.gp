# A 2-D sweep: mean cost per year of each point over the two swept
# parameters (left; colour scale, value printed) and whether it meets the
# RTO/RPO targets (right; green meets, orange misses RTO, purple misses RPO,
# red misses both). "*" marks the recommended point.
# Written by `firedrill plot --kind heatmap`. Variables: term, out, ttl,
# dat (heatmap.dat: x position, y position, cost, feasibility colour,
# feasibility text, cost as text, point index), xtl, ytl (tics lists),
# xname, yname, nx, ny, cblog (log colour scale), cblab.
if (term eq 'pngcairo') { set terminal pngcairo size 1400,600 noenhanced font ',10' } else { set terminal pdfcairo size 9.5in,4.1in noenhanced font ',8' }
set output out
set multiplot layout 1,2 title ttl
set xrange [-0.5:nx-0.5]
set yrange [-0.5:ny-0.5]
eval('set xtics '.xtl)
eval('set ytics '.ytl)
if (nx > 6) { set xtics rotate by -30 }
set xlabel xname
set ylabel yname
set style fill solid 1.0 border lc rgb '#ffffff'
set palette defined (0 '#ffffcc', 0.5 '#fd8d3c', 1 '#800026')
if (cblog) { set logscale cb }
set format cb '%.4s%c'
set title sprintf('mean cost [%s]', cblab)
plot dat using 1:2:(0.5):(0.5):3 with boxxyerror fc palette notitle, \
     dat using 1:2:6 with labels font ',9' notitle
unset colorbox
unset logscale cb
set title 'targets'
unset ylabel
plot dat using 1:2:(0.5):(0.5):4 with boxxyerror fc rgb variable notitle, \
     dat using 1:2:5 with labels font ',9' notitle
unset multiplot
