#!/bin/sh
# hosttime.sh TSC_KHZ TARGET KERNEL [boot args] - boot a kernel that prints
# its clocks (tests/kernel/hosttime.c) and judge them against the host's at
# the moment each line arrives:
#   "time: TSC calibrated ...: N kHz"  N within 1% of what TSC_KHZ (the
#                                     tests/tsc_khz program) measured here
#   "time: RTC reads ..., unix S"     S within 2 s of the host's clock now
# Every console line is passed on; each verdict is one `hosttime:` line
# after the line it judges. Exits with boot's status.
set -u
tsc=$1; shift
host_khz=$("$tsc") || { echo "hosttime: no host TSC rate: $host_khz"; exit 1; }
echo "hosttime: the host's TSC runs at $host_khz kHz"
{ "$(dirname "$0")/boot" "$@"; echo "hosttime: boot status $?"; } | while IFS= read -r line; do
    printf '%s\n' "$line"
    case $line in
    "time: TSC calibrated against PIT channel 2: "*)
        khz=${line#*: *: }; khz=${khz%% kHz*}
        d=$((khz > host_khz ? khz - host_khz : host_khz - khz))
        if [ $((d * 100)) -le "$host_khz" ]; then
            echo "hosttime: TSC within 1% of the host's $host_khz kHz (off by $d kHz)"
        else
            echo "hosttime: TSC $khz kHz is not within 1% of the host's $host_khz kHz"
        fi ;;
    "time: RTC reads "*", unix "*)
        now=$(date +%s); s=${line##*unix }
        d=$((s > now ? s - now : now - s))
        if [ $d -le 2 ]; then
            echo "hosttime: RTC within 2 s of the host's clock (off by $d s)"
        else
            echo "hosttime: RTC is $d s away from the host's clock ($s, host $now)"
        fi ;;
    "hosttime: boot status "*)
        exit "${line##* }" ;;
    esac
done
