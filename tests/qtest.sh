#!/bin/sh
# qtest.sh BBVM SCRIPT - replay a qtest transcript on bbvm's CPU-less board
# (`bbvm --qtest`, book/qtest.md) and check every answer.
#
# A transcript (tests/qtest/*.qt) mixes what is sent and what must come
# back, in order:
#   REQUEST            a request line, sent as it is
#   < ANSWER           a line bbvm must answer (OK, FAIL, IRQ and MSI lines)
#   [R +T] REQUEST     QEMU's own qtest log: a request ...
#   [S +T] ANSWER      ... and its answer (T, the time stamp, is ignored)
#   #! args ARGS       extra bbvm arguments (before --qtest's requests)
#   #! status N        the exit status bbvm must end with (default 0)
#   # ...              a comment; blank lines are skipped
# `< FAIL line N: *` matches any FAIL for that line: the reason is for
# people, the line number and the FAIL are the contract.
# The script runs twice: the answers must match the transcript both times
# and each other, byte for byte (virtual time makes a run repeatable).
set -eu
bbvm=$1 script=$2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

awk -v req="$t/req" -v want="$t/want" -v meta="$t/meta" '
    /^#! args /   { sub(/^#! args /, ""); print "args " $0 > meta; next }
    /^#! status / { print "status " $3 > meta; next }
    /^#/ || /^[ \t]*$/ { next }
    /^< /         { sub(/^< /, ""); print > want; next }
    /^\[R \+[^]]*\] / { sub(/^\[R \+[^]]*\] /, ""); print > req; next }
    /^\[S \+[^]]*\] / { sub(/^\[S \+[^]]*\] /, ""); print > want; next }
    { print > req }
' "$script"
touch "$t/req" "$t/want" "$t/meta"
args=$(sed -n 's/^args //p' "$t/meta")
want_status=$(sed -n 's/^status //p' "$t/meta")
want_status=${want_status:-0}

for run in 1 2; do
    status=0
    # shellcheck disable=SC2086 # ARGS are words
    "$bbvm" --qtest $args < "$t/req" > "$t/got$run" 2> "$t/err$run" || status=$?
    if [ "$status" -ne "$want_status" ]; then
        echo "qtest: run $run exited $status, want $want_status; stderr:"
        cat "$t/err$run"
        exit 1
    fi
done
if ! cmp -s "$t/got1" "$t/got2"; then
    echo "qtest: two runs of the same script answered differently:"
    diff -u "$t/got1" "$t/got2" || true
    exit 1
fi
# Compare line by line; a wanted "FAIL line N: *" matches any reason.
if ! awk -v wantf="$t/want" '
    { got[NR] = $0 } END {
        n = 0; while ((getline w < wantf) > 0) want[++n] = w
        bad = 0
        for (i = 1; i <= (n > NR ? n : NR); i++) {
            w = want[i]; g = got[i]
            if (w ~ /^FAIL line [0-9]+: \*$/) { sub(/\*$/, "", w); ok = substr(g, 1, length(w)) == w }
            else ok = w == g
            if (!ok) { printf "qtest: answer %d: want \"%s\", got \"%s\"\n", i, w, g; bad = 1 }
        }
        exit bad
    }' "$t/got1"; then
    echo "qtest: stderr of the run:"
    cat "$t/err1"
    exit 1
fi
echo "qtest: $(wc -l < "$t/req") requests, $(wc -l < "$t/got1") answers, all as the transcript says (twice)"
