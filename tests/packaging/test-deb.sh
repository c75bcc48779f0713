#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the .deb (lintian must find no error), then install it for real on
# this machine, but inside a private mount and network namespace whose /usr,
# /etc and /var are overlays on tmpfs: dpkg, its database and everything the
# package writes vanish when the test ends. There, from the installed paths
# only: QEMU runs the setuid helper as an unprivileged user, the hooks are in
# libvirt's directories and run, 'tapgate check' accepts the shipped policy,
# the man pages render; then an upgrade keeps a changed conffile and a
# dpkg-statoverride, and remove/purge behave.
#   test-deb.sh SRCDIR BUILDDIR
set -euo pipefail
src=$1 build=$2

if [ -z "${TG_DEB_INSIDE:-}" ]; then
	out=$build/packaging-deb
	"$src/packaging/build-deb.sh" "$out" >"$build/packaging-deb.log" 2>&1 || {
		sed "s/^/# /" "$build/packaging-deb.log"
		echo "Bail out! the package did not build or lintian found errors"
		exit 1
	}
	grep -E '^[EWI]: ' "$out/lintian.txt" | sed 's/^/# lintian: /' || true
	deb=$(ls "$out"/tapgate_*.deb)
	exec unshare -m -n --propagation private env TG_DEB_INSIDE="$deb" "$0" "$@"
fi
deb=$TG_DEB_INSIDE
helper=/usr/libexec/tapgate-helper

tmp=$(mktemp -d /tmp/tapgate-deb.XXXXXX)
mount -t tmpfs tmpfs "$tmp"
for d in usr etc var; do
	mkdir -p "$tmp/upper/$d" "$tmp/work/$d"
	mount -t overlay overlay \
		-o "lowerdir=/$d,upperdir=$tmp/upper/$d,workdir=$tmp/work/$d" "/$d"
done
mount -t tmpfs tmpfs /run
qemu_pid=
cleanup() { [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; true; }
trap cleanup EXIT

. "$src/tests/common/tap.sh"
mode_of() { stat -c '%A %U:%G' "$1"; }
# The tap the helper made for QEMU, as seen on br0 (empty when none).
bridge_ports() { ip -o link show master br0 | awk -F': ' '{print $2}'; }

qemu_on_br0() {	# run QEMU as tgpkg with -netdev bridge; check its tap
	local pidfile=$tmp/qemu.pid
	setpriv --reuid tgpkg --regid tgpkg --clear-groups \
		qemu-system-x86_64 -M none -nodefaults -display none -daemonize \
		-pidfile "$pidfile" -netdev "bridge,id=n0,br=br0,helper=$helper" ||
		return 1
	qemu_pid=$(cat "$pidfile")
	local port
	port=$(bridge_ports)
	echo "port on br0: '$port'"
	[[ $port == tg4301-* ]] || return 1
	ip -o link show dev "$port" | grep -q ' mtu 1400 ' || { echo "MTU not copied"; return 1; }
	kill "$qemu_pid"
	for _ in $(seq 100); do [ -z "$(bridge_ports)" ] && break; sleep 0.05; done
	qemu_pid=
	[ -z "$(bridge_ports)" ] || { echo "tap left behind"; return 1; }
}

hook_runs() {	# a domain without tapgate metadata: the hook has nothing to do
	echo "<domain type='kvm'><name>vm1</name><devices/></domain>" |
		/etc/libvirt/hooks/qemu.d/tapgate vm1 start begin -
}

man_renders() {
	local page warn
	for page in man1/tapgate.1 man5/tapgate.conf.5 man8/tapgate-helper.8 man8/tapgate-hook.8; do
		warn=$(MANWIDTH=80 man --warnings -l "/usr/share/man/$page.gz" 2>&1 >/dev/null)
		[ -z "$warn" ] || { echo "$page: $warn"; return 1; }
		MANWIDTH=80 man -l "/usr/share/man/$page.gz" | grep -q DIAGNOSTICS ||
			{ echo "$page: no DIAGNOSTICS section"; return 1; }
	done
}

# A newer version of the same package: the upgrade path.
make_upgrade() {
	rm -rf "$tmp/pkg"
	dpkg-deb -R "$deb" "$tmp/pkg"
	sed -i 's/^Version: .*/&+upgrade1/' "$tmp/pkg/DEBIAN/control"
	dpkg-deb -b "$tmp/pkg" "$tmp/upgrade.deb" >/dev/null
}

echo "1..17"
check "dpkg installs the package" dpkg -i "$deb"
check "the helper is setuid root" expect "-rwsr-xr-x root:root" mode_of "$helper"
check "the hooks are linked into libvirt's qemu.d and network.d" expect \
	$'/usr/libexec/tapgate-hook\n/usr/libexec/tapgate-hook' \
	readlink -e /etc/libvirt/hooks/qemu.d/tapgate /etc/libvirt/hooks/network.d/tapgate
check "the installed hook runs" hook_runs
check "tapgate check accepts the shipped policy" tapgate check
check "the state directory was made by tmpfiles.d" expect "drwxr-xr-x root:root" mode_of /run/tapgate
check "tapgate-sync.service is installed but not enabled" sh -c \
	"test -f /lib/systemd/system/tapgate-sync.service && ! deb-systemd-helper is-enabled tapgate-sync.service"
check "the man pages render without warnings" man_renders

ip link set lo up
ip link add br0 mtu 1400 type bridge
ip link set br0 up
useradd -M -u 4301 tgpkg
printf '[bridge br0]\nallow-users = tgpkg\n' >/etc/tapgate/tapgate.conf
check "QEMU (unprivileged) gets a tap on br0 from the installed helper" qemu_on_br0

# The administrator turns the network hook off: an upgrade keeps it off.
rm /etc/libvirt/hooks/network.d/tapgate
groupadd -g 4302 tgpkg-helper
dpkg-statoverride --update --add root tgpkg-helper 4710 "$helper"
make_upgrade
check "an upgrade installs" dpkg -i "$tmp/upgrade.deb"
check "the upgrade keeps the changed policy (conffile)" \
	grep -q 'allow-users = tgpkg' /etc/tapgate/tapgate.conf
check "the upgrade keeps the dpkg-statoverride mode" \
	expect "-rws--x--- root:tgpkg-helper" mode_of "$helper"
check "the upgrade leaves a hook link the admin removed removed (the other stays)" sh -c \
	"! test -L /etc/libvirt/hooks/network.d/tapgate && test -L /etc/libvirt/hooks/qemu.d/tapgate"
check "remove keeps the policy, and takes the hook links away" sh -c \
	"dpkg -r tapgate && test -f /etc/tapgate/tapgate.conf && ! test -e $helper && ! test -L /etc/libvirt/hooks/qemu.d/tapgate"
check "a reinstall after remove links the hooks again" sh -c \
	"dpkg -i $tmp/upgrade.deb >/dev/null && test -L /etc/libvirt/hooks/qemu.d/tapgate && test -L /etc/libvirt/hooks/network.d/tapgate"
check "purge removes the policy, the hook links and /run/tapgate" sh -c \
	"dpkg -P tapgate && ! test -e /etc/tapgate/tapgate.conf && ! test -L /etc/libvirt/hooks/qemu.d/tapgate && ! test -e /run/tapgate"
check "nothing of the package is left" expect "" sh -c "dpkg -l tapgate 2>/dev/null | grep '^[ir]' || true"
tap_end
