#!/usr/bin/env bash
# End to end: a real QEMU guest gets its network through tapgate-helper and
# pings the host's bridge. As root and as an unprivileged user (setuid copy of
# the helper, /dev/net/tun mode 0600), through -netdev bridge and -netdev tap.
# Then the same run with a policy that denies must fail, proving the checks
# can fail.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/sandbox.sh"
sandbox_enter "$@"
: "${TAPGATE_HELPER:?TAPGATE_HELPER must name the built tapgate-helper}"
: "${TG_VM_IMAGE:?}"

ip link add br0 type bridge
ip addr add 10.0.0.1/24 dev br0
ip link set br0 up
sandbox_policy /etc/qemu/bridge.conf "allow br0
"
setuid_helper=$(sandbox_setuid_copy "$TAPGATE_HELPER")

taps() { ip -o link show type tun | awk -F': ' '{print $2}'; }

# run_case NAME HELPER NETDEV_KIND RUN_AS: 0 when every check passed.
run_case() {
	local name=$1 helper=$2 kind=$3 run_as=$4 mac=52:54:00:7a:61:${RANDOM: -2}
	local port fdb rc=0
	echo "== $name: -netdev $kind, helper $helper${run_as:+, as $SANDBOX_USER}"
	vm_start "$name" "$helper" "$kind" "$run_as" "$mac"
	if ! vm_wait_ping; then
		echo "-- the guest never got an answer; its output:"
		cat "$VM_LOG"
		return 1
	fi
	# While the guest runs: exactly one port on br0, a tap of ours, and the
	# guest's MAC learnt on it.
	port=$(ip -o link show master br0 | awk -F': ' '{print $2}')
	fdb=$(bridge fdb show br br0 | grep -i "^$mac " || true)
	vm_release || rc=$?
	cat "$VM_LOG"
	[ "$rc" = 0 ] || { echo "-- the guest failed ($rc)"; return 1; }
	case $port in
	tg*) echo "-- port of br0 while QEMU ran: $port" ;;
	*) echo "-- expected one tapgate tap on br0, found '$port'"; return 1 ;;
	esac
	[[ $fdb == *"dev $port"* ]] || { echo "-- guest MAC $mac not learnt on $port: '$fdb'"; return 1; }
	echo "-- bridge fdb: $fdb"
	[ -z "$(taps)" ] || { echo "-- taps left after QEMU exited: $(taps)"; return 1; }
	echo "-- tap gone after QEMU exited"
}

# TAP, one line per case; the guests' output goes to stderr.
n=0 failed=0
check() {	# DESCRIPTION COMMAND... : the command must succeed
	local desc=$1; shift
	n=$((n + 1))
	if "$@" >&2; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; failed=1; fi
}
denied_run_fails() {
	sandbox_policy /etc/qemu/bridge.conf "deny all
"
	if run_case denied "$setuid_helper" bridge "$(sandbox_run_as_user)"; then
		echo "-- the end-to-end check passed with a helper that denies"
		return 1
	fi
	grep -q "tapgate-helper: access denied by policy" /tmp/job-denied.log ||
		{ echo "-- the denial message did not reach QEMU's output"; return 1; }
	[ -z "$(taps)" ] || { echo "-- taps left: $(taps)"; return 1; }
}

echo "1..5"
check "root, -netdev bridge" run_case root-bridge "$TAPGATE_HELPER" bridge ""
check "root, -netdev tap,helper=" run_case root-tap "$TAPGATE_HELPER" tap ""
check "unprivileged user with the setuid helper, -netdev bridge" \
	run_case user-bridge "$setuid_helper" bridge "$(sandbox_run_as_user)"
check "unprivileged user with the setuid helper, -netdev tap,helper=" \
	run_case user-tap "$setuid_helper" tap "$(sandbox_run_as_user)"
check "the same run fails when the helper denies" denied_run_fails
exit $failed
