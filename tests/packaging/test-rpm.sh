#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The RPM spec: rpmspec parses it both ways (setuid 4755, and 4710 root:qemu
# --with group_helper), rpmbuild builds it here with Fedora's macros
# (tests/packaging/fedora.macros; --nodeps: Debian has no RPM database),
# and the package holds what Fedora users expect, with the right modes.
#   test-rpm.sh SRCDIR BUILDDIR
set -uo pipefail
src=$1 build=$2
spec=$src/packaging/rpm/tapgate.spec
macros=$src/tests/packaging/fedora.macros
out=$build/packaging-rpm

. "$src/tests/common/tap.sh"
has_line() {	# REGEX COMMAND...: some line of the command's output matches
	local re=$1 got
	shift
	got=$("$@") || return 1
	grep -qE "$re" <<<"$got" || { printf '%s\n' "$got"; echo "no line matches '$re'"; return 1; }
}
rpm_files() { rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpmfile"; }

echo "1..9"
check "rpmspec parses the spec (setuid 4755 by default)" \
	has_line '^%attr\(4755,root,root\) /usr/libexec/tapgate-helper$' rpmspec --load "$macros" -P "$spec"
check "rpmspec parses the spec --with group_helper (4710 root:qemu)" \
	has_line '^%attr\(4710,root,qemu\) /usr/libexec/tapgate-helper$' \
	rpmspec --load "$macros" --with group_helper -P "$spec"
check "rpmbuild builds the package" "$src/packaging/build-rpm.sh" "$out" --nodeps --load "$macros"
rpmfile=$(find "$out/top/RPMS" -name 'tapgate-*.rpm' 2>/dev/null | head -1)
check "the helper is setuid root" has_line '^-rwsr-xr-x root:root +/usr/libexec/tapgate-helper$' rpm_files
check "the policy is %config(noreplace)" has_line '^-rw-r--r-- root:root cn /etc/tapgate/tapgate.conf$' rpm_files
check "the hooks are links in qemu.d and network.d" has_line \
	'^lrwxrwxrwx root:root +/etc/libvirt/hooks/network.d/tapgate$' rpm_files
check "the unit, tmpfiles entry and completion are in Fedora's places" bash -c "
	f=\$(rpm -qpl '$rpmfile') &&
	grep -qx /usr/lib/systemd/system/tapgate-sync.service <<<\"\$f\" &&
	grep -qx /usr/lib/tmpfiles.d/tapgate.conf <<<\"\$f\" &&
	grep -qx /usr/share/bash-completion/completions/tapgate <<<\"\$f\""
check "the four man pages are packaged" has_line 'man8/tapgate-hook.8' rpm -qpl "$rpmfile"
check "the scriptlets parse" sh -c "rpm -qp --scripts '$rpmfile' | grep -q 'systemctl --no-reload preset tapgate-sync.service'"
tap_end
