# qtest_guest.awk - turn a qtest transcript (qtest.sh's format) into a table
# that tests/guest/board.S replays as a guest CPU on the KVM board: every
# port and MMIO access of 1, 2 or 4 bytes, and for each read the value the
# transcript expects. So the same script is checked without a CPU (qtest)
# and with one (KVM), against the same answers.
#
# Each entry: .long OP, ADDRESS, VALUE (OP: 1 out, 2 in, 3 MMIO or RAM
# write, 4 MMIO or RAM read, times 16 the width; 5 a wait of VALUE ACPI PM
# timer ticks). Besides the accesses, guest RAM requests become plain
# loads and stores (paging is off, linear = physical):
#   write ADDR SIZE 0xHEX   4-byte stores, then 1-byte ones for the tail
#                           (short data zero-filled, as qtest does)
#   memset ADDR SIZE BYTE   the same, of that byte
#   read ADDR SIZE          4-byte and 1-byte loads, each checked
#   clock_step NS           a wait on the PM timer (3.579545 MHz) for at
#                           least NS: real time under KVM
# A request the guest cannot make the same way (8-byte accesses from
# 32-bit code, clock_set or a clock_step without NS, our added verbs) or
# that the line before marks `#! kvm-skip` (a value that depends on time,
# which runs on its own under KVM, or on a verb left out) is left out.
# Mark reads, not writes: a write left out leaves the guest's board in
# another state than the transcript's (and a read left out that has a
# side effect, a latch or a read-to-clear register, does too: what
# follows it must not depend on it). The one kind of write to leave out
# is console output (COM1's THR, a virtio console's) with no newline at
# its end: under KVM it goes to boot's output, where the guest's verdict
# line would then not start a line (tests/abuse.sh looks for it there).
# Only an `OK` answer carries a read's value (IRQ and MSI lines before it
# are skipped; a read answered FAIL is left out).
#
# A host-side request that changes the board (eoi, extint_ack, uart_rx,
# vcon_input, kbd_key, mouse_move, system_reset; clock_set and a
# clock_step without NS, which jump virtual time) is left out, and so,
# after it, is every read, up to a line `#! kvm-resume (why)`: what the
# guest reads there may hang on what the host did, so a case must say
# where the two boards agree again. Writes are still made in between.
# Any other `#! kvm-` mark, or a kvm-resume with nothing to resume, is a
# mistake: the script says where and exits 1.
#
# A transcript under abuse/ (or given -v name=NAME) also names itself:
# the table defines `board_name`, the string board.S prints.
function op(v,   w) {
    w = substr(v, length(v), 1)
    w = w == "b" ? 1 : w == "w" ? 2 : w == "l" ? 4 : 0
    if (v ~ /^out[bwl]$/) return w * 16 + 1
    if (v ~ /^in[bwl]$/) return w * 16 + 2
    if (v ~ /^write[bwl]$/) return w * 16 + 3
    if (v ~ /^read[bwl]$/) return w * 16 + 4
    return 0
}
# A number as C reads it (0x hex, leading 0 octal, else decimal).
function num(s,   v, i, c, base) {
    s = tolower(s); v = 0; base = 10
    if (s ~ /^0x/) { base = 16; s = substr(s, 3) }
    else if (s ~ /^0[0-7]/) { base = 8; s = substr(s, 2) }
    for (i = 1; i <= length(s); i++) {
        c = index("0123456789abcdef", substr(s, i, 1)) - 1
        v = v * base + c
    }
    return v
}
# Byte i (from 0) of the hex string h (memory order), 0 past its end.
function hbyte(h, i) {
    if (2 * i + 2 > length(h)) return 0
    return num("0x" substr(h, 2 * i + 1, 2))
}
# SIZE bytes at ADDR, byte k given by hbyte(h, k) (or all `fill` if h is
# empty): 4-byte entries of kind `kind`, then 1-byte ones.
function bulk(kind, addr, size, h, fill,   k, b0, b1, b2, b3) {
    for (k = 0; k + 4 <= size; k += 4) {
        if (h == "") { b0 = b1 = b2 = b3 = fill }
        else { b0 = hbyte(h, k); b1 = hbyte(h, k + 1); b2 = hbyte(h, k + 2); b3 = hbyte(h, k + 3) }
        printf "    .long %d, 0x%08x, 0x%02x%02x%02x%02x\n", 64 + kind, addr + k, b3, b2, b1, b0
        n++
    }
    for (; k < size; k++) {
        printf "    .long %d, 0x%08x, 0x%02x\n", 16 + kind, addr + k, h == "" ? fill : hbyte(h, k)
        n++
    }
}
# A mistake in a transcript's marks stops the build, naming the line.
function die(why) {
    printf "qtest_guest.awk: %s:%d: %s\n", FILENAME, FNR, why > "/dev/stderr"
    failed = 1
    exit 1
}
FNR == 1 {
    if (name == "" && FILENAME ~ /(^|\/)abuse\//) {
        name = FILENAME; sub(/^.*\//, "", name); name = "abuse/" name
    }
}
/^#! kvm-skip/ { skip = 1; next }
/^#! kvm-resume/ {
    if (!held) die("#! kvm-resume with no host-side request before it")
    held = 0
    next
}
/^#! kvm-/ { die("unknown mark: " $0) }
/^#/ || /^[ \t]*$/ { next }
/^< / {
    if (pending && $2 == "OK") {
        if (pending == 2) {
            h = substr($3, 3)
            bulk(4, baddr, bsize, h, 0)
        } else {
            v = $3
            printf "    .long %d, %s, %s\n", code, addr, v == "" ? "0" : v
            n++
        }
        pending = 0
    } else if (pending && $2 == "FAIL") {
        pending = 0
    }
    next
}
{
    pending = 0
    code = op($1)
    if ($1 ~ /^(eoi|extint_ack|uart_rx|vcon_input|kbd_key|mouse_move|system_reset|clock_set)$/ ||
        ($1 == "clock_step" && NF == 1)) {
        held = 1                # marked kvm-skip or not
        skip = 0
        next
    }
    if (skip) { skip = 0; next }
    # After such a request, no read until `#! kvm-resume`.
    if (held && (code % 16 == 2 || code % 16 == 4 || $1 == "read")) next
    if ($1 == "write" && NF == 4) {
        h = $4; sub(/^0[xX]/, "", h)
        bulk(3, num($2), num($3), h, 0)
        next
    }
    if ($1 == "memset" && NF == 4) {
        bulk(3, num($2), num($3), "", num($4))
        next
    }
    if ($1 == "read" && NF == 3) {
        baddr = num($2); bsize = num($3)
        pending = 2             # the bytes come with the answer line
        next
    }
    if ($1 == "clock_step" && NF == 2) {
        # ticks = ceil(ns * 3579545 / 1e9), exact in doubles part by part
        ns = num($2)
        t = int(ns / 1000000000) * 3579545
        r = (ns % 1000000000) * 3579545
        t += int(r / 1000000000) + (r % 1000000000 > 0)
        if (t > 4294967295) t = 4294967295
        printf "    .long 5, 0, %d\n", t
        n++
        next
    }
    if (code == 0) next
    addr = $2
    if (code % 16 == 1 || code % 16 == 3) {
        printf "    .long %d, %s, %s\n", code, addr, $3
        n++
    } else {
        pending = 1             # the value comes with the answer line
    }
}
END {
    if (failed) exit 1
    printf "    .set board_checks, %d\n", n
    if (name != "") {
        printf "    .pushsection .rodata\n"
        printf "board_name:\n    .asciz \"%s\"\n", name
        printf "    .popsection\n"
    }
}
