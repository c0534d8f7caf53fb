#!/bin/sh
# rules.sh - the fuzz corpora as regression tests: tests/Tupfile says
# `run sh fuzz/rules.sh`, and tup reads what this prints as rules. For each
# target in fuzz/targets, two rules: build the target with replay.c (gcc,
# ASan and UBSan, the project's warnings), then replay every file of its
# corpus once (a finding is a sanitizer report or a failed property: the
# test fails and its log names the input).
set -eu
grep -v '^[[:space:]]*\(#\|$\)' fuzz/targets | while IFS='|' read -r name flags srcs; do
    name=$(echo $name) flags=$(echo $flags) srcs=$(echo $srcs)
    echo ": $srcs fuzz/replay.c |> ^ CC %o^ gcc \$(CFLAGS_HOST) \$(SANITIZE) -Ifuzz $flags %f -o %o |> out/replay-$name"
    echo ": out/replay-$name fuzz/corpus/$name/* |> ^ TEST fuzz replay $name^ \$(TW) %o --timeout 300 -- %f |> out/fuzz-$name.result | out/fuzz-$name.log"
done
