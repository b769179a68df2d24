#!/bin/bash
# make test-matrix: the two README commands, as a newcomer runs them, on
# each Debian release we claim, each in a throwaway debootstrap root.
#
#   tests/matrix/run.sh [release ...]     default: bullseye bookworm trixie
#
# For each release it copies a cached minimal base (debootstrap --variant
# minbase with make, git and ca-certificates: what the README tells a
# minimal install to add first), clones the committed tree into it and runs
# `make demo`, `make demo-stop` and `make test` there.  Nothing installed by
# an earlier run helps: every run starts from the base.  The root runs in
# its own mount and PID namespaces, so its mounts and every process it
# started end with it, even when a step fails or the script is killed; the
# root is removed afterwards.
#
# Environment:
#   TLSI_MATRIX_CACHE   where the bases are kept (/var/cache/tlsinterop-matrix)
#   TLSI_MATRIX_WORK    where roots and logs go (/var/tmp/tlsinterop-matrix)
#   TLSI_MATRIX_KEEP=1  keep each root after its run (for debugging)
#   TLSI_MATRIX_MIRROR  Debian archive (http://deb.debian.org/debian)
#   TLSI_MATRIX_TEST    what to run instead of `make test` (e.g. a
#                       narrower "make test PYTEST_ARGS=-k fragment")
#   TLSI_MATRIX_SANITIZE  releases that also run the max_fragment_length
#                       crash test with the module under ASan and UBSan
#                       (trixie)
#
# Prints one table: release, httpd, OpenSSL, tests passed/failed, package.
# Exits non-zero if any release failed a step.
set -u

RELEASES=${*:-bullseye bookworm trixie}
CACHE=${TLSI_MATRIX_CACHE:-/var/cache/tlsinterop-matrix}
WORK=${TLSI_MATRIX_WORK:-/var/tmp/tlsinterop-matrix}
MIRROR=${TLSI_MATRIX_MIRROR:-http://deb.debian.org/debian}
TEST_CMD=${TLSI_MATRIX_TEST:-make test}
SANITIZE_RELEASES=${TLSI_MATRIX_SANITIZE-trixie}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# Every release tests the commit that was HEAD when the run began.
COMMIT=$(git -C "$REPO" rev-parse HEAD) || exit 2

if [ "$(id -u)" -ne 0 ]; then
    echo "test-matrix: needs root (debootstrap, chroot, mounts)" >&2
    exit 2
fi
for tool in debootstrap unshare chroot git findmnt; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "test-matrix: $tool is missing (make test-matrix installs debootstrap)" >&2
        exit 2
    }
done
mkdir -p "$CACHE" "$WORK"

version_of() {
    case "$1" in
        bullseye) echo 11 ;; bookworm) echo 12 ;; trixie) echo 13 ;;
        *) echo "?" ;;
    esac
}

# A mount below dir, as this namespace sees it?
has_mounts() {
    findmnt -rn -o TARGET | grep -q -e "^$1/" -e "^$1\$"
}

# The cached base: built once into a temporary folder, then renamed, so a
# half-made base is never used.  Bases are never mounted into.
base_of() {
    local release=$1 base="$CACHE/$1-base"
    if [ ! -x "$base/usr/bin/make" ]; then
        echo "== $release: debootstrap (cached in $base)" >&2
        rm -rf --one-file-system "$base.tmp"
        debootstrap --variant=minbase --include=make,git,ca-certificates \
            "$release" "$base.tmp" "$MIRROR" >"$CACHE/$release-debootstrap.log" 2>&1 \
            || { echo "test-matrix: debootstrap $release failed, see $CACHE/$release-debootstrap.log" >&2
                 return 1; }
        rm -rf --one-file-system "$base"
        mv "$base.tmp" "$base"
    fi
    echo "$base"
}

# Runs as PID 1 of a new PID namespace with a private mount namespace:
# everything it mounts and starts ends when it does.
inside() {
    local root=$1 log=$2
    # A mount point, as / is on a real machine (unshare --mount in the
    # tests needs one to change its propagation).
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --bind /dev "$root/dev"
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
    mount -t tmpfs tmpfs "$root/dev/shm"
    mount -t tmpfs tmpfs "$root/tmp"
    chroot "$root" /bin/sh -c '
        export HOME=/root LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        cd /build/mod_tlsinterop || exit 1
        step() { echo "== step: $*"; "$@"; rc=$?; echo "== rc $rc: $*"; return $rc; }
        step make demo && step make demo-stop
        step '"$TEST_CMD"'
        # The package, as an admin would build it (make test checks it in a
        # clone of its own).
        step make deb
        if [ -n "'"$SANITIZE_STEP"'" ]; then
            step make integration SANITIZE=1 PYTEST_ARGS="-k many_fitted_connections"
        fi
        echo "== versions: httpd $(apache2 -v 2>/dev/null | sed -n "s/^Server version: Apache\///p" | cut -d" " -f1)" \
             "openssl $(openssl version | cut -d" " -f2)"
        ls dist/*.deb 2>/dev/null | sed "s/^/== package: /"
    ' >"$log" 2>&1
}

run_release() {
    local release=$1 base root log
    base=$(base_of "$release") || return 1
    root="$WORK/$release-$$"
    log="$WORK/$release.log"
    if has_mounts "$base"; then
        echo "test-matrix: $base has something mounted in it; not copying" >&2
        return 1
    fi
    rm -rf --one-file-system "$root"
    cp -a "$base" "$root"
    # A chroot has no init: packages must not start their services.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    # What Debian's installer writes and debootstrap does not.
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
        >"$root/etc/hosts"
    mkdir -p "$root/build"
    # the committed tree, as a clone
    git clone -q "$REPO" "$root/build/mod_tlsinterop"
    git -C "$root/build/mod_tlsinterop" checkout -q "$COMMIT"

    echo "== $release: make demo, make demo-stop, $TEST_CMD (log: $log)" >&2
    local started=$SECONDS
    SANITIZE_STEP=""
    case " $SANITIZE_RELEASES " in
        *" $release "*) SANITIZE_STEP=1 ;;
    esac
    export -f inside
    export TEST_CMD SANITIZE_STEP
    unshare --mount --pid --fork --propagation private \
        /bin/bash -c 'inside "$0" "$1"' "$root" "$log"
    local elapsed=$((SECONDS - started))

    if has_mounts "$root"; then
        echo "test-matrix: mounts left below $root; not removing it" >&2
    elif [ -z "${TLSI_MATRIX_KEEP:-}" ]; then
        rm -rf --one-file-system "$root"
    fi
    summarise "$release" "$log" "$elapsed"
}

RESULTS=""
FAILED=0
summarise() {
    local release=$1 log=$2 elapsed=$3 httpd openssl passed failed pkg ok
    httpd=$(sed -n 's/^== versions: httpd \([^ ]*\) .*/\1/p' "$log" | tail -1)
    openssl=$(sed -n 's/^== versions: .* openssl \(.*\)/\1/p' "$log" | tail -1)
    # pytest's closing lines within the test step, e.g. "== 290 passed, 2
    # skipped in 250.1s ==" (make test runs pytest twice: the suite, then
    # the date-sensitive tests two years ahead), added up.
    local summary
    summary=$(awk -v cmd="$TEST_CMD" '$0 == "== step: " cmd { on = 1; next }
                                      on && /^== rc / { on = 0 }
                                      on' "$log" \
              | grep -E '^=* ?[0-9]+ (passed|failed|errors?).* in [0-9.]+s')
    passed=$(echo "$summary" | grep -oE '[0-9]+ passed' | awk '{n += $1} END {print n + 0}')
    failed=$(echo "$summary" | grep -oE '[0-9]+ (failed|errors?)' | awk '{n += $1} END {print n + 0}')
    local sanitized=""
    if grep -q '^== step: make integration SANITIZE=1' "$log"; then
        sanitized=$(awk '/^== step: make integration SANITIZE=1/ { on = 1; next }
                         on && /^== rc / { on = 0 } on' "$log" \
                    | grep -oE '[0-9]+ passed' | tail -1)
        sanitized=" + ASan/UBSan: ${sanitized:-none passed}"
    fi
    pkg=$(sed -n 's/^== package: dist\///p' "$log" | grep -v dbgsym | head -1)
    ok=yes
    grep -q '^== rc [1-9]' "$log" && ok=no
    grep -q '^== rc 0: make test' "$log" || { [ "$TEST_CMD" = "make test" ] && ok=no; }
    [ "$ok" = yes ] || FAILED=1
    RESULTS="$RESULTS$(printf '| %-18s | %-8s | %-8s | %6s | %6s | %-42s | %-4s | %5ss |%s' \
        "$(version_of "$release") $release" "${httpd:-?}" "${openssl:-?}" \
        "${passed:-0}" "${failed:-0}" "${pkg:-none}" "$ok" "$elapsed" "$sanitized")
"
}

for release in $RELEASES; do
    run_release "$release" || { FAILED=1; RESULTS="$RESULTS| $release: could not be set up |
"; }
done

echo
echo "make test-matrix of $(git -C "$REPO" log -1 --format='%h %s' "$COMMIT")"
echo "| Debian             | httpd    | OpenSSL  | passed | failed | package                                    | ok   |  time  |"
echo "|--------------------|----------|----------|--------|--------|--------------------------------------------|------|--------|"
printf '%s' "$RESULTS"
echo "(logs: $WORK/<release>.log)"
exit $FAILED
