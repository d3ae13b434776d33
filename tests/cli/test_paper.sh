# The paper's template check (paper/build.sh --check-template), without the
# runs: the template's placeholders are exactly those build.sh fills, its
# citations and cross-references resolve, the committed paper.md has nothing
# left to fill; and each of these checks fails when it should. The committed
# paper.pdf is checked too where poppler-utils is installed (make paper-deps).
source "$(dirname "$0")/lib.sh"

check=paper/build.sh
expect_status 0 "the shipped template and paper.md pass" -- bash "$check" --check-template
expect_match "$out" 'placeholders, [0-9]+ cited keys, cross-references resolve; paper.md has no placeholder left' \
    "the check says what it checked"

# a placeholder build.sh does not fill
sed 's/^# Introduction {#sec:intro}$/# Introduction {#sec:intro}\n\nSee @NOT_FILLED_ANYWHERE@./' paper/paper.md.in >"$tmp/unknown.md.in"
expect_status 1 "an unknown placeholder fails" -- bash "$check" --check-template "$tmp/unknown.md.in"
expect_match "$err" '@NOT_FILLED_ANYWHERE@ is not a placeholder build.sh fills' "it names the unknown placeholder"

# a placeholder build.sh fills that the template dropped
grep -v '^@DALY_TABLE@$' paper/paper.md.in >"$tmp/dropped.md.in"
expect_status 1 "a placeholder the template no longer uses fails" -- bash "$check" --check-template "$tmp/dropped.md.in"
expect_match "$err" 'fills @DALY_TABLE@, which the template does not use' "it names the dropped placeholder"

# lower case between at-signs is a typo, not text
sed 's/@VERSION@/@Version@/' paper/paper.md.in >"$tmp/case.md.in"
expect_status 1 "a lower-case placeholder fails" -- bash "$check" --check-template "$tmp/case.md.in"
expect_match "$err" '@Version@: placeholders are upper case' "it names the typo"

# a citation that is not in references.bib, a dangling cross-reference, a caption without a label
sed 's/\[@young1974; @daly2006\]/[@young1974; @nobody1999]/' paper/paper.md.in >"$tmp/cite.md.in"
expect_status 1 "an unknown citation key fails" -- bash "$check" --check-template "$tmp/cite.md.in"
expect_match "$err" '\[@nobody1999\] is not a key of' "it names the key"
sed 's/\[@tbl:validation\]/[@tbl:nowhere]/' paper/paper.md.in >"$tmp/xref.md.in"
expect_status 1 "a cross-reference to no label fails" -- bash "$check" --check-template "$tmp/xref.md.in"
expect_match "$err" 'undefined label tbl:nowhere' "it names the label"
sed 's/ {#tbl:daly}$//' paper/paper.md.in >"$tmp/nolabel.md.in"
expect_status 1 "a table caption without a label fails" -- bash "$check" --check-template "$tmp/nolabel.md.in"
expect_match "$err" 'table caption without \{#tbl:NAME\}' "it says what is missing"

# the committed paper.md with a placeholder left in it
sed '0,/^# 1 Introduction$/s//# 1 Introduction\n\n@STRATEGY_TABLE@/' paper/paper.md >"$tmp/paper.md"
expect_status 1 "a paper.md with a placeholder left fails" -- bash "$check" --check-template paper/paper.md.in "$tmp/paper.md"
expect_match "$err" '@STRATEGY_TABLE@' "it shows the placeholder left"
expect_status 1 "a missing paper.md fails" -- bash "$check" --check-template paper/paper.md.in "$tmp/none.md"

# the committed PDF, where poppler-utils can read it
if command -v pdfinfo >/dev/null && command -v pdftotext >/dev/null; then
    expect_status 0 "paper.pdf is readable" -- pdfinfo paper/paper.pdf
    pages=$(awk '/^Pages:/ { print $2 }' <<<"$out")
    expect_match "${pages:-0}" '^([89]|[1-9][0-9]+)$' "paper.pdf has at least 8 pages ($pages)"
    pdftotext -layout paper/paper.pdf "$tmp/paper.txt"
    expect_match "$(grep -c '^ *References *$' "$tmp/paper.txt")" '^[1-9]' "paper.pdf has a References section"
    expect_match "$(grep -cE '@[A-Za-z][A-Za-z0-9_]*@|\[@' "$tmp/paper.txt")" '^0$' "paper.pdf has no placeholder or unresolved citation"
else
    echo "skip: paper.pdf checks (no pdfinfo/pdftotext; make paper-deps installs them)"
fi
finish
