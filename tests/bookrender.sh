#!/bin/sh
# bookrender.sh ROOT OUT - render the book as `./run book` does, into OUT,
# with Doxygen's XML beside the HTML (OUT/xml: the API check reads it).
# Doxygen's own status is the script's; its warnings go to stderr.
set -eu
cd "$1"
{ cat Doxyfile; echo "GENERATE_XML = YES"; echo "XML_PROGRAMLISTING = NO"; } |
    BOOK_OUT=$2 doxygen -
