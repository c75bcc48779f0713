#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Networks that span hosts, static mode: three network namespaces hA, hB, hC
# are three hosts (underlay 192.0.2.1-3 on a bridge in namespace 'ul'), each
# with its own tapgate policy (ip netns exec puts /etc/netns/HOST/tapgate on
# /etc/tapgate) defining networks 'lan' (VNI 10100) and 'lab' (VNI 10200).
# Guests are taps made by the real tapgate-helper (tg-guest: frames through
# the fd, as QEMU would), plus one real QEMU guest on hA that pings a guest
# on hC. Everything happens inside the sandbox's private namespaces.
set -euo pipefail
src=${TG_SRC:?}
. "$src/tests/vm/sandbox.sh"
sandbox_enter "$@"
: "${TAPGATE_HELPER:?}" "${TAPGATE_CLI:?}" "${TG_GUEST:?}"

. "$src/tests/integration/multihost.sh"
hosts_create

check_policies() {
	local h out
	for h in "${hosts[@]}"; do
		out=$(on "$h" "$TAPGATE_CLI" check)
		[ "$h" != hA ] || echo "$out"
		grep -q "guests' MTU 1450: underlay 'ul0' (MTU 1500) minus 50" <<<"$out" ||
			{ echo "$h:"; echo "$out"; return 1; }
	done
}
start_guests() {
	guest_start A1 hA lan $A1 && guest_start B1 hB lan $B1 && guest_start C1 hC lan $C1 &&
		guest_start B2 hB lab $B2 && guest_start C2 hC lab $C2
}
tunnels_made() {	# by apply, for every network of the policy, guests or not
	local h
	for h in "${hosts[@]}"; do
		on "$h" ip -d link show vx10100 | grep -q 'vxlan id 10100 local' || return 1
		on "$h" ip -d link show vx10200 | grep -q 'master brlab' || return 1
		[ "$(on "$h" bridge fdb show dev vx10100 | grep -c '^00:00:00:00:00:00 dst')" = 2 ] ||
			{ on "$h" bridge fdb show dev vx10100; return 1; }
		on "$h" ip -o link show master brlan | grep -q 'tg0-.* mtu 1450 ' ||
			{ on "$h" ip -o link show master brlan; return 1; }
	done
}
broadcast_once() {	# a broadcast from hA reaches hB and hC exactly once, lab never
	guest_send A1 $BCAST bcast-1
	wait_received B1 bcast-1 && wait_received C1 bcast-1 || return 1
	copies bcast-1 B1 C1 A1 B2 C2
	[ "$COPIES" = "B1=1 C1=1 A1=0 B2=0 C2=0 " ]
}
unicast_learned() {	# hB learned A1 behind hA: unicast goes there only
	guest_send B1 $A1 ucast-1
	wait_received A1 ucast-1 || return 1
	sleep 0.5
	[ "$(received C1 ucast-1)" = 0 ] || { echo "C1 got the unicast frame"; return 1; }
	on hB bridge fdb show dev vx10100 | grep -q "^$A1 dst 192.0.2.1 " ||
		{ on hB bridge fdb show dev vx10100; return 1; }
}
lab_isolated() {
	guest_send C2 $BCAST lab-1
	wait_received B2 lab-1 || return 1
	sleep 0.5
	local g
	for g in A1 B1 C1; do
		[ "$(received $g lab-1)" = 0 ] || { echo "$g (lan) got lab's frame"; return 1; }
	done
}
status_shows_remote() {
	local out
	out=$(on hB "$TAPGATE_CLI" status --network lan)
	echo "$out"
	matches "$out" \
		"^network lan: bridge brlan, VXLAN VNI 10100 from 192\.0\.2\.2 to 192\.0\.2\.1, 192\.0\.2\.3$" \
		"device vx10100 up, MTU 1450, over ul0 \(MTU 1500\)" "local ports \(1\):$" \
		"^    tg0-[0-9a-f]+: held by pid [0-9]+ \(tg-guest\), user root$" \
		"remote VTEPs \(2\): 192\.0\.2\.1, 192\.0\.2\.3" \
		"^    $A1 at 192\.0\.2\.1 \(learned from traffic\)"
}
second_port_changes_nothing() {
	local before after
	before=$(on hA ip -o link show vx10100 | cut -d: -f1)
	guest_start A3 hA lan 52:54:00:10:00:31 || return 1
	after=$(on hA ip -o link show vx10100 | cut -d: -f1)
	guest_stop A3
	[ "$before" = "$after" ] && [ "$(on hA bridge fdb show dev vx10100 | grep -c '^00:00:00:00:00:00')" = 2 ]
}
peers_follow_policy() {	# a peer taken out of the policy loses its flood entry
	local out peers
	sandbox_policy /etc/netns/hA/tapgate/tapgate.conf "$(policy_of 0 | sed 's/;192.0.2.3$//')"
	out=$(on hA "$TAPGATE_CLI" apply) || { echo "$out"; return 1; }
	echo "$out"
	peers=$(on hA bridge fdb show dev vx10100 | grep '^00:00:00:00:00:00' | awk '{print $3}')
	sandbox_policy /etc/netns/hA/tapgate/tapgate.conf "$(policy_of 0)"
	[ "$out" = "bridge fdb del 00:00:00:00:00:00 dev vx10100 dst 192.0.2.3 self"$'\n'"bridge fdb del 00:00:00:00:00:00 dev vx10200 dst 192.0.2.3 self"$'\n'"2 changes" ] &&
		[ "$peers" = 192.0.2.2 ] || { echo "flood entries: $peers"; return 1; }
	out=$(on hA "$TAPGATE_CLI" apply) && echo "$out" &&
		[ "$(on hA bridge fdb show dev vx10100 | grep -c '^00:00:00:00:00:00')" = 2 ]
}
foreign_local_refused() {	# apply makes nothing; the helper names what is missing
	local err aerr
	sandbox_policy /etc/netns/hC/tapgate/tapgate.conf "$(policy_of 2 192.0.2.9 |
		sed 's/^vxlan-vni = 10100$/vxlan-vni = 10300/; s/^bridge = brlan$/bridge = brnew/')"
	aerr=$(on hC "$TAPGATE_CLI" apply 2>&1) && return 1
	err=$(on hC "$TG_GUEST" "$TAPGATE_HELPER" lan 52:54:00:10:00:99 </dev/null 2>&1) && return 1
	sandbox_policy /etc/netns/hC/tapgate/tapgate.conf "$(policy_of 2)"
	echo "$aerr"; echo "$err"
	grep -q "^tapgate apply: network 'lan': vxlan-local 192.0.2.9 is not an address of this host$" <<<"$aerr" &&
		grep -q "^tapgate apply: 2 of 2 networks and managed bridges left out$" <<<"$aerr" &&
		grep -q "^tapgate-helper: network 'lan': bridge 'brnew' does not exist; run 'tapgate apply' as root$" <<<"$err" &&
		! on hC ip link show vx10300 2>/dev/null && ! on hC ip link show brnew 2>/dev/null &&
		[ -z "$(on hC ip -o link show type tun | grep -v 'master brl')" ]
}
qemu_pings_across() {	# a real guest on hA pings tg-guest C9 on hC
	guest_start C9 hC lan 52:54:00:10:00:09 --ip 10.0.0.3 || return 1
	VM_NETNS=hA VM_BRIDGE=lan vm_start qemu-lan "$TAPGATE_HELPER" bridge "" 52:54:00:10:00:77 \
		10.0.0.1/24 10.0.0.3 3
	if ! vm_wait_ping; then cat "$VM_LOG"; guest_stop C9; return 1; fi
	local rc=0
	vm_release || rc=$?
	guest_stop C9
	grep -E 'packets transmitted|TG-PING-OK' "$VM_LOG"
	return $rc
}
xml_for_network() {	# the same XML on every host: the network's name is enough
	local h out first=
	for h in "${hosts[@]}"; do
		out=$(on "$h" "$TAPGATE_CLI" xml interface --tapgate-network lan --pin-mac \
			--uuid e61d5755-9bdc-40cd-9648-77e719bdc220 --target-libvirt 9.0.0)
		[ -n "$first" ] || { first=$out; echo "$out"; }
		[ "$out" = "$first" ] || { echo "$h differs:"; echo "$out"; return 1; }
	done
	grep -q "<source bridge=\"brlan\"/>" <<<"$first" &&
		grep -q '<tapgate:port mac="52:54:00:36:2d:d1" network="lan" pin-mac="yes"/>' <<<"$first"
}
stop_guests() {	# the taps go; the tunnels stay for the next guest
	local g
	for g in A1 B1 C1 B2 C2; do guest_stop $g; done
	for h in "${hosts[@]}"; do
		[ -z "$(on "$h" ip -o link show type tun)" ] || return 1
		on "$h" ip link show vx10100 >/dev/null || return 1
	done
}

not_applied() {	# before 'tapgate apply' the helper makes nothing and says why
	local err
	err=$(on hA "$TG_GUEST" "$TAPGATE_HELPER" lan $A1 </dev/null 2>&1) && return 1
	echo "$err"
	grep -q "^tapgate-helper: network 'lan': bridge 'brlan' does not exist; run 'tapgate apply' as root$" <<<"$err" &&
		[ -z "$(on hA ip -o link show type tun)" ] && ! on hA ip link show brlan 2>/dev/null
}

echo "1..15"
check "tapgate check: each host's policy, guests' MTU from the underlay" check_policies
check "before tapgate apply: the helper refuses with one line, makes nothing" not_applied
check "tapgate apply makes each host's bridges and tunnels; again: nothing to change" hosts_apply
check "five guests on three hosts get taps from the helper" start_guests
check "apply made a tunnel per network, 2 flood entries; taps at MTU 1450" tunnels_made
check "a broadcast reaches every other host of the network exactly once" broadcast_once
check "unicast to a learned MAC goes to its host only" unicast_learned
check "network lab (VNI 10200) is isolated from lan" lab_isolated
check "tapgate status --network lan shows local ports, VTEPs and remote MACs" status_shows_remote
check "another guest reuses the tunnel; nothing changes" second_port_changes_nothing
check "flood entries follow the policy's peers" peers_follow_policy
check "a vxlan-local that is not this host's: one clear error, nothing made" foreign_local_refused
check "a real QEMU guest on hA pings a guest on hC over the tunnel" qemu_pings_across
check "tapgate xml --tapgate-network lan writes the same XML on every host" xml_for_network
check "guests stop: taps gone, tunnels kept" stop_guests
tap_end
