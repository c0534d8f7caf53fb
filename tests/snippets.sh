#!/bin/sh
# snippets.sh ROOT - the book quotes code only through \snippet markers, and a
# marker must say one thing. Fails when:
#   - a chapter's `\snippet FILE NAME` names a file that does not exist, or a
#     NAME that FILE does not mark exactly twice (an opening and a closing
#     `//! [NAME]` line; any other line with "[NAME]" on it counts too, as it
#     does for Doxygen): missing and duplicated markers both fail;
#   - any source file marks a NAME other than exactly twice (a stray or copied
#     marker that Doxygen would silently pair with the wrong one). Files the
#     build makes (tests/out/) are not sources and are left out;
#   - a marked piece of code is quoted by no chapter, or by more than one:
#     the book shows each piece once, where it is explained, and other
#     chapters link there.
set -eu
cd "$1"
bad=0
fail() { echo "snippets: $*"; bad=1; }

for md in book/*.md; do
    grep -n '^[[:space:]]*\\snippet' "$md" | while IFS= read -r line; do
        n=${line%%:*}
        set -- $(printf '%s\n' "${line#*:}" | sed 's/.*\\snippet[[:space:]]*//')
        file=${1:-} mark=${2:-}
        if [ -z "$mark" ]; then echo "snippets: $md:$n: \\snippet needs FILE and NAME"; exit 1; fi
        if [ ! -f "$file" ]; then echo "snippets: $md:$n: no file $file"; exit 1; fi
        # Doxygen pairs the first two lines containing "[NAME]" anywhere,
        # comment or not, so that is what must occur exactly twice.
        c=$(grep -cF "[$mark]" "$file" || true)
        [ "$c" -eq 2 ] || { echo "snippets: $md:$n: $file has [$mark] on $c lines, want 2"; exit 1; }
        echo "ok $md:$n $file [$mark]"
    done || bad=1
done

# Every \snippet line of the book, as "FILE NAME", for the count below.
quotes=$(sed -n 's/^[[:space:]]*\\snippet[[:space:]]\{1,\}\([^[:space:]]*\)[[:space:]]\{1,\}\([^[:space:]]*\)[[:space:]]*$/\1 \2/p' book/*.md)
for f in $(find hdr arch vm tests book -path tests/out -prune -o -type f \( -name "*.[chS]" -o -name "*.ld" \) -print | sort); do
    case $f in *.c|*.h|*.S|*.ld) ;; *) continue ;; esac
    grep -o '//! \[[^]]*\]' "$f" | sort | uniq -c | while read -r c m; do
        [ "$c" -eq 2 ] || { echo "snippets: $f: $m appears $c times, want 2"; exit 1; }
        name=${m#"//! ["}; name=${name%"]"}
        q=$(printf '%s\n' "$quotes" | grep -cxF "$f $name" || true)
        [ "$q" -eq 1 ] || { echo "snippets: $f [$name] is quoted $q times by book/*.md, want once"; exit 1; }
    done || bad=1
done
[ $bad -eq 0 ] && echo "snippets: every marker resolves, and is quoted once"
exit $bad
