#!/bin/sh
# doxygen.sh ROOT - render the book into a scratch directory; any warning
# fails (the Doxyfile says WARN_AS_ERROR = FAIL_ON_WARNINGS).
#
# Then check what Doxygen does not warn about: a table it failed to parse
# (an unescaped | inside inline code is enough) is printed silently as one
# paragraph of raw "| a | b | |---|" text. So every chapter must have its
# page, every table in its Markdown (counted by its |---| separator rows,
# outside ``` fences) must be a <table class="markdownTable"> there, and no
# raw table row may be left in the page's text. A file a chapter includes
# with \includedoc counts as part of it. No page may show markup as text
# (a heading with `code` in it comes out as a literal <tt>). And every
# public function of hdr/ must be documented (below).
set -eu
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$1"
rc=0
sh tests/bookrender.sh . "$out" || rc=$?
[ $rc -eq 0 ] || echo "doxygen: doxygen exited $rc (its warnings are above)"

for md in book/*.md; do
    # The page is named after the chapter's {#id}; the main page is index.html.
    id=$(sed -n '1s/.*{#\([A-Za-z0-9_]*\)}.*/\1/p' "$md")
    [ "$id" != mainpage ] || id=index
    page=$out/html/$id.html
    if [ -z "$id" ]; then
        echo "doxygen: $md: its first line has no {#id}"
        rc=1; continue
    fi
    if [ ! -f "$page" ]; then
        echo "doxygen: $md: not rendered, no $id.html (is it in the Doxyfile's INPUT?)"
        rc=1; continue
    fi
    # A chapter's tables, and those of the files it pulls in whole with
    # \includedoc (book/perf/table.md, which `./run bench` writes).
    want=$(awk 'function count(f,   l, fence, n) {
                    while ((getline l < f) > 0) {
                        if (l ~ /^(```|~~~)/) { fence = !fence; continue }
                        if (!fence && l ~ /^\|[ :|-]*-[ :|-]*$/) n++
                        if (!fence && l ~ /^\\includedoc[ \t]/) { split(l, w, /[ \t]+/); n += count(w[2]) }
                    }
                    close(f)
                    return n
                }
                BEGIN { print count(ARGV[1]) + 0 }' "$md")
    got=$(grep -o 'class="markdownTable"' "$page" | wc -l)
    # A row left as text: a line (or a paragraph) that begins with |, or a
    # separator row, whose dashes Doxygen turns into &mdash; or &ndash;.
    raw=$(grep -n -e '^[[:space:]]*|' -e '<p[^>]*>[[:space:]]*|' \
                  -e '|&[mn]dash;' -e '|[ :]*---' "$page" | cut -c1-120 || true)
    if [ "$got" -ne "$want" ] || [ -n "$raw" ]; then
        echo "doxygen: $md: a table did not render ($want in the Markdown, $got in $id.html)"
        [ -z "$raw" ] || printf '%s\n' "$raw" | sed "s|^|    $id.html:|"
        rc=1
    fi
    # Markup Doxygen printed as text: code quotes in a heading come out as
    # a literal "<tt>...</tt>" in the title.
    esc=$(grep -o '[^>]*&lt;/\{0,1\}tt&gt;.*</h[1-6]>' "$page" | sed 's/<[^>]*>//g' | head -n 1 || true)
    if [ -n "$esc" ]; then
        echo "doxygen: $md: a heading shows its markup as text in $id.html: $esc (backquotes in a heading?)"
        rc=1
    fi
done


# Every public function of hdr/ documented: each NAME_DEF function of each
# header must appear in Doxygen's XML with a description. Doxygen warns
# about an undocumented member only in a file it documents at all, so this
# counts from the sources instead, and so does not trust the warnings alone.
api=0; bare=0
for h in hdr/*.h; do
    n=$(basename "$h" .h)
    xml=$out/xml/$(printf %s "$n" | sed 's/_/__/g')_8h.xml
    [ -f "$xml" ] || { echo "doxygen: $h: no API page ($xml)"; rc=1; continue; }
    awk -f tests/apidoc.awk "$xml" > "$out/api-$n"
    for f in $(grep -hoE '^[A-Z0-9_]+_DEF [^(]*[ *][a-z_][a-z0-9_]*\(' "$h" | sed -E 's/.*[ *]([a-z_][a-z0-9_]*)\($/\1/' | sort -u); do
        api=$((api + 1))
        if ! grep -qx "$f documented" "$out/api-$n"; then
            echo "doxygen: $h: public function $f() has no documentation in the API reference"
            bare=$((bare + 1)); rc=1
        fi
    done
done

[ $rc -eq 0 ] || exit 1
echo "doxygen: the book renders with no warnings, and every table as a table"
echo "doxygen: all $api public functions of hdr/ are documented"
