#!/usr/bin/env bash
# QEMU as root with its own tap and the README's two-line qemu-ifup and
# qemu-ifdown scripts, which run 'tapgate port attach "$1" --network lan'
# and 'tapgate port detach "$1"': the guest pings the host's bridge through
# the tap QEMU made and tapgate wired, the tap is a port of the network's
# bridge with its MTU while the guest runs, and gone once QEMU exits. The
# network is a VXLAN network without a VLAN ('tapgate apply' makes its
# bridge): VLAN networks need bridge vlan_filtering, which this host lacks.
# Then the same run with a network the policy does not have must fail with
# tapgate's message, proving the checks can fail. TAP output.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/sandbox.sh"
sandbox_enter "$@"
. "$here/../common/tap.sh"
TG_VERBOSE=${TG_VERBOSE:-1}	# the guest's output is the record of the run
: "${TAPGATE_CLI:?TAPGATE_CLI must name the built tapgate}"
: "${TG_VM_IMAGE:?}"

# The underlay address of the tunnel, and the network: its bridge br0 is
# made by 'tapgate apply', as at boot.
ip link add u0 type veth peer name u1
ip addr add 192.0.2.1/24 dev u0
ip link set u0 up
sandbox_policy /etc/tapgate/tapgate.conf "[global]
include-qemu-acl = false

[network lan]
bridge = br0
vxlan-vni = 100
vxlan-local = 192.0.2.1
"
"$TAPGATE_CLI" apply >&2
ip addr add 10.0.0.1/24 dev br0

# scripts NETWORK: the README's /etc/qemu-ifup and /etc/qemu-ifdown, with
# the built tapgate, in /tmp.
scripts() {
	printf '#!/bin/sh\nexec %s port attach "$1" --network %s\n' "$TAPGATE_CLI" "$1" > /tmp/qemu-ifup
	printf '#!/bin/sh\nexec %s port detach "$1"\n' "$TAPGATE_CLI" > /tmp/qemu-ifdown
	chmod 755 /tmp/qemu-ifup /tmp/qemu-ifdown
}
VM_NETDEV=tap,id=n0,ifname=tgq0,script=/tmp/qemu-ifup,downscript=/tmp/qemu-ifdown
link() { ip -d -j link show dev "$1" | python3 -c "import json, sys; print(json.load(sys.stdin)[0].get('$2'))"; }

# run_case NAME NETWORK: 0 when every check passed.
run_case() {
	local name=$1 mac=52:54:00:7a:62:${RANDOM: -2} master mtu brmtu up fdb rc=0
	scripts "$2"
	echo "== $name: -netdev $VM_NETDEV, qemu-ifup: $(tail -n 1 /tmp/qemu-ifup)"
	vm_start "$name" "" tap "" "$mac"
	if ! vm_wait_ping; then
		echo "-- the guest never got an answer; its output:"
		cat "$VM_LOG"
		return 1
	fi
	# While the guest runs: QEMU's tap on br0, with br0's MTU, up.
	master=$(link tgq0 master) mtu=$(link tgq0 mtu) brmtu=$(link br0 mtu)
	up=$(ip -o link show dev tgq0 | grep -c '[<,]UP[,>]' || true)
	fdb=$(bridge fdb show br br0 | grep -i "^$mac " || true)
	ip -d link show dev tgq0
	vm_release || rc=$?
	cat "$VM_LOG"
	[ "$rc" = 0 ] || { echo "-- the guest failed ($rc)"; return 1; }
	[ "$master" = br0 ] && [ "$mtu" = "$brmtu" ] && [ "$up" = 1 ] ||
		{ echo "-- tgq0 while QEMU ran: master '$master', mtu $mtu (br0: $brmtu), up: $up"; return 1; }
	echo "-- tgq0 while QEMU ran: a port of br0, mtu $mtu as br0, up"
	[[ $fdb == *"dev tgq0"* ]] || { echo "-- guest MAC $mac not learnt on tgq0: '$fdb'"; return 1; }
	! grep -q "network script" "$VM_LOG" || { echo "-- a script failed"; return 1; }
	grep -qx "tgq0: off bridge br0" "$VM_LOG" || { echo "-- qemu-ifdown did not detach tgq0"; return 1; }
	! ip link show dev tgq0 2>/dev/null || { echo "-- tgq0 left after QEMU exited"; return 1; }
	echo "-- qemu-ifdown took tgq0 off br0; tgq0 gone after QEMU exited"
}

unknown_network_fails() {
	if run_case unknown nosuch; then
		echo "-- the run passed with a network the policy does not have"
		return 1
	fi
	grep -q "tapgate: network 'nosuch' is not in the policy" /tmp/job-unknown.log ||
		{ echo "-- tapgate's message did not reach QEMU's output"; return 1; }
	! ip link show dev tgq0 2>/dev/null || { echo "-- tgq0 left"; return 1; }
}

echo "1..2"
check "QEMU as root, script=qemu-ifup (tapgate port attach --network lan), downscript=qemu-ifdown" \
	run_case ifup lan
check "the same run fails when the network is not in the policy" unknown_network_fails
tap_end
