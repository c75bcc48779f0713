# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the multi-host tests (after sandbox_enter): three hosts hA, hB,
# hC as network namespaces joined by an underlay bridge in namespace 'ul'
# (192.0.2.1-3/24 on each host's ul0), each with its own tapgate policy
# (ip netns exec puts /etc/netns/HOST/tapgate on /etc/tapgate), guests made
# by the real tapgate-helper (tg-guest), and TAP output.

hosts=(hA hB hC)
addr() { echo "192.0.2.$(($1 + 1))"; }	# underlay address of host index N

# The policy of host INDEX: networks lan (VNI 10100) and lab (VNI 10200);
# static mode lists the other hosts as peers, MODE=evpn leaves them to BGP.
policy_of() {	# INDEX [LOCAL]
	local i=$1 local=${2:-$(addr "$1")} peers=() j control
	for j in 0 1 2; do [ "$j" = "$i" ] || peers+=("$(addr "$j")"); done
	control="vxlan-peers = ${peers[0]};${peers[1]}"
	[ "${MODE:-static}" = evpn ] && control="vxlan-control = evpn"
	echo "# host ${hosts[i]}"
	network_block lan brlan 10100
	echo
	network_block lab brlab 10200
}
network_block() {	# NAME BRIDGE VNI (policy_of's local and control)
	printf '[network %s]\nbridge = %s\nvxlan-vni = %s\nvxlan-local = %s\n%s\nallow-users = *\n' \
		"$1" "$2" "$3" "$local" "$control"
}

hosts_create() {
	ip netns add ul
	ip -n ul link set lo up
	ip -n ul link add ulbr type bridge
	ip -n ul link set ulbr up
	for i in 0 1 2; do
		h=${hosts[i]}
		ip netns add "$h"
		ip -n ul link add "ul-$h" type veth peer name ul0 netns "$h"
		ip -n ul link set "ul-$h" master ulbr up
		ip -n "$h" link set lo up
		ip -n "$h" addr add "$(addr "$i")/24" dev ul0
		ip -n "$h" link set ul0 up
		mkdir -p "/etc/netns/$h/tapgate"
		sandbox_policy "/etc/netns/$h/tapgate/tapgate.conf" "$(policy_of "$i")"
	done
}

on() { local h=$1; shift; ip netns exec "$h" "$@"; }

# 'tapgate apply' on every host: bridges and tunnels, as at boot; a second
# run must find nothing to change.
hosts_apply() {
	local h out
	for h in "${hosts[@]}"; do
		out=$(on "$h" "$TAPGATE_CLI" apply) || { echo "$h: $out"; return 1; }
		[ "$h" != hA ] || echo "$out" | sed 's/^/  /'
		out=$(on "$h" "$TAPGATE_CLI" apply) && [ "$out" = "nothing to change" ] ||
			{ echo "$h, again: $out"; return 1; }
	done
}

# Guests: tg-guest processes fed through fifos; their output in /tmp/g-NAME.
declare -A gin gpid
guest_start() {	# NAME HOST NETWORK MAC [--ip ADDR]
	local name=$1 host=$2 net=$3 mac=$4
	shift 4
	mkfifo "/tmp/g-$name.in"
	on "$host" "$TG_GUEST" "$TAPGATE_HELPER" "$net" "$mac" "$@" \
		<"/tmp/g-$name.in" >"/tmp/g-$name" 2>&1 &
	gpid[$name]=$!
	exec {fd}>"/tmp/g-$name.in"
	gin[$name]=$fd
	for _ in $(seq 100); do grep -q '^ready' "/tmp/g-$name" && return 0; sleep 0.05; done
	echo "guest $name did not start:"; cat "/tmp/g-$name"; return 1
}
guest_send() { echo "send $2 $3" >&"${gin[$1]}"; }	# NAME DSTMAC TEXT
guest_stop() { echo quit >&"${gin[$1]}"; wait "${gpid[$1]}"; exec {gin[$1]}>&-; }
received() { grep -c "^recv .* $2\$" "/tmp/g-$1" || true; }	# NAME TEXT -> count
copies() {	# TEXT GUEST...: "GUEST=count " for each, after stray copies had time
	local text=$1 g out=""
	shift
	sleep 0.5
	for g in "$@"; do out+="$g=$(received "$g" "$text") "; done
	echo "copies of $text: $out"
	COPIES=$out
}
wait_received() {	# NAME TEXT: wait until it arrived at least once
	for _ in $(seq 100); do [ "$(received "$1" "$2")" -ge 1 ] && return 0; sleep 0.05; done
	return 1
}
BCAST=ff:ff:ff:ff:ff:ff
A1=52:54:00:10:00:01 B1=52:54:00:10:00:02 C1=52:54:00:10:00:03
B2=52:54:00:20:00:02 C2=52:54:00:20:00:03

. "$src/tests/common/tap.sh"

