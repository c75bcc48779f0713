# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by scripts/check.sh and scripts/demo.sh: what a fresh Debian 12 or 13
# machine needs, and the build.

# Build and test dependencies, installed with apt-get when missing.
TG_PACKAGES=(
	meson ninja-build pkg-config gcc libc6-dev python3
	libglib2.0-dev libnl-3-dev libnl-route-3-dev libxml2-dev libvirt-dev
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients	# never libvirt-daemon-system
	iproute2 util-linux
	qemu-system-x86 busybox-static	# the test guest (tests/vm)
	clang libclang-rt-dev valgrind	# fuzzing, sanitizers, memcheck
	libxml2-utils strace			# the benchmarks' shell-hook baseline
	build-essential dpkg-dev debhelper lintian scdoc bash-completion systemd man-db	# packaging
	rpm apparmor
	checkpolicy semodule-utils selinux-policy-dev policycoreutils bzip2	# the SELinux module
	frr					# EVPN test (zebra, bgpd)
	debootstrap				# the Debian 13 lane (scripts/check.sh --distro)
)
# Debian 13 split libvirt's network driver out of libvirt-daemon.
case $( (. /etc/os-release && echo "${VERSION_CODENAME:-}") 2>/dev/null) in
bookworm) ;;
*) TG_PACKAGES+=(libvirt-daemon-driver-network) ;;
esac

tg_install_deps() {
	tg_install "${TG_PACKAGES[@]}"
}

# Install the named packages that are missing.
tg_install() {	# PACKAGE...
	local missing=() p
	for p in "$@"; do
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
# directories) to DEST, for the package builds and the distribution lanes.
# A tree that is no git checkout (such a copy) is copied whole.
tg_copy_source() {	# SRCDIR DEST
	mkdir -p "$2"
	(
		cd "$1" || exit 1
		if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
			git ls-files -z --cached --others --exclude-standard
		else
			find . -name 'build*' -prune -o -name .git -prune -o -type f -print0
		fi | grep -zv '^\(\./\)\?build' | xargs -0 cp --parents -t "$2"
	)
}

# The distribution lanes: the whole test command inside a brand-new system
# tree of another Debian release (debootstrap --variant=minbase), so that
# its compiler, libraries, libvirt, QEMU, FRR and guest kernel are tested.
# Kept between runs, outside the source tree: the pristine base tree as a
# tarball and apt's downloaded packages. Every run unpacks a fresh tree and
# installs TG_PACKAGES into it: nothing from an earlier run hides a
# missing package.
: "${TG_DISTRO_CACHE:=/var/cache/tapgate/distro}"
: "${TG_DISTRO_MIRROR:=http://deb.debian.org/debian}"

tg_distro_base() {	# SUITE -> the base tarball's path
	local suite=$1 base="$TG_DISTRO_CACHE/$1-base.tar" boot
	if [ ! -s "$base" ]; then
		boot="$TG_DISTRO_CACHE/$suite-boot"
		rm -rf "$boot"
		mkdir -p "$TG_DISTRO_CACHE"
		echo "lane $suite: debootstrap --variant=minbase $suite (once; cached in $TG_DISTRO_CACHE)" >&2
		debootstrap --variant=minbase "$suite" "$boot" "$TG_DISTRO_MIRROR" >"$boot.log" 2>&1 || {
			echo "lane $suite: debootstrap failed; see $boot.log" >&2
			return 1
		}
		tar -C "$boot" -cf "$base.tmp" . && mv "$base.tmp" "$base" && rm -rf "$boot" "$boot.log"
	fi
	echo "$base"
}

# Run scripts/check.sh ARGS in a fresh SUITE tree; its exit status.
tg_distro_run() {	# SRCDIR SUITE [ARGS...]
	local src=$1 suite=$2 base root archives
	shift 2
	case $suite in *[!a-z]*|"") echo "check.sh: '--distro $suite': expected a Debian suite name such as trixie" >&2; return 2 ;; esac
	base=$(tg_distro_base "$suite") || return 1
	root="$TG_DISTRO_CACHE/$suite-root" archives="$TG_DISTRO_CACHE/$suite-archives"
	rm -rf "$root"
	mkdir -p "$root" "$archives/partial"
	tar -C "$root" -xf "$base"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	tg_copy_source "$src" "$root/src"
	# A private mount namespace: every mount below vanishes with it. The
	# tree is bound onto itself so that / is a mount point inside (the
	# test sandboxes make it private); /tmp holds the build directories,
	# so a build under /tmp is what this lane always tests.
	local logs="$TG_DISTRO_CACHE/$suite-logs" rc=0
	rm -rf "$logs"
	unshare --mount --propagation private -- bash -ec '
		root=$1 archives=$2 logs=$3; shift 3
		mount --bind "$root" "$root"
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount --rbind /dev "$root/dev"
		mount -t tmpfs -o mode=1777 tmp "$root/tmp"
		mount -t tmpfs -o mode=0755 run "$root/run"
		mount --bind "$archives" "$root/var/cache/apt/archives"
		rc=0
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 CI="${CI:-}" FUZZ_SECONDS="${FUZZ_SECONDS:-}" \
			BUILD_DIR=/tmp/tapgate-build FUZZ_BUILD_DIR=/tmp/tapgate-build-fuzz \
			TG_LANE="$TG_LANE" /src/scripts/check.sh "$@" || rc=$?
		# The build directories vanish with this namespace: keep the logs.
		mkdir -p "$logs"
		for b in tapgate-build tapgate-build-fuzz; do
			[ ! -d "$root/tmp/$b/meson-logs" ] || cp -r "$root/tmp/$b/meson-logs" "$logs/$b"
		done
		exit "$rc"
	' lane "$root" "$archives" "$logs" "$@" || rc=$?
	echo "lane $suite: meson's logs are in $logs"
	# The tree is a few GiB: keep it only to look into a failure.
	if [ "$rc" = 0 ]; then
		rm -rf "$root"
	else
		echo "lane $suite: the system tree is kept in $root"
	fi
	return "$rc"
}
