#!/bin/sh
# tally.sh [RUNS.tsv] - the fuzzing record as a Markdown table, one row per
# target: its latest run without a finding (fuzz.sh writes one line per
# run to build/fuzz/runs.tsv), and how many runs of it ended in a finding.
# A clean run is the latest that ended without a finding.
# book/hardening.md's tally is this table.
set -eu
tsv=${1:-$(dirname "$0")/../../build/fuzz/runs.tsv}
[ -r "$tsv" ] || { echo "tally: no record at $tsv (run ./run fuzz first)" >&2; exit 1; }
echo "| Target | Seconds | Executions | Per second | Coverage (edges) | Corpus | Runs with a finding |"
echo "|---|---|---|---|---|---|---|"
awk -F'\t' '
    { t = $2 }
    $8 != "no finding" { found[t]++; if (!(t in order)) order[t] = ++n; next }
    !(t in order) { order[t] = ++n }
    { line[t] = $0 }
    END {
        for (t in order) name[order[t]] = t
        for (i = 1; i <= n; i++) {
            t = name[i]
            if (!(t in line)) { printf "| `%s` | | | | | | %d (no clean run yet) |\n", t, found[t]; continue }
            split(line[t], f, "\t")
            printf "| `%s` | %s | %s | %s | %s | %s | %d |\n", t, f[3], f[4], f[5], f[6], f[7], found[t]
        }
    }' "$tsv"
