# results.awk - turn a benchmark run's samples into its table
# (tests/bench/bench.sh; tests/bench/results_test.sh checks it).
#
#   awk -F'\t' -f results.awk -v skips=F -v sizes=F -v reran=F -v hdr=H \
#       -v clone_result=F SAMPLES ROWS > results.tsv
#
# SAMPLES: figure, side, value (one sample per line; a side NAME-min and
# NAME-max beside NAME means the program took the median itself, as
# hostbench does, and these are its lowest and highest). ROWS: id, the
# samples' figure, unit, the other side (a side, or const:VALUE for a bar
# that is published or budgeted rather than measured, or -), its label,
# the target on ours/other (<=X, >=X or -), title. skips: figure prefix,
# why it was not measured (the longest prefix of a row's figure wins).
#
# Out, per row: id, title, unit, ours (median), its low, high, other's
# label, other (median or the bar), its low, high, ratio (ours/other),
# target, verdict (met, missed, info, or "not measured: why"), note, the
# number of runs of ours. A bar's low and high are "const". The median of an even count is the mean of the
# middle two.
function median(side,   n, i, j, t, a) {
    n = cnt[fig, side]
    for (i = 1; i <= n; i++) a[i] = val[fig, side, i]
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    lo = a[1]; hi = a[n]
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
BEGIN {
    while ((getline l < skips) > 0) { split(l, part, "\t"); why[part[1]] = part[2] }
    while ((getline l < sizes) > 0) { split(l, part, "\t"); size_note[part[1]] = sprintf("text %d, data %d, bss %d bytes", part[2], part[3], part[4]) }
    nre = 0; while ((getline l < reran) > 0) nre++
    if ((getline cr < clone_result) <= 0) cr = ""
}
FNR == NR { cnt[$1, $2]++; val[$1, $2, cnt[$1, $2]] = $3; next }
{
    id = $1; fig = $2; unit = $3; other = $4; label = $5; target = $6; title = $7
    note = ""
    if (fig in size_note) note = size_note[fig]
    if (id == "build-touch" && nre > 0) note = nre " tests re-ran after touching " hdr
    if (id == "test-clean" && cr != "") note = cr
    reason = ""; rk = ""
    for (k in why) if (index(fig, k) == 1 && length(k) > length(rk)) { reason = why[k]; rk = k }
    ours = "-"; oth = "-"; ratio = "-"; verdict = "info"; olo = ohi = plo = phi = ""
    if (cnt[fig, "ours"] == 0) { verdict = "not measured: " (reason != "" ? reason : "no samples") }
    else {
        if (cnt[fig, "ours-min"] > 0) { o = val[fig, "ours", 1]; olo = val[fig, "ours-min", 1]; ohi = val[fig, "ours-max", 1] }
        else { o = median("ours"); olo = lo; ohi = hi }
        ours = o
        if (other ~ /^const:/) { p = substr(other, 7) + 0; oth = p; plo = phi = "const" }
        else if (other == "-") p = ""
        else if (cnt[fig, other "-min"] > 0) { p = val[fig, other, 1]; plo = val[fig, other "-min", 1]; phi = val[fig, other "-max", 1]; oth = p }
        else if (cnt[fig, other] > 0) { p = median(other); plo = lo; phi = hi; oth = p }
        else { p = ""; verdict = "not measured (" label "): " (reason != "" ? reason : "no samples") }
        if (p != "" && p > 0) {
            ratio = o / p
            if (target ~ /^<=/) verdict = ratio <= substr(target, 3) + 0 ? "met" : "missed"
            else if (target ~ /^>=/) verdict = ratio >= substr(target, 3) + 0 ? "met" : "missed"
        }
    }
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, title, unit,
        ours, olo, ohi, label, oth, plo, phi, ratio, target, verdict, note, cnt[fig, "ours"] + 0
}
