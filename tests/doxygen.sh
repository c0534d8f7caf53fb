#!/bin/sh
# doxygen.sh ROOT - render the book into a scratch directory; any warning
# fails (the Doxyfile says WARN_AS_ERROR = FAIL_ON_WARNINGS).
set -eu
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$1"
BOOK_OUT=$out doxygen Doxyfile
echo "doxygen: the book renders with no warnings"
