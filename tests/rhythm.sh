#!/bin/sh
# rhythm.sh ROOT - every chapter of the book keeps the book's one rhythm
# (book/intro.md, "How to read it"). Fails when:
#   - a subsystem chapter lacks one of its level-2 headings, in this order:
#     "The hardware...", "Code: the driver...", "Code: the device model...",
#     "Real world...", "Exercises" (other sections may come between them);
#   - any other chapter (all but the front page and the operator's
#     reference) lacks "Real world..." followed by "Exercises";
#   - an exercise (a numbered item under "Exercises") has no "Test:" hint
#     naming, in backquotes, a file or directory that exists in the tree:
#     the test that would prove the reader's answer;
#   - a header of hdr/ has no appendix "Appendix: hdr/NAME.h on its
#     own" (exactly one in the book, after its chapter's exercises) quoting
#     book/alone/NAME.c with \snippet and showing book/alone/NAME.expect
#     with \verbinclude; tests/alone.sh compiles and runs that example.
set -eu
cd "$1"
SUBSYSTEMS="async irq timers pci virtio pic8259 ioapic pit8254 rtc_cmos i8042 uart16550 chipset"
# Chapters not yet rewritten into the rhythm are reported as pending, by
# name, and not failed, while their names are here (none are now; a new
# subsystem's chapter may start here, and leaves when it is done).
PENDING=""
EXEMPT="intro operator"
bad=0
# A name that counts: a file or directory of the sources. What the build
# makes (results, logs, objects, images) is not looked at: it is missing
# from a clean clone, and tup would refuse a rule reading it undeclared.
is_source() {
    case $1 in
    ""|*" "*|/*|*..*|tests/out/*|*/out/*|build/*|*.result|*.log|*.o|*.elf|*.a) return 1 ;;
    esac
    [ -e "$1" ]
}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

for md in book/*.md; do
    ch=$(basename "$md" .md)
    case " $EXEMPT " in *" $ch "*) continue ;; esac
    case " $PENDING " in *" $ch "*) echo "rhythm: PENDING $md: not yet in the rhythm" >&2; continue ;; esac
    case " $SUBSYSTEMS " in
    *" $ch "*) want="The hardware|Code: the driver|Code: the device model|Real world|Exercises" ;;
    *) want="Real world|Exercises" ;;
    esac
    awk -v md="$md" -v want="$want" '
        function item_end() {
            if (item != "") {
                if (item !~ /Test:/) printf "ERR %s:%d: exercise %s has no \"Test:\" hint\n", md, itemline, itemno
                else {
                    s = substr(item, index(item, "Test:"))
                    n = 0
                    while (match(s, /`[^`]+`/)) {
                        printf "PATH %s:%d: %s\n", md, itemline, substr(s, RSTART + 1, RLENGTH - 2)
                        s = substr(s, RSTART + RLENGTH); n++
                    }
                    if (!n) printf "ERR %s:%d: exercise %s: its \"Test:\" names no `file`\n", md, itemline, itemno
                    else printf "ITEM %s:%d: %s\n", md, itemline, itemno
                }
            }
            item = ""
        }
        BEGIN { nw = split(want, w, "|"); k = 1 }
        /^(```|~~~)/ { fence = !fence }
        fence { if (inex && item != "") item = item " " $0; next }
        /^## / {
            item_end(); inex = 0
            h = substr($0, 4)
            if (k <= nw && index(h, w[k]) == 1) { k++; if (w[k-1] == "Exercises") { inex = 1; nex++ } }
            if (h ~ /^Appendix: `?hdr\/[a-z0-9_]+\.h`? on its own/) {
                if (k <= nw) printf "ERR %s:%d: appendix before the chapter'"'"'s \"%s\"\n", md, NR, w[k]
                match(h, /hdr\/[a-z0-9_]+\.h/); app = substr(h, RSTART + 4, RLENGTH - 6)
                printf "APPX %s:%d: %s\n", md, NR, app
            } else app = ""
            next
        }
        app != "" && /^[ \t]*\\snippet[ \t]+book\/alone\// { split($0, a, /[ \t]+/); for (i in a) if (a[i] ~ /^book\/alone\//) printf "ASNIP %s\n", a[i] }
        app != "" && /^[ \t]*\\verbinclude[ \t]+book\/alone\// { split($0, a, /[ \t]+/); for (i in a) if (a[i] ~ /^book\/alone\//) printf "AOUT %s\n", a[i] }
        inex && /^[0-9]+\. / { item_end(); item = $0; itemline = NR; itemno = $1; next }
        inex && item != "" { item = item " " $0 }
        END {
            item_end()
            if (k <= nw) printf "ERR %s: no level-2 heading beginning \"%s\" (after the ones before it in: %s)\n", md, w[k], want
            else if (!nex) printf "ERR %s: no Exercises\n", md
        }' "$md"
done > "$tmp"

while IFS= read -r line; do
    case $line in
    ERR*) echo "rhythm: ${line#ERR }"; bad=1 ;;
    PATH*) rest=${line#PATH }; p=${rest#*: }
           is_source "$p" && echo "ok ${rest%%: *} names $p" ;;
    esac
done < "$tmp"
# An exercise passes if at least one of its backquoted names exists.
grep '^ITEM ' "$tmp" | while IFS= read -r line; do
    loc=${line#ITEM }; loc=${loc%%: *}
    found=0
    for p in $(grep "^PATH $loc: " "$tmp" | sed "s|^PATH $loc: ||" | grep -v ' ' || true); do
        is_source "$p" && found=1
    done
    [ $found -eq 1 ] || { echo "rhythm: $loc: no name after its \"Test:\" is a file in the tree"; exit 1; }
done || bad=1

for h in hdr/*.h; do
    n=$(basename "$h" .h)
    case " $PENDING " in *" $n "*) echo "rhythm: PENDING hdr/$n.h: no appendix yet"; continue ;; esac
    c=$(grep -c "^APPX .*: $n\$" "$tmp" || true)
    if [ "$c" -ne 1 ]; then echo "rhythm: hdr/$n.h has $c appendices \"Appendix: hdr/$n.h on its own\", want 1"; bad=1; continue; fi
    grep -qx "ASNIP book/alone/$n.c" "$tmp" || { echo "rhythm: the appendix of hdr/$n.h quotes no \\snippet of book/alone/$n.c"; bad=1; }
    grep -qx "AOUT book/alone/$n.expect" "$tmp" || { echo "rhythm: the appendix of hdr/$n.h shows no \\verbinclude book/alone/$n.expect"; bad=1; }
    [ -f "book/alone/$n.c" ] || { echo "rhythm: no book/alone/$n.c"; bad=1; }
done
[ $bad -eq 0 ] || exit 1
np=$(set -- $PENDING; echo $#)
echo "rhythm: $(grep -c '^ITEM ' "$tmp") exercises with a test each; $(($(ls book/*.md | wc -l) - 2 - np)) chapters in rhythm; an appendix for $(($(ls hdr/*.h | wc -l) - np)) of $(ls hdr/*.h | wc -l) headers; $np pending: $PENDING"
