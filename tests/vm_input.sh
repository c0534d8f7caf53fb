#!/bin/sh
# vm_input.sh - operator mistakes, fed to the real monitor binary.
#
#   vm_input.sh CASE BBVM     run one case against the bbvm binary BBVM
#   vm_input.sh all BBVM      run every case, one line each
#   vm_input.sh --list        print the case names
#
# Each case makes its bad input in a fresh `mktemp -d` directory (removed
# afterwards), runs BBVM on it and checks the exit status (2 for a usage
# error, 4 for a kernel file error, 6 for a KVM device that is none) and
# that stderr is exactly one line that starts with "bbvm: " and names the
# problem (book/security.md, rule 7). No case reaches /dev/kvm: bbvm
# checks its flags and the kernel file before it opens it, and the kvm-*
# cases give it a device that is no KVM, so these run on machines without
# KVM. The ELF cases lay out a small PVH kernel byte by byte (elf64 below)
# with one field wrong. `book-table` checks book/operator.md's table of
# errors against real runs of every other case.
# Exit 0 if the case passed; 1, with the reason on stdout, if it did not.
set -u

cases="missing-file empty-file one-byte truncated not-elf wrong-arch directory
no-pvh-note segment-past-ram unknown-flag missing-value missing-cmdline-value
zero-mem huge-mem non-numeric-mem negative-mem small-mem big-mem unaligned-mem
long-cmdline no-kernel extra-arg bad-input-mode missing-input-value help
huge-file elf-good elf-bad-class elf-big-endian elf-bad-byte-order
elf-bad-ident-version elf-bad-version elf-not-exec elf32-x86-64 elf64-i386
phoff-past-eof phentsize-wrong phnum-zero phnum-huge segment-file-past-eof
filesz-gt-memsz segments-overlap too-many-segments segment-on-start-info
segment-on-firmware-tables segment-wraps entry-outside entry-above-4g
entry-not-executable note-wrong-type note-namesz-huge note-descsz-bad
note-descsz-huge note-past-eof bad-suffix-mem later-mem-wins
no-input-with-input qtest-with-check-kvm check-kvm-with-kernel rtc-feb-30
rtc-feb-29-2023 rtc-year-2100 rtc-garbage rtc-bad-time qtest-bad-spec
qtest-long-path kvm-device-missing-value kvm-device-empty kvm-device-missing
kvm-device-not-kvm kvm-run-not-kvm empty-arg newline-in-path newline-in-value
dash-dash option-after-kernel book-table"

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
    printf '%s\n' "$line" | grep -qiE -e "$pattern" || fail "stderr does not match /$pattern/: $line"
    [ ! -s "$tmp/stdout" ] || fail "unexpected stdout: $(head -c 200 "$tmp/stdout")"
    echo "ok $case: [$rc] $line"
}

# le VALUE BYTES: VALUE as BYTES little-endian bytes (shell arithmetic is
# 64-bit: -1 is all ones).
le() {
    le_v=$1 le_n=$2 le_i=0 le_s=
    while [ $le_i -lt $le_n ]; do
        le_b=$(( (le_v >> (8 * le_i)) & 255 ))
        le_s="$le_s\\$(( le_b >> 6 ))$(( (le_b >> 3) & 7 ))$(( le_b & 7 ))"
        le_i=$((le_i + 1))
    done
    printf "$le_s"
}

# elf64: a PVH kernel of 272 bytes, laid out by hand, on stdout: the ELF
# header, three program header slots (PT_LOAD, PT_NOTE, and a third read
# only if E_PHNUM says 3), the note (name "Xen", type 18, 8-byte entry) at
# 232 and 16 bytes of HLT at 256. Each field is a variable a case may set
# first; the defaults make a kernel bbvm loads (case elf-good).
elf64() {
    { printf '\177ELF'; le ${E_CLASS:-2} 1; le ${E_DATA:-1} 1; le ${E_IDVER:-1} 1; zeros 9
      le ${E_TYPE:-2} 2; le ${E_MACHINE:-62} 2; le ${E_VERSION:-1} 4; le 0x100000 8
      le ${E_PHOFF:-64} 8; le 0 8; le 0 4; le 64 2; le ${E_PHENTSIZE:-56} 2; le ${E_PHNUM:-2} 2
      le 0 6
      le 1 4; le ${L_FLAGS:-5} 4; le 256 8; le ${L_PADDR:-0x100000} 8; le ${L_PADDR:-0x100000} 8
      le ${L_FILESZ:-16} 8; le ${L_MEMSZ:-16} 8; le 16 8
      le 4 4; le 4 4; le ${N_OFFSET:-232} 8; le 0 8; le 0 8; le 24 8; le 24 8; le 4 8
      le ${X_TYPE:-1} 4; le 6 4; le 256 8; le ${X_PADDR:-0x100008} 8; le ${X_PADDR:-0x100008} 8
      le 8 8; le 8 8; le 16 8
      le ${N_NAMESZ:-4} 4; le ${N_DESCSZ:-8} 4; le ${N_TYPE:-18} 4; printf 'Xen\000'
      le ${ENTRY:-0x100000} 8
      printf '\364\364\364\364\364\364\364\364\364\364\364\364\364\364\364\364'
    } > "$tmp/k.elf"
}

# many_loads N: an ELF64 PVH kernel with N one-byte PT_LOAD segments a page
# apart from 1 MiB, the first holding the entry, and its note.
many_loads() {
    n=$1 i=0
    { printf '\177ELF\002\001\001'; zeros 9
      le 2 2; le 62 2; le 1 4; le 0x100000 8; le 64 8; le 0 8; le 0 4; le 64 2; le 56 2
      le $((n + 1)) 2; le 0 6
      le 4 4; le 4 4; le $((64 + 56 * (n + 1))) 8; le 0 8; le 0 8; le 24 8; le 24 8; le 4 8
      while [ $i -lt $n ]; do
          le 1 4; le 5 4; le $((64 + 56 * (n + 1) + 24)) 8; le $((0x100000 + 4096 * i)) 8
          le $((0x100000 + 4096 * i)) 8; le 1 8; le 1 8; le 4096 8
          i=$((i + 1))
      done
      le 4 4; le 8 4; le 18 4; printf 'Xen\000'; le 0x100000 8; printf '\364'
    } > "$tmp/k.elf"
}

# expect_loads ARG...: bbvm --qtest with ARGs loads the kernel and exits 0
# on the empty input, with nothing on stderr.
expect_loads() {
    "$bbvm" --qtest "$@" > "$tmp/stdout" 2> "$tmp/stderr" < /dev/null
    rc=$?
    [ "$rc" -eq 0 ] || fail "bbvm --qtest $* exited $rc: $(head -c 300 "$tmp/stderr")"
    [ ! -s "$tmp/stderr" ] || fail "stderr: $(head -c 300 "$tmp/stderr")"
    echo "ok $case: [0] the kernel loads"
}

# book_table: book/operator.md's table of operator errors against real runs.
# Every row `| \`CASE\` | STATUS | MESSAGE |` must name a case of this
# script, whose run exits STATUS with a line that MESSAGE matches ("…"
# standing for any text); every case but help, elf-good and book-table
# must have a row.
book_table() {
    book=$(dirname "$0")/../book/operator.md
    [ -f "$book" ] || fail "no $book"
    awk '/^## /{ on = /^## Every operator error/ } on' "$book" |
        grep '^| `[a-z0-9][a-z0-9-]*` |' > "$tmp/rows" || fail "no table rows in $book"
    for c in $cases; do
        case $c in help|elf-good|book-table) continue ;; esac
        grep -q "^| \`$c\` |" "$tmp/rows" || fail "case $c has no row in $book"
    done
    while IFS= read -r row; do
        c=$(printf '%s\n' "$row" | cut -d'`' -f2)
        status=$(printf '%s\n' "$row" | awk -F'|' '{ gsub(/ /, "", $3); print $3 }')
        message=$(printf '%s\n' "$row" | awk -F'|' '{ m = $4; sub(/^ *`?/, "", m); sub(/`? *$/, "", m); print m }')
        echo " $cases " | tr '\n' ' ' | grep -q " $c " || fail "row for $c, which is no case"
        out=$(sh "$0" "$c" "$bbvm") || fail "case $c fails: $out"
        got=${out#"ok $c: ["}
        [ "${got%%]*}" = "$status" ] || fail "case $c: status ${got%%]*}, the book says $status"
        line=${got#*] bbvm: }
        if [ "$status" = 2 ]; then
            case $line in *" (try 'bbvm --help')") line=${line% (try \'bbvm --help\')} ;;
            *) fail "case $c: a usage error without (try 'bbvm --help'): $line" ;; esac
        fi
        printf '%s\n%s\n' "$message" "$line" | awk '
            NR == 1 { n = split($0, part, "…"); next }
            { at = 1
              for (i = 1; i <= n; i++) {
                  if (part[i] == "") continue
                  k = index(substr($0, at), part[i])
                  if (k == 0 || (i == 1 && k != 1)) exit 1
                  at += k - 1 + length(part[i])
              }
              exit (part[n] != "" && at != length($0) + 1) ? 1 : 0 }' ||
            fail "case $c: '$line' is not the book's '$message'"
    done < "$tmp/rows"
    echo "ok $case: every operator error in $book is what bbvm says"
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
    huge-file) dd if=/dev/zero of="$k" bs=1 count=0 seek=1100M 2> /dev/null ||
                   fail "cannot make a sparse file"
               expect 4 'file too large.*limit is 1 GiB' "$k" ;;
    elf-good) elf64; expect_loads "$k" ;;
    elf-bad-class) E_CLASS=3 elf64; expect 4 'unsupported ELF class 3' "$k" ;;
    elf-big-endian) E_DATA=2 elf64; expect 4 'big-endian ELF' "$k" ;;
    elf-bad-byte-order) E_DATA=0 elf64; expect 4 'unknown byte order' "$k" ;;
    elf-bad-ident-version) E_IDVER=0 elf64; expect 4 'unsupported ELF version 0' "$k" ;;
    elf-bad-version) E_VERSION=2 elf64; expect 4 'unsupported ELF version 2' "$k" ;;
    elf-not-exec) E_TYPE=3 elf64; expect 4 'not an executable \(e_type 3' "$k" ;;
    # An ELF32 header over a 64-bit layout: its e_machine is x86-64's.
    elf32-x86-64) E_CLASS=1 elf64; expect 4 'wrong machine x86-64.*want i386' "$k" ;;
    elf64-i386) E_MACHINE=3 elf64; expect 4 'wrong machine i386.*want x86-64' "$k" ;;
    phoff-past-eof) E_PHOFF=4096 elf64; expect 4 'program headers past end of file' "$k" ;;
    phentsize-wrong) E_PHENTSIZE=32 elf64; expect 4 'program header size 32, want 56' "$k" ;;
    phnum-zero) E_PHNUM=0 elf64; expect 4 'no program headers' "$k" ;;
    phnum-huge) E_PHNUM=65535 elf64; expect 4 'program headers past end of file' "$k" ;;
    segment-file-past-eof) L_FILESZ=4096 L_MEMSZ=4096 elf64
        expect 4 'segment 0: file bytes .* past end of file \(272 bytes\)' "$k" ;;
    filesz-gt-memsz) L_MEMSZ=8 elf64; expect 4 'segment 0: p_filesz 0x10 > p_memsz 0x8' "$k" ;;
    segments-overlap) E_PHNUM=3 elf64; expect 4 'segments 0 .* and 2 .* overlap' "$k" ;;
    too-many-segments) many_loads 65; expect 4 'more than 64 loadable segments' "$k" ;;
    segment-on-start-info) L_PADDR=0x7ff8 elf64; expect 4 'overlaps the start info area' "$k" ;;
    segment-on-firmware-tables) L_PADDR=0xe0ff8 elf64; expect 4 'overlaps the firmware tables' "$k" ;;
    segment-wraps) L_PADDR=-16 L_MEMSZ=256 elf64; expect 4 'segment 0: address .* wraps' "$k" ;;
    entry-outside) ENTRY=0x200000 elf64; expect 4 'entry 0x200000 is not inside a loaded segment' "$k" ;;
    entry-above-4g) ENTRY=0x100100000 elf64; expect 4 'entry 0x100100000 is above 4 GiB' "$k" ;;
    entry-not-executable) L_FLAGS=4 elf64; expect 4 'in segment 0, which is not executable' "$k" ;;
    note-wrong-type) N_TYPE=17 elf64; expect 4 'no PVH entry note' "$k" ;;
    note-namesz-huge) N_NAMESZ=4096 elf64; expect 4 'segment 1: note sizes .* run past the segment' "$k" ;;
    note-descsz-bad) N_DESCSZ=2 elf64; expect 4 'PVH entry note has a 2-byte descriptor' "$k" ;;
    note-descsz-huge) N_DESCSZ=-1 elf64; expect 4 'descsz 0xffffffff.* run past the segment' "$k" ;;
    note-past-eof) N_OFFSET=260 elf64; expect 4 'segment 1: file bytes .* past end of file' "$k" ;;
    bad-suffix-mem) expect 2 'want digits and an optional K, M or G' -m 64X "$k" ;;
    # The later -m counts: 16M, too little for a segment at 32 MiB.
    later-mem-wins) L_PADDR=0x2000000 ENTRY=0x2000000 elf64
        expect 4 'past guest RAM \(16 MiB\)' -m 64M -m 16M "$k" ;;
    no-input-with-input) expect 2 'no-input and --input exclude each other' -n --input keyboard "$k" ;;
    qtest-with-check-kvm) expect 2 '--qtest and --check-kvm exclude each other' --qtest --check-kvm ;;
    check-kvm-with-kernel) expect 2 '--check-kvm takes no KERNEL' --check-kvm "$k" ;;
    rtc-feb-30) expect 2 "rtc-base '2024-02-30T00:00:00': no such date" --rtc-base 2024-02-30T00:00:00 "$k" ;;
    rtc-feb-29-2023) expect 2 'no such date' --rtc-base=2023-02-29T12:00:00 "$k" ;;
    rtc-year-2100) expect 2 'year 2100 is not in 1970..2099' --rtc-base 2100-01-01T00:00:00 "$k" ;;
    rtc-garbage) expect 2 "bad --rtc-base 'yesterday': want YYYY-MM-DDTHH:MM:SS" --rtc-base yesterday "$k" ;;
    rtc-bad-time) expect 2 'no such time of day' --rtc-base 2024-01-01T24:00:00 "$k" ;;
    qtest-bad-spec) expect 2 "bad --qtest 'tcp:1234'" --qtest=tcp:1234 ;;
    qtest-long-path) expect 2 'socket path is 108 bytes; the limit is 107' \
        --qtest=unix:"$(zeros 108 | tr '\0' s)" ;;
    kvm-device-missing-value) expect 2 'option --kvm-device needs a value' "$k" --kvm-device ;;
    kvm-device-empty) expect 2 'empty --kvm-device path' --kvm-device '' --check-kvm ;;
    kvm-device-missing) expect 6 "cannot open $tmp/no-kvm: no such file" --kvm-device "$tmp/no-kvm" --check-kvm ;;
    # A device that opens but is no KVM: status 6 with the reason, so that
    # tests/tw and ./run's kvm_usable SKIP on it (tw_selftest.sh: kvm-not-kvm).
    kvm-device-not-kvm) expect 6 '/dev/null: KVM_GET_API_VERSION: .*is it a KVM device' --kvm-device /dev/null --check-kvm ;;
    kvm-run-not-kvm) elf64; expect 6 '/dev/null: KVM_GET_API_VERSION' --kvm-device /dev/null "$k" ;;
    empty-arg) expect 2 'empty argument' '' ;;
    newline-in-path) expect 2 'KERNEL path .*\\x0a.* has a control character' "$tmp/a
b.elf" ;;
    newline-in-value) expect 2 "bad memory size '1\\\\x0a2'" -m "1
2" "$k" ;;
    dash-dash) expect 4 '^bbvm: -k.elf: cannot open' -- -k.elf ;;
    option-after-kernel) expect 2 'memory size.*range' "$k" -m 1M ;;
    book-table) book_table ;;
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
