#!/bin/sh
# shape.sh ROOT - every header in hdr/ agrees with the book's "The shape of
# a device model" (book/chipset.md):
#   1. the macro vocabulary: NAME_IMPLEMENTATION guards the code, NAME_DEF
#      and NAME_STATIC set the linkage, NAME_ASSERT has a default, is listed
#      among the header's overridable macros, and is called somewhere;
#   2. every header the chapter's model table lists has the model contract
#      with exactly the documented types: each function is assigned to a
#      pointer of the chipset's (or the line fabric's) type, in C11 and in
#      C++11, so a different parameter or result type fails to compile;
#      NAME_state starts with a uint32_t version, NAME_model holds `s` and
#      `hooks`, and the hooks carry a `void *ctx`;
#   3. no header has a model the table leaves out.
set -eu
cd "$1"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad=0
fail() { echo "shape: $*"; bad=1; }

for h in hdr/*.h; do
    name=$(basename "$h" .h)
    N=$(printf %s "$name" | tr a-z A-Z | tr -c 'A-Z0-9\n' _)
    grep -Eq "^#(ifdef ${N}_IMPLEMENTATION|if defined\(${N}_IMPLEMENTATION\))" "$h" ||
        fail "$h: no '#ifdef ${N}_IMPLEMENTATION'"
    grep -q "^#define ${N}_DEF " "$h" || fail "$h: no ${N}_DEF"
    grep -q "${N}_STATIC" "$h" || fail "$h: no ${N}_STATIC"
    grep -q "^#ifndef ${N}_ASSERT" "$h" || fail "$h: ${N}_ASSERT has no default"
    sed -n '1,/^\*\//p' "$h" | grep -q "${N}_ASSERT" ||
        fail "$h: ${N}_ASSERT is not in the header's OVERRIDABLE MACROS"
    uses=$(grep -v '^#' "$h" | grep -v '^[[:space:]]*\*\|/\*.*'"${N}_ASSERT"'.*\*/' |
           grep -c "${N}_ASSERT(" || true)
    [ "$uses" -gt 0 ] || fail "$h: ${N}_ASSERT is never called"
    echo "ok $h: ${N}_IMPLEMENTATION, _DEF, _STATIC, _ASSERT ($uses calls)"
done

# The chapter's table of model headers: | `name.h` | chip | offsets | extra |
models=$(sed -n '/^| Model header |/,/^$/p' book/chipset.md |
         sed -n 's/^| `\([a-z0-9_]*\)\.h` |.*/\1/p')
[ -n "$models" ] || fail "book/chipset.md: no table of model headers found"
for h in hdr/*.h; do
    name=$(basename "$h" .h)
    if grep -q "${name}_model_init(" "$h" && ! printf '%s\n' $models | grep -qx "$name"; then
        fail "$h has a model that book/chipset.md's table does not list"
    fi
done

for name in $models; do
    h=hdr/$name.h
    [ -f "$h" ] || { fail "book/chipset.md lists $name.h, which does not exist"; continue; }
    N=$(printf %s "$name" | tr a-z A-Z)
    extra=$(sed -n "/^| \`$name\.h\` |/p" book/chipset.md | awk -F'|' '{ print $5 }')
    {
        echo "#include <stddef.h>"
        echo "#include <stdint.h>"
        echo "#include \"chipset.h\""
        echo "#include \"irq.h\""
        echo "#include \"$name.h\""
        echo "void (*const f_init)(${name}_model *, const ${name}_model_hooks *) = ${name}_model_init;"
        echo "void (*const f_reset)(void *) = ${name}_model_reset;"
        echo "chipset_read_fn *const f_read = ${name}_model_read;"
        echo "chipset_write_fn *const f_write = ${name}_model_write;"
        echo "int64_t (*const f_save)(void *, void *, size_t) = ${name}_model_save;"
        echo "int64_t (*const f_restore)(void *, const void *, size_t) = ${name}_model_restore;"
        echo "chipset_ops ops = { f_read, f_write, f_read, f_write, 0, 0, 0, f_reset, f_save, f_restore };"
        case $extra in *poll*)
            echo "uint64_t (*const f_poll)(void *, uint64_t) = ${name}_model_poll;" ;; esac
        case $extra in *set_irq*)
            echo "const irq_input_fn f_set_irq = ${name}_model_set_irq;" ;; esac
        echo "unsigned version = ${N}_STATE_VERSION;"
        echo "typedef char version_first[offsetof(${name}_state, version) == 0 ? 1 : -1];"
        echo "typedef char version_u32[sizeof(((${name}_state *)0)->version) == 4 ? 1 : -1];"
        echo "uint32_t *version_is(${name}_state *s) { return &s->version; }"
        echo "${name}_state *state_of(${name}_model *m) { return &m->s; }"
        echo "${name}_model_hooks *hooks_of(${name}_model *m) { return &m->hooks; }"
        echo "void **ctx_of(${name}_model_hooks *h) { return &h->ctx; }"
    } > "$t/$name.c"
    cp "$t/$name.c" "$t/$name.cpp"
    if gcc -std=c11 -Wall -Wextra -Werror -pedantic -Ihdr "$t/$name.c" -c -o "$t/c.o" 2> "$t/err" &&
       g++ -std=c++11 -Wall -Wextra -Werror -pedantic -Ihdr "$t/$name.cpp" -c -o "$t/cpp.o" 2>> "$t/err"; then
        extra=$(printf %s "$extra" | tr -d '`' | sed 's/^ *//; s/ *$//')
        echo "ok $h: the model contract${extra:+ with $extra}, in C and C++"
    else
        fail "$h does not have the model contract of book/chipset.md:"
        sed 's/^/    /' "$t/err" | head -20
    fi
done
[ $bad -eq 0 ] && echo "shape: every header agrees with the book"
exit $bad
