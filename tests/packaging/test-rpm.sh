#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The RPM spec: rpmspec parses it both ways (setuid 4755, and 4710 root:qemu
# --with group_helper; with and without the SELinux subpackage), rpmbuild
# builds it here with Fedora's macros (tests/packaging/fedora.macros;
# --nodeps: Debian has no RPM database), and the packages hold what Fedora
# users expect, with the right modes. Then rpm installs, upgrades and erases
# them for real in a scratch root (rpm --root: its own database, the
# scriptlets run chrooted there by a static busybox, SELinux's commands
# stubbed), so what the scriptlets do to the hook links is seen, not read.
#   test-rpm.sh SRCDIR BUILDDIR
set -uo pipefail
src=$1 build=$2
spec=$src/packaging/rpm/tapgate.spec
macros=$src/tests/packaging/fedora.macros
out=$build/packaging-rpm
hooks=/etc/libvirt/hooks
module=/usr/share/selinux/packages/targeted/tapgate.pp.bz2

. "$src/tests/common/tap.sh"
has_line() {	# REGEX COMMAND...: some line of the command's output matches
	local re=$1 got
	shift
	got=$("$@") || return 1
	grep -qE "$re" <<<"$got" || { printf '%s\n' "$got"; echo "no line matches '$re'"; return 1; }
}
rpm_files() { rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpmfile"; }
find_rpm() {	# TOPDIR NAME: the binary package NAME-VERSION-... built there
	find "$1/RPMS" -name "$2-[0-9]*.rpm" 2>/dev/null | head -1
}

check "rpmspec parses the spec (setuid 4755 by default)" \
	has_line '^%attr\(4755,root,root\) /usr/libexec/tapgate-helper$' rpmspec --load "$macros" -P "$spec"
check "rpmspec parses the spec --with group_helper (4710 root:qemu)" \
	has_line '^%attr\(4710,root,qemu\) /usr/libexec/tapgate-helper$' \
	rpmspec --load "$macros" --with group_helper -P "$spec"
packages_made() {	# with and without the SELinux subpackage
	local with without
	with=$(rpmspec --load "$macros" -q --qf '%{NAME}\n' "$spec") &&
		without=$(rpmspec --load "$macros" --without selinux -q --qf '%{NAME}\n' "$spec") || return 1
	[ "$with" = $'tapgate\ntapgate-selinux' ] && [ "$without" = tapgate ] ||
		{ printf 'packages: %s; --without selinux: %s\n' "${with//$'\n'/ }" "${without//$'\n'/ }"; return 1; }
}
check "the spec makes tapgate and tapgate-selinux, and tapgate alone --without selinux" packages_made
check "rpmbuild builds the packages" "$src/packaging/build-rpm.sh" "$out" --nodeps --load "$macros"
rpmfile=$(find_rpm "$out/top" tapgate)
selinux_rpm=$(find_rpm "$out/top" tapgate-selinux)
check "the helper is setuid root" has_line '^-rwsr-xr-x root:root +/usr/libexec/tapgate-helper$' rpm_files
check "the policy is %config(noreplace)" has_line '^-rw-r--r-- root:root cn /etc/tapgate/tapgate.conf$' rpm_files
# %ghost: owned, never laid down by rpm (so an upgrade cannot restore one).
ghost_links() {
	local f d
	f=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES} -> %{FILELINKTOS}\n]' "$rpmfile") ||
		return 1
	for d in qemu.d network.d; do
		grep -qx "lrwxrwxrwx root:root g $hooks/$d/tapgate -> /usr/libexec/tapgate-hook" <<<"$f" ||
			{ grep "$hooks/" <<<"$f"; echo "$hooks/$d/tapgate is not a %ghost link to the hook"; return 1; }
	done
}
check "the hook links in qemu.d and network.d are %ghost" ghost_links
check "the unit, tmpfiles entry and completion are in Fedora's places" bash -c "
	f=\$(rpm -qpl '$rpmfile') &&
	grep -qx /usr/lib/systemd/system/tapgate-sync.service <<<\"\$f\" &&
	grep -qx /usr/lib/tmpfiles.d/tapgate.conf <<<\"\$f\" &&
	grep -qx /usr/share/bash-completion/completions/tapgate <<<\"\$f\""
check "the four man pages are packaged" has_line 'man8/tapgate-hook.8' rpm -qp -l "$rpmfile"
check "the scriptlets parse" sh -c "rpm -qp --scripts '$rpmfile' | grep -q 'systemctl --no-reload preset tapgate-sync.service'"
check "tapgate requires tapgate-selinux where the targeted policy is installed" \
	has_line '^\(tapgate-selinux = [^ ]+ if selinux-policy-targeted\)$' rpm -qp --requires "$rpmfile"

# The module in tapgate-selinux: compiled by the spec's %build (with the devel
# Makefile, here Debian's), and labelling the hook where tapgate puts it.
module_labels_hook() {
	local tmp cil hook
	[ -n "$selinux_rpm" ] || { echo "no tapgate-selinux package"; return 1; }
	rpm -qp --qf '%{ARCH}\n' "$selinux_rpm" | grep -qx noarch || { echo "not noarch"; return 1; }
	rpm -qpl "$selinux_rpm" | grep -qx "$module" || { rpm -qpl "$selinux_rpm"; return 1; }
	rpm -qpl "$selinux_rpm" | grep -qx /usr/share/doc/tapgate-selinux/README.md ||
		{ rpm -qpl "$selinux_rpm"; echo "no README.md (tapgate-hook(8) points to it)"; return 1; }
	tmp=$(mktemp -d /tmp/tapgate-rpm-pp.XXXXXX)
	rpm2archive - <"$selinux_rpm" | tar -C "$tmp" -xzf - ".$module" &&
		bunzip2 -c "$tmp$module" >"$tmp/tapgate.pp" &&
		/usr/libexec/selinux/hll/pp "$tmp/tapgate.pp" "$tmp/tapgate.cil" || { rm -rf "$tmp"; return 1; }
	cil=$(cat "$tmp/tapgate.cil")
	rm -rf "$tmp"
	hook=$(sed -n 's/^(filecon "\([^"]*\)" file (system_u object_r tapgate_hook_exec_t .*/\1/p' <<<"$cil")
	[ -n "$hook" ] || { echo "no file context for tapgate_hook_exec_t"; return 1; }
	rpm -qpl "$rpmfile" | grep -qx "$hook" || { echo "the module labels $hook, which tapgate does not ship"; return 1; }
	echo "the module labels $hook"
}
check "tapgate-selinux (noarch) ships its README and the compiled module, which labels the packaged hook" module_labels_hook

# --- Installed for real, in a scratch root --------------------------------
root=$(mktemp -d /tmp/tapgate-rpmroot.XXXXXX)
trap 'rm -rf "$root"' EXIT
in_root() { rpm --root "$root" --dbpath /var/lib/rpm "$@"; }
# -i or -U; Debian 12's rpm wants --force-debian (13's has no such option)
force_debian=$(rpm --help 2>&1 | grep -q -- --force-debian && echo --force-debian)
rpm_install() { in_root $force_debian --nodeps "$@"; }
make_root() {
	local a bb
	bb=$(command -v busybox) || { echo "no busybox (Debian: busybox-static)"; return 1; }
	mkdir -p "$root/bin" "$root/usr/sbin" "$root/etc/selinux" "$root/var/log" "$root/tmp" "$root/dev"
	: >"$root/dev/null" && chmod 666 "$root/dev/null"	# what scriptlets send there
	cp "$bb" "$root/bin/busybox"
	for a in sh ln rm mkdir readlink echo test [ cp cat; do ln -sf busybox "$root/bin/$a"; done
	# SELinux on the target, stubbed: semodule records its arguments, and
	# SELinux is off (selinuxenabled fails), so nothing is loaded or relabelled.
	printf 'SELINUX=disabled\nSELINUXTYPE=targeted\n' >"$root/etc/selinux/config"
	printf '#!/bin/sh\necho "$*" >>/var/log/semodule.log\n' >"$root/usr/sbin/semodule"
	printf '#!/bin/sh\nexit 1\n' >"$root/usr/sbin/selinuxenabled"
	chmod 755 "$root/usr/sbin/semodule" "$root/usr/sbin/selinuxenabled"
	chroot "$root" /bin/sh -c : || { echo "busybox does not run in a chroot (not static?)"; return 1; }
	in_root --initdb
}
links() {	# what each hook link points to, "none" where there is none
	local d
	for d in qemu.d network.d; do
		printf '%s: %s\n' "$d" "$(readlink "$root$hooks/$d/tapgate" || echo none)"
	done
}
both=$'qemu.d: /usr/libexec/tapgate-hook\nnetwork.d: /usr/libexec/tapgate-hook'

# Both packages together; tapgate alone if no tapgate-selinux was built, so
# that the hook links are checked all the same.
first_install() {
	make_root || return 1
	rpm_install -i "$rpmfile" ${selinux_rpm:+"$selinux_rpm"} || return 1
	[ "$(links)" = "$both" ] || { links; return 1; }
	in_root -qf "$hooks/qemu.d/tapgate" "$hooks/network.d/tapgate" | grep -c '^tapgate-[0-9]' | grep -qx 2 ||
		{ echo "the links are not tapgate's"; return 1; }
}
module_installed() {
	grep -qx "\-n -s targeted -X 200 -i $module" "$root/var/log/semodule.log" ||
		{ cat "$root/var/log/semodule.log"; return 1; }
	test -f "$root$module"
}
# A newer release of the same packages: the upgrade path.
upgrade_built() {
	"$src/packaging/build-rpm.sh" "$out-upgrade" --nodeps --nocheck --load "$macros" --define 'dist .upgrade1'
}
upgrade_keeps_removal() {
	local up up_selinux
	up=$(find_rpm "$out-upgrade/top" tapgate) up_selinux=$(find_rpm "$out-upgrade/top" tapgate-selinux)
	rm "$root$hooks/network.d/tapgate" || return 1
	rpm_install -U "$up" ${up_selinux:+"$up_selinux"} || return 1
	in_root -q tapgate | grep -q upgrade1 || { in_root -q tapgate; return 1; }
	expect $'qemu.d: /usr/libexec/tapgate-hook\nnetwork.d: none' links
}
erase_removes() {
	local pkgs=(tapgate)
	! in_root -q tapgate-selinux >/dev/null || pkgs+=(tapgate-selinux)
	in_root -e "${pkgs[@]}" || return 1
	expect $'qemu.d: none\nnetwork.d: none' links || return 1
	grep -qx -- '-n -X 200 -s targeted -r tapgate' "$root/var/log/semodule.log" ||
		{ cat "$root/var/log/semodule.log"; return 1; }
	! test -e "$root/usr/libexec/tapgate-hook" || { echo "the hook is still there"; return 1; }
}
reinstall_links() {
	rpm_install -i "$rpmfile" ${selinux_rpm:+"$selinux_rpm"} || return 1
	expect "$both" links
}

if [ "$(id -u)" = 0 ]; then
	check "rpm installs both packages in a scratch root; %post links the hooks, and rpm owns the links" first_install
	check "tapgate-selinux's %post installs the module (semodule, priority 200)" module_installed
	check "rpmbuild builds a newer release (the upgrade)" upgrade_built
	check "the upgrade leaves a hook link the admin removed removed (the other stays)" upgrade_keeps_removal
	check "erase removes the hook links and the module" erase_removes
	check "a reinstall after erase links the hooks again" reinstall_links
else
	for d in "install in a scratch root" "the module's install" "the upgrade build" "the upgrade" "erase" "reinstall"; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n - $d # SKIP rpm --root needs root (chroot)"
	done
fi
echo "1..$tap_n"
tap_end
