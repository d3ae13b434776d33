# Mean RTO split into its parts, stacked, one bar per sweep point, with the
# mean RTO itself as a dot on the bar's top (the parts add up to the RTO;
# docs/metrics.md).
# Written by `firedrill plot --kind rto_parts`. Variables: term, out, ttl,
# dat (rto_parts.dat: label, eight parts [s], mean RTO [s], bar position, n,
# tick: the label wrapped to the bar's width, lines joined by '|'), nbars,
# nlines (the most lines of a tick label), width_px (the PNG's width).
if (!exists('nlines')) { nlines = 1 }
if (!exists('width_px')) { width_px = 1000 }
h_px = 560 + 16 * nlines
if (term eq 'pngcairo') { set terminal pngcairo size width_px,h_px noenhanced font ',10' } else { set terminal pdfcairo size (width_px/140.0)*1in,(h_px/140.0)*1in noenhanced font ',8' }
set output out
set title ttl
set grid ytics
set key outside right top
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set ylabel 'mean time per incident with an outage [s]'
set yrange [0:*]
# Tick labels: '|' starts a new line; the bottom margin holds them all.
lines_of(s) = strstrt(s, '|') == 0 ? s : s[1:strstrt(s, '|') - 1]."\n".lines_of(s[strstrt(s, '|') + 1:])
set bmargin nlines + 4
plot for [i=2:9] dat using i:xtic(lines_of(strcol(13))) title columnheader(i), \
     dat using 11:10 with points pt 7 ps 1.5 lc rgb '#000000' title 'mean RTO'
