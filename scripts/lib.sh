# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by scripts/check.sh and scripts/demo.sh: what a fresh Debian 12
# machine needs, and the build.

# Build and test dependencies, installed with apt-get when missing.
TG_PACKAGES=(
	meson ninja-build pkg-config gcc libc6-dev python3
	libglib2.0-dev libnl-3-dev libnl-route-3-dev libcap-ng-dev libxml2-dev libvirt-dev
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients	# never libvirt-daemon-system
	iproute2 util-linux
	qemu-system-x86 busybox-static	# the test guest (tests/vm)
	clang libclang-rt-14-dev valgrind	# fuzzing, sanitizers, memcheck
	libxml2-utils strace			# the benchmarks' shell-hook baseline
	dpkg-dev debhelper lintian scdoc bash-completion systemd man-db	# packaging
	rpm apparmor
)

tg_install_deps() {
	local missing=() p
	for p in "${TG_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	echo "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Packages such as frr start their daemons on install; the tests start
	# their own in private namespaces, so forbid that (policy-rc.d(8)).
	local prc=/usr/sbin/policy-rc.d own=
	if [ ! -e "$prc" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod 755 "$prc" && own=1
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
		[ -z "$own" ] || rm -f "$prc"
		return 1
	}
	[ -z "$own" ] || rm -f "$prc"
}

# Configure once (with -Werror) and build; ninja re-runs meson by itself
# when a meson.build changes, and an explicit reconfigure would needlessly
# rebuild the test guest.
tg_build() {	# BUILD_DIR
	if [ ! -d "$1/meson-info" ]; then
		meson setup "$1" -Dwerror=true >/dev/null
	elif ! grep -q '"name": "werror", "value": true' "$1/meson-info/intro-buildoptions.json"; then
		meson configure "$1" -Dwerror=true
	fi
	meson compile -C "$1"
}

# The hardening build: clang, ASan+UBSan, libFuzzer targets.
tg_build_fuzz() {	# BUILD_DIR
	if [ ! -d "$1/meson-info" ]; then
		CC=clang meson setup "$1" -Dwerror=true -Dfuzzing=true \
			-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	fi
	meson compile -C "$1"
}

# Copy the source tree (git's files plus uncommitted ones, never build
# directories) to DEST, for the package builds.
tg_copy_source() {	# SRCDIR DEST
	mkdir -p "$2"
	(cd "$1" && git ls-files -z --cached --others --exclude-standard |
		grep -zv '^build' | xargs -0 cp --parents -t "$2")
}
