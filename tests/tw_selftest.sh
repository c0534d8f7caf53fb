#!/bin/sh
# tw_selftest.sh - the test wrapper must be able to fail. Runs tests/tw on
# small commands whose verdict is known, and checks the verdict it writes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad=0
# A kit for nested runs, if the caller has one: the nested cases below
# use it; every other case must not run nested.
kit=${BREADBOARD_NESTED:-}
unset BREADBOARD_NESTED

# case NAME WANT [tw options] -- command...
case_() {
    name=$1 want=$2; shift 2
    "$here/tw" "$t/$name.result" "$@"
    got=$(cut -d' ' -f1 "$t/$name.result")
    if [ "$got" = "$want" ]; then
        echo "ok $name: $(cat "$t/$name.result")"
    else
        echo "FAIL $name: wanted $want, got: $(cat "$t/$name.result")"; bad=1
    fi
}

printf '// expect: alpha\n// expect: gamma\n' > "$t/src.c"
printf '// expect: one\n// expect-status: 3\n' > "$t/status.c"
printf '// nothing expected here\n' > "$t/empty.c"
printf '// expect: tw: exit status 0\n' > "$t/self.c"

case_ pass PASS --expect "$t/src.c" -- printf 'alpha\nbeta\ngamma\n'
case_ missing-line FAIL --expect "$t/src.c" -- printf 'alpha\nbeta\n'
case_ wrong-order FAIL --expect "$t/src.c" -- printf 'gamma\nalpha\n'
case_ exit-status FAIL -- sh -c 'exit 1'
case_ expected-status PASS --expect "$t/status.c" -- sh -c 'echo one; exit 3'
case_ status-mismatch FAIL --status 4 -- sh -c 'exit 3'
case_ timeout FAIL --timeout 1 -- sleep 5
case_ no-expect-lines FAIL --expect "$t/empty.c" -- true
case_ tw-own-line FAIL --expect "$t/self.c" -- true
# Two files: the first one's lines come first, and a status from either.
printf '// expect: zero\n' > "$t/first.c"
case_ two-files PASS --expect "$t/first.c" --expect "$t/status.c" -- sh -c 'echo zero; echo one; exit 3'
case_ two-files-order FAIL --expect "$t/first.c" --expect "$t/status.c" -- sh -c 'echo one; echo zero; exit 3'
case_ missing-expect-file FAIL --expect "$t/first.c" --expect "$t/no-such.c" -- sh -c 'echo zero'
BREADBOARD_KVM=$t/no-such-kvm
export BREADBOARD_KVM
case_ no-kvm SKIP --needs-kvm -- false
[ ! -e "$t/no-such-kvm" ] || { echo "FAIL no-kvm: the check created $t/no-such-kvm"; bad=1; }
: > "$t/plain-file"
BREADBOARD_KVM=$t/plain-file
case_ kvm-not-a-device SKIP --needs-kvm -- false
# A character device that opens read-write but is no KVM.
BREADBOARD_KVM=/dev/null
case_ kvm-not-kvm SKIP --needs-kvm -- false
grep -q "KVM_GET_API_VERSION" "$t/kvm-not-kvm.log" ||
    { echo "FAIL kvm-not-kvm: the log does not say why: $(cat "$t/kvm-not-kvm.log")"; bad=1; }
# No KVM, and a kit named: the test runs nested. Without a real kit that
# is a failure, never a pass or a quiet skip; a timing test is skipped.
BREADBOARD_KVM=$t/no-such-kvm
BREADBOARD_NESTED=$t/no-kit
export BREADBOARD_NESTED
case_ nested-no-kit FAIL --needs-kvm -- true
grep -q "no kit" "$t/nested-no-kit.log" ||
    { echo "FAIL nested-no-kit: the log does not say why: $(cat "$t/nested-no-kit.log")"; bad=1; }
case_ not-nested SKIP --needs-kvm --not-nested -- true
if [ -n "$kit" ]; then
    BREADBOARD_NESTED=$kit
    printf '// expect: inside\n' > "$t/inside.c"
    case_ nested-pass PASS --needs-kvm --expect "$t/inside.c" -- sh -c '[ -c /dev/kvm ] && echo inside'
    case_ nested-status FAIL --needs-kvm -- sh -c 'exit 3'
    grep -q "exit status 3" "$t/nested-status.log" ||
        { echo "FAIL nested-status: the guest's status did not come back: $(cat "$t/nested-status.log")"; bad=1; }
else
    echo "tw_selftest: no kit in \$BREADBOARD_NESTED: the nested pass and status cases not run"
fi
unset BREADBOARD_KVM BREADBOARD_NESTED
exit $bad
