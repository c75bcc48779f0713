#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The AppArmor files of packaging/apparmor/ must compile, alone and in context:
#  - usr.libexec.tapgate-helper, with the system's abstractions and tunables;
#  - libvirtd-local, as local/usr.sbin.libvirtd inside Debian's own libvirtd
#    profile (from Debian's libvirt package, fetched once with apt-get download);
# each for two kernel feature sets: Debian's pinned one (unix rules downgraded
# to "network unix") and the same with fine-grained af_unix mediation (as on
# Ubuntu kernels), so every rule is compiled in both forms. Nothing is loaded
# into the kernel (apparmor_parser -Q, cache off with -K; -M gives the features,
# so no AppArmor is needed in the running kernel). Broken copies must be
# rejected, which shows the checks can fail.
#   check-apparmor.sh SRCDIR [CACHEDIR]
# CACHEDIR keeps the downloaded libvirt .debs (default:
# SRCDIR/build/apparmor-cache); put one there by hand to work offline.
set -uo pipefail
src=${1:?usage: check-apparmor.sh SRCDIR [CACHEDIR]}
cache=${2:-$src/build/apparmor-cache}
aa=$src/packaging/apparmor
helper_profile=$aa/usr.libexec.tapgate-helper
local_snippet=$aa/libvirtd-local

parser=$(command -v apparmor_parser || echo /usr/sbin/apparmor_parser)
if [ ! -x "$parser" ]; then
	echo "Bail out! apparmor_parser not found (Debian package: apparmor)"
	exit 1
fi
for f in "$helper_profile" "$local_snippet"; do
	[ -f "$f" ] || { echo "Bail out! $f is missing"; exit 1; }
done

tmp=$(mktemp -d /tmp/tapgate-apparmor.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$src/tests/common/tap.sh"
# rejected DESCRIPTION COMMAND...: the command must fail with a parser error
# (syntax and semantic errors say "AppArmor parser error", conflicts found
# later "ERROR merging rules", "ERROR processing regexs", "bailing out").
rejected() {
	local desc=$1 log
	shift
	tap_n=$((tap_n + 1))
	if log=$("$@" 2>&1); then
		echo "not ok $tap_n - $desc (accepted, should have been rejected)"
		tap_failed=1
	elif grep -Eq 'AppArmor parser error|ERROR|bailing out' <<<"$log"; then
		echo "ok $tap_n - $desc"
		grep -v '^Cache read/write disabled' <<<"$log" | sed 's/^/# rejected as expected: /'
	else
		echo "not ok $tap_n - $desc (failed, but not with a parser error)"
		printf '%s\n' "$log" | sed 's/^/# /'
		tap_failed=1
	fi
}

# parse FEATURES BASEDIR PROFILE...: compile, never load, no cache. The
# "Cache read/write disabled" notice (no apparmorfs here) is noise; every other
# line (warnings) is kept. The status is the parser's.
parse() {
	local features=$1 base=$2 out rc
	shift 2
	out=$("$parser" -Q -K -M "$features" -b "$base" -I "$base" "$@" 2>&1)
	rc=$?
	grep -v '^Cache read/write disabled' <<<"$out"
	return "$rc"
}

# Kernel feature sets. Debian's apparmor package pins the policy features in
# /usr/share/apparmor-features/features (parser.conf: policy-features=); the
# 3.0 ABI file is the same format, a fallback elsewhere.
debian_features=/usr/share/apparmor-features/features
[ -f "$debian_features" ] || debian_features=/etc/apparmor.d/abi/3.0
afunix_features=$tmp/features-af_unix
if grep -q 'af_unix' "$debian_features"; then
	cp "$debian_features" "$afunix_features"
else
	awk '/^network_v8 \{/ && !done { print "network {af_unix {yes\n}\n}"; done = 1 } { print }' \
		"$debian_features" >"$afunix_features"
fi
grep -q 'af_unix {yes' "$afunix_features" || { echo "Bail out! cannot make an af_unix feature set"; exit 1; }
declare -A feature_sets=([debian]=$debian_features [af_unix]=$afunix_features)

# Debian's libvirtd profile, cached: in libvirt-daemon-system up to Debian 12,
# in libvirt-daemon from Debian 13 on. The first of them that has it.
mkdir -p "$cache" || { echo "Bail out! cannot create $cache"; exit 1; }
exec 9>"$cache/.lock" && flock 9
newest_deb() { find "$cache" -maxdepth 1 -name "$1_*.deb" | sort -V | tail -n 1; }
libvirtd_profile= deb=
for pkg in libvirt-daemon-system libvirt-daemon; do
	deb=$(newest_deb "$pkg")
	if [ -z "$deb" ]; then
		if ! log=$(cd "$cache" && apt-get download "$pkg" 2>&1); then
			printf '%s\n' "$log" | sed 's/^/# /'
			echo "Bail out! 'apt-get download $pkg' failed (no apt lists? run apt-get update); or put the .deb in $cache"
			exit 1
		fi
		deb=$(newest_deb "$pkg")
	fi
	[ -n "$deb" ] || { echo "Bail out! no $pkg .deb in $cache"; exit 1; }
	rm -rf "$tmp/deb"
	dpkg-deb -x "$deb" "$tmp/deb" || { echo "Bail out! dpkg-deb -x $deb failed"; exit 1; }
	if [ -f "$tmp/deb/etc/apparmor.d/usr.sbin.libvirtd" ]; then
		libvirtd_profile=$tmp/deb/etc/apparmor.d/usr.sbin.libvirtd
		break
	fi
done
exec 9>&-
[ -n "$libvirtd_profile" ] || { echo "Bail out! neither libvirt-daemon-system nor libvirt-daemon has usr.sbin.libvirtd"; exit 1; }
echo "# libvirtd profile from $(basename "$deb")"

# An apparmor.d tree: the system's abi, tunables and abstractions, the
# package's files (its abstractions too), our snippet as the local include,
# and our helper profile next to libvirtd's.
make_tree() {	# DIR SNIPPET HELPER-PROFILE
	local dir=$1
	mkdir -p "$dir/local"
	cp -a /etc/apparmor.d/abi /etc/apparmor.d/tunables /etc/apparmor.d/abstractions "$dir/"
	cp -a "$tmp/deb/etc/apparmor.d/." "$dir/"
	cp "$2" "$dir/local/usr.sbin.libvirtd"
	cp "$3" "$dir/usr.libexec.tapgate-helper"
}
tree=$tmp/tree
make_tree "$tree" "$local_snippet" "$helper_profile"

# What README.md says of Debian's profile, still true? Its local include is in
# profile libvirtd; the child profile qemu_bridge_helper (where a helper
# installed over qemu-bridge-helper runs) has no netlink rule, nothing for
# /etc/tapgate or /run/tapgate, and includes nothing but abstractions/base.
debian_profile_facts() {
	local child
	child=$(sed -n '/^ *profile qemu_bridge_helper *{/,/^ *}/p' "$libvirtd_profile")
	[ -n "$child" ] || { echo "no qemu_bridge_helper child profile"; return 1; }
	grep -Eq '^ *#?include( if exists)? <local/usr\.sbin\.libvirtd>' "$libvirtd_profile" ||
		{ echo "no local/usr.sbin.libvirtd include"; return 1; }
	! grep -n 'netlink' <<<"$child" || { echo "the child profile now allows netlink"; return 1; }
	! grep -En 'tapgate|@\{run\}|/run/' <<<"$child" ||
		{ echo "the child profile now has rules for tapgate's or run paths"; return 1; }
	! grep -n 'include' <<<"$child" | grep -v 'abstractions/base' ||
		{ echo "the child profile now includes more"; return 1; }
}
check "Debian's libvirtd profile is as README.md describes it" debian_profile_facts

# The snippet really lands inside profile libvirtd (the preprocessed text).
snippet_included() {
	local pre
	pre=$("$parser" -p -b "$tree" -I "$tree" "$tree/usr.sbin.libvirtd" 2>/dev/null) || return 1
	grep -q '^ */usr/libexec/tapgate-helper Px -> tapgate-helper,' <<<"$pre" ||
		{ echo "the snippet's exec rule is not in the preprocessed profile"; return 1; }
}
check "libvirtd-local is included by Debian's libvirtd profile" snippet_included

for fs in debian af_unix; do
	features=${feature_sets[$fs]}
	check "usr.libexec.tapgate-helper compiles alone ($fs kernel features)" \
		parse "$features" /etc/apparmor.d "$helper_profile"
	check "Debian's usr.sbin.libvirtd with libvirtd-local, and tapgate-helper's profile, compile together ($fs kernel features)" \
		parse "$features" "$tree" "$tree/usr.sbin.libvirtd" "$tree/usr.libexec.tapgate-helper"
done

names() {	# the profiles the helper's file defines: exactly tapgate-helper
	local got
	got=$("$parser" -N -b /etc/apparmor.d "$helper_profile" 2>/dev/null)
	[ "$got" = "tapgate-helper" ] || { echo "profiles: '$got'"; return 1; }
}
check "usr.libexec.tapgate-helper defines exactly the profile tapgate-helper" names

# The checks can fail: broken copies are rejected.
broken=$tmp/broken
mkdir -p "$broken"
{ cat "$helper_profile"; echo 'profile tapgate-broken { /dev/null rw-bogus, }'; } >"$broken/helper-syntax"
rejected "a helper profile with a syntax error appended is rejected" \
	parse "$debian_features" /etc/apparmor.d "$broken/helper-syntax"
sed 's/^\( *capability net_admin\),/\1_typo,/' "$helper_profile" >"$broken/helper-cap"
cmp -s "$helper_profile" "$broken/helper-cap" && { echo "Bail out! could not break the helper profile"; exit 1; }
rejected "a helper profile with an unknown capability is rejected" \
	parse "$debian_features" /etc/apparmor.d "$broken/helper-cap"

{ cat "$local_snippet"; echo '  /usr/libexec/tapgate-helper rw-bogus,'; } >"$broken/snippet-syntax"
make_tree "$broken/tree1" "$broken/snippet-syntax" "$helper_profile"
rejected "libvirtd-local with a syntax error breaks the libvirtd profile" \
	parse "$debian_features" "$broken/tree1" "$broken/tree1/usr.sbin.libvirtd"
{ cat "$local_snippet"; echo '  /usr/libexec/tapgate-helper ix,'; } >"$broken/snippet-conflict"
make_tree "$broken/tree2" "$broken/snippet-conflict" "$helper_profile"
rejected "libvirtd-local with a conflicting exec rule breaks the libvirtd profile" \
	parse "$debian_features" "$broken/tree2" "$broken/tree2/usr.sbin.libvirtd"

# README.md: way (b), tapgate-helper installed over qemu-bridge-helper, cannot
# be fixed from local/usr.sbin.libvirtd: the profile's "Cx -> qemu_bridge_helper"
# cannot be overridden, nor the child profile extended.
printf '  /usr/lib/qemu/qemu-bridge-helper Px -> tapgate-helper,\n' >"$broken/reroute"
make_tree "$broken/tree3" "$broken/reroute" "$helper_profile"
rejected "(README) local/usr.sbin.libvirtd cannot send qemu-bridge-helper to another profile" \
	parse "$debian_features" "$broken/tree3" "$broken/tree3/usr.sbin.libvirtd"
printf '  profile qemu_bridge_helper {\n    network netlink raw,\n  }\n' >"$broken/extend"
make_tree "$broken/tree4" "$broken/extend" "$helper_profile"
rejected "(README) local/usr.sbin.libvirtd cannot extend the qemu_bridge_helper child profile" \
	parse "$debian_features" "$broken/tree4" "$broken/tree4/usr.sbin.libvirtd"

echo "1..$tap_n"
[ "$tap_failed" = 0 ] ||
	echo "# check-apparmor: the AppArmor files do not compile (see the 'not ok' lines)" >&2
tap_end
