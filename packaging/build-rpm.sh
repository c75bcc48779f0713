#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build tapgate's RPM from this tree with rpmbuild.
#   packaging/build-rpm.sh [OUTDIR] [RPMBUILD-OPTION...]   # default: build-rpm/
# e.g. packaging/build-rpm.sh out --with group_helper
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$src/build-rpm}" && cd "${1:-$src/build-rpm}" && pwd)
shift || true
spec=$src/packaging/rpm/tapgate.spec
version=$(rpmspec -q --srpm --qf '%{VERSION}' "$spec")
rm -rf "$out/top"
mkdir -p "$out/top/SOURCES"
. "$src/scripts/lib.sh"
tg_copy_source "$src" "$out/top/tapgate-$version"
tar -C "$out/top" -czf "$out/top/SOURCES/tapgate-$version.tar.gz" "tapgate-$version"
rpmbuild -bb --define "_topdir $out/top" "$@" "$spec" >"$out/build.log" 2>&1 || {
	tail -40 "$out/build.log"
	echo "build-rpm: rpmbuild failed (full log: $out/build.log)" >&2
	exit 1
}
find "$out/top/RPMS" -name '*.rpm'
