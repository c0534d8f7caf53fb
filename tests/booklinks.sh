#!/bin/sh
# booklinks.sh ROOT - no broken link inside the rendered book. Every href,
# src and data attribute of every page that points inside the book (not
# http:, https:, mailto: or javascript:) must name a file that Doxygen
# wrote, and, when it has a #fragment, an element with that id (or name)
# in that file. A broken one is printed as PAGE: LINK (what is missing).
set -eu
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
root=$(realpath "$1")
if ! sh "$root/tests/bookrender.sh" "$root" "$out" >/dev/null 2>"$out/warnings"; then
    head -n 20 "$out/warnings"
    echo "booklinks: the book did not render (book-doxygen's log has every warning)"; exit 1
fi
cd "$out/html"
# Every anchor a link may land on: FILE#ID.
grep -oE '(id|name)="[^"]*"' -- *.html | sed -E 's/^([^:]*):(id|name)="(.*)"$/\1#\3/' > "$out/anchors"
grep -oE '(href|src|data)="[^"]*"' -- *.html | sed -E 's/^([^:]*):(href|src|data)="(.*)"$/\1 \3/' > "$out/links"
awk -v dir="$out/html" '
    FNR == NR { have[$0] = 1; next }
    {
        page = $1; link = $2
        if (link ~ /^(https?:|mailto:|javascript:|ftp:)/ || link == "" || link == "#") next
        n++
        file = link; frag = ""
        if ((i = index(link, "#")) > 0) { file = substr(link, 1, i - 1); frag = substr(link, i + 1) }
        sub(/\?.*$/, "", file)
        if (file == "") file = page
        if (!(file in exists)) exists[file] = (system("test -e \"" dir "/" file "\"") == 0)
        if (!exists[file]) { printf "booklinks: %s: %s (no file %s)\n", page, link, file; bad++; next }
        if (frag != "" && file ~ /\.html$/ && !((file "#" frag) in have)) {
            printf "booklinks: %s: %s (no id \"%s\" in %s)\n", page, link, frag, file; bad++
        }
    }
    END {
        if (bad) { printf "booklinks: %d of %d links inside the book are broken\n", bad, n; exit 1 }
        printf "booklinks: all %d links inside the book land (%d pages)\n", n, pages
    }' pages="$(ls -- *.html | wc -l)" "$out/anchors" "$out/links"
