#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Networks that span hosts, EVPN mode: the three hosts of multihost.sh with
# 'vxlan-control = evpn', and FRR (Debian's zebra and bgpd) in each host
# namespace, configured from the shipped packaging/frr/bgpd.conf.example
# (addresses swapped per host), with its own config, pid, zserv and vty
# files under /tmp (never /etc/frr or /run/frr). A guest MAC on one host
# must reach the others' VXLAN fdb through BGP and leave it when the guest
# goes.
set -euo pipefail
src=${TG_SRC:?}
. "$src/tests/vm/sandbox.sh"
sandbox_enter "$@"
: "${TAPGATE_HELPER:?}" "${TAPGATE_CLI:?}" "${TG_GUEST:?}"
MODE=evpn
. "$src/tests/integration/multihost.sh"
hosts_create
hosts_apply >/dev/null || { echo "Bail out! tapgate apply failed"; exit 1; }

FRR=/usr/lib/frr
[ -x $FRR/bgpd ] || { echo "Bail out! FRR is not installed (apt-get install frr)"; exit 1; }

frr_dir() { echo "/tmp/frr-$1"; }
# The shipped example is written for 192.0.2.1; host INDEX swaps it with
# its own address.
bgpd_conf() {	# INDEX
	local me
	me=$(addr "$1")
	sed "s/192\.0\.2\.1\b/@SELF@/g; s/${me//./\\.}\b/192.0.2.1/g; s/@SELF@/$me/g" \
		"$src/packaging/frr/bgpd.conf.example"
}
frr_start() {	# INDEX
	local h=${hosts[$1]} d
	d=$(frr_dir "$h")
	mkdir -p "$d"
	printf 'hostname %s\nlog file %s/zebra.log\n' "$h" "$d" >"$d/zebra.conf"
	{ printf 'hostname %s\nlog file %s/bgpd.log\n' "$h" "$d"; bgpd_conf "$1"; } >"$d/bgpd.conf"
	chown -R frr:frr "$d"
	on "$h" $FRR/zebra -d -f "$d/zebra.conf" -i "$d/zebra.pid" -z "$d/zserv.api" \
		--vty_socket "$d" -P 0 </dev/null >"$d/zebra.out" 2>&1
	for _ in $(seq 100); do [ -S "$d/zserv.api" ] && break; sleep 0.05; done
	on "$h" $FRR/bgpd -d -f "$d/bgpd.conf" -i "$d/bgpd.pid" -z "$d/zserv.api" \
		--vty_socket "$d" -P 0 </dev/null >"$d/bgpd.out" 2>&1
}
# The daemons detach: stop exactly the PIDs of their pid files, and only if
# they are ours (their command line names our directory).
frr_stop() {
	local h f pid pids=()
	for h in "${hosts[@]}"; do
		for f in "$(frr_dir "$h")"/{bgpd,zebra}.pid; do
			pid=$(cat "$f" 2>/dev/null) || continue
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$(frr_dir "$h")/" ||
				continue
			kill -TERM "$pid" && pids+=("$pid")
		done
	done
	for _ in $(seq 50); do
		local alive=0
		for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && return 0
		sleep 0.1
	done
	for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap frr_stop EXIT
vty() { vtysh --vty_socket "$(frr_dir "$1")" -c "$2"; }

# poll COMMAND... for up to 60 s (BGP converges in 2-5 s here)
poll() { for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done; "$@"; }
fdb_has() { on "$1" bridge fdb show dev "$2" | grep -q "^$3 dst $4 self extern_learn"; }
fdb_lacks() { ! on "$1" bridge fdb show dev "$2" | grep -q "^$3 "; }

start_all() {
	local i
	for i in 0 1 2; do frr_start $i; done
	guest_start A1 hA lan $A1 && guest_start B1 hB lan $B1 && guest_start C1 hC lan $C1 &&
		guest_start B2 hB lab $B2 && guest_start C2 hC lab $C2
}
set_up_for_evpn() {
	local h
	for h in "${hosts[@]}"; do
		on "$h" ip -d link show vx10100 | grep -q ' nolearning ' ||
			{ on "$h" ip -d link show vx10100; return 1; }
		on "$h" bridge -d link show dev vx10100 | grep -q 'learning off' &&
			on "$h" bridge -d link show dev vx10100 | grep -q 'neigh_suppress on' ||
			{ on "$h" bridge -d link show dev vx10100; return 1; }
		# no flood entries of tapgate's own: BGP brings them
		on "$h" "$TAPGATE_CLI" check | grep -q 'VXLAN VNI 10100 from .*, EVPN' || return 1
	done
}
macs_advertised() {	# each guest speaks once; its MAC reaches the other hosts by BGP
	local g
	for g in A1 B1 C1 B2 C2; do guest_send $g $BCAST "hello-from-$g"; done
	poll fdb_has hB vx10100 $A1 192.0.2.1 && poll fdb_has hC vx10100 $A1 192.0.2.1 &&
		poll fdb_has hA vx10100 $C1 192.0.2.3 && poll fdb_has hC vx10200 $B2 192.0.2.2 || {
		on hB bridge fdb show dev vx10100
		vty hB 'show bgp l2vpn evpn route'
		return 1
	}
	vty hB 'show evpn mac vni 10100'
}
status_says_evpn() {
	local out
	out=$(on hB "$TAPGATE_CLI" status --network lan)
	echo "$out"
	matches "$out" "VXLAN VNI 10100 from 192\.0\.2\.2, EVPN$" \
		"remote VTEPs \(2\): 192\.0\.2\.1, 192\.0\.2\.3" \
		"^    $A1 at 192\.0\.2\.1 \(EVPN\)" "^    $C1 at 192\.0\.2\.3 \(EVPN\)"
}
networks_apart() {	# lab's MACs only in lab's device, and frames stay apart
	fdb_lacks hC vx10100 $B2 && fdb_lacks hB vx10100 $C2 || return 1
	guest_send B1 $BCAST evpn-bcast
	wait_received A1 evpn-bcast && wait_received C1 evpn-bcast || return 1
	copies evpn-bcast A1 C1 B2 C2
	[ "$COPIES" = "A1=1 C1=1 B2=0 C2=0 " ]
}
unicast_to_owner() {
	guest_send B1 $A1 evpn-ucast
	wait_received A1 evpn-ucast || return 1
	sleep 0.5
	[ "$(received C1 evpn-ucast)" = 0 ]
}
withdrawn() {	# the guest goes: its tap, its local entry, and BGP's routes
	guest_stop A1
	poll fdb_lacks hB vx10100 $A1 && poll fdb_lacks hC vx10100 $A1 ||
		{ on hB bridge fdb show dev vx10100; return 1; }
	! on hB "$TAPGATE_CLI" status --network lan | grep -q "$A1"
}

echo "1..7"
check "FRR (shipped config) in each host; five guests get taps" start_all
check "tapgate set the tunnels up for EVPN: no learning, ARP/ND suppression" set_up_for_evpn
check "each guest MAC reaches the other hosts' VXLAN fdb through BGP" macs_advertised
check "tapgate status shows remote VTEPs and MACs learned by EVPN" status_says_evpn
check "lab and lan stay apart; a broadcast reaches each other host once" networks_apart
check "unicast goes to the owner's host only" unicast_to_owner
check "a guest that stops is withdrawn from the other hosts" withdrawn
for g in B1 C1 B2 C2; do guest_stop $g; done
tap_end
