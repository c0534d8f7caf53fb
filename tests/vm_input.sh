#!/bin/sh
# vm_input.sh - operator mistakes, fed to the real monitor binary.
#
#   vm_input.sh CASE BBVM     run one case against the bbvm binary BBVM
#   vm_input.sh all BBVM      run every case, one line each
#   vm_input.sh --list        print the case names
#
# Each case makes its bad input in a fresh `mktemp -d` directory (removed
# afterwards), runs BBVM on it and checks the exit status (2 for a usage
# error, 4 for a kernel file error) and that stderr is exactly one line that
# starts with "bbvm: " and names the problem (book/security.md, rule 7).
# No case reaches /dev/kvm: bbvm checks its flags and the kernel file
# before it opens it, so these run on machines without KVM.
# Exit 0 if the case passed; 1, with the reason on stdout, if it did not.
set -u

cases="missing-file empty-file one-byte truncated not-elf wrong-arch directory
no-pvh-note segment-past-ram unknown-flag missing-value missing-cmdline-value
zero-mem huge-mem non-numeric-mem negative-mem small-mem big-mem unaligned-mem
long-cmdline no-kernel extra-arg bad-input-mode missing-input-value help"

fail() { echo "FAIL $case: $*"; exit 1; }

# expect STATUS PATTERN ARG...: run bbvm with ARGs; it must exit STATUS and
# print one line on stderr that starts with "bbvm: " and matches PATTERN
# (an extended regex, any case), and nothing on stdout.
expect() {
    want=$1 pattern=$2; shift 2
    "$bbvm" "$@" > "$tmp/stdout" 2> "$tmp/stderr" < /dev/null
    rc=$?
    line=$(head -n 1 "$tmp/stderr" | cut -c 1-300)
    [ "$rc" -eq "$want" ] || fail "exit status $rc, want $want (stderr: $line)"
    [ "$(wc -l < "$tmp/stderr")" -eq 1 ] && [ "$(tail -c 1 "$tmp/stderr" | od -An -c | tr -d ' ')" = '\n' ] ||
        fail "stderr is not exactly one line: $(head -c 300 "$tmp/stderr")"
    case $line in "bbvm: "*) ;; *) fail "stderr does not start with 'bbvm: ': $line" ;; esac
    printf '%s\n' "$line" | grep -qiE "$pattern" || fail "stderr does not match /$pattern/: $line"
    [ ! -s "$tmp/stdout" ] || fail "unexpected stdout: $(head -c 200 "$tmp/stdout")"
    echo "ok $case: $line"
}

zeros() { head -c "$1" /dev/zero; }

# The first 16 bytes of a little-endian ELF64 file: magic, class, data, version.
elf64_ident() { printf '\177ELF\002\001\001'; zeros 9; }

# An x86 PVH kernel with one instruction, linked at ADDRESS; NOTE=0 leaves
# out the PVH entry note.
pvh_kernel() {
    address=$1 note=$2
    {
        if [ "$note" = 1 ]; then
            printf '.pushsection .note.Xen, "a", @note\n.balign 4\n.long 4, 8, 18\n'
            printf '.asciz "Xen"\n.balign 4\n.quad _start\n.popsection\n'
        fi
        printf '.text\n.code32\n.globl _start\n_start: hlt\n'
        printf '.section .note.GNU-stack, "", @progbits\n'
    } > "$tmp/k.S"
    gcc -m64 -nostdlib -static -no-pie -Wl,-Ttext="$address" -Wl,--build-id=none \
        "$tmp/k.S" -o "$tmp/k.elf" || fail "cannot build a test kernel with gcc"
}

# An AArch64 executable: built by the cross compiler if there is one, else
# just its ELF header (type ET_EXEC, machine 183), which is all bbvm reads.
aarch64_kernel() {
    printf '.globl _start\n_start: b _start\n' > "$tmp/a.S"
    if command -v aarch64-linux-gnu-gcc > /dev/null 2>&1; then
        aarch64-linux-gnu-gcc -nostdlib -static "$tmp/a.S" -o "$tmp/k.elf" && return
    fi
    { elf64_ident; printf '\002\000\267\000\001\000\000\000'; zeros 40; } > "$tmp/k.elf"
}

help_case() {
    "$bbvm" --help > "$tmp/stdout" 2> "$tmp/stderr" < /dev/null
    rc=$?
    [ "$rc" -eq 0 ] || fail "--help exited $rc, want 0"
    [ ! -s "$tmp/stderr" ] || fail "--help wrote to stderr: $(head -c 200 "$tmp/stderr")"
    for word in -m --mem -c --cmdline --input keyboard -h --help KERNEL 0xf4; do
        grep -qe "$word" "$tmp/stdout" || fail "--help does not mention $word"
    done
    for status in 2 4 6 8 10; do
        grep -qE "^ +$status +" "$tmp/stdout" || fail "--help does not document exit status $status"
    done
    echo "ok $case: --help documents every flag and exit status"
}

run_case() {
    k=$tmp/k.elf
    case $case in
    missing-file) expect 4 'no such file' "$tmp/nonexistent.elf" ;;
    empty-file) : > "$k"; expect 4 'empty' "$k" ;;
    one-byte) printf '\177' > "$k"; expect 4 'too short' "$k" ;;
    truncated) { elf64_ident; zeros 24; } > "$k"; expect 4 'truncated' "$k" ;;
    not-elf) printf '#!/bin/sh\necho hello\n' > "$k"; expect 4 'not an ELF' "$k" ;;
    wrong-arch) aarch64_kernel; expect 4 'machine.*aarch64' "$k" ;;
    directory) expect 4 'not a regular file' "$tmp" ;;
    no-pvh-note) pvh_kernel 0x100000 0; expect 4 'no PVH' "$k" ;;
    segment-past-ram) pvh_kernel 0x10000000 1; expect 4 'past guest RAM' -m 32M "$k" ;;
    unknown-flag) expect 2 "unknown option '--frobnicate'" --frobnicate "$k" ;;
    missing-value) expect 2 'option -m needs a value' "$k" -m ;;
    missing-cmdline-value) expect 2 'option --cmdline needs a value' "$k" --cmdline ;;
    # The memory cases name a missing kernel: flags are checked first.
    zero-mem) expect 2 'memory size.*range' -m 0 "$k" ;;
    huge-mem) expect 2 'memory size.*range' -m 99999999999999G "$k" ;;
    non-numeric-mem) expect 2 'memory size.*not a number' --mem lots "$k" ;;
    negative-mem) expect 2 'memory size.*not a number' -m -1 "$k" ;;
    small-mem) expect 2 'memory size.*range' -m 1M "$k" ;;
    big-mem) expect 2 'memory size.*range' --mem=4G "$k" ;;
    unaligned-mem) expect 2 'multiple of 4K' -m 5000000 "$k" ;;
    long-cmdline) expect 2 'command line.*4096 bytes' -c "$(zeros 4096 | tr '\0' x)" "$k" ;;
    no-kernel) expect 2 'no KERNEL' ;;
    extra-arg) expect 2 "extra argument" "$k" "$tmp/other.elf" ;;
    bad-input-mode) expect 2 "bad --input 'mouse'.*serial.*keyboard" --input mouse "$k" ;;
    missing-input-value) expect 2 'option --input needs a value' "$k" --input ;;
    help) help_case ;;
    *) fail "unknown case (see vm_input.sh --list)" ;;
    esac
}

if [ "${1:-}" = --list ]; then
    echo $cases | tr ' ' '\n'
    exit 0
fi
if [ $# -ne 2 ]; then
    echo "usage: vm_input.sh CASE|all BBVM, or vm_input.sh --list"
    exit 2
fi
case=$1 bbvm=$2
case $bbvm in */*) ;; *) bbvm=./$bbvm ;; esac
[ -x "$bbvm" ] || { echo "FAIL $case: $bbvm is not an executable"; exit 1; }

if [ "$case" = all ]; then
    failed=0
    for c in $cases; do
        sh "$0" "$c" "$bbvm" || failed=1
    done
    exit $failed
fi

tmp=$(mktemp -d) || { echo "FAIL $case: mktemp -d failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
run_case
