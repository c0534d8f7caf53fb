#!/usr/bin/env bash
# bench.sh - every benchmark of book/performance.md, behind `./run bench`.
#
#   tests/bench/bench.sh [--json PATH] [--runs N] [--quick] [--no-book]
#
# Measures our monitor (vm/bbvm) and kernels against the peer a user would
# pick instead (QEMU, booting the same image) and against floors (the least
# the hardware or KVM allows, measured here), and prints one table: figure,
# ours, peer or floor, ratio, target, verdict. Each number is the median of
# N runs (default 9) with the lowest and highest beside it; ours and the
# other side are measured in the same run, interleaved (ours first in odd
# runs, second in even ones), because absolute times drift on a shared
# machine. Nothing here passes or fails: the verdict is information, and
# the script exits 0 once it has measured, whatever the verdicts say.
#
# Without a usable /dev/kvm (bbvm --check-kvm and tests/bench/kvmfloor
# --check decide), the figures that need it print "not measured: no
# /dev/kvm"; the CPU-less board, the image sizes, the build and the host
# micro-benchmarks still run.
#
# --quick      3 runs, and no clean clone: the build figures are measured
#              on the working tree (its null build) and the full test run
#              from a clean clone is not measured
# --json PATH  the same figures, and every sample, as JSON
# --no-book    leave the book's copy of the results (book/perf/results.tsv,
#              which book/Tupfile draws the chapter's plots from) alone
#
# Writes build/bench/: samples.tsv (figure, side, value), results.tsv (the
# table), table.md (the table as the chapter shows it), machine.txt, logs/.
# The programs it runs are built by tup first (tests/bench/Tupfile,
# arch/x64's kbench.elf).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

runs=9 quick= json= book=1
while [ $# -gt 0 ]; do
    case $1 in
    --runs) [ $# -ge 2 ] || { echo "bench: --runs needs a number" >&2; exit 2; }
            runs=$2; shift 2 ;;
    --runs=*) runs=${1#--runs=}; shift ;;
    --quick) quick=1; runs=3; shift ;;
    --json) [ $# -ge 2 ] || { echo "bench: --json needs a path" >&2; exit 2; }
            json=$2; shift 2 ;;
    --json=*) json=${1#--json=}; shift ;;
    --no-book) book=; shift ;;
    *) echo "bench: unknown option '$1' (try ./run help)" >&2; exit 2 ;;
    esac
done
case $runs in ''|*[!0-9]*|0) echo "bench: --runs must be a positive number, not '$runs'" >&2; exit 2 ;; esac
if [ -n "$json" ]; then
    case $json in /*) ;; *) json=$root/$json ;; esac
    : > "$json" 2>/dev/null || { echo "bench: cannot write $json" >&2; exit 2; }
fi
# `./run bench` asks this first, so a bad option fails before the build.
[ -z "${BENCH_CHECK_ARGS:-}" ] || exit 0

out=$root/build/bench
rm -rf "$out"
mkdir -p "$out/logs"
samples=$out/samples.tsv skips=$out/skips.tsv
: > "$samples"; : > "$skips"
say() { printf '==> %s\n' "$*" >&2; }
bin=$root/tests/bench
kbench=$root/arch/x64/kbench.elf
bbvm=$root/vm/bbvm
mem=64M mem_bytes=67108864

# One sample: figure, side (ours, qemu, floor), value.
sample() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$samples"; }
# A memory sample from a stopwatch line, unless the guest RAM mapping was
# not found (then the monitor's figure would include it): figure side line.
mem_sample() {
    [ "$(echo "$3" | field status)" = 3 ] || { skip "$1" "$2: the monitor did not exit 3: $3"; return; }
    if [ "$(echo "$3" | field guest_kib)" -gt 0 ] 2>/dev/null; then
        sample "$1" "$2" "$(echo "$3" | field mon_kib)"
    else
        skip "$1" "$2: no guest RAM mapping of $mem found in /proc/PID/smaps"
    fi
}
# A figure that could not be measured, and why: once per side (a reason
# that starts "ours: ", "qemu: " or "floor: "), so that one side's failure
# does not stand for the other's.
skip() {
    awk -F'\t' -v f="$1" -v w="$2" 'BEGIN { s = w; sub(/: .*/, "", s) }
        $1 == f { seen = 1; if (s ~ /^(ours|qemu|floor)$/ && index($2, s ": ") == 0) $2 = $2 "; " w }
        { print $1 "\t" $2 }
        END { if (!seen) print f "\t" w }' "$skips" > "$skips.new" && mv "$skips.new" "$skips"
}
# The value after `key` in a stopwatch/kbench line: field KEY VALUE pairs.
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'; }
# Run a command as sides in alternating order: `alternate R cmd_a cmd_b`.
alternate() {
    if [ $(($1 % 2)) -eq 1 ]; then "$2"; "$3"; else "$3"; "$2"; fi
}

# ---- the machine ------------------------------------------------------
kvm_ok= kvm_why="no /dev/kvm" floor_ok= floor_why=
dev=${BREADBOARD_KVM:-/dev/kvm}
if [ -c "$dev" ] && { : <> "$dev"; } 2>/dev/null; then
    if why=$("$bbvm" --kvm-device "$dev" --check-kvm 2>&1); then
        kvm_ok=1
        why=$(BREADBOARD_KVM=$dev "$bin/kvmfloor" --check 2>&1) && floor_ok=1 || floor_why=$why
    else
        kvm_why="$dev cannot run a VM here: $why"
    fi
elif [ -e "$dev" ]; then
    kvm_why="$dev cannot be opened read-write"
fi
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) ($(nproc) cores online)"
    echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel: $(uname -sr)"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "qemu: $(qemu-system-x86_64 --version | head -n 1)"
    echo "gcc: $(gcc --version | head -n 1)"
    echo "kvm: ${kvm_ok:+usable ($dev)}${kvm_ok:-$kvm_why}"
    echo "runs: $runs per figure"
} > "$out/machine.txt"
sed 's/^/    /' "$out/machine.txt" >&2

# ---- the peer's command lines ----------------------------------------
# QEMU boots the same image the way tests/boot does, with KVM: microvm
# for everything that needs no PCI (its virtio devices are virtio-mmio,
# which the kernel is told of on the command line, as bbvm tells it of
# its own), q35 for the MSI figure. Output goes to stdout, as bbvm's.
qemu_common=(-accel kvm -cpu host -m "$mem" -nodefaults -no-user-config -display none
             -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=1 -no-reboot)
# qemu_microvm CMDLINE [ARGS]: the command line, in the array qemu.
qemu_microvm() {
    local c=$1; shift
    qemu=(qemu-system-x86_64 -M microvm,ioapic2=off,pit=on,rtc=on "${qemu_common[@]}"
          -global virtio-mmio.force-legacy=false -kernel "$kbench" -append "$c" "$@")
}
# The virtio devices of the throughput figures: an entropy source and a
# console on virtio-mmio (slots 7 and 6: 0xfeb00e00 on GSI 23, 0xfeb00c00
# on GSI 22). The console writes to a regular file: QEMU's virtconsole
# drops what a pipe cannot take at once and reports it consumed all the
# same (book/performance.md), and a file chardev opened on /dev/stdout
# would truncate the log. bbvm's console output goes with COM1's to its
# stdout, the log file.
qemu_vio=(-device virtio-rng-device -device virtio-serial-device,max_ports=1
          -device virtconsole,chardev=vcon)
qemu_vio_cmdline="virtio_mmio.device=512@0xfeb00e00:23 virtio_mmio.device=512@0xfeb00c00:22"

# QEMU cannot be pointed at another KVM device: where BREADBOARD_KVM names
# one, QEMU's side is not measured rather than measured on /dev/kvm.
qemu_ok=1 qemu_why=
[ "$dev" = /dev/kvm ] || { qemu_ok=; qemu_why="QEMU uses /dev/kvm only, and BREADBOARD_KVM is $dev"; }
# The kernel's first line, its banner, before it calibrates any clock:
# bbvm states the TSC rate in CPUID leaf 0x15 and QEMU does not, so on
# QEMU the kernel then spends 10 ms or more on the PIT (boot-exit has it).
first_line="breadboard: kernel for x64"

# ---- 1, 6. boot and memory --------------------------------------------
boot_ours() {
    local l
    l=$("$bin/stopwatch" --ready "$first_line" --timeout 60 -- "$bbvm" --kvm-device "$dev" -n -m "$mem" -c "bench=none" "$kbench")
    echo "ours $l" >> "$out/logs/boot.log"
    case $(echo "$l" | field status)/$(echo "$l" | field ready_ms) in
    3/[0-9]*) ;;
    *) skip boot "ours: bbvm did not exit 3 after its first line: $l"; return ;;
    esac
    sample boot-ready ours "$(echo "$l" | field ready_ms)"
    sample boot-exit ours "$(echo "$l" | field exit_ms)"
}
boot_qemu() {
    local l
    [ -n "$qemu_ok" ] || { skip boot "qemu: $qemu_why"; return; }
    qemu_microvm "bench=none"
    l=$("$bin/stopwatch" --ready "$first_line" --timeout 60 -- "${qemu[@]}")
    echo "qemu $l" >> "$out/logs/boot.log"
    case $(echo "$l" | field status)/$(echo "$l" | field ready_ms) in
    3/[0-9]*) ;;
    *) skip boot "qemu: QEMU did not exit 3 after the first line: $l"; return ;;
    esac
    sample boot-ready qemu "$(echo "$l" | field ready_ms)"
    sample boot-exit qemu "$(echo "$l" | field exit_ms)"
}
mem_ours() {
    local l
    l=$("$bin/stopwatch" --ready "bench: ready" --mem --ram $mem_bytes --timeout 60 -- "$bbvm" --kvm-device "$dev" -n -m "$mem" -c "bench=none" "$kbench")
    echo "ours $l" >> "$out/logs/mem.log"
    mem_sample mem ours "$l"
}
mem_qemu() {
    local l
    [ -n "$qemu_ok" ] || { skip mem "qemu: $qemu_why"; return; }
    qemu_microvm "bench=none"
    l=$("$bin/stopwatch" --ready "bench: ready" --mem --ram $mem_bytes --timeout 60 -- "${qemu[@]}")
    echo "qemu $l" >> "$out/logs/mem.log"
    mem_sample mem qemu "$l"
}

# ---- 2-5. what the guest measures (tests/bench/kbench.c) --------------
# One boot runs every figure of a side; kbench prints `bench: FIG n N ns T`
# or `bench: FIG n N p50 A p99 B max C`.
guest_figures() { # side log
    local side=$1 log=$2
    # Whole lines of whole numbers only: bbvm's stderr is kept apart, but a
    # line cut short must not pass as a figure.
    awk -v side="$side" '
        { sub(/\r$/, "") }
        $1 == "bench:" && NF == 6 && $3 == "n" && $5 == "ns" && $4 ~ /^[0-9]+$/ && $6 ~ /^[0-9]+$/ && $4 > 0 && $6 > 0 {
            print $2 "\t" side "\t" $4 "\t" $6 }
        $1 == "bench:" && NF == 10 && $3 == "n" && $5 == "p50" && $7 == "p99" && $6 ~ /^[0-9]+$/ && $8 ~ /^[0-9]+$/ {
            print $2 "-p50\t" side "\t1\t" $6; print $2 "-p99\t" side "\t1\t" $8 }
    ' "$log" | while IFS=$'\t' read -r fig s n ns; do
        case $fig in
        exit-*|*-p50|*-p99) sample "$fig" "$s" "$(awk -v n="$n" -v t="$ns" 'BEGIN { printf "%.1f", t / n }')" ;;
        *) sample "$fig" "$s" "$(awk -v n="$n" -v t="$ns" 'BEGIN { printf "%.2f", n / t * 1e9 / 1048576 }')" ;;
        esac
    done
    tr -d '\r' < "$log" | grep '^bench: [^ ]* not available: ' | while read -r _ fig _ _ why; do
        skip "$fig" "$side: not available: $why"
        [ "$fig" != irq-msi ] || skip rng-roundtrip "$side: not available: $why"
    done || true
}
# One kbench boot: side, log, the figures it should print, the command.
# Stdin /dev/null (QEMU's -serial stdio would take the terminal, and stop
# a bench run in the background), bounded (7 figures of at most 30 s
# each), the monitor's stderr apart from the guest's lines.
kb_run() {
    local side=$1 log=$2 figs=$3 rc=0 f
    shift 3
    timeout -k 10 400 "$@" < /dev/null > "$log" 2> "${log%.log}.err" || rc=$?
    guest_figures "$side" "$log"
    if ! tr -d '\r' < "$log" | grep -qx 'bench: done'; then
        for f in $figs; do skip "$f" "$side: kbench did not finish (status $rc, $log)"; done
    fi
}
kb_figs="bench=pio,mmio,irq,rng,vcon,serial"
kb_list="exit-pio exit-mmio irq-ioapic virtio-rng virtio-console serial"
kb_ours() {
    kb_run ours "$out/logs/kbench-ours-$r.log" "$kb_list" \
        "$bbvm" --kvm-device "$dev" -n -m "$mem" -c "$kb_figs bench-transport=mmio" "$kbench"
}
kb_qemu() {
    [ -n "$qemu_ok" ] || { for f in $kb_list; do skip "$f" "qemu: $qemu_why"; done; return; }
    qemu_microvm "$kb_figs $qemu_vio_cmdline" "${qemu_vio[@]}" \
        -chardev file,id=vcon,path="$out/logs/vcon-qemu-$r.out"
    kb_run qemu "$out/logs/kbench-qemu-$r.log" "$kb_list" "${qemu[@]}"
}
kb_msi_ours() {
    kb_run ours "$out/logs/kbench-msi-ours-$r.log" "irq-msi rng-roundtrip" \
        "$bbvm" --kvm-device "$dev" -n -m "$mem" -c "bench=msi bench-transport=pci" "$kbench"
}
kb_msi_qemu() {
    [ -n "$qemu_ok" ] || { skip irq-msi "qemu: $qemu_why"; skip rng-roundtrip "qemu: $qemu_why"; return; }
    kb_run qemu "$out/logs/kbench-msi-qemu-$r.log" "irq-msi rng-roundtrip" \
        qemu-system-x86_64 -M q35 "${qemu_common[@]}" -kernel "$kbench" \
        -append "bench=msi bench-transport=pci" -device virtio-rng-pci,disable-legacy=on
}
floor_exits() {
    local k l
    for k in pio mmio; do
        l=$(BREADBOARD_KVM=$dev "$bin/kvmfloor" $k 20000 2>&1) || { skip exit-$k "floor: kvmfloor: $l"; continue; }
        sample exit-$k floor "$(echo "$l" | awk '{ printf "%.1f", $6 / $4 }')"
    done
}

if [ -n "$kvm_ok" ]; then
    say "boot, memory, exits, interrupts and throughput: ours and QEMU with KVM, $runs runs each"
    for r in $(seq 1 "$runs"); do
        alternate "$r" boot_ours boot_qemu
        alternate "$r" mem_ours mem_qemu
        alternate "$r" kb_ours kb_qemu
        alternate "$r" kb_msi_ours kb_msi_qemu
        if [ -n "$floor_ok" ]; then
            floor_exits
        else
            skip exit-pio "floor: $floor_why"; skip exit-mmio "floor: $floor_why"
        fi
        printf '.' >&2
    done
    echo >&2
else
    for f in boot mem exit-pio exit-mmio irq-ioapic irq-msi rng-roundtrip virtio-rng virtio-console serial; do
        skip "$f" "$kvm_why"
    done
fi

# ---- the CPU-less board: start-up and memory at rest ------------------
# bbvm --qtest builds the whole board with no VM and answers requests;
# QEMU -S builds its microvm (TCG, stopped: no guest instruction runs) and
# answers QMP. "Ready" is the first answer; then each is told to quit.
say "the machine without a CPU: bbvm --qtest and QEMU -S, $runs runs each"
printf 'inb 0x21\n' > "$out/qtest.in"
printf '{"execute":"qmp_capabilities"}\n' > "$out/qmp.in"
printf '{"execute":"quit"}\n' > "$out/qmp-quit.in"
board_ours() {
    local l
    l=$("$bin/stopwatch" --ready "OK" --stdin "$out/qtest.in" --timeout 30 -- "$bbvm" --qtest -m "$mem" "$kbench")
    echo "ours $l" >> "$out/logs/board.log"
    sample board-start ours "$(echo "$l" | field ready_ms)"
    l=$("$bin/stopwatch" --ready "OK" --mem --ram $mem_bytes --stdin "$out/qtest.in" --timeout 30 -- "$bbvm" --qtest -m "$mem" "$kbench")
    echo "ours $l" >> "$out/logs/board.log"
    mem_sample board-mem ours "$l"
}
board_qemu() {
    local l q=(qemu-system-x86_64 -M microvm,ioapic2=off,pit=on,rtc=on -accel tcg -S -m "$mem"
               -nodefaults -no-user-config -display none -qmp stdio -kernel "$kbench")
    l=$("$bin/stopwatch" --ready '"return"' --stdin "$out/qmp.in" --after-ready "$out/qmp-quit.in" --timeout 30 -- "${q[@]}")
    echo "qemu $l" >> "$out/logs/board.log"
    sample board-start qemu "$(echo "$l" | field ready_ms)"
    l=$("$bin/stopwatch" --ready '"return"' --mem --ram $mem_bytes --stdin "$out/qmp.in" --after-ready "$out/qmp-quit.in" --timeout 30 -- "${q[@]}")
    echo "qemu $l" >> "$out/logs/board.log"
    mem_sample board-mem qemu "$l"
}
# The floor under any monitor's start: a process that does nothing.
board_floor() {
    sample board-start floor "$("$bin/stopwatch" -- /bin/true | field exit_ms)"
}
for r in $(seq 1 "$runs"); do alternate "$r" board_ours board_qemu; board_floor; done

# ---- 7. kernel image sizes --------------------------------------------
say "kernel image sizes"
for a in x64 arm64 arm32 rv64; do
    case $a in x64) s=size ;; arm64) s=aarch64-linux-gnu-size ;; arm32) s=arm-linux-gnueabihf-size ;;
               rv64) s=riscv64-linux-gnu-size ;; esac
    read -r t d b _ < <($s "arch/$a/kernel.elf" | tail -n 1)
    sample size-$a ours "$(awk -v x=$((t + d + b)) 'BEGIN { printf "%.1f", x / 1024 }')"
    printf 'size-%s\t%s\t%s\t%s\n' "$a" "$t" "$d" "$b" >> "$out/sizes.tsv"
done

# ---- 9. the models on the host ----------------------------------------
say "device models on the host (tests/bench/hostbench)"
"$bin/hostbench" -r "$runs" > "$out/hostbench.tsv" 2> "$out/logs/hostbench.log"
grep -v '^#' "$out/hostbench.tsv" | while IFS=$'\t' read -r name om omin omax fm fmin fmax label; do
    sample "host-$name" ours "$om"; sample "host-$name" ours-min "$omin"; sample "host-$name" ours-max "$omax"
    sample "host-$name" floor "$fm"; sample "host-$name" floor-min "$fmin"; sample "host-$name" floor-max "$fmax"
    printf 'host-%s\t%s\n' "$name" "$label" >> "$out/floors.tsv"
done

# ---- 8. build and test --------------------------------------------------
# In a clean clone, so the working tree is left as it is: `./run test`
# from nothing (packages are installed by then, so this is the build and
# the suite), then tup with nothing changed, then tup after touching one
# header (hdr/rtc_cmos.h: the x64 kernels and the board use it, the
# other arches do not), and which tests that re-ran.
touch_hdr=${BENCH_TOUCH:-hdr/rtc_cmos.h}
null_build() { # dir
    local t0 t1
    t0=$(date +%s%N); (cd "$1" && tup > /dev/null 2>&1); t1=$(date +%s%N)
    awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }'
}
if [ -n "$quick" ]; then
    say "build: null builds of the working tree (--quick: no clean clone)"
    tup > /dev/null 2>&1 || true
    for r in $(seq 1 "$runs"); do sample build-null ours "$(null_build "$root")"; done
    skip test-clean "--quick"
    skip build-touch "--quick"
else
    # Outside the tree: tup looks up the directories for a .tup database,
    # and a clone under this one would be built as part of it.
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/bench-clone.XXXXXX")
    clone=$scratch/clone
    trap 'rm -rf "$scratch"' EXIT
    say "build: ./run test in a clean clone in $scratch (several minutes)"
    git clone -q "$root" "$clone"
    t0=$(date +%s%N)
    (cd "$clone" && ./run test) > "$out/logs/clone-test.log" 2>&1 || true
    t1=$(date +%s%N)
    tail -n 1 "$out/logs/clone-test.log" > "$out/clone-test-result.txt"
    # A run that did not get to its count line measured nothing.
    if grep -Eq '^[0-9]+ passed, [0-9]+ failed' "$out/clone-test-result.txt"; then
        sample test-clean ours "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d / 1e9 }')"
    else
        skip test-clean "the clone's ./run test did not finish: $(cat "$out/clone-test-result.txt")"
    fi
    for r in $(seq 1 "$runs"); do sample build-null ours "$(null_build "$clone")"; done
    say "build: tup after touching $touch_hdr"
    stamp=$out/touch.stamp; : > "$stamp"; sleep 1
    touch "$clone/$touch_hdr"
    t0=$(date +%s%N); (cd "$clone" && tup > "$out/logs/touch-tup.log" 2>&1) || true; t1=$(date +%s%N)
    sample build-touch ours "$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d / 1e9 }')"
    (cd "$clone/tests/out" && find . -name '*.result' -newer "$stamp" | sed 's|^\./||; s|\.result$||' | sort) > "$out/touch-reran.txt"
    rm -rf "$scratch"
fi

# ---- the table -------------------------------------------------------------
# Each row: id, the samples' figure, unit, the other side (a side of the
# samples, or const:VALUE for a published or budgeted bar), its label,
# target on ours/other (<=X, >=X, or - for information), title.
cat > "$out/rows.tsv" <<'EOF'
boot-ready	boot-ready	ms	qemu	QEMU microvm, KVM	<=0.25	1. Boot: monitor start to the kernel's first line
boot-exit	boot-exit	ms	qemu	QEMU microvm, KVM	<=0.25	1. Boot: monitor start to exit
exit-pio	exit-pio	ns/exit	floor	bare KVM run loop	<=1.15	2. Exit cost: port write (port 0x80)
exit-pio-qemu	exit-pio	ns/exit	qemu	QEMU microvm, KVM	<=0.667	2. Exit cost: port write, against QEMU
exit-mmio	exit-mmio	ns/exit	floor	bare KVM run loop	<=1.15	2. Exit cost: MMIO write (unclaimed)
exit-mmio-qemu	exit-mmio	ns/exit	qemu	QEMU microvm, KVM	<=0.667	2. Exit cost: MMIO write, against QEMU
irq-ioapic-p50	irq-ioapic-p50	ns	qemu	QEMU microvm, KVM	-	3. Interrupt latency, IOAPIC line: median
irq-ioapic-p99	irq-ioapic-p99	ns	qemu	QEMU microvm, KVM	-	3. Interrupt latency, IOAPIC line: 99th percentile
irq-ioapic-handler-p50	irq-ioapic-handler-p50	ns	qemu	QEMU microvm, KVM	-	3. IOAPIC line to the kernel's deferred handler: median
irq-msi-p50	irq-msi-p50	ns	qemu	QEMU q35, KVM	-	3. Interrupt latency, MSI-X: median
irq-msi-p99	irq-msi-p99	ns	qemu	QEMU q35, KVM	-	3. Interrupt latency, MSI-X: 99th percentile
rng-roundtrip-p50	rng-roundtrip-p50	ns	qemu	QEMU q35, KVM	-	3. virtio-rng request to its callback: median
virtio-rng	virtio-rng	MiB/s	qemu	QEMU microvm, KVM	>=2	4. virtio-rng throughput
virtio-console	virtio-console	MiB/s	qemu	QEMU microvm, KVM	>=2	4. virtio-console throughput
serial	serial	MiB/s	qemu	QEMU microvm, KVM	-	5. Serial (16550) output throughput
mem	mem	KiB	qemu	QEMU microvm, KVM	<=0.25	6. Monitor memory beside guest RAM
mem-fc	mem	KiB	const:5120	Firecracker's 5 MiB bar	<=1	6. Monitor memory, against Firecracker's bar
board-start	board-start	ms	qemu	QEMU -S microvm (TCG)	-	1. No CPU: monitor start to its first answer
board-start-floor	board-start	ms	floor	an empty process (/bin/true)	-	1. No CPU: monitor start, against process start
board-mem	board-mem	KiB	qemu	QEMU -S microvm (TCG)	<=0.25	6. No CPU: monitor memory at rest
size-x64	size-x64	KiB	const:128	128 KiB	<=1	7. Kernel image, x64 (text+data+bss)
size-arm64	size-arm64	KiB	const:128	128 KiB	<=1	7. Kernel image, arm64 (text+data+bss)
size-arm32	size-arm32	KiB	const:128	128 KiB	<=1	7. Kernel image, arm32 (text+data+bss)
size-rv64	size-rv64	KiB	const:128	128 KiB	<=1	7. Kernel image, rv64 (text+data+bss)
build-null	build-null	s	const:0.5	0.5 s	<=1	8. tup with nothing changed
build-touch	build-touch	s	-	-	-	8. tup after touching one header
test-clean	test-clean	s	const:1200	CI budget, 20 min	<=1	8. ./run test from a clean clone
EOF
grep -v '^#' "$out/hostbench.tsv" | cut -f1 | while read -r name; do
    printf 'host-%s\thost-%s\tns\tfloor\t%s\t-\t9. Host: %s\n' "$name" "$name" \
        "$(grep "^host-$name	" "$out/floors.tsv" | cut -f2)" "$name" >> "$out/rows.tsv"
done

awk -F'\t' -f tests/bench/results.awk -v skips="$skips" -v sizes="$out/sizes.tsv" \
    -v reran="$out/touch-reran.txt" -v hdr="$touch_hdr" -v clone_result="$out/clone-test-result.txt" \
    "$samples" "$out/rows.tsv" > "$out/results.tsv"

# Print it: one line per row, values as median [low..high].
awk -F'\t' '
    function fmt(x) { if (x == "" || x == "-") return x; x += 0; return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
    function cell(m, l, h) { return m == "-" ? "-" : fmt(m) (l != "" && l != h ? " [" fmt(l) ".." fmt(h) "]" : "") }
    BEGIN { printf "%-66s %-22s %-44s %6s %7s  %s\n", "figure", "ours", "peer or floor", "ratio", "target", "verdict" }
    {
        other = $8 == "-" ? "-" : $9 == "const" ? $7 : cell($8, $9, $10) " " $7
        printf "%-66s %-22s %-44s %6s %7s  %s\n", $2 " (" $3 ")", cell($4, $5, $6), other,
            $11 == "-" ? "-" : sprintf("%.2f", $11), $12, $13 ($14 != "" ? "; " $14 : "")
    }' "$out/results.tsv" | tee "$out/table.txt"

# The chapter's table, in Markdown (no | inside a cell).
awk -F'\t' '
    function fmt(x) { if (x == "" || x == "-") return x; x += 0; return x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x) }
    function cell(m, l, h) { return m == "-" ? "-" : fmt(m) (l != "" && l != h ? " (" fmt(l) " to " fmt(h) ")" : "") }
    BEGIN { print "| Figure | Unit | Ours | Peer or floor | Ratio | Target | Verdict |"; print "|---|---|---|---|---|---|---|" }
    {
        other = $8 == "-" ? "-" : $9 == "const" ? $7 : cell($8, $9, $10) ", " $7
        v = $13 ($14 != "" ? "; " $14 : ""); gsub(/\|/, "/", v)
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, cell($4, $5, $6), other,
            $11 == "-" ? "-" : sprintf("%.2f", $11), $12 == "-" ? "-" : $12, v
    }' "$out/results.tsv" > "$out/table.md"

# ---- JSON ------------------------------------------------------------------
if [ -n "$json" ]; then
    awk -F'\t' -v machine="$out/machine.txt" -v samples="$samples" -v reran="$out/touch-reran.txt" '
        function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/[\t\r\n]/, " ", s); return "\"" s "\"" }
        function num(x) { return x == "" || x == "-" || x == "const" ? "null" : x + 0 }
        BEGIN {
            printf "{\n  \"machine\": {"
            sep = ""
            while ((getline l < machine) > 0) { k = l; sub(/:.*/, "", k); v = l; sub(/^[^:]*: /, "", v); printf "%s\n    %s: %s", sep, q(k), q(v); sep = "," }
            printf "\n  },\n  \"figures\": ["
            sep = ""
        }
        {
            printf "%s\n    {\"id\": %s, \"title\": %s, \"unit\": %s, \"ours\": {\"median\": %s, \"low\": %s, \"high\": %s, \"runs\": %s}, ", sep, q($1), q($2), q($3), num($4), num($5), num($6), $15 + 0
            printf "\"other\": {\"label\": %s, \"median\": %s, \"low\": %s, \"high\": %s}, \"ratio\": %s, \"target\": %s, \"verdict\": %s, \"note\": %s}", q($7), num($8), num($9), num($10), num($11), $12 == "-" ? "null" : q($12), q($13), q($14)
            sep = ","
        }
        END {
            printf "\n  ],\n  \"rerun_after_touch\": ["
            sep = ""; while ((getline l < reran) > 0) { printf "%s%s", sep, q(l); sep = ", " }
            printf "],\n  \"samples\": ["
            sep = ""; while ((getline l < samples) > 0) { split(l, p, "\t"); printf "%s\n    [%s, %s, %s]", sep, q(p[1]), q(p[2]), p[3] + 0; sep = "," }
            printf "\n  ]\n}\n"
        }' "$out/results.tsv" > "$json"
    say "JSON: $json"
fi

# ---- the book's plots ------------------------------------------------------
if [ -n "$book" ]; then
    mkdir -p book/perf
    cp "$out/results.tsv" book/perf/results.tsv
    cp "$out/table.md" book/perf/table.md
    cp "$out/machine.txt" book/perf/machine.txt
    say "redrawing the chapter's plots (book/Tupfile: book/perf/results.tsv -> book/fig/bench-*.svg)"
    tup book > "$out/logs/tup-book.log" 2>&1 || say "tup book failed: see $out/logs/tup-book.log"
fi
say "figures in $out/results.tsv, the table in $out/table.txt"
