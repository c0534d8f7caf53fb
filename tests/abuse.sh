#!/bin/sh
# abuse.sh - one case of the guest-side abuse suite (tests/abuse/*.qt,
# book/security.md): a transcript that breaks one rule of the guest's
# contract, then checks that the device still does its job. A pass is
# "rejected or served, and the device still works"; a failure is a wrong
# answer (the device wedged, or broke the spec), a monitor that died, or
# a monitor that took more host CPU or memory than a healthy run ever does
# (rules 2 and 3), which out/rusage judges.
#
#   abuse.sh qtest BBVM RUSAGE CASE.qt
#       the case on bbvm's CPU-less board (qtest.sh: every answer checked,
#       twice), under CPU and memory limits
#   abuse.sh kvm BBVM RUSAGE GUEST.elf CASE.qt
#       the same transcript as a guest CPU makes it on the KVM board
#       (guest/board.S built with the case's table, qtest_guest.awk):
#       booted with `boot x64-vm`, under limits on CPU per wall time and
#       memory; the guest's verdict line decides
#
# Prints the case's first comment line (the rule it breaks) and the
# verdict; exits non-zero on failure.
set -u
here=$(dirname "$0")

# The limits. A healthy case stays ~10x below them: measured on a loaded
# 2-core machine, the heaviest qtest case (both runs, with qtest.sh's
# shell and awk) takes about 90 ms of CPU and 2.4 MiB of max rss.
QTEST_CPU_MS=1000
QTEST_RSS_KB=32768
# Under KVM the vCPU thread may use a core while the guest runs its
# table; the device loop spinning beside it would make ~2. Guest RAM is
# 64 MiB, mapped but counted only where touched; bbvm's own is small.
KVM_CPU_PER_WALL=1.5
KVM_RSS_KB=98304

usage() { echo "usage: abuse.sh qtest BBVM RUSAGE CASE.qt | abuse.sh kvm BBVM RUSAGE GUEST.elf CASE.qt" >&2; exit 2; }

# The first comment line of a case: what it breaks (or its FINDING).
what() { sed -n '/^# /{s/^# //p;q;}' "$1"; }

[ $# -ge 1 ] || usage
mode=$1; shift
case $mode in
qtest)
    [ $# -eq 3 ] || usage
    bbvm=$1 rusage=$2 case=$3
    echo "abuse: $(basename "$case" .qt): $(what "$case")"
    status=0
    "$rusage" --max-cpu-ms $QTEST_CPU_MS --max-rss-kb $QTEST_RSS_KB -- \
        sh "$here/qtest.sh" "$bbvm" "$case" || status=$?
    case $status in
    0)   echo "abuse: PASS: every answer as the spec says (twice), the device still works after," \
              "within $QTEST_CPU_MS ms of CPU and $QTEST_RSS_KB KiB" ;;
    125) echo "abuse: FAIL: the monitor took more host CPU or memory than a healthy run"; exit 1 ;;
    *)   echo "abuse: FAIL: qtest.sh exited $status (a wrong answer, or the monitor died)"; exit 1 ;;
    esac ;;
kvm)
    [ $# -eq 4 ] || usage
    bbvm=$1 rusage=$2 elf=$3 case=$4
    name=abuse/$(basename "$case")
    echo "abuse: $(basename "$case" .qt) on KVM: $(what "$case")"
    [ -x "$bbvm" ] || { echo "abuse: FAIL: no monitor at $bbvm"; exit 1; }
    # What the run must end with: boot's number for the case's `#! status`
    # (14 soft-off: 210; 16 reset: 211; a debug-exit (v << 1) | 1: v - 1),
    # else 0 and the guest's own verdict.
    want=$(sed -n 's/^#! status //p' "$case")
    case ${want:-0} in
    0)  want=0 ;;
    14) want=210 ;;
    16) want=211 ;;
    *)  want=$(( (want >> 1) - 1 )) ;;
    esac
    out=$(mktemp)
    trap 'rm -f "$out"' EXIT
    status=0
    "$rusage" --max-cpu-per-wall $KVM_CPU_PER_WALL --max-rss-kb $KVM_RSS_KB -- \
        sh "$here/boot" x64-vm "$elf" < /dev/null > "$out" 2>&1 || status=$?
    cat "$out"
    if [ $status -eq 125 ]; then
        echo "abuse: FAIL: the monitor took more host CPU or memory than a healthy run"; exit 1
    fi
    if [ $status -ne "$want" ]; then
        echo "abuse: FAIL: the run ended with $status, want $want"; exit 1
    fi
    if grep -q "^board: this entry of $name read\|^board: the PM timer stopped" "$out"; then
        echo "abuse: FAIL: the guest read a value the transcript does not say"; exit 1
    fi
    if [ "$want" -eq 0 ] && ! grep -q "^board: every access of $name answered as without a CPU" "$out"; then
        echo "abuse: FAIL: no verdict from the guest"; exit 1
    fi
    echo "abuse: PASS: the guest CPU got every answer the transcript says, within" \
         "$KVM_CPU_PER_WALL CPU per wall second and $KVM_RSS_KB KiB" ;;
*)
    usage ;;
esac
