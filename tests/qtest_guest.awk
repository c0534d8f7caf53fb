# qtest_guest.awk - turn a qtest transcript (qtest.sh's format) into a table
# that tests/guest/board.S replays as a guest CPU on the KVM board: every
# port and MMIO access of 1, 2 or 4 bytes, and for each read the value the
# transcript expects. So the same script is checked without a CPU (qtest)
# and with one (KVM), against the same answers.
#
# Each entry: .long OP, ADDRESS, VALUE (OP: 1 out, 2 in, 3 MMIO write,
# 4 MMIO read; times 16 the width). A request the guest cannot make the
# same way (8-byte accesses from 32-bit code, the clock, our added verbs)
# or that the line before marks `#! kvm-skip` (a value that depends on
# time, which runs on its own under KVM) is left out.
function op(v,   w) {
    w = substr(v, length(v), 1)
    w = w == "b" ? 1 : w == "w" ? 2 : w == "l" ? 4 : 0
    if (v ~ /^out[bwl]$/) return w * 16 + 1
    if (v ~ /^in[bwl]$/) return w * 16 + 2
    if (v ~ /^write[bwl]$/) return w * 16 + 3
    if (v ~ /^read[bwl]$/) return w * 16 + 4
    return 0
}
/^#! kvm-skip/ { skip = 1; next }
/^#/ || /^[ \t]*$/ { next }
/^< / {
    if (pending) {
        v = $3
        printf "    .long %d, %s, %s\n", code, addr, v == "" ? "0" : v
        n++
        pending = 0
    }
    next
}
{
    pending = 0
    code = op($1)
    if (skip || code == 0) { skip = 0; next }
    addr = $2
    if (code % 16 == 1 || code % 16 == 3) {
        printf "    .long %d, %s, %s\n", code, addr, $3
        n++
    } else {
        pending = 1             # the value comes with the answer line
    }
}
END { printf "    .set board_checks, %d\n", n }
