#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build tapgate's Debian package from this tree and check it with lintian.
#   packaging/build-deb.sh [OUTDIR]      # default: build-deb/
# The tree is copied (tg_copy_source) and packaging/debian becomes its debian/.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$src/build-deb}" && cd "${1:-$src/build-deb}" && pwd)
version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
work=$out/tapgate-$version
rm -rf "$work" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
. "$src/scripts/lib.sh"
tg_copy_source "$src" "$work"
cp -r "$src/packaging/debian" "$work/debian"

(cd "$work" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log"
	echo "build-deb: dpkg-buildpackage failed (full log: $out/build.log)" >&2
	exit 1
}
deb=$(ls "$out"/tapgate_"$version"_*.deb)
# Errors fail the build; warnings are printed for a human to read.
lintian --fail-on error --display-info "$deb" | tee "$out/lintian.txt"
echo "build-deb: $deb"
