#!/bin/sh
# kbench_check.sh - does a boot log of tests/bench/kbench.c have its lines?
#
#   kbench_check.sh LOGFILE [FIGURE...]
#
# The suite's smoke test of the benchmark kernel: it boots kbench with
# `bench-small` under TCG (where the numbers say nothing about speed) and
# asks only whether every figure ran to its end and printed a line that
# tests/bench/bench.sh can read. Exit 0 if the log has `bench: ready`,
# then `bench: done`, and each FIGURE named has exactly one line, and it
# is well formed:
#     bench: FIGURE n COUNT ns TOTAL
#     bench: FIGURE n SAMPLES p50 A p99 B max C
# every number a positive integer (no sign, no leading zero), and
# A <= B <= C. A `bench: FIGURE not available: ...` line, a second line
# for the figure, or a malformed one is a failure. Otherwise each problem
# is printed (one line each, "kbench_check: ...") and it exits 1; 2 for a
# usage error or a log it cannot read. POSIX sh and awk; the \r the
# kernel's console ends its lines with is ignored.
set -u
if [ $# -lt 1 ]; then
    echo "usage: kbench_check.sh LOGFILE [FIGURE...]" >&2
    exit 2
fi
log=$1; shift
if [ ! -r "$log" ]; then
    echo "kbench_check: cannot read $log" >&2
    exit 2
fi
awk -v figs="$*" '
function posint(s) { return s ~ /^[1-9][0-9]*$/ }
# Why line (fields $1..$NF) is not a well-formed line for its figure, or "".
function malformed(   i) {
    if (NF == 6 && $3 == "n" && $5 == "ns") {
        if (!posint($4) || !posint($6))
            return "n and ns must be positive integers"
        return ""
    }
    if (NF == 10 && $3 == "n" && $5 == "p50" && $7 == "p99" && $9 == "max") {
        for (i = 4; i <= 10; i += 2)
            if (!posint($i))
                return "n, p50, p99 and max must be positive integers"
        if ($6 + 0 > $8 + 0 || $8 + 0 > $10 + 0)
            return "not p50 <= p99 <= max"
        return ""
    }
    return "not \"n COUNT ns TOTAL\" nor \"n N p50 A p99 B max C\""
}
BEGIN {
    nfig = split(figs, fig, " ")
    for (i = 1; i <= nfig; i++)
        want[fig[i]] = 1
}
{ sub(/\r+$/, "") }
$0 == "bench: ready" { if (!ready) ready = NR; next }
$0 == "bench: done" { if (!done) done = NR; next }
$1 == "bench:" && ($2 in want) {
    lines[$2]++
    if ($3 == "not" && $4 == "available:") {
        bad[$2] = bad[$2] "\n" $2 ": " substr($0, index($0, "not available"))
        next
    }
    why = malformed()
    if (why != "")
        bad[$2] = bad[$2] "\n" $2 ": " why ": " $0
    else
        good[$2]++
}
END {
    err = 0
    if (!ready) { print "kbench_check: no \"bench: ready\" line"; err = 1 }
    if (!done) { print "kbench_check: no \"bench: done\" line (the run did not end)"; err = 1 }
    if (ready && done && done < ready) {
        print "kbench_check: \"bench: done\" comes before \"bench: ready\""; err = 1
    }
    for (i = 1; i <= nfig; i++) {
        f = fig[i]
        if (seen[f]++)
            continue
        if (!lines[f]) {
            print "kbench_check: " f ": no line"; err = 1; continue
        }
        if (bad[f] != "") {
            n = split(substr(bad[f], 2), msg, "\n")
            for (j = 1; j <= n; j++)
                print "kbench_check: " msg[j]
            err = 1
        }
        if (lines[f] > 1) {
            print "kbench_check: " f ": " lines[f] " lines, not one"; err = 1
        }
    }
    exit err
}' "$log"
