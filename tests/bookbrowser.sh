#!/bin/sh
# bookbrowser.sh ROOT - open the rendered book in a real browser (Debian's
# chromium, headless) and confirm that each chapter and each header's API
# page loads with its figures:
#   - the page's document loads, and its title is the chapter's title;
#   - every picture in the page's text has loaded: an <img> with a width,
#     an <object> (how Doxygen embeds the SVG figures that book/fig/
#     programs draw) holding an SVG document, and an SVG frame (a \dot
#     diagram) holding one with graph nodes in it, and at most 1000 pixels
#     wide (what the text beside the navigation has in a 1280-pixel window);
#   - a chapter shows as many pictures as its Markdown asks for (\image and
#     \dot lines and ![..](..) images, outside ``` fences).
# The pages are loaded one at a time into a frame of a checking page that
# this script writes beside them. Then a few pages are photographed for a
# person to look at, into $BOOK_SCREENSHOTS (default
# /tmp/breadboard-book-screenshots; never into the tree).
set -eu
root=$(realpath "$1")
shots=${BOOK_SCREENSHOTS:-/tmp/breadboard-book-screenshots}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
command -v chromium >/dev/null || { echo "bookbrowser: no chromium (./run installs Debian's)"; exit 1; }
if ! sh "$root/tests/bookrender.sh" "$root" "$out" >/dev/null 2>"$out/warnings"; then
    head -n 20 "$out/warnings"
    echo "bookbrowser: the book did not render (book-doxygen's log has every warning)"; exit 1
fi
cd "$root"
# One entry per page: [file, title wanted or "", pictures wanted or -1].
{
    for md in book/*.md; do
        id=$(sed -n '1s/.*{#\([A-Za-z0-9_]*\)}.*/\1/p' "$md")
        [ "$id" != mainpage ] || id=index
        title=$(sed -n '1{s/^# *//;s/ *{#.*//;s/`//g;s/\\/\\\\/g;s/"/\\"/g;p}' "$md")
        pics=$(awk '/^(```|~~~)/ { f = !f; next }
                    f { next }
                    /^[ \t]*(\\image[ \t]+html|\\dot([ \t]|$))/ { n++ }
                    { s = $0; while (match(s, /!\[[^]]*\]\([^)]*\)/)) { n++; s = substr(s, RSTART + RLENGTH) } }
                    END { print n + 0 }' "$md")
        printf '["%s.html", "%s", %s],\n' "$id" "$title" "$pics"
    done
    for h in hdr/*.h; do
        printf '["%s_8h.html", "", -1],\n' "$(basename "$h" .h | sed 's/_/__/g')"
    done
} > "$out/pages.js"
npages=$(wc -l < "$out/pages.js")
cat > "$out/html/_bookbrowser.html" <<EOF2
<!doctype html><html><head><meta charset="utf-8"></head><body><pre id="log"></pre><script>
const pages = [
$(cat "$out/pages.js")
];
const log = (s) => { document.getElementById('log').textContent += s + "\n"; };
const settle = (el) => new Promise((ok) => {
    if (el.tagName === 'IMG' && el.complete) return ok();
    el.addEventListener('load', ok); el.addEventListener('error', ok);
    setTimeout(ok, 10000);
});
function load(file) {
    return new Promise((ok) => {
        const f = document.createElement('iframe');
        f.style.width = '1280px'; f.style.height = '900px';
        f.onload = () => ok(f);
        f.src = file;
        document.body.appendChild(f);
    });
}
async function check(file, title, want) {
    const f = await load(file);
    const bad = [];
    let d = null;
    try { d = f.contentDocument; } catch (e) { bad.push('no access: ' + e); }
    if (!d || !d.body || d.body.children.length === 0) bad.push('did not load');
    let pics = 0;
    if (d && d.body) {
        const head = d.querySelector('div.headertitle .title');
        const got = head ? head.textContent.trim() : '';
        if (title !== '' && got !== title) bad.push('title "' + got + '", want "' + title + '"');
        const text = d.querySelector('div.contents');
        if (!text) bad.push('no div.contents');
        for (const img of d.images) {
            await settle(img);
            if (!(img.naturalWidth > 0)) bad.push('image did not load: ' + img.getAttribute('src'));
        }
        const frames = text ? [...text.querySelectorAll('div.dotgraph iframe')] : [];
        for (const g of frames) {
            let svg = null;
            try { svg = g.contentDocument && g.contentDocument.documentElement; } catch (e) {}
            if (!svg || svg.nodeName !== 'svg' || svg.querySelectorAll('g.node').length === 0)
                bad.push('diagram did not load: ' + g.getAttribute('src'));
            else if (g.getBoundingClientRect().width > 1000)
                bad.push('diagram wider than the page (' + Math.round(g.getBoundingClientRect().width) +
                         ' px; give its graph a size=): ' + g.getAttribute('src'));
        }
        const objs = text ? [...text.querySelectorAll('object')] : [];
        for (const o of objs) {
            let svg = null;
            try { svg = o.contentDocument && o.contentDocument.documentElement; } catch (e) {}
            if (!svg || svg.nodeName !== 'svg' || svg.children.length === 0)
                bad.push('figure did not load: ' + o.getAttribute('data'));
        }
        pics = (text ? text.querySelectorAll('img').length : 0) + frames.length + objs.length;
        if (want >= 0 && pics !== want) bad.push(pics + ' pictures, the Markdown has ' + want);
    }
    log((bad.length ? 'FAIL ' : 'ok ') + file + ' (' + pics + ' pictures)' + (bad.length ? ': ' + bad.join('; ') : ''));
    f.remove();
}
(async () => {
    for (const [file, title, want] of pages) await check(file, title, want);
    log('END');
})();
</script></body></html>
EOF2
run_chromium() {
    HOME=$out timeout --foreground 120 chromium --headless=new --no-sandbox --disable-gpu \
        --no-first-run --user-data-dir="$out/profile" --allow-file-access-from-files \
        --hide-scrollbars "$@" 2>>"$out/chromium.err"
}
run_chromium --virtual-time-budget=120000 --dump-dom "file://$out/html/_bookbrowser.html" > "$out/dom" || true
sed -n '/<pre id="log">/,/<\/pre>/p' "$out/dom" | sed -e 's/.*<pre id="log">//' -e 's/<\/pre>.*//' \
    -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' > "$out/result"
cat "$out/result"
if ! grep -qx END "$out/result"; then
    echo "bookbrowser: the checking page did not finish; chromium said:"; tail -n 5 "$out/chromium.err"; exit 1
fi
ok=$(grep -c '^ok ' "$out/result" || true)
if grep -q '^FAIL ' "$out/result" || [ "$ok" -ne "$npages" ]; then
    echo "bookbrowser: $ok of $npages pages loaded with their pictures"; exit 1
fi
# A few pages photographed, for review (out of the tree).
mkdir -p "$shots"
for p in index interrupt_path pit8254 uart16550 virtio boot monitor; do
    [ -f "$out/html/$p.html" ] || continue
    run_chromium --window-size=1280,2000 --screenshot="$shots/$p.png" "file://$out/html/$p.html" >/dev/null || true
    [ -s "$shots/$p.png" ] && echo "screenshot: $shots/$p.png"
done
echo "bookbrowser: all $npages pages load in chromium, with $(grep -o '([0-9]* pictures)' "$out/result" | tr -dc '0-9\n' | paste -sd+ | bc) pictures"
