#!/bin/sh
# fuzz.sh - build the fuzz targets with libFuzzer and run them: `./run fuzz`.
#
#   fuzz.sh [--runs N] [--save] [TARGET|all] [SECONDS]
#
# Each target (fuzz/targets) is built by clang with -fsanitize=fuzzer,
# address,undefined into build/fuzz/, then fuzzed for SECONDS (default 60)
# or N executions, whichever comes first, starting from its corpus in
# tests/fuzz/corpus/NAME/. New inputs go to build/fuzz/NAME.new/, never into
# the repository, unless --save: then the corpus is merged (libFuzzer's
# -merge=1 keeps only inputs that add coverage) back into tests/fuzz/
# corpus/NAME/, the way the corpora in the tree were made.
#
# Limits for every input (book/hardening.md): 5 s of time (-timeout: a
# hang is a finding), 1 GiB of resident memory and no single allocation
# over 256 MiB (-rss_limit_mb, -malloc_limit_mb). A finding is written to
# build/fuzz/findings/NAME-crash-* (or -timeout-, -oom-, -leak-); keep it as
# tests/fuzz/corpus/NAME/crash-WHAT once fixed, so `./run test` replays it.
#
# One line per target goes to build/fuzz/runs.tsv: date, target, seconds,
# executions, executions per second, coverage (edges), corpus size,
# findings. The book's tally is made from it.
set -eu
cd "$(dirname "$0")/.."                 # tests/
root=$(cd .. && pwd)
out=$root/build/fuzz
runs= save= target=all secs=60
while [ $# -gt 0 ]; do
    case $1 in
    --runs) [ $# -ge 2 ] || { echo "fuzz: --runs needs a number" >&2; exit 2; }; runs=$2; shift 2 ;;
    --save) save=1; shift ;;
    -*) echo "fuzz: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] && { target=$1; shift; }
[ $# -ge 1 ] && { secs=$1; shift; }
[ $# -eq 0 ] || { echo "fuzz: unexpected argument '$1'" >&2; exit 2; }
case $secs in ''|*[!0-9]*) echo "fuzz: SECONDS must be a number, not '$secs'" >&2; exit 2 ;; esac
case $runs in *[!0-9]*) echo "fuzz: --runs must be a number, not '$runs'" >&2; exit 2 ;; esac

list=$(grep -v '^[[:space:]]*\(#\|$\)' fuzz/targets | cut -d'|' -f1 | tr -d ' \t')
if [ "$target" != all ]; then
    echo "$list" | grep -qx -- "$target" || {
        echo "fuzz: no target '$target'; the targets are:" $list >&2; exit 2; }
    list=$target
fi
mkdir -p "$out/findings"
CFLAGS="-std=c11 -O1 -g -Wall -Wextra -Werror -I$root/hdr -Ifuzz -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fsanitize-coverage-ignorelist=fuzz/coverage.ignore"
found=0
for name in $list; do
    line=$(grep -v '^[[:space:]]*#' fuzz/targets | awk -F'|' -v n="$name" '{ t = $1; gsub(/[ \t]/, "", t) } t == n')
    flags=$(echo "$line" | cut -d'|' -f2) srcs=$(echo "$line" | cut -d'|' -f3)
    echo "==> fuzz $name: building"
    # shellcheck disable=SC2086 # word lists
    clang $CFLAGS $flags $srcs -o "$out/$name"
    mkdir -p "$out/$name.new" "fuzz/corpus/$name"
    dict=
    [ -f "fuzz/$name.dict" ] && dict=-dict=fuzz/$name.dict
    echo "==> fuzz $name: ${secs}s${runs:+ or $runs runs}, corpus fuzz/corpus/$name ($(ls fuzz/corpus/$name | wc -l) inputs)"
    rc=0
    "$out/$name" -max_total_time="$secs" ${runs:+-runs=$runs} -timeout=5 -rss_limit_mb=1024 \
        -malloc_limit_mb=256 -print_final_stats=1 -artifact_prefix="$out/findings/$name-" \
        $dict "$out/$name.new" "fuzz/corpus/$name" > "$out/$name.log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$name.log" | tail -n 1)
    took=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$out/$name.log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$out/$name.log" | tail -n 1 | cut -d' ' -f2)
    size=$(ls "$out/$name.new" "fuzz/corpus/$name" | grep -vc ':$\|^$' || true)
    verdict="no finding"
    if [ $rc -ne 0 ]; then
        verdict="FINDING (exit $rc): $(grep -m 1 -o 'ERROR: [^:]*\|property violated[^\n]*\|Test unit written to .*' "$out/$name.log" | head -n 1)"
        found=$((found + 1))
        tail -n 30 "$out/$name.log"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" \
        "${took:-?}" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$size" "$verdict" >> "$out/runs.tsv"
    echo "==> fuzz $name: ${execs:-?} executions in ${took:-?}s (${rate:-?}/s), cov ${cov:-?}: $verdict"
    if [ -n "$save" ] && [ $rc -eq 0 ]; then
        rm -rf "$out/$name.min" && mkdir -p "$out/$name.min"
        "$out/$name" -merge=1 -timeout=5 -rss_limit_mb=1024 "$out/$name.min" \
            "fuzz/corpus/$name" "$out/$name.new" > "$out/$name.merge.log" 2>&1
        # Seeds and kept findings stay; the rest is the merged set.
        find "fuzz/corpus/$name" -type f ! -name 'seed-*' ! -name 'crash-*' -delete
        # libFuzzer names an input by its SHA-1: skip those a kept file has.
        kept=$(for k in "fuzz/corpus/$name"/*; do
                   if [ -f "$k" ]; then sha1sum < "$k" | cut -d" " -f1; fi; done)
        for f in "$out/$name.min"/*; do
            b=$(basename "$f")
            echo "$kept" | grep -qx "$b" || cp "$f" "fuzz/corpus/$name/$b"
        done
        echo "==> fuzz $name: corpus saved: $(ls fuzz/corpus/$name | wc -l) inputs, $(du -sk fuzz/corpus/$name | cut -f1) KiB"
    fi
done
[ $found -eq 0 ]
