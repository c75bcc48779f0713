#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The SELinux policy module of packaging/selinux/ (tapgate-hook's domain for
# Fedora and RHEL) must compile with Debian's SELinux tools: the reference
# policy's devel Makefile (selinux-policy-dev), which runs m4, checkmodule -M -m
# and semodule_package. The types of Fedora's virt daemons are not in Debian's
# policy: the module names them in require blocks, which checkmodule takes
# without the full policy (they are resolved when semodule links it on the
# target). The compiled package is then read back as CIL (policycoreutils'
# pp converter) to check what it grants, and broken copies must be rejected,
# which shows the compile check can fail.
#   check-selinux.sh SRCDIR BUILDDIR
# TG_SELINUX_DEVEL (a devel Makefile) and TG_SELINUX_MAKE_ARGS (variables for
# it) compile against other headers, e.g. Fedora's, built from its policy
# sources with 'make install-headers':
#   TG_SELINUX_DEVEL=.../doc/Makefile.example \
#   TG_SELINUX_MAKE_ARGS="NAME=targeted SHAREDIR=$DESTDIR/usr/share/selinux"
set -uo pipefail
src=${1:?usage: check-selinux.sh SRCDIR BUILDDIR}
build=${2:?usage: check-selinux.sh SRCDIR BUILDDIR}
sel=$src/packaging/selinux
devel=${TG_SELINUX_DEVEL:-/usr/share/selinux/devel/Makefile}
read -ra make_args <<<"${TG_SELINUX_MAKE_ARGS:-NAME=default}"
pp2cil=/usr/libexec/selinux/hll/pp

missing=
for t in checkmodule:checkpolicy semodule_package:semodule-utils; do
	command -v "${t%%:*}" >/dev/null || missing+=" ${t#*:}"
done
[ -f "$devel" ] || missing+=" selinux-policy-dev"
[ -x "$pp2cil" ] || missing+=" policycoreutils"
if [ -n "$missing" ]; then
	echo "Bail out! missing Debian packages:$missing (scripts/check.sh installs them)"
	exit 1
fi
for f in tapgate.te tapgate.fc; do
	[ -f "$sel/$f" ] || { echo "Bail out! $sel/$f is missing"; exit 1; }
done
# The state directory the build uses: /run/tapgate unless -Dstate_dir= says otherwise.
state_dir=$(sed -n 's/^#define TG_STATE_DIR "\(.*\)"$/\1/p' "$build/config.h" 2>/dev/null)
[ -n "$state_dir" ] || { echo "Bail out! no TG_STATE_DIR in $build/config.h"; exit 1; }

tmp=$(mktemp -d /tmp/tapgate-selinux.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$src/tests/common/tap.sh"

# compile DIR: the devel Makefile in a copy (it writes tmp/ and, for a
# module without one, an empty .if beside the sources). Any warning (m4,
# checkmodule, a deprecated interface) fails too.
compile() {
	local dir=$1 log rc
	log=$(make -C "$dir" -f "$devel" "${make_args[@]}" tapgate.pp 2>&1)
	rc=$?
	printf '%s\n' "$log"
	[ "$rc" = 0 ] || return "$rc"
	[ -s "$dir/tapgate.pp" ] || { echo "no tapgate.pp"; return 1; }
	! grep -Eqi 'warning|error' <<<"$log" || { echo "the build warned"; return 1; }
}
# rejected DESCRIPTION DIR: the devel Makefile must fail there
rejected() {
	local desc=$1 dir=$2 log
	tap_n=$((tap_n + 1))
	if log=$(make -C "$dir" -f "$devel" "${make_args[@]}" tapgate.pp 2>&1); then
		echo "not ok $tap_n - $desc (compiled, should have been rejected)"
		tap_failed=1
	else
		echo "ok $tap_n - $desc"
		grep -E 'ERROR|error' <<<"$log" | head -3 | sed 's/^/# rejected as expected: /'
	fi
}
copy_sources() {	# DIR: a fresh copy of the module's sources
	rm -rf "$1" && mkdir -p "$1" && cp "$sel/tapgate.te" "$sel/tapgate.fc" "$1/"
}

copy_sources "$tmp/build"
check "tapgate.te and tapgate.fc compile with the reference policy's devel Makefile (checkmodule -M -m, semodule_package)" \
	compile "$tmp/build"
cil=$tmp/tapgate.cil
"$pp2cil" "$tmp/build/tapgate.pp" "$cil" 2>/dev/null || : >"$cil"
check "the compiled package converts to CIL" test -s "$cil"

# The compiled rules, one per line, for the checks below.
rules() { grep -E '^ *\((allow|dontaudit|typetransition|filecon)' "$cil" | sed 's/^ *//'; }

filecons() {	# exactly the hook and the state directory, with the domain's types
	local got want
	got=$(grep '^(filecon' <(rules) | sort)
	want=$(printf '%s\n' \
		"(filecon \"$state_dir(/.*)?\" any (system_u object_r tapgate_var_run_t ((s0) (s0))))" \
		'(filecon "/usr/libexec/tapgate-hook" file (system_u object_r tapgate_hook_exec_t ((s0) (s0))))' | sort)
	[ "$got" = "$want" ] || { printf 'got:\n%s\nwant:\n%s\n' "$got" "$want"; return 1; }
}
check "the file contexts label /usr/libexec/tapgate-hook and $state_dir (the build's state directory)" filecons

capabilities() {	# net_admin, and no other capability of either set
	local got
	got=$(grep -E '^\(allow tapgate_hook_t self \((capability|capability2|cap_userns|cap2_userns) ' <(rules))
	[ "$got" = "(allow tapgate_hook_t self (capability (net_admin)))" ] ||
		{ echo "capabilities: '$got'"; return 1; }
}
check "the hook's domain has CAP_NET_ADMIN and no other capability" capabilities

check "the hook's domain may send rtnetlink requests that change state (nlmsg_write)" \
	grep -Eq '^\(allow tapgate_hook_t self \(netlink_route_socket \([^)]*create[^)]*nlmsg_read nlmsg_write\)\)\)$' <(rules)

# Every permission that changes something must be on the state directory
# (or /run, to make it), on the hook's own socket, or on the pipes of the
# daemon that runs it.
writes_only_state() {
	local bad
	bad=$(grep -E '^\(allow tapgate_hook_t ' <(rules) |
		grep -E '[( ](write|append|create|add_name|remove_name|unlink|rename|rmdir|setattr|link|relabelto|relabelfrom)[ )]' |
		grep -Ev '^\(allow tapgate_hook_t (tapgate_var_run_t|self) ' |
		grep -Ev '^\(allow tapgate_hook_t var_run_t \(dir ' |
		grep -Ev '^\(allow tapgate_hook_t (virtqemud_t|virtnetworkd_t|virtd_t) \(fifo_file ')
	[ -z "$bad" ] || { printf 'writes elsewhere:\n%s\n' "$bad"; return 1; }
}
check "the hook's domain writes only in $state_dir (and its socket and libvirt's pipes)" writes_only_state

# The transitions: from each of libvirt's daemons, each in an optional block
# so that the module loads on a policy without that daemon's type; no other.
transitions() {
	local d got
	got=$(awk '/^\(optional /{o=1} /^\)/{o=0}
		/\(typetransition [a-z_]+ tapgate_hook_exec_t process tapgate_hook_t\)/ {
			sub(/^ */, ""); print (o ? "optional " : "unconditional ") $2 }' "$cil" | sort)
	[ "$got" = "$(printf 'optional %s\n' virtd_t virtnetworkd_t virtqemud_t)" ] ||
		{ printf 'transitions into tapgate_hook_t:\n%s\n' "$got"; return 1; }
	for d in virtqemud_t virtnetworkd_t virtd_t; do
		grep -q "^(allow $d tapgate_hook_t (process (transition)))" <(rules) ||
			{ echo "$d may not transition"; return 1; }
	done
}
check "virtqemud, virtnetworkd and libvirtd enter the hook's domain, each in an optional block, and nothing else does" transitions
check "the domain's only entry point is tapgate_hook_exec_t" expect \
	"(allow tapgate_hook_t tapgate_hook_exec_t (file (entrypoint)))" \
	grep -E '^\(allow [a-z_]+ [a-z_]+ \(file \([^)]*entrypoint' <(rules)

# The checks can fail: broken copies are rejected.
copy_sources "$tmp/syntax"
echo 'allow tapgate_hook_t self:capability { net_admin ' >>"$tmp/syntax/tapgate.te"
rejected "a module with a syntax error appended is rejected" "$tmp/syntax"
copy_sources "$tmp/iface"
echo 'tapgate_no_such_interface(tapgate_hook_t)' >>"$tmp/iface/tapgate.te"
rejected "a module calling an interface that does not exist is rejected" "$tmp/iface"
copy_sources "$tmp/type"
echo 'allow tapgate_hook_t tapgate_undeclared_t:file read;' >>"$tmp/type/tapgate.te"
rejected "a module using a type it neither declares nor requires is rejected" "$tmp/type"

echo "1..$tap_n"
[ "$tap_failed" = 0 ] ||
	echo "# check-selinux: the SELinux module does not compile or grants other things (see the 'not ok' lines)" >&2
tap_end
