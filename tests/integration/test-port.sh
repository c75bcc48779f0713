#!/usr/bin/env bash
# 'tapgate port attach' and 'port detach' on taps made the way QEMU makes
# them for '-netdev tap,ifname=X,script=...' (an existing tap, down, with the
# tun driver's random MAC): the port as the helper makes its own (bridge,
# the bridge's MTU, a fe: MAC, up), idempotent, MAC pinning and isolation,
# a failing step undone, and every refusal leaving the device exactly as it
# was. TAP output.
#
#   test-port.sh [--vlan]
#
# The VLAN cases need bridge vlan_filtering: they run where the kernel has
# it, and with --vlan (tests/vm/kernel-test.sh, which brings such a kernel)
# a kernel without it is a failure, never a skip.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../vm/sandbox.sh"
sandbox_enter "$@"
: "${TAPGATE_CLI:?TAPGATE_CLI must name the built tapgate}"
. "$here/../common/tap.sh"
need_vlan=0
[ "${1:-}" = --vlan ] && need_vlan=1

tg() { "$TAPGATE_CLI" "$@"; }
# link_state DEV: all the kernel tells of it as a port: link, VLANs, fdb.
link_state() {
	ip -d -j link show dev "$1"
	bridge -j vlan show dev "$1" 2>/dev/null
	bridge fdb show dev "$1" 2>/dev/null
}
json() {	# DEV KEY: one value of 'ip -d -j link show dev DEV'
	ip -d -j link show dev "$1" | python3 -c '
import json, sys
l = json.load(sys.stdin)[0]
v = l.get(sys.argv[1], l.get("linkinfo", {}).get("info_slave_data", {}).get(sys.argv[1]))
print(json.dumps(v))' "$2"
}
# vlans_of DEV: "VID FLAG,FLAG" per VLAN of the port (ranges spelt out:
# iproute2 versions differ in how they group them)
vlans_of() {
	bridge -j vlan show dev "$1" | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    for v in p["vlans"]:
        for vid in range(v["vlan"], v.get("vlanEnd", v["vlan"]) + 1):
            print("%d %s" % (vid, ",".join(v.get("flags", []))))'
}
new_tap() { ip tuntap add dev "$1" mode tap; }	# as QEMU leaves it: down, random MAC

# The host: bridges the tests attach to, a VXLAN underlay address.
ip link add br0 type bridge && ip link set br0 mtu 1400 up
ip link add br1 type bridge && ip link set br1 up
ip link add brbig type bridge && ip link set brbig mtu 65535 up	# more than a tap takes
ip link add u0 type veth peer name u1 && ip addr add 192.0.2.1/24 dev u0 && ip link set u0 up
sandbox_policy /etc/tapgate/tapgate.conf "[global]
include-qemu-acl = false

[network vx]
bridge = brvx
vxlan-vni = 100
vxlan-local = 192.0.2.1

[network vxbad]
bridge = brbad
vxlan-vni = 101
vxlan-local = 192.0.2.9

[network lan300]
bridge = brmissing
vlan = 300
"
mac=52:54:00:12:34:56

t_attach() {
	local out
	new_tap tp0 || return 1
	out=$(tg port attach tp0 --bridge br0) || { echo "$out"; return 1; }
	echo "$out"
	ip -d link show dev tp0
	[ "$(json tp0 master)" = '"br0"' ] && [ "$(json tp0 mtu)" = 1400 ] &&
		[[ $(json tp0 address) == '"fe:'* ]] && ip -j link show dev tp0 | grep -q '"UP"'
}
t_again() {
	local before out
	before=$(link_state tp0)
	out=$(tg port attach tp0 --bridge br0) || { echo "$out"; return 1; }
	expect "tp0: already on bridge br0 as asked" echo "$out" &&
		[ "$(link_state tp0)" = "$before" ]
}
t_pin() {
	local out before
	new_tap tp3 || return 1
	out=$(tg port attach tp3 --bridge br0 --mac "$mac" --isolated) || { echo "$out"; return 1; }
	echo "$out"
	bridge fdb show dev tp3
	bridge -d link show dev tp3
	matches "$(bridge fdb show dev tp3)" "^$mac .*master br0 .*static" &&
		[ "$(json tp3 learning)" = false ] && [ "$(json tp3 locked)" = true ] &&
		[ "$(json tp3 isolated)" = true ] || return 1
	before=$(link_state tp3)
	tg port attach tp3 --bridge br0 --mac "$mac" --isolated && [ "$(link_state tp3)" = "$before" ]
}
t_detach() {
	local out
	out=$(tg port detach tp3) || { echo "$out"; return 1; }
	expect "tp3: off bridge br0" echo "$out" && [ "$(json tp3 master)" = null ] &&
		! bridge fdb show | grep -i "^$mac " && ip link show dev tp3 >/dev/null
}
t_detach_again() { expect "tp3: on no bridge" tg port detach tp3; }
t_undo() {
	local before out rc=0
	new_tap tp2 || return 1
	before=$(link_state tp2)
	out=$(tg port attach tp2 --bridge brbig 2>&1) || rc=$?
	echo "$out"
	# the kernel set the MAC, then refused the MTU: the MAC is put back
	[ "$rc" = 1 ] && matches "$out" "^tapgate: cannot attach tap 'tp2' to bridge 'brbig': .*; undone: 'tp2' is off bridge 'brbig', with its MTU and MAC as before$" &&
		[ "$(link_state tp2)" = "$before" ] || { diff <(echo "$before") <(link_state tp2); return 1; }
}
t_network_unmade() {
	new_tap tp5 || return 1
	refused tp5 "network 'vx': bridge 'brvx' does not exist; run 'tapgate apply' as root" \
		--network vx
}
t_network() {
	local out
	# the other networks are left out (exit 1); this one is made
	tg apply; ip link show dev brvx >/dev/null || return 1
	out=$(tg port attach tp5 --network vx) || { echo "$out"; return 1; }
	echo "$out"
	ip -d link show dev tp5
	# the tunnel's MTU, which the bridge has too
	[ "$(json tp5 master)" = '"brvx"' ] && [ "$(json tp5 mtu)" = "$(json brvx mtu)" ] &&
		[ "$(json tp5 mtu)" = "$(json vx100 mtu)" ] && [[ $(json tp5 address) == '"fe:'* ]]
}

# refused DEV MESSAGE ARGS...: exit 1, exactly MESSAGE on stderr, DEV unchanged
refused() {
	local dev=$1 want=$2 before after out rc=0
	shift 2
	before=$(link_state "$dev" 2>&1)
	out=$(tg port attach "$dev" "$@" 2>&1 >/dev/null) || rc=$?
	after=$(link_state "$dev" 2>&1)
	echo "exit $rc: $out"
	[ "$rc" = 1 ] || return 1
	[ "$out" = "tapgate: $want" ] || { echo "want: tapgate: $want"; return 1; }
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); return 1; }
}
refused_as_user() {
	local before rc=0 out
	before=$(link_state tp1)
	out=$($(sandbox_run_as_user) "$TAPGATE_CLI" port attach tp1 --bridge br0 2>&1) || rc=$?
	echo "exit $rc: $out"
	[ "$rc" = 1 ] && [ "$out" = "tapgate: 'tapgate port attach' needs root: run it as root" ] &&
		[ "$(link_state tp1)" = "$before" ]
}
usage() {	# ARGS...: exit 2, one line
	local out rc=0
	out=$(tg port "$@" 2>&1) || rc=$?
	echo "exit $rc: $out"
	[ "$rc" = 2 ] && [ "$(wc -l <<<"$out")" = 1 ]
}

ip link add v0 type veth peer name v1
ip tuntap add dev tn0 mode tun
new_tap tp1 && ip link set tp1 master br1
new_tap tp4
# description | device | message | options, split at spaces
refusals=(
	"not a tap: a veth|v0|'v0' is a veth device, not a tap ('tapgate port' acts only on taps)|--bridge br0"
	"not a tap: a tun|tn0|'tn0' is a tun (layer 3) device, not a tap ('tapgate port' acts only on taps)|--bridge br0"
	"no such tap|nosuch|tap 'nosuch' does not exist|--bridge br0"
	"already a port of another bridge|tp1|'tp1' is already a port of 'br1'; take it off first with 'tapgate port detach tp1'|--bridge br0"
	"unknown network: its name only|tp4|network 'nosuch' is not in the policy (/etc/tapgate/tapgate.conf)|--network nosuch"
	"missing bridge|tp4|bridge 'br9' does not exist|--bridge br9"
	"the network's bridge is missing, and the administrator's (no apply hint)|tp4|network 'lan300': bridge 'brmissing' does not exist|--network lan300"
	"the network's bridge is missing, and apply cannot make it|tp4|'tapgate apply' has not made bridge 'brbad', and cannot: network 'vxbad': vxlan-local 192.0.2.9 is not an address of this host|--network vxbad"
)
# A bridge that does not filter VLANs cannot carry one: why depends on the kernel.
if bash "$here/../vm/guest-features.sh" >/dev/null 2>&1; then
	have_vlan=1
	refusals+=("a VLAN on a bridge that does not filter them|tp4|bridge 'br0' does not filter VLANs (vlan_filtering is off), and the policy does not let tapgate switch it on ('managed = true' in [bridge br0])|--bridge br0 --vlan 100")
else
	have_vlan=0
	refusals+=("a VLAN on a bridge that does not filter them|tp4|bridge 'br0' does not filter VLANs, and this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING); use a network of the policy with 'uplink =' (802.1Q sub-interfaces) instead|--bridge br0 --vlan 100")
fi

check "attach: on the bridge, with its MTU, a fe: MAC, up" t_attach
check "attach again: exit 0, nothing changed" t_again
check "--mac --isolated: a static fdb entry, learning off, locked, isolated; again: unchanged" t_pin
check "detach: no master, the pin gone, the tap kept" t_detach
check "detach a tap on no bridge: exit 0" t_detach_again
check "a step that fails half way is undone (the MAC put back)" t_undo
check "refused: not root, nothing changed" refused_as_user
for r in "${refusals[@]}"; do
	IFS='|' read -r desc dev msg opts <<<"$r"
	# shellcheck disable=SC2086 # the options are words
	check "refused: $desc; nothing changed" refused "$dev" "$msg" $opts
done
check "--network, its bridge not made yet: run 'tapgate apply'" t_network_unmade
check "--network of a VXLAN network, after 'tapgate apply': the tunnel's MTU" t_network
for u in "frob" "attach" "attach tp0" "attach tp0 --bridge br0 --network vx" \
	"attach tp0 --network vx --vlan 100" "attach tp0 --bridge br0 --vlan 5000" \
	"attach tp0 --bridge br0 --mac 52:54:00:12:34" "attach tp0 --bridge br0 --mac fe:00:00:00:00:01" \
	"attach tp0 tp1 --bridge br0" "detach" "detach tp0 tp1"; do
	# shellcheck disable=SC2086
	check "usage error, exit 2: port $u" usage $u
done

# VLANs: the network's, the default VLAN gone.
vlan_setup() {
	ip link add brv type bridge vlan_filtering 1 && ip link set brv up &&
		sandbox_policy /tmp/vlan.conf "[global]
include-qemu-acl = false

[network lan100]
bridge = brv
vlan = 100

[network trunk]
bridge = brv
trunk = 100;200-210
native = 100
"
}
t_vlan_access() {
	local out
	new_tap tv0 && out=$(tg port attach tv0 --network lan100 --policy /tmp/vlan.conf) ||
		{ echo "$out"; return 1; }
	echo "$out"
	vlans_of tv0
	[ "$(vlans_of tv0)" = "100 PVID,Egress Untagged" ] && [ "$(json tv0 master)" = '"brv"' ]
}
t_vlan_again() {
	local before
	before=$(link_state tv0)
	expect "tv0: already on bridge brv as asked" \
		tg port attach tv0 --network lan100 --policy /tmp/vlan.conf &&
		[ "$(link_state tv0)" = "$before" ]
}
t_vlan_trunk() {
	new_tap tv1 && tg port attach tv1 --network trunk --policy /tmp/vlan.conf || return 1
	vlans_of tv1
	[ "$(vlans_of tv1)" = "$(echo '100 PVID,Egress Untagged'; printf '%s \n' $(seq 200 210))" ]
}
t_vlan_pin() {
	new_tap tv2 && tg port attach tv2 --network lan100 --mac "$mac" --policy /tmp/vlan.conf ||
		return 1
	bridge fdb show dev tv2
	matches "$(bridge fdb show dev tv2)" "^$mac .*vlan 100 .*master brv .*static"
}
t_vlan_detach() {
	tg port detach tv0 && tg port detach tv2 || return 1
	[ "$(json tv0 master)" = null ] && [ -z "$(vlans_of tv0)" ] &&
		! bridge fdb show | grep -i "^$mac "
}
if [ "$have_vlan" = 1 ]; then
	echo "# VLAN cases: run (this kernel, $(uname -r), has bridge vlan_filtering)"
	vlan_setup || echo "Bail out! cannot make a vlan-filtering bridge"
	check "VLAN network: pvid 100 untagged, no VLAN 1" t_vlan_access
	check "VLAN network, again: exit 0, nothing changed" t_vlan_again
	check "trunk network: 100 native, 200-210 tagged, no VLAN 1" t_vlan_trunk
	check "VLAN network, --mac: pinned in VLAN 100" t_vlan_pin
	check "detach from a VLAN network: no VLANs, no pin" t_vlan_detach
elif [ "$need_vlan" = 1 ]; then
	check "--vlan: this kernel ($(uname -r)) has bridge vlan_filtering" false
else
	echo "# VLAN cases: not part of this run (this kernel, $(uname -r), has no bridge vlan_filtering; the 'vm' suite runs them in the test guest: test 'port-vlan')"
fi
echo "1..$tap_n"
tap_end
