#!/bin/sh
# Install the Debian packages that building and testing mod_tlsinterop need.
# As root it runs apt-get; otherwise it prints the apt-get line to run.
set -e

PACKAGES="apache2 apache2-dev libssl-dev libpcre2-dev openssl gcc make pkg-config \
python3 python3-pytest curl gnutls-bin clang libclang-rt-14-dev \
wrk valgrind golang-go iproute2 debhelper dpkg-dev lintian fakeroot \
apache2-ssl-dev git ${EXTRA_PACKAGES:-}"

missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages. As root, run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi

echo "Installing missing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
