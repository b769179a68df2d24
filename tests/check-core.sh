#!/bin/sh
# The pure core includes no httpd header: only the C library, OpenSSL, APR,
# PCRE2 and its own headers.  (The Makefile also compiles it without httpd's
# include directory; this names the offending line.)
set -e
dir=${1:-mod_tlsinterop/core}
bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](httpd|http_[a-z_]*|ap_[a-z_]*|util_[a-z_]*|mod_[a-z_]*|mpm_[a-z_]*|scoreboard|unixd|os)\.h[>"]' \
      "$dir"/*.c "$dir"/*.h || true)
if [ -n "$bad" ]; then
    echo "check-core: the core must not include httpd headers:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "check-core: $(ls "$dir"/*.c | wc -l) core files include no httpd header"
