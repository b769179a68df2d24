#!/bin/sh
# make deb: build the Debian package libapache2-mod-tlsinterop from a clean
# copy of the files git tracks, check it with lintian (any error or warning
# fails), and put the .deb, .changes, .buildinfo and source package in DIST
# (default dist/, which .gitignore ignores).  Nothing is built in the tree.
#
#   packaging/make-deb.sh [DIST]
#   packaging/make-deb.sh --deps-only    (make deb-deps) only check that the
#                                    packages needed are installed
#
# Missing packages are not installed: the apt-get line to run is printed.
set -eu

cd "$(dirname "$0")/.."
PACKAGE=libapache2-mod-tlsinterop

# What make deb runs itself; the build dependencies come from debian/control.
TOOLS="dpkg-dev debhelper fakeroot lintian git"

installed() {
    case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" in
        *" installed") return 0 ;;
    esac
    return 1
}

# The package that provides a virtual build dependency.
provider() {
    case "$1" in
        debhelper-compat) echo debhelper ;;
        dh-apache2) echo apache2-dev ;;
        *) echo "$1" ;;
    esac
}

# Build-Depends of debian/control, one a line, alternatives joined by "|",
# without versions, architectures or profiles.
build_depends() {
    awk '/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
         on && /^[ \t]/ { print; next }
         { on = 0 }' debian/control \
        | tr ',\n' '\n\n' \
        | sed -e 's/([^)]*)//g' -e 's/\[[^]]*\]//g' \
              -e 's/<[^>]*>//g' -e 's/:[a-z]*//g' -e 's/[ \t]//g' \
        | grep -v '^$'
}

# A dependency holds when any of its alternatives is installed; the first
# is the one to install otherwise.
check_deps() {
    missing=""
    for dep in $TOOLS $(build_depends); do
        met=""
        for alternative in $(echo "$dep" | tr '|' ' '); do
            installed "$(provider "$alternative")" && met=1
        done
        [ -n "$met" ] && continue
        pkg=$(provider "${dep%%|*}")
        case " $missing " in
            *" $pkg "*) ;;
            *) missing="$missing $pkg" ;;
        esac
    done
    # Versions too, once every package is there.
    if [ -z "$missing" ] && ! unmet=$(dpkg-checkbuilddeps 2>&1); then
        echo "$unmet" >&2
        for dep in $(echo "$unmet" | sed -n 's/.*Unmet build dependencies: //p' \
                     | sed -e 's/([^)]*)//g' -e 's/ *| *[^ ]*//g'); do
            missing="$missing $(provider "$dep")"
        done
        [ -n "$missing" ] || missing=" dpkg-dev"
    fi
    if [ -n "$missing" ]; then
        echo "make deb: missing Debian packages. As root, run:" >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
        exit 1
    fi
}

check_deps
[ "${1:-}" = "--deps-only" ] && exit 0

DIST=${1:-dist}
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "make deb: builds from the files git tracks; this is not a git work tree" >&2
    exit 1
fi
untracked=$(git ls-files --others --exclude-standard)
if [ -n "$untracked" ]; then
    echo "make deb: not tracked by git, so left out of the package:" >&2
    echo "$untracked" | sed 's/^/  /' >&2
fi

version=$(dpkg-parsechangelog -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/tlsinterop-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
src="$work/$PACKAGE-$version"
mkdir "$src"
# The tracked files as they are in the work tree, uncommitted edits included.
git ls-files -z | tar --null -T - --ignore-failed-read -cf - | tar -xf - -C "$src"

# The package is built from debian/rules alone, whatever make variables
# (SANITIZE=1, ...) the caller had.
unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES SANITIZE
build="dpkg-buildpackage --no-sign -Jauto"
# No network: in a namespace of its own when that is allowed (as root).
if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
    build="unshare --net $build"
fi
echo "make deb: building $PACKAGE $version in $src"
(cd "$src" && $build)

changes="$work/${PACKAGE}_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).changes"
echo "make deb: lintian $(basename "$changes")"
if ! lintian --fail-on error,warning --display-info "$changes"; then
    echo "make deb: lintian found an error or a warning (above); no package" \
         "was written to $DIST" >&2
    exit 1
fi
echo "make deb: lintian reports no error or warning"

mkdir -p "$DIST"
rm -f "$DIST/$PACKAGE"_* "$DIST/$PACKAGE"-dbgsym_*
for f in $(sed -n '/^Files:/,/^[^ ]/s/^ [^ ]* [^ ]* [^ ]* [^ ]* //p' "$changes"); do
    cp "$work/$f" "$DIST/"
done
cp "$changes" "$DIST/"
echo "make deb: written to $DIST/:"
ls -1 "$DIST" | grep "^$PACKAGE" | sed 's/^/  /'
case "$DIST" in /*) where=$DIST ;; *) where=./$DIST ;; esac
echo "Install with: apt install $where/${PACKAGE}_${version}_*.deb"
