#!/bin/sh
# Render the probe's man page (tools/tlsinterop-probe.1, the one source of
# its manual) into docs/tlsinterop-probe.md, or the file given.  Run by
# `make docs`; tests/integration/test_docs.py checks that the page is
# current where the same groff is installed.
set -e
cd "$(dirname "$0")/.."
out=${1:-docs/tlsinterop-probe.md}
version=$(groff --version 2>/dev/null | sed -n '1s/.* version //p')
{
    echo "# tlsinterop-probe(1)"
    echo
    echo "Rendered from [tools/tlsinterop-probe.1](../tools/tlsinterop-probe.1)"
    echo "by \`make docs\` (groff $version); \`man tlsinterop-probe\` shows the same."
    echo
    echo '```'
    MANWIDTH=78 groff -man -Tutf8 -rLL=78n -rHY=0 -P-cbou \
        tools/tlsinterop-probe.1 | sed -e 's/[[:space:]]*$//' | cat -s
    echo '```'
} >"$out"
