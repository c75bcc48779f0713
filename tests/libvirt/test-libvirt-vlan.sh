#!/usr/bin/env bash
# A real libvirtd on a vlan-filtering Linux bridge, in a kernel that has
# one (tests/vm/kernel-test.sh: the test guest here). The domain's NIC is
# what 'tapgate xml interface --target-libvirt VERSION --vlan 100 --pin-mac'
# writes for the running libvirt: libvirt >= 11 puts the port on VLAN 100
# itself (<vlan>), older ones get tapgate metadata and tapgate-hook does it.
# Either way the port must end up the same, tapgate must pin the MAC on the
# VLAN libvirt chose and never fight libvirt over VLANs ('tapgate sync' and
# 'sync --watch' change nothing), and a NIC with both libvirt's <vlan> and
# tapgate VLAN metadata is refused. TAP output.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../vm/sandbox.sh"
sandbox_enter "$@"
: "${TAPGATE_HOOK:?}" "${TAPGATE_CLI:?}" "${TAPGATE_PORT_STATE:?}"
. "$here/../common/tap.sh"
. "$here/libvirtd.sh"
libvirtd_setup
ip link add br0 type bridge vlan_filtering 1
ip link set br0 up

uuid=5b0e7c52-30d1-4f6e-9a41-6e0f8a1c2d3b
# vlans_of TAP: the VLAN ids on a port, one line each.
vlans_of() { bridge -j vlan show dev "$1" | grep -o '"vlan":[0-9]*' | sort -u; }

echo "1..8"
# libvirtd probes QEMU's capabilities at its start: slow under emulation.
LIBVIRTD_WAIT=120
start_libvirtd || { echo "Bail out! libvirtd does not start"; exit 1; }
version=$(libvirt_version_string)
echo "# libvirt $version"
out=$("$TAPGATE_CLI" xml interface --bridge br0 --uuid "$uuid" --vlan 100 --pin-mac \
	--target-libvirt "$version")
mac=$(sed -n "s/.*<mac address=\"\([^\"]*\)\".*/\1/p" <<<"$out")
domain_xml vm1 "$uuid" "$out" > /tmp/vm1.xml

t_generated() {
	cat /tmp/vm1.xml
	if [ "$(libvirt_version)" -ge 11000000 ]; then
		matches "$out" '<tag id="100"/>' "<tapgate:port mac=\"$mac\" pin-mac=\"yes\"/>"
	else
		matches "$out" "<tapgate:port mac=\"$mac\" vlan=\"100\" pin-mac=\"yes\"/>" &&
			! grep -q '<vlan>' <<<"$out"
	fi
}
t_started() {
	local tap vlans
	v define /tmp/vm1.xml && v start vm1 || return 1
	tap=$(tap_of vm1 "$mac")
	vlans=$(bridge -d vlan show dev "$tap")
	echo "$vlans"
	# VLAN 100 untagged as the PVID, and nothing else (no default VLAN 1).
	[ "$(vlans_of "$tap")" = '"vlan":100' ] && matches "$vlans" '100 PVID Egress Untagged'
}
t_pinned() {
	local tap
	tap=$(tap_of vm1 "$mac")
	bridge fdb show dev "$tap"
	"$TAPGATE_PORT_STATE" "$tap" "$mac"
	matches "$(bridge fdb show dev "$tap")" "^$mac vlan 100 .*static" &&
		[[ $("$TAPGATE_PORT_STATE" "$tap" "$mac") == "learning=0 locked=1 isolated=0 pinned=1"* ]]
}
t_sync_quiet() {
	local tap first second
	tap=$(tap_of vm1 "$mac")
	[ -n "$tap" ] || { echo "vm1 has no port"; return 1; }
	first=$("$TAPGATE_CLI" sync -c qemu:///system) || return 1
	second=$("$TAPGATE_CLI" sync -c qemu:///system) || return 1
	echo "$first"; echo "$second"
	matches "$first" '0 changed, 0 failed' && matches "$second" '0 changed, 0 failed' &&
		[ "$(vlans_of "$tap")" = '"vlan":100' ]
}
t_watch_quiet() {
	local tap w
	tap=$(tap_of vm1 "$mac")
	"$TAPGATE_CLI" sync -c qemu:///system --watch > /tmp/watch.log 2>&1 &
	w=$!
	for _ in $(seq 1 100); do grep -q watching /tmp/watch.log && break; sleep 0.1; done
	# Events that make --watch look again: the domain suspended and resumed.
	v suspend vm1 >/dev/null && v resume vm1 >/dev/null
	sleep 3
	kill "$w"; wait "$w" 2>/dev/null
	cat /tmp/watch.log
	grep -q watching /tmp/watch.log && ! grep -qE 'vlan|changed [1-9]|failed [1-9]' /tmp/watch.log &&
		[ -n "$tap" ] && [ "$(vlans_of "$tap")" = '"vlan":100' ]
}
# A port that drifted: 'sync --dry-run' says each difference, current ->
# desired, counts it and changes nothing; 'sync' then fixes it, and a dry
# run after it finds nothing. The pin on VLAN 100 is gone; where tapgate
# owns the VLANs (libvirt < 11) the port is also back on the default VLAN.
t_dry_run() {
	local tap out
	local -a want
	tap=$(tap_of vm1 "$mac")
	bridge fdb del "$mac" dev "$tap" vlan 100 master || return 1
	want=("^vm1: $tap: static fdb entry $mac, vlan 100: missing -> added$")
	if [ "$(libvirt_version)" -lt 11000000 ]; then
		bridge vlan add dev "$tap" vid 1 pvid untagged || return 1
		want+=("^vm1: $tap: vlans 1;100 untagged 1;100 pvid 1 -> 100 untagged 100 pvid 100$")
	fi
	for _ in 1 2; do
		out=$("$TAPGATE_CLI" sync -c qemu:///system --dry-run) || { echo "$out"; return 1; }
		echo "$out"
		matches "$out" "${want[@]}" ', 1 would change, 0 failed \(dry run: nothing changed\)$' ||
			return 1
	done
	! bridge fdb show dev "$tap" | grep -q "^$mac vlan 100 .*static" || { echo "the dry run pinned"; return 1; }
	out=$("$TAPGATE_CLI" sync -c qemu:///system) && echo "$out" && matches "$out" ', 1 changed, 0 failed$' &&
		out=$("$TAPGATE_CLI" sync -c qemu:///system --dry-run) && echo "$out" &&
		matches "$out" ', 0 would change, 0 failed' && [ "$(vlans_of "$tap")" = '"vlan":100' ] &&
		matches "$(bridge fdb show dev "$tap")" "^$mac vlan 100 .*static"
}
# 'tapgate status --network lan100' lists the ports on VLAN 100 only (not a
# port of br0 on the default VLAN), each with the process holding it: QEMU,
# its user and the VM's -name.
t_status_network() {
	local tap out
	tap=$(tap_of vm1 "$mac")
	ip link add st-plain type veth peer name st-plain-peer && ip link set st-plain master br0 ||
		return 1
	printf '[network lan100]\nbridge = br0\nvlan = 100\nallow-users = root\n' > /run/tg-status.conf
	out=$("$TAPGATE_CLI" status --policy /run/tg-status.conf --network lan100) || { echo "$out"; return 1; }
	echo "$out"
	matches "$out" '^  local ports \(1\):$' \
		"^    $tap: held by pid [0-9]+ \(qemu-system-x86\), user [^,]+, VM 'vm1'$" &&
		! grep -q st-plain <<<"$out"
}
# Where libvirt could set VLAN 200 itself, tapgate metadata asking for 100
# on the same NIC still makes the start fail, before any tap exists.
t_two_owners() {
	local err
	v destroy vm1 >/dev/null || return 1	# vm2 takes its MAC
	cat > /tmp/vm2.xml <<XML
<domain type='qemu'><name>vm2</name>
<metadata><tapgate:ports xmlns:tapgate="https://tapgate.dev/ns/1">
  <tapgate:port mac="$mac" vlan="100"/>
</tapgate:ports></metadata>
<memory unit='MiB'>64</memory><os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><interface type='bridge'><mac address='$mac'/><source bridge='br0'/>
<vlan><tag id='200'/></vlan><model type='virtio'/></interface></devices></domain>
XML
	v define /tmp/vm2.xml || return 1
	err=$(v start vm2 2>&1) && { echo "started anyway"; return 1; }
	echo "$err"
	[[ $err == *"tapgate-hook: domain 'vm2': tapgate metadata: port '$mac': the interface has libvirt's own <vlan>, and the metadata gives it VLANs too"* ]] &&
		[ "$(v domstate vm2)" = "shut off" ]
}

check "'tapgate xml --target-libvirt $version' writes the VLAN where this libvirt wants it" t_generated
check "the domain starts and its port is on VLAN 100 only (PVID, untagged)" t_started
check "tapgate pins the guest's MAC on the port's VLAN 100" t_pinned
check "'tapgate sync' over that port changes nothing, twice" t_sync_quiet
check "'tapgate sync --watch' leaves libvirt's VLANs alone across domain events" t_watch_quiet
check "'tapgate sync --dry-run' shows a drifted port's differences and changes nothing" t_dry_run
check "'tapgate status --network' lists the network's ports only, with the VM holding each" t_status_network
check "libvirt's <vlan> and tapgate VLAN metadata on one NIC: the start is refused" t_two_owners
tap_end
