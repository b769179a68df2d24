#!/bin/sh
# Install the Debian packages that building and testing mod_tlsinterop need,
# on Debian 11, 12 and 13 alike (no release-specific package names).
# As root it runs apt-get; otherwise it prints the apt-get line to run.
# EXTRA_PACKAGES adds more (make bench, make test-matrix).
set -e

PACKAGES="apache2 apache2-dev apache2-ssl-dev libssl-dev libpcre2-dev openssl \
build-essential gcc make pkg-config python3 python3-pytest curl gnutls-bin wget clang \
wrk valgrind gdb golang-go iproute2 faketime debhelper dpkg-dev lintian fakeroot \
chromium firefox-esr libnss3-tools \
git ${EXTRA_PACKAGES:-}"

# Wanted where the release has them.  libclang-rt-dev holds clang's
# sanitizer and libFuzzer runtimes from Debian 12 on; Debian 11's clang
# ships them itself (libclang-common-11-dev, a dependency of clang).
OPTIONAL="libclang-rt-dev"

installed() {
    case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
        *" installed") return 0 ;;
    esac
    return 1
}

# Does the archive offer the package (after apt-get update)?
available() {
    apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}

missing=""
for pkg in $PACKAGES; do
    installed "$pkg" || missing="$missing $pkg"
done
optional=""
for pkg in $OPTIONAL; do
    installed "$pkg" || optional="$optional $pkg"
done
# An optional package the release lacks is not missing.
if [ -z "$missing" ] && [ -n "$optional" ]; then
    wanted=""
    for pkg in $optional; do
        available "$pkg" && wanted="$wanted $pkg"
    done
    optional=$wanted
fi

[ -z "$missing$optional" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages. As root, run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends$missing$optional" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
for pkg in $optional; do
    available "$pkg" && missing="$missing $pkg"
done
echo "Installing missing Debian packages:$missing"
apt-get install -y -qq --no-install-recommends $missing >/dev/null
